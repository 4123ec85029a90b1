//! Configuration of the Graph OLAP emulation: the users it knows, the bearer tokens it
//! accepts, how fast its state machines move, and the clock they move by.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Role of a provisioned user, as the control plane stores it (`analyst`, `admin`, `ops`).
///
/// Owners may change their own snapshots; `admin` and `ops` may change anyone's; only
/// `admin` and `ops` may provision users (`POST /api/users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A regular user (the default role of `POST /api/users`).
    Analyst,
    /// An administrator.
    Admin,
    /// An operator (the role `POST /api/users/bootstrap` always gives).
    Ops,
}

impl Role {
    /// The role as it travels on the wire.
    ///
    /// ```
    /// use snapshot_emulator::graph_olap::Role;
    /// assert_eq!(Role::Ops.as_str(), "ops");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Analyst => "analyst",
            Self::Admin => "admin",
            Self::Ops => "ops",
        }
    }

    /// Parses a wire role (`analyst`, `admin`, `ops`); anything else is `None`.
    ///
    /// ```
    /// use snapshot_emulator::graph_olap::Role;
    /// assert_eq!(Role::parse("admin"), Some(Role::Admin));
    /// assert_eq!(Role::parse("root"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "analyst" => Some(Self::Analyst),
            "admin" => Some(Self::Admin),
            "ops" => Some(Self::Ops),
            _ => None,
        }
    }

    /// Whether the role bypasses ownership checks and may provision users.
    pub fn is_privileged(self) -> bool {
        matches!(self, Self::Admin | Self::Ops)
    }
}

/// A user provisioned when the emulator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    /// The name callers send in `X-Username`.
    pub username: String,
    /// E-mail address (not validated, as upstream).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// A disabled user is refused with 403 `USER_DISABLED`.
    pub active: bool,
}

impl SeedUser {
    /// An active user called `username` with the given role, `<username>@example.com` and a
    /// capitalised display name.
    ///
    /// ```
    /// use snapshot_emulator::graph_olap::{Role, SeedUser};
    /// let user = SeedUser::new("carol", Role::Analyst);
    /// assert_eq!((user.email.as_str(), user.display_name.as_str()), ("carol@example.com", "Carol"));
    /// assert!(user.active);
    /// ```
    pub fn new(username: &str, role: Role) -> Self {
        let mut chars = username.chars();
        let display_name = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        Self {
            username: username.to_owned(),
            email: format!("{username}@example.com"),
            display_name,
            role,
            active: true,
        }
    }
}

/// How long each step of the state machines takes. Every state is computed lazily from the
/// time elapsed on the [`Clock`]; nothing runs in the background.
///
/// A snapshot is `pending` for [`snapshot_pending`](Self::snapshot_pending), then `creating`
/// for [`snapshot_creating`](Self::snapshot_creating) (its export jobs advance one after the
/// other through `claimed`, `submitted` and `completed`), then `ready` (or `failed`). An
/// instance waits at least [`instance_pickup`](Self::instance_pickup) after its creation (the
/// upstream orchestration job's interval) and until its snapshot is ready, is `starting` for
/// [`instance_startup`](Self::instance_startup), then `running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Time a new (or retried) snapshot stays `pending`.
    pub snapshot_pending: Duration,
    /// Time a snapshot stays `creating` while its export jobs run.
    pub snapshot_creating: Duration,
    /// Minimum time an instance stays `waiting_for_snapshot`.
    pub instance_pickup: Duration,
    /// Time an instance stays `starting` before it is `running`.
    pub instance_startup: Duration,
}

impl Default for Timing {
    /// Demo speed: a snapshot is ready about 5 s after its creation, an instance runs 2 s
    /// after that.
    fn default() -> Self {
        Self {
            snapshot_pending: Duration::from_secs(1),
            snapshot_creating: Duration::from_secs(4),
            instance_pickup: Duration::from_secs(1),
            instance_startup: Duration::from_secs(2),
        }
    }
}

impl Timing {
    /// Every step takes no time: a snapshot is `pending` in its create response and `ready`
    /// (or `failed`) on the next read.
    ///
    /// ```
    /// use snapshot_emulator::graph_olap::Timing;
    /// assert_eq!(Timing::instant().snapshot_creating, std::time::Duration::ZERO);
    /// ```
    pub fn instant() -> Self {
        Self {
            snapshot_pending: Duration::ZERO,
            snapshot_creating: Duration::ZERO,
            instance_pickup: Duration::ZERO,
            instance_startup: Duration::ZERO,
        }
    }

