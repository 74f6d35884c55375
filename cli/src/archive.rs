//! `cannery score`: score an archive, streamed in chunks, in parallel, one output row per input
//! row in input order, with a summary.

use std::collections::BTreeMap;
use std::io::Write;

use cannery::{Context, Index, Report, Verdict};
use clap::ValueEnum;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::records::Row;

/// The most rows scored in parallel between writes, and the most bytes of them (their texts,
/// customer messages and ids): rows of a megabyte each make chunks of a few rows, not of
/// thousands, so that the memory in flight stays bounded whatever the rows hold.
const CHUNK_ROWS: usize = 4096;
const CHUNK_BYTES: usize = 4 << 20;

/// The output format of `cannery score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// How the rows are scored.
#[derive(Debug, Clone, Copy)]
pub struct How {
    /// Leave a row whose id is in the index out of it.
    pub exclude_self: bool,
    /// Score each row for its group alone.
    pub scope_by_group: bool,
}

/// What the output and the summary need of one report (kept instead of the report, whose
/// neighbours' texts the rows do not show).
struct Outcome {
    canned: f64,
    personalisation: f64,
    verdict: Verdict,
    spans: Vec<[usize; 2]>,
    nearest: Option<(String, f64)>,
    template: Option<(usize, String)>,
    truncated: bool,
    mode: cannery::Mode,
    language: Option<cannery::Language>,
}

/// The result of one input row.
pub struct Scored {
    line: u64,
    id: Option<String>,
    group: Option<String>,
    result: Result<Outcome, String>,
    left_out: bool,
}

fn score_row(index: &Index, row: &Row, how: How) -> Scored {
    match &row.item {
        Err(e) => Scored {
            line: row.line,
            id: e.id.clone(),
            group: None,
            result: Err(e.reason.clone()),
            left_out: false,
        },
        Ok(item) => {
            let ctx = match &item.context {
                Some(c) => Context::new().message(c),
                None => Context::new(),
            };
            // A row scored for its group is scored against that group's scope (a row without a
            // group, against the replies without one).
            let scope = how
                .scope_by_group
                .then(|| index.scope(item.group.as_deref()));
            let index = scope.as_ref().unwrap_or(index);
            let left_out = how.exclude_self && index.contains_id(&item.id);
            let report = if left_out {
                index.score_excluding(&item.text, &ctx, &item.id)
            } else {
                index.score(&item.text, &ctx)
            };
            Scored {
                line: row.line,
                id: Some(item.id.clone()),
                group: item.group.clone(),
                result: Ok(outcome(report)),
                left_out,
            }
        }
    }
}

fn outcome(report: Report) -> Outcome {
    Outcome {
        canned: report.canned,
        personalisation: report.personalisation,
        verdict: report.verdict,
        spans: report
            .spans
            .iter()
            .map(|s| [s.bytes.start, s.bytes.end])
            .collect(),
        nearest: report
            .nearest
            .into_iter()
            .next()
            .map(|n| (n.id, n.similarity)),
        template: report.template.map(|t| (t.id, t.text)),
        truncated: report.truncated,
        mode: report.mode,
        language: report.language,
    }
}

/// One output row of the JSON lines format, its fields in alphabetical order (as the rows have
/// always been written), borrowing from the report.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    boilerplate_spans: Option<&'a [[usize; 2]]>,
    canned: Option<f64>,
    error: Option<&'a str>,
    id: Option<&'a str>,
    language: Option<&'static str>,
    left_out: bool,
    line: u64,
    mode: Option<&'static str>,
    nearest_id: Option<&'a str>,
    nearest_similarity: Option<f64>,
    personalisation: Option<f64>,
    template: Option<usize>,
    template_text: Option<&'a str>,
    verdict: Option<&'static str>,
}

/// Writes rows in one of the output formats.
pub struct RowWriter<W: Write> {
    format: OutputFormat,
    csv: Option<csv::Writer<W>>,
    json: Option<W>,
}

const CSV_HEADER: [&str; 14] = [
    "line",
    "id",
    "canned",
    "personalisation",
    "verdict",
    "template",
    "template_text",
    "nearest_id",
    "nearest_similarity",
    "boilerplate_spans",
    "left_out",
    "mode",
    "language",
    "error",
];

