//! The `x-paging` and `x-waiters` extensions, parsed strictly (an unknown or missing key is
//! a problem), for the lint (`lint::paging`) and the generators (`glue::paging`,
//! `glue::waiters`). See `specs/EXTENSIONS.md`.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The `items` path of a response that is itself the array of items (no envelope).
pub const WHOLE: &str = "$";

/// How a list pages (`style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `page-number`.
    PageNumber,
    /// `token` (with a page-number fallback when `page` is given).
    Token,
    /// `offset`.
    Offset,
}

/// One operation's `x-paging`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The style.
    pub style: Style,
    /// Request parameters by role: `page`, `page-size`, `token`, `offset`, `limit`.
    pub params: Vec<(&'static str, String)>,
    /// Response property path of the items; [`WHOLE`] when the response is the array.
    pub items: String,
    /// The total (optional except for `offset`).
    pub total: Option<String>,
    /// The next token (`token` only).
    pub next_token: Option<String>,
    /// The offset the response starts at (`offset` only; without it the stream owns the
    /// offset parameter, starting at 0).
    pub response_offset: Option<String>,
    /// The property path of an item's id, for de-duplicating across pages (optional).
    pub id: Option<String>,
}

impl Paging {
    /// The request parameter of a role.
    pub fn param(&self, role: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, p)| p.as_str())
    }
}

/// One entry of an operation's `x-waiters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    /// Its name (snake case): the constructor's name.
    pub name: String,
    /// The resource in errors, with `{Parameter}` placeholders.
    pub describe: String,
    /// The polled operation's identifying parameters, the constructor's arguments.
    pub parameters: Vec<String>,
    /// The property path of what the waiter returns (the whole response when absent).
    pub result: Option<String>,
    /// The status property path.
    pub status: String,
    /// The value sets.
    pub waiting: Vec<String>,
    /// The value sets.
    pub success: Vec<String>,
    /// The value sets.
    pub failure: Vec<String>,
    /// The failure code property path.
    pub failure_code: Option<String>,
    /// The failure message property path.
    pub failure_message: Option<String>,
    /// The progress operation.
    pub progress: Option<ProgressSpec>,
}

/// The `progress` member of a waiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressSpec {
    /// The operation polled for progress (same parameters as the waiter).
    pub operation: String,
    /// The property path of the progress resource in its response.
    pub result: Option<String>,
    /// Paths of "done" counts, relative to the resource.
    pub done: Vec<String>,
    /// Paths of "total" counts.
    pub total: Vec<String>,
    /// Path of a phase name.
    pub phase: Option<String>,
    /// `(items, status, done)` of a list of steps.
    pub steps: Option<(String, String, String)>,
}

/// Reads an object's keys, remembering which were read, to report the unknown ones.
struct Keys<'a> {
    object: &'a Map<String, Value>,
    read: BTreeSet<&'static str>,
    at: String,
    problems: Vec<String>,
}

impl<'a> Keys<'a> {
    fn new(value: &'a Value, at: &str) -> Result<Self, Vec<String>> {
        let object = value
            .as_object()
            .ok_or_else(|| vec![format!("{at}: not an object")])?;
        Ok(Keys {
            object,
            read: BTreeSet::new(),
            at: at.to_owned(),
            problems: Vec::new(),
        })
    }

    fn string(&mut self, key: &'static str) -> Option<String> {
        self.read.insert(key);
        match self.object.get(key)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => {
                self.problems
                    .push(format!("{}: `{key}` must be a non-empty string", self.at));
                None
            }
        }
    }

    fn required(&mut self, key: &'static str) -> String {
        let value = self.string(key);
        if value.is_none() && !self.object.contains_key(key) {
            self.problems
                .push(format!("{}: `{key}` is missing", self.at));
        }
        value.unwrap_or_default()
    }

    fn list(&mut self, key: &'static str) -> Vec<String> {
        self.read.insert(key);
        let Some(value) = self.object.get(key) else {
            return Vec::new();
        };
        let items = value
            .as_array()
            .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>());
        match items {
            Some(Some(items)) => items.into_iter().map(str::to_owned).collect(),
            _ => {
                self.problems
                    .push(format!("{}: `{key}` must be a list of strings", self.at));
                Vec::new()
            }
        }
    }

    fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.read.insert(key);
        self.object.get(key)
    }

    fn finish(mut self) -> Vec<String> {
        for key in self.object.keys() {
            if !self.read.contains(key.as_str()) {
                self.problems
                    .push(format!("{}: unknown key `{key}`", self.at));
            }
        }
        self.problems
    }
}

