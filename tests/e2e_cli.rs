//! End to end: the `snapctl` binary driven as a user would, against the real emulator over
//! loopback, with the credentials in the environment as a user would set them.
//!
//! The binary is `snapctl-e2e` of this package (`snapctl::main()`, exactly the body of
//! `crates/snapctl/src/main.rs`), so cargo builds it from the current sources and gives its
//! path; set `SNAPCTL_BIN` to run the same tests against another build of `snapctl`. Each
//! test starts its own emulator in this process; every command runs with a cleared
//! environment, so nothing of the machine's own credentials or `HOME` is read.
//!
//! Covered: `snapctl demo`; a create/list/get/update/wait/delete round trip per API (both
//! LangStudio forms) with `--output json` decoded into the generated types; table output;
//! bearer tokens from the environment; exit codes for not found, validation (nothing sent),
//! missing credentials, a rejected signature or token, conflict, usage errors, an
//! unreachable service, and `wait` ending in success, failure and timeout; errors on stderr
//! with code, status and request id.

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::assert::Assert;
use assert_cmd::Command;
use predicates::prelude::*;
use serde::de::DeserializeOwned;
use snapshot_emulator::{start, EmulatorConfig, RunningEmulator};

/// The binary under test.
fn snapctl_bin() -> PathBuf {
    std::env::var_os("SNAPCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_snapctl-e2e")))
}

/// An emulator running on its own runtime for the length of a test.
struct Harness {
    emulator: Option<RunningEmulator>,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    /// An emulator whose snapshots stay in progress for `busy` (Graph OLAP: `pending` for a
    /// quarter of it, then `creating` for `busy`).
    fn start(busy: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = EmulatorConfig::busy_for(busy, Duration::ZERO);
        let emulator = runtime
            .block_on(start(config, "127.0.0.1:0".parse().expect("address")))
            .expect("emulator started");
        Harness {
            emulator: Some(emulator),
            runtime,
        }
    }

    fn emulator(&self) -> &RunningEmulator {
        self.emulator.as_ref().expect("running")
    }

    fn instance(&self) -> String {
        self.emulator().config().dsw_instances[0].clone()
    }

    fn workspace(&self) -> String {
        self.emulator().config().langstudio_workspaces[0].clone()
    }

    /// `snapctl` with an empty environment and the emulator's base URLs, but no credentials.
    fn without_credentials(&self) -> Command {
        let emulator = self.emulator();
        let mut command = Command::new(snapctl_bin());
        command
            .env_clear()
            // Tests talk to loopback only: no instance metadata service at 100.100.100.200.
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .env("SNAPCTL_DSW_URL", emulator.dsw_url())
            .env("SNAPCTL_LANGSTUDIO_URL", emulator.langstudio_url())
            .env(
                "SNAPCTL_LANGSTUDIO_GATEWAY_URL",
                emulator.langstudio_gateway_url(),
            )
            .env("SNAPCTL_GRAPH_OLAP_URL", emulator.graph_olap_url())
            .timeout(Duration::from_secs(30));
        command
    }

    /// `snapctl` as a user of the emulator runs it: the demo credentials in the standard
    /// variables, the URLs and the Graph OLAP user in snapctl's.
    fn snapctl(&self) -> Command {
        let creds = &self.emulator().config().credentials;
        let mut command = self.without_credentials();
        command
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &creds.access_key_id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &creds.access_key_secret)
            .env("DASHSCOPE_API_KEY", &creds.dashscope_api_key)
            .env("SNAPCTL_GRAPH_OLAP_USER", "demo");
        command
    }

    /// Runs `snapctl -o json <args>`, expects success, and decodes stdout as one document.
    fn json<T: DeserializeOwned>(&self, args: &[&str]) -> T {
        let assert = self
            .snapctl()
            .args(["--output", "json"])
            .args(args)
            .assert()
            .success();
        decode(&assert)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

fn decode<T: DeserializeOwned>(assert: &Assert) -> T {
    let stdout = &assert.get_output().stdout;
    serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document of the expected type ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    })
}

