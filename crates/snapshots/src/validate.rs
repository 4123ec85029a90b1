//! Checks of request values that the generated types do not enforce, made before anything is
//! sent, and wrappers of the generated name newtypes that report the seed's rule.
//!
//! The generated builders take plain integers for most paging parameters (`i64`, or
//! `NonZeroU64` where the spec has `minimum: 1`), so a range such as Graph OLAP's
//! `limit <= 100` is only caught by the server. Each function here takes the value, checks the
//! documented range and returns the type the builder wants, or [`Error::Validation`] naming
//! the field and the rule:
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
//! | function | field | rule | source |
//! | --- | --- | --- | --- |
//! | [`graph_olap_limit`] | `limit` | 1 to 100 | seed 004 ("max 100"), spec `minimum: 1`, `maximum: 100` |
//! | [`graph_olap_offset`] | `offset` | at least 0 | spec `minimum: 0` |
//! | [`graph_olap_cpu_cores`] | `cpu_cores` | 1 to 8 | spec `minimum: 1`, `maximum: 8` |
//! | [`dsw_page_number`] | `PageNumber` | at least 1 | "Pages start from 1" |
//! | [`dsw_page_size`] | `PageSize` | at least 1 | no upper bound is documented |
//! | [`langstudio_page_number`] | `PageNumber` | at least 1 | no upper bound is documented |
//! | [`langstudio_page_size`] | `PageSize` | at least 1 | no upper bound is documented |
//! | [`langstudio_max_results`] | `MaxResults` | at least 1 | no upper bound is documented |
//!
//! Neither the DSW nor the LangStudio spec (nor the seeds and SDK descriptions they quote)
//! gives an upper bound for a page size or `MaxResults`, so none is invented here: the
//! service decides.
//!
//! Names are already validating newtypes in the generated crates; the `*_name` functions
//! parse them and turn the newtype's terse message (`doesn't match pattern ...`) into the
//! seed's rule in words.

use std::num::{NonZeroU32, NonZeroU64};

use crate::error::{Api, Error};

/// Graph OLAP `limit` (seed 004: "max 100").
pub const GRAPH_OLAP_LIMIT_RULE: &str =
    "between 1 and 100 (seed 004: \"Maximum records to return (max 100)\")";
/// Graph OLAP `offset`.
pub const GRAPH_OLAP_OFFSET_RULE: &str = "at least 0 (the number of records to skip)";
/// Graph OLAP `cpu_cores` of an instance.
pub const GRAPH_OLAP_CPU_CORES_RULE: &str = "between 1 and 8 (CPU cores of an instance)";
/// DSW `PageNumber`.
pub const DSW_PAGE_NUMBER_RULE: &str = "at least 1 (pages start from 1)";
/// DSW `PageSize`.
pub const DSW_PAGE_SIZE_RULE: &str = "at least 1 (no upper bound is documented)";
/// LangStudio `PageNumber`.
pub const LANGSTUDIO_PAGE_NUMBER_RULE: &str =
    "at least 1 (pages start from 1; no upper bound is documented)";
/// LangStudio `PageSize`.
pub const LANGSTUDIO_PAGE_SIZE_RULE: &str = "at least 1 (no upper bound is documented)";
/// LangStudio `MaxResults`.
pub const LANGSTUDIO_MAX_RESULTS_RULE: &str = "at least 1 (no upper bound is documented)";
/// DSW snapshot names (seed 003, plus the image tag limits the name is also subject to).
pub const DSW_SNAPSHOT_NAME_RULE: &str = "1 to 128 characters, only lowercase letters, digits \
     and hyphens, not starting with a hyphen (seed 003: \"only lowercase letters, digits and \
     hyphens (-)\"; the name is also the image tag)";
/// LangStudio snapshot names (seed 000).
pub const LANGSTUDIO_SNAPSHOT_NAME_RULE: &str = "1 to 256 characters, starting with a letter, \
     only letters, digits and underscores (seed 000)";
/// Graph OLAP snapshot, instance and mapping names (seed 004 and the control plane's models).
pub const GRAPH_OLAP_NAME_RULE: &str = "1 to 255 characters";

/// Checks a Graph OLAP `limit` (1 to 100) and returns it as the builder's type.
///
/// ```
/// assert_eq!(snapshots::validate::graph_olap_limit(100).unwrap().get(), 100);
/// assert!(snapshots::validate::graph_olap_limit(101).is_err());
/// assert!(snapshots::validate::graph_olap_limit(0).is_err());
/// ```
pub fn graph_olap_limit(limit: u64) -> Result<NonZeroU64, Error> {
    NonZeroU64::new(limit)
        .filter(|n| n.get() <= 100)
        .ok_or_else(|| error("limit", GRAPH_OLAP_LIMIT_RULE))
}

