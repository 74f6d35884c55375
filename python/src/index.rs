//! `cannery.Index`: the crate's index behind a lock, built from Python rows, scored one draft
//! at a time or in parallel batches with the GIL released.

use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};

use cannery::{Context, Index, IndexBuilder};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use rayon::prelude::*;

use crate::error::{from_cannery, invalid};
use crate::records::{self, Fields};
use crate::report::{self, Outcome};

/// An index of a brand's past replies (and, by default, cannery's built-in stock corpus) to
/// score drafts against.
///
/// Build it from an iterable of dicts or a pandas DataFrame (`Index(rows)`), load it from a
/// file written by `cannery index` or `Index.save` (`Index.load(path)`), or start from the
/// stock corpus alone (`Index.stock()`). It is safe to share between threads: scoring works on
/// a snapshot and releases the GIL; `insert` and `merge` update it in place. Pickling sends
/// its bytes (as `to_bytes`).
///
/// >>> import cannery
/// >>> index = cannery.Index([
/// ...     {"id": "1", "text": "@1 Please DM us your order number. ^JK", "brand": "Acme"},
/// ...     {"id": "2", "text": "@2 Please DM us your order number. -Al", "brand": "Acme"},
/// ... ])
/// >>> index.score("@3 Please DM us your order number. ~Bo")["verdict"]
/// 'canned'
#[pyclass(name = "Index", module = "cannery", frozen)]
pub struct PyIndex {
    index: RwLock<Index>,
}

/// One row to score, owning its cells; `text` is the reason it cannot be scored, if any.
struct Row {
    text: Result<String, String>,
    message: Option<String>,
    name: Option<String>,
    group: Option<String>,
    id: Option<String>,
}

impl PyIndex {
    fn wrap(index: Index) -> Self {
        PyIndex {
            index: RwLock::new(index),
        }
    }

