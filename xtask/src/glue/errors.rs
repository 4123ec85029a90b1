//! `x-error` (document level, see `specs/EXTENSIONS.md`): where an API's error body keeps its
//! code, message, request id and details, and which service codes mean an authentication
//! failure, throttling or a missing resource. [`lint`] checks the extension against the
//! spec; [`render`] writes the generated crate's `ERROR_SHAPE` and its
//! `snapshots_runtime::error_shape::ErrorBody` impl for the error body type.

use anyhow::{bail, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::hooks::ResponseTypes;

/// The keys `x-error` may have.
const KEYS: &[&str] = &[
    "api",
    "schema",
    "code",
    "message",
    "request-id",
    "request-id-header",
    "details",
    "facts",
    "auth-codes",
    "throttling-codes",
    "not-found-codes",
    "field-errors",
];

/// The keys of one `field-errors` entry.
const FIELD_ERROR_KEYS: &[&str] = &["at", "location", "message", "type"];

/// Every problem of the document's `x-error`, as readable lines.
pub fn lint(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(x) = doc.get("x-error").and_then(Value::as_object) else {
        return vec![
            "x-error: missing (where the error body keeps its code, message and request id)"
                .to_owned(),
        ];
    };
    for key in x.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        problems.push(format!("x-error: unknown key {key:?}"));
    }
    for key in ["api", "request-id-header"] {
        if text(x, key).is_none() {
            problems.push(format!("x-error.{key}: missing or not a text"));
        }
    }
    let Some(schema) = text(x, "schema") else {
        problems.push("x-error.schema: missing or not a text".to_owned());
        return problems;
    };
    let Some(root) = doc.pointer(&format!("/components/schemas/{schema}")) else {
        problems.push(format!(
            "x-error.schema: no schema {schema:?} in components.schemas"
        ));
        return problems;
    };
    for key in ["code", "message", "request-id"] {
        paths_problems(
            doc,
            root,
            x.get(key),
            &format!("x-error.{key}"),
            true,
            &mut problems,
        );
    }
    paths_problems(
        doc,
        root,
        x.get("details"),
        "x-error.details",
        false,
        &mut problems,
    );
    match x.get("facts") {
        None => {}
        Some(Value::Object(facts)) => {
            for (name, paths) in facts {
                paths_problems(
                    doc,
                    root,
                    Some(paths),
                    &format!("x-error.facts.{name}"),
                    true,
                    &mut problems,
                );
            }
        }
        Some(_) => problems.push("x-error.facts: not a map of fact name to paths".to_owned()),
    }
    field_error_problems(doc, root, x.get("field-errors"), &mut problems);
    for key in ["auth-codes", "throttling-codes", "not-found-codes"] {
        if strings(x.get(key)).is_none() {
            problems.push(format!("x-error.{key}: missing or not a list of texts"));
        }
    }
    problems
}

/// Problems of one list of property paths: each must exist in the error body schema.
fn paths_problems(
    doc: &Value,
    root: &Value,
    value: Option<&Value>,
    key: &str,
    required: bool,
    problems: &mut Vec<String>,
) {
    let Some(paths) = strings(value) else {
        if required || value.is_some() {
            problems.push(format!("{key}: missing or not a list of property paths"));
        }
        return;
    };
    for path in paths {
        if !path_exists(doc, root, &path) {
            problems.push(format!(
                "{key}: no property `{path}` in the error body schema"
            ));
        }
    }
}

/// Problems of `field-errors`: a list of `{at, location, message?, type?}`, `at` a path of
/// the error body that exists or continues into a free-form object (`error.details.errors`).
fn field_error_problems(
    doc: &Value,
    root: &Value,
    value: Option<&Value>,
    problems: &mut Vec<String>,
) {
    let Some(value) = value else { return };
    let Some(entries) = value.as_array() else {
        problems.push("x-error.field-errors: not a list".to_owned());
        return;
    };
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("x-error.field-errors[{i}]");
        let Some(entry) = entry.as_object() else {
            problems.push(format!("{at}: not a map"));
            continue;
        };
        for key in entry
            .keys()
            .filter(|k| !FIELD_ERROR_KEYS.contains(&k.as_str()))
        {
            problems.push(format!("{at}: unknown key {key:?}"));
        }
        for key in FIELD_ERROR_KEYS {
            let required = matches!(*key, "at" | "location");
            match entry.get(*key) {
                Some(Value::String(text)) if !text.is_empty() => {}
                None if !required => {}
                _ => problems.push(format!("{at}.{key}: missing or not a property path")),
            }
        }
        let path = entry.get("at").and_then(Value::as_str).unwrap_or_default();
        if !path.is_empty() && !path_reaches(doc, root, path) {
            problems.push(format!(
                "{at}.at: no property `{path}` in the error body schema"
            ));
        }
    }
}

