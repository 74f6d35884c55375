//! Load time of a saved index and the latency distribution of full reports against it.
//!
//! ```text
//! cannery index --corpus /tmp/corpus-1m.jsonl --output /tmp/i1m.cannery
//! cargo run --release -p cannery-eval --bin latency -- /tmp/i1m.cannery /tmp/corpus-1m.jsonl 20000
//! ```
//!
//! Scores N replies taken evenly from the query file (JSON lines with `text`) one at a time on
//! one thread, each a full report (spans, nearest replies, template), and prints p50, p90, p99
//! and the maximum, then how many reports came out canned and named a template, and the mean
//! similarity of the nearest reply (to check that a speed change keeps the answers). It then
//! scores the same replies again, with the caches warm, as in a service that has run for a
//! while. (Template texts come rendered in files of format version 3; a version 2 file renders
//! each on its first use, which the first pass pays.) The first
//! report, which derives the template families saved with the index (or mines them, for a file
//! of format version 1), is timed apart, and so is the load (`Index::load`). On Linux it also
//! prints how much the loaded index added to the resident set, and the peak of the load (read
//! from `/proc/self/status`), per reply.

use std::io::BufRead;
use std::time::Instant;

use cannery::{Context, Index};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let index_path = args
        .next()
        .ok_or("usage: latency INDEX QUERIES.jsonl [N]")?;
    let queries_path = args
        .next()
        .ok_or("usage: latency INDEX QUERIES.jsonl [N]")?;
    let n: usize = args.next().map_or(Ok(20_000), |a| a.parse())?;

    let rss_start = resident_bytes();
    let t0 = Instant::now();
    let index = Index::load(&index_path)?;
    let loaded = t0.elapsed();
    let rss_index = resident_bytes()
        .zip(rss_start)
        .map(|(a, b)| a.saturating_sub(b));
    let peak = status_bytes("VmHWM:");
    // The first report derives the template families (or mines them, from a version 1 file):
    // the memory of the index in use counts them.
    let t0 = Instant::now();
    let first = index.score("Thanks for reaching out! Please DM us.", &Context::new());
    let first_time = t0.elapsed();
    let rss_in_use = resident_bytes()
        .zip(rss_start)
        .map(|(a, b)| a.saturating_sub(b));

    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&queries_path)?)
        .lines()
        .collect::<Result<_, _>>()?;
    let step = (lines.len() / n.max(1)).max(1);
    let queries: Vec<String> = lines
        .iter()
        .step_by(step)
        .take(n)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["text"].as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    drop(lines);

    let first_pass = time_reports(&index, &queries);
    // The same reports again, with the caches warm (the lazy DFAs of the slot patterns filled,
    // the index lines the reports touch cached), as in a long-running service.
    let second_pass = time_reports(&index, &queries);
    println!(
        "index of {} replies: loaded in {loaded:.2?}; first report (derives the saved template families, or mines them from a version 1 file) {first_time:.2?}{}",
        index.len(),
        if first.template.is_some() { " (named a template)" } else { "" }
    );
    if let (Some(rss), Some(in_use)) = (rss_index, rss_in_use) {
        println!(
            "memory: loading added {:.0} MB to the resident set ({:.0} bytes a reply); in use, with its template families, the index holds {:.0} MB ({:.0} bytes a reply); the process's peak so far {:.0} MB",
            rss as f64 / 1e6,
            rss as f64 / index.len() as f64,
            in_use as f64 / 1e6,
            in_use as f64 / index.len() as f64,
            peak.unwrap_or(0) as f64 / 1e6
        );
    }
    println!("{first_pass}");
    println!("again, caches warm: {second_pass}");
    Ok(())
}

/// Scores each query once, timing each report, and describes the distribution and the answers.
fn time_reports(index: &Index, queries: &[String]) -> String {
    let mut times = Vec::with_capacity(queries.len());
    let mut canned = 0usize;
    let mut nearest_sum = 0.0;
    let mut named = 0usize;
    for q in queries {
        let t0 = Instant::now();
        let r = index.score(q, &Context::new());
        times.push(t0.elapsed().as_nanos() as f64 / 1000.0);
        canned += usize::from(r.canned >= 0.6);
        nearest_sum += r.nearest.first().map_or(0.0, |n| n.similarity);
        named += usize::from(r.template.is_some());
    }
    if times.is_empty() {
        return "no reports".to_string();
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((p * times.len() as f64) as usize).min(times.len() - 1)];
    format!(
        "{} reports: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, max {:.1} us; {:.0} reports/s; {canned} canned, {named} named a template, mean nearest similarity {:.4}",
        times.len(),
        q(0.50),
        q(0.90),
        q(0.99),
        times[times.len() - 1],
        times.len() as f64 / (times.iter().sum::<f64>() / 1e6),
        nearest_sum / times.len() as f64
    )
}

/// The process's resident set in bytes (Linux's `/proc/self/status`; `None` elsewhere).
fn resident_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// A size line of `/proc/self/status` (`VmRSS:`, `VmHWM:` for the peak), in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
