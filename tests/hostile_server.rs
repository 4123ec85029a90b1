//! The SDK against a hostile server: redirects to other origins, endless and oversized
//! bodies, bodies cut in the middle, monstrous response heads, HTML where JSON is documented,
//! a 5 MB error message, credentials that cannot be sent. Each test asserts the typed error,
//! its status, how many requests the server saw (and that the witness on another port saw
//! none), and that the call ended, within a generous limit that fails the test rather than
//! measure it.
//!
//! The server is [`hostile::Hostile`], hand-written on a loopback `TcpListener`; `snapctl`
//! is the `snapctl-e2e` binary of this package, as in `tests/e2e_cli.rs`. Memory is measured
//! with a counting global allocator (`cap`, with its `stats` peak): run under nextest, which
//! gives each test its own process, so that the peak is this test's alone.

mod hostile;

use std::future::Future;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use hostile::{Hostile, Request};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use snapshots::auth::{AccessKey, Environment, Secret};
use snapshots::error::ErrorBody;
use snapshots::{
    Client, ClientBuilder, Error, RateLimiter, RedirectPolicy, RedirectRefusal, RetryConfig,
};
use snapshots_runtime::auth::acs3;

/// Counts every allocation of this test binary, and its peak.
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// The longest any call may take before the test fails.
const CALL_LIMIT: Duration = Duration::from_secs(30);

/// The most memory a call against an endless or 200 MB body may allocate (the default body
/// limit is 8 MiB).
const MEMORY_CEILING: usize = 64 * 1024 * 1024;

const DEFAULT_LIMIT: usize = snapshots_runtime::DEFAULT_MAX_RESPONSE_BODY;

const KEY_ID: &str = "LTAI-hostile";
const KEY_SECRET: &str = "hostile-key-secret";
const STS_TOKEN: &str = "hostile-sts-token";
const ALIBABA_BEARER: &str = "hostile-alibaba-bearer";
const DASHSCOPE_KEY: &str = "sk-hostile-dashscope";
const OLAP_TOKEN: &str = "hostile-olap-token";
const OLAP_USER: &str = "alice";

const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];
/// Redirect targets of another origin: another port, another scheme, a scheme-relative
/// URL to another port, another host name on the same port.
const ELSEWHERE: [&str; 4] = [
    "witness",
    "witness-https",
    "witness-schemeless",
    "localhost",
];

/// Fails the test if `future` has not ended within [`CALL_LIMIT`].
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(CALL_LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("the call did not end within {CALL_LIMIT:?}"))
}

/// Retries as the default policy makes them, but fast: 10, 20, 40 ms, four attempts.
fn fast_retries() -> RetryConfig {
    RetryConfig::default()
        .with_jitter(false)
        .with_base_delay(Duration::from_millis(10))
}

/// A builder that reads no environment, has no rate limit and retries fast.
fn base_builder() -> ClientBuilder {
    Client::builder()
        .environment(Environment::from_vars(std::iter::empty::<(String, String)>()).without_home())
        .rate_limit(RateLimiter::unlimited())
        .retry(fast_retries())
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(10))
}

/// The SDK error of a generated call, its body read as a careful caller does.
async fn settle<T, E: ErrorBody>(
    result: Result<pai_dsw::ResponseValue<T>, pai_dsw::Error<E>>,
) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(e) => Err(Error::from_response(e).await),
    }
}

async fn dsw_get(client: &Client) -> Result<pai_dsw::types::GetInstanceSnapshotResponse, Error> {
    let dsw = client.dsw()?;
    settle(
        dsw.get_instance_snapshot()
            .instance_id("dsw-1")
            .snapshot_id("snp-1")
            .send()
            .await,
    )
    .await
}

async fn dsw_create(
    client: &Client,
) -> Result<pai_dsw::types::CreateInstanceSnapshotResponse, Error> {
    let name = snapshots::validate::dsw_snapshot_name("hostile-v1")?;
    let dsw = client.dsw()?;
    settle(
        dsw.create_instance_snapshot()
            .instance_id("dsw-1")
            .body_map(|b| {
                b.image_url("registry.example/team/env:hostile-v1")
                    .snapshot_name(name)
            })
            .send()
            .await,
    )
    .await
}

