//! The command line: global options, one subcommand group per API, `demo` and `emulator`.
//!
//! Values are parsed here only as far as their syntax goes (numbers, durations, dates,
//! enumerations); names, ranges and labels are checked by the commands through
//! [`snapshots::validate`] and the generated newtypes, so that a refused value exits with
//! [`crate::exit::Exit::Invalid`] and the rule in the message.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::exit::Exit;
use crate::output::Format;

/// Examples shown at the end of `snapctl --help`.
const EXAMPLES: &str = "Examples:
  snapctl demo                                  # every API against the embedded emulator
  snapctl emulator --addr 127.0.0.1:8787        # serve the emulator; prints URLs and credentials
  snapctl dsw list --instance dsw-730xxxxxxxxxx
  snapctl dsw create --instance dsw-730xxxxxxxxxx --name nightly-1 \\
      --image-url registry.cn-hangzhou.aliyuncs.com/team/env:nightly-1 --label team=ml --wait
  snapctl langstudio create --workspace 12345 --name flow_v2 --resource-id flow-abc
  snapctl langstudio --gateway get snap-0123456789abc
  snapctl --graph-olap-url http://localhost:8080 --graph-olap-user alice \\
      graph-olap create --name customers --mapping-id 1 --wait
  snapctl -o json graph-olap list --status ready | jq '.[].name'

Credentials:
  PAI-DSW and LangStudio (ROA): the Alibaba Cloud chain: ALIBABA_CLOUD_ACCESS_KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET (+ ALIBABA_CLOUD_SECURITY_TOKEN), then
    ~/.aliyun/config.json, then ~/.alibabacloud/credentials.ini; or an Alibaba bearer token
    in SNAPCTL_ALIBABA_BEARER_TOKEN.
  LangStudio gateway profile (--gateway): DASHSCOPE_API_KEY.
  Graph OLAP: --graph-olap-user (sent as X-Username), or a bearer token in
    SNAPCTL_GRAPH_OLAP_TOKEN.
  Secrets are read from the environment and files only, never from the command line.";

/// Examples of `snapctl dsw --help`.
const DSW_EXAMPLES: &str = "Examples:
  snapctl dsw list --instance dsw-730xxxxxxxxxx --page-size 50
  snapctl dsw create --instance dsw-730xxxxxxxxxx --name nightly-1 \\
      --image-url registry.cn-hangzhou.aliyuncs.com/team/env:nightly-1 --label team=ml --wait
  snapctl dsw wait --instance dsw-730xxxxxxxxxx snp-05cexxxxxxxxx --timeout 30m
  snapctl -o json dsw get --instance dsw-730xxxxxxxxxx snp-05cexxxxxxxxx";

/// Examples of `snapctl langstudio --help`.
const LANGSTUDIO_EXAMPLES: &str = "Examples:
  snapctl langstudio list --workspace 12345 --status Success --creation-type ManualCreated
  snapctl langstudio create --workspace 12345 --name flow_v2 --resource-id flow-abc --wait
  snapctl langstudio update snap-0123456789abc --description \"promoted to production\"
  snapctl langstudio --gateway delete snap-0123456789abc";

/// Examples of `snapctl graph-olap --help`.
const GRAPH_OLAP_EXAMPLES: &str =
    "Examples (with SNAPCTL_GRAPH_OLAP_URL and SNAPCTL_GRAPH_OLAP_USER set):
  snapctl graph-olap list --status ready --sort-by created_at --sort-order desc
  snapctl graph-olap create --name customers-nightly --mapping-id 42 --ttl P7D --wait
  snapctl graph-olap progress 7
  snapctl graph-olap retry 7
  snapctl graph-olap lifecycle 7 --inactivity-timeout PT12H
  snapctl graph-olap mapping list --owner alice
  snapctl graph-olap instance create --mapping-id 1 --name analysis --wrapper-type ryugraph --wait
  snapctl graph-olap user get alice";

