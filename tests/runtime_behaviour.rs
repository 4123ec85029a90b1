//! The shared runtime, seen through the generated clients: every operation goes through
//! authentication, signing, the rate limit and the retry policy. wiremock plays the service;
//! delays are measured in paused tokio time, never with real sleeps.

use contract_tests::example;
use serde_json::json;
use snapshots_runtime::auth::{AccessKey, Secret};
use snapshots_runtime::retry::RetryBudgetConfig;
use snapshots_runtime::{Credentials, RateLimiter, RetryConfig, Runtime};
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers with each template in turn, then repeats the last one.
struct Sequence(std::sync::Mutex<Vec<ResponseTemplate>>);

impl Sequence {
    fn of(templates: Vec<ResponseTemplate>) -> Self {
        let mut templates = templates;
        templates.reverse();
        Self(std::sync::Mutex::new(templates))
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut left = self.0.lock().expect("not poisoned");
        if left.len() > 1 {
            left.pop().expect("non-empty")
        } else {
            left[0].clone()
        }
    }
}

async fn serving(templates: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Sequence::of(templates))
        .mount(&server)
        .await;
    server
}

/// Retries without jitter, so that delays are exactly 1 s, 2 s, 4 s; no total time limit,
/// so that no timer other than the backoff runs in paused time.
fn exact_retries() -> RetryConfig {
    RetryConfig::default()
        .with_jitter(false)
        .with_total_timeout(None)
}

fn runtime(retry: RetryConfig) -> Runtime {
    Runtime::builder()
        .retry(retry)
        .rate_limit(RateLimiter::unlimited())
        .build()
}

fn get_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(example("pai-dsw/GetInstanceSnapshot.200.json"))
}

/// A DSW client whose `reqwest::Client` starts no timers of its own (no timeouts, no idle
/// pool timer): in paused tokio time, the clock's auto-advance would fire a pending timer
/// while the mock server, on another thread, is answering.
fn dsw(server: &MockServer, runtime: Runtime) -> pai_dsw::Client {
    snapshots_runtime::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(None)
        .build()
        .expect("a client");
    pai_dsw::Client::new_with_client(&server.uri(), http, runtime)
}

/// An Alibaba error body with this status.
fn failing(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"Code": "InternalError", "Message": "try again", "RequestId": "r-1"}))
}

async fn get_instance_snapshot(
    server: &MockServer,
    runtime: Runtime,
) -> Result<(), pai_dsw::Error<pai_dsw::types::AlibabaError>> {
    let client = dsw(server, runtime);
    client
        .get_instance_snapshot()
        .instance_id("dsw-1")
        .snapshot_id("snp-1")
        .send()
        .await
        .map(|_| ())
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_retried_with_exponential_backoff() {
    let server = serving(vec![failing(503), failing(500), get_ok()]).await;
    let started = tokio::time::Instant::now();
    get_instance_snapshot(&server, runtime(exact_retries()))
        .await
        .expect("third attempt succeeds");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 3);
    assert_eq!(started.elapsed().as_secs(), 3, "1 s then 2 s of backoff");
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_three() {
    let server = serving(vec![failing(500)]).await;
    let started = tokio::time::Instant::now();
    let error = get_instance_snapshot(&server, runtime(exact_retries()))
        .await
        .expect_err("always 500");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        4,
        "1 attempt + 3 retries"
    );
    assert_eq!(started.elapsed().as_secs(), 7, "1 + 2 + 4 s");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_capped() {
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "3");
    let server = serving(vec![throttled, get_ok()]).await;
    let started = tokio::time::Instant::now();
    get_instance_snapshot(&server, runtime(exact_retries()))
        .await
        .expect("second attempt succeeds");
    assert_eq!(started.elapsed().as_secs(), 3);

    let far = ResponseTemplate::new(429).insert_header("Retry-After", "3600");
    let server = serving(vec![far, get_ok()]).await;
    let started = tokio::time::Instant::now();
    let capped = exact_retries().with_max_retry_after(Duration::from_secs(5));
    get_instance_snapshot(&server, runtime(capped))
        .await
        .expect("second attempt succeeds");
    assert_eq!(started.elapsed().as_secs(), 5, "Retry-After is capped");
}

