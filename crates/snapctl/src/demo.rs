//! `snapctl demo`: starts the emulator in-process on `127.0.0.1:0` with short timings, and
//! walks every API through create, list, get, update (where the API has one), wait and
//! delete with a real [`snapshots::Client`] (V3-signed requests for DSW and LangStudio ROA,
//! the DashScope bearer key for the gateway form, `X-Username` for Graph OLAP), printing
//! each step. It checks what it sees (the created snapshot is listed, the update shows, the
//! deleted one is gone) and fails with the step's name and error when something is off.
//!
//! It needs no credentials and no network; with the default `--step` it finishes in about
//! three seconds.

use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::io::Write;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use snapshot_emulator::{start, EmulatorConfig, RunningEmulator};
use snapshots::auth::{AccessKey, Environment};
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client, Error, RateLimiter};

use crate::cli::{DemoArgs, WaitArgs};
use crate::commands::send;
use crate::exit::Exit;
use crate::Failure;

/// The Graph OLAP user the demo acts as (an analyst who owns the demo mapping).
pub const DEMO_USER: &str = "demo";

/// The Graph OLAP mapping the emulator creates at start-up.
pub const DEMO_MAPPING_ID: i64 = 1;

/// The emulator configuration of the demo: every snapshot stays in progress for `step`
/// (a Graph OLAP snapshot is `pending` for a quarter of it, then `creating` for `step`).
pub fn emulator_config(step: Duration) -> EmulatorConfig {
    EmulatorConfig::busy_for(step, step)
}

/// A client for `emulator`: its demo credentials and base URLs, no rate limit, and an empty
/// environment (so that the user's own credentials are never read, let alone sent).
pub fn client_for(emulator: &RunningEmulator) -> Result<Client, Error> {
    let creds = &emulator.config().credentials;
    Client::builder()
        .access_key(AccessKey::new(
            creds.access_key_id.clone(),
            creds.access_key_secret.clone(),
        ))
        .dashscope_api_key(creds.dashscope_api_key.clone())
        .graph_olap_username(DEMO_USER)
        .dsw_url(emulator.dsw_url())
        .langstudio_url(emulator.langstudio_url())
        .langstudio_gateway_url(emulator.langstudio_gateway_url())
        .graph_olap_url(emulator.graph_olap_url())
        .rate_limit(RateLimiter::unlimited())
        .environment(Environment::default())
        .build()
}

/// How the demo waits when snapshots stay in progress for `step`: polls eight times a step
/// (at most every 20 ms), gives up after twenty steps and ten seconds.
///
/// ```
/// use std::time::Duration;
/// let wait = snapctl::demo::wait_args(Duration::from_millis(400));
/// assert_eq!(wait.interval, Duration::from_millis(50));
/// assert_eq!(wait.timeout, Duration::from_secs(18));
/// ```
pub fn wait_args(step: Duration) -> WaitArgs {
    WaitArgs {
        timeout: step
            .checked_mul(20)
            .and_then(|t| t.checked_add(Duration::from_secs(10)))
            .unwrap_or(Duration::MAX),
        interval: (step / 8).max(Duration::from_millis(20)),
    }
}

/// Runs the demo, printing to `out`.
pub async fn run<W: Write>(args: &DemoArgs, out: &mut W) -> Result<(), Failure> {
    let started = Instant::now();
    let emulator = start(emulator_config(args.step), ([127, 0, 0, 1], 0).into())
        .await
        .map_err(Failure::Emulator)?;
    let client = client_for(&emulator)?;
    let wait = wait_args(args.step);
    let mut demo = Demo {
        out,
        wait,
        steps: 0,
    };
    demo.say(format!(
        "snapctl demo: an emulator of the three APIs on {} (in this process: no credentials, no network)\n",
        emulator.base_url()
    ))?;
    demo.dsw(&client, &emulator).await?;
    demo.langstudio(&client, &emulator, false).await?;
    demo.langstudio(&client, &emulator, true).await?;
    demo.graph_olap(&client, &emulator).await?;
    let steps = demo.steps;
    emulator.shutdown().await;
    demo.say(format!(
        "Demo finished in {:.1} s: {steps} steps over PAI-DSW, PAI LangStudio (ROA and gateway) and Graph OLAP, all as expected.",
        started.elapsed().as_secs_f64()
    ))?;
    Ok(())
}

