//! Where one stream's samples come from, and the byte counter that measures streams
//! read once.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::sample::InputSample;
use super::stream::Totals;
use crate::error::Result;

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

/// A reader that counts the bytes it hands out, so the bit rate of a stream read once
/// (perhaps from a pipe) is known when it ends.
#[derive(Debug)]
pub(crate) struct Counted<R> {
    /// The reader counted.
    inner: R,
    /// Bytes read so far, shared with the source that reports them.
    count: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    /// Counts what `inner` reads; the count is shared with the returned handle.
    pub(crate) fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counted {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