fn stderr_of(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

const FAST: Duration = Duration::from_millis(300);
const POLL: &[&str] = &["--interval", "50ms", "--timeout", "30s"];

#[test]
fn demo_walks_every_api_and_exits_0() {
    // Exactly the README's quickstart command, with an environment that has no credentials.
    let assert = Command::new(snapctl_bin())
        .env_clear()
        .arg("demo")
        .timeout(Duration::from_secs(30))
        .assert()
        .success()
        .stderr("");
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for expected in [
        "PAI-DSW instance snapshots",
        "PAI LangStudio snapshots, roa profile",
        "PAI LangStudio snapshots, gateway profile",
        "Graph OLAP control plane",
        "Demo finished",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in\n{stdout}");
    }
}

#[test]
fn help_documents_the_commands_and_exit_codes() {
    let assert = Command::new(snapctl_bin()).arg("--help").assert().success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for expected in [
        "Usage: snapctl [OPTIONS] <COMMAND>",
        "dsw",
        "langstudio",
        "graph-olap",
        "demo",
        "emulator",
        "Exit codes:",
        " 5  not found (HTTP 404)",
        " 8  wait: the snapshot ended in a failed status",
    ] {
        assert!(help.contains(expected), "{expected:?} not in\n{help}");
    }
}

#[test]
fn dsw_round_trip_in_json() {
    use pai_dsw::types::{
        CreateInstanceSnapshotResponse, DeleteInstanceSnapshotResponse,
        GetInstanceSnapshotResponse, InstanceSnapshot,
    };
    let harness = Harness::start(FAST);
    let instance = harness.instance();

    let created: CreateInstanceSnapshotResponse = harness.json(&[
        "dsw",
        "create",
        "--instance",
        &instance,
        "--name",
        "cli-env-v1",
        "--image-url",
        "registry.example/team/env:cli-v1",
        "--label",
        "team=ml",
        "--description",
        "from the CLI test",
    ]);
    let id = created.snapshot_id.expect("an id");

    let listed: Vec<InstanceSnapshot> = harness.json(&["dsw", "list", "--instance", &instance]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].snapshot_id.as_deref(), Some(id.as_str()));

    let got: GetInstanceSnapshotResponse =
        harness.json(&["dsw", "get", "--instance", &instance, &id]);
    assert_eq!(got.snapshot_name.as_deref(), Some("cli-env-v1"));
    assert_eq!(got.labels.len(), 1);
    assert_eq!(got.labels[0].key.as_deref(), Some("team"));
    assert_eq!(got.labels[0].value.as_deref(), Some("ml"));

    let mut args = vec!["dsw", "wait", "--instance", &instance, &id];
    args.extend_from_slice(POLL);
    let done: GetInstanceSnapshotResponse = harness.json(&args);
    assert_eq!(done.status.as_deref(), Some("Saved"));

    let deleted: DeleteInstanceSnapshotResponse =
        harness.json(&["dsw", "delete", "--instance", &instance, &id]);
    assert!(deleted.request_id.is_some());

    // Not found: exit 5, the service's code, status and request id on stderr.
    let assert = harness
        .snapctl()
        .args(["dsw", "get", "--instance", &instance, &id])
        .assert()
        .code(5)
        .stdout("");
    let stderr = stderr_of(&assert);
    for expected in [
        "http status: 404",
        "code:        InstanceSnapshotNotFound",
        "request id:  ",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in\n{stderr}");
    }
    assert!(!stderr.contains("request id:  -"), "{stderr}");
}

#[test]
fn dsw_table_output_streams_aligned_rows() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    for name in ["table-a", "table-b", "table-c"] {
        harness
            .snapctl()
            .args(["dsw", "create", "--instance", &instance, "--name", name])
            .args(["--image-url", &format!("registry.example/t/env:{name}")])
            .assert()
            .success()
            .stdout(predicate::str::contains("SnapshotId"));
    }
    // Two per page: the listing walks every page.
    let assert = harness
        .snapctl()
        .args(["dsw", "list", "--instance", &instance, "--page-size", "2"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("SNAPSHOT ID        NAME "), "{stdout}");
    let status_column = lines[0].find("STATUS").expect("a STATUS column");
    for row in &lines[1..] {
        assert!(row.starts_with("snp-"), "{row}");
        assert_eq!(
            row.find("Pushing").or(row.find("Saved")),
            Some(status_column),
            "{row}"
        );
    }
}

