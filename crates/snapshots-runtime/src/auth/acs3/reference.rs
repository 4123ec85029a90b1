//! The signer as first written (before it was tuned for speed), kept verbatim apart from its
//! doc comments, as the reference the property tests of [`super`] compare the tuned signer
//! with: same `Authorization`, same headers in the same order, same URL, same errors, for
//! arbitrary requests.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, HOST};
use reqwest::{Method, Request, Url};
use sha2::{Digest, Sha256};

use super::super::{AccessKey, Secret};
use super::{
    CanonicalHeaders, SignError, ALGORITHM, EMPTY_PAYLOAD_SHA256, X_ACS_ACCESSKEY_ID, X_ACS_ACTION,
    X_ACS_BEARER_TOKEN, X_ACS_CONTENT_SHA256, X_ACS_DATE, X_ACS_SECURITY_TOKEN,
    X_ACS_SIGNATURE_NONCE, X_ACS_SIGNATURE_TYPE, X_ACS_VERSION,
};

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn percent_encode(s: &str) -> String {
    percent_encode_bytes(s.as_bytes())
}

fn percent_encode_bytes(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, UNRESERVED).to_string()
}

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

fn query_pairs(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

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

pub fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", hex_sha256(canonical_request.as_bytes()))
}

pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn format_date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn payload_hash(request: &Request) -> Result<String, SignError> {
    match request.body() {
        None => Ok(EMPTY_PAYLOAD_SHA256.to_owned()),
        Some(body) => body
            .as_bytes()
            .map(hex_sha256)
            .ok_or(SignError::StreamingBody),
    }
}

fn host_header(url: &Url) -> Result<String, SignError> {
    let host = url.host_str().ok_or(SignError::MissingHost)?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

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
