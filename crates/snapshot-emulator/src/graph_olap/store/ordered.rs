//! An ordered multiset with positional access: a sorted vector cut into blocks of at most
//! [`MAX_BLOCK`] keys, with the blocks' last keys side by side. Insert and remove cost
//! O(log n + block); finding the key at a position (or the position of a key) costs
//! O(log n + n / block), the second term a sum of block lengths read side by side (about
//! 4,000 at a million keys, a few microseconds). The Graph OLAP store keeps one per list
//! order so a page at any offset costs O(page + n / block) instead of a sort of every
//! snapshot.

/// Keys per block before it splits in two.
const MAX_BLOCK: usize = 256;

/// Sorted keys in blocks; every block non-empty, blocks in ascending order.
#[derive(Debug, Clone)]
pub(crate) struct Ordered<K> {
    blocks: Vec<Vec<K>>,
    /// The last key of each block, side by side: finding a key's block is a binary search
    /// of this vector, not a memory access into every block probed.
    lasts: Vec<K>,
    len: usize,
}

impl<K> Default for Ordered<K> {
    fn default() -> Self {
        Self {
            blocks: Vec::new(),
            lasts: Vec::new(),
            len: 0,
        }
    }
}

impl<K: Ord + Clone> Ordered<K> {
    /// Number of keys held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The block a key belongs in: the first whose last key is not below it (or the last).
    fn block_for(&self, key: &K) -> usize {
        let found = self.lasts.partition_point(|last| last < key);
        found.min(self.blocks.len().saturating_sub(1))
    }

    /// Keeps `lasts[b]` the last key of block `b`.
    fn refresh_last(&mut self, b: usize) {
        if let (Some(last), Some(slot)) = (
            self.blocks.get(b).and_then(|block| block.last()),
            self.lasts.get_mut(b),
        ) {
            slot.clone_from(last);
        }
    }

    /// The block to add `key` to: the one it belongs in, or the block before it when
    /// `key` goes at that block's end and it has room (so keys added in order, or in order
    /// within a range, fill blocks instead of leaving them half full).
    fn block_to_add(&self, key: &K) -> usize {
        let found = self.lasts.partition_point(|last| last < key);
        if let Some(prev) = found.checked_sub(1).and_then(|p| self.blocks.get(p)) {
            let before_next = self
                .blocks
                .get(found)
                .is_none_or(|next| next.first().is_some_and(|first| key <= first));
            if prev.len() < MAX_BLOCK && before_next {
                return found - 1;
            }
        }
        found.min(self.blocks.len().saturating_sub(1))
    }

    /// Adds `key` (duplicates are kept).
    pub(crate) fn insert(&mut self, key: K) {
        if self.blocks.is_empty() {
            let mut block = Vec::with_capacity(MAX_BLOCK + 1);
            self.lasts.push(key.clone());
            block.push(key);
            self.blocks.push(block);
            self.len = 1;
            return;
        }
        let b = self.block_to_add(&key);
        let block = &mut self.blocks[b];
        let at = block.partition_point(|k| k < &key);
        block.insert(at, key);
        self.len += 1;
        if block.len() > MAX_BLOCK {
            // Split right after the key just added when that leaves at least half a block
            // below it (keys added in order then fill the lower block), else in half.
            let cut = if at + 1 >= MAX_BLOCK / 2 {
                (at + 1).min(MAX_BLOCK)
            } else {
                block.len() / 2
            };
            // Every block is allocated once at its full size: no reallocation as it grows,
            // which would scatter freed buffers of every size through the heap.
            let mut upper = Vec::with_capacity(MAX_BLOCK + 1);
            upper.extend(block.drain(cut..));
            if let Some(last) = upper.last() {
                self.lasts.insert(b + 1, last.clone());
            }
            self.blocks.insert(b + 1, upper);
        }
        self.refresh_last(b);
    }

    /// Removes one key equal to `key`; false when none is held.
    pub(crate) fn remove(&mut self, key: &K) -> bool {
        if self.blocks.is_empty() {
            return false;
        }
        let b = self.block_for(key);
        let block = &mut self.blocks[b];
        let at = block.partition_point(|k| k < key);
        if block.get(at) != Some(key) {
            return false;
        }
        block.remove(at);
        self.len -= 1;
        if block.is_empty() {
            self.blocks.remove(b);
            self.lasts.remove(b);
        } else {
            self.refresh_last(b);
        }
        true
    }

