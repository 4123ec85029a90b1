//! STS 2015-04-01 (RPC style): `AssumeRole` and `AssumeRoleWithOIDC`, under `/sts` and at
//! the root `/`. See the [module documentation](super) for the parameters and error codes.

use super::v1::{self, Spaces};
use super::{CredentialStore, IssuedKey, Kind};
use crate::auth::{check_timestamp, Verifier};
use crate::error::{api_context, Api, ApiError, RequestContext};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The STS API version.
pub(crate) const VERSION: &str = "2015-04-01";
/// The shortest `DurationSeconds`.
const MIN_DURATION: u64 = 900;

/// What the STS handler needs.
#[derive(Debug, Clone)]
pub(crate) struct Sts {
    pub(crate) store: Arc<CredentialStore>,
    pub(crate) verifier: Arc<Verifier>,
}

/// The STS routes: `/`, `/sts` and `/sts/`, `GET` and `POST`.
pub(crate) fn router(sts: Sts) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/sts", any(handle))
        .route("/sts/", any(handle))
        .with_state(sts)
        .layer(from_fn_with_state(Api::Sts, api_context))
}

/// The parameters of a request: the query, then (for a form `POST`) the body.
fn params(uri: &axum::http::Uri, headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let mut add = |raw: &str| {
        if let Ok(url) = reqwest::Url::parse(&format!("http://q.invalid/?{raw}")) {
            for (k, v) in url.query_pairs() {
                params.insert(k.into_owned(), v.into_owned());
            }
        }
    };
    if let Some(query) = uri.query() {
        add(query);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if form {
        if let Ok(body) = std::str::from_utf8(body) {
            add(body);
        }
    }
    params
}

fn missing(name: &str) -> ApiError {
    ApiError::bad_request(
        &format!("Missing{name}"),
        format!("{name} is mandatory for this action."),
    )
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(name))
}

async fn handle(
    State(sts): State<Sts>,
    Extension(ctx): Extension<RequestContext>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::GET && method != Method::POST {
        return ApiError::unknown_api().into_response();
    }
    let params = params(&uri, &headers, &body);
    let now = Utc::now();
    let result = match params.get("Action").map(String::as_str) {
        None | Some("") => Err(missing("Action")),
        Some(action) => match required(&params, "Version") {
            Err(e) => Err(e),
            Ok(version) if version != VERSION => Err(ApiError::bad_request(
                "InvalidVersion",
                format!("Specified parameter Version is not valid: STS is version {VERSION}."),
            )),
            Ok(_) => match action {
                "AssumeRole" => {
                    sts.store.count(Kind::AssumeRole);
                    assume_role(&sts, method.as_str(), &params, now)
                }
                "AssumeRoleWithOIDC" => {
                    sts.store.count(Kind::AssumeRoleWithOidc);
                    assume_role_with_oidc(&sts, &params, now)
                }
                _ => Err(ApiError::not_found(
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                )),
            },
        },
    };
    match result {
        Ok(mut body) => {
            body["RequestId"] = serde_json::Value::String(ctx.request_id);
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// Checks the V1 signature of an `AssumeRole` request.
fn verify_signature(
    sts: &Sts,
    method: &str,
    params: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let signature_method = required(params, "SignatureMethod")?;
    let access_key_id = required(params, "AccessKeyId")?;
    let signature = required(params, "Signature")?;
    let timestamp = required(params, "Timestamp")?;
    let nonce = required(params, "SignatureNonce")?;
    if signature_method != "HMAC-SHA1" {
        return Err(ApiError::bad_request(
            "InvalidSignatureMethod",
            "Specified signature method is not valid.",
        ));
    }
    check_timestamp(timestamp, now)?;
    let token = params
        .get("SecurityToken")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    let secret = sts.verifier.key_secret(access_key_id, token, now)?;
    let signed = || {
        params
            .iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str()))
    };
    let library = v1::string_to_sign(method, signed(), Spaces::Plus);
    let matches = |string_to_sign: &str| {
        crate::auth::constant_time_eq(
            v1::sign(string_to_sign, &secret).as_bytes(),
            signature.as_bytes(),
        )
    };
    if !matches(&library) && !matches(&v1::string_to_sign(method, signed(), Spaces::Percent20)) {
        return Err(ApiError::bad_request(
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{library}"
            ),
        ));
    }
    if !sts.verifier.remember_nonce(nonce, now) {
        return Err(ApiError::bad_request(
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(())
}

/// The checked `RoleArn`, `RoleSessionName`, `DurationSeconds` and `Policy`.
struct RoleRequest<'a> {
    role_arn: &'a str,
    session: &'a str,
    duration: Duration,
}

fn role_request<'a>(
    sts: &Sts,
    params: &'a HashMap<String, String>,
) -> Result<RoleRequest<'a>, ApiError> {
    let role_arn = required(params, "RoleArn")?;
    let well_formed = role_arn
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(account, name)| {
            !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        })
        .is_some();
    if !well_formed {
        return Err(ApiError::bad_request(
            "InvalidParameter.RoleArn",
            "The parameter RoleArn is wrongly formed.",
        ));
    }
    if !sts
        .store
        .config
        .assumable_roles
        .iter()
        .any(|r| r == role_arn)
    {
        return Err(ApiError::not_found(
            "EntityNotExist.Role",
            "The specified Role not exists.",
        ));
    }
    let session = required(params, "RoleSessionName")?;
    let valid_session = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".@-_".contains(&b));
    if !valid_session {
        return Err(ApiError::bad_request(
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed.",
        ));
    }
    let max = sts.store.config.max_session_duration.as_secs();
    let duration = match params.get("DurationSeconds").filter(|v| !v.is_empty()) {
        None => 3600.min(max),
        Some(value) => value
            .parse::<u64>()
            .ok()
            .filter(|d| (MIN_DURATION..=max).contains(d))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidParameter.DurationSeconds",
                    format!("The Min/Max value of DurationSeconds is {MIN_DURATION}s/{max}s."),
                )
            })?,
    };
    if let Some(policy) = params.get("Policy").filter(|p| !p.is_empty()) {
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(policy).is_err() {
            return Err(ApiError::bad_request(
                "InvalidParameter.PolicyGrammar",
                "The parameter Policy has not passed grammar check.",
            ));
        }
    }
    Ok(RoleRequest {
        role_arn,
        session,
        duration: Duration::from_secs(duration),
    })
}