#[test]
fn langstudio_round_trip_in_both_forms() {
    use pai_langstudio::types::{
        CreateSnapshotResponse, DeleteSnapshotResponse, GetSnapshotResponse, Snapshot,
        UpdateSnapshotResponse,
    };
    let harness = Harness::start(FAST);
    let workspace = harness.workspace();
    for (form, name) in [
        (None, "cli_flow_roa"),
        (Some("--gateway"), "cli_flow_gateway"),
    ] {
        let with_form = |args: &[&str]| -> Vec<String> {
            let mut all = vec!["langstudio".to_owned()];
            all.extend(form.map(str::to_owned));
            all.extend(args.iter().map(|a| (*a).to_owned()));
            all
        };
        let run = |args: &[&str]| with_form(args);

        let created: CreateSnapshotResponse = harness.json(&refs(&run(&[
            "create",
            "--name",
            name,
            "--workspace",
            &workspace,
            "--resource-id",
            "flow-cli-1",
            "--resource-type",
            "Flow",
        ])));
        let id = created.snapshot_id.expect("an id");

        let listed: Vec<Snapshot> = harness.json(&refs(&run(&[
            "list",
            "--workspace",
            &workspace,
            "--page-size",
            "1",
        ])));
        assert!(
            listed.iter().any(|s| s.snapshot_id.as_deref() == Some(&id)),
            "{form:?}: {listed:?}"
        );

        let got: GetSnapshotResponse = harness.json(&refs(&run(&["get", &id])));
        assert_eq!(got.snapshot_name.as_deref(), Some(name), "{form:?}");

        let updated: UpdateSnapshotResponse = harness.json(&refs(&run(&[
            "update",
            &id,
            "--description",
            "updated by the CLI",
        ])));
        assert!(updated.request_id.is_some(), "{form:?}");

        let mut wait = vec!["wait", id.as_str()];
        wait.extend_from_slice(POLL);
        let done: GetSnapshotResponse = harness.json(&refs(&run(&wait)));
        assert_eq!(done.snapshot_status.as_deref(), Some("Success"), "{form:?}");
        assert_eq!(done.description.as_deref(), Some("updated by the CLI"));

        let deleted: DeleteSnapshotResponse = harness.json(&refs(&run(&["delete", &id])));
        assert!(deleted.request_id.is_some(), "{form:?}");

        harness
            .snapctl()
            .args(run(&["get", &id]))
            .assert()
            .code(5)
            .stderr(predicate::str::contains("SnapshotNotFound"));
    }
}

