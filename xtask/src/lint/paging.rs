//! Lints of the `x-paging` and `x-waiters` extensions (see `specs/EXTENSIONS.md`):
//!
//! - every list operation (an `operationId` starting with `list`/`List`, or a success
//!   response that is an array, or an object with an array property when the operation has
//!   a paging-like query parameter) has `x-paging`;
//! - `x-paging` names request parameters of its operation and response properties of its
//!   success schema, `items` being an array of a component schema;
//! - each `x-waiters` entry names its operation's parameters and response properties, lists
//!   status values the status schema allows (when it is an enum, or an open enum over one),
//!   no value twice, and a progress operation that exists and takes the same parameters;
//! - the names of the waiters of a spec are unique; unknown keys are refused (by the parser,
//!   `glue::paging_model`).

use super::each_operation;
use crate::glue::paging_model::{self, Paging, Waiter};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Query parameter names (lower case) that make an operation returning an array page a list.
const PAGING_PARAMETERS: &[&str] = &[
    "pagenumber",
    "page",
    "nexttoken",
    "offset",
    "maxresults",
    "pagesize",
    "limit",
    "cursor",
];

/// Adds every `x-paging`/`x-waiters` problem of `doc` to `problems`.
pub fn check(doc: &Value, problems: &mut Vec<String>) {
    let mut ops: BTreeMap<&str, (&str, &Value)> = BTreeMap::new();
    each_operation(doc, |path, _, op| {
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            ops.insert(id, (path, op));
        }
    });
    let mut names = BTreeSet::new();
    for (id, (path, op)) in &ops {
        let at = format!("operation {id}");
        match op.get("x-paging") {
            Some(value) => match paging_model::paging(value, &at) {
                Ok(paging) => check_paging(doc, path, op, &paging, &at, problems),
                Err(mut more) => problems.append(&mut more),
            },
            None if is_list(doc, path, op, id) => {
                problems.push(format!("{at}: a list operation without x-paging"));
            }
            None => {}
        }
        let Some(value) = op.get("x-waiters") else {
            continue;
        };
        match paging_model::waiters(value, &at) {
            Ok(waiters) => {
                for waiter in waiters {
                    let here = format!("{at}: waiter {}", waiter.name);
                    if !names.insert(waiter.name.clone()) {
                        problems.push(format!("{here}: the name is used twice"));
                    }
                    check_waiter(doc, &ops, (path, op), &waiter, &here, problems);
                }
            }
            Err(mut more) => problems.append(&mut more),
        }
    }
}

fn is_list(doc: &Value, path: &str, op: &Value, id: &str) -> bool {
    if id.starts_with("list") || id.starts_with("List") {
        return true;
    }
    let Some(schema) = success_schema(op).map(|s| resolve(doc, s)) else {
        return false;
    };
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        return true;
    }
    let has_array = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|props| {
            props
                .values()
                .any(|p| resolve(doc, p).get("type").and_then(Value::as_str) == Some("array"))
        });
    has_array
        && parameters(doc, path, op)
            .keys()
            .any(|name| PAGING_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()))
}

fn check_paging(
    doc: &Value,
    path: &str,
    op: &Value,
    paging: &Paging,
    at: &str,
    problems: &mut Vec<String>,
) {
    let params = parameters(doc, path, op);
    for (role, name) in &paging.params {
        if !params.contains_key(name.as_str()) {
            problems.push(format!(
                "{at}: x-paging `{role}` names {name:?}, not a parameter of the operation"
            ));
        }
    }
    let Some(schema) = success_schema(op) else {
        return;
    };
    let optional = [
        ("total", &paging.total),
        ("next-token", &paging.next_token),
        ("response-offset", &paging.response_offset),
    ];
    for (role, property) in optional
        .into_iter()
        .filter_map(|(r, p)| p.as_ref().map(|p| (r, p)))
    {
        if let Err(why) = property_at(doc, schema, property, false) {
            problems.push(format!("{at}: x-paging `{role}` {property:?}: {why}"));
        }
    }
    let items = if paging.items == paging_model::WHOLE {
        Ok(schema)
    } else {
        property_at(doc, schema, &paging.items, false)
    };
    match items {
        Err(why) => problems.push(format!("{at}: x-paging `items` {:?}: {why}", paging.items)),
        Ok(items) => {
            let items = resolve(doc, items);
            let item_ref = items.pointer("/items/$ref").and_then(Value::as_str);
            if items.get("type").and_then(Value::as_str) != Some("array") || item_ref.is_none() {
                problems.push(format!(
                    "{at}: x-paging `items` {:?} is not an array of a component schema",
                    paging.items
                ));
            }
            let item = items.get("items").map(|i| resolve(doc, i));
            if let (Some(id), Some(item)) = (&paging.id, item) {
                if !crate::glue::errors::path_exists(doc, item, id) {
                    problems.push(format!(
                        "{at}: x-paging `id` {id:?} is not a property of the items"
                    ));
                }
            }
        }
    }
}

