//! The Alibaba Cloud V3 request signer (`ACS3-HMAC-SHA256`), byte-compatible with the official
//! Python SDK (`alibabacloud_tea_openapi` 0.4.6, `Utils.get_authorization`).
//!
//! [`sign`] sets the `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`,
//! `x-acs-signature-nonce` and `x-acs-content-sha256` headers (and `x-acs-accesskey-id` plus
//! `x-acs-security-token` for STS credentials), then signs
//!
//! ```text
//! METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//! ```
//!
//! where the canonical headers are **all** headers on the request at signing time except
//! `authorization` (lowercased names, sorted; values trimmed; repeated names joined with `,`),
//! and sets `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<hex>`.
//!
//! # Paths and queries: what is signed is what is sent
//!
//! The SDK builds each path parameter with its own percent-encoding (everything but
//! `A-Z a-z 0-9 - _ . ~` as `%XX`, so `/` is `%2F`, space `%20`, `*` `%2A`) and signs the
//! path exactly as built. Our HTTP layer (progenitor) encodes differently, leaving `*`, `'`,
//! `(`, `)`, `!` and others as they are. So [`sign`] percent-**decodes** each path segment and
//! re-encodes it with the SDK's rule ([`canonical_uri`]), and **rewrites the request URL's path
//! to that same string** before signing.
//!
//! The query is signed with the SDK's rule ([`canonical_query`]): pairs decoded from the URL
//! (`+` is a space, as form encoding sends it), sorted by name, names and values encoded with
//! the same unreserved set. The SDK *sends* `+` for a space but *signs* `%20`; [`sign`] instead
//! rewrites the URL's query (in its original order) with the signing encoding, so the wire
//! carries `%20`. Servers decode both to a space; sending exactly what was signed leaves one
//! encoding to reason about. (The SDK does not encode query *names* when signing; this signer
//! does, as the V3 specification says. The two agree for every name made of
//! `A-Z a-z 0-9 - _ . ~`, which covers every parameter of the APIs in this workspace.)
//!
//! Headers that the HTTP client adds later, while sending (a client-wide default `accept`,
//! `content-length`), are not signed; V3 allows unsigned headers, and the SDK's own
//! `SignedHeaders` vary the same way.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, HOST};
use reqwest::{Method, Request, Url};
use sha2::{Digest, Sha256};

use super::{AccessKey, Secret};

/// The signature algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// Hex SHA-256 of an empty body: `x-acs-content-sha256` of a request without a body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `x-acs-action`: the operation name.
pub const X_ACS_ACTION: &str = "x-acs-action";
/// `x-acs-version`: the API version.
pub const X_ACS_VERSION: &str = "x-acs-version";
/// `x-acs-date`: the signing time, `%Y-%m-%dT%H:%M:%SZ` in UTC.
pub const X_ACS_DATE: &str = "x-acs-date";
/// `x-acs-signature-nonce`: a unique random string per request.
pub const X_ACS_SIGNATURE_NONCE: &str = "x-acs-signature-nonce";
/// `x-acs-content-sha256`: lowercase hex SHA-256 of the body bytes.
pub const X_ACS_CONTENT_SHA256: &str = "x-acs-content-sha256";
/// `x-acs-accesskey-id`: sent with STS credentials.
pub const X_ACS_ACCESSKEY_ID: &str = "x-acs-accesskey-id";
/// `x-acs-security-token`: the STS security token.
pub const X_ACS_SECURITY_TOKEN: &str = "x-acs-security-token";
/// `x-acs-bearer-token`: the Alibaba bearer token (ROA).
pub const X_ACS_BEARER_TOKEN: &str = "x-acs-bearer-token";
/// `x-acs-signature-type`: `BEARERTOKEN` with a bearer token.
pub const X_ACS_SIGNATURE_TYPE: &str = "x-acs-signature-type";

