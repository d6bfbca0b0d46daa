//! The sample tables of a `stbl`, one type per table, each reading its entries through a
//! [`Window`] and moving forward one sample (or chunk) at a time.
//!
//! Their numbering follows the standard (ISO 14496-12 §8.6–8.7): samples and chunks are
//! counted from 1 in the file; here they are counted from 0 and converted where read.

use std::io::{Read, Seek};

use super::boxes::{BoxHeader, Input, malformed};
use super::window::Window;
use crate::error::Result;

/// Reads a table box's fixed fields and lays a window over its entries after checking
/// that they fit in the box, so a hostile count is an error and never an allocation.
fn table(
    b: &BoxHeader,
    what: &'static str,
    fixed: u64,
    entry_len: u64,
    count: u64,
) -> Result<Window> {
    let room = b.body_len().saturating_sub(fixed);
    if count.saturating_mul(entry_len) > room {
        return Err(malformed(
            what,
            b.offset,
            format!(
                "{count} entries of {entry_len} bytes do not fit in the {room} bytes of the box"
            ),
        ));
    }
    Ok(Window::new(
        what,
        b.body().saturating_add(fixed),
        entry_len,
        count,
    ))
}

/// Reads the big-endian u32 at `at` of a fixed-field array.
fn field(fields: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(bytes) = fields.get(at..at.saturating_add(4)) {
        word.copy_from_slice(bytes);
    }
    u32::from_be_bytes(word)
}

/// `stsz` / `stz2`: every sample's size.
#[derive(Debug, Clone)]
pub(crate) enum SampleSizes {
    /// `stsz` with a non-zero sample_size: every sample has that size.
    Constant {
        /// The size.
        size: u32,
        /// Samples.
        count: u64,
    },
    /// `stsz` with 32-bit entries, or `stz2` with 8- or 16-bit ones.
    Listed(Window),
    /// `stz2` with 4-bit entries, two a byte (the window is over bytes).
    Nibbles {
        /// The bytes.
        window: Window,
        /// Samples.
        count: u64,
    },
}

impl SampleSizes {
    /// Parses an `stsz` or `stz2` box header.
    pub(crate) fn parse<R: Read + Seek>(input: &mut Input<R>, b: &BoxHeader) -> Result<Self> {
        let f: [u8; 12] = b.read_fields(input, "stsz")?;
        let count = u64::from(field(&f, 8));
        if b.is(b"stsz") {
            let size = field(&f, 4);
            if size != 0 {
                return Ok(SampleSizes::Constant { size, count });
            }
            return table(b, "stsz", 12, 4, count).map(SampleSizes::Listed);
        }
        match f.get(7).copied().unwrap_or(0) {
            4 => {
                let bytes = count.div_ceil(2);
                let window = table(b, "stz2", 12, 1, bytes)?;
                Ok(SampleSizes::Nibbles { window, count })
            }
            8 => table(b, "stz2", 12, 1, count).map(SampleSizes::Listed),
            16 => table(b, "stz2", 12, 2, count).map(SampleSizes::Listed),
            bits => Err(malformed(
                "stz2",
                b.body().saturating_add(7),
                format!("field_size {bits} is not 4, 8 or 16"),
            )),
        }
    }

    /// Samples in the track's `stbl`.
    pub(crate) fn count(&self) -> u64 {
        match self {
            SampleSizes::Constant { count, .. } | SampleSizes::Nibbles { count, .. } => *count,
            SampleSizes::Listed(w) => w.count(),
        }
    }

    /// The constant size, when every sample has one (no table to read).
    pub(crate) fn constant(&self) -> Option<u32> {
        match self {
            SampleSizes::Constant { size, .. } => Some(*size),
            _ => None,
        }
    }

    /// Size of sample `n` (from 0).
    pub(crate) fn size<R: Read + Seek>(&mut self, input: &mut Input<R>, n: u64) -> Result<u32> {
        match self {
            SampleSizes::Constant { size, .. } => Ok(*size),
            SampleSizes::Listed(w) => {
                let mut c = w.entry(input, n)?;
                match c.remaining() {
                    1 => c.u8().map(u32::from),
                    2 => c.u16().map(u32::from),
                    _ => c.u32(),
                }
            }
            SampleSizes::Nibbles { window, .. } => {
                let byte = window.entry(input, n / 2)?.u8()?;
                Ok(u32::from(if n.is_multiple_of(2) {
                    byte >> 4
                } else {
                    byte & 0x0F
                }))
            }
        }
    }

