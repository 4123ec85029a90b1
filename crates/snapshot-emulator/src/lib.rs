//! A local emulator of the snapshot APIs: PAI-DSW 2022-01-01 instance snapshots, PAI
//! LangStudio 2024-07-10 snapshots (ROA and gateway form) and the Graph OLAP control plane,
//! in memory, on one loopback port. It is a service, not a mock that says yes: it
//! authenticates as the real services do, keeps state, runs the state machines, enforces
//! the name rules and answers errors in each API's own shape. Responses are built from the
//! generated crates' types (`pai_dsw::types`, `pai_langstudio::types`, `graph_olap::types`)
//! and request bodies decode into them, so the emulator cannot drift from the specs; routes
//! are registered from the generated `OPERATIONS` tables.
//!
//! ```
//! use snapshot_emulator::{start, EmulatorConfig};
//! use snapshots_runtime::auth::AccessKey;
//! use snapshots_runtime::{Credentials, RateLimiter, Runtime};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = EmulatorConfig::default();
//! let key = AccessKey::new(
//!     config.credentials.access_key_id.clone(),
//!     config.credentials.access_key_secret.clone(),
//! );
//! let instance = config.dsw_instances[0].clone();
//! let emulator = start(config, "127.0.0.1:0".parse()?).await?;
//!
//! // The generated DSW client, V3-signing every request, against the emulator.
//! let runtime = Runtime::builder()
//!     .credentials(Credentials::AccessKey(key))
//!     .rate_limit(RateLimiter::unlimited())
//!     .build();
//! let dsw = pai_dsw::Client::new_with_client(&emulator.dsw_url(), reqwest::Client::new(), runtime);
//! let created = dsw
//!     .create_instance_snapshot()
//!     .instance_id(&instance)
//!     .body(
//!         pai_dsw::types::CreateInstanceSnapshotRequest::builder()
//!             .snapshot_name("my-env-v1")
//!             .image_url("registry.example/ns/env:v1"),
//!     )
//!     .send()
//!     .await?
//!     .into_inner();
//! let id = created.snapshot_id.expect("an id");
//! assert!(id.starts_with("snp-"));
//! let got = dsw.get_instance_snapshot().instance_id(&instance).snapshot_id(&id).send().await?;
//! assert_eq!(got.status.as_deref(), Some("Pushing"));
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Routes
//!
//! One port; each API at the real paths of its service, at the root, so that any client of
//! the real service works unchanged with the emulator's `host:port` as its endpoint
//! ([`RunningEmulator::endpoint`]; base URLs [`RunningEmulator::dsw_url`] and so on). Each
//! API also answers under a compatibility prefix (`/dsw/api/v2/...`), the form of earlier
//! versions; see the `mount` module's source documentation.
//!
//! | real paths (compatibility prefix) | API | auth |
//! | --- | --- | --- |
//! | `/api/v2/instances/{InstanceId}/snapshots[/{SnapshotId}]` (`/dsw`) | DSW: `POST`/`GET` the collection, `GET`/`DELETE` one | `ACS3-HMAC-SHA256` or Alibaba bearer token |
//! | `/api/v1/langstudio/snapshots[/{SnapshotId}]` (`/langstudio`) | LangStudio ROA: `POST`/`GET` the collection, `GET`/`PUT`/`DELETE` one | `ACS3-HMAC-SHA256` or Alibaba bearer token |
//! | `/api/PAILangStudio/2024-07-10/{Action}` (`/langstudio-gateway`) | LangStudio gateway: `POST CreateSnapshot`, `GET ListSnapshots`, `GET GetSnapshot`, `PUT UpdateSnapshot`, `DELETE DeleteSnapshot` | `Authorization: Bearer <DashScope key>` |
//! | every other `/api/...` (`/graph-olap`) | Graph OLAP control plane ([`graph_olap`]) | `X-Username` |
//! | `/sts` (and `/`) | STS 2015-04-01, `GET`/`POST` with `Action=AssumeRole` or `AssumeRoleWithOIDC` ([`credentials`]) | `AssumeRole`: RPC V1 `HMAC-SHA1`; OIDC: the token |
//! | `/imds` | ECS metadata: `PUT /latest/api/token`, `GET /latest/meta-data/ram/security-credentials/[<role>]` | IMDSv2 token, optional unless [`CredentialServices::imds_require_token`] |
//! | `/credentials-uri` | `GET` (any path below): `{"Code": "Success", "AccessKeyId", ...}` | none |
//! | `/healthz`, `/_emulator` | health (`200 {"status": "ok"}`); `faults` (see [`faults`]) and `health`; no auth, never faulted | |
//!
//! An unknown `/api/...` path is Graph OLAP's, unless the request names DSW's or
//! LangStudio's version in `x-acs-version` (the real services tell them apart by host).
//!
//! The temporary credentials that `/sts`, `/imds` and `/credentials-uri` issue open `/dsw`
//! and `/langstudio` (with their `x-acs-security-token`) until they expire;
//! [`CredentialServices::credentials_lifetime`] caps their lifetime (so tests can see them
//! expire) and [`RunningEmulator::credential_requests`] counts the requests of each kind.
//! Point a client's STS endpoint at [`RunningEmulator::sts_url`], its ECS metadata host at
//! [`RunningEmulator::imds_url`] and `ALIBABA_CLOUD_CREDENTIALS_URI` at
//! [`RunningEmulator::credentials_uri`]. Details and error codes: [`credentials`].
//!
//! The signature is verified over the path as sent, as the real services do: an official
//! SDK signs `/api/v2/instances/...`; a client with base URL `http://<addr>/dsw` signs
//! `/dsw/api/v2/...`, and that is what is checked. Every
//! response of the Alibaba APIs has an `x-acs-request-id` header and the same id in its
//! `RequestId`. Authentication and its error codes: [`auth`] (module docs).
//!
//! Request bodies are at most 1 MiB and, when a `Content-Type` is sent, JSON; a body too
//! large, with another content type or malformed is answered in the API's own error shape
//! (Alibaba `413 RequestBodyTooLarge` / `400 InvalidParameter`; Graph OLAP its envelope,
//! `413 INVALID_REQUEST` / `422 VALIDATION_FAILED`; `/_emulator` `{"error": ...}`), never in
//! plain text. The table is in the `body` module's source documentation.
//!
//! # State machines and conventions
//!
//! - **DSW**: `Pushing` for [`Timing::dsw_push`], then `Saved`; `Failed` (with `ReasonCode`
//!   and `ReasonMessage`) when the snapshot's name or image URL contains `fail`. Names are
//!   unique per instance; an image tag in use needs `Overwrite`. Details: [`dsw`].
//! - **LangStudio**: `Creating` for [`Timing::langstudio_create`], then `Success`; `Failed`
//!   (with `ErrorMessage`) when the name contains `fail`. These status names are the
//!   emulator's choice: the seed and the SDK document none. Names are unique per workspace.
//!   Details, filters and pagination: [`langstudio`], [`pagination`].
//! - States are computed from the creation time when read; nothing runs in the background.
//!   `Timing { dsw_push: Duration::ZERO, .. }` makes every snapshot final at once.
//! - Ids: `snp-` + 13 lowercase letters or digits (DSW), `snap-` + 13 (LangStudio);
//!   timestamps `YYYY-MM-DDThh:mm:ssZ`; lists sort stably (creation order breaks ties).
//!
//! # Faults
//!
//! [`Faults`] injects 5xx answers, 429 with `Retry-After`, latency and dropped connections,
//! per method and path, by count or by seeded fraction, before or after the handler (so
//! "the create was applied but the client saw a 503" can be tested). Set them from Rust
//! ([`RunningEmulator::faults`]) or over HTTP (`POST /_emulator/faults`). See [`faults`].
//!
//! # Binary
//!
//! `cargo run -p snapshot-emulator` starts it on `127.0.0.1:8787` (`--addr`) and prints the
//! base URLs, the demo credentials and the matching `export` lines
//! ([`RunningEmulator::env`]); `--print-env` first prints the same variables as bare
//! `NAME=value` lines ended by an empty line, for scripts. `--dsw-push-ms`,
//! `--langstudio-create-ms`, `--dsw-instance`, `--workspace`, `--fault-seed`,
//! `--credentials-lifetime-ms`, `--imds-require-token` and `--imds-v2-disabled` change the
//! defaults of [`EmulatorConfig`]; `--seed FILE` starts it with a [`Seed`] (JSON or YAML);
//! `--state FILE` reads that file at start when it exists and writes
//! [`RunningEmulator::state`] back at shutdown (atomically; at most 16 MiB). It serves until
//! Ctrl-C or SIGTERM.
//!
//! # Server limits
//!
//! The server of [`start`] closes, without an answer, a connection that has not sent a
//! request's complete headers within [`ServerLimits::header_read_timeout`] (10 s; idle
//! kept-alive connections are closed after it too), and serves at most
//! [`ServerLimits::max_connections`] connections at once (512). When they are all taken
//! and another client connects, the server accepts no one else until a slot frees, and the
//! open connections answer their next request with `Connection: close`: new clients wait
//! in the listen backlog and are served, oldest first, as slots free (an idle kept-alive
//! connection frees its slot at the header-read timeout). Set both in
//! [`EmulatorConfig::server`]. Clients that open many connections at once should close
//! idle pooled connections sooner than the header-read timeout (reqwest's
//! `pool_idle_timeout`), so that they neither reuse one the server is closing nor keep
//! slots from waiting clients.
//!
//! # Concurrency
//!
//! Each API's store sits behind one lock taken for the few microseconds a change needs;
//! ids are checked for uniqueness under it. A thousand concurrent creates all land, once.

