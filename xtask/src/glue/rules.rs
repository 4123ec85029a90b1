//! The generated `RULES` table: one `snapshots_runtime::rules::Rule` per constrained
//! parameter or request body member of each operation, from the spec's `minimum`,
//! `maximum`, `pattern`, `minLength`, `maxLength`, and the `x-minimum` and `x-rule`
//! extensions (see `specs/EXTENSIONS.md`). The Rust type and member name of each value are
//! read from progenitor's output, so that the facade can word a builder's refusal.

use anyhow::{bail, Result};
use quote::ToTokens;
use serde_json::Value;

use super::errors::resolve;
use super::paging::pascal_case;
use crate::lint;

/// One row of the table, before rendering.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    operation: String,
    location: &'static str,
    field: String,
    member: String,
    rust_type: String,
    constraints: Constraints,
}

/// The constraints of one schema.
#[derive(Debug, Clone, Default, PartialEq)]
struct Constraints {
    minimum: Option<i64>,
    maximum: Option<i64>,
    pattern: Option<String>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    x_rule: Option<String>,
}

impl Constraints {
    /// The constraints of `schema` (its `$ref` followed), `None` when it has none.
    fn of(doc: &Value, schema: &Value) -> Option<Self> {
        let s = resolve(doc, schema);
        let int = |key: &str| s.get(key).and_then(Value::as_i64);
        let len = |key: &str| s.get(key).and_then(Value::as_u64);
        let text = |key: &str| s.get(key).and_then(Value::as_str).map(str::to_owned);
        let c = Constraints {
            minimum: int("minimum").or_else(|| int("x-minimum")),
            maximum: int("maximum"),
            pattern: text("pattern"),
            min_length: len("minLength"),
            max_length: len("maxLength"),
            x_rule: text("x-rule"),
        };
        (c != Constraints::default()).then_some(c)
    }

    fn text(&self) -> String {
        snapshots_runtime::rules::describe(
            self.minimum,
            self.maximum,
            (self.min_length, self.max_length),
            self.pattern.as_deref(),
            self.x_rule.as_deref(),
        )
    }
}

