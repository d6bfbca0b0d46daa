//! Live end-to-end latency through `ssf::origin`: from the push that completes a
//! fragment (the encoder hands the publisher the first picture of the next one) to the
//! moment a client, polling the live manifest over HTTP, has that fragment in hand.
//!
//! The bundled sample's 360p video and its audio are pushed in real time, looped, by a
//! `LivePublisher` to an origin on 127.0.0.1 (both in this process, as an encoder and an
//! origin on one machine would be, over real loopback TCP). A client thread polls the
//! live manifest every millisecond; when a new video fragment is listed it GETs it and
//! notes the time the answer is complete. The latency of a fragment is that time minus
//! the time of the push that closed it. Reported: median, min and max over the run, and
//! the publisher's own push-to-socket figures.
//!
//! Run: `cargo bench --bench origin_latency [-- SECONDS]` (default 30 s of media).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssf::Options;
use ssf::input::{InputSample, InputSet};
use ssf::live::{LiveOptions, LivePublisher};
use ssf::origin::{OriginOptions, serve};

const VIDEO_BITRATE: u32 = 125_000;

struct Media {
    config: ssf::StreamConfig,
    timescale: u32,
    samples: Vec<InputSample>,
    length: u64,
}

fn load(path: &Path) -> Media {
    let mut set = InputSet::new();
    set.add(ssf::input::open(path).unwrap(), &Default::default())
        .unwrap();
    let timescale = set.streams().next().unwrap().timescale;
    let config = set.config(0, None).unwrap();
    let mut samples = Vec::new();
    let mut length = 0;
    while let Some((_, s)) = set.next_indexed().unwrap() {
        length = length.max(s.dts + s.duration);
        samples.push(s);
    }
    Media {
        config,
        timescale,
        samples,
        length,
    }
}

/// `GET path` on a fresh connection: the status and body.
fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |i| i + 4);
    let status = String::from_utf8_lossy(&answer[..head_end])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer[head_end..].to_vec())
}

/// The start times of the video fragments a live manifest lists.
fn video_times(manifest: &str) -> Vec<u64> {
    let Some(video) = manifest
        .split("<StreamIndex")
        .find(|s| s.contains("Type=\"video\""))
    else {
        return Vec::new();
    };
    let attr = |c: &str, name: &str| -> Option<u64> {
        let at = c.find(&format!("{name}=\""))? + name.len() + 2;
        c[at..].split('"').next()?.parse().ok()
    };
    let mut times = Vec::new();
    let mut t = 0;
    for c in video.split("<c ").skip(1) {
        t = attr(c, "t").unwrap_or(t);
        times.push(t);
        t += attr(c, "d").unwrap_or(0);
    }
    times
}

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    let video = load(&sample.join("sample_360p.h264"));
    let audio = load(&sample.join("sample.aac"));
    let loops = seconds.div_ceil(10).max(1);

    let dir = tempfile::tempdir().unwrap();
    let origin = serve(
        dir.path(),
        OriginOptions::default().listen(SocketAddr::from(([127, 0, 0, 1], 0))),
    )
    .unwrap();
    let addr = origin.local_addr();
    let mut live = LivePublisher::connect(
        [format!("{}/live/lat.isml", origin.url())],
        Options::default(),
        LiveOptions::default(),
    )
    .unwrap();
    let v = live
        .add_stream(
            video
                .config
                .clone()
                .bitrate(VIDEO_BITRATE)
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

    // Every sample of every loop, in presentation order of their decode times (seconds).
    let mut schedule: Vec<(f64, bool, InputSample)> = Vec::new();
    for l in 0..loops {
        for (media, is_video) in [(&video, true), (&audio, false)] {
            for s in &media.samples {
                let mut s = s.clone();
                s.dts += l * media.length;
                let at = s.dts as f64 / f64::from(media.timescale);
                schedule.push((at, is_video, s));
            }
        }
    }
    schedule.sort_by(|x, y| x.0.total_cmp(&y.0));

    // closed[k]: when the push that completed video fragment k was made.
    let closed: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let served: Arc<Mutex<BTreeMap<usize, Instant>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let client = {
        let (served, done) = (served.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::SeqCst) {
                let (status, body) = get(addr, "/live/lat.isml/Manifest");
                if status == 200 {
                    let times = video_times(&String::from_utf8_lossy(&body));
                    while seen < times.len() {
                        let path = format!(
                            "/live/lat.isml/QualityLevels({VIDEO_BITRATE})/Fragments(video={})",
                            times[seen]
                        );
                        let (status, _) = get(addr, &path);
                        assert_eq!(status, 200, "{path}");
                        served.lock().unwrap().insert(seen, Instant::now());
                        seen += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    let start = Instant::now();
    let mut first_sync = true;
    for (at, is_video, s) in schedule {
        let due = start + Duration::from_secs_f64(at);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let closes = is_video && s.sync && !std::mem::take(&mut first_sync);
        live.push(if is_video { v } else { a }, s.into_sample())
            .unwrap();
        if closes {
            closed.lock().unwrap().push(Instant::now());
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    done.store(true, Ordering::SeqCst);
    client.join().unwrap();
    let stats = live.stats();
    let reports = live.finish().unwrap();
    assert!(reports.iter().all(|r| r.is_success()), "{reports:?}");
    origin.shutdown().unwrap();

    let closed = closed.lock().unwrap();
    let served = served.lock().unwrap();
    let mut ms: Vec<f64> = closed
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let s = served.get(&k)?;
            Some(s.saturating_duration_since(*c).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    assert!(!ms.is_empty(), "no fragment measured");
    println!(
        "live end-to-end latency (push completing a fragment -> fragment in a client's hands \
         through the origin), {} video fragments of 2 s, {} s of media pushed in real time:",
        ms.len(),
        loops * 10
    );
    println!(
        "  median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1]
    );
    for s in stats {
        println!(
            "  publisher {}: push-to-socket latency mean {:.1} ms, max {:.1} ms",
            s.url,
            s.latency_mean().as_secs_f64() * 1000.0,
            s.latency_max.as_secs_f64() * 1000.0
        );
    }
}
