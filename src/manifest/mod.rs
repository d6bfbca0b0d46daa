//! Smooth Streaming manifests: the server manifest `.ism` (SMIL 2.0, read by IIS) and the
//! client manifest `.ismc` (`SmoothStreamingMedia`, read by players), format.md §5–§6.
//!
//! The muxer fills in a [`Presentation`]; [`client_manifest`] and [`server_manifest`] check
//! it (unique bit rates, aligned fragments) and write UTF-8 XML indented by 2 spaces.

mod client;
mod live;
mod server;

pub use client::client_manifest;
pub use live::live_server_manifest;
pub use server::server_manifest;

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};

use crate::error::{Error, Result};

/// The default timescale (10⁷ ticks per second, format.md §9.1).
pub(crate) const DEFAULT_TIMESCALE: u64 = 10_000_000;

/// The kind of a track, which gives its StreamIndex `Type` and its `.ism` element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// A video track (`Type="video"`, `<video>`).
    Video,
    /// An audio track (`Type="audio"`, `<audio>`).
    Audio,
    /// A sparse text track: captions or metadata (`Type="text"`, `<textstream>`).
    Text,
}

impl TrackKind {
    /// The lowercase name used for StreamIndex `Type` and the SMIL element.
    fn as_str(self) -> &'static str {
        match self {
            TrackKind::Video => "video",
            TrackKind::Audio => "audio",
            TrackKind::Text => "text",
        }
    }

    /// The SMIL element of the server manifest.
    fn smil_element(self) -> &'static str {
        match self {
            TrackKind::Video => "video",
            TrackKind::Audio => "audio",
            TrackKind::Text => "textstream",
        }
    }
}

/// Video attributes of a QualityLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoAttributes {
    /// Coded width in pixels (`MaxWidth`).
    pub width: u32,
    /// Coded height in pixels (`MaxHeight`).
    pub height: u32,
    /// Display (aspect-corrected) width (`DisplayWidth` on the StreamIndex).
    pub display_width: u32,
    /// Display (aspect-corrected) height (`DisplayHeight` on the StreamIndex).
    pub display_height: u32,
}

/// Audio attributes of a QualityLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioAttributes {
    /// Sampling rate in Hz (`SamplingRate`).
    pub sampling_rate: u32,
    /// Channel count (`Channels`).
    pub channels: u16,
    /// Bits per sample (`BitsPerSample`; 16 for AAC).
    pub bits_per_sample: u16,
    /// nBlockAlign (`PacketSize`; 4 for AAC).
    pub packet_size: u16,
    /// WAVE format tag (`AudioTag`; 255 for AAC).
    pub audio_tag: u16,
}

/// Attributes of a sparse text track (format.md §5, §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextAttributes {
    /// StreamIndex `Subtype`, e.g. `CAPT`, `SUBT`, `DATA`.
    pub subtype: String,
    /// Name of the parent StreamIndex (`ParentStreamIndex`, `.ism` `parentTrackName`).
    pub parent: String,
    /// Whether the samples are carried inline in the client manifest (`ManifestOutput`).
    pub manifest_output: bool,
    /// With `manifest_output`, each fragment's sample payloads (one `f` element per
    /// fragment, base64 of the payloads back to back); empty otherwise.
    pub inline_fragments: Vec<Vec<u8>>,
}

/// The media-specific attributes of a track; must match its [`TrackKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaAttributes {
    /// For [`TrackKind::Video`].
    Video(VideoAttributes),
    /// For [`TrackKind::Audio`].
    Audio(AudioAttributes),
    /// For [`TrackKind::Text`].
    Text(TextAttributes),
}

/// One fragment of a track, in [`Presentation::timescale`] units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentTime {
    /// Start time (decode time of the first sample, format.md §9.2).
    pub time: u64,
    /// Duration.
    pub duration: u64,
}

/// One track (one bit rate of one stream) as it appears in both manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestTrack {
    /// Video or audio.
    pub kind: TrackKind,
    /// StreamIndex `Name` ("video"/"audio" by default, chosen by the caller). Tracks with the
    /// same kind and name form one StreamIndex.
    pub name: String,
    /// When false, the `.ism` gets a `trackName` param equal to `name`.
    pub name_is_default: bool,
    /// ISO 639-2 language code, e.g. "eng".
    pub language: Option<String>,
    /// Bit rate in bits per second; unique within a StreamIndex and at most `i32::MAX`.
    pub bitrate: u32,
    /// QualityLevel `Index`; None = the position within its StreamIndex.
    pub quality_index: Option<u32>,
    /// QualityLevel `FourCC`, e.g. "H264" or "AACL".
    pub fourcc: String,
    /// Codec configuration, written as uppercase hex in `CodecPrivateData`.
    pub codec_private_data: Vec<u8>,
    /// Video or audio attributes.
    pub attributes: MediaAttributes,
    /// File name written as the `.ism` `src`.
    pub source: String,
    /// track_ID of this track inside `source`.
    pub track_id: u32,
    /// The fragments, in order.
    pub fragments: Vec<FragmentTime>,
}

/// Everything the manifests describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// Ticks per second of all times and durations.
    pub timescale: u64,
    /// The tracks, in the order their StreamIndexes should appear.
    pub tracks: Vec<ManifestTrack>,
    /// Content protection headers, written as the last child of the client manifest.
    pub protection: Vec<ProtectionHeader>,
    /// Whether every `c` lists an `f` element per QualityLevel (the SDK's
    /// FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST); otherwise only sparse streams with
    /// ManifestOutput have them, carrying their samples.
    pub fragment_elements: bool,
}

