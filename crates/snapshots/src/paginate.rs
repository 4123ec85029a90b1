//! Pagination: every listing operation of the three APIs as a lazy [`Stream`](futures_util::Stream) of pages or of
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
//! Which operations page, and how, comes from the spec: each list operation's `x-paging`
//! extension (`specs/EXTENSIONS.md`) names its style, its cursor parameters and where the
//! page keeps its items, total, next token and offset, and `cargo xtask generate` writes the
//! `snapshots_runtime::paging::Listing` impl of its builder. Today:
//!
//! | builder | style (`x-paging`) | next request | stops when |
//! | --- | --- | --- | --- |
//! | `pai_dsw` `list_instance_snapshot` | `page-number`: `PageNumber`/`PageSize` + `TotalCount` | `PageNumber` 1, 2, 3, ... (set by the stream) | a page is empty, or `TotalCount` items were received |
//! | `pai_langstudio` `list_snapshots` (either profile) | `token`: `NextToken`/`MaxResults`, else `PageNumber` + `TotalCount` | the response's `NextToken`; without one, `PageNumber` 2, 3, ... | a page is empty, no `NextToken` and `TotalCount` reached (or absent), or `TotalCount` reached |
//! | `graph_olap` `list_snapshots`, `list_instances`, `list_mappings`, `list_mapping_versions`, `list_mapping_snapshots`, `list_mapping_instances`, `list_instance_events` | `offset`: `offset`/`limit` + `meta.offset`, `meta.total` | `offset` = `meta.offset` + items received | a page is empty, or `meta.total` reached |
//! | `graph_olap` `list_users` (a bare array) | `offset` without a response offset: `offset`/`limit` | `offset` 0 (set by the stream), then + items received | a page is empty |
//!
//! This module holds the one generic engine (the stream and its guards); the rule that picks
//! the next cursor for each style is `snapshots_runtime::paging::next`. The engine lives here
//! rather than in the runtime so that its errors are this crate's [`Error`].
//!
//! The stream owns the cursor parameter (`PageNumber` for DSW, `NextToken` and `PageNumber`
//! after the first LangStudio request, `offset` after the first Graph OLAP request): leave it
//! unset on the builder. A Graph OLAP `offset` set on the builder is where the listing starts,
//! except for `list_users`, whose bare array does not say where it starts: it always starts at 0.
//!
//! A server that repeats itself makes the stream fail with [`Error::Pagination`] instead of
//! looping: a `NextToken` already used, a page identical to the previous one, a Graph OLAP
//! offset that does not advance. An error from a request ends the stream after that error.
//! Pages are fetched one at a time, only when the stream is polled; every request goes
//! through the client's runtime (signing, rate limit, retries).

use std::collections::HashSet;

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use snapshots_runtime::paging::{self, Cursor, Listing, Next};
use snapshots_runtime::query::{self, Taken};

use crate::error::Error;

mod items;

/// A stream of pages: each item is one decoded response of the list operation.
pub type Pages<'a, P> = BoxStream<'a, Result<P, Error>>;

/// A stream of the items of every page, in order.
pub type Items<'a, I> = BoxStream<'a, Result<I, Error>>;

/// A list builder of a generated client that can be paged through: every builder whose
/// operation has `x-paging` in its spec (the generated crates implement
/// [`Listing`] for it). See the [module documentation](self) for how each style advances
/// and stops.
pub trait Paginate<'a>: Listing<'a>
where
    Error: From<Self::Error>,
{
    /// A lazy stream of the responses, one per request. A parameter only the client can
    /// apply (`x-server-support`, e.g. Graph OLAP's `created_after`) is refused here with
    /// [`Error::NotHonoured`]: a page is what the server sent. Use [`Self::items`].
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
        pages(self, false).map_ok(|(page, _)| page).boxed()
    }

    /// A lazy stream of the items of every page, in order, each id once (the `x-paging`
    /// `id`), filtered by the parameters only the client can apply (`x-server-support`:
    /// Graph OLAP's `created_after`, `created_before`, `mapping_version`), which are not
    /// sent. When the server announced more items than arrived distinct, the listing is
    /// made once more (yielding only unseen ids) and then ends with
    /// [`Error::IncompleteListing`] if still short.
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
        items::items(self)
    }
}

impl<'a, T: Listing<'a>> Paginate<'a> for T where Error: From<T::Error> {}

/// Where the walk is.
struct Walk<'a, L: Listing<'a>> {
    request: L,
    cursor: Option<Cursor>,
    received: u64,
    tokens: HashSet<String>,
    previous: Option<Vec<L::Item>>,
    failure: Option<Error>,
    /// Whether client-side parameters are applied by the caller ([`query::handled`]).
    handled: bool,
}

/// A page and the client-side parameters taken out of its request.
type Fetched<'a, P> = BoxStream<'a, Result<(P, Vec<Taken>), Error>>;

/// The generic engine: one request per poll of the stream, the next cursor from
/// [`paging::next`], and the guards against a server that repeats itself. With `handled`,
/// each request runs inside [`query::handled`]: its client-side parameters are taken out
/// and returned beside the page (else the runtime refuses them).
fn pages<'a, L: Listing<'a>>(request: L, handled: bool) -> Fetched<'a, L::Page>
where
    Error: From<L::Error>,
{
    let walk = Walk {
        request,
        cursor: Some(paging::first(L::STYLE)),
        received: 0,
        tokens: HashSet::new(),
        previous: None,
        failure: None,
        handled,
    };
    stream::unfold(walk, |mut walk| async move {
        if let Some(error) = walk.failure.take() {
            walk.cursor = None;
            return Some((Err(error), walk));
        }
        let cursor = walk.cursor.take()?;
        let call = walk.request.clone().at(&cursor).fetch();
        let (result, taken) = if walk.handled {
            query::handled(call).await
        } else {
            (call.await, Vec::new())
        };
        let page = match result {
            Ok(page) => page,
            Err(error) => return Some((Err(Error::from(error)), walk)),
        };
        let result = step(&mut walk, &page, &cursor).map(|()| (page, taken));
        Some((result, walk))
    })
    .boxed()
}

/// Checks a page and records what it says about the next one.
fn step<'a, L: Listing<'a>>(
    walk: &mut Walk<'a, L>,
    page: &L::Page,
    cursor: &Cursor,
) -> Result<(), Error> {
    let items = L::items_of(page);
    if !items.is_empty() && walk.previous.as_deref() == Some(items) {
        let message = format!(
            "the server returned the same {} items again at {cursor:?}",
            items.len()
        );
        return Err(pagination(L::OPERATION, message));
    }
    walk.received += items.len() as u64;
    walk.previous = Some(items.to_vec());
    match paging::next(
        L::STYLE,
        &L::facts(page),
        cursor,
        items.len(),
        walk.received,
    ) {
        Next::Done => {}
        // The page itself is suspect (e.g. not at the offset asked for): not yielded.
        Next::Fail(message) => return Err(pagination(L::OPERATION, message)),
        Next::Fetch(Cursor::Token(token)) if !walk.tokens.insert(token.clone()) => {
            walk.failure = Some(pagination(
                L::OPERATION,
                format!("the server repeated the continuation token {token:?}"),
            ));
        }
        Next::Fetch(next) => walk.cursor = Some(next),
    }
    Ok(())
}

fn pagination(operation: &'static str, message: String) -> Error {
    Error::Pagination { operation, message }
}

#[cfg(test)]
mod tests;
