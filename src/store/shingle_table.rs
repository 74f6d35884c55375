//! The shingle table of an index: one record per distinct shingle hash, its capped posting list,
//! and the lookup from hash to record.
//!
//! A build or a merge counts all its shingles at once ([`ShingleTable::of_clusters`]): the pairs
//! of shingle and cluster are sorted, and each record and list is read off its run of pairs.
//! Inserts after that count one reply at a time: the table looks shingles up in a hash map and
//! keeps each new posting list in its own vector. [`ShingleTable::freeze`] (run at the end of a
//! build, a merge or a load, and now and then between inserts) turns it into flat arrays: the
//! records sorted by hash with a directory of hash prefixes in front of them, and the posting
//! lists concatenated. A frozen table loads without hashing or allocating
//! per record (loading a million-reply index spent 1.4 s of 1.8 s rebuilding the hash map and
//! the list vectors), takes no hash-map memory, and stays open to inserts: records added later
//! go to a small hash map and lists appended later are copied out of the flat array first.
//!
//! A shingle found in a single cluster (most of them) has its whole record packed beside its
//! hash: 16 bytes a shingle, where a hash and a full record took 24 (see [`Entry`]).

use rustc_hash::FxHashMap;

use super::keymap::Directory;
use crate::error::Error;
use crate::wire::{check, corrupt, same_len, Reader, Writer};

/// "No posting list yet".
pub(crate) const NONE: u32 = u32::MAX;

/// What the index knows of one shingle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShingleStat {
    /// Replies containing the shingle.
    pub(in crate::store) replies: u32,
    /// Clusters containing the shingle.
    pub(in crate::store) clusters: u32,
    /// Stock-corpus clusters containing the shingle.
    pub(in crate::store) stock: u32,
    /// The first cluster containing it, and the number of the list of the others (`NONE` while
    /// there are none).
    pub(in crate::store) first_cluster: u32,
    pub(in crate::store) more: u32,
}

impl ShingleStat {
    /// Replies containing the shingle.
    #[inline]
    pub(crate) fn replies(&self) -> u32 {
        self.replies
    }

    /// Clusters containing the shingle.
    #[inline]
    pub(crate) fn clusters(&self) -> u32 {
        self.clusters
    }

    /// Stock-corpus clusters containing the shingle.
    #[inline]
    pub(crate) fn stock(&self) -> u32 {
        self.stock
    }

    /// The first cluster containing the shingle.
    #[inline]
    pub(crate) fn first_cluster(&self) -> u32 {
        self.first_cluster
    }

    /// The record with one reply left out, and its cluster too when the reply was `alone` in
    /// it (a leave-one-out report's view).
    #[inline]
    pub(crate) fn less_one(mut self, alone: bool) -> ShingleStat {
        self.replies -= 1;
        if alone {
            self.clusters -= 1;
        }
        self
    }
}

/// A shingle's record as the table stores it: a [`ShingleStat`] without the stock count, which
/// few shingles have (those of the built-in stock corpus) and which sits in a map of its own.
/// Most records pack further, into 8 bytes (see [`Entry`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    replies: u32,
    clusters: u32,
    first_cluster: u32,
    more: u32,
}

impl Record {
    fn with_stock(self, stock: u32) -> ShingleStat {
        ShingleStat {
            replies: self.replies,
            clusters: self.clusters,
            stock,
            first_cluster: self.first_cluster,
            more: self.more,
        }
    }
}

impl From<ShingleStat> for Record {
    fn from(s: ShingleStat) -> Record {
        Record {
            replies: s.replies,
            clusters: s.clusters,
            first_cluster: s.first_cluster,
            more: s.more,
        }
    }
}

/// One shingle of the table: its hash and its record, packed into one word.
///
/// Most shingles are in a single cluster and have no posting list (86% of the 5.5 million at a
/// million replies), so their record is two numbers: the reply count in the low half of the
/// word and the cluster in the high half. The others' records sit in a column of their own
/// (`ShingleTable::multi`), and the word holds their number there with the top bit set. A
/// shingle takes 16 bytes where it took 24 (an 8-byte hash and a 16-byte record), and its hash
/// and record share a cache line, so a lookup reads memory once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    hash: u64,
    packed: u64,
}

