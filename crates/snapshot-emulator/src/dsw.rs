//! PAI-DSW 2022-01-01 instance snapshots, served under `/dsw`.
//!
//! Routes are registered from `pai_dsw::OPERATIONS` (the generated table of the spec's
//! operations), responses are built from `pai_dsw::types`, and the create body decodes into
//! `pai_dsw::types::CreateInstanceSnapshotRequest`, whose `SnapshotName` newtype carries the
//! spec's name rule (`^[a-z0-9][a-z0-9-]{0,127}$`).
//!
//! State machine: a new snapshot is `Pushing` for [`Timing::dsw_push`](crate::Timing), then
//! `Saved`, or `Failed` with `ReasonCode`/`ReasonMessage` when its `SnapshotName` or
//! `ImageUrl` contains `fail`. (`Committing`, `Pushing`, `Failed` and `Saved` are the values
//! the official SDK documents for an instance's snapshot status; the emulator skips
//! `Committing`.) The state is computed from the creation time on every read; no background
//! task runs. `GmtModifiedTime` is the time of the last change of state.
//!
//! Rules the emulator enforces:
//!
//! - the instance must be one of [`EmulatorConfig::dsw_instances`](crate::EmulatorConfig),
//!   else `404 InstanceNotFound`; an unknown snapshot of a known instance is
//!   `404 InstanceSnapshotNotFound`;
//! - a snapshot name is unique per instance: a second snapshot with the same name is
//!   `400 ValidationError` (the name is the image's display name);
//! - the image tag is unique: a second snapshot pushing to an `ImageUrl` that another
//!   snapshot holds is `400 ValidationError` unless `Overwrite` is `true`, in which case the
//!   new snapshot takes the tag over;
//! - List takes `PageNumber` (from 1), `PageSize` (1 to 100, default 10), `SortBy`
//!   (`gmtCreate`, default, or `gmtModified`; the `GmtCreateTime`/`GmtModifiedTime` spellings
//!   and any case are accepted) and `Order` (`Desc`, default, or `Asc`, any case); anything
//!   else is `400 ValidationError`. `TotalCount` counts every snapshot of the instance.

use crate::auth::{roa_auth, RoaAuth};
use crate::build::BuildError;
use crate::error::{api_context, Api, ApiError, RequestContext};
use crate::pagination::{self, Direction, Position};
use crate::query::Query;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use pai_dsw::types;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The version `x-acs-version` must name.
pub(crate) const VERSION: &str = "2022-01-01";

/// One snapshot as stored.
#[derive(Debug, Clone)]
struct Snapshot {
    seq: u64,
    id: String,
    instance_id: String,
    name: String,
    image_url: String,
    image_id: String,
    labels: Vec<types::Label>,
    exclude_paths: Vec<String>,
    created: DateTime<Utc>,
    fails: bool,
}

/// A snapshot's state at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pushing,
    Saved,
    Failed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pushing => "Pushing",
            Status::Saved => "Saved",
            Status::Failed => "Failed",
        }
    }
}

impl Snapshot {
    /// The state at `now`, and when it was entered.
    fn state(&self, now: DateTime<Utc>, push: Duration) -> (Status, DateTime<Utc>) {
        match finished_at(self.created, push) {
            Some(done) if now >= done && self.fails => (Status::Failed, done),
            Some(done) if now >= done => (Status::Saved, done),
            _ => (Status::Pushing, self.created),
        }
    }

    fn view(
        &self,
        now: DateTime<Utc>,
        push: Duration,
    ) -> Result<types::InstanceSnapshot, BuildError> {
        let (status, modified) = self.state(now, push);
        let failed = status == Status::Failed;
        build!(types::InstanceSnapshot {
            exclude_paths: self.exclude_paths.clone(),
            gmt_create_time: Some(timestamp(self.created)),
            gmt_modified_time: Some(timestamp(modified)),
            image_id: (status == Status::Saved).then(|| self.image_id.clone()),
            image_url: Some(self.image_url.clone()),
            instance_id: Some(self.instance_id.clone()),
            labels: self.labels.clone(),
            reason_code: failed.then(|| "PushImageFailed".to_owned()),
            reason_message: failed.then(|| {
                format!(
                    "Failed to push the image {}: the emulator fails every snapshot whose name or image URL contains \"fail\".",
                    self.image_url
                )
            }),
            snapshot_id: Some(self.id.clone()),
            snapshot_name: Some(self.name.clone()),
            status: Some(status.as_str().to_owned()),
        })
    }
}

