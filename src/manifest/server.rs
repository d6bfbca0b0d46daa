//! The server manifest `.ism` (SMIL 2.0, format.md §5).

use std::io;

use quick_xml::Writer;

use super::{
    DEFAULT_TIMESCALE, ManifestTrack, MediaAttributes, Presentation, StreamGroup, finish,
    group_tracks, new_writer, xml_error,
};
use crate::error::Result;

/// The SMIL 2.0 Language namespace of the root element.
const SMIL_NAMESPACE: &str = "http://www.w3.org/2001/SMIL20/Language";

/// Writes the server manifest of `p`; `client_manifest_relative_path` (e.g. "NAME.ismc") is
/// written verbatim (XML-escaped) into `head/meta`.
///
/// Runs the same checks as [`super::client_manifest`] and fails the same way, so that the
/// two manifests always describe the same streams. Media elements follow the StreamIndex
/// order of the client manifest.
pub fn server_manifest(p: &Presentation, client_manifest_relative_path: &str) -> Result<String> {
    let groups = group_tracks(p)?;
    let mut w = new_writer()?;
    // Microsoft's .ism files close empty elements with " />" (format.md §5).
    w.config_mut().add_space_before_slash_in_empty_elements = true;
    write_smil(&mut w, p.timescale, client_manifest_relative_path, &groups).map_err(xml_error)?;
    finish(w)
}

/// `<smil>` with `head` and `body`.
fn write_smil(
    w: &mut Writer<Vec<u8>>,
    timescale: u64,
    client_path: &str,
    groups: &[StreamGroup<'_>],
) -> io::Result<()> {
    w.create_element("smil")
        .with_attribute(("xmlns", SMIL_NAMESPACE))
        .write_inner_content(|w| {
            write_head(w, client_path)?;
            write_body(w, timescale, groups)
        })?;
    Ok(())
}

/// `<head>` with the `clientManifestRelativePath` meta.
fn write_head(w: &mut Writer<Vec<u8>>, client_path: &str) -> io::Result<()> {
    w.create_element("head").write_inner_content(|w| {
        w.create_element("meta")
            .with_attribute(("name", "clientManifestRelativePath"))
            .with_attribute(("content", client_path))
            .write_empty()?;
        Ok(())
    })?;
    Ok(())
}

/// `<body><switch>` with one media element per track.
fn write_body(
    w: &mut Writer<Vec<u8>>,
    timescale: u64,
    groups: &[StreamGroup<'_>],
) -> io::Result<()> {
    w.create_element("body").write_inner_content(|w| {
        w.create_element("switch").write_inner_content(|w| {
            for track in groups.iter().flat_map(|g| &g.tracks) {
                write_media(w, timescale, track)?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// `<video>` or `<audio>` with its `param` children.
fn write_media(w: &mut Writer<Vec<u8>>, timescale: u64, t: &ManifestTrack) -> io::Result<()> {
    let bitrate = t.bitrate.to_string();
    let mut media = w
        .create_element(t.kind.smil_element())
        .with_attribute(("src", t.source.as_str()))
        .with_attribute(("systemBitrate", bitrate.as_str()));
    if let Some(lang) = &t.language {
        media = media.with_attribute(("systemLanguage", lang.as_str()));
    }
    media.write_inner_content(|w| {
        write_param(w, "trackID", &t.track_id.to_string())?;
        if !t.name_is_default {
            // Must equal the StreamIndex Name and the name in its Url (format.md §5).
            write_param(w, "trackName", &t.name)?;
        }
        if timescale != DEFAULT_TIMESCALE {
            write_param(w, "timeScale", &timescale.to_string())?;
        }
        if let MediaAttributes::Text(text) = &t.attributes {
            if t.name_is_default {
                write_param(w, "trackName", &t.name)?;
            }
            write_text_params(w, text)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The `param`s that tie a sparse text stream to its parent.
pub(super) fn write_text_params(
    w: &mut Writer<Vec<u8>>,
    text: &super::TextAttributes,
) -> io::Result<()> {
    write_param(w, "parentTrackName", &text.parent)?;
    let output = if text.manifest_output {
        "true"
    } else {
        "false"
    };
    write_param(w, "manifestOutput", output)?;
    write_param(w, "Subtype", &text.subtype)
}

/// `<param name=… value=… valuetype="data" />` (Microsoft's lowercase `valuetype`).
pub(super) fn write_param(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element("param")
        .with_attribute(("name", name))
        .with_attribute(("value", value))
        .with_attribute(("valuetype", "data"))
        .write_empty()?;
    Ok(())
}
