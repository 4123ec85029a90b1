//! `snapctl graph-olap`: Graph OLAP control plane snapshots (list, get, create, update,
//! delete, wait, progress, retry, lifecycle).
//!
//! JSON output is the `data` member of the control plane's envelope as the server wrote it
//! (a snapshot, its progress or its lifecycle, every `null` and unknown member kept); `list`
//! prints an array of the listed items, and `delete` the `data` of the answer, or the seed's
//! `{"deleted": true}` when the server answered 204 without a body.

use std::io::Write;

use chrono::SecondsFormat;

use graph_olap::types::{
    DeleteSnapshotResult, Description, IsoDuration, ResourceId, Snapshot, SnapshotProgress,
};
use snapshots::{validate, wait, Client, Error};

use super::{identifier, invalid, page_size, send_raw};
use crate::cli::{GraphOlapCommand, GraphOlapCreate, GraphOlapList, WaitArgs};
use crate::output::{or_dash, Column, Printer};
use crate::progress::WaitProgress;
use crate::raw::{captured, Answer};
use crate::Failure;

/// The member of the control plane's envelope that holds the resource.
pub const DATA: &str = "data";

/// The rule of an ISO 8601 duration of the control plane (`ttl`, `inactivity_timeout`).
pub const ISO_DURATION_RULE: &str =
    "an ISO 8601 duration of days, hours, minutes and seconds, such as P7D, PT12H or P1DT12H";

/// The rule of a description.
pub const DESCRIPTION_RULE: &str = "at most 4000 characters";

/// The columns of `snapctl graph-olap list`.
pub const COLUMNS: &[Column<Snapshot>] = &[
    Column {
        header: "ID",
        width: 6,
        cell: |s| s.id.to_string(),
    },
    Column {
        header: "NAME",
        width: 24,
        cell: |s| or_dash(s.name.as_deref()),
    },
    Column {
        header: "STATUS",
        width: 9,
        cell: |s| {
            s.status
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string)
        },
    },
    Column {
        header: "MAPPING",
        width: 8,
        cell: |s| match (&s.mapping_id, s.mapping_version) {
            (Some(id), Some(version)) => format!("{id} v{version}"),
            (Some(id), None) => id.to_string(),
            (None, _) => "-".to_owned(),
        },
    },
    Column {
        header: "SIZE",
        width: 10,
        cell: |s| {
            s.size_bytes
                .map_or_else(|| "-".to_owned(), |b| b.to_string())
        },
    },
    Column {
        header: "CREATED",
        width: 0,
        cell: |s| {
            s.created_at.map_or_else(
                || "-".to_owned(),
                |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
            )
        },
    },
];

/// One export job or progress step, for the table of `snapctl graph-olap progress`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    name: String,
    kind: String,
    status: String,
    rows: Option<i64>,
}

/// The columns of the steps table of `snapctl graph-olap progress`.
pub const STEP_COLUMNS: &[Column<Step>] = &[
    Column {
        header: "NAME",
        width: 24,
        cell: |s| s.name.clone(),
    },
    Column {
        header: "TYPE",
        width: 6,
        cell: |s| s.kind.clone(),
    },
    Column {
        header: "STATUS",
        width: 11,
        cell: |s| s.status.clone(),
    },
    Column {
        header: "ROWS",
        width: 0,
        cell: |s| s.rows.map_or_else(|| "-".to_owned(), |r| r.to_string()),
    },
];

/// A snapshot id from the command line: an integer (the running control plane) or any
/// other non-empty text (the seed's uuids).
///
/// ```
/// use graph_olap::types::ResourceId;
/// assert_eq!(snapctl::commands::graph_olap::resource_id("snapshot_id", "42").unwrap(), ResourceId::Int64(42));
/// assert!(matches!(snapctl::commands::graph_olap::resource_id("snapshot_id", "a1b2").unwrap(), ResourceId::String(_)));
/// assert!(snapctl::commands::graph_olap::resource_id("snapshot_id", "").is_err());
/// ```
pub fn resource_id(field: &str, text: &str) -> Result<ResourceId, Error> {
    let text = identifier(field, text)?;
    Ok(match text.parse::<i64>() {
        Ok(number) => ResourceId::Int64(number),
        Err(_) => ResourceId::String(text),
    })
}

