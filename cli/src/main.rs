//! The `cannery` command: lint a draft reply, score an archive, build and reuse an index.
//!
//! Results go to standard output, operational errors to standard error. Exit codes: `lint` 0 when
//! the draft scores below `--fail-at`, 1 at or above it; `score` 0 when every row was scored, 1
//! when some rows were malformed (each has an error row in its place); `index` 0; every command 2
//! when nothing could be done (a bad flag, an unreadable corpus or index).

mod archive;
mod check;
mod config;
mod drafts;
mod files;
mod helpdesk;
mod lint;
#[cfg(feature = "mcp")]
mod mcp;
mod model;
mod records;
#[cfg(feature = "serve")]
mod serve;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use cannery::{Index, Reply};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::{Model, ModelArgs};
use crate::records::{FieldNames, Format};

/// Tell whether a customer-service reply is canned.
///
/// cannery scores a reply for boilerplate (phrases that recur in a brand's past replies or in
/// stock customer-service wording) and for personalisation (how much of it answers this
/// customer). With no corpus it uses a built-in corpus of stock phrasing.
#[derive(Parser)]
#[command(name = "cannery", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a draft reply before it is sent (exit 1 when it is canned).
    #[command(
        after_help = "Examples:\n  cannery lint \"Thank you for your message. You can find our policies by clicking this link.\"\n  echo \"Sorry! Please DM us.\" | cannery lint --format sarif\n  cannery lint --index acme.cannery --group AcmeHelp --file draft.txt\n  cannery lint --customer \"my order 4417 never came\" \"Sorry! Please DM us.\"\n\nExit codes: 0 canned below --fail-at, 1 at or above it, 2 on an error."
    )]
    Lint(LintArgs),
    /// Score every reply of an archive (CSV or JSONL), one output row per input row, in order.
    #[command(
        after_help = "Examples:\n  cannery score --corpus replies.jsonl --input replies.jsonl --exclude-self --summary summary.json\n  cannery score --index acme.cannery --input twcs.csv --id-field tweet_id --format csv --output scores.csv\n\nExit codes: 0 every row scored, 1 some rows malformed (each has an error row in its place), 2 on an error."
    )]
    Score(ScoreArgs),
    /// List the templates mined from a corpus (families of near-identical replies), most used first.
    #[command(
        after_help = "Examples:\n  cannery templates --corpus replies.jsonl --min-support 5\n  cannery templates --index acme.cannery --format json --top 100"
    )]
    Templates(TemplatesArgs),
    /// Build an index of a corpus and save it, for --index.
    #[command(
        after_help = "Example:\n  cannery index --corpus replies.jsonl --group-field brand --output acme.cannery"
    )]
    Index(IndexArgs),
    /// Merge saved indexes of an archive's shards into one (the reduce step of a sharded build).
    #[command(
        after_help = "Example (each shard indexed on its own machine or core, then merged):\n  cannery index --corpus part-0.jsonl --output part-0.cannery\n  cannery index --corpus part-1.jsonl --output part-1.cannery\n  cannery merge --output all.cannery part-0.cannery part-1.cannery\n\nThe merged index equals one built from the shards' files concatenated in the order given."
    )]
    Merge(MergeArgs),
    /// Print the effective settings of `lint` and where each came from (the config file, a
    /// flag, the default).
    #[command(
        after_help = "Example:\n  cannery config\n  cannery config --config ci/cannery.toml --format json\n\nThe file: cannery.toml (or .cannery.toml) in the working directory or the nearest above it:\n  index = \"acme.cannery\"\n  group = \"AcmeHelp\"\n  fail-at = 0.7\n  [rules]\n  boilerplate-span = false\n  [allowed]\n  phrases = [\"Calls may be recorded for training purposes.\"]\n  patterns = ['Ref(erence)? #\\d+']"
    )]
    Config(ConfigCommandArgs),
    /// Serve lint, score and insert over HTTP (JSON), the index loaded once.
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Examples:\n  cannery serve --index acme.cannery --listen 127.0.0.1:8750\n  curl -s localhost:8750/lint -d '{\"draft\": \"Sorry! Please DM us.\", \"customer\": \"where is my order?\"}'\n  curl -s localhost:8750/replies -d '{\"id\": \"t-981\", \"text\": \"Your refund went out today.\", \"group\": \"AcmeHelp\"}'\n\nRoutes: POST /lint, /score (a draft or {\"drafts\": [...]}), /replies (a reply or {\"replies\": [...]}); GET /templates, /health.\nInserts are saved to the --index file every --persist-every seconds and at shutdown (SIGINT, SIGTERM)."
    )]
    Serve(ServeArgs),
    /// Serve the `lint_reply` tool to AI agents over MCP (stdio).
    #[cfg(feature = "mcp")]
    #[command(
        after_help = "Example (an MCP client's server entry):\n  {\"command\": \"cannery\", \"args\": [\"mcp\", \"--index\", \"acme.cannery\"]}\n\nThe tool lint_reply takes draft, customer, name and group, and returns the verdict, the scores, the boilerplate spans, the template, the nearest past reply and an instruction."
    )]
    Mcp(McpArgs),
}

/// Arguments of `cannery merge`.
#[derive(Args)]
struct MergeArgs {
    /// The saved shard indexes, merged in this order.
    #[arg(value_name = "INDEX", required = true)]
    inputs: Vec<String>,
    /// Where to save the merged index.
    #[arg(long, value_name = "FILE")]
    output: String,
    /// No closing line on standard error.
    #[arg(long, short)]
    quiet: bool,
}

