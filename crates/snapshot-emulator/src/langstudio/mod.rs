//! PAI LangStudio 2024-07-10 snapshots: one set of handlers over one store, reached through
//! the spec's two transport profiles: `roa` under `/langstudio`
//! (`/api/v1/langstudio/snapshots[/{SnapshotId}]`, signed or Alibaba bearer) and `gateway`
//! under `/langstudio-gateway` (`/CreateSnapshot`, `/ListSnapshots`, `/GetSnapshot`,
//! `/UpdateSnapshot`, `/DeleteSnapshot`, DashScope bearer key).
//!
//! - `store`: the snapshots, their states, the List filters and paging;
//! - `handlers`: the five operations, each taking an `Input` (path parameters, query, body);
//! - this module: the routes, registered from `pai_langstudio::OPERATIONS` (the path
//!   template, or `/{x-acs-action}` for the gateway), which only extract the parameters the
//!   way their profile carries them: from the path (ROA), or from the query (gateway GET and
//!   DELETE) or the JSON body (gateway PUT and POST), as the runtime's `action-path`
//!   transport puts them there.
//!
//! Bodies decode into `pai_langstudio::types::{CreateSnapshotRequest, UpdateSnapshotRequest}`
//! (so the spec's name rule, `^[A-Za-z][A-Za-z0-9_]*$` with 1 to 256 characters, and its
//! closed enums apply, and unknown members are refused); responses are built from
//! `pai_langstudio::types`.
//!
//! State machine (`SnapshotStatus`; neither the seed nor the SDK lists its values, these are
//! the emulator's): `Creating` for [`Timing::langstudio_create`](crate::Timing), then
//! `Success` (with `SnapshotStoragePath` and `SnapshotUrl`), or `Failed` with `ErrorMessage`
//! when the snapshot's name contains `fail` (any case).
//!
//! Rules the emulator enforces:
//!
//! - workspaces: [`EmulatorConfig::langstudio_workspaces`](crate::EmulatorConfig); a create
//!   without `WorkspaceId` goes to the first; an unknown `WorkspaceId` is
//!   `404 WorkspaceNotFound`; a snapshot asked for with another workspace's id is
//!   `404 SnapshotNotFound`, as is an unknown snapshot;
//! - a create needs a source, `SnapshotResourceId` or `SourceStoragePath`, else
//!   `400 InvalidParameter`; `Accessibility` defaults to `PRIVATE`, `CreationType` to
//!   `ManualCreated`, `SnapshotResourceType` to `Flow` when a resource id is given;
//!   `Creator` is [`EmulatorConfig::account_id`](crate::EmulatorConfig);
//! - names are unique per workspace: a create or update to a name in use is
//!   `400 SnapshotNameAlreadyExists`; a name that breaks the rule is `400 InvalidParameter`;
//! - the gateway's Get and Delete need `SnapshotId` in the query: `400 MissingSnapshotId`;
//!   its Update needs it in the body: `400 InvalidParameter`;
//! - List filters by `WorkspaceId`, `Accessibility`, `CreationType` (comma-separated list),
//!   `Creator`, `SnapshotId`, `SnapshotResourceId`, `SnapshotResourceType` and
//!   `SnapshotStatus`, sorts by `SortBy` (`GmtCreateTime`, default, or `GmtModifiedTime`) and
//!   `Order` (`DESC`, default, or `ASC`). It pages with `NextToken`/`MaxResults` (a token
//!   given wins) or `PageNumber`/`PageSize` (1 to 100, default 10); `MaxResults` without a
//!   token starts a token walk. Every page whose list goes on carries a `NextToken`
//!   (see [`crate::pagination`]); a token that was altered, comes from another emulator or
//!   was made for other filters is `400 InvalidNextToken`. `TotalCount` counts every
//!   snapshot that matches the filters; `MaxResults` is the page size used.

mod handlers;
mod store;

