//! Handlers of the operations captures-2 added: users (list, get), mappings (list, get,
//! versions, their snapshots and instances), instance changes and reads (update, lifecycle,
//! CPU, memory, progress, events, the user's status) and the internal instance routes a
//! wrapper pod reports through.

use super::{invalid, json_body, no_content, ok, path_id, Answer, App, Body, SnapshotPath};
use crate::graph_olap::error::ApiError;
use crate::graph_olap::models::{
    REPORT_INSTANCE_PROGRESS, REPORT_INSTANCE_STATUS, UPDATE_CPU, UPDATE_INSTANCE, UPDATE_MEMORY,
};
use crate::graph_olap::query::{list_params, parse_pairs, ListParams};
use crate::graph_olap::store::{loading_progress, InstanceReport};
use crate::graph_olap::validate::{
    check_body, check_query_value, FieldError, Model, Rule, SNAPSHOT_STATUSES, UPDATE_LIFECYCLE,
};
use crate::graph_olap::wire;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

/// `offset` and `limit` (and, for `with`, those filters) of a list query, validated as the
/// other lists; other parameters are ignored.
fn paging(query: Option<&str>, with: &[&str]) -> Result<ListParams, ApiError> {
    let pairs: Vec<(String, String)> = parse_pairs(query)
        .into_iter()
        .filter(|(name, _)| {
            ["offset", "limit"].contains(&name.as_str()) || with.contains(&name.as_str())
        })
        .collect();
    list_params(&pairs, "", SNAPSHOT_STATUSES, false).map_err(invalid)
}

/// Validates `body` against `model`; the normalised members.
fn members(
    model: &Model,
    body: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Map<String, Value>> {
    match check_body(model, body) {
        Ok(Value::Object(map)) => Some(map),
        Ok(_) => None,
        Err(found) => {
            errors.extend(found);
            None
        }
    }
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// `GET /api/users`: `is_active`, `offset` (>= 0), `limit` (1-200); admin or ops only.
pub(super) async fn list_users(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, caller) = app.authenticate(&headers)?;
    let pairs = parse_pairs(query.as_deref());
    let last = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let mut errors = Vec::new();
    let is_active = last("is_active").and_then(|raw| match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => {
            errors.push(FieldError::new(
                "query.is_active",
                "Input should be a valid boolean, unable to interpret input",
                "bool_parsing",
            ));
            None
        }
    });
    let bounded =
        |name: &str, ge: i64, le: Option<i64>, default: i64, errors: &mut Vec<FieldError>| {
            let rule = Rule::Int {
                gt: None,
                ge: Some(ge),
                le,
            };
            last(name)
                .and_then(|raw| check_query_value(name, &rule, raw, errors))
                .and_then(|v| v.as_u64())
                .unwrap_or(default as u64)
        };
    let limit = bounded("limit", 1, Some(200), 50, &mut errors);
    let offset = bounded("offset", 0, None, 0, &mut errors);
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let users = store.list_users(&caller, is_active, offset, limit)?;
    Ok(ok(&wire::users(&users)?))
}

/// `GET /api/users/{username}`.
pub(super) async fn get_user(
    State(app): State<App>,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Answer {
    let (_, store, caller) = app.authenticate(&headers)?;
    Ok(ok(&wire::user(store.user(&caller, &username)?)?))
}

/// `GET /api/mappings`: `owner`, `search`, `sort_by`, `sort_order`, `offset`, `limit`.
pub(super) async fn list_mappings(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let params = paging(
        query.as_deref(),
        &["owner", "search", "sort_by", "sort_order"],
    )?;
    let (items, total) = store.list_mappings(&params);
    let items = items.iter().map(|m| wire::mapping_summary(m)).collect();
    Ok(ok(&wire::page_envelope(
        items,
        total,
        params.offset,
        params.limit,
    )?))
}

/// `GET /api/mappings/{mapping_id}`.
pub(super) async fn get_mapping(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "mapping_id", &mut errors).ok_or_else(|| invalid(errors))?;
    Ok(ok(&wire::mapping_envelope(store.mapping(id, "Mapping")?)?))
}

/// `GET /api/mappings/{mapping_id}/versions`.
pub(super) async fn mapping_versions(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "mapping_id", &mut errors);
    let params = paging(query.as_deref(), &[]);
    let (Some(id), Ok(params)) = (id, params) else {
        return Err(invalid(errors));
    };
    let mapping = store.mapping(id, "Mapping")?;
    Ok(ok(&wire::mapping_versions_page(
        mapping,
        params.offset,
        params.limit,
    )?))
}

/// `GET /api/mappings/{mapping_id}/versions/{version}`.
pub(super) async fn mapping_version(
    State(app): State<App>,
    headers: HeaderMap,
    Path((mapping_id, version)): Path<(String, String)>,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(Ok(Path(mapping_id)), "mapping_id", &mut errors);
    let version = path_id(Ok(Path(version)), "version", &mut errors);
    let (Some(id), Some(version)) = (id, version) else {
        return Err(invalid(errors));
    };
    let found = store.mapping_version_of(id, version)?;
    Ok(ok(&wire::mapping_version_envelope(id, found)?))
}

/// `GET /api/mappings/{mapping_id}/snapshots`.
pub(super) async fn mapping_snapshots(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "mapping_id", &mut errors).ok_or_else(|| invalid(errors))?;
    let params = paging(query.as_deref(), &[])?;
    let (items, total) = store.mapping_snapshots(id, &params)?;
    Ok(ok(&wire::snapshot_page(
        &items,
        total,
        params.offset,
        params.limit,
    )?))
}

