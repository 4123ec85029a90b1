//! [`Client`]: one handle on every snapshot API, built by [`ClientBuilder`].
//!
//! The client holds one slot per profile of every generated API (`client/slots.rs`); the
//! accessors and base URL setters are generated (`src/generated/`). The builder sets up
//! credentials per auth scheme when it builds. For DSW and LangStudio ROA, unless
//! an access key, a provider or a bearer token is given, that is the Alibaba Cloud default
//! chain ([`snapshots_runtime::auth::chain`]: environment, OIDC/RRSA, CLI profile, INI file,
//! ECS RAM role, credentials URI), asked lazily, cached and refreshed as the official
//! libraries do: a call that finds no credentials fails with [`Error::Credentials`] listing
//! every source tried, and nothing is sent. An API whose fixed credentials are malformed does
//! not stop the others: its accessor returns [`Error::Credentials`] every time it is called. The
//! generated clients share one `reqwest::Client` (connect and read timeouts), one [`RateLimiter`] and one
//! [`RetryConfig`]; each has its own retry budget, so a failing service does not use up the
//! retries of the others.

mod slots;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use snapshots_runtime::auth::chain::{DefaultChain, Endpoints};
use snapshots_runtime::auth::credentials::{resolve_dashscope, Environment, ENV_DASHSCOPE_API_KEY};
use snapshots_runtime::auth::provider::ProvideCredentials;
use snapshots_runtime::auth::{AccessKey, CredentialsCache, CredentialsError, Secret};
use snapshots_runtime::{AuthScheme, Credentials, RateLimiter, RedirectPolicy, RetryConfig};

pub(crate) use slots::ApiEntry;
use slots::{SchemeCredentials, Shared, Slot, Unavailable};

use crate::error::Error;

/// The region of the default Alibaba Cloud endpoints.
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// The default connect timeout of the shared HTTP client.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default read timeout of the shared HTTP client (each read, waiting for the response
/// headers included).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The identity header of Graph OLAP.
pub const GRAPH_OLAP_USERNAME_HEADER: &str = "X-Username";

/// The SDK's client: one handle on PAI-DSW, PAI LangStudio (ROA and gateway forms) and
/// Graph OLAP snapshots.
///
/// Each accessor returns a reference to the generated client of its API, ready to use (its
/// runtime signs or authenticates, rate-limits and retries every request); clone it if you
/// need an owned one (it shares the runtime). An accessor fails with [`Error::Credentials`]
/// when the API has no credentials, and with [`Error::Config`] when it has no base URL
/// (Graph OLAP, which has no public endpoint).
///
/// Cheap to clone; clones share everything, the rate limiter included. `Debug` shows the
/// configuration and which credentials each API uses, never a secret.
///
/// ```no_run
/// # async fn demo() -> Result<(), snapshots::Error> {
/// let client = snapshots::Client::from_env()?;
/// let page = client
///     .dsw()?
///     .list_instance_snapshot()
///     .instance_id("dsw-730xxxxxxxxxx")
///     .page_size(snapshots::validate::dsw_page_size(20)?)
///     .send()
///     .await?;
/// println!("{:?} snapshots", page.total_count);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    connect_timeout: Duration,
    read_timeout: Duration,
    limiter: RateLimiter,
    retry: RetryConfig,
    /// One per (API, profile) of the generated `APIS` table, in its order.
    slots: Vec<Slot>,
}

impl Client {
    /// A client configured from the environment: the Alibaba Cloud credentials chain
    /// (`ALIBABA_CLOUD_ACCESS_KEY_*`, `~/.aliyun/config.json`,
    /// `~/.alibabacloud/credentials.ini`) for DSW and LangStudio, `DASHSCOPE_API_KEY` for
    /// LangStudio's gateway form, and every default of [`ClientBuilder`]. Succeeds when only
    /// some APIs have credentials; Graph OLAP needs [`ClientBuilder::graph_olap_url`] and an
    /// identity, so use the builder for it.
    pub fn from_env() -> Result<Client, Error> {
        Self::builder().build()
    }

