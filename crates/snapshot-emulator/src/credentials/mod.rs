//! Alibaba Cloud's credential services, as `alibabacloud-credentials` 1.0.12 calls them, on
//! the emulator's port: STS (`AssumeRole`, `AssumeRoleWithOIDC`), the ECS instance metadata
//! service (RAM role credentials, IMDSv1 and v2) and a credentials URI. The temporary
//! credentials they issue open the DSW and LangStudio ROA routes until they expire.
//!
//! | route | what | counter ([`CredentialRequests`]) |
//! | --- | --- | --- |
//! | `GET`/`POST /sts`, `/sts/` and `/` with `Action=AssumeRole` | V1-signed (`HMAC-SHA1`) by the demo key or an unexpired issued key (role chaining) | `assume_role` |
//! | same, `Action=AssumeRoleWithOIDC` | unsigned; checks `OIDCProviderArn` and `OIDCToken` | `assume_role_with_oidc` |
//! | `PUT /imds/latest/api/token` | IMDSv2 token (`text/plain`), needs `X-aliyun-ecs-metadata-token-ttl-seconds` (1..=21600) | `imds_token` |
//! | `GET /imds/latest/meta-data/ram/security-credentials/` | the role name (`text/plain`) | `imds_role_name` |
//! | `GET /imds/latest/meta-data/ram/security-credentials/<role>` | `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated"}` | `imds_credentials` |
//! | `GET /credentials-uri` (and any path below it) | `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}` | `uri` |
//!
//! A client points its STS endpoint at `http://127.0.0.1:<port>/sts` (the Python library
//! takes `sts_endpoint="http://127.0.0.1:<port>/sts"`: an endpoint with a scheme is used as
//! is), the ECS metadata host at `http://127.0.0.1:<port>/imds` (the library's is fixed to
//! `100.100.100.200`), and `ALIBABA_CLOUD_CREDENTIALS_URI` at
//! `http://127.0.0.1:<port>/credentials-uri`.
//!
//! **Issued credentials**: AccessKey id `STS.` + 28 letters and digits, a 30-character
//! secret, a `CAIS...` security token of 620 characters, and an `Expiration`
//! (`YYYY-MM-DDThh:mm:ssZ`, UTC, the exact instant rounded down to the second) of now plus
//! `DurationSeconds` (STS; default 3600) or one hour (IMDS, URI), at most
//! [`CredentialServices::credentials_lifetime`] when that is set. Every call issues a new
//! key. Keys live in one store shared with the ROA authentication (see [`crate::auth`]):
//! there, an issued key is accepted with its secret and its own `x-acs-security-token`; once
//! expired it is `400 InvalidSecurityToken.Expired`. The store holds at most 100,000 keys:
//! keys expired for more than an hour are forgotten (then `InvalidAccessKeyId.NotFound`),
//! and when it is full the expired keys go first, then the ones closest to expiry.
//!
//! **STS** answers `{"RequestId", "AssumedRoleUser": {"Arn", "AssumedRoleId"},
//! "Credentials": {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}` (plus
//! `"OIDCTokenInfo": {"Issuer", "Subject", "ClientIds"}` for OIDC, fixed values), always
//! JSON, and errors in the Alibaba shape (`RequestId`, `HostId`, `Code`, `Message`,
//! `Recommend`) with these codes, in the order checked:
//!
//! | check | status | code |
//! | --- | --- | --- |
//! | no `Action` | 400 | `MissingAction` |
//! | `Version` missing / not `2015-04-01` | 400 | `MissingVersion` / `InvalidVersion` |
//! | an action other than the two | 404 | `InvalidAction.NotFound` |
//! | AssumeRole: `SignatureMethod`, `AccessKeyId`, `Signature`, `Timestamp`, `SignatureNonce` missing | 400 | `Missing<Name>` |
//! | AssumeRole: `SignatureMethod` not `HMAC-SHA1` | 400 | `InvalidSignatureMethod` |
//! | AssumeRole: `Timestamp` malformed / more than 15 minutes off | 400 | `InvalidTimeStamp.Format` / `InvalidTimeStamp.Expired` |
//! | AssumeRole: unknown AccessKey id (or issued and forgotten) | 404 | `InvalidAccessKeyId.NotFound` |
//! | AssumeRole: issued key expired | 400 | `InvalidSecurityToken.Expired` |
//! | AssumeRole: STS key without `SecurityToken` / with another one | 400 | `MissingSecurityToken` / `InvalidSecurityToken.MismatchWithAccessKey` |
//! | AssumeRole: wrong signature | 400 | `SignatureDoesNotMatch` (message: the server's string to sign) |
//! | AssumeRole: `SignatureNonce` used in the last 30 minutes | 400 | `SignatureNonceUsed` |
//! | OIDC: `OIDCProviderArn` missing / not the configured one | 400 / 401 | `MissingOIDCProviderArn` / `AuthenticationFail.NoPermission` |
//! | OIDC: `OIDCToken` empty or not the configured one | 401 | `AuthenticationFail.OIDCToken.Invalid` |
//! | `RoleArn` missing / not `acs:ram::<digits>:role/<name>` / not an assumable role | 400 / 400 / 404 | `MissingRoleArn` / `InvalidParameter.RoleArn` / `EntityNotExist.Role` |
//! | `RoleSessionName` missing / not 2 to 64 of `A-Za-z0-9.@-_` | 400 | `MissingRoleSessionName` / `InvalidParameter.RoleSessionName` |
//! | `DurationSeconds` not a number in 900..=[`max_session_duration`](CredentialServices::max_session_duration) | 400 | `InvalidParameter.DurationSeconds` |
//! | `Policy` not JSON | 400 | `InvalidParameter.PolicyGrammar` |
//!
//! The codes are the ones Alibaba documents for STS (`api-sts-2015-04-01-errorcodes`, the
//! AssumeRole troubleshooting page) and the POP gateway; `Missing<Name>` follows the
//! gateway's `MissingSecurityToken`/"... is mandatory for this action." pattern. A `POST`
//! may carry the parameters in an `application/x-www-form-urlencoded` body too (the
//! library sends a `GET` with the query). The signature is checked over the parameters
//! received, as the library computes it (`quote_plus`, spaces as `+`) or as the POP
//! documentation does (spaces as `%20`); `SignatureVersion` and `Format` are not checked.
//!
//! **IMDS** answers in `text/plain`. With [`CredentialServices::imds_v2_disabled`] the
//! token `PUT` is `404` (a client must fall back to v1). A request that sends an
//! `X-aliyun-ecs-metadata-token` must send a valid, unexpired one (else `401`); one without
//! a token is served unless [`CredentialServices::imds_require_token`] (then `401`). A role
//! other than [`CredentialServices::ecs_role_name`] is `404`; a token `PUT` without a TTL
//! header, or with one outside 1..=21600 seconds, is `400`.
//!
//! **Faults**: these routes sit behind the same fault-injection middleware as the APIs
//! (rules by path glob, e.g. `/sts`, `/imds/**`, `/credentials-uri`), so STS or IMDS can
//! answer 5xx, be slow or drop connections. Injected errors use the Alibaba error shape.
//! Counters count the requests that reach a handler (an injected fault that answers before
//! the handler is not counted), answered with success or not.

