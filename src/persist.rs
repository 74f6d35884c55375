//! Persistence: save and load an index in a versioned, checksummed binary format.
//!
//! # Format (version 6)
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `CANNERY\x1A` |
//! | 4 | format version, little-endian `u32` |
//! | 8 | payload length, little-endian `u64` |
//! | n | payload: the settings, then each table as a length-prefixed little-endian array, the last two the mined template families (each cluster's family root) and their template texts, then the verdict thresholds (two `f64`) and the number of replies cut at [`MAX_INPUT_BYTES`](crate::MAX_INPUT_BYTES) (`u64`), then a flag and, when set, the sentence encoder's vectors (its name and fingerprint, the dimensions, each cluster's scale and `i8` values) and the customer messages' statistics, the index's own and the built-in ones (each a flag, then count, sums, sums of products), then each cluster's language (a byte: its place among the stock languages, 9 for none) |
//! | 8 | XXH3-64 of the payload, little-endian |
//!
//! Loading checks the magic, the version, the length, the checksum and then every cross-reference
//! between tables, so a truncated, corrupted, foreign or future file is an [`Error`] naming the
//! problem, never a panic and never a silently wrong index. [`Index::load`](crate::Index::load) streams the file
//! (a checksum pass, then a decoding pass) instead of reading it whole: at a million replies a
//! load peaks at about 550 MB instead of 770 (the file's 395 MB are never held at once), and
//! spends less time in the kernel faulting in a copy of the file. Shingles are saved in
//! increasing order of hash, so they load into the index's sorted shingle table without hashing
//! (a file with them in another order still loads: they are sorted then); the id and cluster
//! lookups are rebuilt.
//! The template families are mined before saving (if they were not yet) and saved, so that the
//! first report after a load does not mine them, and so are the texts of the templates (rendered
//! by aligning every member of a family), so that no report renders one. Version 5 files, without
//! the cluster languages (told again as they load), version 4 files, without the semantic block
//! either, version 3 files, without the verdict thresholds either (they load with the defaults) and the count of cut replies, version 2 files, without the texts either, and version
//! 1 files, without the families either, still load.
//! Equal indexes save equal bytes. Saving writes a temporary file beside the
//! target and renames it over the target, so a crash mid-save leaves the old file intact.
//!
//! With the `serde` feature, [`Index`](crate::Index) serializes as these bytes.
//!
//! ```
//! use cannery::{Index, Reply};
//! let index = Index::builder().build([Reply::new("1", "Please DM us.")]);
//! let bytes = index.to_bytes();
//! let back = Index::from_bytes(&bytes).unwrap();
//! assert_eq!(back.len(), index.len());
//! ```

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::semantic::store::SemanticStore;
use crate::state::State;
use crate::store::Corpus;
use crate::templates::FamilyCache;
use crate::wire::{Reader, STREAM_CHUNK, Stream, Writer, check, corrupt, read_exact_or_truncated};
use xxhash_rust::xxh3::Xxh3Default;

const MAGIC: &[u8; 8] = b"CANNERY\x1A";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 6;

/// The oldest format version this build reads (version 1 lacks the mined families, version 2
/// their texts).
const OLDEST_READABLE: u32 = 1;

/// The file of `state` in memory (see `Index::to_bytes`).
pub(crate) fn to_bytes(state: &State) -> Vec<u8> {
    write_file(state, std::io::Cursor::new(Vec::new()))
        .expect("writing to memory does not fail")
        .into_inner()
}

/// The state of a file in memory (see `Index::from_bytes`).
pub(crate) fn from_bytes(bytes: &[u8]) -> Result<State, Error> {
    let header = Header::read(&bytes[..bytes.len().min(HEADER_LEN)], bytes.len() as u64)?;
    let (payload, checksum) = bytes[HEADER_LEN..].split_at(header.payload_len as usize);
    let expected = u64::from_le_bytes(checksum.try_into().expect("8 bytes"));
    if xxhash_rust::xxh3::xxh3_64(payload) != expected {
        return Err(checksum_mismatch());
    }
    decode(Reader::slice(payload), header.version)
}

