//! Allowed boilerplate: the sentences a brand must send (a legal disclosure, a mandated greeting
//! or closing), found in a draft so that they are neither findings nor counted towards `canned`.
//!
//! # Design, and why
//!
//! A phrase matches as a reader would read it: case aside and however the white space between
//! its words runs (a line break where the template had a space), and only as whole words at its
//! ends. Each phrase becomes a regular expression of its escaped words; patterns are regular
//! expressions as given; all of them are compiled into one `regex` automaton, searched once per
//! draft. The report is of the draft with the allowed text blanked (each byte a space, so that
//! every offset stays where it was): what the brand must send adds no evidence of a canned
//! reply, and cannot be one of its spans.

use std::ops::Range;
use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::report::{OffsetConverter, Span};

/// Phrases and patterns a brand is allowed, or required, to send unchanged: never boilerplate
/// findings, and not counted towards `canned`. Give it to a report with
/// [`Context::allowed`](crate::Context::allowed). Cheap to clone.
///
/// ```
/// use cannery::{Allowed, Context, Index};
/// let allowed = Allowed::new(["Calls may be recorded for training purposes."], [r"(?i)ref\w* #?\d+"]).unwrap();
/// let draft = "Your refund went out today, Maria. Calls may be\nrecorded for training purposes.";
/// assert_eq!(allowed.find(draft), [35..79]);
/// let report = Index::stock().score(draft, &Context::new().allowed(&allowed));
/// assert_eq!(report.allowed[0].bytes, 35..79);
/// assert!(report.spans.iter().all(|s| s.bytes.end <= 35));
/// ```
#[derive(Clone)]
pub struct Allowed {
    inner: Arc<Inner>,
}

struct Inner {
    phrases: Vec<String>,
    patterns: Vec<String>,
    regex: Option<regex::Regex>,
}

impl Allowed {
    /// The allowed `phrases` (matched ignoring case and the white space between words, as whole
    /// words) and `patterns` (regular expressions in the `regex` crate's syntax). A pattern
    /// that does not compile, or a phrase or pattern that matches the empty string, is an
    /// [`ErrorKind::InvalidInput`] error naming it.
    ///
    /// ```
    /// use cannery::{Allowed, ErrorKind};
    /// assert!(Allowed::new(["Thanks for your patience."], [] as [&str; 0]).is_ok());
    /// let err = Allowed::new([] as [&str; 0], ["(unclosed"]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn new<P, Q>(
        phrases: impl IntoIterator<Item = P>,
        patterns: impl IntoIterator<Item = Q>,
    ) -> Result<Allowed, Error>
    where
        P: AsRef<str>,
        Q: AsRef<str>,
    {
        let phrases: Vec<String> = phrases
            .into_iter()
            .map(|p| p.as_ref().to_string())
            .collect();
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|p| p.as_ref().to_string())
            .collect();
        let invalid = |what: String| Error::new(ErrorKind::InvalidInput, what);
        let mut parts = Vec::with_capacity(phrases.len() + patterns.len());
        for phrase in &phrases {
            let words: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
            if words.is_empty() {
                return Err(invalid(format!(
                    "the allowed phrase {phrase:?} has no words"
                )));
            }
            let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            let trimmed = phrase.trim();
            let start = if word_char(trimmed.chars().next()) {
                r"\b"
            } else {
                ""
            };
            let end = if word_char(trimmed.chars().last()) {
                r"\b"
            } else {
                ""
            };
            parts.push(format!("(?i:{start}{}{end})", words.join(r"\s+")));
        }
        for pattern in &patterns {
            let compiled = regex::Regex::new(pattern).map_err(|e| {
                invalid(format!(
                    "the allowed pattern {pattern:?} is not a regular expression: {e}"
                ))
            })?;
            if compiled.is_match("") {
                return Err(invalid(format!(
                    "the allowed pattern {pattern:?} matches the empty text"
                )));
            }
            parts.push(format!("(?:{pattern})"));
        }
        let regex = if parts.is_empty() {
            None
        } else {
            Some(regex::Regex::new(&parts.join("|")).map_err(|e| {
                invalid(format!(
                    "the allowed phrases and patterns do not compile together: {e}"
                ))
            })?)
        };
        Ok(Allowed {
            inner: Arc::new(Inner {
                phrases,
                patterns,
                regex,
            }),
        })
    }

    /// The byte ranges of `text` that are allowed: the leftmost-first matches of the phrases
    /// and patterns, in text order, not overlapping (adjacent ones kept apart).
    ///
    /// ```
    /// let allowed = cannery::Allowed::new(["Kind regards"], [] as [&str; 0]).unwrap();
    /// assert_eq!(allowed.find("Done! KIND  regards, Al"), [6..19]);
    /// assert!(allowed.find("kind regardsless").is_empty());
    /// ```
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        match &self.inner.regex {
            Some(regex) => regex.find_iter(text).map(|m| m.range()).collect(),
            None => Vec::new(),
        }
    }

    /// The phrases, as given.
    ///
    /// ```
    /// let allowed = cannery::Allowed::new(["Kind regards"], [] as [&str; 0]).unwrap();
    /// assert_eq!(allowed.phrases(), ["Kind regards"]);
    /// ```
    pub fn phrases(&self) -> &[String] {
        &self.inner.phrases
    }

    /// The patterns, as given.
    ///
    /// ```
    /// let allowed = cannery::Allowed::new([] as [&str; 0], [r"Ref \d+"]).unwrap();
    /// assert_eq!(allowed.patterns(), [r"Ref \d+"]);
    /// ```
    pub fn patterns(&self) -> &[String] {
        &self.inner.patterns
    }

    /// Whether there is nothing allowed.
    ///
    /// ```
    /// assert!(cannery::Allowed::new([] as [&str; 0], [] as [&str; 0]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.regex.is_none()
    }
}

