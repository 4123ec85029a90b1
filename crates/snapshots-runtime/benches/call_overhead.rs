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
//! Before the timings, the bench prints the allocations per call of each variant (on the
//! client's thread only), and adds a Graph OLAP `get_snapshot` (the `X-Username` identity
//! header) against raw reqwest sending the same header.
//!
//! ```sh
//! cargo bench -p snapshots-runtime --bench call_overhead -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use pai_dsw::types::GetInstanceSnapshotResponse;
use snapshots_runtime::auth::{acs3, AccessKey};
use snapshots_runtime::{Credentials, RateLimiter, RetryConfig, Runtime};
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = include_str!("../../../specs/examples/pai-dsw/GetInstanceSnapshot.200.json");
const OLAP_BODY: &str = include_str!("../../../specs/examples/graph-olap/get_snapshot.200.json");
/// Allocations and bytes allocated per call of `call`, averaged over 1,000 calls after 100
/// warm-up calls (connection pooled, caches filled). `allocation-counter` counts the
/// allocations of this thread only: the client's (its tokio runtime is single-threaded, so
/// its connection tasks run here too), never the server's.
fn allocations_per_call<F, Fut>(rt: &tokio::runtime::Runtime, call: F) -> (f64, f64)
where
    F: Fn() -> Fut,
    Fut: Future,
{
    const CALLS: u32 = 1_000;
    rt.block_on(async {
        for _ in 0..100 {
            black_box(call().await);
        }
    });
    let counted = allocation_counter::measure(|| {
        rt.block_on(async {
            for _ in 0..CALLS {
                black_box(call().await);
            }
        })
    });
    let per_call = |n: u64| n as f64 / f64::from(CALLS);
    (per_call(counted.count_total), per_call(counted.bytes_total))
}

const INSTANCE: &str = "dsw-730xxxxxxxxxx";
const SNAPSHOT: &str = "snp-05cexxxxxxxxx";
const OLAP_SNAPSHOT: &str = "snapshot-uuid";

/// Starts the server on its own thread and returns its address.
fn start_server() -> SocketAddr {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let responses = Responses {
        dsw: ok(BODY),
        olap: ok(OLAP_BODY),
    };
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
                tokio::spawn(serve(socket, responses));
            }
        });
    });
    addr
}

/// The server's two answers: Graph OLAP's for `/api/snapshots/...`, DSW's for anything else.
#[derive(Clone, Copy)]
struct Responses {
    dsw: &'static [u8],
    olap: &'static [u8],
}

/// A 200 response with `body`, kept for the life of the process.
fn ok(body: &str) -> &'static [u8] {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json;charset=utf-8\r\n\
         content-length: {}\r\nx-acs-request-id: E7D55162-4489-1619-AAF5-3F97D5FCA948\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .leak()
}

