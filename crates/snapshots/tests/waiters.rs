//! `snapshots::wait` against wiremock on loopback: success after polls, failure with the
//! service's reason, timeout with the last status, unknown statuses kept, Graph OLAP progress
//! reported, and a poll error ending the wait. Poll intervals are a few milliseconds; nothing
//! asserts on time.

mod support;

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{json, Value};
use snapshots::wait::{self, WaitEvent};
use snapshots::Error;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const DSW_GET: &str = "/api/v2/instances/dsw-1/snapshots/snp-1";
const STUDIO_GET: &str = "/api/v1/langstudio/snapshots/s-1";
const OLAP_GET: &str = "/api/snapshots/7";
const OLAP_PROGRESS: &str = "/api/snapshots/7/progress";

const FAST: Duration = Duration::from_millis(5);

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Answers `first` for the first `times` requests to `route`, then `then`.
async fn sequence(server: &MockServer, route: &str, first: Value, times: u64, then: Value) {
    Mock::given(path(route))
        .respond_with(ok(first))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(path(route))
        .respond_with(ok(then))
        .with_priority(2)
        .mount(server)
        .await;
}

async fn hits(server: &MockServer, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == route)
        .count()
}

#[tokio::test]
async fn dsw_waits_while_pushing_and_returns_the_final_snapshot() {
    let server = MockServer::start().await;
    sequence(
        &server,
        DSW_GET,
        json!({"SnapshotId": "snp-1", "Status": "Pushing"}),
        2,
        json!({"SnapshotId": "snp-1", "Status": "Available", "ImageUrl": "registry/x:1"}),
    )
    .await;
    let client = support::client(&server);
    let mut polls = Vec::new();
    let snapshot = wait::until(pai_dsw::waiters::instance_snapshot(
        client.dsw().unwrap(),
        "dsw-1",
        "snp-1",
    ))
    .poll_interval(FAST)
    .wait_with(|poll| polls.push((poll.status.clone(), poll.attempt)))
    .await
    .unwrap();
    assert_eq!(snapshot.status.as_deref(), Some("Available"));
    assert_eq!(snapshot.image_url.as_deref(), Some("registry/x:1"));
    assert_eq!(
        polls,
        [("Pushing".to_owned(), 1), ("Pushing".to_owned(), 2)]
    );
    assert_eq!(hits(&server, DSW_GET).await, 3);
}

/// A status the spec does not list (`Queued`) is not success: the generated DSW waiter
/// keeps polling, reports it as unknown, and ends on `Available`.
#[tokio::test]
async fn dsw_keeps_waiting_on_an_unknown_status_then_succeeds() {
    let server = MockServer::start().await;
    sequence(
        &server,
        DSW_GET,
        json!({"SnapshotId": "snp-1", "Status": "Queued"}),
        2,
        json!({"SnapshotId": "snp-1", "Status": "Available"}),
    )
    .await;
    let client = support::client(&server);
    let mut polls = Vec::new();
    let snapshot = wait::until(pai_dsw::waiters::instance_snapshot(
        client.dsw().unwrap(),
        "dsw-1",
        "snp-1",
    ))
    .poll_interval(FAST)
    .wait_with(|poll| polls.push((poll.status.clone(), poll.known)))
    .await
    .unwrap();
    assert_eq!(snapshot.status.as_deref(), Some("Available"));
    assert_eq!(
        polls,
        [("Queued".to_owned(), false), ("Queued".to_owned(), false)]
    );
    assert_eq!(hits(&server, DSW_GET).await, 3);
}

