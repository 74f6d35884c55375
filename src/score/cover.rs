//! The reply's phrases looked up in the view of the corpus, and each token's cover: the most
//! common corpus phrase over it.

use crate::store::ShingleStat;
use crate::text::shingles::{shingle_count, shingle_window};

use super::view::View;

/// Per-token evidence gathered from the shingles covering it.
#[derive(Clone, Copy, Default)]
pub(super) struct Cover {
    /// Largest support (replies, stock included) of a shingle covering the token.
    pub(super) support: u32,
    /// Largest archive support (stock replies not counted) of a shingle covering the token.
    pub(super) archive: u32,
    /// Whether a stock shingle covers the token.
    pub(super) stock: bool,
    /// The shingle (position) giving `support`, for the span's example.
    pub(super) shingle: u32,
}

impl Cover {
    /// Whether the token is boilerplate: in a phrase `min_support` archive replies share, or in
    /// a stock phrase.
    pub(super) fn is_boilerplate(&self, min_support: u32) -> bool {
        self.archive >= min_support || self.stock
    }
}

/// The reply's shingles (`hashes`, in order) as the view has them, from the index's records
/// (`found`, looked up once: the candidate search reuses them).
pub(super) fn shingle_stats(
    view: &View<'_>,
    hashes: &[u64],
    found: &[Option<ShingleStat>],
) -> Vec<Option<ShingleStat>> {
    hashes
        .iter()
        .zip(found)
        .map(|(&h, &found)| view.shingle(h, found))
        .collect()
}

/// Each of `tokens` tokens' cover from the shingle records `stats` (of `n`-grams).
pub(super) fn cover(stats: &[Option<ShingleStat>], tokens: usize, n: usize) -> Vec<Cover> {
    let mut cover = vec![Cover::default(); tokens];
    for (pos, stat) in stats.iter().enumerate() {
        let Some(stat) = stat else { continue };
        if stat.replies() == 0 {
            continue;
        }
        let archive = stat.replies().saturating_sub(stat.stock());
        let (first, last) = shingle_window(pos, tokens, n);
        for c in &mut cover[first..=last] {
            if stat.replies() > c.support {
                c.support = stat.replies();
                c.shingle = pos as u32;
            }
            c.archive = c.archive.max(archive);
            c.stock |= stat.stock() > 0;
        }
    }
    debug_assert_eq!(stats.len(), shingle_count(tokens, n));
    cover
}
