//! A source read on a thread of its own, a few samples ahead of the caller, so that
//! reading a file (and scanning it: start codes, sample tables) overlaps the muxing and
//! writing of what was read before. On a machine with two cores a file-to-file run then
//! costs about the larger of the two halves instead of their sum. Samples of protected
//! streams may be encrypted there too (a [`SampleSealer`]), off the muxer's thread.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use bytes::BytesMut;

use super::sample::InputSample;
use super::source::SampleSource;
use super::stream::Totals;
use crate::error::{Error, Result};
use crate::mux::SampleSealer;

/// Samples read ahead at most per stream: more than a fragment holds (2 s at 60 frames
/// per second), so the reader keeps going while the writer writes one out whole.
const MAX_SAMPLES: usize = 512;

/// Payload bytes in memory read ahead at most, all streams of a set together, shared out
/// evenly (payloads left in files cost nothing here): about a fragment's write at common
/// bit rates, little enough to keep memory flat.
const MAX_BYTES: usize = 4 << 20;

/// The least any stream may read ahead, however many streams share [`MAX_BYTES`].
const MIN_BYTES: usize = 1 << 20;

/// What the reading thread hands over for one call of the source.
struct Read {
    /// The source's answer: a sample, its end, or its error (after which it stops).
    sample: Result<Option<InputSample>>,
    /// Notes the source pushed during the call.
    notes: Vec<String>,
    /// The source's totals after the call.
    totals: Totals,
}

impl Read {
    /// The payload bytes it holds in memory.
    fn bytes(&self) -> usize {
        match &self.sample {
            Ok(Some(sample)) => sample.data.len(),
            _ => 0,
        }
    }
}

/// The samples between the reading thread and the caller, bounded in count and bytes.
struct Queue {
    /// In-memory payload bytes this stream may have queued (one sample always passes).
    max_bytes: usize,
    state: Mutex<QueueState>,
    /// Signalled when one side may go on: a sample for a waiting caller, room for a
    /// waiting reader, or the other side gone.
    changed: Condvar,
}

#[derive(Default)]
struct QueueState {
    reads: VecDeque<Read>,
    /// In-memory payload bytes of `reads`.
    bytes: usize,
    /// The reading thread has ended (however it ended).
    reader_gone: bool,
    /// The caller dropped the source: reading on is pointless.
    caller_gone: bool,
    /// The reading thread waits for room.
    reader_waits: bool,
    /// The caller waits for a sample.
    caller_waits: bool,
}

impl QueueState {
    /// Whether the queue has no room for one more sample.
    fn full(&self, max_bytes: usize) -> bool {
        self.reads.len() >= MAX_SAMPLES || (self.bytes >= max_bytes && !self.reads.is_empty())
    }

    /// Whether the queue has drained to half: a waiting reader is woken only then, so
    /// that the two threads do not wake each other for every sample.
    fn half_empty(&self, max_bytes: usize) -> bool {
        self.reads.len() <= MAX_SAMPLES / 2 && self.bytes <= max_bytes / 2
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Nothing panics while holding the lock; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `read` once there is room; false when the caller is gone.
    fn push(&self, read: Read) -> bool {
        let mut state = self.lock();
        while !state.caller_gone && state.full(self.max_bytes) {
            state.reader_waits = true;
            state = self.wait(state);
        }
        state.reader_waits = false;
        if state.caller_gone {
            return false;
        }
        state.bytes += read.bytes();
        state.reads.push_back(read);
        if state.caller_waits {
            self.changed.notify_all();
        }
        true
    }

    /// The next read, waiting for it; `None` once the reader is gone and all is taken.
    fn pop(&self) -> Option<Read> {
        let mut state = self.lock();
        loop {
            if let Some(read) = state.reads.pop_front() {
                state.caller_waits = false;
                state.bytes = state.bytes.saturating_sub(read.bytes());
                if state.reader_waits && state.half_empty(self.max_bytes) {
                    self.changed.notify_all();
                }
                return Some(read);
            }
            if state.reader_gone {
                return None;
            }
            state.caller_waits = true;
            state = self.wait(state);
        }
    }

    fn wait<'a>(&self, state: MutexGuard<'a, QueueState>) -> MutexGuard<'a, QueueState> {
        self.changed
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks one side gone and wakes the other.
    fn leave(&self, reader: bool) {
        let mut state = self.lock();
        if reader {
            state.reader_gone = true;
        } else {
            state.caller_gone = true;
        }
        self.changed.notify_all();
    }
}

