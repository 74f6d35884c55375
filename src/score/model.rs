//! The models: the features, by name, that the signals give, and the two logistic models over
//! them that make the `canned` and `personalisation` scores.
//!
//! A feature is a name and a function of the [`Signals`]; a model is an intercept and a weight
//! for each of the features it uses, by name. `bench/fit_models.py` fits the models from the
//! features the `evaluate` example writes (by name, from [`Signals::features`]) and prints them
//! as the constants below, so a feature is added in one place: [`FEATURES`].

use std::sync::OnceLock;

use crate::report::Signals;

/// One input of the models.
pub(super) struct Feature {
    /// The name the fitting script and the models know it by.
    pub(super) name: &'static str,
    /// Its value for a reply's signals.
    value: Value,
}

/// Every feature, in the order [`Signals::features`] lists them.
const FEATURES: &[Feature] = &[
    Feature {
        name: "boilerplate",
        value: |s| s.boilerplate,
    },
    Feature {
        name: "stock",
        value: |s| s.stock,
    },
    Feature {
        name: "commonness",
        value: |s| s.commonness,
    },
    Feature {
        name: "novelty",
        value: |s| s.novelty,
    },
    Feature {
        name: "echo",
        value: |s| s.echo,
    },
    Feature {
        name: "nearest_similarity",
        value: |s| s.nearest_similarity,
    },
    Feature {
        name: "ln_copies",
        value: |s| (1.0 + f64::from(s.copies)).ln(),
    },
    Feature {
        name: "named",
        value: |s| f64::from(u8::from(s.named)),
    },
    Feature {
        name: "shortness",
        value: |s| 1.0 / (1.0 + s.tokens as f64 / 8.0),
    },
    Feature {
        name: "ln_tokens",
        value: |s| (s.tokens as f64).ln_1p(),
    },
    Feature {
        name: "spread",
        value: |s| s.spread,
    },
    Feature {
        name: "generic",
        value: |s| s.generic,
    },
    Feature {
        name: "rare",
        value: |s| s.rare,
    },
    Feature {
        name: "specific",
        value: |s| s.specific,
    },
    Feature {
        name: "ln_echoed",
        value: |s| s.echoed.ln_1p(),
    },
    Feature {
        name: "answered",
        value: |s| s.answered,
    },
    Feature {
        name: "support",
        value: |s| s.support,
    },
    Feature {
        name: "weakest_sentence",
        value: |s| s.weakest_sentence,
    },
    Feature {
        name: "strongest_sentence",
        value: |s| s.strongest_sentence,
    },
    Feature {
        name: "ln_content_words",
        value: |s| (s.content_words as f64).ln_1p(),
    },
    Feature {
        name: "ln_ignored",
        value: |s| s.ignored.map_or(IGNORED_UNKNOWN, |n| (n as f64).ln_1p()),
    },
];

/// `ln(1 + ignored)` when no customer message was given: its mean over the items the models
/// were fitted on, so that a reply scored without context is neither helped nor hurt by the
/// details it cannot be seen to ignore.
const IGNORED_UNKNOWN: f64 = 1.8237;

impl Signals {
    /// The inputs of the scoring models, by name, computed from these signals (for refitting
    /// the models: `bench/fit_models.py` reads them by name).
    ///
    /// ```
    /// use cannery::{Index, Context};
    /// let r = Index::stock().score("Thanks for reaching out!", &Context::new());
    /// let features = r.signals.features();
    /// assert_eq!(features[0], ("boilerplate", r.signals.boilerplate));
    /// assert!(features.iter().any(|&(name, _)| name == "ln_tokens"));
    /// ```
    pub fn features(&self) -> Vec<(&'static str, f64)> {
        FEATURES.iter().map(|f| (f.name, (f.value)(self))).collect()
    }
}

/// How a feature's value is computed from the signals.
type Value = fn(&Signals) -> f64;

/// A logistic model: an intercept and a weight for each feature it uses, by name.
pub(super) struct Model {
    intercept: f64,
    weights: &'static [(&'static str, f64)],
    /// The features of `weights`, found by name on first use.
    resolved: OnceLock<Vec<(Value, f64)>>,
}

