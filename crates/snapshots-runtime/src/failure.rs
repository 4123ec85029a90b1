//! [`Failure`]: why the runtime ended a call itself, failing closed, instead of handing a
//! response to the generated code.
//!
//! The generated clients' hook (`progenitor_client::ClientHooks::exec`) can only return a
//! `reqwest::Result`, so a [`Failure`] travels as the *source* of a `reqwest::Error`
//! ([`Failure::into_reqwest`]) and is found again, typed, with [`Failure::find`]; the
//! `snapshots` facade turns each kind into its own error variant. Nothing in a failure is a
//! secret, and every text quoted from the network is bounded ([`MAX_QUOTED_CHARS`]).
//!
//! ```
//! use snapshots_runtime::Failure;
//!
//! # futures::executor::block_on(async {
//! let failure = Failure::BodyTooLarge { status: 200, limit: 1024, request_id: None };
//! let error: reqwest::Error = failure.into_reqwest().await;
//! let found = Failure::find(&error).expect("the failure is in the source chain");
//! assert!(matches!(found, Failure::BodyTooLarge { limit: 1024, .. }));
//! # });
//! ```

use std::error::Error as StdError;
use std::fmt;

/// The most characters of a text from the network (a `Location`, a body snippet) that a
/// [`Failure`] quotes; longer texts are cut and end with `…`.
pub const MAX_QUOTED_CHARS: usize = 512;

/// Why the runtime ended a call without a usable response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The request could not be authenticated as configured (a credential that cannot be a
    /// header value, a request the signer cannot sign): nothing was sent.
    #[error("request not sent: it cannot be authenticated as configured: {reason}")]
    Unauthenticated {
        /// What is wrong, without any secret.
        reason: String,
    },

    /// The credentials provider could not supply credentials (its service failed, was slow
    /// or answered garbage, and nothing cached may be served): nothing was sent.
    #[error("request not sent: {0}")]
    Credentials(#[from] crate::auth::CredentialsError),

    /// The generated client asked for an operation its `OPERATIONS` table does not list
    /// (a generated crate out of step with its spec): nothing was sent.
    #[error("request not sent: operation `{operation}` is not in the generated operation table")]
    UnknownOperation {
        /// progenitor's id of the operation.
        operation: String,
    },

    /// The request cannot be sent over the client's transport profile
    /// ([`crate::Transport::ActionPath`]): the operation has no action name, its path does
    /// not match its template, a path parameter is not UTF-8 once decoded, or the body of a
    /// POST/PUT is not a JSON object. Nothing was sent.
    #[error("request not sent: operation `{operation}` cannot be sent over the action-path transport: {reason}")]
    Untransportable {
        /// progenitor's id of the operation.
        operation: String,
        /// What is wrong (no secret, no body).
        reason: String,
    },

    /// The server answered with a redirect the runtime does not follow (see
    /// [`crate::RedirectPolicy`]): the APIs never redirect, so this is a misconfigured base
    /// URL or a hostile server. No credential was sent to the redirect's target.
    #[error("HTTP {status} redirect to {} not followed: {refusal}", quoted_or_none(.location))]
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header, bounded, when there was one.
        location: Option<String>,
        /// Why the redirect was not followed.
        refusal: RedirectRefusal,
    },

    /// The response body was longer than the limit ([`crate::RuntimeBuilder::max_response_body`]);
    /// the rest of it was not read. Never retried.
    #[error("HTTP {status} response body exceeds the limit of {limit} bytes; not read")]
    BodyTooLarge {
        /// The HTTP status of the response.
        status: u16,
        /// The limit in bytes.
        limit: usize,
        /// The request id from the response headers, when there was one.
        request_id: Option<String>,
    },

    /// The server gave an answer its spec declares a conflict (`x-conflicts`: Graph OLAP's
    /// 500 `INTERNAL_ERROR` on deleting a snapshot an instance still uses). Never retried;
    /// the facade reads the body as a service error that `is_conflict()`.
    #[error("HTTP {status} answer to `{operation}` is a conflict (the spec's x-conflicts): {}", quoted(&snippet(.body)))]
    DeclaredConflict {
        /// progenitor's id of the operation.
        operation: String,
        /// The HTTP status of the response.
        status: u16,
        /// The response headers (boxed: a failure stays small).
        headers: Box<http::HeaderMap>,
        /// The response body (already bounded by the runtime's body limit).
        body: bytes::Bytes,
    },

    /// A query parameter the server does not honour (the spec's `x-server-support`) was about
    /// to be sent to be silently ignored: refused before anything was sent.
    #[error("request not sent: `{operation}` parameter `{parameter}`: {reason}")]
    NotHonoured {
        /// progenitor's id of the operation.
        operation: String,
        /// The query parameter, as the wire spells it.
        parameter: String,
        /// Why, and what to do instead.
        reason: String,
    },

    /// The call's total time limit ([`crate::RetryConfig::total_timeout`]) passed before it
    /// ended: every attempt, retry delay and rate-limit wait counts; whatever was in flight
    /// was dropped. `reqwest::Error::is_timeout` is true for the error that carries it (its
    /// source is an I/O error of kind `TimedOut`).
    #[error("call timed out: its total time limit of {limit:?} passed")]
    TimedOut {
        /// The total time limit.
        limit: std::time::Duration,
        /// An I/O error of kind `TimedOut`.
        source: std::io::Error,
    },

    /// The response body is not what the spec documents for its status (not JSON, empty,
    /// another shape).
    #[error(
        "HTTP {status} response body does not decode as documented (request id {}): {source}; body: {}",
        request_id.as_deref().unwrap_or("unknown"),
        quoted(.snippet)
    )]
    Undecodable {
        /// The HTTP status of the response.
        status: u16,
        /// The request id from the response headers, when there was one.
        request_id: Option<String>,
        /// The start of the body, at most [`MAX_QUOTED_CHARS`] characters.
        snippet: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// Why a redirect was not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectRefusal {
    /// Following redirects is off ([`crate::RedirectPolicy::None`], the default).
    NotFollowing,
    /// The target is another origin (scheme, host or port): credentials never leave theirs.
    CrossOrigin,
    /// A 301, 302 or 303 would turn a request other than GET or HEAD into a GET.
    MethodChange,
    /// The `Location` header is missing or not a URL.
    BadLocation,
    /// More redirects in a row than the policy allows.
    TooMany,
    /// The HTTP client followed the redirect by itself (it was not built with
    /// `redirect::Policy::none()`); its answer was discarded.
    FollowedByClient,
}

