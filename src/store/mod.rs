//! The corpus store: the replies, their clusters of identical masked replies, the shingle and
//! word tables and the groups, with private fields, named readers and one `add` path that every
//! writer (a build, an insert, a merge, a macro, a scope) goes through.
//!
//! # Design, and why
//!
//! Canned replies are sent again and again with only the slots changed, so after slot masking
//! most of a brand's archive collapses into few distinct texts. The store therefore keeps one
//! **cluster** per distinct masked token sequence (with its count of replies, a representative
//! text and its token keys) and one small record per reply (its id, group and cluster).
//!
//! Each **shingle** (word n-gram, see [`crate::shingles`]) has a record of how many replies and
//! how many clusters contain it, and a posting list of the clusters that contain it
//! ([`shingle_table`]). Words have their own table of counts ([`words`]), used to tell generic
//! wording from content the corpus has never seen. Ids and texts live end to end in arenas
//! ([`arena`]); the lookups of reply ids and of clusters' token sequences are sorted arrays
//! behind a directory of hash prefixes ([`keymap`]).
//!
//! Memory goes mostly to the clusters' texts and token keys and to the shingle records. Once
//! built, the shingle records and the lookups of reply ids and of clusters' token sequences are
//! arrays sorted by hash behind a directory of hash prefixes (about 13 bytes an entry for a
//! lookup, where a hash map takes about 31), and the posting lists are one flat array; a shingle
//! in one cluster (most of them) keeps its record packed beside its hash. At a million replies
//! the index in use takes 381 bytes a reply (the README's benchmarks).
//!
//! A build (and a merge) counts the shingles of all its clusters at once when it freezes, by
//! sorting the pairs of shingle and cluster, instead of probing a hash map of millions of
//! shingles for each shingle of each new cluster (28% of a build at a million replies); an
//! insert counts one reply at a time. Both give the same table.
//!
//! Clones of an index share the tables: columns sit in chunks behind `Arc`s ([`column`]), what
//! inserts add or change since a table's last freeze sits in persistent maps that clones share
//! too, and the frozen parts sit behind `Arc`s, so that a reader's snapshot costs a few pointers
//! and an insert copies only the chunks and map nodes it changes.
//!
//! Each table saves and validates itself beside its definition; [`Corpus::load`] reads them in
//! the file's order and checks every cross-reference between them.

pub(crate) mod arena;
pub(crate) mod column;
pub(crate) mod keymap;
pub(crate) mod shingle_table;
pub(crate) mod words;

use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::error::Error;
use crate::text::language::{STOCK_LANGUAGE_COUNT, UNKNOWN_SLOT, vote};
use crate::text::shingles::{distinct_shingles_of_keys, sequence_key};
use crate::text::{capped, is_slot_key};
use crate::wire::{Reader, Writer, check, same_len};

pub(crate) use arena::StrArena;
pub(crate) use column::Column;
use column::{Arena, Runs};
use keymap::KeyMap;
pub(crate) use shingle_table::{ShingleStat, ShingleTable};
pub(crate) use words::{WordStat, Words, group_estimate};

/// The group of the built-in stock corpus's replies.
pub const STOCK_GROUP: &str = "cannery:stock";

/// The group of imported macros.
pub const MACRO_GROUP: &str = "cannery:macro";

/// The group of a reply that has none.
pub(crate) const NO_GROUP: u32 = u32::MAX;

/// The time of a reply sent at an unknown time.
const NO_TIME: i64 = i64::MIN;

/// A hash map that clones share: a clone costs a pointer, and a change after it copies only the
/// few nodes on its path (`imbl`'s hash array mapped trie). The tables keep what inserts add
/// or change since their last freeze in one, so that a reader's snapshot stays cheap.
pub(crate) type SharedMap<K, V> =
    imbl::GenericHashMap<K, V, rustc_hash::FxBuildHasher, imbl::shared_ptr::DefaultSharedPtr>;

/// How many changes since the last fold a table keeps in its persistent map before it folds
/// them into its frozen part of `frozen` entries: an eighth of them (so each entry is rebuilt
/// about eight times over in all), and no fewer than 1,024.
pub(crate) fn fold_limit(frozen: usize) -> usize {
    (frozen / 8).max(1024)
}

