//! [`DefaultChain`]: the Alibaba Cloud default credentials chain, in the official order
//! (`alibabacloud-credentials` 1.0.12, `DefaultCredentialsProvider`):
//!
//! 1. **environment**: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
//!    optional `ALIBABA_CLOUD_SECURITY_TOKEN`;
//! 2. **OIDC / RRSA**, only when `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` are all set (`ALIBABA_CLOUD_ROLE_SESSION_NAME`,
//!    `ALIBABA_CLOUD_STS_REGION`, `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`);
//! 3. **CLI profile** `~/.aliyun/config.json` (unless `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`),
//!    profile `ALIBABA_CLOUD_PROFILE` else `current`: modes `AK`, `StsToken`, `RamRoleArn`,
//!    `EcsRamRole`, `OIDC`, `ChainableRamRoleArn` (with `source_profile`), `External` (with
//!    `process_command`); `CloudSSO` and `OAuth` need a browser and are refused by name;
//! 4. **INI file** `ALIBABA_CLOUD_CREDENTIALS_FILE` else `~/.alibabacloud/credentials.ini`,
//!    section `ALIBABA_CLOUD_PROFILE` else `default`: types `access_key`, `ram_role_arn`,
//!    `oidc_role_arn`, `ecs_ram_role`;
//! 5. **ECS RAM role** from the instance metadata service, unless
//!    `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` (role `ALIBABA_CLOUD_ECS_METADATA` else
//!    discovered; `ALIBABA_CLOUD_IMDSV1_DISABLED=true` forbids the v1 fallback);
//! 6. **credentials URI** `ALIBABA_CLOUD_CREDENTIALS_URI`, when set.
//!
//! As in the official library, the sources are tried when credentials are first needed,
//! each one's failure is noted and the next tried; the first that gives credentials is kept
//! and asked again at every refresh (`reuse_last_provider`). When none does, the error lists
//! every source with why it gave nothing.
//!
//! Deviations: the STS and instance-metadata endpoints can be pointed elsewhere with
//! [`Endpoints`] (for the emulator and tests; the official library has no such setting for
//! the metadata service), and an `ALIBABA_CLOUD_PROFILE` that names no CLI profile is a
//! "not found" for that source, not an error.

use super::credentials::{
    static_key, Environment, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_CLI_PROFILE_DISABLED,
    ENV_PROFILE, ENV_SECURITY_TOKEN,
};
use super::profiles::{self, CliConfig, CliProfile, IniProfile};
use super::provider::{ProvideCredentials, ProviderFuture, RefreshPolicy};
use super::providers::{
    self, CredentialsUri, EcsRamRole, External, OidcRoleArn, RamRoleArn, StaticKey,
};
use super::{AccessKey, CredentialsCache, CredentialsError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `ALIBABA_CLOUD_ROLE_ARN`.
pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// `ALIBABA_CLOUD_STS_REGION`.
pub const ENV_STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`: `true` uses `sts-vpc.<region>.aliyuncs.com`.
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
/// `ALIBABA_CLOUD_ECS_METADATA`: the ECS RAM role name.
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `ALIBABA_CLOUD_ECS_METADATA_DISABLED`: `true` skips the instance metadata service.
pub const ENV_ECS_METADATA_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `ALIBABA_CLOUD_IMDSV1_DISABLED`: `true` forbids the metadata service's v1 fallback.
pub const ENV_IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// `ALIBABA_CLOUD_CREDENTIALS_URI`.
pub const ENV_CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// The most `source_profile` links a `ChainableRamRoleArn` profile may follow (a cycle
/// would otherwise never end).
const MAX_PROFILE_CHAIN: usize = 8;

/// Where the chain's credential services are, when not where Alibaba Cloud has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoints {
    /// The STS base URL (default from `ALIBABA_CLOUD_STS_REGION` and
    /// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`, else `https://sts.aliyuncs.com`).
    pub sts: Option<String>,
    /// The instance metadata base URL (default `http://100.100.100.200`).
    pub ecs_metadata: Option<String>,
}

impl Endpoints {
    /// The STS endpoint at `sts`.
    #[must_use]
    pub fn with_sts(mut self, sts: impl Into<String>) -> Self {
        self.sts = Some(sts.into());
        self
    }

