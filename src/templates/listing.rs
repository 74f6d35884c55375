//! Listing: the templates of an index with their counts, examples, groups and times, and the
//! template id of each reply.

use super::Template;
use super::families::Families;
use super::render::template_text;
use crate::store::{Corpus, NO_GROUP};

/// The templates of the index: families of at least `min_support` replies (stock replies not
/// counted) or imported macros, most used first (see `Index::templates`).
pub(crate) fn templates(corpus: &Corpus, families: &Families, min_support: u32) -> Vec<Template> {
    let min_support = min_support.max(1);
    let archive_replies = (corpus.len() as u32).saturating_sub(corpus.stock_replies());
    let chosen: Vec<u32> = families.chosen(min_support).collect();
    // Per family: examples and group counts, in one pass over the replies.
    let mut slot = vec![usize::MAX; corpus.cluster_count()];
    for (i, &root) in chosen.iter().enumerate() {
        slot[root as usize] = i;
    }
    let mut seen: Vec<Option<(i64, i64)>> = vec![None; chosen.len()];
    let mut examples: Vec<Vec<String>> = vec![Vec::new(); chosen.len()];
    let mut groups: Vec<Vec<(u32, u32)>> = vec![Vec::new(); chosen.len()];
    let references = corpus.reference_groups();
    for (reply, (cluster, g)) in corpus.replies().enumerate() {
        if references.contains(g) {
            continue;
        }
        let i = slot[families.root(cluster) as usize];
        if i == usize::MAX {
            continue;
        }
        if examples[i].len() < 3 {
            examples[i].push(corpus.id(reply as u32).to_string());
        }
        if let Some(t) = corpus.time_of(reply as u32) {
            seen[i] = Some(seen[i].map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
        if g != NO_GROUP {
            match groups[i].iter_mut().find(|(gg, _)| *gg == g) {
                Some(e) => e.1 += 1,
                None => groups[i].push((g, 1)),
            }
        }
    }
    chosen
        .iter()
        .enumerate()
        .map(|(i, &root)| {
            let mut by_group: Vec<(String, u32)> = groups[i]
                .iter()
                .map(|&(g, n)| (corpus.group_name(g).to_string(), n))
                .collect();
            by_group.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let count = families.replies(root);
            Template {
                id: i + 1,
                text: template_text(corpus, families, root),
                count,
                share: if archive_replies == 0 {
                    0.0
                } else {
                    count as f64 / archive_replies as f64
                },
                variants: families.variants(corpus, root),
                examples: std::mem::take(&mut examples[i]),
                groups: by_group,
                name: macro_name(corpus, families, root),
                first_seen: seen[i].map(|s| s.0),
                last_seen: seen[i].map(|s| s.1),
            }
        })
        .collect()
}

/// The title of a family's macro, if it has one.
pub(crate) fn macro_name(corpus: &Corpus, families: &Families, root: u32) -> Option<String> {
    families.macro_of(root).map(|(reply, _)| {
        let id = corpus.id(reply);
        id.strip_prefix("macro:").unwrap_or(id).to_string()
    })
}

/// The template id of each reply, in insertion order: the rank of its family among the
/// families of at least `min_support` replies, or `None` (stock replies, replies in smaller
/// families, replies with no token). With `min_support` 1 every archive reply with a token
/// has one: the ids then partition the archive into families.
pub(crate) fn reply_template_ids(
    corpus: &Corpus,
    families: &Families,
    min_support: u32,
) -> Vec<Option<usize>> {
    let min_support = min_support.max(1);
    let mut rank = vec![None; corpus.cluster_count()];
    for (i, root) in families.chosen(min_support).enumerate() {
        rank[root as usize] = Some(i + 1);
    }
    let references = corpus.reference_groups();
    corpus
        .replies()
        .map(|(c, group)| {
            if references.contains(group) {
                None
            } else {
                rank[families.root(c) as usize]
            }
        })
        .collect()
}