    /// Sum of all sizes, read through the window (or multiplied out for a constant
    /// size). Consumes the walk.
    pub(crate) fn total<R: Read + Seek>(mut self, input: &mut Input<R>) -> Result<u64> {
        if let Some(size) = self.constant() {
            return Ok(u64::from(size).saturating_mul(self.count()));
        }
        let mut sum = 0u64;
        for n in 0..self.count() {
            // Sizes are u32, so 2^32 of them cannot overflow a u64.
            sum = sum.saturating_add(u64::from(self.size(input, n)?));
        }
        Ok(sum)
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            SampleSizes::Constant { .. } => 0,
            SampleSizes::Listed(w) | SampleSizes::Nibbles { window: w, .. } => w.capacity(),
        }
    }
}

/// `stco` / `co64`: where each chunk starts.
#[derive(Debug, Clone)]
pub(crate) struct ChunkOffsets(Window);

impl ChunkOffsets {
    /// Parses an `stco` or `co64` box header.
    pub(crate) fn parse<R: Read + Seek>(input: &mut Input<R>, b: &BoxHeader) -> Result<Self> {
        let (what, entry_len) = if b.is(b"co64") {
            ("co64", 8)
        } else {
            ("stco", 4)
        };
        let f: [u8; 8] = b.read_fields(input, what)?;
        let count = u64::from(field(&f, 4));
        table(b, what, 8, entry_len, count).map(ChunkOffsets)
    }

    /// An empty table, for a track without samples in its `stbl`.
    pub(crate) fn empty() -> Self {
        ChunkOffsets(Window::new("stco", 0, 4, 0))
    }

    /// Chunks listed.
    pub(crate) fn count(&self) -> u64 {
        self.0.count()
    }

