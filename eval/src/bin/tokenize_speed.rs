//! Tokenizing speed: the fast paths (`tokenize`) against the crates alone
//! (`tokenize_with_crates`, their oracle), over the texts of a JSON-lines file.
//!
//! ```text
//! cargo run --release -p cannery-eval --bin tokenize_speed -- ../shared/data/replies.jsonl 5
//! ```
//!
//! Reads the `text` field of every line, then makes PASSES passes over all of them with each
//! tokenizer in turn (alternating, so that a slow phase of a shared machine hits both), and
//! prints each pass's mean time a text. It checks on the way that both give the same tokens.
//! Under `valgrind --tool=callgrind`, the difference between runs of 1 and 4 passes, divided
//! by 3 passes and by the number of texts, is the instructions a text once the regexes' lazy
//! automata are warm (`--tokenizer fast` or `crates` runs one tokenizer alone).

use std::io::BufRead;
use std::time::Instant;

/// A tokenizer of the library's public API.
type Tokenizer = fn(&str) -> Vec<cannery::Token>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: tokenize_speed FILE.jsonl [PASSES] [--tokenizer fast|crates]";
    let path = args.next().ok_or(usage)?;
    let passes: usize = args.next().map_or(Ok(5), |p| p.parse())?;
    let only = match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--tokenizer"), Some(which)) if which == "fast" || which == "crates" => Some(which),
        _ => return Err(usage.into()),
    };
    let mut texts = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(&line)?;
        if let Some(text) = row.get("text").and_then(|t| t.as_str()) {
            texts.push(text.to_string());
        }
    }
    if texts.is_empty() {
        return Err(format!("{path} has no line with a text").into());
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "{} texts, {:.0} bytes on average",
        texts.len(),
        bytes as f64 / texts.len() as f64
    );
    let tokenizers: [(&str, Tokenizer); 2] = [
        ("fast", cannery::tokenize),
        ("crates", cannery::tokenize_with_crates),
    ];
    for pass in 0..passes {
        for (name, tokenize) in tokenizers {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            let start = Instant::now();
            let mut tokens = 0usize;
            for text in &texts {
                tokens += tokenize(text).len();
            }
            let took = start.elapsed().as_secs_f64();
            println!(
                "pass {pass} {name:>6}: {:.3} us a text ({tokens} tokens)",
                took * 1e6 / texts.len() as f64
            );
        }
    }
    if only.is_none() {
        for text in &texts {
            if cannery::tokenize(text) != cannery::tokenize_with_crates(text) {
                return Err(format!("the tokenizers differ on {text:?}").into());
            }
        }
        println!("the two gave the same tokens on every text");
    }
    Ok(())
}
