//! `ssf::origin` over real HTTP on 127.0.0.1: on-demand presentations packaged by the
//! `ssfmux` CLI (clear, encrypted, with TTML captions) served fragment by fragment and
//! compared with the files' own bytes; a live push by `LivePublisher` served live, then
//! archived and played back on demand (frames md5-identical to the source); reconnects,
//! replays, and hostile requests and ingest bodies.

#![cfg(all(feature = "origin", feature = "live"))]

#[path = "origin/client.rs"]
mod client;
#[path = "origin/common.rs"]
mod common;
#[path = "origin/smooth.rs"]
mod smooth;
mod support;

// The example's input readers, for the bundled sample's H.264 and AAC.
#[path = "../examples/ssfmux/captions.rs"]
#[allow(dead_code)]
mod captions;
#[path = "../examples/ssfmux/mp4file.rs"]
#[allow(dead_code)]
mod mp4file;
#[path = "../examples/ssfmux/source.rs"]
#[allow(dead_code)]
mod source;
#[path = "../examples/ssfmux/windows_media.rs"]
#[allow(dead_code)]
mod windows_media;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client::{Post, get, post, raw, request};
use common::{
    PLAYER_JS, aac_push, assert_cors, check_presentation, media, package, push, sample,
    sample_inputs, start, wait_for,
};
use ssf::Options;
use ssf::live::{LiveOptions, LivePublisher};
use ssf::origin::{IngestLimits, OriginOptions};

