//! `cannery serve` through the binary, with a real HTTP client (ureq) on the loopback interface:
//! the routes and their JSON, inserts seen by the next draft, saves on schedule and at
//! shutdown, reloads of a replaced index file, and the limits.
#![cfg(feature = "serve")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cannery, path, stdout, tmp};
use serde_json::{json, Value};

/// A running server, stopped (SIGKILL) when dropped if the test did not stop it.
struct Server {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cannery"))
            .args(["serve", "--isolated", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("CANNERY_MODEL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannery serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("cannery serve says where it listens")
            .unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        // The rest of standard error is drained, so that the server never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Server { child, url, agent }
    }

    fn post(&self, route: &str, body: &Value) -> (u16, Value) {
        let mut r = self
            .agent
            .post(&format!("{}{route}", self.url))
            .send_json(body)
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap())
    }

    fn post_raw(&self, route: &str, body: &str) -> (u16, Value) {
        let mut r = self
            .agent
            .post(&format!("{}{route}", self.url))
            .send(body)
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap())
    }

    fn get(&self, route: &str) -> (u16, Value) {
        let mut r = self
            .agent
            .get(&format!("{}{route}", self.url))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap())
    }

    fn health(&self) -> Value {
        let (status, h) = self.get("/health");
        assert_eq!(status, 200);
        h
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn terminate(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "cannery serve exits 0 on SIGTERM: {status}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` holds, for at most 20 seconds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const DRAFT: &str = "Thank you for your message. You can find our policies by clicking this link.";
const CUSTOMER: &str = "Where is my order 4417? It was due Monday.";

/// An index of `rows` (id, text) saved at `file`, built by `cannery index`.
fn index_of(dir: &Path, file: &Path, rows: &[(&str, &str)]) {
    let corpus = dir.join(format!("corpus-{}.jsonl", rows.len()));
    let lines: Vec<String> = rows
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text, "brand": "Acme"}).to_string())
        .collect();
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let out = cannery(
        &[
            "index",
            "--corpus",
            path(&corpus),
            "--output",
            path(file),
            "--quiet",
        ],
        None,
    );
    assert!(out.status.success(), "{:?}", out);
}

#[test]
fn lint_answers_as_the_command_does() {
    let server = Server::start(&[]);
    let (status, served) = server.post("/lint", &json!({"draft": DRAFT, "customer": CUSTOMER}));
    assert_eq!(status, 200);
    let command = cannery(
        &[
            "lint",
            "--isolated",
            "--format",
            "json",
            "--customer",
            CUSTOMER,
            DRAFT,
        ],
        None,
    );
    let command: Value = serde_json::from_str(&stdout(&command)).unwrap();
    assert_eq!(served, command);
    assert_eq!(served["verdict"], "canned");
    assert_eq!(served["fails"], true);
    let spans = served["spans"].as_array().unwrap();
    assert!(!spans.is_empty());
    for s in spans {
        let (a, b) = (
            s["byte_start"].as_u64().unwrap(),
            s["byte_end"].as_u64().unwrap(),
        );
        assert_eq!(s["text"], DRAFT[a as usize..b as usize]);
    }

    // A batch, in order, with ids; `text` and `message` are taken for `draft` and `customer`.
    let (status, batch) = server.post(
        "/lint",
        &json!({"drafts": [
            {"draft": DRAFT, "id": "a"},
            {"text": "Your parcel 4417 left our depot in Leeds this morning; it reaches you Thursday.", "message": CUSTOMER, "id": "b"},
        ]}),
    );
    assert_eq!(status, 200);
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["id"], "a");
    assert_eq!(results[1]["id"], "b");
    assert_eq!(results[0]["fails"], true);
    assert_eq!(results[1]["fails"], false);
    assert_eq!(batch["fails"], true);

    // /score: the library's whole report.
    let (status, scored) = server.post(
        "/score",
        &json!({"draft": DRAFT, "customer": CUSTOMER, "id": "s"}),
    );
    assert_eq!(status, 200);
    assert_eq!(scored["id"], "s");
    assert_eq!(scored["canned"], served["canned"].clone());
    assert!(scored["spans"][0]["bytes"].is_object(), "{scored}");

    let h = server.health();
    assert_eq!(h["status"], "ok");
    assert_eq!(
        h["replies"].as_u64().unwrap() as usize,
        cannery::Index::stock().len()
    );
    assert_eq!(h["index_file"], Value::Null);
}

