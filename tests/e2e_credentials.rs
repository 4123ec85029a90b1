//! End to end: a service on the `snapshots` facade runs on Alibaba Cloud compute with no
//! static secret. The facade, against the in-process emulator over loopback, gets its DSW
//! credentials from each provider of the default chain (environment, OIDC/RRSA, every CLI
//! profile mode, every INI type, the ECS RAM role over IMDSv2 and v1, the credentials URI),
//! with temporary keys that the emulator caps to a few seconds, so that they go stale and
//! expire during the test. Each test checks that every DSW call succeeds, which provider
//! the client signs with, and that the emulator saw exactly the credential requests the
//! refresh rules predict; the fault tests check typed errors in bounded time, serve-stale
//! for the ECS RAM role, and that no secret shows in an error or a `Debug`.
//!
//! Nothing here reaches 100.100.100.200 or the real STS: every test either disables the
//! metadata service (`ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`) or points it at the
//! emulator, and every STS endpoint is the emulator's (or a loopback port of the test's).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use snapshot_emulator::credentials::DEMO_OIDC_TOKEN;
use snapshot_emulator::{
    start, CredentialRequests, CredentialServices, EmulatorConfig, FaultId, FaultRule,
    RunningEmulator, Timing,
};
use snapshots::auth::{
    CredentialsCache, CredentialsError, DefaultChain, Endpoints, Environment, RefreshPolicy,
};
use snapshots::{validate, Client, Credentials, Error, RateLimiter, RetryConfig};

const ROLE: &str = "acs:ram::1000000000000001:role/emulator-role";
const OIDC_PROVIDER: &str = "acs:ram::1000000000000001:oidc-provider/emulator-provider";
const ECS_ROLE: &str = "emulator-role";

/// The emulator's cap on issued keys in the expiry tests. Its `Expiration` is rounded down
/// to the second, so a key issued at `t` says it expires in `(t + 2 s, t + 3 s]` and really
/// expires at `t + 3 s`.
const LIFETIME: Duration = Duration::from_secs(3);
/// The stale margin of the expiry tests: a key issued at `t` is stale in `(t + 1 s, t + 2 s]`.
const MARGIN: Duration = Duration::from_secs(1);
/// Sleeping this long after a fetch makes its key stale (but not yet expired).
const PAST_STALE: Duration = Duration::from_millis(2_150);
/// Nothing here may take longer to fail.
const BOUNDED: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// Set-up.

/// A fresh directory for one test's home and files, removed at the end.
struct TempHome(PathBuf);

