//! Handlers of the operations captures-2 added: users (list, get), mappings (list, get,
//! versions, their snapshots and instances), instance changes and reads (update, lifecycle,
//! CPU, memory, progress, events, the user's status) and the internal instance routes a
//! wrapper pod reports through.

use super::{
    id_and_request, invalid, json_body, no_content, ok, path_id, Answer, App, Body, SnapshotPath,
};
use crate::graph_olap::models::{
    REPORT_INSTANCE_PROGRESS, REPORT_INSTANCE_STATUS, UPDATE_CPU, UPDATE_INSTANCE,
    UPDATE_INSTANCE_LIFECYCLE, UPDATE_MEMORY,
};
use crate::graph_olap::query::{list_params, parse_pairs, ListParams};
use crate::graph_olap::store::{reported_status, InstanceReport};
use crate::graph_olap::validate::{check_query_value, FieldError, Rule, SNAPSHOT_STATUSES};
use crate::graph_olap::wire;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use graph_olap::types;

/// `offset` and `limit` (and, for `with`, those filters) of a list query, validated as the
/// other lists (failures pushed to `errors`); other parameters are ignored.
fn paging(query: Option<&str>, with: &[&str], errors: &mut Vec<FieldError>) -> Option<ListParams> {
    let pairs: Vec<(String, String)> = parse_pairs(query)
        .into_iter()
        .filter(|(name, _)| {
            ["offset", "limit"].contains(&name.as_str()) || with.contains(&name.as_str())
        })
        .collect();
    list_params(&pairs, "", SNAPSHOT_STATUSES, false)
        .map_err(|found| errors.extend(found))
        .ok()
}

/// `GET /api/users`: `is_active`, `offset` and `limit` (bounded as the spec says); admin or
/// ops only.
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
    let bounded = |name: &'static str, default: u64, errors: &mut Vec<FieldError>| {
        last(name)
            .and_then(|raw| {
                check_query_value(name, &Rule::spec_int("list_users", name), raw, errors)
            })
            .and_then(|v| v.as_u64())
            .unwrap_or(default)
    };
    let limit = bounded("limit", 50, &mut errors);
    let offset = bounded("offset", 0, &mut errors);
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
    let mut errors = Vec::new();
    let with = ["owner", "search", "sort_by", "sort_order"];
    let params = paging(query.as_deref(), &with, &mut errors).ok_or_else(|| invalid(errors))?;
    let (items, total) = store.list_mappings(&params);
    Ok(ok(&wire::mapping_page(
        &items,
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

/// The path's `mapping_id` and the paging of a mapping's sub-list; else the 422 naming every
/// problem of both.
fn mapping_id_and_paging(
    path: SnapshotPath,
    query: Option<&str>,
) -> Result<(i64, ListParams), crate::graph_olap::error::ApiError> {
    let mut errors = Vec::new();
    let id = path_id(path, "mapping_id", &mut errors);
    let params = paging(query, &[], &mut errors);
    match (id, params) {
        (Some(id), Some(params)) => Ok((id, params)),
        _ => Err(invalid(errors)),
    }
}

/// `GET /api/mappings/{mapping_id}/versions`.
pub(super) async fn mapping_versions(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let (id, params) = mapping_id_and_paging(path, query.as_deref())?;
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
    let (id, params) = mapping_id_and_paging(path, query.as_deref())?;
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
    let (id, params) = mapping_id_and_paging(path, query.as_deref())?;
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
    let (id, request): (i64, types::UpdateInstanceRequest) =
        id_and_request(path, "instance_id", &UPDATE_INSTANCE, body.as_ref())?;
    let name = request.name.map(|n| n.to_string());
    let description = request.description.map(|d| d.to_string());
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
    let (id, request): (i64, types::UpdateLifecycleRequest) = id_and_request(
        path,
        "instance_id",
        &UPDATE_INSTANCE_LIFECYCLE,
        body.as_ref(),
    )?;
    let ttl = request.ttl.map(|d| d.to_string());
    let timeout = request.inactivity_timeout.map(|d| d.to_string());
    let instance = store.update_instance_lifecycle(&caller, id, ttl, timeout, now)?;
    Ok(ok(&wire::instance_envelope(instance)?))
}

/// `PUT /api/instances/{instance_id}/cpu`: 409 unless running.
pub(super) async fn instance_cpu(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (_, mut store, caller) = app.authenticate(&headers)?;
    let (id, request): (i64, types::UpdateCpuRequest) =
        id_and_request(path, "instance_id", &UPDATE_CPU, body.as_ref())?;
    let cores = i64::from(request.cpu_cores.get());
    let instance = store.resize_instance(&caller, id, Some(cores))?;
    Ok(ok(&wire::instance_envelope(instance)?))
}

/// `PUT /api/instances/{instance_id}/memory`: 409 unless running; there is no cluster to
/// resize, so nothing in the instance changes.
pub(super) async fn instance_memory(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (_, mut store, caller) = app.authenticate(&headers)?;
    let (id, _): (i64, types::UpdateMemoryRequest) =
        id_and_request(path, "instance_id", &UPDATE_MEMORY, body.as_ref())?;
    let instance = store.resize_instance(&caller, id, None)?;
    Ok(ok(&wire::instance_envelope(instance)?))
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
    let id = path_id(path, "instance_id", &mut errors);
    let params = paging(query.as_deref(), &[], &mut errors);
    let (Some(_), Some(params)) = (id, params) else {
        return Err(invalid(errors));
    };
    Ok(ok(&wire::events_page(params.offset, params.limit)?))
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
    let (id, request): (i64, types::UpdateInstanceStatusRequest) =
        id_and_request(path, "instance_id", &REPORT_INSTANCE_STATUS, body.as_ref())?;
    let report = InstanceReport {
        status: reported_status(request.status),
        pod_name: request.pod_name,
        instance_url: request.instance_url,
        error_code: request.error_code.map(|code| code.to_string()),
        error_message: request.error_message,
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
    let (id, request): (i64, types::UpdateInstanceProgressRequest) = id_and_request(
        path,
        "instance_id",
        &REPORT_INSTANCE_PROGRESS,
        body.as_ref(),
    )?;
    store.report_instance_progress(id, wire::loading_progress(&request)?)?;
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
