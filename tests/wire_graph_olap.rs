//! Graph OLAP control-plane wire contract: for every operation, the generated client sends
//! the method, path, query parameter names and JSON body member names that seed 004 (and,
//! for the instance, user and mapping operations, the recorded exchanges) show, under the
//! `/api` prefix the running code serves, and decodes the documented response.
//!
//! The expected names are written out here by hand from the seed and the recordings, not
//! read from the spec.

use contract_tests::{answering, example, names, the_request};
use graph_olap::{types, Client};
use serde_json::json;
use snapshots_runtime::Runtime;

/// The first recorded exchange with this method, path and status.
fn recorded(method: &str, path: &str, status: u16) -> contract_tests::Capture {
    contract_tests::captures()
        .into_iter()
        .find(|c| c.method == method && c.path == path && c.status == status)
        .unwrap_or_else(|| panic!("no recorded {method} {path} {status}"))
}

fn snapshot_envelope() -> serde_json::Value {
    example("graph-olap/get_snapshot.200.json")
}

/// The seed's `created_after`, `created_before` and `mapping_version`, which the real server
/// ignores (captures-2 lines 15-18), are never sent by a single request: refused before
/// sending (`.items()` applies them on the client; see `olap_honest.rs`).
#[tokio::test]
async fn list_snapshots_refuses_the_filters_the_server_ignores() {
    let server = answering(200, Some(&example("graph-olap/list_snapshots.200.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let after: chrono::DateTime<chrono::Utc> = "2025-01-01T00:00:00Z".parse().expect("a timestamp");
    let requests = [
        (
            "mapping_version",
            client.list_snapshots().mapping_version(3u64),
        ),
        (
            "created_after",
            client.list_snapshots().created_after(after),
        ),
        (
            "created_before",
            client.list_snapshots().created_before(after),
        ),
        (
            "sort_by",
            client
                .list_snapshots()
                .sort_by(types::SnapshotSortBy::Status),
        ),
    ];
    for (name, request) in requests {
        let error = snapshots::Error::from(request.send().await.expect_err("refused"));
        match error {
            snapshots::Error::NotHonoured { parameter, .. } => assert_eq!(parameter, name),
            other => panic!("{name}: {other}"),
        }
    }
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn list_snapshots_sends_every_filter_the_server_honours() {
    let server = answering(200, Some(&example("graph-olap/list_snapshots.200.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let page = client
        .list_snapshots()
        .mapping_id(types::ResourceId::String("mapping-uuid".into()))
        .owner("alice.smith")
        .status(types::SnapshotStatus::Ready)
        .search("January")
        .sort_by(types::SnapshotSortBy::CreatedAt)
        .sort_order(types::SortOrder::Desc)
        .offset(0)
        .limit(50u64)
        .send()
        .await
        .expect("documented 200 decodes")
        .into_inner();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.meta.total, 15);

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("GET", "/api/snapshots"));
    assert_eq!(
        sent.query,
        names(&[
            "limit",
            "mapping_id",
            "offset",
            "owner",
            "search",
            "sort_by",
            "sort_order",
            "status",
        ])
    );
    assert_eq!(sent.body, None);
    for pair in [
        ("status", "ready"),
        ("sort_order", "desc"),
        ("sort_by", "created_at"),
        ("limit", "50"),
    ] {
        assert!(
            sent.query_pairs.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} in {:?}",
            sent.query_pairs
        );
    }
}

#[tokio::test]
async fn get_snapshot() {
    let server = answering(200, Some(&snapshot_envelope())).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let snapshot = client
        .get_snapshot()
        .snapshot_id(7)
        .send()
        .await
        .expect("documented 200 decodes")
        .into_inner();
    assert_eq!(
        snapshot.data.id,
        types::ResourceId::String("snapshot-uuid".into())
    );
    assert_eq!(snapshot.data.instances.len(), 1);

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("GET", "/api/snapshots/7"));
    assert_eq!((sent.query, sent.body), (names(&[]), None));
}

#[tokio::test]
async fn create_snapshot_sends_the_seed_body() {
    let server = answering(201, Some(&example("graph-olap/create_snapshot.201.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::CreateSnapshotRequest =
        serde_json::from_value(example("graph-olap/create_snapshot.request.json"))
            .expect("the seed body is valid");
    let created = client
        .create_snapshot()
        .body(body)
        .send()
        .await
        .expect("documented 201 decodes")
        .into_inner();
    assert_eq!(
        created.data.status,
        Some(types::SnapshotStatusValue::SnapshotStatus(
            types::SnapshotStatus::Pending
        ))
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("POST", "/api/snapshots"));
    assert_eq!(sent.query, names(&[]));
    assert_eq!(
        sent.body,
        Some(names(&[
            "description",
            "inactivity_timeout",
            "mapping_id",
            "name",
            "ttl",
            "version"
        ]))
    );
}

#[tokio::test]
async fn update_snapshot_sends_name_and_description() {
    let server = answering(200, Some(&example("graph-olap/update_snapshot.200.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::UpdateSnapshotRequest =
        serde_json::from_value(example("graph-olap/update_snapshot.request.json"))
            .expect("the seed body is valid");
    client
        .update_snapshot()
        .snapshot_id(1)
        .body(body)
        .send()
        .await
        .expect("documented 200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("PUT", "/api/snapshots/1"));
    assert_eq!(sent.body, Some(names(&["description", "name"])));
}

#[tokio::test]
async fn delete_snapshot_succeeds_on_the_seed_200_and_the_code_204() {
    for (status, body) in [
        (200, Some(example("graph-olap/delete_snapshot.200.json"))),
        (204, None),
    ] {
        let server = answering(status, body.as_ref()).await;
        let client = Client::new(&server.uri(), Runtime::passthrough());
        let response = client.delete_snapshot().snapshot_id(1).send().await;
        assert_eq!(response.expect("deleted").status().as_u16(), status);
        let sent = the_request(&server).await;
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str(), sent.body),
            ("DELETE", "/api/snapshots/1", None)
        );
    }
}

#[tokio::test]
async fn delete_snapshot_409_decodes_the_seed_error() {
    let server = answering(409, Some(&example("graph-olap/delete_snapshot.409.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    match client.delete_snapshot().snapshot_id(1).send().await {
        Err(graph_olap::Error::ErrorResponse(response)) => match response.into_inner() {
            types::ErrorBody::ErrorEnvelope(envelope) => {
                assert_eq!(
                    envelope.error.code,
                    types::ErrorCodeValue::ErrorCode(types::ErrorCode::ResourceHasDependencies)
                );
                assert_eq!(
                    envelope.error.details.get("active_instance_count"),
                    Some(&json!(2))
                );
            }
            other => panic!("expected the error envelope, got {other:?}"),
        },
        other => panic!("expected a typed 409, got {other:?}"),
    }
}

#[tokio::test]
async fn update_snapshot_lifecycle() {
    let server = answering(
        200,
        Some(&example("graph-olap/update_snapshot_lifecycle.200.json")),
    )
    .await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::UpdateLifecycleRequest =
        serde_json::from_value(example("graph-olap/update_snapshot_lifecycle.request.json"))
            .expect("valid body");
    client
        .update_snapshot_lifecycle()
        .snapshot_id(1)
        .body(body)
        .send()
        .await
        .expect("documented 200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("PUT", "/api/snapshots/1/lifecycle"));
    assert_eq!(sent.body, Some(names(&["inactivity_timeout", "ttl"])));
}

#[tokio::test]
async fn retry_snapshot() {
    let server = answering(200, Some(&example("graph-olap/retry_snapshot.200.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let retried = client
        .retry_snapshot()
        .snapshot_id(1)
        .send()
        .await
        .expect("documented 200 decodes")
        .into_inner();
    assert_eq!(retried.data.retry_count, Some(2));

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("POST", "/api/snapshots/1/retry"));
    assert_eq!((sent.query, sent.body), (names(&[]), None));
}

#[tokio::test]
async fn retry_snapshot_409_is_invalid_state() {
    let server = answering(409, Some(&example("graph-olap/retry_snapshot.409.json"))).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let error = client
        .retry_snapshot()
        .snapshot_id(1)
        .send()
        .await
        .expect_err("409 is an error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
}

#[tokio::test]
async fn get_snapshot_progress_in_both_forms() {
    for file in [
        "get_snapshot_progress.200.creating.json",
        "get_snapshot_progress.200.ready.json",
    ] {
        let server = answering(200, Some(&example(&format!("graph-olap/{file}")))).await;
        let client = Client::new(&server.uri(), Runtime::passthrough());
        client
            .get_snapshot_progress()
            .snapshot_id(1)
            .send()
            .await
            .expect("documented 200 decodes");
        let sent = the_request(&server).await;
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str(), sent.body),
            ("GET", "/api/snapshots/1/progress", None)
        );
    }
}

/// The migration path the seed names: an instance straight from a mapping.
#[tokio::test]
async fn create_instance() {
    let created = json!({"data": {"id": 1, "snapshot_id": 2, "owner_username": "alice", "wrapper_type": "ryugraph",
                                  "name": "Inst 1", "status": "waiting_for_snapshot"},
                         "meta": {"request_id": null}});
    let server = answering(201, Some(&created)).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::CreateInstanceRequest = serde_json::from_value(
        json!({"mapping_id": 1, "name": "Inst 1", "wrapper_type": "ryugraph"}),
    )
    .expect("valid");
    let instance = client
        .create_instance()
        .body(body)
        .send()
        .await
        .expect("201 decodes")
        .into_inner();
    assert_eq!(
        instance.data.status,
        types::InstanceStatusValue::InstanceStatus(types::InstanceStatus::WaitingForSnapshot)
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("POST", "/api/instances"));
    assert_eq!(
        sent.body,
        Some(names(&["mapping_id", "name", "wrapper_type"]))
    );
}

#[tokio::test]
async fn get_instance() {
    let recorded = recorded("GET", "/api/instances/1", 200);
    let server = answering(200, Some(&recorded.response_body)).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    client
        .get_instance()
        .instance_id(1)
        .send()
        .await
        .expect("200 decodes");
    let sent = the_request(&server).await;
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str(), sent.body),
        ("GET", "/api/instances/1", None)
    );
}

#[tokio::test]
async fn list_instances() {
    let page =
        json!({"data": [], "meta": {"request_id": null, "total": 0, "offset": 0, "limit": 50}});
    let server = answering(200, Some(&page)).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    client
        .list_instances()
        .offset(0)
        .limit(50u64)
        .send()
        .await
        .expect("200 decodes");
    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("GET", "/api/instances"));
    assert_eq!(sent.query, names(&["limit", "offset"]));
}

/// The supporting operations the recordings use to set up users and mappings.
#[tokio::test]
async fn supporting_operations_send_what_the_recordings_sent() {
    let user = json!({"username": "alice", "email": "alice@example.com", "display_name": "Alice", "role": "analyst"});
    let created = recorded("POST", "/api/users", 201).response_body;
    for bootstrap in [false, true] {
        let server = answering(201, Some(&created)).await;
        let client = Client::new(&server.uri(), Runtime::passthrough());
        let body: types::CreateUserRequest = serde_json::from_value(user.clone()).expect("valid");
        if bootstrap {
            client
                .bootstrap_user()
                .body(body)
                .send()
                .await
                .expect("201 decodes");
        } else {
            client
                .create_user()
                .body(body)
                .send()
                .await
                .expect("201 decodes");
        }
        let sent = the_request(&server).await;
        let path = if bootstrap {
            "/api/users/bootstrap"
        } else {
            "/api/users"
        };
        assert_eq!(sent.route(), ("POST", path));
        assert_eq!(
            sent.body,
            Some(names(&["display_name", "email", "role", "username"]))
        );
    }

    let mapping = recorded("POST", "/api/mappings", 201);
    let server = answering(201, Some(&mapping.response_body)).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::CreateMappingRequest =
        serde_json::from_value(mapping.request_body.clone().expect("a body"))
            .expect("the recorded body is valid");
    client
        .create_mapping()
        .body(body)
        .send()
        .await
        .expect("201 decodes");
    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("POST", "/api/mappings"));
    let recorded_names = mapping
        .request_body
        .as_ref()
        .and_then(|b| b.as_object())
        .map(|o| o.keys().cloned().collect());
    assert_eq!(sent.body, recorded_names);

    let status_update = recorded("PATCH", "/api/internal/snapshots/1/status", 200);
    let server = answering(200, Some(&status_update.response_body)).await;
    let client = Client::new(&server.uri(), Runtime::passthrough());
    let body: types::UpdateSnapshotStatusRequest =
        serde_json::from_value(status_update.request_body.clone().expect("a body")).expect("valid");
    client
        .update_snapshot_status()
        .snapshot_id(1)
        .body(body)
        .send()
        .await
        .expect("200 decodes");
    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("PATCH", "/api/internal/snapshots/1/status"));
    let recorded_names = status_update
        .request_body
        .as_ref()
        .and_then(|b| b.as_object())
        .map(|o| o.keys().cloned().collect());
    assert_eq!(sent.body, recorded_names);
}
