//! The semantic signals: the reply and the customer's message embedded by the index's sentence
//! encoder, and compared with the message statistics and the stored vectors of the nearest
//! past replies, the reference replies and the archive.

use crate::report::SemanticSignals;
use crate::text::capped;

use super::Scorer;
use super::context::Context;
use super::view::View;

impl Scorer<'_> {
    /// The semantic signals of `reply`, when the index has an encoder and vectors (`None`
    /// otherwise, or when the encoder fails: the report is then lexical).
    pub(super) fn semantic(
        &self,
        view: &View<'_>,
        reply: &str,
        ctx: &Context<'_>,
    ) -> Option<SemanticSignals> {
        let index = self.index;
        let (encoder, store) = (index.encoder()?, index.semantic()?);
        let mut texts = vec![reply];
        if let Some(message) = ctx.customer_message {
            texts.push(capped(message).0);
        }
        let vectors = encoder.embed(&texts).ok()?;
        let r = &vectors[0];
        let m = vectors.get(1);
        let dot = |a: &[f32], b: &[f32]| -> f64 {
            f64::from(a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>())
        };
        let best = |clusters: &mut dyn Iterator<Item = u32>| {
            clusters
                .filter(|&c| !view.is_gone(c))
                .filter_map(|c| store.cosine(c as usize, r))
                .fold(None, |best: Option<f64>, x| {
                    Some(best.map_or(x, |b| b.max(x)))
                })
                .unwrap_or(0.0)
        };
        let (references, centroid) = index.semantic_clusters();
        let mut centroid = centroid.to_vec();
        // Leave-one-out: the left-out reply is not part of the archive's centroid.
        if let Some(c) = view.left_out_archive_cluster() {
            store.accumulate(c as usize, -1.0, &mut centroid);
        }
        let norm = centroid.iter().map(|x| x * x).sum::<f64>().sqrt();
        let centroid = if norm > 0.0 {
            centroid
                .iter()
                .zip(r)
                .map(|(c, &x)| c * f64::from(x))
                .sum::<f64>()
                / norm
        } else {
            0.0
        };
        Some(SemanticSignals {
            message: m.map(|m| dot(r, m)),
            echo: m.map(|m| store.echo(r, m)),
            nearest: best(&mut self.b.verified.iter().copied()),
            stock: best(&mut references.iter().copied()),
            centroid,
        })
    }
}
