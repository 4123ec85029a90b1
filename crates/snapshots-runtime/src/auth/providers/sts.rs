//! Alibaba Cloud STS (`sts.aliyuncs.com`, API version `2015-04-01`) as the official
//! `alibabacloud-credentials` 1.0.12 Python library calls it from its `ram_role_arn` and
//! `oidc_role_arn` providers: the RPC V1 signature (`string_to_sign`, `sign`), the
//! endpoint rule ([`sts_endpoint`]), and one call (`call`) with its own bounded retries.
//!
//! Wire format (the library's `parameter_helper.py` and `Tea.core.compose_url`): a `GET` of
//! `<endpoint>?<query>` (no path beyond the endpoint's own), every parameter in the query
//! string, no body; the answer is JSON, `{"Credentials": {"AccessKeyId", "AccessKeySecret",
//! "SecurityToken", "Expiration"}}` on success (`Expiration` is `YYYY-MM-DDTHH:MM:SSZ`), and
//! `{"Code", "Message", "RequestId", ...}` on failure.
//!
//! Deviations from the library, on purpose:
//!
//! - Percent-encoding: the library encodes with Python's `quote_plus` (a space becomes `+`,
//!   so `%2B` in the string to sign), where the RPC V1 specification and the official Java and
//!   Go libraries encode per RFC 3986 (a space is `%20`, so `%2520`). Here the specification's
//!   encoding is used. Both are byte-identical for every value without a space (`*` is `%2A`
//!   and `~` is kept by both); they differ only for a value with a space, such as a `Policy`
//!   document written with spaces, which the library's encoding would sign differently from
//!   the service.
//! - Retries: the library makes one attempt; here up to 3 attempts are made, after pauses of
//!   200 and 400 ms, on connect errors, timeouts, `5xx` and `Throttling*` error codes, never on
//!   any other `4xx`. Each attempt has its own `Timestamp` and `SignatureNonce` (a resent
//!   nonce is refused by STS), so each is signed anew.
//! - Error texts: the library quotes the whole response body, which on success holds
//!   credentials; here an error names the HTTP status and the STS `Code`, `Message` and
//!   `RequestId` only (each [`bounded`]), never a body, a URL (the query holds the
//!   signature, the source security token and the OIDC token) or a secret.
//! - A body is read up to 1 MiB; a longer one is an error.
//!
//! Timeouts are the library's STS defaults: connect 5 s, read 10 s; an attempt as a whole is
//! also bounded by their sum (a body trickling in byte by byte cannot hold it longer).

use crate::auth::provider::ProvidedCredentials;
use crate::auth::{AccessKey, CredentialsError};
use crate::body::BodyError;
use crate::failure::bounded;
use base64::Engine as _;
use serde::Deserialize;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

/// The STS API version.
pub(crate) const VERSION: &str = "2015-04-01";
/// The library's `DEFAULT_CONNECT_TIMEOUT` (5000 ms) of its STS providers.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The library's `DEFAULT_READ_TIMEOUT` (10000 ms) of its STS providers.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of one STS call (the library makes one).
pub(crate) const ATTEMPTS: usize = 3;
/// The pauses before the second and third attempts.
pub(crate) const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(400)];
/// The largest STS answer read (a real one is about 2 KiB).
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// The library's default and minimum session duration.
pub(crate) const DEFAULT_DURATION: Duration = Duration::from_secs(3600);
/// The library's minimum session duration (`duration_seconds < 900` is a `ValueError`).
pub(crate) const MIN_DURATION: Duration = Duration::from_secs(900);
/// The library's text for a session duration under 900 s.
pub(crate) const DURATION_ERROR: &str =
    "session duration should be in the range of 900s - max session duration";

