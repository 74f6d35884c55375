//! Words of the folded text: UAX #29 segments with a letter or digit, the words that one
//! character split into joined again, and runs of spaced-out letters joined into words.

use unicode_segmentation::UnicodeSegmentation;

use super::token::{Token, push_token, word_token};

/// A word of the folded text, before slot masking.
#[derive(Clone, Copy)]
pub(super) struct RawWord {
    /// Byte range in the folded text.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Whether the word is a single letter of an alphabetic script (for spaced-letter joining).
    pub(super) single_letter: bool,
    /// Whether the word is written in Chinese characters or Japanese kana (UAX #29 gives one
    /// word a character there, a run of katakana one word).
    pub(super) cjk: bool,
}

/// Whether `c` is a Chinese character (a Han ideograph, in Chinese or Japanese) or Japanese kana.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Appends the letters and digits of `word` to `buf`.
pub(super) fn push_alphanumeric(word: &str, buf: &mut Vec<u8>) {
    if word.bytes().all(|b| b.is_ascii_alphanumeric()) {
        buf.extend_from_slice(word.as_bytes());
        return;
    }
    let mut tmp = [0u8; 4];
    for c in word.chars().filter(|c| c.is_alphanumeric()) {
        buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
}

/// The end (exclusive index into `words`) of the run of single letters starting at `start`, where
/// consecutive letters are separated by whitespace only and end before the folded byte `limit`.
pub(super) fn spaced_run_end(folded: &str, words: &[RawWord], start: usize, limit: usize) -> usize {
    let mut end = start + 1;
    while end < words.len()
        && words[end].single_letter
        && words[end].end <= limit
        && is_blank_gap(&folded[words[end - 1].end..words[end].start])
    {
        end += 1;
    }
    end
}

fn is_blank_gap(gap: &str) -> bool {
    !gap.is_empty() && gap.chars().all(char::is_whitespace)
}

/// Emits the words of a run of spaced-out letters: the letters join, and a gap wider than the
/// narrowest gap of the run separates two words.
pub(super) fn emit_spaced_run(
    text: &str,
    folded: &str,
    origin: &[u32],
    run: &[RawWord],
    key_buf: &mut Vec<u8>,
    out: &mut Vec<Token>,
) {
    let gap = |k: usize| folded[run[k - 1].end..run[k].start].chars().count();
    let narrowest = (1..run.len()).map(gap).min().unwrap_or(1);
    let mut word_start = 0;
    for k in 1..=run.len() {
        if k == run.len() || gap(k) > narrowest {
            key_buf.clear();
            for w in &run[word_start..k] {
                push_alphanumeric(&folded[w.start..w.end], key_buf);
            }
            let start = origin[run[word_start].start];
            let last = origin[run[k - 1].end - 1] as usize;
            let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
            push_token(out, word_token(text, start, end as u32, key_buf));
            word_start = k;
        }
    }
}

/// Merges consecutive words that come from one character of the original text (a compatibility
/// decomposition such as U+0EDC LAO HO NO can yield two letters that segment as two words), so
/// that tokens never overlap in the original text.
pub(super) fn merge_words_sharing_a_character(origin: &[u32], words: &mut Vec<RawWord>) {
    // In place, so that the buffer keeps its capacity from one text to the next.
    let mut kept = 0usize;
    for i in 0..words.len() {
        let w = words[i];
        if kept > 0 {
            let last = &mut words[kept - 1];
            if origin[w.start] <= origin[last.end - 1] {
                last.end = w.end;
                last.single_letter = false;
                continue;
            }
        }
        words[kept] = w;
        kept += 1;
    }
    words.truncate(kept);
}

/// Finds the word segments of the folded text: UAX #29 segments with at least one letter or digit.
/// (`unicode_word_indices` takes a fast path through ASCII text, which most replies are once
/// folded; a general word-bound split took about a fifth of tokenizing.)
pub(super) fn find_words(folded: &str, words: &mut Vec<RawWord>) {
    words.clear();
    for (start, segment) in folded.unicode_word_indices() {
        let mut letters = 0usize;
        let mut alphabetic_single = true;
        for c in segment.chars() {
            if c.is_alphanumeric() {
                letters += 1;
                alphabetic_single &= c.is_alphabetic() && (c as u32) < 0x0530;
            }
        }
        if letters == 0 {
            continue;
        }
        words.push(RawWord {
            start,
            end: start + segment.len(),
            single_letter: letters == 1 && alphabetic_single,
            cjk: !segment.is_ascii() && segment.chars().next().is_some_and(is_cjk),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Folding
