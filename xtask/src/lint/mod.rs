//! Lints every spec must pass before anything is generated from it:
//!
//! - it is OpenAPI 3.0.x (progenitor rejects 3.1);
//! - every operation has a unique `operationId`;
//! - every operation has a JSON success response with a schema and at least one error
//!   response with a schema, and no `default` response (progenitor treats `default` as a
//!   success, which would merge error bodies into the success type);
//! - every `example`, `examples.*.value` and `examples.*.externalValue` fits its schema, and
//!   every file under `specs/examples/<crate>/` is referenced by its spec;
//! - every `$ref` resolves and every component schema is used;
//! - `x-paging` and `x-waiters` are well formed and name what exists ([`paging`]);
//! - every `pattern` is in the portable subset of ECMA-262 (`snapshots_runtime::pattern`)
//!   and compiles in regex-lite and regress ([`patterns`]).

pub mod extensions;
pub mod paging;
pub mod patterns;
pub mod schema;
pub mod tests_registered;

use crate::spec::Spec;
use schema::Validator;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every problem found in `spec`, as readable lines; empty when the spec is clean.
/// `examples_dir` is the folder whose files must all be referenced from the spec.
pub fn lint(spec: &Spec, examples_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = &spec.raw;
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !version.starts_with("3.0.") {
        problems.push(format!("openapi is {version:?}; progenitor needs 3.0.x"));
    }
    operations(doc, &mut problems);
    let referenced = examples(spec, &mut problems);
    orphan_example_files(examples_dir, spec.dir(), &referenced, &mut problems);
    references(doc, &mut problems);
    paging::check(doc, &mut problems);
    extensions::check(doc, &mut problems);
    patterns::check(doc, &mut problems);
    problems.extend(crate::glue::errors::lint(doc));
    problems.extend(crate::glue::support::lint(doc));
    problems
}

/// Calls `f(path, method, operation)` for every operation of the document.
pub fn each_operation<'a>(doc: &'a Value, mut f: impl FnMut(&'a str, &'a str, &'a Value)) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if METHODS.contains(&method.as_str()) {
                f(path, method, op);
            }
        }
    }
}

fn operations(doc: &Value, problems: &mut Vec<String>) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    each_operation(doc, |path, method, op| {
        let here = format!("{} {path}", method.to_uppercase());
        match op.get("operationId").and_then(Value::as_str) {
            None => problems.push(format!("{here}: no operationId")),
            Some(id) => {
                if let Some(other) = seen.insert(id, here.clone()) {
                    problems.push(format!(
                        "{here}: operationId {id:?} is also used by {other}"
                    ));
                }
            }
        }
        let responses = op.get("responses").and_then(Value::as_object);
        let responses = responses
            .map(|r| r.iter().collect::<Vec<_>>())
            .unwrap_or_default();
        if responses
            .iter()
            .any(|(status, _)| status.as_str() == "default")
        {
            problems.push(format!(
                "{here}: `default` response (use explicit codes or 4XX/5XX)"
            ));
        }
        let schema_of = |response: &Value| {
            response
                .pointer("/content/application~1json/schema")
                .cloned()
        };
        let success = responses.iter().filter(|(s, _)| s.starts_with('2'));
        // A success is typed by its JSON schema, or bodiless (no `content` at all: a 204).
        let bodiless = |r: &Value| r.get("content").is_none();
        let all_bodiless = success.clone().count() > 0 && success.clone().all(|(_, r)| bodiless(r));
        if !all_bodiless && !success.clone().any(|(_, r)| schema_of(r).is_some()) {
            problems.push(format!(
                "{here}: no 2xx response with an application/json schema"
            ));
        }
        let typed: BTreeSet<String> = success
            .filter_map(|(_, r)| schema_of(r))
            .map(|s| s.to_string())
            .collect();
        if typed.len() > 1 {
            problems.push(format!(
                "{here}: 2xx responses have different schemas; progenitor needs one"
            ));
        }
        let errors = responses
            .iter()
            .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'));
        let mut any_error = false;
        for (status, response) in errors {
            any_error = true;
            if schema_of(response).is_none() {
                problems.push(format!(
                    "{here}: error response {status} has no application/json schema"
                ));
            }
        }
        if !any_error {
            problems.push(format!("{here}: no error response (4xx/5xx) is described"));
        }
    });
}

/// Checks every example against its schema; returns the `externalValue` files it read.
fn examples(spec: &Spec, problems: &mut Vec<String>) -> BTreeSet<String> {
    let mut external = BTreeSet::new();
    // (where, schema, example) triples, validated after the walk.
    let mut pending: Vec<(String, &Value, Value)> = Vec::new();
    walk(&spec.raw, "#", &mut |at, node| {
        let Some(obj) = node.as_object() else { return };
        // A media type or a parameter: `schema` beside `example`/`examples`.
        if let Some(schema) = obj.get("schema") {
            if let Some(example) = obj.get("example") {
                pending.push((at.to_owned(), schema, example.clone()));
            }
            for (name, example) in obj
                .get("examples")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let at = format!("{at}/examples/{name}");
                if let Some(value) = example.get("value") {
                    pending.push((at.clone(), schema, value.clone()));
                }
                if let Some(file) = example.get("externalValue").and_then(Value::as_str) {
                    external.insert(file.to_owned());
                    match read_json(&spec.dir().join(file)) {
                        Ok(value) => pending.push((format!("{at} ({file})"), schema, value)),
                        Err(e) => problems.push(format!("{at}: externalValue {file}: {e}")),
                    }
                }
            }
        }
        // A schema object with its own `example` or `default`.
        let is_schema =
            obj.contains_key("type") || obj.contains_key("oneOf") || obj.contains_key("$ref");
        if is_schema && !obj.contains_key("schema") {
            for key in ["example", "default"] {
                if let Some(value) = obj.get(key) {
                    pending.push((format!("{at}/{key}"), node, value.clone()));
                }
            }
        }
    });
    let validator = Validator::new(&spec.raw);
    for (at, schema, value) in pending {
        for e in validator.errors(schema, &value) {
            problems.push(format!("{at}: example does not fit its schema: {e}"));
        }
    }
    external
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn orphan_example_files(
    dir: &Path,
    spec_dir: &Path,
    referenced: &BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    for file in files {
        let relative = file
            .strip_prefix(spec_dir)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if !referenced.contains(&relative) {
            problems.push(format!(
                "{relative}: example file is not referenced by any externalValue"
            ));
        }
    }
}

