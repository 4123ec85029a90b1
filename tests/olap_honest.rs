//! Issue 11 items 1, 2, 4, 6 against the recorded answers of the real Graph OLAP control
//! plane (`tests/fixtures/graph-olap-captures.jsonl` and `-2.jsonl`), served by wiremock on
//! loopback through the `snapshots` facade:
//!
//! - filters the server ignores (`created_after`, `created_before`, `mapping_version`) are
//!   never sent: refused on `.send()`/`.pages()` before any request, applied on the client
//!   by `.items()`; a `sort_by` the server ignores is refused before any request;
//! - field errors of every recorded 422 shape are in `ServiceError::field_errors()`;
//! - a listing whose pages repeat ids is de-duplicated, listed once more, then reported
//!   incomplete with the missing count;
//! - the in-use delete's 500 is one request and a conflict.

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{json, Value};
use snapshots::auth::Environment;
use snapshots::paginate::Paginate;
use snapshots::{Client, Error, RateLimiter, RetryConfig};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The recorded exchanges of one capture file, as JSON, one per line (line `n` at `n - 1`).
fn recorded(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The recorded response body of captures-2 line `line`.
fn body_of_line(line: usize) -> Value {
    recorded("graph-olap-captures-2.jsonl")[line - 1]["response_body"].clone()
}

/// A facade client for the mock server: the default retry policy (3 retries), quick.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .environment(Environment::default())
        .graph_olap_username("alice")
        .graph_olap_url(server.uri())
        .retry(RetryConfig::default().with_base_delay(Duration::from_millis(1)))
        .rate_limit(RateLimiter::unlimited())
        .build()
        .expect("client")
}

/// A server answering every `GET /api/snapshots` with the recorded unfiltered list of 7
/// (captures-2 line 14, the answer the real server gives whatever `created_after` says).
async fn seven_snapshots() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/snapshots"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body_of_line(14)))
        .mount(&server)
        .await;
    server
}

fn time(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a timestamp")
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn not_honoured(error: Error) -> String {
    match error {
        Error::NotHonoured { parameter, .. } => parameter,
        other => panic!("expected NotHonoured, got {other}"),
    }
}

/// Item 1: a single request carrying a filter the server ignores is refused, unsent.
#[tokio::test]
async fn ignored_filters_are_not_sent_on_a_single_request() {
    let server = seven_snapshots().await;
    let client = client(&server);
    let olap = client.graph_olap().expect("olap");
    let error = olap
        .list_snapshots()
        .created_after(time("2099-01-01T00:00:00Z"))
        .send()
        .await
        .map_err(Error::from)
        .expect_err("refused");
    let message = error.to_string();
    assert_eq!(not_honoured(error), "created_after");
    assert!(message.contains(".items()"), "{message}");
    let pages = olap.list_snapshots().mapping_version(2).pages();
    let error = pages.try_collect::<Vec<_>>().await.expect_err("refused");
    assert_eq!(not_honoured(error), "mapping_version");
    let error = olap
        .list_snapshots()
        .sort_by(graph_olap::types::SnapshotSortBy::Status)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("refused");
    assert_eq!(not_honoured(error), "sort_by");
    assert!(requests(&server).await.is_empty(), "nothing was sent");
}

/// Item 1: `.items()` does not send them and filters the recorded list itself.
#[tokio::test]
async fn ignored_filters_are_applied_by_items() {
    let server = seven_snapshots().await;
    let client = client(&server);
    let olap = client.graph_olap().expect("olap");
    let ids = |items: Vec<graph_olap::types::Snapshot>| -> Vec<String> {
        items.iter().map(|s| format!("{}", s.id)).collect()
    };
    let after = olap
        .list_snapshots()
        .created_after(time("2026-12-01T10:35:55Z"))
        .sort_by(graph_olap::types::SnapshotSortBy::CreatedAt)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect("listed");
    assert_eq!(ids(after), ["7", "6", "5"]);
    let window = olap
        .list_snapshots()
        .created_after(time("2026-12-01T10:35:51Z"))
        .created_before(time("2026-12-01T10:35:54Z"))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect("listed");
    assert_eq!(ids(window), ["4", "3", "2"]);
    let none = olap
        .list_snapshots()
        .mapping_version(2)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect("listed");
    assert!(
        none.is_empty(),
        "every recorded snapshot has mapping_version 1"
    );
    for request in requests(&server).await {
        let query = request.url.query().unwrap_or_default().to_owned();
        for ignored in ["created_after", "created_before", "mapping_version"] {
            assert!(!query.contains(ignored), "{ignored} was sent: {query}");
        }
    }
}

/// Item 2: every recorded 422 lists its field errors, in order, with message and type.
#[test]
fn field_errors_of_every_recorded_shape() {
    let mut checked = 0;
    for file in ["graph-olap-captures.jsonl", "graph-olap-captures-2.jsonl"] {
        for exchange in recorded(file) {
            let status = exchange["status"].as_u64().unwrap_or_default() as u16;
            let expected = exchange
                .pointer("/response_body/error/details/errors")
                .cloned();
            let Some(Value::Array(expected)) = expected else {
                continue;
            };
            let error = service_error(status, exchange["response_body"].clone());
            let service = error.service().expect("a service error");
            let found = service.field_errors();
            assert_eq!(found.len(), expected.len(), "{}", exchange["path"]);
            for (got, want) in found.iter().zip(&expected) {
                assert_eq!(Some(got.location.as_str()), want["field"].as_str());
                assert_eq!(got.message.as_deref(), want["message"].as_str());
                assert_eq!(got.kind.as_deref(), want["type"].as_str());
                assert!(error.to_string().contains(&got.location), "{error}");
            }
            assert!(format!("{error:?}").contains("field_errors"));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} recorded validation errors");
}

/// Item 2: the admin routes' 400 names one field in `details.field` (spec notes).
#[test]
fn the_admin_400_shape_names_its_field() {
    let body = json!({"error": {"code": "VALIDATION_FAILED", "message": "Invalid role",
                                "details": {"field": "role"}}, "meta": {"request_id": "r"}});
    let error = service_error(400, body);
    let fields = error.service().expect("service").field_errors();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].location, "role");
    assert_eq!(fields[0].message.as_deref(), Some("Invalid role"));
}