    /// Every step takes a year: nothing moves on its own, as in the recorded exchanges
    /// (where only the internal status route changed a snapshot's status).
    pub fn frozen() -> Self {
        let year = Duration::from_secs(365 * 24 * 3600);
        Self {
            snapshot_pending: year,
            snapshot_creating: year,
            instance_pickup: year,
            instance_startup: year,
        }
    }
}

/// The time source of the emulation. Clones share their state, so a test can keep one
/// clone and [`advance`](Self::advance) the time the server sees.
///
/// ```
/// use snapshot_emulator::graph_olap::Clock;
/// use std::time::Duration;
/// let clock = Clock::manual("2026-01-01T00:00:00Z".parse().unwrap());
/// let server_side = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(server_side.now().to_rfc3339(), "2026-01-01T00:01:30+00:00");
/// ```
#[derive(Clone)]
pub struct Clock {
    origin: Instant,
    origin_utc: DateTime<Utc>,
    frozen: bool,
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// Real (monotonic) time, starting now; [`advance`](Self::advance) skips ahead.
    pub fn system() -> Self {
        Self {
            origin: Instant::now(),
            origin_utc: Utc::now(),
            frozen: false,
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// A clock that stands still at `start` until [`advance`](Self::advance)d: for
    /// deterministic tests of the state machines.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            origin: Instant::now(),
            origin_utc: start,
            frozen: true,
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Moves this clock and all its clones forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        let running = if self.frozen {
            Duration::ZERO
        } else {
            self.origin.elapsed()
        };
        let elapsed = running.saturating_add(offset);
        let delta = chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX);
        self.origin_utc
            .checked_add_signed(delta)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl Default for Clock {
    /// [`Clock::system`].
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("kind", &if self.frozen { "manual" } else { "system" })
            .field("now", &self.now())
            .finish()
    }
}

/// What `DELETE /api/snapshots/{id}` does while instances still use the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferencedSnapshotDelete {
    /// The seed's rule: 409 `RESOURCE_HAS_DEPENDENCIES` while an active instance
    /// (`waiting_for_snapshot`, `starting`, `running`) uses it; otherwise deleted.
    Conflict,
    /// The real server's behaviour (the default; captures 57 of the first file and 105 of
    /// the second): 500 `INTERNAL_ERROR` (no `details`) while any instance references it,
    /// whatever its status; the snapshot is kept.
    #[default]
    InternalError,
}

/// Configuration of the Graph OLAP control-plane emulation.
///
/// `Default` is the demo set-up: users `demo` (analyst), `admin` (admin) and `system` (ops,
/// the user upstream's debug mode seeds, so `POST /api/users/bootstrap` answers 409 as
/// recorded); bearer tokens `demo-token`, `admin-token` and `system-token` for them; one
/// mapping (id 1, `Customer Graph`, owned by `demo`) so that snapshots can be created at
/// once; demo [`Timing`]; the real [`Clock`].
///
/// ```
/// use snapshot_emulator::graph_olap::{Config, Role, Timing};
/// let config = Config {
///     timing: Timing::instant(),
///     ..Config::default()
/// };
/// assert!(config.users.iter().any(|u| u.username == "demo" && u.role == Role::Analyst));
/// assert_eq!(config.tokens.get("demo-token").map(String::as_str), Some("demo"));
/// // Tokens are secrets: never printed.
/// assert!(!format!("{config:?}").contains("demo-token"));
/// let _router = snapshot_emulator::graph_olap::router(config);
/// ```
#[derive(Clone)]
pub struct Config {
    /// Users provisioned at start-up. With none, `POST /api/users/bootstrap` creates the
    /// first one.
    pub users: Vec<SeedUser>,
    /// Bearer tokens accepted in `Authorization: Bearer <token>`, each mapped to a username
    /// (which must still be provisioned). Never printed by `Debug`.
    pub tokens: BTreeMap<String, String>,
    /// Speed of the snapshot and instance state machines.
    pub timing: Timing,
    /// The time source.
    pub clock: Clock,
    /// Answer to deleting a snapshot that instances use.
    pub referenced_snapshot_delete: ReferencedSnapshotDelete,
    /// Active instances one user may own (upstream `per_analyst`: 10 as the running server
    /// seeds it, which `GET /api/instances/user/status` reports).
    pub max_instances_per_user: u64,
    /// Active instances in total (upstream `cluster_total`, default 50).
    pub max_instances_total: u64,
    /// Whether to create the demo mapping (id 1, owner `demo`) at start-up.
    pub demo_mapping: bool,
    /// The seed's list filters instead of the real server's behaviour (default `false`).
    ///
    /// The real server ignores `created_after`, `created_before` and `mapping_version` on
    /// `GET /api/snapshots` (any value, even `not-a-date`) and sorts an unknown `sort_by`
    /// (such as `status`) by `created_at`. With `seed_filters` the emulator applies them as
    /// seed 004 documents them: `created_at >= created_after`, `created_at <=
    /// created_before` (RFC 3339; another value is 422 `datetime_from_date_parsing`),
    /// `mapping_version` equal, and `sort_by=status`; `created_after`/`created_before` also
    /// filter `GET /api/instances`. The `snapshot-emulator` binary sets it with
    /// `--seed-filters`.
    pub seed_filters: bool,
}

