//! The nearest past replies: candidate clusters counted by the phrases they share with the
//! reply (rarest first, within a budget of postings), the best verified by token edit distance.
//!
//! # Design, and why
//!
//! Posting lists are capped (`max_postings`, 256 by default): the shingles of stock phrases occur
//! in thousands of clusters, and scanning those lists would make a query's cost grow with the
//! corpus. The frequencies stay exact past the cap, so the boilerplate spans and the support of a
//! phrase are exact; only the candidate set for the nearest replies is drawn from the first
//! clusters of a common shingle (the earliest, which for a template are the ones seen first) and
//! from the rarer shingles, which are never capped in practice.
//!
//! Candidates are ranked by the number of shingles they share with the query, counted over the
//! query's rarest shingles first until a budget of 1,024 postings is spent (a near-copy shares the
//! rare shingles of its family; each posting visited is a cache miss), and the best eight are
//! verified with a bit-parallel edit distance over token keys (rapidfuzz). At a million replies
//! the budget lowered the mean nearest similarity of 20,000 held-out re-sends from 0.8143 to
//! 0.8136 and left the dev-set quality unchanged. This is exact overlap counting over a
//! compact inverted index; MinHash/LSH was not used because on short canned replies two copies of
//! one template share only about half their 3-grams (so LSH at useful thresholds misses them) and
//! LSH buckets of a canned corpus hold thousands of replies, so query time tracks bucket size.

use crate::report::Neighbour;
use crate::store::ShingleStat;

use super::Scorer;
use super::tally::POSTINGS_BUDGET;
use super::view::View;

/// How many candidate clusters are verified by edit distance for the nearest replies.
const CANDIDATES: usize = 8;

