//! [`ServiceError`]: an error answer of a service, read through the generated
//! [`ErrorShape`] of its API (the spec's `x-error`): code, message, request id and details
//! are found at the shape's property paths, and the shape's code lists classify the error
//! ([`ServiceError::is_auth_failure`], [`ServiceError::is_throttled`],
//! [`ServiceError::is_not_found`]). Nothing here knows an API: a fourth API's errors work
//! the same once its spec has an `x-error`.

use std::fmt;

use reqwest::header::HeaderMap;
use serde_json::{Map, Value};
use snapshots_runtime::bounded;
use snapshots_runtime::error_shape::ErrorShape;
pub use snapshots_runtime::error_shape::FieldError;

/// An error answer of a service.
///
/// `Display` names the API, the status, the code, the request id and the message; `Debug`
/// shows the same facts and a bounded copy of the body.
///
/// ```
/// use snapshots::Error;
///
/// let body = graph_olap::types::ErrorBody::DetailEnvelope(serde_json::from_value(
///     serde_json::json!({"detail": {"code": "UNAUTHORIZED", "message": "X-Username header required."}}),
/// ).unwrap());
/// let status = reqwest::StatusCode::UNAUTHORIZED;
/// let response = graph_olap::ResponseValue::new(body, status, Default::default());
/// let error = Error::from(graph_olap::Error::ErrorResponse(response));
/// let service = error.service().unwrap();
/// assert_eq!(service.api, "Graph OLAP");
/// assert_eq!(service.code.as_deref(), Some("UNAUTHORIZED"));
/// assert!(service.is_auth_failure());
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The API that answered, as its spec's `x-error` names it (`PAI-DSW`, `Graph OLAP`).
    pub api: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The service's error code as text (Alibaba's `Code`, Graph OLAP's `error.code` or
    /// `detail.code`: wherever the spec's `x-error` says).
    pub code: Option<String>,
    /// The service's message (Alibaba's `Message`, Graph OLAP's `error.message`,
    /// `detail.message` or the `detail` text).
    pub message: Option<String>,
    /// The request id: from the body, else from the response header.
    pub request_id: Option<String>,
    /// The error body as JSON; `None` for an undocumented status whose body was not read
    /// (see [`crate::Error::from_response`]).
    pub body: Option<Value>,
    /// Where the API's error body keeps its facts (generated from `x-error`).
    pub shape: &'static ErrorShape,
    /// Whether the operation's spec declares this answer a conflict (`x-conflicts`: Graph
    /// OLAP's 500 on deleting a snapshot an instance still uses); see [`Self::is_conflict`].
    pub declared_conflict: bool,
}

impl ServiceError {
    /// The service error of `body` (`None`: not read), answered with `status` and `headers`,
    /// read through `shape`. Every text is bounded to [`snapshots_runtime::MAX_QUOTED_CHARS`]
    /// characters.
    pub fn new(
        shape: &'static ErrorShape,
        status: u16,
        headers: &HeaderMap,
        body: Option<Value>,
    ) -> Self {
        let found = |paths| body.as_ref().and_then(|b| shape.text(b, paths)).map(bound);
        let request_id =
            found(shape.request_id).or_else(|| header(headers, shape.request_id_header));
        ServiceError {
            api: shape.api,
            status,
            code: found(shape.code),
            message: found(shape.message),
            request_id,
            body,
            shape,
            declared_conflict: false,
        }
    }

    /// The same error, marked as an answer the operation's spec declares a conflict.
    pub(crate) fn declared_conflict(mut self) -> Self {
        self.declared_conflict = true;
        self
    }

    /// The field errors of the body (Graph OLAP's 422 `details.errors[{field, message,
    /// type}]` and the admin routes' 400 `details.field`: wherever the spec's
    /// `x-error.field-errors` says), in the body's order; empty when there are none. Texts
    /// are bounded; an entry without a message takes the error's message.
    ///
    /// ```
    /// use snapshots::Error;
    /// let body: graph_olap::types::ErrorBody = serde_json::from_value(serde_json::json!({
    ///     "error": {"code": "VALIDATION_FAILED", "message": "Request validation failed",
    ///               "details": {"errors": [{"field": "body.mapping_id",
    ///                   "message": "Input should be greater than 0", "type": "greater_than"}]}},
    ///     "meta": {"request_id": "f489dd7d"}})).unwrap();
    /// let response = graph_olap::ResponseValue::new(body, reqwest::StatusCode::UNPROCESSABLE_ENTITY, Default::default());
    /// let error = Error::from(graph_olap::Error::ErrorResponse(response));
    /// let fields = error.service().unwrap().field_errors();
    /// assert_eq!(fields[0].location, "body.mapping_id");
    /// assert_eq!(fields[0].message.as_deref(), Some("Input should be greater than 0"));
    /// assert_eq!(fields[0].kind.as_deref(), Some("greater_than"));
    /// assert!(error.to_string().contains("body.mapping_id: Input should be greater than 0"));
    /// ```
    pub fn field_errors(&self) -> Vec<FieldError> {
        let Some(body) = &self.body else {
            return Vec::new();
        };
        ErrorShape::read_field_errors(self.shape.field_errors, body)
            .into_iter()
            .map(|e| FieldError {
                location: bound(&e.location),
                message: e
                    .message
                    .or_else(|| self.message.clone())
                    .map(|m| bound(&m)),
                kind: e.kind.map(|k| bound(&k)),
            })
            .collect()
    }

