//! How long the first report after an insert takes, against a saved index: a helpdesk that adds
//! every reply it sends and scores the next draft.
//!
//! ```text
//! cargo run --release -p cannery-eval --bin insert_latency -- /tmp/i1m.cannery 5 [--snapshot]
//! ```
//!
//! Loads the index, scores a draft once (deriving the template families saved with it), then N
//! times inserts a reply and scores the draft again, printing how long each insert and each
//! report took. Inserts take turns: one adds a reply no cluster has (a new cluster, which joins
//! a family or starts one), the next re-sends it (its cluster grows).
//!
//! With `--snapshot`, a reader holds a clone of the index (a snapshot) across each insert, as a
//! helpdesk that serves reports while it inserts sent replies does; the reader's report on its
//! snapshot is checked to be the one before the insert.

use std::time::Instant;

use cannery::{Context, Index, Reply};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: insert_latency INDEX_FILE [N]")?;
    let n: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let snapshot = args.next().as_deref() == Some("--snapshot");
    let mut index = Index::load(&path)?;
    let draft = "Please DM us your order number and we'll look into this.";
    let ctx = Context::new();
    let t0 = Instant::now();
    index.score(draft, &ctx);
    println!("first report after the load: {:.2?}", t0.elapsed());
    let items = [
        "parcel",
        "refund",
        "voucher",
        "replacement",
        "invoice",
        "warranty card",
    ];
    let depots = [
        "Leeds", "Bristol", "Croydon", "Dundee", "Exeter", "Fife", "Gwent",
    ];
    for i in 0..n {
        let id = format!("insert-latency-{i}");
        // Wording no reply of the index has, the same for an insert and the re-send after it.
        let turn = i / 2;
        let text = format!(
            "Your {} left our {} depot this morning and should reach you by {}.",
            items[turn % items.len()],
            depots[turn % depots.len()],
            if turn % 2 == 0 { "Friday" } else { "Monday" },
        );
        let kind = if i % 2 == 0 {
            "adds a cluster"
        } else {
            "re-sends it"
        };
        // A reader's snapshot, alive across the insert (with --snapshot).
        let reader = snapshot.then(|| (index.clone(), index.score(&text, &ctx)));
        let t0 = Instant::now();
        index.insert(Reply::new(&id, &text));
        let inserted = t0.elapsed();
        if let Some((reader, before)) = reader {
            assert_eq!(
                reader.score(&text, &ctx),
                before,
                "a snapshot's reports do not change"
            );
        }
        let t0 = Instant::now();
        let report = index.score(draft, &ctx);
        println!(
            "insert ({kind}) {inserted:.2?}, then the report {:.2?} (template {:?})",
            t0.elapsed(),
            report.template.map(|t| t.id)
        );
    }
    Ok(())
}
