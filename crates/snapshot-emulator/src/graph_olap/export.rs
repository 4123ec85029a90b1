//! The snapshot export state machine as a pure function of elapsed time.
//!
//! A run is `pending` for [`Plan::pending`], then `creating` for [`Plan::creating`], during
//! which its export jobs (one per edge, then node definition, as upstream lists them) are
//! worked one after the other: each spends the first half of its slot `claimed`, the second
//! half `submitted`, then is `completed` with a row count. At the end the snapshot is
//! `ready`, or, for a failing run, `failed` at the job in the middle of the list (the jobs
//! before it completed, the ones after it still pending).

use std::time::Duration;

/// Status of one export job (upstream `ExportJobStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Pending,
    Claimed,
    Submitted,
    Completed,
    Failed,
}

/// The timing and shape of one export run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub pending: Duration,
    pub creating: Duration,
    pub jobs: usize,
    /// Index of the job that fails, for a failing run.
    pub fail_at: Option<usize>,
}

impl Plan {
    /// The job a failing run fails at: the middle one.
    pub(crate) fn failing_job(jobs: usize) -> usize {
        jobs / 2
    }

    /// Time from the start of the run to its final state.
    pub(crate) fn duration(&self) -> Duration {
        self.pending.saturating_add(self.creating)
    }
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    /// Since `since` (from the start of the run), with each job's status.
    Creating {
        since: Duration,
        jobs: Vec<JobStatus>,
    },
    Ready {
        at: Duration,
    },
    /// Failed at job `job`; `jobs` as they stand.
    Failed {
        at: Duration,
        job: usize,
        jobs: Vec<JobStatus>,
    },
}

/// The phase of a run `elapsed` after its start.
pub(crate) fn phase_at(plan: &Plan, elapsed: Duration) -> Phase {
    let end = plan.duration();
    if elapsed >= end {
        return match plan.fail_at {
            None => Phase::Ready { at: end },
            Some(failing) => {
                let job = failing.min(plan.jobs.saturating_sub(1));
                let jobs = (0..plan.jobs)
                    .map(|i| match i.cmp(&job) {
                        std::cmp::Ordering::Less => JobStatus::Completed,
                        std::cmp::Ordering::Equal => JobStatus::Failed,
                        std::cmp::Ordering::Greater => JobStatus::Pending,
                    })
                    .collect();
                Phase::Failed { at: end, job, jobs }
            }
        };
    }
    if elapsed < plan.pending {
        return Phase::Pending;
    }
    // Progress through the creating phase in job slots: `position` = completed slots (as a
    // fraction), in units of 1/1000 of a slot to stay in integers.
    let into = elapsed - plan.pending;
    let total = plan.creating.as_nanos().max(1);
    let position = into.as_nanos().saturating_mul(plan.jobs as u128 * 1000) / total;
    let mut current = usize::try_from(position / 1000).unwrap_or(usize::MAX);
    let mut within = position % 1000;
    if let Some(failing) = plan.fail_at {
        // A failing run never gets past its failing job before the end.
        if current >= failing {
            current = failing;
            within = 999;
        }
    }
    let jobs = (0..plan.jobs)
        .map(|i| {
            if i < current {
                JobStatus::Completed
            } else if i == current {
                if within < 500 {
                    JobStatus::Claimed
                } else {
                    JobStatus::Submitted
                }
            } else {
                JobStatus::Pending
            }
        })
        .collect();
    Phase::Creating {
        since: plan.pending,
        jobs,
    }
}

/// How long after the start of a run its phase (or a job's status) next changes, measured
/// from `elapsed`; `None` once the run is over. Never at or before `elapsed`, never after
/// the change, so a store that looks again at that time misses no state.
pub(crate) fn next_change(plan: &Plan, elapsed: Duration) -> Option<Duration> {
    let end = plan.duration();
    if elapsed >= end {
        return None;
    }
    if elapsed < plan.pending {
        return Some(plan.pending);
    }
    if plan.jobs == 0 {
        return Some(end);
    }
    // The same arithmetic as `phase_at`: statuses change when `position` crosses a multiple
    // of 500 (half a job slot); find the first `into` at which it reaches the next one.
    let into = (elapsed - plan.pending).as_nanos();
    let total = plan.creating.as_nanos().max(1);
    let scale = plan.jobs as u128 * 1000;
    let position = into.saturating_mul(scale) / total;
    let target = (position / 500 + 1) * 500;
    let at = target.saturating_mul(total).div_ceil(scale);
    let at = Duration::from_nanos(u64::try_from(at).unwrap_or(u64::MAX));
    Some(plan.pending.saturating_add(at).min(end))
}

