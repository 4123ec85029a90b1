//! The state an emulator starts with ([`Seed`]): DSW instances, LangStudio workspaces,
//! Graph OLAP users, mappings and snapshots, existing DSW and LangStudio snapshots (with
//! their ids) and fault rules;
//! from Rust ([`crate::EmulatorConfig::seed`]) or from a JSON or YAML file (the binary's
//! `--seed FILE`). [`crate::RunningEmulator::state`] gives the same shape back, which is what
//! the binary's `--state FILE` writes at shutdown and reads at the next start.

use crate::faults::FaultRule;
use crate::graph_olap::{Role, SeedUser};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod graph_olap;
pub use graph_olap::{GraphOlapMapping, GraphOlapNextIds, GraphOlapSnapshot, GraphOlapStatus};

/// The largest seed or state file read or written, in bytes (16 MiB).
pub const MAX_SEED_BYTES: usize = 16 << 20;

/// What an emulator starts with, beyond the defaults of [`crate::EmulatorConfig`]. Every
/// member may be left out (`Default` is empty); a list that is given replaces the
/// configuration's (instances, workspaces, users, Graph OLAP mappings: the demo mapping is
/// then not created), or is added (snapshots, fault rules). Graph OLAP mappings and
/// snapshots are made through the control plane's own creation code (the same validation);
/// a snapshot of a missing mapping, an unknown owner or a taken id is a [`SeedError`]
/// naming the entry (`graph_olap_snapshots[0]: ...`).
///
/// ```
/// use snapshot_emulator::{start, EmulatorConfig, FaultRule, Seed};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let seed: Seed = serde_json::from_value(serde_json::json!({
///     "dsw_instances": ["dsw-team0000000001"],
///     "dsw_snapshots": [{
///         "instance_id": "dsw-team0000000001",
///         "snapshot_id": "snp-existing000001",
///         "request": {"SnapshotName": "baseline", "ImageUrl": "registry.example/ns/env:v0"}
///     }],
///     "langstudio_workspaces": ["ws-team0000000001"],
///     "graph_olap_users": [{"username": "alice", "role": "admin"}],
///     "graph_olap_mappings": [{"id": 3, "owner": "alice", "request": {"name": "orders",
///         "node_definitions": [{"label": "Customer", "sql": "SELECT id FROM customers",
///                               "primary_key": {"name": "id", "type": "STRING"}, "properties": []}]}}],
///     "graph_olap_snapshots": [{"id": 9, "mapping_id": 3, "owner": "alice", "name": "orders-v0"}],
/// }))?;
/// let seed = Seed {
///     faults: vec![FaultRule::server_error(503).on("POST", "/api/v2/**").times(1)],
///     ..seed
/// };
/// let emulator = start(EmulatorConfig { seed, ..EmulatorConfig::default() }, "127.0.0.1:0".parse()?).await?;
/// let state = emulator.state();
/// assert_eq!(state.dsw_snapshots[0].snapshot_id.as_deref(), Some("snp-existing000001"));
/// assert_eq!(state.graph_olap_snapshots[0].id, Some(9));
/// assert_eq!(state.graph_olap_next_ids.map(|n| n.mapping), Some(4));
/// assert_eq!(emulator.faults().rules().len(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    /// The DSW instances that exist (replaces [`crate::EmulatorConfig::dsw_instances`]
    /// when not empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dsw_instances: Vec<String>,
    /// The LangStudio workspaces that exist (replaces
    /// [`crate::EmulatorConfig::langstudio_workspaces`] when not empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub langstudio_workspaces: Vec<String>,
    /// The Graph OLAP users (replaces the configured users when not empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub graph_olap_users: Vec<GraphOlapUser>,
    /// DSW snapshots that exist at start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dsw_snapshots: Vec<DswSnapshot>,
    /// LangStudio snapshots that exist at start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub langstudio_snapshots: Vec<LangStudioSnapshot>,
    /// Graph OLAP mappings that exist at start (when not empty, the demo mapping is not
    /// created).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub graph_olap_mappings: Vec<GraphOlapMapping>,
    /// Graph OLAP snapshots that exist at start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub graph_olap_snapshots: Vec<GraphOlapSnapshot>,
    /// The next Graph OLAP ids (what [`crate::RunningEmulator::state`] records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_olap_next_ids: Option<GraphOlapNextIds>,
    /// Fault rules installed at start (as `POST /_emulator/faults` takes them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRule>,
}

/// A DSW snapshot of a seed: its instance, optionally its id and creation time, and the
/// `CreateInstanceSnapshot` body it was made with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DswSnapshot {
    /// The instance it belongs to (one of the seed's or configuration's instances).
    pub instance_id: String,
    /// Its id (`snp-...`); a new one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// When it was created; left out, long enough ago that it is `Saved` (or `Failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// The body it was created with (`SnapshotName`, `ImageUrl`, ...).
    pub request: pai_dsw::types::CreateInstanceSnapshotRequest,
}

