//! Authentication as the real services do it, against the credentials the emulator is
//! started with.
//!
//! **ROA endpoints** (DSW, LangStudio ROA) accept:
//!
//! - an `ACS3-HMAC-SHA256` signature: the canonical request is rebuilt from the request as
//!   received, with the runtime's own canonicalisation (`snapshots_runtime::auth::acs3`:
//!   [`canonical_request`](acs3::canonical_request), [`string_to_sign`](acs3::string_to_sign),
//!   [`signature`](acs3::signature)), over the *original* path (with its `/dsw` or
//!   `/langstudio` prefix) and only the headers named in `SignedHeaders`;
//! - an Alibaba bearer token: `x-acs-bearer-token` with `x-acs-signature-type: BEARERTOKEN`.
//!
//! **Gateway endpoints** (LangStudio gateway) accept only `Authorization: Bearer <DashScope
//! API key>`.
//!
//! Every rejection uses the Alibaba gateway's public error codes:
//!
//! | check, in order | status | code |
//! | --- | --- | --- |
//! | no `Authorization` and no bearer token; an `Authorization` that is not `ACS3-... Credential=...,SignedHeaders=...,Signature=...`; a required or `x-acs-*` header not signed; a signed header missing | 400 | `IncompleteSignature` |
//! | an algorithm other than `ACS3-HMAC-SHA256` | 400 | `InvalidSignatureMethod` |
//! | `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce` or `x-acs-content-sha256` missing | 400 | `MissingParameter` |
//! | `x-acs-date` not `YYYY-MM-DDThh:mm:ssZ` | 400 | `InvalidTimeStamp.Format` |
//! | `x-acs-date` more than 15 minutes away from the emulator's clock | 400 | `InvalidTimeStamp.Expired` |
//! | unknown AccessKey id (neither the demo key nor one issued by [`crate::credentials`], or one expired for over an hour) | 404 | `InvalidAccessKeyId.NotFound` |
//! | an issued key past its `Expiration` | 400 | `InvalidSecurityToken.Expired` |
//! | STS key (an issued one, or the demo key with [`DemoCredentials::security_token`](crate::DemoCredentials::security_token)) but no `x-acs-security-token` | 400 | `MissingSecurityToken` |
//! | a security token that is not the key's own (or one sent with a long-term key) | 400 | `InvalidSecurityToken.MismatchWithAccessKey` |
//! | `x-acs-content-sha256` is not the SHA-256 of the body | 400 | `SignatureDoesNotMatch` |
//! | wrong signature | 400 | `SignatureDoesNotMatch` (the message carries the server's string to sign, as the real one does) |
//! | `x-acs-signature-nonce` already used within the last 30 minutes | 400 | `SignatureNonceUsed` |
//! | bearer token type without a token | 400 | `IncompleteSignature` |
//! | wrong Alibaba bearer token | 403 | `InvalidBearerToken` |
//! | gateway: no or wrong `Authorization: Bearer` key | 403 | `InvalidApiKey` |
//! | `x-acs-action` is not this route's operation | 404 | `InvalidApi.NotFound` |
//! | `x-acs-version` is not the API's version | 400 | `InvalidVersion` |
//!
//! A nonce is recorded only once its request is authenticated, so a rejected request does
//! not burn it. The bearer-token form is checked for its token only (no date or nonce
//! checks, and `x-acs-action` may be left out); when `x-acs-action` or `x-acs-version` are
//! sent, they must still name the route's operation and the API's version.

