//! [`CredentialsCache`]: the one place where temporary credentials are cached, refreshed
//! and prefetched, shared by every clone of a client.
//!
//! The rules are the official libraries' (`alibabacloud-credentials` 1.0,
//! `RefreshCachedSupplier`), driven by the provider's [`RefreshPolicy`]:
//!
//! - credentials are *stale* [`RefreshPolicy::stale_before_expiry`] before they expire (15
//!   minutes by default) and are refreshed before use; credentials without an expiry are
//!   asked for again after [`RefreshPolicy::lifetime_without_expiry`] (1 hour);
//! - one refresh at a time: however many calls find the cache stale, one asks the provider
//!   and the others wait for its answer (single flight);
//! - a provider whose policy prefetches (the ECS RAM role) is refreshed in the background
//!   [`RefreshPolicy::prefetch_after`] after each fetch, while the cached credentials keep
//!   being served;
//! - credentials that arrive already inside the stale margin are used once and refreshed on
//!   the next call; credentials that arrive already expired are refused, unless cached ones
//!   are still good;
//! - when a refresh fails: with [`StaleBehavior::Strict`] (the default) the call fails with
//!   [`CredentialsError::Refresh`]; with [`StaleBehavior::Allow`] (the ECS RAM role) the cached
//!   credentials are served 1 to 10 s longer (growing with consecutive failures), and 50 to
//!   70 s longer when the service answered with credentials already expired.
//!
//! Every refresh is bounded by [`CredentialsCache::with_refresh_timeout`] (90 s by default:
//! above every provider's own limits — STS with its retries, an external process's 60 s —
//! so that it only ever stops a provider that hangs).
//! Deviation from the official library: it waits at most 5 s for another thread's refresh
//! and then refreshes itself; here waiters wait for the one refresh, which is itself bounded.

use super::provider::{ProvideCredentials, ProvidedCredentials, RefreshPolicy, StaleBehavior};
use super::CredentialsError;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The clock a cache reads (the system clock, or a test's).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Cached credentials of one provider, refreshed as the official libraries do. Cheap to
/// clone: clones share the cache and its single refresh.
///
/// ```
/// use snapshots_runtime::auth::{AccessKey, CredentialsCache};
/// use snapshots_runtime::auth::provider::{ProvideCredentials, ProvidedCredentials, ProviderFuture};
///
/// #[derive(Debug)]
/// struct Fixed;
/// impl ProvideCredentials for Fixed {
///     fn provide(&self) -> ProviderFuture<'_> {
///         Box::pin(async { Ok(ProvidedCredentials::new(AccessKey::new("id", "secret"), None, "fixed")) })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let cache = CredentialsCache::new(Fixed);
/// let credentials = cache.get().await?;
/// assert_eq!(credentials.key.id, "id");
/// # Ok::<(), snapshots_runtime::auth::CredentialsError>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct CredentialsCache {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Box<dyn ProvideCredentials>,
    /// A policy set on the cache, instead of the provider's (read at each refresh: a chain's
    /// policy is that of the provider it settled on).
    policy: Option<RefreshPolicy>,
    refresh_timeout: Duration,
    clock: Clock,
    /// What is served; read without waiting.
    cached: Mutex<Option<Entry>>,
    /// Held by the one refresh in flight; counts consecutive failed refreshes.
    refreshing: tokio::sync::Mutex<u32>,
}

#[derive(Clone)]
struct Entry {
    value: Arc<ProvidedCredentials>,
    stale_at: SystemTime,
    prefetch_at: Option<SystemTime>,
}

