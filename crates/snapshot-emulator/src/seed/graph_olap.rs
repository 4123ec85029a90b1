//! The Graph OLAP members of a [`super::Seed`]: mappings (with their node and edge
//! definitions), snapshots and the next ids the control plane hands out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A Graph OLAP mapping of a seed, made as `POST /api/mappings` makes it (the same
/// validation) by its owner, as version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphOlapMapping {
    /// Its id; the next free one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its owner: one of the Graph OLAP users.
    pub owner: String,
    /// When it was created; now when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// The body it was created with (`name`, `node_definitions`, `edge_definitions`, ...).
    pub request: graph_olap::types::CreateMappingRequest,
}

/// The status of a seeded Graph OLAP snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphOlapStatus {
    /// Waiting for its export.
    Pending,
    /// Being exported.
    Creating,
    /// Exported.
    Ready,
    /// Its export failed.
    Failed,
}

impl GraphOlapStatus {
    /// The wire text (`pending`, `creating`, `ready`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Creating => "creating",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    /// The status named by its wire text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Creating, Self::Ready, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A Graph OLAP snapshot of a seed, made as `POST /api/snapshots` makes it (of the mapping's
/// current version) by its owner at `created`; the simulated export then runs up to now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphOlapSnapshot {
    /// Its id; the next free one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its mapping: one of the seed's mappings (or the demo mapping 1).
    pub mapping_id: i64,
    /// Its owner: one of the Graph OLAP users.
    pub owner: String,
    /// Its name (a name starting with `fail` fails its export, as for any snapshot).
    pub name: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its status; when the export has reached another one by now, this one is reported
    /// as `PATCH /api/internal/snapshots/{id}/status` would (and the snapshot stays so).
    /// Left out, whatever the export reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GraphOlapStatus>,
    /// When it was created; left out, long enough ago that its export has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
}

/// The next ids the Graph OLAP control plane hands out (raised, never lowered, to above
/// the ids in use), so a restart from a state does not reuse a deleted resource's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphOlapNextIds {
    /// The next mapping id.
    #[serde(default = "one")]
    pub mapping: i64,
    /// The next snapshot id.
    #[serde(default = "one")]
    pub snapshot: i64,
    /// The next instance id.
    #[serde(default = "one")]
    pub instance: i64,
}

fn one() -> i64 {
    1
}
