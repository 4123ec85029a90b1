//! The code `cargo xtask generate` adds to progenitor's output to put every request of a
//! generated client through the shared runtime:
//!
//! - the `OPERATIONS` table (progenitor id, spec `operationId`, method, path), each entry
//!   with the runtime's body check instantiated with the response types progenitor chose
//!   for it (the success type for 2xx, the error type for 4xx/5xx), so that a body that
//!   does not decode keeps its status ([`response_types`], [`runtime_hooks`]);
//! - `ClientHooks::exec`, which refuses an operation the table does not list (and
//!   generation fails before that could happen: [`response_types`] requires every
//!   operation progenitor generated to be in the spec's table);
//! - in progenitor's `Client::new`, the runtime's HTTP client builder, which follows no
//!   redirects ([`safe_http_client`]);
//! - in typify's pattern newtypes, the runtime's `regex-lite` wrapper in place of `regress`
//!   ([`portable_patterns`]).

use anyhow::{bail, Context, Result};
use quote::ToTokens;
use std::collections::BTreeMap;

/// The types progenitor decodes one operation's responses into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTypes {
    /// The success type (`types::Snapshot`, `()` for no body, `ByteStream`).
    pub success: String,
    /// The error type (`types::AlibabaError`, `()` when no error body is documented).
    pub error: String,
}

/// For every builder's `send` in progenitor's output, keyed by progenitor's operation id:
/// the `T` and `E` of its `Result<ResponseValue<T>, Error<E>>`.
pub fn response_types(file: &syn::File) -> Result<BTreeMap<String, ResponseTypes>> {
    let mut found = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let Some((_, items)) = &module.content else {
            continue;
        };
        for item in items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            for member in &block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                if function.sig.ident != "send" {
                    continue;
                }
                let id = operation_id(&function.block)
                    .context("a `send` without an OperationInfo operation_id")?;
                let types = result_types(&function.sig.output)
                    .with_context(|| format!("the return type of `{id}`'s send"))?;
                found.insert(id, types);
            }
        }
    }
    Ok(found)
}

/// The `operation_id: "..."` of an `OperationInfo` in a function body.
fn operation_id(body: &syn::Block) -> Option<String> {
    let text = body.to_token_stream().to_string();
    let start = text.find("operation_id : \"")? + "operation_id : \"".len();
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_owned())
}

/// `T` and `E` of `-> Result<ResponseValue<T>, Error<E>>`.
fn result_types(output: &syn::ReturnType) -> Result<ResponseTypes> {
    let syn::ReturnType::Type(_, ty) = output else {
        bail!("no return type")
    };
    let args = generic_args(ty, "Result")?;
    let [success, error] = args.as_slice() else {
        bail!("Result without two type arguments")
    };
    let inner = |ty: &syn::Type, wrapper: &str| -> Result<String> {
        let args = generic_args(ty, wrapper)?;
        let [only] = args.as_slice() else {
            bail!("{wrapper} without one type argument")
        };
        Ok(only.to_token_stream().to_string().replace(' ', ""))
    };
    Ok(ResponseTypes {
        success: inner(success, "ResponseValue")?,
        error: inner(error, "Error")?,
    })
}

/// The type arguments of a path type whose last segment is `name`.
fn generic_args<'a>(ty: &'a syn::Type, name: &str) -> Result<Vec<&'a syn::Type>> {
    let syn::Type::Path(path) = ty else {
        bail!("not a path type")
    };
    let Some(last) = path.path.segments.last() else {
        bail!("empty path")
    };
    if last.ident != name {
        bail!("expected {name}, found {}", last.ident);
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        bail!("{name} without type arguments")
    };
    Ok(args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect())
}

/// One row of the `OPERATIONS` table: progenitor id, spec `operationId`, method, path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// Progenitor's id (snake case of the `operationId`).
    pub id: String,
    /// The spec's `operationId`.
    pub name: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The action name (`x-acs-action`), when the spec gives one.
    pub action: Option<String>,
    /// More builder calls for the row (`.with_query(..)`, `.with_conflicts(..)`, from
    /// `glue::support`).
    pub extra: String,
}

