//! Reading what the user's files hold: sources (standard input or a file, gzip-compressed or
//! not, checked to be UTF-8) and the reply records in them, CSV or JSONL, streamed as one
//! [`Row`] per record in order, a malformed record as an error row (its physical line and the
//! reason) in its place.
//!
//! # Choices
//!
//! - gzip is told by its magic bytes, not by the file's name, and read with flate2's
//!   `MultiGzDecoder` (the standard crate; concatenated members, as `cat a.gz b.gz` makes, are
//!   one stream).
//! - A file that is not UTF-8 (UTF-16 or UTF-32, with or without a BOM, or an 8-bit code page
//!   such as Windows-1252) is one error naming the likely encoding, found in its first 64 KiB,
//!   instead of an error row for every record. A UTF-8 file with a few broken bytes keeps its
//!   error rows.
//! - A JSON record is parsed once, reading only the fields cannery uses (serde_json's
//!   `RawValue`): the others are skipped without being converted, so a field cannery never reads
//!   cannot make a record an error (`1e400`, nesting deeper than serde_json's recursion limit,
//!   and Python's `NaN` and `Infinity`, read as null). Numbers in the fields read (a numeric id)
//!   keep the text they were written as.
//! - Physical lines end at `\n`, `\r\n` or a lone `\r`, in JSONL and CSV alike (the csv crate's
//!   own line count does not see lone `\r` nor the blank lines it skips; the byte offset of each
//!   record is mapped to its line instead).
//! - A field a flag names that no JSON record has is an error naming the fields the records do
//!   have, found before any row is handed out (the records read to find it are kept for the
//!   rows), as a CSV header without the column is.

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use clap::ValueEnum;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A record file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

impl Format {
    /// The format a path's extension names, if any (`.gz` after it is allowed).
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".jsonl")
            || lower.ends_with(".ndjson")
            || lower.ends_with(".json")
        {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

/// Which fields of a record hold what.
#[derive(Debug, Clone)]
pub struct FieldNames {
    pub id: String,
    pub text: String,
    pub context: Option<String>,
    /// Whether the records must have the context field (it was asked for by name), or may lack
    /// it (the default name).
    pub context_required: bool,
    pub group: Option<String>,
    pub group_required: bool,
    /// The field with when a reply was sent (asked for by name only).
    pub time: Option<String>,
}

impl FieldNames {
    /// The names of the fields read, in [`Item`]'s order (id, text, context, group, time), each
    /// with whether some record must have it.
    fn wanted(&self) -> [(&str, bool); 5] {
        // An absent optional field keeps its place with a name no record can have.
        fn optional(name: &Option<String>, required: bool) -> (&str, bool) {
            (name.as_deref().unwrap_or(""), name.is_some() && required)
        }
        [
            (self.id.as_str(), true),
            (self.text.as_str(), true),
            optional(&self.context, self.context_required),
            optional(&self.group, self.group_required),
            optional(&self.time, true),
        ]
    }
}

/// A well-formed record.
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub id: String,
    pub text: String,
    pub context: Option<String>,
    pub group: Option<String>,
    pub time: Option<String>,
}

/// One input record: its physical line and either the record or why it is malformed (with the
/// id when the id could still be read).
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub item: Result<Item, RowError>,
}

impl Row {
    /// About how many bytes of memory the row holds (for bounding the rows in flight).
    pub fn weight(&self) -> usize {
        let strings = match &self.item {
            Ok(i) => {
                i.id.len()
                    + i.text.len()
                    + i.context.as_ref().map_or(0, String::len)
                    + i.group.as_ref().map_or(0, String::len)
                    + i.time.as_ref().map_or(0, String::len)
            }
            Err(e) => e.reason.len() + e.id.as_ref().map_or(0, String::len),
        };
        std::mem::size_of::<Row>() + strings
    }
}

/// Why a record could not be read.
#[derive(Debug, Clone)]
pub struct RowError {
    pub id: Option<String>,
    pub reason: String,
}

fn bad(id: Option<String>, reason: impl Into<String>) -> RowError {
    RowError {
        id,
        reason: reason.into(),
    }
}

/// The longest record (a JSONL line, a CSV record) read: a longer one is an error row, skipped
/// without being held in memory.
pub const MAX_RECORD_BYTES: usize = 256 << 20;

/// Keeps at most what scoring and indexing read of a text (the first
/// [`cannery::MAX_INPUT_BYTES`]), and one character more when it is longer, so that a report
/// still says it was cut and an index still counts it: a row in flight holds kilobytes, not the
/// megabytes of an oversized record.
fn shorten(text: &mut String) {
    let max = cannery::MAX_INPUT_BYTES;
    if text.len() > max {
        let mut end = max + 1;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.truncate(end);
        text.shrink_to_fit();
    }
}

// -------------------------------------------------------------------------------------------------
// Sources

/// How many bytes at the start of a source are checked for their encoding.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Opens `path` (`-` for standard input) for reading its text: gzip is decompressed, and a
/// source that is not UTF-8 is an error naming its likely encoding.
pub fn open_source(path: &str) -> Result<Box<dyn Read + Send>, String> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        if Path::new(path).is_dir() {
            return Err(format!("{path} is a directory, not a file"));
        }
        Box::new(File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?)
    };
    decode_source(raw, if path == "-" { "standard input" } else { path })
}

/// Reads the whole text of `path` (`-` for standard input), as [`open_source`] reads it; any
/// byte that is not UTF-8 is an error.
pub fn read_text(path: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    open_source(path)?
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        let name = if path == "-" { "standard input" } else { path };
        let bytes = e.as_bytes();
        match check_encoding(bytes, true, true) {
            Err(why) => format!("{name} {why}"),
            Ok(()) => format!(
                "{name} is not UTF-8 (a broken byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        }
    })
}

