//! [`Error`]: the one error type of the SDK, and its conversions from the generated clients'
//! errors.
//!
//! Every generated operation returns `progenitor_client::Error<E>` (re-exported as
//! `pai_dsw::Error`, `pai_langstudio::Error`, `graph_olap::Error`), where `E` is the API's
//! error body: [`pai_dsw::types::AlibabaError`], [`pai_langstudio::types::AlibabaError`] or
//! [`graph_olap::types::ErrorBody`]. Each generated crate implements
//! [`ErrorBody`](snapshots_runtime::error_shape::ErrorBody) for its error body, from its
//! spec's `x-error` (where the code, message and request id are, what the codes mean), so
//! that one generic conversion reads them all: `?` turns any of them into [`Error`] (the
//! [`From`] conversion); [`Error::from_response`] does the same and also reads the body of a response
//! whose status the spec does not document, so that its service code is kept.
//!
//! | generated error | [`Error`] |
//! | --- | --- |
//! | `ErrorResponse` (a documented 4xx/5xx with a service body) | [`Error::Service`] |
//! | `UnexpectedResponse` with status >= 400 | [`Error::Service`] (code and message only with [`Error::from_response`]) |
//! | `InvalidResponsePayload` (a body that is not the documented JSON) | [`Error::Decode`] |
//! | `CommunicationError` carrying a runtime [`Failure`]: a body that does not decode as documented | [`Error::Decode`], with the status |
//! | ... a redirect not followed | [`Error::Redirect`] |
//! | ... a body over the size limit | [`Error::ResponseTooLarge`] |
//! | ... credentials that cannot be sent as configured, or a provider that cannot supply them | [`Error::Credentials`] (nothing was sent) |
//! | ... an operation missing from the generated table, or a request its transport profile cannot carry | [`Error::Config`] (nothing was sent) |
//! | `CommunicationError`, `ResponseBodyError` that timed out | [`Error::Timeout`] |
//! | a request reqwest cannot build (a URL too long, say) | [`Error::Validation`] of `request` |
//! | other `CommunicationError`, `ResponseBodyError`, `InvalidUpgrade`, `Custom` | [`Error::Transport`] |
//! | `InvalidRequest` (a builder value that does not convert, a missing required value) | [`Error::Validation`] |
//!
//! No message built here contains a secret: credentials never reach an error (the runtime
//! signs a copy of each request), and only the response's status, headers and a bounded
//! snippet of its body are quoted. Every text from the network is bounded
//! ([`snapshots_runtime::MAX_QUOTED_CHARS`] characters: messages, codes, request ids,
//! `Location`s), and a transport error shows its whole cause chain, bounded too.

use std::fmt;

use serde_json::Value;
use snapshots_runtime::auth::CredentialsError;
use snapshots_runtime::rules::Rule;
use snapshots_runtime::{chain, Failure, RedirectRefusal};

pub use crate::service::ServiceError;
/// The trait every generated error body implements (from its spec's `x-error`), and the
/// shape it describes; [`Error::from_response`] and the [`From`] conversion take any of them.
pub use snapshots_runtime::error_shape::{ErrorBody, ErrorShape};

/// A boxed error source (a `reqwest::Error` for transport failures and timeouts).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The most characters of a response body [`Error::Decode`] quotes.
pub const MAX_SNIPPET_CHARS: usize = snapshots_runtime::MAX_QUOTED_CHARS;

