//! Fault injection, per route, shared by all four APIs.
//!
//! A [`FaultRule`] says *which* requests (method and path pattern, matched on the path as
//! sent and on its other form, never on the query: each API answers at its real paths and
//! under a compatibility prefix, and `/dsw/api/v2/**` and `/api/v2/**` name the same
//! requests, whichever form the client uses; `/dsw`, `/langstudio`, `/langstudio-gateway`
//! and `/graph-olap` name a whole API), *what* happens to them ([`Fault`]: a 5xx in the API's error shape, a 429
//! with `Retry-After`, added latency, or a dropped connection), *when* (before the handler
//! runs, so nothing is changed, or after it, so the change is applied but the client never
//! hears of it) and *how often* (the first `count` matching requests, a `fraction` of them
//! drawn from a seeded random generator, or both).
//!
//! [`Faults`] is a cheap, cloneable handle: the emulator's own copy, the one returned by
//! [`crate::router`] or [`crate::RunningEmulator::faults`], and the admin endpoints all
//! act on the same rules. From another process, use the admin endpoints:
//!
//! | method and path | body | answer |
//! | --- | --- | --- |
//! | `POST /_emulator/faults` | a rule, or an array of rules (JSON below) | `201` and the installed rules with their ids |
//! | `GET /_emulator/faults` | | `200` and every rule with how often it matched and fired |
//! | `DELETE /_emulator/faults` | | `200` `{"removed": n}`: all rules removed |
//! | `DELETE /_emulator/faults/{id}` | | `204`, or `404` for an unknown id |
//!
//! ```json
//! {"method": "POST", "path": "/dsw/api/v2/instances/*/snapshots",
//!  "fault": {"kind": "server_error", "status": 503}, "when": "after", "count": 1}
//! ```
//!
//! `method` is optional (any method; `"*"` too). `path` is a glob where `*` matches within
//! one segment and `**` across segments; a path without `*` is a prefix on a segment
//! boundary (`/dsw` matches `/dsw/api/...`, not `/dswx`). `fault.kind` is `server_error`
//! (`status`, 500-599, default 500), `throttle` (`retry_after_secs`, default 1), `latency`
//! (`millis`) or `drop_connection`. `when` is `before` (default) or `after`. Without `count`
//! and `fraction` a rule fires on every matching request.
//!
//! Rules are tried in the order they were added: every firing `latency` rule adds its delay
//! (the sum is capped at [`MAX_LATENCY`], one hour, before and again after the handler), and the first firing rule of another kind decides the answer (later ones are not
//! consulted, so their counts are not used up).
//!
//! A dropped connection is closed without an answer only by the server [`crate::start`]
//! runs; a router served some other way answers such a request with a `500` instead.
//!
//! # Limits
//!
//! A path pattern is at most [`MAX_PATTERN_LEN`] bytes and at most [`MAX_RULES`] rules are
//! installed at once; more is refused (`400` and `{"error": "..."}` over HTTP, and nothing
//! of that request is installed). Patterns are matched in O(pattern × path) time, whatever
//! their stars, under the rules' lock, which is released before any delay is slept.

use crate::error::{Api, ApiError, RequestContext, X_ACS_REQUEST_ID, X_REQUEST_ID};
use axum::extract::{Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this 5xx status and the API's error body (`InternalError` or, for 503,
    /// `ServiceUnavailable`; Graph OLAP: `INTERNAL_ERROR` / `SERVICE_UNAVAILABLE`).
    ServerError {
        /// The status, 500 to 599.
        #[serde(default = "default_server_error")]
        status: u16,
    },
    /// Answer `429` with `Retry-After: <retry_after_secs>` (and, on the Alibaba APIs,
    /// `x-acs-retry-after` in milliseconds) and the API's throttling error
    /// (`Throttling.User`; Graph OLAP: `RATE_LIMIT_EXCEEDED`).
    Throttle {
        /// Seconds the client is told to wait.
        #[serde(default = "default_retry_after")]
        retry_after_secs: u64,
    },
    /// Delay the answer by this many milliseconds (the request is then handled normally);
    /// the delays of one request add up to at most [`MAX_LATENCY`].
    Latency {
        /// The added delay.
        millis: u64,
    },
    /// Close the TCP connection without answering.
    DropConnection,
}

fn default_server_error() -> u16 {
    500
}

