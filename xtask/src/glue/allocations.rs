//! Fewer allocations per call in progenitor's operation builders, by two rewrites of its
//! output (the helpers are in `snapshots_runtime::builder_glue`):
//!
//! - `encode_path(&value.to_string())`, two strings per path parameter, becomes
//!   `{ use ::snapshots_runtime::builder_glue::ToPathSegment as _; value.to_path_segment() }`,
//!   encoded while the URL is formatted (the same text: the runtime's proptests compare the
//!   two). A method call, like `to_string`, so that it finds `Display` through `Deref` (a
//!   newtype over `String`); `value` must be a variable, as progenitor's path parameters are;
//! - a required parameter starts as `Err(String::new())` (no allocation) instead of
//!   `Err("<name> was not initialized".to_string())`, and `send` makes that message only
//!   when the parameter was never set (`builder_glue::missing`).
//!
//! The rewrite works on tokens, so it also reaches inside `format!`. It fails when
//! progenitor's code changes shape (a call of `encode_path` or a "not initialized" message
//! it does not rewrite), so an upgrade cannot silently bring the allocations back or lose a
//! message.

use anyhow::{bail, Context, Result};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::BTreeMap;

/// The end of progenitor's message for a required parameter never set.
const NOT_INITIALIZED: &str = " was not initialized";

/// What the rewrite did, to check that it did all of it.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    /// Calls of `encode_path` seen, and rewritten.
    encode_calls: usize,
    encode_rewritten: usize,
    /// Per required parameter name (its message is the name and [`NOT_INITIALIZED`]): how
    /// many builders start it unset, and how many `send`s now make the message on demand (at
    /// least as many).
    required: BTreeMap<String, Required>,
}

/// A required parameter name of the builders.
#[derive(Debug, Default, PartialEq)]
struct Required {
    starts: usize,
    reads: usize,
}

/// Rewrites `file` (see the module documentation).
pub fn fewer_allocations(file: &mut syn::File) -> Result<()> {
    *file = rewritten(file)?.0;
    Ok(())
}

/// `file` rewritten, and what the rewrite did.
fn rewritten(file: &syn::File) -> Result<(syn::File, Counts)> {
    let tokens = file.to_token_stream();
    let mut counts = Counts::default();
    collect_required(tokens.clone(), &mut counts.required);
    let tokens = rewrite(tokens, &mut counts);
    if counts.encode_rewritten != counts.encode_calls {
        bail!(
            "{} of {} `encode_path` calls in progenitor's output are not `encode_path(&x.to_string())`",
            counts.encode_calls - counts.encode_rewritten,
            counts.encode_calls
        );
    }
    let unread: Vec<&String> = counts
        .required
        .iter()
        .filter(|(_, r)| r.reads < r.starts)
        .map(|(name, _)| name)
        .collect();
    if !unread.is_empty() {
        bail!("required parameters whose `send` no longer reads `{{name}}.map_err(Error::InvalidRequest)?`: {unread:?}");
    }
    let file = syn::parse2(tokens).context("the rewritten builders do not parse")?;
    Ok((file, counts))
}

/// Records every `Err("<name> was not initialized".to_string())` by name.
fn collect_required(tokens: TokenStream, required: &mut BTreeMap<String, Required>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            if is_ident(trees.get(i.wrapping_sub(1)), "Err") {
                if let Some(message) = not_initialized(group) {
                    let name = message.trim_end_matches(NOT_INITIALIZED).to_owned();
                    required.entry(name).or_default().starts += 1;
                }
            }
            collect_required(group.stream(), required);
        }
    }
}

/// The message of `("<name> was not initialized".to_string())`.
fn not_initialized(group: &Group) -> Option<String> {
    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
    let [TokenTree::Literal(literal), dot, to_string, call] = inner.as_slice() else {
        return None;
    };
    let message: String = syn::parse_str::<syn::LitStr>(&literal.to_string())
        .ok()?
        .value();
    let shape = is_punct(dot, '.') && is_ident(Some(to_string), "to_string") && is_empty_call(call);
    (shape && message.ends_with(NOT_INITIALIZED)).then_some(message)
}

/// `tokens` with both rewrites applied, at every depth.
fn rewrite(tokens: TokenStream, counts: &mut Counts) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    let mut i = 0;
    while i < trees.len() {
        let tree = &trees[i];
        let next = trees.get(i + 1);
        if is_ident(Some(tree), "encode_path") {
            if let Some(TokenTree::Group(args)) = next {
                if args.delimiter() == Delimiter::Parenthesis {
                    counts.encode_calls += 1;
                    if let Some(value) = to_string_argument(args) {
                        counts.encode_rewritten += 1;
                        out.extend(quote!({
                            use ::snapshots_runtime::builder_glue::ToPathSegment as _;
                            #value.to_path_segment()
                        }));
                        i += 2;
                        continue;
                    }
                }
            }
        }
        if let (TokenTree::Ident(name), Some(dot)) = (tree, next) {
            if let Some(required) = counts.required.get_mut(&name.to_string()) {
                if is_punct(dot, '.') && is_invalid_request_map_err(&trees[i + 2..]) {
                    required.reads += 1;
                    let message = format!("{name}{NOT_INITIALIZED}");
                    out.extend(quote!(#name.map_err(|e| Error::InvalidRequest(
                        ::snapshots_runtime::builder_glue::missing(e, #message)
                    ))));
                    i += 4;
                    continue;
                }
            }
        }
        match tree {
            TokenTree::Group(group)
                if is_ident(trees.get(i.wrapping_sub(1)), "Err")
                    && not_initialized(group).is_some() =>
            {
                out.extend(quote!((::std::string::String::new())));
            }
            TokenTree::Group(group) => {
                let mut copy = Group::new(group.delimiter(), rewrite(group.stream(), counts));
                copy.set_span(group.span());
                out.extend([TokenTree::Group(copy)]);
            }
            other => out.extend([other.clone()]),
        }
        i += 1;
    }
    out
}