    /// A snapshot to score on: a clone (a few pointers), taken under the read lock.
    fn snapshot(&self) -> Index {
        self.index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl PyIndex {
    /// Builds an index of `replies`: a pandas DataFrame, or an iterable of dicts.
    ///
    /// `id`, `text`, `group`, `message` and `time` name the fields (columns or keys) read;
    /// the defaults are those of the `cannery` command (`brand` for the group, the customer's
    /// message in `in_reply_to_text`). `group`, `message` and `time` may be `None` (not read) or
    /// absent from a row. An id is a string or an integer; a time is seconds since the epoch or
    /// a `datetime`/`Timestamp`. A row without an id or a text raises `CanneryError` naming it.
    /// `stock_corpus=False` leaves out the built-in stock replies; `threads` tokenizes on that
    /// many threads (the index is the same whatever the number).
    #[new]
    #[pyo3(signature = (replies=None, *, id="id", text="text", group=Some("brand"),
        message=Some("in_reply_to_text"), time=None, stock_corpus=true, threads=1))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        replies: Option<&Bound<'_, PyAny>>,
        id: &str,
        text: &str,
        group: Option<&str>,
        message: Option<&str>,
        time: Option<&str>,
        stock_corpus: bool,
        threads: usize,
    ) -> PyResult<Self> {
        let fields = Fields {
            id,
            text,
            group,
            message,
            time,
        };
        let rows = match replies {
            Some(source) => records::replies(source, &fields)?,
            None => Vec::new(),
        };
        let mut builder = IndexBuilder::new();
        builder.stock_corpus(stock_corpus).threads(threads.max(1));
        let index = py.detach(|| builder.build(rows.iter().map(|r| r.reply())));
        Ok(PyIndex::wrap(index))
    }

    /// The index of cannery's built-in stock corpus alone (stock customer-service replies in
    /// nine languages): what `cannery lint` uses with no archive.
    #[staticmethod]
    fn stock() -> Self {
        PyIndex::wrap(Index::stock())
    }

    /// Loads an index file written by `Index.save` or `cannery index`. A missing, truncated,
    /// corrupted, foreign or newer-version file raises `CanneryError` saying which.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| Index::load(&path))
            .map(PyIndex::wrap)
            .map_err(from_cannery)
    }

    /// The index from the bytes of `to_bytes` (or of an index file).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        py.detach(|| Index::from_bytes(data))
            .map(PyIndex::wrap)
            .map_err(from_cannery)
    }

    /// Saves the index to `path` atomically (a temporary file renamed into place), in the
    /// format `cannery` reads with `--index`.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let index = self.snapshot();
        py.detach(|| index.save(&path)).map_err(from_cannery)
    }

    /// The index in cannery's binary format (what `save` writes).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let index = self.snapshot();
        let bytes = py.detach(|| index.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Pickling: the index travels as its bytes.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_bytes = py.get_type::<PyIndex>().getattr("from_bytes")?;
        let args = PyTuple::new(py, [self.to_bytes(py)])?;
        PyTuple::new(py, [from_bytes.into_any(), args.into_any()])
    }

    /// The number of replies in the index (the stock corpus's included).
    fn __len__(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether the index holds a reply with this id.
    fn __contains__(&self, id: &str) -> bool {
        self.snapshot().contains_id(id)
    }

    fn __repr__(&self) -> String {
        let index = self.snapshot();
        format!(
            "<cannery.Index of {} replies ({} distinct)>",
            index.len(),
            index.distinct_len()
        )
    }

    /// The ids of the replies, in the order they were added.
    fn ids(&self) -> Vec<String> {
        self.snapshot().ids().map(str::to_string).collect()
    }

    /// The verdict thresholds: `(canned_at, personal_at)`.
    #[getter]
    fn verdict_thresholds(&self) -> (f64, f64) {
        let index = self.snapshot();
        (index.config().canned_at, index.config().personal_at)
    }

    /// Sets the verdict thresholds: `canned` at or above `canned_at` is canned; `personalisation`
    /// at or above `personal_at` (and not canned) is personal; the rest templated.
    fn set_verdict_thresholds(&self, canned_at: f64, personal_at: f64) {
        self.write().set_verdict_thresholds(canned_at, personal_at);
    }

    /// Adds one reply (a reply just sent), so that the next draft scored sees it. The mined
    /// templates are updated for it.
    #[pyo3(signature = (id, text, *, group=None, message=None, time=None))]
    fn insert(
        &self,
        py: Python<'_>,
        id: &str,
        text: &str,
        group: Option<&str>,
        message: Option<&str>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let time = match time {
            Some(t) => records::time_cell(t, "time").map_err(invalid)?,
            None => None,
        };
        let reply = records::OwnedReply {
            id: id.to_string(),
            text: text.to_string(),
            group: group.map(str::to_string),
            message: message.map(str::to_string),
            time,
        };
        py.detach(|| self.write().insert(reply.reply()));
        Ok(())
    }

    /// Appends the replies of `other` (a shard built alike: both with the stock corpus, or both
    /// without it), as `cannery merge` does: the result is the index of both shards' replies in
    /// this order. Raises `CanneryError` when the two were built with different settings.
    fn merge(&self, py: Python<'_>, other: &PyIndex) -> PyResult<()> {
        let other = other.snapshot();
        py.detach(|| self.write().merge(&other))
            .map_err(from_cannery)
    }

    /// The mined templates (families of near-identical replies used by at least `min_support`
    /// replies, stock replies not counted), most used first, as dicts with `id` (the rank),
    /// `text`, `count`, `share`, `variants`, `examples` (reply ids), `groups` (a list of
    /// `(group, count)`), `name` (a helpdesk macro's title), `first_seen` and `last_seen`.
    #[pyo3(signature = (min_support=2))]
    fn templates<'py>(&self, py: Python<'py>, min_support: u32) -> PyResult<Bound<'py, PyList>> {
        let index = self.snapshot();
        let templates = py.detach(|| index.templates(min_support));
        let list = PyList::empty(py);
        for t in templates {
            let d = PyDict::new(py);
            d.set_item("id", t.id)?;
            d.set_item("text", t.text)?;
            d.set_item("count", t.count)?;
            d.set_item("share", t.share)?;
            d.set_item("variants", t.variants)?;
            d.set_item("examples", t.examples)?;
            d.set_item("groups", t.groups)?;
            d.set_item("name", t.name)?;
            d.set_item("first_seen", t.first_seen)?;
            d.set_item("last_seen", t.last_seen)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The template id (as in `templates(min_support)`) of each reply, in the order of `ids()`;
    /// `None` for stock replies and replies of rarer families.
    #[pyo3(signature = (min_support=2))]
    fn template_ids(&self, py: Python<'_>, min_support: u32) -> Vec<Option<usize>> {
        let index = self.snapshot();
        py.detach(|| index.template_ids(min_support))
    }

    /// Scores one draft; returns a dict:
    ///
    /// - `canned` and `personalisation`: the scores, in [0, 1];
    /// - `verdict`: `"canned"`, `"templated"`, `"personal"` or `"unjudged"` (a language cannery
    ///   has no stock corpus for and nothing like it in the index);
    /// - `language`: the draft's ISO 639-1 code, or `None`; `mode`: `"lexical"`;
    /// - `spans`: the boilerplate spans, dicts with `start` and `end` (Python string offsets
    ///   into `text`: `text[start:end]`), `text`, `support` (replies sharing it), `stock` and
    ///   `example` (a reply id);
    /// - `nearest`: the nearest past replies, dicts with `id`, `similarity`, `count`, `text`;
    /// - `template`: the template it instantiates (`id`, `text`, `similarity`, `count`,
    ///   `name`) or `None`;
    /// - `truncated`, `left_out`, and `signals` (the measurements behind the scores).
    ///
    /// `message` is the customer's message the draft answers, `name` the customer's name;
    /// `group` scores it for one brand (tenant) alone; `exclude_id` leaves that reply out of
    /// the index (leave-one-out scoring of an archive member).
    #[pyo3(signature = (text, message=None, name=None, group=None, *, exclude_id=None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        message: Option<&str>,
        name: Option<&str>,
        group: Option<&str>,
        exclude_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let index = self.snapshot();
        let (report, left_out) = py.detach(|| {
            let mut ctx = Context::new();
            if let Some(m) = message {
                ctx = ctx.message(m);
            }
            if let Some(n) = name {
                ctx = ctx.name(n);
            }
            if let Some(g) = group {
                ctx = ctx.group(g);
            }
            match exclude_id {
                Some(id) => {
                    let scope = group.map(|g| index.scope(Some(g)));
                    let held = scope.as_ref().unwrap_or(&index).contains_id(id);
                    (index.score_excluding(text, &ctx, id), held)
                }
                None => (index.score(text, &ctx), false),
            }
        });
        report::to_dict(py, text, &report, left_out)
    }

    /// Scores many drafts in parallel (on `threads` threads, all cores by default) with the
    /// GIL released; returns one dict (as `score`'s) a draft, in order. A draft that is not a
    /// string raises `CanneryError` naming it.
    ///
    /// `messages`, `names`, `groups` and `ids` are lists as long as `texts` (or `None`). With
    /// `groups`, each draft is scored for its group alone (a draft whose group is `None`,
    /// against the replies without one), as `cannery score --scope-by-group`; with `ids` and
    /// `exclude_self=True`, a draft whose id is in the index is scored with that reply left
    /// out, as `cannery score --exclude-self`.
    #[pyo3(signature = (texts, messages=None, names=None, groups=None, ids=None, *,
        exclude_self=false, threads=0))]
    #[allow(clippy::too_many_arguments)]
    fn score_many<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        messages: Option<&Bound<'py, PyAny>>,
        names: Option<&Bound<'py, PyAny>>,
        groups: Option<&Bound<'py, PyAny>>,
        ids: Option<&Bound<'py, PyAny>>,
        exclude_self: bool,
        threads: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let cols = [Some(texts), messages, names, groups, ids].map(|c| {
            c.map(|c| c.try_iter()?.collect::<PyResult<Vec<_>>>())
                .transpose()
        });
        let [texts, messages, names, groups, ids] = cols;
        let columns = Columns {
            texts: texts?.unwrap_or_default(),
            messages: messages?,
            names: names?,
            groups: groups?,
            ids: ids?,
        };
        let rows = columns.rows("texts")?;
        if let Some((n, e)) = rows
            .iter()
            .enumerate()
            .find_map(|(n, r)| r.text.as_ref().err().map(|e| (n, e)))
        {
            return Err(invalid(format!("draft {n}: {e}")));
        }
        let scoped = columns.groups.is_some();
        let index = self.snapshot();
        let outcomes = py.detach(|| score_rows(&index, &rows, exclude_self, scoped, threads))?;
        let list = PyList::empty(py);
        for (row, outcome) in rows.iter().zip(&outcomes) {
            let (report, left_out) = outcome.as_ref().map_err(|e| invalid(e.clone()))?;
            let text = row.text.as_deref().unwrap_or_default();
            list.append(report::to_dict(py, text, report, *left_out)?)?;
        }
        Ok(list)
    }

    /// Scores the rows of a pandas DataFrame in parallel (GIL released) and returns a
    /// DataFrame with the same index and a row for each input row: `canned`,
    /// `personalisation`, `verdict`, `language`, `template` (its id; nullable integer),
    /// `template_text`, `nearest_id`, `nearest_similarity`, `spans` (a list of `(start, end)`
    /// Python string offsets into the text), `left_out` and `error`.
    ///
    /// `text` names the draft column; `message`, `name`, `id` and `group` the optional columns
    /// of the customer's message and name, the row's id and its group. With `group`, each row
    /// is scored for its group alone (as `cannery score --scope-by-group`); with `id` and
    /// `exclude_self=True`, a row whose id is in the index is scored leave-one-out (as
    /// `--exclude-self`). A row whose text is missing or not a string is not scored: its
    /// `error` says why and its scores are NaN; the other rows are scored.
    #[pyo3(signature = (frame, *, text="text", message=None, name=None, id=None, group=None,
        exclude_self=false, threads=0))]
    #[allow(clippy::too_many_arguments)]
    fn score_frame<'py>(
        &self,
        py: Python<'py>,
        frame: &Bound<'py, PyAny>,
        text: &str,
        message: Option<&str>,
        name: Option<&str>,
        id: Option<&str>,
        group: Option<&str>,
        exclude_self: bool,
        threads: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !records::is_frame(frame) {
            return Err(invalid(
                "score_frame takes a pandas DataFrame (score_many takes lists)",
            ));
        }
        let column = |name: Option<&str>, what: &str| -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
            name.map(|n| records::required_column(frame, n, what))
                .transpose()
        };
        let columns = Columns {
            texts: records::required_column(frame, text, "text")?,
            messages: column(message, "message")?,
            names: column(name, "name")?,
            groups: column(group, "group")?,
            ids: column(id, "id")?,
        };
        let rows = columns.rows(text)?;
        let scoped = columns.groups.is_some();
        let index = self.snapshot();
        let outcomes = py.detach(|| score_rows(&index, &rows, exclude_self, scoped, threads))?;
        let data = report::to_columns(py, &outcomes)?;
        let pandas = py.import("pandas")?;
        // The template ids as a nullable integer column (not floats with NaN).
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", "Int64")?;
        let template = pandas
            .getattr("array")?
            .call((data.as_any().get_item("template")?,), Some(&kwargs))?;
        data.set_item("template", template)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("index", frame.getattr("index")?)?;
        pandas.getattr("DataFrame")?.call((data,), Some(&kwargs))
    }
}