use crate::credentials::{CredentialStore, Lookup};
use crate::error::ApiError;
use crate::DemoCredentials;
use axum::body::Body;
use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use snapshots_runtime::auth::{acs3, Secret};
use snapshots_runtime::Operation;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How far `x-acs-date` may be from the emulator's clock, either way.
pub(crate) const MAX_CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Checks a request's signed timestamp (`x-acs-date`, STS `Timestamp`): the format
/// `YYYY-MM-DDTHH:MM:SSZ` (`InvalidTimeStamp.Format`), within [`MAX_CLOCK_SKEW`] of `now`
/// (`InvalidTimeStamp.Expired`), as Alibaba Cloud's gateways answer.
pub(crate) fn check_timestamp(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ")
        .map_err(|_| {
            ApiError::bad_request(
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?
        .and_utc();
    if (now - at).abs() > MAX_CLOCK_SKEW {
        return Err(ApiError::bad_request(
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}
/// How long a nonce is remembered: a request older than this is refused for its date anyway.
const NONCE_MEMORY: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

/// Who a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// An ACS3-HMAC-SHA256 signature with this AccessKey id.
    AccessKey(String),
    /// The Alibaba bearer token.
    AlibabaBearer,
    /// The DashScope API key (gateway form).
    DashScope,
}

/// The parts of an `ACS3-HMAC-SHA256` `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Acs3Authorization {
    credential: String,
    signed_headers: Vec<String>,
    signature: String,
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("IncompleteSignature", message)
}

/// Parses `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
fn parse_authorization(value: &str) -> Result<Acs3Authorization, ApiError> {
    let (algorithm, rest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| incomplete("The request signature does not conform to Aliyun standards."))?;
    if algorithm != acs3::ALGORITHM {
        if algorithm.starts_with("ACS3-") {
            return Err(ApiError::bad_request(
                "InvalidSignatureMethod",
                "Specified signature method is not valid.",
            ));
        }
        return Err(incomplete(
            "The request signature does not conform to Aliyun standards.",
        ));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or_else(|| {
            incomplete("The request signature does not conform to Aliyun standards.")
        })?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(incomplete(format!(
                    "The request signature does not conform to Aliyun standards: unknown Authorization member {key:?}."
                )))
            }
        };
        *slot = Some(value.to_owned());
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed), Some(signature))
            if !credential.is_empty() && !signed.is_empty() && !signature.is_empty() =>
        {
            Ok(Acs3Authorization {
                credential,
                signed_headers: signed.split(';').map(str::to_owned).collect(),
                signature,
            })
        }
        _ => Err(incomplete(
            "The request signature does not conform to Aliyun standards: Authorization needs Credential, SignedHeaders and Signature.",
        )),
    }
}

/// The headers every signed request must carry (and sign).
const REQUIRED_HEADERS: [&str; 6] = [
    "host",
    acs3::X_ACS_ACTION,
    acs3::X_ACS_VERSION,
    acs3::X_ACS_DATE,
    acs3::X_ACS_SIGNATURE_NONCE,
    acs3::X_ACS_CONTENT_SHA256,
];

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Equality that does not stop at the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Nonces seen recently, with when they were first used.
#[derive(Debug, Default)]
struct NonceCache {
    seen: HashMap<String, DateTime<Utc>>,
    inserts: u64,
}

impl NonceCache {
    /// Records `nonce`; `false` when it was already used within [`NONCE_MEMORY`].
    fn insert(&mut self, nonce: &str, now: DateTime<Utc>) -> bool {
        self.inserts += 1;
        if self.inserts.is_multiple_of(1024) {
            self.seen.retain(|_, at| now - *at < NONCE_MEMORY);
        }
        match self.seen.get(nonce) {
            Some(at) if now - *at < NONCE_MEMORY => false,
            _ => {
                self.seen.insert(nonce.to_owned(), now);
                true
            }
        }
    }
}

/// Checks requests against the emulator's credentials; shared by the ROA APIs (one nonce
/// memory per account, as on the real gateway).
#[derive(Debug)]
pub(crate) struct Verifier {
    credentials: DemoCredentials,
    /// The temporary keys issued by the credential services.
    issued: Arc<CredentialStore>,
    nonces: Mutex<NonceCache>,
}

impl Verifier {
    /// A verifier of the demo credentials only (an empty store of issued keys).
    #[cfg(test)]
    pub(crate) fn new(credentials: DemoCredentials) -> Self {
        let store = CredentialStore::new(Default::default());
        Self::with_issued(credentials, Arc::new(store))
    }

