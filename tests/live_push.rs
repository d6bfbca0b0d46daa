//! Live push against scripted receivers on 127.0.0.1: normal run, every fault of issue 4,
//! redundancy, and interop with `ffmpeg -listen 1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "live")]

mod live_server;
mod support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use live_server::{Behavior, Received, Server, assert_contiguous, check_stream};
use ssf::live::{ConnectionState, FinalReport, LiveOptions, LivePublisher};
use ssf::{Options, Sample, StreamConfig};

/// A stream read into memory: its configuration and samples, timescale.
struct Media {
    config: StreamConfig,
    timescale: u32,
    samples: Vec<(Bytes, u64, u64, u64, bool)>,
    /// Duration of one pass, in `timescale` ticks.
    length: u64,
}

fn load(file: &str) -> Media {
    let path = support::root().join("sample").join(file);
    let mut set = ssf::input::InputSet::new();
    set.add(ssf::input::open(&path).unwrap(), &Default::default())
        .unwrap();
    let timescale = set.streams().next().unwrap().timescale;
    let config = set.config(0, None).unwrap();
    let mut samples = Vec::new();
    let mut end = 0;
    while let Some((_, n)) = set.next_indexed().unwrap() {
        end = end.max(n.dts + n.duration);
        samples.push((n.data, n.dts, n.cts_offset, n.duration, n.sync));
    }
    Media {
        config,
        timescale,
        samples,
        length: end,
    }
}

/// Adds `media` to the publisher at `bitrate`.
fn add(live: &mut LivePublisher, media: &Media, bitrate: u32) -> ssf::StreamId {
    live.add_stream(
        media
            .config
            .clone()
            .bitrate(bitrate)
            .timescale(media.timescale),
    )
    .unwrap()
}

/// Pushes `loops` passes of `media` to stream `id`.
fn push_loops(
    live: &mut LivePublisher,
    id: ssf::StreamId,
    media: &Media,
    loops: std::ops::Range<u64>,
) {
    for l in loops {
        for (data, dts, cts, dur, sync) in &media.samples {
            let s = Sample::new(data.clone(), dts + l * media.length)
                .cts_offset(*cts)
                .duration(*dur)
                .sync(*sync);
            live.push(id, s).unwrap();
        }
    }
}

/// `ticks` of a `timescale` in 100 ns units, rounded as the muxer rounds.
fn to_100ns(ticks: u64, timescale: u32) -> u64 {
    let ts = u64::from(timescale);
    (ticks * 10_000_000 + ts / 2) / ts
}

/// Fast options for tests: short timeouts and back-off, no pacing.
fn fast() -> LiveOptions {
    LiveOptions::default()
        .connect_timeout(Duration::from_secs(2))
        .send_timeout(Duration::from_millis(800))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .catch_up_speed(None)
        .finish_timeout(Duration::from_secs(15))
}

/// Options with 0.5 s fragments (audio cuts anywhere).
fn half_second() -> Options {
    Options::default().fragment_seconds(0.5).unwrap()
}

/// Runs `loops` of the AAC sample through a publisher on `server` and returns the
/// reports and the fragments the server holds.
fn run_audio(
    server: &Server,
    live: LiveOptions,
    loops: u64,
) -> (Vec<FinalReport>, Vec<Received>, u64) {
    let audio = load("sample.aac");
    let mut publisher = LivePublisher::connect([server.url("ch")], half_second(), live).unwrap();
    let id = add(&mut publisher, &audio, 96_000);
    push_loops(&mut publisher, id, &audio, 0..loops);
    let reports = publisher.finish().unwrap();
    let received = check_stream(&server.posts("Streams(audio_96000.isma)"));
    let end = to_100ns(loops * audio.length, audio.timescale);
    (reports, received, end)
}

/// Every fragment from 0 to `end` arrived, contiguous, and the stream closed with 200.
fn assert_complete(reports: &[FinalReport], received: &[Received], end: u64) {
    assert_eq!(reports.len(), 1);
    assert!(reports[0].is_success(), "{:?}", reports[0].stats);
    assert_contiguous(received);
    assert_eq!(received.first().map(|f| f.time), Some(0));
    let last = received.last().unwrap();
    assert_eq!(
        last.time + last.duration,
        end,
        "fragments missing at the end"
    );
}

