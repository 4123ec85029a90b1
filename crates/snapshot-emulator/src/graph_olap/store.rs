//! The in-memory control plane: users, mappings, snapshots, export jobs and instances, the
//! rules of each operation, and the lazy state machines ([`Store::advance`] brings the
//! snapshots whose export changes by now, found in a queue ordered by the time of their next
//! change, and every moving instance up to the present before each request is served).
//! Snapshot listings read ordered indexes ([`index`]) instead of sorting every snapshot.

use super::config::{Config, ReferencedSnapshotDelete, Role, Timing};
use super::error::ApiError;
use super::export::{self, Phase, Plan};
use super::query::{like_contains, ListParams};
use chrono::{DateTime, Utc};
use graph_olap::types;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

mod index;
mod ops;
mod ordered;
mod record;
mod seed;
mod slab;
pub(crate) use ops::{reported_status, InstanceReport, UserStatus};
pub(crate) use record::SnapshotRec;
use record::{Interner, JobCursor, JobNames};

/// Default `ttl` / `inactivity_timeout` of a snapshot (upstream global config).
pub(crate) const SNAPSHOT_TTL: &str = "P7D";
pub(crate) const SNAPSHOT_INACTIVITY: &str = "P3D";
/// Default `ttl` / `inactivity_timeout` / `cpu_cores` of an instance.
pub(crate) const INSTANCE_TTL: &str = "PT24H";
pub(crate) const INSTANCE_INACTIVITY: &str = "PT4H";
pub(crate) const INSTANCE_CPU_CORES: i64 = 1;
/// Bucket of `gcs_path`.
const BUCKET: &str = "graph-exports";

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub username: String,
    pub role: Role,
}

impl Caller {
    /// Owners may change their resources; admin and ops may change anyone's.
    fn may_modify(&self, owner: &str) -> bool {
        self.role.is_privileged() || self.username == owner
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct MappingVersionRec {
    pub version: i64,
    pub nodes: Vec<types::NodeDefinition>,
    pub edges: Vec<types::EdgeDefinition>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub(crate) struct MappingRec {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub description: Option<String>,
    pub ttl: Option<String>,
    pub inactivity_timeout: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub versions: Vec<MappingVersionRec>,
}

impl MappingRec {
    pub(crate) fn current(&self) -> Option<&MappingVersionRec> {
        self.versions.last()
    }
}

/// Row counts by label, sorted by label.
pub(crate) type Counts = Box<[(String, i64)]>;

/// Row counts sorted by label (the last of a repeated label wins, as in a map).
fn sorted_counts(pairs: impl IntoIterator<Item = (String, i64)>) -> Counts {
    pairs
        .into_iter()
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

/// Snapshot status (upstream `SnapshotStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnapshotStatus {
    Pending,
    Creating,
    Ready,
    Failed,
}

impl SnapshotStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Creating => "creating",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    fn from_reported(status: types::ReportedSnapshotStatus) -> Self {
        match status {
            types::ReportedSnapshotStatus::Pending => Self::Pending,
            types::ReportedSnapshotStatus::Creating => Self::Creating,
            types::ReportedSnapshotStatus::Ready => Self::Ready,
            types::ReportedSnapshotStatus::Failed => Self::Failed,
        }
    }

    fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Failed)
    }
}

/// A simulated export in progress (held in the record: no allocation per export). Its
/// [`Plan`] follows from the store's timing, the snapshot's job count and `fails`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ExportRun {
    started: DateTime<Utc>,
    /// When its phase or a job's status next changes (its place in [`Store::due`]).
    next: DateTime<Utc>,
    /// Whether the run fails (read from the name when it started).
    fails: bool,
}

impl ExportRun {
    fn new(started: DateTime<Utc>, plan: &Plan, now: DateTime<Utc>) -> Self {
        let next =
            export::next_change(plan, elapsed(started, now)).map_or(now, |by| after(started, by));
        Self {
            started,
            next,
            fails: plan.fail_at.is_some(),
        }
    }

    /// The plan of a run of `jobs` jobs under `timing`.
    fn plan(self, timing: Timing, jobs: usize) -> Plan {
        Plan {
            pending: timing.snapshot_pending,
            creating: timing.snapshot_creating,
            jobs,
            fail_at: self.fails.then(|| Plan::failing_job(jobs)),
        }
    }
}

/// Instance status (upstream `InstanceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceStatus {
    WaitingForSnapshot,
    Starting,
    Running,
    /// Only a wrapper's report sets it; not active.
    Stopping,
    Failed,
}

