//! The demo's walk through PAI-DSW instance snapshots: a name refused before sending, then
//! create, list, get, wait and delete.

use std::io::Write;
use std::time::Instant;

use futures::TryStreamExt;
use snapshot_emulator::RunningEmulator;
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client};

use super::{check, first, unexpected, Demo};
use crate::commands::send;
use crate::exit::Exit;
use crate::Failure;

impl<W: Write> Demo<'_, W> {
    /// Every step of the DSW walk.
    pub(super) async fn dsw(
        &mut self,
        client: &Client,
        emulator: &RunningEmulator,
    ) -> Result<(), Failure> {
        let dsw = client.dsw()?;
        let instance = first(&emulator.config().dsw_instances, "DSW instance")?;
        self.say(format!(
            "PAI-DSW instance snapshots at {} (every request signed with ACS3-HMAC-SHA256)",
            emulator.dsw_url()
        ))?;
        let bad = "Nightly_Env";
        match validate::dsw_snapshot_name(bad) {
            Err(error) => self.line(
                "validate",
                format!("{bad:?} refused before sending: {error}"),
            )?,
            Ok(_) => return Err(unexpected(format!("the DSW name {bad:?} was accepted"))),
        }
        let name = "demo-env-v1";
        let id = self.dsw_create(dsw, &instance, name).await?;
        self.dsw_list_get(dsw, &instance, &id, name).await?;
        self.line("update", "(PAI-DSW has no update operation)")?;
        self.dsw_wait_delete(dsw, &instance, &id).await?;
        self.say("")
    }

    async fn dsw_create(
        &mut self,
        dsw: &pai_dsw::Client,
        instance: &str,
        name: &str,
    ) -> Result<String, Failure> {
        let valid_name = validate::dsw_snapshot_name(name)?;
        let image = "registry.example/demo/env:v1";
        let labels = crate::commands::labels(&["owner=demo".to_owned()])?;
        let request = dsw
            .create_instance_snapshot()
            .instance_id(instance)
            .body_map(|body| {
                body.snapshot_name(valid_name)
                    .image_url(image)
                    .snapshot_description(Some("made by snapctl demo".to_owned()))
                    .labels(labels)
            });
        let created = self
            .call("PAI-DSW create".into(), send(request.send()))
            .await?;
        let id = created
            .snapshot_id
            .clone()
            .ok_or_else(|| unexpected("the DSW create response has no SnapshotId"))?;
        self.line(
            "create",
            format!("{id} {name:?} of instance {instance} -> image {image}"),
        )?;
        Ok(id)
    }

    async fn dsw_list_get(
        &mut self,
        dsw: &pai_dsw::Client,
        instance: &str,
        id: &str,
        name: &str,
    ) -> Result<(), Failure> {
        let listed: Vec<_> = self
            .call(
                "PAI-DSW list".into(),
                dsw.list_instance_snapshot()
                    .instance_id(instance)
                    .items()
                    .try_collect(),
            )
            .await?;
        check(
            listed.iter().any(|s| s.snapshot_id.as_deref() == Some(id)),
            "the new DSW snapshot is not listed",
        )?;
        self.line(
            "list",
            format!(
                "{} snapshot(s) of {instance}, {id} among them",
                listed.len()
            ),
        )?;
        let request = dsw
            .get_instance_snapshot()
            .instance_id(instance)
            .snapshot_id(id);
        let got = self
            .call("PAI-DSW get".into(), send(request.send()))
            .await?;
        check(
            got.snapshot_name.as_deref() == Some(name),
            "the DSW snapshot has another name",
        )?;
        self.line(
            "get",
            format!("{id}: {}", got.status.as_deref().unwrap_or("no status")),
        )
    }

    async fn dsw_wait_delete(
        &mut self,
        dsw: &pai_dsw::Client,
        instance: &str,
        id: &str,
    ) -> Result<(), Failure> {
        let begun = Instant::now();
        let mut polls = 0;
        let waiter = wait::until(pai_dsw::waiters::instance_snapshot(
            dsw,
            instance.to_owned(),
            id.to_owned(),
        ))
        .timeout(self.wait.timeout)
        .poll_interval(self.wait.interval);
        let done = self
            .call("PAI-DSW wait".into(), waiter.wait_with(|_| polls += 1))
            .await?;
        self.line(
            "wait",
            format!(
                "{id}: {} after {:.1} s ({polls} polls while pushing)",
                done.status.as_deref().unwrap_or("-"),
                begun.elapsed().as_secs_f64()
            ),
        )?;
        let delete = dsw
            .delete_instance_snapshot()
            .instance_id(instance)
            .snapshot_id(id);
        self.call("PAI-DSW delete".into(), send(delete.send()))
            .await?;
        let get = dsw
            .get_instance_snapshot()
            .instance_id(instance)
            .snapshot_id(id);
        let gone = self
            .refused(
                "PAI-DSW get after delete".into(),
                Exit::NotFound,
                send(get.send()),
            )
            .await?;
        self.line("delete", format!("{id}; getting it now answers {gone}"))
    }
}