/// The request parameter roles each style needs, and those it may have.
fn roles(style: Style) -> (&'static [&'static str], &'static [&'static str]) {
    match style {
        Style::PageNumber => (&["page", "page-size"], &[]),
        Style::Token => (&["token", "page-size"], &["page"]),
        Style::Offset => (&["offset", "limit"], &[]),
    }
}

/// The request parameters of a style's roles, reporting missing and stray ones.
fn request_params(keys: &mut Keys<'_>, style: Style, at: &str) -> Vec<(&'static str, String)> {
    let (needed, optional) = roles(style);
    let mut params = Vec::new();
    for role in ["page", "page-size", "token", "offset", "limit"] {
        let value = if needed.contains(&role) {
            Some(keys.required(role))
        } else {
            keys.string(role)
        };
        if let Some(value) = value {
            if !needed.contains(&role) && !optional.contains(&role) {
                keys.problems
                    .push(format!("{at}: `{role}` does not belong to this style"));
            }
            params.push((role, value));
        }
    }
    params
}

/// Parses an operation's `x-paging` (`at` names it in problems).
pub fn paging(value: &Value, at: &str) -> Result<Paging, Vec<String>> {
    let at = format!("{at}: x-paging");
    let mut keys = Keys::new(value, &at)?;
    let style = match keys.required("style").as_str() {
        "page-number" => Style::PageNumber,
        "token" => Style::Token,
        "offset" => Style::Offset,
        other => {
            let mut problems = keys.finish();
            problems.push(format!(
                "{at}: unknown style {other:?} (page-number, token, offset)"
            ));
            return Err(problems);
        }
    };
    let params = request_params(&mut keys, style, &at);
    let items = keys.required("items");
    let total = keys.string("total");
    let next_token = (style == Style::Token).then(|| keys.required("next-token"));
    let response_offset = keys.string("response-offset");
    if style == Style::Offset && response_offset.is_some() && total.is_none() {
        keys.problems.push(format!(
            "{at}: `total` is missing (an offset listing with a `response-offset` needs it)"
        ));
    }
    let id = keys.string("id");
    for (key, allowed) in [
        ("next-token", style == Style::Token),
        ("response-offset", style == Style::Offset),
    ] {
        if !allowed && keys.value(key).is_some() {
            keys.problems
                .push(format!("{at}: `{key}` does not belong to this style"));
        }
    }
    let problems = keys.finish();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Paging {
        style,
        params,
        items,
        total,
        next_token,
        response_offset,
        id,
    })
}

