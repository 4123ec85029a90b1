//! Recorded Graph OLAP exchanges replayed to `snapctl`: lossless JSON, field errors, and the
//! in-use delete as a conflict.
//!
//! `snapctl --output json` prints what the server sent: every recorded success of the
//! Graph OLAP control plane (`tests/fixtures/graph-olap-captures.jsonl`, and
//! `graph-olap-captures-2.jsonl` when present) is replayed by a mock server to the `snapctl`
//! command that makes that call, and the command's stdout must equal the recorded `data`
//! (the whole body for the envelope-less users API) once both have their keys sorted: every
//! `null`, every member the spec does not know, every number as written. DSW and
//! LangStudio answers with nulls and unknown members go through the same check. The recorded
//! 500 of deleting a snapshot an instance uses exits 10 after one request (no retries), and
//! each recorded 422 prints its field errors (location, message, type) on stderr, as text
//! and as JSON.
//!
//! The binary is `snapctl-e2e` of this package (`snapctl::main()`), run with a cleared
//! environment against loopback only.

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use contract_tests::{root, Capture};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn snapctl_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_snapctl-e2e"))
}

/// The exchanges of one capture file, if it is there.
fn capture_file(name: &str) -> Vec<Capture> {
    let path = root().join("tests/fixtures").join(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a capture line"))
        .collect()
}

/// `value` with every object's keys sorted, as compact text: the comparison "byte for byte
/// after normalising key order".
fn normal(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(object) => {
                let mut keys: Vec<&String> = object.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    out.insert(key.clone(), sorted(&object[key]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sorted(value)).expect("encodes")
}

/// Whether `value` holds a `null` anywhere.
fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(object) => object.values().any(has_null),
        _ => false,
    }
}

/// A listing answered whole by its first page (the mock answers every page the same).
fn one_page(body: &Value) -> bool {
    let data = body["data"].as_array().map_or(0, Vec::len) as i64;
    let offset = body["meta"]["offset"].as_i64().unwrap_or(0);
    let total = body["meta"]["total"].as_i64().unwrap_or(0);
    data == 0 || (offset == 0 && data >= total)
}

/// The `snapctl graph-olap` arguments that make the call of `capture`, and what its JSON
/// output must be; `None` for an exchange no command makes (or an error).
fn command_for(capture: &Capture) -> Option<(Vec<String>, Value)> {
    let body = &capture.response_body;
    let data = || body["data"].clone();
    let (path, _query) = capture.path.split_once('?').unwrap_or((&capture.path, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let found = match (capture.method.as_str(), &segments[..], capture.status) {
        ("GET", ["api", "snapshots"], 200) if one_page(body) => (args(&["list"]), data()),
        ("GET", ["api", "snapshots", id], 200) => (args(&["get", id]), data()),
        ("GET", ["api", "snapshots", id, "progress"], 200) => (args(&["progress", id]), data()),
        ("PUT", ["api", "snapshots", id], 200) => (args(&["update", id, "--name", "n"]), data()),
        ("PUT", ["api", "snapshots", id, "lifecycle"], 200) => {
            (args(&["lifecycle", id, "--ttl", "P1D"]), data())
        }
        ("POST", ["api", "snapshots", id, "retry"], 200) => (args(&["retry", id]), data()),
        ("POST", ["api", "snapshots"], 201) => (
            args(&["create", "--name", "n", "--mapping-id", "1"]),
            data(),
        ),
        ("DELETE", ["api", "snapshots", id], 204) => {
            (args(&["delete", id]), json!({"deleted": true}))
        }
        _ => return None,
    };
    Some(found)
}

/// A runtime serving one mock server at a time.
struct Replay {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
}

impl Replay {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(MockServer::start());
        Replay { runtime, server }
    }

    /// The mock answers every request with `status` and `body` (none for `null`).
    fn answer(&self, status: u16, body: &Value) {
        self.runtime.block_on(async {
            self.server.reset().await;
            let mut response =
                ResponseTemplate::new(status).insert_header("x-request-id", "replayed");
            if !body.is_null() {
                response = response.set_body_json(body);
            }
            Mock::given(any())
                .respond_with(response)
                .mount(&self.server)
                .await;
        });
    }

    /// `snapctl <args>` against the mock (retries on, as a user runs it).
    fn run(&self, args: &[String]) -> std::process::Output {
        let uri = self.server.uri();
        Command::new(snapctl_bin())
            .env_clear()
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-secret")
            .env("SNAPCTL_DSW_URL", &uri)
            .env("SNAPCTL_LANGSTUDIO_URL", &uri)
            .env("SNAPCTL_GRAPH_OLAP_URL", &uri)
            .env("SNAPCTL_GRAPH_OLAP_USER", "alice")
            .args(args)
            .timeout(Duration::from_secs(30))
            .output()
            .expect("snapctl ran")
    }

    /// How many requests the mock received since it was last set up.
    fn received(&self) -> usize {
        self.runtime
            .block_on(self.server.received_requests())
            .map_or(0, |requests| requests.len())
    }

    /// `snapctl -o json <args>` against the mock; its stdout as JSON.
    fn json(&self, args: &[String]) -> Value {
        let mut full: Vec<String> = vec!["--output".into(), "json".into(), "--no-retry".into()];
        full.extend_from_slice(args);
        let output = self.run(&full);
        assert!(
            output.status.success(),
            "snapctl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "snapctl {args:?}: stdout is not one JSON document ({e}):\n{}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

/// The exchanges of both capture files.
fn all_captures() -> Vec<Capture> {
    let mut all = capture_file("graph-olap-captures.jsonl");
    all.extend(capture_file("graph-olap-captures-2.jsonl"));
    all
}

#[test]
fn deleting_a_snapshot_in_use_exits_10_at_once_without_retries() {
    let replay = Replay::new();
    let in_use: Vec<Capture> = all_captures()
        .into_iter()
        .filter(|c| {
            c.method == "DELETE" && c.path.starts_with("/api/snapshots/") && c.status == 500
        })
        .collect();
    assert!(!in_use.is_empty(), "no recorded in-use delete");
    for capture in in_use {
        replay.answer(capture.status, &capture.response_body);
        let id = capture.path.rsplit('/').next().expect("an id").to_owned();
        let started = std::time::Instant::now();
        let output = replay.run(&["graph-olap".into(), "delete".into(), id]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(10), "{stderr}");
        assert_eq!(replay.received(), 1, "retried: {stderr}");
        assert!(started.elapsed() < Duration::from_secs(5), "{stderr}");
        assert!(stderr.contains("INTERNAL_ERROR"), "{stderr}");
    }
}

#[test]
fn recorded_field_errors_are_printed_in_text_and_json() {
    let replay = Replay::new();
    let refused: Vec<Capture> = all_captures()
        .into_iter()
        .filter(|c| {
            c.method == "POST"
                && c.path == "/api/snapshots"
                && c.status == 422
                && c.response_body["error"]["details"]["errors"].is_array()
        })
        .collect();
    assert!(!refused.is_empty(), "no recorded 422 with field errors");
    let create: Vec<String> = [
        "graph-olap",
        "create",
        "--name",
        "zero",
        "--mapping-id",
        "5",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for capture in refused {
        let errors = capture.response_body["error"]["details"]["errors"]
            .as_array()
            .expect("errors")
            .clone();
        replay.answer(capture.status, &capture.response_body);
        let output = replay.run(&create);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("  field errors:\n"), "{stderr}");
        for error in &errors {
            let location = error["field"].as_str().expect("a field");
            assert!(
                stderr.contains(&format!("    {location}: ")),
                "{location}: {stderr}"
            );
        }

        let mut json_args = vec!["--output".to_owned(), "json".to_owned()];
        json_args.extend(create.iter().cloned());
        let output = replay.run(&json_args);
        let printed: Value = serde_json::from_slice(&output.stderr).expect("one JSON error");
        let expected: Vec<Value> = errors
            .iter()
            .map(|e| json!({"location": e["field"], "message": e["message"], "type": e["type"]}))
            .collect();
        assert_eq!(printed["error"]["field_errors"], Value::Array(expected));
    }
}

#[test]
fn json_output_is_the_recorded_body_for_every_replayable_capture() {
    let replay = Replay::new();
    let mut checked = 0;
    let mut with_nulls = 0;
    let mut mismatches = Vec::new();
    for file in ["graph-olap-captures.jsonl", "graph-olap-captures-2.jsonl"] {
        for (line, capture) in capture_file(file).iter().enumerate() {
            let Some((args, expected)) = command_for(capture) else {
                continue;
            };
            replay.answer(capture.status, &capture.response_body);
            let mut full = vec!["graph-olap".to_owned()];
            full.extend(args);
            let printed = replay.json(&full);
            if normal(&printed) != normal(&expected) {
                mismatches.push(format!(
                    "{file}:{} {} {}: printed\n{}\nrecorded\n{}",
                    line + 1,
                    capture.method,
                    capture.path,
                    normal(&printed),
                    normal(&expected)
                ));
            }
            checked += 1;
            with_nulls += usize::from(has_null(&expected));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
    assert!(checked >= 15, "only {checked} captures replayed");
    assert!(with_nulls >= 8, "only {with_nulls} answers with nulls");
}

#[test]
fn dsw_and_langstudio_json_keep_nulls_and_unknown_members() {
    let replay = Replay::new();
    let dsw = json!({
        "RequestId": "E7D55162", "SnapshotId": "snp-1", "Status": "Saved",
        "ReasonCode": null, "Labels": [], "FutureMember": {"x": 1.5, "y": null}
    });
    replay.answer(200, &dsw);
    let printed = replay.json(&[
        "dsw".into(),
        "get".into(),
        "--instance".into(),
        "dsw-1".into(),
        "snp-1".into(),
    ]);
    assert_eq!(normal(&printed), normal(&dsw));

    let studio = json!({
        "RequestId": "R1", "TotalCount": 1, "NextToken": null,
        "Snapshots": [{"SnapshotId": "snap-1", "Description": null, "FutureMember": [1, null]}]
    });
    replay.answer(200, &studio);
    let printed = replay.json(&["langstudio".into(), "list".into()]);
    assert_eq!(normal(&printed), normal(&studio["Snapshots"]));
}
