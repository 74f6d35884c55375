//! Words of the folded text: UAX #29 segments with a letter or digit, the words that one
//! character split into joined again, and runs of spaced-out letters joined into words.

use unicode_segmentation::UnicodeSegmentation;

use super::token::{Token, push_token, word_token};

/// A word of the folded text, before slot masking.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
///
/// Text of ASCII and a few common characters that never join a word (most replies once folded)
/// goes through [`scan_words`], a byte scanner of the rules those characters have; any other
/// text through unicode-segmentation ([`find_unicode_words`]), which is also the oracle the
/// scanner is tested against (a differential property test, every character the scanner
/// knows, the `tokenize` fuzz target, and every text of the real corpus).
pub(super) fn find_words(folded: &str, words: &mut Vec<RawWord>) {
    if !scan_words(folded.as_bytes(), words) {
        find_unicode_words(folded, words);
    }
}

/// [`find_words`] through unicode-segmentation alone, whatever the text.
///
/// (`unicode_word_indices` takes a fast path through ASCII, but still took 1.5 to 2.2 µs a reply
/// of the real corpus, where [`find_words`], the scanner with the texts it hands over, took 0.7
/// to 0.9 µs in the same runs.)
pub(super) fn find_unicode_words(folded: &str, words: &mut Vec<RawWord>) {
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

/// The word-break class (UAX #29) of a character the scanner knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// ASCII letters (ALetter).
    Letter,
    /// ASCII digits (Numeric).
    Digit,
    /// `_` (ExtendNumLet): joins the letters and digits on either side.
    Underscore,
    /// `:` and `·` (MidLetter): join two letters.
    MidLetter,
    /// `,` and `;` (MidNum): join two digits.
    MidNum,
    /// `.`, `'`, `‘` and `’` (MidNumLet, Single_Quote): join two letters or two digits.
    MidNumLet,
    /// Everything else the scanner knows: breaks on both sides.
    Other,
}

/// The class of the ASCII byte `b` (and `Other` for the bytes past ASCII, which
/// [`scan_words`] decodes apart).
#[inline(always)]
fn ascii_class(b: u8) -> Class {
    ASCII_CLASSES[b as usize]
}

/// [`ascii_class`] as a table, so that the scanner's inner loop is one load a byte.
static ASCII_CLASSES: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
            b'0'..=b'9' => Class::Digit,
            b'_' => Class::Underscore,
            b':' => Class::MidLetter,
            b',' | b';' => Class::MidNum,
            b'.' | b'\'' => Class::MidNumLet,
            _ => Class::Other,
        };
        b += 1;
    }
    table
};

/// The class of a character past ASCII that the scanner knows, or `None`: the curly
/// apostrophes (MidNumLet) and the middle dot (MidLetter); the quotation marks, dashes, bullets,
/// currency signs and arrows of running text, and the emoji of the common blocks, all of which
/// break on both sides (none of them is Extend, Format or ZWJ, which attach to what they follow).
/// Checked character by character against unicode-segmentation.
fn known_class(c: char) -> Option<Class> {
    if c.is_alphanumeric() {
        // Circled and other digits of the dingbats (`❶`) are words of their own.
        return None;
    }
    match c as u32 {
        0x2018 | 0x2019 => Some(Class::MidNumLet),
        0x00B7 => Some(Class::MidLetter),
        0x00A1..=0x00A9 | 0x00AB | 0x00B0 | 0x00B1 | 0x00BB | 0x00D7 | 0x00F7 => Some(Class::Other),
        0x20A0..=0x20C0 | 0xFFFD => Some(Class::Other),
        0x2010..=0x2017 | 0x201A..=0x2023 | 0x2030..=0x203E => Some(Class::Other),
        0x2190..=0x21FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF => Some(Class::Other),
        0x1F300..=0x1F3FA | 0x1F400..=0x1F64F | 0x1F680..=0x1F6FF | 0x1F900..=0x1F9FF => {
            Some(Class::Other)
        }
        _ => None,
    }
}

/// The class of the character at byte `at` of `bytes` and its length in bytes; `None` for one
/// [`scan_words`] does not know.
#[inline(always)]
fn class_at(bytes: &[u8], at: usize) -> Option<(Class, usize)> {
    let b = bytes[at];
    if b < 0x80 {
        return Some((ascii_class(b), 1));
    }
    let len = match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    let c = std::str::from_utf8(bytes.get(at..at + len)?)
        .ok()?
        .chars()
        .next()?;
    Some((known_class(c)?, len))
}

