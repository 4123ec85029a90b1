//! Waiters: poll a snapshot until it reaches a final status, with a timeout and a poll
//! interval, reporting every poll (and Graph OLAP's export progress) as it goes.
//!
//! A [`Waiter`] is built by [`dsw_snapshot`], [`langstudio_snapshot`] (with the client of
//! either LangStudio profile) or [`graph_olap_snapshot`] and then either awaited (it
//! is [`IntoFuture`]), run with a callback ([`Waiter::wait_with`]), or read as a stream of
//! [`WaitEvent`]s ([`Waiter::events`]):
//!
//! ```no_run
//! use std::time::Duration;
//! use snapshots::wait;
//!
//! # async fn demo(client: &snapshots::Client) -> Result<(), snapshots::Error> {
//! let snapshot = wait::dsw_snapshot(client.dsw()?, "dsw-730xxxxxxxxxx", "snp-05cexxxxxxxxx")
//!     .timeout(Duration::from_secs(15 * 60))
//!     .poll_interval(Duration::from_secs(10))
//!     .await?;
//! println!("pushed: {:?}", snapshot.image_url);
//!
//! // Graph OLAP, with its export progress.
//! let ready = wait::graph_olap_snapshot(client.graph_olap()?, 42)
//!     .wait_with(|poll| {
//!         if let Some(progress) = &poll.progress {
//!             println!("{} {}/{}", poll.status, progress.done, progress.total);
//!         }
//!     })
//!     .await?;
//! println!("{:?}", ready.status);
//! # Ok(()) }
//! ```
//!
//! | waiter | polls | still waiting | success | failure ([`Error::WaitFailed`]) |
//! | --- | --- | --- | --- | --- |
//! | [`dsw_snapshot`] | `GetInstanceSnapshot` | `Pushing` (or no status yet) | any other status (`Available`, ...) | a status containing `fail` or `error` (any case), with `ReasonCode` and `ReasonMessage` |
//! | [`langstudio_snapshot`] | `GetSnapshot` (either profile) | anything else (`Creating`, ...) | [`LANGSTUDIO_SUCCESS`] | [`LANGSTUDIO_FAILURE`], with `ErrorMessage` |
//! | [`graph_olap_snapshot`] | `get_snapshot`, and `get_snapshot_progress` while waiting | `pending`, `creating`, anything unknown | `ready` | `failed`, `cancelled`, with `error_message` |
//!
//! Neither the DSW nor the LangStudio documentation lists its status values (only `Pushing`
//! appears), so the classification above is by name; an unknown status is never rejected:
//! it is reported in [`Poll::status`] as the service spelled it. The waiter gives up with
//! [`Error::WaitTimeout`] (naming the last status) once `timeout` has passed; an error of a
//! poll (after the runtime's retries) ends the wait with that error. Time is tokio's, so
//! tests can run waiters in paused time.

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::time::Instant;

use crate::error::Error;
use sealed::{Seen, State};

/// How long a waiter waits in total unless told otherwise: 20 minutes (an image push of a
/// large DSW instance takes minutes).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// How long a waiter sleeps between polls unless told otherwise: 5 seconds, 12 requests a
/// minute, well under the 10 requests per second of the default rate limit.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// LangStudio `SnapshotStatus` values that mean the snapshot is ready (compared ignoring
/// case). The service documents no values; these are the ones PAI uses elsewhere.
pub const LANGSTUDIO_SUCCESS: &[&str] =
    &["Success", "Succeeded", "Available", "Ready", "Completed"];

/// LangStudio `SnapshotStatus` values that mean the snapshot failed (compared ignoring case).
pub const LANGSTUDIO_FAILURE: &[&str] = &["Failed", "Fail", "Error"];

/// The progress of a Graph OLAP export, from its `/progress` endpoint, in one shape for
/// both forms the endpoint has (export-job counts, or a phase with steps).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Units done: completed export jobs, or completed steps.
    pub done: u64,
    /// Units in total (0 while the total is not known yet).
    pub total: u64,
    /// The phase name, in the phase form.
    pub phase: Option<String>,
    /// The response as decoded.
    pub raw: graph_olap::types::SnapshotProgress,
}