/// The row count an export job reports: a deterministic figure from the snapshot id and the
/// job's name (FNV-1a), between 100 and 99,999.
pub(crate) fn row_count(snapshot_id: i64, name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in snapshot_id.to_le_bytes().iter().chain(name.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    100 + i64::try_from(hash % 99_900).unwrap_or(0)
}

/// Exported bytes per row (to derive `size_bytes` from the row counts).
pub(crate) const BYTES_PER_ROW: i64 = 128;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The phase stays what it is until the time `next_change` names, which lies after
        /// `elapsed`; after the end there is no next change.
        #[test]
        fn nothing_changes_before_next_change(
            pending in 0u64..5_000_000,
            creating in 0u64..5_000_000,
            jobs in 0usize..6,
            fail in any::<bool>(),
            elapsed in 0u64..11_000_000,
        ) {
            let plan = Plan {
                pending: Duration::from_nanos(pending),
                creating: Duration::from_nanos(creating),
                jobs,
                fail_at: fail.then(|| Plan::failing_job(jobs)),
            };
            let now = Duration::from_nanos(elapsed);
            match next_change(&plan, now) {
                None => prop_assert!(now >= plan.duration()),
                Some(next) => {
                    prop_assert!(next > now);
                    let just_before = next - Duration::from_nanos(1);
                    prop_assert_eq!(phase_at(&plan, just_before), phase_at(&plan, now));
                }
            }
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn plan(fail_at: Option<usize>) -> Plan {
        Plan {
            pending: secs(10),
            creating: secs(30),
            jobs: 3,
            fail_at,
        }
    }

    use JobStatus::*;

    #[test]
    fn a_run_walks_through_every_job() {
        let p = plan(None);
        assert_eq!(phase_at(&p, secs(0)), Phase::Pending);
        assert_eq!(phase_at(&p, secs(9)), Phase::Pending);
        let creating = |jobs: Vec<JobStatus>| Phase::Creating {
            since: secs(10),
            jobs,
        };
        assert_eq!(
            phase_at(&p, secs(10)),
            creating(vec![Claimed, Pending, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(16)),
            creating(vec![Submitted, Pending, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(20)),
            creating(vec![Completed, Claimed, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(39)),
            creating(vec![Completed, Completed, Submitted])
        );
        assert_eq!(phase_at(&p, secs(40)), Phase::Ready { at: secs(40) });
        assert_eq!(phase_at(&p, secs(4000)), Phase::Ready { at: secs(40) });
    }

    #[test]
    fn a_failing_run_stops_at_its_middle_job() {
        let p = plan(Some(Plan::failing_job(3)));
        let creating = |jobs: Vec<JobStatus>| Phase::Creating {
            since: secs(10),
            jobs,
        };
        assert_eq!(
            phase_at(&p, secs(10)),
            creating(vec![Claimed, Pending, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(25)),
            creating(vec![Completed, Submitted, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(39)),
            creating(vec![Completed, Submitted, Pending])
        );
        assert_eq!(
            phase_at(&p, secs(40)),
            Phase::Failed {
                at: secs(40),
                job: 1,
                jobs: vec![Completed, Failed, Pending]
            }
        );
    }

    #[test]
    fn zero_durations_finish_at_once() {
        let p = Plan {
            pending: Duration::ZERO,
            creating: Duration::ZERO,
            jobs: 2,
            fail_at: None,
        };
        assert_eq!(
            phase_at(&p, Duration::ZERO),
            Phase::Ready { at: Duration::ZERO }
        );
        let none = Plan {
            jobs: 0,
            ..plan(None)
        };
        assert_eq!(
            phase_at(&none, secs(12)),
            Phase::Creating {
                since: secs(10),
                jobs: vec![]
            }
        );
    }

    #[test]
    fn row_counts_are_deterministic_and_in_range() {
        assert_eq!(row_count(1, "Customer"), row_count(1, "Customer"));
        assert_ne!(row_count(1, "Customer"), row_count(2, "Customer"));
    }

    proptest! {
        /// Jobs never go backwards as time passes, and the completed count is monotonic.
        #[test]
        fn progress_is_monotonic(a in 0u64..50_000, b in 0u64..50_000, jobs in 0usize..6, fails in any::<bool>()) {
            let p = Plan {
                pending: Duration::from_millis(3_000),
                creating: Duration::from_millis(40_000),
                jobs,
                fail_at: fails.then(|| Plan::failing_job(jobs)),
            };
            let (early, late) = (a.min(b), a.max(b));
            let rank = |phase: &Phase| -> (u8, usize) {
                match phase {
                    Phase::Pending => (0, 0),
                    Phase::Creating { jobs, .. } => (1, jobs.iter().filter(|j| **j == Completed).count()),
                    Phase::Ready { .. } | Phase::Failed { .. } => (2, usize::MAX),
                }
            };
            let before = phase_at(&p, Duration::from_millis(early));
            let after = phase_at(&p, Duration::from_millis(late));
            prop_assert!(rank(&before) <= rank(&after), "{before:?} then {after:?}");
            prop_assert!((100..100_000).contains(&row_count(i64::try_from(a).unwrap_or(0), "X")));
        }
    }
}