/// `snapctl`: PAI-DSW, PAI LangStudio and Graph OLAP snapshots from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "snapctl",
    bin_name = "snapctl",
    version,
    about = "Manage PAI-DSW, PAI LangStudio and Graph OLAP snapshots",
    long_about = "Manage PAI-DSW instance snapshots, PAI LangStudio snapshots and Graph OLAP \
                  snapshots over one SDK: every request is signed or authenticated, rate-limited \
                  and retried. Results go to stdout (a table, or exactly one JSON document with \
                  --output json); errors go to stderr with the service's code, message, HTTP \
                  status and request id, and the exit code says what went wrong.\n\n\
                  Try it without credentials or network: `snapctl demo`.",
    after_long_help = after_long_help(),
    propagate_version = true
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

fn after_long_help() -> String {
    format!("{EXAMPLES}\n\n{}", Exit::help_table())
}

/// Options every command takes (before or after the command).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// How to print results: aligned text, or exactly one JSON document, the server's own
    /// JSON with every null and unknown member (an array for `list`, streamed as pages
    /// arrive).
    #[arg(
        short,
        long,
        global = true,
        value_enum,
        default_value_t = Format::Table,
        env = "SNAPCTL_OUTPUT"
    )]
    pub output: Format,

    /// Region of the default DSW and LangStudio endpoints (default cn-hangzhou).
    #[arg(long, global = true, env = "SNAPCTL_REGION")]
    pub region: Option<String>,

    /// PAI-DSW base URL (default https://pai-dsw.{region}.aliyuncs.com).
    #[arg(long, global = true, value_name = "URL", env = "SNAPCTL_DSW_URL")]
    pub dsw_url: Option<String>,

    /// PAI LangStudio ROA base URL (default https://pailangstudio.{region}.aliyuncs.com).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SNAPCTL_LANGSTUDIO_URL"
    )]
    pub langstudio_url: Option<String>,

    /// PAI LangStudio gateway base URL, used with --gateway (default: seed 000's
    /// api.alibabacloud.com/api/PAILangStudio/2024-07-10, over https).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SNAPCTL_LANGSTUDIO_GATEWAY_URL"
    )]
    pub langstudio_gateway_url: Option<String>,

    /// Graph OLAP control plane base URL (required for graph-olap commands: it has no
    /// public endpoint).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SNAPCTL_GRAPH_OLAP_URL"
    )]
    pub graph_olap_url: Option<String>,

    /// Graph OLAP user, sent as X-Username.
    #[arg(
        long,
        global = true,
        value_name = "USER",
        env = "SNAPCTL_GRAPH_OLAP_USER"
    )]
    pub graph_olap_user: Option<String>,

    /// Send every request once: no retries on 5xx, 429 or connection errors.
    #[arg(long, global = true, env = "SNAPCTL_NO_RETRY")]
    pub no_retry: bool,

    /// Client-side rate limit in requests per second, shared by every request of the command
    /// (default 10; 0 for none).
    #[arg(
        long,
        global = true,
        value_name = "PER_SECOND",
        env = "SNAPCTL_RATE_LIMIT"
    )]
    pub rate_limit: Option<u32>,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// PAI-DSW instance snapshots (2022-01-01): list, get, create, delete, wait.
    #[command(after_long_help = DSW_EXAMPLES)]
    Dsw {
        /// The DSW command.
        #[command(subcommand)]
        command: DswCommand,
    },
    /// PAI LangStudio snapshots (2024-07-10): list, get, create, update, delete, wait.
    #[command(name = "langstudio", after_long_help = LANGSTUDIO_EXAMPLES)]
    LangStudio(LangStudioArgs),
    /// Graph OLAP control plane: snapshots (list, get, create, update, delete, wait,
    /// progress, retry, lifecycle), instances, mappings and users.
    #[command(name = "graph-olap", after_long_help = GRAPH_OLAP_EXAMPLES)]
    GraphOlap {
        /// The Graph OLAP command.
        #[command(subcommand)]
        command: GraphOlapCommand,
    },
    /// Show which Alibaba Cloud credentials DSW and LangStudio would sign with: the provider
    /// of the default chain that supplied them (environment, OIDC, CLI profile, INI file,
    /// ECS RAM role, credentials URI), the access key id and the expiry. Never a secret.
    Auth,
    /// Start the embedded emulator and walk every API through create, list, get, update,
    /// wait and delete. Needs no credentials and no network.
    Demo(DemoArgs),
    /// Run the emulator of the three APIs in the foreground on loopback; prints the base
    /// URLs and the demo credentials. Stop it with Ctrl-C.
    Emulator(EmulatorArgs),
}

