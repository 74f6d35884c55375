//! `cannery lint`: a report on one draft as human text with underlined spans, JSON or SARIF 2.1.0.

use std::borrow::Cow;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use cannery::{OffsetConverter, Report};
use serde_json::{json, Value};

/// SARIF rule ids, stable across versions.
pub const RULE_CANNED: &str = "cannery/canned-reply";
pub const RULE_SPAN: &str = "cannery/boilerplate-span";
pub const RULE_UNJUDGED: &str = "cannery/unjudged-language";
pub const RULE_ALLOWED: &str = "cannery/allowed-phrase";

/// Which findings are reported (`[rules]` of `cannery.toml`; all by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A draft at or above `fail-at` is a finding (and fails the call).
    pub canned_reply: bool,
    /// Each boilerplate span is a note.
    pub boilerplate_span: bool,
    /// A draft that cannot be judged (its language) is a warning.
    pub unjudged_language: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            canned_reply: true,
            boilerplate_span: true,
            unjudged_language: true,
        }
    }
}

impl Rules {
    /// Whether `report` fails: canned at or above `fail_at`, the rule on.
    pub fn fails(&self, report: &Report, fail_at: f64) -> bool {
        self.canned_reply && report.canned >= fail_at
    }

    /// `report` as the rules show it: without its spans when `boilerplate-span` is off.
    fn view<'r>(&self, report: &'r Report) -> Cow<'r, Report> {
        if self.boilerplate_span || report.spans.is_empty() {
            Cow::Borrowed(report)
        } else {
            let mut shown = report.clone();
            shown.spans.clear();
            Cow::Owned(shown)
        }
    }

    /// Why `report` cannot be judged, when it cannot and the rule is on.
    fn unjudged(&self, report: &Report) -> Option<String> {
        unjudged(report).filter(|_| self.unjudged_language)
    }
}

/// The report as one JSON object (`canned`, `personalisation`, `verdict`, `mode`, `language`,
/// `spans`, `allowed`, `nearest`, `neighbours`, `template`, `signals`, `truncated`, `fail_at`,
/// `fails`); `fails` as the rules say.
pub fn json(draft: &str, report: &Report, fail_at: f64, rules: &Rules) -> Value {
    let range = |s: &cannery::Span| {
        json!({
            "byte_start": s.bytes.start, "byte_end": s.bytes.end,
            "char_start": s.chars.start, "char_end": s.chars.end,
            "utf16_start": s.utf16.start, "utf16_end": s.utf16.end,
            "text": &draft[s.bytes.clone()],
        })
    };
    let fails = rules.fails(report, fail_at);
    let report = &*rules.view(report);
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
        "mode": report.mode.as_str(),
        "language": report.language.map(cannery::Language::code),
        "fail_at": fail_at,
        "fails": fails,
        "spans": spans,
        "allowed": report.allowed.iter().map(range).collect::<Vec<_>>(),
        "nearest": report.nearest.first().map(neighbour),
        "neighbours": report.nearest.iter().map(neighbour).collect::<Vec<_>>(),
        "template": report.template.as_ref().map(|t| json!({
            "id": t.id, "text": t.text, "similarity": t.similarity, "count": t.count,
        })),
        "signals": report.signals,
        "truncated": report.truncated,
    })
}

/// One draft linted: its text, its name in the output, its report.
pub struct Linted<'a> {
    /// The draft's text.
    pub draft: &'a str,
    /// Its name (a path, `draft`, `stdin`, a JSON line's id).
    pub path: &'a str,
    /// Its report.
    pub report: &'a Report,
}

