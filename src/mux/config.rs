//! What a caller configures: muxer options and one stream's description.

use bytes::Bytes;

use crate::codec::avc::NalFormat;
use crate::codec::media_type::MediaType;
use crate::codec::wma::WmaConfig;
use crate::codec::{AacCodec, AvcCodec, Codec, TextFormat, Vc1Codec};
use crate::drm::Protection;
use crate::error::{Error, Result};

/// The Smooth Streaming timescale: 100 ns ticks.
pub const SMOOTH_TIMESCALE: u32 = 10_000_000;

/// How fragment boundaries are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragmentation {
    /// A fragment closes at the first sync sample at or after each multiple of the target
    /// duration (measured from the stream's first sample), so aligned GOPs give aligned
    /// fragments across bit rates.
    Automatic,
    /// Fragments close only when the caller asks ([`crate::Muxer::flush`]).
    Manual,
}

/// Muxer-wide options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Presentation timescale (ticks per second) of every box and manifest time.
    pub timescale: u32,
    /// Target fragment duration in presentation ticks (default 2 s).
    pub fragment_duration: u64,
    /// Automatic or caller-driven fragmenting.
    pub fragmentation: Fragmentation,
    /// Encryption of every stream, if any.
    pub protection: Option<Protection>,
    /// Whether every `c` of the client manifest lists an `f` element per QualityLevel
    /// (the SDK's FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST). Off: only sparse streams
    /// with ManifestOutput get them.
    pub fragment_elements: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timescale: SMOOTH_TIMESCALE,
            fragment_duration: 2 * u64::from(SMOOTH_TIMESCALE),
            fragmentation: Fragmentation::Automatic,
            protection: None,
            fragment_elements: false,
        }
    }
}

impl Options {
    /// Sets the target fragment duration in seconds.
    pub fn fragment_seconds(mut self, seconds: f64) -> Result<Self> {
        let ticks = seconds * f64::from(self.timescale);
        if !(ticks.is_finite() && (1.0..1e15).contains(&ticks)) {
            return Err(Error::InvalidArgument(format!(
                "fragment duration {seconds} s is out of range"
            )));
        }
        self.fragment_duration = ticks.round() as u64;
        Ok(self)
    }

    /// Encrypts every stream with `protection` and signals it with its PlayReady header.
    pub fn protection(mut self, protection: Protection) -> Self {
        self.protection = Some(protection);
        self
    }

    /// Lists an `f` element per QualityLevel in every `c` of the client manifest.
    pub fn fragment_elements(mut self, on: bool) -> Self {
        self.fragment_elements = on;
        self
    }

    /// Switches to caller-driven fragmenting.
    pub fn manual(mut self) -> Self {
        self.fragmentation = Fragmentation::Manual;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.timescale == 0 {
            return Err(Error::InvalidArgument("timescale must not be 0".into()));
        }
        if self.fragment_duration == 0 {
            return Err(Error::InvalidArgument(
                "fragment duration must not be 0".into(),
            ));
        }
        if let Some(p) = &self.protection {
            p.validate()?;
        }
        Ok(())
    }
}

/// Handle of a stream added to a muxer (or a writer built on one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub(crate) usize);

impl StreamId {
    /// The stream's index in the order streams were added, from 0.
    pub fn index(self) -> usize {
        self.0
    }

    /// The track_ID this stream has in every header and fragment: its index + 1, so a
    /// stream keeps one identity whichever file it is written to.
    pub fn track_id(self) -> u32 {
        u32::try_from(self.0).map_or(u32::MAX, |i| i.saturating_add(1))
    }
}

/// Description of one stream: codec configuration plus how it appears in the manifests.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub(crate) codec: Codec,
    pub(crate) bitrate: u32,
    pub(crate) language: Option<String>,
    pub(crate) track_name: Option<String>,
    pub(crate) source_file_name: Option<String>,
    pub(crate) timescale: u32,
    pub(crate) quality_index: Option<u32>,
    pub(crate) parent: Option<StreamId>,
    pub(crate) manifest_output: bool,
    pub(crate) subtype: Option<String>,
}

