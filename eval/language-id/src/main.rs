//! Language identification compared on short customer-service texts: `whatlang` (all its
//! languages, and allowed only the nine of the stock corpora), `lingua` (the nine), and
//! cannery's own ([`cannery::Language::detect`]: the stock vocabulary's vote, else whatlang).
//!
//! ```text
//! cargo run --release --manifest-path eval/language-id/Cargo.toml [-- --data ../shared/data]
//! ```
//!
//! The texts of known language: every line of the nine stock corpora (for cannery's own, its
//! vocabulary: in sample), and the replies and customer messages of both multilingual suites
//! (out of sample for all). With `--data`, the first 5,000 replies of the
//! real archive too (English but for a few), for the share each tool calls English and its time a
//! reply. Prints a row a tool: texts named right (and of those under 40 characters), per language,
//! and the time.

use std::collections::BTreeMap;
use std::time::Instant;

use lingua::{Language as L, LanguageDetectorBuilder};
use serde_json::Value;

const CORPORA: [(&str, &str); 9] = [
    ("en", include_str!("../../../src/stock/en.txt")),
    ("es", include_str!("../../../src/stock/es.txt")),
    ("pt", include_str!("../../../src/stock/pt.txt")),
    ("fr", include_str!("../../../src/stock/fr.txt")),
    ("de", include_str!("../../../src/stock/de.txt")),
    ("it", include_str!("../../../src/stock/it.txt")),
    ("nl", include_str!("../../../src/stock/nl.txt")),
    ("ja", include_str!("../../../src/stock/ja.txt")),
    ("zh", include_str!("../../../src/stock/zh.txt")),
];
const SUITES: [&str; 2] = [
    include_str!("../../suites/languages.jsonl"),
    include_str!("../../suites/languages-held-out.jsonl"),
];

/// A tool: a name and what it calls a text (an ISO 639-1 code, `other` or `none`).
type Tool<'a> = (&'static str, Box<dyn Fn(&str) -> String + 'a>);

fn code_of_whatlang(lang: whatlang::Lang) -> String {
    cannery::Language::from_code(lang.code()).map_or("other".to_string(), |l| l.code().to_string())
}

fn code_of_lingua(lang: L) -> String {
    match lang {
        L::English => "en",
        L::Spanish => "es",
        L::Portuguese => "pt",
        L::French => "fr",
        L::German => "de",
        L::Italian => "it",
        L::Dutch => "nl",
        L::Japanese => "ja",
        L::Chinese => "zh",
    }
    .to_string()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| args.get(i + 1));
    let mut texts: Vec<(&str, String)> = Vec::new();
    for (code, file) in CORPORA {
        for line in file.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                texts.push((code, line.to_string()));
            }
        }
    }
    let stock_lines = texts.len();
    for suite in SUITES {
        for line in suite.lines() {
            let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
            let code = CORPORA
                .iter()
                .map(|c| c.0)
                .find(|&c| v["lang"] == c)
                .ok_or("a suite line of no stock language")?;
            for field in ["reply", "message"] {
                texts.push((code, v[field].as_str().unwrap_or_default().to_string()));
            }
        }
    }
    let archive: Vec<String> = match data {
        None => Vec::new(),
        Some(dir) => std::fs::read_to_string(format!("{dir}/replies.jsonl"))
            .map_err(|e| e.to_string())?
            .lines()
            .take(5000)
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect(),
    };

    let nine = [
        L::English,
        L::Spanish,
        L::Portuguese,
        L::French,
        L::German,
        L::Italian,
        L::Dutch,
        L::Japanese,
        L::Chinese,
    ];
    let lingua = LanguageDetectorBuilder::from_languages(&nine).build();
    let allowed = whatlang::Detector::with_allowlist(
        [
            "eng", "spa", "por", "fra", "deu", "ita", "nld", "jpn", "cmn",
        ]
        .iter()
        .filter_map(|c| whatlang::Lang::from_code(*c))
        .collect(),
    );
    let tools: Vec<Tool<'_>> = vec![
        (
            "whatlang (69 languages)",
            Box::new(|t| whatlang::detect_lang(t).map_or("none".into(), code_of_whatlang)),
        ),
        (
            "whatlang (the nine)",
            Box::new(|t| {
                allowed
                    .detect_lang(t)
                    .map_or("none".into(), code_of_whatlang)
            }),
        ),
        (
            "lingua (the nine)",
            Box::new(|t| {
                lingua
                    .detect_language_of(t)
                    .map_or("none".into(), code_of_lingua)
            }),
        ),
        (
            "cannery (stock vocabulary, then whatlang)",
            Box::new(|t| {
                cannery::Language::detect(t).map_or("none".into(), |l| l.code().to_string())
            }),
        ),
    ];
    println!("| tool | texts named right | under 40 characters | the suites' texts alone (none a stock line) | per language | archive called English | µs a reply of the archive |");
    println!("|---|---|---|---|---|---|---|");
    for (name, tell) in &tools {
        let (mut right, mut short, mut short_right, mut suite_right) = (0, 0, 0, 0);
        let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (i, (code, text)) in texts.iter().enumerate() {
            let ok = tell(text) == *code;
            right += usize::from(ok);
            suite_right += usize::from(ok && i >= stock_lines);
            if !ok && i >= stock_lines && std::env::var_os("SHOW_MISSES").is_some() {
                eprintln!("{name}: {code} told {} for {text}", tell(text));
            }
            let e = per.entry(code).or_default();
            e.0 += usize::from(ok);
            e.1 += 1;
            if text.chars().count() < 40 {
                short += 1;
                short_right += usize::from(ok);
            }
        }
        let started = Instant::now();
        let english = archive.iter().filter(|t| tell(t) == "en").count();
        let per_reply = started.elapsed().as_secs_f64() * 1e6 / archive.len().max(1) as f64;
        let per: Vec<String> = per
            .iter()
            .map(|(c, (r, n))| format!("{c} {:.0}%", 100.0 * *r as f64 / *n as f64))
            .collect();
        println!(
            "| {name} | {right} of {} ({:.1}%) | {short_right} of {short} | {suite_right} of {} | {} | {} | {} |",
            texts.len(),
            100.0 * right as f64 / texts.len() as f64,
            texts.len() - stock_lines,
            per.join(", "),
            if archive.is_empty() { "-".to_string() } else { format!("{english} of {}", archive.len()) },
            if archive.is_empty() { "-".to_string() } else { format!("{per_reply:.1}") },
        );
    }
    Ok(())
}
