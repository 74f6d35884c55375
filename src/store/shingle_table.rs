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

use std::sync::Arc;

use super::keymap::Directory;
use super::{SharedMap, fold_limit};
use crate::error::Error;
use crate::wire::{Reader, Writer, check, corrupt, same_len};

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

/// Where each posting list starts in `flat` (and where the last ends), checking that the lists
/// cover the postings and that every posting is a cluster below `clusters`.
fn posting_offsets(
    list_lens: &[u32],
    flat: &[u32],
    clusters: usize,
) -> Result<Vec<u32>, &'static str> {
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
    Ok(offsets)
}

/// Reads a column of `n` 4-byte numbers (`n`, the shingles', or the file is corrupt) through
/// `f`, with each one's position.
fn column(
    r: &mut Reader<'_>,
    what: &'static str,
    n: usize,
    mut f: impl FnMut(usize, u32) -> Result<(), Error>,
) -> Result<(), Error> {
    r.reading(what);
    let len = r.len(4)?;
    same_len(&[n, len], "shingle")?;
    let mut i = 0;
    r.each::<4>(len, |raw| {
        f(i, u32::from_le_bytes(raw))?;
        i += 1;
        Ok(())
    })
}

/// Shingle records with their lookup and posting lists.
///
/// The table as of its last freeze (`frozen`) is shared by clones and never changed; the
/// records and lists that inserts add or change after it sit in persistent maps that clones
/// share too. A reader's snapshot therefore costs a few pointers, and an insert after it copies
/// a few small nodes of those maps, not the table (at a million replies the table is 88 MB of
/// records; copying it took 115 to 130 ms).
///
/// Two tables are equal when they hold the same records, stock counts and posting lists, however
/// their records are laid out.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShingleTable {
    frozen: Arc<Frozen>,
    /// The stock-corpus cluster count of the shingles that have one, by hash.
    stock: Arc<FxHashMap<u64, u32>>,
    /// The records added or changed since the last freeze, by hash: a changed record here
    /// stands for its frozen one.
    recent: SharedMap<u64, Record>,
    /// How many of `recent`'s records are of shingles the frozen table lacks.
    added: usize,
    /// The posting lists opened or appended to since the last freeze, by number.
    lists: SharedMap<u32, Arc<Vec<u32>>>,
    /// The number of posting lists (the frozen ones, then those opened since).
    list_count: u32,
}

/// The table as of a freeze: the records sorted by hash behind a directory of hash prefixes,
/// and the posting lists end to end.
#[derive(Clone, Debug)]
struct Frozen {
    /// Each shingle's hash and packed record, in increasing order of hash.
    entries: Vec<Entry>,
    /// The records that do not pack into a word (see [`Entry`]).
    multi: Vec<Record>,
    /// Where each hash prefix starts among the entries.
    directory: Directory,
    /// List `l` is `flat[offsets[l]..offsets[l + 1]]`.
    offsets: Vec<u32>,
    flat: Vec<u32>,
}

impl Default for Frozen {
    fn default() -> Self {
        Frozen {
            entries: Vec::new(),
            multi: Vec::new(),
            directory: Directory::default(),
            offsets: vec![0],
            flat: Vec::new(),
        }
    }
}

impl Frozen {
    /// The frozen table of `records` (`n` of them, in increasing order of hash) and of the lists
    /// ending at `offsets` in `flat`.
    fn new(
        records: impl Iterator<Item = (u64, Record)>,
        n: usize,
        offsets: Vec<u32>,
        flat: Vec<u32>,
    ) -> Frozen {
        let mut entries = Vec::with_capacity(n);
        let mut multi = Vec::new();
        for (hash, record) in records {
            let packed = pack(&mut multi, record);
            entries.push(Entry { hash, packed });
        }
        Frozen::of_entries(entries, multi, offsets, flat)
    }

