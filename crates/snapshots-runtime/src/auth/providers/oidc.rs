//! [`OidcRoleArn`]: temporary credentials of a RAM role assumed with an OIDC token (RRSA on
//! ACK, PAI-DLC and PAI-DSW), with STS `AssumeRoleWithOIDC`, as the official
//! `alibabacloud-credentials` 1.0.12 library's `OIDCRoleArnCredentialsProvider` does
//! (`provider/oidc.py`).
//!
//! The request: `GET <endpoint>?` with `Action=AssumeRoleWithOIDC`, `Format=JSON`,
//! `Version=2015-04-01`, `DurationSeconds`, `RoleArn`, `OIDCProviderArn`, `OIDCToken` (the
//! token file's whole content, read afresh for every call, not trimmed), `RoleSessionName`,
//! `Timestamp`, and `Policy` when set and not empty. The call is **not signed**: no
//! `AccessKeyId`, `Signature*` or `SignatureNonce` parameter (the token is the proof). As in
//! the library, the token travels in the query string; no error or log here ever shows the
//! URL or the token.
//!
//! Deviations from the library (besides those of [`sts`](super::sts)):
//!
//! - The default session name is `snapshots-rust-<unix seconds at construction>`.
//! - Construction never fails: a duration under 900 s and an empty role ARN, provider ARN or
//!   token file path are [`CredentialsError::Malformed`] from `provide`, with the library's
//!   texts. Environment variables (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
//!   `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, `ALIBABA_CLOUD_ROLE_SESSION_NAME`, ...) are the chain's.
//! - A missing, unreadable or empty (or all-whitespace) token file is a
//!   [`CredentialsError::Refresh`] naming the file, before any request (the library sends an
//!   empty token); a file over 64 KiB too (a real token is about 1 KiB).
//! - The file is read with blocking I/O on the calling task (a small local file).

use super::sts;
use crate::auth::provider::{ProvideCredentials, ProviderFuture};
use crate::auth::CredentialsError;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The provider name.
const NAME: &str = "oidc_role_arn";

/// The largest token file read.
const MAX_TOKEN: u64 = 64 * 1024;

/// A RAM role assumed with STS `AssumeRoleWithOIDC`, proving the identity with the OIDC
/// token in a file (RRSA mounts it and rotates it in place).
///
/// ```
/// use snapshots_runtime::auth::providers::OidcRoleArn;
/// use snapshots_runtime::auth::CredentialsCache;
///
/// let role = OidcRoleArn::new(
///     "acs:ram::1234567890123456:role/pai",
///     "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1",
///     "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
/// )
/// .session_name("my-session".into());
/// let credentials = CredentialsCache::new(role);
/// ```
pub struct OidcRoleArn {
    session: sts::Session,
    oidc_provider_arn: String,
    token_file: PathBuf,
}