/// `source` decompressed if it is gzip, after its first bytes were checked to be UTF-8; `name`
/// names it in errors.
pub fn decode_source(
    source: Box<dyn Read + Send>,
    name: &str,
) -> Result<Box<dyn Read + Send>, String> {
    let mut buffered = BufReader::with_capacity(1 << 16, source);
    let head = buffered
        .fill_buf()
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    let mut source: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    let mut first = Vec::new();
    (&mut source)
        .take(SNIFF_BYTES)
        .read_to_end(&mut first)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    check_encoding(&first, (first.len() as u64) < SNIFF_BYTES, false)
        .map_err(|e| format!("{name} {e}"))?;
    Ok(Box::new(std::io::Cursor::new(first).chain(source)))
}

/// Checks that the first bytes of a text (all of it when `whole`) are UTF-8, or says what they
/// look like instead. A record file (not `strict`) may have a broken line among good ones: its
/// record is an error row.
fn check_encoding(bytes: &[u8], whole: bool, strict: bool) -> Result<(), String> {
    let convert = |from: &str| {
        format!("is {from}, not UTF-8: convert it first (for example: iconv -f {from} -t UTF-8)")
    };
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Err(convert("UTF-32LE"));
    }
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(convert("UTF-32BE"));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(convert("UTF-16LE"));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(convert("UTF-16BE"));
    }
    // UTF-16 without a BOM: text in Latin letters has a NUL in every other byte.
    let sample = &bytes[..bytes.len().min(4096)];
    let nuls_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    if sample.len() >= 4 {
        let half = sample.len() / 2;
        if nuls_at(1) * 4 >= half * 3 && nuls_at(0) * 4 < half {
            return Err(convert("UTF-16LE"));
        }
        if nuls_at(0) * 4 >= half * 3 && nuls_at(1) * 4 < half {
            return Err(convert("UTF-16BE"));
        }
    }
    // An 8-bit code page: lines with bytes that are not UTF-8, and more of them than lines
    // with characters that are. (One broken line among good ones is an error row, not a file
    // in another encoding.)
    let (mut bad_lines, mut good_lines, mut first_bad) = (0usize, 0usize, None);
    let mut offset = 0;
    for line in bytes.split(|&b| b == b'\n' || b == b'\r') {
        let last = offset + line.len() == bytes.len();
        match std::str::from_utf8(line) {
            Ok(text) => good_lines += usize::from(!text.is_ascii()),
            // A sequence cut by the end of the sample is not a broken one.
            Err(e) if e.error_len().is_none() && last && !whole => {}
            Err(e) => {
                bad_lines += 1;
                first_bad.get_or_insert(offset + e.valid_up_to());
            }
        }
        offset += line.len() + 1;
    }
    if bad_lines > good_lines && (bad_lines >= 2 || strict) {
        let at = first_bad.unwrap_or(0);
        return Err(format!(
            "is not UTF-8 (byte 0x{:02X} at offset {at}): it looks like Windows-1252 or Latin-1; convert it first (for example: iconv -f WINDOWS-1252 -t UTF-8)",
            bytes[at]
        ));
    }
    Ok(())
}

/// Opens `path` (`-` for standard input) as a stream of rows. Fails when the source cannot be
/// opened, is not UTF-8 text, has no header (CSV), or lacks a field a flag names (every record
/// of a JSONL file, its header row for CSV); every later problem is an error row.
pub fn open(
    path: &str,
    format: Option<Format>,
    fields: &FieldNames,
) -> Result<Box<dyn Iterator<Item = Row> + Send>, String> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None if path == "-" => {
            return Err("reading standard input needs its format: add --input-format csv|jsonl (or --corpus-format)".into())
        }
        None => {
            return Err(format!(
                "cannot tell the format of {path} from its extension (.csv, .jsonl, .ndjson, with .gz or not): give it with --input-format or --corpus-format"
            ))
        }
    };
    let source = open_source(path)?;
    let rescan = (path != "-").then(|| path.to_string());
    rows_of(source, format, fields, path, rescan)
}

/// Reads rows of `format` from `source` (gzip and the encoding already dealt with); `name`
/// names it in errors. (The entry point of the `records` fuzz target and of the tests.)
#[cfg_attr(not(test), allow(dead_code))]
pub fn open_reader(
    source: Box<dyn Read + Send>,
    format: Format,
    fields: &FieldNames,
    name: &str,
) -> Result<Box<dyn Iterator<Item = Row> + Send>, String> {
    rows_of(source, format, fields, name, None)
}

/// The rows of `source`; `rescan` names the file again when it can be read a second time.
fn rows_of(
    source: Box<dyn Read + Send>,
    format: Format,
    fields: &FieldNames,
    name: &str,
    rescan: Option<String>,
) -> Result<Box<dyn Iterator<Item = Row> + Send>, String> {
    match format {
        Format::Jsonl => Ok(Box::new(JsonlRows::open(
            source,
            fields.clone(),
            name,
            rescan,
        )?)),
        Format::Csv => Ok(Box::new(CsvRows::new(source, fields.clone(), name)?)),
    }
}

// -------------------------------------------------------------------------------------------------
// Physical lines

/// Reads physical lines (ending at `\n`, `\r\n` or a lone `\r`), each at most
/// [`MAX_RECORD_BYTES`] long.
struct Lines {
    reader: BufReader<Box<dyn Read + Send>>,
    /// The line read last, without its end.
    buf: Vec<u8>,
    /// Lines read so far.
    line: u64,
    failed: bool,
}