    /// Whether the request conflicts with the resource's state: HTTP 409, or an answer the
    /// operation's spec declares a conflict whatever its status (`x-conflicts`: Graph OLAP
    /// answers deleting a snapshot an instance still uses with 500 `INTERNAL_ERROR`). A
    /// declared conflict is never retried.
    pub fn is_conflict(&self) -> bool {
        self.status == 409 || self.declared_conflict
    }

    /// A named fact of the body that the spec's `x-error` lists under `facts` (`host-id`,
    /// `recommend`), when the body has it.
    pub fn fact(&self, name: &str) -> Option<&str> {
        let paths = self.shape.fact(name)?;
        self.shape.text(self.body.as_ref()?, paths)
    }

    /// Alibaba's `HostId`, the endpoint that handled the request (the `host-id` fact).
    pub fn host_id(&self) -> Option<&str> {
        self.fact("host-id")
    }

    /// Alibaba's `Recommend`, a link to the diagnosis page of the error (the `recommend`
    /// fact).
    pub fn recommend(&self) -> Option<&str> {
        self.fact("recommend")
    }

    /// The free-form details object of the body (Graph OLAP's `error.details`, DSW's
    /// `AccessDeniedDetail`: wherever the spec's `x-error` says), when it has one.
    pub fn details(&self) -> Option<&Map<String, Value>> {
        self.shape.object(self.body.as_ref()?, self.shape.details)
    }

    /// Graph OLAP's typed error code (a known [`graph_olap::types::ErrorCode`], or the text
    /// of an unknown one); `None` for the other APIs and a body without a code.
    pub fn graph_olap_code(&self) -> Option<graph_olap::types::ErrorCodeValue> {
        if *self.shape != graph_olap::ERROR_SHAPE {
            return None;
        }
        serde_json::from_value(Value::String(self.code.clone()?)).ok()
    }

    /// Graph OLAP's `error.details` (`None` for the other APIs and shapes).
    pub fn graph_olap_details(&self) -> Option<&Map<String, Value>> {
        if *self.shape != graph_olap::ERROR_SHAPE {
            return None;
        }
        self.details()
    }

    /// Whether the body was not read (an undocumented status converted by [`From`]).
    pub fn is_unread(&self) -> bool {
        self.body.is_none()
    }

    /// Whether the service refused the credentials, the signature or the permission: HTTP
    /// 401 or 403, or one of the API's authentication codes (`x-error.auth-codes`, matched
    /// with their dotted refinements: `InvalidTimeStamp.Expired`), whatever the status.
    pub fn is_auth_failure(&self) -> bool {
        matches!(self.status, 401 | 403) || self.code_in(self.shape.auth_codes)
    }

    /// Whether the service throttled the caller: HTTP 429, or one of the API's throttling
    /// codes (`x-error.throttling-codes`).
    pub fn is_throttled(&self) -> bool {
        self.status == 429 || self.code_in(self.shape.throttling_codes)
    }

    /// Whether the resource does not exist: HTTP 404 or one of the API's not-found codes
    /// (`x-error.not-found-codes`), and not an authentication failure (Alibaba answers
    /// `InvalidAccessKeyId.NotFound` with 404).
    pub fn is_not_found(&self) -> bool {
        !self.is_auth_failure() && (self.status == 404 || self.code_in(self.shape.not_found_codes))
    }

    /// Whether the same request may succeed later: throttled, or a 500, 502, 503 or 504
    /// that is not a declared conflict.
    pub fn is_retryable(&self) -> bool {
        self.is_throttled()
            || (!self.declared_conflict && matches!(self.status, 500 | 502 | 503 | 504))
    }