impl CredentialsCache {
    /// A cache of `provider`'s credentials, with its [`RefreshPolicy`].
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider: Box::new(provider),
                policy: None,
                refresh_timeout: Duration::from_secs(90),
                clock: Arc::new(SystemTime::now),
                cached: Mutex::new(None),
                refreshing: tokio::sync::Mutex::new(0),
            }),
        }
    }

    /// The same cache with another refresh policy (for tests and special deployments, such
    /// as credentials that live less than the 15-minute stale margin).
    #[must_use]
    pub fn with_policy(self, policy: RefreshPolicy) -> Self {
        self.rebuild(|inner| inner.policy = Some(policy))
    }

    /// The same cache with another bound on one refresh (default 90 s).
    #[must_use]
    pub fn with_refresh_timeout(self, timeout: Duration) -> Self {
        self.rebuild(|inner| inner.refresh_timeout = timeout)
    }

    /// The same cache reading another clock (for tests).
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        self.rebuild(|inner| inner.clock = clock)
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                change(&mut inner);
                Self {
                    inner: Arc::new(inner),
                }
            }
            // Already shared: settings are fixed once clones exist.
            Err(inner) => Self { inner },
        }
    }

    /// The provider's name.
    pub fn provider_name(&self) -> &'static str {
        self.inner.provider.name()
    }

    /// The current credentials: the cached ones while they are fresh (starting a background
    /// prefetch when it is due), else the result of one refresh.
    pub async fn get(&self) -> Result<Arc<ProvidedCredentials>, CredentialsError> {
        let now = (self.inner.clock)();
        if let Some(entry) = self.fresh(now) {
            if entry.prefetch_at.is_some_and(|at| now >= at) {
                self.prefetch();
            }
            return Ok(entry.value);
        }
        let mut failures = self.inner.refreshing.lock().await;
        // Another caller may have refreshed while this one waited.
        if let Some(entry) = self.fresh((self.inner.clock)()) {
            return Ok(entry.value);
        }
        self.refresh(&mut failures).await.map(|entry| entry.value)
    }

    /// The cached entry, if it is not stale at `now`.
    fn fresh(&self, now: SystemTime) -> Option<Entry> {
        let cached = self.inner.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached.as_ref().filter(|e| now < e.stale_at).cloned()
    }

    /// Starts a background refresh, unless one is running (or no tokio runtime is there to
    /// run it: the next stale read refreshes then).
    fn prefetch(&self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cache = self.clone();
        handle.spawn(async move {
            let Ok(mut failures) = cache.inner.refreshing.try_lock() else {
                return;
            };
            let now = (cache.inner.clock)();
            let due = cache.fresh(now).is_none_or(|e| e.prefetch_at.is_some_and(|at| now >= at));
            if due {
                if let Err(error) = cache.refresh(&mut failures).await {
                    tracing::warn!(provider = cache.provider_name(), %error, "background refresh failed");
                }
            }
        });
    }

    /// Asks the provider (bounded in time) and stores what is to be served next.
    async fn refresh(&self, failures: &mut u32) -> Result<Entry, CredentialsError> {
        let inner = &self.inner;
        let fetched = tokio::time::timeout(inner.refresh_timeout, inner.provider.provide())
            .await
            .unwrap_or_else(|_| {
                Err(CredentialsError::Refresh {
                    provider: inner.provider.name().to_owned(),
                    reason: format!("no answer within {:?}", inner.refresh_timeout),
                })
            });
        let now = (inner.clock)();
        let cached = inner
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let entry = match fetched {
            Ok(value) => {
                *failures = 0;
                self.on_success(value, cached, now)?
            }
            Err(error) => {
                *failures = failures.saturating_add(1);
                on_failure(&self.policy(), error, cached, now, *failures)?
            }
        };
        *inner.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(entry.clone());
        Ok(entry)
    }

    /// The refresh policy in force: the cache's own, else the provider's.
    fn policy(&self) -> RefreshPolicy {
        self.inner
            .policy
            .unwrap_or_else(|| self.inner.provider.refresh_policy())
    }

    /// What to serve after the provider answered with `value`.
    fn on_success(
        &self,
        value: ProvidedCredentials,
        cached: Option<Entry>,
        now: SystemTime,
    ) -> Result<Entry, CredentialsError> {
        let policy = &self.policy();
        let stale_at = match value.expiration {
            Some(expiry) => expiry
                .checked_sub(policy.stale_before_expiry)
                .unwrap_or(expiry),
            None => now + policy.lifetime_without_expiry,
        };
        let prefetch_at = policy.prefetch_after.map(|after| now + after);
        let expired = value.expiration.is_some_and(|expiry| now >= expiry);
        if !expired {
            // Inside the stale margin already: serve it, and refresh on the next call.
            return Ok(Entry {
                value: Arc::new(value),
                stale_at: stale_at.max(now),
                prefetch_at,
            });
        }
        let reason = "the service answered with credentials that have already expired";
        let extend = |seconds: std::ops::RangeInclusive<u64>, entry: Entry| Entry {
            stale_at: now + Duration::from_secs(crate::crypto::jitter::in_range(seconds)),
            ..entry
        };
        match (cached, policy.stale) {
            (None, _) => Err(CredentialsError::Refresh {
                provider: value.provider.to_owned(),
                reason: reason.to_owned(),
            }),
            (Some(entry), _) if now < entry.stale_at => Ok(entry),
            (Some(entry), StaleBehavior::Strict) => Ok(extend(1..=1, entry)),
            (Some(entry), _) => Ok(extend(50..=70, entry)),
        }
    }
}

