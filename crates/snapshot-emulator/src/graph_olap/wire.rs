//! Response bodies: records become the spec's generated types (so a field the spec does not
//! have cannot be sent), which are serialised and then completed the way the control plane
//! writes them: every member of its response models is present, `null` when empty (the
//! generated types omit empty optional members), in the upstream order, and success `meta`
//! is `{"request_id": null}`.

use super::config::Role;
use super::export::JobStatus;
use super::store::{InstanceRec, InstanceStatus, MappingRec, SnapshotRec, SnapshotStatus, UserRec};
use crate::build::BuildError;
use chrono::{DateTime, SubsecRound, Utc};
use graph_olap::types;
use serde::Serialize;
use serde_json::{Map, Value};

mod more;
pub(crate) use more::*;

/// The 18 members of upstream's `SnapshotResponse`, in order.
pub(crate) const SNAPSHOT_KEYS: &[&str] = &[
    "id",
    "mapping_id",
    "mapping_version",
    "owner_username",
    "name",
    "description",
    "gcs_path",
    "status",
    "size_bytes",
    "node_counts",
    "edge_counts",
    "progress",
    "error_message",
    "created_at",
    "updated_at",
    "ttl",
    "inactivity_timeout",
    "last_used_at",
];

/// The 23 members of upstream's `InstanceResponse`, in order.
pub(crate) const INSTANCE_KEYS: &[&str] = &[
    "id",
    "snapshot_id",
    "owner_username",
    "wrapper_type",
    "name",
    "description",
    "status",
    "instance_url",
    "pod_name",
    "progress",
    "error_code",
    "error_message",
    "stack_trace",
    "created_at",
    "updated_at",
    "started_at",
    "last_activity_at",
    "expires_at",
    "ttl",
    "inactivity_timeout",
    "memory_usage_bytes",
    "disk_usage_bytes",
    "cpu_cores",
];

/// The members of upstream's `UserResponse`.
pub(crate) const USER_KEYS: &[&str] = &[
    "username",
    "email",
    "display_name",
    "role",
    "is_active",
    "created_at",
    "updated_at",
    "last_login_at",
    "role_changed_at",
    "role_changed_by",
];

/// The members of upstream's `MappingResponse`.
pub(crate) const MAPPING_KEYS: &[&str] = &[
    "id",
    "owner_username",
    "name",
    "description",
    "current_version",
    "created_at",
    "updated_at",
    "ttl",
    "inactivity_timeout",
    "node_definitions",
    "edge_definitions",
    "change_description",
    "version_created_at",
    "version_created_by",
];

/// The members of upstream's `LifecycleResponse`.
pub(crate) const LIFECYCLE_KEYS: &[&str] = &["id", "ttl", "inactivity_timeout", "updated_at"];

/// The members of one export job in the progress body.
pub(crate) const JOB_KEYS: &[&str] = &["name", "type", "status", "row_count"];

/// The members of a progress body.
pub(crate) const PROGRESS_KEYS: &[&str] = &[
    "jobs_total",
    "jobs_pending",
    "jobs_claimed",
    "jobs_submitted",
    "jobs_completed",
    "jobs_failed",
    "jobs",
];

const META_KEYS: &[&str] = &["request_id"];
const PAGE_META_KEYS: &[&str] = &["request_id", "total", "offset", "limit"];

/// Reorders `value`'s members as `keys` (missing ones become `null`); others follow.
fn complete(value: &mut Value, keys: &[&str]) {
    let Value::Object(map) = value else {
        return;
    };
    let mut old = std::mem::take(map);
    let mut ordered = Map::new();
    for key in keys {
        // The member's own key is moved over: only a missing member's key is allocated.
        match old.remove_entry(*key) {
            Some((name, value)) => ordered.insert(name, value),
            None => ordered.insert((*key).to_owned(), Value::Null),
        };
    }
    ordered.extend(old);
    *map = ordered;
}

