//! The index: a corpus of past replies collapsed into clusters of identical masked replies, with
//! per-shingle and per-word frequencies and a capped inverted index from shingles to clusters.
//!
//! # Design, and why
//!
//! Canned replies are sent again and again with only the slots changed, so after slot masking most
//! of a brand's archive collapses into few distinct texts. The index therefore keeps one
//! **cluster** per distinct masked token sequence (with its count of replies, a representative
//! text and its token keys) and one small record per reply (its id, group and cluster).
//!
//! Each **shingle** (word n-gram, see [`crate::shingles`]) has a record of how many replies and how
//! many clusters contain it, and a posting list of the clusters that contain it. Posting lists are
//! capped (`max_postings`, 256 by default): the shingles of stock phrases occur in thousands of
//! clusters, and scanning those lists would make a query's cost grow with the corpus. The
//! frequencies stay exact past the cap, so the boilerplate spans and the support of a phrase are
//! exact; only the candidate set for the nearest replies is drawn from the first clusters of a
//! common shingle (the earliest, which for a template are the ones seen first) and from the
//! rarer shingles, which are never capped in practice.
//!
//! Candidates are ranked by the number of shingles they share with the query, counted over the
//! query's rarest shingles first until a budget of 1,024 postings is spent (a near-copy shares the
//! rare shingles of its family; each posting visited is a cache miss), and the best eight are
//! verified with a bit-parallel edit distance over token keys (rapidfuzz). At a million replies
//! the budget lowered the mean nearest similarity of 20,000 held-out re-sends from 0.8143 to
//! 0.8136 and left the dev-set quality unchanged. This is exact overlap counting over a
//! compact inverted index; MinHash/LSH was not used because on short canned replies two copies of
//! one template share only about half their 3-grams (so LSH at useful thresholds misses them) and
//! LSH buckets of a canned corpus hold thousands of replies, so query time tracks bucket size.
//!
//! Words have their own frequency table (replies containing the word), used to tell generic
//! wording from content the corpus has never seen.
//!
//! Memory goes mostly to the clusters' texts and token keys and to the shingle records. Once
//! built, the shingle records and the lookups of reply ids and of clusters' token sequences are
//! arrays sorted by hash behind a directory of hash prefixes (about 13 bytes an entry for a
//! lookup, where a hash map takes about 31), and the posting lists are one flat array; a shingle
//! in one cluster (most of them) keeps its record packed beside its hash. At a million replies
//! the index in use takes 381 bytes a reply (the README's benchmarks).
//!
//! A build (and a merge) counts the shingles of all its clusters at once when it finishes, by
//! sorting the pairs of shingle and cluster, instead of probing a hash map of millions of
//! shingles for each shingle of each new cluster (28% of a build at a million replies);
//! [`Index::insert`] counts one reply at a time. Both give the same table.
//!
//! Tokenizing is a reply's own work (about 40% of a build), so a build with
//! [`IndexBuilder::threads`] above 1 tokenizes batches of replies on scoped threads and adds
//! their keys in order on the calling thread: the clusters, counts and file are the same as on
//! one thread. The rest of a build (clustering, counting, mining) depends on the order of the
//! replies and stays on one thread.
//!
//! The index is immutable behind an [`Arc`]: cloning is cheap and a clone can be shared across
//! threads. [`Index::insert`] copies the tables first if another clone still shares them
//! (copy-on-write), so readers never see a half-inserted reply.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::keymap::KeyMap;
use crate::stock::STOCK_REPLIES;
pub(crate) use crate::table::{Record, ShingleStat, ShingleTable};
use crate::text::shingles::{distinct_shingles_of_keys, sequence_key};
use crate::text::{capped, slot_key, tokenize_into, Scratch, Slot, Token};

/// The group of the built-in stock corpus's replies.
pub const STOCK_GROUP: &str = "cannery:stock";

/// A reply to add to an index: its id, its text and, optionally, a group (a brand or an agent).
///
/// ```
/// use cannery::Reply;
/// let reply = Reply::new("42", "Please DM us.").group("AcmeHelp");
/// assert_eq!(reply.id, "42");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply<'a> {
    /// The reply's id, passed through to reports (ids need not be unique; leave-one-out scoring
    /// by id leaves out the first reply with that id).
    pub id: &'a str,
    /// The reply's text.
    pub text: &'a str,
    /// The group the reply belongs to: a brand, an agent, a queue.
    pub group: Option<&'a str>,
    /// When the reply was sent, in seconds since the Unix epoch (for the first and last use of
    /// a template).
    pub time: Option<i64>,
    /// The customer's message the reply answers: an index built with a sentence encoder keeps
    /// the statistics of its customer messages' vectors (see the `semantic` feature).
    pub message: Option<&'a str>,
}

impl<'a> Reply<'a> {
    /// A reply with no group.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!");
    /// assert!(r.group.is_none());
    /// ```
    pub fn new(id: &'a str, text: &'a str) -> Self {
        Reply {
            id,
            text,
            group: None,
            time: None,
            message: None,
        }
    }

    /// The same reply in `group`.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").group("Delta");
    /// assert_eq!(r.group, Some("Delta"));
    /// ```
    pub fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }

    /// The same reply, sent at `time` (seconds since the Unix epoch).
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").time(1_509_487_847);
    /// assert_eq!(r.time, Some(1_509_487_847));
    /// ```
    pub fn time(mut self, time: i64) -> Self {
        self.time = Some(time);
        self
    }

    /// The same reply, answering the customer's `message`.
    ///
    /// ```
    /// let r = cannery::Reply::new("1", "Thanks!").message("my parcel is late");
    /// assert_eq!(r.message, Some("my parcel is late"));
    /// ```
    pub fn message(mut self, message: &'a str) -> Self {
        self.message = Some(message);
        self
    }
}