/// The SARIF results of one draft, the `index`th artifact of the log.
fn sarif_results(
    item: &Linted<'_>,
    uri: &str,
    index: usize,
    fail_at: f64,
    rules: &Rules,
) -> Vec<Value> {
    let draft = item.draft;
    let report = &*rules.view(item.report);
    let conv = OffsetConverter::new(draft);
    let bom = if draft.starts_with('\u{feff}') { 3 } else { 0 };
    let location = |bytes: std::ops::Range<usize>| {
        json!([{"physicalLocation": {
            "artifactLocation": {"uri": uri, "index": index},
            "region": region(draft, &conv, bom, bytes),
        }}])
    };
    let mut results = Vec::new();
    if rules.fails(report, fail_at) {
        results.push(json!({
            "ruleId": RULE_CANNED, "ruleIndex": 0, "level": "warning",
            "message": {"text": format!(
                "{} reply: canned {:.2} (fails at {:.2}), personalisation {:.2}",
                report.verdict, report.canned, fail_at, report.personalisation)},
            "locations": location(0..draft.len()),
            "properties": {"canned": report.canned, "personalisation": report.personalisation,
                           "verdict": report.verdict.as_str(), "mode": report.mode.as_str()},
        }));
    }
    if let Some(why) = rules.unjudged(report) {
        results.push(json!({
            "ruleId": RULE_UNJUDGED, "ruleIndex": 2, "level": "warning",
            "message": {"text": why},
            "locations": location(0..draft.len()),
            "properties": {"language": report.language.map(cannery::Language::code),
                           "canned": report.canned, "personalisation": report.personalisation},
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
    for span in &report.allowed {
        results.push(json!({
            "ruleId": RULE_ALLOWED, "ruleIndex": 3, "kind": "informational", "level": "none",
            "message": {"text": "allowed boilerplate (cannery.toml [allowed]): not counted"},
            "locations": location(span.bytes.clone()),
            "properties": {"allowed": true},
        }));
    }
    results
}

/// 1-based line and column (in UTF-16 code units, SARIF's default column kind) of a byte offset.
fn line_column(draft: &str, byte: usize) -> (usize, usize) {
    let before = &draft[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = draft[line_start..byte].encode_utf16().count() + 1;
    (line, column)
}

/// A SARIF region of `bytes` in a draft that starts with a byte order mark of `bom` bytes.
///
/// SARIF (§3.30.2) counts no byte order mark in a text region's lines, columns and character
/// offsets: they are taken in the text after it. The binary region (`byteOffset`,
/// `byteLength`) addresses the artifact's bytes, the mark included.
fn region(
    draft: &str,
    conv: &OffsetConverter<'_>,
    bom: usize,
    bytes: std::ops::Range<usize>,
) -> Value {
    let text = &draft[bom..];
    let start = bytes.start.max(bom);
    let end = bytes.end.max(start);
    let (start_line, start_column) = line_column(text, start - bom);
    let (end_line, end_column) = line_column(text, end - bom);
    let utf16_bom = conv.utf16_offset(bom);
    let utf16_start = conv.utf16_offset(start);
    json!({
        "startLine": start_line, "startColumn": start_column,
        "endLine": end_line, "endColumn": end_column,
        "charOffset": utf16_start - utf16_bom,
        "charLength": conv.utf16_offset(end) - utf16_start,
        "byteOffset": bytes.start, "byteLength": bytes.end - bytes.start,
    })
}

/// Characters a URI reference cannot hold as they are (RFC 3986): controls, space, the
/// delimiters and `:` (which would make a relative path's first segment a scheme).
const URI_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A file path as a SARIF artifact URI: a relative reference for a relative path, a `file:`
/// URI for an absolute one, each segment percent-encoded (non-ASCII as its UTF-8 bytes).
pub fn artifact_uri(path: &str) -> String {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let encoded: Vec<String> = path
        .split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, URI_ESCAPED).to_string())
        .collect();
    let encoded = encoded.join("/");
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// The reports as one SARIF 2.1.0 log: an artifact a draft, in order; a `canned-reply` result
/// for each draft that fails, an `unjudged-language` one for each that cannot be judged, and a
/// `boilerplate-span` note for each span. A draft's path names its artifact (`draft` and
/// `stdin` stand for text that has no file).
pub fn sarif(linted: &[Linted<'_>], fail_at: f64, rules: &Rules) -> Value {
    let mut results = Vec::new();
    let mut artifacts = Vec::new();
    for (index, item) in linted.iter().enumerate() {
        let uri = artifact_uri(item.path);
        artifacts.push(json!({"location": {"uri": uri}, "length": item.draft.len()}));
        results.extend(sarif_results(item, &uri, index, fail_at, rules));
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
                    {"id": RULE_UNJUDGED, "name": "UnjudgedLanguage",
                     "shortDescription": {"text": "The reply is in a language with no built-in stock corpus, and the index holds nothing like it: it cannot be judged."},
                     "defaultConfiguration": {"level": "warning"}},
                    {"id": RULE_ALLOWED, "name": "AllowedPhrase",
                     "shortDescription": {"text": "Boilerplate the brand allows or requires (cannery.toml [allowed]): never a finding, not counted towards canned."},
                     "defaultConfiguration": {"level": "none"}},
                ],
            }},
            "artifacts": artifacts,
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

/// The most spans (and slot fills) a human report marks; the rest are counted.
const SHOWN_SPANS: usize = 10;
/// The longest draft a human report shows whole, underlined; a longer one is summarised, its
/// first spans listed by line and column.
const SHOWN_DRAFT_BYTES: usize = 2048;
/// The most characters of a quoted text (a span, a template, a past reply) a human report shows.
const QUOTED_CHARS: usize = 200;

/// `text` cut to `max` characters, with an ellipsis when it was longer.
fn elide(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!("{}...", &text[..at])),
    }
}

/// The report for a person: the verdict and scores as a title, the draft with its boilerplate
/// spans underlined and labelled (or, for a long draft, its first spans listed by line and
/// column), and the template and the nearest past reply. Its size is bounded whatever the
/// draft: at most [`SHOWN_SPANS`] spans are marked, and quoted texts are cut.
pub fn human(
    draft: &str,
    path: &str,
    report: &Report,
    fail_at: f64,
    color: bool,
    rules: &Rules,
) -> String {
    let fails = rules.fails(report, fail_at);
    let report = &*rules.view(report);
    let level = if fails || rules.unjudged(report).is_some() {
        Level::WARNING
    } else {
        Level::NOTE
    };
    let labels = span_labels(report);
    let whole = draft.len() <= SHOWN_DRAFT_BYTES;
    let mut notes = Vec::new();
    // With a template, show which parts of the draft filled its slots.
    let slot_labels = if whole && report.template.is_some() {
        slot_labels(draft)
    } else {
        Vec::new()
    };
    let mut group = Group::with_title(level.primary_title(title(report, fail_at, fails)));
    if whole {
        let mut snippet = Snippet::source(draft).line_start(1).path(path);
        for (span, label) in report.spans.iter().zip(&labels) {
            snippet = snippet.annotation(
                AnnotationKind::Primary
                    .span(span.bytes.clone())
                    .label(label),
            );
        }
        for (range, label) in &slot_labels {
            snippet = snippet.annotation(AnnotationKind::Context.span(range.clone()).label(label));
        }
        group = group.element(snippet);
    } else {
        notes.extend(listed_spans(draft, path, report, &labels));
    }
    notes.extend(closing_notes(report, rules));
    for span in &report.allowed {
        notes.push(format!(
            "allowed boilerplate, not counted: {:?}",
            elide(&draft[span.bytes.clone()], QUOTED_CHARS)
        ));
    }
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

/// The title: the verdict, the scores, and the threshold a failing draft reached.
fn title(report: &Report, fail_at: f64, fails: bool) -> String {
    format!(
        "{} reply: canned {:.2}{}, personalisation {:.2}",
        report.verdict,
        report.canned,
        if fails {
            format!(" (fails at {fail_at:.2})")
        } else {
            String::new()
        },
        report.personalisation
    )
}

/// Why the report is no judgement, for a draft cannery cannot judge (`Verdict::Unjudged`).
fn unjudged(report: &Report) -> Option<String> {
    (report.verdict == cannery::Verdict::Unjudged).then(|| {
        let language = report
            .language
            .map_or("an unknown language".to_string(), |l| {
                format!("{} ({})", l.name(), l.code())
            });
        format!(
            "not judged: the draft reads as {language}, which has no built-in stock corpus, and the index holds no reply like it; index the brand's replies in it (--corpus, --index) to judge such drafts"
        )
    })
}

/// The label of each of the first [`SHOWN_SPANS`] spans: whose phrasing it is, and an example.
fn span_labels(report: &Report) -> Vec<String> {
    report
        .spans
        .iter()
        .take(SHOWN_SPANS)
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
        .collect()
}

/// The parts of the draft that fill a template's slots, each with the slot it fills.
fn slot_labels(draft: &str) -> Vec<(std::ops::Range<usize>, String)> {
    cannery::tokenize(draft)
        .iter()
        .filter_map(|t| {
            t.slot()
                .map(|s| (t.range(), format!("fills {}", s.placeholder())))
        })
        .take(SHOWN_SPANS)
        .collect()
}

/// A long draft's first spans, listed by line and column (in characters, as an editor counts
/// them) instead of marked in the draft.
fn listed_spans(draft: &str, path: &str, report: &Report, labels: &[String]) -> Vec<String> {
    let mut notes = vec![format!(
        "{path}: {} bytes; the first spans are listed (--format json gives every span with its offsets)",
        draft.len()
    )];
    for (span, label) in report.spans.iter().zip(labels) {
        let before = &draft[..span.bytes.start];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        notes.push(format!(
            "{path}:{line}:{column}: {label}: {:?}",
            elide(&draft[span.bytes.clone()], 80)
        ));
    }
    notes
}

/// The notes after the draft: spans not marked, the template, the nearest past reply, and a
/// draft scored in part.
fn closing_notes(report: &Report, rules: &Rules) -> Vec<String> {
    let mut notes = Vec::new();
    notes.extend(rules.unjudged(report));
    if report.spans.len() > SHOWN_SPANS {
        notes.push(format!(
            "{} more boilerplate spans are not marked (--format json lists them all)",
            report.spans.len() - SHOWN_SPANS
        ));
    }
    if let Some(t) = &report.template {
        notes.push(format!(
            "template #{} ({} past {}, {:.2} similar): {}",
            t.id,
            t.count,
            if t.count == 1 { "reply" } else { "replies" },
            t.similarity,
            elide(&t.text, QUOTED_CHARS)
        ));
    }
    if let Some(n) = report.nearest.first() {
        notes.push(format!(
            "nearest past reply {} ({:.2} similar; {} {} in the corpus): {:?}",
            n.id,
            n.similarity,
            n.count,
            if n.count == 1 { "copy" } else { "copies" },
            elide(&n.text, QUOTED_CHARS)
        ));
    }
    if report.truncated {
        notes.push(format!(
            "only the first {} bytes were scored",
            cannery::MAX_INPUT_BYTES
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_uri_references() {
        let cases = [
            ("draft.txt", "draft.txt"),
            ("my drafts/reply #2.txt", "my%20drafts/reply%20%232.txt"),
            ("/tmp/a b/c?.txt", "file:///tmp/a%20b/c%3F.txt"),
            ("c:draft.txt", "c%3Adraft.txt"),
            ("réponse 100%.txt", "r%C3%A9ponse%20100%25.txt"),
            ("stdin", "stdin"),
        ];
        for (path, uri) in cases {
            assert_eq!(artifact_uri(path), uri, "{path}");
        }
    }

    #[test]
    fn line_columns_count_utf16_units() {
        let d = "a😀b\ncd";
        assert_eq!(line_column(d, 0), (1, 1));
        assert_eq!(line_column(d, 5), (1, 4)); // after the emoji: 1 + 2 units
        assert_eq!(line_column(d, 7), (2, 1));
        assert_eq!(line_column(d, d.len()), (2, 3));
    }
}
