//! Sorted lookups by 64-bit hash: the prefix directory in front of an array sorted by hash, and
//! [`KeyMap`], the map from hashes (of reply ids, of clusters' token sequences) to numbers that an
//! index keeps for its replies and clusters.
//!
//! A frozen `KeyMap` is two arrays sorted by key behind a directory of key prefixes: 12 bytes an
//! entry, and about one more for the directory, where a hash map at its usual load takes about
//! 31 (16-byte slots, a control byte, and room to grow). At a million replies that is 18 MB less
//! for the ids alone, and a load that sorts one array instead of inserting a million entries.
//! Entries added after a freeze go to a small hash map until they outnumber the sorted ones:
//! a plain hash map while no clone shares it (a build), a persistent map once one does (a
//! snapshot alive in a service), so that a clone stays two pointers and an insert after it
//! copies a few nodes.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::SharedMap;

/// The first position of each prefix of the keys in an array sorted by key: the range of
/// positions where a key can be is two reads away, and about four keys share a prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Directory {
    /// `starts[p]` is the first position whose key's prefix is `>= p`; `2^bits + 1` entries.
    starts: Vec<u32>,
    bits: u32,
}

impl Directory {
    /// The directory of `keys`, which must be sorted.
    pub(crate) fn of_sorted(keys: &[u64]) -> Directory {
        Directory::of_sorted_by(keys.len(), |i| keys[i])
    }

    /// The directory of the `n` keys `key(0)`, `key(1)`, ..., which must be in increasing order.
    pub(crate) fn of_sorted_by(n: usize, key: impl Fn(usize) -> u64) -> Directory {
        debug_assert!((1..n).all(|i| key(i - 1) <= key(i)));
        let bits = (usize::BITS - (n / 4).leading_zeros()).min(32);
        let entries = 1usize << bits;
        let mut starts = Vec::with_capacity(entries + 1);
        let mut at = 0usize;
        for p in 0..entries {
            while at < n && prefix(key(at), bits) < p {
                at += 1;
            }
            starts.push(at as u32);
        }
        starts.push(n as u32);
        Directory { starts, bits }
    }

    /// The positions where `key` can be.
    #[inline]
    pub(crate) fn range(&self, key: u64) -> std::ops::Range<usize> {
        if self.starts.is_empty() {
            return 0..0;
        }
        let p = prefix(key, self.bits);
        self.starts[p] as usize..self.starts[p + 1] as usize
    }
}

fn prefix(key: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (64 - bits)) as usize
    }
}

/// A map from 64-bit keys to `u32` values that keeps the first value inserted for a key (see
/// the module docs). The sorted entries are shared by clones; the entries added since the last
/// freeze sit in a persistent map that clones share too, so that a clone costs two pointers and
/// an insert after it copies a few of the map's nodes, not the map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyMap {
    sorted: Arc<Sorted>,
    /// Entries added since the last freeze.
    recent: Recent,
}

/// The entries of a [`KeyMap`] added since its last freeze.
#[derive(Clone, Debug)]
enum Recent {
    /// In a plain hash map, while no clone shares it (inserts in place, without the persistent
    /// map's hashing into a tree of nodes).
    Owned(Arc<FxHashMap<u64, u32>>),
    /// In a persistent map, once a clone shared the entries when one was inserted.
    Shared(SharedMap<u64, u32>),
}

impl Default for Recent {
    fn default() -> Recent {
        Recent::Owned(Arc::default())
    }
}