/// The settings an index is built with. Read them back with [`Index::config`]; set them with
/// [`IndexBuilder`] (and the verdict thresholds of a built index with
/// [`Index::set_verdict_thresholds`]). A saved index keeps them.
///
/// ```
/// let index = cannery::IndexBuilder::new().ngram(2).build([]);
/// assert_eq!(index.config().ngram, 2);
/// assert_eq!((index.config().canned_at, index.config().personal_at), (0.6, 0.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Config {
    /// Words per shingle (1 to 8; 3 by default).
    pub ngram: usize,
    /// How many replies must share a phrase for it to be reported as boilerplate (2 by default).
    pub min_support: u32,
    /// The most clusters kept in one shingle's posting list (256 by default).
    pub max_postings: usize,
    /// How many nearest past replies a report lists (0 to 64; 3 by default).
    pub neighbours: usize,
    /// Whether the built-in stock corpus is part of the index (true by default).
    pub stock_corpus: bool,
    /// The `canned` score from which a report's verdict is canned or templated (0.6 by
    /// default; see [`Verdict`](crate::Verdict) for the rule).
    pub canned_at: f64,
    /// The `personalisation` score from which a canned reply's verdict is templated rather than
    /// canned (0.5 by default).
    pub personal_at: f64,
}

/// The default `canned_at`: it agrees with 71% of the three-way hand labels of the development
/// set, within 1.5 points of the best pair of thresholds.
pub(crate) const CANNED_AT: f64 = 0.6;
/// The default `personal_at`.
pub(crate) const PERSONAL_AT: f64 = 0.5;

impl Default for Config {
    fn default() -> Self {
        Config {
            ngram: 3,
            min_support: 2,
            max_postings: 256,
            neighbours: 3,
            stock_corpus: true,
            canned_at: CANNED_AT,
            personal_at: PERSONAL_AT,
        }
    }
}

impl Config {
    /// The verdict these settings give a reply of scores `canned` and `personalisation`: canned
    /// when `canned >= canned_at` and `personalisation < personal_at`, templated when both are at
    /// or above their thresholds, personal when `canned < canned_at`.
    ///
    /// ```
    /// use cannery::{Config, Verdict};
    /// let config = Config::default();
    /// assert_eq!(config.verdict(0.9, 0.2), Verdict::Canned);
    /// assert_eq!(config.verdict(0.9, 0.7), Verdict::Templated);
    /// assert_eq!(config.verdict(0.3, 0.1), Verdict::Personal);
    /// ```
    pub fn verdict(&self, canned: f64, personalisation: f64) -> crate::Verdict {
        use crate::Verdict;
        match (
            canned >= self.canned_at,
            personalisation >= self.personal_at,
        ) {
            (true, false) => Verdict::Canned,
            (true, true) => Verdict::Templated,
            (false, _) => Verdict::Personal,
        }
    }
}

/// A threshold as the setters take it: clamped to [0, 1], NaN as `default`.
fn unit_or(x: f64, default: f64) -> f64 {
    if x.is_nan() {
        default
    } else {
        x.clamp(0.0, 1.0)
    }
}

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
    pub(crate) encoder: Option<crate::Encoder>,
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
        let mut inner = Inner::new(self.config.clone());
        // A build counts its shingles once, in `finish`.
        inner.shingles_pending = true;
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
                writer
                    .inner
                    .add(&id, text, Some(STOCK_GROUP), None, &writer.tokens, true);
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
    inner: Inner,
    scratch: Scratch,
    tokens: Vec<Token>,
    /// Threads that tokenize an [`add_batch`](Self::add_batch).
    threads: usize,
    /// The encoder that embeds the replies at [`finish`](Self::finish), and the first customer
    /// messages, whose vectors' statistics it keeps.
    #[cfg(feature = "semantic")]
    encoder: Option<crate::Encoder>,
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
        self.inner.add(
            reply.id,
            reply.text,
            reply.group,
            reply.time,
            &self.tokens,
            false,
        );
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
                self.inner
                    .add_keys(reply.id, reply.text, reply.group, keys, false);
                self.inner.record_time(reply.time);
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
        self.inner.truncated
    }

    /// The number of replies added so far, the stock corpus included.
    ///
    /// ```
    /// let writer = cannery::IndexBuilder::new().stock_corpus(false).writer();
    /// assert_eq!(writer.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.reply_cluster.len()
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
        self.inner.freeze();
        #[cfg(feature = "semantic")]
        if let Some(encoder) = &self.encoder {
            crate::semantic::finish_build(&mut self.inner, encoder, &self.messages);
        }
        Index {
            inner: Arc::new(self.inner),
        }
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