/// The waiter's parameters are the operation's, every required one listed, and `describe`
/// names only them.
fn check_waiter_parameters(
    params: &BTreeMap<String, &Value>,
    waiter: &Waiter,
    at: &str,
    problems: &mut Vec<String>,
) {
    for name in &waiter.parameters {
        if !params.contains_key(name.as_str()) {
            problems.push(format!(
                "{at}: {name:?} is not a parameter of the operation"
            ));
        }
    }
    for (name, param) in params {
        let required = param.get("required").and_then(Value::as_bool) == Some(true);
        if required && !waiter.parameters.iter().any(|p| p == name) {
            problems.push(format!(
                "{at}: the required parameter {name:?} is not in `parameters`"
            ));
        }
    }
    for placeholder in placeholders(&waiter.describe) {
        if !waiter.parameters.contains(&placeholder) {
            problems.push(format!(
                "{at}: `describe` names {{{placeholder}}}, not one of `parameters`"
            ));
        }
    }
}

fn check_waiter(
    doc: &Value,
    ops: &BTreeMap<&str, (&str, &Value)>,
    (path, op): (&str, &Value),
    waiter: &Waiter,
    at: &str,
    problems: &mut Vec<String>,
) {
    check_waiter_parameters(&parameters(doc, path, op), waiter, at, problems);
    let Some(schema) = success_schema(op) else {
        return;
    };
    if let Some(result) = &waiter.result {
        if let Err(why) = property_at(doc, schema, result, true) {
            problems.push(format!("{at}: `result` {result:?}: {why}"));
        }
    }
    for (key, property) in [
        ("failure-code", &waiter.failure_code),
        ("failure-message", &waiter.failure_message),
    ] {
        if let Some(Err(why)) = property
            .as_ref()
            .map(|p| property_at(doc, schema, p, false))
        {
            problems.push(format!(
                "{at}: `{key}` {:?}: {why}",
                property.as_deref().unwrap_or_default()
            ));
        }
    }
    match property_at(doc, schema, &waiter.status, false) {
        Err(why) => problems.push(format!("{at}: `status` {:?}: {why}", waiter.status)),
        Ok(status) => check_values(doc, status, waiter, at, problems),
    }
    if let Some(progress) = &waiter.progress {
        check_progress(doc, ops, waiter, progress, at, problems);
    }
}

fn check_values(
    doc: &Value,
    status: &Value,
    waiter: &Waiter,
    at: &str,
    problems: &mut Vec<String>,
) {
    let allowed = enum_values(doc, status);
    let mut seen = BTreeSet::new();
    for (set, values) in [
        ("waiting", &waiter.waiting),
        ("success", &waiter.success),
        ("failure", &waiter.failure),
    ] {
        for value in values {
            if !seen.insert(value.to_ascii_lowercase()) {
                problems.push(format!("{at}: {value:?} is listed twice (`{set}`)"));
            }
            if !allowed.is_empty() && !allowed.contains(value.as_str()) {
                problems.push(format!("{at}: `{set}` value {value:?} is not allowed by the status schema ({allowed:?})"));
            }
        }
    }
}