/// What to serve after the provider failed with `error` (the `failures`-th time in a row).
fn on_failure(
    policy: &RefreshPolicy,
    error: CredentialsError,
    cached: Option<Entry>,
    now: SystemTime,
    failures: u32,
) -> Result<Entry, CredentialsError> {
    match (cached, policy.stale) {
        (None, _) => Err(error),
        (Some(entry), _) if now < entry.stale_at => Ok(entry),
        (Some(_), StaleBehavior::Strict) => Err(error),
        (Some(entry), _) => {
            // The library's `_max_stale_failure_jitter`: 1 s up to max(10 s, 100 ms * 2^(n-1)).
            let cap_ms = (100u64 << failures.saturating_sub(1).min(20)).max(10_000);
            let extra = Duration::from_millis(crate::crypto::jitter::in_range(1_000..=cap_ms));
            tracing::warn!(failures, %error, "refresh failed; serving the cached credentials a little longer");
            Ok(Entry {
                stale_at: now + extra,
                ..entry
            })
        }
    }
}

impl fmt::Debug for CredentialsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self
            .inner
            .cached
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|e| e.value.clone()));
        f.debug_struct("CredentialsCache")
            .field("provider", &self.inner.provider)
            .field("policy", &self.policy())
            .field("cached", &cached)
            .finish()
    }
}

/// Two caches are equal when they are clones of one another (they share everything).
impl PartialEq for CredentialsCache {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for CredentialsCache {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::provider::ProviderFuture;
    use crate::auth::AccessKey;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    /// A provider that counts its calls and answers from a script: each call gives a key
    /// `key-<n>` expiring `lifetime` after the test clock's now, or fails.
    #[derive(Debug)]
    struct Scripted {
        calls: Arc<AtomicU32>,
        clock: Arc<AtomicU64>,
        lifetime: Option<Duration>,
        fail_from: u32,
        delay: Duration,
        policy: RefreshPolicy,
    }