#[tokio::test]
async fn dsw_failure_carries_reason_code_and_message() {
    let server = MockServer::start().await;
    sequence(
        &server,
        DSW_GET,
        json!({"Status": "Pushing"}),
        1,
        json!({"Status": "Failed", "ReasonCode": "ImagePushFailed", "ReasonMessage": "registry quota"}),
    )
    .await;
    let client = support::client(&server);
    let error = wait::until(pai_dsw::waiters::instance_snapshot(
        client.dsw().unwrap(),
        "dsw-1",
        "snp-1",
    ))
    .poll_interval(FAST)
    .await
    .unwrap_err();
    match &error {
        Error::WaitFailed {
            resource,
            status,
            code,
            message,
        } => {
            assert!(
                resource.contains("snp-1") && resource.contains("dsw-1"),
                "{resource}"
            );
            assert_eq!(status, "Failed");
            assert_eq!(code.as_deref(), Some("ImagePushFailed"));
            assert_eq!(message.as_deref(), Some("registry quota"));
        }
        other => panic!("expected WaitFailed, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("(ImagePushFailed): registry quota"),
        "{error}"
    );
}

#[tokio::test]
async fn dsw_times_out_with_the_last_status() {
    let server = MockServer::start().await;
    Mock::given(path(DSW_GET))
        .respond_with(ok(json!({"Status": "Pushing"})))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let error = wait::until(pai_dsw::waiters::instance_snapshot(
        client.dsw().unwrap(),
        "dsw-1",
        "snp-1",
    ))
    .poll_interval(FAST)
    .timeout(Duration::from_millis(60))
    .await
    .unwrap_err();
    match error {
        Error::WaitTimeout {
            last_status,
            waited,
            ..
        } => {
            assert_eq!(last_status.as_deref(), Some("Pushing"));
            assert!(waited >= Duration::from_millis(60));
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(
        hits(&server, DSW_GET).await >= 2,
        "it polled more than once"
    );
}

#[tokio::test]
async fn langstudio_succeeds_fails_and_keeps_unknown_statuses() {
    let server = MockServer::start().await;
    sequence(
        &server,
        STUDIO_GET,
        json!({"SnapshotId": "s-1", "SnapshotStatus": "Creating"}),
        1,
        json!({"SnapshotId": "s-1", "SnapshotStatus": "Success"}),
    )
    .await;
    let client = support::client(&server);
    let studio = client.langstudio().unwrap();
    let snapshot = wait::until(pai_langstudio::waiters::snapshot(studio, "s-1"))
        .poll_interval(FAST)
        .await
        .unwrap();
    assert_eq!(snapshot.snapshot_status.as_deref(), Some("Success"));

    server.reset().await;
    Mock::given(path(STUDIO_GET))
        .respond_with(ok(
            json!({"SnapshotStatus": "Failed", "ErrorMessage": "disk full"}),
        ))
        .mount(&server)
        .await;
    let error = wait::until(pai_langstudio::waiters::snapshot(studio, "s-1"))
        .poll_interval(FAST)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::WaitFailed { status, message, .. } if status == "Failed" && message.as_deref() == Some("disk full")),
        "{error:?}"
    );

    server.reset().await;
    Mock::given(path(STUDIO_GET))
        .respond_with(ok(json!({"SnapshotStatus": "Reticulating"})))
        .mount(&server)
        .await;
    let mut statuses = Vec::new();
    let error = wait::until(pai_langstudio::waiters::snapshot(studio, "s-1"))
        .poll_interval(FAST)
        .timeout(Duration::from_millis(30))
        .wait_with(|poll| statuses.push(poll.status.clone()))
        .await
        .unwrap_err();
    assert!(statuses.iter().all(|s| s == "Reticulating") && !statuses.is_empty());
    assert!(
        matches!(&error, Error::WaitTimeout { last_status: Some(s), .. } if s == "Reticulating"),
        "{error:?}"
    );
}

#[tokio::test]
async fn graph_olap_reports_progress_until_ready() {
    let server = MockServer::start().await;
    let snapshot =
        |status: &str| json!({"data": {"id": 7, "name": "s", "status": status}, "meta": null});
    Mock::given(path(OLAP_GET))
        .respond_with(ok(snapshot("pending")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(OLAP_GET))
        .respond_with(ok(snapshot("creating")))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path(OLAP_GET))
        .respond_with(ok(snapshot("ready")))
        .with_priority(3)
        .mount(&server)
        .await;
    let progress = |done: i64| {
        json!({"data": {"jobs_total": 4, "jobs_pending": 4 - done, "jobs_claimed": 0,
               "jobs_submitted": 0, "jobs_completed": done, "jobs_failed": 0, "jobs": []}})
    };
    sequence(&server, OLAP_PROGRESS, progress(0), 1, progress(2)).await;

    let client = support::client(&server);
    let events: Vec<_> = wait::until(graph_olap::waiters::snapshot(
        client.graph_olap().unwrap(),
        7,
    ))
    .poll_interval(FAST)
    .events()
    .try_collect()
    .await
    .unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    let polls: Vec<_> = events[..2]
        .iter()
        .map(|event| match event {
            WaitEvent::Waiting(poll) => {
                let p = poll.progress.as_ref().expect("progress while waiting");
                (poll.status.clone(), p.done, p.total)
            }
            other => panic!("expected Waiting, got {other:?}"),
        })
        .collect();
    assert_eq!(
        polls,
        [("pending".to_owned(), 0, 4), ("creating".to_owned(), 2, 4)]
    );
    match &events[2] {
        WaitEvent::Ready(snapshot) => assert_eq!(snapshot.id.to_string(), "7"),
        other => panic!("expected Ready, got {other:?}"),
    }
}

#[tokio::test]
async fn graph_olap_failed_and_cancelled_are_failures() {
    for status in ["failed", "cancelled"] {
        let server = MockServer::start().await;
        Mock::given(path(OLAP_GET))
            .respond_with(ok(
                json!({"data": {"id": 7, "status": status, "error_message": "export crashed"}}),
            ))
            .mount(&server)
            .await;
        let client = support::client(&server);
        let error = wait::until(graph_olap::waiters::snapshot(
            client.graph_olap().unwrap(),
            7,
        ))
        .poll_interval(FAST)
        .await
        .unwrap_err();
        assert!(
            matches!(&error, Error::WaitFailed { status: s, message, .. } if s == status && message.as_deref() == Some("export crashed")),
            "{error:?}"
        );
        assert_eq!(
            hits(&server, OLAP_PROGRESS).await,
            0,
            "no progress for a final status"
        );
    }
}

#[tokio::test]
async fn a_poll_error_ends_the_wait_with_that_error() {
    let server = MockServer::start().await;
    Mock::given(path(OLAP_GET))
        .respond_with(ResponseTemplate::new(404).insert_header("x-request-id", "req-404").set_body_json(
            json!({"error": {"code": "RESOURCE_NOT_FOUND", "message": "Snapshot 7 not found"}, "meta": {"request_id": null}}),
        ))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let error = wait::until(graph_olap::waiters::snapshot(
        client.graph_olap().unwrap(),
        7,
    ))
    .poll_interval(FAST)
    .await
    .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code(), Some("RESOURCE_NOT_FOUND"));
    assert_eq!(error.request_id(), Some("req-404"));
}
