//! `cannery.toml`: the settings a project keeps for `cannery lint` (its corpus or index, macros,
//! model, group, thresholds, rules and allowed boilerplate), found as ruff and Vale find theirs,
//! and where each effective setting came from.
//!
//! # Design, and why
//!
//! The file is found from the working directory upwards (`cannery.toml`, then `.cannery.toml`,
//! in each directory), or named with `--config`; `--isolated` reads none. Flags override the
//! file, the file overrides the defaults; paths in the file are relative to the file's
//! directory. Unknown keys are errors that name the key (serde's `deny_unknown_fields`), so that
//! a misspelt setting never passes silently. The `toml` crate is the standard TOML parser.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The names the file is found under, in each directory, in order.
pub const FILE_NAMES: [&str; 2] = ["cannery.toml", ".cannery.toml"];

/// The file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    pub corpus: Option<String>,
    pub index: Option<String>,
    pub macros: Option<String>,
    pub model: Option<String>,
    pub group: Option<String>,
    pub fail_at: Option<f64>,
    pub canned_at: Option<f64>,
    pub personal_at: Option<f64>,
    #[serde(default)]
    pub rules: RulesFile,
    #[serde(default)]
    pub allowed: AllowedFile,
}

/// `[rules]`: which findings `lint` reports (all by default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesFile {
    pub canned_reply: Option<bool>,
    pub boilerplate_span: Option<bool>,
    pub unjudged_language: Option<bool>,
}

/// `[allowed]`: the boilerplate the brand must send.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedFile {
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// A config file read: where it is and what it says.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub file: File,
}

