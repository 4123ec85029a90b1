//! The client-side request rate limit: at most *n* requests per second, shared by every clone
//! of a client (10 per second by default, as seed 000 advises).
//!
//! [`RateLimiter`] implements GCRA (the generic cell rate algorithm, a token bucket kept as a
//! single "theoretical arrival time") on [`tokio::time::Instant`]. Each
//! [`acquire`](RateLimiter::acquire) reserves the next free slot under a short lock and then
//! sleeps until it, so concurrent callers are served in the order they arrived and nobody
//! polls. Being on tokio's clock is the point: tests run it under
//! [`tokio::time::pause`](https://docs.rs/tokio/1/tokio/time/fn.pause.html), where minutes of
//! waiting take no real time. (The `governor` crate was not used for this reason:
//! it reads its own clock, which tokio's paused time cannot drive.)
//!
//! With the default burst of 1, requests are evenly spaced, one every `1/n` s; a burst of `b`
//! lets `b` requests through at once after a quiet period, still `n` per second on average.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The requests per second of [`RateLimiter::default`] (seed 000).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 10;

/// A request rate limit shared by all its clones (clone it into every copy of a client).
///
/// ```
/// use snapshots_runtime::rate_limit::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limiter = RateLimiter::per_second(20).with_burst(2);
/// let for_another_task = limiter.clone(); // same budget
/// limiter.acquire().await; // immediate
/// for_another_task.acquire().await; // immediate: burst of 2
/// // a third acquire() now would wait 50 ms
///
/// RateLimiter::unlimited().acquire().await; // never waits
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    limit: Option<Limit>,
}

#[derive(Clone)]
struct Limit {
    per_second: u32,
    burst: u32,
    /// The time between two requests at the steady rate.
    interval: Duration,
    /// How far ahead of the steady schedule a request may be: `(burst - 1) * interval`.
    tolerance: Duration,
    /// The theoretical arrival time: when the limiter is back to full burst. `None` before
    /// the first request.
    tat: Arc<Mutex<Option<Instant>>>,
}

impl RateLimiter {
    /// At most `n` requests per second, evenly spaced (one every `1/n` s; burst 1).
    /// `n = 0` means no limit, as [`unlimited`](Self::unlimited).
    ///
    /// ```
    /// use snapshots_runtime::rate_limit::RateLimiter;
    ///
    /// assert_eq!(RateLimiter::per_second(5).requests_per_second(), Some(5));
    /// assert!(RateLimiter::per_second(0).is_unlimited());
    /// ```
    pub fn per_second(n: u32) -> Self {
        if n == 0 {
            return Self::unlimited();
        }
        Self::with_limit(n, 1)
    }

    /// No limit: [`acquire`](Self::acquire) never waits.
    ///
    /// ```
    /// use snapshots_runtime::rate_limit::RateLimiter;
    ///
    /// assert!(RateLimiter::unlimited().is_unlimited());
    /// ```
    pub fn unlimited() -> Self {
        Self { limit: None }
    }

    /// Lets up to `burst` requests through at once after a quiet period (0 is taken as 1).
    /// The average rate is unchanged. The result has a fresh state of its own: set the burst
    /// before cloning the limiter. No effect on an unlimited limiter.
    ///
    /// ```
    /// use snapshots_runtime::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::per_second(10).with_burst(5);
    /// assert_eq!(limiter.burst(), Some(5));
    /// ```
    #[must_use]
    pub fn with_burst(self, burst: u32) -> Self {
        match self.limit {
            Some(limit) => Self::with_limit(limit.per_second, burst.max(1)),
            None => self,
        }
    }

    fn with_limit(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second;
        Self {
            limit: Some(Limit {
                per_second,
                burst,
                interval,
                tolerance: interval.saturating_mul(burst - 1),
                tat: Arc::new(Mutex::new(None)),
            }),
        }
    }

    /// Whether this limiter never waits.
    pub fn is_unlimited(&self) -> bool {
        self.limit.is_none()
    }

    /// The rate, `None` when unlimited.
    pub fn requests_per_second(&self) -> Option<u32> {
        self.limit.as_ref().map(|limit| limit.per_second)
    }

    /// The burst, `None` when unlimited.
    pub fn burst(&self) -> Option<u32> {
        self.limit.as_ref().map(|limit| limit.burst)
    }

    /// Waits until one more request may be sent, and counts it.
    ///
    /// The slot is reserved when this is first polled: dropping the future while it waits
    /// (a cancelled call) does not give the slot back, which only makes the limiter
    /// slightly more conservative.
    ///
    /// ```
    /// use snapshots_runtime::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let limiter = RateLimiter::default(); // 10 per second
    /// limiter.acquire().await;
    /// # }
    /// ```
    pub async fn acquire(&self) {
        if let Some(ready_at) = self.reserve() {
            tokio::time::sleep_until(ready_at).await;
        }
    }

