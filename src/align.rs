//! Token alignment: the longest common subsequence (LCS) of two token sequences, and the rules
//! that say when two replies are one template and when a reply instantiates a macro.
//!
//! # The rules
//!
//! Compared on their *content* tokens (handles, names and sign-offs dropped: every reply has
//! them, and they would make any two short replies look alike), two token sequences are one
//! template when
//!
//! - **Rule 1 (edits):** at most one token in ten of the longer differs, and at least one may
//!   (a word changed, added or dropped);
//! - **Rule 2 (short replies):** but below four content tokens, only when identical;
//! - **Rule 3 (containment):** or the shorter has at least five tokens and 90% of it appears, in
//!   order, within the longer's first tokens (words added after the template, not a template's
//!   first word matched and the rest found further on).
//!
//! A reply instantiates a macro (**Rule 4**) when it has, in order, 90% of the macro's fixed
//! tokens and every other token of it stands opposite a placeholder of the macro (or at most
//! one token in ten is unexplained).
//!
//! Sequences are compared on their first [`MAX_ALIGN`] tokens. Mining, inserts, template
//! matching and rendering (`crate::templates`) cite these rules by number.
//!
//! ```
//! # // The rules are crate-private; the public face is Index::templates.
//! use cannery::{Index, Reply};
//! let index = Index::builder().stock_corpus(false).build([
//!     Reply::new("1", "Your parcel is with the courier and will arrive on Monday."),
//!     Reply::new("2", "Your parcel is with the courier and will arrive on Tuesday."),
//! ]);
//! // One word in eleven differs (Rule 1): one template.
//! assert_eq!(index.templates(2).len(), 1);
//! ```

/// Rule 1: the share of the longer sequence's tokens that may differ between two members of a
/// template (words changed, added or dropped), and the number that may always differ.
const EDITS: f64 = 0.1;
const EDITS_PER_TOKEN_MIN: usize = 1;
/// Rule 2: below this many content tokens, two replies are one template only when identical.
const SHORT: usize = 4;
/// Rules 3 and 4: fraction of the shorter sequence (of the macro's fixed tokens) that must appear
/// in the longer (in the reply).
pub(crate) const CONTAIN: f64 = 0.9;
/// Rule 3: the shorter sequence's length from which the containment rule applies.
const CONTAIN_MIN_LEN: usize = 5;
/// The longest sequence compared by LCS (longer ones are compared on their first tokens).
pub(crate) const MAX_ALIGN: usize = 256;

/// The LCS length of two sequences (on their first `MAX_ALIGN` tokens), and the matched pairs
/// when `pairs` is given. Both are computed bit-parallel: the length by rapidfuzz, the pairs by
/// an [`Aligner`].
pub(crate) fn lcs(a: &[u32], b: &[u32], pairs: Option<&mut Vec<(usize, usize)>>) -> usize {
    match pairs {
        None => {
            let a = &a[..a.len().min(MAX_ALIGN)];
            let b = &b[..b.len().min(MAX_ALIGN)];
            if a.is_empty() || b.is_empty() {
                return 0;
            }
            rapidfuzz::distance::lcs_seq::similarity(a.iter().copied(), b.iter().copied())
        }
        Some(pairs) => Aligner::new(a).align(b, pairs),
    }
}

/// Aligns sequences against one sequence `a` (a family's root, a macro): the longest common
/// subsequence with its matched pairs, by Hyyrö's bit-parallel LCS (one machine word per 64
/// tokens of `a` for each token of the other sequence, instead of a cell per pair of tokens).
/// The vectors of every step are kept, and the pairs are read back from them along exactly the
/// path the dynamic-programming table's traceback takes (the test module keeps that table as
/// the oracle). Building it once serves every member of a family.
pub(crate) struct Aligner<'a> {
    a: &'a [u32],
    /// Machine words per vector.
    words: usize,
    /// The distinct tokens of `a`, sorted, each with its match mask in `masks`.
    symbols: Vec<u32>,
    masks: Vec<u64>,
}