fn default_retry_after() -> u64 {
    1
}

/// Whether a fault strikes before the handler runs (nothing changes) or after it (the
/// change is applied, the client gets the fault instead of the answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Before the handler: the request has no effect.
    #[default]
    Before,
    /// After the handler: the request took effect, its answer is replaced.
    After,
}

/// One fault rule. Build one with [`FaultRule::new`] (or the shortcuts) and narrow it with
/// the `on`, `times`, `fraction` and `after_handler` methods.
///
/// ```
/// use snapshot_emulator::{Fault, FaultRule, When};
/// let rule = FaultRule::server_error(503)
///     .on("POST", "/dsw/api/v2/instances/*/snapshots")
///     .times(1)
///     .after_handler();
/// assert_eq!(rule.fault, Fault::ServerError { status: 503 });
/// assert_eq!(rule.when, When::After);
/// let json = serde_json::to_value(&rule).unwrap();
/// assert_eq!(json["fault"]["kind"], "server_error");
/// assert_eq!(serde_json::from_value::<FaultRule>(json).unwrap(), rule);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The HTTP method to match (any when absent or `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path pattern (see the [module documentation](self)); default `/**`, every path.
    #[serde(default = "every_path")]
    pub path: String,
    /// What happens.
    pub fault: Fault,
    /// Before or after the handler.
    #[serde(default)]
    pub when: When,
    /// Fire on at most this many matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Fire on each matching request with this probability (0 to 1), from the emulator's
    /// seeded random generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
}

fn every_path() -> String {
    "/**".to_owned()
}

impl FaultRule {
    /// A rule that injects `fault` into every request, before the handler.
    pub fn new(fault: Fault) -> Self {
        Self {
            method: None,
            path: every_path(),
            fault,
            when: When::Before,
            count: None,
            fraction: None,
        }
    }

    /// A 5xx with the API's error body.
    pub fn server_error(status: u16) -> Self {
        Self::new(Fault::ServerError { status })
    }

    /// A 429 telling the client to wait `retry_after_secs` seconds.
    pub fn throttle(retry_after_secs: u64) -> Self {
        Self::new(Fault::Throttle { retry_after_secs })
    }

    /// An added delay.
    pub fn latency(delay: Duration) -> Self {
        Self::new(Fault::Latency {
            millis: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// A connection closed without an answer.
    pub fn drop_connection() -> Self {
        Self::new(Fault::DropConnection)
    }

    /// Only requests with this method (`*` for any) and a path matching `path`.
    pub fn on(mut self, method: &str, path: &str) -> Self {
        self.method = (method != "*").then(|| method.to_owned());
        self.path = path.to_owned();
        self
    }

    /// Only requests with a path matching `path`, whatever their method.
    pub fn path(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    /// At most `count` times.
    pub fn times(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Each matching request with probability `fraction`.
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = Some(fraction);
        self
    }

    /// After the handler ran (its effect stays, its answer is replaced).
    pub fn after_handler(mut self) -> Self {
        self.when = When::After;
        self
    }

    /// Checks the rule's values.
    fn validate(&self) -> Result<(), InvalidFault> {
        let invalid = |why: String| Err(InvalidFault(why));
        if !self.path.starts_with('/') {
            return invalid(format!("path {:?} must start with '/'", self.path));
        }
        if self.path.len() > MAX_PATTERN_LEN {
            return invalid(format!("path is longer than {MAX_PATTERN_LEN} bytes"));
        }
        if let Some(method) = &self.method {
            if Method::from_bytes(method.as_bytes()).is_err() {
                return invalid(format!("method {method:?} is not an HTTP method"));
            }
        }
        if let Fault::ServerError { status } = self.fault {
            if !(500..=599).contains(&status) {
                return invalid(format!("server_error status {status} is not 500-599"));
            }
        }
        if let Some(fraction) = self.fraction {
            if !(0.0..=1.0).contains(&fraction) {
                return invalid(format!("fraction {fraction} is not between 0 and 1"));
            }
        }
        Ok(())
    }

    /// Whether the rule applies to a request with this method and path (`alias` is the
    /// path's other form, see [`crate::mount`]: a rule may name either).
    fn matches(&self, method: &Method, path: &str, alias: Option<&str>) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method.as_str()));
        method_ok
            && (path_matches(&self.path, path)
                || alias.is_some_and(|alias| path_matches(&self.path, alias)))
    }
}

/// The longest path pattern a rule may have, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;

/// The most rules installed at once; adding more is refused.
pub const MAX_RULES: usize = 1000;

/// The longest delay latency rules add to one request in one phase (one hour): longer sums
/// are cut to it.
pub const MAX_LATENCY: Duration = Duration::from_secs(3600);

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule: {0}")]
pub struct InvalidFault(String);

/// The id of an installed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

impl fmt::Display for FaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An installed rule and what it has done so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultStatus {
    /// Its id.
    pub id: FaultId,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// How many requests matched its method, path and phase.
    pub matched: u64,
    /// How many times it fired.
    pub fired: u64,
}

#[derive(Debug)]
struct State_ {
    rules: Vec<FaultStatus>,
    next_id: u64,
    rng: StdRng,
}

/// The shared set of fault rules: a cheap handle, clones act on the same rules.
///
/// ```
/// use snapshot_emulator::{FaultRule, Faults};
/// let faults = Faults::new(42);
/// let id = faults.add(FaultRule::throttle(1).on("GET", "/langstudio/**").times(2)).unwrap();
/// assert_eq!(faults.rules().len(), 1);
/// assert!(faults.remove(id));
/// faults.add(FaultRule::drop_connection().fraction(0.5)).unwrap();
/// faults.clear();
/// assert!(faults.rules().is_empty());
/// ```
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Mutex<State_>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.rules())
            .finish()
    }
}

