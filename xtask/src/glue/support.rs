//! `x-server-support` (query parameters) and `x-conflicts` (operations), see
//! `specs/EXTENSIONS.md`: what the real server does with a parameter the spec documents, and
//! which of an operation's answers mean a conflict whatever their status. [`lint`] checks
//! both; [`render`] writes, per operation that has any, a `<OPERATION>_QUERY` table of
//! `snapshots_runtime::query::QueryRule` and a `<OPERATION>_CONFLICTS` table of
//! `snapshots_runtime::conflict::Conflict`; [`row_suffix`] attaches them to the operation's
//! row of the `OPERATIONS` table, where the runtime applies them.

use serde_json::{Map, Value};

use crate::lint::paging::resolve;

/// The keys of `x-server-support`.
const SUPPORT_KEYS: &[&str] = &["honoured", "evidence", "client-side"];
/// The keys of `client-side`.
const CLIENT_SIDE_KEYS: &[&str] = &["field", "compare"];
/// The keys of one `x-conflicts` entry.
const CONFLICT_KEYS: &[&str] = &["status", "code", "message", "evidence"];
/// The comparisons of `client-side.compare`.
const COMPARES: &[(&str, &str)] = &[
    ("at-least", "AtLeast"),
    ("at-most", "AtMost"),
    ("equal", "Equal"),
];

/// One operation's parameters (operation level and path-item level), resolved.
fn parameters<'a>(doc: &'a Value, path: &str, op: &'a Value) -> Vec<&'a Value> {
    let item = doc.pointer(&format!(
        "/paths/{}",
        path.replace('~', "~0").replace('/', "~1")
    ));
    let shared = item
        .and_then(|i| i.get("parameters"))
        .and_then(Value::as_array);
    let own = op.get("parameters").and_then(Value::as_array);
    shared
        .into_iter()
        .chain(own)
        .flatten()
        .map(|p| resolve(doc, p))
        .collect()
}

/// Every problem of the two extensions in `doc`.
pub fn lint(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    crate::lint::each_operation(doc, |path, method, op| {
        let here = format!("{} {path}", method.to_uppercase());
        for parameter in parameters(doc, path, op) {
            if let Some(x) = parameter.get("x-server-support") {
                let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
                let at = format!("{here} parameter {name}: x-server-support");
                support_problems(doc, op, parameter, x, &at, &mut problems);
            }
        }
        if let Some(x) = op.get("x-conflicts") {
            conflict_problems(op, x, &format!("{here}: x-conflicts"), &mut problems);
        }
    });
    problems
}

fn support_problems(
    doc: &Value,
    op: &Value,
    parameter: &Value,
    x: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    let Some(x) = x.as_object() else {
        problems.push(format!("{at}: not a map"));
        return;
    };
    unknown_keys(x, SUPPORT_KEYS, at, problems);
    if parameter.get("in").and_then(Value::as_str) != Some("query") {
        problems.push(format!("{at}: only on query parameters"));
    }
    if x.get("evidence")
        .and_then(Value::as_str)
        .is_none_or(|e| e.trim().is_empty())
    {
        problems.push(format!(
            "{at}.evidence: missing (the recorded exchanges that show it)"
        ));
    }
    let schema = resolve(doc, parameter.get("schema").unwrap_or(&Value::Null));
    match x.get("honoured") {
        Some(Value::Bool(true)) if x.contains_key("client-side") => {
            problems.push(format!(
                "{at}: an honoured parameter has no client-side handling"
            ));
        }
        Some(Value::Bool(_)) => {}
        Some(Value::Array(values)) => {
            let allowed = schema.get("enum").and_then(Value::as_array);
            for value in values {
                if !value.is_string() || allowed.is_some_and(|a| !a.contains(value)) {
                    problems.push(format!(
                        "{at}.honoured: {value} is not a value of the parameter"
                    ));
                }
            }
            if x.contains_key("client-side") {
                problems.push(format!(
                    "{at}: values are refused, not applied on the client"
                ));
            }
        }
        _ => problems.push(format!(
            "{at}.honoured: true, false or a list of the values honoured"
        )),
    }
    if let Some(client) = x.get("client-side") {
        client_side_problems(doc, op, client, &format!("{at}.client-side"), problems);
    }
}

fn client_side_problems(
    doc: &Value,
    op: &Value,
    client: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    let Some(client) = client.as_object() else {
        problems.push(format!("{at}: not a map"));
        return;
    };
    unknown_keys(client, CLIENT_SIDE_KEYS, at, problems);
    let compare = client
        .get("compare")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !COMPARES.iter().any(|(name, _)| *name == compare) {
        problems.push(format!("{at}.compare: one of at-least, at-most, equal"));
    }
    let Some(item) = item_schema(doc, op) else {
        problems.push(format!(
            "{at}: the operation has no x-paging items to filter"
        ));
        return;
    };
    let field = client
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if field.is_empty() || !crate::glue::errors::path_exists(doc, &item, field) {
        problems.push(format!(
            "{at}.field: no property `{field}` in the listed items"
        ));
    }
}