fn iso_duration(field: &str, text: Option<String>) -> Result<Option<IsoDuration>, Error> {
    text.map(|t| t.parse().map_err(|_| invalid(field, ISO_DURATION_RULE)))
        .transpose()
}

fn description(text: Option<String>) -> Result<Option<Description>, Error> {
    text.map(|t| {
        t.parse()
            .map_err(|_| invalid("description", DESCRIPTION_RULE))
    })
    .transpose()
}

fn mapping_version(version: Option<u64>) -> Result<Option<std::num::NonZeroU64>, Error> {
    version
        .map(|v| {
            std::num::NonZeroU64::new(v).ok_or_else(|| invalid("mapping_version", "at least 1"))
        })
        .transpose()
}

/// Runs one Graph OLAP command.
pub async fn run<W: Write>(
    client: &Client,
    command: GraphOlapCommand,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let olap = || client.graph_olap();
    match command {
        GraphOlapCommand::List(filters) => {
            printer
                .listing(COLUMNS, list_request(client, filters)?)
                .await?;
        }
        GraphOlapCommand::Get { snapshot_id } => {
            let id = resource_id("snapshot_id", &snapshot_id)?;
            let snapshot = send_raw(olap()?.get_snapshot().snapshot_id(id).send()).await?;
            printer.answer(&snapshot.body, DATA)?;
        }
        GraphOlapCommand::Create(new) => create(client, new, printer).await?,
        GraphOlapCommand::Update {
            snapshot_id,
            name,
            description,
        } => update(client, &snapshot_id, name, description, printer).await?,
        GraphOlapCommand::Delete { snapshot_id } => {
            let id = resource_id("snapshot_id", &snapshot_id)?;
            let answer = send_raw(olap()?.delete_snapshot().snapshot_id(id.clone()).send()).await?;
            let deleted =
                DeleteSnapshotResult::try_from(DeleteSnapshotResult::builder().deleted(true))
                    .map_err(|e| Error::Config(format!("the delete result: {e}")))?;
            printer.outcome_of(
                &format!("Deleted Graph OLAP snapshot {id}"),
                &answer.body,
                DATA,
                &deleted,
            )?;
        }
        GraphOlapCommand::Wait {
            snapshot_id,
            wait_args,
        } => {
            let id = resource_id("snapshot_id", &snapshot_id)?;
            let done = wait_for(client, id, &wait_args).await?;
            printer.answer(&done.body, DATA)?;
        }
        GraphOlapCommand::Progress { snapshot_id } => {
            let id = resource_id("snapshot_id", &snapshot_id)?;
            let progress = send_raw(olap()?.get_snapshot_progress().snapshot_id(id).send()).await?;
            print_progress(printer, &progress).await?;
        }
        GraphOlapCommand::Retry { snapshot_id } => {
            let id = resource_id("snapshot_id", &snapshot_id)?;
            let retried = send_raw(olap()?.retry_snapshot().snapshot_id(id).send()).await?;
            printer.answer(&retried.body, DATA)?;
        }
        GraphOlapCommand::Instance { command } => {
            super::olap_resources::instance(client, command, printer).await?;
        }
        GraphOlapCommand::Mapping { command } => {
            super::olap_resources::mapping(client, command, printer).await?;
        }
        GraphOlapCommand::User { command } => {
            super::olap_resources::user(client, command, printer).await?;
        }
        GraphOlapCommand::Lifecycle {
            snapshot_id,
            ttl,
            inactivity_timeout,
        } => lifecycle(client, &snapshot_id, ttl, inactivity_timeout, printer).await?,
    }
    Ok(())
}

