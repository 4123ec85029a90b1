//! The 59 exchanges recorded from the real Graph OLAP control plane
//! (`tests/fixtures/graph-olap-captures.jsonl`, copied from `shared/graph-olap-captures/`):
//! each response, replayed by a mock server, is decoded by the generated client for its
//! operation and status: successes into the success type, documented errors (all three
//! error shapes) into `ErrorBody`, the bodiless 204 into `()`. Decoding must lose nothing:
//! the decoded value re-encodes to the recorded body (nulls aside).

use contract_tests::{captures, without_nulls, Capture};
use graph_olap::{types, Client, Error, ResponseValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use snapshots_runtime::Runtime;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the client made of a response.
#[derive(Debug)]
enum Outcome {
    /// A documented success, re-encoded.
    Success {
        status: u16,
        body: Value,
        request_id: Option<String>,
    },
    /// A documented error, decoded into `ErrorBody` and re-encoded.
    Failure {
        status: u16,
        body: Value,
        request_id: Option<String>,
    },
    /// Anything else (undocumented status, undecodable body...).
    Other(String),
}

fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn outcome<T: Serialize>(result: Result<ResponseValue<T>, Error<types::ErrorBody>>) -> Outcome {
    match result {
        Ok(value) => Outcome::Success {
            status: value.status().as_u16(),
            request_id: request_id(value.headers()),
            body: serde_json::to_value(value.into_inner()).expect("encodes"),
        },
        Err(Error::ErrorResponse(value)) => Outcome::Failure {
            status: value.status().as_u16(),
            request_id: request_id(value.headers()),
            body: serde_json::to_value(value.into_inner()).expect("encodes"),
        },
        // An answer the spec declares a conflict (`x-conflicts`: the in-use delete's 500)
        // comes back from the runtime unretried, status, headers and body kept.
        Err(Error::CommunicationError(e)) => match snapshots_runtime::Failure::find(&e) {
            Some(snapshots_runtime::Failure::DeclaredConflict {
                status,
                headers,
                body,
                ..
            }) => match serde_json::from_slice::<types::ErrorBody>(body) {
                Ok(decoded) => Outcome::Failure {
                    status: *status,
                    request_id: request_id(headers),
                    body: serde_json::to_value(decoded).expect("encodes"),
                },
                Err(e) => Outcome::Other(format!("declared conflict body: {e}")),
            },
            _ => Outcome::Other(e.to_string()),
        },
        Err(other) => Outcome::Other(other.to_string()),
    }
}

/// The captured request body as `T`, or `fallback` when the capture sent an invalid body on
/// purpose (the typed client cannot send it; the mock answers the same either way).
fn body_or<T: DeserializeOwned>(capture: &Capture, fallback: Value) -> T {
    capture
        .request_body
        .clone()
        .and_then(|b| serde_json::from_value(b).ok())
        .unwrap_or_else(|| serde_json::from_value(fallback).expect("the fallback body is valid"))
}

fn id(segment: &str) -> types::ResourceId {
    segment
        .parse::<i64>()
        .map(types::ResourceId::from)
        .unwrap_or_else(|_| types::ResourceId::String(segment.into()))
}

/// Calls the operation the capture exercised, sending what the typed client can send of
/// the captured request.
async fn call(client: &Client, capture: &Capture) -> Outcome {
    let (path, query) = capture
        .path
        .split_once('?')
        .unwrap_or((capture.path.as_str(), ""));
    let query: Vec<(String, String)> = url_pairs(query);
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (capture.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "users", "bootstrap"]) => {
            let body: types::CreateUserRequest = body_or(capture, json!({}));
            outcome(client.bootstrap_user().body(body).send().await)
        }
        ("POST", ["api", "users"]) => {
            let fallback =
                json!({"username": "carol", "email": "carol@example.com", "display_name": "Carol"});
            outcome(
                client
                    .create_user()
                    .body(body_or::<types::CreateUserRequest>(capture, fallback))
                    .send()
                    .await,
            )
        }
        ("POST", ["api", "mappings"]) => {
            let body: types::CreateMappingRequest = body_or(capture, json!({}));
            outcome(client.create_mapping().body(body).send().await)
        }
        ("GET", ["api", "snapshots"]) => {
            let mut call = client.list_snapshots();
            if let Some(v) = q("mapping_id") {
                call = call.mapping_id(id(&v));
            }
            if let Some(v) = q("status").and_then(|v| v.parse::<types::SnapshotStatus>().ok()) {
                call = call.status(v);
            }
            if let Some(v) = q("owner") {
                call = call.owner(v);
            }
            if let Some(v) = q("sort_by").and_then(|v| v.parse::<types::SnapshotSortBy>().ok()) {
                call = call.sort_by(v);
            }
            if let Some(v) = q("sort_order").and_then(|v| v.parse::<types::SortOrder>().ok()) {
                call = call.sort_order(v);
            }
            if let Some(v) = q("limit").and_then(|v| v.parse::<u64>().ok()) {
                call = call.limit(v);
            }
            if let Some(v) = q("offset").and_then(|v| v.parse::<u64>().ok()) {
                call = call.offset(v);
            }
            outcome(call.send().await)
        }
        ("POST", ["api", "snapshots"]) => {
            let body: types::CreateSnapshotRequest =
                body_or(capture, json!({"mapping_id": 1, "name": "Snap"}));
            outcome(client.create_snapshot().body(body).send().await)
        }
        ("GET", ["api", "snapshots", s]) => {
            outcome(client.get_snapshot().snapshot_id(id(s)).send().await)
        }
        ("PUT", ["api", "snapshots", s]) => {
            let body: types::UpdateSnapshotRequest = body_or(capture, json!({}));
            outcome(
                client
                    .update_snapshot()
                    .snapshot_id(id(s))
                    .body(body)
                    .send()
                    .await,
            )
        }
        ("DELETE", ["api", "snapshots", s]) => {
            outcome(client.delete_snapshot().snapshot_id(id(s)).send().await)
        }
        ("PUT", ["api", "snapshots", s, "lifecycle"]) => {
            let body: types::UpdateLifecycleRequest = body_or(capture, json!({}));
            outcome(
                client
                    .update_snapshot_lifecycle()
                    .snapshot_id(id(s))
                    .body(body)
                    .send()
                    .await,
            )
        }
        ("GET", ["api", "snapshots", s, "progress"]) => outcome(
            client
                .get_snapshot_progress()
                .snapshot_id(id(s))
                .send()
                .await,
        ),
        ("POST", ["api", "snapshots", s, "retry"]) => {
            outcome(client.retry_snapshot().snapshot_id(id(s)).send().await)
        }
        ("PATCH", ["api", "internal", "snapshots", s, "status"]) => {
            let body: types::UpdateSnapshotStatusRequest =
                body_or(capture, json!({"status": "ready"}));
            outcome(
                client
                    .update_snapshot_status()
                    .snapshot_id(id(s))
                    .body(body)
                    .send()
                    .await,
            )
        }
        ("POST", ["api", "instances"]) => {
            let fallback = json!({"mapping_id": 1, "name": "Inst", "wrapper_type": "ryugraph"});
            outcome(
                client
                    .create_instance()
                    .body(body_or::<types::CreateInstanceRequest>(capture, fallback))
                    .send()
                    .await,
            )
        }
        ("GET", ["api", "instances"]) => outcome(client.list_instances().send().await),
        ("GET", ["api", "instances", i]) => {
            outcome(client.get_instance().instance_id(id(i)).send().await)
        }
        (method, _) => Outcome::Other(format!("no operation for {method} {path}")),
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

async fn replay(capture: &Capture) -> Outcome {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(capture.status);
    for (name, value) in &capture.response_headers {
        // The mock sets its own framing headers.
        if !["content-length", "date", "server"].contains(&name.as_str()) {
            response = response.insert_header(name.as_str(), value.as_str().unwrap_or_default());
        }
    }
    if !capture.response_body.is_null() {
        response = response.set_body_raw(capture.response_body.to_string(), "application/json");
    }
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    call(&client, capture).await
}

#[tokio::test]
async fn every_recorded_response_decodes_for_its_operation_and_status() {
    let captures = captures();
    assert_eq!(
        captures.len(),
        59,
        "the fixture holds the 59 recorded exchanges"
    );
    let mut problems = Vec::new();
    let (mut successes, mut failures) = (0, 0);
    for (line, capture) in captures.iter().enumerate() {
        let what = format!(
            "line {}: {} {} -> {}",
            line + 1,
            capture.method,
            capture.path,
            capture.status
        );
        let recorded_id = capture
            .response_headers
            .get("x-request-id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let expected_body = without_nulls(&capture.response_body);
        match replay(capture).await {
            Outcome::Success {
                status,
                body,
                request_id,
            } if (200..300).contains(&capture.status) => {
                successes += 1;
                if status != capture.status
                    || without_nulls(&body) != expected_body
                    || request_id != recorded_id
                {
                    problems.push(format!(
                        "{what}: decoded as {body} (request id {request_id:?})"
                    ));
                }
            }
            Outcome::Failure {
                status,
                body,
                request_id,
            } if capture.status >= 400 => {
                failures += 1;
                if status != capture.status
                    || without_nulls(&body) != expected_body
                    || request_id != recorded_id
                {
                    problems.push(format!(
                        "{what}: decoded as {body} (request id {request_id:?})"
                    ));
                }
            }
            Outcome::Other(reason) => problems.push(format!("{what}: {reason}")),
            wrong => problems.push(format!("{what}: success and error swapped: {wrong:?}")),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of 59 exchanges not decoded faithfully:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(successes + failures, 59);
}

/// All three error shapes of the recordings come out as distinct `ErrorBody` variants.
#[test]
fn the_three_error_shapes_are_told_apart() {
    let mut shapes = std::collections::BTreeSet::new();
    for capture in captures().iter().filter(|c| c.status >= 400) {
        let body: types::ErrorBody = serde_json::from_value(capture.response_body.clone())
            .unwrap_or_else(|e| panic!("{} {}: {e}", capture.method, capture.path));
        shapes.insert(match body {
            types::ErrorBody::ErrorEnvelope(_) => "error envelope",
            types::ErrorBody::DetailEnvelope(d) => match d.detail {
                types::Detail::Object(_) => "detail object",
                types::Detail::Text(_) => "detail text",
            },
        });
    }
    assert_eq!(shapes.len(), 3, "{shapes:?}");
}
