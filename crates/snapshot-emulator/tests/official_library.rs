//! The official Python library, `alibabacloud-credentials` 1.0.12, gets credentials from the
//! emulator through each provider it serves (RAM role ARN, chained, OIDC, credentials URI,
//! ECS RAM role), and the keys it gets open DSW.
//!
//! Needs a Python with the library: set `SNAPSHOT_EMULATOR_PYTHON` to it, e.g.
//! `python3.11 -m venv /tmp/credvenv && /tmp/credvenv/bin/pip install
//! alibabacloud-credentials==1.0.12`, then
//! `SNAPSHOT_EMULATOR_PYTHON=/tmp/credvenv/bin/python cargo test -p snapshot-emulator --test official_library`.
//! Without it the test says so and passes.

mod emulator_support;

use emulator_support::*;
use snapshot_emulator::credentials::DEMO_OIDC_TOKEN;
use snapshot_emulator::{CredentialRequests, Timing};
use snapshots_runtime::auth::AccessKey;
use snapshots_runtime::Credentials;
use std::time::Duration;

#[tokio::test]
async fn the_official_python_library_gets_working_credentials() {
    let Some(python) = std::env::var_os("SNAPSHOT_EMULATOR_PYTHON") else {
        eprintln!("SNAPSHOT_EMULATOR_PYTHON is not set: skipping the official-library test");
        return;
    };
    let emulator = emulator(Timing::instant()).await;
    let dir = std::env::temp_dir().join(format!("emulator-oidc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{DEMO_OIDC_TOKEN}\n")).expect("token file");
    let creds = &emulator.config().credentials;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/official_library.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .arg(emulator.base_url())
        .arg(&token_file)
        .arg(&creds.access_key_id)
        .arg(&creds.access_key_secret)
        .arg(&emulator.config().account_id)
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    // The emulator serves on this runtime: wait without blocking it, at most a minute.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waitable").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the script did not end within a minute");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let output = child.wait_with_output().expect("output");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let providers: Vec<&str> = lines
        .iter()
        .map(|l| l["provider"].as_str().expect("provider"))
        .collect();
    assert_eq!(providers, ["ram_role_arn", "chained", "oidc", "uri", "ecs"]);
    for line in &lines {
        let key = AccessKey::new(
            line["id"].as_str().expect("id").to_owned(),
            line["secret"].as_str().expect("secret").to_owned(),
        )
        .with_security_token(line["token"].as_str().expect("token").to_owned());
        let listed = dsw_with(&emulator, runtime(Credentials::AccessKey(key)))
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .send()
            .await;
        assert!(listed.is_ok(), "{line}: {listed:?}");
    }
    // One AssumeRole per RAM-role provider (the chained one reuses the first's cached key);
    // the ECS provider: token + role name, token + credentials.
    assert_eq!(
        emulator.credential_requests(),
        CredentialRequests {
            assume_role: 2,
            assume_role_with_oidc: 1,
            imds_token: 2,
            imds_role_name: 1,
            imds_credentials: 1,
            uri: 1,
            issued: 5,
        }
    );
}
