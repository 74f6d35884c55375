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

use crate::config::unit_or;
pub use crate::config::Config;
use crate::stock::STOCK_REPLIES;
pub use crate::store::STOCK_GROUP;
use crate::store::{Corpus, NewReply, NO_GROUP};
use crate::templates::macros::MacroReply;
use crate::templates::{Families, FamilyCache, Template};
use crate::text::{capped, tokenize_into, Scratch, Token};

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
        // A build counts its shingles once, in `finish`.
        let inner = Inner::new(Corpus::for_build(self.config.clone()));
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
        self.inner.corpus.truncated()
    }

    /// The number of replies added so far, the stock corpus included.
    ///
    /// ```
    /// let writer = cannery::IndexBuilder::new().stock_corpus(false).writer();
    /// assert_eq!(writer.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.corpus.len()
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
        self.inner.corpus.freeze();
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
/// (what the store keeps of it).
pub(crate) fn tokenize_capped(text: &str, scratch: &mut Scratch, tokens: &mut Vec<Token>) {
    tokenize_into(capped(text).0, scratch, tokens);
}

impl<'a> NewReply<'a> {
    /// A reply with its token keys, as the store takes it (not a reference reply).
    fn of(reply: &Reply<'a>, keys: &'a [u32]) -> NewReply<'a> {
        NewReply {
            id: reply.id,
            text: reply.text,
            group: reply.group,
            time: reply.time,
            keys,
            reference: false,
        }
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
            .field("clusters", &self.inner.corpus.cluster_count())
            .field("shingles", &self.inner.corpus.shingle_count())
            .field("config", self.inner.corpus.config())
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
        self.inner.corpus.config()
    }

    /// The number of replies in the index, stock replies included.
    ///
    /// ```
    /// let index = cannery::Index::builder().stock_corpus(false)
    ///     .build([cannery::Reply::new("1", "Hi")]);
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.corpus.len()
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
        self.inner.corpus.cluster_count()
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
        let config = self.inner.corpus.config();
        let (canned_at, personal_at) = (
            unit_or(canned_at, config.canned_at),
            unit_or(personal_at, config.personal_at),
        );
        if (canned_at, personal_at) != (config.canned_at, config.personal_at) {
            let inner = Arc::make_mut(&mut self.inner);
            inner.corpus.set_thresholds(canned_at, personal_at);
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
        self.inner.corpus.truncated()
    }

    /// Whether a reply with this id is in the index.
    ///
    /// ```
    /// assert!(cannery::Index::stock().contains_id("stock:1"));
    /// ```
    pub fn contains_id(&self, id: &str) -> bool {
        self.inner.corpus.reply_of_id(id).is_some()
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
        // The families mined so far, if any, carried over the inserts and updated after them.
        let carried = inner.templates.begin_inserts(&inner.corpus);
        #[cfg(feature = "semantic")]
        let clusters_before = inner.corpus.cluster_count();
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
            let keys: Vec<u32> = tokens.iter().map(Token::key).collect();
            inner.add(NewReply::of(&reply, &keys));
        }
        inner.corpus.settle();
        // The new replies' vectors and their customer messages', with an encoder attached.
        #[cfg(feature = "semantic")]
        if let Some(encoder) = inner.encoder.clone() {
            crate::semantic::embed_clusters(inner, &encoder, clusters_before);
            let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
            crate::semantic::embed_messages(inner, &encoder, &messages, false);
        }
        inner.templates.end_inserts(&inner.corpus, carried);
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
        inner.templates.clear();
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
        let (mine, theirs) = (self.inner.corpus.config(), other.inner.corpus.config());
        if mine.ngram != theirs.ngram {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!(
                    "cannot merge indexes of {}-grams and {}-grams",
                    mine.ngram, theirs.ngram
                ),
            ));
        }
        if mine.stock_corpus != theirs.stock_corpus {
            let with = |yes: bool| if yes { "with" } else { "without" };
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!(
                    "cannot merge an index built {} the stock corpus into one built {} it",
                    with(theirs.stock_corpus),
                    with(mine.stock_corpus)
                ),
            ));
        }
        if let Some(why) = crate::semantic::store::SemanticStore::mismatch(
            self.inner.semantic.as_ref(),
            other.inner.semantic.as_ref(),
        ) {
            return Err(crate::Error::new(crate::ErrorKind::InvalidInput, why));
        }
        let skip_stock = mine.stock_corpus;
        let inner = Arc::make_mut(&mut self.inner);
        let o = &other.inner;
        // The shingles of both are counted at once at the end (cheaper than one at a time).
        inner.corpus.defer_shingles();
        let stock_group = o.corpus.group_of_name(STOCK_GROUP);
        let references = o.corpus.reference_groups();
        for reply in 0..o.corpus.len() as u32 {
            let group = o.corpus.reply_groups()[reply as usize];
            if skip_stock && group != NO_GROUP && Some(group) == stock_group {
                continue;
            }
            let (merged, new) = inner.add(o.corpus.stored_reply(reply, references));
            if let (true, Some(mine), Some(theirs)) = (new, &mut inner.semantic, &o.semantic) {
                let cluster = o.corpus.reply_clusters()[reply as usize];
                mine.copy(merged as usize, theirs, cluster as usize);
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut inner.semantic, &o.semantic) {
            mine.merge_messages(theirs);
        }
        inner.corpus.add_truncated(o.corpus.truncated());
        inner.scopes.clear();
        inner.corpus.freeze();
        Ok(())
    }

    /// The ids of the replies in the index, in insertion order.
    ///
    /// ```
    /// let index = cannery::Index::stock();
    /// assert_eq!(index.ids().next(), Some("stock:1"));
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(move |i| self.inner.corpus.id(i))
    }

    /// The id of the template each reply instantiates, in insertion order (the order of
    /// [`Index::ids`]): the template's `id` in [`templates`](Self::templates) with the same
    /// `min_support`, or `None` for stock replies and replies of rarer families.
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let index = Index::builder().stock_corpus(false).build([
    ///     Reply::new("a", "@1 Your order ships today. ^JK"),
    ///     Reply::new("b", "Our Leeds store reopens on Monday."),
    ///     Reply::new("c", "@2 Your order ships today! -Al"),
    /// ]);
    /// assert_eq!(index.template_ids(2), [Some(1), None, Some(1)]);
    /// ```
    pub fn template_ids(&self, min_support: u32) -> Vec<Option<usize>> {
        crate::templates::reply_template_ids(
            &self.inner.corpus,
            &self.inner.families(),
            min_support,
        )
    }

    /// The templates of the index: families of near-identical replies used by at least
    /// `min_support` replies (stock replies not counted), most used first. Deterministic: the
    /// same index always gives the same templates in the same order.
    ///
    /// ```
    /// use cannery::{Index, Reply};
    /// let index = Index::builder().stock_corpus(false).build([
    ///     Reply::new("1", "@a Sorry for the wait, your order 123 ships today. ^JK").group("Acme"),
    ///     Reply::new("2", "@b Sorry for the wait, your order 456 ships today. -Al").group("Acme"),
    ///     Reply::new("3", "@c Sorry for the long wait, your order 789 ships today. *SR").group("Zed"),
    /// ]);
    /// let t = &index.templates(2)[0];
    /// assert_eq!(t.count, 3);
    /// assert_eq!(t.variants, 2);
    /// assert_eq!(t.groups, [("Acme".to_string(), 2), ("Zed".to_string(), 1)]);
    /// assert_eq!(t.text, "<user> Sorry for the <*> wait, your order <num> ships today. ^<sig>");
    /// ```
    pub fn templates(&self, min_support: u32) -> Vec<Template> {
        crate::templates::templates(&self.inner.corpus, &self.inner.families(), min_support)
    }

    /// Adds a helpdesk macro (a canned reply) as a known template. `name` is its title (the
    /// reply id is `macro:` and the title); `text` may be HTML, which is stripped, and its
    /// `{{placeholders}}` become slots.
    ///
    /// ```
    /// let mut index = cannery::Index::stock();
    /// index.add_macro("Ask for order", "Could you send us your order number ({{ticket.id}})?");
    /// assert!(index.contains_id("macro:Ask for order"));
    /// ```
    pub fn add_macro(&mut self, name: &str, text: &str) {
        let reply = MacroReply::new(name, text);
        let inner = Arc::make_mut(&mut self.inner);
        inner.add(reply.as_new_reply());
        inner.corpus.settle();
        // Every scope holds the macros.
        inner
            .scopes
            .update_each(|scope| scope.add_macro(name, text));
    }
}

// -------------------------------------------------------------------------------------------------
// The state

/// The state of an index: its corpus store, the template families derived from it, its tenant
/// scopes and its sentence encoder's vectors. `Index` is an `Arc` of it.
#[derive(Clone, Debug)]
pub(crate) struct Inner {
    pub(crate) corpus: Corpus,
    /// The template families, derived from the corpus on first use and carried over inserts.
    pub(crate) templates: FamilyCache,
    /// The tenant scopes built so far (see [`Index::scope`]).
    pub(crate) scopes: crate::scope::Scopes,
    /// The vectors of the clusters and the customer messages' statistics, when the index was
    /// built with a sentence encoder (a slot for every cluster).
    pub(crate) semantic: Option<crate::semantic::store::SemanticStore>,
    /// The sentence encoder attached, which reports embed the draft and its message with.
    #[cfg(feature = "semantic")]
    pub(crate) encoder: Option<crate::Encoder>,
}

impl Inner {
    pub(crate) fn new(corpus: Corpus) -> Self {
        Inner {
            corpus,
            templates: FamilyCache::default(),
            scopes: Default::default(),
            semantic: None,
            #[cfg(feature = "semantic")]
            encoder: None,
        }
    }

    /// Adds one reply to the corpus: the one path every writer takes. The families mined so far
    /// are dropped (an insert carries them itself: [`FamilyCache::begin_inserts`]), and a cluster it starts
    /// gets a slot in the semantic store (its vector is set by the caller, if an encoder is
    /// attached).
    pub(crate) fn add(&mut self, reply: NewReply<'_>) -> (u32, bool) {
        self.templates.clear();
        let (cluster, new) = self.corpus.add(reply);
        if let Some(semantic) = &mut self.semantic {
            if new {
                semantic.push(None);
            }
            semantic.touch();
        }
        (cluster, new)
    }

    /// The template families of the corpus, derived now if they were not yet.
    pub(crate) fn families(&self) -> Arc<Families> {
        self.templates.get(&self.corpus)
    }

    /// The reference clusters (stock corpus, macros) and the sum of the archive replies'
    /// vectors, of an index with a sentence encoder's vectors (empty without).
    #[cfg_attr(not(feature = "semantic"), allow(dead_code))]
    pub(crate) fn semantic_clusters(&self) -> (&[u32], &[f64]) {
        let Some(store) = &self.semantic else {
            return (&[], &[]);
        };
        let corpus = &self.corpus;
        let (references, sum) = store.derived_clusters(|store| {
            let mut references = Vec::new();
            let mut sum = vec![0.0; store.dimensions];
            for (c, cluster) in corpus.clusters().iter().enumerate() {
                if corpus.is_reference_cluster(c as u32) {
                    references.push(c as u32);
                } else if !store.is_missing(c) {
                    store.accumulate(c, f64::from(cluster.count), &mut sum);
                }
            }
            (references, sum)
        });
        (references, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(index.inner.corpus.clusters()[0].count, 2);
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
        let (a, whole) = (&a.inner.corpus, &whole.inner.corpus);
        assert_eq!(a.len(), whole.len());
        for reply in 0..a.len() as u32 {
            assert_eq!(a.id(reply), whole.id(reply));
        }
        assert_eq!(a.reply_clusters(), whole.reply_clusters());
        assert_eq!(a.clusters(), whole.clusters());
        assert_eq!(a.shingle_count(), whole.shingle_count());
        for key in 0..4 {
            assert_eq!(a.word(key), whole.word(key));
        }
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
        let corpus = &index.inner.corpus;
        crate::text::shingles::shingles_of_keys(&corpus.cluster_keys(0)[..3], 3, &mut hashes);
        let mut stats = Vec::new();
        corpus.shingles_of(&hashes[..1], &mut stats);
        let stat = stats[0].unwrap();
        assert_eq!(stat.replies, 50);
        assert_eq!(stat.clusters, 50);
        assert_eq!(corpus.postings_of(&stat).count(), 10);
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