impl fmt::Display for RedirectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFollowing => "the client does not follow redirects",
            Self::CrossOrigin => "the target is another origin, and credentials never leave theirs",
            Self::MethodChange => "it would turn the request into a GET",
            Self::BadLocation => "no valid Location header",
            Self::TooMany => "too many redirects in a row",
            Self::FollowedByClient => {
                "the HTTP client followed it by itself (build it with redirect::Policy::none(), e.g. snapshots_runtime::http_client_builder()); its answer was discarded"
            }
        })
    }
}

impl Failure {
    /// The HTTP status of the response this failure is about, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Redirect { status, .. }
            | Failure::BodyTooLarge { status, .. }
            | Failure::Undecodable { status, .. }
            | Failure::DeclaredConflict { status, .. } => Some(*status),
            Failure::NotHonoured { .. }
            | Failure::Unauthenticated { .. }
            | Failure::UnknownOperation { .. }
            | Failure::Untransportable { .. }
            | Failure::TimedOut { .. }
            | Failure::Credentials(_) => None,
        }
    }

    /// This failure as a `reqwest::Error` whose source is the failure (what a generated
    /// client's hook must return). Resolves at once: no I/O happens.
    pub async fn into_reqwest(self) -> reqwest::Error {
        let frames =
            futures_util::stream::iter(Some(Err::<http_body::Frame<bytes::Bytes>, _>(self)));
        let body = reqwest::Body::wrap(http_body_util::StreamBody::new(frames));
        let response = reqwest::Response::from(http::Response::new(body));
        match response.bytes().await {
            // The synthetic response has no URL worth showing.
            Err(error) => error.without_url(),
            // The body's only frame is the error, so reading it fails.
            Ok(_) => unreachable_body(),
        }
    }

    /// The failure in `error`'s source chain (`error` itself included), if any.
    pub fn find<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Failure> {
        let mut next: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(current) = next {
            if let Some(failure) = current.downcast_ref::<Failure>() {
                return Some(failure);
            }
            next = current.source();
        }
        None
    }
}

