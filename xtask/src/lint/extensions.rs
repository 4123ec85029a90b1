//! Every `x-` extension key of a spec must be a known one, documented in
//! `specs/EXTENSIONS.md`: an unknown key (a typo such as `x-pagin`, or an extension nobody
//! reads) is an error, wherever it is (document, info, operations, parameters, schemas,
//! responses, security schemes). Keys of name maps (`properties`, `headers`, `schemas`, ...)
//! are names, not extensions, and example and default values are data: neither is checked.

use serde_json::Value;

/// The known extension keys; each has a section in `specs/EXTENSIONS.md` (tested).
pub const KNOWN: &[&str] = &[
    "x-profiles",
    "x-acs-action",
    "x-acs-version",
    "x-acs-signature-type",
    "x-disabled-upstream",
    "x-paging",
    "x-waiters",
    "x-error",
    "x-rule",
    "x-minimum",
    "x-server-support",
    "x-conflicts",
];

/// Members whose keys are names (of properties, headers, schemas, ...), not keywords.
const NAME_MAPS: &[&str] = &[
    "paths",
    "properties",
    "patternProperties",
    "headers",
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "securitySchemes",
    "examples",
    "links",
    "callbacks",
    "content",
    "encoding",
    "variables",
    "mapping",
    "scopes",
];

/// Members whose values are data (examples, defaults, enumerations).
const DATA: &[&str] = &["example", "value", "default", "enum"];

/// Pushes one problem per unknown `x-` key of `doc`, naming its JSON pointer.
pub fn check(doc: &Value, problems: &mut Vec<String>) {
    each_keyword(doc, &mut |at, key, _| {
        if key.starts_with("x-") && !KNOWN.contains(&key) {
            problems.push(format!(
                "{at}: unknown extension `{key}` (known: {}; document new ones in specs/EXTENSIONS.md)",
                KNOWN.join(", ")
            ));
        }
    });
}

/// Calls `visit(pointer, key, member)` for every keyword of `doc` (every object key that is
/// neither a name in a name map nor inside data), with its JSON pointer. The members of
/// `x-` extensions and of data keys are not walked into.
pub(crate) fn each_keyword<'a>(doc: &'a Value, visit: &mut dyn FnMut(&str, &'a str, &'a Value)) {
    walk(doc, "", false, visit);
}

fn walk<'a>(
    value: &'a Value,
    pointer: &str,
    names: bool,
    visit: &mut dyn FnMut(&str, &'a str, &'a Value),
) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{i}"), false, visit);
            }
        }
        Value::Object(map) => {
            for (key, member) in map {
                let at = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                if names {
                    walk(member, &at, false, visit);
                    continue;
                }
                visit(&at, key, member);
                if !key.starts_with("x-") && !DATA.contains(&key.as_str()) {
                    walk(member, &at, NAME_MAPS.contains(&key.as_str()), visit);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(doc: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        check(doc, &mut problems);
        problems
    }

    #[test]
    fn unknown_keys_are_reported_at_every_level() {
        let doc = json!({
            "x-bogus-doc": 1,
            "info": {"x-acs-version": "1"},
            "paths": {"/a": {"get": {
                "x-acs-action": "A",
                "x-bogus-op": true,
                "parameters": [{"name": "p", "in": "query", "x-bogus-param": 1,
                                "schema": {"type": "integer", "x-minimum": 1}}],
                "responses": {"200": {"description": "ok", "x-bogus-response": 1,
                    "headers": {"x-acs-retry-after": {"schema": {"type": "integer"}}}}}
            }}},
            "components": {"schemas": {"S": {"type": "object", "x-bogus-schema": 1,
                "properties": {"x-name": {"type": "string", "x-rule": "words",
                    "example": {"x-data": 1}}}}}}
        });
        let found = problems(&doc);
        for (pointer, key) in [
            ("/x-bogus-doc", "x-bogus-doc"),
            ("/paths/~1a/get/x-bogus-op", "x-bogus-op"),
            ("/paths/~1a/get/parameters/0/x-bogus-param", "x-bogus-param"),
            (
                "/paths/~1a/get/responses/200/x-bogus-response",
                "x-bogus-response",
            ),
            ("/components/schemas/S/x-bogus-schema", "x-bogus-schema"),
        ] {
            assert!(
                found
                    .iter()
                    .any(|p| p.starts_with(&format!("{pointer}: unknown extension `{key}`"))),
                "{pointer} not reported in {found:?}"
            );
        }
        assert_eq!(found.len(), 5, "{found:?}");
    }

    #[test]
    fn the_specs_use_only_known_keys() {
        let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs");
        let mut seen = 0;
        for entry in std::fs::read_dir(specs).expect("specs/ is readable") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let doc: Value = serde_yaml::from_str(&text).expect("yaml");
                assert_eq!(problems(&doc), Vec::<String>::new(), "{}", path.display());
                seen += 1;
            }
        }
        assert_eq!(seen, 3);
    }

    #[test]
    fn every_known_key_is_documented() {
        let docs = include_str!("../../../specs/EXTENSIONS.md");
        for key in KNOWN {
            assert!(
                docs.lines()
                    .any(|l| l.starts_with("## ") && l.contains(&format!("`{key}`"))),
                "{key} has no section in specs/EXTENSIONS.md"
            );
        }
    }
}
