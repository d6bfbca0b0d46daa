//! Typed parsers for the boxes that tests and recovery look inside: the fragment boxes
//! (moof, traf, Smooth's uuid boxes, the mfra index) and the moov headers.
//!
//! Each parser checks the box type first, so handing it the wrong box is an error and not
//! a silently wrong value. Trailing bytes after the known fields are ignored, as ISO
//! 14496-12 asks of readers so later versions can extend a box.

use super::{BoxRef, ByteCursor, err_offset};
use crate::error::{Error, Result};
use crate::isobmff::uuids::{TFRF_UUID, TFXD_UUID};

/// Largest sample count accepted in a trun whose samples carry no per-sample fields. Such
/// a trun costs 12 bytes whatever its count, so without a cap a 4-byte field could make
/// the parser allocate billions of entries.
const MAX_FIELDLESS_SAMPLES: u32 = 1 << 20;

/// Refuses a box whose type is not `expected`.
fn expect_type(b: &BoxRef<'_>, expected: &[u8; 4], what: &'static str) -> Result<()> {
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
fn expect_uuid(b: &BoxRef<'_>, uuid: &[u8; 16], what: &'static str) -> Result<()> {
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
fn full_box<'a>(b: &BoxRef<'a>, what: &'static str) -> Result<(u8, u32, ByteCursor<'a>)> {
    let mut c = ByteCursor::at(b.payload(), b.payload_offset(), what);
    let version = c.u8()?;
    let flags = c.u24()?;
    Ok((version, flags, c))
}

/// Refuses a FullBox version this reader does not know.
fn expect_version(b: &BoxRef<'_>, version: u8, max: u8, what: &'static str) -> Result<()> {
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
fn versioned_u64(c: &mut ByteCursor<'_>, version: u8) -> Result<u64> {
    if version == 1 {
        c.u64()
    } else {
        c.u32().map(u64::from)
    }
}

/// Reads an optional u32 field, present when `flag` is set in `flags`.
fn opt_u32(c: &mut ByteCursor<'_>, flags: u32, flag: u32) -> Result<Option<u32>> {
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

/// `mfhd`: movie fragment header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mfhd {
    /// 1, 2, 3, … per file or stream.
    pub sequence_number: u32,
}

impl Mfhd {
    /// Parses an `mfhd` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"mfhd", "mfhd")?;
        let (_version, _flags, mut c) = full_box(b, "mfhd")?;
        Ok(Mfhd {
            sequence_number: c.u32()?,
        })
    }
}

/// `tfhd`: track fragment header. Optional fields are `Some` exactly when their flag is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tfhd {
    /// FullBox version (0).
    pub version: u8,
    /// The flags as written (see the `*_PRESENT` and `DEFAULT_BASE_IS_MOOF` constants).
    pub flags: u32,
    /// The track this fragment belongs to.
    pub track_id: u32,
    /// Flag 0x000001. PIFF forbids it (data offsets are relative to the moof).
    pub base_data_offset: Option<u64>,
    /// Flag 0x000002.
    pub sample_description_index: Option<u32>,
    /// Flag 0x000008.
    pub default_sample_duration: Option<u32>,
    /// Flag 0x000010. Silverlight refuses files that set it.
    pub default_sample_size: Option<u32>,
    /// Flag 0x000020 (what FFmpeg's ISM mode writes).
    pub default_sample_flags: Option<u32>,
}

impl Tfhd {
    /// tfhd flag: base_data_offset present.
    pub const BASE_DATA_OFFSET_PRESENT: u32 = 0x00_0001;
    /// tfhd flag: sample_description_index present.
    pub const SAMPLE_DESCRIPTION_INDEX_PRESENT: u32 = 0x00_0002;
    /// tfhd flag: default_sample_duration present.
    pub const DEFAULT_SAMPLE_DURATION_PRESENT: u32 = 0x00_0008;
    /// tfhd flag: default_sample_size present.
    pub const DEFAULT_SAMPLE_SIZE_PRESENT: u32 = 0x00_0010;
    /// tfhd flag: default_sample_flags present.
    pub const DEFAULT_SAMPLE_FLAGS_PRESENT: u32 = 0x00_0020;
    /// tfhd flag: the fragment has no samples, only a duration.
    pub const DURATION_IS_EMPTY: u32 = 0x01_0000;
    /// tfhd flag: data offsets are relative to the moof (newer than PIFF 1.1).
    pub const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;

    /// Parses a `tfhd` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"tfhd", "tfhd")?;
        let (version, flags, mut c) = full_box(b, "tfhd")?;
        let track_id = c.u32()?;
        let base_data_offset = if flags & Self::BASE_DATA_OFFSET_PRESENT != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        Ok(Tfhd {
            version,
            flags,
            track_id,
            base_data_offset,
            sample_description_index: opt_u32(
                &mut c,
                flags,
                Self::SAMPLE_DESCRIPTION_INDEX_PRESENT,
            )?,
            default_sample_duration: opt_u32(&mut c, flags, Self::DEFAULT_SAMPLE_DURATION_PRESENT)?,
            default_sample_size: opt_u32(&mut c, flags, Self::DEFAULT_SAMPLE_SIZE_PRESENT)?,
            default_sample_flags: opt_u32(&mut c, flags, Self::DEFAULT_SAMPLE_FLAGS_PRESENT)?,
        })
    }
}