/// The variable `x` of the arguments `(&x.to_string())`.
fn to_string_argument(args: &Group) -> Option<proc_macro2::Ident> {
    let inner: Vec<TokenTree> = args.stream().into_iter().collect();
    let [amp, TokenTree::Ident(value), dot, to_string, call] = inner.as_slice() else {
        return None;
    };
    let shape = is_punct(amp, '&')
        && is_punct(dot, '.')
        && is_ident(Some(to_string), "to_string")
        && is_empty_call(call);
    shape.then(|| value.clone())
}

/// Whether `trees` start with `map_err(Error::InvalidRequest)` (after the `.`).
fn is_invalid_request_map_err(trees: &[TokenTree]) -> bool {
    let [map_err, TokenTree::Group(args), ..] = trees else {
        return false;
    };
    is_ident(Some(map_err), "map_err")
        && args.delimiter() == Delimiter::Parenthesis
        && args.stream().to_string() == quote!(Error::InvalidRequest).to_string()
}

fn is_ident(tree: Option<&TokenTree>, name: &str) -> bool {
    matches!(tree, Some(TokenTree::Ident(ident)) if ident == name)
}

fn is_punct(tree: &TokenTree, ch: char) -> bool {
    matches!(tree, TokenTree::Punct(p) if p.as_char() == ch)
}

fn is_empty_call(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> syn::File {
        syn::parse_quote! {
            pub mod builder {
                #[allow(unused_imports)]
                use super::{encode_path, Error};
                pub struct GetSnapshot<'a> {
                    client: &'a super::Client,
                    instance_id: Result<String, String>,
                    limit: Result<Option<u32>, String>,
                }
                impl<'a> GetSnapshot<'a> {
                    pub fn new(client: &'a super::Client) -> Self {
                        Self {
                            client: client,
                            instance_id: Err("instance_id was not initialized".to_string()),
                            limit: Ok(None),
                        }
                    }
                    pub async fn send(self) -> Result<(), Error<()>> {
                        let Self { client, instance_id, limit } = self;
                        let instance_id = instance_id.map_err(Error::InvalidRequest)?;
                        let limit = limit.map_err(Error::InvalidRequest)?;
                        let url = format!("{}/x/{}/{}", client.baseurl, encode_path(&instance_id.to_string()), encode_path(&limit.to_string()));
                        Ok(())
                    }
                }
            }
        }
    }

    #[test]
    fn both_rewrites_apply_everywhere() {
        let (file, counts) = rewritten(&sample()).unwrap();
        let (paths, required) = (counts.encode_rewritten, counts.required.len());
        assert_eq!((paths, required), (2, 1));
        let text = file.to_token_stream().to_string();
        assert!(
            !text.contains("was not initialized\" . to_string"),
            "{text}"
        );
        assert!(
            text.contains("instance_id : Err (:: std :: string :: String :: new ())"),
            "{text}"
        );
        let call = |v: &str| {
            format!("{{ use :: snapshots_runtime :: builder_glue :: ToPathSegment as _ ; {v} . to_path_segment () }}")
        };
        assert!(text.contains(&call("instance_id")), "{text}");
        assert!(text.contains(&call("limit")), "{text}");
        assert!(
            text.contains("missing (e , \"instance_id was not initialized\")"),
            "{text}"
        );
        // The optional parameter keeps progenitor's map_err.
        assert!(
            text.contains("limit . map_err (Error :: InvalidRequest)"),
            "{text}"
        );
        // The import is left alone (allowed unused).
        assert!(
            text.contains("use super :: { encode_path , Error }"),
            "{text}"
        );
    }

    #[test]
    fn a_call_of_another_shape_is_an_error() {
        let mut file: syn::File = syn::parse_quote! {
            fn f() { let _ = format!("{}{}", encode_path(&id), encode_path(&a.b.to_string())); }
        };
        let error = fewer_allocations(&mut file)
            .expect_err("an error")
            .to_string();
        assert!(error.contains("2 of 2 `encode_path` calls"), "{error}");
    }

    #[test]
    fn a_message_send_no_longer_reads_is_an_error() {
        let mut file: syn::File = syn::parse_quote! {
            fn new() -> S { S { id: Err("id was not initialized".to_string()) } }
            fn send(s: S) { let id = s.id.unwrap(); }
        };
        let error = fewer_allocations(&mut file)
            .expect_err("an error")
            .to_string();
        assert!(error.contains("[\"id\"]"), "{error}");
    }
}
