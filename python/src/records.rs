//! Rows in from Python: replies from an iterable of mappings or a DataFrame, and the cells of a
//! column (a missing value being `None`, NaN, `pd.NA` or `NaT`).

use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt, PyString};

use crate::error::invalid;

/// A reply read from Python, owning its strings.
pub struct OwnedReply {
    pub id: String,
    pub text: String,
    pub group: Option<String>,
    pub message: Option<String>,
    pub time: Option<i64>,
}

impl OwnedReply {
    /// The crate's reply, borrowing from this one.
    pub fn reply(&self) -> cannery::Reply<'_> {
        let mut reply = cannery::Reply::new(&self.id, &self.text);
        if let Some(g) = &self.group {
            reply = reply.group(g);
        }
        if let Some(m) = &self.message {
            reply = reply.message(m);
        }
        if let Some(t) = self.time {
            reply = reply.time(t);
        }
        reply
    }
}

/// The names of the fields a reply is read from; `None` reads no such field.
pub struct Fields<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub group: Option<&'a str>,
    pub message: Option<&'a str>,
    pub time: Option<&'a str>,
}

/// Whether `obj` is a missing value: `None`, a float NaN, pandas' `NA` or `NaT`.
pub fn is_missing(obj: &Bound<'_, PyAny>) -> bool {
    if obj.is_none() {
        return true;
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return f.value().is_nan();
    }
    matches!(
        obj.get_type().name().map(|n| n.to_string()).as_deref(),
        Ok("NAType") | Ok("NaTType")
    )
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_string(), |n| n.to_string())
}

/// A text cell: a string, or `None` when missing; anything else is an error naming `field`.
pub fn text_cell(obj: &Bound<'_, PyAny>, field: &str) -> Result<Option<String>, String> {
    if is_missing(obj) {
        return Ok(None);
    }
    match obj.cast::<PyString>() {
        Ok(s) => s
            .to_cow()
            .map(|s| Some(s.into_owned()))
            .map_err(|_| format!("{field} is not valid Unicode (a lone surrogate)")),
        Err(_) => Err(format!("{field} is a {}, not a string", type_name(obj))),
    }
}

/// An id cell: a string or an integer (written in decimal), or `None` when missing.
pub fn id_cell(obj: &Bound<'_, PyAny>, field: &str) -> Result<Option<String>, String> {
    if obj.cast::<PyInt>().is_ok() {
        return Ok(Some(obj.str().map_err(|e| e.to_string())?.to_string()));
    }
    text_cell(obj, field)
}

/// A time cell: seconds since the Unix epoch (an integer or a float), or anything with a
/// `timestamp()` method (`datetime`, pandas' `Timestamp`); `None` when missing.
pub fn time_cell(obj: &Bound<'_, PyAny>, field: &str) -> Result<Option<i64>, String> {
    if is_missing(obj) {
        return Ok(None);
    }
    let seconds = if let Ok(i) = obj.extract::<i64>() {
        return Ok(Some(i));
    } else if let Ok(f) = obj.extract::<f64>() {
        f
    } else if obj.hasattr("timestamp").unwrap_or(false) && !obj.is_instance_of::<PyString>() {
        obj.call_method0("timestamp")
            .and_then(|t| t.extract::<f64>())
            .map_err(|e| format!("{field}: {e}"))?
    } else {
        return Err(format!(
            "{field} is a {}, not seconds since the epoch or a datetime",
            type_name(obj)
        ));
    };
    if !seconds.is_finite() {
        return Err(format!("{field} is not a finite number of seconds"));
    }
    Ok(Some(seconds.floor() as i64))
}

/// Whether `obj` looks like a pandas (or polars-like) DataFrame: it has `columns`.
pub fn is_frame(obj: &Bound<'_, PyAny>) -> bool {
    obj.hasattr("columns").unwrap_or(false) && !obj.is_instance_of::<pyo3::types::PyDict>()
}

/// The cells of column `name` of a DataFrame, or `None` when it has no such column.
pub fn frame_column<'py>(
    frame: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    let columns = frame.getattr("columns")?;
    if !columns.contains(name)? {
        return Ok(None);
    }
    let column = frame.get_item(name)?;
    let list = column.call_method0("tolist")?;
    Ok(Some(list.try_iter()?.collect::<PyResult<Vec<_>>>()?))
}

