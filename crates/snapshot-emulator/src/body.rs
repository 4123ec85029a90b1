//! Request bodies, the same for every API: at most [`MAX_BODY`] bytes, and, when a body is
//! sent with a `Content-Type`, a JSON one (`application/json` or `application/*+json`,
//! parameters allowed). A body without a `Content-Type` is read as JSON.
//!
//! Each API answers a body that breaks these rules in its own error shape:
//!
//! | API | too large | not readable | not JSON content type |
//! | --- | --- | --- | --- |
//! | DSW, LangStudio (ROA and gateway) | 413 `RequestBodyTooLarge` | 400 `InvalidParameter` | 400 `InvalidParameter` |
//! | Graph OLAP | 413 `INVALID_REQUEST` (envelope) | 400 `INVALID_REQUEST` (envelope) | 422 `VALIDATION_FAILED`, `model_attributes_type` at `body` (the body is read as text, as FastAPI does) |
//! | `/_emulator` | 413 `{"error"}` | 400 `{"error"}` | 415 `{"error"}` |
//!
//! The Alibaba APIs check the body before authentication ([`alibaba_body`]).

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest request body read, in bytes (bodies of these APIs are a few hundred bytes).
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Whether the request's `Content-Type`, if any, is JSON.
pub(crate) fn is_json_or_absent(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// Whether reading a body failed because it was larger than the limit.
pub(crate) fn is_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// Middleware of the Alibaba APIs (inside their error renderer): reads the body (at most
/// [`MAX_BODY`]) and checks its content type, answering in the API's shape.
pub(crate) async fn alibaba_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(error) if is_too_large(&error) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestBodyTooLarge",
                format!("The request body is larger than {MAX_BODY} bytes."),
            )
            .into_response()
        }
        Err(error) => {
            return ApiError::bad_request(
                "InvalidParameter",
                format!("The request body could not be read: {error}"),
            )
            .into_response()
        }
    };
    if !bytes.is_empty() && !is_json_or_absent(&parts.headers) {
        return ApiError::bad_request(
            "InvalidParameter",
            "The request body must be JSON (Content-Type: application/json).",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_json_or_absent(&headers)
        };
        assert!(is_json_or_absent(&HeaderMap::new()));
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/problem+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!with("text/json+x"));
    }
}
