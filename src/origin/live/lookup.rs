//! What GET requests read of a publishing point: a track by StreamIndex name and bit
//! rate, and a fragment by time with the look-ahead that follows it.

use super::{HttpError, Point, Stored, Track, manifest_bitrate};
use crate::manifest::TrackKind;
use crate::origin::index::find_time;

/// A fragment to serve.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    /// The fragment as received.
    pub stored: Stored,
    /// (time, duration) of up to the look-ahead count of fragments after it.
    pub next: Vec<(u64, u64)>,
    /// Whether the look-ahead is final (full, or the track ended): the bytes served
    /// will not change.
    pub complete: bool,
}

impl Point {
    /// The track of StreamIndex `name` at `bitrate`.
    pub(crate) fn track(&self, name: &str, bitrate: u32) -> Result<&Track, HttpError> {
        let named: Vec<&Track> = self
            .tracks
            .iter()
            .filter(|t| t.manifest.name == name)
            .collect();
        if named.is_empty() {
            return Err(HttpError::not_found(format!(
                "no StreamIndex named {name:?} in this live presentation"
            )));
        }
        named
            .into_iter()
            .find(|t| manifest_bitrate(&t.manifest) == bitrate)
            .ok_or_else(|| {
                HttpError::not_found(format!(
                    "StreamIndex {name:?} has no QualityLevel at {bitrate} b/s"
                ))
            })
    }

    /// The fragment of `track` at `time` and the (time, duration) of up to `lookahead`
    /// fragments after it; whether the look-ahead is complete (it will not change).
    pub(crate) fn fragment_at(
        &self,
        track: &Track,
        time: u64,
        lookahead: u8,
    ) -> Result<Served, HttpError> {
        let fragments = &track.fragments;
        let at = find_time(fragments.len(), |i| fragments.get(i).map(|f| f.time), time)
            .ok_or_else(|| {
                let (first, end) = (track.fragments.front().map(|f| f.time), track.end());
                HttpError::not_found(match (first, end) {
                    (Some(_), Some(end)) if time >= end => {
                        format!("no fragment at {time} yet (the live edge is at {end})")
                    }
                    (Some(first), _) if time < first => {
                        format!("the fragment at {time} has left the DVR window (which starts at {first})")
                    }
                    _ => format!("no fragment starts at {time}"),
                })
            })?;
        let stored = track
            .fragments
            .get(at)
            .cloned()
            .ok_or_else(|| HttpError::internal("fragment table out of step"))?;
        let next: Vec<(u64, u64)> = track
            .fragments
            .iter()
            .skip(at + 1)
            .take(usize::from(lookahead))
            .map(|f| (f.time, f.duration))
            .collect();
        let complete = next.len() == usize::from(lookahead) || (self.ended || track.ended(self));
        Ok(Served {
            stored,
            next,
            complete,
        })
    }

    /// The kind of a track (the fragment content type).
    pub(crate) fn kind(track: &Track) -> TrackKind {
        track.manifest.kind
    }
}
