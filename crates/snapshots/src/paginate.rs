//! Pagination: every listing operation of the three APIs as a lazy [`Stream`](futures::Stream) of pages or of
//! items, over the three styles the APIs use.
//!
//! [`Paginate`] is implemented for the generated list builders, so the filters are the
//! underlying operation's own; `.pages()` or `.items()` replaces `.send()`:
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use snapshots::paginate::Paginate;
//!
//! # async fn demo(client: &snapshots::Client) -> Result<(), snapshots::Error> {
//! // Every snapshot of an instance, 50 per request, fetched as the stream is read.
//! let all: Vec<_> = client
//!     .dsw()?
//!     .list_instance_snapshot()
//!     .instance_id("dsw-730xxxxxxxxxx")
//!     .page_size(50)
//!     .items()
//!     .try_collect()
//!     .await?;
//! println!("{} snapshots", all.len());
//! # Ok(()) }
//! ```
//!
//! | builder | style | next request | stops when |
//! | --- | --- | --- | --- |
//! | `pai_dsw` `list_instance_snapshot` | `PageNumber`/`PageSize` + `TotalCount` | `PageNumber` 1, 2, 3, ... (set by the stream) | a page is empty, or `TotalCount` items were received |
//! | `pai_langstudio` `list_snapshots` (either profile) | `NextToken`/`MaxResults`, else `PageNumber`/`PageSize` + `TotalCount` | the response's `NextToken`; without one, `PageNumber` 2, 3, ... | a page is empty, no `NextToken` and `TotalCount` reached (or absent), or `TotalCount` reached |
//! | `graph_olap` `list_snapshots`, `list_instances` | `offset`/`limit` + `meta.total` | `offset` = `meta.offset` + items received | a page is empty, or `meta.total` reached |
//!
//! The stream owns the cursor parameter (`PageNumber` for DSW, `NextToken` and `PageNumber`
//! after the first LangStudio request, `offset` after the first Graph OLAP request): leave it
//! unset on the builder. A Graph OLAP `offset` set on the builder is where the listing starts.
//!
//! A server that repeats itself makes the stream fail with [`Error::Pagination`] instead of
//! looping: a `NextToken` already used, a page identical to the previous one, a Graph OLAP
//! offset that does not advance. An error from a request ends the stream after that error.
//! Pages are fetched one at a time, only when the stream is polled; every request goes
//! through the client's runtime (signing, rate limit, retries).

use std::collections::HashSet;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::Error;

/// A stream of pages: each item is one decoded response of the list operation.
pub type Pages<'a, P> = BoxStream<'a, Result<P, Error>>;

/// A stream of the items of every page, in order.
pub type Items<'a, I> = BoxStream<'a, Result<I, Error>>;

