//! The axum handlers. Each one follows upstream's order of failures: an unparsable JSON body
//! (422 `json_invalid`), then identity (401/403), then validation of path, query and body
//! together (422), then the operation's own rules (404, 403 ownership, 409).

use super::config::Clock;
use super::error::{self, json_response, ApiError};
use super::query::{list_params, parse_pairs};
use super::store::{Caller, Store};
use super::validate::{
    check_body, coerce_int, FieldError, Model, CREATE_INSTANCE, CREATE_MAPPING, CREATE_SNAPSHOT,
    CREATE_USER, INSTANCE_STATUSES, SNAPSHOT_STATUSES, UPDATE_LIFECYCLE, UPDATE_SNAPSHOT,
    UPDATE_STATUS,
};
use super::wire;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod more;

/// Shared state of the handlers.
#[derive(Clone)]
pub(crate) struct App {
    store: Arc<Mutex<Store>>,
    clock: Clock,
    tokens: Arc<BTreeMap<String, String>>,
    /// [`super::Config::seed_filters`].
    seed_filters: bool,
}

impl App {
    pub(crate) fn new(
        store: Store,
        clock: Clock,
        tokens: BTreeMap<String, String>,
        seed_filters: bool,
    ) -> Self {
        Self {
            store: Arc::new(Mutex::new(store)),
            clock,
            tokens: Arc::new(tokens),
            seed_filters,
        }
    }

    /// The shared store (for seeding and [`crate::RunningEmulator::state`]).
    pub(crate) fn shared_store(&self) -> Arc<Mutex<Store>> {
        self.store.clone()
    }

    /// The store, with every state machine brought up to `now`.
    fn store_at(&self, now: DateTime<Utc>) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        store.advance(now);
        store
    }

    /// Who the request claims to be: a bearer token (which must be known) wins over
    /// `X-Username`; neither gives 401.
    fn claimed_username(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        if let Some(token) = bearer {
            return self
                .tokens
                .get(&token)
                .cloned()
                .ok_or(ApiError::InvalidToken);
        }
        headers
            .get("x-username")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|name| !name.is_empty())
            .ok_or(ApiError::MissingIdentity)
    }

    /// Identity for an authenticated route: the time, the store and the caller.
    fn authenticate(
        &self,
        headers: &HeaderMap,
    ) -> Result<(DateTime<Utc>, MutexGuard<'_, Store>, Caller), ApiError> {
        let username = self.claimed_username(headers)?;
        let now = self.clock.now();
        let mut store = self.store_at(now);
        let caller = store.identify(&username, now)?;
        Ok((now, store, caller))
    }
}

/// A request body as the handlers take it: its bytes (at most [`crate::body::MAX_BODY`])
/// and whether its `Content-Type` lets it be read as JSON.
pub(crate) struct RawBody {
    bytes: Result<Bytes, BytesRejection>,
    json: bool,
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = crate::body::is_json_or_absent(request.headers());
        let bytes = Bytes::from_request(request, state).await;
        Ok(Self { bytes, json })
    }
}

/// The JSON body: `None` when empty; 413 when too large; 422 `json_invalid` (at
/// `body.<offset>`) when it does not parse. A body whose `Content-Type` is not JSON is text,
/// which validation then refuses (`model_attributes_type`), as FastAPI does.
fn json_body(body: RawBody) -> Result<Option<Value>, ApiError> {
    let bytes = body.bytes.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BodyTooLarge
        } else {
            ApiError::BodyUnreadable(e.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !body.json {
        return Ok(Some(Value::String(
            String::from_utf8_lossy(&bytes).into_owned(),
        )));
    }
    // A JSON `null` is no body at all, as for FastAPI.
    let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
    parsed
        .map(|v| Some(v).filter(|v| !v.is_null()))
        .map_err(|e| {
            // Character offset of the error, as Python's JSONDecodeError.pos.
            let mut offset = 0usize;
            for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
                if index + 1 == e.line() {
                    offset += e.column().saturating_sub(1).min(line.len());
                    break;
                }
                offset += line.len() + 1;
            }
            ApiError::Validation(vec![FieldError::new(
                &format!("body.{offset}"),
                "JSON decode error",
                "json_invalid",
            )])
        })
}

/// Validates a body against `model` and decodes it with the spec's generated type.
fn body_of<T: DeserializeOwned>(
    model: &Model,
    body: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match check_body(model, body) {
        Ok(normalised) => match serde_json::from_value(normalised) {
            Ok(request) => Some(request),
            Err(e) => {
                errors.push(FieldError::new(
                    "body",
                    format!("Value error, {e}"),
                    "value_error",
                ));
                None
            }
        },
        Err(found) => {
            errors.extend(found);
            None
        }
    }
}