impl Progress {
    /// `done / total` between 0 and 1, or `None` while the total is unknown.
    ///
    /// ```
    /// # use snapshots::wait::Progress;
    /// # use graph_olap::types::{SnapshotProgress, SnapshotJobProgress};
    /// let raw: SnapshotProgress = serde_json::from_value(serde_json::json!({
    ///     "jobs_total": 4, "jobs_pending": 0, "jobs_claimed": 0, "jobs_submitted": 1,
    ///     "jobs_completed": 3, "jobs_failed": 0, "jobs": []
    /// })).unwrap();
    /// let progress = Progress::from(raw);
    /// assert_eq!((progress.done, progress.total), (3, 4));
    /// assert_eq!(progress.fraction(), Some(0.75));
    /// ```
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.done.min(self.total) as f64) / (self.total as f64))
    }
}

impl From<graph_olap::types::SnapshotProgress> for Progress {
    fn from(raw: graph_olap::types::SnapshotProgress) -> Self {
        use graph_olap::types::{ProgressStepStatus, ProgressStepStatusValue, SnapshotProgress};
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let (done, total, phase) = match &raw {
            SnapshotProgress::JobProgress(jobs) => {
                (count(jobs.jobs_completed), count(jobs.jobs_total), None)
            }
            SnapshotProgress::PhaseProgress(phase) => {
                let completed = phase
                    .steps
                    .iter()
                    .filter(|step| {
                        step.status
                            == ProgressStepStatusValue::ProgressStepStatus(
                                ProgressStepStatus::Completed,
                            )
                    })
                    .count() as u64;
                (
                    phase.completed_steps.map(count).unwrap_or(completed),
                    phase
                        .total_steps
                        .map(count)
                        .unwrap_or(phase.steps.len() as u64),
                    Some(phase.phase.clone()),
                )
            }
        };
        Progress {
            done,
            total,
            phase,
            raw,
        }
    }
}

/// One poll of a resource that is not final yet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Poll {
    /// The status as the service spelled it (empty when the response had none).
    pub status: String,
    /// Graph OLAP's export progress (always `None` for DSW and LangStudio).
    pub progress: Option<Progress>,
    /// Time since the waiter started.
    pub elapsed: Duration,
    /// Which poll this is, from 1.
    pub attempt: u32,
}

/// What a waiter's [`events`](Waiter::events) stream yields.
// `T` is a whole response (hundreds of bytes), so the variants are alike in practice.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum WaitEvent<T> {
    /// The resource is not final yet.
    Waiting(Poll),
    /// The resource reached a successful final status: the last response. The stream ends
    /// after this.
    Ready(T),
}

/// Waits for one resource; see the [module documentation](self).
///
/// Built by [`dsw_snapshot`], [`langstudio_snapshot`] and [`graph_olap_snapshot`].
#[derive(Debug, Clone)]
#[must_use = "a waiter does nothing until awaited or streamed"]
pub struct Waiter<'a, T> {
    target: T,
    timeout: Duration,
    poll_interval: Duration,
    client: PhantomData<&'a ()>,
}

