//! A bounded load test of `cannery serve`: requests a second and the latency distribution of
//! `POST /lint` (or `/score`), from client threads with kept-alive connections.
//!
//! ```text
//! cannery index --corpus /tmp/corpus-1m.jsonl --output /tmp/i1m.cannery
//! cannery serve --index /tmp/i1m.cannery --rate-limit 0 --threads 2 &
//! cargo run --release -p cannery-eval --bin serve_load -- --url http://127.0.0.1:8750 \
//!     --drafts ../shared/data/replies.jsonl --clients 4 --seconds 20
//! cargo run --release -p cannery-eval --bin serve_load -- ... --rate 2000
//! ```
//!
//! Closed loop (the default): each client sends its next draft when the last is answered, so the
//! figure is the most the server answers with that many requests in flight. Open loop
//! (`--rate R`): the clients send R requests a second between them on a fixed schedule, and a
//! request's latency runs from when it was due, not from when it went out, so that a server
//! falling behind shows in the tail (no coordinated omission). The drafts are the `text` of the
//! JSON lines file, with its `in_reply_to_text` as the customer's message, taken in turn. A
//! warm-up of 2 seconds is not counted. Prints one JSON object: requests, errors (any answer but
//! 200), requests a second, and p50, p90, p99, p99.9 and the maximum in microseconds.

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Options {
    url: String,
    route: String,
    drafts: Vec<Value>,
    clients: usize,
    seconds: f64,
    rate: Option<f64>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut url, mut route, mut path) = (None, "/lint".to_string(), None);
    let (mut clients, mut seconds, mut rate, mut limit) = (4usize, 20.0f64, None, 5000usize);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = Some(value()?),
            "--route" => route = value()?,
            "--drafts" => path = Some(value()?),
            "--clients" => clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--seconds" => seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--rate" => rate = Some(value()?.parse().map_err(|e| format!("--rate: {e}"))?),
            "--limit" => limit = value()?.parse().map_err(|e| format!("--limit: {e}"))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let path = path.ok_or("--drafts FILE is needed")?;
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut drafts = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let Ok(row) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let Some(text) = row["text"].as_str().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let mut draft = json!({"draft": text});
        if let Some(m) = row["in_reply_to_text"].as_str() {
            draft["customer"] = m.into();
        }
        drafts.push(draft);
        if drafts.len() == limit {
            break;
        }
    }
    if drafts.is_empty() {
        return Err(format!("{path} has no drafts"));
    }
    Ok(Options {
        url: url.ok_or("--url is needed")?,
        route,
        drafts,
        clients: clients.max(1),
        seconds,
        rate,
    })
}

fn main() -> Result<(), String> {
    let o = Arc::new(options()?);
    let warm = Duration::from_secs(2);
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + warm + Duration::from_secs_f64(o.seconds);
    let handles: Vec<_> = (0..o.clients)
        .map(|c| {
            let o = Arc::clone(&o);
            std::thread::spawn(move || client(&o, c, start, warm, end))
        })
        .collect();
    let (mut lat, mut errors) = (Vec::new(), 0u64);
    for h in handles {
        let (l, e) = h.join().map_err(|_| "a client thread panicked")??;
        lat.extend(l);
        errors += e;
    }
    lat.sort_unstable();
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{}",
        json!({
            "route": o.route, "clients": o.clients, "rate": o.rate, "seconds": o.seconds,
            "requests": lat.len(), "errors": errors,
            "requests_per_s": (lat.len() as f64 / o.seconds).round(),
            "p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99), "p999_us": q(0.999),
            "max_us": lat.last().copied().unwrap_or(0),
        })
    );
    Ok(())
}

/// One client: its latencies after the warm-up, in microseconds, and its errors.
fn client(
    o: &Options,
    c: usize,
    start: Instant,
    warm: Duration,
    end: Instant,
) -> Result<(Vec<u64>, u64), String> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let url = format!("{}{}", o.url, o.route);
    let bodies: Vec<String> = o.drafts.iter().map(Value::to_string).collect();
    // Open loop: this client's share of the rate, its sends staggered against the others'.
    let gap = o
        .rate
        .map(|r| Duration::from_secs_f64(o.clients as f64 / r));
    let mut due = start + gap.map_or(Duration::ZERO, |g| g.mul_f64(c as f64 / o.clients as f64));
    let (mut lat, mut errors) = (Vec::new(), 0u64);
    let mut n = c;
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    loop {
        if let Some(gap) = gap {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            due += gap;
        }
        let sent = match gap {
            Some(_) => due - gap.unwrap_or_default(),
            None => Instant::now(),
        };
        if sent >= end {
            break;
        }
        let ok = agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&bodies[n % bodies.len()])
            .map(|mut r| {
                let ok = r.status() == 200;
                let _ = r.body_mut().read_to_vec();
                ok
            })
            .unwrap_or(false);
        let done = Instant::now();
        if sent >= start + warm {
            lat.push(done.duration_since(sent).as_micros() as u64);
            errors += u64::from(!ok);
        }
        n += o.clients;
    }
    Ok((lat, errors))
}