impl<'a> Aligner<'a> {
    /// An aligner against the first `MAX_ALIGN` tokens of `a`.
    pub(crate) fn new(a: &'a [u32]) -> Self {
        let a = &a[..a.len().min(MAX_ALIGN)];
        let words = a.len().div_ceil(64).max(1);
        let mut symbols: Vec<u32> = a.to_vec();
        symbols.sort_unstable();
        symbols.dedup();
        let mut masks = vec![0u64; symbols.len() * words];
        for (i, token) in a.iter().enumerate() {
            let s = symbols.binary_search(token).unwrap_or_default();
            masks[s * words + i / 64] |= 1 << (i % 64);
        }
        Aligner {
            a,
            words,
            symbols,
            masks,
        }
    }

    /// The LCS length of `a` and `b` (on its first `MAX_ALIGN` tokens), with the matched index
    /// pairs in `pairs`, in order.
    pub(crate) fn align(&self, b: &[u32], pairs: &mut Vec<(usize, usize)>) -> usize {
        let b = &b[..b.len().min(MAX_ALIGN)];
        let (a, n, m, words) = (self.a, self.a.len(), b.len(), self.words);
        pairs.clear();
        if n == 0 || m == 0 {
            return 0;
        }
        // Bit i of the vector after j tokens of b is 0 exactly when LCS(a[..=i], b[..j]) exceeds
        // LCS(a[..i], b[..j]).
        let mut v = vec![!0u64; words];
        let mut rows = Vec::with_capacity(m * words);
        for token in b {
            if let Ok(s) = self.symbols.binary_search(token) {
                let pm = &self.masks[s * words..(s + 1) * words];
                let mut carry = false;
                for (v, &pm) in v.iter_mut().zip(pm) {
                    let u = *v & pm;
                    let (sum, c1) = v.overflowing_add(u);
                    let (sum, c2) = sum.overflowing_add(u64::from(carry));
                    carry = c1 || c2;
                    *v = sum | (*v & !pm);
                }
            }
            rows.extend_from_slice(&v);
        }
        let last = &rows[(m - 1) * words..];
        let length: usize = (0..n)
            .filter(|&i| last[i / 64] >> (i % 64) & 1 == 0)
            .count();
        // Traceback: a match goes diagonally; otherwise up when the row above is as long (bit
        // i - 1 set), else left, as the table's traceback does.
        let bit = |j: usize, i: usize| rows[(j - 1) * words + i / 64] >> (i % 64) & 1 == 1;
        let (mut i, mut j) = (n, m);
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                pairs.push((i - 1, j - 1));
                i -= 1;
                j -= 1;
            } else if bit(j, i - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        pairs.reverse();
        length
    }
}

/// The keys of a sequence without handles, names and sign-offs, which every reply of a helpdesk
/// has and which would make any two short replies look alike.
fn content(keys: &[u32]) -> Vec<u32> {
    let mechanics = crate::text::mechanics_keys();
    // Sized up front: collecting a filter grows the vector step by step (about a fifth of mining's
    // instructions went to reallocation).
    let mut out = Vec::with_capacity(keys.len());
    out.extend(keys.iter().copied().filter(|k| !mechanics.contains(k)));
    out
}

/// Whether the shorter sequence appears, all but a tenth of it, at the start of the longer: words
/// were added after the template, not a template's first word matched and the rest of it found
/// somewhere further on. The shorter is aligned with as many of the longer's first tokens as it
/// has, plus as many again as it may miss.
fn heads_the_longer(a: &[u32], b: &[u32]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let short = &short[..short.len().min(MAX_ALIGN)];
    let need = (CONTAIN * short.len() as f64).ceil() as usize;
    let head = &long[..long.len().min(short.len() + (short.len() - need))];
    lcs(short, head, None) >= need
}

