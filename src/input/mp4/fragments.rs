//! Movie fragments (`moof` > `traf` > `trun`): the samples of fragmented files (`.ismv`,
//! `.cmfv`, FFmpeg's `frag_keyframe`), walked box by box with each `trun`'s entries read
//! through a [`Window`], so memory does not grow with the fragment count or size.

use std::io::{Read, Seek};

use super::boxes::{Children, Input, malformed};
use super::movie::MAX_HEADER_BOX;
use super::window::Window;
use crate::error::Result;
use crate::isobmff::reader::{ByteCursor, Tfhd, Trex, Trun};

/// Sample flag `sample_is_non_sync_sample` (ISO 14496-12 §8.8.3.1).
const NON_SYNC: u32 = 0x0001_0000;

/// The per-sample fields a `trun` may carry, in their order in an entry.
const PER_SAMPLE: [u32; 4] = [
    Trun::SAMPLE_DURATION_PRESENT,
    Trun::SAMPLE_SIZE_PRESENT,
    Trun::SAMPLE_FLAGS_PRESENT,
    Trun::SAMPLE_COMPOSITION_TIME_OFFSET_PRESENT,
];

/// One sample of a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FragmentSample {
    /// Its track.
    pub(crate) track: u32,
    /// File offset of its bytes.
    pub(crate) offset: u64,
    /// Its size.
    pub(crate) size: u32,
    /// Its duration as the fragment gives it.
    pub(crate) duration: u32,
    /// Composition offset: unsigned in `trun` version 0, signed in version 1.
    pub(crate) composition: i64,
    /// Whether the flags say it is a sync sample.
    pub(crate) sync: bool,
}

/// The `moof` being walked.
#[derive(Debug, Clone)]
struct Moof {
    /// Its offset: the default base of data offsets.
    start: u64,
    /// Its children not walked yet.
    children: Children,
    /// Whether no `traf` has been seen in it yet.
    first_traf: bool,
    /// End of the previous `traf`'s data: the base of a `traf` that names none.
    data_end: u64,
}

/// The `traf` being walked.
#[derive(Debug, Clone)]
struct Traf {
    /// Its track.
    track: u32,
    /// Its children not walked yet.
    children: Children,
    /// Defaults from `tfhd`, else `trex`, else 0.
    duration: u32,
    /// Default sample size.
    size: u32,
    /// Default sample flags.
    flags: u32,
    /// Base data offset.
    base: u64,
    /// End of the data of its last run so far.
    data_end: u64,
    /// Whether no `trun` has been seen in it yet.
    first_run: bool,
    /// Whether its samples are handed out (else it is walked only for its data end).
    wanted: bool,
}

/// The `trun` being walked.
#[derive(Debug, Clone)]
struct Run {
    /// The per-sample entries; `None` when the run has none (every field defaults).
    entries: Option<Window>,
    /// Samples in the run.
    count: u64,
    /// Next sample.
    next: u64,
    /// trun flags.
    flags: u32,
    /// trun version (1: signed composition offsets).
    version: u8,
    /// first_sample_flags.
    first_flags: Option<u32>,
    /// File offset of the next sample's bytes.
    pos: u64,
}

/// A walk over the fragments of a file, for one track or all.
#[derive(Debug, Clone)]
pub(crate) struct Fragments {
    /// The track whose samples are handed out; `None` for all.
    only: Option<u32>,
    /// Whether other tracks' `traf`s are walked too, because some `traf` takes its base
    /// from the end of the previous one's data.
    walk_others: bool,
    /// Whether such a `traf` has been seen.
    implicit_base_seen: bool,
    /// The top-level boxes not walked yet.
    top: Children,
    /// Where the walk is.
    moof: Option<Moof>,
    /// The `traf` being walked.
    traf: Option<Traf>,
    /// The `trun` being walked.
    run: Option<Run>,
}

impl Fragments {
    /// A walk over the fragments of a file of `len` bytes handing out the samples of
    /// track `only` (all tracks if `None`).
    pub(crate) fn new(only: Option<u32>, walk_others: bool, len: u64) -> Self {
        Fragments {
            only,
            walk_others,
            implicit_base_seen: false,
            top: Children::top(len),
            moof: None,
            traf: None,
            run: None,
        }
    }

    /// Whether a `traf` that is not the first of its `moof` took its base from the
    /// previous one's data (so one track's walk must go through the others' entries).
    pub(crate) fn implicit_base_seen(&self) -> bool {
        self.implicit_base_seen
    }