#[test]
fn graph_olap_round_trip_in_json() {
    use graph_olap::types::{
        DeleteSnapshotResult, ResourceId, Snapshot, SnapshotLifecycle, SnapshotProgress,
        SnapshotStatus, SnapshotStatusValue,
    };
    let harness = Harness::start(FAST);

    let created: Snapshot = harness.json(&[
        "graph-olap",
        "create",
        "--name",
        "cli-customers",
        "--mapping-id",
        "1",
        "--description",
        "from the CLI test",
    ]);
    let id = match &created.id {
        ResourceId::Int64(n) => n.to_string(),
        ResourceId::String(s) => s.clone(),
    };

    let listed: Vec<Snapshot> = harness.json(&["graph-olap", "list", "--page-size", "1"]);
    assert!(listed.iter().any(|s| s.id == created.id), "{listed:?}");

    let got: Snapshot = harness.json(&["graph-olap", "get", &id]);
    assert_eq!(got.name.as_deref(), Some("cli-customers"));

    let updated: Snapshot =
        harness.json(&["graph-olap", "update", &id, "--name", "cli-customers-2"]);
    assert_eq!(updated.name.as_deref(), Some("cli-customers-2"));

    let mut args = vec!["graph-olap", "wait", id.as_str()];
    args.extend_from_slice(POLL);
    let ready: Snapshot = harness.json(&args);
    assert_eq!(
        ready.status,
        Some(SnapshotStatusValue::SnapshotStatus(SnapshotStatus::Ready))
    );

    let progress: SnapshotProgress = harness.json(&["graph-olap", "progress", &id]);
    let progress = snapshots::wait::Progress::from(progress);
    assert!(
        progress.total > 0 && progress.done == progress.total,
        "{progress:?}"
    );

    let lifecycle: SnapshotLifecycle =
        harness.json(&["graph-olap", "lifecycle", &id, "--ttl", "P7D"]);
    assert_eq!(lifecycle.ttl.as_deref(), Some("P7D"));

    // Retrying a snapshot that has not failed conflicts with its state: exit 10.
    harness
        .snapctl()
        .args(["graph-olap", "retry", &id])
        .assert()
        .code(10)
        .stderr(predicate::str::contains("INVALID_STATE"));

    let deleted: DeleteSnapshotResult = harness.json(&["graph-olap", "delete", &id]);
    assert!(deleted.deleted);

    harness
        .snapctl()
        .args(["graph-olap", "get", &id])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("RESOURCE_NOT_FOUND"));
}

#[test]
fn graph_olap_instance_from_a_mapping_with_wait_and_the_mapping_and_user_commands() {
    use graph_olap::types::{Instance, InstanceStatusValue, Mapping, MappingSummary, User};
    let harness = Harness::start(FAST);

    let mappings: Vec<MappingSummary> = harness.json(&["graph-olap", "mapping", "list"]);
    let mapping = mappings.first().expect("the demo mapping").id.to_string();
    let got: Mapping = harness.json(&["graph-olap", "mapping", "get", &mapping]);
    assert_eq!(got.id.to_string(), mapping);

    // The migration path: an instance from the mapping, waited for until it runs.
    let mut args = vec![
        "graph-olap",
        "instance",
        "create",
        "--mapping-id",
        mapping.as_str(),
        "--name",
        "cli-analysis",
        "--wrapper-type",
        "ryugraph",
        "--wait",
    ];
    args.extend_from_slice(POLL);
    let running: Instance = harness.json(&args);
    assert_eq!(
        running.status,
        InstanceStatusValue::InstanceStatus(graph_olap::types::InstanceStatus::Running)
    );
    let id = running.id.to_string();

    let listed: Vec<Instance> = harness.json(&["graph-olap", "instance", "list"]);
    assert!(listed.iter().any(|i| i.id == running.id), "{listed:?}");
    let again: Instance = harness.json(&["graph-olap", "instance", "wait", &id]);
    assert_eq!(again.id, running.id);
    let table = harness
        .snapctl()
        .args(["graph-olap", "instance", "list"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    assert!(text.starts_with("ID      NAME"), "{text}");
    assert!(text.contains("cli-analysis"), "{text}");

    let me: User = harness.json(&["graph-olap", "user", "get", "demo"]);
    assert_eq!(me.username, "demo");
    // Listing users needs the admin or ops role: the analyst is refused (exit 11).
    harness
        .snapctl()
        .args(["graph-olap", "user", "list"])
        .assert()
        .code(11);
    let users: Vec<User> =
        harness.json(&["--graph-olap-user", "system", "graph-olap", "user", "list"]);
    assert!(users.iter().any(|u| u.username == "demo"), "{users:?}");

    let deleted: serde_json::Value = harness.json(&["graph-olap", "instance", "delete", &id]);
    assert_eq!(deleted, serde_json::json!({"deleted": true}));
    harness
        .snapctl()
        .args(["graph-olap", "instance", "get", &id])
        .assert()
        .code(5);
}

#[test]
fn invalid_values_exit_3_and_nothing_is_sent() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    // Point the APIs at a closed port too: had anything been sent, the exit code would be 7.
    let closed = "http://127.0.0.1:9";
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "dsw",
                "create",
                "--instance",
                &instance,
                "--name",
                "Bad_Name",
                "--image-url",
                "r/x:1",
            ],
            "lowercase letters, digits and hyphens",
        ),
        (
            &[
                "dsw",
                "create",
                "--instance",
                &instance,
                "--name",
                "ok",
                "--image-url",
                "r/x:1",
                "--label",
                "novalue",
            ],
            "KEY=VALUE",
        ),
        (
            &["dsw", "list", "--instance", &instance, "--page-size", "0"],
            "at least 1",
        ),
        (
            &["langstudio", "create", "--name", "1flow"],
            "starting with a letter",
        ),
        (
            &["graph-olap", "list", "--page-size", "101"],
            "between 1 and 100",
        ),
        (
            &[
                "graph-olap",
                "create",
                "--name",
                "x",
                "--mapping-id",
                "1",
                "--ttl",
                "7 days",
            ],
            "P7D",
        ),
        (&["graph-olap", "get", ""], "non-empty identifier"),
    ];
    for (args, rule) in cases {
        for url in [None, Some(closed)] {
            let mut command = harness.snapctl();
            if let Some(url) = url {
                command
                    .env("SNAPCTL_DSW_URL", url)
                    .env("SNAPCTL_LANGSTUDIO_URL", url)
                    .env("SNAPCTL_GRAPH_OLAP_URL", url);
            }
            let assert = command.args(*args).assert().code(3).stdout("");
            let stderr = stderr_of(&assert);
            assert!(stderr.contains(rule), "{args:?}: {rule:?} not in\n{stderr}");
            assert!(stderr.contains("nothing was sent"), "{args:?}\n{stderr}");
        }
    }
    // And the emulator saw no snapshot.
    let listed: Vec<pai_dsw::types::InstanceSnapshot> =
        harness.json(&["dsw", "list", "--instance", &instance]);
    assert!(listed.is_empty(), "{listed:?}");

    // With --output json the error is one JSON object on stderr.
    let assert = harness
        .snapctl()
        .args(["-o", "json", "graph-olap", "list", "--page-size", "101"])
        .assert()
        .code(3);
    let error: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stderr).expect("one JSON document");
    assert_eq!(error["error"]["exit_code"], 3);
    assert_eq!(error["error"]["field"], "limit");
}