/// The hash keys of ids, group names and texts.
pub(crate) fn str_key(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// A cluster: the replies whose masked token sequences are identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cluster {
    /// Replies in the cluster.
    count: u32,
    /// The first and the last reply of the cluster (an example when the first is left out).
    first_reply: u32,
    last_reply: u32,
}

impl Cluster {
    /// Replies in the cluster.
    #[inline]
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The cluster's first reply.
    #[inline]
    pub(crate) fn first_reply(&self) -> u32 {
        self.first_reply
    }

    /// The cluster's last reply (an example when the first is left out).
    #[inline]
    pub(crate) fn last_reply(&self) -> u32 {
        self.last_reply
    }

    /// Counts a reply too many (for tests of a corrupted file).
    #[cfg(test)]
    pub(crate) fn break_count(&mut self) {
        self.count += 1;
    }

    /// Names another reply as the first (for tests of a corrupted file).
    #[cfg(test)]
    pub(crate) fn break_first_reply(&mut self, reply: u32) {
        self.first_reply = reply;
    }
}

/// A reply as the store takes it: its token keys (of its first `MAX_INPUT_BYTES`), and whether
/// it is a reference reply (the stock corpus, a macro).
#[derive(Clone, Copy)]
pub(crate) struct NewReply<'a> {
    pub(crate) id: &'a str,
    pub(crate) text: &'a str,
    pub(crate) group: Option<&'a str>,
    pub(crate) time: Option<i64>,
    pub(crate) keys: &'a [u32],
    pub(crate) reference: bool,
}

impl<'a> NewReply<'a> {
    /// The reply's text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The same reply with another text (of the same token keys).
    pub(crate) fn with_text<'b>(self, text: &'b str) -> NewReply<'b>
    where
        'a: 'b,
    {
        NewReply { text, ..self }
    }
}

/// The groups of the reference replies (the stock corpus, imported macros) of a corpus;
/// `NO_GROUP` for those it has no reply of.
#[derive(Clone, Copy)]
pub(crate) struct ReferenceGroups([u32; 2]);

impl ReferenceGroups {
    /// Whether a reply of `group` is a reference reply.
    pub(crate) fn contains(self, group: u32) -> bool {
        group != NO_GROUP && self.0.contains(&group)
    }
}

/// The corpus of an index.
#[derive(Clone, Debug)]
pub(crate) struct Corpus {
    config: Config,
    // Replies, in insertion order.
    ids: StrArena,
    reply_cluster: Column<u32>,
    reply_group: Column<u32>,
    id_lookup: KeyMap,
    /// When each reply was sent (`NO_TIME` when unknown); empty while no reply has a time.
    times: Column<i64>,
    // Groups.
    groups: StrArena,
    group_lookup: FxHashMap<u64, u32>,
    /// The union of the group bits of all archive replies (how many group buckets are in use).
    group_bits: u64,
    // Clusters.
    clusters: Column<Cluster>,
    /// Whether each cluster was made by a reference reply (the built-in stock corpus, a macro).
    cluster_stock: Column<bool>,
    cluster_lookup: KeyMap,
    /// Each cluster's token keys.
    keys: Arena<Runs>,
    /// Each cluster's language: its slot among the stock languages by the stock vocabulary's
    /// vote (`text::language`), or `UNKNOWN_SLOT`.
    cluster_language: Column<u8>,
    /// Replies in each stock language, then those of no language the vote could tell.
    language_replies: [u32; STOCK_LANGUAGE_COUNT + 1],
    /// Of those, the archive replies (not reference ones).
    language_archive: [u32; STOCK_LANGUAGE_COUNT + 1],
    /// The text of each cluster's first reply, as sent (its first `MAX_INPUT_BYTES`).
    texts: StrArena,
    // Shingles and words.
    shingles: ShingleTable,
    words: Words,
    /// Replies of the stock corpus.
    stock_replies: u32,
    /// Replies longer than `MAX_INPUT_BYTES`, indexed up to that many bytes.
    truncated: u64,
    /// Whether the shingles of the replies added are left uncounted until the next freeze,
    /// which counts them all at once (a build, a merge).
    shingles_pending: bool,
}

