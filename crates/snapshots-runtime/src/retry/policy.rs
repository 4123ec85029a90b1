//! The retry policy: its settings ([`RetryConfig`]), what an attempt came to
//! ([`AttemptOutcome`]), and the one function that decides what happens next ([`decide`]).
//!
//! [`decide`] is pure apart from the shared [`RetryBudget`]: the clock reading, the elapsed
//! time and the random number for the jitter are passed in, so every rule is testable without
//! sleeping.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method};

use super::budget::{RetryBudget, RetryBudgetConfig, RetryKind};
use super::retry_after::server_delay;
use super::{is_idempotent, is_throttling_code};

/// How a client retries. Every knob has a default (see each field) and a `with_*` setter.
///
/// ```
/// use std::time::Duration;
/// use snapshots_runtime::retry::RetryConfig;
///
/// let config = RetryConfig::default()
///     .with_max_attempts(6)
///     .with_total_timeout(Some(Duration::from_secs(120)))
///     .with_jitter(false);
/// assert_eq!(config.max_attempts, 6);
/// assert_eq!(config.base_delay, Duration::from_secs(1));
/// assert_eq!(RetryConfig::disabled().max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts per call, the first one included. Default 4 (one attempt and up to three
    /// retries, as seed 000 advises). 1 disables retries.
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles for each further retry. Default 1 s
    /// (so 1 s, 2 s, 4 s without jitter).
    pub base_delay: Duration,
    /// The cap of one backoff (before jitter). Default 20 s.
    pub max_delay: Duration,
    /// The cap of a delay requested by the server (`x-acs-retry-after`, `Retry-After`): a
    /// longer request is shortened to this. Default 60 s.
    pub max_retry_after: Duration,
    /// Full jitter (each backoff is drawn uniformly from zero to its exponential value), so
    /// that many clients failing together do not retry together. Default `true`.
    pub jitter: bool,
    /// The time a whole call may take, all attempts and delays included: a retry whose delay
    /// would reach it is not made. `None` means no limit. Default 60 s.
    pub total_timeout: Option<Duration>,
    /// Whether a non-idempotent request (POST, PATCH) is retried after a failure the server
    /// may have acted on (a 5xx, a timeout, a broken connection). Default `false`: the call
    /// fails rather than risk, say, creating a snapshot twice.
    pub retry_non_idempotent: bool,
    /// The sizes of the retry budget the client shares between its clones.
    pub budget: RetryBudgetConfig,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
            total_timeout: Some(Duration::from_secs(60)),
            retry_non_idempotent: false,
            budget: RetryBudgetConfig::default(),
        }
    }
}

impl RetryConfig {
    /// One attempt per call: nothing is ever retried. The other settings are the defaults.
    ///
    /// ```
    /// use snapshots_runtime::retry::RetryConfig;
    ///
    /// assert_eq!(RetryConfig::disabled(), RetryConfig::default().with_max_attempts(1));
    /// ```
    pub fn disabled() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Sets [`max_attempts`](Self::max_attempts); 0 is taken as 1.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets [`base_delay`](Self::base_delay).
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets [`max_delay`](Self::max_delay).
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    #[must_use]
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Sets [`jitter`](Self::jitter).
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets [`total_timeout`](Self::total_timeout).
    #[must_use]
    pub fn with_total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// Sets [`retry_non_idempotent`](Self::retry_non_idempotent).
    #[must_use]
    pub fn with_retry_non_idempotent(mut self, retry: bool) -> Self {
        self.retry_non_idempotent = retry;
        self
    }

