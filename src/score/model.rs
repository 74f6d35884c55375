//! The models: the features, by name, that the signals give, and the two logistic models over
//! them that make the `canned` and `personalisation` scores.
//!
//! A feature is a name and a function of the [`Signals`]; a model is an intercept and a weight
//! for each of the features it uses, by name. `eval/python/fit_models.py` fits the models from the
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
    // The sentence encoder's (0 in the lexical mode, whose models do not use them).
    Feature {
        name: "semantic_message",
        value: |s| semantic(s, |m| m.message.unwrap_or(MESSAGE_UNKNOWN)),
    },
    Feature {
        name: "semantic_echo",
        value: |s| semantic(s, |m| m.echo.unwrap_or(ECHO_UNKNOWN)),
    },
    Feature {
        name: "semantic_nearest",
        value: |s| semantic(s, |m| m.nearest),
    },
    Feature {
        name: "semantic_stock",
        value: |s| semantic(s, |m| m.stock),
    },
    Feature {
        name: "semantic_centroid",
        value: |s| semantic(s, |m| m.centroid),
    },
];

/// A semantic signal, or 0 in the lexical mode.
fn semantic(s: &Signals, value: impl Fn(&crate::report::SemanticSignals) -> f64) -> f64 {
    s.semantic.as_ref().map_or(0.0, value)
}

/// The semantic signals of the customer's message when none was given: their means over the
/// training replies the semantic models were fitted on.
const MESSAGE_UNKNOWN: f64 = 0.3503;
const ECHO_UNKNOWN: f64 = 2.2298;

/// `ln(1 + ignored)` when no customer message was given: its mean over the training replies the
/// models were fitted on, so that a reply scored without context is neither helped nor hurt by the
/// details it cannot be seen to ignore.
const IGNORED_UNKNOWN: f64 = 2.0195;