impl Corpus {
    /// An empty corpus with the settings `config`.
    pub(crate) fn new(config: Config) -> Self {
        Corpus {
            config,
            ids: StrArena::default(),
            reply_cluster: Column::default(),
            reply_group: Column::default(),
            id_lookup: KeyMap::default(),
            times: Column::default(),
            groups: StrArena::default(),
            group_lookup: FxHashMap::default(),
            group_bits: 0,
            clusters: Column::default(),
            cluster_stock: Column::default(),
            cluster_lookup: KeyMap::default(),
            keys: Arena::default(),
            cluster_language: Column::default(),
            language_replies: [0; STOCK_LANGUAGE_COUNT + 1],
            language_archive: [0; STOCK_LANGUAGE_COUNT + 1],
            texts: StrArena::default(),
            shingles: ShingleTable::default(),
            words: Words::default(),
            stock_replies: 0,
            truncated: 0,
            shingles_pending: false,
        }
    }

    /// An empty corpus whose shingles are counted all at once when it freezes (a build, a
    /// merge, a scope).
    pub(crate) fn for_build(config: Config) -> Self {
        Corpus {
            shingles_pending: true,
            ..Corpus::new(config)
        }
    }

    // ---------------------------------------------------------------------------------------
    // Readers

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Replies in the corpus, stock replies included.
    pub(crate) fn len(&self) -> usize {
        self.reply_cluster.len()
    }

    /// Clusters (distinct replies after masking).
    pub(crate) fn cluster_count(&self) -> usize {
        self.clusters.len()
    }

    /// The id of reply `reply`.
    pub(crate) fn id(&self, reply: u32) -> &str {
        self.ids.get(reply as usize)
    }

    /// The cluster of reply `reply`.
    pub(crate) fn reply_cluster(&self, reply: u32) -> u32 {
        *self.reply_cluster.get(reply as usize)
    }

