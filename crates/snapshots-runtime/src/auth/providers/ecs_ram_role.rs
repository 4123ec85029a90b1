//! [`EcsRamRole`]: the STS credentials of the RAM role attached to an ECS instance (or a
//! PAI DSW/DLC instance), from the instance metadata service, exactly as the official
//! `alibabacloud-credentials` 1.0.12 `EcsRamRoleCredentialsProvider` (`ecs_ram_role.py`)
//! fetches them.
//!
//! One refresh:
//!
//! 1. without a role name: `PUT {endpoint}/latest/api/token` with
//!    `X-aliyun-ecs-metadata-token-ttl-seconds: 21600` (IMDSv2); then
//!    `GET {endpoint}/latest/meta-data/ram/security-credentials/` with
//!    `X-aliyun-ecs-metadata-token: <token>`, whose body is the role name; if that GET fails
//!    and a token was used, it is tried once more without the token (IMDSv1);
//! 2. `PUT .../latest/api/token` again (the library fetches a token for each step), then
//!    `GET .../latest/meta-data/ram/security-credentials/<role>` with the token header; the
//!    answer is `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken",
//!    "Expiration": "%Y-%m-%dT%H:%M:%SZ", ...}`; if that fails in any way (status, JSON,
//!    `Code`) and a token was used, it is tried once more without the token.
//!
//! When a token `PUT` fails (any status but 200, or no answer), the step goes on without a
//! token (IMDSv1) unless [`EcsRamRole::imdsv1_disabled`], in which case the refresh fails
//! with the library's `Failed to get token from ECS Metadata Service. HttpCode=<status>`.
//! A refresh is thus 4 requests with role discovery, 2 with a role name (more after
//! fallbacks). Timeouts are the library's: 1 s to connect, 1 s per read.
//!
//! Error texts are the library's (`Failed to get RAM session credentials from ECS metadata
//! service. HttpCode=<status>`, ...), as the `reason` of [`CredentialsError::Refresh`].
//!
//! Deviations from the library, all deliberate:
//! - no environment is read here (`ALIBABA_CLOUD_ECS_METADATA`,
//!   `ALIBABA_CLOUD_IMDSV1_DISABLED`, `ALIBABA_CLOUD_ECS_METADATA_DISABLED`): the chain reads
//!   them and passes [`EcsRamRole::role_name`] and [`EcsRamRole::imdsv1_disabled`];
//! - the discovered role name is trimmed of surrounding whitespace, and an empty one is an
//!   error (the library would request `.../security-credentials/` again); an empty
//!   configured role name means discovery, as in the library's synchronous path;
//! - a `Success` answer missing `AccessKeyId`, `AccessKeySecret` or `SecurityToken` is an
//!   error (the library would build credentials holding `None`);
//! - proxies from the environment are ignored (the metadata service is link-local), bodies
//!   are read up to 64 KiB, and no body is ever quoted in an error;
//! - the token TTL is settable ([`EcsRamRole::metadata_token_ttl`]; the library's is a fixed
//!   21600 s), and so are the timeouts.

use super::sts_http::{self, StsProblem};
use crate::auth::provider::{
    ProvideCredentials, ProvidedCredentials, ProviderFuture, RefreshPolicy,
};
use crate::auth::CredentialsError;
use std::time::Duration;

const NAME: &str = "ecs_ram_role";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_PATH: &str = "/latest/api/token";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
const FETCH_ERROR: &str = "Failed to get RAM session credentials from ECS metadata service.";
const TOKEN_ERROR: &str = "Failed to get token from ECS Metadata Service.";