pub(crate) mod sts;
pub(crate) mod v1;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rand::RngExt;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The account id of the default configuration.
const DEFAULT_ACCOUNT: &str = "1000000000000001";

/// The OIDC token the default configuration accepts: a JWT-shaped demo string (header
/// `{"alg":"RS256","kid":"emulator"}`, payload `{"iss":"https://oidc.emulator.invalid",
/// "sub":"system:serviceaccount:default:emulator","aud":"sts.aliyuncs.com"}`); it is
/// compared as a whole, never decoded.
pub const DEMO_OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImVtdWxhdG9yIn0.eyJpc3MiOiJodHRwczovL29pZGMuZW11bGF0b3IuaW52YWxpZCIsInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDpkZWZhdWx0OmVtdWxhdG9yIiwiYXVkIjoic3RzLmFsaXl1bmNzLmNvbSJ9.ZW11bGF0b3ItZGVtby1zaWduYXR1cmU";

/// How many issued keys the store holds at most.
pub(crate) const MAX_KEYS: usize = 100_000;
/// How long an expired key is still known (and answered `InvalidSecurityToken.Expired`).
const EXPIRED_MEMORY: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// How many IMDSv2 tokens are remembered at most.
const MAX_IMDS_TOKENS: usize = 10_000;
/// The longest IMDSv2 token TTL, in seconds.
const MAX_IMDS_TOKEN_TTL: u64 = 21_600;
/// The lifetime of credentials from IMDS and the credentials URI (before the cap).
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// The `Signature` of an RPC V1 request with these parameters (all but `Signature`), as
/// `alibabacloud-credentials` computes it for `AssumeRole`: HMAC-SHA1 with key
/// `access_key_secret + "&"` over `compose_string_to_sign(method, params)`, base64. For
/// clients and tests that call the emulator's STS without the official library.
///
/// ```
/// let signature = snapshot_emulator::credentials::rpc_v1_signature(
///     "GET",
///     [("Action", "AssumeRole"), ("AccessKeyId", "LTAI5tEmulatorDemoKeyId")],
///     "emulator-demo-access-key-secret",
/// );
/// assert_eq!(signature.len(), 28);
/// ```
pub fn rpc_v1_signature<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    access_key_secret: &str,
) -> String {
    v1::sign(
        &v1::string_to_sign(method, params, v1::Spaces::Plus),
        access_key_secret,
    )
}