#[tokio::test(start_paused = true)]
async fn alibaba_retry_after_is_in_milliseconds() {
    let throttled = ResponseTemplate::new(503)
        .insert_header("x-acs-retry-after", "1500")
        .set_body_json(json!({"Code": "ServiceUnavailable", "Message": "busy"}));
    let server = serving(vec![throttled, get_ok()]).await;
    let started = tokio::time::Instant::now();
    get_instance_snapshot(&server, runtime(exact_retries()))
        .await
        .expect("second attempt succeeds");
    assert_eq!(started.elapsed().as_millis(), 1500);
}

#[tokio::test(start_paused = true)]
async fn throttling_codes_in_a_400_body_are_retried() {
    let throttled = ResponseTemplate::new(400)
        .set_body_json(json!({"Code": "Throttling.User", "Message": "slow down"}));
    let server = serving(vec![throttled, get_ok()]).await;
    get_instance_snapshot(&server, runtime(exact_retries()))
        .await
        .expect("second attempt succeeds");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);

    let invalid = ResponseTemplate::new(400)
        .set_body_json(json!({"Code": "ValidationError", "Message": "bad"}));
    let server = serving(vec![invalid]).await;
    match get_instance_snapshot(&server, runtime(exact_retries())).await {
        Err(pai_dsw::Error::ErrorResponse(body)) => {
            assert_eq!(body.code.as_deref(), Some("ValidationError"))
        }
        other => panic!("a validation error is returned as it is, decoded: {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        1,
        "a 400 that is not throttling is final"
    );
}

fn create_body() -> pai_dsw::types::CreateInstanceSnapshotRequest {
    serde_json::from_value(json!({"SnapshotName": "snap-v1", "ImageUrl": "reg/x:y"}))
        .expect("valid")
}

/// A retried create must never make a second snapshot silently: a 500 on POST may mean the
/// server acted, so it is not retried unless the caller opts in.
#[tokio::test(start_paused = true)]
async fn an_ambiguous_create_is_not_retried() {
    let created = ResponseTemplate::new(200)
        .set_body_json(example("pai-dsw/CreateInstanceSnapshot.200.json"));
    let server = serving(vec![failing(500), created.clone()]).await;
    let client = dsw(&server, runtime(exact_retries()));
    let error = client
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body(create_body())
        .send()
        .await;
    assert_eq!(
        error
            .expect_err("the 500 is returned")
            .status()
            .map(|s| s.as_u16()),
        Some(500)
    );
    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);

    let server = serving(vec![failing(500), created]).await;
    let opted_in = exact_retries().with_retry_non_idempotent(true);
    let client = dsw(&server, runtime(opted_in));
    client
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body(create_body())
        .send()
        .await
        .expect("retried");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

/// README retry table, row "connect error": retried whatever the method, since nothing was
/// sent. Counted through the shared retry budget (5 tokens per retry).
#[tokio::test(start_paused = true)]
async fn a_connect_error_is_retried_even_for_a_create() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("an address")
    };
    let runtime = runtime(exact_retries());
    let budget = runtime.retry_budget().clone();
    let before = budget.available();
    snapshots_runtime::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(None)
        .build()
        .expect("a client");
    let client = pai_dsw::Client::new_with_client(&format!("http://{closed}"), http, runtime);
    let error = client
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body(create_body())
        .send()
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(error, pai_dsw::Error::CommunicationError(ref e) if e.is_connect()),
        "{error}"
    );
    assert_eq!(
        before - budget.available(),
        3 * 5,
        "three retries were paid for"
    );
}

/// README retry table, row "any other 4xx, 501, 505": final for every method.
#[tokio::test(start_paused = true)]
async fn final_statuses_are_never_retried() {
    for status in [400u16, 401, 403, 404, 408, 409, 422, 501, 505] {
        let server = serving(vec![failing(status), get_ok()]).await;
        let error = get_instance_snapshot(&server, runtime(exact_retries()))
            .await
            .expect_err("the failure is returned");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            server.received_requests().await.expect("recorded").len(),
            1,
            "HTTP {status}"
        );
    }
}

