//! The VC-1 Advanced Profile headers read bit by bit: sequence header (SMPTE 421M 6.1),
//! entry point (6.2) and the picture type of a frame header (7.1.1). Each is read from
//! its escaped bytes as they stand in the stream, unescaped first with the VC-1 rule.

use super::simple_main_error;
use crate::codec::bitstream::{BitReader, Escaping, remove_emulation_prevention};
use crate::codec::sample_aspect;
use crate::error::{Error, Result};

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

impl SequenceHeader {
    /// Parses the bytes after the `00 00 01 0F` start code (escaped, as in the stream).
    /// Refuses Simple/Main profile bits with the WMV3 message and reserved values.
    pub fn parse(unit: &[u8]) -> Result<Self> {
        const WHAT: &str = "VC-1 sequence header";
        let raw = remove_emulation_prevention(unit, Escaping::Vc1);
        let mut b = BitReader::new(&raw, WHAT);
        let profile = b.bits(2)? as u8;
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
        let level = b.bits(3)? as u8;
        if level > 4 {
            return Err(Error::config(
                "VC-1",
                format!("Advanced Profile level {level} is reserved (0..=4 are defined)"),
            ));
        }
        let colordiff = b.bits(2)?;
        if colordiff != 1 {
            // Only 4:2:0 is defined; anything else means we are not reading VC-1.
            return Err(Error::config(
                "VC-1",
                format!("COLORDIFF_FORMAT {colordiff} is reserved (only 1 = 4:2:0 exists)"),
            ));
        }
        b.bits(3)?; // FRMRTQ_POSTPROC
        b.bits(5)?; // BITRTQ_POSTPROC
        b.bits(1)?; // POSTPROCFLAG
        let max_coded_width = 2 * (b.bits(12)? + 1);
        let max_coded_height = 2 * (b.bits(12)? + 1);
        let pulldown = b.bit()?;
        let interlace = b.bit()?;
        let tfcntrflag = b.bit()?;
        let finterpflag = b.bit()?;
        b.bits(1)?; // RESERVED
        let psf = b.bit()?;

        let mut display_size = None;
        let mut aspect_ratio = None;
        let mut frame_rate = None;
        if b.bit()? {
            // DISPLAY_EXT
            let w = b.bits(14)? + 1;
            let h = b.bits(14)? + 1;
            display_size = Some((w, h));
            if b.bit()? {
                // ASPECT_RATIO_FLAG
                let ar = b.bits(4)?;
                aspect_ratio = match ar {
                    // ASPECT_HORIZ_SIZE/ASPECT_VERT_SIZE are coded minus one (FFmpeg reads
                    // them so; the shared sample's 155/155 is 1:1 as ffprobe reports).
                    15 => Some((b.bits(8)? + 1, b.bits(8)? + 1)),
                    // SMPTE 421M Table 7: 0 is unspecified, 14 reserved.
                    1..=13 => sample_aspect::predefined(ar as u8)
                        .map(|(x, y)| (u32::from(x), u32::from(y))),
                    _ => None,
                };
            }
            if b.bit()? {
                // FRAMERATE_FLAG
                if b.bit()? {
                    // FRAMERATEIND: explicit rate in units of 1/32 fps.
                    let exp = b.bits(16)?;
                    frame_rate = Some((exp + 1, 32));
                } else {
                    let nr = b.bits(8)?;
                    let dr = b.bits(4)?;
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
            if b.bit()? {
                // COLOR_FORMAT_FLAG: COLOR_PRIM, TRANSFER_CHAR, MATRIX_COEF.
                b.bits(24)?;
            }
        }
        let hrd_param_flag = b.bit()?;
        let mut hrd_num_leaky_buckets = 0u8;
        if hrd_param_flag {
            hrd_num_leaky_buckets = b.bits(5)? as u8;
            b.bits(4)?; // BIT_RATE_EXPONENT
            b.bits(4)?; // BUFFER_SIZE_EXPONENT
            for _ in 0..hrd_num_leaky_buckets {
                b.bits(32)?; // HRD_RATE, HRD_BUFFER
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
        let raw = remove_emulation_prevention(unit, Escaping::Vc1);
        let mut b = BitReader::new(&raw, WHAT);
        let broken_link = b.bit()?;
        let closed_entry = b.bit()?;
        let panscan = b.bit()?;
        let refdist = b.bit()?;
        let loopfilter = b.bit()?;
        let fastuvmc = b.bit()?;
        let extended_mv = b.bit()?;
        let dquant = b.bits(2)? as u8;
        let vstransform = b.bit()?;
        let overlap = b.bit()?;
        let quantizer = b.bits(2)? as u8;
        if seq.hrd_param_flag {
            for _ in 0..seq.hrd_num_leaky_buckets {
                b.bits(8)?; // HRD_FULL
            }
        }
        let coded_size = if b.bit()? {
            let w = 2 * (b.bits(12)? + 1);
            let h = 2 * (b.bits(12)? + 1);
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
    let head = remove_emulation_prevention(
        unit.get(..unit.len().min(8)).unwrap_or_default(),
        Escaping::Vc1,
    );
    let mut b = BitReader::new(&head, "VC-1 frame header");
    let mut field = false;
    if seq.interlace && b.bit()? {
        // FCM: 0 progressive, 10 frame-interlace, 11 field-interlace.
        field = b.bit()?;
    }
    if field {
        // FPTYPE: the pair's types; the first field decides decoding dependencies.
        return Ok(match b.bits(3)? {
            0 | 1 => FrameType::I,
            2 | 3 => FrameType::P,
            4 | 5 => FrameType::B,
            _ => FrameType::BI,
        });
    }
    // PTYPE VLC: 0 P, 10 B, 110 I, 1110 BI, 1111 skipped.
    Ok(if !b.bit()? {
        FrameType::P
    } else if !b.bit()? {
        FrameType::B
    } else if !b.bit()? {
        FrameType::I
    } else if !b.bit()? {
        FrameType::BI
    } else {
        FrameType::Skipped
    })
}