/// What [`Lines::next_line`] read.
enum Line {
    /// A line, in `Lines::buf`.
    Text,
    /// A line longer than [`MAX_RECORD_BYTES`] (skipped).
    TooLong,
    /// A read error (the stream then ends).
    Failed(std::io::Error),
}

impl Lines {
    fn new(source: Box<dyn Read + Send>) -> Self {
        Lines {
            reader: BufReader::with_capacity(1 << 16, source),
            buf: Vec::new(),
            line: 0,
            failed: false,
        }
    }

    fn next_line(&mut self) -> Option<Line> {
        if self.failed {
            return None;
        }
        if self.buf.capacity() > 1 << 20 {
            // One huge line does not keep its buffer for the rest of the file.
            self.buf = Vec::new();
        }
        self.buf.clear();
        let (mut started, mut too_long) = (false, false);
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed = true;
                    self.line += 1;
                    return Some(Line::Failed(e));
                }
            };
            if available.is_empty() {
                if !started {
                    return None;
                }
                break;
            }
            started = true;
            let end = memchr::memchr2(b'\n', b'\r', available);
            let take = end.unwrap_or(available.len());
            if !too_long && self.buf.len() + take <= MAX_RECORD_BYTES {
                self.buf.extend_from_slice(&available[..take]);
            } else if !too_long {
                too_long = true;
                self.buf = Vec::new();
            }
            let Some(at) = end else {
                let n = available.len();
                self.reader.consume(n);
                continue;
            };
            let cr = available[at] == b'\r';
            self.reader.consume(at + 1);
            if cr {
                // `\r\n` is one line end.
                if let Ok(next) = self.reader.fill_buf() {
                    if next.first() == Some(&b'\n') {
                        self.reader.consume(1);
                    }
                }
            }
            break;
        }
        self.line += 1;
        Some(if too_long { Line::TooLong } else { Line::Text })
    }
}

// -------------------------------------------------------------------------------------------------
// JSONL

/// How many rows (and bytes of them) are read ahead, at most, to find each field a flag names
/// before the first row is handed out.
const LOOKAHEAD_ROWS: usize = 65_536;
const LOOKAHEAD_BYTES: usize = 32 << 20;

struct JsonlRows {
    lines: Lines,
    fields: FieldNames,
    /// Rows read ahead of the first one handed out.
    ahead: VecDeque<Row>,
    line_is_first: bool,
}

impl JsonlRows {
    /// Starts reading, and reads ahead until every field a flag names is seen in a record (or
    /// the records end, or the look-ahead's bounds are reached: then a file named by `rescan`
    /// is read through once more to look for it). Fails naming a field no record has.
    fn open(
        source: Box<dyn Read + Send>,
        fields: FieldNames,
        name: &str,
        rescan: Option<String>,
    ) -> Result<Self, String> {
        let mut rows = JsonlRows {
            lines: Lines::new(source),
            fields,
            ahead: VecDeque::new(),
            line_is_first: true,
        };
        let fields = rows.fields.clone();
        let names = fields.wanted();
        let mut seen: Vec<bool> = names.iter().map(|&(_, required)| !required).collect();
        let mut keys = BTreeSet::new();
        let (mut objects, mut bytes) = (0usize, 0usize);
        while !seen.iter().all(|&s| s) {
            if rows.ahead.len() >= LOOKAHEAD_ROWS || bytes >= LOOKAHEAD_BYTES {
                let Some(path) = &rescan else {
                    return Err(missing_field(name, &names, &seen, &keys, Some(objects)));
                };
                // Read the file through once more, for the fields alone.
                let mut again = JsonlRows {
                    lines: Lines::new(open_source(path)?),
                    fields: rows.fields.clone(),
                    ahead: VecDeque::new(),
                    line_is_first: true,
                };
                while let Some(bytes) = again.next_record() {
                    if let Some(found) = again.present(&bytes, &names, &mut keys) {
                        seen.iter_mut().zip(found).for_each(|(s, f)| *s |= f);
                        if seen.iter().all(|&s| s) {
                            break;
                        }
                    }
                }
                if !seen.iter().all(|&s| s) {
                    return Err(missing_field(name, &names, &seen, &keys, None));
                }
                break;
            }
            let Some(row) = rows.read_row(Some((&mut seen, &mut keys, &mut objects))) else {
                if objects > 0 {
                    return Err(missing_field(name, &names, &seen, &keys, None));
                }
                break;
            };
            bytes += row.weight();
            rows.ahead.push_back(row);
        }
        Ok(rows)
    }

    /// The next record's bytes (its line without a BOM or its end), blank lines, lines too long
    /// and a read error skipped (for looking at the records' fields alone).
    fn next_record(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.lines.next_line()? {
                Line::Text => {}
                _ => continue,
            }
            let mut bytes: &[u8] = &self.lines.buf;
            if std::mem::take(&mut self.line_is_first) {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                return Some(bytes.to_vec());
            }
        }
    }

    /// Which of the wanted fields the record `bytes` has (`None` if it is not a JSON object),
    /// adding its keys to `keys`.
    fn present(
        &self,
        bytes: &[u8],
        names: &[(&str, bool)],
        keys: &mut BTreeSet<String>,
    ) -> Option<Vec<bool>> {
        let text = std::str::from_utf8(bytes).ok()?;
        let wanted: Vec<&str> = names.iter().map(|&(n, _)| n).collect();
        let found = parse_object(text, &wanted, Some(keys)).ok()?;
        Some(found.iter().map(Option::is_some).collect())
    }

    /// Reads the next row (blank lines are not records), noting in `survey` which wanted fields
    /// its record has, the record's keys, and that one more object was read.
    fn read_row(
        &mut self,
        survey: Option<(&mut Vec<bool>, &mut BTreeSet<String>, &mut usize)>,
    ) -> Option<Row> {
        loop {
            let kind = self.lines.next_line()?;
            let line = self.lines.line;
            let bytes: &[u8] = match kind {
                Line::Text => &self.lines.buf,
                Line::TooLong => {
                    return Some(Row {
                        line,
                        item: Err(bad(
                            None,
                            format!("the line is longer than {} MiB", MAX_RECORD_BYTES >> 20),
                        )),
                    })
                }
                Line::Failed(e) => {
                    return Some(Row {
                        line,
                        item: Err(bad(None, format!("read error: {e}"))),
                    })
                }
            };
            let bytes = if std::mem::take(&mut self.line_is_first) {
                bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
            } else {
                bytes
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                // Blank lines are not records (a trailing newline, a blank separator).
                continue;
            }
            return Some(Row {
                line,
                item: parse_json_record(bytes, &self.fields, survey),
            });
        }
    }
}