/// A way of authenticating, with the API that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// DSW, ACS3-HMAC-SHA256 with an STS token.
    Signed,
    /// DSW, `x-acs-bearer-token`.
    AlibabaBearer,
    /// LangStudio's gateway, `Authorization: Bearer` with the DashScope key.
    DashScope,
    /// Graph OLAP, `Authorization: Bearer`.
    GraphOlapToken,
    /// Graph OLAP, `X-Username`.
    GraphOlapUser,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Signed,
        Kind::AlibabaBearer,
        Kind::DashScope,
        Kind::GraphOlapToken,
        Kind::GraphOlapUser,
    ];

    /// A builder for this kind's API at `base`, with its credentials.
    fn builder(self, base: &str) -> ClientBuilder {
        let builder = base_builder();
        match self {
            Kind::Signed => builder
                .dsw_url(base)
                .access_key(AccessKey::new(KEY_ID, KEY_SECRET).with_security_token(STS_TOKEN)),
            Kind::AlibabaBearer => builder.dsw_url(base).alibaba_bearer_token(ALIBABA_BEARER),
            Kind::DashScope => builder
                .langstudio_gateway_url(base)
                .dashscope_api_key(DASHSCOPE_KEY),
            Kind::GraphOlapToken => builder.graph_olap_url(base).graph_olap_token(OLAP_TOKEN),
            Kind::GraphOlapUser => builder.graph_olap_url(base).graph_olap_username(OLAP_USER),
        }
    }

    fn client(self, base: &str) -> Client {
        self.builder(base).build().expect("a client")
    }

    /// The path (and query) of [`Kind::get`] below the base URL.
    fn rest(self) -> &'static str {
        match self {
            Kind::Signed | Kind::AlibabaBearer => "/api/v2/instances/dsw-1/snapshots/snp-1",
            Kind::DashScope => "/GetSnapshot?SnapshotId=snp-1",
            Kind::GraphOlapToken | Kind::GraphOlapUser => "/api/snapshots/7",
        }
    }

    /// A GET of one snapshot of this kind's API.
    async fn get(self, client: &Client) -> Result<(), Error> {
        match self {
            Kind::Signed | Kind::AlibabaBearer => dsw_get(client).await.map(drop),
            Kind::DashScope => {
                let gateway = client.langstudio_gateway()?;
                settle(gateway.get_snapshot().snapshot_id("snp-1").send().await)
                    .await
                    .map(drop)
            }
            Kind::GraphOlapToken | Kind::GraphOlapUser => {
                let olap = client.graph_olap()?;
                settle(olap.get_snapshot().snapshot_id(7i64).send().await)
                    .await
                    .map(drop)
            }
        }
    }

    /// Asserts that `request` carries this kind's credentials, correctly (for a signature:
    /// one that verifies for this very request, its path included).
    fn assert_authenticated(self, request: &Request, port: u16) {
        let header = |name: &str| request.header(name);
        match self {
            Kind::Signed => {
                assert_eq!(
                    header("x-acs-security-token"),
                    Some(STS_TOKEN),
                    "{request:?}"
                );
                assert_eq!(header("x-acs-bearer-token"), None, "{request:?}");
                assert_signature_verifies(request, port);
            }
            Kind::AlibabaBearer => {
                assert_eq!(
                    header("x-acs-bearer-token"),
                    Some(ALIBABA_BEARER),
                    "{request:?}"
                );
                assert_eq!(header("x-acs-signature-type"), Some("BEARERTOKEN"));
                assert_eq!(header("authorization"), None, "{request:?}");
            }
            Kind::DashScope => {
                let expected = format!("Bearer {DASHSCOPE_KEY}");
                assert_eq!(header("authorization"), Some(expected.as_str()));
            }
            Kind::GraphOlapToken => {
                let expected = format!("Bearer {OLAP_TOKEN}");
                assert_eq!(header("authorization"), Some(expected.as_str()));
            }
            Kind::GraphOlapUser => {
                assert_eq!(header("x-username"), Some(OLAP_USER), "{request:?}");
            }
        }
    }
}

