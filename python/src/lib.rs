//! The `cannery._cannery` Python extension module: the crate's [`Index`](cannery::Index), its
//! reports as plain dicts, its errors as `cannery.CanneryError`.
//!
//! The layer is thin on purpose: every score is the crate's, computed by the same calls as the
//! `cannery` command's (`cannery score` and `lint`), so that a Python or Spark result equals the
//! command's on the same rows. What the layer adds is the conversion: rows in from dicts,
//! DataFrames and lists; reports out as dicts and columns, with spans in Python string offsets
//! (code points, where the crate's byte ranges would slice non-ASCII text wrongly).
//!
//! Why PyO3 and maturin: the standard Rust-Python pair (an abi3 wheel serves every CPython from
//! 3.9); pythonize turns the crate's `serde` values (the signals) into dicts; rayon scores
//! batches on all cores with the GIL released.

use pyo3::prelude::*;

mod error;
mod index;
mod records;
mod report;

/// The extension module: `Index`, `CanneryError` and the crate's version.
#[pymodule]
fn _cannery(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<index::PyIndex>()?;
    m.add("CanneryError", m.py().get_type::<error::CanneryError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_INPUT_BYTES", cannery::MAX_INPUT_BYTES)?;
    Ok(())
}