/// Tokenizes the part of `text` that is indexed: its first [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES)
/// (what [`Inner::add_keys`] keeps of it).
pub(crate) fn tokenize_capped(text: &str, scratch: &mut Scratch, tokens: &mut Vec<Token>) {
    tokenize_into(capped(text).0, scratch, tokens);
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

/// An index of past replies to score new ones against.
///
/// Cheap to clone (an [`Arc`] inside), `Send + Sync`, and deterministic: the same replies in the
/// same order give the same index and the same reports. Build it with [`IndexBuilder`], or take
/// [`Index::stock`] for the built-in corpus alone.
///
/// ```
/// use cannery::{Index, Reply, Context};
/// let mut index = Index::stock();
/// index.insert(Reply::new("t1", "We're sorry for the wait. Please DM us your booking reference."));
/// let report = index.score("We are sorry for the wait! Please DM us your booking reference.",
///                          &Context::new());
/// assert!(report.canned > 0.5);
/// ```
#[derive(Clone)]
pub struct Index {
    pub(crate) inner: Arc<Inner>,
}

impl Default for Index {
    /// The same as [`Index::stock`].
    fn default() -> Self {
        Index::stock()
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("replies", &self.len())
            .field("clusters", &self.inner.clusters.len())
            .field("shingles", &self.inner.shingles.len())
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Index {
    /// An index of the built-in stock corpus alone: a few hundred stock customer-service replies
    /// written for this crate (apologies, requests to DM, e-mail or call, escalations, thanks,
    /// links, holding replies, closings).
    ///
    /// ```
    /// let index = cannery::Index::stock();
    /// assert!(index.len() > 200);
    /// ```
    pub fn stock() -> Index {
        IndexBuilder::new().build([])
    }

    /// A builder, the same as [`IndexBuilder::new`].
    ///
    /// ```
    /// let index = cannery::Index::builder().stock_corpus(false).build([]);
    /// assert_eq!(index.len(), 0);
    /// ```
    pub fn builder() -> IndexBuilder {
        IndexBuilder::new()
    }

    /// The settings the index was built with.
    ///
    /// ```
    /// assert_eq!(cannery::Index::stock().config().ngram, 3);
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The number of replies in the index, stock replies included.
    ///
    /// ```
    /// let index = cannery::Index::builder().stock_corpus(false)
    ///     .build([cannery::Reply::new("1", "Hi")]);
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.reply_cluster.len()
    }

    /// Whether the index holds no reply at all.
    ///
    /// ```
    /// assert!(!cannery::Index::stock().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of distinct replies after slot masking (clusters of identical masked replies).
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let index = Index::builder().stock_corpus(false).build([
    ///     Reply::new("1", "@ann Please DM us. ^JK"),
    ///     Reply::new("2", "@bob Please DM us. -Becky"),
    /// ]);
    /// assert_eq!(index.distinct_len(), 1);
    /// ```
    pub fn distinct_len(&self) -> usize {
        self.inner.clusters.len()
    }

    /// Sets the thresholds of the verdict (see [`IndexBuilder::verdict_thresholds`]: each is
    /// clamped to [0, 1], a NaN leaves it as it was). Set them before sharing the index: if
    /// other clones share its tables, they are copied first.
    ///
    /// ```
    /// use cannery::{Context, Index, Verdict};
    /// let mut index = Index::stock();
    /// let draft = "Thanks for reaching out! We'll look into it.";
    /// assert_eq!(index.score(draft, &Context::new()).verdict, Verdict::Canned);
    /// index.set_verdict_thresholds(1.0, 0.5);
    /// assert_eq!(index.config().canned_at, 1.0);
    /// assert_eq!(index.score(draft, &Context::new()).verdict, Verdict::Personal);
    /// ```
    pub fn set_verdict_thresholds(&mut self, canned_at: f64, personal_at: f64) {
        let config = &self.inner.config;
        let (canned_at, personal_at) = (
            unit_or(canned_at, config.canned_at),
            unit_or(personal_at, config.personal_at),
        );
        if (canned_at, personal_at) != (config.canned_at, config.personal_at) {
            let inner = Arc::make_mut(&mut self.inner);
            (inner.config.canned_at, inner.config.personal_at) = (canned_at, personal_at);
            inner
                .scopes
                .update_each(|scope| scope.set_verdict_thresholds(canned_at, personal_at));
        }
    }

    /// How many replies were longer than [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) when they
    /// were indexed: each was indexed up to its first `MAX_INPUT_BYTES` bytes (cut at a
    /// character boundary), as a report scores a reply.
    ///
    /// ```
    /// use cannery::{Index, Reply, MAX_INPUT_BYTES};
    /// let long = "a few words ".repeat(MAX_INPUT_BYTES / 4);
    /// let index = Index::builder().build([Reply::new("1", "Hi!"), Reply::new("2", &long)]);
    /// assert_eq!(index.truncated(), 1);
    /// ```
    pub fn truncated(&self) -> u64 {
        self.inner.truncated
    }

    /// Whether a reply with this id is in the index.
    ///
    /// ```
    /// assert!(cannery::Index::stock().contains_id("stock:1"));
    /// ```
    pub fn contains_id(&self, id: &str) -> bool {
        self.inner.reply_of_id(id).is_some()
    }

    /// Adds a reply. If other clones share this index's tables, they are copied first, so the
    /// clones keep seeing the index as it was.
    ///
    /// The template families mined so far stay: the reply joins its masked copies' family, or,
    /// if it has none, the family of the first root (most replies first) that the test of mining
    /// accepts it under (or of a similar member that does), or starts a family of its own; the
    /// families' counts, ranks and texts are updated for it. So an insert and the report after
    /// it cost a fraction of a millisecond, not a mining of the whole index (at a million
    /// replies, 20 to 130 µs, against 1.9 s when inserts dropped the families; the first insert
    /// after a load, about 7 ms). A fresh build of the same replies mines them from scratch and may group a few of them otherwise (on 100,000 re-sent
    /// replies, grouping accuracy 0.856 with the last tenth inserted one at a time, 0.833 with the
    /// last half, against 0.861 for mining them all; the README's templates section);
    /// [`remine_templates`](Self::remine_templates) mines afresh.
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let mut index = Index::stock();
    /// let before = index.clone();
    /// index.insert(Reply::new("new", "A reply."));
    /// assert_eq!(index.len(), before.len() + 1);
    /// ```
    pub fn insert(&mut self, reply: Reply<'_>) {
        self.extend(std::iter::once(reply));
    }

    /// Adds many replies (see [`insert`](Self::insert)), reusing buffers between them.
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let mut index = Index::stock();
    /// let n = index.len();
    /// index.extend([Reply::new("a", "One."), Reply::new("b", "Two.")]);
    /// assert_eq!(index.len(), n + 2);
    /// ```
    pub fn extend<'a, I: IntoIterator<Item = Reply<'a>>>(&mut self, replies: I) {
        if self.inner.scopes.is_empty() {
            self.extend_unscoped(replies);
        } else {
            // The scopes built see the replies of their group too.
            let replies: Vec<Reply<'a>> = replies.into_iter().collect();
            self.extend_unscoped(replies.iter().copied());
            self.update_scopes(&replies);
        }
    }

    /// Adds replies to this index alone (not to its scopes).
    fn extend_unscoped<'a, I: IntoIterator<Item = Reply<'a>>>(&mut self, replies: I) {
        let inner = Arc::make_mut(&mut self.inner);
        // The families mined so far, if any, carried over the inserts (adding a reply drops
        // them) and updated after them. Their roots are taken out of them, so that the clusters
        // added extend the roots in place (when no other index shares them).
        let mut families = inner.families.take().map(Arc::unwrap_or_clone);
        let saved_roots = inner.saved_roots.take();
        let roots = match &mut families {
            Some(f) => {
                drop(saved_roots); // the same roots, most often: one holder fewer
                Some(std::mem::take(&mut f.root_of))
            }
            None => saved_roots,
        };
        let (replies_before, clusters_before) = (inner.reply_cluster.len(), inner.clusters.len());
        let mut scratch = Scratch::default();
        let mut tokens = Vec::new();
        #[cfg(feature = "semantic")]
        let mut messages: Vec<String> = Vec::new();
        for reply in replies {
            #[cfg(feature = "semantic")]
            if let (Some(_), Some(_), Some(message)) =
                (&inner.encoder, &inner.semantic, reply.message)
            {
                messages.push(crate::text::capped(message).0.to_string());
            }
            tokenize_capped(reply.text, &mut scratch, &mut tokens);
            inner.add(
                reply.id,
                reply.text,
                reply.group,
                reply.time,
                &tokens,
                false,
            );
        }
        inner.settle();
        // The new replies' vectors and their customer messages', with an encoder attached.
        #[cfg(feature = "semantic")]
        if let Some(encoder) = inner.encoder.clone() {
            crate::semantic::embed_clusters(inner, &encoder, clusters_before);
            let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
            crate::semantic::embed_messages(inner, &encoder, &messages, false);
        }
        let Some(roots) = roots else { return };
        let roots = inner.carry_roots(roots);
        if let Some(families) = families {
            let updated = crate::templates::families_after_inserts(
                inner,
                families,
                roots,
                replies_before,
                clusters_before,
            );
            inner.families = std::sync::OnceLock::from(Arc::new(updated));
        }
    }

    /// Mines the template families again on next use, from scratch, as a fresh build of the same
    /// replies does. (Inserts keep the families mined before them: see [`insert`](Self::insert).)
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let rows = [("1", "Your parcel is with the courier now. ^JK"), ("2", "Your parcel is with the courier now! -Al")];
    /// let mut grown = Index::builder().stock_corpus(false).build([Reply::new(rows[0].0, rows[0].1)]);
    /// grown.templates(1); // mines the families
    /// grown.insert(Reply::new(rows[1].0, rows[1].1));
    /// grown.remine_templates();
    /// let fresh = Index::builder().stock_corpus(false).build(rows.map(|(id, t)| Reply::new(id, t)));
    /// assert_eq!(grown.templates(1), fresh.templates(1));
    /// ```
    pub fn remine_templates(&mut self) {
        let inner = Arc::make_mut(&mut self.inner);
        inner.families = std::sync::OnceLock::new();
        inner.saved_roots = None;
        inner.saved_texts = None;
        inner.scopes.clear();
    }

    /// Merges `other` into this index, as if its replies had been inserted after this index's
    /// own. Indexes of shards built in parallel merge into the index of the whole archive.
    /// The stock corpus is taken once: `other`'s stock replies are skipped.
    ///
    /// Fails with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), changing nothing,
    /// when the two were built with different shingle sizes, one with the stock corpus and the
    /// other without it (their merge would be neither), or with different sentence encoders (or
    /// one with and one without: their vectors would not compare). Vectors and customer
    /// message statistics merge with the replies.
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let shard = |rows: &[(&str, &str)]| Index::builder()
    ///     .build(rows.iter().map(|(id, t)| Reply::new(id, t)));
    /// let mut a = shard(&[("1", "Please DM us.")]);
    /// let b = shard(&[("2", "Please DM us!")]);
    /// a.merge(&b).unwrap();
    /// assert!(a.contains_id("1") && a.contains_id("2"));
    /// assert_eq!(a.len(), Index::stock().len() + 2);
    /// ```
    pub fn merge(&mut self, other: &Index) -> Result<(), crate::Error> {
        if self.inner.config.ngram != other.inner.config.ngram {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!(
                    "cannot merge indexes of {}-grams and {}-grams",
                    self.inner.config.ngram, other.inner.config.ngram
                ),
            ));
        }
        if self.inner.config.stock_corpus != other.inner.config.stock_corpus {
            let with = |yes: bool| if yes { "with" } else { "without" };
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!(
                    "cannot merge an index built {} the stock corpus into one built {} it",
                    with(other.inner.config.stock_corpus),
                    with(self.inner.config.stock_corpus)
                ),
            ));
        }
        if let Some(why) = crate::semantic::store::SemanticStore::mismatch(
            self.inner.semantic.as_ref(),
            other.inner.semantic.as_ref(),
        ) {
            return Err(crate::Error::new(crate::ErrorKind::InvalidInput, why));
        }
        let skip_stock = self.inner.config.stock_corpus;
        let inner = Arc::make_mut(&mut self.inner);
        let o = &other.inner;
        // The shingles of both are counted at once at the end (cheaper than one at a time).
        inner.shingles_pending = true;
        let stock_group = o.group_of_name(STOCK_GROUP);
        for reply in 0..o.reply_cluster.len() {
            let group = o.reply_group[reply];
            let is_stock = group != NO_GROUP && Some(group) == stock_group;
            if skip_stock && is_stock {
                continue;
            }
            let reference = o.is_reference(reply as u32);
            let cluster = o.reply_cluster[reply];
            let group_name = (group != NO_GROUP).then(|| o.groups.get(group as usize));
            let (merged, new) = inner.add_keys(
                o.ids.get(reply),
                o.texts.get(o.reply_cluster[reply] as usize),
                group_name,
                o.cluster_keys(cluster),
                reference,
            );
            inner.record_time(o.time_of(reply as u32));
            if let (true, Some(mine), Some(theirs)) = (new, &mut inner.semantic, &o.semantic) {
                mine.copy(merged as usize, theirs, cluster as usize);
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut inner.semantic, &o.semantic) {
            mine.merge_messages(theirs);
        }
        inner.truncated += o.truncated;
        inner.scopes.clear();
        inner.freeze();
        Ok(())
    }

    /// The ids of the replies in the index, in insertion order.
    ///
    /// ```
    /// let index = cannery::Index::stock();
    /// assert_eq!(index.ids().next(), Some("stock:1"));
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.inner.ids.get(i))
    }
}

