//! Query parameters the server does not honour (the spec's `x-server-support`, see
//! `specs/EXTENSIONS.md`): the one mechanism that keeps a client from sending a filter the
//! server silently ignores and trusting the unfiltered answer.
//!
//! Each list operation's [`QueryRule`]s (generated into its [`crate::Operation`]) say, per
//! parameter the server does not fully honour, what the client does instead:
//!
//! - [`Support::Values`]: the server honours only these values (Graph OLAP's `sort_by`:
//!   `created_at`, `updated_at`, `name`, `size_bytes`); any other value is refused before
//!   anything is sent ([`crate::Failure::NotHonoured`]); sorting on the client is impossible
//!   while streaming;
//! - [`Support::ClientSide`]: the server ignores the parameter; the paging engine (the
//!   facade's `.items()`) runs its requests inside [`handled`], and then [`apply`] takes the
//!   parameter out of the request and hands it to the engine, which filters the items as
//!   pages arrive ([`Filter::accepts`]). Any other request carrying it (a plain `.send()`, a
//!   single page, `.pages()`) is refused before anything is sent, naming the parameter;
//! - [`Support::Refused`]: the server ignores it and the client cannot apply it: refused.
//!
//! ```
//! use snapshots_runtime::query::{apply, Compare, Filter, QueryRule, Support, ValueKind};
//! const RULES: &[QueryRule] = &[QueryRule {
//!     parameter: "created_after",
//!     support: Support::ClientSide(Filter { field: &["created_at"], compare: Compare::AtLeast, kind: ValueKind::DateTime }),
//! }];
//! let request = reqwest::Request::new(
//!     reqwest::Method::GET,
//!     "http://localhost/api/snapshots?created_after=2030-01-01T00%3A00%3A00Z&limit=3".parse().unwrap(),
//! );
//! // Outside the paging engine: refused, nothing sent.
//! assert!(apply(request, "list_snapshots", RULES).is_err());
//! ```

use std::cell::RefCell;
use std::cmp::Ordering;
use std::future::Future;

use serde_json::Value;

use crate::error_shape::PropertyPath;
use crate::failure::Failure;

/// What the client does about one query parameter of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryRule {
    /// The parameter, as the wire spells it.
    pub parameter: &'static str,
    /// How far the server honours it, and the client's handling.
    pub support: Support,
}

/// How far the server honours a parameter (from `x-server-support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Only these values are honoured; any other is refused before sending.
    Values(&'static [&'static str]),
    /// Ignored by the server; applied by the paging engine to the items.
    ClientSide(Filter),
    /// Ignored by the server and not applied by the client: refused.
    Refused,
}

/// A filter the paging engine applies to each listed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// The item's property compared (`created_at`).
    pub field: PropertyPath,
    /// `item field <compare> parameter value`.
    pub compare: Compare,
    /// How both sides are read.
    pub kind: ValueKind,
}

/// The comparison of a [`Filter`]: the item's field against the parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `field >= value`.
    AtLeast,
    /// `field <= value`.
    AtMost,
    /// `field == value`.
    Equal,
}

/// How the two sides of a [`Filter`] are read before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// RFC 3339 timestamps, compared as instants (offsets and fractions honoured).
    DateTime,
    /// Numbers (a JSON number or its text), compared numerically.
    Number,
    /// Texts, compared as they are.
    Text,
}

/// A parameter the engine took out of a request: its filter and its (decoded) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The parameter, as the wire spells it.
    pub parameter: &'static str,
    /// The filter to apply to the items.
    pub filter: Filter,
    /// The value the caller set.
    pub value: String,
}

tokio::task_local! {
    static HANDLED: RefCell<Vec<Taken>>;
}

/// Runs `call` (one request of a paging engine that applies client-side parameters itself)
/// so that [`apply`] takes those parameters out of its request instead of refusing it;
/// returns the call's output and what was taken out.
pub async fn handled<F: Future>(call: F) -> (F::Output, Vec<Taken>) {
    HANDLED
        .scope(RefCell::new(Vec::new()), async move {
            let output = call.await;
            let taken = HANDLED.with(|taken| taken.take());
            (output, taken)
        })
        .await
}

