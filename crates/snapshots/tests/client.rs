//! `snapshots::Client` against wiremock: per-API credentials from a given environment (never
//! the process's), the configured and default base URLs, the authentication each API sends,
//! one rate limiter for all clones and APIs, and no secret in any `Debug` output.

mod support;

use std::time::{Duration, Instant};

use pai_dsw::ClientInfo;
use serde_json::json;
use snapshots::auth::{AccessKey, CredentialsError, Environment};
use snapshots::{Client, Error, RateLimiter, RetryConfig, LANGSTUDIO_GATEWAY_URL};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A server that answers every request with a 404 Alibaba error (the body does not matter:
/// these tests look at what was sent).
async fn recording_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Code": "NotFound"})))
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.remove(0)
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn call_dsw(client: &Client) {
    let _ = client
        .dsw()
        .expect("dsw configured")
        .get_instance_snapshot()
        .instance_id("dsw-1")
        .snapshot_id("snp-1")
        .send()
        .await;
}

async fn call_langstudio(client: &Client) {
    let _ = client
        .langstudio()
        .expect("langstudio configured")
        .get_snapshot()
        .snapshot_id("snap-1")
        .workspace_id("478")
        .send()
        .await;
}

async fn call_gateway(client: &Client) {
    let _ = client
        .langstudio_gateway()
        .expect("gateway configured")
        .get_snapshot()
        .snapshot_id("snap 1")
        .workspace_id("478")
        .send()
        .await;
}

async fn call_graph_olap(client: &Client) {
    let _ = client
        .graph_olap()
        .expect("graph olap configured")
        .get_snapshot()
        .snapshot_id(7)
        .send()
        .await;
}

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_vars(vars.iter().copied()).without_home()
}

fn not_found_sources(error: Error) -> Vec<String> {
    match error {
        Error::Credentials(CredentialsError::NotFound { tried }) => tried,
        other => panic!("expected Credentials(NotFound), got {other:?}"),
    }
}

#[test]
fn from_env_never_fails_for_missing_credentials() {
    // Whatever this machine's environment holds, building succeeds; missing credentials only
    // show up at the accessor.
    let client = Client::from_env().expect("from_env builds");
    for result in [
        client.dsw().map(|_| ()),
        client.langstudio().map(|_| ()),
        client.langstudio_gateway().map(|_| ()),
        client.graph_olap().map(|_| ()),
    ] {
        if let Err(e) = result {
            assert!(
                matches!(e, Error::Credentials(_) | Error::Config(_)),
                "{e:?}"
            );
        }
    }
}

#[tokio::test]
async fn only_a_dashscope_key_gives_only_the_gateway() {
    let client = Client::builder()
        .environment(env(&[
            ("DASHSCOPE_API_KEY", "sk-from-env"),
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        ]))
        .build()
        .expect("partial credentials build");

    assert!(client.langstudio_gateway().is_ok());
    // DSW and LangStudio use the default chain, asked at the first call: it finds nothing
    // and says where it looked (nothing is sent).
    let tried = not_found_sources(client.alibaba_identity().await.unwrap_err());
    for source in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        "config.json",
        "credentials.ini",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
    ] {
        assert!(
            tried.iter().any(|t| t.contains(source)),
            "{source}: {tried:?}"
        );
    }
    // Graph OLAP: no URL is a configuration error, checked first.
    assert!(matches!(client.graph_olap().unwrap_err(), Error::Config(_)));
    // Asking twice gives the same answer.
    assert!(matches!(
        client.alibaba_identity().await.unwrap_err(),
        Error::Credentials(_)
    ));
}

#[test]
fn only_an_access_key_gives_dsw_and_langstudio() {
    let client = Client::builder()
        .environment(env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ]))
        .graph_olap_url("http://localhost:8080")
        .build()
        .expect("partial credentials build");

    assert!(client.dsw().is_ok());
    assert!(client.langstudio().is_ok());
    let tried = not_found_sources(client.langstudio_gateway().unwrap_err());
    assert!(
        tried.iter().any(|t| t.contains("DASHSCOPE_API_KEY")),
        "{tried:?}"
    );
    let tried = not_found_sources(client.graph_olap().unwrap_err());
    assert!(tried.iter().any(|t| t.contains("X-Username")), "{tried:?}");
}