/// A list builder of a generated client that can be paged through.
///
/// Implemented for `pai_dsw::builder::ListInstanceSnapshot`,
/// `pai_langstudio::builder::ListSnapshots` (either transport profile) and
/// `graph_olap::builder::{ListSnapshots, ListInstances}`. See the [module
/// documentation](self) for how each style advances and stops.
pub trait Paginate<'a>: sealed::Listing<'a> {
    /// A lazy stream of the responses, one per request.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use snapshots::paginate::Paginate;
    ///
    /// # async fn demo(olap: &graph_olap::Client) -> Result<(), snapshots::Error> {
    /// let mut pages = olap.list_snapshots().limit(snapshots::validate::graph_olap_limit(100)?).pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} of {}", page.meta.offset + page.data.len() as i64, page.meta.total);
    /// }
    /// # Ok(()) }
    /// ```
    fn pages(self) -> Pages<'a, Self::Page> {
        pages(self)
    }

    /// A lazy stream of the items of every page, in order.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use snapshots::paginate::Paginate;
    ///
    /// # async fn demo(studio: &pai_langstudio::Client) -> Result<(), snapshots::Error> {
    /// let mut snapshots = studio.list_snapshots().workspace_id("123").max_results(20).items();
    /// while let Some(snapshot) = snapshots.next().await {
    ///     println!("{:?}", snapshot?.snapshot_name);
    /// }
    /// # Ok(()) }
    /// ```
    fn items(self) -> Items<'a, Self::Item> {
        self.pages()
            .map_ok(|page| stream::iter(Self::into_items(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

impl<'a, T: sealed::Listing<'a>> Paginate<'a> for T {}

mod sealed {
    use super::{BoxFuture, Error};

    /// Where the next request starts.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Cursor {
        /// The first request, as the user built it (DSW: `PageNumber` 1).
        First,
        /// A continuation token.
        Token(String),
        /// A page number (1-based).
        Page(u64),
        /// A record offset.
        Offset(i64),
    }

    /// What a page says about the next one.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Next {
        /// Fetch from this cursor.
        Fetch(Cursor),
        /// This was the last page.
        Done,
        /// The server misbehaved and this page cannot be trusted; fail with this message.
        Fail(String),
    }

    /// The per-operation part of pagination: how a cursor is put on the request, how a page
    /// is fetched, and what it says about the next page. Not implementable outside the crate.
    pub trait Listing<'a>: Clone + Send + Sized + 'a {
        /// The decoded response.
        type Page: Send + 'a;
        /// One listed resource.
        type Item: Clone + PartialEq + Send + 'a;
        /// The operation id, for errors.
        const OPERATION: &'static str;

        /// The request for `cursor`.
        fn at(self, cursor: &Cursor) -> Self;
        /// Sends the request.
        fn fetch(self) -> BoxFuture<'a, Result<Self::Page, Error>>;
        /// The items of a page (borrowed, for the repeated-page check).
        fn items_of(page: &Self::Page) -> &[Self::Item];
        /// The items of a page.
        fn into_items(page: Self::Page) -> Vec<Self::Item>;
        /// The cursor after `page`, fetched at `cursor`, with `received` items so far
        /// (this page included).
        fn next(page: &Self::Page, cursor: &Cursor, received: u64) -> Next;
    }
}

use sealed::{Cursor, Listing, Next};

fn pages<'a, L: Listing<'a>>(request: L) -> Pages<'a, L::Page> {
    struct Walk<'a, L: Listing<'a>> {
        request: L,
        cursor: Option<Cursor>,
        received: u64,
        tokens: HashSet<String>,
        previous: Option<Vec<L::Item>>,
        failure: Option<Error>,
    }

    let walk = Walk {
        request,
        cursor: Some(Cursor::First),
        received: 0,
        tokens: HashSet::new(),
        previous: None,
        failure: None,
    };
    stream::unfold(walk, |mut walk| async move {
        if let Some(error) = walk.failure.take() {
            walk.cursor = None;
            return Some((Err(error), walk));
        }
        let cursor = walk.cursor.take()?;
        let page = match walk.request.clone().at(&cursor).fetch().await {
            Ok(page) => page,
            Err(error) => return Some((Err(error), walk)),
        };
        let items = L::items_of(&page);
        if !items.is_empty() && walk.previous.as_deref() == Some(items) {
            let error = pagination(
                L::OPERATION,
                format!(
                    "the server returned the same {} items again at {cursor:?}",
                    items.len()
                ),
            );
            return Some((Err(error), walk));
        }
        walk.received += items.len() as u64;
        walk.previous = Some(items.to_vec());
        match L::next(&page, &cursor, walk.received) {
            Next::Done => {}
            // The page itself is suspect (e.g. not at the offset asked for): not yielded.
            Next::Fail(message) => return Some((Err(pagination(L::OPERATION, message)), walk)),
            Next::Fetch(Cursor::Token(token)) if !walk.tokens.insert(token.clone()) => {
                walk.failure = Some(pagination(
                    L::OPERATION,
                    format!("the server repeated the continuation token {token:?}"),
                ));
            }
            Next::Fetch(next) => walk.cursor = Some(next),
        }
        Some((Ok(page), walk))
    })
    .boxed()
}

fn pagination(operation: &'static str, message: String) -> Error {
    Error::Pagination { operation, message }
}

/// Page-number style: the next page, unless this one was empty or `total` is reached.
fn next_page_number(current: &Cursor, page_len: usize, total: Option<i64>, received: u64) -> Next {
    if page_len == 0 || total.is_some_and(|total| received >= total.max(0) as u64) {
        return Next::Done;
    }
    let number = match current {
        Cursor::Page(n) => n + 1,
        // The first request is page 1 (the services' default).
        _ => 2,
    };
    Next::Fetch(Cursor::Page(number))
}

