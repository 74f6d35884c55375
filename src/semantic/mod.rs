//! Meaning beside the n-grams: a sentence encoder's vectors of the replies and of the customer
//! messages, and the signals reports draw from them (the `semantic` feature).
//!
//! # What it measures
//!
//! Word n-grams see wording, not meaning: a reply that names the fix for a symptom the customer
//! described in other words, or a stock reply paraphrased, looks new to them. With an encoder
//! attached ([`IndexBuilder::encoder`](crate::IndexBuilder::encoder),
//! [`Index::set_encoder`](crate::Index::set_encoder)), a report embeds the reply and the
//! customer's message and adds [`SemanticSignals`](crate::SemanticSignals): how much better the
//! reply matches its own message than customer messages at large (a z-score against the mean
//! and covariance of the index's message vectors), how close it is to the nearest past replies
//! the n-grams found, to the stock corpus and macros, and to the archive's centroid. A second
//! pair of models, fitted on the same labels with these signals, makes the scores, and the
//! report says so ([`Mode::Semantic`](crate::Mode)).
//!
//! # What an index keeps
//!
//! An index built with an encoder keeps each cluster's vector quantised to `i8` with a scale
//! (388 bytes a distinct reply for a 384-dimensional model) and the sums of its customer
//! messages' vectors (their count, sum and sum of outer products: 1.2 MB for 384 dimensions),
//! from [`Reply::message`](crate::Reply::message); an index with fewer than 100 messages adds a
//! built-in set of customer messages written for this crate, so the statistics are always
//! defined. A report then embeds only the draft and its message. Inserts, merges, scopes, saves
//! and loads carry the vectors; an index saved with them loads in any build, and a build without
//! the `semantic` feature scores it lexically.
//!
//! # The encoder: candle
//!
//! The model runs in Rust with candle (`candle-transformers`' BERT), which builds from crates.io
//! alone and reads the model from a local directory. ONNX Runtime (the `ort` crate) ran about six
//! times faster in an earlier measurement, but it needs ONNX Runtime's shared library, which
//! crates.io does not ship (its default build downloads a binary, and fails offline), so a clean
//! build of cannery could not be had from the registry. With candle, all-MiniLM-L6-v2 embeds a
//! sentence in 14.7 ms alone and 8.4 ms in batches of 16 on this project's 2-core machine (10.2
//! ms on one core); the tokenizer is Hugging Face's `tokenizers` crate with its pure-Rust regex
//! engine (no C library).

#[cfg(feature = "semantic")]
mod encoder;
pub(crate) mod store;

#[cfg(feature = "semantic")]
pub use encoder::Encoder;

#[cfg(feature = "semantic")]
/// The built-in customer messages, one a line (`#` lines are headers).
const STOCK_MESSAGES: &str = include_str!("../stock/messages.txt");

/// The fewest customer messages an index's statistics come from; below this, the built-in
/// messages are added.
pub(crate) const MIN_MESSAGES: u64 = 100;

#[cfg(feature = "semantic")]
/// The most customer messages of a build that feed the statistics (their mean and covariance
/// settle long before: 200 estimate them well).
pub(crate) const MAX_MESSAGES: usize = 2000;

#[cfg(feature = "semantic")]
/// The built-in customer messages.
pub(crate) fn stock_messages() -> impl Iterator<Item = &'static str> {
    STOCK_MESSAGES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[cfg(feature = "semantic")]
mod embed;
#[cfg(feature = "semantic")]
pub(crate) use embed::{embed_clusters, embed_messages};
