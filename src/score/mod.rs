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
//!
//! # Stages
//!
//! [`Scorer::score`] runs the stages in order, each in its own file, each reading what the ones
//! before found:
//!
//! 1. `view`: the corpus as the report sees it, with a left-out reply taken away once;
//! 2. `cover`: the reply's phrases looked up, and each token's most common phrase;
//! 3. `candidates`: the nearest past replies (counted through `tally`), then the template;
//! 4. `signals`: the measurements of the reply, and `semantic`: a sentence encoder's (with the
//!    `semantic` feature and an encoder attached);
//! 5. `spans`: the boilerplate spans;
//! 6. `model`: the features by name, and the scores.

mod allowed;
mod candidates;
mod context;
mod cover;
mod model;
mod repair;
#[cfg(feature = "semantic")]
mod semantic;
mod signals;
mod spans;
mod tally;
mod view;

pub use allowed::Allowed;
pub use context::Context;

use crate::report::Report;
use crate::state::State;
use crate::store::ShingleStat;
use crate::templates::{Matched, macro_template, template_of_cluster};
use crate::text::shingles::{sequence_key, shingles_of_keys};
use crate::text::{Scratch, Token, capped, tokenize_into};

use context::unscoped;
use tally::Tally;
use view::View;

/// The report on `reply` (see `Index::score`), with the corpus reply of id `exclude_id` left
/// out (`Index::score_excluding`); a context with a group is scored on the group's scope.
pub(crate) fn score(
    state: &State,
    reply: &str,
    context: &Context<'_>,
    exclude_id: Option<&str>,
) -> Report {
    if let Some(allowed) = context.allowed {
        return score_allowing(state, reply, context, exclude_id, allowed);
    }
    if let Some(group) = context.group {
        return score(
            &state.scope(Some(group)),
            reply,
            &unscoped(context),
            exclude_id,
        );
    }
    let exclude = exclude_id.and_then(|id| state.corpus().reply_of_id(id));
    Scorer::new(state).score(reply, context, exclude)
}

/// The report on `reply` without the text `allowed` finds in it (blanked, each byte a space, so
/// that every byte offset stays), its spans cut around that text with the character and UTF-16
/// offsets of `reply`, and the allowed text as its `allowed` spans.
fn score_allowing(
    state: &State,
    reply: &str,
    context: &Context<'_>,
    exclude_id: Option<&str>,
    allowed: &Allowed,
) -> Report {
    let context = Context {
        allowed: None,
        ..*context
    };
    let found = allowed.find(capped(reply).0);
    if found.is_empty() {
        return score(state, reply, &context, exclude_id);
    }
    let blanked = allowed::blank(reply, &found);
    let mut report = score(state, &blanked, &context, exclude_id);
    let conv = crate::report::OffsetConverter::new(reply);
    let spans = std::mem::take(&mut report.spans);
    report.spans = allowed::cut_spans(reply, &conv, spans, &found);
    report.allowed = allowed::allowed_spans(&conv, found);
    report
}

/// The reports on many replies (see `Index::score_batch`), reusing one scorer's buffers.
pub(crate) fn score_batch<'a, I>(state: &State, items: I) -> Vec<Report>
where
    I: IntoIterator<Item = (&'a str, Context<'a>, Option<&'a str>)>,
{
    let mut scorer = Scorer::new(state);
    items
        .into_iter()
        .map(|(reply, ctx, exclude)| match (ctx.group, ctx.allowed) {
            (Some(_), _) | (_, Some(_)) => score(state, reply, &ctx, exclude),
            (None, None) => {
                let exclude = exclude.and_then(|id| state.corpus().reply_of_id(id));
                scorer.score(reply, &ctx, exclude)
            }
        })
        .collect()
}

/// A scorer with buffers reused across replies.
pub(crate) struct Scorer<'i> {
    index: &'i State,
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
    /// The candidate clusters the last report verified, best first.
    verified: Vec<u32>,
}

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

impl<'i> Scorer<'i> {
    pub(crate) fn new(index: &'i State) -> Self {
        Scorer {
            index,
            b: BUFFERS.with(|cell| cell.take()).unwrap_or_default(),
        }
    }

