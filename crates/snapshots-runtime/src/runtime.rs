//! [`Runtime`]: the inner value of every generated client, and [`Runtime::execute`], the one
//! function every request of every operation goes through.
//!
//! One call is: wait for the rate limiter, authenticate a fresh copy of the request (a new
//! `x-acs-date` and nonce on every attempt), send it, read its body (at most
//! [`RuntimeBuilder::max_response_body`] bytes), classify the result and either return it
//! or sleep and try again, as [`crate::retry`] decides. A `tracing` span per call records
//! the operation, the attempt count, the final status and the request id; no secret is ever
//! recorded.
//!
//! The runtime fails closed: a request it cannot authenticate as configured is not sent, a
//! redirect is not followed unless the client opted in (and then only within the origin,
//! see [`RedirectPolicy`]), a body over the limit is not read, and a body that does not
//! decode as the spec documents keeps its status ([`Failure`]).

use crate::auth::prepared::Prepared;
use crate::auth::provider::ProvidedCredentials;
use crate::auth::Credentials;
use crate::body::{self, BodyError};
use crate::failure::{bounded, snippet, Failure, RedirectRefusal};
use crate::operation::Operation;
use crate::rate_limit::RateLimiter;
use crate::redirect::{self, RedirectPolicy};
use crate::retry::{self, AttemptOutcome, Decision, RetryBudget, RetryConfig};
use crate::transport::Transport;
use bytes::Bytes;
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
///     .max_response_body(1024 * 1024)
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
    /// The credentials checked and prepared at build time, or why they cannot be used.
    auth: Result<Prepared, String>,
    retry: RetryConfig,
    budget: RetryBudget,
    limiter: RateLimiter,
    max_body: usize,
    redirects: RedirectPolicy,
    transport: Transport,
}

/// Builds a [`Runtime`]; every knob has a default from the seeds.
#[derive(Debug, Clone)]
pub struct RuntimeBuilder {
    credentials: Credentials,
    retry: RetryConfig,
    limiter: RateLimiter,
    max_body: usize,
    redirects: RedirectPolicy,
    transport: Transport,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        Self {
            credentials: Credentials::Anonymous,
            retry: RetryConfig::default(),
            limiter: RateLimiter::per_second(10),
            max_body: body::DEFAULT_MAX_RESPONSE_BODY,
            redirects: RedirectPolicy::None,
            transport: Transport::Rest,
        }
    }
}

impl RuntimeBuilder {
    /// How requests are authenticated (default: not at all). Credentials that cannot be
    /// sent (a value with a line break, an empty token) are not an error here: every call
    /// of the runtime then fails with [`Failure::Unauthenticated`] before anything is sent
    /// ([`Runtime::check_credentials`] tells at once).
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

    /// The most bytes of a response body the runtime reads, for success and error
    /// responses alike (default [`DEFAULT_MAX_RESPONSE_BODY`](crate::DEFAULT_MAX_RESPONSE_BODY),
    /// 8 MiB). A longer body ends the call with [`Failure::BodyTooLarge`] as soon as the
    /// limit is passed (or at once, when `Content-Length` says so); it is never retried.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Whether redirects are followed (default [`RedirectPolicy::None`]).
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = policy;
        self
    }

    /// How requests reach the API (default [`Transport::Rest`]). With
    /// [`Transport::ActionPath`] each call's request is rewritten once, before it is
    /// authenticated, to `{base}/{action}` (see [`Transport`]); a request that cannot be
    /// rewritten ends the call with [`Failure::Untransportable`] and nothing is sent.
    ///
    /// ```
    /// use snapshots_runtime::{Runtime, Transport};
    /// let runtime = Runtime::builder().transport(Transport::ActionPath).build();
    /// assert_eq!(runtime.transport(), Transport::ActionPath);
    /// ```
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The runtime.
    pub fn build(self) -> Runtime {
        // A generated client's `Client::new` builds its own `reqwest::Client` right after:
        // with rustls, that one needs the process's crypto provider installed.
        crate::tls::install_crypto_provider();
        let budget = RetryBudget::new(self.retry.budget);
        Runtime {
            shared: Arc::new(Shared {
                auth: Prepared::new(&self.credentials),
                credentials: self.credentials,
                retry: self.retry,
                budget,
                limiter: self.limiter,
                max_body: self.max_body,
                redirects: self.redirects,
                transport: self.transport,
            }),
        }
    }
}