#[test]
fn live_normal_push_has_the_ingest_shape() {
    let server = Server::start(|_, _| Behavior::Normal);
    let (reports, received, end) = run_audio(&server, fast(), 2);
    assert_complete(&reports, &received, end);
    let requests = server.requests();
    assert!(requests[0].probe, "probe first");
    assert_eq!(requests[0].header("content-length"), Some("0"));
    let post = &server.posts("Streams(audio_96000.isma)")[0];
    assert!(post.header("content-length").is_none());
    assert!(post.header("expect").is_none());
    assert!(post.header("user-agent").unwrap().starts_with("ssf/"));
    assert!(post.header("host").is_some());
    assert_eq!(post.path, "/live/ch.isml/Streams(audio_96000.isma)");
    assert!(post.complete);
    let parsed = live_server::parse_post(&post.body);
    assert!(parsed.end_of_stream);
    assert!(parsed.manifest.contains("name=\"FourCC\" value=\"AACL\""));
    let s = &reports[0].stats;
    assert_eq!(s.fragments_sent as usize, received.len());
    assert_eq!((s.reconnects, s.fragments_dropped), (0, 0));
}

#[test]
fn live_video_and_audio_posts_list_only_their_tracks() {
    let server = Server::start(|_, _| Behavior::Normal);
    let video = load("sample_360p.h264");
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect([server.url("av")], Options::default(), fast()).unwrap();
    let v = add(&mut live, &video, 125_000);
    let a = add(&mut live, &audio, 96_000);
    push_loops(&mut live, v, &video, 0..1);
    push_loops(&mut live, a, &audio, 0..1);
    let reports = live.finish().unwrap();
    assert!(reports.iter().all(FinalReport::is_success));
    let vf = check_stream(&server.posts("Streams(video_125000.ismv)"));
    let af = check_stream(&server.posts("Streams(audio_96000.isma)"));
    assert_contiguous(&vf);
    assert_contiguous(&af);
    assert!(vf.iter().all(|f| f.track_id == 1) && af.iter().all(|f| f.track_id == 2));
    let vpost = live_server::parse_post(&server.posts("Streams(video_125000.ismv)")[0].body);
    assert!(vpost.manifest.contains("<video") && !vpost.manifest.contains("<audio"));
}

#[test]
fn live_server_closing_mid_fragment_loses_nothing() {
    let server = Server::start(|_, n| match n {
        0 => Behavior::CloseAfter(30_000),
        _ => Behavior::Normal,
    });
    let (reports, received, end) = run_audio(&server, fast(), 2);
    assert_complete(&reports, &received, end);
    assert!(reports[0].stats.reconnects >= 1);
    assert!(reports[0].stats.fragments_replayed >= 1);
    assert!(server.posts("Streams(").len() >= 2);
}

#[test]
fn live_500_then_recovery() {
    let server = Server::start(|_, n| match n {
        0 => Behavior::AnswerAfter(20_000, 500),
        1 => Behavior::Answer(500),
        _ => Behavior::Normal,
    });
    let (reports, received, end) = run_audio(&server, fast(), 2);
    assert_complete(&reports, &received, end);
    let s = &reports[0].stats;
    assert!(s.reconnects >= 2, "{s:?}");
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("500"),
        "{s:?}"
    );
}

#[test]
fn live_412_restarts_with_headers_and_replays() {
    let server = Server::start(|_, n| match n {
        0 => Behavior::AnswerAfter(25_000, 412),
        _ => Behavior::Normal,
    });
    let (reports, received, end) = run_audio(&server, fast(), 2);
    assert_complete(&reports, &received, end);
    assert!(reports[0].stats.fragments_replayed >= 1);
}

#[test]
fn live_409_resumes_without_replaying_old_fragments() {
    // Cut mid-stream, then refuse any POST that starts before what it already has (the
    // replay), as Unified Origin does.
    let server = Server::start(|_, n| match n {
        0 => Behavior::CloseAfter(30_000),
        _ => Behavior::RefuseOld,
    });
    let (reports, received, end) = run_audio(&server, fast(), 2);
    assert_complete(&reports, &received, end);
    let posts = server.posts("Streams(");
    assert_eq!(posts[1].answered, Some(409));
    let last = live_server::parse_post(&posts.last().unwrap().body);
    let cut = live_server::parse_post(&posts[0].body);
    let had = cut.fragments.last().map_or(0, |f| f.time + f.duration);
    assert!(
        last.fragments.first().is_some_and(|f| f.time >= had),
        "after 409 the POST must not start with fragments the server has"
    );
}

