//! The command with a sentence encoder (`--model DIR`, the `semantic` feature), on the model
//! `CANNERY_TEST_MODEL` names (`bash .ci/run` fetches it; the test is skipped, saying so,
//! without it).
#![cfg(feature = "semantic")]

/// `--model` on the command line: an index built with it keeps the vectors, `lint --index`
/// embeds only the draft, and reports and rows say they are semantic.
#[test]
fn the_command_scores_semantically_with_a_model() {
    use std::process::Command;
    let Ok(model) = std::env::var("CANNERY_TEST_MODEL") else {
        eprintln!("skipped: CANNERY_TEST_MODEL names no model folder (bash .ci/run fetches one)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("cannery-semantic-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/sample-archive.jsonl"
    );
    let index = dir.join("sample.cannery");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_cannery"))
            .args(args)
            .env_remove("CANNERY_MODEL")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        )
    };
    let index_path = index.to_str().unwrap();
    let (code, _, err) = run(&[
        "index", "--corpus", corpus, "--model", &model, "--output", index_path,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("with the vectors of"), "{err}");
    let draft =
        "Could you message us privately with your order number so we can chase the courier?";
    let (code, out, err) = run(&[
        "lint", "--index", index_path, "--model", &model, "--format", "json", draft,
    ]);
    assert!(code == Some(0) || code == Some(1), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mode"], "semantic");
    assert!(
        v["signals"]["semantic"]["nearest"].as_f64().unwrap() > 0.5,
        "{out}"
    );
    // Without --model the same index scores lexically.
    let (_, out, _) = run(&["lint", "--index", index_path, "--format", "json", draft]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mode"], "lexical");
    // The environment variable names the model too; score rows say their mode.
    let o = Command::new(env!("CARGO_BIN_EXE_cannery"))
        .args([
            "score",
            "--index",
            index_path,
            "--input",
            corpus,
            "--exclude-self",
        ])
        .env("CANNERY_MODEL", &model)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = String::from_utf8(o.stdout).unwrap();
    assert!(
        rows.lines().all(|l| l.contains("\"mode\":\"semantic\"")),
        "{rows}"
    );
    // A model folder that is not one is an error, exit 2.
    let (code, _, err) = run(&["lint", "--model", "/no/such/model", draft]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/no/such/model"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
