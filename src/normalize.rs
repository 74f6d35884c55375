//! Text normalisation: folding, word tokens with byte ranges into the caller's text, and slot masking.
//!
//! Every comparison cannery makes runs on the token stream this module produces. The pipeline is:
//!
//! 1. **Fold** each character of the caller's text: drop default-ignorable code points (zero-width
//!    spaces and joiners, bidi marks, variation selectors, soft hyphens), decompose with NFKD
//!    (full-width forms, ligatures, mathematical letters), drop combining accents on Latin, Greek and
//!    Cyrillic letters, lower-case, and fold look-alike letters of other scripts (Cyrillic `е`, Greek
//!    `ο`, ...) to the Latin letter they imitate. Each folded byte remembers the byte of the original
//!    text it came from, so every range reported later points into the caller's text.
//! 2. **Segment** the folded text into words with Unicode's word boundaries (UAX #29, from
//!    `unicode-segmentation`); Chinese and Japanese come out a character a word. Segments with no
//!    letter or digit (punctuation, emoji, spaces) separate words and are otherwise ignored. A word's
//!    key keeps only its letters and digits, so `p.l.e.a.s.e` and `please` are one word.
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

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_segmentation::UnicodeSegmentation;

/// The kinds of variable content that [`tokenize`] replaces with a typed slot.
///
/// ```
/// use cannery::Slot;
/// assert_eq!(Slot::Url.placeholder(), "<url>");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Slot {
    /// An @handle: `@AmazonHelp`, `@115712`.
    User,
    /// A web address: `https://t.co/abc`, `www.example.com`, `example.com/help`.
    Url,
    /// An e-mail address.
    Email,
    /// A number, an order or case id, a price: `12345`, `#A1B2C3`, `£80`.
    Number,
    /// A date or a time of day: `20/10`, `8am`, `11:30`, `27th Dec`.
    Date,
    /// The customer's first name after a greeting or as a vocative: `Hi Tina,`, `..., Henry?`.
    Name,
    /// An agent's sign-off at the end of a reply: `^JK`, `-Becky`, `*SR`, `Kind regards - Rhys`.
    Signature,
    /// A helpdesk placeholder of no other kind, left unfilled: `{{ticket.title}}`. (Placeholders
    /// of a known kind take that kind: `{{ticket.requester.first_name}}` is a [`Slot::Name`].)
    Field,
}

impl Slot {
    /// All slot kinds, in a fixed order.
    ///
    /// ```
    /// assert_eq!(cannery::Slot::ALL.len(), 8);
    /// ```
    pub const ALL: [Slot; 8] = [
        Slot::User,
        Slot::Url,
        Slot::Email,
        Slot::Number,
        Slot::Date,
        Slot::Name,
        Slot::Signature,
        Slot::Field,
    ];

    /// The placeholder text used for this slot in template texts: `<user>`, `<url>`, `<email>`,
    /// `<num>`, `<date>`, `<name>`, `<sig>` or `<field>`.
    ///
    /// ```
    /// assert_eq!(cannery::Slot::Signature.placeholder(), "<sig>");
    /// ```
    pub fn placeholder(self) -> &'static str {
        match self {
            Slot::User => "<user>",
            Slot::Url => "<url>",
            Slot::Email => "<email>",
            Slot::Number => "<num>",
            Slot::Date => "<date>",
            Slot::Name => "<name>",
            Slot::Signature => "<sig>",
            Slot::Field => "<field>",
        }
    }

    /// Whether the slot is template mechanics (a handle, a sign-off, a name) that says nothing about
    /// how canned the rest of the reply is. Such slots are left out of the coverage fractions.
    pub(crate) fn is_mechanics(self) -> bool {
        matches!(self, Slot::User | Slot::Signature | Slot::Name)
    }
}

/// What a [`Token`] is: a word, or a slot standing for variable content.
///
/// ```
/// use cannery::{tokenize, TokenKind};
/// assert_eq!(tokenize("hello")[0].kind(), TokenKind::Word);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A word (letters and digits; one character for ideographic scripts).
    Word,
    /// A masked span of variable content.
    Slot(Slot),
}