/// Everything that can go wrong with a call through the SDK.
///
/// Match on the variant to decide what to do; [`status`](Error::status),
/// [`code`](Error::code) and [`request_id`](Error::request_id) read the common facts of
/// whichever variant has them. New variants may be added, so keep a catch-all arm.
///
/// ```
/// use snapshots::{validate, Error};
///
/// // Validation happens before anything is sent.
/// let error = validate::graph_olap_limit(500).unwrap_err();
/// match &error {
///     Error::Validation { field, rule } => {
///         assert_eq!(field, "limit");
///         assert!(rule.contains("max 100"), "{rule}");
///     }
///     other => panic!("unexpected: {other}"),
/// }
/// assert_eq!(error.status(), None);
/// assert!(error.to_string().starts_with("invalid `limit`"));
/// ```
///
/// A service error, with the facts a support ticket needs:
///
/// ```no_run
/// use snapshots::{Client, Error};
///
/// # async fn demo() -> Result<(), Error> {
/// let client = Client::from_env()?;
/// let result = client
///     .dsw()?
///     .get_instance_snapshot()
///     .instance_id("dsw-730xxxxxxxxxx")
///     .snapshot_id("snp-05cexxxxxxxxx")
///     .send()
///     .await;
/// match result.map_err(Error::from) {
///     Ok(snapshot) => println!("{:?}", snapshot.status),
///     Err(e) if e.is_not_found() => println!("gone: {}", e.request_id().unwrap_or("-")),
///     Err(e) if e.is_retryable() => println!("try again later: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status: its HTTP status, service code, message and
    /// request id, read through the API's generated error shape ([`ServiceError`]).
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// A value was refused before anything was sent. `field` names the parameter or body
    /// member (as the wire spells it where the SDK checks it, as the generated builder
    /// spells it otherwise); `rule` says, in words, what it must be.
    #[error("invalid `{field}`: must be {rule}")]
    Validation {
        /// The parameter or body member.
        field: String,
        /// The rule it breaks, in words (from the seed where the seed states one).
        rule: String,
    },

    /// No usable credentials for the API whose accessor was called; the error lists the
    /// sources that were tried.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),

    /// The request, or reading its response, took longer than the connect or read timeout
    /// or the call's total time limit (after whatever retries the policy allowed).
    #[error("request timed out: {}", chain(.source.as_ref()))]
    Timeout {
        /// The underlying error (a `reqwest::Error`).
        source: BoxError,
    },

    /// The request could not be sent or its response not read: connection refused, reset,
    /// TLS, DNS, a response head the HTTP stack refused (too many or too large headers).
    /// Retries, if any, are already exhausted. `Display` shows the whole cause chain.
    #[error("transport error: {}", chain(.source.as_ref()))]
    Transport {
        /// The underlying error (a `reqwest::Error`, or a client hook's message).
        source: BoxError,
    },

    /// A response body that is not what the spec documents (not JSON, an empty body, another
    /// shape). `status` is always known for responses received through the runtime (it
    /// checks every body against the spec's types); it is `None` only for an
    /// `InvalidResponsePayload` built elsewhere.
    #[error(
        "could not decode the response (HTTP {}, request id {}): {}",
        or_unknown(.status),
        or_unknown(.request_id),
        quoted(.snippet)
    )]
    Decode {
        /// The HTTP status, when known.
        status: Option<u16>,
        /// The request id from the response headers, when known.
        request_id: Option<String>,
        /// The start of the body: at most [`MAX_SNIPPET_CHARS`] characters, invalid UTF-8
        /// replaced by U+FFFD.
        snippet: String,
        /// The JSON error, when the body was parsed.
        source: Option<serde_json::Error>,
    },

    /// The service answered with a redirect, which the client does not follow (the APIs never
    /// redirect; a base URL that is wrong or a hostile server does). No credential was sent
    /// to the redirect's target. See [`snapshots_runtime::RedirectPolicy`].
    #[error(
        "HTTP {status} redirect to {} not followed: {refusal}",
        location.as_deref().unwrap_or("(no Location)")
    )]
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header (bounded), when there was one.
        location: Option<String>,
        /// Why it was not followed.
        refusal: RedirectRefusal,
    },

    /// The response body was longer than the client's limit (see
    /// [`crate::ClientBuilder::max_response_body`]); the rest was not read, and the call was
    /// not retried.
    #[error(
        "HTTP {status} response body exceeds the limit of {limit} bytes (request id {})",
        or_unknown(.request_id)
    )]
    ResponseTooLarge {
        /// The HTTP status of the response.
        status: u16,
        /// The limit in bytes.
        limit: usize,
        /// The request id from the response headers, when known.
        request_id: Option<String>,
    },

    /// A paginated listing ([`crate::paginate`]) could not go on: the server repeated a
    /// continuation token or a page, or its cursor went backwards. Stopping is the only safe
    /// answer (going on would loop forever or repeat items); the pages already yielded are
    /// correct.
    #[error("pagination of `{operation}` stopped: {message}")]
    Pagination {
        /// The listing operation (`list_instance_snapshot`, `list_snapshots`, ...).
        operation: &'static str,
        /// What the server did wrong.
        message: String,
    },

    /// A listing ([`crate::paginate`]) ended with fewer distinct items than the total the
    /// server announced, even after listing again once (the server ordered ties differently
    /// per page, or items were deleted meanwhile). The items already yielded are correct and
    /// distinct; `missing` of them were never seen.
    #[error("listing `{operation}` is incomplete: the server announced {expected} items, {seen} distinct ones were received (listed twice), {missing} missing")]
    IncompleteListing {
        /// The listing operation.
        operation: &'static str,
        /// The number of items the server announced (its last total).
        expected: u64,
        /// The distinct items received.
        seen: u64,
        /// `expected - seen`.
        missing: u64,
    },

    /// A query parameter the server does not honour (the spec's `x-server-support`) was
    /// refused before anything was sent: a value the server would ignore (`sort_by=status`),
    /// or a parameter only the client can apply, set on a single request (`.send()`,
    /// `.pages()`) instead of `.items()`, which applies it while streaming.
    #[error("`{operation}` parameter `{parameter}` not sent: {reason}")]
    NotHonoured {
        /// The operation.
        operation: String,
        /// The query parameter, as the wire spells it.
        parameter: String,
        /// Why, and what to do instead.
        reason: String,
    },

    /// A waiter ([`crate::wait`]) saw the resource reach a final status that is a failure:
    /// DSW `Failed` (with `ReasonCode`/`ReasonMessage`), LangStudio `Failed`, Graph OLAP
    /// `failed` or `cancelled` (with `error_message`).
    #[error(
        "{resource} ended in status `{status}`{}{}",
        code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    WaitFailed {
        /// What was waited for, e.g. `PAI-DSW snapshot snp-123`.
        resource: String,
        /// The final status, as the service spelled it.
        status: String,
        /// The service's reason code, when it gave one (DSW `ReasonCode`).
        code: Option<String>,
        /// The service's explanation (DSW `ReasonMessage`, LangStudio and Graph OLAP
        /// `ErrorMessage`/`error_message`).
        message: Option<String>,
    },

    /// A waiter gave up: the resource was still not in a final status when the waiter's
    /// timeout ran out.
    #[error(
        "gave up waiting for {resource} after {waited:?}: last status `{}`",
        or_unknown(.last_status)
    )]
    WaitTimeout {
        /// What was waited for.
        resource: String,
        /// The status seen on the last poll, if any poll succeeded.
        last_status: Option<String>,
        /// How long the waiter waited.
        waited: std::time::Duration,
    },

    /// The client is not configured for this call: a base URL that is missing (Graph OLAP
    /// has no default) or invalid, an invalid region, an HTTP client that cannot be built.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => *status,
            Error::Redirect { status, .. } | Error::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The service's error code (`InvalidParameter`, `RESOURCE_NOT_FOUND`, ...), when the
    /// service gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// The request id to quote to the service's support: Alibaba's body `RequestId`, else
    /// the `x-acs-request-id` header; Graph OLAP's `meta.request_id`, else the `x-request-id`
    /// header.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } | Error::ResponseTooLarge { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Like the [`From`] conversion, but reads the body of a response whose status the spec
    /// does not document (for example a Graph OLAP 503, an Alibaba 401), so that its service
    /// code and message are kept, or, when it is not a service error body, quoted in
    /// [`Error::Decode`].
    ///
    /// ```no_run
    /// # async fn demo(olap: &graph_olap::Client) -> Result<(), snapshots::Error> {
    /// let page = match olap.list_snapshots().send().await {
    ///     Ok(page) => page.into_inner(),
    ///     Err(e) => return Err(snapshots::Error::from_response(e).await),
    /// };
    /// # let _ = page; Ok(()) }
    /// ```
    pub async fn from_response<E: ErrorBody>(error: progenitor_client::Error<E>) -> Self {
        let progenitor_client::Error::UnexpectedResponse(response) = error else {
            return Self::from(error);
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return transport(e),
        };
        let parsed = serde_json::from_slice::<Value>(&body)
            .and_then(|value| E::deserialize(&value).map(|_| value));
        match parsed {
            Ok(value) if status >= 400 => service(E::SHAPE, status, &headers, Some(value)),
            result => Error::Decode {
                status: Some(status),
                request_id: crate::service::header(&headers, E::SHAPE.request_id_header),
                snippet: snippet(&body),
                source: result.err().filter(|_| status >= 400),
            },
        }
    }

    /// Whether the service throttled the caller (HTTP 429, or a throttling code of the API's
    /// `x-error`, such as Alibaba's `Throttling.User`, answered with any status). Such a call
    /// is worth retrying later (the client's retries are already spent).
    ///
    /// ```
    /// use snapshots::Error;
    ///
    /// let body: pai_dsw::types::AlibabaError =
    ///     serde_json::from_value(serde_json::json!({"Code": "Throttling.User"})).unwrap();
    /// let response = pai_dsw::ResponseValue::new(body, reqwest::StatusCode::BAD_REQUEST, Default::default());
    /// let error = Error::from(pai_dsw::Error::ErrorResponse(response));
    /// assert!(error.is_throttled());
    /// assert!(error.is_retryable());
    /// assert!(!error.is_auth_failure());
    /// ```
    pub fn is_throttled(&self) -> bool {
        self.service().is_some_and(ServiceError::is_throttled)
    }

    /// Whether the service refused the credentials, the signature or the permission: HTTP
    /// 401 or 403, or an authentication code of the API's `x-error` (Alibaba's
    /// `SignatureDoesNotMatch` with 400, `InvalidAccessKeyId.NotFound` with 404). Missing
    /// local credentials are [`Error::Credentials`], not an authentication failure: nothing
    /// was sent.
    ///
    /// ```
    /// use snapshots::Error;
    ///
    /// let body: pai_dsw::types::AlibabaError =
    ///     serde_json::from_value(serde_json::json!({"Code": "InvalidAccessKeyId.NotFound"})).unwrap();
    /// let response = pai_dsw::ResponseValue::new(body, reqwest::StatusCode::NOT_FOUND, Default::default());
    /// let error = Error::from(pai_dsw::Error::ErrorResponse(response));
    /// assert!(error.is_auth_failure());
    /// assert!(!error.is_not_found(), "the key, not the resource, is missing");
    /// ```
    pub fn is_auth_failure(&self) -> bool {
        self.service().is_some_and(ServiceError::is_auth_failure)
    }

    /// Whether the resource does not exist: HTTP 404 or a not-found code of the API's
    /// `x-error` (Graph OLAP's `RESOURCE_NOT_FOUND`), unless it is an authentication failure.
    ///
    /// ```
    /// use snapshots::Error;
    ///
    /// let body = graph_olap::types::ErrorBody::DetailEnvelope(
    ///     serde_json::from_value(serde_json::json!({"detail": "Not Found"})).unwrap(),
    /// );
    /// let response = graph_olap::ResponseValue::new(body, reqwest::StatusCode::NOT_FOUND, Default::default());
    /// assert!(Error::from(graph_olap::Error::ErrorResponse(response)).is_not_found());
    /// assert!(!Error::Config("no base URL".into()).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.service().is_some_and(ServiceError::is_not_found)
    }

    /// Whether the request conflicts with the resource's state: HTTP 409, or an answer the
    /// operation's spec declares a conflict whatever its status (`x-conflicts`: Graph OLAP's
    /// 500 `INTERNAL_ERROR` on deleting a snapshot an instance still uses, which the runtime
    /// does not retry).
    ///
    /// ```
    /// use snapshots::Error;
    /// let body: graph_olap::types::ErrorBody = serde_json::from_value(serde_json::json!(
    ///     {"error": {"code": "INVALID_STATE", "message": "Snapshot 3 is in state 'ready', required 'failed'"}})).unwrap();
    /// let response = graph_olap::ResponseValue::new(body, reqwest::StatusCode::CONFLICT, Default::default());
    /// assert!(Error::from(graph_olap::Error::ErrorResponse(response)).is_conflict());
    /// ```
    pub fn is_conflict(&self) -> bool {
        self.service().is_some_and(ServiceError::is_conflict)
    }

    /// Whether the same call may succeed if made again later: a timeout, a transport
    /// failure (connection refused or reset, DNS, TLS), throttling, or a service answer of
    /// HTTP 500, 502, 503 or 504. Values refused before sending, credentials, decoding,
    /// redirects and waiters are not.
    ///
    /// ```
    /// use snapshots::{validate, Error};
    ///
    /// let transport = Error::Transport { source: "connection reset".into() };
    /// assert!(transport.is_retryable());
    /// assert!(!validate::graph_olap_limit(0).unwrap_err().is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Service(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Any generated operation's error, for `?`: one conversion for every API, reading the