/// Completes each element of the array at `value[key]`.
fn complete_each(value: &mut Value, key: &str, keys: &[&str]) {
    if let Some(Value::Array(items)) = value.get_mut(key) {
        items.iter_mut().for_each(|item| complete(item, keys));
    }
}

fn to_value(body: &impl Serialize) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

/// Second precision, as upstream stores timestamps.
fn ts(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

fn success_meta() -> Result<Option<types::Meta>, BuildError> {
    Ok(Some(build!(types::Meta { request_id: None })?))
}

fn snapshot_status(status: SnapshotStatus) -> types::SnapshotStatus {
    match status {
        SnapshotStatus::Pending => types::SnapshotStatus::Pending,
        SnapshotStatus::Creating => types::SnapshotStatus::Creating,
        SnapshotStatus::Ready => types::SnapshotStatus::Ready,
        SnapshotStatus::Failed => types::SnapshotStatus::Failed,
    }
}

/// A snapshot as the generated `Snapshot`.
pub(crate) fn snapshot(s: &SnapshotRec) -> Result<types::Snapshot, BuildError> {
    let (size, node_counts, edge_counts) = s.counts();
    build!(types::Snapshot {
        id: s.id,
        mapping_id: Some(s.mapping_id.into()),
        mapping_version: Some(s.mapping_version),
        owner_username: Some(s.owner.to_string()),
        name: Some(s.name.to_string()),
        description: s.description.as_deref().map(str::to_owned),
        gcs_path: Some(s.gcs_path()),
        status: Some(snapshot_status(s.status).into()),
        size_bytes: size,
        node_counts: node_counts.map(|m| m.into_vec().into_iter().collect()),
        edge_counts: edge_counts.map(|m| m.into_vec().into_iter().collect()),
        progress: s.progress().cloned(),
        error_message: s.error_message().map(str::to_owned),
        created_at: Some(ts(s.created_at)),
        updated_at: Some(ts(s.updated_at)),
        ttl: Some(s.ttl.to_string()),
        inactivity_timeout: Some(s.inactivity_timeout.to_string()),
        // The emulator records no use of a snapshot.
        last_used_at: None,
        mapping_name: None,
        instance_count: None,
        instances: Vec::new(),
        previous_status: None,
        retry_count: None,
    })
}

/// `{"data": Snapshot, "meta": {"request_id": null}}`.
pub(crate) fn snapshot_envelope(s: &SnapshotRec) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::SnapshotEnvelope {
        data: snapshot(s)?,
        meta: success_meta()?,
    })?);
    complete(&mut body["data"], SNAPSHOT_KEYS);
    complete(&mut body["meta"], META_KEYS);
    Ok(body)
}

/// A page of snapshots.
pub(crate) fn snapshot_page(
    items: &[&SnapshotRec],
    total: u64,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::SnapshotListEnvelope {
        data: items
            .iter()
            .map(|s| snapshot(s))
            .collect::<Result<Vec<_>, _>>()?,
        meta: page_meta(total, offset, limit)?,
    })?);
    complete_each(&mut body, "data", SNAPSHOT_KEYS);
    complete(&mut body["meta"], PAGE_META_KEYS);
    Ok(body)
}

fn page_meta(total: u64, offset: u64, limit: u64) -> Result<types::PaginationMeta, BuildError> {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    build!(types::PaginationMeta {
        request_id: None,
        total: int(total),
        offset: int(offset),
        limit: int(limit),
    })
}

/// `{"data": {id, ttl, inactivity_timeout, updated_at}, "meta": ...}`.
pub(crate) fn lifecycle_envelope(s: &SnapshotRec) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::SnapshotLifecycleEnvelope {
        data: build!(types::SnapshotLifecycle {
            id: s.id,
            ttl: Some(s.ttl.to_string()),
            inactivity_timeout: Some(s.inactivity_timeout.to_string()),
            updated_at: Some(ts(s.updated_at)),
        })?,
        meta: success_meta()?,
    })?);
    complete(&mut body["data"], LIFECYCLE_KEYS);
    complete(&mut body["meta"], META_KEYS);
    Ok(body)
}

