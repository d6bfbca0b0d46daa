//! Access units of a raw H.264 Annex B stream read incrementally from a file or pipe.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::gop::OpenGopCheck;
use crate::codec::avc::{
    NAL_AUD, NAL_IDR_SLICE, NAL_PPS, NAL_SEI, NAL_SLICE, NAL_SLICE_DPA, NAL_SLICE_DPC, NAL_SPS,
    PocComputer, Pps, RecoveryPoint, SliceHeader, Sps, nal_unit_type,
};
use crate::codec::bitstream::{find_start_code, push_length_prefixed4, trim_trailing_zeros};
use crate::error::{Error, Result};
use crate::mux::{Chunk, FileRange};

/// Bytes read from the source at a time.
const CHUNK: usize = 1 << 20;

/// Bytes read at a time when access units are left in the file: no access unit pins a
/// buffer then, so two small ones, reused, are all the reader holds.
const IN_FILE_CHUNK: usize = 256 << 10;

/// The smallest access unit worth leaving in the file ([`AccessUnitReader::leave_in_file`]):
/// copying a smaller one out of the read buffer costs less than the two system calls per
/// NAL unit that move it from the file (pictures of a low rung are a few KiB). On a 4-rung
/// ladder 16 KiB packaged as fast as 64 KiB and held 4 MiB less.
pub const MIN_IN_FILE: usize = 16 << 10;

/// Earlier read buffers kept for reuse. Access units of a fragment being gathered
/// pin the buffers they were cut from: a few MiB at high bit rates.
const MAX_RETIRED: usize = 4;

/// Largest NAL unit or access unit accepted; bounds memory on a stream with no start
/// codes. Matches the crate's sample size limit.
const MAX_UNIT: usize = 64 << 20;

const WHAT: &str = "H.264 stream";

/// One access unit (a primary coded picture with its non-VCL NAL units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnit {
    /// All NAL units of the access unit (parameter sets included), each behind a 4-byte
    /// big-endian length; empty when they were left in the file.
    pub data: Bytes,
    /// The same bytes left in the file, when the reader was asked to leave them there
    /// ([`AccessUnitReader::leave_in_file`]): each NAL unit's 4-byte length in memory, then
    /// its range of the file. Empty when `data` holds them.
    pub pieces: Vec<Chunk>,
    /// Whether the picture is an IDR picture.
    pub is_idr: bool,
    /// Whether POCs restart here: an IDR picture or one with
    /// memory_management_control_operation 5.
    pub starts_period: bool,
    /// Picture order count (8.2.1).
    pub poc: i32,
    /// Whether the picture is a single field rather than a frame.
    pub field_pic: bool,
    /// The first SPS NAL unit in the access unit, if any.
    pub sps: Option<Bytes>,
    /// The first PPS NAL unit in the access unit, if any.
    pub pps: Option<Bytes>,
    /// Whether every slice of the primary picture is intra coded (I or SI).
    pub is_intra: bool,
    /// The recovery point SEI of the access unit, if it has one: the encoder marks the
    /// picture as a random access point even when it is not an IDR picture.
    pub recovery_point: Option<RecoveryPoint>,
    /// Byte offset in the stream of the access unit's first NAL unit (after its start
    /// code), for messages.
    pub offset: usize,
}

/// Finds NAL units in a byte source with a bounded buffer, and cuts access units out of
/// that buffer: each 4-byte start code is overwritten with its NAL unit's length in
/// place, so the usual access unit becomes a sample without a copy.
struct NalScanner<R> {
    source: R,
    path: PathBuf,
    /// The bytes not yet consumed. Access units handed out share its allocations.
    buf: BytesMut,
    /// Start of the current NAL unit (after its start code); `None` before the first
    /// start code.
    start: Option<usize>,
    /// Where the search for the next start code resumes.
    scan: usize,
    eof: bool,
    /// Bytes consumed from the front of the stream: `buf` starts at this stream offset.
    dropped: usize,
    /// Stream offset from which bytes are kept across reads: the pending access unit's
    /// first NAL unit and the four bytes before it, which become its length.
    hold: Option<usize>,
    /// Bytes read from the source at a time.
    chunk: usize,
    /// Earlier buffers, emptied, waiting for the access units cut from them to be
    /// dropped: then their allocation is read into again. Reusing them keeps the memory
    /// the allocator holds to what is alive and spares a page fault per 4 KiB read.
    retired: VecDeque<BytesMut>,
    /// The file being read, again, when access units are to be left in it: they are cut
    /// as ranges of it, and no buffer outlives the read that filled it.
    in_file: Option<Arc<File>>,
}

