//! Error responses in each API's own shape, and the per-request context (request id, host)
//! that every response of the Alibaba APIs carries.
//!
//! Handlers and middleware return an [`ApiError`] (status, code, message); the outer
//! [`api_context`] middleware of each API renders it, so that every error body of one API
//! has the same shape and the request id of its `x-acs-request-id` header:
//!
//! - DSW: `pai_dsw::types::AlibabaError` — `Code`, `Message`, `RequestId`, `HostId`,
//!   `Recommend`, plus `Success: false` and `HttpStatusCode`, which DSW bodies carry;
//! - LangStudio (both forms): `pai_langstudio::types::AlibabaError` — `Code`, `Message`,
//!   `RequestId`, `HostId`, `Recommend`;
//! - Graph OLAP (only for injected faults; the Graph OLAP module renders its own errors):
//!   `graph_olap::types::ErrorEnvelope`, `{"error": {"code", "message"}, "meta": {"request_id"}}`
//!   with an `x-request-id` header.

use crate::build::BuildError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;

/// `x-acs-request-id`: the request id header of the Alibaba APIs.
pub(crate) const X_ACS_REQUEST_ID: HeaderName = HeaderName::from_static("x-acs-request-id");
/// `x-request-id`: the request id header of Graph OLAP.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `x-acs-retry-after`: milliseconds to wait, the throttling hint the Alibaba SDKs honour.
pub(crate) const X_ACS_RETRY_AFTER: HeaderName = HeaderName::from_static("x-acs-retry-after");

/// Which emulated API a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// PAI-DSW 2022-01-01, at `/api/v2/instances` (or under `/dsw`).
    Dsw,
    /// PAI LangStudio 2024-07-10, ROA form, at `/api/v1/langstudio` (or under `/langstudio`).
    LangStudio,
    /// PAI LangStudio 2024-07-10, gateway form, at `/api/PAILangStudio/2024-07-10` (or under `/langstudio-gateway`).
    LangStudioGateway,
    /// Graph OLAP control plane, at `/api` (or under `/graph-olap`).
    GraphOlap,
    /// STS 2015-04-01 (RPC), under `/sts` (and at `/`).
    Sts,
}

impl Api {
    /// The API a request path belongs to: its real path or compatibility prefix
    /// ([`crate::mount`]), or `/sts`.
    pub(crate) fn of_path(path: &str) -> Option<Api> {
        if path == "/sts" || path.starts_with("/sts/") {
            return Some(Api::Sts);
        }
        crate::mount::locate(path).map(|located| located.api)
    }

    /// The product name in `Recommend` links.
    fn product(self) -> &'static str {
        match self {
            Api::Dsw => "pai-dsw",
            Api::LangStudio | Api::LangStudioGateway => "PAILangStudio",
            Api::GraphOlap => "graph-olap",
            Api::Sts => "Sts",
        }
    }
}

/// What a request is known by while it is handled: its request id and the host it was
/// sent to (the `HostId` of Alibaba error bodies).
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// The request id, sent back in `x-acs-request-id` and in `RequestId`.
    pub(crate) request_id: String,
    /// The `Host` the request was sent to.
    pub(crate) host: String,
}

impl RequestContext {
    fn from_headers(headers: &HeaderMap, request_id: String) -> Self {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned();
        Self { request_id, host }
    }
}

