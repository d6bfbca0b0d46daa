//! Typed parsers for the moov headers tests and recovery look inside (the fragment boxes
//! are in [`super::fragment_boxes`]), and the field helpers both use.
//!
//! Each parser checks the box type first, so handing it the wrong box is an error and not
//! a silently wrong value. Trailing bytes after the known fields are ignored, as ISO
//! 14496-12 asks of readers so later versions can extend a box.

use super::{BoxRef, ByteCursor, err_offset};
use crate::error::{Error, Result};

/// Largest sample count accepted in a trun whose samples carry no per-sample fields. Such
/// a trun costs 12 bytes whatever its count, so without a cap a 4-byte field could make
/// the parser allocate billions of entries.
pub(super) const MAX_FIELDLESS_SAMPLES: u32 = 1 << 20;

/// Refuses a box whose type is not `expected`.
pub(super) fn expect_type(b: &BoxRef<'_>, expected: &[u8; 4], what: &'static str) -> Result<()> {
    if &b.box_type == expected {
        Ok(())
    } else {
        Err(Error::malformed(
            what,
            err_offset(b.offset),
            format!(
                "expected a '{}' box, found '{}'",
                String::from_utf8_lossy(expected),
                b.type_str()
            ),
        ))
    }
}

/// Refuses a box that is not a `uuid` box with extended type `uuid`.
pub(super) fn expect_uuid(b: &BoxRef<'_>, uuid: &[u8; 16], what: &'static str) -> Result<()> {
    if b.is_uuid(uuid) {
        Ok(())
    } else {
        Err(Error::malformed(
            what,
            err_offset(b.offset),
            format!("not a {what} uuid box (found '{}')", b.type_str()),
        ))
    }
}

/// Reads the FullBox version and flags and returns a cursor over the rest of the payload.
pub(super) fn full_box<'a>(
    b: &BoxRef<'a>,
    what: &'static str,
) -> Result<(u8, u32, ByteCursor<'a>)> {
    let mut c = ByteCursor::at(b.payload(), b.payload_offset(), what);
    let version = c.u8()?;
    let flags = c.u24()?;
    Ok((version, flags, c))
}

/// Refuses a FullBox version this reader does not know.
pub(super) fn expect_version(
    b: &BoxRef<'_>,
    version: u8,
    max: u8,
    what: &'static str,
) -> Result<()> {
    if version <= max {
        Ok(())
    } else {
        Err(Error::malformed(
            what,
            err_offset(b.payload_offset()),
            format!("unsupported version {version}"),
        ))
    }
}

/// Reads a field that is 64-bit in version 1 and 32-bit in version 0.
pub(super) fn versioned_u64(c: &mut ByteCursor<'_>, version: u8) -> Result<u64> {
    if version == 1 {
        c.u64()
    } else {
        c.u32().map(u64::from)
    }
}

/// Reads an optional u32 field, present when `flag` is set in `flags`.
pub(super) fn opt_u32(c: &mut ByteCursor<'_>, flags: u32, flag: u32) -> Result<Option<u32>> {
    if flags & flag != 0 {
        c.u32().map(Some)
    } else {
        Ok(None)
    }
}

/// `ftyp`: the file's brands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ftyp {
    /// major_brand, e.g. `*b"isml"`.
    pub major: [u8; 4],
    /// minor_version.
    pub minor: u32,
    /// compatible_brands in file order.
    pub compatible: Vec<[u8; 4]>,
}

impl Ftyp {
    /// Parses an `ftyp` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"ftyp", "ftyp")?;
        let mut c = ByteCursor::at(b.payload(), b.payload_offset(), "ftyp");
        let major = c.array()?;
        let minor = c.u32()?;
        let mut compatible = Vec::with_capacity(c.remaining() / 4);
        while c.remaining() > 0 {
            compatible.push(c.array()?);
        }
        Ok(Ftyp {
            major,
            minor,
            compatible,
        })
    }
}

/// `mvhd`: movie header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mvhd {
    /// 0 (32-bit times) or 1 (64-bit times).
    pub version: u8,
    /// Seconds since 1904-01-01.
    pub creation_time: u64,
    /// Seconds since 1904-01-01.
    pub modification_time: u64,
    /// Ticks per second of the movie time base (10,000,000 in Smooth).
    pub timescale: u32,
    /// Duration in `timescale` units (0 when only fragments know it).
    pub duration: u64,
    /// Playback rate, 16.16 fixed point (0x00010000 = normal).
    pub rate: u32,
    /// Volume, 8.8 fixed point (0x0100 = full).
    pub volume: u16,
    /// Next free track_ID.
    pub next_track_id: u32,
}

impl Mvhd {
    /// Parses an `mvhd` box (version 0 or 1).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"mvhd", "mvhd")?;
        let (version, _flags, mut c) = full_box(b, "mvhd")?;
        expect_version(b, version, 1, "mvhd")?;
        let creation_time = versioned_u64(&mut c, version)?;
        let modification_time = versioned_u64(&mut c, version)?;
        let timescale = c.u32()?;
        let duration = versioned_u64(&mut c, version)?;
        let rate = c.u32()?;
        let volume = c.u16()?;
        // reserved (2 + 8), matrix (36), pre_defined (24)
        c.skip(2 + 8 + 36 + 24)?;
        let next_track_id = c.u32()?;
        Ok(Mvhd {
            version,
            creation_time,
            modification_time,
            timescale,
            duration,
            rate,
            volume,
            next_track_id,
        })
    }
}