impl<R: Read> NalScanner<R> {
    fn new(source: R, path: PathBuf, chunk: usize) -> Self {
        NalScanner {
            source,
            path,
            buf: BytesMut::new(),
            start: None,
            scan: 0,
            eof: false,
            dropped: 0,
            hold: None,
            chunk,
            retired: VecDeque::new(),
            in_file: None,
        }
    }

    /// The stream offsets of the next NAL unit, without start code and trailing zero
    /// bytes.
    fn next_nal(&mut self) -> Result<Option<Range<usize>>> {
        loop {
            let Some(start) = self.start else {
                if let Some(sc) = find_start_code(&self.buf, self.scan) {
                    self.start = Some(sc + 3);
                    self.scan = sc + 3;
                    continue;
                }
                if self.eof {
                    if self.dropped + self.buf.len() > 0 {
                        return Err(Error::malformed(WHAT, 0, "no Annex B start code"));
                    }
                    return Ok(None);
                }
                // Keep two bytes that may begin a start code split across reads.
                self.scan = self.buf.len().saturating_sub(2);
                self.fill()?;
                continue;
            };
            let end = match find_start_code(&self.buf, self.scan.max(start)) {
                Some(sc) => {
                    self.start = Some(sc + 3);
                    self.scan = sc + 3;
                    sc
                }
                None if self.eof => {
                    self.start = Some(self.buf.len());
                    self.scan = self.buf.len();
                    self.buf.len()
                }
                None => {
                    self.scan = self.buf.len().saturating_sub(2).max(start);
                    self.fill()?;
                    continue;
                }
            };
            let nal = trim_trailing_zeros(self.buf.get(start..end).unwrap_or_default());
            if !nal.is_empty() {
                let at = self.dropped + start;
                return Ok(Some(at..at + nal.len()));
            }
            if end == self.buf.len() && self.eof {
                return Ok(None);
            }
        }
    }

    /// The bytes of a NAL unit `next_nal` returned, while they are held.
    fn get(&self, span: &Range<usize>) -> Result<&[u8]> {
        held(&self.buf, self.dropped, span)
    }

    /// The access unit made of the NAL units `nals` (in stream order, all still held),
    /// each behind a 4-byte length; consumes the stream up to its end.
    ///
    /// When every NAL unit but the first follows the previous one's last byte by exactly
    /// a 4-byte start code, and four consumed-free bytes precede the first, the lengths
    /// are written over the start codes and the bytes are handed out where they are.
    /// Otherwise (3-byte start codes, trailing zero bytes, skipped units in between) they
    /// are copied.
    ///
    /// With `copy`, they are always copied, so that no read buffer stays pinned.
    fn cut(&mut self, nals: &[Range<usize>], copy: bool) -> Result<Bytes> {
        let (Some(first), Some(last)) = (nals.first(), nals.last()) else {
            return Ok(Bytes::new());
        };
        let base = self.dropped;
        let in_place = !copy
            && first.start >= base + 4
            && nals
                .iter()
                .zip(nals.iter().skip(1))
                .all(|(a, b)| b.start == a.end + 4);
        let mut head = self.consume(last.end)?;
        if !in_place {
            let mut out = Vec::with_capacity(nals.iter().map(|n| n.len() + 4).sum());
            for nal in nals {
                push_length_prefixed4(&mut out, held(&head, base, nal)?)?;
            }
            return Ok(Bytes::from(out));
        }
        let origin = first.start - 4;
        head.advance(origin - base);
        for nal in nals {
            let len = nal_length(nal)?;
            let at = nal.start - 4 - origin;
            if let Some(field) = head.get_mut(at..at + 4) {
                field.copy_from_slice(&len.to_be_bytes());
            }
        }
        Ok(head.freeze())
    }

