//! Credentials, the credentials chain, and the `ACS3-HMAC-SHA256` request signer.
//!
//! - [`Credentials`] says how a client authenticates: an Alibaba Cloud [`AccessKey`] (each
//!   request signed by [`acs3::sign`]), an Alibaba bearer token (ROA `x-acs-bearer-token`,
//!   [`acs3::sign_bearer`]), a plain HTTP bearer token, an identity header such as Graph OLAP's
//!   `X-Username`, or nothing.
//!   [`Credentials::Provider`] signs with temporary credentials from a provider.
//! - [`provider`]: the provider trait ([`provider::ProvideCredentials`]) and its
//!   [`provider::RefreshPolicy`]; [`CredentialsCache`]: caching, single-flight refresh and
//!   prefetch, as the official libraries do; [`providers`]: static keys, `RamRoleArn`,
//!   `OidcRoleArn` (RRSA), the ECS RAM role, a credentials URI, an external process;
//!   [`chain`]: the default chain over them; [`profiles`]: the typed CLI and INI files.
//! - [`credentials`]: the [`Environment`] the chain reads, the INI reader, and the DashScope
//!   API key ([`resolve_dashscope`]).
//! - [`acs3`] is the V3 signer, byte-compatible with `alibabacloud_tea_openapi` 0.4.6.
//!
//! Secrets are held in [`Secret`], whose `Debug` and `Display` print `***`; no error or log
//! message of this module contains a secret value.

use std::fmt;
use std::sync::OnceLock;

use crate::crypto::HmacSha256Key;

pub mod acs3;
mod cache;
pub mod chain;
pub mod credentials;
pub(crate) mod prepared;
pub mod profiles;
pub mod provider;
pub mod providers;

pub use acs3::SignError;
pub use cache::{Clock, CredentialsCache};
pub use credentials::{resolve_dashscope, Environment};

/// A secret string (an access key secret, a security token, a bearer token).
///
/// `Debug` and `Display` print `***`, so a secret cannot leak through formatting, logs or error
/// messages by accident; [`Secret::expose`] gives the value to the code that must send it.
///
/// An access key secret also keeps, once it has signed a request, its HMAC-SHA256 key
/// (the key padded, hashed with the inner and outer pads), so that each signature starts
/// from that state instead of processing the key again. The state is derived from
/// the secret and treated like it: never printed, compared or exposed.
#[derive(Clone)]
pub struct Secret {
    value: String,
    /// HMAC-SHA256 keyed with `value`, made on first use ([`Secret::hmac_sha256_key`]).
    keyed_hmac: OnceLock<Box<HmacSha256Key>>,
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            keyed_hmac: OnceLock::new(),
        }
    }

    /// The secret value, for the code that signs or sends it. Never log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The HMAC-SHA256 key of the secret: processed on the first call, kept for the next.
    pub(crate) fn hmac_sha256_key(&self) -> &HmacSha256Key {
        self.keyed_hmac
            .get_or_init(|| Box::new(HmacSha256Key::new(self.value.as_bytes())))
    }
}

/// Secrets are equal when their values are (the keyed state is derived from the value).
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// An Alibaba Cloud access key: a long-lived RAM key pair, or temporary STS credentials when
/// [`security_token`](AccessKey::security_token) is set.
///
/// `Debug` shows the id and redacts the secret and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id (`LTAI...`, or `STS....` for temporary credentials). Not secret.
    pub id: String,
    /// The access key secret, the HMAC key of every signature.
    pub secret: Secret,
    /// The STS security token, sent as `x-acs-security-token` when present.
    pub security_token: Option<Secret>,
}

impl AccessKey {
    /// A long-lived access key (no security token).
    pub fn new(id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            security_token: None,
        }
    }

    /// Adds an STS security token. An empty token counts as none, as in the Python SDK.
    pub fn with_security_token(mut self, token: impl Into<Secret>) -> Self {
        let token = token.into();
        self.security_token = if token.is_empty() { None } else { Some(token) };
        self
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .field("security_token", &self.security_token)
            .finish()
    }
}

/// How a client authenticates its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Alibaba Cloud access key: every request is signed with `ACS3-HMAC-SHA256`
    /// ([`acs3::sign`]).
    AccessKey(AccessKey),
    /// Alibaba Cloud bearer token on ROA APIs: `x-acs-bearer-token` plus
    /// `x-acs-signature-type: BEARERTOKEN`, no signature ([`acs3::sign_bearer`]).
    AlibabaBearer(Secret),
    /// A plain `Authorization: Bearer <token>` header (for example a DashScope API key).
    Bearer(Secret),
    /// One identity header sent as is, such as Graph OLAP's `X-Username`. Not treated as secret.
    Header {
        /// The header name.
        name: String,
        /// The header value.
        value: String,
    },
    /// Temporary credentials from a provider (an assumed RAM role, RRSA/OIDC, the ECS RAM
    /// role, a credentials URI, ...), cached and refreshed by the [`CredentialsCache`]; each
    /// attempt is signed with `ACS3-HMAC-SHA256` using the credentials current at that
    /// moment, so a retry after a refresh signs with the new ones.
    Provider(CredentialsCache),
    /// No authentication at all.
    Anonymous,
}

