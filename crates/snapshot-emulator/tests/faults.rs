//! Each kind of injected fault, over loopback: 5xx before and after the handler (a create
//! under an injected 5xx yields exactly one snapshot, or none), 429 with `Retry-After`
//! (retried by the runtime into exactly one snapshot), added latency, dropped connections,
//! and the HTTP admin endpoints that another process uses.

mod emulator_support;

use emulator_support::*;
use snapshot_emulator::{Fault, FaultRule, Timing};
use snapshots_runtime::{RateLimiter, RetryConfig, Runtime};
use std::time::Duration;

const CREATE_PATH: &str = "/dsw/api/v2/instances/*/snapshots";

async fn dsw_total(emulator: &snapshot_emulator::RunningEmulator) -> i64 {
    dsw(emulator)
        .list_instance_snapshot()
        .instance_id(INSTANCE)
        .page_size(100)
        .send()
        .await
        .expect("listed")
        .into_inner()
        .total_count
        .expect("total")
}

#[tokio::test]
async fn a_5xx_before_the_handler_creates_nothing() {
    let emulator = emulator(Timing::instant()).await;
    let rule = emulator
        .faults()
        .add(
            FaultRule::server_error(503)
                .on("POST", CREATE_PATH)
                .times(1),
        )
        .expect("valid");
    let (status, error) = dsw_error(
        dsw(&emulator)
            .create_instance_snapshot()
            .instance_id(INSTANCE)
            .body(dsw_body("a"))
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (503, Some("ServiceUnavailable"))
    );
    assert_eq!(error.success, Some(false));
    assert_eq!(emulator.faults().fired(rule), Some(1));
    assert_eq!(dsw_total(&emulator).await, 0);
}

#[tokio::test]
async fn a_5xx_after_the_handler_leaves_exactly_one_snapshot() {
    let emulator = emulator(Timing::instant()).await;
    emulator
        .faults()
        .add(
            FaultRule::server_error(500)
                .on("POST", CREATE_PATH)
                .times(1)
                .after_handler(),
        )
        .expect("valid");
    // The runtime's default policy: an ambiguous create (5xx) is not retried.
    let client = dsw_with(
        &emulator,
        Runtime::builder()
            .credentials(access_key(&emulator))
            .rate_limit(RateLimiter::unlimited())
            .build(),
    );
    let response = client
        .create_instance_snapshot()
        .instance_id(INSTANCE)
        .body(dsw_body("a"))
        .send()
        .await;
    let (status, error) = dsw_error(response);
    assert_eq!(
        (status, error.code.as_deref()),
        (500, Some("InternalError"))
    );
    assert_eq!(dsw_total(&emulator).await, 1);
}

