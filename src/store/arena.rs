//! Strings stored end to end with their offsets: one allocation for millions of ids or texts,
//! in parts that clones share ([`StrArena`]).

use super::column::{Arena, Part};
use crate::error::Error;
use crate::wire::{Reader, Writer, corrupt};

/// Strings (ids, group names, texts) in parts that clones share: a loaded arena's strings are
/// one part, those pushed later go to parts of their own (see [`Arena`]).
pub(crate) type StrArena = Arena<Strings>;

/// Strings stored end to end, with offsets: one allocation for millions of ids, and 4 bytes of
/// offset a string however large the arena grows.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct Strings {
    bytes: String,
    /// The low 32 bits of the end of each string; string `i` starts where string `i - 1` ends
    /// (or at 0).
    ends: Vec<u32>,
    /// The strings whose ends' high bits go up by one (a string is listed once for each 4 GiB
    /// boundary its end passes): the high bits of string `i`'s end count the entries `<= i`.
    wraps: Vec<u32>,
}

impl Part for Strings {
    type Item = str;

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.end(i - 1) as usize };
        &self.bytes[start..self.end(i) as usize]
    }

    fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.push_end(self.bytes.len() as u64);
    }
}

impl Strings {
    /// Records the end of the next string (at most the text's length, never less than the
    /// last), listing the 4 GiB boundaries it passes.
    pub(crate) fn push_end(&mut self, end: u64) {
        let i = self.ends.len() as u32;
        while (self.wraps.len() as u64) < end >> 32 {
            self.wraps.push(i);
        }
        self.ends.push(end as u32);
    }

    /// The end of string `i`.
    pub(crate) fn end(&self, i: usize) -> u64 {
        let high = if self.wraps.is_empty() {
            0
        } else {
            self.wraps.partition_point(|&w| w as usize <= i) as u64
        };
        high << 32 | u64::from(self.ends[i])
    }

    /// An arena of `bytes` with no string yet, with room for `strings` ends: the loader cuts the
    /// text with [`push_end`](Self::push_end), after checking that the ends increase, fall on
    /// char boundaries and end at `bytes.len()`.
    pub(crate) fn of_text(bytes: String, strings: usize) -> Strings {
        Strings {
            bytes,
            ends: Vec::with_capacity(strings),
            wraps: Vec::new(),
        }
    }

    /// All the strings, end to end.
    pub(crate) fn text(&self) -> &str {
        &self.bytes
    }
}

impl StrArena {
    /// Writes the arena: its text, then each string's end (the parts as one).
    pub(crate) fn save<W: std::io::Write>(&self, w: &mut Writer<W>) {
        w.bytes_of_parts(self.parts().map(|p| p.text().as_bytes()));
        let mut ends = Vec::with_capacity(self.len());
        let mut offset = 0;
        for part in self.parts() {
            ends.extend((0..part.len()).map(|i| offset + part.end(i)));
            offset += part.text().len() as u64;
        }
        w.u64s(ends.into_iter());
    }

    /// Reads an arena saved by [`save`](Self::save), checking its offsets.
    pub(crate) fn load(r: &mut Reader<'_>, what: &'static str) -> Result<StrArena, Error> {
        let bytes = r.bytes(what)?.into_owned();
        let bytes =
            String::from_utf8(bytes).map_err(|_| corrupt(format!("{what} are not valid UTF-8")))?;
        let n = r.len(8)?;
        let mut arena = Strings::of_text(bytes, n);
        let mut prev = 0u64;
        r.each(n, |raw| {
            let end = u64::from_le_bytes(raw);
            let text = arena.text();
            if end < prev || end > text.len() as u64 || !text.is_char_boundary(end as usize) {
                return Err(corrupt(format!("the offsets of {what} are inconsistent")));
            }
            prev = end;
            arena.push_end(end);
            Ok(())
        })?;
        if prev != arena.text().len() as u64 {
            return Err(corrupt(format!(
                "the offsets of {what} do not cover its text"
            )));
        }
        Ok(Arena::of_base(arena))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_offsets_past_4_gib_keep_their_high_bits() {
        // Offsets only (no 4 GiB of text): ends that cross one, then two boundaries at once.
        let ends = [10, 1 << 32, (1 << 32) + 5, (3 << 32) + 7, (3 << 32) + 7];
        let mut arena = Strings::of_text(String::new(), ends.len());
        for end in ends {
            arena.push_end(end);
        }
        for (i, &end) in ends.iter().enumerate() {
            assert_eq!(arena.end(i), end, "string {i}");
        }
        let mut small = StrArena::default();
        for s in ["", "ab", "é", ""] {
            small.push(s);
        }
        assert_eq!(
            (0..4).map(|i| small.get(i)).collect::<Vec<_>>(),
            ["", "ab", "é", ""]
        );
    }
}