#[test]
fn on_demand_presentations_are_served_as_iis_serves_them() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vod/show");
    package(&dir, "show", &[], &sample_inputs());
    let origin = start(root.path(), OriginOptions::default());
    let addr = origin.local_addr();
    let (m, count) = check_presentation(addr, "/vod/show/show.ism", &dir, "show.ism");
    assert_eq!(m.streams.len(), 2);
    assert_eq!(m.stream("video").bitrates.len(), 3);
    assert_eq!(
        count,
        3 * m.stream("video").times.len() + m.stream("audio").times.len()
    );
    let manifest = get(addr, "/vod/show/show.ism/Manifest");
    assert_eq!(manifest.body, std::fs::read(dir.join("show.ismc")).unwrap());

    // Unknown bit rate, time, stream or presentation: 404 saying which; bad numbers: 400.
    let video = m.stream("video");
    let (b, t) = (video.bitrates[0], video.times[1]);
    for (url, status, says) in [
        (
            format!("/vod/show/show.ism/QualityLevels(1)/Fragments(video={t})"),
            404,
            "1 b/s",
        ),
        (
            format!(
                "/vod/show/show.ism/QualityLevels({b})/Fragments(video={})",
                t + 1
            ),
            404,
            "starts at",
        ),
        (
            format!("/vod/show/show.ism/QualityLevels({b})/Fragments(nope={t})"),
            404,
            "nope",
        ),
        (
            "/vod/show/none.ism/Manifest".to_string(),
            404,
            "no such file",
        ),
        (
            format!("/vod/show/show.ism/QualityLevels({b})/Fragments(video=x)"),
            400,
            "TIME",
        ),
        ("/vod/show/show.ism/Other".to_string(), 404, "nothing here"),
    ] {
        let r = get(addr, &url);
        assert_eq!(r.status, status, "{url}: {}", r.text());
        assert!(r.text().contains(says), "{url}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_cors(&r);
    }
    // Keywords are case-insensitive, as on IIS; a custom attribute part is ignored.
    let r = get(
        addr,
        &format!("/vod/show/show.ism/qualitylevels({b},x=y)/fragments(video={t})"),
    );
    assert_eq!(r.status, 200);

    // HEAD: the same headers, no body. A CORS preflight: 204 with what browsers need.
    let url = format!("/vod/show/show.ism/QualityLevels({b})/Fragments(video={t})");
    let head = request(addr, "HEAD", &url, &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        get(addr, &url).header("content-length")
    );
    let pre = request(
        addr,
        "OPTIONS",
        &url,
        &[
            "Origin: http://player.example",
            "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: range",
        ],
    );
    assert_eq!(pre.status, 204);
    assert_cors(&pre);
    assert!(
        pre.header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
    assert_eq!(pre.header("access-control-allow-headers"), Some("range"));

    // The pages: the list links every presentation; the player loads dash.js from the
    // URL given and plays the manifest.
    let index = get(addr, "/");
    assert_eq!(index.status, 200);
    assert!(
        index.text().contains("href=\"/play/vod/show/show.ism\""),
        "{}",
        index.text()
    );
    let play = get(addr, "/play/vod/show/show.ism");
    assert_eq!(
        play.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(play.text().contains(&format!("src=\"{PLAYER_JS}\"")));
    assert!(play.text().contains("\"/vod/show/show.ism/Manifest\""));
    origin.shutdown().unwrap();
}

#[test]
fn encrypted_presentations_with_captions_are_served() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("drm");
    let captions = support::root().join("tests/data/ttml/captions.ttml");
    package(
        &dir,
        "drm",
        &[
            "--kid",
            "8ba94ade-6eb9-449d-b44f-a5beefaf43b0",
            "--key",
            "00112233445566778899aabbccddeeff",
        ],
        &[sample("sample_360p.h264"), sample("sample.aac"), captions],
    );
    let origin = start(root.path(), OriginOptions::default());
    let (m, _) = check_presentation(origin.local_addr(), "/drm/drm.ism", &dir, "drm.ism");
    assert!(m.protection, "the manifest carries the PlayReady header");
    let text = m.stream("text");
    assert!(
        !text.times.is_empty(),
        "the sparse caption stream is served too"
    );
    origin.shutdown().unwrap();
}

#[test]
fn a_live_push_is_served_live_then_archived_and_plays_on_demand() {
    let root = tempfile::tempdir().unwrap();
    let archive = root.path().join("archive");
    let origin = start(root.path(), OriginOptions::default().archive(&archive));
    let addr = origin.local_addr();
    let video = media("sample_360p.h264");
    let audio = media("sample.aac");
    let options = LiveOptions::default()
        .catch_up_speed(None)
        .finish_timeout(Duration::from_secs(20));
    let mut live = LivePublisher::connect(
        [format!("{}/live/ch.isml", origin.url())],
        Options::default(),
        options,
    )
    .unwrap();
    let v = live
        .add_stream(
            video
                .config
                .clone()
                .bitrate(125_000)
                .timescale(video.timescale),
        )
        .unwrap();
    let a = live
        .add_stream(
            audio
                .config
                .clone()
                .bitrate(96_000)
                .timescale(audio.timescale),
        )
        .unwrap();
    // The first half: the presentation is live.
    push(&mut live, v, &video.samples[..125]);
    push(&mut live, a, &audio.samples[..235]);
    let mut manifest = smooth::Manifest::default();
    wait_for("a live manifest", || {
        let r = get(addr, "/live/ch.isml/Manifest");
        if r.status != 200 {
            return false;
        }
        manifest = smooth::manifest(&r.text());
        manifest.streams.len() == 2
    });
    assert_eq!(manifest.attr("IsLive"), Some("TRUE"));
    assert_eq!(manifest.attr("Duration"), Some("0"));
    assert_eq!(manifest.attr("DVRWindowLength"), Some("1200000000"));
    assert_eq!(manifest.attr("LookAheadFragmentCount"), Some("2"));
    let r = get(addr, "/live/ch.isml/Manifest");
    assert_eq!(r.header("cache-control"), Some("public, max-age=1"));
    let vs = manifest.stream("video");
    let url = format!(
        "/live/ch.isml/QualityLevels(125000)/Fragments(video={})",
        vs.times[0]
    );
    // The first fragment names the next in its tfrf once that one is in.
    let mut next = None;
    wait_for("a look-ahead", || {
        let r = get(addr, &url);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("video/mp4"));
        let moof = ssf::isobmff::reader::boxes(&r.body)
            .next()
            .unwrap()
            .unwrap();
        let traf = moof.find("traf").unwrap().unwrap();
        let tfrf = traf
            .find_uuid(&ssf::isobmff::uuids::TFRF_UUID)
            .unwrap()
            .expect("live fragments carry a tfrf");
        let tfrf = ssf::isobmff::reader::Tfrf::parse(&tfrf).unwrap();
        next = tfrf.entries.first().copied();
        next.is_some()
    });
    assert_eq!(next.map(|e| e.0), Some(vs.times[0] + vs.durations[0]));
    let edge = vs.times.last().unwrap() + vs.durations.last().unwrap() + 1_000_000_000;
    let r = get(
        addr,
        &format!("/live/ch.isml/QualityLevels(125000)/Fragments(video={edge})"),
    );
    assert_eq!(r.status, 404, "not yet received");
    assert!(get(addr, "/").text().contains("live/ch.isml</a> — live"));

    // The rest, then the end of stream: the presentation ends.
    push(&mut live, v, &video.samples[125..]);
    push(&mut live, a, &audio.samples[235..]);
    let reports = live.finish().unwrap();
    assert!(reports.iter().all(|r| r.is_success()), "{reports:?}");
    let r = get(addr, "/live/ch.isml/Manifest");
    let ended = smooth::manifest(&r.text());
    assert_eq!(ended.attr("IsLive"), None, "{}", r.text());
    assert_eq!(ended.stream("video").times.len(), 5);
    let duration: u64 = ended.attr("Duration").unwrap().parse().unwrap();
    assert!(duration >= 99_000_000, "{duration}");
    for (s, bitrate) in [("video", 125_000), ("audio", 96_000)] {
        for &t in &ended.stream(s).times {
            let r = get(
                addr,
                &format!("/live/ch.isml/QualityLevels({bitrate})/Fragments({s}={t})"),
            );
            assert_eq!(r.status, 200);
        }
    }

    // The archive: published by the vod layer, served on demand, decodable.
    let dir = archive.join("live/ch");
    wait_for("the archive", || dir.join("ch.ism").exists());
    let (m, _) = check_presentation(addr, "/archive/live/ch/ch.ism", &dir, "ch.ism");
    assert_eq!(m.stream("video").times, ended.stream("video").times);
    assert_eq!(m.stream("audio").times, ended.stream("audio").times);
    let ismv = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ismv"))
        .unwrap();
    if support::require_tool("ffmpeg", "live archive decode") {
        let archived = support::frame_hashes(&ismv, "v");
        assert_eq!(archived.len(), 250);
        assert_eq!(
            archived,
            support::frame_hashes(&sample("sample_360p.h264"), "v")
        );
    }
    origin.shutdown().unwrap();
}

