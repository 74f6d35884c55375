//! Scoring: measure a reply against an index and turn the measurements into the `canned` and
//! `personalisation` scores, the verdict, the boilerplate spans and the nearest replies.
//!
//! # How a reply is scored
//!
//! The reply is tokenized and shingled like the corpus. For each token the scorer finds the
//! most common corpus phrase (shingle) covering it; runs of tokens inside phrases shared by at
//! least `min_support` replies, or inside stock phrases, are the boilerplate spans. The
//! [`Signals`] measured along the way (boilerplate and stock coverage, commonness and novelty of
//! the words, echo of the customer's message, similarity of the nearest past reply, exact copies,
//! whether the customer is named) feed two logistic models whose weights were fitted on
//! hand-labelled replies (see the README's quality table for how they were measured).
//!
//! Scores are deterministic and always finite, in [0, 1].

use std::cmp::Reverse;

use crate::index::{group_estimate, Index, Inner, ShingleStat};
use crate::normalize::{
    capped, floor_char_boundary, tokenize_into, Scratch, Slot, Token, TokenKind,
};
use crate::report::{Neighbour, OffsetConverter, Report, Signals, Span};
use crate::shingle::{sequence_key, shingle_count, shingle_window, shingles_of_keys};

/// The most bytes of a customer's name that are read.
const MAX_NAME_BYTES: usize = 256;

/// How many candidate clusters are verified by edit distance for the nearest replies.
const CANDIDATES: usize = 8;

/// What the scorer knows of the reply: the customer's message it answers, their name, and the
/// group (brand, tenant) whose replies it is scored against.
///
/// ```
/// use cannery::Context;
/// let ctx = Context::new().message("My flight to Rome was cancelled").name("Maria").group("Delta");
/// assert_eq!(ctx.customer_name, Some("Maria"));
/// assert_eq!(ctx.group, Some("Delta"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context<'a> {
    /// The customer's message that the reply answers (its first [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) are read).
    pub customer_message: Option<&'a str>,
    /// The customer's name (its first 256 bytes are read; its first word is matched).
    pub customer_name: Option<&'a str>,
    /// The group (brand, tenant) the reply is scored for: when set, the report uses that
    /// group's replies and the reference replies (stock corpus, macros) alone, and never shows
    /// another group's text or ids (see [`Index::scope`]). `None` scores against the whole
    /// index.
    pub group: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// An empty context.
    ///
    /// ```
    /// assert!(cannery::Context::new().customer_message.is_none());
    /// ```
    pub fn new() -> Self {
        Context::default()
    }

    /// The same context with the customer's message.
    ///
    /// ```
    /// let ctx = cannery::Context::new().message("Where is my parcel?");
    /// assert!(ctx.customer_message.is_some());
    /// ```
    pub fn message(mut self, message: &'a str) -> Self {
        self.customer_message = Some(message);
        self
    }

    /// The same context with the customer's name.
    ///
    /// ```
    /// let ctx = cannery::Context::new().name("Tina");
    /// assert_eq!(ctx.customer_name, Some("Tina"));
    /// ```
    pub fn name(mut self, name: &'a str) -> Self {
        self.customer_name = Some(name);
        self
    }

    /// The same context, scoped to `group`: the reply is scored against that group's replies
    /// and the reference replies alone (see [`Index::scope`]).
    ///
    /// ```
    /// use cannery::{Context, Index, Reply};
    /// let index = Index::builder().build([
    ///     Reply::new("g1", "Your Globex router needs the 4.2 firmware update.").group("Globex"),
    /// ]);
    /// let draft = "Your Globex router needs the 4.2 firmware update.";
    /// assert_eq!(index.score(draft, &Context::new()).nearest[0].id, "g1");
    /// assert!(index.score(draft, &Context::new().group("Acme")).nearest.iter().all(|n| n.id != "g1"));
    /// ```
    pub fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }
}

impl Index {
    /// Scores `reply` against the whole index.
    ///
    /// ```
    /// use cannery::{Index, Context, Verdict};
    /// let index = Index::stock();
    /// let canned = index.score("Thanks for reaching out! Please DM us so we can help.", &Context::new());
    /// let personal = index.score(
    ///     "The 7:40 to Leeds was held at Doncaster by a signal fault; it is running 20 minutes late.",
    ///     &Context::new().message("Why is the 7:40 to Leeds not moving?"));
    /// assert!(canned.canned > personal.canned);
    /// assert!(personal.personalisation > canned.personalisation);
    /// ```
    pub fn score(&self, reply: &str, context: &Context<'_>) -> Report {
        if let Some(group) = context.group {
            return self.scope(Some(group)).score(reply, &unscoped(context));
        }
        Scorer::new(&self.inner).score(reply, context, None)
    }

