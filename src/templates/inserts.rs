//! The families after inserts: the families before them updated for the clusters the inserts
//! added and the families whose counts changed, at the cost of the change rather than of the
//! index.

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use super::families::{Families, families_from_roots};
use crate::store::{Column, Corpus};

/// More roots whose counts an insert changed, or more clusters it added, than this, and the
/// families are derived again instead of updated (`families_after_inserts`).
const UPDATE_LIMIT: usize = 64;

/// The families after replies were inserted into `corpus` (`Index::extend`), the clusters they
/// added joined to families in `root_of`, from the families before them (`old`, of the first
/// `replies_before` replies and `clusters_before` clusters): the same families that
/// [`families_from_roots`] derives, at the cost of the change rather than of the index. (It
/// derives them when many families changed, or when a reply inserted is a reference reply.)
pub(crate) fn families_after_inserts(
    corpus: &Corpus,
    old: Families,
    root_of: Column<u32>,
    replies_before: usize,
    clusters_before: usize,
) -> Families {
    let added = replies_before..corpus.len();
    let (changed, deltas) = changed_families(corpus, &root_of, added.clone());
    let references = corpus.reference_groups();
    if changed.len() > UPDATE_LIMIT
        || corpus.cluster_count() - clusters_before > UPDATE_LIMIT
        || (added.clone()).any(|reply| references.contains(corpus.reply_group(reply as u32)))
    {
        return families_from_roots(corpus, root_of);
    }
    let mut f = old;
    f.unpack_saved_texts();
    // Without macros the templates are the head of the ranking (the families of at least
    // `min_support` replies) and need not be listed; with them they are listed before and after.
    let old_templates: Vec<u32> = if f.macros.is_empty() {
        Vec::new()
    } else {
        f.chosen(f.config_min_support).take(f.texts.len()).collect()
    };
    f.add_members(&root_of, clusters_before, corpus.cluster_count());
    let old_places = f.rerank(corpus, &changed, &deltas);
    if f.macros.is_empty() {
        f.renumber_head(corpus, &changed, &old_places);
    } else {
        f.renumber_listed(&old_templates, &changed);
    }
    f.root_of = root_of;
    f
}

/// The roots of the families that the replies `added` joined (sorted, each once), and how many
/// of them joined each.
fn changed_families(
    corpus: &Corpus,
    root_of: &Column<u32>,
    added: std::ops::Range<usize>,
) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut changed: Vec<u32> = added
        .map(|reply| *root_of.get(corpus.reply_cluster(reply as u32) as usize))
        .collect();
    changed.sort_unstable();
    let deltas: Vec<(u32, u32)> = changed
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u32))
        .collect();
    changed.dedup();
    (changed, deltas)
}

/// The key a family ranks by: most replies first, then by root.
fn ranked_key(replies: &Column<u32>, root: u32) -> (std::cmp::Reverse<u32>, u32) {
    (std::cmp::Reverse(*replies.get(root as usize)), root)
}

impl Families {
    /// The texts a loaded index carries, as the texts rendered on use (once).
    fn unpack_saved_texts(&mut self) {
        if let Some(saved) = self.saved_texts.take() {
            self.texts = (0..saved.len())
                .map(|i| OnceLock::from(Arc::from(saved.get(i))))
                .collect();
        }
    }

    /// The clusters from `clusters_before` to `n`, added by the inserts: their columns, and each
    /// at the end of its family's members (clusters in order).
    fn add_members(&mut self, root_of: &Column<u32>, clusters_before: usize, n: usize) {
        self.replies.push_n(n - self.replies.len(), 0);
        self.rank_at_config.push_n(n - self.rank_at_config.len(), 0);
        for c in clusters_before as u32..n as u32 {
            self.members.add(*root_of.get(c as usize), c);
        }
    }

    /// Whether family `root` is in the ranking: its root has a token, and it has replies or a
    /// macro.
    fn in_ranking(&self, corpus: &Corpus, root: u32) -> bool {
        !corpus.cluster_keys(root).is_empty()
            && (self.replies(root) > 0 || self.macros.contains_key(&root))
    }

    /// The place of family `root` in the ranking.
    fn place(&self, root: u32) -> Option<usize> {
        let key = ranked_key(&self.replies, root);
        let at = (self.ranked).binary_search_by_key(&key, |&r| ranked_key(&self.replies, r));
        debug_assert!(at.is_ok(), "a family in the ranking is found in it");
        at.ok()
    }

    /// Each `changed` family leaves the ranking, takes its new count (`deltas`), and comes back
    /// in its place. Gives the places they left.
    fn rerank(
        &mut self,
        corpus: &Corpus,
        changed: &[u32],
        deltas: &[(u32, u32)],
    ) -> Vec<Option<usize>> {
        let old_places: Vec<Option<usize>> = changed
            .iter()
            .map(|&root| {
                (self.in_ranking(corpus, root))
                    .then(|| self.place(root))
                    .flatten()
            })
            .collect();
        // Removed from the last place up, so that the places above stay where they were found.
        let mut leaving: Vec<usize> = old_places.iter().flatten().copied().collect();
        leaving.sort_unstable_by(|a, b| b.cmp(a));
        for at in leaving {
            self.ranked.remove(at);
        }
        for &(root, added) in deltas {
            *self.replies.get_mut(root as usize) += added;
        }
        for &root in changed {
            if self.in_ranking(corpus, root) {
                let key = ranked_key(&self.replies, root);
                let at = partition_point(&self.ranked, |r| ranked_key(&self.replies, r) < key);
                self.ranked.insert(at, root);
            }
        }
        old_places
    }

