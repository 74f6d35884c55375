//! The word table: for each word key, how many replies use it, how many of them are stock
//! replies, and a 64-bucket mask of the groups that use it.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{SharedMap, fold_limit};

use crate::error::Error;
use crate::wire::{Reader, Writer, check, same_len};

/// What the index knows of one word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WordStat {
    /// Replies containing the word.
    pub(in crate::store) replies: u32,
    /// Stock-corpus replies containing the word.
    pub(in crate::store) stock: u32,
    /// One bit per group (by hash, 64 buckets) of the archive replies containing the word: an
    /// estimate of how many brands or agents use it. Replies without a group count as one group.
    pub(in crate::store) groups: u64,
}

impl WordStat {
    /// Replies containing the word.
    #[inline]
    pub(crate) fn replies(&self) -> u32 {
        self.replies
    }

    /// Stock-corpus replies containing the word.
    #[inline]
    pub(crate) fn stock(&self) -> u32 {
        self.stock
    }

    /// The record with one reply left out (a leave-one-out report's view).
    #[inline]
    pub(crate) fn less_one(mut self) -> WordStat {
        self.replies = self.replies.saturating_sub(1);
        self
    }

    /// The record with no archive group (the word of stock replies alone).
    #[inline]
    pub(crate) fn without_groups(mut self) -> WordStat {
        self.groups = 0;
        self
    }

    /// Estimated number of distinct archive groups using the word (linear counting over the
    /// 64-bucket mask).
    pub(crate) fn group_estimate(&self) -> f64 {
        group_estimate(self.groups)
    }
}

/// Estimated number of distinct groups behind a 64-bucket group mask (linear counting).
pub(crate) fn group_estimate(mask: u64) -> f64 {
    let set = mask.count_ones() as f64;
    if set >= 64.0 {
        return 64.0 * 64f64.ln();
    }
    -64.0 * (1.0 - set / 64.0).ln()
}

/// The words of an index: the counts as of the last fold, shared by clones, and the counts
/// that inserts changed since, in a persistent map that clones share too (a reader's snapshot
/// costs two pointers; at a million replies a copy of the table took about a millisecond).
#[derive(Clone, Debug, Default)]
pub(crate) struct Words {
    base: Arc<FxHashMap<u32, WordStat>>,
    /// The words counted since the last fold: their counts stand for those in `base`.
    recent: SharedMap<u32, WordStat>,
}

impl PartialEq for Words {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Eq for Words {}

impl Words {
    /// What the table knows of word `key` (all zero for an unseen word).
    pub(crate) fn get(&self, key: u32) -> WordStat {
        if !self.recent.is_empty() {
            if let Some(&stat) = self.recent.get(&key) {
                return stat;
            }
        }
        self.base.get(&key).copied().unwrap_or_default()
    }

    /// Counts one reply's distinct words (`words`, sorted and deduplicated).
    pub(crate) fn count(&mut self, words: &[u32], stock: bool, group_bit: u64) {
        // No clone shares the base and nothing waits in the recent map (a build, or inserts
        // with no snapshot alive): count in the base's own hash table, which the persistent map
        // would only copy into later.
        if self.recent.is_empty() {
            if let Some(base) = Arc::get_mut(&mut self.base) {
                for &w in words {
                    let stat = base.entry(w).or_default();
                    stat.replies += 1;
                    stat.stock += u32::from(stock);
                    stat.groups |= group_bit;
                }
                return;
            }
        }
        for &w in words {
            let mut stat = self.get(w);
            stat.replies += 1;
            stat.stock += u32::from(stock);
            stat.groups |= group_bit;
            self.recent.insert(w, stat);
        }
        // Folds the recent counts in once they reach an eighth of the base's words, so that
        // each word's count is copied about eight times over in all.
        if self.recent.len() > fold_limit(self.base.len()) {
            let base = Arc::make_mut(&mut self.base);
            base.extend(self.recent.iter().map(|(&k, &v)| (k, v)));
            self.recent = SharedMap::default();
        }
    }

    /// The words and their counts in increasing order of key.
    fn sorted(&self) -> Vec<(u32, WordStat)> {
        let mut words: Vec<(u32, WordStat)> = self
            .base
            .iter()
            .filter(|(k, _)| !self.recent.contains_key(*k))
            .map(|(&k, &v)| (k, v))
            .chain(self.recent.iter().map(|(&k, &v)| (k, v)))
            .collect();
        words.sort_unstable_by_key(|&(k, _)| k);
        words
    }

    /// Writes the table in increasing order of key: keys, then each column.
    pub(crate) fn save<W: std::io::Write>(&self, w: &mut Writer<W>) {
        let words = self.sorted();
        w.u32s(words.iter().map(|&(k, _)| k));
        w.u32s(words.iter().map(|(_, v)| v.replies));
        w.u32s(words.iter().map(|(_, v)| v.stock));
        w.u64s(words.iter().map(|(_, v)| v.groups));
    }

    /// Reads a table written by [`save`](Self::save), checking each word's counts.
    pub(crate) fn load(r: &mut Reader<'_>) -> Result<Words, Error> {
        let keys = r.u32s("the word keys")?;
        let counts = r.u32s("the word counts")?;
        let stock = r.u32s("the word stock counts")?;
        let groups = r.u64s("the word groups")?;
        same_len(
            &[keys.len(), counts.len(), stock.len(), groups.len()],
            "word",
        )?;
        let mut words = FxHashMap::default();
        words.reserve(keys.len());
        for (i, key) in keys.into_iter().enumerate() {
            check(stock[i] <= counts[i], "a word's counts are inconsistent")?;
            let stat = WordStat {
                replies: counts[i],
                stock: stock[i],
                groups: groups[i],
            };
            check(words.insert(key, stat).is_none(), "a word is listed twice")?;
        }
        Ok(Words {
            base: Arc::new(words),
            recent: SharedMap::default(),
        })
    }
}