impl InstanceStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::WaitingForSnapshot => "waiting_for_snapshot",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Failed => "failed",
        }
    }

    /// Counted by the concurrency limits and blocking snapshot deletion.
    fn is_active(self) -> bool {
        matches!(
            self,
            Self::WaitingForSnapshot | Self::Starting | Self::Running
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InstanceRec {
    pub id: i64,
    pub snapshot_id: i64,
    pub owner: String,
    pub wrapper_type: types::WrapperType,
    pub name: String,
    pub description: Option<String>,
    pub status: InstanceStatus,
    pub instance_url: Option<String>,
    pub pod_name: Option<String>,
    /// Upstream `InstanceErrorCode` text.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub ttl: Option<String>,
    pub inactivity_timeout: Option<String>,
    pub cpu_cores: i64,
    /// Loading progress a wrapper reported (`PUT /api/internal/instances/{id}/progress`).
    pub progress: Option<types::InstanceProgress>,
    /// Last activity a wrapper reported (`POST /api/internal/instances/{id}/activity`).
    pub last_activity_at: Option<DateTime<Utc>>,
    starting_at: Option<DateTime<Utc>>,
}

/// The whole control plane state.
#[derive(Debug)]
pub(crate) struct Store {
    timing: Timing,
    referenced_delete: ReferencedSnapshotDelete,
    max_per_user: u64,
    max_total: u64,
    users: BTreeMap<String, UserRec>,
    mappings: BTreeMap<i64, MappingRec>,
    /// In one slab (see [`slab`]).
    snapshots: slab::Records<SnapshotRec>,
    instances: BTreeMap<i64, InstanceRec>,
    next_mapping: i64,
    next_snapshot: i64,
    next_instance: i64,
    /// Snapshots with a simulated export in progress, by the time of their next change.
    due: BTreeSet<(DateTime<Utc>, i64)>,
    /// The list orders and filters of the snapshots.
    index: index::SnapshotIndex,
    /// Instances still `waiting_for_snapshot` or `starting`.
    moving: BTreeSet<i64>,
    /// Owners and lifecycle durations shared between snapshots.
    texts: Interner,
    /// The export jobs of each mapping version that has snapshots.
    job_names: HashMap<(i64, i64), JobNames>,
}

fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

fn after(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Prefix of the snapshots `POST /api/instances` creates.
const AUTO_SNAPSHOT: &str = "Auto-snapshot for ";

/// Whether an export of a snapshot called `name` fails (the emulator's convention: names
/// starting with `fail`, in any ASCII case; for an auto-snapshot, the instance's name).
pub(crate) fn fails_by_name(name: &str) -> bool {
    let name = name.strip_prefix(AUTO_SNAPSHOT).unwrap_or(name);
    name.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("fail"))
}

/// `created_at + ttl` as upstream computes `expires_at`: only a single-unit duration (`P7D`,
/// `PT24H`, `PT30M`, `PT45S`) counts; a compound, empty or zero one gives `None`.
pub(crate) fn expires_at(created_at: DateTime<Utc>, ttl: Option<&str>) -> Option<DateTime<Utc>> {
    let body = ttl?.strip_prefix('P')?;
    let (in_time, body) = match body.strip_prefix('T') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let unit = body.chars().last()?;
    let amount: i64 = body[..body.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match (in_time, unit) {
        (false, 'D') => amount.checked_mul(86_400)?,
        (false, 'W') => amount.checked_mul(7 * 86_400)?,
        (true, 'H') => amount.checked_mul(3_600)?,
        (true, 'M') => amount.checked_mul(60)?,
        (true, 'S') => amount,
        _ => return None,
    };
    if seconds <= 0 {
        return None;
    }
    created_at.checked_add_signed(chrono::Duration::try_seconds(seconds)?)
}

fn resource_int(id: &types::ResourceId) -> Option<i64> {
    match id {
        types::ResourceId::Int64(n) => Some(*n),
        types::ResourceId::String(s) => s.parse().ok(),
    }
}

/// Orders `None` after every value (PostgreSQL's `NULLS LAST` for ascending order, which
/// reverses to `NULLS FIRST` for descending, as the database does by default).
fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

/// Sorts by the requested field, ties broken by id, and returns the requested page and the
/// total.
fn page<T>(
    mut items: Vec<T>,
    params: &ListParams,
    by: impl Fn(&T, &T) -> Ordering,
    id: impl Fn(&T) -> i64,
) -> (Vec<T>, u64) {
    items.sort_by(|a, b| {
        let order = by(a, b).then_with(|| id(a).cmp(&id(b)));
        if params.descending {
            order.reverse()
        } else {
            order
        }
    });
    let total = items.len() as u64;
    let start = usize::try_from(params.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(params.limit).unwrap_or(usize::MAX);
    let page = items.into_iter().skip(start).take(limit).collect();
    (page, total)
}

fn matches_search(params: &ListParams, name: &str, description: Option<&str>) -> bool {
    params.search.as_deref().is_none_or(|needle| {
        like_contains(name, needle) || description.is_some_and(|d| like_contains(d, needle))
    })
}

/// What a new snapshot is made of.
struct NewSnapshot<'a> {
    owner: &'a str,
    mapping_id: i64,
    version: i64,
    jobs: JobNames,
    name: String,
    description: Option<String>,
    ttl: String,
    inactivity_timeout: String,
}

impl Store {
    /// A store holding the configured users (and the demo mapping).
    pub(crate) fn new(config: &Config, now: DateTime<Utc>) -> Self {
        let users = config
            .users
            .iter()
            .map(|seed| {
                (
                    seed.username.clone(),
                    UserRec {
                        username: seed.username.clone(),
                        email: seed.email.clone(),
                        display_name: seed.display_name.clone(),
                        role: seed.role,
                        active: seed.active,
                        created_at: now,
                        updated_at: now,
                        last_login_at: None,
                    },
                )
            })
            .collect();
        let mut store = Self {
            timing: config.timing,
            referenced_delete: config.referenced_snapshot_delete,
            max_per_user: config.max_instances_per_user,
            max_total: config.max_instances_total,
            users,
            mappings: BTreeMap::new(),
            snapshots: slab::Records::default(),
            instances: BTreeMap::new(),
            next_mapping: 1,
            next_snapshot: 1,
            next_instance: 1,
            due: BTreeSet::new(),
            index: index::SnapshotIndex::default(),
            moving: BTreeSet::new(),
            texts: Interner::default(),
            job_names: HashMap::new(),
        };
        if config.demo_mapping {
            // A constant body (a unit test decodes it), so this never skips.
            if let Ok(request) = serde_json::from_value(demo_mapping()) {
                store.create_mapping("demo", request, now);
            }
        }
        store
    }

    // ----- state machines -------------------------------------------------------------

    /// Brings every simulated export that changes by `now` (and only those: O(changes ×
    /// log n)) and every waiting or starting instance up to `now`.
    pub(crate) fn advance(&mut self, now: DateTime<Utc>) {
        while let Some(&(at, id)) = self.due.first() {
            if at > now {
                break;
            }
            let timing = self.timing;
            self.edit_snapshot(id, |snapshot| settle_snapshot(snapshot, timing, now));
            // `next_change` always lies ahead; should it not, the run stops moving rather
            // than this loop spinning.
            self.due.remove(&(at, id));
        }
        let moving: Vec<i64> = self.moving.iter().copied().collect();
        for id in moving {
            let settled = match self.instances.get_mut(&id) {
                None => true,
                Some(instance) => {
                    let snapshot = self.snapshots.get(&instance.snapshot_id);
                    settle_instance(instance, snapshot, self.timing, now)
                }
            };
            if settled {
                self.moving.remove(&id);
            }
        }
    }

    fn start_export(&mut self, id: i64, now: DateTime<Utc>) {
        let timing = self.timing;
        self.edit_snapshot(id, |snapshot| {
            let jobs = snapshot.jobs.len();
            let plan = Plan {
                pending: timing.snapshot_pending,
                creating: timing.snapshot_creating,
                jobs,
                fail_at: fails_by_name(&snapshot.name).then(|| Plan::failing_job(jobs)),
            };
            snapshot.set_run(Some(ExportRun::new(now, &plan, now)));
            snapshot.cursor = JobCursor::default();
        });
    }

    /// Changes one snapshot, keeping its index entries and its place in the export queue
    /// in step; `None` when there is no such snapshot.
    fn edit_snapshot<R>(&mut self, id: i64, f: impl FnOnce(&mut SnapshotRec) -> R) -> Option<R> {
        let snapshot = self.snapshots.get_mut(&id)?;
        let before = index::Mutable::of(snapshot);
        let was_due = snapshot.run().map(|r| r.next);
        let out = f(snapshot);
        snapshot.tidy();
        self.index.changed(before, snapshot);
        let due = snapshot.run().map(|r| r.next);
        if was_due != due {
            if let Some(at) = was_due {
                self.due.remove(&(at, id));
            }
            if let Some(at) = due {
                self.due.insert((at, id));
            }
        }
        Some(out)
    }

    /// Removes one snapshot with its index entries and its place in the export queue.
    fn remove_snapshot(&mut self, id: i64) {
        if let Some(snapshot) = self.snapshots.remove(&id) {
            self.index.remove(&snapshot);
            if let Some(run) = snapshot.run() {
                self.due.remove(&(run.next, id));
            }
        }
    }

    // ----- users ------------------------------------------------------------------------

    /// The caller behind `username`: 403 when not provisioned or disabled. Records the login.
    pub(crate) fn identify(
        &mut self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Caller, ApiError> {
        let user = self
            .users
            .get_mut(username)
            .ok_or_else(|| ApiError::NotProvisioned(username.to_owned()))?;
        if !user.active {
            return Err(ApiError::Disabled);
        }
        user.last_login_at = Some(now);
        Ok(Caller {
            username: user.username.clone(),
            role: user.role,
        })
    }

    /// `POST /api/users` (after the role check) and, with `forced_role`, bootstrap.
    pub(crate) fn create_user(
        &mut self,
        request: &types::CreateUserRequest,
        forced_role: Option<Role>,
        now: DateTime<Utc>,
    ) -> Result<UserRec, ApiError> {
        let username = request.username.to_string();
        if self.users.contains_key(&username) {
            return Err(ApiError::UserExists(username));
        }
        let role = forced_role.unwrap_or(match request.role {
            Some(types::UserRole::Admin) => Role::Admin,
            Some(types::UserRole::Ops) => Role::Ops,
            Some(types::UserRole::Analyst) | None => Role::Analyst,
        });
        let user = UserRec {
            username: username.clone(),
            email: request.email.clone(),
            display_name: request.display_name.to_string(),
            role,
            active: true,
            created_at: now,
            updated_at: now,
            last_login_at: None,
        };
        self.users.insert(username, user.clone());
        Ok(user)
    }

    /// `POST /api/users/bootstrap`: only while no user exists; the role is always `ops`.
    pub(crate) fn bootstrap(
        &mut self,
        request: &types::CreateUserRequest,
        now: DateTime<Utc>,
    ) -> Result<UserRec, ApiError> {
        if !self.users.is_empty() {
            return Err(ApiError::BootstrapClosed);
        }
        self.create_user(request, Some(Role::Ops), now)
    }

    // ----- mappings ---------------------------------------------------------------------

    pub(crate) fn create_mapping(
        &mut self,
        owner: &str,
        request: types::CreateMappingRequest,
        now: DateTime<Utc>,
    ) -> MappingRec {
        let id = self.next_mapping;
        self.next_mapping += 1;
        let mapping = MappingRec {
            id,
            owner: owner.to_owned(),
            name: request.name.to_string(),
            description: request.description.map(|d| d.to_string()),
            ttl: request.ttl.map(|d| d.to_string()),
            inactivity_timeout: request.inactivity_timeout.map(|d| d.to_string()),
            created_at: now,
            updated_at: now,
            versions: vec![MappingVersionRec {
                version: 1,
                nodes: request.node_definitions,
                edges: request.edge_definitions,
                created_at: now,
                created_by: owner.to_owned(),
            }],
        };
        self.mappings.insert(id, mapping.clone());
        mapping
    }

    /// The mapping and the requested (or current) version: 404 `Mapping` / `MappingVersion`.
    fn mapping_version(
        &self,
        mapping_id: &types::ResourceId,
        version: Option<u64>,
    ) -> Result<(i64, &MappingVersionRec), ApiError> {
        let not_found = || ApiError::NotFound {
            resource_type: "Mapping",
            resource_id: serde_json::to_value(mapping_id).unwrap_or(Value::Null),
        };
        let id = resource_int(mapping_id).ok_or_else(not_found)?;
        let mapping = self.mappings.get(&id).ok_or_else(not_found)?;
        let found = match version {
            None => mapping.current(),
            Some(v) => mapping
                .versions
                .iter()
                .find(|m| u64::try_from(m.version).ok() == Some(v)),
        };
        let found = found.ok_or_else(|| ApiError::NotFound {
            resource_type: "MappingVersion",
            resource_id: Value::from(format!("{id}/v{}", version.unwrap_or(0))),
        })?;
        Ok((id, found))
    }

    // ----- snapshots --------------------------------------------------------------------

    /// The mapping, the number and the export jobs of the requested (or current) version:
    /// 404 `Mapping` / `MappingVersion`. The jobs are shared by every snapshot of the version.
    fn version_jobs(
        &mut self,
        mapping_id: &types::ResourceId,
        version: Option<u64>,
    ) -> Result<(i64, i64, JobNames), ApiError> {
        let (id, found) = self.mapping_version(mapping_id, version)?;
        let number = found.version;
        let names = record::job_names(
            found.edges.iter().map(|e| e.type_.as_str()),
            found.nodes.iter().map(|n| n.label.as_str()),
        );
        let jobs = match self.job_names.get(&(id, number)) {
            Some(held) if **held == *names => held.clone(),
            _ => {
                let jobs: JobNames = names.into();
                self.job_names.insert((id, number), jobs.clone());
                jobs
            }
        };
        Ok((id, number, jobs))
    }

    /// Adds a `pending` snapshot (with the next id) and starts its export.
    fn insert_snapshot(&mut self, new: NewSnapshot<'_>, now: DateTime<Utc>) -> i64 {
        let id = self.next_snapshot;
        self.next_snapshot += 1;
        let snapshot = SnapshotRec {
            id,
            mapping_id: new.mapping_id,
            mapping_version: new.version,
            owner: self.texts.text(new.owner),
            name: new.name.into(),
            description: new.description.map(String::into_boxed_str),
            status: SnapshotStatus::Pending,
            created_at: now,
            updated_at: now,
            ttl: self.texts.text(&new.ttl),
            inactivity_timeout: self.texts.text(&new.inactivity_timeout),
            settled_at: None,
            jobs: new.jobs,
            cursor: JobCursor::default(),
            exported: false,
            run: None,
            rare: None,
        };
        // Refused only past `u32::MAX` records (terabytes): the caller then finds no
        // snapshot `id` and answers 404 rather than holding an unindexed one.
        if !self.snapshots.insert(id, snapshot) {
            return id;
        }
        if let Some(snapshot) = self.snapshots.get(&id) {
            self.index.add(snapshot);
        }
        self.start_export(id, now);
        id
    }

    /// `POST /api/snapshots`: 404 for the mapping or version, else a `pending` snapshot.
    pub(crate) fn create_snapshot(
        &mut self,
        caller: &Caller,
        request: types::CreateSnapshotRequest,
        now: DateTime<Utc>,
    ) -> Result<&SnapshotRec, ApiError> {
        let (mapping_id, version, jobs) = self.version_jobs(
            &request.mapping_id,
            request.mapping_version.map(|v| v.get()),
        )?;
        let new = NewSnapshot {
            owner: &caller.username,
            mapping_id,
            version,
            jobs,
            name: request.name.to_string(),
            description: request.description.map(|d| d.to_string()),
            ttl: request
                .ttl
                .map_or_else(|| SNAPSHOT_TTL.to_owned(), |d| d.to_string()),
            inactivity_timeout: request
                .inactivity_timeout
                .map_or_else(|| SNAPSHOT_INACTIVITY.to_owned(), |d| d.to_string()),
        };
        let id = self.insert_snapshot(new, now);
        self.snapshot(id)
    }

    /// One snapshot (any provisioned user may read): 404 when unknown.
    pub(crate) fn snapshot(&self, id: i64) -> Result<&SnapshotRec, ApiError> {
        self.snapshots
            .get(&id)
            .ok_or_else(|| ApiError::not_found("Snapshot", id))
    }

    /// A snapshot the caller may change: 404, then 403 `PERMISSION_DENIED`.
    fn owned_snapshot(&self, caller: &Caller, id: i64) -> Result<&SnapshotRec, ApiError> {
        let snapshot = self.snapshot(id)?;
        if caller.may_modify(&snapshot.owner) {
            Ok(snapshot)
        } else {
            Err(ApiError::PermissionDenied {
                resource_type: "Snapshot",
                resource_id: id,
            })
        }
    }

    /// `PUT /api/snapshots/{id}`: a null or omitted field keeps its value.
    pub(crate) fn update_snapshot(
        &mut self,
        caller: &Caller,
        id: i64,
        request: types::UpdateSnapshotRequest,
        now: DateTime<Utc>,
    ) -> Result<&SnapshotRec, ApiError> {
        self.owned_snapshot(caller, id)?;
        self.edit_snapshot(id, |snapshot| {
            if let Some(name) = request.name {
                snapshot.name = name.to_string().into();
            }
            if let Some(description) = request.description {
                snapshot.description = Some(description.to_string().into());
            }
            snapshot.updated_at = now;
        });
        self.snapshot(id)
    }

    /// `PUT /api/snapshots/{id}/lifecycle`.
    pub(crate) fn update_lifecycle(
        &mut self,
        caller: &Caller,
        id: i64,
        request: types::UpdateLifecycleRequest,
        now: DateTime<Utc>,
    ) -> Result<&SnapshotRec, ApiError> {
        self.owned_snapshot(caller, id)?;
        let ttl = request.ttl.map(|t| self.texts.text(&t));
        let timeout = request.inactivity_timeout.map(|t| self.texts.text(&t));
        self.edit_snapshot(id, |snapshot| {
            if let Some(ttl) = ttl {
                snapshot.ttl = ttl;
            }
            if let Some(timeout) = timeout {
                snapshot.inactivity_timeout = timeout;
            }
            snapshot.updated_at = now;
        });
        self.snapshot(id)
    }

    /// `POST /api/snapshots/{id}/retry`: only from `failed` (else 409 `INVALID_STATE`); the
    /// export starts again, `error_message` is kept (as upstream's COALESCE keeps it).
    pub(crate) fn retry_snapshot(
        &mut self,
        caller: &Caller,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<&SnapshotRec, ApiError> {
        let snapshot = self.owned_snapshot(caller, id)?;
        if snapshot.status != SnapshotStatus::Failed {
            return Err(ApiError::InvalidState {
                resource: "Snapshot",
                resource_id: id,
                current_state: snapshot.status.as_str().to_owned(),
                required_state: "failed",
            });
        }
        self.edit_snapshot(id, |snapshot| {
            snapshot.status = SnapshotStatus::Pending;
            snapshot.updated_at = now;
        });
        self.start_export(id, now);
        self.snapshot(id)
    }

    /// `DELETE /api/snapshots/{id}`: 404, 403, then the dependency rule of the configuration.
    pub(crate) fn delete_snapshot(&mut self, caller: &Caller, id: i64) -> Result<(), ApiError> {
        self.owned_snapshot(caller, id)?;
        let users: Vec<&InstanceRec> = self
            .instances
            .values()
            .filter(|i| i.snapshot_id == id)
            .collect();
        match self.referenced_delete {
            ReferencedSnapshotDelete::InternalError if !users.is_empty() => {
                return Err(ApiError::Internal)
            }
            ReferencedSnapshotDelete::Conflict => {
                let statuses: Vec<String> = users
                    .iter()
                    .filter(|i| i.status.is_active())
                    .map(|i| i.status.as_str().to_owned())
                    .collect();
                if !statuses.is_empty() {
                    return Err(ApiError::HasDependencies {
                        resource_id: id,
                        statuses,
                    });
                }
            }
            ReferencedSnapshotDelete::InternalError => {}
        }
        self.remove_snapshot(id);
        Ok(())
    }

    /// `PATCH /api/internal/snapshots/{id}/status`: any transition; omitted fields keep
    /// their values; the simulated export (if any) stops, the reporter drives from now on.
    pub(crate) fn report_status(
        &mut self,
        id: i64,
        request: types::UpdateSnapshotStatusRequest,
        now: DateTime<Utc>,
    ) -> Result<&SnapshotRec, ApiError> {
        self.snapshot(id)?;
        self.edit_snapshot(id, |snapshot| report_into(snapshot, request, now));
        self.snapshot(id)
    }

    /// `GET /api/snapshots`: from an index, else a scan of the first filter's matches
    /// (see [`index`]).
    pub(crate) fn list_snapshots(&self, params: &ListParams) -> (Vec<&SnapshotRec>, u64) {
        if let Some((ids, total)) = self.index.page(params) {
            let page = ids.iter().filter_map(|id| self.snapshots.get(id)).collect();
            return (page, total);
        }
        let candidates: Vec<&SnapshotRec> = match self.index.candidates(params) {
            Some(ids) => ids.iter().filter_map(|id| self.snapshots.get(id)).collect(),
            None => self.snapshots.values().collect(),
        };
        scan_snapshots(candidates, params)
    }
}

/// The page of `candidates` matching every filter, sorted in full.
fn scan_snapshots<'a>(
    candidates: Vec<&'a SnapshotRec>,
    params: &ListParams,
) -> (Vec<&'a SnapshotRec>, u64) {
    let items: Vec<&SnapshotRec> = candidates
        .into_iter()
        .filter(|s| params.owner.as_deref().is_none_or(|o| &*s.owner == o))
        .filter(|s| params.parent_id.is_none_or(|m| s.mapping_id == m))
        .filter(|s| {
            params
                .status
                .as_deref()
                .is_none_or(|st| s.status.as_str() == st)
        })
        .filter(|s| matches_search(params, &s.name, s.description.as_deref()))
        .filter(|s| {
            params
                .seed
                .as_ref()
                .is_none_or(|seed| seed.admits(s.created_at, Some(s.mapping_version)))
        })
        .collect();
    let by = |a: &&SnapshotRec, b: &&SnapshotRec| match params.sort_by.as_str() {
        "name" => a.name.cmp(&b.name),
        "status" if params.seed.is_some() => a.status.as_str().cmp(b.status.as_str()),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        "size_bytes" => nulls_last(&a.size_bytes(), &b.size_bytes()),
        _ => a.created_at.cmp(&b.created_at),
    };
    page(items, params, by, |s| s.id)
}

impl Store {
    // ----- instances --------------------------------------------------------------------

    fn active_instances(&self, owner: Option<&str>) -> u64 {
        self.instances
            .values()
            .filter(|i| i.status.is_active() && owner.is_none_or(|o| i.owner == o))
            .count() as u64
    }

    /// `POST /api/instances`: 404 for the mapping or version, 409 over a limit; reuses the
    /// newest `ready` snapshot of the mapping version or creates `Auto-snapshot for {name}`.
    pub(crate) fn create_instance(
        &mut self,
        caller: &Caller,
        request: types::CreateInstanceRequest,
        now: DateTime<Utc>,
    ) -> Result<&InstanceRec, ApiError> {
        let (mapping_id, version, jobs) = self.version_jobs(
            &request.mapping_id,
            request.mapping_version.map(|v| v.get()),
        )?;
        let mine = self.active_instances(Some(&caller.username));
        if mine >= self.max_per_user {
            return Err(ApiError::ConcurrencyLimit {
                limit_type: "per_analyst",
                current_count: mine,
                max_allowed: self.max_per_user,
            });
        }
        let all = self.active_instances(None);
        if all >= self.max_total {
            return Err(ApiError::ConcurrencyLimit {
                limit_type: "cluster_total",
                current_count: all,
                max_allowed: self.max_total,
            });
        }
        let name = request.name.to_string();
        let ttl = request
            .ttl
            .map_or_else(|| INSTANCE_TTL.to_owned(), |d| d.to_string());
        let inactivity = request
            .inactivity_timeout
            .map_or_else(|| INSTANCE_INACTIVITY.to_owned(), |d| d.to_string());
        let reusable = self.index.newest_ready(mapping_id, version);
        let snapshot_id = match reusable {
            Some(id) => id,
            None => {
                let new = NewSnapshot {
                    owner: &caller.username,
                    mapping_id,
                    version,
                    jobs,
                    name: format!("{AUTO_SNAPSHOT}{name}"),
                    description: Some(format!("Automatically created for instance '{name}'")),
                    ttl: ttl.clone(),
                    inactivity_timeout: inactivity.clone(),
                };
                self.insert_snapshot(new, now)
            }
        };
        let id = self.next_instance;
        self.next_instance += 1;
        let instance = InstanceRec {
            id,
            snapshot_id,
            owner: caller.username.clone(),
            wrapper_type: request.wrapper_type,
            name,
            description: request.description.map(|d| d.to_string()),
            status: InstanceStatus::WaitingForSnapshot,
            instance_url: None,
            pod_name: None,
            error_code: None,
            error_message: None,
            created_at: now,
            updated_at: now,
            started_at: None,
            expires_at: expires_at(now, Some(&ttl)),
            ttl: Some(ttl),
            inactivity_timeout: Some(inactivity),
            cpu_cores: request
                .cpu_cores
                .map_or(INSTANCE_CPU_CORES, |c| i64::from(c.get())),
            progress: None,
            last_activity_at: None,
            starting_at: None,
        };
        self.instances.insert(id, instance);
        self.moving.insert(id);
        self.instance(id)
    }

    /// One instance: 404 `Instance N not found`.
    pub(crate) fn instance(&self, id: i64) -> Result<&InstanceRec, ApiError> {
        self.instances
            .get(&id)
            .ok_or_else(|| ApiError::not_found("Instance", id))
    }

    /// `DELETE /api/instances/{id}`: 404, 403, then gone, and with it its snapshot when no
    /// other instance (whatever its status) references it, as upstream cascades.
    pub(crate) fn delete_instance(&mut self, caller: &Caller, id: i64) -> Result<(), ApiError> {
        let instance = self.instance(id)?;
        if !caller.may_modify(&instance.owner) {
            return Err(ApiError::PermissionDenied {
                resource_type: "Instance",
                resource_id: id,
            });
        }
        let snapshot_id = instance.snapshot_id;
        self.instances.remove(&id);
        self.moving.remove(&id);
        if !self
            .instances
            .values()
            .any(|i| i.snapshot_id == snapshot_id)
        {
            self.remove_snapshot(snapshot_id);
        }
        Ok(())
    }

    /// `GET /api/instances`.
    pub(crate) fn list_instances(&self, params: &ListParams) -> (Vec<&InstanceRec>, u64) {
        let items: Vec<&InstanceRec> = self
            .instances
            .values()
            .filter(|i| params.owner.as_deref().is_none_or(|o| i.owner == o))
            .filter(|i| params.parent_id.is_none_or(|s| i.snapshot_id == s))
            .filter(|i| {
                params
                    .status
                    .as_deref()
                    .is_none_or(|st| i.status.as_str() == st)
            })
            .filter(|i| matches_search(params, &i.name, i.description.as_deref()))
            .filter(|i| {
                params
                    .seed
                    .as_ref()
                    .is_none_or(|seed| seed.admits(i.created_at, None))
            })
            .collect();
        let by = |a: &&InstanceRec, b: &&InstanceRec| match params.sort_by.as_str() {
            "name" => a.name.cmp(&b.name),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            "started_at" => nulls_last(&a.started_at, &b.started_at),
            _ => a.created_at.cmp(&b.created_at),
        };
        page(items, params, by, |i| i.id)
    }
}

/// Applies a reporter's status to a snapshot (the simulated export, if any, stops).
fn report_into(
    snapshot: &mut SnapshotRec,
    request: types::UpdateSnapshotStatusRequest,
    now: DateTime<Utc>,
) {
    snapshot.set_run(None);
    snapshot.status = SnapshotStatus::from_reported(request.status);
    if let Some(message) = request.error_message {
        snapshot.rare_mut().error_message = Some(message);
    }
    if let Some(progress) = request.progress {
        let mut stored = match serde_json::to_value(progress) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        stored.entry("current_step").or_insert(Value::Null);
        snapshot.rare_mut().progress = Some(stored);
    }
    if !request.node_counts.is_empty() {
        snapshot.rare_mut().node_counts = Some(sorted_counts(request.node_counts));
    }
    if !request.edge_counts.is_empty() {
        snapshot.rare_mut().edge_counts = Some(sorted_counts(request.edge_counts));
    }
    if let Some(size) = request.size_bytes {
        snapshot.rare_mut().size_bytes = Some(size);
    }
    snapshot.updated_at = now;
    if snapshot.status.is_final() {
        snapshot.settled_at = Some(now);
    }
}

/// Advances one simulated export to `now`; true once it reached its final state.
fn settle_snapshot(snapshot: &mut SnapshotRec, timing: Timing, now: DateTime<Utc>) -> bool {
    let Some(run) = snapshot.run() else {
        return true;
    };
    let plan = run.plan(timing, snapshot.jobs.len());
    match export::phase_at(&plan, elapsed(run.started, now)) {
        Phase::Pending => {
            snapshot.set_run(Some(ExportRun::new(run.started, &plan, now)));
            false
        }
        Phase::Creating { since, jobs } => {
            if snapshot.status != SnapshotStatus::Creating {
                snapshot.status = SnapshotStatus::Creating;
                snapshot.updated_at = after(run.started, since);
            }
            snapshot.cursor = JobCursor::of(&jobs);
            snapshot.set_run(Some(ExportRun::new(run.started, &plan, now)));
            false
        }
        Phase::Ready { at } => {
            snapshot.cursor = JobCursor::all_done(snapshot.jobs.len());
            // The counts and size are now the export's, derived when read.
            snapshot.exported = true;
            if let Some(rare) = snapshot.rare.as_deref_mut() {
                (rare.node_counts, rare.edge_counts, rare.size_bytes) = (None, None, None);
            }
            finish(snapshot, SnapshotStatus::Ready, after(run.started, at));
            true
        }
        Phase::Failed { at, job, jobs } => {
            snapshot.cursor = JobCursor::of(&jobs);
            let (kind, name) = snapshot
                .jobs
                .get(job)
                .map_or(("node", ""), |j| (j.kind, &*j.name));
            let message = format!(
                "Export job for {kind} '{name}' failed: simulated failure (snapshot names starting with 'fail' always fail)"
            );
            snapshot.rare_mut().error_message = Some(message);
            finish(snapshot, SnapshotStatus::Failed, after(run.started, at));
            true
        }
    }
}

fn finish(snapshot: &mut SnapshotRec, status: SnapshotStatus, at: DateTime<Utc>) {
    snapshot.status = status;
    snapshot.updated_at = at;
    snapshot.settled_at = Some(at);
    snapshot.set_run(None);
}

/// Advances one instance to `now` (upstream's orchestration job, evaluated lazily); true
/// once it no longer moves on its own.
fn settle_instance(
    instance: &mut InstanceRec,
    snapshot: Option<&SnapshotRec>,
    timing: Timing,
    now: DateTime<Utc>,
) -> bool {
    if instance.status == InstanceStatus::WaitingForSnapshot {
        let pickup = after(instance.created_at, timing.instance_pickup);
        if now < pickup {
            return false;
        }
        let (status, settled) = match snapshot {
            None => {
                fail_instance(
                    instance,
                    now,
                    "Pending snapshot was deleted before it could complete".into(),
                );
                return true;
            }
            Some(s) => (s.status, s.settled_at.unwrap_or(pickup).max(pickup)),
        };
        match status {
            SnapshotStatus::Ready => {
                // As upstream: no pod name or URL until a wrapper reports them.
                instance.status = InstanceStatus::Starting;
                instance.updated_at = settled;
                instance.starting_at = Some(settled);
            }
            SnapshotStatus::Failed => {
                let why = snapshot
                    .and_then(|s| s.error_message().map(str::to_owned))
                    .unwrap_or_else(|| "Snapshot creation failed".into());
                fail_instance(instance, settled, format!("Snapshot failed: {why}"));
                return true;
            }
            SnapshotStatus::Pending | SnapshotStatus::Creating => return false,
        }
    }
    if instance.status == InstanceStatus::Starting {
        let running_at = after(
            instance.starting_at.unwrap_or(instance.updated_at),
            timing.instance_startup,
        );
        if now < running_at {
            return false;
        }
        // The emulator's stand-in for the wrapper pod's report (upstream has no timer).
        let pod = format!("graph-instance-{}", instance.id);
        if instance.instance_url.is_none() {
            instance.instance_url = Some(format!("http://wrapper.graph-olap.local/{pod}/"));
        }
        if instance.pod_name.is_none() {
            instance.pod_name = Some(pod);
        }
        instance.status = InstanceStatus::Running;
        instance.started_at = Some(running_at);
        instance.updated_at = running_at;
    }
    true
}

fn fail_instance(instance: &mut InstanceRec, at: DateTime<Utc>, message: String) {
    instance.status = InstanceStatus::Failed;
    instance.error_code = Some("DATA_LOAD_ERROR".to_owned());
    instance.error_message = Some(message);
    instance.updated_at = at;
}

/// The demo mapping (the `Customer Graph` of the recorded exchanges), as a request body.
pub(crate) fn demo_mapping() -> Value {
    serde_json::json!({
        "name": "Customer Graph",
        "description": "Demo mapping: customers, products and purchases",
        "node_definitions": [
            {"label": "Customer", "sql": "SELECT customer_id, name FROM analytics.customers",
             "primary_key": {"name": "customer_id", "type": "STRING"},
             "properties": [{"name": "name", "type": "STRING"}]},
            {"label": "Product", "sql": "SELECT product_id, title FROM analytics.products",
             "primary_key": {"name": "product_id", "type": "STRING"},
             "properties": [{"name": "title", "type": "STRING"}]}
        ],
        "edge_definitions": [
            {"type": "PURCHASED", "from_node": "Customer", "to_node": "Product",
             "sql": "SELECT customer_id, product_id, amount FROM analytics.tx",
             "from_key": "customer_id", "to_key": "product_id",
             "properties": [{"name": "amount", "type": "DOUBLE"}]}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(sort_by: &str, descending: bool, offset: u64, limit: u64) -> ListParams {
        ListParams {
            owner: None,
            parent_id: None,
            status: None,
            search: None,
            sort_by: sort_by.into(),
            descending,
            offset,
            limit,
            seed: None,
        }
    }

    /// A store with one snapshot per name, created `gaps[i]` seconds apart (0 = same second).
    fn store_with(names: &[String], gaps: &[u8]) -> Store {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
        let mut store = Store::new(&Config::default(), start);
        let caller = Caller {
            username: "demo".into(),
            role: Role::Analyst,
        };
        let mut now = start;
        for (name, gap) in names.iter().zip(gaps) {
            now = after(now, Duration::from_secs(u64::from(*gap)));
            let request =
                serde_json::from_value(serde_json::json!({"mapping_id": 1, "name": name}))
                    .unwrap_or_else(|e| panic!("a valid body: {e}"));
            assert!(store.create_snapshot(&caller, request, now).is_ok());
        }
        store
    }

    proptest! {
        /// Walking the pages of any size, in any supported order, yields every snapshot
        /// exactly once and in the order of one big page; `total` never changes.
        #[test]
        fn page_walks_are_stable(
            names in proptest::collection::vec("[ab]{1,2}", 1..25),
            gaps in proptest::collection::vec(0u8..2, 25),
            limit in 1u64..8,
            sort in 0usize..5,
            descending in any::<bool>(),
        ) {
            let store = store_with(&names, &gaps);
            let field = ["created_at", "updated_at", "name", "size_bytes", "bogus"][sort];
            let (all, total) = store.list_snapshots(&params(field, descending, 0, 100));
            let all: Vec<i64> = all.iter().map(|s| s.id).collect();
            prop_assert_eq!(total, names.len() as u64);
            let mut walked = Vec::new();
            let mut offset = 0;
            loop {
                let (page, page_total) = store.list_snapshots(&params(field, descending, offset, limit));
                prop_assert_eq!(page_total, total);
                if page.is_empty() {
                    break;
                }
                walked.extend(page.iter().map(|s| s.id));
                offset += limit;
            }
            prop_assert_eq!(&walked, &all);
            let mut unique = walked.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), names.len());
        }
    }

    fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    /// One random step of a store under load: create (as demo or admin, for mapping 1 or
    /// 2), rename, retry, report or delete a snapshot, or let time pass.
    fn step(store: &mut Store, now: &mut DateTime<Utc>, op: (u8, u8, u8)) {
        let (kind, pick, gap) = op;
        *now = after(*now, Duration::from_millis(u64::from(gap) * 50));
        store.advance(*now);
        let who = if pick % 2 == 0 { "demo" } else { "admin" };
        let caller = Caller {
            username: who.into(),
            role: Role::Admin,
        };
        let id = i64::from(pick % 16) + 1;
        let name = ["b", "fail-a", "a", "c"][usize::from(pick % 4)];
        let _ = match kind % 6 {
            0 | 1 => store
                .create_snapshot(
                    &caller,
                    body(serde_json::json!({"mapping_id": 1 + i64::from(pick % 2), "name": name})),
                    *now,
                )
                .map(|_| ()),
            2 => store
                .update_snapshot(&caller, id, body(serde_json::json!({"name": name})), *now)
                .map(|_| ()),
            3 => store.retry_snapshot(&caller, id, *now).map(|_| ()),
            4 if gap % 2 == 0 => store
                .report_status(
                    id,
                    body(serde_json::json!({"status": "ready", "size_bytes": i64::from(gap)})),
                    *now,
                )
                .map(|_| ()),
            4 => store
                .report_status(
                    id,
                    body(serde_json::json!({"status": "failed", "node_counts": {"Customer": gap}})),
                    *now,
                )
                .map(|_| ()),
            _ => store.delete_snapshot(&caller, id),
        };
    }

    proptest! {
        /// Whatever happened to the snapshots, every page the indexes serve equals the page a
        /// full scan and sort gives, for every order, filter and direction.
        #[test]
        fn indexed_pages_equal_scanned_pages(
            ops in proptest::collection::vec((any::<u8>(), any::<u8>(), 0u8..40), 1..60),
            offset in 0u64..12,
            limit in 1u64..6,
        ) {
            let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
            let mut store = Store::new(&Config::default(), start);
            let second: types::CreateMappingRequest = serde_json::from_value(demo_mapping())
                .unwrap_or_else(|e| panic!("{e}"));
            store.create_mapping("demo", second, start);
            let mut now = start;
            for op in ops {
                step(&mut store, &mut now, op);
            }
            // The queue left no snapshot behind: settling any of them now changes nothing.
            for snapshot in store.snapshots.values() {
                let mut settled = snapshot.clone();
                settle_snapshot(&mut settled, store.timing, now);
                prop_assert_eq!(format!("{settled:?}"), format!("{snapshot:?}"));
            }
            for sort in ["created_at", "updated_at", "name", "size_bytes", "status"] {
                for descending in [false, true] {
                    for filter in 0..5 {
                        let mut p = params(sort, descending, offset, limit);
                        match filter {
                            1 => p.owner = Some("admin".into()),
                            2 => p.parent_id = Some(2),
                            3 => p.status = Some("ready".into()),
                            4 => p.owner = Some("nobody".into()),
                            _ => {}
                        }
                        let ids = |(page, total): (Vec<&SnapshotRec>, u64)| {
                            (page.iter().map(|s| s.id).collect::<Vec<_>>(), total)
                        };
                        let scanned = scan_snapshots(store.snapshots.values().collect(), &p);
                        prop_assert_eq!(ids(store.list_snapshots(&p)), ids(scanned));
                    }
                }
            }
            // The snapshot `POST /api/instances` reuses: the newest ready one, as a scan finds.
            for mapping in [1, 2] {
                let scanned = store
                    .snapshots
                    .values()
                    .filter(|s| s.mapping_id == mapping && s.mapping_version == 1)
                    .filter(|s| s.status == SnapshotStatus::Ready)
                    .max_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)))
                    .map(|s| s.id);
                prop_assert_eq!(store.index.newest_ready(mapping, 1), scanned);
            }
            // No record keeps an empty rare part.
            prop_assert!(store
                .snapshots
                .values()
                .all(|s| s.rare.as_deref().is_none_or(|r| *r != record::Rare::default())));
        }
    }

    /// The record stays compact (it was 400 bytes inline, plus a map node's share).
    #[test]
    fn a_snapshot_record_is_compact() {
        assert!(
            std::mem::size_of::<SnapshotRec>() <= 208,
            "{}",
            std::mem::size_of::<SnapshotRec>()
        );
    }

    #[test]
    fn name_sort_breaks_ties_by_id() {
        let names: Vec<String> = ["b", "a", "b", "a"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let store = store_with(&names, &[0, 0, 0, 0]);
        let ids = |descending| -> Vec<i64> {
            store
                .list_snapshots(&params("name", descending, 0, 10))
                .0
                .iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(ids(false), [2, 4, 1, 3]);
        assert_eq!(ids(true), [3, 1, 4, 2]);
    }
}