impl Default for Config {
    fn default() -> Self {
        let tokens = [
            ("demo-token", "demo"),
            ("admin-token", "admin"),
            ("system-token", "system"),
        ]
        .into_iter()
        .map(|(token, user)| (token.to_owned(), user.to_owned()))
        .collect();
        Self {
            users: vec![
                SeedUser {
                    display_name: "Demo Analyst".into(),
                    ..SeedUser::new("demo", Role::Analyst)
                },
                SeedUser {
                    display_name: "Demo Admin".into(),
                    ..SeedUser::new("admin", Role::Admin)
                },
                SeedUser {
                    display_name: "System".into(),
                    ..SeedUser::new("system", Role::Ops)
                },
            ],
            tokens,
            timing: Timing::default(),
            clock: Clock::system(),
            referenced_snapshot_delete: ReferencedSnapshotDelete::InternalError,
            max_instances_per_user: 10,
            max_instances_total: 50,
            demo_mapping: true,
            seed_filters: false,
        }
    }
}

impl Config {
    /// The set-up the recorded exchanges were made with: only the `system` (ops) user, no
    /// tokens, no mapping; snapshots move only through the internal status route
    /// ([`Timing::frozen`]) while the instance job picks a waiting instance up after 5 s
    /// (`instance_pickup`, about the upstream job's interval: `starting` once its snapshot is
    /// ready, `failed` once it failed), and no instance runs before a wrapper reports it.
    ///
    /// ```
    /// let config = snapshot_emulator::graph_olap::Config::as_recorded();
    /// assert_eq!(config.users.len(), 1);
    /// assert!(!config.demo_mapping);
    /// ```
    pub fn as_recorded() -> Self {
        Self {
            users: vec![SeedUser {
                display_name: "System".into(),
                email: "system@internal".into(),
                ..SeedUser::new("system", Role::Ops)
            }],
            tokens: BTreeMap::new(),
            timing: Timing {
                instance_pickup: Duration::from_secs(5),
                ..Timing::frozen()
            },
            clock: Clock::system(),
            referenced_snapshot_delete: ReferencedSnapshotDelete::InternalError,
            max_instances_per_user: 10,
            max_instances_total: 50,
            demo_mapping: false,
            seed_filters: false,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token_users: Vec<&str> = self.tokens.values().map(String::as_str).collect();
        f.debug_struct("Config")
            .field("users", &self.users)
            .field(
                "tokens",
                &format_args!("<{} redacted, for {token_users:?}>", self.tokens.len()),
            )
            .field("timing", &self.timing)
            .field("clock", &self.clock)
            .field(
                "referenced_snapshot_delete",
                &self.referenced_snapshot_delete,
            )
            .field("max_instances_per_user", &self.max_instances_per_user)
            .field("max_instances_total", &self.max_instances_total)
            .field("demo_mapping", &self.demo_mapping)
            .field("seed_filters", &self.seed_filters)
            .finish()
    }
}
