//! The LangStudio store: snapshots, their states, workspaces, names, and the List filters,
//! sorting and paging; one store behind both transport profiles (see the parent module for
//! the rules it enforces).

use crate::build::BuildError;
use crate::dsw::{finished_at, timestamp};
use crate::error::ApiError;
use crate::pagination::{self, Cursor, Direction, Position};
use crate::query::Query;
use chrono::{DateTime, Utc};
use pai_langstudio::types;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The version `x-acs-version` must name.
pub(crate) const VERSION: &str = "2024-07-10";

/// A snapshot's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Creating,
    Success,
    Failed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "Creating",
            Status::Success => "Success",
            Status::Failed => "Failed",
        }
    }
}

/// One snapshot as stored.
#[derive(Debug, Clone)]
struct Snapshot {
    seq: u64,
    id: String,
    workspace_id: String,
    name: Option<String>,
    description: Option<String>,
    accessibility: types::Accessibility,
    creation_type: types::CreationType,
    resource_type: Option<types::SnapshotResourceType>,
    resource_id: Option<String>,
    source_storage_path: Option<String>,
    work_dir: Option<String>,
    creator: String,
    created: DateTime<Utc>,
    updated: Option<DateTime<Utc>>,
    fails: bool,
}

impl Snapshot {
    /// The state at `now`, and when it was entered.
    fn state(&self, now: DateTime<Utc>, create: Duration) -> (Status, DateTime<Utc>) {
        match finished_at(self.created, create) {
            Some(done) if now >= done && self.fails => (Status::Failed, done),
            Some(done) if now >= done => (Status::Success, done),
            _ => (Status::Creating, self.created),
        }
    }

    /// The last change: an update, or the change of state.
    fn modified(&self, now: DateTime<Utc>, create: Duration) -> DateTime<Utc> {
        let changed = self.state(now, create).1;
        self.updated.map_or(changed, |u| u.max(changed))
    }

    fn view(&self, now: DateTime<Utc>, create: Duration) -> Result<types::Snapshot, BuildError> {
        let (status, _) = self.state(now, create);
        let storage = self
            .work_dir
            .as_deref()
            .map(|d| d.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| {
                format!("oss://langstudio-emulator-{}/snapshots", self.workspace_id)
            });
        build!(types::Snapshot {
            accessibility: Some(types::AccessibilityValue::Accessibility(self.accessibility)),
            creation_type: Some(types::CreationTypeValue::CreationType(self.creation_type)),
            creator: Some(self.creator.clone()),
            description: self.description.clone(),
            error_message: (status == Status::Failed).then(|| {
                let source = self
                    .source_storage_path
                    .as_deref()
                    .or(self.resource_id.as_deref())
                    .unwrap_or("the source");
                format!(
                    "Failed to copy the files of {source}: the emulator fails every snapshot whose name contains \"fail\"."
                )
            }),
            gmt_create_time: Some(timestamp(self.created)),
            gmt_modified_time: Some(timestamp(self.modified(now, create))),
            snapshot_id: Some(self.id.clone()),
            snapshot_name: self.name.clone(),
            snapshot_resource_id: self.resource_id.clone(),
            snapshot_resource_type: self
                .resource_type
                .map(types::SnapshotResourceTypeValue::SnapshotResourceType),
            snapshot_status: Some(status.as_str().to_owned()),
            snapshot_storage_path: (status == Status::Success)
                .then(|| format!("{storage}/{}/", self.id)),
            snapshot_url: (status == Status::Success)
                .then(|| format!("https://langstudio-emulator.invalid/snapshots/{}.tar.gz", self.id)),
            work_dir: self.work_dir.clone(),
            workspace_id: Some(self.workspace_id.clone()),
        })
    }
}

#[derive(Debug, Default)]
struct Store {
    next_seq: u64,
    snapshots: HashMap<String, Snapshot>,
    /// (workspace, name) -> snapshot id.
    names: HashMap<(String, String), String>,
}

/// The LangStudio emulation, shared by the ROA and gateway routes.
#[derive(Debug)]
pub(crate) struct LangStudio {
    workspaces: Vec<String>,
    creator: String,
    create: Duration,
    store: Mutex<Store>,
    /// Checksums `NextToken`s: tokens of another emulator are refused.
    token_secret: [u8; 16],
}

