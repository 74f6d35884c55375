//! Rendering: a family's template text, its root's text with typed slots as placeholders and
//! `<*>` where a quarter or more of its replies differ, aligned member by member.

use super::families::Families;
use crate::align::{Aligner, MAX_ALIGN};
use crate::store::Corpus;
use crate::text::tokenize;

/// Fraction of a family's replies that must differ at a place for it to print as `<*>`.
const VARIES: f64 = 0.25;

/// The text of a family's template: the root's text with slots as placeholders and the places
/// where members differ as `<*>`.
pub(crate) fn template_text(corpus: &Corpus, families: &Families, family: u32) -> String {
    match *families.rank_at_config.get(family as usize) {
        0 => render_template(corpus, families, family),
        rank => match &families.saved_texts {
            Some(saved) => saved.get(rank as usize - 1).to_string(),
            None => families.texts[rank as usize - 1]
                .get_or_init(|| render_template(corpus, families, family).into())
                .to_string(),
        },
    }
}

fn render_template(corpus: &Corpus, families: &Families, family: u32) -> String {
    let root = families.display_root(family);
    let root_keys = corpus.cluster_keys(root);
    let len = root_keys.len();
    // Replies lacking each root token, and inserting words before each root position.
    let mut missing = vec![0u64; len];
    let mut inserted = vec![0u64; len + 1];
    let mut total = 0u64;
    let mut pairs = Vec::new();
    let aligner = Aligner::new(root_keys);
    for c in families.members_of(family) {
        let c = c as usize;
        let count = u64::from(families.archive(corpus, c as u32));
        if count == 0 {
            continue;
        }
        total += count;
        if c as u32 == root {
            continue;
        }
        let keys = corpus.cluster_keys(c as u32);
        aligner.align(keys, &mut pairs);
        let mut matched = vec![false; len];
        let (mut prev_i, mut prev_j) = (0usize, 0usize);
        for &(i, j) in &pairs {
            matched[i] = true;
            if j > prev_j {
                inserted[i] += count;
            }
            prev_i = i + 1;
            prev_j = j + 1;
        }
        if keys.len().min(MAX_ALIGN) > prev_j {
            inserted[prev_i.max(pairs.last().map_or(0, |p| p.0 + 1))] += count;
        }
        for (i, m) in matched.iter().enumerate() {
            if !m {
                missing[i] += count;
            }
        }
    }
    let varies = |n: u64| total > 0 && n as f64 >= VARIES * total as f64;
    let text = corpus.cluster_text(root);
    let tokens = tokenize(text);
    let mut out = String::new();
    let mut prev_end = 0usize;
    let mut last_was_wild = false;
    let push_wild = |out: &mut String, last_was_wild: &mut bool| {
        if !*last_was_wild {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            out.push_str("<*>");
            *last_was_wild = true;
        }
    };
    for (i, t) in tokens.iter().enumerate().take(len) {
        let gap = &text[prev_end..t.range().start];
        if varies(inserted[i]) {
            push_wild(&mut out, &mut last_was_wild);
        }
        if varies(missing[i]) {
            if !last_was_wild {
                out.push_str(gap.trim_end());
            }
            push_wild(&mut out, &mut last_was_wild);
        } else {
            out.push_str(if last_was_wild && gap.trim().is_empty() {
                " "
            } else {
                gap
            });
            match t.slot() {
                Some(slot) => out.push_str(slot.placeholder()),
                None => out.push_str(&text[t.range()]),
            }
            last_was_wild = false;
        }
        prev_end = t.range().end;
    }
    if varies(inserted[len.min(tokens.len())]) {
        push_wild(&mut out, &mut last_was_wild);
    } else if tokens.len() <= len {
        out.push_str(text[prev_end..].trim_end());
    }
    // One line: the root's line breaks and runs of spaces become single spaces.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
