//! Folding: each character of the caller's text, as a reader sees it ([`super::reading`]),
//! lower-cased, decomposed, stripped of accents and of invisible characters, and look-alike
//! letters of other scripts folded to the Latin letters they imitate, each folded byte
//! remembering the original byte it came from.
//!
//! Look-alikes come from Unicode's confusables data (UTS #39), through the `unicode-security`
//! crate's skeleton, for the letters of the scripts that pass for Latin in running text (Latin's
//! own extensions and small capitals, Greek, Cyrillic, Armenian, Cherokee, Lisu, Coptic); a
//! hand list of them missed whole scripts and folded some letters wrongly (the Cyrillic palochka
//! `ӏ` reads as `l`, the Greek nu `ν` as `v`). The Latin small capitals, which that data keeps
//! apart, come from their Unicode names ([`super::small_capitals`], generated).

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use super::reading::{Markup, markup_at, may_differ, reading_order};
use super::small_capitals::SMALL_CAPITALS;

/// Folds `text` into `folded`, recording for each byte of `folded` the byte offset in `text` of
/// the character it came from.
pub(super) fn fold(text: &str, folded: &mut String, origin: &mut Vec<u32>) {
    folded.clear();
    origin.clear();
    folded.reserve(text.len());
    origin.reserve(text.len());
    let (printable_ascii, markup) = scan_ascii(text.as_bytes());
    if printable_ascii && !markup {
        // Most replies: ASCII without control characters or markup, which folds byte for byte
        // to its lower case (as `fold_chars` would fold it).
        folded.push_str(text);
        folded.make_ascii_lowercase();
        origin.extend(0..text.len() as u32);
        return;
    }
    if printable_ascii && fold_ascii_markup(text, folded, origin) {
        return;
    }
    if markup || (!printable_ascii && may_differ(text)) {
        let mut read = Vec::new();
        reading_order(text, &mut read);
        fold_chars(read.into_iter(), folded, origin);
    } else {
        fold_chars(
            text.char_indices().map(|(o, c)| (o as u32, c)),
            folded,
            origin,
        );
    }
}

/// Whether `bytes` are printable ASCII (tabs and line breaks included), and whether any of them
/// may start markup a reader does not see (`<`, `&`, `*`, `~`).
///
/// One pass of branch-free byte tests, OR-ed into byte accumulators over blocks of 32 bytes so
/// that the compiler turns each block into a few vector instructions (a fold of two booleans
/// over the bytes took 16 instructions a byte).
fn scan_ascii(bytes: &[u8]) -> (bool, bool) {
    let test = |b: u8| -> (u8, u8) {
        let unprintable = (b >= 0x7f) as u8
            | ((b < 0x20) as u8 & (b != b'\t') as u8 & (b != b'\n') as u8 & (b != b'\r') as u8);
        let markup = (b == b'<') as u8 | (b == b'&') as u8 | (b == b'*') as u8 | (b == b'~') as u8;
        (unprintable, markup)
    };
    let (mut unprintable, mut markup) = (0u8, 0u8);
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        let (mut u, mut m) = ([0u8; 32], [0u8; 32]);
        for k in 0..32 {
            (u[k], m[k]) = test(block[k]);
        }
        unprintable |= u.iter().fold(0, |a, &x| a | x);
        markup |= m.iter().fold(0, |a, &x| a | x);
    }
    for &b in blocks.remainder() {
        let (u, m) = test(b);
        unprintable |= u;
        markup |= m;
    }
    (unprintable == 0, markup != 0)
}

/// Folds printable ASCII with markup in it (`&amp;`, `<b>`) byte for byte between the markup,
/// as `fold_chars` would fold what it reads; false, with nothing folded, when some markup reads
/// as a character that is not printable ASCII (then `fold_chars` folds it all).
fn fold_ascii_markup(text: &str, folded: &mut String, origin: &mut Vec<u32>) -> bool {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], b'<' | b'&' | b'*' | b'~') {
            i += 1;
            continue;
        }
        let Some(markup) = markup_at(text, i) else {
            i += 1;
            continue;
        };
        push_ascii_run(text, run..i, folded, origin);
        i += match markup {
            Markup::Hidden(len) => len,
            Markup::Reads(len, c) if c.is_ascii() && !c.is_ascii_control() => {
                folded.push(c.to_ascii_lowercase());
                origin.push(i as u32);
                len
            }
            Markup::Reads(..) | Markup::Override => {
                folded.clear();
                origin.clear();
                return false;
            }
        };
        run = i;
    }
    push_ascii_run(text, run..bytes.len(), folded, origin);
    true
}

/// Folds a run of printable ASCII byte for byte.
fn push_ascii_run(
    text: &str,
    run: std::ops::Range<usize>,
    folded: &mut String,
    origin: &mut Vec<u32>,
) {
    let start = folded.len();
    folded.push_str(&text[run.clone()]);
    folded[start..].make_ascii_lowercase();
    origin.extend(run.start as u32..run.end as u32);
}

