//! The backup service against the emulator, in process: seeded with the team's instance and
//! a snapshot that already exists, the client pointed at it with `origin`, faults injected
//! from Rust. This is the pattern a downstream crate copies (see the README, "How do I test
//! my code that uses this SDK").

use snapshot_emulator::seed::DswSnapshot;
use snapshot_emulator::{start, EmulatorConfig, FaultRule, RunningEmulator, Seed, Timing};
use snapshot_service::{BackupError, Backups};
use snapshots::auth::{AccessKey, Environment};
use snapshots::{Client, RateLimiter, RetryConfig};
use std::time::Duration;

const INSTANCE: &str = "dsw-team0000000001";

/// An emulator with the team's instance and last week's backup.
async fn emulator() -> RunningEmulator {
    let existing: DswSnapshot = serde_json::from_value(serde_json::json!({
        "instance_id": INSTANCE,
        "snapshot_id": "snp-lastweek000001",
        "created": "2026-11-24T02:00:00Z",
        "request": {"SnapshotName": "nightly-2026-11-24", "ImageUrl": "registry.example/team/env:2026-11-24"}
    }))
    .expect("a seed snapshot");
    let config = EmulatorConfig {
        timing: Timing {
            dsw_push: Duration::from_millis(100),
            ..Timing::instant()
        },
        seed: Seed {
            dsw_instances: vec![INSTANCE.to_owned()],
            dsw_snapshots: vec![existing],
            ..Seed::default()
        },
        ..EmulatorConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the emulator starts")
}

/// The client the service gets in production, pointed at the emulator: its demo key, every
/// API at the emulator's origin, quick retries.
fn backups(emulator: &RunningEmulator) -> Backups {
    let creds = &emulator.config().credentials;
    let client = Client::builder()
        .environment(Environment::default())
        .access_key(AccessKey::new(
            creds.access_key_id.clone(),
            creds.access_key_secret.clone(),
        ))
        .origin(emulator.base_url())
        .retry(RetryConfig::default().with_base_delay(Duration::from_millis(5)))
        .rate_limit(RateLimiter::unlimited())
        .build()
        .expect("a client");
    Backups::new(client, INSTANCE).poll_interval(Duration::from_millis(20))
}

#[tokio::test]
async fn a_backup_is_saved_and_pruning_keeps_the_newest() {
    let emulator = emulator().await;
    let backups = backups(&emulator);
    let id = backups
        .back_up("nightly-2026-12-01", "registry.example/team/env:2026-12-01")
        .await
        .expect("backed up");
    let names: Vec<String> = backups
        .list()
        .await
        .expect("listed")
        .into_iter()
        .map(|(_, _, n)| n)
        .collect();
    assert_eq!(names, ["nightly-2026-11-24", "nightly-2026-12-01"]);
    assert_eq!(backups.prune(1).await.expect("pruned"), 1);
    let left = backups.list().await.expect("listed");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1, id);
}

#[tokio::test]
async fn a_throttled_create_is_retried_and_lands_once() {
    let emulator = emulator().await;
    emulator
        .faults()
        .add(
            FaultRule::throttle(0)
                .on("POST", "/api/v2/instances/*/snapshots")
                .times(2),
        )
        .expect("a fault rule");
    let backups = backups(&emulator);
    backups
        .back_up("nightly-2026-12-01", "registry.example/team/env:2026-12-01")
        .await
        .expect("backed up after two 429s");
    assert_eq!(backups.list().await.expect("listed").len(), 2);
}

#[tokio::test]
async fn a_failed_push_and_a_bad_name_are_errors() {
    let emulator = emulator().await;
    let backups = backups(&emulator);
    let failed = backups
        .back_up("nightly-fail", "registry.example/team/env:fail")
        .await
        .expect_err("the push fails");
    assert!(matches!(failed, BackupError::Sdk(_)), "{failed:?}");
    let invalid = backups
        .back_up("", "registry.example/team/env:x")
        .await
        .expect_err("invalid");
    assert!(
        matches!(
            invalid,
            BackupError::Sdk(snapshots::Error::Validation { .. })
        ),
        "{invalid:?}"
    );
}