/// The `RULES` table of the crate generated from `doc`, whose progenitor output is `file`.
pub fn render(doc: &Value, file: &syn::File) -> Result<String> {
    let mut rows = Vec::new();
    let mut failure = None;
    lint::each_operation(doc, |_, _, op| {
        if failure.is_none() {
            if let Err(e) = operation_rows(doc, file, op, &mut rows) {
                failure = Some(e);
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let body: String = rows.iter().map(render_row).collect();
    Ok(format!(
        "/// The validation rules of every constrained parameter and request body member, from\n\
         /// the spec's constraints (`minimum`, `maximum`, `pattern`, `minLength`, `maxLength`,\n\
         /// `x-minimum`, `x-rule`).\n\
         pub const RULES: &[snapshots_runtime::rules::Rule] = &[\n{body}];\n"
    ))
}

fn render_row(row: &Row) -> String {
    let c = &row.constraints;
    format!(
        "snapshots_runtime::rules::Rule {{ operation: {:?}, location: snapshots_runtime::rules::Location::{}, field: {:?}, member: {:?}, rust_type: {:?}, minimum: {:?}, maximum: {:?}, pattern: {:?}, min_length: {:?}, max_length: {:?}, text: {:?} }},\n",
        row.operation, row.location, row.field, row.member, row.rust_type, c.minimum, c.maximum, c.pattern, c.min_length, c.max_length, c.text()
    )
}

/// The rows of one operation: its parameters, then its JSON body's members.
fn operation_rows(doc: &Value, file: &syn::File, op: &Value, rows: &mut Vec<Row>) -> Result<()> {
    let id = crate::generate::snake_case(
        op.get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    let builder = pascal_case(&id);
    for parameter in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let parameter = resolve(doc, parameter);
        let (Some(name), Some(schema)) = (
            parameter.get("name").and_then(Value::as_str),
            parameter.get("schema"),
        ) else {
            continue;
        };
        let Some(constraints) = Constraints::of(doc, schema) else {
            continue;
        };
        let location = match parameter.get("in").and_then(Value::as_str) {
            Some("path") => "Path",
            Some("header") => "Header",
            _ => "Query",
        };
        let member = crate::generate::snake_case(name);
        let rust_type = field_type(file, &["builder"], &builder, &member)?;
        rows.push(Row {
            operation: id.clone(),
            location,
            field: name.to_owned(),
            member,
            rust_type,
            constraints,
        });
    }
    let Some(body) = op.pointer("/requestBody/content/application~1json/schema") else {
        return Ok(());
    };
    let Some(body_name) = body
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
    else {
        return Ok(());
    };
    member_rows(doc, file, &id, body_name, "", rows)
}

/// How deep nested body members are followed (the specs nest at most three levels).
const MAX_DEPTH: usize = 4;

/// The rows of the members of the body schema `schema_name`, then of its nested object
/// members (and of the items of its arrays of objects). A nested member's field and
/// member name is its path from the body: `node_definitions[].primary_key.name`.
fn member_rows(
    doc: &Value,
    file: &syn::File,
    id: &str,
    schema_name: &str,
    prefix: &str,
    rows: &mut Vec<Row>,
) -> Result<()> {
    if prefix.matches('.').count() >= MAX_DEPTH {
        return Ok(());
    }
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{schema_name}") });
    let resolved = resolve(doc, &schema);
    let properties = resolved.get("properties").and_then(Value::as_object);
    for (name, schema) in properties.into_iter().flatten() {
        let member = crate::generate::snake_case(name);
        if let Some(constraints) = Constraints::of(doc, schema) {
            // progenitor appends `_` to a member named by a Rust keyword (`type_`).
            let rust_type = field_type(file, &["types"], schema_name, &member)
                .or_else(|_| field_type(file, &["types"], schema_name, &format!("{member}_")))?;
            let (field, member) = if prefix.is_empty() {
                (name.clone(), member)
            } else {
                (format!("{prefix}{name}"), format!("{prefix}{member}"))
            };
            rows.push(Row {
                operation: id.to_owned(),
                location: "Body",
                field,
                member,
                rust_type,
                constraints,
            });
        }
        if let Some((nested, suffix)) = nested_object(schema) {
            let prefix = format!("{prefix}{name}{suffix}");
            member_rows(doc, file, id, nested, &prefix, rows)?;
        }
    }
    Ok(())
}

/// The schema name of a member that is a `$ref` to an object (path suffix `.`) or an
/// array of them (suffix `[].`).
fn nested_object(schema: &Value) -> Option<(&str, &'static str)> {
    fn name_of(s: &Value) -> Option<&str> {
        s.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
    }
    if let Some(items) = schema.get("items") {
        return name_of(items).map(|n| (n, "[]."));
    }
    name_of(schema).map(|n| (n, "."))
}

/// The innermost type's last path segment of field `member` of struct `name` in module
/// `path` of progenitor's output (`Result<Option<::std::num::NonZeroU64>, String>` gives
/// `NonZeroU64`). Fails when there is no such field: the member name would be wrong.
fn field_type(file: &syn::File, path: &[&str], name: &str, member: &str) -> Result<String> {
    let mut items = &file.items;
    for module in path {
        let found = items.iter().find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == module => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        });
        let Some(found) = found else {
            bail!("no module `{module}` in progenitor's output")
        };
        items = found;
    }
    let fields = items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(&s.fields),
        _ => None,
    });
    let Some(fields) = fields else {
        bail!(
            "no struct `{}::{name}` in progenitor's output",
            path.join("::")
        )
    };
    let Some(field) = fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == member))
    else {
        bail!("no member `{member}` in `{}::{name}`", path.join("::"))
    };
    Ok(innermost(&field.ty))
}

/// `Result<Option<T>, E>` / `Option<T>` / `T` -> the last segment of `T`.
fn innermost(ty: &syn::Type) -> String {
    if let syn::Type::Path(p) = ty {
        if let Some(last) = p.path.segments.last() {
            let wrapper = last.ident == "Result" || last.ident == "Option";
            if let (true, syn::PathArguments::AngleBracketed(args)) = (wrapper, &last.arguments) {
                if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                    return innermost(inner);
                }
            }
            return last.ident.to_string();
        }
    }
    ty.to_token_stream().to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraints_follow_refs_and_extensions() {
        let doc = json!({"components": {"schemas": {"N": {"type": "string", "pattern": "^a$", "maxLength": 3, "x-rule": "seed"}}}});
        let c =
            Constraints::of(&doc, &json!({"$ref": "#/components/schemas/N"})).expect("constrained");
        assert_eq!(c.text(), "at most 3 characters, matching `^a$` (seed)");
        assert_eq!(Constraints::of(&doc, &json!({"type": "integer"})), None);
        let c = Constraints::of(&doc, &json!({"type": "integer", "x-minimum": 1}))
            .expect("constrained");
        assert_eq!(c.minimum, Some(1));
    }

    #[test]
    fn innermost_types() {
        let ty: syn::Type =
            syn::parse_str("Result<Option<::std::num::NonZeroU64>, String>").expect("type");
        assert_eq!(innermost(&ty), "NonZeroU64");
        let ty: syn::Type = syn::parse_str("types::SnapshotName").expect("type");
        assert_eq!(innermost(&ty), "SnapshotName");
        assert_eq!(pascal_case("list_snapshots"), "ListSnapshots");
    }
}