/// Saves `state` to `path` atomically (see `Index::save`).
pub(crate) fn save(state: &State, path: &Path) -> Result<(), Error> {
    let file_name = path.file_name().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    remove_stale_temporaries(path, file_name);
    let mut tmp_name = file_name.to_os_string();
    tmp_name.push(format!("{TMP_SUFFIX}{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let write = || -> std::io::Result<()> {
        let file = write_file(state, std::fs::File::create(&tmp)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot save the index to {}", path.display()), e)
    })
}

/// Loads the state of the file at `path` (see `Index::load`).
pub(crate) fn load(path: &Path) -> Result<State, Error> {
    let io = |e| Error::io(format!("cannot read the index {}", path.display()), e);
    let in_file = |e: Error| e.context(path.display());
    let mut file = std::fs::File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let header = Header::read(&head, file_len).map_err(in_file)?;
    // First pass: the checksum.
    let mut buf = vec![0u8; STREAM_CHUNK];
    let mut hasher = Xxh3Default::new();
    let mut left = header.payload_len;
    while left > 0 {
        let n = left.min(STREAM_CHUNK as u64) as usize;
        read_exact_or_truncated(&mut file, &mut buf[..n]).map_err(in_file)?;
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    let mut checksum = [0u8; 8];
    read_exact_or_truncated(&mut file, &mut checksum).map_err(in_file)?;
    let expected = u64::from_le_bytes(checksum);
    if hasher.digest() != expected {
        return Err(in_file(checksum_mismatch()));
    }
    // Second pass: decode.
    file.seek(SeekFrom::Start(HEADER_LEN as u64)).map_err(io)?;
    let mut stream = Stream::new(file, header.payload_len, buf);
    let inner = decode(Reader::stream(&mut stream), header.version).map_err(in_file)?;
    if stream.digest() != expected {
        return Err(in_file(corrupt("the file changed while it was read")));
    }
    Ok(inner)
}

/// What [`Index::save`] appends to the target's file name, before its process id, to name the
/// file it writes first.
const TMP_SUFFIX: &str = ".tmp-";

/// Removes the temporary files that saves to `path` killed before their rename left behind:
/// those whose writer is no longer running (or, where that cannot be told, that were last
/// written over an hour ago). Best effort: a file that cannot be listed or removed stays.
fn remove_stale_temporaries(path: &Path, file_name: &std::ffi::OsStr) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = file_name.to_str() else {
        return;
    };
    let prefix = format!("{name}{TMP_SUFFIX}");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let proc_fs = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        let Some(pid) = entry_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let stale = if pid == std::process::id() {
            false
        } else if proc_fs {
            !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600))
        };
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The bytes before the payload: magic, version and payload length.
const HEADER_LEN: usize = 20;

/// What the header of a file of `file_len` bytes says.
struct Header {
    version: u32,
    payload_len: u64,
}

