//! VC-1 Advanced Profile elementary streams (`.vc1`): cut into ISMV samples at the start of
//! each frame (with the headers in front of it), bytes passed through unchanged (see
//! [`crate::codec::vc1`] for what an ISMV sample holds), and the presentation order of a
//! GOP from its frame types.

use std::io::Read;

use bytes::{Bytes, BytesMut};

use crate::codec::bitstream::{find_start_code, trim_trailing_zeros};
use crate::codec::vc1::{
    Dvc1Flags, EntryPoint, FrameType, SC_ENTRY_POINT, SC_EP_USER_DATA, SC_FRAME, SC_SEQ_USER_DATA,
    SC_SEQUENCE, SC_SLICE, SequenceHeader, Vc1Config, parse_frame_type, simple_main_error,
};
use crate::error::{Error, Result};

/// The largest sample the reader buffers; equal to the muxer's 64 MiB sample limit, so a
/// stream without start codes cannot make the reader grow without bound.
const MAX_SAMPLE: usize = 64 * 1024 * 1024;
/// How much the reader asks its source for at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The error for a proven open GOP (see [`check_smooth_compatible`](crate::codec::vc1::check_smooth_compatible)).
fn open_gop_error(frame_offset: u64) -> Error {
    Error::config(
        "VC-1",
        format!(
            "open GOP: the entry point before byte {frame_offset} has CLOSED_ENTRY = 0 and \
             B-frames that refer to the previous GOP follow its I-frame; Smooth fragments \
             must decode on their own, so re-encode with closed GOPs"
        ),
    )
}

/// True when `data` starts like an RCV file (WMV3 Simple/Main in the SMPTE 421M Annex L
/// layout): a little-endian u32 with 0xC5 in its top byte (frame count below), then the
/// u32 size of STRUCT_C (4, or 5 as in FFmpeg's `vc1test` files such as the shared
/// `wmv3_main.rcv`), then STRUCT_C.
pub fn is_rcv(data: &[u8]) -> bool {
    matches!(data, [_, _, _, 0xC5, 4 | 5, 0, 0, 0, _, _, _, _, ..])
}

/// The error for RCV input, naming the profile from STRUCT_C's top 2 bits (0 Simple,
/// 1 Main), or `None` when `data` is not RCV. For the CLI and [`Vc1FrameReader`].
pub fn rcv_error(data: &[u8]) -> Option<Error> {
    if !is_rcv(data) {
        return None;
    }
    let profile = match data.get(8).map(|b| b >> 6) {
        Some(0) => "Simple",
        Some(1) => "Main",
        _ => "Simple/Main",
    };
    Some(simple_main_error(profile))
}

/// One ISMV sample: a frame with any sequence header / entry point in front of it.
#[derive(Debug, Clone)]
pub struct Vc1Frame {
    /// The sample bytes exactly as stored in an ISMV `mdat`: start codes kept, headers
    /// in-band at keyframes (see [`crate::codec::vc1`]).
    pub data: Bytes,
    /// The frame's picture type.
    pub frame_type: FrameType,
    /// A sync sample: an I-frame preceded in the same sample by an entry point.
    pub sync: bool,
}

/// Presentation index of each frame, given frame types in decode order (VC-1 elementary
/// streams are in decode order). Rule: a reference frame (I/P/skipped) is presented when
/// the next reference frame arrives, i.e. after the B/BI frames that follow it in decode
/// order; B/BI frames are presented at once. With `pts[i]` and a constant frame duration
/// `d`, the composition offset of frame `i` is `(pts[i] - i) * d` plus a constant shift
/// (one frame when the stream has B-frames) that keeps offsets non-negative.
pub fn pts_order(types: &[FrameType]) -> Vec<u64> {
    let mut out = vec![0u64; types.len()];
    let mut next = 0u64;
    let mut pending: Option<usize> = None;
    for (i, t) in types.iter().enumerate() {
        if t.is_reference() {
            if let Some(p) = pending.replace(i)
                && let Some(slot) = out.get_mut(p)
            {
                *slot = next;
                next += 1;
            }
        } else if let Some(slot) = out.get_mut(i) {
            *slot = next;
            next += 1;
        }
    }
    if let Some(p) = pending
        && let Some(slot) = out.get_mut(p)
    {
        *slot = next;
    }
    out
}