/// The instance's RAM role credentials from the ECS metadata service (`ecs_ram_role`).
///
/// ```
/// use snapshots_runtime::auth::providers::EcsRamRole;
/// use snapshots_runtime::auth::CredentialsCache;
///
/// let provider = EcsRamRole::new().role_name(Some("my-role".into())).imdsv1_disabled(true);
/// let cache = CredentialsCache::new(provider);
/// # let _ = cache;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsRamRole {
    role_name: Option<String>,
    imdsv1_disabled: bool,
    endpoint: String,
    token_ttl: Duration,
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl Default for EcsRamRole {
    fn default() -> Self {
        Self::new()
    }
}

impl EcsRamRole {
    /// The library's defaults: the role discovered, IMDSv1 allowed as a fallback,
    /// `http://100.100.100.200`, tokens of 21600 s, 1 s connect and read timeouts.
    pub fn new() -> Self {
        Self {
            role_name: None,
            imdsv1_disabled: false,
            endpoint: "http://100.100.100.200".to_owned(),
            token_ttl: Duration::from_secs(21600),
            connect_timeout: Duration::from_millis(1000),
            read_timeout: Duration::from_millis(1000),
        }
    }

    /// The RAM role; `None` (or empty): discovered from
    /// `GET /latest/meta-data/ram/security-credentials/` at each refresh.
    #[must_use]
    pub fn role_name(mut self, role_name: Option<String>) -> Self {
        self.role_name = role_name;
        self
    }

    /// Whether IMDSv1 (requests without a metadata token) is forbidden (default `false`):
    /// when set, a failed token request fails the refresh.
    #[must_use]
    pub fn imdsv1_disabled(mut self, disabled: bool) -> Self {
        self.imdsv1_disabled = disabled;
        self
    }

    /// The metadata service's base URL (default `http://100.100.100.200`); the paths
    /// `/latest/...` are appended to it.
    #[must_use]
    pub fn metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into().trim_end_matches('/').to_owned();
        self
    }

    /// The TTL asked for each metadata token (default 21600 s, whole seconds are sent).
    #[must_use]
    pub fn metadata_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// The connect timeout of each request (default 1 s, the library's).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The read timeout of each request (default 1 s, the library's).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    async fn fetch(&self) -> Result<ProvidedCredentials, String> {
        let client = sts_http::client(self.connect_timeout, self.read_timeout, true)?;
        let role = match self.role_name.as_deref().filter(|r| !r.is_empty()) {
            Some(role) => role.to_owned(),
            None => {
                let token = self.metadata_token(&client).await?;
                match self.discover_role(&client, token.as_deref()).await {
                    Err(error) if token.is_some() && !self.imdsv1_disabled => {
                        tracing::debug!(%error, "ECS RAM role discovery with a metadata token failed; retrying with IMDSv1");
                        self.discover_role(&client, None).await?
                    }
                    other => other?,
                }
            }
        };
        let token = self.metadata_token(&client).await?;
        match self.credentials(&client, &role, token.as_deref()).await {
            Err(error) if token.is_some() && !self.imdsv1_disabled => {
                tracing::debug!(%error, "ECS RAM role credentials with a metadata token failed; retrying with IMDSv1");
                self.credentials(&client, &role, None).await
            }
            other => other,
        }
    }

    /// A metadata token; `None` when none could be had and IMDSv1 is allowed.
    async fn metadata_token(&self, client: &reqwest::Client) -> Result<Option<String>, String> {
        let request = client
            .put(format!("{}{TOKEN_PATH}", self.endpoint))
            .header(TOKEN_TTL_HEADER, self.token_ttl.as_secs().to_string());
        let result = match sts_http::send(request).await {
            Ok(reply) if reply.status == 200 => String::from_utf8(reply.body)
                .map_err(|_| format!("{TOKEN_ERROR} The token is not UTF-8")),
            Ok(reply) => Err(format!("{TOKEN_ERROR} HttpCode={}", reply.status)),
            Err(error) => Err(format!("{TOKEN_ERROR} {error}")),
        };
        match result {
            Ok(token) => Ok(Some(token)),
            Err(error) if self.imdsv1_disabled => Err(error),
            Err(error) => {
                tracing::debug!(%error, "no ECS metadata token; using IMDSv1");
                Ok(None)
            }
        }
    }

    /// `GET` with the token header when there is a token.
    async fn get(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: Option<&str>,
    ) -> Result<Vec<u8>, String> {
        let mut request = client.get(format!("{}{path}", self.endpoint));
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let reply = sts_http::send(request)
            .await
            .map_err(|e| format!("{FETCH_ERROR} {e}"))?;
        if reply.status != 200 {
            return Err(format!("{FETCH_ERROR} HttpCode={}", reply.status));
        }
        Ok(reply.body)
    }

    async fn discover_role(
        &self,
        client: &reqwest::Client,
        token: Option<&str>,
    ) -> Result<String, String> {
        let body = self.get(client, CREDENTIALS_PATH, token).await?;
        let role = String::from_utf8(body)
            .map_err(|_| format!("{FETCH_ERROR} The role name is not UTF-8"))?;
        let role = role.trim();
        if role.is_empty() {
            return Err(format!(
                "{FETCH_ERROR} No RAM role is attached to the instance (empty role name)"
            ));
        }
        Ok(role.to_owned())
    }

    async fn credentials(
        &self,
        client: &reqwest::Client,
        role: &str,
        token: Option<&str>,
    ) -> Result<ProvidedCredentials, String> {
        let body = self
            .get(client, &format!("{CREDENTIALS_PATH}{role}"), token)
            .await?;
        match sts_http::parse_sts(&body) {
            Ok((key, expiration)) => Ok(ProvidedCredentials::new(key, Some(expiration), NAME)),
            // The library's text, exactly.
            Err(StsProblem::Code(_)) => Err(FETCH_ERROR.to_owned()),
            Err(problem) => Err(format!("{FETCH_ERROR} {problem}")),
        }
    }
}