/// A LangStudio snapshot of a seed: optionally its id and creation time, and the
/// `CreateSnapshot` body it was made with (`WorkspaceId` names its workspace).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangStudioSnapshot {
    /// Its id (`snap-...`); a new one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// When it was created; left out, long enough ago that it is `Success` (or `Failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// The body it was created with (`SnapshotName`, `SnapshotResourceId`, ...).
    pub request: pai_langstudio::types::CreateSnapshotRequest,
}

/// A Graph OLAP user of a seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphOlapUser {
    /// The name callers send in `X-Username`.
    pub username: String,
    /// `analyst` (default), `admin` or `ops`.
    #[serde(default = "analyst")]
    pub role: String,
    /// A disabled user is refused (default `true`).
    #[serde(default = "yes")]
    pub active: bool,
}

fn analyst() -> String {
    Role::Analyst.as_str().to_owned()
}

fn yes() -> bool {
    true
}

/// Why a seed cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The text is neither JSON nor YAML of a [`Seed`], or is too large.
    #[error("the seed cannot be read: {0}")]
    Parse(String),
    /// A member is invalid (an unknown role, instance or workspace; a duplicate id; a
    /// snapshot the API would refuse).
    #[error("the seed is invalid: {0}")]
    Invalid(String),
}

impl Seed {
    /// Reads a seed from JSON or YAML text (at most [`MAX_SEED_BYTES`]); unknown members
    /// are refused.
    ///
    /// ```
    /// let seed = snapshot_emulator::Seed::from_text("dsw_instances: [dsw-a, dsw-b]\n").unwrap();
    /// assert_eq!(seed.dsw_instances, ["dsw-a", "dsw-b"]);
    /// assert!(snapshot_emulator::Seed::from_text("{\"dsw_instance\": []}").is_err());
    /// ```
    pub fn from_text(text: &str) -> Result<Seed, SeedError> {
        if text.len() > MAX_SEED_BYTES {
            return Err(SeedError::Parse(format!(
                "{} bytes, more than the {MAX_SEED_BYTES} allowed",
                text.len()
            )));
        }
        if text.trim_start().starts_with('{') {
            return serde_json::from_str(text).map_err(|e| SeedError::Parse(e.to_string()));
        }
        serde_yaml::from_str(text).map_err(|e| SeedError::Parse(e.to_string()))
    }

    /// The seed as pretty JSON (what `--state` writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The Graph OLAP users as the configuration takes them.
    pub(crate) fn users(&self) -> Result<Vec<SeedUser>, SeedError> {
        self.graph_olap_users
            .iter()
            .map(|u| {
                let role = Role::parse(&u.role).ok_or_else(|| {
                    SeedError::Invalid(format!(
                        "user {}: unknown role {:?} (analyst, admin or ops)",
                        u.username, u.role
                    ))
                })?;
                Ok(SeedUser {
                    active: u.active,
                    ..SeedUser::new(&u.username, role)
                })
            })
            .collect()
    }
}

/// `config` with its seed's instances, workspaces and Graph OLAP users in place.
pub(crate) fn configure(
    mut config: crate::EmulatorConfig,
) -> Result<crate::EmulatorConfig, SeedError> {
    let seed = &config.seed;
    let users = seed.users()?;
    if !seed.dsw_instances.is_empty() {
        config.dsw_instances = seed.dsw_instances.clone();
    }
    if !seed.langstudio_workspaces.is_empty() {
        config.langstudio_workspaces = seed.langstudio_workspaces.clone();
    }
    if !users.is_empty() {
        config.graph_olap.users = users;
    }
    if !seed.graph_olap_mappings.is_empty() {
        config.graph_olap.demo_mapping = false;
    }
    Ok(config)
}

/// Puts the seed's snapshots into the stores and installs its fault rules.
pub(crate) fn fill(
    seed: &Seed,
    dsw: &crate::dsw::Dsw,
    langstudio: &crate::langstudio::LangStudio,
    faults: &crate::Faults,
) -> Result<(), SeedError> {
    let now = Utc::now();
    for (i, snapshot) in seed.dsw_snapshots.iter().enumerate() {
        dsw.seed(snapshot, now).map_err(|e| {
            SeedError::Invalid(format!("dsw_snapshots[{i}]: {}: {}", e.code, e.message))
        })?;
    }
    for (i, snapshot) in seed.langstudio_snapshots.iter().enumerate() {
        langstudio.seed(snapshot, now).map_err(|e| {
            SeedError::Invalid(format!(
                "langstudio_snapshots[{i}]: {}: {}",
                e.code, e.message
            ))
        })?;
    }
    faults
        .add_all(seed.faults.clone())
        .map_err(|e| SeedError::Invalid(format!("faults: {e}")))?;
    Ok(())
}

