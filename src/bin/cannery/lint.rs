//! `cannery lint`: a report on one draft as human text with underlined spans, JSON or SARIF 2.1.0.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use cannery::{OffsetConverter, Report};
use serde_json::{json, Value};

/// SARIF rule ids, stable across versions.
pub const RULE_CANNED: &str = "cannery/canned-reply";
pub const RULE_SPAN: &str = "cannery/boilerplate-span";

/// The report as one JSON object (`canned`, `personalisation`, `verdict`, `spans`, `nearest`,
/// `neighbours`, `template`, `signals`, `truncated`, `fail_at`, `fails`).
pub fn json(draft: &str, report: &Report, fail_at: f64) -> Value {
    let spans: Vec<Value> = report
        .spans
        .iter()
        .map(|s| {
            json!({
                "byte_start": s.bytes.start, "byte_end": s.bytes.end,
                "char_start": s.chars.start, "char_end": s.chars.end,
                "utf16_start": s.utf16.start, "utf16_end": s.utf16.end,
                "text": &draft[s.bytes.clone()],
                "support": s.support, "stock": s.stock, "example": s.example,
            })
        })
        .collect();
    let neighbour = |n: &cannery::Neighbour| json!({"id": n.id, "similarity": n.similarity, "count": n.count, "text": n.text});
    json!({
        "canned": report.canned,
        "personalisation": report.personalisation,
        "verdict": report.verdict.as_str(),
        "fail_at": fail_at,
        "fails": report.canned >= fail_at,
        "spans": spans,
        "nearest": report.nearest.first().map(neighbour),
        "neighbours": report.nearest.iter().map(neighbour).collect::<Vec<_>>(),
        "template": report.template.as_ref().map(|t| json!({
            "id": t.id, "text": t.text, "similarity": t.similarity, "count": t.count,
        })),
        "signals": report.signals,
        "truncated": report.truncated,
    })
}

