//! The request handlers: routing by method and URL grammar, on-demand requests run off
//! the reactor (they read files), live requests from the publishing points' memory, and
//! ingest POSTs parsed as their chunks arrive.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};
use hyper::{Method, Request, Response, StatusCode};

use super::OriginOptions;
use super::archive::Archive;
use super::http::{
    AUDIO_FRAGMENT_TYPE, Body, CACHE_FILE, CACHE_IMMUTABLE, CACHE_LIVE, CACHE_NONE,
    CACHE_VOD_MANIFEST, HttpError, MANIFEST_TYPE, VIDEO_FRAGMENT_TYPE, finish_headers, preflight,
    response, text,
};
use super::ingest::{IngestError, IngestEvent, IngestParser};
use super::live::{self, Accepted, Live, Point};
use super::route::{FragmentRequest, Presentation, Route, route};
use super::vod::Vod;
use super::{files, lookahead, manifest, page, paths};
use crate::manifest::TrackKind;

/// Longest request path served.
const MAX_PATH: usize = 4096;

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The options the origin was started with.
    pub options: OriginOptions,
    /// On-demand presentations.
    pub vod: Vod,
    /// Publishing points.
    pub live: Live,
    /// Bytes all ingest parsers hold for boxes in transit.
    pub in_flight: AtomicU64,
    /// Archives being published (awaited at shutdown).
    pub finishing: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// Answers one request; never fails (errors are responses).
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let head = req.method() == Method::HEAD;
    let mut response = match dispatch(&shared, req).await {
        Ok(r) => r,
        Err(e) => {
            log::debug!("{e}");
            e.response()
        }
    };
    finish_headers(&mut response);
    if head {
        // Same headers, no body (the length is the body's).
        let len = hyper::body::Body::size_hint(response.body())
            .exact()
            .unwrap_or(0);
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, len.into());
        *response.body_mut() = Body::default();
    }
    Ok(response)
}

async fn dispatch(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, HttpError> {
    let path = req.uri().path();
    if path.len() > MAX_PATH {
        return Err(HttpError::uri_too_long(format!(
            "a path of {} bytes (at most {MAX_PATH})",
            path.len()
        )));
    }
    if req.method() == Method::OPTIONS {
        return Ok(preflight(
            req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS),
        ));
    }
    let route = route(paths::segments(path)?)?;
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    match route {
        Route::Ingest {
            point,
            event,
            stream,
        } if req.method() == Method::POST => {
            ingest(Arc::clone(shared), req, point, event, stream).await
        }
        Route::Ingest { .. } => Err(HttpError::method_not_allowed("POST, OPTIONS")),
        _ if !read => Err(HttpError::method_not_allowed("GET, HEAD, OPTIONS")),
        Route::Index => {
            let root = shared.vod.root().dir().to_path_buf();
            let list = blocking(shared, move |_| Ok(page::presentations(&root))).await?;
            Ok(html(page::index(&list, &shared.live.list())))
        }
        Route::File(segments) => {
            let kind = segments
                .last()
                .and_then(|s| files::content_type(s))
                .unwrap_or("application/octet-stream");
            let data = blocking(shared, move |s| files::read(s.vod.root(), &segments)).await?;
            Ok(response(
                StatusCode::OK,
                kind,
                CACHE_FILE,
                Body::from_bytes(data),
            ))
        }
        Route::Play(segments) => Ok(html(page::play(
            &segments.join("/"),
            &shared.options.player_js,
        ))),
        Route::Manifest(p) if p.live => live_manifest(shared, &p),
        Route::Manifest(p) => {
            let xml = blocking(shared, move |s| s.vod.manifest(&p.segments)).await?;
            Ok(response(
                StatusCode::OK,
                MANIFEST_TYPE,
                CACHE_VOD_MANIFEST,
                Body::from_bytes(xml),
            ))
        }
        Route::Fragment(f) if f.presentation.live => live_fragment(shared, &f),
        Route::Fragment(f) => {
            let info = f.info;
            let v = blocking(shared, move |s| {
                s.vod
                    .fragment(&f.presentation.segments, f.bitrate, &f.stream, f.time)
            })
            .await?;
            let data = if info {
                v.data.slice(..v.moof_len.min(v.data.len()))
            } else {
                v.data
            };
            Ok(response(
                StatusCode::OK,
                fragment_type(v.kind),
                CACHE_IMMUTABLE,
                Body::from_bytes(data),
            ))
        }
    }
}

