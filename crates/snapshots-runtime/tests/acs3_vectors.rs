//! `acs3::sign` against vectors computed by the official Alibaba Cloud Python SDK.
//!
//! `tests/vectors/acs3.json` is written by `tests/vectors/generate.py` (see its header for how
//! to run it), which calls real operations of `alibabacloud_pai_dsw20220101` and
//! `alibabacloud_pailangstudio20240710` with the network stubbed out and records the SDK's
//! canonical request, string to sign and `Authorization` header. Each case is rebuilt here
//! with reqwest (query through `RequestBuilder::query`, as the generated clients do), twice:
//! with the path exactly as the SDK built it, and with the path as progenitor encodes it
//! (which leaves `*`, `'`, `(`, `)`, `!` unescaped). Both must sign to the SDK's bytes.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Request};
use serde_json::Value;
use snapshots_runtime::auth::{acs3, AccessKey, Secret};

const VECTORS: &str = include_str!("vectors/acs3.json");

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).expect("acs3.json is valid JSON");
    doc["cases"].as_array().expect("cases").clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .expect("a list of pairs")
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The SDK's path re-encoded the way progenitor's generated code would build it.
fn progenitor_path(sdk_path: &str) -> String {
    sdk_path
        .split('/')
        .map(|segment| {
            let raw = percent_decode_str(segment)
                .decode_utf8()
                .expect("SDK path segments are UTF-8");
            progenitor_client::encode_path(&raw)
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Builds the case's request as a generated client would, with the caller headers the SDK had.
fn build(case: &Value, path: &str) -> Request {
    let req = &case["request"];
    let method = Method::from_bytes(s(req, "method").as_bytes()).unwrap();
    let url = format!("{}://{}{}", s(req, "scheme"), s(req, "host"), path);
    snapshots_runtime::install_crypto_provider();
    let client = snapshots_runtime::http_client_builder().build().unwrap();
    let mut builder = client.request(method, url.as_str());
    let query = pairs(&req["query"]);
    if !query.is_empty() {
        builder = builder.query(&query);
    }
    for (name, value) in pairs(&case["caller_headers"]) {
        builder = builder.header(name, value);
    }
    if let Some(body) = req["body"].as_str() {
        builder = builder.body(body.to_owned());
    }
    builder.build().expect("request builds")
}

fn date(case: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s(case, "date"))
        .unwrap()
        .with_timezone(&Utc)
}

/// The request's headers as sorted `(lowercase name, value)` pairs.
fn header_list(req: &Request) -> Vec<(String, String)> {
    let mut out: Vec<_> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

fn expected_headers(case: &Value) -> Vec<(String, String)> {
    let mut out: Vec<_> = pairs(&case["expected"]["headers"])
        .into_iter()
        .map(|(k, v)| (k.to_lowercase(), v))
        .collect();
    out.sort();
    out
}

fn check_access_key_case(case: &Value, path: &str) {
    let name = s(case, "name");
    let expected = &case["expected"];
    let key_json = &case["key"];
    let mut key = AccessKey::new(s(key_json, "id"), s(key_json, "secret"));
    if let Some(token) = key_json["security_token"].as_str() {
        key = key.with_security_token(token);
    }
    let mut req = build(case, path);
    acs3::sign(
        &mut req,
        &key,
        s(case, "action"),
        s(case, "version"),
        date(case),
        s(case, "nonce"),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));

    let payload = req.headers()[acs3::X_ACS_CONTENT_SHA256]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        payload,
        s(expected, "content_sha256"),
        "{name}: x-acs-content-sha256"
    );
    let canonical =
        acs3::canonical_request(req.method(), req.url(), req.headers(), &payload).unwrap();
    assert_eq!(
        canonical,
        s(expected, "canonical_request"),
        "{name} (path {path}): canonical request"
    );
    let to_sign = acs3::string_to_sign(&canonical);
    assert_eq!(
        to_sign,
        s(expected, "string_to_sign"),
        "{name}: string to sign"
    );
    assert_eq!(
        acs3::signature(&key.secret, &to_sign),
        s(expected, "signature"),
        "{name}: signature"
    );
    assert_eq!(
        req.headers()["authorization"],
        s(expected, "authorization"),
        "{name}: Authorization"
    );
    assert_eq!(
        header_list(&req),
        expected_headers(case),
        "{name}: the full header set"
    );

    // What is sent: the SDK's path, byte for byte, and the SDK's query pairs once decoded.
    assert_eq!(
        req.url().path(),
        s(&case["request"], "path"),
        "{name}: wire path"
    );
    let sent: Vec<(String, String)> = req.url().query_pairs().into_owned().collect();
    let sdk_url = reqwest::Url::parse(s(&case["request"], "sdk_url")).unwrap();
    let sdk_sent: Vec<(String, String)> = sdk_url.query_pairs().into_owned().collect();
    assert_eq!(sent, sdk_sent, "{name}: wire query");
    assert_eq!(
        sent,
        pairs(&case["request"]["query"]),
        "{name}: wire query vs SDK map"
    );
}

#[test]
fn access_key_vectors_match_the_sdk() {
    let cases = cases();
    let mut checked = 0;
    let mut paths_differ = 0;
    for case in cases.iter().filter(|c| c["kind"] == "access_key") {
        let sdk_path = s(&case["request"], "path");
        check_access_key_case(case, sdk_path);
        let progenitor = progenitor_path(sdk_path);
        check_access_key_case(case, &progenitor);
        checked += 1;
        paths_differ += usize::from(progenitor != sdk_path);
    }
    assert!(checked >= 10, "only {checked} access-key vectors");
    // The vectors exercise the path re-encoding (`*`, `'`, `(`, `)`, `!` left raw).
    assert!(
        paths_differ >= 2,
        "only {paths_differ} vectors have a path progenitor encodes differently"
    );
}

#[test]
fn the_required_cases_are_present() {
    let names: Vec<String> = cases().iter().map(|c| s(c, "name").to_owned()).collect();
    for required in [
        "langstudio_get_snapshot",
        "dsw_create_instance_snapshot_min",
        "langstudio_list_snapshots",
        "dsw_get_instance_snapshot_sts",
        "dsw_get_instance_snapshot_unicode_path",
        "langstudio_list_snapshots_unicode_query",
        "dsw_list_instance_snapshot_empty_query",
        "langstudio_update_snapshot_put_non_ascii_body",
        "langstudio_delete_snapshot_http_port",
        "langstudio_get_snapshot_bearer",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing vector {required}"
        );
    }
    // The notes' three published signatures (§4.4) are the SDK's.
    let sig = |name: &str| {
        let case = cases().into_iter().find(|c| c["name"] == name).unwrap();
        s(&case["expected"], "signature").to_owned()
    };
    assert_eq!(
        sig("langstudio_get_snapshot"),
        "23c0c42c141ded7c86debae27dccc9871333f32b4ddfcfa7f90b1f4248ff44a2"
    );
    assert_eq!(
        sig("dsw_create_instance_snapshot_min"),
        "a8b3ad9b4bd1ee139f6e7e4b6e559309010b21f05cc5cbb025fd265d3f3d9436"
    );
    assert_eq!(
        sig("langstudio_list_snapshots"),
        "ea21464d5bb5053a2d4d9fab52e40251fbe0f3345243b8863d392d721e683c6e"
    );
}

