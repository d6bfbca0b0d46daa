//! Reader of the SMIL 2.0 documents a Smooth origin is handed: the on-demand server
//! manifest `.ism` (format.md §5) and the Live Server Manifest a live push starts with
//! (format.md §4, live-ingest.md §2.3). Both list media elements (`video`, `audio`,
//! `textstream`) with a `systemBitrate` and `param name value` children; the `.ism` adds
//! `src` and a `head/meta` naming the client manifest, the live one adds the codec
//! parameters from which a client manifest is built.
//!
//! Lenient where real files differ (attribute or `param` for the bit rate and language,
//! `valuetype`/`valueType`, any parameter-name casing, UTF-8 or UTF-16 with a byte-order
//! mark), strict where a wrong answer would be served (numbers must parse).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::manifest::{
    AudioAttributes, ManifestTrack, MediaAttributes, TextAttributes, TrackKind, VideoAttributes,
};

/// Most media elements read from one document (a real one has a handful).
const MAX_TRACKS: usize = 256;

/// A parsed server manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmilDocument {
    /// `head/meta name="clientManifestRelativePath"`, if given.
    pub client_manifest: Option<String>,
    /// The media elements, in document order.
    pub tracks: Vec<SmilTrack>,
}

/// One `video`, `audio` or `textstream` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmilTrack {
    /// The element: video, audio or text.
    pub kind: TrackKind,
    /// `src` (on demand: the media file, relative to the manifest).
    pub src: Option<String>,
    /// `systemBitrate` (attribute, else `param`); 0 when absent.
    pub bitrate: u32,
    /// `systemLanguage` (attribute, else `param`).
    pub language: Option<String>,
    /// The `param` children, in order.
    pub params: Vec<(String, String)>,
}

impl SmilTrack {
    /// The value of parameter `name`, matched case-insensitively (writers differ:
    /// `timeScale`, `timescale`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The StreamIndex name: `trackName`, else the default of the kind (format.md §5,
    /// §6.2).
    pub fn name(&self) -> &str {
        self.param("trackName")
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| default_name(self.kind))
    }

    /// `trackID`, if present and a number.
    pub fn track_id(&self) -> Option<u32> {
        self.param("trackID").and_then(|v| v.trim().parse().ok())
    }

    /// The track as a client manifest describes it, from a Live Server Manifest's
    /// parameters (format.md §4: FourCC, CodecPrivateData, sizes, audio fields; sparse
    /// tracks' Subtype, parentTrackName and manifestOutput). Fails, saying which, on a
    /// missing or malformed parameter.
    pub fn to_manifest_track(&self) -> Result<ManifestTrack, String> {
        let name = self.name().to_string();
        let what = |p: &str| format!("track \"{name}\" ({} b/s): {p}", self.bitrate);
        let track_id = self
            .track_id()
            .ok_or_else(|| what("no numeric trackID param"))?;
        let number = |key: &str, default: Option<u32>| -> Result<u32, String> {
            match self.param(key) {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| what(&format!("{key}={v:?} is not a number"))),
                None => default.ok_or_else(|| what(&format!("no {key} param"))),
            }
        };
        let small = |key: &str, default: Option<u32>| -> Result<u16, String> {
            u16::try_from(number(key, default)?).map_err(|_| what(&format!("{key} is over 65535")))
        };
        let codec_private_data = hex::decode(self.param("CodecPrivateData").unwrap_or("").trim())
            .map_err(|e| what(&format!("CodecPrivateData is not hex: {e}")))?;
        let fourcc = match (self.kind, self.param("FourCC")) {
            (_, Some(f)) if !f.trim().is_empty() => f.trim().to_string(),
            (TrackKind::Text, _) => "TTML".to_string(),
            _ => return Err(what("no FourCC param")),
        };
        let attributes = match self.kind {
            TrackKind::Video => {
                let width = number("MaxWidth", None)?;
                let height = number("MaxHeight", None)?;
                MediaAttributes::Video(VideoAttributes {
                    width,
                    height,
                    display_width: number("DisplayWidth", Some(width))?,
                    display_height: number("DisplayHeight", Some(height))?,
                })
            }
            TrackKind::Audio => MediaAttributes::Audio(AudioAttributes {
                sampling_rate: number("SamplingRate", None)?,
                channels: small("Channels", None)?,
                bits_per_sample: small("BitsPerSample", Some(16))?,
                packet_size: small("PacketSize", Some(4))?,
                audio_tag: small("AudioTag", Some(255))?,
            }),
            TrackKind::Text => MediaAttributes::Text(TextAttributes {
                subtype: self.param("Subtype").unwrap_or("CAPT").to_string(),
                parent: self.param("parentTrackName").unwrap_or("video").to_string(),
                manifest_output: self
                    .param("manifestOutput")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                inline_fragments: Vec::new(),
            }),
        };
        Ok(ManifestTrack {
            kind: self.kind,
            name_is_default: name == default_name(self.kind),
            name,
            // "und" is what writers put when they know nothing: no Language attribute.
            language: self
                .language
                .clone()
                .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("und")),
            bitrate: self.bitrate,
            quality_index: None,
            fourcc,
            codec_private_data,
            attributes,
            source: String::new(),
            track_id,
            fragments: Vec::new(),
        })
    }
}