    /// The access unit made of the NAL units `nals` as ranges of `file` behind their
    /// lengths; consumes the stream up to its end.
    fn cut_in_file(&mut self, file: &Arc<File>, nals: &[Range<usize>]) -> Result<Vec<Chunk>> {
        let mut lengths = BytesMut::with_capacity(4 * nals.len());
        for nal in nals {
            lengths.put_u32(nal_length(nal)?);
        }
        let lengths = lengths.freeze();
        let mut pieces = Vec::with_capacity(2 * nals.len());
        for (i, nal) in nals.iter().enumerate() {
            pieces.push(Chunk::Memory(lengths.slice(4 * i..4 * i + 4)));
            pieces.push(Chunk::File(FileRange {
                file: Arc::clone(file),
                offset: nal.start as u64,
                len: nal.len() as u64,
            }));
        }
        if let Some(last) = nals.last() {
            self.consume(last.end)?;
        }
        Ok(pieces)
    }

    /// An empty buffer of at least `capacity` bytes: a retired one no access unit uses any
    /// more, or a new one.
    fn empty_buffer(&mut self, capacity: usize) -> Vec<u8> {
        let free = self
            .retired
            .iter_mut()
            .position(|b| b.try_reclaim(capacity));
        // `try_reclaim` also succeeds on a buffer still shared whose own view has room;
        // converting such a one gives an empty copy, so only a conversion that kept the
        // allocation (unique and empty: nothing copied) is reused.
        free.and_then(|at| self.retired.remove(at))
            .map(Vec::from)
            .filter(|reused| reused.capacity() >= capacity)
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    /// Takes the buffered bytes before stream offset `end` off the front.
    fn consume(&mut self, end: usize) -> Result<BytesMut> {
        let n = end
            .checked_sub(self.dropped)
            .filter(|&n| n <= self.buf.len())
            .ok_or_else(|| {
                Error::InvalidState(format!("{WHAT}: access unit no longer buffered"))
            })?;
        self.dropped += n;
        self.scan = self.scan.saturating_sub(n);
        if let Some(start) = &mut self.start {
            *start = start.saturating_sub(n);
        }
        Ok(self.buf.split_to(n))
    }

    /// Moves what must be kept into a fresh buffer and reads one more chunk after it;
    /// sets `eof` at the end. The old buffer stays alive only as long as access units cut
    /// from it do.
    fn fill(&mut self) -> Result<()> {
        if let Some(start) = self.start
            && self.buf.len().saturating_sub(start) > MAX_UNIT
        {
            return Err(Error::malformed(
                WHAT,
                self.dropped + start,
                format!("NAL unit longer than {MAX_UNIT} bytes"),
            ));
        }
        // The current NAL unit with the four bytes before it (its length if it begins an
        // access unit), or the pending access unit from its first such bytes.
        let mut keep = self
            .start
            .map_or(self.scan, |s| s.saturating_sub(4))
            .min(self.buf.len());
        if let Some(hold) = self.hold {
            keep = keep.min(hold.saturating_sub(self.dropped));
        }
        let carried = self.buf.len().saturating_sub(keep);
        // Buffers of one size (unless a long unit is carried) can all be reused.
        let mut next = self.empty_buffer((carried + (self.chunk / 2).max(1)).max(self.chunk));
        next.extend_from_slice(self.buf.get(keep..).unwrap_or_default());
        // A read of nothing means the end of the stream: always ask for something.
        next.reserve((self.chunk / 2).max(1));
        // read_to_end retries interrupted reads and does not zero the spare capacity.
        let read = (&mut self.source)
            .take((next.capacity() - next.len()) as u64)
            .read_to_end(&mut next)
            .map_err(|source| Error::Io {
                op: "read",
                path: self.path.clone(),
                source,
            })?;
        let mut old = std::mem::replace(&mut self.buf, BytesMut::from(Bytes::from(next)));
        old.clear();
        self.retired.push_back(old);
        if self.retired.len() > MAX_RETIRED {
            // Still shared after this many reads: let its access units free it.
            self.retired.pop_front();
        }
        self.dropped += keep;
        self.scan -= keep.min(self.scan);
        if let Some(start) = &mut self.start {
            *start -= keep.min(*start);
        }
        self.eof = read == 0;
        Ok(())
    }
}

/// The 4-byte length field of the NAL unit at `span`.
fn nal_length(span: &Range<usize>) -> Result<u32> {
    u32::try_from(span.len())
        .map_err(|_| Error::malformed(WHAT, span.start, "NAL unit too long for a 4-byte length"))
}

/// The stream bytes at `span` in `buf`, which starts at stream offset `base`.
fn held<'a>(buf: &'a [u8], base: usize, span: &Range<usize>) -> Result<&'a [u8]> {
    span.start
        .checked_sub(base)
        .zip(span.end.checked_sub(base))
        .and_then(|(from, to)| buf.get(from..to))
        .ok_or_else(|| Error::InvalidState(format!("{WHAT}: NAL unit no longer buffered")))
}