/// error body through the generated [`ErrorBody`] impl of its crate.
///
/// An undocumented response (`UnexpectedResponse`) is converted without reading its body
/// (this conversion cannot wait): status >= 400 gives [`Error::Service`] with the status and
/// the header request id but no code or message ([`ServiceError::is_unread`]); a success
/// status gives [`Error::Decode`] with an empty snippet. Use [`Error::from_response`] to
/// read the body.
impl<E: ErrorBody> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as G;
        match error {
            G::InvalidRequest(message) => invalid_request(E::RULES, &message),
            G::CommunicationError(e) => match Failure::find(&e) {
                Some(Failure::DeclaredConflict {
                    status,
                    headers,
                    body,
                    ..
                }) => declared_conflict(E::SHAPE, *status, headers, body),
                _ => transport(e),
            },
            G::InvalidUpgrade(e) | G::ResponseBodyError(e) => transport(e),
            G::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = serde_json::to_value(response.into_inner()).ok();
                service(
                    E::SHAPE,
                    status,
                    &headers,
                    Some(body.unwrap_or(Value::Null)),
                )
            }
            G::InvalidResponsePayload(body, e) => Error::Decode {
                status: None,
                request_id: None,
                snippet: snippet(&body),
                source: Some(e),
            },
            G::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                if status >= 400 {
                    return service(E::SHAPE, status, response.headers(), None);
                }
                Error::Decode {
                    status: Some(status),
                    request_id: crate::service::header(
                        response.headers(),
                        E::SHAPE.request_id_header,
                    ),
                    snippet: String::new(),
                    source: None,
                }
            }
            G::Custom(message) => Error::Transport {
                source: message.into(),
            },
        }
    }
}

