//! Raw H.264 packaged from a regular file leaves its large access units in the file (the
//! writer copies each NAL unit in the kernel behind its length): the pictures decode
//! exactly as the source's, and memory stays flat however long the stream. The stream is
//! the 720p sample with a filler NAL unit after every slice, so that every access unit
//! is over 64 KiB, well above the size from which units stay in the file. Not timed: only
//! each child's peak resident set is measured, against the same stream read from a pipe
//! (held in memory).

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{frame_hashes, require_tool, require_tool_with, root, run, ssfmux};

/// Bytes of filler data after each slice: with the slice, over 64 KiB per picture.
const FILLER: usize = 65_600;

/// The sample's NAL units with a filler NAL unit (type 12: 0xFF bytes, then the stop
/// bit) after each slice, repeated `times` times (each copy starts with an IDR picture).
fn padded_stream(times: usize) -> Vec<u8> {
    let source = std::fs::read(root().join("sample/sample_720p.h264")).unwrap();
    let mut once = Vec::new();
    for nal in ssf::codec::bitstream::split_annexb(&source) {
        once.extend_from_slice(&[0, 0, 0, 1]);
        once.extend_from_slice(nal);
        if matches!(nal.first().map(|b| b & 0x1f), Some(1 | 5)) {
            once.extend_from_slice(&[0, 0, 0, 1, 0x0c]);
            once.resize(once.len() + FILLER, 0xff);
            once.push(0x80);
        }
    }
    once.repeat(times)
}

/// Packages `input` into `out`; returns the child's peak RSS in KiB.
fn package(input: &Path, out: &Path) -> u64 {
    let report = out.with_extension("rss");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(ssfmux())
        .args(["-q", "-n", "p", "-o"])
        .arg(out)
        .arg(input)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ssfmux failed on {}", input.display());
    std::fs::read_to_string(&report)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn ismv_in(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ismv"))
        .expect("an .ismv")
}

#[test]
fn large_pictures_left_in_the_file_decode_exactly_in_flat_memory() {
    if !require_tool_with("/usr/bin/time", "--version", "raw H.264 in flat memory")
        || !require_tool("ffmpeg", "raw H.264 left in its file")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut peaks = Vec::new();
    for times in [1, 6] {
        let input = dir.path().join(format!("padded_{times}.h264"));
        std::fs::write(&input, padded_stream(times)).unwrap();
        let out = dir.path().join(format!("out_{times}"));
        peaks.push(package(&input, &out));
        if times == 1 {
            let source = frame_hashes(&input, "v");
            assert_eq!(source.len(), 250);
            assert_eq!(frame_hashes(&ismv_in(&out), "v"), source);
        }
        let size = std::fs::metadata(ismv_in(&out)).unwrap().len();
        let expected = std::fs::metadata(&input).unwrap().len();
        assert!(
            size >= expected,
            "{size} bytes written for {expected} of input"
        );
    }
    // The same stream through a pipe, which cannot be read again at an offset: its
    // access units are held in memory until their fragment is written.
    let fifo = dir.path().join("piped.h264");
    run(Command::new("mkfifo").arg(&fifo));
    let feeder = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut pipe = std::fs::File::create(&fifo).unwrap();
            pipe.write_all(&padded_stream(6)).unwrap();
        })
    };
    let piped = package(&fifo, &dir.path().join("out_piped"));
    feeder.join().unwrap();
    let (short, long) = (peaks[0], peaks[1]);
    eprintln!(
        "ssfmux peak RSS, padded 720p: 10 s {short} KiB, 60 s {long} KiB; 60 s from a pipe {piped} KiB"
    );
    assert!(
        long + 2048 < piped,
        "pictures left in the file should spare the memory a pipe's take: {long} KiB, piped {piped} KiB"
    );
    assert!(
        long.abs_diff(short) < 1024,
        "peak RSS grows with the stream: {short} KiB for 10 s, {long} KiB for 60 s"
    );
    assert!(long < 16 * 1024, "peak RSS {long} KiB over 16 MiB");
}