impl<'a, T: sealed::Target<'a>> Waiter<'a, T> {
    fn new(target: T) -> Self {
        Waiter {
            target,
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            client: PhantomData,
        }
    }

    /// How long to wait in total (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long to sleep between polls (default [`DEFAULT_POLL_INTERVAL`]). Zero polls back
    /// to back, limited only by the client's rate limiter.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// A stream of every poll: [`WaitEvent::Waiting`] while the resource is not final, then
    /// [`WaitEvent::Ready`] with the last response; or, instead of `Ready`, one error
    /// ([`Error::WaitFailed`], [`Error::WaitTimeout`] or the poll's own). The stream ends
    /// after `Ready` or an error.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use snapshots::wait::{self, WaitEvent};
    ///
    /// # async fn demo(olap: &graph_olap::Client) -> Result<(), snapshots::Error> {
    /// let mut events = wait::graph_olap_snapshot(olap, 42).events();
    /// while let Some(event) = events.try_next().await? {
    ///     match event {
    ///         WaitEvent::Waiting(poll) => println!("{} after {:?}", poll.status, poll.elapsed),
    ///         WaitEvent::Ready(snapshot) => println!("ready: {:?}", snapshot.name),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(self) -> BoxStream<'a, Result<WaitEvent<T::Output>, Error>> {
        struct Run<'a, T> {
            waiter: Option<Waiter<'a, T>>,
            started: Instant,
            attempt: u32,
        }
        let run = Run {
            waiter: Some(self),
            started: Instant::now(),
            attempt: 0,
        };
        stream::unfold(run, |mut run| async move {
            let waiter = run.waiter.take()?;
            if run.attempt > 0 {
                let left = waiter.timeout.saturating_sub(run.started.elapsed());
                tokio::time::sleep(waiter.poll_interval.min(left)).await;
            }
            run.attempt += 1;
            let seen = match waiter.target.observe().await {
                Ok(seen) => seen,
                Err(error) => return Some((Err(error), run)),
            };
            let elapsed = run.started.elapsed();
            match seen.state {
                State::Succeeded => Some((Ok(WaitEvent::Ready(seen.output)), run)),
                State::Failed { code, message } => Some((
                    Err(Error::WaitFailed {
                        resource: waiter.target.describe(),
                        status: seen.status,
                        code,
                        message,
                    }),
                    run,
                )),
                State::Waiting if elapsed >= waiter.timeout => Some((
                    Err(Error::WaitTimeout {
                        resource: waiter.target.describe(),
                        last_status: Some(seen.status),
                        waited: elapsed,
                    }),
                    run,
                )),
                State::Waiting => {
                    let progress = waiter.target.progress().await;
                    let poll = Poll {
                        status: seen.status,
                        progress,
                        elapsed,
                        attempt: run.attempt,
                    };
                    run.waiter = Some(waiter);
                    Some((Ok(WaitEvent::Waiting(poll)), run))
                }
            }
        })
        .boxed()
    }

    /// Waits, calling `on_poll` after every poll that found the resource not final yet.
    ///
    /// ```no_run
    /// # async fn demo(dsw: &pai_dsw::Client) -> Result<(), snapshots::Error> {
    /// let snapshot = snapshots::wait::dsw_snapshot(dsw, "dsw-730xxxxxxxxxx", "snp-05cexxxxxxxxx")
    ///     .wait_with(|poll| eprintln!("still {} after {:?}", poll.status, poll.elapsed))
    ///     .await?;
    /// # let _ = snapshot; Ok(()) }
    /// ```
    pub async fn wait_with(self, mut on_poll: impl FnMut(&Poll)) -> Result<T::Output, Error> {
        let mut events = self.events();
        while let Some(event) = events.next().await {
            match event? {
                WaitEvent::Waiting(poll) => on_poll(&poll),
                WaitEvent::Ready(output) => return Ok(output),
            }
        }
        // `events` always ends with `Ready` or an error.
        Err(Error::Config(
            "the waiter's event stream ended early".into(),
        ))
    }
}

impl<'a, T: sealed::Target<'a>> IntoFuture for Waiter<'a, T> {
    type Output = Result<T::Output, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait_with(|_| {}))
    }
}

/// Waits for a DSW instance snapshot to leave `Pushing`; the result is the last
/// `GetInstanceSnapshot` response.
///
/// ```no_run
/// # async fn demo(dsw: &pai_dsw::Client) -> Result<(), snapshots::Error> {
/// let snapshot = snapshots::wait::dsw_snapshot(dsw, "dsw-730xxxxxxxxxx", "snp-05cexxxxxxxxx").await?;
/// assert_ne!(snapshot.status.as_deref(), Some("Pushing"));
/// # Ok(()) }
/// ```
pub fn dsw_snapshot<'a>(
    dsw: &'a pai_dsw::Client,
    instance_id: impl Into<String>,
    snapshot_id: impl Into<String>,
) -> Waiter<'a, DswSnapshot<'a>> {
    Waiter::new(DswSnapshot {
        client: dsw,
        instance_id: instance_id.into(),
        snapshot_id: snapshot_id.into(),
    })
}

/// Waits for a LangStudio snapshot to reach a status in [`LANGSTUDIO_SUCCESS`] (or fail, see
/// [`LANGSTUDIO_FAILURE`]); the result is the last `GetSnapshot` response. Works with the
/// client of either transport profile ([`Client::langstudio`](crate::Client::langstudio),
/// [`Client::langstudio_gateway`](crate::Client::langstudio_gateway)).
///
/// ```no_run
/// # async fn demo(studio: &pai_langstudio::Client) -> Result<(), snapshots::Error> {
/// let snapshot = snapshots::wait::langstudio_snapshot(studio, "snapshot-abc123").await?;
/// println!("{:?}", snapshot.snapshot_status);
/// # Ok(()) }
/// ```
pub fn langstudio_snapshot<'a>(
    langstudio: &'a pai_langstudio::Client,
    snapshot_id: impl Into<String>,
) -> Waiter<'a, LangStudioSnapshot<'a>> {
    Waiter::new(LangStudioSnapshot {
        client: langstudio,
        snapshot_id: snapshot_id.into(),
    })
}

