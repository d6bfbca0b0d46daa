//! Codec knowledge: parsing codec configurations, preparing samples for PIFF
//! (4-byte NAL lengths), and the facts the muxer asks for (FourCC, CodecPrivateData,
//! picture size, audio format). Nothing here knows about boxes or manifests.

pub mod aac;
pub mod avc;
pub mod bitstream;
pub mod media_type;
mod sample_aspect;
pub mod ttml;
pub mod vc1;
pub mod wma;

use bytes::Bytes;

use crate::error::{Error, Result};
use aac::AudioSpecificConfig;
use avc::{AvcDecoderConfig, NalFormat, Sps};
use vc1::{FrameType, Vc1Config};
use wma::WmaConfig;

/// Video or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// A video stream.
    Video,
    /// An audio stream.
    Audio,
    /// A sparse text stream (captions, metadata).
    Text,
}

/// What a sparse text stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextFormat {
    /// TTML (DFXP) caption documents (the SDK's SSF_STREAM_TTML1).
    Ttml,
    /// XML timed metadata (SSF_STREAM_XML).
    Xml {
        /// The XML namespace(s) of the samples.
        namespace: String,
        /// Schema location(s), empty for none.
        schema_location: String,
        /// Content encoding such as "gzip", empty for none.
        content_encoding: String,
    },
    /// Text timed metadata (SSF_STREAM_TEXT).
    Text {
        /// MIME type of the samples, e.g. "text/plain".
        mime_format: String,
        /// Content encoding, empty for none.
        content_encoding: String,
    },
}

impl TextFormat {
    /// Checks the strings, which the sample entry stores NUL-terminated.
    pub fn validate(&self) -> Result<()> {
        let fields: Vec<&str> = match self {
            TextFormat::Ttml => Vec::new(),
            TextFormat::Xml {
                namespace,
                schema_location,
                content_encoding,
            } => {
                if namespace.is_empty() {
                    return Err(Error::config("XML metadata", "the namespace is empty"));
                }
                vec![namespace, schema_location, content_encoding]
            }
            TextFormat::Text {
                mime_format,
                content_encoding,
            } => {
                if mime_format.is_empty() {
                    return Err(Error::config("text metadata", "the MIME format is empty"));
                }
                vec![mime_format, content_encoding]
            }
        };
        if fields.iter().any(|f| f.contains('\0')) {
            return Err(Error::config("text stream", "strings must not contain NUL"));
        }
        Ok(())
    }
}

/// Picture facts of a video stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormat {
    /// Coded width after cropping, in pixels.
    pub width: u32,
    /// Coded height after cropping, in pixels.
    pub height: u32,
    /// Display width (width scaled by the sample aspect ratio).
    pub display_width: u32,
    /// Display height.
    pub display_height: u32,
    /// Sample (pixel) aspect ratio.
    pub pixel_aspect: (u32, u32),
}

/// Sound facts of an audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// Output sampling rate in Hz.
    pub sampling_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Bits per sample as the manifest states it.
    pub bits_per_sample: u16,
    /// Block alignment (`PacketSize` in the manifest).
    pub packet_size: u16,
    /// WAVEFORMATEX format tag (`AudioTag`).
    pub audio_tag: u16,
}

/// The codec of one stream and its configuration.
#[derive(Debug, Clone)]
pub enum Codec {
    /// H.264 / AVC.
    Avc(AvcCodec),
    /// AAC (LC, HE-AAC v1/v2).
    Aac(AacCodec),
    /// VC-1 Advanced Profile (`WVC1`).
    Vc1(Vc1Codec),
    /// WMA standard, Pro or Lossless.
    Wma(WmaConfig),
    /// Sparse text: TTML captions or XML/text metadata.
    Text(TextFormat),
}

/// H.264 configuration and the framing the caller's samples use.
#[derive(Debug, Clone)]
pub struct AvcCodec {
    input: NalFormat,
    config: Option<(AvcDecoderConfig, Sps)>,
}

impl AvcCodec {
    /// From an `avcC` payload; samples are length-prefixed with the avcC's length size.
    pub fn from_avcc(avcc: &[u8]) -> Result<Self> {
        let config = AvcDecoderConfig::parse(avcc)?;
        let input = NalFormat::LengthPrefixed(config.length_size);
        Self::configured(config, input)
    }

    /// From one SPS and one PPS NAL unit (with their NAL header bytes).
    pub fn from_parameter_sets(sps: Bytes, pps: Bytes, input: NalFormat) -> Result<Self> {
        Self::configured(AvcDecoderConfig::from_parameter_sets(sps, pps)?, input)
    }

    /// Without a configuration: the SPS and PPS are taken from the first IDR sample.
    pub fn in_band(input: NalFormat) -> Result<Self> {
        check_format(input)?;
        Ok(Self {
            input,
            config: None,
        })
    }

