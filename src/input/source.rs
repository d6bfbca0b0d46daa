//! Where one stream's samples come from, and the byte counter that measures streams
//! read once.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::sample::InputSample;
use super::stream::Totals;
use crate::error::{Error, Result};

/// The samples of one stream, in decode order, timed in the stream's timescale from the
/// stream's first sample (captions: from the programme's start).
///
/// The input layer implements it for every kind of file it opens;
/// [`Input::from_streams`](super::Input::from_streams) takes other implementations, so a
/// caller's own reader joins the same alignment, merge and bit-rate measurement. `Send`
/// and `Sync` let an input set move between threads and be read from several (as the C
/// API's handles may).
pub trait SampleSource: Send + Sync {
    /// The next sample, or `None` after the last. Anything worth telling the user that
    /// is not an error (pictures skipped, …) is pushed to `notes`.
    fn next_sample(&mut self, notes: &mut Vec<String>) -> Result<Option<InputSample>>;

    /// For a stream whose bit rate is [counted](super::BitrateBasis::Counted): the bytes
    /// and duration read so far (all of them once the stream has ended).
    fn counted(&self) -> Totals {
        Totals::default()
    }

    /// Asks the source to stop reading payloads it can hand out as file ranges (their
    /// [`InputSample::origin`], with empty `data`), for a writer that copies them file to
    /// file; returns whether it will. Sources that rewrite or must read their payloads
    /// decline.
    fn leave_payloads_in_files(&mut self) -> bool {
        false
    }

    /// Asks the source to hand out each payload in a buffer of its own rather than as a
    /// slice of a buffer shared with other samples, for a muxer that rewrites payloads in
    /// place (encryption): it then needs no copy. Returns whether it will.
    fn own_payloads(&mut self) -> bool {
        false
    }
}

/// A file read once (perhaps a pipe) that counts the bytes it hands out, so the bit rate
/// of its stream is known when it ends.
#[derive(Debug)]
pub(crate) struct Counted<R> {
    /// The reader counted.
    inner: R,
    /// Bytes read so far, shared with the source that reports them.
    count: Arc<AtomicU64>,
}

/// The source's view of a [`Counted`] file: how much of it was read, and how long it is.
#[derive(Debug)]
pub(crate) struct ReadCount {
    count: Arc<AtomicU64>,
    /// A regular file's length when it was opened (None for a pipe).
    length: Option<u64>,
}

impl Counted<File> {
    /// Counts what is read from `file`; the count is shared with the returned handle.
    pub(crate) fn new(file: File) -> (Self, ReadCount) {
        let count = Arc::new(AtomicU64::new(0));
        let length = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let handle = ReadCount {
            count: Arc::clone(&count),
            length,
        };
        (Counted { inner: file, count }, handle)
    }
}

impl ReadCount {
    /// Bytes read so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// At the end of the stream: fails unless every byte of a regular file was read. A
    /// stream that ends early (the file shrank, or a reader stopped) must never pass for
    /// a whole one.
    pub(crate) fn check_read_to_end(&self, label: &str) -> Result<()> {
        let read = self.bytes();
        match self.length {
            Some(length) if read < length => Err(Error::input(
                label.to_string(),
                format!(
                    "reading stopped at byte {read} of {length}: the file changed or could \
                     not be read to its end"
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_that_ends_before_its_file_does_is_an_error() {
        let count = |read, length| ReadCount {
            count: Arc::new(AtomicU64::new(read)),
            length,
        };
        let err = count(1_000, Some(4_096))
            .check_read_to_end("a.h264")
            .unwrap_err();
        assert!(
            err.to_string().contains("a.h264") && err.to_string().contains("byte 1000 of 4096"),
            "{err}"
        );
        assert!(
            count(1_000, Some(1_000))
                .check_read_to_end("a.h264")
                .is_ok()
        );
        assert!(
            count(1_000, None).check_read_to_end("pipe").is_ok(),
            "a pipe has no length"
        );
    }
}
