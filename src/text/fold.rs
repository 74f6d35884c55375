//! Folding: each character of the caller's text lower-cased, decomposed, stripped of accents
//! and of invisible characters, and look-alike letters of other scripts folded to the Latin letter
//! they imitate, each folded byte remembering the original byte it came from.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds `text` into `folded`, recording for each byte of `folded` the byte offset in `text` of
/// the character it came from.
pub(super) fn fold(text: &str, folded: &mut String, origin: &mut Vec<u32>) {
    folded.clear();
    origin.clear();
    folded.reserve(text.len());
    origin.reserve(text.len());
    // (A fold, not `all`, so that the check runs over whole vectors of bytes.)
    let printable_ascii = text.bytes().fold(true, |ok, b| {
        ok & ((0x20..0x7f).contains(&b) | (b == b'\t') | (b == b'\n') | (b == b'\r'))
    });
    if printable_ascii {
        // Most replies: ASCII without control characters, which folds byte for byte to its
        // lower case (as `fold_chars` would fold it).
        folded.push_str(text);
        folded.make_ascii_lowercase();
        origin.extend(0..text.len() as u32);
        return;
    }
    fold_chars(text, folded, origin);
}

/// Folds `text` character by character onto `folded` and `origin` (see [`fold`]).
fn fold_chars(text: &str, folded: &mut String, origin: &mut Vec<u32>) {
    let mut base_is_alphabetic = false;
    for (offset, c) in text.char_indices() {
        let offset = offset as u32;
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
            if let Some(latin) = confusable(d) {
                base_is_alphabetic = true;
                push_char(folded, origin, latin, offset);
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
                let l = confusable(l).unwrap_or(l);
                push_char(folded, origin, l, offset);
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

/// Letters of other scripts that look like a Latin letter, mapped to it (after UTS #39's
/// confusables, restricted to the letters that pass for Latin in running text).
fn confusable(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'а' | 'А' => 'a',
        'В' => 'b',
        'с' | 'С' | 'ϲ' | 'Ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' => 'e',
        'һ' | 'Һ' | 'Н' => 'h',
        'і' | 'І' | 'ї' | 'Ї' | 'ӏ' | 'Ӏ' | 'ı' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' => 'k',
        'М' => 'm',
        'о' | 'О' => 'o',
        'р' | 'Р' => 'p',
        'ԛ' | 'Ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'Т' => 't',
        'у' | 'У' | 'ү' | 'Ү' => 'y',
        'х' | 'Х' => 'x',
        'ԝ' | 'Ԝ' => 'w',
        'ɡ' => 'g',
        // Greek
        'α' | 'Α' => 'a',
        'Β' => 'b',
        'ε' | 'Ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'ι' | 'Ι' => 'i',
        'κ' | 'Κ' => 'k',
        'Μ' => 'm',
        'Ν' | 'ν' => 'n',
        'ο' | 'Ο' => 'o',
        'ρ' | 'Ρ' => 'p',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' => 'u',
        'χ' | 'Χ' => 'x',
        _ => return None,
    })
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
            fold_chars(text, &mut slow, &mut slow_origin);
            assert_eq!((fast, fast_origin), (slow, slow_origin), "{text:?}");
        }
    }

    #[test]
    fn folding_table() {
        let same: &[(&str, &str)] = &[
            ("please dm us", "plеase dm us"),           // Cyrillic е
            ("please dm us", "ple\u{200B}ase dm us"),   // zero-width space
            ("please dm us", "PLEASE DM US"),           // case
            ("please dm us", "ｐｌｅａｓｅ ｄｍ ｕｓ"), // full-width
            ("please dm us", "please 🙏 dm 🙏 us"),     // emoji between words
            ("please dm us", "please!! dm... us??"),    // doubled punctuation
            ("please dm us", "p l e a s e  d m  u s"),  // spaced out
            ("please dm us", "p.l.e.a.s.e dm us"),      // dotted
            ("please dm us", "pléase dm us"),           // accents
            ("please dm us", "p\u{0308}lease dm us"),   // combining diaeresis
            ("please dm us", "ΡLΕΑSΕ DM US"),           // Greek capitals
            ("please dm us", "please\u{202E} dm us"),   // bidi override
            ("strasse", "Straße"),
        ];
        for (a, b) in same {
            assert_eq!(keys(a), keys(b), "{a:?} vs {b:?}");
        }
    }
}