/// The schema of one listed item: the array at `x-paging.items` of the 200 response.
fn item_schema(doc: &Value, op: &Value) -> Option<Value> {
    let items = op.pointer("/x-paging/items")?.as_str()?;
    let mut schema = resolve(
        doc,
        op.pointer("/responses/200/content/application~1json/schema")?,
    )
    .clone();
    for member in items.split('.') {
        schema = resolve(doc, schema.pointer(&format!("/properties/{member}"))?).clone();
    }
    Some(resolve(doc, schema.get("items")?).clone())
}

fn conflict_problems(op: &Value, x: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(entries) = x.as_array().filter(|e| !e.is_empty()) else {
        problems.push(format!("{at}: not a non-empty list"));
        return;
    };
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let Some(entry) = entry.as_object() else {
            problems.push(format!("{at}: not a map"));
            continue;
        };
        unknown_keys(entry, CONFLICT_KEYS, &at, problems);
        let status = entry.get("status").and_then(Value::as_u64);
        match status {
            Some(s) if (400..600).contains(&s) => {
                if op.pointer(&format!("/responses/{s}")).is_none() {
                    problems.push(format!(
                        "{at}.status: the operation documents no {s} response"
                    ));
                }
            }
            _ => problems.push(format!("{at}.status: an error status (400-599)")),
        }
        for key in ["code", "message", "evidence"] {
            if entry
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                problems.push(format!("{at}.{key}: missing or not a text"));
            }
        }
    }
}

fn unknown_keys(x: &Map<String, Value>, known: &[&str], at: &str, problems: &mut Vec<String>) {
    for key in x.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push(format!("{at}: unknown key {key:?}"));
    }
}

/// The name of an operation's generated table: `list_snapshots`, `QUERY` -> `LIST_SNAPSHOTS_QUERY`.
fn table_name(id: &str, what: &str) -> String {
    format!("{}_{what}", id.to_uppercase())
}

/// What to append to the operation's `Operation::new(...)` row: `.with_query(..)` and
/// `.with_conflicts(..)` when it has rules.
pub fn row_suffix(doc: &Value, path: &str, id: &str, op: &Value) -> String {
    let mut suffix = String::new();
    if !query_rules(doc, path, op).is_empty() {
        suffix.push_str(&format!(".with_query({})", table_name(id, "QUERY")));
    }
    if op.get("x-conflicts").is_some() {
        suffix.push_str(&format!(".with_conflicts({})", table_name(id, "CONFLICTS")));
    }
    suffix
}

/// The rendered `QueryRule`s of an operation, each with its doc line (the evidence).
fn query_rules(doc: &Value, path: &str, op: &Value) -> Vec<(String, String)> {
    let mut rules = Vec::new();
    for parameter in parameters(doc, path, op) {
        let Some(x) = parameter.get("x-server-support") else {
            continue;
        };
        let name = parameter
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let evidence = x
            .get("evidence")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim();
        let support = match (x.get("honoured"), x.get("client-side")) {
            (Some(Value::Array(values)), _) => {
                let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                format!("Values(&{values:?})")
            }
            (Some(Value::Bool(false)), Some(client)) => client_side(doc, parameter, client),
            (Some(Value::Bool(false)), None) => "Refused".to_owned(),
            _ => continue,
        };
        rules.push((
            format!("/// - `{name}`: {}\n", evidence.replace('\n', " ")),
            format!("    snapshots_runtime::query::QueryRule {{ parameter: {name:?}, support: snapshots_runtime::query::Support::{support} }},\n"),
        ));
    }
    rules
}

fn client_side(doc: &Value, parameter: &Value, client: &Value) -> String {
    let field: Vec<&str> = client
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split('.')
        .collect();
    let compare = client
        .get("compare")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let compare = COMPARES
        .iter()
        .find(|(name, _)| *name == compare)
        .map_or("Equal", |(_, variant)| variant);
    let schema = resolve(doc, parameter.get("schema").unwrap_or(&Value::Null));
    let kind = match (
        schema.get("type").and_then(Value::as_str),
        schema.get("format").and_then(Value::as_str),
    ) {
        (_, Some("date-time")) => "DateTime",
        (Some("integer" | "number"), _) => "Number",
        _ => "Text",
    };
    format!(
        "ClientSide(snapshots_runtime::query::Filter {{ field: &{field:?}, compare: snapshots_runtime::query::Compare::{compare}, kind: snapshots_runtime::query::ValueKind::{kind} }})"
    )
}