/// [`find_words`] by a byte scanner, for text whose characters it knows (ASCII and
/// [`known_class`]); false, with `words` in an unspecified state, for any other text.
///
/// The rules are UAX #29's for those classes: letters, digits and `_` always join (WB5, WB8 to
/// WB10, WB13a, WB13b); a MidLetter or MidNumLet between two letters joins them (WB6, WB7); a
/// MidNum or MidNumLet between two digits joins them (WB11, WB12); every other pair breaks
/// (WB999). Segments without a letter or digit (`_` alone) are left out, as the Unicode path
/// leaves them out.
pub(super) fn scan_words(bytes: &[u8], words: &mut Vec<RawWord>) -> bool {
    words.clear();
    let n = bytes.len();
    let is_word = |c: Class| matches!(c, Class::Letter | Class::Digit | Class::Underscore);
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b < 0x80 && !is_word(ascii_class(b)) {
            i += 1;
            continue;
        }
        let (class, len) = match class_at(bytes, i) {
            Some(known) => known,
            None => return false,
        };
        if !is_word(class) {
            i += len;
            continue;
        }
        let start = i;
        let (mut letters, mut digits) = (0usize, 0usize);
        let mut last = class;
        loop {
            // The run of letters, digits and `_` (all ASCII).
            while let Some(&b) = bytes.get(i) {
                let class = ascii_class(b);
                if !is_word(class) {
                    break;
                }
                last = class;
                letters += (last == Class::Letter) as usize;
                digits += (last == Class::Digit) as usize;
                i += 1;
            }
            if i >= n {
                break;
            }
            // A middle character joins the run to what follows it when the characters on
            // both sides allow it.
            let (mid, mid_len) = match class_at(bytes, i) {
                Some(known) => known,
                None => return false,
            };
            let after = bytes.get(i + mid_len).copied().map(ascii_class);
            let joins = matches!(
                (last, mid, after),
                (
                    Class::Letter,
                    Class::MidLetter | Class::MidNumLet,
                    Some(Class::Letter)
                ) | (
                    Class::Digit,
                    Class::MidNum | Class::MidNumLet,
                    Some(Class::Digit)
                )
            );
            if !joins {
                break;
            }
            i += mid_len;
        }
        if letters + digits > 0 {
            words.push(RawWord {
                start,
                end: i,
                single_letter: letters == 1 && digits == 0,
                cjk: false,
            });
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `text` by the scanner (or its fallback) and by unicode-segmentation.
    fn both(text: &str) -> (Vec<RawWord>, Vec<RawWord>) {
        let (mut fast, mut crates) = (Vec::new(), Vec::new());
        find_words(text, &mut fast);
        find_unicode_words(text, &mut crates);
        (fast, crates)
    }

    #[test]
    fn scanner_table() {
        // (text, the words the scanner finds; it must know every character of these)
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("hi there", &["hi", "there"]),
            ("we're here", &["we're", "here"]),
            ("we\u{2019}re", &["we\u{2019}re"]),
            (
                "3.14 and 1,000;5 but 1:2",
                &["3.14", "and", "1,000;5", "but", "1", "2"],
            ),
            ("a:b a,b a;b", &["a:b", "a", "b", "a", "b"]),
            (
                "a.1 1.a a1.b b1.1",
                &["a", "1", "1", "a", "a1", "b", "b1.1"],
            ),
            ("__ _a b_ a__b", &["_a", "b_", "a__b"]),
            ("e.g. u.s.a.", &["e.g", "u.s.a"]),
            (
                "end. \u{201C}quoted\u{201D} \u{2013} ok \u{1F44D}",
                &["end", "quoted", "ok"],
            ),
            ("'tis", &["tis"]),
        ];
        for &(text, want) in cases {
            let mut words = Vec::new();
            assert!(scan_words(text.as_bytes(), &mut words), "{text:?}");
            let got: Vec<&str> = words.iter().map(|w| &text[w.start..w.end]).collect();
            assert_eq!(got, want, "{text:?}");
            assert_eq!(words, both(text).1, "{text:?}");
        }
        // Characters it does not know send the text to unicode-segmentation.
        for text in [
            "caf\u{e9}",
            "\u{4F60}\u{597D}",
            "a\u{200D}b",
            "ok \u{1F44D}\u{1F3FB}",
        ] {
            assert!(!scan_words(text.as_bytes(), &mut Vec::new()), "{text:?}");
        }
    }

    /// Every character the scanner knows, and every ASCII character, between and beside
    /// letters, digits, `_` and the middle characters: the scanner's words are
    /// unicode-segmentation's.
    #[test]
    fn every_known_character_segments_as_unicode_segmentation_does() {
        let known = (0u32..0x110000)
            .filter_map(char::from_u32)
            .filter(|&c| c.is_ascii() || known_class(c).is_some());
        let mut checked = 0;
        for c in known {
            for context in [
                "a{}b", "1{}2", "a{}{}b", "{}a", "a{}", "_{}_", "a{}1", "1{}a", "x.{}y", "{}'s",
                "a'{}", "9,{}9", "{}",
            ] {
                let text = context.replace("{}", &c.to_string());
                let (fast, crates) = both(&text);
                assert_eq!(fast, crates, "{text:?} ({:04X})", c as u32);
                checked += 1;
            }
        }
        assert!(checked > 5_000);
    }

    proptest::proptest! {
        /// The scanner against unicode-segmentation on text built from the characters whose
        /// rules matter (and some it does not know, which it hands over).
        #[test]
        fn scanner_equals_unicode_segmentation(
            text in "[a-zA-Z0-9_ .,:;'\"!?@#/\n\t\r\u{2018}\u{2019}\u{201C}\u{201D}\u{2013}\u{2014}\u{1F44D}\u{1F642}\u{2764}\u{e9}\u{3000}\u{2024}\u{FF0E}\u{B7}\u{5D0}-]{0,48}",
        ) {
            let (fast, crates) = both(&text);
            proptest::prop_assert_eq!(fast, crates);
        }
    }
}
