//! The score report: scores, verdict, boilerplate spans (byte, char and UTF-16 ranges into the
//! caller's text), nearest past replies and the signals behind the scores.

use std::ops::Range;

/// The verdict of a report, from its two scores and the index's thresholds
/// ([`Config::canned_at`](crate::Config::canned_at), 0.6 by default, and
/// [`Config::personal_at`](crate::Config::personal_at), 0.5): canned when `canned >= canned_at`
/// and `personalisation < personal_at`, templated when both are at or above their thresholds,
/// personal when `canned < canned_at` (see [`Config::verdict`](crate::Config::verdict)); unjudged,
/// whatever the scores, for a reply in a language cannery has no stock corpus of and the index
/// nothing like.
///
/// ```
/// use cannery::{Index, Context, Verdict};
/// let r = Index::stock().score("We're sorry to hear that. Please DM us.", &Context::new());
/// assert_eq!(r.verdict, Verdict::Canned);
/// assert_eq!(Verdict::Canned.as_str(), "canned");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Verdict {
    /// Generic wording that could be sent unchanged to many customers.
    Canned,
    /// A stock frame with at least one element about this customer's situation.
    Templated,
    /// Written for this customer's message.
    Personal,
    /// Not judged: the reply is in a language with no built-in stock corpus
    /// ([`Report::language`]; see [`Language::has_stock`](crate::Language::has_stock)) and the
    /// index holds nothing like it (no boilerplate phrase, copy or near reply), so cannery cannot
    /// tell stock wording from wording written for the customer. The scores are still given;
    /// they say little.
    ///
    /// ```
    /// use cannery::{Index, Context, Verdict};
    /// let r = Index::stock().score("Prosimy o przesłanie numeru zamówienia w wiadomości prywatnej.", &Context::new());
    /// assert_eq!(r.verdict, Verdict::Unjudged);
    /// assert_eq!(r.language.map(|l| l.code()), Some("pl"));
    /// ```
    Unjudged,
}

impl Verdict {
    /// The verdict's name: `canned`, `templated`, `personal` or `unjudged`.
    ///
    /// ```
    /// assert_eq!(cannery::Verdict::Templated.as_str(), "templated");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Canned => "canned",
            Verdict::Templated => "templated",
            Verdict::Personal => "personal",
            Verdict::Unjudged => "unjudged",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A boilerplate span of the scored text: a run of words inside phrases that recur in the corpus
/// or come from the stock corpus.
///
/// The three ranges locate the same span in bytes (Rust strings), Unicode scalar values (Python
/// strings) and UTF-16 code units (JavaScript strings, LSP editors).
///
/// ```
/// use cannery::{Index, Context};
/// let text = "Héllo! Please DM us your order number.";
/// let r = Index::stock().score(text, &Context::new());
/// let span = &r.spans[0];
/// assert_eq!(&text[span.bytes.clone()], "Please DM us your order number");
/// assert_eq!(span.chars.start, span.bytes.start - 1); // "é" is two bytes, one char
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Span {
    /// Byte range into the scored text.
    pub bytes: Range<usize>,
    /// Character (Unicode scalar value) range.
    pub chars: Range<usize>,
    /// UTF-16 code unit range.
    pub utf16: Range<usize>,
    /// How many corpus replies share the span's rarest phrase (stock replies included).
    pub support: u32,
    /// Whether the span matches the built-in stock corpus.
    pub stock: bool,
    /// The id of a corpus reply that contains the span's rarest phrase.
    pub example: Option<String>,
}

/// A past reply near the scored one.
///
/// ```
/// use cannery::{Index, Reply, Context};
/// let index = Index::builder().build([Reply::new("r1", "@ann Please DM us your order number. ^JK")]);
/// let r = index.score("@bob Please DM us your order number. -Becky", &Context::new());
/// assert_eq!(r.nearest[0].id, "r1");
/// assert_eq!(r.nearest[0].similarity, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Neighbour {
    /// The id of a reply of the nearest cluster (its first, unless that one was left out).
    pub id: String,
    /// Token-level similarity in [0, 1]: one minus the edit distance over the longer length,
    /// after slot masking.
    pub similarity: f64,
    /// How many corpus replies are identical to this one after slot masking.
    pub count: u32,
    /// The text of the cluster's first reply, as it was sent.
    pub text: String,
}

/// How a report was scored: by the n-gram signals alone, or with a sentence encoder's too.
///
/// ```
/// use cannery::{Index, Context, Mode};
/// assert_eq!(Index::stock().score("Thanks!", &Context::new()).mode, Mode::Lexical);
/// assert_eq!(Mode::Semantic.as_str(), "semantic");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Mode {
    /// The n-gram signals and the lexical models.
    Lexical,
    /// The n-gram and the sentence encoder's signals, and the semantic models (an index with
    /// an encoder attached: the `semantic` feature).
    Semantic,
}

