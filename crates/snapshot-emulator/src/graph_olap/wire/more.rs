//! Bodies of the operations captures-2 added, built from the spec's generated types: user
//! lists, mapping summaries and versions, instance loading progress, events and the user's
//! instance status, and the internal routes' answers, each completed as upstream writes it
//! (every member, `null` when empty, in upstream's order).

use super::{complete, complete_each, instance_envelope, page_meta, success_meta, to_value, ts};
use super::{user, META_KEYS, PAGE_META_KEYS};
use crate::build::BuildError;
use crate::graph_olap::store::{InstanceRec, MappingRec, MappingVersionRec, UserRec, UserStatus};
use graph_olap::types;
use serde_json::{Map, Value};

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

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Completes `body["meta"]` as a success `meta` and returns the body.
fn with_meta(mut body: Value, keys: &[&str]) -> Value {
    complete(&mut body["meta"], keys);
    body
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

fn mapping_summary(m: &MappingRec) -> Result<types::MappingSummary, BuildError> {
    let current = m.current();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    build!(types::MappingSummary {
        id: m.id,
        owner_username: Some(m.owner.clone()),
        name: Some(m.name.clone()),
        description: m.description.clone(),
        current_version: current.map(|v| v.version),
        created_at: Some(ts(m.created_at)),
        updated_at: Some(ts(m.updated_at)),
        node_count: Some(count(current.map_or(0, |v| v.nodes.len()))),
        edge_type_count: Some(count(current.map_or(0, |v| v.edges.len()))),
    })
}

/// A page of mapping summaries (the current version's node and edge type counts).
pub(crate) fn mapping_page(
    items: &[&MappingRec],
    total: u64,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::MappingListEnvelope {
        data: items
            .iter()
            .map(|m| mapping_summary(m))
            .collect::<Result<Vec<_>, _>>()?,
        meta: page_meta(total, offset, limit)?,
    })?);
    complete_each(&mut body, "data", MAPPING_SUMMARY_KEYS);
    Ok(with_meta(body, PAGE_META_KEYS))
}

/// Node and edge definitions, each with `properties` (maybe `[]`).
fn fill_properties(list: &mut Value) {
    if let Value::Array(items) = list {
        for item in items {
            if item.get("properties").is_none() {
                item["properties"] = Value::Array(Vec::new());
            }
        }
    }
}

/// The versions of a mapping, newest first, as a page.
pub(crate) fn mapping_versions_page(
    m: &MappingRec,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let data = m
        .versions
        .iter()
        .rev()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|v| {
            build!(types::MappingVersionSummary {
                version: v.version,
                change_description: None,
                created_at: Some(ts(v.created_at)),
                created_by: Some(v.created_by.clone()),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut body = to_value(&build!(types::MappingVersionListEnvelope {
        data: data,
        meta: page_meta(m.versions.len() as u64, offset, limit)?,
    })?);
    complete_each(&mut body, "data", VERSION_SUMMARY_KEYS);
    Ok(with_meta(body, PAGE_META_KEYS))
}

/// `{"data": MappingVersion, "meta": ...}`.
pub(crate) fn mapping_version_envelope(
    mapping_id: i64,
    v: &MappingVersionRec,
) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::MappingVersionEnvelope {
        data: build!(types::MappingVersion {
            mapping_id: mapping_id,
            version: v.version,
            change_description: None,
            node_definitions: v.nodes.clone(),
            edge_definitions: v.edges.clone(),
            created_at: Some(ts(v.created_at)),
            created_by: Some(v.created_by.clone()),
        })?,
        meta: success_meta()?,
    })?);
    let data = &mut body["data"];
    for key in ["node_definitions", "edge_definitions"] {
        if data.get(key).is_none() {
            data[key] = Value::Array(Vec::new());
        }
        fill_properties(&mut data[key]);
    }
    complete(data, VERSION_KEYS);
    Ok(with_meta(body, META_KEYS))
}

