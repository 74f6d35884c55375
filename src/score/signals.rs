//! The signals: what the report measures of the reply's tokens against the view of the corpus
//! and the customer's message (coverage by boilerplate and stock phrases, commonness and spread
//! of the words, novelty, details, echo of the message, what it leaves unanswered, sentences).

use crate::report::Signals;
use crate::store::{WordStat, group_estimate};
use crate::text::language::{UNKNOWN_SLOT, stock_mask};
use crate::text::{Language, Slot, Token, TokenKind, capped, floor_char_boundary, tokenize_into};

use super::Scorer;
use super::context::Context;
use super::cover::Cover;
use super::view::View;

/// The most bytes of a customer's name that are read.
const MAX_NAME_BYTES: usize = 256;

/// A word seen in at most this many other replies counts as rare.
const RARE: u32 = 2;

/// A word outside the stock vocabulary that fewer than one reply in this many uses is a content
/// word: a detail (a product, a place, a fault) rather than customer-service wording.
const CONTENT_RARITY: usize = 100;

/// Whether word `key` (of record `word`) is stock wording for a draft whose language has the
/// stock-vocabulary bit `language_bit` (0 for a draft of no stock language): a word of the
/// index's stock replies, of the draft's language's corpus (or of none of the built-in corpora:
/// a reference reply the index was given).
fn is_stock(word: &WordStat, key: u32, language_bit: u16) -> bool {
    word.stock() > 0
        && (language_bit == 0 || {
            let mask = stock_mask(key);
            mask == 0 || mask & language_bit != 0
        })
}

/// Whether a word counts as a content word in a corpus of `total`: not stock wording (`stock`),
/// and used by fewer than one reply in [`CONTENT_RARITY`].
fn is_content(word: &WordStat, stock: bool, total: usize) -> bool {
    !stock && (word.replies() as usize) * CONTENT_RARITY < total
}

/// Running sums for the signals.
#[derive(Default)]
struct Counts {
    tokens: usize,
    /// Of the tokens, Chinese characters and Japanese kana (half a word each, see `fill`).
    cjk_tokens: usize,
    /// Of those, hiragana characters (a quarter of a word each).
    hiragana_tokens: usize,
    /// Of the content words, those of Chinese characters or kana.
    cjk_content: usize,
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

/// The sizes the counts are scaled by: the replies in the view, and the logarithms of one more
/// than them and than the groups the index holds.
struct Scale {
    total_replies: usize,
    /// The stock-vocabulary bit of the draft's language (0: none).
    language_bit: u16,
    log_n: f64,
    log_groups: f64,
}

impl Counts {
    /// Counts a word of the reply: what the index knows of it (`word`, in the report's view),
    /// and whether the customer's message has its stem (`echoed`).
    fn add_word(&mut self, t: &Token, mut word: WordStat, scale: &Scale, echoed: bool) {
        let stock = is_stock(&word, t.key(), scale.language_bit);
        if word.replies() == word.stock() {
            // Only stock replies (or none) use the word: no archive group does.
            word = word.without_groups();
        }
        let total_replies = scale.total_replies;
        self.words += 1;
        self.common += ((1 + word.replies()) as f64).ln() / scale.log_n;
        self.spread += (1.0 + word.group_estimate()).ln() / scale.log_groups;
        self.novel += usize::from(word.replies() == 0);
        self.rare += usize::from(word.replies() <= RARE);
        self.generic += usize::from(stock);
        self.specific += usize::from(t.is_proper() && !stock);
        let content = is_content(&word, stock, total_replies);
        self.content += usize::from(content);
        self.cjk_content += usize::from(content && t.is_cjk());
        let idf = (((total_replies + 1) as f64) / ((word.replies() + 1) as f64)).ln();
        self.weight += idf;
        if echoed {
            self.echo += idf;
            self.echo_sum += idf;
        }
    }

