//! Shared helpers of the contract tests: loading the seed examples and the recorded
//! exchanges, comparing JSON values, and a wiremock server that records what a generated
//! client sent.

use serde_json::Value;

/// The README's Rust examples, compiled by `cargo test --doc` so that they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A seed example under `specs/examples/`, e.g. `example("pai-dsw/GetInstanceSnapshot.200.json")`.
pub fn example(relative: &str) -> Value {
    let path = root().join("specs/examples").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every example file under `specs/examples/`, as `<crate>/<file>` paths, sorted.
pub fn example_files() -> Vec<String> {
    let mut files = Vec::new();
    let dir = root().join("specs/examples");
    for api in std::fs::read_dir(&dir).expect("specs/examples exists") {
        let api = api.expect("readable entry").path();
        for file in std::fs::read_dir(&api).expect("readable folder") {
            let file = file.expect("readable entry").path();
            let relative = file.strip_prefix(&dir).expect("below specs/examples");
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    files.sort();
    files
}

/// `value` with every object member whose value is `null` removed, recursively.
///
/// The generated types read an absent optional field and an explicit `null` as the same
/// `None` and write it back as absent, so round-trips compare values with nulls removed.
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Decodes `value` as `T`, encodes it again and checks the result is the same JSON value
/// (nulls aside, see [`without_nulls`]). Returns the decoded value.
pub fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    what: &str,
    value: &Value,
) -> T {
    let decoded: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!(
            "{what}: does not decode into {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let encoded = serde_json::to_value(&decoded).expect("generated types always encode");
    assert_eq!(
        without_nulls(&encoded),
        without_nulls(value),
        "{what}: re-encodes differently"
    );
    decoded
}

/// One exchange recorded from the Graph OLAP control plane.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Capture {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/api/snapshots?limit=1`.
    pub path: String,
    /// The request headers that were sent.
    pub request_headers: serde_json::Map<String, Value>,
    /// The request body, if any.
    pub request_body: Option<Value>,
    /// The response status.
    pub status: u16,
    /// The response headers.
    pub response_headers: serde_json::Map<String, Value>,
    /// The response body (`null` for an empty body).
    pub response_body: Value,
    /// What the exchange shows.
    #[serde(default)]
    pub note: Option<String>,
}

/// The files of exchanges recorded from the Graph OLAP control plane (in
/// `tests/fixtures/`, described in `graph-olap-captures.README.md`), each with its number
/// of exchanges: the first recording (59) and `captures-2` (117).
pub const CAPTURE_FILES: [(&str, usize); 2] = [
    ("graph-olap-captures.jsonl", 59),
    ("graph-olap-captures-2.jsonl", 117),
];

/// The 59 exchanges of the first recording (`tests/fixtures/graph-olap-captures.jsonl`).
pub fn captures() -> Vec<Capture> {
    captures_in(CAPTURE_FILES[0].0)
}

/// The exchanges of one file of [`CAPTURE_FILES`], in recorded order.
pub fn captures_in(file: &str) -> Vec<Capture> {
    let path = root().join("tests/fixtures").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{file} line {}: {e}", i + 1))
        })
        .collect()
}

/// A mock server that answers every request with `status` and `body` (no body for `None`).
pub async fn answering(status: u16, body: Option<&Value>) -> MockServer {
    let server = MockServer::start().await;
    let mut response =
        ResponseTemplate::new(status).insert_header("x-request-id", "test-request-id");
    if let Some(body) = body {
        response = response.set_body_json(body);
    }
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// What a client sent, reduced to what the wire contract is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// HTTP method, upper case.
    pub method: String,
    /// Path as sent (percent-encoded).
    pub path: String,
    /// Names of the query parameters.
    pub query: BTreeSet<String>,
    /// Names of the top-level JSON body members; `None` when there is no body.
    pub body: Option<BTreeSet<String>>,
    /// The decoded query pairs.
    pub query_pairs: Vec<(String, String)>,
    /// The JSON body.
    pub json: Option<Value>,
}

impl Sent {
    /// `(method, path)`, for comparing both at once.
    pub fn route(&self) -> (&str, &str) {
        (&self.method, &self.path)
    }
}

/// The one request `server` received (panics when it received none or several).
pub async fn the_request(server: &MockServer) -> Sent {
    let requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {}",
        requests.len()
    );
    let request = &requests[0];
    let query_pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let json: Option<Value> = if request.body.is_empty() {
        None
    } else {
        Some(serde_json::from_slice(&request.body).expect("JSON body"))
    };
    Sent {
        method: request.method.to_string(),
        path: request.url.path().to_owned(),
        query: query_pairs.iter().map(|(k, _)| k.clone()).collect(),
        body: json.as_ref().map(|j| {
            j.as_object()
                .expect("JSON object body")
                .keys()
                .cloned()
                .collect()
        }),
        query_pairs,
        json,
    }
}

/// A set of names, for comparing with [`Sent::query`] and [`Sent::body`].
pub fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}