    /// The frozen table of `entries` (in increasing order of hash), the records that do not
    /// pack, and the lists.
    fn of_entries(
        entries: Vec<Entry>,
        multi: Vec<Record>,
        offsets: Vec<u32>,
        flat: Vec<u32>,
    ) -> Frozen {
        debug_assert!(entries.windows(2).all(|w| w[0].hash < w[1].hash));
        let directory = Directory::of_sorted_by(entries.len(), |i| entries[i].hash);
        Frozen {
            entries,
            multi,
            directory,
            offsets,
            flat,
        }
    }

    /// Where the record of `hash` is, if the table has it.
    #[inline]
    fn position(&self, hash: u64) -> Option<usize> {
        let range = self.directory.range(hash);
        let from = range.start;
        self.entries[range]
            .iter()
            .position(|e| e.hash == hash)
            .map(|i| from + i)
    }

    /// The record of the `i`-th entry.
    #[inline]
    fn record(&self, i: usize) -> Record {
        let packed = self.entries[i].packed;
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

    /// The number of posting lists.
    fn lists(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Posting list `l`.
    fn list(&self, l: u32) -> &[u32] {
        let l = l as usize;
        &self.flat[self.offsets[l] as usize..self.offsets[l + 1] as usize]
    }
}

/// The packed word of `record`: the record itself, or where it is put in `multi`.
fn pack(multi: &mut Vec<Record>, record: Record) -> u64 {
    record.packed_alone().unwrap_or_else(|| {
        multi.push(record);
        IN_MULTI | (multi.len() - 1) as u64
    })
}

impl PartialEq for ShingleTable {
    fn eq(&self, other: &Self) -> bool {
        let (mine, theirs) = (self.frozen_copy(), other.frozen_copy());
        mine.len() == theirs.len()
            && mine.stock == theirs.stock
            && mine.lists().eq(theirs.lists())
            && (0..mine.len()).all(|i| {
                let (a, b) = (&mine.frozen, &theirs.frozen);
                a.entries[i].hash == b.entries[i].hash && a.record(i) == b.record(i)
            })
    }
}

impl Eq for ShingleTable {}

impl ShingleTable {
    /// The number of distinct shingles.
    pub(crate) fn len(&self) -> usize {
        self.frozen.entries.len() + self.added
    }

    /// The record of a hash, if the table has it (one at a time: the tests' oracle for
    /// [`get_many`](Self::get_many)).
    #[cfg(test)]
    pub(crate) fn get(&self, hash: u64) -> Option<ShingleStat> {
        self.lookup(hash)
            .map(|record| record.with_stock(self.stock_of(hash)))
    }

    /// The record of a hash, if the table has it, without its stock count.
    fn lookup(&self, hash: u64) -> Option<Record> {
        if !self.recent.is_empty() {
            if let Some(&record) = self.recent.get(&hash) {
                return Some(record);
            }
        }
        self.frozen.position(hash).map(|i| self.frozen.record(i))
    }

    /// The records of many hashes, in their order, replacing the contents of `out`: the same
    /// as [`get`](Self::get) on each, in passes over all of them (where each hash's prefix
    /// starts, then where its record is, then the record), so that the cache misses of
    /// different hashes overlap instead of waiting one for another.
    pub(crate) fn get_many(&self, hashes: &[u64], out: &mut Vec<Option<ShingleStat>>) {
        out.clear();
        let frozen = &*self.frozen;
        let ranges: Vec<std::ops::Range<usize>> =
            hashes.iter().map(|&h| frozen.directory.range(h)).collect();
        let at: Vec<usize> = hashes
            .iter()
            .zip(ranges)
            .map(|(&h, range)| {
                let from = range.start;
                frozen.entries[range]
                    .iter()
                    .position(|e| e.hash == h)
                    .map_or(usize::MAX, |i| from + i)
            })
            .collect();
        out.extend(at.iter().zip(hashes).map(|(&i, &h)| {
            let recent = if self.recent.is_empty() {
                None
            } else {
                self.recent.get(&h).copied()
            };
            recent
                .or_else(|| (i != usize::MAX).then(|| frozen.record(i)))
                .map(|record| record.with_stock(self.stock_of(h)))
        }));
    }

    /// The stock-corpus cluster count of a shingle (0 for one the table does not have).
    pub(crate) fn stock_of(&self, hash: u64) -> u32 {
        if self.stock.is_empty() {
            0
        } else {
            self.stock.get(&hash).copied().unwrap_or(0)
        }
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
            self.list(stat.more)
        }
    }

    /// Posting list `l`.
    fn list(&self, l: u32) -> &[u32] {
        if !self.lists.is_empty() {
            if let Some(list) = self.lists.get(&l) {
                return list;
            }
        }
        self.frozen.list(l)
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
        let known = self.lookup(hash);
        let mut stat = known.unwrap_or(Record {
            first_cluster: cluster,
            more: NONE,
            ..Record::default()
        });
        stat.replies += 1;
        if new_cluster {
            stat.clusters += 1;
            if stock {
                *Arc::make_mut(&mut self.stock).entry(hash).or_default() += 1;
            }
            if stat.clusters > 1 && (stat.clusters as usize) <= max_postings {
                if stat.more == NONE {
                    stat.more = self.list_count;
                    self.list_count += 1;
                    self.lists.insert(stat.more, Arc::default());
                }
                self.push_posting(stat.more, cluster);
            }
        }
        if known.is_none() {
            self.added += 1;
        }
        self.recent.insert(hash, stat);
    }

    /// Appends `cluster` to posting list `l`, copying a frozen list out first.
    fn push_posting(&mut self, l: u32, cluster: u32) {
        if let Some(list) = self.lists.get_mut(&l) {
            Arc::make_mut(list).push(cluster);
            return;
        }
        let mut list = self.frozen.list(l).to_vec();
        list.push(cluster);
        self.lists.insert(l, Arc::new(list));
    }

    /// Folds the records and lists added or changed since the last freeze into a new frozen
    /// table (records sorted by hash behind a directory of hash prefixes, the lists
    /// flattened). Lookups give the same answers before and after.
    pub(crate) fn freeze(&mut self) {
        if self.recent.is_empty() && self.lists.is_empty() {
            return;
        }
        let frozen = &*self.frozen;
        // The recent records split into changes of frozen ones and new ones, each by hash.
        let (mut changed, mut added): (Vec<_>, Vec<_>) = self
            .recent
            .iter()
            .map(|(&h, &r)| (h, r))
            .partition(|&(h, _)| frozen.position(h).is_some());
        changed.sort_unstable_by_key(|&(h, _)| h);
        added.sort_unstable_by_key(|&(h, _)| h);
        let mut changed = changed.into_iter().peekable();
        let mut old = frozen.entries.iter().enumerate().map(|(i, e)| {
            let record = match changed.next_if(|&(h, _)| h == e.hash) {
                Some((_, record)) => record,
                None => frozen.record(i),
            };
            (e.hash, record)
        });
        let mut new = added.into_iter();
        let (mut a, mut b) = (old.next(), new.next());
        let records = std::iter::from_fn(|| match (a, b) {
            (Some(x), Some(y)) if x.0 < y.0 => std::mem::replace(&mut a, old.next()),
            (_, Some(_)) => std::mem::replace(&mut b, new.next()),
            (Some(_), None) => std::mem::replace(&mut a, old.next()),
            (None, None) => None,
        });
        let mut offsets = Vec::with_capacity(self.list_count as usize + 1);
        offsets.push(0u32);
        let mut flat = Vec::new();
        for l in 0..self.list_count {
            flat.extend_from_slice(self.list(l));
            offsets.push(flat.len() as u32);
        }
        let frozen = Frozen::new(records, self.len(), offsets, flat);
        *self = ShingleTable {
            frozen: Arc::new(frozen),
            stock: Arc::clone(&self.stock),
            list_count: self.list_count,
            ..ShingleTable::default()
        };
    }

    /// Freezes the table once the records added or changed since the last freeze reach an
    /// eighth of the frozen ones (or the lists opened or appended to, of the frozen lists), so
    /// that adding replies a few at a time costs a fold now and then (each record is rebuilt
    /// about eight times over in all), and the maps of recent changes stay small.
    pub(crate) fn settle(&mut self) {
        if self.recent.len() > fold_limit(self.frozen.entries.len())
            || self.lists.len() > fold_limit(self.frozen.lists())
        {
            self.freeze();
        }
    }

    /// This table frozen (itself when it is; else a frozen copy).
    fn frozen_copy(&self) -> std::borrow::Cow<'_, ShingleTable> {
        if self.recent.is_empty() && self.lists.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut copy = self.clone();
            copy.freeze();
            std::borrow::Cow::Owned(copy)
        }
    }

    /// The records in increasing order of hash, with their hashes (the order they are saved in,
    /// so that equal tables save equal bytes however they were built).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, ShingleStat)> + '_ {
        let table = self.frozen_copy().into_owned();
        let frozen = Arc::clone(&table.frozen);
        (0..frozen.entries.len()).map(move |i| {
            let hash = frozen.entries[i].hash;
            (hash, frozen.record(i).with_stock(table.stock_of(hash)))
        })
    }

    /// The posting lists, by number.
    pub(crate) fn lists(&self) -> impl ExactSizeIterator<Item = &[u32]> + '_ {
        (0..self.list_count).map(|l| self.list(l))
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
        let table = self.frozen_copy();
        let frozen = &*table.frozen;
        let column =
            || (0..frozen.entries.len()).map(|i| (frozen.entries[i].hash, frozen.record(i)));
        w.u64s(column().map(|s| s.0));
        w.u32s(column().map(|s| s.1.replies));
        w.u32s(column().map(|s| s.1.clusters));
        w.u32s(column().map(|s| table.stock_of(s.0)));
        w.u32s(column().map(|s| s.1.first_cluster));
        w.u32s(column().map(|s| s.1.more));
        w.u32s(table.lists().map(|p| p.len() as u32));
        w.u32s(frozen.flat.iter().copied());
    }

    /// Reads a table written by [`save`](Self::save) for an index of `clusters` clusters,
    /// checking each record and list. The columns are read in place from memory, or from a
    /// file through the stream's buffer, never copied whole (a copy of them took 150 MB at a
    /// million replies).
    pub(crate) fn load(r: &mut Reader<'_>, clusters: usize) -> Result<ShingleTable, Error> {
        // Column by column into the entries, as the file gives them (hashes, reply counts,
        // cluster counts, stock counts, first clusters, posting lists), so that at most one
        // column of 4-byte numbers is held beside the entries: holding the six columns while
        // packing them took the peak of a load 124 MB (a third) above the index in use, at a
        // million replies. Until the last column packs them, an entry's word holds its reply
        // count in the low half and its cluster count in the high half.
        r.reading("the shingle hashes");
        let n = r.len(8)?;
        let mut entries: Vec<Entry> = Vec::with_capacity(n);
        r.each::<8>(n, |raw| {
            entries.push(Entry {
                hash: u64::from_le_bytes(raw),
                packed: 0,
            });
            Ok(())
        })?;
        let counts = |e: &Entry| (e.packed as u32, (e.packed >> 32) as u32);
        column(r, "the shingle reply counts", n, |i, replies| {
            entries[i].packed = u64::from(replies);
            Ok(())
        })?;
        column(r, "the shingle cluster counts", n, |i, clusters| {
            entries[i].packed |= u64::from(clusters) << 32;
            Ok(())
        })?;
        let mut stock = FxHashMap::default();
        column(r, "the shingle stock counts", n, |i, stock_count| {
            let (replies, clusters) = counts(&entries[i]);
            check(
                replies >= clusters && clusters >= stock_count && clusters >= 1,
                "a shingle's counts are inconsistent",
            )?;
            if stock_count > 0 {
                stock.insert(entries[i].hash, stock_count);
            }
            Ok(())
        })?;
        let mut first = Vec::with_capacity(n);
        column(r, "the shingle first clusters", n, |_, cluster| {
            check(
                (cluster as usize) < clusters,
                "a shingle points to a missing cluster",
            )?;
            first.push(cluster);
            Ok(())
        })?;
        let mut multi = Vec::new();
        column(r, "the shingle posting lists", n, |i, more| {
            let (replies, clusters) = counts(&entries[i]);
            let record = Record {
                replies,
                clusters,
                first_cluster: first[i],
                more,
            };
            entries[i].packed = pack(&mut multi, record);
            Ok(())
        })?;
        drop(first);
        let list_lens = r.u32s("the posting list lengths")?;
        let flat = r.u32s("the postings")?;
        // A record with a posting list never packs alone: those of `multi` are all there are.
        if multi
            .iter()
            .any(|s| s.more != NONE && s.more as usize >= list_lens.len())
        {
            return Err(corrupt("a shingle points to a missing posting list"));
        }
        let offsets = posting_offsets(&list_lens, &flat, clusters).map_err(corrupt)?;
        ShingleTable::assemble(entries, multi, stock, offsets, flat).map_err(corrupt)
    }

    fn from_parts(
        records: impl ExactSizeIterator<Item = (u64, Record)>,
        stock: FxHashMap<u64, u32>,
        list_lens: &[u32],
        flat: Vec<u32>,
        clusters: usize,
    ) -> Result<ShingleTable, &'static str> {
        let offsets = posting_offsets(list_lens, &flat, clusters)?;
        // Packed as they come (a copy of the records as pairs took 132 MB at a million
        // replies), checked, and sorted only if they were saved in another order.
        let mut entries: Vec<Entry> = Vec::with_capacity(records.len());
        let mut multi = Vec::new();
        for (hash, s) in records {
            if s.first_cluster as usize >= clusters {
                return Err("a shingle points to a missing cluster");
            }
            if s.more != NONE && s.more as usize >= list_lens.len() {
                return Err("a shingle points to a missing posting list");
            }
            entries.push(Entry {
                hash,
                packed: pack(&mut multi, s),
            });
        }
        ShingleTable::assemble(entries, multi, stock, offsets, flat)
    }

    /// The table of packed `entries` (with the records of `multi`) whose records were checked
    /// against the clusters and the posting lists (`offsets`, from [`posting_offsets`]): sorts
    /// the entries if they came in another order than by hash.
    fn assemble(
        mut entries: Vec<Entry>,
        multi: Vec<Record>,
        stock: FxHashMap<u64, u32>,
        offsets: Vec<u32>,
        flat: Vec<u32>,
    ) -> Result<ShingleTable, &'static str> {
        let list_count = offsets.len() as u32 - 1;
        let sorted = entries.windows(2).all(|w| w[0].hash < w[1].hash);
        if !sorted {
            // Saved in another order: sort, then a hash listed twice sits beside its twin.
            entries.sort_unstable_by_key(|e| e.hash);
            if entries.windows(2).any(|w| w[0].hash == w[1].hash) {
                return Err("a shingle is listed twice");
            }
        }
        Ok(ShingleTable {
            frozen: Arc::new(Frozen::of_entries(entries, multi, offsets, flat)),
            stock: Arc::new(stock),
            list_count,
            ..ShingleTable::default()
        })
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
            assert!(one_by_one.len() > 20 && one_by_one.list_count > 0 || max_postings < 2);
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
            assert!(frozen.recent.is_empty() && frozen.lists.is_empty());
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
        assert_eq!(t.frozen.multi.len(), 4);
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
        t.freeze();
        assert_eq!(t.frozen.multi.len(), 5);
        assert_eq!(t.get(0), Some(r));
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
