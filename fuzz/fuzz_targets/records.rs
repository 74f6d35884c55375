//! The CSV and JSONL readers of the `cannery` binary: any bytes give rows with line numbers that
//! never go backwards, each an item or an error row; a CSV without a readable header, a JSONL
//! file without the fields, or bytes in another encoding are an error. The bytes are read as they
//! are and through the source decoder (gzip, encodings) alike.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../cli/src/records.rs"]
#[allow(dead_code)]
mod records;

use records::{FieldNames, Format};

fuzz_target!(|data: &[u8]| {
    let fields = FieldNames {
        id: "id".into(),
        text: "text".into(),
        context: Some("in_reply_to_text".into()),
        context_required: false,
        group: Some("brand".into()),
        group_required: false,
        time: None,
    };
    for (format, decoded) in [(Format::Jsonl, false), (Format::Csv, false), (Format::Jsonl, true), (Format::Csv, true)] {
        let mut source: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(data.to_vec()));
        if decoded {
            let Ok(decoded) = records::decode_source(source, "fuzz") else {
                continue;
            };
            source = decoded;
        }
        let Ok(rows) = records::open_reader(source, format, &fields, "fuzz") else {
            continue;
        };
        let mut last = 0;
        for row in rows.take(10_000) {
            assert!(row.line >= last, "line numbers go backwards");
            last = row.line;
        }
    }
});