/// `snapctl demo` options.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// How long the emulator keeps each new snapshot in progress.
    #[arg(long, value_name = "DURATION", default_value = "400ms", value_parser = parse_duration)]
    pub step: Duration,
}

/// `snapctl emulator` options.
#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    /// Loopback address to listen on (port 0 picks a free one). Other addresses are refused:
    /// the emulator's credentials are public.
    #[arg(long, default_value = "127.0.0.1:8787", value_parser = parse_loopback)]
    pub addr: SocketAddr,
}

/// How long `wait` (and `create --wait`) waits.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Give up after this long (e.g. 90s, 20m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "20m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time between two polls (e.g. 500ms, 5s).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub interval: Duration,
}

// ---------------------------------------------------------------------------------------
// PAI-DSW

/// PAI-DSW commands. The API has no update.
#[derive(Debug, Subcommand)]
pub enum DswCommand {
    /// List the snapshots of an instance (every page).
    List {
        /// The DSW instance.
        #[arg(long, value_name = "INSTANCE_ID")]
        instance: String,
        /// Sort field, as the API spells it (e.g. gmtCreate, gmtModified).
        #[arg(long)]
        sort_by: Option<String>,
        /// Sort order, as the API spells it (Asc or Desc).
        #[arg(long)]
        order: Option<String>,
        /// Snapshots per request (at least 1).
        #[arg(long, value_name = "N")]
        page_size: Option<i64>,
    },
    /// Show one snapshot.
    Get {
        /// The DSW instance.
        #[arg(long, value_name = "INSTANCE_ID")]
        instance: String,
        /// The snapshot.
        snapshot_id: String,
    },
    /// Snapshot an instance into a container image.
    Create {
        /// The DSW instance.
        #[arg(long, value_name = "INSTANCE_ID")]
        instance: String,
        /// Snapshot name: 1 to 128 lowercase letters, digits and hyphens, not starting with
        /// a hyphen (it is also the image tag).
        #[arg(long)]
        name: String,
        /// Image to push the snapshot to (registry/namespace/repository:tag).
        #[arg(long, value_name = "URL")]
        image_url: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// A label, KEY=VALUE (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
        /// A path left out of the image (repeatable; ECI instances only).
        #[arg(long = "exclude-path", value_name = "PATH")]
        exclude_paths: Vec<String>,
        /// Take over the image tag if another snapshot holds it.
        #[arg(long)]
        overwrite: bool,
        /// Wait until the snapshot is pushed (see `wait`).
        #[arg(long)]
        wait: bool,
        /// Wait options (with --wait).
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Delete one snapshot.
    Delete {
        /// The DSW instance.
        #[arg(long, value_name = "INSTANCE_ID")]
        instance: String,
        /// The snapshot.
        snapshot_id: String,
    },
    /// Wait until a snapshot leaves Pushing (a spinner on stderr shows its status).
    Wait {
        /// The DSW instance.
        #[arg(long, value_name = "INSTANCE_ID")]
        instance: String,
        /// The snapshot.
        snapshot_id: String,
        /// Wait options.
        #[command(flatten)]
        wait_args: WaitArgs,
    },
}

// ---------------------------------------------------------------------------------------
// PAI LangStudio

/// `snapctl langstudio [--gateway] <command>`.
#[derive(Debug, Args)]
pub struct LangStudioArgs {
    /// Send the same calls through the gateway profile (`{base}/<Action>`, DASHSCOPE_API_KEY
    /// as a bearer token) instead of the ROA profile the official SDK speaks.
    #[arg(long, global = true)]
    pub gateway: bool,

