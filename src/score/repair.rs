//! Draft words that a disguise broke, put back together against the index's vocabulary: a word
//! split by a space-like character or a line break, written with digits for letters or a capital
//! I for an l, misspelled by a letter, or run together with its neighbours.
//!
//! Folding ([`crate::text`]) undoes what reads the same to everyone (look-alike letters, markup,
//! overrides); these repairs need to know which words exist, so they run on a draft being scored,
//! against the words of the index (and, for misspellings, the built-in stock corpus's
//! vocabulary). Each applies only to a word the index does not know, and only when what it makes
//! is a word (or words) it knows: a draft in plain words is left as it is, and a personal reply
//! keeps its names and details. Repaired tokens keep byte ranges into the caller's text.
//!
//! Misspellings are looked up as SymSpell does (Garbe's symmetric delete): each vocabulary word
//! and its one-letter deletions are keyed in a table once, and a draft's word meets a word one
//! edit away (a letter dropped, added, changed, or two swapped) through its own deletions.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::text::Slot;
use crate::text::{Token, TokenKind, folded_letters, mark_sentences, word_key, word_over};

/// Words shorter than this are not corrected for a misspelling (one edit from a short word is
/// another word too often).
const MIN_TYPO_LETTERS: usize = 5;
/// Run-together words shorter than this are not split.
const MIN_SPLIT_LETTERS: usize = 8;
/// Longer tokens are left alone (no word is this long; a split's table grows with the square).
const MAX_LETTERS: usize = 160;
/// The longest piece a split tries.
const MAX_PIECE: usize = 24;
/// At most this many letters of a word are tried both ways (a digit 1 as `i` or `l`, an `i` as
/// an `l`): 2^3 variants.
const MAX_AMBIGUOUS: usize = 3;

/// Repairs the word tokens of `text` (tokenized into `tokens`) that the index does not know;
/// `count(key)` is how many of the index's replies use the word of `key`.
pub(super) fn repair(text: &str, tokens: &mut Vec<Token>, count: impl Fn(u32) -> u32) {
    let known = |key: u32| count(key) > 0;
    let unknown = |t: &Token| is_wordlike(t) && !known(t.key());
    if !tokens.iter().any(unknown) {
        return;
    }
    let mut letters = Vec::new();
    let mut typos = typo_fixes(text, tokens, &unknown, &count);
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        // A word split by space-like characters or line breaks: joined while the join is known
        // and a part is not.
        if is_wordlike(t) {
            let mut end = i;
            let mut joined: Option<Token> = None;
            while end + 1 < tokens.len() && is_wordlike(&tokens[end + 1]) {
                let (a, b) = (joined.as_ref().unwrap_or(&tokens[end]), &tokens[end + 1]);
                if !is_joiner_gap(&text[a.range().end..b.range().start])
                    || known(a.key()) && known(b.key())
                {
                    break;
                }
                let range = a.range().start..b.range().end;
                folded_letters(&text[range.clone()], &mut letters);
                if !known(word_key(&letters)) {
                    break;
                }
                joined = Some(word_over(
                    text,
                    range.start as u32,
                    range.end as u32,
                    &letters,
                ));
                end += 1;
            }
            if let Some(j) = joined {
                out.push(j);
                i = end + 1;
                continue;
            }
        }
        if unknown(t) {
            folded_letters(&text[t.range()], &mut letters);
            let typo = typos.get_mut(i).and_then(Option::take);
            if let Some(fixed) = respelled(&letters, &known, typo) {
                let r = t.range();
                out.push(word_over(text, r.start as u32, r.end as u32, &fixed));
                i += 1;
                continue;
            }
            if let Some(pieces) = split(text, t, &known) {
                out.extend(pieces);
                i += 1;
                continue;
            }
        }
        out.push(t.clone());
        i += 1;
    }
    *tokens = out;
    mark_sentences(text, tokens);
}

/// Whether a token can be a repaired word: a word, or a number that has letters (`y0ur`).
fn is_wordlike(t: &Token) -> bool {
    match t.kind() {
        // Chinese and Japanese have no disguises of these kinds (their keys are bigrams).
        TokenKind::Word => !t.is_cjk(),
        TokenKind::Slot(Slot::Number) => true,
        TokenKind::Slot(_) => false,
    }
}

/// Whether the text between two tokens can split one word: space-like characters and line
/// breaks only (a Braille blank among them), and at most a few.
fn is_joiner_gap(gap: &str) -> bool {
    !gap.is_empty()
        && gap.chars().count() <= 3
        && gap.chars().all(|c| c.is_whitespace() || c == '\u{2800}')
}

