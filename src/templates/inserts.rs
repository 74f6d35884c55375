//! The families after inserts: the families before them updated for the clusters the inserts
//! added and the families whose counts changed, at the cost of the change rather than of the
//! index.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::families::{families_from_roots, Families};
use crate::store::Corpus;

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
    root_of: Arc<Vec<u32>>,
    replies_before: usize,
    clusters_before: usize,
) -> Families {
    let n = corpus.cluster_count();
    let added = replies_before..corpus.reply_clusters().len();
    let mut changed: Vec<u32> = added
        .clone()
        .map(|reply| root_of[corpus.reply_clusters()[reply] as usize])
        .collect();
    changed.sort_unstable();
    let deltas: Vec<(u32, u32)> = changed
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u32))
        .collect();
    changed.dedup();
    let references = corpus.reference_groups();
    if changed.len() > UPDATE_LIMIT
        || n - clusters_before > UPDATE_LIMIT
        || (added.clone()).any(|reply| references.contains(corpus.reply_groups()[reply]))
    {
        return families_from_roots(corpus, root_of);
    }
    let mut f = old;
    let min_support = f.config_min_support;
    let was_changed = |root: u32| changed.binary_search(&root).is_ok();
    // The texts a loaded index carries, as the texts rendered on use (once).
    if let Some(saved) = f.saved_texts.take() {
        f.texts = (0..saved.len())
            .map(|i| std::sync::OnceLock::from(Arc::from(saved.get(i))))
            .collect();
    }
    // Without macros the templates are the head of the ranking (the families of at least
    // `min_support` replies) and need not be listed; with them they are listed before and after.
    let old_templates: Vec<u32> = if f.macros.is_empty() {
        Vec::new()
    } else {
        f.chosen(min_support).take(f.texts.len()).collect()
    };
    // Columns by cluster, for the clusters added.
    f.replies.resize(n, 0);
    f.rank_at_config.resize(n, 0);
    // The members of each cluster added, at the end of its family's (clusters in order).
    for c in clusters_before as u32..n as u32 {
        let total = *f.member_start.last().expect("n + 1 starts");
        f.member_start.push(total);
        let root = root_of[c as usize] as usize;
        f.members.insert(f.member_start[root + 1] as usize, c);
        for start in &mut f.member_start[root + 1..] {
            *start += 1;
        }
    }
    // Each changed family leaves the ranking, takes its new count, and comes back in its place.
    let ranked_key = |replies: &[u32], r: u32| (std::cmp::Reverse(replies[r as usize]), r);
    let in_ranking = |f: &Families, r: u32| {
        !corpus.cluster_keys(r).is_empty()
            && (f.replies[r as usize] > 0 || f.macros.contains_key(&r))
    };
    let place = |f: &Families, root: u32| {
        let key = ranked_key(&f.replies, root);
        let at = (f.ranked).binary_search_by_key(&key, |&r| ranked_key(&f.replies, r));
        debug_assert!(at.is_ok(), "a family in the ranking is found in it");
        at.ok()
    };
    let old_places: Vec<Option<usize>> = changed
        .iter()
        .map(|&root| in_ranking(&f, root).then(|| place(&f, root)).flatten())
        .collect();
    // Removed from the last place up, so that the places above stay where they were found.
    let mut leaving: Vec<usize> = old_places.iter().flatten().copied().collect();
    leaving.sort_unstable_by(|a, b| b.cmp(a));
    for at in leaving {
        f.ranked.remove(at);
    }
    for &(root, added) in &deltas {
        f.replies[root as usize] += added;
    }
    for &root in &changed {
        if in_ranking(&f, root) {
            let key = ranked_key(&f.replies, root);
            let at = f
                .ranked
                .partition_point(|&r| ranked_key(&f.replies, r) < key);
            f.ranked.insert(at, root);
        }
    }
    if f.macros.is_empty() {
        // Counts only grew: the templates before (the first `old_count` of the ranking) are
        // all templates still, and only the ranks from the highest place a changed family left
        // or took to the lowest it left (or to the end, when a family became a template) change.
        let old_count = f.texts.len();
        let new_count = (f.ranked).partition_point(|&r| f.replies[r as usize] >= min_support);
        let (mut low, mut high) = (usize::MAX, 0);
        for (&root, &old) in changed.iter().zip(&old_places) {
            if let Some(old) = old.filter(|&p| p < old_count) {
                low = low.min(old);
                high = high.max(old + 1);
            }
            // (A family whose root has no token is not ranked, whatever its count.)
            if f.replies[root as usize] >= min_support && in_ranking(&f, root) {
                if let Some(new) = place(&f, root) {
                    low = low.min(new);
                }
            }
        }
        if low != usize::MAX {
            if new_count > old_count {
                high = old_count;
            }
            let high_new = high + (new_count - old_count);
            let Families {
                ranked,
                texts,
                rank_at_config,
                ..
            } = &mut f;
            let window: Vec<std::sync::OnceLock<Arc<str>>> = ranked[low..high_new]
                .iter()
                .map(|&root| match rank_at_config[root as usize] as usize {
                    old_rank if old_rank > 0 && !was_changed(root) => {
                        std::mem::take(&mut texts[old_rank - 1])
                    }
                    _ => std::sync::OnceLock::new(),
                })
                .collect();
            texts.splice(low..high, window);
            for (i, &root) in ranked.iter().enumerate().take(high_new).skip(low) {
                rank_at_config[root as usize] = i as u32 + 1;
            }
        }
        f.root_of = root_of;
        return f;
    }
    // Template ids and texts in the new order (with macros, listed).
    let templates: Vec<u32> = f.chosen(min_support).collect();
    // Only the ranks between the first and the last that changed hands (or whose family changed)
    // get new texts; the ranks after them are numbered again if the count of templates changed.
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
    for (&root, text) in old_templates[old_window.clone()]
        .iter()
        .zip(&f.texts[old_window.clone()])
    {
        f.rank_at_config[root as usize] = 0;
        if let Some(text) = text.get().filter(|_| !was_changed(root)) {
            kept.insert(root, text.clone());
        }
    }
    let window_texts: Vec<std::sync::OnceLock<Arc<str>>> = templates[new_window.clone()]
        .iter()
        .map(|root| {
            kept.remove(root)
                .map_or_else(std::sync::OnceLock::new, std::sync::OnceLock::from)
        })
        .collect();
    f.texts.splice(old_window.clone(), window_texts);
    let renumbered = if old_window.len() == new_window.len() {
        new_window
    } else {
        new_window.start..templates.len()
    };
    for i in renumbered {
        f.rank_at_config[templates[i] as usize] = i as u32 + 1;
    }
    f.root_of = root_of;
    f
}