/// Marks the reader gone when the reading thread ends, even by a panic, so the caller
/// never waits for samples that cannot come.
struct ReaderGone(Arc<Queue>);

impl Drop for ReaderGone {
    fn drop(&mut self) {
        self.0.leave(true);
    }
}

/// A [`SampleSource`] whose source is read on its own thread.
pub(crate) struct ReadAhead {
    /// The stream, for messages.
    label: String,
    /// Shared with the reading thread, or why it could not start.
    queue: std::result::Result<Arc<Queue>, String>,
    /// The totals the source reported last.
    totals: Totals,
    /// The source has ended or failed: nothing more comes.
    finished: bool,
}

impl ReadAhead {
    /// Starts reading `source` (its payload modes already chosen) on a thread of its
    /// own, as one of `streams` streams read so; `label` names the stream in messages.
    ///
    /// With a `sealer`, each sample is also encrypted on that thread, as the stream's
    /// sample 0, 1, 2, … (the muxer checks the numbering when it gets them).
    pub(crate) fn start(
        source: Box<dyn SampleSource>,
        label: &str,
        streams: usize,
        sealer: Option<SampleSealer>,
    ) -> Self {
        let queue = Arc::new(Queue {
            max_bytes: (MAX_BYTES / streams.max(1)).max(MIN_BYTES),
            state: Mutex::default(),
            changed: Condvar::default(),
        });
        let gone = ReaderGone(Arc::clone(&queue));
        let queue = std::thread::Builder::new()
            .name("ssf-read".into())
            .spawn(move || read_all(source, sealer, gone))
            .map(|_| queue)
            .map_err(|e| format!("no thread to read it on: {e}"));
        ReadAhead {
            label: label.to_string(),
            queue,
            totals: Totals::default(),
            finished: false,
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        if let Ok(queue) = &self.queue {
            queue.leave(false);
        }
    }
}

/// The reading thread: every sample, until the end, an error, or a caller that stopped
/// listening (the run ended early).
fn read_all(mut source: Box<dyn SampleSource>, sealer: Option<SampleSealer>, gone: ReaderGone) {
    let mut index = 0;
    loop {
        let mut notes = Vec::new();
        let mut sample = source.next_sample(&mut notes);
        if let (Some(sealer), Ok(Some(read))) = (&sealer, &mut sample) {
            if let Err(e) = seal(sealer, index, read) {
                sample = Err(e);
            }
            index += 1;
        }
        let last = !matches!(sample, Ok(Some(_)));
        let read = Read {
            sample,
            notes,
            totals: source.counted(),
        };
        if !gone.0.push(read) || last {
            return;
        }
    }
}

/// Encrypts `sample` in place (in a copy when its buffer is shared) as the stream's
/// sample `index`, and records how.
fn seal(sealer: &SampleSealer, index: u64, sample: &mut InputSample) -> Result<()> {
    let mut data = std::mem::take(&mut sample.data)
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(shared.as_ref()));
    let sealed = sealer.seal(index, &mut data);
    sample.data = data.freeze();
    sample.sealed = Some(sealed?);
    Ok(())
}

impl SampleSource for ReadAhead {
    fn next_sample(&mut self, notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        if self.finished {
            return Ok(None);
        }
        let label = &self.label;
        let queue = self
            .queue
            .as_ref()
            .map_err(|why| Error::input(label.clone(), why.clone()))?;
        let Some(read) = queue.pop() else {
            // The thread ended without saying the stream had: it cannot have finished
            // cleanly, and a stream cut short must never pass for a whole one.
            self.finished = true;
            return Err(Error::input(
                label.clone(),
                "reading stopped unexpectedly before the end of the stream",
            ));
        };
        notes.extend(read.notes);
        self.totals = read.totals;
        self.finished = !matches!(read.sample, Ok(Some(_)));
        read.sample
    }

