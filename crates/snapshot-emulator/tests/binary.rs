//! The `snapshot-emulator` binary: it listens where it says, prints the client environment
//! first with `--print-env`, and the credentials it prints open its APIs; `--seed-filters`
//! switches the Graph OLAP list to the seed's filters.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the emulator process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prints_its_environment_and_serves_with_it() {
    let (env, _running) = spawn(&["--dsw-push-ms", "0"]);
    let defaults = snapshot_emulator::DemoCredentials::default();
    assert_eq!(env["ALIBABA_CLOUD_ACCESS_KEY_ID"], defaults.access_key_id);
    assert_eq!(
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        defaults.access_key_secret
    );
    assert_eq!(
        env["ALIBABA_CLOUD_BEARER_TOKEN"],
        defaults.alibaba_bearer_token
    );
    assert_eq!(env["DASHSCOPE_API_KEY"], defaults.dashscope_api_key);
    assert!(!env["GRAPH_OLAP_USERNAME"].is_empty());
    let base = &env["SNAPSHOT_EMULATOR_URL"];
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    for health in ["/_emulator/health", "/healthz"] {
        let health = snapshots_runtime::http_client_builder()
            .build()
            .unwrap()
            .get(format!("{base}{health}"))
            .send()
            .await
            .expect("it listens");
        assert_eq!(health.status(), 200);
    }
    let endpoint = &env["PAI_DSW_ENDPOINT"];
    assert_eq!(base, &format!("http://{endpoint}"));
    assert_eq!(&env["PAILANGSTUDIO_ENDPOINT"], endpoint);
    assert_eq!(
        env["PAILANGSTUDIO_GATEWAY_URL"],
        format!("{base}/api/PAILangStudio/2024-07-10")
    );
    assert_eq!(&env["GRAPH_OLAP_URL"], base);

    // The printed key signs DSW calls the emulator accepts.
    let runtime = snapshots_runtime::Runtime::builder()
        .credentials(
            snapshots_runtime::auth::AccessKey::new(
                env["ALIBABA_CLOUD_ACCESS_KEY_ID"].clone(),
                env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"].clone(),
            )
            .into(),
        )
        .rate_limit(snapshots_runtime::RateLimiter::unlimited())
        .build();
    let dsw = pai_dsw::Client::new_with_client(
        base,
        snapshots_runtime::http_client_builder().build().unwrap(),
        runtime,
    );
    let listed = dsw
        .list_instance_snapshot()
        .instance_id("dsw-demo0000000001")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_count, Some(0));
}

/// Starts the binary with `args` (and `--addr 127.0.0.1:0 --print-env`); its environment
/// block, and the running process.
fn spawn(args: &[&str]) -> (std::collections::HashMap<String, String>, Running) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snapshot-emulator"))
        .args(["--addr", "127.0.0.1:0", "--print-env"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut env = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once('=').expect("NAME=value");
        env.insert(name.to_owned(), value.to_owned());
    }
    (env, running)
}