impl From<AccessKey> for Credentials {
    fn from(key: AccessKey) -> Self {
        Self::AccessKey(key)
    }
}

/// Why no usable credentials were found. No variant ever carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No source held credentials; `tried` names every source looked at, in order, with why
    /// it gave nothing.
    #[error("no credentials found; tried: {}", tried.join(", "))]
    NotFound {
        /// The sources tried, in order, each with the file, profile or variables it read.
        tried: Vec<String>,
    },
    /// A source exists but cannot be used (invalid JSON or INI, a missing or empty key).
    #[error("malformed credentials in {source_name}: {reason}")]
    Malformed {
        /// The source, with its path and profile or section.
        source_name: String,
        /// What is wrong, without any secret value.
        reason: String,
    },
    /// A provider of temporary credentials failed (its service refused, answered garbage,
    /// was unreachable or slow, or gave credentials already expired) and no cached
    /// credentials may be served instead.
    #[error("credentials from {provider} could not be obtained: {reason}")]
    Refresh {
        /// The provider (`ram_role_arn`, `oidc_role_arn`, `ecs_ram_role`, ...).
        provider: String,
        /// The cause, without any secret value.
        reason: String,
    },
    /// A source asks for a credential kind this crate does not implement (the CLI's
    /// `CloudSSO` and `OAuth`, which need a browser; an INI `rsa_key_pair`).
    #[error("{source_name}: credential mode '{mode}' is not supported (CloudSSO and OAuth need a browser sign-in)")]
    Unsupported {
        /// The source, with its path and profile or section.
        source_name: String,
        /// The mode or type found there (`RamRoleArn`, `type = ram_role_arn`, ...).
        mode: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_in_debug_and_display() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn keyed_hmac_is_the_hmac_of_the_secret_and_never_shown() {
        let secret = Secret::new("hunter2-very-secret");
        // RustCrypto's HMAC, independent of the runtime's ring.
        let fresh = |message: &[u8]| {
            use hmac::{KeyInit, Mac};
            let mut mac =
                hmac::Hmac::<sha2::Sha256>::new_from_slice(b"hunter2-very-secret").unwrap();
            mac.update(message);
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        for message in [&b""[..], b"ACS3-HMAC-SHA256\nabc", &[7u8; 200]] {
            assert_eq!(secret.hmac_sha256_key().sign(message), fresh(message));
        }
        // Made once, then carried by clones; equality and `Debug` ignore it.
        let copy = secret.clone();
        assert!(copy.keyed_hmac.get().is_some());
        assert_eq!(copy, Secret::new("hunter2-very-secret"));
        assert_ne!(copy, Secret::new("other"));
        assert_eq!(format!("{copy:?} {copy}"), "*** ***");
        let key = AccessKey::new("LTAI-id", secret);
        assert!(!format!("{key:?}").contains("hunter2"), "{key:?}");
    }

    #[test]
    fn access_key_debug_shows_id_only() {
        let key = AccessKey::new("LTAI-id", "the-secret").with_security_token("the-token");
        for text in [format!("{key:?}"), format!("{key:#?}")] {
            assert!(text.contains("LTAI-id"), "{text}");
            assert!(!text.contains("the-secret"), "{text}");
            assert!(!text.contains("the-token"), "{text}");
        }
        let creds = Credentials::AccessKey(key);
        let text = format!("{creds:?}");
        assert!(
            !text.contains("the-secret") && !text.contains("the-token"),
            "{text}"
        );
    }

    #[test]
    fn bearer_credentials_are_redacted() {
        for creds in [
            Credentials::Bearer(Secret::new("sk-abcdef")),
            Credentials::AlibabaBearer(Secret::new("sk-abcdef")),
        ] {
            assert!(!format!("{creds:?}").contains("sk-abcdef"));
        }
    }

    #[test]
    fn empty_security_token_counts_as_none() {
        let key = AccessKey::new("id", "secret").with_security_token("");
        assert!(key.security_token.is_none());
    }

    #[test]
    fn error_messages() {
        let e = CredentialsError::NotFound {
            tried: vec!["explicit".into(), "environment (X)".into()],
        };
        assert_eq!(
            e.to_string(),
            "no credentials found; tried: explicit, environment (X)"
        );
        let e = CredentialsError::Unsupported {
            source_name: "CLI profile p".into(),
            mode: "CloudSSO".into(),
        };
        assert!(e.to_string().contains("'CloudSSO' is not supported"), "{e}");
    }
}