// -------------------------------------------------------------------------------------------------
// The tables

pub(crate) const NO_GROUP: u32 = u32::MAX;

/// Strings stored end to end, with offsets: one allocation for millions of ids, and 4 bytes of
/// offset a string however large the arena grows.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct StrArena {
    bytes: String,
    /// The low 32 bits of the end of each string; string `i` starts where string `i - 1` ends
    /// (or at 0).
    ends: Vec<u32>,
    /// The strings whose ends' high bits go up by one (a string is listed once for each 4 GiB
    /// boundary its end passes): the high bits of string `i`'s end count the entries `<= i`.
    wraps: Vec<u32>,
}

impl StrArena {
    pub(crate) fn push(&mut self, s: &str) -> usize {
        self.bytes.push_str(s);
        self.push_end(self.bytes.len() as u64);
        self.ends.len() - 1
    }

    /// Records the end of the next string (at most the text's length, never less than the
    /// last), listing the 4 GiB boundaries it passes.
    pub(crate) fn push_end(&mut self, end: u64) {
        let i = self.ends.len() as u32;
        while (self.wraps.len() as u64) < end >> 32 {
            self.wraps.push(i);
        }
        self.ends.push(end as u32);
    }

    /// The end of string `i`.
    pub(crate) fn end(&self, i: usize) -> u64 {
        let high = if self.wraps.is_empty() {
            0
        } else {
            self.wraps.partition_point(|&w| w as usize <= i) as u64
        };
        high << 32 | u64::from(self.ends[i])
    }

