//! Sorting and the three ways to page through a list: page number and size, and opaque
//! `NextToken` cursors.
//!
//! Every list is sorted by a key (creation or modification time, in nanoseconds) and then by
//! the item's creation sequence number, in the same direction, so that the order is total
//! and stable: items created in the same second never swap places between two calls.
//!
//! A `NextToken` is a cursor *after* the last item of a page (keyset pagination), not an
//! offset: items created or deleted meanwhile neither repeat nor vanish from the pages still
//! to come. It holds a fingerprint of the filters and sort order it was made for, the last
//! key and sequence number, and a keyed checksum; it is hex text, opaque to clients, the
//! same for the same position, and refused when altered,
//! made by another emulator, or used with other filters.

use sha2::{Digest, Sha256};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

/// An item's place in a sorted list: its sort key, then its creation sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub(crate) key: i64,
    pub(crate) seq: u64,
}

/// Sorts `items` by their position in `direction`.
pub(crate) fn sort_by_position<T>(
    items: &mut [T],
    direction: Direction,
    position: impl Fn(&T) -> Position,
) {
    items.sort_by(|a, b| {
        let order = position(a).cmp(&position(b));
        match direction {
            Direction::Asc => order,
            Direction::Desc => order.reverse(),
        }
    });
}

/// A cursor after one item of a list made with given filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// [`fingerprint`] of the filters and sort order.
    pub(crate) fingerprint: u64,
    /// The last item returned.
    pub(crate) after: Position,
}

const TOKEN_BYTES: usize = 8 + 8 + 8;
const CHECK_BYTES: usize = 8;

fn checksum(secret: &[u8], payload: &[u8]) -> [u8; CHECK_BYTES] {
    let digest = Sha256::new()
        .chain_update(secret)
        .chain_update(payload)
        .finalize();
    let mut out = [0u8; CHECK_BYTES];
    out.copy_from_slice(&digest[..CHECK_BYTES]);
    out
}

impl Cursor {
    /// The token text, checksummed with `secret`.
    pub(crate) fn encode(&self, secret: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(TOKEN_BYTES + CHECK_BYTES);
        bytes.extend_from_slice(&self.fingerprint.to_be_bytes());
        bytes.extend_from_slice(&self.after.key.to_be_bytes());
        bytes.extend_from_slice(&self.after.seq.to_be_bytes());
        let check = checksum(secret, &bytes);
        bytes.extend_from_slice(&check);
        hex::encode(bytes)
    }

    /// The cursor of a token, if it is one this `secret` made.
    pub(crate) fn decode(secret: &[u8], token: &str) -> Option<Cursor> {
        let bytes = hex::decode(token).ok()?;
        if bytes.len() != TOKEN_BYTES + CHECK_BYTES {
            return None;
        }
        let (payload, check) = bytes.split_at(TOKEN_BYTES);
        if checksum(secret, payload) != check {
            return None;
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&payload[i * 8..i * 8 + 8]);
            b
        };
        Some(Cursor {
            fingerprint: u64::from_be_bytes(word(0)),
            after: Position {
                key: i64::from_be_bytes(word(1)),
                seq: u64::from_be_bytes(word(2)),
            },
        })
    }
}

/// A fingerprint of the parts that define a list (filters, sort field and direction).
pub(crate) fn fingerprint(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(b)
}

/// Whether an item at `position` comes after `cursor` in a list sorted in `direction`.
pub(crate) fn is_after(position: Position, cursor: Position, direction: Direction) -> bool {
    match direction {
        Direction::Asc => position > cursor,
        Direction::Desc => position < cursor,
    }
}

/// One page: the items and whether more follow.
#[derive(Debug, PartialEq)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) more: bool,
}

/// Page `number` (from 1) of `size` items of a sorted list.
pub(crate) fn by_number<T: Clone>(sorted: &[T], number: u64, size: u64) -> Page<T> {
    let start = number.saturating_sub(1).saturating_mul(size);
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(sorted.len());
    let end = start
        .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
        .min(sorted.len());
    Page {
        items: sorted[start..end].to_vec(),
        more: end < sorted.len(),
    }
}

