//! Graph OLAP control plane emulation: an in-memory control plane that answers every
//! operation of `specs/graph-olap-control-plane.yaml` the way the recorded upstream code
//! (`b4uharsha/newgraph` at `3be7e3e`, see `shared/graph-olap-captures/`) does.
//!
//! [`router`] serves the paths under `/api` (the emulator binary nests it under
//! `/graph-olap`). Bodies are built from the generated `graph_olap::types` and request
//! bodies are decoded with them, so the emulator cannot drift from the spec.
//!
//! # Routes
//!
//! | method and path | answer |
//! | --- | --- |
//! | `GET /api/snapshots` | 200 page: filters `owner`, `mapping_id`, `status`, `search` (SQL `LIKE '%x%'` on name and description, case-sensitive), `sort_by` (`created_at`, `updated_at`, `name`, `size_bytes`; others fall back to `created_at`), `sort_order` (`asc`, anything else is descending), `offset` (>= 0), `limit` (1-100, default 50); ties are broken by id, so pages are stable; `meta.total` counts every match; `created_after`, `created_before`, `mapping_version` are ignored as upstream ignores them, unless [`Config::seed_filters`] |
//! | `POST /api/snapshots` | 201 snapshot, `pending`; 404 `Mapping` / `MappingVersion` (`"1/v42"`) |
//! | `GET /api/snapshots/{id}` | 200; 404 |
//! | `PUT /api/snapshots/{id}` | 200; name and description, a null or omitted member keeps its value |
//! | `DELETE /api/snapshots/{id}` | 204 without a body; 500 `INTERNAL_ERROR` while any instance uses it, nothing deleted (the seed's 409 `RESOURCE_HAS_DEPENDENCIES` with [`ReferencedSnapshotDelete::Conflict`]) |
//! | `PUT /api/snapshots/{id}/lifecycle` | 200 `{id, ttl, inactivity_timeout, updated_at}`; ISO 8601 durations `^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$` |
//! | `POST /api/snapshots/{id}/retry` | 200 snapshot, `pending` again (the old `error_message` is kept, as upstream); 409 `INVALID_STATE` unless `failed` |
//! | `GET /api/snapshots/{id}/progress` | 200 `{jobs_total, jobs_pending, jobs_claimed, jobs_submitted, jobs_completed, jobs_failed, jobs[{name, type, status, row_count}]}` |
//! | `POST /api/instances` | 201 instance `waiting_for_snapshot`: reuses the newest `ready` snapshot of the mapping version or creates `Auto-snapshot for {name}`; 409 `CONCURRENCY_LIMIT_EXCEEDED` |
//! | `GET /api/instances`, `GET /api/instances/{id}` | 200 page (filters `owner`, `snapshot_id`, `status`, `search`; sort `created_at`, `updated_at`, `name`, `started_at`) / 200; 404 |
//! | `DELETE /api/instances/{id}` | 204; 404; 403 for another analyst; its snapshot goes too when no other instance uses it |
//! | `PUT /api/instances/{id}`, `/lifecycle` | 200 whole instance (name, description; ttl, inactivity timeout, `expires_at` follows) |
//! | `PUT /api/instances/{id}/cpu`, `/memory` | 200 whole instance (`cpu_cores` changes); 409 `INVALID_STATE` unless `running` |
//! | `GET /api/instances/{id}/progress` | 200 `{phase: "unknown", steps: []}` until a wrapper reports, then `{phase, steps, progress_percent}`; 404 |
//! | `GET /api/instances/{id}/events` | 200 empty page, even for a missing id |
//! | `GET /api/instances/user/status` | 200 `{active_instances, per_user_limit, available_slots}` |
//! | `PATCH /api/internal/instances/{id}/status`, `PUT .../progress`, `POST .../activity` | no identity: the wrapper's report (the status answer has `cpu_cores: null`, as upstream), `{updated: true}`, 204 (`last_activity_at`) |
//! | `GET /api/users`, `GET /api/users/{username}` | bare array (`is_active`, `offset`, `limit`; newest first) admin/ops only / bare user, oneself or admin/ops (403 `{"detail": "Cannot view other users"}`, 404 `{"detail": "User not found"}`) |
//! | `GET /api/mappings`, `/{id}`, `/{id}/versions`, `/{id}/versions/{v}`, `/{id}/snapshots`, `/{id}/instances` | page of summaries (`node_count`, `edge_type_count`; `owner`, `search`, sort `created_at`, `updated_at`, `name`) / mapping with definitions / versions / one version (404 `mapping_version` `1/v2`) / pages |
//! | `POST /api/users` | 201 bare user; admin or ops only (403 `{"detail": "Admin or Ops role required"}`); 409 when the user exists |
//! | `POST /api/users/bootstrap` | 201 bare user with role `ops`, no identity needed; 409 once any user exists |
//! | `POST /api/mappings` | 201 mapping (version 1); labels unique, edges between defined labels |
//! | `PATCH /api/internal/snapshots/{id}/status` | 200 snapshot; no identity; any transition, null members keep their values; stops the simulated export (the caller drives from then on) |
//!
//! Unknown routes answer 404 `{"detail": "Not Found"}`, other methods 405
//! `{"detail": "Method Not Allowed"}`. Unknown query parameters and body members are
//! ignored, as upstream ignores them.
//!
//! # Identity
//!
//! `X-Username` names the caller; missing gives 401 `{"detail": {"code": "UNAUTHORIZED"}}`,
//! an unknown user 403 `USER_NOT_PROVISIONED`, a disabled one 403 `USER_DISABLED`.
//! `Authorization: Bearer <token>` is accepted too: the token must be one of
//! [`Config::tokens`] (else 401) and names the user, whatever `X-Username` says. Reads are open
//! to every provisioned user; changes to a snapshot need its owner, `admin` or `ops` (else
//! 403 `PERMISSION_DENIED`). Failures come in upstream's order: unparsable JSON (422
//! `json_invalid`), identity (401/403), validation of path, query and body together (422
//! `VALIDATION_FAILED`, `details.errors[{field, message, type}]` with pydantic's messages),
//! then 404, then ownership 403, then 409.
//!
//! Every answer carries `x-request-id` (the request's, else a new UUID); success bodies
//! have `meta.request_id: null`, error envelopes the id.
//!
//! # State machine
//!
//! Nothing runs in the background: each request first brings every moving resource up to
//! the [`Clock`]'s present, with the exact times the transitions happened at.
//!
//! - A snapshot is `pending` for [`Timing::snapshot_pending`], then `creating` for
//!   [`Timing::snapshot_creating`], then `ready` with `size_bytes`, `node_counts` and
//!   `edge_counts`. Its export jobs (one per edge, then node definition, as upstream orders
//!   them) are worked one after the other during `creating`: `pending` -> `claimed` ->
//!   `submitted` -> `completed` (with a `row_count`); `/progress` shows them.
//! - **The `fail` convention:** the export of a snapshot whose name starts with `fail` (any
//!   ASCII case) fails instead: at the end of `creating` the middle job is `failed`, the
//!   snapshot is `failed` with an `error_message` naming the job. The name is read when the
//!   export starts, so rename a snapshot (`PUT`) before `retry` to let it succeed. The
//!   auto-snapshot of an instance whose name starts with `fail` fails the same way (and
//!   with it the instance).
//! - `retry` restarts the export of a `failed` snapshot from `pending`.
//! - An instance stays `waiting_for_snapshot` at least [`Timing::instance_pickup`] and until
//!   its snapshot is `ready`, is then `starting` (no pod yet, as upstream) for
//!   [`Timing::instance_startup`], then `running` (`started_at`, `pod_name`,
//!   `instance_url`): the emulator's stand-in for the wrapper pod's report, which the
//!   internal status route can also make. If the snapshot fails the instance fails with
//!   `DATA_LOAD_ERROR` (`Snapshot failed: ...`).
//! - `PATCH /api/internal/snapshots/{id}/status` takes a snapshot out of the simulation.
//!
//! # Demo users
//!
//! [`Config::default`] provisions `demo` (analyst), `admin` (admin) and `system` (ops),
//! with the bearer tokens `demo-token`, `admin-token` and `system-token`, and the mapping
//! 1 `Customer Graph` (owner `demo`: nodes `Customer`, `Product`, edge `PURCHASED`).
//! [`Config::as_recorded`] is the set-up the recordings were made with.
//!
//! # Where it differs from the recorded code
//!
//! - An instance reaches `running` on its own after [`Timing::instance_startup`] (upstream
//!   waits for the wrapper pod's report).
//! - With [`Config::seed_filters`], the seed's list filters apply (upstream ignores them).
//! - A non-null `progress` in the internal status PATCH is stored (upstream fails with 500).
//! - `x-request-id` is also sent on 500 answers.
//!
//! ```
//! # async fn demo() -> std::io::Result<()> {
//! use snapshot_emulator::graph_olap::{router, Config};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, router(Config::default())).await });
//! // `url` now answers GET {url}/api/snapshots with `X-Username: demo`.
//! # let _ = url; Ok(()) }
//! ```