    /// The LangStudio command.
    #[command(subcommand)]
    pub command: LangStudioCommand,
}

/// PAI LangStudio commands.
#[derive(Debug, Subcommand)]
pub enum LangStudioCommand {
    /// List snapshots (every page), with the API's filters.
    List(LangStudioListArgs),
    /// Show one snapshot.
    Get {
        /// The snapshot.
        snapshot_id: String,
        /// The snapshot's workspace.
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<String>,
    },
    /// Snapshot a flow (or a storage path).
    Create(LangStudioCreateArgs),
    /// Rename a snapshot or change its description.
    #[command(group(ArgGroup::new("changes").required(true).multiple(true).args(["name", "description"])))]
    Update {
        /// The snapshot.
        snapshot_id: String,
        /// New name (same rule as create).
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// The snapshot's workspace.
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<String>,
    },
    /// Delete one snapshot.
    Delete {
        /// The snapshot.
        snapshot_id: String,
        /// The snapshot's workspace.
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<String>,
    },
    /// Wait until a snapshot is ready (a spinner on stderr shows its status).
    Wait {
        /// The snapshot.
        snapshot_id: String,
        /// Wait options.
        #[command(flatten)]
        wait_args: WaitArgs,
    },
}

/// `snapctl langstudio list`: the API's filters.
#[derive(Debug, Args)]
pub struct LangStudioListArgs {
    /// Only this workspace.
    #[arg(long, value_name = "WORKSPACE_ID")]
    pub workspace: Option<String>,
    /// Only PUBLIC or PRIVATE snapshots.
    #[arg(long, value_enum)]
    pub accessibility: Option<Accessibility>,
    /// Only these creation types (repeatable or comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub creation_type: Vec<CreationType>,
    /// Only snapshots of this creator.
    #[arg(long)]
    pub creator: Option<String>,
    /// Only snapshots in this status (as the service spells it, e.g. Success).
    #[arg(long)]
    pub status: Option<String>,
    /// Only snapshots of this resource.
    #[arg(long, value_name = "RESOURCE_ID")]
    pub resource_id: Option<String>,
    /// Only snapshots of this resource type.
    #[arg(long, value_enum)]
    pub resource_type: Option<ResourceType>,
    /// Only this snapshot id.
    #[arg(long)]
    pub snapshot_id: Option<String>,
    /// Sort field.
    #[arg(long, value_enum)]
    pub sort_by: Option<LangStudioSortBy>,
    /// Sort order.
    #[arg(long, value_enum)]
    pub order: Option<Order>,
    /// Snapshots per request (MaxResults, at least 1).
    #[arg(long, value_name = "N")]
    pub page_size: Option<i64>,
}

/// `snapctl langstudio create`: the new snapshot.
#[derive(Debug, Args)]
pub struct LangStudioCreateArgs {
    /// Snapshot name: 1 to 256 letters, digits and underscores, starting with a letter.
    #[arg(long)]
    pub name: String,
    /// The workspace.
    #[arg(long, value_name = "WORKSPACE_ID")]
    pub workspace: Option<String>,
    /// The resource to snapshot.
    #[arg(long, value_name = "RESOURCE_ID")]
    pub resource_id: Option<String>,
    /// The type of the resource.
    #[arg(long, value_enum)]
    pub resource_type: Option<ResourceType>,
    /// A storage path to snapshot instead of a resource.
    #[arg(long, value_name = "PATH")]
    pub source_storage_path: Option<String>,
    /// Working directory of the snapshot.
    #[arg(long, value_name = "PATH")]
    pub work_dir: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// PUBLIC or PRIVATE.
    #[arg(long, value_enum)]
    pub accessibility: Option<Accessibility>,
    /// How the snapshot was created.
    #[arg(long, value_enum)]
    pub creation_type: Option<CreationType>,
    /// Wait until the snapshot is ready (see `wait`).
    #[arg(long)]
    pub wait: bool,
    /// Wait options (with --wait).
    #[command(flatten)]
    pub wait_args: WaitArgs,
}

/// LangStudio `Accessibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Accessibility {
    /// Everyone in the workspace.
    Public,
    /// The creator only.
    Private,
}

