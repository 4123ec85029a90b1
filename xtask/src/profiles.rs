//! The `x-profiles` extension (document level) and the operations' `x-acs-action`, as
//! `specs/EXTENSIONS.md` documents them:
//!
//! - [`lint`]: `x-profiles` is a non-empty list of objects with only the documented keys,
//!   unique names and accessors, an `auth` and a `transport` from the documented sets; an
//!   `x-acs-action` is a plain action name, unique in the spec; and when a profile's
//!   transport is `action-path`, every operation has one (the runtime sends it to
//!   `{base-url}/{x-acs-action}`);
//! - [`action`]: the action name of an operation, for the generated `OPERATIONS` table.

use crate::lint::each_operation;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The keys of a profile, all required (`base-url` may be `null`).
const KEYS: &[&str] = &["name", "accessor", "title", "base-url", "auth", "transport"];

/// The documented values of `auth`.
pub const AUTH: &[&str] = &["alibaba-acs3", "dashscope-bearer", "graph-olap-identity"];

/// The documented values of `transport` (the runtime's `Transport::from_profile` names).
pub const TRANSPORT: &[&str] = &["rest", "action-path"];

/// The transport whose requests are sent to `{base-url}/{x-acs-action}`.
const ACTION_PATH: &str = "action-path";

/// The operation's `x-acs-action`, when it has one.
pub fn action(op: &Value) -> Option<&str> {
    op.get("x-acs-action").and_then(Value::as_str)
}

/// Every problem of `doc`'s `x-profiles` and `x-acs-action`s, as readable lines.
pub fn lint(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let transports = match doc.get("x-profiles") {
        None => Vec::new(),
        Some(profiles) => lint_profiles(profiles, &mut problems),
    };
    let needs_action = transports.iter().any(|t| t == ACTION_PATH);
    lint_actions(doc, needs_action, &mut problems);
    problems
}