/// What the rules say about one request in one phase.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) fault: Option<Fault>,
}

impl Faults {
    /// No rules; `seed` seeds the generator that `fraction` rules draw from, so that a run
    /// with the same requests in the same order fires the same faults.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State_ {
                rules: Vec::new(),
                next_id: 1,
                rng: StdRng::seed_from_u64(seed),
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State_> {
        // A panic while holding the lock cannot leave the rules half-changed in a way that
        // matters; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Installs a rule (after the existing ones) and returns its id. Refused when the rule
    /// is invalid or [`MAX_RULES`] are installed already.
    pub fn add(&self, rule: FaultRule) -> Result<FaultId, InvalidFault> {
        let mut ids = self.add_all(vec![rule])?;
        ids.pop()
            .ok_or_else(|| InvalidFault("no rule was installed".into()))
    }

    /// Installs `rules` (after the existing ones, in order) and returns their ids: all of
    /// them, or none when one is invalid or they would make more than [`MAX_RULES`].
    pub fn add_all(&self, rules: Vec<FaultRule>) -> Result<Vec<FaultId>, InvalidFault> {
        for rule in &rules {
            rule.validate()?;
        }
        let mut state = self.state();
        if state.rules.len().saturating_add(rules.len()) > MAX_RULES {
            return Err(InvalidFault(format!(
                "at most {MAX_RULES} rules may be installed ({} are, {} more asked for)",
                state.rules.len(),
                rules.len()
            )));
        }
        let mut ids = Vec::with_capacity(rules.len());
        for rule in rules {
            let id = FaultId(state.next_id);
            state.next_id += 1;
            state.rules.push(FaultStatus {
                id,
                rule,
                matched: 0,
                fired: 0,
            });
            ids.push(id);
        }
        Ok(ids)
    }

    /// Removes one rule; `false` when there is none with that id.
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = self.state();
        let before = state.rules.len();
        state.rules.retain(|r| r.id != id);
        state.rules.len() != before
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut state = self.state();
        let n = state.rules.len();
        state.rules.clear();
        n
    }

    /// Every installed rule, with how often it matched and fired.
    pub fn rules(&self) -> Vec<FaultStatus> {
        self.state().rules.clone()
    }