    /// The instance metadata service at `url`.
    #[must_use]
    pub fn with_ecs_metadata(mut self, url: impl Into<String>) -> Self {
        self.ecs_metadata = Some(url.into());
        self
    }
}

/// One source of the chain: a provider to ask, or why there is none (`Ok(Err(why))`), or why
/// it is broken.
type Found = Result<Result<Box<dyn ProvideCredentials>, String>, CredentialsError>;

/// The default chain (see the [module documentation](self)).
///
/// ```
/// use snapshots_runtime::auth::chain::DefaultChain;
/// use snapshots_runtime::auth::{CredentialsCache, Environment};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let env = Environment::from_vars([
///     ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-id"),
///     ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
/// ]);
/// let credentials = CredentialsCache::new(DefaultChain::new(env));
/// let current = credentials.get().await.unwrap();
/// assert_eq!((current.key.id.as_str(), current.provider), ("LTAI-id", "env"));
/// # });
/// ```
#[derive(Debug)]
pub struct DefaultChain {
    env: Environment,
    endpoints: Endpoints,
    /// The provider that gave credentials first; asked again at every refresh.
    settled: Mutex<Option<Arc<dyn ProvideCredentials>>>,
}

impl DefaultChain {
    /// The chain over `env` (normally [`Environment::from_process`]).
    pub fn new(env: Environment) -> Self {
        Self {
            env,
            endpoints: Endpoints::default(),
            settled: Mutex::new(None),
        }
    }

