//! `cargo xtask generate [--check]`: turns each spec of [`crate::apis::APIS`] into a crate.
//!
//! For every API the xtask lints the spec, builds the progenitor view of it (see
//! [`progenitor_view`]), runs progenitor with the builder interface, formats the tokens
//! with prettyplease and writes three files into `crates/<name>/`: `Cargo.toml`,
//! `src/lib.rs` and `src/generated.rs`. All three carry a header saying they are generated
//! and from which spec. The output depends only on the spec and this code, so two runs
//! give identical bytes; `--check` renders in memory and prints a diff of anything stale.

use crate::apis::Api;
use crate::hooks;
use crate::lint;
use crate::spec::Spec;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::Path;

/// The inner type of every generated client: the shared runtime.
const RUNTIME: &str = "snapshots_runtime::Runtime";

/// One file the generator owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// Renders every file of `api`'s crate from its spec, without touching the disk (except to
/// read the spec and its example files).
pub fn render(root: &Path, api: &Api) -> Result<Vec<GeneratedFile>> {
    let spec = Spec::load(&root.join(api.spec))?;
    let examples_dir = root.join("specs/examples").join(api.crate_name);
    let mut problems = lint::lint(&spec, &examples_dir);
    problems.extend(crate::profiles::lint(&spec.raw));
    if !problems.is_empty() {
        bail!(
            "{} has {} problem(s):\n  {}",
            api.spec,
            problems.len(),
            problems.join("\n  ")
        );
    }
    let (view, adjustments) = progenitor_view(&spec.raw);
    let typed: openapiv3::OpenAPI =
        serde_json::from_value(view).context("progenitor view of the spec")?;

    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder);
    settings.with_tag(progenitor::TagStyle::Merged);
    // Let users compare statuses, ids and error codes (`status == Some(Ready)`).
    settings.with_derive("PartialEq");
    // Every request goes through the shared runtime: `lib.rs` implements `ClientHooks::exec`
    // with `Runtime::execute` (see `lib_rs`); `Expected` makes a missing impl a compile error.
    settings.with_inner_type(
        RUNTIME
            .parse::<proc_macro2::TokenStream>()
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    settings.with_hooks(progenitor::HooksMode::Expected);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&typed)
        .map_err(|e| anyhow::anyhow!("progenitor failed on {}: {e}", api.spec))?;
    let mut file: syn::File =
        syn::parse2(tokens).context("progenitor produced unparsable tokens")?;
    let types = hooks::response_types(&file)?;
    let hooks: syn::File = syn::parse_str(&hooks::runtime_hooks(&table_rows(&spec.raw), &types)?)
        .context("the runtime hooks do not parse")?;
    file.items.extend(hooks.items);
    let glue = crate::glue::paging::render(&spec.raw, &types)?
        + &crate::glue::waiters::render(&spec.raw, &types)?;
    file.items.extend(
        syn::parse_str::<syn::File>(&glue)
            .context("the paging/waiter glue does not parse")?
            .items,
    );
    let profiles = crate::glue::profiles::read(&spec.raw).with_context(|| api.spec.to_owned())?;
    file.items
        .extend(crate::glue::profiles::crate_items(&profiles)?.items);
    let glue = crate::glue::errors::render(&spec.raw, &types)?
        + &crate::glue::rules::render(&spec.raw, &file)?
        + &crate::glue::support::render(&spec.raw);
    file.items.extend(
        syn::parse_str::<syn::File>(&glue)
            .context("the error glue does not parse")?
            .items,
    );
    crate::glue::stable::non_exhaustive_types(&mut file)?;
    crate::glue::allocations::fewer_allocations(&mut file)?;
    crate::glue::conversions::text_conversions(&mut file, &api.lib_name())?;
    let code = hooks::safe_http_client(&prettyplease::unparse(&file))?;
    let code = hooks::single_decode(&code)?;
    let code = hooks::portable_patterns(&code, !lint::patterns::patterns(&spec.raw).is_empty())?;
    check_operation_ids(&spec.raw, &code)?;

    let dir = api.crate_dir();
    Ok(vec![
        GeneratedFile {
            path: format!("{dir}/Cargo.toml"),
            contents: cargo_toml(api, &code),
        },
        GeneratedFile {
            path: format!("{dir}/src/lib.rs"),
            contents: lib_rs(api, &spec.raw),
        },
        GeneratedFile {
            path: format!("{dir}/src/generated.rs"),
            contents: generated_rs(api, &code, &adjustments),
        },
    ])
}

