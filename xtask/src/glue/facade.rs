//! The facade's generated parts, from [`crate::apis::APIS`] and each spec's `x-profiles`:
//!
//! - `crates/snapshots/src/generated/mod.rs`: the re-export of every generated crate, the
//!   `APIS` table the facade's one slot mechanism reads (each API's `PROFILES` and
//!   `connect`), one accessor on `Client` per profile (`client.dsw()`), one base URL setter
//!   on `ClientBuilder` per profile (`dsw_url`, the same as `.base_url("dsw", url)`) and one
//!   `<ACCESSOR>_URL` constant per profile that has a default base URL;
//! - `crates/snapshots/src/generated/accessors.md`: the accessor table of the crate's docs;
//! - the block of `crates/snapshots/Cargo.toml` between [`BEGIN`] and [`END`]: one path
//!   dependency per generated crate; and the block between [`FEATURES_BEGIN`] and
//!   [`FEATURES_END`]: the facade's `test-util` feature, forwarded to every generated crate.
//!   The rest of that file is handwritten and left as is.

use super::profiles::{self, Profile};
use crate::apis::{Api, APIS};
use crate::generate::GeneratedFile;
use crate::spec::Spec;
use anyhow::{bail, Context, Result};
use std::collections::HashSet;
use std::path::Path;

/// The facade's manifest, relative to the workspace root.
const MANIFEST: &str = "crates/snapshots/Cargo.toml";
/// The first line of the generated block of [`MANIFEST`].
pub const BEGIN: &str =
    "# @generated begin: one line per entry of xtask/src/apis.rs, by `cargo xtask generate`.";
/// The last line of the generated block of [`MANIFEST`].
pub const END: &str = "# @generated end";
/// The first line of the generated block of [`MANIFEST`]'s `[features]`.
pub const FEATURES_BEGIN: &str =
    "# @generated features begin: from xtask/src/apis.rs, by `cargo xtask generate`.";
/// The last line of the generated block of [`MANIFEST`]'s `[features]`.
pub const FEATURES_END: &str = "# @generated features end";

/// One API with its profiles.
struct Entry<'a> {
    api: &'a Api,
    profiles: Vec<Profile>,
}

/// Every file (or block) of the facade the xtask owns, rendered in memory.
pub fn render(root: &Path) -> Result<Vec<GeneratedFile>> {
    let mut entries = Vec::new();
    let mut accessors = HashSet::new();
    for api in APIS {
        let spec = Spec::load(&root.join(api.spec))?;
        let profiles = profiles::read(&spec.raw).with_context(|| api.spec.to_owned())?;
        for p in &profiles {
            if !accessors.insert(p.accessor.clone()) {
                bail!(
                    "{}: the accessor {:?} is used by another API",
                    api.spec,
                    p.accessor
                );
            }
        }
        entries.push(Entry { api, profiles });
    }
    let manifest = std::fs::read_to_string(root.join(MANIFEST))
        .with_context(|| format!("reading {MANIFEST}"))?;
    Ok(vec![
        GeneratedFile {
            path: "crates/snapshots/src/generated/mod.rs".to_owned(),
            contents: module(&entries)?,
        },
        GeneratedFile {
            path: "crates/snapshots/src/generated/accessors.md".to_owned(),
            contents: table(&entries),
        },
        GeneratedFile {
            path: MANIFEST.to_owned(),
            contents: manifest_with_block(
                &manifest_with_block(&manifest, (BEGIN, END), &dependency_block(APIS))?,
                (FEATURES_BEGIN, FEATURES_END),
                &features_block(APIS),
            )?,
        },
    ])
}

/// The lines between [`BEGIN`] and [`END`]: one path dependency per generated crate.
fn dependency_block(apis: &[Api]) -> String {
    apis.iter()
        .map(|a| {
            format!(
                "{} = {{ path = \"../{}\", default-features = false }}\n",
                a.crate_name, a.crate_name
            )
        })
        .collect()
}

/// The lines between [`FEATURES_BEGIN`] and [`FEATURES_END`]: `test-util`, the builders of
/// every generated crate's answer types (`glue::builders`), for tests that fake an answer.
fn features_block(apis: &[Api]) -> String {
    let forwarded: Vec<String> = apis
        .iter()
        .map(|a| format!("\"{}/{}\"", a.crate_name, super::builders::FEATURE))
        .collect();
    format!(
        "# The builders of the types no request reaches (answers, error bodies), for tests that\n\
         # fake an answer: turn it on in [dev-dependencies] only.\n{} = [{}]\n",
        super::builders::FEATURE,
        forwarded.join(", ")
    )
}

