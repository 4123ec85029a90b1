//! [`Records`]: the snapshots by id, held in one vector (a slab with a free list) and found
//! through a map of id to slot, so a million records are one allocation instead of a
//! million small ones scattered through the heap (which left the allocator slow to serve
//! the small allocations of every later request).

use std::collections::BTreeMap;

/// Records by id, in id order.
#[derive(Debug)]
pub(crate) struct Records<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    ids: BTreeMap<i64, u32>,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            ids: BTreeMap::new(),
        }
    }
}

impl<T> Records<T> {
    /// The record `id`.
    pub(crate) fn get(&self, id: &i64) -> Option<&T> {
        let slot = usize::try_from(*self.ids.get(id)?).ok()?;
        self.slots.get(slot)?.as_ref()
    }

    /// The record `id`, to change.
    pub(crate) fn get_mut(&mut self, id: &i64) -> Option<&mut T> {
        let slot = usize::try_from(*self.ids.get(id)?).ok()?;
        self.slots.get_mut(slot)?.as_mut()
    }

    /// Whether `id` is held.
    pub(crate) fn contains_key(&self, id: &i64) -> bool {
        self.ids.contains_key(id)
    }

    /// Holds `record` as `id` (replacing one with that id); false when the slots are full
    /// (`u32::MAX` records), and nothing is held then.
    pub(crate) fn insert(&mut self, id: i64, record: T) -> bool {
        if let Some(held) = self.get_mut(&id) {
            *held = record;
            return true;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let Ok(slot) = u32::try_from(self.slots.len()) else {
                    return false;
                };
                self.slots.push(None);
                slot
            }
        };
        if let Some(place) = usize::try_from(slot)
            .ok()
            .and_then(|s| self.slots.get_mut(s))
        {
            *place = Some(record);
        }
        self.ids.insert(id, slot);
        true
    }

    /// Takes the record `id` out.
    pub(crate) fn remove(&mut self, id: &i64) -> Option<T> {
        let slot = self.ids.remove(id)?;
        let record = self.slots.get_mut(usize::try_from(slot).ok()?)?.take();
        self.free.push(slot);
        record
    }

    /// Every record, in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.ids.values().filter_map(|slot| {
            let slot = usize::try_from(*slot).ok()?;
            self.slots.get(slot)?.as_ref()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any sequence of inserts and removes holds what a map would, in id order.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((any::<bool>(), 0i64..40, any::<u16>()), 0..200)) {
            let mut records = Records::default();
            let mut model = BTreeMap::new();
            for (add, id, value) in ops {
                if add {
                    prop_assert!(records.insert(id, value));
                    model.insert(id, value);
                } else {
                    prop_assert_eq!(records.remove(&id), model.remove(&id));
                }
                prop_assert_eq!(records.contains_key(&id), model.contains_key(&id));
                prop_assert_eq!(records.get(&id), model.get(&id));
            }
            let held: Vec<u16> = records.values().copied().collect();
            let want: Vec<u16> = model.values().copied().collect();
            prop_assert_eq!(held, want);
            prop_assert!(records.slots.len() <= model.len() + records.free.len());
        }
    }
}