pub mod auth;
pub(crate) mod body;
#[macro_use]
pub(crate) mod build;
pub mod credentials;
pub mod dsw;
pub(crate) mod error;
pub mod faults;
pub mod graph_olap;
pub(crate) mod ids;
pub mod langstudio;
pub(crate) mod mount;
pub mod pagination;
pub(crate) mod query;
pub mod seed;
mod server;

pub use credentials::{CredentialRequests, CredentialServices};
pub use faults::{Fault, FaultId, FaultRule, FaultStatus, Faults, InvalidFault, When};
pub use seed::{
    GraphOlapMapping, GraphOlapNextIds, GraphOlapSnapshot, GraphOlapStatus, Seed, SeedError,
};

use axum::middleware::from_fn_with_state;
use axum::Router;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The credentials the emulator accepts. `Debug` shows the AccessKey id only.
///
/// ```
/// let creds = snapshot_emulator::DemoCredentials::default();
/// let shown = format!("{creds:?}");
/// assert!(shown.contains(&creds.access_key_id));
/// assert!(!shown.contains(&creds.access_key_secret));
/// assert!(!shown.contains(&creds.dashscope_api_key));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DemoCredentials {
    /// The AccessKey id signatures must name (`Credential=`).
    pub access_key_id: String,
    /// The AccessKey secret signatures are checked with.
    pub access_key_secret: String,
    /// The Alibaba bearer token (`x-acs-bearer-token`) the ROA APIs accept.
    pub alibaba_bearer_token: String,
    /// The DashScope API key (`Authorization: Bearer`) the LangStudio gateway accepts.
    pub dashscope_api_key: String,
    /// When set, the AccessKey is treated as temporary STS credentials: every signed request
    /// must carry this `x-acs-security-token` (else `MissingSecurityToken`).
    pub security_token: Option<String>,
}