/// Where the past replies come from.
#[derive(Args)]
struct CorpusArgs {
    /// Past replies to index: CSV or JSONL (gzip-compressed or not), told apart by extension (or
    /// --corpus-format); `-` reads standard input. Without --corpus or --index the built-in
    /// stock corpus alone is used.
    #[arg(long, value_name = "FILE", conflicts_with = "index")]
    corpus: Option<String>,
    /// A saved index (from `cannery index`) to use instead of building one.
    #[arg(long, value_name = "FILE")]
    index: Option<String>,
    /// The corpus's format, when its extension does not tell.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        requires = "corpus",
        conflicts_with = "index"
    )]
    corpus_format: Option<Format>,
    /// Leave the built-in stock corpus out of an index built from --corpus (a saved index keeps
    /// what it was built with).
    #[arg(long, requires = "corpus", conflicts_with = "index")]
    no_stock_corpus: bool,
    #[command(flatten)]
    macros: MacroArgs,
}

/// Which config file is read.
#[derive(Args)]
struct ConfigArgs {
    /// The config file to read [default: cannery.toml or .cannery.toml in the working
    /// directory or the nearest directory above it].
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<String>,
    /// Read no config file.
    #[arg(long)]
    isolated: bool,
}

impl ConfigArgs {
    fn load(&self) -> Result<Option<config::Loaded>, String> {
        let here = std::env::current_dir()
            .map_err(|e| format!("cannot tell the working directory: {e}"))?;
        config::load(self.config.as_deref(), self.isolated, &here)
    }
}

/// Arguments of `cannery config`.
#[derive(Args)]
struct ConfigCommandArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ConfigFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ConfigFormat {
    Human,
    Json,
}

/// A helpdesk's canned replies, imported as known templates.
#[derive(Args)]
struct MacroArgs {
    /// A helpdesk's canned replies to import as known templates: a Zendesk macros export, a
    /// Freshdesk canned-responses export, a list (a template a line, .txt) or JSON lines. A reply
    /// that instantiates one is canned even if the corpus never saw it.
    #[arg(long, value_name = "FILE")]
    macros: Option<String>,
    /// The format of --macros [default: told from the file].
    #[arg(long, value_enum, value_name = "FORMAT", requires = "macros")]
    macros_format: Option<helpdesk::MacroFormat>,
}

impl MacroArgs {
    fn apply(&self, index: &mut Index) -> Result<(), String> {
        if let Some(path) = &self.macros {
            let format = self.macros_format.unwrap_or(helpdesk::MacroFormat::Auto);
            for m in helpdesk::read(path, format)? {
                index.add_macro(&m.name, &m.text);
            }
        }
        Ok(())
    }
}

/// Which fields of a record hold what (for the corpus and the input alike).
#[derive(Args, Clone)]
struct FieldArgs {
    /// The field with a reply's id [default: id].
    #[arg(long, value_name = "NAME")]
    id_field: Option<String>,
    /// The field with a reply's text [default: text].
    #[arg(long, value_name = "NAME")]
    text_field: Option<String>,
    /// The field with the customer message a reply answers [default: in_reply_to_text, when the
    /// file has it].
    #[arg(long, value_name = "NAME")]
    context_field: Option<String>,
    /// The field with a reply's group (brand, agent) [default: brand, when the file has it].
    #[arg(long, value_name = "NAME")]
    group_field: Option<String>,
    /// The field with when a corpus reply was sent (Unix seconds or milliseconds, RFC 3339,
    /// `YYYY-MM-DD[ HH:MM:SS]` or the Twitter layout `Tue Oct 31 22:10:47 +0000 2017`), for
    /// the first and last use of each template.
    #[arg(long, value_name = "NAME")]
    time_field: Option<String>,
}

