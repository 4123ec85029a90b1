//! A stable public surface: every struct with named fields of a generated crate's `types`
//! module is marked `#[non_exhaustive]`, so that a new optional member in the spec is not a
//! breaking change. Users build these types with progenitor's `types::builder::*`
//! (`types::CreateSnapshotRequest::builder()`), `Default`, or by deserialising them;
//! outside the crate a struct literal does not compile. Newtypes (`SnapshotName(String)`)
//! and enums are left as they are: a newtype cannot gain a member, and an open enum already
//! keeps unknown values.

use anyhow::Result;

/// Marks every named-field struct of `types` in progenitor's output `#[non_exhaustive]`;
/// returns how many were marked. Fails when the output has no `types` module.
pub fn non_exhaustive_types(file: &mut syn::File) -> Result<usize> {
    let types = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    });
    let Some(types) = types else {
        anyhow::bail!("progenitor's output has no `types` module")
    };
    let mut marked = 0;
    for item in types.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        let named = matches!(s.fields, syn::Fields::Named(_));
        let already = s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
        if named && !already {
            s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            marked += 1;
        }
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn marks_named_structs_of_types_only() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct A { pub x: i32 }
                pub struct N(pub String);
                pub enum E { X }
                pub mod builder { pub struct A { x: i32 } }
            }
            pub mod builder { pub struct Op { x: i32 } }
        };
        assert_eq!(non_exhaustive_types(&mut file).expect("types"), 1);
        let text = file.to_token_stream().to_string();
        assert_eq!(text.matches("non_exhaustive").count(), 1, "{text}");
        assert!(text.contains("# [non_exhaustive] pub struct A"), "{text}");
        assert_eq!(
            non_exhaustive_types(&mut file).expect("types"),
            0,
            "idempotent"
        );
    }

    /// The rendered code of every API: each named-field struct of `types` is non-exhaustive,
    /// and there is at least one (a struct literal outside the crate cannot compile).
    #[test]
    fn rendered_types_structs_are_non_exhaustive() {
        let root = crate::spec::workspace_root();
        for api in crate::apis::APIS {
            let files = crate::generate::render(&root, api).expect("renders");
            let generated = files
                .iter()
                .find(|f| f.path.ends_with("src/generated.rs"))
                .expect("a generated.rs");
            let file = syn::parse_file(&generated.contents).expect("parses");
            let types = file
                .items
                .iter()
                .find_map(|item| match item {
                    syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
                    _ => None,
                })
                .expect("a types module");
            let named: Vec<&syn::ItemStruct> = types
                .1
                .iter()
                .filter_map(|item| match item {
                    syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => Some(s),
                    _ => None,
                })
                .collect();
            assert!(!named.is_empty(), "{}: no named structs", api.crate_name);
            for s in named {
                assert!(
                    s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")),
                    "{}: types::{} is not #[non_exhaustive]",
                    api.crate_name,
                    s.ident
                );
            }
        }
    }

    #[test]
    fn no_types_module_is_an_error() {
        let mut file: syn::File = syn::parse_quote! { pub struct A; };
        assert!(non_exhaustive_types(&mut file).is_err());
    }
}
