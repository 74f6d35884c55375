//! The corpus as one report sees it: the index, with the reply a leave-one-out score leaves out
//! taken away from every count the report reads (its phrases, its words, its cluster).

use crate::state::State;
use crate::store::{ShingleStat, WordStat};
use crate::text::language::UNKNOWN_SLOT;
use crate::text::shingles::shingles_of_keys;

/// The reply a leave-one-out score leaves out.
#[derive(Clone, Copy)]
pub(super) struct Excluded {
    pub(super) reply: u32,
    pub(super) cluster: u32,
    /// Whether it is its cluster's only member (so the cluster disappears).
    pub(super) alone: bool,
}

/// The index less the left-out reply, if any.
pub(super) struct View<'i> {
    pub(super) index: &'i State,
    excluded: Option<Excluded>,
    /// The left-out reply's shingles, sorted.
    excluded_hashes: Vec<u64>,
    /// The left-out reply's words (and slots), sorted and distinct.
    excluded_words: Vec<u32>,
}

impl<'i> View<'i> {
    /// The view of `index` without reply `exclude`; `buffer` is reused for its shingles.
    pub(super) fn new(index: &'i State, exclude: Option<u32>, mut buffer: Vec<u64>) -> Self {
        let excluded = exclude.map(|reply| {
            let cluster = index.corpus().reply_cluster(reply);
            Excluded {
                reply,
                cluster,
                alone: index.corpus().cluster(cluster).count() == 1,
            }
        });
        buffer.clear();
        let mut excluded_words = Vec::new();
        if let Some(ex) = &excluded {
            let keys = index.corpus().cluster_keys(ex.cluster);
            shingles_of_keys(keys, index.corpus().config().ngram, &mut buffer);
            buffer.sort_unstable();
            excluded_words.extend_from_slice(keys);
            excluded_words.sort_unstable();
            excluded_words.dedup();
        }
        View {
            index,
            excluded,
            excluded_hashes: buffer,
            excluded_words,
        }
    }

    /// The buffer [`new`](Self::new) took, for the next report.
    pub(super) fn into_buffer(self) -> Vec<u64> {
        self.excluded_hashes
    }

    /// Replies in the view that a report on a draft of language slot `slot` counts its words
    /// among: those the vote placed in that language or in none; for a draft of no stock
    /// language, the archive replies (of any language: the draft's may be any) and the reference
    /// replies placed in none. All of them when that leaves none.
    pub(super) fn replies_in_language(&self, slot: u8) -> usize {
        let corpus = self.index.corpus();
        let excluded = self.excluded.map(|e| {
            (
                corpus.cluster_language(e.cluster),
                corpus.is_reference(e.reply),
            )
        });
        let counted = if slot == UNKNOWN_SLOT {
            corpus.archive_replies_in_language(UNKNOWN_SLOT)
                + corpus.reference_replies_in_language(UNKNOWN_SLOT)
                - usize::from(
                    excluded.is_some_and(|(l, reference)| !reference || l == UNKNOWN_SLOT),
                )
        } else {
            corpus.language_replies(slot) + corpus.language_replies(UNKNOWN_SLOT)
                - usize::from(excluded.is_some_and(|(l, _)| l == slot || l == UNKNOWN_SLOT))
        };
        if counted == 0 {
            corpus.len() - usize::from(self.excluded.is_some())
        } else {
            counted
        }
    }

    /// Archive replies in the view of language slot `slot` (see
    /// `Corpus::archive_replies_in_language`).
    pub(super) fn archive_replies_in_language(&self, slot: u8) -> usize {
        let corpus = self.index.corpus();
        let left_out = self.excluded.is_some_and(|e| {
            !corpus.is_reference(e.reply)
                && (slot == UNKNOWN_SLOT || corpus.cluster_language(e.cluster) == slot)
        });
        corpus.archive_replies_in_language(slot) - usize::from(left_out)
    }

    /// The record of shingle `hash` as the index has it (`found`), less the left-out reply.
    pub(super) fn shingle(&self, hash: u64, found: Option<ShingleStat>) -> Option<ShingleStat> {
        found.map(|s| {
            if self.excluded_hashes.binary_search(&hash).is_ok() {
                s.less_one(self.excluded.as_ref().is_some_and(|e| e.alone))
            } else {
                s
            }
        })
    }

    /// What the index knows of word `key` (`stat`, looked up already), less the left-out reply.
    pub(super) fn word(&self, key: u32, stat: WordStat) -> WordStat {
        if self.excluded_words.binary_search(&key).is_ok() {
            stat.less_one()
        } else {
            stat
        }
    }

    /// The replies of `cluster` (of `count` in the index) in the view.
    pub(super) fn cluster_count(&self, cluster: u32, count: u32) -> u32 {
        match &self.excluded {
            Some(e) if e.cluster == cluster => count - 1,
            _ => count,
        }
    }

    /// Whether `cluster` is not in the view (its only reply is the left-out one).
    pub(super) fn is_gone(&self, cluster: u32) -> bool {
        self.excluded
            .as_ref()
            .is_some_and(|e| e.alone && e.cluster == cluster)
    }

    /// The cluster that leaving the reply out removes, or `u32::MAX` (no cluster is).
    pub(super) fn gone_cluster(&self) -> u32 {
        self.excluded
            .as_ref()
            .filter(|e| e.alone)
            .map_or(u32::MAX, |e| e.cluster)
    }

    /// The reply that stands for `cluster` in a report: its first, or its last when the first
    /// is the left-out one.
    pub(super) fn shown_reply(&self, cluster: u32) -> u32 {
        let c = &self.index.corpus().cluster(cluster);
        match &self.excluded {
            Some(e) if e.reply == c.first_reply() => c.last_reply(),
            _ => c.first_reply(),
        }
    }

    /// The cluster of the left-out reply, when it is an archive reply (not a reference one).
    #[cfg_attr(not(feature = "semantic"), allow(dead_code))]
    pub(super) fn left_out_archive_cluster(&self) -> Option<u32> {
        self.excluded
            .as_ref()
            .filter(|e| !self.index.corpus().is_reference_cluster(e.cluster))
            .map(|e| e.cluster)
    }

    /// The left-out replies of the family of `root`: 1 when the left-out reply is one of its
    /// archive replies (it does not count in the family's usage), else 0.
    pub(super) fn left_out_of_family(&self, root: u32) -> u32 {
        self.excluded.as_ref().map_or(0, |e| {
            let families = self.index.families();
            u32::from(
                families.root(e.cluster) == root && !self.index.corpus().is_reference(e.reply),
            )
        })
    }
}