/// Parses an operation's `x-waiters` (a list).
pub fn waiters(value: &Value, at: &str) -> Result<Vec<Waiter>, Vec<String>> {
    let list = value
        .as_array()
        .ok_or_else(|| vec![format!("{at}: x-waiters must be a list")])?;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        match waiter(entry, &format!("{at}: x-waiters[{i}]")) {
            Ok(waiter) => found.push(waiter),
            Err(mut more) => problems.append(&mut more),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

fn waiter(value: &Value, at: &str) -> Result<Waiter, Vec<String>> {
    let mut keys = Keys::new(value, at)?;
    let name = keys.required("name");
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        || name.starts_with(|c: char| !c.is_ascii_lowercase())
    {
        keys.problems
            .push(format!("{at}: name {name:?} is not snake case"));
    }
    let describe = keys.required("describe");
    let parameters = keys.list("parameters");
    let result = keys.string("result");
    let status = keys.required("status");
    let (waiting, success, failure) = (
        keys.list("waiting"),
        keys.list("success"),
        keys.list("failure"),
    );
    if success.is_empty() {
        keys.problems
            .push(format!("{at}: `success` must list at least one value"));
    }
    let failure_code = keys.string("failure-code");
    let failure_message = keys.string("failure-message");
    let progress = match keys.value("progress") {
        None => None,
        Some(value) => match progress(value, &format!("{at}: progress")) {
            Ok(p) => Some(p),
            Err(mut more) => {
                keys.problems.append(&mut more);
                None
            }
        },
    };
    let problems = keys.finish();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Waiter {
        name,
        describe,
        parameters,
        result,
        status,
        waiting,
        success,
        failure,
        failure_code,
        failure_message,
        progress,
    })
}

fn progress(value: &Value, at: &str) -> Result<ProgressSpec, Vec<String>> {
    let mut keys = Keys::new(value, at)?;
    let operation = keys.required("operation");
    let result = keys.string("result");
    let (done, total) = (keys.list("done"), keys.list("total"));
    let phase = keys.string("phase");
    let steps = match keys.value("steps") {
        None => None,
        Some(value) => {
            let mut inner = Keys::new(value, &format!("{at}: steps"))?;
            let steps = (
                inner.required("items"),
                inner.required("status"),
                inner.required("done"),
            );
            keys.problems.append(&mut inner.finish());
            Some(steps)
        }
    };
    if done.is_empty() && steps.is_none() {
        keys.problems
            .push(format!("{at}: needs `done` paths or `steps`"));
    }
    let problems = keys.finish();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ProgressSpec {
        operation,
        result,
        done,
        total,
        phase,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const PAGING_KEYS: &[&str] = &[
        "style",
        "page",
        "page-size",
        "token",
        "offset",
        "limit",
        "items",
        "total",
        "next-token",
        "response-offset",
    ];

    proptest! {
        /// Any key the extension does not define is refused, in `x-paging` and in a waiter.
        #[test]
        fn every_unknown_key_is_refused(key in "[a-z][a-z-]{0,14}") {
            prop_assume!(!PAGING_KEYS.contains(&key.as_str()));
            let mut value = json!({"style": "offset", "offset": "o", "limit": "l", "items": "data",
                                   "response-offset": "meta.offset", "total": "meta.total"});
            value[&key] = json!("x");
            let errors = paging(&value, "op").unwrap_err().join("\n");
            prop_assert!(errors.contains(&format!("unknown key `{key}`")), "{}", errors);
            let waiter_keys = ["name", "describe", "parameters", "result", "status", "waiting",
                               "success", "failure", "failure-code", "failure-message", "progress"];
            prop_assume!(!waiter_keys.contains(&key.as_str()));
            let mut entry = json!({"name": "w", "describe": "d", "parameters": [], "status": "s",
                                   "success": ["ok"]});
            entry[&key] = json!("x");
            let errors = waiters(&json!([entry]), "op").unwrap_err().join("\n");
            prop_assert!(errors.contains(&format!("unknown key `{key}`")), "{}", errors);
        }
    }

    #[test]
    fn paging_parses_each_style_and_refuses_strays() {
        let ok = paging(
            &json!({"style": "offset", "offset": "o", "limit": "l", "items": "data",
                                "response-offset": "meta.offset", "total": "meta.total"}),
            "op",
        )
        .unwrap();
        assert_eq!(ok.param("offset"), Some("o"));
        let errors = paging(
            &json!({"style": "page-number", "page": "P", "page-size": "S",
                                    "items": "x", "token": "T", "colour": 1}),
            "op",
        )
        .unwrap_err()
        .join("\n");
        assert!(errors.contains("unknown key `colour`"), "{errors}");
        assert!(errors.contains("`token` does not belong"), "{errors}");
        let errors = paging(&json!({"style": "token", "items": "x"}), "op")
            .unwrap_err()
            .join("\n");
        assert!(
            errors.contains("`token` is missing") && errors.contains("`next-token` is missing"),
            "{errors}"
        );
        assert!(paging(&json!({"style": "cursor"}), "op").is_err());
    }

    /// An offset listing without a response offset needs no total (a bare array); one with
    /// a response offset does.
    #[test]
    fn offset_listings_of_bare_arrays_parse() {
        let bare = paging(
            &json!({"style": "offset", "offset": "o", "limit": "l", "items": WHOLE}),
            "op",
        )
        .unwrap();
        assert_eq!((bare.total, bare.response_offset), (None, None));
        let errors = paging(
            &json!({"style": "offset", "offset": "o", "limit": "l", "items": "data",
                    "response-offset": "meta.offset"}),
            "op",
        )
        .unwrap_err()
        .join("\n");
        assert!(errors.contains("`total` is missing"), "{errors}");
        let errors = paging(
            &json!({"style": "page-number", "page": "p", "page-size": "s", "items": "x",
                    "response-offset": "meta.offset"}),
            "op",
        )
        .unwrap_err()
        .join("\n");
        assert!(
            errors.contains("`response-offset` does not belong"),
            "{errors}"
        );
    }

    #[test]
    fn waiters_parse_and_refuse_unknown_keys() {
        let entry = json!({"name": "snap", "describe": "s {Id}", "parameters": ["Id"], "status": "S",
                           "waiting": ["W"], "success": ["OK"], "failure": ["F"],
                           "progress": {"operation": "p", "done": ["d"]}});
        let parsed = waiters(&json!([entry.clone()]), "op").unwrap();
        assert_eq!(parsed[0].success, ["OK"]);
        let mut bad = entry;
        bad["sucess"] = json!(["x"]);
        bad["success"] = json!([]);
        bad["progress"]["when"] = json!(1);
        let errors = waiters(&json!([bad]), "op").unwrap_err().join("\n");
        for needle in [
            "unknown key `sucess`",
            "at least one value",
            "unknown key `when`",
        ] {
            assert!(errors.contains(needle), "{needle}: {errors}");
        }
    }
}