    /// Scores `reply` leave-one-out: as if the corpus reply with id `exclude_id` (the first with
    /// that id) were not in the index. This is how a corpus member is scored for research: it
    /// never matches itself. An id the index does not hold leaves nothing out.
    ///
    /// ```
    /// use cannery::{Index, Reply, Context};
    /// let index = Index::builder().stock_corpus(false).build([
    ///     Reply::new("a", "Our store on King Street reopens on Monday after the flood."),
    /// ]);
    /// let text = "Our store on King Street reopens on Monday after the flood.";
    /// assert_eq!(index.score(text, &Context::new()).signals.copies, 1);
    /// let alone = index.score_excluding(text, &Context::new(), "a");
    /// assert_eq!(alone.signals.copies, 0);
    /// assert!(alone.nearest.is_empty());
    /// ```
    pub fn score_excluding(&self, reply: &str, context: &Context<'_>, exclude_id: &str) -> Report {
        if let Some(group) = context.group {
            let scope = self.scope(Some(group));
            return scope.score_excluding(reply, &unscoped(context), exclude_id);
        }
        let exclude = self.inner.reply_of_id(exclude_id);
        Scorer::new(&self.inner).score(reply, context, exclude)
    }

    /// Scores many replies, reusing buffers between them; each item is the reply, its context
    /// and optionally the id of a corpus reply to leave out. Reports come back in input order.
    ///
    /// ```
    /// use cannery::{Index, Context};
    /// let index = Index::stock();
    /// let items = [("Thanks!", Context::new(), None), ("Got it.", Context::new(), None)];
    /// let reports = index.score_batch(items);
    /// assert_eq!(reports.len(), 2);
    /// ```
    pub fn score_batch<'a, I>(&self, items: I) -> Vec<Report>
    where
        I: IntoIterator<Item = (&'a str, Context<'a>, Option<&'a str>)>,
    {
        let mut scorer = Scorer::new(&self.inner);
        items
            .into_iter()
            .map(|(reply, ctx, exclude)| match (ctx.group, exclude) {
                (Some(_), Some(id)) => self.score_excluding(reply, &ctx, id),
                (Some(_), None) => self.score(reply, &ctx),
                (None, _) => {
                    let exclude = exclude.and_then(|id| self.inner.reply_of_id(id));
                    scorer.score(reply, &ctx, exclude)
                }
            })
            .collect()
    }
}

/// `context` without its group (for the scope that stands for the group).
fn unscoped<'a>(context: &Context<'a>) -> Context<'a> {
    Context {
        group: None,
        ..*context
    }
}

/// A word seen in at most this many other replies counts as rare.
const RARE: u32 = 2;

/// A word outside the stock vocabulary that fewer than one reply in this many uses is a content
/// word: a detail (a product, a place, a fault) rather than customer-service wording.
const CONTENT_RARITY: usize = 100;

/// Whether a word used by `word` replies counts as a content word in a corpus of `total`.
fn is_content(word: &crate::index::WordStat, total: usize) -> bool {
    word.stock == 0 && (word.replies as usize) * CONTENT_RARITY < total
}

/// Running sums for the signals.
#[derive(Default)]
struct Counts {
    tokens: usize,
    boiler: usize,
    stock: usize,
    words: usize,
    common: f64,
    spread: f64,
    novel: usize,
    rare: usize,
    generic: usize,
    specific: usize,
    weight: f64,
    echo: f64,
    echo_sum: f64,
    support: f64,
    content: usize,
}

/// Per-token evidence gathered from the shingles covering it.
#[derive(Clone, Copy, Default)]
struct Cover {
    /// Largest support (replies, stock included) of a shingle covering the token.
    support: u32,
    /// Largest archive support (stock replies not counted) of a shingle covering the token.
    archive: u32,
    /// Whether a stock shingle covers the token.
    stock: bool,
    /// The shingle (position) giving `support`, for the span's example.
    shingle: u32,
}

/// A scorer with buffers reused across replies.
pub(crate) struct Scorer<'i> {
    index: &'i Inner,
    b: Buffers,
}

/// The buffers of a scorer, kept per thread between calls so that scoring one reply does not
/// allocate (and regrow) them anew.
#[derive(Default)]
struct Buffers {
    scratch: Scratch,
    tokens: Vec<Token>,
    customer_tokens: Vec<Token>,
    keys: Vec<u32>,
    hashes: Vec<u64>,
    excluded_hashes: Vec<u64>,
    /// The reply's distinct shingles that the index has, with their records.
    distinct: Vec<(u64, ShingleStat)>,
    /// Shared-shingle count per candidate cluster; empty outside a call.
    shared: Tally,
    /// The postings one report counts, gathered from their lists.
    postings: Vec<u32>,
}

/// Counts per cluster for one report: open addressing over a power-of-two table of a few
/// thousand slots, which stays in the first-level caches, where an array indexed by cluster
/// (4 bytes a cluster) made every count a cache miss at a million replies.
#[derive(Default)]
struct Tally {
    /// `(cluster + 1, count)`; a zero key is an empty slot.
    slots: Vec<(u32, u32)>,
    /// The positions of the occupied slots, in the order they were filled.
    used: Vec<u32>,
}

impl Tally {
    /// The table's size when first used: room for the postings budget at half load.
    const INITIAL: usize = 4 * POSTINGS_BUDGET;

    /// Adds `by` to the count of `cluster`.
    #[inline(always)]
    fn add(&mut self, cluster: u32, by: u32) {
        self.grow_for(1);
        let mask = self.slots.len() - 1;
        Self::bump(&mut self.slots, &mut self.used, mask, cluster, by);
    }

    /// Adds 1 to the count of each of `clusters` but `skip`, with room made once for all of
    /// them (the same counts as adding them one by one).
    fn add_each(&mut self, clusters: &[u32], skip: u32) {
        self.grow_for(clusters.len() + 1);
        let mask = self.slots.len() - 1;
        let (slots, used) = (&mut self.slots[..], &mut self.used);
        for &cluster in clusters {
            if cluster != skip {
                Self::bump(slots, used, mask, cluster, 1);
            }
        }
    }

