//! The official Alibaba Cloud Python SDKs, unchanged, against the emulator: all 9 snapshot
//! operations of DSW (`alibabacloud-pai-dsw20220101` 2.4.0) and LangStudio
//! (`alibabacloud-pailangstudio20240710` 1.2.2), with V3 signatures (AccessKey), with STS
//! credentials (issued by the emulator's STS through `alibabacloud-credentials`) and with a
//! bearer token; each response decodes in the SDK's own models (`official_sdks.py`).
//!
//! The SDKs sign the real path (`/api/v2/instances/...`): this is the test that fails when
//! the emulator answers only under a prefix (`SignatureDoesNotMatch` or `404`).
//!
//! Needs a Python with the SDKs: `cargo xtask ci` installs them (pinned, see
//! `xtask/src/python.rs`) and sets `SNAPSHOT_EMULATOR_PYTHON`; by hand:
//! `python3 -m venv /tmp/sdkvenv && /tmp/sdkvenv/bin/pip install alibabacloud-pai-dsw20220101==2.4.0
//! alibabacloud-pailangstudio20240710==1.2.2 alibabacloud-tea-openapi==0.4.6
//! alibabacloud-credentials==1.0.12`, then
//! `SNAPSHOT_EMULATOR_PYTHON=/tmp/sdkvenv/bin/python cargo test -p snapshot-emulator --test official_sdks`.
//! Without it the test says so and passes, unless `SNAPSHOT_EMULATOR_PYTHON_REQUIRED` is set
//! (as `cargo xtask ci` does), when it fails.

mod emulator_support;

use emulator_support::*;
use snapshot_emulator::Timing;
use std::time::Duration;

/// The operations each round must pass, in order.
const OPERATIONS: [&str; 9] = [
    "CreateInstanceSnapshot",
    "ListInstanceSnapshot",
    "GetInstanceSnapshot",
    "DeleteInstanceSnapshot",
    "CreateSnapshot",
    "ListSnapshots",
    "GetSnapshot",
    "UpdateSnapshot",
    "DeleteSnapshot",
];

/// Runs the script to its end (at most two minutes) without blocking the emulator's runtime.
async fn run_script(python: std::ffi::OsString, args: &[String]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/official_sdks.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("waitable").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the script did not end within two minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.wait_with_output().expect("output")
}

#[tokio::test]
async fn the_official_python_sdks_pass_every_operation() {
    let Some(python) = std::env::var_os("SNAPSHOT_EMULATOR_PYTHON") else {
        assert!(
            std::env::var_os("SNAPSHOT_EMULATOR_PYTHON_REQUIRED").is_none(),
            "SNAPSHOT_EMULATOR_PYTHON_REQUIRED is set but SNAPSHOT_EMULATOR_PYTHON is not"
        );
        eprintln!("SNAPSHOT_EMULATOR_PYTHON is not set: skipping the official-SDK test");
        return;
    };
    let emulator = emulator(Timing::instant()).await;
    let config = emulator.config();
    let args = [
        emulator.endpoint(),
        config.credentials.access_key_id.clone(),
        config.credentials.access_key_secret.clone(),
        config.credentials.alibaba_bearer_token.clone(),
        config.credential_services.assumable_roles[0].clone(),
        INSTANCE.to_owned(),
        WORKSPACE.to_owned(),
    ];
    let output = run_script(python, &args).await;
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    for auth in ["v3", "sts", "bearer"] {
        let passed: Vec<&str> = lines
            .iter()
            .filter(|l| l["auth"] == auth && l["ok"] == true)
            .map(|l| l["operation"].as_str().expect("operation"))
            .collect();
        assert_eq!(passed, OPERATIONS, "{auth}: {report}");
    }
    // The STS round got its key from the emulator's STS, through the official library.
    assert_eq!(emulator.credential_requests().assume_role, 1);
}
