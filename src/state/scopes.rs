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

use super::State;
use crate::store::{Corpus, NO_GROUP};

/// The key of a scope in the cache: a group of the index, [`NO_GROUP`] for the replies without
/// one, or [`UNKNOWN`] for a group the index does not hold.
pub(crate) type ScopeKey = u64;

/// The key of the scope of a group the index does not hold: the reference replies alone.
const UNKNOWN: ScopeKey = u64::MAX;

/// The key of the scope of the replies without a group (`None`), of a group the index holds
/// (`Some(Some(group))`) or of one it does not (`Some(None)`).
pub(crate) fn scope_key(group: Option<Option<u32>>) -> ScopeKey {
    match group {
        None => ScopeKey::from(NO_GROUP),
        Some(group) => group.map_or(UNKNOWN, ScopeKey::from),
    }
}

/// A scope built, or being built, shared by the clones of an index.
type Slot = Arc<OnceLock<Arc<State>>>;

/// The scopes of an index built so far, by group. Cloning the index shares the scopes built.
#[derive(Default)]
pub(crate) struct Scopes(RwLock<FxHashMap<ScopeKey, Slot>>);

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
    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<ScopeKey, Slot>> {
        // A panic while the lock was held left the map whole (its writers only insert or
        // clear): the poison is ignored.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn map_mut(&mut self) -> &mut FxHashMap<ScopeKey, Slot> {
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
    pub(crate) fn update_each(&mut self, mut change: impl FnMut(&mut State)) {
        for slot in self.map_mut().values_mut() {
            update(slot, &mut change);
        }
    }

    /// Applies `change` to the scope of `group` (an index group or [`NO_GROUP`]), if built.
    pub(crate) fn update_group(&mut self, group: u32, change: impl FnOnce(&mut State)) {
        if let Some(slot) = self.map_mut().get_mut(&ScopeKey::from(group)) {
            let mut change = Some(change);
            update(slot, &mut |index| {
                (change.take().expect("called once"))(index)
            });
        }
    }
}

/// Applies `change` to the scope in `slot`, if built, copying it first when it is shared.
fn update(slot: &mut Slot, change: &mut impl FnMut(&mut State)) {
    if let Some(state) = Arc::get_mut(slot).and_then(OnceLock::get_mut) {
        change(Arc::make_mut(state));
        return;
    }
    if let Some(state) = slot.get() {
        let mut state = state.clone();
        change(Arc::make_mut(&mut state));
        *slot = Arc::new(OnceLock::from(state));
    }
}

impl Scopes {
    /// The scope of `key`, built by `build` (outside the lock: other groups' reports do not
    /// wait for it) if it was not yet.
    pub(crate) fn get_or_build(&self, key: ScopeKey, build: impl FnOnce() -> State) -> Arc<State> {
        let slot = {
            let found = self.read().get(&key).cloned();
            match found {
                Some(slot) => slot,
                None => {
                    let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
                    map.entry(key).or_default().clone()
                }
            }
        };
        slot.get_or_init(|| Arc::new(build())).clone()
    }
}

/// The scope of `key`: the replies of that group and the reference replies of `inner`, added
/// from their token keys in order.
///
/// The index keeps the text of each cluster's first reply only. A cluster first sent by
/// another group takes that text with its slots masked (`<user>`, `<sig>`, ...): the same words
/// as the scope's own reply (the two are identical after masking), nothing of the other
/// group's handles, names, numbers or sign-offs. Every other cluster's text is its own.
pub(crate) fn build(inner: &State, key: ScopeKey) -> State {
    let corpus = inner.corpus();
    let references = corpus.reference_groups();
    let in_scope = |group: u32| references.contains(group) || ScopeKey::from(group) == key;
    let mut scope = State::new(Corpus::for_build(corpus.config().clone()));
    // The vectors come with the replies; the customer messages' statistics are the whole
    // index's (aggregates of vectors, nothing of any message).
    scope.semantic = inner.semantic.as_ref().map(|s| s.with_messages_of());
    #[cfg(feature = "semantic")]
    {
        scope.encoder = inner.encoder.clone();
    }
    for reply in 0..corpus.len() as u32 {
        let group = corpus.reply_group(reply);
        if !in_scope(group) {
            continue;
        }
        let cluster = corpus.reply_cluster(reply);
        let first = corpus.cluster(cluster).first_reply() as usize;
        let mut stored = corpus.stored_reply(reply, references);
        let masked_text;
        if !in_scope(corpus.reply_group(first as u32)) {
            masked_text = masked(stored.text());
            stored = stored.with_text(&masked_text);
        }
        let (scoped, new) = scope.add(stored);
        if let (true, Some(mine), Some(whole)) = (new, &mut scope.semantic, &inner.semantic) {
            mine.copy(scoped as usize, whole, cluster as usize);
        }
    }
    scope.corpus.freeze();
    scope
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
