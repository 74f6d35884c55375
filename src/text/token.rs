//! What tokenizing gives: tokens (words and typed slots) with their keys, stems and flags.

use std::ops::Range;

/// The kinds of variable content that [`tokenize`](crate::tokenize) replaces with a typed slot.
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
/// The token is a Chinese character or Japanese kana (its key a character bigram).
const CJK: u8 = 8;
/// The token is a hiragana character (a syllable, where a Chinese character is a morpheme).
const HIRAGANA: u8 = 16;

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

    /// Whether the token is a Chinese character or Japanese kana (its key the bigram of it and
    /// the next one).
    pub(crate) fn is_cjk(&self) -> bool {
        self.flags & CJK != 0
    }

    /// Whether the token is a hiragana character.
    pub(crate) fn is_hiragana(&self) -> bool {
        self.flags & HIRAGANA != 0
    }

    /// Marks the token as a Chinese character or Japanese kana (a hiragana character when
    /// `hiragana`).
    pub(super) fn mark_cjk(&mut self, hiragana: bool) {
        self.flags |= CJK;
        if hiragana {
            self.flags |= HIRAGANA;
        }
    }

    pub(crate) fn stem(&self) -> u32 {
        self.stem
    }

    pub(crate) fn starts_sentence(&self) -> bool {
        self.flags & SENTENCE_START != 0
    }
}

impl Token {
    /// A slot token of the original bytes `start..end`, with the stem of its own text (for
    /// numbers, dates, e-mails and names) or of its kind.
    pub(super) fn of_slot(start: u32, end: u32, slot: Slot, stem: u32) -> Token {
        Token {
            start,
            end,
            key: slot_key(slot),
            stem,
            kind: TokenKind::Slot(slot),
            flags: 0,
        }
    }
}

/// A word token of `text[start..end]` whose folded letters are in `key_buf`.
pub(super) fn word_token(text: &str, start: u32, end: u32, key_buf: &[u8]) -> Token {
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
pub(super) fn mark_sentence_starts(text: &str, tokens: &mut [Token]) {
    let mut prev_end = 0usize;
    let mut at_start = true;
    for t in tokens.iter_mut() {
        let gap = &text[prev_end.min(t.start as usize)..t.start as usize];
        if at_start || gap.contains(['.', '!', '?', '\n', ':', ';', '。', '！', '？', '；', '：'])
        {
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

/// Appends a token, merging it into the previous one when the two would overlap in the original
/// text (a slot found inside a word that an earlier slot already took): tokens never overlap and
/// always go forward. (Words split out of one character by a decomposition are joined earlier,
/// by `merge_words_sharing_a_character`, so that their key covers both.)
pub(super) fn push_token(out: &mut Vec<Token>, token: Token) {
    if let Some(last) = out.last_mut() {
        if token.start < last.end {
            last.end = last.end.max(token.end);
            return;
        }
    }
    out.push(token);
}

/// Whether a key is the key of a slot.
pub(crate) fn is_slot_key(key: u32) -> bool {
    slot_keys().contains(&key)
}

/// The keys of the slots that are template mechanics: handles, names and sign-offs.
pub(crate) fn mechanics_keys() -> &'static [u32; 3] {
    static KEYS: std::sync::OnceLock<[u32; 3]> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| [Slot::User, Slot::Name, Slot::Signature].map(slot_key))
}

pub(crate) fn slot_keys() -> &'static [u32; 8] {
    static KEYS: std::sync::OnceLock<[u32; 8]> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| Slot::ALL.map(slot_key))
}