impl Model {
    const fn new(intercept: f64, weights: &'static [(&'static str, f64)]) -> Self {
        Model {
            intercept,
            weights,
            resolved: OnceLock::new(),
        }
    }

    /// Each weight with its feature; a name no feature has panics (the tests check every
    /// model's names).
    fn resolved(&self) -> &[(Value, f64)] {
        self.resolved.get_or_init(|| {
            self.weights
                .iter()
                .map(|&(name, weight)| {
                    let feature = FEATURES
                        .iter()
                        .find(|f| f.name == name)
                        .unwrap_or_else(|| panic!("the models name no feature {name:?}"));
                    (feature.value, weight)
                })
                .collect()
        })
    }

    fn predict(&self, s: &Signals) -> f64 {
        let z = self.intercept
            + self
                .resolved()
                .iter()
                .map(|(value, weight)| weight * value(s))
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

// Fitted by L2-regularised logistic regression on the signals of the 200 hand-labelled
// development replies, each scored leave-one-out against the 12,740-reply corpus: `canned`
// predicts a label of 1 or 2 (templated or canned; C = 1), `personalisation` predicts `specific`
// (C = 0.3). `bench/fit_models.py` refits them from `--signals`; the README gives the
// cross-validated figures.
static CANNED_MODEL: Model = Model::new(
    -4.5083,
    &[
        ("boilerplate", 1.6487),
        ("stock", 1.6245),
        ("commonness", -0.0652),
        ("novelty", -0.1236),
        ("echo", -0.4401),
        ("nearest_similarity", 0.9257),
        ("ln_copies", 1.0901),
        ("named", -0.4834),
        ("shortness", -0.2363),
        ("ln_tokens", 1.4026),
        ("spread", 0.0143),
        ("generic", 0.2626),
        ("rare", -0.3771),
        ("specific", 0.1710),
        ("ln_echoed", -0.8113),
        ("answered", 0.0402),
        ("support", 1.0519),
        ("weakest_sentence", -0.8608),
        ("strongest_sentence", 1.2718),
        ("ln_content_words", -1.3812),
        ("ln_ignored", 0.6698),
    ],
);
static PERSONAL_MODEL: Model = Model::new(
    0.4942,
    &[
        ("boilerplate", -0.5659),
        ("stock", -0.1124),
        ("commonness", -0.0704),
        ("novelty", 0.0025),
        ("echo", 0.4496),
        ("nearest_similarity", -0.2141),
        ("ln_copies", -0.1300),
        ("named", 0.9843),
        ("shortness", 0.0654),
        ("ln_tokens", -0.3192),
        ("spread", -0.0411),
        ("generic", 0.0106),
        ("rare", 0.1791),
        ("specific", -0.1506),
        ("ln_echoed", 1.4333),
        ("answered", 0.3034),
        ("support", -0.0930),
        ("weakest_sentence", -0.1207),
        ("strongest_sentence", -0.3564),
        ("ln_content_words", 0.6519),
        ("ln_ignored", -0.1032),
    ],
);

/// The scores from the signals: two logistic models.
pub(super) fn scores(s: &Signals) -> (f64, f64) {
    if s.tokens == 0 {
        // Nothing but handles, names and sign-offs (or nothing at all): nothing answers the
        // customer, and there is nothing canned to point at either.
        return (0.0, 0.0);
    }
    (
        sanitise(CANNED_MODEL.predict(s)),
        sanitise(PERSONAL_MODEL.predict(s)),
    )
}

/// A score clamped to [0, 1], with NaN (impossible from finite signals, but never reported) as 0.
fn sanitise(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_names_known_features_once() {
        for (what, model) in [("canned", &CANNED_MODEL), ("personal", &PERSONAL_MODEL)] {
            let mut names: Vec<&str> = model.weights.iter().map(|w| w.0).collect();
            assert_eq!(model.resolved().len(), names.len(), "{what}");
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                model.weights.len(),
                "{what} names a feature twice"
            );
        }
        let mut all: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), FEATURES.len(), "two features share a name");
    }
}