/// The STS endpoint as the library chooses it (`ram_role_arn.py`, `oidc.py`): with a region,
/// `https://sts.{region}.aliyuncs.com`, or `https://sts-vpc.{region}.aliyuncs.com` when `vpc`;
/// without a region (or with an empty one), `https://sts.aliyuncs.com` whatever `vpc` says
/// (the library has no VPC endpoint without a region).
///
/// The library reads the region from `ALIBABA_CLOUD_STS_REGION` and `vpc` from
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED` (`true`, case-insensitive) when not given; this
/// function reads no environment.
pub fn sts_endpoint(region: Option<&str>, vpc: bool) -> String {
    match region.filter(|r| !r.is_empty()) {
        Some(region) => {
            let prefix = if vpc { "sts-vpc" } else { "sts" };
            format!("https://{prefix}.{region}.aliyuncs.com")
        }
        None => "https://sts.aliyuncs.com".to_owned(),
    }
}

/// A base URL for an endpoint given as the library accepts it: a host (`sts.aliyuncs.com`,
/// called over `https`) or a URL with its scheme.
pub(crate) fn base_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    }
}

/// RFC 3986 percent-encoding: unreserved characters (`A-Z a-z 0-9 - _ . ~`) as they are,
/// every other byte of the UTF-8 text as `%XX` (upper-case hex).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The canonical query: the parameters sorted by name, each `name=value` percent-encoded,
/// joined with `&`. Also the query string sent.
pub(crate) fn canonical_query(query: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = query.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (name, value) in sorted {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// The library's `compose_string_to_sign(method, query)`:
/// `METHOD&%2F&<percent-encoded canonical query>`.
pub(crate) fn string_to_sign(method: &str, query: &[(String, String)]) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(query))
    )
}

/// The library's `sign_string(string_to_sign, secret + '&')`: base64 of
/// `HMAC-SHA1(key, string_to_sign)`. `key` is the access key secret followed by `&`.
pub(crate) fn sign(string_to_sign: &str, key: &str) -> String {
    let mac = crate::crypto::hmac_sha1(key.as_bytes(), string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Adds `SignatureMethod`, `SignatureVersion`, `SignatureNonce` (a random UUID),
/// `AccessKeyId`, `SecurityToken` (when `key` has one) and, last, `Signature` to `query`,
/// as `ram_role_arn.py` does.
pub(crate) fn sign_query(query: &mut Vec<(String, String)>, key: &AccessKey) {
    query.push(("SignatureMethod".into(), "HMAC-SHA1".into()));
    query.push(("SignatureVersion".into(), "1.0".into()));
    query.push(("SignatureNonce".into(), nonce()));
    query.push(("AccessKeyId".into(), key.id.clone()));
    if let Some(token) = &key.security_token {
        query.push(("SecurityToken".into(), token.expose().to_owned()));
    }
    let signature = sign(
        &string_to_sign("GET", query),
        &format!("{}&", key.secret.expose()),
    );
    query.push(("Signature".into(), signature));
}

/// What `AssumeRole` and `AssumeRoleWithOIDC` share: the role, the session, the endpoint.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) role_arn: String,
    pub(crate) session_name: String,
    pub(crate) duration: Duration,
    pub(crate) policy: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) transport: Transport,
}

impl Session {
    /// Role `role_arn`; session `snapshots-rust-<unix seconds>`, 3600 s, no policy, the
    /// default endpoint.
    pub(crate) fn new(role_arn: String) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            role_arn,
            session_name: format!("snapshots-rust-{}", now.as_secs()),
            duration: DEFAULT_DURATION,
            policy: None,
            endpoint: sts_endpoint(None, false),
            transport: Transport::default(),
        }
    }

    /// The library's checks of the role ARN and the duration, for `provider`.
    pub(crate) fn check(&self, provider: &str) -> Result<(), CredentialsError> {
        let malformed = |reason: &str| CredentialsError::Malformed {
            source_name: provider.to_owned(),
            reason: reason.to_owned(),
        };
        if self.role_arn.is_empty() {
            return Err(malformed(
                "role_arn or environment variable ALIBABA_CLOUD_ROLE_ARN cannot be empty",
            ));
        }
        if self.duration < MIN_DURATION {
            return Err(malformed(DURATION_ERROR));
        }
        Ok(())
    }

    /// The parameters of `action` that every assumed session has, `extra` in between (the
    /// provider's own), and `Policy` when set.
    pub(crate) fn query(&self, action: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut query: Vec<(String, String)> = vec![
            ("Action".into(), action.into()),
            ("Format".into(), "JSON".into()),
            ("Version".into(), VERSION.into()),
            (
                "DurationSeconds".into(),
                self.duration.as_secs().to_string(),
            ),
            ("RoleArn".into(), self.role_arn.clone()),
        ];
        query.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        query.push(("RoleSessionName".into(), self.session_name.clone()));
        query.push(("Timestamp".into(), timestamp()));
        if let Some(policy) = &self.policy {
            query.push(("Policy".into(), policy.clone()));
        }
        query
    }
}

/// The setters of an assumed session, for a provider with a `session: Session` field.
macro_rules! session_setters {
    () => {
        /// The `RoleSessionName` (an empty one keeps the default).
        #[must_use]
        pub fn session_name(mut self, name: String) -> Self {
            if !name.is_empty() {
                self.session.session_name = name;
            }
            self
        }

        /// The `DurationSeconds` (whole seconds; at least 900 s, else `provide` fails).
        #[must_use]
        pub fn duration(mut self, duration: std::time::Duration) -> Self {
            self.session.duration = duration;
            self
        }

        /// The `Policy`, a JSON policy document narrowing the role's permissions (an empty
        /// one is not sent).
        #[must_use]
        pub fn policy(mut self, policy: String) -> Self {
            self.session.policy = Some(policy).filter(|p| !p.is_empty());
            self
        }

        /// The STS endpoint: a base URL (`https://sts.cn-hangzhou.aliyuncs.com`,
        /// `http://127.0.0.1:8787/sts`) or a host, called over `https` (as the library's
        /// `sts_endpoint`). See [`sts_endpoint`](super::sts_endpoint).
        #[must_use]
        pub fn sts_endpoint(mut self, endpoint: String) -> Self {
            self.session.endpoint = endpoint;
            self
        }

        /// Other timeouts and pauses between attempts (tests).
        #[cfg(test)]
        pub(crate) fn transport(mut self, transport: super::sts::Transport) -> Self {
            self.session.transport = transport;
            self
        }
    };
}
pub(crate) use session_setters;

