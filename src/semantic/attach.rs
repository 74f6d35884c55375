//! An encoder with an index: given to a build, attached to a built index, and the vectors it
//! makes for the clusters and the customer messages.

use crate::error::{Error, ErrorKind};
use crate::index::Inner;
use crate::{Encoder, Index, IndexBuilder};

use super::store::SemanticStore;
use super::{stock_messages, MIN_MESSAGES};

/// How many cluster texts are embedded in one call (the encoder batches them by length).
const EMBED_CHUNK: usize = 1024;

impl IndexBuilder {
    /// Builds the index with a sentence encoder: each distinct reply's vector and the
    /// statistics of the customer messages ([`Reply::message`](crate::Reply::message)) are
    /// kept, and reports add the semantic signals (see [`Encoder`]). A build embeds every
    /// distinct reply once, at [`finish`](crate::IndexWriter::finish): about 8 ms a reply on two
    /// cores with all-MiniLM-L6-v2.
    ///
    /// ```no_run
    /// use cannery::{Encoder, Index, Reply};
    /// let encoder = Encoder::load("models/all-MiniLM-L6-v2").unwrap();
    /// let index = Index::builder()
    ///     .encoder(encoder)
    ///     .build([Reply::new("1", "Please DM us your order number.").message("where is my order")]);
    /// assert_eq!(index.semantic_model(), Some("nreimers/MiniLM-L6-H384-uncased"));
    /// ```
    pub fn encoder(&mut self, encoder: Encoder) -> &mut Self {
        self.encoder = Some(encoder);
        self
    }
}

impl Index {
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
    pub fn set_encoder(&mut self, encoder: Encoder) -> Result<(), Error> {
        if let Some(store) = &self.inner.semantic {
            if store.fingerprint != encoder.fingerprint() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "the index was built with the model {:?}, not with {:?} (another model's vectors do not compare)",
                        store.model,
                        encoder.name()
                    ),
                ));
            }
        }
        let inner = std::sync::Arc::make_mut(&mut self.inner);
        let fresh = inner.semantic.is_none();
        if fresh {
            let mut store =
                SemanticStore::new(encoder.name(), encoder.fingerprint(), encoder.dimensions());
            for _ in 0..inner.corpus.cluster_count() {
                store.push(None);
            }
            inner.semantic = Some(store);
        }
        embed_clusters(inner, &encoder, 0);
        if fresh {
            embed_messages(inner, &encoder, &[], true);
        }
        inner.encoder = Some(encoder);
        // The scopes built are built again, with the vectors.
        inner.scopes.clear();
        Ok(())
    }

    /// The sentence encoder attached, if any.
    pub fn encoder(&self) -> Option<&Encoder> {
        self.inner.encoder.as_ref()
    }
}

/// Embeds the texts of the clusters from `from` on whose vectors are missing.
pub(crate) fn embed_clusters(inner: &mut Inner, encoder: &Encoder, from: usize) {
    let Some(store) = &inner.semantic else {
        return;
    };
    let missing: Vec<usize> = (from..inner.corpus.cluster_count())
        .filter(|&c| store.is_missing(c))
        .collect();
    for chunk in missing.chunks(EMBED_CHUNK) {
        let texts: Vec<&str> = chunk
            .iter()
            .map(|&c| inner.corpus.cluster_text(c as u32))
            .collect();
        // An encoder that fails leaves the vectors missing: reports skip them, and the next
        // `set_encoder` fills them in.
        let Ok(vectors) = encoder.embed(&texts) else {
            continue;
        };
        let store = inner.semantic.as_mut().expect("checked above");
        for (&c, v) in chunk.iter().zip(&vectors) {
            store.set(c, v);
        }
    }
}

/// Adds the customer `messages`' vectors to the statistics; with `floor` (at the end of a
/// build, or when an encoder is first attached), the built-in messages' too, kept apart, when
/// the index has fewer than [`MIN_MESSAGES`] of its own.
pub(crate) fn embed_messages(inner: &mut Inner, encoder: &Encoder, messages: &[&str], floor: bool) {
    let Some(store) = inner.semantic.as_mut() else {
        return;
    };
    if !messages.is_empty() {
        if let Ok(vectors) = encoder.embed(messages) {
            for v in &vectors {
                store.add_message(v);
            }
        }
    }
    if floor && store.builtin.is_none() && store.messages.count < MIN_MESSAGES {
        let builtin: Vec<&str> = stock_messages().collect();
        if let Ok(vectors) = encoder.embed(&builtin) {
            let mut stats = super::store::MessageStats::new(store.dimensions);
            for v in &vectors {
                stats.add(v);
            }
            store.set_builtin(stats);
        }
    }
}

/// The end of a build with an encoder: the store, every cluster's vector, and the statistics
/// of `messages` (the build's first customer messages).
pub(crate) fn finish_build(inner: &mut Inner, encoder: &Encoder, messages: &[String]) {
    let mut store = SemanticStore::new(encoder.name(), encoder.fingerprint(), encoder.dimensions());
    for _ in 0..inner.corpus.cluster_count() {
        store.push(None);
    }
    inner.semantic = Some(store);
    embed_clusters(inner, encoder, 0);
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    embed_messages(inner, encoder, &messages, true);
    inner.encoder = Some(encoder.clone());
}
