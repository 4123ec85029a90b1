//! The ordered indexes of the snapshots, so `GET /api/snapshots` costs O(page + n / block)
//! rather than a sort of every snapshot.
//!
//! One index per order the server honours (`created_at`, `updated_at`, `name`, `size_bytes`
//! with nulls last, each tie broken by id) and one per filter (`owner`, `mapping_id`,
//! `status`) in the default `created_at` order. A query with no filter, or with one filter and
//! the default order, is answered from an index alone. Any other query (two or more filters,
//! a filter with another order, `search`, the seed's filters) is a bounded scan: the
//! snapshots of its first filter's index (every snapshot without one) are filtered and
//! sorted, as a database without a matching index would.

use super::ordered::Ordered;
use super::record::Text;
use super::{SnapshotRec, SnapshotStatus};
use crate::graph_olap::query::ListParams;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

type At = DateTime<Utc>;
const FIRST: At = DateTime::<Utc>::MIN_UTC;

/// The orders and filters of the snapshot listing.
#[derive(Debug, Default)]
pub(crate) struct SnapshotIndex {
    /// Owner names, numbered in order of appearance.
    owners: HashMap<String, u32>,
    created: Ordered<(At, i64)>,
    updated: Ordered<(At, i64)>,
    /// The name shared with the record.
    name: Ordered<(Text, i64)>,
    /// `(is null, size, id)`: nulls last in ascending order.
    size: Ordered<(bool, i64, i64)>,
    by_owner: Ordered<(u32, At, i64)>,
    by_mapping: Ordered<(i64, At, i64)>,
    by_status: Ordered<(u8, At, i64)>,
    /// `ready` snapshots by mapping and version, for `POST /api/instances` to reuse the
    /// newest.
    ready: BTreeSet<(i64, i64, At, i64)>,
}

fn status_code(status: SnapshotStatus) -> u8 {
    match status {
        SnapshotStatus::Pending => 0,
        SnapshotStatus::Creating => 1,
        SnapshotStatus::Ready => 2,
        SnapshotStatus::Failed => 3,
    }
}

fn status_named(name: &str) -> Option<u8> {
    [
        SnapshotStatus::Pending,
        SnapshotStatus::Creating,
        SnapshotStatus::Ready,
        SnapshotStatus::Failed,
    ]
    .into_iter()
    .find(|s| s.as_str() == name)
    .map(status_code)
}

/// What a list order reads of a snapshot: the fields that change after creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mutable {
    updated: At,
    name: Text,
    size: Option<i64>,
    status: u8,
}

impl Mutable {
    /// The current values of `s`.
    pub(crate) fn of(s: &SnapshotRec) -> Self {
        Self {
            updated: s.updated_at,
            name: s.name.clone(),
            size: s.size_bytes(),
            status: status_code(s.status),
        }
    }
}

impl SnapshotIndex {
    fn owner(&mut self, name: &str) -> u32 {
        let next = u32::try_from(self.owners.len()).unwrap_or(u32::MAX);
        *self.owners.entry(name.to_owned()).or_insert(next)
    }

    fn place(&mut self, s: &SnapshotRec, m: Mutable, add: bool) {
        let (id, created) = (s.id, s.created_at);
        let (updated, name, size, status) = ((m.updated, id), (m.name, id), m.size, m.status);
        let size = (size.is_none(), size.unwrap_or(0), id);
        let ready = (m.status == status_code(SnapshotStatus::Ready)).then_some((
            s.mapping_id,
            s.mapping_version,
            created,
            id,
        ));
        if add {
            self.updated.insert(updated);
            self.name.insert(name);
            self.size.insert(size);
            self.by_status.insert((status, created, id));
            self.ready.extend(ready);
        } else {
            self.updated.remove(&updated);
            self.name.remove(&name);
            self.size.remove(&size);
            self.by_status.remove(&(status, created, id));
            if let Some(ready) = ready {
                self.ready.remove(&ready);
            }
        }
    }

    /// The newest (by `created_at`, then id) `ready` snapshot of a mapping version.
    pub(crate) fn newest_ready(&self, mapping_id: i64, version: i64) -> Option<i64> {
        let last = (mapping_id, version, At::MAX_UTC, i64::MAX);
        let (m, v, _, id) = *self.ready.range(..=last).next_back()?;
        (m == mapping_id && v == version).then_some(id)
    }

    /// Indexes a new snapshot.
    pub(crate) fn add(&mut self, s: &SnapshotRec) {
        let owner = self.owner(&s.owner);
        self.created.insert((s.created_at, s.id));
        self.by_owner.insert((owner, s.created_at, s.id));
        self.by_mapping.insert((s.mapping_id, s.created_at, s.id));
        self.place(s, Mutable::of(s), true);
    }

    /// Forgets a snapshot (as it is now).
    pub(crate) fn remove(&mut self, s: &SnapshotRec) {
        let owner = self.owner(&s.owner);
        self.created.remove(&(s.created_at, s.id));
        self.by_owner.remove(&(owner, s.created_at, s.id));
        self.by_mapping.remove(&(s.mapping_id, s.created_at, s.id));
        self.place(s, Mutable::of(s), false);
    }

