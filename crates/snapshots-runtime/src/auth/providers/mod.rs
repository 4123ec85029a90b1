//! The credentials providers of the Alibaba Cloud chain, each a [`ProvideCredentials`]
//! following the official `alibabacloud-credentials` 1.0.12 library's wire formats,
//! defaults and error texts.
//!
//! - [`StaticKey`]: a fixed access key (optionally with an STS token).
//! - [`RamRoleArn`]: a RAM role assumed with STS `AssumeRole`, signed by source credentials.
//! - [`OidcRoleArn`]: a RAM role assumed with an OIDC token file (RRSA), STS
//!   `AssumeRoleWithOIDC`.
//! - [`sts`]: the STS endpoint rule ([`sts_endpoint`]), the RPC V1 signature and the call.
//! - [`EcsRamRole`]: the ECS instance's RAM role from the metadata service (IMDSv2 with the
//!   library's IMDSv1 fallback).
//! - [`CredentialsUri`]: a local credentials service (`ALIBABA_CLOUD_CREDENTIALS_URI`).
//! - [`External`]: an external process printing credentials (the CLI's `External` mode).

use super::provider::{ProvideCredentials, ProvidedCredentials, ProviderFuture};
use super::AccessKey;

mod credentials_uri;
mod ecs_ram_role;
mod external;
mod oidc;
mod ram_role_arn;
pub mod sts;
mod sts_http;

pub use credentials_uri::CredentialsUri;
pub use ecs_ram_role::EcsRamRole;
pub use external::External;
pub use oidc::OidcRoleArn;
pub use ram_role_arn::RamRoleArn;
pub use sts::sts_endpoint;

/// A fixed access key: the environment's, a CLI `AK`/`StsToken` profile's, an INI
/// `access_key` section's, or the caller's own. Never expires (a fixed STS token does, but
/// its expiry is not known: it is used until the service refuses it).
#[derive(Debug, Clone)]
pub struct StaticKey {
    key: AccessKey,
    name: &'static str,
}

impl StaticKey {
    /// `key`, reported as coming from `name` (`env`, `static_ak`, `static_sts`, `profile`,
    /// `cli_profile`).
    pub fn new(key: AccessKey, name: &'static str) -> Self {
        Self { key, name }
    }
}

impl ProvideCredentials for StaticKey {
    fn provide(&self) -> ProviderFuture<'_> {
        let provided = ProvidedCredentials::new(self.key.clone(), None, self.name);
        Box::pin(async move { Ok(provided) })
    }

    fn name(&self) -> &'static str {
        self.name
    }
}