    /// An arena of `bytes` with no string yet, with room for `strings` ends: the loader cuts the
    /// text with [`push_end`](Self::push_end), after checking that the ends increase, fall on
    /// char boundaries and end at `bytes.len()`.
    pub(crate) fn of_text(bytes: String, strings: usize) -> StrArena {
        StrArena {
            bytes,
            ends: Vec::with_capacity(strings),
            wraps: Vec::new(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.end(i - 1) as usize };
        &self.bytes[start..self.end(i) as usize]
    }

    /// All the strings, end to end.
    pub(crate) fn text(&self) -> &str {
        &self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// A cluster: the replies whose masked token sequences are identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cluster {
    /// Replies in the cluster.
    pub(crate) count: u32,
    /// The first and the last reply of the cluster (an example when the first is left out).
    pub(crate) first_reply: u32,
    pub(crate) last_reply: u32,
    /// Where the cluster's token keys start in `Inner::keys`; they end where the next
    /// cluster's start (clusters add their keys in order), the last at the table's end.
    pub(crate) keys_start: u32,
}

/// What the index knows of one word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WordStat {
    /// Replies containing the word.
    pub(crate) replies: u32,
    /// Stock-corpus replies containing the word.
    pub(crate) stock: u32,
    /// One bit per group (by hash, 64 buckets) of the archive replies containing the word: an
    /// estimate of how many brands or agents use it. Replies without a group count as one group.
    pub(crate) groups: u64,
}

impl WordStat {
    /// Estimated number of distinct archive groups using the word (linear counting over the
    /// 64-bucket mask).
    pub(crate) fn group_estimate(&self) -> f64 {
        group_estimate(self.groups)
    }
}

/// Estimated number of distinct groups behind a 64-bucket group mask (linear counting).
pub(crate) fn group_estimate(mask: u64) -> f64 {
    let set = mask.count_ones() as f64;
    if set >= 64.0 {
        return 64.0 * 64f64.ln();
    }
    -64.0 * (1.0 - set / 64.0).ln()
}

/// The index's tables. Everything a report needs is here; `Index` is an `Arc` of it.
#[derive(Clone, Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    // Replies, in insertion order.
    pub(crate) ids: StrArena,
    pub(crate) reply_cluster: Vec<u32>,
    pub(crate) reply_group: Vec<u32>,
    pub(crate) id_lookup: KeyMap,
    // Groups.
    pub(crate) groups: StrArena,
    pub(crate) group_lookup: FxHashMap<u64, u32>,
    // Clusters.
    pub(crate) clusters: Vec<Cluster>,
    /// Whether each cluster was made by a reference reply (the built-in stock corpus, a macro).
    pub(crate) cluster_stock: Vec<bool>,
    pub(crate) cluster_lookup: KeyMap,
    pub(crate) keys: Vec<u32>,
    /// The text of each cluster's first reply, as sent.
    pub(crate) texts: StrArena,
    // Shingles.
    pub(crate) shingles: ShingleTable,
    // Words.
    pub(crate) words: FxHashMap<u32, WordStat>,
    /// Template families, derived on first use (mined, or counted from `saved_roots`) and
    /// dropped on every change.
    pub(crate) families: std::sync::OnceLock<Arc<crate::templates::Families>>,
    /// The family roots from which `families` is derived without mining: read from a saved
    /// index, or carried over inserts (`Index::extend`); dropped on every other change.
    pub(crate) saved_roots: Option<Arc<Vec<u32>>>,
    /// The template texts read from a saved index with its roots (by template id - 1), so that
    /// no report renders one; dropped on every change.
    pub(crate) saved_texts: Option<Arc<StrArena>>,
    /// The union of the group bits of all archive replies (how many group buckets are in use).
    pub(crate) group_bits: u64,
    /// Replies of the stock corpus.
    pub(crate) stock_replies: u32,
    /// When each reply was sent (`NO_TIME` when unknown); empty while no reply has a time.
    pub(crate) times: Vec<i64>,
    /// Whether the shingles of the replies added are left uncounted until the next freeze,
    /// which counts them all at once (a writer's build, a merge).
    pub(crate) shingles_pending: bool,
    /// Replies longer than `MAX_INPUT_BYTES`, indexed up to that many bytes.
    pub(crate) truncated: u64,
    /// The tenant scopes built so far (see [`Index::scope`]).
    pub(crate) scopes: crate::scope::Scopes,
    /// The vectors of the clusters and the customer messages' statistics, when the index was
    /// built with a sentence encoder (a slot for every cluster).
    pub(crate) semantic: Option<crate::semantic::store::SemanticStore>,
    /// The sentence encoder attached, which reports embed the draft and its message with.
    #[cfg(feature = "semantic")]
    pub(crate) encoder: Option<crate::Encoder>,
}