    /// Adds `by` to the count of `cluster` in `slots` (of `mask + 1` slots, with room for it),
    /// noting in `used` the slot a new cluster takes.
    #[inline(always)]
    fn bump(slots: &mut [(u32, u32)], used: &mut Vec<u32>, mask: usize, cluster: u32, by: u32) {
        let key = cluster.wrapping_add(1);
        let mut i = Self::home(key, mask);
        loop {
            let slot = &mut slots[i];
            if slot.0 == key {
                slot.1 = slot.1.saturating_add(by);
                return;
            }
            if slot.0 == 0 {
                *slot = (key, by);
                used.push(i as u32);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Grows the table until `more` new clusters fit at half load.
    #[inline]
    fn grow_for(&mut self, more: usize) {
        while (self.used.len() + more) * 2 > self.slots.len() {
            self.grow();
        }
    }

    #[inline]
    fn home(key: u32, mask: usize) -> usize {
        ((u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize) & mask
    }

    /// Doubles the table (or makes the first one), re-placing the counts.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(Self::INITIAL);
        let old: Vec<(u32, u32)> = self.used.iter().map(|&i| self.slots[i as usize]).collect();
        self.slots.clear();
        self.slots.resize(size, (0, 0));
        self.used.clear();
        for (key, count) in old {
            self.add(key - 1, count);
        }
    }

    /// The `keep` clusters of the highest counts (of equal counts, the lowest clusters) with
    /// their counts, best first, emptying the table. Most counts fall short of the `keep`-th best
    /// so far and cost one comparison.
    fn drain_best(&mut self, keep: usize, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let rank = |&(cluster, count): &(u32, u32)| (Reverse(count), cluster);
        for &i in &self.used {
            let (key, count) = std::mem::take(&mut self.slots[i as usize]);
            let entry = (key - 1, count);
            if out.len() == keep {
                match out.last() {
                    Some(worst) if rank(&entry) < rank(worst) => {
                        out.pop();
                    }
                    _ => continue,
                }
            }
            let at = out.partition_point(|e| rank(e) < rank(&entry));
            out.insert(at, entry);
        }
        self.used.clear();
    }

    /// Empties the table.
    fn clear(&mut self) {
        for &i in &self.used {
            self.slots[i as usize] = (0, 0);
        }
        self.used.clear();
    }
}

/// How many postings one report visits at most when gathering candidates (the list it is
/// reading when the budget runs out is read to its end).
const POSTINGS_BUDGET: usize = 1024;

thread_local! {
    static BUFFERS: std::cell::Cell<Option<Buffers>> = const { std::cell::Cell::new(None) };
}

impl Drop for Scorer<'_> {
    fn drop(&mut self) {
        let mut b = std::mem::take(&mut self.b);
        if std::thread::panicking() {
            // A report cut short may have left counts behind; the next one expects none.
            b.shared.clear();
        }
        BUFFERS.with(|cell| cell.set(Some(b)));
    }
}

/// What is left out of the index for a leave-one-out score.
struct Excluded {
    reply: u32,
    cluster: u32,
    /// Whether the left-out reply is its cluster's only member (so the cluster disappears).
    alone: bool,
}

impl<'i> Scorer<'i> {
    pub(crate) fn new(index: &'i Inner) -> Self {
        Scorer {
            index,
            b: BUFFERS.with(|cell| cell.take()).unwrap_or_default(),
        }
    }

    pub(crate) fn score(&mut self, reply: &str, ctx: &Context<'_>, exclude: Option<u32>) -> Report {
        let index = self.index;
        let (reply, truncated) = capped(reply);
        tokenize_into(reply, &mut self.b.scratch, &mut self.b.tokens);
        self.b.keys.clear();
        self.b.keys.extend(self.b.tokens.iter().map(Token::key));
        self.b.hashes.clear();
        let n = index.config.ngram;
        shingles_of_keys(&self.b.keys, n, &mut self.b.hashes);

        // What leave-one-out removes.
        let excluded = exclude.map(|reply| {
            let cluster = index.reply_cluster[reply as usize];
            Excluded {
                reply,
                cluster,
                alone: index.clusters[cluster as usize].count == 1,
            }
        });
        self.b.excluded_hashes.clear();
        let mut excluded_words: Vec<u32> = Vec::new();
        if let Some(ex) = &excluded {
            let keys = index.cluster_keys(ex.cluster);
            shingles_of_keys(keys, n, &mut self.b.excluded_hashes);
            self.b.excluded_hashes.sort_unstable();
            excluded_words.extend_from_slice(keys);
            excluded_words.sort_unstable();
            excluded_words.dedup();
        }
        let in_excluded = |h: u64| self.b.excluded_hashes.binary_search(&h).is_ok();
        let total_replies = index.reply_cluster.len() - usize::from(excluded.is_some());

        // Per-shingle support, per-token cover. Each shingle is looked up once (a cache miss or
        // two at a million replies): the candidate search below reuses these records.
        let mut cover = vec![Cover::default(); self.b.tokens.len()];
        let mut found = Vec::with_capacity(self.b.hashes.len());
        index.shingles_of(&self.b.hashes, &mut found);
        let stats: Vec<Option<ShingleStat>> = self
            .b
            .hashes
            .iter()
            .zip(&found)
            .map(|(&h, found)| {
                found.map(|mut s| {
                    if in_excluded(h) {
                        s.replies -= 1;
                        if excluded.as_ref().is_some_and(|e| e.alone) {
                            s.clusters -= 1;
                        }
                    }
                    s
                })
            })
            .collect();
        for (pos, stat) in stats.iter().enumerate() {
            let Some(stat) = stat else { continue };
            if stat.replies == 0 {
                continue;
            }
            let archive = stat.replies.saturating_sub(stat.stock);
            let (first, last) = shingle_window(pos, self.b.tokens.len(), n);
            for c in &mut cover[first..=last] {
                if stat.replies > c.support {
                    c.support = stat.replies;
                    c.shingle = pos as u32;
                }
                c.archive = c.archive.max(archive);
                c.stock |= stat.stock > 0;
            }
        }
        debug_assert_eq!(stats.len(), shingle_count(self.b.tokens.len(), n));

        // Exact copies and nearest replies.
        let own_cluster = index.cluster_lookup.get(sequence_key(&self.b.keys));
        let copies = own_cluster.map_or(0, |c| {
            let count = index.clusters[c as usize].count;
            match &excluded {
                Some(ex) if ex.cluster == c => count - 1,
                _ => count,
            }
        });
        let (nearest, best) = self.nearest(excluded.as_ref(), own_cluster, &found);
        let best_similarity = best.map_or(0.0, |(_, similarity)| similarity);
        let best = best.map(|(cluster, _)| cluster);
        // Leave-one-out: the left-out reply does not count in its family's usage.
        let left_out = |root: u32| {
            excluded.as_ref().map_or(0, |e| {
                let families = index.families();
                u32::from(
                    families.root_of[e.cluster as usize] == root && !index.is_reference(e.reply),
                )
            })
        };
        // An imported macro the reply instantiates names it first; else the mined family of the
        // nearest past reply.
        let matched = index.macro_template(&self.b.keys, left_out).or_else(|| {
            best.and_then(|cluster| index.template_of_cluster(cluster, &self.b.keys, left_out))
        });
        // Words that fill the placeholders of an imported macro are the macro's, not this
        // customer's: they count for neither score.
        let filled = self.filled_by_macro(matched.as_ref().and_then(|m| m.macro_cluster));
        let template = matched.map(|m| m.template);

        // Signals.
        let min_support = index.config.min_support;
        let counted = |t: &Token| !matches!(t.slot(), Some(s) if s.is_mechanics());
        let mut signals = Signals {
            copies,
            // The best verified candidate's, listed or not (a report may list no neighbours).
            nearest_similarity: best_similarity,
            ..Signals::default()
        };
        let mut n = Counts::default();
        let log_n = ((1 + total_replies) as f64).ln().max(f64::MIN_POSITIVE);
        let log_groups = (1.0 + group_estimate(index.group_bits))
            .ln()
            .max(f64::MIN_POSITIVE);
        let customer_stems = self.customer_stems(ctx);
        // The first word of the customer's name (only its first bytes are read).
        let name_key = ctx.customer_name.and_then(|name| {
            let name = &name[..floor_char_boundary(name, MAX_NAME_BYTES)];
            crate::normalize::tokenize(name).first().map(Token::key)
        });
        // What the index knows of each word, looked up for all of them first (their cache
        // misses overlap).
        let word_stats: Vec<crate::index::WordStat> = self
            .b
            .tokens
            .iter()
            .map(|t| match t.kind() {
                TokenKind::Word => index.word(t.key()),
                TokenKind::Slot(_) => Default::default(),
            })
            .collect();
        for (((t, c), &filled), &word) in self
            .b
            .tokens
            .iter()
            .zip(&cover)
            .zip(&filled)
            .zip(&word_stats)
        {
            if !filled && (t.slot() == Some(Slot::Name) || Some(t.key()) == name_key) {
                signals.named = true;
            }
            if !counted(t) || filled {
                continue;
            }
            n.tokens += 1;
            n.boiler += usize::from(c.archive >= min_support);
            n.support += (1.0 + c.archive as f64).ln() / log_n;
            n.stock += usize::from(c.stock);
            match t.kind() {
                TokenKind::Slot(Slot::Number | Slot::Date | Slot::Email) => {
                    n.specific += 1;
                    if customer_stems.binary_search(&t.stem()).is_ok() {
                        n.echo_sum += log_n;
                    }
                }
                TokenKind::Slot(_) => {}
                TokenKind::Word => {
                    let mut word = word;
                    if excluded_words.binary_search(&t.key()).is_ok() {
                        word.replies = word.replies.saturating_sub(1);
                    }
                    if word.replies == word.stock {
                        // Only stock replies (or none) use the word: no archive group does.
                        word.groups = 0;
                    }
                    n.words += 1;
                    n.common += ((1 + word.replies) as f64).ln() / log_n;
                    n.spread += (1.0 + word.group_estimate()).ln() / log_groups;
                    n.novel += usize::from(word.replies == 0);
                    n.rare += usize::from(word.replies <= RARE);
                    n.generic += usize::from(word.stock > 0);
                    n.specific += usize::from(t.is_proper() && word.stock == 0);
                    n.content += usize::from(is_content(&word, total_replies));
                    let idf = (((total_replies + 1) as f64) / ((word.replies + 1) as f64)).ln();
                    n.weight += idf;
                    if customer_stems.binary_search(&t.stem()).is_ok() {
                        n.echo += idf;
                        n.echo_sum += idf;
                    }
                }
            }
        }
        let frac = |num: usize, den: usize| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        let mean = |sum: f64, den: usize| {
            if den == 0 {
                1.0
            } else {
                (sum / den as f64).clamp(0.0, 1.0)
            }
        };
        let (weakest, strongest) = self.sentence_genericness(&cover, &filled, min_support);
        signals.weakest_sentence = weakest;
        signals.strongest_sentence = strongest;
        signals.tokens = n.tokens;
        signals.boilerplate = frac(n.boiler, n.tokens);
        signals.stock = frac(n.stock, n.tokens);
        signals.commonness = mean(n.common, n.words);
        signals.spread = mean(n.spread, n.words);
        signals.generic = frac(n.generic, n.words);
        signals.novelty = frac(n.novel, n.words);
        signals.rare = frac(n.rare, n.words);
        signals.specific = frac(n.specific, n.tokens);
        signals.echoed = n.echo_sum / log_n;
        signals.support = mean(n.support, n.tokens);
        (signals.answered, signals.ignored) = self.answered(
            total_replies,
            &excluded_words,
            ctx.customer_message.is_some(),
        );
        signals.content_words = n.content;
        signals.echo = if n.weight > 0.0 {
            (n.echo / n.weight).clamp(0.0, 1.0)
        } else {
            0.0
        };

        let spans = self.spans(reply, &cover, &stats, excluded.as_ref());
        let (canned, personalisation) = model(&signals);
        Report {
            canned,
            personalisation,
            verdict: index.config.verdict(canned, personalisation),
            spans,
            nearest,
            template,
            signals,
            truncated,
        }
    }

    /// The sorted word stems of the customer's message.
    fn customer_stems(&mut self, ctx: &Context<'_>) -> Vec<u32> {
        self.b.customer_tokens.clear();
        let Some(message) = ctx.customer_message else {
            return Vec::new();
        };
        let (message, _) = capped(message);
        tokenize_into(message, &mut self.b.scratch, &mut self.b.customer_tokens);
        let mut keys: Vec<u32> = self
            .b
            .customer_tokens
            .iter()
            .filter(|t| !matches!(t.slot(), Some(Slot::User | Slot::Url | Slot::Signature)))
            .map(Token::stem)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Which tokens of the reply fill a placeholder of the macro of cluster `macro_cluster`
    /// (none without a macro): tokens the alignment leaves unmatched opposite a slot of it.
    fn filled_by_macro(&self, macro_cluster: Option<u32>) -> Vec<bool> {
        let mut filled = vec![false; self.b.tokens.len()];
        let Some(macro_cluster) = macro_cluster else {
            return filled;
        };
        let macro_keys = self.index.cluster_keys(macro_cluster);
        let is_slot = |k: u32| crate::index::is_slot_key(k);
        let mut pairs = Vec::new();
        crate::templates::lcs(&self.b.keys, macro_keys, Some(&mut pairs));
        let (mut prev_i, mut prev_j) = (0usize, 0usize);
        for &(i, j) in &pairs {
            // A token aligned with a placeholder fills it ("4417" for {{ticket.id}}).
            filled[i] |= is_slot(macro_keys[j]);
        }
        for &(i, j) in pairs
            .iter()
            .chain(std::iter::once(&(self.b.keys.len(), macro_keys.len())))
        {
            if macro_keys[prev_j.min(macro_keys.len())..j.min(macro_keys.len())]
                .iter()
                .any(|&k| is_slot(k))
            {
                for f in &mut filled[prev_i..i.min(self.b.tokens.len())] {
                    *f = true;
                }
            }
            prev_i = i + 1;
            prev_j = j + 1;
        }
        filled
    }

    /// The boilerplate fraction of the least and of the most generic sentence (sentences of
    /// handles, names and sign-offs alone are skipped).
    fn sentence_genericness(
        &self,
        cover: &[Cover],
        filled: &[bool],
        min_support: u32,
    ) -> (f64, f64) {
        let (mut weakest, mut strongest) = (f64::INFINITY, 0.0f64);
        let (mut boiler, mut total) = (0usize, 0usize);
        let mut close = |boiler: usize, total: usize| {
            if total > 0 {
                let g = boiler as f64 / total as f64;
                weakest = weakest.min(g);
                strongest = strongest.max(g);
            }
        };
        for ((t, c), &filled) in self.b.tokens.iter().zip(cover).zip(filled) {
            if t.starts_sentence() {
                close(boiler, total);
                (boiler, total) = (0, 0);
            }
            if filled || matches!(t.slot(), Some(s) if s.is_mechanics()) {
                continue;
            }
            total += 1;
            boiler += usize::from(c.archive >= min_support || c.stock);
        }
        close(boiler, total);
        if weakest.is_infinite() {
            (0.0, 0.0)
        } else {
            (weakest, strongest)
        }
    }

    /// The rarity-weighted fraction of the customer's words (by stem) that the reply takes up,
    /// and the number of the customer's content words it does not take up (`None` without a
    /// customer message). `excluded_words` are the words of a left-out reply.
    fn answered(
        &self,
        total_replies: usize,
        excluded_words: &[u32],
        given: bool,
    ) -> (f64, Option<usize>) {
        let mut reply_stems: Vec<u32> = self.b.tokens.iter().map(Token::stem).collect();
        reply_stems.sort_unstable();
        // The customer's distinct words by stem, each with the form it first appears in.
        let mut words: Vec<(u32, u32)> = self
            .b
            .customer_tokens
            .iter()
            .filter(|t| t.kind() == TokenKind::Word)
            .map(|t| (t.stem(), t.key()))
            .collect();
        words.sort_by_key(|&(stem, _)| stem);
        words.dedup_by_key(|&mut (stem, _)| stem);
        let (mut hit, mut all, mut ignored) = (0.0, 0.0, 0);
        // Numbers, dates and e-mail addresses are details too (an order number, a time).
        let mut details: Vec<u32> = self
            .b
            .customer_tokens
            .iter()
            .filter(|t| {
                matches!(
                    t.kind(),
                    TokenKind::Slot(Slot::Number | Slot::Date | Slot::Email)
                )
            })
            .map(Token::stem)
            .collect();
        details.sort_unstable();
        details.dedup();
        ignored += details
            .iter()
            .filter(|stem| reply_stems.binary_search(stem).is_err())
            .count();
        for (stem, key) in words {
            let mut word = self.index.word(key);
            if excluded_words.binary_search(&key).is_ok() {
                word.replies = word.replies.saturating_sub(1);
            }
            let idf = (((total_replies + 1) as f64) / ((word.replies + 1) as f64)).ln();
            all += idf;
            if reply_stems.binary_search(&stem).is_ok() {
                hit += idf;
            } else if is_content(&word, total_replies) {
                ignored += 1;
            }
        }
        let answered = if all > 0.0 {
            (hit / all).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (answered, given.then_some(ignored))
    }

    /// The nearest clusters: candidates by shared shingles, verified by token edit distance.
    /// Returns the neighbours and the cluster of the nearest with its similarity (verified even
    /// when the report lists no neighbours).
    fn nearest(
        &mut self,
        excluded: Option<&Excluded>,
        own: Option<u32>,
        found: &[Option<ShingleStat>],
    ) -> (Vec<Neighbour>, Option<(u32, f64)>) {
        let index = self.index;
        let wanted = index.config.neighbours;
        if self.b.keys.is_empty() {
            return (Vec::new(), None);
        }
        let gone = |c: u32| excluded.is_some_and(|e| e.alone && e.cluster == c);
        // Count shared shingles per cluster.
        let b = &mut self.b;
        // The reply's distinct shingles that the index has, in order of hash.
        let mut distinct = std::mem::take(&mut b.distinct);
        distinct.clear();
        distinct.extend(
            b.hashes
                .iter()
                .zip(found)
                .filter_map(|(&h, s)| s.map(|s| (h, s))),
        );
        distinct.sort_unstable_by_key(|&(h, _)| h);
        distinct.dedup_by_key(|&mut (h, _)| h);
        // Rarest shingles first, while the budget of postings lasts: a near-copy shares the
        // rare shingles of its family, while the capped lists of common phrases name replies
        // at random among thousands and cost a cache miss each.
        distinct.sort_by_key(|(_, s)| (s.clusters, s.first_cluster));
        let mut visited = 0usize;
        let touch = |c: u32, by: u32, b: &mut Buffers| b.shared.add(c, by);
        // The cluster a left-out reply takes with it, if any (no cluster is `u32::MAX`: the
        // tally's keys are clusters plus one).
        let gone_cluster = excluded.filter(|e| e.alone).map_or(u32::MAX, |e| e.cluster);
        // Where every list is, and its first cluster, read before any is counted: the cache
        // misses of different lists overlap.
        let lists: Vec<(u32, &[u32], u32)> = distinct
            .iter()
            .map(|(_, stat)| {
                let more = index.shingles.more_postings(stat);
                (stat.first_cluster, more, more.first().copied().unwrap_or(0))
            })
            .collect();
        // The postings are copied out of their lists first, then counted: the copies' cache
        // misses overlap, where counting list by list waited on each in turn.
        let mut postings = std::mem::take(&mut b.postings);
        postings.clear();
        for &(first, more, head) in &lists {
            if visited >= POSTINGS_BUDGET {
                break;
            }
            visited += 1 + more.len();
            postings.push(first);
            if let Some((_, rest)) = more.split_first() {
                postings.push(head);
                postings.extend_from_slice(rest);
            }
        }
        b.shared.add_each(&postings, gone_cluster);
        b.postings = postings;
        if let Some(c) = own.filter(|&c| !gone(c)) {
            touch(c, u32::MAX / 2, b);
        }
        b.distinct = distinct;
        // Only the best few are verified.
        let mut ranked: Vec<(u32, u32)> = Vec::new();
        b.shared
            .drain_best(CANDIDATES.max(wanted).max(1), &mut ranked);
        // Bit-parallel edit distance over token keys, the query's pattern built once.
        let query =
            rapidfuzz::distance::levenshtein::BatchComparator::new(self.b.keys.iter().copied());
        // Verified candidates are kept in order as they come. A candidate whose length alone
        // bounds its similarity below the `wanted`-th best so far cannot be kept: its distance is
        // not computed (the same neighbours).
        let order = |a: &(f64, u32, u32), b: &(f64, u32, u32)| {
            b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
        };
        let query_len = self.b.keys.len();
        // The best one names the template even when no neighbour is wanted.
        let least = wanted.max(1);
        let mut verified: Vec<(f64, u32, u32)> = Vec::with_capacity(ranked.len());
        // The candidates' records and first keys, read for all of them first (their cache misses
        // overlap).
        let candidates: Vec<(u32, u32, &[u32])> = ranked
            .iter()
            .map(|&(c, _)| {
                let keys = index.cluster_keys(c);
                std::hint::black_box(keys.first().copied());
                (c, index.clusters[c as usize].count, keys)
            })
            .collect();
        for &(c, count, keys) in &candidates {
            let longer = query_len.max(keys.len()).max(1);
            let similarity = |distance: usize| 1.0 - distance as f64 / longer as f64;
            // The edit distance is at least the difference in length.
            let bound = similarity(query_len.abs_diff(keys.len()));
            if verified.len() >= least && bound < verified[least - 1].0 {
                continue;
            }
            // An exact copy (the reply's own cluster, most often) is at distance 0.
            let distance = if keys == self.b.keys.as_slice() {
                0
            } else {
                query.distance(keys.iter().copied())
            };
            let count = match excluded {
                Some(e) if e.cluster == c => count - 1,
                _ => count,
            };
            let candidate = (similarity(distance), count, c);
            let at = verified.partition_point(|v| order(v, &candidate).is_lt());
            verified.insert(at, candidate);
        }
        let best = verified.first().map(|v| (v.2, v.0));
        verified.truncate(wanted);
        // Every neighbour's id and text found before any is copied (their cache misses overlap).
        let found: Vec<(f64, u32, &str, &str)> = verified
            .into_iter()
            .map(|(similarity, count, c)| {
                let cluster = &index.clusters[c as usize];
                let reply = match excluded {
                    Some(e) if e.reply == cluster.first_reply => cluster.last_reply,
                    _ => cluster.first_reply,
                };
                let id = index.ids.get(reply as usize);
                (similarity, count, id, index.texts.get(c as usize))
            })
            .collect();
        let neighbours = found
            .into_iter()
            .map(|(similarity, count, id, text)| Neighbour {
                id: id.to_string(),
                similarity,
                count,
                text: text.to_string(),
            })
            .collect();
        (neighbours, best)
    }

    /// Runs of boilerplate tokens as spans.
    fn spans(
        &self,
        text: &str,
        cover: &[Cover],
        stats: &[Option<ShingleStat>],
        excluded: Option<&Excluded>,
    ) -> Vec<Span> {
        let index = self.index;
        let min_support = index.config.min_support;
        let is_boiler = |c: &Cover| c.archive >= min_support || c.stock;
        let conv = OffsetConverter::new(text);
        let mut spans = Vec::new();
        let mut i = 0;
        while i < cover.len() {
            if !is_boiler(&cover[i]) {
                i += 1;
                continue;
            }
            let mut start = i;
            while i < cover.len() && is_boiler(&cover[i]) {
                i += 1;
            }
            // Handles, names and sign-offs at the ends of a run are slots, not wording.
            let is_mechanics = |t: &Token| matches!(t.slot(), Some(s) if s.is_mechanics());
            let mut end = i;
            while start < end && is_mechanics(&self.b.tokens[start]) {
                start += 1;
            }
            while end > start && is_mechanics(&self.b.tokens[end - 1]) {
                end -= 1;
            }
            if start == end {
                continue;
            }
            let run = &cover[start..end];
            // The rarest phrase (shingle) lying inside the span; a span shorter than a shingle
            // takes the most common shingle over its rarest token. (A shingle inside the span
            // starts inside it: only those are looked at, so the spans cost what the text
            // does, not its length times their number.)
            let n = index.config.ngram;
            let inside = (start..end.min(stats.len())).filter(|&pos| {
                let (first, last) = shingle_window(pos, self.b.tokens.len(), n);
                first >= start && last < end
            });
            let rarest = inside
                .filter_map(|pos| stats[pos].map(|stat| (stat.replies, pos as u32)))
                .filter(|&(replies, _)| replies > 0)
                .min()
                .or_else(|| run.iter().map(|c| (c.support, c.shingle)).min())
                .expect("a run has a token");
            let (support, shingle) = rarest;
            let example = stats[shingle as usize].and_then(|stat| {
                index
                    .postings_of(&stat)
                    .find(|&c| !excluded.is_some_and(|e| e.alone && e.cluster == c))
                    .map(|c| {
                        let cluster = &index.clusters[c as usize];
                        let reply = match excluded {
                            Some(e) if e.reply == cluster.first_reply => cluster.last_reply,
                            _ => cluster.first_reply,
                        };
                        index.ids.get(reply as usize).to_string()
                    })
            });
            let bytes = self.b.tokens[start].range().start..self.b.tokens[end - 1].range().end;
            spans.push(Span {
                chars: conv.char_offset(bytes.start)..conv.char_offset(bytes.end),
                utf16: conv.utf16_offset(bytes.start)..conv.utf16_offset(bytes.end),
                bytes,
                support,
                stock: run.iter().any(|c| c.stock),
                example,
            });
        }
        spans
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A logistic model over [`features`].
struct Model {
    intercept: f64,
    weights: [f64; FEATURES],
}

impl Model {
    fn predict(&self, x: &[f64; FEATURES]) -> f64 {
        let z: f64 = self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
        sigmoid(z)
    }
}

const FEATURES: usize = 21;

/// The model inputs, in the order of the weights: boilerplate, stock, commonness, novelty, echo,
/// nearest similarity, ln(1 + copies), named, shortness, ln(tokens), spread, generic, rare,
/// specific, ln(1 + echoed), answered, support, weakest sentence, strongest sentence,
/// ln(1 + content words), ln(1 + ignored).
fn features(s: &Signals) -> [f64; FEATURES] {
    let tokens = s.tokens as f64;
    [
        s.boilerplate,
        s.stock,
        s.commonness,
        s.novelty,
        s.echo,
        s.nearest_similarity,
        (1.0 + s.copies as f64).ln(),
        f64::from(u8::from(s.named)),
        1.0 / (1.0 + tokens / 8.0),
        tokens.ln_1p(),
        s.spread,
        s.generic,
        s.rare,
        s.specific,
        s.echoed.ln_1p(),
        s.answered,
        s.support,
        s.weakest_sentence,
        s.strongest_sentence,
        (s.content_words as f64).ln_1p(),
        s.ignored.map_or(IGNORED_UNKNOWN, |n| (n as f64).ln_1p()),
    ]
}

/// `ln(1 + ignored)` when no customer message was given: its mean over the development items the
/// models were fitted on, so that a reply scored without context is neither helped nor hurt by
/// the details it cannot be seen to ignore.
const IGNORED_UNKNOWN: f64 = 1.8237;

// Fitted by L2-regularised logistic regression on the signals of the 200 hand-labelled
// development replies, each scored leave-one-out against the 12,740-reply corpus: `canned`
// predicts a label of 1 or 2 (templated or canned; C = 1), `personalisation` predicts `specific`
// (C = 0.3). `bench/fit_models.py` refits them from `--signals`; the README gives the
// cross-validated figures.
const CANNED_MODEL: Model = Model {
    intercept: -4.5083,
    weights: [
        1.6487, 1.6245, -0.0652, -0.1236, -0.4401, 0.9257, 1.0901, -0.4834, -0.2363, 1.4026,
        0.0143, 0.2626, -0.3771, 0.1710, -0.8113, 0.0402, 1.0519, -0.8608, 1.2718, -1.3812, 0.6698,
    ],
};
const PERSONAL_MODEL: Model = Model {
    intercept: 0.4942,
    weights: [
        -0.5659, -0.1124, -0.0704, 0.0025, 0.4496, -0.2141, -0.1300, 0.9843, 0.0654, -0.3192,
        -0.0411, 0.0106, 0.1791, -0.1506, 1.4333, 0.3034, -0.0930, -0.1207, -0.3564, 0.6519,
        -0.1032,
    ],
};

/// The scores from the signals: two logistic models.
fn model(s: &Signals) -> (f64, f64) {
    if s.tokens == 0 {
        // Nothing but handles, names and sign-offs (or nothing at all): nothing answers the
        // customer, and there is nothing canned to point at either.
        return (0.0, 0.0);
    }
    let x = features(s);
    let canned = CANNED_MODEL.predict(&x);
    let personalisation = PERSONAL_MODEL.predict(&x);
    (sanitise(canned), sanitise(personalisation))
}

/// A score clamped to [0, 1], with NaN (impossible from finite signals, but never reported) as 0.
fn sanitise(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Tally::add`, `Tally::add_each` and `Tally::drain_best` against counting in a map and
    /// sorting every count, on random counts with many ties.
    #[test]
    fn the_best_counts_are_those_a_full_sort_ranks_first() {
        let mut rng = crate::testing::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n) as u32;
        let mut tally = Tally::default();
        let mut out = Vec::new();
        for round in 0..200 {
            let clusters = 1 + next(3000);
            let adds = next(5000);
            let mut counts = std::collections::BTreeMap::new();
            for _ in 0..adds {
                let (cluster, by) = (next(u64::from(clusters)), 1 + next(3));
                tally.add(cluster, by);
                *counts.entry(cluster).or_insert(0u32) += by;
            }
            // Lists added at once, one cluster of them skipped (a left-out reply's).
            let skip = next(u64::from(clusters));
            for _ in 0..next(20) {
                let list: Vec<u32> = (0..next(1500)).map(|_| next(u64::from(clusters))).collect();
                tally.add_each(&list, skip);
                for &cluster in list.iter().filter(|&&c| c != skip) {
                    *counts.entry(cluster).or_insert(0u32) += 1;
                }
            }
            let mut all: Vec<(u32, u32)> = counts.into_iter().collect();
            all.sort_by_key(|&(c, n)| (Reverse(n), c));
            let keep = [1, 2, 8, 50, 10_000][round % 5];
            tally.drain_best(keep, &mut out);
            all.truncate(keep);
            assert_eq!(out, all, "round {round}, keep {keep}");
            assert!(tally.used.is_empty() && tally.slots.iter().all(|&s| s == (0, 0)));
        }
    }
}