/// Implements [`Listing`] for a generated list builder: its page and item types, the field
/// holding the items, the operation id, how a cursor goes on the request, and what a page
/// says about the next one.
macro_rules! listing {
    (
        $builder:ident => $page:ty, $item:ty, $items:ident, $operation:literal,
        at: |$request:ident, $at_cursor:ident| $at:expr,
        next: |$next_page:ident, $next_cursor:ident, $received:ident| $next:expr $(,)?
    ) => {
        impl<'a> Listing<'a> for $builder<'a> {
            type Page = $page;
            type Item = $item;
            const OPERATION: &'static str = $operation;

            fn at(self, $at_cursor: &Cursor) -> Self {
                let $request = self;
                $at
            }

            fn fetch(self) -> BoxFuture<'a, Result<Self::Page, Error>> {
                Box::pin(async move { Ok(self.send().await?.into_inner()) })
            }

            fn items_of(page: &Self::Page) -> &[Self::Item] {
                &page.$items
            }

            fn into_items(page: Self::Page) -> Vec<Self::Item> {
                page.$items
            }

            fn next($next_page: &Self::Page, $next_cursor: &Cursor, $received: u64) -> Next {
                $next
            }
        }
    };
}

mod dsw {
    use super::*;
    use pai_dsw::builder::ListInstanceSnapshot;
    use pai_dsw::types::{InstanceSnapshot, ListInstanceSnapshotResponse};

    listing!(
        ListInstanceSnapshot => ListInstanceSnapshotResponse, InstanceSnapshot, snapshots,
        "list_instance_snapshot",
        at: |request, cursor| match cursor {
            Cursor::Page(n) => request.page_number(*n),
            _ => request.page_number(1u64),
        },
        next: |page, cursor, received| {
            next_page_number(cursor, page.snapshots.len(), page.total_count, received)
        },
    );
}

mod langstudio {
    use super::*;
    use pai_langstudio::builder::ListSnapshots;
    use pai_langstudio::types::{ListSnapshotsResponse, Snapshot};

    /// Token first (the SDK's style), page numbers when the service gives no token.
    fn next(page: &ListSnapshotsResponse, cursor: &Cursor, received: u64) -> Next {
        let total_reached = page
            .total_count
            .is_some_and(|total| received >= total.max(0) as u64);
        if page.snapshots.is_empty() || total_reached {
            return Next::Done;
        }
        match page.next_token.as_deref() {
            Some(token) if !token.is_empty() => Next::Fetch(Cursor::Token(token.to_owned())),
            // No token: page numbers, but only while the total says there is more.
            _ if page.total_count.is_some() => {
                next_page_number(cursor, page.snapshots.len(), page.total_count, received)
            }
            _ => Next::Done,
        }
    }

    /// The cursor on a LangStudio list request.
    macro_rules! at_cursor {
        ($request:ident, $cursor:ident) => {
            match $cursor {
                Cursor::Token(token) => $request.next_token(token.clone()),
                Cursor::Page(n) => $request.page_number(i64::try_from(*n).unwrap_or(i64::MAX)),
                _ => $request,
            }
        };
    }

    listing!(
        ListSnapshots => ListSnapshotsResponse, Snapshot, snapshots, "list_snapshots",
        at: |request, cursor| at_cursor!(request, cursor),
        next: |page, cursor, received| next(page, cursor, received),
    );
}

mod graph_olap_lists {
    use super::*;
    use graph_olap::builder::{ListInstances, ListSnapshots};
    use graph_olap::types::{
        Instance, InstanceListEnvelope, PaginationMeta, Snapshot, SnapshotListEnvelope,
    };

    /// Offset style: `meta.offset` + this page's items, until `meta.total`.
    pub(super) fn next_offset(meta: &PaginationMeta, page_len: usize, cursor: &Cursor) -> Next {
        if page_len == 0 {
            return Next::Done;
        }
        let next = meta.offset.saturating_add(page_len as i64);
        if let Cursor::Offset(requested) = cursor {
            if meta.offset != *requested {
                return Next::Fail(format!(
                    "asked for offset {requested}, the server answered offset {}",
                    meta.offset
                ));
            }
        }
        if next >= meta.total {
            Next::Done
        } else {
            Next::Fetch(Cursor::Offset(next))
        }
    }