/// One token of a reply: its kind, its byte range in the caller's text and a 32-bit key of its
/// folded form (equal keys mean equal folded words, up to hash collisions).
///
/// ```
/// use cannery::tokenize;
/// let a = tokenize("PLEASE");
/// let b = tokenize("ｐｌｅａｓｅ"); // full-width
/// assert_eq!(a[0].key(), b[0].key());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    start: u32,
    end: u32,
    key: u32,
    /// Key of the first five letters of the folded word (a crude stem, for matching
    /// "travelling" with "travel" in the customer's message).
    stem: u32,
    kind: TokenKind,
    flags: u8,
}

/// The token's first letter is upper-case in the original text.
const CAPITALISED: u8 = 1;
/// The token starts a sentence (or the reply, after any @handles).
const SENTENCE_START: u8 = 2;
/// The token is written in capitals throughout (at least two letters): `UK`, `FIOS`.
const ALL_CAPS: u8 = 4;

impl Token {
    /// The token's byte range in the text it was cut from.
    ///
    /// ```
    /// let t = &cannery::tokenize("Hi there")[1];
    /// assert_eq!(t.range(), 3..8);
    /// ```
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The token's kind.
    ///
    /// ```
    /// use cannery::{tokenize, Slot, TokenKind};
    /// assert_eq!(tokenize("see https://x.co/a")[1].kind(), TokenKind::Slot(Slot::Url));
    /// ```
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The 32-bit key of the token's folded form; every slot of a kind has one key.
    ///
    /// ```
    /// let t = cannery::tokenize("plеase please"); // the first has a Cyrillic "е"
    /// assert_eq!(t[0].key(), t[1].key());
    /// ```
    pub fn key(&self) -> u32 {
        self.key
    }

    /// The slot this token stands for, if it is one.
    ///
    /// ```
    /// use cannery::{tokenize, Slot};
    /// assert_eq!(tokenize("@bob hi")[0].slot(), Some(Slot::User));
    /// ```
    pub fn slot(&self) -> Option<Slot> {
        match self.kind {
            TokenKind::Slot(s) => Some(s),
            TokenKind::Word => None,
        }
    }

    /// Whether the token looks like a proper noun or an acronym: a capitalised word that does not
    /// start a sentence, or a word in capitals throughout (`UK`, `FIOS`; not `I`).
    ///
    /// ```
    /// let text = "Your flight to Rome leaves from the UK. Thanks!";
    /// let names: Vec<&str> = cannery::tokenize(text).iter()
    ///     .filter(|t| t.is_proper()).map(|t| &text[t.range()]).collect();
    /// assert_eq!(names, ["Rome", "UK"]);
    /// ```
    pub fn is_proper(&self) -> bool {
        self.kind == TokenKind::Word
            && (self.flags & ALL_CAPS != 0
                || self.flags & CAPITALISED != 0 && self.flags & SENTENCE_START == 0)
    }

    pub(crate) fn stem(&self) -> u32 {
        self.stem
    }

    pub(crate) fn starts_sentence(&self) -> bool {
        self.flags & SENTENCE_START != 0
    }
}

/// A word token of `text[start..end]` whose folded letters are in `key_buf`.
fn word_token(text: &str, start: u32, end: u32, key_buf: &[u8]) -> Token {
    let key = word_key(key_buf);
    let stem_len = if key_buf.is_ascii() {
        key_buf.len().min(5)
    } else {
        std::str::from_utf8(key_buf)
            .ok()
            .and_then(|s| s.char_indices().nth(5).map(|(i, _)| i))
            .unwrap_or(key_buf.len())
    };
    let stem = if stem_len == key_buf.len() {
        key
    } else {
        word_key(&key_buf[..stem_len])
    };
    let original = &text[start as usize..end as usize];
    let mut flags = 0;
    if original.chars().next().is_some_and(char::is_uppercase) {
        flags |= CAPITALISED;
        let letters = original.chars().filter(|c| c.is_alphabetic());
        if letters.clone().count() >= 2 && letters.clone().all(char::is_uppercase) {
            flags |= ALL_CAPS;
        }
    }
    Token {
        start,
        end,
        key,
        stem,
        kind: TokenKind::Word,
        flags,
    }
}

/// Marks the tokens that start a sentence: the first token after leading @handles, and every
/// token after a sentence end or a line break.
fn mark_sentence_starts(text: &str, tokens: &mut [Token]) {
    let mut prev_end = 0usize;
    let mut at_start = true;
    for t in tokens.iter_mut() {
        let gap = &text[prev_end.min(t.start as usize)..t.start as usize];
        if at_start || gap.contains(['.', '!', '?', '\n', ':', ';']) {
            t.flags |= SENTENCE_START;
        }
        at_start = at_start && t.slot() == Some(Slot::User);
        prev_end = t.end as usize;
    }
}

