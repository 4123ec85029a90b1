//! The regular expressions of spec `pattern`s, for the generated newtypes and
//! [`crate::rules::matches_pattern`]: [`Regex`], a thin wrapper over `regex-lite`.
//!
//! OpenAPI says a `pattern` is an ECMA-262 regular expression. typify's generated code checks
//! it with `regress` (an ECMA-262 engine with Unicode tables); `cargo xtask generate` swaps
//! that for this module's [`Regex`], so that users compile `regex-lite` (the regex project's
//! small engine, built for compile time and binary size) instead, and the generated crates
//! depend on no regex crate themselves.
//!
//! The two engines agree only on a subset of ECMA-262, so [`Regex::new`] accepts only the
//! **portable subset** ([`check_portable`]), and `cargo xtask lint` rejects any spec pattern
//! outside it or that does not compile in both engines (proptests compare both engines on
//! patterns drawn from this grammar and on every spec pattern). The subset:
//!
//! - ASCII only; printable literals other than `\ ^ $ . | ? * + ( ) [ ] { }`;
//! - `\` followed by ASCII punctuation other than `<` and `>` (regex-lite reads `\<`, `\>`
//!   as word boundaries), a literal;
//! - `\d \D \w \W` (ASCII digits and word characters in both engines);
//! - classes `[...]` and `[^...]`, not empty, of ASCII literals, ranges `a-z` between two
//!   single characters, escaped punctuation and the four escapes above; `-` literal only
//!   first or last, `^` only first; no nested `[`, no `&&`, `--`, `~~` (regex-lite's set
//!   operations);
//! - the anchors `^` and `$` (start and end of the whole text in both engines);
//! - groups `( )` and `(?: )`, alternatives `|`, neither empty;
//! - quantifiers `* + ? {n} {n,} {n,m}` (counts 0 to 1000, maximum not 0), each optionally
//!   lazy `?`; a counted one (`{..}`) only on a character, escape or class, not on a group,
//!   no quantifier on a group that can match the empty string (`(a?)*`), and only `?` on a
//!   group that holds a quantified group (`((a)+)?`, not `((a)+)+`): regress, the ECMA-262
//!   engine of the lints, evaluates some such nestings wrongly (`((a+){1}){2}`,
//!   `((\D+)+)+\D` on `aa`) or without end.
//!
//! Everything else is refused with the reason: `.` (ECMAScript excludes `\r`, `\u2028` and
//! `\u2029`, regex-lite only `\n`), `\s` (different whitespace sets), `\b` (Unicode word
//! boundaries in regex-lite), `\u` and `\x` escapes, backreferences, lookaround, named groups,
//! inline flags, control characters and non-ASCII text.
//!
//! ```
//! use snapshots_runtime::pattern::Regex;
//!
//! let name = Regex::new("^[a-z0-9][a-z0-9-]{0,127}$").unwrap();
//! assert!(name.is_match("snap-1"));
//! assert!(name.find("-snap").is_none());
//! let error = Regex::new("^a.c$").unwrap_err();
//! assert!(error.to_string().contains("`.`"), "{error}");
//! ```

mod subset;

use std::fmt;
use std::ops::Range;

/// A compiled spec pattern in the portable subset (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Regex {
    inner: regex_lite::Regex,
}

impl Regex {
    /// Compiles `pattern`; fails when it is outside the portable subset or regex-lite
    /// rejects it (for example a repetition too large for its size limit).
    pub fn new(pattern: &str) -> Result<Self, PatternError> {
        check_portable(pattern)?;
        let inner = regex_lite::Regex::new(pattern).map_err(|e| PatternError {
            pattern: pattern.to_owned(),
            offset: None,
            reason: format!("regex-lite does not compile it: {e}"),
        })?;
        Ok(Self { inner })
    }

    /// The byte range of the leftmost match in `haystack` (anywhere, as JSON Schema says).
    pub fn find(&self, haystack: &str) -> Option<Range<usize>> {
        self.inner.find(haystack).map(|m| m.range())
    }

    /// Whether `haystack` contains a match.
    pub fn is_match(&self, haystack: &str) -> bool {
        self.inner.is_match(haystack)
    }

    /// The pattern this was compiled from.
    pub fn as_str(&self) -> &str {
        self.inner.as_str()
    }
}

/// Checks that `pattern` is in the portable subset, where ECMA-262 and regex-lite agree
/// (see the [module docs](self)); the error names the first construct outside it and why.
///
/// ```
/// use snapshots_runtime::pattern::check_portable;
///
/// assert!(check_portable(r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$").is_ok());
/// assert!(check_portable(r"^\s+$").is_err());
/// ```
pub fn check_portable(pattern: &str) -> Result<(), PatternError> {
    subset::check(pattern).map_err(|(offset, reason)| PatternError {
        pattern: pattern.to_owned(),
        offset: Some(offset),
        reason,
    })
}

/// A pattern [`Regex::new`] refuses: outside the portable subset, or not compiled by
/// regex-lite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pattern: String,
    offset: Option<usize>,
    reason: String,
}

impl PatternError {
    /// The byte offset of the refused construct, when the subset check refused it.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// Why the pattern is refused, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(at) => write!(
                f,
                "pattern {:?} is outside the portable subset at byte {at}: {}",
                self.pattern, self.reason
            ),
            None => write!(f, "pattern {:?}: {}", self.pattern, self.reason),
        }
    }
}

impl std::error::Error for PatternError {}

#[cfg(test)]
mod tests;