/// When something that started at `start` and lasts `duration` is over (`None`: never, the
/// sum is past the calendar's end).
pub(crate) fn finished_at(start: DateTime<Utc>, duration: Duration) -> Option<DateTime<Utc>> {
    chrono::TimeDelta::from_std(duration)
        .ok()
        .and_then(|d| start.checked_add_signed(d))
}

/// `2021-01-12T14:36:01Z`, the format of the seeds' examples.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Default)]
struct Store {
    next_seq: u64,
    snapshots: HashMap<String, Snapshot>,
    /// (instance, name) of every snapshot.
    names: HashSet<(String, String)>,
    /// Image URL -> the snapshot that holds the tag.
    images: HashMap<String, String>,
}

/// The DSW emulation: the configured instances and their snapshots.
#[derive(Debug)]
pub(crate) struct Dsw {
    instances: HashSet<String>,
    push: Duration,
    store: Mutex<Store>,
}

impl Dsw {
    pub(crate) fn new(instances: &[String], push: Duration) -> Self {
        Self {
            instances: instances.iter().cloned().collect(),
            push,
            store: Mutex::new(Store::default()),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        if self.instances.contains(instance_id) {
            Ok(())
        } else {
            Err(ApiError::not_found(
                "InstanceNotFound",
                format!("The instance {instance_id} does not exist."),
            ))
        }
    }

    /// Creates a snapshot; its id.
    fn create(
        &self,
        instance_id: &str,
        request: types::CreateInstanceSnapshotRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        self.check_instance(instance_id)?;
        let name: String = request.snapshot_name.to_string();
        let image_url = request.image_url.trim().to_owned();
        if image_url.is_empty() {
            return Err(validation("ImageUrl must not be empty."));
        }
        let mut store = self.store();
        let key = (instance_id.to_owned(), name.clone());
        if store.names.contains(&key) {
            return Err(validation(format!(
                "A snapshot named {name} already exists for the instance {instance_id}."
            )));
        }
        if store.images.contains_key(&image_url) && request.overwrite != Some(true) {
            return Err(validation(format!(
                "The image tag {image_url} is already used by another snapshot; set Overwrite to true to replace it."
            )));
        }
        let id = loop {
            let id = crate::ids::dsw_snapshot_id();
            if !store.snapshots.contains_key(&id) {
                break id;
            }
        };
        store.next_seq += 1;
        let fails = name.contains("fail") || image_url.to_ascii_lowercase().contains("fail");
        let snapshot = Snapshot {
            seq: store.next_seq,
            id: id.clone(),
            instance_id: instance_id.to_owned(),
            name,
            image_url: image_url.clone(),
            image_id: crate::ids::dsw_image_id(),
            labels: request.labels,
            exclude_paths: request.exclude_paths,
            created: now,
            fails,
        };
        store.names.insert(key);
        store.images.insert(image_url, id.clone());
        store.snapshots.insert(id.clone(), snapshot);
        Ok(id)
    }

    /// Adds a snapshot of a seed (its id kept when it has one; created long enough ago to
    /// be final when it has no creation time), by the same rules as a create.
    pub(crate) fn seed(
        &self,
        seed: &crate::seed::DswSnapshot,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let created = seed.created.unwrap_or_else(|| {
            let push = chrono::TimeDelta::from_std(self.push).unwrap_or(chrono::TimeDelta::zero());
            now.checked_sub_signed(push).unwrap_or(now)
        });
        let made = self.create(&seed.instance_id, seed.request.clone(), created)?;
        let Some(wanted) = &seed.snapshot_id else {
            return Ok(());
        };
        let mut store = self.store();
        if store.snapshots.contains_key(wanted) {
            return Err(validation(format!("The snapshot id {wanted} is taken.")));
        }
        if let Some(mut snapshot) = store.snapshots.remove(&made) {
            snapshot.id = wanted.clone();
            store
                .images
                .insert(snapshot.image_url.clone(), wanted.clone());
            store.snapshots.insert(wanted.clone(), snapshot);
        }
        Ok(())
    }

    /// Every snapshot, in creation order, as a seed would give it.
    pub(crate) fn export(&self) -> Vec<crate::seed::DswSnapshot> {
        let store = self.store();
        let mut all: Vec<&Snapshot> = store.snapshots.values().collect();
        all.sort_by_key(|s| s.seq);
        all.into_iter()
            .filter_map(|s| {
                let request = serde_json::json!({
                    "SnapshotName": s.name,
                    "ImageUrl": s.image_url,
                    "Labels": s.labels,
                    "ExcludePaths": s.exclude_paths,
                    "Overwrite": true,
                });
                Some(crate::seed::DswSnapshot {
                    instance_id: s.instance_id.clone(),
                    snapshot_id: Some(s.id.clone()),
                    created: Some(s.created),
                    request: serde_json::from_value(request).ok()?,
                })
            })
            .collect()
    }

    fn find(
        &self,
        store: &Store,
        instance_id: &str,
        snapshot_id: &str,
    ) -> Result<Snapshot, ApiError> {
        self.check_instance(instance_id)?;
        store
            .snapshots
            .get(snapshot_id)
            .filter(|s| s.instance_id == instance_id)
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found(
                    "InstanceSnapshotNotFound",
                    format!(
                        "The snapshot {snapshot_id} of the instance {instance_id} does not exist."
                    ),
                )
            })
    }

    fn delete(&self, instance_id: &str, snapshot_id: &str) -> Result<(), ApiError> {
        let mut store = self.store();
        let snapshot = self.find(&store, instance_id, snapshot_id)?;
        store.snapshots.remove(&snapshot.id);
        store
            .names
            .remove(&(snapshot.instance_id.clone(), snapshot.name.clone()));
        if store.images.get(&snapshot.image_url) == Some(&snapshot.id) {
            store.images.remove(&snapshot.image_url);
        }
        Ok(())
    }

    /// How many snapshots are stored (all instances).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.store().snapshots.len()
    }
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationError", message)
}

