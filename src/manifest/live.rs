//! The Live Server Manifest: the SMIL document a live push carries in its
//! LiveServerManifestBox (format.md §4, live-ingest.md §2.3).
//!
//! Unlike the on-demand `.ism`, it has no `src` and no client manifest path, and each media
//! element carries the codec parameters, because the publishing point builds its client
//! manifest from this box alone.

use std::io;

use quick_xml::Writer;

use super::server::{write_param as param, write_text_params};
use super::{
    DEFAULT_TIMESCALE, ManifestTrack, MediaAttributes, Presentation, finish, new_writer, xml_error,
};
use crate::error::Result;

/// The SMIL 2.0 Language namespace of the root element.
const SMIL_NAMESPACE: &str = "http://www.w3.org/2001/SMIL20/Language";

/// Writes the live server manifest listing exactly the tracks of `p`, in their order:
/// the caller passes only the tracks of one POST.
pub fn live_server_manifest(p: &Presentation) -> Result<String> {
    let mut w = new_writer()?;
    write_smil(&mut w, p).map_err(xml_error)?;
    finish(w)
}

/// `<smil>` with a creator `head` and one media element per track.
fn write_smil(w: &mut Writer<Vec<u8>>, p: &Presentation) -> io::Result<()> {
    w.create_element("smil")
        .with_attribute(("xmlns", SMIL_NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                // Servers log the creator; it names the library so ingest logs can be traced.
                w.create_element("meta")
                    .with_attribute(("name", "creator"))
                    .with_attribute(("content", concat!("ssf/", env!("CARGO_PKG_VERSION"))))
                    .write_empty()?;
                Ok(())
            })?;
            w.create_element("body").write_inner_content(|w| {
                w.create_element("switch").write_inner_content(|w| {
                    for track in &p.tracks {
                        write_track(w, p.timescale, track)?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

/// One `<video>`, `<audio>` or `<textstream>` with the parameters FFmpeg's ismv muxer
/// writes (the interoperable set), plus `trackName` always.
fn write_track(w: &mut Writer<Vec<u8>>, timescale: u64, t: &ManifestTrack) -> io::Result<()> {
    let bitrate = t.bitrate.to_string();
    w.create_element(t.kind.smil_element())
        .with_attribute(("systemBitrate", bitrate.as_str()))
        .write_inner_content(|w| {
            param(w, "systemBitrate", &bitrate)?;
            param(w, "trackID", &t.track_id.to_string())?;
            param(w, "systemLanguage", t.language.as_deref().unwrap_or("und"))?;
            param(w, "trackName", &t.name)?;
            if timescale != DEFAULT_TIMESCALE {
                param(w, "timescale", &timescale.to_string())?;
            }
            let cpd = hex::encode_upper(&t.codec_private_data);
            match &t.attributes {
                MediaAttributes::Video(v) => {
                    param(w, "CodecPrivateData", &cpd)?;
                    param(w, "FourCC", &t.fourcc)?;
                    param(w, "MaxWidth", &v.width.to_string())?;
                    param(w, "MaxHeight", &v.height.to_string())?;
                    param(w, "DisplayWidth", &v.display_width.to_string())?;
                    param(w, "DisplayHeight", &v.display_height.to_string())?;
                }
                MediaAttributes::Audio(a) => {
                    param(w, "FourCC", &t.fourcc)?;
                    param(w, "CodecPrivateData", &cpd)?;
                    param(w, "AudioTag", &a.audio_tag.to_string())?;
                    param(w, "Channels", &a.channels.to_string())?;
                    param(w, "SamplingRate", &a.sampling_rate.to_string())?;
                    param(w, "BitsPerSample", &a.bits_per_sample.to_string())?;
                    param(w, "PacketSize", &a.packet_size.to_string())?;
                }
                MediaAttributes::Text(text) => write_text_params(w, text)?,
            }
            Ok(())
        })?;
    Ok(())
}
