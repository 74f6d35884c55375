//! Building an index: the builder's settings, and the writer that adds replies one at a time
//! (or in batches tokenized on several threads) and finishes the index.
//!
//! # Design, and why
//!
//! Tokenizing is a reply's own work (about 40% of a build), so a build with
//! [`IndexBuilder::threads`] above 1 tokenizes batches of replies on scoped threads and adds
//! their keys in order on the calling thread: the clusters, counts and file are the same as on
//! one thread. The rest of a build (clustering, counting, mining) depends on the order of the
//! replies and stays on one thread.

use super::Index;
use crate::config::{Config, unit_or};
use crate::reply::Reply;
use crate::state::State;
use crate::stock::STOCK_REPLIES;
use crate::store::{Corpus, NewReply, STOCK_GROUP};
use crate::text::{Scratch, Token, tokenize_capped};

/// Builds an [`Index`]: set the options with `&mut self` setters, then [`build`](Self::build).
///
/// ```
/// use cannery::{IndexBuilder, Reply};
/// let index = IndexBuilder::new()
///     .ngram(3)
///     .min_support(2)
///     .stock_corpus(false)
///     .build([Reply::new("1", "Please DM us your order number."),
///             Reply::new("2", "Please DM us your order number. ^AB")]);
/// assert_eq!(index.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    config: Config,
    threads: usize,
    /// The sentence encoder a build embeds its replies with.
    #[cfg(feature = "semantic")]
    encoder: Option<crate::semantic::Encoder>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder {
            config: Config::default(),
            threads: 1,
            #[cfg(feature = "semantic")]
            encoder: None,
        }
    }
}

impl IndexBuilder {
    /// A builder with the default settings (see [`Config`]).
    ///
    /// ```
    /// let builder = cannery::IndexBuilder::new();
    /// ```
    pub fn new() -> Self {
        IndexBuilder::default()
    }

    /// Words per shingle: 1 to 8 (a value outside is clamped into that range: 0 gives 1, 20
    /// gives 8).
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().ngram(20).build([]);
    /// assert_eq!(index.config().ngram, 8);
    /// ```
    pub fn ngram(&mut self, n: usize) -> &mut Self {
        self.config.ngram = n.clamp(1, 8);
        self
    }

    /// How many replies must share a phrase for it to count as boilerplate: at least 1 (0 gives
    /// 1).
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().min_support(5).build([]);
    /// assert_eq!(index.config().min_support, 5);
    /// ```
    pub fn min_support(&mut self, n: u32) -> &mut Self {
        self.config.min_support = n.max(1);
        self
    }

    /// The most clusters kept in one shingle's posting list: 1 to `u32::MAX` (a value outside
    /// is clamped into that range).
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().max_postings(64).build([]);
    /// assert_eq!(index.config().max_postings, 64);
    /// ```
    pub fn max_postings(&mut self, n: usize) -> &mut Self {
        self.config.max_postings = n.clamp(1, u32::MAX as usize);
        self
    }

    /// How many nearest past replies a report lists: 0 to 64 (more gives 64).
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().neighbours(5).build([]);
    /// assert_eq!(index.config().neighbours, 5);
    /// assert_eq!(cannery::IndexBuilder::new().neighbours(1000).build([]).config().neighbours, 64);
    /// ```
    pub fn neighbours(&mut self, n: usize) -> &mut Self {
        self.config.neighbours = n.min(64);
        self
    }

    /// The thresholds of the verdict: `canned` from which a reply is canned or templated, and
    /// `personalisation` from which a canned reply is templated rather than canned (see
    /// [`Config::verdict`]). Each is clamped to [0, 1]; a NaN leaves that threshold as it was.
    /// The defaults, 0.6 and 0.5, agree with 71% of the three-way hand labels of the
    /// development set.
    ///
    /// ```
    /// use cannery::{Context, IndexBuilder, Verdict};
    /// // Everything is canned from 0, and nothing personal enough to be templated below 1.
    /// let everything = IndexBuilder::new().verdict_thresholds(0.0, 1.0).build([]);
    /// let r = everything.score("The 7:40 from Leeds was held at Doncaster.", &Context::new());
    /// assert_eq!(r.verdict, Verdict::Canned);
    /// assert_eq!(r.verdict, everything.config().verdict(r.canned, r.personalisation));
    /// ```
    pub fn verdict_thresholds(&mut self, canned_at: f64, personal_at: f64) -> &mut Self {
        self.config.canned_at = unit_or(canned_at, self.config.canned_at);
        self.config.personal_at = unit_or(personal_at, self.config.personal_at);
        self
    }

