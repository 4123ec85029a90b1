//! The snapshot SDK: one [`Client`] for PAI-DSW, PAI LangStudio and Graph OLAP snapshots,
//! one [`Error`], and [`validate`] for the ranges the generated types do not enforce.
//!
//! ```no_run
//! use snapshots::{validate, Client, Error};
//!
//! # async fn demo() -> Result<(), Error> {
//! // Credentials per API: the Alibaba Cloud chain for DSW and LangStudio, DASHSCOPE_API_KEY
//! // for LangStudio's gateway form. Missing ones only fail their own accessor.
//! let client = Client::builder()
//!     .graph_olap_url("http://localhost:8080")
//!     .graph_olap_username("alice")
//!     .build()?;
//!
//! let snapshot = client
//!     .dsw()?
//!     .get_instance_snapshot()
//!     .instance_id("dsw-730xxxxxxxxxx")
//!     .snapshot_id("snp-05cexxxxxxxxx")
//!     .send()
//!     .await?;
//! println!("{:?}", snapshot.status);
//!
//! let page = client
//!     .graph_olap()?
//!     .list_snapshots()
//!     .limit(validate::graph_olap_limit(100)?)
//!     .send()
//!     .await?;
//! println!("{} Graph OLAP snapshots", page.meta.total);
//! # Ok(()) }
//! ```
//!
//! | accessor | API | default base URL | credentials |
//! | --- | --- | --- | --- |
//! | [`Client::dsw`] | PAI-DSW 2022-01-01 | `https://pai-dsw.{region}.aliyuncs.com` | access key (`ACS3-HMAC-SHA256`) or Alibaba bearer token |
//! | [`Client::langstudio`] | PAI LangStudio 2024-07-10, ROA form | `https://pailangstudio.{region}.aliyuncs.com` | access key or Alibaba bearer token |
//! | [`Client::langstudio_gateway`] | PAI LangStudio 2024-07-10, gateway form | [`LANGSTUDIO_GATEWAY_URL`] | DashScope API key (`Authorization: Bearer`) |
//! | [`Client::graph_olap`] | Graph OLAP control plane | none: [`ClientBuilder::graph_olap_url`] | `X-Username`, or a bearer token |
//!
//! Each accessor returns the generated client of its API (crates [`pai_dsw`],
//! [`pai_langstudio`], [`graph_olap`], re-exported here), built on a
//! [`Runtime`](snapshots_runtime::Runtime) that authenticates, rate-limits (one
//! [`RateLimiter`] for the whole client, 10 requests per second by default) and retries
//! every request. `?` converts the generated clients' errors into [`Error`].
//!
//! - [`client`]: [`Client`], [`ClientBuilder`] and the defaults;
//! - [`error`]: [`Error`], its classification (`is_throttled`, `is_auth_failure`,
//!   `is_not_found`, `is_retryable`) and the conversions;
//! - [`service`]: [`ServiceError`], an error answer read through its API's `x-error`;
//! - [`validate`]: paging ranges and names, checked before sending;
//! - [`paginate`]: `.pages()` and `.items()` streams on every list builder, over the three
//!   pagination styles;
//! - [`wait`]: waiters until a snapshot is final, with a timeout, a poll interval and
//!   progress events.

pub mod client;
pub mod error;
pub mod paginate;
pub mod service;
pub mod validate;
pub mod wait;

pub use client::{AlibabaIdentity, Client, ClientBuilder, LANGSTUDIO_GATEWAY_URL};
pub use error::{Error, ServiceError};
pub use snapshots_runtime::{
    Credentials, Failure, RateLimiter, RedirectPolicy, RedirectRefusal, RetryConfig,
};

/// The generated PAI-DSW client crate.
pub use pai_dsw;

/// The generated PAI LangStudio client crate.
pub use pai_langstudio;

/// The generated Graph OLAP client crate.
pub use graph_olap;

/// Credentials, providers and the default chain, from the runtime: [`auth::AccessKey`],
/// [`auth::Secret`], [`auth::Environment`], [`auth::CredentialsError`], [`auth::DefaultChain`],
/// [`auth::CredentialsCache`], [`auth::providers`].
pub mod auth {
    pub use snapshots_runtime::auth::chain::{DefaultChain, Endpoints};
    pub use snapshots_runtime::auth::credentials::Environment;
    pub use snapshots_runtime::auth::provider::{
        ProvideCredentials, ProvidedCredentials, ProviderFuture, RefreshPolicy, StaleBehavior,
    };
    pub use snapshots_runtime::auth::providers;
    pub use snapshots_runtime::auth::{AccessKey, CredentialsCache, CredentialsError, Secret};
}
