//! Mines the templates of a reply corpus and prints the most used, with their counts.
//!
//! ```text
//! cargo run --release --example templates -- [CORPUS.jsonl] [MIN_SUPPORT] [TOP]
//! ```
//!
//! The corpus defaults to `../shared/data/replies.jsonl` (JSON lines with `id`, `text` and
//! optionally `brand`); MIN_SUPPORT defaults to 2 and TOP to 20.

use std::io::BufRead;

use cannery::{Index, Reply};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/replies.jsonl".into());
    let min_support: u32 = args.next().map_or(Ok(2), |a| a.parse())?;
    let top: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    let mut rows = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        rows.push((
            text("id").unwrap_or_default(),
            text("text").unwrap_or_default(),
            text("brand"),
        ));
    }
    let t0 = std::time::Instant::now();
    let index = Index::builder().build(rows.iter().map(|(id, text, brand)| {
        let r = Reply::new(id, text);
        match brand {
            Some(b) => r.group(b),
            None => r,
        }
    }));
    let built = t0.elapsed();
    let t0 = std::time::Instant::now();
    let templates = index.templates(min_support);
    let mined = t0.elapsed();
    let covered: u32 = templates.iter().map(|t| t.count).sum();
    println!(
        "{} replies, built in {built:.2?}; {} templates of >= {min_support} replies mined in {mined:.2?}, covering {covered} replies",
        rows.len(),
        templates.len()
    );
    for t in templates.iter().take(top) {
        let groups: Vec<String> = t
            .groups
            .iter()
            .take(3)
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        println!(
            "#{:<3} {:>4} replies ({:.2}%), {} variants [{}]: {}",
            t.id,
            t.count,
            100.0 * t.share,
            t.variants,
            groups.join(", "),
            t.text
        );
    }
    Ok(())
}