/// The `Timestamp` parameter: now, ISO 8601 in UTC, to the second (`get_iso_8061_date`).
pub(crate) fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A random UUID (version 4) for `SignatureNonce`. The library uses a UUID 5 of the host
/// name and a UUID 1 (time and host, not secret); any unique value will do, so the bits come
/// from [`crate::crypto::jitter`], which cannot fail.
pub(crate) fn nonce() -> String {
    use crate::crypto::jitter::next_u64;
    let bits = u128::from(next_u64()) << 64 | u128::from(next_u64());
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// How one STS call is made.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) backoff: [Duration; 2],
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            connect_timeout: CONNECT_TIMEOUT,
            read_timeout: READ_TIMEOUT,
            backoff: BACKOFF,
        }
    }
}

/// Calls STS `action` at `endpoint` (a base URL): `query` builds the full query of one
/// attempt (with a fresh `Timestamp`, nonce and signature); up to [`ATTEMPTS`] attempts.
pub(crate) async fn call(
    provider: &'static str,
    action: &str,
    endpoint: &str,
    transport: &Transport,
    mut query: impl FnMut() -> Vec<(String, String)>,
) -> Result<ProvidedCredentials, CredentialsError> {
    let refresh = |reason: String| CredentialsError::Refresh {
        provider: provider.to_owned(),
        reason,
    };
    let client = crate::http_client_builder()
        .connect_timeout(transport.connect_timeout)
        .read_timeout(transport.read_timeout)
        .timeout(transport.connect_timeout + transport.read_timeout)
        .build()
        .map_err(|e| refresh(format!("cannot build the HTTP client: {}", describe(&e))))?;
    let base = base_url(endpoint);
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut attempt = 0;
    loop {
        let url = format!("{base}{separator}{}", canonical_query(&query()));
        match once(&client, &url, action).await {
            Ok((key, expiration)) => {
                return Ok(ProvidedCredentials::new(key, Some(expiration), provider));
            }
            Err(Attempt { retry, reason }) => {
                if !retry || attempt + 1 >= ATTEMPTS {
                    let tries = if attempt == 0 {
                        String::new()
                    } else {
                        format!(" (after {} attempts)", attempt + 1)
                    };
                    return Err(refresh(format!("{reason}{tries}")));
                }
                tracing::debug!(provider, action, attempt, %reason, "STS call failed; retrying");
                tokio::time::sleep(transport.backoff[attempt.min(transport.backoff.len() - 1)])
                    .await;
                attempt += 1;
            }
        }
    }
}

/// Why one attempt failed, and whether another may succeed.
struct Attempt {
    retry: bool,
    reason: String,
}

