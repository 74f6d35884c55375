//! What an index built with a sentence encoder keeps for its reports: each cluster's vector,
//! quantised, and the statistics of the customer messages' vectors. Plain data, with or without
//! the `semantic` feature, so that any build loads, saves and merges such an index.

// Without the `semantic` feature an index only carries the vectors (loads, saves, merges and
// scopes them); what embeds and compares them is unused.
#![cfg_attr(not(feature = "semantic"), allow(dead_code))]

use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::store::column::{Column, Rows};
use crate::wire::{Reader, Writer, check, corrupt};

/// The semantic data of an index.
#[derive(Clone, Debug)]
pub(crate) struct SemanticStore {
    /// The encoder's name and fingerprint ([`Encoder::fingerprint`](crate::Encoder)).
    pub(super) model: String,
    pub(super) fingerprint: u64,
    pub(super) dimensions: usize,
    /// Each cluster's vector: row `c` of `values` times `scales[c]` (in chunks that clones
    /// share, as the message statistics are shared); a scale of 0 marks a
    /// cluster whose vector is missing (inserted while no encoder was attached).
    scales: Column<f32>,
    values: Rows<i8>,
    pub(super) messages: Arc<MessageStats>,
    /// The built-in customer messages' statistics, when the index's own messages were too few
    /// at its build: they stand in for the own ones while those number fewer than
    /// [`MIN_MESSAGES`](super::MIN_MESSAGES). Kept apart, so that two small shards merge into
    /// what one build of both gives.
    pub(super) builtin: Option<Arc<MessageStats>>,
    /// What is derived from the messages for reports, on first use.
    derived: OnceLock<Arc<Derived>>,
    /// What is derived from the clusters for reports, on first use: the reference clusters,
    /// and the sum of the archive replies' vectors (each cluster's times its replies).
    clusters: OnceLock<Arc<(Vec<u32>, Vec<f64>)>>,
}

/// The sums of the customer messages' vectors, from which their mean and covariance come
/// (sums, so that two indexes' statistics merge by adding).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MessageStats {
    pub(super) count: u64,
    pub(super) sum: Vec<f64>,
    /// The sum of the outer products, row by row.
    pub(super) outer: Vec<f64>,
}

impl MessageStats {
    pub(crate) fn new(dimensions: usize) -> Self {
        MessageStats {
            count: 0,
            sum: vec![0.0; dimensions],
            outer: vec![0.0; dimensions * dimensions],
        }
    }

    /// Adds a message's vector.
    pub(crate) fn add(&mut self, v: &[f32]) {
        let d = self.sum.len();
        self.count += 1;
        for (i, &x) in v.iter().enumerate() {
            let x = f64::from(x);
            self.sum[i] += x;
            let row = &mut self.outer[i * d..(i + 1) * d];
            for (o, &y) in row.iter_mut().zip(v) {
                *o += x * f64::from(y);
            }
        }
    }

    /// Adds another index's statistics.
    pub(crate) fn merge(&mut self, other: &MessageStats) {
        self.count += other.count;
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in self.outer.iter_mut().zip(&other.outer) {
            *a += b;
        }
    }
}

/// The mean and covariance of the message vectors, as reports use them.
#[derive(Debug)]
struct Derived {
    mean: Vec<f32>,
    covariance: Vec<f32>,
}

impl SemanticStore {
    /// The name of the encoder the vectors are of.
    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    /// The fingerprint of the encoder the vectors are of.
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The vectors' dimensions.
    pub(crate) fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// An empty store for the vectors of `model`.
    pub(crate) fn new(model: &str, fingerprint: u64, dimensions: usize) -> Self {
        SemanticStore {
            model: model.to_string(),
            fingerprint,
            dimensions,
            scales: Column::default(),
            values: Rows::of(dimensions, Vec::new()),
            messages: Arc::new(MessageStats::new(dimensions)),
            builtin: None,
            derived: OnceLock::new(),
            clusters: OnceLock::new(),
        }
    }

