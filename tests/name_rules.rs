//! Property tests of every name constraint in the specs: for arbitrary strings, the generated
//! validating newtype accepts exactly the strings that an independent, hand-written predicate
//! of the seed's rule accepts (no regex is shared with the spec), and generated valid names
//! are always accepted and round-trip through JSON.

use proptest::prelude::*;
use std::str::FromStr;

/// PAI-DSW (seed 003): only lowercase letters, digits and hyphens; the name becomes a
/// container image tag, so at most 128 characters and not starting with a hyphen.
fn dsw_name_ok(s: &str) -> bool {
    let len = s.chars().count();
    (1..=128).contains(&len)
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// PAI LangStudio (seed 000): 1-256 characters, starts with a letter, only letters, digits
/// and underscore.
fn langstudio_name_ok(s: &str) -> bool {
    let len = s.chars().count();
    (1..=256).contains(&len)
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks that `T`'s parser agrees with `rule` on `s`, and that accepted values round-trip.
fn agrees<T>(s: &str, rule: fn(&str) -> bool) -> Result<(), TestCaseError>
where
    T: FromStr + serde::Serialize + serde::de::DeserializeOwned + std::ops::Deref<Target = String>,
{
    let parsed = T::from_str(s);
    prop_assert_eq!(
        parsed.is_ok(),
        rule(s),
        "parser and rule disagree on {:?}",
        s
    );
    // Decoding from JSON applies the same check as parsing.
    let decoded: Result<T, _> = serde_json::from_value(serde_json::Value::String(s.to_owned()));
    prop_assert_eq!(
        decoded.is_ok(),
        rule(s),
        "JSON decoding and rule disagree on {:?}",
        s
    );
    if let Ok(value) = parsed {
        let json = serde_json::to_value(&value).expect("encodes");
        prop_assert_eq!(json.as_str(), Some(s));
        prop_assert_eq!(value.as_str(), s);
    }
    Ok(())
}

/// Strings near the rules: the allowed alphabets, a few characters just outside them, and
/// lengths around every bound.
fn near_names() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9-]{0,3}",
        "[a-z0-9-]{126,130}",
        "[A-Za-z0-9_]{0,3}",
        "[A-Za-z0-9_]{254,258}",
        "[a-zA-Z0-9_ .\\-éÅ٣]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn dsw_snapshot_name_matches_the_rule(s in near_names()) {
        agrees::<pai_dsw::types::SnapshotName>(&s, dsw_name_ok)?;
    }

    #[test]
    fn langstudio_snapshot_name_matches_the_rule(s in near_names()) {
        agrees::<pai_langstudio::types::SnapshotName>(&s, langstudio_name_ok)?;
    }

    #[test]
    fn valid_dsw_names_are_accepted(s in "[a-z0-9][a-z0-9-]{0,127}") {
        prop_assert!(dsw_name_ok(&s));
        agrees::<pai_dsw::types::SnapshotName>(&s, dsw_name_ok)?;
    }

    #[test]
    fn valid_langstudio_names_are_accepted(s in "[A-Za-z][A-Za-z0-9_]{0,255}") {
        prop_assert!(langstudio_name_ok(&s));
        agrees::<pai_langstudio::types::SnapshotName>(&s, langstudio_name_ok)?;
    }
}

#[test]
fn the_predicates_follow_the_seeds() {
    assert!(dsw_name_ok("snapshot-v1"));
    assert!(!dsw_name_ok("-snapshot"));
    assert!(!dsw_name_ok("Snapshot"));
    assert!(!dsw_name_ok("training_data_env"));
    assert!(!dsw_name_ok(&"a".repeat(129)));
    assert!(langstudio_name_ok("snapshot01"));
    assert!(!langstudio_name_ok("1snapshot"));
    assert!(!langstudio_name_ok("snap-shot"));
    assert!(!langstudio_name_ok(&"a".repeat(257)));
}