/// Waits for a Graph OLAP snapshot to go from `pending`/`creating` to `ready`, reporting its
/// export progress; the result is the last snapshot (`data` of `get_snapshot`).
///
/// ```no_run
/// # async fn demo(olap: &graph_olap::Client) -> Result<(), snapshots::Error> {
/// let snapshot = snapshots::wait::graph_olap_snapshot(olap, 42).await?;
/// println!("{:?}", snapshot.status);
/// # Ok(()) }
/// ```
pub fn graph_olap_snapshot<'a>(
    olap: &'a graph_olap::Client,
    snapshot_id: impl Into<graph_olap::types::ResourceId>,
) -> Waiter<'a, GraphOlapSnapshot<'a>> {
    Waiter::new(GraphOlapSnapshot {
        client: olap,
        snapshot_id: snapshot_id.into(),
    })
}

mod sealed {
    use super::{BoxFuture, Error, Progress};

    /// What one poll found.
    #[derive(Debug)]
    pub struct Seen<T> {
        pub status: String,
        pub state: State,
        pub output: T,
    }

    /// Where a resource is.
    #[derive(Debug)]
    pub enum State {
        Waiting,
        Succeeded,
        Failed {
            code: Option<String>,
            message: Option<String>,
        },
    }

    /// A resource a [`Waiter`](super::Waiter) can poll. Not implementable outside the crate.
    pub trait Target<'a>: Send + Sync + 'a {
        /// The response returned when the resource is ready.
        type Output: Send + 'a;
        /// E.g. `PAI-DSW snapshot snp-1 of instance dsw-2`.
        fn describe(&self) -> String;
        /// One poll.
        fn observe(&self) -> BoxFuture<'a, Result<Seen<Self::Output>, Error>>;
        /// Progress while waiting, best effort (`None` when the API has none or it failed).
        fn progress(&self) -> BoxFuture<'a, Option<Progress>> {
            Box::pin(async { None })
        }
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

fn one_of(status: &str, values: &[&str]) -> bool {
    values
        .iter()
        .any(|value| value.eq_ignore_ascii_case(status))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The DSW snapshot a [`Waiter`] polls; built by [`dsw_snapshot`].
#[derive(Debug, Clone)]
pub struct DswSnapshot<'a> {
    client: &'a pai_dsw::Client,
    instance_id: String,
    snapshot_id: String,
}

/// The DSW classification: `Pushing` or nothing is waiting, `fail`/`error` is a failure,
/// anything else is done.
fn dsw_state(status: &str) -> bool {
    status.is_empty() || status.eq_ignore_ascii_case("Pushing")
}

impl<'a> sealed::Target<'a> for DswSnapshot<'a> {
    type Output = pai_dsw::types::GetInstanceSnapshotResponse;

    fn describe(&self) -> String {
        format!(
            "PAI-DSW snapshot {} of instance {}",
            self.snapshot_id, self.instance_id
        )
    }

    fn observe(&self) -> BoxFuture<'a, Result<Seen<Self::Output>, Error>> {
        let request = self
            .client
            .get_instance_snapshot()
            .instance_id(self.instance_id.clone())
            .snapshot_id(self.snapshot_id.clone());
        Box::pin(async move {
            let output = request.send().await?.into_inner();
            let status = output.status.clone().unwrap_or_default();
            let state = if dsw_state(&status) {
                State::Waiting
            } else if contains_ignore_case(&status, "fail")
                || contains_ignore_case(&status, "error")
            {
                State::Failed {
                    code: non_empty(output.reason_code.clone()),
                    message: non_empty(output.reason_message.clone()),
                }
            } else {
                State::Succeeded
            };
            Ok(Seen {
                status,
                state,
                output,
            })
        })
    }
}

/// The LangStudio snapshot a [`Waiter`] polls; built by [`langstudio_snapshot`].
#[derive(Debug, Clone)]
pub struct LangStudioSnapshot<'a> {
    client: &'a pai_langstudio::Client,
    snapshot_id: String,
}

