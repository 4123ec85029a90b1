//! `.items()` against a fake offset server whose ordering of ties may change from request
//! to request (as PostgreSQL's did over rows created in the same second): every id at most
//! once; a stable server costs no extra request; an unstable one is listed once more and
//! then either complete or [`Error::IncompleteListing`] with the right counts.

use super::*;
use futures::future::BoxFuture;
use futures::TryStreamExt;
use proptest::prelude::*;
use snapshots_runtime::paging::{Cursor, PageFacts, Style};
use std::sync::{Arc, Mutex};

/// A server of `len` ids; request number `r` sees them in `orders[r]` (the last order once
/// the list runs out): a permutation per request, the ties reordered.
#[derive(Debug)]
struct Server {
    len: u64,
    size: u64,
    orders: Vec<Vec<u64>>,
    requests: Mutex<usize>,
}

#[derive(Debug)]
struct Page {
    items: Vec<Value>,
    facts: PageFacts,
}

#[derive(Debug, Clone)]
struct Unstable {
    server: Arc<Server>,
    offset: u64,
}

impl Unstable {
    fn answer(&self) -> Page {
        let server = &self.server;
        let mut requests = server.requests.lock().expect("lock");
        let order = server
            .orders
            .get(*requests)
            .or(server.orders.last())
            .cloned()
            .unwrap_or_else(|| (0..server.len).collect());
        *requests += 1;
        let end = (self.offset + server.size).min(server.len);
        let start = self.offset.min(end);
        let items = order[start as usize..end as usize]
            .iter()
            .map(|id| serde_json::json!({"id": id, "name": format!("s{id}")}))
            .collect();
        Page {
            items,
            facts: PageFacts {
                total: Some(server.len as i64),
                next_token: None,
                offset: Some(self.offset as i64),
            },
        }
    }
}

impl<'a> Listing<'a> for Unstable {
    type Page = Page;
    type Item = Value;
    type Error = Error;
    const ITEMS: &'static str = "items";
    const OPERATION: &'static str = "unstable";
    const STYLE: Style = Style::Offset;
    const ID: &'static [&'static str] = &["id"];

    fn at(mut self, cursor: &Cursor) -> Self {
        if let Cursor::Offset(o) = cursor {
            self.offset = *o as u64;
        }
        self
    }

    fn fetch(self) -> BoxFuture<'a, Result<Page, Error>> {
        Box::pin(async move { Ok(self.answer()) })
    }

    fn items_of(page: &Page) -> &[Value] {
        &page.items
    }

    fn into_items(page: Page) -> Vec<Value> {
        page.items
    }

    fn facts(page: &Page) -> PageFacts {
        page.facts.clone()
    }
}

fn run(len: u64, size: u64, orders: Vec<Vec<u64>>) -> (Result<Vec<u64>, Error>, usize) {
    let server = Arc::new(Server {
        len,
        size,
        orders,
        requests: Mutex::new(0),
    });
    let request = Unstable {
        server: server.clone(),
        offset: 0,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let items = runtime.block_on(crate::paginate::Paginate::items(request).try_collect::<Vec<_>>());
    let ids = items.map(|items| {
        items
            .iter()
            .map(|v| v["id"].as_u64().expect("id"))
            .collect()
    });
    let requests = *server.requests.lock().expect("lock");
    (ids, requests)
}

/// A permutation of `0..len` from `keys` (ties broken by id).
fn permutation(len: u64, keys: &[u8]) -> Vec<u64> {
    let mut ids: Vec<u64> = (0..len).collect();
    ids.sort_by_key(|id| (keys.get(*id as usize).copied().unwrap_or(0), *id));
    ids
}

proptest! {
    /// A server with one order: every id once, one request per page, no re-listing.
    #[test]
    fn a_stable_server_changes_nothing(len in 0u64..120, size in 1u64..30, keys in proptest::collection::vec(any::<u8>(), 120)) {
        let order = permutation(len, &keys);
        let (ids, requests) = run(len, size, vec![order.clone()]);
        prop_assert_eq!(ids.expect("complete"), order);
        prop_assert_eq!(requests as u64, len.div_ceil(size).max(1));
    }

    /// A server that reorders per request: never an id twice; complete, or the typed error
    /// with `missing` = total - distinct, after exactly one re-listing (or the kept guard
    /// against a page identical to the previous one).
    #[test]
    fn reordered_ties_are_deduplicated_and_counted(
        len in 1u64..60,
        size in 1u64..20,
        keys in proptest::collection::vec(proptest::collection::vec(0u8..4, 60), 1..12),
    ) {
        let orders: Vec<Vec<u64>> = keys.iter().map(|k| permutation(len, k)).collect();
        let pages = len.div_ceil(size) as usize;
        let (result, requests) = run(len, size, orders);
        match result {
            Ok(ids) => {
                let distinct: std::collections::HashSet<_> = ids.iter().collect();
                prop_assert_eq!(distinct.len(), ids.len(), "an id twice");
                prop_assert_eq!(ids.len() as u64, len);
                prop_assert!(requests == pages || requests == 2 * pages);
            }
            Err(Error::IncompleteListing { expected, seen, missing, .. }) => {
                prop_assert_eq!(expected, len);
                prop_assert_eq!(missing, len - seen);
                prop_assert!(seen < len);
                prop_assert_eq!(requests, 2 * pages, "exactly one re-listing");
            }
            // The kept guard: a page identical to the previous one (a reorder can repeat
            // a page exactly, which is what a server ignoring the cursor does).
            Err(Error::Pagination { message, .. }) => {
                prop_assert!(message.contains("same"), "{message}");
            }
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }
}

/// The case: a page repeats ids of the previous one, so others are never seen;
/// listed once more (the order settled), only the unseen ids are yielded.
#[test]
fn a_second_listing_yields_only_the_unseen_ids() {
    let shuffled = vec![0, 1, 2, 2, 1, 5];
    let settled: Vec<u64> = (0..6).collect();
    let (ids, requests) = run(6, 3, vec![shuffled.clone(), shuffled, settled]);
    assert_eq!(
        ids.expect("complete after the second listing"),
        vec![0, 1, 2, 5, 3, 4]
    );
    assert_eq!(requests, 4);
}

#[test]
fn a_server_that_stays_short_ends_with_the_missing_count() {
    let shuffled = vec![0, 1, 2, 2, 1, 5];
    let (ids, _) = run(6, 3, vec![shuffled]);
    match ids {
        Err(Error::IncompleteListing {
            expected: 6,
            seen: 4,
            missing: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}