/// 1-based line and column (in UTF-16 code units, SARIF's default column kind) of a byte offset.
fn line_column(draft: &str, byte: usize) -> (usize, usize) {
    let before = &draft[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = draft[line_start..byte].encode_utf16().count() + 1;
    (line, column)
}

fn region(draft: &str, conv: &OffsetConverter<'_>, bytes: std::ops::Range<usize>) -> Value {
    let (start_line, start_column) = line_column(draft, bytes.start);
    let (end_line, end_column) = line_column(draft, bytes.end);
    let utf16_start = conv.utf16_offset(bytes.start);
    json!({
        "startLine": start_line, "startColumn": start_column,
        "endLine": end_line, "endColumn": end_column,
        "charOffset": utf16_start,
        "charLength": conv.utf16_offset(bytes.end) - utf16_start,
        "byteOffset": bytes.start, "byteLength": bytes.end - bytes.start,
    })
}

/// The report as a SARIF 2.1.0 log: a `canned-reply` result when the draft fails, and a
/// `boilerplate-span` note for each span.
pub fn sarif(draft: &str, uri: &str, report: &Report, fail_at: f64) -> Value {
    let conv = OffsetConverter::new(draft);
    let location = |bytes: std::ops::Range<usize>| {
        json!([{"physicalLocation": {
            "artifactLocation": {"uri": uri, "index": 0},
            "region": region(draft, &conv, bytes),
        }}])
    };
    let mut results = Vec::new();
    if report.canned >= fail_at {
        results.push(json!({
            "ruleId": RULE_CANNED, "ruleIndex": 0, "level": "warning",
            "message": {"text": format!(
                "{} reply: canned {:.2} (fails at {:.2}), personalisation {:.2}",
                report.verdict, report.canned, fail_at, report.personalisation)},
            "locations": location(0..draft.len()),
            "properties": {"canned": report.canned, "personalisation": report.personalisation,
                           "verdict": report.verdict.as_str()},
        }));
    }
    for span in &report.spans {
        let shared = if span.stock {
            "stock customer-service phrasing".to_string()
        } else {
            format!("shared by {} past replies", span.support)
        };
        let example = span
            .example
            .as_deref()
            .map(|e| format!(" (e.g. {e})"))
            .unwrap_or_default();
        results.push(json!({
            "ruleId": RULE_SPAN, "ruleIndex": 1, "level": "note",
            "message": {"text": format!("boilerplate: {shared}{example}")},
            "locations": location(span.bytes.clone()),
            "properties": {"support": span.support, "stock": span.stock, "example": span.example},
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cannery",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://crates.io/crates/cannery",
                "rules": [
                    {"id": RULE_CANNED, "name": "CannedReply",
                     "shortDescription": {"text": "The reply is canned: generic wording that could go unchanged to many customers."},
                     "defaultConfiguration": {"level": "warning"}},
                    {"id": RULE_SPAN, "name": "BoilerplateSpan",
                     "shortDescription": {"text": "A phrase that recurs in past replies or in stock customer-service phrasing."},
                     "defaultConfiguration": {"level": "note"}},
                ],
            }},
            "artifacts": [{"location": {"uri": uri}, "length": draft.len()}],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

/// The report for a person: the verdict and scores as a title, the draft with its boilerplate
/// spans underlined and labelled, and the nearest past reply.
pub fn human(draft: &str, path: &str, report: &Report, fail_at: f64, color: bool) -> String {
    let fails = report.canned >= fail_at;
    let level = if fails { Level::WARNING } else { Level::NOTE };
    let title = format!(
        "{} reply: canned {:.2}{}, personalisation {:.2}",
        report.verdict,
        report.canned,
        if fails {
            format!(" (fails at {fail_at:.2})")
        } else {
            String::new()
        },
        report.personalisation
    );
    let labels: Vec<String> = report
        .spans
        .iter()
        .map(|s| {
            let whose = if s.stock && s.support <= 1 {
                "stock phrasing".to_string()
            } else {
                format!(
                    "boilerplate: {} past {}",
                    s.support,
                    if s.support == 1 { "reply" } else { "replies" }
                )
            };
            match &s.example {
                Some(e) => format!("{whose}, e.g. {e}"),
                None => whose,
            }
        })
        .collect();
    let mut snippet = Snippet::source(draft).line_start(1).path(path);
    for (span, label) in report.spans.iter().zip(&labels) {
        snippet = snippet.annotation(
            AnnotationKind::Primary
                .span(span.bytes.clone())
                .label(label),
        );
    }
    // With a template, show which parts of the draft filled its slots.
    let slot_labels: Vec<(std::ops::Range<usize>, String)> = if report.template.is_some() {
        cannery::tokenize(draft)
            .iter()
            .filter_map(|t| {
                t.slot()
                    .map(|s| (t.range(), format!("fills {}", s.placeholder())))
            })
            .collect()
    } else {
        Vec::new()
    };
    for (range, label) in &slot_labels {
        snippet = snippet.annotation(AnnotationKind::Context.span(range.clone()).label(label));
    }
    let mut notes = Vec::new();
    if let Some(t) = &report.template {
        notes.push(format!(
            "template #{} ({} past {}, {:.2} similar): {}",
            t.id,
            t.count,
            if t.count == 1 { "reply" } else { "replies" },
            t.similarity,
            t.text
        ));
    }
    if let Some(n) = report.nearest.first() {
        notes.push(format!(
            "nearest past reply {} ({:.2} similar; {} {} in the corpus): {:?}",
            n.id,
            n.similarity,
            n.count,
            if n.count == 1 { "copy" } else { "copies" },
            n.text
        ));
    }
    if report.truncated {
        notes.push(format!(
            "only the first {} bytes were scored",
            cannery::MAX_INPUT_BYTES
        ));
    }
    let mut group = level.primary_title(title).element(snippet);
    for note in &notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    let report_groups: Vec<Group<'_>> = vec![group];
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&report_groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_columns_count_utf16_units() {
        let d = "a😀b\ncd";
        assert_eq!(line_column(d, 0), (1, 1));
        assert_eq!(line_column(d, 5), (1, 4)); // after the emoji: 1 + 2 units
        assert_eq!(line_column(d, 7), (2, 1));
        assert_eq!(line_column(d, d.len()), (2, 3));
    }
}
