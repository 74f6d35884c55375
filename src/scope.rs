//! Tenant scopes: the view of an index that holds one group's replies and the reference replies
//! (the stock corpus and imported macros) alone, so that a brand sharing an index with others
//! is scored as if the index were its own.
//!
//! # Design, and why
//!
//! A helpdesk that serves many brands from one index must not score a brand's draft against
//! another brand's replies: the other brand's phrases would count as boilerplate, and its replies
//! would show as the nearest past reply, text and id included. Filtering the candidates at query
//! time is not enough, because every count behind a score (how many replies share a phrase, how
//! common a word is, how many copies a reply has, the families of the templates) is a count over
//! the whole corpus. So a scope is a real index of the group's replies and the reference replies,
//! in the order the whole index holds them, built from their stored token keys (no tokenizing,
//! as a merge does) on the first report that asks for it and kept: the same bytes as an index
//! built from those replies alone.
//!
//! The scopes are cached inside the index, one for each group asked for (and one for a group the
//! index has never seen, which holds the reference replies alone), and kept up to date: an insert
//! adds the reply to the scope of its group if that scope was built, an imported macro and new
//! verdict thresholds go to every scope built, and a merge or a fresh mining drops them (they are
//! built again on use). A saved index does not carry them.

use std::sync::{Arc, OnceLock, RwLock};

use rustc_hash::FxHashMap;

use crate::index::{Index, Inner, Reply};
use crate::store::{Corpus, NO_GROUP};

/// The key of a scope in the cache: a group of the index, [`NO_GROUP`] for the replies without
/// one, or [`UNKNOWN`] for a group the index does not hold.
type ScopeKey = u64;

/// The key of the scope of a group the index does not hold: the reference replies alone.
const UNKNOWN: ScopeKey = u64::MAX;

/// The scopes of an index built so far, by group. Cloning the index shares the scopes built.
#[derive(Default)]
pub(crate) struct Scopes(RwLock<FxHashMap<ScopeKey, Arc<OnceLock<Index>>>>);

impl Clone for Scopes {
    fn clone(&self) -> Self {
        Scopes(RwLock::new(self.read().clone()))
    }
}

impl std::fmt::Debug for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scopes")
            .field("built", &self.read().len())
            .finish()
    }
}

impl Scopes {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<ScopeKey, Arc<OnceLock<Index>>>> {
        // A panic while the lock was held left the map whole (its writers only insert or
        // clear): the poison is ignored.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn map_mut(&mut self) -> &mut FxHashMap<ScopeKey, Arc<OnceLock<Index>>> {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether no scope was asked for yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Drops every scope built (they are built again on use).
    pub(crate) fn clear(&mut self) {
        self.map_mut().clear();
    }

    /// Applies `change` to every scope built. A scope that other indexes share (clones of this
    /// one made before the change) is copied first, so that they keep seeing it as it was.
    pub(crate) fn update_each(&mut self, mut change: impl FnMut(&mut Index)) {
        for slot in self.map_mut().values_mut() {
            update(slot, &mut change);
        }
    }