impl FieldArgs {
    /// The flags given, by name (for refusing them where they would do nothing).
    fn given(&self) -> Vec<&'static str> {
        [
            ("--id-field", self.id_field.is_some()),
            ("--text-field", self.text_field.is_some()),
            ("--context-field", self.context_field.is_some()),
            ("--group-field", self.group_field.is_some()),
            ("--time-field", self.time_field.is_some()),
        ]
        .into_iter()
        .filter(|&(_, given)| given)
        .map(|(flag, _)| flag)
        .collect()
    }

    fn names(&self) -> FieldNames {
        FieldNames {
            id: self.id_field.clone().unwrap_or_else(|| "id".into()),
            text: self.text_field.clone().unwrap_or_else(|| "text".into()),
            context: Some(
                self.context_field
                    .clone()
                    .unwrap_or_else(|| "in_reply_to_text".into()),
            ),
            context_required: self.context_field.is_some(),
            group: Some(self.group_field.clone().unwrap_or_else(|| "brand".into())),
            group_required: self.group_field.is_some(),
            time: self.time_field.clone(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LintFormat {
    /// The verdict, the scores and the draft with its boilerplate underlined.
    Human,
    /// One JSON object.
    Json,
    /// A SARIF 2.1.0 log, for CI systems and editors.
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// The verdict's thresholds.
#[derive(Args)]
struct VerdictArgs {
    /// The canned score from which the verdict is canned or templated [default: the index's,
    /// 0.6 unless it was built with another].
    #[arg(long, value_name = "SCORE", value_parser = parse_unit)]
    canned_at: Option<f64>,
    /// The personalisation score from which a canned reply is templated rather than canned
    /// [default: the index's, 0.5 unless it was built with another].
    #[arg(long, value_name = "SCORE", value_parser = parse_unit)]
    personal_at: Option<f64>,
}

impl VerdictArgs {
    fn apply(&self, index: &mut Index) {
        if self.canned_at.is_some() || self.personal_at.is_some() {
            let config = index.config();
            let canned_at = self.canned_at.unwrap_or(config.canned_at);
            let personal_at = self.personal_at.unwrap_or(config.personal_at);
            index.set_verdict_thresholds(canned_at, personal_at);
        }
    }
}

/// What a lint is checked against, for `lint`, `serve` and `mcp` alike: the config file, the
/// corpus or index, the group, the thresholds and the model.
#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    corpus: CorpusArgs,
    #[command(flatten)]
    fields: FieldArgs,
    /// Score the draft for this group (brand, tenant) alone: against its replies and the
    /// reference replies (stock corpus, macros), never another group's.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Fail (exit 1) when the canned score is at or above this [default: --canned-at].
    #[arg(long, value_name = "SCORE", value_parser = parse_unit)]
    fail_at: Option<f64>,
    #[command(flatten)]
    verdict: VerdictArgs,
    #[command(flatten)]
    model: ModelArgs,
}

impl CheckArgs {
    /// The effective settings: the flags over the config file.
    fn settings(&self) -> Result<config::Effective, String> {
        let loaded = self.config.load()?;
        let model = self.model.model.clone().map(|m| {
            let from_env = std::env::var("CANNERY_MODEL").is_ok_and(|e| e == m);
            (m, from_env)
        });
        let flags = config::Flags {
            corpus: self.corpus.corpus.clone(),
            index: self.corpus.index.clone(),
            macros: self.corpus.macros.macros.clone(),
            model,
            group: self.group.clone(),
            fail_at: self.fail_at,
            canned_at: self.verdict.canned_at,
            personal_at: self.verdict.personal_at,
        };
        Ok(config::Effective::of(flags, loaded.as_ref()))
    }

    /// Takes the config file's settings where no flag gave one, and returns the rules and the
    /// allowed boilerplate it sets.
    fn settle(&mut self) -> Result<(lint::Rules, cannery::Allowed), String> {
        let settings = self.settings()?;
        self.corpus.corpus = settings.corpus.value.clone();
        self.corpus.index = settings.index.value.clone();
        self.corpus.macros.macros = settings.macros.value.clone();
        self.model.model = settings.model.value.clone();
        self.group = settings.group.value.clone();
        self.fail_at = settings.fail_at.value;
        self.verdict.canned_at = settings.canned_at.value;
        self.verdict.personal_at = settings.personal_at.value;
        let rules = lint::Rules {
            canned_reply: settings.canned_reply.value,
            boilerplate_span: settings.boilerplate_span.value,
            unjudged_language: settings.unjudged_language.value,
        };
        let allowed = cannery::Allowed::new(
            &settings.allowed_phrases.value,
            &settings.allowed_patterns.value,
        )
        .map_err(|e| match &settings.file {
            Some(file) => format!("{}: {e}", file.display()),
            None => e.to_string(),
        })?;
        fields_need_a_corpus(&self.corpus, &self.fields)?;
        Ok((rules, allowed))
    }

    /// The index to check against, with the model and the verdict thresholds; quiet.
    fn index(&self, threads: usize) -> Result<Index, String> {
        let model = self.model.load()?;
        let mut index = load_or_build(&self.corpus, &self.fields, threads, true, model)?;
        self.verdict.apply(&mut index);
        Ok(index)
    }

    /// What a long-running `serve` or `mcp` lints with: the settings settled, the index loaded,
    /// and a loader of the index file that gives it the same model, macros and thresholds.
    #[cfg(any(feature = "serve", feature = "mcp"))]
    fn long_running(mut self, threads: usize) -> Result<LongRunning, String> {
        let (rules, allowed) = self.settle()?;
        let model = self.model.load()?;
        let mut index = load_or_build(&self.corpus, &self.fields, threads, true, model.clone())?;
        self.verdict.apply(&mut index);
        let checker = check::Checker {
            fail_at: self.fail_at.unwrap_or(index.config().canned_at),
            rules,
            allowed,
            group: self.group.clone(),
        };
        let file = self.corpus.index.clone();
        let (macros, verdict) = (self.corpus.macros, self.verdict);
        let reload = move |path: &std::path::Path| -> Result<Index, String> {
            let path = path.to_string_lossy();
            let mut index = load_index(&path)?;
            model::attach(&mut index, model.clone(), &path)?;
            macros.apply(&mut index)?;
            verdict.apply(&mut index);
            Ok(index)
        };
        Ok(LongRunning {
            checker,
            index,
            file,
            reload: Box::new(reload),
        })
    }
}

/// What `serve` and `mcp` hold while they run.
#[cfg(any(feature = "serve", feature = "mcp"))]
struct LongRunning {
    checker: check::Checker,
    index: Index,
    /// The `--index` file, if the index came from one.
    file: Option<String>,
    reload: check::Reloader,
}

/// Arguments of `cannery serve`.
#[cfg(feature = "serve")]
#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// Where to listen (port 0: any free port; the address is printed on standard error).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8750")]
    listen: std::net::SocketAddr,
    /// Where the inserted replies are saved when the index came from --corpus or the stock
    /// corpus (with --index, that file is: it is saved and watched). Without either, inserts
    /// are kept in memory only.
    #[arg(long, value_name = "FILE", conflicts_with = "index")]
    save: Option<String>,
    /// Seconds between saves of the inserted replies (they are saved at shutdown too; 0: only
    /// then).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    persist_every: f64,
    /// Seconds between looks at the index file; when another process replaces it, it is
    /// reloaded (0: never).
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    watch_every: f64,
    /// The largest request body, in bytes (413 past it).
    #[arg(long, value_name = "BYTES", default_value = "1048576")]
    max_body: usize,
    /// The most drafts or replies in one request (413 past it).
    #[arg(long, value_name = "N", default_value = "1000")]
    max_batch: usize,
    /// Requests a second from one client address; past it, 429 with Retry-After (0: no limit).
    /// /health is not limited.
    #[arg(long, value_name = "N", default_value = "1000")]
    rate_limit: u32,
    /// Requests one address may send at once [default: --rate-limit].
    #[arg(long, value_name = "N")]
    burst: Option<u32>,
    /// Worker threads [default: one a core].
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_threads)]
    threads: usize,
}