#[test]
fn a_reconnect_continues_the_stream_and_replays_are_dropped() {
    let root = tempfile::tempdir().unwrap();
    let origin = start(root.path(), OriginOptions::default());
    let addr = origin.local_addr();
    let url = "/live/re.isml/Streams(audio)";
    let (header, fragments) = aac_push(6, 96_000);
    // The probe.
    let probe = raw(
        addr,
        &format!("POST {url} HTTP/1.1\r\nContent-Length: 0"),
        b"",
    );
    assert_eq!(probe.status, 200, "{}", probe.text());
    // The first connection dies after four fragments.
    let mut first = Post::start(addr, url, &[]);
    first.chunk(&header);
    for f in &fragments[..4] {
        first.chunk(f);
    }
    let count = || {
        smooth::manifest(&get(addr, "/live/re.isml/Manifest").text())
            .stream("audio")
            .times
            .len()
    };
    // Four in, the newest two held back for the look-ahead.
    wait_for("four fragments", || {
        get(addr, "/live/re.isml/Manifest").status == 200 && count() == 2
    });
    first.abort();
    // A different header on the same stream is refused, saying why.
    let (other, _) = aac_push(1, 128_000);
    let r = post(addr, url, &other, 1 << 20);
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("differs"), "{}", r.text());
    // The reconnect: the same header, the last two fragments again, then the rest.
    let mut body = header.clone();
    for f in &fragments[2..] {
        body.extend_from_slice(f);
    }
    body.extend_from_slice(&ssf::mux::LIVE_END_OF_STREAM);
    let r = post(addr, url, &body, 4096);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text()
            .contains("2 fragments received, 2 duplicates dropped, stream ended"),
        "{}",
        r.text()
    );
    let m = smooth::manifest(&get(addr, "/live/re.isml/Manifest").text());
    assert_eq!(m.stream("audio").times.len(), 6);
    assert_eq!(m.attr("IsLive"), None, "ended");
    origin.shutdown().unwrap();
}