/// Whether `path` exists in `schema`, or a prefix of it does and is a free-form object
/// (no `properties`), into which the rest may go.
fn path_reaches(doc: &Value, schema: &Value, path: &str) -> bool {
    let members: Vec<&str> = path.split('.').collect();
    (1..=members.len()).rev().any(|n| {
        let prefix = members[..n].join(".");
        path_exists(doc, schema, &prefix)
            && (n == members.len() || free_form(doc, schema, &members[..n]))
    })
}

/// Whether some schema at `members` has no `properties` (a free-form object).
fn free_form(doc: &Value, schema: &Value, members: &[&str]) -> bool {
    let mut current = vec![schema.clone()];
    for member in members {
        current = current
            .iter()
            .flat_map(|s| branches(doc, s, 0))
            .filter_map(|s| s.pointer(&format!("/properties/{member}")).cloned())
            .collect();
    }
    current.iter().flat_map(|s| branches(doc, s, 0)).any(|s| {
        s.get("properties").is_none() && s.get("type").and_then(Value::as_str) != Some("string")
    })
}

/// Whether the dotted `path` leads to a property of `schema` (through `$ref`s and any
/// branch of `oneOf`/`anyOf`/`allOf`).
pub fn path_exists(doc: &Value, schema: &Value, path: &str) -> bool {
    let mut current = vec![schema.clone()];
    for member in path.split('.') {
        current = current
            .iter()
            .flat_map(|s| branches(doc, s, 0))
            .filter_map(|s| s.pointer(&format!("/properties/{member}")).cloned())
            .collect();
        if current.is_empty() {
            return false;
        }
    }
    true
}

/// `schema` with its `$ref` resolved, and the branches of its compositions, flattened.
fn branches(doc: &Value, schema: &Value, depth: usize) -> Vec<Value> {
    if depth > 16 {
        return Vec::new();
    }
    let schema = resolve(doc, schema);
    let mut out = vec![schema.clone()];
    for key in ["oneOf", "anyOf", "allOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(branches(doc, branch, depth + 1));
        }
    }
    out
}

/// `schema` with a local `$ref` followed (repeatedly; [`crate::lint::paging::resolve`]),
/// owned; itself otherwise.
pub fn resolve(doc: &Value, schema: &Value) -> Value {
    crate::lint::paging::resolve(doc, schema).clone()
}

fn text<'a>(x: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    x.get(key).and_then(Value::as_str)
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The generated `ERROR_SHAPE`, `RULES`-carrying `ErrorBody` impl of the crate. Fails when
/// an operation's error type is not the `x-error` schema's type (the conversion would not
/// apply to it).
pub fn render(doc: &Value, types: &BTreeMap<String, ResponseTypes>) -> Result<String> {
    let problems = lint(doc);
    if !problems.is_empty() {
        bail!("x-error: {}", problems.join("; "));
    }
    let x = doc
        .get("x-error")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let schema = text(&x, "schema").unwrap_or_default();
    let body_type = format!("types::{schema}");
    let other: Vec<&String> = types
        .iter()
        .filter(|(_, t)| t.error != "()" && t.error != body_type)
        .map(|(id, _)| id)
        .collect();
    if !other.is_empty() {
        bail!(
            "x-error.schema is {schema}, but these operations have another error type: {other:?}"
        );
    }
    let paths = |key: &str| paths_literal(&strings(x.get(key)).unwrap_or_default());
    let codes = |key: &str| format!("&{:?}", strings(x.get(key)).unwrap_or_default());
    let facts: String = x
        .get("facts")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, p)| {
            format!(
                "({name:?}, {}), ",
                paths_literal(&strings(Some(p)).unwrap_or_default())
            )
        })
        .collect();
    Ok(format!(
        "/// Where [`{body_type}`] keeps its code, message, request id and details, and what its\n\
         /// service codes mean (from the spec's `x-error`).\n\
         pub const ERROR_SHAPE: snapshots_runtime::error_shape::ErrorShape = snapshots_runtime::error_shape::ErrorShape {{\n\
         api: {api:?}, schema: {schema:?}, code: {code}, message: {message}, request_id: {request_id},\n\
         request_id_header: {header:?}, details: {details}, facts: &[{facts}],\n\
         auth_codes: {auth}, throttling_codes: {throttling}, not_found_codes: {not_found},\n\
         field_errors: &[{field_errors}],\n}};\n\n\
         impl snapshots_runtime::error_shape::ErrorBody for {body_type} {{\n\
         const SHAPE: &'static snapshots_runtime::error_shape::ErrorShape = &ERROR_SHAPE;\n\
         const RULES: &'static [snapshots_runtime::rules::Rule] = RULES;\n}}\n",
        api = text(&x, "api").unwrap_or_default(),
        code = paths("code"),
        message = paths("message"),
        request_id = paths("request-id"),
        header = text(&x, "request-id-header").unwrap_or_default(),
        details = paths("details"),
        auth = codes("auth-codes"),
        throttling = codes("throttling-codes"),
        not_found = codes("not-found-codes"),
        field_errors = field_errors_literal(x.get("field-errors")),
    ))
}