/// Arguments of `cannery mcp`.
#[cfg(feature = "mcp")]
#[derive(Args)]
struct McpArgs {
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Args)]
struct LintArgs {
    /// The draft reply itself (not a file name: use --file for that); `-` or nothing reads it
    /// from standard input.
    text: Option<String>,
    /// Read the draft from this file instead (its path also names it in the output; `-` is
    /// standard input). Give it again to lint several files in one call, reported in order.
    #[arg(long, value_name = "PATH", conflicts_with = "text")]
    file: Vec<String>,
    /// Lint every line of this JSON lines file (`-`: standard input), each an object with
    /// `draft` and optionally `customer`, `name`, `group` and `id` (its name in the output;
    /// `FILE:LINE` otherwise); a line's context overrides --customer, --name and --group.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "file"])]
    drafts: Option<String>,
    /// The name of a draft read from standard input, in the output (the SARIF artifact's uri).
    #[arg(long, value_name = "NAME", default_value = "stdin")]
    stdin_filename: String,
    /// The customer's message the draft answers.
    #[arg(long, value_name = "TEXT")]
    customer: Option<String>,
    /// The customer's name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: LintFormat,
    #[command(flatten)]
    check: CheckArgs,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
}

#[derive(Args)]
struct ScoreArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// The replies to score: CSV or JSONL (by extension, or --input-format); `-` reads standard
    /// input.
    #[arg(long, value_name = "FILE")]
    input: String,
    /// The input's format, when its extension does not tell.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<Format>,
    #[command(flatten)]
    fields: FieldArgs,
    /// Score a row whose id is in the corpus with that corpus reply left out (leave-one-out).
    #[arg(long)]
    exclude_self: bool,
    /// Score each row for its group (--group-field) alone: against that group's replies and
    /// the reference replies (stock corpus, macros), never another group's. A row without a
    /// group is scored against the replies without one.
    #[arg(long)]
    scope_by_group: bool,
    #[command(flatten)]
    verdict: VerdictArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: archive::OutputFormat,
    /// Write the rows here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<String>,
    /// Write a JSON summary here: counts, score quantiles and histograms, canned rate per group,
    /// the version and the settings.
    #[arg(long, value_name = "FILE")]
    summary: Option<String>,
    /// Worker threads (0: one per core; at most 256).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    threads: usize,
    /// No progress bar and no closing line on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// A line per template.
    Human,
    /// One JSON object a line, a template each.
    Json,
}

#[derive(Args)]
struct TemplatesArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    #[command(flatten)]
    fields: FieldArgs,
    /// List templates used by at least this many replies.
    #[arg(long, value_name = "N", default_value_t = 2)]
    min_support: u32,
    /// List at most this many (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    top: usize,
    /// List the templates of this group (brand, tenant) alone, mined from its replies.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ListFormat,
    /// No progress bar on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct IndexArgs {
    /// Past replies to index: CSV or JSONL (by extension, or --corpus-format); `-` reads standard
    /// input. Without it, the index holds the built-in stock corpus (and --macros) alone: with
    /// --model, the index `lint --index` needs to embed only the draft.
    #[arg(long, value_name = "FILE")]
    corpus: Option<String>,
    /// The corpus's format, when its extension does not tell.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "corpus")]
    corpus_format: Option<Format>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    fields: FieldArgs,
    /// Leave the built-in stock corpus out of the index.
    #[arg(long)]
    no_stock_corpus: bool,
    #[command(flatten)]
    macros: MacroArgs,
    /// Where to save the index.
    #[arg(long, value_name = "FILE")]
    output: String,
    /// Threads that tokenize the corpus (0: one per core; at most 256); the index is the same
    /// whatever the number.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    threads: usize,
    /// No progress bar and no closing line on standard error.
    #[arg(long, short)]
    quiet: bool,
}

/// Seconds since the Unix epoch of a time as corpora write it.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        // Milliseconds past 2286 would be seconds; anything that large is milliseconds.
        return Some(if n.abs() >= 10_000_000_000 {
            n / 1000
        } else {
            n
        });
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y") {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// A Unix time as a date and time in UTC.
fn format_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

fn parse_unit(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside [0, 1]"))
    }
}

