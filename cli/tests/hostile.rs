//! The `cannery` binary against what a user can get wrong and what a hostile file holds: nothing
//! the user gave is destroyed or silently ignored, tenants stay apart, and cost stays bounded.
//! Each test is one item of the README's "Hostile input" section, run as the user runs it.

mod common;

use std::io::Write;
use std::path::Path;

use common::{cannery, path, stderr, stdout, tmp};
use serde_json::Value;

/// A small corpus of two brands as JSON lines.
const CORPUS: &str = "{\"id\":\"a1\",\"text\":\"@1 Please DM us your order number. ^JK\",\"brand\":\"Acme\",\"in_reply_to_text\":\"where is my order\"}\n\
{\"id\":\"a2\",\"text\":\"@2 Please DM us your order number. -Becky\",\"brand\":\"Acme\",\"in_reply_to_text\":\"late parcel\"}\n\
{\"id\":\"g1\",\"text\":\"@3 Your Globex router needs firmware 4.2; reboot it after the update. -Gus\",\"brand\":\"Globex\",\"in_reply_to_text\":\"router dead\"}\n";

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    path(&p).to_string()
}

/// Asserts a run failed with exit code 2, a reason on standard error containing each of
/// `needles`, and nothing on standard output.
fn refused(o: &std::process::Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    for needle in needles {
        assert!(
            stderr(o).contains(needle),
            "no {needle:?} in: {}",
            stderr(o)
        );
    }
    assert!(stdout(o).is_empty(), "printed results: {}", stdout(o));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

// ------------------------------------------------------------------------------------------------
// Nothing destroyed

#[test]
fn an_output_that_is_an_input_is_refused_and_nothing_is_written() {
    let dir = tmp("same-file");
    let corpus = write(&dir, "a.jsonl", CORPUS);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let dotted = format!("{}/sub/../a.jsonl", dir.display());
    let linked = dir.join("link.jsonl");
    std::fs::hard_link(&corpus, &linked).unwrap();
    let summary = format!("{}/s.json", dir.display());
    let summary_again = format!("{}/sub/../s.json", dir.display());
    let index = format!("{}/i.cannery", dir.display());
    let cases: Vec<Vec<&str>> = vec![
        vec!["score", "--input", &corpus, "--output", &corpus],
        vec!["score", "--input", &corpus, "--output", &dotted],
        vec!["score", "--input", &corpus, "--output", path(&linked)],
        vec![
            "score",
            "--corpus",
            &corpus,
            "--input",
            "-",
            "--input-format",
            "jsonl",
            "--output",
            &dotted,
        ],
        vec!["score", "--input", &corpus, "--summary", &corpus],
        vec![
            "score",
            "--input",
            &corpus,
            "--output",
            &summary,
            "--summary",
            &summary_again,
        ],
        vec!["index", "--corpus", &corpus, "--output", &corpus],
        vec!["index", "--corpus", &corpus, "--output", &dotted],
    ];
    for args in &cases {
        let o = cannery(args, Some(CORPUS.as_bytes()));
        refused(&o, &["same file", "nothing was written"]);
        assert_eq!(
            std::fs::read_to_string(&corpus).unwrap(),
            CORPUS,
            "{args:?}"
        );
        assert!(!Path::new(&summary).exists(), "{args:?}");
        assert!(!Path::new(&index).exists(), "{args:?}");
    }
    // Standard output sent (appending, so the shell destroys nothing) into the input.
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(&corpus)
        .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cannery"))
        .args(["score", "--input", &corpus])
        .env_remove("CANNERY_MODEL")
        .stdout(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("standard output is the same file as --input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&corpus).unwrap(), CORPUS);
    // Merging: the output over a shard, or the same shard twice (however spelled, or copied).
    let shard = |name: &str, data: &str| {
        let corpus = write(&dir, &format!("{name}.jsonl"), data);
        let out = format!("{}/{name}.cannery", dir.display());
        let o = cannery(&["index", "--corpus", &corpus, "--output", &out], None);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        out
    };
    let s1 = shard("s1", CORPUS);
    let s2 = shard("s2", "{\"id\":\"z\",\"text\":\"Thanks!\"}\n");
    let s1_dotted = format!("{}/sub/../s1.cannery", dir.display());
    let s1_copy = format!("{}/s1-copy.cannery", dir.display());
    std::fs::copy(&s1, &s1_copy).unwrap();
    let before = std::fs::read(&s1).unwrap();
    for (args, needle) in [
        (vec!["merge", "--output", &s1, &s1, &s2], "same file"),
        (
            vec!["merge", "--output", &index, &s1, &s2, &s1_dotted],
            "same file",
        ),
        (
            vec!["merge", "--output", &index, &s1, &s1_copy],
            "the same index",
        ),
    ] {
        let o = cannery(&args, None);
        refused(&o, &[needle]);
        assert!(!Path::new(&index).exists());
        assert_eq!(std::fs::read(&s1).unwrap(), before);
    }
}

#[test]
fn a_save_cleans_up_what_a_killed_save_left() {
    let dir = tmp("stale-tmp");
    let corpus = write(&dir, "c.jsonl", CORPUS);
    let out = format!("{}/c.cannery", dir.display());
    // What `cannery index` killed mid-save leaves: the target's name, `.tmp-` and a process id
    // no longer running (above Linux's largest).
    let stale = format!("{out}.tmp-4194305");
    std::fs::write(&stale, vec![0u8; 1 << 16]).unwrap();
    // Another file with a similar name is not touched.
    let other = write(&dir, "c.cannery.tmp-notes", "keep me");
    let o = cannery(&["index", "--corpus", &corpus, "--output", &out], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    if cfg!(target_os = "linux") {
        assert!(
            !Path::new(&stale).exists(),
            "the stale temporary file is still there"
        );
    }
    assert!(Path::new(&other).exists());
    assert!(Path::new(&out).exists());
}

// ------------------------------------------------------------------------------------------------
// Nothing silently ignored

#[test]
fn a_field_no_record_has_is_an_error_naming_the_fields() {
    let dir = tmp("fields");
    let corpus = write(&dir, "c.jsonl", CORPUS);
    for flag in [
        "--context-field",
        "--group-field",
        "--time-field",
        "--id-field",
        "--text-field",
    ] {
        let o = cannery(&["score", "--input", &corpus, flag, "in_reply_too"], None);
        refused(
            &o,
            &["\"in_reply_too\"", "\"in_reply_to_text\"", "\"brand\""],
        );
        let o = cannery(
            &["lint", "--corpus", &corpus, flag, "in_reply_too", "Hi"],
            None,
        );
        refused(&o, &["\"in_reply_too\""]);
    }
    // The default context and group fields may be absent.
    let bare = write(&dir, "bare.jsonl", "{\"id\":\"1\",\"text\":\"Thanks!\"}\n");
    let o = cannery(&["score", "--input", &bare], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_corpus_with_no_usable_row_is_an_error() {
    let dir = tmp("no-rows");
    let cases = [
        write(&dir, "empty.jsonl", ""),
        write(&dir, "blank.jsonl", "\n\n"),
        write(&dir, "broken.jsonl", "not json\n{\"id\":\"1\"}\n[1]\n"),
        write(&dir, "header.csv", "id,text\n"),
    ];
    for corpus in &cases {
        for args in [
            vec!["lint", "--corpus", corpus, "Please DM us."],
            vec!["score", "--corpus", corpus, "--input", &cases[2]],
            vec!["templates", "--corpus", corpus],
            vec!["index", "--corpus", corpus, "--output", "/dev/null/x"],
        ] {
            let o = cannery(&args, None);
            refused(&o, &[corpus]);
            let why = stderr(&o);
            assert!(
                ["no rows", "no usable row", "has the field"]
                    .iter()
                    .any(|w| why.contains(w)),
                "{args:?}: {why}"
            );
        }
    }
    // A wrong --text-field on a corpus whose records lack it names the field.
    let corpus = write(&dir, "c.jsonl", CORPUS);
    let o = cannery(
        &["lint", "--corpus", &corpus, "--text-field", "body", "Hi"],
        None,
    );
    refused(&o, &["\"body\""]);
}

#[test]
fn a_blank_draft_is_an_error() {
    let dir = tmp("blank-draft");
    let file = write(&dir, "d.txt", " \n\t\u{200b}\n");
    for (args, input) in [
        (vec!["lint", ""], None),
        (vec!["lint", "   \n  "], None),
        (vec!["lint"], Some(&b""[..])),
        (vec!["lint", "-"], Some(&b"\n\r\n"[..])),
        (vec!["lint", "--file", &file], None),
    ] {
        let o = cannery(&args, input);
        refused(&o, &["empty"]);
    }
}

#[test]
fn gzip_is_read_everywhere_and_other_encodings_are_named() {
    let dir = tmp("gzip");
    let plain = write(&dir, "c.jsonl", CORPUS);
    let gz = write(&dir, "c.jsonl.gz", gzip(CORPUS.as_bytes()));
    let csv = "id,text,brand\nx1,\"@9 Please DM us your order number. ^JK\",Acme\n";
    let csv_gz = write(&dir, "c.csv.gz", gzip(csv.as_bytes()));
    let run = |args: &[&str]| {
        let o = cannery(args, None);
        assert!(o.status.code() != Some(2), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(
        run(&["score", "--corpus", &gz, "--input", &gz, "--exclude-self"]),
        run(&[
            "score",
            "--corpus",
            &plain,
            "--input",
            &plain,
            "--exclude-self"
        ])
    );
    let rows = run(&["score", "--corpus", &gz, "--input", &csv_gz]);
    let row: Value = serde_json::from_str(rows.lines().next().unwrap()).unwrap();
    assert_eq!(
        (row["id"].as_str(), row["nearest_id"].as_str()),
        (Some("x1"), Some("a1"))
    );
    // A draft, macros and a saved index, compressed.
    let draft = write(&dir, "d.txt.gz", gzip(b"Please DM us your order number."));
    let macros = write(
        &dir,
        "m.txt",
        gzip(b"Your refund for order {{ticket.id}} was sent today.\n"),
    );
    let index = format!("{}/c.cannery", dir.display());
    assert_eq!(
        cannery(&["index", "--corpus", &gz, "--output", &index], None)
            .status
            .code(),
        Some(0)
    );
    let index_gz = write(&dir, "c.cannery.gz", gzip(&std::fs::read(&index).unwrap()));
    let by_file = run(&[
        "lint", "--format", "json", "--index", &index_gz, "--macros", &macros, "--file", &draft,
    ]);
    let by_text = run(&[
        "lint",
        "--format",
        "json",
        "--index",
        &index,
        "--macros",
        &macros,
        "Please DM us your order number.",
    ]);
    assert_eq!(by_file, by_text);
    // UTF-16 and Windows-1252: one error naming the encoding, not an error row a record.
    let text = "{\"id\":\"1\",\"text\":\"Caf\u{e9} cr\u{e8}me is back!\"}\n{\"id\":\"2\",\"text\":\"D\u{e9}j\u{e0} vu.\"}\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let latin: Vec<u8> = text.chars().map(|c| c as u8).collect();
    for (name, bytes, encoding) in [
        ("u16.jsonl", utf16, "UTF-16LE"),
        ("w.jsonl", latin, "Windows-1252"),
    ] {
        let file = write(&dir, name, &bytes);
        refused(&cannery(&["score", "--input", &file], None), &[encoding]);
        refused(
            &cannery(&["lint", "--corpus", &file, "Hi"], None),
            &[encoding],
        );
        refused(&cannery(&["lint", "--file", &file], None), &[encoding]);
    }
}

#[test]
fn long_numeric_ids_stay_distinct_and_leave_one_out_never_matches_itself() {
    let dir = tmp("long-ids");
    // Two ids that a float would make one, on the same text: each must find the other.
    let data = "{\"id\":123456789012345678901,\"text\":\"Our Leeds store reopens on Monday after the flood.\"}\n\
                {\"id\":123456789012345678902,\"text\":\"Our Leeds store reopens on Monday after the flood.\"}\n";
    let file = write(&dir, "ids.jsonl", data);
    let o = cannery(
        &[
            "score",
            "--corpus",
            &file,
            "--input",
            &file,
            "--exclude-self",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["id"], "123456789012345678901");
    assert_eq!(rows[0]["nearest_id"], "123456789012345678902");
    assert_eq!(rows[1]["nearest_id"], "123456789012345678901");
    assert!(rows.iter().all(|r| r["left_out"] == true));
}

#[test]
fn flags_that_would_do_nothing_or_read_stdin_twice_are_refused() {
    let dir = tmp("dead-flags");
    let corpus = write(&dir, "c.jsonl", CORPUS);
    let index = format!("{}/c.cannery", dir.display());
    assert_eq!(
        cannery(&["index", "--corpus", &corpus, "--output", &index], None)
            .status
            .code(),
        Some(0)
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["lint", "--corpus", "-", "--corpus-format", "jsonl"],
            "standard input",
        ),
        (
            vec!["lint", "--corpus", "-", "--corpus-format", "jsonl", "-"],
            "standard input",
        ),
        (
            vec![
                "lint",
                "--corpus",
                "-",
                "--corpus-format",
                "jsonl",
                "--file",
                "-",
            ],
            "standard input",
        ),
        (vec!["lint", "--macros", "-"], "--macros"),
        (
            vec!["lint", "--index", &index, "--no-stock-corpus", "Hi"],
            "--no-stock-corpus",
        ),
        (vec!["lint", "--no-stock-corpus", "Hi"], "--no-stock-corpus"),
        (
            vec!["lint", "--corpus-format", "csv", "Hi"],
            "--corpus-format",
        ),
        (
            vec!["lint", "--macros-format", "zendesk", "Hi"],
            "--macros-format",
        ),
        (vec!["lint", "--id-field", "tweet_id", "Hi"], "--id-field"),
        (
            vec!["lint", "--index", &index, "--group-field", "author", "Hi"],
            "--group-field",
        ),
        (
            vec!["templates", "--index", &index, "--text-field", "body"],
            "--text-field",
        ),
    ];
    for (args, needle) in cases {
        let o = cannery(&args, Some(CORPUS.as_bytes()));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    // --file - reads the draft from standard input.
    let o = cannery(
        &["lint", "--file", "-", "--format", "json"],
        Some(b"Please DM us your order number."),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["canned"].as_f64().unwrap() > 0.6);
}

#[test]
fn lint_help_shows_file_drafts_and_a_draft_that_names_a_file_is_flagged() {
    let o = cannery(&["lint", "--help"], None);
    assert!(stdout(&o).contains("--file draft.txt"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("\" draft.txt"), "{}", stdout(&o));
    let dir = tmp("draft-file");
    let file = write(&dir, "draft.txt", "Please DM us.");
    let o = cannery(&["lint", &file], None);
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("--file {file}")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn records_keep_their_lines_and_fields_never_read_do_not_break_them() {
    let dir = tmp("records");
    // Fields cannery never reads; a lone CR between two records; a blank line.
    let deep = format!("{}0{}", "[".repeat(200), "]".repeat(200));
    let jsonl = format!(
        "{{\"id\":\"r1\",\"text\":\"Please DM us.\",\"score\":NaN,\"big\":1e400}}\r{{\"id\":\"r2\",\"text\":\"Thanks!\",\"tree\":{deep}}}\n\n{{\"id\":\"r3\",\"text\":\"Hi\",\"x\":-Infinity}}\n"
    );
    let file = write(&dir, "r.jsonl", &jsonl);
    let o = cannery(&["score", "--input", &file], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(1, "r1"), (2, "r2"), (4, "r3")]);
    // CSV: physical lines after blank lines, with CR-only and mixed line ends.
    for (data, lines) in [
        ("id,text\n\nc1,Hi\n\n\nc2,Thanks\n", [3, 6]),
        ("id,text\rc1,Hi\r\rc2,Thanks\r", [2, 4]),
        ("id,text\r\n\nc1,\"Hi\nthere\"\r\nc2,Thanks\n", [3, 5]),
    ] {
        let file = write(&dir, "r.csv", data);
        let o = cannery(&["score", "--input", &file, "--format", "csv"], None);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got: Vec<u64> = stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(got, lines, "{data:?}");
    }
    // A column cannery reads, named twice.
    let file = write(&dir, "dup.csv", "id,text,text\n1,a,b\n");
    refused(
        &cannery(&["score", "--input", &file], None),
        &["\"text\" more than once"],
    );
}

#[test]
fn merge_refuses_shards_built_with_and_without_the_stock_corpus() {
    let dir = tmp("merge-stock");
    let corpus = write(&dir, "c.jsonl", CORPUS);
    let with = format!("{}/with.cannery", dir.display());
    let without = format!("{}/without.cannery", dir.display());
    let all = format!("{}/all.cannery", dir.display());
    assert_eq!(
        cannery(&["index", "--corpus", &corpus, "--output", &with], None)
            .status
            .code(),
        Some(0)
    );
    let other = write(&dir, "o.jsonl", "{\"id\":\"z\",\"text\":\"Thanks!\"}\n");
    let o = cannery(
        &[
            "index",
            "--corpus",
            &other,
            "--no-stock-corpus",
            "--output",
            &without,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    refused(
        &cannery(&["merge", "--output", &all, &with, &without], None),
        &["stock corpus"],
    );
    assert!(!Path::new(&all).exists());
}

#[test]
fn sarif_regions_skip_a_bom_and_uris_are_encoded() {
    let dir = tmp("sarif");
    std::fs::create_dir_all(dir.join("my drafts")).unwrap();
    let file = write(
        &dir,
        "my drafts/reply #2.txt",
        "\u{feff}Please DM us your order number.",
    );
    let o = cannery(&["lint", "--format", "sarif", "--file", &file], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let run = &v["runs"][0];
    let uri = run["artifacts"][0]["location"]["uri"].as_str().unwrap();
    assert!(uri.ends_with("/my%20drafts/reply%20%232.txt"), "{uri}");
    assert!(!uri.contains(' ') && !uri.contains('#'));
    for result in run["results"].as_array().unwrap() {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 1);
        assert_eq!(
            region["startColumn"], 1,
            "the BOM is not a column: {region}"
        );
        assert_eq!(region["charOffset"], 0, "{region}");
    }
}

// ------------------------------------------------------------------------------------------------
// Nobody else's data

#[test]
fn a_group_sees_its_own_replies_and_never_another_group_s() {
    let dir = tmp("tenants");
    let corpus = write(&dir, "c.jsonl", CORPUS);
    let acme_only: String = CORPUS
        .lines()
        .filter(|l| l.contains("Acme"))
        .map(|l| format!("{l}\n"))
        .collect();
    let acme = write(&dir, "acme.jsonl", &acme_only);
    let draft = "Your Globex router needs firmware 4.2; reboot it after the update.";
    let lint = |corpus: &str, extra: &[&str]| {
        let mut args = vec!["lint", "--format", "json", "--corpus", corpus, draft];
        args.extend(extra);
        let o = cannery(&args, None);
        assert!(o.status.code() != Some(2), "{}", stderr(&o));
        stdout(&o)
    };
    let scoped = lint(&corpus, &["--group", "Acme"]);
    assert!(
        !scoped.contains("g1") && !scoped.contains("Gus"),
        "{scoped}"
    );
    assert!(
        lint(&corpus, &[]).contains("g1"),
        "unscoped, the whole index answers"
    );
    assert_eq!(
        scoped,
        lint(&acme, &[]),
        "the group alone, as if its archive were the index"
    );
    // score --scope-by-group: every row against its own group.
    let o = cannery(
        &[
            "score",
            "--corpus",
            &corpus,
            "--input",
            &corpus,
            "--exclude-self",
            "--scope-by-group",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["nearest_id"], "a2");
    assert!(
        rows[2]["nearest_id"]
            .as_str()
            .is_none_or(|id| id.starts_with("stock:")),
        "{}",
        rows[2]
    );
}

// ------------------------------------------------------------------------------------------------
// Bounded cost

#[test]
fn slot_dense_and_oversized_texts_cost_what_their_first_64_kib_cost() {
    let dir = tmp("dense");
    // Twenty rows of 64 KiB of numbers (17 s to score before slots were merged in one pass),
    // and a corpus reply of 2 MB (indexed up to 64 KiB, and counted).
    let dense = "1 ".repeat(32 * 1024);
    let mut data = String::new();
    for i in 0..20 {
        data.push_str(&format!("{{\"id\":\"d{i}\",\"text\":\"{dense}\"}}\n"));
    }
    data.push_str(&format!(
        "{{\"id\":\"big\",\"text\":\"{}\"}}\n",
        "Please DM us. ".repeat(150_000)
    ));
    let file = write(&dir, "dense.jsonl", &data);
    let (tx, rx) = std::sync::mpsc::channel();
    let args = ["score", "--corpus", &file, "--input", &file, "--summary"];
    let summary = format!("{}/s.json", dir.display());
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push(summary.clone());
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = tx.send(cannery(&args, None));
    });
    // A guard against a hang, not a speed target: the run takes well under a second.
    let o = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("scoring slot-dense rows finishes");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 corpus replies are longer than 65536 bytes"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("1 rows are longer than 65536 bytes"),
        "{}",
        stderr(&o)
    );
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["truncated"], 1);
}

/// The peak resident memory of a child process, polled from `/proc` until it ends.
#[cfg(target_os = "linux")]
fn peak_rss_kib(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                peak = peak.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn rows_in_flight_are_bounded_by_bytes_not_by_count() {
    let dir = tmp("big-rows");
    // 300 rows of 1 MB: chunks of 4,096 rows held them all at once (and their parsed copies).
    let text = "Please DM us your order number. ".repeat(32 * 1024);
    let file = dir.join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..300 {
        writeln!(
            out,
            "{{\"id\":\"r{i}\",\"text\":\"{text}\",\"in_reply_to_text\":\"{text}\"}}"
        )
        .unwrap();
    }
    drop(out);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cannery"))
        .env_remove("CANNERY_MODEL")
        .args([
            "score",
            "--input",
            path(&file),
            "--output",
            "/dev/null",
            "--quiet",
        ])
        .spawn()
        .unwrap();
    let (status, peak) = peak_rss_kib(child);
    assert!(status.success());
    assert!(
        peak < 150 * 1024,
        "peak resident memory {peak} KiB for 600 MB of rows"
    );
}

#[test]
fn the_human_report_of_a_huge_draft_is_bounded() {
    let dir = tmp("huge-draft");
    let draft: String = (0..3000)
        .map(|i| {
            [
                "Please DM us your order number. ",
                "blorp zzq ",
                "Thanks for reaching out! ",
            ][i % 3]
        })
        .collect();
    let file = write(&dir, "d.txt", &draft);
    let o = cannery(&["lint", "--color", "never", "--file", &file], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.len() < 8 * 1024,
        "{} bytes of report for a {}-byte draft",
        out.len(),
        draft.len()
    );
    assert!(
        out.contains("more boilerplate spans are not marked"),
        "{out}"
    );
}

// ------------------------------------------------------------------------------------------------
// API, through the command

#[test]
fn thresholds_are_flags_and_errors_name_their_cause_once() {
    let draft = "Thanks for reaching out! We'll look into it.";
    let o = cannery(&["lint", "--format", "json", draft], None);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["verdict"].as_str(), o.status.code()),
        (Some("canned"), Some(1))
    );
    let o = cannery(
        &["lint", "--format", "json", "--canned-at", "1", draft],
        None,
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["verdict"].as_str(), v["fail_at"].as_f64()),
        (Some("personal"), Some(1.0))
    );
    assert_eq!(o.status.code(), Some(0), "--fail-at follows --canned-at");
    let o = cannery(
        &[
            "lint",
            "--format",
            "json",
            "--canned-at",
            "1",
            "--fail-at",
            "0.5",
            draft,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    refused(
        &cannery(&["lint", "--canned-at", "1.5", draft], None),
        &["outside [0, 1]"],
    );
    // The operating system's reason, once.
    let o = cannery(&["lint", "--index", "/no/such/index.cannery", draft], None);
    refused(&o, &["No such file"]);
    assert_eq!(
        stderr(&o).matches("No such file").count(),
        1,
        "{}",
        stderr(&o)
    );
}