impl OidcRoleArn {
    /// The role `role_arn`, assumed with the token in `token_file` issued by the OIDC
    /// provider `oidc_provider_arn`; session `snapshots-rust-<unix seconds>`, 3600 s, no
    /// policy, endpoint [`sts_endpoint(None, false)`](super::sts_endpoint).
    pub fn new(
        role_arn: impl Into<String>,
        oidc_provider_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Self {
        Self {
            session: sts::Session::new(role_arn.into()),
            oidc_provider_arn: oidc_provider_arn.into(),
            token_file: token_file.into(),
        }
    }

    sts::session_setters!();

    fn check(&self) -> Result<(), CredentialsError> {
        let malformed = |reason: &str| CredentialsError::Malformed {
            source_name: NAME.to_owned(),
            reason: reason.to_owned(),
        };
        if self.oidc_provider_arn.is_empty() {
            return Err(malformed("oidc_provider_arn or environment variable ALIBABA_CLOUD_OIDC_PROVIDER_ARN cannot be empty"));
        }
        if self.token_file.as_os_str().is_empty() {
            return Err(malformed("oidc_token_file_path or environment variable ALIBABA_CLOUD_OIDC_TOKEN_FILE cannot be empty"));
        }
        self.session.check(NAME)
    }
}

/// The token in `path`, or why not (naming the path, never the content).
fn read_token(path: &Path) -> Result<String, CredentialsError> {
    let fail = |why: String| CredentialsError::Refresh {
        provider: NAME.to_owned(),
        reason: format!("the OIDC token file {} {why}", path.display()),
    };
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let mut token = String::new();
    file.take(MAX_TOKEN + 1)
        .read_to_string(&mut token)
        .map_err(|e| fail(format!("cannot be read: {}", e.kind())))?;
    if token.len() as u64 > MAX_TOKEN {
        return Err(fail(format!("is larger than {MAX_TOKEN} bytes")));
    }
    if token.trim().is_empty() {
        return Err(fail("is empty".to_owned()));
    }
    Ok(token)
}

impl ProvideCredentials for OidcRoleArn {
    fn provide(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            self.check()?;
            let token = read_token(&self.token_file)?;
            let session = &self.session;
            let provider = self.oidc_provider_arn.as_str();
            sts::call(
                NAME,
                "AssumeRoleWithOIDC",
                &session.endpoint,
                &session.transport,
                || {
                    let extra = [("OIDCProviderArn", provider), ("OIDCToken", token.as_str())];
                    session.query("AssumeRoleWithOIDC", &extra)
                },
            )
            .await
        })
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

impl fmt::Debug for OidcRoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcRoleArn")
            .field("role_arn", &self.session.role_arn)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("token_file", &self.token_file)
            .field("session_name", &self.session.session_name)
            .field("duration", &self.session.duration)
            .field("policy", &self.session.policy.as_ref().map(|_| "<set>"))
            .field("sts_endpoint", &self.session.endpoint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const ROLE: &str = "acs:ram::1234567890123456:role/pai-snapshots";
    const OIDC: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1";

    /// A fresh directory for one test's token file.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "snapshots-oidc-{name}-{}-{}",
            std::process::id(),
            sts::nonce()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn ok_body() -> serde_json::Value {
        serde_json::json!({
            "RequestId": "3D57EAD2-8723-1F26-B69C-F8707D8B565D",
            "OIDCTokenInfo": {"Subject": "system:serviceaccount:ns:sa"},
            "Credentials": {
                "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2",
                "AccessKeySecret": "assumed-secret",
                "SecurityToken": "assumed-token",
                "Expiration": "2030-01-02T03:04:05Z"
            }
        })
    }

    fn provider(server: &MockServer, file: &Path) -> OidcRoleArn {
        OidcRoleArn::new(ROLE, OIDC, file)
            .sts_endpoint(format!("{}/sts", server.uri()))
            .transport(sts::Transport {
                connect_timeout: Duration::from_secs(2),
                read_timeout: Duration::from_millis(300),
                backoff: [Duration::from_millis(20), Duration::from_millis(40)],
            })
    }

    #[tokio::test]
    async fn assume_role_with_oidc_sends_the_library_parameters_unsigned_and_rereads_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/sts"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
            .expect(2)
            .mount(&server)
            .await;
        let dir = temp_dir("reread");
        let file = dir.join("token");
        std::fs::write(&file, "eyJ.first-token.sig").unwrap();
        let provider = provider(&server, &file)
            .session_name("s1".into())
            .policy("{\"Version\": \"1\"}".into());

        let provided = provider.provide().await.unwrap();
        assert_eq!(provided.provider, "oidc_role_arn");
        assert_eq!(provided.key.id, "STS.NUgYrLnoC37mZZCNnAbez2");
        assert_eq!(provided.key.secret.expose(), "assumed-secret");
        assert_eq!(
            provided.key.security_token.as_ref().unwrap().expose(),
            "assumed-token"
        );
        assert_eq!(
            provided.expiration,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445))
        );
        std::fs::write(&file, "eyJ.second-token.sig").unwrap();
        provider.provide().await.unwrap();

        let requests = server.received_requests().await.unwrap();
        let params: Vec<BTreeMap<String, String>> = requests
            .iter()
            .map(|r| r.url.query_pairs().into_owned().collect())
            .collect();
        let names: Vec<&str> = params[0].keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "Action",
                "DurationSeconds",
                "Format",
                "OIDCProviderArn",
                "OIDCToken",
                "Policy",
                "RoleArn",
                "RoleSessionName",
                "Timestamp",
                "Version"
            ]
        );
        let p = &params[0];
        assert_eq!(p["Action"], "AssumeRoleWithOIDC");
        assert_eq!(p["Format"], "JSON");
        assert_eq!(p["Version"], "2015-04-01");
        assert_eq!(p["DurationSeconds"], "3600");
        assert_eq!(p["RoleArn"], ROLE);
        assert_eq!(p["OIDCProviderArn"], OIDC);
        assert_eq!(p["RoleSessionName"], "s1");
        assert_eq!(p["Policy"], "{\"Version\": \"1\"}");
        assert_eq!(p["OIDCToken"], "eyJ.first-token.sig");
        assert_eq!(params[1]["OIDCToken"], "eyJ.second-token.sig");
        assert!(requests.iter().all(|r| r.body.is_empty()));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_or_empty_token_file_is_named_and_nothing_is_sent() {
        let server = MockServer::start().await;
        let dir = temp_dir("missing");
        let file = dir.join("absent-token");
        let error = provider(&server, &file).provide().await.unwrap_err();
        let CredentialsError::Refresh {
            provider: name,
            reason,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(name, "oidc_role_arn");
        assert!(reason.contains(&file.display().to_string()), "{reason}");

        std::fs::write(&file, "\n").unwrap();
        let error = provider(&server, &file).provide().await.unwrap_err();
        assert!(
            error.to_string().contains("is empty")
                && error.to_string().contains(&file.display().to_string()),
            "{error}"
        );
        assert!(server.received_requests().await.unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn the_token_is_never_in_errors_or_debug() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "RequestId": "R-1",
                "Code": "AuthenticationFail.OIDCToken.Invalid",
                "Message": "The specified OIDCToken is invalid."
            })))
            .expect(1)
            .mount(&server)
            .await;
        let dir = temp_dir("secret");
        let file = dir.join("token");
        std::fs::write(&file, "eyJ.very-secret-token.sig").unwrap();
        let provider = provider(&server, &file);
        let error = provider.provide().await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Code: AuthenticationFail.OIDCToken.Invalid"),
            "{error}"
        );
        // A slow STS: the transport error names no URL (the token is in the query).
        let slow = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&slow)
            .await;
        let slow_error = OidcRoleArn::new(ROLE, OIDC, &file)
            .sts_endpoint(slow.uri())
            .transport(sts::Transport {
                connect_timeout: Duration::from_secs(1),
                read_timeout: Duration::from_millis(200),
                backoff: [Duration::from_millis(10), Duration::from_millis(10)],
            })
            .provide()
            .await
            .unwrap_err();
        assert!(slow_error.to_string().contains("timed out"), "{slow_error}");
        for text in [
            error.to_string(),
            format!("{error:?}"),
            slow_error.to_string(),
            format!("{provider:?}"),
        ] {
            assert!(!text.contains("very-secret-token"), "{text}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn invalid_settings_are_malformed() {
        for provider in [
            OidcRoleArn::new(ROLE, OIDC, "/t").duration(Duration::from_secs(60)),
            OidcRoleArn::new("", OIDC, "/t"),
            OidcRoleArn::new(ROLE, "", "/t"),
            OidcRoleArn::new(ROLE, OIDC, ""),
        ] {
            assert!(matches!(
                provider.provide().await.unwrap_err(),
                CredentialsError::Malformed { .. }
            ));
        }
    }
}