/// `tkhd`: track header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tkhd {
    /// 0 (32-bit times) or 1 (64-bit times).
    pub version: u8,
    /// 1 = enabled, 2 = in movie, 4 = in preview.
    pub flags: u32,
    /// Seconds since 1904-01-01.
    pub creation_time: u64,
    /// Seconds since 1904-01-01.
    pub modification_time: u64,
    /// The track's ID (what tfhd, trex and tfra refer to).
    pub track_id: u32,
    /// Duration in the movie timescale.
    pub duration: u64,
    /// Front-to-back layer.
    pub layer: i16,
    /// Alternate group (tracks of one group are alternatives).
    pub alternate_group: i16,
    /// 8.8 fixed point; 0x0100 for audio, 0 for video.
    pub volume: u16,
    /// Display width, 16.16 fixed point.
    pub width: u32,
    /// Display height, 16.16 fixed point.
    pub height: u32,
}

impl Tkhd {
    /// Parses a `tkhd` box (version 0 or 1).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"tkhd", "tkhd")?;
        let (version, flags, mut c) = full_box(b, "tkhd")?;
        expect_version(b, version, 1, "tkhd")?;
        let creation_time = versioned_u64(&mut c, version)?;
        let modification_time = versioned_u64(&mut c, version)?;
        let track_id = c.u32()?;
        c.skip(4)?; // reserved
        let duration = versioned_u64(&mut c, version)?;
        c.skip(8)?; // reserved
        let layer = c.u16()? as i16;
        let alternate_group = c.u16()? as i16;
        let volume = c.u16()?;
        c.skip(2 + 36)?; // reserved, matrix
        let width = c.u32()?;
        let height = c.u32()?;
        Ok(Tkhd {
            version,
            flags,
            creation_time,
            modification_time,
            track_id,
            duration,
            layer,
            alternate_group,
            volume,
            width,
            height,
        })
    }
}

/// `mdhd`: media header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mdhd {
    /// 0 (32-bit times) or 1 (64-bit times).
    pub version: u8,
    /// Seconds since 1904-01-01.
    pub creation_time: u64,
    /// Seconds since 1904-01-01.
    pub modification_time: u64,
    /// Ticks per second of the track's media time (10,000,000 in Smooth).
    pub timescale: u32,
    /// Duration in `timescale` units.
    pub duration: u64,
    /// ISO 639-2/T code packed as three 5-bit letters (`'und'` = 0x55C4); the pad bit is
    /// kept as read.
    pub language: u16,
}

impl Mdhd {
    /// Parses an `mdhd` box (version 0 or 1).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"mdhd", "mdhd")?;
        let (version, _flags, mut c) = full_box(b, "mdhd")?;
        expect_version(b, version, 1, "mdhd")?;
        let creation_time = versioned_u64(&mut c, version)?;
        let modification_time = versioned_u64(&mut c, version)?;
        let timescale = c.u32()?;
        let duration = versioned_u64(&mut c, version)?;
        let language = c.u16()?;
        Ok(Mdhd {
            version,
            creation_time,
            modification_time,
            timescale,
            duration,
            language,
        })
    }

    /// The language as three letters, e.g. `"und"`; letters outside a–z come out as they
    /// decode (the SDK wrote 0x0000, which gives three backquotes).
    pub fn language_code(&self) -> String {
        [10u16, 5, 0]
            .iter()
            .map(|shift| char::from(0x60 + ((self.language >> shift) & 0x1f) as u8))
            .collect()
    }
}

/// `hdlr`: handler reference (the track kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hdlr {
    /// `*b"vide"`, `*b"soun"`, `*b"text"`, `*b"subt"`, `*b"meta"`, …
    pub handler_type: [u8; 4],
    /// The name up to its NUL terminator (or the end of the box), lossily decoded.
    pub name: String,
}

impl Hdlr {
    /// Parses an `hdlr` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"hdlr", "hdlr")?;
        let (_version, _flags, mut c) = full_box(b, "hdlr")?;
        c.skip(4)?; // pre_defined
        let handler_type = c.array()?;
        c.skip(12)?; // reserved
        let rest = c.rest();
        let name = rest.split(|&b| b == 0).next().unwrap_or(&[]);
        Ok(Hdlr {
            handler_type,
            name: String::from_utf8_lossy(name).into_owned(),
        })
    }
}

/// `trex`: a track's fragment defaults, in `moov/mvex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trex {
    /// The track these defaults apply to.
    pub track_id: u32,
    /// Sample description index used when tfhd gives none (1 in Smooth).
    pub default_sample_description_index: u32,
    /// Default sample duration.
    pub default_sample_duration: u32,
    /// Default sample size.
    pub default_sample_size: u32,
    /// Default sample flags.
    pub default_sample_flags: u32,
}

impl Trex {
    /// Parses a `trex` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"trex", "trex")?;
        let (_version, _flags, mut c) = full_box(b, "trex")?;
        Ok(Trex {
            track_id: c.u32()?,
            default_sample_description_index: c.u32()?,
            default_sample_duration: c.u32()?,
            default_sample_size: c.u32()?,
            default_sample_flags: c.u32()?,
        })
    }
}