/// An integer path parameter (`path.<name>`, `int_parsing` when not an integer).
fn path_id(
    raw: Result<Path<String>, PathRejection>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let text = raw.map(|Path(text)| text).unwrap_or_default();
    match coerce_int(&Value::String(text)) {
        Ok(id) => Some(id),
        Err((message, kind)) => {
            errors.push(FieldError::new(&format!("path.{name}"), message, kind));
            None
        }
    }
}

/// The path's `name` id and the `model` request body, decoded; else the 422 naming every
/// problem of both (as the real server reports path and body errors together).
fn id_and_request<T: DeserializeOwned>(
    path: SnapshotPath,
    name: &str,
    model: &Model,
    body: Option<&Value>,
) -> Result<(i64, T), ApiError> {
    let mut errors = Vec::new();
    let id = path_id(path, name, &mut errors);
    let request = body_of(model, body, &mut errors);
    match (id, request) {
        (Some(id), Some(request)) => Ok((id, request)),
        _ => Err(invalid(errors)),
    }
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    if errors.is_empty() {
        ApiError::Internal
    } else {
        ApiError::Validation(errors)
    }
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body)
}

fn created(body: &Value) -> Response {
    json_response(StatusCode::CREATED, body)
}

/// 204, no body (upstream still labels it `application/json`).
fn no_content() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
    )
        .into_response()
}

type Answer = Result<Response, ApiError>;
type Body = RawBody;
type SnapshotPath = Result<Path<String>, PathRejection>;

async fn list_snapshots(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let pairs = parse_pairs(query.as_deref());
    let params =
        list_params(&pairs, "mapping_id", SNAPSHOT_STATUSES, app.seed_filters).map_err(invalid)?;
    let (items, total) = store.list_snapshots(&params);
    Ok(ok(&wire::snapshot_page(
        &items,
        total,
        params.offset,
        params.limit,
    )?))
}

async fn create_snapshot(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let request =
        body_of(&CREATE_SNAPSHOT, body.as_ref(), &mut errors).ok_or_else(|| invalid(errors))?;
    let snapshot = store.create_snapshot(&caller, request, now)?;
    Ok(created(&wire::snapshot_envelope(snapshot)?))
}

async fn get_snapshot(State(app): State<App>, headers: HeaderMap, path: SnapshotPath) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "snapshot_id", &mut errors).ok_or_else(|| invalid(errors))?;
    Ok(ok(&wire::snapshot_envelope(store.snapshot(id)?)?))
}

async fn update_snapshot(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let (id, request) = id_and_request(path, "snapshot_id", &UPDATE_SNAPSHOT, body.as_ref())?;
    let snapshot = store.update_snapshot(&caller, id, request, now)?;
    Ok(ok(&wire::snapshot_envelope(snapshot)?))
}

async fn delete_snapshot(State(app): State<App>, headers: HeaderMap, path: SnapshotPath) -> Answer {
    let (_, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "snapshot_id", &mut errors).ok_or_else(|| invalid(errors))?;
    store.delete_snapshot(&caller, id)?;
    Ok(no_content())
}

async fn update_lifecycle(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
    body: Body,
) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let (id, request) = id_and_request(path, "snapshot_id", &UPDATE_LIFECYCLE, body.as_ref())?;
    let snapshot = store.update_lifecycle(&caller, id, request, now)?;
    Ok(ok(&wire::lifecycle_envelope(snapshot)?))
}

async fn retry_snapshot(State(app): State<App>, headers: HeaderMap, path: SnapshotPath) -> Answer {
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "snapshot_id", &mut errors).ok_or_else(|| invalid(errors))?;
    let snapshot = store.retry_snapshot(&caller, id, now)?;
    Ok(ok(&wire::snapshot_envelope(snapshot)?))
}

async fn snapshot_progress(
    State(app): State<App>,
    headers: HeaderMap,
    path: SnapshotPath,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "snapshot_id", &mut errors).ok_or_else(|| invalid(errors))?;
    Ok(ok(&wire::progress_envelope(store.snapshot(id)?)?))
}

async fn report_status(State(app): State<App>, path: SnapshotPath, body: Body) -> Answer {
    let body = json_body(body)?;
    let now = app.clock.now();
    let mut store = app.store_at(now);
    let (id, request) = id_and_request(path, "snapshot_id", &UPDATE_STATUS, body.as_ref())?;
    let snapshot = store.report_status(id, request, now)?;
    Ok(ok(&wire::snapshot_envelope(snapshot)?))
}

async fn list_instances(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let pairs = parse_pairs(query.as_deref());
    let params =
        list_params(&pairs, "snapshot_id", INSTANCE_STATUSES, app.seed_filters).map_err(invalid)?;
    let (items, total) = store.list_instances(&params);
    Ok(ok(&wire::instance_page(
        &items,
        total,
        params.offset,
        params.limit,
    )?))
}

async fn create_instance(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let request =
        body_of(&CREATE_INSTANCE, body.as_ref(), &mut errors).ok_or_else(|| invalid(errors))?;
    let instance = store.create_instance(&caller, request, now)?;
    Ok(created(&wire::instance_envelope(instance)?))
}