    /// Bytes buffered.
    pub(crate) fn capacity(&self) -> usize {
        self.run
            .as_ref()
            .and_then(|r| r.entries.as_ref())
            .map_or(0, Window::capacity)
    }

    /// The next sample, or `None` after the last fragment.
    pub(crate) fn next<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        trex: &[Trex],
    ) -> Result<Option<FragmentSample>> {
        loop {
            if let Some(sample) = self.next_in_run(input)? {
                if self.traf.as_ref().is_some_and(|t| t.wanted) {
                    return Ok(Some(sample));
                }
                continue;
            }
            if self.traf.is_some() {
                if !self.next_run(input)? {
                    // The traf is done: its data end is the next one's implicit base.
                    if let (Some(traf), Some(moof)) = (self.traf.take(), &mut self.moof) {
                        moof.data_end = traf.data_end;
                    }
                }
                continue;
            }
            if self.moof.is_some() {
                if !self.next_traf(input, trex)? {
                    self.moof = None;
                }
                continue;
            }
            match self.top.find(input, b"moof")? {
                Some(m) => {
                    self.moof = Some(Moof {
                        start: m.offset,
                        children: Children::of(&m),
                        first_traf: true,
                        data_end: m.offset,
                    });
                }
                None => return Ok(None),
            }
        }
    }

    /// The next sample of the current run; `None` when there is no run, or it just ended
    /// (then `self.run` is cleared).
    fn next_in_run<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
    ) -> Result<Option<FragmentSample>> {
        let (Some(run), Some(traf)) = (&mut self.run, &mut self.traf) else {
            return Ok(None);
        };
        if run.next >= run.count {
            traf.data_end = run.pos;
            self.run = None;
            return Ok(None);
        }
        let index = run.next;
        let (mut duration, mut size, mut flags, mut composition) =
            (traf.duration, traf.size, traf.flags, 0i64);
        if index == 0
            && let Some(first) = run.first_flags
        {
            flags = first;
        }
        if let Some(entries) = &mut run.entries {
            let mut e = entries.entry(input, index)?;
            if run.flags & Trun::SAMPLE_DURATION_PRESENT != 0 {
                duration = e.u32()?;
            }
            if run.flags & Trun::SAMPLE_SIZE_PRESENT != 0 {
                size = e.u32()?;
            }
            if run.flags & Trun::SAMPLE_FLAGS_PRESENT != 0 {
                flags = e.u32()?;
            }
            if run.flags & Trun::SAMPLE_COMPOSITION_TIME_OFFSET_PRESENT != 0 {
                let v = e.u32()?;
                composition = if run.version == 0 {
                    i64::from(v)
                } else {
                    i64::from(i32::from_be_bytes(v.to_be_bytes()))
                };
            }
        }
        let offset = run.pos;
        run.pos = offset
            .checked_add(u64::from(size))
            .ok_or_else(|| malformed("trun", offset, "sample offsets overflow"))?;
        run.next = index.saturating_add(1);
        Ok(Some(FragmentSample {
            track: traf.track,
            offset,
            size,
            duration,
            composition,
            sync: flags & NON_SYNC == 0,
        }))
    }

    /// Starts the next `trun` of the current `traf`; false when there is none.
    fn next_run<R: Read + Seek>(&mut self, input: &mut Input<R>) -> Result<bool> {
        let Some(traf) = &mut self.traf else {
            return Ok(false);
        };
        let Some(b) = traf.children.find(input, b"trun")? else {
            return Ok(false);
        };
        let head: [u8; 8] = b.read_fields(input, "trun")?;
        let mut c = ByteCursor::at(&head, b.body(), "trun");
        let version = c.u8()?;
        let flags = c.u24()?;
        let count = u64::from(c.u32()?);
        if version > 1 {
            return Err(malformed(
                "trun",
                b.body(),
                format!("unsupported version {version}"),
            ));
        }
        let has_offset = flags & Trun::DATA_OFFSET_PRESENT != 0;
        let has_first = flags & Trun::FIRST_SAMPLE_FLAGS_PRESENT != 0;
        // Optional fields: data_offset, first_sample_flags (4 bytes each).
        let optional = match (has_offset, has_first) {
            (true, true) => 8,
            (false, false) => 0,
            _ => 4,
        };
        let fixed = 8u64.saturating_add(optional as u64);
        let mut more = [0u8; 8];
        let more = more.get_mut(..optional).unwrap_or_default();
        if b.body_len() < fixed {
            return Err(malformed("trun", b.body(), "shorter than its fixed fields"));
        }
        input.read_at(b.body().saturating_add(8), more, "trun")?;
        let mut c = ByteCursor::at(more, b.body().saturating_add(8), "trun");
        let data_offset = if has_offset { Some(c.i32()?) } else { None };
        let first_flags = if has_first { Some(c.u32()?) } else { None };

        let pos = match data_offset {
            Some(d) => traf.base.checked_add_signed(i64::from(d)).ok_or_else(|| {
                malformed(
                    "trun",
                    b.body().saturating_add(8),
                    format!(
                        "data_offset {d} from base {} is outside the file",
                        traf.base
                    ),
                )
            })?,
            None if traf.first_run => traf.base,
            None => traf.data_end,
        };
        let fields = PER_SAMPLE.iter().filter(|&&f| flags & f != 0).count();
        let record = 4u64.saturating_mul(fields as u64);
        let entries = if record > 0 {
            let room = b.body_len().saturating_sub(fixed);
            if count.saturating_mul(record) > room {
                return Err(malformed(
                    "trun",
                    b.body().saturating_add(4),
                    format!(
                        "{count} samples of {record} bytes do not fit in the {room} bytes of the box"
                    ),
                ));
            }
            Some(Window::new(
                "trun",
                b.body().saturating_add(fixed),
                record,
                count,
            ))
        } else {
            // No entries: every sample has the default size. Their bytes must be in the
            // file, which also bounds how many there can be.
            let bytes = count.saturating_mul(u64::from(traf.size));
            let left = input.len().saturating_sub(pos);
            if count > 0 && (traf.size == 0 || bytes > left) {
                return Err(malformed(
                    "trun",
                    b.body().saturating_add(4),
                    format!(
                        "{count} samples of the default {} bytes do not fit in the {left} bytes after byte {pos}",
                        traf.size
                    ),
                ));
            }
            None
        };
        traf.first_run = false;
        self.run = Some(Run {
            entries,
            count,
            next: 0,
            flags,
            version,
            first_flags,
            pos,
        });
        Ok(true)
    }

    /// Starts the next `traf` of the current `moof` (skipping it when it is another
    /// track's and need not be walked); false when there is none.
    fn next_traf<R: Read + Seek>(&mut self, input: &mut Input<R>, trex: &[Trex]) -> Result<bool> {
        let Some(moof) = &mut self.moof else {
            return Ok(false);
        };
        let Some(b) = moof.children.find(input, b"traf")? else {
            return Ok(false);
        };
        let first = moof.first_traf;
        moof.first_traf = false;
        let tfhd = Children::of(&b)
            .find(input, b"tfhd")?
            .ok_or_else(|| malformed("traf", b.offset, "no tfhd box"))?;
        let data = tfhd.read_whole(input, MAX_HEADER_BOX, "tfhd")?;
        let tfhd = Tfhd::parse(&tfhd.as_ref(&data))?;
        let by_moof = tfhd.flags & Tfhd::DEFAULT_BASE_IS_MOOF != 0;
        let implicit = tfhd.base_data_offset.is_none() && !by_moof && !first;
        self.implicit_base_seen |= implicit;
        let wanted = self.only.is_none_or(|id| id == tfhd.track_id);
        if !wanted && !self.walk_others {
            return Ok(true);
        }
        let base = match tfhd.base_data_offset {
            Some(base) => base,
            None if by_moof || first => moof.start,
            None => moof.data_end,
        };
        let defaults = trex.iter().find(|t| t.track_id == tfhd.track_id);
        self.traf = Some(Traf {
            track: tfhd.track_id,
            children: Children::of(&b),
            duration: tfhd
                .default_sample_duration
                .or(defaults.map(|t| t.default_sample_duration))
                .unwrap_or(0),
            size: tfhd
                .default_sample_size
                .or(defaults.map(|t| t.default_sample_size))
                .unwrap_or(0),
            flags: tfhd
                .default_sample_flags
                .or(defaults.map(|t| t.default_sample_flags))
                .unwrap_or(0),
            base,
            data_end: base,
            first_run: true,
            wanted,
        });
        Ok(true)
    }
}
