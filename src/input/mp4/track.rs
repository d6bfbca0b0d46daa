//! What the reader tells about each track: the public description a caller chooses
//! tracks by and configures streams from.

/// What a track carries, from its handler (`hdlr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrackKind {
    /// Handler `vide`.
    Video,
    /// Handler `soun`.
    Audio,
    /// Any other handler (`text`, `subt`, `sbtl`, `meta`, `hint`, `tmcd`, …), by its code.
    Other([u8; 4]),
}

/// A track's sample description: the first entry of its `stsd`. More codecs may be
/// described later, so matches need a catch-all arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SampleEntry {
    /// H.264 in `avc1` (parameter sets in the configuration) or `avc3` (parameter sets
    /// may also travel in the samples).
    Avc {
        /// `*b"avc1"` or `*b"avc3"`.
        fourcc: [u8; 4],
        /// The `avcC` body, an AVCDecoderConfigurationRecord, as stored: what
        /// [`crate::StreamConfig::h264`] takes.
        avcc: Vec<u8>,
    },
    /// AAC in `mp4a` (objectTypeIndication 0x40, or 0x66–0x68 for MPEG-2 AAC).
    Aac {
        /// The AudioSpecificConfig exactly as the `esds` DecoderSpecificInfo holds it,
        /// SBR/PS signalling included (HE-AAC and HE-AAC v2), for
        /// [`crate::StreamConfig::aac`].
        asc: Vec<u8>,
    },
    /// A sample entry this reader does not describe further.
    Other {
        /// Its four-character code (`hvc1`, `ac-3`, `encv`, `tx3g`, …).
        fourcc: [u8; 4],
        /// For `mp4a`, the `esds` objectTypeIndication that is not AAC (0x6B: MP3).
        object_type: Option<u8>,
    },
}

impl SampleEntry {
    /// The entry's four-character code.
    pub fn fourcc(&self) -> [u8; 4] {
        match self {
            SampleEntry::Avc { fourcc, .. } | SampleEntry::Other { fourcc, .. } => *fourcc,
            SampleEntry::Aac { .. } => *b"mp4a",
        }
    }

    /// A short description for messages, e.g. `avc1`, `mp4a`, `mp4a (object type 0x6b)`.
    pub fn describe(&self) -> String {
        let code = String::from_utf8_lossy(&self.fourcc()).into_owned();
        match self {
            SampleEntry::Other {
                object_type: Some(t),
                ..
            } => format!("{code} (object type {t:#04x})"),
            _ => code,
        }
    }
}

/// One track of an MP4 file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Track {
    /// The `track_ID` (from `tkhd`), which [`super::Mp4File::samples`] takes.
    pub id: u32,
    /// Video, audio or other, from the handler.
    pub kind: TrackKind,
    /// Ticks per second of the track's times (`mdhd`).
    pub timescale: u32,
    /// The `mdhd` language, ISO 639-2/T; `None` for `und` and for codes that are not
    /// three letters a–z.
    pub language: Option<String>,
    /// The first sample description.
    pub entry: SampleEntry,
    /// Samples in the `stbl` and in every fragment.
    pub sample_count: u64,
    /// Sum of the sample sizes.
    pub sample_bytes: u64,
    /// Decode time just past the last sample, in `timescale` ticks: the sum of the
    /// durations the samples are read with.
    pub duration: u64,
    /// The media duration the `mdhd` declares, in `timescale` ticks (0 in most
    /// fragmented files). It sets the last `stbl` sample's duration, within limits.
    pub media_duration: u64,
    /// Whether samples come from movie fragments (`moof`).
    pub fragmented: bool,
}
