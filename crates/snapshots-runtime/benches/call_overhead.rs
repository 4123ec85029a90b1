//! Per-call overhead of the generated client and the runtime, against raw reqwest doing the
//! same GET and JSON decode.
//!
//! A minimal HTTP/1.1 server on 127.0.0.1 (its own thread and single-threaded tokio runtime)
//! answers every request with the seed's `GetInstanceSnapshot` 200 body, with keep-alive. The
//! client side runs on another single-threaded tokio runtime, and all three variants share one
//! `reqwest::Client` (so one pooled keep-alive connection):
//!
//! - `raw_reqwest`: `client.get(url).send().await?.json::<GetInstanceSnapshotResponse>()`;
//! - `passthrough`: `pai_dsw::Client` with `Runtime::passthrough()` (no auth, no retries, no
//!   rate limit);
//! - `full_runtime`: `pai_dsw::Client` with an access key (V3 signing of every call, fresh
//!   date and nonce), the default retry policy (which also bounds each attempt by the total
//!   time limit) and `RateLimiter::unlimited()`.
//!
//! ```sh
//! cargo bench -p snapshots-runtime --bench call_overhead -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use pai_dsw::types::GetInstanceSnapshotResponse;
use snapshots_runtime::auth::AccessKey;
use snapshots_runtime::{Credentials, RateLimiter, RetryConfig, Runtime};
use std::hint::black_box;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = include_str!("../../../specs/examples/pai-dsw/GetInstanceSnapshot.200.json");
const INSTANCE: &str = "dsw-730xxxxxxxxxx";
const SNAPSHOT: &str = "snp-05cexxxxxxxxx";

/// Starts the server on its own thread and returns its address.
fn start_server() -> SocketAddr {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let response: &'static [u8] = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json;charset=utf-8\r\n\
         content-length: {}\r\nx-acs-request-id: E7D55162-4489-1619-AAF5-3F97D5FCA948\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
    .leak();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(socket, response));
            }
        });
    });
    addr
}

/// Answers every request on one connection with `response`, until the peer closes it.
async fn serve(mut socket: TcpStream, response: &'static [u8]) {
    let _ = socket.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Answer every complete request already buffered (head plus content-length body).
        while let Some(head_end) = find(&buf, b"\r\n\r\n") {
            let total = head_end + 4 + content_length(&buf[..head_end]);
            if buf.len() < total {
                break;
            }
            buf.drain(..total);
            if socket.write_all(response).await.is_err() {
                return;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

/// One GetInstanceSnapshot call through a generated client.
async fn generated(client: &pai_dsw::Client) -> GetInstanceSnapshotResponse {
    client
        .get_instance_snapshot()
        .instance_id(INSTANCE)
        .snapshot_id(SNAPSHOT)
        .send()
        .await
        .unwrap()
        .into_inner()
}

fn bench_call_overhead(c: &mut Criterion) {
    let addr = start_server();
    let base = format!("http://{addr}");
    let url = format!("{base}/api/v2/instances/{INSTANCE}/snapshots/{SNAPSHOT}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // One client, one pooled keep-alive connection; no proxy from the environment.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let passthrough = pai_dsw::Client::new_with_client(&base, http.clone(), Runtime::passthrough());
    let full = pai_dsw::Client::new_with_client(
        &base,
        http.clone(),
        Runtime::builder()
            .credentials(Credentials::AccessKey(AccessKey::new(
                "LTAI5tExampleAccessKeyId",
                "ExampleAccessKeySecret0123456789",
            )))
            .retry(RetryConfig::default())
            .rate_limit(RateLimiter::unlimited())
            .build(),
    );

    let raw = || async {
        http.get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
            .json::<GetInstanceSnapshotResponse>()
            .await
            .unwrap()
    };
    // All three decode the same snapshot before anything is timed.
    rt.block_on(async {
        let expected = raw().await;
        assert_eq!(expected.snapshot_id.as_deref(), Some(SNAPSHOT));
        assert_eq!(generated(&passthrough).await, expected);
        assert_eq!(generated(&full).await, expected);
    });

    let mut group = c.benchmark_group("get_instance_snapshot");
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt).iter(|| async { black_box(raw().await) })
    });
    group.bench_function("passthrough", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(generated(&passthrough).await) })
    });
    group.bench_function("full_runtime", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(generated(&full).await) })
    });
    group.finish();
}

criterion_group!(benches, bench_call_overhead);
criterion_main!(benches);