#[test]
fn live_stalled_server_is_detected() {
    let server = Server::start(|_, n| match n {
        0 => Behavior::StallAfter(50_000),
        _ => Behavior::Normal,
    });
    let video = load("sample_720p.h264");
    let start = Instant::now();
    let mut live = LivePublisher::connect(
        [server.url("st")],
        Options::default(),
        fast().queue_bounds(Duration::from_secs(3600), 1 << 30),
    )
    .unwrap();
    let id = add(&mut live, &video, 400_000);
    push_loops(&mut live, id, &video, 0..12);
    let reports = live.finish().unwrap();
    let received = check_stream(&server.posts("Streams(video_400000.ismv)"));
    assert!(reports[0].is_success(), "{:?}", reports[0].stats);
    assert_contiguous(&received);
    assert_eq!(received.len(), 12 * 5);
    let s = &reports[0].stats;
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("stalled"),
        "{s:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn live_server_restart_after_5_s() {
    let mut server = Server::start(|_, _| Behavior::Normal);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect([server.url("rs")], half_second(), fast()).unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while live.stats()[0].fragments_sent < 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    push_loops(&mut live, id, &audio, 1..3);
    std::thread::sleep(Duration::from_secs(5));
    server.restart();
    let reports = live.finish().unwrap();
    let received = check_stream(&server.posts("Streams(audio_96000.isma)"));
    let end = to_100ns(3 * audio.length, audio.timescale);
    assert_complete(&reports, &received, end);
    assert!(reports[0].stats.reconnects >= 1);
}

#[test]
fn live_30_s_outage_within_the_queue_bound_loses_nothing() {
    let server = Server::start(|_, _| Behavior::Normal);
    server.open.store(false, Ordering::SeqCst);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect([server.url("out")], half_second(), fast()).unwrap();
    let id = add(&mut live, &audio, 96_000);
    // 30 s of media pushed while the point answers 503.
    push_loops(&mut live, id, &audio, 0..3);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(live.stats()[0].fragments_sent, 0);
    server.open.store(true, Ordering::SeqCst);
    let reports = live.finish().unwrap();
    let received = check_stream(&server.posts("Streams(audio_96000.isma)"));
    let end = to_100ns(3 * audio.length, audio.timescale);
    assert_complete(&reports, &received, end);
    assert_eq!(reports[0].stats.fragments_dropped, 0);
}

#[test]
fn live_outage_beyond_the_queue_bound_drops_oldest_and_counts() {
    let server = Server::start(|_, _| Behavior::Normal);
    server.open.store(false, Ordering::SeqCst);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect(
        [server.url("drop")],
        half_second(),
        fast().queue_bounds(Duration::from_secs(10), 1 << 30),
    )
    .unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..3);
    let dropped = live.stats()[0].fragments_dropped;
    assert!(dropped >= 35, "dropped {dropped}");
    server.open.store(true, Ordering::SeqCst);
    let reports = live.finish().unwrap();
    let received = check_stream(&server.posts("Streams(audio_96000.isma)"));
    // The server answered 200, but fragments were dropped: the report says so.
    assert_eq!(reports[0].status(), Some(200));
    assert!(!reports[0].is_success(), "dropped fragments may be missing");
    assert_eq!(reports[0].stats.fragments_dropped, dropped);
    assert_eq!(reports[0].stats.fragments_possibly_lost, dropped);
    // Only the live edge survives: contiguous, ending at the end, starting later than 0.
    assert_contiguous(&received);
    let end = to_100ns(3 * audio.length, audio.timescale);
    let last = received.last().unwrap();
    assert_eq!(last.time + last.duration, end);
    assert!(received[0].time >= 19 * 10_000_000);
}