/// One attempt: the key and its expiry, or why not.
async fn once(
    client: &reqwest::Client,
    url: &str,
    action: &str,
) -> Result<(AccessKey, SystemTime), Attempt> {
    let transport_error = |what: &str, e: &reqwest::Error| Attempt {
        retry: e.is_connect() || e.is_timeout() || e.is_request() || e.is_body(),
        reason: format!("STS {action} {what}: {}", describe(e)),
    };
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| transport_error("request failed", &e))?;
    let status = response.status();
    let body = match crate::body::read_bounded(&mut response, MAX_BODY).await {
        Ok(body) => body,
        Err(BodyError::Transport(e)) => {
            return Err(transport_error("answer could not be read", &e))
        }
        Err(BodyError::TooLarge) => {
            return Err(Attempt {
                retry: false,
                reason: format!(
                    "STS {action} answered HTTP {} with a body over {MAX_BODY} bytes",
                    status.as_u16()
                ),
            })
        }
    };
    if status != reqwest::StatusCode::OK {
        return Err(error_answer(action, status, &body));
    }
    parse_credentials(action, &body).map_err(|reason| Attempt {
        retry: false,
        reason,
    })
}

/// A reqwest error without its URL (the query holds secrets), with its causes.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "error"
    };
    match std::error::Error::source(error) {
        Some(cause) => bounded(&format!("{what}: {}", crate::chain(cause))),
        None => what.to_owned(),
    }
}

/// An STS error answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsError {
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

/// The failure of a non-200 answer: its status and, when the body is an STS error, its
/// `Code`, `Message` and `RequestId` (never the body itself).
fn error_answer(action: &str, status: reqwest::StatusCode, body: &[u8]) -> Attempt {
    let mut reason = format!("STS {action} answered HTTP {}", status.as_u16());
    let parsed = serde_json::from_slice::<StsError>(body).ok();
    let code = parsed.as_ref().and_then(|e| e.code.clone());
    match &parsed {
        Some(StsError {
            code,
            message,
            request_id,
        }) if code.is_some() || message.is_some() || request_id.is_some() => {
            let field = |v: &Option<String>| bounded(v.as_deref().unwrap_or("-"));
            let _ = write!(
                reason,
                ", Code: {}, Message: {}, RequestId: {}",
                field(code),
                field(message),
                field(request_id)
            );
        }
        _ => {
            let _ = write!(reason, " ({} bytes, not an STS error)", body.len());
        }
    }
    let throttled = code.is_some_and(|c| c.starts_with("Throttling"));
    Attempt {
        retry: status.is_server_error() || throttled,
        reason,
    }
}

