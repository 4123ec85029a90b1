//! The command line of `snapctl graph-olap instance|mapping|user`: the control plane a user
//! needs besides snapshots (instances are the migration path of snapshot creation; a mapping
//! comes before the first snapshot; users are what an ops role manages).
//!
//! As in [`crate::cli`], values are parsed here only as far as their syntax goes; names,
//! ranges and ids are checked by the commands with the generated rules.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::WaitArgs;

/// `snapctl graph-olap instance <command>`.
#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// List instances (every page).
    List(InstanceList),
    /// Show one instance.
    Get {
        /// The instance.
        instance_id: String,
    },
    /// Create an instance from a mapping (the server reuses or creates its snapshot).
    Create(InstanceCreate),
    /// Delete an instance (its snapshot goes too when no other instance uses it).
    Delete {
        /// The instance.
        instance_id: String,
    },
    /// Wait until an instance runs (a progress bar on stderr shows its loading steps).
    Wait {
        /// The instance.
        instance_id: String,
        /// Wait options.
        #[command(flatten)]
        wait_args: WaitArgs,
    },
}

/// The filters and paging of `snapctl graph-olap instance list`.
#[derive(Debug, Clone, Args)]
pub struct InstanceList {
    /// Only instances of this owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// Only instances in this status.
    #[arg(long, value_enum)]
    pub status: Option<InstanceStatus>,
    /// Only instances whose name contains this text.
    #[arg(long)]
    pub search: Option<String>,
    /// Instances per request (1 to 100; default 100, the largest the API allows).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u64>,
    /// Records to skip before the first one listed (at least 0).
    #[arg(long, value_name = "N")]
    pub offset: Option<i64>,
}

/// The new instance of `snapctl graph-olap instance create`: the members of the API's
/// `CreateInstanceRequest`.
#[derive(Debug, Clone, Args)]
pub struct InstanceCreate {
    /// The mapping whose data the instance serves.
    #[arg(long, value_name = "MAPPING_ID")]
    pub mapping_id: String,
    /// Instance name: 1 to 255 characters.
    #[arg(long)]
    pub name: String,
    /// The graph engine.
    #[arg(long, value_enum)]
    pub wrapper_type: WrapperType,
    /// The mapping version (default: the current one; at least 1).
    #[arg(long, value_name = "VERSION")]
    pub mapping_version: Option<u64>,
    /// Description (at most 4000 characters).
    #[arg(long)]
    pub description: Option<String>,
    /// Time to live, an ISO 8601 duration (default PT24H).
    #[arg(long, value_name = "ISO_DURATION")]
    pub ttl: Option<String>,
    /// Inactivity timeout, an ISO 8601 duration (default PT4H).
    #[arg(long, value_name = "ISO_DURATION")]
    pub inactivity_timeout: Option<String>,
    /// CPU cores (1 to 8; default 1).
    #[arg(long, value_name = "N")]
    pub cpu_cores: Option<u32>,
    /// Wait until the instance runs (see `instance wait`).
    #[arg(long)]
    pub wait: bool,
    /// Wait options (with --wait).
    #[command(flatten)]
    pub wait_args: WaitArgs,
}

/// Graph OLAP instance status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Its snapshot is being exported.
    WaitingForSnapshot,
    /// Loading the snapshot.
    Starting,
    /// Serving queries.
    Running,
    /// Shutting down.
    Stopping,
    /// Failed.
    Failed,
}

impl From<InstanceStatus> for graph_olap::types::InstanceStatus {
    fn from(value: InstanceStatus) -> Self {
        match value {
            InstanceStatus::WaitingForSnapshot => Self::WaitingForSnapshot,
            InstanceStatus::Starting => Self::Starting,
            InstanceStatus::Running => Self::Running,
            InstanceStatus::Stopping => Self::Stopping,
            InstanceStatus::Failed => Self::Failed,
        }
    }
}

/// The graph engine of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "lower")]
pub enum WrapperType {
    /// Ryugraph.
    Ryugraph,
    /// FalkorDB.
    Falkordb,
}

impl From<WrapperType> for graph_olap::types::WrapperType {
    fn from(value: WrapperType) -> Self {
        match value {
            WrapperType::Ryugraph => Self::Ryugraph,
            WrapperType::Falkordb => Self::Falkordb,
        }
    }
}

/// `snapctl graph-olap mapping <command>`.
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// List mappings (every page; summaries without definitions).
    List {
        /// Only mappings of this owner.
        #[arg(long)]
        owner: Option<String>,
        /// Only mappings whose name or description contains this text.
        #[arg(long)]
        search: Option<String>,
        /// Mappings per request (1 to 100; default 100, the largest the API allows).
        #[arg(long, value_name = "N")]
        page_size: Option<u64>,
        /// Records to skip before the first one listed (at least 0).
        #[arg(long, value_name = "N")]
        offset: Option<i64>,
    },
    /// Show one mapping with its current definitions.
    Get {
        /// The mapping.
        mapping_id: String,
    },
    /// Create a mapping: its node and edge definitions come from a JSON file.
    Create(MappingCreate),
}

/// The new mapping of `snapctl graph-olap mapping create`.
#[derive(Debug, Clone, Args)]
pub struct MappingCreate {
    /// Mapping name: 1 to 255 characters.
    #[arg(long)]
    pub name: String,
    /// A JSON file `{"node_definitions": [...], "edge_definitions": [...]}` in the API's
    /// shapes (at least one node definition).
    #[arg(long, value_name = "FILE")]
    pub definitions: PathBuf,
    /// Description (at most 4000 characters).
    #[arg(long)]
    pub description: Option<String>,
    /// Time to live of its snapshots and instances, an ISO 8601 duration.
    #[arg(long, value_name = "ISO_DURATION")]
    pub ttl: Option<String>,
    /// Inactivity timeout, an ISO 8601 duration.
    #[arg(long, value_name = "ISO_DURATION")]
    pub inactivity_timeout: Option<String>,
}

/// `snapctl graph-olap user <command>` (listing needs the admin or ops role; a user may
/// read their own record).
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List users (every page).
    List {
        /// Only active (true) or inactive (false) users.
        #[arg(long, value_name = "BOOL")]
        active: Option<bool>,
        /// Users per request (1 to 100; default 100, the largest the API allows).
        #[arg(long, value_name = "N")]
        page_size: Option<u64>,
    },
    /// Show one user.
    Get {
        /// The username.
        username: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_match_the_wire_spelling() {
        for status in InstanceStatus::value_variants() {
            let name = status.to_possible_value().expect("visible");
            assert_eq!(
                graph_olap::types::InstanceStatus::from(*status).to_string(),
                name.get_name()
            );
        }
        for wrapper in WrapperType::value_variants() {
            let name = wrapper.to_possible_value().expect("visible");
            assert_eq!(
                graph_olap::types::WrapperType::from(*wrapper).to_string(),
                name.get_name()
            );
        }
    }
}