    /// Whether to include the built-in corpus of stock customer-service phrasing.
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().stock_corpus(false).build([]);
    /// assert!(index.is_empty());
    /// ```
    pub fn stock_corpus(&mut self, yes: bool) -> &mut Self {
        self.config.stock_corpus = yes;
        self
    }

    /// How many threads tokenize the replies of a build (1 by default; 1 to 256).
    ///
    /// Tokenizing is about 40% of a build; the rest (clustering, counting, mining) runs on the
    /// calling thread. The index is the same, byte for byte, whatever the number of threads.
    /// Applies to [`build`](Self::build) and [`IndexWriter::add_batch`].
    ///
    /// ```
    /// use cannery::{IndexBuilder, Reply};
    /// let replies = [Reply::new("1", "Please DM us."), Reply::new("2", "Please DM us! ^JK")];
    /// let one = IndexBuilder::new().build(replies);
    /// let four = IndexBuilder::new().threads(4).build(replies);
    /// assert_eq!(one.to_bytes(), four.to_bytes());
    /// ```
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = n.clamp(1, 256);
        self
    }

    /// Builds the index with a sentence encoder: each distinct reply's vector and the
    /// statistics of the customer messages ([`Reply::message`](crate::Reply::message)) are
    /// kept, and reports add the semantic signals (see [`Encoder`](crate::semantic::Encoder)). A build embeds every
    /// distinct reply once, at [`finish`](crate::IndexWriter::finish): about 8 ms a reply on two
    /// cores with all-MiniLM-L6-v2.
    ///
    /// ```no_run
    /// use cannery::{Encoder, Index, Reply};
    /// let encoder = Encoder::load("models/all-MiniLM-L6-v2").unwrap();
    /// let index = Index::builder()
    ///     .encoder(encoder)
    ///     .build([Reply::new("1", "Please DM us your order number.").message("where is my order")]);
    /// assert_eq!(index.semantic_model(), Some("nreimers/MiniLM-L6-H384-uncased"));
    /// ```
    #[cfg(feature = "semantic")]
    pub fn encoder(&mut self, encoder: crate::semantic::Encoder) -> &mut Self {
        self.encoder = Some(encoder);
        self
    }

    /// Builds an index of `replies` (plus the stock corpus unless turned off).
    ///
    /// ```
    /// use cannery::{IndexBuilder, Reply};
    /// let rows = vec![("a".to_string(), "Thanks for reaching out!".to_string())];
    /// let index = IndexBuilder::new().build(rows.iter().map(|(id, t)| Reply::new(id, t)));
    /// assert!(index.contains_id("a"));
    /// ```
    pub fn build<'a, I>(&self, replies: I) -> Index
    where
        I: IntoIterator<Item = Reply<'a>>,
    {
        let mut writer = self.writer();
        if self.threads == 1 {
            for reply in replies {
                writer.add(reply);
            }
        } else {
            let batch_len = BATCH_PER_THREAD * self.threads;
            let mut batch = Vec::with_capacity(batch_len);
            for reply in replies {
                batch.push(reply);
                if batch.len() == batch_len {
                    writer.add_batch(&batch);
                    batch.clear();
                }
            }
            writer.add_batch(&batch);
        }
        writer.finish()
    }

    /// A writer to add replies to one at a time, for corpora streamed from a file: each
    /// reply's text need only live during its [`add`](IndexWriter::add).
    ///
    /// ```
    /// use cannery::{IndexBuilder, Reply};
    /// let mut writer = IndexBuilder::new().stock_corpus(false).writer();
    /// for line in "Please DM us.\nPlease DM us! ^AB".lines() {
    ///     let text = line.to_string(); // as read from a file
    ///     writer.add(Reply::new("row", &text));
    /// }
    /// assert_eq!(writer.len(), 2);
    /// assert_eq!(writer.finish().len(), 2);
    /// ```
    pub fn writer(&self) -> IndexWriter {
        // A build counts its shingles once, in `finish`.
        let inner = State::new(Corpus::for_build(self.config.clone()));
        let mut writer = IndexWriter {
            inner,
            scratch: Scratch::default(),
            tokens: Vec::new(),
            threads: self.threads,
            #[cfg(feature = "semantic")]
            encoder: self.encoder.clone(),
            #[cfg(feature = "semantic")]
            messages: Vec::new(),
        };
        if self.config.stock_corpus {
            for (n, text) in STOCK_REPLIES.iter().enumerate() {
                let id = format!("stock:{}", n + 1);
                tokenize_capped(text, &mut writer.scratch, &mut writer.tokens);
                let keys: Vec<u32> = writer.tokens.iter().map(Token::key).collect();
                writer.inner.add(NewReply {
                    id: &id,
                    text,
                    group: Some(STOCK_GROUP),
                    time: None,
                    keys: &keys,
                    reference: true,
                });
            }
        }
        writer
    }
}

