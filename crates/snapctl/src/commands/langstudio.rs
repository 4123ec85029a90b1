//! `snapctl langstudio [--gateway]`: PAI LangStudio snapshots (list, get, create, update,
//! delete, wait), in the ROA form the official SDK speaks or, with `--gateway`, in the
//! gateway form of seed 000.

use std::io::Write;

use pai_langstudio::types::{
    CreateSnapshotRequest, GatewayUpdateSnapshotRequest, GetSnapshotResponse, Snapshot,
    UpdateSnapshotRequest,
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

/// Which form of the API a command speaks.
#[derive(Debug, Clone, Copy)]
enum Form<'a> {
    Roa(&'a pai_langstudio::Client),
    Gateway(&'a pai_langstudio::Client),
}

impl<'a> Form<'a> {
    fn of(client: &'a Client, gateway: bool) -> Result<Self, Error> {
        Ok(if gateway {
            Form::Gateway(client.langstudio_gateway()?)
        } else {
            Form::Roa(client.langstudio()?)
        })
    }
}

/// Sets the list filters on either list builder (they share their setters).
macro_rules! filtered {
    ($request:expr, $filters:expr) => {{
        let filters = $filters;
        let mut request = $request;
        if let Some(v) = filters.workspace {
            request = request.workspace_id(v);
        }
        if let Some(v) = filters.accessibility {
            request = request.accessibility(v);
        }
        if let Some(v) = filters.creation_type {
            request = request.creation_type(v);
        }
        if let Some(v) = filters.creator {
            request = request.creator(v);
        }
        if let Some(v) = filters.status {
            request = request.snapshot_status(v);
        }
        if let Some(v) = filters.resource_id {
            request = request.snapshot_resource_id(v);
        }
        if let Some(v) = filters.resource_type {
            request = request.snapshot_resource_type(v);
        }
        if let Some(v) = filters.snapshot_id {
            request = request.snapshot_id(v);
        }
        if let Some(v) = filters.sort_by {
            request = request.sort_by(v);
        }
        if let Some(v) = filters.order {
            request = request.order(v);
        }
        if let Some(v) = filters.max_results {
            request = request.max_results(v);
        }
        request
    }};
}

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

/// Runs one LangStudio command.
pub async fn run<W: Write>(
    client: &Client,
    args: LangStudioArgs,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let gateway = args.gateway;
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
                workspace: workspace
                    .map(|w| identifier("WorkspaceId", &w))
                    .transpose()?,
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
            match Form::of(client, gateway)? {
                Form::Roa(studio) => {
                    let request = filtered!(studio.list_snapshots(), filters);
                    printer.list(COLUMNS, request.items()).await?;
                }
                Form::Gateway(studio) => {
                    let request = filtered!(studio.gateway_list_snapshots(), filters);
                    printer.list(COLUMNS, request.items()).await?;
                }
            }
        }
        LangStudioCommand::Get {
            snapshot_id,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let workspace = workspace
                .map(|w| identifier("WorkspaceId", &w))
                .transpose()?;
            let snapshot = get(Form::of(client, gateway)?, &snapshot_id, workspace).await?;
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
                workspace_id: workspace
                    .map(|w| identifier("WorkspaceId", &w))
                    .transpose()?,
                snapshot_resource_id: resource_id,
                snapshot_resource_type: resource_type.map(Into::into),
                source_storage_path,
                work_dir,
                description,
                accessibility: accessibility.map(Into::into),
                creation_type: creation_type.map(Into::into),
            };
            let form = Form::of(client, gateway)?;
            let created = match form {
                Form::Roa(studio) => send(studio.create_snapshot().body(body).send()).await?,
                Form::Gateway(studio) => {
                    send(studio.gateway_create_snapshot().body(body).send()).await?
                }
            };
            match (wait, created.snapshot_id.as_deref()) {
                (true, Some(snapshot_id)) => {
                    let done = wait_for(form, snapshot_id, &wait_args).await?;
                    printer.resource(&done)?;
                }
                (true, None) => {
                    return Err(Error::Config(
                        "the create response has no SnapshotId to wait for".into(),
                    )
                    .into())
                }
                (false, _) => printer.resource(&created)?,
            }
        }
        LangStudioCommand::Update {
            snapshot_id,
            name,
            description,
            workspace,
        } => {
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let snapshot_name = name
                .map(|n| validate::langstudio_snapshot_name(&n))
                .transpose()?;
            let workspace_id = workspace
                .map(|w| identifier("WorkspaceId", &w))
                .transpose()?;
            let updated = match Form::of(client, gateway)? {
                Form::Roa(studio) => {
                    let body = UpdateSnapshotRequest {
                        description,
                        snapshot_name,
                        workspace_id,
                    };
                    send(
                        studio
                            .update_snapshot()
                            .snapshot_id(snapshot_id.clone())
                            .body(body)
                            .send(),
                    )
                    .await?
                }
                Form::Gateway(studio) => {
                    let body = GatewayUpdateSnapshotRequest {
                        snapshot_id: snapshot_id.clone(),
                        description,
                        snapshot_name,
                        workspace_id,
                    };
                    send(studio.gateway_update_snapshot().body(body).send()).await?
                }
            };
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
            let workspace = workspace
                .map(|w| identifier("WorkspaceId", &w))
                .transpose()?;
            let deleted = match Form::of(client, gateway)? {
                Form::Roa(studio) => {
                    let mut request = studio.delete_snapshot().snapshot_id(snapshot_id.clone());
                    if let Some(workspace) = workspace {
                        request = request.workspace_id(workspace);
                    }
                    send(request.send()).await?
                }
                Form::Gateway(studio) => {
                    let mut request = studio
                        .gateway_delete_snapshot()
                        .snapshot_id(snapshot_id.clone());
                    if let Some(workspace) = workspace {
                        request = request.workspace_id(workspace);
                    }
                    send(request.send()).await?
                }
            };
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
            let form = Form::of(client, gateway)?;
            let done = wait_for(form, &snapshot_id, &wait_args).await?;
            printer.resource(&done)?;
        }
    }
    Ok(())
}