#[tokio::test]
async fn a_throttled_create_is_retried_into_one_snapshot() {
    let emulator = emulator(Timing::instant()).await;
    let rule = emulator
        .faults()
        .add(FaultRule::throttle(1).on("POST", "/langstudio/**").times(2))
        .expect("valid");
    // Raw: the 429 carries the throttling code and both retry headers.
    let raw = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .post(format!(
            "{}/api/v1/langstudio/snapshots",
            emulator.langstudio_url()
        ))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(raw.status(), 429);
    assert_eq!(raw.headers()["retry-after"], "1");
    assert_eq!(raw.headers()["x-acs-retry-after"], "1000");
    let json: serde_json::Value = raw.json().await.expect("json");
    assert_eq!(json["Code"], "Throttling.User");

    // Through the runtime, with retries: the second throttle is waited out (capped at 50 ms
    // here to keep the test fast), then the create lands once.
    let client = langstudio_with(
        &emulator,
        Runtime::builder()
            .credentials(access_key(&emulator))
            .rate_limit(RateLimiter::unlimited())
            .retry(RetryConfig::default().with_max_retry_after(Duration::from_millis(50)))
            .build(),
    );
    client
        .create_snapshot()
        .body(langstudio_body("throttled"))
        .send()
        .await
        .expect("created after the retry");
    assert_eq!(emulator.faults().fired(rule), Some(2));
    let listed = langstudio(&emulator)
        .list_snapshots()
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_count, Some(1));
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let emulator = emulator(Timing::instant()).await;
    let rule = emulator
        .faults()
        .add(
            FaultRule::latency(Duration::from_millis(600))
                .on("GET", "/langstudio-gateway/ListSnapshots")
                .times(1),
        )
        .expect("valid");
    let key = emulator.config().credentials.dashscope_api_key.clone();
    let url = format!("{}/ListSnapshots", emulator.langstudio_gateway_url());
    // A client that gives up long before the delay is over times out...
    let impatient = snapshots_runtime::http_client_builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let error = impatient
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect_err("the answer is late");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(emulator.faults().fired(rule), Some(1));
    // ...and once the rule is used up, the same call answers.
    let ok = impatient
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn dropped_connections_get_no_answer() {
    let emulator = emulator(Timing::instant()).await;
    emulator
        .faults()
        .add(
            FaultRule::drop_connection()
                .on("POST", CREATE_PATH)
                .times(1),
        )
        .expect("valid");
    let error = dsw(&emulator)
        .create_instance_snapshot()
        .instance_id(INSTANCE)
        .body(dsw_body("a"))
        .send()
        .await
        .expect_err("no answer");
    assert!(
        matches!(error, pai_dsw::Error::CommunicationError(_)),
        "a transport error, not a response: {error:?}"
    );
    assert_eq!(dsw_total(&emulator).await, 0);

    // After the handler: the snapshot exists, the client never heard of it.
    emulator.faults().clear();
    emulator
        .faults()
        .add(
            FaultRule::drop_connection()
                .on("POST", CREATE_PATH)
                .times(1)
                .after_handler(),
        )
        .expect("valid");
    let error = dsw(&emulator)
        .create_instance_snapshot()
        .instance_id(INSTANCE)
        .body(dsw_body("b"))
        .send()
        .await
        .expect_err("no answer");
    assert!(
        matches!(error, pai_dsw::Error::CommunicationError(_)),
        "{error:?}"
    );
    assert_eq!(dsw_total(&emulator).await, 1);
}

