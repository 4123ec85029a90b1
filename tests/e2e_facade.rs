//! End to end: the `snapshots` facade against the real emulator over loopback. Every
//! operation of every API (both LangStudio forms, V3 signing on), waiters, pagination in the
//! three styles, and the retry and rate-limit behaviour under the emulator's fault
//! injection: a create under injected 5xx yields exactly one snapshot.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde_json::json;
use snapshot_emulator::{start, EmulatorConfig, FaultRule, RunningEmulator};
use snapshots::auth::{AccessKey, Environment};
use snapshots::paginate::Paginate;
use snapshots::wait::{self, WaitEvent};
use snapshots::{validate, Client, ClientBuilder, Error, RateLimiter, RetryConfig};

const FAST: Duration = Duration::from_millis(20);

/// An emulator whose snapshots stay in progress for `busy`.
async fn emulator(busy: Duration) -> RunningEmulator {
    let config = EmulatorConfig::busy_for(busy, Duration::ZERO);
    start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator started")
}

/// A facade client with the emulator's demo credentials and URLs, quick retries, no rate
/// limit, and nothing from the process environment.
fn builder(emulator: &RunningEmulator) -> ClientBuilder {
    let creds = &emulator.config().credentials;
    Client::builder()
        .environment(Environment::default())
        .access_key(AccessKey::new(
            creds.access_key_id.clone(),
            creds.access_key_secret.clone(),
        ))
        .dashscope_api_key(creds.dashscope_api_key.clone())
        .graph_olap_username("demo")
        .dsw_url(emulator.dsw_url())
        .langstudio_url(emulator.langstudio_url())
        .langstudio_gateway_url(emulator.langstudio_gateway_url())
        .graph_olap_url(emulator.graph_olap_url())
        .retry(RetryConfig::default().with_base_delay(Duration::from_millis(5)))
        .rate_limit(RateLimiter::unlimited())
}

fn client(emulator: &RunningEmulator) -> Client {
    builder(emulator).build().expect("client")
}

fn instance(emulator: &RunningEmulator) -> String {
    emulator.config().dsw_instances[0].clone()
}

async fn dsw_create(client: &Client, instance: &str, name: &str) -> Result<String, Error> {
    let tag = name.to_owned();
    let name = validate::dsw_snapshot_name(name)?;
    let created = client
        .dsw()?
        .create_instance_snapshot()
        .instance_id(instance)
        .body_map(|b| {
            b.image_url(format!("registry.example/team/env:{tag}"))
                .snapshot_name(name)
        })
        .send()
        .await?;
    Ok(created.into_inner().snapshot_id.expect("an id"))
}

async fn dsw_names(client: &Client, instance: &str) -> Vec<String> {
    client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id(instance)
        .items()
        .map_ok(|s| s.snapshot_name.unwrap_or_default())
        .try_collect()
        .await
        .expect("listed")
}