/// Folds characters (each with its offset in the caller's text) onto `folded` and `origin`
/// (see [`fold`]).
fn fold_chars(
    chars: impl Iterator<Item = (u32, char)>,
    folded: &mut String,
    origin: &mut Vec<u32>,
) {
    let mut base_is_alphabetic = false;
    for (offset, c) in chars {
        if c.is_ascii() {
            base_is_alphabetic = c.is_ascii_alphabetic();
            folded.push(fold_ascii(c as u8) as char);
            origin.push(offset);
            continue;
        }
        if is_ignorable(c) {
            continue;
        }
        if c.is_control() {
            folded.push(' ');
            origin.push(offset);
            continue;
        }
        if let Some(letter) = regional_indicator(c) {
            base_is_alphabetic = true;
            push_char(folded, origin, letter, offset);
            continue;
        }
        if is_hangul_syllable(c) {
            push_char(folded, origin, c, offset);
            base_is_alphabetic = false;
            continue;
        }
        let mut emit = |d: char| {
            if is_combining_mark(d) {
                if base_is_alphabetic || is_generic_diacritic(d) {
                    return;
                }
                push_char(folded, origin, d, offset);
                return;
            }
            if let Some(latin) = look_alike(d) {
                base_is_alphabetic = true;
                for l in latin.chars() {
                    push_char(folded, origin, l, offset);
                }
                return;
            }
            base_is_alphabetic =
                d.is_alphabetic() && (d as u32) < 0x0530 || (0x1E00..=0x1FFF).contains(&(d as u32));
            if d == 'ß' || d == 'ẞ' {
                push_char(folded, origin, 's', offset);
                push_char(folded, origin, 's', offset);
                return;
            }
            for l in d.to_lowercase() {
                let l = if l == 'ς' { 'σ' } else { l };
                match look_alike(l) {
                    Some(latin) => latin
                        .chars()
                        .for_each(|l| push_char(folded, origin, l, offset)),
                    None => push_char(folded, origin, l, offset),
                }
            }
        };
        decompose_compatible(c, &mut emit);
    }
}

/// An ASCII character folded: lower-case, and control characters other than tabs and line breaks
/// as spaces.
fn fold_ascii(b: u8) -> u8 {
    if b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r') {
        b' '
    } else {
        b.to_ascii_lowercase()
    }
}