/// The access unit being gathered.
#[derive(Debug, Default)]
struct Pending {
    /// Stream offsets of its NAL units.
    nals: Vec<Range<usize>>,
    /// Its size as length-prefixed NAL units.
    size: usize,
    /// The first slice header of the primary picture.
    first: Option<SliceHeader>,
    /// The latest slice header of the primary picture, to spot the next picture.
    last: Option<SliceHeader>,
    /// Whether a primary slice starting at macroblock 0 was seen.
    has_mb0: bool,
    /// Whether a primary slice that is not intra coded was seen.
    has_inter: bool,
    /// The first recovery point SEI message.
    recovery_point: Option<RecoveryPoint>,
    sps: Option<Bytes>,
    pps: Option<Bytes>,
}

/// Splits a raw H.264 Annex B stream into access units (H.264 7.4.1.2.3), reading it a
/// chunk at a time so memory stays bounded whatever the stream length.
///
/// Parameter sets are kept in the access units (in band) and also exposed. Slices that
/// come before the first SPS and PPS cannot be decoded and are skipped.
///
/// An open-GOP stream (GOPs started by recovery-point I pictures, no IDR picture after the
/// first) is refused: Smooth fragments can only start at IDR pictures.
pub struct AccessUnitReader<R> {
    scanner: NalScanner<R>,
    assembler: Assembler,
    gop: OpenGopCheck,
    /// Smallest access unit left in the file, once asked to.
    min_in_file: usize,
}

/// An access unit whose bytes are still in the scanner's buffer, at these stream offsets.
type Finished = (AccessUnit, Vec<Range<usize>>);

/// Groups NAL units into access units.
#[derive(Default)]
struct Assembler {
    sps: HashMap<u8, Sps>,
    pps: HashMap<u8, Pps>,
    poc: PocComputer,
    pending: Pending,
    /// SPS id of the last access unit returned.
    active_sps: Option<u8>,
    skipped: u64,
}

impl<R: Read> AccessUnitReader<R> {
    /// Reads from `source`; I/O errors name no file.
    pub fn new(source: R) -> Self {
        Self::with_path(source, PathBuf::new())
    }

    /// Reads from `source`; I/O errors name `path`.
    pub fn with_path(source: R, path: impl Into<PathBuf>) -> Self {
        AccessUnitReader {
            scanner: NalScanner::new(source, path.into(), CHUNK),
            assembler: Assembler::default(),
            gop: OpenGopCheck::default(),
            min_in_file: MIN_IN_FILE,
        }
    }

    /// Reads `chunk` bytes at a time, so tests can put chunk edges anywhere.
    #[cfg(test)]
    pub(crate) fn with_chunk(source: R, chunk: usize) -> Self {
        AccessUnitReader {
            scanner: NalScanner::new(source, PathBuf::new(), chunk),
            assembler: Assembler::default(),
            gop: OpenGopCheck::default(),
            min_in_file: MIN_IN_FILE,
        }
    }

    /// Leaves the access units of at least `smallest` bytes read from now on in `file`
    /// (the file being read, opened again): they come as [`AccessUnit::pieces`], ranges of
    /// it behind their lengths, so a file-to-file writer copies them in the kernel. Smaller
    /// ones are copied out of the read buffer, so no read buffer is held either way
    /// ([`MIN_IN_FILE`] is a good `smallest`).
    pub fn leave_in_file(&mut self, file: Arc<File>, smallest: usize) {
        self.scanner.in_file = Some(file);
        self.scanner.chunk = self.scanner.chunk.min(IN_FILE_CHUNK);
        self.min_in_file = smallest;
    }