/// The top bit of a packed word: the record is in `ShingleTable::multi`.
const IN_MULTI: u64 = 1 << 63;

impl Record {
    /// The record packed into a word by itself, when it has one cluster, no posting list, and a
    /// cluster number below 2^31 (so that the top bit is free).
    fn packed_alone(&self) -> Option<u64> {
        (self.clusters == 1 && self.more == NONE && u64::from(self.first_cluster) < IN_MULTI >> 32)
            .then(|| u64::from(self.first_cluster) << 32 | u64::from(self.replies))
    }
}

/// Shingle records with their lookup and posting lists.
///
/// Two tables are equal when they hold the same records, stock counts and posting lists, however
/// their records are laid out.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShingleTable {
    /// Each shingle's hash and packed record; the first `sorted` in increasing order of hash.
    entries: Vec<Entry>,
    /// The records that do not pack into a word (see [`Entry`]).
    multi: Vec<Record>,
    /// The stock-corpus cluster count of the shingles that have one, by hash.
    stock: FxHashMap<u64, u32>,
    /// How many records (from the start) are sorted by hash and found through `directory`.
    sorted: usize,
    /// Where each hash prefix starts among the sorted records.
    directory: Directory,
    /// Records added after the last freeze, by hash.
    recent: FxHashMap<u64, u32>,
    postings: Postings,
}

/// Posting lists: the first `offsets.len() - 1` flat, the later ones (and any flat one appended
/// to since) in vectors of their own.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Postings {
    offsets: Vec<u32>,
    flat: Vec<u32>,
    /// Lists numbered from `offsets.len() - 1` on.
    tail: Vec<Vec<u32>>,
    /// Flat lists appended to since the freeze, copied out.
    patched: FxHashMap<u32, Vec<u32>>,
}

impl Default for Postings {
    fn default() -> Self {
        Postings {
            offsets: vec![0],
            flat: Vec::new(),
            tail: Vec::new(),
            patched: FxHashMap::default(),
        }
    }
}

impl Postings {
    fn frozen(&self) -> usize {
        self.offsets.len() - 1
    }

    fn len(&self) -> usize {
        self.frozen() + self.tail.len()
    }

    fn get(&self, list: u32) -> &[u32] {
        let l = list as usize;
        if l >= self.frozen() {
            return &self.tail[l - self.frozen()];
        }
        if let Some(patched) = self.patched.get(&list) {
            return patched;
        }
        &self.flat[self.offsets[l] as usize..self.offsets[l + 1] as usize]
    }

    /// Starts a new, empty list and returns its number.
    fn open(&mut self) -> u32 {
        self.tail.push(Vec::new());
        (self.len() - 1) as u32
    }

    fn push(&mut self, list: u32, cluster: u32) {
        let l = list as usize;
        let frozen = self.frozen();
        if l >= frozen {
            self.tail[l - frozen].push(cluster);
            return;
        }
        let (offsets, flat) = (&self.offsets, &self.flat);
        self.patched
            .entry(list)
            .or_insert_with(|| flat[offsets[l] as usize..offsets[l + 1] as usize].to_vec())
            .push(cluster);
    }

    fn freeze(&mut self) {
        if self.tail.is_empty() && self.patched.is_empty() {
            return;
        }
        let total: usize = (0..self.len() as u32).map(|l| self.get(l).len()).sum();
        let mut flat = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(self.len() + 1);
        offsets.push(0);
        for l in 0..self.len() as u32 {
            flat.extend_from_slice(self.get(l));
            offsets.push(flat.len() as u32);
        }
        *self = Postings {
            offsets,
            flat,
            tail: Vec::new(),
            patched: FxHashMap::default(),
        };
    }
}