    /// The template ids and texts after a rerank, without macros: counts only grew, so the
    /// templates before (the first `old_count` of the ranking) are all templates still, and only
    /// the ranks from the highest place a changed family left or took to the lowest it left (or
    /// to the end, when a family became a template) change.
    fn renumber_head(&mut self, corpus: &Corpus, changed: &[u32], old_places: &[Option<usize>]) {
        let min_support = self.config_min_support;
        let old_count = self.texts.len();
        let new_count = partition_point(&self.ranked, |r| self.replies(r) >= min_support);
        let (mut low, mut high) = (usize::MAX, 0);
        for (&root, &old) in changed.iter().zip(old_places) {
            if let Some(old) = old.filter(|&p| p < old_count) {
                low = low.min(old);
                high = high.max(old + 1);
            }
            // (A family whose root has no token is not ranked, whatever its count.)
            if self.replies(root) >= min_support && self.in_ranking(corpus, root) {
                if let Some(new) = self.place(root) {
                    low = low.min(new);
                }
            }
        }
        if low == usize::MAX {
            return;
        }
        if new_count > old_count {
            high = old_count;
        }
        let high_new = high + (new_count - old_count);
        let was_changed = |root: u32| changed.binary_search(&root).is_ok();
        let Families {
            ranked,
            texts,
            rank_at_config,
            ..
        } = self;
        let window: Vec<OnceLock<Arc<str>>> = (low..high_new)
            .map(|i| ranked[i])
            .map(|root| match *rank_at_config.get(root as usize) as usize {
                old_rank if old_rank > 0 && !was_changed(root) => {
                    std::mem::take(&mut texts[old_rank - 1])
                }
                _ => OnceLock::new(),
            })
            .collect();
        splice(texts, low..high, window);
        for (i, &root) in ranked.iter().enumerate().take(high_new).skip(low) {
            *rank_at_config.get_mut(root as usize) = i as u32 + 1;
        }
    }

    /// The template ids and texts after a rerank, with macros: the templates listed before
    /// (`old_templates`) and after. Only the ranks between the first and the last that changed
    /// hands (or whose family changed) get new texts; the ranks after them are numbered again
    /// if the count of templates changed.
    fn renumber_listed(&mut self, old_templates: &[u32], changed: &[u32]) {
        let was_changed = |root: u32| changed.binary_search(&root).is_ok();
        let templates: Vec<u32> = self.chosen(self.config_min_support).collect();
        let same = |(a, b): (&u32, &u32)| a == b && !was_changed(*a);
        let head = old_templates
            .iter()
            .zip(&templates)
            .take_while(|&p| same(p))
            .count();
        let shorter = old_templates.len().min(templates.len()) - head;
        let tail = (old_templates.iter().rev())
            .zip(templates.iter().rev())
            .take(shorter)
            .take_while(|&p| same(p))
            .count();
        let old_window = head..old_templates.len() - tail;
        let new_window = head..templates.len() - tail;
        let mut kept: FxHashMap<u32, Arc<str>> = FxHashMap::default();
        for (&root, text) in old_templates[old_window.clone()].iter().zip(
            self.texts
                .iter()
                .skip(old_window.start)
                .take(old_window.len()),
        ) {
            *self.rank_at_config.get_mut(root as usize) = 0;
            if let Some(text) = text.get().filter(|_| !was_changed(root)) {
                kept.insert(root, text.clone());
            }
        }
        let window_texts: Vec<OnceLock<Arc<str>>> = templates[new_window.clone()]
            .iter()
            .map(|root| kept.remove(root).map_or_else(OnceLock::new, OnceLock::from))
            .collect();
        splice(&mut self.texts, old_window.clone(), window_texts);
        let renumbered = if old_window.len() == new_window.len() {
            new_window
        } else {
            new_window.start..templates.len()
        };
        for i in renumbered {
            *self.rank_at_config.get_mut(templates[i] as usize) = i as u32 + 1;
        }
    }
}

/// The first place in `ranked` where `before` is false (it must be true, then false, along it).
fn partition_point(ranked: &imbl::Vector<u32>, before: impl Fn(u32) -> bool) -> usize {
    ranked
        .binary_search_by(|&r| {
            if before(r) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        })
        .unwrap_or_else(|at| at)
}

/// Replaces the items in `range` of `items` by `with`.
fn splice<T: Clone>(items: &mut imbl::Vector<T>, range: std::ops::Range<usize>, with: Vec<T>) {
    if range.len() == with.len() {
        // In place (most inserts): a split and a join would rebalance the tree.
        for (at, item) in range.zip(with) {
            items.set(at, item);
        }
        return;
    }
    let tail = items.split_off(range.end);
    items.truncate(range.start);
    items.extend(with);
    items.append(tail);
}