/// The credentials of a 200 answer (`{"Credentials": {...}}`), or why they are unusable. The
/// reason never quotes the body, which may hold credentials.
pub(crate) fn parse_credentials(
    action: &str,
    body: &[u8],
) -> Result<(AccessKey, SystemTime), String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Credentials")]
        credentials: Option<Fields>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Fields {
        access_key_id: Option<String>,
        access_key_secret: Option<String>,
        security_token: Option<String>,
        expiration: Option<String>,
    }
    let bad = |what: &str| format!("STS {action} answered HTTP 200 with {what}");
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        // The error's line and column only: its text may quote the body.
        bad(&format!(
            "a body that is not the expected JSON (line {}, column {}, {} bytes)",
            e.line(),
            e.column(),
            body.len()
        ))
    })?;
    let fields = answer
        .credentials
        .ok_or_else(|| bad("no `Credentials` object"))?;
    let (Some(id), Some(secret), Some(token)) = (
        fields.access_key_id,
        fields.access_key_secret,
        fields.security_token,
    ) else {
        return Err(bad(
            "`Credentials` lacking `AccessKeyId`, `AccessKeySecret` or `SecurityToken`",
        ));
    };
    let expiration = fields
        .expiration
        .as_deref()
        .and_then(|e| super::sts_http::parse_expiration("Expiration", e).ok())
        .ok_or_else(|| bad("no `Credentials.Expiration` of the form YYYY-MM-DDTHH:MM:SSZ"))?;
    Ok((
        AccessKey::new(id, secret).with_security_token(token),
        expiration,
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The query of the official vector below.
    fn vector_query() -> Vec<(String, String)> {
        q(&[
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("DurationSeconds", "3600"),
            ("RoleArn", "acs:ram::1234567890123456:role/pai-snapshots"),
            ("RoleSessionName", "snapshots-rust-1700000000"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2023-11-14T22:13:20Z"),
            ("SignatureNonce", "0b5bd9a4-0ba0-4f57-9a4e-8bb0c6e8d2f1"),
            ("AccessKeyId", "LTAI5tTestKeyId"),
            ("SecurityToken", "CAIS/test+token="),
            ("ExternalId", "ext-id_~*"),
        ])
    }

    /// Produced with the official library (`alibabacloud-credentials` 1.0.12, Python 3.11):
    ///
    /// ```python
    /// from alibabacloud_credentials.utils import parameter_helper as ph
    /// s = ph.compose_string_to_sign('GET', q)   # q: the query of `vector_query`
    /// ph.sign_string(s, 'TestSecret/With+Chars=' + '&')
    /// ```
    const VECTOR_STRING_TO_SIGN: &str = "GET&%2F&AccessKeyId%3DLTAI5tTestKeyId%26Action%3DAssumeRole%26DurationSeconds%3D3600%26ExternalId%3Dext-id_~%252A%26Format%3DJSON%26RoleArn%3Dacs%253Aram%253A%253A1234567890123456%253Arole%252Fpai-snapshots%26RoleSessionName%3Dsnapshots-rust-1700000000%26SecurityToken%3DCAIS%252Ftest%252Btoken%253D%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0b5bd9a4-0ba0-4f57-9a4e-8bb0c6e8d2f1%26SignatureVersion%3D1.0%26Timestamp%3D2023-11-14T22%253A13%253A20Z%26Version%3D2015-04-01";
    const VECTOR_SIGNATURE: &str = "pARRO9NXdGTL2gkznfwehJv5sV0=";

    #[test]
    fn v1_signature_matches_the_official_library() {
        let query = vector_query();
        let to_sign = string_to_sign("GET", &query);
        assert_eq!(to_sign, VECTOR_STRING_TO_SIGN);
        assert_eq!(sign(&to_sign, "TestSecret/With+Chars=&"), VECTOR_SIGNATURE);
    }

    #[test]
    fn a_space_is_encoded_as_the_specification_says_not_as_quote_plus() {
        // The library's `quote_plus` gives `Policy%3D%257B%2522Version%2522%253A%2B%25221%2522%257D`
        // (a deviation documented in the module).
        let mut query = vector_query();
        query.push(("Policy".into(), "{\"Version\": \"1\"}".into()));
        let to_sign = string_to_sign("GET", &query);
        assert!(
            to_sign.contains("Policy%3D%257B%2522Version%2522%253A%2520%25221%2522%257D"),
            "{to_sign}"
        );
    }

    #[test]
    fn endpoints_follow_the_library() {
        assert_eq!(sts_endpoint(None, false), "https://sts.aliyuncs.com");
        assert_eq!(sts_endpoint(None, true), "https://sts.aliyuncs.com");
        assert_eq!(sts_endpoint(Some(""), true), "https://sts.aliyuncs.com");
        assert_eq!(
            sts_endpoint(Some("cn-hangzhou"), false),
            "https://sts.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint(Some("cn-hangzhou"), true),
            "https://sts-vpc.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            base_url("sts.cn-beijing.aliyuncs.com"),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:1/sts/"),
            "http://127.0.0.1:1/sts"
        );
    }

    #[test]
    fn nonce_is_a_uuid_and_differs() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(a
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn timestamp_is_iso_8601_utc() {
        let t = timestamp();
        assert!(
            chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
            "{t}"
        );
    }

    #[test]
    fn credentials_parse_and_errors_never_quote_the_body() {
        let body = br#"{"RequestId":"r","Credentials":{"AccessKeyId":"STS.id","AccessKeySecret":"sec","SecurityToken":"tok","Expiration":"2030-01-02T03:04:05Z"}}"#;
        let (key, expiration) = parse_credentials("AssumeRole", body).unwrap();
        assert_eq!(key.id, "STS.id");
        assert_eq!(key.secret.expose(), "sec");
        assert_eq!(key.security_token.unwrap().expose(), "tok");
        assert_eq!(
            expiration,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445)
        );
        for bad in [
            &br#"{"Credentials":{"AccessKeyId":"STS.id","AccessKeySecret":"sec-x"}}"#[..],
            br#"{"Credentials":{"AccessKeyId":"STS.id","AccessKeySecret":"sec-x","SecurityToken":"t","Expiration":"soon"}}"#,
            br#"{"Credentials": "sec-x""#,
            br#"sec-x"#,
            br#"{"Other":"sec-x"}"#,
        ] {
            let error = parse_credentials("AssumeRole", bad).unwrap_err();
            assert!(!error.contains("sec-x"), "{error}");
        }
    }
}