#[derive(Debug, Deserialize)]
struct InstancePath {
    #[serde(rename = "InstanceId")]
    instance_id: String,
}

#[derive(Debug, Deserialize)]
struct SnapshotPath {
    #[serde(rename = "InstanceId")]
    instance_id: String,
    #[serde(rename = "SnapshotId")]
    snapshot_id: String,
}

fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|e| validation(format!("Invalid path parameter: {e}")))
}

/// Decodes the create body into the generated request type; the name rule is reported
/// with the field it concerns.
fn decode_create(body: &[u8]) -> Result<types::CreateInstanceSnapshotRequest, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| validation(format!("The request body is not a JSON object: {e}")))?;
    if let Some(name) = value.get("SnapshotName").and_then(|n| n.as_str()) {
        types::SnapshotName::try_from(name).map_err(|e| {
            validation(format!(
                "The SnapshotName {name:?} is invalid ({e}): use 1 to 128 lowercase letters, digits and hyphens (-), not starting with a hyphen."
            ))
        })?;
    }
    serde_json::from_value(value).map_err(|e| validation(format!("Invalid request body: {e}")))
}

fn success<T>(value: T) -> Json<T> {
    Json(value)
}

async fn create(
    State(dsw): State<Arc<Dsw>>,
    Extension(ctx): Extension<RequestContext>,
    instance: Result<Path<InstancePath>, PathRejection>,
    body: Bytes,
) -> Result<Json<types::CreateInstanceSnapshotResponse>, ApiError> {
    let instance = path(instance)?;
    dsw.check_instance(&instance.instance_id)?;
    let request = decode_create(&body)?;
    let id = dsw.create(&instance.instance_id, request, Utc::now())?;
    Ok(success(build!(types::CreateInstanceSnapshotResponse {
        code: None,
        http_status_code: Some(200),
        instance_id: Some(instance.instance_id),
        message: None,
        request_id: Some(ctx.request_id),
        snapshot_id: Some(id),
        success: Some(true),
    })?))
}

