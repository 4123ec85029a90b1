//! [`ProvideCredentials`]: where an access key comes from when it is not a fixed value (an
//! assumed RAM role, RRSA/OIDC, the ECS instance's RAM role, a credentials URI, an external
//! process), and [`RefreshPolicy`]: how long what it gives may be used.
//!
//! A provider is asked again each time its credentials go stale; the caching, single-flight
//! refresh and prefetch rules live in one place, [`CredentialsCache`](super::CredentialsCache),
//! so a provider only fetches.
//!
//! ```
//! use snapshots_runtime::auth::provider::{ProvideCredentials, ProvidedCredentials, ProviderFuture};
//! use snapshots_runtime::auth::{AccessKey, CredentialsError};
//!
//! /// A provider of one fixed key, as a user might write one.
//! #[derive(Debug)]
//! struct Fixed;
//!
//! impl ProvideCredentials for Fixed {
//!     fn provide(&self) -> ProviderFuture<'_> {
//!         Box::pin(async { Ok(ProvidedCredentials::new(AccessKey::new("id", "secret"), None, "fixed")) })
//!     }
//! }
//! ```

use super::{AccessKey, CredentialsError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// The future a provider returns.
pub type ProviderFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ProvidedCredentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials that may change over time.
///
/// `provide` fetches afresh every time it is called (a network call for most providers);
/// callers use a [`CredentialsCache`](super::CredentialsCache), which calls it only when the
/// cached credentials go stale, once however many requests wait.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Fetches the current credentials. Every network call inside is bounded in time; a
    /// failure names the provider and the cause, never a secret.
    fn provide(&self) -> ProviderFuture<'_>;

    /// The provider's name in errors and logs (`ram_role_arn`, `ecs_ram_role`, ...).
    fn name(&self) -> &'static str {
        "custom"
    }

    /// How long what this provider gives may be served ([`RefreshPolicy::default`]: stale
    /// 15 minutes before expiry, never served stale, no prefetch).
    fn refresh_policy(&self) -> RefreshPolicy {
        RefreshPolicy::default()
    }
}

/// An access key from a provider, with its expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct ProvidedCredentials {
    /// The key (with its STS security token for temporary credentials).
    pub key: AccessKey,
    /// When the key stops working; `None` for a long-lived key.
    pub expiration: Option<SystemTime>,
    /// The provider that gave it, as the official libraries name them (`env`,
    /// `ram_role_arn`, `oidc_role_arn`, `ecs_ram_role`, `credential_uri`, `external`, ...).
    pub provider: &'static str,
}

impl ProvidedCredentials {
    /// Credentials from `provider`.
    pub fn new(key: AccessKey, expiration: Option<SystemTime>, provider: &'static str) -> Self {
        Self {
            key,
            expiration,
            provider,
        }
    }
}

impl fmt::Debug for ProvidedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedCredentials")
            .field("key", &self.key)
            .field("expiration", &self.expiration.map(httpdate::fmt_http_date))
            .field("provider", &self.provider)
            .finish()
    }
}

/// What a cache may do with the credentials of one provider, after the official libraries'
/// `RefreshCachedSupplier` (`alibabacloud-credentials` 1.0, `refreshable.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshPolicy {
    /// Credentials go stale this long before they expire (15 minutes; 3 minutes for an
    /// external process). Stale credentials are refreshed before use.
    pub stale_before_expiry: Duration,
    /// How long credentials without an expiry are used before asking again (1 hour).
    pub lifetime_without_expiry: Duration,
    /// Refresh in the background this long after a fetch, before they go stale (ECS RAM
    /// role: 1 hour, 5 minutes when the metadata gave no expiry); `None`: no prefetch.
    pub prefetch_after: Option<Duration>,
    /// Whether cached credentials may be served past their stale time when refreshing fails.
    pub stale: StaleBehavior,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            stale_before_expiry: Duration::from_secs(15 * 60),
            lifetime_without_expiry: Duration::from_secs(60 * 60),
            prefetch_after: None,
            stale: StaleBehavior::Strict,
        }
    }
}

impl RefreshPolicy {
    /// The ECS RAM role's policy: prefetched in the background an hour after each fetch,
    /// and served a little longer when a refresh fails ([`StaleBehavior::Allow`]).
    pub fn ecs_ram_role() -> Self {
        Self {
            prefetch_after: Some(Duration::from_secs(60 * 60)),
            stale: StaleBehavior::Allow,
            ..Self::default()
        }
    }

    /// Sets [`stale_before_expiry`](Self::stale_before_expiry).
    #[must_use]
    pub fn with_stale_before_expiry(mut self, margin: Duration) -> Self {
        self.stale_before_expiry = margin;
        self
    }

    /// Sets [`prefetch_after`](Self::prefetch_after).
    #[must_use]
    pub fn with_prefetch_after(mut self, after: Option<Duration>) -> Self {
        self.prefetch_after = after;
        self
    }
}

/// Whether stale credentials may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StaleBehavior {
    /// Never serve stale credentials: a failed refresh is an error (the default).
    Strict,
    /// When a refresh fails, keep serving the cached credentials for a few more seconds
    /// (1 to 10 s, growing with consecutive failures); when the service answers with
    /// credentials already expired, keep the cached ones 50 to 70 s.
    Allow,
}

/// A boxed provider is a provider (the chain builds providers it only knows at run time).
impl ProvideCredentials for Box<dyn ProvideCredentials> {
    fn provide(&self) -> ProviderFuture<'_> {
        (**self).provide()
    }

    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn refresh_policy(&self) -> RefreshPolicy {
        (**self).refresh_policy()
    }
}