/// Cuts a VC-1 Advanced Profile elementary stream into ISMV samples, reading the source
/// in chunks and holding at most one sample (plus one read chunk) in memory.
pub struct Vc1FrameReader<R: Read> {
    source: R,
    buf: BytesMut,
    eof: bool,
    /// Stream offset of `buf[0]`, for error messages.
    offset: u64,
    /// The most recent sequence header (frames need INTERLACE to be read).
    seq: Option<SequenceHeader>,
    /// The most recent sequence header unit, start code included, for the first config.
    seq_raw: Option<Vec<u8>>,
    config: Option<Vc1Config>,
    started: bool,
    /// The previous sample was the I-frame of an open entry point: a B/BI frame next
    /// proves an open GOP.
    open_entry_pending: bool,
    /// Sequence headers and entry points seen (saturating).
    sequences: u64,
    entry_points: u64,
    /// A slice start code or a B/BI frame has been seen.
    slices: bool,
    bframes: bool,
}

impl<R: Read> Vc1FrameReader<R> {
    /// A reader over an elementary stream (`.vc1`, as written by `ffmpeg -f vc1`).
    pub fn new(source: R) -> Self {
        Vc1FrameReader {
            source,
            buf: BytesMut::new(),
            eof: false,
            offset: 0,
            seq: None,
            seq_raw: None,
            config: None,
            started: false,
            open_entry_pending: false,
            sequences: 0,
            entry_points: 0,
            slices: false,
            bframes: false,
        }
    }

    /// What the stream read so far holds beyond its sequence header (the flags of the
    /// `WVC1` binding byte and the `dvc1` box): for the whole stream once
    /// [`Vc1FrameReader::next_frame`] has returned `None`.
    pub fn stream_flags(&self) -> Dvc1Flags {
        Dvc1Flags {
            no_multiple_seq: self.sequences <= 1,
            no_multiple_entry: self.entry_points <= 1,
            no_slice_code: !self.slices,
            no_bframe: !self.bframes,
        }
    }

    /// The configuration from the first sequence header + entry point seen, once a
    /// sample containing them has been returned.
    pub fn config(&self) -> Option<&Vc1Config> {
        self.config.as_ref()
    }