#[test]
fn live_redundant_points_one_killed() {
    let good = Server::start(|_, _| Behavior::Normal);
    let mut bad = Server::start(|_, _| Behavior::Normal);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect(
        [good.url("red"), bad.url("red")],
        half_second(),
        fast().finish_timeout(Duration::from_secs(3)),
    )
    .unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..1);
    bad.kill();
    let started = Instant::now();
    push_loops(&mut live, id, &audio, 1..2);
    // The good point keeps up with the pushes while the other is down.
    let deadline = Instant::now() + Duration::from_secs(5);
    while live.stats()[0].queued_fragments > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(live.stats()[0].queued_fragments, 0);
    assert!(started.elapsed() < Duration::from_secs(2));
    let reports = live.finish().unwrap();
    assert!(reports[0].is_success(), "{:?}", reports[0].stats);
    assert!(!reports[1].is_success());
    assert_eq!(reports[1].stats.state, ConnectionState::Failed);
    let received = check_stream(&good.posts("Streams(audio_96000.isma)"));
    assert_contiguous(&received);
    let end = to_100ns(2 * audio.length, audio.timescale);
    assert_eq!(received.last().map(|f| f.time + f.duration), Some(end));
}

#[test]
fn live_utc_origin_gives_identical_times_to_two_encoders() {
    let a = Server::start(|_, _| Behavior::Normal);
    let b = Server::start(|_, _| Behavior::Normal);
    let audio = load("sample.aac");
    let anchor = 1_700_000_000;
    for server in [&a, &b] {
        let mut live = LivePublisher::connect(
            [server.url("utc")],
            half_second(),
            fast().time_origin(ssf::live::TimeOrigin::EpochSeconds(anchor)),
        )
        .unwrap();
        let id = add(&mut live, &audio, 96_000);
        push_loops(&mut live, id, &audio, 0..1);
        live.finish().unwrap();
    }
    let ra = check_stream(&a.posts("Streams("));
    let rb = check_stream(&b.posts("Streams("));
    assert_eq!(ra, rb);
    assert_eq!(ra[0].time, anchor * 10_000_000);
}

#[test]
fn live_probe_refused_is_a_clear_error() {
    let server = Server::start(|_, _| Behavior::Normal);
    server.open.store(false, Ordering::SeqCst);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect(
        [server.url("pr")],
        half_second(),
        fast().max_retries(Some(2)),
    )
    .unwrap();
    let id = add(&mut live, &audio, 96_000);
    let deadline = Instant::now() + Duration::from_secs(5);
    while live.stats()[0].state != ConnectionState::Failed && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = live.stats().remove(0);
    assert_eq!(s.state, ConnectionState::Failed);
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("503"),
        "{s:?}"
    );
    let (data, dts, _, dur, _) = audio.samples[0].clone();
    let err = live
        .push(id, Sample::new(data, dts).duration(dur))
        .unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert!(
        server
            .posts("Streams(")
            .iter()
            .all(|r| r.answered == Some(503))
    );
}

#[test]
fn live_ffmpeg_listen_receives_frames_identical_to_the_source() {
    if !support::require_tool(
        "ffmpeg",
        "live_ffmpeg_listen_receives_frames_identical_to_the_source",
    ) {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("received.mkv");
    let url = format!("http://127.0.0.1:{port}/x.isml");
    let mut ffmpeg = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-listen",
            "1",
            "-i",
        ])
        .arg(format!("{url}/Streams(video)"))
        .args(["-c", "copy", "-f", "matroska"])
        .arg(&out)
        .spawn()
        .unwrap();
    let video = load("sample_360p.h264");
    let opts = fast().probe(false).end_of_stream(true);
    // ffmpeg needs a moment to listen; the publisher retries until it does.
    let mut live = LivePublisher::connect([url.as_str()], Options::default(), opts).unwrap();
    let id = live
        .add_stream(
            video
                .config
                .clone()
                .bitrate(125_000)
                .timescale(video.timescale)
                .source_file_name("video"),
        )
        .unwrap();
    push_loops(&mut live, id, &video, 0..1);
    let reports = live.finish().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = ffmpeg.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "ffmpeg did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "ffmpeg failed: {status}");
    assert_eq!(reports[0].status(), Some(200), "{:?}", reports[0].stats);
    let source = support::root().join("sample/sample_360p.h264");
    let expected = support::frame_hashes(&source, "v");
    let got = support::frame_hashes(Path::new(&out), "v");
    assert_eq!(expected.len(), 250);
    assert_eq!(got, expected);
}