    /// A store of the given parts (the loader's; lengths checked by the caller).
    pub(crate) fn of_parts(
        model: String,
        fingerprint: u64,
        dimensions: usize,
        scales: Vec<f32>,
        values: Vec<i8>,
        messages: MessageStats,
        builtin: Option<MessageStats>,
    ) -> Self {
        SemanticStore {
            model,
            fingerprint,
            dimensions,
            scales: scales.into(),
            values: Rows::of(dimensions, values),
            messages: Arc::new(messages),
            builtin: builtin.map(Arc::new),
            derived: OnceLock::new(),
            clusters: OnceLock::new(),
        }
    }

    /// Forgets what was derived from the clusters (a reply was added, a vector changed).
    pub(crate) fn touch(&mut self) {
        self.clusters = OnceLock::new();
    }

    /// The reference clusters and the sum of the archive replies' vectors, derived on first
    /// use by `derive` (given this store).
    pub(crate) fn derived_clusters(
        &self,
        derive: impl FnOnce(&Self) -> (Vec<u32>, Vec<f64>),
    ) -> &(Vec<u32>, Vec<f64>) {
        self.clusters.get_or_init(|| Arc::new(derive(self)))
    }

    /// Appends the next cluster's vector (`None`: missing).
    pub(crate) fn push(&mut self, vector: Option<&[f32]>) {
        self.touch();
        let (scale, values) = quantise(vector, self.dimensions);
        self.scales.push(scale);
        self.values.push(&values);
        debug_assert_eq!(self.scales.len(), self.values.len());
    }

    /// Sets cluster `c`'s vector.
    pub(crate) fn set(&mut self, c: usize, vector: &[f32]) {
        self.touch();
        let (scale, values) = quantise(Some(vector), self.dimensions);
        *self.scales.get_mut(c) = scale;
        self.values.get_mut(c).copy_from_slice(&values);
    }

    /// Sets cluster `c`'s vector to cluster `from_c`'s of `from` (a store of the same model).
    pub(crate) fn copy(&mut self, c: usize, from: &SemanticStore, from_c: usize) {
        self.touch();
        *self.scales.get_mut(c) = *from.scales.get(from_c);
        self.values
            .get_mut(c)
            .copy_from_slice(from.values.get(from_c));
    }

    /// An empty store for the same model, with this store's message statistics (a scope's).
    pub(crate) fn with_messages_of(&self) -> SemanticStore {
        let mut store = SemanticStore::new(&self.model, self.fingerprint, self.dimensions);
        store.messages = self.messages.clone();
        store.builtin = self.builtin.clone();
        store
    }

    /// Why `other`'s vectors cannot join these (another model), if they cannot.
    pub(crate) fn mismatch(mine: Option<&Self>, other: Option<&Self>) -> Option<String> {
        match (mine, other) {
            (None, None) => None,
            (Some(a), Some(b))
                if a.fingerprint == b.fingerprint && a.dimensions == b.dimensions =>
            {
                None
            }
            (a, b) => {
                let name = |s: Option<&Self>| {
                    s.map_or("without a sentence encoder".to_string(), |s| {
                        format!("with the model {:?}", s.model)
                    })
                };
                Some(format!(
                    "cannot merge an index built {} into one built {}",
                    name(b),
                    name(a)
                ))
            }
        }
    }

    /// Whether cluster `c` has no vector.
    pub(crate) fn is_missing(&self, c: usize) -> bool {
        *self.scales.get(c) == 0.0
    }

    /// Adds a customer message's vector to the statistics.
    pub(crate) fn add_message(&mut self, v: &[f32]) {
        Arc::make_mut(&mut self.messages).add(v);
        self.derived = OnceLock::new();
    }

    /// Sets the built-in messages' statistics.
    pub(crate) fn set_builtin(&mut self, builtin: MessageStats) {
        self.builtin = Some(Arc::new(builtin));
        self.derived = OnceLock::new();
    }

    /// Adds another store's messages (and takes its built-in ones if this has none).
    pub(crate) fn merge_messages(&mut self, other: &SemanticStore) {
        Arc::make_mut(&mut self.messages).merge(&other.messages);
        if self.builtin.is_none() {
            self.builtin = other.builtin.clone();
        }
        self.derived = OnceLock::new();
    }

