//! The operations captures-2 added to the store: reading users (with the role rules) and
//! mappings (summaries, versions, their snapshots and instances), changing instances
//! (metadata, lifecycle, CPU, memory), the user's instance status, and the internal routes a
//! wrapper pod reports through (status, loading progress, activity).

use super::{
    expires_at, page, Caller, InstanceRec, InstanceStatus, MappingRec, MappingVersionRec,
    SnapshotRec, Store, UserRec,
};
use crate::graph_olap::error::ApiError;
use crate::graph_olap::query::ListParams;
use chrono::{DateTime, SubsecRound, Utc};
use graph_olap::types;
use serde_json::Value;

/// What a wrapper reports through `PATCH /api/internal/instances/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstanceReport {
    pub status: InstanceStatus,
    pub pod_name: Option<String>,
    pub instance_url: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// The user's instance counts (`GET /api/instances/user/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserStatus {
    pub active_instances: u64,
    pub per_user_limit: u64,
    pub available_slots: u64,
}

/// The store's status of a reported (generated) instance status.
pub(crate) fn reported_status(status: types::InstanceStatus) -> InstanceStatus {
    match status {
        types::InstanceStatus::WaitingForSnapshot => InstanceStatus::WaitingForSnapshot,
        types::InstanceStatus::Starting => InstanceStatus::Starting,
        types::InstanceStatus::Running => InstanceStatus::Running,
        types::InstanceStatus::Stopping => InstanceStatus::Stopping,
        types::InstanceStatus::Failed => InstanceStatus::Failed,
    }
}

impl Store {
    // ----- users ------------------------------------------------------------------------

    /// `GET /api/users`: admin or ops only; newest first (ties by username), as upstream's
    /// `ORDER BY created_at DESC` at one-second precision.
    pub(crate) fn list_users(
        &self,
        caller: &Caller,
        is_active: Option<bool>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<&UserRec>, ApiError> {
        if !caller.role.is_privileged() {
            return Err(ApiError::PrivilegeRequired);
        }
        let mut users: Vec<&UserRec> = self
            .users
            .values()
            .filter(|u| is_active.is_none_or(|active| u.active == active))
            .collect();
        users.sort_by(|a, b| {
            b.created_at
                .trunc_subsecs(0)
                .cmp(&a.created_at.trunc_subsecs(0))
                .then_with(|| a.username.cmp(&b.username))
        });
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(users.into_iter().skip(skip).take(take).collect())
    }

    /// `GET /api/users/{username}`: oneself, or anyone for admin and ops (else 403); 404.
    pub(crate) fn user(&self, caller: &Caller, username: &str) -> Result<&UserRec, ApiError> {
        if !caller.role.is_privileged() && caller.username != username {
            return Err(ApiError::CannotViewOthers);
        }
        self.users.get(username).ok_or(ApiError::UserNotFound)
    }

    // ----- mappings ---------------------------------------------------------------------

    /// `GET /api/mappings`: filters `owner`, `search`; sort `created_at`, `updated_at`,
    /// `name` (others fall back to `created_at`).
    pub(crate) fn list_mappings(&self, params: &ListParams) -> (Vec<&MappingRec>, u64) {
        let items: Vec<&MappingRec> = self
            .mappings
            .values()
            .filter(|m| params.owner.as_deref().is_none_or(|o| m.owner == o))
            .filter(|m| super::matches_search(params, &m.name, m.description.as_deref()))
            .collect();
        let by = |a: &&MappingRec, b: &&MappingRec| match params.sort_by.as_str() {
            "name" => a.name.cmp(&b.name),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => a.created_at.cmp(&b.created_at),
        };
        page(items, params, by, |m| m.id)
    }

    /// One mapping: 404 `Mapping N not found` (`resource_type` as the route words it).
    pub(crate) fn mapping(
        &self,
        id: i64,
        resource_type: &'static str,
    ) -> Result<&MappingRec, ApiError> {
        self.mappings
            .get(&id)
            .ok_or_else(|| ApiError::not_found(resource_type, id))
    }

    /// One version of a mapping: 404 for the mapping, then `mapping_version N/vV`.
    pub(crate) fn mapping_version_of(
        &self,
        id: i64,
        version: i64,
    ) -> Result<&MappingVersionRec, ApiError> {
        self.mapping(id, "Mapping")?
            .versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| ApiError::NotFound {
                resource_type: "mapping_version",
                resource_id: Value::from(format!("{id}/v{version}")),
            })
    }

