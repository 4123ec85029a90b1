//! [`Runtime`]: the inner value of every generated client, and [`Runtime::execute`], the one
//! function every request of every operation goes through.
//!
//! One call is: wait for the rate limiter, authenticate a fresh copy of the request (a new
//! `x-acs-date` and nonce on every attempt), send it, classify the result and either return
//! it or sleep and try again, as [`crate::retry`] decides. A `tracing` span per call records
//! the operation, the attempt count, the final status and the request id; no secret is ever
//! recorded.

use crate::auth::{acs3, Credentials};
use crate::operation::Operation;
use crate::rate_limit::RateLimiter;
use crate::retry::{self, AttemptOutcome, Decision, RetryBudget, RetryConfig};
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;
use tracing::Instrument;

/// How the runtime authenticates, rate-limits and retries the requests of one client.
///
/// Cheap to clone: clones share the rate limiter and the retry budget.
///
/// ```
/// use snapshots_runtime::{Runtime, RateLimiter, RetryConfig, Credentials};
/// let runtime = Runtime::builder()
///     .credentials(Credentials::Header { name: "X-Username".into(), value: "alice".into() })
///     .retry(RetryConfig::default())
///     .rate_limit(RateLimiter::per_second(10))
///     .build();
/// let clone = runtime.clone(); // shares the limiter and the budget
/// # let _ = clone;
/// ```
#[derive(Debug, Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    credentials: Credentials,
    retry: RetryConfig,
    budget: RetryBudget,
    limiter: RateLimiter,
}

/// Builds a [`Runtime`]; every knob has a default from the seeds.
#[derive(Debug, Clone)]
pub struct RuntimeBuilder {
    credentials: Credentials,
    retry: RetryConfig,
    limiter: RateLimiter,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        Self {
            credentials: Credentials::Anonymous,
            retry: RetryConfig::default(),
            limiter: RateLimiter::per_second(10),
        }
    }
}

impl RuntimeBuilder {
    /// How requests are authenticated (default: not at all).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// The retry policy (default: [`RetryConfig::default`], seed 000's 1 s / 2 s / 4 s).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The client-side rate limit (default: 10 requests per second, seed 000).
    pub fn rate_limit(mut self, limiter: RateLimiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// The runtime.
    pub fn build(self) -> Runtime {
        let budget = RetryBudget::new(self.retry.budget);
        Runtime {
            shared: Arc::new(Shared {
                credentials: self.credentials,
                retry: self.retry,
                budget,
                limiter: self.limiter,
            }),
        }
    }
}

impl Runtime {
    /// A builder with the defaults.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// No authentication, no retries, no rate limit, no total time limit: the request goes
    /// out as built (with the `reqwest::Client`'s own timeout, if it has one). For tests and
    /// for callers who bring their own middleware.
    ///
    /// ```
    /// use snapshots_runtime::Runtime;
    /// let runtime = Runtime::passthrough();
    /// assert_eq!(runtime.retry_config().max_attempts, 1);
    /// assert_eq!(runtime.retry_config().total_timeout, None);
    /// ```
    pub fn passthrough() -> Self {
        Self::builder()
            .retry(RetryConfig::disabled().with_total_timeout(None))
            .rate_limit(RateLimiter::unlimited())
            .build()
    }

    /// The credentials requests are authenticated with.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.shared.retry
    }