    /// File offset of chunk `n` (from 0), which the caller has checked exists.
    pub(crate) fn offset<R: Read + Seek>(&mut self, input: &mut Input<R>, n: u64) -> Result<u64> {
        let mut c = self.0.entry(input, n)?;
        if c.remaining() == 8 {
            c.u64()
        } else {
            c.u32().map(u64::from)
        }
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

/// `stsc`: how many samples each chunk holds, as runs of chunks; walked chunk by chunk.
#[derive(Debug, Clone)]
pub(crate) struct SampleToChunk {
    /// The (first_chunk, samples_per_chunk, sample_description_index) entries.
    window: Window,
    /// Entry of the current run; `None` before the first chunk.
    run: Option<u64>,
    /// Samples per chunk in the current run.
    per_chunk: u32,
    /// First chunk (from 1) of the next run; `None` in the last run, which never ends.
    next_run: Option<u64>,
    /// Number (from 1) of the next chunk to hand out.
    chunk: u64,
}

impl SampleToChunk {
    /// Parses an `stsc` box header.
    pub(crate) fn parse<R: Read + Seek>(input: &mut Input<R>, b: &BoxHeader) -> Result<Self> {
        let f: [u8; 8] = b.read_fields(input, "stsc")?;
        let count = u64::from(field(&f, 4));
        Ok(Self::over(table(b, "stsc", 8, 12, count)?))
    }

    /// An empty table, for a track without samples in its `stbl`.
    pub(crate) fn empty() -> Self {
        Self::over(Window::new("stsc", 0, 12, 0))
    }

    /// The walk over `window`'s entries, before the first chunk.
    fn over(window: Window) -> Self {
        SampleToChunk {
            window,
            run: None,
            per_chunk: 0,
            next_run: None,
            chunk: 1,
        }
    }

    /// The next chunk that holds samples: its index from 0 and its sample count. Chunks
    /// of runs with no samples are skipped a run at a time; the caller bounds the chunk
    /// number by the chunk table.
    pub(crate) fn next_chunk<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
    ) -> Result<(u64, u32)> {
        loop {
            let in_run = self.run.is_some() && self.next_run.is_none_or(|next| self.chunk < next);
            if in_run && self.per_chunk > 0 {
                let n = self.chunk.saturating_sub(1);
                self.chunk = self.chunk.saturating_add(1);
                return Ok((n, self.per_chunk));
            }
            if in_run {
                // A run of empty chunks: jump to the next run (the last run cannot be
                // empty while samples remain).
                match self.next_run {
                    Some(next) => self.chunk = next,
                    None => {
                        return Err(malformed(
                            "stsc",
                            self.table_offset(),
                            "the last run has 0 samples per chunk but samples remain",
                        ));
                    }
                }
            }
            self.start_next_run(input)?;
        }
    }

    /// Moves to the next entry, reading the one after it to know where this run ends.
    fn start_next_run<R: Read + Seek>(&mut self, input: &mut Input<R>) -> Result<()> {
        let index = self.run.map_or(0, |r| r.saturating_add(1));
        if index >= self.window.count() {
            return Err(malformed(
                "stsc",
                self.table_offset(),
                if index == 0 {
                    "no entries, but the track has samples".to_string()
                } else {
                    format!("all {index} runs used up while samples remain")
                },
            ));
        }
        let mut e = self.window.entry(input, index)?;
        let first_chunk = u64::from(e.u32()?);
        self.per_chunk = e.u32()?;
        // The first run starts at chunk 1 whatever it says (re_mp4, which the CLI used
        // before this reader, did the same).
        let first_chunk = if index == 0 { 1 } else { first_chunk };
        let next_index = index.saturating_add(1);
        self.next_run = if next_index < self.window.count() {
            let mut n = self.window.entry(input, next_index)?;
            let at = n.offset();
            let next = u64::from(n.u32()?);
            if next < first_chunk {
                return Err(malformed(
                    "stsc",
                    at,
                    format!(
                        "first_chunk {next} of entry {next_index} is before the previous entry's {first_chunk}"
                    ),
                ));
            }
            Some(next)
        } else {
            None
        };
        self.run = Some(index);
        self.chunk = first_chunk;
        Ok(())
    }

    /// Offset of the table, for errors not tied to one entry.
    pub(crate) fn table_offset(&self) -> u64 {
        self.window.entry_offset(0)
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }
}

/// A run-length table of (sample_count, value) pairs: `stts` deltas or `ctts` offsets.
#[derive(Debug, Clone)]
pub(crate) struct Runs {
    /// The entries.
    window: Window,
    /// Next entry to read.
    entry: u64,
    /// Samples left in the current entry.
    left: u32,
    /// Its value, as the raw 32 bits.
    value: u32,
}

/// What one pass over a run-length table finds for the first `samples` samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunSummary {
    /// Sum of the values of all samples but the last (the last sample's decode time for
    /// `stts`).
    pub(crate) sum_but_last: u64,
    /// Value of the last sample (0 with no samples).
    pub(crate) last: u32,
    /// Value of the next-to-last sample (0 with fewer than two samples).
    pub(crate) next_to_last: u32,
    /// Smallest value, read as signed (`ctts` offsets); 0 with no samples.
    pub(crate) min_signed: i32,
}

impl Runs {
    /// Parses an `stts` or `ctts` box header.
    pub(crate) fn parse<R: Read + Seek>(
        input: &mut Input<R>,
        b: &BoxHeader,
        what: &'static str,
    ) -> Result<Self> {
        let f: [u8; 8] = b.read_fields(input, what)?;
        let count = u64::from(field(&f, 4));
        Ok(Self::over(table(b, what, 8, 8, count)?))
    }

    /// An empty table, for a track without samples in its `stbl`.
    pub(crate) fn empty(what: &'static str) -> Self {
        Self::over(Window::new(what, 0, 8, 0))
    }

    /// The walk over `window`'s entries from the first sample.
    fn over(window: Window) -> Self {
        Runs {
            window,
            entry: 0,
            left: 0,
            value: 0,
        }
    }

