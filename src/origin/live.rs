//! Live publishing points: what each has received (live-ingest.md §7, "what the server
//! does"), kept within the DVR window and the byte bound, and what GET requests read.
//!
//! - A point is created by the first ingest request to `…/NAME.isml/Streams(ID)`. An
//!   event runs from the first stream header until every stream sent its end of stream
//!   (§4); a header arriving after that starts a new event (IIS's
//!   restart-on-encoder-reconnect), and a header with another `Events(ID)` while an
//!   event runs is refused (§1.1).
//! - A stream's header is kept byte for byte: a reconnect must resend the same bytes
//!   (§2.5, §5.6); different bytes are refused with 409, since the tracks a client
//!   manifest already lists cannot change under it.
//! - Tracks are keyed by (kind, StreamIndex name, bit rate): two streams announcing the
//!   same track with the same codec data are redundant copies (§5.7) and feed one track.
//! - A fragment that does not start after the end of its track's last one is a replay
//!   or a redundant copy and is dropped (§5.2, AZ-FMP4 §8); a later start leaves a gap,
//!   which the manifest shows with a `t`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::archive::Archive;
use super::http::HttpError;
use super::ingest::{IngestFragment, StreamHeader};
use crate::manifest::{ManifestTrack, ProtectionHeader};

/// What the live side is allowed to hold.
#[derive(Debug, Clone)]
pub(crate) struct LiveSettings {
    /// The DVR window (0: the whole event).
    pub dvr_window: Duration,
    /// Publishing points at once.
    pub max_points: usize,
    /// Streams per point.
    pub max_streams: usize,
    /// Fragment bytes per point.
    pub max_buffered: u64,
    /// Where events are archived.
    pub archive: Option<std::path::PathBuf>,
}

/// Every publishing point, by path (`live/ch.isml`).
#[derive(Debug)]
pub(crate) struct Live {
    settings: LiveSettings,
    points: Mutex<HashMap<String, Arc<Mutex<Point>>>>,
}

/// One publishing point.
#[derive(Debug)]
pub(crate) struct Point {
    /// Its path segments (`["live", "ch.isml"]`).
    pub segments: Vec<String>,
    /// `Events(ID)` of the running event.
    pub event: Option<String>,
    /// Every stream sent its end of stream.
    pub ended: bool,
    /// Streams by `Streams(ID)`.
    pub streams: HashMap<String, IngestStream>,
    /// Tracks in the order they were announced.
    pub tracks: Vec<Track>,
    /// Ticks per second of every time (from the first header).
    pub timescale: u64,
    /// Protection headers from the streams' `moov`s.
    pub protection: Vec<ProtectionHeader>,
    /// Fragment bytes held.
    pub buffered: u64,
    /// Fragments dropped as replays or redundant copies.
    pub duplicates: u64,
    /// The archive being written.
    pub archive: Option<Archive>,
    /// Last ingest activity.
    pub updated: Instant,
}

/// One stream (one POST URL) of a point.
#[derive(Debug)]
pub(crate) struct IngestStream {
    /// The header bytes of its first POST.
    pub header: Bytes,
    /// Its tracks: (track_ID in the stream, index in `Point::tracks`).
    pub track_map: Vec<(u32, usize)>,
    /// It sent its end of stream.
    pub ended: bool,
}

/// One track (one QualityLevel of one StreamIndex).
#[derive(Debug)]
pub(crate) struct Track {
    /// How the client manifest describes it (fragments empty).
    pub manifest: ManifestTrack,
    /// Its fragments in the window, in time order.
    pub fragments: VecDeque<Stored>,
    /// The streams carrying it.
    pub streams: Vec<String>,
}

/// One received fragment.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// `tfxd` time.
    pub time: u64,
    /// `tfxd` duration.
    pub duration: u64,
    /// `moof` + `mdat`.
    pub data: Bytes,
    /// Size of the `moof`.
    pub moof_len: usize,
}

impl Stored {
    /// Where it ends.
    pub fn end(&self) -> u64 {
        self.time.saturating_add(self.duration)
    }
}

impl Track {
    /// End of the last fragment.
    fn end(&self) -> Option<u64> {
        self.fragments.back().map(Stored::end)
    }

    /// Whether every stream carrying it has ended.
    pub fn ended(&self, point: &Point) -> bool {
        self.streams
            .iter()
            .all(|s| point.streams.get(s).is_none_or(|s| s.ended))
    }
}

/// What became of an accepted fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Stored.
    New,
    /// A replay or redundant copy: dropped.
    Duplicate,
    /// Its time and duration overflow the timeline: dropped.
    Unusable,
}

