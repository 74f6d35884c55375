//! Shingling: word n-grams of a token stream, hashed to 64-bit integers.
//!
//! A shingle is `n` consecutive token keys (slots included, so `please dm <user>` is a shingle).
//! A stream shorter than `n` tokens has one shingle, of all its tokens, so that a two-word reply
//! ("Thanks! ^JK") still matches its copies. Hashes mix the keys with their positions, so
//! `dm us please` and `please dm us` differ.
//!
//! ```
//! use cannery::{shingles, tokenize};
//! let a = shingles(&tokenize("please dm us your order"), 3);
//! let b = shingles(&tokenize("PLEASE dm us your ORDER!"), 3);
//! assert_eq!(a.len(), 3);
//! assert_eq!(a, b);
//! ```

use crate::text::Token;

/// The 64-bit hashes of the word `n`-grams of `tokens`, in order (duplicates kept).
///
/// `n` of 0 is taken as 1. A stream shorter than `n` gives one shingle of all its tokens; an empty
/// stream gives none.
///
/// ```
/// use cannery::{shingles, tokenize};
/// assert_eq!(shingles(&tokenize("one two"), 3).len(), 1);
/// assert!(shingles(&tokenize(""), 3).is_empty());
/// ```
pub fn shingles(tokens: &[Token], n: usize) -> Vec<u64> {
    let keys: Vec<u32> = tokens.iter().map(Token::key).collect();
    let mut out = Vec::new();
    shingles_of_keys(&keys, n, &mut out);
    out
}

/// The distinct shingle hashes of a key sequence, sorted, in place of the contents of `out`: what
/// the index counts a cluster's shingles by, one reply at a time or all clusters at once.
pub(crate) fn distinct_shingles_of_keys(keys: &[u32], n: usize, out: &mut Vec<u64>) {
    out.clear();
    shingles_of_keys(keys, n, out);
    out.sort_unstable();
    out.dedup();
}

/// The shingle hashes of a key sequence, appended to `out` (see [`shingles`]).
pub(crate) fn shingles_of_keys(keys: &[u32], n: usize, out: &mut Vec<u64>) {
    let n = n.max(1);
    if keys.is_empty() {
        return;
    }
    if keys.len() < n {
        out.push(hash_window(keys));
        return;
    }
    out.extend(keys.windows(n).map(hash_window));
}

/// The number of shingles [`shingles_of_keys`] gives for a stream of `len` tokens.
pub(crate) fn shingle_count(len: usize, n: usize) -> usize {
    let n = n.max(1);
    match len {
        0 => 0,
        l if l < n => 1,
        l => l - n + 1,
    }
}

/// The shingle window `[first, last]` (token indices, inclusive) of shingle `s` in a stream of `len`.
pub(crate) fn shingle_window(s: usize, len: usize, n: usize) -> (usize, usize) {
    let n = n.max(1);
    if len < n {
        (0, len.saturating_sub(1))
    } else {
        (s, s + n - 1)
    }
}

/// Hashes a window of keys: a multiply-xorshift chain, finished with a 64-bit avalanche.
fn hash_window(window: &[u32]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ window.len() as u64;
    for &k in window {
        h = (h ^ k as u64)
            .wrapping_mul(0x1000_0000_01B3)
            .rotate_left(29);
    }
    mix64(h)
}

/// A 64-bit finaliser (from SplitMix64): every input bit affects every output bit.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit key of a whole key sequence (the identity of a masked reply).
pub(crate) fn sequence_key(keys: &[u32]) -> u64 {
    let mut h: u64 = 0xD6E8_FEB8_6659_FD93 ^ keys.len() as u64;
    for &k in keys {
        h = mix64(h ^ k as u64);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let a = [1, 2, 3];
        let b = [3, 2, 1];
        assert_ne!(hash_window(&a), hash_window(&b));
        assert_ne!(sequence_key(&a), sequence_key(&b));
    }

    #[test]
    fn counts_and_windows() {
        let table = [
            (0, 3, 0),
            (1, 3, 1),
            (2, 3, 1),
            (3, 3, 1),
            (7, 3, 5),
            (4, 1, 4),
            (4, 0, 4),
        ];
        for (len, n, count) in table {
            assert_eq!(shingle_count(len, n), count, "len {len} n {n}");
            let keys: Vec<u32> = (0..len as u32).collect();
            let mut out = Vec::new();
            shingles_of_keys(&keys, n, &mut out);
            assert_eq!(out.len(), count);
        }
        assert_eq!(shingle_window(0, 2, 3), (0, 1));
        assert_eq!(shingle_window(2, 7, 3), (2, 4));
    }
}