mod config;
mod error;
mod export;
mod models;
mod probe;
mod query;
mod routes;
pub(crate) mod seeding;
mod store;
mod validate;
mod wire;

pub use config::{Clock, Config, ReferencedSnapshotDelete, Role, SeedUser, Timing};
pub use probe::StoreProbe;

/// The Graph OLAP control plane: every `/api/...` route of the spec, over a fresh
/// in-memory store set up from `config`.
///
/// ```
/// use snapshot_emulator::graph_olap::{router, Config, Timing};
/// let app: axum::Router = router(Config { timing: Timing::instant(), ..Config::default() });
/// # let _ = app;
/// ```
pub fn router(config: Config) -> axum::Router {
    let now = config.clock.now();
    let store = store::Store::new(&config, now);
    routes::routes(routes::App::new(
        store,
        config.clock,
        config.tokens,
        config.seed_filters,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_mapping_is_valid() {
        let body = store::demo_mapping();
        let checked = validate::check_body(&validate::CREATE_MAPPING, Some(&body))
            .expect("the demo mapping passes validation");
        let decoded: Result<graph_olap::types::CreateMappingRequest, _> =
            serde_json::from_value(checked);
        assert!(decoded.is_ok(), "{decoded:?}");
    }

    #[test]
    fn the_fail_convention() {
        assert!(store::fails_by_name("fail-fast"));
        assert!(store::fails_by_name("FAILING"));
        assert!(!store::fails_by_name("fai"));
        assert!(!store::fails_by_name("my failure"));
        assert!(!store::fails_by_name("Ünfail"));
        assert!(store::fails_by_name("Auto-snapshot for fail-inst"));
        assert!(!store::fails_by_name("Auto-snapshot for my-inst"));
    }

    #[test]
    fn expires_at_follows_the_upstream_single_unit_parser() {
        let at: chrono::DateTime<chrono::Utc> = "2026-11-23T16:53:15Z".parse().expect("a time");
        let expiry = |ttl: &str| store::expires_at(at, Some(ttl)).map(|t| t.to_rfc3339());
        assert_eq!(
            expiry("PT24H").as_deref(),
            Some("2026-11-24T16:53:15+00:00")
        );
        assert_eq!(expiry("PT4H").as_deref(), Some("2026-11-23T20:53:15+00:00"));
        assert_eq!(expiry("P7D").as_deref(), Some("2026-11-30T16:53:15+00:00"));
        assert_eq!(
            expiry("PT30M").as_deref(),
            Some("2026-11-23T17:23:15+00:00")
        );
        for none in ["P1DT12H", "PT1H30M", "PT0H", "P", "PT", "P7", "7D"] {
            assert_eq!(expiry(none), None, "{none}");
        }
        assert_eq!(store::expires_at(at, None), None);
    }
}
