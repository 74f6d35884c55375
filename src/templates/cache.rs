//! The cache of an index's template families: the one place that decides when they are derived
//! (mined, or counted from saved roots), carried over inserts, dropped, saved and loaded.
//!
//! # Life cycle
//!
//! - **Derived on first use** ([`FamilyCache::get`]): counted from the roots a saved index
//!   carries (no mining), else mined from the corpus; kept until the corpus changes.
//! - **Carried over inserts** ([`FamilyCache::begin_inserts`], then
//!   [`FamilyCache::end_inserts`]): each cluster an insert adds joins a family
//!   (`mine::claim_root`), and the families are updated for the change
//!   (`inserts::families_after_inserts`), so that an insert does not cost a mining of the index.
//! - **Dropped** ([`FamilyCache::clear`]) on every other change (a macro, a merge, new
//!   thresholds do not touch them; a fresh mining is asked for with `Index::remine_templates`).
//! - **Saved and loaded** with the index: the roots of every cluster and the texts of the
//!   templates at the index's own `min_support`, so that a loaded index neither mines nor
//!   renders.

use std::sync::{Arc, OnceLock};

use super::families::{Families, families_from_roots, valid_roots};
use super::inserts::families_after_inserts;
use super::mine::{claim_root, mine};
use super::render::template_text;
use crate::error::Error;
use crate::store::{Column, Corpus, StrArena};
use crate::wire::{Reader, Writer, check};

/// The template families of an index, derived on first use and kept until the next change.
#[derive(Clone, Debug, Default)]
pub(crate) struct FamilyCache {
    /// The families, derived on first use (mined, or counted from `roots`).
    derived: OnceLock<Arc<Families>>,
    /// The family roots `derived` is counted from without mining: read from a saved index, or
    /// carried over inserts.
    roots: Option<Column<u32>>,
    /// The template texts read from a saved index with its roots (by template id - 1), so that
    /// no report renders one.
    texts: Option<Arc<StrArena>>,
}

/// What inserts carry from the families before them to the families after them
/// ([`FamilyCache::begin_inserts`]).
pub(crate) struct Carried {
    families: Option<Families>,
    roots: Option<Column<u32>>,
    replies_before: usize,
    clusters_before: usize,
}

impl FamilyCache {
    /// The families of `corpus` (which this cache belongs to), derived now if they were not yet.
    pub(crate) fn get(&self, corpus: &Corpus) -> Arc<Families> {
        self.derived
            .get_or_init(|| {
                Arc::new(match &self.roots {
                    Some(roots) => {
                        self.with_saved_texts(families_from_roots(corpus, roots.clone()))
                    }
                    None => mine(corpus),
                })
            })
            .clone()
    }

    /// The families if they were derived (for tests).
    #[cfg(test)]
    pub(crate) fn derived(&self) -> Option<&Arc<Families>> {
        self.derived.get()
    }

    /// The roots the families are counted from without mining, if any (for tests).
    #[cfg(test)]
    pub(crate) fn roots(&self) -> Option<&Column<u32>> {
        self.roots.as_ref()
    }

    /// A saved index's texts are its families' (a file whose count does not match, which no save
    /// writes, has them rendered instead).
    fn with_saved_texts(&self, mut families: Families) -> Families {
        if let (Some(saved), Some(roots)) = (&self.texts, &self.roots) {
            if saved.len() == families.texts.len() && roots.shares(&families.root_of) {
                families.saved_texts = Some(saved.clone());
                families.texts = imbl::Vector::new();
            }
        }
        families
    }

    /// Drops the families: the corpus changed otherwise than by an insert.
    pub(crate) fn clear(&mut self) {
        *self = FamilyCache::default();
    }

    /// Takes the families (and their roots) out of the cache before inserts into `corpus`, so
    /// that [`end_inserts`](Self::end_inserts) updates them instead of mining again. Their roots
    /// are taken out of them, so that the clusters added extend the roots in place (when no
    /// other index shares them).
    pub(crate) fn begin_inserts(&mut self, corpus: &Corpus) -> Carried {
        let mut families = self.derived.take().map(Arc::unwrap_or_clone);
        let saved_roots = self.roots.take();
        self.texts = None;
        let roots = match &mut families {
            Some(f) => {
                drop(saved_roots); // the same roots, most often: one holder fewer
                Some(std::mem::take(&mut f.root_of))
            }
            None => saved_roots,
        };
        Carried {
            families,
            roots,
            replies_before: corpus.len(),
            clusters_before: corpus.cluster_count(),
        }
    }

    /// The families after the inserts into `corpus` that began with `carried`: the clusters the
    /// inserts added join a family each (`claim_root`), in order, and the families carried are
    /// updated for them. Nothing was carried (no families were derived yet), nothing is kept.
    pub(crate) fn end_inserts(&mut self, corpus: &Corpus, carried: Carried) {
        let Some(mut roots) = carried.roots else {
            return;
        };
        let clusters = corpus.cluster_count();
        for cluster in roots.len() as u32..clusters as u32 {
            let root = claim_root(corpus, &roots, cluster);
            roots.push(root);
        }
        debug_assert!(valid_roots(&roots, clusters));
        self.roots = Some(roots.clone());
        if let Some(families) = carried.families {
            let updated = families_after_inserts(
                corpus,
                families,
                roots,
                carried.replies_before,
                carried.clusters_before,
            );
            self.derived = OnceLock::from(Arc::new(updated));
        }
    }

    /// Writes the families of `corpus` (mined now if they were not yet) as each cluster's root,
    /// and the texts of their templates at the index's own `min_support` (rendered now if they
    /// were not yet).
    pub(crate) fn save<W: std::io::Write>(&self, corpus: &Corpus, w: &mut Writer<W>) {
        let families = self.get(corpus);
        w.u32s(families.root_of.iter().copied());
        let mut texts = StrArena::default();
        for root in families.chosen(families.config_min_support) {
            texts.push(&template_text(corpus, &families, root));
        }
        texts.save(w);
    }

    /// The family roots (from version 2) and template texts (from version 3) of a file of
    /// `version` for an index of `clusters` clusters, checked to be families of them; before
    /// version 2, an empty cache (the families are mined on first use).
    pub(crate) fn load(r: &mut Reader<'_>, version: u32, clusters: usize) -> Result<Self, Error> {
        if version < 2 {
            return Ok(FamilyCache::default());
        }
        let roots: Column<u32> = r.u32s("the template families")?.into();
        let texts = if version >= 3 {
            Some(StrArena::load(r, "the template texts")?)
        } else {
            None
        };
        check(
            valid_roots(&roots, clusters),
            "the template families do not match the clusters",
        )?;
        Ok(FamilyCache {
            derived: OnceLock::new(),
            roots: Some(roots),
            texts: texts.map(Arc::new),
        })
    }
}