    /// How often the rule `id` fired (`None` for an unknown id).
    pub fn fired(&self, id: FaultId) -> Option<u64> {
        self.state()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.fired)
    }

    /// Applies the rules to one request in one phase (counting and drawing as it goes).
    pub(crate) fn decide(&self, method: &Method, path: &str, when: When) -> Decision {
        let alias = crate::mount::alias(path);
        let mut state = self.state();
        let State_ { rules, rng, .. } = &mut *state;
        let mut decision = Decision::default();
        for status in rules.iter_mut() {
            let rule = &status.rule;
            if rule.when != when || !rule.matches(method, path, alias.as_deref()) {
                continue;
            }
            status.matched += 1;
            let terminal = !matches!(rule.fault, Fault::Latency { .. });
            if terminal && decision.fault.is_some() {
                continue;
            }
            if rule.count.is_some_and(|count| status.fired >= count) {
                continue;
            }
            if let Some(fraction) = rule.fraction {
                if !rng.random_bool(fraction) {
                    continue;
                }
            }
            status.fired += 1;
            match rule.fault {
                Fault::Latency { millis } => {
                    decision.latency = decision
                        .latency
                        .saturating_add(Duration::from_millis(millis))
                        .min(MAX_LATENCY);
                }
                fault => decision.fault = Some(fault),
            }
        }
        decision
    }
}

/// Whether `path` matches the pattern (see the [module documentation](self)).
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern.contains('*') {
        return glob(pattern.as_bytes(), path.as_bytes());
    }
    if pattern == path || pattern == "/" {
        return true;
    }
    path.strip_prefix(pattern)
        .is_some_and(|rest| pattern.ends_with('/') || rest.starts_with('/'))
}

/// One element of a path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// This byte.
    Byte(u8),
    /// `*`: any run of bytes but `/`.
    Segment,
    /// `**`: any run of bytes.
    Any,
}

/// The pattern's tokens, left to right: `**` pairs first, so `***` is `**` then `*`.
fn tokens(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some((&first, tail)) = rest.split_first() {
        rest = match (first, tail.strip_prefix(b"*")) {
            (b'*', Some(after)) => {
                tokens.push(Token::Any);
                after
            }
            (b'*', None) => {
                tokens.push(Token::Segment);
                tail
            }
            (byte, _) => {
                tokens.push(Token::Byte(byte));
                tail
            }
        };
    }
    tokens
}

/// `*` matches any run of bytes but `/`; `**` any run at all.
///
/// Dynamic programming over the pattern's tokens, one row of `path.len() + 1` flags per
/// token: `row[j]` says whether the tokens so far match `path[..j]`. Time is
/// O(pattern × path) and memory O(path), whatever the pattern (a backtracking matcher is
/// exponential in the number of stars).
fn glob(pattern: &[u8], path: &[u8]) -> bool {
    let mut row = vec![false; path.len() + 1];
    let mut next = vec![false; path.len() + 1];
    row[0] = true;
    for token in tokens(pattern) {
        // Only a star matches the empty start of the path.
        next[0] = row[0] && !matches!(token, Token::Byte(_));
        for (j, &byte) in path.iter().enumerate() {
            next[j + 1] = match token {
                Token::Byte(c) => row[j] && byte == c,
                Token::Segment => row[j + 1] || (next[j] && byte != b'/'),
                Token::Any => row[j + 1] || next[j],
            };
        }
        std::mem::swap(&mut row, &mut next);
        if !row.contains(&true) {
            return false;
        }
    }
    row[path.len()]
}

/// Marks a response whose connection the server must close instead of answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// The answer of a fault for a request to `path`.
fn fault_response(fault: Fault, path: &str, ctx: &RequestContext) -> Response {
    let api = Api::of_path(path).unwrap_or(Api::LangStudio);
    let graph = api == Api::GraphOlap;
    let error = match fault {
        Fault::ServerError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match (graph, status == StatusCode::SERVICE_UNAVAILABLE) {
                (true, true) => ApiError::new(status, "SERVICE_UNAVAILABLE", "Service temporarily unavailable (injected fault)"),
                (true, false) => ApiError::new(status, "INTERNAL_ERROR", "An unexpected error occurred (injected fault)"),
                (false, true) => ApiError::new(
                    status,
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server. (injected fault)",
                ),
                (false, false) => ApiError::new(
                    status,
                    "InternalError",
                    "The request processing has failed due to some unknown error, exception or failure. (injected fault)",
                ),
            }
        }
        Fault::Throttle { retry_after_secs } => {
            let (code, message) = if graph {
                (
                    "RATE_LIMIT_EXCEEDED",
                    "Rate limit exceeded (injected fault)",
                )
            } else {
                (
                    "Throttling.User",
                    "Request was denied due to user flow control. (injected fault)",
                )
            };
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
                .with_retry_after(Duration::from_secs(retry_after_secs))
        }
        Fault::DropConnection => {
            let mut response = ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                if graph { "INTERNAL_ERROR" } else { "InternalError" },
                "The connection was dropped by fault injection (only the server of snapshot_emulator::start closes it).",
            )
            .render(api, ctx);
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        Fault::Latency { .. } => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    error.render(api, ctx)
}

