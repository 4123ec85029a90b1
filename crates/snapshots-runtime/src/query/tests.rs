//! Tests of the query-parameter rules: refusal outside the engine, stripping inside it,
//! honoured values, and the filter comparisons.

use super::*;
use proptest::prelude::*;
use serde_json::json;

const AFTER: Filter = Filter {
    field: &["created_at"],
    compare: Compare::AtLeast,
    kind: ValueKind::DateTime,
};
const VERSION: Filter = Filter {
    field: &["mapping_version"],
    compare: Compare::Equal,
    kind: ValueKind::Number,
};
const RULES: &[QueryRule] = &[
    QueryRule {
        parameter: "created_after",
        support: Support::ClientSide(AFTER),
    },
    QueryRule {
        parameter: "mapping_version",
        support: Support::ClientSide(VERSION),
    },
    QueryRule {
        parameter: "sort_by",
        support: Support::Values(&["created_at", "updated_at", "name", "size_bytes"]),
    },
    QueryRule {
        parameter: "gone",
        support: Support::Refused,
    },
];

fn request(query: &str) -> reqwest::Request {
    let url = format!("http://localhost/api/snapshots?{query}");
    reqwest::Request::new(reqwest::Method::GET, url.parse().expect("url"))
}

fn refused_parameter(result: Result<reqwest::Request, Failure>) -> Option<String> {
    match result {
        Err(Failure::NotHonoured { parameter, .. }) => Some(parameter),
        _ => None,
    }
}

#[test]
fn client_side_parameters_are_refused_outside_the_engine() {
    let refused = apply(
        request("limit=3&mapping_version=2"),
        "list_snapshots",
        RULES,
    );
    assert_eq!(refused_parameter(refused), Some("mapping_version".into()));
    let refused = apply(request("gone=1"), "list_snapshots", RULES);
    assert_eq!(refused_parameter(refused), Some("gone".into()));
    let fine = apply(request("limit=3&sort_by=name"), "list_snapshots", RULES).expect("honoured");
    assert_eq!(fine.url().query(), Some("limit=3&sort_by=name"));
    let message = apply(request("sort_by=status"), "list_snapshots", RULES)
        .expect_err("status is ignored by the server")
        .to_string();
    assert!(
        message.contains("sort_by") && message.contains("created_at"),
        "{message}"
    );
}

#[tokio::test]
async fn the_engine_gets_them_stripped_and_handed_over() {
    let (result, taken) = handled(async {
        apply(
            request("created_after=2030-01-01T00%3A00%3A00Z&limit=3&mapping_version=2&owner=a+b"),
            "list_snapshots",
            RULES,
        )
    })
    .await;
    let sent = result.expect("stripped, not refused");
    assert_eq!(sent.url().query(), Some("limit=3&owner=a+b"));
    let names: Vec<_> = taken
        .iter()
        .map(|t| (t.parameter, t.value.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("created_after", "2030-01-01T00:00:00Z"),
            ("mapping_version", "2")
        ]
    );
    let (only, _) = handled(async { apply(request("mapping_version=2"), "op", RULES) }).await;
    assert_eq!(only.expect("stripped").url().query(), None);
}

#[test]
fn filters_compare_by_kind() {
    let item = json!({"created_at": "2026-01-02T03:04:05Z", "mapping_version": 2});
    assert_eq!(VERSION.accepts(&item, "2"), Ok(true));
    assert_eq!(VERSION.accepts(&item, "3"), Ok(false));
    assert!(VERSION.accepts(&item, "two").is_err());
    assert_eq!(
        VERSION.accepts(&json!({"mapping_version": null}), "2"),
        Ok(false)
    );
    assert_eq!(AFTER.accepts(&json!({}), "2020-01-01T00:00:00Z"), Ok(false));
    let text = Filter {
        field: &["owner"],
        compare: Compare::Equal,
        kind: ValueKind::Text,
    };
    assert_eq!(text.accepts(&json!({"owner": "alice"}), "alice"), Ok(true));
    let before = Filter {
        compare: Compare::AtMost,
        ..AFTER
    };
    assert_eq!(before.accepts(&item, "2026-01-02T03:04:05Z"), Ok(true));
    assert_eq!(before.accepts(&item, "2026-01-02T03:04:04Z"), Ok(false));
}

proptest! {
    /// A timestamp filter agrees with comparing the instants, whatever the offsets.
    #[test]
    fn timestamp_filters_compare_instants(a in 0i64..4_000_000_000, b in 0i64..4_000_000_000, offset in -12i32..=12) {
        let zone = chrono::FixedOffset::east_opt(offset * 3600).expect("offset");
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).expect("time").with_timezone(&zone).to_rfc3339();
        let item = json!({"created_at": at(a)});
        prop_assert_eq!(AFTER.accepts(&item, &at(b)), Ok(a >= b));
        let before = Filter { compare: Compare::AtMost, ..AFTER };
        prop_assert_eq!(before.accepts(&item, &at(b)), Ok(a <= b));
    }

    /// Other parameters are kept byte for byte; only the stripped ones go.
    #[test]
    fn stripping_keeps_every_other_pair(other in proptest::collection::vec(("[a-z]{1,6}", "[a-zA-Z0-9%+]{0,8}"), 0..5)) {
        let mut pairs: Vec<String> = other.iter()
            .filter(|(k, _)| !["created_after", "mapping_version", "sort_by", "gone"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}")).collect();
        let kept = pairs.join("&");
        pairs.insert(0, "mapping_version=7".into());
        prop_assert_eq!(without(&pairs.join("&"), &["mapping_version"]), kept);
    }
}