    /// Stream offset of the next sample: the end of the sample returned last. (Accessor
    /// for the source model: where a sample lies in its file.)
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Reads up to one more chunk; returns false at the end of the source.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let n = loop {
            let target = self.buf.get_mut(old..).unwrap_or_default();
            match self.source.read(target) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(Error::Io {
                        op: "read",
                        path: "VC-1 elementary stream".into(),
                        source: e,
                    });
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn malformed(&self, at: usize, reason: impl Into<String>) -> Error {
        let offset = usize::try_from(self.offset)
            .unwrap_or(usize::MAX)
            .saturating_add(at);
        Error::malformed("VC-1 elementary stream", offset, reason)
    }

    /// Index of the next start code at or after `from`, reading more as needed; `None`
    /// at the end of the stream.
    fn next_start_code(&mut self, from: usize) -> Result<Option<usize>> {
        let mut search = from;
        loop {
            if let Some(i) = find_start_code(&self.buf, search) {
                return Ok(Some(i));
            }
            // A start code may straddle the end of what is buffered.
            search = search.max(self.buf.len().saturating_sub(2));
            if self.buf.len() > MAX_SAMPLE {
                return Err(self.malformed(
                    0,
                    format!("no start code within {MAX_SAMPLE} bytes (sample too large)"),
                ));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The next sample, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<Vc1Frame>> {
        if !self.started {
            self.started = true;
            while self.buf.len() < 12 && self.fill()? {}
            if let Some(e) = rcv_error(&self.buf) {
                return Err(e);
            }
        }
        if self.buf.is_empty() && !self.fill()? {
            return Ok(None);
        }
        // Each sample must begin at a start code; the previous call left buf there.
        let first = self.next_start_code(0)?;
        match first {
            Some(0) => {}
            Some(i) => {
                return Err(self.malformed(0, format!("{i} bytes before the first start code")));
            }
            None => return Err(self.malformed(0, "no VC-1 start code found")),
        }

        let mut pos = 0usize;
        let mut frame: Option<FrameType> = None;
        let mut saw_entry_point = false;
        let mut open_entry = false;
        let end = loop {
            // Make sure the start code's suffix byte is buffered.
            while self.buf.len() < pos + 4 && self.fill()? {}
            let Some(&code) = self.buf.get(pos + 3) else {
                // A lone 00 00 01 at the very end: keep it with the sample.
                break self.buf.len();
            };
            if frame.is_some()
                && matches!(
                    code,
                    SC_SEQUENCE | SC_ENTRY_POINT | SC_FRAME | SC_SEQ_USER_DATA | SC_EP_USER_DATA
                )
            {
                // This unit starts the next sample.
                break pos;
            }
            let unit_end = self.next_start_code(pos + 4)?.unwrap_or(self.buf.len());
            let unit = self.buf.get(pos..unit_end).unwrap_or_default();
            let body = unit.get(4..).unwrap_or_default();
            match code {
                SC_SEQUENCE => {
                    let seq = SequenceHeader::parse(body)
                        .map_err(|e| e.offset_by(pos + 4).offset_by(self.offset as usize))?;
                    self.seq_raw = Some(trim_trailing_zeros(unit).to_vec());
                    self.seq = Some(seq);
                    self.sequences = self.sequences.saturating_add(1);
                }
                SC_ENTRY_POINT => {
                    let Some(seq) = self.seq.as_ref() else {
                        return Err(self.malformed(pos, "entry point before any sequence header"));
                    };
                    let ep = EntryPoint::parse(body, seq)
                        .map_err(|e| e.offset_by(pos + 4).offset_by(self.offset as usize))?;
                    open_entry |= ep.is_open();
                    if self.config.is_none()
                        && let Some(seq_raw) = self.seq_raw.as_deref()
                    {
                        self.config = Some(Vc1Config::from_units(seq_raw, unit)?);
                    }
                    saw_entry_point = true;
                    self.entry_points = self.entry_points.saturating_add(1);
                }
                SC_SLICE => self.slices = true,
                SC_FRAME => {
                    let Some(seq) = self.seq.as_ref() else {
                        return Err(self.malformed(pos, "frame before any sequence header"));
                    };
                    if self.config.is_none() {
                        return Err(self.malformed(pos, "frame before any entry point"));
                    }
                    frame = Some(
                        parse_frame_type(body, seq)
                            .map_err(|e| e.offset_by(pos + 4).offset_by(self.offset as usize))?,
                    );
                }
                // Fields, slices, lower-level user data and end-of-sequence belong to the
                // current frame; stream-level user data before a frame rides along too.
                _ => {}
            }
            if unit_end >= self.buf.len() && self.eof {
                break self.buf.len();
            }
            pos = unit_end;
        };

        let Some(frame_type) = frame else {
            return Err(self.malformed(
                0,
                "headers without a frame at the end of the stream (truncated)",
            ));
        };
        if self.open_entry_pending && matches!(frame_type, FrameType::B | FrameType::BI) {
            return Err(open_gop_error(self.offset));
        }
        self.open_entry_pending = open_entry && frame_type == FrameType::I;
        self.bframes |= matches!(frame_type, FrameType::B | FrameType::BI);
        let data = self.buf.split_to(end).freeze();
        self.offset += end as u64;
        Ok(Some(Vc1Frame {
            data,
            frame_type,
            sync: frame_type == FrameType::I && saw_entry_point,
        }))
    }
}