impl Loaded {
    /// A path of the file, resolved against the file's directory.
    pub fn resolve(&self, path: &str) -> String {
        if path == "-" || Path::new(path).is_absolute() {
            return path.to_string();
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        dir.join(path).to_string_lossy().into_owned()
    }
}

/// The config file: `explicit` (an error if it cannot be read), else the first found from
/// `start` upwards, else none; none at all when `isolated`.
pub fn load(
    explicit: Option<&str>,
    isolated: bool,
    start: &Path,
) -> Result<Option<Loaded>, String> {
    if isolated {
        return Ok(None);
    }
    let path = match explicit {
        Some(path) => PathBuf::from(path),
        None => match find(start) {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    let file = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(Loaded { path, file }))
}

/// The first config file in `start` or a directory above it.
pub fn find(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The file's settings, checked: thresholds in [0, 1], not both a corpus and an index.
pub fn parse(text: &str) -> Result<File, String> {
    // toml's message names the key and shows its line.
    let file: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    for (key, value) in [
        ("fail-at", file.fail_at),
        ("canned-at", file.canned_at),
        ("personal-at", file.personal_at),
    ] {
        if let Some(v) = value {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{key} = {v} is not a score between 0 and 1"));
            }
        }
    }
    if file.corpus.is_some() && file.index.is_some() {
        return Err("give corpus or index, not both".into());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_errors() {
        let file = parse(
            "corpus = \"replies.jsonl\"\nfail-at = 0.7\n[rules]\nboilerplate-span = false\n[allowed]\nphrases = [\"Kind regards\"]\n",
        )
        .unwrap();
        assert_eq!(file.corpus.as_deref(), Some("replies.jsonl"));
        assert_eq!(file.fail_at, Some(0.7));
        assert_eq!(file.rules.boilerplate_span, Some(false));
        assert_eq!(file.allowed.phrases, ["Kind regards"]);
        for (text, expected) in [
            ("fial-at = 0.5", "unknown field `fial-at`"),
            (
                "[rules]\nboilerplate-spans = false",
                "unknown field `boilerplate-spans`",
            ),
            ("[allowed]\nphrase = [\"x\"]", "unknown field `phrase`"),
            (
                "fail-at = 2.0",
                "fail-at = 2 is not a score between 0 and 1",
            ),
            (
                "fail-at = \"high\"",
                "invalid type: string \"high\", expected f64",
            ),
            (
                "corpus = \"a\"\nindex = \"b\"",
                "give corpus or index, not both",
            ),
            ("corpus = ", "string values must be quoted"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}

/// Where an effective setting came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// cannery's default.
    Default,
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// The config file.
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One effective setting: its value and where it came from.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// What the command line gave, for the settings a config file can hold.
#[derive(Debug, Default)]
pub struct Flags {
    pub corpus: Option<String>,
    pub index: Option<String>,
    pub macros: Option<String>,
    /// The model, and whether it came from `CANNERY_MODEL` rather than `--model`.
    pub model: Option<(String, bool)>,
    pub group: Option<String>,
    pub fail_at: Option<f64>,
    pub canned_at: Option<f64>,
    pub personal_at: Option<f64>,
}

/// The effective settings of `lint`: each flag over the file over the default.
#[derive(Debug)]
pub struct Effective {
    pub file: Option<PathBuf>,
    pub corpus: Setting<Option<String>>,
    pub index: Setting<Option<String>>,
    pub macros: Setting<Option<String>>,
    pub model: Setting<Option<String>>,
    pub group: Setting<Option<String>>,
    pub fail_at: Setting<Option<f64>>,
    pub canned_at: Setting<Option<f64>>,
    pub personal_at: Setting<Option<f64>>,
    pub canned_reply: Setting<bool>,
    pub boilerplate_span: Setting<bool>,
    pub unjudged_language: Setting<bool>,
    pub allowed_phrases: Setting<Vec<String>>,
    pub allowed_patterns: Setting<Vec<String>>,
}

impl Effective {
    /// The settings of `flags` over `loaded` over the defaults. A corpus or an index given by
    /// a flag replaces the file's corpus and index both.
    pub fn of(flags: Flags, loaded: Option<&Loaded>) -> Effective {
        let empty = File::default();
        let file = loaded.map_or(&empty, |l| &l.file);
        let from_file = || loaded.map_or(Source::Default, |l| Source::File(l.path.clone()));
        fn pick<T>(
            flag: Option<T>,
            name: &'static str,
            file: Option<T>,
            source: Source,
        ) -> Setting<Option<T>> {
            match (flag, file) {
                (Some(v), _) => Setting {
                    value: Some(v),
                    source: Source::Flag(name),
                },
                (None, Some(v)) => Setting {
                    value: Some(v),
                    source,
                },
                (None, None) => Setting {
                    value: None,
                    source: Source::Default,
                },
            }
        }
        let path = |p: &Option<String>| {
            p.as_ref()
                .map(|p| loaded.map_or(p.clone(), |l| l.resolve(p)))
        };
        let flagged_corpus = flags.corpus.is_some() || flags.index.is_some();
        let (file_corpus, file_index) = if flagged_corpus {
            (None, None)
        } else {
            (path(&file.corpus), path(&file.index))
        };
        let model = match flags.model {
            Some((m, true)) => Setting {
                value: Some(m),
                source: Source::Env("CANNERY_MODEL"),
            },
            Some((m, false)) => Setting {
                value: Some(m),
                source: Source::Flag("--model"),
            },
            None => pick(None, "--model", path(&file.model), from_file()),
        };
        let rule = |value: Option<bool>| match value {
            Some(v) => Setting {
                value: v,
                source: from_file(),
            },
            None => Setting {
                value: true,
                source: Source::Default,
            },
        };
        let list = |items: &Vec<String>| Setting {
            value: items.clone(),
            source: if items.is_empty() {
                Source::Default
            } else {
                from_file()
            },
        };
        Effective {
            file: loaded.map(|l| l.path.clone()),
            corpus: pick(flags.corpus, "--corpus", file_corpus, from_file()),
            index: pick(flags.index, "--index", file_index, from_file()),
            macros: pick(flags.macros, "--macros", path(&file.macros), from_file()),
            model,
            group: pick(flags.group, "--group", file.group.clone(), from_file()),
            fail_at: pick(flags.fail_at, "--fail-at", file.fail_at, from_file()),
            canned_at: pick(flags.canned_at, "--canned-at", file.canned_at, from_file()),
            personal_at: pick(
                flags.personal_at,
                "--personal-at",
                file.personal_at,
                from_file(),
            ),
            canned_reply: rule(file.rules.canned_reply),
            boilerplate_span: rule(file.rules.boilerplate_span),
            unjudged_language: rule(file.rules.unjudged_language),
            allowed_phrases: list(&file.allowed.phrases),
            allowed_patterns: list(&file.allowed.patterns),
        }
    }

    /// The settings as `(key, value, source)` rows, in the file's key names (`null` for unset,
    /// with what the default does).
    pub fn rows(&self) -> Vec<(&'static str, serde_json::Value, String)> {
        use serde_json::json;
        fn row<T: serde::Serialize>(
            key: &'static str,
            s: &Setting<T>,
            unset: &str,
        ) -> (&'static str, serde_json::Value, String) {
            let value = json!(s.value);
            let source = if value.is_null() {
                format!("default: {unset}")
            } else {
                s.source.to_string()
            };
            (key, value, source)
        }
        vec![
            row(
                "corpus",
                &self.corpus,
                "the built-in stock corpus when no index either",
            ),
            row("index", &self.index, "none"),
            row("macros", &self.macros, "none"),
            row("model", &self.model, "lexical scores, no sentence encoder"),
            row("group", &self.group, "the whole index"),
            row("fail-at", &self.fail_at, "canned-at"),
            row(
                "canned-at",
                &self.canned_at,
                "the index's, 0.6 unless built with another",
            ),
            row(
                "personal-at",
                &self.personal_at,
                "the index's, 0.5 unless built with another",
            ),
            row("rules.canned-reply", &self.canned_reply, ""),
            row("rules.boilerplate-span", &self.boilerplate_span, ""),
            row("rules.unjudged-language", &self.unjudged_language, ""),
            row("allowed.phrases", &self.allowed_phrases, ""),
            row("allowed.patterns", &self.allowed_patterns, ""),
        ]
    }
}
