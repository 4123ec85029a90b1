//! Every API answers a body it cannot take in its own JSON error shape: a body too large, a
//! body with a non-JSON content type and malformed JSON, on DSW, LangStudio (ROA and
//! gateway), Graph OLAP and the emulator's admin routes.

mod emulator_support;

use emulator_support::*;
use reqwest::header::CONTENT_TYPE;
use snapshot_emulator::Timing;

/// Larger than the 1 MiB limit and than axum's default 2 MB.
fn too_large() -> Vec<u8> {
    let mut body = b"{\"SnapshotName\":\"".to_vec();
    body.resize(2 * 1024 * 1024 + 1, b'a');
    body
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `{Code, Message, RequestId, ...}`.
    Alibaba,
    /// `{"error": {"code", "message"}, "meta": {"request_id"}}`.
    GraphOlap,
    /// `{"error": "text"}`.
    Admin,
}

/// Sends `body` with `content_type` and checks the status, the JSON shape and the code.
async fn check(
    request: reqwest::RequestBuilder,
    body: Vec<u8>,
    content_type: &str,
    (status, shape, code): (u16, Shape, &str),
) {
    let response = request
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), status);
    let declared = response.headers()[CONTENT_TYPE]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(declared.starts_with("application/json"), "{declared}");
    let json: serde_json::Value = response.json().await.expect("a JSON body");
    match shape {
        Shape::Alibaba => {
            assert_eq!(json["Code"], code, "{json}");
            assert!(
                json["Message"].is_string() && json["RequestId"].is_string(),
                "{json}"
            );
        }
        Shape::GraphOlap => {
            assert_eq!(json["error"]["code"], code, "{json}");
            assert!(json["error"]["message"].is_string(), "{json}");
            assert!(json["meta"]["request_id"].is_string(), "{json}");
        }
        Shape::Admin => assert!(json["error"].is_string(), "{json}"),
    }
}

/// Each route and what it answers to (too large, not JSON, malformed).
type Case = (reqwest::RequestBuilder, [(u16, Shape, &'static str); 3]);

fn cases(emulator: &snapshot_emulator::RunningEmulator) -> Vec<(&'static str, Case)> {
    let http = http();
    let creds = &emulator.config().credentials;
    let bearer = |request: reqwest::RequestBuilder| {
        request
            .header("x-acs-bearer-token", &creds.alibaba_bearer_token)
            .header("x-acs-signature-type", "BEARERTOKEN")
    };
    let alibaba = |bad: &'static str| {
        [
            (413, Shape::Alibaba, "RequestBodyTooLarge"),
            (400, Shape::Alibaba, "InvalidParameter"),
            (400, Shape::Alibaba, bad),
        ]
    };
    let dsw = format!(
        "{}/api/v2/instances/{INSTANCE}/snapshots",
        emulator.dsw_url()
    );
    let roa = format!("{}/api/v1/langstudio/snapshots", emulator.langstudio_url());
    let gateway = format!("{}/CreateSnapshot", emulator.langstudio_gateway_url());
    let graph = format!("{}/api/snapshots", emulator.graph_olap_url());
    let admin = format!("{}/_emulator/faults", emulator.base_url());
    vec![
        ("dsw", (bearer(http.post(dsw)), alibaba("ValidationError"))),
        ("roa", (bearer(http.post(roa)), alibaba("InvalidParameter"))),
        (
            "gateway",
            (
                http.post(gateway).bearer_auth(&creds.dashscope_api_key),
                alibaba("InvalidParameter"),
            ),
        ),
        (
            "graph-olap",
            (
                http.post(graph).header("x-username", "demo"),
                [
                    (413, Shape::GraphOlap, "INVALID_REQUEST"),
                    (422, Shape::GraphOlap, "VALIDATION_FAILED"),
                    (422, Shape::GraphOlap, "VALIDATION_FAILED"),
                ],
            ),
        ),
        (
            "admin",
            (
                http.post(admin),
                [
                    (413, Shape::Admin, ""),
                    (415, Shape::Admin, ""),
                    (400, Shape::Admin, ""),
                ],
            ),
        ),
    ]
}

/// Checks the three bad bodies on the route `name`.
async fn bad_bodies(name: &str) {
    let emulator = emulator(Timing::instant()).await;
    let Some((_, (request, [large, text, malformed]))) =
        cases(&emulator).into_iter().find(|(n, _)| *n == name)
    else {
        panic!("no case {name}");
    };
    let again = || request.try_clone().expect("no streaming body");
    check(again(), too_large(), "application/json", large).await;
    check(again(), b"{\"a\":1}".to_vec(), "text/plain", text).await;
    check(again(), b"{\"a\":".to_vec(), "application/json", malformed).await;
}

#[tokio::test]
async fn dsw_bad_bodies() {
    bad_bodies("dsw").await;
}

#[tokio::test]
async fn langstudio_roa_bad_bodies() {
    bad_bodies("roa").await;
}

#[tokio::test]
async fn langstudio_gateway_bad_bodies() {
    bad_bodies("gateway").await;
}

#[tokio::test]
async fn graph_olap_bad_bodies() {
    bad_bodies("graph-olap").await;
}

#[tokio::test]
async fn admin_bad_bodies() {
    bad_bodies("admin").await;
}