/// `GET /api/mappings/{mapping_id}/instances`.
pub(super) async fn mapping_instances(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "mapping_id", &mut errors).ok_or_else(|| invalid(errors))?;
    let params = paging(query.as_deref(), &[])?;
    let (items, total) = store.mapping_instances(id, &params)?;
    Ok(ok(&wire::instance_page(
        &items,
        total,
        params.offset,
        params.limit,
    )?))
}

/// `PUT /api/instances/{instance_id}`: name and description.
pub(super) async fn update_instance(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors);
    let request = members(&UPDATE_INSTANCE, body.as_ref(), &mut errors);
    let (Some(id), Some(request)) = (id, request) else {
        return Err(invalid(errors));
    };
    let (name, description) = (string(&request, "name"), string(&request, "description"));
    let instance = store.update_instance(&caller, id, name, description, now)?;
    Ok(ok(&wire::instance_envelope(instance)?))
}

/// `PUT /api/instances/{instance_id}/lifecycle`: the whole instance.
pub(super) async fn instance_lifecycle(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors);
    let request = members(&UPDATE_LIFECYCLE, body.as_ref(), &mut errors);
    let (Some(id), Some(request)) = (id, request) else {
        return Err(invalid(errors));
    };
    let (ttl, timeout) = (
        string(&request, "ttl"),
        string(&request, "inactivity_timeout"),
    );
    let instance = store.update_instance_lifecycle(&caller, id, ttl, timeout, now)?;
    Ok(ok(&wire::instance_envelope(instance)?))
}

/// `PUT /api/instances/{instance_id}/cpu` and `/memory`.
async fn resize(
    app: App,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
    model: &Model,
) -> Answer {
    let body = json_body(body)?;
    let (_, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors);
    let request = members(model, body.as_ref(), &mut errors);
    let (Some(id), Some(request)) = (id, request) else {
        return Err(invalid(errors));
    };
    let cores = request.get("cpu_cores").and_then(Value::as_i64);
    let instance = store.resize_instance(&caller, id, cores)?;
    Ok(ok(&wire::instance_envelope(instance)?))
}

/// `PUT /api/instances/{instance_id}/cpu`: 409 unless running.
pub(super) async fn instance_cpu(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    resize(app, headers, path, body, &UPDATE_CPU).await
}

/// `PUT /api/instances/{instance_id}/memory`: 409 unless running.
pub(super) async fn instance_memory(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    resize(app, headers, path, body, &UPDATE_MEMORY).await
}

/// `GET /api/instances/{instance_id}/progress`.
pub(super) async fn instance_progress(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors).ok_or_else(|| invalid(errors))?;
    Ok(ok(&wire::instance_progress_envelope(
        store.instance_progress(id)?,
    )?))
}

/// `GET /api/instances/{instance_id}/events`: no events are recorded, and upstream does
/// not check that the instance exists.
pub(super) async fn instance_events(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    RawQuery(query): RawQuery,
) -> Answer {
    let _ = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    path_id(path, "instance_id", &mut errors).ok_or_else(|| invalid(errors))?;
    let params = paging(query.as_deref(), &[])?;
    Ok(ok(&wire::page_envelope(
        Vec::new(),
        0,
        params.offset,
        params.limit,
    )?))
}

/// `GET /api/instances/user/status`.
pub(super) async fn user_status(State(app): State<App>, headers: HeaderMap) -> Answer {
    let (_, store, caller) = app.authenticate(&headers)?;
    Ok(ok(&wire::user_status_envelope(store.user_status(&caller))?))
}

/// `PATCH /api/internal/instances/{instance_id}/status` (no identity).
pub(super) async fn report_instance_status(
    State(app): State<App>,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let now = app.clock.now();
    let mut store = app.store_at(now);
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors);
    let request = members(&REPORT_INSTANCE_STATUS, body.as_ref(), &mut errors);
    let (Some(id), Some(request)) = (id, request) else {
        return Err(invalid(errors));
    };
    let report = InstanceReport {
        status: string(&request, "status").unwrap_or_default(),
        pod_name: string(&request, "pod_name"),
        instance_url: string(&request, "instance_url"),
        error_code: string(&request, "error_code"),
        error_message: string(&request, "error_message"),
    };
    let instance = store.report_instance_status(id, report, now)?;
    Ok(ok(&wire::reported_instance_envelope(instance)?))
}

/// `PUT /api/internal/instances/{instance_id}/progress` (no identity).
pub(super) async fn report_instance_progress(
    State(app): State<App>,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let now = app.clock.now();
    let mut store = app.store_at(now);
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors);
    let request = members(&REPORT_INSTANCE_PROGRESS, body.as_ref(), &mut errors);
    let (Some(id), Some(request)) = (id, request) else {
        return Err(invalid(errors));
    };
    let steps = match request.get("steps") {
        Some(Value::Array(steps)) => steps.iter().cloned().map(wire::step).collect(),
        _ => Vec::new(),
    };
    let phase = string(&request, "phase").unwrap_or_default();
    store.report_instance_progress(id, loading_progress(&phase, steps))?;
    Ok(ok(&wire::updated_envelope()?))
}

/// `POST /api/internal/instances/{instance_id}/activity` (no identity): 204.
pub(super) async fn record_activity(State(app): State<App>, path: SnapshotPath) -> Answer {
    let now = app.clock.now();
    let mut store = app.store_at(now);
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors).ok_or_else(|| invalid(errors))?;
    store.record_activity(id, now)?;
    Ok(no_content())
}
