//! A stream as the manifests describe it: codec configuration → FourCC, CodecPrivateData
//! and attributes; the streams → the presentation the `.ism` and `.ismc` writers take.

use super::config::StreamConfig;
use super::{Muxer, StreamId};
use crate::codec::MediaKind;
use crate::drm::PLAYREADY_SYSTEM_ID;
use crate::error::{Error, Result};
use crate::manifest::{
    AudioAttributes, ManifestTrack, MediaAttributes, Presentation, ProtectionHeader,
    TextAttributes, TrackKind, VideoAttributes,
};

impl Muxer {
    /// How one stream appears in the manifests, its fragments so far included. Fails while
    /// its codec configuration is not known yet (in-band parameter sets before the first
    /// keyframe).
    pub fn manifest_track(&self, stream: StreamId) -> Result<ManifestTrack> {
        let state = self.stream(stream)?;
        let codec = &state.config.codec;
        let bitrate = self.bitrate(state.id)?;
        let (kind, attributes) = match codec.kind() {
            MediaKind::Video => {
                let v = codec.video_format().ok_or_else(|| {
                    Error::InvalidState(format!("stream {}: no SPS known", state.id.0))
                })?;
                (
                    TrackKind::Video,
                    MediaAttributes::Video(VideoAttributes {
                        width: v.width,
                        height: v.height,
                        display_width: v.display_width,
                        display_height: v.display_height,
                    }),
                )
            }
            MediaKind::Text => {
                let parent = state
                    .config
                    .parent
                    .and_then(|p| self.streams.get(p.0))
                    .map(|p| p.config.name().to_string())
                    .unwrap_or_default();
                (
                    TrackKind::Text,
                    MediaAttributes::Text(TextAttributes {
                        subtype: state.config.subtype_name().to_string(),
                        parent,
                        manifest_output: state.config.manifest_output,
                        inline_fragments: state.inline_fragments.clone(),
                    }),
                )
            }
            MediaKind::Audio => {
                let a = codec.audio_format().ok_or_else(|| {
                    Error::InvalidState(format!("stream {}: no audio format", state.id.0))
                })?;
                (
                    TrackKind::Audio,
                    MediaAttributes::Audio(AudioAttributes {
                        sampling_rate: a.sampling_rate,
                        channels: a.channels,
                        bits_per_sample: a.bits_per_sample,
                        packet_size: a.packet_size,
                        audio_tag: a.audio_tag,
                    }),
                )
            }
        };
        Ok(ManifestTrack {
            kind,
            name: state.config.name().to_string(),
            name_is_default: state.config.track_name.is_none(),
            language: state.config.language.clone(),
            bitrate,
            quality_index: state.config.quality_index,
            fourcc: codec.fourcc().to_string(),
            codec_private_data: codec.codec_private_data().unwrap_or_default(),
            attributes,
            source: state
                .config
                .source_file_name
                .clone()
                .unwrap_or_else(|| default_source_file_name(&state.config, bitrate)),
            track_id: state.id.track_id(),
            fragments: state.fragments.kept().to_vec(),
        })
    }
    /// The content protection headers of the client manifest (none when clear).
    pub fn protection_headers(&self) -> Vec<ProtectionHeader> {
        self.options
            .protection
            .iter()
            .map(|p| ProtectionHeader {
                system_id: PLAYREADY_SYSTEM_ID,
                data: p.playready_header().to_pro(),
            })
            .collect()
    }
    /// The presentation as the manifest writers see it: every stream with at least one
    /// fragment.
    pub(super) fn presentation(&self) -> Result<Presentation> {
        self.require_index("a manifest")?;
        let mut tracks = Vec::new();
        for state in &self.streams {
            if !state.fragments.is_empty() {
                tracks.push(self.manifest_track(state.id)?);
            }
        }
        Ok(Presentation {
            timescale: u64::from(self.options.timescale),
            tracks,
            protection: self.protection_headers(),
            fragment_elements: self.options.fragment_elements,
        })
    }
    /// The client manifest (`.ismc`). Fails if the bit rates of one StreamIndex do not
    /// share fragment boundaries, naming the first fragment that differs.
    pub fn client_manifest(&self) -> Result<String> {
        crate::manifest::client_manifest(&self.presentation()?)
    }
    /// The server manifest (`.ism`), pointing at the client manifest by the relative path
    /// given.
    pub fn server_manifest(&self, client_manifest_relative_path: &str) -> Result<String> {
        crate::manifest::server_manifest(&self.presentation()?, client_manifest_relative_path)
    }
}

/// `NAME_BITRATE.ismv` for video, `.isma` for audio, when the caller names no file.
pub(crate) fn default_source_file_name(config: &StreamConfig, bitrate: u32) -> String {
    let ext = match config.codec.kind() {
        MediaKind::Video => "ismv",
        MediaKind::Audio => "isma",
        MediaKind::Text => "ismt",
    };
    format!("{}_{bitrate}.{ext}", config.name())
}