    /// The dot product of cluster `c`'s vector with `v` (its cosine, both being unit vectors),
    /// or `None` when it is missing.
    pub(crate) fn cosine(&self, c: usize, v: &[f32]) -> Option<f64> {
        let scale = *self.scales.get(c);
        if scale == 0.0 {
            return None;
        }
        let q = self.values.get(c);
        let dot: f32 = q.iter().zip(v).map(|(&a, &b)| f32::from(a) * b).sum();
        Some(f64::from(dot * scale))
    }

    /// Adds `weight` times cluster `c`'s vector to `sum` (for centroids).
    pub(crate) fn accumulate(&self, c: usize, weight: f64, sum: &mut [f64]) {
        let scale = f64::from(*self.scales.get(c)) * weight;
        let q = self.values.get(c);
        for (s, &x) in sum.iter_mut().zip(q) {
            *s += f64::from(x) * scale;
        }
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let mut combined;
            let m = match &self.builtin {
                Some(builtin) if self.messages.count < super::MIN_MESSAGES => {
                    combined = (*self.messages).clone();
                    combined.merge(builtin);
                    &combined
                }
                _ => &*self.messages,
            };
            let d = self.dimensions;
            let n = (m.count as f64).max(1.0);
            let mean: Vec<f64> = m.sum.iter().map(|s| s / n).collect();
            let mut covariance = vec![0f32; d * d];
            for i in 0..d {
                for j in 0..d {
                    covariance[i * d + j] = (m.outer[i * d + j] / n - mean[i] * mean[j]) as f32;
                }
            }
            Arc::new(Derived {
                mean: mean.iter().map(|&x| x as f32).collect(),
                covariance,
            })
        })
    }

    /// How much better the reply `r` matches its own message `m` than customer messages at
    /// large: `(r·m - r·μ) / sqrt(rᵀΣr)`, with μ and Σ the mean and covariance of the message
    /// vectors (a z-score: how many standard deviations above a random message's similarity).
    pub(crate) fn echo(&self, r: &[f32], m: &[f32]) -> f64 {
        let derived = self.derived();
        let d = self.dimensions;
        let own: f32 = r.iter().zip(m).map(|(a, b)| a * b).sum();
        let expected: f32 = r.iter().zip(&derived.mean).map(|(a, b)| a * b).sum();
        let mut variance = 0f32;
        for (i, &ri) in r.iter().enumerate() {
            let row = &derived.covariance[i * d..(i + 1) * d];
            variance += ri * row.iter().zip(r).map(|(c, x)| c * x).sum::<f32>();
        }
        f64::from(own - expected) / f64::from(variance.max(1e-6)).sqrt()
    }
}

impl SemanticStore {
    /// Writes a flag, and the store if there is one: the model's name and fingerprint, the
    /// dimensions, each cluster's scale and values, then the index's own and the built-in
    /// messages' statistics (each a flag, then count, sums and sums of products).
    pub(crate) fn save<W: std::io::Write>(store: Option<&SemanticStore>, w: &mut Writer<W>) {
        let Some(store) = store else {
            w.u8(0);
            return;
        };
        w.u8(1);
        w.bytes(store.model.as_bytes());
        w.u64(store.fingerprint);
        w.u32(store.dimensions as u32);
        w.u32s(store.scales.iter().map(|s| s.to_bits()));
        w.bytes(&store.values.items().map(|&v| v as u8).collect::<Vec<u8>>());
        for stats in [Some(&*store.messages), store.builtin.as_deref()] {
            match stats {
                None => w.u8(0),
                Some(stats) => {
                    w.u8(1);
                    w.u64(stats.count);
                    w.u64s(stats.sum.iter().map(|x| x.to_bits()));
                    w.u64s(stats.outer.iter().map(|x| x.to_bits()));
                }
            }
        }
    }

