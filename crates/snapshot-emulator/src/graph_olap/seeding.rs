//! A Graph OLAP router started with a [`crate::Seed`]'s mappings and snapshots, and the
//! [`Handle`] [`crate::RunningEmulator::state`] reads them back through.

use super::config::{Clock, Config};
use super::routes::{self, App};
use super::store::Store;
use crate::seed::{GraphOlapMapping, GraphOlapNextIds, GraphOlapSnapshot, Seed, SeedError};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The running control plane's store and clock.
#[derive(Clone)]
pub(crate) struct Handle {
    store: Arc<Mutex<Store>>,
    clock: Clock,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// The routes of [`super::router`] over a store holding `seed`'s mappings and snapshots.
pub(crate) fn router(config: Config, seed: &Seed) -> Result<(axum::Router, Handle), SeedError> {
    let now = config.clock.now();
    let mut store = Store::new(&config, now);
    fill(&mut store, &config, seed, now)?;
    let app = App::new(
        store,
        config.clock.clone(),
        config.tokens,
        config.seed_filters,
    );
    let handle = Handle {
        store: app.shared_store(),
        clock: config.clock,
    };
    Ok((routes::routes(app), handle))
}

/// Long enough before `now` that an export started then has finished.
fn settled_start(config: &Config, now: DateTime<Utc>) -> DateTime<Utc> {
    let span = config.timing.snapshot_pending + config.timing.snapshot_creating;
    chrono::Duration::from_std(span + Duration::from_secs(1))
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(now)
}

fn fill(
    store: &mut Store,
    config: &Config,
    seed: &Seed,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    for (i, m) in seed.graph_olap_mappings.iter().enumerate() {
        let created = m.created.unwrap_or(now);
        store
            .seed_mapping(m.id, &m.owner, &m.request, created)
            .map_err(|e| SeedError::Invalid(format!("graph_olap_mappings[{i}]: {e}")))?;
    }
    for (i, s) in seed.graph_olap_snapshots.iter().enumerate() {
        let created = s.created.unwrap_or_else(|| settled_start(config, now));
        let status = s.status.map(|s| s.as_str());
        store
            .seed_snapshot(
                s.id,
                s.mapping_id,
                &s.owner,
                &s.name,
                s.description.as_deref(),
                status,
                created,
                now,
            )
            .map_err(|e| SeedError::Invalid(format!("graph_olap_snapshots[{i}]: {e}")))?;
    }
    if let Some(next) = &seed.graph_olap_next_ids {
        store.seed_next_ids((next.mapping, next.snapshot, next.instance));
    }
    Ok(())
}

impl Handle {
    /// The mappings, snapshots and next ids now, as a seed holds them.
    pub(crate) fn state(
        &self,
    ) -> (
        Vec<GraphOlapMapping>,
        Vec<GraphOlapSnapshot>,
        GraphOlapNextIds,
    ) {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        store.advance(self.clock.now());
        let mappings = store
            .export_mappings()
            .into_iter()
            .map(|m| GraphOlapMapping {
                id: Some(m.id),
                owner: m.owner,
                created: Some(m.created),
                request: m.request,
            })
            .collect();
        let snapshots = store
            .export_snapshots()
            .into_iter()
            .map(|s| GraphOlapSnapshot {
                id: Some(s.id),
                mapping_id: s.mapping_id,
                owner: s.owner,
                name: s.name,
                description: s.description,
                status: crate::seed::GraphOlapStatus::parse(s.status),
                created: Some(s.created),
            })
            .collect();
        let (mapping, snapshot, instance) = store.next_ids();
        let next = GraphOlapNextIds {
            mapping,
            snapshot,
            instance,
        };
        (mappings, snapshots, next)
    }
}
