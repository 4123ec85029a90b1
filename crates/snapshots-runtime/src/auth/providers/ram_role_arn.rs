//! [`RamRoleArn`]: temporary credentials of a RAM role, assumed with STS `AssumeRole` signed by
//! source credentials, as the official `alibabacloud-credentials` 1.0.12 library's
//! `RamRoleArnCredentialsProvider` does (`provider/ram_role_arn.py`).
//!
//! The request (see [`sts`](super::sts) for the signature and the deviations common to STS
//! calls): `GET <endpoint>?` with `Action=AssumeRole`, `Format=JSON`, `Version=2015-04-01`,
//! `DurationSeconds`, `RoleArn`, `RoleSessionName`, `SignatureMethod=HMAC-SHA1`,
//! `SignatureVersion=1.0`, `Timestamp`, `SignatureNonce`, `Policy` and `ExternalId` when set
//! and not empty, `AccessKeyId` of the source, `SecurityToken` when the source has one (the
//! library's chained role: source credentials that are themselves temporary), and
//! `Signature`: RPC V1, HMAC-SHA1 with the source's secret followed by `&`.
//!
//! Deviations from the library:
//!
//! - The default session name is `snapshots-rust-<unix seconds at construction>` (the
//!   library's is `credentials-python-<local time as seconds>`), and an empty name given
//!   counts as none, as in the library.
//! - Construction never fails: a duration under 900 s (the library's `ValueError` at
//!   construction) and an empty role ARN are reported by [`provide`](ProvideCredentials::provide)
//!   as [`CredentialsError::Malformed`], with the library's texts. Environment variables
//!   (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_ROLE_SESSION_NAME`, `ALIBABA_CLOUD_STS_REGION`,
//!   `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`) are not read here: the chain reads them.
//! - The credentials are reported as from `ram_role_arn` (the library says
//!   `ram_role_arn/<source provider>`).
//! - A failure of the source is a [`CredentialsError::Refresh`] of `ram_role_arn` quoting the
//!   source's error.

use super::sts;
use crate::auth::provider::{ProvideCredentials, ProviderFuture};
use crate::auth::{CredentialsCache, CredentialsError};
use std::fmt;

/// The provider name.
const NAME: &str = "ram_role_arn";

/// A RAM role assumed with STS `AssumeRole`, signed with the credentials of `source` (a
/// long-lived key, or temporary credentials themselves: a chained role).
///
/// ```
/// use snapshots_runtime::auth::providers::{RamRoleArn, StaticKey};
/// use snapshots_runtime::auth::{AccessKey, CredentialsCache};
/// use std::time::Duration;
///
/// let source = CredentialsCache::new(StaticKey::new(AccessKey::new("LTAI-id", "secret"), "env"));
/// let role = RamRoleArn::new(source, "acs:ram::1234567890123456:role/pai")
///     .session_name("my-session".into())
///     .duration(Duration::from_secs(900));
/// let credentials = CredentialsCache::new(role);
/// ```
pub struct RamRoleArn {
    source: CredentialsCache,
    session: sts::Session,
    external_id: Option<String>,
}

impl RamRoleArn {
    /// The role `role_arn`, assumed with the credentials of `source`; session
    /// `snapshots-rust-<unix seconds>`, 3600 s, no policy, no external id, endpoint
    /// [`sts_endpoint(None, false)`](super::sts_endpoint).
    pub fn new(source: CredentialsCache, role_arn: impl Into<String>) -> Self {
        Self {
            source,
            session: sts::Session::new(role_arn.into()),
            external_id: None,
        }
    }

    sts::session_setters!();

    /// The `ExternalId` the role's trust policy asks for (an empty one is not sent).
    #[must_use]
    pub fn external_id(mut self, external_id: String) -> Self {
        self.external_id = Some(external_id).filter(|e| !e.is_empty());
        self
    }
}

impl ProvideCredentials for RamRoleArn {
    fn provide(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            self.session.check(NAME)?;
            let source = self
                .source
                .get()
                .await
                .map_err(|e| CredentialsError::Refresh {
                    provider: NAME.to_owned(),
                    reason: format!(
                        "the source credentials ({}) could not be obtained: {e}",
                        self.source.provider_name()
                    ),
                })?;
            let session = &self.session;
            sts::call(
                NAME,
                "AssumeRole",
                &session.endpoint,
                &session.transport,
                || {
                    let mut query = session.query("AssumeRole", &[]);
                    if let Some(external_id) = &self.external_id {
                        query.push(("ExternalId".into(), external_id.clone()));
                    }
                    sts::sign_query(&mut query, &source.key);
                    query
                },
            )
            .await
        })
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

