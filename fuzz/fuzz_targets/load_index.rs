//! Index loading: arbitrary bytes are an error or an index that scores without panicking; a valid
//! index with bytes mutated (the fuzzer's input XORed over it) is never silently accepted; the
//! input as a checksummed payload loads or fails, never panics; and `Index::load`, which streams
//! a file, agrees with `Index::from_bytes` on the file's bytes.
#![no_main]
use cannery::{Context, Index, Reply};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn valid() -> &'static Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        Index::builder()
            .stock_corpus(false)
            .build([Reply::new("a", "Please DM us."), Reply::new("b", "Thanks!")])
            .to_bytes()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = Index::from_bytes(data) {
        let _ = index.score("Please DM us your order number.", &Context::new());
    }
    // The data as a payload with a valid header and checksum: the decoder's own checks (lengths,
    // cross-references between tables) must catch everything, without panicking.
    // Every readable version: 1 (families mined on use), 2 (families saved, template texts
    // rendered on use), 3 (texts saved, default verdict thresholds), 4 (no semantic block) and
    // the current one.
    for version in [1, 2, 3, 4, cannery::persist::FORMAT_VERSION] {
        let mut wrapped = b"CANNERY\x1a".to_vec();
        wrapped.extend_from_slice(&version.to_le_bytes());
        wrapped.extend_from_slice(&(data.len() as u64).to_le_bytes());
        wrapped.extend_from_slice(data);
        wrapped.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(data).to_le_bytes());
        let from_bytes = Index::from_bytes(&wrapped);
        if version == cannery::persist::FORMAT_VERSION {
            let file = std::env::temp_dir().join(format!("cannery-fuzz-{}", std::process::id()));
            std::fs::write(&file, &wrapped).unwrap();
            match (&from_bytes, Index::load(&file)) {
                (Ok(a), Ok(b)) => assert!(a.to_bytes() == b.to_bytes()),
                (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
                (a, b) => panic!("from_bytes {:?}, load {:?}", a.is_ok(), b.is_ok()),
            }
        }
        if let Ok(index) = from_bytes {
            let _ = index.score("Please DM us your order number.", &Context::new());
            let _ = index.templates(1);
            let _ = index.to_bytes();
        }
    }
    let mut mutated = valid().clone();
    let mut changed = false;
    for (i, b) in data.iter().enumerate().take(mutated.len()) {
        mutated[i] ^= b;
        changed |= *b != 0;
    }
    if changed {
        assert!(Index::from_bytes(&mutated).is_err());
    }
});
