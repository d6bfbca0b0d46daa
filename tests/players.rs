//! Real Smooth Streaming clients against `ssfmux serve`: GStreamer's `mssdemux` decodes
//! the bundled sample at each video level, VC-1 + WMA Pro from the shared media and a
//! presentation with captions, frame for frame as FFmpeg decodes the sources (ffmpeg's
//! `framemd5` of what GStreamer decoded against that of the source elementary stream);
//! dash.js in headless Chromium plays the sample and the captioned presentation to the
//! end; a live push by `ssfmux live` plays in GStreamer while it runs and, archived,
//! on demand afterwards.
//!
//! Needs GStreamer (`gst-launch-1.0` with `mssdemux`, the libav decoders), ffmpeg,
//! node with `tests/players/node_modules` (`npm ci --prefix tests/players`) and Chromium;
//! `.ci/run` installs them. Outside CI a missing one skips its test with one line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(all(feature = "origin", feature = "live"))]

#[path = "players/dash.rs"]
mod dash;
#[path = "players/gst.rs"]
mod gst;
mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dash::{assert_played_to_the_end, browser, dashjs_play};
use gst::{
    Gst, assert_frames, framemd5, picture_size, source_frames, source_pcm, video_levels,
    wait_with_limit,
};
use support::{require_tool, require_tool_with, root, run, shared_media, ssfmux};

/// `ssfmux serve DIR` on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(ssfmux())
            .arg("serve")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Drained to the end on a thread: the server prints a few lines more, and a
        // closed pipe would fail them.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("ssfmux serve prints where it listens");
        // "Serving DIR on http://127.0.0.1:PORT/"
        let url = first
            .rsplit(' ')
            .next()
            .and_then(|u| u.strip_suffix('/'))
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line of ssfmux serve: {first:?}"))
            .to_string();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether GStreamer with `mssdemux` is here (a skip line, or a panic under CI, if not).
fn gstreamer(test: &str) -> bool {
    require_tool("ffmpeg", test)
        && require_tool_with("gst-launch-1.0", "--version", test)
        && require_tool_with("gst-inspect-1.0", "mssdemux", test)
}

/// The bundled sample packaged by `ssfmux` (no inputs) into `dir/sample`.
fn package_sample(dir: &Path) {
    run(Command::new(ssfmux()).arg("-o").arg(dir.join("sample")));
}

/// Packages `inputs` into `dir/NAME`.
fn package(dir: &Path, name: &str, inputs: &[PathBuf]) {
    run(Command::new(ssfmux())
        .arg("-o")
        .arg(dir.join(name))
        .args(["-n", name])
        .args(inputs));
}