    /// Each reply's cluster and group, in insertion order.
    pub(crate) fn replies(&self) -> impl ExactSizeIterator<Item = (u32, u32)> + '_ {
        self.reply_cluster
            .iter()
            .copied()
            .zip(self.reply_group.iter().copied())
    }

    /// The group of reply `reply` (`NO_GROUP` for none).
    pub(crate) fn reply_group(&self, reply: u32) -> u32 {
        *self.reply_group.get(reply as usize)
    }

    /// The name of group `group`.
    pub(crate) fn group_name(&self, group: u32) -> &str {
        self.groups.get(group as usize)
    }

    /// The group of a name, if any reply has it.
    pub(crate) fn group_of_name(&self, name: &str) -> Option<u32> {
        let &g = self.group_lookup.get(&str_key(name))?;
        (self.groups.get(g as usize) == name).then_some(g)
    }

    /// The union of the group bits of the archive replies.
    pub(crate) fn group_bits(&self) -> u64 {
        self.group_bits
    }

    /// Cluster `c` (clusters are numbered in order of their first reply).
    pub(crate) fn cluster(&self, c: u32) -> Cluster {
        *self.clusters.get(c as usize)
    }

    /// The clusters, in order.
    pub(crate) fn clusters(&self) -> impl ExactSizeIterator<Item = Cluster> + '_ {
        self.clusters.iter().copied()
    }

    /// Whether cluster `c` was made by a reference reply (the stock corpus, a macro).
    pub(crate) fn is_reference_cluster(&self, c: u32) -> bool {
        *self.cluster_stock.get(c as usize)
    }

    /// The token keys of cluster `c`.
    pub(crate) fn cluster_keys(&self, c: u32) -> &[u32] {
        self.keys.get(c as usize)
    }

    /// The language slot of cluster `c` (see `text::language`).
    pub(crate) fn cluster_language(&self, c: u32) -> u8 {
        *self.cluster_language.get(c as usize)
    }

    /// The replies the vote placed in language slot `slot` (`UNKNOWN_SLOT`: those it could not
    /// place).
    pub(crate) fn language_replies(&self, slot: u8) -> usize {
        self.language_replies[slot as usize] as usize
    }

    /// The reference replies (the stock corpora, macros) the vote placed in language slot
    /// `slot` (`UNKNOWN_SLOT`: those it could not place).
    pub(crate) fn reference_replies_in_language(&self, slot: u8) -> usize {
        (self.language_replies[slot as usize] - self.language_archive[slot as usize]) as usize
    }

    /// The archive replies (not reference ones) the vote placed in language slot `slot` (all
    /// the archive replies for `UNKNOWN_SLOT`: a draft of no stock language may be like any).
    pub(crate) fn archive_replies_in_language(&self, slot: u8) -> usize {
        if slot == UNKNOWN_SLOT {
            self.len() - self.stock_replies as usize
        } else {
            self.language_archive[slot as usize] as usize
        }
    }

    /// The text of cluster `c`'s first reply.
    pub(crate) fn cluster_text(&self, c: u32) -> &str {
        self.texts.get(c as usize)
    }

    /// The cluster of the token sequence whose key is `sequence`, if any.
    pub(crate) fn cluster_of_sequence(&self, sequence: u64) -> Option<u32> {
        self.cluster_lookup.get(sequence)
    }

    /// The first reply with this id.
    pub(crate) fn reply_of_id(&self, id: &str) -> Option<u32> {
        let reply = self.id_lookup.get(str_key(id))?;
        (self.ids.get(reply as usize) == id).then_some(reply)
    }

    /// The groups of the reference replies, looked up by name once for a pass over many replies.
    pub(crate) fn reference_groups(&self) -> ReferenceGroups {
        ReferenceGroups(
            [STOCK_GROUP, MACRO_GROUP].map(|name| self.group_of_name(name).unwrap_or(NO_GROUP)),
        )
    }

    /// Whether a reply is a reference reply (the stock corpus or an imported macro), not a
    /// reply the brand sent.
    pub(crate) fn is_reference(&self, reply: u32) -> bool {
        self.reference_groups().contains(self.reply_group(reply))
    }

    /// When a reply was sent, if known.
    pub(crate) fn time_of(&self, reply: u32) -> Option<i64> {
        let reply = reply as usize;
        (reply < self.times.len())
            .then(|| *self.times.get(reply))
            .filter(|&t| t != NO_TIME)
    }

    /// The shingle records of many hashes, in their order (see [`ShingleTable::get_many`]).
    pub(crate) fn shingles_of(&self, hashes: &[u64], out: &mut Vec<Option<ShingleStat>>) {
        self.shingles.get_many(hashes, out);
    }

    /// The clusters listed for a shingle: the first, then the capped list of the others.
    #[inline]
    pub(crate) fn postings_of<'s>(&'s self, stat: &ShingleStat) -> impl Iterator<Item = u32> + 's {
        self.shingles.postings_of(stat)
    }

    /// The capped list of the clusters after the first of a shingle.
    #[inline]
    pub(crate) fn more_postings(&self, stat: &ShingleStat) -> &[u32] {
        self.shingles.more_postings(stat)
    }

    /// Distinct shingles.
    pub(crate) fn shingle_count(&self) -> usize {
        self.shingles.len()
    }

    /// What the corpus knows of a word key (all zero for an unseen word).
    pub(crate) fn word(&self, key: u32) -> WordStat {
        self.words.get(key)
    }

    /// Replies of the stock corpus.
    pub(crate) fn stock_replies(&self) -> u32 {
        self.stock_replies
    }

    /// Replies cut at `MAX_INPUT_BYTES` when they were added.
    pub(crate) fn truncated(&self) -> u64 {
        self.truncated
    }

    // ---------------------------------------------------------------------------------------
    // Writing

    /// Sets the thresholds of the verdict (already checked).
    pub(crate) fn set_thresholds(&mut self, canned_at: f64, personal_at: f64) {
        (self.config.canned_at, self.config.personal_at) = (canned_at, personal_at);
    }

    /// Leaves the shingles of the replies added from now on uncounted until the next freeze,
    /// which counts them all at once (a merge).
    pub(crate) fn defer_shingles(&mut self) {
        self.shingles_pending = true;
    }

    /// Reply `reply` as a new reply of another corpus (a merge, a scope), from what is stored:
    /// its id, its cluster's text and token keys, its group, its time, and whether it is a
    /// reference reply (by `references`, this corpus's reference groups).
    pub(crate) fn stored_reply(&self, reply: u32, references: ReferenceGroups) -> NewReply<'_> {
        let group = self.reply_group(reply);
        let cluster = self.reply_cluster(reply);
        NewReply {
            id: self.id(reply),
            text: self.cluster_text(cluster),
            group: (group != NO_GROUP).then(|| self.group_name(group)),
            time: self.time_of(reply),
            keys: self.cluster_keys(cluster),
            reference: references.contains(group),
        }
    }

    /// Adds another corpus's count of replies cut at `MAX_INPUT_BYTES` (a merge: its texts were
    /// cut already).
    pub(crate) fn add_truncated(&mut self, n: u64) {
        self.truncated += n;
    }

    /// Adds one reply: the one path every writer takes. Returns its cluster and whether the
    /// reply started it.
    pub(crate) fn add(&mut self, reply: NewReply<'_>) -> (u32, bool) {
        let NewReply {
            id,
            text,
            group,
            time,
            keys,
            reference,
        } = reply;
        let index = self.reply_cluster.len() as u32;
        // The text as indexed (its keys are those of this part: `tokenize_capped`).
        let (text, cut) = capped(text);
        self.truncated += u64::from(cut);
        let group = self.group_for(group);
        let (cluster, new_cluster) = self.cluster_for(index, text, keys, reference);
        // Reply.
        self.ids.push(id);
        self.id_lookup.insert_first(str_key(id), index);
        self.reply_cluster.push(cluster);
        self.reply_group.push(group);
        let language = self.cluster_language(cluster) as usize;
        self.language_replies[language] += 1;
        self.language_archive[language] += u32::from(!reference);
        self.record_time(time);
        if reference {
            self.stock_replies += 1;
        }
        // Shingles, unless they are counted all at once at the next freeze.
        if !self.shingles_pending {
            let mut hashes = Vec::with_capacity(keys.len());
            distinct_shingles_of_keys(keys, self.config.ngram, &mut hashes);
            let max_postings = self.config.max_postings;
            for h in hashes {
                self.shingles
                    .count(h, cluster, new_cluster, reference, max_postings);
            }
        }
        self.count_words(keys, group, reference);
        (cluster, new_cluster)
    }

    /// The group of a reply named `group`, added if new.
    fn group_for(&mut self, group: Option<&str>) -> u32 {
        match group {
            None => NO_GROUP,
            Some(name) => match self.group_of_name(name) {
                Some(g) => g,
                None => {
                    let g = self.groups.push(name) as u32;
                    self.group_lookup.entry(str_key(name)).or_insert(g);
                    g
                }
            },
        }
    }

    /// The cluster of reply `reply` of token keys `keys`, made if new, with the reply counted.
    fn cluster_for(
        &mut self,
        reply: u32,
        text: &str,
        keys: &[u32],
        reference: bool,
    ) -> (u32, bool) {
        let seq = sequence_key(keys);
        let (cluster, new) = match self.cluster_lookup.get(seq) {
            Some(c) => (c, false),
            None => {
                let c = self.clusters.len() as u32;
                self.clusters.push(Cluster {
                    count: 0,
                    first_reply: reply,
                    last_reply: reply,
                });
                self.cluster_stock.push(reference);
                self.keys.push(keys);
                self.cluster_language.push(vote(keys.iter().copied()));
                self.texts.push(text);
                self.cluster_lookup.insert_first(seq, c);
                (c, true)
            }
        };
        let c = self.clusters.get_mut(cluster as usize);
        c.count += 1;
        c.last_reply = reply;
        (cluster, new)
    }

    /// Records the time of the reply just added.
    fn record_time(&mut self, time: Option<i64>) {
        let replies = self.reply_cluster.len();
        match (time, self.times.is_empty()) {
            (None, true) => {}
            (Some(t), true) => {
                self.times.push_n(replies - 1, NO_TIME);
                self.times.push(t);
            }
            (t, false) => self.times.push(t.unwrap_or(NO_TIME)),
        }
    }

    /// Counts the distinct words of a reply of `keys` in `group`.
    fn count_words(&mut self, keys: &[u32], group: u32, reference: bool) {
        let group_bit = if reference {
            0
        } else {
            let name = if group == NO_GROUP {
                ""
            } else {
                self.groups.get(group as usize)
            };
            1u64 << (str_key(name) % 64)
        };
        self.group_bits |= group_bit;
        // Sized for every key at once: a collect of the filtered keys grew its vector a few times
        // a reply (1% of a build's instructions in reallocations).
        let mut words: Vec<u32> = Vec::with_capacity(keys.len());
        words.extend(keys.iter().copied().filter(|k| !is_slot_key(*k)));
        words.sort_unstable();
        words.dedup();
        self.words.count(&words, reference, group_bit);
    }

    /// Sorts the shingle table and the id and cluster lookups (the end of a build, a merge or a
    /// load), counting the shingles left pending: lookups answer the same before and after.
    pub(crate) fn freeze(&mut self) {
        if self.shingles_pending {
            self.count_shingles();
        }
        self.shingles.freeze();
        self.id_lookup.freeze();
        self.cluster_lookup.freeze();
    }

    /// Counts the shingles of every cluster afresh, all at once (see
    /// [`ShingleTable::of_clusters`]), and leaves none pending.
    fn count_shingles(&mut self) {
        let ngram = self.config.ngram;
        self.shingles = ShingleTable::of_clusters(
            self.clusters.len(),
            |c, out| distinct_shingles_of_keys(self.cluster_keys(c), ngram, out),
            |c| self.cluster(c).count,
            |c| self.is_reference_cluster(c),
            self.config.max_postings,
        );
        self.shingles_pending = false;
    }

    /// Freezes what the inserts since the last freeze have outgrown (after an insert).
    pub(crate) fn settle(&mut self) {
        self.shingles.settle();
        self.id_lookup.settle();
        self.cluster_lookup.settle();
    }

    // ---------------------------------------------------------------------------------------
    // Saving and loading

    /// Writes the settings and the tables, in the file's order (the verdict thresholds and the
    /// count of cut replies come later: [`save_trailer`](Self::save_trailer)).
    pub(crate) fn save<W: std::io::Write>(&self, w: &mut Writer<W>) {
        let c = &self.config;
        w.u32(c.ngram as u32);
        w.u32(c.min_support);
        w.u64(c.max_postings as u64);
        w.u32(c.neighbours as u32);
        w.u8(u8::from(c.stock_corpus));
        w.u32(self.stock_replies);

        self.ids.save(w);
        w.u32s(self.reply_cluster.iter().copied());
        w.u32s(self.reply_group.iter().copied());
        self.groups.save(w);

        let cl = &self.clusters;
        w.u32s(cl.iter().map(|c| c.count));
        w.u32s(cl.iter().map(|c| c.first_reply));
        w.u32s(cl.iter().map(|c| c.last_reply));
        let mut start = 0u32;
        w.u32s((0..cl.len() as u32).map(|c| {
            let at = start;
            start += self.cluster_keys(c).len() as u32;
            at
        }));
        w.u32s((0..cl.len() as u32).map(|c| self.cluster_keys(c).len() as u32));
        w.bytes(
            &self
                .cluster_stock
                .iter()
                .map(|&s| u8::from(s))
                .collect::<Vec<_>>(),
        );
        w.u64(u64::from(start));
        for part in self.keys.parts() {
            part.values().iter().for_each(|&k| w.u32(k));
        }
        self.texts.save(w);

        self.shingles.save(w);
        self.words.save(w);
        w.u64(self.group_bits);
        w.u64s(self.times.iter().map(|&t| t as u64));
    }

    /// Writes what version 4 added: the verdict thresholds and the count of cut replies.
    pub(crate) fn save_trailer<W: std::io::Write>(&self, w: &mut Writer<W>) {
        w.u64(self.config.canned_at.to_bits());
        w.u64(self.config.personal_at.to_bits());
        w.u64(self.truncated);
    }

    /// Reads the settings and tables written by [`save`](Self::save), checks every
    /// cross-reference between them, and rebuilds the lookups; the corpus comes frozen.
    pub(crate) fn load(r: &mut Reader<'_>) -> Result<Corpus, Error> {
        let mut corpus = Corpus::new(load_config(r)?);
        corpus.stock_replies = r.u32()?;
        corpus.ids = StrArena::load(r, "the reply ids")?;
        corpus.reply_cluster = r.u32s("the reply clusters")?.into();
        corpus.reply_group = r.u32s("the reply groups")?.into();
        corpus.groups = StrArena::load(r, "the group names")?;
        same_len(
            &[
                corpus.ids.len(),
                corpus.reply_cluster.len(),
                corpus.reply_group.len(),
            ],
            "reply",
        )?;
        corpus.load_clusters(r)?;
        corpus.shingles = ShingleTable::load(r, corpus.clusters.len())?;
        corpus.words = Words::load(r)?;
        r.reading("the group bits");
        corpus.group_bits = r.u64()?;
        corpus.times = r
            .u64s("the reply times")?
            .into_iter()
            .map(|t| t as i64)
            .collect::<Vec<_>>()
            .into();
        check(
            corpus.times.is_empty() || corpus.times.len() == corpus.ids.len(),
            "the reply times do not match the replies",
        )?;
        corpus.check_references()?;
        corpus.rebuild_lookups()?;
        Ok(corpus)
    }

    /// Reads the cluster tables, checking each cluster's keys and replies.
    fn load_clusters(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        let count = r.u32s("the cluster counts")?;
        let first = r.u32s("the cluster first replies")?;
        let last = r.u32s("the cluster last replies")?;
        let keys_start = r.u32s("the cluster key offsets")?;
        let keys_len = r.u32s("the cluster key lengths")?;
        let stock = r.bytes("the cluster stock flags")?;
        let keys = r.u32s("the token keys")?;
        self.texts = StrArena::load(r, "the cluster texts")?;
        let n = count.len();
        same_len(
            &[
                n,
                first.len(),
                last.len(),
                keys_start.len(),
                keys_len.len(),
                stock.len(),
                self.texts.len(),
            ],
            "cluster",
        )?;
        let replies = self.ids.len();
        check(
            self.reply_cluster.iter().all(|&c| (c as usize) < n),
            "a reply points to a missing cluster",
        )?;
        check(
            n > 0 || keys.is_empty(),
            "the key table holds keys of no cluster",
        )?;
        // Each cluster counts the replies that point to it, its first and last among them.
        let mut members = vec![0u32; n];
        for &c in self.reply_cluster.iter() {
            members[c as usize] += 1;
        }
        check(
            members == count,
            "a cluster's count is not the number of its replies",
        )?;
        let mut clusters = Vec::with_capacity(n);
        let mut cluster_stock = Vec::with_capacity(n);
        let mut ends = Vec::with_capacity(n);
        for i in 0..n {
            // Each cluster's keys follow the previous cluster's, and the last end the table.
            let end = keys_start[i] as u64 + keys_len[i] as u64;
            let next = keys_start
                .get(i + 1)
                .map_or(keys.len() as u64, |&s| s as u64);
            check(
                end == next && (i > 0 || keys_start[0] == 0),
                "the clusters' keys are not laid out in order",
            )?;
            check(
                (first[i] as usize) < replies && (last[i] as usize) < replies && count[i] >= 1,
                "a cluster's replies are out of range",
            )?;
            check(
                first[i] <= last[i]
                    && self.reply_cluster(first[i]) == i as u32
                    && self.reply_cluster(last[i]) == i as u32,
                "a cluster's first or last reply is not one of its replies",
            )?;
            check(stock[i] <= 1, "a cluster's stock flag is not 0 or 1")?;
            clusters.push(Cluster {
                count: count[i],
                first_reply: first[i],
                last_reply: last[i],
            });
            cluster_stock.push(stock[i] == 1);
            ends.push(end as u32);
        }
        self.clusters = clusters.into();
        self.cluster_stock = cluster_stock.into();
        self.keys = Arena::of_base(Runs::of(keys, ends));
        Ok(())
    }

    /// Checks that every reply's group exists.
    fn check_references(&self) -> Result<(), Error> {
        check(
            self.reply_group
                .iter()
                .all(|&g| g == NO_GROUP || (g as usize) < self.groups.len()),
            "a reply points to a missing group",
        )
    }

    /// Rebuilds the id, group and cluster lookups of loaded tables, and freezes them.
    fn rebuild_lookups(&mut self) -> Result<(), Error> {
        // An id given twice finds its first reply.
        self.id_lookup = KeyMap::from_pairs(
            (0..self.ids.len())
                .map(|i| (str_key(self.ids.get(i)), i as u32))
                .collect(),
        )
        .0;
        for g in 0..self.groups.len() {
            self.group_lookup
                .entry(str_key(self.groups.get(g)))
                .or_insert(g as u32);
        }
        let (cluster_lookup, repeated) = KeyMap::from_pairs(
            (0..self.clusters.len() as u32)
                .map(|c| (sequence_key(self.cluster_keys(c)), c))
                .collect(),
        );
        check(!repeated, "two clusters have the same tokens")?;
        self.cluster_lookup = cluster_lookup;
        self.freeze();
        Ok(())
    }

    /// Writes what version 6 added: each cluster's language slot.
    pub(crate) fn save_languages<W: std::io::Write>(&self, w: &mut Writer<W>) {
        let languages: Vec<u8> = self.cluster_language.iter().copied().collect();
        w.bytes(&languages);
    }

    /// Reads what [`save_languages`](Self::save_languages) wrote (a version 6 file or later),
    /// or, for an older file (`None`), tells each cluster's language by the vote; then counts
    /// the replies of each language.
    pub(crate) fn load_languages(&mut self, r: Option<&mut Reader<'_>>) -> Result<(), Error> {
        let languages: Vec<u8> = match r {
            Some(r) => {
                let languages = r.bytes("the cluster languages")?.into_owned();
                check(
                    languages.len() == self.clusters.len(),
                    "the cluster languages do not match the clusters",
                )?;
                check(
                    languages.iter().all(|&l| l <= UNKNOWN_SLOT),
                    "a cluster language is out of range",
                )?;
                languages
            }
            None => (0..self.clusters.len() as u32)
                .map(|c| vote(self.cluster_keys(c).iter().copied()))
                .collect(),
        };
        let (mut replies, mut archive) =
            ([0; STOCK_LANGUAGE_COUNT + 1], [0; STOCK_LANGUAGE_COUNT + 1]);
        let references = self.reference_groups();
        for (cluster, group) in self.replies() {
            let language = languages[cluster as usize] as usize;
            replies[language] += 1;
            archive[language] += u32::from(!references.contains(group));
        }
        (self.language_replies, self.language_archive) = (replies, archive);
        self.cluster_language = languages.into();
        Ok(())
    }

    /// Reads what [`save_trailer`](Self::save_trailer) wrote (a version 4 file or later).
    pub(crate) fn load_trailer(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        let canned_at = f64::from_bits(r.u64()?);
        let personal_at = f64::from_bits(r.u64()?);
        let truncated = r.u64()?;
        check(
            (0.0..=1.0).contains(&canned_at) && (0.0..=1.0).contains(&personal_at),
            "a verdict threshold is outside [0, 1]",
        )?;
        check(
            truncated <= self.len() as u64,
            "more replies are counted as cut than the index holds",
        )?;
        self.set_thresholds(canned_at, personal_at);
        self.truncated = truncated;
        Ok(())
    }
}