impl Default for DemoCredentials {
    /// The demo values: they only open this emulator.
    fn default() -> Self {
        Self {
            access_key_id: "LTAI5tEmulatorDemoKeyId".to_owned(),
            access_key_secret: "emulator-demo-access-key-secret".to_owned(),
            alibaba_bearer_token: "emulator-demo-alibaba-bearer-token".to_owned(),
            dashscope_api_key: "sk-emulator-demo-dashscope-key".to_owned(),
            security_token: None,
        }
    }
}

impl fmt::Debug for DemoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .field("alibaba_bearer_token", &"***")
            .field("dashscope_api_key", &"***")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// How long a snapshot stays in its in-progress state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// DSW: how long a snapshot is `Pushing` (default 3 s).
    pub dsw_push: Duration,
    /// LangStudio: how long a snapshot is `Creating` (default 2 s).
    pub langstudio_create: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            dsw_push: Duration::from_secs(3),
            langstudio_create: Duration::from_secs(2),
        }
    }
}

impl Timing {
    /// Every snapshot reaches its final state as soon as it is created.
    pub fn instant() -> Self {
        Self {
            dsw_push: Duration::ZERO,
            langstudio_create: Duration::ZERO,
        }
    }
}

/// Limits of the HTTP server of [`start`] (see the crate documentation, "Server limits").
///
/// ```
/// use std::time::Duration;
/// let limits = snapshot_emulator::ServerLimits::default();
/// assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
/// assert_eq!(limits.max_connections, 512);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a connection may take to send a request's headers (and how long a
    /// kept-alive connection may stay idle) before it is closed without an answer
    /// (default 10 s; `Duration::ZERO` disables it).
    pub header_read_timeout: Duration,
    /// How many connections are served at once (default 512, at least 1). When all are
    /// taken, new connections wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// Everything the emulator is started with. `Default` gives the demo set-up.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The credentials requests are checked against.
    pub credentials: DemoCredentials,
    /// How long snapshots stay in progress.
    pub timing: Timing,
    /// The DSW instances that exist (default `dsw-demo0000000001`); snapshots of other
    /// instances are `404 InstanceNotFound`.
    pub dsw_instances: Vec<String>,
    /// The LangStudio workspaces that exist (default `ws-demo0000000001`); the first is used
    /// when a create names none.
    pub langstudio_workspaces: Vec<String>,
    /// The account id that LangStudio reports as `Creator` (default `1000000000000001`).
    pub account_id: String,
    /// Seed of the generator that `fraction` fault rules draw from (default 0).
    pub fault_seed: u64,
    /// The Graph OLAP emulation's own configuration (users...).
    pub graph_olap: crate::graph_olap::Config,
    /// The server's header-read timeout and connection cap.
    pub server: ServerLimits,
    /// The credential services (STS, ECS metadata, credentials URI): assumable roles, the
    /// OIDC provider and token, the lifetime cap of issued credentials, IMDSv2 modes.
    pub credential_services: CredentialServices,
    /// What it starts with beyond these defaults: instances, workspaces, users, existing
    /// snapshots, fault rules (default: nothing more). See [`Seed`].
    pub seed: Seed,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            credentials: DemoCredentials::default(),
            timing: Timing::default(),
            dsw_instances: vec!["dsw-demo0000000001".to_owned()],
            langstudio_workspaces: vec!["ws-demo0000000001".to_owned()],
            account_id: "1000000000000001".to_owned(),
            fault_seed: 0,
            graph_olap: crate::graph_olap::Config::default(),
            server: ServerLimits::default(),
            credential_services: CredentialServices::default(),
            seed: Seed::default(),
        }
    }
}

