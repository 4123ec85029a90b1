//! Every JSON example of the seeds, kept verbatim under `specs/examples/`, decodes into the
//! generated type its spec gives it and re-encodes to the same JSON value (an explicit
//! `null` and an absent member count as the same, see `contract_tests::without_nulls`).
//!
//! The table below names the type of each file by hand; a test checks that it covers every
//! file, so a new example cannot be added without saying what it must decode into.

use contract_tests::{example, example_files, round_trip};
use serde_json::Value;

type Check = fn(&str, &Value);

fn check<T: serde::de::DeserializeOwned + serde::Serialize>(what: &str, value: &Value) {
    round_trip::<T>(what, value);
}

/// Each example file and the generated type it must decode into.
const EXAMPLES: &[(&str, Check)] = {
    use graph_olap::types as go;
    use pai_dsw::types as dsw;
    use pai_langstudio::types as ls;
    &[
        (
            "graph-olap/create_snapshot.201.json",
            check::<go::SnapshotEnvelope>,
        ),
        (
            "graph-olap/create_snapshot.404.json",
            check::<go::ErrorBody>,
        ),
        (
            "graph-olap/create_snapshot.request.json",
            check::<go::CreateSnapshotRequest>,
        ),
        (
            "graph-olap/delete_snapshot.200.json",
            check::<go::DeleteSnapshotEnvelope>,
        ),
        (
            "graph-olap/delete_snapshot.409.json",
            check::<go::ErrorBody>,
        ),
        (
            "graph-olap/get_snapshot.200.json",
            check::<go::SnapshotEnvelope>,
        ),
        (
            "graph-olap/get_snapshot_progress.200.creating.json",
            check::<go::SnapshotProgressEnvelope>,
        ),
        (
            "graph-olap/get_snapshot_progress.200.ready.json",
            check::<go::SnapshotProgressEnvelope>,
        ),
        (
            "graph-olap/list_snapshots.200.json",
            check::<go::SnapshotListEnvelope>,
        ),
        (
            "graph-olap/retry_snapshot.200.json",
            check::<go::SnapshotEnvelope>,
        ),
        ("graph-olap/retry_snapshot.409.json", check::<go::ErrorBody>),
        (
            "graph-olap/update_snapshot.200.json",
            check::<go::SnapshotEnvelope>,
        ),
        (
            "graph-olap/update_snapshot.request.json",
            check::<go::UpdateSnapshotRequest>,
        ),
        (
            "graph-olap/update_snapshot_lifecycle.200.json",
            check::<go::SnapshotLifecycleEnvelope>,
        ),
        (
            "graph-olap/update_snapshot_lifecycle.request.json",
            check::<go::UpdateLifecycleRequest>,
        ),
        (
            "pai-dsw/CreateInstanceSnapshot.200.json",
            check::<dsw::CreateInstanceSnapshotResponse>,
        ),
        (
            "pai-dsw/GetInstanceSnapshot.200.json",
            check::<dsw::GetInstanceSnapshotResponse>,
        ),
        (
            "pai-langstudio/CreateSnapshot.200.json",
            check::<ls::CreateSnapshotResponse>,
        ),
        (
            "pai-langstudio/CreateSnapshot.request.json",
            check::<ls::CreateSnapshotRequest>,
        ),
        (
            "pai-langstudio/UpdateSnapshot.request.json",
            check::<ls::UpdateSnapshotRequest>,
        ),
    ]
};

#[test]
fn every_seed_example_round_trips_through_its_type() {
    for (file, check) in EXAMPLES {
        check(file, &example(file));
    }
}

#[test]
fn the_table_covers_every_example_file() {
    let listed: Vec<String> = EXAMPLES.iter().map(|(file, _)| file.to_string()).collect();
    assert_eq!(
        listed,
        example_files(),
        "add the new example file to EXAMPLES with its type"
    );
}

/// The progress example of each era decodes into its own variant, not the other's.
#[test]
fn progress_examples_decode_into_their_era() {
    use graph_olap::types::{SnapshotProgress, SnapshotProgressEnvelope};
    let creating: SnapshotProgressEnvelope = serde_json::from_value(example(
        "graph-olap/get_snapshot_progress.200.creating.json",
    ))
    .expect("decodes");
    let SnapshotProgress::PhaseProgress(phase) = creating.data else {
        panic!(
            "the seed's progress is the phase form, got {:?}",
            creating.data
        )
    };
    assert_eq!(phase.steps.len(), 3);
    let ready: SnapshotProgressEnvelope =
        serde_json::from_value(example("graph-olap/get_snapshot_progress.200.ready.json"))
            .expect("decodes");
    assert!(
        matches!(ready.data, SnapshotProgress::PhaseProgress(ref p) if p.phase == "completed"),
        "{:?}",
        ready.data
    );
}