/// An [`Error::Service`] read through `shape` (every text bounded).
fn service(
    shape: &'static snapshots_runtime::error_shape::ErrorShape,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: Option<Value>,
) -> Error {
    Error::Service(Box::new(ServiceError::new(shape, status, headers, body)))
}

/// An answer the operation's spec declares a conflict: a service error (read through
/// `shape`) that [`ServiceError::is_conflict`].
fn declared_conflict(
    shape: &'static snapshots_runtime::error_shape::ErrorShape,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Error {
    let body = serde_json::from_slice::<Value>(body).ok();
    let error = ServiceError::new(shape, status, headers, Some(body.unwrap_or(Value::Null)));
    Error::Service(Box::new(error.declared_conflict()))
}

/// The error for a `reqwest::Error`: the runtime's [`Failure`] it carries, if any; else
/// `Timeout` for a timed-out request, `Validation` for a request that could not be built
/// (its URL left out: it can be huge), `Transport` otherwise.
fn transport(e: reqwest::Error) -> Error {
    if let Some(failure) = Failure::find(&e) {
        return from_failure(failure);
    }
    if e.is_timeout() {
        Error::Timeout {
            source: Box::new(e.without_url()),
        }
    } else if e.is_builder() {
        let why = chain(&e.without_url());
        crate::validate::error(
            "request",
            &format!("a request the HTTP client can build ({why})"),
        )
    } else {
        Error::Transport {
            source: Box::new(e.without_url()),
        }
    }
}