    /// The value of the next sample (`sample` is its number, for the error when the
    /// table is too short). Entries with a sample_count of 0 are skipped.
    pub(crate) fn next<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        sample: u64,
    ) -> Result<u32> {
        while self.left == 0 {
            if self.entry >= self.window.count() {
                return Err(self.too_short(sample));
            }
            let mut e = self.window.entry(input, self.entry)?;
            self.left = e.u32()?;
            self.value = e.u32()?;
            self.entry = self.entry.saturating_add(1);
        }
        self.left = self.left.saturating_sub(1);
        Ok(self.value)
    }

    /// One pass over the entries covering the first `samples` samples, entry by entry
    /// (not sample by sample: a single entry may cover billions). Consumes the walk.
    pub(crate) fn summary<R: Read + Seek>(
        mut self,
        input: &mut Input<R>,
        samples: u64,
    ) -> Result<RunSummary> {
        let mut out = RunSummary::default();
        let mut covered = 0u64;
        let mut min: Option<i32> = None;
        let mut entry = 0u64;
        while covered < samples {
            if entry >= self.window.count() {
                return Err(self.too_short(covered));
            }
            let at = self.window.entry_offset(entry);
            let mut e = self.window.entry(input, entry)?;
            let count = u64::from(e.u32()?);
            let value = e.u32()?;
            entry = entry.saturating_add(1);
            let used = count.min(samples.saturating_sub(covered));
            if used == 0 {
                continue;
            }
            let end = covered.saturating_add(used);
            // The samples of this entry that are not the track's last.
            let but_last = if end == samples {
                used.saturating_sub(1)
            } else {
                used
            };
            out.sum_but_last = u64::from(value)
                .checked_mul(but_last)
                .and_then(|v| v.checked_add(out.sum_but_last))
                .ok_or_else(|| malformed(self.window.what(), at, "times add up past 2^64"))?;
            // Whether the next-to-last sample (number samples - 2) is in this entry.
            if samples >= 2
                && end >= samples.saturating_sub(1)
                && covered < samples.saturating_sub(1)
            {
                out.next_to_last = value;
            }
            if end == samples {
                out.last = value;
            }
            let signed = i32::from_be_bytes(value.to_be_bytes());
            min = Some(min.map_or(signed, |m| m.min(signed)));
            covered = end;
        }
        out.min_signed = min.unwrap_or(0);
        Ok(out)
    }

    /// The error for a table that covers fewer samples than the track has.
    fn too_short(&self, sample: u64) -> crate::Error {
        malformed(
            self.window.what(),
            self.window.entry_offset(0),
            format!(
                "its {} entries end before sample {sample} of the track",
                self.window.count()
            ),
        )
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }
}

/// `stss`: the sync samples, in increasing order; every sample is sync without it.
#[derive(Debug, Clone)]
pub(crate) struct SyncSamples {
    /// The sample numbers (from 1).
    window: Window,
    /// Next entry to compare.
    entry: u64,
    /// The last number read, to refuse tables that are not increasing.
    last: u64,
}

impl SyncSamples {
    /// Parses an `stss` box header.
    pub(crate) fn parse<R: Read + Seek>(input: &mut Input<R>, b: &BoxHeader) -> Result<Self> {
        let f: [u8; 8] = b.read_fields(input, "stss")?;
        let count = u64::from(field(&f, 4));
        Ok(SyncSamples {
            window: table(b, "stss", 8, 4, count)?,
            entry: 0,
            last: 0,
        })
    }

    /// Whether sample `n` (from 0) is listed. Samples must be asked in increasing order.
    pub(crate) fn is_sync<R: Read + Seek>(&mut self, input: &mut Input<R>, n: u64) -> Result<bool> {
        let number = n.saturating_add(1);
        while self.entry < self.window.count() {
            let mut e = self.window.entry(input, self.entry)?;
            let at = e.offset();
            let listed = u64::from(e.u32()?);
            if listed == 0 {
                return Err(malformed(
                    "stss",
                    at,
                    "sample number 0 (numbers start at 1)",
                ));
            }
            if listed <= self.last {
                return Err(malformed(
                    "stss",
                    at,
                    format!(
                        "sample number {listed} follows {}: not increasing",
                        self.last
                    ),
                ));
            }
            if listed > number {
                return Ok(false);
            }
            self.last = listed;
            self.entry = self.entry.saturating_add(1);
            if listed == number {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }
}
