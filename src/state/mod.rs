//! The state an index shares between its clones: the corpus store, the template families
//! derived from it, its tenant scopes and its sentence encoder's vectors, and the one place that
//! changes them (every writer, from a build to a merge, goes through [`State::add`]).

pub(crate) mod scopes;

use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::reply::Reply;
use crate::semantic::store::SemanticStore;
use crate::store::{Corpus, NO_GROUP, NewReply, STOCK_GROUP};
use crate::templates::macros::MacroReply;
use crate::templates::{Families, FamilyCache};
use crate::text::{Scratch, Token, tokenize_capped};
use scopes::{Scopes, scope_key};

/// The state of an index: its corpus store, the template families derived from it, its tenant
/// scopes and its sentence encoder's vectors. `Index` is an `Arc` of it.
#[derive(Clone, Debug)]
pub(crate) struct State {
    corpus: Corpus,
    /// The template families, derived from the corpus on first use and carried over inserts.
    templates: FamilyCache,
    /// The tenant scopes built so far (see `Index::scope`).
    scopes: Scopes,
    /// The vectors of the clusters and the customer messages' statistics, when the index was
    /// built with a sentence encoder (a slot for every cluster).
    semantic: Option<SemanticStore>,
    /// The sentence encoder attached, which reports embed the draft and its message with.
    #[cfg(feature = "semantic")]
    encoder: Option<crate::semantic::Encoder>,
}

impl State {
    /// The state of a corpus with no families derived, no scope, and no sentence encoder.
    pub(crate) fn new(corpus: Corpus) -> Self {
        State {
            corpus,
            templates: FamilyCache::default(),
            scopes: Default::default(),
            semantic: None,
            #[cfg(feature = "semantic")]
            encoder: None,
        }
    }

    /// Adds one reply to the corpus: the one path every writer takes. The families mined so far
    /// are dropped (an insert carries them itself: [`FamilyCache::begin_inserts`]), and a
    /// cluster it starts gets a slot in the semantic store (its vector is set by the caller, if
    /// an encoder is attached).
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

    /// The state a file holds: a corpus, the families it carries, the encoder's vectors.
    pub(crate) fn from_parts(
        corpus: Corpus,
        templates: FamilyCache,
        semantic: Option<SemanticStore>,
    ) -> Self {
        State {
            templates,
            semantic,
            ..State::new(corpus)
        }
    }

    /// The corpus store.
    pub(crate) fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    /// The cache of the template families (derived or not).
    pub(crate) fn templates(&self) -> &FamilyCache {
        &self.templates
    }

    /// The sentence encoder's vectors and the customer messages' statistics, if the index was
    /// built with an encoder.
    pub(crate) fn semantic(&self) -> Option<&SemanticStore> {
        self.semantic.as_ref()
    }

    /// The sentence encoder attached, if any.
    #[cfg(feature = "semantic")]
    pub(crate) fn encoder(&self) -> Option<&crate::semantic::Encoder> {
        self.encoder.as_ref()
    }

    /// This state with another corpus (for tests that break one).
    #[cfg(test)]
    pub(crate) fn with_corpus(&self, corpus: Corpus) -> State {
        State {
            corpus,
            ..self.clone()
        }
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
            let mut sum = vec![0.0; store.dimensions()];
            for (c, cluster) in corpus.clusters().enumerate() {
                if corpus.is_reference_cluster(c as u32) {
                    references.push(c as u32);
                } else if !store.is_missing(c) {
                    store.accumulate(c, f64::from(cluster.count()), &mut sum);
                }
            }
            (references, sum)
        });
        (references, sum)
    }
}

// -------------------------------------------------------------------------------------------------
// Changes: each public writer of `Index` is one of these, on a state it owns alone (copied first
// if other clones share it).