/// One sample of a [`Trun`]; each field is `Some` exactly when the trun flags select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrunSample {
    /// Flag 0x000100.
    pub duration: Option<u32>,
    /// Flag 0x000200.
    pub size: Option<u32>,
    /// Flag 0x000400.
    pub flags: Option<u32>,
    /// Flag 0x000800: PTS − DTS; unsigned in version 0, signed in version 1.
    pub composition_offset: Option<i64>,
}

/// `trun`: track fragment run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trun {
    /// 0 (unsigned composition offsets, what Smooth uses) or 1 (signed).
    pub version: u8,
    /// The flags as written (see the `*_PRESENT` constants).
    pub flags: u32,
    /// Flag 0x000001: offset of the first sample byte, relative to the moof in PIFF.
    pub data_offset: Option<i32>,
    /// Flag 0x000004: flags of the first sample, overriding the tfhd default.
    pub first_sample_flags: Option<u32>,
    /// The samples, `sample_count` of them.
    pub samples: Vec<TrunSample>,
}

impl Trun {
    /// trun flag: data_offset present.
    pub const DATA_OFFSET_PRESENT: u32 = 0x00_0001;
    /// trun flag: first_sample_flags present.
    pub const FIRST_SAMPLE_FLAGS_PRESENT: u32 = 0x00_0004;
    /// trun flag: per-sample duration present.
    pub const SAMPLE_DURATION_PRESENT: u32 = 0x00_0100;
    /// trun flag: per-sample size present.
    pub const SAMPLE_SIZE_PRESENT: u32 = 0x00_0200;
    /// trun flag: per-sample flags present.
    pub const SAMPLE_FLAGS_PRESENT: u32 = 0x00_0400;
    /// trun flag: per-sample composition time offset present.
    pub const SAMPLE_COMPOSITION_TIME_OFFSET_PRESENT: u32 = 0x00_0800;

    /// Parses a `trun` box (version 0 or 1).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"trun", "trun")?;
        let (version, flags, mut c) = full_box(b, "trun")?;
        expect_version(b, version, 1, "trun")?;
        let count_offset = c.offset();
        let sample_count = c.u32()?;
        let data_offset = if flags & Self::DATA_OFFSET_PRESENT != 0 {
            Some(c.i32()?)
        } else {
            None
        };
        let first_sample_flags = opt_u32(&mut c, flags, Self::FIRST_SAMPLE_FLAGS_PRESENT)?;
        let per_sample = [
            Self::SAMPLE_DURATION_PRESENT,
            Self::SAMPLE_SIZE_PRESENT,
            Self::SAMPLE_FLAGS_PRESENT,
            Self::SAMPLE_COMPOSITION_TIME_OFFSET_PRESENT,
        ]
        .iter()
        .filter(|&&f| flags & f != 0)
        .count()
            * 4;
        // Check the count against the box size before allocating, so a corrupt count fails
        // fast instead of reserving gigabytes.
        let fits = if per_sample == 0 {
            sample_count <= MAX_FIELDLESS_SAMPLES
        } else {
            (sample_count as u64).saturating_mul(per_sample as u64) <= c.remaining() as u64
        };
        if !fits {
            return Err(Error::malformed(
                "trun",
                err_offset(count_offset),
                format!(
                    "sample_count {sample_count} × {per_sample} bytes does not fit in the {} bytes left",
                    c.remaining()
                ),
            ));
        }
        let mut samples = Vec::with_capacity(sample_count as usize);
        for _ in 0..sample_count {
            let duration = opt_u32(&mut c, flags, Self::SAMPLE_DURATION_PRESENT)?;
            let size = opt_u32(&mut c, flags, Self::SAMPLE_SIZE_PRESENT)?;
            let sample_flags = opt_u32(&mut c, flags, Self::SAMPLE_FLAGS_PRESENT)?;
            let composition_offset =
                match opt_u32(&mut c, flags, Self::SAMPLE_COMPOSITION_TIME_OFFSET_PRESENT)? {
                    Some(v) if version == 0 => Some(i64::from(v)),
                    Some(v) => Some(i64::from(v as i32)),
                    None => None,
                };
            samples.push(TrunSample {
                duration,
                size,
                flags: sample_flags,
                composition_offset,
            });
        }
        Ok(Trun {
            version,
            flags,
            data_offset,
            first_sample_flags,
            samples,
        })
    }

    /// The flags that apply to sample `index`: its own, else `first_sample_flags` for the
    /// first sample, else `default` (from tfhd or trex). `None` past the end.
    pub fn sample_flags(&self, index: usize, default: Option<u32>) -> Option<u32> {
        let sample = self.samples.get(index)?;
        sample
            .flags
            .or(if index == 0 {
                self.first_sample_flags
            } else {
                None
            })
            .or(default)
    }
}

