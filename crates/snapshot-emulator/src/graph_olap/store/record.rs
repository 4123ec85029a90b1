//! The compact record of one snapshot (208 bytes, held in a slab; the rest shared or derived).
//!
//! - Repeated text (owner, `ttl`, `inactivity_timeout`) is shared through an [`Interner`];
//!   the name is shared with the name index.
//! - The export jobs' names come from the mapping version and are shared by every snapshot
//!   of it ([`JobNames`]); each snapshot holds only a [`JobCursor`] (the statuses always
//!   read `completed…, one current, pending…`), and a job's row count is derived from the
//!   snapshot id and the job's name when it is completed.
//! - The counts and size a simulated export produces are derived when read
//!   ([`SnapshotRec::exported`]); only reported values are held.
//! - What few snapshots have (an export in flight, reported counts or progress, an error
//!   message) sits in one `Option<Box<Rare>>`, dropped again once empty; an export in
//!   flight is a few bytes in the record (no allocation per export).

use super::super::export::{self, JobStatus};
use super::{Counts, ExportRun, SnapshotStatus};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Shared, immutable text.
pub(crate) type Text = Arc<str>;

/// Distinct texts it keeps at most; past that, texts are allocated one by one (so a
/// client sending ever new values cannot grow it without bound).
const INTERNED_MAX: usize = 256;

/// Shares equal texts (owners, lifecycle durations) between records.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    texts: HashSet<Text>,
}

impl Interner {
    /// `text` as a shared text: the one already held when equal.
    pub(crate) fn text(&mut self, text: &str) -> Text {
        if let Some(held) = self.texts.get(text) {
            return held.clone();
        }
        let made: Text = text.into();
        if self.texts.len() < INTERNED_MAX {
            self.texts.insert(made.clone());
        }
        made
    }
}

/// One export job of a mapping version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobName {
    pub name: Box<str>,
    /// `node` or `edge`.
    pub kind: &'static str,
}

/// The export jobs of a mapping version, as upstream lists them (edges, then nodes, each
/// by name): shared by every snapshot of that version.
pub(crate) type JobNames = Arc<[JobName]>;

/// The jobs of a mapping version's definitions: `ORDER BY job_type, entity_name`.
pub(crate) fn job_names<'a>(
    edges: impl Iterator<Item = &'a str>,
    nodes: impl Iterator<Item = &'a str>,
) -> Vec<JobName> {
    let sorted = |names: &mut dyn Iterator<Item = &'a str>, kind: &'static str| {
        let mut names: Vec<JobName> = names
            .map(|n| JobName {
                name: n.into(),
                kind,
            })
            .collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        names
    };
    let mut jobs = sorted(&mut { edges }, "edge");
    jobs.extend(sorted(&mut { nodes }, "node"));
    jobs
}

/// The statuses of a snapshot's jobs: the first `done` completed, then `current` (when
/// set), the rest pending. Every status list the export produces has this shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct JobCursor {
    done: u32,
    current: Option<JobStatus>,
}

impl JobCursor {
    /// The cursor of `statuses` (which must read completed…, one other, pending…).
    pub(crate) fn of(statuses: &[JobStatus]) -> Self {
        let done = statuses
            .iter()
            .take_while(|s| **s == JobStatus::Completed)
            .count();
        let current = statuses
            .get(done)
            .copied()
            .filter(|s| *s != JobStatus::Pending);
        Self {
            done: u32::try_from(done).unwrap_or(u32::MAX),
            current,
        }
    }

    /// Every job completed.
    pub(crate) fn all_done(jobs: usize) -> Self {
        Self {
            done: u32::try_from(jobs).unwrap_or(u32::MAX),
            current: None,
        }
    }

    /// The status of job `i`.
    pub(crate) fn status(self, i: usize) -> JobStatus {
        let done = usize::try_from(self.done).unwrap_or(usize::MAX);
        match i.cmp(&done) {
            std::cmp::Ordering::Less => JobStatus::Completed,
            std::cmp::Ordering::Equal => self.current.unwrap_or(JobStatus::Pending),
            std::cmp::Ordering::Greater => JobStatus::Pending,
        }
    }
}

/// What few snapshots hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Rare {
    /// Reported values (they take the place of the export's).
    pub size_bytes: Option<i64>,
    pub node_counts: Option<Counts>,
    pub edge_counts: Option<Counts>,
    pub progress: Option<Map<String, Value>>,
    pub error_message: Option<String>,
}

/// One job as the progress body shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobView<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub status: JobStatus,
    pub row_count: Option<i64>,
}

/// One snapshot.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotRec {
    pub id: i64,
    pub mapping_id: i64,
    pub mapping_version: i64,
    pub owner: Text,
    pub name: Text,
    pub description: Option<Box<str>>,
    pub status: SnapshotStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ttl: Text,
    pub inactivity_timeout: Text,
    /// When the snapshot last reached a final status.
    pub(super) settled_at: Option<DateTime<Utc>>,
    pub(super) jobs: JobNames,
    pub(super) cursor: JobCursor,
    /// The counts and size are the ones the simulated export produced (derived on read),
    /// unless [`Rare`] holds reported ones.
    pub(super) exported: bool,
    /// The simulated export in flight.
    pub(super) run: Option<ExportRun>,
    pub(super) rare: Option<Box<Rare>>,
}

impl SnapshotRec {
    /// Where the export lands: derived from owner, mapping, version and id rather than
    /// held (`gs://graph-exports/{owner}/{mapping}/v{version}/{id}/`).
    pub(crate) fn gcs_path(&self) -> String {
        format!(
            "gs://{}/{}/{}/v{}/{}/",
            super::BUCKET,
            self.owner,
            self.mapping_id,
            self.mapping_version,
            self.id
        )
    }

