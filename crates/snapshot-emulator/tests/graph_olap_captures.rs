//! Replays the request side of the exchanges recorded from the real Graph OLAP control
//! plane (`tests/fixtures/graph-olap-captures.jsonl`, 59 exchanges, and
//! `tests/fixtures/graph-olap-captures-2.jsonl`, 117, at the workspace root), each file in
//! order against a fresh emulator set up as the recordings were made
//! (`Config::as_recorded()`: only the `system` user, snapshots move only through the internal
//! routes, the instance job picks an instance up after 5 s but none runs on its own, 500 on
//! deleting a referenced snapshot), on a clock that follows the recorded `date` headers.
//! Every answer must have the recorded status and the recorded body, member for member,
//! except the values that cannot repeat: timestamps and error request ids (their presence
//! and type are still compared). The requests create their own fixtures (users, mappings,
//! snapshots), as they did when recorded, so no exchange is skipped.

use chrono::{DateTime, Utc};
use serde_json::Value;
use snapshot_emulator::graph_olap::{router, Clock, Config};

const CAPTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/graph-olap-captures.jsonl"
));

const CAPTURES_2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/graph-olap-captures-2.jsonl"
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
    "last_activity_at",
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
    assert_replays(CAPTURES, 59).await;
}

#[tokio::test]
async fn every_request_of_the_second_recording_gets_the_recorded_answer() {
    assert_replays(CAPTURES_2, 117).await;
}

/// Replays every exchange of `captures` in order against a fresh emulator and fails with
/// every mismatch (one line each) unless all `expected` exchanges answered as recorded.
async fn assert_replays(captures: &str, expected: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    // The server's clock follows the recorded `date` headers (whole seconds), so that the
    // instance job's pickup happens where it did, and ties in `created_at` (one-second
    // precision upstream) order by id or name, whatever second boundary a real clock
    // would cross.
    let start = recorded_date(captures.lines().next().expect("an exchange"));
    let clock = Clock::manual(start);
    let config = Config {
        clock: clock.clone(),
        ..Config::as_recorded()
    };
    tokio::spawn(async move { axum::serve(listener, router(config)).await });
    let http = snapshots_runtime::http_client_builder().build().unwrap();
    let mut mismatches = Vec::new();
    let mut replayed = 0;
    for (index, line) in captures.lines().enumerate() {
        let capture: Value = serde_json::from_str(line).expect("a capture");
        let behind = recorded_date(line) - clock.now();
        clock.advance(behind.to_std().unwrap_or_default());
        if let Err(mismatch) = exchange(&http, &url, &capture).await {
            mismatches.push(format!("#{index} {mismatch}"));
        }
        replayed += 1;
    }
    assert_eq!(replayed, expected);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

/// The recorded response's `date` header.
fn recorded_date(line: &str) -> DateTime<Utc> {
    let capture: Value = serde_json::from_str(line).expect("a capture");
    let date = capture["response_headers"]["date"]
        .as_str()
        .expect("a date header");
    DateTime::parse_from_rfc2822(date)
        .expect("an HTTP date")
        .with_timezone(&Utc)
}

/// Sends one recorded request; `Err` describes how the answer differs from the recording.
async fn exchange(http: &reqwest::Client, url: &str, capture: &Value) -> Result<(), String> {
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
        serde_json::from_str(&text)
            .map_err(|e| format!("{method} {path}: not JSON ({e}): {text}"))?
    };
    let what = format!("{method} {path} ({})", capture["note"]);
    let recorded = capture["status"].as_u64().unwrap_or_default();
    if u64::from(status) != recorded {
        return Err(format!(
            "{what}: status {status}, recorded {recorded}: {body}"
        ));
    }
    if comparable(&body) != comparable(&capture["response_body"]) {
        return Err(format!(
            "{what}:\n  got      {}\n  recorded {}",
            comparable(&body),
            comparable(&capture["response_body"])
        ));
    }
    let header_id = request_id.as_ref().and_then(|v| v.to_str().ok());
    if header_id.is_none() {
        return Err(format!("{what}: no x-request-id"));
    }
    // An error envelope carries the header's id in `meta.request_id`.
    match body.pointer("/meta/request_id").and_then(Value::as_str) {
        Some(id) if Some(id) != header_id => Err(format!("{what}: meta.request_id {id}")),
        _ => Ok(()),
    }
}
