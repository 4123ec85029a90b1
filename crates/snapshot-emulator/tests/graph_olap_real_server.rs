//! The Graph OLAP emulation behaves like the real control plane (captures-2) by default,
//! over loopback with raw HTTP: list parameters the server does not define are ignored
//! (the seed's filters only with `Config::seed_filters`), deleting a snapshot an instance
//! uses is the recorded 500 and deletes nothing, deleting an instance cascades to its
//! snapshot, users see what their role allows, and an instance created from a mapping
//! reaches `running` after the configured delays.

use serde_json::{json, Value};
use snapshot_emulator::graph_olap::{router, Clock, Config, Timing};
use std::time::Duration;

/// A manual clock and a default config on it, with `timing`.
fn manual(timing: Timing) -> (Clock, Config) {
    let clock = Clock::manual("2026-12-01T10:00:00Z".parse().expect("a time"));
    let config = Config {
        timing,
        clock: clock.clone(),
        ..Config::default()
    };
    (clock, config)
}

/// Serves `config` on loopback; a function sending `method path [body]` as `user`.
struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    async fn serve(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, router(config)).await });
        Self {
            url,
            http: snapshots_runtime::http_client_builder().build().unwrap(),
        }
    }

    async fn call(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method: reqwest::Method = method.parse().expect("a method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("X-Username", user)
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ids(&self, path: &str) -> Vec<i64> {
        let (status, body) = self.call("demo", "GET", path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|item| item["id"].as_i64())
            .collect()
    }
}

/// Two snapshots of mapping 1, a minute apart (10:00 and 10:01).
async fn two_snapshots(clock: &Clock, api: &Api) {
    for name in ["first", "second"] {
        let body = json!({"mapping_id": 1, "name": name});
        assert_eq!(
            api.call("demo", "POST", "/api/snapshots", Some(body))
                .await
                .0,
            201
        );
        clock.advance(Duration::from_secs(60));
    }
}

#[tokio::test]
async fn seed_only_list_parameters_are_ignored_by_default() {
    let (clock, config) = manual(Timing::frozen());
    let api = Api::serve(config).await;
    two_snapshots(&clock, &api).await;
    for query in [
        "created_after=2099-01-01T00:00:00Z",
        "created_before=2000-01-01T00:00:00Z",
        "created_after=not-a-date",
        "mapping_version=99",
        "sort_by=status",
        "sort_by=bogus&sort_order=sideways",
    ] {
        assert_eq!(
            api.ids(&format!("/api/snapshots?{query}")).await,
            [2, 1],
            "{query}"
        );
    }
    assert_eq!(
        api.ids("/api/instances?created_after=2099-01-01T00:00:00Z")
            .await,
        Vec::<i64>::new()
    );
    // What the server does check: 422.
    for query in ["status=bogus", "limit=0", "limit=101", "offset=-1"] {
        let (status, _) = api
            .call("demo", "GET", &format!("/api/snapshots?{query}"), None)
            .await;
        assert_eq!(status, 422, "{query}");
    }
}

#[tokio::test]
async fn seed_filters_apply_the_seed_parameters() {
    let (clock, config) = manual(Timing::frozen());
    let api = Api::serve(Config {
        seed_filters: true,
        ..config
    })
    .await;
    two_snapshots(&clock, &api).await;
    assert_eq!(
        api.ids("/api/snapshots?created_after=2026-12-01T10:00:30Z")
            .await,
        [2]
    );
    assert_eq!(
        api.ids("/api/snapshots?created_before=2026-12-01T10:00:30Z")
            .await,
        [1]
    );
    assert_eq!(api.ids("/api/snapshots?mapping_version=1").await, [2, 1]);
    assert_eq!(
        api.ids("/api/snapshots?mapping_version=2").await,
        Vec::<i64>::new()
    );
    let (status, body) = api
        .call(
            "demo",
            "GET",
            "/api/snapshots?created_after=not-a-date",
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["details"]["errors"][0]["field"],
        "query.created_after"
    );
    // `sort_by=status`: snapshot 2 fails (internal route), `failed` < `pending`.
    let report = json!({"status": "failed", "error_message": "boom"});
    let (status, _) = api
        .call(
            "demo",
            "PATCH",
            "/api/internal/snapshots/2/status",
            Some(report),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        api.ids("/api/snapshots?sort_by=status&sort_order=asc")
            .await,
        [2, 1]
    );
    assert_eq!(api.ids("/api/snapshots?sort_by=status").await, [1, 2]);
}

#[tokio::test]
async fn deleting_a_snapshot_in_use_is_the_recorded_500_and_deletes_nothing() {
    let (_, config) = manual(Timing::frozen());
    let api = Api::serve(config).await;
    let body = json!({"mapping_id": 1, "wrapper_type": "ryugraph", "name": "inst"});
    let (status, instance) = api.call("demo", "POST", "/api/instances", Some(body)).await;
    assert_eq!(status, 201);
    let snapshot = instance["data"]["snapshot_id"].as_i64().expect("an id");
    let (status, body) = api
        .call(
            "demo",
            "DELETE",
            &format!("/api/snapshots/{snapshot}"),
            None,
        )
        .await;
    assert_eq!(status, 500);
    assert_eq!(
        body["error"],
        json!({"code": "INTERNAL_ERROR", "message": "An unexpected error occurred"})
    );
    assert_eq!(
        api.call("demo", "GET", &format!("/api/snapshots/{snapshot}"), None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn deleting_an_instance_cascades_to_a_snapshot_no_other_instance_uses() {
    let (clock, config) = manual(Timing::instant());
    let api = Api::serve(config).await;
    let create = |name: &str| json!({"mapping_id": 1, "wrapper_type": "ryugraph", "name": name});
    let (_, first) = api
        .call("demo", "POST", "/api/instances", Some(create("a")))
        .await;
    clock.advance(Duration::from_secs(1));
    // The snapshot is ready now: the second instance reuses it.
    let (_, second) = api
        .call("demo", "POST", "/api/instances", Some(create("b")))
        .await;
    let snapshot = first["data"]["snapshot_id"].as_i64().expect("an id");
    assert_eq!(second["data"]["snapshot_id"].as_i64(), Some(snapshot));
    let path = |instance: &Value| format!("/api/instances/{}", instance["data"]["id"]);
    assert_eq!(
        api.call("admin", "DELETE", &path(&first), None).await.0,
        204
    );
    assert_eq!(
        api.call("demo", "GET", &format!("/api/snapshots/{snapshot}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        api.call("demo", "DELETE", &path(&second), None).await.0,
        204
    );
    assert_eq!(
        api.call("demo", "GET", &format!("/api/snapshots/{snapshot}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        api.call("demo", "DELETE", &path(&second), None).await.0,
        404
    );
}

#[tokio::test]
async fn users_see_what_their_role_allows() {
    let (_, config) = manual(Timing::frozen());
    let api = Api::serve(config).await;
    let (status, body) = api.call("demo", "GET", "/api/users", None).await;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Admin or Ops role required"}))
    );
    for user in ["admin", "system"] {
        let (status, body) = api.call(user, "GET", "/api/users?limit=2", None).await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(
            body.as_array().map(Vec::len),
            Some(2),
            "{user}: a bare array"
        );
        let (status, body) = api.call(user, "GET", "/api/users/demo", None).await;
        assert_eq!((status, body["role"].clone()), (200, json!("analyst")));
        let (status, body) = api.call(user, "GET", "/api/users/nobody", None).await;
        assert_eq!((status, body), (404, json!({"detail": "User not found"})));
    }
    assert_eq!(
        api.call("demo", "GET", "/api/users/demo", None).await.0,
        200
    );
    let (status, body) = api.call("demo", "GET", "/api/users/admin", None).await;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Cannot view other users"}))
    );
    let (status, _) = api
        .call("admin", "GET", "/api/users?is_active=maybe", None)
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn an_instance_from_a_mapping_runs_after_the_configured_delays() {
    let timing = Timing {
        snapshot_pending: Duration::from_secs(1),
        snapshot_creating: Duration::from_secs(4),
        instance_pickup: Duration::from_secs(1),
        instance_startup: Duration::from_secs(10),
    };
    let (clock, config) = manual(timing);
    let api = Api::serve(config).await;
    let body = json!({"mapping_id": 1, "wrapper_type": "falkordb", "name": "runs"});
    let (_, created) = api.call("demo", "POST", "/api/instances", Some(body)).await;
    let path = format!("/api/instances/{}", created["data"]["id"]);
    let status = |body: &Value| {
        body["data"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status(&created), "waiting_for_snapshot");
    clock.advance(Duration::from_secs(5));
    let (_, starting) = api.call("demo", "GET", &path, None).await;
    assert_eq!(status(&starting), "starting");
    assert_eq!(starting["data"]["pod_name"], Value::Null);
    // The CPU can only change while running.
    let cpu = json!({"cpu_cores": 2});
    let (code, body) = api
        .call("demo", "PUT", &format!("{path}/cpu"), Some(cpu.clone()))
        .await;
    assert_eq!(
        (code, body["error"]["code"].clone()),
        (409, json!("INVALID_STATE"))
    );
    clock.advance(Duration::from_secs(10));
    let (_, running) = api.call("demo", "GET", &path, None).await;
    assert_eq!(status(&running), "running");
    assert!(running["data"]["pod_name"].is_string() && running["data"]["started_at"].is_string());
    let (code, body) = api
        .call("demo", "PUT", &format!("{path}/cpu"), Some(cpu))
        .await;
    assert_eq!((code, body["data"]["cpu_cores"].clone()), (200, json!(2)));
    let (_, mine) = api
        .call("demo", "GET", "/api/instances/user/status", None)
        .await;
    assert_eq!(
        mine["data"],
        json!({"active_instances": 1, "per_user_limit": 10, "available_slots": 9})
    );
}

#[tokio::test]
async fn retry_keeps_the_error_message_and_refuses_a_ready_snapshot() {
    let (_, config) = manual(Timing::frozen());
    let api = Api::serve(config).await;
    let body = json!({"mapping_id": 1, "name": "s"});
    assert_eq!(
        api.call("demo", "POST", "/api/snapshots", Some(body))
            .await
            .0,
        201
    );
    let fail = json!({"status": "failed", "error_message": "boom"});
    api.call(
        "demo",
        "PATCH",
        "/api/internal/snapshots/1/status",
        Some(fail),
    )
    .await;
    let (status, body) = api
        .call("demo", "POST", "/api/snapshots/1/retry", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["data"]["status"].clone(),
            body["data"]["error_message"].clone()
        ),
        (json!("pending"), json!("boom"))
    );
    let ready = json!({"status": "ready"});
    api.call(
        "demo",
        "PATCH",
        "/api/internal/snapshots/1/status",
        Some(ready),
    )
    .await;
    let (status, body) = api
        .call("demo", "POST", "/api/snapshots/1/retry", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("INVALID_STATE"))
    );
}

#[tokio::test]
async fn paging_errors_of_the_new_lists_are_422_not_500() {
    // Found by the conformance run: an offset past i64 on a mapping's versions.
    let (_, config) = manual(Timing::frozen());
    let api = Api::serve(config).await;
    for path in [
        "/api/mappings/1/versions?offset=9223372036854775808",
        "/api/mappings/1/snapshots?limit=0",
        "/api/mappings/x/instances?offset=-1",
        "/api/instances/1/events?limit=101",
        "/api/mappings?offset=-1",
    ] {
        let (status, body) = api.call("demo", "GET", path, None).await;
        assert_eq!(status, 422, "{path}: {body}");
    }
    let (_, body) = api
        .call("demo", "GET", "/api/mappings/x/instances?offset=-1", None)
        .await;
    let fields: Vec<&str> = body["error"]["details"]["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["path.mapping_id", "query.offset"]);
}