/// The `size` items after `cursor` (from the start without one) of a sorted list.
pub(crate) fn by_cursor<T: Clone>(
    sorted: &[T],
    cursor: Option<Position>,
    size: u64,
    direction: Direction,
    position: impl Fn(&T) -> Position,
) -> Page<T> {
    let start = match cursor {
        None => 0,
        Some(cursor) => sorted
            .iter()
            .position(|item| is_after(position(item), cursor, direction))
            .unwrap_or(sorted.len()),
    };
    let end = start
        .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
        .min(sorted.len());
    Page {
        items: sorted[start..end].to_vec(),
        more: end < sorted.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"0123456789abcdef";

    #[test]
    fn tokens_round_trip_and_are_stable() {
        let cursor = Cursor {
            fingerprint: 42,
            after: Position { key: -5, seq: 9 },
        };
        let token = cursor.encode(SECRET);
        assert_eq!(token, cursor.encode(SECRET));
        assert_eq!(token.len(), 64);
        assert_eq!(Cursor::decode(SECRET, &token), Some(cursor));
    }

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let token = Cursor {
            fingerprint: 1,
            after: Position { key: 2, seq: 3 },
        }
        .encode(SECRET);
        assert_eq!(Cursor::decode(b"another secret", &token), None);
        let mut altered = token.clone().into_bytes();
        altered[20] = if altered[20] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            Cursor::decode(SECRET, &String::from_utf8(altered).expect("ascii")),
            None
        );
        for bad in ["", "xyz", "00", &token[..62], &format!("{token}00")] {
            assert_eq!(Cursor::decode(SECRET, bad), None, "{bad}");
        }
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
    }

    #[test]
    fn pages_by_number() {
        let list: Vec<u32> = (1..=7).collect();
        assert_eq!(
            by_number(&list, 1, 3),
            Page {
                items: vec![1, 2, 3],
                more: true
            }
        );
        assert_eq!(
            by_number(&list, 3, 3),
            Page {
                items: vec![7],
                more: false
            }
        );
        assert_eq!(
            by_number(&list, 4, 3),
            Page {
                items: vec![],
                more: false
            }
        );
        assert_eq!(
            by_number(&list, u64::MAX, u64::MAX),
            Page {
                items: vec![],
                more: false
            }
        );
    }

    fn pos(seq: &u64) -> Position {
        Position {
            key: i64::try_from(seq / 3).expect("small"),
            seq: *seq,
        }
    }

    proptest! {
        /// Walking with cursors visits every item exactly once, in order, whatever is
        /// deleted between pages, and never shows an item created before the walk twice.
        #[test]
        fn cursor_walk_visits_each_item_once(
            n in 0u64..60,
            size in 1u64..8,
            desc in any::<bool>(),
            deletions in proptest::collection::vec(0u64..60, 0..10),
        ) {
            let direction = if desc { Direction::Desc } else { Direction::Asc };
            let mut list: Vec<u64> = (0..n).collect();
            sort_by_position(&mut list, direction, pos);
            let mut seen = Vec::new();
            let mut cursor = None;
            let mut deletions = deletions.into_iter();
            loop {
                let page = by_cursor(&list, cursor, size, direction, pos);
                prop_assert!(page.items.len() as u64 <= size);
                seen.extend(page.items.iter().copied());
                if !page.more {
                    break;
                }
                cursor = page.items.last().map(pos);
                if let Some(d) = deletions.next() {
                    list.retain(|x| *x != d);
                }
            }
            let mut unique = seen.clone();
            unique.dedup();
            prop_assert_eq!(&unique, &seen);
            let mut expected: Vec<u64> = (0..n).collect();
            sort_by_position(&mut expected, direction, pos);
            // Whatever was seen is in list order, and only deleted items can be missing.
            let in_order: Vec<u64> = expected.iter().copied().filter(|x| seen.contains(x)).collect();
            prop_assert_eq!(in_order, seen);
        }
    }
}