impl Iterator for JsonlRows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if let Some(row) = self.ahead.pop_front() {
            return Some(row);
        }
        self.read_row(None)
    }
}

/// The error for wanted fields that no record of `name` has (among its first `within` records,
/// when only those could be read).
fn missing_field(
    name: &str,
    names: &[(&str, bool)],
    seen: &[bool],
    keys: &BTreeSet<String>,
    within: Option<usize>,
) -> String {
    let missing: Vec<String> = names
        .iter()
        .zip(seen)
        .filter(|(_, &s)| !s)
        .map(|((n, _), _)| format!("{n:?}"))
        .collect();
    let which = match within {
        Some(n) => format!("none of the first {n} records of {name}"),
        None => format!("no record of {name}"),
    };
    let mut have: Vec<String> = keys.iter().take(40).map(|k| format!("{k:?}")).collect();
    if keys.len() > 40 {
        have.push(format!("and {} more", keys.len() - 40));
    }
    format!(
        "{which} has the field{} {} (the records' fields: {})",
        if missing.len() > 1 { "s" } else { "" },
        missing.join(", "),
        if have.is_empty() {
            "none".to_string()
        } else {
            have.join(", ")
        }
    )
}

/// The raw values of the fields `names` of the JSON object `text` (the last of a repeated key),
/// each field read without converting the others; `keys` collects every key when given.
/// Python's `NaN`, `Infinity` and `-Infinity`, which are not JSON, read as null.
fn parse_object<'t>(
    text: &'t str,
    names: &[&str],
    mut keys: Option<&mut BTreeSet<String>>,
) -> Result<Vec<Option<Cow<'t, RawValue>>>, serde_json::Error> {
    match parse_wanted(text, names, keys.as_deref_mut()) {
        Ok(found) => Ok(found.into_iter().map(|v| v.map(Cow::Borrowed)).collect()),
        Err(e) if e.is_syntax() => {
            let Some(fixed) = without_non_finite(text) else {
                return Err(e);
            };
            match parse_wanted(&fixed, names, keys) {
                Ok(found) => Ok(found
                    .into_iter()
                    .map(|v| v.map(|raw| Cow::Owned(raw.to_owned())))
                    .collect()),
                Err(_) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// [`parse_object`] without the second chance for `NaN` and `Infinity`.
fn parse_wanted<'t>(
    text: &'t str,
    names: &[&str],
    keys: Option<&mut BTreeSet<String>>,
) -> Result<Vec<Option<&'t RawValue>>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let found = Wanted { names, keys }.deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// `text` with the bare `NaN`, `Infinity` and `-Infinity` outside strings as `null`, if it has
/// any.
fn without_non_finite(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let (mut out, mut copied, mut changed) = (String::with_capacity(text.len()), 0, false);
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| text[i..].starts_with(t));
        match token {
            Some(t)
                if boundary_before
                    && bytes
                        .get(i + t.len())
                        .is_none_or(|b| !b.is_ascii_alphanumeric()) =>
            {
                out.push_str(&text[copied..i]);
                out.push_str("null");
                i += t.len();
                copied = i;
                changed = true;
            }
            _ => i += 1,
        }
    }
    changed.then(|| {
        out.push_str(&text[copied..]);
        out
    })
}

/// A JSON object's raw values of the fields `names` (in their order), the others skipped.
struct Wanted<'n, 'k> {
    names: &'n [&'n str],
    keys: Option<&'k mut BTreeSet<String>>,
}