#[tokio::test]
async fn dsw_every_operation_signed() {
    let emulator = emulator(Duration::from_millis(200)).await;
    let client = client(&emulator);
    let instance = instance(&emulator);
    let dsw = client.dsw().unwrap();

    let id = dsw_create(&client, &instance, "env-v1").await.unwrap();
    let got = dsw
        .get_instance_snapshot()
        .instance_id(&instance)
        .snapshot_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status.as_deref(), Some("Pushing"));

    let mut polls = 0;
    let done = wait::until(pai_dsw::waiters::instance_snapshot(dsw, &instance, &id))
        .poll_interval(FAST)
        .wait_with(|_| polls += 1)
        .await
        .unwrap();
    assert_eq!(done.status.as_deref(), Some("Saved"));
    assert!(polls >= 1, "it was Pushing at first");

    assert_eq!(dsw_names(&client, &instance).await, ["env-v1"]);
    dsw.delete_instance_snapshot()
        .instance_id(&instance)
        .snapshot_id(&id)
        .send()
        .await
        .unwrap();
    let error = Error::from(
        dsw.get_instance_snapshot()
            .instance_id(&instance)
            .snapshot_id(&id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status(), Some(404));
    assert!(
        error.code().is_some() && error.request_id().is_some(),
        "{error:?}"
    );

    // A failing push ends the waiter with the service's reason.
    let failing = dsw_create(&client, &instance, "will-fail").await.unwrap();
    let error = wait::until(pai_dsw::waiters::instance_snapshot(
        dsw, &instance, &failing,
    ))
    .poll_interval(FAST)
    .await
    .unwrap_err();
    match error {
        Error::WaitFailed { status, code, .. } => {
            assert_eq!(status, "Failed");
            assert!(code.is_some());
        }
        other => panic!("expected WaitFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn langstudio_both_profiles_every_operation() {
    let emulator = emulator(Duration::from_millis(150)).await;
    let client = client(&emulator);
    let workspace = emulator.config().langstudio_workspaces[0].clone();

    for gateway in [false, true] {
        // The profile chooses the client; the calls are the same.
        let studio = if gateway {
            client.langstudio_gateway().unwrap()
        } else {
            client.langstudio().unwrap()
        };
        let name = validate::langstudio_snapshot_name(if gateway { "flow_gw" } else { "flow_roa" })
            .unwrap();
        let body = pai_langstudio::types::CreateSnapshotRequest::builder()
            .workspace_id(workspace.clone())
            .snapshot_name(name)
            .snapshot_resource_type(pai_langstudio::types::SnapshotResourceType::Flow)
            .snapshot_resource_id("flow-1".to_owned());
        let created = studio.create_snapshot().body(body).send().await.unwrap();
        let id = created.into_inner().snapshot_id.expect("an id");

        let ready = wait::until(pai_langstudio::waiters::snapshot(studio, &id))
            .poll_interval(FAST)
            .await
            .unwrap();
        assert_eq!(ready.snapshot_status.as_deref(), Some("Success"));

        let described = "described".to_owned();
        studio
            .update_snapshot()
            .snapshot_id(&id)
            .body_map(|b| b.description(described.clone()))
            .send()
            .await
            .unwrap();
        let got = studio.get_snapshot().snapshot_id(&id).send().await.unwrap();
        assert_eq!(got.description.as_deref(), Some("described"));
        let listed: Vec<_> = studio
            .list_snapshots()
            .workspace_id(&workspace)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert!(listed.iter().any(|s| s.snapshot_id.as_deref() == Some(&id)));
        studio
            .delete_snapshot()
            .snapshot_id(&id)
            .send()
            .await
            .unwrap();
        let error = Error::from(
            client
                .langstudio()
                .unwrap()
                .get_snapshot()
                .snapshot_id(&id)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(error.status(), Some(404), "deleted ({gateway})");
    }
}

#[tokio::test]
async fn graph_olap_every_operation() {
    use graph_olap::types as t;
    let emulator = emulator(Duration::from_millis(300)).await;
    let client = client(&emulator);
    let admin = builder(&emulator)
        .graph_olap_username("admin")
        .build()
        .unwrap();
    let olap = client.graph_olap().unwrap();

    // A mapping of our own, then a snapshot of it.
    let mapping: t::CreateMappingRequest = serde_json::from_value(json!({
        "name": "orders",
        "node_definitions": [{"label": "Customer", "sql": "SELECT id FROM customers",
                               "primary_key": {"name": "id", "type": "STRING"}, "properties": []}],
        "edge_definitions": []
    }))
    .unwrap();
    let mapping = olap.create_mapping().body(mapping).send().await.unwrap();
    let mapping_id = mapping.into_inner().data.id;

    let name = validate::graph_olap_snapshot_name("orders-nightly").unwrap();
    let created = olap
        .create_snapshot()
        .body_map(|b| b.name(name).mapping_id(mapping_id.clone()))
        .send()
        .await
        .unwrap();
    let id = created.into_inner().data.id;

    // Wait with progress events, then the final snapshot.
    let events: Vec<_> = wait::until(graph_olap::waiters::snapshot(olap, id.clone()))
        .poll_interval(FAST)
        .events()
        .try_collect()
        .await
        .unwrap();
    let progress_seen = events.iter().any(|e| {
        matches!(e, WaitEvent::Waiting(poll) if poll.progress.as_ref().is_some_and(|p| p.total > 0))
    });
    assert!(progress_seen, "progress reported while waiting: {events:?}");
    assert!(matches!(events.last(), Some(WaitEvent::Ready(_))));
    let progress = olap
        .get_snapshot_progress()
        .snapshot_id(id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        snapshots::wait::Progress::from(progress.into_inner().data).fraction(),
        Some(1.0)
    );

    olap.update_snapshot()
        .snapshot_id(id.clone())
        .body_map(|b| b.description(t::Description::try_from("nightly orders").unwrap()))
        .send()
        .await
        .unwrap();
    olap.update_snapshot_lifecycle()
        .snapshot_id(id.clone())
        .body_map(|b| b.ttl(t::IsoDuration::try_from("P7D").unwrap()))
        .send()
        .await
        .unwrap();
    let got = olap
        .get_snapshot()
        .snapshot_id(id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(got.data.description.as_deref(), Some("nightly orders"));
    assert_eq!(got.data.ttl.as_deref(), Some("P7D"));

    // Retry is only for failed snapshots: 409 with the service's code.
    let error = Error::from(
        olap.retry_snapshot()
            .snapshot_id(id.clone())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status(), Some(409), "{error:?}");

    // An instance of the mapping keeps the snapshot from being deleted.
    let instance: t::CreateInstanceRequest = serde_json::from_value(json!({
        "name": "orders-explorer", "mapping_id": mapping_id, "wrapper_type": "ryugraph"
    }))
    .unwrap();
    let instance = olap
        .create_instance()
        .body(instance)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let got = olap
        .get_instance()
        .instance_id(instance.id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(got.data.name, "orders-explorer");
    let instances: Vec<_> = olap.list_instances().items().try_collect().await.unwrap();
    assert!(instances.iter().any(|i| i.id == instance.id));

    let listed: Vec<_> = olap
        .list_snapshots()
        .limit(validate::graph_olap_limit(1).unwrap())
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(listed.iter().any(|s| s.id == id));

    // A failing export, reported by the waiter; then the internal status endpoint.
    let failing = validate::graph_olap_snapshot_name("fail-orders").unwrap();
    let failing = olap
        .create_snapshot()
        .body_map(|b| b.name(failing).mapping_id(mapping_id.clone()))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .id;
    let error = wait::until(graph_olap::waiters::snapshot(olap, failing.clone()))
        .poll_interval(FAST)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::WaitFailed { status, message: Some(_), .. } if status == "failed"),
        "{error:?}"
    );
    let retried = olap
        .retry_snapshot()
        .snapshot_id(failing.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(retried.into_inner().data.id, failing);
    let status: t::UpdateSnapshotStatusRequest =
        serde_json::from_value(json!({"status": "ready", "size_bytes": 1024})).unwrap();
    olap.update_snapshot_status()
        .snapshot_id(failing.clone())
        .body(status)
        .send()
        .await
        .unwrap();
    olap.delete_snapshot()
        .snapshot_id(failing)
        .send()
        .await
        .unwrap();

    // Users: created by an admin; bootstrap is refused once users exist.
    let user: t::CreateUserRequest = serde_json::from_value(json!({
        "username": "carol", "email": "carol@example.com", "display_name": "Carol", "role": "analyst"
    }))
    .unwrap();
    let carol = admin
        .graph_olap()
        .unwrap()
        .create_user()
        .body(user.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(carol.username.as_str(), "carol");
    let error = Error::from(
        admin
            .graph_olap()
            .unwrap()
            .bootstrap_user()
            .body(user)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status(), Some(409), "{error:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_the_real_code_and_nothing_is_created() {
    let emulator = emulator(Duration::ZERO).await;
    let instance = instance(&emulator);
    let bad = builder(&emulator)
        .access_key(AccessKey::new(
            emulator.config().credentials.access_key_id.clone(),
            "not-the-secret",
        ))
        .build()
        .unwrap();
    let error = dsw_create(&bad, &instance, "sneaky").await.unwrap_err();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"), "{error:?}");
    assert!(error.request_id().is_some());
    assert!(dsw_names(&client(&emulator), &instance).await.is_empty());
}

#[tokio::test]
async fn a_create_under_injected_5xx_yields_exactly_one_snapshot() {
    let emulator = emulator(Duration::ZERO).await;
    let instance = instance(&emulator);
    let create = "/dsw/api/v2/instances/*/snapshots";
    let faults = emulator.faults();

    // The server acted, then the client saw a 500: not retried (POST is not idempotent).
    // (A 503 carries Alibaba's `ServiceUnavailable` code, which says the server did not act,
    // so it is retried: that is the next case.)
    faults
        .add(
            FaultRule::server_error(500)
                .on("POST", create)
                .times(1)
                .after_handler(),
        )
        .unwrap();
    let error = dsw_create(&client(&emulator), &instance, "after-500")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(
        dsw_names(&client(&emulator), &instance).await,
        ["after-500"],
        "applied once, not repeated"
    );

    // A 503 `ServiceUnavailable` before the handler: retried by default.
    faults.clear();
    faults
        .add(FaultRule::server_error(503).on("POST", create).times(1))
        .unwrap();
    dsw_create(&client(&emulator), &instance, "after-503")
        .await
        .unwrap();

    // Opted in: retried through two 500s that happened before the handler.
    faults.clear();
    faults
        .add(FaultRule::server_error(500).on("POST", create).times(2))
        .unwrap();
    let opted_in = builder(&emulator)
        .retry(
            RetryConfig::default()
                .with_base_delay(Duration::from_millis(5))
                .with_retry_non_idempotent(true),
        )
        .build()
        .unwrap();
    dsw_create(&opted_in, &instance, "through-500s")
        .await
        .unwrap();

    // Opted in, and the server acted before its 500: the retry meets the name rule (names
    // are unique per instance) instead of making a second snapshot.
    faults.clear();
    faults
        .add(
            FaultRule::server_error(500)
                .on("POST", create)
                .times(1)
                .after_handler(),
        )
        .unwrap();
    let error = dsw_create(&opted_in, &instance, "applied-then-500")
        .await
        .unwrap_err();
    assert!(
        error.status().is_some_and(|s| (400..500).contains(&s)),
        "{error:?}"
    );

    // Throttled before the handler: retried by default (the server did not act).
    faults.clear();
    faults
        .add(FaultRule::throttle(0).on("POST", create).times(1))
        .unwrap();
    dsw_create(&client(&emulator), &instance, "after-429")
        .await
        .unwrap();

    let mut names = dsw_names(&client(&emulator), &instance).await;
    names.sort();
    assert_eq!(
        names,
        [
            "after-429",
            "after-500",
            "after-503",
            "applied-then-500",
            "through-500s"
        ],
        "one snapshot per create, never two"
    );
}

#[tokio::test]
async fn reads_are_retried_through_5xx_and_dropped_connections() {
    let emulator = emulator(Duration::ZERO).await;
    let client = client(&emulator);
    let faults = emulator.faults();
    faults
        .add(
            FaultRule::server_error(500)
                .on("GET", "/graph-olap/api/snapshots")
                .times(2),
        )
        .unwrap();
    faults
        .add(
            FaultRule::drop_connection()
                .on("GET", "/graph-olap/api/snapshots")
                .times(1),
        )
        .unwrap();
    let page = client
        .graph_olap()
        .unwrap()
        .list_snapshots()
        .send()
        .await
        .unwrap();
    assert!(page.meta.total >= 0);
    let fired: u64 = faults.rules().iter().map(|r| r.fired).sum();
    assert_eq!(fired, 3, "both faults struck and were retried through");

    // With retries off, the first 500 is the answer.
    faults
        .add(
            FaultRule::server_error(500)
                .on("GET", "/graph-olap/api/snapshots")
                .times(1),
        )
        .unwrap();
    let no_retries = builder(&emulator)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    // 500 is not a documented status of this operation: `from_response` reads its body.
    let error = Error::from_response(
        no_retries
            .graph_olap()
            .unwrap()
            .list_snapshots()
            .send()
            .await
            .unwrap_err(),
    )
    .await;
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.code(), Some("INTERNAL_ERROR"));
}

#[tokio::test]
async fn pagination_walks_the_three_styles_against_the_emulator() {
    let emulator = emulator(Duration::ZERO).await;
    let client = client(&emulator);
    let instance = instance(&emulator);
    let workspace = emulator.config().langstudio_workspaces[0].clone();
    for i in 0..7 {
        dsw_create(&client, &instance, &format!("page-{i}"))
            .await
            .unwrap();
        let name = validate::langstudio_snapshot_name(&format!("flow_{i}")).unwrap();
        client
            .langstudio()
            .unwrap()
            .create_snapshot()
            .body_map(|b| {
                b.workspace_id(workspace.clone())
                    .snapshot_name(name)
                    .snapshot_resource_id(format!("flow-{i}"))
            })
            .send()
            .await
            .unwrap();
        let name = validate::graph_olap_snapshot_name(&format!("snap-{i}")).unwrap();
        client
            .graph_olap()
            .unwrap()
            .create_snapshot()
            .body_map(|b| b.name(name).mapping_id(1))
            .send()
            .await
            .unwrap();
    }

    let dsw_pages: Vec<_> = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id(&instance)
        .page_size(3)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<_> = dsw_pages.iter().map(|p| p.snapshots.len()).collect();
    assert_eq!(sizes, [3, 3, 1], "PageNumber/PageSize until TotalCount");

    let studio_pages: Vec<_> = client
        .langstudio()
        .unwrap()
        .list_snapshots()
        .workspace_id(&workspace)
        .max_results(3)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<_> = studio_pages.iter().map(|p| p.snapshots.len()).collect();
    assert_eq!(sizes, [3, 3, 1], "NextToken/MaxResults");

    let olap_items: Vec<_> = client
        .graph_olap()
        .unwrap()
        .list_snapshots()
        .limit(validate::graph_olap_limit(3).unwrap())
        .items()
        .try_collect()
        .await
        .unwrap();
    let total = client
        .graph_olap()
        .unwrap()
        .list_snapshots()
        .send()
        .await
        .unwrap()
        .meta
        .total;
    assert_eq!(
        olap_items.len() as i64,
        total,
        "offset/limit until meta.total"
    );
    let mut ids: Vec<_> = olap_items.iter().map(|s| s.id.to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, total, "no item twice");
}

#[tokio::test]
async fn the_rate_limit_spaces_calls_to_the_emulator() {
    let emulator = emulator(Duration::ZERO).await;
    // 20 per second with a burst of 1: 11 calls need at least 10 intervals of 50 ms.
    let client = builder(&emulator)
        .rate_limit(RateLimiter::per_second(20).with_burst(1))
        .build()
        .unwrap();
    let olap = client.graph_olap().unwrap();
    let started = Instant::now();
    for _ in 0..11 {
        olap.list_snapshots().send().await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}