    /// Sets [`budget`](Self::budget).
    #[must_use]
    pub fn with_budget(mut self, budget: RetryBudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// The exponential backoff before retry number `attempt` (the 1-based number of the
    /// attempt that just failed): `min(max_delay, base_delay * 2^(attempt - 1))`, scaled by
    /// `rng_value` when [`jitter`](Self::jitter) is on (full jitter: uniform in
    /// `[0, that cap)` for `rng_value` uniform in `[0, 1)`). `rng_value` is clamped to
    /// `[0, 1]`; NaN counts as 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// use snapshots_runtime::retry::RetryConfig;
    ///
    /// let exact = RetryConfig::default().with_jitter(false);
    /// let secs: Vec<u64> = (1..=6).map(|n| exact.backoff(n, 0.5).as_secs()).collect();
    /// assert_eq!(secs, [1, 2, 4, 8, 16, 20]);
    ///
    /// let jittered = RetryConfig::default();
    /// assert_eq!(jittered.backoff(3, 0.5), Duration::from_secs(2));
    /// assert_eq!(jittered.backoff(3, 0.0), Duration::ZERO);
    /// ```
    pub fn backoff(&self, attempt: u32, rng_value: f64) -> Duration {
        let exponent = attempt.saturating_sub(1);
        let factor = 1u32.checked_shl(exponent).unwrap_or(u32::MAX);
        let cap = self.base_delay.saturating_mul(factor).min(self.max_delay);
        if self.jitter {
            let scale = if rng_value.is_nan() {
                0.0
            } else {
                rng_value.clamp(0.0, 1.0)
            };
            cap.mul_f64(scale)
        } else {
            cap
        }
    }
}

/// What one attempt came to, as the runtime saw it.
///
/// Only report attempts that were really made: an error building the request (a bad URL, a
/// body that fails to serialise) is not an outcome and should fail the call at once.
#[derive(Clone, Copy, Debug)]
pub enum AttemptOutcome<'a> {
    /// The server answered.
    Response {
        /// The HTTP status.
        status: u16,
        /// The response headers (read for `x-acs-retry-after` and `Retry-After`).
        headers: &'a HeaderMap,
        /// The error code of the body, if any (`Code` of an Alibaba error body; see
        /// [`service_code`](super::service_code)).
        service_code: Option<&'a str>,
    },
    /// The connection could not be established (DNS, refused, TLS handshake, connect
    /// timeout): the request certainly did not reach the server.
    ConnectError,
    /// The request was sent (or partly sent) but no complete response arrived in time.
    Timeout,
    /// Any other transport failure once connected (connection reset, broken pipe, truncated
    /// response): the server may have acted on the request.
    OtherTransportError,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The attempt succeeded (a response below 400): hand it to the caller.
    Done,
    /// Wait this long, then make the next attempt.
    RetryAfter(Duration),
    /// The attempt failed and will not be retried: hand its error to the caller.
    GiveUp(GiveUpReason),
}

/// Why a failed attempt is not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The failure is not one that a retry can fix (for example a 400 or a 404).
    NotRetryable,
    /// The server may have acted on a non-idempotent request, and
    /// [`RetryConfig::retry_non_idempotent`] is off.
    NotIdempotent,
    /// This was attempt [`RetryConfig::max_attempts`].
    AttemptsExhausted,
    /// The delay before the next attempt would reach [`RetryConfig::total_timeout`].
    TotalTimeout,
    /// The shared [`RetryBudget`] cannot pay for another retry: the service has been failing
    /// for this client lately.
    BudgetExhausted,
}

impl fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotRetryable => "the failure is not retryable",
            Self::NotIdempotent => {
                "the request is not idempotent and the server may have acted on it"
            }
            Self::AttemptsExhausted => "all attempts have been made",
            Self::TotalTimeout => "the total timeout of the call would be exceeded",
            Self::BudgetExhausted => "the retry budget is exhausted",
        })
    }
}

/// How an attempt failed, from the retry policy's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A response below 400.
    Success,
    /// Nothing a retry can fix.
    Permanent,
    /// The server refused the request without acting on it (429, throttling code) or never
    /// saw it (connect error): any method may be retried.
    NotActedOn,
    /// The server may have acted on the request (5xx, timeout, broken connection): only
    /// idempotent methods are retried, unless the user opts in.
    MaybeActedOn,
}

fn classify(outcome: &AttemptOutcome<'_>) -> Class {
    match *outcome {
        AttemptOutcome::Response {
            status,
            service_code,
            ..
        } => {
            if status < 400 {
                Class::Success
            } else if status == 429 || service_code.is_some_and(is_throttling_code) {
                Class::NotActedOn
            } else if (500..600).contains(&status) && status != 501 && status != 505 {
                Class::MaybeActedOn
            } else {
                Class::Permanent
            }
        }
        AttemptOutcome::ConnectError => Class::NotActedOn,
        AttemptOutcome::Timeout | AttemptOutcome::OtherTransportError => Class::MaybeActedOn,
    }
}