    /// The same chain with its credential services elsewhere (the emulator, a proxy).
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    fn settled(&self) -> Option<Arc<dyn ProvideCredentials>> {
        self.settled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every source of the chain, in order: a provider to ask, or why there is none.
    fn sources(&self) -> Vec<(&'static str, Found)> {
        let env = &self.env;
        let ecs: Found = if is_true(env.var(ENV_ECS_METADATA_DISABLED)) {
            Ok(Err(format!("{ENV_ECS_METADATA_DISABLED}=true")))
        } else {
            Ok(Ok(Box::new(
                self.ecs(env.var(ENV_ECS_METADATA).map(str::to_owned)),
            )))
        };
        let uri: Found = match env.var(ENV_CREDENTIALS_URI) {
            Some(uri) => Ok(Ok(Box::new(CredentialsUri::new(uri)))),
            None => Ok(Err(format!("{ENV_CREDENTIALS_URI} not set"))),
        };
        vec![
            ("environment", environment_source(env)),
            ("OIDC", self.oidc_source()),
            ("CLI profile", self.cli_profile_source()),
            ("credentials file", self.ini_source()),
            ("ECS RAM role", ecs),
            ("credentials URI", uri),
        ]
    }

    fn sts_endpoint(&self, region: Option<&str>, vpc: Option<bool>) -> String {
        if let Some(sts) = &self.endpoints.sts {
            return sts.clone();
        }
        let region = region.or_else(|| self.env.var(ENV_STS_REGION));
        let vpc = vpc.unwrap_or_else(|| is_true(self.env.var(ENV_VPC_ENDPOINT_ENABLED)));
        providers::sts_endpoint(region, vpc)
    }

    /// `self`, unless the metadata service is disabled (the official provider refuses to be
    /// built then: "IMDS credentials is disabled").
    fn ecs_allowed(&self, source: &str) -> Result<&Self, CredentialsError> {
        if is_true(self.env.var(ENV_ECS_METADATA_DISABLED)) {
            return Err(CredentialsError::Malformed {
                source_name: source.to_owned(),
                reason: format!("IMDS credentials is disabled ({ENV_ECS_METADATA_DISABLED}=true)"),
            });
        }
        Ok(self)
    }

    fn ecs(&self, role: Option<String>) -> EcsRamRole {
        let mut ecs = EcsRamRole::new()
            .role_name(role)
            .imdsv1_disabled(is_true(self.env.var(ENV_IMDSV1_DISABLED)));
        if let Some(url) = &self.endpoints.ecs_metadata {
            ecs = ecs.metadata_endpoint(url.clone());
        }
        ecs
    }

    fn oidc_source(&self) -> Found {
        let env = &self.env;
        let (Some(role), Some(provider), Some(file)) = (
            env.var(ENV_ROLE_ARN),
            env.var(ENV_OIDC_PROVIDER_ARN),
            env.var(ENV_OIDC_TOKEN_FILE),
        ) else {
            return Ok(Err(format!(
                "{ENV_ROLE_ARN}, {ENV_OIDC_PROVIDER_ARN} and {ENV_OIDC_TOKEN_FILE} not all set"
            )));
        };
        let mut oidc =
            OidcRoleArn::new(role, provider, file).sts_endpoint(self.sts_endpoint(None, None));
        if let Some(name) = env.var(ENV_ROLE_SESSION_NAME) {
            oidc = oidc.session_name(name.to_owned());
        }
        Ok(Ok(Box::new(oidc)))
    }

    fn cli_profile_source(&self) -> Found {
        let env = &self.env;
        if is_true(env.var(ENV_CLI_PROFILE_DISABLED)) {
            return Ok(Err(format!("{ENV_CLI_PROFILE_DISABLED}=true")));
        }
        let Some(path) = profiles::cli_config_path(env) else {
            return Ok(Err("~/.aliyun/config.json: no home directory".to_owned()));
        };
        let shown = path.display();
        let Some(config) = profiles::load_cli_config(&path)? else {
            return Ok(Err(format!("{shown}: file not found")));
        };
        let name = env
            .var(ENV_PROFILE)
            .map(str::to_owned)
            .or_else(|| config.current.clone().filter(|c| !c.is_empty()));
        let Some(name) = name else {
            return Ok(Err(format!(
                "{shown}: no profile selected ({ENV_PROFILE} unset, no \"current\")"
            )));
        };
        if config.profile(&name).is_none() {
            return Ok(Err(format!("{shown}: no profile '{name}'")));
        }
        let source = format!("CLI profile {shown} (profile '{name}')");
        self.cli_provider(&config, &name, &source, 0).map(Ok)
    }

    /// The provider of CLI profile `name` (following `source_profile` links).
    fn cli_provider(
        &self,
        config: &CliConfig,
        name: &str,
        source: &str,
        depth: usize,
    ) -> Result<Box<dyn ProvideCredentials>, CredentialsError> {
        let malformed = |reason: String| CredentialsError::Malformed {
            source_name: source.to_owned(),
            reason,
        };
        if depth > MAX_PROFILE_CHAIN {
            return Err(malformed(format!(
                "more than {MAX_PROFILE_CHAIN} source_profile links (a cycle?)"
            )));
        }
        let profile = config
            .profile(name)
            .ok_or_else(|| malformed(format!("profile '{name}' not found")))?;
        let need = |value: &Option<String>, field: &str| {
            value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| malformed(format!("profile '{name}': \"{field}\" is missing")))
        };
        let mode = need(&profile.mode, "mode")?;
        Ok(match mode.as_str() {
            "AK" => Box::new(StaticKey::new(
                static_key(
                    &self.env,
                    profile.access_key_id.as_deref(),
                    profile.access_key_secret.as_deref(),
                    None,
                    source,
                )?,
                "static_ak",
            )),
            "StsToken" => Box::new(StaticKey::new(
                static_key(
                    &self.env,
                    profile.access_key_id.as_deref(),
                    profile.access_key_secret.as_deref(),
                    Some(profile.sts_token.as_deref()),
                    source,
                )?,
                "static_sts",
            )),
            "RamRoleArn" => {
                let key = static_key(
                    &self.env,
                    profile.access_key_id.as_deref(),
                    profile.access_key_secret.as_deref(),
                    None,
                    source,
                )?;
                let from = CredentialsCache::new(StaticKey::new(key, "static_ak"));
                Box::new(self.assume(from, need(&profile.ram_role_arn, "ram_role_arn")?, profile))
            }
            "ChainableRamRoleArn" => {
                let parent = need(&profile.source_profile, "source_profile")?;
                let from =
                    CredentialsCache::new(self.cli_provider(config, &parent, source, depth + 1)?);
                Box::new(self.assume(from, need(&profile.ram_role_arn, "ram_role_arn")?, profile))
            }
            "EcsRamRole" => Box::new(self.ecs_allowed(source)?.ecs(profile.ram_role_name.clone())),
            "OIDC" => {
                let mut oidc = OidcRoleArn::new(
                    need(&profile.ram_role_arn, "ram_role_arn")?,
                    need(&profile.oidc_provider_arn, "oidc_provider_arn")?,
                    need(&profile.oidc_token_file, "oidc_token_file")?,
                )
                .sts_endpoint(self.sts_endpoint(profile.sts_region.as_deref(), profile.enable_vpc));
                if let Some(session) = profile.role_session_name.clone() {
                    oidc = oidc.session_name(session);
                }
                if let Some(seconds) = profile.expired_seconds {
                    oidc = oidc.duration(Duration::from_secs(seconds));
                }
                Box::new(oidc)
            }
            "External" => Box::new(External::new(need(
                &profile.process_command,
                "process_command",
            )?)),
            other => {
                return Err(CredentialsError::Unsupported {
                    source_name: source.to_owned(),
                    mode: other.to_owned(),
                })
            }
        })
    }

