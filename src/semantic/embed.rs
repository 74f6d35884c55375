//! Embedding for an index: the vectors of the clusters' texts and the statistics of the customer
//! messages, which a build, an insert and an encoder attached to a built index compute.

use super::Encoder;
use crate::store::Corpus;

use super::store::{MessageStats, SemanticStore};
use super::{MIN_MESSAGES, stock_messages};

/// How many cluster texts are embedded in one call (the encoder batches them by length).
const EMBED_CHUNK: usize = 1024;

/// Embeds the texts of the clusters of `corpus` from `from` on whose vectors `store` lacks.
pub(crate) fn embed_clusters(
    corpus: &Corpus,
    store: &mut SemanticStore,
    encoder: &Encoder,
    from: usize,
) {
    let missing: Vec<usize> = (from..corpus.cluster_count())
        .filter(|&c| store.is_missing(c))
        .collect();
    for chunk in missing.chunks(EMBED_CHUNK) {
        let texts: Vec<&str> = chunk
            .iter()
            .map(|&c| corpus.cluster_text(c as u32))
            .collect();
        // An encoder that fails leaves the vectors missing: reports skip them, and the next
        // `set_encoder` fills them in.
        let Ok(vectors) = encoder.embed(&texts) else {
            continue;
        };
        for (&c, v) in chunk.iter().zip(&vectors) {
            store.set(c, v);
        }
    }
}

/// Adds the customer `messages`' vectors to the statistics; with `floor` (at the end of a
/// build, or when an encoder is first attached), the built-in messages' too, kept apart, when
/// the index has fewer than [`MIN_MESSAGES`] of its own.
pub(crate) fn embed_messages(
    store: &mut SemanticStore,
    encoder: &Encoder,
    messages: &[&str],
    floor: bool,
) {
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
            let mut stats = MessageStats::new(store.dimensions);
            for v in &vectors {
                stats.add(v);
            }
            store.set_builtin(stats);
        }
    }
}