/// The `field-errors` entries as `FieldErrorPaths` literals.
fn field_errors_literal(value: Option<&Value>) -> String {
    let path = |entry: &Value, key: &str| -> String {
        let members: Vec<&str> = entry
            .get(key)
            .and_then(Value::as_str)
            .map(|p| p.split('.').collect())
            .unwrap_or_default();
        format!("&{members:?}")
    };
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| {
            format!(
                "snapshots_runtime::error_shape::FieldErrorPaths {{ at: {}, location: {}, message: {}, kind: {} }}, ",
                path(entry, "at"),
                path(entry, "location"),
                path(entry, "message"),
                path(entry, "type")
            )
        })
        .collect()
}

/// `["error.code", "detail"]` as `&[&["error", "code"], &["detail"]]`.
fn paths_literal(paths: &[String]) -> String {
    let items: Vec<String> = paths
        .iter()
        .map(|p| format!("&{:?}", p.split('.').collect::<Vec<_>>()))
        .collect();
    format!("&[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(x: Value) -> Value {
        json!({
            "x-error": x,
            "components": {"schemas": {
                "Body": {"oneOf": [{"$ref": "#/components/schemas/Env"}, {"$ref": "#/components/schemas/Det"}]},
                "Env": {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}}}}},
                "Det": {"type": "object", "properties": {"detail": {"type": "string"}}}
            }}
        })
    }

    fn good() -> Value {
        json!({"api": "T", "schema": "Body", "code": ["error.code"], "message": ["detail"],
               "request-id": ["detail"], "request-id-header": "x-request-id",
               "auth-codes": ["A"], "throttling-codes": [], "not-found-codes": []})
    }

    #[test]
    fn a_good_extension_is_clean_and_renders() {
        assert_eq!(lint(&doc(good())), Vec::<String>::new());
        let code = render(&doc(good()), &BTreeMap::new()).expect("renders");
        assert!(code.contains("code: &[&[\"error\", \"code\"]]"), "{code}");
        syn::parse_str::<syn::File>(&code.replace("types::Body", "Body")).expect("parses");
    }

    #[test]
    fn unknown_keys_missing_schemas_and_paths_are_refused() {
        let mut x = good();
        x["colour"] = json!("blue");
        assert!(lint(&doc(x))
            .iter()
            .any(|p| p.contains("unknown key \"colour\"")));
        let mut x = good();
        x["schema"] = json!("Nope");
        assert!(lint(&doc(x))
            .iter()
            .any(|p| p.contains("no schema \"Nope\"")));
        let mut x = good();
        x["code"] = json!(["error.kode"]);
        assert!(lint(&doc(x))
            .iter()
            .any(|p| p.contains("no property `error.kode`")));
        assert!(!lint(&json!({})).is_empty());
    }

    #[test]
    fn field_errors_are_checked_and_rendered() {
        let mut x = good();
        x["field-errors"] = json!([{"at": "error.details.errors", "location": "field", "message": "message", "type": "type"}]);
        let mut d = doc(x.clone());
        d["components"]["schemas"]["Env"]["properties"]["error"]["properties"]["details"] =
            json!({"type": "object"});
        assert_eq!(lint(&d), Vec::<String>::new());
        let code = render(&d, &BTreeMap::new()).expect("renders");
        assert!(
            code.contains("at: &[\"error\", \"details\", \"errors\"]"),
            "{code}"
        );
        x["field-errors"] =
            json!([{"at": "error.nope.errors", "location": "field", "colour": "x"}]);
        let problems = lint(&doc(x)).join("\n");
        assert!(
            problems.contains("no property `error.nope.errors`") && problems.contains("colour"),
            "{problems}"
        );
    }

    #[test]
    fn another_error_type_fails_generation() {
        let types = BTreeMap::from([(
            "op".to_owned(),
            ResponseTypes {
                success: "()".into(),
                error: "types::Other".into(),
            },
        )]);
        assert!(render(&doc(good()), &types).is_err());
    }

    /// Every spec of the workspace has a clean `x-error`.
    #[test]
    fn the_workspace_specs_are_clean() {
        let root = crate::spec::workspace_root();
        for api in crate::apis::APIS {
            let spec = crate::spec::Spec::load(&root.join(api.spec)).expect("loads");
            assert_eq!(lint(&spec.raw), Vec::<String>::new(), "{}", api.spec);
        }
    }
}