fn job_status(status: JobStatus) -> types::ExportJobStatus {
    match status {
        JobStatus::Pending => types::ExportJobStatus::Pending,
        JobStatus::Claimed => types::ExportJobStatus::Claimed,
        JobStatus::Submitted => types::ExportJobStatus::Submitted,
        JobStatus::Completed => types::ExportJobStatus::Completed,
        JobStatus::Failed => types::ExportJobStatus::Failed,
    }
}

/// The export progress: job counts and the jobs (edges first).
pub(crate) fn progress(s: &SnapshotRec) -> Result<types::SnapshotJobProgress, BuildError> {
    let count = |status: JobStatus| s.jobs().filter(|j| j.status == status).count() as i64;
    build!(types::SnapshotJobProgress {
        jobs_total: s.jobs().len() as i64,
        jobs_pending: count(JobStatus::Pending),
        jobs_claimed: count(JobStatus::Claimed),
        jobs_submitted: count(JobStatus::Submitted),
        jobs_completed: count(JobStatus::Completed),
        jobs_failed: count(JobStatus::Failed),
        jobs: s
            .jobs()
            .map(|j| build!(types::ExportJob {
                name: j.name.to_owned(),
                type_: if j.kind == "edge" {
                    types::EntityType::Edge
                } else {
                    types::EntityType::Node
                },
                status: job_status(j.status),
                row_count: j.row_count,
            }))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

/// `{"data": SnapshotJobProgress, "meta": ...}`.
pub(crate) fn progress_envelope(s: &SnapshotRec) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::SnapshotProgressEnvelope {
        data: progress(s)?,
        meta: success_meta()?,
    })?);
    complete(&mut body["data"], PROGRESS_KEYS);
    complete_each(&mut body["data"], "jobs", JOB_KEYS);
    complete(&mut body["meta"], META_KEYS);
    Ok(body)
}

fn instance_status(status: InstanceStatus) -> types::InstanceStatus {
    match status {
        InstanceStatus::WaitingForSnapshot => types::InstanceStatus::WaitingForSnapshot,
        InstanceStatus::Starting => types::InstanceStatus::Starting,
        InstanceStatus::Running => types::InstanceStatus::Running,
        InstanceStatus::Stopping => types::InstanceStatus::Stopping,
        InstanceStatus::Failed => types::InstanceStatus::Failed,
    }
}

/// An instance as the generated `Instance`.
pub(crate) fn instance(i: &InstanceRec) -> Result<types::Instance, BuildError> {
    build!(types::Instance {
        id: i.id,
        snapshot_id: i.snapshot_id,
        owner_username: i.owner.clone(),
        wrapper_type: i.wrapper_type,
        name: i.name.clone(),
        description: i.description.clone(),
        status: instance_status(i.status),
        instance_url: i.instance_url.clone(),
        pod_name: i.pod_name.clone(),
        progress: i.progress.as_ref().map(more::progress_map),
        error_code: i.error_code.as_deref().map(|code| {
            match code.parse::<types::InstanceErrorCode>() {
                Ok(known) => known.into(),
                Err(_) => types::InstanceErrorCodeValue::String(code.to_owned()),
            }
        }),
        error_message: i.error_message.clone(),
        stack_trace: None,
        created_at: Some(ts(i.created_at)),
        updated_at: Some(ts(i.updated_at)),
        started_at: i.started_at.map(ts),
        last_activity_at: i.last_activity_at.map(ts),
        expires_at: i.expires_at.map(ts),
        ttl: i.ttl.clone(),
        inactivity_timeout: i.inactivity_timeout.clone(),
        memory_usage_bytes: None,
        disk_usage_bytes: None,
        cpu_cores: Some(i.cpu_cores),
    })
}