impl From<&SeedUser> for GraphOlapUser {
    fn from(user: &SeedUser) -> Self {
        Self {
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            active: user.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_and_yaml_read_the_same_seed() {
        let yaml = "dsw_snapshots:\n  - instance_id: dsw-1\n    snapshot_id: snp-1\n    request: {SnapshotName: a, ImageUrl: r/x:1}\ngraph_olap_users:\n  - username: bob\n";
        let json = r#"{"dsw_snapshots": [{"instance_id": "dsw-1", "snapshot_id": "snp-1",
            "request": {"SnapshotName": "a", "ImageUrl": "r/x:1"}}],
            "graph_olap_users": [{"username": "bob"}]}"#;
        for text in [yaml, json] {
            let seed = Seed::from_text(text).expect("a seed");
            assert_eq!(seed.dsw_snapshots[0].request.image_url, "r/x:1");
            let users = seed.users().expect("users");
            assert_eq!((users[0].role, users[0].active), (Role::Analyst, true));
        }
    }

    #[test]
    fn bad_seeds_are_refused() {
        assert!(
            Seed::from_text("graph_olap_users: [{username: x, role: root}]")
                .expect("parses")
                .users()
                .is_err()
        );
        assert!(Seed::from_text("dsw_snapshots: [{instance_id: d, request: {}}]").is_err());
        assert!(Seed::from_text(&" ".repeat(MAX_SEED_BYTES + 1)).is_err());
    }

    fn mapping(id: i64, owner: &str, name: &str, label: &str) -> GraphOlapMapping {
        let request = serde_json::json!({"name": name, "node_definitions": [{
            "label": label, "sql": "SELECT id FROM t",
            "primary_key": {"name": "id", "type": "STRING"}, "properties": []}]});
        GraphOlapMapping {
            id: Some(id),
            owner: owner.to_owned(),
            created: None,
            request: serde_json::from_value(request).expect("a mapping body"),
        }
    }

    #[test]
    fn graph_olap_members_refuse_unknown_keys_and_statuses() {
        let good = "graph_olap_snapshots: [{mapping_id: 1, owner: demo, name: a, status: ready}]";
        let seed = Seed::from_text(good).expect("a seed");
        assert_eq!(
            seed.graph_olap_snapshots[0].status,
            Some(GraphOlapStatus::Ready)
        );
        for bad in [
            "graph_olap_snapshots: [{mapping_id: 1, owner: demo, name: a, status: done}]",
            "graph_olap_snapshots: [{mapping_id: 1, owner: demo, name: a, mapping: 1}]",
            "graph_olap_mappings: [{owner: demo, request: {name: m}, version: 2}]",
            "graph_olap_next_ids: {mappings: 3}",
        ] {
            assert!(Seed::from_text(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Graph OLAP mappings, snapshots and next ids read back the same from JSON and YAML.
        #[test]
        fn graph_olap_round_trips(
            mappings in proptest::collection::vec((1i64..1000, "[a-z]{1,8}", "[a-z]{1,12}", "[A-Z][a-z]{1,8}"), 0..3),
            snapshots in proptest::collection::vec((1i64..1000, 1i64..1000, "[a-z]{1,8}", "[a-z-]{1,12}", 0usize..5), 0..3),
            next in (1i64..10_000, 1i64..10_000, 1i64..10_000),
        ) {
            let statuses = [None, Some(GraphOlapStatus::Pending), Some(GraphOlapStatus::Creating),
                            Some(GraphOlapStatus::Ready), Some(GraphOlapStatus::Failed)];
            let seed = Seed {
                graph_olap_mappings: mappings.iter().map(|(id, o, n, l)| mapping(*id, o, n, l)).collect(),
                graph_olap_snapshots: snapshots.into_iter().map(|(id, mapping_id, owner, name, status)| GraphOlapSnapshot {
                    id: Some(id), mapping_id, owner, name, description: None,
                    status: statuses[status], created: Some(Utc::now()),
                }).collect(),
                graph_olap_next_ids: Some(GraphOlapNextIds { mapping: next.0, snapshot: next.1, instance: next.2 }),
                ..Seed::default()
            };
            let yaml = serde_yaml::to_string(&seed).expect("YAML");
            for text in [seed.to_json(), yaml] {
                let back = Seed::from_text(&text).expect("reads back");
                prop_assert_eq!(&back.graph_olap_mappings, &seed.graph_olap_mappings);
                prop_assert_eq!(&back.graph_olap_snapshots, &seed.graph_olap_snapshots);
                prop_assert_eq!(back.graph_olap_next_ids, seed.graph_olap_next_ids);
            }
        }

        /// A seed written as JSON reads back the same.
        #[test]
        fn json_round_trips(instances in proptest::collection::vec("[a-z0-9-]{1,20}", 0..4),
                            users in proptest::collection::vec(("[a-z]{1,10}", 0usize..3, any::<bool>()), 0..4)) {
            let seed = Seed {
                dsw_instances: instances,
                graph_olap_users: users.into_iter().map(|(username, role, active)| GraphOlapUser {
                    username,
                    role: ["analyst", "admin", "ops"][role].to_owned(),
                    active,
                }).collect(),
                ..Seed::default()
            };
            let back = Seed::from_text(&seed.to_json()).expect("reads back");
            prop_assert_eq!(back.dsw_instances, seed.dsw_instances);
            prop_assert_eq!(back.graph_olap_users, seed.graph_olap_users);
        }
    }
}