/// The success body (without `RequestId`, added by the handler).
fn assumed(request: &RoleRequest<'_>, key: &IssuedKey) -> serde_json::Value {
    // A stable 19-digit role id per role ARN, as RAM role ids look.
    let digest = sha2::Sha256::digest(request.role_arn.as_bytes());
    let mut n = u64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    n = 300_000_000_000_000_000 + n % 100_000_000_000_000_000;
    serde_json::json!({
        "AssumedRoleUser": {
            "Arn": format!("{}/{}", request.role_arn, request.session),
            "AssumedRoleId": format!("{n}:{}", request.session),
        },
        "Credentials": {
            "AccessKeyId": key.access_key_id,
            "AccessKeySecret": key.access_key_secret,
            "SecurityToken": key.security_token,
            "Expiration": key.expiration(),
        },
    })
}

fn assume_role(
    sts: &Sts,
    method: &str,
    params: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, ApiError> {
    verify_signature(sts, method, params, now)?;
    let request = role_request(sts, params)?;
    let key = sts.store.issue(request.duration, now);
    Ok(assumed(&request, &key))
}

fn assume_role_with_oidc(
    sts: &Sts,
    params: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, ApiError> {
    let provider = required(params, "OIDCProviderArn")?;
    if provider != sts.store.config.oidc_provider_arn {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFail.NoPermission",
            "No such OIDC Provider registered.",
        ));
    }
    let token = params.get("OIDCToken").map_or("", |t| t.trim());
    if token.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDCToken can not empty.",
        ));
    }
    if !crate::auth::constant_time_eq(
        token.as_bytes(),
        sts.store.config.oidc_token.trim().as_bytes(),
    ) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFail.OIDCToken.Invalid",
            "The Jwt content is invalid that cannot be recognized.",
        ));
    }
    let request = role_request(sts, params)?;
    let key = sts.store.issue(request.duration, now);
    let mut body = assumed(&request, &key);
    body["OIDCTokenInfo"] = serde_json::json!({
        "Issuer": "https://oidc.emulator.invalid",
        "Subject": "system:serviceaccount:default:emulator",
        "ClientIds": "sts.aliyuncs.com",
    });
    Ok(body)
}
