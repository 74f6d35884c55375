//! Streaming readers of reply records in CSV or JSONL: one [`Row`] per input record, in order,
//! with a malformed record as an error row (line number and reason) in its place.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use clap::ValueEnum;

/// A record file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

impl Format {
    /// The format a path's extension names, if any.
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
    /// Whether a CSV file must have the context column (it was asked for by name), or may lack
    /// it (the default name).
    pub context_required: bool,
    pub group: Option<String>,
    pub group_required: bool,
    /// The field with when a reply was sent (asked for by name only).
    pub time: Option<String>,
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

/// One input record: its line number and either the record or why it is malformed (with the id
/// when the id could still be read).
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub item: Result<Item, RowError>,
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

/// Opens `path` (`-` for standard input) as a stream of rows. Fails only when the source cannot
/// be opened or its header cannot be read; every later problem is an error row.
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
                "cannot tell the format of {path} from its extension (.csv, .jsonl, .ndjson): give it with --input-format or --corpus-format"
            ))
        }
    };
    let source: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        if Path::new(path).is_dir() {
            return Err(format!("{path} is a directory, not a record file"));
        }
        Box::new(File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?)
    };
    open_reader(source, format, fields, path)
}

/// Reads rows of `format` from `source`; `name` names it in errors.
pub fn open_reader(
    source: Box<dyn Read + Send>,
    format: Format,
    fields: &FieldNames,
    name: &str,
) -> Result<Box<dyn Iterator<Item = Row> + Send>, String> {
    match format {
        Format::Jsonl => Ok(Box::new(JsonlRows::new(source, fields.clone()))),
        Format::Csv => Ok(Box::new(CsvRows::new(source, fields.clone(), name)?)),
    }
}

// -------------------------------------------------------------------------------------------------
// JSONL

struct JsonlRows {
    reader: BufReader<Box<dyn Read + Send>>,
    fields: FieldNames,
    line: u64,
    buf: Vec<u8>,
}

impl JsonlRows {
    fn new(source: Box<dyn Read + Send>, fields: FieldNames) -> Self {
        JsonlRows {
            reader: BufReader::with_capacity(1 << 16, source),
            fields,
            line: 0,
            buf: Vec::new(),
        }
    }
}

impl Iterator for JsonlRows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.line += 1;
                    let row = Row {
                        line: self.line,
                        item: Err(bad(None, format!("read error: {e}"))),
                    };
                    // A failing reader would fail again: end the stream after reporting it.
                    self.buf.clear();
                    self.reader = BufReader::new(Box::new(std::io::empty()));
                    return Some(row);
                }
            }
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            while let Some(rest) = bytes
                .strip_suffix(b"\n")
                .or_else(|| bytes.strip_suffix(b"\r"))
            {
                bytes = rest;
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                // Blank lines are not records (a trailing newline, a blank separator).
                continue;
            }
            return Some(Row {
                line: self.line,
                item: parse_json_record(bytes, &self.fields),
            });
        }
    }
}

fn parse_json_record(bytes: &[u8], fields: &FieldNames) -> Result<Item, RowError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        bad(
            None,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(None, format!("invalid JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(bad(None, "the line is JSON but not an object"));
    };
    let get = |name: &str| -> Result<Option<String>, String> {
        match map.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Ok(Some(v.to_string()))
            }
            Some(_) => Err(format!("field {name:?} is not a string")),
        }
    };
    let id = get(&fields.id).map_err(|e| bad(None, e))?;
    let Some(id) = id else {
        return Err(bad(None, format!("missing field {:?} (the id)", fields.id)));
    };
    let text = match get(&fields.text) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(bad(
                Some(id),
                format!("missing field {:?} (the text)", fields.text),
            ))
        }
        Err(e) => return Err(bad(Some(id), e)),
    };
    let context = match &fields.context {
        Some(name) => get(name).map_err(|e| bad(Some(id.clone()), e))?,
        None => None,
    };
    let group = match &fields.group {
        Some(name) => get(name).map_err(|e| bad(Some(id.clone()), e))?,
        None => None,
    };
    let time = match &fields.time {
        Some(name) => get(name).map_err(|e| bad(Some(id.clone()), e))?,
        None => None,
    };
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

struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    columns: usize,
    id: usize,
    text: usize,
    context: Option<usize>,
    group: Option<usize>,
    time: Option<usize>,
    record: csv::ByteRecord,
    done: bool,
    /// Added to the csv crate's line numbers: in a CRLF file it counts a record's line before
    /// the previous line's `\n` (so the first record is "line 1", the header's line); 0 or 1,
    /// decided on the first record.
    line_fix: Option<u64>,
}

impl CsvRows {
    fn new(source: Box<dyn Read + Send>, fields: FieldNames, path: &str) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(source);
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
        let find = |name: &str| names.iter().position(|n| n == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| {
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
                Some(n) => Ok(find(n)),
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
            line_fix: None,
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
                let line = self.line(self.record.position().map_or(0, |p| p.line()));
                Some(Row {
                    line,
                    item: self.item(),
                })
            }
            Err(e) => {
                let line = self.line(e.position().map_or(0, |p| p.line()));
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
    fn line(&mut self, reported: u64) -> u64 {
        let fix = *self.line_fix.get_or_insert(u64::from(reported <= 1));
        reported + fix
    }

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
        let text = self
            .field(self.text)
            .map_err(|e| bad(Some(id.clone()), e))?;
        let optional = |i: Option<usize>| -> Result<Option<String>, RowError> {
            match i {
                None => Ok(None),
                Some(i) => {
                    let v = self.field(i).map_err(|e| bad(Some(id.clone()), e))?;
                    Ok((!v.is_empty()).then_some(v))
                }
            }
        };
        Ok(Item {
            context: optional(self.context)?,
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
            context_required: true,
            group: Some("brand".into()),
            group_required: false,
            time: None,
        }
    }

    fn rows(format: Format, data: &[u8]) -> Vec<Row> {
        let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(data.to_vec()));
        match format {
            Format::Jsonl => JsonlRows::new(source, fields()).collect(),
            Format::Csv => CsvRows::new(source, fields(), "test.csv")
                .unwrap()
                .collect(),
        }
    }

    #[test]
    fn jsonl_table() {
        let data = b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"hi\",\"ctx\":\"yo\"}\r\n\n[1,2]\n{\"id\":7,\"text\":\"x\"}\n{\"id\":\"b\"}\nnot json\n{\"id\":\"c\",\"text\":\"\xff\"}\n{\"id\":\"d\",\"text\":\"\\ud800\"}\n";
        let rows = rows(Format::Jsonl, data);
        let summary: Vec<(u64, Result<&str, &str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.item
                        .as_ref()
                        .map(|i| i.id.as_str())
                        .map_err(|e| e.reason.as_str()),
                )
            })
            .collect();
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
        // A lone surrogate escape: serde_json rejects it, so it is an error row too.
        assert!(matches!(summary[6], (8, Err(_))));
        assert_eq!(rows.len(), 7);
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

    #[test]
    fn csv_line_numbers_count_lf_and_crlf_alike() {
        for data in [
            &b"id,text,ctx\na,x,\nb,\"multi\nline\",\nc,z,\n"[..],
            &b"id,text,ctx\r\na,x,\r\nb,\"multi\r\nline\",\r\nc,z,\r\n"[..],
        ] {
            let lines: Vec<u64> = rows(Format::Csv, data).iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 3, 5]);
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
    fn csv_missing_column_is_an_error() {
        let source: Box<dyn Read + Send> =
            Box::new(std::io::Cursor::new(b"tweet_id,body\n1,x\n".to_vec()));
        let err = CsvRows::new(source, fields(), "t.csv").err().unwrap();
        assert!(err.contains("no column \"id\""), "{err}");
    }
}