impl Mode {
    /// The mode's name: `lexical` or `semantic`.
    ///
    /// ```
    /// assert_eq!(cannery::Mode::Lexical.as_str(), "lexical");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Lexical => "lexical",
            Mode::Semantic => "semantic",
        }
    }
}

/// What a sentence encoder tells of a reply (see the `semantic` feature): cosines of unit
/// vectors, in [-1, 1].
///
/// ```
/// let s = cannery::SemanticSignals::default();
/// assert!(s.echo.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SemanticSignals {
    /// The cosine of the reply and the customer's message (`None` without one).
    pub message: Option<f64>,
    /// How much better the reply matches its own message than customer messages at large, in
    /// standard deviations: `(r·m - r·μ) / sqrt(rᵀΣr)` with μ and Σ the mean and covariance of
    /// the index's customer messages' vectors (`None` without a message).
    pub echo: Option<f64>,
    /// The highest cosine with the past replies the n-grams found nearest (0 with none).
    pub nearest: f64,
    /// The highest cosine with the reference replies: the stock corpus and imported macros, so
    /// that a paraphrased stock reply is seen (0 with none).
    pub stock: f64,
    /// The cosine with the centroid of the archive's replies (0 with none).
    pub centroid: f64,
}

/// The measurements behind a report's scores, for researchers and for explaining a verdict.
///
/// Fractions are over the reply's tokens other than @handles, names and sign-offs.
///
/// ```
/// use cannery::{Index, Context};
/// let r = Index::stock().score("Thanks for reaching out!", &Context::new());
/// assert!(r.signals.stock > 0.9);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Signals {
    /// The reply's length in words: the tokens considered (words and content slots such as URLs
    /// and numbers), a Chinese character or katakana word counting half a word and a hiragana
    /// character a quarter (each is a token, and a word of those languages is about two Chinese
    /// characters, or more kana).
    pub tokens: usize,
    /// Fraction of tokens inside phrases that recur in the corpus (support >= `min_support`,
    /// stock replies not counted).
    pub boilerplate: f64,
    /// Fraction of tokens inside phrases of the built-in stock corpus.
    pub stock: f64,
    /// Mean commonness of the words, in [0, 1]: `ln(1 + df) / ln(1 + N)` for a word in `df` of
    /// `N` replies.
    pub commonness: f64,
    /// Mean spread of the words across the corpus's groups (brands, agents), in [0, 1]: words
    /// that many brands use are generic customer-service wording.
    pub spread: f64,
    /// Fraction of words that the built-in stock corpus uses.
    pub generic: f64,
    /// Fraction of words the corpus has never seen.
    pub novelty: f64,
    /// Fraction of words seen in at most two other replies.
    pub rare: f64,
    /// Fraction of tokens that are concrete details: proper nouns and acronyms outside the stock
    /// vocabulary, numbers, dates and times, e-mail addresses.
    pub specific: f64,
    /// Rarity-weighted fraction of the reply's words that also occur in the customer's message.
    pub echo: f64,
    /// How much of the customer's message the reply takes up, in units of a word the corpus has
    /// never seen: the sum over echoed words of `ln((N + 1) / (df + 1)) / ln(1 + N)`, each number,
    /// date or e-mail address echoed counting 1.
    pub echoed: f64,
    /// Rarity-weighted fraction of the customer's message that the reply takes up.
    pub answered: f64,
    /// Content words of the reply: words outside the built-in stock vocabulary that fewer than
    /// one corpus reply in a hundred uses (details such as a product, a place or a fault, rather
    /// than customer-service wording). Chinese characters and kana count half a word each, as
    /// in [`tokens`](Self::tokens).
    pub content_words: usize,
    /// Content words of the customer's message (by stem) that the reply does not take up: the
    /// details it leaves unanswered. `None` when no customer message was given.
    pub ignored: Option<usize>,
    /// Mean over tokens of how common the most common corpus phrase covering each is:
    /// `ln(1 + support) / ln(1 + N)`, stock replies not counted.
    pub support: f64,
    /// Boilerplate fraction of the reply's least generic sentence.
    pub weakest_sentence: f64,
    /// Boilerplate fraction of the reply's most generic sentence.
    pub strongest_sentence: f64,
    /// Similarity of the nearest past reply (0 when there is none).
    pub nearest_similarity: f64,
    /// Corpus replies identical to this one after slot masking.
    pub copies: u32,
    /// Whether the reply addresses the customer by name.
    pub named: bool,
    /// The sentence encoder's signals, in the semantic mode.
    pub semantic: Option<SemanticSignals>,
}

