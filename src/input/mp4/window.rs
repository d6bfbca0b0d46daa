//! A read window over a table of fixed-size entries that stays in the file.
//!
//! Sample tables grow with the film (a two-hour one has megabytes of them); reading a
//! few thousand entries at a time keeps memory the same for any length while costing one
//! read per window, far below the cost of the samples the entries describe.

use std::io::{Read, Seek};

use super::boxes::{Input, malformed};
use crate::error::Result;
use crate::isobmff::reader::ByteCursor;

/// Entries read at a time. 4096 entries of at most 16 bytes is 64 KiB per table:
/// small beside the payload windows, large enough that a read per window is noise.
pub(crate) const WINDOW_ENTRIES: u64 = 4096;

/// Sequential window over `count` entries of `entry_len` bytes starting at `start`.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    /// The table's box type, for errors.
    what: &'static str,
    /// File offset of entry 0.
    start: u64,
    /// Bytes per entry, 1 to 16.
    entry_len: u64,
    /// Entries in the table.
    count: u64,
    /// Index of the first buffered entry.
    first: u64,
    /// Buffered entries (empty until the first read, so unused tables cost nothing).
    buf: Vec<u8>,
}

impl Window {
    /// A window over a table whose extent (`start + count × entry_len`) the caller has
    /// checked lies inside its box.
    pub(crate) fn new(what: &'static str, start: u64, entry_len: u64, count: u64) -> Self {
        Window {
            what,
            start,
            entry_len,
            count,
            first: 0,
            buf: Vec::new(),
        }
    }

    /// Entries in the table.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The table's box type.
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    /// File offset of entry `index`, for errors.
    pub(crate) fn entry_offset(&self, index: u64) -> u64 {
        self.start
            .saturating_add(index.saturating_mul(self.entry_len))
    }

    /// Bytes this window holds allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// A cursor over entry `index`, reading the window that starts there if it is not
    /// buffered. Reads move forward through a table, so a window starts at the entry
    /// asked for.
    pub(crate) fn entry<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        index: u64,
    ) -> Result<ByteCursor<'_>> {
        if index >= self.count {
            return Err(malformed(
                self.what,
                self.start,
                format!("entry {index} asked of a table of {} entries", self.count),
            ));
        }
        let buffered = (self.buf.len() as u64)
            .checked_div(self.entry_len)
            .unwrap_or(0);
        let hit = index.checked_sub(self.first).is_some_and(|k| k < buffered);
        if !hit {
            self.fill(input, index)?;
        }
        // index - first < buffered ≤ WINDOW_ENTRIES, and entry_len ≤ 16: small numbers.
        let from = usize::try_from(
            index
                .saturating_sub(self.first)
                .saturating_mul(self.entry_len),
        )
        .unwrap_or(usize::MAX);
        let len = usize::try_from(self.entry_len).unwrap_or(usize::MAX);
        let offset = self.entry_offset(index);
        let bytes = from
            .checked_add(len)
            .and_then(|end| self.buf.get(from..end))
            .unwrap_or_default();
        Ok(ByteCursor::at(bytes, offset, self.what))
    }

    /// Reads the window starting at entry `index`.
    fn fill<R: Read + Seek>(&mut self, input: &mut Input<R>, index: u64) -> Result<()> {
        let n = self.count.saturating_sub(index).min(WINDOW_ENTRIES);
        let bytes = usize::try_from(n.saturating_mul(self.entry_len)).unwrap_or(usize::MAX);
        let offset = index
            .checked_mul(self.entry_len)
            .and_then(|o| o.checked_add(self.start))
            .ok_or_else(|| malformed(self.what, self.start, "table offset overflows"))?;
        if self.buf.capacity() == 0 {
            // The whole window at once, so the buffer never grows past it.
            let full = WINDOW_ENTRIES
                .min(self.count)
                .saturating_mul(self.entry_len);
            self.buf
                .reserve_exact(usize::try_from(full).unwrap_or(usize::MAX));
        }
        self.buf.resize(bytes, 0);
        self.first = index;
        if let Err(e) = input.read_at(offset, &mut self.buf, self.what) {
            self.buf.clear();
            return Err(e);
        }
        Ok(())
    }
}