impl State {
    /// Adds replies (an insert): to the corpus, to the scope of their group if it was built,
    /// and to the families mined so far, which are carried over the inserts and updated after
    /// them rather than mined again.
    pub(crate) fn extend<'a, I: IntoIterator<Item = Reply<'a>>>(&mut self, replies: I) {
        if self.scopes.is_empty() {
            self.extend_unscoped(replies);
        } else {
            // The scopes built see the replies of their group too.
            let replies: Vec<Reply<'a>> = replies.into_iter().collect();
            self.extend_unscoped(replies.iter().copied());
            self.update_scopes(&replies);
        }
    }

    /// Adds replies to this state alone (not to its scopes).
    fn extend_unscoped<'a, I: IntoIterator<Item = Reply<'a>>>(&mut self, replies: I) {
        let carried = self.templates.begin_inserts(&self.corpus);
        #[cfg(feature = "semantic")]
        let clusters_before = self.corpus.cluster_count();
        let mut scratch = Scratch::default();
        let mut tokens = Vec::new();
        #[cfg(feature = "semantic")]
        let mut messages: Vec<String> = Vec::new();
        for reply in replies {
            #[cfg(feature = "semantic")]
            if let (Some(_), Some(_), Some(message)) =
                (&self.encoder, &self.semantic, reply.message)
            {
                messages.push(crate::text::capped(message).0.to_string());
            }
            tokenize_capped(reply.text, &mut scratch, &mut tokens);
            let keys: Vec<u32> = tokens.iter().map(Token::key).collect();
            self.add(NewReply::of(&reply, &keys));
        }
        self.corpus.settle();
        // The new replies' vectors and their customer messages', with an encoder attached.
        #[cfg(feature = "semantic")]
        if let (Some(encoder), Some(store)) = (&self.encoder, &mut self.semantic) {
            crate::semantic::embed_clusters(&self.corpus, store, encoder, clusters_before);
            let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
            crate::semantic::embed_messages(store, encoder, &messages, false);
        }
        self.templates.end_inserts(&self.corpus, carried);
    }