/// Why a request could not be signed. Never carries a secret or a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The body is a stream: its bytes, which the signature covers, are not known in advance.
    #[error("cannot sign a request with a streaming body: the signature covers the body bytes, which must be known before sending")]
    StreamingBody,
    /// The URL has no host (so no `host` header can be signed).
    #[error("cannot sign a request whose URL has no host")]
    MissingHost,
    /// A header on the request is not UTF-8 text.
    #[error("cannot sign header '{name}': its value is not UTF-8 text")]
    NonUtf8Header {
        /// The header name.
        name: String,
    },
    /// A value to be put in a header (action, version, nonce, key id, token) is not a valid
    /// header value (for example it contains a line break).
    #[error("invalid value for header '{name}'")]
    InvalidHeaderValue {
        /// The header name.
        name: &'static str,
    },
}

/// Everything but `A-Z a-z 0-9 - _ . ~` (RFC 3986 unreserved) is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a string the way the SDK does (`quote(s, safe='~')`, and
/// `darabonba.url.percent_encode`): UTF-8 bytes, everything but `A-Z a-z 0-9 - _ . ~` as `%XX`
/// with uppercase hex. A space is `%20`, `*` is `%2A`, `/` is `%2F`.
pub fn percent_encode(s: &str) -> String {
    percent_encode_bytes(s.as_bytes())
}

fn percent_encode_bytes(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, UNRESERVED).to_string()
}

/// The canonical URI: each `/`-separated segment of the URL's path percent-decoded, then
/// re-encoded with [`percent_encode`]; `/` when the path is empty. Idempotent, and
/// independent of how the path was encoded (`*` and `%2A` give the same result).
pub fn canonical_uri(url: &Url) -> String {
    let path = url.path();
    if path.is_empty() {
        return "/".to_owned();
    }
    path.split('/')
        .map(|segment| percent_encode_bytes(&percent_decode_str(segment).collect::<Vec<u8>>()))
        .collect::<Vec<_>>()
        .join("/")
}

/// The URL's query pairs, decoded (`+` is a space), in their order.
fn query_pairs(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The canonical query string: the URL's query pairs decoded (`+` as a space), sorted by name
/// (then value), each `percent_encode(name)=percent_encode(value)`, joined with `&`. Empty
/// when there is no query. A pair without `=` signs as `name=`.
pub fn canonical_query(url: &Url) -> String {
    let mut pairs = query_pairs(url);
    pairs.sort();
    encode_pairs(&pairs)
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// The canonical header block and the `SignedHeaders` list of a set of headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalHeaders {
    /// `name:value\n` for each header, names lowercased and sorted.
    pub block: String,
    /// The names, sorted, joined with `;`.
    pub signed_headers: String,
}

/// Canonicalises every header except `authorization`: names lowercased and sorted, each value
/// trimmed, the values of a repeated name sorted and joined with `,` (as the SDK's
/// `get_canonicalized_headers`).
pub fn canonical_headers(headers: &HeaderMap) -> Result<CanonicalHeaders, SignError> {
    let mut names: Vec<&HeaderName> = headers
        .keys()
        .filter(|name| **name != AUTHORIZATION)
        .collect();
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut block = String::new();
    for name in &names {
        let mut values = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                std::str::from_utf8(v.as_bytes())
                    .map(str::trim)
                    .map_err(|_| SignError::NonUtf8Header {
                        name: name.as_str().to_owned(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        values.sort_unstable();
        block.push_str(name.as_str());
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    let signed_headers = names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    Ok(CanonicalHeaders {
        block,
        signed_headers,
    })
}

/// The canonical request of a method, URL, headers and payload hash (see the
/// [module documentation](self)). Applied to a request after [`sign`], it gives exactly what
/// was signed (the `authorization` header is never part of it).
pub fn canonical_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    payload_hash: &str,
) -> Result<String, SignError> {
    let headers = canonical_headers(headers)?;
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.as_str(),
        canonical_uri(url),
        canonical_query(url),
        headers.block,
        headers.signed_headers,
        payload_hash
    ))
}

/// Lowercase hex SHA-256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", hex_sha256(canonical_request.as_bytes()))
}

/// Lowercase hex HMAC-SHA256 of the string to sign, keyed with the access key secret.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh `x-acs-signature-nonce`: 32 lowercase hex characters (128 random bits).
pub fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The `x-acs-date` format.
fn format_date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Hex SHA-256 of the request body (of nothing when there is none).
fn payload_hash(request: &Request) -> Result<String, SignError> {
    match request.body() {
        None => Ok(EMPTY_PAYLOAD_SHA256.to_owned()),
        Some(body) => body
            .as_bytes()
            .map(hex_sha256)
            .ok_or(SignError::StreamingBody),
    }
}

/// `host` value of a URL: the host, with the port when it is not the scheme's default.
fn host_header(url: &Url) -> Result<String, SignError> {
    let host = url.host_str().ok_or(SignError::MissingHost)?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Rewrites the URL's path and query to the encodings that are signed.
fn normalise_url(url: &mut Url) {
    let path = canonical_uri(url);
    if url.path() != path {
        url.set_path(&path);
    }
    let pairs = query_pairs(url);
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        let query = encode_pairs(&pairs);
        if url.query() != Some(query.as_str()) {
            url.set_query(Some(&query));
        }
    }
}

fn header_value(
    name: &'static str,
    value: &str,
    sensitive: bool,
) -> Result<HeaderValue, SignError> {
    let mut value =
        HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue { name })?;
    value.set_sensitive(sensitive);
    Ok(value)
}