/// Decides what follows attempt number `attempt` (1-based) of a call.
///
/// - `elapsed`: the time since the call started (first attempt, rate-limit waits included);
/// - `rng_value`: a random number uniform in `[0, 1)` for the jitter (for example
///   `rand::random::<f64>()`);
/// - `now`: the wall clock, to read an HTTP-date `Retry-After`.
///
/// The rules, in order (see the [module table](super)):
/// 1. a response below 400 is [`Decision::Done`], and deposits a success in `budget`;
/// 2. a failure that is not retryable gives up ([`GiveUpReason::NotRetryable`]);
/// 3. a failure the server may have acted on, of a non-idempotent method, gives up
///    ([`GiveUpReason::NotIdempotent`]) unless [`RetryConfig::retry_non_idempotent`];
/// 4. after [`RetryConfig::max_attempts`] attempts, gives up;
/// 5. the delay is the server's (`x-acs-retry-after`, then `Retry-After`, capped at
///    [`RetryConfig::max_retry_after`]), otherwise [`RetryConfig::backoff`];
/// 6. if `elapsed + delay` reaches [`RetryConfig::total_timeout`], gives up;
/// 7. the retry is paid from `budget` (timeouts cost more); if it cannot be, gives up;
/// 8. otherwise [`Decision::RetryAfter`] the delay.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, Method};
/// use snapshots_runtime::retry::{
///     decide, AttemptOutcome, Decision, GiveUpReason, RetryBudget, RetryConfig,
/// };
///
/// let config = RetryConfig::default().with_jitter(false);
/// let budget = RetryBudget::new(config.budget);
/// let headers = HeaderMap::new();
/// let unavailable = AttemptOutcome::Response { status: 503, headers: &headers, service_code: None };
/// let now = SystemTime::now();
///
/// let get = decide(&config, &Method::GET, 2, unavailable, &budget, Duration::from_secs(1), 0.3, now);
/// assert_eq!(get, Decision::RetryAfter(Duration::from_secs(2)));
///
/// let post = decide(&config, &Method::POST, 1, unavailable, &budget, Duration::ZERO, 0.3, now);
/// assert_eq!(post, Decision::GiveUp(GiveUpReason::NotIdempotent));
/// ```
#[expect(
    clippy::too_many_arguments,
    reason = "every input is explicit so that the policy is a testable function"
)]
pub fn decide(
    config: &RetryConfig,
    method: &Method,
    attempt: u32,
    outcome: AttemptOutcome<'_>,
    budget: &RetryBudget,
    elapsed: Duration,
    rng_value: f64,
    now: SystemTime,
) -> Decision {
    let class = classify(&outcome);
    match class {
        Class::Success => {
            budget.deposit_success();
            return Decision::Done;
        }
        Class::Permanent => return Decision::GiveUp(GiveUpReason::NotRetryable),
        Class::MaybeActedOn if !is_idempotent(method) && !config.retry_non_idempotent => {
            return Decision::GiveUp(GiveUpReason::NotIdempotent);
        }
        Class::MaybeActedOn | Class::NotActedOn => {}
    }
    if attempt >= config.max_attempts {
        return Decision::GiveUp(GiveUpReason::AttemptsExhausted);
    }

    let requested = match outcome {
        AttemptOutcome::Response { headers, .. } => server_delay(headers, now),
        _ => None,
    };
    let delay = match requested {
        Some(delay) => delay.min(config.max_retry_after),
        None => config.backoff(attempt, rng_value),
    };

    if let Some(total) = config.total_timeout {
        if elapsed.saturating_add(delay) >= total {
            return Decision::GiveUp(GiveUpReason::TotalTimeout);
        }
    }

    let kind = match outcome {
        AttemptOutcome::Timeout => RetryKind::Timeout,
        _ => RetryKind::Standard,
    };
    if !budget.try_withdraw(kind) {
        return Decision::GiveUp(GiveUpReason::BudgetExhausted);
    }
    Decision::RetryAfter(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn exact() -> RetryConfig {
        RetryConfig::default().with_jitter(false)
    }

    fn empty() -> &'static HeaderMap {
        static EMPTY: std::sync::OnceLock<HeaderMap> = std::sync::OnceLock::new();
        EMPTY.get_or_init(HeaderMap::new)
    }

    fn status(status: u16) -> AttemptOutcome<'static> {
        AttemptOutcome::Response {
            status,
            headers: empty(),
            service_code: None,
        }
    }

    fn coded(status: u16, code: &'static str) -> AttemptOutcome<'static> {
        AttemptOutcome::Response {
            status,
            headers: empty(),
            service_code: Some(code),
        }
    }

    /// The decision for attempt 1 of a fresh call with a fresh budget.
    fn first(config: &RetryConfig, method: &Method, outcome: AttemptOutcome<'_>) -> Decision {
        let budget = RetryBudget::new(config.budget);
        decide(
            config,
            method,
            1,
            outcome,
            &budget,
            Duration::ZERO,
            0.5,
            now(),
        )
    }

    const IDEMPOTENT: [Method; 6] = [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ];
    const NOT_IDEMPOTENT: [Method; 2] = [Method::POST, Method::PATCH];

    fn all_methods() -> impl Iterator<Item = Method> {
        IDEMPOTENT.into_iter().chain(NOT_IDEMPOTENT)
    }

    const RETRY_1S: Decision = Decision::RetryAfter(SECOND);
    const NOT_RETRYABLE: Decision = Decision::GiveUp(GiveUpReason::NotRetryable);
    const NOT_IDEMPOTENT_GIVE_UP: Decision = Decision::GiveUp(GiveUpReason::NotIdempotent);

    #[test]
    fn defaults() {
        let c = RetryConfig::default();
        assert_eq!(c.max_attempts, 4);
        assert_eq!(c.base_delay, SECOND);
        assert_eq!(c.max_delay, 20 * SECOND);
        assert_eq!(c.max_retry_after, 60 * SECOND);
        assert!(c.jitter);
        assert_eq!(c.total_timeout, Some(60 * SECOND));
        assert!(!c.retry_non_idempotent);
        assert_eq!(c.budget, RetryBudgetConfig::default());
    }

    #[test]
    fn setters_set() {
        let budget = RetryBudgetConfig::default().with_capacity(3);
        let c = RetryConfig::default()
            .with_max_attempts(0)
            .with_base_delay(2 * SECOND)
            .with_max_delay(3 * SECOND)
            .with_max_retry_after(4 * SECOND)
            .with_jitter(false)
            .with_total_timeout(None)
            .with_retry_non_idempotent(true)
            .with_budget(budget);
        assert_eq!(c.max_attempts, 1);
        assert_eq!(c.base_delay, 2 * SECOND);
        assert_eq!(c.max_delay, 3 * SECOND);
        assert_eq!(c.max_retry_after, 4 * SECOND);
        assert!(!c.jitter);
        assert_eq!(c.total_timeout, None);
        assert!(c.retry_non_idempotent);
        assert_eq!(c.budget, budget);
    }

    #[test]
    fn successes_are_done_for_every_method() {
        for method in all_methods() {
            for s in [200, 201, 204, 304] {
                assert_eq!(first(&exact(), &method, status(s)), Decision::Done);
            }
            // A code in a successful body does not matter.
            assert_eq!(
                first(&exact(), &method, coded(200, "Throttling")),
                Decision::Done
            );
        }
    }

    #[test]
    fn too_many_requests_is_retried_for_every_method() {
        for method in all_methods() {
            assert_eq!(first(&exact(), &method, status(429)), RETRY_1S, "{method}");
        }
    }

    #[test]
    fn throttling_codes_are_retried_for_every_method_at_any_error_status() {
        for method in all_methods() {
            for code in [
                "Throttling",
                "Throttling.User",
                "Throttling.Api",
                "ServiceUnavailable",
            ] {
                for s in [400, 403, 503] {
                    assert_eq!(
                        first(&exact(), &method, coded(s, code)),
                        RETRY_1S,
                        "{method} {s} {code}"
                    );
                }
            }
        }
    }

    #[test]
    fn server_errors_are_retried_for_idempotent_methods_only() {
        for s in [500, 502, 503, 504, 599] {
            for method in IDEMPOTENT {
                assert_eq!(
                    first(&exact(), &method, status(s)),
                    RETRY_1S,
                    "{method} {s}"
                );
            }
            for method in NOT_IDEMPOTENT {
                assert_eq!(
                    first(&exact(), &method, status(s)),
                    NOT_IDEMPOTENT_GIVE_UP,
                    "{method} {s}"
                );
                // An unrelated code does not make it safe.
                assert_eq!(
                    first(&exact(), &method, coded(s, "InternalError")),
                    NOT_IDEMPOTENT_GIVE_UP
                );
            }
        }
    }

    #[test]
    fn opting_in_retries_non_idempotent_server_errors_and_timeouts() {
        let config = exact().with_retry_non_idempotent(true);
        for method in NOT_IDEMPOTENT {
            assert_eq!(first(&config, &method, status(500)), RETRY_1S);
            assert_eq!(first(&config, &method, AttemptOutcome::Timeout), RETRY_1S);
            assert_eq!(
                first(&config, &method, AttemptOutcome::OtherTransportError),
                RETRY_1S
            );
            // Opting in does not make permanent failures retryable.
            assert_eq!(first(&config, &method, status(400)), NOT_RETRYABLE);
        }
    }

    #[test]
    fn client_errors_and_unfixable_server_errors_are_not_retried() {
        for method in all_methods() {
            for s in [400, 401, 403, 404, 408, 409, 422, 501, 505, 600] {
                assert_eq!(first(&exact(), &method, status(s)), NOT_RETRYABLE, "{s}");
            }
            assert_eq!(
                first(&exact(), &method, coded(400, "ValidationError")),
                NOT_RETRYABLE
            );
        }
    }

    #[test]
    fn connect_errors_are_retried_for_every_method() {
        for method in all_methods() {
            assert_eq!(
                first(&exact(), &method, AttemptOutcome::ConnectError),
                RETRY_1S,
                "{method}"
            );
        }
    }

    #[test]
    fn timeouts_and_broken_connections_are_retried_for_idempotent_methods_only() {
        for outcome in [AttemptOutcome::Timeout, AttemptOutcome::OtherTransportError] {
            for method in IDEMPOTENT {
                assert_eq!(first(&exact(), &method, outcome), RETRY_1S);
            }
            for method in NOT_IDEMPOTENT {
                assert_eq!(first(&exact(), &method, outcome), NOT_IDEMPOTENT_GIVE_UP);
            }
        }
    }

    #[test]
    fn backoff_without_jitter_is_1_2_4_then_attempts_are_exhausted() {
        let config = exact();
        let budget = RetryBudget::new(config.budget);
        let decisions: Vec<Decision> = (1..=4)
            .map(|attempt| {
                decide(
                    &config,
                    &Method::GET,
                    attempt,
                    status(503),
                    &budget,
                    Duration::ZERO,
                    0.9,
                    now(),
                )
            })
            .collect();
        assert_eq!(
            decisions,
            [
                Decision::RetryAfter(SECOND),
                Decision::RetryAfter(2 * SECOND),
                Decision::RetryAfter(4 * SECOND),
                Decision::GiveUp(GiveUpReason::AttemptsExhausted),
            ]
        );
    }

    #[test]
    fn backoff_is_capped_by_max_delay() {
        let config = exact().with_max_delay(3 * SECOND);
        assert_eq!(config.backoff(3, 0.0), 3 * SECOND);
        assert_eq!(config.backoff(u32::MAX, 0.0), 3 * SECOND);
        let config = exact().with_max_delay(Duration::MAX);
        assert_eq!(config.backoff(40, 0.0), SECOND * u32::MAX);
    }

    #[test]
    fn jitter_scales_the_capped_backoff() {
        let config = RetryConfig::default();
        assert_eq!(config.backoff(1, 0.0), Duration::ZERO);
        assert_eq!(config.backoff(1, 0.25), SECOND / 4);
        assert_eq!(config.backoff(4, 0.5), 4 * SECOND);
        assert_eq!(config.backoff(10, 0.5), 10 * SECOND); // half of the 20 s cap
        assert_eq!(config.backoff(2, f64::NAN), Duration::ZERO);
        assert_eq!(config.backoff(2, -3.0), Duration::ZERO);
        assert_eq!(config.backoff(2, 7.0), 2 * SECOND);
    }

    #[test]
    fn disabled_never_retries() {
        let config = RetryConfig::disabled();
        for outcome in [status(503), status(429), AttemptOutcome::ConnectError] {
            assert_eq!(
                first(&config, &Method::GET, outcome),
                Decision::GiveUp(GiveUpReason::AttemptsExhausted)
            );
        }
        assert_eq!(first(&config, &Method::GET, status(200)), Decision::Done);
    }

    fn header_map(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn server_delay_takes_precedence_over_backoff() {
        let headers = header_map(&[("retry-after", "7")]);
        let outcome = AttemptOutcome::Response {
            status: 429,
            headers: &headers,
            service_code: None,
        };
        assert_eq!(
            first(&RetryConfig::default(), &Method::POST, outcome),
            Decision::RetryAfter(7 * SECOND)
        );

        let headers = header_map(&[("retry-after", "7"), ("x-acs-retry-after", "1500")]);
        let outcome = AttemptOutcome::Response {
            status: 400,
            headers: &headers,
            service_code: Some("Throttling.User"),
        };
        assert_eq!(
            first(&RetryConfig::default(), &Method::GET, outcome),
            Decision::RetryAfter(Duration::from_millis(1500))
        );
    }

    #[test]
    fn server_delay_is_capped() {
        let headers = header_map(&[("x-acs-retry-after", "3600000")]);
        let outcome = AttemptOutcome::Response {
            status: 503,
            headers: &headers,
            service_code: None,
        };
        let config = exact().with_total_timeout(None);
        assert_eq!(
            first(&config, &Method::GET, outcome),
            Decision::RetryAfter(60 * SECOND)
        );
        let config = config.with_max_retry_after(5 * SECOND);
        assert_eq!(
            first(&config, &Method::GET, outcome),
            Decision::RetryAfter(5 * SECOND)
        );
    }

    #[test]
    fn server_delay_of_an_http_date() {
        let date = httpdate::fmt_http_date(now() + 3 * SECOND);
        let headers = header_map(&[("retry-after", &date)]);
        let outcome = AttemptOutcome::Response {
            status: 503,
            headers: &headers,
            service_code: None,
        };
        assert_eq!(
            first(&RetryConfig::default(), &Method::GET, outcome),
            Decision::RetryAfter(3 * SECOND)
        );
    }

    #[test]
    fn server_delay_does_not_make_a_failure_retryable() {
        let headers = header_map(&[("retry-after", "1")]);
        let outcome = AttemptOutcome::Response {
            status: 404,
            headers: &headers,
            service_code: None,
        };
        assert_eq!(first(&exact(), &Method::GET, outcome), NOT_RETRYABLE);
    }

    #[test]
    fn total_timeout_stops_a_retry_whose_delay_would_reach_it() {
        let config = exact().with_total_timeout(Some(10 * SECOND));
        let budget = RetryBudget::new(config.budget);
        let at = |attempt, elapsed| {
            decide(
                &config,
                &Method::GET,
                attempt,
                status(500),
                &budget,
                elapsed,
                0.0,
                now(),
            )
        };
        assert_eq!(at(3, 5 * SECOND), Decision::RetryAfter(4 * SECOND));
        assert_eq!(
            at(3, 6 * SECOND),
            Decision::GiveUp(GiveUpReason::TotalTimeout)
        );
        assert_eq!(
            at(1, 10 * SECOND),
            Decision::GiveUp(GiveUpReason::TotalTimeout)
        );
        // No total timeout: only the attempts limit applies.
        let config = exact().with_total_timeout(None);
        assert_eq!(
            decide(
                &config,
                &Method::GET,
                1,
                status(500),
                &budget,
                Duration::MAX,
                0.0,
                now()
            ),
            RETRY_1S
        );
    }

    #[test]
    fn a_refused_retry_costs_nothing() {
        let config = exact().with_total_timeout(Some(SECOND));
        let budget = RetryBudget::new(config.budget);
        let decision = decide(
            &config,
            &Method::GET,
            1,
            status(500),
            &budget,
            Duration::ZERO,
            0.0,
            now(),
        );
        assert_eq!(decision, Decision::GiveUp(GiveUpReason::TotalTimeout));
        assert_eq!(budget.available(), 500);
    }

    #[test]
    fn budget_runs_out_after_n_failures_and_refills_on_success() {
        let config = exact().with_budget(
            RetryBudgetConfig::default()
                .with_capacity(20)
                .with_retry_cost(5)
                .with_timeout_retry_cost(10)
                .with_success_reward(5),
        );
        let budget = RetryBudget::new(config.budget);
        let once = |outcome| {
            decide(
                &config,
                &Method::GET,
                1,
                outcome,
                &budget,
                Duration::ZERO,
                0.0,
                now(),
            )
        };
        assert_eq!(once(AttemptOutcome::Timeout), RETRY_1S); // 20 -> 10
        assert_eq!(once(status(503)), RETRY_1S); // 10 -> 5
        assert_eq!(
            once(AttemptOutcome::Timeout),
            Decision::GiveUp(GiveUpReason::BudgetExhausted)
        );
        assert_eq!(once(status(503)), RETRY_1S); // 5 -> 0
        assert_eq!(
            once(status(503)),
            Decision::GiveUp(GiveUpReason::BudgetExhausted)
        );
        assert_eq!(budget.available(), 0);
        assert_eq!(once(status(200)), Decision::Done); // 0 -> 5
        assert_eq!(budget.available(), 5);
        assert_eq!(once(status(503)), RETRY_1S);
        // Permanent failures and non-idempotent refusals cost nothing.
        assert_eq!(once(status(404)), NOT_RETRYABLE);
        assert_eq!(budget.available(), 0);
    }

    #[test]
    fn default_budget_allows_100_retries_across_calls() {
        let config = exact();
        let budget = RetryBudget::new(config.budget);
        let retries = (0..1000)
            .map(|_| {
                decide(
                    &config,
                    &Method::GET,
                    1,
                    status(500),
                    &budget,
                    Duration::ZERO,
                    0.0,
                    now(),
                )
            })
            .take_while(|d| matches!(d, Decision::RetryAfter(_)))
            .count();
        assert_eq!(retries, 100);
    }

    #[test]
    fn give_up_reasons_read_well() {
        assert_eq!(
            GiveUpReason::BudgetExhausted.to_string(),
            "the retry budget is exhausted"
        );
        assert!(GiveUpReason::NotIdempotent
            .to_string()
            .contains("idempotent"));
    }

    proptest! {
        #[test]
        fn jittered_backoff_is_within_zero_and_the_cap(
            base_ms in 0u64..100_000,
            max_ms in 0u64..1_000_000,
            attempt in any::<u32>(),
            rng in any::<f64>(),
        ) {
            let config = RetryConfig::default()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(max_ms));
            let cap = Duration::from_millis(max_ms)
                .min(Duration::from_millis(base_ms).saturating_mul(1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX)));
            let delay = config.backoff(attempt, rng);
            prop_assert!(delay <= cap, "{delay:?} > {cap:?}");
            prop_assert!(delay <= Duration::from_millis(max_ms));
        }

        #[test]
        fn unit_interval_jitter_is_within_the_cap(rng in 0.0f64..1.0, attempt in 1u32..10) {
            let config = RetryConfig::default();
            let cap = config.with_jitter(false).backoff(attempt, 0.0);
            let delay = RetryConfig::default().backoff(attempt, rng);
            prop_assert!(delay <= cap);
        }

        #[test]
        fn a_retry_delay_never_exceeds_the_caps(
            status in 400u16..600,
            header in "[0-9]{1,12}",
            attempt in 1u32..4,
            rng in 0.0f64..1.0,
        ) {
            let config = RetryConfig::default().with_total_timeout(None);
            let headers = header_map(&[("x-acs-retry-after", &header)]);
            let outcome = AttemptOutcome::Response { status, headers: &headers, service_code: None };
            let budget = RetryBudget::default();
            if let Decision::RetryAfter(delay) =
                decide(&config, &Method::GET, attempt, outcome, &budget, Duration::ZERO, rng, now())
            {
                prop_assert!(delay <= config.max_retry_after);
            }
        }
    }
}
