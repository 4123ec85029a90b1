//! Waiters: poll a resource until it reaches a final status, with a timeout and a poll
//! interval, reporting every poll (and progress, where the API has it) as it goes.
//!
//! What is polled and how a status is classified comes from the spec: each polled
//! operation's `x-waiters` extension (`specs/EXTENSIONS.md`) names the waiter, its
//! parameters, the status property, the `waiting`, `success` and `failure` values, the
//! failure code and message properties and an optional progress operation, and
//! `cargo xtask generate` writes, in the generated crate's `waiters` module, a constructor
//! per waiter returning a target ([`WaitTarget`]) and the status sets as constants. This
//! module is the one generic loop: [`until`] (or [`Waiter::new`]) turns a target into a
//! [`Waiter`] that is awaited (it is [`IntoFuture`]), run with a callback
//! ([`Waiter::wait_with`]), or read as a stream of [`WaitEvent`]s ([`Waiter::events`]):
//!
//! ```no_run
//! use std::time::Duration;
//! use snapshots::wait;
//!
//! # async fn demo(client: &snapshots::Client) -> Result<(), snapshots::Error> {
//! let dsw = client.dsw()?;
//! let snapshot = wait::until(pai_dsw::waiters::instance_snapshot(dsw, "dsw-730xxxxxxxxxx", "snp-05cexxxxxxxxx"))
//!     .timeout(Duration::from_secs(15 * 60))
//!     .poll_interval(Duration::from_secs(10))
//!     .await?;
//! println!("pushed: {:?}", snapshot.image_url);
//!
//! // Graph OLAP, with its export progress.
//! let ready = wait::until(graph_olap::waiters::snapshot(client.graph_olap()?, 42))
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
//! The waiters the specs define today (the value sets are the generated constants, e.g.
//! `pai_dsw::waiters::INSTANCE_SNAPSHOT`):
//!
//! | constructor | polls | waiting | success | failure ([`Error::WaitFailed`]) |
//! | --- | --- | --- | --- | --- |
//! | `pai_dsw::waiters::instance_snapshot` | `GetInstanceSnapshot` | `Committing`, `Pushing` | `Saved`, `Available` | `Failed`, with `ReasonCode` and `ReasonMessage` |
//! | `pai_langstudio::waiters::snapshot` | `GetSnapshot` (with either profile's client) | `Creating` | `Success`, `Succeeded`, `Available`, `Ready`, `Completed` | `Failed`, `Fail`, `Error`, with `ErrorMessage` |
//! | `graph_olap::waiters::snapshot` | `get_snapshot` (and `get_snapshot_progress` while waiting) | `pending`, `creating` | `ready` | `failed`, `cancelled`, with `error_message` |
//!
//! Statuses are compared ignoring ASCII case. A status in none of the sets (or no status at
//! all) is never taken for success: the waiter keeps waiting and reports it with
//! [`Poll::known`] `false` (and a `tracing` warning). The waiter gives up with
//! [`Error::WaitTimeout`] (naming the last status) once `timeout` has passed; an error of a
//! poll (after the runtime's retries) ends the wait with that error. Time is tokio's, so
//! tests can run waiters in paused time.

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::time::Instant;

use crate::error::Error;
use snapshots_runtime::waiter::Class;

/// How long a waiter waits in total unless told otherwise: 20 minutes (an image push of a
/// large DSW instance takes minutes).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// How long a waiter sleeps between polls unless told otherwise: 5 seconds, 12 requests a
/// minute, well under the 10 requests per second of the default rate limit.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

pub use snapshots_runtime::waiter::{Progress, WaitTarget};

/// One poll of a resource that is not final yet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Poll {
    /// The status as the service spelled it (empty when the response had none).
    pub status: String,
    /// Whether the spec lists this status (in its `waiting` set); `false` for a status the
    /// spec does not know (or none), which keeps the waiter waiting.
    pub known: bool,
    /// The progress, from the waiter's progress operation (`None` when it has none).
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
/// Built by [`until`] or [`Waiter::new`] from a generated target (`<crate>::waiters::*`).
#[derive(Debug, Clone)]
#[must_use = "a waiter does nothing until awaited or streamed"]
pub struct Waiter<'a, T> {
    target: T,
    timeout: Duration,
    poll_interval: Duration,
    client: PhantomData<&'a ()>,
}

/// A [`Waiter`] for `target` (a generated `<crate>::waiters::*` constructor's result), with
/// the default timeout and poll interval.
pub fn until<'a, T: WaitTarget<'a>>(target: T) -> Waiter<'a, T>
where
    Error: From<T::Error>,
{
    Waiter::new(target)
}

impl<'a, T: WaitTarget<'a>> Waiter<'a, T>
where
    Error: From<T::Error>,
{
    /// A waiter for `target`, with [`DEFAULT_TIMEOUT`] and [`DEFAULT_POLL_INTERVAL`].
    pub fn new(target: T) -> Self {
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
    /// let mut events = wait::until(graph_olap::waiters::snapshot(olap, 42)).events();
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
            let event = waiter.poll_once(run.started, run.attempt).await;
            if matches!(event, Ok(WaitEvent::Waiting(_))) {
                run.waiter = Some(waiter);
            }
            Some((event, run))
        })
        .boxed()
    }

    /// One poll, as the event it makes (the stream ends after anything but `Waiting`).
    async fn poll_once(
        &self,
        started: Instant,
        attempt: u32,
    ) -> Result<WaitEvent<T::Output>, Error> {
        let seen = self.target.observe().await?;
        let elapsed = started.elapsed();
        let status = seen.status.unwrap_or_default();
        match seen.class {
            Class::Success => Ok(WaitEvent::Ready(seen.output)),
            Class::Failure => Err(Error::WaitFailed {
                resource: self.target.describe(),
                status,
                code: seen.code,
                message: seen.message,
            }),
            Class::Waiting | Class::Unknown if elapsed >= self.timeout => Err(Error::WaitTimeout {
                resource: self.target.describe(),
                last_status: Some(status),
                waited: elapsed,
            }),
            class => {
                let known = class == Class::Waiting;
                if !known {
                    tracing::warn!(resource = %self.target.describe(), status = %status, "status unknown to the spec; still waiting");
                }
                let progress = self.target.progress().await;
                Ok(WaitEvent::Waiting(Poll {
                    status,
                    known,
                    progress,
                    elapsed,
                    attempt,
                }))
            }
        }
    }

    /// Waits, calling `on_poll` after every poll that found the resource not final yet.
    ///
    /// ```no_run
    /// # async fn demo(dsw: &pai_dsw::Client) -> Result<(), snapshots::Error> {
    /// let target = pai_dsw::waiters::instance_snapshot(dsw, "dsw-730xxxxxxxxxx", "snp-05cexxxxxxxxx");
    /// let snapshot = snapshots::wait::until(target)
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

impl<'a, T: WaitTarget<'a>> IntoFuture for Waiter<'a, T>
where
    Error: From<T::Error>,
{
    type Output = Result<T::Output, Error>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait_with(|_| {}))
    }
}

#[cfg(test)]
mod tests;
