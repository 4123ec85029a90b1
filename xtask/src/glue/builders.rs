//! Builders where users need them: typify writes a builder (`types::builder::X`, with
//! `X::builder()` and the conversions both ways) for every struct of `types`, but a program
//! only builds the bodies it sends. The builders of the structs no request reaches (response
//! bodies, error bodies) are compiled only with the generated crate's `test-util` feature,
//! which tests that fake an answer turn on (as a dev-dependency feature, it never reaches a
//! release build). That is a third of `graph-olap`'s code less to compile in a user's build.
//!
//! A struct keeps its builder when a request reaches it: the builder of a request body (named
//! by progenitor's operation builders, outside `types`), and every struct of `types` a kept
//! struct's fields name, transitively (`Label` inside a DSW create request). The rest is
//! derived from the code itself, so it follows the spec through progenitor.

use anyhow::{bail, Result};
use quote::ToTokens;
use std::collections::BTreeSet;

/// The feature that compiles every builder.
pub const FEATURE: &str = "test-util";

/// Puts `#[cfg(feature = "test-util")]` on the builders of the structs no request reaches,
/// and on everything of theirs (`X::builder()`, `Default`, the setters, both conversions).
/// Returns the names of the gated builders. Fails when the output has no `types` module or
/// no `types::builder` module while `types` has structs.
pub fn gate_response_builders(file: &mut syn::File) -> Result<BTreeSet<String>> {
    let requested = named_outside_types(file);
    let Some(types) = module_items(&mut file.items, "types") else {
        bail!("progenitor's output has no `types` module")
    };
    let kept = reachable(types, &requested);
    let structs = struct_names(types);
    let gated: BTreeSet<String> = structs.difference(&kept).cloned().collect();
    let cfg: syn::Attribute =
        syn::parse_str::<syn::DeriveInput>(&format!("#[cfg(feature = \"{FEATURE}\")] struct S;"))?
            .attrs
            .remove(0);
    // `impl X { pub fn builder() -> builder::X }` in `types`.
    for item in types.iter_mut() {
        if let syn::Item::Impl(i) = item {
            if i.trait_.is_none() && returns_gated_builder(i, &gated) {
                i.attrs.push(cfg.clone());
            }
        }
    }
    let Some(builders) = module_items(types, "builder") else {
        if structs.is_empty() {
            return Ok(gated);
        }
        bail!("typify's output has no `types::builder` module")
    };
    for item in builders.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(s) if gated.contains(&s.ident.to_string()) => &mut s.attrs,
            syn::Item::Impl(i) if impl_mentions(i, &gated) => &mut i.attrs,
            _ => continue,
        };
        attrs.push(cfg.clone());
    }
    Ok(gated)
}

/// The items of the inline module `name` among `items`.
fn module_items<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The `X` of every `types::builder::X` named outside the `types` module (the request
/// bodies of progenitor's operation builders).
fn named_outside_types(file: &syn::File) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for item in &file.items {
        if matches!(item, syn::Item::Mod(m) if m.ident == "types") {
            continue;
        }
        let tokens: Vec<String> = item
            .to_token_stream()
            .into_iter()
            .flat_map(flatten)
            .collect();
        for window in tokens.windows(7) {
            if window[..6] == ["types", ":", ":", "builder", ":", ":"] {
                names.insert(window[6].clone());
            }
        }
    }
    names
}

/// A token tree as the text of its leaf tokens, groups opened (`Punct` one character each).
fn flatten(tree: proc_macro2::TokenTree) -> Vec<String> {
    match tree {
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().flat_map(flatten).collect(),
        other => vec![other.to_string()],
    }
}

/// The named-field structs of `types`.
fn struct_names(types: &[syn::Item]) -> BTreeSet<String> {
    types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => {
                Some(s.ident.to_string())
            }
            _ => None,
        })
        .collect()
}

/// `roots` and every type of `types` their definitions name, transitively (fields of
/// structs, payloads of enum variants, newtypes' inner types).
fn reachable(types: &[syn::Item], roots: &BTreeSet<String>) -> BTreeSet<String> {
    let defined: BTreeSet<String> = types.iter().filter_map(defined_name).collect();
    let mut seen: BTreeSet<String> = roots.clone();
    let mut queue: Vec<String> = roots.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        let Some(item) = types
            .iter()
            .find(|i| defined_name(i).as_deref() == Some(name.as_str()))
        else {
            continue;
        };
        for ident in idents_of_definition(item) {
            if defined.contains(&ident) && seen.insert(ident.clone()) {
                queue.push(ident);
            }
        }
    }
    seen
}

/// The name a struct or enum item defines.
fn defined_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        _ => None,
    }
}

/// Every identifier in the fields of a struct or the variants of an enum (attributes
/// excluded: serde's paths are not types).
fn idents_of_definition(item: &syn::Item) -> Vec<String> {
    let fields: Vec<&syn::Field> = match item {
        syn::Item::Struct(s) => s.fields.iter().collect(),
        syn::Item::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
        _ => Vec::new(),
    };
    fields
        .iter()
        .flat_map(|f| f.ty.to_token_stream().into_iter().flat_map(flatten))
        .collect()
}