/// The configuration of the credential services (see the [module documentation](self)).
///
/// ```
/// let services = snapshot_emulator::credentials::CredentialServices::default();
/// assert_eq!(services.assumable_roles, ["acs:ram::1000000000000001:role/emulator-role"]);
/// assert_eq!(services.max_session_duration, std::time::Duration::from_secs(3600));
/// assert_eq!(services.credentials_lifetime, None);
/// assert!(!services.imds_require_token && !services.imds_v2_disabled);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialServices {
    /// The role ARNs `AssumeRole` and `AssumeRoleWithOIDC` accept (default
    /// `acs:ram::1000000000000001:role/emulator-role`).
    pub assumable_roles: Vec<String>,
    /// The longest `DurationSeconds` STS accepts (default 3600 s, the default
    /// `MaxSessionDuration` of a RAM role; the shortest is 900 s).
    pub max_session_duration: Duration,
    /// The OIDC provider `AssumeRoleWithOIDC` accepts (default
    /// `acs:ram::1000000000000001:oidc-provider/emulator-provider`).
    pub oidc_provider_arn: String,
    /// The OIDC token `AssumeRoleWithOIDC` accepts (default [`DEMO_OIDC_TOKEN`]; compared
    /// after trimming surrounding whitespace, such as a token file's final newline).
    pub oidc_token: String,
    /// The RAM role of the emulated ECS instance (default `emulator-role`).
    pub ecs_role_name: String,
    /// When set, no issued credentials live longer than this, whatever was asked (so tests
    /// can see them expire in a second or two). Default `None`.
    pub credentials_lifetime: Option<Duration>,
    /// IMDS in hardened mode: requests without a valid `X-aliyun-ecs-metadata-token` are
    /// `401` (default `false`: IMDSv1 allowed, as in an ECS instance's normal mode).
    pub imds_require_token: bool,
    /// The IMDSv2 token endpoint answers `404`, so a client must fall back to v1 (default
    /// `false`).
    pub imds_v2_disabled: bool,
}

impl CredentialServices {
    /// The default set-up for an account: one role `emulator-role`, one OIDC provider
    /// `emulator-provider`.
    pub fn for_account(account_id: &str) -> Self {
        Self {
            assumable_roles: vec![format!("acs:ram::{account_id}:role/emulator-role")],
            max_session_duration: Duration::from_secs(3600),
            oidc_provider_arn: format!("acs:ram::{account_id}:oidc-provider/emulator-provider"),
            oidc_token: DEMO_OIDC_TOKEN.to_owned(),
            ecs_role_name: "emulator-role".to_owned(),
            credentials_lifetime: None,
            imds_require_token: false,
            imds_v2_disabled: false,
        }
    }
}

impl Default for CredentialServices {
    fn default() -> Self {
        Self::for_account(DEFAULT_ACCOUNT)
    }
}

impl fmt::Debug for CredentialServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialServices")
            .field("assumable_roles", &self.assumable_roles)
            .field("max_session_duration", &self.max_session_duration)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("oidc_token", &"***")
            .field("ecs_role_name", &self.ecs_role_name)
            .field("credentials_lifetime", &self.credentials_lifetime)
            .field("imds_require_token", &self.imds_require_token)
            .field("imds_v2_disabled", &self.imds_v2_disabled)
            .finish()
    }
}

