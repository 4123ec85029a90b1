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
use snapshots::{validate, wait, Client, Error};

use super::{identifier, send_raw};
use crate::cli::{
    LangStudioArgs, LangStudioCommand, LangStudioCreateArgs, LangStudioListArgs, WaitArgs,
};
use crate::output::{or_dash, Column, Printer};
use crate::progress::WaitProgress;
use crate::raw::{captured, Answer};
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
    /// The filters of `snapctl langstudio list`, checked and converted.
    fn from_args(args: LangStudioListArgs) -> Result<Self, Error> {
        let creation_type = (!args.creation_type.is_empty()).then(|| {
            args.creation_type
                .into_iter()
                .map(|t| pai_langstudio::types::CreationType::from(t).to_string())
                .collect::<Vec<_>>()
                .join(",")
        });
        Ok(Filters {
            workspace: workspace_id(args.workspace)?,
            accessibility: args.accessibility.map(Into::into),
            creation_type,
            creator: args.creator,
            status: args.status,
            resource_id: args.resource_id,
            resource_type: args.resource_type.map(Into::into),
            snapshot_id: args.snapshot_id,
            sort_by: args.sort_by.map(Into::into),
            order: args.order.map(Into::into),
            max_results: args
                .page_size
                .map(validate::langstudio_max_results)
                .transpose()?,
        })
    }

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
        LangStudioCommand::List(list) => {
            let request = Filters::from_args(list)?.apply(studio.list_snapshots());
            printer.listing(COLUMNS, request).await?;
        }
        LangStudioCommand::Get {
            snapshot_id,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let snapshot = get(studio, &snapshot_id, workspace_id(workspace)?).await?;
            printer.answer(&snapshot.body, "")?;
        }
        LangStudioCommand::Create(create_args) => create(studio, create_args, printer).await?,
        LangStudioCommand::Update {
            snapshot_id,
            name,
            description,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let body = UpdateSnapshotRequest::builder()
                .description(description)
                .snapshot_name(
                    name.map(|n| validate::langstudio_snapshot_name(&n))
                        .transpose()?,
                )
                .workspace_id(workspace_id(workspace)?);
            update(studio, &snapshot_id, body, printer).await?;
        }
        LangStudioCommand::Delete {
            snapshot_id,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            delete(studio, &snapshot_id, workspace_id(workspace)?, printer).await?;
        }
        LangStudioCommand::Wait {
            snapshot_id,
            wait_args,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let done = wait_for(studio, &snapshot_id, &wait_args).await?;
            printer.answer(&done.body, "")?;
        }
    }
    Ok(())
}

/// `update`: one `UpdateSnapshot`.
async fn update<W: Write>(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    body: pai_langstudio::types::builder::UpdateSnapshotRequest,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let request = studio.update_snapshot().snapshot_id(snapshot_id);
    let updated = send_raw(request.body(body).send()).await?;
    printer.outcome_of(
        &format!(
            "Updated PAI LangStudio snapshot {snapshot_id} (request id {})",
            or_dash(updated.value.request_id.as_deref())
        ),
        &updated.body,
        "",
        &updated.value,
    )?;
    Ok(())
}

/// `delete`: one `DeleteSnapshot`.
async fn delete<W: Write>(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    workspace: Option<String>,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let mut request = studio.delete_snapshot().snapshot_id(snapshot_id);
    if let Some(workspace) = workspace {
        request = request.workspace_id(workspace);
    }
    let deleted = send_raw(request.send()).await?;
    printer.outcome_of(
        &format!("Deleted PAI LangStudio snapshot {snapshot_id}"),
        &deleted.body,
        "",
        &deleted.value,
    )?;
    Ok(())
}

/// `create`: one `CreateSnapshot`, then, with `--wait`, the waiter on the new snapshot.
async fn create<W: Write>(
    studio: &pai_langstudio::Client,
    args: LangStudioCreateArgs,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let body = CreateSnapshotRequest::builder()
        .snapshot_name(Some(validate::langstudio_snapshot_name(&args.name)?))
        .workspace_id(workspace_id(args.workspace)?)
        .snapshot_resource_id(args.resource_id)
        .snapshot_resource_type(args.resource_type.map(Into::into))
        .source_storage_path(args.source_storage_path)
        .work_dir(args.work_dir)
        .description(args.description)
        .accessibility(args.accessibility.map(Into::into))
        .creation_type(args.creation_type.map(Into::into));
    let created = send_raw(studio.create_snapshot().body(body).send()).await?;
    match (args.wait, created.value.snapshot_id.as_deref()) {
        (true, Some(snapshot_id)) => {
            let done = wait_for(studio, snapshot_id, &args.wait_args).await?;
            printer.answer(&done.body, "")?;
        }
        (true, None) => {
            return Err(
                Error::Config("the create response has no SnapshotId to wait for".into()).into(),
            )
        }
        (false, _) => printer.answer(&created.body, "")?,
    }
    Ok(())
}

/// One `GetSnapshot`.
async fn get(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    workspace: Option<String>,
) -> Result<Answer<GetSnapshotResponse>, Error> {
    let mut request = studio.get_snapshot().snapshot_id(snapshot_id);
    if let Some(workspace) = workspace {
        request = request.workspace_id(workspace);
    }
    send_raw(request.send()).await
}

/// Waits for a snapshot to be ready, with a spinner on stderr: the SDK's waiter.
async fn wait_for(
    studio: &pai_langstudio::Client,
    snapshot_id: &str,
    args: &WaitArgs,
) -> Result<Answer<GetSnapshotResponse>, Error> {
    let mut display = WaitProgress::new(format!("PAI LangStudio snapshot {snapshot_id}"));
    let waiter = wait::until(pai_langstudio::waiters::snapshot(studio, snapshot_id))
        .timeout(args.timeout)
        .poll_interval(args.interval);
    let result =
        captured(waiter.wait_with(|poll| display.update(&poll.status, poll.attempt, None))).await;
    display.finish();
    result
}
