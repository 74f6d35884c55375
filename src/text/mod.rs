//! The text layer: folding, word tokens with byte ranges into the caller's text, slot masking
//! and shingles.
//!
//! Every comparison cannery makes runs on the token stream this module produces. The pipeline is:
//!
//! 1. **Fold** each character of the caller's text as a reader sees it (HTML tags and comments
//!    read through, character references decoded, emphasis marks inside words dropped,
//!    right-to-left overrides in display order: `reading`): drop default-ignorable code points
//!    (zero-width spaces and joiners, bidi marks, variation selectors, soft hyphens), decompose with
//!    NFKD (full-width forms, ligatures, mathematical letters), drop combining accents on Latin,
//!    Greek and Cyrillic letters, lower-case, and fold look-alike letters of other scripts
//!    (Cyrillic `е`, Greek `ο`, Armenian `օ`, small capitals, ...) to the Latin letters they imitate,
//!    after Unicode's confusables data. Each folded byte remembers the byte of the original text it
//!    came from, so every range reported later points into the caller's text.
//! 2. **Segment** the folded text into words with Unicode's word boundaries (UAX #29, from
//!    `unicode-segmentation`). Segments with no letter or digit (punctuation, emoji, spaces)
//!    separate words and are otherwise ignored. A word's key keeps only its letters and digits,
//!    so `p.l.e.a.s.e` and `please` are one word. Chinese and Japanese come out a character (a
//!    run of katakana) a word; as single characters say little there, each one's key is the run
//!    of it and the next characters until it holds two Chinese characters' worth (a Chinese
//!    character or a katakana word counts two, a hiragana character, a syllable, one): character
//!    n-grams, as search engines index these languages. A run `您的包裹` has the keys `您的`,
//!    `的包`, `包裹` and `裹`; each token's range stays its own character, so tokens never
//!    overlap. (Chosen on the multilingual suite against single characters, bigrams and
//!    trigrams: the README's Languages section.) Text of ASCII and the common punctuation and
//!    emoji (most replies) is segmented by a byte scanner of the same rules, tested against
//!    unicode-segmentation ([`tokenize_with_crates`]).
//! 3. **Join spaced-out letters**: a run of three or more single letters (`p l e a s e`) becomes one
//!    word; a wider gap inside the run (`p l e a s e  d m`) splits it into words.
//! 4. **Mask slots**: @handles, URLs, e-mail addresses, dates and times, numbers and ids, the
//!    customer's name after a greeting, an agent's sign-off at the end of a reply (`^JK`, `-Becky`,
//!    `*SR`, `/AB`, `~Tom`, `Kind regards - Rhys`) and helpdesk placeholders (`{{ticket.id}}`)
//!    each become one typed [`Slot`] token, so a template matches whatever fills it.
//!
//! ```
//! use cannery::{tokenize, TokenKind, Slot};
//!
//! let text = "@Ann Please DM us your order number 12345. ^JK";
//! let tokens = tokenize(text);
//! let kinds: Vec<TokenKind> = tokens.iter().map(|t| t.kind()).collect();
//! assert_eq!(kinds[0], TokenKind::Slot(Slot::User));
//! assert_eq!(kinds[kinds.len() - 2], TokenKind::Slot(Slot::Number));
//! assert_eq!(kinds[kinds.len() - 1], TokenKind::Slot(Slot::Signature));
//! // Ranges are byte ranges into the caller's text.
//! assert_eq!(&text[tokens[1].range()], "Please");
//! ```

//! The pipeline's steps live in their own files: `reading` and `fold` (step 1), `words` (steps 2 and 3),
//! `slots` (step 4), `token` (what comes out) and `shingles` (the word n-grams the index counts).

mod fold;
pub(crate) mod language;
mod reading;
pub(crate) mod shingles;
mod slots;
mod small_capitals;
mod token;
mod words;

use std::ops::Range;

pub(crate) use fold::is_invisible;
pub use language::Language;
pub use token::{Slot, Token, TokenKind};
pub(crate) use token::{is_slot_key, mechanics_keys, slot_key, word_key};

use fold::fold;
use slots::find_slots;
use token::{mark_sentence_starts, push_token, word_token};
use words::{
    RawWord, emit_spaced_run, find_unicode_words, find_words, merge_words_sharing_a_character,
    push_alphanumeric, spaced_run_end,
};