/// The spec as progenitor is given it. Progenitor 0.15 needs all 2xx responses of an
/// operation to share one type. Where the spec documents a JSON 2xx body beside a bodiless
/// 2xx (Graph OLAP's DELETE: the seed's `200 {data: {deleted: true}}`, the code's `204`),
/// the view drops the body from the JSON ones, so that the generated method succeeds with
/// `()` on each; the body's schema stays in `components` and is still generated.
/// Returns the view and one line per adjustment, for the generated file's header.
///
/// The view also puts each parameter's description on one line: progenitor renders them as
/// Markdown list items, where a wrapped line would be a lazy continuation (a clippy warning).
/// Open enums are written `oneOf: [{$ref: Known}, {type: string, not: {$ref: Known}}]`, so
/// that a known value matches exactly one branch (a JSON Schema validator such as
/// schemathesis's requires it). Typify turns such a `not` into a newtype with generic variant
/// names and no `Display`; the untagged enum it makes without the `not` behaves the same
/// (serde tries `Known` first), so the view drops it. Returns the names of the schemas
/// changed.
fn open_enums_without_not(view: &mut Value) -> Vec<String> {
    let mut changed = Vec::new();
    let Some(schemas) = view
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return changed;
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(branches) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        let known = branches
            .iter()
            .find_map(|b| b.get("$ref").and_then(Value::as_str).map(str::to_owned));
        for branch in branches.iter_mut() {
            let Some(object) = branch.as_object_mut() else {
                continue;
            };
            let excludes_known = object
                .get("not")
                .and_then(|n| n.get("$ref"))
                .and_then(Value::as_str)
                .is_some_and(|r| Some(r) == known.as_deref());
            if object.get("type").and_then(Value::as_str) == Some("string") && excludes_known {
                object.remove("not");
                changed.push(name.clone());
            }
        }
    }
    changed
}