/// Builds an [`Index`] from replies added one at a time (see [`IndexBuilder::writer`]); the
/// lookup tables are sorted once, by [`finish`](Self::finish).
///
/// ```
/// use cannery::{Index, Reply};
/// let mut writer = Index::builder().writer();
/// writer.add(Reply::new("1", "Thanks for reaching out!").group("acme"));
/// let index = writer.finish();
/// assert!(index.contains_id("1"));
/// ```
pub struct IndexWriter {
    inner: State,
    scratch: Scratch,
    tokens: Vec<Token>,
    /// Threads that tokenize an [`add_batch`](Self::add_batch).
    threads: usize,
    /// The encoder that embeds the replies at [`finish`](Self::finish), and the first customer
    /// messages, whose vectors' statistics it keeps.
    #[cfg(feature = "semantic")]
    encoder: Option<crate::semantic::Encoder>,
    #[cfg(feature = "semantic")]
    messages: Vec<String>,
}

impl std::fmt::Debug for IndexWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriter")
            .field("replies", &self.len())
            .finish_non_exhaustive()
    }
}

impl IndexWriter {
    /// Adds a reply.
    ///
    /// ```
    /// let mut writer = cannery::IndexBuilder::new().writer();
    /// writer.add(cannery::Reply::new("1", "Please DM us."));
    /// ```
    pub fn add(&mut self, reply: Reply<'_>) {
        self.note_message(&reply);
        tokenize_capped(reply.text, &mut self.scratch, &mut self.tokens);
        let keys: Vec<u32> = self.tokens.iter().map(Token::key).collect();
        self.inner.add(NewReply::of(&reply, &keys));
    }