/// How much of Chinese or Japanese a key covers, in halves of a Chinese character (see the
/// module docs).
const CJK_KEY_WEIGHT: u32 = 4;

/// The weight of a word of Chinese characters or kana: two for a Chinese character or a run of
/// katakana (a morpheme, a loanword), one for a hiragana character (a syllable).
fn cjk_weight(word: &str) -> u32 {
    match word.chars().next() {
        Some(c) if ('\u{3040}'..='\u{309F}').contains(&c) => 1,
        _ => 2,
    }
}

/// Splits `text` into word and slot tokens, with byte ranges into `text`.
///
/// Runs the whole pipeline of this module: folding, word segmentation, joining of spaced-out
/// letters and slot masking. Never panics; an empty or punctuation-only text gives no tokens.
///
/// ```
/// use cannery::tokenize;
/// let text = "Ｈｉ! Send an email to help@example.com";
/// let words: Vec<&str> = tokenize(text).iter().map(|t| &text[t.range()]).collect();
/// assert_eq!(words, ["Ｈｉ", "Send", "an", "email", "to", "help@example.com"]);
/// ```
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    tokenize_into(text, &mut scratch, &mut out);
    out
}

/// The folded letters and digits of `text` (what a word's key is made of), replacing the
/// contents of `out`.
pub(crate) fn folded_letters(text: &str, out: &mut Vec<u8>) {
    let (mut folded, mut origin) = (String::new(), Vec::new());
    fold(text, &mut folded, &mut origin);
    out.clear();
    push_alphanumeric(&folded, out);
}

/// A word token over `text[start..end]` whose folded letters are `letters` (a repaired word: a
/// word a disguise split, misspelled or wrote in digits, put back together).
pub(crate) fn word_over(text: &str, start: u32, end: u32, letters: &[u8]) -> Token {
    word_token(text, start, end, letters)
}

/// Marks the tokens that start a sentence (after repairs replaced some).
pub(crate) fn mark_sentences(text: &str, tokens: &mut [Token]) {
    mark_sentence_starts(text, tokens);
}

/// Reusable buffers for [`tokenize_into`], so that a hot loop does not allocate per reply.
#[derive(Default)]
pub(crate) struct Scratch {
    folded: String,
    origin: Vec<u32>,
    words: Vec<RawWord>,
    slots: Vec<(Range<usize>, Slot)>,
    key_buf: Vec<u8>,
}

/// The longest text scored or indexed; a longer one is cut at a character boundary before this
/// many bytes: a report on it says `truncated`, and an index counts the replies it cut
/// ([`Index::truncated`](crate::Index::truncated)).
///
/// ```
/// use cannery::{Index, Context, MAX_INPUT_BYTES};
/// let long = "word ".repeat(MAX_INPUT_BYTES);
/// assert!(Index::stock().score(&long, &Context::new()).truncated);
/// ```
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// The first [`MAX_INPUT_BYTES`] of `text` (cut at a character boundary), and whether it was
/// longer.
pub(crate) fn capped(text: &str) -> (&str, bool) {
    (
        &text[..floor_char_boundary(text, MAX_INPUT_BYTES)],
        text.len() > MAX_INPUT_BYTES,
    )
}

/// The largest text [`tokenize_into`] reads; the rest is ignored (ranges stay within it).
/// Offsets are stored as `u32`, which bounds this far above any reply.
pub(crate) const MAX_TEXT_BYTES: usize = 1 << 30;

/// Tokenizes the part of `text` that is indexed: its first [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES)
/// (what the store keeps of it).
pub(crate) fn tokenize_capped(text: &str, scratch: &mut Scratch, tokens: &mut Vec<Token>) {
    tokenize_into(capped(text).0, scratch, tokens);
}

/// The same tokens as [`tokenize`], through the crates alone: unicode-segmentation's word
/// boundaries for every text, and every slot pattern searched by its regex.
///
/// This is the oracle of the hand-written fast paths of [`tokenize`] (a byte scanner of word
/// boundaries for text of ASCII and the common punctuation and emoji; searches for @handles and
/// links): property tests, the `tokenize` fuzz target and a test over the real corpus check that
/// the two give the same tokens. It is slower, and public so that a fuzz target outside the
/// crate can compare them.
///
/// ```
/// let text = "Hi Ann, your order #12345 ships on May 3rd. Track it at example.com/t ^JK";
/// assert_eq!(cannery::tokenize(text), cannery::tokenize_with_crates(text));
/// ```
pub fn tokenize_with_crates(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_on(Path::Crates, text, &mut Scratch::default(), &mut out);
    out
}