fn push_char(folded: &mut String, origin: &mut Vec<u32>, c: char, offset: u32) {
    folded.push(c);
    for _ in 0..c.len_utf8() {
        origin.push(offset);
    }
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Combining marks that are diacritics whatever letter they sit on (the blocks that "Zalgo" text
/// stacks), as opposed to the vowel signs of Indic and other scripts.
fn is_generic_diacritic(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Whether `c` shows nothing: a character the normaliser drops (zero-width and bidi marks,
/// variation selectors, soft hyphens, ...).
pub(crate) fn is_invisible(c: char) -> bool {
    is_ignorable(c)
}

/// Default-ignorable code points (Unicode's DerivedCoreProperties), which render as nothing.
fn is_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// A regional-indicator symbol (🇦 to 🇿, which pair into flags) as the letter it shows.
fn regional_indicator(c: char) -> Option<char> {
    let n = (c as u32).checked_sub(0x1F1E6).filter(|&n| n < 26)?;
    char::from_u32('a' as u32 + n)
}

/// The lower-case Latin letters (one or two) that the letter `c` of another script or form
/// imitates, after UTS #39's confusables (see the module docs); `None` for ASCII and for the
/// letters that imitate none.
fn look_alike(c: char) -> Option<LookAlike> {
    if c.is_ascii() || !c.is_alphabetic() || !passes_for_latin(c) {
        return None;
    }
    let mut latin = LookAlike::default();
    // Small capitals: the confusables data keeps them apart from the letters they show.
    if let Ok(i) = SMALL_CAPITALS.binary_search_by_key(&c, |&(sc, _)| sc) {
        latin.letters[0] = SMALL_CAPITALS[i].1 as u8;
        latin.len = 1;
        return Some(latin);
    }
    let mut buf = [0u8; 4];
    for p in unicode_security::confusable_detection::skeleton(c.encode_utf8(&mut buf)) {
        if !p.is_ascii_alphabetic() || latin.len == 2 {
            return None;
        }
        latin.letters[latin.len] = p.to_ascii_lowercase() as u8;
        latin.len += 1;
    }
    (latin.len > 0).then_some(latin)
}

/// One or two ASCII letters.
#[derive(Default, Clone, Copy)]
struct LookAlike {
    letters: [u8; 2],
    len: usize,
}

impl LookAlike {
    fn chars(self) -> impl Iterator<Item = char> {
        self.letters.into_iter().take(self.len).map(char::from)
    }
}

/// Whether `c` is in a block of the scripts whose letters pass for Latin in running text (Latin's
/// extensions, IPA and small capitals, Greek, Cyrillic, Armenian, Cherokee, Lisu, Coptic, the
/// letter-like symbols); other scripts keep their letters.
fn passes_for_latin(c: char) -> bool {
    matches!(c as u32,
        0x0080..=0x058F | 0x13A0..=0x13FF | 0x1C80..=0x1C8F | 0x1D00..=0x1DBF | 0x1E00..=0x1FFF
        | 0x2100..=0x214F | 0x2C60..=0x2CFF | 0x2DE0..=0x2DFF | 0xA4D0..=0xA4FF | 0xA640..=0xA69F
        | 0xA720..=0xA7FF | 0xAB30..=0xABBF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tests::keys;

    #[test]
    fn printable_ascii_folds_as_character_by_character() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "Hello, World! DM us at @Help #123 {{ticket.id}}".into(),
            "tabs\tand\nbreaks\r\n~`|^".into(),
            "a bell\u{7} and a delete\u{7f}".into(), // control characters: the slow path
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..200 {
            let text: String = (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    char::from((seed >> 33) as u8 % 128)
                })
                .collect();
            texts.push(text);
        }
        for text in &texts {
            let (mut fast, mut fast_origin) = (String::new(), Vec::new());
            fold(text, &mut fast, &mut fast_origin);
            let (mut slow, mut slow_origin) = (String::new(), Vec::new());
            let mut read = Vec::new();
            reading_order(text, &mut read);
            fold_chars(read.into_iter(), &mut slow, &mut slow_origin);
            assert_eq!((fast, fast_origin), (slow, slow_origin), "{text:?}");
        }
    }

    /// The blockwise scan against the plain definition, for every byte at every place of a
    /// text longer than two blocks (the blocks and the remainder).
    #[test]
    fn ascii_scan_equals_its_definition() {
        let plain = |bytes: &[u8]| {
            let printable = bytes
                .iter()
                .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'));
            let markup = bytes
                .iter()
                .any(|&b| matches!(b, b'<' | b'&' | b'*' | b'~'));
            (printable, markup)
        };
        for at in 0..70 {
            for b in 0..=255u8 {
                let mut bytes = vec![b'a'; 70];
                bytes[at] = b;
                assert_eq!(scan_ascii(&bytes), plain(&bytes), "{b} at {at}");
            }
        }
    }

    proptest::proptest! {
        /// Every folded byte comes from a character boundary of the text, in order except
        /// inside a right-to-left override; and folding what folding gave changes nothing
        /// (for text without markup, whose references may spell more markup).
        #[test]
        fn origins_are_char_boundaries_and_the_fold_is_idempotent(
            text in "[a-zA-Z0-9 .,!?'<>&*~#;éÉßıӏνᴀꓮᎪօɑɩ\u{1F1E6}\u{202E}\u{202C}\u{200B}\u{A0}\u{3000}\u{2800}\u{0301}]{0,40}",
        ) {
            let (mut folded, mut origin) = (String::new(), Vec::new());
            fold(&text, &mut folded, &mut origin);
            proptest::prop_assert_eq!(origin.len(), folded.len());
            for &o in &origin {
                proptest::prop_assert!((o as usize) < text.len() && text.is_char_boundary(o as usize));
            }
            if !text.contains(['<', '&', '*', '~', '\u{202E}']) {
                let (mut again, mut again_origin) = (String::new(), Vec::new());
                fold(&folded, &mut again, &mut again_origin);
                proptest::prop_assert_eq!(again, folded);
            }
        }
    }

    #[test]
    fn folding_table() {
        let same: &[(&str, &str)] = &[
            ("please dm us", "plеase dm us"),                 // Cyrillic е
            ("please dm us", "ple\u{200B}ase dm us"),         // zero-width space
            ("please dm us", "PLEASE DM US"),                 // case
            ("please dm us", "ｐｌｅａｓｅ ｄｍ ｕｓ"),       // full-width
            ("please dm us", "please 🙏 dm 🙏 us"),           // emoji between words
            ("please dm us", "please!! dm... us??"),          // doubled punctuation
            ("please dm us", "p l e a s e  d m  u s"),        // spaced out
            ("please dm us", "p.l.e.a.s.e dm us"),            // dotted
            ("please dm us", "pléase dm us"),                 // accents
            ("please dm us", "p\u{0308}lease dm us"),         // combining diaeresis
            ("please dm us", "ΡLΕΑSΕ DM US"),                 // Greek capitals
            ("please dm us", "please\u{202A} dm us"),         // bidi embedding
            ("please dm us", "\u{202E}su md esaelp\u{202C}"), // reversed in an override
            ("strasse", "Straße"),
            ("please dm us", "ꓑꓡꓰꓮꓢꓰ ꓓꓟ ꓴꓢ"),        // Lisu capitals
            ("please dm us", "ᴘʟᴇᴀꜱᴇ ᴅᴍ ᴜꜱ"),        // Latin small capitals
            ("please dm us", "p\u{04CF}ease dm us"), // Cyrillic palochka, an l
            (
                "please dm us",
                "\u{1F1F5}\u{1F1F1}\u{1F1EA}\u{1F1E6}\u{1F1F8}\u{1F1EA} dm us",
            ), // regional indicators
            ("please dm us", "ple<b></b>ase dm us"), // an HTML tag
            ("please dm us", "ple&#97;se dm us"),    // a character reference
        ];
        for (a, b) in same {
            assert_eq!(keys(a), keys(b), "{a:?} vs {b:?}");
        }
    }
}
