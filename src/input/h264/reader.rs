//! Access units of a raw H.264 Annex B stream read incrementally from a file or pipe.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;

use super::gop::OpenGopCheck;
use crate::codec::avc::{
    NAL_AUD, NAL_IDR_SLICE, NAL_PPS, NAL_SEI, NAL_SLICE, NAL_SLICE_DPA, NAL_SLICE_DPC, NAL_SPS,
    PocComputer, Pps, RecoveryPoint, SliceHeader, Sps, find_start_code, nal_unit_type,
    push_length_prefixed4, trim_trailing_zeros,
};
use crate::error::{Error, Result};

/// Bytes read from the source at a time.
const CHUNK: usize = 1 << 20;

/// Largest NAL unit or access unit accepted; bounds memory on a stream with no start
/// codes. Matches the crate's sample size limit.
const MAX_UNIT: usize = 64 << 20;

const WHAT: &str = "H.264 stream";

/// One access unit (a primary coded picture with its non-VCL NAL units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnit {
    /// All NAL units of the access unit (parameter sets included), each behind a 4-byte
    /// big-endian length.
    pub data: Bytes,
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

/// Finds NAL units in a byte source with a bounded buffer.
struct NalScanner<R> {
    source: R,
    path: PathBuf,
    buf: Vec<u8>,
    /// Start of the current NAL unit (after its start code); `None` before the first
    /// start code.
    start: Option<usize>,
    /// Where the search for the next start code resumes.
    scan: usize,
    eof: bool,
    /// Bytes dropped from the front of `buf`, so offsets refer to the whole stream.
    dropped: usize,
}

impl<R: Read> NalScanner<R> {
    /// The next NAL unit without start code and trailing zero bytes, with its offset.
    fn next_nal(&mut self) -> Result<Option<(&[u8], usize)>> {
        let range = loop {
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
                break start..start + nal.len();
            }
            if end == self.buf.len() && self.eof {
                return Ok(None);
            }
        };
        let offset = self.dropped + range.start;
        Ok(self.buf.get(range).map(|nal| (nal, offset)))
    }

    /// Drops consumed bytes and reads one more chunk; sets `eof` at the end.
    fn fill(&mut self) -> Result<()> {
        let keep = self.start.unwrap_or(self.scan).min(self.buf.len());
        self.buf.drain(..keep);
        self.dropped += keep;
        self.scan -= keep.min(self.scan);
        if let Some(start) = &mut self.start {
            *start -= keep;
        }
        if self.buf.len() > MAX_UNIT {
            return Err(Error::malformed(
                WHAT,
                self.dropped,
                format!("NAL unit longer than {MAX_UNIT} bytes"),
            ));
        }
        // read_to_end retries interrupted reads and does not zero the spare capacity.
        let read = (&mut self.source)
            .take(CHUNK as u64)
            .read_to_end(&mut self.buf)
            .map_err(|source| Error::Io {
                op: "read",
                path: self.path.clone(),
                source,
            })?;
        self.eof = read == 0;
        Ok(())
    }
}

/// The access unit being gathered.
#[derive(Debug, Default)]
struct Pending {
    data: Vec<u8>,
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
    /// Stream offset of the first NAL unit.
    offset: Option<usize>,
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
}

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
            scanner: NalScanner {
                source,
                path: path.into(),
                buf: Vec::new(),
                start: None,
                scan: 0,
                eof: false,
                dropped: 0,
            },
            assembler: Assembler::default(),
            gop: OpenGopCheck::default(),
        }
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
        while let Some((nal, offset)) = self.scanner.next_nal()? {
            if let Some(au) = self.assembler.push(nal, offset)? {
                return Ok(Some(au));
            }
        }
        self.assembler.finish_pending()
    }
}

impl Assembler {
    /// Adds the next NAL unit; returns the access unit it completes, if any.
    fn push(&mut self, nal: &[u8], offset: usize) -> Result<Option<AccessUnit>> {
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
                self.push_nal(nal, offset)?;
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
        self.push_nal(nal, offset)?;
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

    fn push_nal(&mut self, nal: &[u8], offset: usize) -> Result<()> {
        if self.pending.data.len() + nal.len() + 4 > MAX_UNIT {
            return Err(Error::malformed(
                WHAT,
                offset,
                format!("access unit longer than {MAX_UNIT} bytes"),
            ));
        }
        self.pending.offset.get_or_insert(offset);
        push_length_prefixed4(&mut self.pending.data, nal)
    }

    /// Turns the gathered NAL units into an access unit; `None` when they hold no
    /// picture (parameter sets or SEI at the end of the stream).
    fn finish_pending(&mut self) -> Result<Option<AccessUnit>> {
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
        Ok(Some(AccessUnit {
            data: Bytes::from(p.data),
            is_idr: first.is_idr,
            starts_period: first.is_idr || first.has_mmco5,
            poc,
            field_pic: first.field_pic,
            sps: p.sps,
            pps: p.pps,
            is_intra: !p.has_inter,
            recovery_point: p.recovery_point,
            offset: p.offset.unwrap_or_default(),
        }))
    }
}