    fn code_in(&self, codes: &[&str]) -> bool {
        self.code
            .as_deref()
            .is_some_and(|code| ErrorShape::matches(codes, code))
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match (&self.message, &self.body) {
            (Some(message), _) => message.as_str(),
            (None, None) => "(undocumented status; body not read)",
            (None, Some(_)) => "(no message)",
        };
        write!(
            f,
            "{} error: HTTP {}, code {}, request id {}: {message}",
            self.api,
            self.status,
            self.code.as_deref().unwrap_or("unknown"),
            self.request_id.as_deref().unwrap_or("unknown"),
        )?;
        if self.declared_conflict {
            f.write_str(" (a conflict: the spec declares this answer one)")?;
        }
        let fields = self.field_errors();
        for (i, field) in fields.iter().enumerate() {
            let separator = if i == 0 { "; fields: " } else { "; " };
            write!(f, "{separator}{}", field.location)?;
            if let Some(message) = &field.message {
                write!(f, ": {message}")?;
            }
            if let Some(kind) = &field.kind {
                write!(f, " ({kind})")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("api", &self.api)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("field_errors", &self.field_errors())
            .field("declared_conflict", &self.declared_conflict)
            .field("body", &self.body.as_ref().map(|b| bounded(&b.to_string())))
            .finish_non_exhaustive()
    }
}

impl std::error::Error for ServiceError {}

/// The value of header `name`, when present, text and not empty, bounded.
pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(bound)
}

/// `text`, bounded to [`snapshots_runtime::MAX_QUOTED_CHARS`] characters.
fn bound(text: &str) -> String {
    if text.len() > snapshots_runtime::MAX_QUOTED_CHARS {
        bounded(text)
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn dsw(status: u16, code: &str) -> ServiceError {
        let body = json!({"Code": code, "HostId": "h", "Recommend": "r"});
        ServiceError::new(&pai_dsw::ERROR_SHAPE, status, &HeaderMap::new(), Some(body))
    }

    #[test]
    fn classification_by_status_and_code() {
        assert!(dsw(404, "InvalidAccessKeyId.NotFound").is_auth_failure());
        assert!(!dsw(404, "InvalidAccessKeyId.NotFound").is_not_found());
        assert!(dsw(404, "InstanceSnapshotNotFound").is_not_found());
        assert!(dsw(400, "SignatureDoesNotMatch").is_auth_failure());
        assert!(dsw(400, "Throttling.User").is_throttled());
        assert!(dsw(400, "Throttling.User").is_retryable());
        assert!(dsw(503, "ServiceUnavailable").is_retryable());
        assert!(!dsw(400, "InvalidParameter").is_retryable());
        assert!(!dsw(400, "InvalidParameter").is_auth_failure());
        let olap = ServiceError::new(
            &graph_olap::ERROR_SHAPE,
            409,
            &HeaderMap::new(),
            Some(json!({"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "m"}})),
        );
        assert!(olap.is_throttled());
        assert_eq!(dsw(400, "X").host_id(), Some("h"));
        assert_eq!(dsw(400, "X").recommend(), Some("r"));
        assert_eq!(dsw(400, "X").graph_olap_code(), None);
    }

    #[test]
    fn unread_bodies_fall_back_to_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "REQ".parse().expect("header"));
        let e = ServiceError::new(&graph_olap::ERROR_SHAPE, 503, &headers, None);
        assert_eq!(e.request_id.as_deref(), Some("REQ"));
        assert!(e.is_unread());
        assert!(e.to_string().contains("body not read"), "{e}");
    }

    proptest! {
        #[test]
        // Characters `Debug` prints as themselves (no marks, controls, quotes or backslashes),
        // so that the length bound below measures the text kept, not its escaping.
        fn texts_are_bounded(
            code in "[^\\p{M}\\p{C}\"\\\\]{0,2000}",
            message in "[^\\p{M}\\p{C}\"\\\\]{0,2000}",
        ) {
            let body = json!({"Code": code, "Message": message});
            let e = ServiceError::new(&pai_dsw::ERROR_SHAPE, 400, &HeaderMap::new(), Some(body));
            let max = snapshots_runtime::MAX_QUOTED_CHARS + 1;
            prop_assert!(e.code.as_deref().unwrap_or_default().chars().count() <= max);
            prop_assert!(e.message.as_deref().unwrap_or_default().chars().count() <= max);
            let debug = format!("{e:?}");
            // code, message and the body: each bounded to `max` characters.
            prop_assert!(debug.chars().count() < 4 * max + 400, "{}", debug.chars().count());
        }
    }
}