impl<W: Write> RowWriter<W> {
    pub fn new(format: OutputFormat, out: W) -> std::io::Result<Self> {
        Ok(match format {
            OutputFormat::Jsonl => RowWriter {
                format,
                csv: None,
                json: Some(out),
            },
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_HEADER)?;
                RowWriter {
                    format,
                    csv: Some(w),
                    json: None,
                }
            }
        })
    }

    fn write(&mut self, s: &Scored) -> std::io::Result<()> {
        let report = s.result.as_ref().ok();
        let nearest = report.and_then(|r| r.nearest.as_ref());
        let template = report.and_then(|r| r.template.as_ref());
        match self.format {
            OutputFormat::Jsonl => {
                let row = JsonRow {
                    boilerplate_spans: report.map(|r| r.spans.as_slice()),
                    canned: report.map(|r| r.canned),
                    error: s.result.as_ref().err().map(String::as_str),
                    id: s.id.as_deref(),
                    language: report.and_then(|r| r.language).map(cannery::Language::code),
                    left_out: s.left_out,
                    line: s.line,
                    mode: report.map(|r| r.mode.as_str()),
                    nearest_id: nearest.map(|n| n.0.as_str()),
                    nearest_similarity: nearest.map(|n| n.1),
                    personalisation: report.map(|r| r.personalisation),
                    template: template.map(|t| t.0),
                    template_text: template.map(|t| t.1.as_str()),
                    verdict: report.map(|r| r.verdict.as_str()),
                };
                let out = self.json.as_mut().expect("a JSON writer");
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")
            }
            OutputFormat::Csv => {
                let spans = report
                    .map(|r| {
                        r.spans
                            .iter()
                            .map(|[a, b]| format!("{a}-{b}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                let num = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
                let record = [
                    s.line.to_string(),
                    s.id.clone().unwrap_or_default(),
                    num(report.map(|r| r.canned)),
                    num(report.map(|r| r.personalisation)),
                    report
                        .map(|r| r.verdict.as_str().to_string())
                        .unwrap_or_default(),
                    template.map(|t| t.0.to_string()).unwrap_or_default(),
                    template.map(|t| t.1.clone()).unwrap_or_default(),
                    nearest.map(|n| n.0.clone()).unwrap_or_default(),
                    num(nearest.map(|n| n.1)),
                    spans,
                    s.left_out.to_string(),
                    report
                        .map(|r| r.mode.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    report
                        .and_then(|r| r.language)
                        .map_or("", cannery::Language::code)
                        .to_string(),
                    s.result.as_ref().err().cloned().unwrap_or_default(),
                ];
                self.csv
                    .as_mut()
                    .expect("a CSV writer")
                    .write_record(&record)?;
                Ok(())
            }
        }
    }

    pub fn finish(self) -> std::io::Result<()> {
        if let Some(mut w) = self.csv {
            w.flush()?;
        }
        if let Some(mut w) = self.json {
            w.flush()?;
        }
        Ok(())
    }
}

/// Running totals for `--summary`.
#[derive(Default)]
pub struct Summary {
    rows: u64,
    errors: u64,
    left_out: u64,
    truncated: u64,
    first_error: Option<(u64, String)>,
    verdicts: BTreeMap<&'static str, u64>,
    modes: BTreeMap<&'static str, u64>,
    canned: Vec<f64>,
    personalisation: Vec<f64>,
    groups: BTreeMap<String, (u64, u64, f64)>,
    /// Rows, canned ones and the sum of `canned`, per language (`und` where none was told).
    languages: BTreeMap<&'static str, (u64, u64, f64)>,
    templates: BTreeMap<usize, (u64, String)>,
}

impl Summary {
    fn add(&mut self, s: &Scored) {
        self.rows += 1;
        match &s.result {
            Err(e) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some((s.line, e.clone()));
                }
            }
            Ok(r) => {
                self.left_out += u64::from(s.left_out);
                self.truncated += u64::from(r.truncated);
                *self.verdicts.entry(r.verdict.as_str()).or_insert(0) += 1;
                *self.modes.entry(r.mode.as_str()).or_insert(0) += 1;
                self.canned.push(r.canned);
                if let Some((id, text)) = &r.template {
                    self.templates.entry(*id).or_insert((0, text.clone())).0 += 1;
                }
                self.personalisation.push(r.personalisation);
                if let Some(g) = &s.group {
                    let e = self.groups.entry(g.clone()).or_insert((0, 0, 0.0));
                    e.0 += 1;
                    e.1 += u64::from(r.verdict == Verdict::Canned);
                    e.2 += r.canned;
                }
                let language = r.language.map_or("und", cannery::Language::code);
                let e = self.languages.entry(language).or_insert((0, 0, 0.0));
                e.0 += 1;
                e.1 += u64::from(r.verdict == Verdict::Canned);
                e.2 += r.canned;
            }
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Rows longer than `MAX_INPUT_BYTES`, scored on their beginning.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    pub fn first_error(&self) -> Option<&(u64, String)> {
        self.first_error.as_ref()
    }

    /// The summary as JSON, with the settings the run used.
    pub fn finish(&mut self, config: Value) -> Value {
        fn distribution(values: &mut [f64]) -> Value {
            values.sort_by(f64::total_cmp);
            let q = |p: f64| -> Option<f64> {
                if values.is_empty() {
                    return None;
                }
                let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
                Some(values[rank - 1])
            };
            let mut histogram = [0u64; 10];
            for v in values.iter() {
                histogram[((v * 10.0) as usize).min(9)] += 1;
            }
            let mean = if values.is_empty() {
                None
            } else {
                Some(values.iter().sum::<f64>() / values.len() as f64)
            };
            json!({
                "mean": mean,
                "quantiles": {"p05": q(0.05), "p25": q(0.25), "p50": q(0.5), "p75": q(0.75), "p95": q(0.95)},
                "histogram": {"bins": "ten equal bins over [0, 1]", "counts": histogram},
            })
        }
        let scored = self.rows - self.errors;
        let groups: BTreeMap<&String, Value> = self
            .groups
            .iter()
            .map(|(g, &(n, canned, sum))| {
                (g, json!({"rows": n, "canned_rate": canned as f64 / n as f64, "mean_canned": sum / n as f64}))
            })
            .collect();
        let languages: BTreeMap<&str, Value> = self
            .languages
            .iter()
            .map(|(&l, &(n, canned, sum))| {
                (l, json!({"rows": n, "canned_rate": canned as f64 / n as f64, "mean_canned": sum / n as f64}))
            })
            .collect();
        let mut templates: Vec<(&usize, &(u64, String))> = self.templates.iter().collect();
        templates.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let templates: Vec<_> = templates
            .iter()
            .take(20)
            .map(|(id, (n, text))| {
                json!({"id": id, "text": text, "rows": n, "share": *n as f64 / scored.max(1) as f64})
            })
            .collect();
        let with_template: u64 = self.templates.values().map(|v| v.0).sum();
        json!({
            "cannery_version": env!("CARGO_PKG_VERSION"),
            "config": config,
            "rows": self.rows,
            "scored": scored,
            "errors": self.errors,
            "left_out": self.left_out,
            "truncated": self.truncated,
            "verdicts": self.verdicts,
            "modes": self.modes,
            "canned_rate": if scored == 0 { None } else { Some(*self.verdicts.get("canned").unwrap_or(&0) as f64 / scored as f64) },
            "canned": distribution(&mut self.canned),
            "personalisation": distribution(&mut self.personalisation),
            "groups": groups,
            "languages": languages,
            "template_rate": if scored == 0 { None } else { Some(with_template as f64 / scored as f64) },
            "top_templates": templates,
        })
    }
}

/// Scores every row of `rows`, writing one output row per input row in order.
pub fn run<W: Write + Send>(
    index: &Index,
    rows: impl Iterator<Item = Row> + Send,
    how: How,
    writer: &mut RowWriter<W>,
    progress: &indicatif::ProgressBar,
) -> std::io::Result<Summary> {
    // A pipeline of three stages, so that reading and parsing the next chunk and writing the
    // last one overlap with scoring this one (run in turn, they were the part of a run that a
    // second core could not speed up): a reader thread, the scoring pool, a writer thread.
    // Chunks travel in order through bounded channels, so rows come out in input order and
    // memory stays at a few chunks, each at most CHUNK_ROWS rows and about CHUNK_BYTES bytes.
    std::thread::scope(|scope| {
        let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
        let (scored_tx, scored_rx) = std::sync::mpsc::sync_channel::<Vec<Scored>>(2);
        scope.spawn(move || {
            let mut rows = rows.peekable();
            while rows.peek().is_some() {
                let (mut chunk, mut bytes) = (Vec::new(), 0);
                while chunk.len() < CHUNK_ROWS && bytes < CHUNK_BYTES {
                    let Some(row) = rows.next() else { break };
                    bytes += row.weight();
                    chunk.push(row);
                }
                // A closed channel means the writer failed; its error is reported below.
                if chunk_tx.send(chunk).is_err() {
                    break;
                }
            }
        });
        let written = scope.spawn(move || -> std::io::Result<Summary> {
            let mut summary = Summary::default();
            for scored in scored_rx {
                for s in &scored {
                    writer.write(s)?;
                    summary.add(s);
                }
                progress.inc(scored.len() as u64);
            }
            Ok(summary)
        });
        for chunk in chunk_rx {
            let scored: Vec<Scored> = chunk
                .par_iter()
                .map(|row| score_row(index, row, how))
                .collect();
            drop(chunk);
            if scored_tx.send(scored).is_err() {
                break;
            }
        }
        drop(scored_tx);
        written.join().expect("the writer thread does not panic")
    })
}