    fn counted(&self) -> Totals {
        self.totals
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use bytes::Bytes;

    /// Counts up to `n` samples, then fails if `fail` or ends; says something once.
    struct Counting {
        n: u64,
        at: u64,
        fail: bool,
    }

    impl SampleSource for Counting {
        fn next_sample(&mut self, notes: &mut Vec<String>) -> Result<Option<InputSample>> {
            if self.at == 1 {
                notes.push("one sample read".into());
            }
            if self.at == self.n {
                return if self.fail {
                    Err(Error::input("counting", "broken at the end"))
                } else {
                    Ok(None)
                };
            }
            self.at += 1;
            Ok(Some(InputSample {
                data: Bytes::from(vec![0u8; 10]),
                dts: self.at,
                cts_offset: 0,
                duration: 1,
                sync: true,
                origin: None,
                pieces: Vec::new(),
                sealed: None,
            }))
        }

        fn counted(&self) -> Totals {
            Totals {
                bytes: self.at * 10,
                duration: self.at,
            }
        }
    }

    #[test]
    fn every_sample_note_and_total_arrives_in_order() {
        let source = Counting {
            n: 100,
            at: 0,
            fail: false,
        };
        let mut ahead = ReadAhead::start(Box::new(source), "counting", 1, None);
        let mut notes = Vec::new();
        let mut dts = Vec::new();
        while let Some(s) = ahead.next_sample(&mut notes).unwrap() {
            dts.push(s.dts);
        }
        assert_eq!(dts, (1..=100).collect::<Vec<_>>());
        assert_eq!(notes, ["one sample read"]);
        assert_eq!(ahead.counted().bytes, 1000);
        assert!(ahead.next_sample(&mut notes).unwrap().is_none());
    }

    #[test]
    fn a_reader_held_up_by_a_full_queue_goes_on_once_it_drains() {
        let source = Counting {
            n: 3000,
            at: 0,
            fail: false,
        };
        let mut ahead = ReadAhead::start(Box::new(source), "counting", 1, None);
        let mut notes = Vec::new();
        let mut last = 0;
        while let Some(s) = ahead.next_sample(&mut notes).unwrap() {
            assert_eq!(s.dts, last + 1, "in order");
            last = s.dts;
            if last % 700 == 0 {
                // Let the reader fill the queue and wait for room.
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        assert_eq!(last, 3000);
    }

    #[test]
    fn an_error_is_handed_over_after_the_samples_before_it() {
        let source = Counting {
            n: 40,
            at: 0,
            fail: true,
        };
        let mut ahead = ReadAhead::start(Box::new(source), "counting", 1, None);
        let mut notes = Vec::new();
        for _ in 0..40 {
            assert!(ahead.next_sample(&mut notes).unwrap().is_some());
        }
        let err = ahead.next_sample(&mut notes).unwrap_err();
        assert!(err.to_string().contains("broken at the end"), "{err}");
    }

    /// A source whose reader dies (here: panics) must not look like one that ended.
    struct Dies;

    impl SampleSource for Dies {
        fn next_sample(&mut self, _: &mut Vec<String>) -> Result<Option<InputSample>> {
            #[allow(clippy::panic)]
            {
                panic!("reader died")
            }
        }
    }

    #[test]
    fn a_reader_that_dies_is_an_error_not_an_end() {
        let mut ahead = ReadAhead::start(Box::new(Dies), "dies.h264", 1, None);
        let err = ahead.next_sample(&mut Vec::new()).unwrap_err();
        assert!(
            err.to_string().contains("dies.h264") && err.to_string().contains("stopped"),
            "{err}"
        );
    }

    #[test]
    fn dropping_the_reader_early_stops_the_thread() {
        let source = Counting {
            n: u64::MAX,
            at: 0,
            fail: false,
        };
        let mut ahead = ReadAhead::start(Box::new(source), "endless", 1, None);
        assert!(ahead.next_sample(&mut Vec::new()).unwrap().is_some());
        // The thread blocks on a full channel, then sees the receiver gone and returns;
        // nothing to assert but that this does not hang or crash.
        drop(ahead);
    }
}