#[test]
fn hostile_requests_and_ingest_get_4xx_while_other_clients_are_served() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("show");
    package(
        &dir,
        "show",
        &[],
        &[sample("sample_360p.h264"), sample("sample.aac")],
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.ism"),
        std::fs::read(dir.join("show.ism")).unwrap(),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.ism"),
        root.path().join("evil.ism"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
    let options = OriginOptions::default()
        .ingest_idle_timeout(Duration::from_millis(500))
        .ingest_limits(IngestLimits {
            max_header_bytes: 64 << 10,
            max_fragment_bytes: 1 << 20,
        });
    let origin = start(root.path(), options);
    let addr = origin.local_addr();
    let m = smooth::manifest(&get(addr, "/show/show.ism/Manifest").text());
    let v = m.stream("video");
    let fragment = format!(
        "/show/show.ism/QualityLevels({})/Fragments(video={})",
        v.bitrates[0], v.times[0]
    );

    // Another client fetches a fragment over and over meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (stop, served, fragment) = (Arc::clone(&stop), Arc::clone(&served), fragment.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let r = get(addr, &fragment);
                assert_eq!(r.status, 200, "the other client was refused: {}", r.text());
                served.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    // Paths out of the served directory.
    for (path, status) in [
        ("/../show/show.ism/Manifest", 400),
        ("/%2e%2e/show/show.ism/Manifest", 400),
        ("/show/..%2f..%2fetc/passwd.ism/Manifest", 400),
        ("/evil.ism/Manifest", 403),
        ("/out/secret.ism/Manifest", 403),
        ("/.show.ssf-partial/show.ism/Manifest", 404),
        (
            "/show/show.ism/QualityLevels(1)/Fragments(video=99999999999999999999999)",
            400,
        ),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert!(
            !r.text().contains(&root.path().display().to_string()),
            "no server paths in errors"
        );
    }
    // Huge headers, a garbage request line, methods that do not apply.
    let big = format!("X-Big: {}", "a".repeat(100 << 10));
    assert_eq!(request(addr, "GET", &fragment, &[&big]).status, 431);
    assert_eq!(raw(addr, "HELLO", b"").status, 400);
    assert_eq!(request(addr, "DELETE", &fragment, &[]).status, 405);
    assert_eq!(
        raw(
            addr,
            "POST /show/show.ism/Manifest HTTP/1.1\r\nContent-Length: 0",
            b""
        )
        .status,
        405
    );

    let url = "/live/bad.isml/Streams(s)";
    let (header, fragments) = aac_push(3, 96_000);
    // Garbage boxes.
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let r = post(addr, url, &garbage, 512);
    assert_eq!(r.status, 400, "{}", r.text());
    // A 2 GB fragment declared: refused at its header, long before 2 GB are sent.
    let began = Instant::now();
    let mut p = Post::start(addr, "/live/big.isml/Streams(s)", &[]);
    p.chunk(&header);
    let moof_len = u32::from_be_bytes(fragments[0][..4].try_into().unwrap()) as usize;
    p.chunk(&fragments[0][..moof_len]);
    p.chunk(&[0x80, 0, 0, 0, b'm', b'd', b'a', b't']);
    p.chunk(&[0u8; 4096]);
    let r = p.response();
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(began.elapsed() < Duration::from_secs(5));
    // 10 000 tiny chunks carrying a valid stream: taken whole.
    let (tiny_header, tiny_fragments) = aac_push(40, 96_000);
    let mut body = tiny_header;
    for f in &tiny_fragments {
        body.extend_from_slice(f);
    }
    body.extend_from_slice(&ssf::mux::LIVE_END_OF_STREAM);
    let mut p = Post::start(addr, "/live/tiny.isml/Streams(s)", &[]);
    assert!(body.len() > 10_000);
    for i in 0..10_000 {
        p.chunk(&body[i * body.len() / 10_000..(i + 1) * body.len() / 10_000]);
    }
    let r = p.finish();
    assert_eq!(r.status, 200, "{}", r.text());
    let tiny = smooth::manifest(&get(addr, "/live/tiny.isml/Manifest").text());
    assert_eq!(tiny.stream("audio").times.len(), 40);
    // An encoder that goes silent: 408 after the idle timeout.
    let mut p = Post::start(addr, "/live/quiet.isml/Streams(s)", &[]);
    p.chunk(&header);
    let r = p.response();
    assert_eq!(r.status, 408, "{}", r.text());
    // A body ending inside a fragment.
    let mut cut = header.clone();
    cut.extend_from_slice(&fragments[0][..100]);
    let r = post(addr, "/live/cut.isml/Streams(s)", &cut, 1000);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("ended inside"), "{}", r.text());

    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    assert!(
        served.load(Ordering::Relaxed) > 10,
        "the other client was served throughout"
    );
    assert_eq!(get(addr, &fragment).status, 200);
    origin.shutdown().unwrap();
}

