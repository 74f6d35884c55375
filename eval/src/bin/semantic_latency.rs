//! The cost of the semantic mode: loading the sentence encoder, the semantic data an index keeps
//! per reply, and the latency of full reports that embed the draft and its customer message.
//!
//! ```text
//! cannery index --model DIR --corpus ../shared/data/replies.jsonl --output /tmp/replies-sem.cannery
//! taskset -c 0 cargo run --release -p cannery-eval --features semantic --bin semantic_latency -- \
//!     DIR /tmp/replies-sem.cannery ../shared/data/labels-dev.jsonl 200
//! ```
//!
//! Scores N replies of the query file (JSON lines with `text` and `in_reply_to_text`) one at a
//! time, each with its customer message, and prints p50, p90 and the maximum of a report, the
//! lexical report of the same replies (no encoder attached) for comparison, the load times, and
//! the bytes of vectors and message statistics the index keeps per reply. Pin it to one core
//! (`taskset -c 0`) to measure one core: the encoder embeds the draft and the message in
//! parallel when it has two.

use std::io::BufRead;
use std::time::{Duration, Instant};

use cannery::{Context, Encoder, Index, Mode};

fn quantiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    format!(
        "p50 {:.2?}, p90 {:.2?}, max {:.2?}",
        at(0.5),
        at(0.9),
        times[times.len() - 1]
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: semantic_latency MODEL_DIR INDEX QUERIES.jsonl [N]";
    let mut args = std::env::args().skip(1);
    let model = args.next().ok_or(usage)?;
    let index_path = args.next().ok_or(usage)?;
    let queries_path = args.next().ok_or(usage)?;
    let n: usize = args.next().map_or(Ok(200), |a| a.parse())?;

    let t0 = Instant::now();
    let encoder = Encoder::load(&model)?;
    let encoder_load = t0.elapsed();
    let t0 = Instant::now();
    let lexical = Index::load(&index_path)?;
    let index_load = t0.elapsed();
    let Some(name) = lexical.semantic_model() else {
        return Err(
            format!("{index_path} was built without a model (cannery index --model)").into(),
        );
    };
    println!(
        "encoder {} loaded in {encoder_load:.2?}; index of {} replies ({} distinct, vectors of {name}) loaded in {index_load:.2?}",
        encoder.name(),
        lexical.len(),
        lexical.distinct_len()
    );
    // The semantic data a saved index keeps: its file with and without it.
    let with = lexical.to_bytes().len();
    let mut semantic = lexical.clone();
    semantic.set_encoder(encoder.clone())?;
    let dimensions = encoder.dimensions();
    let vectors = lexical.distinct_len() * (dimensions + 4);
    let statistics = 2 * 8 * (dimensions * dimensions + dimensions + 1);
    println!(
        "semantic data kept: {} bytes of vectors ({:.0} a reply, {} a distinct reply) and {} of message statistics, of a {}-byte file",
        vectors,
        vectors as f64 / lexical.len() as f64,
        dimensions + 4,
        statistics,
        with
    );

    let queries: Vec<(String, Option<String>)> =
        std::io::BufReader::new(std::fs::File::open(&queries_path)?)
            .lines()
            .take(n)
            .map(|l| -> Result<_, Box<dyn std::error::Error>> {
                let v: serde_json::Value = serde_json::from_str(&l?)?;
                Ok((
                    v["text"].as_str().unwrap_or("").to_string(),
                    v["in_reply_to_text"].as_str().map(str::to_string),
                ))
            })
            .collect::<Result<_, _>>()?;
    for (what, index) in [("semantic", &semantic), ("lexical", &lexical)] {
        let mut times = Vec::with_capacity(queries.len());
        let mut semantic_reports = 0;
        for (text, message) in &queries {
            let ctx = match message {
                Some(m) => Context::new().message(m),
                None => Context::new(),
            };
            let t0 = Instant::now();
            let report = index.score(text, &ctx);
            times.push(t0.elapsed());
            semantic_reports += usize::from(report.mode == Mode::Semantic);
        }
        println!(
            "{what}: {} reports with their customer message, {semantic_reports} semantic: {}",
            queries.len(),
            quantiles(times)
        );
    }
    Ok(())
}
