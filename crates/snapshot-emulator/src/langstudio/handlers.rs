//! The five LangStudio operations, once for both transport profiles. Each handler takes an
//! [`Input`]: the operation's path parameters, its query and its body, wherever the profile
//! carried them (the routes in the parent module extract them).

use super::store::{invalid, LangStudio, ListRequest};
use crate::build::BuildError;
use crate::error::{ApiError, RequestContext};
use crate::query::Query;
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use pai_langstudio::types;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One request's parameters, whichever transport profile carried them.
#[derive(Debug, Default)]
pub(super) struct Input {
    /// The path parameters of the operation's template, decoded.
    pub(super) path: HashMap<String, String>,
    /// The query.
    pub(super) query: Query,
    /// The JSON body (without the path parameters).
    pub(super) body: Bytes,
}

impl Input {
    /// The path parameter `name` (the routes guarantee it for the operations that have it).
    fn path(&self, name: &str) -> Result<&str, ApiError> {
        self.path
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| invalid(format!("Invalid path parameter: no {name}.")))
    }
}

/// The actions [`dispatch`] handles.
pub(super) const ACTIONS: &[&str] = &[
    "CreateSnapshot",
    "ListSnapshots",
    "GetSnapshot",
    "UpdateSnapshot",
    "DeleteSnapshot",
];

/// Runs the operation named `action` (its `x-acs-action`) on `input`.
pub(super) fn dispatch(
    action: &str,
    ls: &LangStudio,
    ctx: RequestContext,
    input: Input,
) -> Result<Response, ApiError> {
    let request_id = ctx.request_id;
    Ok(match action {
        "CreateSnapshot" => Json(create(ls, request_id, &input)?).into_response(),
        "ListSnapshots" => Json(list(ls, request_id, &input)?).into_response(),
        "GetSnapshot" => Json(get(ls, request_id, &input)?).into_response(),
        "UpdateSnapshot" => Json(update(ls, request_id, &input)?).into_response(),
        "DeleteSnapshot" => Json(delete(ls, request_id, &input)?).into_response(),
        _ => return Err(ApiError::unknown_api()),
    })
}

fn create(
    ls: &LangStudio,
    request_id: String,
    input: &Input,
) -> Result<types::CreateSnapshotResponse, ApiError> {
    let id = ls.create(decode(&input.body)?, Utc::now())?;
    Ok(build!(types::CreateSnapshotResponse {
        request_id: Some(request_id),
        snapshot_id: Some(id),
    })?)
}

fn list(
    ls: &LangStudio,
    request_id: String,
    input: &Input,
) -> Result<types::ListSnapshotsResponse, ApiError> {
    let request = ListRequest::from_query(&input.query)?;
    let result = ls.list(&request, Utc::now())?;
    Ok(build!(types::ListSnapshotsResponse {
        max_results: Some(i64::try_from(result.page_size).unwrap_or(i64::MAX)),
        next_token: result.next_token,
        request_id: Some(request_id),
        snapshots: result.snapshots,
        total_count: Some(i64::try_from(result.total).unwrap_or(i64::MAX)),
    })?)
}

fn get(
    ls: &LangStudio,
    request_id: String,
    input: &Input,
) -> Result<types::GetSnapshotResponse, ApiError> {
    let id = input.path("SnapshotId")?;
    let snapshot = ls.get(id, input.query.get("WorkspaceId"), Utc::now())?;
    Ok(get_response(snapshot, request_id)?)
}

fn update(
    ls: &LangStudio,
    request_id: String,
    input: &Input,
) -> Result<types::UpdateSnapshotResponse, ApiError> {
    let id = input.path("SnapshotId")?;
    let request: types::UpdateSnapshotRequest = decode(&input.body)?;
    ls.update(
        id,
        request.workspace_id.as_deref(),
        request.snapshot_name,
        request.description,
        Utc::now(),
    )?;
    Ok(build!(types::UpdateSnapshotResponse {
        request_id: Some(request_id),
    })?)
}