/// The request to send, checked against the operation's `rules`: a value the server does
/// not honour is refused; a client-side parameter is taken out (inside [`handled`]) or
/// refused (anywhere else). Called by the runtime once per call, before anything is sent.
pub fn apply(
    mut request: reqwest::Request,
    operation: &str,
    rules: &[QueryRule],
) -> Result<reqwest::Request, Failure> {
    if rules.is_empty() || request.url().query().is_none() {
        return Ok(request);
    }
    let pairs: Vec<(String, String)> = request.url().query_pairs().into_owned().collect();
    let mut strip = Vec::new();
    for (name, value) in &pairs {
        let Some(rule) = rules.iter().find(|r| r.parameter == name) else {
            continue;
        };
        check(rule, operation, value, &mut strip)?;
    }
    if !strip.is_empty() {
        let kept = without(request.url().query().unwrap_or_default(), &strip);
        request
            .url_mut()
            .set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    Ok(request)
}

/// One parameter against its rule: refused, or (inside [`handled`]) recorded to be
/// stripped.
fn check(
    rule: &QueryRule,
    operation: &str,
    value: &str,
    strip: &mut Vec<&'static str>,
) -> Result<(), Failure> {
    let refuse = |reason: String| Failure::NotHonoured {
        operation: operation.to_owned(),
        parameter: rule.parameter.to_owned(),
        reason,
    };
    match rule.support {
        Support::Values(honoured) if honoured.contains(&value) => Ok(()),
        Support::Values(honoured) => Err(refuse(format!(
            "the server ignores the value {value:?} (it honours only {}) and the client cannot sort a stream; use one of those",
            honoured.join(", ")
        ))),
        Support::Refused => Err(refuse(
            "the server ignores it and the client cannot apply it; leave it unset".to_owned(),
        )),
        Support::ClientSide(filter) => {
            let taken = Taken {
                parameter: rule.parameter,
                filter,
                value: value.to_owned(),
            };
            let recorded = HANDLED.try_with(|handled| handled.borrow_mut().push(taken));
            if recorded.is_err() {
                return Err(refuse(
                    "the server ignores it, so only the paging engine can apply it (on the client side): list with `.items()` instead of sending a single request".to_owned(),
                ));
            }
            strip.push(rule.parameter);
            Ok(())
        }
    }
}

/// `query` without the pairs named in `strip`; the other pairs are kept byte for byte.
fn without(query: &str, strip: &[&str]) -> String {
    query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default().replace('+', " ");
            let name = percent_encoding::percent_decode_str(&name).decode_utf8_lossy();
            !strip.contains(&name.as_ref())
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Filter {
    /// Whether `item` passes the filter with the parameter's `value`. An item without the
    /// field (or with null) does not pass; a value or field that cannot be read as the
    /// filter's kind is an error (never a guess).
    ///
    /// ```
    /// use snapshots_runtime::query::{Compare, Filter, ValueKind};
    /// let after = Filter { field: &["created_at"], compare: Compare::AtLeast, kind: ValueKind::DateTime };
    /// let item = serde_json::json!({"created_at": "2026-01-02T03:04:05Z"});
    /// assert_eq!(after.accepts(&item, "2026-01-02T05:00:00+02:00"), Ok(true));
    /// assert_eq!(after.accepts(&item, "2030-01-01T00:00:00Z"), Ok(false));
    /// assert!(after.accepts(&item, "not-a-date").is_err());
    /// ```
    pub fn accepts(&self, item: &Value, value: &str) -> Result<bool, String> {
        let field = self
            .field
            .iter()
            .try_fold(item, |v, member| v.get(member))
            .filter(|v| !v.is_null());
        let Some(field) = field else {
            return Ok(false);
        };
        let ordering = compare(self.kind, field, value)?;
        Ok(match self.compare {
            Compare::AtLeast => ordering != Ordering::Less,
            Compare::AtMost => ordering != Ordering::Greater,
            Compare::Equal => ordering == Ordering::Equal,
        })
    }
}

/// `field` compared with `value`, both read as `kind`.
fn compare(kind: ValueKind, field: &Value, value: &str) -> Result<Ordering, String> {
    let field_text = match field {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match kind {
        ValueKind::DateTime => {
            let read = |text: &str| {
                chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|e| format!("{text:?} is not an RFC 3339 timestamp: {e}"))
            };
            Ok(read(&field_text)?.cmp(&read(value)?))
        }
        ValueKind::Number => {
            let read = |text: &str| {
                text.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| format!("{text:?} is not a number"))
            };
            read(&field_text)?
                .partial_cmp(&read(value)?)
                .ok_or_else(|| "numbers that do not compare".to_owned())
        }
        ValueKind::Text => Ok(field_text.as_str().cmp(value)),
    }
}

#[cfg(test)]
mod tests;
