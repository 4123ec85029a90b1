//! Helpers shared by the facade's integration tests: a client whose four APIs all point at
//! one wiremock server, with no retries and no rate limit unless a test says otherwise.

#![allow(dead_code)]

use snapshots::auth::{AccessKey, Environment};
use snapshots::{Client, ClientBuilder, RateLimiter, RetryConfig};
use wiremock::MockServer;

/// The path prefix of LangStudio's gateway form.
pub const GATEWAY_PATH: &str = "/api/PAILangStudio/2024-07-10";

/// An environment with nothing in it: no variables, no home directory.
pub fn empty_env() -> Environment {
    Environment::default()
}

/// A builder with credentials for every API, every base URL on `server`, no retries, no
/// rate limit and an empty environment.
pub fn builder(server: &MockServer) -> ClientBuilder {
    let uri = server.uri();
    Client::builder()
        .environment(empty_env())
        .access_key(AccessKey::new("LTAI-test-id", "test-secret-value"))
        .dashscope_api_key("sk-test-dashscope")
        .graph_olap_username("alice")
        .dsw_url(&uri)
        .langstudio_url(&uri)
        .langstudio_gateway_url(format!("{uri}{GATEWAY_PATH}"))
        .graph_olap_url(&uri)
        .retry(RetryConfig::disabled())
        .rate_limit(RateLimiter::unlimited())
}

/// [`builder`], built.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("valid configuration")
}
