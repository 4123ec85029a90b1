//! Cost of the Alibaba Cloud V3 signature (`acs3::sign`) on typical PAI-DSW requests.
//!
//! Only `sign` is timed: each iteration gets a fresh copy of the unsigned request, made in
//! the untimed setup of `iter_batched`, as the runtime signs one fresh copy per attempt: a
//! copy whose header map has room for the signature's headers, as the runtime's
//! (`runtime::copy_request`; only a call's last possible attempt signs the original, whose
//! map grows once). At microseconds the per-iteration timer cost is negligible. The date and nonce are fixed, so neither the clock nor
//! the random nonce is part of the figure (the runtime adds them per attempt; see the
//! `call_overhead` bench for the whole stack).
//!
//! Two floors are timed beside it, each a part of `sign` that no signer on `reqwest::Request`
//! can skip, so that the time left to the rest (the canonical request, the new headers'
//! values, checks) is a measured figure:
//! - `floor/crypto`: the SHA-256 of the signed request's canonical request, the hex string to
//!   sign, and its HMAC-SHA256 under a prepared key (as the secret keeps it);
//! - `floor/insert_headers`: inserting the signature's finished header values (`Authorization`
//!   and the six `host`/`x-acs-*` headers) into a copy's header map with room for them, which
//!   is what `reqwest::Request` (an `http::HeaderMap`) asks of any signer.
//!
//! ```sh
//! cargo bench -p snapshots-runtime --bench signing -- --warm-up-time 1 --measurement-time 5
//! ```

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use reqwest::Request;
use snapshots_runtime::auth::{acs3, AccessKey};
use snapshots_runtime::crypto::{sha256, HmacSha256Key};
use std::hint::black_box;

const BASE: &str = "https://pai-dsw.cn-hangzhou.aliyuncs.com";
const VERSION: &str = "2022-01-01";
const NONCE: &str = "3156853299f313e23d1673dc12e1703d";

/// A CreateInstanceSnapshot body of about 200 bytes, as the generated client serialises it.
const CREATE_BODY: &str = r#"{"ImageUrl":"registry.cn-hangzhou.aliyuncs.com/pai-dsw/snapshots:training-env-v1","SnapshotName":"training-env-v1","SnapshotDescription":"nightly snapshot","Labels":[{"Key":"team","Value":"ml"}],"Overwrite":false}"#;

fn date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 10, 12, 0, 0).unwrap()
}

fn key() -> AccessKey {
    AccessKey::new(
        "LTAI5tExampleAccessKeyId",
        "ExampleAccessKeySecret0123456789",
    )
}

/// The headers the generated clients put on every request.
fn common(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header("api-version", HeaderValue::from_static(VERSION))
        .header(
            USER_AGENT,
            HeaderValue::from_static("snapshots-sdk-rust/0.1"),
        )
}

fn list_request(client: &reqwest::Client) -> Request {
    common(client.get(format!("{BASE}/api/v2/instances/dsw-123/snapshots")))
        .query(&[("PageNumber", "1"), ("PageSize", "10")])
        .build()
        .unwrap()
}

fn create_request(client: &reqwest::Client) -> Request {
    assert!(
        (180..=240).contains(&CREATE_BODY.len()),
        "{}",
        CREATE_BODY.len()
    );
    common(client.post(format!("{BASE}/api/v2/instances/dsw-123/snapshots")))
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(CREATE_BODY)
        .build()
        .unwrap()
}

fn bench_sign(c: &mut Criterion) {
    snapshots_runtime::install_crypto_provider();
    let client = snapshots_runtime::http_client_builder().build().unwrap();
    let key = key();
    let date = date();
    let mut group = c.benchmark_group("acs3_sign");
    let cases = [
        ("ListInstanceSnapshot", "GET", list_request(&client)),
        ("CreateInstanceSnapshot", "POST", create_request(&client)),
    ];
    for (action, label, template) in cases {
        // Sanity: the request signs, and the signature covers the query and the body.
        let mut check = template.try_clone().unwrap();
        acs3::sign(&mut check, &key, action, VERSION, date, NONCE).unwrap();
        assert!(check.headers().contains_key("authorization"));
        group.bench_function(label, |b| {
            b.iter_batched(
                || attempt_copy(&template),
                |mut request| {
                    acs3::sign(black_box(&mut request), &key, action, VERSION, date, NONCE)
                        .unwrap();
                    request
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// The floors under `sign` for the GET: its crypto, and its header inserts.
fn bench_floors(c: &mut Criterion) {
    snapshots_runtime::install_crypto_provider();
    let client = snapshots_runtime::http_client_builder().build().unwrap();
    let template = list_request(&client);
    let mut signed = template.try_clone().unwrap();
    acs3::sign(
        &mut signed,
        &key(),
        "ListInstanceSnapshot",
        VERSION,
        date(),
        NONCE,
    )
    .unwrap();
    let canonical = acs3::canonical_request(
        signed.method(),
        signed.url(),
        signed.headers(),
        acs3::EMPTY_PAYLOAD_SHA256,
    )
    .unwrap();
    let added: Vec<_> = signed
        .headers()
        .iter()
        .filter(|(name, _)| !template.headers().contains_key(*name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    assert_eq!(added.len(), 7, "{added:?}");
    let hmac = HmacSha256Key::new(b"ExampleAccessKeySecret0123456789");
    let mut group = c.benchmark_group("floor");
    // The floor's string to sign is the signer's, and its HMAC the very signature `sign`
    // put in `Authorization`.
    assert_eq!(
        &to_sign(&canonical)[..],
        acs3::string_to_sign(&canonical).as_bytes()
    );
    let signature =
        String::from_utf8(hex_digits(&hmac.sign(&to_sign(&canonical))).to_vec()).unwrap();
    let authorization = signed.headers()["authorization"].to_str().unwrap();
    assert!(authorization.ends_with(&format!("Signature={signature}")));
    group.bench_function("crypto", |b| {
        b.iter(|| hmac.sign(&to_sign(black_box(&canonical))));
    });
    group.bench_function("insert_headers", |b| {
        b.iter_batched(
            || attempt_copy(&template),
            |mut request| {
                let headers = request.headers_mut();
                for (name, value) in &added {
                    headers.insert(name.clone(), value.clone());
                }
                request
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// The runtime's attempt copy of `template`: room for the signature's nine headers.
fn attempt_copy(template: &Request) -> Request {
    let mut copy = template.try_clone().unwrap();
    copy.headers_mut().reserve(9);
    copy
}

/// The V3 string to sign of `canonical`: the algorithm, a line break, the hex SHA-256.
fn to_sign(canonical: &str) -> [u8; acs3::ALGORITHM.len() + 1 + 64] {
    let mut out = [0u8; acs3::ALGORITHM.len() + 1 + 64];
    out[..acs3::ALGORITHM.len()].copy_from_slice(acs3::ALGORITHM.as_bytes());
    out[acs3::ALGORITHM.len()] = b'\n';
    out[acs3::ALGORITHM.len() + 1..].copy_from_slice(&hex_digits(&sha256(canonical.as_bytes())));
    out
}

/// Lower-case hex of a digest, on the stack (as `sign` writes it).
fn hex_digits(digest: &[u8; 32]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 15)];
    }
    out
}

criterion_group!(benches, bench_sign, bench_floors);
criterion_main!(benches);