#[test]
fn ingest_credentials_are_required_when_set() {
    let root = tempfile::tempdir().unwrap();
    let origin = start(
        root.path(),
        OriginOptions::default().ingest_credentials("enc", "s3cret"),
    );
    let addr = origin.local_addr();
    let probe = |auth: Option<&str>| {
        let mut head = "POST /live/a.isml/Streams(v) HTTP/1.1\r\nContent-Length: 0".to_string();
        if let Some(a) = auth {
            head.push_str(&format!("\r\nAuthorization: Basic {a}"));
        }
        raw(addr, &head, b"")
    };
    let r = probe(None);
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    // "enc:wrong", then "enc:s3cret".
    assert_eq!(probe(Some("ZW5jOndyb25n")).status, 401);
    assert_eq!(probe(Some("ZW5jOnMzY3JldA==")).status, 200);
    origin.shutdown().unwrap();
}

#[test]
fn ffmpeg_pushes_to_the_publishing_point() {
    if !support::require_tool("ffmpeg", "ffmpeg_pushes_to_the_publishing_point") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let origin = start(root.path(), OriginOptions::default());
    let addr = origin.local_addr();
    // An independent encoder: one POST carrying both tracks, its first AAC fragment at
    // a negative time written unsigned (live-ingest.md §6).
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "4"])
            .args([
                "-c:v",
                "libx264",
                "-g",
                "25",
                "-keyint_min",
                "25",
                "-sc_threshold",
                "0",
            ])
            .args([
                "-c:a",
                "aac",
                "-movflags",
                "isml+frag_keyframe",
                "-f",
                "ismv",
            ])
            .arg(format!("{}/ff/enc.isml/Streams(enc1)", origin.url())),
    );
    let r = get(addr, "/ff/enc.isml/Manifest");
    assert_eq!(r.status, 200, "{}", r.text());
    let m = smooth::manifest(&r.text());
    assert_eq!(
        m.attr("IsLive"),
        None,
        "FFmpeg ends with the end-of-stream mfra"
    );
    for s in &m.streams {
        assert!(s.times.len() >= 2, "{}: {:?}", s.name, s.times);
        for &t in &s.times {
            let url = format!(
                "/ff/enc.isml/QualityLevels({})/Fragments({}={t})",
                s.bitrates[0], s.name
            );
            let r = get(addr, &url);
            assert_eq!(r.status, 200, "{url}: {}", r.text());
            let moof = ssf::isobmff::reader::boxes(&r.body)
                .next()
                .unwrap()
                .unwrap();
            assert!(moof.is(b"moof"));
        }
    }
    origin.shutdown().unwrap();
}

#[test]
fn an_event_still_running_is_archived_at_shutdown() {
    let root = tempfile::tempdir().unwrap();
    let archive = root.path().join("archive");
    let origin = start(root.path(), OriginOptions::default().archive(&archive));
    let (header, fragments) = aac_push(3, 96_000);
    let mut body = header;
    for f in &fragments {
        body.extend_from_slice(f);
    }
    // The encoder goes away without its end of stream.
    let r = post(origin.local_addr(), "/ev/run.isml/Streams(a)", &body, 1000);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        !archive.join("ev/run/run.ism").exists(),
        "not before the event ends"
    );
    origin.shutdown().unwrap();
    let ismc = std::fs::read_to_string(archive.join("ev/run/run.ismc")).unwrap();
    assert_eq!(smooth::manifest(&ismc).stream("audio").times.len(), 3);
}
