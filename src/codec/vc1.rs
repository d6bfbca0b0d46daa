//! VC-1 Advanced Profile (FourCC `WVC1`): sequence header and entry-point parsing, the
//! `.ismc` CodecPrivateData and the `dvc1` box payload. Cutting an elementary stream
//! (SMPTE 421M Annex E, start codes) into ISMV samples is `crate::input::vc1`'s.
//!
//! What a real ISMV stores (checked against `vc1_wmapro.ismv`, whose 120 video samples
//! concatenate to exactly the bytes of `vc1_ap.vc1`):
//! - every sample starts with a start code and keeps all start codes (no length prefixes);
//! - a keyframe sample is `00 00 01 0F` sequence header + `00 00 01 0E` entry point +
//!   `00 00 01 0D` frame, i.e. the headers are repeated in-band at every keyframe;
//! - every other sample is `00 00 01 0D` + the frame.
//!
//! [`Vc1FrameReader`](crate::input::vc1::Vc1FrameReader) therefore cuts the elementary stream at the start of each frame
//! (together with the headers in front of it) and passes the bytes through unchanged.
//!
//! Only Advanced Profile is accepted: Smooth Streaming's `WVC1` is Advanced Profile, and
//! Simple/Main (WMV3, usually in RCV files) have no start codes or in-band headers.

mod headers;

pub(crate) use headers::parse_frame_type;
pub use headers::{EntryPoint, FrameType, SequenceHeader};

use crate::codec::bitstream::{find_start_code, trim_trailing_zeros};
use crate::error::{Error, Result};

/// Start code suffix of a sequence header.
pub(crate) const SC_SEQUENCE: u8 = 0x0F;
/// Start code suffix of an entry-point header.
pub(crate) const SC_ENTRY_POINT: u8 = 0x0E;
/// Start code suffix of a frame.
pub(crate) const SC_FRAME: u8 = 0x0D;
/// Start code suffix of a slice.
pub(crate) const SC_SLICE: u8 = 0x0B;
/// Start code suffix of sequence-level user data.
pub(crate) const SC_SEQ_USER_DATA: u8 = 0x1F;
/// Start code suffix of entry-point-level user data.
pub(crate) const SC_EP_USER_DATA: u8 = 0x1E;

/// The message for Simple/Main profile input, shared by the sequence-header parser and the
/// RCV detection so the CLI says the same thing whichever way the input arrives.
pub(crate) fn simple_main_error(profile: &str) -> Error {
    Error::config(
        "VC-1",
        format!(
            "the input is VC-1 {profile} profile (WMV3); Smooth Streaming needs WVC1 Advanced \
             Profile, so re-encode it as VC-1 Advanced Profile or H.264"
        ),
    )
}

// ---------------------------------------------------------------------------------------
// Start-code units
// ---------------------------------------------------------------------------------------

/// One start-code unit: its suffix byte, where the start code is, and where the unit ends
/// (the next start code or the end of the data).
struct Unit {
    code: u8,
    start: usize,
    end: usize,
}

/// All start-code units in a complete buffer, plus how many bytes came before the first.
fn split_units(data: &[u8]) -> (usize, Vec<Unit>) {
    let mut units = Vec::new();
    let Some(first) = find_start_code(data, 0) else {
        return (data.len(), units);
    };
    let mut pos = first;
    while let Some(&code) = data.get(pos + 3) {
        let end = find_start_code(data, pos + 4).unwrap_or(data.len());
        units.push(Unit {
            code,
            start: pos,
            end,
        });
        pos = end;
    }
    (first, units)
}