impl TempHome {
    fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "e2e-credentials-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` at `relative` (creating its directories) and returns its path.
    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("dirs");
        std::fs::write(&path, text).expect("written");
        path
    }

    fn cli_config(&self, config: serde_json::Value) {
        self.write(".aliyun/config.json", &config.to_string());
    }

    fn ini(&self, text: &str) {
        self.write(".alibabacloud/credentials.ini", text);
    }

    fn oidc_token_file(&self) -> PathBuf {
        self.write("rrsa/token", &format!("{DEMO_OIDC_TOKEN}\n"))
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An emulator whose snapshots are final at once, with these credential services.
async fn emulator_with(services: CredentialServices) -> RunningEmulator {
    let config = EmulatorConfig {
        timing: Timing::instant(),
        credential_services: services,
        ..EmulatorConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the emulator starts")
}

/// An emulator whose issued keys live at most [`LIFETIME`].
async fn short_lived() -> RunningEmulator {
    emulator_with(CredentialServices {
        credentials_lifetime: Some(LIFETIME),
        ..CredentialServices::default()
    })
    .await
}

fn demo_key(emulator: &RunningEmulator) -> (String, String) {
    let c = &emulator.config().credentials;
    (c.access_key_id.clone(), c.access_key_secret.clone())
}

fn instance(emulator: &RunningEmulator) -> String {
    emulator.config().dsw_instances[0].clone()
}

/// The emulator's STS and metadata service.
fn endpoints(emulator: &RunningEmulator) -> Endpoints {
    Endpoints::default()
        .with_sts(emulator.sts_url())
        .with_ecs_metadata(emulator.imds_url())
}

/// `vars`, plus `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`, with `home` as the home.
fn env_no_ecs(vars: &[(&str, &str)], home: &TempHome) -> Environment {
    let mut all = vec![("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")];
    all.extend_from_slice(vars);
    Environment::from_vars(all).with_home(home.path())
}

/// The expiry tests' cache: the default chain over `env` (at the emulator), stale
/// [`MARGIN`] before expiry.
fn short_cache(emulator: &RunningEmulator, env: Environment) -> CredentialsCache {
    cache_with(
        emulator,
        env,
        RefreshPolicy::default().with_stale_before_expiry(MARGIN),
    )
}

fn cache_with(
    emulator: &RunningEmulator,
    env: Environment,
    policy: RefreshPolicy,
) -> CredentialsCache {
    CredentialsCache::new(DefaultChain::new(env).with_endpoints(endpoints(emulator)))
        .with_policy(policy)
}

fn base_builder(emulator: &RunningEmulator, env: Environment) -> snapshots::ClientBuilder {
    Client::builder()
        .environment(env)
        .dsw_url(emulator.dsw_url())
        .langstudio_url(emulator.langstudio_url())
        .retry(RetryConfig::default().with_base_delay(Duration::from_millis(5)))
        .rate_limit(RateLimiter::unlimited())
}

/// A client using `cache` for DSW and LangStudio.
fn client_with_cache(emulator: &RunningEmulator, cache: &CredentialsCache) -> Client {
    base_builder(emulator, Environment::default().without_home())
        .credentials_cache(cache.clone())
        .build()
        .expect("client")
}

/// A client with the builder's own default chain over `env`, at the emulator's services.
fn client_from_env(emulator: &RunningEmulator, env: Environment) -> Client {
    base_builder(emulator, env)
        .credential_endpoints(endpoints(emulator))
        .build()
        .expect("client")
}

/// Counts the DSW requests that reach the emulator: a zero-delay latency rule that fires on
/// every request under `/dsw` (and changes nothing).
fn count_dsw_requests(emulator: &RunningEmulator) -> FaultId {
    emulator
        .faults()
        .add(FaultRule::latency(Duration::ZERO).path("/dsw"))
        .expect("rule")
}

fn matched(emulator: &RunningEmulator, id: FaultId) -> u64 {
    emulator
        .faults()
        .rules()
        .into_iter()
        .find(|r| r.id == id)
        .map_or(0, |r| r.matched)
}

fn fired(emulator: &RunningEmulator, id: FaultId) -> u64 {
    emulator.faults().fired(id).unwrap_or(0)
}

/// One DSW list.
async fn dsw_list(client: &Client, instance: &str) -> Result<(), Error> {
    client
        .dsw()?
        .list_instance_snapshot()
        .instance_id(instance)
        .send()
        .await?;
    Ok(())
}

/// A DSW create, then a get of what was created.
async fn dsw_create_get(client: &Client, instance: &str, name: &str) -> Result<(), Error> {
    let tag = name.to_owned();
    let snapshot_name = validate::dsw_snapshot_name(name)?;
    let dsw = client.dsw()?;
    let created = dsw
        .create_instance_snapshot()
        .instance_id(instance)
        .body_map(|b| {
            b.image_url(format!("registry.example/team/env:{tag}"))
                .snapshot_name(snapshot_name)
        })
        .send()
        .await?
        .into_inner();
    let id = created.snapshot_id.expect("an id");
    let got = dsw
        .get_instance_snapshot()
        .instance_id(instance)
        .snapshot_id(&id)
        .send()
        .await?
        .into_inner();
    assert_eq!(got.snapshot_name.as_deref(), Some(name));
    Ok(())
}

/// The provider and access key id the client signs with.
async fn identity(client: &Client) -> (String, String, bool) {
    let identity = client.alibaba_identity().await.expect("an identity");
    (
        identity.provider,
        identity.access_key_id.expect("an access key id"),
        identity.temporary,
    )
}

fn requests(assign: impl FnOnce(&mut CredentialRequests)) -> CredentialRequests {
    let mut r = CredentialRequests::default();
    assign(&mut r);
    r
}

/// The secret and security token of the key `cache` holds now.
async fn current_secrets(cache: &CredentialsCache) -> Vec<String> {
    let current = cache.get().await.expect("credentials");
    let mut secrets = vec![current.key.secret.expose().to_owned()];
    if let Some(token) = &current.key.security_token {
        secrets.push(token.expose().to_owned());
    }
    secrets
}

/// `text` shows none of `secrets`.
fn assert_no_secret(text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret.as_str()),
            "a secret ({}...) shows in: {text}",
            &secret[..secret.len().min(6)]
        );
    }
}

/// A key the emulator issued, from its credentials URI (an STS key with its token).
async fn issued_key(emulator: &RunningEmulator) -> (String, String, String) {
    snapshots_runtime::install_crypto_provider();
    let body: serde_json::Value = reqwest::get(emulator.credentials_uri())
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let s = |k: &str| body[k].as_str().expect("a string").to_owned();
    (s("AccessKeyId"), s("AccessKeySecret"), s("SecurityToken"))
}

// ---------------------------------------------------------------------------------------
// 1. Environment.

#[tokio::test]
async fn env_static_key_signs_without_any_sts_request() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let (id, secret) = demo_key(&emulator);
    let env = Environment::from_vars([
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", id.as_str()),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret.as_str()),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ])
    .without_home();
    let client = client_from_env(&emulator, env);
    let instance = instance(&emulator);

    dsw_create_get(&client, &instance, "env-key").await.unwrap();
    dsw_list(&client, &instance).await.unwrap();
    assert_eq!(identity(&client).await, ("env".to_owned(), id, false));
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
    assert_no_secret(&format!("{client:?}"), &[secret]);
}

// ---------------------------------------------------------------------------------------
// 2. OIDC / RRSA from the environment.

fn oidc_env(home: &TempHome, token_file: &Path) -> Environment {
    env_no_ecs(
        &[
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_PROVIDER),
            (
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                token_file.to_str().expect("utf-8"),
            ),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "e2e-oidc"),
        ],
        home,
    )
}

