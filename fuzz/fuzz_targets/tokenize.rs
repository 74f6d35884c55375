//! The text pipeline: tokens are ordered, non-overlapping and on character boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut prev = 0;
    for t in cannery::tokenize(text) {
        let r = t.range();
        assert!(r.start >= prev && r.start < r.end && r.end <= text.len());
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        prev = r.end;
    }
});
