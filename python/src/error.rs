//! `cannery.CanneryError`: the crate's errors (and bad rows) as one Python exception with a
//! `kind`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    cannery,
    CanneryError,
    PyException,
    "An error from cannery. `str(err)` is cannery's message; `err.kind` one of \"io\", \
     \"foreign\", \"version\", \"corrupt\" (a file that is not a readable index) or \
     \"invalid_input\" (an argument or a row)."
);

/// The Python exception of a crate error, its `kind` set.
pub fn from_cannery(err: cannery::Error) -> PyErr {
    let kind = match err.kind() {
        cannery::ErrorKind::Io => "io",
        cannery::ErrorKind::Foreign => "foreign",
        cannery::ErrorKind::Version => "version",
        cannery::ErrorKind::Corrupt => "corrupt",
        _ => "invalid_input",
    };
    // The message with its cause, as the command prints it.
    let mut message = err.to_string();
    if let Some(source) = std::error::Error::source(&err) {
        message = format!("{message}: {source}");
    }
    with_kind(message, kind)
}

/// An `invalid_input` error with `message`.
pub fn invalid(message: impl Into<String>) -> PyErr {
    with_kind(message.into(), "invalid_input")
}

fn with_kind(message: String, kind: &'static str) -> PyErr {
    Python::attach(|py| {
        let err = CanneryError::new_err(message);
        // Setting an attribute on a fresh exception instance cannot fail but for memory.
        let _ = err.value(py).setattr("kind", kind);
        err
    })
}