impl<'de> DeserializeSeed<'de> for Wanted<'_, '_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Wanted<'_, '_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = vec![None; self.names.len()];
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if let Some(keys) = self.keys.as_deref_mut() {
                if keys.len() < 1000 && !keys.contains(key.0.as_ref()) {
                    keys.insert(key.0.to_string());
                }
            }
            match self.names.iter().position(|n| !n.is_empty() && *n == key.0) {
                Some(i) => found[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// An object key, borrowed from the line when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The text of a field's raw value: a string, or a number or boolean as written; `None` for
/// null.
fn field_text(raw: &RawValue, name: &str) -> Result<Option<String>, String> {
    let s = raw.get().trim();
    match s.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(s)
            .map(Some)
            .map_err(|e| format!("field {name:?} is not a valid string: {e}")),
        Some(b'n') => Ok(None),
        Some(b't' | b'f' | b'-' | b'0'..=b'9') => Ok(Some(s.to_string())),
        _ => Err(format!("field {name:?} is not a string")),
    }
}

fn parse_json_record(
    bytes: &[u8],
    fields: &FieldNames,
    survey: Option<(&mut Vec<bool>, &mut BTreeSet<String>, &mut usize)>,
) -> Result<Item, RowError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        bad(
            None,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
        )
    })?;
    let names = fields.wanted().map(|(n, _)| n);
    let (seen, keys, objects) = match survey {
        Some((seen, keys, objects)) => (Some(seen), Some(keys), Some(objects)),
        None => (None, None, None),
    };
    let found = parse_object(text, &names, keys).map_err(|e| {
        if e.is_data() {
            bad(None, "the line is JSON but not an object")
        } else {
            bad(None, format!("invalid JSON: {e}"))
        }
    })?;
    if let (Some(seen), Some(objects)) = (seen, objects) {
        *objects += 1;
        for (s, f) in seen.iter_mut().zip(&found) {
            *s |= f.is_some();
        }
    }
    let get = |i: usize| -> Result<Option<String>, String> {
        match &found[i] {
            None => Ok(None),
            Some(raw) => field_text(raw, names[i]),
        }
    };
    let Some(id) = get(0).map_err(|e| bad(None, e))? else {
        return Err(bad(None, format!("missing field {:?} (the id)", fields.id)));
    };
    let mut text = match get(1) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(bad(
                Some(id),
                format!("missing field {:?} (the text)", fields.text),
            ))
        }
        Err(e) => return Err(bad(Some(id), e)),
    };
    shorten(&mut text);
    let mut context = get(2).map_err(|e| bad(Some(id.clone()), e))?;
    if let Some(c) = &mut context {
        shorten(c);
    }
    let group = get(3).map_err(|e| bad(Some(id.clone()), e))?;
    let time = get(4).map_err(|e| bad(Some(id.clone()), e))?;
    Ok(Item {
        id,
        text,
        context,
        group,
        time,
    })
}

// -------------------------------------------------------------------------------------------------
// CSV

/// A reader that notes where each physical line starts (after `\n` or a lone `\r`; at the `\n`
/// of a `\r\n`) and whether it is blank, so that the byte offset at which the csv crate starts a record
/// (before the blank lines it skips) gives the record's line.
struct LineStarts {
    inner: Box<dyn Read + Send>,
    /// The lines from the one the last record started on: where each starts, and whether it is
    /// blank (its first byte ends it).
    lines: VecDeque<(u64, bool)>,
    /// Lines before the first of `lines`.
    passed: u64,
    /// Bytes read so far.
    offset: u64,
    /// Whether the last byte read was a `\r` (whose line end may take a `\n` with it).
    pending_cr: bool,
    /// Whether the last line's first byte is still to be read.
    awaiting: bool,
}

impl LineStarts {
    fn new(inner: Box<dyn Read + Send>) -> Self {
        LineStarts {
            inner,
            lines: VecDeque::from([(0, false)]),
            passed: 0,
            offset: 0,
            pending_cr: false,
            awaiting: true,
        }
    }

    fn start_line(&mut self, at: u64) {
        self.lines.push_back((at, false));
        self.awaiting = true;
    }

    /// The physical line (from 1) of the record the csv crate started reading at `offset` (a
    /// line start, or the start of blank lines before it); offsets must not go backwards.
    fn line_of(&mut self, offset: u64) -> u64 {
        while self.lines.len() >= 2 && self.lines[1].0 <= offset {
            self.lines.pop_front();
            self.passed += 1;
        }
        while self.lines.len() >= 2 && self.lines[0].1 {
            self.lines.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl Read for LineStarts {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            if std::mem::take(&mut self.pending_cr) {
                // The next line starts here; after `\r\n` it starts at the `\n` (where the csv
                // crate starts the next record), and the byte after it tells if it is blank.
                self.start_line(at);
                if b == b'\n' {
                    continue;
                }
            }
            if std::mem::take(&mut self.awaiting) {
                self.lines.back_mut().expect("a line").1 = b == b'\r' || b == b'\n';
            }
            match b {
                b'\r' => self.pending_cr = true,
                b'\n' => self.start_line(at + 1),
                _ => {}
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

struct CsvRows {
    reader: csv::Reader<LineStarts>,
    columns: usize,
    id: usize,
    text: usize,
    context: Option<usize>,
    group: Option<usize>,
    time: Option<usize>,
    record: csv::ByteRecord,
    done: bool,
}

impl CsvRows {
    fn new(source: Box<dyn Read + Send>, fields: FieldNames, path: &str) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(LineStarts::new(source));
        let headers = reader
            .byte_headers()
            .map_err(|e| format!("cannot read the header row of {path}: {e}"))?
            .clone();
        if headers.is_empty() {
            return Err(format!("{path} is empty: a CSV file needs a header row"));
        }
        let names: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
                } else {
                    h
                };
                String::from_utf8_lossy(h).trim().to_string()
            })
            .collect();
        let find = |name: &str| -> Result<Option<usize>, String> {
            let at: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
            match at[..] {
                [] => Ok(None),
                [i] => Ok(Some(i)),
                _ => Err(format!(
                    "{path} has the column {name:?} more than once (columns {}): rename one",
                    at.iter()
                        .map(|i| (i + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        };
        let need = |name: &str| {
            find(name)?.ok_or_else(|| {
                format!(
                    "{path} has no column {name:?} (its columns: {})",
                    names.join(", ")
                )
            })
        };
        let optional = |name: &Option<String>, required: bool| -> Result<Option<usize>, String> {
            match name.as_deref() {
                None => Ok(None),
                Some(n) if required => need(n).map(Some),
                Some(n) => find(n),
            }
        };
        Ok(CsvRows {
            id: need(&fields.id)?,
            text: need(&fields.text)?,
            context: optional(&fields.context, fields.context_required)?,
            group: optional(&fields.group, fields.group_required)?,
            time: optional(&fields.time, true)?,
            columns: names.len(),
            reader,
            record: csv::ByteRecord::new(),
            done: false,
        })
    }
}

impl Iterator for CsvRows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let offset = self.record.position().map_or(0, |p| p.byte());
                let line = self.reader.get_mut().line_of(offset);
                let item = if self.record.as_slice().len() > MAX_RECORD_BYTES {
                    Err(bad(
                        None,
                        format!("the record is longer than {} MiB", MAX_RECORD_BYTES >> 20),
                    ))
                } else {
                    self.item()
                };
                if self.record.as_slice().len() > 1 << 20 {
                    // One huge record does not keep its buffer for the rest of the file.
                    self.record = csv::ByteRecord::new();
                }
                Some(Row { line, item })
            }
            Err(e) => {
                let offset = e.position().map_or(0, |p| p.byte());
                let line = self.reader.get_mut().line_of(offset);
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.done = true;
                }
                Some(Row {
                    line,
                    item: Err(bad(None, format!("malformed CSV: {e}"))),
                })
            }
        }
    }
}

impl CsvRows {
    fn field(&self, i: usize) -> Result<String, String> {
        let raw = self.record.get(i).unwrap_or_default();
        String::from_utf8(raw.to_vec()).map_err(|e| {
            format!(
                "column {} is not valid UTF-8 (at byte {})",
                i + 1,
                e.utf8_error().valid_up_to()
            )
        })
    }

