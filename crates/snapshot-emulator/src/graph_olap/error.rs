//! Error answers in the three recorded shapes, and the `x-request-id` middleware that
//! stamps every answer (and the `meta.request_id` of error bodies) with the request's id.
//!
//! Shapes, as the control plane produces them:
//! - `{"error": {"code", "message", "details"}, "meta": {"request_id"}}` for application
//!   errors (404, 403 `PERMISSION_DENIED`, 409) and 422 validation failures
//!   (`details.errors[{field, message, type}]`); the 500 has no `details`;
//! - `{"detail": {"code", "message"}}` for identity failures (401, 403);
//! - `{"detail": "text"}` for the users routes and unknown routes;
//! - the emulator's own: the envelope with `INVALID_REQUEST` for a body too large (413) or
//!   unreadable (400), where upstream has no limit.

use super::validate::FieldError;
use crate::build::BuildError;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use graph_olap::types;
use serde_json::{json, Map, Value};

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    /// No `X-Username` (nor bearer token): 401.
    MissingIdentity,
    /// A bearer token that maps to no user: 401.
    InvalidToken,
    /// A username that is not provisioned: 403 `USER_NOT_PROVISIONED`.
    NotProvisioned(String),
    /// A disabled user: 403 `USER_DISABLED`.
    Disabled,
    /// `POST /api/users` by an analyst: 403 `{"detail": "Admin or Ops role required"}`.
    PrivilegeRequired,
    /// `GET /api/users/{username}` of another user by an analyst: 403
    /// `{"detail": "Cannot view other users"}`.
    CannotViewOthers,
    /// `GET /api/users/{username}` of an unknown user: 404 `{"detail": "User not found"}`.
    UserNotFound,
    /// `POST /api/users` for an existing username: 409.
    UserExists(String),
    /// `POST /api/users/bootstrap` once users exist: 409.
    BootstrapClosed,
    /// Request validation: 422 `VALIDATION_FAILED`.
    Validation(Vec<FieldError>),
    /// 404 `RESOURCE_NOT_FOUND`, e.g. `Snapshot 7 not found`.
    NotFound {
        resource_type: &'static str,
        resource_id: Value,
    },
    /// 403 `PERMISSION_DENIED` on another user's resource.
    PermissionDenied {
        resource_type: &'static str,
        resource_id: i64,
    },
    /// 409 `INVALID_STATE` (retry of a snapshot that is not `failed`).
    InvalidState {
        resource: &'static str,
        resource_id: i64,
        current_state: String,
        required_state: &'static str,
    },
    /// 409 `RESOURCE_HAS_DEPENDENCIES`: active instances use the snapshot.
    HasDependencies {
        resource_id: i64,
        statuses: Vec<String>,
    },
    /// 409 `CONCURRENCY_LIMIT_EXCEEDED`.
    ConcurrencyLimit {
        limit_type: &'static str,
        current_count: u64,
        max_allowed: u64,
    },
    /// 500 `INTERNAL_ERROR` (no `details`).
    Internal,
    /// Unknown route: 404 `{"detail": "Not Found"}`.
    RouteNotFound,
    /// Known route, other method: 405 `{"detail": "Method Not Allowed"}`.
    MethodNotAllowed,
    /// The body could not be read (broken transfer): 400 `INVALID_REQUEST` (envelope).
    BodyUnreadable(String),
    /// The body is larger than [`crate::body::MAX_BODY`]: 413 `INVALID_REQUEST` (envelope).
    BodyTooLarge,
}