async fn get_one(
    State(dsw): State<Arc<Dsw>>,
    Extension(ctx): Extension<RequestContext>,
    params: Result<Path<SnapshotPath>, PathRejection>,
) -> Result<Json<types::GetInstanceSnapshotResponse>, ApiError> {
    let params = path(params)?;
    let snapshot = dsw.find(&dsw.store(), &params.instance_id, &params.snapshot_id)?;
    let view = snapshot.view(Utc::now(), dsw.push)?;
    Ok(success(build!(types::GetInstanceSnapshotResponse {
        code: None,
        exclude_paths: view.exclude_paths,
        gmt_create_time: view.gmt_create_time,
        gmt_modified_time: view.gmt_modified_time,
        http_status_code: Some(200),
        image_id: view.image_id,
        image_url: view.image_url,
        instance_id: view.instance_id,
        labels: view.labels,
        message: None,
        reason_code: view.reason_code,
        reason_message: view.reason_message,
        request_id: Some(ctx.request_id),
        snapshot_id: view.snapshot_id,
        snapshot_name: view.snapshot_name,
        status: view.status,
        success: Some(true),
    })?))
}

async fn delete_one(
    State(dsw): State<Arc<Dsw>>,
    Extension(ctx): Extension<RequestContext>,
    params: Result<Path<SnapshotPath>, PathRejection>,
) -> Result<Json<types::DeleteInstanceSnapshotResponse>, ApiError> {
    let params = path(params)?;
    dsw.delete(&params.instance_id, &params.snapshot_id)?;
    Ok(success(build!(types::DeleteInstanceSnapshotResponse {
        code: None,
        http_status_code: Some(200),
        instance_id: Some(params.instance_id),
        message: None,
        request_id: Some(ctx.request_id),
        snapshot_id: Some(params.snapshot_id),
        success: Some(true),
    })?))
}

/// The sort field of List.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Created,
    Modified,
}

fn list_options(query: &Query) -> Result<(u64, u64, SortBy, Direction), ApiError> {
    let page_number = query.int_in("PageNumber", 1, i64::MAX)?.unwrap_or(1);
    let page_size = query.int_in("PageSize", 1, 100)?.unwrap_or(10);
    let sort_by = match query.get("SortBy").map(str::to_ascii_lowercase).as_deref() {
        None | Some("gmtcreate" | "gmtcreatetime") => SortBy::Created,
        Some("gmtmodified" | "gmtmodifiedtime") => SortBy::Modified,
        Some(_) => return Err(validation("SortBy must be gmtCreate or gmtModified.")),
    };
    let order = match query.get("Order").map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => Direction::Desc,
        Some("asc") => Direction::Asc,
        Some(_) => return Err(validation("Order must be Desc or Asc.")),
    };
    Ok((
        page_number.unsigned_abs(),
        page_size.unsigned_abs(),
        sort_by,
        order,
    ))
}

