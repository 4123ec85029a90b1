//! Paging, the mechanism: what a list builder must tell (the [`Listing`] trait) and how the
//! next request is chosen from a page (the [`next`] rule of each [`Style`]).
//!
//! The per-operation facts (which parameter is the cursor, where the items, the total, the
//! next token and the response offset are) come from the spec's `x-paging` extension:
//! `cargo xtask generate` writes one `Listing` impl per list builder of a generated crate.
//! The stream over the pages (`.pages()`, `.items()`, the guards against a repeated token
//! or page) is the facade's (`snapshots::paginate`), generic over this trait, so that its
//! errors are the facade's `Error`. Nothing here knows an API.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (what the generated glue returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a list operation pages, as its `x-paging` `style` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `page-number`: page numbers 1, 2, 3, ... until an empty page or the total.
    PageNumber,
    /// `token`: the response's continuation token; without one, page numbers while a total
    /// says there is more (only when the operation has a page-number parameter).
    Token {
        /// Whether the request has a page-number parameter to fall back on.
        page_fallback: bool,
    },
    /// `offset`: record offsets, the response offset plus the items received, until the total.
    Offset,
    /// `offset` of a response that does not say where it starts (a bare array, `x-paging`
    /// without `response-offset`): the stream owns the offset parameter, as it owns page
    /// numbers, from 0 (replacing the builder's), adding the items received, until an empty
    /// page or the total.
    OffsetFromZero,
}

/// Where the next request starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The first request, as the user built it.
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

/// What a page says besides its items, read from the properties `x-paging` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// The number of items over all pages (`total`), when the response has one.
    pub total: Option<i64>,
    /// The continuation token (`next-token`); an empty token counts as none.
    pub next_token: Option<String>,
    /// The offset the response says it starts at (`response-offset`).
    pub offset: Option<i64>,
}

/// A list builder of a generated client that can be paged through; implemented by the
/// generated code from `x-paging`.
pub trait Listing<'a>: Clone + Send + Sized + 'a {
    /// The decoded response.
    type Page: Send + 'a;
    /// One listed resource (serializable, so that the engine can read its id and the
    /// fields of client-side filters by their wire names).
    type Item: Clone + PartialEq + Send + serde::Serialize + 'a;
    /// The error of a request (the generated crate's `Error<E>`).
    type Error: Send + 'a;
    /// The operation id, for errors.
    const OPERATION: &'static str;
    /// How the operation pages.
    const STYLE: Style;
    /// Where a page's JSON body keeps its items: the `x-paging` `items` property path
    /// (`data`, `Snapshots`; dots between nested members; empty when the body is the array
    /// itself, `items: $`), for callers that read the raw body ([`crate::capture`]).
    const ITEMS: &'static str;
    /// The property path of an item's id (`x-paging` `id`), by which the engine
    /// de-duplicates across pages and counts distinct items; empty: no id.
    const ID: &'static [&'static str] = &[];

    /// The request for `cursor` (`First` leaves it as the user built it).
    fn at(self, cursor: &Cursor) -> Self;
    /// Sends the request.
    fn fetch(self) -> BoxFuture<'a, Result<Self::Page, Self::Error>>;
    /// The items of a page (borrowed, for the repeated-page check).
    fn items_of(page: &Self::Page) -> &[Self::Item];
    /// The items of a page.
    fn into_items(page: Self::Page) -> Vec<Self::Item>;
    /// The total, next token and response offset of a page.
    fn facts(page: &Self::Page) -> PageFacts;
}

/// The first cursor of a style: page 1 for page numbers (the stream owns the parameter),
/// the request as built otherwise.
pub fn first(style: Style) -> Cursor {
    match style {
        Style::PageNumber => Cursor::Page(1),
        Style::Token { .. } | Style::Offset => Cursor::First,
        Style::OffsetFromZero => Cursor::Offset(0),
    }
}

/// The cursor after a page of `page_len` items fetched at `cursor`, with `received` items
/// so far (this page included).
pub fn next(
    style: Style,
    facts: &PageFacts,
    cursor: &Cursor,
    page_len: usize,
    received: u64,
) -> Next {
    match style {
        Style::PageNumber => next_page_number(cursor, page_len, facts.total, received),
        Style::Token { page_fallback } => {
            next_token(facts, cursor, page_len, received, page_fallback)
        }
        Style::Offset | Style::OffsetFromZero => next_offset(facts, cursor, page_len),
    }
}

fn reached(total: Option<i64>, received: u64) -> bool {
    total.is_some_and(|total| received >= total.max(0) as u64)
}

/// Page numbers: the next page, unless this one was empty or the total is reached.
fn next_page_number(cursor: &Cursor, page_len: usize, total: Option<i64>, received: u64) -> Next {
    if page_len == 0 || reached(total, received) {
        return Next::Done;
    }
    let number = match cursor {
        Cursor::Page(n) => n.saturating_add(1),
        // The first request is page 1 (the services' default).
        _ => 2,
    };
    Next::Fetch(Cursor::Page(number))
}