/// Whether two token sequences are one template (see the module docs), and their Dice
/// similarity, both on their content tokens.
pub(crate) fn same_template(a: &[u32], b: &[u32]) -> (bool, f64) {
    let (a, b) = (content(a), content(b));
    let (a, b) = (a.as_slice(), b.as_slice());
    let l = lcs(a, b, None) as f64;
    let (la, lb) = (a.len().min(MAX_ALIGN), b.len().min(MAX_ALIGN));
    if la + lb == 0 {
        return (true, 1.0);
    }
    let dice = 2.0 * l / (la + lb) as f64;
    let shorter = la.min(lb);
    if shorter < SHORT {
        return (a == b, dice);
    }
    let longer = la.max(lb);
    let edits = longer - l as usize;
    let edited = edits <= EDITS_PER_TOKEN_MIN.max((EDITS * longer as f64) as usize);
    let contained = !edited
        && shorter >= CONTAIN_MIN_LEN
        && l >= CONTAIN * shorter as f64
        && heads_the_longer(a, b);
    (edited || contained, dice)
}

/// How completely a reply instantiates a macro: the share of the macro's fixed tokens it has, in
/// order, when every other token of the reply stands opposite a placeholder of the macro (or at
/// most one token in ten is unexplained); `None` when it does not.
pub(crate) fn instantiates_macro(reply: &[u32], macro_keys: &[u32]) -> Option<f64> {
    let is_slot = crate::text::is_slot_key;
    let fixed = macro_keys.iter().filter(|&&k| !is_slot(k)).count();
    if fixed == 0 || reply.is_empty() {
        return None;
    }
    let mut pairs = Vec::new();
    lcs(reply, macro_keys, Some(&mut pairs));
    let matched_fixed = pairs
        .iter()
        .filter(|&&(_, j)| !is_slot(macro_keys[j]))
        .count();
    let (mut unexplained, mut prev_i, mut prev_j) = (0usize, 0usize, 0usize);
    let end = (reply.len().min(MAX_ALIGN), macro_keys.len().min(MAX_ALIGN));
    for &(i, j) in pairs.iter().chain(std::iter::once(&end)) {
        let gap_has_slot = macro_keys[prev_j..j].iter().any(|&k| is_slot(k));
        if !gap_has_slot {
            unexplained += i - prev_i;
        }
        prev_i = i + 1;
        prev_j = j + 1;
    }
    let coverage = matched_fixed as f64 / fixed as f64;
    let allowed = 1usize.max(reply.len() / 10);
    (coverage >= CONTAIN && unexplained <= allowed).then_some(coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dynamic-programming LCS with its traceback: the oracle for [`Aligner`].
    fn lcs_by_table(a: &[u32], b: &[u32], pairs: &mut Vec<(usize, usize)>) -> usize {
        let a = &a[..a.len().min(MAX_ALIGN)];
        let b = &b[..b.len().min(MAX_ALIGN)];
        let (n, m) = (a.len(), b.len());
        let width = m + 1;
        let mut table = vec![0u16; (n + 1) * width];
        for i in 1..=n {
            for j in 1..=m {
                table[i * width + j] = if a[i - 1] == b[j - 1] {
                    table[(i - 1) * width + j - 1] + 1
                } else {
                    table[(i - 1) * width + j].max(table[i * width + j - 1])
                };
            }
        }
        pairs.clear();
        let (mut i, mut j) = (n, m);
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                pairs.push((i - 1, j - 1));
                i -= 1;
                j -= 1;
            } else if table[(i - 1) * width + j] >= table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        pairs.reverse();
        table[n * width + m] as usize
    }

    /// `rounds` pairs of random sequences of up to 299 tokens (across the word boundaries 64,
    /// 128, ... and past MAX_ALIGN), round `r` drawn from `alphabets[r % alphabets.len()]` symbols
    /// (xorshift from `seed`, so the cases are the same on every run).
    fn random_pairs(seed: u64, rounds: usize, alphabets: &[u64]) -> Vec<(Vec<u32>, Vec<u32>)> {
        let mut state = seed;
        let mut next = |modulo: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % modulo) as u32
        };
        (0..rounds)
            .map(|round| {
                let (n, m) = (next(300) as usize, next(300) as usize);
                let alphabet = alphabets[round % alphabets.len()];
                let a: Vec<u32> = (0..n).map(|_| next(alphabet)).collect();
                let b: Vec<u32> = (0..m).map(|_| next(alphabet)).collect();
                (a, b)
            })
            .collect()
    }

    #[test]
    fn aligner_gives_the_table_s_pairs() {
        let cases = random_pairs(0x9E37_79B9_7F4A_7C15, 600, &[2, 3, 20, 1000]);
        for (round, (a, b)) in cases.iter().enumerate() {
            let (n, m) = (a.len(), b.len());
            let (mut want, mut got) = (Vec::new(), Vec::new());
            let length = lcs_by_table(a, b, &mut want);
            assert_eq!(lcs(a, b, Some(&mut got)), length, "round {round}");
            assert_eq!(got, want, "round {round}: n {n} m {m}");
            // One aligner serves many sequences.
            let aligner = Aligner::new(a);
            assert_eq!(aligner.align(b, &mut got), length);
            assert_eq!(aligner.align(a, &mut got), n.min(MAX_ALIGN));
        }
    }

    #[test]
    fn lcs_table() {
        let cases: &[(&[u32], &[u32], usize)] = &[
            (&[], &[1], 0),
            (&[1, 2, 3], &[1, 2, 3], 3),
            (&[1, 2, 3], &[1, 9, 3], 2),
            (&[1, 2, 3, 4, 5], &[0, 1, 2, 3, 4, 5, 6, 7], 5),
            (&[1, 2, 3], &[3, 2, 1], 1),
        ];
        for (a, b, want) in cases {
            let mut pairs = Vec::new();
            assert_eq!(lcs(a, b, Some(&mut pairs)), *want, "{a:?} {b:?}");
            assert_eq!(lcs(a, b, None), *want, "bit-parallel: {a:?} {b:?}");
            assert_eq!(pairs.len(), *want);
            assert!(pairs.iter().all(|&(i, j)| a[i] == b[j]));
        }
    }

    #[test]
    fn lcs_lengths_agree_with_the_aligner_on_long_and_random_sequences() {
        let cases = random_pairs(0x2545_F491_4F6C_DD1D, 300, &[3, 20, 1000]);
        for (round, (a, b)) in cases.iter().enumerate() {
            let mut pairs = Vec::new();
            assert_eq!(
                lcs(a, b, None),
                lcs(a, b, Some(&mut pairs)),
                "round {round}"
            );
        }
    }

    #[test]
    fn same_template_table() {
        let base: Vec<u32> = (0..10).collect();
        let mut one_word = base.clone();
        one_word[4] = 99;
        let mut appended = base.clone();
        appended.extend(100..110);
        let other: Vec<u32> = (50..60).collect();
        assert!(same_template(&base, &base).0);
        assert!(same_template(&base, &one_word).0);
        assert!(
            same_template(&base, &appended).0,
            "a sentence added keeps the template"
        );
        assert!(!same_template(&base, &other).0);
        assert!(
            !same_template(&[1, 2], &[1, 2, 3, 4, 5, 6, 7]).0,
            "short prefixes do not absorb"
        );
        // The template's first word opens the longer reply, but the rest of it comes only after
        // twenty other words: a reply that ends with the template, not one that adds to it.
        let mut ends_with = vec![0];
        ends_with.extend(200..220);
        ends_with.extend(1..10);
        assert!(!same_template(&base, &ends_with).0);
        // A word added inside the template as well as a sentence after it still keeps it.
        let mut edited_and_appended = base.clone();
        edited_and_appended.insert(3, 98);
        edited_and_appended.extend(100..110);
        assert!(same_template(&base, &edited_and_appended).0);
    }
}