fn check_progress(
    doc: &Value,
    ops: &BTreeMap<&str, (&str, &Value)>,
    waiter: &Waiter,
    progress: &paging_model::ProgressSpec,
    at: &str,
    problems: &mut Vec<String>,
) {
    let Some((path, op)) = ops.get(progress.operation.as_str()) else {
        problems.push(format!(
            "{at}: progress operation {:?} does not exist",
            progress.operation
        ));
        return;
    };
    let params = parameters(doc, path, op);
    for name in waiter
        .parameters
        .iter()
        .filter(|n| !params.contains_key(n.as_str()))
    {
        problems.push(format!(
            "{at}: {name:?} is not a parameter of {}",
            progress.operation
        ));
    }
    let Some(mut schema) = success_schema(op) else {
        return;
    };
    if let Some(result) = &progress.result {
        match property_at(doc, schema, result, true) {
            Ok(inner) => schema = inner,
            Err(why) => return problems.push(format!("{at}: progress `result` {result:?}: {why}")),
        }
    }
    let steps = progress.steps.as_ref().map(|(items, _, _)| items.clone());
    let paths = progress
        .done
        .iter()
        .chain(&progress.total)
        .chain(&progress.phase)
        .chain(&steps);
    for property in paths {
        if let Err(why) = property_at(doc, schema, property, false) {
            problems.push(format!("{at}: progress {property:?}: {why}"));
        }
    }
}

/// The `{Name}` placeholders of a template.
pub fn placeholders(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// The operation's parameters (path-level ones included, `$ref`s resolved), by name.
pub fn parameters<'a>(doc: &'a Value, path: &str, op: &'a Value) -> BTreeMap<String, &'a Value> {
    let shared = doc
        .get("paths")
        .and_then(|p| p.get(path))
        .and_then(|item| item.get("parameters"));
    let own = op.get("parameters");
    [shared, own]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| resolve(doc, p))
        .filter_map(|p| Some((p.get("name")?.as_str()?.to_owned(), p)))
        .collect()
}

/// The JSON schema of the operation's first 2xx response.
pub fn success_schema(op: &Value) -> Option<&Value> {
    let responses = op.get("responses")?.as_object()?;
    responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
}

/// Follows `$ref`s (a bounded number of times).
pub fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target.strip_prefix('#').and_then(|p| doc.pointer(p)) {
            Some(found) => value = found,
            None => break,
        }
    }
    value
}

/// The schema of a `.`-separated property path. With `required`, every property on the way
/// must be required (the generated code reads it as a plain field); otherwise only those
/// before the last one.
pub fn property_at<'a>(
    doc: &'a Value,
    schema: &'a Value,
    path: &str,
    required: bool,
) -> Result<&'a Value, String> {
    let steps: Vec<&str> = path.split('.').collect();
    let mut here = schema;
    for (i, name) in steps.iter().enumerate() {
        let (found, is_required) =
            property(doc, here, name).ok_or_else(|| format!("no property {name:?}"))?;
        let last = i + 1 == steps.len();
        if !is_required
            && (!last || required)
            && resolve(doc, found).get("type").and_then(Value::as_str) != Some("array")
        {
            return Err(format!("{name:?} is not required"));
        }
        here = found;
    }
    Ok(here)
}

/// A property of an object schema, looked up through `$ref`, `allOf`, `oneOf` and `anyOf`;
/// with whether it is required there.
fn property<'a>(doc: &'a Value, schema: &'a Value, name: &str) -> Option<(&'a Value, bool)> {
    let schema = resolve(doc, schema);
    if let Some(found) = schema.get("properties").and_then(|p| p.get(name)) {
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(name)));
        return Some((found, required));
    }
    ["allOf", "oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|branch| property(doc, branch, name))
}

/// The values an enum (or an open enum: `oneOf`/`anyOf` with an enum branch) allows; empty
/// when the schema lists none.
fn enum_values<'a>(doc: &'a Value, schema: &'a Value) -> BTreeSet<&'a str> {
    let schema = resolve(doc, schema);
    let mut values: BTreeSet<&str> = schema
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for key in ["oneOf", "anyOf", "allOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            values.extend(enum_values(doc, branch));
        }
    }
    values
}

#[cfg(test)]
mod tests;