/// Runs file I/O on the blocking pool.
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&Shared) -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || work(&shared))
        .await
        .map_err(|e| HttpError::internal(format!("request task failed: {e}")))?
}

fn html(page: String) -> Response<Body> {
    response(
        StatusCode::OK,
        "text/html; charset=utf-8",
        CACHE_NONE,
        Body::from_bytes(page),
    )
}

fn fragment_type(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Audio => AUDIO_FRAGMENT_TYPE,
        TrackKind::Video | TrackKind::Text => VIDEO_FRAGMENT_TYPE,
    }
}

/// The DVR window in a point's ticks.
fn window_ticks(shared: &Shared, timescale: u64) -> u64 {
    let nanos = shared.live.settings().dvr_window.as_nanos();
    u64::try_from(nanos.saturating_mul(u128::from(timescale)) / 1_000_000_000).unwrap_or(u64::MAX)
}

fn live_manifest(shared: &Shared, p: &Presentation) -> Result<Response<Body>, HttpError> {
    let point = shared.live.point(&p.segments, false)?;
    let point = live::lock(&point)?;
    let window = window_ticks(shared, point.timescale);
    let xml = manifest::live_manifest(&point, shared.options.lookahead, window)?;
    let cache = if point.ended {
        CACHE_VOD_MANIFEST
    } else {
        CACHE_LIVE
    };
    Ok(response(
        StatusCode::OK,
        MANIFEST_TYPE,
        cache,
        Body::from_bytes(xml),
    ))
}

fn live_fragment(shared: &Shared, f: &FragmentRequest) -> Result<Response<Body>, HttpError> {
    let point = shared.live.point(&f.presentation.segments, false)?;
    let (served, kind) = {
        let point = live::lock(&point)?;
        let track = point.track(&f.stream, f.bitrate)?;
        let served = point.fragment_at(track, f.time, shared.options.lookahead)?;
        (served, Point::kind(track))
    };
    let stored = &served.stored;
    let chunks = if f.info {
        vec![lookahead::moof_with_tfrf(
            &stored.data,
            stored.moof_len,
            &served.next,
        )]
    } else {
        lookahead::with_tfrf(&stored.data, stored.moof_len, &served.next)
    };
    // A fragment whose look-ahead may still grow must not be cached for long.
    let cache = if served.complete {
        CACHE_IMMUTABLE
    } else {
        CACHE_LIVE
    };
    Ok(response(
        StatusCode::OK,
        fragment_type(kind),
        cache,
        Body::from_chunks(chunks),
    ))
}

/// Checks HTTP Basic credentials when the origin requires them for ingest.
fn authorize(options: &OriginOptions, headers: &HeaderMap) -> Result<(), HttpError> {
    let Some((user, password)) = &options.ingest_credentials else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .ok_or_else(|| HttpError::unauthorized("ingest needs HTTP Basic credentials"))?;
    let expected = format!("{user}:{password}").into_bytes();
    // Compared in time independent of where they differ.
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(&expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(HttpError::unauthorized("wrong ingest credentials"))
    }
}

fn ingest_error(e: IngestError) -> HttpError {
    if e.status == 413 {
        HttpError::too_large(e.message)
    } else {
        HttpError::bad_request(e.message)
    }
}