/// What authenticating one attempt needs: the operation, the API version, and the
/// provider's credentials of this attempt (when they come from a provider).
type Auth<'a> = (&'a Operation, &'a str, Option<&'a ProvidedCredentials>);

/// Why one attempt produced no response to hand on.
#[derive(Debug)]
enum AttemptError {
    /// The connection failed, timed out or broke (retried as the policy says).
    Transport(reqwest::Error),
    /// The runtime refused to go on (never retried).
    Failure(Failure),
}

impl From<Failure> for AttemptError {
    fn from(failure: Failure) -> Self {
        AttemptError::Failure(failure)
    }
}

/// A response whose body has been read.
struct Answer {
    head: http::response::Parts,
    url: reqwest::Url,
    body: Bytes,
}

impl Answer {
    fn status(&self) -> u16 {
        self.head.status.as_u16()
    }

    fn request_id(&self) -> Option<String> {
        crate::failure::request_id(&self.head.headers)
    }

    /// The response for the generated code, its body already in memory (and its URL kept,
    /// for `reqwest::Response::url`).
    fn into_response(self) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let Answer { head, url, body } = self;
        let url_extension = http::Response::builder()
            .url(url)
            .body(())
            .map(|r| r.into_parts().0.extensions)
            .unwrap_or_default();
        let mut response = http::Response::from_parts(head, body);
        response.extensions_mut().extend(url_extension);
        reqwest::Response::from(response)
    }
}

impl Runtime {
    /// A builder with the defaults.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// No authentication, no retries, no rate limit, no total time limit: the request goes
    /// out as built (with the `reqwest::Client`'s own timeout, if it has one). Bodies are
    /// still bounded and redirects still refused. For tests and for callers who bring their
    /// own middleware.
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

    /// Whether the credentials can be sent as configured; if not, why (every call fails
    /// with [`Failure::Unauthenticated`] for that reason). No secret is in the reason.
    ///
    /// ```
    /// use snapshots_runtime::{auth::Secret, Credentials, Runtime};
    /// let runtime = Runtime::builder().credentials(Credentials::Bearer(Secret::new("a\nb"))).build();
    /// assert!(runtime.check_credentials().is_err());
    /// ```
    pub fn check_credentials(&self) -> Result<(), Failure> {
        match &self.shared.auth {
            Ok(_) => Ok(()),
            Err(reason) => Err(Failure::Unauthenticated {
                reason: reason.clone(),
            }),
        }
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.shared.retry
    }