fn service_error(status: u16, body: Value) -> Error {
    let body: graph_olap::types::ErrorBody = serde_json::from_value(body).expect("ErrorBody");
    let status = reqwest::StatusCode::from_u16(status).expect("status");
    let response = graph_olap::ResponseValue::new(body, status, Default::default());
    Error::from(graph_olap::Error::ErrorResponse(response))
}

/// Item 4: the recorded pages of 3 (captures-2 lines 29-31), the second one repeating an id
/// of the first in place of another (ties ordered differently per page).
async fn paged(repeat: bool) -> MockServer {
    let server = MockServer::start().await;
    for (line, offset) in [(29, "0"), (30, "3"), (31, "6")] {
        let mut body = body_of_line(line);
        if repeat && offset == "3" {
            body["data"][0] = body_of_line(29)["data"][2].clone();
        }
        Mock::given(method("GET"))
            .and(path("/api/snapshots"))
            .and(query_param("offset", offset))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/snapshots"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body_of_line(29)))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_stable_listing_is_unchanged() {
    let server = paged(false).await;
    let client = client(&server);
    let limit = snapshots::validate::graph_olap_limit(3).expect("limit");
    let items: Vec<_> = client
        .graph_olap()
        .expect("olap")
        .list_snapshots()
        .limit(limit)
        .items()
        .try_collect()
        .await
        .expect("listed");
    assert_eq!(items.len(), 7);
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn repeated_ids_are_dropped_and_the_shortfall_reported() {
    let server = paged(true).await;
    let client = client(&server);
    let limit = snapshots::validate::graph_olap_limit(3).expect("limit");
    let mut stream = client
        .graph_olap()
        .expect("olap")
        .list_snapshots()
        .limit(limit)
        .items();
    let mut ids = Vec::new();
    let error = loop {
        match stream.try_next().await {
            Ok(Some(item)) => ids.push(item.id.to_string()),
            Ok(None) => panic!("no error after {ids:?}"),
            Err(error) => break error,
        }
    };
    assert_eq!(ids, ["7", "6", "5", "3", "2", "1"], "each id once");
    match error {
        Error::IncompleteListing {
            expected: 7,
            seen: 6,
            missing: 1,
            ..
        } => {}
        other => panic!("{other}"),
    }
    assert_eq!(requests(&server).await.len(), 6, "listed exactly twice");
}

/// Item 6: the recorded 500 of the in-use delete (captures-2 line 106) is one request and
/// a conflict; another 500 on the same operation is still retried.
#[tokio::test]
async fn the_in_use_delete_is_a_conflict_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/snapshots/8"))
        .respond_with(ResponseTemplate::new(500).set_body_json(body_of_line(106)))
        .mount(&server)
        .await;
    let facade = client(&server);
    let olap = facade.graph_olap().expect("olap");
    let error = Error::from(
        olap.delete_snapshot()
            .snapshot_id(8)
            .send()
            .await
            .expect_err("500"),
    );
    assert!(error.is_conflict(), "{error}");
    assert!(!error.is_retryable(), "{error}");
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.code(), Some("INTERNAL_ERROR"));
    assert_eq!(requests(&server).await.len(), 1, "exactly one request");

    let other = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"code": "INTERNAL_ERROR", "message": "database unavailable"}}),
        ))
        .mount(&other)
        .await;
    let error = Error::from(
        client(&other)
            .graph_olap()
            .expect("olap")
            .delete_snapshot()
            .snapshot_id("snapshot-uuid")
            .send()
            .await
            .expect_err("500"),
    );
    assert!(!error.is_conflict() && error.is_retryable(), "{error}");
    assert_eq!(requests(&other).await.len(), 4, "retried as before");
}
