//! The paging engine against a fake server, in each style: every item once and the right
//! number of requests for random sizes and totals; a repeated token, a repeated page and a
//! non-advancing offset end the stream with [`Error::Pagination`].

use super::*;
use futures::future::BoxFuture;
use proptest::prelude::*;
use snapshots_runtime::paging::{PageFacts, Style};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How the fake server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// Always the same token (token style), the same page (page numbers), offset 0 (offsets).
    Stuck,
}

#[derive(Debug)]
struct Server {
    len: u64,
    size: u64,
    with_total: bool,
    fault: Fault,
    requests: AtomicU64,
}

#[derive(Debug)]
struct Page {
    items: Vec<u64>,
    facts: PageFacts,
}

/// A list request of style `S` (0 page numbers, 1 token, 2 offset).
#[derive(Debug, Clone)]
struct Fake<const S: u8> {
    server: Arc<Server>,
    cursor: Cursor,
}

impl<const S: u8> Fake<S> {
    fn answer(&self) -> Page {
        let server = &self.server;
        server.requests.fetch_add(1, Ordering::SeqCst);
        let stuck = server.fault == Fault::Stuck;
        let start = match &self.cursor {
            _ if stuck => 0,
            Cursor::Page(n) => (n - 1) * server.size,
            Cursor::Offset(o) => *o as u64,
            Cursor::Token(t) => t.parse().unwrap_or(0),
            Cursor::First => 0,
        };
        let end = (start + server.size).min(server.len.max(start));
        let token = if stuck {
            Some("again".to_owned())
        } else {
            (end < server.len).then(|| end.to_string())
        };
        Page {
            items: (start..end).collect(),
            facts: PageFacts {
                total: server.with_total.then_some(server.len as i64),
                next_token: if S == 1 { token } else { None },
                offset: Some(start as i64),
            },
        }
    }
}

impl<'a, const S: u8> Listing<'a> for Fake<S> {
    type Page = Page;
    type Item = u64;
    type Error = Error;
    const OPERATION: &'static str = "fake";
    const ITEMS: &'static str = "items";
    const STYLE: Style = match S {
        0 => Style::PageNumber,
        1 => Style::Token {
            page_fallback: false,
        },
        _ => Style::Offset,
    };

    fn at(mut self, cursor: &Cursor) -> Self {
        self.cursor = cursor.clone();
        self
    }

    fn fetch(self) -> BoxFuture<'a, Result<Page, Error>> {
        Box::pin(async move { Ok(self.answer()) })
    }

    fn items_of(page: &Page) -> &[u64] {
        &page.items
    }

    fn into_items(page: Page) -> Vec<u64> {
        page.items
    }

    fn facts(page: &Page) -> PageFacts {
        page.facts.clone()
    }
}

/// Runs the `.items()` stream of a fake server; the items (or the error) and the requests.
fn run<const S: u8>(
    len: u64,
    size: u64,
    with_total: bool,
    fault: Fault,
) -> (Result<Vec<u64>, Error>, u64) {
    let server = Arc::new(Server {
        len,
        size,
        with_total,
        fault,
        requests: AtomicU64::new(0),
    });
    let request = Fake::<S> {
        server: server.clone(),
        cursor: Cursor::First,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let items = runtime.block_on(request.items().try_collect::<Vec<_>>());
    (items, server.requests.load(Ordering::SeqCst))
}

proptest! {
    #[test]
    fn page_numbers_walk_everything(len in 0u64..300, size in 1u64..40, with_total: bool) {
        let (items, requests) = run::<0>(len, size, with_total, Fault::None);
        prop_assert_eq!(items.unwrap(), (0..len).collect::<Vec<_>>());
        let pages = len.div_ceil(size).max(1);
        prop_assert_eq!(requests, if with_total || len == 0 { pages } else { pages + 1 });
    }

    #[test]
    fn tokens_walk_everything(len in 0u64..300, size in 1u64..40, with_total: bool) {
        let (items, requests) = run::<1>(len, size, with_total, Fault::None);
        prop_assert_eq!(items.unwrap(), (0..len).collect::<Vec<_>>());
        prop_assert_eq!(requests, len.div_ceil(size).max(1));
    }

    #[test]
    fn offsets_walk_everything(len in 0u64..300, size in 1u64..40) {
        let (items, requests) = run::<2>(len, size, true, Fault::None);
        prop_assert_eq!(items.unwrap(), (0..len).collect::<Vec<_>>());
        prop_assert_eq!(requests, len.div_ceil(size).max(1));
    }

    /// A server stuck on one token, one page or one offset ends the stream with an error
    /// after at most two requests, whatever the sizes.
    #[test]
    fn a_stuck_server_fails_instead_of_looping(len in 1u64..300, size in 1u64..40, style in 0u8..3) {
        prop_assume!(len > size);
        let (items, requests) = match style {
            0 => run::<0>(len, size, false, Fault::Stuck),
            1 => run::<1>(len, size, false, Fault::Stuck),
            _ => run::<2>(len, size, true, Fault::Stuck),
        };
        let failed = matches!(items, Err(Error::Pagination { operation: "fake", .. }));
        prop_assert!(failed, "{:?}", items);
        prop_assert!(requests <= 2, "{} requests", requests);
    }
}
