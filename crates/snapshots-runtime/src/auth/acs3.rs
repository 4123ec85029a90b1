//! The Alibaba Cloud V3 request signer (`ACS3-HMAC-SHA256`), byte-compatible with the official
//! Python SDK (`alibabacloud_tea_openapi` 0.4.6, `Utils.get_authorization`).
//!
//! [`sign`] sets the `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`,
//! `x-acs-signature-nonce` and `x-acs-content-sha256` headers (and `x-acs-accesskey-id` plus
//! `x-acs-security-token` for STS credentials), then signs
//!
//! ```text
//! METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//! ```
//!
//! where the canonical headers are **all** headers on the request at signing time except
//! `authorization` (lowercased names, sorted; values trimmed; repeated names joined with `,`),
//! and sets `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<hex>`.
//!
//! # Paths and queries: what is signed is what is sent
//!
//! The SDK builds each path parameter with its own percent-encoding (everything but
//! `A-Z a-z 0-9 - _ . ~` as `%XX`, so `/` is `%2F`, space `%20`, `*` `%2A`) and signs the
//! path exactly as built. Our HTTP layer (progenitor) encodes differently, leaving `*`, `'`,
//! `(`, `)`, `!` and others as they are. So [`sign`] percent-**decodes** each path segment and
//! re-encodes it with the SDK's rule ([`canonical_uri`]), and **rewrites the request URL's path
//! to that same string** before signing.
//!
//! The query is signed with the SDK's rule ([`canonical_query`]): pairs decoded from the URL
//! (`+` is a space, as form encoding sends it), sorted by name, names and values encoded with
//! the same unreserved set. The SDK *sends* `+` for a space but *signs* `%20`; [`sign`] instead
//! rewrites the URL's query (in its original order) with the signing encoding, so the wire
//! carries `%20`. Servers decode both to a space; sending exactly what was signed leaves one
//! encoding to reason about. (The SDK does not encode query *names* when signing; this signer
//! does, as the V3 specification says. The two agree for every name made of
//! `A-Z a-z 0-9 - _ . ~`, which covers every parameter of the APIs in this workspace.)
//!
//! Headers that the HTTP client adds later, while sending (a client-wide default `accept`,
//! `content-length`), are not signed; V3 allows unsigned headers, and the SDK's own
//! `SignedHeaders` vary the same way.
//!
//! # Cost
//!
//! [`sign`] is on the path of every call. For a typical request it makes two heap
//! allocations of its own (the header values' buffer and its shared handle) besides the
//! header map's growth; the rest of its time is the crypto floor (SHA-256 of the body and of
//! the canonical request, one HMAC) and the header map's own work (hashing each new name,
//! checking each new value), more than half of the total on the benchmark's requests:
//!
//! - **Fast paths for the common URL.** A path made only of unreserved bytes and `/` is
//!   already canonical and is signed as it is; a query whose pairs are all
//!   `name=value` of unreserved bytes is split in place (no `form_urlencoded` parsing, no
//!   decoding, no encoding) and needs no rewrite. Anything else (an escape, a `+`, a
//!   sub-delimiter, a pair without `=`) takes the general path: each path segment decoded
//!   and re-encoded, the pairs decoded by `Url::query_pairs` and encoded, the URL rewritten
//!   where that differs. Property tests check that both paths give the same result.
//! - **One buffer for the new header values** (`NewHeaders`, `acs3/new_headers.rs`): the
//!   host and port, the date (written directly, not through chrono's formatter), the body's
//!   hex digest, the other values and, last, `Authorization` are appended to one string,
//!   which becomes the shared storage of every new `HeaderValue` (one allocation, one
//!   reference count). The values are checked with `HeaderValue`'s rule as soon as they are
//!   written.
//! - **No list on the heap for a typical request**: the headers to sign are borrowed
//!   `(name, value)` pairs (the request's header map is not cloned) and the query pairs are
//!   borrowed slices, both kept in stack arrays (`SmallList`, `acs3/small_list.rs`) and
//!   sorted with an insertion sort (they are nearly in order; header names are compared
//!   inline, not through a `memcmp` call per comparison).
//! - **The canonical request is written once** into one buffer (the thread's, kept from one
//!   signature to the next, up to 4 KiB), hashed, and its hex digest, written into a stack
//!   array, goes straight into the HMAC (no string-to-sign string); the `SignedHeaders`
//!   list is copied from the canonical request into `Authorization`.
//! - **The HMAC key is processed once per secret**: the access key's [`Secret`] keeps the
//!   HMAC state keyed with it after its first signature, and each signature clones it (two
//!   SHA-256 blocks fewer per signature).
//! - **The header map is touched as little as possible**: `authorization` and the STS
//!   headers are removed only when a scan of the names finds them (a lookup hashes the
//!   name), the map grows once, then each new header is inserted.
//!
//! Everything that can fail is checked before the request is changed. The signer as first
//! written is kept, for the tests only, in `acs3/reference.rs`; property tests check that
//! both give the same request, byte for byte.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;

use chrono::{DateTime, Datelike, Timelike, Utc};
use percent_encoding::{percent_decode_str, AsciiSet, NON_ALPHANUMERIC};
#[cfg(test)] // The tests (`use super::*`) build header values.
use reqwest::header::HeaderValue;
use reqwest::header::{HeaderMap, HeaderName, AUTHORIZATION, HOST};
use reqwest::{Method, Request, Url};

use super::{AccessKey, Secret};
use crate::crypto;

mod new_headers;
mod small_list;

use new_headers::{BodyDigest, NewHeaders};
use small_list::SmallList;

/// The signature algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// Hex SHA-256 of an empty body: `x-acs-content-sha256` of a request without a body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `x-acs-action`: the operation name.
pub const X_ACS_ACTION: &str = "x-acs-action";
/// `x-acs-version`: the API version.
pub const X_ACS_VERSION: &str = "x-acs-version";
/// `x-acs-date`: the signing time, `%Y-%m-%dT%H:%M:%SZ` in UTC.
pub const X_ACS_DATE: &str = "x-acs-date";
/// `x-acs-signature-nonce`: a unique random string per request.
pub const X_ACS_SIGNATURE_NONCE: &str = "x-acs-signature-nonce";
/// `x-acs-content-sha256`: lowercase hex SHA-256 of the body bytes.
pub const X_ACS_CONTENT_SHA256: &str = "x-acs-content-sha256";
/// `x-acs-accesskey-id`: sent with STS credentials.
pub const X_ACS_ACCESSKEY_ID: &str = "x-acs-accesskey-id";
/// `x-acs-security-token`: the STS security token.
pub const X_ACS_SECURITY_TOKEN: &str = "x-acs-security-token";
/// `x-acs-bearer-token`: the Alibaba bearer token (ROA).
pub const X_ACS_BEARER_TOKEN: &str = "x-acs-bearer-token";
/// `x-acs-signature-type`: `BEARERTOKEN` with a bearer token.
pub const X_ACS_SIGNATURE_TYPE: &str = "x-acs-signature-type";

/// Why a request could not be signed. Never carries a secret or a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The body is a stream: its bytes, which the signature covers, are not known in advance.
    #[error("cannot sign a request with a streaming body: the signature covers the body bytes, which must be known before sending")]
    StreamingBody,
    /// The URL has no host (so no `host` header can be signed).
    #[error("cannot sign a request whose URL has no host")]
    MissingHost,
    /// A header on the request is not UTF-8 text.
    #[error("cannot sign header '{name}': its value is not UTF-8 text")]
    NonUtf8Header {
        /// The header name.
        name: String,
    },
    /// The operating system's random number generator failed, so no nonce could be made.
    #[error("cannot sign: the operating system's random number generator failed to make a nonce")]
    NoRandomness,
    /// A value to be put in a header (action, version, nonce, key id, token) is not a valid
    /// header value (for example it contains a line break).
    #[error("invalid value for header '{name}'")]
    InvalidHeaderValue {
        /// The header name.
        name: &'static str,
    },
}