/// The lines appended to progenitor's output: the body checks, the `OPERATIONS` table and
/// `ClientHooks::exec`. Fails when progenitor generated an operation the table lacks, or
/// the table names one progenitor did not generate.
pub fn runtime_hooks(rows: &[TableRow], types: &BTreeMap<String, ResponseTypes>) -> Result<String> {
    let listed: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let unlisted: Vec<&String> = types
        .keys()
        .filter(|id| !listed.contains(&id.as_str()))
        .collect();
    let ungenerated: Vec<&&str> = listed
        .iter()
        .filter(|id| !types.contains_key(**id))
        .collect();
    if !unlisted.is_empty() || !ungenerated.is_empty() {
        bail!("the OPERATIONS table and progenitor's operations differ: not in the table {unlisted:?}, not generated {ungenerated:?}");
    }
    let mut table = String::new();
    for row in rows {
        let check = match body_check(&types[&row.id]) {
            Some(check) => format!(".with_body_check({check})"),
            None => String::new(),
        };
        let action = match &row.action {
            Some(action) => format!(".with_action({action:?})"),
            None => String::new(),
        };
        table.push_str(&format!(
            "    snapshots_runtime::Operation::new({:?}, {:?}, {:?}, {:?}){action}{check}{},\n",
            row.id, row.name, row.method, row.path, row.extra
        ));
    }
    Ok(format!(
        "/// Every operation of this API, for the runtime (the action name it signs, the method\n\
         /// its retry rule depends on, the check of its error bodies against the error type the\n\
         /// spec documents, so that an error body that does not decode keeps its status).\n\
         pub const OPERATIONS: &[snapshots_runtime::Operation] = &[\n{table}];\n\n\
         /// Every request of every operation goes through [`snapshots_runtime::Runtime::execute`];\n\
         /// an operation the table does not list is refused, never guessed at.\n\
         impl progenitor_client::ClientHooks<snapshots_runtime::Runtime> for Client {{\n\
         \x20   async fn exec(\n\
         \x20       &self,\n\
         \x20       request: reqwest::Request,\n\
         \x20       info: &progenitor_client::OperationInfo,\n\
         \x20   ) -> reqwest::Result<reqwest::Response> {{\n\
         \x20       let Some(operation) = snapshots_runtime::Operation::lookup(OPERATIONS, info.operation_id) else {{\n\
         \x20           let failure = snapshots_runtime::Failure::UnknownOperation {{ operation: info.operation_id.to_owned() }};\n\
         \x20           return Err(failure.into_reqwest().await);\n\
         \x20       }};\n\
         \x20       let version = <Self as progenitor_client::ClientInfo<snapshots_runtime::Runtime>>::api_version();\n\
         \x20       let runtime = progenitor_client::ClientInfo::inner(self);\n\
         \x20       runtime.execute(progenitor_client::ClientInfo::client(self), request, operation, version).await\n\
         \x20   }}\n\
         }}\n"
    ))
}

/// The runtime's error-body check for an operation: 4xx and 5xx bodies decode as its error
/// type (success bodies are decoded once, by the generated code: see [`single_decode`]).
/// `None` when the operation documents no typed error body.
fn body_check(types: &ResponseTypes) -> Option<String> {
    let error = &types.error;
    let typed = error != "()" && !error.ends_with("ByteStream");
    typed.then(|| format!("snapshots_runtime::operation::check_error_body::<{error}>"))
}

/// progenitor's generated code decodes each JSON answer with `ResponseValue::from_response`,
/// which copies the headers and loses the status when the body does not decode. The
/// generated code calls `snapshots_runtime::decode::response_value` instead (the headers
/// moved, an undecodable body reported with its status and request id). Fails when
/// progenitor's code has no such call, so a progenitor upgrade cannot silently bring the
/// old decode back.
pub fn single_decode(code: &str) -> Result<String> {
    const PROGENITOR: &str = "ResponseValue::from_response(response).await";
    const RUNTIME: &str = "snapshots_runtime::decode::response_value(response).await";
    if !code.contains(PROGENITOR) {
        bail!("expected progenitor's operations to decode answers with `{PROGENITOR}`, found none");
    }
    Ok(code.replace(PROGENITOR, RUNTIME))
}

/// progenitor's `Client::new` builds a `reqwest` client that follows redirects (reqwest's
/// default), which would carry credentials to another origin before the runtime could
/// refuse the answer. The generated code builds it from
/// `snapshots_runtime::http_client_builder()` instead (no redirects), and without
/// progenitor's per-request timeout: the runtime bounds each call with one timer of its own
/// (`RetryConfig::total_timeout`), and the builder's read timeout bounds a stalled peer.
/// Fails when
/// progenitor's code no longer has the expected line, so a progenitor upgrade cannot
/// silently bring the default back.
pub fn safe_http_client(code: &str) -> Result<String> {
    const PROGENITOR: &str = "reqwest::ClientBuilder::new().connect_timeout(dur).timeout(dur)";
    const RUNTIME: &str = "snapshots_runtime::http_client_builder().connect_timeout(dur)";
    let count = code.matches(PROGENITOR).count();
    if count != 1 {
        bail!("expected progenitor's `Client::new` to build its client once with `{PROGENITOR}`, found {count}");
    }
    Ok(code.replace(PROGENITOR, RUNTIME))
}

