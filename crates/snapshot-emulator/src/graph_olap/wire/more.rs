//! Bodies of the operations captures-2 added: user lists, mapping summaries and versions,
//! instance loading progress, events and the user's instance status, and the internal
//! routes' answers, each completed as upstream writes it (every member, `null` when empty).

use super::{complete, complete_each, instance_envelope, page_meta, success_meta, to_value, ts};
use super::{user, META_KEYS, PAGE_META_KEYS};
use crate::build::BuildError;
use crate::graph_olap::store::{InstanceRec, MappingRec, MappingVersionRec, UserRec, UserStatus};
use serde_json::{json, Value};

/// The members of upstream's `MappingSummaryResponse`.
pub(crate) const MAPPING_SUMMARY_KEYS: &[&str] = &[
    "id",
    "owner_username",
    "name",
    "description",
    "current_version",
    "created_at",
    "updated_at",
    "node_count",
    "edge_type_count",
];

/// The members of a version in `GET /api/mappings/{id}/versions`.
pub(crate) const VERSION_SUMMARY_KEYS: &[&str] =
    &["version", "change_description", "created_at", "created_by"];

/// The members of `GET /api/mappings/{id}/versions/{v}`.
pub(crate) const VERSION_KEYS: &[&str] = &[
    "mapping_id",
    "version",
    "change_description",
    "node_definitions",
    "edge_definitions",
    "created_at",
    "created_by",
];

/// The members of one step of an instance's loading progress.
pub(crate) const STEP_KEYS: &[&str] = &["name", "status", "type", "row_count"];

/// `{"data": data, "meta": {"request_id": null}}`.
pub(crate) fn data_envelope(data: Value) -> Result<Value, BuildError> {
    let mut meta = to_value(&success_meta()?);
    complete(&mut meta, META_KEYS);
    Ok(json!({"data": data, "meta": meta}))
}

/// `{"data": items, "meta": {request_id, total, offset, limit}}`.
pub(crate) fn page_envelope(
    items: Vec<Value>,
    total: u64,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let mut meta = to_value(&page_meta(total, offset, limit)?);
    complete(&mut meta, PAGE_META_KEYS);
    Ok(json!({"data": items, "meta": meta}))
}

/// The answer of the internal instance status route: the instance, but `cpu_cores` is
/// `null` (upstream's internal router builds the response without it, capture 72).
pub(crate) fn reported_instance_envelope(i: &InstanceRec) -> Result<Value, BuildError> {
    let mut body = instance_envelope(i)?;
    body["data"]["cpu_cores"] = Value::Null;
    Ok(body)
}

/// The bare array of `GET /api/users`.
pub(crate) fn users(items: &[&UserRec]) -> Result<Value, BuildError> {
    Ok(Value::Array(
        items.iter().map(|u| user(u)).collect::<Result<_, _>>()?,
    ))
}

/// One mapping summary: the current version's node and edge counts.
pub(crate) fn mapping_summary(m: &MappingRec) -> Value {
    let current = m.current();
    let mut item = json!({
        "id": m.id,
        "owner_username": m.owner,
        "name": m.name,
        "description": m.description,
        "current_version": current.map(|v| v.version),
        "created_at": ts(m.created_at),
        "updated_at": ts(m.updated_at),
        "node_count": current.map_or(0, |v| v.nodes.len()),
        "edge_type_count": current.map_or(0, |v| v.edges.len()),
    });
    complete(&mut item, MAPPING_SUMMARY_KEYS);
    item
}

/// Node and edge definitions, each with `properties` (maybe `[]`).
fn definitions(v: &MappingVersionRec) -> (Value, Value) {
    let fill = |mut list: Value| {
        if let Value::Array(items) = &mut list {
            for item in items {
                if item.get("properties").is_none() {
                    item["properties"] = Value::Array(Vec::new());
                }
            }
        }
        list
    };
    (fill(to_value(&v.nodes)), fill(to_value(&v.edges)))
}

/// The versions of a mapping, newest first, as a page.
pub(crate) fn mapping_versions_page(
    m: &MappingRec,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let items: Vec<Value> = m
        .versions
        .iter()
        .rev()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|v| {
            let mut item = json!({"version": v.version, "created_at": ts(v.created_at),
                "created_by": v.created_by});
            complete(&mut item, VERSION_SUMMARY_KEYS);
            item
        })
        .collect();
    page_envelope(items, m.versions.len() as u64, offset, limit)
}

/// `{"data": MappingVersion, "meta": ...}`.
pub(crate) fn mapping_version_envelope(
    mapping_id: i64,
    v: &MappingVersionRec,
) -> Result<Value, BuildError> {
    let (nodes, edges) = definitions(v);
    let mut data = json!({"mapping_id": mapping_id, "version": v.version,
        "node_definitions": nodes, "edge_definitions": edges,
        "created_at": ts(v.created_at), "created_by": v.created_by});
    complete(&mut data, VERSION_KEYS);
    data_envelope(data)
}

/// `{"data": {phase, steps[{name, status, type, row_count}], ...}, "meta": ...}`.
pub(crate) fn instance_progress_envelope(mut progress: Value) -> Result<Value, BuildError> {
    complete_each(&mut progress, "steps", STEP_KEYS);
    data_envelope(progress)
}

/// `{"data": {active_instances, per_user_limit, available_slots}, "meta": ...}`.
pub(crate) fn user_status_envelope(status: UserStatus) -> Result<Value, BuildError> {
    data_envelope(json!({
        "active_instances": status.active_instances,
        "per_user_limit": status.per_user_limit,
        "available_slots": status.available_slots,
    }))
}

/// `{"data": {"updated": true}, "meta": ...}`.
pub(crate) fn updated_envelope() -> Result<Value, BuildError> {
    data_envelope(json!({"updated": true}))
}

/// One reported loading step with every member (`type` and `row_count` `null` when not
/// given), as upstream's `model_dump` stores it.
pub(crate) fn step(mut value: Value) -> Value {
    complete(&mut value, STEP_KEYS);
    value
}