impl Signals {
    /// The inputs of the scoring models, by name, computed from these signals (for refitting
    /// the models: `eval/python/fit_models.py` reads them by name).
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

// Fitted by L2-regularised logistic regression (on standardised features, folded back into
// these weights) on the signals of the 500 hand-labelled training replies, each scored
// leave-one-out against the 12,740-reply corpus: `canned` predicts a label of 1 or 2 (templated
// or canned; C = 1), `personalisation` predicts `specific` (C = 0.1), each C the strongest
// regularisation within 0.002 of the best by cross-validation on the training replies. `eval/python/fit_models.py` refits them from the
// `evaluate` example's `--signals`; the README gives the dev (held-out) and cross-validated
// figures.
static CANNED_MODEL: Model = Model::new(
    -10.474984,
    &[
        ("boilerplate", -1.220470),
        ("stock", 1.645301),
        ("commonness", -1.537376),
        ("novelty", 0.596156),
        ("echo", -10.432764),
        ("nearest_similarity", 1.355454),
        ("ln_copies", 0.701460),
        ("named", -0.611755),
        ("shortness", 10.181406),
        ("ln_tokens", 3.588096),
        ("spread", -2.020901),
        ("generic", 0.512539),
        ("rare", -0.335887),
        ("specific", 0.184643),
        ("ln_echoed", 1.370662),
        ("answered", -0.443898),
        ("support", 9.307004),
        ("weakest_sentence", -0.638039),
        ("strongest_sentence", 1.764384),
        ("ln_content_words", -1.969789),
        ("ln_ignored", 0.359005),
    ],
);
static PERSONAL_MODEL: Model = Model::new(
    0.798180,
    &[
        ("boilerplate", -0.636629),
        ("stock", -1.088937),
        ("commonness", 0.519604),
        ("novelty", 0.260457),
        ("echo", 5.961719),
        ("nearest_similarity", -1.959212),
        ("ln_copies", 0.128596),
        ("named", 1.097714),
        ("shortness", -1.254983),
        ("ln_tokens", -0.667728),
        ("spread", 1.700173),
        ("generic", -0.735884),
        ("rare", -0.317656),
        ("specific", -1.609082),
        ("ln_echoed", -0.372183),
        ("answered", 4.097965),
        ("support", -2.358873),
        ("weakest_sentence", 0.199388),
        ("strongest_sentence", 0.147017),
        ("ln_content_words", 0.793474),
        ("ln_ignored", 0.089434),
    ],
);
// The models of reports that rest on the stock corpus alone (`Regime::Stock`), fitted the same
// way on the training replies' reports against the built-in stock corpus alone (`--setting
// stock`): `canned` with C = 1, `personalisation` with C = 0.3. (Boilerplate, copies and support
// count past replies' phrases, of which there are none there: their weights are 0.)
static CANNED_STOCK_MODEL: Model = Model::new(
    -5.667406,
    &[
        ("boilerplate", 0.000000),
        ("stock", 0.358261),
        ("commonness", 0.103436),
        ("novelty", -0.560080),
        ("echo", -12.492020),
        ("nearest_similarity", 0.575467),
        ("ln_copies", 0.000000),
        ("named", -0.625924),
        ("shortness", 6.117979),
        ("ln_tokens", 2.179876),
        ("spread", 2.803977),
        ("generic", 0.553153),
        ("rare", -0.170333),
        ("specific", 0.802545),
        ("ln_echoed", 1.754350),
        ("answered", -1.577087),
        ("support", 0.000000),
        ("weakest_sentence", -0.858630),
        ("strongest_sentence", 2.662544),
        ("ln_content_words", -1.818762),
        ("ln_ignored", 0.406982),
    ],
);
static PERSONAL_STOCK_MODEL: Model = Model::new(
    -1.046752,
    &[
        ("boilerplate", 0.000000),
        ("stock", -2.237298),
        ("commonness", 0.326707),
        ("novelty", 1.768762),
        ("echo", 8.165462),
        ("nearest_similarity", -2.039788),
        ("ln_copies", 0.000000),
        ("named", 1.149172),
        ("shortness", -1.904069),
        ("ln_tokens", -0.610987),
        ("spread", -1.058378),
        ("generic", 0.629226),
        ("rare", 0.937737),
        ("specific", -1.919420),
        ("ln_echoed", -0.798687),
        ("answered", 5.237627),
        ("support", 0.000000),
        ("weakest_sentence", 1.827407),
        ("strongest_sentence", 0.703294),
        ("ln_content_words", 0.911224),
        ("ln_ignored", 0.042688),
    ],
);
// The semantic mode's models, fitted the same way on the lexical features and the sentence
// encoder's (all-MiniLM-L6-v2): `canned` with C = 1, `personalisation` with C = 0.01.
static CANNED_SEMANTIC_MODEL: Model = Model::new(
    -12.896265,
    &[
        ("boilerplate", -1.798453),
        ("stock", 1.451873),
        ("commonness", -0.875923),
        ("novelty", 0.110258),
        ("echo", -9.510731),
        ("nearest_similarity", 0.567772),
        ("ln_copies", 1.057796),
        ("named", -0.623989),
        ("shortness", 11.175958),
        ("ln_tokens", 3.544052),
        ("spread", -3.607227),
        ("generic", 0.079986),
        ("rare", 0.004824),
        ("specific", 0.478436),
        ("ln_echoed", 1.394104),
        ("answered", 0.375653),
        ("support", 10.301356),
        ("weakest_sentence", -0.631290),
        ("strongest_sentence", 1.961888),
        ("ln_content_words", -1.562017),
        ("ln_ignored", 0.367603),
        ("semantic_echo", 0.089821),
        ("semantic_message", -2.741930),
        ("semantic_nearest", 0.203590),
        ("semantic_stock", 4.635960),
        ("semantic_centroid", 3.036546),
    ],
);
static PERSONAL_SEMANTIC_MODEL: Model = Model::new(
    0.252502,
    &[
        ("boilerplate", -0.079825),
        ("stock", -0.983905),
        ("commonness", 0.436821),
        ("novelty", -0.100935),
        ("echo", 2.178424),
        ("nearest_similarity", -0.775849),
        ("ln_copies", -0.176658),
        ("named", 0.720051),
        ("shortness", -0.056799),
        ("ln_tokens", -0.093197),
        ("spread", 0.511840),
        ("generic", -0.827425),
        ("rare", -0.321880),
        ("specific", -0.781382),
        ("ln_echoed", 0.085758),
        ("answered", 1.448688),
        ("support", -0.754148),
        ("weakest_sentence", -0.069052),
        ("strongest_sentence", -0.062498),
        ("ln_content_words", 0.247886),
        ("ln_ignored", 0.058246),
        ("semantic_echo", 0.117994),
        ("semantic_message", 2.094854),
        ("semantic_nearest", -0.568607),
        ("semantic_stock", -1.942942),
        ("semantic_centroid", 0.284989),
    ],
);

/// What a report rests on: archive replies in the draft's language, or the stock corpus alone
/// (no archive, or none in the draft's language), where the signals are distributed otherwise
/// (no phrase is shared by past replies, every unseen word is novel) and models of their own
/// apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Regime {
    Archive,
    Stock,
}

/// The scores from the signals of a reply: two logistic models (those of the `regime`). A reply of no words but
/// something to see (only handles, names, sign-offs, emoji or punctuation: "👍", "@ann ^JK")
/// could go unchanged to any customer, which the labelling guide calls canned: canned 1,
/// personalisation 0. A reply of nothing at all scores 0 and 0.
pub(super) fn scores(s: &Signals, visible: bool, regime: Regime) -> (f64, f64) {
    if s.tokens == 0 {
        return if visible { (1.0, 0.0) } else { (0.0, 0.0) };
    }
    let (canned, personal) = match (s.semantic.is_some(), regime) {
        (true, _) => (&CANNED_SEMANTIC_MODEL, &PERSONAL_SEMANTIC_MODEL),
        (false, Regime::Archive) => (&CANNED_MODEL, &PERSONAL_MODEL),
        (false, Regime::Stock) => (&CANNED_STOCK_MODEL, &PERSONAL_STOCK_MODEL),
    };
    (sanitise(canned.predict(s)), sanitise(personal.predict(s)))
}

/// A score clamped to [0, 1], with NaN (impossible from finite signals, but never reported) as 0.
fn sanitise(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_names_known_features_once() {
        for (what, model) in [
            ("canned", &CANNED_MODEL),
            ("personal", &PERSONAL_MODEL),
            ("canned, semantic", &CANNED_SEMANTIC_MODEL),
            ("personal, semantic", &PERSONAL_SEMANTIC_MODEL),
            ("canned, stock", &CANNED_STOCK_MODEL),
            ("personal, stock", &PERSONAL_STOCK_MODEL),
        ] {
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