/// Reads the settings written at the start of the file, checking each.
fn load_config(r: &mut Reader<'_>) -> Result<Config, Error> {
    let ngram = r.u32()? as usize;
    let min_support = r.u32()?;
    let max_postings = r.u64()?;
    let neighbours = r.u32()? as usize;
    let stock_corpus = r.u8()?;
    check((1..=8).contains(&ngram), "the shingle size is out of range")?;
    check(min_support >= 1, "the minimum support is 0")?;
    check(
        (1..=u32::MAX as u64).contains(&max_postings),
        "the posting cap is out of range",
    )?;
    check(neighbours <= 64, "the neighbour count is out of range")?;
    check(stock_corpus <= 1, "the stock flag is not 0 or 1")?;
    Ok(Config {
        ngram,
        min_support,
        max_postings: max_postings as usize,
        neighbours,
        stock_corpus: stock_corpus == 1,
        ..Config::default()
    })
}

#[cfg(test)]
impl Corpus {
    /// A copy with `change` applied to its tables, for the loader's tests of broken files.
    pub(crate) fn broken(&self, change: impl FnOnce(&mut Vec<u32>, &mut Vec<Cluster>)) -> Corpus {
        let mut corpus = self.clone();
        let mut replies: Vec<u32> = corpus.reply_cluster.iter().copied().collect();
        let mut clusters: Vec<Cluster> = corpus.clusters.iter().copied().collect();
        change(&mut replies, &mut clusters);
        corpus.reply_cluster = replies.into();
        corpus.clusters = clusters.into();
        corpus
    }
}
