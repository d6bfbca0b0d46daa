//! Helpers shared by the integration tests: finding outside tools, running the example
//! CLI, and ffmpeg's frame hashes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when running under CI, where a missing tool is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `tool` runs. Outside CI a missing tool prints one line and the test returns;
/// in CI it panics.
pub fn require_tool(tool: &str, test: &str) -> bool {
    // openssl takes `version`; the FFmpeg tools take `-version`.
    let probe = if tool == "openssl" {
        "version"
    } else {
        "-version"
    };
    let ok = Command::new(tool)
        .arg(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    if in_ci() {
        panic!("{test}: `{tool}` is required in CI but was not found (.ci/run installs it)");
    }
    eprintln!("skipped {test}: `{tool}` not found (install ffmpeg to run it)");
    false
}

/// The `ssfmux` example binary that `cargo test` builds beside the test binaries.
pub fn ssfmux() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile> directory");
    let bin = profile_dir
        .join("examples")
        .join(format!("ssfmux{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} missing: run through `cargo test`, which builds examples",
        bin.display()
    );
    bin
}

/// Runs a command, panicking with its stderr when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The per-frame hashes of `ffmpeg -f framemd5` for the first stream of `kind` ("v" or
/// "a"), in output order. Timestamps are left out: the source elementary stream and the
/// packaged file may count them differently; the decoded pictures must not differ.
pub fn frame_hashes(input: &Path, kind: &str) -> Vec<String> {
    let out = run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(input)
        .args(["-map", &format!("0:{kind}:0"), "-f", "framemd5", "-"]));
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .collect()
}

/// The md5 of all decoded PCM of the first audio stream.
pub fn pcm_md5(input: &Path) -> String {
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(input)
        .args(["-map", "0:a:0", "-f", "md5", "-"]))
    .trim()
    .to_string()
}

/// `ffprobe` reads the whole file (every packet) without an error.
pub fn ffprobe_clean(input: &Path) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_packets", "-show_streams"])
        .arg(input)
        .output()
        .expect("run ffprobe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "ffprobe reports problems in {}: {stderr}",
        input.display()
    );
}

/// The shared sample media directory (`../shared/media`), or `None` with one printed line
/// outside CI when it is missing (under CI a missing directory fails the test).
pub fn shared_media(test: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/media");
    if dir.is_dir() {
        return Some(dir);
    }
    if in_ci() {
        panic!("{test}: {} is required in CI but is missing", dir.display());
    }
    eprintln!(
        "skipped {test}: {} not found (shared test media)",
        dir.display()
    );
    None
}

/// Every sample of track `track_id` in a fragmented file, in order: each `traf` of that
/// track, its `trun` sizes read from `data_offset` (relative to the `moof`, as neither our
/// files nor FFmpeg's set a base data offset).
pub fn track_samples(file: &[u8], track_id: u32) -> Vec<Vec<u8>> {
    use ssf::isobmff::reader::{self, Tfhd, Trun};
    let mut out = Vec::new();
    for moof in reader::boxes(file).map(|b| b.unwrap()) {
        if !moof.is(b"moof") {
            continue;
        }
        let start = (moof.payload_offset() - 8) as usize;
        for traf in moof.find_all("traf").unwrap() {
            let tfhd = Tfhd::parse(&traf.find("tfhd").unwrap().unwrap()).unwrap();
            if tfhd.track_id != track_id {
                continue;
            }
            for trun in traf.find_all("trun").unwrap() {
                let trun = Trun::parse(&trun).unwrap();
                let mut at = start + trun.data_offset.unwrap() as usize;
                for s in &trun.samples {
                    let size = s.size.or(tfhd.default_sample_size).unwrap() as usize;
                    out.push(file[at..at + size].to_vec());
                    at += size;
                }
            }
        }
    }
    out
}