/// The facade's error for a failure of the runtime.
fn from_failure(failure: &Failure) -> Error {
    match failure {
        Failure::Unauthenticated { reason } => Error::Credentials(CredentialsError::Malformed {
            source_name: "the configured credentials".to_owned(),
            reason: format!("{reason}; the request was not sent"),
        }),
        Failure::UnknownOperation { .. } | Failure::Untransportable { .. } => {
            Error::Config(failure.to_string())
        }
        Failure::Credentials(error) => Error::Credentials(error.clone()),
        Failure::NotHonoured {
            operation,
            parameter,
            reason,
        } => Error::NotHonoured {
            operation: operation.clone(),
            parameter: parameter.clone(),
            reason: reason.clone(),
        },
        Failure::Redirect {
            status,
            location,
            refusal,
        } => Error::Redirect {
            status: *status,
            location: location.clone(),
            refusal: *refusal,
        },
        Failure::BodyTooLarge {
            status,
            limit,
            request_id,
        } => Error::ResponseTooLarge {
            status: *status,
            limit: *limit,
            request_id: request_id.clone(),
        },
        Failure::Undecodable {
            status,
            request_id,
            snippet,
            source,
        } => Error::Decode {
            status: Some(*status),
            request_id: request_id.clone(),
            snippet: snippet.clone(),
            source: Some(serde::de::Error::custom(source)),
        },
        // `Failure` is non-exhaustive: a kind this facade does not know yet is reported
        // as it displays.
        _ => Error::Transport {
            source: failure.to_string().into(),
        },
    }
}