impl StreamConfig {
    fn new(codec: Codec) -> Self {
        Self {
            codec,
            bitrate: 0,
            language: None,
            track_name: None,
            source_file_name: None,
            timescale: SMOOTH_TIMESCALE,
            quality_index: None,
            parent: None,
            manifest_output: false,
            subtype: None,
        }
    }

    fn sparse(format: TextFormat, parent: StreamId) -> Result<Self> {
        format.validate()?;
        let mut config = Self::new(Codec::Text(format));
        config.parent = Some(parent);
        Ok(config)
    }

    /// A sparse TTML caption stream tied to `parent` (the SDK's SSF_STREAM_TTML1): each
    /// sample is one TTML document. Subtype `CAPT` unless set.
    pub fn ttml(parent: StreamId) -> Result<Self> {
        Self::sparse(TextFormat::Ttml, parent)
    }

    /// A sparse XML metadata stream tied to `parent` (SSF_STREAM_XML).
    pub fn xml_metadata(
        parent: StreamId,
        namespace: impl Into<String>,
        schema_location: impl Into<String>,
    ) -> Result<Self> {
        Self::sparse(
            TextFormat::Xml {
                namespace: namespace.into(),
                schema_location: schema_location.into(),
                content_encoding: String::new(),
            },
            parent,
        )
    }

    /// A sparse text metadata stream tied to `parent` (SSF_STREAM_TEXT), e.g. ad signals.
    pub fn text_metadata(parent: StreamId, mime_format: impl Into<String>) -> Result<Self> {
        Self::sparse(
            TextFormat::Text {
                mime_format: mime_format.into(),
                content_encoding: String::new(),
            },
            parent,
        )
    }

    /// For sparse streams: carry the samples inline in the client manifest too
    /// (`ManifestOutput="TRUE"`).
    pub fn manifest_output(mut self, on: bool) -> Self {
        self.manifest_output = on;
        self
    }

    /// For sparse streams: the StreamIndex `Subtype` (default `CAPT` for TTML, `DATA`
    /// for metadata).
    pub fn subtype(mut self, subtype: impl Into<String>) -> Self {
        self.subtype = Some(subtype.into());
        self
    }

    /// The parent stream of a sparse stream.
    pub fn parent(&self) -> Option<StreamId> {
        self.parent
    }

    /// The StreamIndex `Subtype` of a sparse stream.
    pub fn subtype_name(&self) -> &str {
        match (&self.subtype, &self.codec) {
            (Some(s), _) => s,
            (None, Codec::Text(TextFormat::Ttml)) => "CAPT",
            (None, _) => "DATA",
        }
    }

    /// VC-1 Advanced Profile (`WVC1`) from its CodecPrivateData (the VIDEOINFOHEADER2
    /// extra bytes: optional leading byte, sequence header, entry point). Samples are
    /// frames with their start codes, keyframes preceded by sequence header and entry
    /// point, as the input layer's VC-1 reader (`input::vc1::Vc1FrameReader`) cuts them.
    pub fn vc1(codec_private_data: &[u8]) -> Result<Self> {
        Ok(Self::new(Codec::Vc1(Vc1Codec::from_codec_private_data(
            codec_private_data,
        )?)))
    }

    /// VC-1 Advanced Profile configured from the sequence header and entry point in front
    /// of the first keyframe sample.
    pub fn vc1_in_band() -> Self {
        Self::new(Codec::Vc1(Vc1Codec::in_band()))
    }

    /// WMA v2, Pro or Lossless from a whole WAVEFORMATEX (18 bytes, then `cbSize` extra
    /// bytes). Each sample is one WMA block of `nBlockAlign` bytes (an ASF media object).
    pub fn wma(wave_format_ex: &[u8]) -> Result<Self> {
        Ok(Self::new(Codec::Wma(WmaConfig::from_wave_format(
            wave_format_ex,
        )?)))
    }