#[test]
fn broken_credentials_are_reported_without_the_secret() {
    let client = Client::builder()
        .environment(env(&[]))
        .dashscope_api_key("sk-with\nnewline")
        .graph_olap_url("http://localhost:8080")
        .graph_olap_username("")
        .build()
        .expect("broken credentials do not fail the build");
    let error = client.langstudio_gateway().unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Credentials(CredentialsError::Malformed { .. })
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("sk-with"), "{error}");
    assert!(!format!("{error:?}").contains("sk-with"), "{error:?}");
    assert!(matches!(
        client.graph_olap().unwrap_err(),
        Error::Credentials(CredentialsError::Malformed { .. })
    ));
}

#[test]
fn invalid_configuration_fails_the_build() {
    for builder in [
        Client::builder().region("cn/hangzhou"),
        Client::builder().dsw_url("pai-dsw.example.com"),
        Client::builder().graph_olap_url("ftp://olap.example.com"),
        Client::builder().graph_olap_url("https://user:password@olap.example.com"),
    ] {
        let result = builder.environment(env(&[])).build();
        assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    }
}

#[test]
fn default_base_urls_follow_the_region() {
    let defaults = Client::builder()
        .environment(env(&[]))
        .access_key(AccessKey::new("id", "secret"))
        .dashscope_api_key("sk")
        .build()
        .unwrap();
    assert_eq!(defaults.region(), "cn-hangzhou");
    assert_eq!(
        defaults.dsw().unwrap().baseurl(),
        "https://pai-dsw.cn-hangzhou.aliyuncs.com"
    );
    assert_eq!(
        defaults.langstudio().unwrap().baseurl(),
        "https://pailangstudio.cn-hangzhou.aliyuncs.com"
    );
    assert_eq!(
        defaults.langstudio_gateway().unwrap().baseurl(),
        LANGSTUDIO_GATEWAY_URL
    );

    let shanghai = Client::builder()
        .environment(env(&[]))
        .access_key(AccessKey::new("id", "secret"))
        .region("cn-shanghai")
        .build()
        .unwrap();
    assert_eq!(
        shanghai.dsw().unwrap().baseurl(),
        "https://pai-dsw.cn-shanghai.aliyuncs.com"
    );
    assert_eq!(
        shanghai.langstudio().unwrap().baseurl(),
        "https://pailangstudio.cn-shanghai.aliyuncs.com"
    );
}

#[tokio::test]
async fn each_accessor_uses_its_configured_base_url_and_authentication() {
    let (dsw, roa, gateway, olap) = (
        recording_server().await,
        recording_server().await,
        recording_server().await,
        recording_server().await,
    );
    let client = Client::builder()
        .environment(env(&[]))
        .access_key(AccessKey::new("LTAI-test-id", "test-secret-value"))
        .dashscope_api_key("sk-test-dashscope")
        .graph_olap_username("alice")
        .dsw_url(dsw.uri())
        .langstudio_url(format!("{}/", roa.uri()))
        .langstudio_gateway_url(format!("{}{}", gateway.uri(), support::GATEWAY_PATH))
        .graph_olap_url(olap.uri())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();

    call_dsw(&client).await;
    let request = only_request(&dsw).await;
    assert_eq!(
        request.url.path(),
        "/api/v2/instances/dsw-1/snapshots/snp-1"
    );
    let authorization = header(&request, "authorization").expect("signed");
    assert!(
        authorization.starts_with("ACS3-HMAC-SHA256 Credential=LTAI-test-id,"),
        "{authorization}"
    );
    assert_eq!(
        header(&request, "x-acs-action"),
        Some("GetInstanceSnapshot")
    );

    call_langstudio(&client).await;
    let request = only_request(&roa).await;
    assert_eq!(request.url.path(), "/api/v1/langstudio/snapshots/snap-1");
    assert!(header(&request, "authorization")
        .unwrap()
        .starts_with("ACS3-HMAC-SHA256 "));

    call_gateway(&client).await;
    let request = only_request(&gateway).await;
    // The gateway profile: the same operation, at `{gateway}/GetSnapshot`, its path
    // parameter first in the query.
    assert_eq!(
        request.url.path(),
        format!("{}/GetSnapshot", support::GATEWAY_PATH)
    );
    assert_eq!(
        request.url.query(),
        Some("SnapshotId=snap+1&WorkspaceId=478")
    );
    assert_eq!(
        header(&request, "authorization"),
        Some("Bearer sk-test-dashscope")
    );

    call_graph_olap(&client).await;
    let request = only_request(&olap).await;
    assert_eq!(request.url.path(), "/api/snapshots/7");
    assert_eq!(header(&request, "x-username"), Some("alice"));
    assert_eq!(header(&request, "authorization"), None);
}