    /// A builder with every default.
    ///
    /// ```
    /// use std::time::Duration;
    /// use snapshots::{Client, RateLimiter, RetryConfig};
    /// use snapshots::auth::AccessKey;
    ///
    /// # fn demo() -> Result<(), snapshots::Error> {
    /// let client = Client::builder()
    ///     .region("cn-shanghai")
    ///     .access_key(AccessKey::new("LTAI-example", "example-secret"))
    ///     .dashscope_api_key("sk-example")
    ///     .graph_olap_url("http://localhost:8080")
    ///     .graph_olap_username("alice")
    ///     .retry(RetryConfig::default().with_max_attempts(3))
    ///     .rate_limit(RateLimiter::per_second(5))
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .read_timeout(Duration::from_secs(30))
    ///     .build()?;
    ///
    /// let dsw = client.dsw()?; // signs with the access key
    /// let olap = client.graph_olap()?; // sends X-Username: alice
    /// assert_eq!(client.region(), "cn-shanghai");
    /// assert!(!format!("{client:?}").contains("example-secret"));
    /// # let _ = (dsw, olap); Ok(()) }
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client of the profile whose accessor is `accessor`, as the generated type `C`;
    /// what every generated accessor (`dsw()`, `graph_olap()`, ...) calls.
    pub(crate) fn api<C: std::any::Any>(&self, accessor: &str) -> Result<&C, Error> {
        self.inner
            .slots
            .iter()
            .find(|slot| slot.profile.accessor == accessor)
            .ok_or_else(|| Error::Config(format!("no API has the accessor {accessor:?}")))?
            .get::<C>()
    }

    /// Which Alibaba Cloud credentials the APIs of the `alibaba-acs3` scheme (DSW, LangStudio
    /// ROA) sign with now: the provider that supplied them, the access key id and the expiry,
    /// never a secret. Fetches them
    /// (through the cache) when they come from a provider, so it fails as a call would.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), snapshots::Error> {
    /// let identity = snapshots::Client::from_env()?.alibaba_identity().await?;
    /// println!("signing as {:?} (from {})", identity.access_key_id, identity.provider);
    /// # Ok(()) }
    /// ```
    pub async fn alibaba_identity(&self) -> Result<AlibabaIdentity, Error> {
        let slot = self
            .inner
            .slots
            .iter()
            .find(|slot| slot.profile.auth == AuthScheme::AlibabaAcs3)
            .ok_or_else(|| Error::Config("no API uses Alibaba Cloud credentials".to_owned()))?;
        let credentials = &slot
            .client
            .as_ref()
            .map_err(Unavailable::to_error)?
            .credentials;
        let identity = match credentials {
            Credentials::AccessKey(key) => AlibabaIdentity {
                provider: if key.security_token.is_some() {
                    "static_sts"
                } else {
                    "static_ak"
                }
                .to_owned(),
                access_key_id: Some(key.id.clone()),
                temporary: key.security_token.is_some(),
                expiration: None,
            },
            Credentials::Provider(cache) => {
                let current = cache.get().await?;
                AlibabaIdentity {
                    provider: current.provider.to_owned(),
                    access_key_id: Some(current.key.id.clone()),
                    temporary: current.key.security_token.is_some(),
                    expiration: current.expiration,
                }
            }
            _ => AlibabaIdentity {
                provider: "bearer_token".to_owned(),
                access_key_id: None,
                temporary: false,
                expiration: None,
            },
        };
        Ok(identity)
    }

    /// The region of the default Alibaba Cloud endpoints.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The rate limiter every request of every API of this client and its clones waits for.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// The retry policy of every API.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.retry
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut s = f.debug_struct("Client");
        s.field("region", &inner.region);
        for slot in &inner.slots {
            s.field(slot.profile.accessor, slot);
        }
        s.field("rate_limit", &inner.limiter)
            .field("retry", &inner.retry)
            .field("connect_timeout", &inner.connect_timeout)
            .field("read_timeout", &inner.read_timeout)
            .finish()
    }
}

