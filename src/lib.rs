//! cannery tells whether a customer-service reply is canned.
//!
//! It scores a reply against a corpus of a brand's past replies (and a built-in corpus of stock
//! customer-service phrasing) for how templated it is and how much it answers this customer, and
//! says which spans are boilerplate and which past replies it copies.
//!
//! # Overview
//!
//! - [`Index`]: the corpus, collapsed into clusters of identical masked replies with an inverted
//!   index of word n-grams. Built by [`IndexBuilder`] from [`Reply`] records (or streamed into an
//!   [`IndexWriter`], tokenizing on [`IndexBuilder::threads`] threads), updated with
//!   [`Index::insert`], combined with [`Index::merge`], saved and loaded with [`Index::save`] and
//!   [`Index::load`]. Cheap to clone, `Send + Sync`.
//! - [`Index::score`] with a [`Context`] (the customer's message and name) gives a [`Report`]:
//!   `canned` and `personalisation` scores in [0, 1], a [`Verdict`], boilerplate [`Span`]s with
//!   byte, char and UTF-16 ranges into your text, the [`Neighbour`]s (nearest past replies), and the
//!   [`Signals`] behind the scores. [`Index::score_excluding`] scores a corpus member
//!   leave-one-out. [`Context::group`] (or [`Index::scope`]) keeps tenants apart: a brand's
//!   draft is scored against that brand's replies and the reference replies alone.
//!   [`Context::allowed`] takes the [`Allowed`] boilerplate a brand must send (a disclosure, a
//!   mandated closing): never a span, not counted towards `canned`.
//! - Languages: the built-in corpus has stock replies in English, Spanish, Portuguese, French,
//!   German, Italian, Dutch, Japanese and Chinese. Each report tells the draft's [`Language`]
//!   (or takes [`Context::language`]) and reads the corpus's word statistics among the replies
//!   of that language; a draft in a language with neither a stock corpus nor anything like it
//!   in the index is [`Verdict::Unjudged`] rather than called personal.
//! - [`tokenize`] and [`shingles`]: the text pipeline (Unicode folding against look-alike
//!   letters and invisible characters, word tokens with ranges into the original text, typed
//!   [`Slot`]s for handles, links, numbers, dates, names and sign-offs).
//!
//! # Example: lint a draft with no archive at all
//!
//! ```
//! use cannery::{Index, Context, Verdict};
//!
//! let index = Index::stock();
//! let draft = "Thank you for your message. You can find our policies by clicking this link.";
//! let report = index.score(draft, &Context::new());
//! assert_eq!(report.verdict, Verdict::Canned);
//! for span in &report.spans {
//!     println!("boilerplate: {:?} (chars {:?})", &draft[span.bytes.clone()], span.chars);
//! }
//! ```
//!
//! # Example: a brand's archive, leave-one-out
//!
//! ```
//! use cannery::{Index, Reply, Context};
//!
//! let archive = [
//!     ("1", "@115712 Please DM us your order number and we'll look into this. ^JK"),
//!     ("2", "@115713 Please DM us your order number and we'll look into this. -Becky"),
//!     ("3", "@115714 The Leeds store's bakery closes at 6pm on Sundays, sorry Tom!"),
//! ];
//! let index = Index::builder().build(archive.iter().map(|(id, text)| Reply::new(id, text)));
//!
//! // Reply 2 still has a copy (reply 1) when it is left out of the corpus.
//! let report = index.score_excluding(archive[1].1, &Context::new(), "2");
//! assert_eq!(report.nearest[0].id, "1");
//! assert_eq!(report.signals.copies, 1);
//! ```
//!
//! # Example: personalisation from the customer's message
//!
//! ```
//! use cannery::{Index, Context};
//!
//! let index = Index::stock();
//! let customer = "My order of blue Nike trainers arrived in the wrong size";
//! let generic = index.score("Sorry to hear that! Please DM us.", &Context::new().message(customer));
//! let specific = index.score(
//!     "So sorry the blue Nike trainers came in the wrong size! A swap is on its way.",
//!     &Context::new().message(customer));
//! assert!(specific.personalisation > generic.personalisation);
//! ```
//!
//! # Example: a draft in another language, on the built-in corpus
//!
//! ```
//! use cannery::{Index, Context, Verdict};
//!
//! let index = Index::stock();
//! let draft = "Lamentamos las molestias. Por favor, envíanos un mensaje directo con tu número de pedido.";
//! let report = index.score(draft, &Context::new());
//! assert_eq!(report.language.map(|l| l.code()), Some("es"));
//! assert_eq!(report.verdict, Verdict::Canned);
//! ```
//!
//! # Example: save, load and share across threads
//!
//! ```
//! use cannery::{Index, Context};
//! use std::sync::Arc;
//!
//! let index = Index::from_bytes(&Index::stock().to_bytes()).unwrap();
//! let handles: Vec<_> = (0..2).map(|_| {
//!     let index = index.clone(); // an Arc clone, not a copy
//!     std::thread::spawn(move || index.score("Happy to help!", &Context::new()).canned)
//! }).collect();
//! for h in handles { assert!(h.join().unwrap() > 0.5); }
//! ```
//!
//! # Features
//!
//! - `serde`: `Serialize`/`Deserialize` for [`Report`] and its parts, [`Config`], and [`Index`]
//!   (as the bytes of [`Index::to_bytes`]).
//! - `semantic`: a sentence encoder beside the n-grams (`Encoder`, `IndexBuilder::encoder`,
//!   `Index::set_encoder`): reports add [`SemanticSignals`] and use the semantic models
//!   ([`Mode::Semantic`]). It pulls in candle and Hugging Face's tokenizer.
//!
//! The `cannery` command is the `cannery-cli` package of this repository's workspace (`cli/`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod align;
mod config;
mod error;
mod index;