/// The headers both [`sign`] and [`sign_bearer`] set, validated before anything is changed.
fn common_headers(
    request: &Request,
    action: &str,
    version: &str,
    date: DateTime<Utc>,
    nonce: &str,
    payload_hash: Option<&str>,
) -> Result<Vec<(&'static str, HeaderValue)>, SignError> {
    let mut headers = vec![
        (
            "host",
            header_value("host", &host_header(request.url())?, false)?,
        ),
        (X_ACS_ACTION, header_value(X_ACS_ACTION, action, false)?),
        (X_ACS_VERSION, header_value(X_ACS_VERSION, version, false)?),
        (
            X_ACS_DATE,
            header_value(X_ACS_DATE, &format_date(date), false)?,
        ),
        (
            X_ACS_SIGNATURE_NONCE,
            header_value(X_ACS_SIGNATURE_NONCE, nonce, false)?,
        ),
    ];
    if let Some(hash) = payload_hash {
        headers.push((
            X_ACS_CONTENT_SHA256,
            header_value(X_ACS_CONTENT_SHA256, hash, false)?,
        ));
    }
    Ok(headers)
}

fn insert_all(headers: &mut HeaderMap, values: Vec<(&'static str, HeaderValue)>) {
    for (name, value) in values {
        if name == "host" {
            headers.insert(HOST, value);
        } else {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// Signs a request with an access key, exactly as the Python SDK does (see the
/// [module documentation](self)).
///
/// Sets `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
/// `x-acs-content-sha256`, with STS credentials `x-acs-accesskey-id` and
/// `x-acs-security-token` (and removes those two otherwise), rewrites the URL's path and
/// query to their signed encodings, and sets `Authorization`. Any `Authorization` already on
/// the request is replaced, so a request can be signed again (for a retry) with a new date
/// and nonce. On error the request is left unchanged.
pub fn sign(
    request: &mut Request,
    key: &AccessKey,
    action: &str,
    version: &str,
    date: DateTime<Utc>,
    nonce: &str,
) -> Result<(), SignError> {
    let payload_hash = payload_hash(request)?;
    let mut values = common_headers(request, action, version, date, nonce, Some(&payload_hash))?;
    if let Some(token) = &key.security_token {
        values.push((
            X_ACS_ACCESSKEY_ID,
            header_value(X_ACS_ACCESSKEY_ID, &key.id, false)?,
        ));
        values.push((
            X_ACS_SECURITY_TOKEN,
            header_value(X_ACS_SECURITY_TOKEN, token.expose(), true)?,
        ));
    }
    // Validate everything that can fail before the request is touched.
    let mut url = request.url().clone();
    normalise_url(&mut url);
    let mut headers = request.headers().clone();
    headers.remove(AUTHORIZATION);
    headers.remove(X_ACS_ACCESSKEY_ID);
    headers.remove(X_ACS_SECURITY_TOKEN);
    insert_all(&mut headers, values);
    let canonical = canonical_request(request.method(), &url, &headers, &payload_hash)?;
    let signed_headers = canonical_headers(&headers)?.signed_headers;
    let signature = signature(&key.secret, &string_to_sign(&canonical));
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={signed_headers},Signature={signature}",
        key.id
    );
    let authorization = header_value("authorization", &authorization, true)?;
    headers.insert(AUTHORIZATION, authorization);
    *request.url_mut() = url;
    *request.headers_mut() = headers;
    Ok(())
}

/// Authenticates a request with an Alibaba bearer token on a ROA API, as the Python SDK does
/// for `Config.bearer_token`: `x-acs-bearer-token`, `x-acs-signature-type: BEARERTOKEN`, and
/// the `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce` and
/// `x-acs-content-sha256` headers. No signature and no `Authorization` (any already there is
/// removed). The URL is left as it is.
///
/// Nothing is signed, so nothing needs to fail: a streaming body gets no
/// `x-acs-content-sha256`, and a value that cannot be a header (a token with a line break)
/// is logged, without its value, and the request is left without authentication headers.
pub fn sign_bearer(
    request: &mut Request,
    token: &Secret,
    action: &str,
    version: &str,
    date: DateTime<Utc>,
    nonce: &str,
) {
    let payload_hash = payload_hash(request).ok();
    let values = common_headers(
        request,
        action,
        version,
        date,
        nonce,
        payload_hash.as_deref(),
    )
    .and_then(|mut values| {
        values.push((
            X_ACS_BEARER_TOKEN,
            header_value(X_ACS_BEARER_TOKEN, token.expose(), true)?,
        ));
        values.push((
            X_ACS_SIGNATURE_TYPE,
            HeaderValue::from_static("BEARERTOKEN"),
        ));
        Ok(values)
    });
    match values {
        Ok(values) => {
            let headers = request.headers_mut();
            headers.remove(AUTHORIZATION);
            headers.remove(X_ACS_ACCESSKEY_ID);
            headers.remove(X_ACS_SECURITY_TOKEN);
            insert_all(headers, values);
        }
        Err(error) => {
            tracing::error!(%error, "cannot set the bearer-token headers; request left unauthenticated")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn date(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn request(method: Method, url: &str) -> Request {
        Request::new(method, Url::parse(url).unwrap())
    }

    /// The worked example of Alibaba Cloud's public V3 signature documentation: ECS
    /// `RunInstances`, `POST /?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai`
    /// to `ecs.cn-shanghai.aliyuncs.com`, `x-acs-date: 2023-10-26T09:01:01Z`,
    /// `x-acs-signature-nonce: d410180a5abf7fe235dd9b74aca91fc0`, empty body, key
    /// `YourAccessKeyId` / `YourAccessKeySecret` (values from
    /// <https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature>).
    /// The expected `Authorization` is the one printed in
    /// <https://help.aliyun.com/zh/model-studio/user-guide/roa-style-request-body-signature-mechanism>.
    /// (The English page prints `Signature=06563a9e…` next to the same header values; that
    /// signature cannot be reproduced from the values shown, by this signer or by the SDK.)
    #[test]
    fn alibaba_documentation_example() {
        let mut req = request(
            Method::POST,
            "https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
        );
        let key = AccessKey::new("YourAccessKeyId", "YourAccessKeySecret");
        sign(
            &mut req,
            &key,
            "RunInstances",
            "2014-05-26",
            date("2023-10-26T09:01:01Z"),
            "d410180a5abf7fe235dd9b74aca91fc0",
        )
        .unwrap();
        assert_eq!(
            req.headers()[AUTHORIZATION],
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
        );
    }

    /// Notes §4.4 (a), spelled out.
    #[test]
    fn sdk_vector_get_snapshot() {
        let mut req = request(
            Method::GET,
            "https://pailangstudio.aliyuncs.com/api/v1/langstudio/snapshots/snap-1?WorkspaceId=478",
        );
        let h = req.headers_mut();
        h.insert(
            "user-agent",
            HeaderValue::from_static(
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
        );
        h.insert("accept", HeaderValue::from_static("application/json"));
        h.insert(
            "x-acs-credentials-provider",
            HeaderValue::from_static("static_ak"),
        );
        let key = AccessKey::new("AKID", "SECRET");
        sign(
            &mut req,
            &key,
            "GetSnapshot",
            "2024-07-10",
            date("2025-01-01T00:00:00Z"),
            "NONCE0123456789abcdef",
        )
        .unwrap();
        let canonical =
            canonical_request(req.method(), req.url(), req.headers(), EMPTY_PAYLOAD_SHA256)
                .unwrap();
        assert_eq!(
            canonical,
            "GET\n/api/v1/langstudio/snapshots/snap-1\nWorkspaceId=478\naccept:application/json\n\
             host:pailangstudio.aliyuncs.com\n\
             user-agent:AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2\n\
             x-acs-action:GetSnapshot\n\
             x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-acs-credentials-provider:static_ak\nx-acs-date:2025-01-01T00:00:00Z\n\
             x-acs-signature-nonce:NONCE0123456789abcdef\nx-acs-version:2024-07-10\n\n\
             accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;\
             x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&canonical),
            "ACS3-HMAC-SHA256\n09ba27b81a6a5586bd504dccbaf564773cc5a77752b8b7db7c545d27bc62e106"
        );
        assert!(req.headers()[AUTHORIZATION].to_str().unwrap().ends_with(
            "Signature=23c0c42c141ded7c86debae27dccc9871333f32b4ddfcfa7f90b1f4248ff44a2"
        ));
        assert!(req.headers()[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn percent_encode_matches_the_sdk() {
        assert_eq!(percent_encode("a b+c/="), "a%20b%2Bc%2F%3D");
        assert_eq!(
            percent_encode("ManualCreated,DeploymentAutoCreated"),
            "ManualCreated%2CDeploymentAutoCreated"
        );
        assert_eq!(percent_encode("~*é'()!"), "~%2A%C3%A9%27%28%29%21");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn canonical_uri_reencodes_segments() {
        let url = |s: &str| Url::parse(s).unwrap();
        // progenitor-style encoding (sub-delimiters left as is) and SDK encoding agree.
        assert_eq!(
            canonical_uri(&url("https://h/a/b*c'd(e)!/%7Ex")),
            "/a/b%2Ac%27d%28e%29%21/~x"
        );
        assert_eq!(
            canonical_uri(&url("https://h/a/b%2Ac%27d%28e%29%21/~x")),
            "/a/b%2Ac%27d%28e%29%21/~x"
        );
        assert_eq!(
            canonical_uri(&url("https://h/i/dsw-1%2F%20a/s")),
            "/i/dsw-1%2F%20a/s"
        );
        assert_eq!(canonical_uri(&url("https://h/%E9%20/x")), "/%E9%20/x");
        assert_eq!(canonical_uri(&url("https://h/caf%C3%A9")), "/caf%C3%A9");
        assert_eq!(canonical_uri(&url("https://h")), "/");
        assert_eq!(canonical_uri(&url("https://h/a/")), "/a/");
        assert_eq!(canonical_uri(&url("https://h/100%")), "/100%25");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(canonical_query(&url("https://h/")), "");
        assert_eq!(canonical_query(&url("https://h/?")), "");
        assert_eq!(
            canonical_query(&url("https://h/?b=2&a=1&c=a+b%2Bc%2F%3D")),
            "a=1&b=2&c=a%20b%2Bc%2F%3D"
        );
        assert_eq!(canonical_query(&url("https://h/?flag&e=")), "e=&flag=");
        assert_eq!(canonical_query(&url("https://h/?k=2&k=1")), "k=1&k=2");
        assert_eq!(
            canonical_query(&url("https://h/?x=*%E7%94%A8~")),
            "x=%2A%E7%94%A8~"
        );
    }

    #[test]
    fn sign_rewrites_the_url_to_what_is_signed() {
        let mut req = request(Method::GET, "https://h.example/api/a*b'/x?b=a+b%2B&a=*");
        sign(
            &mut req,
            &AccessKey::new("id", "s"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        )
        .unwrap();
        assert_eq!(
            req.url().as_str(),
            "https://h.example/api/a%2Ab%27/x?b=a%20b%2B&a=%2A"
        );
        assert_eq!(canonical_uri(req.url()), req.url().path());
        assert_eq!(canonical_query(req.url()), "a=%2A&b=a%20b%2B");
        let mut req = request(Method::GET, "https://h.example/x?");
        sign(
            &mut req,
            &AccessKey::new("id", "s"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        )
        .unwrap();
        assert_eq!(req.url().as_str(), "https://h.example/x");
    }

    #[test]
    fn sets_every_header() {
        let mut req = request(Method::PUT, "http://127.0.0.1:8080/x");
        *req.body_mut() = Some(reqwest::Body::from("{\"a\":\"é\"}"));
        let key = AccessKey::new("STS.id", "s").with_security_token("tok");
        let when = Utc.with_ymd_and_hms(2025, 6, 30, 1, 2, 3).unwrap();
        sign(&mut req, &key, "Act", "2024-07-10", when, "abc").unwrap();
        let h = req.headers();
        assert_eq!(h["host"], "127.0.0.1:8080");
        assert_eq!(h[X_ACS_ACTION], "Act");
        assert_eq!(h[X_ACS_VERSION], "2024-07-10");
        assert_eq!(h[X_ACS_DATE], "2025-06-30T01:02:03Z");
        assert_eq!(h[X_ACS_SIGNATURE_NONCE], "abc");
        assert_eq!(
            h[X_ACS_CONTENT_SHA256],
            hex_sha256("{\"a\":\"é\"}".as_bytes())
        );
        assert_eq!(h[X_ACS_ACCESSKEY_ID], "STS.id");
        assert_eq!(h[X_ACS_SECURITY_TOKEN], "tok");
        assert!(h[X_ACS_SECURITY_TOKEN].is_sensitive());
        let auth = h[AUTHORIZATION].to_str().unwrap();
        assert!(
            auth.starts_with(
                "ACS3-HMAC-SHA256 Credential=STS.id,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;\
                 x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature="
            ),
            "{auth}"
        );
        // Default ports are left out of `host`.
        let mut req = request(Method::GET, "https://h.example:443/x");
        sign(&mut req, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        assert_eq!(req.headers()["host"], "h.example");
    }

    #[test]
    fn resigning_replaces_previous_signature_and_sts_headers() {
        let when = date("2025-01-01T00:00:00Z");
        let mut first = request(Method::GET, "https://h/x?a=1");
        sign(
            &mut first,
            &AccessKey::new("id", "s").with_security_token("tok"),
            "A",
            "V",
            when,
            "n",
        )
        .unwrap();
        sign(&mut first, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        let mut fresh = request(Method::GET, "https://h/x?a=1");
        sign(&mut fresh, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        assert_eq!(first.headers(), fresh.headers());
        assert!(!first.headers().contains_key(X_ACS_SECURITY_TOKEN));
        assert_eq!(first.url(), fresh.url());
    }

    #[test]
    fn repeated_headers_are_joined_sorted() {
        let mut headers = HeaderMap::new();
        headers.append("x-b", HeaderValue::from_static(" 2 "));
        headers.append("x-b", HeaderValue::from_static("1"));
        headers.append("X-A", HeaderValue::from_static("v"));
        headers.append("authorization", HeaderValue::from_static("ignored"));
        let c = canonical_headers(&headers).unwrap();
        assert_eq!(c.block, "x-a:v\nx-b:1,2\n");
        assert_eq!(c.signed_headers, "x-a;x-b");
        let mut headers = HeaderMap::new();
        headers.insert("x-bad", HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(
            canonical_headers(&headers).unwrap_err(),
            SignError::NonUtf8Header {
                name: "x-bad".into()
            }
        );
    }

    #[test]
    fn errors_leave_the_request_unchanged() {
        let mut req = request(Method::POST, "https://h/a*b");
        *req.body_mut() = Some(reqwest::Body::wrap(String::from("streamed")));
        let key = AccessKey::new("id", "s");
        let when = date("2025-01-01T00:00:00Z");
        assert_eq!(
            sign(&mut req, &key, "A", "V", when, "n").unwrap_err(),
            SignError::StreamingBody
        );
        assert!(req.headers().is_empty());
        assert_eq!(req.url().path(), "/a*b");

        let mut req = request(Method::GET, "https://h/");
        let err = sign(&mut req, &key, "A\nB", "V", when, "n").unwrap_err();
        assert_eq!(err, SignError::InvalidHeaderValue { name: X_ACS_ACTION });
        let bad_token = AccessKey::new("id", "s").with_security_token("Zq9\nTokenValue");
        let err = sign(&mut req, &bad_token, "A", "V", when, "n").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("Zq9"), "{err}");
        assert!(req.headers().is_empty());
    }

    #[test]
    fn bearer_headers() {
        let mut req = request(
            Method::GET,
            "https://pailangstudio.aliyuncs.com/api/v1/langstudio/snapshots/snap-1?WorkspaceId=478",
        );
        req.headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("stale"));
        sign_bearer(
            &mut req,
            &Secret::new("BTOKEN"),
            "GetSnapshot",
            "2024-07-10",
            date("2025-01-01T00:00:00Z"),
            "n1",
        );
        let h = req.headers();
        assert_eq!(h[X_ACS_BEARER_TOKEN], "BTOKEN");
        assert!(h[X_ACS_BEARER_TOKEN].is_sensitive());
        assert_eq!(h[X_ACS_SIGNATURE_TYPE], "BEARERTOKEN");
        assert_eq!(h[X_ACS_ACTION], "GetSnapshot");
        assert_eq!(h[X_ACS_VERSION], "2024-07-10");
        assert_eq!(h[X_ACS_DATE], "2025-01-01T00:00:00Z");
        assert_eq!(h[X_ACS_SIGNATURE_NONCE], "n1");
        assert_eq!(h[X_ACS_CONTENT_SHA256], EMPTY_PAYLOAD_SHA256);
        assert_eq!(h["host"], "pailangstudio.aliyuncs.com");
        assert!(!h.contains_key(AUTHORIZATION));

        let mut req = request(Method::GET, "https://h/");
        sign_bearer(
            &mut req,
            &Secret::new("bad\ntoken"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        );
        assert!(req.headers().is_empty());
    }

    #[test]
    fn nonces_are_32_lowercase_hex_and_unique() {
        let a = new_nonce();
        let b = new_nonce();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{a}"
        );
        assert_ne!(a, b);
    }

    // ---- properties -----------------------------------------------------------------------

    /// Independent reference: byte by byte, unreserved kept, everything else `%XX` uppercase.
    fn reference_encode(s: &str) -> String {
        let mut out = String::new();
        for &b in s.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn percent_encode_round_trips_and_matches_reference(s in any::<String>()) {
            let encoded = percent_encode(&s);
            prop_assert_eq!(&encoded, &reference_encode(&s));
            prop_assert_eq!(percent_decode_str(&encoded).decode_utf8().unwrap(), s.as_str());
        }

        #[test]
        fn canonical_query_matches_reference(map in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..8)) {
            let mut url = Url::parse("https://h.example/p").unwrap();
            if !map.is_empty() {
                // Form encoding, as reqwest's `.query()` writes it (space as `+`).
                url.query_pairs_mut().extend_pairs(map.iter().rev());
            }
            let reference = map
                .iter()
                .map(|(k, v)| format!("{}={}", reference_encode(k), reference_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            prop_assert_eq!(canonical_query(&url), reference);
        }

        #[test]
        fn canonical_query_survives_the_url_rewrite(map in proptest::collection::btree_map("[ -~é用]{0,6}", "[ -~é用]{0,6}", 0..6)) {
            let mut url = Url::parse("https://h.example/p").unwrap();
            if !map.is_empty() {
                url.query_pairs_mut().extend_pairs(map.iter());
            }
            let before = canonical_query(&url);
            let mut rewritten = url.clone();
            normalise_url(&mut rewritten);
            prop_assert_eq!(canonical_query(&rewritten), before);
            let decoded: BTreeMap<String, String> = rewritten.query_pairs().into_owned().collect();
            prop_assert_eq!(decoded, map);
        }

        #[test]
        fn canonical_uri_is_idempotent(segments in proptest::collection::vec(any::<String>(), 0..5)) {
            let mut url = Url::parse("https://h.example/").unwrap();
            url.path_segments_mut().unwrap().clear().extend(segments.iter());
            let once = canonical_uri(&url);
            let mut again = url.clone();
            again.set_path(&once);
            prop_assert_eq!(again.path(), once.as_str());
            prop_assert_eq!(canonical_uri(&again), once);
        }
    }
}