#[test]
fn errors_are_json_with_a_kind() {
    let server = Server::start(&["--max-body", "2000", "--max-batch", "2"]);
    let cases: Vec<(&str, (u16, Value), u16, &str)> = vec![
        (
            "not JSON",
            server.post_raw("/lint", "nope"),
            400,
            "malformed_json",
        ),
        (
            "unknown key",
            server.post("/lint", &json!({"draft": "Hi.", "bogus": 1})),
            422,
            "invalid_request",
        ),
        (
            "no draft",
            server.post("/lint", &json!({"customer": "hi"})),
            422,
            "invalid_request",
        ),
        (
            "blank draft",
            server.post(
                "/score",
                &json!({"drafts": [{"draft": "ok"}, {"draft": " \u{200B}\n"}]}),
            ),
            422,
            "invalid_request",
        ),
        (
            "empty batch",
            server.post("/lint", &json!({"drafts": []})),
            422,
            "invalid_request",
        ),
        (
            "too many",
            server.post(
                "/lint",
                &json!({"drafts": [{"draft": "a"}, {"draft": "b"}, {"draft": "c"}]}),
            ),
            413,
            "too_large",
        ),
        (
            "too large",
            server.post("/lint", &json!({"draft": "x".repeat(5000)})),
            413,
            "too_large",
        ),
        ("no route", server.get("/nope"), 404, "not_found"),
        (
            "wrong method",
            server.get("/lint"),
            405,
            "method_not_allowed",
        ),
        (
            "bad query",
            server.get("/templates?min_support=lots"),
            422,
            "invalid_request",
        ),
        (
            "reply without text",
            server.post("/replies", &json!({"id": "r"})),
            422,
            "invalid_request",
        ),
        (
            "reply with a bad time",
            server.post(
                "/replies",
                &json!({"id": "r", "text": "Hi.", "time": "last tuesday"}),
            ),
            422,
            "invalid_request",
        ),
    ];
    for (what, (status, body), want_status, want_kind) in cases {
        assert_eq!(status, want_status, "{what}: {body}");
        assert_eq!(body["error"]["kind"], want_kind, "{what}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().len() > 5,
            "{what}"
        );
    }
    // Nothing was inserted by the refused replies.
    assert_eq!(
        server.health()["replies"].as_u64().unwrap() as usize,
        cannery::Index::stock().len()
    );
}

#[test]
fn an_insert_is_seen_by_the_next_draft_and_ids_stay_unique() {
    let server = Server::start(&[]);
    let sent = "Your refund for order 4417 went out today; it shows in 3 to 5 days.";
    let (_, before) = server.post("/score", &json!({"draft": sent}));
    assert_ne!(before["nearest"][0]["id"], "t-1");
    let (status, r) = server.post(
        "/replies",
        &json!({"id": "t-1", "text": sent, "group": "Acme", "message": CUSTOMER, "time": "2026-11-30T10:00:00Z"}),
    );
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["inserted"], 1);
    let (_, after) = server.post("/score", &json!({"draft": sent, "group": "Acme"}));
    assert_eq!(after["nearest"][0]["id"], "t-1");
    assert_eq!(after["nearest"][0]["similarity"], 1.0);
    // Another tenant does not see it.
    let (_, other) = server.post("/score", &json!({"draft": sent, "group": "Other"}));
    assert_ne!(other["nearest"][0]["id"], "t-1");

    let n = server.health()["replies"].as_u64().unwrap();
    for body in [
        json!({"id": "t-1", "text": "Again."}),
        json!({"replies": [{"id": "t-2", "text": "New."}, {"id": "t-1", "text": "Again."}]}),
        json!({"replies": [{"id": "t-3", "text": "New."}, {"id": "t-3", "text": "Twice."}]}),
    ] {
        let (status, r) = server.post("/replies", &body);
        assert_eq!(status, 409, "{r}");
        assert_eq!(r["error"]["kind"], "duplicate_id");
    }
    assert_eq!(
        server.health()["replies"].as_u64().unwrap(),
        n,
        "all or none"
    );
    let (status, r) = server.post(
        "/replies",
        &json!({"replies": [{"id": "t-2", "text": "New.", "time": 1764500000}, {"id": "t-3", "text": "Newer."}]}),
    );
    assert_eq!((status, r["inserted"].clone()), (201, json!(2)));
    assert_eq!(r["replies"].as_u64().unwrap(), n + 2);
}