    /// The retry budget shared by the clones of this runtime.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.shared.budget
    }

    /// Sends `request` for `operation` of the API at `version`, with rate limiting,
    /// authentication and retries. Called by the generated clients' `ClientHooks::exec`.
    ///
    /// (A plain function returning the future, rather than an `async fn`, so that the
    /// request is not kept twice in the future's state: once as an argument, once inside
    /// the instrumented call.)
    pub fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
        version: &'a str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        let span = tracing::info_span!(
            "snapshot_call",
            operation = operation.id,
            method = %request.method(),
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.execute_in_span(client, Some(request), operation, version)
            .instrument(span)
    }

    /// The attempts of one call. `original` is always `Some` on entry (an `Option` so that
    /// the request lives in one place in the future's state, moved out for the last attempt).
    async fn execute_in_span(
        &self,
        client: &reqwest::Client,
        mut original: Option<reqwest::Request>,
        operation: Operation,
        version: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let shared = &self.shared;
        let started = tokio::time::Instant::now();
        let mut attempt: u32 = 1;
        loop {
            // The rare waits (a rate-limit slot, a retry delay, an error body) are boxed so
            // that the state of this future, moved on every call, stays small.
            if let Some(ready_at) = shared.limiter.reserve() {
                Box::pin(tokio::time::sleep_until(ready_at)).await;
            }
            let request = self.prepare_attempt(&mut original, attempt, started, operation, version);
            let method = request.method().clone();
            let (result, code) = match client.execute(request).await {
                Ok(response) if response.status().as_u16() >= 400 => {
                    let (response, code) = Box::pin(buffer_error(response)).await?;
                    (Ok(response), code)
                }
                other => (other, None),
            };
            let outcome = match &result {
                Ok(response) => AttemptOutcome::Response {
                    status: response.status().as_u16(),
                    headers: response.headers(),
                    service_code: code.as_deref(),
                },
                Err(e) if e.is_connect() => AttemptOutcome::ConnectError,
                Err(e) if e.is_timeout() => AttemptOutcome::Timeout,
                Err(_) => AttemptOutcome::OtherTransportError,
            };
            let decision = retry::decide(
                &shared.retry,
                &method,
                attempt,
                outcome,
                &shared.budget,
                started.elapsed(),
                rand::random::<f64>(),
                SystemTime::now(),
            );
            let retry_in = match decision {
                Decision::RetryAfter(delay) if original.is_some() => Some(delay),
                _ => None,
            };
            let Some(delay) = retry_in else {
                record(&result, attempt);
                return result;
            };
            tracing::info!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                code = code.as_deref(),
                "retrying"
            );
            drop(result);
            Box::pin(tokio::time::sleep(delay)).await;
            attempt += 1;
        }
    }

    /// The request for attempt number `attempt`, authenticated and bounded by what is left
    /// of the call's total time.
    ///
    /// The original stays in `original` for the next attempt when there can be one and its
    /// body can be cloned, and this attempt sends a copy; otherwise (the last attempt, or a
    /// streaming body, which gets exactly one attempt) the original itself is sent. With
    /// retries disabled no request is ever copied.
    fn prepare_attempt(
        &self,
        original: &mut Option<reqwest::Request>,
        attempt: u32,
        started: tokio::time::Instant,
        operation: Operation,
        version: &str,
    ) -> reqwest::Request {
        let shared = &self.shared;
        let template = original.take().expect("a request for every attempt");
        let copy = if attempt < shared.retry.max_attempts {
            template.try_clone()
        } else {
            None
        };
        let mut request = match copy {
            Some(copy) => {
                *original = Some(template);
                copy
            }
            None => template,
        };
        self.authenticate(&mut request, operation, version);
        // The call's total time limit bounds each attempt: reqwest then reports a timeout of
        // its own when the limit is reached mid-attempt.
        if let Some(total) = shared.retry.total_timeout {
            let remaining = total
                .saturating_sub(started.elapsed())
                .max(std::time::Duration::from_millis(1));
            let per_attempt = request
                .timeout()
                .copied()
                .map_or(remaining, |t| t.min(remaining));
            *request.timeout_mut() = Some(per_attempt);
        }
        request
    }

    fn authenticate(&self, request: &mut reqwest::Request, operation: Operation, version: &str) {
        match &self.shared.credentials {
            Credentials::Anonymous => {}
            Credentials::AccessKey(key) => {
                if let Err(e) = acs3::sign(
                    request,
                    key,
                    operation.name,
                    version,
                    chrono::Utc::now(),
                    &acs3::new_nonce(),
                ) {
                    tracing::error!(error = %e, "request could not be signed; sending it unsigned");
                }
            }
            Credentials::AlibabaBearer(token) => {
                acs3::sign_bearer(
                    request,
                    token,
                    operation.name,
                    version,
                    chrono::Utc::now(),
                    &acs3::new_nonce(),
                );
            }
            Credentials::Bearer(token) => {
                let value = format!("Bearer {}", token.expose());
                if let Ok(mut value) = reqwest::header::HeaderValue::from_str(&value) {
                    value.set_sensitive(true);
                    request
                        .headers_mut()
                        .insert(reqwest::header::AUTHORIZATION, value);
                }
            }
            Credentials::Header { name, value } => {
                if let (Ok(name), Ok(value)) = (
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                    reqwest::header::HeaderValue::from_str(value),
                ) {
                    request.headers_mut().insert(name, value);
                }
            }
        }
    }
}

/// Reads an error response's body to find the service's error code (Alibaba's `Code`), and
/// gives back an equivalent response for the generated code to decode.
async fn buffer_error(
    response: reqwest::Response,
) -> reqwest::Result<(reqwest::Response, Option<String>)> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("Code").and_then(|c| c.as_str()).map(str::to_owned));
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok((reqwest::Response::from(rebuilt), code))
}

fn record(result: &reqwest::Result<reqwest::Response>, attempts: u32) {
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("attempts", attempts);
    if let Ok(response) = result {
        span.record("status", response.status().as_u16());
        let id = ["x-acs-request-id", "x-request-id"]
            .iter()
            .find_map(|h| response.headers().get(*h).and_then(|v| v.to_str().ok()));
        if let Some(id) = id {
            span.record("request_id", id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A loopback server that accepts connections and never answers.
    async fn silent_server() -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        addr
    }

    /// Sends one GET through `runtime` with a client whose own timeout is 3 s, and returns
    /// the (virtual) time until the call failed.
    async fn time_to_timeout(runtime: Runtime) -> Duration {
        let addr = silent_server().await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        let request = reqwest::Request::new(
            reqwest::Method::GET,
            format!("http://{addr}/x").parse().unwrap(),
        );
        let started = tokio::time::Instant::now();
        let error = runtime
            .execute(&client, request, Operation::new("x", "X", "GET", "/x"), "v")
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error}");
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn passthrough_keeps_the_clients_own_timeout() {
        let waited = time_to_timeout(Runtime::passthrough()).await;
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_total_timeout_bounds_the_attempt() {
        let runtime = Runtime::builder()
            .retry(RetryConfig::disabled().with_total_timeout(Some(Duration::from_secs(10))))
            .rate_limit(RateLimiter::unlimited())
            .build();
        // The call's limit replaces the client's: the attempt may take the call's 10 s.
        let waited = time_to_timeout(runtime).await;
        assert!(
            waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
            "{waited:?}"
        );
    }
}