    fn item(&self) -> Result<Item, RowError> {
        let id = self.field(self.id).map_err(|e| bad(None, e))?;
        if self.record.len() != self.columns {
            return Err(bad(
                Some(id),
                format!(
                    "expected {} fields as in the header, found {}",
                    self.columns,
                    self.record.len()
                ),
            ));
        }
        let mut text = self
            .field(self.text)
            .map_err(|e| bad(Some(id.clone()), e))?;
        shorten(&mut text);
        let optional = |i: Option<usize>| -> Result<Option<String>, RowError> {
            match i {
                None => Ok(None),
                Some(i) => {
                    let v = self.field(i).map_err(|e| bad(Some(id.clone()), e))?;
                    Ok((!v.is_empty()).then_some(v))
                }
            }
        };
        let mut context = optional(self.context)?;
        if let Some(c) = &mut context {
            shorten(c);
        }
        Ok(Item {
            context,
            group: optional(self.group)?,
            time: optional(self.time)?,
            id,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> FieldNames {
        FieldNames {
            id: "id".into(),
            text: "text".into(),
            context: Some("ctx".into()),
            context_required: false,
            group: Some("brand".into()),
            group_required: false,
            time: None,
        }
    }

    fn try_rows(format: Format, fields: FieldNames, data: &[u8]) -> Result<Vec<Row>, String> {
        let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(data.to_vec()));
        Ok(open_reader(source, format, &fields, "test")?.collect())
    }

    fn rows(format: Format, data: &[u8]) -> Vec<Row> {
        try_rows(format, fields(), data).unwrap()
    }

    /// Each row as its line and its id or its reason.
    fn summary(rows: &[Row]) -> Vec<(u64, Result<&str, &str>)> {
        rows.iter()
            .map(|r| {
                let item = r.item.as_ref();
                (
                    r.line,
                    item.map(|i| i.id.as_str()).map_err(|e| e.reason.as_str()),
                )
            })
            .collect()
    }

    #[test]
    fn jsonl_table() {
        let data = b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"hi\",\"ctx\":\"yo\"}\r\n\n[1,2]\n{\"id\":7,\"text\":\"x\"}\n{\"id\":\"b\"}\nnot json\n{\"id\":\"c\",\"text\":\"\xff\"}\n{\"id\":\"d\",\"text\":\"\\ud800\"}\n";
        let rows = rows(Format::Jsonl, data);
        let summary = summary(&rows);
        assert_eq!(summary[0], (1, Ok("a")));
        assert_eq!(
            rows[0].item.as_ref().unwrap().context.as_deref(),
            Some("yo")
        );
        assert!(matches!(summary[1], (3, Err(r)) if r.contains("not an object")));
        assert_eq!(summary[2], (4, Ok("7")));
        assert!(matches!(summary[3], (5, Err(r)) if r.contains("missing field \"text\"")));
        assert_eq!(rows[3].item.as_ref().unwrap_err().id.as_deref(), Some("b"));
        assert!(matches!(summary[4], (6, Err(r)) if r.contains("invalid JSON")));
        assert!(matches!(summary[5], (7, Err(r)) if r.contains("UTF-8")));
        // A lone surrogate escape in a field cannery reads: an error row too.
        assert!(matches!(summary[6], (8, Err(_))));
        assert_eq!(rows.len(), 7);
    }

    /// Fields cannery never reads cannot make a record an error: numbers out of range, nesting
    /// deeper than serde_json's recursion limit, Python's NaN and Infinity, lone surrogates.
    #[test]
    fn jsonl_fields_never_read_are_never_an_error() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let lines = [
            r#"{"id":"a","text":"hi","score":1e400}"#.to_string(),
            format!(r#"{{"id":"b","text":"hi","tree":{deep}}}"#),
            r#"{"id":"c","text":"hi","x":NaN,"y":-Infinity,"z":[Infinity]}"#.to_string(),
            r#"{"id":"d","text":"NaN in a string stays","w":"\ud800"}"#.to_string(),
            r#"{"id":"e","text":"hi","ctx":NaN}"#.to_string(),
            r#"{"id":"f","text":NaN}"#.to_string(),
            r#"{"id":"g","text":"hi","Nan":NaNa}"#.to_string(),
        ];
        let rows = rows(Format::Jsonl, lines.join("\n").as_bytes());
        let summary = summary(&rows);
        for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert_eq!(summary[i], (i as u64 + 1, Ok(*id)), "{}", lines[i]);
        }
        assert_eq!(rows[3].item.as_ref().unwrap().text, "NaN in a string stays");
        assert_eq!(
            rows[4].item.as_ref().unwrap().context,
            None,
            "NaN reads as null"
        );
        assert!(matches!(summary[5], (6, Err(r)) if r.contains("missing field \"text\"")));
        assert!(matches!(summary[6], (7, Err(r)) if r.contains("invalid JSON")));
    }

    /// Ids are kept as written: numbers longer than a u64, or in another form, are not
    /// rounded into one another.
    #[test]
    fn jsonl_numeric_ids_keep_their_text() {
        let data = b"{\"id\":123456789012345678901234567890,\"text\":\"a\"}\n{\"id\":123456789012345678901234567891,\"text\":\"b\"}\n{\"id\":1.50,\"text\":\"c\"}\n{\"id\":-2e3,\"text\":\"d\"}\n{\"id\":true,\"text\":\"e\"}\n";
        let ids: Vec<String> = rows(Format::Jsonl, data)
            .into_iter()
            .map(|r| r.item.unwrap().id)
            .collect();
        assert_eq!(
            ids,
            [
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                "1.50",
                "-2e3",
                "true"
            ]
        );
    }

    #[test]
    fn jsonl_lines_end_at_lf_crlf_and_a_lone_cr() {
        let data = b"{\"id\":\"a\",\"text\":\"x\"}\r{\"id\":\"b\",\"text\":\"x\"}\r\n\r\n{\"id\":\"c\",\"text\":\"x\"}\n\r{\"id\":\"d\",\"text\":\"x\"}\r";
        let rows = rows(Format::Jsonl, data);
        assert_eq!(
            summary(&rows),
            [(1, Ok("a")), (2, Ok("b")), (4, Ok("c")), (6, Ok("d"))]
        );
    }

    #[test]
    fn jsonl_field_no_record_has_is_an_error_naming_the_fields() {
        let data =
            b"{\"id\":\"a\",\"text\":\"x\",\"in_reply_to\":\"q\"}\n{\"id\":\"b\",\"text\":\"y\"}\n";
        let mut named = fields();
        named.context_required = true;
        let err = try_rows(Format::Jsonl, named.clone(), data).unwrap_err();
        assert!(err.contains("\"ctx\""), "{err}");
        assert!(err.contains("\"in_reply_to\""), "{err}");
        // A field one record has is enough; the rows come out whole and in order.
        let data = b"{\"id\":\"a\",\"text\":\"x\"}\nnot json\n{\"id\":\"b\",\"text\":\"y\",\"ctx\":\"q\"}\n";
        let rows = try_rows(Format::Jsonl, named.clone(), data).unwrap();
        assert_eq!(summary(&rows).len(), 3);
        assert_eq!(rows[2].item.as_ref().unwrap().context.as_deref(), Some("q"));
        // The id and text fields are always needed; no record at all is not an error here.
        let mut wrong = fields();
        wrong.text = "body".into();
        let err = try_rows(Format::Jsonl, wrong, b"{\"id\":\"a\",\"text\":\"x\"}\n").unwrap_err();
        assert!(
            err.contains("\"body\"") && err.contains("\"text\""),
            "{err}"
        );
        assert!(try_rows(Format::Jsonl, named, b"\n\n").unwrap().is_empty());
    }

    #[test]
    fn jsonl_field_beyond_the_look_ahead_is_found_in_a_file() {
        let dir = std::env::temp_dir().join(format!("cannery-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("late.jsonl");
        let mut data = String::new();
        for i in 0..LOOKAHEAD_ROWS + 10 {
            data.push_str(&format!("{{\"id\":\"{i}\",\"text\":\"x\"}}\n"));
        }
        data.push_str("{\"id\":\"last\",\"text\":\"x\",\"ctx\":\"q\"}\n");
        std::fs::write(&path, &data).unwrap();
        let mut named = fields();
        named.context_required = true;
        let path = path.to_str().unwrap();
        let rows: Vec<Row> = open(path, None, &named).unwrap().collect();
        assert_eq!(rows.len(), LOOKAHEAD_ROWS + 11);
        assert_eq!(
            rows.last()
                .unwrap()
                .item
                .as_ref()
                .unwrap()
                .context
                .as_deref(),
            Some("q")
        );
        // From a stream that cannot be read again, the look-ahead decides.
        let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(data.into_bytes()));
        let err = open_reader(source, Format::Jsonl, &named, "stdin")
            .err()
            .unwrap();
        assert!(err.contains("none of the first 65536 records"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn csv_table() {
        let data = b"\xEF\xBB\xBFid,text,ctx\r\na,hello,there\r\nb,\"quoted, text\",\r\nc,too,many,fields\r\nd,\xff,x\r\n";
        let rows = rows(Format::Csv, data);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].item.as_ref().unwrap().text, "hello");
        assert_eq!(rows[1].item.as_ref().unwrap().text, "quoted, text");
        assert_eq!(rows[1].item.as_ref().unwrap().context, None);
        let e = rows[2].item.as_ref().unwrap_err();
        assert_eq!(e.id.as_deref(), Some("c"));
        assert!(e.reason.contains("expected 3 fields"));
        assert!(rows[3].item.as_ref().unwrap_err().reason.contains("UTF-8"));
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
    }

    /// Row numbers are the file's physical lines, whatever ends them, blank lines counted.
    #[test]
    fn csv_line_numbers_are_physical_lines() {
        let cases: &[(&[u8], &[u64])] = &[
            (b"id,text,ctx\na,x,\nb,\"multi\nline\",\nc,z,\n", &[2, 3, 5]),
            (
                b"id,text,ctx\r\na,x,\r\nb,\"multi\r\nline\",\r\nc,z,\r\n",
                &[2, 3, 5],
            ),
            (b"id,text,ctx\ra,x,\rb,y,\rc,z,\r", &[2, 3, 4]),
            (b"id,text,ctx\n\na,x,\n\n\nb,y,\n", &[3, 6]),
            (b"id,text,ctx\r\n\ra,x,\nb,y,\r\r\nc,z,", &[3, 4, 6]),
        ];
        for (data, lines) in cases {
            let got: Vec<u64> = rows(Format::Csv, data).iter().map(|r| r.line).collect();
            assert_eq!(&got, lines, "{:?}", String::from_utf8_lossy(data));
        }
    }

    /// Line numbers against a model of the file: records with quoted line breaks inside, any
    /// mix of line ends, blank lines between them.
    #[test]
    fn csv_line_numbers_follow_any_mix_of_line_ends() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut below = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..2000 {
            let mut data = String::new();
            let mut last_cr = false;
            // A line end that does not join a `\r` before it into a `\r\n`.
            let end = |data: &mut String, last_cr: &mut bool, pick: u64| {
                let choices: &[&str] = if *last_cr {
                    &["\r", "\r\n"]
                } else {
                    &["\n", "\r", "\r\n"]
                };
                let e = choices[pick as usize % choices.len()];
                data.push_str(e);
                *last_cr = e == "\r";
            };
            data.push_str("id,text");
            end(&mut data, &mut last_cr, below(6));
            let (mut line, mut expected) = (2u64, Vec::new());
            let records = below(8);
            for i in 0..records {
                for _ in 0..below(3) {
                    end(&mut data, &mut last_cr, below(6));
                    line += 1;
                }
                expected.push(line);
                let breaks = below(3);
                data.push_str(&format!("{i},\"a"));
                for _ in 0..breaks {
                    data.push_str(["\n", "\r\n", "\r"][below(3) as usize]);
                    data.push('b');
                }
                data.push('"');
                last_cr = false;
                line += breaks;
                if i + 1 < records || below(2) == 0 {
                    end(&mut data, &mut last_cr, below(6));
                    line += 1;
                }
            }
            let got: Vec<u64> = rows(Format::Csv, data.as_bytes())
                .iter()
                .map(|r| r.line)
                .collect();
            assert_eq!(got, expected, "{data:?}");
        }
    }

    /// An unterminated quote runs, as RFC 4180 says, to the end of the file: the record it opens
    /// swallows the lines after it and, having too few fields, is an error row at its first line.
    #[test]
    fn csv_broken_quoting_is_an_error_row() {
        let data = b"id,text,ctx\na,fine,x\nb,\"broken, x\nc,ok,y\n";
        let rows = rows(Format::Csv, data);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].item.as_ref().unwrap().id, "a");
        let e = rows[1].item.as_ref().unwrap_err();
        assert_eq!((rows[1].line, e.id.as_deref()), (3, Some("b")));
        assert!(e.reason.contains("expected 3 fields"), "{}", e.reason);
    }