/// The known word that `letters` (unknown) stands for, if any: with digits and a capital I
/// read as the letters they imitate, or else `typo`, the word with one letter's misspelling
/// undone (from [`typo_fixes`]).
fn respelled(
    letters: &[u8],
    known: &impl Fn(u32) -> bool,
    typo: Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    if letters.len() < 2 || letters.len() > MAX_LETTERS || !letters.is_ascii() {
        return None;
    }
    if letters.iter().any(|b| b.is_ascii_lowercase()) {
        if let Some(word) = read_as_letters(letters, known) {
            return Some(word);
        }
        // A word written with digits for some of its letters (at least two letters, and no
        // more digits than letters) is a word, known or not, not a number: a personal reply
        // disguised so keeps its content words.
        let digits = letters.iter().filter(|b| b.is_ascii_digit()).count();
        if digits > 0 && letters.len() - digits >= 2.max(digits) {
            if let Some(word) = leet_reading(letters) {
                return Some(word);
            }
        }
    }
    typo
}

/// Whether a word is long enough, and plain enough, to be corrected for a misspelling.
fn is_typo_candidate(letters: &[u8]) -> bool {
    (MIN_TYPO_LETTERS..=MAX_LETTERS).contains(&letters.len())
        && letters.iter().all(u8::is_ascii_lowercase)
}

/// The misspelling undone of each token (by its number), if the draft's misspellings are
/// corrected at all: when at least two of its unknown words are one edit from a known word, and
/// they are at least half of its unknown words long enough to be (else none). A disguise
/// misspells word after word; a personal reply's unknown words are mostly names and details, of
/// which one may happen to be an edit from a stock word.
fn typo_fixes(
    text: &str,
    tokens: &[Token],
    unknown: &impl Fn(&Token) -> bool,
    count: &impl Fn(u32) -> u32,
) -> Vec<Option<Vec<u8>>> {
    let mut letters = Vec::new();
    let mut candidates = 0usize;
    let fixes: Vec<Option<Vec<u8>>> = tokens
        .iter()
        .map(|t| {
            if !unknown(t) {
                return None;
            }
            folded_letters(&text[t.range()], &mut letters);
            if !is_typo_candidate(&letters) {
                return None;
            }
            candidates += 1;
            stock_vocabulary().nearest(&letters, count)
        })
        .collect();
    let correctable = fixes.iter().flatten().count();
    if correctable >= 2 && 2 * correctable >= candidates {
        fixes
    } else {
        Vec::new()
    }
}

/// `letters` with each digit read as the letter it imitates (`1` as `i`), if each one does.
fn leet_reading(letters: &[u8]) -> Option<Vec<u8>> {
    let word: Vec<u8> = letters.iter().map(|&b| leet(b).unwrap_or(b)).collect();
    word.iter().all(u8::is_ascii_lowercase).then_some(word)
}

/// The letter a digit imitates, if any.
fn leet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'8' => b'b',
        _ => return None,
    })
}

/// `letters` with its digits read as the letters they imitate (`0` o, `1` i or l, `3` e, `4` a,
/// `5` s, `7` t, `8` b) and its `i`s as `l`s where that makes a known word.
fn read_as_letters(letters: &[u8], known: &impl Fn(u32) -> bool) -> Option<Vec<u8>> {
    let mut word = Vec::with_capacity(letters.len());
    let mut ambiguous = Vec::new();
    for (k, &b) in letters.iter().enumerate() {
        word.push(match b {
            b'1' | b'i' => {
                ambiguous.push(k);
                b'i'
            }
            b => leet(b).unwrap_or(b),
        });
    }
    if !word.iter().all(u8::is_ascii_lowercase) || ambiguous.len() > MAX_AMBIGUOUS {
        return None;
    }
    // Every reading of the ambiguous letters, the one closest to the text first.
    for mask in 0..1u32 << ambiguous.len() {
        for (bit, &k) in ambiguous.iter().enumerate() {
            word[k] = if mask >> bit & 1 == 1 { b'l' } else { b'i' };
        }
        if word != letters && known(word_key(&word)) {
            return Some(word);
        }
    }
    None
}