    /// Number of keys strictly below `key`.
    pub(crate) fn rank(&self, key: &K) -> usize {
        let found = self.lasts.partition_point(|last| last < key);
        let blocks = self.blocks.get(..found).unwrap_or_default();
        let below: usize = blocks.iter().map(Vec::len).sum();
        let within = self
            .blocks
            .get(found)
            .map_or(0, |block| block.partition_point(|k| k < key));
        below + within
    }

    /// The keys from position `start` on, in ascending order.
    pub(crate) fn iter_from(&self, start: usize) -> impl Iterator<Item = &K> + '_ {
        let (mut block, mut skip) = (0, start.min(self.len));
        while self.blocks.get(block).is_some_and(|b| skip >= b.len()) {
            skip -= self.blocks[block].len();
            block += 1;
        }
        let blocks = self.blocks.get(block..).unwrap_or_default();
        blocks.iter().flatten().skip(skip)
    }

    /// The keys at positions `start..end` (clamped), ascending, or descending with `rev`.
    pub(crate) fn range(&self, start: usize, end: usize, rev: bool) -> Vec<&K> {
        let end = end.min(self.len);
        let start = start.min(end);
        let mut keys: Vec<&K> = self.iter_from(start).take(end - start).collect();
        if rev {
            keys.reverse();
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any sequence of inserts and removes leaves the same keys, ranks and ranges as a
        /// sorted vector.
        #[test]
        fn behaves_like_a_sorted_vec(
            ops in proptest::collection::vec((any::<bool>(), 0u16..3000), 0..6000),
            probe in 0u16..3000,
            start in 0usize..6000,
            take in 0usize..300,
            rev in any::<bool>(),
        ) {
            let mut ordered = Ordered::default();
            let mut model: Vec<u16> = Vec::new();
            for (add, key) in ops {
                if add {
                    ordered.insert(key);
                    let at = model.partition_point(|k| *k < key);
                    model.insert(at, key);
                } else {
                    let at = model.iter().position(|k| *k == key);
                    prop_assert_eq!(ordered.remove(&key), at.is_some());
                    if let Some(at) = at {
                        model.remove(at);
                    }
                }
            }
            prop_assert_eq!(ordered.len(), model.len());
            let lasts: Vec<u16> = ordered.blocks.iter().filter_map(|b| b.last().copied()).collect();
            prop_assert_eq!(&ordered.lasts, &lasts);
            prop_assert_eq!(ordered.rank(&probe), model.partition_point(|k| *k < probe));
            let all: Vec<u16> = ordered.iter_from(0).copied().collect();
            prop_assert_eq!(&all, &model);
            let end = start.saturating_add(take).min(model.len());
            let begin = start.min(end);
            let mut want: Vec<u16> = model[begin..end].to_vec();
            if rev {
                want.reverse();
            }
            let got: Vec<u16> = ordered.range(start, start + take, rev).into_iter().copied().collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn keys_added_in_order_fill_their_blocks() {
        let mut ordered = Ordered::default();
        for key in 0..(MAX_BLOCK * 3 + 1) as u32 {
            ordered.insert(key);
        }
        let lens: Vec<usize> = ordered.blocks.iter().map(Vec::len).collect();
        assert_eq!(lens, [MAX_BLOCK, MAX_BLOCK, MAX_BLOCK, 1]);
        // In order within a range: the blocks before the range's end fill up too.
        let mut ranged = Ordered::default();
        for key in 0..(MAX_BLOCK * 2) as u32 {
            ranged.insert((1u8, key));
        }
        for key in 0..(MAX_BLOCK * 2) as u32 {
            ranged.insert((0u8, key));
        }
        let lens: Vec<usize> = ranged.blocks.iter().map(Vec::len).collect();
        assert!(lens.len() <= 5, "{lens:?}");
    }

    #[test]
    fn splits_and_empties_blocks() {
        let mut ordered = Ordered::default();
        for key in (0..5000u32).rev() {
            ordered.insert(key);
        }
        assert!(ordered.blocks.len() > 4);
        assert_eq!(ordered.range(4998, 6000, false), [&4998, &4999]);
        for key in 0..5000u32 {
            assert!(ordered.remove(&key));
        }
        assert!(ordered.blocks.is_empty());
        assert!(!ordered.remove(&1));
    }
}
