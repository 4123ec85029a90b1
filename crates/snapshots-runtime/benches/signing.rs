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
//! ```sh
//! cargo bench -p snapshots-runtime --bench signing -- --warm-up-time 1 --measurement-time 5
//! ```

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use reqwest::Request;
use snapshots_runtime::auth::{acs3, AccessKey};
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
                || {
                    // The runtime's attempt copy: room for the signature's nine headers.
                    let mut copy = template.try_clone().unwrap();
                    copy.headers_mut().reserve(9);
                    copy
                },
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

criterion_group!(benches, bench_sign);
criterion_main!(benches);
