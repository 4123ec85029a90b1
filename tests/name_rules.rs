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

/// Graph OLAP names (snapshot, instance, mapping, user name, display name): 1-255
/// characters of any kind, as the control plane's models say (`min_length=1, max_length=255`).
fn graph_olap_name_ok(s: &str) -> bool {
    (1..=255).contains(&s.chars().count())
}

/// Graph OLAP descriptions: at most 4000 characters.
fn graph_olap_description_ok(s: &str) -> bool {
    s.chars().count() <= 4000
}

/// Graph OLAP graph labels and property names: 1-64 characters, an ASCII letter first,
/// then ASCII letters, digits and underscores.
fn graph_label_ok(s: &str) -> bool {
    (1..=64).contains(&s.chars().count())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Graph OLAP edge type names: 1-64 characters, an upper-case ASCII letter first, then
/// upper-case ASCII letters, digits and underscores.
fn edge_type_ok(s: &str) -> bool {
    (1..=64).contains(&s.chars().count())
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Graph OLAP `ttl` / `inactivity_timeout`: `P`, then optionally `<digits>D`, then optionally
/// `T` followed by optional `<digits>H`, `<digits>M`, `<digits>S` in that order (the control
/// plane's rule; note that it admits `P` and `PT`).
fn iso_duration_ok(s: &str) -> bool {
    fn take_unit(rest: &str, unit: char) -> &str {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && rest[digits..].starts_with(unit) {
            &rest[digits + 1..]
        } else {
            rest
        }
    }
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let rest = take_unit(rest, 'D');
    match rest.strip_prefix('T') {
        None => rest.is_empty(),
        Some(time) => take_unit(take_unit(take_unit(time, 'H'), 'M'), 'S').is_empty(),
    }
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
        "[A-Z0-9_]{0,3}",
        "[A-Za-z_][A-Za-z0-9_]{62,65}",
        ".{253,257}",
    ]
}

/// Strings near the ISO 8601 duration rule.
fn near_durations() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "P?[0-9]{0,3}[DTHMS]{0,2}[0-9]{0,3}[DHMS]?[0-9]{0,2}[HMS]?",
        "P([0-9]{1,3}D)?(T([0-9]{1,2}H)?([0-9]{1,2}M)?([0-9]{1,2}S)?)?",
        "P[0-9٣]{1,2}[DWY]",
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn graph_olap_names_match_the_rule(s in near_names()) {
        use graph_olap::types;
        agrees::<types::SnapshotName>(&s, graph_olap_name_ok)?;
        agrees::<types::InstanceName>(&s, graph_olap_name_ok)?;
        agrees::<types::MappingName>(&s, graph_olap_name_ok)?;
        agrees::<types::Username>(&s, graph_olap_name_ok)?;
        agrees::<types::DisplayName>(&s, graph_olap_name_ok)?;
        agrees::<types::GraphLabel>(&s, graph_label_ok)?;
        agrees::<types::PropertyName>(&s, graph_label_ok)?;
        agrees::<types::EdgeTypeName>(&s, edge_type_ok)?;
    }

    #[test]
    fn graph_olap_descriptions_match_the_rule(len in 3990usize..4010, c in any::<char>()) {
        let s: String = std::iter::repeat_n(c, len).collect();
        agrees::<graph_olap::types::Description>(&s, graph_olap_description_ok)?;
    }

    #[test]
    fn graph_olap_durations_match_the_rule(s in near_durations()) {
        agrees::<graph_olap::types::IsoDuration>(&s, iso_duration_ok)?;
    }

    #[test]
    fn valid_durations_are_accepted(d in proptest::option::of(0u32..1000), h in proptest::option::of(0u32..100),
                                    m in proptest::option::of(0u32..100), sec in proptest::option::of(0u32..100)) {
        let mut s = "P".to_owned();
        if let Some(d) = d { s.push_str(&format!("{d}D")); }
        if h.is_some() || m.is_some() || sec.is_some() {
            s.push('T');
            for (value, unit) in [(h, 'H'), (m, 'M'), (sec, 'S')] {
                if let Some(v) = value { s.push_str(&format!("{v}{unit}")); }
            }
        }
        prop_assert!(iso_duration_ok(&s));
        agrees::<graph_olap::types::IsoDuration>(&s, iso_duration_ok)?;
    }
}

#[test]
fn the_predicates_follow_the_seeds() {
    assert!(iso_duration_ok("P7D"));
    assert!(iso_duration_ok("PT12H"));
    assert!(iso_duration_ok("P1DT2H3M4S"));
    assert!(!iso_duration_ok("P1W"));
    assert!(!iso_duration_ok("P1H"));
    assert!(!iso_duration_ok("PT1D"));
    assert!(!iso_duration_ok("P1M1D"));
    assert!(!iso_duration_ok("7D"));
    assert!(edge_type_ok("PURCHASED"));
    assert!(!edge_type_ok("purchased"));
    assert!(graph_label_ok("Customer"));
    assert!(!graph_olap_name_ok(""));
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