/// `manifest` with the lines between the markers `(begin, end)` replaced by `block`.
fn manifest_with_block(
    manifest: &str,
    (begin_line, end_line): (&str, &str),
    block: &str,
) -> Result<String> {
    let (Some(begin), Some(end)) = (manifest.find(begin_line), manifest.find(end_line)) else {
        bail!("{MANIFEST} has lost a generated block; put back the two lines\n{begin_line}\n{end_line}\n(dependencies in [dependencies], features in [features])");
    };
    let start = begin + begin_line.len() + 1;
    if end < start {
        bail!("{MANIFEST}: `{end_line}` comes before `{begin_line}`");
    }
    Ok(format!("{}{block}{}", &manifest[..start], &manifest[end..]))
}

fn header() -> String {
    "// @generated by `cargo xtask generate` from xtask/src/apis.rs and each spec's `x-profiles`.\n\
     // Do not edit: change the specs or the table and run `cargo xtask generate`.\n"
        .to_owned()
}

/// How a profile's credentials are found, for the docs.
fn auth_text(auth: &str) -> &'static str {
    match auth {
        "AlibabaAcs3" => "the Alibaba Cloud credentials (`ACS3-HMAC-SHA256` with the access key, the provider or the default chain), or the Alibaba bearer token",
        "DashscopeBearer" => "the DashScope API key (`Authorization: Bearer`)",
        _ => "`X-Username`, or a bearer token",
    }
}

fn base_url_text(p: &Profile) -> String {
    match &p.base_url {
        Some(url) => format!("`{url}`"),
        None => "none (set one)".to_owned(),
    }
}