struct Demo<'a, W> {
    out: &'a mut W,
    wait: WaitArgs,
    steps: usize,
}

impl<W: Write> Demo<'_, W> {
    fn say(&mut self, text: impl Display) -> Result<(), Failure> {
        writeln!(self.out, "{text}")?;
        self.out.flush()?;
        Ok(())
    }

    /// One step's line: `  create    what happened`.
    fn line(&mut self, step: &str, detail: impl Display) -> Result<(), Failure> {
        self.steps += 1;
        let detail = crate::output::clean(&detail.to_string());
        self.say(format!("  {step:<9} {detail}"))
    }

    /// Awaits one SDK call; its error fails the demo naming the step.
    async fn call<T>(
        &self,
        step: String,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Failure> {
        call.await.map_err(|error| Failure::Step {
            step,
            error: Box::new(Failure::Sdk(error)),
        })
    }

    /// Awaits a call that must fail with `expected`; returns the error's description.
    async fn refused<T>(
        &self,
        step: String,
        expected: Exit,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<String, Failure> {
        match call.await {
            Err(error) if Exit::of(&error) == expected => Ok(match error.service() {
                Some(service) => format!(
                    "HTTP {} {} (request id {})",
                    service.status,
                    service.code.as_deref().unwrap_or("-"),
                    service.request_id.as_deref().unwrap_or("-")
                ),
                None => error.to_string(),
            }),
            Err(error) => Err(Failure::Step {
                step,
                error: Box::new(Failure::Sdk(error)),
            }),
            Ok(_) => Err(Failure::Unexpected(format!(
                "{step}: the call succeeded, but exit code {} was expected",
                expected.code()
            ))),
        }
    }

    async fn dsw(&mut self, client: &Client, emulator: &RunningEmulator) -> Result<(), Failure> {
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
        let valid_name = validate::dsw_snapshot_name(name)?;
        let image = "registry.example/demo/env:v1";
        let created = self
            .call(
                "PAI-DSW create".into(),
                send(
                    dsw.create_instance_snapshot()
                        .instance_id(instance.clone())
                        .body_map(|body| {
                            body.snapshot_name(valid_name)
                                .image_url(image)
                                .snapshot_description(Some("made by snapctl demo".to_owned()))
                                .labels(vec![pai_dsw::types::Label {
                                    key: Some("owner".to_owned()),
                                    value: Some("demo".to_owned()),
                                }])
                        })
                        .send(),
                ),
            )
            .await?;
        let id = created
            .snapshot_id
            .clone()
            .ok_or_else(|| unexpected("the DSW create response has no SnapshotId"))?;
        self.line(
            "create",
            format!("{id} {name:?} of instance {instance} -> image {image}"),
        )?;

        let listed: Vec<_> = self
            .call(
                "PAI-DSW list".into(),
                dsw.list_instance_snapshot()
                    .instance_id(instance.clone())
                    .items()
                    .try_collect(),
            )
            .await?;
        check(
            listed.iter().any(|s| s.snapshot_id.as_deref() == Some(&id)),
            "the new DSW snapshot is not listed",
        )?;
        self.line(
            "list",
            format!(
                "{} snapshot(s) of {instance}, {id} among them",
                listed.len()
            ),
        )?;

        let got = self
            .call(
                "PAI-DSW get".into(),
                send(
                    dsw.get_instance_snapshot()
                        .instance_id(instance.clone())
                        .snapshot_id(id.clone())
                        .send(),
                ),
            )
            .await?;
        check(
            got.snapshot_name.as_deref() == Some(name),
            "the DSW snapshot has another name",
        )?;
        self.line(
            "get",
            format!("{id}: {}", got.status.as_deref().unwrap_or("no status")),
        )?;
        self.line("update", "(PAI-DSW has no update operation)")?;

        let begun = Instant::now();
        let mut polls = 0;
        let done = self
            .call(
                "PAI-DSW wait".into(),
                wait::until(pai_dsw::waiters::instance_snapshot(
                    dsw,
                    instance.clone(),
                    id.clone(),
                ))
                .timeout(self.wait.timeout)
                .poll_interval(self.wait.interval)
                .wait_with(|_| polls += 1),
            )
            .await?;
        self.line(
            "wait",
            format!(
                "{id}: {} after {:.1} s ({polls} polls while pushing)",
                done.status.as_deref().unwrap_or("-"),
                begun.elapsed().as_secs_f64()
            ),
        )?;

        self.call(
            "PAI-DSW delete".into(),
            send(
                dsw.delete_instance_snapshot()
                    .instance_id(instance.clone())
                    .snapshot_id(id.clone())
                    .send(),
            ),
        )
        .await?;
        let gone = self
            .refused(
                "PAI-DSW get after delete".into(),
                Exit::NotFound,
                send(
                    dsw.get_instance_snapshot()
                        .instance_id(instance.clone())
                        .snapshot_id(id.clone())
                        .send(),
                ),
            )
            .await?;
        self.line("delete", format!("{id}; getting it now answers {gone}"))?;
        self.say("")
    }

    async fn langstudio(
        &mut self,
        client: &Client,
        emulator: &RunningEmulator,
        gateway: bool,
    ) -> Result<(), Failure> {
        use pai_langstudio::types::{
            CreateSnapshotRequest, GatewayUpdateSnapshotRequest, SnapshotResourceType,
            UpdateSnapshotRequest,
        };

        let workspace = first(
            &emulator.config().langstudio_workspaces,
            "LangStudio workspace",
        )?;
        let (studio, api, name) = if gateway {
            self.say(format!(
                "PAI LangStudio snapshots, gateway form, at {} (DashScope key as a bearer token)",
                emulator.langstudio_gateway_url()
            ))?;
            (
                client.langstudio_gateway()?,
                "PAI LangStudio gateway",
                "demo_flow_gateway",
            )
        } else {
            self.say(format!(
                "PAI LangStudio snapshots, ROA form, at {} (signed with ACS3-HMAC-SHA256)",
                emulator.langstudio_url()
            ))?;
            (client.langstudio()?, "PAI LangStudio", "demo_flow_v1")
        };
        let step = |what: &str| format!("{api} {what}");

        let body = CreateSnapshotRequest {
            snapshot_name: Some(validate::langstudio_snapshot_name(name)?),
            workspace_id: Some(workspace.clone()),
            snapshot_resource_id: Some("flow-demo-1".to_owned()),
            snapshot_resource_type: Some(SnapshotResourceType::Flow),
            description: Some("made by snapctl demo".to_owned()),
            accessibility: None,
            creation_type: None,
            source_storage_path: None,
            work_dir: None,
        };
        let created = if gateway {
            self.call(
                step("create"),
                send(studio.gateway_create_snapshot().body(body).send()),
            )
            .await?
        } else {
            self.call(
                step("create"),
                send(studio.create_snapshot().body(body).send()),
            )
            .await?
        };
        let id = created
            .snapshot_id
            .clone()
            .ok_or_else(|| unexpected("the LangStudio create response has no SnapshotId"))?;
        self.line(
            "create",
            format!("{id} {name:?} of flow flow-demo-1 in workspace {workspace}"),
        )?;

        let listed: Vec<_> = if gateway {
            self.call(
                step("list"),
                studio
                    .gateway_list_snapshots()
                    .workspace_id(workspace.clone())
                    .max_results(validate::langstudio_max_results(10)?)
                    .items()
                    .try_collect(),
            )
            .await?
        } else {
            self.call(
                step("list"),
                studio
                    .list_snapshots()
                    .workspace_id(workspace.clone())
                    .max_results(validate::langstudio_max_results(10)?)
                    .items()
                    .try_collect(),
            )
            .await?
        };
        check(
            listed.iter().any(|s| s.snapshot_id.as_deref() == Some(&id)),
            "the new LangStudio snapshot is not listed",
        )?;
        self.line(
            "list",
            format!(
                "{} snapshot(s) in {workspace}, {id} among them",
                listed.len()
            ),
        )?;

        let get = |id: String| async move {
            if gateway {
                send(studio.gateway_get_snapshot().snapshot_id(id).send()).await
            } else {
                send(studio.get_snapshot().snapshot_id(id).send()).await
            }
        };
        let got = self.call(step("get"), get(id.clone())).await?;
        self.line(
            "get",
            format!(
                "{id}: {}",
                got.snapshot_status.as_deref().unwrap_or("no status")
            ),
        )?;

        let description = "promoted by snapctl demo";
        if gateway {
            let body = GatewayUpdateSnapshotRequest {
                snapshot_id: id.clone(),
                description: Some(description.to_owned()),
                snapshot_name: None,
                workspace_id: None,
            };
            self.call(
                step("update"),
                send(studio.gateway_update_snapshot().body(body).send()),
            )
            .await?;
        } else {
            let body = UpdateSnapshotRequest {
                description: Some(description.to_owned()),
                snapshot_name: None,
                workspace_id: None,
            };
            self.call(
                step("update"),
                send(
                    studio
                        .update_snapshot()
                        .snapshot_id(id.clone())
                        .body(body)
                        .send(),
                ),
            )
            .await?;
        }
        self.line("update", format!("{id}: description {description:?}"))?;

        let begun = Instant::now();
        let waiter = if gateway {
            wait::until(pai_langstudio::waiters::gateway_snapshot(
                studio,
                id.clone(),
            ))
            .timeout(self.wait.timeout)
            .poll_interval(self.wait.interval)
            .into_future()
        } else {
            wait::until(pai_langstudio::waiters::snapshot(studio, id.clone()))
                .timeout(self.wait.timeout)
                .poll_interval(self.wait.interval)
                .into_future()
        };
        let done = self.call(step("wait"), waiter).await?;
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
        )?;

        if gateway {
            self.call(
                step("delete"),
                send(
                    studio
                        .gateway_delete_snapshot()
                        .snapshot_id(id.clone())
                        .send(),
                ),
            )
            .await?;
        } else {
            self.call(
                step("delete"),
                send(studio.delete_snapshot().snapshot_id(id.clone()).send()),
            )
            .await?;
        }
        let gone = self
            .refused(step("get after delete"), Exit::NotFound, get(id.clone()))
            .await?;
        self.line("delete", format!("{id}; getting it now answers {gone}"))?;
        self.say("")
    }

    async fn graph_olap(
        &mut self,
        client: &Client,
        emulator: &RunningEmulator,
    ) -> Result<(), Failure> {
        use graph_olap::types::{Description, IsoDuration, ResourceId};

        let olap = client.graph_olap()?;
        self.say(format!(
            "Graph OLAP control plane at {} (as user {DEMO_USER:?}, X-Username)",
            emulator.graph_olap_url()
        ))?;
        let step = |what: &str| format!("Graph OLAP {what}");
        let name = "demo-customers";
        let valid_name = validate::graph_olap_snapshot_name(name)?;

        let created = self
            .call(
                step("create"),
                send(
                    olap.create_snapshot()
                        .body_map(|body| {
                            body.name(valid_name)
                                .mapping_id(ResourceId::Int64(DEMO_MAPPING_ID))
                        })
                        .send(),
                ),
            )
            .await?
            .data;
        let id = created.id.clone();
        self.line(
            "create",
            format!(
                "snapshot {id} {name:?} of mapping {DEMO_MAPPING_ID}: {}",
                status_of(created.status.as_ref())
            ),
        )?;

        let listed: Vec<_> = self
            .call(
                step("list"),
                olap.list_snapshots()
                    .limit(validate::graph_olap_limit(100)?)
                    .items()
                    .try_collect(),
            )
            .await?;
        check(
            listed.iter().any(|s| s.id == id),
            "the new Graph OLAP snapshot is not listed",
        )?;
        self.line(
            "list",
            format!("{} snapshot(s), {id} among them", listed.len()),
        )?;

        let got = self
            .call(
                step("get"),
                send(olap.get_snapshot().snapshot_id(id.clone()).send()),
            )
            .await?
            .data;
        self.line(
            "get",
            format!("snapshot {id}: {}", status_of(got.status.as_ref())),
        )?;

        let description = "nightly customer graph";
        let updated = self
            .call(
                step("update"),
                send(
                    olap.update_snapshot()
                        .snapshot_id(id.clone())
                        .body_map(|body| body.description(description.parse::<Description>().ok()))
                        .send(),
                ),
            )
            .await?
            .data;
        check(
            updated.description.as_deref() == Some(description),
            "the Graph OLAP update does not show",
        )?;
        self.line(
            "update",
            format!("snapshot {id}: description {description:?}"),
        )?;

        let begun = Instant::now();
        let mut seen: Vec<String> = Vec::new();
        let ready = self
            .call(
                step("wait"),
                wait::until(graph_olap::waiters::snapshot(olap, id.clone()))
                    .timeout(self.wait.timeout)
                    .poll_interval(self.wait.interval)
                    .wait_with(|poll| {
                        let shown = match &poll.progress {
                            Some(p) if p.total > 0 => {
                                format!("{} {}/{}", poll.status, p.done, p.total)
                            }
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
        )?;

        let progress = self
            .call(
                step("progress"),
                send(olap.get_snapshot_progress().snapshot_id(id.clone()).send()),
            )
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

        let lifecycle = self
            .call(
                step("lifecycle"),
                send(
                    olap.update_snapshot_lifecycle()
                        .snapshot_id(id.clone())
                        .body_map(|body| body.ttl("P7D".parse::<IsoDuration>().ok()))
                        .send(),
                ),
            )
            .await?
            .data;
        self.line(
            "lifecycle",
            format!(
                "snapshot {id}: ttl {}",
                lifecycle.ttl.as_deref().unwrap_or("-")
            ),
        )?;

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
        )?;

        // A failing export: the wait reports the failure, retry starts it again, a second
        // retry is refused while it is not failed.
        let failing = "failing-export";
        let valid_failing = validate::graph_olap_snapshot_name(failing)?;
        let created = self
            .call(
                step("create (failing)"),
                send(
                    olap.create_snapshot()
                        .body_map(|body| {
                            body.name(valid_failing)
                                .mapping_id(ResourceId::Int64(DEMO_MAPPING_ID))
                        })
                        .send(),
                ),
            )
            .await?
            .data;
        let id = created.id.clone();
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
        let retried = self
            .call(
                step("retry"),
                send(olap.retry_snapshot().snapshot_id(id.clone()).send()),
            )
            .await?
            .data;
        self.line(
            "retry",
            format!(
                "snapshot {id}: {} again",
                status_of(retried.status.as_ref())
            ),
        )?;
        let conflict = self
            .refused(
                step("second retry"),
                Exit::Conflict,
                send(olap.retry_snapshot().snapshot_id(id.clone()).send()),
            )
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
        self.line("delete", format!("snapshot {id}"))?;
        self.say("")
    }
}

fn status_of(status: Option<&graph_olap::types::SnapshotStatusValue>) -> String {
    status.map_or_else(|| "no status".to_owned(), ToString::to_string)
}

fn first(values: &[String], what: &str) -> Result<String, Failure> {
    values
        .first()
        .cloned()
        .ok_or_else(|| unexpected(format!("the emulator has no {what}")))
}

fn check(condition: bool, message: &str) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(unexpected(message))
    }
}

