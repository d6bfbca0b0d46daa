//! The client manifest of a publishing point (format.md §6.8), built from the streams'
//! Live Server Manifests and the fragments received, by the crate's own `.ismc` writer.
//!
//! - While the event runs: `IsLive="TRUE"` (the exact case dash.js compares),
//!   `Duration="0"` (unknown), `DVRWindowLength` = the window in TimeScale units (0: the
//!   whole event), and the look-ahead count under both names seen in the wild
//!   (`LookAheadFragmentCount` and `LookaheadCount`; players ignore the other), with
//!   `CanSeek`/`CanPause`.
//! - The `c` list is the DVR window: the fragments every listed QualityLevel of the
//!   StreamIndex has (a client may switch to any of them), `t` on the first and after any
//!   gap, `d` on each (all are complete). A level with no fragment yet is left out until
//!   it has one.
//! - Every fragment received is listed, up to the live edge. GStreamer's `mssdemux`
//!   re-reads the manifest while it plays and looks its position up in the new list; a
//!   position the list does not reach sends it back to the list's first fragment, so a
//!   list held behind the edge (IIS-style, to give every listed fragment a full `tfrf`)
//!   replays the event from the start to a viewer that has followed the `tfrf`s ahead.
//! - Once every stream sent its end of stream the presentation is over: the live
//!   attributes go and `Duration` is the real length, so every player stops at the last
//!   fragment instead of polling for more (§6.8 allows keeping `IsLive`; dropping it is
//!   what makes GStreamer and dash.js treat the window as a finished presentation).

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

use super::http::HttpError;
use super::live::{Point, manifest_bitrate};
use crate::manifest::{
    FragmentTime, ManifestTrack, MediaAttributes, Presentation, client_manifest,
};

/// The live client manifest of `point`.
pub(crate) fn live_manifest(
    point: &Point,
    lookahead: u8,
    dvr_window_ticks: u64,
) -> Result<String, HttpError> {
    let tracks = listed_tracks(point);
    if tracks.is_empty() {
        return Err(HttpError::not_found(format!(
            "/{}: no fragment received yet",
            point.segments.join("/")
        )));
    }
    let presentation = Presentation {
        timescale: point.timescale,
        tracks,
        protection: point.protection.clone(),
        fragment_elements: false,
    };
    let xml = client_manifest(&presentation)
        .map_err(|e| HttpError::internal(format!("live manifest: {e}")))?;
    if point.ended {
        return Ok(xml);
    }
    let lookahead = lookahead.to_string();
    let window = dvr_window_ticks.to_string();
    set_root_attributes(
        &xml,
        &[
            ("Duration", "0"),
            ("IsLive", "TRUE"),
            ("LookAheadFragmentCount", &lookahead),
            ("LookaheadCount", &lookahead),
            ("DVRWindowLength", &window),
            ("CanSeek", "TRUE"),
            ("CanPause", "TRUE"),
        ],
    )
}

/// Every track with its `c` list: per StreamIndex, the fragments common to its levels.
fn listed_tracks(point: &Point) -> Vec<ManifestTrack> {
    let mut out: Vec<ManifestTrack> = Vec::new();
    let mut groups: Vec<(crate::manifest::TrackKind, &str)> = Vec::new();
    for t in &point.tracks {
        let key = (t.manifest.kind, t.manifest.name.as_str());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (kind, name) in groups {
        let levels: Vec<&super::live::Track> = point
            .tracks
            .iter()
            .filter(|t| {
                t.manifest.kind == kind && t.manifest.name == name && !t.fragments.is_empty()
            })
            .collect();
        let Some((first, others)) = levels.split_first() else {
            continue;
        };
        let common: Vec<FragmentTime> = first
            .fragments
            .iter()
            .filter(|f| {
                others.iter().all(|o| {
                    o.fragments
                        .binary_search_by_key(&f.time, |g| g.time)
                        .is_ok_and(|i| o.fragments.get(i).is_some_and(|g| g.duration == f.duration))
                })
            })
            .map(|f| FragmentTime {
                time: f.time,
                duration: f.duration,
            })
            .collect();
        if common.is_empty() {
            continue;
        }
        for level in levels {
            let mut track = level.manifest.clone();
            track.bitrate = manifest_bitrate(&track);
            if let MediaAttributes::Text(text) = &mut track.attributes
                && text.manifest_output
            {
                text.inline_fragments = common
                    .iter()
                    .filter_map(|c| {
                        let i = level
                            .fragments
                            .binary_search_by_key(&c.time, |g| g.time)
                            .ok()?;
                        let f = level.fragments.get(i)?;
                        f.data
                            .get(f.moof_len.saturating_add(8)..)
                            .map(<[u8]>::to_vec)
                    })
                    .collect();
            }
            track.fragments = common.clone();
            out.push(track);
        }
    }
    out
}

/// `xml` with the root element's attributes `set` (replaced where present, appended
/// otherwise), everything else written through unchanged.
fn set_root_attributes(xml: &str, set: &[(&str, &str)]) -> Result<String, HttpError> {
    let fail = |e: String| HttpError::internal(format!("live manifest: {e}"));
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 256));
    let mut done = false;
    loop {
        let event = reader.read_event().map_err(|e| fail(e.to_string()))?;
        let event = match event {
            Event::Start(e) if !done => {
                done = true;
                let mut root = BytesStart::new(e.name().as_ref().to_string());
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| fail(e.to_string()))?;
                    let key = attr.key.as_ref();
                    if !set.iter().any(|(k, _)| *k == key) {
                        root.push_attribute(attr);
                    }
                }
                for &(k, v) in set {
                    root.push_attribute((k, v));
                }
                Event::Start(root)
            }
            Event::Eof => break,
            other => other,
        };
        writer.write_event(event).map_err(|e| fail(e.to_string()))?;
    }
    String::from_utf8(writer.into_inner()).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_attributes_are_replaced_and_added_in_place() {
        let xml = "<?xml version=\"1.0\"?>\n<R A=\"1\" Duration=\"5\">\n  <c t=\"0\"/>\n</R>\n";
        let out = set_root_attributes(xml, &[("Duration", "0"), ("IsLive", "TRUE")]).unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\"?>\n<R A=\"1\" Duration=\"0\" IsLive=\"TRUE\">\n  <c t=\"0\"/>\n</R>\n"
        );
    }
}