/// A stored loading progress as the instance's free-form `progress` member: every step
/// with all of its members (`type` and `row_count` `null` when not given), as upstream's
/// `model_dump` stores it.
pub(crate) fn progress_map(progress: &types::InstanceProgress) -> Map<String, Value> {
    let mut value = to_value(progress);
    complete_each(&mut value, "steps", STEP_KEYS);
    if progress.progress_percent.is_some() {
        complete(&mut value, &["phase", "steps", "progress_percent"]);
    }
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"data": InstanceProgress, "meta": ...}`; `{phase: "unknown", steps: []}` before any
/// report.
pub(crate) fn instance_progress_envelope(
    progress: Option<&types::InstanceProgress>,
) -> Result<Value, BuildError> {
    let data = match progress {
        Some(progress) => progress.clone(),
        None => build!(types::InstanceProgress {
            phase: "unknown".to_owned(),
            steps: Vec::<types::InstanceProgressStep>::new(),
            progress_percent: None,
        })?,
    };
    let map = progress_map(&data);
    let mut body = to_value(&build!(types::InstanceProgressEnvelope {
        data: data,
        meta: success_meta()?,
    })?);
    body["data"] = Value::Object(map);
    Ok(with_meta(body, META_KEYS))
}

/// An empty page of instance events (the emulator records none, as a fresh upstream).
pub(crate) fn events_page(offset: u64, limit: u64) -> Result<Value, BuildError> {
    let body = to_value(&build!(types::InstanceEventListEnvelope {
        data: Vec::<types::InstanceEvent>::new(),
        meta: page_meta(0, offset, limit)?,
    })?);
    Ok(with_meta(body, PAGE_META_KEYS))
}

/// `{"data": {active_instances, per_user_limit, available_slots}, "meta": ...}`.
pub(crate) fn user_status_envelope(status: UserStatus) -> Result<Value, BuildError> {
    let body = to_value(&build!(types::UserInstanceStatusEnvelope {
        data: build!(types::UserInstanceStatus {
            active_instances: int(status.active_instances),
            per_user_limit: int(status.per_user_limit),
            available_slots: int(status.available_slots),
        })?,
        meta: success_meta()?,
    })?);
    Ok(with_meta(body, META_KEYS))
}

/// `{"data": {"updated": true}, "meta": ...}`.
pub(crate) fn updated_envelope() -> Result<Value, BuildError> {
    let body = to_value(&build!(types::UpdatedEnvelope {
        data: build!(types::UpdatedResult { updated: true })?,
        meta: success_meta()?,
    })?);
    Ok(with_meta(body, META_KEYS))
}

/// A reported loading progress as upstream stores it: the phase, the steps, and the
/// percentage of `completed` steps, rounded down (0 without steps).
pub(crate) fn loading_progress(
    request: &types::UpdateInstanceProgressRequest,
) -> Result<types::InstanceProgress, BuildError> {
    let steps = request
        .steps
        .iter()
        .map(|step| {
            build!(types::InstanceProgressStep {
                name: step.name.clone(),
                status: types::ProgressStepStatusValue::from(step.status),
                type_: step.type_.map(types::EntityTypeValue::from),
                row_count: step.row_count,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let completed = request
        .steps
        .iter()
        .filter(|s| s.status == types::ProgressStepStatus::Completed)
        .count();
    let percent = (completed * 100).checked_div(steps.len()).unwrap_or(0);
    build!(types::InstanceProgress {
        phase: request.phase.clone(),
        steps: steps,
        progress_percent: Some(i64::try_from(percent).unwrap_or(100)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn request(statuses: &[&str]) -> types::UpdateInstanceProgressRequest {
        let steps: Vec<Value> = statuses
            .iter()
            .map(|status| json!({"name": "x", "status": status}))
            .collect();
        serde_json::from_value(json!({"phase": "loading_nodes", "steps": steps}))
            .unwrap_or_else(|e| panic!("a valid request: {e}"))
    }

    #[test]
    fn recorded_loading_progress() {
        // Captures-2 #86/#87: two of four steps completed is 50 %, and every step carries
        // `type` and `row_count`.
        let progress = loading_progress(&request(&[
            "completed",
            "completed",
            "in_progress",
            "pending",
        ]))
        .expect("built");
        assert_eq!(progress.progress_percent, Some(50));
        let map = progress_map(&progress);
        assert_eq!(
            map["steps"][2],
            json!({"name": "x", "status": "in_progress", "type": null, "row_count": null})
        );
        let empty = loading_progress(&request(&[])).expect("built");
        assert_eq!(empty.progress_percent, Some(0));
        let unknown = instance_progress_envelope(None).expect("built");
        assert_eq!(unknown["data"], json!({"phase": "unknown", "steps": []}));
    }

    proptest! {
        /// The percentage is the completed share rounded down, within 0..=100.
        #[test]
        fn percent_is_the_completed_share(done in proptest::collection::vec(any::<bool>(), 0..40)) {
            let statuses: Vec<&str> = done.iter().map(|d| if *d { "completed" } else { "pending" }).collect();
            let percent = loading_progress(&request(&statuses)).ok().and_then(|p| p.progress_percent);
            let completed = done.iter().filter(|d| **d).count() as i64;
            let expected = if done.is_empty() { 0 } else { completed * 100 / done.len() as i64 };
            prop_assert_eq!(percent, Some(expected));
        }
    }
}
