//! The drafts of one `cannery lint` call: the TEXT argument, standard input, files, or the
//! lines of a JSON lines file, each with the name it has in the output and its own context.

use serde::Deserialize;

use crate::records;

/// One draft to lint.
pub struct Draft {
    /// The draft's text.
    pub text: String,
    /// Its name in the output: a file's path, `draft` for the TEXT argument, the
    /// `--stdin-filename` (or `stdin`) for standard input, a JSON line's `id` or `FILE:LINE`.
    pub path: String,
    /// The customer's message it answers, when its JSON line gives one.
    pub customer: Option<String>,
    /// The customer's name, when its JSON line gives one.
    pub name: Option<String>,
    /// The group to score it for, when its JSON line gives one.
    pub group: Option<String>,
}

impl Draft {
    fn plain(text: String, path: String) -> Self {
        Draft {
            text,
            path,
            customer: None,
            name: None,
            group: None,
        }
    }
}

/// One draft as JSON: a line of a `--drafts` file, a draft sent to `cannery serve`. Unknown keys
/// are errors, so that a misspelt one does not pass silently.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The draft's text (`text` is taken too).
    #[serde(alias = "text")]
    pub draft: String,
    /// The customer's message it answers (`message` is taken too).
    #[serde(alias = "message")]
    pub customer: Option<String>,
    /// The customer's name.
    pub name: Option<String>,
    /// The group (brand, tenant) to score it for.
    pub group: Option<String>,
    /// Its name in the output.
    pub id: Option<String>,
}

/// Where the drafts of a call come from, as the command line gave them.
pub struct Sources<'a> {
    /// The TEXT argument (`-` for standard input).
    pub text: Option<&'a str>,
    /// The `--file` paths, in order (`-` for standard input).
    pub files: &'a [String],
    /// The `--drafts` JSON lines file (`-` for standard input).
    pub lines: Option<&'a str>,
    /// The name of standard input in the output.
    pub stdin_name: &'a str,
}

impl Sources<'_> {
    /// Whether standard input is read for drafts.
    pub fn reads_stdin(&self) -> bool {
        self.lines == Some("-")
            || self.files.iter().any(|f| f == "-")
            || (self.files.is_empty() && self.lines.is_none() && self.text.is_none_or(|t| t == "-"))
    }

    /// Whether the call lints several drafts (several files, or a JSON lines file), so that the
    /// JSON output is an array.
    pub fn several(&self) -> bool {
        self.files.len() > 1 || self.lines.is_some()
    }

    /// The drafts, in the order given. An unreadable file or a malformed JSON line is an error
    /// naming it; nothing is linted then.
    pub fn read(&self) -> Result<Vec<Draft>, String> {
        if self.files.iter().filter(|f| *f == "-").count() > 1 {
            return Err("standard input (-) can be given as --file once".into());
        }
        let name = |path: &str| {
            if path == "-" {
                self.stdin_name.to_string()
            } else {
                path.to_string()
            }
        };
        let mut drafts = Vec::new();
        if let Some(path) = self.lines {
            drafts = json_lines(path, &name(path))?;
            if drafts.is_empty() {
                return Err(format!("{} has no drafts", name(path)));
            }
        } else if !self.files.is_empty() {
            for file in self.files {
                drafts.push(Draft::plain(records::read_text(file)?, name(file)));
            }
        } else {
            match self.text {
                Some(text) if text != "-" => {
                    if std::path::Path::new(text).is_file() {
                        eprintln!("cannery: warning: the draft {text:?} is also the name of a file; this lints the text itself (to lint the file, use --file {text})");
                    }
                    drafts.push(Draft::plain(text.to_string(), "draft".into()));
                }
                _ => drafts.push(Draft::plain(records::read_text("-")?, name("-"))),
            }
        }
        Ok(drafts)
    }
}

/// The drafts of a JSON lines file (blank lines are not drafts).
fn json_lines(path: &str, name: &str) -> Result<Vec<Draft>, String> {
    let text = records::read_text(path)?;
    let mut drafts = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = n + 1;
        let parsed: Line = serde_json::from_str(line).map_err(|e| {
            format!("{name} line {line_no}: {e} (each line is an object with \"draft\" and optionally \"customer\", \"name\", \"group\", \"id\")")
        })?;
        drafts.push(Draft {
            text: parsed.draft,
            path: parsed.id.unwrap_or_else(|| format!("{name}:{line_no}")),
            customer: parsed.customer,
            name: parsed.name,
            group: parsed.group,
        });
    }
    Ok(drafts)
}
