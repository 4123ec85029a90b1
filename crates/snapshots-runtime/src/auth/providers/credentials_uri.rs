//! [`CredentialsUri`]: STS credentials from a local credentials service, as the official
//! `alibabacloud-credentials` 1.0.12 `URLCredentialsProvider` (`uri.py`) fetches them
//! (`ALIBABA_CLOUD_CREDENTIALS_URI`; provider name `credential_uri`).
//!
//! One refresh is one `GET <uri>`, 5 s to connect and 10 s per read (the library's
//! `DEFAULT_CONNECT_TIMEOUT`/`DEFAULT_READ_TIMEOUT`). A status other than 200 fails with
//! `error refreshing credentials from <uri>,  http_code=<status>` (the library's text, its
//! double space included). The body must be a JSON object with `"Code": "Success"` and all of
//! `AccessKeyId`, `AccessKeySecret`, `SecurityToken` and `Expiration`
//! (`%Y-%m-%dT%H:%M:%SZ`, UTC); otherwise the refresh fails with `error retrieving
//! credentials from <uri>: <what is wrong>`. Credentials go stale 15 minutes before they
//! expire and are never served stale (the library's `RefreshCachedSupplier` defaults:
//! [`RefreshPolicy::default`](crate::auth::provider::RefreshPolicy::default)).
//!
//! Deviations from the library, all deliberate:
//! - the library appends the whole body to both errors (`result: <body>`); a body may hold
//!   credentials, so it is never quoted here: the error says what is wrong instead;
//! - the URI shown in errors has no user info, query or fragment (they may hold a token);
//! - the URI is requested as given; the library rebuilds it from host, port, path and
//!   `parse_qs(query)`, which drops blank query values and keeps one value per repeated key;
//! - the URI must be an absolute `http://` URI (the library defaults a missing scheme to
//!   `http`; this crate's reqwest has no TLS, so `https://` fails at the request);
//! - the environment is not read here (the chain passes the URI), bodies are read up to
//!   64 KiB, and no redirect is followed.

use super::sts_http;
use crate::auth::provider::{ProvideCredentials, ProvidedCredentials, ProviderFuture};
use crate::auth::CredentialsError;
use std::fmt;
use std::time::Duration;

const NAME: &str = "credential_uri";

/// Credentials from a credentials service at a URI (`credential_uri`).
///
/// `Debug` shows the URI without its user info, query or fragment.
///
/// ```
/// use snapshots_runtime::auth::providers::CredentialsUri;
/// use snapshots_runtime::auth::CredentialsCache;
///
/// let cache = CredentialsCache::new(CredentialsUri::new("http://127.0.0.1:8080/credentials"));
/// # let _ = cache;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialsUri {
    uri: String,
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl CredentialsUri {
    /// Credentials from `GET uri`, with the library's timeouts (5 s connect, 10 s read).
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            connect_timeout: Duration::from_millis(5000),
            read_timeout: Duration::from_millis(10000),
        }
    }

    /// The connect timeout (default 5 s, the library's).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The read timeout (default 10 s, the library's).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    async fn fetch(&self) -> Result<ProvidedCredentials, String> {
        let shown = shown(&self.uri);
        let url = reqwest::Url::parse(&self.uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| format!("the credentials URI {shown} is not an absolute http:// URI"))?;
        let client = sts_http::client(self.connect_timeout, self.read_timeout, false)?;
        let reply = sts_http::send(client.get(url))
            .await
            .map_err(|e| format!("error refreshing credentials from {shown}: {e}"))?;
        if reply.status != 200 {
            return Err(format!(
                "error refreshing credentials from {shown},  http_code={}",
                reply.status
            ));
        }
        let (key, expiration) = sts_http::parse_sts(&reply.body)
            .map_err(|problem| format!("error retrieving credentials from {shown}: {problem}"))?;
        Ok(ProvidedCredentials::new(key, Some(expiration), NAME))
    }
}

/// `uri` without user info, query or fragment, bounded.
fn shown(uri: &str) -> String {
    match reqwest::Url::parse(uri) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            crate::bounded(url.as_str())
        }
        Err(_) => "(unparseable URI)".to_owned(),
    }
}

impl fmt::Debug for CredentialsUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsUri")
            .field("uri", &shown(&self.uri))
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