/// Everything but `A-Z a-z 0-9 - _ . ~` (RFC 3986 unreserved) is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whether `byte` is RFC 3986 unreserved (`A-Z a-z 0-9 - _ . ~`): what [`percent_encode`]
/// keeps as it is.
fn is_unreserved(byte: u8) -> bool {
    let letter = (byte | 0x20).wrapping_sub(b'a') < 26;
    let digit = byte.wrapping_sub(b'0') < 10;
    letter || digit || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Whether every byte of `bytes` is unreserved, `a` or `b` (a fold without early exit, which
/// the compiler turns into vector code: paths and queries are short).
fn all_unreserved_or(bytes: &[u8], a: u8, b: u8) -> bool {
    bytes.iter().fold(true, |all, &byte| {
        all & (is_unreserved(byte) | (byte == a) | (byte == b))
    })
}

/// Percent-encodes a string the way the SDK does (`quote(s, safe='~')`, and
/// `darabonba.url.percent_encode`): UTF-8 bytes, everything but `A-Z a-z 0-9 - _ . ~` as `%XX`
/// with uppercase hex. A space is `%20`, `*` is `%2A`, `/` is `%2F`.
///
/// ```
/// use snapshots_runtime::auth::acs3::percent_encode;
/// assert_eq!(percent_encode("a b*/é~"), "a%20b%2A%2F%C3%A9~");
/// ```
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_percent_encoded(&mut out, s.as_bytes());
    out
}

/// Appends `bytes` to `out`, encoded as [`percent_encode`] does (runs of unreserved bytes are
/// copied as they are, every other byte is a static `%XX`).
fn push_percent_encoded(out: &mut String, bytes: &[u8]) {
    out.extend(percent_encoding::percent_encode(bytes, UNRESERVED));
}

/// The canonical URI: each `/`-separated segment of the URL's path percent-decoded, then
/// re-encoded with [`percent_encode`]; `/` when the path is empty. Idempotent, and
/// independent of how the path was encoded (`*` and `%2A` give the same result).
pub fn canonical_uri(url: &Url) -> String {
    canonical_path(url.path()).into_owned()
}

/// The canonical form of `path` (see [`canonical_uri`]), borrowed when `path` is already
/// canonical: not empty and made only of unreserved bytes and `/` (nothing to decode, nothing
/// to encode).
fn canonical_path(path: &str) -> Cow<'_, str> {
    if !path.is_empty() && all_unreserved_or(path.as_bytes(), b'/', b'/') {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 1);
    push_canonical_uri(&mut out, path);
    Cow::Owned(out)
}

/// Appends the canonical form of `path` (see [`canonical_uri`]) to `out`, decoding and
/// re-encoding each segment.
fn push_canonical_uri(out: &mut String, path: &str) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if segment.contains('%') {
            let decoded: Cow<'_, [u8]> = percent_decode_str(segment).into();
            push_percent_encoded(out, &decoded);
        } else {
            // Nothing to decode.
            push_percent_encoded(out, segment.as_bytes());
        }
    }
}

/// A query pair, decoded; borrowed from the URL unless decoding changed it.
type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The URL's query pairs, decoded (`+` is a space), in their order.
fn query_pairs(url: &Url) -> Vec<Pair<'_>> {
    url.query_pairs().collect()
}

/// The canonical query string: the URL's query pairs decoded (`+` as a space), sorted by name
/// (then value), each `percent_encode(name)=percent_encode(value)`, joined with `&`. Empty
/// when there is no query. A pair without `=` signs as `name=`.
pub fn canonical_query(url: &Url) -> String {
    let query = SignedQuery::new(url);
    let mut out = String::with_capacity(url.query().map_or(0, str::len));
    query.push(&mut out);
    out
}

/// Appends `name=value` for each pair, encoded with [`percent_encode`], joined with `&`.
fn push_pairs(out: &mut String, pairs: &[Pair<'_>]) {
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_percent_encoded(out, name.as_bytes());
        out.push('=');
        push_percent_encoded(out, value.as_bytes());
    }
}

/// Query pairs kept on the stack (more spill to the heap).
type RawPairs<'a> = SmallList<(&'a str, &'a str), 8>;

/// The query pairs of a URL, sorted, as they are signed.
// The large variant is the point: the pairs on the stack instead of a heap allocation, in a
// value that lives once per signature, on the stack.
#[allow(clippy::large_enum_variant)]
enum SignedQuery<'a> {
    /// Pairs of unreserved bytes borrowed from the URL, already canonical.
    Raw(RawPairs<'a>),
    /// Pairs decoded from the URL, to be encoded, and the query the URL must get so that it
    /// carries them as they are signed (`None`: it already does; `Some(None)`: no query).
    Decoded(Vec<Pair<'a>>, Option<Option<String>>),
}

impl<'a> SignedQuery<'a> {
    /// The URL's pairs, sorted.
    fn new(url: &'a Url) -> Self {
        let raw = match url.query() {
            None => Some(RawPairs::new()),
            Some(query) => raw_pairs(query),
        };
        match raw {
            Some(mut pairs) => {
                insertion_sort(pairs.as_mut_slice());
                Self::Raw(pairs)
            }
            None => {
                let mut pairs = query_pairs(url);
                let rewrite = query_rewrite(url, &pairs);
                insertion_sort(&mut pairs);
                Self::Decoded(pairs, rewrite)
            }
        }
    }

    /// The query the URL must get (see [`SignedQuery::Decoded`]).
    fn rewrite(self) -> Option<Option<String>> {
        match self {
            Self::Raw(_) => None,
            Self::Decoded(_, rewrite) => rewrite,
        }
    }

    /// Appends the canonical query string.
    fn push(&self, out: &mut String) {
        match self {
            Self::Raw(pairs) => {
                for (i, (name, value)) in pairs.as_slice().iter().enumerate() {
                    if i > 0 {
                        out.push('&');
                    }
                    out.push_str(name);
                    out.push('=');
                    out.push_str(value);
                }
            }
            Self::Decoded(pairs, _) => push_pairs(out, pairs),
        }
    }
}

/// The pairs of a query that is canonical piece by piece, borrowed: not empty, and each
/// `&`-separated piece is `name=value` with name and value made of unreserved bytes (nothing
/// to decode or encode, and the query as written is the query to send). `None` otherwise.
fn raw_pairs(query: &str) -> Option<RawPairs<'_>> {
    let bytes = query.as_bytes();
    if bytes.is_empty() || !all_unreserved_or(bytes, b'&', b'=') {
        return None;
    }
    let mut pairs = RawPairs::new();
    let mut start = 0;
    // Where the `=` of the current piece is (one per piece).
    let mut equals = None;
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'=' if equals.is_none() => equals = Some(i),
            b'=' => return None,
            b'&' => {
                pairs.push(split_pair(query, start, equals?, i)?);
                start = i + 1;
                equals = None;
            }
            _ => {}
        }
    }
    pairs.push(split_pair(query, start, equals?, bytes.len())?);
    Some(pairs)
}

/// `query[start..equals]` and `query[equals + 1..end]`.
fn split_pair(query: &str, start: usize, equals: usize, end: usize) -> Option<(&str, &str)> {
    Some((query.get(start..equals)?, query.get(equals + 1..end)?))
}

/// The canonical header block and the `SignedHeaders` list of a set of headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalHeaders {
    /// `name:value\n` for each header, names lowercased and sorted.
    pub block: String,
    /// The names, sorted, joined with `;`.
    pub signed_headers: String,
}

