//! The boilerplate spans: runs of tokens inside phrases that recur in the corpus or come from
//! the stock corpus, each with its support and an example reply.

use crate::report::{OffsetConverter, Span};
use crate::store::ShingleStat;
use crate::text::Token;
use crate::text::shingles::shingle_window;

use super::Scorer;
use super::cover::Cover;
use super::view::View;

impl Scorer<'_> {
    /// Runs of boilerplate tokens as spans.
    pub(super) fn spans(
        &self,
        view: &View<'_>,
        text: &str,
        cover: &[Cover],
        stats: &[Option<ShingleStat>],
    ) -> Vec<Span> {
        let index = self.index;
        let min_support = index.corpus().config().min_support;
        let is_boiler = |c: &Cover| c.is_boilerplate(min_support);
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
            let n = index.corpus().config().ngram;
            let inside = (start..end.min(stats.len())).filter(|&pos| {
                let (first, last) = shingle_window(pos, self.b.tokens.len(), n);
                first >= start && last < end
            });
            let rarest = inside
                .filter_map(|pos| stats[pos].map(|stat| (stat.replies(), pos as u32)))
                .filter(|&(replies, _)| replies > 0)
                .min()
                .or_else(|| run.iter().map(|c| (c.support, c.shingle)).min())
                .expect("a run has a token");
            let (support, shingle) = rarest;
            let example = stats[shingle as usize].and_then(|stat| {
                index
                    .corpus()
                    .postings_of(&stat)
                    .find(|&c| !view.is_gone(c))
                    .map(|c| index.corpus().id(view.shown_reply(c)).to_string())
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
