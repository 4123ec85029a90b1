//! `snapctl langstudio [--gateway]`: PAI LangStudio snapshots (list, get, create, update,
//! delete, wait), through the `roa` profile the official SDK speaks or, with `--gateway`,
//! the `gateway` profile of seed 000. The flag only chooses the client
//! ([`snapshots::Client::langstudio`] or [`snapshots::Client::langstudio_gateway`]); every
//! command then makes the same calls on it.

use std::io::Write;

use pai_langstudio::builder::ListSnapshots;
use pai_langstudio::types::{
    CreateSnapshotRequest, GetSnapshotResponse, Snapshot, UpdateSnapshotRequest,
};
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client, Error};

use super::{identifier, send};
use crate::cli::{LangStudioArgs, LangStudioCommand, WaitArgs};
use crate::output::{or_dash, Column, Printer};
use crate::progress::WaitProgress;
use crate::Failure;

/// The columns of `snapctl langstudio list`.
pub const COLUMNS: &[Column<Snapshot>] = &[
    Column {
        header: "SNAPSHOT ID",
        width: 18,
        cell: |s| or_dash(s.snapshot_id.as_deref()),
    },
    Column {
        header: "NAME",
        width: 20,
        cell: |s| or_dash(s.snapshot_name.as_deref()),
    },
    Column {
        header: "STATUS",
        width: 9,
        cell: |s| or_dash(s.snapshot_status.as_deref()),
    },
    Column {
        header: "WORKSPACE",
        width: 17,
        cell: |s| or_dash(s.workspace_id.as_deref()),
    },
    Column {
        header: "RESOURCE",
        width: 16,
        cell: |s| or_dash(s.snapshot_resource_id.as_deref()),
    },
    Column {
        header: "CREATED",
        width: 0,
        cell: |s| or_dash(s.gmt_create_time.as_deref()),
    },
];

/// The list filters, converted to the API's types.
#[derive(Debug, Default)]
struct Filters {
    workspace: Option<String>,
    accessibility: Option<pai_langstudio::types::Accessibility>,
    creation_type: Option<String>,
    creator: Option<String>,
    status: Option<String>,
    resource_id: Option<String>,
    resource_type: Option<pai_langstudio::types::SnapshotResourceType>,
    snapshot_id: Option<String>,
    sort_by: Option<pai_langstudio::types::SortBy>,
    order: Option<pai_langstudio::types::Order>,
    max_results: Option<i64>,
}

impl Filters {
    /// `request` with every filter that is set.
    fn apply<'a>(self, mut request: ListSnapshots<'a>) -> ListSnapshots<'a> {
        if let Some(v) = self.workspace {
            request = request.workspace_id(v);
        }
        if let Some(v) = self.accessibility {
            request = request.accessibility(v);
        }
        if let Some(v) = self.creation_type {
            request = request.creation_type(v);
        }
        if let Some(v) = self.creator {
            request = request.creator(v);
        }
        if let Some(v) = self.status {
            request = request.snapshot_status(v);
        }
        if let Some(v) = self.resource_id {
            request = request.snapshot_resource_id(v);
        }
        if let Some(v) = self.resource_type {
            request = request.snapshot_resource_type(v);
        }
        if let Some(v) = self.snapshot_id {
            request = request.snapshot_id(v);
        }
        if let Some(v) = self.sort_by {
            request = request.sort_by(v);
        }
        if let Some(v) = self.order {
            request = request.order(v);
        }
        if let Some(v) = self.max_results {
            request = request.max_results(v);
        }
        request
    }
}

/// The LangStudio client of the profile the user chose: `roa`, or `gateway` with
/// `--gateway`. The only place the flag matters.
fn studio(client: &Client, gateway: bool) -> Result<&pai_langstudio::Client, Error> {
    if gateway {
        client.langstudio_gateway()
    } else {
        client.langstudio()
    }
}

/// An optional workspace id, checked.
fn workspace_id(workspace: Option<String>) -> Result<Option<String>, Error> {
    workspace.map(|w| identifier("WorkspaceId", &w)).transpose()
}

