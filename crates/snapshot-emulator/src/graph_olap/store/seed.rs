//! The store's seeding and export entry point: mappings and snapshots with the ids a seed
//! gives, made through the same creation code as `POST /api/mappings` and
//! `POST /api/snapshots` (validation included), and read back in the shape a seed takes.

use super::{Caller, SnapshotStatus, Store};
use crate::graph_olap::validate::{check_body, FieldError, Model, CREATE_MAPPING, CREATE_SNAPSHOT};
use chrono::{DateTime, Utc};
use graph_olap::types;
use serde_json::{json, Value};

/// A mapping as a seed holds it: id, owner, creation time and the current version's body.
pub(crate) struct MappingEntry {
    pub id: i64,
    pub owner: String,
    pub created: DateTime<Utc>,
    pub request: types::CreateMappingRequest,
}

/// A snapshot as a seed holds it.
pub(crate) struct SnapshotEntry {
    pub id: i64,
    pub mapping_id: i64,
    pub owner: String,
    pub name: String,
    pub description: Option<String>,
    pub status: &'static str,
    pub created: DateTime<Utc>,
}

/// The next ids the store hands out: mapping, snapshot, instance.
pub(crate) type NextIds = (i64, i64, i64);

/// `body` checked as the route checks it and decoded, or the field errors as one line.
fn checked<T: serde::de::DeserializeOwned>(model: &Model, body: &Value) -> Result<T, String> {
    let line = |errors: Vec<FieldError>| {
        let parts: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        parts.join("; ")
    };
    let value = check_body(model, Some(body)).map_err(line)?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

impl Store {
    /// The owner as a caller: an error naming it when it is not a user.
    fn seed_owner(&self, owner: &str) -> Result<Caller, String> {
        let user = self
            .users
            .get(owner)
            .ok_or_else(|| format!("unknown owner {owner:?} (not one of the users)"))?;
        Ok(Caller {
            username: user.username.clone(),
            role: user.role,
        })
    }

    /// Creates a mapping with id `id` (the next one when `None`) as `POST /api/mappings`
    /// does; refuses an unknown owner, a taken or non-positive id and an invalid body.
    pub(crate) fn seed_mapping(
        &mut self,
        id: Option<i64>,
        owner: &str,
        request: &types::CreateMappingRequest,
        created: DateTime<Utc>,
    ) -> Result<i64, String> {
        self.seed_owner(owner)?;
        let body = serde_json::to_value(request).map_err(|e| e.to_string())?;
        let request: types::CreateMappingRequest = checked(&CREATE_MAPPING, &body)?;
        let id = id.unwrap_or(self.next_mapping);
        if id <= 0 || self.mappings.contains_key(&id) {
            return Err(format!("mapping id {id} is taken or not positive"));
        }
        let next = self.next_mapping;
        self.next_mapping = id;
        self.create_mapping(owner, request, created);
        self.next_mapping = next.max(id.saturating_add(1));
        Ok(id)
    }

    /// Creates a snapshot with id `id` as `POST /api/snapshots` does at `created`, lets the
    /// export run up to `now`, then reports `status` if it differs (as the internal status
    /// route would).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn seed_snapshot(
        &mut self,
        id: Option<i64>,
        mapping_id: i64,
        owner: &str,
        name: &str,
        description: Option<&str>,
        status: Option<&str>,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, String> {
        let caller = self.seed_owner(owner)?;
        let body = json!({"mapping_id": mapping_id, "name": name, "description": description});
        let request: types::CreateSnapshotRequest = checked(&CREATE_SNAPSHOT, &body)?;
        let id = id.unwrap_or(self.next_snapshot);
        if id <= 0 || self.snapshots.contains_key(&id) {
            return Err(format!("snapshot id {id} is taken or not positive"));
        }
        let next = self.next_snapshot;
        self.next_snapshot = id;
        let made = self
            .create_snapshot(&caller, request, created)
            .map(|s| s.id)
            .map_err(|e| format!("mapping {mapping_id}: {e:?}"));
        self.next_snapshot = next.max(id.saturating_add(1));
        made?;
        self.advance(now);
        let Some(status) = status else { return Ok(id) };
        if self.snapshots.get(&id).map(|s| s.status.as_str()) != Some(status) {
            let report = serde_json::from_value(json!({ "status": status }))
                .map_err(|e| format!("status {status:?}: {e}"))?;
            self.report_status(id, report, created)
                .map_err(|e| format!("{e:?}"))?;
        }
        Ok(id)
    }

    /// Raises the next ids to at least `next` (never below an id in use).
    pub(crate) fn seed_next_ids(&mut self, next: NextIds) {
        self.next_mapping = self.next_mapping.max(next.0);
        self.next_snapshot = self.next_snapshot.max(next.1);
        self.next_instance = self.next_instance.max(next.2);
    }

    /// The next ids the store hands out.
    pub(crate) fn next_ids(&self) -> NextIds {
        (self.next_mapping, self.next_snapshot, self.next_instance)
    }

    /// Every mapping, as its current version's creation body.
    pub(crate) fn export_mappings(&self) -> Vec<MappingEntry> {
        let entry = |m: &super::MappingRec| {
            let version = m.current()?;
            let body = json!({
                "name": m.name, "description": m.description, "ttl": m.ttl,
                "inactivity_timeout": m.inactivity_timeout,
                "node_definitions": version.nodes, "edge_definitions": version.edges,
            });
            let body = strip_nulls(body);
            Some(MappingEntry {
                id: m.id,
                owner: m.owner.clone(),
                created: m.created_at,
                request: serde_json::from_value(body).ok()?,
            })
        };
        self.mappings.values().filter_map(entry).collect()
    }

    /// Every snapshot.
    pub(crate) fn export_snapshots(&self) -> Vec<SnapshotEntry> {
        let status = |s: SnapshotStatus| s.as_str();
        self.snapshots
            .values()
            .map(|s| SnapshotEntry {
                id: s.id,
                mapping_id: s.mapping_id,
                owner: s.owner.to_string(),
                name: s.name.to_string(),
                description: s.description.as_deref().map(str::to_owned),
                status: status(s.status),
                created: s.created_at,
            })
            .collect()
    }
}

/// `value` without its top-level null members.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}