#[test]
fn gstreamer_plays_each_level_of_the_sample_as_ffmpeg_decodes_its_sources() {
    const TEST: &str = "gstreamer_plays_each_level_of_the_sample_as_ffmpeg_decodes_its_sources";
    if !gstreamer(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package_sample(dir.path());
    let server = Server::start(dir.path(), &[]);
    let manifest = format!("{}/sample/sample.ism/Manifest", server.url);
    let levels = video_levels(&fs::read_to_string(dir.path().join("sample/sample.ismc")).unwrap());
    assert_eq!(levels.len(), 3, "the sample has three video levels");
    let sample = root().join("sample");
    let pcm = source_pcm(&sample.join("sample.aac"));
    for (bitrate, height) in levels {
        let audio = dir.path().join(format!("audio_{bitrate}.f32"));
        let source = sample.join(format!("sample_{height}p.h264"));
        let frames = Gst {
            speed: Some(bitrate.div_ceil(1000)),
            audio: Some(audio.clone()),
            real_time: false,
        }
        .play(&manifest, picture_size(&source));
        assert_frames(
            &frames,
            &source_frames(&source),
            &format!("level {bitrate} ({height}p)"),
        );
        let got = fs::read(&audio).unwrap();
        assert!(
            got == pcm,
            "level {bitrate}: GStreamer decoded {} bytes of audio, ffmpeg {} from sample.aac, or they differ",
            got.len(),
            pcm.len()
        );
    }
}

#[test]
fn gstreamer_plays_vc1_and_wma_pro_as_ffmpeg_decodes_them() {
    const TEST: &str = "gstreamer_plays_vc1_and_wma_pro_as_ffmpeg_decodes_them";
    let Some(media) = shared_media(TEST) else {
        return;
    };
    if !gstreamer(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (video, wma) = (media.join("vc1_ap.vc1"), media.join("wmapro_44k.wma"));
    package(dir.path(), "wm", &[video.clone(), wma.clone()]);
    let server = Server::start(dir.path(), &[]);
    let audio = dir.path().join("audio.f32");
    let frames = Gst {
        speed: None,
        audio: Some(audio.clone()),
        real_time: false,
    }
    .play(
        &format!("{}/wm/wm.ism/Manifest", server.url),
        picture_size(&video),
    );
    let want = source_frames(&video);
    assert_eq!(want.len(), 120, "the VC-1 sample has 120 pictures");
    assert_frames(&frames, &want, "VC-1");
    let (got, pcm) = (fs::read(&audio).unwrap(), source_pcm(&wma));
    assert!(
        got == pcm,
        "WMA Pro: GStreamer decoded {} samples, ffmpeg {} from the .wma, or they differ",
        got.len() / 8,
        pcm.len() / 8
    );
}

#[test]
fn gstreamer_plays_a_presentation_with_captions() {
    const TEST: &str = "gstreamer_plays_a_presentation_with_captions";
    if !gstreamer(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("sample");
    let video = sample.join("sample_360p.h264");
    package(
        dir.path(),
        "cc",
        &[
            video.clone(),
            sample.join("sample.aac"),
            root().join("tests/data/ttml/captions.ttml"),
        ],
    );
    let server = Server::start(dir.path(), &[]);
    // mssdemux plays video and audio StreamIndexes and skips text ones; the captions
    // must not disturb the rest (dash.js shows them: see below).
    let frames = Gst {
        speed: None,
        audio: None,
        real_time: false,
    }
    .play(
        &format!("{}/cc/cc.ism/Manifest", server.url),
        picture_size(&video),
    );
    assert_frames(&frames, &source_frames(&video), "video beside captions");
}

#[test]
fn dashjs_in_chromium_plays_the_sample_and_shows_captions() {
    const TEST: &str = "dashjs_in_chromium_plays_the_sample_and_shows_captions";
    let Some((chromium, modules)) = browser(TEST) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    package_sample(dir.path());
    let sample = root().join("sample");
    package(
        dir.path(),
        "cc",
        &[
            sample.join("sample_360p.h264"),
            sample.join("sample.aac"),
            root().join("tests/data/ttml/captions.ttml"),
        ],
    );
    // dash.js served by the origin itself, from the npm-installed copy.
    fs::create_dir(dir.path().join("dash")).unwrap();
    for file in ["dash.all.min.js", "dash.mss.min.js"] {
        fs::copy(
            modules.join("dashjs/dist").join(file),
            dir.path().join("dash").join(file),
        )
        .unwrap();
    }
    let server = Server::start(dir.path(), &["--player-js", "/dash/dash.all.min.js"]);

    let report = dashjs_play(&chromium, &server, "sample/sample.ism");
    assert_played_to_the_end(&report, "sample", &["video", "audio"]);

    let report = dashjs_play(&chromium, &server, "cc/cc.ism");
    assert_played_to_the_end(&report, "cc", &["video", "audio", "captions"]);
    // The captions file's four lines, rendered by dash.js on the page.
    for line in [
        "A test pattern,",
        "and the game of life.",
        "Captions travel in their own sparse track.",
        "The end.",
    ] {
        assert!(
            report.captions().iter().any(|c| c.contains(line)),
            "caption {line:?} never shown: {}",
            report.0
        );
    }
}

/// The body of `GET url` (`http://127.0.0.1:PORT/PATH`) when it answers 200.
fn get(url: &str) -> Option<String> {
    use std::io::{Read, Write};
    let (host, path) = url.strip_prefix("http://")?.split_once('/')?;
    let mut s = std::net::TcpStream::connect(host).ok()?;
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    (head.split(' ').nth(1) == Some("200")).then(|| body.to_string())
}

/// Polls until `done` (60 s at most).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_live_push_plays_in_gstreamer_while_it_runs_and_archived_afterwards() {
    const TEST: &str = "a_live_push_plays_in_gstreamer_while_it_runs_and_archived_afterwards";
    if !gstreamer(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let server = Server::start(dir.path(), &["--archive", archive.to_str().unwrap()]);
    let sample = root().join("sample");
    let (video, audio) = (sample.join("sample_360p.h264"), sample.join("sample.aac"));
    // Two passes of the 10 s sample, in real time.
    let push = Command::new(ssfmux())
        .args(["live", "--loop", "2", "--to"])
        .arg(format!("{}/live/ev.isml", server.url))
        .args([&video, &audio])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let live = format!("{}/live/ev.isml/Manifest", server.url);
    // A viewer joins once four video fragments are listed: mssdemux starts three behind
    // the newest, as a live player does. (Joining at the very first fragment, it reaches
    // the edge before the second exists, re-reads a manifest with nothing new and, by
    // mssdemux's design, starts over from the first fragment.)
    wait_for("four live fragments", || {
        get(&live).is_some_and(|m| {
            m.split("<StreamIndex")
                .nth(1)
                .is_some_and(|v| v.matches("<c ").count() >= 4)
        })
    });

    // It watches in real time until the push ends.
    let (gst, ffmpeg) = Gst {
        speed: None,
        audio: None,
        real_time: true,
    }
    .spawn(&live, picture_size(&video));
    let pushed = wait_with_limit(push, Duration::from_secs(90), "ssfmux live");
    assert!(
        pushed.status.success(),
        "ssfmux live: {}\n{}",
        pushed.status,
        String::from_utf8_lossy(&pushed.stderr)
    );
    // The viewer stops (gst-launch-1.0 stops its pipeline on SIGINT); a picture cut
    // short by that is not hashed.
    run(Command::new("kill").args(["-INT", &gst.id().to_string()]));
    let gst = wait_with_limit(gst, Duration::from_secs(30), "gst-launch-1.0");
    let frames = ffmpeg.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&gst.stderr);
    assert!(!stderr.contains("ERROR"), "the live viewer: {stderr}");
    let seen = framemd5(&frames.stdout);
    let one_pass = source_frames(&video);
    let two_passes: Vec<String> = one_pass.iter().chain(&one_pass).cloned().collect();
    assert!(
        seen.len() >= 100,
        "the live viewer decoded {} pictures in the push's 20 s",
        seen.len()
    );
    // What it saw is a stretch of the pushed pictures, in order, nothing repeated.
    let start = two_passes
        .iter()
        .position(|h| Some(h) == seen.first())
        .expect("the live viewer's first picture is one of the source's");
    assert_frames(
        &seen,
        two_passes.get(start..start + seen.len()).unwrap_or(&[]),
        &format!("live, from pushed picture {start}"),
    );

    // The event, archived, plays on demand: both passes, picture for picture.
    let ism = archive.join("live/ev/ev.ism");
    wait_for("the archive", || ism.exists());
    let pcm = dir.path().join("archive.f32");
    let archived = Gst {
        speed: None,
        audio: Some(pcm.clone()),
        real_time: false,
    }
    .play(
        &format!("{}/archive/live/ev/ev.ism/Manifest", server.url),
        picture_size(&video),
    );
    assert_frames(&archived, &two_passes, "archive");
    let (got, one) = (fs::metadata(&pcm).unwrap().len(), source_pcm(&audio).len());
    assert_eq!(
        got,
        2 * one as u64,
        "archive: decoded audio bytes, against two passes of sample.aac"
    );
}
