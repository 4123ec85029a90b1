//! The demo's walk through the Graph OLAP control plane: create, list, get, update, wait
//! (with the export's progress), progress, lifecycle and delete; then an export that fails,
//! is retried, and whose second retry is refused.

use std::io::Write;
use std::time::Instant;

use futures::TryStreamExt;
use graph_olap::types::{Description, IsoDuration, ResourceId};
use snapshot_emulator::RunningEmulator;
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client, Error};

use super::{check, unexpected, Demo, DEMO_MAPPING_ID, DEMO_USER};
use crate::commands::send;
use crate::exit::Exit;
use crate::Failure;

/// A step's name: `Graph OLAP create`.
fn step(what: &str) -> String {
    format!("Graph OLAP {what}")
}

fn status_of(status: Option<&graph_olap::types::SnapshotStatusValue>) -> String {
    status.map_or_else(|| "no status".to_owned(), ToString::to_string)
}

impl<W: Write> Demo<'_, W> {
    /// Every step of the Graph OLAP walk.
    pub(super) async fn graph_olap(
        &mut self,
        client: &Client,
        emulator: &RunningEmulator,
    ) -> Result<(), Failure> {
        let olap = client.graph_olap()?;
        self.say(format!(
            "Graph OLAP control plane at {} (as user {DEMO_USER:?}, X-Username)",
            emulator.graph_olap_url()
        ))?;
        let name = "demo-customers";
        let (id, status) = self.olap_create(olap, "create", name).await?;
        self.line(
            "create",
            format!("snapshot {id} {name:?} of mapping {DEMO_MAPPING_ID}: {status}"),
        )?;
        self.olap_list_get_update(olap, &id).await?;
        self.olap_wait(olap, &id).await?;
        self.olap_progress_lifecycle(olap, &id).await?;
        self.olap_delete(olap, &id).await?;
        self.olap_failing_export(olap).await?;
        self.say("")
    }

    /// Creates a snapshot named `name` of the demo mapping; returns its id and status.
    async fn olap_create(
        &mut self,
        olap: &graph_olap::Client,
        what: &str,
        name: &str,
    ) -> Result<(ResourceId, String), Failure> {
        let valid_name = validate::graph_olap_snapshot_name(name)?;
        let request = olap.create_snapshot().body_map(|body| {
            body.name(valid_name)
                .mapping_id(ResourceId::Int64(DEMO_MAPPING_ID))
        });
        let created = self.call(step(what), send(request.send())).await?.data;
        let status = status_of(created.status.as_ref());
        Ok((created.id, status))
    }

    async fn olap_list_get_update(
        &mut self,
        olap: &graph_olap::Client,
        id: &ResourceId,
    ) -> Result<(), Failure> {
        let list = olap
            .list_snapshots()
            .limit(validate::graph_olap_limit(100)?);
        let listed: Vec<_> = self.call(step("list"), list.items().try_collect()).await?;
        check(
            listed.iter().any(|s| &s.id == id),
            "the new Graph OLAP snapshot is not listed",
        )?;
        self.line(
            "list",
            format!("{} snapshot(s), {id} among them", listed.len()),
        )?;
        let get = olap.get_snapshot().snapshot_id(id.clone());
        let got = self.call(step("get"), send(get.send())).await?.data;
        self.line(
            "get",
            format!("snapshot {id}: {}", status_of(got.status.as_ref())),
        )?;
        let description = "nightly customer graph";
        let update = olap
            .update_snapshot()
            .snapshot_id(id.clone())
            .body_map(|body| body.description(description.parse::<Description>().ok()));
        let updated = self.call(step("update"), send(update.send())).await?.data;
        check(
            updated.description.as_deref() == Some(description),
            "the Graph OLAP update does not show",
        )?;
        self.line(
            "update",
            format!("snapshot {id}: description {description:?}"),
        )
    }

    /// Waits for the snapshot, showing each status (and export progress) it went through.
    async fn olap_wait(
        &mut self,
        olap: &graph_olap::Client,
        id: &ResourceId,
    ) -> Result<(), Failure> {
        let begun = Instant::now();
        let mut seen: Vec<String> = Vec::new();
        let waiter = wait::until(graph_olap::waiters::snapshot(olap, id.clone()))
            .timeout(self.wait.timeout)
            .poll_interval(self.wait.interval);
        let ready = self
            .call(
                step("wait"),
                waiter.wait_with(|poll| {
                    let shown = match &poll.progress {
                        Some(p) if p.total > 0 => format!("{} {}/{}", poll.status, p.done, p.total),
                        _ => poll.status.clone(),
                    };
                    if seen.last() != Some(&shown) {
                        seen.push(shown);
                    }
                }),
            )
            .await?;
        self.line(
            "wait",
            format!(
                "snapshot {id}: {} -> {} after {:.1} s",
                seen.join(" -> "),
                status_of(ready.status.as_ref()),
                begun.elapsed().as_secs_f64()
            ),
        )
    }

    async fn olap_progress_lifecycle(
        &mut self,
        olap: &graph_olap::Client,
        id: &ResourceId,
    ) -> Result<(), Failure> {
        let request = olap.get_snapshot_progress().snapshot_id(id.clone());
        let progress = self
            .call(step("progress"), send(request.send()))
            .await?
            .data;
        let progress = snapshots::wait::Progress::from(progress);
        self.line(
            "progress",
            format!(
                "snapshot {id}: {}/{} export jobs done",
                progress.done, progress.total
            ),
        )?;
        let request = olap
            .update_snapshot_lifecycle()
            .snapshot_id(id.clone())
            .body_map(|body| body.ttl("P7D".parse::<IsoDuration>().ok()));
        let lifecycle = self
            .call(step("lifecycle"), send(request.send()))
            .await?
            .data;
        self.line(
            "lifecycle",
            format!(
                "snapshot {id}: ttl {}",
                lifecycle.ttl.as_deref().unwrap_or("-")
            ),
        )
    }

    async fn olap_delete(
        &mut self,
        olap: &graph_olap::Client,
        id: &ResourceId,
    ) -> Result<(), Failure> {
        self.call(
            step("delete"),
            send(olap.delete_snapshot().snapshot_id(id.clone()).send()),
        )
        .await?;
        let gone = self
            .refused(
                step("get after delete"),
                Exit::NotFound,
                send(olap.get_snapshot().snapshot_id(id.clone()).send()),
            )
            .await?;
        self.line(
            "delete",
            format!("snapshot {id}; getting it now answers {gone}"),
        )
    }

    /// A failing export: the wait reports the failure, retry starts it again, a second
    /// retry is refused while it is not failed.
    async fn olap_failing_export(&mut self, olap: &graph_olap::Client) -> Result<(), Failure> {
        let failing = "failing-export";
        let (id, _) = self.olap_create(olap, "create (failing)", failing).await?;
        self.line(
            "create",
            format!("snapshot {id} {failing:?} (the emulator fails names starting with \"fail\")"),
        )?;
        let failure = wait::until(graph_olap::waiters::snapshot(olap, id.clone()))
            .timeout(self.wait.timeout)
            .poll_interval(self.wait.interval)
            .await;
        match failure {
            Err(error @ Error::WaitFailed { .. }) => self.line("wait", format!("{error}"))?,
            Err(error) => {
                return Err(Failure::Step {
                    step: step("wait (failing)"),
                    error: Box::new(Failure::Sdk(error)),
                })
            }
            Ok(_) => return Err(unexpected("the failing Graph OLAP export succeeded")),
        }
        self.olap_retry(olap, &id).await
    }

    async fn olap_retry(
        &mut self,
        olap: &graph_olap::Client,
        id: &ResourceId,
    ) -> Result<(), Failure> {
        let retry = || send(olap.retry_snapshot().snapshot_id(id.clone()).send());
        let retried = self.call(step("retry"), retry()).await?.data;
        self.line(
            "retry",
            format!(
                "snapshot {id}: {} again",
                status_of(retried.status.as_ref())
            ),
        )?;
        let conflict = self
            .refused(step("second retry"), Exit::Conflict, retry())
            .await?;
        self.line(
            "retry",
            format!("snapshot {id} again: refused with {conflict}, it has not failed"),
        )?;
        self.call(
            step("delete (failing)"),
            send(olap.delete_snapshot().snapshot_id(id.clone()).send()),
        )
        .await?;
        self.line("delete", format!("snapshot {id}"))
    }
}
