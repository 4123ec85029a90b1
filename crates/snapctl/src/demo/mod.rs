//! `snapctl demo`: starts the emulator in-process on `127.0.0.1:0` with short timings, and
//! walks every API through create, list, get, update (where the API has one), wait and
//! delete with a real [`snapshots::Client`] (V3-signed requests for DSW and LangStudio ROA,
//! the DashScope bearer key for LangStudio's gateway profile, `X-Username` for Graph OLAP), printing
//! each step. It checks what it sees (the created snapshot is listed, the update shows, the
//! deleted one is gone) and fails with the step's name and error when something is off.
//!
//! It needs no credentials and no network; with the default `--step` it finishes in about
//! three seconds.
//!
//! - `dsw`, `langstudio`, `graph_olap`: the walk through each API (LangStudio once per
//!   transport profile, with the same calls on the profile's client);
//! - this module: the emulator, the client, and the step helpers they share.

mod dsw;
mod graph_olap;
mod langstudio;

use std::fmt::Display;
use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

use snapshot_emulator::{start, EmulatorConfig, RunningEmulator};
use snapshots::auth::{AccessKey, Environment};
use snapshots::{Client, Error, RateLimiter};

use crate::cli::{DemoArgs, WaitArgs};
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
    for profile in langstudio::Profile::ALL {
        demo.langstudio(&client, &emulator, profile).await?;
    }
    demo.graph_olap(&client, &emulator).await?;
    let steps = demo.steps;
    emulator.shutdown().await;
    demo.say(format!(
        "Demo finished in {:.1} s: {steps} steps over PAI-DSW, PAI LangStudio (ROA and gateway) and Graph OLAP, all as expected.",
        started.elapsed().as_secs_f64()
    ))?;
    Ok(())
}

/// The demo's output, wait settings and step count.
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
            "PAI LangStudio snapshots, roa profile",
            "PAI LangStudio snapshots, gateway profile",
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