/// The middleware that applies the rules to every API request.
pub(crate) async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let new_id = |path: &str| {
        if Api::of_path(path) == Some(Api::GraphOlap) {
            crate::ids::uuid_request_id()
        } else {
            crate::ids::request_id()
        }
    };
    let before = faults.decide(&method, &path, When::Before);
    if !before.latency.is_zero() {
        tokio::time::sleep(before.latency).await;
    }
    if let Some(fault) = before.fault {
        let ctx = RequestContext {
            request_id: new_id(&path),
            host,
        };
        return fault_response(fault, &path, &ctx);
    }
    let response = next.run(request).await;
    let after = faults.decide(&method, &path, When::After);
    if !after.latency.is_zero() {
        tokio::time::sleep(after.latency).await;
    }
    match after.fault {
        None => response,
        Some(fault) => {
            let request_id = [X_ACS_REQUEST_ID, X_REQUEST_ID]
                .iter()
                .find_map(|name| response.headers().get(name))
                .and_then(|v| v.to_str().ok())
                .map_or_else(|| new_id(&path), str::to_owned);
            fault_response(fault, &path, &RequestContext { request_id, host })
        }
    }
}

/// One rule or several, as `POST /_emulator/faults` takes them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(FaultRule),
    Many(Vec<FaultRule>),
}

fn admin_error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The body of `POST /_emulator/faults`: JSON, at most [`crate::body::MAX_BODY`] bytes;
/// else the status and message to answer with.
fn admin_body(
    headers: &axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::body::Bytes, (StatusCode, String)> {
    let body = body.map_err(|e| (e.status(), e.body_text()))?;
    if !body.is_empty() && !crate::body::is_json_or_absent(headers) {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON (Content-Type: application/json)".into(),
        ));
    }
    Ok(body)
}

async fn add_rules(
    State(faults): State<Faults>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match admin_body(&headers, body) {
        Ok(body) => body,
        Err((status, message)) => return admin_error(status, message),
    };
    let rules = match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::One(rule)) => vec![rule],
        Ok(OneOrMany::Many(rules)) => rules,
        Err(error) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                format!("the body is not a fault rule or an array of rules: {error}"),
            )
        }
    };
    match faults.add_all(rules.clone()) {
        Ok(ids) => {
            let installed: Vec<FaultStatus> = ids
                .into_iter()
                .zip(rules)
                .map(|(id, rule)| FaultStatus {
                    id,
                    rule,
                    matched: 0,
                    fired: 0,
                })
                .collect();
            (StatusCode::CREATED, Json(installed)).into_response()
        }
        Err(error) => admin_error(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn list_rules(State(faults): State<Faults>) -> Json<Vec<FaultStatus>> {
    Json(faults.rules())
}

async fn clear_rules(State(faults): State<Faults>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "removed": faults.clear() }))
}

async fn remove_rule(State(faults): State<Faults>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) if faults.remove(FaultId(id)) => StatusCode::NO_CONTENT.into_response(),
        _ => admin_error(StatusCode::NOT_FOUND, format!("no fault rule {id}")),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The admin routes: `/_emulator/faults[/{id}]`, and the health endpoint at