/// A throttled create did not act, so it is retried even without opting in.
#[tokio::test(start_paused = true)]
async fn a_throttled_create_is_retried() {
    let created = ResponseTemplate::new(200)
        .set_body_json(example("pai-dsw/CreateInstanceSnapshot.200.json"));
    let server = serving(vec![failing(429), created]).await;
    let client = dsw(&server, runtime(exact_retries()));
    client
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body(create_body())
        .send()
        .await
        .expect("retried");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_retry_budget_stops_retries_against_a_failing_service() {
    let server = serving(vec![failing(503)]).await;
    // A budget with room for exactly two retries (cost 5 each).
    let retry = exact_retries().with_budget(RetryBudgetConfig::default().with_capacity(10));
    let runtime = runtime(retry);
    for _ in 0..3 {
        let _ = get_instance_snapshot(&server, runtime.clone()).await;
    }
    // First call: 1 attempt + 2 retries (budget now empty); two more calls: 1 attempt each.
    assert_eq!(server.received_requests().await.expect("recorded").len(), 5);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_spaces_requests_across_clones() {
    let server = serving(vec![get_ok()]).await;
    let runtime = Runtime::builder()
        .retry(RetryConfig::disabled().with_total_timeout(None))
        .rate_limit(RateLimiter::per_second(10))
        .build();
    let started = tokio::time::Instant::now();
    for _ in 0..5 {
        get_instance_snapshot(&server, runtime.clone())
            .await
            .expect("200");
    }
    assert_eq!(
        started.elapsed().as_millis(),
        400,
        "5 requests at 10/s: one every 100 ms"
    );
}

#[tokio::test]
async fn identity_headers_are_sent() {
    let server = serving(vec![
        ResponseTemplate::new(200).set_body_json(example("graph-olap/get_snapshot.200.json"))
    ])
    .await;
    let runtime = Runtime::builder()
        .credentials(Credentials::Header {
            name: "X-Username".into(),
            value: "alice".into(),
        })
        .build();
    graph_olap::Client::new(&server.uri(), runtime)
        .get_snapshot()
        .snapshot_id(1)
        .send()
        .await
        .expect("200");
    let bearer = Runtime::builder()
        .credentials(Credentials::Bearer(Secret::new("tok-123")))
        .build();
    graph_olap::Client::new(&server.uri(), bearer)
        .get_snapshot()
        .snapshot_id(1)
        .send()
        .await
        .expect("200");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        requests[0]
            .headers
            .get("x-username")
            .and_then(|v| v.to_str().ok()),
        Some("alice")
    );
    assert_eq!(
        requests[1]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer tok-123")
    );
}

#[tokio::test]
async fn alibaba_bearer_tokens_travel_as_the_sdk_sends_them() {
    let server = serving(vec![get_ok()]).await;
    let runtime = Runtime::builder()
        .credentials(Credentials::AlibabaBearer(Secret::new("btoken")))
        .build();
    get_instance_snapshot(&server, runtime).await.expect("200");
    let request = &server.received_requests().await.expect("recorded")[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-acs-bearer-token").as_deref(), Some("btoken"));
    assert_eq!(
        header("x-acs-signature-type").as_deref(),
        Some("BEARERTOKEN")
    );
    assert_eq!(
        header("authorization"),
        None,
        "no signature with a bearer token"
    );
    assert_eq!(
        header("x-acs-action").as_deref(),
        Some("GetInstanceSnapshot")
    );
}

#[tokio::test]
async fn every_attempt_is_signed_afresh() {
    let server = serving(vec![failing(503), get_ok()]).await;
    let key = AccessKey::new("AKID", Secret::new("SECRET"));
    let runtime = Runtime::builder()
        .credentials(Credentials::AccessKey(key))
        .retry(exact_retries().with_base_delay(Duration::from_millis(1)))
        .build();
    get_instance_snapshot(&server, runtime)
        .await
        .expect("second attempt succeeds");
    let requests = server.received_requests().await.expect("recorded");
    let nonce = |i: usize| requests[i].headers.get("x-acs-signature-nonce").cloned();
    assert!(
        nonce(0).is_some() && nonce(0) != nonce(1),
        "a new nonce per attempt"
    );
    for request in &requests {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .expect("signed");
        assert!(
            auth.starts_with("ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders="),
            "{auth}"
        );
        assert_eq!(
            request
                .headers
                .get("x-acs-action")
                .and_then(|v| v.to_str().ok()),
            Some("GetInstanceSnapshot")
        );
        assert_eq!(
            request
                .headers
                .get("x-acs-version")
                .and_then(|v| v.to_str().ok()),
            Some("2022-01-01")
        );
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let key = AccessKey::new("AKID", Secret::new("very-secret-value"))
        .with_security_token(Secret::new("sts-token-value"));
    let runtime = Runtime::builder()
        .credentials(Credentials::AccessKey(key))
        .build();
    let debug = format!("{runtime:?}");
    assert!(debug.contains("AKID"), "{debug}");
    assert!(
        !debug.contains("very-secret-value") && !debug.contains("sts-token-value"),
        "{debug}"
    );
}
