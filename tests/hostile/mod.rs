//! A loopback HTTP/1.1 server that misbehaves on purpose, and a witness that records
//! whatever reaches it.
//!
//! The server is hand-written on a tokio `TcpListener` (no HTTP library on the answering
//! side), so that it can send what no well-behaved server would: redirects to other origins,
//! endless or oversized bodies, bodies cut in the middle, response heads of a megabyte. Each
//! misbehaviour is chosen by the first segment of the request path, so a test picks one by
//! giving the client a base URL such as `http://127.0.0.1:<port>/redirect/307/witness`:
//!
//! | path | answer |
//! | --- | --- |
//! | `/ok{rest}` | 200 with a body of the documented shape for `{rest}` (DSW, LangStudio gateway, Graph OLAP) |
//! | `/redirect/{status}/{target}{rest}` | `{status}` with a `Location` to `target`: `witness` (`http://127.0.0.1:<witness>/stolen{rest}`), `witness-https`, `witness-schemeless` (`//127.0.0.1:<witness>/...`), `localhost` (same port, another host: `/ok{rest}` on `localhost`), `same` (`/ok{rest}`, same origin), `loop` (the request's own path) |
//! | `/endless{rest}` | 200, chunked, a body that never ends (until the client hangs up) |
//! | `/huge-length{rest}` | 200 with `Content-Length: 200000000`, streamed until the client hangs up |
//! | `/huge-500/{length,chunked}{rest}` | 500 with a 20 MB body, declared or chunked |
//! | `/cut/{n}{rest}` | the first `n` requests under `/cut/`: the head and half the body of `/ok{rest}`, then the socket is closed; later ones: `/ok{rest}` |
//! | `/slow{rest}` | 200, `Content-Length: 1000`, one byte every 200 ms |
//! | `/big-header{rest}` | 200 whose head has one header of 1 MB |
//! | `/many-headers{rest}` | 200 whose head has 10,000 headers |
//! | `/html{rest}` | 200 `text/html` |
//! | `/proxy-502{rest}` | 502 `text/html`, a proxy's error page |
//! | `/empty-500{rest}` | 500 with an empty body |
//! | `/huge-message{rest}` | 400, an Alibaba error body whose `Message` is 5 MB |
//! | `/shape/{object,array}{rest}` | 200 JSON of the wrong shape: `{"unexpected": true}` or `[1,2]` |
//!
//! Every request is recorded (method, path, headers, body) before it is answered, so a
//! client that has received an answer (or an error caused by one) can count what the server
//! saw without waiting. Every read and write has a timeout, each connection a deadline,
//! every streamed body a cap, and both accept loops stop when the [`Hostile`] is dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The largest request head read; a longer one is recorded as `<head too large>`.
const MAX_HEAD: usize = 128 * 1024;
/// The most request headers parsed.
const MAX_HEADERS: usize = 128;
/// The largest request body read.
const MAX_BODY: usize = 1024 * 1024;
/// Each read and each write.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole of one connection.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(60);
/// The most bytes one streamed body sends, whatever the client does.
const MAX_STREAMED: u64 = 512 * 1024 * 1024;
/// The most connections an accept loop takes.
const MAX_CONNECTIONS: usize = 10_000;
/// The chunk of streamed bodies: JSON white space, so that even a client that read all of
/// it would see no document.
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// The body size of `/huge-500`.
pub const HUGE_ERROR_BODY: usize = 20_000_000;
/// The declared length of `/huge-length`.
pub const HUGE_LENGTH: u64 = 200_000_000;
/// The length of the `Message` of `/huge-message`.
pub const HUGE_MESSAGE: usize = 5_000_000;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, as sent.
    pub method: String,
    /// The request target (path and query), as sent.
    pub path: String,
    /// Every header, in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (at most [`MAX_BODY`] bytes of it).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    requests: Mutex<Vec<Request>>,
    connections: AtomicUsize,
    streamed: AtomicU64,
    witness_connections: AtomicUsize,
    witness_heads: Mutex<Vec<String>>,
}

#[derive(Debug, Clone, Copy)]
struct Ports {
    server: u16,
    witness: u16,
}

