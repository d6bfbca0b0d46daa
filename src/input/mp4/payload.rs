//! Sample payloads as [`Bytes`] slices of shared read windows: one read per megabyte
//! instead of one per sample, no allocation or copy per sample, and window buffers
//! recycled once every sample pointing into them has been dropped.

use std::io::{Read, Seek};

use bytes::{Bytes, BytesMut};

use super::boxes::{Input, malformed};
use crate::error::Result;
use crate::mux::MAX_SAMPLE_SIZE;

/// Bytes read from the file at a time. Large enough that a read costs far more than the
/// system call, small enough that the few windows alive at once stay a few MiB.
pub(crate) const WINDOW: usize = 1 << 20;

/// Windows kept for lookups. Tracks interleave in chunks that rarely arrive exactly in
/// decode order, so the last few windows usually still hold the next sample of every
/// track.
const MAX_WINDOWS: usize = 3;

/// Evicted windows kept for reuse once the muxer has dropped every slice of them.
const MAX_POOL: usize = 4;

/// A recently read stretch of the file.
#[derive(Debug)]
struct Loaded {
    /// File offset of the first byte.
    start: u64,
    /// The bytes.
    data: Bytes,
}

impl Loaded {
    /// Whether `offset .. offset + size` lies inside.
    fn holds(&self, offset: u64, size: u64) -> bool {
        let end = self.start.saturating_add(self.data.len() as u64);
        self.start <= offset && offset.saturating_add(size) <= end
    }
}

/// The windows and the pool of buffers for reuse.
#[derive(Debug, Default)]
pub(crate) struct PayloadReader {
    /// Most recently used first.
    windows: Vec<Loaded>,
    /// Evicted windows, reusable once no sample points into them.
    pool: Vec<Bytes>,
}

impl PayloadReader {
    /// The `size` bytes at `offset`.
    pub(crate) fn read<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        offset: u64,
        size: u32,
    ) -> Result<Bytes> {
        let wide = u64::from(size);
        if offset.checked_add(wide).is_none_or(|end| end > input.len()) {
            return Err(malformed(
                "sample",
                offset,
                format!(
                    "{size} bytes run past the end of the file ({} bytes)",
                    input.len()
                ),
            ));
        }
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len > MAX_SAMPLE_SIZE {
            return Err(malformed(
                "sample",
                offset,
                format!("{size} bytes is over the {MAX_SAMPLE_SIZE}-byte sample limit"),
            ));
        }
        let at = match self.windows.iter().position(|w| w.holds(offset, wide)) {
            Some(at) => at,
            None => {
                self.load(input, offset, len)?;
                0
            }
        };
        if at != 0 {
            // Keep the list in recency order so that eviction drops the stalest window.
            let w = self.windows.remove(at);
            self.windows.insert(0, w);
        }
        let Some(w) = self.windows.first() else {
            return Err(malformed("sample", offset, "no window was read"));
        };
        let from = usize::try_from(offset.saturating_sub(w.start)).unwrap_or(usize::MAX);
        let to = from.saturating_add(len);
        if to > w.data.len() {
            return Err(malformed(
                "sample",
                offset,
                "window shorter than the sample",
            ));
        }
        Ok(w.data.slice(from..to))
    }

    /// Bytes held by windows and pooled buffers (including those the caller still shares).
    pub(crate) fn capacity(&self) -> usize {
        self.windows
            .iter()
            .map(|w| w.data.len())
            .chain(self.pool.iter().map(Bytes::len))
            .sum()
    }

    /// Reads a new window starting at `offset` that holds at least `len` bytes.
    fn load<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        offset: u64,
        len: usize,
    ) -> Result<()> {
        let left = input.len().saturating_sub(offset);
        let want = usize::try_from(left).map_or(WINDOW.max(len), |left| left.min(WINDOW.max(len)));
        let mut buf = self.buffer(want);
        input.read_at(offset, &mut buf, "sample")?;
        if self.windows.len() >= MAX_WINDOWS
            && let Some(old) = self.windows.pop()
        {
            self.pool.push(old.data);
            if self.pool.len() > MAX_POOL {
                self.pool.remove(0);
            }
        }
        self.windows.insert(
            0,
            Loaded {
                start: offset,
                data: buf.freeze(),
            },
        );
        Ok(())
    }

    /// A buffer of `len` bytes: a recycled window no sample points into any more, or a
    /// fresh one. Recycling avoids a page-faulting allocation per MiB read.
    fn buffer(&mut self, len: usize) -> BytesMut {
        let free = self
            .pool
            .iter()
            .position(|b| b.is_unique() && b.len() >= len);
        if let Some(at) = free
            && let Ok(mut buf) = self.pool.swap_remove(at).try_into_mut()
        {
            buf.truncate(len);
            return buf;
        }
        BytesMut::zeroed(len)
    }
}