    impl ProvideCredentials for Scripted {
        fn provide(&self) -> ProviderFuture<'_> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(self.delay).await;
                if n >= self.fail_from {
                    return Err(CredentialsError::Refresh {
                        provider: "scripted".into(),
                        reason: format!("call {n} fails"),
                    });
                }
                let now = at(self.clock.load(Ordering::SeqCst));
                let key = AccessKey::new(format!("key-{n}"), "secret").with_security_token("token");
                Ok(ProvidedCredentials::new(
                    key,
                    self.lifetime.map(|l| now + l),
                    "scripted",
                ))
            })
        }

        fn refresh_policy(&self) -> RefreshPolicy {
            self.policy
        }
    }

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
    }

    struct Fixture {
        cache: CredentialsCache,
        calls: Arc<AtomicU32>,
        clock: Arc<AtomicU64>,
    }

    fn fixture(lifetime: Option<Duration>, fail_from: u32, policy: RefreshPolicy) -> Fixture {
        let calls = Arc::new(AtomicU32::new(0));
        let clock = Arc::new(AtomicU64::new(0));
        let provider = Scripted {
            calls: calls.clone(),
            clock: clock.clone(),
            lifetime,
            fail_from,
            delay: Duration::from_millis(10),
            policy,
        };
        let read = clock.clone();
        let cache = CredentialsCache::new(provider)
            .with_clock(Arc::new(move || at(read.load(Ordering::SeqCst))));
        Fixture {
            cache,
            calls,
            clock,
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test(start_paused = true)]
    async fn fresh_credentials_are_served_from_the_cache_until_15_minutes_before_expiry() {
        let f = fixture(Some(HOUR), u32::MAX, RefreshPolicy::default());
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        f.clock.store(44 * 60, Ordering::SeqCst);
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        assert_eq!(f.calls.load(Ordering::SeqCst), 1);
        f.clock.store(45 * 60, Ordering::SeqCst); // stale: 15 minutes before expiry
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-2");
        assert_eq!(f.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_concurrent_callers_cause_one_refresh() {
        let f = fixture(Some(HOUR), u32::MAX, RefreshPolicy::default());
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let cache = f.cache.clone();
                tokio::spawn(async move { cache.get().await.unwrap().key.id.clone() })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap(), "key-1");
        }
        assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn strict_refresh_failures_are_typed_errors() {
        let f = fixture(Some(HOUR), 2, RefreshPolicy::default());
        f.cache.get().await.unwrap();
        f.clock.store(50 * 60, Ordering::SeqCst);
        let error = f.cache.get().await.unwrap_err();
        assert!(
            matches!(error, CredentialsError::Refresh { ref provider, .. } if provider == "scripted"),
            "{error}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn allow_serves_the_cached_credentials_a_few_seconds_after_a_failure() {
        let f = fixture(
            Some(HOUR),
            2,
            RefreshPolicy::ecs_ram_role().with_prefetch_after(None),
        );
        f.cache.get().await.unwrap();
        f.clock.store(50 * 60, Ordering::SeqCst);
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        // Within the 1-10 s extension nothing is asked; after it, the provider is asked again.
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        assert_eq!(f.calls.load(Ordering::SeqCst), 2);
        f.clock.store(50 * 60 + 11, Ordering::SeqCst);
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        assert_eq!(f.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_inside_the_margin_are_used_once_then_refreshed() {
        let f = fixture(
            Some(Duration::from_secs(60)),
            u32::MAX,
            RefreshPolicy::default(),
        );
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-2");
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_expired_on_arrival_are_refused_without_a_cache() {
        let f = fixture(Some(Duration::ZERO), u32::MAX, RefreshPolicy::default());
        let error = f.cache.get().await.unwrap_err();
        assert!(error.to_string().contains("already expired"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn prefetch_refreshes_in_the_background_while_serving_the_cached_key() {
        let policy = RefreshPolicy::ecs_ram_role();
        let f = fixture(Some(6 * HOUR), u32::MAX, policy);
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        f.clock.store(3600, Ordering::SeqCst); // prefetch due after an hour
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-1");
        // Let the background task run.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(f.calls.load(Ordering::SeqCst), 2);
        assert_eq!(f.cache.get().await.unwrap().key.id, "key-2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_provider_is_bounded() {
        let calls = Arc::new(AtomicU32::new(0));
        let provider = Scripted {
            calls,
            clock: Arc::new(AtomicU64::new(0)),
            lifetime: Some(HOUR),
            fail_from: u32::MAX,
            delay: Duration::from_secs(3600),
            policy: RefreshPolicy::default(),
        };
        let cache = CredentialsCache::new(provider).with_refresh_timeout(Duration::from_secs(2));
        let error = cache.get().await.unwrap_err();
        assert!(error.to_string().contains("no answer within"), "{error}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let f = fixture(Some(HOUR), u32::MAX, RefreshPolicy::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(f.cache.get()).unwrap();
        let debug = format!("{:?}", f.cache);
        assert!(
            debug.contains("key-1") && !debug.contains("secret\"") && !debug.contains("token\""),
            "{debug}"
        );
    }
}