    /// Applies `change` to the scope of `group` (an index group or [`NO_GROUP`]), if built.
    fn update_group(&mut self, group: u32, change: impl FnOnce(&mut Index)) {
        if let Some(slot) = self.map_mut().get_mut(&ScopeKey::from(group)) {
            let mut change = Some(change);
            update(slot, &mut |index| {
                (change.take().expect("called once"))(index)
            });
        }
    }
}

/// Applies `change` to the scope in `slot`, if built, copying it first when it is shared.
fn update(slot: &mut Arc<OnceLock<Index>>, change: &mut impl FnMut(&mut Index)) {
    if let Some(index) = Arc::get_mut(slot).and_then(OnceLock::get_mut) {
        change(index);
        return;
    }
    if let Some(index) = slot.get() {
        let mut index = index.clone();
        change(&mut index);
        *slot = Arc::new(OnceLock::from(index));
    }
}

impl Index {
    /// The index as `group` alone sees it: the replies of `group` (of no group, for `None`) and
    /// the reference replies (the stock corpus and imported macros), in this index's order and
    /// with its settings. A group the index does not hold gets the reference replies alone.
    ///
    /// Reports on the scope use nothing of the other groups: not their phrases' counts, not
    /// their words, not their replies as neighbours, examples or templates. The scope is the
    /// same, byte for byte, as an index built from those replies alone, but that a reply whose
    /// masked copy another group sent first shows as that copy with its slots masked (the index
    /// keeps one text for such copies). It is built on first
    /// use (from the stored token keys, at about half the cost of a build of its replies) and
    /// kept in this index, which keeps it up to date as replies are inserted; cloning the scope
    /// is cheap. [`Context::group`](crate::Context::group) scores through it.
    ///
    /// ```
    /// use cannery::{Index, Reply, Context};
    /// let index = Index::builder().build([
    ///     Reply::new("a1", "Our Leeds store reopens on Monday after the flood.").group("Acme"),
    ///     Reply::new("g1", "Your Globex router needs the 4.2 firmware update.").group("Globex"),
    /// ]);
    /// let acme = index.scope(Some("Acme"));
    /// assert!(acme.contains_id("a1") && !acme.contains_id("g1"));
    /// let draft = "Your Globex router needs the 4.2 firmware update.";
    /// let report = acme.score(draft, &Context::new());
    /// assert!(report.nearest.iter().all(|n| n.id != "g1"));
    /// assert_eq!(report, index.score(draft, &Context::new().group("Acme")));
    /// ```
    pub fn scope(&self, group: Option<&str>) -> Index {
        let inner = &self.inner;
        let key = match group {
            None => ScopeKey::from(NO_GROUP),
            Some(name) => inner
                .corpus
                .group_of_name(name)
                .map_or(UNKNOWN, ScopeKey::from),
        };
        let slot = {
            let found = inner.scopes.read().get(&key).cloned();
            match found {
                Some(slot) => slot,
                None => {
                    let mut map = inner.scopes.0.write().unwrap_or_else(|e| e.into_inner());
                    map.entry(key).or_default().clone()
                }
            }
        };
        // Built outside the lock: other groups' reports do not wait for it.
        slot.get_or_init(|| build(inner, key)).clone()
    }

    /// Brings the scopes built up to date with `replies`, just added to this index.
    pub(crate) fn update_scopes(&mut self, replies: &[Reply<'_>]) {
        let inner = Arc::make_mut(&mut self.inner);
        for reply in replies {
            let group = match reply.group {
                None => NO_GROUP,
                Some(name) => match inner.corpus.group_of_name(name) {
                    Some(g) => g,
                    None => continue,
                },
            };
            inner
                .scopes
                .update_group(group, |scope| scope.extend(std::iter::once(*reply)));
        }
    }
}

/// The scope of `key`: the replies of that group and the reference replies of `inner`, added
/// from their token keys in order.
///
/// The index keeps the text of each cluster's first reply only. A cluster first sent by
/// another group takes that text with its slots masked (`<user>`, `<sig>`, ...): the same words
/// as the scope's own reply (the two are identical after masking), nothing of the other
/// group's handles, names, numbers or sign-offs. Every other cluster's text is its own.
fn build(inner: &Inner, key: ScopeKey) -> Index {
    let corpus = &inner.corpus;
    let references = corpus.reference_groups();
    let in_scope = |group: u32| references.contains(group) || ScopeKey::from(group) == key;
    let mut scope = Inner::new(Corpus::for_build(corpus.config().clone()));
    // The vectors come with the replies; the customer messages' statistics are the whole
    // index's (aggregates of vectors, nothing of any message).
    scope.semantic = inner.semantic.as_ref().map(|s| s.with_messages_of());
    #[cfg(feature = "semantic")]
    {
        scope.encoder = inner.encoder.clone();
    }
    for reply in 0..corpus.len() as u32 {
        let group = corpus.reply_groups()[reply as usize];
        if !in_scope(group) {
            continue;
        }
        let cluster = corpus.reply_clusters()[reply as usize];
        let first = corpus.clusters()[cluster as usize].first_reply as usize;
        let mut stored = corpus.stored_reply(reply, references);
        let masked_text;
        if !in_scope(corpus.reply_groups()[first]) {
            masked_text = masked(stored.text);
            stored.text = &masked_text;
        }
        let (scoped, new) = scope.add(stored);
        if let (true, Some(mine), Some(whole)) = (new, &mut scope.semantic, &inner.semantic) {
            mine.copy(scoped as usize, whole, cluster as usize);
        }
    }
    scope.corpus.freeze();
    Index {
        inner: Arc::new(scope),
    }
}

/// `text` with each slot (handle, link, number, name, sign-off, ...) as its placeholder.
fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for token in crate::text::tokenize(text) {
        if let Some(slot) = token.slot() {
            out.push_str(&text[at..token.range().start]);
            out.push_str(slot.placeholder());
            at = token.range().end;
        }
    }
    out.push_str(&text[at..]);
    out
}