/// Which tokenizer runs: the fast paths, or the crates alone (their oracle).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Path {
    /// Words by a byte scanner where it knows every character of the text; handles and links
    /// by hand-written searches where the text lets them decide.
    Fast,
    /// Every word through unicode-segmentation; every slot pattern by its regex.
    Crates,
}

/// Tokenizes `text` into `out` (cleared first), reusing the buffers of `scratch`.
pub(crate) fn tokenize_into(text: &str, scratch: &mut Scratch, out: &mut Vec<Token>) {
    tokenize_on(Path::Fast, text, scratch, out);
}

/// [`tokenize_into`] on the chosen path.
fn tokenize_on(path: Path, text: &str, scratch: &mut Scratch, out: &mut Vec<Token>) {
    out.clear();
    let text = &text[..floor_char_boundary(text, MAX_TEXT_BYTES)];
    fold(text, &mut scratch.folded, &mut scratch.origin);
    let folded = scratch.folded.as_str();
    match path {
        Path::Fast => find_words(folded, &mut scratch.words),
        Path::Crates => find_unicode_words(folded, &mut scratch.words),
    }
    merge_words_sharing_a_character(&scratch.origin, &mut scratch.words);
    find_slots(path, text, folded, &scratch.origin, &mut scratch.slots);

    let origin = &scratch.origin;
    let to_original = |range: Range<usize>| -> (u32, u32) {
        let start = origin[range.start];
        let last = origin[range.end - 1] as usize;
        let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
        (start, end as u32)
    };

    let words = &scratch.words;
    let slots = &scratch.slots;
    let mut slot_idx = 0;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        // Skip slots that end before this word; emit a slot that covers it.
        while slot_idx < slots.len() && slots[slot_idx].0.end <= w.start {
            slot_idx += 1;
        }
        if let Some((range, slot)) = slots.get(slot_idx) {
            if range.start < w.end {
                let (start, end) = if range.start <= w.start {
                    to_original(range.clone())
                } else {
                    // The slot starts inside the word ("order#123"): the word before it is lost
                    // to the slot, which then covers the whole word.
                    to_original(w.start..range.end.max(w.end))
                };
                // Numbers, dates, e-mails and names keep a stem of their own text, so that a
                // reply echoing the customer's "iOS 11" or "flight 2417" is seen to.
                let stem = match slot {
                    Slot::Number | Slot::Date | Slot::Email | Slot::Name => {
                        scratch.key_buf.clear();
                        let folded_range = range.start.max(w.start)..range.end;
                        push_alphanumeric(&folded[folded_range], &mut scratch.key_buf);
                        word_key(&scratch.key_buf)
                    }
                    _ => slot_key(*slot),
                };
                push_token(out, Token::of_slot(start, end, *slot, stem));
                while i < words.len() && words[i].start < range.end {
                    i += 1;
                }
                slot_idx += 1;
                continue;
            }
        }
        // Spaced-out letters: a run of >= 3 single letters separated by whitespace only.
        if w.single_letter {
            // A run stops before the next slot: its words belong to the slot.
            let limit = slots.get(slot_idx).map_or(usize::MAX, |(r, _)| r.start);
            let run_end = spaced_run_end(folded, words, i, limit);
            if run_end - i >= 3 {
                emit_spaced_run(
                    text,
                    folded,
                    origin,
                    &words[i..run_end],
                    &mut scratch.key_buf,
                    out,
                );
                i = run_end;
                continue;
            }
        }
        let (start, end) = to_original(w.start..w.end);
        scratch.key_buf.clear();
        // Chinese and Japanese: a character's key is the run of it and the next characters of
        // its run until it holds two Chinese characters' worth (see the module docs); the token
        // stays one character, so tokens never overlap.
        let mut key_end = w.end;
        if w.cjk {
            let mut weight = cjk_weight(&folded[w.start..w.end]);
            for next in &words[i + 1..] {
                if weight >= CJK_KEY_WEIGHT
                    || !(next.cjk
                        && next.start == key_end
                        && slots.get(slot_idx).is_none_or(|(r, _)| r.start >= next.end))
                {
                    break;
                }
                key_end = next.end;
                weight += cjk_weight(&folded[next.start..next.end]);
            }
        }
        push_alphanumeric(&folded[w.start..key_end], &mut scratch.key_buf);
        let mut token = word_token(text, start, end, &scratch.key_buf);
        if w.cjk {
            token.mark_cjk(cjk_weight(&folded[w.start..w.end]) == 1);
        }
        push_token(out, token);
        i += 1;
    }
    mark_sentence_starts(text, out);
}