/// Checks a Graph OLAP `offset` (at least 0).
pub fn graph_olap_offset(offset: i64) -> Result<i64, Error> {
    at_least(offset, 0, "offset", GRAPH_OLAP_OFFSET_RULE)
}

/// Checks the `cpu_cores` of a Graph OLAP instance (1 to 8) and returns it as the body
/// builder's type.
pub fn graph_olap_cpu_cores(cores: u32) -> Result<NonZeroU32, Error> {
    NonZeroU32::new(cores)
        .filter(|n| n.get() <= 8)
        .ok_or_else(|| error("cpu_cores", GRAPH_OLAP_CPU_CORES_RULE))
}

/// Checks a DSW `PageNumber` (at least 1) and returns it as the builder's type.
pub fn dsw_page_number(page: u64) -> Result<NonZeroU64, Error> {
    NonZeroU64::new(page).ok_or_else(|| error("PageNumber", DSW_PAGE_NUMBER_RULE))
}

/// Checks a DSW `PageSize` (at least 1; no upper bound is documented).
pub fn dsw_page_size(size: i64) -> Result<i64, Error> {
    at_least(size, 1, "PageSize", DSW_PAGE_SIZE_RULE)
}

/// Checks a LangStudio `PageNumber` (at least 1; no upper bound is documented).
pub fn langstudio_page_number(page: i64) -> Result<i64, Error> {
    at_least(page, 1, "PageNumber", LANGSTUDIO_PAGE_NUMBER_RULE)
}

/// Checks a LangStudio `PageSize` (at least 1; no upper bound is documented).
pub fn langstudio_page_size(size: i64) -> Result<i64, Error> {
    at_least(size, 1, "PageSize", LANGSTUDIO_PAGE_SIZE_RULE)
}

/// Checks a LangStudio `MaxResults` (at least 1; no upper bound is documented).
pub fn langstudio_max_results(max: i64) -> Result<i64, Error> {
    at_least(max, 1, "MaxResults", LANGSTUDIO_MAX_RESULTS_RULE)
}

/// Parses a DSW snapshot name; the error names `SnapshotName` and the seed's rule.
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
    name.parse()
        .map_err(|_| error("SnapshotName", DSW_SNAPSHOT_NAME_RULE))
}

/// Parses a LangStudio snapshot name; the error names `SnapshotName` and the seed's rule.
pub fn langstudio_snapshot_name(name: &str) -> Result<pai_langstudio::types::SnapshotName, Error> {
    name.parse()
        .map_err(|_| error("SnapshotName", LANGSTUDIO_SNAPSHOT_NAME_RULE))
}

/// Parses a Graph OLAP snapshot name; the error names `name` and the rule.
pub fn graph_olap_snapshot_name(name: &str) -> Result<graph_olap::types::SnapshotName, Error> {
    name.parse()
        .map_err(|_| error("name", GRAPH_OLAP_NAME_RULE))
}

/// Parses a Graph OLAP instance name (the migration path); the error names `name` and the
/// rule.
pub fn graph_olap_instance_name(name: &str) -> Result<graph_olap::types::InstanceName, Error> {
    name.parse()
        .map_err(|_| error("name", GRAPH_OLAP_NAME_RULE))
}

fn at_least(value: i64, min: i64, field: &str, rule: &str) -> Result<i64, Error> {
    if value >= min {
        Ok(value)
    } else {
        Err(error(field, rule))
    }
}

/// An [`Error::Validation`].
pub(crate) fn error(field: &str, rule: &str) -> Error {
    Error::Validation {
        field: field.to_owned(),
        rule: rule.to_owned(),
    }
}

/// The rule of a body member a generated body builder refused, when the SDK knows it.
pub(crate) fn rule_for_member(api: Api, member: &str) -> Option<&'static str> {
    match (api, member) {
        (Api::Dsw, "snapshot_name") => Some(DSW_SNAPSHOT_NAME_RULE),
        (Api::LangStudio, "snapshot_name") => Some(LANGSTUDIO_SNAPSHOT_NAME_RULE),
        (Api::GraphOlap, "name") => Some(GRAPH_OLAP_NAME_RULE),
        (Api::GraphOlap, "cpu_cores") => Some(GRAPH_OLAP_CPU_CORES_RULE),
        _ => None,
    }
}

/// The rule of a value of generated type `ty` (its last path segment), when the SDK knows it.
pub(crate) fn rule_for_type(api: Api, ty: &str) -> Option<&'static str> {
    match (api, ty) {
        (_, "NonZeroU64" | "NonZeroU32") => Some("at least 1"),
        (Api::Dsw, "SnapshotName") => Some(DSW_SNAPSHOT_NAME_RULE),
        (Api::LangStudio, "SnapshotName") => Some(LANGSTUDIO_SNAPSHOT_NAME_RULE),
        (Api::GraphOlap, "SnapshotName" | "InstanceName" | "MappingName") => {
            Some(GRAPH_OLAP_NAME_RULE)
        }
        _ => None,
    }
}
