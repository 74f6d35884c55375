//! What a reader sees of a text: HTML tags and comments read through, character references
//! decoded, markdown emphasis inside a word dropped, and explicit right-to-left overrides in the
//! order they display, each character with the byte offset in the caller's text it came from.
//!
//! A disguise hides a stock phrase from a matcher but not from the customer: `Ple<b></b>ase`,
//! `Ple&#97;se`, `Ple**ase**` and `\u{202E}esaelP\u{202C}` all read "Please". The tokenizer folds
//! what this module yields instead of the raw characters, so the disguised phrase meets its
//! shingles and its spans still point into the caller's text.

use super::floor_char_boundary;

/// The longest HTML tag read through (longer `<...>` runs are text).
const MAX_TAG: usize = 256;
/// The longest HTML comment read through.
const MAX_COMMENT: usize = 4096;
/// The longest character reference decoded (`&#x10FFFF;`).
const MAX_REFERENCE: usize = 10;

/// Whether `text` may read otherwise than it is written: it has markup, references, emphasis
/// marks or a right-to-left override (the check that keeps plain text on the fast path).
#[inline]
pub(super) fn may_differ(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, b'<' | b'&' | b'*' | b'~')) || text.contains('\u{202E}')
}

/// The characters of `text` as a reader sees them, with their byte offsets in `text` (see the
/// module docs), appended to `out`.
///
/// Offsets go forward except inside a right-to-left override, whose characters come in display
/// order with the offsets of the override's characters in text order (a span found there
/// covers the same stretch of the override, mirrored).
pub(super) fn reading_order(text: &str, out: &mut Vec<(u32, char)>) {
    out.clear();
    let mut i = 0;
    while i < text.len() {
        match markup_at(text, i) {
            Some(Markup::Hidden(len)) => i += len,
            Some(Markup::Reads(len, c)) => {
                out.push((i as u32, c));
                i += len;
            }
            Some(Markup::Override) => i = push_override(text, i, out),
            None => {
                let c = text[i..].chars().next().expect("a char boundary");
                out.push((i as u32, c));
                i += c.len_utf8();
            }
        }
    }
}

/// Markup a reader does not see as written.
pub(super) enum Markup {
    /// So many bytes read as nothing (an inline tag, a comment, an emphasis mark).
    Hidden(usize),
    /// So many bytes read as one character (a reference; a block tag reads as a space).
    Reads(usize, char),
    /// A right-to-left override starts.
    Override,
}

/// The markup at byte `i` of `text`, if any starts there.
#[inline]
pub(super) fn markup_at(text: &str, i: usize) -> Option<Markup> {
    match text.as_bytes()[i] {
        b'<' => tag_at(&text[i..]).map(|(len, separates)| {
            if separates {
                Markup::Reads(len, ' ')
            } else {
                Markup::Hidden(len)
            }
        }),
        b'&' => reference_at(&text[i..]).map(|(len, c)| Markup::Reads(len, c)),
        b'*' | b'~' if inside_word(text, i) => Some(Markup::Hidden(1)),
        0xE2 if text[i..].starts_with('\u{202E}') => Some(Markup::Override),
        _ => None,
    }
}

/// The length of the HTML tag or comment at the start of `s`, and whether it separates words
/// (a line break or a block), if `s` starts with one.
fn tag_at(s: &str) -> Option<(usize, bool)> {
    if let Some(rest) = s.strip_prefix("<!--") {
        let end = rest[..floor_char_boundary(rest, MAX_COMMENT)].find("-->")?;
        return Some((4 + end + 3, false));
    }
    let b = s.as_bytes();
    let first = *b.get(1)?;
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return None;
    }
    let limit = floor_char_boundary(s, MAX_TAG);
    let end = s[1..limit].find(['>', '<', '\n'])? + 1;
    if b[end] != b'>' {
        return None;
    }
    let inner = s[1..end].trim_start_matches('/');
    let name_len = inner.bytes().take_while(u8::is_ascii_alphanumeric).count();
    // A tag's name ends the tag or comes before its attributes: `<help@example.com>` and
    // `<https://example.com>` are addresses, not tags.
    let after = inner[name_len..].chars().next();
    if name_len == 0 || !after.is_none_or(|c| c == '/' || c.is_whitespace()) {
        return None;
    }
    let name = inner[..name_len].to_ascii_lowercase();
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "em", "font", "i", "ins", "kbd",
        "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "u", "wbr",
    ];
    Some((end + 1, !INLINE.contains(&name.as_str())))
}