/// The largest char boundary of `text` at or before byte `max` (the text's length when shorter).
pub(crate) fn floor_char_boundary(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| match t.kind() {
                TokenKind::Word => text[t.range()].to_string(),
                TokenKind::Slot(s) => s.placeholder().to_string(),
            })
            .collect()
    }

    pub(crate) fn keys(text: &str) -> Vec<u32> {
        tokenize(text).iter().map(Token::key).collect()
    }

    /// Chinese and Japanese: a token a character (a katakana word), each keyed by the run of
    /// it and the next characters up to two Chinese characters' worth, never across
    /// punctuation or a slot; ranges stay exact.
    #[test]
    fn chinese_and_japanese_are_keyed_by_runs_of_characters() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "您的包裹",
                &["您", "的", "包", "裹"],
                &["您的", "的包", "包裹", "裹"],
            ),
            (
                "谢谢，再见",
                &["谢", "谢", "再", "见"],
                &["谢谢", "谢", "再见", "见"],
            ),
            (
                "お荷物は",
                &["お", "荷", "物", "は"],
                &["お荷物", "荷物", "物は", "は"],
            ),
            (
                "すみません",
                &["す", "み", "ま", "せ", "ん"],
                &["すみませ", "みません", "ません", "せん", "ん"],
            ),
            (
                "スニーカーの色",
                &["スニーカー", "の", "色"],
                &["スニーカーの色", "の色", "色"],
            ),
            (
                "订单123号",
                &["订", "单", "<num>"],
                &["订单", "单", "<num>"],
            ),
        ];
        for &(text, shown, keyed) in cases {
            assert_eq!(words(text), shown, "{text}");
            let want: Vec<u32> = keyed
                .iter()
                .map(|k| match *k {
                    "<num>" => slot_key(Slot::Number),
                    k => word_key(k.as_bytes()),
                })
                .collect();
            let got: Vec<u32> = tokenize(text)
                .iter()
                .map(|t| {
                    if t.slot().is_some() {
                        slot_key(Slot::Number)
                    } else {
                        t.key()
                    }
                })
                .collect();
            assert_eq!(got, want, "{text}");
        }
    }

    proptest::proptest! {
        /// The fast paths against the crates alone (the oracle), on text built from the
        /// characters that decide words and slots.
        #[test]
        fn fast_paths_equal_the_crates(
            text in "([a-zA-Z0-9_ .,:;'\"!?@#/\n^*~\u{2018}\u{2019}\u{201C}\u{2013}\u{2014}\u{1F44D}\u{e9}\u{3000}\u{B7}\u{A3}-]|Hi |Thanks, |Regards |REGARDS|- |www\\.|\\.com| 12:30| May 3| #123|@ann|help@x\\.com){0,24}",
        ) {
            proptest::prop_assert_eq!(tokenize(&text), tokenize_with_crates(&text));
        }
    }

    #[test]
    fn ranges_point_into_original_text() {
        let text = "Ｐｌｅａｓｅ dm us ^JK";
        let t = tokenize(text);
        assert_eq!(&text[t[0].range()], "Ｐｌｅａｓｅ");
        assert_eq!(&text[t[3].range()], "JK");
        let text = "p l e a s e  d m";
        let t = tokenize(text);
        assert_eq!(t.len(), 2);
        assert_eq!(&text[t[0].range()], "p l e a s e");
        assert_eq!(&text[t[1].range()], "d m");
    }

    #[test]
    fn scripts_tokenize() {
        assert_eq!(tokenize("您好，请私信我们").len(), 7);
        assert_eq!(
            words("مرحبا بك في خدمة العملاء"),
            ["مرحبا", "بك", "في", "خدمة", "العملاء"]
        );
        assert_eq!(words("🙏🙏🙏"), Vec::<String>::new());
        assert_eq!(words("안녕하세요 고객님"), ["안녕하세요", "고객님"]);
        assert!(tokenize("").is_empty());
        assert!(tokenize("   \t\n").is_empty());
    }
}
