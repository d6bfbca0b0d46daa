//! `ssf::origin`'s publishing point over real HTTP on 127.0.0.1: a live push by
//! `LivePublisher` served live (tfrf look-ahead), ended, then archived and played back on
//! demand (frames md5-identical to the source); a reconnect whose replay is de-duplicated
//! and a changed header refused; FFmpeg's own push; an event still running archived at
//! shutdown.

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

use std::process::Command;
use std::time::Duration;

use client::{Post, get, post, raw};
use common::{aac_push, check_presentation, media, push, sample, start, wait_for};
use ssf::Options;
use ssf::live::{LiveOptions, LivePublisher};
use ssf::origin::OriginOptions;

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
    // FragmentInfo (dash.js follows the live edge with it): the moof, with its tfrf.
    let info = get(addr, &url.replace("Fragments(", "FragmentInfo("));
    assert_eq!(info.status, 200);
    let moof = ssf::isobmff::reader::boxes(&info.body)
        .next()
        .unwrap()
        .unwrap();
    assert!(moof.is(b"moof") && moof.data.len() == info.body.len());
    let traf = moof.find("traf").unwrap().unwrap();
    assert!(
        traf.find_uuid(&ssf::isobmff::uuids::TFRF_UUID)
            .unwrap()
            .is_some()
    );
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
    // Four in, all listed.
    wait_for("four fragments", || {
        get(addr, "/live/re.isml/Manifest").status == 200 && count() == 4
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