    /// The report on `reply`, with reply `exclude` of the index left out.
    pub(crate) fn score(&mut self, reply: &str, ctx: &Context<'_>, exclude: Option<u32>) -> Report {
        let index = self.index;
        let (reply, truncated) = capped(reply);
        tokenize_into(reply, &mut self.b.scratch, &mut self.b.tokens);

        // 1. The corpus as this report sees it, and the draft's words that a disguise broke
        // put back together against its words.
        let view = View::new(index, exclude, std::mem::take(&mut self.b.excluded_hashes));
        let corpus = index.corpus();
        repair::repair(reply, &mut self.b.tokens, |key| {
            view.word(key, corpus.word(key)).replies()
        });
        let language = ctx
            .language
            .or_else(|| crate::text::language::identify(reply, &self.b.tokens));
        self.b.keys.clear();
        self.b.keys.extend(self.b.tokens.iter().map(Token::key));
        self.b.hashes.clear();
        let n = index.corpus().config().ngram;
        shingles_of_keys(&self.b.keys, n, &mut self.b.hashes);

        // 2. The reply's phrases, each looked up once (a cache miss or two at a million
        // replies: the candidate search reuses the records), and each token's cover.
        let mut found = Vec::with_capacity(self.b.hashes.len());
        index.corpus().shingles_of(&self.b.hashes, &mut found);
        let stats = cover::shingle_stats(&view, &self.b.hashes, &found);
        let cover = cover::cover(&stats, self.b.tokens.len(), n);

        // 3. Exact copies, the nearest replies, and the template.
        let own_cluster = index
            .corpus()
            .cluster_of_sequence(sequence_key(&self.b.keys));
        let copies = own_cluster.map_or(0, |c| {
            view.cluster_count(c, index.corpus().cluster(c).count())
        });
        let (nearest, best) = self.nearest(&view, own_cluster, &found);
        let best_similarity = best.map_or(0.0, |(_, similarity)| similarity);
        // Leave-one-out: the left-out reply does not count in its family's usage. An imported
        // macro the reply instantiates names it first; else the mined family of the nearest
        // past reply.
        let left_out = |root: u32| view.left_out_of_family(root);
        let (corpus, families) = (&index.corpus(), index.families());
        let matched = macro_template(corpus, &families, &self.b.keys, left_out).or_else(|| {
            best.and_then(|(cluster, _)| {
                template_of_cluster(corpus, &families, cluster, &self.b.keys, left_out)
            })
        });
        // Words that fill the placeholders of an imported macro are the macro's, not this
        // customer's: they count for neither score.
        let filled = self.filled_by_macro(matched.as_ref().and_then(Matched::macro_cluster));
        let template = matched.map(Matched::into_template);

        // 4. The signals (the best verified candidate's similarity, listed or not: a report
        // may list no neighbours), and a sentence encoder's if one is attached.
        #[allow(unused_mut)]
        let mut signals = self.signals(
            &view,
            ctx,
            language,
            &cover,
            &filled,
            copies,
            best_similarity,
        );
        #[cfg(feature = "semantic")]
        {
            signals.semantic = self.semantic(&view, reply, ctx);
        }

        // 5. The spans; 6. the scores.
        let spans = self.spans(&view, reply, &cover, &stats);
        let visible = reply
            .chars()
            .any(|c| !c.is_whitespace() && !c.is_control() && !crate::text::is_invisible(c));
        // With no archive reply in the draft's language, the report rests on the stock corpus
        // alone: the models fitted on reports against it.
        let slot = language
            .and_then(crate::text::Language::slot)
            .unwrap_or(crate::text::language::UNKNOWN_SLOT);
        let regime = if view.archive_replies_in_language(slot) == 0 {
            model::Regime::Stock
        } else {
            model::Regime::Archive
        };
        let (canned, personalisation) = model::scores(&signals, visible, regime);
        let mode = if signals.semantic.is_some() {
            crate::report::Mode::Semantic
        } else {
            crate::report::Mode::Lexical
        };
        self.b.excluded_hashes = view.into_buffer();
        // A language with no stock corpus, and nothing of the index like the reply: the scores
        // rest on nothing (see `Verdict::Unjudged`).
        let evidence =
            signals.boilerplate > 0.0 || copies > 0 || best_similarity >= UNJUDGED_SIMILARITY;
        let verdict = match language {
            Some(l) if !l.has_stock() && !evidence => crate::report::Verdict::Unjudged,
            _ => index.corpus().config().verdict(canned, personalisation),
        };
        Report {
            canned,
            personalisation,
            verdict,
            spans,
            nearest,
            template,
            signals,
            truncated,
            mode,
            language,
            allowed: Vec::new(),
        }
    }
}

/// The similarity of the nearest past reply from which a reply in a language with no stock
/// corpus is judged all the same: the index holds replies like it.
const UNJUDGED_SIMILARITY: f64 = 0.5;