/// Whether an inherent impl's functions return `builder::X` for a gated `X`.
fn returns_gated_builder(i: &syn::ItemImpl, gated: &BTreeSet<String>) -> bool {
    i.items.iter().any(|item| {
        let syn::ImplItem::Fn(f) = item else {
            return false;
        };
        let syn::ReturnType::Type(_, ty) = &f.sig.output else {
            return false;
        };
        let tokens: Vec<String> = ty.to_token_stream().into_iter().flat_map(flatten).collect();
        matches!(tokens.as_slice(), [b, c, d, name] if b == "builder" && c == ":" && d == ":" && gated.contains(name))
    })
}

/// Whether an impl of the `builder` module is about a gated builder: its self type is one
/// (`impl Default for X`, the setters, `From<super::X> for X`), or its trait's type argument
/// is one (`TryFrom<X> for super::X`). Inside `builder`, a bare `X` is the builder and
/// `super::X` the type.
fn impl_mentions(i: &syn::ItemImpl, gated: &BTreeSet<String>) -> bool {
    let bare = |ty: &syn::Type| match ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            gated.contains(&p.path.segments[0].ident.to_string())
        }
        _ => false,
    };
    if bare(&i.self_ty) {
        return true;
    }
    let Some((_, path, _)) = &i.trait_ else {
        return false;
    };
    path.segments
        .iter()
        .any(|segment| match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|arg| match arg {
                syn::GenericArgument::Type(ty) => bare(ty),
                _ => false,
            }),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> syn::File {
        syn::parse_quote! {
            pub mod types {
                pub struct CreateRequest { pub name: Name, pub labels: Vec<Label> }
                pub struct Label { pub key: String }
                pub struct Name(String);
                pub struct Snapshot { pub id: String, pub owner: Owner }
                pub struct Owner { pub name: String }
                pub enum Answer { One(Snapshot) }
                impl CreateRequest { pub fn builder() -> builder::CreateRequest { Default::default() } }
                impl Label { pub fn builder() -> builder::Label { Default::default() } }
                impl Snapshot { pub fn builder() -> builder::Snapshot { Default::default() } }
                impl Owner { pub fn builder() -> builder::Owner { Default::default() } }
                pub mod builder {
                    pub struct CreateRequest { name: Result<super::Name, String> }
                    impl Default for CreateRequest { fn default() -> Self { todo!() } }
                    impl ::std::convert::TryFrom<CreateRequest> for super::CreateRequest {
                        type Error = String;
                        fn try_from(v: CreateRequest) -> Result<Self, String> { todo!() }
                    }
                    pub struct Label { key: Result<String, String> }
                    pub struct Snapshot { id: Result<String, String> }
                    impl Default for Snapshot { fn default() -> Self { todo!() } }
                    impl Snapshot { pub fn id(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Snapshot> for super::Snapshot {
                        type Error = String;
                        fn try_from(v: Snapshot) -> Result<Self, String> { todo!() }
                    }
                    impl ::std::convert::From<super::Snapshot> for Snapshot {
                        fn from(v: super::Snapshot) -> Self { todo!() }
                    }
                    pub struct Owner { name: Result<String, String> }
                }
            }
            pub mod builder {
                pub struct CreateSnapshot { body: Result<types::builder::CreateRequest, String> }
            }
        }
    }

    /// The items of `file` that carry the feature's `cfg`, as text.
    fn gated_items(file: &syn::File) -> Vec<String> {
        let mut out = Vec::new();
        let mut walk = |items: &[syn::Item]| {
            for item in items {
                let text = item.to_token_stream().to_string();
                if text.starts_with("# [cfg (feature = \"test-util\")]") {
                    out.push(text);
                }
            }
        };
        let syn::Item::Mod(types) = &file.items[0] else {
            panic!()
        };
        let items = &types.content.as_ref().unwrap().1;
        walk(items);
        let Some(syn::Item::Mod(builder)) = items.last() else {
            panic!()
        };
        walk(&builder.content.as_ref().unwrap().1);
        out
    }

    #[test]
    fn only_the_builders_no_request_reaches_are_gated() {
        let mut file = sample();
        let gated = gate_response_builders(&mut file).unwrap();
        assert_eq!(gated.into_iter().collect::<Vec<_>>(), ["Owner", "Snapshot"]);
        let items = gated_items(&file);
        // Snapshot::builder(), Owner::builder(), and the builder Snapshot's struct, Default,
        // setters and both conversions, and the builder Owner's struct.
        assert_eq!(items.len(), 8, "{items:#?}");
        assert!(items
            .iter()
            .all(|i| !i.contains("CreateRequest") && !i.contains("Label")));
        assert!(items
            .iter()
            .any(|i| i.contains("TryFrom < Snapshot > for super :: Snapshot")));
        assert!(items
            .iter()
            .any(|i| i.contains("From < super :: Snapshot > for Snapshot")));
    }

    #[test]
    fn gating_is_idempotent_in_what_it_selects() {
        let mut once = sample();
        let first = gate_response_builders(&mut once).unwrap();
        let mut twice = once.clone();
        assert_eq!(gate_response_builders(&mut twice).unwrap(), first);
    }

    #[test]
    fn an_output_without_types_is_an_error() {
        let mut file: syn::File = syn::parse_quote! { pub mod builder {} };
        assert!(gate_response_builders(&mut file).is_err());
        let mut file: syn::File = syn::parse_quote! { pub mod types { pub struct A { x: i32 } } };
        assert!(gate_response_builders(&mut file).is_err());
    }
}