/// Checks the list of profiles; returns the transports it names.
fn lint_profiles(profiles: &Value, problems: &mut Vec<String>) -> Vec<String> {
    let Some(list) = profiles.as_array().filter(|l| !l.is_empty()) else {
        problems.push("x-profiles: must be a non-empty list of profiles".to_owned());
        return Vec::new();
    };
    let mut transports = Vec::new();
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, profile) in list.iter().enumerate() {
        let at = format!("x-profiles[{i}]");
        let Some(members) = profile.as_object() else {
            problems.push(format!("{at}: a profile is an object"));
            continue;
        };
        for key in members.keys() {
            if !KEYS.contains(&key.as_str()) {
                problems.push(format!("{at}: unknown key {key:?}"));
            }
        }
        for key in KEYS {
            match members.get(*key) {
                None => problems.push(format!("{at}: no {key}")),
                Some(Value::Null) if *key == "base-url" => {}
                Some(Value::String(text)) if !text.is_empty() => {
                    let unique = !matches!(*key, "name" | "accessor")
                        || seen.entry(key).or_default().insert(text);
                    if !unique {
                        problems.push(format!("{at}: {key} {text:?} is used by another profile"));
                    }
                }
                Some(_) => problems.push(format!("{at}: {key} must be a non-empty string")),
            }
        }
        one_of(&at, members.get("auth"), "auth", AUTH, problems);
        if one_of(
            &at,
            members.get("transport"),
            "transport",
            TRANSPORT,
            problems,
        ) {
            transports.extend(
                members
                    .get("transport")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    transports
}

/// Whether `value` is one of `allowed` (a problem is recorded when it is a string that is not).
fn one_of(
    at: &str,
    value: Option<&Value>,
    key: &str,
    allowed: &[&str],
    problems: &mut Vec<String>,
) -> bool {
    match value.and_then(Value::as_str) {
        Some(v) if allowed.contains(&v) => true,
        Some(v) => {
            problems.push(format!("{at}: {key} {v:?} is not one of {allowed:?}"));
            false
        }
        None => false,
    }
}

/// An action name is one path segment: a letter, then letters and digits.
fn is_action_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn lint_actions(doc: &Value, needs_action: bool, problems: &mut Vec<String>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    each_operation(doc, |path, method, op| {
        let here = format!("{} {path}", method.to_uppercase());
        match op.get("x-acs-action") {
            None if needs_action => problems.push(format!(
                "{here}: no x-acs-action, which the {ACTION_PATH} profile sends it to"
            )),
            None => {}
            Some(Value::String(name)) if is_action_name(name) => {
                if let Some(other) = seen.insert(name.clone(), here.clone()) {
                    problems.push(format!("{here}: x-acs-action {name:?} is also {other}'s"));
                }
            }
            Some(other) => problems.push(format!(
                "{here}: x-acs-action {other} is not an action name (a letter, then letters and digits)"
            )),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(profiles: Value, action: Option<&str>) -> Value {
        let mut op = json!({"operationId": "GetThing", "responses": {}});
        if let Some(action) = action {
            op["x-acs-action"] = json!(action);
        }
        json!({"x-profiles": profiles, "paths": {"/things/{id}": {"get": op}}})
    }

    fn profile(auth: &str, transport: &str) -> Value {
        json!({"name": "p", "accessor": "p", "title": "P", "base-url": null,
               "auth": auth, "transport": transport})
    }

    #[test]
    fn documented_profiles_pass() {
        for transport in TRANSPORT {
            for auth in AUTH {
                let problems = lint(&doc(json!([profile(auth, transport)]), Some("GetThing")));
                assert_eq!(problems, Vec::<String>::new());
            }
        }
        assert_eq!(
            lint(&doc(json!([profile("alibaba-acs3", "rest")]), None)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_problem_is_found() {
        let mut unknown_key = profile("alibaba-acs3", "rest");
        unknown_key["retries"] = json!(3);
        let mut missing = profile("alibaba-acs3", "rest");
        missing.as_object_mut().expect("object").remove("title");
        let cases = [
            (doc(json!([unknown_key]), None), "unknown key \"retries\""),
            (doc(json!([missing]), None), "no title"),
            (
                doc(json!([profile("basic", "rest")]), None),
                "auth \"basic\" is not one of",
            ),
            (
                doc(json!([profile("alibaba-acs3", "soap")]), None),
                "transport \"soap\" is not one of",
            ),
            (
                doc(
                    json!([
                        profile("alibaba-acs3", "rest"),
                        profile("alibaba-acs3", "rest")
                    ]),
                    None,
                ),
                "is used by another profile",
            ),
            (doc(json!([]), None), "non-empty list"),
            (
                doc(json!([profile("dashscope-bearer", "action-path")]), None),
                "no x-acs-action",
            ),
            (
                doc(json!([profile("alibaba-acs3", "rest")]), Some("Get/Thing")),
                "not an action name",
            ),
        ];
        for (doc, needle) in cases {
            let problems = lint(&doc).join("\n");
            assert!(problems.contains(needle), "{needle:?} not in {problems}");
        }
    }

    /// The rule, written independently: one path segment of ASCII letters and digits that
    /// starts with a letter.
    fn is_segment_of_letters(name: &str) -> bool {
        let bytes = name.as_bytes();
        !bytes.is_empty()
            && bytes[0].is_ascii_alphabetic()
            && bytes[1..].iter().all(u8::is_ascii_alphanumeric)
    }

    proptest::proptest! {
        #[test]
        fn an_action_name_is_accepted_exactly_when_it_is_one_plain_segment(
            name in "[A-Za-z0-9/_.%{} -]{0,12}|\\PC{0,6}"
        ) {
            let problems = lint(&doc(json!([profile("dashscope-bearer", "action-path")]), Some(&name)));
            proptest::prop_assert_eq!(problems.is_empty(), is_segment_of_letters(&name), "{:?}", problems);
        }
    }

    #[test]
    fn action_names_are_unique() {
        let op = json!({"x-acs-action": "Same", "responses": {}});
        let doc = json!({"paths": {"/a": {"get": op, "delete": op}}});
        assert!(lint(&doc).join("\n").contains("is also"));
    }
}