/// The generated module, formatted by prettyplease.
fn module(entries: &[Entry<'_>]) -> Result<String> {
    let mut code = String::from(
        "use crate::client::{ApiEntry, Client, ClientBuilder};\nuse crate::error::Error;\n",
    );
    let mut rows = String::new();
    let mut accessors = String::new();
    let mut setters = String::new();
    for Entry { api, profiles } in entries {
        let lib = api.lib_name();
        code.push_str(&format!(
            "/// The generated client crate of `{spec}`: {summary}\npub use {lib};\n",
            spec = api.spec,
            summary = api.summary,
        ));
        rows.push_str(&format!(
            "ApiEntry {{ crate_name: {name:?}, profiles: {lib}::PROFILES, \
             connect: |base_url, http, runtime| Box::new({lib}::connect(base_url, http, runtime)) }},",
            name = api.crate_name,
        ));
        for p in profiles {
            accessors.push_str(&accessor(api, p));
            setters.push_str(&setter(p));
            if let Some(url) = &p.base_url {
                code.push_str(&format!(
                    "/// The default base URL of [`Client::{a}`] (`{{region}}` is the client's region).\n\
                     pub const {upper}_URL: &str = {url:?};\n",
                    a = p.accessor,
                    upper = p.accessor.to_uppercase(),
                ));
            }
        }
    }
    code.push_str(&format!(
        "/// Every API: its crate, its profiles and how to build its client.\n\
         pub(crate) const APIS: &[ApiEntry] = &[{rows}];\n\
         impl Client {{ {accessors} }}\nimpl ClientBuilder {{ {setters} }}\n"
    ));
    let file: syn::File =
        syn::parse_str(&code).context("the facade's generated module does not parse")?;
    Ok(format!(
        "{}//! The facade's per-API part, generated: re-exports, accessors, base URL setters.\n\n{}",
        header(),
        prettyplease::unparse(&file)
    ))
}

fn accessor(api: &Api, p: &Profile) -> String {
    format!(
        "/// The {title} client (profile `{name}` of `{spec}`). Default base URL: {url}, or the \
         one set by [`ClientBuilder::{a}_url`]. Authenticates with {auth}.\n///\n\
         /// Fails with [`Error::Credentials`] when there are no usable credentials for it, and\n\
         /// with [`Error::Config`] when it has no base URL.\n\
         pub fn {a}(&self) -> Result<&{lib}::Client, Error> {{ self.api::<{lib}::Client>({a:?}) }}\n",
        title = p.title,
        name = p.name,
        spec = api.spec,
        url = base_url_text(p),
        a = p.accessor,
        auth = auth_text(p.auth),
        lib = api.lib_name(),
    )
}

fn setter(p: &Profile) -> String {
    format!(
        "/// The {title} base URL (default: {url}); the same as \
         [`base_url(\"{a}\", url)`](Self::base_url).\n\
         pub fn {a}_url(self, url: impl Into<String>) -> Self {{ self.base_url({a:?}, url) }}\n",
        title = p.title,
        url = base_url_text(p),
        a = p.accessor,
    )
}

/// The accessor table of the facade's crate docs.
fn table(entries: &[Entry<'_>]) -> String {
    let mut out = String::from(
        "<!-- @generated by `cargo xtask generate` from xtask/src/apis.rs and each spec's `x-profiles`. -->\n\n\
         | accessor | API | crate | default base URL | credentials |\n| --- | --- | --- | --- | --- |\n",
    );
    for Entry { api, profiles } in entries {
        for p in profiles {
            out.push_str(&format!(
                "| [`Client::{a}`] | {title} | [`{lib}`] | {url} | {auth} |\n",
                a = p.accessor,
                title = p.title,
                lib = api.lib_name(),
                url = match &p.base_url {
                    Some(url) => format!("`{url}`"),
                    None => format!("none: [`ClientBuilder::{}_url`]", p.accessor),
                },
                auth = auth_text(p.auth),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_block_is_replaced_and_the_rest_kept() {
        let manifest = format!("[dependencies]\na = 1\n{BEGIN}\nold = 1\n{END}\nz = 2\n");
        let out = manifest_with_block(&manifest, (BEGIN, END), "new = 1\n").unwrap();
        assert_eq!(
            out,
            format!("[dependencies]\na = 1\n{BEGIN}\nnew = 1\n{END}\nz = 2\n")
        );
        assert!(manifest_with_block("[dependencies]\n", (BEGIN, END), "x").is_err());
        assert!(manifest_with_block(&format!("{END}\n{BEGIN}\n"), (BEGIN, END), "x").is_err());
        let features = format!("[features]\n{FEATURES_BEGIN}\n{FEATURES_END}\n");
        let out = manifest_with_block(
            &features,
            (FEATURES_BEGIN, FEATURES_END),
            &features_block(APIS),
        );
        let out = out.unwrap();
        for api in APIS {
            assert!(
                out.contains(&format!("\"{}/test-util\"", api.crate_name)),
                "{out}"
            );
        }
    }

    #[test]
    fn every_api_is_a_path_dependency_without_its_default_tls() {
        let block = dependency_block(APIS);
        for api in APIS {
            assert!(block.contains(&format!(
                "{} = {{ path = \"../{}\", default-features = false }}",
                api.crate_name, api.crate_name
            )));
        }
    }

    #[test]
    fn the_workspace_renders() {
        let files = render(&crate::spec::workspace_root()).unwrap();
        let module = &files[0].contents;
        assert!(module.contains("pub fn dsw(&self)"), "{module}");
        assert!(module.contains("pub fn graph_olap_url("), "{module}");
        assert!(
            module.contains("pub const LANGSTUDIO_GATEWAY_URL"),
            "{module}"
        );
    }

    proptest! {
        /// Replacing the block twice gives the same manifest as once (idempotent), and
        /// whatever surrounds the block is kept byte for byte.
        #[test]
        fn block_replacement_is_idempotent(before in "[a-z =\n]{0,40}", after in "[a-z =\n]{0,40}", block in "[a-z =\n]{0,40}") {
            let manifest = format!("{before}\n{BEGIN}\nold\n{END}{after}");
            let once = manifest_with_block(&manifest, (BEGIN, END), &block).unwrap();
            let twice = manifest_with_block(&once, (BEGIN, END), &block).unwrap();
            prop_assert_eq!(&once, &twice);
            let head = format!("{before}\n{BEGIN}\n{block}");
            let tail = format!("{END}{after}");
            prop_assert!(once.starts_with(&head));
            prop_assert!(once.ends_with(&tail));
        }
    }
}