/// The full report of [`Index::score`](crate::Index::score).
///
/// With the `serde` feature a report serializes and reads back equal to itself (in JSON, with a
/// parser that reads floats exactly, as serde_json's `float_roundtrip` feature does).
///
/// ```
/// use cannery::{Index, Context};
/// let r = Index::stock().score("Your flight to Rome leaves from gate B12, Maria.", &Context::new());
/// assert!((0.0..=1.0).contains(&r.canned) && (0.0..=1.0).contains(&r.personalisation));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Report {
    /// How canned the reply is, in [0, 1]: boilerplate phrases, near-copies of past replies,
    /// stock phrasing and generic wording.
    pub canned: f64,
    /// How much the reply answers this customer, in [0, 1]: their name, the details of their
    /// message echoed or answered, content the corpus has not seen.
    pub personalisation: f64,
    /// The verdict drawn from the two scores.
    pub verdict: Verdict,
    /// Boilerplate spans, in text order, not overlapping.
    pub spans: Vec<Span>,
    /// The nearest past replies, most similar first.
    pub nearest: Vec<Neighbour>,
    /// The mined template the reply instantiates, if any (see [`Index::templates`](crate::Index::templates)).
    pub template: Option<crate::templates::TemplateMatch>,
    /// The measurements behind the scores.
    pub signals: Signals,
    /// Whether the text was longer than [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) and only its
    /// beginning was scored.
    pub truncated: bool,
    /// How it was scored: lexically, or with a sentence encoder too.
    pub mode: Mode,
    /// The language the reply is written in ([`Context::language`](crate::Context::language)
    /// when given, else told from the text: see [`Language`](crate::Language)); `None` when it
    /// cannot be told (too short, no words).
    pub language: Option<crate::text::Language>,
    /// The allowed phrases and patterns found in the reply ([`Context::allowed`](crate::Context::allowed)),
    /// in text order: the report is of the reply without them (`support` 0, no example).
    #[cfg_attr(feature = "serde", serde(default))]
    pub allowed: Vec<Span>,
}

/// Converts byte offsets of `text` into character and UTF-16 offsets, for any number of offsets
/// in one pass.
///
/// ```
/// use cannery::OffsetConverter;
/// let text = "a€😀b";
/// let conv = OffsetConverter::new(text);
/// assert_eq!(conv.char_offset(4), 2);   // after "a€"
/// assert_eq!(conv.utf16_offset(8), 4);  // after "a€😀": the emoji is two UTF-16 units
/// assert_eq!(conv.char_offset(100), 4); // past the end: clamped
/// ```
#[derive(Debug, Clone)]
pub struct OffsetConverter<'t> {
    text: &'t str,
    /// Checkpoints every 64 bytes: (byte, char, utf16), for offsets far into long texts.
    checkpoints: Vec<(usize, usize, usize)>,
}

impl<'t> OffsetConverter<'t> {
    const STRIDE: usize = 64;

    /// A converter for `text`.
    ///
    /// ```
    /// let conv = cannery::OffsetConverter::new("héllo");
    /// assert_eq!(conv.char_offset(3), 2);
    /// ```
    pub fn new(text: &'t str) -> Self {
        let mut checkpoints = vec![(0, 0, 0)];
        let (mut chars, mut units) = (0, 0);
        let mut next = Self::STRIDE;
        for (b, c) in text.char_indices() {
            if b >= next {
                checkpoints.push((b, chars, units));
                next = b + Self::STRIDE;
            }
            chars += 1;
            units += c.len_utf16();
        }
        OffsetConverter { text, checkpoints }
    }

    fn walk(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let i = self.checkpoints.partition_point(|&(b, _, _)| b <= byte) - 1;
        let (b0, mut chars, mut units) = self.checkpoints[i];
        for (b, c) in self.text[b0..].char_indices() {
            if b0 + b >= byte {
                break;
            }
            chars += 1;
            units += c.len_utf16();
        }
        (chars, units)
    }

    /// The character offset of a byte offset (a byte inside a character counts that character
    /// as before it only once the offset passes its start; offsets past the end are clamped).
    ///
    /// ```
    /// assert_eq!(cannery::OffsetConverter::new("ab").char_offset(1), 1);
    /// ```
    pub fn char_offset(&self, byte: usize) -> usize {
        self.walk(byte).0
    }

    /// The UTF-16 offset of a byte offset.
    ///
    /// ```
    /// assert_eq!(cannery::OffsetConverter::new("😀x").utf16_offset(4), 2);
    /// ```
    pub fn utf16_offset(&self, byte: usize) -> usize {
        self.walk(byte).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_agree_with_std() {
        let texts = [
            "",
            "plain ascii",
            "héllo wörld",
            "中文回复，谢谢",
            "emoji 😀👍🏽 mix",
            "مرحبا",
        ];
        for text in texts {
            let conv = OffsetConverter::new(text);
            for (b, _) in text.char_indices().chain([(text.len(), ' ')]) {
                assert_eq!(conv.char_offset(b), text[..b].chars().count());
                assert_eq!(conv.utf16_offset(b), text[..b].encode_utf16().count());
            }
        }
        let long = "é".repeat(500);
        let conv = OffsetConverter::new(&long);
        assert_eq!(conv.char_offset(700), 350);
        assert_eq!(conv.utf16_offset(1000), 500);
    }
}