fn references(doc: &Value, problems: &mut Vec<String>) {
    let validator = Validator::new(doc);
    let mut unresolved = BTreeSet::new();
    // Refs reachable from everything outside components/schemas, then transitively.
    let mut reached = BTreeSet::new();
    let mut queue = Vec::new();
    walk(doc, "#", &mut |at, node| {
        if at.starts_with("#/components/schemas/") {
            return;
        }
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            queue.push(r.to_owned());
        }
    });
    while let Some(r) = queue.pop() {
        if !reached.insert(r.clone()) {
            continue;
        }
        match validator.resolve(&r) {
            None => {
                unresolved.insert(r);
            }
            Some(target) => walk(target, &r, &mut |_, node| {
                if let Some(inner) = node.get("$ref").and_then(Value::as_str) {
                    queue.push(inner.to_owned());
                }
            }),
        }
    }
    for r in unresolved {
        problems.push(format!("$ref {r} does not resolve"));
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for name in schemas.into_iter().flatten().map(|(name, _)| name) {
        let r = format!("#/components/schemas/{name}");
        if !reached.contains(&r) {
            problems.push(format!("{r} is never used"));
        }
    }
}

/// Visits every node of `value` with its JSON-pointer-like location.
fn walk<'a>(value: &'a Value, at: &str, f: &mut impl FnMut(&str, &'a Value)) {
    f(at, value);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                walk(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    f,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_of(raw: Value) -> Spec {
        Spec {
            path: "specs/test.yaml".into(),
            raw,
        }
    }

    fn good() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "x-error": {"api": "T", "schema": "Error", "code": ["Code"], "message": ["Code"],
                        "request-id": ["Code"], "request-id-header": "x-request-id",
                        "auth-codes": [], "throttling-codes": [], "not-found-codes": []},
            "paths": {"/things/{id}": {"get": {
                "operationId": "GetThing",
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "string", "pattern": "^t-"}, "example": "t-1"}],
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"},
                        "example": {"id": "t-1"}}}},
                    "4XX": {"description": "error", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            }}},
            "components": {"schemas": {
                "Thing": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                "Error": {"type": "object", "properties": {"Code": {"type": "string"}}}
            }}
        })
    }

    #[test]
    fn a_clean_spec_has_no_problems() {
        assert_eq!(
            lint(&spec_of(good()), Path::new("/nonexistent")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn finds_each_kind_of_problem() {
        let mut doc = good();
        doc["openapi"] = json!("3.1.0");
        doc["paths"]["/things/{id}"]["get"]["parameters"][0]["example"] = json!("x-1");
        doc["paths"]["/things/{id}"]["delete"] = json!({
            "operationId": "GetThing",
            "responses": {"default": {"description": "d"}}
        });
        doc["components"]["schemas"]["Unused"] = json!({"type": "string"});
        let problems = lint(&spec_of(doc), Path::new("/nonexistent")).join("\n");
        for needle in [
            "progenitor needs 3.0.x",
            "does not match",
            "is also used by",
            "`default` response",
            "no 2xx response",
            "Unused is never used",
        ] {
            assert!(
                problems.contains(needle),
                "{needle:?} not found in:\n{problems}"
            );
        }
    }

    /// A bodiless 204 is a typed success (`()`); a 2xx whose body is not JSON is not.
    #[test]
    fn a_bodiless_success_is_enough() {
        let mut doc = good();
        doc["paths"]["/things/{id}"]["delete"] = json!({
            "operationId": "DeleteThing",
            "responses": {"204": {"description": "gone"},
                          "404": {"description": "no", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
        });
        let clean = lint(&spec_of(doc.clone()), Path::new("/nonexistent")).join("\n");
        assert!(!clean.contains("no 2xx response"), "{clean}");
        doc["paths"]["/things/{id}"]["delete"]["responses"]["204"]["content"] =
            json!({"text/plain": {"schema": {"type": "string"}}});
        let problems = lint(&spec_of(doc), Path::new("/nonexistent")).join("\n");
        assert!(problems.contains("no 2xx response"), "{problems}");
    }

    #[test]
    fn unresolved_refs_are_reported() {
        let mut doc = good();
        doc["components"]["schemas"]["Thing"]["properties"]["id"] =
            json!({"$ref": "#/components/schemas/Nope"});
        let problems = lint(&spec_of(doc), Path::new("/nonexistent")).join("\n");
        assert!(problems.contains("Nope does not resolve"), "{problems}");
    }
}