impl From<Accessibility> for pai_langstudio::types::Accessibility {
    fn from(value: Accessibility) -> Self {
        match value {
            Accessibility::Public => Self::Public,
            Accessibility::Private => Self::Private,
        }
    }
}

/// LangStudio `CreationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "PascalCase")]
pub enum CreationType {
    /// Created by a user.
    ManualCreated,
    /// Created by a deployment.
    DeploymentAutoCreated,
    /// Created by an evaluation.
    EvaluationAutoCreated,
}

impl From<CreationType> for pai_langstudio::types::CreationType {
    fn from(value: CreationType) -> Self {
        match value {
            CreationType::ManualCreated => Self::ManualCreated,
            CreationType::DeploymentAutoCreated => Self::DeploymentAutoCreated,
            CreationType::EvaluationAutoCreated => Self::EvaluationAutoCreated,
        }
    }
}

/// LangStudio `SnapshotResourceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "PascalCase")]
pub enum ResourceType {
    /// A flow.
    Flow,
}

impl From<ResourceType> for pai_langstudio::types::SnapshotResourceType {
    fn from(value: ResourceType) -> Self {
        match value {
            ResourceType::Flow => Self::Flow,
        }
    }
}

/// LangStudio `SortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "PascalCase")]
pub enum LangStudioSortBy {
    /// Creation time.
    GmtCreateTime,
    /// Last modification time.
    GmtModifiedTime,
}

impl From<LangStudioSortBy> for pai_langstudio::types::SortBy {
    fn from(value: LangStudioSortBy) -> Self {
        match value {
            LangStudioSortBy::GmtCreateTime => Self::GmtCreateTime,
            LangStudioSortBy::GmtModifiedTime => Self::GmtModifiedTime,
        }
    }
}