/// One ingest POST: the empty probe, or a body parsed as it arrives.
async fn ingest(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    point_segments: Vec<String>,
    event: Option<String>,
    stream: String,
) -> Result<Response<Body>, HttpError> {
    authorize(&shared.options, req.headers())?;
    let probe = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() == b"0");
    if probe {
        shared.live.has_room(&point_segments)?;
        return Ok(text(StatusCode::OK, "publishing point ready\n".into()));
    }
    let mut parser = IngestParser::new(shared.options.ingest);
    let mut body = req.into_body();
    let mut counts = Counts::default();
    let mut held = InFlight {
        total: &shared.in_flight,
        mine: 0,
    };
    // Created with the first header, so probes and refused bodies leave no point.
    let mut point = None;
    let idle = shared.options.ingest_idle_timeout;
    loop {
        let frame = match tokio::time::timeout(idle, http_body_util::BodyExt::frame(&mut body))
            .await
        {
            Err(_) => {
                return Err(HttpError::timeout(format!(
                    "Streams({stream}): nothing received for {:.1} s",
                    idle.as_secs_f64()
                )));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(HttpError::bad_request(format!("request body: {e}"))),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let events = parser.push(&data).map_err(ingest_error)?;
        held.set(parser.buffered() as u64, shared.options.max_ingest_buffer)?;
        if events.is_empty() {
            continue;
        }
        let point = match &point {
            Some(p) => Arc::clone(p),
            None => Arc::clone(point.insert(shared.live.point(&point_segments, true)?)),
        };
        apply(
            &shared,
            &point,
            &stream,
            event.as_deref(),
            events,
            &mut counts,
        )?;
    }
    parser.finish().map_err(ingest_error)?;
    Ok(text(
        StatusCode::OK,
        format!(
            "Streams({stream}): {} fragments received, {} duplicates dropped{}{}\n",
            counts.fragments,
            counts.duplicates,
            match counts.unusable {
                0 => String::new(),
                n => format!(", {n} dropped as off the timeline"),
            },
            if counts.ended { ", stream ended" } else { "" }
        ),
    ))
}

/// This connection's share of the bytes every ingest parser holds (subtracted when the
/// POST ends, however it ends).
struct InFlight<'a> {
    total: &'a AtomicU64,
    mine: u64,
}

impl InFlight<'_> {
    /// Sets this connection's share; 503 when all of them together pass `limit`.
    fn set(&mut self, now: u64, limit: u64) -> Result<(), HttpError> {
        let before = if now >= self.mine {
            self.total.fetch_add(now - self.mine, Ordering::Relaxed) + (now - self.mine)
        } else {
            self.total
                .fetch_sub(self.mine - now, Ordering::Relaxed)
                .saturating_sub(self.mine - now)
        };
        self.mine = now;
        if before > limit {
            return Err(HttpError::unavailable(format!(
                "ingest buffers are full ({limit} bytes held for fragments in transit); retry"
            )));
        }
        Ok(())
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.total.fetch_sub(self.mine, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct Counts {
    fragments: u64,
    duplicates: u64,
    unusable: u64,
    ended: bool,
}

/// Applies parsed events to the point. With an archive, file writes happen under the
/// point's lock (so fragments reach the archive in the order they were accepted): the
/// worker thread is handed over to blocking work meanwhile.
fn apply(
    shared: &Arc<Shared>,
    point: &std::sync::Mutex<Point>,
    stream: &str,
    event: Option<&str>,
    events: Vec<IngestEvent>,
    counts: &mut Counts,
) -> Result<(), HttpError> {
    let settings = shared.live.settings();
    let work = || -> Result<Vec<Archive>, HttpError> {
        let mut finished = Vec::new();
        let mut p = live::lock(point)?;
        for e in events {
            match e {
                IngestEvent::Header(h) => finished.extend(p.header(settings, stream, event, &h)?),
                IngestEvent::Fragment(f) => match p.fragment(settings, stream, f)? {
                    Accepted::New => counts.fragments += 1,
                    Accepted::Duplicate => counts.duplicates += 1,
                    Accepted::Unusable => counts.unusable += 1,
                },
                IngestEvent::EndOfStream => {
                    counts.ended = true;
                    finished.extend(p.end_of_stream(stream)?);
                }
            }
        }
        Ok(finished)
    };
    let finished = if settings.archive.is_some() {
        tokio::task::block_in_place(work)?
    } else {
        work()?
    };
    for archive in finished {
        publish(shared, archive);
    }
    Ok(())
}

/// Publishes an ended event's archive on the blocking pool.
fn publish(shared: &Arc<Shared>, archive: Archive) {
    let task = tokio::task::spawn_blocking(move || {
        let target = archive.target().to_path_buf();
        if let Err(e) = archive.finish() {
            log::error!("{}: archive not published: {e}", target.display());
        }
    });
    if let Ok(mut tasks) = shared.finishing.lock() {
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }
}