/// Token first; page numbers when the service gives no token, but only while a total says
/// there is more.
fn next_token(
    facts: &PageFacts,
    cursor: &Cursor,
    page_len: usize,
    received: u64,
    fallback: bool,
) -> Next {
    if page_len == 0 || reached(facts.total, received) {
        return Next::Done;
    }
    match facts.next_token.as_deref() {
        Some(token) if !token.is_empty() => Next::Fetch(Cursor::Token(token.to_owned())),
        _ if fallback && facts.total.is_some() => {
            next_page_number(cursor, page_len, facts.total, received)
        }
        _ => Next::Done,
    }
}

/// Offsets: the response offset plus this page's items, until the total. A response at
/// another offset than asked for fails (the page cannot be trusted).
fn next_offset(facts: &PageFacts, cursor: &Cursor, page_len: usize) -> Next {
    if page_len == 0 {
        return Next::Done;
    }
    let requested = match cursor {
        Cursor::Offset(requested) => Some(*requested),
        _ => None,
    };
    if let (Some(requested), Some(answered)) = (requested, facts.offset) {
        if answered != requested {
            return Next::Fail(format!(
                "asked for offset {requested}, the server answered offset {answered}"
            ));
        }
    }
    let Some(start) = facts.offset.or(requested) else {
        return Next::Fail("the response says at which offset it starts nowhere".into());
    };
    let next = start.saturating_add(i64::try_from(page_len).unwrap_or(i64::MAX));
    match facts.total {
        Some(total) if next >= total => Next::Done,
        _ => Next::Fetch(Cursor::Offset(next)),
    }
}

/// A count as the generated types hold it (`i64`, `Option<i64>`, ...), for [`PageFacts`].
pub trait AsCount {
    /// The count, when there is one that fits an `i64`.
    fn as_count(&self) -> Option<i64>;
}

macro_rules! as_count {
    ($($t:ty),*) => {$(
        impl AsCount for $t {
            fn as_count(&self) -> Option<i64> {
                i64::try_from(*self).ok()
            }
        }
    )*};
}
as_count!(i64, i32, u64, u32);

impl AsCount for std::num::NonZeroU64 {
    fn as_count(&self) -> Option<i64> {
        self.get().as_count()
    }
}

impl<T: AsCount> AsCount for Option<T> {
    fn as_count(&self) -> Option<i64> {
        self.as_ref().and_then(AsCount::as_count)
    }
}

/// A token as the generated types hold it (`String`, `Option<String>`), for [`PageFacts`].
pub trait AsToken {
    /// The token, when there is a non-empty one.
    fn as_token(&self) -> Option<String>;
}

impl AsToken for String {
    fn as_token(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.clone())
    }
}

