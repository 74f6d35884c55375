//! Mining: the root of each cluster's family, found from the clusters' rarest shingles and the
//! same-template rules of [`crate::align`], for a whole index or for one cluster an insert added.

use super::families::{Families, families_from_roots};
use crate::align::same_template;
use crate::store::{Column, Corpus, ShingleStat};
use crate::text::shingles::shingles_of_keys;

/// How many of a root's rarest shingles give its candidates when mining, and into how many runs
/// its shingles are cut for the rarest of each run.
const MINE_SHINGLES: usize = 4;

/// Groups the clusters of `corpus` into families (see the module docs).
pub(crate) fn mine(corpus: &Corpus) -> Families {
    families_from_roots(corpus, assign_roots(corpus).into())
}

/// The root cluster of each cluster's family: the mining proper, the part a saved index keeps.
fn assign_roots(corpus: &Corpus) -> Vec<u32> {
    let n = corpus.cluster_count();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(corpus.cluster(c).count()), c));
    let mut root_of = vec![u32::MAX; n];
    let mut overlap = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut hashes = Vec::new();
    let mut rarest: Vec<(u32, u64, ShingleStat)> = Vec::new();
    let mut found = Vec::new();
    for &root in &order {
        if root_of[root as usize] != u32::MAX {
            continue;
        }
        root_of[root as usize] = root;
        let root_keys = corpus.cluster_keys(root);
        rarest_shingles(corpus, root_keys, &mut hashes, &mut found, &mut rarest);
        for (_, _, stat) in &rarest {
            for c in corpus.postings_of(stat) {
                if root_of[c as usize] != u32::MAX {
                    continue;
                }
                if overlap[c as usize] == 0 {
                    touched.push(c);
                }
                overlap[c as usize] += 1;
            }
        }
        // A cluster sharing enough of them is a candidate; the LCS check decides.
        let need = shared_needed(&rarest);
        touched.sort_unstable();
        for &c in &touched {
            let shared = std::mem::take(&mut overlap[c as usize]) as usize;
            if shared < need {
                continue;
            }
            let keys = corpus.cluster_keys(c);
            if same_template(root_keys, keys).0 {
                root_of[c as usize] = root;
            }
        }
        touched.clear();
    }
    root_of
}

/// The shingles of `keys` that mining looks candidates up by, into `rarest` (each with its cluster
/// count, hash and record, in order of hash).
///
/// Candidates come from a few of the rarest shingles only: the lists of common shingles are long
/// (and capped) and would make mining cost grow with the corpus. The shingles are cut into
/// `MINE_SHINGLES` runs and the rarest of each run is taken, besides the rarest overall: a variant
/// loses the shingles around a word it changed, or those around the sign-off when it adds a
/// sentence after it, and so keeps the picks of the other runs, while the rarest overall often sit
/// together. Each shingle is looked up once (a cache miss or two in a table of millions), its
/// record kept; rarity orders by cluster count, then hash.
fn rarest_shingles(
    corpus: &Corpus,
    keys: &[u32],
    hashes: &mut Vec<u64>,
    found: &mut Vec<Option<ShingleStat>>,
    rarest: &mut Vec<(u32, u64, ShingleStat)>,
) {
    hashes.clear();
    shingles_of_keys(keys, corpus.config().ngram, hashes);
    rarest.clear();
    corpus.shingles_of(hashes, found);
    // Sized for every shingle at once: a collect of the filtered shingles grew its vector a
    // few times a cluster (1% of a build's instructions in reallocations).
    let mut stats: Vec<(u32, u64, ShingleStat)> = Vec::with_capacity(hashes.len());
    stats.extend(
        (hashes.iter().zip(found.iter())).filter_map(|(&h, s)| s.map(|s| (s.clusters(), h, s))),
    );
    let rarity = |&(clusters, h, _): &(u32, u64, ShingleStat)| (clusters, h);
    let run = stats.len().div_ceil(MINE_SHINGLES).max(1);
    rarest.extend(
        stats
            .chunks(run)
            .filter_map(|c| c.iter().min_by_key(|s| rarity(s)).copied()),
    );
    let mut sorted = stats;
    sorted.sort_unstable_by_key(rarity);
    sorted.dedup_by_key(|s| rarity(s));
    rarest.extend(sorted.into_iter().take(MINE_SHINGLES));
    rarest.sort_unstable_by_key(|&(_, h, _)| h);
    rarest.dedup_by_key(|&mut (_, h, _)| h);
}

/// How many of the `rarest` shingles of a cluster another must share to be weighed beside it:
/// two, or one when it has fewer than three (mining and `claim_root` alike).
fn shared_needed(rarest: &[(u32, u64, ShingleStat)]) -> usize {
    if rarest.len() >= 3 { 2 } else { 1 }
}

/// The family a cluster added after mining joins: the family of the first root, in mining order
/// (most replies first), that the test of mining accepts it under, among the roots of the
/// clusters that share its rarest shingles (two of them, or one when it has fewer than three);
/// else the family of the first of those clusters (most replies first) that the test accepts it
/// beside (mining would have weighed it against every variant of the group first: on 100,000
/// re-sent replies with the last half inserted, this took grouping accuracy from 0.824 to
/// 0.833); else a family of its own. `roots` holds the roots of the clusters before it.
pub(crate) fn claim_root(corpus: &Corpus, roots: &Column<u32>, cluster: u32) -> u32 {
    let keys = corpus.cluster_keys(cluster);
    let (mut hashes, mut found, mut rarest) = (Vec::new(), Vec::new(), Vec::new());
    rarest_shingles(corpus, keys, &mut hashes, &mut found, &mut rarest);
    let mut shared: Vec<u32> = rarest
        .iter()
        .flat_map(|(_, _, stat)| corpus.postings_of(stat))
        .filter(|&c| (c as usize) < roots.len())
        .collect();
    shared.sort_unstable();
    let need = shared_needed(&rarest);
    let members: Vec<u32> = shared
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= need)
        .map(|run| run[0])
        .collect();
    let mut candidates: Vec<u32> = members.iter().map(|&x| *roots.get(x as usize)).collect();
    candidates.sort_unstable_by_key(|&r| (std::cmp::Reverse(corpus.cluster(r).count()), r));
    candidates.dedup();
    let by_root = candidates
        .into_iter()
        .find(|&root| same_template(corpus.cluster_keys(root), keys).0);
    if let Some(root) = by_root {
        return root;
    }
    let mut members = members;
    members.sort_unstable_by_key(|&x| (std::cmp::Reverse(corpus.cluster(x).count()), x));
    members
        .into_iter()
        .find(|&x| same_template(corpus.cluster_keys(x), keys).0)
        .map_or(cluster, |x| *roots.get(x as usize))
}