impl EmulatorConfig {
    /// The demo set-up with snapshots in progress for `busy`: DSW `Pushing` and LangStudio
    /// `Creating` for `busy`; a Graph OLAP snapshot `pending` for a quarter of it, then
    /// `creating` for `busy`; a Graph OLAP instance waiting for its snapshot, then starting,
    /// for `instances` each.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = snapshot_emulator::EmulatorConfig::busy_for(Duration::from_millis(400), Duration::ZERO);
    /// assert_eq!(config.timing.dsw_push, Duration::from_millis(400));
    /// assert_eq!(config.graph_olap.timing.snapshot_pending, Duration::from_millis(100));
    /// ```
    pub fn busy_for(busy: Duration, instances: Duration) -> Self {
        let mut config = Self {
            timing: Timing {
                dsw_push: busy,
                langstudio_create: busy,
            },
            ..Self::default()
        };
        config.graph_olap.timing = crate::graph_olap::Timing {
            snapshot_pending: busy / 4,
            snapshot_creating: busy,
            instance_pickup: instances,
            instance_startup: instances,
        };
        config
    }
}

/// The emulator's routes, for in-process use (for example with `axum::serve` or
/// `tower::ServiceExt::oneshot`), and the handle of its fault rules.
///
/// A `drop_connection` fault can only close a connection under the server of [`start`];
/// served any other way, the router answers such a request with a `500`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tower::ServiceExt;
/// let (router, _faults) = snapshot_emulator::router(Default::default());
/// let response = router
///     .oneshot(axum::http::Request::get("/_emulator/health").body(axum::body::Body::empty()).unwrap())
///     .await
///     .unwrap();
/// assert_eq!(response.status(), 200);
/// # }
/// ```
///
/// An invalid [`EmulatorConfig::seed`] (see [`Seed`]) makes every request answer `500`
/// with `{"error": "the seed is invalid: ..."}`: nothing is served from a half-applied seed
/// ([`start`] refuses it instead).
pub fn router(config: EmulatorConfig) -> (Router, Faults) {
    match seed::configure(config).and_then(build) {
        Ok(built) => (built.router, built.faults),
        Err(error) => {
            let message = error.to_string();
            let answer = move || async move {
                let body = axum::Json(serde_json::json!({ "error": message }));
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, body)
            };
            (Router::new().fallback(answer), Faults::new(0))
        }
    }
}

