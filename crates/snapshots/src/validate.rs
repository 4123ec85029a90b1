//! Checks of request values made before anything is sent, with the rules the xtask
//! generates from the specs: each generated crate has a `RULES` table (`pai_dsw::RULES`,
//! `pai_langstudio::RULES`, `graph_olap::RULES`) of every constrained parameter and body
//! member, from the spec's `minimum`, `maximum`, `pattern`, `minLength`, `maxLength` and
//! the `x-minimum`/`x-rule` extensions (see `specs/EXTENSIONS.md`).
//!
//! The generated builders take plain integers for most paging parameters (`i64`, or
//! `NonZeroU64` where the spec has `minimum: 1`), so a range such as Graph OLAP's
//! `limit <= 100` is only caught by the server. [`integer`] and [`text`] check any value
//! against its generated rule; the named functions below are thin wrappers that also return
//! the type the builder wants. An invalid value is [`Error::Validation`] naming the field
//! and the rule, in words generated from the spec:
//!
//! ```
//! use snapshots::validate;
//!
//! # fn demo(olap: &graph_olap::Client) -> Result<(), snapshots::Error> {
//! let request = olap
//!     .list_snapshots()
//!     .limit(validate::graph_olap_limit(50)?)
//!     .offset(validate::graph_olap_offset(100)?);
//! # let _ = request; Ok(()) }
//! ```
//!
//! | function | rule (from the spec) |
//! | --- | --- |
//! | [`graph_olap_limit`] | Graph OLAP `limit` |
//! | [`graph_olap_offset`] | Graph OLAP `offset` |
//! | [`graph_olap_cpu_cores`] | Graph OLAP `cpu_cores` |
//! | [`dsw_page_number`], [`dsw_page_size`] | DSW `PageNumber`, `PageSize` |
//! | [`langstudio_page_number`], [`langstudio_page_size`], [`langstudio_max_results`] | LangStudio `PageNumber`, `PageSize`, `MaxResults` |
//! | the `*_name` functions | the name newtype's rule (the generated type checks it; the error words it) |
//!
//! Neither the DSW nor the LangStudio spec gives an upper bound for a page size or
//! `MaxResults` (their `x-minimum: 1` is the only bound), so none is invented here.

use std::num::{NonZeroU32, NonZeroU64};
use std::str::FromStr;

use snapshots_runtime::rules::Rule;

use crate::error::Error;

/// The rule of `field` (wire name or builder member) in `rules`; [`Error::Config`] when
/// the table has none (the spec lost the constraint: fail closed rather than check nothing).
pub fn rule<'a>(rules: &'a [Rule], field: &str) -> Result<&'a Rule, Error> {
    Rule::find(rules, field).ok_or_else(|| {
        Error::Config(format!(
            "no validation rule for `{field}` in the generated table"
        ))
    })
}

/// Checks the integer `value` of `field` against its generated rule.
///
/// ```
/// use snapshots::validate;
///
/// assert_eq!(validate::integer(graph_olap::RULES, "limit", 100).unwrap(), 100);
/// let error = validate::integer(graph_olap::RULES, "limit", 101).unwrap_err();
/// assert!(error.to_string().contains("between 1 and 100"), "{error}");
/// ```
pub fn integer(rules: &[Rule], field: &str, value: i64) -> Result<i64, Error> {
    let rule = rule(rules, field)?;
    if rule.allows_integer(value) {
        Ok(value)
    } else {
        Err(error(rule.field, rule.text))
    }
}

/// Checks the text `value` of `field` against its generated rule (lengths and pattern).
///
/// ```
/// use snapshots::validate;
///
/// assert!(validate::text(pai_dsw::RULES, "SnapshotName", "nightly-1").is_ok());
/// assert!(validate::text(pai_dsw::RULES, "SnapshotName", "-nightly").is_err());
/// ```
pub fn text<'v>(rules: &[Rule], field: &str, value: &'v str) -> Result<&'v str, Error> {
    let rule = rule(rules, field)?;
    if rule.allows_text(value) {
        Ok(value)
    } else {
        Err(error(rule.field, rule.text))
    }
}

/// Parses `value` into the generated newtype `T` whose rule is the one of generated type
/// `rust_type`; the error names the field and words the rule.
pub fn parse<T: FromStr>(rules: &[Rule], rust_type: &str, value: &str) -> Result<T, Error> {
    value
        .parse()
        .map_err(|_| match Rule::for_type(rules, rust_type) {
            Some(rule) => error(rule.field, rule.text),
            None => error(rust_type, &format!("a valid `{rust_type}`")),
        })
}

/// Checks a Graph OLAP `limit` and returns it as the builder's type.
///
/// ```
/// assert_eq!(snapshots::validate::graph_olap_limit(100).unwrap().get(), 100);
/// assert!(snapshots::validate::graph_olap_limit(101).is_err());
/// assert!(snapshots::validate::graph_olap_limit(0).is_err());
/// ```
pub fn graph_olap_limit(limit: u64) -> Result<NonZeroU64, Error> {
    non_zero_u64(graph_olap::RULES, "limit", limit)
}

/// Checks a Graph OLAP `offset`.
pub fn graph_olap_offset(offset: i64) -> Result<i64, Error> {
    integer(graph_olap::RULES, "offset", offset)
}

/// Checks the `cpu_cores` of a Graph OLAP instance and returns it as the body builder's type.
pub fn graph_olap_cpu_cores(cores: u32) -> Result<NonZeroU32, Error> {
    let rule = rule(graph_olap::RULES, "cpu_cores")?;
    integer(graph_olap::RULES, "cpu_cores", i64::from(cores))?;
    NonZeroU32::new(cores).ok_or_else(|| error(rule.field, rule.text))
}