/// Reads a generated builder's `InvalidRequest` message: `"<field> was not initialized"`,
/// ``"conversion to `<Type>` for <field> failed[: <why>]"``, or a body builder's
/// `"error converting supplied value for <member>: <reason>"` or
/// `"no value supplied for <member>"` (alone, from `body_map`, or as the `<why>` of a
/// `body` conversion).
fn invalid_request(rules: &'static [Rule], message: &str) -> Error {
    if let Some(field) = message.strip_suffix(" was not initialized") {
        return crate::validate::error(field, REQUIRED);
    }
    if let Some(error) = body_member(rules, message) {
        return error;
    }
    let Some((ty, rest)) = message
        .strip_prefix("conversion to `")
        .and_then(|rest| rest.split_once("` for "))
    else {
        return crate::validate::error("request", message);
    };
    let (field, why) = match rest.split_once(" failed") {
        Some((field, tail)) => (field, tail.strip_prefix(": ")),
        None => (rest, None),
    };
    if let Some(error) = why.and_then(|why| body_member(rules, why)) {
        return error;
    }
    let ty: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let ty = ty.rsplit("::").next().unwrap_or(&ty);
    let rule = crate::validate::rule_for_member(rules, field)
        .or_else(|| crate::validate::rule_for_type(rules, ty))
        .map(str::to_owned)
        .or_else(|| why.map(str::to_owned))
        .unwrap_or_else(|| format!("a valid `{ty}`"));
    crate::validate::error(field, &rule)
}