/// Canonicalises every header except `authorization`: names lowercased and sorted, each value
/// trimmed, the values of a repeated name sorted and joined with `,` (as the SDK's
/// `get_canonicalized_headers`).
pub fn canonical_headers(headers: &HeaderMap) -> Result<CanonicalHeaders, SignError> {
    let mut entries = Entries::new();
    header_entries(&mut entries, headers, |_| false, std::iter::empty())?;
    let mut block = String::new();
    push_header_block(&mut block, entries.as_slice());
    let mut signed_headers = String::new();
    push_signed_headers(&mut signed_headers, entries.as_slice());
    Ok(CanonicalHeaders {
        block,
        signed_headers,
    })
}

/// Headers to sign kept on the stack (more spill to the heap).
type Entries<'a> = SmallList<(&'a str, &'a str), 16>;

/// Fills empty `entries` with the headers that are signed, as `(name, trimmed value)` sorted
/// by name then value: every header of `headers` except `authorization` and those `skip`
/// names, plus `new` (the headers a signer is about to set, in place of any of the same name).
///
/// A value that is not UTF-8 fails with the smallest such header name.
fn header_entries<'a>(
    entries: &mut Entries<'a>,
    headers: &'a HeaderMap,
    skip: impl Fn(&HeaderName) -> bool,
    new: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), SignError> {
    let mut non_utf8: Option<&str> = None;
    for (name, value) in headers {
        if name == AUTHORIZATION || skip(name) {
            continue;
        }
        let name = name.as_str();
        match std::str::from_utf8(value.as_bytes()) {
            Ok(value) => entries.push((name, trim(value))),
            Err(_) => {
                if non_utf8.is_none_or(|first| name < first) {
                    non_utf8 = Some(name);
                }
            }
        }
    }
    if let Some(name) = non_utf8 {
        return Err(SignError::NonUtf8Header {
            name: name.to_owned(),
        });
    }
    for entry in new {
        entries.push(entry);
    }
    insertion_sort_by(entries.as_mut_slice(), entry_greater);
    Ok(())
}

/// Sorts `items` in place (the same order as `sort_unstable`). The few headers and query
/// pairs of a request are already nearly in order (the signer's own headers are mostly
/// sorted), where an insertion sort makes about one comparison per item.
fn insertion_sort<T: Ord>(items: &mut [T]) {
    insertion_sort_by(items, |a, b| a > b);
}

/// [`insertion_sort`] with `greater` as the order.
fn insertion_sort_by<T>(items: &mut [T], greater: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && greater(&items[j - 1], &items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Whether entry `a` sorts after entry `b`, in the order of `(&str, &str)`: by name, then
/// by value, byte by byte. The bytes are compared inline: header names are short and mostly
/// differ early, where a call to `memcmp` per comparison costs more than the comparison.
fn entry_greater(a: &(&str, &str), b: &(&str, &str)) -> bool {
    let by_name = a.0.bytes().cmp(b.0.bytes());
    by_name.then_with(|| a.1.cmp(b.1)).is_gt()
}

/// `value.trim()`, without looking for Unicode spaces when the value starts and ends with a
/// printable ASCII character (as almost every header value does).
fn trim(value: &str) -> &str {
    match value.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => value,
        [only] if only.is_ascii_graphic() => value,
        _ => value.trim(),
    }
}

/// Appends `name:v1,v2\n` per name of sorted `entries`.
fn push_header_block(out: &mut String, entries: &[(&str, &str)]) {
    let mut previous: Option<&str> = None;
    for &(name, value) in entries {
        if previous == Some(name) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('\n');
            }
            out.push_str(name);
            out.push(':');
        }
        out.push_str(value);
        previous = Some(name);
    }
    if previous.is_some() {
        out.push('\n');
    }
}

/// Appends the distinct names of sorted `entries`, joined with `;`.
fn push_signed_headers(out: &mut String, entries: &[(&str, &str)]) {
    let mut previous: Option<&str> = None;
    for &(name, _) in entries {
        if previous == Some(name) {
            continue;
        }
        if previous.is_some() {
            out.push(';');
        }
        out.push_str(name);
        previous = Some(name);
    }
}

/// Appends the canonical request to `out`, from its already canonical parts; returns where
/// the `SignedHeaders` list is in `out`.
fn push_canonical_request(
    out: &mut String,
    method: &Method,
    canonical_path: &str,
    query: &SignedQuery<'_>,
    entries: &[(&str, &str)],
    payload_hash: &str,
) -> Range<usize> {
    out.push_str(method.as_str());
    out.push('\n');
    out.push_str(canonical_path);
    out.push('\n');
    query.push(out);
    out.push('\n');
    push_header_block(out, entries);
    out.push('\n');
    let start = out.len();
    push_signed_headers(out, entries);
    let signed_headers = start..out.len();
    out.push('\n');
    out.push_str(payload_hash);
    signed_headers
}

/// The canonical request of a method, URL, headers and payload hash (see the
/// [module documentation](self)). Applied to a request after [`sign`], it gives exactly what
/// was signed (the `authorization` header is never part of it).
pub fn canonical_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    payload_hash: &str,
) -> Result<String, SignError> {
    let mut entries = Entries::new();
    header_entries(&mut entries, headers, |_| false, std::iter::empty())?;
    let path = canonical_path(url.path());
    let query = SignedQuery::new(url);
    let mut out = String::with_capacity(CANONICAL_REQUEST_CAPACITY);
    push_canonical_request(
        &mut out,
        method,
        &path,
        &query,
        entries.as_slice(),
        payload_hash,
    );
    Ok(out)
}

/// Room for the canonical request of a typical call (about 600 bytes) without regrowing.
const CANONICAL_REQUEST_CAPACITY: usize = 1024;

/// The lowercase hex digits.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex digits of `bytes` to `out`.
fn push_hex(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(32) {
        let digits = hex_digits(chunk);
        out.push_str(
            std::str::from_utf8(&digits[..2 * chunk.len()]).expect("hex digits are ASCII"),
        );
    }
}

/// The lowercase hex digits of up to 32 bytes (a SHA-256 digest), as bytes; what is past
/// the digits of `bytes` is zero.
fn hex_digits(bytes: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

/// Lowercase hex SHA-256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, &crypto::sha256(bytes));
    out
}

/// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    let bytes = string_to_sign_bytes(canonical_request);
    std::str::from_utf8(&bytes)
        .expect("the algorithm name and hex digits are ASCII")
        .to_owned()
}

/// [`string_to_sign`] in a stack array (no allocation on the signing path).
fn string_to_sign_bytes(canonical_request: &str) -> [u8; ALGORITHM.len() + 1 + 64] {
    let mut out = [0u8; ALGORITHM.len() + 1 + 64];
    out[..ALGORITHM.len()].copy_from_slice(ALGORITHM.as_bytes());
    out[ALGORITHM.len()] = b'\n';
    out[ALGORITHM.len() + 1..]
        .copy_from_slice(&hex_digits(&crypto::sha256(canonical_request.as_bytes())));
    out
}

/// Lowercase hex HMAC-SHA256 of the string to sign, keyed with the access key secret.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    let mut out = String::with_capacity(64);
    push_hex(
        &mut out,
        &secret.hmac_sha256_key().sign(string_to_sign.as_bytes()),
    );
    out
}

/// Appends the signature of `canonical_request` (the [`signature`] of its
/// [`string_to_sign`]), with the string to sign built in a stack array.
fn push_signature(out: &mut String, secret: &Secret, canonical_request: &str) {
    let to_sign = string_to_sign_bytes(canonical_request);
    push_hex(out, &secret.hmac_sha256_key().sign(&to_sign));
}

/// A fresh `x-acs-signature-nonce`: 32 lowercase hex characters (128 random bits from the
/// operating system's generator; [`SignError::NoRandomness`] when it fails).
pub fn new_nonce() -> Result<String, SignError> {
    let bytes = crypto::random_bytes::<16>().map_err(|_| SignError::NoRandomness)?;
    let mut out = String::with_capacity(32);
    push_hex(&mut out, &bytes);
    Ok(out)
}