/// Checks a DSW `PageNumber` and returns it as the builder's type.
pub fn dsw_page_number(page: u64) -> Result<NonZeroU64, Error> {
    non_zero_u64(pai_dsw::RULES, "PageNumber", page)
}

/// Checks a DSW `PageSize`.
pub fn dsw_page_size(size: i64) -> Result<i64, Error> {
    integer(pai_dsw::RULES, "PageSize", size)
}

/// Checks a LangStudio `PageNumber`.
pub fn langstudio_page_number(page: i64) -> Result<i64, Error> {
    integer(pai_langstudio::RULES, "PageNumber", page)
}

/// Checks a LangStudio `PageSize`.
pub fn langstudio_page_size(size: i64) -> Result<i64, Error> {
    integer(pai_langstudio::RULES, "PageSize", size)
}

/// Checks a LangStudio `MaxResults`.
pub fn langstudio_max_results(max: i64) -> Result<i64, Error> {
    integer(pai_langstudio::RULES, "MaxResults", max)
}

/// Parses a DSW snapshot name; the error names `SnapshotName` and the spec's rule.
///
/// ```
/// use snapshots::{validate, Error};
///
/// assert!(validate::dsw_snapshot_name("nightly-2025-01").is_ok());
/// let Err(Error::Validation { field, rule }) = validate::dsw_snapshot_name("Nightly_1") else {
///     panic!("accepted");
/// };
/// assert_eq!(field, "SnapshotName");
/// assert!(rule.contains("lowercase"));
/// ```
pub fn dsw_snapshot_name(name: &str) -> Result<pai_dsw::types::SnapshotName, Error> {
    parse(pai_dsw::RULES, "SnapshotName", name)
}

/// Parses a LangStudio snapshot name; the error names `SnapshotName` and the spec's rule.
pub fn langstudio_snapshot_name(name: &str) -> Result<pai_langstudio::types::SnapshotName, Error> {
    parse(pai_langstudio::RULES, "SnapshotName", name)
}

/// Parses a Graph OLAP snapshot name; the error names `name` and the rule.
pub fn graph_olap_snapshot_name(name: &str) -> Result<graph_olap::types::SnapshotName, Error> {
    parse(graph_olap::RULES, "SnapshotName", name)
}

/// Parses a Graph OLAP instance name (the migration path); the error names `name` and the
/// rule.
pub fn graph_olap_instance_name(name: &str) -> Result<graph_olap::types::InstanceName, Error> {
    parse(graph_olap::RULES, "InstanceName", name)
}

/// `value` checked against the rule of `field` and made a `NonZeroU64`.
fn non_zero_u64(rules: &[Rule], field: &str, value: u64) -> Result<NonZeroU64, Error> {
    let rule = rule(rules, field)?;
    // A value beyond `i64` is above every `minimum`; only a `maximum` can refuse it.
    let allowed = match i64::try_from(value) {
        Ok(wide) => rule.allows_integer(wide),
        Err(_) => rule.maximum.is_none(),
    };
    NonZeroU64::new(value)
        .filter(|_| allowed)
        .ok_or_else(|| error(rule.field, rule.text))
}

/// An [`Error::Validation`].
pub(crate) fn error(field: &str, rule: &str) -> Error {
    Error::Validation {
        field: field.to_owned(),
        rule: rule.to_owned(),
    }
}

/// The rule text of a body member or parameter a generated builder refused, from the table.
pub(crate) fn rule_for_member(rules: &'static [Rule], member: &str) -> Option<&'static str> {
    Rule::find(rules, member).map(|rule| rule.text)
}

/// The rule text of a value of generated type `ty` (its last path segment): the table's,
/// else `at least 1` for Rust's non-zero integers.
pub(crate) fn rule_for_type(rules: &'static [Rule], ty: &str) -> Option<&'static str> {
    Rule::for_type(rules, ty)
        .map(|rule| rule.text)
        .or(matches!(ty, "NonZeroU64" | "NonZeroU32").then_some("at least 1"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_wrapper_finds_its_rule() {
        for (rules, field) in [
            (graph_olap::RULES, "limit"),
            (graph_olap::RULES, "offset"),
            (graph_olap::RULES, "cpu_cores"),
            (pai_dsw::RULES, "PageNumber"),
            (pai_dsw::RULES, "PageSize"),
            (pai_langstudio::RULES, "PageNumber"),
            (pai_langstudio::RULES, "PageSize"),
            (pai_langstudio::RULES, "MaxResults"),
        ] {
            assert!(rule(rules, field).is_ok(), "{field}");
        }
        for (rules, ty) in [
            (pai_dsw::RULES, "SnapshotName"),
            (pai_langstudio::RULES, "SnapshotName"),
            (graph_olap::RULES, "SnapshotName"),
            (graph_olap::RULES, "InstanceName"),
        ] {
            assert!(Rule::for_type(rules, ty).is_some(), "{ty}");
        }
        assert!(matches!(
            rule(graph_olap::RULES, "nope"),
            Err(Error::Config(_))
        ));
    }

    proptest! {
        #[test]
        fn limit_is_one_to_a_hundred(limit in 0u64..300) {
            prop_assert_eq!(graph_olap_limit(limit).is_ok(), (1..=100).contains(&limit));
        }

        #[test]
        fn page_sizes_are_positive(size in -10i64..10) {
            prop_assert_eq!(dsw_page_size(size).is_ok(), size >= 1);
            prop_assert_eq!(langstudio_max_results(size).is_ok(), size >= 1);
        }
    }
}