#[test]
fn missing_credentials_exit_4_and_say_where_they_were_looked_for() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    let assert = harness
        .without_credentials()
        .args(["dsw", "list", "--instance", &instance])
        .assert()
        .code(4)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), "{stderr}");
    assert!(stderr.contains("snapctl demo"), "{stderr}");

    harness
        .without_credentials()
        .args(["langstudio", "--gateway", "get", "snap-x"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("DASHSCOPE_API_KEY"));

    harness
        .without_credentials()
        .args(["graph-olap", "list"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("X-Username"));
}

#[test]
fn auth_shows_which_provider_signs_and_never_the_secret() {
    let harness = Harness::start(FAST);
    let creds = &harness.emulator().config().credentials;
    let shown: serde_json::Value = harness.json(&["auth"]);
    assert_eq!(shown["provider"], "env");
    assert_eq!(shown["access_key_id"], creds.access_key_id.as_str());
    assert_eq!(shown["temporary"], false);
    let table = harness.snapctl().arg("auth").assert().success();
    let text = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    assert!(
        text.contains("env") && !text.contains(&creds.access_key_secret),
        "{text}"
    );

    // No source at all: exit 4, every source named.
    let assert = harness.without_credentials().arg("auth").assert().code(4);
    let stderr = stderr_of(&assert);
    for source in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "config.json",
        "credentials.ini",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
    ] {
        assert!(stderr.contains(source), "{source}: {stderr}");
    }
}