impl PartialEq for ShingleTable {
    fn eq(&self, other: &Self) -> bool {
        let (mine, theirs) = (self.hash_order(), other.hash_order());
        self.len() == other.len()
            && self.stock == other.stock
            && self.lists().eq(other.lists())
            && (0..self.len()).all(|k| self.in_order(&mine, k) == other.in_order(&theirs, k))
    }
}

impl Eq for ShingleTable {}

impl ShingleTable {
    /// The number of distinct shingles.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The record of a hash, if the table has it (one at a time: the tests' oracle for
    /// [`get_many`](Self::get_many)).
    #[cfg(test)]
    pub(crate) fn get(&self, hash: u64) -> Option<ShingleStat> {
        self.position(hash)
            .map(|i| self.record(i).with_stock(self.stock_of(hash)))
    }

    /// The records of many hashes, in their order, replacing the contents of `out`: the same
    /// as [`get`](Self::get) on each, in passes over all of them (where each hash's prefix
    /// starts, then where its record is, then the record), so that the cache misses of
    /// different hashes overlap instead of waiting one for another.
    pub(crate) fn get_many(&self, hashes: &[u64], out: &mut Vec<Option<ShingleStat>>) {
        out.clear();
        let mut at: Vec<usize> = if self.sorted > 0 {
            let ranges: Vec<std::ops::Range<usize>> =
                hashes.iter().map(|&h| self.directory.range(h)).collect();
            hashes
                .iter()
                .zip(ranges)
                .map(|(&h, range)| {
                    let from = range.start;
                    self.entries[range]
                        .iter()
                        .position(|e| e.hash == h)
                        .map_or(usize::MAX, |i| from + i)
                })
                .collect()
        } else {
            vec![usize::MAX; hashes.len()]
        };
        if !self.recent.is_empty() {
            for (i, &h) in at.iter_mut().zip(hashes) {
                if *i == usize::MAX {
                    *i = self.recent.get(&h).map_or(usize::MAX, |&r| r as usize);
                }
            }
        }
        out.extend(at.iter().zip(hashes).map(|(&i, &h)| {
            (i != usize::MAX).then(|| self.record(i).with_stock(self.stock_of(h)))
        }));
    }

    /// The record of the `i`-th entry.
    #[inline]
    fn record(&self, i: usize) -> Record {
        self.unpack(self.entries[i].packed)
    }

    #[inline]
    fn unpack(&self, packed: u64) -> Record {
        if packed & IN_MULTI != 0 {
            self.multi[(packed & u64::from(u32::MAX)) as usize]
        } else {
            Record {
                replies: packed as u32,
                clusters: 1,
                first_cluster: (packed >> 32) as u32,
                more: NONE,
            }
        }
    }

    /// The packed word of `record`: the record itself, or where it is put in `multi`.
    fn pack(&mut self, record: Record) -> u64 {
        record.packed_alone().unwrap_or_else(|| {
            self.multi.push(record);
            IN_MULTI | (self.multi.len() - 1) as u64
        })
    }

    /// The stock-corpus cluster count of a shingle (0 for one the table does not have).
    pub(crate) fn stock_of(&self, hash: u64) -> u32 {
        if self.stock.is_empty() {
            0
        } else {
            self.stock.get(&hash).copied().unwrap_or(0)
        }
    }

    fn position(&self, hash: u64) -> Option<usize> {
        if self.sorted > 0 {
            let range = self.directory.range(hash);
            let from = range.start;
            if let Some(i) = self.entries[range].iter().position(|e| e.hash == hash) {
                return Some(from + i);
            }
        }
        if self.recent.is_empty() {
            return None;
        }
        self.recent.get(&hash).map(|&i| i as usize)
    }