/// An error to answer with: the HTTP status, the service's error code and a message.
/// Rendered in the shape of the API that answers (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    /// For throttling errors: what `Retry-After` (seconds) and `x-acs-retry-after` (ms) say.
    pub(crate) retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// `400` with this code.
    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `403` with this code.
    pub(crate) fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// `404` with this code.
    pub(crate) fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// `404 InvalidApi.NotFound`: no operation at this method and path (the Alibaba
    /// gateway's answer to an unknown path or method).
    pub(crate) fn unknown_api() -> Self {
        Self::not_found(
            "InvalidApi.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    /// Adds a retry hint (`Retry-After` in seconds, rounded up; `x-acs-retry-after` in ms).
    pub(crate) fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// The error's body in `api`'s shape, built from the generated types.
    fn body(&self, api: Api, ctx: &RequestContext) -> Result<Response, BuildError> {
        Ok(match api {
            Api::Dsw => (
                self.status,
                Json(build!(pai_dsw::types::AlibabaError {
                    access_denied_detail: None,
                    code: Some(self.code.clone()),
                    host_id: Some(ctx.host.clone()),
                    http_status_code: Some(i64::from(self.status.as_u16())),
                    message: Some(self.message.clone()),
                    recommend: Some(self.recommend(api, ctx)),
                    request_id: Some(ctx.request_id.clone()),
                    success: Some(false),
                })?),
            )
                .into_response(),
            Api::LangStudio | Api::LangStudioGateway | Api::Sts => (
                self.status,
                Json(build!(pai_langstudio::types::AlibabaError {
                    code: Some(self.code.clone()),
                    host_id: Some(ctx.host.clone()),
                    message: Some(self.message.clone()),
                    recommend: Some(self.recommend(api, ctx)),
                    request_id: Some(ctx.request_id.clone()),
                })?),
            )
                .into_response(),
            Api::GraphOlap => (
                self.status,
                Json(build!(::graph_olap::types::ErrorEnvelope {
                    error: build!(::graph_olap::types::ErrorObject {
                        code: ::graph_olap::types::ErrorCodeValue::String(self.code.clone()),
                        details: serde_json::Map::new(),
                        message: self.message.clone(),
                    })?,
                    meta: Some(build!(::graph_olap::types::Meta {
                        request_id: Some(ctx.request_id.clone()),
                    })?),
                })?),
            )
                .into_response(),
        })
    }

    /// The response of this error for `api`, with the request's id and host. If a generated
    /// body type cannot be built, the API's 500 answer naming the failure; if even that
    /// cannot be built, a bare 500 with the failure as text (never a panic).
    pub(crate) fn render(&self, api: Api, ctx: &RequestContext) -> Response {
        let mut response = match self.body(api, ctx) {
            Ok(response) => response,
            Err(e) => {
                let internal = Self::from(e.clone());
                internal.body(api, ctx).unwrap_or_else(|_| {
                    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
                })
            }
        };
        let headers = response.headers_mut();
        let id_header = if api == Api::GraphOlap {
            X_REQUEST_ID
        } else {
            X_ACS_REQUEST_ID
        };
        if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(id_header, value);
        }
        if let Some(after) = self.retry_after {
            let millis = after.as_millis();
            let saturated = |n: u128| u64::try_from(n).unwrap_or(u64::MAX);
            let seconds = saturated(millis.div_ceil(1000));
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            if api != Api::GraphOlap {
                headers.insert(X_ACS_RETRY_AFTER, HeaderValue::from(saturated(millis)));
            }
        }
        response
    }

    /// The troubleshooting link of Alibaba error bodies.
    fn recommend(&self, api: Api, ctx: &RequestContext) -> String {
        format!(
            "https://api.aliyun.com/troubleshoot?q={}&product={}&requestId={}",
            self.code,
            api.product(),
            ctx.request_id
        )
    }
}

/// A generated type the emulator cannot build: its 500 `InternalError`.
impl From<BuildError> for ApiError {
    fn from(e: BuildError) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            e.to_string(),
        )
    }
}