    #[test]
    fn csv_missing_or_repeated_column_is_an_error() {
        let err = try_rows(Format::Csv, fields(), b"tweet_id,body\n1,x\n").unwrap_err();
        assert!(err.contains("no column \"id\""), "{err}");
        let err = try_rows(Format::Csv, fields(), b"id,text,other,text\n1,x,y,z\n").unwrap_err();
        assert!(
            err.contains("\"text\" more than once (columns 2, 4)"),
            "{err}"
        );
        // A repeated column cannery does not read is no error.
        assert!(try_rows(Format::Csv, fields(), b"id,text,x,x\n1,a,b,c\n").is_ok());
    }

    #[test]
    fn texts_are_kept_to_what_is_scored() {
        let long = "é".repeat(cannery::MAX_INPUT_BYTES);
        let data = format!("{{\"id\":\"a\",\"text\":\"{long}\",\"ctx\":\"{long}\"}}\n");
        let item = rows(Format::Jsonl, data.as_bytes()).remove(0).item.unwrap();
        for text in [&item.text, item.context.as_ref().unwrap()] {
            assert!(text.len() > cannery::MAX_INPUT_BYTES);
            assert!(text.len() <= cannery::MAX_INPUT_BYTES + 4);
        }
    }

    #[test]
    fn sources_in_other_encodings_are_named() {
        let text = "id,text\n1,caf\u{e9} cr\u{e8}me\n2,d\u{e9}j\u{e0} vu\n";
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let with_bom = |bom: &[u8], body: &[u8]| [bom, body].concat();
        let latin1: Vec<u8> = text.chars().map(|c| c as u8).collect();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (with_bom(&[0xFF, 0xFE], &utf16le), "UTF-16LE"),
            (with_bom(&[0xFE, 0xFF], &utf16be), "UTF-16BE"),
            (utf16le.clone(), "UTF-16LE"),
            (utf16be, "UTF-16BE"),
            (latin1, "Windows-1252"),
        ];
        for (bytes, name) in cases {
            let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
            let err = decode_source(source, "f.csv").err().unwrap();
            assert!(err.contains(name), "{name}: {err}");
        }
        // UTF-8, and UTF-8 with a broken byte among good ones, pass (the broken record is an
        // error row); so does gzip of UTF-8.
        for bytes in [
            text.as_bytes().to_vec(),
            [text.as_bytes(), b"2,\xff caf\xc3\xa9\n"].concat(),
        ] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, &bytes).unwrap();
            for input in [bytes.clone(), gz.finish().unwrap()] {
                let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(input));
                let mut out = Vec::new();
                decode_source(source, "f.csv")
                    .unwrap()
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(out, bytes);
            }
        }
    }
}
