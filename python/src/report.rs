//! Reports out to Python: one report as a dict, many as the columns of a DataFrame; spans in
//! Python string offsets (code points).

use cannery::Report;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The outcome of one scored row: its report and whether its own reply was left out, or why
/// it could not be scored.
pub type Outcome = Result<(Report, bool), String>;

/// `report` of `text` as a dict (the keys are documented on `Index.score`).
pub fn to_dict<'py>(
    py: Python<'py>,
    text: &str,
    report: &Report,
    left_out: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("canned", report.canned)?;
    d.set_item("personalisation", report.personalisation)?;
    d.set_item("verdict", report.verdict.as_str())?;
    d.set_item("language", report.language.map(|l| l.code()))?;
    d.set_item("mode", report.mode.as_str())?;
    let spans = PyList::empty(py);
    for s in &report.spans {
        let span = PyDict::new(py);
        span.set_item("start", s.chars.start)?;
        span.set_item("end", s.chars.end)?;
        span.set_item("text", &text[s.bytes.clone()])?;
        span.set_item("support", s.support)?;
        span.set_item("stock", s.stock)?;
        span.set_item("example", s.example.as_deref())?;
        spans.append(span)?;
    }
    d.set_item("spans", spans)?;
    let nearest = PyList::empty(py);
    for n in &report.nearest {
        let near = PyDict::new(py);
        near.set_item("id", &n.id)?;
        near.set_item("similarity", n.similarity)?;
        near.set_item("count", n.count)?;
        near.set_item("text", &n.text)?;
        nearest.append(near)?;
    }
    d.set_item("nearest", nearest)?;
    match &report.template {
        Some(t) => {
            let template = PyDict::new(py);
            template.set_item("id", t.id)?;
            template.set_item("text", &t.text)?;
            template.set_item("similarity", t.similarity)?;
            template.set_item("count", t.count)?;
            template.set_item("name", t.name.as_deref())?;
            d.set_item("template", template)?;
        }
        None => d.set_item("template", py.None())?,
    }
    d.set_item("truncated", report.truncated)?;
    d.set_item("left_out", left_out)?;
    d.set_item("signals", pythonize::pythonize(py, &report.signals)?)?;
    Ok(d)
}

/// Many outcomes as columns (a dict of lists), in the order of `outcomes`: the columns of
/// `Index.score_frame`.
pub fn to_columns<'py>(py: Python<'py>, outcomes: &[Outcome]) -> PyResult<Bound<'py, PyDict>> {
    let len = outcomes.len();
    let mut canned = Vec::with_capacity(len);
    let mut personalisation = Vec::with_capacity(len);
    let mut verdict = Vec::with_capacity(len);
    let mut language = Vec::with_capacity(len);
    let mut template = Vec::with_capacity(len);
    let mut template_text = Vec::with_capacity(len);
    let mut nearest_id = Vec::with_capacity(len);
    let mut nearest_similarity = Vec::with_capacity(len);
    let mut spans = Vec::with_capacity(len);
    let mut left_out = Vec::with_capacity(len);
    let mut error = Vec::with_capacity(len);
    for outcome in outcomes {
        match outcome {
            Ok((r, out)) => {
                canned.push(r.canned);
                personalisation.push(r.personalisation);
                verdict.push(Some(r.verdict.as_str()));
                language.push(r.language.map(|l| l.code()));
                template.push(r.template.as_ref().map(|t| t.id));
                template_text.push(r.template.as_ref().map(|t| t.text.as_str()));
                let near = r.nearest.first();
                nearest_id.push(near.map(|n| n.id.as_str()));
                nearest_similarity.push(near.map_or(f64::NAN, |n| n.similarity));
                let list: Vec<(usize, usize)> = r
                    .spans
                    .iter()
                    .map(|s| (s.chars.start, s.chars.end))
                    .collect();
                spans.push(Some(list));
                left_out.push(*out);
                error.push(None);
            }
            Err(e) => {
                canned.push(f64::NAN);
                personalisation.push(f64::NAN);
                verdict.push(None);
                language.push(None);
                template.push(None);
                template_text.push(None);
                nearest_id.push(None);
                nearest_similarity.push(f64::NAN);
                spans.push(None);
                left_out.push(false);
                error.push(Some(e.as_str()));
            }
        }
    }
    let d = PyDict::new(py);
    d.set_item("canned", canned)?;
    d.set_item("personalisation", personalisation)?;
    d.set_item("verdict", verdict)?;
    d.set_item("language", language)?;
    d.set_item("template", template)?;
    d.set_item("template_text", template_text)?;
    d.set_item("nearest_id", nearest_id)?;
    d.set_item("nearest_similarity", nearest_similarity)?;
    d.set_item("spans", spans)?;
    d.set_item("left_out", left_out)?;
    d.set_item("error", error)?;
    Ok(d)
}