/// The StreamIndex name of a track without `trackName`.
pub fn default_name(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Video => "video",
        TrackKind::Audio => "audio",
        TrackKind::Text => "text",
    }
}

/// Text of a manifest file: UTF-8 (with or without a byte-order mark) or UTF-16 with
/// one, as IIS tools sometimes write.
pub fn decode_text(data: &[u8]) -> Result<String, String> {
    let utf16 = |big: bool, body: &[u8]| {
        let units = body.chunks_exact(2).map(|p| match p {
            [a, b] if big => u16::from_be_bytes([*a, *b]),
            [a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0,
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| format!("not UTF-16: {e}"))
    };
    match data {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(false, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(true, rest),
        _ => utf8(data),
    }
}

fn utf8(data: &[u8]) -> Result<String, String> {
    String::from_utf8(data.to_vec()).map_err(|e| format!("not UTF-8: {e}"))
}

/// Parses a server manifest (on-demand `.ism` or Live Server Manifest).
pub fn parse(text: &str) -> Result<SmilDocument, String> {
    let mut reader = Reader::from_str(text);
    let mut doc = SmilDocument::default();
    // The media element being read, and whether the root was `smil`.
    let mut open: Option<SmilTrack> = None;
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                if e.local_name().as_ref() != "smil" {
                    return Err(format!(
                        "the root element is <{}>, not <smil>",
                        e.name().as_ref()
                    ));
                }
                seen_root = true;
            }
            Event::Start(e) => start(&e, &mut doc, &mut open, false)?,
            Event::Empty(e) => start(&e, &mut doc, &mut open, true)?,
            Event::End(e) => {
                if media_kind(e.local_name().as_ref()).is_some()
                    && let Some(track) = open.take()
                {
                    push(&mut doc, track)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err("no <smil> element".into());
    }
    if let Some(track) = open.take() {
        push(&mut doc, track)?;
    }
    Ok(doc)
}

fn push(doc: &mut SmilDocument, track: SmilTrack) -> Result<(), String> {
    if doc.tracks.len() >= MAX_TRACKS {
        return Err(format!("more than {MAX_TRACKS} media elements"));
    }
    doc.tracks.push(track);
    Ok(())
}

/// One start or empty tag below the root.
fn start(
    e: &BytesStart<'_>,
    doc: &mut SmilDocument,
    open: &mut Option<SmilTrack>,
    empty: bool,
) -> Result<(), String> {
    let local = e.local_name();
    let name = local.as_ref();
    if let Some(kind) = media_kind(name) {
        if let Some(previous) = open.take() {
            push(doc, previous)?;
        }
        let src = attribute(e, "src")?;
        let bitrate = attribute(e, "systemBitrate")?;
        let track = SmilTrack {
            kind,
            src,
            bitrate: parse_bitrate(bitrate.as_deref())?,
            language: attribute(e, "systemLanguage")?,
            params: Vec::new(),
        };
        if empty {
            push(doc, track)?;
        } else {
            *open = Some(track);
        }
    } else if name == "param" {
        let (Some(key), Some(value)) = (attribute(e, "name")?, attribute(e, "value")?) else {
            return Ok(());
        };
        if let Some(track) = open.as_mut() {
            if track.bitrate == 0 && key.eq_ignore_ascii_case("systemBitrate") {
                track.bitrate = parse_bitrate(Some(&value))?;
            }
            if track.language.is_none() && key.eq_ignore_ascii_case("systemLanguage") {
                track.language = Some(value.clone());
            }
            if track.params.len() < 64 {
                track.params.push((key, value));
            }
        }
    } else if name == "meta"
        && attribute(e, "name")?.as_deref() == Some("clientManifestRelativePath")
    {
        doc.client_manifest = attribute(e, "content")?;
    }
    Ok(())
}

fn media_kind(element: &str) -> Option<TrackKind> {
    match element {
        "video" => Some(TrackKind::Video),
        "audio" => Some(TrackKind::Audio),
        "textstream" | "text" => Some(TrackKind::Text),
        _ => None,
    }
}

fn parse_bitrate(value: Option<&str>) -> Result<u32, String> {
    match value {
        None => Ok(0),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("systemBitrate {v:?} is not a number")),
    }
}

/// The unescaped value of attribute `key` (matched by local name).
fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("attribute error: {err}"))?;
        if attr.key.local_name().as_ref() == key {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("attribute {key}: {err}"))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head><meta name="clientManifestRelativePath" content="s.ismc" /></head>
  <body><switch>
    <video src="s_125000.ismv" systemBitrate="125000"><param name="trackID" value="1" valuetype="data" /></video>
    <audio src="s.isma" systemBitrate="96000" systemLanguage="eng">
      <param name="trackID" value="2" valueType="data" />
      <param name="trackName" value="audio_eng" valuetype="data" />
    </audio>
    <textstream src="s_cap.ismt" systemBitrate="1000"><param name="trackName" value="cap"/></textstream>
  </switch></body>
</smil>"#;

    #[test]
    fn on_demand_server_manifests_map_names_and_bit_rates_to_files() {
        let doc = parse(ISM).unwrap();
        assert_eq!(doc.client_manifest.as_deref(), Some("s.ismc"));
        let names: Vec<_> = doc.tracks.iter().map(|t| (t.name(), t.bitrate)).collect();
        assert_eq!(
            names,
            [("video", 125_000), ("audio_eng", 96_000), ("cap", 1000)]
        );
        assert_eq!(doc.tracks[1].track_id(), Some(2));
        assert_eq!(doc.tracks[1].language.as_deref(), Some("eng"));
        assert_eq!(doc.tracks[2].src.as_deref(), Some("s_cap.ismt"));
    }

    #[test]
    fn live_server_manifests_give_client_manifest_tracks() {
        let lsm = r#"<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>
          <audio systemBitrate="96000">
            <param name="systemBitrate" value="96000"/><param name="trackID" value="2"/>
            <param name="systemLanguage" value="und"/><param name="trackName" value="audio"/>
            <param name="FourCC" value="AACL"/><param name="CodecPrivateData" value="1190"/>
            <param name="AudioTag" value="255"/><param name="Channels" value="2"/>
            <param name="SamplingRate" value="48000"/>
          </audio></switch></body></smil>"#;
        let doc = parse(lsm).unwrap();
        let t = doc.tracks[0].to_manifest_track().unwrap();
        assert_eq!(
            (t.track_id, t.bitrate, t.fourcc.as_str()),
            (2, 96_000, "AACL")
        );
        assert_eq!(t.codec_private_data, [0x11, 0x90]);
        assert!(t.name_is_default && t.language.is_none());
        let mut broken = doc.tracks[0].clone();
        broken.params.retain(|(n, _)| n != "SamplingRate");
        assert!(
            broken
                .to_manifest_track()
                .unwrap_err()
                .contains("SamplingRate")
        );
    }

    #[test]
    fn other_documents_and_encodings() {
        assert!(parse("<html/>").is_err());
        assert!(parse("<smil><video systemBitrate=\"x\"/></smil>").is_err());
        assert!(parse("<smil><video").is_err());
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<smil/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&utf16).unwrap(), "<smil/>");
        assert_eq!(decode_text(b"\xEF\xBB\xBF<smil/>").unwrap(), "<smil/>");
    }
}