/// A DataFrame column that must exist: an `invalid_input` error naming it and the columns the
/// frame has otherwise.
pub fn required_column<'py>(
    frame: &Bound<'py, PyAny>,
    name: &str,
    what: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    match frame_column(frame, name)? {
        Some(cells) => Ok(cells),
        None => {
            let have: Vec<String> = frame
                .getattr("columns")?
                .try_iter()?
                .map(|c| c.and_then(|c| c.str().map(|s| s.to_string())))
                .collect::<PyResult<_>>()?;
            Err(invalid(format!(
                "the frame has no {what} column {name:?} (its columns: {})",
                have.join(", ")
            )))
        }
    }
}

/// The replies of `source`: a DataFrame (its columns named by `fields`) or an iterable of
/// mappings (dicts). A row without an id or a text, or with a cell of the wrong type, is an
/// error naming the row (its position, from 0) and the field.
pub fn replies(source: &Bound<'_, PyAny>, fields: &Fields<'_>) -> PyResult<Vec<OwnedReply>> {
    if is_frame(source) {
        return frame_replies(source, fields);
    }
    let mut out = Vec::new();
    let iter = source.try_iter().map_err(|_| {
        invalid(format!(
            "replies must be a DataFrame or an iterable of dicts, not a {}",
            type_name(source)
        ))
    })?;
    for (n, item) in iter.enumerate() {
        let item = item?;
        if !item.hasattr("get").unwrap_or(false) || item.is_instance_of::<PyString>() {
            return Err(invalid(format!(
                "reply {n} is a {}, not a mapping (a dict with {:?} and {:?})",
                type_name(&item),
                fields.id,
                fields.text
            )));
        }
        let get = |name: Option<&str>| -> PyResult<Option<Bound<'_, PyAny>>> {
            match name {
                None => Ok(None),
                Some(name) => item.call_method1("get", (name,)).map(Some),
            }
        };
        let cells = [
            get(Some(fields.id))?,
            get(Some(fields.text))?,
            get(fields.group)?,
            get(fields.message)?,
            get(fields.time)?,
        ];
        out.push(reply_of(n, &cells, fields)?);
    }
    Ok(out)
}

fn frame_replies(frame: &Bound<'_, PyAny>, fields: &Fields<'_>) -> PyResult<Vec<OwnedReply>> {
    let ids = required_column(frame, fields.id, "id")?;
    let texts = required_column(frame, fields.text, "text")?;
    let optional = |name: Option<&str>| -> PyResult<Option<Vec<Bound<'_, PyAny>>>> {
        match name {
            None => Ok(None),
            Some(name) => frame_column(frame, name),
        }
    };
    let groups = optional(fields.group)?;
    let messages = optional(fields.message)?;
    let times = optional(fields.time)?;
    fn cell<'py>(column: &Option<Vec<Bound<'py, PyAny>>>, n: usize) -> Option<Bound<'py, PyAny>> {
        column.as_ref().map(|c| c[n].clone())
    }
    let mut out = Vec::with_capacity(ids.len());
    for n in 0..ids.len() {
        let cells = [
            Some(ids[n].clone()),
            Some(texts[n].clone()),
            cell(&groups, n),
            cell(&messages, n),
            cell(&times, n),
        ];
        out.push(reply_of(n, &cells, fields)?);
    }
    Ok(out)
}

/// One reply from its cells (id, text, group, message, time; `None` for a field not read).
fn reply_of(
    n: usize,
    cells: &[Option<Bound<'_, PyAny>>; 5],
    fields: &Fields<'_>,
) -> PyResult<OwnedReply> {
    let bad = |e: String| invalid(format!("reply {n}: {e}"));
    let opt_text = |cell: &Option<Bound<'_, PyAny>>, field: Option<&str>| match (cell, field) {
        (Some(c), Some(f)) => text_cell(c, f),
        _ => Ok(None),
    };
    let id = match &cells[0] {
        Some(c) => id_cell(c, fields.id).map_err(bad)?,
        None => None,
    }
    .ok_or_else(|| invalid(format!("reply {n} has no id (field {:?})", fields.id)))?;
    let text = opt_text(&cells[1], Some(fields.text))
        .map_err(bad)?
        .ok_or_else(|| {
            invalid(format!(
                "reply {n} (id {id:?}) has no text (field {:?})",
                fields.text
            ))
        })?;
    let group = opt_text(&cells[2], fields.group).map_err(bad)?;
    let message = opt_text(&cells[3], fields.message).map_err(bad)?;
    let time = match (&cells[4], fields.time) {
        (Some(c), Some(f)) => time_cell(c, f).map_err(bad)?,
        _ => None,
    };
    Ok(OwnedReply {
        id,
        text,
        group,
        message,
        time,
    })
}