#[test]
fn inserts_are_saved_on_schedule_and_at_shutdown() {
    let dir = tmp("serve-save");
    let file = dir.join("acme.cannery");
    index_of(
        &dir,
        &file,
        &[
            ("1", "Your parcel left the depot."),
            ("2", "We are sorry for the wait."),
        ],
    );

    // On schedule.
    let server = Server::start(&["--index", path(&file), "--persist-every", "0.2"]);
    server.post(
        "/replies",
        &json!({"id": "s-1", "text": "Saved on schedule."}),
    );
    wait_for("the scheduled save", || {
        server.health()["pending_inserts"] == 0
    });
    let h = server.health();
    assert!(h["saved_at"].is_u64(), "{h}");
    assert!(cannery::Index::load(&file).unwrap().contains_id("s-1"));
    server.terminate();

    // At shutdown, nothing lost: many inserts, then SIGTERM before any scheduled save.
    let server = Server::start(&["--index", path(&file), "--persist-every", "3600"]);
    let replies: Vec<Value> = (0..200)
        .map(|i| json!({"id": format!("b-{i}"), "text": format!("Reply number {i} about parcel {}.", 1000 + i)}))
        .collect();
    for chunk in replies.chunks(50) {
        let (status, _) = server.post("/replies", &json!({"replies": chunk}));
        assert_eq!(status, 201);
    }
    assert_eq!(server.health()["pending_inserts"], 200);
    server.terminate();
    let saved = cannery::Index::load(&file).unwrap();
    assert!(saved.contains_id("s-1"));
    for i in 0..200 {
        assert!(saved.contains_id(&format!("b-{i}")), "b-{i} lost");
    }
    assert_eq!(saved.len(), 2 + 1 + 200 + cannery::Index::stock().len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_replaced_index_file_is_reloaded_with_the_unsaved_inserts() {
    let dir = tmp("serve-reload");
    let file = dir.join("acme.cannery");
    index_of(&dir, &file, &[("1", "Your parcel left the depot.")]);
    let server = Server::start(&[
        "--index",
        path(&file),
        "--watch-every",
        "0.1",
        "--persist-every",
        "3600",
    ]);
    let pending = "A reply sent before the rebuild, not saved yet.";
    server.post("/replies", &json!({"id": "p-1", "text": pending}));

    // Another process rebuilds the index (written aside, then renamed over it).
    let rebuilt = dir.join("rebuilt.cannery");
    let fresh = "Nightly rebuild: our depot in Leeds reopens on Monday.";
    index_of(
        &dir,
        &rebuilt,
        &[("1", "Your parcel left the depot."), ("n-1", fresh)],
    );
    std::fs::rename(&rebuilt, &file).unwrap();
    wait_for("the reload", || server.health()["reloads"] == 1);

    let (_, r) = server.post("/score", &json!({"draft": fresh}));
    assert_eq!(r["nearest"][0]["id"], "n-1");
    let (_, r) = server.post("/score", &json!({"draft": pending}));
    assert_eq!(
        r["nearest"][0]["id"], "p-1",
        "the unsaved insert is applied again"
    );
    assert_eq!(
        server.health()["replies"].as_u64().unwrap() as usize,
        2 + 1 + cannery::Index::stock().len()
    );

    // A file that cannot be loaded is not taken: the index in use is kept.
    std::fs::write(dir.join("broken"), b"not an index").unwrap();
    std::fs::rename(dir.join("broken"), &file).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(server.health()["reloads"], 1);
    let (_, r) = server.post("/score", &json!({"draft": fresh}));
    assert_eq!(r["nearest"][0]["id"], "n-1");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_rate_limit_answers_429_with_retry_after() {
    let server = Server::start(&["--rate-limit", "1", "--burst", "3"]);
    let mut codes = Vec::new();
    let mut retry_after = None;
    for _ in 0..10 {
        let mut r = server
            .agent
            .post(&format!("{}/lint", server.url))
            .send_json(json!({"draft": "Sorry! Please DM us."}))
            .unwrap();
        codes.push(r.status().as_u16());
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = r.body_mut().read_json().unwrap();
            assert_eq!(body["error"]["kind"], "rate_limited");
        }
    }
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 3, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 429).count(), 7, "{codes:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // The health check is never limited.
    for _ in 0..5 {
        assert_eq!(server.get("/health").0, 200);
    }
}

#[test]
fn templates_are_listed() {
    let dir = tmp("serve-templates");
    let file = dir.join("acme.cannery");
    let rows: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("{i}"),
                format!("Hi, your order {} has shipped and arrives soon.", 100 + i),
            )
        })
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    index_of(&dir, &file, &rows);
    let server = Server::start(&["--index", path(&file)]);
    let (status, t) = server.get("/templates?min_support=2&top=5");
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["total"], 1);
    assert_eq!(t["templates"][0]["count"], 6);
    let command = cannery(
        &[
            "templates",
            "--index",
            path(&file),
            "--format",
            "json",
            "--top",
            "5",
        ],
        None,
    );
    let first: Value = serde_json::from_str(stdout(&command).lines().next().unwrap()).unwrap();
    assert_eq!(t["templates"][0], first);
    let (_, none) = server.get("/templates?group=Nobody");
    assert_eq!(none["total"], 0);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_and_the_config_files_index_are_one_or_the_other() {
    let dir = tmp("serve-config");
    let file = dir.join("acme.cannery");
    index_of(&dir, &file, &[("1", "Your parcel left the depot.")]);
    std::fs::write(dir.join("cannery.toml"), "index = \"acme.cannery\"\n").unwrap();
    let out = common::cannery_in(&dir, &["serve", "--save", "other.cannery"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("--save"),
        "{}",
        common::stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
