//! The Graph OLAP emulation over loopback, driven by the generated `graph_olap` client (and
//! by raw HTTP where the typed client cannot send what a test needs): every operation,
//! pagination, the state machines under a manual clock, retry and its 409, deletion with
//! instances, identity and validation errors.

use graph_olap::types::{self, ErrorBody};
use graph_olap::{Client, Error, ResponseValue};
use serde_json::{json, Value};
use snapshot_emulator::graph_olap::{
    router, Clock, Config, ReferencedSnapshotDelete, Role, SeedUser, Timing,
};
use snapshots_runtime::{Credentials, RateLimiter, RetryConfig, Runtime};
use std::collections::BTreeSet;
use std::time::Duration;

/// Serves `router(config)` on an ephemeral loopback port; returns its base URL.
async fn serve(config: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router(config)).await });
    url
}

fn runtime(credentials: Credentials) -> Runtime {
    Runtime::builder()
        .credentials(credentials)
        .rate_limit(RateLimiter::unlimited())
        .retry(RetryConfig::disabled())
        .build()
}

/// The generated client, identifying as `user` with `X-Username`.
fn client(url: &str, user: &str) -> Client {
    Client::new_with_client(
        url,
        snapshots_runtime::http_client_builder().build().unwrap(),
        runtime(Credentials::Header {
            name: "X-Username".into(),
            value: user.into(),
        }),
    )
}

/// A manual clock and a config that uses it, with `timing`.
fn manual(timing: Timing) -> (Clock, Config) {
    let clock = Clock::manual("2026-11-23T16:53:15Z".parse().expect("a time"));
    let config = Config {
        timing,
        clock: clock.clone(),
        ..Config::default()
    };
    (clock, config)
}

fn slow() -> Timing {
    Timing {
        snapshot_pending: Duration::from_secs(10),
        snapshot_creating: Duration::from_secs(30),
        instance_pickup: Duration::from_secs(5),
        instance_startup: Duration::from_secs(20),
    }
}

fn req<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid request body")
}

/// The status and JSON body of an error answer.
fn failure<T: std::fmt::Debug>(result: Result<ResponseValue<T>, Error<ErrorBody>>) -> (u16, Value) {
    match result {
        Err(Error::ErrorResponse(response)) => (
            response.status().as_u16(),
            serde_json::to_value(response.into_inner()).expect("encodes"),
        ),
        // An answer the spec declares a conflict (`x-conflicts`) comes back unretried from
        // the runtime, its status and body kept.
        Err(Error::CommunicationError(e)) => match snapshots_runtime::Failure::find(&e) {
            Some(snapshots_runtime::Failure::DeclaredConflict { status, body, .. }) => {
                (*status, serde_json::from_slice(body).expect("a JSON body"))
            }
            _ => panic!("expected an error answer, got {e:?}"),
        },
        other => panic!("expected an error answer, got {other:?}"),
    }
}

fn id_of(id: &types::ResourceId) -> i64 {
    match id {
        types::ResourceId::Int64(n) => *n,
        other => panic!("integer ids expected, got {other:?}"),
    }
}