/// Recomputes the ACS3-HMAC-SHA256 signature of `request` as received (its method, path,
/// query, the headers it says it signed, its body) and compares it with the one it carries.
fn assert_signature_verifies(request: &Request, port: u16) {
    let authorization = request
        .header("authorization")
        .unwrap_or_else(|| panic!("no authorization: {request:?}"));
    let prefix = format!("ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders=");
    let rest = authorization
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("not an ACS3 authorization: {authorization}"));
    let (signed, signature) = rest
        .split_once(",Signature=")
        .unwrap_or_else(|| panic!("no signature: {authorization}"));
    let mut headers = HeaderMap::new();
    for name in signed.split(';') {
        let mut values = request.header_values(name).peekable();
        assert!(values.peek().is_some(), "signed header {name} was not sent");
        for value in values {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
    }
    for required in [
        "host",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-security-token",
    ] {
        assert!(
            signed.split(';').any(|n| n == required),
            "{required} is not signed: {signed}"
        );
    }
    let payload = acs3::hex_sha256(&request.body);
    assert_eq!(
        request.header("x-acs-content-sha256"),
        Some(payload.as_str()),
        "the payload hash is not the body's"
    );
    let url =
        reqwest::Url::parse(&format!("http://127.0.0.1:{port}{}", request.path)).expect("a URL");
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("a method");
    let canonical =
        acs3::canonical_request(&method, &url, &headers, &payload).expect("canonical request");
    let expected = acs3::signature(&Secret::new(KEY_SECRET), &acs3::string_to_sign(&canonical));
    assert_eq!(
        signature, expected,
        "the signature does not verify for {} {}",
        request.method, request.path
    );
}

/// The `Location` the server sends for `target` (see `hostile/mod.rs`).
fn location(hostile: &Hostile, target: &str, rest: &str) -> String {
    let (server, witness) = (hostile.addr().port(), hostile.witness_port());
    match target {
        "witness" => format!("http://127.0.0.1:{witness}/stolen{rest}"),
        "witness-https" => format!("https://127.0.0.1:{witness}/stolen{rest}"),
        "witness-schemeless" => format!("//127.0.0.1:{witness}/stolen{rest}"),
        "localhost" => format!("http://localhost:{server}/ok{rest}"),
        "same" => format!("/ok{rest}"),
        other => panic!("unknown target {other}"),
    }
}

#[track_caller]
fn assert_redirect(
    error: &Error,
    status: u16,
    location: &str,
    refusal: RedirectRefusal,
    context: &str,
) {
    match error {
        Error::Redirect {
            status: s,
            location: Some(l),
            refusal: r,
        } if *s == status && l == location && *r == refusal => {}
        other => panic!(
            "{context}: expected a {status} redirect to {location} refused as {refusal:?}, got {other:?}"
        ),
    }
    assert_eq!(error.status(), Some(status), "{context}");
}

#[track_caller]
fn assert_witness_saw_nothing(hostile: &Hostile) {
    assert_eq!(
        hostile.witness_connections(),
        0,
        "something reached the witness: {:?}",
        hostile.witness_heads()
    );
}

/// Every credential kind, every redirect status, every other origin: refused with `policy`,
/// `refusal` reported, one authenticated request at the server, nothing at the witness.
async fn redirects_to_elsewhere_are_refused(policy: RedirectPolicy, refusal: RedirectRefusal) {
    let hostile = Hostile::start().await;
    let port = hostile.addr().port();
    let mut calls = 0;
    for kind in Kind::ALL {
        for status in REDIRECTS {
            for target in ELSEWHERE {
                let context = format!("{kind:?}, {status} to {target}");
                let base = hostile.url(&format!("redirect/{status}/{target}"));
                let client = kind
                    .builder(&base)
                    .redirects(policy)
                    .build()
                    .expect("client");
                let error = within(kind.get(&client))
                    .await
                    .expect_err("a redirect is not an answer");
                let expected = location(&hostile, target, kind.rest());
                assert_redirect(&error, status, &expected, refusal, &context);
                calls += 1;
                let requests = hostile.requests();
                assert_eq!(requests.len(), calls, "{context}: one request per call");
                let sent = requests.last().expect("a request");
                let path = format!("/redirect/{status}/{target}{}", kind.rest());
                assert_eq!(sent.path, path, "{context}");
                assert_eq!(sent.method, "GET", "{context}");
                kind.assert_authenticated(sent, port);
            }
        }
    }
    assert_witness_saw_nothing(&hostile);
    let followed: Vec<_> = hostile
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/redirect/"))
        .collect();
    assert!(followed.is_empty(), "a redirect was followed: {followed:?}");
}