    /// A verifier of the demo credentials and of the keys issued into `issued`.
    pub(crate) fn with_issued(credentials: DemoCredentials, issued: Arc<CredentialStore>) -> Self {
        Self {
            credentials,
            issued,
            nonces: Mutex::new(NonceCache::default()),
        }
    }

    /// Records a signature nonce; `false` when it was used within the last 30 minutes.
    pub(crate) fn remember_nonce(&self, nonce: &str, now: DateTime<Utc>) -> bool {
        self.nonces
            .lock()
            .map(|mut nonces| nonces.insert(nonce, now))
            .unwrap_or(false)
    }

    /// The secret of AccessKey `id`, once the security token sent with it (if any) is the
    /// one it needs: the demo key (with its configured token, if any) or an issued key
    /// (with its own token, until it expires).
    pub(crate) fn key_secret(
        &self,
        id: &str,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let (secret, expected) = if id == self.credentials.access_key_id {
            (
                self.credentials.access_key_secret.clone(),
                self.credentials.security_token.clone(),
            )
        } else {
            match self.issued.lookup(id, now) {
                Lookup::Live(key) => (key.access_key_secret, Some(key.security_token)),
                Lookup::Expired => {
                    return Err(ApiError::bad_request(
                        "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.",
                    ))
                }
                Lookup::Unknown => {
                    return Err(ApiError::not_found(
                        "InvalidAccessKeyId.NotFound",
                        "Specified access key is not found.",
                    ))
                }
            }
        };
        match (expected, token) {
            (Some(_), None) => Err(ApiError::bad_request(
                "MissingSecurityToken",
                "SecurityToken is mandatory for this action.",
            )),
            (Some(expected), Some(sent))
                if !constant_time_eq(expected.as_bytes(), sent.as_bytes()) =>
            {
                Err(mismatched_token())
            }
            (None, Some(_)) => Err(mismatched_token()),
            _ => Ok(secret),
        }
    }

