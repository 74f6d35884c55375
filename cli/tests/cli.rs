//! The `cannery` binary, run as a user runs it: each command, format and exit code, bad input
//! included.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{cannery, path, stderr, stdout, tmp};
use serde_json::Value;

const CANNED: &str = "Thank you for your message. You can find our policies by clicking this link.";
const PERSONAL: &str = "Hi Maria, the 7:40 from Leeds was held at Doncaster by a signal fault; your ticket is valid on the 8:10.";

#[test]
fn lint_human_exit_codes_and_underlines() {
    let o = cannery(&["lint", "--color", "never", CANNED], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("canned reply: canned"), "{out}");
    assert!(out.contains("^^^^"), "{out}");
    assert!(out.contains("nearest past reply"), "{out}");

    let o = cannery(&["lint", PERSONAL], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("personal reply"));

    // --fail-at moves the line.
    let o = cannery(&["lint", "--fail-at", "1", CANNED], None);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn lint_reads_stdin_and_files() {
    for args in [&["lint"][..], &["lint", "-"][..]] {
        let o = cannery(args, Some(CANNED.as_bytes()));
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
    }
    let dir = tmp("lint-file");
    let file = dir.join("draft.txt");
    std::fs::write(&file, PERSONAL).unwrap();
    let o = cannery(&["lint", "--file", path(&file), "--format", "sarif"], None);
    assert_eq!(o.status.code(), Some(0));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        sarif["runs"][0]["artifacts"][0]["location"]["uri"],
        format!("file://{}", path(&file))
    );
}

#[test]
fn lint_json_offsets_agree_with_the_text() {
    let draft = "Héllo 😀! We're sorry to hear that. Please DM us your order number.";
    let o = cannery(&["lint", "--format", "json", draft], None);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in [
        "canned",
        "personalisation",
        "verdict",
        "spans",
        "nearest",
        "template",
        "signals",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let spans = v["spans"].as_array().unwrap();
    assert!(!spans.is_empty());
    for s in spans {
        let (b0, b1) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            s["char_start"].as_u64().unwrap() as usize,
            draft[..b0].chars().count()
        );
        assert_eq!(
            s["char_end"].as_u64().unwrap() as usize,
            draft[..b1].chars().count()
        );
        assert_eq!(
            s["utf16_start"].as_u64().unwrap() as usize,
            draft[..b0].encode_utf16().count()
        );
        assert_eq!(
            s["utf16_end"].as_u64().unwrap() as usize,
            draft[..b1].encode_utf16().count()
        );
        assert_eq!(s["text"], &draft[b0..b1]);
        assert!(s["support"].as_u64().unwrap() >= 1);
    }
    assert!(v["nearest"]["id"].is_string() && v["nearest"]["similarity"].is_number());
    assert!(v["template"].is_null());
}