impl std::fmt::Debug for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Allowed")
            .field("phrases", &self.inner.phrases)
            .field("patterns", &self.inner.patterns)
            .finish()
    }
}

impl PartialEq for Allowed {
    fn eq(&self, other: &Self) -> bool {
        self.inner.phrases == other.inner.phrases && self.inner.patterns == other.inner.patterns
    }
}

impl Eq for Allowed {}

/// A span of `text` over `bytes`, its character and UTF-16 ranges read with `conv`.
fn span_of(conv: &OffsetConverter<'_>, bytes: Range<usize>) -> Span {
    Span {
        chars: conv.char_offset(bytes.start)..conv.char_offset(bytes.end),
        utf16: conv.utf16_offset(bytes.start)..conv.utf16_offset(bytes.end),
        bytes,
        support: 0,
        stock: false,
        example: None,
    }
}

/// The `allowed` byte ranges of the text of `conv` as spans (support 0, no example).
pub(super) fn allowed_spans(conv: &OffsetConverter<'_>, allowed: Vec<Range<usize>>) -> Vec<Span> {
    allowed.into_iter().map(|r| span_of(conv, r)).collect()
}

/// The spans of the report on `text` blanked at `allowed`, as spans of `text`: a span may run
/// across blanked text (white space to the scorer), so it keeps its pieces outside the allowed
/// text, each trimmed of white space, with the character and UTF-16 offsets of `text` (read
/// with `conv`, its converter).
pub(super) fn cut_spans(
    text: &str,
    conv: &OffsetConverter<'_>,
    spans: Vec<Span>,
    allowed: &[Range<usize>],
) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len());
    for s in spans {
        let mut start = s.bytes.start;
        let cuts = allowed
            .iter()
            .filter(|a| a.start < s.bytes.end && s.bytes.start < a.end)
            .map(|a| (a.start, a.end))
            .chain([(s.bytes.end, s.bytes.end)]);
        for (cut_start, cut_end) in cuts {
            let piece = start..cut_start.max(start);
            start = start.max(cut_end);
            let piece_text = &text[piece.clone()];
            let trimmed = piece_text.trim();
            if trimmed.is_empty() {
                continue;
            }
            let lead = piece_text.len() - piece_text.trim_start().len();
            let bytes = piece.start + lead..piece.start + lead + trimmed.len();
            out.push(Span {
                support: s.support,
                stock: s.stock,
                example: s.example.clone(),
                ..span_of(conv, bytes)
            });
        }
    }
    out
}