#[test]
fn live_415_is_fatal_and_reported() {
    let server = Server::start(|_, _| Behavior::Answer(415));
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect([server.url("bad")], half_second(), fast()).unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..1);
    let reports = live.finish().unwrap();
    let s = &reports[0].stats;
    // Usually the answer ends the POST early (Failed); if the whole short body was
    // already written when it was read, it is the final answer. Never retried.
    assert!(
        matches!(
            s.state,
            ConnectionState::Failed | ConnectionState::Finished { status: 415 }
        ),
        "{s:?}"
    );
    assert!(!reports[0].is_success());
    assert_eq!(s.last_status, Some(415));
    assert!(
        s.last_error
            .as_deref()
            .unwrap_or("")
            .contains("unsupported media type"),
        "{s:?}"
    );
    assert_eq!(server.posts("Streams(").len(), 1, "no retry after 415");
}

#[test]
fn live_redirect_is_followed_with_the_body() {
    let server = Server::start(|path, _| {
        if path.contains("old.isml") {
            Behavior::RedirectTo("/live/new.isml/Streams(audio_96000.isma)")
        } else {
            Behavior::Normal
        }
    });
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect([server.url("old")], half_second(), fast()).unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..1);
    let reports = live.finish().unwrap();
    assert!(reports[0].is_success(), "{:?}", reports[0].stats);
    let received = check_stream(&server.posts("/live/new.isml/Streams("));
    let end = to_100ns(audio.length, audio.timescale);
    assert_complete(&reports, &received, end);
    // The probe was redirected, and the long POST went straight to the new place.
    let old: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("old.isml"))
        .collect();
    assert_eq!(old.len(), 1);
    assert!(old[0].probe && old[0].answered == Some(307));
}

#[test]
fn live_basic_auth_and_event_id_in_the_url_and_no_password_in_stats() {
    let server = Server::start(|_, _| Behavior::Normal);
    let audio = load("sample.aac");
    let url = format!("http://enc:s3cret@127.0.0.1:{}/live/ev.isml", server.port);
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let mut live = LivePublisher::connect(
        [url],
        half_second(),
        fast()
            .event_id(ssf::live::EventId::Fixed("show-1".into()))
            .on_state(move |e| {
                seen.lock()
                    .unwrap()
                    .push(format!("{} {} {}", e.url, e.state, e.detail))
            }),
    )
    .unwrap();
    let id = add(&mut live, &audio, 96_000);
    push_loops(&mut live, id, &audio, 0..1);
    let reports = live.finish().unwrap();
    assert!(reports[0].is_success());
    let post = &server.posts("Streams(")[0];
    assert_eq!(
        post.path,
        "/live/ev.isml/Events(show-1)/Streams(audio_96000.isma)"
    );
    // "enc:s3cret" in base64.
    assert_eq!(post.header("authorization"), Some("Basic ZW5jOnMzY3JldA=="));
    assert!(!reports[0].stats.url.contains("s3cret"));
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| e.contains("streaming")));
    assert!(events.iter().any(|e| e.contains("finished (HTTP 200)")));
    assert!(events.iter().all(|e| !e.contains("s3cret")));
}

#[test]
fn live_backlog_after_an_outage_is_paced() {
    let server = Server::start(|_, _| Behavior::Normal);
    server.open.store(false, Ordering::SeqCst);
    let audio = load("sample.aac");
    let mut live = LivePublisher::connect(
        [server.url("pace")],
        half_second(),
        fast().catch_up_speed(Some(10.0)),
    )
    .unwrap();
    let id = add(&mut live, &audio, 96_000);
    // 10 s of media waits in the queue; at 10x it takes at least 1 s to send.
    push_loops(&mut live, id, &audio, 0..1);
    std::thread::sleep(Duration::from_millis(100));
    let opened = Instant::now();
    server.open.store(true, Ordering::SeqCst);
    let reports = live.finish().unwrap();
    let took = opened.elapsed();
    assert!(reports[0].is_success());
    assert!(
        took >= Duration::from_millis(900),
        "backlog sent in {took:?}"
    );
    assert!(took < Duration::from_secs(5), "backlog sent in {took:?}");
}