#[cold]
fn unreachable_body() -> reqwest::Error {
    // `reqwest::Error` has no public constructor; a body whose only frame is an error always
    // fails to read, so this is never reached. Fail closed all the same.
    panic!("a body made of one error frame was read successfully")
}

/// The request id of a response (`x-acs-request-id`, else `x-request-id`), bounded.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-acs-request-id", "x-request-id"].iter().find_map(|h| {
        let value = headers.get(*h)?.to_str().ok()?;
        Some(bounded(value))
    })
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters (with `…` when cut), control characters
/// shown as `\u{..}` escapes so that a hostile text cannot forge log lines.
pub fn bounded(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_QUOTED_CHARS + 8));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_QUOTED_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `error` and its sources, `: `-separated, bounded: a cause whose text its parent already
/// ends with is not repeated (reqwest and hyper often quote their cause), and at most 16
/// causes are followed (a hostile server controls some of these texts).
///
/// ```
/// let io = std::io::Error::other("connection reset");
/// assert_eq!(snapshots_runtime::chain(&io), "connection reset");
/// ```
pub fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    let mut depth = 0;
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        depth += 1;
        if depth == 16 || text.len() > MAX_QUOTED_CHARS * 4 {
            break;
        }
        next = cause.source();
    }
    bounded(&text)
}

/// The start of a body as text: its first [`MAX_QUOTED_CHARS`] characters at most (a
/// prefix, nothing escaped or appended), invalid UTF-8 replaced by U+FFFD. Never splits a
/// character, and never decodes more of a huge body than it quotes: only the first
/// `4 * MAX_QUOTED_CHARS` bytes are read, which hold at least that many whole characters.
///
/// ```
/// let snippet = snapshots_runtime::snippet("é".repeat(5000).as_bytes());
/// assert_eq!(snippet.chars().count(), snapshots_runtime::MAX_QUOTED_CHARS);
/// ```
pub fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(MAX_QUOTED_CHARS * 4)];
    String::from_utf8_lossy(head)
        .chars()
        .take(MAX_QUOTED_CHARS)
        .collect()
}

fn quoted(text: &str) -> String {
    if text.is_empty() {
        "(empty)".to_owned()
    } else {
        format!("{text:?}")
    }
}

fn quoted_or_none(text: &Option<String>) -> String {
    text.as_deref()
        .map_or_else(|| "(no Location)".to_owned(), quoted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[tokio::test]
    async fn a_failure_survives_the_trip_through_reqwest() {
        let failure = Failure::Redirect {
            status: 307,
            location: Some("http://elsewhere/".into()),
            refusal: RedirectRefusal::CrossOrigin,
        };
        let error = failure.into_reqwest().await;
        let found = Failure::find(&error).unwrap();
        assert_eq!(found.status(), Some(307));
        assert!(matches!(
            found,
            Failure::Redirect {
                refusal: RedirectRefusal::CrossOrigin,
                ..
            }
        ));
        assert!(!error.is_timeout() && !error.is_connect());
    }

    #[test]
    fn texts_are_bounded_and_escaped() {
        let long = "x".repeat(5_000_000);
        assert_eq!(bounded(&long).chars().count(), MAX_QUOTED_CHARS + 1);
        assert_eq!(bounded("a\r\nb"), "a\\r\\nb");
        assert_eq!(snippet(&[0xff, b'a']), "\u{fffd}a");
    }

    proptest! {
        #[test]
        fn bounded_never_exceeds_the_limit(text in ".{0,1500}") {
            let out = bounded(&text);
            // Each kept character becomes at most 10 (an escape `\u{10ffff}`), plus the `…`.
            prop_assert!(out.chars().count() <= MAX_QUOTED_CHARS * 10 + 1);
            prop_assert!(!out.chars().any(char::is_control));
            if text.chars().count() <= MAX_QUOTED_CHARS && !text.chars().any(char::is_control) {
                prop_assert_eq!(out, text);
            }
        }
    }
}
