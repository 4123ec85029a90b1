//! [`Prepared`]: credentials checked and turned, once, into what each request needs.
//!
//! Header values are validated when the runtime is built, not on every call: a credential
//! that cannot be sent as configured (a token with a line break, an empty bearer token, a
//! header name with a space) makes every call fail with
//! [`Failure::Unauthenticated`](crate::Failure::Unauthenticated) before anything is sent,
//! never a request that goes out without it.

use super::provider::ProvidedCredentials;
use super::{acs3, AccessKey, Credentials, CredentialsCache, Secret};
use crate::failure::Failure;
use crate::operation::Operation;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use std::sync::Arc;

/// Credentials ready to be applied to requests.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    /// No authentication.
    Anonymous,
    /// Each request signed with `ACS3-HMAC-SHA256`.
    Sign(AccessKey),
    /// ROA `x-acs-bearer-token` headers.
    AlibabaBearer(Secret),
    /// One fixed header (`Authorization: Bearer ...` or an identity header), marked sensitive.
    Header(HeaderName, HeaderValue),
    /// Each request signed with the provider's current key, fetched per attempt.
    Provider(CredentialsCache),
}

impl Prepared {
    /// Checks `credentials` and prepares them; the error says what is wrong, with no secret.
    pub(crate) fn new(credentials: &Credentials) -> Result<Self, String> {
        Ok(match credentials {
            Credentials::Anonymous => Prepared::Anonymous,
            Credentials::Provider(cache) => Prepared::Provider(cache.clone()),
            Credentials::AccessKey(key) => {
                check_value("the AccessKey id", &key.id)?;
                check_value("the AccessKey secret", key.secret.expose())?;
                if let Some(token) = &key.security_token {
                    check_value("the STS security token", token.expose())?;
                }
                Prepared::Sign(key.clone())
            }
            Credentials::AlibabaBearer(token) => {
                check_value("the Alibaba bearer token", token.expose())?;
                Prepared::AlibabaBearer(token.clone())
            }
            Credentials::Bearer(token) => {
                check_value("the bearer token", token.expose())?;
                let value = format!("Bearer {}", token.expose());
                Prepared::Header(AUTHORIZATION, sensitive(&value, "the bearer token")?)
            }
            Credentials::Header { name, value } => {
                let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    format!(
                        "`{}` is not a valid header name",
                        crate::failure::bounded(name)
                    )
                })?;
                check_value(&format!("the `{header}` header"), value)?;
                Prepared::Header(header.clone(), sensitive(value, header.as_str())?)
            }
        })
    }

    /// The provider's current credentials, for [`Prepared::apply`], when these credentials
    /// come from a provider (fetched, or refreshed, as its cache decides).
    pub(crate) async fn current(&self) -> Result<Option<Arc<ProvidedCredentials>>, Failure> {
        match self {
            Prepared::Provider(cache) => cache.get().await.map(Some).map_err(Failure::Credentials),
            _ => Ok(None),
        }
    }

    /// Authenticates `request` for `operation` of the API at `version` (with `current`, the
    /// provider's credentials of this attempt), or says why it cannot be (then the request
    /// must not be sent).
    pub(crate) fn apply(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
        version: &str,
        current: Option<&ProvidedCredentials>,
    ) -> Result<(), Failure> {
        let refused = |e: acs3::SignError| Failure::Unauthenticated {
            reason: e.to_string(),
        };
        match self {
            Prepared::Anonymous => Ok(()),
            Prepared::Sign(key) => acs3::sign(
                request,
                key,
                operation.name,
                version,
                chrono::Utc::now(),
                &acs3::new_nonce().map_err(refused)?,
            )
            .map_err(refused),
            Prepared::AlibabaBearer(token) => acs3::sign_bearer(
                request,
                token,
                operation.name,
                version,
                chrono::Utc::now(),
                &acs3::new_nonce().map_err(refused)?,
            )
            .map_err(refused),
            Prepared::Header(name, value) => {
                request.headers_mut().insert(name.clone(), value.clone());
                Ok(())
            }
            Prepared::Provider(cache) => {
                let Some(current) = current else {
                    return Err(Failure::Unauthenticated {
                        reason: format!(
                            "no credentials were fetched from {}",
                            cache.provider_name()
                        ),
                    });
                };
                acs3::sign(
                    request,
                    &current.key,
                    operation.name,
                    version,
                    chrono::Utc::now(),
                    &acs3::new_nonce().map_err(refused)?,
                )
                .map_err(refused)
            }
        }
    }
}

/// `value` is non-empty, has no surrounding white space, and can be sent as a header value
/// (visible ASCII, inner spaces and tabs).
fn check_value(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.trim() != value {
        return Err(format!("{what} starts or ends with white space"));
    }
    // `to_str` accepts visible ASCII only: obs-text bytes (non-ASCII) are refused too, as
    // no server can be trusted to read them the same way.
    match HeaderValue::from_str(value) {
        Ok(header) if header.to_str().is_ok() => Ok(()),
        _ => Err(format!("{what} contains characters a header cannot carry (line breaks, control or non-ASCII characters)")),
    }
}

fn sensitive(value: &str, what: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| format!("{what} contains characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(name: &str, value: &str) -> Result<Prepared, String> {
        Prepared::new(&Credentials::Header {
            name: name.into(),
            value: value.into(),
        })
    }

    #[test]
    fn unsendable_credentials_are_refused_with_no_secret_in_the_reason() {
        let cases = [
            Credentials::Bearer(Secret::new("s3cr3t\r\nX-Evil: 1")),
            Credentials::Bearer(Secret::new("")),
            Credentials::AlibabaBearer(Secret::new("s3cr3t\nsecret-part")),
            Credentials::AccessKey(
                AccessKey::new("id", "sec").with_security_token("sts\u{7f}secret-part"),
            ),
            Credentials::AccessKey(AccessKey::new("", "sec")),
        ];
        for credentials in cases {
            let reason = Prepared::new(&credentials).unwrap_err();
            assert!(
                !reason.contains("secret-part") && !reason.contains("s3cr3t"),
                "{reason}"
            );
        }
        assert!(header("X Username", "alice").is_err());
        assert!(header("X-Username", "alice\nbob").is_err());
        assert!(header("X-Username", "ålice").is_err());
        assert!(header("X-Username", "alice").is_ok());
    }

    #[test]
    fn prepared_headers_are_sensitive() {
        let Ok(Prepared::Header(name, value)) =
            Prepared::new(&Credentials::Bearer(Secret::new("t")))
        else {
            panic!("a header");
        };
        assert_eq!(name, AUTHORIZATION);
        assert!(value.is_sensitive());
        assert_eq!(value, "Bearer t");
    }

    proptest! {
        /// Whatever the value, preparing either refuses it or yields exactly that header.
        #[test]
        fn a_header_is_sent_as_given_or_refused(value in "\\PC{0,20}|[\\x00-\\x7f]{0,20}") {
            match header("X-Username", &value) {
                Ok(Prepared::Header(_, v)) => prop_assert_eq!(v.to_str().unwrap(), value.as_str()),
                Ok(other) => prop_assert!(false, "{other:?}"),
                Err(_) => prop_assert!(value.is_empty() || value.trim() != value || !value.chars().all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic())),
            }
        }
    }
}