/// The `x-acs-date` format, `%Y-%m-%dT%H:%M:%SZ` as chrono writes it (see [`push_date`]).
#[cfg(test)]
fn format_date(date: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(20);
    push_date(&mut out, date);
    out
}

/// Appends `date` as `%Y-%m-%dT%H:%M:%SZ`, as chrono writes it, directly for the years 0 to
/// 9999 (chrono's own formatter, for the others, adds a sign to the year).
fn push_date(out: &mut String, date: DateTime<Utc>) {
    let date = date.naive_utc();
    let year = match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => year,
        _ => {
            out.push_str(&date.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            return;
        }
    };
    // chrono represents a leap second as second 59 with a nanosecond count of a second or
    // more, and `%S` prints it as 60.
    let second = date.second() + date.nanosecond() / 1_000_000_000;
    push_two_digits(out, year / 100);
    push_two_digits(out, year % 100);
    out.push('-');
    push_two_digits(out, date.month());
    out.push('-');
    push_two_digits(out, date.day());
    out.push('T');
    push_two_digits(out, date.hour());
    out.push(':');
    push_two_digits(out, date.minute());
    out.push(':');
    push_two_digits(out, second);
    out.push('Z');
}

/// Appends the last two decimal digits of `value`.
fn push_two_digits(out: &mut String, value: u32) {
    let value = value % 100;
    out.push(char::from(b'0' + (value / 10) as u8));
    out.push(char::from(b'0' + (value % 10) as u8));
}

/// SHA-256 of the request body (`None` when there is none); a streaming body is an error.
fn body_digest(request: &Request) -> Result<BodyDigest, SignError> {
    match request.body() {
        None => Ok(None),
        Some(body) => body
            .as_bytes()
            .map(|bytes| Some(crypto::sha256(bytes)))
            .ok_or(SignError::StreamingBody),
    }
}

// The names of the headers the signers set, made once (not parsed again on every request).
static HOST_NAME: HeaderName = HOST;
static AUTHORIZATION_NAME: HeaderName = AUTHORIZATION;
static ACTION_NAME: HeaderName = HeaderName::from_static(X_ACS_ACTION);
static VERSION_NAME: HeaderName = HeaderName::from_static(X_ACS_VERSION);
static DATE_NAME: HeaderName = HeaderName::from_static(X_ACS_DATE);
static NONCE_NAME: HeaderName = HeaderName::from_static(X_ACS_SIGNATURE_NONCE);
static CONTENT_SHA256_NAME: HeaderName = HeaderName::from_static(X_ACS_CONTENT_SHA256);
static ACCESSKEY_ID_NAME: HeaderName = HeaderName::from_static(X_ACS_ACCESSKEY_ID);
static SECURITY_TOKEN_NAME: HeaderName = HeaderName::from_static(X_ACS_SECURITY_TOKEN);
static BEARER_TOKEN_NAME: HeaderName = HeaderName::from_static(X_ACS_BEARER_TOKEN);
static SIGNATURE_TYPE_NAME: HeaderName = HeaderName::from_static(X_ACS_SIGNATURE_TYPE);

/// What the URL's path and query must become so that the wire carries what is signed.
struct UrlRewrite {
    /// The new path, when it differs.
    path: Option<String>,
    /// The new query (`None` to remove it), when it differs.
    query: Option<Option<String>>,
}