impl ProvideCredentials for EcsRamRole {
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

    fn refresh_policy(&self) -> RefreshPolicy {
        RefreshPolicy::ecs_ram_role()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;
    use wiremock::matchers::{header, header_exists, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    const CREDS: &str = r#"{"AccessKeyId":"STS.imds-id","AccessKeySecret":"imds-secret","Expiration":"2030-01-02T03:04:05Z","SecurityToken":"imds-token","LastUpdated":"2029-01-01T00:00:00Z","Code":"Success"}"#;
    const ROLE: &str = "/imds/latest/meta-data/ram/security-credentials/";
    const CREDS_PATH: &str = "/imds/latest/meta-data/ram/security-credentials/my-role";
    const TOKEN: &str = "/imds/latest/api/token";

    fn provider(server: &MockServer) -> EcsRamRole {
        EcsRamRole::new()
            .metadata_endpoint(format!("{}/imds/", server.uri()))
            .connect_timeout(Duration::from_millis(500))
            .read_timeout(Duration::from_millis(500))
    }

    fn has_token(request: &Request) -> bool {
        request.headers.contains_key(TOKEN_HEADER)
    }

    async fn requests(server: &MockServer) -> Vec<(String, String, bool)> {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| (r.method.to_string(), r.url.path().to_owned(), has_token(r)))
            .collect()
    }

    fn refresh_error(result: Result<ProvidedCredentials, CredentialsError>) -> String {
        match result {
            Err(CredentialsError::Refresh { provider, reason }) => {
                assert_eq!(provider, "ecs_ram_role");
                assert!(
                    !reason.contains("imds-secret") && !reason.contains("imds-token"),
                    "{reason}"
                );
                reason
            }
            other => panic!("expected a refresh error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn providers_ecs_v2_flow_with_discovery() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .and(header(TOKEN_TTL_HEADER, "21600"))
            .respond_with(ResponseTemplate::new(200).set_body_string("tok-v2"))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(ROLE))
            .and(header(TOKEN_HEADER, "tok-v2"))
            .respond_with(ResponseTemplate::new(200).set_body_string("my-role"))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .and(header(TOKEN_HEADER, "tok-v2"))
            .respond_with(ResponseTemplate::new(200).set_body_string(CREDS))
            .expect(1)
            .mount(&server)
            .await;
        let provided = provider(&server).provide().await.unwrap();
        assert_eq!(provided.provider, "ecs_ram_role");
        assert_eq!(provided.key.id, "STS.imds-id");
        assert_eq!(provided.key.secret.expose(), "imds-secret");
        assert_eq!(
            provided.key.security_token.as_ref().unwrap().expose(),
            "imds-token"
        );
        assert_eq!(
            provided.expiration,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_553_445))
        );
        // Exactly the library's 4 requests, in its order.
        assert_eq!(
            requests(&server).await,
            vec![
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), ROLE.into(), true),
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), CREDS_PATH.into(), true),
            ]
        );
    }

    #[tokio::test]
    async fn providers_ecs_explicit_role_skips_discovery_and_ttl_is_sent() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .and(header(TOKEN_TTL_HEADER, "60"))
            .respond_with(ResponseTemplate::new(200).set_body_string("tok"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .and(header(TOKEN_HEADER, "tok"))
            .respond_with(ResponseTemplate::new(200).set_body_string(CREDS))
            .mount(&server)
            .await;
        let provider = provider(&server)
            .role_name(Some("my-role".into()))
            .metadata_token_ttl(Duration::from_secs(60));
        provider.provide().await.unwrap();
        assert_eq!(
            requests(&server).await,
            vec![
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), CREDS_PATH.into(), true),
            ]
        );
        // Each refresh asks again, token included (no caching in the provider).
        provider.provide().await.unwrap();
        assert_eq!(requests(&server).await.len(), 4);
    }

    async fn v1_fallback(token_reply: ResponseTemplate) {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .respond_with(token_reply)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(ROLE))
            .respond_with(ResponseTemplate::new(200).set_body_string("my-role\n"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string(CREDS))
            .mount(&server)
            .await;
        let provided = provider(&server).provide().await.unwrap();
        assert_eq!(provided.key.id, "STS.imds-id");
        assert_eq!(
            requests(&server).await,
            vec![
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), ROLE.into(), false),
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), CREDS_PATH.into(), false),
            ]
        );
    }

    #[tokio::test]
    async fn providers_ecs_v1_fallback_on_403() {
        v1_fallback(ResponseTemplate::new(403)).await;
    }

    #[tokio::test]
    async fn providers_ecs_v1_fallback_on_404() {
        v1_fallback(ResponseTemplate::new(404)).await;
    }

    #[tokio::test]
    async fn providers_ecs_v1_fallback_on_token_timeout() {
        v1_fallback(ResponseTemplate::new(200).set_delay(Duration::from_secs(3))).await;
    }

    #[tokio::test]
    async fn providers_ecs_v1_disabled_fails_with_the_library_message() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .respond_with(ResponseTemplate::new(403))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(CREDS))
            .expect(0)
            .mount(&server)
            .await;
        let provider = provider(&server).imdsv1_disabled(true);
        let reason = refresh_error(provider.provide().await);
        assert_eq!(
            reason,
            "Failed to get token from ECS Metadata Service. HttpCode=403"
        );
        let reason = refresh_error(provider.role_name(Some("my-role".into())).provide().await);
        assert_eq!(
            reason,
            "Failed to get token from ECS Metadata Service. HttpCode=403"
        );
        assert_eq!(requests(&server).await.len(), 2);
    }

    #[tokio::test]
    async fn providers_ecs_token_then_failed_get_retries_once_without_token() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_string("tok"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .and(header_exists(TOKEN_HEADER))
            .respond_with(ResponseTemplate::new(401))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string(CREDS))
            .mount(&server)
            .await;
        let provider = provider(&server).role_name(Some("my-role".into()));
        provider.provide().await.unwrap();
        assert_eq!(
            requests(&server).await,
            vec![
                ("PUT".into(), TOKEN.into(), false),
                ("GET".into(), CREDS_PATH.into(), true),
                ("GET".into(), CREDS_PATH.into(), false),
            ]
        );
        // With IMDSv1 disabled there is no retry without the token.
        let before = requests(&server).await.len();
        let reason = refresh_error(provider.imdsv1_disabled(true).provide().await);
        assert_eq!(reason, format!("{FETCH_ERROR} HttpCode=401"));
        assert_eq!(requests(&server).await.len(), before + 2);
    }

    async fn failing_credentials(body: &'static str, status: u16) -> (String, usize) {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_string("tok"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CREDS_PATH))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&server)
            .await;
        let provider = provider(&server).role_name(Some("my-role".into()));
        let reason = refresh_error(provider.provide().await);
        (reason, requests(&server).await.len())
    }

    #[tokio::test]
    async fn providers_ecs_code_not_success_is_an_error() {
        let (reason, count) = failing_credentials(
            r#"{"Code":"Failure","AccessKeyId":"STS.imds-id","AccessKeySecret":"imds-secret","SecurityToken":"imds-token","Expiration":"2030-01-02T03:04:05Z"}"#,
            200,
        )
        .await;
        assert_eq!(
            reason,
            "Failed to get RAM session credentials from ECS metadata service."
        );
        // PUT, GET with the token, GET again without it (the library's fallback).
        assert_eq!(count, 3);
    }

    #[tokio::test]
    async fn providers_ecs_malformed_json_is_an_error() {
        let (reason, count) =
            failing_credentials(r#"{"AccessKeySecret":"imds-secret", "#, 200).await;
        assert!(
            reason.starts_with(
                "Failed to get RAM session credentials from ECS metadata service. invalid JSON"
            ),
            "{reason}"
        );
        assert_eq!(count, 3);
    }

    #[tokio::test]
    async fn providers_ecs_http_error_carries_the_status() {
        let (reason, _) = failing_credentials("imds-secret", 500).await;
        assert_eq!(
            reason,
            "Failed to get RAM session credentials from ECS metadata service. HttpCode=500"
        );
    }

    #[tokio::test]
    async fn providers_ecs_slow_metadata_is_a_bounded_error() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string("tok")
                    .set_delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(CREDS)
                    .set_delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        let provider = provider(&server)
            .read_timeout(Duration::from_millis(200))
            .role_name(Some("my-role".into()));
        let started = std::time::Instant::now();
        let reason = refresh_error(provider.provide().await);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(reason.starts_with(FETCH_ERROR), "{reason}");
        assert!(reason.contains("timed out"), "{reason}");
    }

    #[tokio::test]
    async fn providers_ecs_unreachable_is_a_bounded_error() {
        // A port that was just free: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let provider = EcsRamRole::new()
            .metadata_endpoint(format!("http://127.0.0.1:{port}"))
            .role_name(Some("r".into()));
        let reason = refresh_error(provider.provide().await);
        assert!(reason.starts_with(FETCH_ERROR), "{reason}");
    }

    #[test]
    fn providers_ecs_defaults_name_policy_and_debug() {
        let provider = EcsRamRole::new();
        assert_eq!(provider.name(), "ecs_ram_role");
        assert_eq!(provider.refresh_policy(), RefreshPolicy::ecs_ram_role());
        assert_eq!(provider.endpoint, "http://100.100.100.200");
        assert_eq!(provider.token_ttl, Duration::from_secs(21600));
        assert_eq!(provider.connect_timeout, Duration::from_secs(1));
        assert_eq!(provider.read_timeout, Duration::from_secs(1));
        assert!(!provider.imdsv1_disabled);
        let text = format!("{:?}", provider.role_name(Some("my-role".into())));
        assert!(text.contains("my-role"), "{text}");
    }
}