pub mod persist;
mod reply;
mod report;
mod score;
mod semantic;
mod state;
mod stock;
mod store;
mod templates;
mod text;
mod wire;

/// Helpers of the unit tests.
#[cfg(test)]
mod testing {
    /// A xorshift generator: the random inputs of the unit tests, the same on every run.
    pub(crate) struct XorShift(pub(crate) u64);

    impl XorShift {
        /// The next number below `n` (which must not be 0).
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }
}

pub use error::{Error, ErrorKind};
pub use index::{Config, Index, IndexBuilder, IndexWriter, Reply, STOCK_GROUP};
pub use report::{
    Mode, Neighbour, OffsetConverter, Report, SemanticSignals, Signals, Span, Verdict,
};
pub use score::{Allowed, Context};
#[cfg(feature = "semantic")]
pub use semantic::Encoder;
pub use stock::stock_replies;
pub use templates::macros::{MACRO_GROUP, strip_html};
pub use templates::{Template, TemplateMatch};
pub use text::shingles::shingles;
pub use text::{Language, MAX_INPUT_BYTES, Slot, Token, TokenKind, tokenize, tokenize_with_crates};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Index>();
        assert_send_sync::<IndexBuilder>();
        assert_send_sync::<IndexWriter>();
        assert_send_sync::<Config>();
        assert_send_sync::<Reply<'static>>();
        assert_send_sync::<Context<'static>>();
        assert_send_sync::<Report>();
        assert_send_sync::<Span>();
        assert_send_sync::<Neighbour>();
        assert_send_sync::<Signals>();
        assert_send_sync::<Verdict>();
        assert_send_sync::<Mode>();
        assert_send_sync::<SemanticSignals>();
        assert_send_sync::<Token>();
        assert_send_sync::<TokenKind>();
        assert_send_sync::<Slot>();
        assert_send_sync::<Error>();
        assert_send_sync::<ErrorKind>();
        assert_send_sync::<OffsetConverter<'static>>();
        assert_send_sync::<Template>();
        assert_send_sync::<TemplateMatch>();
        assert_send_sync::<Language>();
    }
}