/// Answers every request on one connection, until the peer closes it (or sends something
/// that is not HTTP/1.1).
async fn serve(mut socket: TcpStream, responses: Responses) {
    let _ = socket.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Answer every complete request already buffered (head plus content-length body).
        while let Some(total) = complete_request(&buf) {
            let Ok((total, olap)) = total else { return };
            let response = if olap { responses.olap } else { responses.dsw };
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

/// The length of the first request in `buf` when it is all there, and whether it is a Graph
/// OLAP path (`None`: not yet; an error: not a request), parsed with `httparse`, the parser
/// hyper servers use.
fn complete_request(buf: &[u8]) -> Option<Result<(usize, bool), httparse::Error>> {
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
    let olap = request
        .path
        .is_some_and(|p| p.starts_with("/api/snapshots/"));
    (buf.len() >= head + body).then_some(Ok((head + body, olap)))
}

/// One Graph OLAP get_snapshot call through the generated client.
async fn generated_olap(client: &graph_olap::Client) -> graph_olap::types::SnapshotEnvelope {
    client
        .get_snapshot()
        .snapshot_id(OLAP_SNAPSHOT)
        .send()
        .await
        .unwrap()
        .into_inner()
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

/// The clients of every variant, sharing one `reqwest::Client` without a timeout (one pooled
/// keep-alive connection; no proxy from the environment).
struct Setup {
    http: reqwest::Client,
    dsw_url: String,
    olap_url: String,
    key: AccessKey,
    passthrough: pai_dsw::Client,
    full: pai_dsw::Client,
    olap: graph_olap::Client,
}

impl Setup {
    fn new(addr: SocketAddr) -> Self {
        let base = format!("http://{addr}");
        snapshots_runtime::install_crypto_provider();
        // Like the runtime's own client: no redirects followed (bodies are bounded by the
        // runtime, not the client).
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let key = AccessKey::new(
            "LTAI5tExampleAccessKeyId",
            "ExampleAccessKeySecret0123456789",
        );
        let runtime = |credentials| {
            Runtime::builder()
                .credentials(credentials)
                .retry(RetryConfig::default())
                .rate_limit(RateLimiter::unlimited())
                .build()
        };
        let username = Credentials::Header {
            name: "X-Username".into(),
            value: "alice.smith".into(),
        };
        Setup {
            dsw_url: format!("{base}/api/v2/instances/{INSTANCE}/snapshots/{SNAPSHOT}"),
            olap_url: format!("{base}/api/snapshots/{OLAP_SNAPSHOT}"),
            passthrough: pai_dsw::Client::new_with_client(
                &base,
                http.clone(),
                Runtime::passthrough(),
            ),
            full: pai_dsw::Client::new_with_client(
                &base,
                http.clone(),
                runtime(Credentials::AccessKey(key.clone())),
            ),
            olap: graph_olap::Client::new_with_client(&base, http.clone(), runtime(username)),
            key,
            http,
        }
    }

    /// Raw reqwest: GET, then decode the JSON body.
    async fn raw(&self) -> GetInstanceSnapshotResponse {
        self.http
            .get(&self.dsw_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Raw reqwest signing with the same signer (fresh date and nonce).
    async fn raw_signed(&self) -> GetInstanceSnapshotResponse {
        let mut request = self
            .http
            .get(&self.dsw_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .unwrap();
        let nonce = acs3::new_nonce().unwrap();
        acs3::sign(
            &mut request,
            &self.key,
            "GetInstanceSnapshot",
            "2022-01-01",
            chrono::Utc::now(),
            &nonce,
        )
        .unwrap();
        self.http
            .execute(request)
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Raw reqwest with the Graph OLAP identity header.
    async fn raw_olap(&self) -> graph_olap::types::SnapshotEnvelope {
        self.http
            .get(&self.olap_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("x-username", "alice.smith")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Prints the allocations per call of every variant (criterion measures time only).
fn print_allocations(rt: &tokio::runtime::Runtime, setup: &Setup) {
    let rows = [
        ("dsw raw_reqwest", allocations_per_call(rt, || setup.raw())),
        (
            "dsw raw_reqwest_signed",
            allocations_per_call(rt, || setup.raw_signed()),
        ),
        (
            "dsw passthrough",
            allocations_per_call(rt, || generated(&setup.passthrough)),
        ),
        (
            "dsw full_runtime",
            allocations_per_call(rt, || generated(&setup.full)),
        ),
        (
            "olap raw_reqwest",
            allocations_per_call(rt, || setup.raw_olap()),
        ),
        (
            "olap full_runtime",
            allocations_per_call(rt, || generated_olap(&setup.olap)),
        ),
    ];
    println!("allocations per call (mean of 1,000 calls after 100 warm-up calls):");
    for (name, (count, bytes)) in rows {
        println!("  {name:<24} {count:>6.1} allocations {bytes:>9.0} bytes");
    }
}

fn bench_call_overhead(c: &mut Criterion) {
    let setup = Setup::new(start_server());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // All variants decode the same snapshot before anything is timed.
    rt.block_on(async {
        let expected = setup.raw().await;
        assert_eq!(expected.snapshot_id.as_deref(), Some(SNAPSHOT));
        assert_eq!(setup.raw_signed().await, expected);
        assert_eq!(generated(&setup.passthrough).await, expected);
        assert_eq!(generated(&setup.full).await, expected);
        assert_eq!(generated_olap(&setup.olap).await, setup.raw_olap().await);
    });
    print_allocations(&rt, &setup);

    let mut group = c.benchmark_group("get_instance_snapshot");
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(setup.raw().await) })
    });
    group.bench_function("raw_reqwest_signed", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(setup.raw_signed().await) })
    });
    group.bench_function("passthrough", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(generated(&setup.passthrough).await) })
    });
    group.bench_function("full_runtime", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(generated(&setup.full).await) })
    });
    group.finish();
    let mut group = c.benchmark_group("graph_olap_get_snapshot");
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(setup.raw_olap().await) })
    });
    group.bench_function("full_runtime", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(generated_olap(&setup.olap).await) })
    });
    group.finish();
}

criterion_group!(benches, bench_call_overhead);
criterion_main!(benches);
