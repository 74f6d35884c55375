//! The crate's error type: an opaque [`Error`] with an [`ErrorKind`] and a readable message.

use std::fmt;

/// What went wrong, for callers that act on the kind of failure.
///
/// ```
/// use cannery::{Index, ErrorKind};
/// let err = Index::from_bytes(b"not an index").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Foreign);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// The bytes are not a cannery index at all (wrong magic number).
    Foreign,
    /// The index was written by an incompatible format version.
    Version,
    /// The index is truncated, fails its checksum or is internally inconsistent.
    Corrupt,
    /// An argument or an input record is invalid.
    InvalidInput,
}

/// An error from cannery: a kind, a message, and the I/O error behind it when there is one.
///
/// Its `Display` is the message alone; the I/O error behind it, if any, is its
/// [`source`](std::error::Error::source), so that a chain of errors prints each cause once.
///
/// ```
/// use std::error::Error as _;
/// use cannery::Index;
/// let err = Index::load("/no/such/file.cannery").unwrap_err();
/// assert_eq!(err.to_string(), "cannot read the index /no/such/file.cannery");
/// assert!(err.source().is_some()); // the operating system's "No such file or directory"
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<std::io::Error>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error {
            kind: ErrorKind::Io,
            message: context.into(),
            source: Some(source),
        }
    }

    /// The same error with `context` before its message (the kind and the source are kept).
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The kind of error.
    ///
    /// ```
    /// use cannery::{Index, ErrorKind};
    /// assert_eq!(Index::from_bytes(&[]).unwrap_err().kind(), ErrorKind::Foreign);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