    /// Moves a changed snapshot from the keys it had (`before`) to the ones it has now.
    pub(crate) fn changed(&mut self, before: Mutable, s: &SnapshotRec) {
        let now = Mutable::of(s);
        if now != before {
            self.place(s, before, false);
            self.place(s, now, true);
        }
    }

    /// The ids of the requested page and the total, or `None` when the query needs a scan.
    pub(crate) fn page(&self, p: &ListParams) -> Option<(Vec<i64>, u64)> {
        if p.search.is_some() || p.seed.is_some() {
            return None;
        }
        let filters = [p.owner.is_some(), p.parent_id.is_some(), p.status.is_some()];
        let sort = p.sort_by.as_str();
        let default_order = !matches!(sort, "name" | "updated_at" | "size_bytes");
        let ids = match filters.iter().filter(|f| **f).count() {
            0 => match sort {
                "name" => window(&self.name, 0, self.name.len(), p, |k| k.1),
                "updated_at" => window(&self.updated, 0, self.updated.len(), p, |k| k.1),
                "size_bytes" => window(&self.size, 0, self.size.len(), p, |k| k.2),
                _ => window(&self.created, 0, self.created.len(), p, |k| k.1),
            },
            1 if default_order => {
                let (index, lo, hi) = self.filtered(p)?;
                let FilterIndex(index) = index;
                index(self, lo, hi, p)
            }
            _ => return None,
        };
        Some(ids)
    }

    /// The snapshots of the query's first filter (`None`: no filter, every snapshot).
    pub(crate) fn candidates(&self, p: &ListParams) -> Option<Vec<i64>> {
        let (FilterIndex(index), lo, hi) = self.filtered(p)?;
        let all = ListParams {
            offset: 0,
            limit: u64::MAX,
            descending: false,
            ..p.clone()
        };
        Some(index(self, lo, hi, &all).0)
    }

    /// The index of the query's first filter and the positions of its matches.
    fn filtered(&self, p: &ListParams) -> Option<(FilterIndex, usize, usize)> {
        if let Some(owner) = &p.owner {
            let Some(&o) = self.owners.get(owner) else {
                return Some((FilterIndex(|_, _, _, _| (Vec::new(), 0)), 0, 0));
            };
            let (lo, hi) = bounds(&self.by_owner, o, o.checked_add(1));
            return Some((
                FilterIndex(|s, lo, hi, p| window(&s.by_owner, lo, hi, p, |k| k.2)),
                lo,
                hi,
            ));
        }
        if let Some(m) = p.parent_id {
            let (lo, hi) = bounds(&self.by_mapping, m, m.checked_add(1));
            return Some((
                FilterIndex(|s, lo, hi, p| window(&s.by_mapping, lo, hi, p, |k| k.2)),
                lo,
                hi,
            ));
        }
        let status = p.status.as_deref()?;
        let Some(code) = status_named(status) else {
            return Some((FilterIndex(|_, _, _, _| (Vec::new(), 0)), 0, 0));
        };
        let (lo, hi) = bounds(&self.by_status, code, code.checked_add(1));
        Some((
            FilterIndex(|s, lo, hi, p| window(&s.by_status, lo, hi, p, |k| k.2)),
            lo,
            hi,
        ))
    }
}

/// Reads a window of one filter's index: `(index, lo, hi, params) -> (ids, total)`.
struct FilterIndex(fn(&SnapshotIndex, usize, usize, &ListParams) -> Page);

/// The ids of a page and the total.
type Page = (Vec<i64>, u64);

/// Positions `lo..hi` of the keys whose first member is `value` (`next`: the value after it).
fn bounds<V: Ord + Copy>(
    index: &Ordered<(V, At, i64)>,
    value: V,
    next: Option<V>,
) -> (usize, usize) {
    let lo = index.rank(&(value, FIRST, i64::MIN));
    let hi = next.map_or(index.len(), |n| index.rank(&(n, FIRST, i64::MIN)));
    (lo, hi)
}

/// The ids of the page of positions `lo..hi` of `index` (ascending or descending), and
/// their count as the total.
fn window<K: Ord + Clone>(
    index: &Ordered<K>,
    lo: usize,
    hi: usize,
    p: &ListParams,
    id: impl Fn(&K) -> i64,
) -> (Vec<i64>, u64) {
    let n = hi.saturating_sub(lo);
    let offset = usize::try_from(p.offset).unwrap_or(usize::MAX).min(n);
    let limit = usize::try_from(p.limit).unwrap_or(usize::MAX);
    let (start, end) = if p.descending {
        ((n - offset).saturating_sub(limit), n - offset)
    } else {
        (offset, offset.saturating_add(limit).min(n))
    };
    let ids = index
        .range(lo + start, lo + end, p.descending)
        .into_iter()
        .map(id)
        .collect();
    (ids, n as u64)
}