#[test]
fn bearer_tokens_from_the_environment_authenticate() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    let creds = harness.emulator().config().credentials.clone();
    // No access key: the Alibaba bearer token of snapctl's variable is sent instead.
    let listed: Vec<pai_dsw::types::InstanceSnapshot> = decode(
        &harness
            .without_credentials()
            .env("SNAPCTL_ALIBABA_BEARER_TOKEN", &creds.alibaba_bearer_token)
            .args(["-o", "json", "dsw", "list", "--instance", &instance])
            .assert()
            .success(),
    );
    assert!(listed.is_empty());
    // A Graph OLAP bearer token instead of X-Username (the emulator maps it to `demo`).
    let listed: Vec<graph_olap::types::Snapshot> = decode(
        &harness
            .without_credentials()
            .env("SNAPCTL_GRAPH_OLAP_TOKEN", "demo-token")
            .args(["-o", "json", "graph-olap", "list"])
            .assert()
            .success(),
    );
    assert!(listed.is_empty());
    harness
        .without_credentials()
        .env("SNAPCTL_GRAPH_OLAP_TOKEN", "not-a-token")
        .args(["graph-olap", "list"])
        .assert()
        .code(11);
}

#[test]
fn a_wrong_secret_is_refused_by_the_service_with_exit_11() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    let assert = harness
        .snapctl()
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
        .args(["dsw", "list", "--instance", &instance])
        .assert()
        .code(11)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
    assert!(stderr.contains("http status: 400"), "{stderr}");
}

#[test]
fn wait_ends_in_failure_with_exit_8() {
    let harness = Harness::start(FAST);
    let instance = harness.instance();
    // The emulator fails DSW and LangStudio snapshots whose name contains `fail`, and
    // Graph OLAP exports of snapshots whose name starts with it.
    let mut dsw = vec![
        "dsw",
        "create",
        "--instance",
        &instance,
        "--name",
        "will-fail-1",
        "--image-url",
        "registry.example/t/env:will-fail-1",
        "--wait",
    ];
    dsw.extend_from_slice(POLL);
    let mut studio = vec![
        "langstudio",
        "create",
        "--name",
        "flow_fail",
        "--resource-id",
        "flow-1",
        "--wait",
    ];
    studio.extend_from_slice(POLL);
    let mut olap = vec![
        "graph-olap",
        "create",
        "--name",
        "failing",
        "--mapping-id",
        "1",
        "--wait",
    ];
    olap.extend_from_slice(POLL);
    for (args, expected) in [
        (dsw, "PushImageFailed"),
        (studio, "ended in status `Failed`"),
        (olap, "ended in status `failed`"),
    ] {
        let assert = harness.snapctl().args(&args).assert().code(8).stdout("");
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains(expected),
            "{args:?}: {expected:?} not in\n{stderr}"
        );
    }
}

#[test]
fn wait_gives_up_with_exit_9() {
    let harness = Harness::start(Duration::from_secs(3600));
    let instance = harness.instance();
    let created: pai_dsw::types::CreateInstanceSnapshotResponse = harness.json(&[
        "dsw",
        "create",
        "--instance",
        &instance,
        "--name",
        "slow",
        "--image-url",
        "registry.example/t/env:slow",
    ]);
    let id = created.snapshot_id.expect("an id");
    harness
        .snapctl()
        .args(["dsw", "wait", "--instance", &instance, &id])
        .args(["--interval", "50ms", "--timeout", "200ms"])
        .assert()
        .code(9)
        .stderr(predicate::str::contains("last status `Pushing`"));
}

#[test]
fn usage_errors_exit_2_and_an_unreachable_service_exits_7() {
    let harness = Harness::start(FAST);
    for args in [
        &["dsw", "update"][..],
        &["dsw", "list"][..],
        &["graph-olap", "list", "--page-size", "ten"][..],
        &["langstudio", "update", "snap-1"][..],
        &["-o", "yaml", "dsw", "list", "--instance", "x"][..],
    ] {
        harness
            .snapctl()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("error: "));
    }
    harness
        .snapctl()
        .env("SNAPCTL_GRAPH_OLAP_URL", "http://127.0.0.1:9")
        .args(["--no-retry", "graph-olap", "get", "1"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("transport error"));
}

/// `&[String]` as `&[&str]`.
fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