fn delete(
    ls: &LangStudio,
    request_id: String,
    input: &Input,
) -> Result<types::DeleteSnapshotResponse, ApiError> {
    ls.delete(input.path("SnapshotId")?, input.query.get("WorkspaceId"))?;
    Ok(build!(types::DeleteSnapshotResponse {
        request_id: Some(request_id),
    })?)
}

/// Decodes a JSON body into a generated request type, reporting the name rule with the
/// field it concerns.
pub(super) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("The request body is not a JSON object: {e}")))?;
    if let Some(name) = value.get("SnapshotName").and_then(|n| n.as_str()) {
        types::SnapshotName::try_from(name).map_err(|e| {
            invalid(format!(
                "The SnapshotName {name:?} is invalid ({e}): use 1 to 256 letters, digits and underscores, starting with a letter."
            ))
        })?;
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("Invalid request body: {e}")))
}

fn get_response(
    s: types::Snapshot,
    request_id: String,
) -> Result<types::GetSnapshotResponse, BuildError> {
    build!(types::GetSnapshotResponse {
        accessibility: s.accessibility,
        creation_type: s.creation_type,
        creator: s.creator,
        description: s.description,
        error_message: s.error_message,
        gmt_create_time: s.gmt_create_time,
        gmt_modified_time: s.gmt_modified_time,
        request_id: Some(request_id),
        snapshot_id: s.snapshot_id,
        snapshot_name: s.snapshot_name,
        snapshot_resource_id: s.snapshot_resource_id,
        snapshot_resource_type: s.snapshot_resource_type,
        snapshot_status: s.snapshot_status,
        snapshot_storage_path: s.snapshot_storage_path,
        snapshot_url: s.snapshot_url,
        work_dir: s.work_dir,
        workspace_id: s.workspace_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_spec_operation_has_a_handler() {
        for op in pai_langstudio::OPERATIONS {
            let action = op.action.expect("every LangStudio operation has an action");
            assert!(ACTIONS.contains(&action), "{action}");
        }
    }

    #[test]
    fn bodies_follow_the_spec() {
        let r: types::CreateSnapshotRequest = decode(
            br#"{"WorkspaceId":"478","SnapshotName":"snapshot01","Description":"d","Accessibility":"PRIVATE","CreationType":"ManualCreated","SnapshotResourceType":"Flow","SnapshotResourceId":"flow-1","SourceStoragePath":"oss://b/p"}"#,
        )
        .expect("the seed's body");
        assert_eq!(r.accessibility, Some(types::Accessibility::Private));
        for bad in [
            &br#"{"SnapshotName":"1abc"}"#[..],
            br#"{"SnapshotName":"a-b"}"#,
            br#"{"Accessibility":"SECRET"}"#,
            br#"{"Unknown":1}"#,
            b"nope",
        ] {
            let e = decode::<types::CreateSnapshotRequest>(bad).expect_err("invalid");
            assert_eq!(
                (e.status.as_u16(), e.code.as_str()),
                (400, "InvalidParameter")
            );
        }
        // The update body has no SnapshotId: it is a path parameter.
        assert!(decode::<types::UpdateSnapshotRequest>(br#"{"SnapshotId":"x"}"#).is_err());
    }

    /// The spec's rule, written independently.
    fn rule(name: &str) -> bool {
        let n = name.chars().count();
        (1..=256).contains(&n)
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    proptest! {
        #[test]
        fn the_name_rule_is_the_spec_rule(name in "[a-zA-Z0-9_\\- é]{0,20}|[a-z][a-z_]{250,260}") {
            let body = serde_json::json!({"SnapshotName": name}).to_string();
            prop_assert_eq!(decode::<types::CreateSnapshotRequest>(body.as_bytes()).is_ok(), rule(&name));
        }
    }
}
