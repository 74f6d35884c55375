//! The built-in stock corpora: a few hundred stock customer-service replies in each of nine
//! languages, written for this crate.
//!
//! Apologies, requests to DM, e-mail or call, requests for details, troubleshooting steps,
//! escalations, holding replies, thanks, greetings, closings and policy lines, in the generic
//! wording that customers recognise as canned: English (`en.txt`), Spanish, Portuguese, French,
//! German, Italian, Dutch, Japanese and Chinese, each written in its own language (formal and
//! informal address, regional variants), not translated line by line.
//! [`Index::stock`](crate::Index::stock) indexes them alone; every index built with the default
//! settings includes them, in the group [`STOCK_GROUP`](crate::STOCK_GROUP), so that scoring
//! works with no archive at all.
//!
//! This module is data: it imports nothing of the crate, and the text layer reads the corpora's
//! vocabulary from it (which languages use each word, see `text::language`).
//!
//! ```
//! assert!(cannery::stock_replies().any(|r| r.starts_with("Please DM us")));
//! assert!(cannery::stock_replies().any(|r| r.starts_with("Por favor, envíanos")));
//! ```

/// The stock corpora: each language's ISO 639-1 code and file, one reply a line (`#` lines are
/// category headers). English comes first, so that its replies keep their ids (`stock:1` on).
pub(crate) const CORPORA: [(&str, &str); 9] = [
    ("en", include_str!("en.txt")),
    ("es", include_str!("es.txt")),
    ("pt", include_str!("pt.txt")),
    ("fr", include_str!("fr.txt")),
    ("de", include_str!("de.txt")),
    ("it", include_str!("it.txt")),
    ("nl", include_str!("nl.txt")),
    ("ja", include_str!("ja.txt")),
    ("zh", include_str!("zh.txt")),
];

/// The replies of a corpus file, in order.
pub(crate) fn replies_of(file: &'static str) -> impl Iterator<Item = &'static str> {
    file.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The replies of the stock corpora, in order: English, then the others in [`CORPORA`]'s order.
pub(crate) static STOCK_REPLIES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        CORPORA
            .iter()
            .flat_map(|&(_, file)| replies_of(file))
            .collect()
    });

/// The replies of the built-in stock corpora, in order: English first, then Spanish,
/// Portuguese, French, German, Italian, Dutch, Japanese and Chinese (the stock reply `n` has the
/// id `stock:n`, counting from 1).
///
/// ```
/// let first = cannery::stock_replies().next().unwrap();
/// assert_eq!(first, "We're sorry to hear that.");
/// assert!(cannery::stock_replies().any(|r| r == "感谢您的耐心等待。"));
/// ```
pub fn stock_replies() -> impl ExactSizeIterator<Item = &'static str> {
    STOCK_REPLIES.iter().copied()
}