/// `/_emulator/health` and `/healthz` (the name probes and orchestrators expect).
pub(crate) fn admin_router(faults: Faults) -> Router {
    Router::new()
        .route(
            "/_emulator/faults",
            get(list_rules).post(add_rules).delete(clear_rules),
        )
        .route("/_emulator/faults/{id}", delete(remove_rule))
        .route("/_emulator/health", get(health))
        .route("/healthz", get(health))
        .layer(axum::extract::DefaultBodyLimit::max(crate::body::MAX_BODY))
        .with_state(faults)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prefixes_stop_at_segment_boundaries() {
        assert!(path_matches("/dsw", "/dsw"));
        assert!(path_matches("/dsw", "/dsw/api/v2/instances/x/snapshots"));
        assert!(!path_matches("/dsw", "/dswx"));
        assert!(!path_matches(
            "/langstudio",
            "/langstudio-gateway/CreateSnapshot"
        ));
        assert!(path_matches("/langstudio/", "/langstudio/api"));
        assert!(path_matches("/", "/anything"));
    }

    #[test]
    fn globs() {
        let p = "/dsw/api/v2/instances/*/snapshots";
        assert!(path_matches(p, "/dsw/api/v2/instances/dsw-1/snapshots"));
        assert!(!path_matches(
            p,
            "/dsw/api/v2/instances/dsw-1/snapshots/snp-1"
        ));
        assert!(!path_matches(p, "/dsw/api/v2/instances/a/b/snapshots"));
        assert!(path_matches(
            "/dsw/**",
            "/dsw/api/v2/instances/a/snapshots/b"
        ));
        assert!(path_matches(
            "/**/snapshots",
            "/langstudio/api/v1/langstudio/snapshots"
        ));
        assert!(path_matches(
            "/langstudio-gateway/*Snapshot",
            "/langstudio-gateway/GetSnapshot"
        ));
        assert!(!path_matches(
            "/langstudio-gateway/*Snapshot",
            "/langstudio-gateway/ListSnapshots"
        ));
        assert!(path_matches("/**", "/"));
        assert!(path_matches("/*", "/"));
    }

    fn get() -> Method {
        Method::GET
    }

    #[test]
    fn counts_limit_firing_and_methods_filter() {
        let faults = Faults::new(1);
        let id = faults
            .add(FaultRule::server_error(503).on("POST", "/dsw").times(2))
            .expect("valid");
        assert_eq!(
            faults.decide(&get(), "/dsw/x", When::Before),
            Decision::default()
        );
        for _ in 0..2 {
            assert_eq!(
                faults.decide(&Method::POST, "/dsw/x", When::Before).fault,
                Some(Fault::ServerError { status: 503 })
            );
        }
        assert_eq!(
            faults.decide(&Method::POST, "/dsw/x", When::Before).fault,
            None
        );
        assert_eq!(
            faults.decide(&Method::POST, "/dsw/x", When::After).fault,
            None
        );
        assert_eq!(faults.fired(id), Some(2));
        let status = &faults.rules()[0];
        assert_eq!((status.matched, status.fired), (3, 2));
    }

    #[test]
    fn latency_adds_up_and_the_first_terminal_rule_wins_without_using_up_the_next() {
        let faults = Faults::new(1);
        faults
            .add(FaultRule::latency(Duration::from_millis(5)))
            .expect("valid");
        faults.add(FaultRule::throttle(2).times(1)).expect("valid");
        let second = faults
            .add(FaultRule::server_error(500).times(1))
            .expect("valid");
        faults
            .add(FaultRule::latency(Duration::from_millis(7)))
            .expect("valid");
        let d = faults.decide(&get(), "/x", When::Before);
        assert_eq!(d.latency, Duration::from_millis(12));
        assert_eq!(
            d.fault,
            Some(Fault::Throttle {
                retry_after_secs: 2
            })
        );
        assert_eq!(faults.fired(second), Some(0));
        let d = faults.decide(&get(), "/x", When::Before);
        assert_eq!(d.fault, Some(Fault::ServerError { status: 500 }));
        assert_eq!(faults.decide(&get(), "/x", When::Before).fault, None);
    }

    #[test]
    fn huge_latencies_saturate_at_the_cap() {
        let faults = Faults::new(1);
        let rules = vec![FaultRule::latency(Duration::MAX).path("/slow"); MAX_RULES];
        faults.add_all(rules).expect("valid");
        let decision = faults.decide(&get(), "/slow", When::Before);
        assert_eq!(decision.latency, MAX_LATENCY);
        assert_eq!(
            faults.decide(&get(), "/fast", When::Before),
            Decision::default()
        );
    }

    #[test]
    fn fractions_are_reproducible_with_a_seed() {
        let run = |seed| {
            let faults = Faults::new(seed);
            faults
                .add(FaultRule::drop_connection().fraction(0.3))
                .expect("valid");
            (0..200)
                .map(|_| faults.decide(&get(), "/a", When::Before).fault.is_some())
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let fired = a.iter().filter(|f| **f).count();
        assert!((30..=90).contains(&fired), "{fired} of 200 at 0.3");
        let none = Faults::new(7);
        none.add(FaultRule::drop_connection().fraction(0.0))
            .expect("valid");
        assert!((0..50).all(|_| none.decide(&get(), "/a", When::Before).fault.is_none()));
    }

    #[test]
    fn invalid_rules_are_refused() {
        let faults = Faults::new(0);
        assert!(faults.add(FaultRule::server_error(404)).is_err());
        assert!(faults
            .add(FaultRule::server_error(500).fraction(1.5))
            .is_err());
        assert!(faults
            .add(FaultRule::server_error(500).path("dsw"))
            .is_err());
        assert!(faults
            .add(FaultRule::server_error(500).on("GE T", "/"))
            .is_err());
        assert!(faults.rules().is_empty());
    }

    #[test]
    fn rule_count_and_pattern_length_are_bounded() {
        let faults = Faults::new(0);
        let long = format!("/{}", "a".repeat(MAX_PATTERN_LEN));
        assert!(faults
            .add(FaultRule::server_error(500).path(&long))
            .is_err());
        let rule = || FaultRule::server_error(500).path("/x");
        faults
            .add_all(vec![rule(); MAX_RULES - 1])
            .expect("under the cap");
        // Two more would pass the cap: neither is installed.
        assert!(faults.add_all(vec![rule(), rule()]).is_err());
        assert_eq!(faults.rules().len(), MAX_RULES - 1);
        faults.add(rule()).expect("the last place");
        assert!(faults.add(rule()).is_err());
        assert_eq!(faults.rules().len(), MAX_RULES);
    }

    #[test]
    fn json_form() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"POST","path":"/dsw/**","fault":{"kind":"throttle"},"when":"after","count":3,"fraction":0.5}"#,
        )
        .expect("parses");
        assert_eq!(
            rule,
            FaultRule::throttle(1)
                .on("POST", "/dsw/**")
                .after_handler()
                .times(3)
                .fraction(0.5)
        );
        let rule: FaultRule =
            serde_json::from_str(r#"{"fault":{"kind":"drop_connection"}}"#).expect("parses");
        assert_eq!(rule, FaultRule::drop_connection());
        let rule: FaultRule =
            serde_json::from_str(r#"{"fault":{"kind":"server_error"}}"#).expect("parses");
        assert_eq!(rule.fault, Fault::ServerError { status: 500 });
        assert!(serde_json::from_str::<FaultRule>(r#"{"fault":{"kind":"nope"}}"#).is_err());
        assert!(serde_json::from_str::<FaultRule>(
            r#"{"fault":{"kind":"latency","millis":1},"x":1}"#
        )
        .is_err());
    }

    /// Matches `pattern` against `path` on another thread; `None` if it takes over 5 s.
    fn match_within_5s(pattern: String, path: String) -> Option<bool> {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(path_matches(&pattern, &path));
        });
        receiver.recv_timeout(Duration::from_secs(5)).ok()
    }

    #[test]
    fn pathological_patterns_match_in_bounded_time() {
        // Twelve `**a` against sixty `a`s: exponential for a backtracking matcher.
        let pattern = format!("/{}**b", "**a".repeat(12));
        let path = format!("/{}", "a".repeat(60));
        assert_eq!(match_within_5s(pattern.clone(), path), Some(false));
        let long = format!("/{}b", "a".repeat(100_000));
        assert_eq!(match_within_5s(pattern, long), Some(true));
        let segments = format!("/{}b", "*a".repeat(500));
        let path = format!("/{}", "a".repeat(10_000));
        assert_eq!(match_within_5s(segments, path), Some(false));
    }

    /// Reference matcher: `*` as `[^/]*`, `**` as `.*`, through a regex engine.
    fn reference(pattern: &str, path: &str) -> bool {
        let mut regex = String::from("^");
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '*' {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    regex.push_str(".*");
                } else {
                    regex.push_str("[^/]*");
                }
            } else {
                regex.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        }
        regex.push('$');
        regress::Regex::with_flags(&regex, "su")
            .expect("regex")
            .find(path)
            .is_some()
    }

    proptest! {
        #[test]
        fn glob_agrees_with_a_regex(pattern in "/[a-c/*]{0,12}", path in "/[a-c/]{0,16}") {
            prop_assume!(pattern.contains('*'));
            prop_assert_eq!(path_matches(&pattern, &path), reference(&pattern, &path));
        }
    }
}