/// `text` with the bytes of `ranges` blanked (each an ASCII space, so that every offset stays).
pub(super) fn blank(text: &str, ranges: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for range in ranges {
        bytes[range.clone()].fill(b' ');
    }
    // Whole characters were replaced by spaces: still UTF-8.
    String::from_utf8(bytes).expect("matches end on character boundaries")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Index, OffsetConverter};
    use proptest::prelude::*;

    #[test]
    fn phrases_match_as_a_reader_reads_them() {
        let allowed = Allowed::new(
            [
                "This call may be recorded.",
                "Kind regards",
                "  ¿Podemos ayudarte en algo más?  ",
            ],
            [r"Ticket #\d{4,}"],
        )
        .unwrap();
        let cases: &[(&str, &[&str])] = &[
            (
                "This call may be recorded.",
                &["This call may be recorded."],
            ),
            (
                "this  CALL may\nbe\trecorded.",
                &["this  CALL may\nbe\trecorded."],
            ),
            ("This call may be recorded", &[]), // the full stop is part of the phrase
            ("Kind regards, Al", &["Kind regards"]),
            ("Unkind regards", &[]),
            ("Kind regardsless", &[]),
            (
                "¿podemos AYUDARTE en algo más? Sí",
                &["¿podemos AYUDARTE en algo más?"],
            ),
            ("See Ticket #12345 and Ticket #99", &["Ticket #12345"]),
            (
                "Kind regards Kind regards",
                &["Kind regards", "Kind regards"],
            ),
        ];
        for (text, expected) in cases {
            let found: Vec<&str> = allowed.find(text).into_iter().map(|r| &text[r]).collect();
            assert_eq!(&found, expected, "{text:?}");
        }
    }

    #[test]
    fn bad_phrases_and_patterns_are_errors_naming_them() {
        let none: [&str; 0] = [];
        for (phrases, patterns, message) in [
            (
                vec!["   "],
                vec![],
                "the allowed phrase \"   \" has no words",
            ),
            (
                vec![],
                vec!["(x"],
                "the allowed pattern \"(x\" is not a regular expression",
            ),
            (
                vec![],
                vec!["x*"],
                "the allowed pattern \"x*\" matches the empty text",
            ),
        ] {
            let err = Allowed::new(phrases, patterns).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().starts_with(message), "{err}");
        }
        assert!(Allowed::new(none, none).unwrap().is_empty());
    }

    #[test]
    fn allowed_text_is_neither_a_span_nor_canned_evidence() {
        let index = Index::stock();
        let disclosure =
            "Thank you for your message. You can find our policies by clicking this link.";
        let allowed = Allowed::new([disclosure], [] as [&str; 0]).unwrap();
        let ctx = Context::new().allowed(&allowed);
        // All of it allowed: nothing to find.
        let all = index.score(disclosure, &ctx);
        assert!(all.spans.is_empty());
        assert_eq!(all.allowed.len(), 1);
        assert!(all.canned < index.score(disclosure, &Context::new()).canned);
        // A personal answer around it reads as the answer alone.
        let answer = "Your parcel left our Leeds depot at 9:40 and DPD will bring it on Friday.";
        let draft = format!("{answer} {disclosure}");
        let with = index.score(&draft, &ctx);
        let alone = index.score(answer, &Context::new());
        assert_eq!(with.canned, alone.canned);
        assert_eq!(with.verdict, alone.verdict);
        // The batch path and the group path take it too.
        let batch = index.score_batch([(draft.as_str(), ctx, None)]);
        assert_eq!(batch[0], with);
        let scoped = index.score(&draft, &ctx.group("Acme"));
        assert_eq!(scoped.allowed, with.allowed);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn spans_avoid_allowed_text_and_keep_the_drafts_offsets(
            words in proptest::collection::vec(prop::sample::select(vec![
                "Thank", "you", "for", "your", "message.", "Please", "DM", "us", "😀", "café",
                "お待たせ", "Kind", "regards", "\n", "Ref", "#1234", "é"]), 0..40)
        ) {
            let draft = words.join(" ");
            let allowed = Allowed::new(["Kind regards", "Thank you for your message."], [r"#\d+"]).unwrap();
            let report = Index::stock().score(&draft, &Context::new().allowed(&allowed));
            let conv = OffsetConverter::new(&draft);
            let found = allowed.find(&draft);
            prop_assert_eq!(report.allowed.iter().map(|s| s.bytes.clone()).collect::<Vec<_>>(), found.clone());
            for s in report.spans.iter().chain(&report.allowed) {
                prop_assert_eq!(s.chars.clone(), conv.char_offset(s.bytes.start)..conv.char_offset(s.bytes.end));
                prop_assert_eq!(s.utf16.clone(), conv.utf16_offset(s.bytes.start)..conv.utf16_offset(s.bytes.end));
            }
            for s in &report.spans {
                for a in &found {
                    prop_assert!(s.bytes.end <= a.start || a.end <= s.bytes.start, "{:?} overlaps {:?}", s.bytes, a);
                }
            }
        }
    }
}
