//! Generates, from each list operation's `x-paging`, an impl of
//! `snapshots_runtime::paging::Listing` for its progenitor builder: how a cursor goes on the
//! request (the parameters `x-paging` names), where the items are, and the page's total,
//! next token and offset. The facade's `.pages()`/`.items()` work on any such builder.

use super::paging_model::{self, Paging, Style};
use crate::generate::snake_case;
use crate::hooks::ResponseTypes;
use crate::lint::paging::{property_at, success_schema};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// The Rust source of the listing impls of `doc` (empty when it has no list operation).
pub fn render(doc: &Value, types: &BTreeMap<String, ResponseTypes>) -> Result<String> {
    let mut impls = Vec::new();
    let mut failure = None;
    crate::lint::each_operation(doc, |_, _, op| {
        let (Some(value), Some(id)) = (
            op.get("x-paging"),
            op.get("operationId").and_then(Value::as_str),
        ) else {
            return;
        };
        let rendered = paging_model::paging(value, id)
            .map_err(|problems| anyhow!(problems.join("; ")))
            .and_then(|paging| listing(doc, op, id, &paging, types));
        match rendered {
            Ok(code) => impls.push(code),
            Err(error) => failure = Some(error.context(format!("x-paging of {id}"))),
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    if impls.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        "/// Paging of every list builder, from the spec's `x-paging` (see `snapshots_runtime::paging`).\n\
         mod paging {{\n\
         use super::{{builder, types, Error}};\n\
         use snapshots_runtime::paging::{{BoxFuture, Cursor, Listing, PageFacts, Style}};\n\
         {}\n}}\n",
        impls.concat()
    ))
}

/// `Name` of a `#/components/schemas/Name` reference.
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// Progenitor's builder name of an `operationId`.
pub fn pascal_case(id: &str) -> String {
    snake_case(id)
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The field access of a property path (`meta.total` → `meta.total`, `TotalCount` → `total_count`).
pub fn field_path(path: &str) -> String {
    path.split('.')
        .map(snake_case)
        .collect::<Vec<_>>()
        .join(".")
}

/// The expression that puts a cursor value (`n: &u64`, `o: &i64`, `t: &String`) on the
/// setter of `param`, whose argument is any `TryInto` of the parameter's type. A 32-bit
/// integer parameter (`format: int32`: `u32`, `i32` or a `NonZeroU32`) gets the value as
/// that width; a value beyond it cannot be a page or offset of such an API, and is
/// saturated so that the server, not a wrap-around, answers it.
fn cursor_value(doc: &Value, op: &Value, param: &str, value: &str) -> String {
    let schema = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| crate::lint::paging::resolve(doc, p))
        .find(|p| p["name"] == param)
        .map(|p| crate::lint::paging::resolve(doc, &p["schema"]).clone())
        .unwrap_or_default();
    match (value, schema["format"].as_str()) {
        ("t", _) => "t.clone()".to_owned(),
        ("n", Some("int32")) => "u32::try_from(*n).unwrap_or(u32::MAX)".to_owned(),
        ("o", Some("int32")) => "i32::try_from(*o).unwrap_or(i32::MAX)".to_owned(),
        (number, _) => format!("*{number}"),
    }
}

fn listing(
    doc: &Value,
    op: &Value,
    id: &str,
    paging: &Paging,
    types: &BTreeMap<String, ResponseTypes>,
) -> Result<String> {
    let progenitor_id = snake_case(id);
    let response = types
        .get(&progenitor_id)
        .with_context(|| format!("progenitor generated no `send` for {id}"))?;
    let schema = success_schema(op).context("no success schema")?;
    let whole = paging.items == paging_model::WHOLE;
    let items = if whole {
        schema
    } else {
        property_at(doc, schema, &paging.items, false).map_err(|e| anyhow!(e))?
    };
    let items = crate::lint::paging::resolve(doc, items);
    let Some(item) = items.get("items").and_then(ref_name) else {
        bail!("`items` is not an array of a component schema");
    };
    let style = match paging.style {
        Style::PageNumber => "Style::PageNumber".to_owned(),
        Style::Token => format!(
            "Style::Token {{ page_fallback: {} }}",
            paging.param("page").is_some()
        ),
        Style::Offset if paging.response_offset.is_none() => "Style::OffsetFromZero".to_owned(),
        Style::Offset => "Style::Offset".to_owned(),
    };
    let (items_of, into_items) = if whole {
        ("&page[..]".to_owned(), "page".to_owned())
    } else {
        let field = field_path(&paging.items);
        (format!("&page.{field}"), format!("page.{field}"))
    };
    let mut arms = String::new();
    for (role, variant, value) in [
        ("page", "Page(n)", "n"),
        ("token", "Token(t)", "t"),
        ("offset", "Offset(o)", "o"),
    ] {
        if let Some(param) = paging.param(role) {
            arms.push_str(&format!(
                "Cursor::{variant} => self.{}({}),\n",
                snake_case(param),
                cursor_value(doc, op, param, value)
            ));
        }
    }
    let fact = |path: &Option<String>, reader: &str| match path {
        Some(path) => format!("{reader}(&page.{})", field_path(path)),
        None => "None".to_owned(),
    };
    Ok(format!(
        "impl<'a> Listing<'a> for builder::{builder}<'a> {{\n\
         type Page = {page};\ntype Item = types::{item};\ntype Error = Error<{error}>;\n\
         const OPERATION: &'static str = \"{progenitor_id}\";\nconst STYLE: Style = {style};\n{id}\
         const ITEMS: &'static str = {items_path:?};\n\
         fn at(self, cursor: &Cursor) -> Self {{ match cursor {{ {arms} _ => self, }} }}\n\
         fn fetch(self) -> BoxFuture<'a, Result<Self::Page, Self::Error>> {{\n\
         Box::pin(async move {{ Ok(self.send().await?.into_inner()) }}) }}\n\
         fn items_of(page: &Self::Page) -> &[Self::Item] {{ {items_of} }}\n\
         fn into_items(page: Self::Page) -> Vec<Self::Item> {{ {into_items} }}\n\
         fn facts({page_arg}: &Self::Page) -> PageFacts {{ PageFacts {{ total: {total}, next_token: {token}, offset: {offset} }} }}\n}}\n",
        builder = pascal_case(id),
        page_arg = if [&paging.total, &paging.next_token, &paging.response_offset]
            .iter()
            .all(|p| p.is_none())
        {
            "_page"
        } else {
            "page"
        },
        page = response.success,
        error = response.error,
        items_path = if whole { "" } else { paging.items.as_str() },
        id = match &paging.id {
            Some(id) => format!("const ID: &'static [&'static str] = &{:?};\n", id.split('.').collect::<Vec<_>>()),
            None => String::new(),
        },
        total = fact(&paging.total, "snapshots_runtime::paging::AsCount::as_count"),
        token = fact(&paging.next_token, "snapshots_runtime::paging::AsToken::as_token"),
        offset = fact(&paging.response_offset, "snapshots_runtime::paging::AsCount::as_count"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_progenitor() {
        assert_eq!(pascal_case("list_snapshots"), "ListSnapshots");
        assert_eq!(pascal_case("ListInstanceSnapshot"), "ListInstanceSnapshot");
        assert_eq!(pascal_case("GatewayListSnapshots"), "GatewayListSnapshots");
        assert_eq!(field_path("meta.total"), "meta.total");
        assert_eq!(field_path("TotalCount"), "total_count");
    }

    #[test]
    fn a_list_operation_becomes_a_listing_impl() {
        let doc = serde_json::json!({
            "paths": {"/things": {"get": {
                "operationId": "ListThings",
                "x-paging": {"style": "token", "token": "NextToken", "page-size": "MaxResults",
                             "items": "Things", "next-token": "NextToken", "total": "TotalCount"},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}
            }}},
            "components": {"schemas": {"Page": {"type": "object", "properties": {
                "Things": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}}}
        });
        let types = BTreeMap::from([(
            "list_things".to_owned(),
            ResponseTypes {
                success: "types::Page".into(),
                error: "types::Problem".into(),
            },
        )]);
        let code = render(&doc, &types).unwrap();
        syn::parse_str::<syn::File>(&code).expect("the paging module parses");
        for needle in [
            "impl<'a> Listing<'a> for builder::ListThings<'a>",
            "type Item = types::Thing;",
            "const ITEMS: &'static str = \"Things\";",
            "Style::Token { page_fallback: false }",
            "Cursor::Token(t) => self.next_token(t.clone()),",
            "AsToken::as_token(&page.next_token)",
        ] {
            assert!(code.contains(needle), "{needle:?} not in:\n{code}");
        }
    }

    /// A list operation whose response is the bare array (`items: $`, no response offset)
    /// pages from offset 0, its items the page itself.
    #[test]
    fn a_bare_array_listing_pages_from_zero() {
        let doc = serde_json::json!({
            "paths": {"/users": {"get": {
                "operationId": "list_users",
                "parameters": [{"name": "offset", "in": "query", "schema": {"type": "integer"}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "x-paging": {"style": "offset", "offset": "offset", "limit": "limit", "items": "$"},
                "responses": {"200": {"content": {"application/json": {"schema":
                    {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}}}
            }}},
            "components": {"schemas": {"User": {"type": "object"}}}
        });
        let types = BTreeMap::from([(
            "list_users".to_owned(),
            ResponseTypes {
                success: "::std::vec::Vec<types::User>".into(),
                error: "types::Problem".into(),
            },
        )]);
        let code = render(&doc, &types).unwrap();
        syn::parse_str::<syn::File>(&code).expect("the paging module parses");
        for needle in [
            "type Item = types::User;",
            "const STYLE: Style = Style::OffsetFromZero;",
            "&page[..]",
            "offset: None",
            "total: None",
        ] {
            assert!(code.contains(needle), "{needle:?} not in:\n{code}");
        }
    }

    /// A 32-bit page or offset parameter gets its cursor as that width (the setter of a
    /// `NonZeroU32` takes no `u64`); 64-bit and untyped ones get it as is.
    #[test]
    fn cursor_values_follow_the_parameter_width() {
        let doc = serde_json::json!({"components": {"schemas": {"Page": {"type": "integer", "format": "int32"}}}});
        let op = serde_json::json!({"parameters": [
            {"name": "pageNumber", "in": "query", "schema": {"$ref": "#/components/schemas/Page"}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "format": "int32"}},
            {"name": "PageNumber", "in": "query", "schema": {"type": "integer", "format": "int64"}}
        ]});
        assert_eq!(
            cursor_value(&doc, &op, "pageNumber", "n"),
            "u32::try_from(*n).unwrap_or(u32::MAX)"
        );
        assert_eq!(
            cursor_value(&doc, &op, "offset", "o"),
            "i32::try_from(*o).unwrap_or(i32::MAX)"
        );
        assert_eq!(cursor_value(&doc, &op, "PageNumber", "n"), "*n");
        assert_eq!(cursor_value(&doc, &op, "NextToken", "t"), "t.clone()");
    }
}
