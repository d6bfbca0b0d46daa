//! Helpers of the origin tests: the sample packaged by `ssfmux`, an origin on a free
//! port, the check that a presentation is served fragment for fragment as its files
//! hold it, and live streams (the sample read through `ssf::input`, or made with the
//! muxer).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ssf::input::InputSample;
use ssf::live::LivePublisher;
use ssf::origin::{Origin, OriginOptions, serve};
use ssf::{Muxer, Options, Sample, StreamConfig};

use crate::client::{self, get};
use crate::{smooth, support};

pub const PLAYER_JS: &str = "/dash/dash.all.min.js";

/// The bundled sample's files.
pub fn sample(file: &str) -> PathBuf {
    support::root().join("sample").join(file)
}

/// Packages `inputs` with `ssfmux` into `dir` as presentation `name`.
pub fn package(dir: &Path, name: &str, extra: &[&str], inputs: &[PathBuf]) {
    support::run(
        Command::new(support::ssfmux())
            .args(["-q", "-n", name, "-o"])
            .arg(dir)
            .args(extra)
            .args(inputs),
    );
}

/// The three video bit rates and the audio of the sample.
pub fn sample_inputs() -> Vec<PathBuf> {
    [
        "sample_360p.h264",
        "sample_540p.h264",
        "sample_720p.h264",
        "sample.aac",
    ]
    .map(sample)
    .to_vec()
}

/// An origin on a free loopback port.
pub fn start(dir: &Path, options: OriginOptions) -> Origin {
    let options = options
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .player_js(PLAYER_JS);
    serve(dir, options).unwrap()
}

/// The headers every answer carries.
pub fn assert_cors(r: &client::Response) {
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{r:?}");
}

/// Fetches the manifest at `base` (`/PATH/NAME.ism`) and every fragment it lists for
/// every QualityLevel, and checks each is exactly the file's `moof` + `mdat` at that
/// `tfra` time (files found through the `.ism` in `dir`). Returns the manifest and the
/// fragment count.
pub fn check_presentation(
    addr: SocketAddr,
    base: &str,
    dir: &Path,
    ism_name: &str,
) -> (smooth::Manifest, usize) {
    let r = get(addr, &format!("{base}/Manifest"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/xml"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=10"));
    assert_cors(&r);
    let manifest = smooth::manifest(&r.text());
    let tracks = smooth::ism(&std::fs::read_to_string(dir.join(ism_name)).unwrap());
    let mut count = 0;
    for s in &manifest.streams {
        assert!(!s.times.is_empty(), "{} lists no fragment", s.name);
        for &bitrate in &s.bitrates {
            let track = tracks
                .iter()
                .find(|t| t.name == s.name && t.bitrate == bitrate)
                .unwrap_or_else(|| panic!("{} at {bitrate} not in the .ism", s.name));
            let file = std::fs::read(dir.join(&track.src)).unwrap();
            for &t in &s.times {
                let url = format!("{base}/QualityLevels({bitrate})/Fragments({}={t})", s.name);
                let r = get(addr, &url);
                assert_eq!(r.status, 200, "{url}: {}", r.text());
                let kind = if s.kind == "audio" {
                    "audio/mp4"
                } else {
                    "video/mp4"
                };
                assert_eq!(r.header("content-type"), Some(kind), "{url}");
                assert_eq!(
                    r.header("cache-control"),
                    Some("public, max-age=31536000, immutable")
                );
                assert_cors(&r);
                assert!(
                    r.body == smooth::fragment_at(&file, track.track_id, t),
                    "{url}: not the file's moof+mdat"
                );
                count += 1;
            }
        }
    }
    (manifest, count)
}

/// A stream of the sample read into memory.
pub struct Media {
    pub config: StreamConfig,
    pub timescale: u32,
    pub samples: Vec<InputSample>,
}

/// The bundled sample's `file`, read through `ssf::input`.
pub fn media(file: &str) -> Media {
    let mut set = ssf::input::InputSet::new();
    set.add(ssf::input::open(sample(file)).unwrap(), &Default::default())
        .unwrap();
    let timescale = set.streams().next().unwrap().timescale;
    let config = set.config(0, None).unwrap();
    let mut samples = Vec::new();
    while let Some((_, n)) = set.next_indexed().unwrap() {
        samples.push(n);
    }
    Media {
        config,
        timescale,
        samples,
    }
}

pub fn push(live: &mut LivePublisher, id: ssf::StreamId, samples: &[InputSample]) {
    for n in samples {
        live.push(id, n.to_sample()).unwrap();
    }
}

/// Polls `what` until it holds (20 s at most).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A live AAC stream made with the muxer: header, fragments (of ten frames), and the
/// same with another bit rate (another header).
pub fn aac_push(count: usize, bitrate: u32) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut mux = Muxer::new(Options::default()).unwrap();
    let id = mux
        .add_stream(
            StreamConfig::aac(&[0x11, 0x90])
                .unwrap()
                .bitrate(bitrate)
                .timescale(48_000),
        )
        .unwrap();
    let header = mux.live_header(&[id]).unwrap().to_vec();
    let mut fragments = Vec::new();
    for f in 0..count as u64 {
        for i in 0..10 {
            let n = f * 10 + i;
            mux.push(
                id,
                Sample::new(vec![(n % 200) as u8; 64], n * 1024).duration(1024),
            )
            .unwrap();
        }
        fragments.push(mux.flush(id).unwrap().unwrap().to_vec().unwrap());
    }
    (header, fragments)
}
