//! Grouping accuracy of template mining (the loghub metric) on a corpus whose `resent_from` field
//! says which real reply each re-sent one copies, from `../shared/bench/gen_corpus.py`.
//!
//! ```text
//! python3 ../shared/bench/gen_corpus.py 100000 1 < ../shared/data/replies.jsonl > /tmp/corpus-100k.jsonl
//! cargo run --release -p cannery-eval --bin grouping_accuracy -- /tmp/corpus-100k.jsonl
//! ```
//!
//! With `--floor X` after the corpus it exits with an error when the accuracy is below `X` (CI's
//! template-quality gate). With `--inserted F` the index is built from the first replies only,
//! its families mined, and the last fraction `F` of the replies inserted one at a time (as a
//! helpdesk adds the replies it sends): the families then come from inserts, not from mining.
//!
//! A reply is grouped right when the set of replies in its mined family is exactly the set of
//! replies in its true group: the re-sends of one real reply form a true group, and each fresh
//! reply (`resent_from` null) is a group of its own. Also prints the time to build and to mine.
//! With `CANNERY_DUMP_GROUPS=FILE` it writes each reply's mined family, a line each.

use std::collections::HashMap;
use std::io::BufRead;

use cannery::{Index, Reply};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str = "usage: grouping_accuracy CORPUS.jsonl [--floor X] [--inserted F]";
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(USAGE)?;
    let (mut floor, mut inserted) = (None, 0.0f64);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(USAGE)?;
        let number = value
            .parse::<f64>()
            .map_err(|e| format!("{flag} {value}: {e}"))?;
        match flag.as_str() {
            "--floor" => floor = Some(number),
            "--inserted" if (0.0..1.0).contains(&number) => inserted = number,
            _ => return Err(USAGE.into()),
        }
    }
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    let mut truth = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().ok_or("a row has no id")?.to_string();
        truth.push(
            v["resent_from"]
                .as_str()
                .map_or_else(|| format!("fresh:{id}"), str::to_string),
        );
        texts.push(v["text"].as_str().unwrap_or_default().to_string());
        ids.push(id);
    }
    let t0 = std::time::Instant::now();
    let first = ids.len() - (inserted * ids.len() as f64) as usize;
    let mut index = Index::builder().stock_corpus(false).build(
        ids[..first]
            .iter()
            .zip(&texts)
            .map(|(id, t)| Reply::new(id, t)),
    );
    if first < ids.len() {
        index.template_ids(1); // mined here, then carried by the inserts
        for (id, text) in ids[first..].iter().zip(&texts[first..]) {
            index.insert(Reply::new(id, text));
        }
    }
    let built = t0.elapsed();
    let t0 = std::time::Instant::now();
    let predicted = index.template_ids(1);
    let mined = t0.elapsed();
    // Replies with no token get no family: each is its own group.
    let predicted: Vec<String> = predicted
        .iter()
        .enumerate()
        .map(|(i, p)| p.map_or_else(|| format!("none:{i}"), |t| t.to_string()))
        .collect();
    if let Ok(dump) = std::env::var("CANNERY_DUMP_GROUPS") {
        std::fs::write(dump, predicted.join("\n") + "\n")?;
    }
    let accuracy = grouping_accuracy(&truth, &predicted);
    let families = predicted
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    let true_groups = truth.iter().collect::<std::collections::HashSet<_>>().len();
    println!(
        "{} replies{}: {true_groups} true groups, {families} mined families; grouping accuracy {accuracy:.4}; built in {built:.2?}, mined in {mined:.2?}",
        ids.len(),
        if first < ids.len() {
            format!(" (the last {} inserted one at a time)", ids.len() - first)
        } else {
            String::new()
        }
    );
    if let Some(floor) = floor {
        if accuracy < floor {
            return Err(
                format!("grouping accuracy {accuracy:.4} is below the floor {floor}").into(),
            );
        }
    }
    Ok(())
}

/// The loghub grouping accuracy: the fraction of items whose predicted group is exactly their
/// true group.
fn grouping_accuracy(truth: &[String], predicted: &[String]) -> f64 {
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_pred: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (t, p)) in truth.iter().zip(predicted).enumerate() {
        by_truth.entry(t).or_default().push(i);
        by_pred.entry(p).or_default().push(i);
    }
    let mut correct = 0usize;
    for members in by_pred.values() {
        let t = &truth[members[0]];
        if by_truth[t.as_str()].len() == members.len() && members.iter().all(|&i| &truth[i] == t) {
            correct += members.len();
        }
    }
    correct as f64 / truth.len().max(1) as f64
}