/// The bytes after the start code of a unit that must begin with `00 00 01 code`; `what`
/// names the unit in the error.
fn unit_body<'a>(unit: &'a [u8], code: u8, what: &'static str) -> Result<&'a [u8]> {
    match unit {
        [0, 0, 1, found, body @ ..] if *found == code => Ok(body),
        _ => Err(Error::malformed(
            what,
            0,
            format!("does not start with 00 00 01 {code:02X}"),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// What a whole stream holds, beyond its sequence header: the flags of the ASF binding byte
/// that leads a `WVC1` CodecPrivateData and of the `dvc1` box. Each `no_*` flag is a
/// promise to the decoder; `false` ("may occur") is always safe, and is what a stream
/// not yet seen in full gets.
///
/// The binding byte (SMPTE 421M Annex J, the ASF binding of Advanced Profile) is laid out
/// like the third byte of the `dvc1` payload (SMPTE RP 2025, which took its flags from
/// it), except that its last bit is 1:
///
/// | bit | 7–6 | 5 | 4 | 3 | 2 | 1 | 0 |
/// |---|---|---|---|---|---|---|---|
/// | | reserved 0 | NO_INTERLACE | NO_MULTIPLE_SEQ | NO_MULTIPLE_ENTRY | NO_SLICE_CODE | NO_BFRAME | reserved 1 |
///
/// Where this comes from, since Annex J is not public: the shared real ISMV
/// (`vc1_wmapro.ismv`) has `dvc1` flag byte `0x24` and CodecPrivateData byte `0x25` for
/// the same stream, and our whole-stream scan of its elementary stream (progressive,
/// headers repeated at its two keyframes, B-frames, no slices) gives exactly those flags;
/// MS-SSTR's example manifest has `0x27` (the same with NO_BFRAME); GStreamer's `vc1parse`
/// refuses a binding byte whose bit 0 is clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dvc1Flags {
    /// Only one sequence header in the stream. ISMV keyframes repeat it, so this holds
    /// only for a single-GOP stream.
    pub no_multiple_seq: bool,
    /// Only one entry point in the stream (likewise).
    pub no_multiple_entry: bool,
    /// No slice start codes (`00 00 01 0B`) occur in the stream.
    pub no_slice_code: bool,
    /// No B or BI frames occur in the stream.
    pub no_bframe: bool,
}

impl Dvc1Flags {
    /// The four flags in their bit positions (4..1), shared by both bytes.
    fn bits(self) -> u8 {
        (u8::from(self.no_multiple_seq) << 4)
            | (u8::from(self.no_multiple_entry) << 3)
            | (u8::from(self.no_slice_code) << 2)
            | (u8::from(self.no_bframe) << 1)
    }

    /// Reads the flags from a binding byte, or `None` when its reserved bits say it is
    /// not one.
    fn from_binding_byte(byte: u8) -> Option<Self> {
        (byte & 0xC1 == 0x01).then_some(Dvc1Flags {
            no_multiple_seq: byte & 0x10 != 0,
            no_multiple_entry: byte & 0x08 != 0,
            no_slice_code: byte & 0x04 != 0,
            no_bframe: byte & 0x02 != 0,
        })
    }

    /// The flag byte: NO_INTERLACE from the sequence header, then the flags; the binding
    /// byte also sets its last bit.
    fn byte(self, interlace: bool, binding: bool) -> u8 {
        (u8::from(!interlace) << 5) | self.bits() | u8::from(binding)
    }
}

/// A VC-1 Advanced Profile decoder configuration: one sequence header and one entry
/// point, with the exact bytes they came from.
#[derive(Debug, Clone)]
pub struct Vc1Config {
    /// The parsed sequence header.
    pub sequence_header: SequenceHeader,
    /// The parsed entry point.
    pub entry_point: EntryPoint,
    /// What the stream holds beyond the sequence header (binding byte and `dvc1` flags).
    flags: Dvc1Flags,
    /// The CodecPrivateData: the blob exactly as given when it has its binding byte,
    /// else the binding byte + sequence header + entry point.
    private_data: Vec<u8>,
    /// Sequence header + entry point with start codes (no leading byte) for `dvc1`.
    headers: Vec<u8>,
}

impl Vc1Config {
    /// Reads a `WVC1` CodecPrivateData / VIDEOINFOHEADER2 extra-data blob: an optional
    /// leading byte (0x25/0x27, the ASF binding byte, see [`Dvc1Flags`]), then
    /// `00 00 01 0F` sequence header and `00 00 01 0E` entry point (user data units may
    /// follow either). A blob with its binding byte is kept exactly and its flags are
    /// read from it; a blob without one (or whose leading byte has the wrong reserved
    /// bits) gets the safe byte instead, as [`Vc1Config::from_units`] gives it: players
    /// such as GStreamer's need it. Runs
    /// [`check_smooth_compatible`].
    pub fn from_codec_private_data(data: &[u8]) -> Result<Self> {
        const WHAT: &str = "VC-1 CodecPrivateData";
        let (lead, units) = split_units(data);
        if units.is_empty() {
            return Err(Error::malformed(
                WHAT,
                0,
                "no 00 00 01 0F sequence header start code",
            ));
        }
        if lead > 1 {
            // Microsoft writes at most one byte before the start code; more means this is
            // not a WVC1 blob (e.g. a BITMAPINFOHEADER was passed by mistake).
            return Err(Error::malformed(
                WHAT,
                0,
                format!("{lead} bytes before the first start code (at most 1 is expected)"),
            ));
        }
        let seq = units
            .iter()
            .find(|u| u.code == SC_SEQUENCE)
            .ok_or_else(|| {
                Error::malformed(WHAT, lead, "no 00 00 01 0F sequence header start code")
            })?;
        let ep = units
            .iter()
            .find(|u| u.code == SC_ENTRY_POINT && u.start > seq.start)
            .ok_or_else(|| {
                Error::malformed(
                    WHAT,
                    seq.end,
                    "no 00 00 01 0E entry point after the sequence header",
                )
            })?;
        let seq_bytes = data.get(seq.start..seq.end).unwrap_or_default();
        let ep_bytes = data.get(ep.start..ep.end).unwrap_or_default();
        let mut config =
            Self::from_units(seq_bytes, ep_bytes).map_err(|e| e.offset_by(seq.start))?;
        let binding = data
            .first()
            .filter(|_| lead == 1)
            .and_then(|&b| Dvc1Flags::from_binding_byte(b));
        if let Some(flags) = binding {
            config.flags = flags;
            config.private_data = data.to_vec();
        }
        Ok(config)
    }

    /// Builds a configuration from a sequence header and an entry point as found in an
    /// elementary stream, each including its 4-byte start code. Trailing zero bytes
    /// (stuffing) are dropped. The stream flags are the safe ones until
    /// [`Vc1Config::with_stream_flags`] says what the whole stream holds. Runs
    /// [`check_smooth_compatible`].
    pub fn from_units(seq_with_start_code: &[u8], ep_with_start_code: &[u8]) -> Result<Self> {
        let seq_unit = trim_trailing_zeros(seq_with_start_code);
        let ep_unit = trim_trailing_zeros(ep_with_start_code);
        let seq_body = unit_body(seq_unit, SC_SEQUENCE, "VC-1 sequence header")?;
        let ep_body = unit_body(ep_unit, SC_ENTRY_POINT, "VC-1 entry point")?;
        let sequence_header = SequenceHeader::parse(seq_body).map_err(|e| e.offset_by(4))?;
        let entry_point =
            EntryPoint::parse(ep_body, &sequence_header).map_err(|e| e.offset_by(4))?;
        let mut headers = Vec::with_capacity(seq_unit.len() + ep_unit.len());
        headers.extend_from_slice(seq_unit);
        headers.extend_from_slice(ep_unit);
        let config = Vc1Config {
            sequence_header,
            entry_point,
            flags: Dvc1Flags::default(),
            private_data: Vec::new(),
            headers,
        }
        .with_stream_flags(Dvc1Flags::default());
        check_smooth_compatible(&config)?;
        Ok(config)
    }

    /// This configuration for a stream known to hold what `flags` says (an elementary
    /// stream's reader has seen all of it): the binding byte and the `dvc1` flags follow,
    /// and the CodecPrivateData becomes binding byte + sequence header + entry point.
    #[must_use]
    pub fn with_stream_flags(mut self, flags: Dvc1Flags) -> Self {
        self.flags = flags;
        let mut blob = Vec::with_capacity(1 + self.headers.len());
        blob.push(flags.byte(self.sequence_header.interlace, true));
        blob.extend_from_slice(&self.headers);
        self.private_data = blob;
        self
    }

    /// The stream flags this configuration carries.
    pub fn stream_flags(&self) -> Dvc1Flags {
        self.flags
    }

    /// The configuration carried in-band by one sample (a keyframe sample holds the
    /// sequence header and entry point in front of its frame), or `None` when the sample
    /// carries no sequence header followed by an entry point.
    pub fn from_sample(data: &[u8]) -> Result<Option<Self>> {
        let (_, units) = split_units(data);
        let Some(seq) = units.iter().find(|u| u.code == SC_SEQUENCE) else {
            return Ok(None);
        };
        let Some(ep) = units
            .iter()
            .find(|u| u.code == SC_ENTRY_POINT && u.start > seq.start)
        else {
            return Ok(None);
        };
        let seq_bytes = data.get(seq.start..seq.end).unwrap_or_default();
        let ep_bytes = data.get(ep.start..ep.end).unwrap_or_default();
        Self::from_units(seq_bytes, ep_bytes)
            .map(Some)
            .map_err(|e| e.offset_by(seq.start))
    }

    /// The CodecPrivateData bytes (hex-encode them, upper case, for the `.ismc`): the blob
    /// given to [`Vc1Config::from_codec_private_data`] verbatim when it had its binding
    /// byte, otherwise the binding byte + sequence header + entry point, as Microsoft's
    /// encoders write it (FFmpeg's ISM muxer leaves the byte out, and GStreamer's
    /// `mssdemux` then finds no decoder).
    pub fn codec_private_data(&self) -> Vec<u8> {
        self.private_data.clone()
    }

    /// Sequence header + entry point with start codes, without any leading byte.
    pub fn headers(&self) -> &[u8] {
        &self.headers
    }

    /// The `dvc1` box payload (SMPTE RP 2025): profile 12, level twice, cbr 0, the flag
    /// byte (the binding byte's flags, last bit 0), frame rate (whole frames per second,
    /// rounded down as FFmpeg does; 0xFFFFFFFF when unknown), then the CodecPrivateData,
    /// binding byte included, as the real ISMV has it: box and manifest agree.
    pub fn dvc1(&self) -> Vec<u8> {
        let seq = &self.sequence_header;
        let level = seq.level & 7;
        let mut out = Vec::with_capacity(7 + self.private_data.len());
        out.push((12 << 4) | (level << 1));
        out.push(level << 5); // cbr 0, first 4 reserved bits 0
        out.push(self.flags.byte(seq.interlace, false));
        let fps = match seq.frame_rate {
            Some((num, den)) if den != 0 && num >= den => num / den,
            _ => u32::MAX,
        };
        out.extend_from_slice(&fps.to_be_bytes());
        out.extend_from_slice(&self.private_data);
        out
    }

    /// Coded width in pixels: the entry point's coded size, else the sequence maximum.
    pub fn width(&self) -> u32 {
        self.entry_point
            .coded_size
            .map_or(self.sequence_header.max_coded_width, |(w, _)| w)
    }

    /// Coded height in pixels: the entry point's coded size, else the sequence maximum.
    pub fn height(&self) -> u32 {
        self.entry_point
            .coded_size
            .map_or(self.sequence_header.max_coded_height, |(_, h)| h)
    }

    /// Display size: the coded size with the width scaled by the sample aspect ratio (as
    /// FFmpeg derives it). DISP_HORIZ/VERT_SIZE are not used: the shared real sample
    /// signals 240x240 there for a 240x104 picture with 1:1 pixels, which ffprobe and
    /// players ignore (the raw values stay in [`SequenceHeader::display_size`]).
    pub fn display_size(&self) -> (u32, u32) {
        let (w, h) = (self.width(), self.height());
        match self.sequence_header.aspect_ratio {
            Some((x, y)) if x != 0 && y != 0 => {
                let scaled = (u64::from(w) * u64::from(x) + u64::from(y) / 2) / u64::from(y);
                (u32::try_from(scaled).unwrap_or(u32::MAX), h)
            }
            _ => (w, h),
        }
    }

    /// Frame rate (numerator, denominator) from the sequence header, if signalled.
    pub fn frame_rate(&self) -> Option<(u32, u32)> {
        self.sequence_header.frame_rate
    }
}

/// Refuses what Smooth Streaming cannot carry in a configuration: anything but Advanced
/// Profile. The constructors call it.
///
/// CLOSED_ENTRY = 0 in the configuration's entry point is *not* refused here, on evidence:
/// the MS-SSTR example manifest's CodecPrivateData (§1.4, `…0000010E1207F840`) has
/// CLOSED_ENTRY = 0, and the first entry point has no earlier GOP to refer to anyway. An
/// open GOP is refused where it is proven, by
/// [`Vc1FrameReader`](crate::input::vc1::Vc1FrameReader): an entry point with
/// CLOSED_ENTRY = 0 whose I-frame is followed by a B/BI frame (those B-frames refer to the
/// previous GOP, so the fragment would not decode on its own). [`EntryPoint::is_open`] and
/// [`inspect_sample`] let other sample paths apply the same rule.
pub fn check_smooth_compatible(config: &Vc1Config) -> Result<()> {
    if config.sequence_header.profile != 3 {
        return Err(Error::config(
            "VC-1",
            format!(
                "profile {} is not Advanced Profile; Smooth needs WVC1 Advanced Profile",
                config.sequence_header.profile
            ),
        ));
    }
    Ok(())
}

/// What [`inspect_sample`] finds in one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleInfo {
    /// The frame's picture type.
    pub frame_type: FrameType,
    /// An I-frame preceded in the sample by an entry point.
    pub sync: bool,
    /// The sample's entry point has CLOSED_ENTRY = 0 (if the next frame is B/BI, the GOP
    /// is open and must be refused).
    pub open_entry: bool,
}

/// Inspects one sample as stored in ISMV (start codes, optional in-band sequence header and
/// entry point, then `00 00 01 0D` + frame), for sample paths that do not use
/// [`Vc1FrameReader`](crate::input::vc1::Vc1FrameReader) (e.g. samples handed to the API one by one). In-band sequence headers
/// are parsed, so INTERLACE is taken from them when present, else from `config`.
pub fn inspect_sample(data: &[u8], config: &Vc1Config) -> Result<SampleInfo> {
    const WHAT: &str = "VC-1 sample";
    let (lead, units) = split_units(data);
    if lead != 0 {
        return Err(Error::malformed(
            WHAT,
            0,
            "does not start with a 00 00 01 start code",
        ));
    }
    let mut seq = None;
    let mut ep_seen = false;
    let mut open_entry = false;
    for u in &units {
        let body = data.get(u.start + 4..u.end).unwrap_or_default();
        match u.code {
            SC_SEQUENCE => {
                seq = Some(SequenceHeader::parse(body).map_err(|e| e.offset_by(u.start + 4))?)
            }
            SC_ENTRY_POINT => {
                let s = seq.as_ref().unwrap_or(&config.sequence_header);
                let ep = EntryPoint::parse(body, s).map_err(|e| e.offset_by(u.start + 4))?;
                ep_seen = true;
                open_entry = ep.is_open();
            }
            SC_FRAME => {
                let s = seq.as_ref().unwrap_or(&config.sequence_header);
                let frame_type = parse_frame_type(body, s).map_err(|e| e.offset_by(u.start + 4))?;
                return Ok(SampleInfo {
                    frame_type,
                    sync: frame_type == FrameType::I && ep_seen,
                    open_entry,
                });
            }
            _ => {}
        }
    }
    Err(Error::malformed(WHAT, 0, "no 00 00 01 0D frame start code"))
}

#[cfg(test)]
mod tests;