    /// Counts one more request and says when it may be sent: `None` for at once (no limit,
    /// or a free slot), otherwise the instant to wait for. [`acquire`](Self::acquire) is this
    /// plus the wait; the runtime uses it to set no timer when there is nothing to wait for.
    pub(crate) fn reserve(&self) -> Option<Instant> {
        let limit = self.limit.as_ref()?;
        let now = Instant::now();
        let ready_at = limit.reserve(now);
        (ready_at > now).then_some(ready_at)
    }
}

impl Limit {
    /// Reserves the next slot at or after `now` and returns when it opens.
    fn reserve(&self, now: Instant) -> Instant {
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let start = tat.map_or(now, |tat| tat.max(now));
        let ready_at = start
            .checked_sub(self.tolerance)
            .map_or(now, |earliest| earliest.max(now));
        *tat = Some(start + self.interval);
        ready_at
    }
}

impl Default for RateLimiter {
    /// [`DEFAULT_REQUESTS_PER_SECOND`] (10) requests per second, burst 1.
    fn default() -> Self {
        Self::per_second(DEFAULT_REQUESTS_PER_SECOND)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.limit {
            None => f.write_str("RateLimiter(unlimited)"),
            Some(limit) => f
                .debug_struct("RateLimiter")
                .field("per_second", &limit.per_second)
                .field("burst", &limit.burst)
                .finish_non_exhaustive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn thirty_acquires_at_ten_per_second_take_2_9_seconds() {
        let limiter = RateLimiter::per_second(10);
        let start = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= 2900 * MS && elapsed < 2950 * MS, "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_is_ten_per_second() {
        let limiter = RateLimiter::default();
        assert_eq!(limiter.requests_per_second(), Some(10));
        assert_eq!(limiter.burst(), Some(1));
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_evenly_spaced() {
        let limiter = RateLimiter::per_second(4);
        let mut times = Vec::new();
        for _ in 0..5 {
            limiter.acquire().await;
            times.push(Instant::now());
        }
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap >= 250 * MS && gap < 260 * MS, "{gap:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_the_limit() {
        let limiter = RateLimiter::per_second(10);
        let start = Instant::now();
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    for _ in 0..10 {
                        limiter.acquire().await;
                        times.push(Instant::now());
                    }
                    times
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await.unwrap());
        }
        times.sort();
        assert_eq!(times.len(), 30);
        let elapsed = times[29] - start;
        assert!(elapsed >= 2900 * MS && elapsed < 2950 * MS, "{elapsed:?}");
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= 100 * MS, "{:?}", pair[1] - pair[0]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        for limiter in [RateLimiter::unlimited(), RateLimiter::per_second(0)] {
            let start = Instant::now();
            for _ in 0..10_000 {
                limiter.acquire().await;
            }
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
        assert!(RateLimiter::unlimited().with_burst(3).is_unlimited());
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_through_at_once_then_the_rate_applies() {
        let limiter = RateLimiter::per_second(10).with_burst(5);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire().await;
        let elapsed = start.elapsed();
        assert!(elapsed >= 100 * MS && elapsed < 110 * MS, "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_period_refills_the_burst_but_no_more() {
        let limiter = RateLimiter::per_second(10).with_burst(3);
        for _ in 0..3 {
            limiter.acquire().await;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.acquire().await;
        assert!(start.elapsed() >= 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn burst_zero_is_one() {
        let limiter = RateLimiter::per_second(10).with_burst(0);
        assert_eq!(limiter.burst(), Some(1));
        let start = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert!(start.elapsed() >= 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_keeps_its_slot() {
        let limiter = RateLimiter::per_second(10);
        limiter.acquire().await;
        // Cancelled while waiting for the slot at 100 ms.
        let _ = tokio::time::timeout(10 * MS, limiter.acquire()).await;
        let start = Instant::now();
        limiter.acquire().await;
        // The next free slot is at 200 ms from the first acquire.
        let elapsed = start.elapsed();
        assert!(elapsed >= 190 * MS && elapsed < 200 * MS, "{elapsed:?}");
    }

    #[test]
    fn debug_says_the_rate() {
        assert_eq!(
            format!("{:?}", RateLimiter::per_second(3)),
            "RateLimiter { per_second: 3, burst: 1, .. }"
        );
        assert_eq!(
            format!("{:?}", RateLimiter::unlimited()),
            "RateLimiter(unlimited)"
        );
    }
}