/// Which Alibaba Cloud credentials a client signs with ([`Client::alibaba_identity`]); no
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlibabaIdentity {
    /// The provider, as the official libraries name them (`env`, `static_ak`,
    /// `ram_role_arn`, `oidc_role_arn`, `ecs_ram_role`, `credential_uri`, `external`,
    /// `bearer_token`, ...).
    pub provider: String,
    /// The access key id (none for a bearer token).
    pub access_key_id: Option<String>,
    /// Whether the key is temporary (carries an STS security token).
    pub temporary: bool,
    /// When the key expires, when known.
    pub expiration: Option<std::time::SystemTime>,
}

/// Builds a [`Client`]. Every setting has a default; see each method.
///
/// Credentials, per auth scheme of the APIs' profiles (`auth` in each spec's `x-profiles`;
/// the crate docs' accessor table says which API uses which):
///
/// | auth scheme | credentials, first found wins |
/// | --- | --- |
/// | `alibaba-acs3` (DSW, LangStudio ROA) | [`access_key`](Self::access_key), then [`credentials_provider`](Self::credentials_provider), then [`alibaba_bearer_token`](Self::alibaba_bearer_token), then the default chain ([`snapshots_runtime::auth::chain`]): environment, OIDC/RRSA, `~/.aliyun/config.json` (every mode but `CloudSSO`/`OAuth`), `~/.alibabacloud/credentials.ini`, the ECS RAM role, `ALIBABA_CLOUD_CREDENTIALS_URI` |
/// | `dashscope-bearer` (LangStudio gateway) | [`dashscope_api_key`](Self::dashscope_api_key), then `DASHSCOPE_API_KEY` |
/// | `graph-olap-identity` (Graph OLAP) | [`graph_olap_token`](Self::graph_olap_token), then [`graph_olap_username`](Self::graph_olap_username) |
///
/// `Debug` redacts every secret.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    access_key: Option<AccessKey>,
    credentials_provider: Option<CredentialsCache>,
    credential_endpoints: Option<Endpoints>,
    alibaba_bearer_token: Option<Secret>,
    dashscope_api_key: Option<Secret>,
    graph_olap_token: Option<Secret>,
    graph_olap_username: Option<String>,
    region: Option<String>,
    /// Base URLs set by accessor (`dsw`, `graph_olap`, ...).
    base_urls: BTreeMap<String, String>,
    /// The origin every API without a base URL of its own is sent to.
    origin: Option<String>,
    retry: Option<RetryConfig>,
    rate_limit: Option<RateLimiter>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    max_response_body: Option<usize>,
    redirects: Option<RedirectPolicy>,
    environment: Option<Environment>,
}

impl ClientBuilder {
    /// The Alibaba Cloud access key for DSW and LangStudio ROA (default: the credentials
    /// chain). Takes precedence over [`alibaba_bearer_token`](Self::alibaba_bearer_token).
    pub fn access_key(mut self, key: AccessKey) -> Self {
        self.access_key = Some(key);
        self
    }