    /// Brings the scopes built up to date with `replies`, just added to this state.
    fn update_scopes(&mut self, replies: &[Reply<'_>]) {
        for reply in replies {
            let group = match reply.group {
                None => NO_GROUP,
                Some(name) => match self.corpus.group_of_name(name) {
                    Some(g) => g,
                    None => continue,
                },
            };
            (self.scopes).update_group(group, |scope| scope.extend(std::iter::once(*reply)));
        }
    }

    /// Adds a helpdesk macro (see `Index::add_macro`), to every scope built too.
    pub(crate) fn add_macro(&mut self, name: &str, text: &str) {
        let reply = MacroReply::new(name, text);
        self.add(reply.as_new_reply());
        self.corpus.settle();
        self.scopes.update_each(|scope| scope.add_macro(name, text));
    }

    /// Sets the verdict thresholds (already clamped), of every scope built too.
    pub(crate) fn set_thresholds(&mut self, canned_at: f64, personal_at: f64) {
        self.corpus.set_thresholds(canned_at, personal_at);
        (self.scopes).update_each(|scope| scope.set_thresholds(canned_at, personal_at));
    }

    /// Drops the families (mined afresh on next use) and the scopes built.
    pub(crate) fn remine(&mut self) {
        self.templates.clear();
        self.scopes.clear();
    }

    /// Whether `other` can merge into this state: the same shingle size, both with the stock
    /// corpus or both without, and the same sentence encoder's vectors or none.
    pub(crate) fn check_merge(&self, other: &State) -> Result<(), Error> {
        let (mine, theirs) = (self.corpus.config(), other.corpus.config());
        let why = if mine.ngram != theirs.ngram {
            format!(
                "cannot merge indexes of {}-grams and {}-grams",
                mine.ngram, theirs.ngram
            )
        } else if mine.stock_corpus != theirs.stock_corpus {
            let with = |yes: bool| if yes { "with" } else { "without" };
            format!(
                "cannot merge an index built {} the stock corpus into one built {} it",
                with(theirs.stock_corpus),
                with(mine.stock_corpus)
            )
        } else if let Some(why) =
            SemanticStore::mismatch(self.semantic.as_ref(), other.semantic.as_ref())
        {
            why
        } else {
            return Ok(());
        };
        Err(Error::new(ErrorKind::InvalidInput, why))
    }

    /// Merges `other`'s replies after this state's own (see `Index::merge`, which checks them
    /// with [`check_merge`](Self::check_merge) first, before it copies a shared state); the
    /// stock corpus is taken once.
    pub(crate) fn merge(&mut self, other: &State) {
        debug_assert!(self.check_merge(other).is_ok(), "merged unchecked");
        let skip_stock = self.corpus.config().stock_corpus;
        let o = other;
        // The shingles of both are counted at once at the end (cheaper than one at a time).
        self.corpus.defer_shingles();
        let stock_group = o.corpus.group_of_name(STOCK_GROUP);
        let references = o.corpus.reference_groups();
        for reply in 0..o.corpus.len() as u32 {
            let group = o.corpus.reply_group(reply);
            if skip_stock && group != NO_GROUP && Some(group) == stock_group {
                continue;
            }
            let (merged, new) = self.add(o.corpus.stored_reply(reply, references));
            if let (true, Some(mine), Some(theirs)) = (new, &mut self.semantic, &o.semantic) {
                let cluster = o.corpus.reply_cluster(reply);
                mine.copy(merged as usize, theirs, cluster as usize);
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut self.semantic, &o.semantic) {
            mine.merge_messages(theirs);
        }
        self.corpus.add_truncated(o.corpus.truncated());
        self.scopes.clear();
        self.corpus.freeze();
    }

    /// The end of a build: the lookup tables sorted.
    pub(crate) fn finish_build(&mut self) {
        self.corpus.freeze();
    }

    /// The end of a build with an encoder: every cluster's vector, and the statistics of
    /// `messages` (the build's first customer messages).
    #[cfg(feature = "semantic")]
    pub(crate) fn embed_build(&mut self, encoder: &crate::semantic::Encoder, messages: &[String]) {
        let mut store = empty_store(&self.corpus, encoder);
        crate::semantic::embed_clusters(&self.corpus, &mut store, encoder, 0);
        let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
        crate::semantic::embed_messages(&mut store, encoder, &messages, true);
        self.semantic = Some(store);
        self.encoder = Some(encoder.clone());
    }

    /// Attaches a sentence encoder (see `Index::set_encoder`).
    #[cfg(feature = "semantic")]
    pub(crate) fn set_encoder(&mut self, encoder: crate::semantic::Encoder) -> Result<(), Error> {
        if let Some(store) = &self.semantic {
            if store.fingerprint() != encoder.fingerprint() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "the index was built with the model {:?}, not with {:?} (another model's vectors do not compare)",
                        store.model(),
                        encoder.name()
                    ),
                ));
            }
        }
        let fresh = self.semantic.is_none();
        let store = (self.semantic).get_or_insert_with(|| empty_store(&self.corpus, &encoder));
        crate::semantic::embed_clusters(&self.corpus, store, &encoder, 0);
        if fresh {
            crate::semantic::embed_messages(store, &encoder, &[], true);
        }
        self.encoder = Some(encoder);
        // The scopes built are built again, with the vectors.
        self.scopes.clear();
        Ok(())
    }

    /// The state of `group` alone (see `Index::scope`), built on first use and kept.
    pub(crate) fn scope(&self, group: Option<&str>) -> Arc<State> {
        let key = scope_key(group.map(|name| self.corpus.group_of_name(name)));
        self.scopes.get_or_build(key, || scopes::build(self, key))
    }
}

/// A store for `encoder`'s vectors with a slot, still empty, for every cluster of `corpus`.
#[cfg(feature = "semantic")]
fn empty_store(corpus: &Corpus, encoder: &crate::semantic::Encoder) -> SemanticStore {
    let mut store = SemanticStore::new(encoder.name(), encoder.fingerprint(), encoder.dimensions());
    for _ in 0..corpus.cluster_count() {
        store.push(None);
    }
    store
}
