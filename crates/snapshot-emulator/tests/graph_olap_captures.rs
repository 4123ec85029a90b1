//! Replays the request side of the 59 exchanges recorded from the real Graph OLAP control
//! plane (`tests/fixtures/graph-olap-captures.jsonl` at the workspace root), in order,
//! against the emulator set up as the recordings were made (`Config::as_recorded()`: only
//! the `system` user, nothing moving on its own, 500 on deleting a referenced snapshot).
//! Every answer must have the recorded status and the recorded body, member for member,
//! except the values that cannot repeat: timestamps and error request ids (their presence
//! and type are still compared). The requests create their own fixtures (users, mappings,
//! snapshots), as they did when recorded, so no exchange is skipped.

use serde_json::Value;
use snapshot_emulator::graph_olap::{router, Config};

const CAPTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/graph-olap-captures.jsonl"
));

/// Members whose values are times of the run.
const TIMES: &[&str] = &[
    "created_at",
    "updated_at",
    "expires_at",
    "started_at",
    "last_login_at",
    "last_used_at",
    "version_created_at",
];

/// Replaces run-specific values by a marker of their presence and type.
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, member)| {
                    let volatile = TIMES.contains(&key.as_str()) || key == "request_id";
                    let member = match member {
                        Value::String(_) if volatile => Value::String(format!("<{key}>")),
                        other => comparable(other),
                    };
                    (key.clone(), member)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_recorded_request_gets_the_recorded_answer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router(Config::as_recorded())).await });
    let http = reqwest::Client::new();

    let mut replayed = 0;
    for (index, line) in CAPTURES.lines().enumerate() {
        let capture: Value = serde_json::from_str(line).expect("a capture");
        let method: reqwest::Method = capture["method"]
            .as_str()
            .and_then(|m| m.parse().ok())
            .expect("a method");
        let path = capture["path"].as_str().expect("a path");
        let mut request = http.request(method.clone(), format!("{url}{path}"));
        if let Some(headers) = capture["request_headers"].as_object() {
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str().unwrap_or_default());
            }
        }
        if !capture["request_body"].is_null() {
            request = request.body(capture["request_body"].to_string());
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let request_id = response.headers().get("x-request-id").cloned();
        let text = response.text().await.expect("a body");
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("a JSON body")
        };

        let what = format!("#{index} {method} {path} ({})", capture["note"]);
        assert_eq!(
            status,
            capture["status"].as_u64().unwrap_or_default() as u16,
            "{what}: {body}"
        );
        assert_eq!(
            comparable(&body),
            comparable(&capture["response_body"]),
            "{what}"
        );
        assert!(request_id.is_some(), "{what}: x-request-id");
        // An error envelope carries the header's id in `meta.request_id`.
        if let Some(id) = body.pointer("/meta/request_id").and_then(Value::as_str) {
            assert_eq!(
                request_id.as_ref().and_then(|v| v.to_str().ok()),
                Some(id),
                "{what}"
            );
        }
        replayed += 1;
    }
    assert_eq!(replayed, 59);
}
