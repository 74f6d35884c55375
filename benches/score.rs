//! Criterion benches: index build and scoring by corpus size, over real replies, with a naive
//! baseline (brute-force best match by normalised Levenshtein, what a user of strsim would write)
//! beside.
//!
//! ```text
//! cargo bench --bench score
//! CANNERY_BENCH_CORPUS=/tmp/corpus-1m.jsonl CANNERY_BENCH_SIZES=10000,100000,1000000 cargo bench --bench score
//! ```
//!
//! The corpus is `CANNERY_BENCH_CORPUS` (JSONL with a `text` field; `../shared/bench/gen_corpus.py`
//! scales the real corpus to millions), else `../shared/data/replies.jsonl`, else the built-in
//! stock corpus (printed). Sizes default to 10,000 and 100,000 replies (capped at the corpus
//! size: the real file has 12,740); a million is opt-in, as above. Each size benches the build,
//! the load of the saved bytes, a batch of 1,000 corpus replies scored leave-one-out, and single
//! full reports for four kinds of reply; the `text` group tokenizes 1,000 replies alone. The
//! baseline runs only up to 10,000 replies: it scans the whole corpus per query.

use std::hint::black_box;
use std::io::BufRead;

use cannery::{Context, Index, Reply};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn corpus() -> Vec<String> {
    let path = std::env::var("CANNERY_BENCH_CORPUS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/replies.jsonl").to_string()
    });
    let max: usize = sizes().into_iter().max().unwrap_or(0);
    match std::fs::File::open(&path) {
        Ok(file) => std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
            .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
            .take(max)
            .collect(),
        Err(e) => {
            eprintln!("bench corpus {path} unavailable ({e}); using the built-in stock corpus");
            cannery::stock_replies().map(str::to_string).collect()
        }
    }
}

fn sizes() -> Vec<usize> {
    std::env::var("CANNERY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000])
}

fn build(texts: &[String]) -> Index {
    build_on(texts, 1)
}

/// The index of `texts`, tokenized on `threads` threads.
fn build_on(texts: &[String], threads: usize) -> Index {
    let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
    Index::builder()
        .threads(threads)
        .build(ids.iter().zip(texts).map(|(id, t)| Reply::new(id, t)))
}

/// Query replies: short and long, canned (re-sent corpus replies) and personal (written here).
fn queries(texts: &[String]) -> Vec<(&'static str, String)> {
    let mut by_len: Vec<&String> = texts.iter().collect();
    by_len.sort_by_key(|t| t.len());
    let short = by_len[by_len.len() / 10].clone();
    let long = by_len[by_len.len() * 95 / 100].clone();
    vec![
        ("canned-short", short),
        ("canned-long", long),
        ("stock", "We're sorry to hear that. Please DM us your order number and we'll look into this.".into()),
        ("personal", "Hi Maria, the 7:40 from Leeds was held at Doncaster by a signal fault; your ticket is valid on the 8:10 instead.".into()),
    ]
}

/// Tokenizing (folding, word segmentation, slot masking) alone, over the first 1,000 replies of
/// the corpus: the first step of every build and every report.
fn tokenize(c: &mut Criterion, all: &[String]) {
    let texts = &all[..all.len().min(1_000)];
    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function(format!("tokenize-{}", texts.len()), |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| cannery::tokenize(black_box(t)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let all = corpus();
    tokenize(c, &all);
    for size in sizes() {
        let size = size.min(all.len());
        let texts = &all[..size];
        let mut group = c.benchmark_group(format!("corpus-{size}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function("build", |b| b.iter(|| black_box(build(texts))));
        group.bench_function("build-2-threads", |b| {
            b.iter(|| black_box(build_on(texts, 2)))
        });
        let index = build(texts);
        let bytes = index.to_bytes();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("load", |b| {
            b.iter(|| black_box(Index::from_bytes(&bytes).unwrap()))
        });
        // A batch of 1,000 corpus replies, each scored leave-one-out (the archive-research path).
        let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
        let step = (texts.len() / 1000).max(1);
        let batch: Vec<(usize, &String)> =
            texts.iter().enumerate().step_by(step).take(1000).collect();
        group.throughput(Throughput::Elements(batch.len() as u64));
        group.bench_function("batch-1000-leave-one-out", |b| {
            b.iter(|| {
                black_box(
                    index.score_batch(
                        batch
                            .iter()
                            .map(|&(i, t)| (t.as_str(), Context::new(), Some(ids[i].as_str()))),
                    ),
                )
            })
        });
        group.throughput(Throughput::Elements(1));
        group.sample_size(50);
        for (name, q) in queries(texts) {
            group.bench_with_input(BenchmarkId::new("score", name), &q, |b, q| {
                b.iter(|| black_box(index.score(q, &Context::new())))
            });
            if size <= 10_000 {
                group.bench_with_input(BenchmarkId::new("baseline-strsim", name), &q, |b, q| {
                    b.iter(|| {
                        black_box(
                            texts
                                .iter()
                                .map(|t| strsim::normalized_levenshtein(q, t))
                                .fold(0.0f64, f64::max),
                        )
                    })
                });
            }
        }
        // A helpdesk inserts each reply it sends and scores the next draft: the families are
        // mined once, then updated by every insert (here corpus replies sent again).
        let mut live = index.clone();
        live.insert(Reply::new("warm-up", &texts[0])); // copies the shared tables, untimed
        live.templates(1);
        let mut sent = 0usize;
        group.bench_function("insert-then-score", |b| {
            b.iter(|| {
                sent += 1;
                live.insert(Reply::new("sent", &texts[sent % texts.len()]));
                black_box(live.score("Please DM us your order number.", &Context::new()))
            })
        });
        group.finish();
    }
}

criterion_group!(score, benches);
criterion_main!(score);