    /// `RamRoleArn` from a CLI profile's settings.
    fn assume(&self, from: CredentialsCache, role: String, profile: &CliProfile) -> RamRoleArn {
        let mut assume = RamRoleArn::new(from, role)
            .sts_endpoint(self.sts_endpoint(profile.sts_region.as_deref(), profile.enable_vpc));
        if let Some(session) = profile.ram_session_name.clone() {
            assume = assume.session_name(session);
        }
        if let Some(seconds) = profile.expired_seconds {
            assume = assume.duration(Duration::from_secs(seconds));
        }
        assume
    }

    fn ini_source(&self) -> Found {
        let (Some(path), section) = profiles::ini_location(&self.env) else {
            return Ok(Err(
                "~/.alibabacloud/credentials.ini: no home directory".to_owned()
            ));
        };
        if !path.is_file() {
            return Ok(Err(format!(
                "{} (section '{section}'): file not found",
                path.display()
            )));
        }
        let source = format!("credentials file {} (section '{section}')", path.display());
        let malformed = |reason: String| CredentialsError::Malformed {
            source_name: source.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| malformed(format!("cannot read the file ({})", e.kind())))?;
        let Some(values) = super::credentials::ini_section(&text, &section).map_err(malformed)?
        else {
            return Ok(Err(format!("{source}: not found")));
        };
        self.ini_provider(profiles::ini_profile(values), &source)
            .map(Ok)
    }

    fn ini_provider(
        &self,
        ini: IniProfile,
        source: &str,
    ) -> Result<Box<dyn ProvideCredentials>, CredentialsError> {
        let malformed = |reason: &str| CredentialsError::Malformed {
            source_name: source.to_owned(),
            reason: reason.to_owned(),
        };
        let kind = ini
            .kind
            .clone()
            .ok_or_else(|| malformed("the section has no \"type\""))?;
        let role = || {
            ini.role_arn
                .clone()
                .ok_or_else(|| malformed("\"role_arn\" is missing"))
        };
        Ok(match kind.as_str() {
            "access_key" => Box::new(StaticKey::new(
                static_key(
                    &self.env,
                    ini.access_key_id.as_deref(),
                    ini.access_key_secret.as_deref(),
                    None,
                    source,
                )?,
                "static_ak",
            )),
            "ram_role_arn" => {
                let key = static_key(
                    &self.env,
                    ini.access_key_id.as_deref(),
                    ini.access_key_secret.as_deref(),
                    None,
                    source,
                )?;
                let mut assume = RamRoleArn::new(
                    CredentialsCache::new(StaticKey::new(key, "static_ak")),
                    role()?,
                )
                .sts_endpoint(self.sts_endpoint(None, None));
                if let Some(session) = ini.role_session_name.clone() {
                    assume = assume.session_name(session);
                }
                if let Some(policy) = ini.policy.clone() {
                    assume = assume.policy(policy);
                }
                Box::new(assume)
            }
            "oidc_role_arn" => {
                let provider = ini
                    .oidc_provider_arn
                    .clone()
                    .ok_or_else(|| malformed("\"oidc_provider_arn\" is missing"))?;
                let file = ini
                    .oidc_token_file_path
                    .clone()
                    .ok_or_else(|| malformed("\"oidc_token_file_path\" is missing"))?;
                let mut oidc = OidcRoleArn::new(role()?, provider, file)
                    .sts_endpoint(self.sts_endpoint(None, None));
                if let Some(session) = ini.role_session_name.clone() {
                    oidc = oidc.session_name(session);
                }
                if let Some(policy) = ini.policy.clone() {
                    oidc = oidc.policy(policy);
                }
                Box::new(oidc)
            }
            "ecs_ram_role" => Box::new(self.ecs_allowed(source)?.ecs(ini.role_name.clone())),
            other => {
                return Err(CredentialsError::Unsupported {
                    source_name: source.to_owned(),
                    mode: format!("type = {other}"),
                })
            }
        })
    }
}

