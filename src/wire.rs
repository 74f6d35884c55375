//! The wire primitives of the index file: a payload writer that hashes as it writes, and a
//! reader of values and length-prefixed columns from memory or from a file, naming the table it
//! reads in its errors. Each table saves and loads itself with these, beside its definition.

use std::borrow::Cow;
use std::io::{Read, Write};

use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{Error, ErrorKind};

/// How much of a file `Index::load` reads at a time.
pub(crate) const STREAM_CHUNK: usize = 1 << 20;

/// `read_exact`, with the end of the file (it shrank after its length was read) as a corrupt
/// index rather than an I/O error.
pub(crate) fn read_exact_or_truncated(
    file: &mut std::fs::File,
    buf: &mut [u8],
) -> Result<(), Error> {
    file.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            corrupt("the file is truncated")
        } else {
            Error::io("cannot read the index", e)
        }
    })
}

pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Corrupt,
        format!("corrupt index: {}", message.into()),
    )
}

/// The payload's writer: bytes gather in a chunk, which is hashed and written out when full. The
/// first write error is kept and ends the writing (the rest is still hashed, not written).
pub(crate) struct Writer<W> {
    chunk: Vec<u8>,
    sink: W,
    hasher: Xxh3Default,
    /// Payload bytes hashed so far.
    len: u64,
    error: Option<std::io::Error>,
}

impl<W: Write> Writer<W> {
    const CHUNK: usize = 1 << 16;

    /// A writer of a payload into `sink`.
    pub(crate) fn new(sink: W) -> Self {
        Writer {
            chunk: Vec::with_capacity(Self::CHUNK),
            sink,
            hasher: Xxh3Default::new(),
            len: 0,
            error: None,
        }
    }