impl fmt::Debug for RamRoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RamRoleArn")
            .field("source", &self.source.provider_name())
            .field("role_arn", &self.session.role_arn)
            .field("session_name", &self.session.session_name)
            .field("duration", &self.session.duration)
            .field("policy", &self.session.policy.as_ref().map(|_| "<set>"))
            .field("external_id", &self.external_id.as_ref().map(|_| "<set>"))
            .field("sts_endpoint", &self.session.endpoint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::providers::StaticKey;
    use crate::auth::AccessKey;
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    const ROLE: &str = "acs:ram::1234567890123456:role/pai-snapshots";

    fn source(token: Option<&str>) -> CredentialsCache {
        let mut key = AccessKey::new("LTAI-source", "source-secret");
        if let Some(token) = token {
            key = key.with_security_token(token);
        }
        CredentialsCache::new(StaticKey::new(key, "static_sts"))
    }

    fn fast() -> sts::Transport {
        sts::Transport {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_millis(300),
            backoff: [Duration::from_millis(20), Duration::from_millis(40)],
        }
    }

    fn role(server: &MockServer, token: Option<&str>) -> RamRoleArn {
        RamRoleArn::new(source(token), ROLE)
            .sts_endpoint(format!("{}/sts", server.uri()))
            .transport(fast())
    }

    fn ok_body() -> serde_json::Value {
        serde_json::json!({
            "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
            "AssumedRoleUser": {"Arn": "acs:ram::1:role/pai/s", "AssumedRoleId": "3"},
            "Credentials": {
                "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2",
                "AccessKeySecret": "assumed-secret",
                "SecurityToken": "assumed-token",
                "Expiration": "2030-01-02T03:04:05Z"
            }
        })
    }

    fn params(request: &Request) -> BTreeMap<String, String> {
        request.url.query_pairs().into_owned().collect()
    }

    /// Checks the request's signature with the source secret, as STS would.
    fn verify(request: &Request, secret: &str) {
        let mut query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let at = query.iter().position(|(k, _)| k == "Signature").unwrap();
        let (_, signature) = query.remove(at);
        let expected = sts::sign(&sts::string_to_sign("GET", &query), &format!("{secret}&"));
        assert_eq!(signature, expected);
    }

    #[tokio::test]
    async fn assume_role_sends_the_library_parameters_signed_and_parses_the_answer() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/sts"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
            .expect(1)
            .mount(&server)
            .await;
        let provider = role(&server, None)
            .session_name("s1".into())
            .duration(Duration::from_secs(900))
            .policy("{\"Version\": \"1\", \"Statement\": []}".into())
            .external_id("ext-1".into());
        let provided = provider.provide().await.unwrap();
        assert_eq!(provided.provider, "ram_role_arn");
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

        let requests = server.received_requests().await.unwrap();
        let request = &requests[0];
        assert!(request.body.is_empty());
        let p = params(request);
        let names: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "AccessKeyId",
                "Action",
                "DurationSeconds",
                "ExternalId",
                "Format",
                "Policy",
                "RoleArn",
                "RoleSessionName",
                "Signature",
                "SignatureMethod",
                "SignatureNonce",
                "SignatureVersion",
                "Timestamp",
                "Version"
            ]
        );
        assert_eq!(p["Action"], "AssumeRole");
        assert_eq!(p["Format"], "JSON");
        assert_eq!(p["Version"], "2015-04-01");
        assert_eq!(p["DurationSeconds"], "900");
        assert_eq!(p["RoleArn"], ROLE);
        assert_eq!(p["RoleSessionName"], "s1");
        assert_eq!(p["Policy"], "{\"Version\": \"1\", \"Statement\": []}");
        assert_eq!(p["ExternalId"], "ext-1");
        assert_eq!(p["SignatureMethod"], "HMAC-SHA1");
        assert_eq!(p["SignatureVersion"], "1.0");
        assert_eq!(p["AccessKeyId"], "LTAI-source");
        assert!(
            chrono::NaiveDateTime::parse_from_str(&p["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").is_ok()
        );
        verify(request, "source-secret");
        // Spaces travel as %20, never `+`.
        assert!(request.url.query().unwrap().contains("%20"));
    }

    #[tokio::test]
    async fn defaults_and_a_chained_source_with_a_security_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
            .expect(1)
            .mount(&server)
            .await;
        role(&server, Some("source-token")).provide().await.unwrap();
        let requests = server.received_requests().await.unwrap();
        let p = params(&requests[0]);
        assert_eq!(p["SecurityToken"], "source-token");
        assert_eq!(p["DurationSeconds"], "3600");
        assert!(p["RoleSessionName"].starts_with("snapshots-rust-"));
        assert!(!p.contains_key("Policy") && !p.contains_key("ExternalId"));
        verify(&requests[0], "source-secret");
    }

    #[tokio::test]
    async fn a_client_error_is_final_and_names_the_sts_code() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "RequestId": "A1B2-C3",
                "HostId": "sts.aliyuncs.com",
                "Code": "InvalidParameter.RoleArn",
                "Message": "The parameter RoleArn is wrongly formed.",
                "Recommend": "https://api.aliyun.com/troubleshoot?q=x"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let error = role(&server, Some("source-token"))
            .provide()
            .await
            .unwrap_err();
        let CredentialsError::Refresh { provider, reason } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(provider, "ram_role_arn");
        for part in [
            "HTTP 400",
            "Code: InvalidParameter.RoleArn",
            "Message: The parameter RoleArn is wrongly formed.",
            "RequestId: A1B2-C3",
        ] {
            assert!(reason.contains(part), "{reason}");
        }
        for secret in ["source-secret", "source-token", "Signature"] {
            assert!(!error.to_string().contains(secret), "{error}");
        }
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_server_error_is_retried_with_a_new_nonce_and_signature() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
            .mount(&server)
            .await;
        let provided = role(&server, None).provide().await.unwrap();
        assert_eq!(provided.key.id, "STS.NUgYrLnoC37mZZCNnAbez2");
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        assert_ne!(
            params(&requests[0])["SignatureNonce"],
            params(&requests[1])["SignatureNonce"]
        );
        verify(&requests[1], "source-secret");
    }

    #[tokio::test]
    async fn throttling_is_retried_up_to_three_attempts() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "RequestId": "R", "Code": "Throttling.User", "Message": "Request was denied due to user flow control."
            })))
            .mount(&server)
            .await;
        let error = role(&server, None).provide().await.unwrap_err();
        assert!(
            error.to_string().contains("Throttling.User")
                && error.to_string().contains("after 3 attempts"),
            "{error}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn malformed_json_is_a_refresh_error_that_quotes_nothing() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"leaked-secret""#,
            ))
            .expect(1)
            .mount(&server)
            .await;
        let error = role(&server, None).provide().await.unwrap_err();
        assert!(
            matches!(&error, CredentialsError::Refresh { provider, reason }
                if provider == "ram_role_arn" && reason.contains("not the expected JSON")),
            "{error:?}"
        );
        assert!(!error.to_string().contains("leaked-secret"), "{error}");
    }

    #[tokio::test]
    async fn a_slow_sts_is_bounded() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(ok_body())
                    .set_delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let error = role(&server, None).provide().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert!(
            error.to_string().contains("timed out")
                && error.to_string().contains("after 3 attempts"),
            "{error}"
        );
        assert!(!error.to_string().contains("127.0.0.1"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_sts_is_a_bounded_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let provider = RamRoleArn::new(source(None), ROLE)
            .sts_endpoint(format!("http://127.0.0.1:{port}"))
            .transport(fast());
        let error = provider.provide().await.unwrap_err();
        assert!(error.to_string().contains("cannot connect"), "{error}");
    }

    #[tokio::test]
    async fn invalid_settings_are_malformed_and_nothing_is_sent() {
        let server = MockServer::start().await;
        let short = role(&server, None).duration(Duration::from_secs(899));
        let error = short.provide().await.unwrap_err();
        assert_eq!(
            error,
            CredentialsError::Malformed {
                source_name: "ram_role_arn".into(),
                reason: "session duration should be in the range of 900s - max session duration"
                    .into()
            }
        );
        let empty = RamRoleArn::new(source(None), "");
        assert!(matches!(
            empty.provide().await.unwrap_err(),
            CredentialsError::Malformed { .. }
        ));
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[test]
    fn debug_shows_no_secret() {
        let provider = RamRoleArn::new(source(Some("source-token")), ROLE)
            .policy("{\"secret-ish\": 1}".into())
            .external_id("ext-secret".into());
        let text = format!("{provider:?}");
        for hidden in ["source-secret", "source-token", "secret-ish", "ext-secret"] {
            assert!(!text.contains(hidden), "{text}");
        }
        assert!(text.contains(ROLE), "{text}");
    }
}
