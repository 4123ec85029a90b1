//! Retries: which failures are retried, how long to wait, and when to stop.
//!
//! After each attempt the runtime describes what happened as an [`AttemptOutcome`] and calls
//! [`decide`], which answers [`Decision::Done`], [`Decision::RetryAfter`] or
//! [`Decision::GiveUp`]. The defaults follow seed 000 (retry 5xx with exponential backoff of
//! 1 s, 2 s, 4 s, at most 3 retries, honour `Retry-After`), with full jitter, a cap on the
//! whole call, and a retry budget shared by all clones of a client so that a failing service
//! is not hammered; see [`RetryConfig`].
//!
//! # Which failures are retried
//!
//! A request is *idempotent* when repeating it has the effect of sending it once: GET, HEAD,
//! PUT, DELETE, OPTIONS and TRACE ([`is_idempotent`]). POST and PATCH are not: retrying a
//! `CreateSnapshot` whose first attempt the server carried out would create a second
//! snapshot. So a non-idempotent request is only retried when the server certainly did not
//! act on it, unless [`RetryConfig::retry_non_idempotent`] is set.
//!
//! | what the attempt came to | idempotent | non-idempotent | non-idempotent, `retry_non_idempotent` |
//! | --- | --- | --- | --- |
//! | response below 400 | done | done | done |
//! | 429 Too Many Requests | retry | retry | retry |
//! | a throttling code in the error body ([`is_throttling_code`]), any status ≥ 400 | retry | retry | retry |
//! | connect error (DNS, refused, TLS, connect timeout) | retry | retry | retry |
//! | 5xx other than 501 and 505 | retry | give up | retry |
//! | timeout after the request was sent | retry (costs more) | give up | retry (costs more) |
//! | other transport error (reset, broken pipe, truncated response) | retry | give up | retry |
//! | any other 4xx (400, 401, 403, 404, 408, 409, 422, ...), 501, 505 | give up | give up | give up |
//!
//! 429 and throttling codes mean the server refused the request without acting on it, and a
//! connect error means it never saw it; so these are safe for any method. A 5xx, a timeout or
//! a broken connection may come after the server acted.
//!
//! A "retry" above is still subject to, in this order: [`RetryConfig::max_attempts`] (4 by
//! default: one attempt and three retries), [`RetryConfig::total_timeout`] (60 s by default,
//! checked against the time spent so far plus the coming delay), and the [`RetryBudget`]
//! (each retry costs 5 tokens, 10 after a timeout, each success refunds 1, 500 at most).
//!
//! # How long to wait
//!
//! If the response says ([`server_delay`]: `x-acs-retry-after` in milliseconds first, then
//! `Retry-After` in seconds or as an HTTP-date), that delay, capped at
//! [`RetryConfig::max_retry_after`] (60 s). Otherwise the exponential backoff
//! `min(max_delay, base_delay * 2^(attempt - 1))` (1 s, 2 s, 4 s, ... up to 20 s), with full
//! jitter (uniform between zero and that) unless [`RetryConfig::jitter`] is off.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use http::{HeaderMap, Method};
//! use snapshots_runtime::retry::{decide, AttemptOutcome, Decision, RetryBudget, RetryConfig};
//!
//! let config = RetryConfig::default();
//! let budget = RetryBudget::new(config.budget); // one per client, shared by its clones
//! let mut headers = HeaderMap::new();
//! headers.insert("x-acs-retry-after", "800".parse().unwrap());
//! let throttled = AttemptOutcome::Response {
//!     status: 400,
//!     headers: &headers,
//!     service_code: Some("Throttling.User"),
//! };
//! let decision = decide(
//!     &config, &Method::POST, 1, throttled, &budget, Duration::ZERO, 0.42, SystemTime::now(),
//! );
//! assert_eq!(decision, Decision::RetryAfter(Duration::from_millis(800)));
//! ```

mod budget;
mod policy;
mod retry_after;

