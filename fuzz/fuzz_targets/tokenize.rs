//! The text pipeline: tokens are ordered, non-overlapping and on character boundaries, and the
//! fast paths give the tokens of the crates alone (`tokenize_with_crates`, their oracle).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let tokens = cannery::tokenize(text);
    assert_eq!(tokens, cannery::tokenize_with_crates(text), "{text:?}");
    let mut prev = 0;
    for t in tokens {
        let r = t.range();
        assert!(r.start >= prev && r.start < r.end && r.end <= text.len());
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        prev = r.end;
    }
});
