//! The shared-shingle counts of the candidate clusters of one report.

use std::cmp::Reverse;

/// How many postings one report visits at most when gathering candidates (the list it is
/// reading when the budget runs out is read to its end).
pub(super) const POSTINGS_BUDGET: usize = 1024;

/// Counts per cluster for one report: open addressing over a power-of-two table of a few
/// thousand slots, which stays in the first-level caches, where an array indexed by cluster
/// (4 bytes a cluster) made every count a cache miss at a million replies.
#[derive(Default)]
pub(super) struct Tally {
    /// `(cluster + 1, count)`; a zero key is an empty slot.
    slots: Vec<(u32, u32)>,
    /// The positions of the occupied slots, in the order they were filled.
    used: Vec<u32>,
}

impl Tally {
    /// The table's size when first used: room for the postings budget at half load.
    const INITIAL: usize = 4 * POSTINGS_BUDGET;

    /// Adds `by` to the count of `cluster`.
    #[inline(always)]
    pub(super) fn add(&mut self, cluster: u32, by: u32) {
        self.grow_for(1);
        let mask = self.slots.len() - 1;
        Self::bump(&mut self.slots, &mut self.used, mask, cluster, by);
    }

    /// Adds 1 to the count of each of `clusters` but `skip`, with room made once for all of
    /// them (the same counts as adding them one by one).
    pub(super) fn add_each(&mut self, clusters: &[u32], skip: u32) {
        self.grow_for(clusters.len() + 1);
        let mask = self.slots.len() - 1;
        let (slots, used) = (&mut self.slots[..], &mut self.used);
        for &cluster in clusters {
            if cluster != skip {
                Self::bump(slots, used, mask, cluster, 1);
            }
        }
    }

    /// Adds `by` to the count of `cluster` in `slots` (of `mask + 1` slots, with room for it),
    /// noting in `used` the slot a new cluster takes.
    #[inline(always)]
    fn bump(slots: &mut [(u32, u32)], used: &mut Vec<u32>, mask: usize, cluster: u32, by: u32) {
        let key = cluster.wrapping_add(1);
        let mut i = Self::home(key, mask);
        loop {
            let slot = &mut slots[i];
            if slot.0 == key {
                slot.1 = slot.1.saturating_add(by);
                return;
            }
            if slot.0 == 0 {
                *slot = (key, by);
                used.push(i as u32);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Grows the table until `more` new clusters fit at half load.
    #[inline]
    fn grow_for(&mut self, more: usize) {
        while (self.used.len() + more) * 2 > self.slots.len() {
            self.grow();
        }
    }

    #[inline]
    fn home(key: u32, mask: usize) -> usize {
        ((u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize) & mask
    }

    /// Doubles the table (or makes the first one), re-placing the counts.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(Self::INITIAL);
        let old: Vec<(u32, u32)> = self.used.iter().map(|&i| self.slots[i as usize]).collect();
        self.slots.clear();
        self.slots.resize(size, (0, 0));
        self.used.clear();
        for (key, count) in old {
            self.add(key - 1, count);
        }
    }

    /// The `keep` clusters of the highest counts (of equal counts, the lowest clusters) with
    /// their counts, best first, emptying the table. Most counts fall short of the `keep`-th best
    /// so far and cost one comparison.
    pub(super) fn drain_best(&mut self, keep: usize, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let rank = |&(cluster, count): &(u32, u32)| (Reverse(count), cluster);
        for &i in &self.used {
            let (key, count) = std::mem::take(&mut self.slots[i as usize]);
            let entry = (key - 1, count);
            if out.len() == keep {
                match out.last() {
                    Some(worst) if rank(&entry) < rank(worst) => {
                        out.pop();
                    }
                    _ => continue,
                }
            }
            let at = out.partition_point(|e| rank(e) < rank(&entry));
            out.insert(at, entry);
        }
        self.used.clear();
    }

    /// Empties the table.
    pub(super) fn clear(&mut self) {
        for &i in &self.used {
            self.slots[i as usize] = (0, 0);
        }
        self.used.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Tally::add`, `Tally::add_each` and `Tally::drain_best` against counting in a map and
    /// sorting every count, on random counts with many ties.
    #[test]
    fn the_best_counts_are_those_a_full_sort_ranks_first() {
        let mut rng = crate::testing::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n) as u32;
        let mut tally = Tally::default();
        let mut out = Vec::new();
        for round in 0..200 {
            let clusters = 1 + next(3000);
            let adds = next(5000);
            let mut counts = std::collections::BTreeMap::new();
            for _ in 0..adds {
                let (cluster, by) = (next(u64::from(clusters)), 1 + next(3));
                tally.add(cluster, by);
                *counts.entry(cluster).or_insert(0u32) += by;
            }
            // Lists added at once, one cluster of them skipped (a left-out reply's).
            let skip = next(u64::from(clusters));
            for _ in 0..next(20) {
                let list: Vec<u32> = (0..next(1500)).map(|_| next(u64::from(clusters))).collect();
                tally.add_each(&list, skip);
                for &cluster in list.iter().filter(|&&c| c != skip) {
                    *counts.entry(cluster).or_insert(0u32) += 1;
                }
            }
            let mut all: Vec<(u32, u32)> = counts.into_iter().collect();
            all.sort_by_key(|&(c, n)| (Reverse(n), c));
            let keep = [1, 2, 8, 50, 10_000][round % 5];
            tally.drain_best(keep, &mut out);
            all.truncate(keep);
            assert_eq!(out, all, "round {round}, keep {keep}");
            assert!(tally.used.is_empty() && tally.slots.iter().all(|&s| s == (0, 0)));
        }
    }
}
