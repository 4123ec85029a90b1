//! `x-profiles` (document level, see `specs/EXTENSIONS.md`): how a client reaches an API.
//!
//! [`read`] checks the extension of a spec and returns its profiles; [`crate_items`] renders
//! what each generated crate gets from them: `PROFILES` (a table of
//! `snapshots_runtime::Profile`, the first the default) and `connect` (the crate's `Client`
//! from a base URL, an HTTP client and a `snapshots_runtime::Runtime`), which the facade's
//! one generic slot mechanism uses.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::HashSet;

/// The keys of one profile; any other key is an error.
const KEYS: &[&str] = &["name", "accessor", "title", "base-url", "auth", "transport"];

/// One profile of a spec, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `name`: the profile's name (lowercase letters, digits, inner hyphens).
    pub name: String,
    /// `accessor`: the facade's method, a Rust identifier in snake case.
    pub accessor: String,
    /// `title`: the API as people call it.
    pub title: String,
    /// `base-url`: the default base URL (`{region}` allowed), or `None`.
    pub base_url: Option<String>,
    /// `auth`: the runtime's `AuthScheme` variant name.
    pub auth: &'static str,
    /// `transport`: the runtime's `Transport` variant name.
    pub transport: &'static str,
}

/// The profiles of the spec `raw`, in order; an error names every problem found.
pub fn read(raw: &Value) -> Result<Vec<Profile>> {
    let list = raw
        .get("x-profiles")
        .context("no `x-profiles`: every spec says how a client reaches it (specs/EXTENSIONS.md)")?
        .as_array()
        .context("`x-profiles` must be a list")?;
    if list.is_empty() {
        bail!("`x-profiles` is empty: an API needs at least one profile");
    }
    let profiles = list
        .iter()
        .enumerate()
        .map(|(i, p)| profile(p).with_context(|| format!("x-profiles[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let mut names = HashSet::new();
    let mut accessors = HashSet::new();
    for p in &profiles {
        if !names.insert(&p.name) {
            bail!("x-profiles: the name {:?} is used twice", p.name);
        }
        if !accessors.insert(&p.accessor) {
            bail!("x-profiles: the accessor {:?} is used twice", p.accessor);
        }
    }
    Ok(profiles)
}

fn profile(value: &Value) -> Result<Profile> {
    let object = value.as_object().context("a profile is a mapping")?;
    if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        bail!("unknown key {unknown:?} (known: {})", KEYS.join(", "));
    }
    let text = |key: &str| -> Result<String> {
        object
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("`{key}` must be a string"))
    };
    let name = text("name")?;
    if !is_kebab(&name) {
        bail!("name {name:?}: lowercase letters, digits and inner hyphens");
    }
    let accessor = text("accessor")?;
    if !is_snake_ident(&accessor) {
        bail!("accessor {accessor:?}: a snake_case Rust identifier");
    }
    let title = text("title")?;
    if title.trim().is_empty() || title.contains(['"', '\\', '\n']) {
        bail!("title {title:?}: one line of text without quotes or backslashes");
    }
    let base_url = match object.get("base-url") {
        Some(Value::Null) => None,
        Some(Value::String(url)) => Some(checked_url(url)?),
        _ => bail!("`base-url` must be a URL or null"),
    };
    let auth = match text("auth")?.as_str() {
        "alibaba-acs3" => "AlibabaAcs3",
        "dashscope-bearer" => "DashscopeBearer",
        "graph-olap-identity" => "GraphOlapIdentity",
        other => {
            bail!("auth {other:?}: one of alibaba-acs3, dashscope-bearer, graph-olap-identity")
        }
    };
    let transport = match text("transport")?.as_str() {
        "rest" => "Rest",
        "action-path" => "ActionPath",
        other => bail!("transport {other:?}: one of rest, action-path"),
    };
    Ok(Profile {
        name,
        accessor,
        title,
        base_url,
        auth,
        transport,
    })
}

/// An `https`/`http` URL whose only placeholder is `{region}`, without a trailing slash.
fn checked_url(url: &str) -> Result<String> {
    let bare = url.replace("{region}", "region");
    let scheme_ok = bare.starts_with("https://") || bare.starts_with("http://");
    let chars_ok = bare
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/".contains(c));
    if !scheme_ok || !chars_ok || bare.ends_with('/') {
        bail!("base-url {url:?}: an http(s) URL without a trailing slash; only `{{region}}` may be substituted");
    }
    Ok(url.to_owned())
}

fn is_kebab(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_snake_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && syn::parse_str::<syn::Ident>(s).is_ok()
}

/// The items each generated crate gets from its profiles: `PROFILES` and `connect`.
pub fn crate_items(profiles: &[Profile]) -> Result<syn::File> {
    let rows: String = profiles.iter().map(row).collect();
    let code = format!(
        "/// How a client reaches this API: the spec's `x-profiles`, the first the default.\n\
         pub const PROFILES: &[snapshots_runtime::Profile] = &[{rows}];\n\
         /// A client of this API at `base_url` (no trailing slash) that sends its requests\n\
         /// with `http` through `runtime`, for one of [`PROFILES`].\n\
         pub fn connect(base_url: &str, http: reqwest::Client, runtime: {rt}) -> Client {{\n\
             Client::new_with_client(base_url, http, runtime)\n\
         }}\n",
        rt = "snapshots_runtime::Runtime",
    );
    syn::parse_str(&code).context("the PROFILES table does not parse")
}

fn row(p: &Profile) -> String {
    let base_url = match &p.base_url {
        Some(url) => format!("Some({url:?})"),
        None => "None".to_owned(),
    };
    format!(
        "snapshots_runtime::Profile {{ name: {:?}, accessor: {:?}, title: {:?}, base_url: {base_url}, \
         auth: snapshots_runtime::AuthScheme::{}, transport: snapshots_runtime::Transport::{} }},",
        p.name, p.accessor, p.title, p.auth, p.transport
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn spec(profiles: Value) -> Value {
        json!({ "x-profiles": profiles })
    }

    fn dsw() -> Value {
        json!({"name": "default", "accessor": "dsw", "title": "PAI-DSW",
               "base-url": "https://pai-dsw.{region}.aliyuncs.com",
               "auth": "alibaba-acs3", "transport": "rest"})
    }

    #[test]
    fn a_valid_profile_is_read() {
        let profiles = read(&spec(json!([dsw()]))).unwrap();
        assert_eq!(profiles[0].accessor, "dsw");
        assert_eq!(profiles[0].auth, "AlibabaAcs3");
        assert_eq!(profiles[0].transport, "Rest");
        let items = crate_items(&profiles).unwrap();
        assert_eq!(items.items.len(), 2);
    }

    #[test]
    fn null_base_url_is_none_and_a_missing_one_an_error() {
        let mut p = dsw();
        p["base-url"] = Value::Null;
        assert_eq!(read(&spec(json!([p.clone()]))).unwrap()[0].base_url, None);
        p.as_object_mut().unwrap().remove("base-url");
        assert!(read(&spec(json!([p]))).is_err());
    }

    #[test]
    fn problems_are_errors() {
        assert!(read(&json!({})).is_err(), "no x-profiles");
        assert!(read(&spec(json!([]))).is_err(), "empty");
        assert!(read(&spec(json!([dsw(), dsw()]))).is_err(), "duplicate");
        for (key, bad) in [
            ("auth", json!("basic")),
            ("transport", json!("grpc")),
            ("accessor", json!("Dsw")),
            ("accessor", json!("fn")),
            ("name", json!("Default")),
            ("title", json!("a \"b\"")),
            ("base-url", json!("ftp://x")),
            ("base-url", json!("https://x/{account}")),
            ("base-url", json!("https://x/")),
            ("extra", json!(1)),
        ] {
            let mut p = dsw();
            p[key] = bad;
            assert!(read(&spec(json!([p]))).is_err(), "{key}");
        }
    }

    #[test]
    fn every_spec_of_the_table_has_profiles() {
        let root = crate::spec::workspace_root();
        for api in crate::apis::APIS {
            let spec = crate::spec::Spec::load(&root.join(api.spec)).unwrap();
            assert!(!read(&spec.raw).unwrap().is_empty(), "{}", api.spec);
        }
    }

    proptest! {
        /// An accessor is accepted exactly when it is a lowercase snake_case identifier that
        /// is not a Rust keyword, so the generated method always compiles.
        #[test]
        fn accessors_are_exactly_snake_identifiers(s in "[a-zA-Z0-9_ -]{0,12}") {
            let expected = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && syn::parse_str::<syn::Ident>(&s).is_ok();
            let mut p = dsw();
            p["accessor"] = json!(s);
            prop_assert_eq!(read(&spec(json!([p]))).is_ok(), expected);
        }

        /// A profile name is accepted exactly when it is kebab case.
        #[test]
        fn names_are_exactly_kebab_case(s in "[a-zA-Z0-9_-]{0,12}") {
            let expected = s.starts_with(|c: char| c.is_ascii_lowercase())
                && !s.ends_with('-')
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            let mut p = dsw();
            p["name"] = json!(s);
            prop_assert_eq!(read(&spec(json!([p]))).is_ok(), expected);
        }
    }
}