    /// H.264 from an `avcC` payload; samples use the avcC's NAL length size.
    pub fn h264(avcc: &[u8]) -> Result<Self> {
        Ok(Self::new(Codec::Avc(AvcCodec::from_avcc(avcc)?)))
    }

    /// H.264 from one SPS and one PPS NAL unit; samples are framed as `input` says.
    pub fn h264_parameter_sets(sps: Bytes, pps: Bytes, input: NalFormat) -> Result<Self> {
        Ok(Self::new(Codec::Avc(AvcCodec::from_parameter_sets(
            sps, pps, input,
        )?)))
    }

    /// H.264 whose SPS and PPS travel in-band: they are taken from the first IDR sample.
    pub fn h264_in_band(input: NalFormat) -> Result<Self> {
        Ok(Self::new(Codec::Avc(AvcCodec::in_band(input)?)))
    }

    /// AAC from its AudioSpecificConfig; samples are raw AAC frames (no ADTS header).
    pub fn aac(asc: &[u8]) -> Result<Self> {
        Ok(Self::new(Codec::Aac(AacCodec::from_asc(asc)?)))
    }

    /// A stream from a Windows media type parsed by [`crate::codec::media_type`] (the
    /// original SDK's WAVEFORMATEX / VIDEOINFOHEADER2 / MPEG2VIDEOINFO input).
    pub fn from_media_type(media: MediaType) -> Result<Self> {
        match media {
            MediaType::Aac { asc } => Self::aac(&asc),
            MediaType::H264ParameterSets { sps, pps, input } => {
                Self::h264_parameter_sets(sps, pps, input)
            }
            MediaType::H264InBand { input } => Self::h264_in_band(input),
            MediaType::Wma { wave_format_ex } => Self::wma(&wave_format_ex),
            MediaType::Vc1 { codec_private_data } if codec_private_data.is_empty() => {
                Ok(Self::vc1_in_band())
            }
            MediaType::Vc1 { codec_private_data } => Self::vc1(&codec_private_data),
        }
    }

    /// Average bit rate in bits per second (0: measured from the samples).
    pub fn bitrate(mut self, bits_per_second: u32) -> Self {
        self.bitrate = bits_per_second;
        self
    }

    /// ISO 639-2 language code, e.g. "eng".
    pub fn language(mut self, code: impl Into<String>) -> Self {
        self.language = Some(code.into());
        self
    }

    /// StreamIndex name in the manifests (default "video" / "audio").
    pub fn track_name(mut self, name: impl Into<String>) -> Self {
        self.track_name = Some(name.into());
        self
    }

    /// File name the server manifest points at for this stream.
    pub fn source_file_name(mut self, name: impl Into<String>) -> Self {
        self.source_file_name = Some(name.into());
        self
    }

    /// Ticks per second of the timestamps given with this stream's samples
    /// (default 10 000 000).
    pub fn timescale(mut self, ticks_per_second: u32) -> Self {
        self.timescale = ticks_per_second;
        self
    }

    /// QualityLevel `Index` in the client manifest (default: position in its StreamIndex).
    pub fn quality_index(mut self, index: u32) -> Self {
        self.quality_index = Some(index);
        self
    }

    /// The codec configuration.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The StreamIndex name this stream appears under.
    pub fn name(&self) -> &str {
        match (&self.track_name, self.codec.kind()) {
            (Some(name), _) => name,
            (None, crate::codec::MediaKind::Video) => "video",
            (None, crate::codec::MediaKind::Audio) => "audio",
            (None, crate::codec::MediaKind::Text) => "text",
        }
    }

    /// The configured bit rate (0 when it is to be measured).
    pub fn configured_bitrate(&self) -> u32 {
        self.bitrate
    }

    /// The configured language, if any.
    pub fn configured_language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// The configured source file name, if any.
    pub fn configured_source_file_name(&self) -> Option<&str> {
        self.source_file_name.as_deref()
    }
}