/// `{"data": Instance, "meta": ...}`.
pub(crate) fn instance_envelope(i: &InstanceRec) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::InstanceEnvelope {
        data: instance(i)?,
        meta: success_meta()?,
    })?);
    complete(&mut body["data"], INSTANCE_KEYS);
    complete(&mut body["meta"], META_KEYS);
    Ok(body)
}

/// A page of instances.
pub(crate) fn instance_page(
    items: &[&InstanceRec],
    total: u64,
    offset: u64,
    limit: u64,
) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::InstanceListEnvelope {
        data: items
            .iter()
            .map(|i| instance(i))
            .collect::<Result<Vec<_>, _>>()?,
        meta: page_meta(total, offset, limit)?,
    })?);
    complete_each(&mut body, "data", INSTANCE_KEYS);
    complete(&mut body["meta"], PAGE_META_KEYS);
    Ok(body)
}

fn role(role: Role) -> types::UserRole {
    match role {
        Role::Analyst => types::UserRole::Analyst,
        Role::Admin => types::UserRole::Admin,
        Role::Ops => types::UserRole::Ops,
    }
}

/// The bare user object of the users routes.
pub(crate) fn user(u: &UserRec) -> Result<Value, BuildError> {
    let mut body = to_value(&build!(types::User {
        username: u.username.clone(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: role(u.role),
        is_active: u.active,
        created_at: Some(ts(u.created_at)),
        updated_at: Some(ts(u.updated_at)),
        last_login_at: u.last_login_at.map(ts),
        role_changed_at: None,
        role_changed_by: None,
    })?);
    complete(&mut body, USER_KEYS);
    Ok(body)
}

/// `{"data": Mapping, "meta": ...}`; definitions always carry `properties` (maybe `[]`).
pub(crate) fn mapping_envelope(m: &MappingRec) -> Result<Value, BuildError> {
    let current = m.current();
    let mut body = to_value(&build!(types::MappingEnvelope {
        data: build!(types::Mapping {
            id: m.id,
            owner_username: Some(m.owner.clone()),
            name: Some(m.name.clone()),
            description: m.description.clone(),
            current_version: current.map(|v| v.version),
            created_at: Some(ts(m.created_at)),
            updated_at: Some(ts(m.updated_at)),
            ttl: m.ttl.clone(),
            inactivity_timeout: m.inactivity_timeout.clone(),
            node_definitions: current.map(|v| v.nodes.clone()).unwrap_or_default(),
            edge_definitions: current.map(|v| v.edges.clone()).unwrap_or_default(),
            change_description: None,
            version_created_at: current.map(|v| ts(v.created_at)),
            version_created_by: current.map(|v| v.created_by.clone()),
        })?,
        meta: success_meta()?,
    })?);
    let data = &mut body["data"];
    for key in ["node_definitions", "edge_definitions"] {
        if data.get(key).is_none() {
            data[key] = Value::Array(Vec::new());
        }
        if let Some(Value::Array(items)) = data.get_mut(key) {
            for item in items {
                if item.get("properties").is_none() {
                    item["properties"] = Value::Array(Vec::new());
                }
            }
        }
    }
    complete(data, MAPPING_KEYS);
    complete(&mut body["meta"], META_KEYS);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn completion_orders_and_fills() {
        let mut value = json!({"b": 2, "extra": true});
        complete(&mut value, &["a", "b"]);
        assert_eq!(value, json!({"a": null, "b": 2, "extra": true}));
        let keys: Vec<&String> = value
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn timestamps_have_second_precision_and_a_z() {
        let at: DateTime<Utc> = "2026-11-23T16:53:15.987654Z".parse().unwrap_or_default();
        assert_eq!(to_value(&Some(ts(at))), json!("2026-11-23T16:53:15Z"));
    }
}