/// Runs one LangStudio command.
pub async fn run<W: Write>(
    client: &Client,
    args: LangStudioArgs,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let studio = studio(client, args.gateway)?;
    match args.command {
        LangStudioCommand::List {
            workspace,
            accessibility,
            creation_type,
            creator,
            status,
            resource_id,
            resource_type,
            snapshot_id,
            sort_by,
            order,
            page_size,
        } => {
            let creation_type = (!creation_type.is_empty()).then(|| {
                creation_type
                    .into_iter()
                    .map(|t| pai_langstudio::types::CreationType::from(t).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            });
            let filters = Filters {
                workspace: workspace_id(workspace)?,
                accessibility: accessibility.map(Into::into),
                creation_type,
                creator,
                status,
                resource_id,
                resource_type: resource_type.map(Into::into),
                snapshot_id,
                sort_by: sort_by.map(Into::into),
                order: order.map(Into::into),
                max_results: page_size
                    .map(validate::langstudio_max_results)
                    .transpose()?,
            };
            let request = filters.apply(studio.list_snapshots());
            printer.list(COLUMNS, request.items()).await?;
        }
        LangStudioCommand::Get {
            snapshot_id,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let snapshot = get(studio, &snapshot_id, workspace_id(workspace)?).await?;
            printer.resource(&snapshot)?;
        }
        LangStudioCommand::Create {
            name,
            workspace,
            resource_id,
            resource_type,
            source_storage_path,
            work_dir,
            description,
            accessibility,
            creation_type,
            wait,
            wait_args,
        } => {
            let body = CreateSnapshotRequest {
                snapshot_name: Some(validate::langstudio_snapshot_name(&name)?),
                workspace_id: workspace_id(workspace)?,
                snapshot_resource_id: resource_id,
                snapshot_resource_type: resource_type.map(Into::into),
                source_storage_path,
                work_dir,
                description,
                accessibility: accessibility.map(Into::into),
                creation_type: creation_type.map(Into::into),
            };
            let wait_args = wait.then_some(wait_args);
            create(studio, body, wait_args.as_ref(), printer).await?;
        }
        LangStudioCommand::Update {
            snapshot_id,
            name,
            description,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let body = UpdateSnapshotRequest {
                description,
                snapshot_name: name
                    .map(|n| validate::langstudio_snapshot_name(&n))
                    .transpose()?,
                workspace_id: workspace_id(workspace)?,
            };
            let request = studio.update_snapshot().snapshot_id(snapshot_id.clone());
            let updated = send(request.body(body).send()).await?;
            printer.outcome(
                &format!(
                    "Updated PAI LangStudio snapshot {snapshot_id} (request id {})",
                    or_dash(updated.request_id.as_deref())
                ),
                &updated,
            )?;
        }
        LangStudioCommand::Delete {
            snapshot_id,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let mut request = studio.delete_snapshot().snapshot_id(snapshot_id.clone());
            if let Some(workspace) = workspace_id(workspace)? {
                request = request.workspace_id(workspace);
            }
            let deleted = send(request.send()).await?;
            printer.outcome(
                &format!("Deleted PAI LangStudio snapshot {snapshot_id}"),
                &deleted,
            )?;
        }
        LangStudioCommand::Wait {
            snapshot_id,
            wait_args,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let done = wait_for(studio, &snapshot_id, &wait_args).await?;
            printer.resource(&done)?;
        }
    }
    Ok(())
}

/// `create`: one `CreateSnapshot`, then, with `--wait`, the waiter on the new snapshot.
async fn create<W: Write>(
    studio: &pai_langstudio::Client,
    body: CreateSnapshotRequest,
    wait: Option<&WaitArgs>,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let created = send(studio.create_snapshot().body(body).send()).await?;
    match (wait, created.snapshot_id.as_deref()) {
        (Some(wait_args), Some(snapshot_id)) => {
            let done = wait_for(studio, snapshot_id, wait_args).await?;
            printer.resource(&done)?;
        }
        (Some(_), None) => {
            return Err(
                Error::Config("the create response has no SnapshotId to wait for".into()).into(),
            )
        }
        (None, _) => printer.resource(&created)?,
    }
    Ok(())
}

/// One `GetSnapshot`.
async fn get(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    workspace: Option<String>,
) -> Result<GetSnapshotResponse, Error> {
    let mut request = studio.get_snapshot().snapshot_id(snapshot_id);
    if let Some(workspace) = workspace {
        request = request.workspace_id(workspace);
    }
    send(request.send()).await
}

/// Waits for a snapshot to be ready, with a spinner on stderr: the SDK's waiter.
async fn wait_for(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    args: &WaitArgs,
) -> Result<GetSnapshotResponse, Error> {
    let mut display = WaitProgress::new(format!("PAI LangStudio snapshot {snapshot_id}"));
    let result = wait::langstudio_snapshot(studio, snapshot_id)
        .timeout(args.timeout)
        .poll_interval(args.interval)
        .wait_with(|poll| display.update(&poll.status, poll.attempt, None))
        .await;
    display.finish();
    result
}