/// The length of the character reference at the start of `s` and the character it stands for,
/// if `s` starts with one (`&#101;`, `&#x65;`, and the few named ones replies carry).
fn reference_at(s: &str) -> Option<(usize, char)> {
    let end = s[..floor_char_boundary(s, MAX_REFERENCE + 2)].find(';')?;
    let body = &s[1..end];
    let c = if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
    } else if let Some(dec) = body.strip_prefix('#') {
        char::from_u32(dec.parse().ok()?)?
    } else {
        match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{A0}',
            _ => return None,
        }
    };
    // A reference to a control character or to another markup character stays as written.
    (!c.is_control() || c.is_whitespace()).then_some((end + 1, c))
}

/// Whether the emphasis mark at byte `i` sits inside a word: a letter or digit before its run
/// of marks and after it.
fn inside_word(text: &str, i: usize) -> bool {
    let is_mark = |c: char| c == '*' || c == '~';
    let before = text[..i].chars().rev().find(|&c| !is_mark(c));
    let after = text[i..].chars().find(|&c| !is_mark(c));
    before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
}

/// Pushes the right-to-left override starting at byte `at` (U+202E) in display order, and returns
/// where the text goes on: after its closing pop (U+202C or U+2069), or at the line's end.
fn push_override(text: &str, at: usize, out: &mut Vec<(u32, char)>) -> usize {
    let start = at + '\u{202E}'.len_utf8();
    let rest = &text[start..];
    let (len, close) = match rest.find(['\u{202C}', '\u{2069}', '\n']) {
        Some(p) => {
            let c = rest[p..].chars().next().expect("a char");
            (p, if c == '\n' { 0 } else { c.len_utf8() })
        }
        None => (rest.len(), 0),
    };
    let run = &rest[..len];
    let offsets = run.char_indices().map(|(o, _)| (start + o) as u32);
    out.extend(offsets.zip(run.chars().rev()));
    start + len + close
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> String {
        let mut out = Vec::new();
        reading_order(text, &mut out);
        out.into_iter().map(|(_, c)| c).collect()
    }

    #[test]
    fn reading_table() {
        let cases: &[(&str, &str)] = &[
            ("Ple<b></b>ase", "Please"),
            ("Ple<!-- x -->ase", "Please"),
            ("line<br>break", "line break"),
            ("Ple&#97;se", "Please"),
            ("Ple&#x61;se", "Please"),
            ("fish &amp; chips", "fish & chips"),
            ("Ple**ase**", "Please**"), // (the closing marks end the word: punctuation)
            ("Ple~~a~~se", "Please"),
            ("\u{202E}esaelP\u{202C} DM us", "Please DM us"),
            // Left as written: not markup, not inside a word.
            ("a < b and c > d", "a < b and c > d"),
            ("<3 you", "<3 you"),
            ("* starred * item", "* starred * item"),
            ("&unknown; &#; & alone", "&unknown; &#; & alone"),
            ("&#0;", "&#0;"),
            ("<b unclosed", "<b unclosed"),
            ("write to <help@example.com>", "write to <help@example.com>"),
            ("see <https://example.com/a>", "see <https://example.com/a>"),
            ("a<br/>b<p class=\"x\">c", "a b c"),
        ];
        for (text, want) in cases {
            assert_eq!(read(text), *want, "{text:?}");
        }
    }

    #[test]
    fn offsets_are_char_boundaries_of_the_text() {
        for text in [
            "é<b>è</b>&#233;\u{202E}àé\u{202C}ü*ö*ä",
            "\u{202E}",
            "<!--",
            "&#x1F600;",
            "&éééééééé;",
            "<bééééé",
            "<b>",
        ] {
            let mut out = Vec::new();
            reading_order(text, &mut out);
            for (o, _) in out {
                assert!(text.is_char_boundary(o as usize) && (o as usize) < text.len());
            }
        }
    }
}