impl Header {
    /// Checks the first [`HEADER_LEN`] bytes (fewer when the file is shorter) of a file of
    /// `file_len` bytes: the magic, a readable version, and a length that accounts for the
    /// file's bytes exactly.
    fn read(head: &[u8], file_len: u64) -> Result<Header, Error> {
        if head.starts_with(&[0x1f, 0x8b]) {
            return Err(Error::new(
                ErrorKind::Foreign,
                "not a cannery index but a gzip-compressed file: decompress it first",
            ));
        }
        if head.len() < MAGIC.len() || &head[..MAGIC.len()] != MAGIC {
            return Err(Error::new(
                ErrorKind::Foreign,
                "not a cannery index (the file does not start with the cannery magic number)",
            ));
        }
        if head.len() < HEADER_LEN {
            return Err(corrupt("the header is truncated"));
        }
        let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if !(OLDEST_READABLE..=FORMAT_VERSION).contains(&version) {
            return Err(Error::new(
                ErrorKind::Version,
                format!(
                    "index format version {version} is not supported (this build of cannery {} reads versions {OLDEST_READABLE} to {FORMAT_VERSION})",
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let payload_len = u64::from_le_bytes(head[12..20].try_into().expect("8 bytes"));
        // (A file that grew between its length and its header being read has fewer bytes left
        // than its header; it is truncated as far as this load knows.)
        let rest = file_len.saturating_sub(HEADER_LEN as u64);
        if rest < payload_len.saturating_add(8) {
            return Err(corrupt(format!(
                "the file is truncated: the payload should be {payload_len} bytes plus an 8-byte checksum, {rest} bytes remain"
            )));
        }
        if rest > payload_len + 8 {
            return Err(corrupt("the file has trailing bytes after the checksum"));
        }
        Ok(Header {
            version,
            payload_len,
        })
    }
}

fn checksum_mismatch() -> Error {
    corrupt("the checksum does not match: the file is corrupted")
}

// -------------------------------------------------------------------------------------------------
// Encoding

/// Writes the file of `state` to `sink` as it is encoded: the header with a zero length, the
/// payload (hashed on the way), the checksum, and then the length in the header. A save does not
/// hold a copy of the file in memory (394 MB at a million replies).
fn write_file<W: Write + Seek>(state: &State, mut sink: W) -> std::io::Result<W> {
    sink.write_all(MAGIC)?;
    sink.write_all(&FORMAT_VERSION.to_le_bytes())?;
    let length_at = sink.stream_position()?;
    sink.write_all(&0u64.to_le_bytes())?;
    let mut w = Writer::new(sink);
    encode(state, &mut w);
    let (mut sink, checksum, len) = w.finish()?;
    sink.write_all(&checksum.to_le_bytes())?;
    let end = sink.stream_position()?;
    sink.seek(SeekFrom::Start(length_at))?;
    sink.write_all(&len.to_le_bytes())?;
    sink.seek(SeekFrom::Start(end))?;
    sink.flush()?;
    Ok(sink)
}

/// Writes the payload: the corpus's tables, the template families and their texts, the
/// corpus's version 4 trailer, then the sentence encoder's vectors if any.
fn encode<W: Write>(state: &State, w: &mut Writer<W>) {
    state.corpus().save(w);
    // The mined families (mined now if they were not yet), so that a loaded index does not mine,
    // and their template texts (rendered now if they were not yet), so that no report renders.
    state.templates().save(state.corpus(), w);
    state.corpus().save_trailer(w);
    SemanticStore::save(state.semantic(), w);
    state.corpus().save_languages(w);
}

// -------------------------------------------------------------------------------------------------
// Decoding

/// Reads the payload of a file of format `version` in the order [`encode`] wrote it; each table
/// checks itself and its references to the tables before it.
fn decode(mut r: Reader<'_>, version: u32) -> Result<State, Error> {
    let corpus = Corpus::load(&mut r)?;
    let clusters = corpus.cluster_count();
    let mut corpus = corpus;
    let templates = FamilyCache::load(&mut r, version, clusters)?;
    if version >= 4 {
        corpus.load_trailer(&mut r)?;
    }
    let semantic = if version >= 5 {
        SemanticStore::load(&mut r, clusters)?
    } else {
        None
    };
    corpus.load_languages((version >= 6).then_some(&mut r))?;
    check(r.left() == 0, "the payload has bytes after its last table")?;
    Ok(State::from_parts(corpus, templates, semantic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Index, Reply};

    fn sample() -> Index {
        Index::builder().build([
            Reply::new("1", "@ann Please DM us your order number. ^JK").group("Acme"),
            Reply::new("2", "@bob Please DM us your order number. -Becky").group("Acme"),
            Reply::new("3", "Our Leeds store reopens on Monday."),
        ])
    }

    #[test]
    fn round_trip_gives_identical_reports() {
        let index = sample();
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), index.to_bytes());
        for text in [
            "Please DM us your order number.",
            "Our Leeds store reopens soon",
            "",
        ] {
            assert_eq!(
                index.score(text, &Context::new()),
                back.score(text, &Context::new())
            );
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        for len in (0..bytes.len()).step_by(7) {
            assert!(Index::from_bytes(&bytes[..len]).is_err(), "length {len}");
        }
    }

    #[test]
    fn every_flipped_byte_is_an_error() {
        // Without the stock corpus, so that the file is small enough to try every 13th byte.
        let index = Index::builder().stock_corpus(false).build([
            Reply::new("1", "@ann Please DM us your order number. ^JK").group("Acme"),
            Reply::new("2", "@bob Please DM us your order number. -Becky").group("Acme"),
            Reply::new("3", "Our Leeds store reopens on Monday."),
        ]);
        let bytes = index.to_bytes();
        for i in (0..bytes.len()).step_by(13) {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(Index::from_bytes(&b).is_err(), "byte {i}");
        }
    }

    /// `load` streams a file where `from_bytes` reads a slice: the two must agree on every
    /// file, sound or not, down to the kind of error.
    #[test]
    fn loading_a_file_agrees_with_reading_its_bytes() {
        let dir = std::env::temp_dir().join(format!("cannery-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.cannery");
        let agree = |bytes: &[u8], what: &str| {
            std::fs::write(&file, bytes).unwrap();
            match (Index::from_bytes(bytes), Index::load(&file)) {
                (Ok(a), Ok(b)) => assert!(a.to_bytes() == b.to_bytes(), "{what}: other index"),
                (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{what}: {a} / {b}"),
                (a, b) => panic!("{what}: from_bytes {:?}, load {:?}", a.err(), b.err()),
            }
        };
        // Small, so that every byte is tried: groups, times, macros (a reference group, here two
        // replies of one cluster) and two families.
        let mut index = Index::builder().stock_corpus(false).build([
            Reply::new("1", "@ann Please DM us your order number. ^JK").group("Acme"),
            Reply::new("2", "@bob Please DM us your order number. -Becky")
                .group("Acme")
                .time(1_600_000_000),
            Reply::new("3", "Our Leeds store reopens on Monday.").time(1_600_000_100),
            Reply::new("4", "@cy Please DM us your order number. ~Al").group("Globex"),
        ]);
        let refund = "Hi {{ticket.requester.first_name}}, your refund is on its way.";
        index.add_macro("refund", refund);
        index.add_macro("refund again", refund);
        index.insert(Reply::new("5", "Hi Dee, your refund is on its way now."));
        let bytes = index.to_bytes();
        agree(&bytes, "the file");
        let loaded = Index::load(&file).unwrap();
        let ctx = Context::new().message("my order is late");
        assert_eq!(
            loaded.score("@cy Please DM us your order number. ~Al", &ctx),
            index.score("@cy Please DM us your order number. ~Al", &ctx)
        );
        for len in 0..bytes.len() {
            agree(&bytes[..len], &format!("cut at {len}"));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        agree(&longer, "a trailing byte");
        let payload = &bytes[HEADER_LEN..bytes.len() - 8];
        for (i, flip) in (0..bytes.len()).flat_map(|i| [(i, 0x03u8), (i, 0x21)]) {
            let mut flipped = bytes.clone();
            flipped[i] ^= flip;
            agree(&flipped, &format!("byte {i} ^ {flip}"));
            // The same flip inside the payload under a checksum that fits it: the decoding of
            // each table has to catch it, or accept it, alike.
            if (HEADER_LEN..bytes.len() - 8).contains(&i) {
                let mut changed = payload.to_vec();
                changed[i - HEADER_LEN] ^= flip;
                let what = format!("byte {i} ^ {flip}, checksum fixed");
                agree(&wrap(&changed, FORMAT_VERSION), &what);
            }
        }
        // Older versions: the payload without the semantic flag (version 4), without the
        // thresholds and the count of cut replies (version 3), without the texts (version 2),
        // and without the families.
        agree(
            &wrap(&payload[..payload.len() - v6_trailer(&index)], 5),
            "version 5",
        );
        agree(
            &wrap(&payload[..payload.len() - after_v4(&index)], 4),
            "version 4",
        );
        let v3 = &payload[..payload.len() - after_v4(&index) - V4_TRAILER];
        agree(&wrap(v3, 3), "version 3");
        let v2 = &v3[..v3.len() - texts_table_len(&index)];
        agree(&wrap(v2, 2), "version 2");
        agree(&wrap(v2, 1), "a version 1 header on a version 2 payload");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn thresholds_and_cut_replies_travel_with_the_index_and_are_checked() {
        let long = "word ".repeat(crate::MAX_INPUT_BYTES / 4);
        let mut index = Index::builder()
            .verdict_thresholds(0.7, 0.3)
            .build([Reply::new("1", &long), Reply::new("2", "Hi!")]);
        assert_eq!(index.truncated(), 1);
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        assert_eq!((back.config(), back.truncated()), (index.config(), 1));
        index.set_verdict_thresholds(0.25, 0.75);
        assert_eq!(
            Index::from_bytes(&index.to_bytes()).unwrap().config(),
            index.config()
        );
        // A threshold outside [0, 1] under a valid checksum.
        let mut payload = payload_of(index.state());
        let at = payload.len() - after_v4(&index) - V4_TRAILER;
        payload[at..at + 8].copy_from_slice(&1.5f64.to_bits().to_le_bytes());
        let err = Index::from_bytes(&wrap(&payload, FORMAT_VERSION)).unwrap_err();
        assert!(err.to_string().contains("threshold"), "{err}");
        payload[at..at + 8].copy_from_slice(&f64::NAN.to_bits().to_le_bytes());
        assert!(Index::from_bytes(&wrap(&payload, FORMAT_VERSION)).is_err());
        // More cut replies than replies.
        let mut payload = payload_of(index.state());
        let at = payload.len() - after_v4(&index) - 8;
        payload[at..at + 8].copy_from_slice(&1_000_000u64.to_le_bytes());
        let err = Index::from_bytes(&wrap(&payload, FORMAT_VERSION)).unwrap_err();
        assert!(err.to_string().contains("cut"), "{err}");
    }

    #[test]
    fn wrong_version_is_named() {
        let mut bytes = sample().to_bytes();
        bytes[8] = 9;
        let err = Index::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Version);
        assert!(err.to_string().contains("version 9"));
    }

    /// A payload with a valid checksum but a broken cross-reference is still rejected.
    #[test]
    fn inconsistent_payload_is_corrupt() {
        let index = sample();
        index.state().families(); // mined while the tables are sound
        let inner = index.state().with_corpus(
            index
                .state()
                .corpus()
                .broken(|reply_cluster, _| reply_cluster[0] = 999_999),
        );
        let err = Index::from_bytes(&wrap(&payload_of(&inner), FORMAT_VERSION)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt);
        assert!(err.to_string().contains("missing cluster"), "{err}");

        // A cluster that counts a reply too many, or names another cluster's reply as its first.
        let inner = index.state().with_corpus(
            index
                .state()
                .corpus()
                .broken(|_, clusters| clusters[0].break_count()),
        );
        let err = Index::from_bytes(&wrap(&payload_of(&inner), FORMAT_VERSION)).unwrap_err();
        assert!(err.to_string().contains("number of its replies"), "{err}");
        let inner =
            index
                .state()
                .with_corpus(index.state().corpus().broken(|reply_cluster, clusters| {
                    let other = reply_cluster.iter().position(|&c| c != 0).unwrap();
                    clusters[0].break_first_reply(other as u32);
                }));
        let err = Index::from_bytes(&wrap(&payload_of(&inner), FORMAT_VERSION)).unwrap_err();
        assert!(err.to_string().contains("first or last reply"), "{err}");

        // Family roots that are not roots (the last root is before the template texts).
        let mut payload = payload_of(index.state());
        let last = payload.len() - after_v4(&index) - V4_TRAILER - texts_table_len(&index) - 4;
        payload[last..last + 4].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        let err = Index::from_bytes(&wrap(&payload, FORMAT_VERSION)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt);
        assert!(err.to_string().contains("template families"), "{err}");
    }

    #[test]
    fn a_write_that_fails_midway_is_an_error() {
        /// A sink that takes `room` bytes, then fails (a full disk).
        #[derive(Debug)]
        struct Full {
            room: usize,
            at: u64,
        }
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if buf.len() > self.room {
                    return Err(std::io::Error::other("disk full"));
                }
                self.room -= buf.len();
                self.at += buf.len() as u64;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Full {
            fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
                if let SeekFrom::Start(at) = to {
                    self.at = at;
                }
                Ok(self.at)
            }
        }
        let size = Index::stock().to_bytes().len();
        for room in [0, 10, 100, 70_000, size - 1] {
            let err = write_file(Index::stock().state(), Full { room, at: 0 }).unwrap_err();
            assert_eq!(err.to_string(), "disk full", "room {room}");
        }
        // Room for the file and the length written again into the header.
        assert!(
            write_file(
                Index::stock().state(),
                Full {
                    room: size + 8,
                    at: 0
                }
            )
            .is_ok()
        );
    }

    /// The payload of the file of `inner` (without its header and checksum).
    fn payload_of(inner: &State) -> Vec<u8> {
        let bytes = write_file(inner, std::io::Cursor::new(Vec::new()))
            .unwrap()
            .into_inner();
        bytes[20..bytes.len() - 8].to_vec()
    }

    /// A file around a payload, with a valid checksum.
    fn wrap(payload: &[u8], version: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(payload).to_le_bytes());
        bytes
    }

    /// The size of what version 4 appends to a version 3 payload: the two thresholds and the
    /// count of cut replies.
    const V4_TRAILER: usize = 24;

    /// The size of what version 5 appends to a version 4 payload for an index without a
    /// sentence encoder: the flag that says so.
    const V5_TRAILER: usize = 1;

    /// The size of what version 6 appends to a version 5 payload: a byte a cluster (its
    /// language), after the length.
    fn v6_trailer(index: &Index) -> usize {
        8 + index.distinct_len()
    }

    /// The size of what versions 5 and 6 append to a version 4 payload (no sentence encoder).
    fn after_v4(index: &Index) -> usize {
        V5_TRAILER + v6_trailer(index)
    }

    /// The size of the template-texts table at the end of a version 3 payload.
    fn texts_table_len(index: &Index) -> usize {
        let at = index.config().min_support;
        let texts: usize = index.templates(at).iter().map(|t| t.text.len()).sum();
        8 + texts + 8 + 8 * index.templates(at).len()
    }

    #[test]
    fn a_loaded_index_keeps_its_families_and_texts_and_older_files_still_load() {
        let index = sample();
        let at = index.config().min_support;
        assert!(!index.templates(at).is_empty(), "the sample has a template");
        let back = Index::from_bytes(&index.to_bytes()).unwrap();
        assert!(
            back.state().templates().roots().is_some(),
            "the families travel with the index"
        );
        assert!(
            back.state().families().has_saved_texts(),
            "the template texts travel with the index"
        );
        let (a, b) = (back.state().families(), index.state().families());
        let clusters = index.state().corpus().cluster_count() as u32;
        assert!((0..clusters).all(|c| a.root(c) == b.root(c)));
        for min_support in [1, at] {
            assert_eq!(back.templates(min_support), index.templates(min_support));
        }
        let text = "Please DM us your order number.";
        assert_eq!(
            back.score(text, &Context::new()),
            index.score(text, &Context::new())
        );

        // Version 3: without the thresholds (the defaults) and the count of cut replies (0).
        let mut strict = index.clone();
        strict.set_verdict_thresholds(0.9, 0.4);
        let payload = payload_of(strict.state());
        let v3 = &payload[..payload.len() - after_v4(&strict) - V4_TRAILER];
        let older = Index::from_bytes(&wrap(v3, 3)).unwrap();
        assert_eq!(older.config(), index.config());
        let v4 = &payload[..payload.len() - after_v4(&strict)];
        assert_eq!(
            Index::from_bytes(&wrap(v4, 4)).unwrap().config(),
            strict.config()
        );
        assert!(Index::from_bytes(&wrap(v3, 4)).is_err());
        assert!(Index::from_bytes(&wrap(v4, 5)).is_err());
        // Version 5: without the cluster languages, told again as the file loads.
        let v5 = &payload[..payload.len() - v6_trailer(&strict)];
        let older = Index::from_bytes(&wrap(v5, 5)).unwrap();
        assert_eq!(older.to_bytes(), strict.to_bytes());
        assert!(Index::from_bytes(&wrap(v5, 6)).is_err());

        // Version 2: the same tables without the template texts; they are rendered on first use.
        let v2 = &v3[..v3.len() - texts_table_len(&index)];
        let older = Index::from_bytes(&wrap(v2, 2)).unwrap();
        assert!(older.state().templates().roots().is_some());
        assert!(!older.state().families().has_saved_texts());
        assert_eq!(older.templates(at), index.templates(at));
        assert_eq!(
            older.score(text, &Context::new()),
            index.score(text, &Context::new())
        );
        // The same payload claimed as version 3 lacks its last table.
        assert!(Index::from_bytes(&wrap(v2, 3)).is_err());

        // Version 1: without the families table either (a length and a root per cluster); its
        // families are mined on first use.
        let v1 = &v2[..v2.len() - 8 - 4 * index.distinct_len()];
        let old = Index::from_bytes(&wrap(v1, 1)).unwrap();
        assert!(old.state().templates().roots().is_none());
        assert_eq!(old.templates(at), index.templates(at));
        assert_eq!(
            old.score(text, &Context::new()),
            index.score(text, &Context::new())
        );
        assert!(Index::from_bytes(&wrap(v1, 2)).is_err());
    }

    #[test]
    fn saved_texts_that_do_not_fit_the_families_are_rendered_instead() {
        // No save writes such a file (it would need a forged checksum); the index is still right.
        let index = sample();
        let at = index.config().min_support;
        let payload = payload_of(index.state());
        let v3 = &payload[..payload.len() - after_v4(&index) - V4_TRAILER];
        let mut forged = v3[..v3.len() - texts_table_len(&index)].to_vec();
        forged.extend_from_slice(&0u64.to_le_bytes()); // no text bytes
        forged.extend_from_slice(&0u64.to_le_bytes()); // no texts
        let back = Index::from_bytes(&wrap(&forged, 3)).unwrap();
        assert!(!back.state().families().has_saved_texts());
        assert_eq!(back.templates(at), index.templates(at));
    }
}