impl Scorer<'_> {
    /// The nearest clusters: candidates by shared shingles, verified by token edit distance.
    /// Returns the neighbours and the cluster of the nearest with its similarity (verified even
    /// when the report lists no neighbours).
    pub(super) fn nearest(
        &mut self,
        view: &View<'_>,
        own: Option<u32>,
        found: &[Option<ShingleStat>],
    ) -> (Vec<Neighbour>, Option<(u32, f64)>) {
        let wanted = self.index.corpus().config().neighbours;
        if self.b.keys.is_empty() {
            return (Vec::new(), None);
        }
        let ranked = self.count_shared(view, own, found, CANDIDATES.max(wanted).max(1));
        // The best one names the template even when no neighbour is wanted.
        let mut verified = self.verify(view, &ranked, wanted.max(1));
        let best = verified.first().map(|v| (v.2, v.0));
        // Every verified candidate, listed or not (the semantic stage compares the reply with
        // them).
        self.b.verified.clear();
        self.b.verified.extend(verified.iter().map(|v| v.2));
        verified.truncate(wanted);
        (self.neighbours(view, verified), best)
    }

    /// The `best` clusters by the number of the reply's shingles they share (its own cluster
    /// first), counted over its rarest shingles first while a budget of postings lasts.
    fn count_shared(
        &mut self,
        view: &View<'_>,
        own: Option<u32>,
        found: &[Option<ShingleStat>],
        best: usize,
    ) -> Vec<(u32, u32)> {
        let index = self.index;
        let b = &mut self.b;
        // The reply's distinct shingles that the index has, in order of hash.
        let mut distinct = std::mem::take(&mut b.distinct);
        distinct.clear();
        distinct.extend(
            b.hashes
                .iter()
                .zip(found)
                .filter_map(|(&h, s)| s.map(|s| (h, s))),
        );
        distinct.sort_unstable_by_key(|&(h, _)| h);
        distinct.dedup_by_key(|&mut (h, _)| h);
        // Rarest shingles first, while the budget of postings lasts: a near-copy shares the
        // rare shingles of its family, while the capped lists of common phrases name replies
        // at random among thousands and cost a cache miss each.
        distinct.sort_by_key(|(_, s)| (s.clusters(), s.first_cluster()));
        let mut visited = 0usize;
        // The cluster a left-out reply takes with it, if any (no cluster is `u32::MAX`: the
        // tally's keys are clusters plus one).
        let gone_cluster = view.gone_cluster();
        // Where every list is, and its first cluster, read before any is counted: the cache
        // misses of different lists overlap.
        let lists: Vec<(u32, &[u32], u32)> = distinct
            .iter()
            .map(|(_, stat)| {
                let more = index.corpus().more_postings(stat);
                (
                    stat.first_cluster(),
                    more,
                    more.first().copied().unwrap_or(0),
                )
            })
            .collect();
        // The postings are copied out of their lists first, then counted: the copies' cache
        // misses overlap, where counting list by list waited on each in turn.
        let mut postings = std::mem::take(&mut b.postings);
        postings.clear();
        for &(first, more, head) in &lists {
            if visited >= POSTINGS_BUDGET {
                break;
            }
            visited += 1 + more.len();
            postings.push(first);
            if let Some((_, rest)) = more.split_first() {
                postings.push(head);
                postings.extend_from_slice(rest);
            }
        }
        b.shared.add_each(&postings, gone_cluster);
        b.postings = postings;
        if let Some(c) = own.filter(|&c| !view.is_gone(c)) {
            b.shared.add(c, u32::MAX / 2);
        }
        b.distinct = distinct;
        let mut ranked: Vec<(u32, u32)> = Vec::new();
        b.shared.drain_best(best, &mut ranked);
        ranked
    }

    /// The `ranked` candidates verified by bit-parallel edit distance over token keys (the
    /// query's pattern built once), as (similarity, replies in the view, cluster), best first.
    /// A candidate whose length alone bounds its similarity below the `least`-th best so far
    /// cannot be among the first `least`: its distance is not computed.
    fn verify(&self, view: &View<'_>, ranked: &[(u32, u32)], least: usize) -> Vec<(f64, u32, u32)> {
        let corpus = self.index.corpus();
        let query_keys = self.b.keys.as_slice();
        let query =
            rapidfuzz::distance::levenshtein::BatchComparator::new(query_keys.iter().copied());
        let order = |a: &(f64, u32, u32), b: &(f64, u32, u32)| {
            b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
        };
        let query_len = query_keys.len();
        let mut verified: Vec<(f64, u32, u32)> = Vec::with_capacity(ranked.len());
        // The candidates' records and first keys, read for all of them first (their cache misses
        // overlap).
        let candidates: Vec<(u32, u32, &[u32])> = ranked
            .iter()
            .map(|&(c, _)| {
                let keys = corpus.cluster_keys(c);
                std::hint::black_box(keys.first().copied());
                (c, corpus.cluster(c).count(), keys)
            })
            .collect();
        for &(c, count, keys) in &candidates {
            let longer = query_len.max(keys.len()).max(1);
            let similarity = |distance: usize| 1.0 - distance as f64 / longer as f64;
            // The edit distance is at least the difference in length.
            let bound = similarity(query_len.abs_diff(keys.len()));
            if verified.len() >= least && bound < verified[least - 1].0 {
                continue;
            }
            // An exact copy (the reply's own cluster, most often) is at distance 0.
            let distance = if keys == query_keys {
                0
            } else {
                query.distance(keys.iter().copied())
            };
            let count = view.cluster_count(c, count);
            let candidate = (similarity(distance), count, c);
            let at = verified.partition_point(|v| order(v, &candidate).is_lt());
            verified.insert(at, candidate);
        }
        verified
    }

    /// The neighbours of the `verified` clusters: the id of the reply each shows, and its text.
    fn neighbours(&self, view: &View<'_>, verified: Vec<(f64, u32, u32)>) -> Vec<Neighbour> {
        let corpus = self.index.corpus();
        // Every neighbour's id and text found before any is copied (their cache misses overlap).
        let found: Vec<(f64, u32, &str, &str)> = verified
            .into_iter()
            .map(|(similarity, count, c)| {
                let id = corpus.id(view.shown_reply(c));
                (similarity, count, id, corpus.cluster_text(c))
            })
            .collect();
        found
            .into_iter()
            .map(|(similarity, count, id, text)| Neighbour {
                id: id.to_string(),
                similarity,
                count,
                text: text.to_string(),
            })
            .collect()
    }
}