    /// Authenticates a ROA request (signature or Alibaba bearer token). `uri` is the
    /// original request URI, with the API's prefix.
    pub(crate) fn verify_roa(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Principal, ApiError> {
        if let Some(authorization) = headers.get(header::AUTHORIZATION) {
            let value = authorization
                .to_str()
                .map_err(|_| incomplete("The Authorization header is not text."))?;
            return self.verify_signature(
                &parse_authorization(value)?,
                method,
                uri,
                headers,
                body,
                now,
            );
        }
        let bearer_type = header_str(headers, acs3::X_ACS_SIGNATURE_TYPE)
            .is_some_and(|t| t.eq_ignore_ascii_case("BEARERTOKEN"));
        match (header_str(headers, acs3::X_ACS_BEARER_TOKEN), bearer_type) {
            (Some(token), true) if !token.is_empty() => {
                if constant_time_eq(token.as_bytes(), self.credentials.alibaba_bearer_token.as_bytes()) {
                    Ok(Principal::AlibabaBearer)
                } else {
                    Err(ApiError::forbidden(
                        "InvalidBearerToken",
                        "The specified bearer token is not valid.",
                    ))
                }
            }
            (_, true) => Err(incomplete(
                "x-acs-signature-type is BEARERTOKEN but no x-acs-bearer-token was sent.",
            )),
            (Some(_), false) => Err(incomplete(
                "x-acs-bearer-token needs the header x-acs-signature-type: BEARERTOKEN.",
            )),
            (None, false) => Err(incomplete(
                "The request is not signed: send an ACS3-HMAC-SHA256 Authorization header or an x-acs-bearer-token.",
            )),
        }
    }

    fn verify_signature(
        &self,
        auth: &Acs3Authorization,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Principal, ApiError> {
        let signed = signed_headers(auth, headers)?;
        check_timestamp(
            header_str(headers, acs3::X_ACS_DATE).unwrap_or_default(),
            now,
        )?;
        let secret = self.key_secret(
            &auth.credential,
            header_str(headers, acs3::X_ACS_SECURITY_TOKEN),
            now,
        )?;
        let payload_hash = payload_hash(headers, body)?;
        check_signature(auth, method, uri, &signed, &payload_hash, secret)?;
        let nonce = header_str(headers, acs3::X_ACS_SIGNATURE_NONCE).unwrap_or_default();
        if !self.remember_nonce(nonce, now) {
            return Err(ApiError::bad_request(
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        Ok(Principal::AccessKey(auth.credential.clone()))
    }

    /// Authenticates a gateway request: `Authorization: Bearer <DashScope API key>`.
    pub(crate) fn verify_gateway(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let Some(value) = header_str(headers, header::AUTHORIZATION.as_str()) else {
            return Err(ApiError::forbidden(
                "InvalidApiKey",
                "No API-key provided: send Authorization: Bearer $DASHSCOPE_API_KEY.",
            ));
        };
        let key = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if !key.is_empty()
            && constant_time_eq(
                key.as_bytes(),
                self.credentials.dashscope_api_key.as_bytes(),
            )
        {
            Ok(Principal::DashScope)
        } else {
            Err(ApiError::forbidden(
                "InvalidApiKey",
                "Invalid API-key provided.",
            ))
        }
    }
}

/// The headers the request signed, after checking that the mandatory ones are there and that
/// every mandatory and `x-acs-*` header is signed.
fn signed_headers(auth: &Acs3Authorization, headers: &HeaderMap) -> Result<HeaderMap, ApiError> {
    for name in REQUIRED_HEADERS {
        if !headers.contains_key(name) {
            return Err(ApiError::bad_request(
                "MissingParameter",
                format!("{name} is mandatory for this action."),
            ));
        }
    }
    let must_sign = REQUIRED_HEADERS.iter().copied().chain(
        headers
            .keys()
            .map(|n| n.as_str())
            .filter(|n| n.starts_with("x-acs-")),
    );
    for name in must_sign {
        if !auth.signed_headers.iter().any(|s| s == name) {
            return Err(incomplete(format!(
                "The request signature does not conform to Aliyun standards: header {name} must be signed."
            )));
        }
    }
    let mut signed = HeaderMap::new();
    for name in &auth.signed_headers {
        let name = header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| incomplete(format!("SignedHeaders names an invalid header {name:?}.")))?;
        if name.as_str() == "authorization" {
            return Err(incomplete("SignedHeaders must not name authorization."));
        }
        let mut values = headers.get_all(&name).iter().peekable();
        if values.peek().is_none() {
            return Err(incomplete(format!(
                "The signed header {} is not in the request.",
                name.as_str()
            )));
        }
        for value in values {
            signed.append(name.clone(), value.clone());
        }
    }
    Ok(signed)
}

/// The SHA-256 of the body, which `x-acs-content-sha256` must claim.
fn payload_hash(headers: &HeaderMap, body: &[u8]) -> Result<String, ApiError> {
    let payload_hash = acs3::hex_sha256(body);
    let claimed = header_str(headers, acs3::X_ACS_CONTENT_SHA256).unwrap_or_default();
    if !claimed.eq_ignore_ascii_case(&payload_hash) {
        return Err(ApiError::bad_request(
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation: x-acs-content-sha256 is not the SHA-256 of the request body.",
        ));
    }
    Ok(payload_hash)
}

/// Recomputes the signature with the runtime's canonicalisation and compares it, in constant
/// time, with the one the request carries.
fn check_signature(
    auth: &Acs3Authorization,
    method: &Method,
    uri: &Uri,
    signed: &HeaderMap,
    payload_hash: &str,
    secret: String,
) -> Result<(), ApiError> {
    let url = reqwest::Url::parse(&format!(
        "http://emulator.invalid{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    ))
    .map_err(|_| incomplete("The request path cannot be canonicalised."))?;
    let canonical = acs3::canonical_request(method, &url, signed, payload_hash)
        .map_err(|_| incomplete("A signed header is not UTF-8 text."))?;
    let string_to_sign = acs3::string_to_sign(&canonical);
    let expected = acs3::signature(&Secret::new(secret), &string_to_sign);
    if !constant_time_eq(
        expected.as_bytes(),
        auth.signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(ApiError::bad_request(
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{}",
                string_to_sign.replace('\n', "\\n")
            ),
        ));
    }
    Ok(())
}

fn mismatched_token() -> ApiError {
    ApiError::bad_request(
        "InvalidSecurityToken.MismatchWithAccessKey",
        "Specified SecurityToken mismatch with the AccessKey.",
    )
}

/// What the ROA authentication middleware of one API needs.
#[derive(Debug, Clone)]
pub(crate) struct RoaAuth {
    pub(crate) verifier: Arc<Verifier>,
    /// The API version `x-acs-version` must name.
    pub(crate) version: &'static str,
    /// The API's operations (from its generated crate): the action each route expects.
    pub(crate) operations: &'static [Operation],
}

impl RoaAuth {
    /// DSW's: version `2022-01-01`, the operations of `pai_dsw`.
    pub(crate) fn dsw(verifier: Arc<Verifier>) -> Self {
        Self {
            verifier,
            version: crate::dsw::VERSION,
            operations: pai_dsw::OPERATIONS,
        }
    }

    /// LangStudio ROA's: version `2024-07-10`, the operations of `pai_langstudio`.
    pub(crate) fn langstudio(verifier: Arc<Verifier>) -> Self {
        Self {
            verifier,
            version: crate::langstudio::VERSION,
            operations: pai_langstudio::OPERATIONS,
        }
    }

    /// The operation served at this method and route template (the dispatcher of
    /// [`crate::mount`] hands the routes the real path, without a compatibility prefix).
    fn operation(&self, method: &Method, route: &str) -> Option<&'static Operation> {
        self.operations
            .iter()
            .find(|op| op.method == method.as_str() && op.path == route)
    }
}

/// Middleware of the ROA APIs: authenticates the request, then checks `x-acs-action` and
/// `x-acs-version` against the route's operation.
pub(crate) async fn roa_auth(
    State(auth): State<RoaAuth>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // The body was read and checked already (`crate::body::alibaba_body`).
    let Ok(bytes) = axum::body::to_bytes(body, crate::body::MAX_BODY).await else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "The request body could not be read (at most 1 MiB).",
        )
        .into_response();
    };
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let principal =
        match auth
            .verifier
            .verify_roa(&parts.method, &uri, &parts.headers, &bytes, Utc::now())
        {
            Ok(principal) => principal,
            Err(error) => return error.into_response(),
        };
    let operation = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|route| auth.operation(&parts.method, route.as_str()));
    if let Some(operation) = operation {
        match header_str(&parts.headers, acs3::X_ACS_ACTION) {
            Some(action) if action == operation.name => {}
            Some(_) => return ApiError::unknown_api().into_response(),
            None if principal == Principal::AlibabaBearer => {}
            None => {
                return ApiError::bad_request(
                    "MissingParameter",
                    "x-acs-action is mandatory for this action.",
                )
                .into_response()
            }
        }
        match header_str(&parts.headers, acs3::X_ACS_VERSION) {
            Some(version) if version != auth.version => {
                return ApiError::bad_request(
                    "InvalidVersion",
                    format!(
                        "Specified parameter Version is not valid: this API is version {}.",
                        auth.version
                    ),
                )
                .into_response()
            }
            _ => {}
        }
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// Middleware of the gateway API: `Authorization: Bearer <DashScope API key>`.
pub(crate) async fn gateway_auth(
    State(verifier): State<Arc<Verifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    match verifier.verify_gateway(request.headers()) {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
#[path = "auth_vectors.rs"]
mod official_vectors;

#[cfg(test)]
mod tests {
    use super::*;
    use snapshots_runtime::auth::AccessKey;

    fn credentials() -> DemoCredentials {
        DemoCredentials {
            access_key_id: "LTAIdemo".into(),
            access_key_secret: "s3cret".into(),
            alibaba_bearer_token: "bearer-1".into(),
            dashscope_api_key: "sk-1".into(),
            security_token: None,
        }
    }

    fn date(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    const NOW: &str = "2025-01-01T00:00:00Z";

    /// A request signed by the runtime's signer, as the generated clients send it.
    fn signed(
        method: reqwest::Method,
        url: &str,
        body: Option<&str>,
        key: &AccessKey,
        nonce: &str,
        at: &str,
    ) -> reqwest::Request {
        let mut request = reqwest::Request::new(method, reqwest::Url::parse(url).expect("url"));
        if let Some(body) = body {
            *request.body_mut() = Some(reqwest::Body::from(body.to_owned()));
            request.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
        }
        acs3::sign(
            &mut request,
            key,
            "CreateInstanceSnapshot",
            "2022-01-01",
            date(at),
            nonce,
        )
        .expect("signed");
        request
    }

    fn verify(
        verifier: &Verifier,
        request: &reqwest::Request,
        body: Option<&str>,
    ) -> Result<Principal, ApiError> {
        let uri: Uri = request.url().as_str().parse().expect("uri");
        verifier.verify_roa(
            request.method(),
            &uri,
            request.headers(),
            body.unwrap_or_default().as_bytes(),
            date(NOW),
        )
    }

    const URL: &str = "http://127.0.0.1:8787/dsw/api/v2/instances/dsw-1/snapshots";
    const BODY: &str = r#"{"ImageUrl":"u","SnapshotName":"s"}"#;

    fn key() -> AccessKey {
        AccessKey::new("LTAIdemo", "s3cret")
    }

    #[test]
    fn accepts_what_the_runtime_signs() {
        let verifier = Verifier::new(credentials());
        let request = signed(reqwest::Method::POST, URL, Some(BODY), &key(), "n-1", NOW);
        assert_eq!(
            verify(&verifier, &request, Some(BODY)),
            Ok(Principal::AccessKey("LTAIdemo".into()))
        );
        let get = signed(
            reqwest::Method::GET,
            &format!("{URL}?PageSize=5&Order=Desc&SortBy=gmtCreate&X=a%20b*c"),
            None,
            &key(),
            "n-2",
            "2024-12-31T23:50:00Z",
        );
        assert!(verify(&verifier, &get, None).is_ok());
    }

    fn code(result: Result<Principal, ApiError>) -> (u16, String) {
        let error = result.expect_err("rejected");
        (error.status.as_u16(), error.code)
    }

    #[test]
    fn rejects_each_tampering() {
        let verifier = Verifier::new(credentials());
        let base = || signed(reqwest::Method::POST, URL, Some(BODY), &key(), "n-x", NOW);

        // Body changed after signing (the hash header no longer matches).
        assert_eq!(
            code(verify(
                &verifier,
                &base(),
                Some(r#"{"ImageUrl":"v","SnapshotName":"s"}"#)
            )),
            (400, "SignatureDoesNotMatch".into())
        );
        // Path changed.
        let mut r = base();
        *r.url_mut() = reqwest::Url::parse(&URL.replace("dsw-1", "dsw-2")).expect("url");
        let (status, c) = code(verify(&verifier, &r, Some(BODY)));
        assert_eq!((status, c.as_str()), (400, "SignatureDoesNotMatch"));
        // Prefix dropped: the signature covers the full original path.
        let mut r = base();
        *r.url_mut() = reqwest::Url::parse(&URL.replace("/dsw/", "/")).expect("url");
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "SignatureDoesNotMatch"
        );
        // Query added.
        let mut r = base();
        r.url_mut().set_query(Some("a=1"));
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "SignatureDoesNotMatch"
        );
        // Method changed.
        let mut r = base();
        *r.method_mut() = reqwest::Method::PUT;
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "SignatureDoesNotMatch"
        );
        // The content hash header replaced by the hash of another body.
        let mut r = base();
        r.headers_mut().insert(
            "x-acs-content-sha256",
            header::HeaderValue::from_str(&acs3::hex_sha256(b"{}")).expect("hex"),
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))),
            (400, "SignatureDoesNotMatch".into())
        );
        // A signed header changed.
        let mut r = base();
        r.headers_mut().insert(
            "x-acs-action",
            header::HeaderValue::from_static("DeleteInstanceSnapshot"),
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "SignatureDoesNotMatch"
        );
        // Wrong secret.
        let r = signed(
            reqwest::Method::POST,
            URL,
            Some(BODY),
            &AccessKey::new("LTAIdemo", "nope"),
            "n-y",
            NOW,
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "SignatureDoesNotMatch"
        );
        // Unknown key id.
        let r = signed(
            reqwest::Method::POST,
            URL,
            Some(BODY),
            &AccessKey::new("LTAIother", "s3cret"),
            "n-z",
            NOW,
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))),
            (404, "InvalidAccessKeyId.NotFound".into())
        );
        // Stale and future dates.
        let r = signed(
            reqwest::Method::POST,
            URL,
            Some(BODY),
            &key(),
            "n-old",
            "2024-12-31T23:44:59Z",
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "InvalidTimeStamp.Expired"
        );
        let r = signed(
            reqwest::Method::POST,
            URL,
            Some(BODY),
            &key(),
            "n-new",
            "2025-01-01T00:15:01Z",
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "InvalidTimeStamp.Expired"
        );
        // Malformed date.
        let mut r = base();
        r.headers_mut().insert(
            "x-acs-date",
            header::HeaderValue::from_static("Wed, 01 Jan 2025 00:00:00 GMT"),
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "InvalidTimeStamp.Format"
        );
        // Missing required header.
        let mut r = base();
        r.headers_mut().remove("x-acs-signature-nonce");
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))),
            (400, "MissingParameter".into())
        );
        // An x-acs header that is not signed.
        let mut r = base();
        r.headers_mut()
            .insert("x-acs-extra", header::HeaderValue::from_static("1"));
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "IncompleteSignature"
        );
        // Authorization mangled.
        let mut r = base();
        r.headers_mut().insert(
            header::AUTHORIZATION,
            header::HeaderValue::from_static("ACS3-HMAC-SHA256 Credential=LTAIdemo"),
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "IncompleteSignature"
        );
        let mut r = base();
        r.headers_mut().insert(
            header::AUTHORIZATION,
            header::HeaderValue::from_static(
                "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=b",
            ),
        );
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "InvalidSignatureMethod"
        );
        // No authentication at all.
        let mut r = base();
        r.headers_mut().remove(header::AUTHORIZATION);
        assert_eq!(
            code(verify(&verifier, &r, Some(BODY))).1,
            "IncompleteSignature"
        );
        // None of the rejected requests burnt its nonce: the untouched request still passes.
        assert!(verify(&verifier, &base(), Some(BODY)).is_ok());
        // And now the nonce is used.
        assert_eq!(
            code(verify(&verifier, &base(), Some(BODY))),
            (400, "SignatureNonceUsed".into())
        );
    }

    proptest::proptest! {
        /// Whatever the path segment and query, a request signed by the runtime verifies
        /// once it has gone through URL encoding as the server receives it.
        #[test]
        fn any_signed_path_and_query_verify(
            segment in "[a-zA-Z0-9 *~é用%+/'()!:@-]{1,12}",
            query in proptest::collection::btree_map("[a-zA-Z]{1,6}", "[a-zA-Z0-9 *~é用%+/=&,-]{0,10}", 0..4),
        ) {
            let verifier = Verifier::new(credentials());
            let mut url = reqwest::Url::parse("http://127.0.0.1:9/dsw/api/v2/instances").expect("url");
            url.path_segments_mut().expect("base").push(&segment).push("snapshots");
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query.iter());
            }
            let mut request = reqwest::Request::new(reqwest::Method::GET, url);
            acs3::sign(&mut request, &key(), "ListInstanceSnapshot", "2022-01-01", date(NOW), "p")
                .expect("signed");
            proptest::prop_assert_eq!(
                verify(&verifier, &request, None),
                Ok(Principal::AccessKey("LTAIdemo".into()))
            );
        }
    }

    #[test]
    fn security_tokens_are_required_and_checked_for_sts_keys() {
        let mut creds = credentials();
        creds.security_token = Some("tok-1".into());
        let verifier = Verifier::new(creds);
        let plain = signed(reqwest::Method::GET, URL, None, &key(), "t-1", NOW);
        assert_eq!(
            code(verify(&verifier, &plain, None)),
            (400, "MissingSecurityToken".into())
        );
        let wrong = signed(
            reqwest::Method::GET,
            URL,
            None,
            &key().with_security_token("tok-2"),
            "t-2",
            NOW,
        );
        assert_eq!(
            code(verify(&verifier, &wrong, None)).1,
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        let right = signed(
            reqwest::Method::GET,
            URL,
            None,
            &key().with_security_token("tok-1"),
            "t-3",
            NOW,
        );
        assert!(verify(&verifier, &right, None).is_ok());
        // A token sent with a long-term key is refused too.
        let verifier = Verifier::new(credentials());
        let extra = signed(
            reqwest::Method::GET,
            URL,
            None,
            &key().with_security_token("tok-1"),
            "t-4",
            NOW,
        );
        assert_eq!(
            code(verify(&verifier, &extra, None)).1,
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
    }

    #[test]
    fn alibaba_bearer_tokens() {
        let verifier = Verifier::new(credentials());
        let bearer = |token: &str| {
            let mut request =
                reqwest::Request::new(reqwest::Method::GET, reqwest::Url::parse(URL).expect("url"));
            acs3::sign_bearer(
                &mut request,
                &Secret::new(token),
                "ListInstanceSnapshot",
                "2022-01-01",
                date(NOW),
                "b",
            )
            .unwrap();
            request
        };
        assert_eq!(
            verify(&verifier, &bearer("bearer-1"), None),
            Ok(Principal::AlibabaBearer)
        );
        assert_eq!(
            code(verify(&verifier, &bearer("bearer-2"), None)),
            (403, "InvalidBearerToken".into())
        );
        let mut no_token = bearer("bearer-1");
        no_token.headers_mut().remove(acs3::X_ACS_BEARER_TOKEN);
        assert_eq!(
            code(verify(&verifier, &no_token, None)).1,
            "IncompleteSignature"
        );
    }

    #[test]
    fn gateway_takes_only_the_dashscope_key() {
        let verifier = Verifier::new(credentials());
        let headers = |value: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = value {
                h.insert(header::AUTHORIZATION, header::HeaderValue::from_static(v));
            }
            h
        };
        assert_eq!(
            verifier.verify_gateway(&headers(Some("Bearer sk-1"))),
            Ok(Principal::DashScope)
        );
        for bad in [
            None,
            Some("Bearer sk-2"),
            Some("Bearer "),
            Some("sk-1"),
            Some("Basic c2stMQ=="),
        ] {
            let error = verifier.verify_gateway(&headers(bad)).expect_err("refused");
            assert_eq!(
                (error.status.as_u16(), error.code.as_str()),
                (403, "InvalidApiKey")
            );
        }
    }

    #[test]
    fn nonces_are_forgotten_after_the_window() {
        let mut cache = NonceCache::default();
        let t0 = date(NOW);
        assert!(cache.insert("a", t0));
        assert!(!cache.insert("a", t0 + chrono::TimeDelta::minutes(29)));
        assert!(cache.insert("a", t0 + chrono::TimeDelta::minutes(31)));
    }

    #[test]
    fn authorization_parsing() {
        let parsed = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc",
        )
        .expect("parsed");
        assert_eq!(parsed.credential, "AK");
        assert_eq!(parsed.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(parsed.signature, "abc");
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host",
            "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=x",
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=x,Extra=1",
            "Bearer token",
        ] {
            assert_eq!(
                parse_authorization(bad).expect_err(bad).code,
                "IncompleteSignature",
                "{bad}"
            );
        }
    }
}