impl UrlRewrite {
    /// Compares the URL with its canonical path and its pairs (in the URL's order) encoded
    /// (what [`canonical_parts`] does, for the tests).
    #[cfg(test)]
    fn new(url: &Url, canonical_path: &str, pairs: &[Pair<'_>]) -> Self {
        let path = (url.path() != canonical_path).then(|| canonical_path.to_owned());
        Self {
            path,
            query: query_rewrite(url, pairs),
        }
    }

    fn apply(self, url: &mut Url) {
        if let Some(path) = self.path {
            url.set_path(&path);
        }
        if let Some(query) = self.query {
            url.set_query(query.as_deref());
        }
    }
}

/// The query the URL must get for its `pairs` (in the URL's order) to be sent encoded as they
/// are signed: `None` when it already has it, `Some(None)` to remove an empty query.
fn query_rewrite(url: &Url, pairs: &[Pair<'_>]) -> Option<Option<String>> {
    if pairs.is_empty() {
        return url.query().is_some().then_some(None);
    }
    let mut query = String::with_capacity(url.query().map_or(0, str::len));
    push_pairs(&mut query, pairs);
    (url.query() != Some(query.as_str())).then_some(Some(query))
}

/// What [`sign`] signs for a request that gets the `new` headers: the canonical request,
/// where its `SignedHeaders` list is, and the URL rewrite that makes the request carry it.
fn canonical_parts(
    canonical: &mut String,
    request: &Request,
    new: &NewHeaders,
) -> Result<(Range<usize>, UrlRewrite), SignError> {
    let url = request.url();
    let path = canonical_path(url.path());
    let query = SignedQuery::new(url);
    // The headers as they will be: `new` in place of any of the same name, without the STS
    // headers of an earlier signature (unless `new` sets them again).
    // (All of them are `host` or start with `x-acs-`: other names are not compared.)
    let skip = |name: &HeaderName| {
        (name == HOST || name.as_str().starts_with("x-acs-"))
            && (name == ACCESSKEY_ID_NAME || name == SECURITY_TOKEN_NAME || new.sets(name))
    };
    let mut entries = Entries::new();
    header_entries(&mut entries, request.headers(), skip, new.signed())?;
    let payload_hash = new
        .value(&CONTENT_SHA256_NAME)
        .unwrap_or(EMPTY_PAYLOAD_SHA256);
    let signed_headers = push_canonical_request(
        canonical,
        request.method(),
        &path,
        &query,
        entries.as_slice(),
        payload_hash,
    );
    let rewrite = UrlRewrite {
        path: match path {
            Cow::Owned(path) if path != url.path() => Some(path),
            _ => None,
        },
        query: query.rewrite(),
    };
    Ok((signed_headers, rewrite))
}

thread_local! {
    /// The buffer of the thread's last canonical request, kept for the next one.
    static CANONICAL_BUFFER: Cell<String> = const { Cell::new(String::new()) };
}

/// The largest buffer [`give_back_canonical_buffer`] keeps (a request with a huge query
/// does not leave its buffer behind).
const CANONICAL_BUFFER_KEPT: usize = 4096;

/// An empty buffer for a canonical request: the thread's (with the capacity an earlier
/// signature gave it; it is taken, so a nested call gets a new one), or a new one.
fn take_canonical_buffer() -> String {
    let mut buffer = CANONICAL_BUFFER.try_with(Cell::take).unwrap_or_default();
    buffer.clear();
    buffer.reserve(CANONICAL_REQUEST_CAPACITY);
    buffer
}

/// Keeps `buffer` for the thread's next canonical request, unless it is large.
fn give_back_canonical_buffer(buffer: String) {
    if buffer.capacity() <= CANONICAL_BUFFER_KEPT {
        // When the thread is ending, the buffer is dropped instead.
        let _ = CANONICAL_BUFFER.try_with(|cell| cell.set(buffer));
    }
}

/// Signs a request with an access key, exactly as the Python SDK does (see the
/// [module documentation](self)).
///
/// Sets `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
/// `x-acs-content-sha256`, with STS credentials `x-acs-accesskey-id` and
/// `x-acs-security-token` (and removes those two otherwise), rewrites the URL's path and
/// query to their signed encodings, and sets `Authorization`. Any `Authorization` already on
/// the request is replaced, so a request can be signed again (for a retry) with a new date
/// and nonce. On error the request is left unchanged.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use snapshots_runtime::auth::{acs3, AccessKey};
///
/// let url = "https://pai-dsw.cn-hangzhou.aliyuncs.com/api/v2/instances/dsw-1/snapshots";
/// let mut request = reqwest::Request::new(reqwest::Method::GET, url.parse()?);
/// let key = AccessKey::new("LTAI-id", "secret");
/// let date = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// acs3::sign(&mut request, &key, "ListInstanceSnapshot", "2022-01-01", date, &acs3::new_nonce()?)?;
/// let authorization = request.headers()["authorization"].to_str()?;
/// assert!(authorization.starts_with("ACS3-HMAC-SHA256 Credential=LTAI-id,SignedHeaders=host;"));
/// assert_eq!(request.headers()["x-acs-date"], "2025-01-01T00:00:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign(
    request: &mut Request,
    key: &AccessKey,
    action: &str,
    version: &str,
    date: DateTime<Utc>,
    nonce: &str,
) -> Result<(), SignError> {
    // Check everything that can fail before the request is touched.
    let body = body_digest(request)?;
    let room = AUTHORIZATION_ROOM
        + 2 * key.id.len()
        + key.security_token.as_ref().map_or(0, |t| t.expose().len());
    let mut new = NewHeaders::common(
        request.url(),
        action,
        version,
        date,
        nonce,
        Some(body),
        room,
    )?;
    if let Some(token) = &key.security_token {
        new.push(&ACCESSKEY_ID_NAME, &key.id, false);
        new.push(&SECURITY_TOKEN_NAME, token.expose(), true);
    }
    new.check()?;
    let mut canonical = take_canonical_buffer();
    let (signed_headers, rewrite) = canonical_parts(&mut canonical, request, &new)?;
    new.push_authorization(|out| {
        out.push_str(ALGORITHM);
        out.push_str(" Credential=");
        out.push_str(&key.id);
        out.push_str(",SignedHeaders=");
        out.push_str(&canonical[signed_headers]);
        out.push_str(",Signature=");
        push_signature(out, &key.secret, &canonical);
    });
    give_back_canonical_buffer(canonical);
    new.replace(request.headers_mut())?;
    rewrite.apply(request.url_mut());
    Ok(())
}

/// Room for `Authorization` besides the key id and the `SignedHeaders` list: the fixed words
/// and the signature (about 110 bytes), and a typical list of signed headers.
const AUTHORIZATION_ROOM: usize = 320;

/// Authenticates a request with an Alibaba bearer token on a ROA API, as the Python SDK does
/// for `Config.bearer_token`: `x-acs-bearer-token`, `x-acs-signature-type: BEARERTOKEN`, and
/// the `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce` and
/// `x-acs-content-sha256` headers. No signature and no `Authorization` (any already there is
/// removed). The URL is left as it is.
///
/// Nothing is signed, but the headers must be valid: a token that cannot be a header value
/// (a line break, say) or a URL without a host is an error, returned before the request is
/// changed, so that the runtime can refuse to send it (never sent unauthenticated). A
/// streaming body gets no `x-acs-content-sha256`.
pub fn sign_bearer(
    request: &mut Request,
    token: &Secret,
    action: &str,
    version: &str,
    date: DateTime<Utc>,
    nonce: &str,
) -> Result<(), SignError> {
    let body = body_digest(request).ok();
    let room = token.expose().len() + 16;
    let mut new = NewHeaders::common(request.url(), action, version, date, nonce, body, room)?;
    new.push(&BEARER_TOKEN_NAME, token.expose(), true);
    new.push(&SIGNATURE_TYPE_NAME, "BEARERTOKEN", false);
    new.check()?;
    new.replace(request.headers_mut())
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::fmt;

    fn date(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn request(method: Method, url: &str) -> Request {
        Request::new(method, Url::parse(url).unwrap())
    }

    /// Rewrites the URL as [`sign`] does.
    fn normalise_url(url: &mut Url) {
        let mut path = String::new();
        push_canonical_uri(&mut path, url.path());
        let pairs = query_pairs(url);
        let rewrite = UrlRewrite::new(url, &path, &pairs);
        rewrite.apply(url);
    }

    /// The worked example of Alibaba Cloud's public V3 signature documentation: ECS
    /// `RunInstances`, `POST /?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai`
    /// to `ecs.cn-shanghai.aliyuncs.com`, `x-acs-date: 2023-10-26T09:01:01Z`,
    /// `x-acs-signature-nonce: d410180a5abf7fe235dd9b74aca91fc0`, empty body, key
    /// `YourAccessKeyId` / `YourAccessKeySecret` (values from
    /// <https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature>).
    /// The expected `Authorization` is the one printed in
    /// <https://help.aliyun.com/zh/model-studio/user-guide/roa-style-request-body-signature-mechanism>.
    #[test]
    fn alibaba_documentation_example() {
        assert_eq!(
            run_instances_example("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
        );
    }

    /// The English page's `Signature=06563a9e…` for the same request: it was signed at
    /// `x-acs-date: 2023-10-26T10:22:32Z` with nonce `3156853299f313e23d1673dc12e1703d` (the
    /// values its sample code prints). The official signer (`alibabacloud_tea_openapi`
    /// 0.4.6, `Utils.get_authorization`) gives exactly this value from them.
    #[test]
    fn alibaba_english_documentation_example() {
        assert_eq!(
            run_instances_example("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    /// The `Authorization` of the documentation's ECS `RunInstances` request at `date` with
    /// `nonce`.
    fn run_instances_example(date_text: &str, nonce: &str) -> String {
        let mut req = request(
            Method::POST,
            "https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
        );
        let key = AccessKey::new("YourAccessKeyId", "YourAccessKeySecret");
        sign(
            &mut req,
            &key,
            "RunInstances",
            "2014-05-26",
            date(date_text),
            nonce,
        )
        .unwrap();
        req.headers()[AUTHORIZATION].to_str().unwrap().to_owned()
    }

    /// Notes §4.4 (a), spelled out.
    #[test]
    fn sdk_vector_get_snapshot() {
        let mut req = request(
            Method::GET,
            "https://pailangstudio.aliyuncs.com/api/v1/langstudio/snapshots/snap-1?WorkspaceId=478",
        );
        let h = req.headers_mut();
        h.insert(
            "user-agent",
            HeaderValue::from_static(
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
        );
        h.insert("accept", HeaderValue::from_static("application/json"));
        h.insert(
            "x-acs-credentials-provider",
            HeaderValue::from_static("static_ak"),
        );
        let key = AccessKey::new("AKID", "SECRET");
        sign(
            &mut req,
            &key,
            "GetSnapshot",
            "2024-07-10",
            date("2025-01-01T00:00:00Z"),
            "NONCE0123456789abcdef",
        )
        .unwrap();
        let canonical =
            canonical_request(req.method(), req.url(), req.headers(), EMPTY_PAYLOAD_SHA256)
                .unwrap();
        assert_eq!(
            canonical,
            "GET\n/api/v1/langstudio/snapshots/snap-1\nWorkspaceId=478\naccept:application/json\n\
             host:pailangstudio.aliyuncs.com\n\
             user-agent:AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2\n\
             x-acs-action:GetSnapshot\n\
             x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-acs-credentials-provider:static_ak\nx-acs-date:2025-01-01T00:00:00Z\n\
             x-acs-signature-nonce:NONCE0123456789abcdef\nx-acs-version:2024-07-10\n\n\
             accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;\
             x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&canonical),
            "ACS3-HMAC-SHA256\n09ba27b81a6a5586bd504dccbaf564773cc5a77752b8b7db7c545d27bc62e106"
        );
        assert!(req.headers()[AUTHORIZATION].to_str().unwrap().ends_with(
            "Signature=23c0c42c141ded7c86debae27dccc9871333f32b4ddfcfa7f90b1f4248ff44a2"
        ));
        assert!(req.headers()[AUTHORIZATION].is_sensitive());
    }

    proptest::proptest! {
        /// The insertion sort orders like the standard library's sort.
        #[test]
        fn insertion_sort_matches_the_standard_sort(
            mut items in proptest::collection::vec(("[a-c]{0,3}", "[a-c]{0,2}"), 0..24)
        ) {
            let mut expected = items.clone();
            expected.sort_unstable();
            insertion_sort(&mut items);
            proptest::prop_assert_eq!(items, expected);
        }
    }

    #[test]
    fn percent_encode_matches_the_sdk() {
        assert_eq!(percent_encode("a b+c/="), "a%20b%2Bc%2F%3D");
        assert_eq!(
            percent_encode("ManualCreated,DeploymentAutoCreated"),
            "ManualCreated%2CDeploymentAutoCreated"
        );
        assert_eq!(percent_encode("~*é'()!"), "~%2A%C3%A9%27%28%29%21");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn canonical_uri_reencodes_segments() {
        let url = |s: &str| Url::parse(s).unwrap();
        // progenitor-style encoding (sub-delimiters left as is) and SDK encoding agree.
        assert_eq!(
            canonical_uri(&url("https://h/a/b*c'd(e)!/%7Ex")),
            "/a/b%2Ac%27d%28e%29%21/~x"
        );
        assert_eq!(
            canonical_uri(&url("https://h/a/b%2Ac%27d%28e%29%21/~x")),
            "/a/b%2Ac%27d%28e%29%21/~x"
        );
        assert_eq!(
            canonical_uri(&url("https://h/i/dsw-1%2F%20a/s")),
            "/i/dsw-1%2F%20a/s"
        );
        assert_eq!(canonical_uri(&url("https://h/%E9%20/x")), "/%E9%20/x");
        assert_eq!(canonical_uri(&url("https://h/caf%C3%A9")), "/caf%C3%A9");
        assert_eq!(canonical_uri(&url("https://h")), "/");
        assert_eq!(canonical_uri(&url("https://h/a/")), "/a/");
        assert_eq!(canonical_uri(&url("https://h/100%")), "/100%25");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(canonical_query(&url("https://h/")), "");
        assert_eq!(canonical_query(&url("https://h/?")), "");
        assert_eq!(
            canonical_query(&url("https://h/?b=2&a=1&c=a+b%2Bc%2F%3D")),
            "a=1&b=2&c=a%20b%2Bc%2F%3D"
        );
        assert_eq!(canonical_query(&url("https://h/?flag&e=")), "e=&flag=");
        assert_eq!(canonical_query(&url("https://h/?k=2&k=1")), "k=1&k=2");
        assert_eq!(
            canonical_query(&url("https://h/?x=*%E7%94%A8~")),
            "x=%2A%E7%94%A8~"
        );
    }

    #[test]
    fn sign_rewrites_the_url_to_what_is_signed() {
        let mut req = request(Method::GET, "https://h.example/api/a*b'/x?b=a+b%2B&a=*");
        sign(
            &mut req,
            &AccessKey::new("id", "s"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        )
        .unwrap();
        assert_eq!(
            req.url().as_str(),
            "https://h.example/api/a%2Ab%27/x?b=a%20b%2B&a=%2A"
        );
        assert_eq!(canonical_uri(req.url()), req.url().path());
        assert_eq!(canonical_query(req.url()), "a=%2A&b=a%20b%2B");
        let mut req = request(Method::GET, "https://h.example/x?");
        sign(
            &mut req,
            &AccessKey::new("id", "s"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        )
        .unwrap();
        assert_eq!(req.url().as_str(), "https://h.example/x");
    }

    #[test]
    fn sets_every_header() {
        let mut req = request(Method::PUT, "http://127.0.0.1:8080/x");
        *req.body_mut() = Some(reqwest::Body::from("{\"a\":\"é\"}"));
        let key = AccessKey::new("STS.id", "s").with_security_token("tok");
        let when = Utc.with_ymd_and_hms(2025, 6, 30, 1, 2, 3).unwrap();
        sign(&mut req, &key, "Act", "2024-07-10", when, "abc").unwrap();
        let h = req.headers();
        assert_eq!(h["host"], "127.0.0.1:8080");
        assert_eq!(h[X_ACS_ACTION], "Act");
        assert_eq!(h[X_ACS_VERSION], "2024-07-10");
        assert_eq!(h[X_ACS_DATE], "2025-06-30T01:02:03Z");
        assert_eq!(h[X_ACS_SIGNATURE_NONCE], "abc");
        assert_eq!(
            h[X_ACS_CONTENT_SHA256],
            hex_sha256("{\"a\":\"é\"}".as_bytes())
        );
        assert_eq!(h[X_ACS_ACCESSKEY_ID], "STS.id");
        assert_eq!(h[X_ACS_SECURITY_TOKEN], "tok");
        assert!(h[X_ACS_SECURITY_TOKEN].is_sensitive());
        let auth = h[AUTHORIZATION].to_str().unwrap();
        assert!(
            auth.starts_with(
                "ACS3-HMAC-SHA256 Credential=STS.id,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;\
                 x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature="
            ),
            "{auth}"
        );
        // Default ports are left out of `host`.
        let mut req = request(Method::GET, "https://h.example:443/x");
        sign(&mut req, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        assert_eq!(req.headers()["host"], "h.example");
    }

    #[test]
    fn resigning_replaces_previous_signature_and_sts_headers() {
        let when = date("2025-01-01T00:00:00Z");
        let mut first = request(Method::GET, "https://h/x?a=1");
        sign(
            &mut first,
            &AccessKey::new("id", "s").with_security_token("tok"),
            "A",
            "V",
            when,
            "n",
        )
        .unwrap();
        sign(&mut first, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        let mut fresh = request(Method::GET, "https://h/x?a=1");
        sign(&mut fresh, &AccessKey::new("id", "s"), "A", "V", when, "n").unwrap();
        assert_eq!(first.headers(), fresh.headers());
        assert!(!first.headers().contains_key(X_ACS_SECURITY_TOKEN));
        assert_eq!(first.url(), fresh.url());
    }

    #[test]
    fn repeated_headers_are_joined_sorted() {
        let mut headers = HeaderMap::new();
        headers.append("x-b", HeaderValue::from_static(" 2 "));
        headers.append("x-b", HeaderValue::from_static("1"));
        headers.append("X-A", HeaderValue::from_static("v"));
        headers.append("authorization", HeaderValue::from_static("ignored"));
        let c = canonical_headers(&headers).unwrap();
        assert_eq!(c.block, "x-a:v\nx-b:1,2\n");
        assert_eq!(c.signed_headers, "x-a;x-b");
        let mut headers = HeaderMap::new();
        headers.insert("x-bad", HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(
            canonical_headers(&headers).unwrap_err(),
            SignError::NonUtf8Header {
                name: "x-bad".into()
            }
        );
    }

    #[test]
    fn errors_leave_the_request_unchanged() {
        let mut req = request(Method::POST, "https://h/a*b");
        *req.body_mut() = Some(reqwest::Body::wrap(String::from("streamed")));
        let key = AccessKey::new("id", "s");
        let when = date("2025-01-01T00:00:00Z");
        assert_eq!(
            sign(&mut req, &key, "A", "V", when, "n").unwrap_err(),
            SignError::StreamingBody
        );
        assert!(req.headers().is_empty());
        assert_eq!(req.url().path(), "/a*b");

        let mut req = request(Method::GET, "https://h/");
        let err = sign(&mut req, &key, "A\nB", "V", when, "n").unwrap_err();
        assert_eq!(err, SignError::InvalidHeaderValue { name: X_ACS_ACTION });
        let bad_token = AccessKey::new("id", "s").with_security_token("Zq9\nTokenValue");
        let err = sign(&mut req, &bad_token, "A", "V", when, "n").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("Zq9"), "{err}");
        assert!(req.headers().is_empty());
    }

    #[test]
    fn bearer_headers() {
        let mut req = request(
            Method::GET,
            "https://pailangstudio.aliyuncs.com/api/v1/langstudio/snapshots/snap-1?WorkspaceId=478",
        );
        req.headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("stale"));
        sign_bearer(
            &mut req,
            &Secret::new("BTOKEN"),
            "GetSnapshot",
            "2024-07-10",
            date("2025-01-01T00:00:00Z"),
            "n1",
        )
        .unwrap();
        let h = req.headers();
        assert_eq!(h[X_ACS_BEARER_TOKEN], "BTOKEN");
        assert!(h[X_ACS_BEARER_TOKEN].is_sensitive());
        assert_eq!(h[X_ACS_SIGNATURE_TYPE], "BEARERTOKEN");
        assert_eq!(h[X_ACS_ACTION], "GetSnapshot");
        assert_eq!(h[X_ACS_VERSION], "2024-07-10");
        assert_eq!(h[X_ACS_DATE], "2025-01-01T00:00:00Z");
        assert_eq!(h[X_ACS_SIGNATURE_NONCE], "n1");
        assert_eq!(h[X_ACS_CONTENT_SHA256], EMPTY_PAYLOAD_SHA256);
        assert_eq!(h["host"], "pailangstudio.aliyuncs.com");
        assert!(!h.contains_key(AUTHORIZATION));

        let mut req = request(Method::GET, "https://h/");
        let refused = sign_bearer(
            &mut req,
            &Secret::new("bad\ntoken"),
            "A",
            "V",
            date("2025-01-01T00:00:00Z"),
            "n",
        );
        assert!(refused.is_err());
        assert!(req.headers().is_empty());
    }

    #[test]
    fn nonces_are_32_lowercase_hex_and_unique() {
        let a = new_nonce().unwrap();
        let b = new_nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{a}"
        );
        assert_ne!(a, b);
    }

    // ---- properties -----------------------------------------------------------------------

    /// Independent reference: byte by byte, unreserved kept, everything else `%XX` uppercase.
    fn reference_encode(s: &str) -> String {
        let mut out = String::new();
        for &b in s.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn percent_encode_round_trips_and_matches_reference(s in any::<String>()) {
            let encoded = percent_encode(&s);
            prop_assert_eq!(&encoded, &reference_encode(&s));
            prop_assert_eq!(percent_decode_str(&encoded).decode_utf8().unwrap(), s.as_str());
        }

        #[test]
        fn canonical_query_matches_reference(map in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..8)) {
            let mut url = Url::parse("https://h.example/p").unwrap();
            if !map.is_empty() {
                // Form encoding, as reqwest's `.query()` writes it (space as `+`).
                url.query_pairs_mut().extend_pairs(map.iter().rev());
            }
            let reference = map
                .iter()
                .map(|(k, v)| format!("{}={}", reference_encode(k), reference_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            prop_assert_eq!(canonical_query(&url), reference);
        }

        #[test]
        fn canonical_query_survives_the_url_rewrite(map in proptest::collection::btree_map("[ -~é用]{0,6}", "[ -~é用]{0,6}", 0..6)) {
            let mut url = Url::parse("https://h.example/p").unwrap();
            if !map.is_empty() {
                url.query_pairs_mut().extend_pairs(map.iter());
            }
            let before = canonical_query(&url);
            let mut rewritten = url.clone();
            normalise_url(&mut rewritten);
            prop_assert_eq!(canonical_query(&rewritten), before);
            let decoded: BTreeMap<String, String> = rewritten.query_pairs().into_owned().collect();
            prop_assert_eq!(decoded, map);
        }

        #[test]
        fn canonical_uri_is_idempotent(segments in proptest::collection::vec(any::<String>(), 0..5)) {
            let mut url = Url::parse("https://h.example/").unwrap();
            url.path_segments_mut().unwrap().clear().extend(segments.iter());
            let once = canonical_uri(&url);
            let mut again = url.clone();
            again.set_path(&once);
            prop_assert_eq!(again.path(), once.as_str());
            prop_assert_eq!(canonical_uri(&again), once);
        }
    }

    // ---- the tuned signer against the reference (the signer as first written) ----------

    /// Everything a signer can change on a request, in the map's order.
    fn observable(result: Result<(), SignError>, request: &Request) -> impl PartialEq + fmt::Debug {
        let headers: Vec<(String, Vec<u8>, bool)> = request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.as_bytes().to_vec(),
                    v.is_sensitive(),
                )
            })
            .collect();
        (result, request.url().as_str().to_owned(), headers)
    }

    /// What an arbitrary request is made of (built twice, since a streaming body cannot be
    /// cloned).
    #[derive(Debug, Clone)]
    struct Case {
        method: Method,
        url: Url,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Option<(Vec<u8>, bool)>,
    }

    impl Case {
        fn request(&self) -> Request {
            let mut request = Request::new(self.method.clone(), self.url.clone());
            for (name, value) in &self.headers {
                request.headers_mut().append(name.clone(), value.clone());
            }
            *request.body_mut() = self.body.clone().map(|(bytes, streaming)| {
                if streaming {
                    reqwest::Body::wrap(String::from_utf8_lossy(&bytes).into_owned())
                } else {
                    reqwest::Body::from(bytes)
                }
            });
            request
        }
    }

    /// Text with the characters that matter to the encoders, trimming and header validity:
    /// escapes (valid, invalid, non-UTF-8), `+`, `&`, `=`, sub-delimiters, spaces, tabs,
    /// line breaks, Unicode spaces, non-ASCII letters.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9._~-]{1,3}",
                2 => prop::sample::select(vec![
                    "%", "%2", "%2A", "%2a", "%20", "%FF", "%E9", "%C3%A9", "%2F", "%2E", "+",
                    "&", "=", "*", "'", "(", ")", "!", " ", "\t", "\n", "/", "?", "#",
                    "\u{a0}", "\u{3000}", "é", "用", "~", ";", ",",
                ])
                .prop_map(str::to_owned),
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat())
    }

    fn header_name() -> impl Strategy<Value = HeaderName> {
        prop::sample::select(vec![
            "accept",
            "api-version",
            "user-agent",
            "content-type",
            "x-b",
            "x-a",
            "host",
            "authorization",
            "x-acs-date",
            "x-acs-action",
            "x-acs-security-token",
            "x-acs-accesskey-id",
            "x-acs-content-sha256",
            "x-acs-bearer-token",
        ])
        .prop_map(HeaderName::from_static)
    }

    fn header_value_strategy() -> impl Strategy<Value = Option<HeaderValue>> {
        prop_oneof![
            8 => text().prop_map(|t| HeaderValue::from_str(&t).ok()),
            1 => proptest::collection::vec(any::<u8>(), 0..4)
                .prop_map(|b| HeaderValue::from_bytes(&b).ok()),
        ]
    }

    fn case() -> impl Strategy<Value = Case> {
        let method =
            prop::sample::select(vec![Method::GET, Method::POST, Method::PUT, Method::DELETE]);
        let authority = prop::sample::select(vec![
            "https://h.example",
            "https://h.example:443",
            "https://h.example:8443",
            "http://127.0.0.1:8080",
            "http://[::1]:80",
        ]);
        // Raw query text, or pairs with few distinct names (repeated names, names whose
        // order changes once encoded: `[` sorts after `A` but `%5B` before it).
        let pairs = proptest::collection::vec(
            (
                prop::sample::select(vec!["a", "A", "[", "%5B", "a+b", "a%20b", "b", "~"]),
                text(),
            ),
            1..5,
        )
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("&")
        });
        let query = prop::option::of(prop_oneof![text(), pairs]);
        let url =
            (authority, text(), query).prop_filter_map("not a URL", |(authority, path, query)| {
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                Url::parse(&format!("{authority}/{path}{query}")).ok()
            });
        let headers = proptest::collection::vec((header_name(), header_value_strategy()), 0..6)
            .prop_map(|hs| hs.into_iter().filter_map(|(n, v)| Some((n, v?))).collect());
        let body = prop::option::of((
            proptest::collection::vec(any::<u8>(), 0..40),
            prop::bool::weighted(0.1),
        ));
        (method, url, headers, body).prop_map(|(method, url, headers, body)| Case {
            method,
            url,
            headers,
            body,
        })
    }

    fn any_date() -> impl Strategy<Value = DateTime<Utc>> {
        let min = DateTime::<Utc>::MIN_UTC.timestamp();
        let max = DateTime::<Utc>::MAX_UTC.timestamp();
        (
            prop_oneof![
                min..=max,
                0i64..4_102_444_800,
                253_402_300_000i64..253_402_400_000
            ],
            prop_oneof![3 => Just(0u32), 1 => 0u32..2_000_000_000],
        )
            .prop_filter_map("out of range", |(seconds, nanos)| {
                DateTime::from_timestamp(seconds, nanos)
            })
    }

    fn access_key() -> impl Strategy<Value = AccessKey> {
        (text(), text(), prop::option::of(text())).prop_map(|(id, secret, token)| {
            let key = AccessKey::new(id, secret);
            match token {
                Some(token) => key.with_security_token(token),
                None => key,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn sign_matches_the_reference(
            case in case(),
            key in access_key(),
            action in text(),
            version in text(),
            date in any_date(),
            nonce in text(),
        ) {
            let mut tuned = case.request();
            let tuned_result = sign(&mut tuned, &key, &action, &version, date, &nonce);
            let mut reference = case.request();
            let reference_result =
                reference::sign(&mut reference, &key, &action, &version, date, &nonce);
            prop_assert_eq!(
                observable(tuned_result, &tuned),
                observable(reference_result, &reference)
            );
            // Re-signing (a retry) too.
            if tuned.headers().contains_key(AUTHORIZATION) {
                let later = date + chrono::Duration::seconds(1);
                let tuned_result = sign(&mut tuned, &key, &action, &version, later, "n2");
                let reference_result =
                    reference::sign(&mut reference, &key, &action, &version, later, "n2");
                prop_assert_eq!(
                    observable(tuned_result, &tuned),
                    observable(reference_result, &reference)
                );
            }
        }

        #[test]
        fn sign_bearer_matches_the_reference(
            case in case(),
            token in text(),
            action in text(),
            date in any_date(),
            nonce in text(),
        ) {
            let token = Secret::new(token);
            let mut tuned = case.request();
            let result = sign_bearer(&mut tuned, &token, &action, "2024-07-10", date, &nonce);
            let mut reference = case.request();
            reference::sign_bearer(&mut reference, &token, &action, "2024-07-10", date, &nonce);
            prop_assert_eq!(observable(Ok(()), &tuned), observable(Ok(()), &reference));
            // The reference leaves the request untouched when it fails; so does the signer.
            prop_assert_eq!(result.is_err(), reference.headers() == case.request().headers());
        }

        #[test]
        fn canonical_parts_match_the_reference(case in case(), hash in text()) {
            let request = case.request();
            let mut headers = request.headers().clone();
            headers.append(AUTHORIZATION, HeaderValue::from_static("ignored"));
            prop_assert_eq!(canonical_uri(request.url()), reference::canonical_uri(request.url()));
            prop_assert_eq!(
                canonical_query(request.url()),
                reference::canonical_query(request.url())
            );
            prop_assert_eq!(canonical_headers(&headers), reference::canonical_headers(&headers));
            prop_assert_eq!(
                canonical_request(request.method(), request.url(), &headers, &hash),
                reference::canonical_request(request.method(), request.url(), &headers, &hash)
            );
        }

        #[test]
        fn date_format_matches_chrono(date in any_date()) {
            prop_assert_eq!(format_date(date), date.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }

        #[test]
        fn hex_matches_the_hex_crate(bytes in proptest::collection::vec(any::<u8>(), 0..70)) {
            let mut out = String::from("x");
            push_hex(&mut out, &bytes);
            prop_assert_eq!(out, format!("x{}", hex::encode(&bytes)));
        }
    }
}

/// The fast paths of [`sign`] against the general paths they stand in for.
#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use proptest::prelude::*;

    /// Text made of what decides between the paths: unreserved bytes, separators, escapes,
    /// `+`, sub-delimiters, spaces, non-ASCII.
    fn url_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                6 => "[a-zA-Z0-9._~-]{1,4}",
                3 => prop::sample::select(vec!["/", "&", "=", "=="]).prop_map(str::to_owned),
                1 => prop::sample::select(vec![
                    "%", "%2A", "%41", "%2F", "+", "*", "'", "!", " ", ";", ",", "é", "&&",
                ])
                .prop_map(str::to_owned),
            ],
            0..10,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// A path taken as it is equals the path decoded and re-encoded segment by segment.
        #[test]
        fn fast_canonical_path_equals_the_general_one(path in url_text()) {
            let url = Url::parse(&format!("https://h.example/{path}")).unwrap();
            let mut general = String::new();
            push_canonical_uri(&mut general, url.path());
            let fast = canonical_path(url.path());
            prop_assert_eq!(fast.as_ref(), general.as_str());
            // Borrowed exactly when the path is made of unreserved bytes and `/`.
            let plain = url.path().bytes().all(|b| b == b'/' || is_unreserved(b));
            prop_assert_eq!(matches!(fast, Cow::Borrowed(_)), plain);
        }

        /// A query split in place gives the pairs `form_urlencoded` decodes, signs as they
        /// do once encoded, and needs no rewrite.
        #[test]
        fn fast_query_pairs_equal_the_general_ones(query in url_text()) {
            let url = Url::parse(&format!("https://h.example/p?{query}")).unwrap();
            let general = query_pairs(&url);
            let Some(fast) = url.query().and_then(raw_pairs) else {
                return Ok(());
            };
            let fast: Vec<(String, String)> = fast
                .as_slice()
                .iter()
                .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            let decoded: Vec<(String, String)> = general
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            prop_assert_eq!(&fast, &decoded);
            prop_assert!(query_rewrite(&url, &general).is_none());
            let mut sorted = general;
            insertion_sort(&mut sorted);
            let mut encoded = String::new();
            push_pairs(&mut encoded, &sorted);
            prop_assert_eq!(canonical_query(&url), encoded);
        }

        /// The fast query path is taken for every query of `name=value` pairs of unreserved
        /// bytes (the queries the generated clients send).
        #[test]
        fn plain_queries_take_the_fast_path(
            pairs in proptest::collection::vec(("[a-zA-Z0-9._~-]{0,6}", "[a-zA-Z0-9._~-]{0,6}"), 1..20)
        ) {
            let query = pairs
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let fast = raw_pairs(&query).expect("a plain query");
            let expected: Vec<(&str, &str)> =
                pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            prop_assert_eq!(fast.as_slice(), expected.as_slice());
        }
    }

    #[test]
    fn queries_that_need_the_general_path() {
        for query in [
            "", "a", "a=1&", "&a=1", "a=1&&b=2", "a=b=c", "a=%41", "a=b+c", "a=*",
        ] {
            assert!(raw_pairs(query).is_none(), "{query}");
        }
        let pairs = raw_pairs("b=2&a=&=x").unwrap();
        assert_eq!(pairs.as_slice(), &[("b", "2"), ("a", ""), ("", "x")]);
    }

    #[test]
    fn signing_uses_the_keyed_state_of_the_secret() {
        let key = AccessKey::new("id", "secret");
        let url = "https://h.example/api/v1/x?b=2&a=1";
        let date = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let signed = |key: &AccessKey| {
            let mut request = Request::new(Method::GET, Url::parse(url).unwrap());
            sign(&mut request, key, "A", "V", date, "n").unwrap();
            request.headers()[AUTHORIZATION].clone()
        };
        let first = signed(&key);
        // The second signature reuses the state made by the first; a clone carries it.
        assert_eq!(signed(&key), first);
        assert_eq!(signed(&key.clone()), first);
        assert_eq!(signed(&AccessKey::new("id", "secret")), first);
        assert_ne!(signed(&AccessKey::new("id", "other")), first);
    }
}
