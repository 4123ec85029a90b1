//! Query strings of the list routes: decoding, validation with the upstream rules
//! (`offset` >= 0, `limit` 1-100, closed status enums; unknown parameters ignored; the last
//! of repeated parameters wins), and the SQL `LIKE '%x%'` search upstream performs.

use super::validate::{check_query_value, FieldError, Rule};
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Decodes an `application/x-www-form-urlencoded` query string into pairs.
pub(crate) fn parse_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(part), String::new()),
        })
        .collect()
}

/// The value of `name`, the last one if repeated (as Starlette's `QueryParams.get`).
fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Validated parameters of a list route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListParams {
    /// Exact `owner_username` (empty means no filter).
    pub owner: Option<String>,
    /// `mapping_id` (snapshots) or `snapshot_id` (instances); 0 means no filter.
    pub parent_id: Option<i64>,
    /// A status of the closed enum.
    pub status: Option<String>,
    /// Substring searched in name and description (empty means no filter).
    pub search: Option<String>,
    /// Requested sort field (unknown values fall back to `created_at`).
    pub sort_by: String,
    /// Anything but a case-insensitive `asc` sorts descending.
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    /// The seed's filters ([`super::Config::seed_filters`]); `None` by default, as the real
    /// server ignores them.
    pub seed: Option<SeedFilters>,
}

/// The list filters only the seed documents, applied with [`super::Config::seed_filters`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SeedFilters {
    /// `created_at >= created_after`.
    pub created_after: Option<DateTime<Utc>>,
    /// `created_at <= created_before`.
    pub created_before: Option<DateTime<Utc>>,
    /// Exact `mapping_version` (snapshots only).
    pub mapping_version: Option<i64>,
}

impl SeedFilters {
    /// Whether a resource created at `created_at` (of `mapping_version`, if it has one)
    /// passes the filters.
    pub(crate) fn admits(&self, created_at: DateTime<Utc>, mapping_version: Option<i64>) -> bool {
        self.created_after.is_none_or(|after| created_at >= after)
            && self
                .created_before
                .is_none_or(|before| created_at <= before)
            && self
                .mapping_version
                .is_none_or(|wanted| mapping_version.is_none_or(|v| v == wanted))
    }
}

/// A seed date-time filter: RFC 3339, else 422 as pydantic words it.
fn seed_time(
    pairs: &[(String, String)],
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = last(pairs, name)?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(
                &format!("query.{name}"),
                "Input should be a valid datetime or date, invalid character in year",
                "datetime_from_date_parsing",
            ));
            None
        }
    }
}

/// The seed's filters of a list query (`None` unless `enabled`).
fn seed_filters(
    pairs: &[(String, String)],
    enabled: bool,
    errors: &mut Vec<FieldError>,
) -> Option<SeedFilters> {
    if !enabled {
        return None;
    }
    let mapping_version = last(pairs, "mapping_version")
        .and_then(|raw| check_query_value("mapping_version", &VERSION, raw, errors))
        .and_then(|v| v.as_i64());
    Some(SeedFilters {
        created_after: seed_time(pairs, "created_after", errors),
        created_before: seed_time(pairs, "created_before", errors),
        mapping_version,
    })
}

/// The spec's bounds of the list operations' `offset` and `limit` (the same for every list).
const OFFSET: Rule = Rule::spec_int("list_snapshots", "offset");
const LIMIT: Rule = Rule::spec_int("list_snapshots", "limit");
const VERSION: Rule = Rule::Int {
    gt: None,
    ge: Some(1),
    le: None,
};
const ID: Rule = Rule::Int {
    gt: None,
    ge: None,
    le: None,
};