#[test]
fn bearer_vectors_match_the_sdk() {
    let cases = cases();
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["kind"] == "bearer") {
        let name = s(case, "name");
        let mut req = build(case, s(&case["request"], "path"));
        let token = Secret::new(s(case, "bearer_token"));
        acs3::sign_bearer(
            &mut req,
            &token,
            s(case, "action"),
            s(case, "version"),
            date(case),
            s(case, "nonce"),
        )
        .unwrap();
        assert_eq!(
            header_list(&req),
            expected_headers(case),
            "{name}: the full header set"
        );
        assert!(!req.headers().contains_key("authorization"), "{name}");
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn signing_twice_gives_the_same_request() {
    // A retry re-signs the same request: the result must not depend on the earlier signature
    // or on the URL rewrite done the first time.
    for case in cases().iter().filter(|c| c["kind"] == "access_key") {
        let key = AccessKey::new(s(&case["key"], "id"), s(&case["key"], "secret"));
        let mut req = build(case, &progenitor_path(s(&case["request"], "path")));
        let args = (
            s(case, "action"),
            s(case, "version"),
            date(case),
            s(case, "nonce"),
        );
        acs3::sign(&mut req, &key, args.0, args.1, args.2, args.3).unwrap();
        let (url, headers) = (req.url().clone(), req.headers().clone());
        req.headers_mut().insert(
            HeaderName::from_static("x-acs-date"),
            HeaderValue::from_static("stale"),
        );
        acs3::sign(&mut req, &key, args.0, args.1, args.2, args.3).unwrap();
        assert_eq!(req.url(), &url);
        assert_eq!(req.headers(), &headers);
    }
}