#[test]
fn lint_sarif_has_stable_rules_and_regions() {
    let o = cannery(
        &[
            "lint",
            "--format",
            "sarif",
            "Line one.\nPlease DM us 😀 your order number.",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "cannery/canned-reply",
            "cannery/boilerplate-span",
            "cannery/unjudged-language",
            "cannery/allowed-phrase"
        ]
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleId"], "cannery/canned-reply");
    let span = results
        .iter()
        .find(|r| r["ruleId"] == "cannery/boilerplate-span")
        .unwrap();
    let region = &span["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 2);
    assert_eq!(region["startColumn"], 1);
}

/// Drafts in the languages of the built-in corpora are judged on it; a draft in a language
/// without one is said to be unjudged (in every format), and `score` rows and the summary carry
/// each row's language.
#[test]
fn languages_in_lint_and_score() {
    let canned_es =
        "Lamentamos las molestias. Por favor, envíanos un mensaje directo con tu número de pedido.";
    let o = cannery(&["lint", "--format", "json", canned_es], None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["language"].as_str(), v["verdict"].as_str()),
        (Some("es"), Some("canned"))
    );

    let polish = "Prosimy o przesłanie numeru zamówienia w wiadomości prywatnej.";
    let o = cannery(&["lint", "--color", "never", polish], None);
    assert_eq!(o.status.code(), Some(0));
    let human = stdout(&o);
    assert!(human.starts_with("warning: unjudged reply"), "{human}");
    assert!(
        human.contains("Polish (pl), which has no built-in stock corpus"),
        "{human}"
    );
    let o = cannery(&["lint", "--format", "sarif", polish], None);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleId"], "cannery/unjudged-language");
    assert_eq!(results[0]["properties"]["language"], "pl");

    let dir = tmp("score-languages");
    let input = dir.join("input.jsonl");
    std::fs::write(
        &input,
        format!(
            "{}\n{}\n{}\n",
            serde_json::json!({"id": "es", "text": canned_es}),
            serde_json::json!({"id": "pl", "text": polish}),
            serde_json::json!({"id": "en", "text": CANNED}),
        ),
    )
    .unwrap();
    let summary = dir.join("summary.json");
    let o = cannery(
        &[
            "score",
            "--input",
            path(&input),
            "--summary",
            path(&summary),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let languages: Vec<&str> = rows
        .iter()
        .map(|r| r["language"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["es", "pl", "en"]);
    assert_eq!(rows[1]["verdict"], "unjudged");
    let summary: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    for (code, canned) in [("es", 1), ("pl", 0), ("en", 1)] {
        assert_eq!(summary["languages"][code]["rows"], 1, "{summary}");
        assert_eq!(
            summary["languages"][code]["canned_rate"],
            f64::from(canned),
            "{summary}"
        );
    }
    assert_eq!(summary["verdicts"]["unjudged"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_flags_and_unreadable_inputs_exit_2() {
    let cases: &[&[&str]] = &[
        &["lint", "--fail-at", "2", "x"],
        &["lint", "--format", "xml", "x"],
        &["lint", "--corpus", "/no/such/corpus.jsonl", "x"],
        &["lint", "--index", "/no/such/index.cannery", "x"],
        &["lint", "--corpus", "/no/such/corpus.txt", "x"],
        &["score", "--input", "/no/such/input.jsonl"],
        &["score", "--input", "-"],
        &["frobnicate"],
    ];
    for args in cases {
        let o = cannery(args, Some(b""));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?} printed no reason");
        assert!(stdout(&o).is_empty(), "{args:?} printed results");
    }
    let dir = tmp("bad-index");
    // Thousands of threads would hang the machine rather than fail: more than 256 is an error.
    let rows = dir.join("rows.jsonl");
    std::fs::write(&rows, "{\"id\": \"1\", \"text\": \"Please DM us.\"}\n").unwrap();
    let out = dir.join("rows.cannery");
    for args in [
        &["score", "--input", path(&rows), "--threads", "100000"][..],
        &[
            "index",
            "--corpus",
            path(&rows),
            "--output",
            path(&out),
            "--threads",
            "257",
        ],
    ] {
        let o = cannery(args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("more than 256 threads"),
            "{}",
            stderr(&o)
        );
    }
    let o = cannery(
        &[
            "index",
            "--corpus",
            path(&rows),
            "--output",
            path(&out),
            "--threads",
            "256",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let idx = dir.join("broken.cannery");
    std::fs::write(&idx, b"CANNERY\x1a\x01\x00\x00\x00garbage").unwrap();
    let o = cannery(&["lint", "--index", path(&idx), "x"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.cannery"), "{}", stderr(&o));
}

#[test]
fn score_jsonl_keeps_one_row_per_input_row_in_order() {
    let dir = tmp("score-jsonl");
    let corpus = dir.join("corpus.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\":\"c1\",\"text\":\"@1 Please DM us your order number. ^JK\",\"brand\":\"Acme\"}\n\
         {\"id\":\"c2\",\"text\":\"@2 Please DM us your order number. -Becky\",\"brand\":\"Acme\"}\n\
         {\"id\":\"c3\",\"text\":\"Our Leeds store reopens on Monday after the flood.\",\"brand\":\"Other\"}\n",
    )
    .unwrap();
    let input = dir.join("input.jsonl");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"\xEF\xBB\xBF{\"id\":\"c1\",\"text\":\"@1 Please DM us your order number. ^JK\",\"brand\":\"Acme\"}\r\n");
    bytes.extend_from_slice(b"not json at all\n");
    bytes.extend_from_slice(b"[1, 2, 3]\n");
    bytes.extend_from_slice(b"{\"id\":\"x\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"bad-utf8\",\"text\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(b"{\"id\":\"c3\",\"text\":\"Our Leeds store reopens on Monday after the flood.\",\"in_reply_to_text\":\"Is the Leeds store open?\",\"brand\":\"Other\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"c1\",\"text\":\"\"}\n");
    std::fs::write(&input, &bytes).unwrap();
    let summary = dir.join("summary.json");
    let o = cannery(
        &[
            "score",
            "--corpus",
            path(&corpus),
            "--input",
            path(&input),
            "--exclude-self",
            "--summary",
            path(&summary),
            "--threads",
            "2",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows.len(),
        7,
        "one row per input record (the blank line is not a record)"
    );
    let lines: Vec<u64> = rows.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5, 7, 8]);
    assert_eq!(rows[0]["id"], "c1");
    assert_eq!(rows[0]["left_out"], true);
    assert_eq!(
        rows[0]["nearest_id"], "c2",
        "leave-one-out finds the other copy, not itself"
    );
    assert!(rows[0]["error"].is_null());
    for (i, needle) in [
        (1, "invalid JSON"),
        (2, "not an object"),
        (3, "missing field"),
        (4, "UTF-8"),
    ] {
        let err = rows[i]["error"].as_str().unwrap();
        assert!(err.contains(needle), "row {i}: {err}");
        assert!(rows[i]["canned"].is_null());
    }
    assert_eq!(rows[3]["id"], "x");
    assert_eq!(rows[5]["id"], "c3");
    assert_ne!(rows[5]["nearest_id"], "c3");
    assert!(
        rows[6]["canned"].is_number(),
        "an empty text is scored, not an error"
    );
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["rows"], 7);
    assert_eq!(s["errors"], 4);
    assert_eq!(s["scored"], 3);
    assert!(s["groups"]["Acme"]["rows"].as_u64().unwrap() >= 1);
    assert!(s["canned"]["quantiles"]["p50"].is_number());
    assert_eq!(s["config"]["exclude_self"], true);
    assert!(
        stderr(&o).contains("the first malformed row, line 2"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn score_csv_in_the_customer_support_on_twitter_layout() {
    let dir = tmp("score-csv");
    let twcs = dir.join("twcs.csv");
    std::fs::write(
        &twcs,
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\r\n\
         1,larkspur_help,False,Tue Oct 31 22:10:47 +0000 2017,\"@204518 Sorry about that. Please DM us your order number, so we can help.\",,2\r\n\
         2,204518,True,Tue Oct 31 22:11:45 +0000 2017,\"@larkspur_help my boots came in the wrong size\",1,\r\n\
         3,larkspur_help,False,Tue Oct 31 22:12:00 +0000 2017,\"broken, row\"\r\n",
    )
    .unwrap();
    let out = dir.join("scores.csv");
    let o = cannery(
        &[
            "score",
            "--corpus",
            path(&twcs),
            "--input",
            path(&twcs),
            "--id-field",
            "tweet_id",
            "--group-field",
            "author_id",
            "--format",
            "csv",
            "--output",
            path(&out),
            "--quiet",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("malformed corpus rows"),
        "corpus errors are reported: {}",
        stderr(&o)
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    for col in [
        "id",
        "canned",
        "personalisation",
        "verdict",
        "template",
        "nearest_id",
        "nearest_similarity",
        "error",
    ] {
        assert!(header.iter().any(|h| h == col), "missing column {col}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][1], "1");
    assert!(rows[0][2].parse::<f64>().is_ok());
    let error = header.iter().position(|h| h == "error").unwrap();
    assert!(
        rows[2][error].contains("expected 7 fields"),
        "{:?}",
        rows[2]
    );
}

#[test]
fn score_reads_stdin_with_its_format_and_handles_empty_input() {
    let o = cannery(
        &[
            "score",
            "--input",
            "-",
            "--input-format",
            "jsonl",
            "--quiet",
        ],
        Some(b"{\"id\":\"a\",\"text\":\"Please DM us.\"}\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
    let dir = tmp("empty");
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = cannery(&["score", "--input", path(&empty), "--quiet"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).is_empty());
    let empty_csv = dir.join("empty.csv");
    std::fs::write(&empty_csv, "").unwrap();
    let o = cannery(&["score", "--input", path(&empty_csv)], None);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a CSV without a header cannot be read"
    );
}

#[test]
fn index_then_reuse_gives_the_same_report() {
    let dir = tmp("index");
    let corpus = dir.join("corpus.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\":\"a\",\"text\":\"Your Acme points post within 3 working days of your visit. ^AB\"}\n\
         {\"id\":\"b\",\"text\":\"Your Acme points post within 3 working days of your visit. -Zed\"}\n",
    )
    .unwrap();
    let idx = dir.join("acme.cannery");
    let o = cannery(
        &["index", "--corpus", path(&corpus), "--output", path(&idx)],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("indexed"));
    let draft = "Your Acme points post within 5 working days of your visit. ~Ann";
    let from_index = cannery(
        &["lint", "--format", "json", "--index", path(&idx), draft],
        None,
    );
    let from_corpus = cannery(
        &["lint", "--format", "json", "--corpus", path(&corpus), draft],
        None,
    );
    assert_eq!(stdout(&from_index), stdout(&from_corpus));
    let v: Value = serde_json::from_str(&stdout(&from_index)).unwrap();
    assert_eq!(v["signals"]["copies"], 2);
}

#[test]
fn index_threads_give_the_same_file() {
    let dir = tmp("index-threads");
    let corpus = dir.join("corpus.jsonl");
    let mut rows = String::new();
    for i in 0..3000 {
        if i == 1500 {
            rows.push_str("{\"id\": 1500, \"text\": [\"not a string\"]}\n");
            continue;
        }
        let text = match i % 3 {
            0 => format!("@u{i} Your Acme points post within 3 working days of your visit. ^AB"),
            1 => format!(
                "Hi Ann, the Leeds store has your size {} boots on hold.",
                i % 12
            ),
            _ => format!("Thanks for the feedback on order {i}, we have passed it on."),
        };
        rows.push_str(&format!(
            "{{\"id\": \"r{i}\", \"text\": \"{text}\", \"brand\": \"b{}\", \"at\": {}}}\n",
            i % 4,
            1_600_000_000 + i
        ));
    }
    std::fs::write(&corpus, rows).unwrap();
    let build = |threads: &str| {
        let out = dir.join(format!("t{threads}.cannery"));
        let o = cannery(
            &[
                "index",
                "--corpus",
                path(&corpus),
                "--time-field",
                "at",
                "--threads",
                threads,
                "--output",
                path(&out),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("1 malformed corpus rows left out (the first, line 1501"),
            "{}",
            stderr(&o)
        );
        std::fs::read(out).unwrap()
    };
    let one = build("1");
    assert!(one == build("3"), "3 threads build another index than 1");
    assert!(
        one == build("0"),
        "one thread a core builds another index than 1"
    );
}

#[test]
fn merged_shards_equal_the_index_of_the_whole_corpus() {
    let dir = tmp("merge");
    let rows = [
        "{\"id\":\"a\",\"text\":\"Your Acme points post within 3 working days of your visit. ^AB\"}\n",
        "{\"id\":\"b\",\"text\":\"Your Acme points post within 3 working days of your visit. -Zed\"}\n",
        "{\"id\":\"c\",\"text\":\"Hi Ann, the Leeds store has your size 9 boots on hold until Friday.\"}\n",
    ];
    let write = |name: &str, rows: &[&str]| {
        let file = dir.join(name);
        std::fs::write(&file, rows.concat()).unwrap();
        file
    };
    let index = |corpus: &PathBuf| {
        let out = corpus.with_extension("cannery");
        let o = cannery(
            &["index", "--corpus", path(corpus), "--output", path(&out)],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        out
    };
    let whole = index(&write("whole.jsonl", &rows));
    let part0 = index(&write("part0.jsonl", &rows[..1]));
    let part1 = index(&write("part1.jsonl", &rows[1..]));
    let merged = dir.join("merged.cannery");
    let o = cannery(
        &[
            "merge",
            "--output",
            path(&merged),
            path(&part0),
            path(&part1),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("merged 2 indexes"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&whole).unwrap(),
        "the merged index is the index of the concatenated shards, byte for byte"
    );

    // A shard that cannot be read is named.
    let o = cannery(
        &[
            "merge",
            "--output",
            path(&dir.join("y.cannery")),
            path(&part0),
            path(&dir.join("none.cannery")),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("none.cannery"), "{}", stderr(&o));
}

#[test]
fn templates_are_listed_and_named_in_reports() {
    let dir = tmp("templates");
    let corpus = dir.join("corpus.jsonl");
    let mut lines = String::new();
    for i in 0..6 {
        lines.push_str(&format!(
            "{{\"id\":\"t{i}\",\"text\":\"@{i}00 Your refund for order {i}4417 is on its way and should arrive in {i} days. ^A{i}\",\"brand\":\"Acme\"}}\n"
        ));
    }
    lines.push_str("{\"id\":\"p1\",\"text\":\"The Leeds store's bakery closes at 6pm on Sundays.\",\"brand\":\"Acme\"}\n");
    std::fs::write(&corpus, lines).unwrap();
    let o = cannery(
        &["templates", "--corpus", path(&corpus), "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let templates: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0]["count"], 6);
    assert_eq!(templates[0]["groups"][0], serde_json::json!(["Acme", 6]));
    assert!(templates[0]["text"].as_str().unwrap().contains("<num>"));
    let o = cannery(&["templates", "--corpus", path(&corpus)], None);
    assert!(
        stdout(&o).starts_with("1 templates (used by at least 2 replies"),
        "{}",
        stdout(&o)
    );
    let o = cannery(&["templates"], None);
    assert_eq!(o.status.code(), Some(2), "templates need a corpus");

    let draft = "@9 Your refund for order 77 is on its way and should arrive in 2 days. ~Zed";
    let o = cannery(
        &["lint", "--color", "never", "--corpus", path(&corpus), draft],
        None,
    );
    let out = stdout(&o);
    assert!(out.contains("template #1"), "{out}");
    assert!(out.contains("fills <num>"), "{out}");
    let o = cannery(
        &[
            "score",
            "--corpus",
            path(&corpus),
            "--input",
            path(&corpus),
            "--exclude-self",
            "--quiet",
        ],
        None,
    );
    let rows: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["template"], 1);
    assert!(rows[6]["template"].is_null());
}

#[test]
fn helpdesk_macros_are_known_templates() {
    let dir = tmp("macros");
    let zendesk = dir.join("macros.json");
    std::fs::write(&zendesk, r#"{"macros":[{"title":"Refund on its way","actions":[{"field":"comment_value_html","value":"<p>Hi {{ticket.requester.first_name}},</p><p>Your refund for order {{ticket.id}} is on its way and should reach your card within 5 working days.</p><p>{{current_user.first_name}}</p>"}]}]}"#).unwrap();
    let freshdesk = dir.join("canned.json");
    std::fs::write(&freshdesk, r#"[{"name":"Billing","canned_responses":[{"title":"Refund on its way","content":"Hi {{ticket.requester.name}}, your refund for order {{ticket.id}} is on its way and should reach your card within 5 working days. {{ticket.agent.name}}"}]}]"#).unwrap();
    let lines = dir.join("macros.txt");
    std::fs::write(&lines, "# our macros\nHi {{name}}, your refund for order {{ticket.id}} is on its way and should reach your card within 5 working days.\n").unwrap();
    let draft = "Hi Tina, your refund for order 4417 is on its way and should reach your card within 5 working days. Sam";
    for file in [&zendesk, &freshdesk, &lines] {
        let o = cannery(
            &["lint", "--format", "json", "--macros", path(file), draft],
            None,
        );
        assert_eq!(o.status.code(), Some(1), "{}: {}", path(file), stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["verdict"], "canned", "{}: {v}", path(file));
        assert!(v["template"]["text"].as_str().unwrap().contains("<num>"));
        assert_eq!(
            v["signals"]["specific"], 0.0,
            "filled placeholders are not personal"
        );
    }
    let o = cannery(
        &["templates", "--macros", path(&zendesk), "--format", "json"],
        None,
    );
    let t: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(t["name"], "Refund on its way");
    assert_eq!(t["count"], 0);
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{not json").unwrap();
    let o = cannery(&["lint", "--macros", path(&broken), "x"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
    let empty = dir.join("empty.json");
    std::fs::write(&empty, r#"{"macros":[]}"#).unwrap();
    let o = cannery(&["lint", "--macros", path(&empty), "x"], None);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a library with no macro is an error"
    );
}

#[test]
fn template_first_and_last_use_from_a_time_field() {
    let dir = tmp("times");
    let twcs = dir.join("twcs.csv");
    std::fs::write(
        &twcs,
        "tweet_id,author_id,inbound,created_at,text\n\
         1,acme,False,Tue Oct 31 22:10:47 +0000 2017,@1 Your parcel is with the courier now. ^AB\n\
         2,acme,False,2017-11-02T08:00:00Z,@2 Your parcel is with the courier now. ^CD\n\
         3,acme,False,not a date,@3 Your parcel is with the courier now. ^EF\n",
    )
    .unwrap();
    let o = cannery(
        &[
            "templates",
            "--corpus",
            path(&twcs),
            "--id-field",
            "tweet_id",
            "--time-field",
            "created_at",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 corpus rows have a time cannery cannot read"),
        "{}",
        stderr(&o)
    );
    let t: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(t["count"], 3);
    assert_eq!(t["first_seen"], 1509487847);
    assert_eq!(t["last_seen"], 1509609600);
    let o = cannery(
        &[
            "templates",
            "--corpus",
            path(&twcs),
            "--id-field",
            "tweet_id",
            "--time-field",
            "created_at",
        ],
        None,
    );
    assert!(
        stdout(&o).contains("(2017-10-31 22:10 to 2017-11-02 08:00)"),
        "{}",
        stdout(&o)
    );
    let o = cannery(
        &[
            "templates",
            "--corpus",
            path(&twcs),
            "--id-field",
            "tweet_id",
            "--time-field",
            "missing",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a time column asked for by name must exist"
    );
}

#[test]
fn help_reads_well() {
    let o = cannery(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    for cmd in ["lint", "score", "index", "templates"] {
        assert!(stdout(&o).contains(cmd));
    }
    for (cmd, flags) in [
        (
            "lint",
            &["--corpus", "--index", "--customer", "--format", "--fail-at"][..],
        ),
        (
            "score",
            &[
                "--input",
                "--exclude-self",
                "--id-field",
                "--summary",
                "--threads",
                "--quiet",
            ][..],
        ),
        ("index", &["--corpus", "--output"][..]),
        (
            "templates",
            &["--corpus", "--index", "--min-support", "--format"][..],
        ),
    ] {
        let o = cannery(&[cmd, "--help"], None);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        for flag in flags {
            assert!(text.contains(flag), "{cmd} --help lacks {flag}");
        }
        assert!(
            text.contains("Exit codes") || matches!(cmd, "index" | "templates"),
            "{cmd} --help lacks exit codes"
        );
    }
}

/// Splits a README command line into arguments: spaces separate, double quotes group.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            _ => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// The README's `cannery lint` and `cannery templates` examples that need no `../shared` data,
/// each rerun: the output printed under the command must be what the command prints now.
#[test]
fn readme_examples_print_what_the_readme_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```text\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let Some(first) = block.lines().next() else {
            continue;
        };
        // A command may continue on the next line after a trailing backslash.
        let mut lines = block.lines();
        let mut command = String::new();
        for line in lines.by_ref() {
            match line.strip_suffix('\\') {
                Some(part) => command.push_str(part.trim_start()),
                None => {
                    command.push_str(line.trim_start());
                    break;
                }
            }
        }
        let Some(command) = command.strip_prefix("$ cannery ") else {
            continue;
        };
        let words = shell_words(command);
        let sample_or_stock = command.contains("examples/data/sample-archive.jsonl")
            || !(command.contains("--corpus")
                || command.contains("--index")
                || command.contains("--macros"));
        if !matches!(words[0].as_str(), "lint" | "templates") || !sample_or_stock {
            continue;
        }
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        if args[0] == "lint" {
            args.extend(["--color", "never"]);
        }
        let o = Command::new(env!("CARGO_BIN_EXE_cannery"))
            .args(&args)
            .env_remove("CANNERY_MODEL")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .output()
            .unwrap();
        let shown: String = lines.map(|l| format!("{l}\n")).collect();
        assert_eq!(
            stdout(&o),
            shown,
            "README example `{}` prints something else now (first line {first:?})",
            command
        );
        eprintln!("checked README example: {command}");
        checked += 1;
    }
    assert!(
        checked >= 3,
        "found only {checked} README examples to rerun"
    );
    // The front door's run command (`cargo run ... -- lint "..."`), whose output follows it.
    let o = cannery(&["lint", "--color", "never", CANNED], None);
    assert!(
        readme.contains(&format!("```text\n{}```", stdout(&o))),
        "the README's first lint output is not what `cannery lint` prints now:\n{}",
        stdout(&o)
    );
}

#[test]
fn lint_several_files_in_one_call_in_order() {
    let dir = tmp("lint-many");
    let (canned, personal) = (dir.join("canned.txt"), dir.join("personal.txt"));
    std::fs::write(&canned, CANNED).unwrap();
    std::fs::write(&personal, PERSONAL).unwrap();
    let files = ["--file", path(&personal), "--file", path(&canned)];
    // JSON: an array in input order, each with its path; one failing draft fails the call.
    let o = cannery(&[&["lint", "--format", "json"][..], &files].concat(), None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let items = v.as_array().expect("an array for several drafts");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["path"], path(&personal));
    assert_eq!(items[0]["fails"], false);
    assert_eq!(items[1]["path"], path(&canned));
    assert_eq!(items[1]["fails"], true);
    // SARIF: one run, an artifact a file, each result pointing at its own.
    let o = cannery(&[&["lint", "--format", "sarif"][..], &files].concat(), None);
    assert_eq!(o.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["artifacts"].as_array().unwrap().len(), 2);
    assert_eq!(
        run["artifacts"][1]["location"]["uri"],
        format!("file://{}", path(&canned))
    );
    let canned_results: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "cannery/canned-reply")
        .collect();
    assert_eq!(canned_results.len(), 1);
    assert_eq!(
        canned_results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["index"],
        1
    );
    // Human: both diagnostics, in order.
    let o = cannery(&[&["lint", "--color", "never"][..], &files].concat(), None);
    let out = stdout(&o);
    let (first, second) = (
        out.find(path(&personal)).unwrap(),
        out.find(path(&canned)).unwrap(),
    );
    assert!(first < second, "{out}");
    // All personal: exit 0.
    let o = cannery(
        &["lint", "--file", path(&personal), "--file", path(&personal)],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn lint_json_lines_of_drafts_with_their_own_context() {
    let dir = tmp("lint-lines");
    let lines = dir.join("drafts.jsonl");
    let personal = serde_json::json!({"draft": PERSONAL, "customer": "is the 7:40 from Leeds running?", "name": "Maria", "id": "ticket-7"});
    let canned = serde_json::json!({"draft": CANNED, "group": "AcmeHelp"});
    std::fs::write(&lines, format!("{personal}\n\n{canned}\n")).unwrap();
    let o = cannery(
        &["lint", "--format", "json", "--drafts", path(&lines)],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["path"], "ticket-7");
    assert_eq!(items[1]["path"], format!("{}:3", path(&lines)));
    // Each line's context is its own: the first draft is scored with its customer's message.
    let alone = cannery(
        &[
            "lint",
            "--format",
            "json",
            "--customer",
            "is the 7:40 from Leeds running?",
            "--name",
            "Maria",
            PERSONAL,
        ],
        None,
    );
    let alone: Value = serde_json::from_str(&stdout(&alone)).unwrap();
    assert_eq!(items[0]["personalisation"], alone["personalisation"]);
    // From standard input, named by --stdin-filename.
    let o = cannery(
        &[
            "lint",
            "--format",
            "sarif",
            "--drafts",
            "-",
            "--stdin-filename",
            "queue/drafts.jsonl",
        ],
        Some(format!("{canned}\n").as_bytes()),
    );
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        sarif["runs"][0]["artifacts"][0]["location"]["uri"],
        "queue/drafts.jsonl%3A1" // the colon escaped in a relative reference
    );
}

#[test]
fn lint_stdin_filename_names_the_draft() {
    let o = cannery(
        &[
            "lint",
            "--format",
            "sarif",
            "--stdin-filename",
            "replies/draft 1.txt",
        ],
        Some(CANNED.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        sarif["runs"][0]["artifacts"][0]["location"]["uri"],
        "replies/draft%201.txt"
    );
    let o = cannery(
        &[
            "lint",
            "--color",
            "never",
            "--stdin-filename",
            "inbox/42.txt",
        ],
        Some(CANNED.as_bytes()),
    );
    assert!(
        stdout(&o).contains("--> inbox/42.txt:1:1"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn lint_bad_drafts_are_clear_errors() {
    let dir = tmp("lint-bad-drafts");
    let lines = dir.join("drafts.jsonl");
    let cases: [(&str, &str); 4] = [
        (
            "{\"draft\": \"Thanks!\"}\n{\"draf\": \"typo\"}\n",
            "line 2: unknown field `draf`",
        ),
        ("{\"draft\": \"Thanks!\"}\noops\n", "line 2: expected value"),
        ("{\"customer\": \"hi\"}\n", "line 1: missing field `draft`"),
        ("\n\n", "has no drafts"),
    ];
    for (content, expected) in cases {
        std::fs::write(&lines, content).unwrap();
        let o = cannery(&["lint", "--drafts", path(&lines)], None);
        assert_eq!(o.status.code(), Some(2), "{content:?}");
        assert!(stderr(&o).contains(expected), "{content:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "nothing is linted: {}", stdout(&o));
    }
    std::fs::write(&lines, "{\"draft\": \"  \"}\n").unwrap();
    let o = cannery(&["lint", "--drafts", path(&lines)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("the draft ({}:1) is empty", path(&lines))),
        "{}",
        stderr(&o)
    );
    let o = cannery(&["lint", "--file", "-", "--file", "-"], Some(b"x"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--file once"), "{}", stderr(&o));
    let o = cannery(
        &["lint", "--drafts", path(&lines), "--file", path(&lines)],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}
