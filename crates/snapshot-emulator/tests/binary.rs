//! The `snapshot-emulator` binary: it listens where it says, prints the client environment
//! first with `--print-env`, and the credentials it prints open its APIs.

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

    for health in ["/_emulator/health", "/healthz"] {
        let health = reqwest::get(format!("{base}{health}"))
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
    let dsw = pai_dsw::Client::new_with_client(base, reqwest::Client::new(), runtime);
    let listed = dsw
        .list_instance_snapshot()
        .instance_id("dsw-demo0000000001")
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.total_count, Some(0));
}