    fn configured(config: AvcDecoderConfig, input: NalFormat) -> Result<Self> {
        check_format(input)?;
        let sps = config.sps_info()?;
        Ok(Self {
            input,
            config: Some((config, sps)),
        })
    }

    /// The decoder configuration, once known.
    pub fn config(&self) -> Option<&AvcDecoderConfig> {
        self.config.as_ref().map(|(c, _)| c)
    }

    /// The parsed first SPS, once known.
    pub fn sps(&self) -> Option<&Sps> {
        self.config.as_ref().map(|(_, s)| s)
    }

    fn prepare(&mut self, data: Bytes, sync: bool) -> Result<Bytes> {
        if self.config.is_none()
            && sync
            && let Some(config) = AvcDecoderConfig::from_access_unit(&data, self.input)?
        {
            let sps = config.sps_info()?;
            self.config = Some((config, sps));
        }
        avc::to_length_prefixed4(&data, self.input)
    }
}

fn check_format(input: NalFormat) -> Result<()> {
    match input {
        NalFormat::AnnexB | NalFormat::LengthPrefixed(1 | 2 | 4) => Ok(()),
        NalFormat::LengthPrefixed(n) => Err(Error::config(
            "NAL length size",
            format!("{n} bytes; H.264 allows 1, 2 or 4"),
        )),
    }
}

/// AAC configuration.
#[derive(Debug, Clone)]
pub struct AacCodec {
    asc: AudioSpecificConfig,
    raw: Vec<u8>,
}

impl AacCodec {
    /// From an AudioSpecificConfig.
    pub fn from_asc(asc: &[u8]) -> Result<Self> {
        Ok(Self {
            asc: AudioSpecificConfig::parse(asc)?,
            raw: asc.to_vec(),
        })
    }

    /// The parsed AudioSpecificConfig.
    pub fn asc(&self) -> &AudioSpecificConfig {
        &self.asc
    }

    /// The AudioSpecificConfig bytes as given.
    pub fn asc_bytes(&self) -> &[u8] {
        &self.raw
    }
}

/// VC-1 Advanced Profile configuration, and the state that checks the caller's samples.
#[derive(Debug, Clone)]
pub struct Vc1Codec {
    config: Option<Vc1Config>,
    /// The previous sample was the I-frame of an entry point with CLOSED_ENTRY = 0: a
    /// B/BI frame next proves an open GOP.
    open_entry_pending: bool,
}

impl Vc1Codec {
    /// From a `WVC1` CodecPrivateData blob (optional leading byte, sequence header, entry
    /// point), as VIDEOINFOHEADER2 extra data or an `.ismc` carries it.
    pub fn from_codec_private_data(data: &[u8]) -> Result<Self> {
        Ok(Self {
            config: Some(Vc1Config::from_codec_private_data(data)?),
            open_entry_pending: false,
        })
    }

    /// Without a configuration: it is taken from the sequence header and entry point in
    /// front of the first keyframe.
    pub fn in_band() -> Self {
        Self {
            config: None,
            open_entry_pending: false,
        }
    }

    /// The configuration, once known.
    pub fn config(&self) -> Option<&Vc1Config> {
        self.config.as_ref()
    }