#[tokio::test]
async fn oidc_from_env_refreshes_once_per_expiry_window() {
    let emulator = short_lived().await;
    let home = TempHome::new("oidc-env");
    let token_file = home.oidc_token_file();
    let cache = short_cache(&emulator, oidc_env(&home, &token_file));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);

    // First window: one AssumeRoleWithOIDC, one key for every call.
    dsw_list(&client, &instance).await.unwrap();
    let (provider, first, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("oidc_role_arn", true));
    assert!(first.starts_with("STS."), "{first}");
    dsw_create_get(&client, &instance, "oidc-one")
        .await
        .unwrap();
    assert_eq!(identity(&client).await.1, first);
    let one = requests(|r| {
        r.assume_role_with_oidc = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);

    // Second window: the key went stale; exactly one more AssumeRoleWithOIDC.
    tokio::time::sleep(PAST_STALE).await;
    dsw_list(&client, &instance).await.unwrap();
    dsw_create_get(&client, &instance, "oidc-two")
        .await
        .unwrap();
    let (provider, second, _) = identity(&client).await;
    assert_eq!(provider, "oidc_role_arn");
    assert_ne!(second, first, "a new key after the refresh");
    let two = requests(|r| {
        r.assume_role_with_oidc = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);

    let mut secrets = current_secrets(&cache).await;
    secrets.push(DEMO_OIDC_TOKEN.to_owned());
    assert_no_secret(&format!("{client:?}"), &secrets);
    assert_no_secret(&format!("{client:#?}"), &secrets);
    assert_no_secret(&format!("{cache:?}"), &secrets);
}

#[tokio::test]
async fn oidc_token_file_gone_before_a_refresh_is_a_typed_error_and_nothing_is_sent() {
    let emulator = short_lived().await;
    let home = TempHome::new("oidc-gone");
    let token_file = home.oidc_token_file();
    let cache = short_cache(&emulator, oidc_env(&home, &token_file));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);
    let dsw = count_dsw_requests(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    assert_eq!(matched(&emulator, dsw), 1);
    let secrets = current_secrets(&cache).await;
    std::fs::remove_file(&token_file).expect("removed");
    tokio::time::sleep(PAST_STALE).await;

    let started = Instant::now();
    let error = dsw_list(&client, &instance).await.unwrap_err();
    assert!(started.elapsed() < BOUNDED, "{:?}", started.elapsed());
    match &error {
        Error::Credentials(CredentialsError::Refresh { provider, reason }) => {
            assert_eq!(provider, "oidc_role_arn", "{error}");
            let shown = token_file.display().to_string();
            assert!(
                reason.contains(&shown) || error.to_string().contains(&shown),
                "the error names the token file {shown}: {error}"
            );
        }
        other => panic!("expected Error::Credentials(Refresh), got {other:?}"),
    }
    assert_eq!(matched(&emulator, dsw), 1, "nothing sent to DSW");
    let one = requests(|r| {
        r.assume_role_with_oidc = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
    let mut all = secrets;
    all.push(DEMO_OIDC_TOKEN.to_owned());
    assert_no_secret(&format!("{error:?} {error}"), &all);
}

// ---------------------------------------------------------------------------------------
// 3. CLI profiles (`~/.aliyun/config.json`), through the builder's own chain.

/// A client over a CLI configuration whose current profile is `current`.
fn cli_client(
    emulator: &RunningEmulator,
    home: &TempHome,
    current: &str,
    profiles: serde_json::Value,
) -> Client {
    home.cli_config(serde_json::json!({"current": current, "profiles": profiles}));
    client_from_env(emulator, env_no_ecs(&[], home))
}

#[tokio::test]
async fn cli_ram_role_arn_assumes_the_role_with_the_profile_key() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-role");
    let (id, secret) = demo_key(&emulator);
    let client = cli_client(
        &emulator,
        &home,
        "role",
        serde_json::json!([{"name": "role", "mode": "RamRoleArn", "access_key_id": id,
            "access_key_secret": secret, "ram_role_arn": ROLE, "ram_session_name": "e2e-cli"}]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-role")
        .await
        .unwrap();
    dsw_list(&client, &instance).await.unwrap();
    let (provider, key, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("ram_role_arn", true));
    assert!(key.starts_with("STS."), "{key}");
    let one = requests(|r| {
        r.assume_role = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
    assert_no_secret(&format!("{client:?}"), &[secret]);
}

#[tokio::test]
async fn cli_chainable_ram_role_arn_from_an_ak_profile() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-chain-ak");
    let (id, secret) = demo_key(&emulator);
    let client = cli_client(
        &emulator,
        &home,
        "chain",
        serde_json::json!([
            {"name": "base", "mode": "AK", "access_key_id": id, "access_key_secret": secret},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "base",
             "ram_role_arn": ROLE, "ram_session_name": "e2e-chain"}
        ]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-chain")
        .await
        .unwrap();
    assert_eq!(identity(&client).await.0, "ram_role_arn");
    let one = requests(|r| {
        r.assume_role = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
}

#[tokio::test]
async fn cli_chainable_ram_role_arn_two_levels_assumes_twice() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-chain-2");
    let (id, secret) = demo_key(&emulator);
    let client = cli_client(
        &emulator,
        &home,
        "top",
        serde_json::json!([
            {"name": "base", "mode": "RamRoleArn", "access_key_id": id, "access_key_secret": secret,
             "ram_role_arn": ROLE, "ram_session_name": "e2e-base"},
            {"name": "top", "mode": "ChainableRamRoleArn", "source_profile": "base",
             "ram_role_arn": ROLE, "ram_session_name": "e2e-top"}
        ]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-chain-two")
        .await
        .unwrap();
    dsw_list(&client, &instance).await.unwrap();
    assert_eq!(identity(&client).await.0, "ram_role_arn");
    // The base role's AssumeRole (demo key), then the top one's (signed with the base's
    // temporary key and its SecurityToken).
    let two = requests(|r| {
        r.assume_role = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);
}

#[tokio::test]
async fn cli_chainable_ram_role_arn_signs_with_a_temporary_source_key_and_its_token() {
    // The only key in the configuration is a temporary one (with its token): the AssumeRole
    // can only succeed if it is signed with that key and carries its SecurityToken.
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-chain-sts");
    let (id, secret, token) = issued_key(&emulator).await;
    let client = cli_client(
        &emulator,
        &home,
        "top",
        serde_json::json!([
            {"name": "base", "mode": "StsToken", "access_key_id": id, "access_key_secret": secret,
             "sts_token": token},
            {"name": "top", "mode": "ChainableRamRoleArn", "source_profile": "base",
             "ram_role_arn": ROLE}
        ]),
    );
    let instance = instance(&emulator);
    dsw_list(&client, &instance).await.unwrap();
    let (provider, key, _) = identity(&client).await;
    assert_eq!(provider, "ram_role_arn");
    assert_ne!(key, id, "the assumed role's key, not the source's");
    let expected = requests(|r| {
        r.uri = 1;
        r.assume_role = 1;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), expected);
    assert_no_secret(&format!("{client:?}"), &[secret, token]);
}

#[tokio::test]
async fn cli_oidc_profile() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-oidc");
    let token_file = home.oidc_token_file();
    let client = cli_client(
        &emulator,
        &home,
        "rrsa",
        serde_json::json!([{"name": "rrsa", "mode": "OIDC", "ram_role_arn": ROLE,
            "oidc_provider_arn": OIDC_PROVIDER, "oidc_token_file": token_file,
            "role_session_name": "e2e-cli-oidc"}]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-oidc")
        .await
        .unwrap();
    let (provider, _, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("oidc_role_arn", true));
    let one = requests(|r| {
        r.assume_role_with_oidc = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
    assert_no_secret(&format!("{client:?}"), &[DEMO_OIDC_TOKEN.to_owned()]);
}

#[tokio::test]
async fn cli_ecs_ram_role_profile() {
    // An ECS test: the metadata service is the emulator's (not disabled).
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-ecs");
    home.cli_config(serde_json::json!({"current": "ecs", "profiles": [
        {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": ECS_ROLE}
    ]}));
    let client = client_from_env(&emulator, Environment::default().with_home(home.path()));
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-ecs").await.unwrap();
    let (provider, _, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("ecs_ram_role", true));
    // A named role: one token, one credentials request.
    let expected = requests(|r| {
        r.imds_token = 1;
        r.imds_credentials = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), expected);
}

#[tokio::test]
async fn cli_sts_token_profile() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-sts");
    let (id, secret, token) = issued_key(&emulator).await;
    let client = cli_client(
        &emulator,
        &home,
        "sts",
        serde_json::json!([{"name": "sts", "mode": "StsToken", "access_key_id": id,
            "access_key_secret": secret, "sts_token": token}]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-sts").await.unwrap();
    assert_eq!(identity(&client).await, ("static_sts".to_owned(), id, true));
    let expected = requests(|r| {
        r.uri = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), expected);
    assert_no_secret(&format!("{client:?}"), &[secret, token]);
}

#[tokio::test]
async fn cli_ak_profile() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-ak");
    let (id, secret) = demo_key(&emulator);
    let client = cli_client(
        &emulator,
        &home,
        "ak",
        serde_json::json!([{"name": "ak", "mode": "AK", "access_key_id": id,
            "access_key_secret": secret}]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-ak").await.unwrap();
    assert_eq!(identity(&client).await, ("static_ak".to_owned(), id, false));
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
    assert_no_secret(&format!("{client:?}"), &[secret]);
}

#[tokio::test]
async fn cli_external_process_profile() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-external");
    let (id, secret) = demo_key(&emulator);
    let printed = serde_json::json!({"mode": "AK", "access_key_id": id,
        "access_key_secret": secret})
    .to_string();
    let command = format!("sh -c 'printf %s \"$0\"' '{printed}'");
    let client = cli_client(
        &emulator,
        &home,
        "ext",
        serde_json::json!([{"name": "ext", "mode": "External", "process_command": command}]),
    );
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "cli-external")
        .await
        .unwrap();
    dsw_list(&client, &instance).await.unwrap();
    assert_eq!(identity(&client).await, ("external".to_owned(), id, false));
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
    assert_no_secret(&format!("{client:?}"), &[secret]);
}

#[tokio::test]
async fn cli_cloud_sso_is_refused_by_name() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("cli-sso");
    let client = cli_client(
        &emulator,
        &home,
        "sso",
        serde_json::json!([{"name": "sso", "mode": "CloudSSO",
            "cloud_sso_sign_in_url": "https://signin.example/login"}]),
    );
    let instance = instance(&emulator);
    let dsw = count_dsw_requests(&emulator);
    let error = dsw_list(&client, &instance).await.unwrap_err();
    let Error::Credentials(inner) = &error else {
        panic!("expected Error::Credentials, got {error:?}");
    };
    let text = inner.to_string();
    assert!(
        text.contains("CloudSSO") && text.contains("not") && text.contains("supported"),
        "{text}"
    );
    assert_eq!(matched(&emulator, dsw), 0, "nothing sent to DSW");
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
}

// ---------------------------------------------------------------------------------------
// 4. INI file (`~/.alibabacloud/credentials.ini`).

#[tokio::test]
async fn ini_access_key() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("ini-ak");
    let (id, secret) = demo_key(&emulator);
    home.ini(&format!(
        "[default]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = {secret}\n"
    ));
    let client = client_from_env(&emulator, env_no_ecs(&[], &home));
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "ini-ak").await.unwrap();
    assert_eq!(identity(&client).await, ("static_ak".to_owned(), id, false));
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests::default()
    );
}

#[tokio::test]
async fn ini_ram_role_arn() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("ini-role");
    let (id, secret) = demo_key(&emulator);
    home.ini(&format!(
        "[default]\ntype = ram_role_arn\naccess_key_id = {id}\naccess_key_secret = {secret}\n\
         role_arn = {ROLE}\nrole_session_name = e2e-ini\n"
    ));
    let client = client_from_env(&emulator, env_no_ecs(&[], &home));
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "ini-role")
        .await
        .unwrap();
    let (provider, _, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("ram_role_arn", true));
    let one = requests(|r| {
        r.assume_role = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
}

#[tokio::test]
async fn ini_oidc_role_arn() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("ini-oidc");
    let token_file = home.oidc_token_file();
    home.ini(&format!(
        "[default]\ntype = oidc_role_arn\nrole_arn = {ROLE}\noidc_provider_arn = {OIDC_PROVIDER}\n\
         oidc_token_file_path = {}\nrole_session_name = e2e-ini-oidc\n",
        token_file.display()
    ));
    let client = client_from_env(&emulator, env_no_ecs(&[], &home));
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "ini-oidc")
        .await
        .unwrap();
    assert_eq!(identity(&client).await.0, "oidc_role_arn");
    let one = requests(|r| {
        r.assume_role_with_oidc = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
}

#[tokio::test]
async fn ini_ecs_ram_role() {
    // An ECS test: the metadata service is the emulator's (not disabled).
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = TempHome::new("ini-ecs");
    home.ini(&format!(
        "[default]\ntype = ecs_ram_role\nrole_name = {ECS_ROLE}\n"
    ));
    let client = client_from_env(&emulator, Environment::default().with_home(home.path()));
    let instance = instance(&emulator);
    dsw_create_get(&client, &instance, "ini-ecs").await.unwrap();
    assert_eq!(identity(&client).await.0, "ecs_ram_role");
    let expected = requests(|r| {
        r.imds_token = 1;
        r.imds_credentials = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), expected);
}

// ---------------------------------------------------------------------------------------
// 5. ECS RAM role from the metadata service, with expiry.

#[tokio::test]
async fn ecs_ram_role_imdsv2_required_with_role_discovery() {
    let emulator = emulator_with(CredentialServices {
        credentials_lifetime: Some(LIFETIME),
        imds_require_token: true,
        ..CredentialServices::default()
    })
    .await;
    let home = TempHome::new("ecs-v2");
    let cache = short_cache(&emulator, Environment::default().with_home(home.path()));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    dsw_create_get(&client, &instance, "ecs-v2-one")
        .await
        .unwrap();
    let (provider, first, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("ecs_ram_role", true));
    // One refresh with discovery: PUT token, GET role, PUT token, GET credentials.
    let one = requests(|r| {
        r.imds_token = 2;
        r.imds_role_name = 1;
        r.imds_credentials = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);

    tokio::time::sleep(PAST_STALE).await;
    dsw_list(&client, &instance).await.unwrap();
    dsw_create_get(&client, &instance, "ecs-v2-two")
        .await
        .unwrap();
    let (_, second, _) = identity(&client).await;
    assert_ne!(second, first);
    let two = requests(|r| {
        r.imds_token = 4;
        r.imds_role_name = 2;
        r.imds_credentials = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);
    assert_no_secret(&format!("{client:?}"), &current_secrets(&cache).await);
}

#[tokio::test]
async fn ecs_ram_role_falls_back_to_imdsv1_when_v2_is_off() {
    let emulator = emulator_with(CredentialServices {
        credentials_lifetime: Some(LIFETIME),
        imds_v2_disabled: true,
        ..CredentialServices::default()
    })
    .await;
    let home = TempHome::new("ecs-v1");
    let env =
        Environment::from_vars([("ALIBABA_CLOUD_ECS_METADATA", ECS_ROLE)]).with_home(home.path());
    let cache = short_cache(&emulator, env);
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    let (provider, first, _) = identity(&client).await;
    assert_eq!(provider, "ecs_ram_role");
    // A named role: the token PUT (404), then the credentials GET without a token.
    let one = requests(|r| {
        r.imds_token = 1;
        r.imds_credentials = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);

    tokio::time::sleep(PAST_STALE).await;
    dsw_create_get(&client, &instance, "ecs-v1").await.unwrap();
    assert_ne!(identity(&client).await.1, first);
    let two = requests(|r| {
        r.imds_token = 2;
        r.imds_credentials = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);
}

// ---------------------------------------------------------------------------------------
// 6. Credentials URI.

#[tokio::test]
async fn credentials_uri_refreshes_once_per_expiry_window() {
    let emulator = short_lived().await;
    let home = TempHome::new("uri");
    let uri = emulator.credentials_uri();
    let cache = short_cache(
        &emulator,
        env_no_ecs(&[("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str())], &home),
    );
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    let (provider, first, temporary) = identity(&client).await;
    assert_eq!((provider.as_str(), temporary), ("credential_uri", true));
    dsw_create_get(&client, &instance, "uri-one").await.unwrap();
    let one = requests(|r| {
        r.uri = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);

    tokio::time::sleep(PAST_STALE).await;
    dsw_list(&client, &instance).await.unwrap();
    dsw_create_get(&client, &instance, "uri-two").await.unwrap();
    assert_ne!(identity(&client).await.1, first);
    let two = requests(|r| {
        r.uri = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);
}

// ---------------------------------------------------------------------------------------
// 7. Single-flight refresh.

fn cli_role_home(emulator: &RunningEmulator, tag: &str) -> TempHome {
    let home = TempHome::new(tag);
    let (id, secret) = demo_key(emulator);
    home.cli_config(serde_json::json!({"current": "role", "profiles": [
        {"name": "role", "mode": "RamRoleArn", "access_key_id": id,
         "access_key_secret": secret, "ram_role_arn": ROLE}
    ]}));
    home
}

#[tokio::test]
async fn a_hundred_concurrent_calls_after_the_key_went_stale_refresh_once() {
    let emulator = short_lived().await;
    let home = cli_role_home(&emulator, "concurrent");
    let cache = short_cache(&emulator, env_no_ecs(&[], &home));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);
    let dsw = count_dsw_requests(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    let first = identity(&client).await.1;
    assert_eq!(emulator.credential_requests().assume_role, 1);

    tokio::time::sleep(PAST_STALE).await;
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            let instance = instance.clone();
            tokio::spawn(async move { dsw_list(&client, &instance).await })
        })
        .collect();
    for call in calls {
        call.await.expect("joined").expect("the call succeeds");
    }
    let two = requests(|r| {
        r.assume_role = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two, "exactly one refresh");
    assert_eq!(matched(&emulator, dsw), 101, "one attempt per call");
    assert_ne!(identity(&client).await.1, first);
}

// ---------------------------------------------------------------------------------------
// 8. A retry after a refresh signs with the refreshed key.

#[tokio::test]
async fn a_retry_after_the_key_expired_signs_with_the_refreshed_key() {
    let emulator = short_lived().await;
    let home = TempHome::new("retry");
    let (id, secret) = demo_key(&emulator);
    home.ini(&format!(
        "[default]\ntype = ram_role_arn\naccess_key_id = {id}\naccess_key_secret = {secret}\n\
         role_arn = {ROLE}\n"
    ));
    let cache = short_cache(&emulator, env_no_ecs(&[], &home));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);
    let dsw = count_dsw_requests(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    let old = cache.get().await.expect("credentials");
    assert_eq!(old.provider, "ram_role_arn");
    assert_eq!(identity(&client).await.1, old.key.id);

    // The next attempt is held until the key it was signed with has expired (the emulator
    // refuses it from then on), then answered 503: the retry must sign anew.
    let hold = emulator
        .faults()
        .add(
            FaultRule::latency(LIFETIME + Duration::from_millis(500))
                .on("GET", "/dsw/**")
                .times(1),
        )
        .expect("rule");
    let unavailable = emulator
        .faults()
        .add(FaultRule::server_error(503).on("GET", "/dsw/**").times(1))
        .expect("rule");
    dsw_list(&client, &instance)
        .await
        .expect("the retry, signed with the refreshed key, succeeds");
    assert_eq!(
        (fired(&emulator, hold), fired(&emulator, unavailable)),
        (1, 1)
    );
    assert_eq!(
        matched(&emulator, dsw),
        3,
        "the first call, the 503, the retry"
    );
    let two = requests(|r| {
        r.assume_role = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);
    let new = identity(&client).await.1;
    assert_ne!(new, old.key.id);

    // The old key, used after its expiry, is refused.
    let runtime = snapshots_runtime::Runtime::builder()
        .credentials(Credentials::AccessKey(old.key.clone()))
        .rate_limit(RateLimiter::unlimited())
        .build();
    let raw = pai_dsw::Client::new_with_client(
        &emulator.dsw_url(),
        snapshots_runtime::http_client_builder().build().unwrap(),
        runtime,
    );
    let error = Error::from(
        raw.list_instance_snapshot()
            .instance_id(&instance)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status(), Some(400), "{error:?}");
    assert_eq!(
        error.code(),
        Some("InvalidSecurityToken.Expired"),
        "{error:?}"
    );
    let mut secrets = vec![old.key.secret.expose().to_owned()];
    secrets.extend(old.key.security_token.iter().map(|t| t.expose().to_owned()));
    assert_no_secret(&format!("{error:?} {error}"), &secrets);
}

// ---------------------------------------------------------------------------------------
// 9. Faults of the credential services.

#[tokio::test]
async fn sts_down_during_a_refresh_is_a_typed_error_in_bounded_time() {
    let emulator = short_lived().await;
    let home = cli_role_home(&emulator, "sts-down");
    let cache = short_cache(&emulator, env_no_ecs(&[], &home));
    let client = client_with_cache(&emulator, &cache);
    let instance = instance(&emulator);
    let dsw = count_dsw_requests(&emulator);

    dsw_list(&client, &instance).await.unwrap();
    let mut secrets = current_secrets(&cache).await;
    secrets.push(demo_key(&emulator).1);
    let down = emulator
        .faults()
        .add(FaultRule::server_error(503).path("/sts"))
        .expect("rule");
    tokio::time::sleep(PAST_STALE).await;

    let started = Instant::now();
    let error = dsw_list(&client, &instance).await.unwrap_err();
    assert!(started.elapsed() < BOUNDED, "{:?}", started.elapsed());
    match &error {
        Error::Credentials(CredentialsError::Refresh { provider, reason }) => {
            assert_eq!(provider, "ram_role_arn");
            assert!(
                reason.contains("503") || reason.contains("ServiceUnavailable"),
                "the cause: {reason}"
            );
        }
        other => panic!("expected Error::Credentials(Refresh), got {other:?}"),
    }
    assert_eq!(fired(&emulator, down), 3, "three attempts");
    assert_eq!(matched(&emulator, dsw), 1, "nothing sent to DSW");
    let one = requests(|r| {
        r.assume_role = 1;
        r.issued = 1;
    });
    assert_eq!(emulator.credential_requests(), one);
    assert_no_secret(&format!("{error:?} {error}"), &secrets);
    assert_no_secret(&format!("{client:?}"), &secrets);
}

#[tokio::test]
async fn sts_unreachable_at_first_use_is_a_typed_error_in_bounded_time() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = cli_role_home(&emulator, "sts-closed");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bound");
        listener.local_addr().expect("address").port()
    };
    let cache = CredentialsCache::new(
        DefaultChain::new(env_no_ecs(&[], &home)).with_endpoints(
            Endpoints::default()
                .with_sts(format!("http://127.0.0.1:{closed}/sts"))
                .with_ecs_metadata(emulator.imds_url()),
        ),
    );
    let client = client_with_cache(&emulator, &cache);
    let started = Instant::now();
    let error = dsw_list(&client, &instance(&emulator)).await.unwrap_err();
    assert!(started.elapsed() < BOUNDED, "{:?}", started.elapsed());
    let Error::Credentials(inner) = &error else {
        panic!("expected Error::Credentials, got {error:?}");
    };
    let text = inner.to_string();
    assert!(text.contains("ram_role_arn"), "names the provider: {text}");
    assert_no_secret(&format!("{error:?} {error}"), &[demo_key(&emulator).1]);
}

/// A loopback server answering every request `200` with this body as JSON.
async fn answering(body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}/sts")
}

#[tokio::test]
async fn malformed_sts_json_is_a_typed_error_that_quotes_no_body() {
    const SECRET_IN_BODY: &str = "body-secret-0123456789abcdefghij";
    let emulator = emulator_with(CredentialServices::default()).await;
    let home = cli_role_home(&emulator, "sts-malformed");
    let sts = answering(
        "{\"Credentials\": {\"AccessKeyId\": \"STS.x\", \"AccessKeySecret\": \"body-secret-0123456789abcdefghij\", ",
    )
    .await;
    let cache = CredentialsCache::new(
        DefaultChain::new(env_no_ecs(&[], &home))
            .with_endpoints(Endpoints::default().with_sts(sts)),
    );
    let client = client_with_cache(&emulator, &cache);
    let started = Instant::now();
    let error = dsw_list(&client, &instance(&emulator)).await.unwrap_err();
    assert!(started.elapsed() < BOUNDED, "{:?}", started.elapsed());
    let Error::Credentials(inner) = &error else {
        panic!("expected Error::Credentials, got {error:?}");
    };
    assert!(inner.to_string().contains("ram_role_arn"), "{inner}");
    assert_no_secret(
        &format!("{error:?} {error}"),
        &[SECRET_IN_BODY.to_owned(), demo_key(&emulator).1],
    );
}

#[tokio::test]
async fn ecs_serves_the_cached_key_when_imds_fails_but_a_strict_cache_fails() {
    let emulator = emulator_with(CredentialServices {
        credentials_lifetime: Some(Duration::from_secs(4)),
        ..CredentialServices::default()
    })
    .await;
    let home = TempHome::new("ecs-stale");
    let env = Environment::default().with_home(home.path());
    // Keys issued at t say they expire in (t + 3 s, t + 4 s] and do at t + 4 s: with a 2 s
    // margin they are stale by t + 2 s and still open DSW until t + 4 s.
    let margin = Duration::from_secs(2);
    let lenient = cache_with(
        &emulator,
        env.clone(),
        RefreshPolicy::ecs_ram_role()
            .with_stale_before_expiry(margin)
            .with_prefetch_after(None),
    );
    let strict = cache_with(
        &emulator,
        env,
        RefreshPolicy::default().with_stale_before_expiry(margin),
    );
    let serving = client_with_cache(&emulator, &lenient);
    let failing = client_with_cache(&emulator, &strict);
    let instance = instance(&emulator);

    dsw_list(&serving, &instance).await.unwrap();
    dsw_list(&failing, &instance).await.unwrap();
    let (provider, kept, _) = identity(&serving).await;
    assert_eq!(provider, "ecs_ram_role");
    let two = requests(|r| {
        r.imds_token = 4;
        r.imds_role_name = 2;
        r.imds_credentials = 2;
        r.issued = 2;
    });
    assert_eq!(emulator.credential_requests(), two);

    let imds_down = emulator
        .faults()
        .add(FaultRule::server_error(500).path("/imds/**"))
        .expect("rule");
    tokio::time::sleep(Duration::from_millis(2_100)).await;

    let started = Instant::now();
    dsw_list(&serving, &instance)
        .await
        .expect("the stale key is served");
    assert_eq!(identity(&serving).await.1, kept);
    let error = dsw_list(&failing, &instance).await.unwrap_err();
    assert!(started.elapsed() < BOUNDED, "{:?}", started.elapsed());
    match &error {
        Error::Credentials(CredentialsError::Refresh { provider, .. }) => {
            assert_eq!(provider, "ecs_ram_role");
        }
        other => panic!("expected Error::Credentials(Refresh), got {other:?}"),
    }
    assert!(
        fired(&emulator, imds_down) >= 2,
        "both refreshes tried IMDS"
    );
    assert_eq!(emulator.credential_requests(), two, "nothing reached IMDS");
    let mut secrets = current_secrets(&lenient).await;
    secrets.extend(current_secrets_or_none(&strict).await);
    assert_no_secret(
        &format!("{error:?} {error} {failing:?} {serving:?}"),
        &secrets,
    );
}

/// The secrets `cache` holds, if it still gives any.
async fn current_secrets_or_none(cache: &CredentialsCache) -> Vec<String> {
    match cache.get().await {
        Ok(current) => {
            let mut s = vec![current.key.secret.expose().to_owned()];
            s.extend(
                current
                    .key
                    .security_token
                    .iter()
                    .map(|t| t.expose().to_owned()),
            );
            s
        }
        Err(_) => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// 10. No secret in `Debug`, for every kind of provider at once.

#[tokio::test]
async fn no_issued_secret_shows_in_the_debug_of_clients_caches_or_builders() {
    let emulator = emulator_with(CredentialServices::default()).await;
    let instance = instance(&emulator);
    let (id, secret) = demo_key(&emulator);
    let uri = emulator.credentials_uri();

    let role = cli_role_home(&emulator, "debug-role");
    let oidc = TempHome::new("debug-oidc");
    let token_file = oidc.oidc_token_file();
    let ecs = TempHome::new("debug-ecs");
    let plain = TempHome::new("debug-uri");
    let envs = [
        env_no_ecs(&[], &role),
        oidc_env(&oidc, &token_file),
        Environment::default().with_home(ecs.path()),
        env_no_ecs(&[("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str())], &plain),
        env_no_ecs(
            &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", id.as_str()),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret.as_str()),
            ],
            &plain,
        ),
    ];
    let mut providers = Vec::new();
    for env in envs {
        let cache = CredentialsCache::new(
            DefaultChain::new(env.clone()).with_endpoints(endpoints(&emulator)),
        );
        let builder = base_builder(&emulator, env).credentials_cache(cache.clone());
        let client = builder.clone().build().expect("client");
        dsw_list(&client, &instance).await.unwrap();
        providers.push(identity(&client).await.0);
        let mut secrets = current_secrets(&cache).await;
        secrets.push(secret.clone());
        secrets.push(DEMO_OIDC_TOKEN.to_owned());
        for text in [
            format!("{client:?}"),
            format!("{client:#?}"),
            format!("{cache:?}"),
            format!("{builder:?}"),
        ] {
            assert_no_secret(&text, &secrets);
        }
    }
    assert_eq!(
        providers,
        [
            "ram_role_arn",
            "oidc_role_arn",
            "ecs_ram_role",
            "credential_uri",
            "env"
        ]
    );
}