    /// The SPS of the last access unit returned.
    pub fn active_sps(&self) -> Option<&Sps> {
        let a = &self.assembler;
        a.sps.get(&a.active_sps?)
    }

    /// Slice NAL units skipped because no parameter set preceded them.
    pub fn skipped_slices(&self) -> u64 {
        self.assembler.skipped
    }

    /// The next access unit in decoding order, or `None` at the end of the stream.
    ///
    /// Fails on an open GOP (see [`AccessUnitReader`]) at its second GOP start or at the
    /// end of the stream, with a message naming its first GOP start.
    pub fn next_access_unit(&mut self) -> Result<Option<AccessUnit>> {
        let au = self.read_access_unit()?;
        match &au {
            Some(au) => self.gop.check(au)?,
            None => self.gop.finish()?,
        }
        Ok(au)
    }

    /// The next access unit, unchecked.
    fn read_access_unit(&mut self) -> Result<Option<AccessUnit>> {
        while let Some(span) = self.scanner.next_nal()? {
            let nal = self.scanner.get(&span)?;
            let done = self.assembler.push(nal, span)?;
            self.scanner.hold = self
                .assembler
                .pending
                .nals
                .first()
                .map(|n| n.start.saturating_sub(4));
            if let Some(done) = done {
                return self.cut(done).map(Some);
            }
        }
        self.assembler
            .finish_pending()?
            .map(|done| self.cut(done))
            .transpose()
    }

    /// Gives a finished access unit its bytes.
    fn cut(&mut self, (mut au, nals): Finished) -> Result<AccessUnit> {
        let size: usize = nals.iter().map(|n| n.len() + 4).sum();
        match self.scanner.in_file.clone() {
            Some(file) if size >= self.min_in_file => {
                au.pieces = self.scanner.cut_in_file(&file, &nals)?;
            }
            in_file => au.data = self.scanner.cut(&nals, in_file.is_some())?,
        }
        Ok(au)
    }
}

impl Assembler {
    /// Adds the next NAL unit, at stream offsets `span`; returns the access unit it
    /// completes, if any.
    fn push(&mut self, nal: &[u8], span: Range<usize>) -> Result<Option<Finished>> {
        let offset = span.start;
        let nal_type = nal_unit_type(nal).unwrap_or(0);
        let starts_au = match nal_type {
            NAL_SLICE | NAL_IDR_SLICE => {
                if self.pps.is_empty() || self.sps.is_empty() {
                    self.skipped += 1;
                    return Ok(None);
                }
                let h = SliceHeader::parse(nal, |id| self.sps.get(&id), |id| self.pps.get(&id))
                    .map_err(|e| e.offset_by(offset))?;
                let done = if self.new_picture(&h) {
                    self.finish_pending()?
                } else {
                    None
                };
                let p = &mut self.pending;
                if h.redundant_pic_cnt == 0 {
                    p.has_mb0 |= h.first_mb_in_slice == 0;
                    p.has_inter |= !h.is_intra();
                    if p.first.is_none() {
                        p.first = Some(h.clone());
                    }
                    p.last = Some(h);
                }
                self.push_nal(span)?;
                return Ok(done);
            }
            NAL_SLICE_DPA..=NAL_SLICE_DPC => {
                return Err(Error::malformed(
                    WHAT,
                    offset,
                    "data-partitioned slices (Extended profile) are not supported",
                ));
            }
            // Prefix NAL units (14) are left out: one precedes every base-layer slice, so
            // it cannot tell a new picture from the next slice of the same one.
            NAL_SEI | NAL_SPS | NAL_PPS | NAL_AUD | 15..=18 => self.pending.first.is_some(),
            _ => false,
        };
        let done = if starts_au {
            self.finish_pending()?
        } else {
            None
        };
        match nal_type {
            NAL_SPS => {
                let sps = Sps::parse(nal).map_err(|e| e.offset_by(offset))?;
                self.sps.insert(sps.seq_parameter_set_id, sps);
                self.pending
                    .sps
                    .get_or_insert_with(|| Bytes::copy_from_slice(nal));
            }
            NAL_PPS => {
                let pps = Pps::parse(nal).map_err(|e| e.offset_by(offset))?;
                self.pps.insert(pps.pic_parameter_set_id, pps);
                self.pending
                    .pps
                    .get_or_insert_with(|| Bytes::copy_from_slice(nal));
            }
            NAL_SEI if self.pending.recovery_point.is_none() => {
                // SEI is supplemental: a damaged message must not stop a decodable stream,
                // so it only counts as no recovery point.
                self.pending.recovery_point = RecoveryPoint::from_sei(nal).ok().flatten();
            }
            _ => {}
        }
        self.push_nal(span)?;
        Ok(done)
    }

