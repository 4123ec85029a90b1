//! Property tests of `snapshots::validate`: each check accepts exactly the values an
//! independent predicate of the rule accepts, names its field, and returns the value
//! unchanged; the name wrappers agree with hand-written predicates of the seeds' rules.

use proptest::prelude::*;
use snapshots::validate;
use snapshots::Error;

/// The field of a validation error, or a test failure.
fn field_of(error: Error) -> String {
    match error {
        Error::Validation { field, rule } => {
            assert!(!rule.is_empty());
            field
        }
        other => panic!("expected Validation, got {other:?}"),
    }
}

/// Checks that `check` accepts `value` iff `rule(value)`, returning it unchanged, and that
/// a refusal names `field`.
fn agrees<T, U>(
    value: T,
    check: impl Fn(T) -> Result<U, Error>,
    rule: impl Fn(T) -> bool,
    same: impl Fn(&U, T) -> bool,
    field: &str,
) -> Result<(), TestCaseError>
where
    T: Copy + std::fmt::Debug,
{
    match check(value) {
        Ok(out) => {
            prop_assert!(rule(value), "{value:?} accepted");
            prop_assert!(same(&out, value), "{value:?} changed");
        }
        Err(e) => {
            prop_assert!(!rule(value), "{value:?} refused");
            prop_assert_eq!(field_of(e), field);
        }
    }
    Ok(())
}

/// Integers with the interesting boundaries over-represented.
fn any_i64() -> impl Strategy<Value = i64> {
    prop_oneof![-3i64..=120, Just(i64::MIN), Just(i64::MAX), any::<i64>(),]
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=120, Just(u64::MAX), any::<u64>()]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=12, Just(u32::MAX), any::<u32>()]
}

proptest! {
    #[test]
    fn graph_olap_limit_is_1_to_100(n in any_u64()) {
        agrees(n, validate::graph_olap_limit, |n| (1..=100).contains(&n), |out, n| out.get() == n, "limit")?;
    }

    #[test]
    fn graph_olap_offset_is_not_negative(n in any_i64()) {
        agrees(n, validate::graph_olap_offset, |n| n >= 0, |out, n| *out == n, "offset")?;
    }

    #[test]
    fn graph_olap_cpu_cores_are_1_to_8(n in any_u32()) {
        agrees(n, validate::graph_olap_cpu_cores, |n| (1..=8).contains(&n), |out, n| out.get() == n, "cpu_cores")?;
    }

    #[test]
    fn dsw_page_number_starts_at_1(n in any_u64()) {
        agrees(n, validate::dsw_page_number, |n| n >= 1, |out, n| out.get() == n, "PageNumber")?;
    }

    #[test]
    fn dsw_page_size_is_positive(n in any_i64()) {
        agrees(n, validate::dsw_page_size, |n| n >= 1, |out, n| *out == n, "PageSize")?;
    }

    #[test]
    fn langstudio_paging_is_positive(n in any_i64()) {
        agrees(n, validate::langstudio_page_number, |n| n >= 1, |out, n| *out == n, "PageNumber")?;
        agrees(n, validate::langstudio_page_size, |n| n >= 1, |out, n| *out == n, "PageSize")?;
        agrees(n, validate::langstudio_max_results, |n| n >= 1, |out, n| *out == n, "MaxResults")?;
    }

    #[test]
    fn dsw_snapshot_names(s in "[a-z0-9_A-Z-]{0,130}|\\PC{0,5}") {
        let ok = {
            let len = s.chars().count();
            (1..=128).contains(&len)
                && !s.starts_with('-')
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        match validate::dsw_snapshot_name(&s) {
            Ok(name) => { prop_assert!(ok, "{s:?} accepted"); prop_assert_eq!(name.as_str(), s.as_str()); }
            Err(e) => { prop_assert!(!ok, "{s:?} refused"); prop_assert_eq!(field_of(e), "SnapshotName"); }
        }
    }

    #[test]
    fn langstudio_snapshot_names(s in "[a-z0-9_A-Z-]{0,260}|\\PC{0,5}") {
        let ok = {
            let len = s.chars().count();
            (1..=256).contains(&len)
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        match validate::langstudio_snapshot_name(&s) {
            Ok(name) => { prop_assert!(ok, "{s:?} accepted"); prop_assert_eq!(name.as_str(), s.as_str()); }
            Err(e) => { prop_assert!(!ok, "{s:?} refused"); prop_assert_eq!(field_of(e), "SnapshotName"); }
        }
    }

    #[test]
    fn graph_olap_names(s in "\\PC{0,260}") {
        let ok = (1..=255).contains(&s.chars().count());
        match validate::graph_olap_snapshot_name(&s) {
            Ok(name) => { prop_assert!(ok); prop_assert_eq!(name.as_str(), s.as_str()); }
            Err(e) => { prop_assert!(!ok); prop_assert_eq!(field_of(e), "name"); }
        }
        prop_assert_eq!(validate::graph_olap_instance_name(&s).is_ok(), ok);
    }
}

#[test]
fn rules_are_stated_in_words() {
    let rule = |e: Error| match e {
        Error::Validation { rule, .. } => rule,
        other => panic!("{other:?}"),
    };
    assert!(rule(validate::graph_olap_limit(0).unwrap_err()).contains("max 100"));
    assert!(rule(validate::dsw_page_size(0).unwrap_err()).contains("no upper bound is documented"));
    assert!(rule(validate::dsw_snapshot_name("-x").unwrap_err()).contains("seed 003"));
    assert!(rule(validate::langstudio_snapshot_name("1x").unwrap_err()).contains("seed 000"));
    let e = validate::graph_olap_limit(101).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid `limit`: must be between 1 and 100 (seed 004: \"Maximum records to return (max 100)\")"
    );
}