/// `value` without its `null` members (absent, as the API's optional members are).
fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

pub(super) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameter", message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "SnapshotNotFound",
        format!("The snapshot {id} does not exist."),
    )
}

/// The filters, sort order and page of a List call.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ListRequest {
    workspace_id: Option<String>,
    accessibility: Option<types::Accessibility>,
    creation_types: Vec<types::CreationType>,
    creator: Option<String>,
    snapshot_id: Option<String>,
    resource_id: Option<String>,
    resource_type: Option<types::SnapshotResourceType>,
    status: Option<String>,
    sort_by: types::SortBy,
    order: types::Order,
    paging: Paging,
}

#[derive(Debug, Clone, PartialEq)]
enum Paging {
    Number { number: u64, size: u64 },
    Token { token: Option<String>, size: u64 },
}

impl ListRequest {
    pub(super) fn from_query(query: &Query) -> Result<Self, ApiError> {
        let creation_types = query
            .get("CreationType")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        t.parse::<types::CreationType>().map_err(|_| {
                            invalid(format!(
                                "The parameter CreationType has an invalid value {t:?}."
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let max_results = query.int_in("MaxResults", 1, 100)?;
        let page_size = query.int_in("PageSize", 1, 100)?;
        let page_number = query.int_in("PageNumber", 1, i64::MAX)?;
        let token = query.get("NextToken").map(str::to_owned);
        let size =
            |first: Option<i64>, second: Option<i64>| first.or(second).unwrap_or(10).unsigned_abs();
        let paging = match (token, page_number, max_results) {
            (Some(token), _, _) => Paging::Token {
                token: Some(token),
                size: size(max_results, page_size),
            },
            (None, Some(number), _) => Paging::Number {
                number: number.unsigned_abs(),
                size: size(page_size, max_results),
            },
            (None, None, Some(max)) => Paging::Token {
                token: None,
                size: max.unsigned_abs(),
            },
            (None, None, None) => Paging::Number {
                number: 1,
                size: size(page_size, None),
            },
        };
        Ok(Self {
            workspace_id: query.get("WorkspaceId").map(str::to_owned),
            accessibility: query.parse_as("Accessibility")?,
            creation_types,
            creator: query.get("Creator").map(str::to_owned),
            snapshot_id: query.get("SnapshotId").map(str::to_owned),
            resource_id: query.get("SnapshotResourceId").map(str::to_owned),
            resource_type: query.parse_as("SnapshotResourceType")?,
            status: query.get("SnapshotStatus").map(str::to_owned),
            sort_by: query
                .parse_as("SortBy")?
                .unwrap_or(types::SortBy::GmtCreateTime),
            order: query.parse_as("Order")?.unwrap_or(types::Order::Desc),
            paging,
        })
    }

    /// What a `NextToken` of this list is bound to.
    fn fingerprint(&self) -> u64 {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let types = self
            .creation_types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        pagination::fingerprint(&[
            &opt(&self.workspace_id),
            &self
                .accessibility
                .map(|a| a.to_string())
                .unwrap_or_default(),
            &types,
            &opt(&self.creator),
            &opt(&self.snapshot_id),
            &opt(&self.resource_id),
            &self
                .resource_type
                .map(|t| t.to_string())
                .unwrap_or_default(),
            &opt(&self.status),
            &self.sort_by.to_string(),
            &self.order.to_string(),
        ])
    }

    fn matches(&self, s: &Snapshot, status: Status) -> bool {
        let eq = |filter: &Option<String>, value: Option<&str>| {
            filter.as_deref().is_none_or(|f| Some(f) == value)
        };
        eq(&self.workspace_id, Some(&s.workspace_id))
            && self.accessibility.is_none_or(|a| a == s.accessibility)
            && (self.creation_types.is_empty() || self.creation_types.contains(&s.creation_type))
            && eq(&self.creator, Some(&s.creator))
            && eq(&self.snapshot_id, Some(&s.id))
            && eq(&self.resource_id, s.resource_id.as_deref())
            && self
                .resource_type
                .is_none_or(|t| Some(t) == s.resource_type)
            && eq(&self.status, Some(status.as_str()))
    }
}

/// A page of snapshots, without its request id.
#[derive(Debug)]
pub(super) struct ListResult {
    pub(super) snapshots: Vec<types::Snapshot>,
    pub(super) total: usize,
    pub(super) next_token: Option<String>,
    pub(super) page_size: u64,
}

impl LangStudio {
    pub(crate) fn new(workspaces: &[String], creator: &str, create: Duration) -> Self {
        Self {
            workspaces: workspaces.to_vec(),
            creator: creator.to_owned(),
            create,
            store: Mutex::new(Store::default()),
            token_secret: rand::random(),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A known workspace id, or the default one when none is given.
    fn workspace(&self, id: Option<&str>) -> Result<String, ApiError> {
        match id {
            Some(id) if self.workspaces.iter().any(|w| w == id) => Ok(id.to_owned()),
            Some(id) => Err(ApiError::not_found(
                "WorkspaceNotFound",
                format!("The workspace {id} does not exist."),
            )),
            None => self.workspaces.first().cloned().ok_or_else(|| {
                ApiError::not_found(
                    "WorkspaceNotFound",
                    "The emulator has no LangStudio workspace.",
                )
            }),
        }
    }

    pub(super) fn create(
        &self,
        request: types::CreateSnapshotRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let workspace_id = self.workspace(request.workspace_id.as_deref())?;
        let resource_id = request.snapshot_resource_id.filter(|r| !r.is_empty());
        let source = request.source_storage_path.filter(|s| !s.is_empty());
        if resource_id.is_none() && source.is_none() {
            return Err(invalid(
                "A snapshot needs a source: give SnapshotResourceId (a flow) or SourceStoragePath (an OSS folder).",
            ));
        }
        let name = request.snapshot_name.map(|n| n.to_string());
        let mut store = self.store();
        if let Some(name) = &name {
            if store
                .names
                .contains_key(&(workspace_id.clone(), name.clone()))
            {
                return Err(name_taken(name, &workspace_id));
            }
        }
        let id = loop {
            let id = crate::ids::langstudio_snapshot_id();
            if !store.snapshots.contains_key(&id) {
                break id;
            }
        };
        store.next_seq += 1;
        let resource_type = request.snapshot_resource_type.or(resource_id
            .as_ref()
            .map(|_| types::SnapshotResourceType::Flow));
        let snapshot = Snapshot {
            seq: store.next_seq,
            id: id.clone(),
            workspace_id: workspace_id.clone(),
            fails: name
                .as_ref()
                .is_some_and(|n| n.to_ascii_lowercase().contains("fail")),
            name: name.clone(),
            description: request.description,
            accessibility: request
                .accessibility
                .unwrap_or(types::Accessibility::Private),
            creation_type: request
                .creation_type
                .unwrap_or(types::CreationType::ManualCreated),
            resource_type,
            resource_id,
            source_storage_path: source,
            work_dir: request.work_dir.filter(|w| !w.is_empty()),
            creator: self.creator.clone(),
            created: now,
            updated: None,
        };
        if let Some(name) = name {
            store.names.insert((workspace_id, name), id.clone());
        }
        store.snapshots.insert(id.clone(), snapshot);
        Ok(id)
    }

    /// Adds a snapshot of a seed (its id kept when it has one; created long enough ago to
    /// be final when it has no creation time), by the same rules as a create.
    pub(crate) fn seed(
        &self,
        seed: &crate::seed::LangStudioSnapshot,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let created = seed.created.unwrap_or_else(|| {
            let create =
                chrono::TimeDelta::from_std(self.create).unwrap_or(chrono::TimeDelta::zero());
            now.checked_sub_signed(create).unwrap_or(now)
        });
        let made = self.create(seed.request.clone(), created)?;
        let Some(wanted) = &seed.snapshot_id else {
            return Ok(());
        };
        let mut store = self.store();
        if store.snapshots.contains_key(wanted) {
            return Err(invalid(format!("The snapshot id {wanted} is taken.")));
        }
        if let Some(mut snapshot) = store.snapshots.remove(&made) {
            snapshot.id = wanted.clone();
            if let Some(name) = &snapshot.name {
                store.names.insert(
                    (snapshot.workspace_id.clone(), name.clone()),
                    wanted.clone(),
                );
            }
            store.snapshots.insert(wanted.clone(), snapshot);
        }
        Ok(())
    }

    /// Every snapshot, in creation order, as a seed would give it.
    pub(crate) fn export(&self) -> Vec<crate::seed::LangStudioSnapshot> {
        let store = self.store();
        let mut all: Vec<&Snapshot> = store.snapshots.values().collect();
        all.sort_by_key(|s| s.seq);
        all.into_iter()
            .filter_map(|s| {
                let request = serde_json::json!({
                    "WorkspaceId": s.workspace_id,
                    "SnapshotName": s.name,
                    "Description": s.description,
                    "Accessibility": s.accessibility,
                    "CreationType": s.creation_type,
                    "SnapshotResourceType": s.resource_type,
                    "SnapshotResourceId": s.resource_id,
                    "SourceStoragePath": s.source_storage_path,
                    "WorkDir": s.work_dir,
                });
                let request = strip_nulls(request);
                Some(crate::seed::LangStudioSnapshot {
                    snapshot_id: Some(s.id.clone()),
                    created: Some(s.created),
                    request: serde_json::from_value(request).ok()?,
                })
            })
            .collect()
    }

    /// The snapshot `id`, checked against the workspace the caller names.
    fn find(&self, store: &Store, id: &str, workspace: Option<&str>) -> Result<Snapshot, ApiError> {
        if let Some(workspace) = workspace {
            self.workspace(Some(workspace))?;
        }
        store
            .snapshots
            .get(id)
            .filter(|s| workspace.is_none_or(|w| w == s.workspace_id))
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    pub(super) fn get(
        &self,
        id: &str,
        workspace: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<types::Snapshot, ApiError> {
        Ok(self
            .find(&self.store(), id, workspace)?
            .view(now, self.create)?)
    }

    pub(super) fn update(
        &self,
        id: &str,
        workspace: Option<&str>,
        name: Option<types::SnapshotName>,
        description: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut store = self.store();
        let snapshot = self.find(&store, id, workspace)?;
        let new_name = name.map(|n| n.to_string());
        if let Some(new_name) = &new_name {
            let key = (snapshot.workspace_id.clone(), new_name.clone());
            if store.names.get(&key).is_some_and(|holder| holder != id) {
                return Err(name_taken(new_name, &snapshot.workspace_id));
            }
            if let Some(old) = &snapshot.name {
                store
                    .names
                    .remove(&(snapshot.workspace_id.clone(), old.clone()));
            }
            store.names.insert(key, id.to_owned());
        }
        if let Some(stored) = store.snapshots.get_mut(id) {
            if let Some(new_name) = new_name {
                stored.name = Some(new_name);
            }
            if let Some(description) = description {
                stored.description = Some(description);
            }
            stored.updated = Some(now);
        }
        Ok(())
    }

    pub(super) fn delete(&self, id: &str, workspace: Option<&str>) -> Result<(), ApiError> {
        let mut store = self.store();
        let snapshot = self.find(&store, id, workspace)?;
        store.snapshots.remove(id);
        if let Some(name) = snapshot.name {
            store.names.remove(&(snapshot.workspace_id, name));
        }
        Ok(())
    }

    pub(super) fn list(
        &self,
        request: &ListRequest,
        now: DateTime<Utc>,
    ) -> Result<ListResult, ApiError> {
        if let Some(workspace) = &request.workspace_id {
            self.workspace(Some(workspace))?;
        }
        let fingerprint = request.fingerprint();
        let cursor = self.cursor(request, fingerprint)?;
        let mut matching: Vec<Snapshot> = self
            .store()
            .snapshots
            .values()
            .filter(|s| request.matches(s, s.state(now, self.create).0))
            .cloned()
            .collect();
        let direction = match request.order {
            types::Order::Asc => Direction::Asc,
            types::Order::Desc => Direction::Desc,
        };
        let position = |s: &Snapshot| self.position(request, s, now);
        pagination::sort_by_position(&mut matching, direction, position);
        let (page, size) = match request.paging {
            Paging::Number { number, size } => {
                (pagination::by_number(&matching, number, size), size)
            }
            Paging::Token { size, .. } => (
                pagination::by_cursor(&matching, cursor, size, direction, position),
                size,
            ),
        };
        let next_token = match (page.more, page.items.last()) {
            (true, Some(last)) => Some(
                Cursor {
                    fingerprint,
                    after: position(last),
                }
                .encode(&self.token_secret),
            ),
            _ => None,
        };
        Ok(ListResult {
            snapshots: page
                .items
                .iter()
                .map(|s| s.view(now, self.create))
                .collect::<Result<_, _>>()?,
            total: matching.len(),
            next_token,
            page_size: size,
        })
    }

    /// The position after which a token-paged request resumes; `InvalidNextToken` when its
    /// token was altered, is another server's, or was made for other filters or order.
    fn cursor(
        &self,
        request: &ListRequest,
        fingerprint: u64,
    ) -> Result<Option<Position>, ApiError> {
        let Paging::Token {
            token: Some(token), ..
        } = &request.paging
        else {
            return Ok(None);
        };
        Cursor::decode(&self.token_secret, token)
            .filter(|c| c.fingerprint == fingerprint)
            .map(|c| Some(c.after))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidNextToken",
                    "The specified NextToken is invalid: it was altered, comes from another server, or was made for other filters or sort order.",
                )
            })
    }

    /// The sort position of `snapshot` under the request's sort key.
    fn position(&self, request: &ListRequest, snapshot: &Snapshot, now: DateTime<Utc>) -> Position {
        Position {
            key: match request.sort_by {
                types::SortBy::GmtCreateTime => snapshot.created,
                types::SortBy::GmtModifiedTime => snapshot.modified(now, self.create),
            }
            .timestamp_nanos_opt()
            .unwrap_or(i64::MAX),
            seq: snapshot.seq,
        }
    }
}

fn name_taken(name: &str, workspace: &str) -> ApiError {
    ApiError::bad_request(
        "SnapshotNameAlreadyExists",
        format!("A snapshot named {name} already exists in the workspace {workspace}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(create: Duration) -> LangStudio {
        LangStudio::new(&["ws-1".to_owned(), "ws-2".to_owned()], "1001", create)
    }

    fn body(json: serde_json::Value) -> types::CreateSnapshotRequest {
        serde_json::from_value(json).expect("valid body")
    }

    fn flow(name: &str) -> types::CreateSnapshotRequest {
        body(serde_json::json!({"SnapshotName": name, "SnapshotResourceId": "flow-1"}))
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    fn list_query(ls: &LangStudio, q: &str) -> Result<ListResult, ApiError> {
        ls.list(
            &ListRequest::from_query(&Query::parse(Some(q), "InvalidParameter"))?,
            t("2025-01-01T01:00:00Z"),
        )
    }

    fn ids(result: &ListResult) -> Vec<String> {
        result
            .snapshots
            .iter()
            .map(|s| s.snapshot_id.clone().expect("id"))
            .collect()
    }

    #[test]
    fn creating_then_success_or_failed() {
        let ls = ls(Duration::from_secs(5));
        let t0 = t("2025-01-01T00:00:00Z");
        let ok = ls.create(flow("good"), t0).expect("created");
        let bad = ls.create(flow("Will_FAIL"), t0).expect("created");
        let early = ls.get(&ok, None, t("2025-01-01T00:00:04Z")).expect("found");
        assert_eq!(early.snapshot_status.as_deref(), Some("Creating"));
        assert_eq!(early.snapshot_url, None);
        let late = ls
            .get(&ok, Some("ws-1"), t("2025-01-01T00:00:05Z"))
            .expect("found");
        assert_eq!(late.snapshot_status.as_deref(), Some("Success"));
        assert!(late
            .snapshot_storage_path
            .is_some_and(|p| p.ends_with(&format!("{ok}/"))));
        assert!(late.snapshot_url.is_some());
        assert_eq!(late.creator.as_deref(), Some("1001"));
        assert_eq!(
            late.gmt_modified_time.as_deref(),
            Some("2025-01-01T00:00:05Z")
        );
        assert_eq!(
            late.snapshot_resource_type,
            Some(types::SnapshotResourceTypeValue::SnapshotResourceType(
                types::SnapshotResourceType::Flow
            ))
        );
        let failed = ls
            .get(&bad, None, t("2025-01-01T00:00:06Z"))
            .expect("found");
        assert_eq!(failed.snapshot_status.as_deref(), Some("Failed"));
        assert!(failed.error_message.is_some());
        assert_eq!(failed.snapshot_url, None);
    }

    #[test]
    fn workspaces_names_and_sources() {
        let ls = ls(Duration::ZERO);
        let now = t("2025-01-01T00:00:00Z");
        let a = ls.create(flow("a"), now).expect("created");
        let e = ls.create(flow("a"), now).expect_err("duplicate");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (400, "SnapshotNameAlreadyExists")
        );
        ls.create(body(serde_json::json!({"SnapshotName": "a", "WorkspaceId": "ws-2", "SourceStoragePath": "oss://b/p"})), now)
            .expect("same name, other workspace");
        let e = ls
            .create(body(serde_json::json!({"SnapshotName": "b"})), now)
            .expect_err("no source");
        assert_eq!(e.code, "InvalidParameter");
        let e = ls
            .create(
                body(serde_json::json!({"WorkspaceId": "ws-9", "SourceStoragePath": "oss://b"})),
                now,
            )
            .expect_err("unknown workspace");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (404, "WorkspaceNotFound")
        );
        assert_eq!(
            ls.get(&a, Some("ws-2"), now).expect_err("other ws").code,
            "SnapshotNotFound"
        );
        assert_eq!(
            ls.get(&a, Some("ws-9"), now).expect_err("unknown ws").code,
            "WorkspaceNotFound"
        );
        assert_eq!(
            ls.get("snap-none", None, now)
                .expect_err("unknown")
                .status
                .as_u16(),
            404
        );

        let b = ls.create(flow("b"), now).expect("created");
        let rename = |id: &str, name: &str| {
            ls.update(
                id,
                None,
                Some(types::SnapshotName::try_from(name).expect("valid")),
                None,
                now,
            )
        };
        assert_eq!(
            rename(&b, "a").expect_err("taken").code,
            "SnapshotNameAlreadyExists"
        );
        rename(&b, "b").expect("same name is fine");
        rename(&b, "c").expect("renamed");
        ls.create(flow("b"), now).expect("old name is free again");
        ls.update(
            &a,
            Some("ws-1"),
            None,
            Some("new text".into()),
            t("2025-01-01T00:10:00Z"),
        )
        .expect("described");
        let got = ls.get(&a, None, t("2025-01-01T00:20:00Z")).expect("found");
        assert_eq!(got.description.as_deref(), Some("new text"));
        assert_eq!(
            got.gmt_modified_time.as_deref(),
            Some("2025-01-01T00:10:00Z")
        );
        ls.delete(&a, None).expect("deleted");
        assert_eq!(
            ls.delete(&a, None).expect_err("gone").code,
            "SnapshotNotFound"
        );
        ls.create(flow("a"), now).expect("deleted name is free");
    }

    fn seeded() -> (LangStudio, Vec<String>) {
        let ls = ls(Duration::from_secs(60));
        let mut created = Vec::new();
        for i in 0..25u32 {
            let at = t("2025-01-01T00:00:00Z") + chrono::TimeDelta::seconds(i64::from(i / 2));
            let mut request = flow(&format!("s{i:02}"));
            request.accessibility = Some(if i % 3 == 0 {
                types::Accessibility::Public
            } else {
                types::Accessibility::Private
            });
            request.creation_type = Some(match i % 3 {
                0 => types::CreationType::ManualCreated,
                1 => types::CreationType::DeploymentAutoCreated,
                _ => types::CreationType::EvaluationAutoCreated,
            });
            if i >= 20 {
                request.workspace_id = Some("ws-2".into());
            }
            created.push(ls.create(request, at).expect("created"));
        }
        (ls, created)
    }

    #[test]
    fn pages_by_number_and_by_token_agree() {
        let (ls, created) = seeded();
        let mut newest_first = created.clone();
        newest_first.reverse();
        let first = list_query(&ls, "PageSize=10").expect("listed");
        assert_eq!(first.total, 25);
        assert_eq!(ids(&first), newest_first[..10]);
        let third = list_query(&ls, "PageSize=10&PageNumber=3").expect("listed");
        assert_eq!(ids(&third), newest_first[20..]);
        assert_eq!(third.next_token, None);

        let mut walked = Vec::new();
        let mut query = "MaxResults=7&Order=DESC".to_owned();
        loop {
            let page = list_query(&ls, &query).expect("listed");
            assert_eq!(page.total, 25);
            assert_eq!(page.page_size, 7);
            walked.extend(ids(&page));
            match page.next_token {
                Some(token) => query = format!("MaxResults=7&Order=DESC&NextToken={token}"),
                None => break,
            }
        }
        assert_eq!(walked, newest_first);
        // A page-number page also hands out a token for the rest.
        let token = first.next_token.expect("more");
        let rest = list_query(&ls, &format!("NextToken={token}&MaxResults=100")).expect("listed");
        assert_eq!(ids(&rest), newest_first[10..]);
        // Same position, same token.
        assert_eq!(
            list_query(&ls, "PageSize=10").expect("listed").next_token,
            Some(token)
        );
    }

    #[test]
    fn tokens_are_bound_to_their_filters() {
        let (ls, _) = seeded();
        let token = list_query(&ls, "MaxResults=2&Accessibility=PUBLIC")
            .expect("listed")
            .next_token
            .expect("more");
        assert!(list_query(
            &ls,
            &format!("MaxResults=2&Accessibility=PUBLIC&NextToken={token}")
        )
        .is_ok());
        for other in [
            format!("MaxResults=2&NextToken={token}"),
            format!("MaxResults=2&Accessibility=PUBLIC&Order=ASC&NextToken={token}"),
            "NextToken=garbage".to_owned(),
            format!("NextToken={}00", &token[..token.len() - 2]),
        ] {
            let e = list_query(&ls, &other).expect_err("refused");
            assert_eq!(
                (e.status.as_u16(), e.code.as_str()),
                (400, "InvalidNextToken"),
                "{other}"
            );
        }
    }

    #[test]
    fn filters() {
        let (ls, created) = seeded();
        let count = |q: &str| {
            list_query(&ls, &format!("{q}&PageSize=100"))
                .expect("listed")
                .total
        };
        assert_eq!(count("WorkspaceId=ws-2"), 5);
        assert_eq!(count("WorkspaceId=ws-1"), 20);
        assert_eq!(count("Accessibility=PUBLIC"), 9);
        assert_eq!(
            count("CreationType=DeploymentAutoCreated,EvaluationAutoCreated"),
            16
        );
        assert_eq!(count("CreationType=ManualCreated"), 9);
        assert_eq!(count("Creator=1001"), 25);
        assert_eq!(count("Creator=other"), 0);
        assert_eq!(count(&format!("SnapshotId={}", created[3])), 1);
        assert_eq!(
            count("SnapshotResourceId=flow-1&SnapshotResourceType=Flow"),
            25
        );
        // An hour after the creates, every one is done.
        assert_eq!(count("SnapshotStatus=Success"), 25);
        assert_eq!(count("SnapshotStatus=Creating"), 0);
        let asc = list_query(&ls, "Order=ASC&SortBy=GmtCreateTime&PageSize=3").expect("listed");
        assert_eq!(ids(&asc), created[..3]);
        for bad in [
            "WorkspaceId=ws-9",
            "CreationType=Manual",
            "Accessibility=private",
            "SortBy=Name",
            "Order=desc",
            "MaxResults=0",
            "PageSize=101",
            "PageNumber=0",
            "SnapshotResourceType=Dataset",
        ] {
            assert!(list_query(&ls, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sorting_by_modification_time() {
        let (ls, created) = seeded();
        ls.update(
            &created[0],
            None,
            None,
            Some("touched".into()),
            t("2025-01-01T00:30:00Z"),
        )
        .expect("updated");
        let newest = list_query(&ls, "SortBy=GmtModifiedTime&PageSize=1").expect("listed");
        assert_eq!(ids(&newest), [created[0].clone()]);
    }
}