/// typify's newtypes of `pattern` strings compile their pattern with `::regress::Regex`
/// (an ECMA-262 engine users would otherwise compile). The generated code uses
/// `::snapshots_runtime::pattern::Regex` instead (regex-lite, on the portable subset the
/// spec lint enforces), so the generated crates depend on no regex crate. Fails when the
/// spec has patterns and typify's code has no such call, when `::regress::Regex` appears
/// other than as the type of a `LazyLock` or in `::regress::Regex::new(`, or when `regress`
/// is still named after the swap, so a typify upgrade cannot silently change what is
/// compiled.
pub fn portable_patterns(code: &str, spec_has_patterns: bool) -> Result<String> {
    const TYPIFY: &str = "::regress::Regex";
    const RUNTIME: &str = "::snapshots_runtime::pattern::Regex";
    const NEW: &str = "::regress::Regex::new(";
    const LAZY: &str = "LazyLock<::regress::Regex>";
    let (news, lazies) = (code.matches(NEW).count(), code.matches(LAZY).count());
    if spec_has_patterns && news == 0 {
        bail!(
            "expected typify's pattern newtypes to compile their patterns with `{NEW}`, found none"
        );
    }
    if code.matches(TYPIFY).count() != news + lazies {
        bail!("typify's code uses `{TYPIFY}` other than in `{NEW}` and `{LAZY}`: the pattern hook needs updating");
    }
    let swapped = code.replace(TYPIFY, RUNTIME);
    if swapped.contains("regress") {
        bail!("typify's code names `regress` other than as `{TYPIFY}`: the pattern hook needs updating");
    }
    Ok(swapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: &str = r#"
        pub mod builder {
            impl<'a> GetThing<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::Problem>> {
                    let info = OperationInfo { operation_id: "get_thing" };
                    panic!("fixture")
                }
            }
            impl<'a> DeleteThing<'a> {
                pub async fn send(self) -> Result<ResponseValue<()>, Error<types::Problem>> {
                    let info = OperationInfo { operation_id: "delete_thing" };
                    panic!("fixture")
                }
            }
        }
    "#;

    fn row(id: &str) -> TableRow {
        TableRow {
            id: id.into(),
            name: id.into(),
            method: "GET".into(),
            path: "/x".into(),
            action: (id == "get_thing").then(|| "GetThing".into()),
            extra: String::new(),
        }
    }

    #[test]
    fn types_come_from_the_send_signatures() {
        let types = response_types(&syn::parse_str(SEND).unwrap()).unwrap();
        assert_eq!(types["get_thing"].success, "types::Thing");
        assert_eq!(types["get_thing"].error, "types::Problem");
        assert_eq!(types["delete_thing"].success, "()");
    }

    #[test]
    fn an_operation_missing_from_the_table_fails_generation() {
        let types = response_types(&syn::parse_str(SEND).unwrap()).unwrap();
        let error = runtime_hooks(&[row("get_thing")], &types).unwrap_err();
        assert!(error.to_string().contains("delete_thing"), "{error}");
        let error = runtime_hooks(
            &[row("get_thing"), row("delete_thing"), row("extra")],
            &types,
        )
        .unwrap_err();
        assert!(error.to_string().contains("extra"), "{error}");
        let code = runtime_hooks(&[row("get_thing"), row("delete_thing")], &types).unwrap();
        assert_eq!(
            code.matches(".with_body_check(snapshots_runtime::operation::check_error_body::<types::Problem>)").count(),
            2,
            "{code}"
        );
        assert!(
            code.contains(
                r#"Operation::new("get_thing", "get_thing", "GET", "/x").with_action("GetThing")"#
            ),
            "{code}"
        );
        syn::parse_str::<syn::File>(&code).unwrap();
    }

    #[test]
    fn every_decode_goes_through_the_runtime() {
        let code = "200u16 => ResponseValue::from_response(response).await,\n\
                    404u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),";
        let swapped = single_decode(code).unwrap();
        assert_eq!(
            swapped
                .matches("snapshots_runtime::decode::response_value(response).await")
                .count(),
            2
        );
        assert!(!swapped.contains("from_response"));
        assert!(single_decode("200u16 => Ok(ResponseValue::empty(response)),").is_err());
    }

    #[test]
    fn the_client_builder_is_replaced_exactly_once() {
        let code = "let c = reqwest::ClientBuilder::new().connect_timeout(dur).timeout(dur);";
        assert!(safe_http_client(code)
            .unwrap()
            .contains("snapshots_runtime::http_client_builder()"));
        assert!(safe_http_client("reqwest::Client::new()").is_err());
    }

    #[test]
    fn patterns_are_compiled_by_the_runtime() {
        let code = "static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||\n\
                    { ::regress::Regex::new(\"^[a-z]+$\").unwrap() });";
        let swapped = portable_patterns(code, true).unwrap();
        assert_eq!(
            swapped
                .matches("::snapshots_runtime::pattern::Regex")
                .count(),
            2
        );
        assert!(!swapped.contains("regress"), "{swapped}");
        // A spec without patterns: nothing to swap, nothing required.
        assert_eq!(portable_patterns("fn f() {}", false).unwrap(), "fn f() {}");
        // typify changed how it compiles patterns: generation fails.
        assert!(portable_patterns("regress::Regex::new(\"a\")", true).is_err());
        assert!(portable_patterns("fn f() {}", true).is_err());
        assert!(portable_patterns("::regress::Regex::with_flags(p, \"u\")", false).is_err());
    }
}