/// The request of `list`, its filters checked (before the client is asked for).
fn list_request(
    client: &Client,
    filters: GraphOlapList,
) -> Result<graph_olap::builder::ListSnapshots<'_>, Error> {
    let limit = page_size::<graph_olap::builder::ListSnapshots<'_>>(
        filters.page_size,
        graph_olap::RULES,
        "limit",
    )
    .map(validate::graph_olap_limit)
    .transpose()?;
    let offset = filters
        .offset
        .map(validate::graph_olap_offset)
        .transpose()?;
    let mapping_id = filters
        .mapping_id
        .map(|m| resource_id("mapping_id", &m))
        .transpose()?;
    let version = mapping_version(filters.mapping_version)?;
    let mut request = client.graph_olap()?.list_snapshots();
    if let Some(v) = filters.status {
        request = request.status(graph_olap::types::SnapshotStatus::from(v));
    }
    if let Some(v) = filters.owner {
        request = request.owner(v);
    }
    if let Some(v) = filters.search {
        request = request.search(v);
    }
    if let Some(v) = mapping_id {
        request = request.mapping_id(v);
    }
    if let Some(v) = version {
        request = request.mapping_version(v);
    }
    if let Some(v) = filters.created_after {
        request = request.created_after(v);
    }
    if let Some(v) = filters.created_before {
        request = request.created_before(v);
    }
    if let Some(v) = filters.sort_by {
        request = request.sort_by(graph_olap::types::SnapshotSortBy::from(v));
    }
    if let Some(v) = filters.sort_order {
        request = request.sort_order(graph_olap::types::SortOrder::from(v));
    }
    if let Some(v) = limit {
        request = request.limit(v);
    }
    if let Some(v) = offset {
        request = request.offset(v);
    }
    Ok(request)
}

/// `create`: every value checked before anything is sent, then optionally a wait.
async fn create<W: Write>(
    client: &Client,
    new: GraphOlapCreate,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let name = validate::graph_olap_snapshot_name(&new.name)?;
    let mapping_id = resource_id("mapping_id", &new.mapping_id)?;
    let version = mapping_version(new.mapping_version)?;
    let text = description(new.description)?;
    let ttl = iso_duration("ttl", new.ttl)?;
    let inactivity_timeout = iso_duration("inactivity_timeout", new.inactivity_timeout)?;
    let created = send_raw(
        client
            .graph_olap()?
            .create_snapshot()
            .body_map(|body| {
                body.name(name)
                    .mapping_id(mapping_id)
                    .mapping_version(version)
                    .description(text)
                    .ttl(ttl)
                    .inactivity_timeout(inactivity_timeout)
            })
            .send(),
    )
    .await?;
    if new.wait {
        let done = wait_for(client, created.value.data.id.clone(), &new.wait_args).await?;
        printer.answer(&done.body, DATA)?;
    } else {
        printer.answer(&created.body, DATA)?;
    }
    Ok(())
}

/// `update`: a new name, a new description, or both.
async fn update<W: Write>(
    client: &Client,
    snapshot_id: &str,
    name: Option<String>,
    text: Option<String>,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let id = resource_id("snapshot_id", snapshot_id)?;
    let name = name
        .map(|n| validate::graph_olap_snapshot_name(&n))
        .transpose()?;
    let text = description(text)?;
    let updated = send_raw(
        client
            .graph_olap()?
            .update_snapshot()
            .snapshot_id(id)
            .body_map(|body| body.name(name).description(text))
            .send(),
    )
    .await?;
    printer.answer(&updated.body, DATA)?;
    Ok(())
}

/// `lifecycle`: a new time to live, a new inactivity timeout, or both.
async fn lifecycle<W: Write>(
    client: &Client,
    snapshot_id: &str,
    ttl: Option<String>,
    inactivity_timeout: Option<String>,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let id = resource_id("snapshot_id", snapshot_id)?;
    let ttl = iso_duration("ttl", ttl)?;
    let inactivity_timeout = iso_duration("inactivity_timeout", inactivity_timeout)?;
    let lifecycle = send_raw(
        client
            .graph_olap()?
            .update_snapshot_lifecycle()
            .snapshot_id(id)
            .body_map(|body| body.ttl(ttl).inactivity_timeout(inactivity_timeout))
            .send(),
    )
    .await?;
    printer.answer(&lifecycle.body, DATA)?;
    Ok(())
}

/// Waits for a snapshot to be ready, with a progress bar of its export on stderr; the
/// snapshot, with the body of the last poll.
pub async fn wait_for(
    client: &Client,
    id: ResourceId,
    args: &WaitArgs,
) -> Result<Answer<Snapshot>, Error> {
    let mut display = WaitProgress::new(format!("Graph OLAP snapshot {id}"));
    let waiter = wait::until(graph_olap::waiters::snapshot(client.graph_olap()?, id))
        .timeout(args.timeout)
        .poll_interval(args.interval);
    let result = captured(waiter.wait_with(|poll| display.show(poll))).await;
    display.finish();
    result
}