    /// Adds replies in order, tokenizing them on the builder's [`threads`](IndexBuilder::threads):
    /// the same as adding them one by one, faster on several cores for batches of thousands.
    ///
    /// ```
    /// use cannery::{IndexBuilder, Reply};
    /// let texts: Vec<String> = (0..5000).map(|i| format!("@u{i} Please DM us. ^AB")).collect();
    /// let ids: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
    /// let replies: Vec<Reply> = ids.iter().zip(&texts).map(|(id, t)| Reply::new(id, t)).collect();
    /// let mut writer = IndexBuilder::new().threads(2).writer();
    /// writer.add_batch(&replies);
    /// assert_eq!(writer.finish().distinct_len(), IndexBuilder::new().build(replies).distinct_len());
    /// ```
    pub fn add_batch(&mut self, replies: &[Reply<'_>]) {
        // Fewer replies than this a thread are tokenized on the calling thread alone.
        const MIN_PER_THREAD: usize = 256;
        let threads = self.threads.min(replies.len() / MIN_PER_THREAD).max(1);
        if threads == 1 {
            for &reply in replies {
                self.add(reply);
            }
            return;
        }
        let part = replies.len().div_ceil(threads);
        let keyed: Vec<KeyedReplies> = std::thread::scope(|scope| {
            // A chunk whose thread cannot be started (a limit on threads, a target without
            // them) is tokenized here instead.
            let workers: Vec<_> = replies[part..]
                .chunks(part)
                .map(|chunk| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || KeyedReplies::of(chunk))
                        .map_err(|_| chunk)
                })
                .collect();
            let mut keyed = vec![KeyedReplies::of(&replies[..part])];
            for worker in workers {
                keyed.push(match worker {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    Err(chunk) => KeyedReplies::of(chunk),
                });
            }
            keyed
        });
        for (chunk, keyed) in replies.chunks(part).zip(&keyed) {
            for (i, reply) in chunk.iter().enumerate() {
                self.note_message(reply);
                let keys = &keyed.keys[keyed.ends[i]..keyed.ends[i + 1]];
                self.inner.add(NewReply::of(reply, keys));
            }
        }
    }

    /// How many of the replies added so far were longer than
    /// [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES), and indexed up to that many bytes (see
    /// [`Index::truncated`]).
    ///
    /// ```
    /// let mut writer = cannery::IndexBuilder::new().writer();
    /// writer.add(cannery::Reply::new("1", &"x ".repeat(cannery::MAX_INPUT_BYTES)));
    /// assert_eq!(writer.truncated(), 1);
    /// ```
    pub fn truncated(&self) -> u64 {
        self.inner.corpus().truncated()
    }

    /// The number of replies added so far, the stock corpus included.
    ///
    /// ```
    /// let writer = cannery::IndexBuilder::new().stock_corpus(false).writer();
    /// assert_eq!(writer.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.corpus().len()
    }

    /// Whether no reply has been added (nor the stock corpus).
    ///
    /// ```
    /// assert!(!cannery::IndexBuilder::new().writer().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the replies added.
    ///
    /// ```
    /// let index = cannery::IndexBuilder::new().writer().finish();
    /// assert_eq!(index.len(), cannery::Index::stock().len());
    /// ```
    pub fn finish(mut self) -> Index {
        self.inner.finish_build();
        #[cfg(feature = "semantic")]
        if let Some(encoder) = &self.encoder {
            self.inner.embed_build(encoder, &self.messages);
        }
        Index::of(self.inner)
    }

    /// Keeps a reply's customer message for the statistics of a build with an encoder (the
    /// first [`MAX_MESSAGES`](crate::semantic::MAX_MESSAGES) of them).
    fn note_message(&mut self, reply: &Reply<'_>) {
        #[cfg(feature = "semantic")]
        if let (Some(_), Some(message)) = (&self.encoder, reply.message) {
            if self.messages.len() < crate::semantic::MAX_MESSAGES {
                self.messages
                    .push(crate::text::capped(message).0.to_string());
            }
        }
        let _ = reply;
    }
}

/// How many replies a thread tokenizes in each batch of a threaded [`IndexBuilder::build`].
const BATCH_PER_THREAD: usize = 4096;

/// The token keys of consecutive replies, tokenized off the calling thread.
struct KeyedReplies {
    /// Every reply's keys, one after the other.
    keys: Vec<u32>,
    /// Where each reply's keys start in `keys`, and the end of the last.
    ends: Vec<usize>,
}

impl KeyedReplies {
    fn of(replies: &[Reply<'_>]) -> KeyedReplies {
        let mut scratch = Scratch::default();
        let mut tokens = Vec::new();
        let mut keyed = KeyedReplies {
            keys: Vec::new(),
            ends: Vec::with_capacity(replies.len() + 1),
        };
        keyed.ends.push(0);
        for reply in replies {
            tokenize_capped(reply.text, &mut scratch, &mut tokens);
            keyed.keys.extend(tokens.iter().map(Token::key));
            keyed.ends.push(keyed.keys.len());
        }
        keyed
    }
}