impl<'a> sealed::Target<'a> for LangStudioSnapshot<'a> {
    type Output = pai_langstudio::types::GetSnapshotResponse;

    fn describe(&self) -> String {
        format!("PAI LangStudio snapshot {}", self.snapshot_id)
    }

    fn observe(&self) -> BoxFuture<'a, Result<Seen<Self::Output>, Error>> {
        let (client, id) = (self.client, self.snapshot_id.clone());
        Box::pin(async move {
            let output = client
                .get_snapshot()
                .snapshot_id(id)
                .send()
                .await?
                .into_inner();
            let status = output.snapshot_status.clone().unwrap_or_default();
            let state = if one_of(&status, LANGSTUDIO_SUCCESS) {
                State::Succeeded
            } else if one_of(&status, LANGSTUDIO_FAILURE) {
                State::Failed {
                    code: None,
                    message: non_empty(output.error_message.clone()),
                }
            } else {
                State::Waiting
            };
            Ok(Seen {
                status,
                state,
                output,
            })
        })
    }
}

/// The Graph OLAP snapshot a [`Waiter`] polls; built by [`graph_olap_snapshot`].
#[derive(Debug, Clone)]
pub struct GraphOlapSnapshot<'a> {
    client: &'a graph_olap::Client,
    snapshot_id: graph_olap::types::ResourceId,
}

impl<'a> sealed::Target<'a> for GraphOlapSnapshot<'a> {
    type Output = graph_olap::types::Snapshot;

    fn describe(&self) -> String {
        format!("Graph OLAP snapshot {}", self.snapshot_id)
    }

    fn observe(&self) -> BoxFuture<'a, Result<Seen<Self::Output>, Error>> {
        use graph_olap::types::{SnapshotStatus, SnapshotStatusValue};
        let request = self
            .client
            .get_snapshot()
            .snapshot_id(self.snapshot_id.clone());
        Box::pin(async move {
            let output = request.send().await?.into_inner().data;
            let status = output
                .status
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let state = match &output.status {
                Some(SnapshotStatusValue::SnapshotStatus(SnapshotStatus::Ready)) => {
                    State::Succeeded
                }
                Some(SnapshotStatusValue::SnapshotStatus(
                    SnapshotStatus::Failed | SnapshotStatus::Cancelled,
                )) => State::Failed {
                    code: None,
                    message: non_empty(output.error_message.clone()),
                },
                _ => State::Waiting,
            };
            Ok(Seen {
                status,
                state,
                output,
            })
        })
    }

    fn progress(&self) -> BoxFuture<'a, Option<Progress>> {
        let request = self
            .client
            .get_snapshot_progress()
            .snapshot_id(self.snapshot_id.clone());
        Box::pin(async move {
            match request.send().await {
                Ok(response) => Some(Progress::from(response.into_inner().data)),
                Err(error) => {
                    tracing::debug!(error = %error, "snapshot progress unavailable");
                    None
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsw_waits_only_while_pushing() {
        assert!(dsw_state("Pushing"));
        assert!(dsw_state("pushing"));
        assert!(dsw_state(""));
        assert!(!dsw_state("Available"));
        assert!(!dsw_state("Failed"));
    }

    #[test]
    fn langstudio_statuses_compare_ignoring_case() {
        assert!(one_of("SUCCESS", LANGSTUDIO_SUCCESS));
        assert!(one_of("failed", LANGSTUDIO_FAILURE));
        assert!(!one_of("Creating", LANGSTUDIO_SUCCESS));
        assert!(!one_of("Creating", LANGSTUDIO_FAILURE));
    }

    #[test]
    fn phase_progress_counts_completed_steps_when_no_counts_are_given() {
        let raw: graph_olap::types::SnapshotProgress = serde_json::from_value(serde_json::json!({
            "id": 7, "status": "creating", "phase": "exporting",
            "steps": [
                {"name": "a", "status": "completed"},
                {"name": "b", "status": "in_progress"},
                {"name": "c", "status": "pending"}
            ]
        }))
        .unwrap();
        let progress = Progress::from(raw);
        assert_eq!((progress.done, progress.total), (1, 3));
        assert_eq!(progress.phase.as_deref(), Some("exporting"));
        assert_eq!(progress.fraction(), Some(1.0 / 3.0));
    }

    #[test]
    fn fraction_is_unknown_without_a_total_and_capped_at_one() {
        let raw: graph_olap::types::SnapshotProgress = serde_json::from_value(serde_json::json!({
            "jobs_total": 0, "jobs_pending": 0, "jobs_claimed": 0, "jobs_submitted": 0,
            "jobs_completed": 0, "jobs_failed": 0, "jobs": []
        }))
        .unwrap();
        let mut progress = Progress::from(raw);
        assert_eq!(progress.fraction(), None);
        progress.total = 2;
        progress.done = 5;
        assert_eq!(progress.fraction(), Some(1.0));
    }
}
