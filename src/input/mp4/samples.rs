//! A track's samples in decode order: the `stbl` tables first, then the fragments, read
//! through windows by a cursor that holds no reference to the file, so any number of
//! tracks of one file can be read in any interleaving.
//!
//! Times follow what the packager has always done with MP4 input (through `re_mp4`), so
//! output stays byte-identical: decode times count from 0 as the running sum of the
//! durations (`tfdt` and edit lists are not used); a track with negative composition
//! offsets has every offset raised by the most negative one (its decode times move
//! earlier instead, which decode times from 0 do not show); and the last sample's duration
//! comes from the media duration (`mdhd`) for `stbl` tracks, falling back to the previous
//! sample's when that is 0 or more than four times it ([`last_duration`]).

use std::io::{Read, Seek};

use super::boxes::{Input, context, malformed};
use super::fragments::Fragments;
use super::movie::Tables;
use crate::error::{Error, Result};
use crate::isobmff::reader::Trex;

/// One sample: where its bytes are and its timing, in the track's timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleInfo {
    /// Number of the sample in the track, from 0.
    pub index: u64,
    /// File offset of its bytes: with `size`, what a copy that bypasses user space
    /// (`copy_file_range`) needs.
    pub offset: u64,
    /// Its size in bytes.
    pub size: u32,
    /// Decode time, counted from the track's first sample.
    pub decode_time: u64,
    /// Presentation minus decode time, never negative (see the module documentation).
    pub composition_offset: u64,
    /// Duration.
    pub duration: u64,
    /// Whether it is a sync sample (listed in `stss`, or every sample without one; in a
    /// fragment, `sample_is_non_sync_sample` clear).
    pub sync: bool,
}

/// The duration of a track's last sample, whose container value is unreliable: the
/// `mdhd` duration minus its decode time for `stbl` samples (`None` when that is
/// negative), its own duration in a fragment. That value is used unless it is 0 or more
/// than four times the previous sample's duration; then the previous one is.
pub(crate) fn last_duration(raw: Option<u64>, previous: u64) -> u64 {
    match raw {
        Some(d) if d != 0 && !(previous > 0 && d > previous.saturating_mul(4)) => d,
        _ => previous,
    }
}

/// What a [`Samples`] cursor starts from: the track's tables and what opening the file
/// measured.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The track.
    pub(crate) track: u32,
    /// Its `stbl` tables (fresh windows).
    pub(crate) tables: Tables,
    /// Samples in the `stbl`.
    pub(crate) in_tables: u64,
    /// Samples in all, fragments included.
    pub(crate) count: u64,
    /// `mdhd` duration.
    pub(crate) media_duration: u64,
    /// Added to every composition offset (the most negative offset, negated; else 0).
    pub(crate) shift: i64,
    /// The fragment walk, when the track has fragment samples.
    pub(crate) fragments: Option<Fragments>,
}

/// A cursor over one track's samples in decode order; advance it with
/// [`super::Mp4File::next_sample`]. It holds the windows of the track's tables (a few
/// tens of KiB at most, whatever the track's length) and no reference to the file.
#[derive(Debug, Clone)]
pub struct Samples {
    /// Tables and counts.
    plan: Plan,
    /// Next sample.
    next: u64,
    /// Its decode time.
    decode_time: u64,
    /// The previous sample's duration.
    previous: u64,
    /// Samples left in the current chunk.
    chunk_left: u32,
    /// File offset of the next sample of the current chunk.
    chunk_pos: u64,
}

impl Samples {
    /// A cursor at the first sample.
    pub(crate) fn new(plan: Plan) -> Self {
        Samples {
            plan,
            next: 0,
            decode_time: 0,
            previous: 0,
            chunk_left: 0,
            chunk_pos: 0,
        }
    }

    /// The track read.
    pub fn track(&self) -> u32 {
        self.plan.track
    }

    /// Samples not read yet.
    pub fn remaining(&self) -> u64 {
        self.plan.count.saturating_sub(self.next)
    }

    /// Bytes the cursor's windows hold: bounded by the window size, not the track length.
    pub fn buffered_bytes(&self) -> usize {
        let fragments = self.plan.fragments.as_ref().map_or(0, Fragments::capacity);
        self.plan.tables.capacity().saturating_add(fragments)
    }