/// Handlers return an `ApiError` as a bare response that carries the error; the API's
/// [`api_context`] middleware renders it with the request's id.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Outer middleware of each Alibaba API: gives the request its [`RequestContext`], renders
/// any [`ApiError`] in the API's shape, and sets `x-acs-request-id` on every response.
pub(crate) async fn api_context(
    State(api): State<Api>,
    mut request: Request,
    next: Next,
) -> Response {
    let ctx = RequestContext::from_headers(request.headers(), crate::ids::request_id());
    request.extensions_mut().insert(ctx.clone());
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        return error.render(api, &ctx);
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        response.headers_mut().insert(X_ACS_REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn ctx() -> RequestContext {
        RequestContext {
            request_id: "E7D55162-4489-1619-AAF5-3F97D5FCA948".into(),
            host: "127.0.0.1:8787".into(),
        }
    }

    async fn body(response: Response) -> serde_json::Value {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn dsw_errors_carry_the_alibaba_members_and_success_false() {
        let response =
            ApiError::not_found("InstanceNotFound", "no such instance").render(Api::Dsw, &ctx());
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["x-acs-request-id"],
            "E7D55162-4489-1619-AAF5-3F97D5FCA948"
        );
        let json = body(response).await;
        assert_eq!(json["Code"], "InstanceNotFound");
        assert_eq!(json["Message"], "no such instance");
        assert_eq!(json["RequestId"], "E7D55162-4489-1619-AAF5-3F97D5FCA948");
        assert_eq!(json["HostId"], "127.0.0.1:8787");
        assert_eq!(json["Success"], false);
        assert_eq!(json["HttpStatusCode"], 404);
        assert_eq!(
            json["Recommend"],
            "https://api.aliyun.com/troubleshoot?q=InstanceNotFound&product=pai-dsw&requestId=E7D55162-4489-1619-AAF5-3F97D5FCA948"
        );
    }

    #[tokio::test]
    async fn langstudio_errors_have_exactly_the_five_members() {
        let response =
            ApiError::bad_request("InvalidParameter", "bad").render(Api::LangStudioGateway, &ctx());
        let json = body(response).await;
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["Code", "HostId", "Message", "Recommend", "RequestId"]
        );
    }

    #[tokio::test]
    async fn throttling_errors_carry_both_retry_headers() {
        let response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Throttling.User",
            "slow down",
        )
        .with_retry_after(Duration::from_millis(1500))
        .render(Api::LangStudio, &ctx());
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.headers()["x-acs-retry-after"], "1500");
    }

    #[tokio::test]
    async fn huge_retry_hints_saturate_instead_of_wrapping() {
        let response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Throttling.User", "wait")
            .with_retry_after(Duration::from_secs(u64::MAX))
            .render(Api::Dsw, &ctx());
        assert_eq!(response.headers()["retry-after"], u64::MAX.to_string());
        assert_eq!(
            response.headers()["x-acs-retry-after"],
            u64::MAX.to_string()
        );
    }

    #[tokio::test]
    async fn graph_olap_errors_use_the_envelope() {
        let response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "down",
        )
        .render(Api::GraphOlap, &ctx());
        assert_eq!(
            response.headers()["x-request-id"],
            "E7D55162-4489-1619-AAF5-3F97D5FCA948"
        );
        let json = body(response).await;
        assert_eq!(json["error"]["code"], "SERVICE_UNAVAILABLE");
        assert_eq!(
            json["meta"]["request_id"],
            "E7D55162-4489-1619-AAF5-3F97D5FCA948"
        );
    }

    #[test]
    fn paths_map_to_their_api() {
        assert_eq!(
            Api::of_path("/dsw/api/v2/instances/x/snapshots"),
            Some(Api::Dsw)
        );
        assert_eq!(
            Api::of_path("/langstudio/api/v1/langstudio/snapshots"),
            Some(Api::LangStudio)
        );
        assert_eq!(
            Api::of_path("/langstudio-gateway/CreateSnapshot"),
            Some(Api::LangStudioGateway)
        );
        assert_eq!(
            Api::of_path("/graph-olap/api/snapshots"),
            Some(Api::GraphOlap)
        );
        assert_eq!(
            Api::of_path("/api/v2/instances/x/snapshots"),
            Some(Api::Dsw)
        );
        assert_eq!(Api::of_path("/api/snapshots"), Some(Api::GraphOlap));
        assert_eq!(Api::of_path("/sts"), Some(Api::Sts));
        assert_eq!(Api::of_path("/dswx/a"), None);
        assert_eq!(Api::of_path("/"), None);
    }
}
