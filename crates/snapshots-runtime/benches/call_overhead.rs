//! Per-call overhead of the generated client and the runtime, against raw reqwest doing the
//! same GET and JSON decode.
//!
//! A minimal HTTP/1.1 server on 127.0.0.1 (its own thread and single-threaded tokio runtime)
//! answers every request with the seed's `GetInstanceSnapshot` 200 body, with keep-alive. It
//! finds the end of each request with `httparse`, the parser of hyper's servers. (It first
//! used a hand-written scan, a byte-window search plus a lossy UTF-8 copy of every request
//! head, which cost about ten instructions per request byte: the signed variant's ~500 extra
//! header bytes were charged several microseconds that a real server does not spend. The
//! bytes still cross the loopback and are still parsed.) The client side runs on another
//! single-threaded tokio runtime, and all variants share one `reqwest::Client` without a
//! timeout (so one pooled keep-alive connection):
//!
//! - `raw_reqwest`: `client.get(url).send().await?.json::<GetInstanceSnapshotResponse>()`;
//! - `raw_reqwest_signed`: the same, with `acs3::sign` (fresh date and nonce) applied to the
//!   built request before sending: what a hand-written signed call costs;
//! - `passthrough`: `pai_dsw::Client` with `Runtime::passthrough()` (no auth, no retries, no
//!   rate limit, no time limit);
//! - `full_runtime`: `pai_dsw::Client` with an access key (V3 signing of every call, fresh
//!   date and nonce), the default retry policy (which also bounds each attempt by the total
//!   time limit, so reqwest arms a timer per call) and `RateLimiter::unlimited()`.
//!
//! `passthrough` against `raw_reqwest` is the overhead of the generated client and the
//! runtime's machinery. `full_runtime` against `raw_reqwest` adds what raw reqwest does not do
//! at all (the signature, its eight headers on the wire, the timer); against
//! `raw_reqwest_signed` it is the runtime's overhead on a signed call.
//!
//! ```sh
//! cargo bench -p snapshots-runtime --bench call_overhead -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use pai_dsw::types::GetInstanceSnapshotResponse;
use snapshots_runtime::auth::{acs3, AccessKey};
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

/// Answers every request on one connection with `response`, until the peer closes it (or
/// sends something that is not HTTP/1.1).
async fn serve(mut socket: TcpStream, response: &'static [u8]) {
    let _ = socket.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Answer every complete request already buffered (head plus content-length body).
        while let Some(total) = complete_request(&buf) {
            let Ok(total) = total else { return };
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

/// The length of the first request in `buf` when it is all there (`None`: not yet; an error:
/// not a request), parsed with `httparse`, the parser hyper servers use.
fn complete_request(buf: &[u8]) -> Option<Result<usize, httparse::Error>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) => return None,
        Err(e) => return Some(Err(e)),
    };
    let body = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(0);
    (buf.len() >= head + body).then_some(Ok(head + body))
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
    snapshots_runtime::install_crypto_provider();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let key = AccessKey::new(
        "LTAI5tExampleAccessKeyId",
        "ExampleAccessKeySecret0123456789",
    );
    let passthrough = pai_dsw::Client::new_with_client(&base, http.clone(), Runtime::passthrough());
    let full = pai_dsw::Client::new_with_client(
        &base,
        http.clone(),
        Runtime::builder()
            .credentials(Credentials::AccessKey(key.clone()))
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
    let raw_signed = || async {
        let mut request = http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .unwrap();
        acs3::sign(
            &mut request,
            &key,
            "GetInstanceSnapshot",
            "2022-01-01",
            chrono::Utc::now(),
            &acs3::new_nonce(),
        )
        .unwrap();
        http.execute(request)
            .await
            .unwrap()
            .json::<GetInstanceSnapshotResponse>()
            .await
            .unwrap()
    };
    // All variants decode the same snapshot before anything is timed.
    rt.block_on(async {
        let expected = raw().await;
        assert_eq!(expected.snapshot_id.as_deref(), Some(SNAPSHOT));
        assert_eq!(raw_signed().await, expected);
        assert_eq!(generated(&passthrough).await, expected);
        assert_eq!(generated(&full).await, expected);
    });

    let mut group = c.benchmark_group("get_instance_snapshot");
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt).iter(|| async { black_box(raw().await) })
    });
    group.bench_function("raw_reqwest_signed", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(raw_signed().await) })
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
