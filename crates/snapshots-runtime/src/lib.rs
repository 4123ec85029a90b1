//! The shared runtime under every generated snapshot client.
//!
//! Each generated crate (`pai-dsw`, `pai-langstudio`, `graph-olap`) is generated with
//! [`Runtime`] as its inner type, and `cargo xtask generate` writes the few lines that send
//! every request of every operation through [`Runtime::execute`]. That one function rate-limits,
//! authenticates (Alibaba Cloud V3 signature, Alibaba bearer token, HTTP bearer, or an
//! identity header), retries and traces each request, the same way for every operation.
//!
//! - [`auth`]: credentials, the credentials chain, the `ACS3-HMAC-SHA256` signer;
//! - [`crypto`]: the hashes, MACs and random numbers (ring, the TLS default's own library);
//! - [`retry`]: the retry policy, backoff with jitter, `Retry-After`, the retry budget;
//! - [`rate_limit`]: the client-side request rate limit;
//! - [`Operation`]: what the runtime knows of each operation (its action name for signing,
//!   the check of its response bodies, the answers that are conflicts ([`conflict`]), the
//!   query parameters the server does not honour ([`query`]));
//! - [`Failure`]: why the runtime ended a call itself, failing closed (unauthenticated,
//!   redirect, body too large, undecodable body);
//! - [`RedirectPolicy`] and [`http_client_builder`]: no redirect followed unless asked, and
//!   then only within the origin; the TLS stack the crate's features select (`rustls-ring`
//!   by default, `rustls-aws-lc`, `native-tls`), root certificates loaded once per process;
//! - [`Transport`]: REST paths, or the action-path rewrite of a gateway profile;
//! - [`paging`] and [`waiter`]: the traits the generated `x-paging` and `x-waiters` glue
//!   implements, the paging rule of each style and the status classification;
//! - [`Profile`]: how a client reaches an API (base URL, [`AuthScheme`], [`Transport`]), one
//!   per entry of the spec's `x-profiles`;
//! - [`capture`]: the raw bodies of the successful calls of a scope, for callers that pass
//!   the server's answer on unchanged;
//! - [`builder_glue`]: what the generated operation builders call instead of allocating
//!   (path segments encoded while the URL is written, unset-parameter messages on demand);
//! - the `body` module: every response body read with a size limit
//!   ([`DEFAULT_MAX_RESPONSE_BODY`]).
//!
//! # Features
//!
//! - TLS: `rustls-ring` (default), `rustls-aws-lc`, `native-tls`, or none for `http://` only
//!   (see [`tls`]);
//! - `idna-unicode-rs` (default): `url`'s IDNA processing (non-ASCII host names) on the
//!   unicode-rs tables rather than ICU4X, by pinning `idna_adapter` to its 1.1 series, which is
//!   how `url` lets a build choose. The same UTS 46 processing (a non-ASCII host name becomes
//!   its `xn--` form), about 22 fewer crates and 10 s less of a cold debug build. Without it,
//!   the program's `Cargo.lock` chooses (ICU4X unless told otherwise).

pub mod auth;
mod body;
pub mod builder_glue;
pub mod capture;
pub mod conflict;
pub mod crypto;
pub mod decode;
pub mod error_shape;
mod failure;
pub mod operation;
pub mod paging;
pub mod pattern;
pub mod profile;
pub mod query;
pub mod rate_limit;
mod redirect;
pub mod retry;
pub mod rules;
mod runtime;
pub mod tls;
pub mod transport;
pub mod waiter;

pub use auth::Credentials;
pub use body::DEFAULT_MAX_RESPONSE_BODY;
pub use failure::{bounded, chain, snippet, Failure, RedirectRefusal, MAX_QUOTED_CHARS};
pub use operation::{BodyCheck, Operation};
pub use profile::{AuthScheme, Profile};
pub use rate_limit::RateLimiter;
pub use redirect::{http_client_builder, RedirectPolicy};
pub use retry::RetryConfig;
pub use runtime::{Runtime, RuntimeBuilder};
pub use tls::install_crypto_provider;
pub use transport::Transport;

#[cfg(test)]
mod tests {
    /// Non-ASCII host names still work with the IDNA tables the features choose: they become
    /// their `xn--` form (a stub back end, `idna_adapter` 1.0, would refuse them).
    #[test]
    fn non_ascii_host_names_become_punycode() {
        let url = reqwest::Url::parse("https://B\u{fc}cher.example/api/v1/snapshots").unwrap();
        assert_eq!(url.host_str(), Some("xn--bcher-kva.example"));
        let url = reqwest::Url::parse("https://\u{4f8b}\u{5b50}.\u{6d4b}\u{8bd5}/").unwrap();
        assert_eq!(url.host_str(), Some("xn--fsqu00a.xn--0zwm56d"));
        // UTS 46 mapping: full-width letters and upper case fold to ASCII.
        let url = reqwest::Url::parse("https://\u{ff30}\u{ff21}\u{ff29}.example/").unwrap();
        assert_eq!(url.host_str(), Some("pai.example"));
    }
}