async fn list(
    State(dsw): State<Arc<Dsw>>,
    Extension(ctx): Extension<RequestContext>,
    instance: Result<Path<InstancePath>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<types::ListInstanceSnapshotResponse>, ApiError> {
    let instance = path(instance)?;
    dsw.check_instance(&instance.instance_id)?;
    let (page_number, page_size, sort_by, order) =
        list_options(&Query::parse(raw.as_deref(), "ValidationError"))?;
    let now = Utc::now();
    let mut snapshots: Vec<Snapshot> = dsw
        .store()
        .snapshots
        .values()
        .filter(|s| s.instance_id == instance.instance_id)
        .cloned()
        .collect();
    let position = |s: &Snapshot| Position {
        key: match sort_by {
            SortBy::Created => s.created,
            SortBy::Modified => s.state(now, dsw.push).1,
        }
        .timestamp_nanos_opt()
        .unwrap_or(i64::MAX),
        seq: s.seq,
    };
    pagination::sort_by_position(&mut snapshots, order, position);
    let total = snapshots.len();
    let page = pagination::by_number(&snapshots, page_number, page_size);
    Ok(success(build!(types::ListInstanceSnapshotResponse {
        code: None,
        http_status_code: Some(200),
        message: None,
        request_id: Some(ctx.request_id),
        snapshots: page
            .items
            .iter()
            .map(|s| s.view(now, dsw.push))
            .collect::<Result<Vec<_>, _>>()?,
        success: Some(true),
        total_count: Some(i64::try_from(total).unwrap_or(i64::MAX)),
    })?))
}

async fn unknown() -> ApiError {
    ApiError::unknown_api()
}

/// The handler of one operation of the spec, by its `operationId`.
fn handler(operation: &str, filter: MethodFilter) -> Option<MethodRouter<Arc<Dsw>>> {
    Some(match operation {
        "CreateInstanceSnapshot" => on(filter, create),
        "ListInstanceSnapshot" => on(filter, list),
        "GetInstanceSnapshot" => on(filter, get_one),
        "DeleteInstanceSnapshot" => on(filter, delete_one),
        _ => return None,
    })
}

/// The DSW routes (to be nested under `/dsw`): one per entry of `pai_dsw::OPERATIONS`,
/// behind the request context and ROA authentication.
pub(crate) fn router(dsw: Arc<Dsw>, auth: RoaAuth) -> Router {
    let mut router = Router::new();
    for op in pai_dsw::OPERATIONS {
        let filter = Method::from_bytes(op.method.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok());
        match filter.and_then(|f| handler(op.name, f)) {
            Some(method_router) => router = router.route(op.path, method_router),
            None => tracing::warn!(operation = op.name, "DSW operation without a handler"),
        }
    }
    router
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
        .with_state(dsw)
        .layer(from_fn_with_state(auth, roa_auth))
        .layer(axum::middleware::from_fn(crate::body::alibaba_body))
        .layer(from_fn_with_state(Api::Dsw, api_context))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dsw(push: Duration) -> Dsw {
        Dsw::new(&["dsw-1".to_owned(), "dsw-2".to_owned()], push)
    }

    fn request(name: &str, image: &str) -> types::CreateInstanceSnapshotRequest {
        decode_create(format!(r#"{{"SnapshotName":"{name}","ImageUrl":"{image}"}}"#).as_bytes())
            .expect("valid body")
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn every_spec_operation_has_a_handler() {
        for op in pai_dsw::OPERATIONS {
            let method = Method::from_bytes(op.method.as_bytes()).expect("method");
            let filter = MethodFilter::try_from(method).expect("filter");
            assert!(handler(op.name, filter).is_some(), "{}", op.name);
        }
    }

    #[test]
    fn pushing_then_saved_or_failed() {
        let dsw = dsw(Duration::from_secs(10));
        let t0 = t("2025-01-01T00:00:00Z");
        let ok = dsw
            .create("dsw-1", request("v1", "r/x:v1"), t0)
            .expect("created");
        let bad = dsw
            .create("dsw-1", request("v1-fail", "r/x:v2"), t0)
            .expect("created");
        let bad_url = dsw
            .create("dsw-1", request("v3", "r/FAIL:v3"), t0)
            .expect("created");
        let store = dsw.store();
        let at = |id: &str, when| {
            store.snapshots[id]
                .view(t(when), dsw.push)
                .expect("every member given")
        };
        let early = at(&ok, "2025-01-01T00:00:09Z");
        assert_eq!(early.status.as_deref(), Some("Pushing"));
        assert_eq!(early.image_id, None);
        assert_eq!(
            early.gmt_modified_time.as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        let late = at(&ok, "2025-01-01T00:00:10Z");
        assert_eq!(late.status.as_deref(), Some("Saved"));
        assert!(late.image_id.is_some_and(|i| i.starts_with("image-")));
        assert_eq!(
            late.gmt_modified_time.as_deref(),
            Some("2025-01-01T00:00:10Z")
        );
        assert_eq!(late.reason_code, None);
        for id in [&bad, &bad_url] {
            let failed = at(id, "2025-01-01T00:00:11Z");
            assert_eq!(failed.status.as_deref(), Some("Failed"));
            assert_eq!(failed.reason_code.as_deref(), Some("PushImageFailed"));
            assert!(failed.reason_message.is_some());
            assert_eq!(
                at(id, "2025-01-01T00:00:01Z").status.as_deref(),
                Some("Pushing")
            );
        }
    }

    #[test]
    fn an_endless_push_never_finishes() {
        let dsw = dsw(Duration::MAX);
        let id = dsw
            .create("dsw-1", request("a", "r/x:a"), t("2025-01-01T00:00:00Z"))
            .expect("created");
        let view = dsw.store().snapshots[&id]
            .view(t("2200-01-01T00:00:00Z"), dsw.push)
            .expect("every member given");
        assert_eq!(view.status.as_deref(), Some("Pushing"));
    }

    #[test]
    fn names_are_unique_per_instance_and_tags_need_overwrite() {
        let dsw = dsw(Duration::ZERO);
        let now = Utc::now();
        dsw.create("dsw-1", request("a", "r/x:a"), now)
            .expect("created");
        let dup = dsw
            .create("dsw-1", request("a", "r/x:other"), now)
            .expect_err("duplicate name");
        assert_eq!(
            (dup.status.as_u16(), dup.code.as_str()),
            (400, "ValidationError")
        );
        dsw.create("dsw-2", request("a", "r/y:a"), now)
            .expect("same name, other instance");
        let tag = dsw
            .create("dsw-1", request("b", "r/x:a"), now)
            .expect_err("tag taken");
        assert_eq!(tag.code, "ValidationError");
        let mut overwrite = request("b", "r/x:a");
        overwrite.overwrite = Some(true);
        let b = dsw.create("dsw-1", overwrite, now).expect("overwrite");
        assert_eq!(dsw.store().images["r/x:a"], b);
        dsw.delete("dsw-1", &b).expect("deleted");
        assert!(!dsw.store().images.contains_key("r/x:a"));
        dsw.create("dsw-1", request("b", "r/x:a"), now)
            .expect("name and tag free again");
        assert_eq!(dsw.len(), 3);
    }

    #[test]
    fn unknown_instances_and_snapshots_are_404() {
        let dsw = dsw(Duration::ZERO);
        let e = dsw
            .create("dsw-9", request("a", "r/x:a"), Utc::now())
            .expect_err("no instance");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (404, "InstanceNotFound")
        );
        let id = dsw
            .create("dsw-1", request("a", "r/x:a"), Utc::now())
            .expect("created");
        let e = dsw.delete("dsw-2", &id).expect_err("other instance");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (404, "InstanceSnapshotNotFound")
        );
        let e = dsw.delete("dsw-1", "snp-none").expect_err("unknown");
        assert_eq!(e.code, "InstanceSnapshotNotFound");
    }

    #[test]
    fn bodies_decode_into_the_generated_type() {
        let r = decode_create(
            br#"{"SnapshotName":"snap-1","ImageUrl":"r/x:1","Labels":[{"Key":"k","Value":"v"}],"ExcludePaths":["/tmp"],"Overwrite":false,"SnapshotDescription":"d"}"#,
        )
        .expect("valid");
        assert_eq!(r.labels[0].key.as_deref(), Some("k"));
        for bad in [
            &br#"{"ImageUrl":"u"}"#[..],
            br#"{"SnapshotName":"ok"}"#,
            br#"{"SnapshotName":"Upper","ImageUrl":"u"}"#,
            br#"{"SnapshotName":"-lead","ImageUrl":"u"}"#,
            br#"{"SnapshotName":"a_b","ImageUrl":"u"}"#,
            br#"{"SnapshotName":"","ImageUrl":"u"}"#,
            br#"{"SnapshotName":7,"ImageUrl":"u"}"#,
            br#"[]"#,
            b"",
            b"{",
        ] {
            let e = decode_create(bad).expect_err("invalid");
            assert_eq!(
                (e.status.as_u16(), e.code.as_str()),
                (400, "ValidationError")
            );
        }
    }

    #[test]
    fn list_options_defaults_and_errors() {
        let q = |s: &str| Query::parse(Some(s), "ValidationError");
        assert_eq!(
            list_options(&q("")),
            Ok((1, 10, SortBy::Created, Direction::Desc))
        );
        assert_eq!(
            list_options(&q(
                "PageNumber=3&PageSize=100&SortBy=GmtModifiedTime&Order=ASC"
            )),
            Ok((3, 100, SortBy::Modified, Direction::Asc))
        );
        for bad in [
            "PageNumber=0",
            "PageSize=101",
            "PageSize=0",
            "SortBy=name",
            "Order=up",
            "PageSize=x",
        ] {
            assert!(list_options(&q(bad)).is_err(), "{bad}");
        }
    }

    /// The spec's rule, written independently: 1-128 of `[a-z0-9-]`, not starting with `-`.
    fn rule(name: &str) -> bool {
        let n = name.chars().count();
        (1..=128).contains(&n)
            && !name.starts_with('-')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    proptest! {
        #[test]
        fn the_name_rule_is_the_spec_rule(name in "[a-z0-9_A-Z\\- é]{0,130}|[a-z0-9-]{120,135}") {
            let body = serde_json::json!({"SnapshotName": name, "ImageUrl": "r/x:1"}).to_string();
            prop_assert_eq!(decode_create(body.as_bytes()).is_ok(), rule(&name));
        }
    }
}