    /// The next sample, or `None` after the last. After an error the cursor is at its
    /// end: the tables' state is unknown then, and a caller that goes on must not get
    /// samples at wrong offsets.
    pub(crate) fn advance<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        trex: &[Trex],
    ) -> Result<Option<SampleInfo>> {
        let n = self.next;
        if n >= self.plan.count {
            return Ok(None);
        }
        let track = self.plan.track;
        self.step(input, trex, n).map(Some).map_err(|e| {
            self.next = self.plan.count;
            context(e, format!("track {track}, sample {n}"))
        })
    }

    /// Reads sample `n`, which exists.
    fn step<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        trex: &[Trex],
        n: u64,
    ) -> Result<SampleInfo> {
        let last = n.saturating_add(1) == self.plan.count;
        let (offset, size, raw, composition, sync) = if n < self.plan.in_tables {
            let (offset, size, delta, composition, sync) = self.read_tables(input, n)?;
            let raw = if last {
                self.plan.media_duration.checked_sub(self.decode_time)
            } else {
                Some(u64::from(delta))
            };
            (offset, size, raw, composition, sync)
        } else {
            let fragments = self
                .plan
                .fragments
                .as_mut()
                .ok_or_else(|| ended(input.len()))?;
            let s = fragments
                .next(input, trex)?
                .ok_or_else(|| ended(input.len()))?;
            (
                s.offset,
                s.size,
                Some(u64::from(s.duration)),
                s.composition,
                s.sync,
            )
        };
        if offset
            .checked_add(u64::from(size))
            .is_none_or(|end| end > input.len())
        {
            return Err(malformed(
                "sample",
                offset,
                format!(
                    "{size} bytes at byte {offset} run past the end of the file ({} bytes)",
                    input.len()
                ),
            ));
        }
        let duration = if last {
            last_duration(raw, self.previous)
        } else {
            raw.unwrap_or(0)
        };
        let composition_offset = composition
            .checked_add(self.plan.shift)
            .and_then(|c| u64::try_from(c).ok())
            .ok_or_else(|| malformed("sample", offset, "composition offset below the track's"))?;
        let info = SampleInfo {
            index: n,
            offset,
            size,
            decode_time: self.decode_time,
            composition_offset,
            duration,
            sync,
        };
        self.decode_time = self
            .decode_time
            .checked_add(duration)
            .ok_or_else(|| malformed("sample", offset, "decode times add up past 2^64"))?;
        self.previous = duration;
        self.next = n.saturating_add(1);
        Ok(info)
    }

    /// Sample `n` from the `stbl` tables: offset, size, `stts` delta, composition offset
    /// and sync flag.
    fn read_tables<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        n: u64,
    ) -> Result<(u64, u32, u32, i64, bool)> {
        let t = &mut self.plan.tables;
        let size = t.sizes.size(input, n)?;
        if self.chunk_left == 0 {
            let (chunk, samples) = t.stsc.next_chunk(input)?;
            if chunk >= t.chunks.count() {
                return Err(malformed(
                    "stsc",
                    t.stsc.table_offset(),
                    format!(
                        "chunk {} is past the {} chunks of the chunk offset table",
                        chunk.saturating_add(1),
                        t.chunks.count()
                    ),
                ));
            }
            self.chunk_pos = t.chunks.offset(input, chunk)?;
            self.chunk_left = samples;
        }
        let offset = self.chunk_pos;
        self.chunk_pos = offset
            .checked_add(u64::from(size))
            .ok_or_else(|| malformed("stco", offset, "sample offsets overflow"))?;
        self.chunk_left = self.chunk_left.saturating_sub(1);
        let delta = t.stts.next(input, n)?;
        let composition = match &mut t.ctts {
            // Read as signed whatever the version, as FFmpeg and re_mp4 do: version 0
            // files with "negative" offsets are common.
            Some(ctts) => i64::from(i32::from_be_bytes(ctts.next(input, n)?.to_be_bytes())),
            None => 0,
        };
        let sync = match &mut t.stss {
            Some(stss) => stss.is_sync(input, n)?,
            None => true,
        };
        Ok((offset, size, delta, composition, sync))
    }
}

/// The error when the fragments end before the count measured at open (the file
/// changed since).
fn ended(len: u64) -> Error {
    malformed(
        "moof",
        len,
        "the fragments end before the sample count measured when the file was opened",
    )
}