/// The groups of the reference replies (the stock corpus, imported macros) of an index;
/// `NO_GROUP` for those it has no reply of.
#[derive(Clone, Copy)]
pub(crate) struct ReferenceGroups([u32; 2]);

impl ReferenceGroups {
    /// Whether a reply of `group` is a reference reply.
    pub(crate) fn contains(self, group: u32) -> bool {
        group != NO_GROUP && self.0.contains(&group)
    }
}

/// The time of a reply sent at an unknown time.
pub(crate) const NO_TIME: i64 = i64::MIN;

pub(crate) fn str_key(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

impl Inner {
    pub(crate) fn new(config: Config) -> Self {
        Inner {
            config,
            ids: StrArena::default(),
            reply_cluster: Vec::new(),
            reply_group: Vec::new(),
            id_lookup: KeyMap::default(),
            groups: StrArena::default(),
            group_lookup: FxHashMap::default(),
            clusters: Vec::new(),
            cluster_stock: Vec::new(),
            cluster_lookup: KeyMap::default(),
            keys: Vec::new(),
            texts: StrArena::default(),
            shingles: ShingleTable::default(),
            words: FxHashMap::default(),
            families: std::sync::OnceLock::new(),
            saved_roots: None,
            saved_texts: None,
            group_bits: 0,
            stock_replies: 0,
            times: Vec::new(),
            shingles_pending: false,
            truncated: 0,
            scopes: Default::default(),
            semantic: None,
            #[cfg(feature = "semantic")]
            encoder: None,
        }
    }

    /// Sorts the shingle table and the id and cluster lookups (the end of a build, a merge or a
    /// load): lookups answer the same before and after.
    pub(crate) fn freeze(&mut self) {
        if self.shingles_pending {
            self.count_shingles();
        }
        self.shingles.freeze();
        self.id_lookup.freeze();
        self.cluster_lookup.freeze();
    }

    /// Counts the shingles of every cluster afresh, all at once (see
    /// [`ShingleTable::of_clusters`]), and leaves none pending.
    fn count_shingles(&mut self) {
        let ngram = self.config.ngram;
        self.shingles = ShingleTable::of_clusters(
            self.clusters.len(),
            |c, out| distinct_shingles_of_keys(self.cluster_keys(c), ngram, out),
            |c| self.clusters[c as usize].count,
            |c| self.cluster_stock[c as usize],
            self.config.max_postings,
        );
        self.shingles_pending = false;
    }

    /// Keeps the family roots mined before some inserts: the clusters the inserts added join a
    /// family each (`claim_root`), in order.
    fn carry_roots(&mut self, mut roots: Arc<Vec<u32>>) -> Arc<Vec<u32>> {
        if roots.len() < self.clusters.len() {
            let extended = Arc::make_mut(&mut roots);
            for cluster in extended.len() as u32..self.clusters.len() as u32 {
                let root = crate::templates::claim_root(self, extended, cluster);
                extended.push(root);
            }
        }
        debug_assert!(crate::templates::valid_roots(&roots, self.clusters.len()));
        self.saved_roots = Some(roots.clone());
        roots
    }

    /// Freezes what the inserts since the last freeze have outgrown (after an insert).
    pub(crate) fn settle(&mut self) {
        self.shingles.settle();
        self.id_lookup.settle();
        self.cluster_lookup.settle();
    }

    /// The token keys of cluster `c`.
    pub(crate) fn cluster_keys(&self, c: u32) -> &[u32] {
        let c = c as usize;
        let start = self.clusters[c].keys_start as usize;
        let end = self
            .clusters
            .get(c + 1)
            .map_or(self.keys.len(), |next| next.keys_start as usize);
        &self.keys[start..end]
    }

    /// The first reply with this id.
    pub(crate) fn reply_of_id(&self, id: &str) -> Option<u32> {
        let reply = self.id_lookup.get(str_key(id))?;
        (self.ids.get(reply as usize) == id).then_some(reply)
    }

    /// Whether a reply is a reference reply (the stock corpus or an imported macro), not a
    /// reply the brand sent.
    pub(crate) fn is_reference(&self, reply: u32) -> bool {
        self.reference_groups()
            .contains(self.reply_group[reply as usize])
    }

    /// The groups of the reference replies, looked up by name once for a pass over many replies.
    pub(crate) fn reference_groups(&self) -> ReferenceGroups {
        ReferenceGroups(
            [STOCK_GROUP, crate::macros::MACRO_GROUP]
                .map(|name| self.group_of_name(name).unwrap_or(NO_GROUP)),
        )
    }

    pub(crate) fn group_of_name(&self, name: &str) -> Option<u32> {
        let &g = self.group_lookup.get(&str_key(name))?;
        (self.groups.get(g as usize) == name).then_some(g)
    }

    /// The reference clusters (stock corpus, macros) and the sum of the archive replies'
    /// vectors, of an index with a sentence encoder's vectors (empty without).
    #[cfg_attr(not(feature = "semantic"), allow(dead_code))]
    pub(crate) fn semantic_clusters(&self) -> (&[u32], &[f64]) {
        let Some(store) = &self.semantic else {
            return (&[], &[]);
        };
        let (references, sum) = store.derived_clusters(|store| {
            let mut references = Vec::new();
            let mut sum = vec![0.0; store.dimensions];
            for (c, cluster) in self.clusters.iter().enumerate() {
                if self.cluster_stock[c] {
                    references.push(c as u32);
                } else if !store.is_missing(c) {
                    store.accumulate(c, f64::from(cluster.count), &mut sum);
                }
            }
            (references, sum)
        });
        (references, sum)
    }

    /// The shingle records of many hashes, in their order (see [`ShingleTable::get_many`]).
    pub(crate) fn shingles_of(&self, hashes: &[u64], out: &mut Vec<Option<ShingleStat>>) {
        self.shingles.get_many(hashes, out);
    }

    /// What the index knows of a word key (all zero for an unseen word).
    pub(crate) fn word(&self, key: u32) -> WordStat {
        self.words.get(&key).copied().unwrap_or_default()
    }

    /// The clusters listed for a shingle: the first, then the capped list of the others.
    #[inline]
    pub(crate) fn postings_of<'s>(&'s self, stat: &ShingleStat) -> impl Iterator<Item = u32> + 's {
        self.shingles.postings_of(stat)
    }

    fn add(
        &mut self,
        id: &str,
        text: &str,
        group: Option<&str>,
        time: Option<i64>,
        tokens: &[Token],
        stock: bool,
    ) {
        let keys: Vec<u32> = tokens.iter().map(Token::key).collect();
        self.add_keys(id, text, group, &keys, stock);
        self.record_time(time);
    }

    /// Records the time of the reply just added (every add is followed by one call).
    pub(crate) fn record_time(&mut self, time: Option<i64>) {
        let replies = self.reply_cluster.len();
        match (time, self.times.is_empty()) {
            (None, true) => {}
            (Some(t), true) => {
                self.times.resize(replies - 1, NO_TIME);
                self.times.push(t);
            }
            (t, false) => self.times.push(t.unwrap_or(NO_TIME)),
        }
    }

    /// When a reply was sent, if known.
    pub(crate) fn time_of(&self, reply: u32) -> Option<i64> {
        self.times
            .get(reply as usize)
            .copied()
            .filter(|&t| t != NO_TIME)
    }

    /// Adds one reply given its token keys; returns its cluster and whether the reply started
    /// it.
    pub(crate) fn add_keys(
        &mut self,
        id: &str,
        text: &str,
        group: Option<&str>,
        keys: &[u32],
        stock: bool,
    ) -> (u32, bool) {
        let reply = self.reply_cluster.len() as u32;
        // The text as indexed (its keys are those of this part: `tokenize_capped`).
        let (text, cut) = capped(text);
        self.truncated += u64::from(cut);
        self.families = std::sync::OnceLock::new();
        self.saved_roots = None;
        self.saved_texts = None;
        // Group.
        let group = match group {
            None => NO_GROUP,
            Some(name) => match self.group_of_name(name) {
                Some(g) => g,
                None => {
                    let g = self.groups.push(name) as u32;
                    self.group_lookup.entry(str_key(name)).or_insert(g);
                    g
                }
            },
        };
        // Cluster.
        let seq = sequence_key(keys);
        let (cluster, new_cluster) = match self.cluster_lookup.get(seq) {
            Some(c) => (c, false),
            None => {
                let c = self.clusters.len() as u32;
                self.clusters.push(Cluster {
                    count: 0,
                    first_reply: reply,
                    last_reply: reply,
                    keys_start: self.keys.len() as u32,
                });
                self.cluster_stock.push(stock);
                self.keys.extend_from_slice(keys);
                self.texts.push(text);
                self.cluster_lookup.insert_first(seq, c);
                if let Some(semantic) = &mut self.semantic {
                    // Its vector, if an encoder is attached, is set by the caller.
                    semantic.push(None);
                }
                (c, true)
            }
        };
        {
            let c = &mut self.clusters[cluster as usize];
            c.count += 1;
            c.last_reply = reply;
        }
        if let Some(semantic) = &mut self.semantic {
            semantic.touch();
        }
        // Reply.
        self.ids.push(id);
        self.id_lookup.insert_first(str_key(id), reply);
        self.reply_cluster.push(cluster);
        self.reply_group.push(group);
        if stock {
            self.stock_replies += 1;
        }
        // Shingles, unless they are counted all at once at the next freeze.
        if !self.shingles_pending {
            let mut hashes = Vec::with_capacity(keys.len());
            distinct_shingles_of_keys(keys, self.config.ngram, &mut hashes);
            let max_postings = self.config.max_postings;
            for h in hashes {
                self.shingles
                    .count(h, cluster, new_cluster, stock, max_postings);
            }
        }
        // Words.
        let group_bit = if stock {
            0
        } else {
            let name = if group == NO_GROUP {
                ""
            } else {
                self.groups.get(group as usize)
            };
            1u64 << (str_key(name) % 64)
        };
        self.group_bits |= group_bit;
        let mut words: Vec<u32> = keys.iter().copied().filter(|k| !is_slot_key(*k)).collect();
        words.sort_unstable();
        words.dedup();
        for w in words {
            let stat = self.words.entry(w).or_default();
            stat.replies += 1;
            stat.stock += u32::from(stock);
            stat.groups |= group_bit;
        }
        (cluster, new_cluster)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_offsets_past_4_gib_keep_their_high_bits() {
        // Offsets only (no 4 GiB of text): ends that cross one, then two boundaries at once.
        let ends = [10, 1 << 32, (1 << 32) + 5, (3 << 32) + 7, (3 << 32) + 7];
        let mut arena = StrArena::of_text(String::new(), ends.len());
        for end in ends {
            arena.push_end(end);
        }
        for (i, &end) in ends.iter().enumerate() {
            assert_eq!(arena.end(i), end, "string {i}");
        }
        let mut small = StrArena::default();
        for s in ["", "ab", "é", ""] {
            small.push(s);
        }
        assert_eq!(
            (0..4).map(|i| small.get(i)).collect::<Vec<_>>(),
            ["", "ab", "é", ""]
        );
    }

    fn archive(rows: &[(&str, &str)]) -> Index {
        Index::builder()
            .stock_corpus(false)
            .build(rows.iter().map(|(id, t)| Reply::new(id, t)))
    }

    #[test]
    fn clusters_collapse_masked_copies() {
        let index = archive(&[
            ("1", "@ann Please DM us your order number 123. ^JK"),
            ("2", "@bob please DM us your order number 99! -Becky"),
            ("3", "Something else entirely."),
        ]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.distinct_len(), 2);
        assert_eq!(index.inner.clusters[0].count, 2);
    }

    #[test]
    fn merge_equals_sequential_build() {
        let rows = [
            ("1", "Please DM us your order number."),
            ("2", "Please DM us your order number."),
            ("3", "We're sorry to hear that."),
            ("4", "Sorry to hear that, please DM us."),
            ("5", "We're sorry to hear that."),
        ];
        let whole = Index::builder().build(rows.iter().map(|(i, t)| Reply::new(i, t)));
        let mut a = Index::builder().build(rows[..2].iter().map(|(i, t)| Reply::new(i, t)));
        let b = Index::builder().build(rows[2..].iter().map(|(i, t)| Reply::new(i, t)));
        a.merge(&b).unwrap();
        assert_eq!(a.inner.ids, whole.inner.ids);
        assert_eq!(a.inner.clusters, whole.inner.clusters);
        assert_eq!(a.inner.shingles, whole.inner.shingles);
        assert_eq!(a.inner.words, whole.inner.words);
    }

    #[test]
    fn a_build_counts_shingles_as_inserts_do() {
        // A build (and a merge) counts shingles all at once; inserts count them one reply at a
        // time. Both give the same table, posting lists numbered alike, at any list cap.
        let texts = [
            "Please DM us your order number.",
            "We're sorry to hear that.",
            "Please DM us your order number!",
            "Sorry to hear that, please DM us your order number.",
            "We're sorry to hear that. Please DM us.",
            "Thanks, we're sorry to hear that. Please DM us your order number.",
        ];
        let rows: Vec<(String, &str)> = (0..60)
            .map(|i| (i.to_string(), texts[(i * 7 + i / 6) % texts.len()]))
            .collect();
        let replies = || rows.iter().map(|(i, t)| Reply::new(i, t));
        for cap in [1, 2, 3, 64] {
            let built = Index::builder().max_postings(cap).build(replies());
            let mut inserted = Index::builder().max_postings(cap).build([]);
            for reply in replies() {
                inserted.insert(reply);
            }
            Arc::make_mut(&mut inserted.inner).freeze();
            assert!(!built.inner.shingles_pending);
            assert_eq!(built.inner.shingles, inserted.inner.shingles, "cap {cap}");
            assert_eq!(built.to_bytes(), inserted.to_bytes(), "cap {cap}");
        }
    }

    #[test]
    fn merge_rejects_other_ngram_and_stock_corpus() {
        let mut a = Index::builder().ngram(3).build([]);
        let b = Index::builder().ngram(2).build([]);
        assert_eq!(
            a.merge(&b).unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
        let mut bare = Index::builder()
            .stock_corpus(false)
            .build([Reply::new("1", "Hi")]);
        let before = bare.to_bytes();
        let err = bare.merge(&Index::stock()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("stock corpus"), "{err}");
        assert_eq!(bare.to_bytes(), before, "a refused merge changes nothing");
        assert!(Index::stock().merge(&bare).is_err());
    }

    #[test]
    fn postings_are_capped_but_counts_exact() {
        let letters = |i: usize| {
            format!(
                "{}{}",
                (b'a' + (i % 26) as u8) as char,
                (b'a' + (i / 26) as u8) as char
            )
        };
        let texts: Vec<String> = (0..50)
            .map(|i| format!("please dm us word{}", letters(i)))
            .collect();
        let index = Index::builder().stock_corpus(false).max_postings(10).build(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| Reply::new(["a", "b"][i % 2], t)),
        );
        let mut hashes = Vec::new();
        crate::text::shingles::shingles_of_keys(&index.inner.cluster_keys(0)[..3], 3, &mut hashes);
        let stat = index.inner.shingles.get(hashes[0]).unwrap();
        assert_eq!(stat.replies, 50);
        assert_eq!(stat.clusters, 50);
        assert_eq!(index.inner.postings_of(&stat).count(), 10);
    }

    #[test]
    fn insert_is_copy_on_write() {
        let a = Index::stock();
        let mut b = a.clone();
        b.insert(Reply::new("x", "hello there"));
        assert_eq!(b.len(), a.len() + 1);
        assert!(!a.contains_id("x"));
        assert!(b.contains_id("x"));
    }
}