/// The environment's static key, if set.
fn environment_source(env: &Environment) -> Found {
    let id = env.checked_var(ENV_ACCESS_KEY_ID)?;
    let secret = env.checked_var(ENV_ACCESS_KEY_SECRET)?;
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (None, None) => {
            return Ok(Err(format!(
                "{ENV_ACCESS_KEY_ID}, {ENV_ACCESS_KEY_SECRET} not set"
            )))
        }
        _ => {
            return Err(CredentialsError::Malformed {
                source_name: "environment".to_owned(),
                reason: format!(
                    "only one of {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} is set"
                ),
            })
        }
    };
    let mut key = AccessKey::new(id, secret);
    if let Some(token) = env.checked_var(ENV_SECURITY_TOKEN)? {
        key = key.with_security_token(token);
    }
    Ok(Ok(Box::new(StaticKey::new(key, "env"))))
}

fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            if let Some(provider) = self.settled() {
                return provider.provide().await;
            }
            let mut tried = Vec::new();
            for (label, source) in self.sources() {
                let provider = match source {
                    Ok(Ok(provider)) => provider,
                    Ok(Err(why)) => {
                        tried.push(format!("{label} ({why})"));
                        continue;
                    }
                    Err(error) => {
                        tried.push(format!("{label} ({error})"));
                        continue;
                    }
                };
                let provider: Arc<dyn ProvideCredentials> = Arc::from(provider);
                match provider.provide().await {
                    Ok(credentials) => {
                        tracing::debug!(
                            provider = credentials.provider,
                            "credentials chain settled"
                        );
                        *self.settled.lock().unwrap_or_else(|p| p.into_inner()) = Some(provider);
                        return Ok(credentials);
                    }
                    Err(error) => tried.push(format!("{label} ({error})")),
                }
            }
            Err(CredentialsError::NotFound { tried })
        })
    }

    fn name(&self) -> &'static str {
        self.settled().map_or("default", |p| p.name())
    }

    fn refresh_policy(&self) -> RefreshPolicy {
        self.settled()
            .map(|p| p.refresh_policy())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A home directory of its own, removed on drop.
    struct Home(PathBuf);

    impl Home {
        fn new(files: &[(&str, &str)]) -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::SeqCst);
            let path = std::env::temp_dir().join(format!("chain-{}-{n}", std::process::id()));
            for (relative, content) in files {
                let file = path.join(relative);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, content).unwrap();
            }
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn env(&self, vars: &[(&str, &str)]) -> Environment {
            let mut all = vec![(ENV_ECS_METADATA_DISABLED, "true")];
            all.extend_from_slice(vars);
            Environment::from_vars(all).with_home(&self.0)
        }
    }

    impl Drop for Home {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const CLI: &str = r#"{"current": "ak", "profiles": [
        {"name": "ak", "mode": "AK", "access_key_id": "cli-id", "access_key_secret": "cli-secret"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "sts-id", "access_key_secret": "s", "sts_token": "t"},
        {"name": "sso", "mode": "CloudSSO"},
        {"name": "loop-a", "mode": "ChainableRamRoleArn", "source_profile": "loop-b", "ram_role_arn": "r"},
        {"name": "loop-b", "mode": "ChainableRamRoleArn", "source_profile": "loop-a", "ram_role_arn": "r"}
    ]}"#;

    async fn provide(env: Environment) -> Result<(String, &'static str), CredentialsError> {
        let chain = DefaultChain::new(env);
        let provided = chain.provide().await?;
        Ok((provided.key.id, provided.provider))
    }

    #[tokio::test]
    async fn the_environment_comes_before_the_cli_profile() {
        let home = Home::new(&[(".aliyun/config.json", CLI)]);
        let env = home.env(&[(ENV_ACCESS_KEY_ID, "env-id"), (ENV_ACCESS_KEY_SECRET, "s")]);
        assert_eq!(provide(env).await.unwrap(), ("env-id".into(), "env"));
        assert_eq!(
            provide(home.env(&[])).await.unwrap(),
            ("cli-id".into(), "static_ak")
        );
        let sts = home.env(&[(ENV_PROFILE, "sts")]);
        assert_eq!(provide(sts).await.unwrap(), ("sts-id".into(), "static_sts"));
    }

    #[tokio::test]
    async fn the_ini_file_comes_after_the_cli_profile() {
        let ini = "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = s\n";
        let home = Home::new(&[(".alibabacloud/credentials.ini", ini)]);
        assert_eq!(
            provide(home.env(&[])).await.unwrap(),
            ("ini-id".into(), "static_ak")
        );
        let both = Home::new(&[
            (".alibabacloud/credentials.ini", ini),
            (".aliyun/config.json", CLI),
        ]);
        assert_eq!(provide(both.env(&[])).await.unwrap().0, "cli-id");
    }

    #[tokio::test]
    async fn unsupported_modes_and_cycles_are_named_and_the_chain_goes_on() {
        let home = Home::new(&[(".aliyun/config.json", CLI)]);
        for (profile, expected) in [("sso", "CloudSSO"), ("loop-a", "source_profile links")] {
            let error = provide(home.env(&[(ENV_PROFILE, profile)]))
                .await
                .unwrap_err();
            let CredentialsError::NotFound { tried } = &error else {
                panic!("{error}")
            };
            assert!(
                tried
                    .iter()
                    .any(|t| t.starts_with("CLI profile") && t.contains(expected)),
                "{tried:?}"
            );
        }
    }

    #[tokio::test]
    async fn nothing_found_lists_every_source() {
        let home = Home::new(&[]);
        let error = provide(home.env(&[])).await.unwrap_err();
        let CredentialsError::NotFound { tried } = &error else {
            panic!("{error}")
        };
        let labels: Vec<&str> = tried
            .iter()
            .map(|t| t.split(" (").next().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "environment",
                "OIDC",
                "CLI profile",
                "credentials file",
                "ECS RAM role",
                "credentials URI"
            ]
        );
    }

    #[tokio::test]
    async fn the_chain_settles_on_the_first_provider_that_answers() {
        let home = Home::new(&[(".aliyun/config.json", CLI)]);
        let chain = DefaultChain::new(home.env(&[]));
        assert_eq!(chain.name(), "default");
        chain.provide().await.unwrap();
        assert_eq!(chain.name(), "static_ak");
        // The file is not read again: the settled provider answers.
        std::fs::remove_file(home.0.join(".aliyun/config.json")).unwrap();
        assert_eq!(chain.provide().await.unwrap().key.id, "cli-id");
    }

    #[test]
    fn sts_endpoints_follow_the_environment_unless_overridden() {
        let chain = DefaultChain::new(Environment::from_vars([
            (ENV_STS_REGION, "cn-shanghai"),
            (ENV_VPC_ENDPOINT_ENABLED, "true"),
        ]));
        assert_eq!(
            chain.sts_endpoint(None, None),
            "https://sts-vpc.cn-shanghai.aliyuncs.com"
        );
        assert_eq!(
            chain.sts_endpoint(Some("cn-beijing"), Some(false)),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        let chain = chain.with_endpoints(Endpoints::default().with_sts("http://127.0.0.1:9/sts"));
        assert_eq!(
            chain.sts_endpoint(Some("cn-beijing"), None),
            "http://127.0.0.1:9/sts"
        );
    }
}
