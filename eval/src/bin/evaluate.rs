//! Measures cannery's quality on hand-labelled replies, leave-one-out, as the README reports it.
//!
//! ```text
//! cargo run --release -p cannery-eval --bin evaluate -- \
//!     [--data ../shared/data] [--signals FILE] [--model DIR] \
//!     [--floor-canned2 AUC] [--floor-canned1 AUC] [--floor-specific AUC]
//! ```
//!
//! Indexes `replies.jsonl` (with the built-in stock corpus), scores every reply of
//! `labels-train.jsonl` (what the models are fitted on) and `labels-dev.jsonl` (held out), with
//! its customer message as context, in two settings: against that archive with itself left out
//! (`archive`), and against the built-in stock corpus alone (`stock`, a lint with no archive).
//! For each setting and set it prints the ROC-AUC of `canned` for label 2 vs 0 and for >= 1 vs
//! 0, and of `personalisation` for `specific`. With floors it exits 1 when a figure of the
//! archive setting's dev set falls below its floor (the CI quality gate). `--signals FILE` writes
//! each item's setting, set, labels, signals and model features (by name, as
//! `eval/python/fit_models.py` reads them) as JSON lines. `--model DIR` (with the `semantic` feature)
//! builds both indexes with that sentence encoder: the reports are semantic.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use cannery::{Context, Index, Reply};
use serde_json::Value;

struct Row {
    id: String,
    brand: Option<String>,
    text: String,
    message: Option<String>,
}

fn read_jsonl(path: &str) -> Result<Vec<Value>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|(n, line)| {
            let line = line.map_err(|e| format!("{path}:{}: {e}", n + 1))?;
            serde_json::from_str(&line).map_err(|e| format!("{path}:{}: {e}", n + 1))
        })
        .collect()
}

fn field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// ROC-AUC by the Mann-Whitney statistic, ties counted half.
fn auc(scores: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scores.iter().filter(|s| s.1).map(|s| s.0).collect();
    let neg: Vec<f64> = scores.iter().filter(|s| !s.1).map(|s| s.0).collect();
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

/// Builds with the sentence encoder in `dir` (the `semantic` feature).
#[cfg(feature = "semantic")]
fn attach(builder: &mut cannery::IndexBuilder, dir: &str) -> Result<(), String> {
    let encoder = cannery::Encoder::load(dir).map_err(|e| e.to_string())?;
    builder.encoder(encoder);
    Ok(())
}

#[cfg(not(feature = "semantic"))]
fn attach(_: &mut cannery::IndexBuilder, _: &str) -> Result<(), String> {
    Err("--model needs the semantic feature: cargo run --features serde,semantic ...".into())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("evaluate: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let mut data = "../shared/data".to_string();
    let mut signals_path = None;
    let mut model_dir: Option<String> = None;
    let mut floors = [None::<f64>; 3];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--data" => data = value()?,
            "--signals" => signals_path = Some(value()?),
            "--model" => model_dir = Some(value()?),
            "--floor-canned2" => floors[0] = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--floor-canned1" => floors[1] = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--floor-specific" => floors[2] = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let rows: Vec<Row> = read_jsonl(&format!("{data}/replies.jsonl"))?
        .iter()
        .map(|v| Row {
            id: field(v, "id").unwrap_or_default(),
            brand: field(v, "brand"),
            text: field(v, "text").unwrap_or_default(),
            message: field(v, "in_reply_to_text"),
        })
        .collect();
    let sets = [
        ("train", read_jsonl(&format!("{data}/labels-train.jsonl"))?),
        ("dev", read_jsonl(&format!("{data}/labels-dev.jsonl"))?),
    ];

    let mut builder = Index::builder();
    if let Some(dir) = &model_dir {
        attach(&mut builder, dir)?;
    }
    let t0 = std::time::Instant::now();
    let archive = builder.build(rows.iter().map(|r| {
        let mut reply = Reply::new(&r.id, &r.text);
        if let Some(b) = &r.brand {
            reply = reply.group(b);
        }
        if let Some(m) = &r.message {
            reply = reply.message(m);
        }
        reply
    }));
    println!(
        "corpus {} replies ({} distinct after masking), built in {:.2?}",
        archive.len(),
        archive.distinct_len(),
        t0.elapsed()
    );
    // Each labelled reply is scored in two settings: against the archive with itself left out,
    // and against the built-in stock corpus alone (a lint with no archive).
    let settings = [("archive", archive), ("stock", builder.build([]))];

    let mut out = match &signals_path {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| format!("cannot create {p}: {e}"))?),
        None => None,
    };
    let names = [
        "canned, 2 vs 0",
        "canned, >=1 vs 0",
        "personalisation, specific",
    ];
    let mut ok = true;
    for (setting, index) in &settings {
        for (set, labels) in &sets {
            let mut canned2 = Vec::new();
            let mut canned1 = Vec::new();
            let mut specific = Vec::new();
            let t0 = std::time::Instant::now();
            for label in labels {
                let id = field(label, "id").ok_or("a label has no id")?;
                let text = field(label, "text").ok_or("a label has no text")?;
                let customer = field(label, "in_reply_to_text");
                let canned = label["canned"].as_u64().ok_or("a label has no canned")?;
                let spec = label["specific"]
                    .as_u64()
                    .ok_or("a label has no specific")?;
                if *setting == "archive" && !index.contains_id(&id) {
                    return Err(format!("labelled reply {id} is not in the corpus"));
                }
                let ctx = match &customer {
                    Some(c) => Context::new().message(c),
                    None => Context::new(),
                };
                let report = index.score_excluding(&text, &ctx, &id);
                if canned != 1 {
                    canned2.push((report.canned, canned == 2));
                }
                canned1.push((report.canned, canned >= 1));
                specific.push((report.personalisation, spec == 1));
                if let Some(out) = &mut out {
                    let line = serde_json::json!({
                        "setting": setting, "set": set, "id": id,
                        "canned_label": canned, "specific_label": spec,
                        "canned": report.canned, "personalisation": report.personalisation,
                        "verdict": report.verdict, "signals": report.signals,
                        "features": report.signals.features(),
                    });
                    writeln!(out, "{line}").map_err(|e| e.to_string())?;
                }
            }
            let figures = [auc(&canned2), auc(&canned1), auc(&specific)];
            println!(
                "{setting}, {set}: {} labelled replies scored in {:.2?}",
                labels.len(),
                t0.elapsed()
            );
            println!("{:<28} {:>8}", "figure", "ROC-AUC");
            // The floors are the archive setting's, on the held-out dev set.
            let gated = *setting == "archive" && *set == "dev";
            for ((name, figure), floor) in names.iter().zip(figures).zip(floors) {
                let verdict = match floor {
                    Some(f) if gated && (figure.is_nan() || figure < f) => {
                        ok = false;
                        format!("  BELOW the floor {f:.3}")
                    }
                    Some(f) if gated => format!("  (floor {f:.3})"),
                    _ => String::new(),
                };
                println!("{name:<28} {figure:>8.3}{verdict}");
            }
        }
    }
    std::io::stdout().flush().ok();
    Ok(ok)
}
