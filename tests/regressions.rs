//! Inputs that once broke an invariant, kept as files in `tests/regressions/` (one input a file,
//! named after the bug): each must tokenize into ordered, non-overlapping tokens on character
//! boundaries and score within [0, 1] with spans on character boundaries.

use cannery::{Context, Index, tokenize};

#[test]
fn regression_inputs_keep_the_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(
        !entries.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    let index = Index::stock();
    for path in entries {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let mut prev = 0;
        for t in tokenize(&text) {
            let r = t.range();
            assert!(
                r.start >= prev && r.start < r.end && r.end <= text.len(),
                "{}",
                path.display()
            );
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            prev = r.end;
        }
        let report = index.score(&text, &Context::new().message(&text));
        assert!((0.0..=1.0).contains(&report.canned), "{}", path.display());
        assert!((0.0..=1.0).contains(&report.personalisation));
        for s in &report.spans {
            assert!(text.is_char_boundary(s.bytes.start) && text.is_char_boundary(s.bytes.end));
        }
    }
}