    /// `GET /api/mappings/{id}/instances`: the instances of every snapshot of the mapping,
    /// newest first.
    pub(crate) fn mapping_instances(
        &self,
        id: i64,
        params: &ListParams,
    ) -> Result<(Vec<&InstanceRec>, u64), ApiError> {
        self.mapping(id, "Mapping")?;
        let items: Vec<&InstanceRec> = self
            .instances
            .values()
            .filter(|i| {
                self.snapshots
                    .get(&i.snapshot_id)
                    .is_some_and(|s| s.mapping_id == id)
            })
            .collect();
        Ok(page(
            items,
            params,
            |a, b| a.created_at.cmp(&b.created_at),
            |i| i.id,
        ))
    }

    /// `GET /api/mappings/{id}/snapshots`: 404 `mapping`, then the mapping's snapshots.
    pub(crate) fn mapping_snapshots(
        &self,
        id: i64,
        params: &ListParams,
    ) -> Result<(Vec<&SnapshotRec>, u64), ApiError> {
        self.mapping(id, "mapping")?;
        let params = ListParams {
            parent_id: Some(id),
            ..params.clone()
        };
        Ok(self.list_snapshots(&params))
    }

    // ----- instances --------------------------------------------------------------------

    /// The instance `id` for a change by `caller`: 404, then 403 unless owner, admin or ops.
    fn owned_instance(&mut self, caller: &Caller, id: i64) -> Result<&mut InstanceRec, ApiError> {
        let instance = self
            .instances
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("Instance", id))?;
        if !caller.may_modify(&instance.owner) {
            return Err(ApiError::PermissionDenied {
                resource_type: "Instance",
                resource_id: id,
            });
        }
        Ok(instance)
    }

    /// `PUT /api/instances/{id}`: a null or omitted member keeps its value.
    pub(crate) fn update_instance(
        &mut self,
        caller: &Caller,
        id: i64,
        name: Option<String>,
        description: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<&InstanceRec, ApiError> {
        let instance = self.owned_instance(caller, id)?;
        if let Some(name) = name {
            instance.name = name;
        }
        if let Some(description) = description {
            instance.description = Some(description);
        }
        instance.updated_at = now;
        self.instance(id)
    }

    /// `PUT /api/instances/{id}/lifecycle`: `expires_at` follows the new `ttl`.
    pub(crate) fn update_instance_lifecycle(
        &mut self,
        caller: &Caller,
        id: i64,
        ttl: Option<String>,
        inactivity_timeout: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<&InstanceRec, ApiError> {
        let instance = self.owned_instance(caller, id)?;
        if let Some(ttl) = ttl {
            instance.expires_at = expires_at(instance.created_at, Some(&ttl));
            instance.ttl = Some(ttl);
        }
        if let Some(timeout) = inactivity_timeout {
            instance.inactivity_timeout = Some(timeout);
        }
        instance.updated_at = now;
        self.instance(id)
    }

    /// `PUT /api/instances/{id}/cpu` (with `cpu_cores`) and `/memory` (without): 409
    /// `INVALID_STATE` unless `running`; no cluster to resize, so only the CPU count changes.
    pub(crate) fn resize_instance(
        &mut self,
        caller: &Caller,
        id: i64,
        cpu_cores: Option<i64>,
    ) -> Result<&InstanceRec, ApiError> {
        let instance = self.owned_instance(caller, id)?;
        if instance.status != InstanceStatus::Running {
            return Err(ApiError::InvalidState {
                resource: "Instance",
                resource_id: id,
                current_state: instance.status.as_str().to_owned(),
                required_state: "running",
            });
        }
        if let Some(cores) = cpu_cores {
            instance.cpu_cores = cores;
        }
        self.instance(id)
    }

    /// `GET /api/instances/{id}/progress`: 404, then the reported progress (if any).
    pub(crate) fn instance_progress(
        &self,
        id: i64,
    ) -> Result<Option<&types::InstanceProgress>, ApiError> {
        Ok(self.instance(id)?.progress.as_ref())
    }

    /// `GET /api/instances/user/status`: the caller's active instances and limit.
    pub(crate) fn user_status(&self, caller: &Caller) -> UserStatus {
        let active = self.active_instances(Some(&caller.username));
        UserStatus {
            active_instances: active,
            per_user_limit: self.max_per_user,
            available_slots: self.max_per_user.saturating_sub(active),
        }
    }

    /// `PATCH /api/internal/instances/{id}/status`: the wrapper's report; the simulated
    /// start-up stops (the reporter drives from now on); `running` sets `started_at`.
    pub(crate) fn report_instance_status(
        &mut self,
        id: i64,
        report: InstanceReport,
        now: DateTime<Utc>,
    ) -> Result<&InstanceRec, ApiError> {
        let instance = self
            .instances
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("Instance", id))?;
        instance.status = report.status;
        if instance.status == InstanceStatus::Running && instance.started_at.is_none() {
            instance.started_at = Some(now);
        }
        let keep = |old: &mut Option<String>, new: Option<String>| {
            if new.is_some() {
                *old = new;
            }
        };
        keep(&mut instance.pod_name, report.pod_name);
        keep(&mut instance.instance_url, report.instance_url);
        keep(&mut instance.error_message, report.error_message);
        if let Some(code) = report.error_code {
            instance.error_code = Some(code);
        }
        instance.updated_at = now;
        self.moving.remove(&id);
        self.instance(id)
    }

    /// `PUT /api/internal/instances/{id}/progress`: stores the loading progress; 404.
    pub(crate) fn report_instance_progress(
        &mut self,
        id: i64,
        progress: types::InstanceProgress,
    ) -> Result<(), ApiError> {
        let instance = self
            .instances
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("instance", id))?;
        instance.progress = Some(progress);
        Ok(())
    }

    /// `POST /api/internal/instances/{id}/activity`: `last_activity_at` is now; 404.
    pub(crate) fn record_activity(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
        let instance = self
            .instances
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("Instance", id))?;
        instance.last_activity_at = Some(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph_olap::config::{Config, Role, Timing};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or_default()
    }

    fn caller(username: &str, role: Role) -> Caller {
        Caller {
            username: username.into(),
            role,
        }
    }

    fn store() -> Store {
        let config = Config {
            timing: Timing::frozen(),
            ..Config::default()
        };
        Store::new(&config, at("2026-12-01T10:00:00Z"))
    }

    #[test]
    fn users_newest_first_then_by_name_and_only_for_admin_or_ops() {
        let store = store();
        let demo = caller("demo", Role::Analyst);
        assert_eq!(
            store.list_users(&demo, None, 0, 50).err(),
            Some(ApiError::PrivilegeRequired)
        );
        let ops = caller("system", Role::Ops);
        let names: Vec<&str> = store
            .list_users(&ops, Some(true), 1, 2)
            .unwrap_or_default()
            .iter()
            .map(|u| u.username.as_str())
            .collect();
        assert_eq!(names, ["demo", "system"]);
        assert!(store.user(&demo, "demo").is_ok());
        assert_eq!(
            store.user(&demo, "admin").err(),
            Some(ApiError::CannotViewOthers)
        );
        assert_eq!(
            store.user(&ops, "nobody").err(),
            Some(ApiError::UserNotFound)
        );
    }

    #[test]
    fn an_instance_changes_only_as_its_owner_and_resizes_only_while_running() {
        let mut store = store();
        let now = at("2026-12-01T10:00:00Z");
        let demo = caller("demo", Role::Analyst);
        let request = serde_json::from_value(serde_json::json!(
            {"mapping_id": 1, "wrapper_type": "ryugraph", "name": "i"}
        ))
        .unwrap_or_else(|e| panic!("a valid request: {e}"));
        let id = store
            .create_instance(&demo, request, now)
            .map(|i| i.id)
            .unwrap_or_default();
        let other = caller("bob", Role::Analyst);
        assert!(matches!(
            store.update_instance(&other, id, Some("x".into()), None, now),
            Err(ApiError::PermissionDenied { .. })
        ));
        assert!(matches!(
            store.resize_instance(&demo, id, Some(2)),
            Err(ApiError::InvalidState {
                required_state: "running",
                ..
            })
        ));
        let report = InstanceReport {
            status: InstanceStatus::Running,
            pod_name: Some("pod".into()),
            instance_url: None,
            error_code: None,
            error_message: None,
        };
        let running = store
            .report_instance_status(id, report, now)
            .map(|i| i.started_at);
        assert_eq!(running.ok().flatten(), Some(now));
        let resized = store
            .resize_instance(&demo, id, Some(2))
            .map(|i| i.cpu_cores);
        assert_eq!(resized.ok(), Some(2));
        assert_eq!(store.user_status(&demo).available_slots, 9);
        assert!(store.record_activity(id, now).is_ok());
        assert!(store.record_activity(id + 1, now).is_err());
    }

    #[test]
    fn mapping_versions_and_their_404s() {
        let store = store();
        assert!(store.mapping_version_of(1, 1).is_ok());
        let missing = store.mapping_version_of(1, 2).err();
        assert_eq!(
            missing,
            Some(ApiError::NotFound {
                resource_type: "mapping_version",
                resource_id: Value::from("1/v2"),
            })
        );
        assert!(store.mapping(2, "Mapping").is_err());
    }
}