/// What [`build`] makes: the routes, the fault rules, the stores a state is read from.
struct Built {
    router: Router,
    faults: Faults,
    issued: Arc<credentials::CredentialStore>,
    dsw: Arc<dsw::Dsw>,
    langstudio: Arc<langstudio::LangStudio>,
    graph_olap: crate::graph_olap::seeding::Handle,
}

/// The routes, the fault rules and the stores, with the seed's snapshots and fault rules
/// in place (its configuration members were applied by [`seed::configure`]).
fn build(config: EmulatorConfig) -> Result<Built, SeedError> {
    let faults = Faults::new(config.fault_seed);
    let issued = Arc::new(credentials::CredentialStore::new(
        config.credential_services.clone(),
    ));
    let verifier = Arc::new(auth::Verifier::with_issued(
        config.credentials.clone(),
        issued.clone(),
    ));
    let sts = credentials::sts::Sts {
        store: issued.clone(),
        verifier: verifier.clone(),
    };
    let dsw = Arc::new(dsw::Dsw::new(&config.dsw_instances, config.timing.dsw_push));
    let langstudio = Arc::new(langstudio::LangStudio::new(
        &config.langstudio_workspaces,
        &config.account_id,
        config.timing.langstudio_create,
    ));
    seed::fill(&config.seed, &dsw, &langstudio, &faults)?;
    let (graph_olap, graph_olap_store) =
        crate::graph_olap::seeding::router(config.graph_olap, &config.seed)?;
    let mounted = mount::Apis {
        dsw: dsw::router(dsw.clone(), auth::RoaAuth::dsw(verifier.clone())),
        langstudio: langstudio::roa_router(
            langstudio.clone(),
            auth::RoaAuth::langstudio(verifier.clone()),
        ),
        gateway: langstudio::gateway_router(langstudio.clone(), verifier),
        graph_olap,
    };
    let apis = Router::new()
        .merge(credentials::sts::router(sts))
        .merge(credentials::metadata_router(issued.clone()))
        .fallback_service(tower::service_fn(move |request| {
            mounted.clone().dispatch(request)
        }))
        .layer(from_fn_with_state(faults.clone(), faults::inject));
    let router = apis.merge(faults::admin_router(faults.clone()));
    Ok(Built {
        router,
        faults,
        issued,
        dsw,
        langstudio,
        graph_olap: graph_olap_store,
    })
}