#[tokio::test]
async fn no_redirect_is_followed_by_default_whatever_the_credentials() {
    redirects_to_elsewhere_are_refused(RedirectPolicy::None, RedirectRefusal::NotFollowing).await;
}

#[tokio::test]
async fn same_origin_following_still_refuses_every_other_origin() {
    redirects_to_elsewhere_are_refused(
        RedirectPolicy::SameOrigin { max: 3 },
        RedirectRefusal::CrossOrigin,
    )
    .await;
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_and_authenticated_afresh() {
    let hostile = Hostile::start().await;
    let port = hostile.addr().port();
    for kind in Kind::ALL {
        for status in REDIRECTS {
            let context = format!("{kind:?}, {status} to the same origin");
            let before = hostile.request_count();
            let client = kind
                .builder(&hostile.url(&format!("redirect/{status}/same")))
                .redirects(RedirectPolicy::SameOrigin { max: 3 })
                .build()
                .expect("client");
            within(kind.get(&client))
                .await
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            let requests = &hostile.requests()[before..];
            assert_eq!(requests.len(), 2, "{context}: {requests:?}");
            let (first, second) = (&requests[0], &requests[1]);
            assert_eq!(
                first.path,
                format!("/redirect/{status}/same{}", kind.rest())
            );
            assert_eq!(second.path, format!("/ok{}", kind.rest()), "{context}");
            assert_eq!(
                (first.method.as_str(), second.method.as_str()),
                ("GET", "GET")
            );
            kind.assert_authenticated(first, port);
            kind.assert_authenticated(second, port);
            if kind == Kind::Signed {
                assert_ne!(
                    first.header("authorization"),
                    second.header("authorization"),
                    "{context}: the hop was not signed afresh"
                );
            }
            if matches!(kind, Kind::Signed | Kind::AlibabaBearer) {
                assert_ne!(
                    first.header("x-acs-signature-nonce"),
                    second.header("x-acs-signature-nonce"),
                    "{context}: the hop reused the nonce"
                );
            }
        }
    }
    assert_witness_saw_nothing(&hostile);
}

#[tokio::test]
async fn a_same_origin_redirect_loop_stops_at_the_maximum() {
    let hostile = Hostile::start().await;
    let client = Kind::AlibabaBearer
        .builder(&hostile.url("redirect/307/loop"))
        .redirects(RedirectPolicy::SameOrigin { max: 3 })
        .build()
        .expect("client");
    let error = within(dsw_get(&client)).await.expect_err("a loop");
    let path = format!("/redirect/307/loop{}", Kind::AlibabaBearer.rest());
    assert_redirect(&error, 307, &path, RedirectRefusal::TooMany, "loop");
    assert_eq!(
        hostile.request_count(),
        4,
        "the request and 3 followed hops"
    );
}

#[tokio::test]
async fn a_redirect_answering_a_create_is_never_turned_into_a_get() {
    let hostile = Hostile::start().await;
    let rest = "/api/v2/instances/dsw-1/snapshots";
    for status in [301, 302, 303] {
        for (policy, refusal) in [
            (RedirectPolicy::None, RedirectRefusal::NotFollowing),
            (
                RedirectPolicy::SameOrigin { max: 3 },
                RedirectRefusal::MethodChange,
            ),
        ] {
            let context = format!("POST answered by {status}, {policy:?}");
            let before = hostile.request_count();
            let client = Kind::Signed
                .builder(&hostile.url(&format!("redirect/{status}/same")))
                .redirects(policy)
                .build()
                .expect("client");
            let error = within(dsw_create(&client))
                .await
                .expect_err("a redirect is not a created snapshot");
            assert_redirect(&error, status, &format!("/ok{rest}"), refusal, &context);
            let requests = &hostile.requests()[before..];
            assert_eq!(requests.len(), 1, "{context}: {requests:?}");
            assert_eq!(requests[0].method, "POST", "{context}");
            assert!(!requests[0].body.is_empty(), "{context}");
        }
    }
    assert!(
        hostile.requests().iter().all(|r| r.method == "POST"),
        "a create became a GET: {:?}",
        hostile.requests()
    );
    assert_witness_saw_nothing(&hostile);
}

#[tokio::test]
async fn a_307_or_308_answering_a_create_keeps_the_method_and_the_body() {
    let hostile = Hostile::start().await;
    let port = hostile.addr().port();
    for status in [307, 308] {
        let before = hostile.request_count();
        let client = Kind::Signed
            .builder(&hostile.url(&format!("redirect/{status}/same")))
            .redirects(RedirectPolicy::SameOrigin { max: 3 })
            .build()
            .expect("client");
        let created = within(dsw_create(&client))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert!(created.snapshot_id.is_some(), "{created:?}");
        let requests = &hostile.requests()[before..];
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert_eq!(requests[1].path, "/ok/api/v2/instances/dsw-1/snapshots");
        assert_eq!(
            (requests[0].method.as_str(), requests[1].method.as_str()),
            ("POST", "POST")
        );
        assert_eq!(requests[0].body, requests[1].body, "the body changed");
        Kind::Signed.assert_authenticated(&requests[1], port);
    }
}

/// The call's output and the peak of allocated memory above what was allocated before it.
async fn with_peak_memory<F: Future>(future: F) -> (F::Output, usize) {
    let before = ALLOCATOR.allocated();
    let output = future.await;
    (output, ALLOCATOR.max_allocated().saturating_sub(before))
}

#[track_caller]
fn assert_too_large(result: Result<(), Error>, status: u16, limit: usize) {
    match &result {
        Err(Error::ResponseTooLarge {
            status: s,
            limit: l,
            ..
        }) if *s == status && *l == limit => {}
        other => panic!(
            "expected ResponseTooLarge {{ status: {status}, limit: {limit} }}, got {other:?}"
        ),
    }
    assert_eq!(result.unwrap_err().status(), Some(status));
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit_in_bounded_memory() {
    let hostile = Hostile::start().await;
    let client = Kind::AlibabaBearer.client(&hostile.url("endless"));
    let (result, peak) = with_peak_memory(within(Kind::AlibabaBearer.get(&client))).await;
    assert_too_large(result, 200, DEFAULT_LIMIT);
    assert_eq!(hostile.request_count(), 1, "not retried");
    assert!(peak < MEMORY_CEILING, "{peak} bytes allocated at the peak");
    assert!(
        hostile.streamed() < 64 * 1024 * 1024,
        "the client read on: {} bytes sent",
        hostile.streamed()
    );

    // A smaller limit is the one applied and reported.
    let client = Kind::AlibabaBearer
        .builder(&hostile.url("endless"))
        .max_response_body(1 << 20)
        .build()
        .expect("client");
    assert_too_large(within(Kind::AlibabaBearer.get(&client)).await, 200, 1 << 20);
    assert_eq!(hostile.request_count(), 2);
}

#[tokio::test]
async fn a_200_mb_content_length_is_refused_unread() {
    let hostile = Hostile::start().await;
    let client = Kind::GraphOlapUser.client(&hostile.url("huge-length"));
    let (result, peak) = with_peak_memory(within(Kind::GraphOlapUser.get(&client))).await;
    assert_too_large(result, 200, DEFAULT_LIMIT);
    assert_eq!(hostile.request_count(), 1, "not retried");
    assert!(peak < MEMORY_CEILING, "{peak} bytes allocated at the peak");
    assert!(
        hostile.streamed() < hostile::HUGE_LENGTH / 4,
        "the client read on: {} bytes sent",
        hostile.streamed()
    );
}

#[tokio::test]
async fn a_huge_500_is_refused_once_not_retried() {
    for framing in ["length", "chunked"] {
        let hostile = Hostile::start().await;
        let client = Kind::Signed.client(&hostile.url(&format!("huge-500/{framing}")));
        assert_eq!(client.retry_config().max_attempts, 4);
        let result = within(Kind::Signed.get(&client)).await;
        assert_too_large(result, 500, DEFAULT_LIMIT);
        assert_eq!(hostile.request_count(), 1, "{framing}: retried");
    }
}

#[tokio::test]
async fn a_get_cut_mid_body_is_retried() {
    let hostile = Hostile::start().await;
    let client = Kind::Signed.client(&hostile.url("cut/1"));
    let snapshot = within(dsw_get(&client))
        .await
        .expect("the second attempt succeeds");
    assert!(snapshot.snapshot_id.is_some(), "{snapshot:?}");
    assert_eq!(hostile.request_count(), 2);

    // Cut every time: the attempts run out, and the error is a transport error.
    let hostile = Hostile::start().await;
    let client = Kind::Signed.client(&hostile.url("cut/100"));
    let error = within(dsw_get(&client)).await.expect_err("always cut");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(hostile.request_count(), 4, "one attempt and three retries");
}

#[tokio::test]
async fn a_create_cut_mid_body_is_not_retried_unless_asked() {
    let hostile = Hostile::start().await;
    let client = Kind::Signed.client(&hostile.url("cut/1"));
    let error = within(dsw_create(&client))
        .await
        .expect_err("the only attempt was cut");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(hostile.request_count(), 1, "a POST was retried");

    let hostile = Hostile::start().await;
    let client = Kind::Signed
        .builder(&hostile.url("cut/1"))
        .retry(fast_retries().with_retry_non_idempotent(true))
        .build()
        .expect("client");
    let created = within(dsw_create(&client))
        .await
        .expect("retried when asked");
    assert!(created.snapshot_id.is_some(), "{created:?}");
    assert_eq!(hostile.request_count(), 2);
}

#[tokio::test]
async fn an_oversized_response_head_is_a_bounded_transport_error() {
    for behaviour in ["big-header", "many-headers"] {
        let hostile = Hostile::start().await;
        let client = Kind::GraphOlapToken
            .builder(&hostile.url(behaviour))
            .retry(RetryConfig::disabled())
            .build()
            .expect("client");
        let error = within(Kind::GraphOlapToken.get(&client))
            .await
            .expect_err("a head no client should accept");
        assert!(
            matches!(error, Error::Transport { .. }),
            "{behaviour}: {error:?}"
        );
        let display = error.to_string();
        assert!(
            display.len() < 2_100,
            "{behaviour}: {} chars",
            display.len()
        );
        assert!(!display.contains("aaaaaaaaaa"), "{behaviour}: {display}");
        // hyper's cause, not only reqwest's "error sending request".
        assert!(
            display.contains("too large"),
            "{behaviour}: the cause is not shown: {display}"
        );
        assert_eq!(hostile.request_count(), 1, "{behaviour}");
    }
}

#[track_caller]
fn assert_decode(error: &Error, status: u16, snippet_part: &str) {
    match error {
        Error::Decode {
            status: Some(s),
            snippet,
            ..
        } if *s == status && snippet.contains(snippet_part) => {}
        other => panic!(
            "expected Decode {{ status: {status}, snippet with {snippet_part:?} }}, got {other:?}"
        ),
    }
    assert_eq!(error.status(), Some(status));
}

#[tokio::test]
async fn an_html_or_empty_error_body_keeps_its_status() {
    for (behaviour, status, part) in [
        ("proxy-502", 502, "502 Bad Gateway"),
        ("empty-500", 500, ""),
    ] {
        // After the retries...
        let hostile = Hostile::start().await;
        let client = Kind::Signed.client(&hostile.url(behaviour));
        let error = within(dsw_get(&client)).await.expect_err(behaviour);
        assert_decode(&error, status, part);
        assert!(error.to_string().contains(&status.to_string()), "{error}");
        assert_eq!(hostile.request_count(), 4, "{behaviour}: a 5xx is retried");

        // ... and without.
        let hostile = Hostile::start().await;
        let client = Kind::Signed
            .builder(&hostile.url(behaviour))
            .retry(RetryConfig::disabled())
            .build()
            .expect("client");
        let error = within(dsw_get(&client)).await.expect_err(behaviour);
        assert_decode(&error, status, part);
        assert_eq!(hostile.request_count(), 1, "{behaviour}");
    }
}

#[tokio::test]
async fn an_html_200_is_a_decode_error_with_its_status() {
    let hostile = Hostile::start().await;
    let client = Kind::AlibabaBearer.client(&hostile.url("html"));
    let error = within(dsw_get(&client))
        .await
        .expect_err("HTML is not JSON");
    assert_decode(&error, 200, "<!DOCTYPE html>");
    assert_eq!(hostile.request_count(), 1);
}

#[tokio::test]
async fn a_5_mb_service_message_is_bounded() {
    let hostile = Hostile::start().await;
    let client = Kind::Signed.client(&hostile.url("huge-message"));
    let error = within(dsw_get(&client)).await.expect_err("a 400");
    let Error::Service(service) = &error else {
        panic!("expected a service error, got {error:?}");
    };
    assert_eq!(service.status, 400);
    assert_eq!(service.code.as_deref(), Some("InvalidParameter"));
    assert_eq!(service.request_id.as_deref(), Some("hostile-huge"));
    let message = service.message.as_deref().expect("a message");
    assert!(
        message.chars().count() <= snapshots_runtime::MAX_QUOTED_CHARS + 1,
        "{} chars kept",
        message.chars().count()
    );
    let display = error.to_string();
    assert!(display.len() < 2_000, "{} chars", display.len());
    assert_eq!(hostile.request_count(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn a_200_of_the_wrong_shape_is_a_decode_error() {
    for (kind, shape, part) in [
        (Kind::GraphOlapUser, "object", "unexpected"),
        (Kind::Signed, "array", "[1,2]"),
        (Kind::DashScope, "array", "[1,2]"),
    ] {
        let hostile = Hostile::start().await;
        let client = kind.client(&hostile.url(&format!("shape/{shape}")));
        let error = within(kind.get(&client))
            .await
            .expect_err("the wrong shape");
        assert_decode(&error, 200, part);
        assert_eq!(hostile.request_count(), 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_slow_body_hits_the_read_timeout() {
    let hostile = Hostile::start().await;
    let client = Kind::AlibabaBearer
        .builder(&hostile.url("slow"))
        .read_timeout(Duration::from_millis(50))
        .retry(RetryConfig::disabled())
        .build()
        .expect("client");
    let error = within(dsw_get(&client)).await.expect_err("too slow");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(hostile.request_count(), 1);
}

#[tokio::test]
async fn a_trickling_body_is_bounded_by_the_total_timeout() {
    let hostile = Hostile::start().await;
    // Each byte comes well within the read timeout; only the call's total limit ends it.
    let client = Kind::AlibabaBearer
        .builder(&hostile.url("slow"))
        .read_timeout(Duration::from_secs(5))
        .retry(RetryConfig::disabled().with_total_timeout(Some(Duration::from_secs(1))))
        .build()
        .expect("client");
    let error = within(dsw_get(&client)).await.expect_err("never done");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(hostile.request_count(), 1);
    assert!(hostile.streamed() < 1000, "the whole body was sent");
}

#[tokio::test]
async fn credentials_that_cannot_be_sent_send_nothing() {
    let hostile = Hostile::start().await;
    let olap = hostile.url("ok");
    let cases: Vec<(&str, Kind, ClientBuilder, Option<&str>)> = vec![
        (
            "X-Username with CR LF",
            Kind::GraphOlapUser,
            base_builder()
                .graph_olap_url(&olap)
                .graph_olap_username("alice\r\nX-Evil: 1"),
            None,
        ),
        (
            "Graph OLAP token with LF",
            Kind::GraphOlapToken,
            base_builder()
                .graph_olap_url(&olap)
                .graph_olap_token("olap-secret\nX-Evil: 1"),
            Some("olap-secret"),
        ),
        (
            "Alibaba bearer token with LF",
            Kind::AlibabaBearer,
            base_builder()
                .dsw_url(&olap)
                .alibaba_bearer_token("bearer-secret\nX-Evil: 1"),
            Some("bearer-secret"),
        ),
        (
            "DashScope key with CR",
            Kind::DashScope,
            base_builder()
                .langstudio_gateway_url(&olap)
                .dashscope_api_key("sk-secret\rX-Evil: 1"),
            Some("sk-secret"),
        ),
        (
            "STS token with LF",
            Kind::Signed,
            base_builder().dsw_url(&olap).access_key(
                AccessKey::new(KEY_ID, KEY_SECRET).with_security_token("sts-secret\nX-Evil: 1"),
            ),
            Some("sts-secret"),
        ),
        (
            "AccessKey id with a line break",
            Kind::Signed,
            base_builder()
                .dsw_url(&olap)
                .access_key(AccessKey::new("LTAI\r\nX-Evil: 1", KEY_SECRET)),
            None,
        ),
    ];
    for (case, kind, builder, secret) in cases {
        let client = builder
            .build()
            .expect("unusable credentials do not fail the build");
        let error = within(kind.get(&client)).await.expect_err(case);
        assert!(
            matches!(error, Error::Credentials(_) | Error::Validation { .. }),
            "{case}: {error:?}"
        );
        if let Some(secret) = secret {
            assert!(!error.to_string().contains(secret), "{case}: {error}");
            assert!(!format!("{error:?}").contains(secret), "{case}: {error:?}");
        }
        assert_eq!(hostile.connections(), 0, "{case}: something was sent");
    }
}

#[tokio::test]
async fn a_request_that_cannot_be_built_is_refused_at_once() {
    use pai_dsw::ClientInfo;
    let hostile = Hostile::start().await;
    let client = Kind::Signed.client(&hostile.url("ok"));
    let dsw = client.dsw().expect("DSW");
    let budget = dsw.inner().retry_budget().available();
    let id = "a".repeat(70_000);
    let error = within(async {
        let request = dsw
            .get_instance_snapshot()
            .instance_id("dsw-1")
            .snapshot_id(id.as_str());
        settle(request.send().await).await
    })
    .await
    .expect_err("a URL of 70,000 characters");
    assert!(
        matches!(&error, Error::Validation { field, .. } if field == "request"),
        "{error:?}"
    );
    let display = error.to_string();
    assert!(display.len() < 2_000, "{} chars", display.len());
    assert_eq!(hostile.connections(), 0, "something was sent");
    assert_eq!(
        dsw.inner().retry_budget().available(),
        budget,
        "a request that can never be sent was retried"
    );
}

// ---------------------------------------------------------------------------------------
// snapctl

/// The binary under test (as in tests/e2e_cli.rs).
fn snapctl_bin() -> PathBuf {
    std::env::var_os("SNAPCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_snapctl-e2e")))
}

/// Runs `snapctl <args>` with an empty environment but for the DSW URL and an STS access
/// key, off the async runtime (the server runs on it meanwhile).
async fn snapctl(dsw_url: String, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        assert_cmd::Command::new(snapctl_bin())
            .env_clear()
            .env("SNAPCTL_DSW_URL", dsw_url)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN)
            .env("SNAPCTL_RATE_LIMIT", "0")
            .args(args)
            .timeout(CALL_LIMIT)
            .output()
            .expect("snapctl ran")
    })
    .await
    .expect("joined")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn snapctl_refuses_a_redirect_to_another_port() {
    let hostile = Hostile::start().await;
    let output = snapctl(
        hostile.url("redirect/307/witness"),
        args(&["-o", "json", "dsw", "get", "--instance", "dsw-1", "snp-1"]),
    )
    .await;
    assert_eq!(output.status.code(), Some(6), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|e| panic!("{e}: {}", describe(&output)));
    assert_eq!(error["error"]["status"], 307, "{error}");
    assert_eq!(hostile.request_count(), 1);
    assert_witness_saw_nothing(&hostile);
}

#[tokio::test]
async fn snapctl_create_answered_by_302_creates_nothing() {
    let hostile = Hostile::start().await;
    let output = snapctl(
        hostile.url("redirect/302/same"),
        args(&[
            "dsw",
            "create",
            "--instance",
            "dsw-1",
            "--name",
            "hostile-v1",
            "--image-url",
            "registry.example/team/env:hostile-v1",
        ]),
    )
    .await;
    assert_eq!(output.status.code(), Some(6), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let requests = hostile.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "POST");
    assert_witness_saw_nothing(&hostile);
}

#[tokio::test]
async fn snapctl_an_endless_body_exits_6() {
    let hostile = Hostile::start().await;
    let output = snapctl(
        hostile.url("endless"),
        args(&["-o", "json", "dsw", "get", "--instance", "dsw-1", "snp-1"]),
    )
    .await;
    assert_eq!(output.status.code(), Some(6), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    assert_eq!(hostile.request_count(), 1);
}

#[tokio::test]
async fn snapctl_a_70000_character_id_is_refused_briefly() {
    let hostile = Hostile::start().await;
    let id = "a".repeat(70_000);
    let output = snapctl(
        hostile.url("ok"),
        args(&["dsw", "get", "--instance", "dsw-1", &id]),
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(
        output.stderr.len() < 4096,
        "{} bytes on stderr: {}",
        output.stderr.len(),
        String::from_utf8_lossy(&output.stderr[..output.stderr.len().min(600)])
    );
    assert_eq!(hostile.connections(), 0, "something was sent");
}