const REQUIRED: &str = "set (it is required)";

/// A body builder's refusal of one member, if `message` is one.
fn body_member(rules: &'static [Rule], message: &str) -> Option<Error> {
    if let Some((member, reason)) = message
        .strip_prefix("error converting supplied value for ")
        .and_then(|inner| inner.split_once(": "))
    {
        let rule = crate::validate::rule_for_member(rules, member).unwrap_or(reason);
        return Some(crate::validate::error(member, rule));
    }
    message
        .strip_prefix("no value supplied for ")
        .map(|member| crate::validate::error(member, REQUIRED))
}

/// The start of `body` ([`snapshots_runtime::snippet`]): at most [`MAX_SNIPPET_CHARS`]
/// characters, invalid UTF-8 replaced by U+FFFD.
pub(crate) fn snippet(body: &[u8]) -> String {
    snapshots_runtime::snippet(body)
}

fn or_unknown<T: fmt::Display>(value: &Option<T>) -> String {
    match value {
        Some(v) => v.to_string(),
        None => "unknown".to_owned(),
    }
}

fn quoted(snippet: &str) -> String {
    if snippet.is_empty() {
        "empty body".to_owned()
    } else {
        format!("body {snippet:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn snippet_is_bounded_and_a_prefix(body in proptest::collection::vec(any::<u8>(), 0..4000)) {
            let s = snippet(&body);
            prop_assert!(s.chars().count() <= MAX_SNIPPET_CHARS);
            let full = String::from_utf8_lossy(&body);
            prop_assert!(full.starts_with(&s), "not a prefix");
            prop_assert_eq!(s.chars().count(), full.chars().count().min(MAX_SNIPPET_CHARS));
        }

        #[test]
        fn snippet_of_text_never_splits_a_character(text in "\\PC{0,1500}") {
            let s = snippet(text.as_bytes());
            prop_assert!(text.starts_with(&s));
            let replaced = s.contains(char::REPLACEMENT_CHARACTER);
            prop_assert!(!replaced || text.contains(char::REPLACEMENT_CHARACTER));
        }
    }

    #[test]
    fn snippet_of_multibyte_text_at_the_cut() {
        let text = format!("a{}", "😀".repeat(1000));
        let s = snippet(text.as_bytes());
        assert_eq!(s.chars().count(), MAX_SNIPPET_CHARS);
        assert!(text.starts_with(&s));
    }

    #[test]
    fn invalid_request_messages_name_the_field() {
        let e = invalid_request(pai_dsw::RULES, "instance_id was not initialized");
        assert!(
            matches!(&e, Error::Validation { field, rule } if field == "instance_id" && rule.contains("required")),
            "{e:?}"
        );
        let e = invalid_request(
            pai_dsw::RULES,
            "conversion to `:: std :: num :: NonZeroU64` for page_number failed",
        );
        assert!(
            matches!(&e, Error::Validation { field, rule } if field == "page_number" && rule.starts_with("at least 1")),
            "{e:?}"
        );
        let e = invalid_request(
            pai_dsw::RULES,
            "conversion to `CreateInstanceSnapshotRequest` for body failed: error converting supplied value for snapshot_name: doesn't match pattern",
        );
        assert!(
            matches!(&e, Error::Validation { field, rule } if field == "snapshot_name" && rule.contains("lowercase")),
            "{e:?}"
        );
        let e = invalid_request(
            graph_olap::RULES,
            "conversion to `CreateSnapshotRequest` for body failed: no value supplied for name",
        );
        assert!(
            matches!(&e, Error::Validation { field, rule } if field == "name" && rule.contains("required")),
            "{e:?}"
        );
        let e = invalid_request(graph_olap::RULES, "something else");
        assert!(
            matches!(&e, Error::Validation { field, rule } if field == "request" && rule == "something else"),
            "{e:?}"
        );
    }
}