async fn get_instance(State(app): State<App>, headers: HeaderMap, path: SnapshotPath) -> Answer {
    let (_, store, _) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors).ok_or_else(|| invalid(errors))?;
    Ok(ok(&wire::instance_envelope(store.instance(id)?)?))
}

async fn delete_instance(State(app): State<App>, headers: HeaderMap, path: SnapshotPath) -> Answer {
    let (_, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let id = path_id(path, "instance_id", &mut errors).ok_or_else(|| invalid(errors))?;
    store.delete_instance(&caller, id)?;
    Ok(no_content())
}

async fn create_user(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let request =
        body_of(&CREATE_USER, body.as_ref(), &mut errors).ok_or_else(|| invalid(errors))?;
    if !caller.role.is_privileged() {
        return Err(ApiError::PrivilegeRequired);
    }
    let user = store.create_user(&request, None, now)?;
    Ok(created(&wire::user(&user)?))
}

async fn bootstrap_user(State(app): State<App>, body: Body) -> Answer {
    let body = json_body(body)?;
    let mut errors = Vec::new();
    let request =
        body_of(&CREATE_USER, body.as_ref(), &mut errors).ok_or_else(|| invalid(errors))?;
    let now = app.clock.now();
    let user = app.store_at(now).bootstrap(&request, now)?;
    Ok(created(&wire::user(&user)?))
}

async fn create_mapping(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    let body = json_body(body)?;
    let (now, mut store, caller) = app.authenticate(&headers)?;
    let mut errors = Vec::new();
    let request =
        body_of(&CREATE_MAPPING, body.as_ref(), &mut errors).ok_or_else(|| invalid(errors))?;
    let mapping = store.create_mapping(&caller.username, request, now);
    Ok(created(&wire::mapping_envelope(&mapping)?))
}

/// The routes of the operations captures-2 added (see [`more`]).
fn more_routes() -> Router<App> {
    Router::new()
        .route("/api/mappings/{mapping_id}", get(more::get_mapping))
        .route(
            "/api/mappings/{mapping_id}/versions",
            get(more::mapping_versions),
        )
        .route(
            "/api/mappings/{mapping_id}/versions/{version}",
            get(more::mapping_version),
        )
        .route(
            "/api/mappings/{mapping_id}/snapshots",
            get(more::mapping_snapshots),
        )
        .route(
            "/api/mappings/{mapping_id}/instances",
            get(more::mapping_instances),
        )
        .route("/api/instances/user/status", get(more::user_status))
        .route(
            "/api/instances/{instance_id}/lifecycle",
            put(more::instance_lifecycle),
        )
        .route("/api/instances/{instance_id}/cpu", put(more::instance_cpu))
        .route(
            "/api/instances/{instance_id}/memory",
            put(more::instance_memory),
        )
        .route(
            "/api/instances/{instance_id}/progress",
            get(more::instance_progress),
        )
        .route(
            "/api/instances/{instance_id}/events",
            get(more::instance_events),
        )
        .route(
            "/api/internal/instances/{instance_id}/status",
            axum::routing::patch(more::report_instance_status),
        )
        .route(
            "/api/internal/instances/{instance_id}/progress",
            put(more::report_instance_progress),
        )
        .route(
            "/api/internal/instances/{instance_id}/activity",
            post(more::record_activity),
        )
}

async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Every route, the upstream fallbacks, and the `x-request-id` middleware.
pub(crate) fn routes(app: App) -> Router {
    Router::new()
        .route("/api/snapshots", get(list_snapshots).post(create_snapshot))
        .route(
            "/api/snapshots/{snapshot_id}",
            get(get_snapshot)
                .put(update_snapshot)
                .delete(delete_snapshot),
        )
        .route(
            "/api/snapshots/{snapshot_id}/lifecycle",
            put(update_lifecycle),
        )
        .route("/api/snapshots/{snapshot_id}/retry", post(retry_snapshot))
        .route(
            "/api/snapshots/{snapshot_id}/progress",
            get(snapshot_progress),
        )
        .route(
            "/api/internal/snapshots/{snapshot_id}/status",
            axum::routing::patch(report_status),
        )
        .route("/api/instances", get(list_instances).post(create_instance))
        .route(
            "/api/instances/{instance_id}",
            get(get_instance)
                .put(more::update_instance)
                .delete(delete_instance),
        )
        .route("/api/users", get(more::list_users).post(create_user))
        .route("/api/users/bootstrap", post(bootstrap_user))
        .route("/api/users/{username}", get(more::get_user))
        .route(
            "/api/mappings",
            get(more::list_mappings).post(create_mapping),
        )
        .merge(more_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(crate::body::MAX_BODY))
        .layer(axum::middleware::from_fn(error::request_id))
        .with_state(app)
}