    /// A provider of Alibaba Cloud credentials for DSW and LangStudio ROA, cached and
    /// refreshed by a [`CredentialsCache`] shared by every clone of the client (a provider
    /// of your own, or one of [`snapshots_runtime::auth::providers`]). Takes precedence over
    /// the default chain and the bearer token; an [`access_key`](Self::access_key) takes
    /// precedence over it.
    ///
    /// ```
    /// use snapshots::auth::providers::{RamRoleArn, StaticKey};
    /// use snapshots::auth::{AccessKey, CredentialsCache};
    ///
    /// let source = CredentialsCache::new(StaticKey::new(AccessKey::new("LTAI-id", "secret"), "static_ak"));
    /// let client = snapshots::Client::builder()
    ///     .credentials_provider(RamRoleArn::new(source, "acs:ram::123456789:role/snapshots"))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), snapshots::Error>(())
    /// ```
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials_provider = Some(CredentialsCache::new(provider));
        self
    }

    /// Like [`credentials_provider`](Self::credentials_provider), with a cache of your own
    /// (its refresh policy, refresh timeout or clock set; or one cache shared by several
    /// clients, so that they refresh once between them).
    ///
    /// ```
    /// use snapshots::auth::{CredentialsCache, DefaultChain, Environment, RefreshPolicy};
    /// use std::time::Duration;
    ///
    /// // Credentials that live less than the 15-minute stale margin: refresh 1 s before.
    /// let cache = CredentialsCache::new(DefaultChain::new(Environment::from_process()))
    ///     .with_policy(RefreshPolicy::default().with_stale_before_expiry(Duration::from_secs(1)));
    /// let client = snapshots::Client::builder().credentials_cache(cache).build()?;
    /// # let _ = client;
    /// # Ok::<(), snapshots::Error>(())
    /// ```
    pub fn credentials_cache(mut self, cache: CredentialsCache) -> Self {
        self.credentials_provider = Some(cache);
        self
    }

    /// Where the default chain's credential services are (STS, the ECS instance metadata
    /// service), when not at Alibaba Cloud's addresses: the emulator, a proxy.
    pub fn credential_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.credential_endpoints = Some(endpoints);
        self
    }

    /// An Alibaba Cloud bearer token for DSW and LangStudio ROA, sent as
    /// `x-acs-bearer-token` instead of a signature. Used when no access key was set; the
    /// credentials chain is then not read.
    pub fn alibaba_bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.alibaba_bearer_token = Some(token.into());
        self
    }

    /// The DashScope API key for LangStudio's gateway form (default: `DASHSCOPE_API_KEY`).
    pub fn dashscope_api_key(mut self, key: impl Into<Secret>) -> Self {
        self.dashscope_api_key = Some(key.into());
        self
    }

    /// A bearer token for Graph OLAP (`Authorization: Bearer`), for a control plane behind
    /// an authenticating proxy. Takes precedence over
    /// [`graph_olap_username`](Self::graph_olap_username).
    pub fn graph_olap_token(mut self, token: impl Into<Secret>) -> Self {
        self.graph_olap_token = Some(token.into());
        self
    }

    /// The Graph OLAP identity, sent as the `X-Username` header (1 to 255 characters).
    pub fn graph_olap_username(mut self, username: impl Into<String>) -> Self {
        self.graph_olap_username = Some(username.into());
        self
    }

    /// The region of the default DSW and LangStudio ROA endpoints (default
    /// [`DEFAULT_REGION`], `cn-hangzhou`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The base URL of the API profile whose accessor is `accessor` (`"dsw"`,
    /// `"graph_olap"`, ...), instead of its default. Each profile also has a setter of its
    /// own, generated: [`dsw_url`](Self::dsw_url), [`graph_olap_url`](Self::graph_olap_url),
    /// ... An accessor that no API has fails [`build`](Self::build) with [`Error::Config`].
    ///
    /// ```
    /// use snapshots::graph_olap::ClientInfo;
    ///
    /// let client = snapshots::Client::builder()
    ///     .base_url("graph_olap", "http://localhost:8080")
    ///     .graph_olap_username("alice")
    ///     .build()?;
    /// assert_eq!(client.graph_olap()?.baseurl(), "http://localhost:8080");
    ///
    /// // An accessor that no API has is refused, not ignored.
    /// let typo = snapshots::Client::builder().base_url("graph_olpa", "http://localhost:8080");
    /// assert!(matches!(typo.build(), Err(snapshots::Error::Config(_))));
    /// # Ok::<(), snapshots::Error>(())
    /// ```
    pub fn base_url(mut self, accessor: &str, url: impl Into<String>) -> Self {
        self.base_urls.insert(accessor.to_owned(), url.into());
        self
    }

    /// Sends every API to this origin (`http://host:port`), at the path of its profile's
    /// default base URL: what a server that answers every API at its real paths needs, such
    /// as the emulator (`snapshot_emulator::RunningEmulator::base_url`) or a proxy. A base
    /// URL set for one accessor ([`base_url`](Self::base_url)) still wins; a profile without
    /// a default (Graph OLAP) is sent to the origin itself.
    ///
    /// ```
    /// use snapshots::pai_dsw::ClientInfo as _;
    /// use snapshots::pai_langstudio::ClientInfo as _;
    ///
    /// let client = snapshots::Client::builder()
    ///     .environment(snapshots::auth::Environment::default())
    ///     .alibaba_bearer_token("emulator-demo-alibaba-bearer-token")
    ///     .dashscope_api_key("sk-emulator-demo-dashscope-key")
    ///     .origin("http://127.0.0.1:8787")
    ///     .build()?;
    /// assert_eq!(client.dsw()?.baseurl(), "http://127.0.0.1:8787");
    /// assert_eq!(
    ///     client.langstudio_gateway()?.baseurl(),
    ///     "http://127.0.0.1:8787/api/PAILangStudio/2024-07-10"
    /// );
    /// # Ok::<(), snapshots::Error>(())
    /// ```
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// The retry policy of every API (default [`RetryConfig::default`]: 1 s, 2 s, 4 s with
    /// jitter, at most 3 retries, a 60 s total time limit, a retry budget).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The rate limit shared by every API and every clone of the client (default 10
    /// requests per second, seed 000).
    pub fn rate_limit(mut self, limiter: RateLimiter) -> Self {
        self.rate_limit = Some(limiter);
        self
    }

    /// The connect timeout of the shared HTTP client (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The read timeout of the shared HTTP client (default 10 s): the longest wait for the
    /// response headers or for each read of the body.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// The most bytes of a response body the client reads (default 8 MiB,
    /// [`snapshots_runtime::DEFAULT_MAX_RESPONSE_BODY`]), for success and error responses
    /// alike. A longer body fails the call with [`Error::ResponseTooLarge`] as soon as the
    /// limit is passed, without reading the rest; it is not retried.
    ///
    /// ```
    /// let client = snapshots::Client::builder().max_response_body(1 << 20).build()?;
    /// # let _ = client;
    /// # Ok::<(), snapshots::Error>(())
    /// ```
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// Whether redirects are followed (default [`RedirectPolicy::None`]: a 3xx fails the
    /// call with [`Error::Redirect`]). [`RedirectPolicy::SameOrigin`] follows them within
    /// the request's scheme, host and port only, re-authenticating each hop; no credential
    /// ever reaches another origin.
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = Some(policy);
        self
    }

    /// The environment the credentials chain reads (default
    /// [`Environment::from_process`]). For tests, and for programs that keep their
    /// configuration elsewhere than in the process environment.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Builds the client.
    ///
    /// Fails with [`Error::Config`] on an invalid region or base URL, or when the HTTP
    /// client cannot be built. Missing or unusable credentials do not fail the build: the
    /// accessor of that API reports them.
    pub fn build(self) -> Result<Client, Error> {
        let region = self.region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
        check_region(&region)?;
        let mut overrides = self.base_urls;
        if let Some(origin) = &self.origin {
            slots::at_origin(crate::generated::APIS, origin, &mut overrides)?;
        }
        let urls = slots::base_urls(crate::generated::APIS, &overrides, &region)?;
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let read_timeout = self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT);
        // The runtime decides redirects itself: the HTTP client follows none.
        let http = snapshots_runtime::http_client_builder()
            .connect_timeout(connect_timeout)
            .read_timeout(read_timeout)
            .build()
            .map_err(|e| Error::Config(format!("the HTTP client cannot be built: {e}")))?;
        let shared = Shared {
            http,
            retry: self.retry.unwrap_or_default(),
            limiter: self.rate_limit.unwrap_or_default(),
            max_body: self
                .max_response_body
                .unwrap_or(snapshots_runtime::DEFAULT_MAX_RESPONSE_BODY),
            redirects: self.redirects.unwrap_or_default(),
        };
        let env = self.environment.unwrap_or_else(Environment::from_process);
        let credentials = SchemeCredentials {
            alibaba: alibaba_credentials(
                self.access_key,
                self.credentials_provider,
                self.alibaba_bearer_token,
                env.clone(),
                self.credential_endpoints.unwrap_or_default(),
            ),
            dashscope: dashscope_credentials(self.dashscope_api_key, &env),
            identity: graph_olap_credentials(self.graph_olap_token, self.graph_olap_username),
        };
        let slots = slots::build(crate::generated::APIS, urls, &credentials, &shared);
        Ok(Client {
            inner: Arc::new(Inner {
                region,
                connect_timeout,
                read_timeout,
                limiter: shared.limiter,
                retry: shared.retry,
                slots,
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base_urls: BTreeMap<&str, String> = self
            .base_urls
            .iter()
            .map(|(accessor, url)| (accessor.as_str(), redact_url(url)))
            .collect();
        f.debug_struct("ClientBuilder")
            .field("access_key", &self.access_key)
            .field("alibaba_bearer_token", &self.alibaba_bearer_token)
            .field("dashscope_api_key", &self.dashscope_api_key)
            .field("graph_olap_token", &self.graph_olap_token)
            .field("graph_olap_username", &self.graph_olap_username)
            .field("region", &self.region)
            .field("base_urls", &base_urls)
            .field("origin", &self.origin.as_deref().map(redact_url))
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_response_body", &self.max_response_body)
            .field("redirects", &self.redirects)
            .field("environment", &self.environment)
            .finish()
    }
}

/// Explicit access key, then explicit provider, then explicit Alibaba bearer token, then the
/// default chain (asked lazily, at the first call).
fn alibaba_credentials(
    key: Option<AccessKey>,
    provider: Option<CredentialsCache>,
    bearer: Option<Secret>,
    env: Environment,
    endpoints: Endpoints,
) -> Result<Credentials, Unavailable> {
    if let Some(key) = key {
        let (id, secret) = (key.id.is_empty(), key.secret.is_empty());
        if id || secret {
            return Err(Unavailable::Credentials(CredentialsError::Malformed {
                source_name: "explicit access key".to_owned(),
                reason: format!(
                    "the access key {} is empty",
                    if id { "id" } else { "secret" }
                ),
            }));
        }
        return Ok(Credentials::AccessKey(key));
    }
    if let Some(provider) = provider {
        return Ok(Credentials::Provider(provider));
    }
    if let Some(token) = bearer {
        check_header_secret(&token, "explicit Alibaba bearer token")?;
        return Ok(Credentials::AlibabaBearer(token));
    }
    let chain = DefaultChain::new(env).with_endpoints(endpoints);
    Ok(Credentials::Provider(CredentialsCache::new(chain)))
}

/// Explicit DashScope key, then `DASHSCOPE_API_KEY`.
fn dashscope_credentials(
    key: Option<Secret>,
    env: &Environment,
) -> Result<Credentials, Unavailable> {
    let (key, source) = match key {
        Some(key) => (key, "explicit DashScope API key".to_owned()),
        None => match resolve_dashscope(env) {
            Ok(key) => (key, format!("environment ({ENV_DASHSCOPE_API_KEY})")),
            Err(CredentialsError::NotFound { mut tried }) => {
                tried.insert(0, "explicit DashScope API key (none given)".to_owned());
                return Err(Unavailable::Credentials(CredentialsError::NotFound {
                    tried,
                }));
            }
            Err(other) => return Err(Unavailable::Credentials(other)),
        },
    };
    if key.is_empty() {
        return Err(malformed(&source, "the key is empty"));
    }
    check_header_secret(&key, &source)?;
    Ok(Credentials::Bearer(key))
}

/// Explicit bearer token, then explicit `X-Username`.
fn graph_olap_credentials(
    token: Option<Secret>,
    username: Option<String>,
) -> Result<Credentials, Unavailable> {
    if let Some(token) = token {
        check_header_secret(&token, "explicit Graph OLAP bearer token")?;
        return Ok(Credentials::Bearer(token));
    }
    let Some(username) = username else {
        return Err(Unavailable::Credentials(CredentialsError::NotFound {
            tried: vec![
                "explicit Graph OLAP bearer token (none given)".to_owned(),
                format!(
                    "explicit Graph OLAP username for {GRAPH_OLAP_USERNAME_HEADER} (none given)"
                ),
            ],
        }));
    };
    let source = format!("explicit Graph OLAP username ({GRAPH_OLAP_USERNAME_HEADER})");
    if username.parse::<graph_olap::types::Username>().is_err() {
        return Err(malformed(&source, "must be 1 to 255 characters"));
    }
    if reqwest::header::HeaderValue::from_str(&username).is_err() {
        return Err(malformed(&source, "not a valid HTTP header value"));
    }
    Ok(Credentials::Header {
        name: GRAPH_OLAP_USERNAME_HEADER.to_owned(),
        value: username,
    })
}

/// A secret the runtime will put in a header: the runtime would silently drop an invalid
/// one, so refuse it here (without quoting it).
fn check_header_secret(secret: &Secret, source: &str) -> Result<(), Unavailable> {
    if secret.is_empty() {
        return Err(malformed(source, "the value is empty"));
    }
    if reqwest::header::HeaderValue::from_str(&format!("Bearer {}", secret.expose())).is_err() {
        return Err(malformed(
            source,
            "not a valid HTTP header value (control characters or non-ASCII)",
        ));
    }
    Ok(())
}

fn malformed(source: &str, reason: &str) -> Unavailable {
    Unavailable::Credentials(CredentialsError::Malformed {
        source_name: source.to_owned(),
        reason: reason.to_owned(),
    })
}

/// A region is part of a host name: lowercase letters, digits, inner hyphens.
fn check_region(region: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "invalid region {region:?}: lowercase letters, digits and inner hyphens, such as \
             {DEFAULT_REGION:?}"
        )))
    }
}

