//! Shared set-up of the emulator's loopback tests: a running emulator and the generated
//! clients pointed at it, authenticated as the real SDKs do.

#![allow(dead_code)]

use snapshot_emulator::{start, EmulatorConfig, RunningEmulator, Timing};
use snapshots_runtime::auth::{AccessKey, Secret};
use snapshots_runtime::{Credentials, RateLimiter, RetryConfig, Runtime};

pub const INSTANCE: &str = "dsw-demo0000000001";
pub const WORKSPACE: &str = "ws-demo0000000001";

/// An emulator on a free loopback port.
pub async fn emulator(timing: Timing) -> RunningEmulator {
    let config = EmulatorConfig {
        timing,
        ..EmulatorConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the emulator starts")
}

/// No retries, no rate limit: each call is exactly one request.
pub fn runtime(credentials: Credentials) -> Runtime {
    Runtime::builder()
        .credentials(credentials)
        .retry(RetryConfig::disabled())
        .rate_limit(RateLimiter::unlimited())
        .build()
}

pub fn access_key(emulator: &RunningEmulator) -> Credentials {
    let creds = &emulator.config().credentials;
    Credentials::AccessKey(AccessKey::new(
        creds.access_key_id.clone(),
        creds.access_key_secret.clone(),
    ))
}

pub fn alibaba_bearer(emulator: &RunningEmulator) -> Credentials {
    Credentials::AlibabaBearer(Secret::new(
        emulator.config().credentials.alibaba_bearer_token.clone(),
    ))
}

pub fn dashscope(emulator: &RunningEmulator) -> Credentials {
    Credentials::Bearer(Secret::new(
        emulator.config().credentials.dashscope_api_key.clone(),
    ))
}

/// The HTTP client of the tests: no redirects (as the SDK's), and idle pooled connections
/// closed after 2 s, before the emulator's 10 s header-read timeout closes them: a client
/// that kept them longer could reuse one just as the server closes it, and, with more
/// connections open than the emulator's cap, would keep slots from waiting clients.
pub fn http() -> reqwest::Client {
    snapshots_runtime::http_client_builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

pub fn dsw_with(emulator: &RunningEmulator, runtime: Runtime) -> pai_dsw::Client {
    pai_dsw::Client::new_with_client(&emulator.dsw_url(), http(), runtime)
}

pub fn dsw(emulator: &RunningEmulator) -> pai_dsw::Client {
    dsw_with(emulator, runtime(access_key(emulator)))
}

pub fn langstudio_with(emulator: &RunningEmulator, runtime: Runtime) -> pai_langstudio::Client {
    pai_langstudio::Client::new_with_client(&emulator.langstudio_url(), http(), runtime)
}

pub fn langstudio(emulator: &RunningEmulator) -> pai_langstudio::Client {
    langstudio_with(emulator, runtime(access_key(emulator)))
}

/// A LangStudio client on the gateway profile: the action-path transport, the DashScope key.
pub fn gateway_with(
    emulator: &RunningEmulator,
    credentials: Credentials,
) -> pai_langstudio::Client {
    let runtime = Runtime::builder()
        .credentials(credentials)
        .retry(RetryConfig::disabled())
        .rate_limit(RateLimiter::unlimited())
        .transport(snapshots_runtime::Transport::ActionPath)
        .build();
    pai_langstudio::Client::new_with_client(&emulator.langstudio_gateway_url(), http(), runtime)
}

pub fn gateway(emulator: &RunningEmulator) -> pai_langstudio::Client {
    gateway_with(emulator, dashscope(emulator))
}

/// A DSW create body (progenitor's builder: the generated types are `#[non_exhaustive]`).
pub fn dsw_body(name: &str) -> pai_dsw::types::builder::CreateInstanceSnapshotRequest {
    pai_dsw::types::CreateInstanceSnapshotRequest::builder()
        .snapshot_name(
            name.parse::<pai_dsw::types::SnapshotName>()
                .expect("a valid DSW name"),
        )
        .image_url(format!("registry.example/ns/env:{name}"))
}

/// A LangStudio create body for a flow.
pub fn langstudio_body(name: &str) -> pai_langstudio::types::builder::CreateSnapshotRequest {
    pai_langstudio::types::CreateSnapshotRequest::builder()
        .snapshot_name(Some(
            name.parse::<pai_langstudio::types::SnapshotName>()
                .expect("a valid LangStudio name"),
        ))
        .snapshot_resource_id(Some("flow-demo1".to_owned()))
}

/// The Alibaba error body and status of a failed call.
pub fn dsw_error<T: std::fmt::Debug>(
    result: Result<T, pai_dsw::Error<pai_dsw::types::AlibabaError>>,
) -> (u16, pai_dsw::types::AlibabaError) {
    match result {
        Err(pai_dsw::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// The Alibaba error body and status of a failed LangStudio call.
pub fn langstudio_error<T: std::fmt::Debug>(
    result: Result<T, pai_langstudio::Error<pai_langstudio::types::AlibabaError>>,
) -> (u16, pai_langstudio::types::AlibabaError) {
    match result {
        Err(pai_langstudio::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}