/// The words that the unknown word token `t` runs together, if it splits into known words
/// (and, between them, unknown ones, which cost more the longer they are): the split of least
/// cost, when it has three words at least (a compound such as "headphones" stays whole), known
/// words make three letters in four of it, and one of them is three letters long.
fn split(text: &str, t: &Token, known: &impl Fn(u32) -> bool) -> Option<Vec<Token>> {
    let original = &text[t.range()];
    if !original.is_ascii() {
        return None;
    }
    // The letters, and the offset in the text of each.
    let (letters, at): (Vec<u8>, Vec<usize>) = original
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_alphanumeric())
        .map(|(k, b)| (b.to_ascii_lowercase(), t.range().start + k))
        .unzip();
    let n = letters.len();
    if !(MIN_SPLIT_LETTERS..=MAX_LETTERS).contains(&n) {
        return None;
    }
    let is_known = |piece: &[u8]| {
        (piece.len() >= 2 || piece == b"a" || piece == b"i") && known(word_key(piece))
    };
    // A known word costs 2, an unknown one 5 and one more every two letters (tenths).
    let cost = |piece: &[u8]| {
        if is_known(piece) {
            20
        } else {
            50 + 5 * piece.len() as u32
        }
    };
    // best[j]: the least cost of a split of letters[..j], and where its last piece starts.
    let mut best: Vec<(u32, usize)> = vec![(u32::MAX, 0); n + 1];
    best[0] = (0, 0);
    for j in 1..=n {
        for s in j.saturating_sub(MAX_PIECE)..j {
            if best[s].0 == u32::MAX {
                continue;
            }
            let c = best[s].0 + cost(&letters[s..j]);
            if c < best[j].0 {
                best[j] = (c, s);
            }
        }
    }
    let mut cuts = Vec::new();
    let mut j = n;
    while j > 0 {
        let s = best[j].1;
        cuts.push(s..j);
        j = s;
    }
    cuts.reverse();
    // Mostly known words (a name with a known word at its end, "kirkstall", stays whole): at
    // least three known letters in four, and a known word of three letters or more.
    let known_letters: usize = (cuts.iter())
        .filter(|r| is_known(&letters[(*r).clone()]))
        .map(|r| r.len())
        .sum();
    let has_word = cuts
        .iter()
        .any(|r| r.len() >= 3 && is_known(&letters[r.clone()]));
    if cuts.len() < 3 || !has_word || known_letters * 4 < n * 3 {
        return None;
    }
    Some(
        cuts.into_iter()
            .map(|r| {
                let (start, end) = (at[r.start], at[r.end - 1] + 1);
                word_over(text, start as u32, end as u32, &letters[r])
            })
            .collect(),
    )
}

/// The words of the built-in stock corpus, with their one-letter deletions keyed for the
/// misspelling lookup (see the module docs).
struct Vocabulary {
    words: Vec<Vec<u8>>,
    /// The hash of a word or of one of its deletions, and the words it comes from.
    deletes: FxHashMap<u64, Vec<u32>>,
}

fn stock_vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut letters = Vec::new();
        for reply in crate::stock::stock_replies() {
            for t in crate::text::tokenize(reply) {
                if t.kind() == TokenKind::Word {
                    folded_letters(&reply[t.range()], &mut letters);
                    if letters.len() >= MIN_TYPO_LETTERS - 1
                        && letters.iter().all(u8::is_ascii_lowercase)
                    {
                        words.push(letters.clone());
                    }
                }
            }
        }
        words.sort_unstable();
        words.dedup();
        let mut deletes: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for (w, word) in words.iter().enumerate() {
            for variant in with_deletions(word) {
                deletes.entry(hash(&variant)).or_default().push(w as u32);
            }
        }
        Vocabulary { words, deletes }
    })
}

impl Vocabulary {
    /// The word one edit from `letters` that the index's replies use most, if any.
    fn nearest(&self, letters: &[u8], count: &impl Fn(u32) -> u32) -> Option<Vec<u8>> {
        let mut best: Option<(u32, u32)> = None;
        for variant in with_deletions(letters) {
            for &w in self.deletes.get(&hash(&variant)).into_iter().flatten() {
                let word = &self.words[w as usize];
                let uses = count(word_key(word));
                if uses > 0 && interior_edit(letters, word) && best.is_none_or(|(u, _)| uses > u) {
                    best = Some((uses, w));
                }
            }
        }
        best.map(|(_, w)| self.words[w as usize].clone())
    }
}

/// `word` and each of its one-letter deletions.
fn with_deletions(word: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    std::iter::once(word.to_vec()).chain((0..word.len()).map(|k| {
        let mut v = word.to_vec();
        v.remove(k);
        v
    }))
}

fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Whether `a` and `b` differ by one edit (see [`one_edit`]) inside the word: neither at its
/// first letter nor at its last, where an edit is more often another word or an inflection
/// (`orders`, `updated`, `tried`) than a misspelling.
fn interior_edit(a: &[u8], b: &[u8]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    one_edit(a, b) && prefix > 0 && suffix > 0
}

/// Whether `a` and `b` differ by one edit: a letter dropped, added or changed, or two adjacent
/// letters swapped.
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len() as isize - rb.len() as isize {
        0 => {
            ra[1..] == rb[1..]
                || ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]
        }
        1 => ra[1..] == *rb,
        -1 => *ra == rb[1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("please", "plase", true),   // dropped
            ("please", "pleasse", true), // added
            ("please", "pleose", true),  // changed
            ("please", "plaese", true),  // swapped
            ("please", "please", false),
            ("please", "plesae", true),
            ("please", "palese", false), // two changes
            ("please", "pl", false),
            ("ab", "ba", true),
            ("", "a", true),
        ];
        for &(a, b, want) in cases {
            assert_eq!(one_edit(a.as_bytes(), b.as_bytes()), want, "{a} {b}");
            assert_eq!(one_edit(b.as_bytes(), a.as_bytes()), want, "{b} {a}");
        }
        // Inside the word only: not an inflection, nor another first letter.
        let interior: &[(&str, &str, bool)] = &[
            ("please", "plase", true),
            ("orders", "order", false),
            ("updated", "update", false),
            ("tried", "tries", false),
            ("hello", "jello", false),
            ("canceled", "cancelled", true),
        ];
        for &(a, b, want) in interior {
            assert_eq!(interior_edit(a.as_bytes(), b.as_bytes()), want, "{a} {b}");
        }
    }

    /// Each token of `text` after repairs: the vocabulary word whose key it has, else its text.
    fn repaired(text: &str, vocabulary: &[&str]) -> Vec<String> {
        let keys: Vec<u32> = vocabulary
            .iter()
            .map(|w| {
                let mut l = Vec::new();
                folded_letters(w, &mut l);
                word_key(&l)
            })
            .collect();
        let mut tokens = crate::text::tokenize(text);
        repair(text, &mut tokens, |k| u32::from(keys.contains(&k)));
        tokens
            .iter()
            .map(|t| match keys.iter().position(|&k| k == t.key()) {
                Some(w) => vocabulary[w].to_string(),
                None => text[t.range()].to_string(),
            })
            .collect()
    }

    #[test]
    fn repairs_table() {
        let vocabulary = [
            "please", "dm", "us", "your", "order", "number", "we", "will", "a",
        ];
        let cases: &[(&str, &[&str])] = &[
            ("Ple\u{200A}ase DM us", &["please", "dm", "us"]),
            ("Ple\u{3000}ase DM us", &["please", "dm", "us"]),
            ("Ple\u{2800}ase DM us", &["please", "dm", "us"]),
            ("Ple\r\nase DM us", &["please", "dm", "us"]),
            (
                "PIease DM us y0ur 0rder",
                &["please", "dm", "us", "your", "order"],
            ),
            (
                "Plase DM us your odrer",
                &["please", "dm", "us", "your", "order"],
            ),
            ("pleasedmus", &["please", "dm", "us"]),
            // Known words stay apart; unknown ones that make no known word stay as they are.
            ("we will", &["we", "will"]),
            ("Priya Tom 2021", &["Priya", "Tom", "2021"]),
        ];
        for (text, want) in cases {
            assert_eq!(repaired(text, &vocabulary), *want, "{text:?}");
        }
    }

    #[test]
    fn repaired_ranges_are_the_words_in_the_text() {
        let text = "Ple\u{200A}ase dm us, pleasedmus";
        let mut tokens = crate::text::tokenize(text);
        let vocabulary: Vec<u32> = ["please", "dm", "us"]
            .iter()
            .map(|w| word_key(w.as_bytes()))
            .collect();
        repair(text, &mut tokens, |k| u32::from(vocabulary.contains(&k)));
        let words: Vec<&str> = tokens.iter().map(|t| &text[t.range()]).collect();
        // (A run of two known words stays whole: "headphones".)
        assert_eq!(words, ["Ple\u{200A}ase", "dm", "us", "please", "dm", "us"]);
    }
}