/// Stops the binary as a service manager would (SIGTERM) and waits for it (at most 10 s).
fn terminate(mut running: Running) -> std::process::ExitStatus {
    let pid = running.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = running.0.try_wait().expect("waitable") {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "it did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A plain HTTP GET with the Alibaba bearer token, as the README's curl examples send it.
async fn bearer_get(
    env: &std::collections::HashMap<String, String>,
    path: &str,
) -> serde_json::Value {
    let response = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .get(format!("{}{path}", env["SNAPSHOT_EMULATOR_URL"]))
        .header("x-acs-bearer-token", &env["ALIBABA_CLOUD_BEARER_TOKEN"])
        .header("x-acs-signature-type", "BEARERTOKEN")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

/// A Graph OLAP request as `demo`; a 2xx answer's JSON (`null` without a body).
async fn olap(
    env: &std::collections::HashMap<String, String>,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = snapshots_runtime::http_client_builder()
        .build()
        .unwrap()
        .request(method, format!("{}{path}", env["GRAPH_OLAP_URL"]))
        .header("X-Username", "demo");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let text = response.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn a_seed_file_is_served_and_the_state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("emulator-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let seed = dir.join("seed.yaml");
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    std::fs::write(
        &seed,
        "dsw_instances: [dsw-team0000000001]\n\
         dsw_snapshots:\n  - instance_id: dsw-team0000000001\n    snapshot_id: snp-seeded00000001\n    \
         request: {SnapshotName: baseline, ImageUrl: registry.example/ns/env:v0}\n\
         langstudio_snapshots:\n  - request: {SnapshotName: flow_v0, SnapshotResourceId: flow-1}\n\
         graph_olap_mappings:\n  - id: 7\n    owner: demo\n    request:\n      name: orders\n      \
         node_definitions: [{label: Customer, sql: SELECT id FROM customers, \
         primary_key: {name: id, type: STRING}, properties: []}]\n\
         graph_olap_snapshots:\n  - {id: 42, mapping_id: 7, owner: demo, name: orders-v0}\n",
    )
    .expect("seed file");
    let args = [
        "--seed",
        seed.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    let (env, running) = spawn(&args);
    let one = "/api/v2/instances/dsw-team0000000001/snapshots/snp-seeded00000001";
    let got = bearer_get(&env, one).await;
    assert_eq!(
        (got["SnapshotName"].as_str(), got["Status"].as_str()),
        (Some("baseline"), Some("Saved"))
    );
    let listed = bearer_get(&env, "/api/v1/langstudio/snapshots").await;
    let ls_id = listed["Snapshots"][0]["SnapshotId"]
        .as_str()
        .expect("an id")
        .to_owned();
    let seeded = olap(&env, "GET", "/api/snapshots/42", None).await;
    assert_eq!(
        (
            seeded["data"]["status"].as_str(),
            seeded["data"]["mapping_id"].as_i64()
        ),
        (Some("ready"), Some(7))
    );
    // A snapshot made and deleted: its id is not handed out again after the restart.
    let body = serde_json::json!({"mapping_id": 7, "name": "second"});
    let made = olap(&env, "POST", "/api/snapshots", Some(body.clone())).await;
    assert_eq!(made["data"]["id"], 43);
    olap(&env, "DELETE", "/api/snapshots/43", None).await;
    assert!(terminate(running).success());
    let written = std::fs::read_to_string(&state).expect("the state is written");
    assert!(written.contains("snp-seeded00000001"), "{written}");

    // Restarted with the state only (the seed file is gone): the same snapshots, same ids.
    std::fs::remove_file(&seed).expect("removed");
    let (env, running) = spawn(&["--state", state.to_str().unwrap()]);
    assert_eq!(bearer_get(&env, one).await["SnapshotName"], "baseline");
    let again = bearer_get(&env, &format!("/api/v1/langstudio/snapshots/{ls_id}")).await;
    assert_eq!(again["SnapshotName"], "flow_v0");
    let mapping = olap(&env, "GET", "/api/mappings/7", None).await;
    assert_eq!(mapping["data"]["node_definitions"][0]["label"], "Customer");
    let seeded = olap(&env, "GET", "/api/snapshots/42", None).await;
    assert_eq!(
        (
            seeded["data"]["name"].as_str(),
            seeded["data"]["owner_username"].as_str()
        ),
        (Some("orders-v0"), Some("demo"))
    );
    let made = olap(&env, "POST", "/api/snapshots", Some(body)).await;
    assert_eq!(made["data"]["id"], 44);
    assert!(terminate(running).success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_names_every_option_and_a_bad_seed_is_refused() {
    let help = Command::new(env!("CARGO_BIN_EXE_snapshot-emulator"))
        .arg("--help")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    for option in ["--addr", "--seed", "--state", "--print-env"] {
        assert!(text.contains(option), "{option} not in\n{text}");
    }
    let bad = std::env::temp_dir().join(format!("emulator-bad-seed-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"dsw_instance": ["typo"]}"#).expect("written");
    let refused = Command::new(env!("CARGO_BIN_EXE_snapshot-emulator"))
        .args(["--addr", "127.0.0.1:0", "--seed", bad.to_str().unwrap()])
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&bad);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("dsw_instance"));
}

#[tokio::test]
async fn seed_filters_is_a_flag() {
    let status = |url: String| async move {
        snapshots_runtime::http_client_builder()
            .build()
            .unwrap()
            .get(format!("{url}/api/snapshots?created_after=not-a-date"))
            .header("X-Username", "demo")
            .send()
            .await
            .expect("an answer")
            .status()
            .as_u16()
    };
    // As the real server: the parameter does not exist, so any value passes.
    let (env, _real) = spawn(&[]);
    assert_eq!(status(env["GRAPH_OLAP_URL"].clone()).await, 200);
    // The seed's filter: a date-time, else 422.
    let (env, _seed) = spawn(&["--seed-filters"]);
    assert_eq!(status(env["GRAPH_OLAP_URL"].clone()).await, 422);
}