/// The most threads `--threads` takes.
const MAX_THREADS: usize = 256;

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of threads"))?;
    if n <= MAX_THREADS {
        Ok(n)
    } else {
        Err(format!("{n} is more than {MAX_THREADS} threads"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => run_lint(args),
        Command::Score(args) => run_score(args),
        Command::Index(args) => run_index(args),
        Command::Merge(args) => run_merge(args),
        Command::Config(args) => run_config(args),
        Command::Templates(args) => run_templates(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => run_serve(args),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => run_mcp(args),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannery: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn progress(quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{human_pos}} {what} ({{per_sec}}, {{elapsed}})"
        ))
        .expect("a valid progress template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The number of threads `--threads N` asks for: N (at most [`MAX_THREADS`], as
/// `IndexBuilder::threads` takes), or one per core for 0.
fn thread_count(n: usize) -> usize {
    if n > 0 {
        n.min(MAX_THREADS)
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// An error and the errors behind it, each once: `cannot save the index to x: No space left`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Loads a saved index, gzip-compressed or not.
fn load_index(path: &str) -> Result<Index, String> {
    let mut head = [0u8; 2];
    let gzip = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == [0x1f, 0x8b];
    if !gzip {
        return Index::load(path).map_err(|e| chain(&e));
    }
    let mut bytes = Vec::new();
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read the index {path}: {e}"))?;
    flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot decompress the index {path}: {e}"))?;
    Index::from_bytes(&bytes).map_err(|e| format!("{path}: {}", chain(&e)))
}

/// Refuses field flags where no corpus is read that they could name fields of.
fn fields_need_a_corpus(corpus: &CorpusArgs, fields: &FieldArgs) -> Result<(), String> {
    if corpus.corpus.is_none() {
        fields_given_need_a_corpus(fields)?;
    }
    Ok(())
}

/// Refuses the field flags given, with no corpus to read.
fn fields_given_need_a_corpus(fields: &FieldArgs) -> Result<(), String> {
    let given = fields.given();
    if !given.is_empty() {
        return Err(format!(
            "{} name{} fields of the --corpus file's records; without --corpus {} nothing",
            given.join(", "),
            if given.len() == 1 { "s" } else { "" },
            if given.len() == 1 {
                "it does"
            } else {
                "they do"
            }
        ));
    }
    Ok(())
}

/// Builds the index of a corpus file, tokenizing on `threads` threads, and reports its
/// malformed rows and the replies cut to `MAX_INPUT_BYTES` on standard error. A corpus with no
/// usable row is an error.
#[allow(clippy::too_many_arguments)]
fn build_index(
    path: &str,
    format: Option<Format>,
    fields: &FieldArgs,
    stock: bool,
    threads: usize,
    quiet: bool,
    model: Option<&Model>,
) -> Result<Index, String> {
    let rows = records::open(path, format, &fields.names())?;
    let mut builder = Index::builder();
    builder.stock_corpus(stock).threads(threads);
    model::build_with(&mut builder, model);
    let mut writer = builder.writer();
    let cut_before = writer.truncated();
    let bar = progress(quiet, "corpus replies indexed");
    let (mut good, mut bad, mut first_bad) = (0u64, 0u64, None::<(u64, String)>);
    let (mut untimed, mut first_untimed) = (0u64, None::<(u64, String)>);
    // Rows are read into batches that `add_batch` tokenizes on the threads.
    let batch_len = 4096 * threads.clamp(1, MAX_THREADS);
    let mut batch: Vec<(records::Item, Option<i64>)> = Vec::with_capacity(batch_len);
    let add = |writer: &mut cannery::IndexWriter, batch: &[(records::Item, Option<i64>)]| {
        let replies: Vec<Reply> = batch
            .iter()
            .map(|(item, time)| {
                let mut reply = Reply::new(&item.id, &item.text);
                if let Some(g) = &item.group {
                    reply = reply.group(g);
                }
                if let Some(m) = &item.context {
                    reply = reply.message(m);
                }
                if let Some(t) = *time {
                    reply = reply.time(t);
                }
                reply
            })
            .collect();
        writer.add_batch(&replies);
    };
    for (n, row) in rows.enumerate() {
        if n % 8192 == 8191 {
            bar.inc(8192);
        }
        let item = match row.item {
            Ok(item) => item,
            Err(e) => {
                bad += 1;
                first_bad.get_or_insert((row.line, e.reason));
                continue;
            }
        };
        good += 1;
        let mut time = None;
        if let Some(t) = item.time.as_deref() {
            match parse_time(t) {
                Some(t) => time = Some(t),
                None => {
                    untimed += 1;
                    first_untimed.get_or_insert((row.line, t.to_string()));
                }
            }
        }
        batch.push((item, time));
        if batch.len() == batch_len {
            add(&mut writer, &batch);
            batch.clear();
        }
    }
    add(&mut writer, &batch);
    bar.finish_and_clear();
    if good == 0 {
        return Err(match first_bad {
            Some((line, reason)) => format!(
                "{path} has no usable row: all {bad} are malformed (the first, line {line}: {reason})"
            ),
            None => format!("{path} has no rows: a corpus needs at least one reply"),
        });
    }
    let cut = writer.truncated() - cut_before;
    let index = writer.finish();
    if let Some((line, time)) = first_untimed {
        eprintln!("cannery: warning: {path}: {untimed} corpus rows have a time cannery cannot read; they are indexed without one (the first, line {line}: {time:?})");
    }
    if let Some((line, reason)) = first_bad {
        eprintln!("cannery: warning: {path}: {bad} malformed corpus rows left out (the first, line {line}: {reason})");
    }
    if cut > 0 {
        eprintln!(
            "cannery: warning: {path}: {cut} corpus replies are longer than {} bytes; each was indexed up to its first {} bytes",
            cannery::MAX_INPUT_BYTES,
            cannery::MAX_INPUT_BYTES
        );
    }
    Ok(index)
}

/// The index of `--index`, or of `--corpus` built on `threads` threads, or the stock index.
fn load_or_build(
    corpus: &CorpusArgs,
    fields: &FieldArgs,
    threads: usize,
    quiet: bool,
    model: Option<Model>,
) -> Result<Index, String> {
    let mut index = match (&corpus.index, &corpus.corpus) {
        (Some(path), _) => {
            let mut index = load_index(path)?;
            model::attach(&mut index, model, path)?;
            index
        }
        (None, Some(path)) => build_index(
            path,
            corpus.corpus_format,
            fields,
            !corpus.no_stock_corpus,
            threads,
            quiet,
            model.as_ref(),
        )?,
        (None, None) => {
            let mut builder = Index::builder();
            model::build_with(&mut builder, model.as_ref());
            builder.build([])
        }
    };
    corpus.macros.apply(&mut index)?;
    Ok(index)
}

/// Whether a draft holds nothing but white space and invisible characters.
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    })
}

#[cfg(feature = "serve")]
fn run_serve(args: ServeArgs) -> Result<ExitCode, String> {
    let threads = thread_count(args.threads);
    let run = args.check.long_running(threads)?;
    if let (Some(file), Some(_)) = (&run.file, &args.save) {
        return Err(format!(
            "--save: the index file ({file}, from the config file) is where inserts are saved; give one or the other"
        ));
    }
    let save_to = run
        .file
        .clone()
        .or(args.save.clone())
        .map(std::path::PathBuf::from);
    let options = serve::Options {
        listen: args.listen,
        max_body: args.max_body,
        max_batch: args.max_batch.max(1),
        rate: (args.rate_limit, args.burst.unwrap_or(args.rate_limit)),
        persist_every: args.persist_every,
        watch_every: args.watch_every,
        threads,
    };
    serve::run(options, run.checker, run.index, save_to, Some(run.reload))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "mcp")]
fn run_mcp(args: McpArgs) -> Result<ExitCode, String> {
    for (flag, path) in [
        ("--corpus", &args.check.corpus.corpus),
        ("--macros", &args.check.corpus.macros.macros),
    ] {
        if path.as_deref() == Some("-") {
            return Err(format!(
                "{flag} -: standard input carries the MCP protocol; give a file"
            ));
        }
    }
    let run = args.check.long_running(thread_count(0))?;
    mcp::run(run.checker, run.index)?;
    Ok(ExitCode::SUCCESS)
}

/// A number of seconds, 0 or more.
#[cfg(feature = "serve")]
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0 * 365.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds")),
    }
}