    fn rare(&self) -> Option<&Rare> {
        self.rare.as_deref()
    }

    /// The rare part, made when missing.
    pub(super) fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Drops the rare part once it holds nothing.
    pub(super) fn tidy(&mut self) {
        if self.rare.as_deref().is_some_and(|r| *r == Rare::default()) {
            self.rare = None;
        }
    }

    /// The simulated export in flight.
    pub(super) fn run(&self) -> Option<ExportRun> {
        self.run
    }

    /// Starts or stops the simulated export.
    pub(super) fn set_run(&mut self, run: Option<ExportRun>) {
        self.run = run;
    }

    /// The export's counts by kind, sorted by label (a repeated label counted once), and
    /// the exported size. The jobs are already sorted by kind, then name: no map needed.
    fn export_counts(&self) -> (Counts, Counts, i64) {
        let counts = |kind: &str| -> Counts {
            let mut out: Vec<(String, i64)> = Vec::new();
            for job in self.jobs.iter().filter(|j| j.kind == kind) {
                if out.last().is_none_or(|(last, _)| **last != *job.name) {
                    out.push((job.name.to_string(), export::row_count(self.id, &job.name)));
                }
            }
            out.into_boxed_slice()
        };
        let (nodes, edges) = (counts("node"), counts("edge"));
        let rows: i64 = nodes.iter().chain(edges.iter()).map(|(_, n)| n).sum();
        (nodes, edges, rows.saturating_mul(export::BYTES_PER_ROW))
    }

    /// `size_bytes`, `node_counts` and `edge_counts` at once (the export's derived once).
    pub(crate) fn counts(&self) -> (Option<i64>, Option<Counts>, Option<Counts>) {
        let rare = self.rare();
        let size = rare.and_then(|r| r.size_bytes);
        let nodes = rare.and_then(|r| r.node_counts.clone());
        let edges = rare.and_then(|r| r.edge_counts.clone());
        if !self.exported || (size.is_some() && nodes.is_some() && edges.is_some()) {
            return (size, nodes, edges);
        }
        let (n, e, bytes) = self.export_counts();
        (size.or(Some(bytes)), nodes.or(Some(n)), edges.or(Some(e)))
    }

    /// `size_bytes`: reported, else the export's.
    pub(crate) fn size_bytes(&self) -> Option<i64> {
        let reported = self.rare().and_then(|r| r.size_bytes);
        reported.or_else(|| self.exported.then(|| self.export_counts().2))
    }

    /// The progress a reporter sent.
    pub(crate) fn progress(&self) -> Option<&Map<String, Value>> {
        self.rare().and_then(|r| r.progress.as_ref())
    }

    /// `error_message`.
    pub(crate) fn error_message(&self) -> Option<&str> {
        self.rare().and_then(|r| r.error_message.as_deref())
    }

    /// The export jobs with their statuses and row counts.
    pub(crate) fn jobs(&self) -> impl ExactSizeIterator<Item = JobView<'_>> + '_ {
        self.jobs.iter().enumerate().map(|(i, job)| {
            let status = self.cursor.status(i);
            JobView {
                name: &job.name,
                kind: job.kind,
                status,
                row_count: (status == JobStatus::Completed)
                    .then(|| export::row_count(self.id, &job.name)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph_olap::export::{phase_at, Phase, Plan};
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        /// Every status list the export produces reads back the same from its cursor.
        #[test]
        fn cursors_hold_every_phase(
            jobs in 0usize..8,
            fail in any::<bool>(),
            elapsed in 0u64..50_000,
        ) {
            let plan = Plan {
                pending: Duration::from_millis(3_000),
                creating: Duration::from_millis(40_000),
                jobs,
                fail_at: fail.then(|| Plan::failing_job(jobs)),
            };
            let statuses = match phase_at(&plan, Duration::from_millis(elapsed)) {
                Phase::Pending => vec![JobStatus::Pending; jobs],
                Phase::Creating { jobs, .. } | Phase::Failed { jobs, .. } => jobs,
                Phase::Ready { .. } => vec![JobStatus::Completed; jobs],
            };
            let cursor = JobCursor::of(&statuses);
            let back: Vec<JobStatus> = (0..jobs).map(|i| cursor.status(i)).collect();
            prop_assert_eq!(back, statuses);
        }

        /// The interner hands back equal text, shared while it has room.
        #[test]
        fn interned_text_is_equal(texts in proptest::collection::vec("[a-c]{0,3}", 0..40)) {
            let mut interner = Interner::default();
            for text in &texts {
                let first = interner.text(text);
                let again = interner.text(text);
                prop_assert_eq!(&*first, text.as_str());
                prop_assert!(Arc::ptr_eq(&first, &again));
            }
        }
    }

    #[test]
    fn the_interner_stays_bounded() {
        let mut interner = Interner::default();
        for i in 0..INTERNED_MAX * 2 {
            assert_eq!(&*interner.text(&i.to_string()), i.to_string());
        }
        assert_eq!(interner.texts.len(), INTERNED_MAX);
    }

    #[test]
    fn jobs_list_edges_then_nodes_by_name() {
        let jobs = job_names(
            ["PURCHASED", "KNOWS"].into_iter(),
            ["Product", "Customer"].into_iter(),
        );
        let names: Vec<(&str, &str)> = jobs.iter().map(|j| (j.kind, &*j.name)).collect();
        assert_eq!(
            names,
            [
                ("edge", "KNOWS"),
                ("edge", "PURCHASED"),
                ("node", "Customer"),
                ("node", "Product")
            ]
        );
    }
}