/// How many requests each credential service has handled, and how many keys were issued
/// ([`RunningEmulator::credential_requests`](crate::RunningEmulator::credential_requests)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CredentialRequests {
    /// STS `AssumeRole` requests.
    pub assume_role: u64,
    /// STS `AssumeRoleWithOIDC` requests.
    pub assume_role_with_oidc: u64,
    /// IMDSv2 token requests (`PUT /imds/latest/api/token`).
    pub imds_token: u64,
    /// IMDS role-name requests (`GET .../security-credentials/`).
    pub imds_role_name: u64,
    /// IMDS credentials requests (`GET .../security-credentials/<role>`).
    pub imds_credentials: u64,
    /// Credentials-URI requests.
    pub uri: u64,
    /// Temporary keys issued, by all of them.
    pub issued: u64,
}

/// Which counter a request adds to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    AssumeRole,
    AssumeRoleWithOidc,
    ImdsToken,
    ImdsRoleName,
    ImdsCredentials,
    Uri,
}

/// An issued temporary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedKey {
    pub(crate) access_key_id: String,
    pub(crate) access_key_secret: String,
    pub(crate) security_token: String,
    pub(crate) expires: DateTime<Utc>,
}

impl IssuedKey {
    /// `Expiration` as the services write it: `YYYY-MM-DDThh:mm:ssZ`, rounded down.
    pub(crate) fn expiration(&self) -> String {
        format_time(self.expires)
    }
}

pub(crate) fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What the store knows of an AccessKey id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Never issued, or expired long enough ago to be forgotten.
    Unknown,
    /// Issued and not expired.
    Live(IssuedKey),
    /// Issued and expired.
    Expired,
}

#[derive(Debug, Default)]
struct Keys {
    keys: HashMap<String, IssuedKey>,
    inserts: u64,
}

impl Keys {
    fn insert(&mut self, key: IssuedKey, now: DateTime<Utc>, cap: usize) {
        self.inserts += 1;
        if self.inserts.is_multiple_of(1024) || self.keys.len() >= cap {
            self.keys.retain(|_, k| k.expires + EXPIRED_MEMORY > now);
        }
        if self.keys.len() >= cap {
            self.keys.retain(|_, k| k.expires > now);
        }
        while self.keys.len() >= cap {
            let Some(first) = self
                .keys
                .values()
                .min_by_key(|k| k.expires)
                .map(|k| k.access_key_id.clone())
            else {
                break;
            };
            self.keys.remove(&first);
        }
        self.keys.insert(key.access_key_id.clone(), key);
    }

    fn lookup(&self, id: &str, now: DateTime<Utc>) -> Lookup {
        match self.keys.get(id) {
            Some(key) if now < key.expires => Lookup::Live(key.clone()),
            Some(key) if now < key.expires + EXPIRED_MEMORY => Lookup::Expired,
            _ => Lookup::Unknown,
        }
    }
}

/// The issued keys, the IMDSv2 tokens and the counters, shared by the credential routes and
/// the ROA authentication.
#[derive(Debug)]
pub(crate) struct CredentialStore {
    pub(crate) config: CredentialServices,
    keys: Mutex<Keys>,
    imds_tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    counters: Mutex<CredentialRequests>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl CredentialStore {
    pub(crate) fn new(config: CredentialServices) -> Self {
        Self {
            config,
            keys: Mutex::new(Keys::default()),
            imds_tokens: Mutex::new(HashMap::new()),
            counters: Mutex::new(CredentialRequests::default()),
        }
    }

    pub(crate) fn count(&self, kind: Kind) {
        let mut counters = lock(&self.counters);
        let slot = match kind {
            Kind::AssumeRole => &mut counters.assume_role,
            Kind::AssumeRoleWithOidc => &mut counters.assume_role_with_oidc,
            Kind::ImdsToken => &mut counters.imds_token,
            Kind::ImdsRoleName => &mut counters.imds_role_name,
            Kind::ImdsCredentials => &mut counters.imds_credentials,
            Kind::Uri => &mut counters.uri,
        };
        *slot += 1;
    }

    pub(crate) fn requests(&self) -> CredentialRequests {
        *lock(&self.counters)
    }

    /// Issues a new key living `lifetime` (at most the configured cap) from `now`.
    pub(crate) fn issue(&self, lifetime: Duration, now: DateTime<Utc>) -> IssuedKey {
        let lifetime = self
            .config
            .credentials_lifetime
            .map_or(lifetime, |cap| cap.min(lifetime));
        let lifetime = chrono::TimeDelta::from_std(lifetime).unwrap_or(chrono::TimeDelta::MAX);
        let key = IssuedKey {
            access_key_id: format!("STS.{}", random_from(ALNUM, 28)),
            access_key_secret: random_from(ALNUM, 30),
            security_token: format!("CAIS{}", random_from(BASE64, 616)),
            expires: now
                .checked_add_signed(lifetime)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        };
        self.insert(key.clone(), now, MAX_KEYS);
        lock(&self.counters).issued += 1;
        key
    }

    fn insert(&self, key: IssuedKey, now: DateTime<Utc>, cap: usize) {
        lock(&self.keys).insert(key, now, cap);
    }

    pub(crate) fn lookup(&self, access_key_id: &str, now: DateTime<Utc>) -> Lookup {
        lock(&self.keys).lookup(access_key_id, now)
    }

    fn new_imds_token(&self, ttl: Duration, now: DateTime<Utc>) -> String {
        let token = random_from(BASE64, 56);
        let expires = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::zero());
        let mut tokens = lock(&self.imds_tokens);
        if tokens.len() >= MAX_IMDS_TOKENS {
            tokens.retain(|_, at| *at > now);
        }
        while tokens.len() >= MAX_IMDS_TOKENS {
            let Some(first) = tokens
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(t, _)| t.clone())
            else {
                break;
            };
            tokens.remove(&first);
        }
        tokens.insert(token.clone(), expires);
        token
    }

    fn imds_token_valid(&self, token: &str, now: DateTime<Utc>) -> bool {
        lock(&self.imds_tokens)
            .get(token)
            .is_some_and(|expires| now < *expires)
    }
}