impl Live {
    /// No points yet.
    pub(crate) fn new(settings: LiveSettings) -> Self {
        Live {
            settings,
            points: Mutex::new(HashMap::new()),
        }
    }

    /// The settings.
    pub(crate) fn settings(&self) -> &LiveSettings {
        &self.settings
    }

    /// The point at `segments`, created if `create` (making room by forgetting the
    /// ended or empty point updated longest ago when at the bound: a point is created
    /// only for a stream header, and only live events hold their place).
    pub(crate) fn point(
        &self,
        segments: &[String],
        create: bool,
    ) -> Result<Arc<Mutex<Point>>, HttpError> {
        let key = segments.join("/");
        let mut points = self
            .points
            .lock()
            .map_err(|_| HttpError::internal("publishing points unavailable"))?;
        if let Some(point) = points.get(&key) {
            return Ok(Arc::clone(point));
        }
        if !create {
            return Err(HttpError::not_found(format!(
                "/{key}: no such publishing point (nothing was pushed to it)"
            )));
        }
        if points.len() >= self.settings.max_points {
            let oldest_ended = points
                .iter()
                .filter_map(|(k, p)| {
                    p.lock()
                        .ok()
                        .filter(|p| p.ended || p.streams.is_empty())
                        .map(|p| (p.updated, k.clone()))
                })
                .min()
                .map(|(_, k)| k);
            match oldest_ended {
                Some(k) => {
                    points.remove(&k);
                }
                None => {
                    return Err(HttpError::unavailable(format!(
                        "{} publishing points are live, the most this origin takes",
                        self.settings.max_points
                    )));
                }
            }
        }
        let point = Arc::new(Mutex::new(Point::new(segments.to_vec())));
        points.insert(key, Arc::clone(&point));
        Ok(point)
    }

    /// Whether a push to `segments` would find its point or room for it (the probe's
    /// answer: 503 when every place is taken by a live event).
    pub(crate) fn has_room(&self, segments: &[String]) -> Result<(), HttpError> {
        let points = self
            .points
            .lock()
            .map_err(|_| HttpError::internal("publishing points unavailable"))?;
        let room = points.len() < self.settings.max_points
            || points.contains_key(&segments.join("/"))
            || points
                .values()
                .any(|p| p.lock().is_ok_and(|p| p.ended || p.streams.is_empty()));
        if room {
            Ok(())
        } else {
            Err(HttpError::unavailable(format!(
                "{} publishing points are live, the most this origin takes",
                self.settings.max_points
            )))
        }
    }

