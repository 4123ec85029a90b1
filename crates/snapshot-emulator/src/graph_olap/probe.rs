//! [`StoreProbe`]: the Graph OLAP store driven in process, without HTTP, for the scale
//! bench (`cargo run --release -p snapshot-bench --bin emulator-scale`): it holds as many
//! snapshots as asked, creates them on a simulated clock and serves list pages exactly as
//! `GET /api/snapshots` does (query parsing, the store, the response body).

use super::config::{Config, Role};
use super::query::{list_params, parse_pairs};
use super::store::{Caller, Store};
use super::validate::SNAPSHOT_STATUSES;
use super::wire;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A Graph OLAP store on a simulated clock that steps forward at every call.
///
/// ```
/// use snapshot_emulator::graph_olap::{Config, StoreProbe};
/// use std::time::Duration;
/// let mut probe = StoreProbe::new(&Config::default(), Duration::from_millis(1));
/// assert!(probe.create("nightly"));
/// let body = probe.list("limit=10&status=pending").expect("a valid query");
/// assert!(body.contains("nightly"));
/// ```
#[derive(Debug)]
pub struct StoreProbe {
    store: Store,
    caller: Caller,
    now: DateTime<Utc>,
    step: chrono::Duration,
}

impl StoreProbe {
    /// A store as [`super::router`] builds it from `config`; the clock starts at
    /// 2026-01-01T00:00:00Z and moves `step` before every call (so exports progress as
    /// they would under that request rate).
    pub fn new(config: &Config, step: Duration) -> Self {
        let now = DateTime::<Utc>::UNIX_EPOCH
            .checked_add_signed(chrono::Duration::seconds(1_767_225_600))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        Self {
            store: Store::new(config, now),
            caller: Caller {
                username: "demo".into(),
                role: Role::Analyst,
            },
            now,
            step: chrono::Duration::from_std(step).unwrap_or(chrono::Duration::zero()),
        }
    }

    /// Moves the clock one step and brings the store up to it, as every request does.
    fn tick(&mut self) {
        self.now = self.now.checked_add_signed(self.step).unwrap_or(self.now);
        self.store.advance(self.now);
    }

    /// `POST /api/snapshots` of the demo mapping as user `demo`; false when refused.
    pub fn create(&mut self, name: &str) -> bool {
        self.tick();
        let body = serde_json::json!({"mapping_id": 1, "name": name});
        let Ok(request) = serde_json::from_value(body) else {
            return false;
        };
        self.store
            .create_snapshot(&self.caller, request, self.now)
            .is_ok()
    }

    /// `GET /api/snapshots?{query}`: the response body, or `None` for a query the route
    /// answers with 422 (or a body it cannot build).
    pub fn list(&mut self, query: &str) -> Option<String> {
        self.tick();
        let pairs = parse_pairs(Some(query));
        let params = list_params(&pairs, "mapping_id", SNAPSHOT_STATUSES, false).ok()?;
        let (items, total) = self.store.list_snapshots(&params);
        let body = wire::snapshot_page(&items, total, params.offset, params.limit).ok()?;
        serde_json::to_string(&body).ok()
    }
}