/// The input columns of a batch, as Python objects (each as long as `texts`).
struct Columns<'py> {
    texts: Vec<Bound<'py, PyAny>>,
    messages: Option<Vec<Bound<'py, PyAny>>>,
    names: Option<Vec<Bound<'py, PyAny>>>,
    groups: Option<Vec<Bound<'py, PyAny>>>,
    ids: Option<Vec<Bound<'py, PyAny>>>,
}

impl Columns<'_> {
    /// The rows, owning their strings; a cell of the wrong type is the row's error (a column
    /// of the wrong length, an error of the call).
    fn rows(&self, text_name: &str) -> PyResult<Vec<Row>> {
        let len = self.texts.len();
        for (what, column) in [
            ("messages", &self.messages),
            ("names", &self.names),
            ("groups", &self.groups),
            ("ids", &self.ids),
        ] {
            if let Some(c) = column {
                if c.len() != len {
                    return Err(invalid(format!(
                        "{what} has {} items where the texts have {len}",
                        c.len()
                    )));
                }
            }
        }
        let mut rows = Vec::with_capacity(len);
        for n in 0..len {
            let cell = |column: &Option<Vec<Bound<'_, PyAny>>>, what: &str| match column {
                Some(c) => records::text_cell(&c[n], what),
                None => Ok(None),
            };
            let id = match &self.ids {
                Some(c) => records::id_cell(&c[n], "id"),
                None => Ok(None),
            };
            let text = records::text_cell(&self.texts[n], text_name)
                .and_then(|t| t.ok_or_else(|| format!("no text ({text_name} is missing)")));
            let fields = (|| {
                Ok::<_, String>((
                    cell(&self.messages, "message")?,
                    cell(&self.names, "name")?,
                    cell(&self.groups, "group")?,
                    id?,
                ))
            })();
            let (text, (message, name, group, id)) = match (text, fields) {
                (Ok(t), Ok(f)) => (Ok(t), f),
                (Err(e), _) | (_, Err(e)) => (Err(e), (None, None, None, None)),
            };
            rows.push(Row {
                text,
                message,
                name,
                group,
                id,
            });
        }
        Ok(rows)
    }
}