    listing!(
        ListSnapshots => SnapshotListEnvelope, Snapshot, data, "list_snapshots",
        at: |request, cursor| match cursor {
            Cursor::Offset(offset) => request.offset(*offset),
            _ => request,
        },
        next: |page, cursor, _received| next_offset(&page.meta, page.data.len(), cursor),
    );
    listing!(
        ListInstances => InstanceListEnvelope, Instance, data, "list_instances",
        at: |request, cursor| match cursor {
            Cursor::Offset(offset) => request.offset(*offset),
            _ => request,
        },
        next: |page, cursor, _received| next_offset(&page.meta, page.data.len(), cursor),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Walks a simulated page-number server holding `len` items, `size` per page, with or
    /// without `TotalCount`; returns the pages requested and the items received.
    fn walk_numbers(len: u64, size: u64, with_total: bool) -> (u64, u64) {
        let (mut cursor, mut received, mut requests) = (Cursor::First, 0u64, 0u64);
        loop {
            requests += 1;
            let number = match cursor {
                Cursor::Page(n) => n,
                _ => 1,
            };
            let start = (number - 1) * size;
            let page_len = len.saturating_sub(start).min(size);
            received += page_len;
            let total = with_total.then_some(len as i64);
            match next_page_number(&cursor, page_len as usize, total, received) {
                Next::Fetch(next) => cursor = next,
                _ => return (requests, received),
            }
        }
    }

    /// The same for an offset server (`meta.offset` echoes the request).
    fn walk_offsets(len: i64, limit: i64) -> (u64, i64) {
        let (mut cursor, mut received, mut requests) = (Cursor::First, 0i64, 0u64);
        loop {
            requests += 1;
            let offset = match cursor {
                Cursor::Offset(o) => o,
                _ => 0,
            };
            let page_len = (len - offset).clamp(0, limit);
            received += page_len;
            let meta = graph_olap::types::PaginationMeta {
                limit,
                offset,
                request_id: None,
                total: len,
            };
            match graph_olap_lists::next_offset(&meta, page_len as usize, &cursor) {
                Next::Fetch(next) => cursor = next,
                _ => return (requests, received),
            }
        }
    }

    proptest! {
        /// Every item exactly once; with a total, no request after the last item; without
        /// one, exactly one extra request: the empty page that ends it (the stream cannot
        /// know the page size the builder asked for, so a short page proves nothing).
        #[test]
        fn page_numbers_receive_everything_and_stop(len in 0u64..500, size in 1u64..60, with_total: bool) {
            let (requests, received) = walk_numbers(len, size, with_total);
            prop_assert_eq!(received, len);
            let pages = len.div_ceil(size).max(1);
            let expected = if with_total || len == 0 { pages } else { pages + 1 };
            prop_assert_eq!(requests, expected);
        }

        #[test]
        fn offsets_receive_everything_and_stop_at_the_total(len in 0i64..500, limit in 1i64..=100) {
            let (requests, received) = walk_offsets(len, limit);
            prop_assert_eq!(received, len);
            prop_assert_eq!(requests, (len as u64).div_ceil(limit as u64).max(1));
        }
    }

    #[test]
    fn page_numbers_stop_on_an_empty_page_or_the_total() {
        assert_eq!(next_page_number(&Cursor::First, 0, None, 0), Next::Done);
        assert_eq!(
            next_page_number(&Cursor::First, 10, None, 10),
            Next::Fetch(Cursor::Page(2))
        );
        assert_eq!(
            next_page_number(&Cursor::Page(2), 10, Some(30), 20),
            Next::Fetch(Cursor::Page(3))
        );
        assert_eq!(
            next_page_number(&Cursor::Page(3), 10, Some(30), 30),
            Next::Done
        );
        // A total that shrank below what was received still stops.
        assert_eq!(
            next_page_number(&Cursor::Page(3), 10, Some(5), 30),
            Next::Done
        );
        // A negative total is not "more to come".
        assert_eq!(next_page_number(&Cursor::First, 1, Some(-1), 1), Next::Done);
    }
}
