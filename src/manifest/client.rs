//! The client manifest `.ismc` (format.md §6).
//!
//! One private function per element, so that later elements (the PlayReady `Protection`
//! element, the last child of the root) slot in without reshaping the writer.

use std::io;

use quick_xml::Writer;

use super::{
    MediaAttributes, Presentation, ProtectionHeader, StreamGroup, TrackKind, finish, group_tracks,
    new_writer, xml_error,
};
use crate::error::Result;

/// Writes the client manifest (`SmoothStreamingMedia`) of `p`.
///
/// Fails with [`crate::Error::InvalidArgument`] for an empty presentation, a zero timescale,
/// a duplicate bit rate within a StreamIndex, a bit rate over `i32::MAX` or attributes of
/// the wrong kind, and with [`crate::Error::MisalignedFragments`] when the QualityLevels of a
/// StreamIndex do not share their fragment times.
pub fn client_manifest(p: &Presentation) -> Result<String> {
    let groups = group_tracks(p)?;
    let mut duration = 0;
    for g in &groups {
        duration = duration.max(g.duration()?);
    }
    let mut w = new_writer()?;
    write_root(&mut w, p, duration, &groups).map_err(xml_error)?;
    finish(w)
}

/// `<SmoothStreamingMedia>` with its StreamIndex children (format.md §6.1).
fn write_root(
    w: &mut Writer<Vec<u8>>,
    p: &Presentation,
    duration: u64,
    groups: &[StreamGroup<'_>],
) -> io::Result<()> {
    let duration = duration.to_string();
    let timescale = p.timescale.to_string();
    w.create_element("SmoothStreamingMedia")
        .with_attribute(("MajorVersion", "2"))
        .with_attribute(("MinorVersion", "0"))
        .with_attribute(("Duration", duration.as_str()))
        .with_attribute(("TimeScale", timescale.as_str()))
        .write_inner_content(|w| {
            for g in groups {
                write_stream_index(w, g, p.fragment_elements)?;
            }
            if !p.protection.is_empty() {
                write_protection(w, &p.protection)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// `<Protection>` after the StreamIndexes, as IIS, Azure and USP write it (format.md
/// §6.6). The SystemID is a plain uppercase GUID without braces; the base64 text has no
/// surrounding whitespace because dash.js decodes the first text node as it is.
fn write_protection(w: &mut Writer<Vec<u8>>, headers: &[ProtectionHeader]) -> io::Result<()> {
    use base64::Engine as _;
    w.create_element("Protection").write_inner_content(|w| {
        for h in headers {
            let id = uuid::Uuid::from_bytes(h.system_id)
                .hyphenated()
                .to_string()
                .to_uppercase();
            let data = base64::engine::general_purpose::STANDARD.encode(&h.data);
            w.create_element("ProtectionHeader")
                .with_attribute(("SystemID", id.as_str()))
                .write_text_content(quick_xml::events::BytesText::new(&data))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `<StreamIndex>` with its QualityLevels and `c` list (format.md §6.2).
fn write_stream_index(
    w: &mut Writer<Vec<u8>>,
    g: &StreamGroup<'_>,
    fragment_elements: bool,
) -> io::Result<()> {
    let mut attrs: Vec<(&str, String)> = vec![
        ("Type", g.kind.as_str().to_string()),
        ("Name", g.name.to_string()),
    ];
    let text = g.tracks.iter().find_map(|t| match &t.attributes {
        MediaAttributes::Text(text) => Some(text),
        _ => None,
    });
    if let Some(text) = text {
        attrs.push(("Subtype", text.subtype.clone()));
        attrs.push(("ParentStreamIndex", text.parent.clone()));
        let output = if text.manifest_output {
            "TRUE"
        } else {
            "FALSE"
        };
        attrs.push(("ManifestOutput", output.to_string()));
    }
    if g.kind != TrackKind::Video
        && let Some(lang) = g.tracks.iter().find_map(|t| t.language.as_deref())
    {
        attrs.push(("Language", lang.to_string()));
    }
    attrs.push(("Chunks", g.fragments().len().to_string()));
    attrs.push(("QualityLevels", g.tracks.len().to_string()));
    if g.kind == TrackKind::Video {
        let videos = g.tracks.iter().filter_map(|t| match &t.attributes {
            MediaAttributes::Video(v) => Some(v),
            _ => None,
        });
        let max_width = videos.clone().map(|v| v.width).max().unwrap_or(0);
        let max_height = videos.clone().map(|v| v.height).max().unwrap_or(0);
        // The display size belongs to the largest level (first one on a tie).
        let largest = videos.fold(None, |best: Option<&super::VideoAttributes>, v| {
            let area = |v: &super::VideoAttributes| u64::from(v.width) * u64::from(v.height);
            match best {
                Some(b) if area(b) >= area(v) => Some(b),
                _ => Some(v),
            }
        });
        attrs.push(("MaxWidth", max_width.to_string()));
        attrs.push(("MaxHeight", max_height.to_string()));
        if let Some(v) = largest {
            attrs.push(("DisplayWidth", v.display_width.to_string()));
            attrs.push(("DisplayHeight", v.display_height.to_string()));
        }
    }
    attrs.push((
        "Url",
        format!(
            "QualityLevels({{bitrate}})/Fragments({}={{start time}})",
            g.name
        ),
    ));
    w.create_element("StreamIndex")
        .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|w| {
            for (position, track) in g.tracks.iter().enumerate() {
                let index = track
                    .quality_index
                    .map_or_else(|| position.to_string(), |i| i.to_string());
                write_quality_level(w, track, &index)?;
            }
            write_chunks(w, g, fragment_elements)
        })?;
    Ok(())
}

/// `<QualityLevel>` (format.md §6.3).
fn write_quality_level(
    w: &mut Writer<Vec<u8>>,
    t: &super::ManifestTrack,
    index: &str,
) -> io::Result<()> {
    let mut attrs: Vec<(&str, String)> = vec![
        ("Index", index.to_string()),
        ("Bitrate", t.bitrate.to_string()),
        ("FourCC", t.fourcc.clone()),
    ];
    match &t.attributes {
        MediaAttributes::Video(v) => {
            attrs.push(("MaxWidth", v.width.to_string()));
            attrs.push(("MaxHeight", v.height.to_string()));
        }
        MediaAttributes::Audio(a) => {
            attrs.push(("SamplingRate", a.sampling_rate.to_string()));
            attrs.push(("Channels", a.channels.to_string()));
            attrs.push(("BitsPerSample", a.bits_per_sample.to_string()));
            attrs.push(("PacketSize", a.packet_size.to_string()));
            attrs.push(("AudioTag", a.audio_tag.to_string()));
        }
        MediaAttributes::Text(_) => {}
    }
    attrs.push(("CodecPrivateData", hex::encode_upper(&t.codec_private_data)));
    w.create_element("QualityLevel")
        .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())))
        .write_empty()?;
    Ok(())
}

/// The `c` elements (format.md §6.4): `t` on the first and after any gap or overlap, `d`
/// always, so that a reader's `t = previous t + previous d` rule gives every start time.
///
/// A sparse stream with ManifestOutput carries each fragment's samples inline, as the
/// base64 content of an `f` element per QualityLevel (MS-SSTR TrackFragmentElement, whose
/// `i` is the QualityLevel's Index). With `fragment_elements` every `c` lists an `f` for
/// each QualityLevel, empty where there is nothing inline.
fn write_chunks(
    w: &mut Writer<Vec<u8>>,
    g: &StreamGroup<'_>,
    fragment_elements: bool,
) -> io::Result<()> {
    use base64::Engine as _;
    let mut expected: Option<u64> = None;
    for (i, f) in g.fragments().iter().enumerate() {
        let duration = f.duration.to_string();
        let mut c = w.create_element("c");
        if expected != Some(f.time) {
            c = c.with_attribute(("t", f.time.to_string().as_str()));
        }
        c = c.with_attribute(("d", duration.as_str()));
        let elements: Vec<(String, Option<&Vec<u8>>)> = g
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(position, t)| {
                let inline = match &t.attributes {
                    MediaAttributes::Text(text) if text.manifest_output => {
                        text.inline_fragments.get(i)
                    }
                    _ => None,
                };
                let index = t
                    .quality_index
                    .map_or_else(|| position.to_string(), |q| q.to_string());
                (fragment_elements || inline.is_some()).then_some((index, inline))
            })
            .collect();
        if elements.is_empty() {
            c.write_empty()?;
        } else {
            c.write_inner_content(|w| {
                for (index, data) in &elements {
                    let f = w.create_element("f").with_attribute(("i", index.as_str()));
                    match data {
                        Some(data) => {
                            let text = base64::engine::general_purpose::STANDARD.encode(data);
                            f.write_text_content(quick_xml::events::BytesText::new(&text))?;
                        }
                        None => {
                            f.write_empty()?;
                        }
                    }
                }
                Ok(())
            })?;
        }
        expected = f.time.checked_add(f.duration);
    }
    Ok(())
}
