//! The demo's walk through PAI LangStudio snapshots, once per transport profile: the same
//! calls (create, list, get, update, wait, delete) on the profile's client.

use std::future::IntoFuture;
use std::io::Write;
use std::time::Instant;

use futures::TryStreamExt;
use pai_langstudio::types::{CreateSnapshotRequest, SnapshotResourceType, UpdateSnapshotRequest};
use snapshot_emulator::RunningEmulator;
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client, Error};

use super::{check, first, unexpected, Demo};
use crate::commands::send;
use crate::exit::Exit;
use crate::Failure;

/// A LangStudio transport profile, as the demo shows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Profile {
    /// The profile's name in the spec's `x-profiles`.
    name: &'static str,
    /// How its requests are authenticated.
    auth: &'static str,
    /// The API's name in step names.
    api: &'static str,
    /// The name of the snapshot the demo creates.
    snapshot: &'static str,
    /// Its client, from the facade.
    client: fn(&Client) -> Result<&pai_langstudio::Client, Error>,
    /// Its base URL on the emulator.
    url: fn(&RunningEmulator) -> String,
}

impl Profile {
    /// Both profiles, ROA first.
    pub(super) const ALL: [Profile; 2] = [
        Profile {
            name: "roa",
            auth: "signed with ACS3-HMAC-SHA256",
            api: "PAI LangStudio",
            snapshot: "demo_flow_v1",
            client: Client::langstudio,
            url: RunningEmulator::langstudio_url,
        },
        Profile {
            name: "gateway",
            auth: "{base}/<Action>, DashScope key as a bearer token",
            api: "PAI LangStudio gateway",
            snapshot: "demo_flow_gateway",
            client: Client::langstudio_gateway,
            url: RunningEmulator::langstudio_gateway_url,
        },
    ];
}

impl<W: Write> Demo<'_, W> {
    /// Every step of the LangStudio walk through `profile`.
    pub(super) async fn langstudio(
        &mut self,
        client: &Client,
        emulator: &RunningEmulator,
        profile: Profile,
    ) -> Result<(), Failure> {
        let workspace = first(
            &emulator.config().langstudio_workspaces,
            "LangStudio workspace",
        )?;
        self.say(format!(
            "PAI LangStudio snapshots, {} profile, at {} ({})",
            profile.name,
            (profile.url)(emulator),
            profile.auth
        ))?;
        let studio = (profile.client)(client)?;
        let id = self.ls_create(studio, profile, &workspace).await?;
        self.ls_list_get(studio, profile, &workspace, &id).await?;
        let description = "promoted by snapctl demo";
        self.ls_update_wait(studio, profile, &id, description)
            .await?;
        self.ls_delete(studio, profile, &id).await?;
        self.say("")
    }

    async fn ls_create(
        &mut self,
        studio: &pai_langstudio::Client,
        profile: Profile,
        workspace: &str,
    ) -> Result<String, Failure> {
        let name = profile.snapshot;
        let body = CreateSnapshotRequest::builder()
            .snapshot_name(Some(validate::langstudio_snapshot_name(name)?))
            .workspace_id(Some(workspace.to_owned()))
            .snapshot_resource_id(Some("flow-demo-1".to_owned()))
            .snapshot_resource_type(Some(SnapshotResourceType::Flow))
            .description(Some("made by snapctl demo".to_owned()));
        let created = self
            .call(
                step(profile, "create"),
                send(studio.create_snapshot().body(body).send()),
            )
            .await?;
        let id = created
            .snapshot_id
            .clone()
            .ok_or_else(|| unexpected("the LangStudio create response has no SnapshotId"))?;
        self.line(
            "create",
            format!("{id} {name:?} of flow flow-demo-1 in workspace {workspace}"),
        )?;
        Ok(id)
    }

    async fn ls_list_get(
        &mut self,
        studio: &pai_langstudio::Client,
        profile: Profile,
        workspace: &str,
        id: &str,
    ) -> Result<(), Failure> {
        let list = studio
            .list_snapshots()
            .workspace_id(workspace)
            .max_results(validate::langstudio_max_results(10)?);
        let listed: Vec<_> = self
            .call(step(profile, "list"), list.items().try_collect())
            .await?;
        check(
            listed.iter().any(|s| s.snapshot_id.as_deref() == Some(id)),
            "the new LangStudio snapshot is not listed",
        )?;
        self.line(
            "list",
            format!(
                "{} snapshot(s) in {workspace}, {id} among them",
                listed.len()
            ),
        )?;
        let got = self
            .call(
                step(profile, "get"),
                send(studio.get_snapshot().snapshot_id(id).send()),
            )
            .await?;
        let status = got.snapshot_status.as_deref().unwrap_or("no status");
        self.line("get", format!("{id}: {status}"))
    }

    async fn ls_update_wait(
        &mut self,
        studio: &pai_langstudio::Client,
        profile: Profile,
        id: &str,
        description: &str,
    ) -> Result<(), Failure> {
        let body = UpdateSnapshotRequest::builder().description(Some(description.to_owned()));
        let update = studio.update_snapshot().snapshot_id(id).body(body);
        self.call(step(profile, "update"), send(update.send()))
            .await?;
        self.line("update", format!("{id}: description {description:?}"))?;
        let begun = Instant::now();
        let waiter = wait::until(pai_langstudio::waiters::snapshot(studio, id))
            .timeout(self.wait.timeout)
            .poll_interval(self.wait.interval);
        let done = self
            .call(step(profile, "wait"), waiter.into_future())
            .await?;
        check(
            done.description.as_deref() == Some(description),
            "the LangStudio update does not show",
        )?;
        self.line(
            "wait",
            format!(
                "{id}: {} after {:.1} s, stored at {}",
                done.snapshot_status.as_deref().unwrap_or("-"),
                begun.elapsed().as_secs_f64(),
                done.snapshot_storage_path.as_deref().unwrap_or("-")
            ),
        )
    }

    async fn ls_delete(
        &mut self,
        studio: &pai_langstudio::Client,
        profile: Profile,
        id: &str,
    ) -> Result<(), Failure> {
        self.call(
            step(profile, "delete"),
            send(studio.delete_snapshot().snapshot_id(id).send()),
        )
        .await?;
        let gone = self
            .refused(
                step(profile, "get after delete"),
                Exit::NotFound,
                send(studio.get_snapshot().snapshot_id(id).send()),
            )
            .await?;
        self.line("delete", format!("{id}; getting it now answers {gone}"))
    }
}

/// A step's name: `PAI LangStudio gateway create`.
fn step(profile: Profile, what: &str) -> String {
    format!("{} {what}", profile.api)
}