pub use budget::{RetryBudget, RetryBudgetConfig, RetryKind};
pub use policy::{decide, AttemptOutcome, Decision, GiveUpReason, RetryConfig};
pub use retry_after::{server_delay, X_ACS_RETRY_AFTER};

use http::Method;

/// Whether repeating a request of this method has the same effect as sending it once
/// (RFC 9110 §9.2.2): GET, HEAD, PUT, DELETE, OPTIONS and TRACE are; POST, PATCH, CONNECT
/// and extension methods are not.
///
/// ```
/// use http::Method;
/// use snapshots_runtime::retry::is_idempotent;
///
/// assert!(is_idempotent(&Method::DELETE));
/// assert!(!is_idempotent(&Method::POST));
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether an error code says the request was refused for throttling (so was not acted on
/// and can be retried later, whatever its method): Alibaba Cloud's `Throttling`,
/// `Throttling.User`, `Throttling.Api` (and any other `Throttling.*`) and
/// `ServiceUnavailable`, and Graph OLAP's `RATE_LIMIT_EXCEEDED`. Case-sensitive, as the
/// services send them.
///
/// ```
/// use snapshots_runtime::retry::is_throttling_code;
///
/// assert!(is_throttling_code("Throttling.User"));
/// assert!(!is_throttling_code("InvalidParameter"));
/// ```
pub fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling" | "ServiceUnavailable" | "RATE_LIMIT_EXCEEDED"
    ) || code.starts_with("Throttling.")
}

/// The error code of an error response body, for [`AttemptOutcome::Response`]: `Code` of an
/// Alibaba Cloud error (`{"Code": "Throttling.User", ...}`), or `code` of a Graph OLAP error
/// (`{"error": {"code": ...}}` or `{"detail": {"code": ...}}`). `None` if the body is not JSON
/// or has no such string.
///
/// ```
/// use snapshots_runtime::retry::service_code;
///
/// let body = br#"{"RequestId": "6F3A", "Code": "Throttling.Api", "Message": "Request was denied due to api flow control."}"#;
/// assert_eq!(service_code(body).as_deref(), Some("Throttling.Api"));
/// assert_eq!(service_code(br#"{"error": {"code": "RATE_LIMIT_EXCEEDED"}}"#).as_deref(), Some("RATE_LIMIT_EXCEEDED"));
/// assert_eq!(service_code(b"<html>Bad Gateway</html>"), None);
/// ```
pub fn service_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = value
        .get("Code")
        .or_else(|| value.get("error").and_then(|e| e.get("code")))
        .or_else(|| value.get("detail").and_then(|d| d.get("code")))?;
    code.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_methods() {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(is_idempotent(&method), "{method}");
        }
        for method in [
            Method::POST,
            Method::PATCH,
            Method::CONNECT,
            Method::from_bytes(b"PURGE").unwrap(),
        ] {
            assert!(!is_idempotent(&method), "{method}");
        }
    }

    #[test]
    fn throttling_codes() {
        for code in [
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "Throttling.Concurrency",
            "ServiceUnavailable",
            "RATE_LIMIT_EXCEEDED",
        ] {
            assert!(is_throttling_code(code), "{code}");
        }
        for code in [
            "",
            "throttling",
            "ThrottlingX",
            "InternalError",
            "SERVICE_UNAVAILABLE",
            "CONCURRENCY_LIMIT_EXCEEDED",
            "Forbidden.RAM",
        ] {
            assert!(!is_throttling_code(code), "{code}");
        }
    }

    #[test]
    fn service_codes() {
        assert_eq!(
            service_code(br#"{"Code": "ServiceUnavailable"}"#).as_deref(),
            Some("ServiceUnavailable")
        );
        assert_eq!(
            service_code(br#"{"detail": {"code": "INTERNAL_ERROR", "message": "x"}}"#).as_deref(),
            Some("INTERNAL_ERROR")
        );
        assert_eq!(service_code(br#"{"detail": "text"}"#), None);
        assert_eq!(service_code(br#"{"Code": 5}"#), None);
        assert_eq!(service_code(b"[1, 2]"), None);
        assert_eq!(service_code(b""), None);
    }
}