pub(crate) use store::{LangStudio, VERSION};

use crate::auth::{gateway_auth, roa_auth, RoaAuth, Verifier};
use crate::error::{api_context, Api, ApiError, RequestContext};
use crate::query::Query;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{on, MethodFilter};
use axum::{Extension, Router};
use handlers::Input;
use serde_json::Value;
use snapshots_runtime::Operation;
use std::collections::HashMap;
use std::sync::Arc;
use store::invalid;

/// How a transport profile carries an operation's path parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// In the path (`transport: rest`).
    Roa,
    /// In the query (GET, DELETE) or the JSON body (POST, PUT) of `/{action}`
    /// (`transport: action-path`).
    Gateway,
}

/// The names of the path parameters of a template (`/a/{Id}` has `Id`).
fn path_parameters(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// The input of a ROA request: the path parameters from the path.
fn roa_input(
    path: Result<Path<HashMap<String, String>>, PathRejection>,
    query: Query,
    body: Bytes,
) -> Result<Input, ApiError> {
    let Path(path) = path.map_err(|e| invalid(format!("Invalid path parameter: {e}")))?;
    Ok(Input { path, query, body })
}

/// The input of a gateway request: the path parameters of `op`'s template from the query
/// (GET, DELETE) or from the JSON object body (POST, PUT), which keeps the other members.
fn gateway_input(op: &Operation, query: Query, body: Bytes) -> Result<Input, ApiError> {
    let names: Vec<&str> = path_parameters(op.path).collect();
    let mut input = Input {
        path: HashMap::new(),
        query,
        body,
    };
    if names.is_empty() {
        return Ok(input);
    }
    if matches!(op.method, "GET" | "DELETE") {
        for name in names {
            let value = input.query.get(name).ok_or_else(|| {
                ApiError::bad_request(
                    &format!("Missing{name}"),
                    format!("{name} is mandatory for this action."),
                )
            })?;
            input.path.insert(name.to_owned(), value.to_owned());
        }
        return Ok(input);
    }
    let mut members = match serde_json::from_slice::<Value>(&input.body) {
        Ok(Value::Object(members)) => members,
        Ok(_) => return Err(invalid("Invalid request body: not a JSON object.")),
        Err(e) => {
            return Err(invalid(format!(
                "The request body is not a JSON object: {e}"
            )))
        }
    };
    for name in names {
        let value = match members.remove(name) {
            Some(Value::String(value)) => value,
            Some(_) => {
                return Err(invalid(format!(
                    "Invalid request body: {name} must be a string."
                )))
            }
            None => {
                return Err(invalid(format!(
                    "Invalid request body: missing field `{name}`."
                )))
            }
        };
        input.path.insert(name.to_owned(), value);
    }
    input.body = serde_json::to_vec(&members)
        .map_err(|e| invalid(format!("Invalid request body: {e}")))?
        .into();
    Ok(input)
}

async fn unknown() -> ApiError {
    ApiError::unknown_api()
}

/// The route of `op` under `profile`, and the action that handles it.
fn route_of(op: &Operation, profile: Profile) -> Option<(String, &'static str)> {
    let action = op.action.filter(|a| handlers::ACTIONS.contains(a))?;
    Some(match profile {
        Profile::Roa => (op.path.to_owned(), action),
        Profile::Gateway => (format!("/{action}"), action),
    })
}

fn routes(profile: Profile) -> Router<Arc<LangStudio>> {
    let mut router = Router::new();
    for op in pai_langstudio::OPERATIONS {
        let filter = Method::from_bytes(op.method.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok());
        let (Some(filter), Some((route, action))) = (filter, route_of(op, profile)) else {
            tracing::warn!(
                operation = op.name,
                "LangStudio operation without a handler"
            );
            continue;
        };
        let op = *op;
        let handler = move |State(ls): State<Arc<LangStudio>>,
                            Extension(ctx): Extension<RequestContext>,
                            path: Result<Path<HashMap<String, String>>, PathRejection>,
                            RawQuery(raw): RawQuery,
                            body: Bytes| async move {
            let query = Query::parse(raw.as_deref(), "InvalidParameter");
            let input = match profile {
                Profile::Roa => roa_input(path, query, body)?,
                Profile::Gateway => gateway_input(&op, query, body)?,
            };
            handlers::dispatch(action, &ls, ctx, input)
        };
        router = router.route(&route, on(filter, handler));
    }
    router
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
}

/// The ROA routes (to be nested under `/langstudio`).
pub(crate) fn roa_router(ls: Arc<LangStudio>, auth: RoaAuth) -> Router {
    routes(Profile::Roa)
        .with_state(ls)
        .layer(from_fn_with_state(auth, roa_auth))
        .layer(axum::middleware::from_fn(crate::body::alibaba_body))
        .layer(from_fn_with_state(Api::LangStudio, api_context))
}

/// The gateway routes (to be nested under `/langstudio-gateway`).
pub(crate) fn gateway_router(ls: Arc<LangStudio>, verifier: Arc<Verifier>) -> Router {
    routes(Profile::Gateway)
        .with_state(ls)
        .layer(from_fn_with_state(verifier, gateway_auth))
        .layer(axum::middleware::from_fn(crate::body::alibaba_body))
        .layer(from_fn_with_state(Api::LangStudioGateway, api_context))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn op(method: &'static str) -> Operation {
        Operation::new("x", "X", method, "/things/{SnapshotId}").with_action("GetSnapshot")
    }

    #[test]
    fn every_operation_has_a_route_under_each_profile() {
        for op in pai_langstudio::OPERATIONS {
            let (roa, _) = route_of(op, Profile::Roa).expect("roa route");
            assert_eq!(roa, op.path);
            let (gateway, action) = route_of(op, Profile::Gateway).expect("gateway route");
            assert_eq!(gateway, format!("/{action}"));
        }
    }

    #[test]
    fn the_gateway_takes_path_parameters_from_the_query_or_the_body() {
        let query = || Query::parse(Some("SnapshotId=s%201&WorkspaceId=w"), "InvalidParameter");
        let input = gateway_input(&op("GET"), query(), Bytes::new()).expect("input");
        assert_eq!(input.path["SnapshotId"], "s 1");
        let missing =
            gateway_input(&op("DELETE"), Query::default(), Bytes::new()).expect_err("missing");
        assert_eq!(
            (missing.status.as_u16(), missing.code.as_str()),
            (400, "MissingSnapshotId")
        );

        let body = Bytes::from_static(br#"{"SnapshotId":"s-1","Description":"d"}"#);
        let input = gateway_input(&op("PUT"), Query::default(), body).expect("input");
        assert_eq!(input.path["SnapshotId"], "s-1");
        assert_eq!(&input.body[..], br#"{"Description":"d"}"#);
        for bad in [
            &b"[1]"[..],
            b"nope",
            br#"{"Description":"d"}"#,
            br#"{"SnapshotId":1}"#,
        ] {
            let e = gateway_input(&op("PUT"), Query::default(), Bytes::from(bad.to_vec()))
                .expect_err("refused");
            assert_eq!(
                (e.status.as_u16(), e.code.as_str()),
                (400, "InvalidParameter")
            );
        }
    }

    proptest! {
        #[test]
        fn gateway_body_parameters_come_out_whole(id in any::<String>(), description in any::<String>()) {
            let body = serde_json::json!({"SnapshotId": id, "Description": description}).to_string();
            let input = gateway_input(&op("PUT"), Query::default(), Bytes::from(body)).expect("input");
            prop_assert_eq!(&input.path["SnapshotId"], &id);
            let rest: Value = serde_json::from_slice(&input.body).expect("json");
            prop_assert_eq!(rest, serde_json::json!({"Description": description}));
        }
    }
}
