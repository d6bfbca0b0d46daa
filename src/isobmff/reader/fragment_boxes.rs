//! Typed parsers for the fragment boxes (moof, traf, Smooth's uuid boxes) and the mfra
//! index. Each checks the box type first; trailing bytes after the known fields are
//! ignored, as ISO 14496-12 asks of readers.

use super::boxes::{
    MAX_FIELDLESS_SAMPLES, expect_type, expect_uuid, expect_version, full_box, opt_u32,
    versioned_u64,
};
use super::{BoxRef, err_offset};
use crate::error::{Error, Result};
use crate::isobmff::uuids::{TFRF_UUID, TFXD_UUID};

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