    /// Checks one sample as ISMV stores it (start codes kept, headers in-band at keyframes):
    /// a sample marked sync must be an I-frame behind an entry point, because every
    /// fragment starts with one and must decode on its own; a B/BI frame right after the
    /// I-frame of an open entry point is an open GOP and is refused. The bytes pass
    /// through unchanged.
    fn prepare(&mut self, data: Bytes, sync: bool) -> Result<Bytes> {
        if self.config.is_none() && sync {
            self.config = Vc1Config::from_sample(&data)?;
        }
        let Some(config) = &self.config else {
            return Err(Error::config(
                "VC-1",
                "no configuration: give CodecPrivateData, or start the stream with a keyframe \
                 sample carrying the sequence header and entry point",
            ));
        };
        let info = vc1::inspect_sample(&data, config)?;
        if sync && !info.sync {
            return Err(Error::config(
                "VC-1",
                format!(
                    "sample marked sync is a {:?} frame{}; a sync sample must be an I-frame \
                     preceded by an entry point",
                    info.frame_type,
                    if info.frame_type == FrameType::I {
                        " without an entry point"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if self.open_entry_pending && matches!(info.frame_type, FrameType::B | FrameType::BI) {
            return Err(Error::config(
                "VC-1",
                "open GOP: the last entry point has CLOSED_ENTRY = 0 and this B-frame refers \
                 to the previous GOP; Smooth fragments must decode on their own, so re-encode \
                 with closed GOPs",
            ));
        }
        self.open_entry_pending = info.open_entry && info.frame_type == FrameType::I;
        Ok(data)
    }
}

impl Codec {
    /// Video or audio.
    pub fn kind(&self) -> MediaKind {
        match self {
            Codec::Avc(_) | Codec::Vc1(_) => MediaKind::Video,
            Codec::Aac(_) | Codec::Wma(_) => MediaKind::Audio,
            Codec::Text(_) => MediaKind::Text,
        }
    }

    /// True once everything needed for the header and manifests is known.
    pub fn is_configured(&self) -> bool {
        match self {
            Codec::Avc(c) => c.config.is_some(),
            Codec::Vc1(c) => c.config.is_some(),
            Codec::Aac(_) | Codec::Wma(_) | Codec::Text(_) => true,
        }
    }

    /// The manifest FourCC.
    pub fn fourcc(&self) -> &'static str {
        match self {
            Codec::Avc(_) => "H264",
            Codec::Aac(c) => c.asc.fourcc(),
            Codec::Vc1(_) => "WVC1",
            Codec::Wma(c) => c.fourcc(),
            Codec::Text(TextFormat::Ttml) => "TTML",
            Codec::Text(TextFormat::Xml { .. }) => "XML",
            Codec::Text(TextFormat::Text { .. }) => "TEXT",
        }
    }

    /// The manifest CodecPrivateData, once known.
    pub fn codec_private_data(&self) -> Option<Vec<u8>> {
        match self {
            Codec::Avc(c) => c.config().map(AvcDecoderConfig::codec_private_data),
            Codec::Aac(c) => Some(c.raw.clone()),
            Codec::Vc1(c) => c.config().map(Vc1Config::codec_private_data),
            Codec::Wma(c) => Some(c.codec_private_data()),
            Codec::Text(_) => Some(Vec::new()),
        }
    }

    /// Picture facts (video, once configured).
    pub fn video_format(&self) -> Option<VideoFormat> {
        match self {
            Codec::Avc(c) => {
                let sps = c.sps()?;
                let (display_width, display_height) = sps.display_size();
                Some(VideoFormat {
                    width: sps.width,
                    height: sps.height,
                    display_width,
                    display_height,
                    pixel_aspect: (
                        u32::from(sps.sample_aspect_ratio.0),
                        u32::from(sps.sample_aspect_ratio.1),
                    ),
                })
            }
            Codec::Vc1(c) => {
                let config = c.config()?;
                let (display_width, display_height) = config.display_size();
                Some(VideoFormat {
                    width: config.width(),
                    height: config.height(),
                    display_width,
                    display_height,
                    pixel_aspect: config.sequence_header.aspect_ratio.unwrap_or((1, 1)),
                })
            }
            Codec::Aac(_) | Codec::Wma(_) | Codec::Text(_) => None,
        }
    }

    /// Sound facts (audio).
    pub fn audio_format(&self) -> Option<AudioFormat> {
        match self {
            Codec::Aac(c) => Some(AudioFormat {
                sampling_rate: c.asc.output_sampling_rate(),
                channels: c.asc.channels(),
                bits_per_sample: 16,
                packet_size: 4,
                audio_tag: 255,
            }),
            Codec::Wma(c) => Some(AudioFormat {
                sampling_rate: c.sampling_rate(),
                channels: c.channels(),
                bits_per_sample: c.bits_per_sample(),
                packet_size: c.packet_size(),
                audio_tag: c.audio_tag(),
            }),
            Codec::Avc(_) | Codec::Vc1(_) | Codec::Text(_) => None,
        }
    }

    /// Whether samples pass through [`Codec::prepare_sample`] unchanged and unread:
    /// raw AAC and WMA, H.264 with 4-byte NAL lengths whose configuration is known up
    /// front. Such payloads can be copied file to file without entering memory.
    pub fn passes_through(&self) -> bool {
        match self {
            Codec::Aac(_) | Codec::Wma(_) => true,
            Codec::Avc(c) => c.config.is_some() && c.input == NalFormat::LengthPrefixed(4),
            Codec::Vc1(_) | Codec::Text(_) => false,
        }
    }

    /// Turns a caller's sample into the bytes stored in the fragment: H.264 gets 4-byte
    /// NAL lengths (zero copy when it already has them); a first IDR may configure the
    /// stream. Errors describe the sample's problem; the muxer adds where it happened.
    pub fn prepare_sample(&mut self, data: Bytes, sync: bool) -> Result<Bytes> {
        match self {
            Codec::Avc(c) => c.prepare(data, sync),
            Codec::Vc1(c) => c.prepare(data, sync),
            Codec::Aac(_) | Codec::Wma(_) | Codec::Text(_) => Ok(data),
        }
    }
}
