//! `snapctl dsw`: PAI-DSW instance snapshots (list, get, create, delete, wait).

use std::io::Write;

use pai_dsw::types::{GetInstanceSnapshotResponse, InstanceSnapshot};
use snapshots::{validate, wait, Client, Error};

use super::{identifier, labels, send_raw};
use crate::cli::{DswCommand, WaitArgs};
use crate::output::{or_dash, Column, Printer};
use crate::progress::WaitProgress;
use crate::raw::{captured, Answer};
use crate::Failure;

/// The columns of `snapctl dsw list`.
pub const COLUMNS: &[Column<InstanceSnapshot>] = &[
    Column {
        header: "SNAPSHOT ID",
        width: 17,
        cell: |s| or_dash(s.snapshot_id.as_deref()),
    },
    Column {
        header: "NAME",
        width: 24,
        cell: |s| or_dash(s.snapshot_name.as_deref()),
    },
    Column {
        header: "STATUS",
        width: 8,
        cell: |s| or_dash(s.status.as_deref()),
    },
    Column {
        header: "CREATED",
        width: 20,
        cell: |s| or_dash(s.gmt_create_time.as_deref()),
    },
    Column {
        header: "IMAGE URL",
        width: 0,
        cell: |s| or_dash(s.image_url.as_deref()),
    },
];

/// Runs one DSW command.
pub async fn run<W: Write>(
    client: &Client,
    command: DswCommand,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    match command {
        DswCommand::List {
            instance,
            sort_by,
            order,
            page_size,
        } => {
            let instance = identifier("InstanceId", &instance)?;
            let page_size = page_size
                .or_else(|| {
                    let largest = super::page_size::<pai_dsw::builder::ListInstanceSnapshot<'_>>(
                        None,
                        pai_dsw::RULES,
                        "PageSize",
                    );
                    largest.and_then(|size| i64::try_from(size).ok())
                })
                .map(validate::dsw_page_size)
                .transpose()?;
            let dsw = client.dsw()?;
            let mut request = dsw.list_instance_snapshot().instance_id(instance);
            if let Some(size) = page_size {
                request = request.page_size(size);
            }
            if let Some(sort_by) = sort_by {
                request = request.sort_by(sort_by);
            }
            if let Some(order) = order {
                request = request.order(order);
            }
            printer.listing(COLUMNS, request).await?;
        }
        DswCommand::Get {
            instance,
            snapshot_id,
        } => {
            let instance = identifier("InstanceId", &instance)?;
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let dsw = client.dsw()?;
            let snapshot = send_raw(
                dsw.get_instance_snapshot()
                    .instance_id(instance)
                    .snapshot_id(snapshot_id)
                    .send(),
            )
            .await?;
            printer.answer(&snapshot.body, "")?;
        }
        DswCommand::Create {
            instance,
            name,
            image_url,
            description,
            labels: label_arguments,
            exclude_paths,
            overwrite,
            wait,
            wait_args,
        } => {
            let instance = identifier("InstanceId", &instance)?;
            let name = validate::dsw_snapshot_name(&name)?;
            let image_url = identifier("ImageUrl", &image_url)?;
            let labels = labels(&label_arguments)?;
            let dsw = client.dsw()?;
            let created = send_raw(
                dsw.create_instance_snapshot()
                    .instance_id(instance.clone())
                    .body_map(|body| {
                        body.snapshot_name(name)
                            .image_url(image_url)
                            .snapshot_description(description)
                            .labels(labels)
                            .exclude_paths(exclude_paths)
                            .overwrite(overwrite.then_some(true))
                    })
                    .send(),
            )
            .await?;
            match (wait, created.value.snapshot_id.as_deref()) {
                (true, Some(snapshot_id)) => {
                    let done = wait_for(client, &instance, snapshot_id, &wait_args).await?;
                    printer.answer(&done.body, "")?;
                }
                (true, None) => {
                    return Err(Error::Config(
                        "the create response has no SnapshotId to wait for".into(),
                    )
                    .into())
                }
                (false, _) => printer.answer(&created.body, "")?,
            }
        }
        DswCommand::Delete {
            instance,
            snapshot_id,
        } => {
            let instance = identifier("InstanceId", &instance)?;
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let dsw = client.dsw()?;
            let deleted = send_raw(
                dsw.delete_instance_snapshot()
                    .instance_id(instance.clone())
                    .snapshot_id(snapshot_id.clone())
                    .send(),
            )
            .await?;
            printer.outcome_of(
                &format!("Deleted PAI-DSW snapshot {snapshot_id} of instance {instance}"),
                &deleted.body,
                "",
                &deleted.value,
            )?;
        }
        DswCommand::Wait {
            instance,
            snapshot_id,
            wait_args,
        } => {
            let instance = identifier("InstanceId", &instance)?;
            let snapshot_id = identifier("SnapshotId", &snapshot_id)?;
            let done = wait_for(client, &instance, &snapshot_id, &wait_args).await?;
            printer.answer(&done.body, "")?;
        }
    }
    Ok(())
}

/// Waits for a snapshot with the spec's `instance_snapshot` waiter (ready at `Saved`), with a
/// spinner on stderr; the last answer, with its body.
pub async fn wait_for(
    client: &Client,
    instance: &str,
    snapshot_id: &str,
    args: &WaitArgs,
) -> Result<Answer<GetInstanceSnapshotResponse>, Error> {
    let mut display = WaitProgress::new(format!("PAI-DSW snapshot {snapshot_id}"));
    let waiter = wait::until(pai_dsw::waiters::instance_snapshot(
        client.dsw()?,
        instance,
        snapshot_id,
    ))
    .timeout(args.timeout)
    .poll_interval(args.interval);
    let result = captured(waiter.wait_with(|poll| display.show(poll))).await;
    display.finish();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::table_line;

    #[test]
    fn list_rows_show_id_name_status_time_and_image() {
        let snapshot = InstanceSnapshot::try_from(
            InstanceSnapshot::builder()
                .snapshot_id(Some("snp-0123456789abc".to_owned()))
                .snapshot_name(Some("nightly".to_owned()))
                .status(Some("Saved".to_owned()))
                .gmt_create_time(Some("2026-01-01T00:00:00Z".to_owned()))
                .image_url(Some("r/x:1".to_owned())),
        )
        .expect("a snapshot");
        let cells: Vec<String> = COLUMNS.iter().map(|c| (c.cell)(&snapshot)).collect();
        let line = table_line(COLUMNS.iter().map(|c| c.width), &cells);
        assert_eq!(
            line,
            "snp-0123456789abc  nightly                   Saved     2026-01-01T00:00:00Z  r/x:1"
        );
        let empty: Vec<String> = COLUMNS
            .iter()
            .map(|c| (c.cell)(&InstanceSnapshot::default()))
            .collect();
        assert!(empty.iter().all(|cell| cell == "-"));
    }
}