fn run_config(args: ConfigCommandArgs) -> Result<ExitCode, String> {
    let loaded = args.config.load()?;
    let settings = config::Effective::of(config::Flags::default(), loaded.as_ref());
    let rows = settings.rows();
    let out = match args.format {
        ConfigFormat::Json => {
            let mut settings = serde_json::Map::new();
            for (key, value, source) in rows {
                settings.insert(
                    key.into(),
                    serde_json::json!({"value": value, "source": source}),
                );
            }
            let file = loaded.as_ref().map(|l| l.path.display().to_string());
            serde_json::to_string_pretty(&serde_json::json!({"file": file, "settings": settings}))
                .map_err(|e| e.to_string())?
        }
        ConfigFormat::Human => {
            let mut out = match &loaded {
                Some(l) => format!("config file: {}\n", l.path.display()),
                None => {
                    "config file: none (no cannery.toml or .cannery.toml here or above)\n".into()
                }
            };
            for (key, value, source) in rows {
                out.push_str(&format!("{key:<24} = {value:<40} # {source}\n"));
            }
            out.trim_end().to_string()
        }
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn run_lint(mut args: LintArgs) -> Result<ExitCode, String> {
    let (rules, allowed) = args.check.settle()?;
    let sources = drafts::Sources {
        text: args.text.as_deref(),
        files: &args.file,
        lines: args.drafts.as_deref(),
        stdin_name: &args.stdin_filename,
    };
    for (flag, path) in [
        ("--corpus", &args.check.corpus.corpus),
        ("--macros", &args.check.corpus.macros.macros),
    ] {
        if sources.reads_stdin() && path.as_deref() == Some("-") {
            return Err(format!(
                "the draft and {flag} cannot both read standard input: give the draft as TEXT or with --file"
            ));
        }
    }
    let drafts = sources.read()?;
    if let Some(empty) = drafts.iter().find(|d| is_blank(&d.text)) {
        return Err(format!(
            "the draft ({}) is empty or white space only: there is nothing to lint",
            empty.path
        ));
    }
    let index = args.check.index(thread_count(0))?;
    let fail_at = args.check.fail_at.unwrap_or(index.config().canned_at);
    let checker = check::Checker {
        fail_at,
        rules,
        allowed,
        group: args.check.group.clone(),
    };
    let reports: Vec<cannery::Report> = drafts
        .iter()
        .map(|d| {
            let asked = check::Asked {
                customer: d.customer.as_deref().or(args.customer.as_deref()),
                name: d.name.as_deref().or(args.name.as_deref()),
                group: d.group.as_deref(),
            };
            checker.report(&index, &d.text, asked)
        })
        .collect();
    let linted: Vec<lint::Linted<'_>> = drafts
        .iter()
        .zip(&reports)
        .map(|(d, report)| lint::Linted {
            draft: &d.text,
            path: &d.path,
            report,
        })
        .collect();
    let out = match args.format {
        LintFormat::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let shown: Vec<String> = linted
                .iter()
                .map(|l| lint::human(l.draft, l.path, l.report, fail_at, color, &checker.rules))
                .collect();
            shown.join("\n\n")
        }
        LintFormat::Json => {
            let value = if sources.several() {
                serde_json::Value::Array(
                    linted
                        .iter()
                        .map(|l| {
                            let mut v = lint::json(l.draft, l.report, fail_at, &checker.rules);
                            v["path"] = l.path.into();
                            v
                        })
                        .collect(),
                )
            } else {
                lint::json(linted[0].draft, linted[0].report, fail_at, &checker.rules)
            };
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        }
        LintFormat::Sarif => {
            serde_json::to_string_pretty(&lint::sarif(&linted, fail_at, &checker.rules))
                .map_err(|e| e.to_string())?
        }
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{out}").map_err(|e| e.to_string())?;
    Ok(if reports.iter().any(|r| checker.fails(r)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_score(args: ScoreArgs) -> Result<ExitCode, String> {
    let start = Instant::now();
    check_score_files(&args)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| format!("cannot start {} threads: {e}", args.threads))?;
    let model = args.model.load()?;
    let mut index = pool.install(|| {
        load_or_build(
            &args.corpus,
            &args.fields,
            pool.current_num_threads(),
            args.quiet,
            model,
        )
    })?;
    args.verdict.apply(&mut index);
    let rows = records::open(&args.input, args.input_format, &args.fields.names())?;
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => {
            Box::new(std::fs::File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?)
        }
        None => Box::new(std::io::stdout()),
    };
    let out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut writer = archive::RowWriter::new(args.format, out).map_err(|e| e.to_string())?;
    let bar = progress(args.quiet, "replies scored");
    let how = archive::How {
        exclude_self: args.exclude_self,
        scope_by_group: args.scope_by_group,
    };
    let mut summary = pool
        .install(|| archive::run(&index, rows, how, &mut writer, &bar))
        .map_err(|e| format!("cannot write the output: {e}"))?;
    writer
        .finish()
        .map_err(|e| format!("cannot write the output: {e}"))?;
    bar.finish_and_clear();
    let elapsed = start.elapsed();
    if let Some(path) = &args.summary {
        let threads = pool.current_num_threads();
        write_summary(path, &args, &index, threads, elapsed, &mut summary)?;
    }
    tell_score_counts(&args, &summary, elapsed);
    Ok(if summary.errors() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Refuses a `score` whose inputs both read standard input, or whose outputs are one of its
/// inputs or each other.
fn check_score_files(args: &ScoreArgs) -> Result<(), String> {
    for (flag, path) in [
        ("--corpus", &args.corpus.corpus),
        ("--macros", &args.corpus.macros.macros),
    ] {
        if args.input == "-" && path.as_deref() == Some("-") {
            return Err(format!(
                "{flag} and --input cannot both read standard input"
            ));
        }
    }
    use files::Named;
    files::check_outputs(
        &[
            Named::new("--input", Some(&args.input)),
            Named::new("--corpus", args.corpus.corpus.as_deref()),
            Named::new("--index", args.corpus.index.as_deref()),
            Named::new("--macros", args.corpus.macros.macros.as_deref()),
        ],
        &[
            Named::new("--output", args.output.as_deref()),
            Named::new("--summary", args.summary.as_deref()).skip_if_absent(),
        ],
    )?;
    Ok(())
}

/// Writes the summary of a `score` run: its settings, the index's, and the summary's figures.
fn write_summary(
    path: &str,
    args: &ScoreArgs,
    index: &cannery::Index,
    threads: usize,
    elapsed: std::time::Duration,
    summary: &mut archive::Summary,
) -> Result<(), String> {
    let names = args.fields.names();
    let config = serde_json::json!({
        "corpus": args.corpus.corpus, "index": args.corpus.index,
        "stock_corpus": index.config().stock_corpus,
        "input": args.input, "exclude_self": args.exclude_self,
        "scope_by_group": args.scope_by_group,
        "id_field": names.id, "text_field": names.text,
        "context_field": names.context, "group_field": names.group,
        "index_config": index.config(), "index_replies": index.len(),
        "threads": threads, "seconds": elapsed.as_secs_f64(),
    });
    let text = serde_json::to_string_pretty(&summary.finish(config)).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {path}: {e}"))
}

/// Tells on standard error what a `score` run did: rows cut, rows scored and malformed.
fn tell_score_counts(args: &ScoreArgs, summary: &archive::Summary, elapsed: std::time::Duration) {
    if summary.truncated() > 0 {
        eprintln!(
            "cannery: warning: {} rows are longer than {} bytes; each was scored on its first {} bytes",
            summary.truncated(),
            cannery::MAX_INPUT_BYTES,
            cannery::MAX_INPUT_BYTES
        );
    }
    if !args.quiet {
        eprintln!(
            "cannery: {} rows scored, {} malformed, in {:.1?} ({:.0} rows/s)",
            summary.rows() - summary.errors(),
            summary.errors(),
            elapsed,
            summary.rows() as f64 / elapsed.as_secs_f64().max(1e-9)
        );
        if let Some((line, reason)) = summary.first_error() {
            eprintln!("cannery: the first malformed row, line {line}: {reason}");
        }
    }
}

fn run_templates(args: TemplatesArgs) -> Result<ExitCode, String> {
    if args.corpus.corpus.is_none()
        && args.corpus.index.is_none()
        && args.corpus.macros.macros.is_none()
    {
        return Err(
            "templates are mined from a corpus: give --corpus FILE, --index FILE or --macros FILE"
                .into(),
        );
    }
    fields_need_a_corpus(&args.corpus, &args.fields)?;
    let mut index = load_or_build(
        &args.corpus,
        &args.fields,
        thread_count(0),
        args.quiet,
        None,
    )?;
    if let Some(group) = &args.group {
        index = index.scope(Some(group));
    }
    let templates = index.templates(args.min_support);
    let shown = if args.top == 0 {
        templates.len()
    } else {
        args.top.min(templates.len())
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let write =
        |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    if args.format == ListFormat::Human {
        let covered: u32 = templates.iter().map(|t| t.count).sum();
        write(
            &mut out,
            format!(
                "{} templates (used by at least {} replies, or imported), covering {covered} replies",
                templates.len(),
                args.min_support
            ),
        )?;
    }
    for t in &templates[..shown] {
        let line = match args.format {
            ListFormat::Json => serde_json::to_string(t).map_err(|e| e.to_string())?,
            ListFormat::Human => {
                let groups: Vec<String> = t
                    .groups
                    .iter()
                    .take(3)
                    .map(|(g, n)| format!("{g} {n}"))
                    .collect();
                let seen = match (t.first_seen, t.last_seen) {
                    (Some(a), Some(b)) => format!("  ({} to {})", format_time(a), format_time(b)),
                    _ => String::new(),
                };
                let name = t
                    .name
                    .as_deref()
                    .map(|n| format!("  macro {n:?}:"))
                    .unwrap_or_default();
                format!(
                    "#{:<4} {:>6} replies {:>6.2}% {:>4} variants{}{seen}{name}  {}",
                    t.id,
                    t.count,
                    100.0 * t.share,
                    t.variants,
                    if groups.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", groups.join(", "))
                    },
                    t.text
                )
            }
        };
        write(&mut out, line)?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn run_index(args: IndexArgs) -> Result<ExitCode, String> {
    let start = Instant::now();
    use files::Named;
    files::check_outputs(
        &[
            Named::new("--corpus", args.corpus.as_deref()),
            Named::new("--macros", args.macros.macros.as_deref()),
        ],
        &[Named::new("--output", Some(&args.output))],
    )?;
    if args.corpus.is_none() {
        fields_given_need_a_corpus(&args.fields)?;
    }
    let model = args.model.load()?;
    let threads = thread_count(args.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let mut index = pool.install(|| match &args.corpus {
        Some(corpus) => build_index(
            corpus,
            args.corpus_format,
            &args.fields,
            !args.no_stock_corpus,
            threads,
            args.quiet,
            model.as_ref(),
        ),
        None if args.no_stock_corpus && args.macros.macros.is_none() => {
            Err("--no-stock-corpus without --corpus or --macros would save an empty index".into())
        }
        None => {
            let mut builder = Index::builder();
            builder.stock_corpus(!args.no_stock_corpus);
            model::build_with(&mut builder, model.as_ref());
            Ok(builder.build([]))
        }
    })?;
    args.macros.apply(&mut index)?;
    index.save(&args.output).map_err(|e| chain(&e))?;
    if !args.quiet {
        let with = index
            .semantic_model()
            .map(|m| format!(", with the vectors of {m}"))
            .unwrap_or_default();
        eprintln!(
            "cannery: indexed {} replies ({} distinct after masking{with}) into {} in {:.1?}",
            index.len(),
            index.distinct_len(),
            args.output,
            start.elapsed()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A saved index's length and checksum (its last 8 bytes): two files with the same are the
/// same index.
fn fingerprint(path: &str) -> Option<(u64, [u8; 8])> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.checked_sub(8)?)).ok()?;
    let mut sum = [0u8; 8];
    file.read_exact(&mut sum).ok()?;
    Some((len, sum))
}

fn run_merge(args: MergeArgs) -> Result<ExitCode, String> {
    let start = Instant::now();
    use files::Named;
    let shards: Vec<Named> = args
        .inputs
        .iter()
        .map(|p| Named::new("shard", Some(p.as_str())))
        .collect();
    files::check_distinct_inputs(&shards)
        .map_err(|e| format!("{e}: a shard merged twice would count its replies twice"))?;
    files::check_outputs(&shards, &[Named::new("--output", Some(&args.output))])?;
    let prints: Vec<Option<(u64, [u8; 8])>> = args.inputs.iter().map(|p| fingerprint(p)).collect();
    for (i, print) in prints.iter().enumerate() {
        if let Some(j) = (0..i).find(|&j| print.is_some() && prints[j] == *print) {
            return Err(format!(
                "shard {} and shard {} hold the same index (the same bytes): a shard merged twice would count its replies twice",
                args.inputs[j], args.inputs[i]
            ));
        }
    }
    let mut merged = load_index(&args.inputs[0])?;
    for path in &args.inputs[1..] {
        merged
            .merge(&load_index(path)?)
            .map_err(|e| format!("{path}: {}", chain(&e)))?;
    }
    merged.save(&args.output).map_err(|e| chain(&e))?;
    if !args.quiet {
        eprintln!(
            "cannery: merged {} indexes into {} ({} replies, {} distinct after masking) in {:.1?}",
            args.inputs.len(),
            args.output,
            merged.len(),
            merged.distinct_len(),
            start.elapsed()
        );
    }
    Ok(ExitCode::SUCCESS)
}
