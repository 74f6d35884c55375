//! Matching: the template a reply instantiates, through the family of its nearest cluster
//! (Rules 1 to 3 of [`crate::align`]) or an imported macro it fills in (Rule 4).

use super::families::Families;
use super::listing::macro_name;
use super::render::template_text;
use super::{Matched, TemplateMatch};
use crate::align::{CONTAIN, instantiates_macro, same_template};
use crate::store::Corpus;

/// The template of the family of `cluster`, if the reply with token keys `keys` is the same
/// template as the family's root and the family has at least `min_support` archive replies
/// (`left_out` replies of the family not counted), or is an imported macro.
pub(crate) fn template_of_cluster(
    corpus: &Corpus,
    families: &Families,
    cluster: u32,
    keys: &[u32],
    left_out: impl Fn(u32) -> u32,
) -> Option<Matched> {
    let root = families.root(cluster);
    let shown = families.display_root(root);
    let (same, dice) = same_template(keys, corpus.cluster_keys(shown));
    if !same {
        return None;
    }
    template_of_family(corpus, families, root, dice, left_out(root))
}

/// The imported macro a reply instantiates most completely, if any.
pub(crate) fn macro_template(
    corpus: &Corpus,
    families: &Families,
    keys: &[u32],
    left_out: impl Fn(u32) -> u32,
) -> Option<Matched> {
    if families.macro_roots.is_empty() {
        return None;
    }
    let mut sorted: Vec<u32> = keys.to_vec();
    sorted.sort_unstable();
    let mut best: Option<(f64, u32)> = None;
    for &root in &families.macro_roots {
        let (_, cluster) = families.macros[&root];
        let macro_keys = corpus.cluster_keys(cluster);
        // Cheap filter first: most of the macro's words must be in the reply.
        let words: Vec<u32> = macro_keys
            .iter()
            .copied()
            .filter(|&k| !crate::text::is_slot_key(k))
            .collect();
        let present = words
            .iter()
            .filter(|k| sorted.binary_search(k).is_ok())
            .count();
        if words.is_empty() || (present as f64) < CONTAIN * words.len() as f64 {
            continue;
        }
        if let Some(similarity) = instantiates_macro(keys, macro_keys) {
            if best.is_none_or(|(s, r)| similarity > s || (similarity == s && root < r)) {
                best = Some((similarity, root));
            }
        }
    }
    let (similarity, root) = best?;
    template_of_family(corpus, families, root, similarity, left_out(root))
}

fn template_of_family(
    corpus: &Corpus,
    families: &Families,
    root: u32,
    similarity: f64,
    left_out: u32,
) -> Option<Matched> {
    let count = families.replies(root).saturating_sub(left_out);
    if count < corpus.config().min_support && families.macro_of(root).is_none() {
        return None;
    }
    let id = families.rank(root, corpus.config().min_support)?;
    Some(Matched {
        template: TemplateMatch {
            id,
            text: template_text(corpus, families, root),
            similarity,
            count,
            name: macro_name(corpus, families, root),
        },
        macro_cluster: families.macro_of(root).map(|(_, cluster)| cluster),
    })
}