/// LangStudio `Order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl From<Order> for pai_langstudio::types::Order {
    fn from(value: Order) -> Self {
        match value {
            Order::Asc => Self::Asc,
            Order::Desc => Self::Desc,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Graph OLAP

/// Graph OLAP commands. Snapshot ids are integers on the running control plane and uuids in
/// the seed; both are accepted.
#[derive(Debug, Subcommand)]
pub enum GraphOlapCommand {
    /// List snapshots (every page), with the API's filters.
    List(GraphOlapList),
    /// Show one snapshot.
    Get {
        /// The snapshot.
        snapshot_id: String,
    },
    /// Export a mapping's data into a new snapshot.
    Create(GraphOlapCreate),
    /// Rename a snapshot or change its description.
    #[command(group(ArgGroup::new("changes").required(true).multiple(true).args(["name", "description"])))]
    Update {
        /// The snapshot.
        snapshot_id: String,
        /// New name (1 to 255 characters).
        #[arg(long)]
        name: Option<String>,
        /// New description (at most 4000 characters).
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a snapshot (refused with exit code 10 while instances use it).
    Delete {
        /// The snapshot.
        snapshot_id: String,
    },
    /// Wait until a snapshot is ready (a progress bar on stderr shows the export).
    Wait {
        /// The snapshot.
        snapshot_id: String,
        /// Wait options.
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Show the export progress of a snapshot.
    Progress {
        /// The snapshot.
        snapshot_id: String,
    },
    /// Retry a failed snapshot (refused with exit code 10 unless it failed).
    Retry {
        /// The snapshot.
        snapshot_id: String,
    },
    /// Instances (the migration path of snapshot creation): list, get, create from a
    /// mapping, delete, wait.
    Instance {
        /// The instance command.
        #[command(subcommand)]
        command: crate::cli_olap::InstanceCommand,
    },
    /// Mappings (what a snapshot or instance exports): list, get, create.
    Mapping {
        /// The mapping command.
        #[command(subcommand)]
        command: crate::cli_olap::MappingCommand,
    },
    /// Users (listing needs the admin or ops role): list, get.
    User {
        /// The user command.
        #[command(subcommand)]
        command: crate::cli_olap::UserCommand,
    },
    /// Change a snapshot's time to live or inactivity timeout.
    #[command(group(ArgGroup::new("changes").required(true).multiple(true).args(["ttl", "inactivity_timeout"])))]
    Lifecycle {
        /// The snapshot.
        snapshot_id: String,
        /// Time to live, an ISO 8601 duration (P7D, PT12H, P1DT12H).
        #[arg(long, value_name = "ISO_DURATION")]
        ttl: Option<String>,
        /// Inactivity timeout, an ISO 8601 duration.
        #[arg(long, value_name = "ISO_DURATION")]
        inactivity_timeout: Option<String>,
    },
}

/// The filters and paging of `snapctl graph-olap list`.
#[derive(Debug, Clone, Args)]
pub struct GraphOlapList {
    /// Only snapshots in this status.
    #[arg(long, value_enum)]
    pub status: Option<GraphOlapStatus>,
    /// Only snapshots of this owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// Only snapshots whose name or description contains this text.
    #[arg(long)]
    pub search: Option<String>,
    /// Only snapshots of this mapping.
    #[arg(long, value_name = "MAPPING_ID")]
    pub mapping_id: Option<String>,
    /// Only snapshots of this mapping version (at least 1).
    #[arg(long, value_name = "VERSION")]
    pub mapping_version: Option<u64>,
    /// Only snapshots created after this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only snapshots created before this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Sort field.
    #[arg(long, value_enum)]
    pub sort_by: Option<GraphOlapSortBy>,
    /// Sort order.
    #[arg(long, value_enum)]
    pub sort_order: Option<SortOrder>,
    /// Snapshots per request (1 to 100; default 100, the largest the API allows).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u64>,
    /// Records to skip before the first one listed (at least 0).
    #[arg(long, value_name = "N")]
    pub offset: Option<i64>,
}

/// The new snapshot of `snapctl graph-olap create`.
#[derive(Debug, Clone, Args)]
pub struct GraphOlapCreate {
    /// Snapshot name: 1 to 255 characters.
    #[arg(long)]
    pub name: String,
    /// The mapping to export.
    #[arg(long, value_name = "MAPPING_ID")]
    pub mapping_id: String,
    /// The mapping version (default: the current one; at least 1).
    #[arg(long, value_name = "VERSION")]
    pub mapping_version: Option<u64>,
    /// Description (at most 4000 characters).
    #[arg(long)]
    pub description: Option<String>,
    /// Time to live, an ISO 8601 duration (P7D, PT12H, P1DT12H).
    #[arg(long, value_name = "ISO_DURATION")]
    pub ttl: Option<String>,
    /// Inactivity timeout, an ISO 8601 duration.
    #[arg(long, value_name = "ISO_DURATION")]
    pub inactivity_timeout: Option<String>,
    /// Wait until the snapshot is ready (see `wait`).
    #[arg(long)]
    pub wait: bool,
    /// Wait options (with --wait).
    #[command(flatten)]
    pub wait_args: WaitArgs,
}

/// Graph OLAP snapshot status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphOlapStatus {
    /// Queued.
    Pending,
    /// Exporting.
    Creating,
    /// Usable.
    Ready,
    /// The export failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl From<GraphOlapStatus> for graph_olap::types::SnapshotStatus {
    fn from(value: GraphOlapStatus) -> Self {
        match value {
            GraphOlapStatus::Pending => Self::Pending,
            GraphOlapStatus::Creating => Self::Creating,
            GraphOlapStatus::Ready => Self::Ready,
            GraphOlapStatus::Failed => Self::Failed,
            GraphOlapStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// Graph OLAP sort field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum GraphOlapSortBy {
    /// Name.
    Name,
    /// Creation time.
    CreatedAt,
    /// Last update.
    UpdatedAt,
    /// Status.
    Status,
    /// Size.
    SizeBytes,
}

impl From<GraphOlapSortBy> for graph_olap::types::SnapshotSortBy {
    fn from(value: GraphOlapSortBy) -> Self {
        match value {
            GraphOlapSortBy::Name => Self::Name,
            GraphOlapSortBy::CreatedAt => Self::CreatedAt,
            GraphOlapSortBy::UpdatedAt => Self::UpdatedAt,
            GraphOlapSortBy::Status => Self::Status,
            GraphOlapSortBy::SizeBytes => Self::SizeBytes,
        }
    }
}

/// Graph OLAP sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl From<SortOrder> for graph_olap::types::SortOrder {
    fn from(value: SortOrder) -> Self {
        match value {
            SortOrder::Asc => Self::Asc,
            SortOrder::Desc => Self::Desc,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Value parsers

/// Parses a duration: a whole number followed by `ms`, `s`, `m` or `h` (`500ms`, `90s`,
/// `20m`, `1h`); a bare number is seconds.
///
/// ```
/// use std::time::Duration;
/// use snapctl::cli::parse_duration;
///
/// assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let invalid = || {
        format!("`{text}` is not a duration: use a whole number and ms, s, m or h (500ms, 90s, 20m, 1h)")
    };
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

/// Parses a socket address on loopback (`127.0.0.1:8787`, `[::1]:0`).
///
/// ```
/// assert!(snapctl::cli::parse_loopback("127.0.0.1:8787").is_ok());
/// assert!(snapctl::cli::parse_loopback("0.0.0.0:8787").is_err());
/// ```
pub fn parse_loopback(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .parse()
        .map_err(|e| format!("`{text}` is not an address such as 127.0.0.1:8787: {e}"))?;
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        Err(format!(
            "`{text}` is not a loopback address: the emulator's demo credentials are public, so it \
             listens on 127.0.0.1 or ::1 only"
        ))
    }
}

/// Parses an RFC 3339 time (`2026-01-31T12:00:00Z`, `2026-01-31T20:00:00+08:00`).
pub fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&chrono::Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("snapctl").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let cli = parse(&["-o", "json", "dsw", "list", "--instance", "dsw-1"]).expect("parses");
        assert_eq!(cli.global.output, Format::Json);
        let cli = parse(&[
            "dsw",
            "list",
            "--instance",
            "dsw-1",
            "--output",
            "json",
            "--dsw-url",
            "http://127.0.0.1:1/dsw",
            "--no-retry",
        ])
        .expect("parses");
        assert_eq!(cli.global.output, Format::Json);
        assert_eq!(
            cli.global.dsw_url.as_deref(),
            Some("http://127.0.0.1:1/dsw")
        );
        assert!(cli.global.no_retry);
        match cli.command {
            Command::Dsw {
                command: DswCommand::List { instance, .. },
            } => assert_eq!(instance, "dsw-1"),
            other => panic!("unexpected: {other:?}"),
        }
    }

    #[test]
    fn dsw_create_takes_repeated_labels_and_wait_options() {
        let cli = parse(&[
            "dsw",
            "create",
            "--instance",
            "dsw-1",
            "--name",
            "nightly",
            "--image-url",
            "r/x:1",
            "--label",
            "a=1",
            "--label",
            "b=2",
            "--wait",
            "--timeout",
            "90s",
        ])
        .expect("parses");
        let Command::Dsw {
            command:
                DswCommand::Create {
                    labels,
                    wait,
                    wait_args,
                    ..
                },
        } = cli.command
        else {
            panic!("not dsw create");
        };
        assert_eq!(labels, ["a=1", "b=2"]);
        assert!(wait);
        assert_eq!(wait_args.timeout, Duration::from_secs(90));
        assert_eq!(wait_args.interval, Duration::from_secs(5));
    }

    #[test]
    fn langstudio_gateway_flag_goes_either_side_of_the_command() {
        for args in [
            &["langstudio", "--gateway", "get", "snap-1"][..],
            &["langstudio", "get", "snap-1", "--gateway"][..],
        ] {
            let cli = parse(args).expect("parses");
            let Command::LangStudio(studio) = cli.command else {
                panic!("not langstudio");
            };
            assert!(studio.gateway, "{args:?}");
        }
    }

    #[test]
    fn langstudio_list_filters_parse_into_the_api_enums() {
        let cli = parse(&[
            "langstudio",
            "list",
            "--accessibility",
            "PUBLIC",
            "--creation-type",
            "ManualCreated,DeploymentAutoCreated",
            "--sort-by",
            "GmtModifiedTime",
            "--order",
            "ASC",
        ])
        .expect("parses");
        let Command::LangStudio(LangStudioArgs {
            command:
                LangStudioCommand::List(LangStudioListArgs {
                    accessibility,
                    creation_type,
                    sort_by,
                    order,
                    ..
                }),
            ..
        }) = cli.command
        else {
            panic!("not langstudio list");
        };
        assert_eq!(accessibility, Some(Accessibility::Public));
        assert_eq!(
            creation_type,
            [
                CreationType::ManualCreated,
                CreationType::DeploymentAutoCreated
            ]
        );
        assert_eq!(
            pai_langstudio::types::SortBy::from(sort_by.expect("set")).to_string(),
            "GmtModifiedTime"
        );
        assert_eq!(
            pai_langstudio::types::Order::from(order.expect("set")).to_string(),
            "ASC"
        );
    }

    #[test]
    fn graph_olap_enums_match_the_wire_spelling() {
        for status in GraphOlapStatus::value_variants() {
            let name = status
                .to_possible_value()
                .expect("visible")
                .get_name()
                .to_owned();
            assert_eq!(
                graph_olap::types::SnapshotStatus::from(*status).to_string(),
                name
            );
        }
        for sort in GraphOlapSortBy::value_variants() {
            let name = sort
                .to_possible_value()
                .expect("visible")
                .get_name()
                .to_owned();
            assert_eq!(
                graph_olap::types::SnapshotSortBy::from(*sort).to_string(),
                name
            );
        }
        for accessibility in Accessibility::value_variants() {
            let name = accessibility
                .to_possible_value()
                .expect("visible")
                .get_name()
                .to_owned();
            assert_eq!(
                pai_langstudio::types::Accessibility::from(*accessibility).to_string(),
                name
            );
        }
        for creation in CreationType::value_variants() {
            let name = creation
                .to_possible_value()
                .expect("visible")
                .get_name()
                .to_owned();
            assert_eq!(
                pai_langstudio::types::CreationType::from(*creation).to_string(),
                name
            );
        }
    }

    #[test]
    fn usage_errors_exit_with_2_and_help_with_0() {
        for args in [
            &["dsw", "list"][..],
            &["dsw", "update"][..],
            &["langstudio", "update", "snap-1"][..],
            &["graph-olap", "update", "1"][..],
            &["graph-olap", "lifecycle", "1"][..],
            &["graph-olap", "list", "--page-size", "ten"][..],
            &["graph-olap", "wait", "1", "--timeout", "soon"][..],
            &["graph-olap", "list", "--created-after", "yesterday"][..],
            &["-o", "yaml", "demo"][..],
            &["emulator", "--addr", "0.0.0.0:8787"][..],
            &["emulator", "--addr", "localhost"][..],
            &["demo", "--step", "fast"][..],
            &["nothing"][..],
        ] {
            let error = parse(args).expect_err("refused");
            assert_eq!(error.exit_code(), 2, "{args:?}: {error}");
        }
        let help = parse(&["--help"]).expect_err("help is an early exit");
        assert_eq!(help.exit_code(), 0);
        let text = help.to_string();
        assert!(text.contains("Exit codes:"), "{text}");
        assert!(text.contains("snapctl demo"), "{text}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in [
            "",
            "s",
            "1.5s",
            "-1s",
            "10d",
            "1 h",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        let time = parse_time("2026-01-31T20:00:00+08:00").expect("parses");
        assert_eq!(time.to_rfc3339(), "2026-01-31T12:00:00+00:00");
        assert!(parse_time("2026-01-31").is_err());
    }
}
