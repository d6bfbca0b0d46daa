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

use crate::error::{Error, Result};

/// Start code suffix of a sequence header.
pub(crate) const SC_SEQUENCE: u8 = 0x0F;
/// Start code suffix of an entry-point header.
pub(crate) const SC_ENTRY_POINT: u8 = 0x0E;
/// Start code suffix of a frame.
pub(crate) const SC_FRAME: u8 = 0x0D;
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
// Bit reading over unescaped bytes
// ---------------------------------------------------------------------------------------

/// Removes VC-1 emulation prevention (`00 00 03 0x` with x <= 3 → `00 00 0x`), the same
/// rule as H.264. Headers must be unescaped before they are read bit by bit.
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0usize;
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        let next_small = data.get(i + 1).is_none_or(|&n| n <= 3);
        if zeros >= 2 && b == 3 && next_small {
            // Drop the emulation prevention byte itself.
            zeros = 0;
            i += 1;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
        i += 1;
    }
    out
}

/// MSB-first bit reader that reports running past the end as a malformed header.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], what: &'static str) -> Self {
        Bits { data, pos: 0, what }
    }

    fn read(&mut self, n: u32) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).ok_or_else(|| {
                Error::malformed(self.what, self.pos / 8, "header ends early (truncated)")
            })?;
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }

    fn flag(&mut self) -> Result<bool> {
        Ok(self.read(1)? == 1)
    }
}

// ---------------------------------------------------------------------------------------
// Sequence header
// ---------------------------------------------------------------------------------------

/// A VC-1 Advanced Profile sequence header (SMPTE 421M 6.1), the fields the muxer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceHeader {
    /// PROFILE: always 3 (Advanced); other values are refused by [`SequenceHeader::parse`].
    pub profile: u8,
    /// LEVEL (0..=4).
    pub level: u8,
    /// Largest coded width in pixels (2 × (MAX_CODED_WIDTH + 1)).
    pub max_coded_width: u32,
    /// Largest coded height in pixels (2 × (MAX_CODED_HEIGHT + 1)).
    pub max_coded_height: u32,
    /// DISP_HORIZ_SIZE + 1, DISP_VERT_SIZE + 1 when DISPLAY_EXT is set.
    pub display_size: Option<(u32, u32)>,
    /// Sample aspect ratio (horizontal, vertical) when signalled and not reserved.
    pub aspect_ratio: Option<(u32, u32)>,
    /// Frame rate as (numerator, denominator) when signalled and not reserved.
    pub frame_rate: Option<(u32, u32)>,
    /// INTERLACE: frames may be interlaced (frame headers then carry FCM).
    pub interlace: bool,
    /// PULLDOWN.
    pub pulldown: bool,
    /// TFCNTRFLAG.
    pub tfcntrflag: bool,
    /// FINTERPFLAG.
    pub finterpflag: bool,
    /// PSF (progressive segmented frame).
    pub psf: bool,
    /// HRD_PARAM_FLAG: entry points then carry one HRD_FULL byte per leaky bucket.
    pub hrd_param_flag: bool,
    /// HRD_NUM_LEAKY_BUCKETS (0 when `hrd_param_flag` is false).
    pub hrd_num_leaky_buckets: u8,
}

/// SMPTE 421M Table 7: ASPECT_RATIO 1..=13 (0 is unspecified, 14 reserved, 15 explicit).
const ASPECT_RATIOS: [(u32, u32); 13] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
];

