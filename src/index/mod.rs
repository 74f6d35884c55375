//! The index: the public face of a corpus of past replies, [`Index`], with the builder and the
//! writer that make one (`builder`).
//!
//! # Design, and why
//!
//! `Index` is an [`Arc`] of the state (`crate::state`), and every public method here is a short
//! delegation: to the state for changes, to `crate::score` for reports, to `crate::templates` for
//! templates, to `crate::persist` for files. The corpus store, its tables and their design are
//! `crate::store`'s; candidate search is `crate::score`'s.
//!
//! The index is immutable behind the [`Arc`]: cloning is cheap and a clone can be shared across
//! threads. [`Index::insert`] copies what it changes if another clone still shares it
//! (copy-on-write: the tables are shared in chunks, so that is a few chunks and map nodes, not
//! the index), so readers never see a half-inserted reply.

mod builder;

use std::path::Path;
use std::sync::Arc;

pub use crate::config::Config;
use crate::config::unit_or;
use crate::error::Error;
pub use crate::reply::Reply;
use crate::report::Report;
use crate::score::Context;
use crate::state::State;
pub use crate::store::STOCK_GROUP;
use crate::templates::Template;
pub use builder::{IndexBuilder, IndexWriter};

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
    inner: Arc<State>,
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
            .field("clusters", &self.inner.corpus().cluster_count())
            .field("shingles", &self.inner.corpus().shingle_count())
            .field("config", self.inner.corpus().config())
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
        self.inner.corpus().config()
    }

    /// The number of replies in the index, stock replies included.
    ///
    /// ```
    /// let index = cannery::Index::builder().stock_corpus(false)
    ///     .build([cannery::Reply::new("1", "Hi")]);
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.corpus().len()
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
        self.inner.corpus().cluster_count()
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
        let config = self.inner.corpus().config();
        let (canned_at, personal_at) = (
            unit_or(canned_at, config.canned_at),
            unit_or(personal_at, config.personal_at),
        );
        if (canned_at, personal_at) != (config.canned_at, config.personal_at) {
            Arc::make_mut(&mut self.inner).set_thresholds(canned_at, personal_at);
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
        self.inner.corpus().truncated()
    }

    /// Whether a reply with this id is in the index.
    ///
    /// ```
    /// assert!(cannery::Index::stock().contains_id("stock:1"));
    /// ```
    pub fn contains_id(&self, id: &str) -> bool {
        self.inner.corpus().reply_of_id(id).is_some()
    }

    /// Adds a reply. Other clones (readers' snapshots) keep seeing the index as it was: the
    /// tables are shared in chunks, and the insert copies only the chunks and map nodes it
    /// changes (at a million replies, an insert with a snapshot alive takes 29 to 343 µs, one
    /// with none 20 to 422 µs; the README shows a writer and its readers). Now and then an
    /// insert folds the changes since the last fold into a table, which costs what a build of
    /// that table does.
    ///
    /// The template families mined so far stay: the reply joins its masked copies' family, or,
    /// if it has none, the family of the first root (most replies first) that the test of mining
    /// accepts it under (or of a similar member that does), or starts a family of its own; the
    /// families' counts, ranks and texts are updated for it. So an insert and the report after
    /// it cost a fraction of a millisecond, not a mining of the whole index (at a million
    /// replies, 20 to 422 µs, against 1.9 s when inserts dropped the families; the first insert
    /// after a load, 1.0 to 2.2 ms). A fresh build of the same replies mines them from scratch and
    /// may group a few of them otherwise (on 100,000 re-sent replies, grouping accuracy 0.856
    /// with the last tenth inserted one at a time, 0.833 with the last half, against 0.861 for
    /// mining them all; the README's templates section);
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
        Arc::make_mut(&mut self.inner).extend(replies);
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
        Arc::make_mut(&mut self.inner).remine();
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
    pub fn merge(&mut self, other: &Index) -> Result<(), Error> {
        self.inner.check_merge(&other.inner)?;
        Arc::make_mut(&mut self.inner).merge(&other.inner);
        Ok(())
    }

    /// The ids of the replies in the index, in insertion order.
    ///
    /// ```
    /// let index = cannery::Index::stock();
    /// assert_eq!(index.ids().next(), Some("stock:1"));
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(move |i| self.inner.corpus().id(i))
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
            self.inner.corpus(),
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
        crate::templates::templates(self.inner.corpus(), &self.inner.families(), min_support)
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
        Arc::make_mut(&mut self.inner).add_macro(name, text);
    }

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
        crate::score::score(&self.inner, reply, context, None)
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
        crate::score::score(&self.inner, reply, context, Some(exclude_id))
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
        crate::score::score_batch(&self.inner, items)
    }

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
        Index {
            inner: self.inner.scope(group),
        }
    }

    /// The index in the binary format described in the [`persist`](crate::persist) module.
    ///
    /// ```
    /// let bytes = cannery::Index::stock().to_bytes();
    /// assert_eq!(&bytes[..7], b"CANNERY");
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::persist::to_bytes(&self.inner)
    }

    /// Reads an index from the bytes of [`to_bytes`](Self::to_bytes).
    ///
    /// ```
    /// use cannery::{Index, ErrorKind};
    /// let mut bytes = Index::stock().to_bytes();
    /// let last = bytes.len() - 20;
    /// bytes[last] ^= 1; // flip a bit
    /// assert_eq!(Index::from_bytes(&bytes).unwrap_err().kind(), ErrorKind::Corrupt);
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, Error> {
        crate::persist::from_bytes(bytes).map(Index::of)
    }

    /// Saves the index to `path` atomically: it writes `path` with a temporary suffix
    /// (`.tmp-` and the process id), syncs it, then renames it over `path`.
    ///
    /// A save that was killed before its rename leaves its temporary file behind; the next
    /// save to the same `path` removes such files when the process that wrote them is gone
    /// (on Linux, where `/proc` tells; elsewhere, when they were last written more than an
    /// hour ago), so they never pile up.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("cannery-doc-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("stock.cannery");
    /// // What a save killed by a process long gone left behind.
    /// std::fs::write(dir.join("stock.cannery.tmp-4194305"), b"half an index").unwrap();
    /// cannery::Index::stock().save(&path).unwrap();
    /// assert_eq!(cannery::Index::load(&path).unwrap().len(), cannery::Index::stock().len());
    /// if cfg!(target_os = "linux") {
    ///     assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1); // the stale file is gone
    /// }
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        crate::persist::save(&self.inner, path.as_ref())
    }

    /// Loads an index saved by [`save`](Self::save).
    ///
    /// The file is read twice through a small buffer, never whole: once to check its checksum,
    /// then to decode it (hashed again on the way, so that a file changed in between is an
    /// error too). The same file loads as [`from_bytes`](Self::from_bytes) of its bytes does,
    /// and fails with the same kind of error.
    ///
    /// ```
    /// use cannery::{Index, ErrorKind};
    /// assert_eq!(Index::load("/nonexistent/x.cannery").unwrap_err().kind(), ErrorKind::Io);
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Index, Error> {
        crate::persist::load(path.as_ref()).map(Index::of)
    }

    /// Attaches a sentence encoder, so that reports add the semantic signals. An index built
    /// with the same model (a loaded one, say) keeps its vectors and only fills in those of
    /// replies inserted while no encoder was attached; an index built without one embeds every
    /// distinct reply now (about 8 ms each on two cores) and takes the built-in customer
    /// messages for its statistics. Fails with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), changing nothing, when the
    /// index was built with another model. If other clones share the index's tables, they are
    /// copied first.
    ///
    /// ```no_run
    /// use cannery::{Context, Encoder, Index, Mode};
    /// let mut index = Index::load("acme.cannery").unwrap();
    /// index.set_encoder(Encoder::load("models/all-MiniLM-L6-v2").unwrap()).unwrap();
    /// let report = index.score("Sorry for the wait!", &Context::new().message("where is it??"));
    /// assert_eq!(report.mode, Mode::Semantic);
    /// ```
    #[cfg(feature = "semantic")]
    pub fn set_encoder(&mut self, encoder: crate::semantic::Encoder) -> Result<(), Error> {
        Arc::make_mut(&mut self.inner).set_encoder(encoder)
    }

    /// The sentence encoder attached, if any.
    ///
    /// ```
    /// assert!(cannery::Index::stock().encoder().is_none());
    /// ```
    #[cfg(feature = "semantic")]
    pub fn encoder(&self) -> Option<&crate::semantic::Encoder> {
        self.inner.encoder()
    }

    /// The name of the sentence encoder the index keeps vectors of, if it was built with one
    /// (whether or not an encoder is attached now).
    ///
    /// ```
    /// assert_eq!(cannery::Index::stock().semantic_model(), None);
    /// ```
    pub fn semantic_model(&self) -> Option<&str> {
        self.inner.semantic().map(|s| s.model())
    }

    /// The state of the index (for tests of other modules).
    #[cfg(test)]
    pub(crate) fn state(&self) -> &State {
        &self.inner
    }

    /// The index of a state.
    pub(crate) fn of(state: State) -> Index {
        Index {
            inner: Arc::new(state),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Index {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Index {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl<'de> serde::de::Visitor<'de> for BytesVisitor {
            type Value = Index;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the bytes of a cannery index")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Index, E> {
                Index::from_bytes(v).map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Index, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Index::from_bytes(&bytes).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_bytes(BytesVisitor)
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
        assert_eq!(index.inner.corpus().cluster(0).count(), 2);
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
        let (a, whole) = (&a.inner.corpus(), &whole.inner.corpus());
        assert_eq!(a.len(), whole.len());
        for reply in 0..a.len() as u32 {
            assert_eq!(a.id(reply), whole.id(reply));
        }
        assert!(a.replies().eq(whole.replies()));
        assert!(a.clusters().eq(whole.clusters()));
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
    fn snapshots_keep_what_they_saw_while_the_writer_inserts() {
        // Readers' clones taken between inserts (and across the folds that the inserts
        // trigger: thousands of new shingles, words and clusters) save the bytes and give the
        // reports they gave when taken; the writer ends where it would with no reader.
        let words = [
            "parcel", "refund", "order", "depot", "voucher", "Leeds", "Friday", "late",
        ];
        let rows: Vec<(String, String)> = (0..1_500usize)
            .map(|i| {
                let text = format!(
                    "Your {} from {} is {} {} {}.",
                    words[i % 8],
                    words[(i / 8) % 8],
                    words[(i / 64) % 8],
                    words[(i / 3) % 8],
                    if i % 5 == 0 { "again" } else { "now" },
                );
                (format!("r{i}"), text)
            })
            .collect();
        let replies = |range: std::ops::Range<usize>| {
            rows[range]
                .iter()
                .map(|(id, t)| Reply::new(id, t))
                .collect::<Vec<_>>()
        };
        let mut writer = Index::builder().build(replies(0..300));
        let draft = "Your refund from Leeds is late now.";
        let ctx = Context::new();
        writer.templates(1); // derived, so that inserts carry the families
        let mut snapshots = Vec::new();
        for (k, reply) in replies(300..rows.len()).into_iter().enumerate() {
            if k % 150 == 0 {
                let snapshot = writer.clone();
                let seen = (snapshot.to_bytes(), snapshot.score(draft, &ctx));
                snapshots.push((snapshot, seen));
            }
            writer.insert(reply);
        }
        assert_eq!(snapshots.len(), 8);
        for (snapshot, (bytes, report)) in &snapshots {
            assert!(&snapshot.to_bytes() == bytes, "a snapshot's bytes");
            assert_eq!(&snapshot.score(draft, &ctx), report);
        }
        // The same inserts with no reader alive end in the same index.
        let mut alone = Index::builder().build(replies(0..300));
        alone.templates(1);
        for reply in replies(300..rows.len()) {
            alone.insert(reply);
        }
        assert!(writer.to_bytes() == alone.to_bytes(), "the writer's bytes");
        assert_eq!(writer.score(draft, &ctx), alone.score(draft, &ctx));
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
        let corpus = &index.inner.corpus();
        crate::text::shingles::shingles_of_keys(&corpus.cluster_keys(0)[..3], 3, &mut hashes);
        let mut stats = Vec::new();
        corpus.shingles_of(&hashes[..1], &mut stats);
        let stat = stats[0].unwrap();
        assert_eq!(stat.replies(), 50);
        assert_eq!(stat.clusters(), 50);
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