fn unexpected(message: impl Into<String>) -> Failure {
    Failure::Unexpected(format!("demo: {}", message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_step_gives_usable_wait_settings() {
        let wait = wait_args(Duration::MAX);
        assert_eq!(wait.timeout, Duration::MAX);
        assert_eq!(
            wait_args(Duration::ZERO).interval,
            Duration::from_millis(20)
        );
    }

    #[tokio::test]
    async fn the_demo_walks_every_api_and_succeeds() {
        let mut out = Vec::new();
        let args = DemoArgs {
            step: Duration::from_millis(150),
        };
        let result = run(&args, &mut out).await;
        let text = String::from_utf8(out).expect("utf-8");
        assert!(result.is_ok(), "{result:?}\n{text}");
        for expected in [
            "PAI-DSW instance snapshots",
            "PAI LangStudio snapshots, ROA form",
            "PAI LangStudio snapshots, gateway form",
            "Graph OLAP control plane",
            "refused before sending",
            "answers HTTP 404",
            "refused with HTTP 409 INVALID_STATE",
            "Demo finished",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
        for step in ["create", "list", "get", "update", "wait", "delete"] {
            let lines = text
                .lines()
                .filter(|line| line.trim_start().starts_with(step))
                .count();
            assert!(lines >= 4, "{step}: {lines} lines in\n{text}");
        }
    }
}
