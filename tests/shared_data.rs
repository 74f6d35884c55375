//! Checks on the real reply corpus in `../shared/data` (research-licensed, never copied into the
//! repository). Each test prints why it skips when the folder is absent.

use std::path::PathBuf;

use cannery::{Context, Index, Reply};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("replies.jsonl").exists() && dir.join("labels-dev.jsonl").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (the real corpus is not shipped with the crate)",
            dir.display()
        );
        None
    }
}

fn read(path: PathBuf) -> Vec<serde_json::Value> {
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

#[test]
fn real_corpus_leave_one_out_and_round_trip() {
    let Some(dir) = data_dir() else { return };
    let rows = read(dir.join("replies.jsonl"));
    let labels = read(dir.join("labels-dev.jsonl"));
    let index = Index::builder().build(rows.iter().map(|r| {
        let reply = Reply::new(s(r, "id").unwrap(), s(r, "text").unwrap_or(""));
        match s(r, "brand") {
            Some(b) => reply.group(b),
            None => reply,
        }
    }));
    assert_eq!(index.len(), rows.len() + cannery::stock_replies().len());
    let back = Index::from_bytes(&index.to_bytes()).unwrap();
    for label in &labels {
        let id = s(label, "id").unwrap();
        let text = s(label, "text").unwrap();
        let ctx = match s(label, "in_reply_to_text") {
            Some(c) => Context::new().message(c),
            None => Context::new(),
        };
        let report = index.score_excluding(text, &ctx, id);
        assert!(
            report.nearest.iter().all(|n| n.id != id),
            "{id} matched itself"
        );
        assert!(
            report
                .spans
                .iter()
                .all(|sp| sp.example.as_deref() != Some(id))
        );
        assert_eq!(
            report,
            back.score_excluding(text, &ctx, id),
            "{id} differs after a round trip"
        );
    }
}

/// The tokenizer's fast paths give the tokens of the crates alone (its oracle) on every reply and
/// every customer message of the real corpus.
#[test]
fn real_corpus_tokenizes_as_the_crates_do() {
    let Some(dir) = data_dir() else { return };
    let rows = read(dir.join("replies.jsonl"));
    let mut texts = 0;
    for row in &rows {
        for field in ["text", "in_reply_to_text"] {
            if let Some(text) = s(row, field) {
                assert_eq!(
                    cannery::tokenize(text),
                    cannery::tokenize_with_crates(text),
                    "{} {field}",
                    s(row, "id").unwrap_or("")
                );
                texts += 1;
            }
        }
    }
    assert!(texts > rows.len());
}
