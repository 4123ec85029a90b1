//! [`SmallList`]: a list that keeps its first `N` items on the stack, for the few headers and
//! query pairs of a request (sorting them needs a list, and a heap allocation per signature
//! for it costs as much as the sort).

/// Up to `N` items inline, then all of them in a `Vec`.
#[derive(Debug, Clone)]
pub(super) enum SmallList<T, const N: usize> {
    /// The first `len` items of `items` are the list.
    Inline {
        /// The storage; items past `len` are placeholders.
        items: [T; N],
        /// How many items are in the list.
        len: usize,
    },
    /// More than `N` items were pushed.
    Heap(Vec<T>),
}

impl<T: Copy + Default, const N: usize> SmallList<T, N> {
    /// An empty list (no allocation).
    pub(super) fn new() -> Self {
        Self::Inline {
            items: [T::default(); N],
            len: 0,
        }
    }

    /// Appends `item`, moving the list to the heap when it outgrows `N`.
    pub(super) fn push(&mut self, item: T) {
        match self {
            Self::Inline { items, len } if *len < N => {
                items[*len] = item;
                *len += 1;
            }
            Self::Inline { items, len } => {
                let mut heap = Vec::with_capacity(2 * N + 1);
                heap.extend_from_slice(&items[..*len]);
                heap.push(item);
                *self = Self::Heap(heap);
            }
            Self::Heap(heap) => heap.push(item),
        }
    }

    /// The items, in the order they were pushed (unless reordered through
    /// [`SmallList::as_mut_slice`]).
    pub(super) fn as_slice(&self) -> &[T] {
        match self {
            Self::Inline { items, len } => &items[..*len],
            Self::Heap(heap) => heap,
        }
    }

    /// The items, to reorder them.
    pub(super) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Self::Inline { items, len } => &mut items[..*len],
            Self::Heap(heap) => heap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SmallList;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the number of items, the list holds what was pushed, in order.
        #[test]
        fn holds_what_was_pushed(items in proptest::collection::vec(any::<u16>(), 0..20)) {
            let mut list = SmallList::<u16, 4>::new();
            for &item in &items {
                list.push(item);
            }
            prop_assert_eq!(list.as_slice(), items.as_slice());
            prop_assert_eq!(matches!(list, SmallList::Heap(_)), items.len() > 4);
            list.as_mut_slice().reverse();
            let reversed: Vec<u16> = items.iter().rev().copied().collect();
            prop_assert_eq!(list.as_slice(), reversed.as_slice());
        }
    }
}