    /// The retry budget shared by the clones of this runtime.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.shared.budget
    }

    /// The most bytes of a response body this runtime reads.
    pub fn max_response_body(&self) -> usize {
        self.shared.max_body
    }

    /// Whether this runtime follows redirects.
    pub fn redirect_policy(&self) -> RedirectPolicy {
        self.shared.redirects
    }

    /// How this runtime's requests reach the API.
    pub fn transport(&self) -> Transport {
        self.shared.transport
    }

    /// Sends `request` for `operation` of the API at `version` (rewritten once for the
    /// runtime's [`Transport`]), with rate limiting, authentication, retries, bounded bodies and redirect checks. Called by the generated
    /// clients' `ClientHooks::exec`. The failures of the runtime itself come back as the
    /// source of the `reqwest::Error` ([`Failure::find`]).
    ///
    /// `client` must not follow redirects itself ([`crate::http_client_builder`]): if it
    /// does, the answer is discarded ([`RedirectRefusal::FollowedByClient`]), but whatever it
    /// sent to the redirect's target cannot be unsent.
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
        async move {
            let rewritten = crate::query::apply(request, operation.id, operation.query)
                .and_then(|request| self.shared.transport.apply(request, &operation));
            let result = match rewritten {
                Ok(request) => self.bounded_call(client, request, operation, version).await,
                Err(failure) => Err(AttemptError::Failure(failure)),
            };
            match result {
                Ok(response) => Ok(response),
                Err(AttemptError::Transport(error)) => Err(error),
                Err(AttemptError::Failure(failure)) => {
                    tracing::info!(error = %failure, "call failed");
                    Err(Box::pin(failure.into_reqwest()).await)
                }
            }
        }
        .instrument(span)
    }

    /// The attempts of one call, within the call's total time limit: one timer for the whole
    /// call (not one per attempt), which drops whatever is in flight when it fires.
    async fn bounded_call(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
        version: &str,
    ) -> Result<reqwest::Response, AttemptError> {
        let call = self.call(client, Some(request), operation, version);
        let Some(limit) = self.shared.retry.total_timeout else {
            return call.await;
        };
        match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_elapsed) => Err(AttemptError::Failure(Failure::TimedOut {
                limit,
                source: std::io::ErrorKind::TimedOut.into(),
            })),
        }
    }

    /// The attempts of one call. `original` is always `Some` on entry (an `Option` so that
    /// the request lives in one place in the future's state, moved out for the last attempt).
    async fn call(
        &self,
        client: &reqwest::Client,
        mut original: Option<reqwest::Request>,
        operation: Operation,
        version: &str,
    ) -> Result<reqwest::Response, AttemptError> {
        let shared = &self.shared;
        let started = tokio::time::Instant::now();
        let mut attempt: u32 = 1;
        loop {
            // The rare waits (a rate-limit slot, a retry delay) are boxed so that the state
            // of this future, moved on every call, stays small.
            if let Some(ready_at) = shared.limiter.reserve() {
                Box::pin(tokio::time::sleep_until(ready_at)).await;
            }
            // The provider's credentials are read per attempt: a retry after a refresh signs
            // with the new ones.
            let current = match &shared.auth {
                Ok(prepared) => prepared.current().await?,
                Err(_) => None,
            };
            let current = current.as_deref();
            let (request, hop_template) =
                self.prepare_attempt(&mut original, attempt, (&operation, version, current))?;
            let method = request.method().clone();
            let result = Box::pin(self.send(
                client,
                request,
                hop_template,
                (&operation, version, current),
            ))
            .await;
            let result = declared_conflict(result, &operation);
            let code = match &result {
                Ok(answer) if answer.status() >= 400 => retry::service_code(&answer.body),
                _ => None,
            };
            let outcome = match &result {
                Ok(answer) => AttemptOutcome::Response {
                    status: answer.status(),
                    headers: &answer.head.headers,
                    service_code: code.as_deref(),
                },
                // A request reqwest cannot build was never sent, and never will be.
                Err(AttemptError::Transport(e)) if e.is_builder() => {
                    return finish(result, &operation, attempt)
                }
                Err(AttemptError::Transport(e)) if e.is_connect() => AttemptOutcome::ConnectError,
                Err(AttemptError::Transport(e)) if e.is_timeout() => AttemptOutcome::Timeout,
                Err(AttemptError::Transport(_)) => AttemptOutcome::OtherTransportError,
                Err(AttemptError::Failure(_)) => return finish(result, &operation, attempt),
            };
            let decision = retry::decide(
                &shared.retry,
                &method,
                attempt,
                outcome,
                &shared.budget,
                started.elapsed(),
                crate::crypto::jitter::unit(),
                SystemTime::now(),
            );
            let retry_in = match decision {
                Decision::RetryAfter(delay) if original.is_some() => Some(delay),
                _ => None,
            };
            let Some(delay) = retry_in else {
                return finish(result, &operation, attempt);
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

    /// The request for attempt number `attempt`, authenticated; with it, when redirects may
    /// be followed, an unauthenticated copy to build the next hop from.
    ///
    /// The original stays in `original` for the next attempt when there can be one and its
    /// body can be cloned, and this attempt sends a copy; otherwise (the last attempt, or a
    /// streaming body, which gets exactly one attempt) the original itself is sent. With
    /// retries disabled no request is ever copied.
    fn prepare_attempt(
        &self,
        original: &mut Option<reqwest::Request>,
        attempt: u32,
        auth: Auth<'_>,
    ) -> Result<(reqwest::Request, Option<reqwest::Request>), Failure> {
        let shared = &self.shared;
        let Some(template) = original.take() else {
            // `call` only loops while `original` holds the next attempt's request.
            return Err(Failure::Unauthenticated {
                reason: "no request left to send".into(),
            });
        };
        let copy = if attempt < shared.retry.max_attempts {
            copy_request(&template, AUTH_HEADER_ROOM)
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
        let hop_template = match shared.redirects {
            RedirectPolicy::None => None,
            RedirectPolicy::SameOrigin { .. } => copy_request(&request, 0),
        };
        self.authenticate(&mut request, auth)?;
        Ok((request, hop_template))
    }

    /// Authenticates `request` as configured, or refuses (then it must not be sent).
    fn authenticate(&self, request: &mut reqwest::Request, auth: Auth<'_>) -> Result<(), Failure> {
        let (operation, version, current) = auth;
        match &self.shared.auth {
            Ok(prepared) => prepared.apply(request, operation, version, current),
            Err(reason) => Err(Failure::Unauthenticated {
                reason: reason.clone(),
            }),
        }
    }

    /// One attempt: sends `request`, follows the redirects the policy allows (each hop
    /// built from `hop_template` and authenticated afresh), and reads the final body.
    async fn send(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        hop_template: Option<reqwest::Request>,
        auth: Auth<'_>,
    ) -> Result<Answer, AttemptError> {
        let mut hops = 0;
        loop {
            let sent_url = request.url().clone();
            let method = request.method().clone();
            let response = client
                .execute(request)
                .await
                .map_err(AttemptError::Transport)?;
            let status = response.status().as_u16();
            if response.url() != &sent_url {
                return Err(redirect_failure(
                    status,
                    None,
                    RedirectRefusal::FollowedByClient,
                ));
            }
            if !(300..400).contains(&status) {
                return read_answer(response, sent_url, self.shared.max_body).await;
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let policy = self.shared.redirects;
            let target = redirect::next_hop(
                policy,
                status,
                &method,
                &sent_url,
                location.as_deref(),
                hops,
            )
            .and_then(|target| {
                let next = hop_template
                    .as_ref()
                    .and_then(|hop| copy_request(hop, AUTH_HEADER_ROOM));
                next.map(|next| (target, next))
                    .ok_or(RedirectRefusal::NotFollowing)
            });
            let (target, mut next) = match target {
                Ok(hop) => hop,
                Err(refusal) => return Err(redirect_failure(status, location.as_deref(), refusal)),
            };
            drop(response);
            *next.url_mut() = target;
            self.authenticate(&mut next, auth)?;
            request = next;
            hops += 1;
        }
    }
}

/// The most headers an authentication adds to a request: the V3 signature's `host`, five
/// `x-acs-*`, `authorization`, and with STS credentials `x-acs-accesskey-id` and
/// `x-acs-security-token`.
const AUTH_HEADER_ROOM: usize = 9;

/// A copy of `template` for one attempt or one redirect hop, its header map made once with
/// room for `room` more headers (so that authenticating the copy does not grow it again);
/// `None` when the body is a stream, which cannot be copied.
///
/// It copies the method, the URL, the headers in their order, the version, the timeout and
/// the body's bytes: what the generated clients put on a request. Unlike
/// `reqwest::Request::try_clone`, it makes no extension map for an unset timeout (three
/// allocations per copy, of six); reqwest keeps a request's other extensions private, and
/// only a request converted from an `http::Request` carrying some would have them. The body
/// is copied (a JSON document of these APIs, bounded by its schema), where `try_clone`
/// shares it.
fn copy_request(template: &reqwest::Request, room: usize) -> Option<reqwest::Request> {
    let body = match template.body() {
        Some(body) => Some(reqwest::Body::from(Bytes::copy_from_slice(
            body.as_bytes()?,
        ))),
        None => None,
    };
    let mut copy = reqwest::Request::new(template.method().clone(), template.url().clone());
    let headers = copy.headers_mut();
    headers.reserve(template.headers().len() + room);
    for (name, value) in template.headers() {
        headers.append(name.clone(), value.clone());
    }
    *copy.version_mut() = template.version();
    if let Some(&timeout) = template.timeout() {
        *copy.timeout_mut() = Some(timeout);
    }
    *copy.body_mut() = body;
    Some(copy)
}

/// Reads the body of `response` (received from `url`), at most `limit` bytes.
async fn read_answer(
    mut response: reqwest::Response,
    url: reqwest::Url,
    limit: usize,
) -> Result<Answer, AttemptError> {
    let body = body::read_bounded(&mut response, limit).await;
    let (head, _) = http::Response::from(response).into_parts();
    let answer = Answer {
        head,
        url,
        body: Bytes::new(),
    };
    match body {
        Ok(body) => Ok(Answer { body, ..answer }),
        Err(BodyError::Transport(e)) => Err(AttemptError::Transport(e)),
        Err(BodyError::TooLarge) => Err(AttemptError::Failure(Failure::BodyTooLarge {
            status: answer.status(),
            limit,
            request_id: answer.request_id(),
        })),
    }
}

fn redirect_failure(status: u16, location: Option<&str>, refusal: RedirectRefusal) -> AttemptError {
    AttemptError::Failure(Failure::Redirect {
        status,
        location: location.map(bounded),
        refusal,
    })
}

/// An answer the operation's spec declares a conflict becomes
/// [`Failure::DeclaredConflict`] (never retried); anything else is kept.
fn declared_conflict(
    result: Result<Answer, AttemptError>,
    operation: &Operation,
) -> Result<Answer, AttemptError> {
    match result {
        Ok(answer)
            if operation
                .conflicts
                .iter()
                .any(|c| c.matches(answer.status(), &answer.body)) =>
        {
            Err(AttemptError::Failure(Failure::DeclaredConflict {
                operation: operation.id.to_owned(),
                status: answer.status(),
                headers: Box::new(answer.head.headers),
                body: answer.body,
            }))
        }
        other => other,
    }
}

/// The end of a call: the response, unless its body does not decode as the spec documents
/// for its status (then [`Failure::Undecodable`], which keeps the status).
fn finish(
    result: Result<Answer, AttemptError>,
    operation: &Operation,
    attempts: u32,
) -> Result<reqwest::Response, AttemptError> {
    let answer = result?;
    record(&answer, attempts);
    if let Err(source) = (operation.body_check)(answer.status(), &answer.body) {
        return Err(AttemptError::Failure(Failure::Undecodable {
            status: answer.status(),
            request_id: answer.request_id(),
            snippet: snippet(&answer.body),
            source,
        }));
    }
    if answer.head.status.is_success() {
        crate::capture::record(operation.id, &answer.body);
    }
    Ok(answer.into_response())
}

fn record(answer: &Answer, attempts: u32) {
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("attempts", attempts);
    span.record("status", answer.status());
    if let Some(id) = answer.request_id() {
        span.record("request_id", id);
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

    /// Sends one GET through `runtime` with a client whose own timeout is `client_timeout`,
    /// and returns the (virtual) time until the call failed, and the error.
    async fn time_to_timeout(
        runtime: Runtime,
        client_timeout: Option<Duration>,
    ) -> (Duration, reqwest::Error) {
        let addr = silent_server().await;
        // Not `http_client_builder()`: its 10 s read timeout would race the limits tested.
        let mut client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none());
        if let Some(timeout) = client_timeout {
            client = client.timeout(timeout);
        }
        let client = client.build().unwrap();
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
        (started.elapsed(), error)
    }

    fn within_a_second_of(waited: Duration, seconds: u64) -> bool {
        waited >= Duration::from_secs(seconds) && waited < Duration::from_secs(seconds + 1)
    }

    fn limited(retry: RetryConfig, total: u64) -> Runtime {
        Runtime::builder()
            .retry(retry.with_total_timeout(Some(Duration::from_secs(total))))
            .rate_limit(RateLimiter::unlimited())
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn passthrough_keeps_the_clients_own_timeout() {
        let (waited, _) =
            time_to_timeout(Runtime::passthrough(), Some(Duration::from_secs(3))).await;
        assert!(within_a_second_of(waited, 3), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_total_timeout_bounds_the_call_with_one_timer() {
        let (waited, error) = time_to_timeout(limited(RetryConfig::disabled(), 10), None).await;
        assert!(within_a_second_of(waited, 10), "{waited:?}");
        assert!(
            matches!(Failure::find(&error), Some(Failure::TimedOut { limit, .. }) if limit.as_secs() == 10),
            "{error:?}"
        );
        // A client with a shorter timeout of its own ends the attempt first.
        let (waited, _) = time_to_timeout(
            limited(RetryConfig::disabled(), 10),
            Some(Duration::from_secs(3)),
        )
        .await;
        assert!(within_a_second_of(waited, 3), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_total_timeout_cuts_a_retry_short() {
        // Attempt 1 times out after the client's 3 s; the retry starts after a 1 s delay and
        // is cut by the call's 5 s limit, one second in.
        let retry = RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(1),
            jitter: false,
            ..RetryConfig::default()
        };
        let (waited, error) =
            time_to_timeout(limited(retry, 5), Some(Duration::from_secs(3))).await;
        assert!(within_a_second_of(waited, 5), "{waited:?}");
        assert!(
            matches!(Failure::find(&error), Some(Failure::TimedOut { .. })),
            "{error:?}"
        );
    }
}

#[cfg(test)]
mod copy_tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::{HeaderName, HeaderValue};
    use std::time::Duration;

    /// Everything of a request that the copy must keep.
    fn observable(request: &reqwest::Request) -> impl PartialEq + std::fmt::Debug {
        let headers: Vec<(String, Vec<u8>, bool)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec(), v.is_sensitive()))
            .collect();
        (
            request.method().clone(),
            request.url().clone(),
            headers,
            request.version(),
            request.timeout().copied(),
            request.body().map(|b| b.as_bytes().map(<[u8]>::to_vec)),
        )
    }

    fn request() -> impl Strategy<Value = reqwest::Request> {
        let method = prop::sample::select(vec![
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::DELETE,
        ]);
        let name = prop::sample::select(vec!["accept", "x-username", "x-b", "api-version"]);
        let value = ("[ -~]{0,12}", any::<bool>());
        let headers = prop::collection::vec((name, value), 0..8);
        let body = prop::option::of(prop::collection::vec(any::<u8>(), 0..64));
        let timeout = prop::option::of(1u64..10_000);
        let version =
            prop::sample::select(vec![reqwest::Version::HTTP_11, reqwest::Version::HTTP_2]);
        (method, "[a-z0-9/]{0,12}", headers, body, timeout, version).prop_map(
            |(method, path, headers, body, timeout, version)| {
                let url = reqwest::Url::parse(&format!("https://h.example/{path}?a=1")).unwrap();
                let mut request = reqwest::Request::new(method, url);
                for (name, (text, sensitive)) in headers {
                    let mut value = HeaderValue::from_str(&text).unwrap();
                    value.set_sensitive(sensitive);
                    request
                        .headers_mut()
                        .append(HeaderName::from_static(name), value);
                }
                *request.body_mut() = body.map(reqwest::Body::from);
                *request.timeout_mut() = timeout.map(Duration::from_millis);
                *request.version_mut() = version;
                request
            },
        )
    }

    proptest! {
        /// The copy is what reqwest's `try_clone` gives, and its header map holds the
        /// authentication headers without growing.
        #[test]
        fn the_copy_equals_try_clone(template in request(), room in 0usize..12) {
            let copy = copy_request(&template, room).expect("a copyable request");
            let cloned = template.try_clone().expect("a copyable request");
            prop_assert_eq!(observable(&copy), observable(&cloned));
            prop_assert_eq!(observable(&copy), observable(&template));
            let mut copy = copy;
            let capacity = copy.headers().capacity();
            for i in 0..room {
                let name = HeaderName::from_bytes(format!("x-auth-{i}").as_bytes()).unwrap();
                copy.headers_mut().insert(name, HeaderValue::from_static("v"));
            }
            prop_assert_eq!(copy.headers().capacity(), capacity);
        }
    }

    #[test]
    fn a_streaming_body_is_not_copied() {
        let url = reqwest::Url::parse("https://h.example/x").unwrap();
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("a"))]);
        *request.body_mut() = Some(reqwest::Body::wrap_stream(stream));
        assert!(copy_request(&request, 0).is_none());
        assert!(request.try_clone().is_none());
    }
}
