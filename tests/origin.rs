//! `ssf::origin` over real HTTP on 127.0.0.1: on-demand presentations packaged by the
//! `ssfmux` CLI (clear, encrypted, with TTML captions) served fragment by fragment and
//! compared with the files' own bytes, with their headers; hostile requests and ingest
//! bodies answered 4xx while another client is served; ingest credentials. The live side
//! is in `origin_live.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(all(feature = "origin", feature = "live"))]

#[path = "origin/client.rs"]
mod client;
#[path = "origin/common.rs"]
mod common;
#[path = "origin/smooth.rs"]
mod smooth;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client::{Post, get, post, raw, request};
use common::{
    PLAYER_JS, aac_push, assert_cors, check_presentation, package, sample, sample_inputs, start,
};
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
    // FragmentInfo: the moof alone.
    let whole = get(
        addr,
        &format!("/vod/show/show.ism/QualityLevels({b})/Fragments(video={t})"),
    );
    let info = get(
        addr,
        &format!("/vod/show/show.ism/QualityLevels({b})/FragmentInfo(video={t})"),
    );
    assert_eq!(info.status, 200);
    let moof = ssf::isobmff::reader::boxes(&whole.body)
        .next()
        .unwrap()
        .unwrap();
    assert!(moof.is(b"moof"));
    assert_eq!(info.body, moof.data);

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
    // A header change on reconnect.
    let mut first = header.clone();
    first.extend_from_slice(&fragments[0]);
    assert_eq!(
        post(addr, "/live/hc.isml/Streams(s)", &first, 4096).status,
        200
    );
    let (changed, _) = aac_push(1, 128_000);
    let r = post(addr, "/live/hc.isml/Streams(s)", &changed, 4096);
    assert_eq!(r.status, 409, "{}", r.text());
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
fn a_shutdown_handle_stops_a_waiting_origin_and_ports_are_not_shared() {
    let root = tempfile::tempdir().unwrap();
    let origin = start(root.path(), OriginOptions::default());
    let addr = origin.local_addr();
    assert!(addr.ip().is_loopback());
    let taken = ssf::origin::serve(root.path(), OriginOptions::default().listen(addr));
    assert!(taken.unwrap_err().to_string().starts_with("bind "));
    let handle = origin.shutdown_handle();
    let waiting = std::thread::spawn(move || origin.wait());
    assert_eq!(get(addr, "/").status, 200);
    handle.shutdown();
    waiting.join().unwrap().unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "no longer listening"
    );
}
