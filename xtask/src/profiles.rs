//! The `x-profiles` extension (document level) and the operations' `x-acs-action`, as
//! `specs/EXTENSIONS.md` documents them:
//!
//! - [`lint`]: `x-profiles` as [`crate::glue::profiles::read`] checks it (the one reader of
//!   the extension); an `x-acs-action` is a plain action name, unique in the spec; and when a profile's
//!   transport is `action-path`, every operation has one (the runtime sends it to
//!   `{base-url}/{x-acs-action}`);
//! - [`action`]: the action name of an operation, for the generated `OPERATIONS` table.

use crate::lint::each_operation;
use serde_json::Value;
use std::collections::BTreeMap;

/// The transport whose requests are sent to `{base-url}/{x-acs-action}` (the runtime's
/// variant name, as [`crate::glue::profiles::Profile::transport`] gives it).
const ACTION_PATH_VARIANT: &str = "ActionPath";

/// The operation's `x-acs-action`, when it has one.
pub fn action(op: &Value) -> Option<&str> {
    op.get("x-acs-action").and_then(Value::as_str)
}

/// Every problem of `doc`'s `x-profiles` (read by [`crate::glue::profiles::read`], the one
/// reader generation also uses) and of its `x-acs-action`s, as readable lines.
pub fn lint(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let needs_action = match crate::glue::profiles::read(doc) {
        Ok(profiles) => profiles.iter().any(|p| p.transport == ACTION_PATH_VARIANT),
        Err(error) => {
            problems.push(format!("x-profiles: {error:#}"));
            false
        }
    };
    lint_actions(doc, needs_action, &mut problems);
    problems
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
                "{here}: no x-acs-action, which the action-path profile sends it to"
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
        for transport in ["rest", "action-path"] {
            for auth in ["alibaba-acs3", "dashscope-bearer", "graph-olap-identity"] {
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
        let cases = [
            // The profiles themselves are checked by the one reader (glue::profiles).
            (doc(json!([unknown_key]), None), "x-profiles: "),
            (doc(json!([]), None), "x-profiles: "),
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