/// A running emulator (see [`start`]). Dropping it stops the server too; [`shutdown`]
/// also waits for the requests in flight.
///
/// [`shutdown`]: RunningEmulator::shutdown
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    config: EmulatorConfig,
    faults: Faults,
    issued: Arc<credentials::CredentialStore>,
    dsw: Arc<dsw::Dsw>,
    langstudio: Arc<langstudio::LangStudio>,
    graph_olap: crate::graph_olap::seeding::Handle,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `host:port`: the endpoint an official Alibaba Cloud SDK takes (`Config.endpoint`,
    /// with protocol `HTTP`) for DSW and LangStudio, as for a real regional host.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The DSW base URL, `http://<addr>`: DSW answers at its real paths
    /// (`/api/v2/instances/...`) at the root.
    pub fn dsw_url(&self) -> String {
        self.base_url()
    }

    /// The LangStudio ROA base URL, `http://<addr>` (`/api/v1/langstudio/snapshots...`).
    pub fn langstudio_url(&self) -> String {
        self.base_url()
    }

    /// The LangStudio gateway base URL, `http://<addr>/api/PAILangStudio/2024-07-10` (the
    /// path of the gateway profile's base URL).
    pub fn langstudio_gateway_url(&self) -> String {
        format!("{}{}", self.base_url(), mount::GATEWAY_ROOT)
    }

    /// The Graph OLAP base URL, `http://<addr>` (its routes are `/api/...`).
    pub fn graph_olap_url(&self) -> String {
        self.base_url()
    }

    /// The environment of a client of this emulator, as `(name, value)` pairs:
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (and
    /// `ALIBABA_CLOUD_SECURITY_TOKEN` for an STS key), `ALIBABA_CLOUD_BEARER_TOKEN`,
    /// `DASHSCOPE_API_KEY`, `GRAPH_OLAP_USERNAME` (the first configured Graph OLAP user),
    /// `ALIBABA_CLOUD_CREDENTIALS_URI` (the [`credentials_uri`](Self::credentials_uri), which
    /// the official credentials library reads; its default chain takes the AccessKey
    /// variables first), one endpoint per API in the form its clients take —
    /// `PAI_DSW_ENDPOINT` and `PAILANGSTUDIO_ENDPOINT` (`host:port`, an official SDK's
    /// `Config.endpoint`, with protocol `HTTP`), `PAILANGSTUDIO_GATEWAY_URL` and
    /// `GRAPH_OLAP_URL` (base URLs) — and `SNAPSHOT_EMULATOR_URL` (the
    /// [`base_url`](Self::base_url)). The values are the demo credentials, printed on
    /// purpose: they open nothing but this emulator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = snapshot_emulator::start(Default::default(), "127.0.0.1:0".parse().unwrap()).await?;
    /// let env: std::collections::HashMap<_, _> = emulator.env().into_iter().collect();
    /// assert_eq!(env["PAI_DSW_ENDPOINT"], emulator.addr().to_string());
    /// assert_eq!(env["PAILANGSTUDIO_GATEWAY_URL"], emulator.langstudio_gateway_url());
    /// # Ok(()) }
    /// ```
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let creds = &self.config.credentials;
        let mut env = vec![
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", creds.access_key_id.clone()),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                creds.access_key_secret.clone(),
            ),
        ];
        if let Some(token) = &creds.security_token {
            env.push(("ALIBABA_CLOUD_SECURITY_TOKEN", token.clone()));
        }
        env.push((
            "ALIBABA_CLOUD_BEARER_TOKEN",
            creds.alibaba_bearer_token.clone(),
        ));
        env.push(("DASHSCOPE_API_KEY", creds.dashscope_api_key.clone()));
        if let Some(user) = self.config.graph_olap.users.first() {
            env.push(("GRAPH_OLAP_USERNAME", user.username.clone()));
        }
        env.push(("ALIBABA_CLOUD_CREDENTIALS_URI", self.credentials_uri()));
        env.push(("PAI_DSW_ENDPOINT", self.endpoint()));
        env.push(("PAILANGSTUDIO_ENDPOINT", self.endpoint()));
        env.push(("PAILANGSTUDIO_GATEWAY_URL", self.langstudio_gateway_url()));
        env.push(("GRAPH_OLAP_URL", self.graph_olap_url()));
        env.push(("SNAPSHOT_EMULATOR_URL", self.base_url()));
        env
    }

    /// The STS endpoint, `http://<addr>/sts` (also served at the root, `http://<addr>/`).
    pub fn sts_url(&self) -> String {
        format!("{}/sts", self.base_url())
    }

    /// The ECS instance metadata base, `http://<addr>/imds` (the real one is
    /// `http://100.100.100.200`): credentials at `/imds/latest/meta-data/ram/security-credentials/`.
    pub fn imds_url(&self) -> String {
        format!("{}/imds", self.base_url())
    }

    /// The credentials URI, `http://<addr>/credentials-uri` (any path below it works too).
    pub fn credentials_uri(&self) -> String {
        format!("{}/credentials-uri", self.base_url())
    }

    /// How many requests each credential service has handled so far, and how many
    /// temporary keys were issued (see [`credentials`]).
    pub fn credential_requests(&self) -> CredentialRequests {
        self.issued.requests()
    }

    /// The fault rules (shared with the admin endpoints).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The configuration it was started with (the seed's instances, workspaces and users
    /// applied).
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// The state now, as a [`Seed`]: the instances, workspaces and Graph OLAP users, every
    /// DSW and LangStudio snapshot (ids and creation times kept), every Graph OLAP mapping
    /// (its current version) and snapshot (ids, owners, statuses, creation times kept) with
    /// the next Graph OLAP ids, and the fault rules. Starting an emulator with it gives these
    /// back (the binary's `--state FILE`). Graph OLAP instances are not part of it.
    pub fn state(&self) -> Seed {
        let (graph_olap_mappings, graph_olap_snapshots, next) = self.graph_olap.state();
        Seed {
            dsw_instances: self.config.dsw_instances.clone(),
            langstudio_workspaces: self.config.langstudio_workspaces.clone(),
            graph_olap_users: self
                .config
                .graph_olap
                .users
                .iter()
                .map(Into::into)
                .collect(),
            dsw_snapshots: self.dsw.export(),
            langstudio_snapshots: self.langstudio.export(),
            graph_olap_mappings,
            graph_olap_snapshots,
            graph_olap_next_ids: Some(next),
            faults: self.faults.rules().into_iter().map(|s| s.rule).collect(),
        }
    }

    /// Stops accepting connections and waits (up to 5 s) for the requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the emulator on `addr` (`127.0.0.1:0` picks a free port) in a background task of
/// the current tokio runtime, with [`EmulatorConfig::seed`] in place. An invalid seed is an
/// error of kind `InvalidInput` (nothing is started). Also installs the SDK's rustls crypto
/// provider ([`snapshots_runtime::install_crypto_provider`]), so that a plain
/// `reqwest::Client` built next to the emulator works whichever TLS features are on.
pub async fn start(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
    snapshots_runtime::install_crypto_provider();
    let invalid = |e: SeedError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let config = seed::configure(config).map_err(invalid)?;
    let built = build(config.clone()).map_err(invalid)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(server::serve(
        listener,
        built.router,
        config.server,
        stopped,
    ));
    Ok(RunningEmulator {
        addr,
        config,
        faults: built.faults,
        issued: built.issued,
        dsw: built.dsw,
        langstudio: built.langstudio,
        graph_olap: built.graph_olap,
        stop: Some(stop),
        task: Some(task),
    })
}