    /// Every point: its path and whether an event runs.
    pub(crate) fn list(&self) -> Vec<(String, bool)> {
        let Ok(points) = self.points.lock() else {
            return Vec::new();
        };
        let mut out: Vec<(String, bool)> = points
            .iter()
            .map(|(k, p)| {
                (
                    k.clone(),
                    p.lock().is_ok_and(|p| !p.ended && !p.streams.is_empty()),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Takes every point's archive (at shutdown, to publish what was recorded).
    pub(crate) fn take_archives(&self) -> Vec<Archive> {
        let Ok(points) = self.points.lock() else {
            return Vec::new();
        };
        points
            .values()
            .filter_map(|p| p.lock().ok().and_then(|mut p| p.archive.take()))
            .collect()
    }
}

/// Locks a point, or answers 500 if a panic poisoned it.
pub(crate) fn lock(point: &Mutex<Point>) -> Result<MutexGuard<'_, Point>, HttpError> {
    point
        .lock()
        .map_err(|_| HttpError::internal("publishing point unavailable"))
}

impl Point {
    fn new(segments: Vec<String>) -> Self {
        Point {
            segments,
            event: None,
            ended: false,
            streams: HashMap::new(),
            tracks: Vec::new(),
            timescale: 10_000_000,
            protection: Vec::new(),
            buffered: 0,
            duplicates: 0,
            archive: None,
            updated: Instant::now(),
        }
    }

    /// Forgets the ended event: a new one starts.
    fn reset(&mut self, event: Option<String>) {
        let segments = std::mem::take(&mut self.segments);
        *self = Point::new(segments);
        self.event = event;
    }

    /// A stream's header arrived. Returns the archive of a previous event that must be
    /// published (when this header starts a new one).
    pub(crate) fn header(
        &mut self,
        settings: &LiveSettings,
        stream: &str,
        event: Option<&str>,
        header: &StreamHeader,
    ) -> Result<Option<Archive>, HttpError> {
        let mut finished = None;
        if self.ended {
            finished = self.archive.take();
            self.reset(event.map(str::to_string));
        }
        if self.streams.is_empty() {
            self.event = event.map(str::to_string);
        } else if self.event.as_deref() != event {
            return Err(HttpError::conflict(format!(
                "this publishing point runs event {:?}; a push to event {:?} must wait for its end",
                self.event.as_deref().unwrap_or("(none)"),
                event.unwrap_or("(none)")
            )));
        }
        self.updated = Instant::now();
        if let Some(known) = self.streams.get(stream) {
            if known.ended {
                return Err(HttpError::conflict(format!(
                    "Streams({stream}) already sent its end of stream; it can restart once every stream of the event has ended"
                )));
            }
            if known.header != header.bytes {
                let at = known
                    .header
                    .iter()
                    .zip(header.bytes.iter())
                    .position(|(a, b)| a != b)
                    .unwrap_or(known.header.len().min(header.bytes.len()));
                return Err(HttpError::conflict(format!(
                    "Streams({stream}): this header differs from the one the stream started with (at byte {at}); a reconnect must resend the same header (live-ingest.md §5.6) — use a new stream ID or end the event"
                )));
            }
            return Ok(finished);
        }
        if let Some(t) = header
            .tracks
            .iter()
            .find(|t| i32::try_from(t.bitrate).is_err())
        {
            return Err(HttpError::bad_request(format!(
                "Streams({stream}): track \"{}\" has bit rate {}; players read it as a 32-bit signed number",
                t.name, t.bitrate
            )));
        }
        if self.streams.len() >= settings.max_streams {
            return Err(HttpError::unavailable(format!(
                "this publishing point already has {} streams, the most it takes",
                settings.max_streams
            )));
        }
        if !self.tracks.is_empty() && header.timescale != self.timescale {
            return Err(HttpError::conflict(format!(
                "Streams({stream}) has timescale {}, the event runs at {}",
                header.timescale, self.timescale
            )));
        }
        let map = self.register_tracks(stream, header)?;
        if self.tracks.len() == map.len() {
            self.timescale = header.timescale;
        }
        for p in &header.protection {
            if !self.protection.contains(p) {
                self.protection.push(p.clone());
            }
        }
        self.archive_header(settings, &map, header);
        self.streams.insert(
            stream.to_string(),
            IngestStream {
                header: header.bytes.clone(),
                track_map: map,
                ended: false,
            },
        );
        Ok(finished)
    }

    /// Finds or adds each track of a new stream.
    fn register_tracks(
        &mut self,
        stream: &str,
        header: &StreamHeader,
    ) -> Result<Vec<(u32, usize)>, HttpError> {
        let mut map = Vec::with_capacity(header.tracks.len());
        let mut added = Vec::new();
        for t in &header.tracks {
            let same = |x: &Track| {
                x.manifest.kind == t.kind
                    && x.manifest.name == t.name
                    && x.manifest.bitrate == t.bitrate
            };
            match self.tracks.iter().position(same) {
                Some(i) => {
                    let existing = self.tracks.get(i).map(|x| &x.manifest);
                    if existing.is_some_and(|x| {
                        x.fourcc != t.fourcc || x.codec_private_data != t.codec_private_data
                    }) {
                        return Err(HttpError::conflict(format!(
                            "Streams({stream}): track \"{}\" at {} b/s is already announced by another stream with other codec data",
                            t.name, t.bitrate
                        )));
                    }
                    map.push((t.track_id, i));
                }
                None => {
                    map.push((t.track_id, self.tracks.len() + added.len()));
                    added.push(t.clone());
                }
            }
        }
        for manifest in added {
            self.tracks.push(Track {
                manifest,
                fragments: VecDeque::new(),
                streams: Vec::new(),
            });
        }
        for &(_, i) in &map {
            if let Some(t) = self.tracks.get_mut(i) {
                t.streams.push(stream.to_string());
            }
        }
        Ok(map)
    }

    /// Starts the archive (first header) and adds the stream's new tracks to it.
    fn archive_header(
        &mut self,
        settings: &LiveSettings,
        map: &[(u32, usize)],
        header: &StreamHeader,
    ) {
        let Some(base) = &settings.archive else {
            return;
        };
        if self.archive.is_none() {
            match Archive::create(
                base,
                &self.segments,
                self.timescale.max(1),
                &self.protection,
            ) {
                Ok(a) => self.archive = Some(a),
                Err(e) => log::error!("/{}: no archive: {e}", self.segments.join("/")),
            }
        }
        if let Some(archive) = self.archive.as_mut() {
            for &(_, i) in map {
                if let Some(t) = self.tracks.get(i) {
                    archive.add_track(i, &t.manifest, header);
                }
            }
        }
    }

    /// A fragment of `stream` arrived.
    pub(crate) fn fragment(
        &mut self,
        settings: &LiveSettings,
        stream: &str,
        f: IngestFragment,
    ) -> Result<Accepted, HttpError> {
        let s = self.streams.get(stream).ok_or_else(|| {
            HttpError::conflict(format!(
                "Streams({stream}) sent a fragment before its header"
            ))
        })?;
        if s.ended {
            return Err(HttpError::conflict(format!(
                "Streams({stream}) already ended"
            )));
        }
        let index = s
            .track_map
            .iter()
            .find(|(id, _)| *id == f.track_id)
            .map(|(_, i)| *i)
            .ok_or_else(|| {
                HttpError::bad_request(format!(
                    "a fragment of track {}, which the header of Streams({stream}) does not announce",
                    f.track_id
                ))
            })?;
        if f.time.checked_add(f.duration).is_none() {
            // A negative time written unsigned (FFmpeg's first AAC fragment,
            // live-ingest.md §6): no timeline has room for it; the rest of the stream
            // is fine.
            log::warn!(
                "Streams({stream}): fragment at {} + {} overflows the timeline; dropped",
                f.time,
                f.duration
            );
            return Ok(Accepted::Unusable);
        }
        self.updated = Instant::now();
        let timescale = self.timescale;
        let track = self
            .tracks
            .get_mut(index)
            .ok_or_else(|| HttpError::internal("track table out of step"))?;
        if track.end().is_some_and(|end| f.time < end) {
            self.duplicates += 1;
            return Ok(Accepted::Duplicate);
        }
        let stored = Stored {
            time: f.time,
            duration: f.duration,
            moof_len: f.moof_len,
            data: f.data,
        };
        self.buffered = self.buffered.saturating_add(stored.data.len() as u64);
        if let Some(archive) = self.archive.as_mut() {
            archive.append(index, &stored);
        }
        track.fragments.push_back(stored);
        self.evict(settings, index, timescale);
        Ok(Accepted::New)
    }

    /// Drops what left the DVR window behind track `index`'s newest fragment, then the
    /// oldest fragments while over the byte bound.
    fn evict(&mut self, settings: &LiveSettings, index: usize, timescale: u64) {
        let window = u64::try_from(
            settings
                .dvr_window
                .as_nanos()
                .saturating_mul(u128::from(timescale))
                / 1_000_000_000,
        )
        .unwrap_or(u64::MAX);
        let mut freed = 0u64;
        if window > 0
            && let Some(track) = self.tracks.get_mut(index)
            && let Some(newest) = track.end()
        {
            while track
                .fragments
                .front()
                .is_some_and(|f| f.end().saturating_add(window) < newest)
            {
                if let Some(old) = track.fragments.pop_front() {
                    freed += old.data.len() as u64;
                }
            }
        }
        self.buffered = self.buffered.saturating_sub(freed);
        while self.buffered > settings.max_buffered {
            let oldest = self
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.fragments.len() > 1)
                .filter_map(|(i, t)| t.fragments.front().map(|f| (f.time, i)))
                .min();
            let Some((_, i)) = oldest else { break };
            let popped = self.tracks.get_mut(i).and_then(|t| t.fragments.pop_front());
            let Some(old) = popped else { break };
            self.buffered = self.buffered.saturating_sub(old.data.len() as u64);
        }
    }

    /// `stream` sent its end of stream. Returns the archive to publish when that ended
    /// the event.
    pub(crate) fn end_of_stream(&mut self, stream: &str) -> Result<Option<Archive>, HttpError> {
        let s = self.streams.get_mut(stream).ok_or_else(|| {
            HttpError::conflict(format!("Streams({stream}) ended before its header"))
        })?;
        s.ended = true;
        self.updated = Instant::now();
        if self.streams.values().all(|s| s.ended) {
            self.ended = true;
            return Ok(self.archive.take());
        }
        Ok(None)
    }
}

/// The bit rate a track is listed and addressed with: sparse tracks announced with 0
/// (live-ingest.md §2.3 allows it) are listed at 1, since a QualityLevel needs one.
pub(crate) fn manifest_bitrate(t: &ManifestTrack) -> u32 {
    t.bitrate.max(1)
}

mod lookup;
#[cfg(test)]
mod tests;