#[tokio::test]
async fn faults_reach_graph_olap_in_its_own_shape() {
    let emulator = emulator(Timing::instant()).await;
    emulator
        .faults()
        .add(FaultRule::server_error(503).path("/graph-olap").times(1))
        .expect("valid");
    emulator
        .faults()
        .add(FaultRule::throttle(2).path("/graph-olap").times(1))
        .expect("valid");
    let url = format!("{}/api/snapshots", emulator.graph_olap_url());
    let first = reqwest::get(&url).await.expect("sent");
    assert_eq!(first.status(), 503);
    let id = first.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    let json: serde_json::Value = first.json().await.expect("json");
    assert_eq!(json["error"]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(json["meta"]["request_id"], id);
    let second = reqwest::get(&url).await.expect("sent");
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["retry-after"], "2");
    assert!(second.headers().get("x-acs-retry-after").is_none());
    let json: serde_json::Value = second.json().await.expect("json");
    assert_eq!(json["error"]["code"], "RATE_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn admin_endpoints_set_list_and_clear_rules() {
    let emulator = emulator(Timing::instant()).await;
    let http = snapshots_runtime::http_client_builder().build().unwrap();
    let admin = format!("{}/_emulator/faults", emulator.base_url());
    let created = http
        .post(&admin)
        .json(&serde_json::json!([
            {"method": "GET", "path": "/dsw/**", "fault": {"kind": "server_error", "status": 502}, "count": 1},
            {"path": "/langstudio-gateway", "fault": {"kind": "latency", "millis": 1}}
        ]))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let created: Vec<snapshot_emulator::FaultStatus> = created.json().await.expect("json");
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].rule.fault, Fault::ServerError { status: 502 });
    // The Rust handle sees the same rules.
    assert_eq!(emulator.faults().rules().len(), 2);

    let (status, error) = dsw_error(
        dsw(&emulator)
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await,
    );
    assert_eq!(
        (status, error.code.as_deref()),
        (502, Some("InternalError"))
    );
    let listed: Vec<snapshot_emulator::FaultStatus> = http
        .get(&admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!((listed[0].matched, listed[0].fired), (1, 1));

    let bad = http
        .post(&admin)
        .json(&serde_json::json!({"fault": {"kind": "server_error", "status": 404}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    let removed = http
        .delete(format!("{admin}/{}", created[1].id))
        .send()
        .await
        .expect("sent");
    assert_eq!(removed.status(), 204);
    let missing = http
        .delete(format!("{admin}/999"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
    let cleared: serde_json::Value = http
        .delete(&admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["removed"], 1);
    assert!(emulator.faults().rules().is_empty());
    // Admin routes are never faulted.
    emulator
        .faults()
        .add(FaultRule::server_error(500))
        .expect("valid");
    let health = http
        .get(format!("{}/_emulator/health", emulator.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
}

// Two workers: were the match to pin one, the client's own timeout would still fire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pathological_pattern_does_not_stall_the_emulator() {
    let emulator = emulator(Timing::instant()).await;
    let http = snapshots_runtime::http_client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let admin = format!("{}/_emulator/faults", emulator.base_url());
    let pattern = format!("/{}**b", "**a".repeat(12));
    let created = http
        .post(&admin)
        .json(&serde_json::json!({"path": pattern, "fault": {"kind": "server_error"}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    // A 60-character path that almost matches: answered (404, no fault), then the next.
    let url = format!("{}/{}", emulator.base_url(), "a".repeat(59));
    let answer = http.get(&url).send().await.expect("answered in time");
    assert_eq!(answer.status(), 404);
    let health = http
        .get(format!("{}/_emulator/health", emulator.base_url()))
        .send()
        .await
        .expect("answered in time");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn too_many_or_too_long_rules_are_refused_with_a_json_error() {
    let emulator = emulator(Timing::instant()).await;
    let http = snapshots_runtime::http_client_builder().build().unwrap();
    let admin = format!("{}/_emulator/faults", emulator.base_url());
    let long = format!(
        "/{}",
        "a".repeat(snapshot_emulator::faults::MAX_PATTERN_LEN)
    );
    let rules = [
        serde_json::json!({"path": long, "fault": {"kind": "server_error"}}),
        serde_json::json!(vec![
            serde_json::json!({"path": "/x", "fault": {"kind": "server_error"}});
            snapshot_emulator::faults::MAX_RULES + 1
        ]),
    ];
    for rule in rules {
        let refused = http.post(&admin).json(&rule).send().await.expect("sent");
        assert_eq!(refused.status(), 400);
        let json: serde_json::Value = refused.json().await.expect("a JSON body");
        assert!(json["error"].is_string(), "{json}");
    }
    assert!(emulator.faults().rules().is_empty());
}

#[tokio::test]
async fn huge_latencies_neither_panic_nor_block_other_paths() {
    let emulator = emulator(Timing::instant()).await;
    let slow = "/langstudio-gateway/GetSnapshot";
    let rules =
        vec![FaultRule::latency(Duration::MAX).path(slow); snapshot_emulator::faults::MAX_RULES];
    emulator.faults().add_all(rules).expect("valid");
    let key = emulator.config().credentials.dashscope_api_key.clone();
    let impatient = snapshots_runtime::http_client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    // The delayed request is still being served (a panicking worker closes the connection).
    let error = impatient
        .get(format!("{}{slow}", emulator.base_url()))
        .bearer_auth(&key)
        .send()
        .await
        .expect_err("the answer is an hour late");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(emulator.faults().rules()[0].fired, 1);
    let ok = impatient
        .get(format!(
            "{}/ListSnapshots",
            emulator.langstudio_gateway_url()
        ))
        .bearer_auth(&key)
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
}
