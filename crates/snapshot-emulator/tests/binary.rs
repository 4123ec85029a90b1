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
    let mut child = Command::new(env!("CARGO_BIN_EXE_snapshot-emulator"))
        .args(["--addr", "127.0.0.1:0", "--print-env", "--dsw-push-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let mut env = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once('=').expect("NAME=value");
        env.insert(name.to_owned(), value.to_owned());
    }
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

    let health = reqwest::get(format!("{base}/_emulator/health"))
        .await
        .expect("it listens");
    assert_eq!(health.status(), 200);

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
    let dsw =
        pai_dsw::Client::new_with_client(&format!("{base}/dsw"), reqwest::Client::new(), runtime);
    let listed = dsw
        .list_instance_snapshot()
        .instance_id("dsw-demo0000000001")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_count, Some(0));
}

/// Starts the binary with `args` (plus a free port); the Graph OLAP URL it prints.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snapshot-emulator"))
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let rest = line.trim_start().strip_prefix("Graph OLAP ")?;
            Some(rest.trim().to_owned())
        })
        .expect("the Graph OLAP URL");
    (running, url)
}

#[tokio::test]
async fn seed_filters_is_a_flag() {
    let status = |url: String| async move {
        reqwest::Client::new()
            .get(format!("{url}/api/snapshots?created_after=not-a-date"))
            .header("X-Username", "demo")
            .send()
            .await
            .expect("an answer")
            .status()
            .as_u16()
    };
    // As the real server: the parameter does not exist, so any value passes.
    let (_real, url) = start(&[]);
    assert_eq!(status(url).await, 200);
    // The seed's filter: a date-time, else 422.
    let (_seed, url) = start(&["--seed-filters"]);
    assert_eq!(status(url).await, 422);
}