/// Validates the list parameters; `parent` names the id filter (`mapping_id` or
/// `snapshot_id`) and `statuses` the status enum; `seed` also reads the seed's filters.
/// Errors come in the order of the upstream endpoint's parameters.
pub(crate) fn list_params(
    pairs: &[(String, String)],
    parent: &str,
    statuses: &'static [&'static str],
    seed: bool,
) -> Result<ListParams, Vec<FieldError>> {
    let mut errors = Vec::new();
    let non_empty = |name: &str| {
        last(pairs, name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let int = |name: &str, rule: &Rule, errors: &mut Vec<FieldError>| -> Option<i64> {
        last(pairs, name)
            .and_then(|raw| check_query_value(name, rule, raw, errors))
            .and_then(|v| v.as_i64())
    };
    let owner = non_empty("owner");
    let parent_id = int(parent, &ID, &mut errors).filter(|id| *id != 0);
    let status_rule = Rule::Enum(statuses);
    let status = last(pairs, "status")
        .and_then(|raw| check_query_value("status", &status_rule, raw, &mut errors))
        .and_then(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        });
    let search = non_empty("search");
    let sort_by = last(pairs, "sort_by").unwrap_or("created_at").to_owned();
    let descending = !last(pairs, "sort_order").is_some_and(|o| o.eq_ignore_ascii_case("asc"));
    let seed = seed_filters(pairs, seed, &mut errors);
    let offset = int("offset", &OFFSET, &mut errors).unwrap_or(0);
    let limit = int("limit", &LIMIT, &mut errors).unwrap_or(50);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ListParams {
        owner,
        parent_id,
        status,
        search,
        sort_by,
        descending,
        offset: u64::try_from(offset).unwrap_or(0),
        limit: u64::try_from(limit).unwrap_or(50),
        seed,
    })
}

/// One element of a `LIKE` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `%`: any run of characters.
    Any,
    /// `_`: exactly one character.
    One,
    Literal(char),
}

