//! `cannery.toml` through the binary: found upwards from the working directory, flags over the
//! file over the defaults, allowed boilerplate, rule selection, and errors that name the key.

mod common;

use common::{cannery_in, path, stderr, stdout, tmp};
use serde_json::Value;

const DISCLOSURE: &str =
    "Thank you for your message. You can find our policies by clicking this link.";
const ANSWER: &str =
    "Your parcel left our Leeds depot at 9:40 and DPD will bring it on Friday, Maria.";
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/data/sample-archive.jsonl"
);

/// A project folder with `cannery.toml` holding `config`, and a subfolder to run from.
fn project(name: &str, config: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = tmp(name);
    std::fs::write(dir.join("cannery.toml"), config).unwrap();
    let sub = dir.join("replies").join("drafts");
    std::fs::create_dir_all(&sub).unwrap();
    (dir, sub)
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

#[test]
fn found_upwards_and_shown_with_sources() {
    let (dir, sub) = project(
        "cfg-found",
        "corpus = \"archive.jsonl\"\nfail-at = 0.7\ngroup = \"LarkspurUK\"\n[rules]\nboilerplate-span = false\n",
    );
    std::fs::copy(SAMPLE, dir.join("archive.jsonl")).unwrap();
    let o = cannery_in(&sub, &["config", "--format", "json"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let file = dir.join("cannery.toml");
    assert_eq!(v["file"], path(&file));
    let setting = |key: &str| &v["settings"][key];
    assert_eq!(setting("corpus")["value"], path(&dir.join("archive.jsonl")));
    assert_eq!(setting("corpus")["source"], path(&file));
    assert_eq!(setting("fail-at")["value"], 0.7);
    assert_eq!(setting("rules.boilerplate-span")["value"], false);
    assert_eq!(setting("rules.canned-reply")["source"], "default");
    assert!(setting("index")["source"]
        .as_str()
        .unwrap()
        .starts_with("default"));
    // Human output names the file and each source.
    let o = cannery_in(&sub, &["config"], None);
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!("config file: {}", path(&file))),
        "{out}"
    );
    assert!(out.contains("fail-at"), "{out}");
    // lint uses the file: its corpus (the sample archive: lark:8 is its nearest), its group,
    // its fail-at; no boilerplate spans.
    let draft = "@kit_c Hi Kit, thanks for getting in touch! You can start a return here: https://larkspur.example/returns and the label is free. -Priya";
    let o = cannery_in(&sub, &["lint", "--format", "json", draft], None);
    let v = json(&o);
    assert_eq!(v["fail_at"], 0.7);
    assert_eq!(v["spans"].as_array().unwrap().len(), 0);
    assert!(
        v["nearest"]["id"].as_str().unwrap().starts_with("lark:"),
        "{v}"
    );
    // A flag wins over the file.
    let o = cannery_in(
        &sub,
        &["lint", "--format", "json", "--fail-at", "0.9", draft],
        None,
    );
    assert_eq!(json(&o)["fail_at"], 0.9);
    let o = cannery_in(&sub, &["config", "--isolated", "--format", "json"], None);
    assert_eq!(json(&o)["file"], Value::Null);
    // .cannery.toml is found too, and --config names another file.
    let other = tmp("cfg-hidden");
    std::fs::write(other.join(".cannery.toml"), "fail-at = 0.8\n").unwrap();
    let o = cannery_in(&other, &["config", "--format", "json"], None);
    assert_eq!(json(&o)["settings"]["fail-at"]["value"], 0.8);
    let named = other.join(".cannery.toml");
    let o = cannery_in(
        &sub,
        &["config", "--format", "json", "--config", path(&named)],
        None,
    );
    assert_eq!(json(&o)["settings"]["fail-at"]["value"], 0.8);
}

#[test]
fn allowed_boilerplate_is_never_a_finding() {
    let (_, sub) = project(
        "cfg-allowed",
        &format!("[allowed]\nphrases = [{DISCLOSURE:?}]\npatterns = ['Ref(erence)? #\\d+']\n"),
    );
    // Alone, the disclosure is a canned reply; allowed, it is not counted.
    let o = cannery_in(
        &sub,
        &["lint", "--isolated", "--format", "json", DISCLOSURE],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let o = cannery_in(&sub, &["lint", "--format", "json", DISCLOSURE], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["allowed"][0]["text"], DISCLOSURE);
    assert_eq!(v["spans"].as_array().unwrap().len(), 0);
    // Around an answer, the draft is scored as the answer alone; the spans stay off it.
    let draft = format!("{ANSWER} Ref #4417. {DISCLOSURE}");
    let with = json(&cannery_in(
        &sub,
        &["lint", "--format", "json", &draft],
        None,
    ));
    let alone = json(&cannery_in(
        &sub,
        &["lint", "--isolated", "--format", "json", ANSWER],
        None,
    ));
    assert_eq!(with["verdict"], alone["verdict"]);
    let allowed: Vec<&str> = with["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, ["Ref #4417", DISCLOSURE]);
    // SARIF: informational allowed-phrase results, never warnings.
    let o = cannery_in(&sub, &["lint", "--format", "sarif", &draft], None);
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let allowed: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "cannery/allowed-phrase")
        .collect();
    assert_eq!(allowed.len(), 2);
    assert!(allowed
        .iter()
        .all(|r| r["level"] == "none" && r["kind"] == "informational"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules[3]["id"], "cannery/allowed-phrase");
    // Human: noted as allowed.
    let o = cannery_in(&sub, &["lint", "--color", "never", &draft], None);
    assert!(
        stdout(&o).contains("allowed boilerplate, not counted: \"Ref #4417\""),
        "{}",
        stdout(&o)
    );
}

#[test]
fn rules_select_the_findings() {
    let (_, sub) = project(
        "cfg-rules",
        "[rules]\ncanned-reply = false\nboilerplate-span = false\n",
    );
    let o = cannery_in(&sub, &["lint", "--format", "sarif", DISCLOSURE], None);
    assert_eq!(o.status.code(), Some(0), "no canned-reply rule, no failure");
    let sarif = json(&o);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        0,
        "{sarif}"
    );
    let o = cannery_in(&sub, &["lint", "--format", "json", DISCLOSURE], None);
    assert_eq!(json(&o)["fails"], false);
}

#[test]
fn bad_config_files_are_errors_naming_the_key() {
    let cases = [
        ("fial-at = 0.5\n", "unknown field `fial-at`"),
        (
            "[rules]\nboilerplate-spans = false\n",
            "unknown field `boilerplate-spans`",
        ),
        (
            "fail-at = 1.5\n",
            "fail-at = 1.5 is not a score between 0 and 1",
        ),
        (
            "corpus = \"a.jsonl\"\nindex = \"b.cannery\"\n",
            "give corpus or index, not both",
        ),
        (
            "[allowed]\npatterns = ['(unclosed']\n",
            "the allowed pattern \"(unclosed\" is not a regular expression",
        ),
        ("index = \"missing.cannery\"\n", "cannot read the index"),
    ];
    for (n, (config, expected)) in cases.iter().enumerate() {
        let (dir, sub) = project(&format!("cfg-bad-{n}"), config);
        let o = cannery_in(&sub, &["lint", "Thanks!"], None);
        assert_eq!(o.status.code(), Some(2), "{config:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(expected), "{config:?}: {}", stderr(&o));
        if n < 5 {
            assert!(
                stderr(&o).contains(path(&dir.join("cannery.toml"))),
                "{}",
                stderr(&o)
            );
        }
    }
    let dir = tmp("cfg-missing");
    let o = cannery_in(&dir, &["lint", "--config", "nope.toml", "Thanks!"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read the config file nope.toml"),
        "{}",
        stderr(&o)
    );
}
