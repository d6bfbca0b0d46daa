//! Codec configuration → the sample entry (`stsd` child) of a stream's track.

use super::{Muxer, StreamId};
use crate::codec::{Codec, TextFormat};
use crate::error::{Error, Result};
use crate::isobmff::boxes::SampleEntry;

impl Muxer {
    pub(super) fn sample_entry(&self, id: StreamId) -> Result<SampleEntry> {
        let state = self.stream(id)?;
        let not_ready = || {
            Error::InvalidState(format!(
                "stream {}: codec configuration not known yet (no parameter sets or sequence header seen before the first keyframe)",
                id.0
            ))
        };
        match &state.config.codec {
            Codec::Avc(avc) => {
                let config = avc.config().ok_or_else(not_ready)?;
                let format = state.config.codec.video_format().ok_or_else(not_ready)?;
                let (h, v) = format.pixel_aspect;
                Ok(SampleEntry::Avc {
                    width: u16::try_from(format.width).unwrap_or(u16::MAX),
                    height: u16::try_from(format.height).unwrap_or(u16::MAX),
                    avcc: config.to_avcc(),
                    pixel_aspect: (h != v && h != 0 && v != 0).then_some((h, v)),
                })
            }
            Codec::Vc1(vc1) => {
                let config = vc1.config().ok_or_else(not_ready)?;
                Ok(SampleEntry::Vc1 {
                    width: u16::try_from(config.width()).unwrap_or(u16::MAX),
                    height: u16::try_from(config.height()).unwrap_or(u16::MAX),
                    dvc1: config.dvc1(),
                })
            }
            Codec::Wma(wma) => Ok(SampleEntry::Wma {
                channels: wma.channels(),
                sample_rate: wma.sampling_rate(),
                wave_format: wma.wave_format().to_bytes(),
            }),
            Codec::Text(format) => Ok(match format {
                TextFormat::Ttml => SampleEntry::Ttml {
                    namespace: "http://www.w3.org/ns/ttml".into(),
                },
                TextFormat::Xml {
                    namespace,
                    schema_location,
                    content_encoding,
                } => SampleEntry::XmlMetadata {
                    content_encoding: content_encoding.clone(),
                    namespace: namespace.clone(),
                    schema_location: schema_location.clone(),
                },
                TextFormat::Text {
                    mime_format,
                    content_encoding,
                } => SampleEntry::TextMetadata {
                    content_encoding: content_encoding.clone(),
                    mime_format: mime_format.clone(),
                },
            }),
            Codec::Aac(aac) => {
                let bitrate = self.bitrate(id)?;
                Ok(SampleEntry::Aac {
                    channels: aac.asc().channels(),
                    sample_rate: aac.asc().output_sampling_rate(),
                    asc: aac.asc_bytes().to_vec(),
                    avg_bitrate: bitrate,
                    max_bitrate: bitrate,
                    buffer_size: 0,
                })
            }
        }
    }
}