impl PartialEq for Recent {
    fn eq(&self, other: &Recent) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Recent {}

impl Recent {
    fn len(&self) -> usize {
        match self {
            Recent::Owned(map) => map.len(),
            Recent::Shared(map) => map.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, key: u64) -> Option<u32> {
        match self {
            Recent::Owned(map) => map.get(&key).copied(),
            Recent::Shared(map) => map.get(&key).copied(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (u64, u32)> + '_> {
        match self {
            Recent::Owned(map) => Box::new(map.iter().map(|(&k, &v)| (k, v))),
            Recent::Shared(map) => Box::new(map.iter().map(|(&k, &v)| (k, v))),
        }
    }

    /// Inserts in place while no clone shares the plain map; otherwise moves the entries into
    /// a persistent map first (once: later clones share that).
    fn insert(&mut self, key: u64, value: u32) {
        if let Recent::Owned(map) = self {
            match Arc::get_mut(map) {
                Some(map) => {
                    map.insert(key, value);
                    return;
                }
                None => *self = Recent::Shared(map.iter().map(|(&k, &v)| (k, v)).collect()),
            }
        }
        if let Recent::Shared(map) = self {
            map.insert(key, value);
        }
    }
}

/// The entries of a [`KeyMap`] as of its last freeze: keys and values in increasing order of
/// key, behind a directory of key prefixes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Sorted {
    keys: Vec<u64>,
    values: Vec<u32>,
    directory: Directory,
}

impl KeyMap {
    /// A frozen map of `pairs`; where a key comes more than once, the smallest value is kept.
    /// Also says whether any key came more than once.
    pub(crate) fn from_pairs(mut pairs: Vec<(u64, u32)>) -> (KeyMap, bool) {
        pairs.sort_unstable();
        let before = pairs.len();
        pairs.dedup_by_key(|p| p.0);
        let repeated = pairs.len() != before;
        let (keys, values): (Vec<u64>, Vec<u32>) = pairs.into_iter().unzip();
        let directory = Directory::of_sorted(&keys);
        let map = KeyMap {
            sorted: Arc::new(Sorted {
                keys,
                values,
                directory,
            }),
            recent: Recent::default(),
        };
        (map, repeated)
    }

    /// The value of `key`, if any.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        let sorted = &*self.sorted;
        let range = sorted.directory.range(key);
        let start = range.start;
        if let Some(i) = sorted.keys[range].iter().position(|&k| k == key) {
            return Some(sorted.values[start + i]);
        }
        if self.recent.is_empty() {
            return None;
        }
        self.recent.get(key)
    }

    /// Inserts `key` with `value` unless the key is already there (the first value stays).
    pub(crate) fn insert_first(&mut self, key: u64, value: u32) {
        if self.get(key).is_some() {
            return;
        }
        self.recent.insert(key, value);
    }

    /// Sorts every entry behind the directory.
    pub(crate) fn freeze(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let sorted = &*self.sorted;
        let pairs: Vec<(u64, u32)> = sorted
            .keys
            .iter()
            .copied()
            .zip(sorted.values.iter().copied())
            .chain(self.recent.iter())
            .collect();
        // Keys are distinct: insert_first keeps them so.
        *self = KeyMap::from_pairs(pairs).0;
    }

    /// Freezes once the entries added since the last freeze outnumber the sorted ones, so that
    /// adding entries a few at a time costs a sort now and then, not every time.
    pub(crate) fn settle(&mut self) {
        if self.recent.len() > self.sorted.keys.len() {
            self.freeze();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    #[test]
    fn directory_ranges_hold_their_keys() {
        for n in [0usize, 1, 3, 4, 100, 10_000] {
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            keys.sort_unstable();
            let directory = Directory::of_sorted(&keys);
            for (i, &k) in keys.iter().enumerate() {
                assert!(directory.range(k).contains(&i), "n={n} i={i}");
            }
            assert!(directory.range(u64::MAX).end <= n);
        }
    }

    #[test]
    fn lookups_agree_with_a_hash_map_through_inserts_and_freezes() {
        let mut map = KeyMap::default();
        let mut want: FxHashMap<u64, u32> = FxHashMap::default();
        for i in 0..5_000u64 {
            // Keys spread over the whole range, every third one repeated.
            let key = (i - i % 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            map.insert_first(key, i as u32);
            want.entry(key).or_insert(i as u32);
            if i % 97 == 0 {
                map.settle();
            }
            if i % 1_001 == 0 {
                map.freeze();
            }
        }
        for i in 0..6_000u64 {
            let key = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            assert_eq!(map.get(key), want.get(&key).copied(), "i={i}");
        }
        let mut frozen = map.clone();
        frozen.freeze();
        assert!(frozen.recent.is_empty());
        for (&k, &v) in &want {
            assert_eq!(frozen.get(k), Some(v));
        }
        let (from_pairs, repeated) =
            KeyMap::from_pairs(want.iter().map(|(&k, &v)| (k, v)).collect());
        assert!(!repeated);
        assert_eq!(from_pairs, frozen);
        let (_, repeated) = KeyMap::from_pairs(vec![(5, 1), (5, 0), (6, 2)]);
        assert!(repeated);
        assert_eq!(KeyMap::from_pairs(vec![(5, 1), (5, 0)]).0.get(5), Some(0));
    }

    /// A clone taken between inserts keeps the entries it had, whether the map inserts in
    /// place (no clone) or through the persistent map (a clone alive); and the two kinds of
    /// pending map compare by their entries.
    #[test]
    fn clones_keep_their_entries_across_inserts() {
        let mut map = KeyMap::default();
        let mut snapshots = Vec::new();
        for i in 0..2_000u64 {
            let key = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            map.insert_first(key, i as u32);
            if i % 300 == 0 {
                snapshots.push((i, map.clone()));
            }
        }
        assert!(matches!(map.recent, Recent::Shared(_)));
        for (last, snapshot) in &snapshots {
            for i in 0..2_000u64 {
                let key = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let want = (i <= *last).then_some(i as u32);
                assert_eq!(snapshot.get(key), want, "snapshot at {last}, key {i}");
            }
        }
        let mut owned = KeyMap::default();
        for i in 0..2_000u64 {
            owned.insert_first(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i as u32);
        }
        assert!(matches!(owned.recent, Recent::Owned(_)));
        assert_eq!(owned, map);
    }
}