/// The hostile server and its witness, running until dropped.
#[derive(Debug)]
pub struct Hostile {
    ports: Ports,
    state: Arc<State>,
    tasks: Vec<JoinHandle<()>>,
}

impl Hostile {
    /// Starts both listeners on 127.0.0.1, on ports of the system's choosing.
    pub async fn start() -> Hostile {
        let server = TcpListener::bind("127.0.0.1:0").await.expect("bind server");
        let witness = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind witness");
        let ports = Ports {
            server: server.local_addr().expect("server address").port(),
            witness: witness.local_addr().expect("witness address").port(),
        };
        let state = Arc::new(State::default());
        let tasks = vec![
            tokio::spawn(accept_loop(server, {
                let state = state.clone();
                move |stream| serve(stream, state.clone(), ports)
            })),
            tokio::spawn(accept_loop(witness, {
                let state = state.clone();
                move |stream| witness_serve(stream, state.clone())
            })),
        ];
        Hostile {
            ports,
            state,
            tasks,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports.server))
    }

    /// The witness's port.
    pub fn witness_port(&self) -> u16 {
        self.ports.witness
    }

    /// `http://127.0.0.1:<port>/<behaviour>`: a base URL that selects a misbehaviour.
    pub fn url(&self, behaviour: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.ports.server,
            behaviour.trim_start_matches('/')
        )
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().expect("not poisoned").clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.state.requests.lock().expect("not poisoned").len()
    }

    /// How many connections the server accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// How many body bytes the streaming misbehaviours wrote so far.
    pub fn streamed(&self) -> u64 {
        self.state.streamed.load(Ordering::SeqCst)
    }

    /// How many connections reached the witness.
    pub fn witness_connections(&self) -> usize {
        self.state.witness_connections.load(Ordering::SeqCst)
    }

    /// The request heads the witness received (for failure messages).
    pub fn witness_heads(&self) -> Vec<String> {
        self.state
            .witness_heads
            .lock()
            .expect("not poisoned")
            .clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // Aborting an accept loop drops its `JoinSet`, which aborts every connection task.
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn accept_loop<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    for _ in 0..MAX_CONNECTIONS {
        let Ok((stream, _)) = listener.accept().await else {
            break;
        };
        let work = handler(stream);
        connections.spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_DEADLINE, work).await;
        });
        // Reap finished connections so that the set stays small.
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// A request that could not be read whole, recorded all the same.
fn malformed(what: &str) -> Request {
    Request {
        method: String::new(),
        path: what.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// Reads one request: its head (at most [`MAX_HEAD`] bytes), then `Content-Length` bytes of
/// body (at most [`MAX_BODY`]). `None` when the peer sent nothing at all.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::with_capacity(8 * 1024);
    let mut chunk = [0u8; 8 * 1024];
    let (mut request, consumed) = loop {
        let n = match tokio::time::timeout(IO_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => 0,
        };
        if n == 0 {
            return (!buffer.is_empty()).then(|| malformed("<incomplete head>"));
        }
        buffer.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buffer) {
            Ok(httparse::Status::Complete(length)) => {
                let request = Request {
                    method: parsed.method.unwrap_or_default().to_owned(),
                    path: parsed.path.unwrap_or_default().to_owned(),
                    headers: parsed
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                    body: Vec::new(),
                };
                break (request, length);
            }
            Ok(httparse::Status::Partial) if buffer.len() <= MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Some(malformed("<head too large>")),
            Err(e) => return Some(malformed(&format!("<unparsable head: {e}>"))),
        }
    };
    let wanted = request
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = buffer.split_off(consumed.min(buffer.len()));
    while body.len() < wanted {
        let n = match tokio::time::timeout(IO_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => 0,
        };
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(wanted);
    request.body = body;
    Some(request)
}

/// The first segment of a request target: the misbehaviour it selects.
fn behaviour(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    let end = path.find(['/', '?']).unwrap_or(path.len());
    &path[..end]
}

/// The first `segments` segments of `path`, and the rest (which starts with `/` or `?`, or
/// is empty).
fn split(path: &str, segments: usize) -> (Vec<&str>, &str) {
    let mut rest = path;
    let mut params = Vec::with_capacity(segments);
    for _ in 0..segments {
        rest = rest.strip_prefix('/').unwrap_or(rest);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        params.push(&rest[..end]);
        rest = &rest[end..];
    }
    (params, rest)
}

async fn serve(mut stream: TcpStream, state: Arc<State>, ports: Ports) {
    state.connections.fetch_add(1, Ordering::SeqCst);
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let earlier = {
        let mut requests = state.requests.lock().expect("not poisoned");
        let kind = behaviour(&request.path);
        let earlier = requests
            .iter()
            .filter(|r| behaviour(&r.path) == kind)
            .count();
        requests.push(request.clone());
        earlier
    };
    let _ = answer(&mut stream, &request, earlier, &state, ports).await;
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
}

async fn witness_serve(mut stream: TcpStream, state: Arc<State>) {
    state.witness_connections.fetch_add(1, Ordering::SeqCst);
    let head = match read_request(&mut stream).await {
        Some(r) => format!("{} {} {:?}", r.method, r.path, r.headers),
        None => "<nothing sent>".to_owned(),
    };
    state.witness_heads.lock().expect("not poisoned").push(head);
    let _ = respond(&mut stream, 200, "application/json", &[], b"{}").await;
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
}

/// A body of the documented shape for the operation at `rest` (the path after the
/// misbehaviour's own segments).
fn ok_body(method: &str, rest: &str) -> Vec<u8> {
    let path = rest.split('?').next().unwrap_or_default();
    let value = if path.contains("/api/v2/instances/") {
        if method == "POST" {
            contract_tests::example("pai-dsw/CreateInstanceSnapshot.200.json")
        } else {
            contract_tests::example("pai-dsw/GetInstanceSnapshot.200.json")
        }
    } else if path.ends_with("/GetSnapshot") {
        serde_json::json!({"SnapshotId": "snp-1", "RequestId": "hostile-ok"})
    } else if path.contains("/api/snapshots/") {
        contract_tests::example("graph-olap/get_snapshot.200.json")
    } else {
        serde_json::json!({})
    };
    serde_json::to_vec(&value).expect("JSON")
}

const PROXY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

const HTML_PAGE: &str = "<!DOCTYPE html><html><head><title>Welcome</title></head>\
<body><h1>It works!</h1></body></html>";

async fn answer(
    stream: &mut TcpStream,
    request: &Request,
    earlier: usize,
    state: &State,
    ports: Ports,
) -> std::io::Result<()> {
    let path = request.path.as_str();
    let json = "application/json";
    match behaviour(path) {
        "ok" => {
            let (_, rest) = split(path, 1);
            respond(stream, 200, json, &[], &ok_body(&request.method, rest)).await
        }
        "redirect" => {
            let (params, rest) = split(path, 3);
            let status = params[1].parse().unwrap_or(302);
            let (server, witness) = (ports.server, ports.witness);
            let location = match params[2] {
                "witness" => format!("http://127.0.0.1:{witness}/stolen{rest}"),
                "witness-https" => format!("https://127.0.0.1:{witness}/stolen{rest}"),
                "witness-schemeless" => format!("//127.0.0.1:{witness}/stolen{rest}"),
                "localhost" => format!("http://localhost:{server}/ok{rest}"),
                "same" => format!("/ok{rest}"),
                "loop" => request.path.clone(),
                other => format!("/unknown-target/{other}"),
            };
            respond(
                stream,
                status,
                "text/plain",
                &[("Location", &location)],
                b"moved",
            )
            .await
        }
        "endless" => {
            let head = head(
                200,
                &[("Content-Type", json), ("Transfer-Encoding", "chunked")],
            );
            write(stream, &head).await?;
            stream_body(stream, state, None, true).await
        }
        "huge-length" => {
            let length = HUGE_LENGTH.to_string();
            let head = head(200, &[("Content-Type", json), ("Content-Length", &length)]);
            write(stream, &head).await?;
            stream_body(stream, state, Some(HUGE_LENGTH), false).await
        }
        "huge-500" => {
            let (params, _) = split(path, 2);
            let chunked = params[1] == "chunked";
            let length = HUGE_ERROR_BODY.to_string();
            let framing = if chunked {
                ("Transfer-Encoding", "chunked")
            } else {
                ("Content-Length", length.as_str())
            };
            write(stream, &head(500, &[("Content-Type", json), framing])).await?;
            stream_body(stream, state, Some(HUGE_ERROR_BODY as u64), chunked).await
        }
        "cut" => {
            let (params, rest) = split(path, 2);
            let cut_first: usize = params[1].parse().unwrap_or(1);
            let body = ok_body(&request.method, rest);
            if earlier >= cut_first {
                return respond(stream, 200, json, &[], &body).await;
            }
            let length = body.len().to_string();
            write(
                stream,
                &head(200, &[("Content-Type", json), ("Content-Length", &length)]),
            )
            .await?;
            // Half the body, then the caller closes the socket.
            write(stream, &body[..body.len() / 2]).await
        }
        "slow" => {
            write(
                stream,
                &head(200, &[("Content-Type", json), ("Content-Length", "1000")]),
            )
            .await?;
            for _ in 0..1000 {
                write(stream, b" ").await?;
                state.streamed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(())
        }
        "big-header" => {
            let mut bytes =
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Big: ".to_vec();
            bytes.resize(bytes.len() + 1024 * 1024, b'a');
            bytes.extend_from_slice(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            write(stream, &bytes).await
        }
        "many-headers" => {
            let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n".to_vec();
            for i in 0..10_000 {
                bytes.extend_from_slice(format!("X-Hostile-{i}: v\r\n").as_bytes());
            }
            bytes.extend_from_slice(b"Content-Length: 2\r\nConnection: close\r\n\r\n{}");
            write(stream, &bytes).await
        }
        "html" => {
            let html = "text/html; charset=utf-8";
            respond(stream, 200, html, &[], HTML_PAGE.as_bytes()).await
        }
        "proxy-502" => respond(stream, 502, "text/html", &[], PROXY_PAGE.as_bytes()).await,
        "empty-500" => respond(stream, 500, json, &[], b"").await,
        "huge-message" => {
            let body = format!(
                r#"{{"Code":"InvalidParameter","Message":"{}","RequestId":"hostile-huge"}}"#,
                "m".repeat(HUGE_MESSAGE)
            );
            respond(stream, 400, json, &[], body.as_bytes()).await
        }
        "shape" => {
            let (params, _) = split(path, 2);
            let body: &[u8] = if params[1] == "array" {
                b"[1,2]"
            } else {
                br#"{"unexpected": true}"#
            };
            respond(stream, 200, json, &[], body).await
        }
        _ => respond(stream, 404, json, &[], b"{}").await,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Hostile",
    }
}

/// A response head with `headers`, `Connection: close` and a request id.
fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("x-acs-request-id: hostile-request\r\nConnection: close\r\n\r\n");
    text.into_bytes()
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let length = body.len().to_string();
    let mut headers = vec![("Content-Type", content_type), ("Content-Length", &length)];
    headers.extend_from_slice(extra);
    let mut bytes = head(status, &headers);
    bytes.extend_from_slice(body);
    write(stream, &bytes).await
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    match tokio::time::timeout(IO_TIMEOUT, stream.write_all(bytes)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "write timed out",
        )),
    }
}

/// Writes `total` bytes of body (or, for `None`, [`MAX_STREAMED`] bytes of a body that never
/// ends: no last chunk), until the client hangs up.
async fn stream_body(
    stream: &mut TcpStream,
    state: &State,
    total: Option<u64>,
    chunked: bool,
) -> std::io::Result<()> {
    let cap = total.unwrap_or(MAX_STREAMED).min(MAX_STREAMED);
    let mut sent = 0u64;
    let mut frame = Vec::with_capacity(CHUNK.len() + 16);
    while sent < cap {
        let n = usize::try_from(cap - sent).map_or(CHUNK.len(), |left| left.min(CHUNK.len()));
        frame.clear();
        if chunked {
            frame.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        }
        frame.extend_from_slice(&CHUNK[..n]);
        if chunked {
            frame.extend_from_slice(b"\r\n");
        }
        write(stream, &frame).await?;
        sent += n as u64;
        state.streamed.fetch_add(n as u64, Ordering::SeqCst);
    }
    if chunked && total.is_some() {
        write(stream, b"0\r\n\r\n").await?;
    }
    Ok(())
}
