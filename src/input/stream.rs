//! What opening an input tells about each of its streams.

use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::mux::{StreamConfig, StreamId};

/// What a stream of an input is.
#[derive(Debug, Clone)]
pub enum StreamRole {
    /// Video or audio with its codec configuration (timescale and bit rate not set).
    Media(Box<StreamConfig>),
    /// TTML captions: a sparse text stream, which needs a video stream as its parent.
    Captions,
}

/// Bytes and media duration, the two halves of a measured bit rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes, as the input's nominal bit rate counts them (a raw stream's file bytes,
    /// headers and start codes included; an MP4 track's sample sizes).
    pub bytes: u64,
    /// Media duration in the stream's timescale.
    pub duration: u64,
}

impl Totals {
    /// Bits per second, rounded; at least 1. `None` for a zero duration.
    pub fn bitrate(self, timescale: u32) -> Option<u32> {
        if self.duration == 0 {
            return None;
        }
        let bits = u128::from(self.bytes) * 8 * u128::from(timescale);
        let duration = u128::from(self.duration);
        let rate = (bits + duration / 2) / duration;
        Some(u32::try_from(rate.max(1)).unwrap_or(u32::MAX))
    }
}

/// What a stream's bit rate is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitrateBasis {
    /// Known once the input is open: an MP4's sample tables, a pre-scanned VC-1 or WMA
    /// file, a caption file.
    Known(Totals),
    /// Counted as the samples are read: raw H.264 and ADTS are read once, front to back
    /// (they may be pipes), so their bit rate is known when they end.
    Counted,
}

/// One stream of an opened input.
#[derive(Debug, Clone)]
pub struct InputStream {
    /// How the stream is named in messages: the file, plus the track for MP4.
    pub label: String,
    /// Video, audio or text.
    pub kind: MediaKind,
    /// The codec configuration, or captions.
    pub role: StreamRole,
    /// Ticks per second of the sample times.
    pub timescale: u32,
    /// ISO 639-2 language, when the input says (MP4 `mdhd`, TTML `xml:lang`).
    pub language: Option<String>,
    /// What the bit rate is measured from.
    pub bitrate_basis: BitrateBasis,
    /// Payload bytes the stream will deliver, as far as known up front (a raw stream's
    /// file size, 0 for a pipe): for progress bars.
    pub size_hint: u64,
}

impl InputStream {
    /// The stream configuration to add to a muxer: the codec configuration with the
    /// timescale and language set. Captions need `parent`, the video stream they belong
    /// to. The bit rate is left 0 (measured) and the StreamIndex name unset.
    pub fn config(&self, parent: Option<StreamId>) -> Result<StreamConfig> {
        let config = match &self.role {
            StreamRole::Media(config) => (**config).clone(),
            StreamRole::Captions => {
                let parent = parent.ok_or_else(|| {
                    Error::input(self.label.clone(), "captions need a video stream")
                })?;
                StreamConfig::ttml(parent)
                    .map_err(|e| e.in_input(self.label.clone()))?
                    .track_name("captions")
            }
        };
        let config = match &self.language {
            Some(language) => config.language(language.clone()),
            None => config,
        };
        Ok(config.timescale(self.timescale))
    }

    /// Whether the stream is captions (sparse: each sample its own fragment).
    pub fn is_captions(&self) -> bool {
        matches!(self.role, StreamRole::Captions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rates_round_and_refuse_a_zero_duration() {
        let t = |bytes, duration| Totals { bytes, duration };
        assert_eq!(t(1000, 90_000).bitrate(90_000), Some(8000));
        assert_eq!(t(1, 3).bitrate(16), Some(43));
        assert_eq!(t(0, 10).bitrate(1000), Some(1));
        assert_eq!(t(10, 0).bitrate(1000), None);
        assert_eq!(t(u64::MAX, 1).bitrate(u32::MAX), Some(u32::MAX));
    }
}