/// The key every slot of kind `slot` gets.
pub(crate) fn slot_key(slot: Slot) -> u32 {
    word_key(slot.placeholder().as_bytes())
}

/// The key of a folded word's bytes.
pub(crate) fn word_key(folded: &[u8]) -> u32 {
    let h = xxhash_rust::xxh3::xxh3_64(folded);
    (h ^ (h >> 32)) as u32
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

/// Reusable buffers for [`tokenize_into`], so that a hot loop does not allocate per reply.
#[derive(Default)]
pub(crate) struct Scratch {
    folded: String,
    origin: Vec<u32>,
    words: Vec<RawWord>,
    slots: Vec<(Range<usize>, Slot)>,
    key_buf: Vec<u8>,
}

/// A word of the folded text, before slot masking.
#[derive(Clone, Copy)]
struct RawWord {
    /// Byte range in the folded text.
    start: usize,
    end: usize,
    /// Whether the word is a single letter of an alphabetic script (for spaced-letter joining).
    single_letter: bool,
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

/// Tokenizes `text` into `out` (cleared first), reusing the buffers of `scratch`.
pub(crate) fn tokenize_into(text: &str, scratch: &mut Scratch, out: &mut Vec<Token>) {
    out.clear();
    let text = &text[..floor_char_boundary(text, MAX_TEXT_BYTES)];
    fold(text, &mut scratch.folded, &mut scratch.origin);
    let folded = scratch.folded.as_str();
    find_words(folded, &mut scratch.words);
    merge_words_sharing_a_character(&scratch.origin, &mut scratch.words);
    find_slots(text, folded, &scratch.origin, &mut scratch.slots);

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
                push_token(
                    out,
                    Token {
                        start,
                        end,
                        key: slot_key(*slot),
                        stem,
                        kind: TokenKind::Slot(*slot),
                        flags: 0,
                    },
                );
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
        push_alphanumeric(&folded[w.start..w.end], &mut scratch.key_buf);
        push_token(out, word_token(text, start, end, &scratch.key_buf));
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

/// Appends a token, merging it into the previous one when the two would overlap in the original
/// text (a slot found inside a word that an earlier slot already took): tokens never overlap and
/// always go forward. (Words split out of one character by a decomposition are joined earlier,
/// by `merge_words_sharing_a_character`, so that their key covers both.)
fn push_token(out: &mut Vec<Token>, token: Token) {
    if let Some(last) = out.last_mut() {
        if token.start < last.end {
            last.end = last.end.max(token.end);
            return;
        }
    }
    out.push(token);
}

/// Appends the letters and digits of `word` to `buf`.
fn push_alphanumeric(word: &str, buf: &mut Vec<u8>) {
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
fn spaced_run_end(folded: &str, words: &[RawWord], start: usize, limit: usize) -> usize {
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
fn emit_spaced_run(
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
fn merge_words_sharing_a_character(origin: &[u32], words: &mut Vec<RawWord>) {
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
fn find_words(folded: &str, words: &mut Vec<RawWord>) {
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
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Folding

/// Folds `text` into `folded`, recording for each byte of `folded` the byte offset in `text` of
/// the character it came from.
fn fold(text: &str, folded: &mut String, origin: &mut Vec<u32>) {
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

/// Default-ignorable code points (Unicode's DerivedCoreProperties), which render as nothing.
/// Whether `c` shows nothing: a character the normaliser drops (zero-width and bidi marks,
/// variation selectors, soft hyphens, ...).
pub(crate) fn is_invisible(c: char) -> bool {
    is_ignorable(c)
}

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

// ---------------------------------------------------------------------------------------------
// Slot masking

/// A cheap test of a text (see [`SlotPatterns::folded`]).
type TextTest = fn(&str) -> bool;

struct SlotPatterns {
    /// Patterns run on the folded (lower-case) text, in priority order, each with whether every
    /// match of it holds a digit, `#` or `№` (see [`digit_outside_slots`]) and a cheap test that
    /// every text with a match passes, so that a text failing it is not searched.
    folded: Vec<(Regex, Slot, bool, TextTest)>,
    /// A greeting or vocative name, run on the original text (it needs capital letters).
    name: Regex,
    /// A sign-off at the end of the original text.
    signature: Regex,
    /// A helpdesk placeholder, `{{ name }}` or a Liquid tag `{% ... %}`, in the folded text.
    placeholder: Regex,
}

/// The longest name a greeting's name slot takes, in chars. The patterns leave their letter runs
/// unbounded and the length is checked on the match: a counted repetition (`\p{L}{0,19}`) of a
/// Unicode class multiplies the automaton the lazy DFA determinizes, which made the first
/// thousands of reports of a process several times slower than the later ones.
const MAX_NAME_CHARS: usize = 16;
/// The longest sign-off name, in chars.
const MAX_SIGNATURE_CHARS: usize = 20;

/// A regex whose lazy DFA may grow large: the Unicode letter classes of the name and sign-off
/// patterns overflow the default cache, and the engine would fall back to the slow PikeVM.
fn big_dfa(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .dfa_size_limit(64 << 20)
        .build()
}

fn patterns() -> &'static SlotPatterns {
    static PATTERNS: OnceLock<SlotPatterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let tlds = "com|org|net|edu|gov|io|co|uk|us|ca|au|de|fr|es|it|nl|ie|in|jp|cn|me|ly|gl|to|tv|app|help|info|biz";
        let months = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
        // ASCII word boundaries ((?-u:\b)) keep these patterns in the lazy DFA; Unicode ones
        // would send every text with a non-ASCII letter to the much slower PikeVM.
        let folded: Vec<(String, Slot, TextTest)> = vec![
            (r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}".to_string(), Slot::Email, has_at),
            (r"(?:https?://|www\.)[^\s<>]+".to_string(), Slot::Url, has_scheme_or_www),
            (
                format!(r"(?-u:\b)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:{tlds})(?-u:\b)(?:/[^\s<>]*)?"),
                Slot::Url,
                has_dot_before_letter,
            ),
            (r"@\w+".to_string(), Slot::User, has_at),
            (
                format!(
                    r"(?-u:\b)\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{months})(?-u:\b)\.?(?:\s+\d{{4}})?|(?-u:\b)(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?-u:\b)(?:,?\s+\d{{4}})?"
                ),
                Slot::Date,
                any_text,
            ),
            (
                r"(?-u:\b)\d{1,2}[:.]\d{2}\s?(?:[ap]\.?m(?-u:\b)\.?)?|(?-u:\b)\d{1,2}\s?[ap]\.?m(?-u:\b)\.?|(?-u:\b)\d{1,4}[/\-]\d{1,2}(?:[/\-]\d{2,4})?(?-u:\b)|(?-u:\b)\d{1,2}(?:st|nd|rd|th)(?-u:\b)"
                    .to_string(),
                Slot::Date,
                any_text,
            ),
            (
                r"[#№$£€¥]?(?-u:\b)[a-z]{0,6}\d[\w\-]*|[#№][a-z0-9][\w\-]*".to_string(),
                Slot::Number,
                any_text,
            ),
        ];
        SlotPatterns {
            placeholder: Regex::new(r"\{\{\s*([^{}]{1,80}?)\s*\}\}|\{%\s*([^{}]{0,80}?)\s*%\}")
                .expect("placeholder pattern compiles"),
            folded: folded
                .into_iter()
                .map(|(p, s, needs)| {
                    let digits = matches!(s, Slot::Date | Slot::Number);
                    (Regex::new(&p).expect("slot pattern compiles"), s, digits, needs)
                })
                .collect(),
            name: big_dfa(
                r"(?:(?-u:\b)(?:[Hh]i|[Hh]ello|[Hh]ey|[Hh]eya|[Hh]iya|[Dd]ear|[Mm]orning|[Aa]fternoon|[Ee]vening|[Tt]hanks|[Tt]hank you|[Ss]orry)[ ,]+|, )(\p{Lu}\p{Ll}+)[!.?,:]",
            )
            .expect("name pattern compiles"),
            signature: big_dfa(
                r"(?x)
                (?:
                    [\^*~]\s?(\p{L}[\p{L}.]*)                               # ^JK  *KellenF  ~Tom
                  | (?:^|[^\p{L}\p{N}])[-–—/]\s?(\p{Lu}[\p{L}.]*)            # -Becky  /AB  - Rhys
                  | \p{Ll}[-–—](\p{Lu}\p{L}*)                               # day-Mariya
                  | (?i:regards|thanks|cheers|best|sincerely|thank\ you)[,!.]?\s*[-–—,]?\s*(\p{Lu}\p{L}+)\.?
                )
                (?:[\s\p{So}\p{Sk}\p{Pe}:;)(]|\d{1,2}/\d{1,2}|https?://\S+)*$",
            )
            .expect("signature pattern compiles"),
        }
    })
}

// What every match of a slot pattern holds, so that texts without it are not searched.
fn has_at(folded: &str) -> bool {
    folded.contains('@')
}
fn has_scheme_or_www(folded: &str) -> bool {
    folded.contains("://") || folded.contains("www.")
}
/// A dot before a letter: a domain's `.com`, which sentence ends (`. `) are not.
fn has_dot_before_letter(folded: &str) -> bool {
    let bytes = folded.as_bytes();
    folded
        .match_indices('.')
        .any(|(at, _)| bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase))
}
fn any_text(_: &str) -> bool {
    true
}

/// Finds the slot ranges (in folded bytes), sorted and non-overlapping.
///
/// Each pattern's matches are kept only where they overlap no slot found before (patterns
/// earlier in the list win). The slots found so far stay sorted and disjoint, and each
/// pattern's matches (sorted and disjoint themselves) are merged into them in one pass, so the
/// cost is linear in the number of slots: comparing each match with every slot found made a
/// 64 KiB text of numbers take 0.4 s.
fn find_slots(text: &str, folded: &str, origin: &[u32], slots: &mut Vec<(Range<usize>, Slot)>) {
    slots.clear();
    let patterns = patterns();
    let mut found: Vec<(Range<usize>, Slot)> = Vec::new();
    let mut merged: Vec<(Range<usize>, Slot)> = Vec::new();
    // Every placeholder starts with `{{` or `{%`.
    if folded.contains("{{") || folded.contains("{%") {
        for caps in patterns.placeholder.captures_iter(folded) {
            let whole = caps.get(0).expect("group 0");
            let name = caps.get(1).map_or("", |m| m.as_str());
            found.push((whole.range(), placeholder_slot(name)));
        }
    }
    // Whether a digit, `#` or `№` lies outside the slots found so far; computed once, before the
    // first pattern whose matches all hold one.
    let mut digit_outside: Option<bool> = None;
    for (re, slot, digits, needs) in &patterns.folded {
        if *digits && !*digit_outside.get_or_insert_with(|| digit_outside_slots(folded, &found)) {
            continue;
        }
        if !needs(folded) {
            continue;
        }
        let matches = re
            .find_iter(folded)
            .filter(|m| m.as_str().chars().any(char::is_alphanumeric))
            .map(|m| (m.range(), *slot));
        add_disjoint(&mut found, matches, &mut merged);
    }
    // Name and signature run on the original text; map their ranges into folded bytes.
    let to_folded = |orig: Range<usize>| -> Option<Range<usize>> {
        let start = origin.partition_point(|&o| (o as usize) < orig.start);
        let end = origin.partition_point(|&o| (o as usize) < orig.end);
        (start < end).then_some(start..end)
    };
    let names = patterns.name.captures_iter(text).filter_map(|caps| {
        let m = caps.get(1)?;
        let is_name =
            m.as_str().chars().count() <= MAX_NAME_CHARS && !is_common_capitalised(m.as_str());
        is_name.then(|| to_folded(m.range())).flatten()
    });
    add_disjoint(&mut found, names.map(|r| (r, Slot::Name)), &mut merged);
    // A sign-off is at the end: search the last SIGNATURE_TAIL bytes only (from a space, so
    // that a match starts as it would in the whole text), which bounds the cost per reply.
    let tail_start = signature_tail_start(text);
    let signature = patterns
        .signature
        .captures(&text[tail_start..])
        .and_then(|caps| (1..=4).find_map(|g| caps.get(g)))
        .filter(|m| {
            m.as_str().chars().count() <= MAX_SIGNATURE_CHARS && !is_common_capitalised(m.as_str())
        })
        .and_then(|m| to_folded(tail_start + m.start()..tail_start + m.end()));
    add_disjoint(
        &mut found,
        signature.map(|r| (r, Slot::Signature)),
        &mut merged,
    );
    slots.extend(found);
}

/// Merges `new` (sorted by start, disjoint, none empty) into `found` (the same), leaving out
/// each new range that overlaps one of `found`; `merged` is a buffer.
fn add_disjoint(
    found: &mut Vec<(Range<usize>, Slot)>,
    new: impl IntoIterator<Item = (Range<usize>, Slot)>,
    merged: &mut Vec<(Range<usize>, Slot)>,
) {
    merged.clear();
    let mut old = found.drain(..).peekable();
    for (range, slot) in new {
        // The slots found that end before this range starts come first.
        while let Some(f) = old.next_if(|f| f.0.end <= range.start) {
            merged.push(f);
        }
        // The next one ends after this range starts: they overlap if it starts before this
        // range ends.
        if old.peek().is_some_and(|f| f.0.start < range.end) {
            continue;
        }
        merged.push((range, slot));
    }
    merged.extend(old);
    std::mem::swap(found, merged);
}

/// Whether `folded` has a digit, `#` or `№` outside the slots `found` (sorted by start and
/// disjoint), in one pass.
///
/// Every match of the date and number patterns holds one of these. Where none is left outside
/// the slots already found (most replies: their digits are in @handles and links), every match
/// of those patterns would overlap a found slot and be dropped, so they need not run: that
/// saves three of the eight passes over most texts, with the same slots.
fn digit_outside_slots(folded: &str, found: &[(Range<usize>, Slot)]) -> bool {
    let mut next = 0;
    folded.char_indices().any(|(at, c)| {
        if !(c.is_numeric() || c == '#' || c == '№') {
            return false;
        }
        while next < found.len() && found[next].0.end <= at {
            next += 1;
        }
        found.get(next).is_none_or(|(r, _)| r.start > at)
    })
}

/// The slot a helpdesk placeholder stands for, from its name (Zendesk and Freshdesk names:
/// `ticket.requester.first_name`, `current_user.name`, `ticket.id`, `ticket.url`, ...).
fn placeholder_slot(name: &str) -> Slot {
    let name = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["current_user", "agent", "assignee", "signature", "sender"]) {
        Slot::Signature
    } else if has(&["email"]) {
        Slot::Email
    } else if has(&["url", "link"]) {
        Slot::Url
    } else if has(&["name"]) {
        Slot::Name
    } else if has(&["date", "time", "created_at", "updated_at", "due"]) {
        Slot::Date
    } else if has(&[".id", "number", "_id", "phone", "amount", "count"]) || name == "id" {
        Slot::Number
    } else {
        Slot::Field
    }
}

/// How far from the end of a text a sign-off is looked for.
const SIGNATURE_TAIL: usize = 96;

/// Where the searched tail of a text starts: at a whitespace at least `SIGNATURE_TAIL` bytes
/// from the end, or at the start of the text.
fn signature_tail_start(text: &str) -> usize {
    if text.len() <= SIGNATURE_TAIL {
        return 0;
    }
    let at = floor_char_boundary(text, text.len() - SIGNATURE_TAIL);
    text[..at].rfind(char::is_whitespace).unwrap_or(0)
}

/// Capitalised words that follow a greeting or a dash without being a name or a sign-off.
fn is_common_capitalised(word: &str) -> bool {
    const COMMON: &[&str] = &[
        "There", "All", "Again", "Everyone", "Team", "Sir", "Madam", "Please", "We", "You",
        "Thanks", "Thank", "The", "This", "That", "It", "If", "In", "On", "Our", "Your", "For",
        "And", "But", "So", "Yes", "No", "Ok", "Okay", "Sorry", "Hello", "Hi", "Hey", "Let", "Can",
        "Could", "Would", "Will", "Do", "Did", "Is", "Are", "What", "When", "Where", "How", "Why",
        "Just", "Have", "Has", "Here", "Good", "Great", "Happy", "Glad", "Folks", "Friend", "Guys",
        "Customer", "Mate",
    ];
    COMMON.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| match t.kind() {
                TokenKind::Word => text[t.range()].to_string(),
                TokenKind::Slot(s) => s.placeholder().to_string(),
            })
            .collect()
    }

    fn keys(text: &str) -> Vec<u32> {
        tokenize(text).iter().map(Token::key).collect()
    }

    /// The slot finder as it was before it merged sorted matches: each match compared with every
    /// slot found (quadratic), the oracle of [`find_slots`].
    fn find_slots_oracle(
        text: &str,
        folded: &str,
        origin: &[u32],
        slots: &mut Vec<(Range<usize>, Slot)>,
    ) {
        slots.clear();
        let patterns = patterns();
        let mut found: Vec<(Range<usize>, Slot)> = Vec::new();
        // Every placeholder starts with `{{` or `{%`.
        if folded.contains("{{") || folded.contains("{%") {
            for caps in patterns.placeholder.captures_iter(folded) {
                let whole = caps.get(0).expect("group 0");
                let name = caps.get(1).map_or("", |m| m.as_str());
                found.push((whole.range(), placeholder_slot(name)));
            }
        }
        // Whether a digit, `#` or `№` lies outside the slots found so far; computed once, before the
        // first pattern whose matches all hold one.
        let mut digit_outside: Option<bool> = None;
        for (re, slot, digits, needs) in &patterns.folded {
            if *digits
                && !*digit_outside.get_or_insert_with(|| digit_outside_slots_oracle(folded, &found))
            {
                continue;
            }
            if !needs(folded) {
                continue;
            }
            for m in re.find_iter(folded) {
                if !m.as_str().chars().any(char::is_alphanumeric) {
                    continue;
                }
                if found
                    .iter()
                    .any(|(r, _)| r.start < m.end() && m.start() < r.end)
                {
                    continue;
                }
                found.push((m.range(), *slot));
            }
        }
        // Name and signature run on the original text; map their ranges into folded bytes.
        let to_folded = |orig: Range<usize>| -> Option<Range<usize>> {
            let start = origin.partition_point(|&o| (o as usize) < orig.start);
            let end = origin.partition_point(|&o| (o as usize) < orig.end);
            (start < end).then_some(start..end)
        };
        let mut original_slots = Vec::new();
        for caps in patterns.name.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                if m.as_str().chars().count() <= MAX_NAME_CHARS
                    && !is_common_capitalised(m.as_str())
                {
                    original_slots.push((m.range(), Slot::Name));
                }
            }
        }
        // A sign-off is at the end: search the last SIGNATURE_TAIL bytes only (from a space, so
        // that a match starts as it would in the whole text), which bounds the cost per reply.
        let tail_start = signature_tail_start(text);
        if let Some(caps) = patterns.signature.captures(&text[tail_start..]) {
            if let Some(m) = (1..=4).find_map(|g| caps.get(g)) {
                if m.as_str().chars().count() <= MAX_SIGNATURE_CHARS
                    && !is_common_capitalised(m.as_str())
                {
                    let range = tail_start + m.start()..tail_start + m.end();
                    original_slots.push((range, Slot::Signature));
                }
            }
        }
        for (range, slot) in original_slots {
            if let Some(r) = to_folded(range) {
                if !found
                    .iter()
                    .any(|(f, _)| f.start < r.end && r.start < f.end)
                {
                    found.push((r, slot));
                }
            }
        }
        found.sort_by_key(|(r, _)| r.start);
        slots.extend(found);
    }

    /// Whether `folded` has a digit, `#` or `№` outside the slots `found`.
    ///
    /// Every match of the date and number patterns holds one of these. Where none is left outside
    /// the slots already found (most replies: their digits are in @handles and links), every match
    /// of those patterns would overlap a found slot and be dropped, so they need not run: that
    /// saves three of the eight passes over most texts, with the same slots.
    fn digit_outside_slots_oracle(folded: &str, found: &[(Range<usize>, Slot)]) -> bool {
        folded.char_indices().any(|(at, c)| {
            (c.is_numeric() || c == '#' || c == '№') && !found.iter().any(|(r, _)| r.contains(&at))
        })
    }

    #[test]
    fn slots_found_by_merging_equal_those_of_the_quadratic_finder() {
        let pieces = [
            "1",
            " ",
            "12:30",
            "@ann",
            "help@x.com",
            "www.a.com/x",
            "#A1",
            "Hi Tina,",
            " -Becky",
            "{{ticket.id}}",
            "27th dec",
            "é",
            "order",
            "3pm",
            "20/10/2024",
            ".",
            ", ",
            "\n",
            "ｗ",
            "Sorry Henry?",
            "#",
            "№5",
            "a.io",
            "{% if %}",
            " ^JK",
            "Kind regards - Rhys",
            "8am-9pm",
            "x1y2",
            "£80",
            "Ωmega",
            "Thanks! - Martin 4/4",
        ];
        let mut rng = crate::testing::XorShift(0x9e37_79b9_7f4a_7c15);
        let (mut scratch, mut new, mut old) = (Scratch::default(), Vec::new(), Vec::new());
        for round in 0..3000 {
            let len = 1 + rng.below(if round % 10 == 0 { 400 } else { 24 });
            let text: String = (0..len)
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            fold(&text, &mut scratch.folded, &mut scratch.origin);
            find_slots(&text, &scratch.folded, &scratch.origin, &mut new);
            find_slots_oracle(&text, &scratch.folded, &scratch.origin, &mut old);
            assert_eq!(new, old, "{text:?}");
        }
    }

    #[test]
    fn slot_table() {
        let cases: &[(&str, &[&str])] = &[
            ("@115712 I understand", &["<user>", "I", "understand"]),
            ("see https://t.co/abc123 now", &["see", "<url>", "now"]),
            ("visit amazon.com/help today", &["visit", "<url>", "today"]),
            (
                "mail help@brand.co.uk please",
                &["mail", "<email>", "please"],
            ),
            ("order 123-456 arrived", &["order", "<num>", "arrived"]),
            ("case #A1B2 open", &["case", "<num>", "open"]),
            ("open 8am-9pm ET", &["open", "<date>", "<date>", "ET"]),
            ("released on 20/10", &["released", "on", "<date>"]),
            ("on 27th Dec ok", &["on", "<date>", "ok"]),
            ("at 11:30 sharp", &["at", "<date>", "sharp"]),
            ("Please DM us. ^JK", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us. -Becky", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us *SR", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us /AB", &["Please", "DM", "us", "<sig>"]),
            ("Please DM us ~Tom", &["Please", "DM", "us", "<sig>"]),
            (
                "Have a great day-Mariya",
                &["Have", "a", "great", "day", "<sig>"],
            ),
            ("Kind regards - Rhys", &["Kind", "regards", "<sig>"]),
            ("Thanks! - Martin 4/4", &["Thanks", "<sig>", "<date>"]),
            ("Hi Tina, sorry", &["Hi", "<name>", "sorry"]),
            (
                "Oh no, Henry? Tell us",
                &["Oh", "no", "<name>", "Tell", "us"],
            ),
            ("Hi there, sorry", &["Hi", "there", "sorry"]),
            // Names and sign-offs longer than a name are words (16 and 20 chars at most).
            (
                "Hi Abcdefghijklmnopq, sorry",
                &["Hi", "Abcdefghijklmnopq", "sorry"],
            ),
            ("Hi Abcdefghijklmnop, sorry", &["Hi", "<name>", "sorry"]),
            (
                "Please DM us ^Abcdefghijklmnopqrst",
                &["Please", "DM", "us", "<sig>"],
            ),
            (
                "Please DM us ^Abcdefghijklmnopqrstu",
                &["Please", "DM", "us", "Abcdefghijklmnopqrstu"],
            ),
            ("well-known", &["well", "known"]),
            (
                "Hi {{ticket.requester.first_name}}, thanks",
                &["Hi", "<name>", "thanks"],
            ),
            (
                "case {{ticket.id}} at {{ticket.url}}",
                &["case", "<num>", "at", "<url>"],
            ),
            (
                "about {{ticket.title}} {% if x %}",
                &["about", "<field>", "<field>"],
            ),
            ("Cheers, {{current_user.first_name}}", &["Cheers", "<sig>"]),
        ];
        for (text, expected) in cases {
            assert_eq!(words(text), *expected, "text: {text:?}");
        }
    }

    #[test]
    fn every_text_a_slot_pattern_matches_passes_its_cheap_test() {
        let mut texts: Vec<String> = include_str!("stock_replies.txt")
            .lines()
            .map(str::to_string)
            .collect();
        texts.extend(
            [
                "mail help@example.co.uk or see https://t.co/ab.c and www.x.org/a",
                "example.com/help, bit.ly/x, a.b.c.io. end.",
                "@ann hi @115712 #A1B2 £80 on 27th dec at 8.30pm, 20/10/2024",
                "sentences. end here. none.",
                "x@y.z, @, ://, www., .c",
            ]
            .map(str::to_string),
        );
        let mut folded = String::new();
        let mut origin = Vec::new();
        for text in &texts {
            fold(text, &mut folded, &mut origin);
            for (re, slot, _, needs) in &patterns().folded {
                if re.is_match(&folded) {
                    assert!(needs(&folded), "{slot:?} matches {folded:?}");
                }
            }
        }
    }

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