/// One `<ProtectionHeader>` of the client manifest (format.md §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionHeader {
    /// The DRM system ID in canonical (big-endian) byte order.
    pub system_id: [u8; 16],
    /// The header payload (for PlayReady: the whole PlayReady Object), base64-encoded
    /// in the manifest with no surrounding whitespace.
    pub data: Vec<u8>,
}

/// The tracks of one StreamIndex, in first-appearance order.
struct StreamGroup<'a> {
    kind: TrackKind,
    name: &'a str,
    tracks: Vec<&'a ManifestTrack>,
}

impl StreamGroup<'_> {
    /// The fragment list shared by all levels (checked equal by [`group_tracks`]).
    fn fragments(&self) -> &[FragmentTime] {
        self.tracks
            .first()
            .map_or(&[][..], |t| t.fragments.as_slice())
    }

    /// End of the last fragment minus start of the first.
    fn duration(&self) -> Result<u64> {
        let fragments = self.fragments();
        let (Some(first), Some(last)) = (fragments.first(), fragments.last()) else {
            return Ok(0);
        };
        last.time
            .checked_add(last.duration)
            .and_then(|end| end.checked_sub(first.time))
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "StreamIndex \"{}\": fragment times do not give a duration (first {}, last {}+{})",
                    self.name, first.time, last.time, last.duration
                ))
            })
    }
}

/// Checks the presentation and groups its tracks into StreamIndexes by (kind, name), in
/// first-appearance order. Both manifests go through here so that they always agree.
fn group_tracks(p: &Presentation) -> Result<Vec<StreamGroup<'_>>> {
    if p.timescale == 0 {
        return Err(Error::InvalidArgument("manifest timescale is 0".into()));
    }
    if p.tracks.is_empty() {
        return Err(Error::InvalidArgument("presentation has no tracks".into()));
    }
    let mut groups: Vec<StreamGroup<'_>> = Vec::new();
    for track in &p.tracks {
        check_track(track)?;
        match groups
            .iter_mut()
            .find(|g| g.kind == track.kind && g.name == track.name)
        {
            Some(g) => g.tracks.push(track),
            None => groups.push(StreamGroup {
                kind: track.kind,
                name: &track.name,
                tracks: vec![track],
            }),
        }
    }
    for g in &groups {
        check_group(g)?;
    }
    Ok(groups)
}

/// Checks what a single track must satisfy.
fn check_track(t: &ManifestTrack) -> Result<()> {
    if t.name.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} track {} has an empty name",
            t.kind.as_str(),
            t.track_id
        )));
    }
    let matches = matches!(
        (t.kind, &t.attributes),
        (TrackKind::Video, MediaAttributes::Video(_))
            | (TrackKind::Audio, MediaAttributes::Audio(_))
            | (TrackKind::Text, MediaAttributes::Text(_))
    );
    if !matches {
        return Err(Error::InvalidArgument(format!(
            "StreamIndex \"{}\": {} track with attributes of the other kind",
            t.name,
            t.kind.as_str()
        )));
    }
    // Players parse Bitrate as a signed 32-bit integer (format.md §6.3).
    if i32::try_from(t.bitrate).is_err() || t.bitrate == 0 {
        return Err(Error::InvalidArgument(format!(
            "StreamIndex \"{}\": bit rate {} is outside 1..=2147483647",
            t.name, t.bitrate
        )));
    }
    Ok(())
}

/// Checks unique bit rates and identical fragment lists within one StreamIndex.
fn check_group(g: &StreamGroup<'_>) -> Result<()> {
    for (i, a) in g.tracks.iter().enumerate() {
        if g.tracks.iter().skip(i + 1).any(|b| b.bitrate == a.bitrate) {
            return Err(Error::InvalidArgument(format!(
                "StreamIndex \"{}\": bit rate {} is used by more than one QualityLevel",
                g.name, a.bitrate
            )));
        }
    }
    let Some((reference, others)) = g.tracks.split_first() else {
        return Ok(());
    };
    for other in others {
        let (a, b) = (&reference.fragments, &other.fragments);
        for i in 0..a.len().max(b.len()) {
            let (fa, fb) = (a.get(i), b.get(i));
            if fa == fb {
                continue;
            }
            let show = |bitrate: u32, f: Option<&FragmentTime>| match f {
                Some(f) => format!("bit rate {bitrate}: t={} d={}", f.time, f.duration),
                None => format!("bit rate {bitrate}: missing"),
            };
            return Err(Error::MisalignedFragments {
                stream_index: g.name.to_string(),
                fragment: i,
                detail: format!(
                    "{} vs {}",
                    show(reference.bitrate, fa),
                    show(other.bitrate, fb)
                ),
            });
        }
    }
    Ok(())
}

/// Creates a writer for a manifest: 2-space indentation, after the UTF-8 XML declaration.
fn new_writer() -> Result<Writer<Vec<u8>>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .map_err(xml_error)?;
    Ok(w)
}

/// Turns the finished writer into the document text (ending with a newline).
fn finish(w: Writer<Vec<u8>>) -> Result<String> {
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    // Everything written came from &str, so this cannot fail; still no panic.
    String::from_utf8(bytes).map_err(|e| Error::InvalidState(format!("manifest is not UTF-8: {e}")))
}

/// Writing into a Vec cannot fail, but the writer's API is io-based.
fn xml_error(e: io::Error) -> Error {
    Error::InvalidState(format!("writing manifest XML: {e}"))
}

#[cfg(test)]
mod tests;
