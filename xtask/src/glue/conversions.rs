//! Text conversions of identifier unions: progenitor gives an untagged `oneOf` of an
//! integer and a string (Graph OLAP's `ResourceId`) a `From<i64>` only, though ids are
//! often text (the seed's uuids, a command-line argument). For every enum of `types` whose
//! variants each hold one value, exactly one of them a `String` and none another type a
//! text could also be (a nested enum, a struct), this adds `From<String>` and `From<&str>`
//! into that variant, with a doc example on the enum. The text is kept as given: `"42"`
//! becomes the string variant, which paths and queries send exactly like the integer.

use anyhow::Result;

/// Scalar payloads a text can never be: a union of these and one `String` has exactly one
/// honest conversion from a text.
const SCALARS: &[&str] = &["i64", "i32", "u64", "u32", "f64", "f32", "bool"];

/// Adds the text conversions to every qualifying enum of `types`; returns their names.
/// Fails when the output has no `types` module.
pub fn text_conversions(file: &mut syn::File, lib: &str) -> Result<Vec<String>> {
    let types = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    });
    let Some(types) = types else {
        anyhow::bail!("progenitor's output has no `types` module")
    };
    let mut added = Vec::new();
    let mut impls: Vec<syn::Item> = Vec::new();
    for item in types.iter_mut() {
        let syn::Item::Enum(e) = item else { continue };
        let Some(variant) = string_variant(e) else {
            continue;
        };
        let name = e.ident.clone();
        let doc = format!(
            "\nConverts from `String` and `&str` (kept as text, in the string variant) as well \
             as from its other payloads:\n\n```\nuse {lib}::types::{name};\n\
             let id = {name}::from(\"snapshot-uuid\");\n\
             assert_eq!(id, {name}::from(String::from(\"snapshot-uuid\")));\n\
             assert_eq!(id.to_string(), \"snapshot-uuid\");\n```\n"
        );
        e.attrs.push(syn::parse_quote!(#[doc = #doc]));
        impls.push(syn::parse_quote! {
            impl ::std::convert::From<::std::string::String> for #name {
                fn from(value: ::std::string::String) -> Self {
                    Self::#variant(value)
                }
            }
        });
        impls.push(syn::parse_quote! {
            impl ::std::convert::From<&str> for #name {
                fn from(value: &str) -> Self {
                    Self::#variant(value.to_owned())
                }
            }
        });
        added.push(name.to_string());
    }
    types.extend(impls);
    Ok(added)
}

/// The string variant of `e`, when every variant holds one scalar or the one `String`, and
/// no `From<String>` would be ambiguous.
fn string_variant(e: &syn::ItemEnum) -> Option<syn::Ident> {
    let mut found = None;
    for variant in &e.variants {
        let syn::Fields::Unnamed(fields) = &variant.fields else {
            return None;
        };
        let [field] = fields.unnamed.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let ty = quote::ToTokens::to_token_stream(&field.ty)
            .to_string()
            .replace(' ', "");
        if ty == "::std::string::String" || ty == "String" {
            if found.is_some() {
                return None;
            }
            found = Some(variant.ident.clone());
        } else if !SCALARS.contains(&ty.as_str()) {
            return None;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn only_unambiguous_unions_get_text_conversions() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub enum ResourceId { Int64(i64), String(::std::string::String) }
                pub enum Open { Known(Code), String(::std::string::String) }
                pub enum Two { A(String), B(String) }
                pub enum Plain { X, Y }
            }
        };
        let added = text_conversions(&mut file, "api").expect("types");
        assert_eq!(added, vec!["ResourceId".to_owned()]);
        let text = file.to_token_stream().to_string();
        assert_eq!(text.matches("From < & str >").count(), 1, "{text}");
        assert!(text.contains("for ResourceId"), "{text}");
        assert!(text_conversions(
            &mut syn::parse_quote!(
                mod other {}
            ),
            "api"
        )
        .is_err());
    }
}
