//! The emulator's signature check against requests signed by the official Alibaba Cloud
//! Python SDK: the vectors of `crates/snapshots-runtime/tests/vectors/acs3.json`, written by
//! `generate.py` there from `alibabacloud_tea_openapi` 0.4.6 and the DSW and LangStudio
//! SDKs. Each request is rebuilt exactly as the SDK put it on the wire (its URL, headers and
//! body) and handed to [`Verifier::verify_roa`] at the case's date: the verifier must accept
//! every one, so its canonicalisation is checked against the official signer and not only
//! against this project's own. A request changed after signing must be refused.

use super::{Principal, Verifier};
use crate::DemoCredentials;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use chrono::{DateTime, Utc};
use serde_json::Value;

const VECTORS: &str = include_str!("../../snapshots-runtime/tests/vectors/acs3.json");

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).expect("acs3.json is JSON");
    doc["cases"].as_array().expect("cases").clone()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not text in {value}"))
}

/// The request as the SDK sent it: method, path and query of its URL, headers, body.
struct Wire {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
    now: DateTime<Utc>,
}

fn wire(case: &Value) -> Wire {
    let request = &case["request"];
    let url = reqwest::Url::parse(text(request, "sdk_url")).expect("the SDK's URL");
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut headers = HeaderMap::new();
    for pair in case["expected"]["headers"].as_array().expect("headers") {
        let name = HeaderName::from_bytes(pair[0].as_str().expect("name").as_bytes());
        let value = HeaderValue::from_str(pair[1].as_str().expect("value"));
        headers.append(name.expect("a header name"), value.expect("a header value"));
    }
    Wire {
        method: Method::from_bytes(text(request, "method").as_bytes()).expect("method"),
        uri: path_and_query.parse().expect("a URI"),
        headers,
        body: request["body"]
            .as_str()
            .map(|b| b.as_bytes().to_vec())
            .unwrap_or_default(),
        now: text(case, "date").parse().expect("the case's date"),
    }
}

fn verifier(case: &Value) -> Verifier {
    let mut credentials = DemoCredentials::default();
    if let Some(key) = case.get("key") {
        credentials.access_key_id = text(key, "id").to_owned();
        credentials.access_key_secret = text(key, "secret").to_owned();
        credentials.security_token = key["security_token"].as_str().map(str::to_owned);
    }
    if let Some(token) = case["bearer_token"].as_str() {
        credentials.alibaba_bearer_token = token.to_owned();
    }
    Verifier::new(credentials)
}

fn verify(case: &Value, wire: &Wire) -> Result<Principal, crate::error::ApiError> {
    verifier(case).verify_roa(&wire.method, &wire.uri, &wire.headers, &wire.body, wire.now)
}

#[test]
fn every_request_the_official_sdk_signed_is_accepted() {
    let cases = cases();
    assert!(cases.len() >= 11, "the vectors are all here");
    for case in &cases {
        let wire = wire(case);
        let expected = match text(case, "kind") {
            "bearer" => Principal::AlibabaBearer,
            _ => Principal::AccessKey(text(&case["key"], "id").to_owned()),
        };
        assert_eq!(verify(case, &wire), Ok(expected), "{}", text(case, "name"));
    }
}

#[test]
fn a_request_changed_after_the_sdk_signed_it_is_refused() {
    for case in cases().iter().filter(|c| c["kind"] == "access_key") {
        let name = text(case, "name");
        let original = wire(case);
        // Another path (one byte more) and another query.
        let path = format!("{}x", original.uri.path());
        let query = original
            .uri
            .query()
            .map_or("Extra=1".to_owned(), |q| format!("{q}&Extra=1"));
        for uri in [
            format!(
                "{path}{}",
                original
                    .uri
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default()
            ),
            format!("{}?{query}", original.uri.path()),
        ] {
            let changed = Wire {
                uri: uri.parse().expect("a URI"),
                ..wire(case)
            };
            let refused = verify(case, &changed).expect_err(name);
            assert_eq!(refused.code, "SignatureDoesNotMatch", "{name}: {uri}");
        }
        // A signed header changed.
        let mut changed = wire(case);
        changed
            .headers
            .insert("x-acs-signature-nonce", HeaderValue::from_static("other"));
        let refused = verify(case, &changed).expect_err(name);
        assert_eq!(refused.code, "SignatureDoesNotMatch", "{name}: nonce");
    }
}