    /// Writes out what is left and gives back the sink, the payload's checksum and length, or
    /// the first write error.
    pub(crate) fn finish(mut self) -> std::io::Result<(W, u64, u64)> {
        self.flush_chunk();
        match self.error {
            Some(e) => Err(e),
            None => Ok((self.sink, self.hasher.digest(), self.len)),
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.chunk.len() + bytes.len() > Self::CHUNK {
            self.flush_chunk();
            if bytes.len() > Self::CHUNK {
                self.emit(bytes);
                return;
            }
        }
        self.chunk.extend_from_slice(bytes);
    }

    fn flush_chunk(&mut self) {
        let chunk = std::mem::take(&mut self.chunk);
        self.emit(&chunk);
        self.chunk = chunk;
        self.chunk.clear();
    }

    fn emit(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        if self.error.is_none() {
            if let Err(e) = self.sink.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn u32s(&mut self, vs: impl ExactSizeIterator<Item = u32>) {
        self.u64(vs.len() as u64);
        for v in vs {
            self.u32(v);
        }
    }
    pub(crate) fn u64s(&mut self, vs: impl ExactSizeIterator<Item = u64>) {
        self.u64(vs.len() as u64);
        for v in vs {
            self.u64(v);
        }
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.put(b);
    }
    /// Writes `parts` as one run of bytes (as [`bytes`](Self::bytes) writes their concatenation).
    pub(crate) fn bytes_of_parts<'p>(&mut self, parts: impl Iterator<Item = &'p [u8]> + Clone) {
        self.u64(parts.clone().map(|p| p.len() as u64).sum());
        for part in parts {
            self.put(part);
        }
    }
}

/// A file being decoded by `Index::load`: read in order, hashed on the way.
pub(crate) struct Stream {
    file: std::fs::File,
    /// Payload bytes not yet read.
    left: u64,
    hasher: Xxh3Default,
    /// A buffer of [`STREAM_CHUNK`] bytes for the columns converted as they are read.
    buf: Vec<u8>,
}

impl Stream {
    /// The payload of `file`, `left` bytes from where the file stands, read through `buf`.
    pub(crate) fn new(file: std::fs::File, left: u64, buf: Vec<u8>) -> Stream {
        Stream {
            file,
            left,
            hasher: Xxh3Default::new(),
            buf,
        }
    }

    /// The hash of the payload bytes read so far.
    pub(crate) fn digest(&self) -> u64 {
        self.hasher.digest()
    }

    /// Reads exactly `out.len()` payload bytes (the caller checked that they are left).
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> Result<(), Error> {
        read_exact_or_truncated(&mut self.file, out)?;
        self.hasher.update(out);
        self.left -= out.len() as u64;
        Ok(())
    }
}

/// Where a [`Reader`] reads the payload from.
pub(crate) enum Source<'b> {
    /// The payload in memory (`Index::from_bytes`): columns are read in place.
    Slice(&'b [u8]),
    /// A file (`Index::load`).
    Stream(&'b mut Stream),
}

/// Reads the payload's values and columns, naming the table being read in its errors.
pub(crate) struct Reader<'b> {
    source: Source<'b>,
    /// The table being read, for errors.
    what: &'static str,
}

impl<'b> Reader<'b> {
    pub(crate) fn slice(payload: &'b [u8]) -> Self {
        Reader {
            source: Source::Slice(payload),
            what: "the settings",
        }
    }

    pub(crate) fn stream(stream: &'b mut Stream) -> Self {
        Reader {
            source: Source::Stream(stream),
            what: "the settings",
        }
    }

    /// Payload bytes not yet read.
    pub(crate) fn left(&self) -> u64 {
        match &self.source {
            Source::Slice(bytes) => bytes.len() as u64,
            Source::Stream(stream) => stream.left,
        }
    }

    /// The next `n` bytes: borrowed from memory, or read from the file.
    pub(crate) fn take(&mut self, n: usize) -> Result<Cow<'b, [u8]>, Error> {
        if self.left() < n as u64 {
            return Err(corrupt(format!("the payload ends inside {}", self.what)));
        }
        match &mut self.source {
            Source::Slice(bytes) => {
                let (head, tail) = bytes.split_at(n);
                *bytes = tail;
                Ok(Cow::Borrowed(head))
            }
            Source::Stream(stream) => {
                let mut out = vec![0u8; n];
                stream.fill(&mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// The next `N` bytes (a fixed-size value: few per load, so the stream's copy costs nothing).
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok((*self.take(N)?).try_into().expect("N bytes"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A column's length prefix, checked against the bytes left.
    pub(crate) fn len(&mut self, width: usize) -> Result<usize, Error> {
        let n = self.u64()?;
        if n.saturating_mul(width as u64) > self.left() {
            return Err(corrupt(format!(
                "the length of {} runs past the end",
                self.what
            )));
        }
        Ok(n as usize)
    }
    /// Calls `f` on each of the next `n` numbers `WIDTH` bytes wide. From a file they are read
    /// through the stream's buffer, without a copy of the column.
    pub(crate) fn each<const WIDTH: usize>(
        &mut self,
        n: usize,
        mut f: impl FnMut([u8; WIDTH]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if let Source::Stream(stream) = &mut self.source {
            let mut buf = std::mem::take(&mut stream.buf);
            let per_chunk = buf.len() / WIDTH;
            let mut done = 0;
            let mut result = Ok(());
            while done < n && result.is_ok() {
                let count = (n - done).min(per_chunk);
                let chunk = &mut buf[..count * WIDTH];
                result = stream.fill(chunk).and_then(|()| {
                    chunk
                        .chunks_exact(WIDTH)
                        .try_for_each(|c| f(c.try_into().expect("WIDTH bytes")))
                });
                done += count;
            }
            stream.buf = buf;
            return result;
        }
        let raw = self.take(n * WIDTH)?;
        raw.chunks_exact(WIDTH)
            .try_for_each(|c| f(c.try_into().expect("WIDTH bytes")))
    }
    /// A column of numbers `WIDTH` bytes wide, converted by `convert`.
    pub(crate) fn numbers<T, const WIDTH: usize>(
        &mut self,
        what: &'static str,
        convert: fn([u8; WIDTH]) -> T,
    ) -> Result<Vec<T>, Error> {
        self.what = what;
        let n = self.len(WIDTH)?;
        let mut out = Vec::with_capacity(n);
        self.each(n, |raw| {
            out.push(convert(raw));
            Ok(())
        })?;
        Ok(out)
    }
    /// Names the table read next, for errors.
    pub(crate) fn reading(&mut self, what: &'static str) {
        self.what = what;
    }

    pub(crate) fn u32s(&mut self, what: &'static str) -> Result<Vec<u32>, Error> {
        self.numbers(what, u32::from_le_bytes)
    }
    pub(crate) fn u64s(&mut self, what: &'static str) -> Result<Vec<u64>, Error> {
        self.numbers(what, u64::from_le_bytes)
    }
    pub(crate) fn bytes(&mut self, what: &'static str) -> Result<Cow<'b, [u8]>, Error> {
        self.what = what;
        let n = self.len(1)?;
        self.take(n)
    }
}

pub(crate) fn check(ok: bool, what: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(corrupt(what.to_string()))
    }
}

pub(crate) fn same_len(lens: &[usize], what: &str) -> Result<(), Error> {
    check(
        lens.windows(2).all(|w| w[0] == w[1]),
        &format!("the {what} tables differ in length"),
    )
}