/// The jobs (or steps) of a progress answer.
pub fn steps(progress: &SnapshotProgress) -> Vec<Step> {
    match progress {
        SnapshotProgress::JobProgress(jobs) => jobs
            .jobs
            .iter()
            .map(|job| Step {
                name: job.name.clone(),
                kind: job.type_.to_string(),
                status: job.status.to_string(),
                rows: job.row_count,
            })
            .collect(),
        SnapshotProgress::PhaseProgress(phase) => phase
            .steps
            .iter()
            .map(|step| Step {
                name: step.name.clone(),
                kind: step
                    .type_
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string),
                status: step.status.to_string(),
                rows: step.row_count,
            })
            .collect(),
    }
}

/// `progress`: the answer's `data` in JSON; in a table, a `done/total` line, the answer's
/// other members, and a table of its jobs or steps.
async fn print_progress<W: Write>(
    printer: &mut Printer<W>,
    answer: &Answer<graph_olap::types::SnapshotProgressEnvelope>,
) -> Result<(), Failure> {
    if printer.format() == crate::output::Format::Json {
        return printer.answer(&answer.body, DATA);
    }
    let progress = &answer.value.data;
    let summary = snapshots::wait::Progress::from(progress.clone());
    let mut value = serde_json::to_value(progress).map_err(std::io::Error::other)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("jobs");
        object.remove("steps");
        object.insert(
            "done".to_owned(),
            serde_json::Value::String(format!("{}/{}", summary.done, summary.total)),
        );
    }
    printer.resource(&value)?;
    let steps = steps(progress);
    if !steps.is_empty() {
        printer.outcome("", &())?;
        printer
            .list(
                STEP_COLUMNS,
                futures::stream::iter(steps.into_iter().map(Ok)),
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Format;

    #[test]
    fn values_are_checked_with_their_rules() {
        let error = iso_duration("ttl", Some("7 days".into())).expect_err("refused");
        assert!(error.to_string().contains("P7D"), "{error}");
        assert!(iso_duration("ttl", Some("P1DT12H".into())).is_ok());
        let error = description(Some("x".repeat(4001))).expect_err("refused");
        assert!(error.to_string().contains("4000"), "{error}");
        assert!(mapping_version(Some(0)).is_err());
        assert_eq!(
            mapping_version(Some(2)).expect("ok").map(|v| v.get()),
            Some(2)
        );
    }

    #[tokio::test]
    async fn progress_tables_list_the_jobs() {
        let progress: SnapshotProgress = serde_json::from_value(serde_json::json!({
            "jobs_total": 2, "jobs_pending": 0, "jobs_claimed": 0, "jobs_submitted": 1,
            "jobs_completed": 1, "jobs_failed": 0,
            "jobs": [
                {"name": "Customer", "type": "node", "status": "completed", "row_count": 1000},
                {"name": "PURCHASED", "type": "edge", "status": "submitted"}
            ]
        }))
        .expect("decodes");
        let body = serde_json::to_vec(&serde_json::json!({"data": progress, "future": null}))
            .expect("a body");
        let answer = Answer {
            value: serde_json::from_slice(&body).expect("an envelope"),
            body: body.into(),
        };
        let mut printer = Printer::new(Format::Table, Vec::new());
        print_progress(&mut printer, &answer)
            .await
            .expect("printed");
        let text = String::from_utf8(printer.into_inner()).expect("utf-8");
        assert!(text.starts_with("done            1/2\n"), "{text}");
        assert!(
            text.contains("Customer                  node    completed    1000\n"),
            "{text}"
        );
        assert!(
            text.contains("PURCHASED                 edge    submitted    -\n"),
            "{text}"
        );

        let mut printer = Printer::new(Format::Json, Vec::new());
        print_progress(&mut printer, &answer)
            .await
            .expect("printed");
        let back: SnapshotProgress =
            serde_json::from_slice(&printer.into_inner()).expect("one document");
        assert_eq!(back, progress);
    }
}