fn status_of(snapshot: &types::Snapshot) -> String {
    snapshot
        .status
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

async fn create(client: &Client, name: &str) -> types::Snapshot {
    client
        .create_snapshot()
        .body(req::<types::CreateSnapshotRequest>(
            json!({"mapping_id": 1, "name": name}),
        ))
        .send()
        .await
        .expect("created")
        .into_inner()
        .data
}

async fn get(client: &Client, id: i64) -> types::Snapshot {
    client
        .get_snapshot()
        .snapshot_id(id)
        .send()
        .await
        .expect("found")
        .into_inner()
        .data
}

async fn progress(client: &Client, id: i64) -> types::SnapshotJobProgress {
    match client
        .get_snapshot_progress()
        .snapshot_id(id)
        .send()
        .await
        .expect("progress")
        .into_inner()
        .data
    {
        types::SnapshotProgress::JobProgress(p) => p,
        other => panic!("job progress expected, got {other:?}"),
    }
}

fn job_statuses(p: &types::SnapshotJobProgress) -> Vec<(String, String)> {
    p.jobs
        .iter()
        .map(|j| (j.name.clone(), j.status.to_string()))
        .collect()
}

#[tokio::test]
async fn snapshot_crud() {
    let (_, config) = manual(Timing::frozen());
    let url = serve(config).await;
    let demo = client(&url, "demo");

    let created = demo
        .create_snapshot()
        .body(req::<types::CreateSnapshotRequest>(json!({
            "mapping_id": 1, "name": "January", "description": "first", "version": 9
        })))
        .send()
        .await
        .expect("created");
    assert_eq!(created.status().as_u16(), 201);
    let snapshot = created.into_inner().data;
    let id = id_of(&snapshot.id);
    assert_eq!(status_of(&snapshot), "pending");
    assert_eq!(snapshot.mapping_version, Some(1));
    assert_eq!(snapshot.owner_username.as_deref(), Some("demo"));
    assert_eq!(snapshot.ttl.as_deref(), Some("P7D"));
    assert_eq!(snapshot.inactivity_timeout.as_deref(), Some("P3D"));
    assert_eq!(
        snapshot.gcs_path.as_deref(),
        Some(format!("gs://graph-exports/demo/1/v1/{id}/").as_str())
    );

    // Another user may read; only the owner (or admin/ops) may change.
    assert_eq!(get(&client(&url, "system"), id).await, snapshot);
    let updated = demo
        .update_snapshot()
        .snapshot_id(id)
        .body(req::<types::UpdateSnapshotRequest>(json!({"name": "Jan"})))
        .send()
        .await
        .expect("updated")
        .into_inner()
        .data;
    assert_eq!(updated.name.as_deref(), Some("Jan"));
    assert_eq!(
        updated.description.as_deref(),
        Some("first"),
        "omitted keeps its value"
    );

    let lifecycle = demo
        .update_snapshot_lifecycle()
        .snapshot_id(id)
        .body(req::<types::UpdateLifecycleRequest>(json!({"ttl": "P14D"})))
        .send()
        .await
        .expect("lifecycle")
        .into_inner()
        .data;
    assert_eq!(lifecycle.ttl.as_deref(), Some("P14D"));
    assert_eq!(lifecycle.inactivity_timeout.as_deref(), Some("P3D"));
    assert_eq!(get(&demo, id).await.ttl.as_deref(), Some("P14D"));

    // The admin bypasses ownership.
    let admin_update = client(&url, "admin")
        .update_snapshot()
        .snapshot_id(id)
        .body(req::<types::UpdateSnapshotRequest>(
            json!({"description": "by admin"}),
        ))
        .send()
        .await
        .expect("admin may update");
    assert_eq!(
        admin_update.into_inner().data.description.as_deref(),
        Some("by admin")
    );

    let deleted = demo
        .delete_snapshot()
        .snapshot_id(id)
        .send()
        .await
        .expect("deleted");
    assert_eq!(deleted.status().as_u16(), 204);
    let (status, body) = failure(demo.get_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "RESOURCE_NOT_FOUND");
    assert_eq!(
        body["error"]["details"],
        json!({"resource_type": "Snapshot", "resource_id": id})
    );
    let (status, _) = failure(demo.delete_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn ownership_is_enforced_after_existence() {
    let (_, mut config) = manual(Timing::frozen());
    config.users.push(SeedUser::new("bob", Role::Analyst));
    let url = serve(config).await;
    let id = id_of(&create(&client(&url, "demo"), "mine").await.id);
    let bob = client(&url, "bob");
    let denied = json!({"resource_type": "Snapshot", "resource_id": id});
    let (status, body) = failure(
        bob.update_snapshot()
            .snapshot_id(id)
            .body(req::<types::UpdateSnapshotRequest>(
                json!({"name": "hijack"}),
            ))
            .send()
            .await,
    );
    assert_eq!((status, &body["error"]["details"]), (403, &denied));
    assert_eq!(
        body["error"]["message"],
        format!("Permission denied for Snapshot {id}")
    );
    let (status, _) = failure(
        bob.update_snapshot_lifecycle()
            .snapshot_id(id)
            .body(req::<types::UpdateLifecycleRequest>(json!({"ttl": "P1D"})))
            .send()
            .await,
    );
    assert_eq!(status, 403);
    let (status, _) = failure(bob.retry_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 403);
    let (status, _) = failure(bob.delete_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 403);
    // A missing id is a 404 even for a non-owner.
    let (status, _) = failure(bob.delete_snapshot().snapshot_id(999).send().await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn pagination_filters_and_sorting() {
    let (clock, config) = manual(Timing::frozen());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let admin = client(&url, "admin");
    let mut ids = Vec::new();
    for i in 0..7 {
        let who = if i % 3 == 0 { &admin } else { &demo };
        ids.push(id_of(&create(who, &format!("snap {}", 6 - i)).await.id));
        clock.advance(Duration::from_secs(1));
    }

    // Pages of 3 cover every snapshot once, newest first, with the total on every page.
    let mut seen = Vec::new();
    for offset in [0u64, 3, 6, 9] {
        let page = demo
            .list_snapshots()
            .offset(offset)
            .limit(3u64)
            .send()
            .await
            .expect("a page")
            .into_inner();
        assert_eq!(page.meta.total, 7);
        assert_eq!((page.meta.offset, page.meta.limit), (offset as i64, 3));
        assert_eq!(page.meta.request_id, None);
        seen.extend(page.data.iter().map(|s| id_of(&s.id)));
    }
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first);

    // Owner filter, name sort ascending.
    let by_admin = demo
        .list_snapshots()
        .owner("admin")
        .sort_by(types::SnapshotSortBy::Name)
        .sort_order(types::SortOrder::Asc)
        .send()
        .await
        .expect("a page")
        .into_inner();
    let names: Vec<String> = by_admin
        .data
        .iter()
        .filter_map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["snap 0", "snap 3", "snap 6"]);
    assert_eq!(by_admin.meta.total, 3);

    // Search is SQL LIKE: `_` matches one character.
    let found = demo
        .list_snapshots()
        .search("snap_5")
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(found.meta.total, 1);

    // Status and mapping filters.
    let mapping: types::CreateMappingRequest = req(json!({
        "name": "Other",
        "node_definitions": [{"label": "A", "sql": "SELECT 1", "primary_key": {"name": "id", "type": "INT64"}}]
    }));
    let created = demo
        .create_mapping()
        .body(mapping)
        .send()
        .await
        .expect("a mapping")
        .into_inner()
        .data;
    let other = id_of(&created.id);
    assert_eq!(created.current_version, Some(1));
    demo.create_snapshot()
        .body(req::<types::CreateSnapshotRequest>(
            json!({"mapping_id": other, "name": "other"}),
        ))
        .send()
        .await
        .expect("created");
    let on_other = demo
        .list_snapshots()
        .mapping_id(other)
        .status(types::SnapshotStatus::Pending)
        // (`sort_by=status`, which the real server ignores, the SDK refuses before sending:
        // the spec's `x-server-support`.)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(on_other.meta.total, 1);
    assert_eq!(on_other.data[0].name.as_deref(), Some("other"));
    let ready = demo
        .list_snapshots()
        .status(types::SnapshotStatus::Ready)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!((ready.meta.total, ready.data.len()), (0, 0));
}

#[tokio::test]
async fn snapshot_walks_from_pending_through_creating_to_ready() {
    let (clock, config) = manual(slow());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let id = id_of(&create(&demo, "walk").await.id);

    let pending = progress(&demo, id).await;
    assert_eq!((pending.jobs_total, pending.jobs_pending), (3, 3));
    assert_eq!(
        job_statuses(&pending),
        [
            ("PURCHASED".into(), "pending".into()),
            ("Customer".into(), "pending".into()),
            ("Product".into(), "pending".into())
        ]
    );
    assert_eq!(status_of(&get(&demo, id).await), "pending");

    clock.advance(Duration::from_secs(10));
    assert_eq!(status_of(&get(&demo, id).await), "creating");
    let started = progress(&demo, id).await;
    assert_eq!((started.jobs_claimed, started.jobs_pending), (1, 2));

    clock.advance(Duration::from_secs(16)); // 26 s: job 0 done, job 1 past half its slot
    let midway = progress(&demo, id).await;
    assert_eq!(
        (
            midway.jobs_completed,
            midway.jobs_submitted,
            midway.jobs_pending
        ),
        (1, 1, 1)
    );
    assert!(midway.jobs[0].row_count.is_some_and(|n| n > 0));
    assert_eq!(midway.jobs[1].row_count, None);

    clock.advance(Duration::from_secs(14)); // 40 s: done
    let ready = get(&demo, id).await;
    assert_eq!(status_of(&ready), "ready");
    let done = progress(&demo, id).await;
    assert_eq!((done.jobs_completed, done.jobs_total), (3, 3));
    let rows = |name: &str| {
        done.jobs
            .iter()
            .find(|j| j.name == name)
            .and_then(|j| j.row_count)
            .expect("a row count")
    };
    let nodes = ready.node_counts.clone().expect("node counts");
    let edges = ready.edge_counts.clone().expect("edge counts");
    assert_eq!(nodes.get("Customer"), Some(&rows("Customer")));
    assert_eq!(nodes.get("Product"), Some(&rows("Product")));
    assert_eq!(edges.get("PURCHASED"), Some(&rows("PURCHASED")));
    assert!(ready.size_bytes.is_some_and(|b| b > 0));
    assert_eq!(ready.error_message, None);
    // The transition time is exact, not the time of the read.
    assert_eq!(
        ready.updated_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-23T16:53:55+00:00")
    );
}

#[tokio::test]
async fn failing_snapshots_retry_only_from_failed() {
    let (clock, config) = manual(slow());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let id = id_of(&create(&demo, "fail-export").await.id);

    // Not failed yet: retry is a 409 with the recorded details.
    let (status, body) = failure(demo.retry_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 409);
    assert_eq!(
        body["error"],
        json!({"code": "INVALID_STATE",
            "message": format!("Snapshot {id} is in state 'pending', required 'failed'"),
            "details": {"resource": "Snapshot", "resource_id": id,
                "current_state": "pending", "required_state": "failed"}})
    );

    clock.advance(Duration::from_secs(40));
    let failed = get(&demo, id).await;
    assert_eq!(status_of(&failed), "failed");
    let message = failed.error_message.clone().expect("an error message");
    assert!(message.contains("Customer"), "{message}");
    let jobs = progress(&demo, id).await;
    assert_eq!(
        (jobs.jobs_completed, jobs.jobs_failed, jobs.jobs_pending),
        (1, 1, 1)
    );

    // Retry: pending again, the old message kept (as upstream).
    let retried = demo
        .retry_snapshot()
        .snapshot_id(id)
        .send()
        .await
        .expect("retried")
        .into_inner()
        .data;
    assert_eq!(status_of(&retried), "pending");
    assert_eq!(retried.error_message.as_deref(), Some(message.as_str()));
    assert_eq!(progress(&demo, id).await.jobs_pending, 3);
    let (status, _) = failure(demo.retry_snapshot().snapshot_id(id).send().await);
    assert_eq!(status, 409);

    // Still named `fail...`: fails again. Renamed, the next retry succeeds.
    clock.advance(Duration::from_secs(40));
    assert_eq!(status_of(&get(&demo, id).await), "failed");
    demo.update_snapshot()
        .snapshot_id(id)
        .body(req::<types::UpdateSnapshotRequest>(
            json!({"name": "fixed"}),
        ))
        .send()
        .await
        .expect("renamed");
    demo.retry_snapshot()
        .snapshot_id(id)
        .send()
        .await
        .expect("retried");
    clock.advance(Duration::from_secs(40));
    assert_eq!(status_of(&get(&demo, id).await), "ready");
}

async fn create_instance(client: &Client, name: &str) -> Result<types::Instance, (u16, Value)> {
    let request: types::CreateInstanceRequest =
        req(json!({"mapping_id": 1, "wrapper_type": "ryugraph", "name": name}));
    match client.create_instance().body(request).send().await {
        Ok(created) => {
            assert_eq!(created.status().as_u16(), 201);
            Ok(created.into_inner().data)
        }
        Err(e) => Err(failure::<()>(Err(e))),
    }
}

async fn instance(client: &Client, id: i64) -> types::Instance {
    client
        .get_instance()
        .instance_id(id)
        .send()
        .await
        .expect("an instance")
        .into_inner()
        .data
}

#[tokio::test]
async fn instances_wait_for_their_snapshot_then_start() {
    let (clock, config) = manual(slow());
    let url = serve(config).await;
    let demo = client(&url, "demo");

    let first = create_instance(&demo, "Inst 1").await.expect("created");
    assert_eq!(first.status.to_string(), "waiting_for_snapshot");
    assert_eq!(first.cpu_cores, Some(1));
    assert_eq!(first.ttl.as_deref(), Some("PT24H"));
    assert_eq!(first.inactivity_timeout.as_deref(), Some("PT4H"));
    assert_eq!(
        first.expires_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-24T16:53:15+00:00")
    );
    let snapshot_id = id_of(&first.snapshot_id);
    let auto = get(&demo, snapshot_id).await;
    assert_eq!(auto.name.as_deref(), Some("Auto-snapshot for Inst 1"));
    assert_eq!(
        auto.description.as_deref(),
        Some("Automatically created for instance 'Inst 1'")
    );
    assert_eq!(auto.ttl.as_deref(), Some("PT24H"));

    // Snapshot ready at 40 s: the instance starts then, and runs 20 s later.
    clock.advance(Duration::from_secs(39));
    let id = id_of(&first.id);
    assert_eq!(
        instance(&demo, id).await.status.to_string(),
        "waiting_for_snapshot"
    );
    clock.advance(Duration::from_secs(1));
    let starting = instance(&demo, id).await;
    assert_eq!(starting.status.to_string(), "starting");
    // As upstream: no pod until a wrapper reports one (captures-2 #70).
    assert!(starting.pod_name.is_none() && starting.instance_url.is_none());
    clock.advance(Duration::from_secs(20));
    let running = instance(&demo, id).await;
    assert_eq!(running.status.to_string(), "running");
    assert!(running.pod_name.is_some() && running.instance_url.is_some());
    assert_eq!(
        running.started_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-23T16:54:15+00:00")
    );

    // A second instance reuses the ready snapshot.
    let second = create_instance(&demo, "Inst 2").await.expect("created");
    assert_eq!(id_of(&second.snapshot_id), snapshot_id);

    // Lists: filter by snapshot, paginate, sort by name.
    let page = demo
        .list_instances()
        .snapshot_id(snapshot_id)
        .sort_by(types::InstanceSortBy::Name)
        .sort_order(types::SortOrder::Asc)
        .limit(1u64)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!((page.meta.total, page.data.len()), (2, 1));
    assert_eq!(page.data[0].name, "Inst 1");
    let running_only = demo
        .list_instances()
        .status(types::InstanceStatus::Running)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(running_only.meta.total, 1);
    let (status, body) = failure(demo.get_instance().instance_id(999).send().await);
    assert_eq!(
        (status, body["error"]["message"].clone()),
        (404, json!("Instance 999 not found"))
    );
}

#[tokio::test]
async fn an_instance_fails_with_its_snapshot() {
    let (clock, config) = manual(slow());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let inst = create_instance(&demo, "fail-inst").await.expect("created");
    clock.advance(Duration::from_secs(40));
    let failed = instance(&demo, id_of(&inst.id)).await;
    assert_eq!(failed.status.to_string(), "failed");
    assert_eq!(
        failed.error_code,
        Some(types::InstanceErrorCode::DataLoadError.into())
    );
    assert!(failed
        .error_message
        .as_deref()
        .is_some_and(|m| m.starts_with("Snapshot failed: ")));
    // As upstream, even a failed instance holds its snapshot: 500, nothing deleted.
    let snapshot_id = id_of(&inst.snapshot_id);
    let (status, body) = failure(demo.delete_snapshot().snapshot_id(snapshot_id).send().await);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (500, json!("INTERNAL_ERROR"))
    );
    assert_eq!(status_of(&get(&demo, snapshot_id).await), "failed");
}

#[tokio::test]
async fn deleting_a_snapshot_in_use_is_a_conflict_under_the_seed_rule() {
    let (_, config) = manual(Timing::instant());
    let url = serve(Config {
        referenced_snapshot_delete: ReferencedSnapshotDelete::Conflict,
        ..config
    })
    .await;
    let demo = client(&url, "demo");
    let inst = create_instance(&demo, "user").await.expect("created");
    let snapshot_id = id_of(&inst.snapshot_id);
    let (status, body) = failure(demo.delete_snapshot().snapshot_id(snapshot_id).send().await);
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "RESOURCE_HAS_DEPENDENCIES");
    assert_eq!(body["error"]["details"]["dependent_count"], 1);
    assert_eq!(body["error"]["details"]["statuses"], json!(["running"]));
    assert_eq!(status_of(&get(&demo, snapshot_id).await), "ready");

    // Once the instance is gone, so is the snapshot (the cascade of the real server).
    let response = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .delete(format!("{url}/api/instances/{}", id_of(&inst.id)))
        .header("X-Username", "demo")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = failure(demo.delete_snapshot().snapshot_id(snapshot_id).send().await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn instance_limits() {
    let (_, config) = manual(Timing::frozen());
    let config = Config {
        max_instances_per_user: 2,
        max_instances_total: 3,
        ..config
    };
    let url = serve(config).await;
    let demo = client(&url, "demo");
    for name in ["a", "b"] {
        create_instance(&demo, name).await.expect("created");
    }
    let (status, body) = create_instance(&demo, "c")
        .await
        .expect_err("over the limit");
    assert_eq!(status, 409);
    assert_eq!(
        body["error"],
        json!({"code": "CONCURRENCY_LIMIT_EXCEEDED",
            "message": "Cannot create instance: per_analyst limit exceeded (2/2)",
            "details": {"limit_type": "per_analyst", "current_count": 2, "max_allowed": 2}})
    );
    let admin = client(&url, "admin");
    create_instance(&admin, "d").await.expect("created");
    let (_, body) = create_instance(&admin, "e")
        .await
        .expect_err("over the total");
    assert_eq!(body["error"]["details"]["limit_type"], "cluster_total");
    // Unknown mapping and version.
    let request: types::CreateInstanceRequest = req(
        json!({"mapping_id": 1, "mapping_version": 42, "wrapper_type": "falkordb", "name": "x"}),
    );
    let (status, body) = failure(demo.create_instance().body(request).send().await);
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["details"],
        json!({"resource_type": "MappingVersion", "resource_id": "1/v42"})
    );
}

#[tokio::test]
async fn internal_status_route_drives_a_snapshot() {
    let (clock, config) = manual(slow());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let inst = create_instance(&demo, "worker-driven")
        .await
        .expect("created");
    let snapshot_id = id_of(&inst.snapshot_id);
    // No identity needed on the internal route.
    let anonymous = Client::new_with_client(
        &url,
        snapshots_runtime::http_client_builder().build().unwrap(),
        runtime(Credentials::Anonymous),
    );
    let request: types::UpdateSnapshotStatusRequest = req(json!({
        "status": "ready", "size_bytes": 12345,
        "node_counts": {"Customer": 10, "Product": 5}, "edge_counts": {"PURCHASED": 20},
        "progress": {"current_step": null, "completed_steps": 3, "total_steps": 3},
        "phase": "done"
    }));
    let reported = anonymous
        .update_snapshot_status()
        .snapshot_id(snapshot_id)
        .body(request)
        .send()
        .await
        .expect("reported")
        .into_inner()
        .data;
    assert_eq!(status_of(&reported), "ready");
    assert_eq!(reported.size_bytes, Some(12345));
    assert_eq!(
        reported.progress.map(Value::Object),
        Some(json!({"current_step": null, "completed_steps": 3, "total_steps": 3}))
    );
    // The simulation no longer moves it; the instance starts after its pickup delay.
    clock.advance(Duration::from_secs(5));
    assert_eq!(status_of(&get(&demo, snapshot_id).await), "ready");
    assert_eq!(
        instance(&demo, id_of(&inst.id)).await.status.to_string(),
        "starting"
    );
    let (status, _) = failure(
        anonymous
            .update_snapshot_status()
            .snapshot_id(999)
            .body(req::<types::UpdateSnapshotStatusRequest>(
                json!({"status": "failed"}),
            ))
            .send()
            .await,
    );
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_and_bootstrap() {
    let config = Config {
        users: vec![],
        tokens: Default::default(),
        ..Config::default()
    };
    let url = serve(config).await;
    let anonymous = Client::new_with_client(
        &url,
        snapshots_runtime::http_client_builder().build().unwrap(),
        runtime(Credentials::Anonymous),
    );
    let first: types::CreateUserRequest = req(
        json!({"username": "root", "email": "r@example.com", "display_name": "Root", "role": "analyst"}),
    );
    let created = anonymous
        .bootstrap_user()
        .body(first.clone())
        .send()
        .await
        .expect("bootstrapped");
    assert_eq!(created.status().as_u16(), 201);
    let user = created.into_inner();
    assert_eq!(
        user.role,
        types::UserRole::Ops.into(),
        "bootstrap forces ops"
    );
    assert!(user.is_active);
    let (status, body) = failure(anonymous.bootstrap_user().body(first.clone()).send().await);
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": "Bootstrap only works when no users exist"})
        )
    );

    let root = client(&url, "root");
    let alice: types::CreateUserRequest =
        req(json!({"username": "alice", "email": "a@example.com", "display_name": "Alice"}));
    let made = root
        .create_user()
        .body(alice.clone())
        .send()
        .await
        .expect("created")
        .into_inner();
    assert_eq!(made.role, types::UserRole::Analyst.into());
    let (status, body) = failure(root.create_user().body(alice).send().await);
    assert_eq!(
        (status, body),
        (409, json!({"detail": "User alice already exists"}))
    );
    let carol: types::CreateUserRequest =
        req(json!({"username": "carol", "email": "c@example.com", "display_name": "Carol"}));
    let (status, body) = failure(client(&url, "alice").create_user().body(carol).send().await);
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Admin or Ops role required"}))
    );
    // Body validation runs before the role check.
    let response = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{url}/api/users"))
        .header("X-Username", "alice")
        .json(&json!({"username": "", "email": "x", "display_name": "X"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 422);
}

/// Raw HTTP, for what the typed client refuses to send.
async fn raw(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut request = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    (
        status,
        id,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn identity_errors_and_bearer_tokens() {
    let (_, mut config) = manual(Timing::frozen());
    config.users.push(SeedUser {
        active: false,
        ..SeedUser::new("gone", Role::Analyst)
    });
    let url = serve(config).await;
    let list = format!("{url}/api/snapshots");
    use reqwest::Method as M;

    let (status, id, body) = raw(M::GET, &list, &[], None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"detail": {"code": "UNAUTHORIZED", "message": "X-Username header required."}})
    );
    assert!(
        id.is_some_and(|id| id.len() == 36),
        "a generated request id"
    );
    let (status, _, body) = raw(M::GET, &list, &[("X-Username", "mallory")], None).await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"]["code"], "USER_NOT_PROVISIONED");
    assert_eq!(
        body["detail"]["message"],
        "User 'mallory' is not provisioned. Use POST /api/users/bootstrap or POST /api/users to create."
    );
    let (status, _, body) = raw(M::GET, &list, &[("X-Username", "gone")], None).await;
    assert_eq!(
        (status, body["detail"]["code"].clone()),
        (403, json!("USER_DISABLED"))
    );

    // Bearer tokens, through the generated client.
    let bearer = |token: &str| {
        Client::new_with_client(
            &url,
            snapshots_runtime::http_client_builder().build().unwrap(),
            runtime(Credentials::Bearer(token.to_owned().into())),
        )
    };
    let snapshot = create(&bearer("demo-token"), "by token").await;
    assert_eq!(snapshot.owner_username.as_deref(), Some("demo"));
    let (status, body) = failure(bearer("nope").list_snapshots().send().await);
    assert_eq!(
        (status, body["detail"]["code"].clone()),
        (401, json!("UNAUTHORIZED"))
    );

    // Identity comes before validation.
    let (status, _, _) = raw(M::GET, &format!("{list}?limit=0"), &[], None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn validation_errors_are_422_with_every_failure() {
    let (_, config) = manual(Timing::frozen());
    let url = serve(config).await;
    use reqwest::Method as M;
    let demo = [("X-Username", "demo"), ("x-request-id", "req-42")];

    let (status, id, body) = raw(
        M::POST,
        &format!("{url}/api/snapshots"),
        &demo,
        Some(r#"{"mapping_id": 0, "description": 5}"#),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(id.as_deref(), Some("req-42"), "the request id is echoed");
    assert_eq!(
        body,
        json!({"error": {"code": "VALIDATION_FAILED", "message": "Request validation failed",
            "details": {"errors": [
                {"field": "body.mapping_id", "message": "Input should be greater than 0", "type": "greater_than"},
                {"field": "body.name", "message": "Field required", "type": "missing"},
                {"field": "body.description", "message": "Input should be a valid string", "type": "string_type"}
            ]}},
            "meta": {"request_id": "req-42"}})
    );

    // Malformed JSON is reported before identity.
    let (status, _, body) = raw(
        M::POST,
        &format!("{url}/api/snapshots"),
        &[],
        Some("{\"a\": "),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["details"]["errors"][0]["type"],
        "json_invalid"
    );

    // Path and body errors together.
    let (status, _, body) = raw(
        M::PUT,
        &format!("{url}/api/snapshots/abc"),
        &demo,
        Some(r#"{"name": ""}"#),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["error"]["details"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["path.snapshot_id", "body.name"]);

    let (status, _, body) = raw(
        M::GET,
        &format!("{url}/api/instances?status=bogus&offset=-1"),
        &demo,
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["details"]["errors"].as_array().map(Vec::len),
        Some(2)
    );

    let (status, _, body) = raw(
        M::PUT,
        &format!("{url}/api/snapshots/1/lifecycle"),
        &demo,
        Some(r#"{"ttl": "7 days"}"#),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["details"]["errors"][0]["type"].clone()
        ),
        (422, json!("string_pattern_mismatch"))
    );

    let (status, _, body) = raw(
        M::POST,
        &format!("{url}/api/mappings"),
        &demo,
        Some(r#"{"name": "m", "node_definitions": []}"#),
    )
    .await;
    assert_eq!(
        (
            status,
            body["error"]["details"]["errors"][0]["type"].clone()
        ),
        (422, json!("too_short"))
    );

    // No body where one is required.
    let (status, _, body) = raw(M::POST, &format!("{url}/api/instances"), &demo, None).await;
    assert_eq!(
        (
            status,
            body["error"]["details"]["errors"][0]["field"].clone()
        ),
        (422, json!("body"))
    );

    // Unknown routes and methods, upstream's plain-text details.
    let (status, id, body) = raw(M::GET, &format!("{url}/api/nothing"), &demo, None).await;
    assert_eq!((status, body), (404, json!({"detail": "Not Found"})));
    assert!(id.is_some());
    let (status, _, body) = raw(M::PATCH, &format!("{url}/api/snapshots"), &demo, None).await;
    assert_eq!(
        (status, body),
        (405, json!({"detail": "Method Not Allowed"}))
    );
}

#[tokio::test]
async fn concurrent_creates_lose_and_duplicate_nothing() {
    let (_, config) = manual(Timing::frozen());
    let url = serve(config).await;
    let demo = client(&url, "demo");
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let demo = demo.clone();
            tokio::spawn(async move { id_of(&create(&demo, &format!("c{i}")).await.id) })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        assert!(ids.insert(task.await.expect("a task")), "duplicate id");
    }
    assert_eq!(ids.len(), 300);
    let page = demo
        .list_snapshots()
        .limit(100u64)
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(page.meta.total, 300);
}