/// Whether `text LIKE '%' || needle || '%'` in PostgreSQL (case-sensitive; `%` and `_` in
/// `needle` are wildcards, `\` escapes the next character), which is what upstream's search
/// filter runs.
pub(crate) fn like_contains(text: &str, needle: &str) -> bool {
    let mut pattern = vec![Token::Any];
    let mut chars = needle.chars();
    while let Some(c) = chars.next() {
        pattern.push(match c {
            '\\' => Token::Literal(chars.next().unwrap_or('\\')),
            '%' => Token::Any,
            '_' => Token::One,
            other => Token::Literal(other),
        });
    }
    pattern.push(Token::Any);
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with one backtrack point.
    let (mut t, mut p) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Any) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    p = bp + 1;
                    t = bt + 1;
                    backtrack = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::super::validate::SNAPSHOT_STATUSES;
    use super::*;
    use proptest::prelude::*;

    fn pairs(raw: &str) -> Vec<(String, String)> {
        parse_pairs(Some(raw))
    }

    #[test]
    fn decoding_and_repeats() {
        assert_eq!(
            pairs("search=a+b%21&x&owner=al%C3%AFce&owner=bob"),
            vec![
                ("search".into(), "a b!".into()),
                ("x".into(), String::new()),
                ("owner".into(), "alïce".into()),
                ("owner".into(), "bob".into()),
            ]
        );
        let params = list_params(
            &pairs("owner=a&owner=bob"),
            "mapping_id",
            SNAPSHOT_STATUSES,
            false,
        )
        .expect("valid");
        assert_eq!(params.owner.as_deref(), Some("bob"));
    }

    #[test]
    fn defaults_and_fallbacks() {
        let params = list_params(
            &pairs("sort_order=ASC&mapping_id=0&unknown=1"),
            "mapping_id",
            SNAPSHOT_STATUSES,
            false,
        )
        .expect("valid");
        assert_eq!(
            params,
            ListParams {
                owner: None,
                parent_id: None,
                status: None,
                search: None,
                sort_by: "created_at".into(),
                descending: false,
                offset: 0,
                limit: 50,
                seed: None,
            }
        );
        let params = list_params(
            &pairs("sort_order=sideways"),
            "mapping_id",
            SNAPSHOT_STATUSES,
            false,
        )
        .expect("valid");
        assert!(params.descending);
    }

    #[test]
    fn recorded_query_errors() {
        // #17 and #18.
        let errors = list_params(
            &pairs("status=bogus"),
            "mapping_id",
            SNAPSHOT_STATUSES,
            false,
        )
        .expect_err("bad status");
        assert_eq!(errors[0].field, "query.status");
        assert_eq!(
            errors[0].message,
            "Input should be 'pending', 'creating', 'ready', 'failed' or 'cancelled'"
        );
        assert_eq!(errors[0].kind, "enum");
        let errors = list_params(&pairs("limit=1000"), "mapping_id", SNAPSHOT_STATUSES, false)
            .expect_err("limit too large");
        assert_eq!(
            (
                errors[0].field.as_str(),
                errors[0].message.as_str(),
                errors[0].kind.as_str()
            ),
            (
                "query.limit",
                "Input should be less than or equal to 100",
                "less_than_equal"
            )
        );
        let errors = list_params(
            &pairs("limit=0&offset=-1&mapping_id=x&status="),
            "mapping_id",
            SNAPSHOT_STATUSES,
            false,
        )
        .expect_err("all wrong");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "query.mapping_id",
                "query.status",
                "query.offset",
                "query.limit"
            ]
        );
    }

    #[test]
    fn seed_filters_only_when_enabled() {
        let query = pairs("created_after=not-a-date&mapping_version=0");
        let params = list_params(&query, "mapping_id", SNAPSHOT_STATUSES, false).expect("ignored");
        assert_eq!(params.seed, None);
        let errors = list_params(&query, "mapping_id", SNAPSHOT_STATUSES, true).expect_err("422");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["query.mapping_version", "query.created_after"]);
        let query = pairs("created_before=2026-01-01T00:00:00Z&mapping_version=2");
        let seed = list_params(&query, "mapping_id", SNAPSHOT_STATUSES, true)
            .expect("valid")
            .seed
            .expect("seed filters");
        let at = |text: &str| text.parse::<DateTime<Utc>>().expect("a time");
        assert!(seed.admits(at("2025-12-31T23:59:59Z"), Some(2)));
        assert!(seed.admits(at("2026-01-01T00:00:00Z"), None));
        assert!(!seed.admits(at("2026-01-01T00:00:01Z"), Some(2)));
        assert!(!seed.admits(at("2025-01-01T00:00:00Z"), Some(1)));
    }

    #[test]
    fn like_semantics() {
        assert!(like_contains("Snap 1", "Snap"));
        assert!(like_contains("Snap 1", ""));
        assert!(!like_contains("Snap 1", "snap"));
        assert!(like_contains("Snap 1", "S_ap"));
        assert!(like_contains("Snap 1", "S%1"));
        assert!(!like_contains("Snap 1", "S\\%1"));
        assert!(like_contains("100% sure", "0\\% s"));
        assert!(like_contains("a_b", "a\\_b"));
        assert!(!like_contains("axb", "a\\_b"));
        assert!(like_contains("aaab", "aab"));
    }

    proptest! {
        /// Without wildcard characters, LIKE '%x%' is a plain substring test.
        #[test]
        fn like_without_wildcards_is_substring(text in "[a-c ]{0,12}", needle in "[a-c ]{0,4}") {
            prop_assert_eq!(like_contains(&text, &needle), text.contains(&needle));
        }

        /// The seed's date filters are the inclusive bounds they name.
        #[test]
        fn seed_date_bounds(at in 0i64..1000, after in 0i64..1000, before in 0i64..1000) {
            let time = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap_or_default();
            let seed = SeedFilters {
                created_after: Some(time(after)),
                created_before: Some(time(before)),
                mapping_version: None,
            };
            prop_assert_eq!(seed.admits(time(at), Some(1)), after <= at && at <= before);
        }
    }
}