impl ApiError {
    /// A 404 for a resource with an integer id.
    pub(crate) fn not_found(resource_type: &'static str, id: i64) -> Self {
        Self::NotFound {
            resource_type,
            resource_id: Value::from(id),
        }
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::MissingIdentity | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::NotProvisioned(_)
            | Self::Disabled
            | Self::PrivilegeRequired
            | Self::CannotViewOthers
            | Self::PermissionDenied { .. } => StatusCode::FORBIDDEN,
            Self::UserExists(_)
            | Self::BootstrapClosed
            | Self::InvalidState { .. }
            | Self::HasDependencies { .. }
            | Self::ConcurrencyLimit { .. } => StatusCode::CONFLICT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } | Self::RouteNotFound | Self::UserNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyUnreadable(_) => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The body, built from the spec's generated `ErrorBody` types.
    /// Fails only when a generated type cannot be built (see [`crate::build`]).
    pub(crate) fn body(&self, request_id: &str) -> Result<types::ErrorBody, BuildError> {
        let detail_object =
            |code: types::ErrorCode, message: String| -> Result<types::ErrorBody, BuildError> {
                Ok(types::ErrorBody::DetailEnvelope(build!(
                    types::DetailEnvelope {
                        detail: types::Detail::Object(build!(types::DetailObject {
                            code: code,
                            message: message,
                        })?),
                    }
                )?))
            };
        let detail_text = |text: &str| -> Result<types::ErrorBody, BuildError> {
            Ok(types::ErrorBody::DetailEnvelope(build!(
                types::DetailEnvelope {
                    detail: types::Detail::Text(types::DetailText(text.to_owned())),
                }
            )?))
        };
        let envelope = |code: types::ErrorCode,
                        message: String,
                        details: Value|
         -> Result<types::ErrorBody, BuildError> {
            let details = match details {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            Ok(types::ErrorBody::ErrorEnvelope(build!(
                types::ErrorEnvelope {
                    error: build!(types::ErrorObject {
                        code: code,
                        message: message,
                        details: details,
                    })?,
                    meta: Some(build!(types::Meta {
                        request_id: Some(request_id.to_owned()),
                    })?),
                }
            )?))
        };
        use types::ErrorCode as C;
        match self {
            Self::MissingIdentity => {
                detail_object(C::Unauthorized, "X-Username header required.".into())
            }
            Self::InvalidToken => detail_object(
                C::Unauthorized,
                "Bearer token is not valid for any user.".into(),
            ),
            Self::NotProvisioned(name) => detail_object(
                C::UserNotProvisioned,
                format!(
                    "User '{name}' is not provisioned. Use POST /api/users/bootstrap or POST /api/users to create."
                ),
            ),
            Self::Disabled => detail_object(C::UserDisabled, "User account is disabled".into()),
            Self::PrivilegeRequired => detail_text("Admin or Ops role required"),
            Self::CannotViewOthers => detail_text("Cannot view other users"),
            Self::UserNotFound => detail_text("User not found"),
            Self::UserExists(name) => detail_text(&format!("User {name} already exists")),
            Self::BootstrapClosed => detail_text("Bootstrap only works when no users exist"),
            Self::RouteNotFound => detail_text("Not Found"),
            Self::MethodNotAllowed => detail_text("Method Not Allowed"),
            Self::BodyUnreadable(why) => envelope(
                C::InvalidRequest,
                format!("Could not read the request body: {why}"),
                Value::Null,
            ),
            Self::BodyTooLarge => envelope(
                C::InvalidRequest,
                format!(
                    "The request body is larger than {} bytes",
                    crate::body::MAX_BODY
                ),
                json!({"max_bytes": crate::body::MAX_BODY}),
            ),
            Self::Validation(errors) => envelope(
                C::ValidationFailed,
                "Request validation failed".into(),
                json!({"errors": errors
                    .iter()
                    .map(|e| json!({"field": e.field, "message": e.message, "type": e.kind}))
                    .collect::<Vec<_>>()}),
            ),
            Self::NotFound {
                resource_type,
                resource_id,
            } => {
                let shown = match resource_id {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                envelope(
                    C::ResourceNotFound,
                    format!("{resource_type} {shown} not found"),
                    json!({"resource_type": resource_type, "resource_id": resource_id}),
                )
            }
            Self::PermissionDenied {
                resource_type,
                resource_id,
            } => envelope(
                C::PermissionDenied,
                format!("Permission denied for {resource_type} {resource_id}"),
                json!({"resource_type": resource_type, "resource_id": resource_id}),
            ),
            Self::InvalidState {
                resource,
                resource_id,
                current_state,
                required_state,
            } => envelope(
                C::InvalidState,
                format!(
                    "{resource} {resource_id} is in state '{current_state}', required '{required_state}'"
                ),
                json!({
                    "resource": resource,
                    "resource_id": resource_id,
                    "current_state": current_state,
                    "required_state": required_state,
                }),
            ),
            Self::HasDependencies {
                resource_id,
                statuses,
            } => envelope(
                C::ResourceHasDependencies,
                "Cannot delete snapshot with active instances".into(),
                json!({
                    "resource_type": "Snapshot",
                    "resource_id": resource_id,
                    "dependent_type": "Instance",
                    "dependent_count": statuses.len(),
                    "active_instance_count": statuses.len(),
                    "statuses": statuses,
                }),
            ),
            Self::ConcurrencyLimit {
                limit_type,
                current_count,
                max_allowed,
            } => envelope(
                C::ConcurrencyLimitExceeded,
                format!(
                    "Cannot create instance: {limit_type} limit exceeded ({current_count}/{max_allowed})"
                ),
                json!({
                    "limit_type": limit_type,
                    "current_count": current_count,
                    "max_allowed": max_allowed,
                }),
            ),
            Self::Internal => envelope(
                C::InternalError,
                "An unexpected error occurred".into(),
                Value::Null,
            ),
        }
    }
}

/// Carries an error from a handler to [`request_id`], which renders its body once the
/// request id is known.
#[derive(Debug, Clone)]
struct PendingError(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(PendingError(self));
        response
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A new request id: a random (version 4) UUID.
pub(crate) fn new_request_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The request's `x-request-id` if it is usable (1-200 visible ASCII characters), else a new
/// one.
fn request_id_of(request: &Request) -> String {
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

/// The error's body; if a generated type cannot be built, the API's 500 answer; if even
/// that cannot be built, a bare 500 naming the failure (never a panic).
fn render(error: &ApiError, id: &str) -> Response {
    let body = error
        .body(id)
        .map(|body| (error.status(), body))
        .or_else(|_| {
            ApiError::Internal
                .body(id)
                .map(|body| (StatusCode::INTERNAL_SERVER_ERROR, body))
        });
    match body {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

impl From<BuildError> for ApiError {
    fn from(_: BuildError) -> Self {
        Self::Internal
    }
}

/// Middleware: echoes (or generates) `x-request-id` on every response and renders pending
/// error bodies with it in `meta.request_id`.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = request_id_of(&request);
    let mut response = next.run(request).await;
    if let Some(PendingError(error)) = response.extensions_mut().remove::<PendingError>() {
        response = render(&error, &id);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(error: ApiError) -> Value {
        serde_json::to_value(error.body("rid").expect("every member given")).unwrap_or_default()
    }

    #[test]
    fn bodies_have_the_recorded_shapes() {
        assert_eq!(
            rendered(ApiError::MissingIdentity),
            json!({"detail": {"code": "UNAUTHORIZED", "message": "X-Username header required."}})
        );
        assert_eq!(
            rendered(ApiError::not_found("Snapshot", 999_999)),
            json!({"error": {"code": "RESOURCE_NOT_FOUND", "message": "Snapshot 999999 not found",
                "details": {"resource_type": "Snapshot", "resource_id": 999_999}},
                "meta": {"request_id": "rid"}})
        );
        assert_eq!(
            rendered(ApiError::NotFound {
                resource_type: "MappingVersion",
                resource_id: Value::from("1/v42")
            })["error"]["message"],
            "MappingVersion 1/v42 not found"
        );
        assert_eq!(
            rendered(ApiError::Internal),
            json!({"error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred"},
                "meta": {"request_id": "rid"}})
        );
        assert_eq!(
            rendered(ApiError::UserExists("alice".into())),
            json!({"detail": "User alice already exists"})
        );
        assert_eq!(
            rendered(ApiError::InvalidState {
                resource: "Snapshot",
                resource_id: 1,
                current_state: "pending".into(),
                required_state: "failed"
            })["error"]["message"],
            "Snapshot 1 is in state 'pending', required 'failed'"
        );
    }

    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, new_request_id());
    }
}