    /// The clusters listed for a shingle: the first, then the capped list of the others.
    #[inline]
    pub(crate) fn postings_of<'s>(&'s self, stat: &ShingleStat) -> impl Iterator<Item = u32> + 's {
        std::iter::once(stat.first_cluster).chain(self.more_postings(stat).iter().copied())
    }

    /// The capped list of the clusters after the first listed for a shingle (empty when it has
    /// none).
    #[inline]
    pub(crate) fn more_postings(&self, stat: &ShingleStat) -> &[u32] {
        if stat.more == NONE {
            &[]
        } else {
            self.postings.get(stat.more)
        }
    }

    /// Counts one reply (of `cluster`) containing the shingle `hash`, listing the cluster while
    /// the shingle's list is below `max_postings` clusters.
    pub(crate) fn count(
        &mut self,
        hash: u64,
        cluster: u32,
        new_cluster: bool,
        stock: bool,
        max_postings: usize,
    ) {
        let at = self.position(hash);
        let mut stat = match at {
            Some(at) => self.record(at),
            None => Record {
                first_cluster: cluster,
                more: NONE,
                ..Record::default()
            },
        };
        stat.replies += 1;
        if new_cluster {
            stat.clusters += 1;
            if stock {
                *self.stock.entry(hash).or_default() += 1;
            }
            if stat.clusters > 1 && (stat.clusters as usize) <= max_postings {
                if stat.more == NONE {
                    stat.more = self.postings.open();
                }
                self.postings.push(stat.more, cluster);
            }
        }
        match at {
            // A record in `multi` stays there, updated in place; one that packed alone is
            // packed again (or moves to `multi`).
            Some(at) if self.entries[at].packed & IN_MULTI != 0 => {
                self.multi[(self.entries[at].packed & u64::from(u32::MAX)) as usize] = stat;
            }
            Some(at) => self.entries[at].packed = self.pack(stat),
            None => {
                let packed = self.pack(stat);
                self.recent.insert(hash, self.entries.len() as u32);
                self.entries.push(Entry { hash, packed });
            }
        }
    }

    /// Sorts the records by hash behind a directory of hash prefixes and flattens the posting
    /// lists (see the module docs). Lookups give the same answers before and after.
    pub(crate) fn freeze(&mut self) {
        self.postings.freeze();
        if self.sorted == self.entries.len() {
            return;
        }
        self.entries.sort_unstable_by_key(|e| e.hash);
        self.recent = FxHashMap::default();
        self.index_sorted();
    }

    /// Freezes the table once the records added since the last freeze outnumber the sorted
    /// ones, so that adding replies a few at a time costs a sort now and then (all of them
    /// together at most about two sorts of the final table), not every time.
    pub(crate) fn settle(&mut self) {
        if self.recent.len() > self.sorted || self.postings.patched.len() > self.postings.frozen() {
            self.freeze();
        }
    }

    /// Builds the directory over records already sorted by hash.
    fn index_sorted(&mut self) {
        let entries = &self.entries;
        self.directory = Directory::of_sorted_by(entries.len(), |i| entries[i].hash);
        self.sorted = entries.len();
    }

    /// The records in increasing order of hash, with their hashes (the order they are saved in,
    /// so that equal tables save equal bytes however they were built).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (u64, ShingleStat)> + '_ {
        let order = self.hash_order();
        (0..self.entries.len()).map(move |k| {
            let (hash, record) = self.in_order(&order, k);
            (hash, record.with_stock(self.stock_of(hash)))
        })
    }

    /// The order of the records by hash: empty when they are all sorted already (frozen).
    pub(crate) fn hash_order(&self) -> Vec<u32> {
        if self.sorted == self.entries.len() {
            return Vec::new();
        }
        let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.entries[i as usize].hash);
        order
    }

    /// The `k`-th record in `order` (from [`hash_order`](Self::hash_order)) and its hash, without
    /// its stock count: a saved table is written a column at a time, without a copy of it.
    pub(crate) fn in_order(&self, order: &[u32], k: usize) -> (u64, Record) {
        let i = order.get(k).map_or(k, |&i| i as usize);
        (self.entries[i].hash, self.record(i))
    }

    /// The posting lists, by number.
    pub(crate) fn lists(&self) -> impl ExactSizeIterator<Item = &[u32]> + '_ {
        (0..self.postings.len() as u32).map(|l| self.postings.get(l))
    }

    /// The frozen table of `n` clusters counted all at once: the same table as counting their
    /// replies one at a time with [`count`](Self::count), clusters in order.
    ///
    /// `shingles_of(c, out)` gives the distinct shingles of cluster `c`, `replies(c)` its reply
    /// count and `stock(c)` whether a stock reply made it. Counting one reply at a time probes a
    /// hash map of millions of shingles for each shingle of each new cluster, a cache miss or two
    /// each (28% of a build at a million replies); here the pairs of shingle and cluster are
    /// sorted instead, and each shingle's record and list are read off its run of pairs. The
    /// lists are numbered as counting would open them: by the cluster that made the shingle's
    /// second, then by hash.
    pub(crate) fn of_clusters(
        n: usize,
        mut shingles_of: impl FnMut(u32, &mut Vec<u64>),
        replies: impl Fn(u32) -> u32,
        stock: impl Fn(u32) -> bool,
        max_postings: usize,
    ) -> ShingleTable {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut hashes = Vec::new();
        for c in 0..n as u32 {
            hashes.clear();
            shingles_of(c, &mut hashes);
            pairs.extend(hashes.iter().map(|&h| (h, c)));
        }
        // Pairs come in order of cluster: a stable sort by hash leaves each run in that order.
        pairs.sort_by_key(|&(h, _)| h);
        let mut records: Vec<(u64, Record)> = Vec::new();
        let mut stock_counts = FxHashMap::default();
        // The shingles with a list: (second cluster, record, where its listed clusters are).
        let mut listed: Vec<(u32, u32, std::ops::Range<usize>)> = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            let hash = pairs[i].0;
            let mut j = i;
            let (mut count, mut in_stock) = (0u32, 0u32);
            while j < pairs.len() && pairs[j].0 == hash {
                count += replies(pairs[j].1);
                in_stock += u32::from(stock(pairs[j].1));
                j += 1;
            }
            let clusters = j - i;
            // Counting lists the second to the `max_postings`-th cluster.
            let list = i + 1..j.min(i + max_postings);
            if !list.is_empty() {
                listed.push((pairs[i + 1].1, records.len() as u32, list));
            }
            if in_stock > 0 {
                stock_counts.insert(hash, in_stock);
            }
            records.push((
                hash,
                Record {
                    replies: count,
                    clusters: clusters as u32,
                    first_cluster: pairs[i].1,
                    more: NONE,
                },
            ));
            i = j;
        }
        listed.sort_unstable_by_key(|&(second, record, _)| (second, record));
        let mut list_lens = Vec::with_capacity(listed.len());
        let mut flat = Vec::with_capacity(listed.iter().map(|l| l.2.len()).sum());
        for (number, (_, record, range)) in listed.into_iter().enumerate() {
            records[record as usize].1.more = number as u32;
            list_lens.push(range.len() as u32);
            flat.extend(pairs[range].iter().map(|&(_, c)| c));
        }
        drop(pairs);
        ShingleTable::from_parts(records.into_iter(), stock_counts, &list_lens, flat, n)
            .expect("counted parts are consistent")
    }

    /// A frozen table from its parts as saved (the stock counts by hash, only those above 0).
    /// Checks that hashes are distinct, that every record's list exists and that lists name
    /// clusters below `clusters`; the message says what is wrong.
    /// Writes the table: its records in increasing order of hash (a frozen table's own
    /// order), a column each, then the posting lists.
    pub(crate) fn save<W: std::io::Write>(&self, w: &mut Writer<W>) {
        let order = self.hash_order();
        let column = || (0..self.len()).map(|k| self.in_order(&order, k));
        w.u64s(column().map(|s| s.0));
        w.u32s(column().map(|s| s.1.replies));
        w.u32s(column().map(|s| s.1.clusters));
        w.u32s(column().map(|s| self.stock_of(s.0)));
        w.u32s(column().map(|s| s.1.first_cluster));
        w.u32s(column().map(|s| s.1.more));
        w.u32s(self.lists().map(|p| p.len() as u32));
        let flat: Vec<u32> = self.lists().flatten().copied().collect();
        w.u32s(flat.into_iter());
    }

    /// Reads a table written by [`save`](Self::save) for an index of `clusters` clusters,
    /// checking each record and list. The columns are read in place from memory (a copy of
    /// them took 150 MB at a million replies).
    pub(crate) fn load(r: &mut Reader<'_>, clusters: usize) -> Result<ShingleTable, Error> {
        let hashes = r.column::<8>("the shingle hashes")?;
        let replies = r.column::<4>("the shingle reply counts")?;
        let clusters_of = r.column::<4>("the shingle cluster counts")?;
        let stock_of = r.column::<4>("the shingle stock counts")?;
        let first_cluster = r.column::<4>("the shingle first clusters")?;
        let more = r.column::<4>("the shingle posting lists")?;
        same_len(
            &[
                hashes.len(),
                replies.len(),
                clusters_of.len(),
                stock_of.len(),
                first_cluster.len(),
                more.len(),
            ],
            "shingle",
        )?;
        let list_lens = r.u32s("the posting list lengths")?;
        let flat = r.u32s("the postings")?;
        let counts = replies.iter().zip(clusters_of.iter()).zip(stock_of.iter());
        let mut stock = FxHashMap::default();
        for (hash, ((replies, clusters), stock_count)) in hashes.iter().zip(counts.clone()) {
            check(
                replies >= clusters && clusters >= stock_count && clusters >= 1,
                "a shingle's counts are inconsistent",
            )?;
            if stock_count > 0 {
                stock.insert(hash, stock_count);
            }
        }
        let records = hashes
            .iter()
            .zip(counts)
            .zip(first_cluster.iter().zip(more.iter()))
            .map(
                |((hash, ((replies, clusters), _)), (first_cluster, more))| {
                    let record = Record {
                        replies,
                        clusters,
                        first_cluster,
                        more,
                    };
                    (hash, record)
                },
            );
        ShingleTable::from_parts(records, stock, &list_lens, flat, clusters).map_err(corrupt)
    }

    fn from_parts(
        records: impl ExactSizeIterator<Item = (u64, Record)>,
        stock: FxHashMap<u64, u32>,
        list_lens: &[u32],
        flat: Vec<u32>,
        clusters: usize,
    ) -> Result<ShingleTable, &'static str> {
        let mut offsets = Vec::with_capacity(list_lens.len() + 1);
        offsets.push(0u32);
        let mut end = 0u64;
        for &len in list_lens {
            end += u64::from(len);
            if end > flat.len() as u64 {
                return Err("the posting lists run past the postings");
            }
            offsets.push(end as u32);
        }
        if end != flat.len() as u64 {
            return Err("the posting lists do not cover the postings");
        }
        if flat.iter().any(|&c| c as usize >= clusters) {
            return Err("a posting points to a missing cluster");
        }
        let mut table = ShingleTable {
            entries: Vec::with_capacity(records.len()),
            stock,
            postings: Postings {
                offsets,
                flat,
                tail: Vec::new(),
                patched: FxHashMap::default(),
            },
            ..ShingleTable::default()
        };
        for (hash, s) in records {
            if s.first_cluster as usize >= clusters {
                return Err("a shingle points to a missing cluster");
            }
            if s.more != NONE && s.more as usize >= list_lens.len() {
                return Err("a shingle points to a missing posting list");
            }
            let packed = table.pack(s);
            table.entries.push(Entry { hash, packed });
        }
        if table.entries.windows(2).all(|w| w[0].hash < w[1].hash) {
            table.index_sorted();
        } else {
            // Saved in another order: sort, then a hash listed twice sits beside its twin.
            table.freeze();
            if table.entries.windows(2).any(|w| w[0].hash == w[1].hash) {
                return Err("a shingle is listed twice");
            }
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(n: u64, freeze_every: Option<u64>) -> ShingleTable {
        let mut t = ShingleTable::default();
        for i in 0..n {
            // Hashes spread over the whole range, some repeated.
            let h = (i % (n / 2 + 1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            t.count(h, (i % 97) as u32, i % 3 == 0, i % 5 == 0, 4);
            if freeze_every.is_some_and(|k| i % k == k - 1) {
                t.freeze();
            }
        }
        t
    }

    #[test]
    fn counting_all_at_once_equals_counting_reply_by_reply() {
        // Replies join clusters in a random order (new clusters in order of number), over a
        // small vocabulary so that clusters share shingles; the first clusters are stock.
        let mut rng = crate::testing::XorShift(0x2545_F491_4F6C_DD1D);
        let mut next = |m: u64| rng.below(m);
        for max_postings in [0, 1, 2, 3, 1_000] {
            let mut cluster_keys: Vec<Vec<u32>> = Vec::new();
            let mut reply_cluster: Vec<u32> = Vec::new();
            for _ in 0..600 {
                if cluster_keys.is_empty() || next(3) == 0 {
                    let len = next(9) as usize;
                    cluster_keys.push((0..len).map(|_| next(6) as u32).collect());
                    reply_cluster.push(cluster_keys.len() as u32 - 1);
                } else {
                    reply_cluster.push(next(cluster_keys.len() as u64) as u32);
                }
            }
            let n = cluster_keys.len();
            let stock = |c: u32| c < 10;
            let shingles_of = |c: u32, out: &mut Vec<u64>| {
                crate::text::shingles::distinct_shingles_of_keys(&cluster_keys[c as usize], 3, out)
            };
            let mut one_by_one = ShingleTable::default();
            let mut seen = vec![false; n];
            let mut hashes = Vec::new();
            for &c in &reply_cluster {
                hashes.clear();
                shingles_of(c, &mut hashes);
                let new_cluster = !std::mem::replace(&mut seen[c as usize], true);
                for &h in &hashes {
                    one_by_one.count(h, c, new_cluster, stock(c), max_postings);
                }
            }
            one_by_one.freeze();
            let replies = |c: u32| reply_cluster.iter().filter(|&&r| r == c).count() as u32;
            let at_once = ShingleTable::of_clusters(n, shingles_of, replies, stock, max_postings);
            assert!(one_by_one.len() > 20 && one_by_one.postings.len() > 0 || max_postings < 2);
            assert_eq!(at_once, one_by_one, "max_postings {max_postings}");
            // Equal lists under equal numbers, in the flat layout a save writes.
            assert!(at_once.lists().eq(one_by_one.lists()));
        }
    }

    #[test]
    fn lookups_agree_before_and_after_freezing_and_with_later_inserts() {
        for n in [0, 1, 2, 7, 100, 5_000] {
            let plain = filled(n, None);
            let mut frozen = plain.clone();
            frozen.freeze();
            let stepwise = filled(n, Some(37));
            let probes: Vec<u64> = (0..n + 10)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            for t in [&plain, &frozen, &stepwise] {
                let mut many = Vec::new();
                t.get_many(&probes, &mut many);
                let one_by_one: Vec<_> = probes.iter().map(|&h| t.get(h)).collect();
                assert_eq!(many, one_by_one, "n={n}");
            }
            for i in 0..n + 10 {
                let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let want = plain.get(h);
                assert_eq!(frozen.get(h), want, "n={n} h={h}");
                assert_eq!(stepwise.get(h), want, "n={n} h={h}");
                if let Some(s) = want {
                    let lists: Vec<Vec<u32>> = [&plain, &frozen, &stepwise]
                        .iter()
                        .map(|t| t.postings_of(&s).collect())
                        .collect();
                    assert_eq!(lists[0], lists[1]);
                    assert_eq!(lists[0], lists[2]);
                    assert!(lists[0].len() <= 1 + 4);
                }
            }
            assert!(frozen.recent.is_empty() && frozen.postings.tail.is_empty());
        }
    }

    #[test]
    fn every_shape_of_record_reads_back_as_it_was_given() {
        let big = 1u32 << 31;
        let records = [
            // Packs into its entry: one cluster, no list.
            Record {
                replies: 7,
                clusters: 1,
                first_cluster: 3,
                more: NONE,
            },
            Record {
                replies: u32::MAX,
                clusters: 1,
                first_cluster: big - 1,
                more: NONE,
            },
            // Goes to the column of records that do not pack.
            Record {
                replies: 9,
                clusters: 2,
                first_cluster: 3,
                more: 0,
            },
            Record {
                replies: 1,
                clusters: 1,
                first_cluster: big,
                more: NONE,
            },
            Record {
                replies: 1,
                clusters: 1,
                first_cluster: 3,
                more: 0,
            },
            Record {
                replies: 5,
                clusters: 5,
                first_cluster: u32::MAX - 1,
                more: NONE,
            },
        ];
        let parts = records
            .iter()
            .enumerate()
            .map(|(i, &r)| (i as u64 * 1_000_003, r));
        let t = ShingleTable::from_parts(parts, FxHashMap::default(), &[1], vec![3], usize::MAX)
            .unwrap();
        assert_eq!(t.multi.len(), 4);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(
                t.get(i as u64 * 1_000_003),
                Some(r.with_stock(0)),
                "record {i}"
            );
        }
        // Counting into a record that packed alone moves it out when it gains a cluster.
        let mut t = t;
        t.count(0, 4, true, false, 4);
        let r = t.get(0).unwrap();
        assert_eq!((r.replies, r.clusters, r.first_cluster), (8, 2, 3));
        assert_eq!(t.postings_of(&r).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(t.multi.len(), 5);
    }

    #[test]
    fn parts_round_trip_and_bad_parts_are_named() {
        let mut t = filled(1_000, None);
        t.freeze();
        let parts = |t: &ShingleTable| {
            let (hashes, stats): (Vec<u64>, Vec<Record>) =
                t.iter().map(|(h, s)| (h, Record::from(s))).unzip();
            let lens: Vec<u32> = t.lists().map(|l| l.len() as u32).collect();
            let flat: Vec<u32> = t.lists().flatten().copied().collect();
            (hashes, stats, lens, flat)
        };
        let (h, s, lens, flat) = parts(&t);
        let zip = |h: &[u64], s: &[Record]| {
            h.iter()
                .copied()
                .zip(s.iter().copied())
                .collect::<Vec<_>>()
                .into_iter()
        };
        let stock: FxHashMap<u64, u32> = t
            .iter()
            .filter(|(_, s)| s.stock > 0)
            .map(|(h, s)| (h, s.stock))
            .collect();
        assert!(!stock.is_empty());
        let back =
            ShingleTable::from_parts(zip(&h, &s), stock.clone(), &lens, flat.clone(), 97).unwrap();
        assert_eq!(back, t);
        // Unsorted parts (as an older writer may leave them) are sorted on load.
        let (mut h2, mut s2) = (h.clone(), s.clone());
        h2.reverse();
        s2.reverse();
        let back = ShingleTable::from_parts(zip(&h2, &s2), stock.clone(), &lens, flat.clone(), 97)
            .unwrap();
        assert_eq!(back, t);
        let mut dup = h.clone();
        dup[1] = dup[0];
        dup.swap(0, 5);
        assert_eq!(
            ShingleTable::from_parts(zip(&dup, &s), stock.clone(), &lens, flat.clone(), 97)
                .unwrap_err(),
            "a shingle is listed twice"
        );
        assert_eq!(
            ShingleTable::from_parts(zip(&h, &s), stock.clone(), &lens, flat.clone(), 50)
                .unwrap_err(),
            "a posting points to a missing cluster"
        );
        let mut short = lens.clone();
        short.pop();
        assert!(ShingleTable::from_parts(zip(&h, &s), stock, &short, flat, 97).is_err());
    }
}