// ---------------------------------------------------------------------------------------
// IMDS and the credentials URI.

const IMDS_TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
const IMDS_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

async fn imds_token(State(store): State<Arc<CredentialStore>>, headers: HeaderMap) -> Response {
    store.count(Kind::ImdsToken);
    if store.config.imds_v2_disabled {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    let ttl = headers
        .get(IMDS_TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match ttl {
        Some(ttl @ 1..=MAX_IMDS_TOKEN_TTL) => text(
            StatusCode::OK,
            store.new_imds_token(Duration::from_secs(ttl), Utc::now()),
        ),
        _ => text(
            StatusCode::BAD_REQUEST,
            format!("{IMDS_TTL_HEADER} must be a number of seconds in 1..={MAX_IMDS_TOKEN_TTL}"),
        ),
    }
}

/// `None` when the request may read metadata, else the `401` to answer.
fn imds_refusal(store: &CredentialStore, headers: &HeaderMap) -> Option<Response> {
    match headers
        .get(IMDS_TOKEN_HEADER)
        .map(|v| v.to_str().unwrap_or(""))
    {
        Some(token) if store.imds_token_valid(token, Utc::now()) => None,
        Some(_) => Some(text(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid or expired metadata token",
        )),
        None if store.config.imds_require_token => Some(text(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: this instance requires an X-aliyun-ecs-metadata-token (IMDSv2)",
        )),
        None => None,
    }
}

async fn imds_role_name(State(store): State<Arc<CredentialStore>>, headers: HeaderMap) -> Response {
    store.count(Kind::ImdsRoleName);
    if let Some(refusal) = imds_refusal(&store, &headers) {
        return refusal;
    }
    text(StatusCode::OK, store.config.ecs_role_name.clone())
}

async fn imds_credentials(
    State(store): State<Arc<CredentialStore>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    store.count(Kind::ImdsCredentials);
    if let Some(refusal) = imds_refusal(&store, &headers) {
        return refusal;
    }
    if role != store.config.ecs_role_name {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    let now = Utc::now();
    let key = store.issue(METADATA_LIFETIME, now);
    Json(serde_json::json!({
        "AccessKeyId": key.access_key_id,
        "AccessKeySecret": key.access_key_secret,
        "Expiration": key.expiration(),
        "SecurityToken": key.security_token,
        "LastUpdated": format_time(now),
        "Code": "Success",
    }))
    .into_response()
}

async fn credentials_uri(State(store): State<Arc<CredentialStore>>) -> Response {
    store.count(Kind::Uri);
    let key = store.issue(METADATA_LIFETIME, Utc::now());
    Json(serde_json::json!({
        "Code": "Success",
        "AccessKeyId": key.access_key_id,
        "AccessKeySecret": key.access_key_secret,
        "SecurityToken": key.security_token,
        "Expiration": key.expiration(),
    }))
    .into_response()
}

/// The IMDS and credentials-URI routes (with their prefixes).
pub(crate) fn metadata_router(store: Arc<CredentialStore>) -> Router {
    const CREDS: &str = "/imds/latest/meta-data/ram/security-credentials";
    Router::new()
        .route("/imds/latest/api/token", put(imds_token))
        .route(&format!("{CREDS}/"), get(imds_role_name))
        .route(&format!("{CREDS}/{{role}}"), get(imds_credentials))
        .route("/credentials-uri", get(credentials_uri))
        .route("/credentials-uri/", get(credentials_uri))
        .route("/credentials-uri/{*rest}", get(credentials_uri))
        .with_state(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn issued_keys_look_like_real_ones_and_expire() {
        let config = CredentialServices {
            credentials_lifetime: Some(Duration::from_millis(1500)),
            ..CredentialServices::default()
        };
        let store = CredentialStore::new(config);
        let now = at("2025-01-01T00:00:00.900Z");
        let key = store.issue(Duration::from_secs(3600), now);
        assert!(key.access_key_id.starts_with("STS.") && key.access_key_id.len() == 32);
        assert!(key.security_token.starts_with("CAIS") && key.security_token.len() == 620);
        // The cap wins over the hour asked; the wire form rounds down.
        assert_eq!(key.expiration(), "2025-01-01T00:00:02Z");
        assert_eq!(
            store.lookup(&key.access_key_id, now),
            Lookup::Live(key.clone())
        );
        let later = at("2025-01-01T00:00:02.399Z");
        assert!(matches!(
            store.lookup(&key.access_key_id, later),
            Lookup::Live(_)
        ));
        let expired = at("2025-01-01T00:00:02.400Z");
        assert_eq!(store.lookup(&key.access_key_id, expired), Lookup::Expired);
        assert_eq!(
            store.lookup(&key.access_key_id, expired + chrono::TimeDelta::hours(2)),
            Lookup::Unknown
        );
        assert_eq!(store.lookup("STS.other", now), Lookup::Unknown);
        assert_eq!(store.requests().issued, 1);
        // Without a cap, the asked lifetime.
        let store = CredentialStore::new(CredentialServices::default());
        let key = store.issue(Duration::from_secs(900), at("2025-01-01T00:00:00Z"));
        assert_eq!(key.expiration(), "2025-01-01T00:15:00Z");
    }

    #[test]
    fn the_store_is_bounded_and_evicts_expired_keys_first() {
        let store = CredentialStore::new(CredentialServices::default());
        let t0 = at("2025-01-01T00:00:00Z");
        let key = |id: &str, expires: DateTime<Utc>| IssuedKey {
            access_key_id: id.to_owned(),
            access_key_secret: "s".into(),
            security_token: "t".into(),
            expires,
        };
        let now = t0 + chrono::TimeDelta::minutes(10);
        store.insert(key("expired", t0), now, 3);
        store.insert(key("late", now + chrono::TimeDelta::hours(2)), now, 3);
        store.insert(key("soon", now + chrono::TimeDelta::hours(1)), now, 3);
        // Full: the expired key goes first.
        store.insert(key("new", now + chrono::TimeDelta::hours(3)), now, 3);
        assert_eq!(store.lookup("expired", now), Lookup::Unknown);
        assert!(matches!(store.lookup("soon", now), Lookup::Live(_)));
        // Full of live keys: the one closest to expiry goes.
        store.insert(key("newer", now + chrono::TimeDelta::hours(3)), now, 3);
        assert_eq!(store.lookup("soon", now), Lookup::Unknown);
        for id in ["late", "new", "newer"] {
            assert!(matches!(store.lookup(id, now), Lookup::Live(_)), "{id}");
        }
        assert_eq!(lock(&store.keys).keys.len(), 3);
    }

    #[test]
    fn imds_tokens_expire() {
        let store = CredentialStore::new(CredentialServices::default());
        let t0 = at("2025-01-01T00:00:00Z");
        let token = store.new_imds_token(Duration::from_secs(10), t0);
        assert!(store.imds_token_valid(&token, t0 + chrono::TimeDelta::seconds(9)));
        assert!(!store.imds_token_valid(&token, t0 + chrono::TimeDelta::seconds(10)));
        assert!(!store.imds_token_valid("other", t0));
    }
}
