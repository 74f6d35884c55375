//! The settings of an index: the shingle size, the support and posting caps, the neighbours a
//! report lists, the stock corpus, and the thresholds of the verdict.

/// The settings an index is built with. Read them back with [`Index::config`](crate::Index::config); set them with
/// [`IndexBuilder`](crate::IndexBuilder) (and the verdict thresholds of a built index with
/// [`Index::set_verdict_thresholds`](crate::Index::set_verdict_thresholds)). A saved index keeps them.
///
/// ```
/// let index = cannery::IndexBuilder::new().ngram(2).build([]);
/// assert_eq!(index.config().ngram, 2);
/// assert_eq!((index.config().canned_at, index.config().personal_at), (0.6, 0.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Config {
    /// Words per shingle (1 to 8; 3 by default).
    pub ngram: usize,
    /// How many replies must share a phrase for it to be reported as boilerplate (2 by default).
    pub min_support: u32,
    /// The most clusters kept in one shingle's posting list (256 by default).
    pub max_postings: usize,
    /// How many nearest past replies a report lists (0 to 64; 3 by default).
    pub neighbours: usize,
    /// Whether the built-in stock corpus is part of the index (true by default).
    pub stock_corpus: bool,
    /// The `canned` score from which a report's verdict is canned or templated (0.6 by
    /// default; see [`Verdict`](crate::Verdict) for the rule).
    pub canned_at: f64,
    /// The `personalisation` score from which a canned reply's verdict is templated rather than
    /// canned (0.5 by default).
    pub personal_at: f64,
}

/// The default `canned_at`: it agrees with 71% of the three-way hand labels of the development
/// set, within 1.5 points of the best pair of thresholds.
const CANNED_AT: f64 = 0.6;
/// The default `personal_at`.
const PERSONAL_AT: f64 = 0.5;

impl Default for Config {
    fn default() -> Self {
        Config {
            ngram: 3,
            min_support: 2,
            max_postings: 256,
            neighbours: 3,
            stock_corpus: true,
            canned_at: CANNED_AT,
            personal_at: PERSONAL_AT,
        }
    }
}

impl Config {
    /// The verdict these settings give a reply of scores `canned` and `personalisation`: canned
    /// when `canned >= canned_at` and `personalisation < personal_at`, templated when both are at
    /// or above their thresholds, personal when `canned < canned_at`.
    ///
    /// ```
    /// use cannery::{Config, Verdict};
    /// let config = Config::default();
    /// assert_eq!(config.verdict(0.9, 0.2), Verdict::Canned);
    /// assert_eq!(config.verdict(0.9, 0.7), Verdict::Templated);
    /// assert_eq!(config.verdict(0.3, 0.1), Verdict::Personal);
    /// ```
    pub fn verdict(&self, canned: f64, personalisation: f64) -> crate::report::Verdict {
        use crate::report::Verdict;
        match (
            canned >= self.canned_at,
            personalisation >= self.personal_at,
        ) {
            (true, false) => Verdict::Canned,
            (true, true) => Verdict::Templated,
            (false, _) => Verdict::Personal,
        }
    }
}

/// A threshold as the setters take it: clamped to [0, 1], NaN as `default`.
pub(crate) fn unit_or(x: f64, default: f64) -> f64 {
    if x.is_nan() {
        default
    } else {
        x.clamp(0.0, 1.0)
    }
}