/// A base URL, checked (absolute `http` or `https` with a host, no query, no user or
/// password) and without a
/// trailing slash (the generated clients append `/path`).
fn base_url(api: &str, url: String) -> Result<String, Error> {
    let invalid = |why: &str| {
        Error::Config(format!(
            "invalid {api} base URL {:?}: {why}",
            redact_url(&url)
        ))
    };
    let parsed = reqwest::Url::parse(&url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment"));
    }
    // The generated clients show their base URL in `Debug`: no secret may live in it.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "a base URL takes no user or password; set the credentials on the builder",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `url` with any password replaced by `***`, for messages and `Debug`.
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) if url.contains('@') => "<unparsable URL>".to_owned(),
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in ["cn-hangzhou", "ap-southeast-1", "us-west-1"] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-cn", "cn-", "CN-hangzhou", "cn.hangzhou", "cn/evil"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        let url = base_url("X", "http://localhost:8080/".into()).unwrap();
        assert_eq!(url, "http://localhost:8080");
        for bad in [
            "localhost:8080",
            "ftp://host",
            "http://host/?a=b",
            "not a url",
        ] {
            assert!(
                matches!(base_url("X", bad.into()), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn url_passwords_are_redacted() {
        let shown = redact_url("https://user:hunter2@host/path");
        assert!(!shown.contains("hunter2"), "{shown}");
        for url in ["ftp://user:hunter2@host", "https://user:hunter2@host"] {
            let e = base_url("X", url.into()).unwrap_err();
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }
}