/// The per-operation tables of the document (empty when no operation has either extension).
pub fn render(doc: &Value) -> String {
    let code_at = error_paths(doc, "code");
    let message_at = error_paths(doc, "message");
    let mut out = String::new();
    crate::lint::each_operation(doc, |path, _method, op| {
        let id = crate::generate::snake_case(
            op.get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        let rules = query_rules(doc, path, op);
        if !rules.is_empty() {
            out.push_str(&format!(
                "/// What the client does with the query parameters of `{id}` that the server does not\n\
                 /// fully honour (the spec's `x-server-support`). The evidence:\n///\n{}\
                 pub const {}: &[snapshots_runtime::query::QueryRule] = &[\n{}];\n",
                rules.iter().map(|(doc, _)| doc.as_str()).collect::<String>(),
                table_name(&id, "QUERY"),
                rules.iter().map(|(_, rule)| rule.as_str()).collect::<String>()
            ));
        }
        let conflicts: Vec<String> = op
            .get("x-conflicts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "    snapshots_runtime::conflict::Conflict {{ status: {status}, code: {code:?}, message: {message:?}, code_at: {code_at}, message_at: {message_at} }},\n",
                    status = c.get("status").and_then(Value::as_u64).unwrap_or_default(),
                    code = c.get("code").and_then(Value::as_str).unwrap_or_default(),
                    message = c.get("message").and_then(Value::as_str).unwrap_or_default(),
                )
            })
            .collect();
        let evidence: String = op
            .get("x-conflicts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("evidence").and_then(Value::as_str))
            .map(|e| format!("/// - {}\n", e.trim().replace('\n', " ")))
            .collect();
        if !conflicts.is_empty() {
            out.push_str(&format!(
                "/// The answers of `{id}` that mean a conflict whatever their status (the spec's\n\
                 /// `x-conflicts`): never retried, reported as a conflict. The evidence:\n///\n{evidence}\
                 pub const {}: &[snapshots_runtime::conflict::Conflict] = &[\n{}];\n",
                table_name(&id, "CONFLICTS"),
                conflicts.concat()
            ));
        }
    });
    out
}

/// The `x-error` paths of `key` as a Rust literal (`&[&["error", "code"]]`).
fn error_paths(doc: &Value, key: &str) -> String {
    let paths: Vec<String> = doc
        .pointer(&format!("/x-error/{key}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|p| format!("&{:?}", p.split('.').collect::<Vec<_>>()))
        .collect();
    format!("&[{}]", paths.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(support: Value, conflicts: Value) -> Value {
        json!({
            "x-error": {"code": ["error.code"], "message": ["error.message"]},
            "paths": {"/things": {
                "get": {
                    "operationId": "list_things",
                    "x-paging": {"items": "data"},
                    "parameters": [
                        {"name": "after", "in": "query", "schema": {"type": "string", "format": "date-time"}, "x-server-support": support},
                        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]},
                         "x-server-support": {"honoured": ["a"], "evidence": "line 3"}}
                    ],
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                        "data": {"type": "array", "items": {"type": "object", "properties": {"created_at": {"type": "string"}}}}}}}}}}
                },
                "delete": {"operationId": "delete_thing", "x-conflicts": conflicts, "responses": {"500": {}}}
            }}
        })
    }

    fn good() -> Value {
        doc(
            json!({"honoured": false, "evidence": "captures-2 line 15", "client-side": {"field": "created_at", "compare": "at-least"}}),
            json!([{"status": 500, "code": "INTERNAL_ERROR", "message": "An unexpected error occurred", "evidence": "line 58"}]),
        )
    }

    #[test]
    fn a_good_document_renders_both_tables() {
        let doc = good();
        assert_eq!(lint(&doc), Vec::<String>::new());
        let code = render(&doc);
        assert!(code.contains("pub const LIST_THINGS_QUERY"), "{code}");
        assert!(code.contains("ValueKind::DateTime"), "{code}");
        assert!(code.contains("Values(&[\"a\"])"), "{code}");
        assert!(code.contains("pub const DELETE_THING_CONFLICTS"), "{code}");
        syn::parse_str::<syn::File>(&code).expect("parses");
        let get = doc.pointer("/paths/~1things/get").expect("get");
        assert_eq!(
            row_suffix(&doc, "/things", "list_things", get),
            ".with_query(LIST_THINGS_QUERY)"
        );
    }

    #[test]
    fn bad_declarations_are_refused() {
        let cases = [
            (
                json!({"honoured": false, "client-side": {"field": "created_at", "compare": "at-least"}}),
                "evidence",
            ),
            (
                json!({"honoured": false, "evidence": "e", "client-side": {"field": "nope", "compare": "at-least"}}),
                "no property `nope`",
            ),
            (
                json!({"honoured": false, "evidence": "e", "client-side": {"field": "created_at", "compare": "around"}}),
                "compare",
            ),
            (json!({"honoured": "maybe", "evidence": "e"}), "honoured"),
            (
                json!({"honoured": true, "evidence": "e", "colour": 1}),
                "unknown key",
            ),
        ];
        for (support, needle) in cases {
            let problems = lint(&doc(
                support,
                json!([{"status": 500, "code": "C", "message": "m", "evidence": "e"}]),
            ))
            .join("\n");
            assert!(problems.contains(needle), "{needle}: {problems}");
        }
        let problems = lint(&doc(
            json!({"honoured": true, "evidence": "e"}),
            json!([{"status": 503, "code": "C", "message": "m"}]),
        ))
        .join("\n");
        assert!(
            problems.contains("documents no 503") && problems.contains("evidence"),
            "{problems}"
        );
    }
}