    /// Whether slice `h` begins a new primary picture (7.4.1.2.4).
    fn new_picture(&self, h: &SliceHeader) -> bool {
        let Some(prev) = &self.pending.last else {
            return false;
        };
        if h.redundant_pic_cnt > 0 {
            return false;
        }
        // Two slices of one picture cannot both start at macroblock 0, whatever their
        // order.
        if h.first_mb_in_slice == 0 && self.pending.has_mb0 {
            return true;
        }
        let poc_type = self
            .pps
            .get(&h.pic_parameter_set_id)
            .and_then(|pps| self.sps.get(&pps.seq_parameter_set_id))
            .map_or(0, |sps| sps.pic_order_cnt_type);
        h.frame_num != prev.frame_num
            || h.pic_parameter_set_id != prev.pic_parameter_set_id
            || h.field_pic != prev.field_pic
            || h.bottom_field != prev.bottom_field
            || (h.nal_ref_idc == 0) != (prev.nal_ref_idc == 0)
            || h.is_idr != prev.is_idr
            || (h.is_idr && h.idr_pic_id != prev.idr_pic_id)
            || (poc_type == 0
                && (h.pic_order_cnt_lsb != prev.pic_order_cnt_lsb
                    || h.delta_pic_order_cnt_bottom != prev.delta_pic_order_cnt_bottom))
            || (poc_type == 1 && h.delta_pic_order_cnt != prev.delta_pic_order_cnt)
    }

    fn push_nal(&mut self, span: Range<usize>) -> Result<()> {
        let size = self.pending.size + span.len() + 4;
        if size > MAX_UNIT {
            return Err(Error::malformed(
                WHAT,
                span.start,
                format!("access unit longer than {MAX_UNIT} bytes"),
            ));
        }
        self.pending.size = size;
        self.pending.nals.push(span);
        Ok(())
    }

    /// Turns the gathered NAL units into an access unit (its bytes still to be cut from
    /// the buffer); `None` when they hold no picture (parameter sets or SEI at the end of
    /// the stream).
    fn finish_pending(&mut self) -> Result<Option<Finished>> {
        let p = std::mem::take(&mut self.pending);
        let Some(first) = p.first else {
            return Ok(None);
        };
        let sps_id = self
            .pps
            .get(&first.pic_parameter_set_id)
            .map(|pps| pps.seq_parameter_set_id);
        let sps = sps_id
            .and_then(|id| self.sps.get(&id))
            .ok_or_else(|| Error::malformed(WHAT, 0, "picture without its parameter sets"))?;
        let poc = self.poc.compute(sps, &first)?;
        self.active_sps = sps_id;
        let offset = p.nals.first().map_or(0, |n| n.start);
        let au = AccessUnit {
            data: Bytes::new(),
            pieces: Vec::new(),
            is_idr: first.is_idr,
            starts_period: first.is_idr || first.has_mmco5,
            poc,
            field_pic: first.field_pic,
            sps: p.sps,
            pps: p.pps,
            is_intra: !p.has_inter,
            recovery_point: p.recovery_point,
            offset,
        };
        Ok(Some((au, p.nals)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A retired buffer with room in its own view but still shared with an access unit
    /// must not be handed out as the next read buffer (it would come back empty, and the
    /// read after it would look like the end of the stream).
    #[test]
    fn a_buffer_still_shared_is_not_reused() {
        let mut scanner = NalScanner::new(std::io::empty(), PathBuf::new(), 16);
        let mut buffer = BytesMut::from(Bytes::from(vec![7u8; 4096]));
        let unit = buffer.split_to(8).freeze();
        buffer.clear();
        scanner.retired.push_back(buffer);
        let next = scanner.empty_buffer(64);
        assert!(next.capacity() >= 64 && next.is_empty());
        assert_eq!(unit.as_ref(), [7u8; 8], "the access unit is untouched");
    }
}