impl SequenceHeader {
    /// Parses the bytes after the `00 00 01 0F` start code (escaped, as in the stream).
    /// Refuses Simple/Main profile bits with the WMV3 message and reserved values.
    pub fn parse(unit: &[u8]) -> Result<Self> {
        const WHAT: &str = "VC-1 sequence header";
        let raw = unescape(unit);
        let mut b = Bits::new(&raw, WHAT);
        let profile = b.read(2)? as u8;
        match profile {
            3 => {}
            0 => return Err(simple_main_error("Simple")),
            1 => return Err(simple_main_error("Main")),
            _ => {
                return Err(Error::config(
                    "VC-1",
                    "sequence header has the reserved profile 2; Smooth needs WVC1 Advanced \
                     Profile (3)",
                ));
            }
        }
        let level = b.read(3)? as u8;
        if level > 4 {
            return Err(Error::config(
                "VC-1",
                format!("Advanced Profile level {level} is reserved (0..=4 are defined)"),
            ));
        }
        let colordiff = b.read(2)?;
        if colordiff != 1 {
            // Only 4:2:0 is defined; anything else means we are not reading VC-1.
            return Err(Error::config(
                "VC-1",
                format!("COLORDIFF_FORMAT {colordiff} is reserved (only 1 = 4:2:0 exists)"),
            ));
        }
        b.read(3)?; // FRMRTQ_POSTPROC
        b.read(5)?; // BITRTQ_POSTPROC
        b.read(1)?; // POSTPROCFLAG
        let max_coded_width = 2 * (b.read(12)? + 1);
        let max_coded_height = 2 * (b.read(12)? + 1);
        let pulldown = b.flag()?;
        let interlace = b.flag()?;
        let tfcntrflag = b.flag()?;
        let finterpflag = b.flag()?;
        b.read(1)?; // RESERVED
        let psf = b.flag()?;

        let mut display_size = None;
        let mut aspect_ratio = None;
        let mut frame_rate = None;
        if b.flag()? {
            // DISPLAY_EXT
            let w = b.read(14)? + 1;
            let h = b.read(14)? + 1;
            display_size = Some((w, h));
            if b.flag()? {
                // ASPECT_RATIO_FLAG
                let ar = b.read(4)?;
                aspect_ratio = match ar {
                    // ASPECT_HORIZ_SIZE/ASPECT_VERT_SIZE are coded minus one (FFmpeg reads
                    // them so; the shared sample's 155/155 is 1:1 as ffprobe reports).
                    15 => Some((b.read(8)? + 1, b.read(8)? + 1)),
                    1..=13 => ASPECT_RATIOS.get(ar as usize - 1).copied(),
                    _ => None,
                };
            }
            if b.flag()? {
                // FRAMERATE_FLAG
                if b.flag()? {
                    // FRAMERATEIND: explicit rate in units of 1/32 fps.
                    let exp = b.read(16)?;
                    frame_rate = Some((exp + 1, 32));
                } else {
                    let nr = b.read(8)?;
                    let dr = b.read(4)?;
                    let num = match nr {
                        1 => Some(24_000),
                        2 => Some(25_000),
                        3 => Some(30_000),
                        4 => Some(50_000),
                        5 => Some(60_000),
                        6 => Some(48_000),
                        7 => Some(72_000),
                        _ => None,
                    };
                    let den = match dr {
                        1 => Some(1000),
                        2 => Some(1001),
                        _ => None,
                    };
                    frame_rate = num.zip(den);
                }
            }
            if b.flag()? {
                // COLOR_FORMAT_FLAG: COLOR_PRIM, TRANSFER_CHAR, MATRIX_COEF.
                b.read(24)?;
            }
        }
        let hrd_param_flag = b.flag()?;
        let mut hrd_num_leaky_buckets = 0u8;
        if hrd_param_flag {
            hrd_num_leaky_buckets = b.read(5)? as u8;
            b.read(4)?; // BIT_RATE_EXPONENT
            b.read(4)?; // BUFFER_SIZE_EXPONENT
            for _ in 0..hrd_num_leaky_buckets {
                b.read(32)?; // HRD_RATE, HRD_BUFFER
            }
        }
        Ok(SequenceHeader {
            profile,
            level,
            max_coded_width,
            max_coded_height,
            display_size,
            aspect_ratio,
            frame_rate,
            interlace,
            pulldown,
            tfcntrflag,
            finterpflag,
            psf,
            hrd_param_flag,
            hrd_num_leaky_buckets,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------

/// A VC-1 Advanced Profile entry-point header (SMPTE 421M 6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    /// BROKEN_LINK: B-frames after the next I-frame cannot be decoded.
    pub broken_link: bool,
    /// CLOSED_ENTRY: no frame after this entry point refers to one before it. Smooth
    /// needs this, because every fragment must decode on its own.
    pub closed_entry: bool,
    /// PANSCAN_FLAG.
    pub panscan: bool,
    /// REFDIST_FLAG.
    pub refdist: bool,
    /// LOOPFILTER.
    pub loopfilter: bool,
    /// FASTUVMC.
    pub fastuvmc: bool,
    /// EXTENDED_MV.
    pub extended_mv: bool,
    /// DQUANT (0..=2).
    pub dquant: u8,
    /// VSTRANSFORM.
    pub vstransform: bool,
    /// OVERLAP.
    pub overlap: bool,
    /// QUANTIZER (0..=3).
    pub quantizer: u8,
    /// Coded size in pixels (2 × (CODED_WIDTH + 1), 2 × (CODED_HEIGHT + 1)) when
    /// CODED_SIZE_FLAG is set; otherwise the sequence header's maximum applies.
    pub coded_size: Option<(u32, u32)>,
}

impl EntryPoint {
    /// CLOSED_ENTRY = 0 and BROKEN_LINK = 0: B-frames right after this entry point's
    /// I-frame may refer to the previous GOP.
    pub fn is_open(&self) -> bool {
        !self.closed_entry && !self.broken_link
    }

    /// Parses the bytes after the `00 00 01 0E` start code. `seq` is needed because the
    /// number of HRD_FULL bytes depends on the sequence header's leaky buckets.
    pub fn parse(unit: &[u8], seq: &SequenceHeader) -> Result<Self> {
        const WHAT: &str = "VC-1 entry point";
        let raw = unescape(unit);
        let mut b = Bits::new(&raw, WHAT);
        let broken_link = b.flag()?;
        let closed_entry = b.flag()?;
        let panscan = b.flag()?;
        let refdist = b.flag()?;
        let loopfilter = b.flag()?;
        let fastuvmc = b.flag()?;
        let extended_mv = b.flag()?;
        let dquant = b.read(2)? as u8;
        let vstransform = b.flag()?;
        let overlap = b.flag()?;
        let quantizer = b.read(2)? as u8;
        if seq.hrd_param_flag {
            for _ in 0..seq.hrd_num_leaky_buckets {
                b.read(8)?; // HRD_FULL
            }
        }
        let coded_size = if b.flag()? {
            let w = 2 * (b.read(12)? + 1);
            let h = 2 * (b.read(12)? + 1);
            Some((w, h))
        } else {
            None
        };
        // EXTENDED_DMV and the range-mapping fields follow; nothing here needs them.
        Ok(EntryPoint {
            broken_link,
            closed_entry,
            panscan,
            refdist,
            loopfilter,
            fastuvmc,
            extended_mv,
            dquant,
            vstransform,
            overlap,
            quantizer,
            coded_size,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Start-code scanning
// ---------------------------------------------------------------------------------------

/// Index of the next `00 00 01` at or after `from`.
pub(crate) fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let tail = data.get(from..)?;
    tail.windows(3)
        .position(|w| w == [0, 0, 1])
        .map(|p| p + from)
}

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

/// Drops zero bytes at the end of a unit: they are stuffing or the first byte of a 4-byte
/// start code, never header payload (every header ends with a 1 stop bit).
pub(crate) fn trim_trailing_zeros(mut unit: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = unit {
        unit = rest;
    }
    unit
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// Stream properties for the `dvc1` flags that the sequence header cannot tell.
/// Each `no_*` flag is a promise to the decoder; `false` is always safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dvc1Flags {
    /// No sequence header repeats in samples. ISMV keyframes repeat it, so normally false.
    pub no_multiple_seq: bool,
    /// No entry point repeats in samples. ISMV keyframes repeat it, so normally false.
    pub no_multiple_entry: bool,
    /// No slice start codes (0x0B) occur in the stream.
    pub no_slice_code: bool,
    /// No B-frames occur in the stream.
    pub no_bframe: bool,
}

/// A VC-1 Advanced Profile decoder configuration: one sequence header and one entry
/// point, with the exact bytes they came from.
#[derive(Debug, Clone)]
pub struct Vc1Config {
    /// The parsed sequence header.
    pub sequence_header: SequenceHeader,
    /// The parsed entry point.
    pub entry_point: EntryPoint,
    /// The CodecPrivateData blob exactly as given (leading byte included), or seq + ep
    /// with start codes for configs read from an elementary stream.
    private_data: Vec<u8>,
    /// Sequence header + entry point with start codes (no leading byte) for `dvc1`.
    headers: Vec<u8>,
}

impl Vc1Config {
    /// Reads a `WVC1` CodecPrivateData / VIDEOINFOHEADER2 extra-data blob: an optional
    /// leading byte (0x25/0x27, the ASF binding byte), then `00 00 01 0F` sequence header
    /// and `00 00 01 0E` entry point (user data units may follow either). The exact bytes
    /// are kept and returned by [`Vc1Config::codec_private_data`]. Runs
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
        config.private_data = data.to_vec();
        Ok(config)
    }

    /// Builds a configuration from a sequence header and an entry point as found in an
    /// elementary stream, each including its 4-byte start code. Trailing zero bytes
    /// (stuffing) are dropped. Runs [`check_smooth_compatible`].
    pub fn from_units(seq_with_start_code: &[u8], ep_with_start_code: &[u8]) -> Result<Self> {
        let seq_unit = trim_trailing_zeros(seq_with_start_code);
        let ep_unit = trim_trailing_zeros(ep_with_start_code);
        let seq_body = match seq_unit {
            [0, 0, 1, SC_SEQUENCE, body @ ..] => body,
            _ => {
                return Err(Error::malformed(
                    "VC-1 sequence header",
                    0,
                    "does not start with 00 00 01 0F",
                ));
            }
        };
        let ep_body = match ep_unit {
            [0, 0, 1, SC_ENTRY_POINT, body @ ..] => body,
            _ => {
                return Err(Error::malformed(
                    "VC-1 entry point",
                    0,
                    "does not start with 00 00 01 0E",
                ));
            }
        };
        let sequence_header = SequenceHeader::parse(seq_body).map_err(|e| e.offset_by(4))?;
        let entry_point =
            EntryPoint::parse(ep_body, &sequence_header).map_err(|e| e.offset_by(4))?;
        let mut headers = Vec::with_capacity(seq_unit.len() + ep_unit.len());
        headers.extend_from_slice(seq_unit);
        headers.extend_from_slice(ep_unit);
        let config = Vc1Config {
            sequence_header,
            entry_point,
            // FFmpeg's VC-1 elementary-stream extradata is exactly these bytes (26 for the
            // shared sample) and its ISM muxer writes them as CodecPrivateData. The 0x25/
            // 0x27 byte Microsoft puts in front is not derivable with certainty from the
            // stream, and decoders scan for the first start code, so none is invented.
            private_data: headers.clone(),
            headers,
        };
        check_smooth_compatible(&config)?;
        Ok(config)
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
    /// given to [`Vc1Config::from_codec_private_data`] verbatim, or for configurations
    /// built by [`Vc1Config::from_units`] the sequence header + entry point with start
    /// codes and no leading byte (what FFmpeg writes).
    pub fn codec_private_data(&self) -> Vec<u8> {
        self.private_data.clone()
    }

    /// Sequence header + entry point with start codes, without any leading byte.
    pub fn headers(&self) -> &[u8] {
        &self.headers
    }

    /// The `dvc1` box payload (SMPTE RP 2025) with the safe default flags (see
    /// [`Dvc1Flags`]: every "no_*" promise off, since ISMV keyframes repeat the headers).
    pub fn dvc1(&self) -> Vec<u8> {
        self.dvc1_with(Dvc1Flags::default())
    }

    /// The `dvc1` box payload with caller-known stream flags: profile 12, level twice,
    /// cbr 0, the flags, frame rate (whole frames per second, rounded down as FFmpeg does;
    /// 0xFFFFFFFF when unknown), then the blob as in the CodecPrivateData.
    pub fn dvc1_with(&self, flags: Dvc1Flags) -> Vec<u8> {
        let seq = &self.sequence_header;
        let level = seq.level & 7;
        let mut out = Vec::with_capacity(7 + self.private_data.len());
        out.push((12 << 4) | (level << 1));
        out.push(level << 5); // cbr 0, first 4 reserved bits 0
        let flag_bits = (u8::from(!seq.interlace) << 5)
            | (u8::from(flags.no_multiple_seq) << 4)
            | (u8::from(flags.no_multiple_entry) << 3)
            | (u8::from(flags.no_slice_code) << 2)
            | (u8::from(flags.no_bframe) << 1);
        out.push(flag_bits);
        let fps = match seq.frame_rate {
            Some((num, den)) if den != 0 && num >= den => num / den,
            _ => u32::MAX,
        };
        out.extend_from_slice(&fps.to_be_bytes());
        // The real ISMV's dvc1 carries the same blob as its CodecPrivateData, leading
        // 0x25 byte included, so both come from one place.
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

// ---------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------

/// Picture type of a frame (for field pairs, the first field's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// Intra.
    I,
    /// Predicted.
    P,
    /// Bidirectional.
    B,
    /// Intra-coded B (not a reference, not a sync point).
    BI,
    /// Skipped: a repeat of the previous reference frame.
    Skipped,
}

impl FrameType {
    /// Whether later frames predict from this one (I, P and skipped P frames). B and BI
    /// frames are presented as soon as they are decoded; references wait (see
    /// [`pts_order`](crate::input::vc1::pts_order)).
    pub fn is_reference(self) -> bool {
        matches!(self, FrameType::I | FrameType::P | FrameType::Skipped)
    }
}

/// Reads the picture type from the bytes after a `00 00 01 0D` start code (SMPTE 421M
/// 7.1.1: FCM when INTERLACE, then PTYPE, or FPTYPE for field pictures).
pub(crate) fn parse_frame_type(unit: &[u8], seq: &SequenceHeader) -> Result<FrameType> {
    // Only the first byte or two matter; unescape a small prefix.
    let head = unescape(unit.get(..unit.len().min(8)).unwrap_or_default());
    let mut b = Bits::new(&head, "VC-1 frame header");
    let mut field = false;
    if seq.interlace && b.flag()? {
        // FCM: 0 progressive, 10 frame-interlace, 11 field-interlace.
        field = b.flag()?;
    }
    if field {
        // FPTYPE: the pair's types; the first field decides decoding dependencies.
        return Ok(match b.read(3)? {
            0 | 1 => FrameType::I,
            2 | 3 => FrameType::P,
            4 | 5 => FrameType::B,
            _ => FrameType::BI,
        });
    }
    // PTYPE VLC: 0 P, 10 B, 110 I, 1110 BI, 1111 skipped.
    Ok(if !b.flag()? {
        FrameType::P
    } else if !b.flag()? {
        FrameType::B
    } else if !b.flag()? {
        FrameType::I
    } else if !b.flag()? {
        FrameType::BI
    } else {
        FrameType::Skipped
    })
}

#[cfg(test)]
mod tests;