impl ProvideCredentials for CredentialsUri {
    fn provide(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            self.fetch()
                .await
                .map_err(|reason| CredentialsError::Refresh {
                    provider: NAME.to_owned(),
                    reason,
                })
        })
    }

    fn name(&self) -> &'static str {
        NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::provider::RefreshPolicy;
    use std::time::SystemTime;
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const CREDS: &str = r#"{"Code":"Success","AccessKeyId":"STS.uri-id","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":"2030-01-02T03:04:05Z"}"#;

    async fn serve(status: u16, body: &'static str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/creds"))
            .and(query_param("k", "query-secret"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        server
    }

    fn provider(server: &MockServer) -> CredentialsUri {
        CredentialsUri::new(format!("{}/creds?k=query-secret", server.uri()))
            .read_timeout(Duration::from_millis(500))
    }

    fn refresh_error(result: Result<ProvidedCredentials, CredentialsError>) -> String {
        match result {
            Err(CredentialsError::Refresh { provider, reason }) => {
                assert_eq!(provider, "credential_uri");
                for secret in ["uri-secret", "uri-token", "query-secret"] {
                    assert!(!reason.contains(secret), "{reason}");
                }
                reason
            }
            other => panic!("expected a refresh error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn providers_uri_success() {
        let server = serve(200, CREDS).await;
        let provided = provider(&server).provide().await.unwrap();
        assert_eq!(provided.provider, "credential_uri");
        assert_eq!(provided.key.id, "STS.uri-id");
        assert_eq!(provided.key.secret.expose(), "uri-secret");
        assert_eq!(
            provided.key.security_token.as_ref().unwrap().expose(),
            "uri-token"
        );
        assert_eq!(
            provided.expiration,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445))
        );
    }

    #[tokio::test]
    async fn providers_uri_500_is_an_error_with_the_status() {
        let server = serve(500, CREDS).await;
        let reason = refresh_error(provider(&server).provide().await);
        assert_eq!(
            reason,
            format!(
                "error refreshing credentials from {}/creds,  http_code=500",
                server.uri()
            )
        );
    }

    #[tokio::test]
    async fn providers_uri_malformed_answers_are_errors() {
        let cases = [
            ("{\"AccessKeySecret\":\"uri-secret\"", "invalid JSON"),
            (
                r#"{"Code":"Failure","AccessKeyId":"i","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":"2030-01-02T03:04:05Z"}"#,
                "Code is 'Failure'",
            ),
            (
                r#"{"Code":"Success","AccessKeyId":"i","AccessKeySecret":"uri-secret","Expiration":"2030-01-02T03:04:05Z"}"#,
                "SecurityToken is missing",
            ),
            (
                r#"{"Code":"Success","AccessKeyId":"i","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":"tomorrow"}"#,
                "Expiration 'tomorrow' does not match",
            ),
        ];
        for (body, expected) in cases {
            let server = serve(200, body).await;
            let reason = refresh_error(provider(&server).provide().await);
            assert!(
                reason.starts_with(&format!(
                    "error retrieving credentials from {}/creds: ",
                    server.uri()
                )),
                "{reason}"
            );
            assert!(reason.contains(expected), "{reason}");
        }
    }

    #[tokio::test]
    async fn providers_uri_slow_and_invalid_uris_are_bounded_errors() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(CREDS)
                    .set_delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        let started = std::time::Instant::now();
        let reason = refresh_error(
            provider(&server)
                .read_timeout(Duration::from_millis(200))
                .provide()
                .await,
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(reason.contains("timed out"), "{reason}");

        let reason = refresh_error(CredentialsUri::new("localhost:8080/creds").provide().await);
        assert!(reason.contains("not an absolute http:// URI"), "{reason}");
    }

    #[test]
    fn providers_uri_name_policy_and_debug() {
        let provider =
            CredentialsUri::new("http://user:pw-secret@127.0.0.1:1/c?token=query-secret#f");
        assert_eq!(provider.name(), "credential_uri");
        assert_eq!(provider.refresh_policy(), RefreshPolicy::default());
        assert_eq!(provider.connect_timeout, Duration::from_secs(5));
        assert_eq!(provider.read_timeout, Duration::from_secs(10));
        let text = format!("{provider:?}");
        assert!(text.contains("http://127.0.0.1:1/c"), "{text}");
        assert!(
            !text.contains("pw-secret") && !text.contains("query-secret"),
            "{text}"
        );
    }
}