    /// Reads what [`save`](Self::save) wrote for an index of `clusters` clusters, checking it.
    pub(crate) fn load(
        r: &mut Reader<'_>,
        clusters: usize,
    ) -> Result<Option<SemanticStore>, Error> {
        if r.u8()? == 0 {
            return Ok(None);
        }
        let model = String::from_utf8(r.bytes("the sentence encoder's name")?.into_owned())
            .map_err(|_| corrupt("the sentence encoder's name is not UTF-8"))?;
        let fingerprint = r.u64()?;
        let dimensions = r.u32()? as usize;
        check(
            (1..=4096).contains(&dimensions),
            "the vectors' dimensions are out of range",
        )?;
        let scales: Vec<f32> = r
            .u32s("the vectors' scales")?
            .into_iter()
            .map(f32::from_bits)
            .collect();
        let values: Vec<i8> = r.bytes("the vectors")?.iter().map(|&b| b as i8).collect();
        let mut stats = |what: &'static str| -> Result<Option<MessageStats>, Error> {
            if r.u8()? == 0 {
                return Ok(None);
            }
            let count = r.u64()?;
            let sum: Vec<f64> = r.u64s(what)?.into_iter().map(f64::from_bits).collect();
            let outer: Vec<f64> = r.u64s(what)?.into_iter().map(f64::from_bits).collect();
            check(
                sum.len() == dimensions && outer.len() == dimensions * dimensions,
                "the message statistics do not match the vectors' dimensions",
            )?;
            check(
                sum.iter().chain(&outer).all(|x| x.is_finite()),
                "the message statistics are not finite",
            )?;
            Ok(Some(MessageStats { count, sum, outer }))
        };
        let messages = stats("the message statistics")?
            .ok_or_else(|| corrupt("the index's own message statistics are missing"))?;
        let builtin = stats("the built-in message statistics")?;
        check(
            scales.len() == clusters && values.len() == clusters * dimensions,
            "the vectors do not match the clusters",
        )?;
        check(
            scales.iter().all(|s| s.is_finite() && *s >= 0.0),
            "a vector's scale is not a finite positive number",
        )?;
        Ok(Some(SemanticStore::of_parts(
            model,
            fingerprint,
            dimensions,
            scales,
            values,
            messages,
            builtin,
        )))
    }
}

/// A vector as `i8` values and a scale (the largest component over 127), or a zero scale for
/// none.
fn quantise(vector: Option<&[f32]>, dimensions: usize) -> (f32, Vec<i8>) {
    let Some(v) = vector.filter(|v| v.len() == dimensions) else {
        return (0.0, vec![0; dimensions]);
    };
    let largest = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if !(largest > 0.0 && largest.is_finite()) {
        return (0.0, vec![0; dimensions]);
    }
    let scale = largest / 127.0;
    let values = v.iter().map(|x| (x / scale).round() as i8).collect();
    (scale, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_cosines_are_close_to_the_true_ones() {
        let mut rng = crate::testing::XorShift(0x1234_5678_9abc_def1);
        let mut unit = || {
            let v: Vec<f32> = (0..64)
                .map(|_| rng.below(2001) as f32 / 1000.0 - 1.0)
                .collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
        };
        let mut store = SemanticStore::new("test", 1, 64);
        let vectors: Vec<Vec<f32>> = (0..20).map(|_| unit()).collect();
        for v in &vectors {
            store.push(Some(v));
        }
        store.push(None);
        let probe = unit();
        for (c, v) in vectors.iter().enumerate() {
            let exact: f32 = v.iter().zip(&probe).map(|(a, b)| a * b).sum();
            let approx = store.cosine(c, &probe).unwrap();
            assert!(
                (approx - f64::from(exact)).abs() < 0.01,
                "{approx} vs {exact}"
            );
        }
        assert_eq!(store.cosine(20, &probe), None);
    }

    #[test]
    fn message_statistics_merge_by_adding_and_give_a_z_score() {
        let d = 3;
        let vs = [
            [1.0f32, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.6, 0.8, 0.0],
            [0.0, 0.6, 0.8],
        ];
        let mut whole = MessageStats::new(d);
        let (mut a, mut b) = (MessageStats::new(d), MessageStats::new(d));
        for (i, v) in vs.iter().enumerate() {
            whole.add(v);
            if i % 2 == 0 { a.add(v) } else { b.add(v) }
        }
        a.merge(&b);
        for (x, y) in whole.outer.iter().zip(&a.outer) {
            assert!((x - y).abs() < 1e-12);
        }
        let mut store = SemanticStore::new("test", 1, d);
        store.messages = Arc::new(whole);
        // A reply that matches its own message better than messages at large scores higher.
        let r = [0.0f32, 0.0, 1.0];
        assert!(store.echo(&r, &[0.0, 0.0, 1.0]) > store.echo(&r, &[1.0, 0.0, 0.0]));
    }
}