impl<T: AsToken> AsToken for Option<T> {
    fn as_token(&self) -> Option<String> {
        self.as_ref().and_then(AsToken::as_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Walks a simulated server of `len` items, `size` per request, in `style`; returns the
    /// requests made and the items received, or the failure.
    fn walk(style: Style, len: u64, size: u64, with_total: bool) -> Result<(u64, u64), String> {
        let (mut cursor, mut received, mut requests) = (first(style), 0u64, 0u64);
        loop {
            requests += 1;
            let start = match &cursor {
                Cursor::Page(n) => (n - 1) * size,
                Cursor::Offset(o) => *o as u64,
                Cursor::Token(t) => t.parse::<u64>().map_err(|e| e.to_string())?,
                Cursor::First => 0,
            };
            let page_len = len.saturating_sub(start).min(size);
            received += page_len;
            let end = start + page_len;
            let facts = PageFacts {
                total: with_total.then_some(len as i64),
                next_token: matches!(style, Style::Token { .. })
                    .then(|| end.to_string())
                    .filter(|_| end < len),
                offset: (style != Style::OffsetFromZero).then_some(start as i64),
            };
            match next(style, &facts, &cursor, page_len as usize, received) {
                Next::Fetch(n) => cursor = n,
                Next::Done => return Ok((requests, received)),
                Next::Fail(message) => return Err(message),
            }
        }
    }

    proptest! {
        /// Every item exactly once; with a total, no request after the last item; without
        /// one, exactly one extra request: the empty page that ends it.
        #[test]
        fn page_numbers_receive_everything_and_stop(len in 0u64..500, size in 1u64..60, with_total: bool) {
            let (requests, received) = walk(Style::PageNumber, len, size, with_total).unwrap();
            prop_assert_eq!(received, len);
            let pages = len.div_ceil(size).max(1);
            let expected = if with_total || len == 0 { pages } else { pages + 1 };
            prop_assert_eq!(requests, expected);
        }

        /// A bare-array listing (no response offset) receives every item once, with or
        /// without a total; without one it asks once more for the empty page.
        #[test]
        fn offsets_from_zero_receive_everything(len in 0u64..500, size in 1u64..=100, with_total: bool) {
            let (requests, received) = walk(Style::OffsetFromZero, len, size, with_total).unwrap();
            prop_assert_eq!(received, len);
            let pages = len.div_ceil(size);
            let expected = if with_total { pages.max(1) } else { pages + 1 };
            prop_assert_eq!(requests, expected);
        }

        #[test]
        fn offsets_receive_everything_and_stop_at_the_total(len in 0u64..500, size in 1u64..=100) {
            let (requests, received) = walk(Style::Offset, len, size, true).unwrap();
            prop_assert_eq!(received, len);
            prop_assert_eq!(requests, len.div_ceil(size).max(1));
        }

        /// A token server ends when it gives no token, one request per page.
        #[test]
        fn tokens_receive_everything(len in 0u64..500, size in 1u64..60, with_total: bool, fallback: bool) {
            let style = Style::Token { page_fallback: fallback };
            let (requests, received) = walk(style, len, size, with_total).unwrap();
            prop_assert_eq!(received, len);
            prop_assert_eq!(requests, len.div_ceil(size).max(1));
        }

        /// An offset answer at another offset than asked for always fails.
        #[test]
        fn a_wrong_response_offset_fails(asked in 0i64..1000, answered in 0i64..1000, len in 1usize..50) {
            prop_assume!(asked != answered);
            let facts = PageFacts { total: Some(5000), next_token: None, offset: Some(answered) };
            let verdict = next(Style::Offset, &facts, &Cursor::Offset(asked), len, 1);
            prop_assert!(matches!(verdict, Next::Fail(_)));
        }
    }

    #[test]
    fn page_numbers_stop_on_an_empty_page_or_the_total() {
        let facts = |total| PageFacts {
            total,
            ..PageFacts::default()
        };
        let style = Style::PageNumber;
        assert_eq!(
            next(style, &facts(None), &Cursor::Page(1), 0, 0),
            Next::Done
        );
        assert_eq!(
            next(style, &facts(None), &Cursor::Page(1), 10, 10),
            Next::Fetch(Cursor::Page(2))
        );
        assert_eq!(
            next(style, &facts(Some(30)), &Cursor::Page(3), 10, 30),
            Next::Done
        );
        // A total that shrank below what was received still stops; a negative one is no "more".
        assert_eq!(
            next(style, &facts(Some(5)), &Cursor::Page(3), 10, 30),
            Next::Done
        );
        assert_eq!(
            next(style, &facts(Some(-1)), &Cursor::Page(1), 1, 1),
            Next::Done
        );
    }

    #[test]
    fn tokens_fall_back_to_page_numbers_only_with_a_total() {
        let with_total = PageFacts {
            total: Some(30),
            ..PageFacts::default()
        };
        let fallback = Style::Token {
            page_fallback: true,
        };
        assert_eq!(
            next(fallback, &with_total, &Cursor::First, 10, 10),
            Next::Fetch(Cursor::Page(2))
        );
        assert_eq!(
            next(
                Style::Token {
                    page_fallback: false
                },
                &with_total,
                &Cursor::First,
                10,
                10
            ),
            Next::Done
        );
        assert_eq!(
            next(fallback, &PageFacts::default(), &Cursor::First, 10, 10),
            Next::Done
        );
        let empty_token = PageFacts {
            next_token: Some(String::new()),
            ..PageFacts::default()
        };
        assert_eq!(
            next(fallback, &empty_token, &Cursor::First, 10, 10),
            Next::Done
        );
    }

    /// A bare-array listing starts at offset 0 and walks by the items received, until an
    /// empty page (no total) or the total.
    #[test]
    fn offsets_from_zero_own_the_parameter() {
        assert_eq!(first(Style::OffsetFromZero), Cursor::Offset(0));
        let none = PageFacts::default();
        assert_eq!(
            next(Style::OffsetFromZero, &none, &Cursor::Offset(0), 2, 2),
            Next::Fetch(Cursor::Offset(2))
        );
        assert_eq!(
            next(Style::OffsetFromZero, &none, &Cursor::Offset(2), 0, 2),
            Next::Done
        );
        let total = PageFacts {
            total: Some(3),
            ..PageFacts::default()
        };
        assert_eq!(
            next(Style::OffsetFromZero, &total, &Cursor::Offset(2), 1, 3),
            Next::Done
        );
    }

    #[test]
    fn offsets_need_a_start() {
        assert!(matches!(
            next(Style::Offset, &PageFacts::default(), &Cursor::First, 3, 3),
            Next::Fail(_)
        ));
        let facts = PageFacts {
            total: None,
            next_token: None,
            offset: None,
        };
        assert_eq!(
            next(Style::Offset, &facts, &Cursor::Offset(4), 3, 3),
            Next::Fetch(Cursor::Offset(7))
        );
    }

    #[test]
    fn counts_and_tokens_read_every_shape() {
        assert_eq!(Some(5i64).as_count(), Some(5));
        assert_eq!(None::<i64>.as_count(), None);
        assert_eq!(u64::MAX.as_count(), None);
        assert_eq!(Some(String::from("t")).as_token(), Some("t".into()));
        assert_eq!(String::new().as_token(), None);
    }
}