/// One `GetSnapshot`, in either form.
async fn get(
    form: Form<'_>,
    snapshot_id: &str,
    workspace: Option<String>,
) -> Result<GetSnapshotResponse, Error> {
    match form {
        Form::Roa(studio) => {
            let mut request = studio.get_snapshot().snapshot_id(snapshot_id);
            if let Some(workspace) = workspace {
                request = request.workspace_id(workspace);
            }
            send(request.send()).await
        }
        Form::Gateway(studio) => {
            let mut request = studio.gateway_get_snapshot().snapshot_id(snapshot_id);
            if let Some(workspace) = workspace {
                request = request.workspace_id(workspace);
            }
            send(request.send()).await
        }
    }
}

/// Waits for a snapshot to be ready, with a spinner on stderr: the SDK's waiter of the form
/// in use (`GetSnapshot` or `GatewayGetSnapshot`).
async fn wait_for(
    form: Form<'_>,
    snapshot_id: &str,
    args: &WaitArgs,
) -> Result<GetSnapshotResponse, Error> {
    let mut display = WaitProgress::new(format!("PAI LangStudio snapshot {snapshot_id}"));
    let on_poll = |poll: &wait::Poll| display.show(poll);
    let result = match form {
        Form::Roa(studio) => {
            wait::until(pai_langstudio::waiters::snapshot(studio, snapshot_id))
                .timeout(args.timeout)
                .poll_interval(args.interval)
                .wait_with(on_poll)
                .await
        }
        Form::Gateway(gateway) => {
            wait::until(pai_langstudio::waiters::gateway_snapshot(
                gateway,
                snapshot_id,
            ))
            .timeout(args.timeout)
            .poll_interval(args.interval)
            .wait_with(on_poll)
            .await
        }
    };
    display.finish();
    result
}
