//! Seeded Graph OLAP state through the facade: a mapping and a snapshot given in a
//! [`snapshot_emulator::Seed`] (ids kept) are what `snapshots::Client` reads from the
//! started emulator, and a seed with a bad reference is refused with the entry named.

use graph_olap::types as t;
use serde_json::json;
use snapshot_emulator::{start, EmulatorConfig, Seed};
use snapshots::auth::{AccessKey, Environment};
use snapshots::Client;

/// A seed with mapping 7 (owner `demo`) and its ready snapshot 42, plus `extra` members.
fn seed(extra: serde_json::Value) -> Result<Seed, snapshot_emulator::SeedError> {
    let mut value = json!({
        "graph_olap_mappings": [{"id": 7, "owner": "demo", "request": {
            "name": "orders",
            "node_definitions": [{"label": "Customer", "sql": "SELECT id FROM customers",
                "primary_key": {"name": "id", "type": "STRING"}, "properties": []}]}}],
        "graph_olap_snapshots": [{"id": 42, "mapping_id": 7, "owner": "demo", "name": "orders-v0"}],
    });
    if let (Some(base), Some(more)) = (value.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    Seed::from_text(&value.to_string())
}

#[tokio::test]
async fn a_seeded_mapping_and_snapshot_are_read_through_the_facade() {
    let config = EmulatorConfig {
        seed: seed(json!({})).expect("a seed"),
        ..EmulatorConfig::default()
    };
    let emulator = start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("started");
    let creds = &emulator.config().credentials;
    let client = Client::builder()
        .environment(Environment::default())
        .access_key(AccessKey::new(
            creds.access_key_id.clone(),
            creds.access_key_secret.clone(),
        ))
        .graph_olap_username("demo")
        .graph_olap_url(emulator.graph_olap_url())
        .build()
        .expect("a client");
    let olap = client.graph_olap().expect("graph olap");
    let mapping = olap
        .get_mapping()
        .mapping_id(t::ResourceId::Int64(7))
        .send()
        .await
        .expect("the seeded mapping")
        .into_inner()
        .data;
    assert_eq!(mapping.name.as_deref(), Some("orders"));
    assert_eq!(mapping.node_definitions[0].label.as_str(), "Customer");
    let snapshot = olap
        .get_snapshot()
        .snapshot_id(t::ResourceId::Int64(42))
        .send()
        .await
        .expect("the seeded snapshot")
        .into_inner()
        .data;
    let wire = serde_json::to_value(&snapshot).expect("JSON");
    assert_eq!(wire["status"], "ready", "{wire}");
    assert_eq!(wire["mapping_id"], 7, "{wire}");
    assert_eq!(wire["owner_username"], "demo", "{wire}");
    // The demo mapping is not created beside a seed's mappings.
    let demo = olap
        .get_mapping()
        .mapping_id(t::ResourceId::Int64(1))
        .send()
        .await;
    assert!(demo.is_err());
    let state = emulator.state();
    assert_eq!(state.graph_olap_snapshots[0].id, Some(42));
    assert_eq!(state.graph_olap_next_ids.map(|n| n.snapshot), Some(43));
}

#[tokio::test]
async fn bad_references_are_refused_naming_the_entry() {
    let cases = [
        (
            json!({"graph_olap_snapshots": [{"mapping_id": 9, "owner": "demo", "name": "x"}]}),
            "graph_olap_snapshots[0]",
        ),
        (
            json!({"graph_olap_snapshots": [{"mapping_id": 7, "owner": "mallory", "name": "x"}]}),
            "graph_olap_snapshots[0]: unknown owner \"mallory\"",
        ),
        (
            json!({"graph_olap_users": [{"username": "alice"}]}),
            "graph_olap_mappings[0]: unknown owner \"demo\"",
        ),
    ];
    for (extra, expected) in cases {
        let config = EmulatorConfig {
            seed: seed(extra).expect("a seed"),
            ..EmulatorConfig::default()
        };
        let error = start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect_err("refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(expected), "{error}");
    }
}
