//! `.items()`: the items of every page, each id once, filtered by the parameters only the
//! client can apply, with one re-listing when the server announced more distinct items than
//! arrived (it ordered ties differently per page), then [`Error::IncompleteListing`].

use std::collections::{HashSet, VecDeque};

use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use snapshots_runtime::paging::Listing;
use snapshots_runtime::query::Taken;

use super::{pages, Fetched, Items};
use crate::error::Error;

/// Where the gathering is.
struct Gather<'a, L: Listing<'a>> {
    request: L,
    pages: Fetched<'a, L::Page>,
    /// The ids seen, over both passes.
    seen: HashSet<String>,
    /// Items without an id (counted, never de-duplicated).
    anonymous: u64,
    /// Distinct items the server announced (its last total, less the first offset).
    expected: Option<u64>,
    /// The offset the first page started at (a listing started further on).
    start: Option<i64>,
    relisted: bool,
    ready: VecDeque<L::Item>,
    done: bool,
}

/// The stream of `.items()`.
pub(super) fn items<'a, L: Listing<'a>>(request: L) -> Items<'a, L::Item>
where
    Error: From<L::Error>,
{
    let gather = Gather {
        pages: pages(request.clone(), true),
        request,
        seen: HashSet::new(),
        anonymous: 0,
        expected: None,
        start: None,
        relisted: false,
        ready: VecDeque::new(),
        done: false,
    };
    stream::unfold(gather, |mut gather| async move {
        loop {
            if let Some(item) = gather.ready.pop_front() {
                return Some((Ok(item), gather));
            }
            if gather.done {
                return None;
            }
            let failure = match gather.pages.next().await {
                Some(Ok((page, taken))) => gather.take(page, &taken).err(),
                Some(Err(error)) => Some(error),
                None => gather.end_of_pass().err(),
            };
            if let Some(error) = failure {
                gather.done = true;
                return Some((Err(error), gather));
            }
        }
    })
    .boxed()
}

impl<'a, L: Listing<'a>> Gather<'a, L>
where
    Error: From<L::Error>,
{
    /// Records a page: its total, its unseen items that pass the client-side filters.
    fn take(&mut self, page: L::Page, taken: &[Taken]) -> Result<(), Error> {
        let facts = L::facts(&page);
        if self.start.is_none() {
            self.start = Some(facts.offset.unwrap_or(0).max(0));
        }
        if let Some(total) = facts.total {
            let total = u64::try_from(total).unwrap_or(0);
            let start = u64::try_from(self.start.unwrap_or(0)).unwrap_or(0);
            self.expected = Some(total.saturating_sub(start));
        }
        for item in L::into_items(page) {
            let value = serde_json::to_value(&item).map_err(|e| Error::Pagination {
                operation: L::OPERATION,
                message: format!("an item does not serialize: {e}"),
            })?;
            if !self.unseen(&value) {
                continue;
            }
            if passes(L::OPERATION, &value, taken)? {
                self.ready.push_back(item);
            }
        }
        Ok(())
    }

    /// Whether the item's id is new (recording it); an item without an id is new in the
    /// first pass only (it cannot be told apart from one already yielded).
    fn unseen(&mut self, value: &Value) -> bool {
        if L::ID.is_empty() {
            return true;
        }
        let id = L::ID.iter().try_fold(value, |v, member| v.get(member));
        match id.filter(|id| !id.is_null()) {
            Some(Value::String(text)) => self.seen.insert(text.clone()),
            Some(other) => self.seen.insert(other.to_string()),
            None => {
                self.anonymous += 1;
                !self.relisted
            }
        }
    }

    /// The end of a pass: done, or one more pass when distinct items fell short of the
    /// total, or the error naming the missing count after the second.
    fn end_of_pass(&mut self) -> Result<(), Error> {
        let seen = self.seen.len() as u64 + self.anonymous;
        let short = match self.expected {
            Some(expected) if !L::ID.is_empty() && seen < expected => expected,
            _ => {
                self.done = true;
                return Ok(());
            }
        };
        if self.relisted {
            self.done = true;
            return Err(Error::IncompleteListing {
                operation: L::OPERATION,
                expected: short,
                seen,
                missing: short - seen,
            });
        }
        tracing::info!(
            operation = L::OPERATION,
            expected = short,
            seen,
            "listing short of the announced total: listing once more"
        );
        self.relisted = true;
        self.anonymous = 0;
        self.pages = pages(self.request.clone(), true);
        Ok(())
    }
}

/// Whether `item` passes every client-side filter; a value that cannot be compared fails
/// the listing (never a guess).
fn passes(operation: &'static str, item: &Value, taken: &[Taken]) -> Result<bool, Error> {
    for parameter in taken {
        let verdict = parameter.filter.accepts(item, &parameter.value);
        match verdict {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(why) => {
                return Err(Error::NotHonoured {
                    operation: operation.to_owned(),
                    parameter: parameter.parameter.to_owned(),
                    reason: format!("it cannot be applied on the client side: {why}"),
                })
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