/// Scores `rows` as `cannery score` scores its rows (the same calls): for its group's scope
/// when `scoped`, leave-one-out when `exclude_self` and the row's id is in the index (or
/// scope). In parallel on `threads` threads (0: rayon's pool of one a core), order kept.
fn score_rows(
    index: &Index,
    rows: &[Row],
    exclude_self: bool,
    scoped: bool,
    threads: usize,
) -> PyResult<Vec<Outcome>> {
    let one = |row: &Row| -> Outcome {
        let text = row.text.as_deref().map_err(|e| e.clone())?;
        let mut ctx = Context::new();
        if let Some(m) = &row.message {
            ctx = ctx.message(m);
        }
        if let Some(n) = &row.name {
            ctx = ctx.name(n);
        }
        let scope = scoped.then(|| index.scope(row.group.as_deref()));
        let index = scope.as_ref().unwrap_or(index);
        match &row.id {
            Some(id) if exclude_self && index.contains_id(id) => {
                Ok((index.score_excluding(text, &ctx, id), true))
            }
            _ => Ok((index.score(text, &ctx), false)),
        }
    };
    let run = || rows.par_iter().with_min_len(64).map(one).collect();
    if threads == 0 {
        return Ok(run());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| invalid(format!("cannot start {threads} threads: {e}")))?;
    Ok(pool.install(run))
}