#[tokio::test]
async fn bearer_tokens_replace_signatures_and_usernames() {
    let server = recording_server().await;
    let client = Client::builder()
        .environment(env(&[]))
        .alibaba_bearer_token("acs-bearer-token")
        .graph_olap_token("olap-token")
        .graph_olap_username("ignored-when-a-token-is-set")
        .dsw_url(server.uri())
        .graph_olap_url(server.uri())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();

    call_dsw(&client).await;
    let request = only_request(&server).await;
    assert_eq!(
        header(&request, "x-acs-bearer-token"),
        Some("acs-bearer-token")
    );
    assert_eq!(
        header(&request, "x-acs-signature-type"),
        Some("BEARERTOKEN")
    );
    server.reset().await;

    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not Found"})))
        .mount(&server)
        .await;
    call_graph_olap(&client).await;
    let request = only_request(&server).await;
    assert_eq!(header(&request, "authorization"), Some("Bearer olap-token"));
    assert_eq!(header(&request, "x-username"), None);
}

#[test]
fn an_explicit_access_key_wins_over_the_environment_and_a_bearer_token() {
    let client = Client::builder()
        .environment(env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ]))
        .alibaba_bearer_token("bearer")
        .access_key(AccessKey::new("LTAI-explicit", "explicit-secret"))
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("LTAI-explicit"), "{shown}");
    assert!(!shown.contains("LTAI-env"), "{shown}");
}

#[test]
fn debug_output_never_shows_a_secret() {
    let secrets = [
        "ak-secret-value-1",
        "sts-token-value-2",
        "acs-bearer-value-3",
        "sk-dashscope-value-4",
        "olap-token-value-5",
        "env-secret-value-6",
    ];
    let builder = Client::builder()
        .environment(env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secrets[5]),
        ]))
        .access_key(AccessKey::new("LTAI-shown", secrets[0]).with_security_token(secrets[1]))
        .alibaba_bearer_token(secrets[2])
        .dashscope_api_key(secrets[3])
        .graph_olap_token(secrets[4])
        .graph_olap_url("https://olap.example.com");
    let client = builder.clone().build().unwrap();
    let without_key = Client::builder()
        .environment(env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secrets[5]),
            ("DASHSCOPE_API_KEY", secrets[3]),
        ]))
        .build()
        .unwrap();
    for text in [
        format!("{builder:?}"),
        format!("{builder:#?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{without_key:#?}"),
        format!("{:?}", client.dsw().unwrap()),
        format!("{:?}", client.graph_olap().unwrap()),
    ] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
    }
    let shown = format!("{client:?}");
    assert!(shown.contains("LTAI-shown"), "{shown}");
    assert!(shown.contains("connect_timeout: 5s"), "{shown}");
    assert!(shown.contains("read_timeout: 10s"), "{shown}");
}

#[test]
fn clones_share_one_rate_limiter() {
    let client = Client::builder()
        .environment(env(&[]))
        .rate_limit(RateLimiter::per_second(3))
        .build()
        .unwrap();
    let clone = client.clone();
    assert!(std::ptr::eq(client.rate_limiter(), clone.rate_limiter()));
    assert_eq!(clone.rate_limiter().requests_per_second(), Some(3));

    let other = Client::builder().environment(env(&[])).build().unwrap();
    assert!(!std::ptr::eq(client.rate_limiter(), other.rate_limiter()));
    assert_eq!(other.rate_limiter().requests_per_second(), Some(10));
}

#[tokio::test]
async fn the_limit_spans_clones_and_apis() {
    let server = recording_server().await;
    let client = support::builder(&server)
        .rate_limit(RateLimiter::per_second(5))
        .build()
        .unwrap();
    let clone = client.clone();

    let started = Instant::now();
    call_dsw(&client).await;
    call_graph_olap(&clone).await;
    call_gateway(&client).await;
    call_langstudio(&clone).await;
    // Four requests at 5 per second, burst 1: three intervals of 200 ms at least.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(590), "{elapsed:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}