    /// The signals the counts give: shares of the tokens or words, and means.
    fn fill(&self, signals: &mut Signals, log_n: f64) {
        let n = self;
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
        // The reply's length and its count of content words in words: a Chinese or Japanese
        // word is about two characters, and each character is a token there.
        let in_words = |all: usize, cjk: usize| all - cjk / 2;
        signals.tokens = in_words(n.tokens, n.cjk_tokens) - n.hiragana_tokens / 4;
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
        signals.content_words = in_words(n.content, n.cjk_content);
        signals.echo = if n.weight > 0.0 {
            (n.echo / n.weight).clamp(0.0, 1.0)
        } else {
            0.0
        };
    }
}

impl Scorer<'_> {
    /// The signals of the reply tokenized in the buffers, in `language`, from each token's
    /// `cover` and whether it fills a macro's placeholder (`filled`), with the nearest reply's
    /// `nearest_similarity` and the reply's `copies`. The words' statistics are read among the
    /// replies of the draft's language (see `View::replies_in_language`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn signals(
        &mut self,
        view: &View<'_>,
        ctx: &Context<'_>,
        language: Option<Language>,
        cover: &[Cover],
        filled: &[bool],
        copies: u32,
        nearest_similarity: f64,
    ) -> Signals {
        let index = self.index;
        let slot = language.and_then(Language::slot).unwrap_or(UNKNOWN_SLOT);
        let total_replies = view.replies_in_language(slot);
        let language_bit = if slot == UNKNOWN_SLOT { 0 } else { 1 << slot };
        let min_support = index.corpus().config().min_support;
        let counted = |t: &Token| !matches!(t.slot(), Some(s) if s.is_mechanics());
        let mut signals = Signals {
            copies,
            nearest_similarity,
            ..Signals::default()
        };
        let mut n = Counts::default();
        let log_n = ((1 + total_replies) as f64).ln().max(f64::MIN_POSITIVE);
        let scale = Scale {
            total_replies,
            language_bit,
            log_n,
            log_groups: (1.0 + group_estimate(index.corpus().group_bits()))
                .ln()
                .max(f64::MIN_POSITIVE),
        };
        let customer_stems = self.customer_stems(ctx);
        // The first word of the customer's name (only its first bytes are read).
        let name_key = ctx.customer_name.and_then(|name| {
            let name = &name[..floor_char_boundary(name, MAX_NAME_BYTES)];
            crate::text::tokenize(name).first().map(Token::key)
        });
        // What the index knows of each word, looked up for all of them first (their cache
        // misses overlap).
        let word_stats: Vec<WordStat> = self
            .b
            .tokens
            .iter()
            .map(|t| match t.kind() {
                TokenKind::Word => index.corpus().word(t.key()),
                TokenKind::Slot(_) => Default::default(),
            })
            .collect();
        for (((t, c), &filled), &word) in
            self.b.tokens.iter().zip(cover).zip(filled).zip(&word_stats)
        {
            if !filled && (t.slot() == Some(Slot::Name) || Some(t.key()) == name_key) {
                signals.named = true;
            }
            if !counted(t) || filled {
                continue;
            }
            n.tokens += 1;
            n.cjk_tokens += usize::from(t.is_cjk());
            n.hiragana_tokens += usize::from(t.is_hiragana());
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
                    let echoed = customer_stems.binary_search(&t.stem()).is_ok();
                    n.add_word(t, view.word(t.key(), word), &scale, echoed);
                }
            }
        }
        let (weakest, strongest) = self.sentence_genericness(cover, filled, min_support);
        signals.weakest_sentence = weakest;
        signals.strongest_sentence = strongest;
        n.fill(&mut signals, scale.log_n);
        (signals.answered, signals.ignored) =
            self.answered(view, &scale, ctx.customer_message.is_some());
        signals
    }

    /// The sorted word stems of the customer's message.
    pub(super) fn customer_stems(&mut self, ctx: &Context<'_>) -> Vec<u32> {
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
    pub(super) fn filled_by_macro(&self, macro_cluster: Option<u32>) -> Vec<bool> {
        let mut filled = vec![false; self.b.tokens.len()];
        let Some(macro_cluster) = macro_cluster else {
            return filled;
        };
        let macro_keys = self.index.corpus().cluster_keys(macro_cluster);
        let is_slot = |k: u32| crate::text::is_slot_key(k);
        let mut pairs = Vec::new();
        crate::align::lcs(&self.b.keys, macro_keys, Some(&mut pairs));
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
            boiler += usize::from(c.is_boilerplate(min_support));
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
    /// customer message).
    fn answered(&self, view: &View<'_>, scale: &Scale, given: bool) -> (f64, Option<usize>) {
        let total_replies = scale.total_replies;
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
            let word = view.word(key, self.index.corpus().word(key));
            let idf = (((total_replies + 1) as f64) / ((word.replies() + 1) as f64)).ln();
            all += idf;
            if reply_stems.binary_search(&stem).is_ok() {
                hit += idf;
            } else if is_content(
                &word,
                is_stock(&word, key, scale.language_bit),
                total_replies,
            ) {
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
}