pub fn progenitor_view(raw: &Value) -> (Value, Vec<String>) {
    let mut view = raw.clone();
    let mut adjustments = Vec::new();
    one_line_parameter_descriptions(&mut view);
    let opened = open_enums_without_not(&mut view);
    if !opened.is_empty() {
        adjustments.push(format!(
            "open enums {}: the fallback string's `not` (the known values) is dropped; serde tries the known values first, so the string variant still only holds unknown ones",
            opened.join(", ")
        ));
    }
    let Some(paths) = view.get_mut("paths").and_then(Value::as_object_mut) else {
        return (view, adjustments);
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let success: Vec<String> = responses
                .keys()
                .filter(|s| s.starts_with('2'))
                .cloned()
                .collect();
            let has_body = |r: &Value| {
                r.get("content")
                    .is_some_and(|c| c.as_object().is_some_and(|c| !c.is_empty()))
            };
            let bodiless: Vec<&String> = success
                .iter()
                .filter(|s| !has_body(&responses[s.as_str()]))
                .collect();
            if bodiless.is_empty() || bodiless.len() == success.len() {
                continue;
            }
            for status in &success {
                if let Some(response) = responses
                    .get_mut(status.as_str())
                    .and_then(Value::as_object_mut)
                {
                    if response.remove("content").is_some() {
                        adjustments.push(format!(
                            "{} {path}: the {status} body is not decoded (the operation also answers {} with no body)",
                            method.to_uppercase(),
                            bodiless.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
        }
    }
    (view, adjustments)
}

fn one_line_parameter_descriptions(view: &mut Value) {
    let Some(paths) = view.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        // Path-level parameters and each operation's parameters.
        let mut lists: Vec<&mut Value> = Vec::new();
        for (key, value) in item.iter_mut() {
            if key == "parameters" {
                lists.push(value);
            } else if let Some(params) = value.get_mut("parameters") {
                lists.push(params);
            }
        }
        for parameter in lists.into_iter().filter_map(Value::as_array_mut).flatten() {
            if let Some(Value::String(text)) = parameter.get_mut("description") {
                *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            }
        }
    }
}

fn header(comment: &str, api: &Api) -> String {
    format!(
        "{comment} @generated by `cargo xtask generate` from {spec}.\n\
         {comment} Do not edit: change the spec (or xtask/) and run `cargo xtask generate`.\n",
        spec = api.spec
    )
}

fn cargo_toml(api: &Api, code: &str) -> String {
    let mut deps = vec![
        "progenitor-client",
        "reqwest",
        "serde",
        "serde_json",
        "snapshots-runtime",
    ];
    // Patterns need no dependency: `hooks::portable_patterns` puts them on the runtime.
    if code.contains("::chrono::") {
        deps.push("chrono");
    }
    deps.sort_unstable();
    let deps: String = deps
        .iter()
        .map(|d| format!("{d}.workspace = true\n"))
        .collect();
    format!(
        "{header}\n[package]\nname = \"{name}\"\nversion = \"0.1.0\"\ndescription = \"{summary}\"\n\
         edition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true\n\n\
         {features}\n[dependencies]\n{deps}\n[lints]\nworkspace = true\n",
        features = FEATURES,
        header = header("#", api),
        name = api.crate_name,
        summary = api.summary,
    )
}

/// The features of every generated crate (TLS, IDNA tables): each forwards to the runtime's
/// feature of the same name (documented in `crates/snapshots-runtime/Cargo.toml` and the
/// README).
const FEATURES: &str = "[features]\ndefault = [\"rustls-ring\", \"idna-unicode-rs\"]\n\
# TLS for https endpoints (see snapshots-runtime's features); turn all off for http:// only.\n\
rustls-ring = [\"snapshots-runtime/rustls-ring\"]\n\
rustls-aws-lc = [\"snapshots-runtime/rustls-aws-lc\"]\n\
native-tls = [\"snapshots-runtime/native-tls\"]\n\
# IDNA through the unicode-rs tables rather than ICU4X (faster to compile); off: Cargo.lock chooses.\n\
idna-unicode-rs = [\"snapshots-runtime/idna-unicode-rs\"]\n";

fn lib_rs(api: &Api, raw: &Value) -> String {
    let title = raw
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or(api.crate_name);
    let version = raw
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let server = raw
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("http://localhost");
    let server = substitute_server_variables(server, raw.pointer("/servers/0/variables"));
    let mut rows = Vec::new();
    lint::each_operation(raw, |path, method, op| {
        let id = operation_id(op);
        let deprecated = if op.get("deprecated").and_then(Value::as_bool) == Some(true) {
            " (deprecated)"
        } else {
            ""
        };
        // Progenitor ignores operation-level servers: say which base URL the path is relative to.
        let base = match op.pointer("/servers/0/url").and_then(Value::as_str) {
            Some(url) => format!(" (relative to `{url}`)"),
            None => String::new(),
        };
        rows.push(format!(
            "//! | [`Client::{}`] | `{} {path}`{base}{deprecated} |\n",
            snake_case(id),
            method.to_uppercase()
        ));
    });
    format!(
        "{header}\n//! {title} ({version}): a typed client generated by progenitor from `{spec}`.\n//!\n\
         //! Each operation is a builder on [`Client`]; its request and response types are in [`types`].\n\
         //! Constrained strings (patterns, lengths) are validating newtypes, so an invalid value\n\
         //! cannot be sent. Every request of every operation goes through the\n\
         //! [`snapshots_runtime::Runtime`] the client is built with: authentication, signing,\n\
         //! rate limiting and retries happen there, once for all operations.\n//!\n\
         //! ```no_run\n//! use snapshots_runtime::Runtime;\n\
         //! let client = {lib}::Client::new(\"{server}\", Runtime::builder().build());\n//! # let _ = client;\n//! ```\n//!\n\
         //! | method | HTTP |\n//! | --- | --- |\n{rows}\n\
         #[rustfmt::skip]\nmod generated;\npub use generated::*;\n",
        header = header("//", api),
        spec = api.spec,
        lib = api.lib_name(),
        rows = rows.concat(),
    )
}

/// The spec's operations as rows of the generated `OPERATIONS` table.
fn table_rows(raw: &Value) -> Vec<hooks::TableRow> {
    let mut rows = Vec::new();
    lint::each_operation(raw, |path, method, op| {
        let id = operation_id(op);
        rows.push(hooks::TableRow {
            id: snake_case(id),
            name: id.to_owned(),
            method: method.to_uppercase(),
            path: path.to_owned(),
            action: crate::profiles::action(op).map(str::to_owned),
            extra: crate::glue::support::row_suffix(raw, path, &snake_case(id), op),
        });
    });
    rows
}

fn generated_rs(api: &Api, code: &str, adjustments: &[String]) -> String {
    let mut out = header("//", api);
    if !adjustments.is_empty() {
        out.push_str(
            "//\n// Progenitor view of the spec (see xtask/src/generate.rs, `progenitor_view`):\n",
        );
        for a in adjustments {
            out.push_str(&format!("// - {a}\n"));
        }
    }
    out.push('\n');
    out.push_str(code);
    out
}

/// The spec's `operationId` of an operation (empty when missing; the lint reports that).
fn operation_id(op: &Value) -> &str {
    op.get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The `OPERATIONS` table is keyed by [`snake_case`] of each `operationId`, which must be
/// the id progenitor puts in `OperationInfo`; otherwise the runtime would sign with the
/// wrong action name. Fails when the two namings ever drift apart.
fn check_operation_ids(raw: &Value, code: &str) -> Result<()> {
    let mut missing = Vec::new();
    lint::each_operation(raw, |_, _, op| {
        let id = snake_case(operation_id(op));
        if !code.contains(&format!("operation_id: \"{id}\"")) {
            missing.push(id);
        }
    });
    if !missing.is_empty() {
        bail!("progenitor names these operations differently from snake_case(operationId): {missing:?}");
    }
    Ok(())
}

/// `https://x.{regionId}.com` with `regionId`'s default filled in.
fn substitute_server_variables(url: &str, variables: Option<&Value>) -> String {
    let mut url = url.to_owned();
    for (name, var) in variables.and_then(Value::as_object).into_iter().flatten() {
        if let Some(default) = var.get("default").and_then(Value::as_str) {
            url = url.replace(&format!("{{{name}}}"), default);
        }
    }
    url
}

/// `CreateInstanceSnapshot` -> `create_instance_snapshot`, as progenitor names methods.
pub(crate) fn snake_case(id: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes every generated file whose contents changed; returns the paths written.
pub fn write(root: &Path, files: &[GeneratedFile]) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(file.path.clone());
    }
    Ok(written)
}

/// A readable unified diff of every generated file that differs from the disk; empty when
/// everything checked in is up to date.
pub fn stale(root: &Path, files: &[GeneratedFile]) -> String {
    let mut report = String::new();
    for file in files {
        let on_disk = std::fs::read_to_string(root.join(&file.path)).unwrap_or_default();
        if on_disk == file.contents {
            continue;
        }
        let diff = similar::TextDiff::from_lines(&on_disk, &file.contents);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (checked in)", file.path),
                &format!("{} (generated)", file.path),
            )
            .to_string();
        // Keep the report readable when a whole file is new or rewritten.
        let mut lines: Vec<&str> = text.lines().collect();
        let total = lines.len();
        lines.truncate(200);
        report.push_str(&lines.join("\n"));
        if total > 200 {
            report.push_str(&format!("\n... {} more diff lines", total - 200));
        }
        report.push('\n');
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_case_matches_progenitor_names() {
        assert_eq!(
            snake_case("CreateInstanceSnapshot"),
            "create_instance_snapshot"
        );
        assert_eq!(snake_case("GatewayGetSnapshot"), "gateway_get_snapshot");
        assert_eq!(snake_case("list_snapshots"), "list_snapshots");
        assert_eq!(snake_case("GetHTTPThing"), "get_http_thing");
    }

    #[test]
    fn view_drops_bodies_only_where_success_responses_mix() {
        let raw = json!({"paths": {
            "/a": {"delete": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {}}}},
                "204": {"description": "gone"},
                "404": {"description": "no", "content": {"application/json": {"schema": {}}}}
            }}},
            "/b": {"get": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {}}}}
            }}}
        }});
        let (view, adjustments) = progenitor_view(&raw);
        assert!(view
            .pointer("/paths/~1a/delete/responses/200/content")
            .is_none());
        assert!(view
            .pointer("/paths/~1a/delete/responses/404/content")
            .is_some());
        assert!(view
            .pointer("/paths/~1b/get/responses/200/content")
            .is_some());
        assert_eq!(adjustments.len(), 1);
        assert!(
            adjustments[0].starts_with("DELETE /a: the 200 body"),
            "{adjustments:?}"
        );
    }

    #[test]
    fn view_drops_the_not_of_open_enum_fallbacks_only() {
        let raw = json!({
            "openapi": "3.0.3",
            "paths": {},
            "components": {"schemas": {
                "Known": {"type": "string", "enum": ["a"]},
                "Open": {"oneOf": [
                    {"$ref": "#/components/schemas/Known"},
                    {"type": "string", "not": {"$ref": "#/components/schemas/Known"}}
                ]},
                "Other": {"oneOf": [
                    {"$ref": "#/components/schemas/Known"},
                    {"type": "string", "not": {"enum": ["b"]}}
                ]}
            }}
        });
        let (view, adjustments) = progenitor_view(&raw);
        assert_eq!(
            view.pointer("/components/schemas/Open/oneOf/1"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            view.pointer("/components/schemas/Other/oneOf/1/not"),
            Some(&json!({"enum": ["b"]})),
            "a `not` that is not the known values stays"
        );
        assert_eq!(adjustments.len(), 1);
        assert!(
            adjustments[0].contains("open enums Open:"),
            "{adjustments:?}"
        );
    }

    #[test]
    fn view_puts_parameter_descriptions_on_one_line() {
        let raw = json!({"paths": {"/a": {
            "parameters": [{"name": "p", "description": "one\n  two\n"}],
            "get": {"parameters": [{"name": "q", "description": "three\nfour"}], "responses": {}}
        }}});
        let (view, _) = progenitor_view(&raw);
        assert_eq!(
            view.pointer("/paths/~1a/parameters/0/description"),
            Some(&json!("one two"))
        );
        assert_eq!(
            view.pointer("/paths/~1a/get/parameters/0/description"),
            Some(&json!("three four"))
        );
    }

    #[test]
    fn server_variables_take_their_defaults() {
        let vars = json!({"regionId": {"default": "cn-hangzhou"}});
        assert_eq!(
            substitute_server_variables("https://pai-dsw.{regionId}.aliyuncs.com", Some(&vars)),
            "https://pai-dsw.cn-hangzhou.aliyuncs.com"
        );
    }

    /// Generating twice gives identical bytes, for every API of the table.
    #[test]
    fn generation_is_deterministic() {
        let root = crate::spec::workspace_root();
        for api in crate::apis::APIS {
            let first = render(&root, api).expect("renders");
            let second = render(&root, api).expect("renders");
            assert_eq!(first, second, "{} is not deterministic", api.crate_name);
        }
    }
}
