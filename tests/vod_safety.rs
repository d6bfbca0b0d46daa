//! A presentation is never damaged by a later run into its directory that fails: the
//! failure is found at the first bad fragment, the old files stay byte-identical, and
//! nothing extra is left behind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{require_tool, ssfmux};

/// Makes a 6 s H.264 clip of `fps` frames per second with a keyframe every `gop` frames.
fn clip(dir: &Path, name: &str, fps: u32, gop: u32, size: &str) -> PathBuf {
    let path = dir.join(name);
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
            .args(["-t", "6", "-i", &format!("testsrc2=size={size}:rate={fps}")])
            .args(["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2"])
            .args(["-g", &gop.to_string(), "-keyint_min", &gop.to_string()])
            .args([
                "-sc_threshold",
                "0",
                "-bsf:v",
                "h264_mp4toannexb",
                "-f",
                "h264",
            ])
            .arg(&path),
    );
    path
}

/// Every file under `dir` (recursively, hidden ones included) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

fn package(out: &Path, inputs: &[&Path], extra: &[&str]) -> Output {
    Command::new(ssfmux())
        .args(["-q", "-n", "show", "-o"])
        .arg(out)
        .args(extra)
        .args(inputs)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_failed_second_run_leaves_the_first_presentation_untouched() {
    if !require_tool(
        "ffmpeg",
        "a_failed_second_run_leaves_the_first_presentation_untouched",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let high = clip(&media, "high.h264", 25, 50, "320x180");
    let low = clip(&media, "low.h264", 25, 50, "160x90");
    let half_rate = clip(&media, "half.h264", 25, 25, "160x90");
    let misaligned = clip(&media, "gop60.h264", 25, 60, "160x90");
    let root = tmp.path().join("site");
    let out = root.join("show");

    let first = package(&out, &[&high, &low], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = snapshot(&root);
    assert_eq!(before.len(), 4, "{:?}", before.keys());

    // GOPs of 2.4 s against 2 s: refused at the first fragment, naming both inputs.
    let failed = package(&out, &[&high, &misaligned], &[]);
    assert!(!failed.status.success());
    let e = stderr(&failed);
    for needle in [
        "high.h264",
        "gop60.h264",
        "fragment 0",
        "not aligned",
        "2.400 s",
    ] {
        assert!(e.contains(needle), "{needle:?} missing from: {e}");
    }
    assert_eq!(snapshot(&root), before, "the first presentation changed");

    // The same input twice: refused before anything is written, saying which.
    let failed = package(&out, &[&high, &high], &[]);
    assert!(!failed.status.success());
    let e = stderr(&failed);
    assert!(e.contains("high.h264") && e.contains("given twice"), "{e}");
    assert!(e.contains("inputs 1 and 2"), "{e}");
    assert_eq!(snapshot(&root), before);

    // A half-rate bottom rung whose keyframes fall at the same times is legal.
    let half = package(&out, &[&high, &half_rate], &[]);
    assert!(half.status.success(), "{}", stderr(&half));
    let after = snapshot(&root);
    assert_eq!(after.len(), 4, "replaced whole: {:?}", after.keys());
    assert_ne!(after, before);
}

#[test]
fn an_interrupted_run_is_recovered_or_discarded_never_overwritten() {
    if !require_tool(
        "ffmpeg",
        "an_interrupted_run_is_recovered_or_discarded_never_overwritten",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let video = clip(tmp.path(), "v.h264", 25, 50, "160x90");
    let out = tmp.path().join("show");
    let partial = tmp.path().join(".show.ssf-partial");
    // What a killed run leaves: the partial with its journal and staged media.
    {
        let mut vod =
            ssf::VodWriter::create(&out, "show", ssf::Options::default()).unwrap_or_else(|e| {
                panic!("{e}");
            });
        let a = vod
            .add_stream(
                ssf::StreamConfig::aac(&[0x11, 0x90])
                    .unwrap()
                    .timescale(48_000),
            )
            .unwrap();
        for n in 0..300u64 {
            vod.push(
                a,
                ssf::Sample::new(vec![0x21u8; 50], n * 1024).duration(1024),
            )
            .unwrap();
        }
    }
    assert!(partial.is_dir());

    let blocked = package(&out, &[&video], &[]);
    assert!(!blocked.status.success());
    let e = stderr(&blocked);
    assert!(e.contains("interrupted") && e.contains("recover"), "{e}");
    assert!(partial.is_dir(), "the interrupted run's files are kept");

    let forced = package(&out, &[&video], &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(stderr(&forced).contains("discarded"), "{}", stderr(&forced));
    assert!(!partial.exists());
    assert!(out.join("show.ism").is_file());
}

#[test]
fn a_directory_holding_other_files_is_never_replaced() {
    if !require_tool(
        "ffmpeg",
        "a_directory_holding_other_files_is_never_replaced",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let video = clip(tmp.path(), "v.h264", 25, 50, "160x90");
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let refused = package(&out, &[&video], &[]);
    assert!(!refused.status.success());
    let e = stderr(&refused);
    assert!(
        e.contains("notes.txt") && e.contains("owns its directory"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no partial left: {names:?}");
}