/// Smooth `tfxd` (uuid TrackFragmentExtendedHeaderBox): the fragment's absolute time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tfxd {
    /// 0 (32-bit fields) or 1 (64-bit fields).
    pub version: u8,
    /// fragment_absolute_time in the track timescale; equals tfra time and `c@t`.
    pub time: u64,
    /// fragment_duration in the track timescale.
    pub duration: u64,
}

impl Tfxd {
    /// Parses a tfxd uuid box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_uuid(b, &TFXD_UUID, "tfxd")?;
        let (version, _flags, mut c) = full_box(b, "tfxd")?;
        expect_version(b, version, 1, "tfxd")?;
        Ok(Tfxd {
            version,
            time: versioned_u64(&mut c, version)?,
            duration: versioned_u64(&mut c, version)?,
        })
    }
}

/// Smooth `tfrf` (uuid TrackFragmentReferenceBox): live look-ahead to later fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tfrf {
    /// 0 (32-bit entries) or 1 (64-bit entries).
    pub version: u8,
    /// (absolute time, duration) of each following fragment.
    pub entries: Vec<(u64, u64)>,
}

impl Tfrf {
    /// Parses a tfrf uuid box. The count is one byte, as IIS, FFmpeg and dash.js write it
    /// (MS-SSTR's prose says 32 bits; format.md §2.6.4).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_uuid(b, &TFRF_UUID, "tfrf")?;
        let (version, _flags, mut c) = full_box(b, "tfrf")?;
        expect_version(b, version, 1, "tfrf")?;
        let count = c.u8()?;
        let mut entries = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            entries.push((
                versioned_u64(&mut c, version)?,
                versioned_u64(&mut c, version)?,
            ));
        }
        Ok(Tfrf { version, entries })
    }
}

/// One `tfra` entry: where a fragment starting at `time` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TfraEntry {
    /// Presentation time of the fragment's sync sample (Smooth: the tfxd time).
    pub time: u64,
    /// Absolute file offset of the moof.
    pub moof_offset: u64,
    /// 1-based traf number within the moof.
    pub traf_number: u32,
    /// 1-based trun number within the traf.
    pub trun_number: u32,
    /// 1-based sample number within the trun.
    pub sample_number: u32,
}

/// `tfra`: track fragment random access, one per track in `mfra`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tfra {
    /// 0 (32-bit time/offset) or 1 (64-bit).
    pub version: u8,
    /// The track indexed.
    pub track_id: u32,
    /// The entries in file order.
    pub entries: Vec<TfraEntry>,
}

impl Tfra {
    /// Parses a `tfra` box, honouring its traf/trun/sample number widths (1 to 4 bytes).
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"tfra", "tfra")?;
        let (version, _flags, mut c) = full_box(b, "tfra")?;
        expect_version(b, version, 1, "tfra")?;
        let track_id = c.u32()?;
        let sizes = c.u32()?;
        // Each length_size field is 2 bits holding (bytes − 1).
        let traf_len = ((sizes >> 4) & 3) as usize + 1;
        let trun_len = ((sizes >> 2) & 3) as usize + 1;
        let sample_len = (sizes & 3) as usize + 1;
        let count_offset = c.offset();
        let count = c.u32()?;
        let entry_len = if version == 1 { 16 } else { 8 } + traf_len + trun_len + sample_len;
        if (count as u64).saturating_mul(entry_len as u64) > c.remaining() as u64 {
            return Err(Error::malformed(
                "tfra",
                err_offset(count_offset),
                format!(
                    "{count} entries × {entry_len} bytes do not fit in the {} bytes left",
                    c.remaining()
                ),
            ));
        }
        let mut entries = Vec::with_capacity(count as usize);
        for _ in 0..count {
            // Widths are at most 4 bytes, so the narrowing casts below are lossless.
            entries.push(TfraEntry {
                time: versioned_u64(&mut c, version)?,
                moof_offset: versioned_u64(&mut c, version)?,
                traf_number: c.uint(traf_len)? as u32,
                trun_number: c.uint(trun_len)? as u32,
                sample_number: c.uint(sample_len)? as u32,
            });
        }
        Ok(Tfra {
            version,
            track_id,
            entries,
        })
    }
}

/// `mfro`: the size of the enclosing `mfra`, so a reader can find it from the file's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mfro {
    /// Byte size of the whole mfra, mfro included.
    pub size: u32,
}

impl Mfro {
    /// Parses an `mfro` box.
    pub fn parse(b: &BoxRef<'_>) -> Result<Self> {
        expect_type(b, b"mfro", "mfro")?;
        let (_version, _flags, mut c) = full_box(b, "mfro")?;
        Ok(Mfro { size: c.u32()? })
    }
}
