//! Memory stays flat whatever the input's length: `ssfmux` packages a synthetic MP4 of a
//! million tiny AAC samples (4 MB of sample tables, six hours of audio) with a peak RSS
//! under 16 MiB; with long fragments (so the index and manifests, which list every
//! fragment, stay small) it takes the same memory as one of 100 000 samples, give or take
//! 1 MiB: the sample tables are read in windows. Not timed: only each child's peak
//! resident set is measured.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::process::{Command, Stdio};

use ssf::isobmff::writer::BoxWriter;

const SAMPLE_SIZE: u32 = 4;
const PER_CHUNK: u32 = 1000;

/// `ftyp`, `mdat` with every payload, then a `moov` with one AAC track whose tables
/// list `SAMPLES` samples.
fn synthetic_mp4(samples: u32) -> Vec<u8> {
    let mut w = BoxWriter::new();
    w.boxed(b"ftyp", |w| {
        w.bytes(b"isom");
        w.u32(0x200);
        w.bytes(b"isomiso2mp41");
    });
    let mdat_start = w.len() as u64 + 8;
    let payload: Vec<u8> = (0..samples * SAMPLE_SIZE)
        .map(|i| (i % 251) as u8)
        .collect();
    w.boxed(b"mdat", |w| w.bytes(&payload));
    let duration = u64::from(samples) * 1024;
    w.boxed(b"moov", |w| {
        w.full_box(b"mvhd", 1, 0, |w| {
            w.u64(0);
            w.u64(0);
            w.u32(48_000);
            w.u64(duration);
            w.u32(0x0001_0000);
            w.u16(0x0100);
            w.zeros(10);
            for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
                w.u32(v);
            }
            w.zeros(24);
            w.u32(2);
        });
        w.boxed(b"trak", |w| {
            w.full_box(b"tkhd", 1, 7, |w| {
                w.u64(0);
                w.u64(0);
                w.u32(1);
                w.u32(0);
                w.u64(duration);
                w.zeros(8);
                w.u16(0);
                w.u16(0);
                w.u16(0x0100);
                w.u16(0);
                for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
                    w.u32(v);
                }
                w.u32(0);
                w.u32(0);
            });
            w.boxed(b"mdia", |w| {
                w.full_box(b"mdhd", 1, 0, |w| {
                    w.u64(0);
                    w.u64(0);
                    w.u32(48_000);
                    w.u64(duration);
                    w.u16(0x55C4); // "und"
                    w.u16(0);
                });
                w.full_box(b"hdlr", 0, 0, |w| {
                    w.u32(0);
                    w.bytes(b"soun");
                    w.zeros(12);
                    w.bytes(b"Sound\0");
                });
                w.boxed(b"minf", |w| {
                    w.full_box(b"smhd", 0, 0, |w| w.zeros(4));
                    w.boxed(b"dinf", |w| {
                        w.full_box(b"dref", 0, 0, |w| {
                            w.u32(1);
                            w.full_box(b"url ", 0, 1, |_| {});
                        });
                    });
                    w.boxed(b"stbl", |w| stbl(w, mdat_start, samples));
                });
            });
        });
    });
    w.into_vec()
}

/// The sample tables: AAC-LC 48 kHz stereo, every sample 1024 ticks.
fn stbl(w: &mut BoxWriter, mdat_start: u64, samples: u32) {
    w.full_box(b"stsd", 0, 0, |w| {
        w.u32(1);
        w.boxed(b"mp4a", |w| {
            w.zeros(6);
            w.u16(1);
            w.zeros(8);
            w.u16(2);
            w.u16(16);
            w.u16(0);
            w.u16(0);
            w.u32(48_000 << 16);
            w.full_box(b"esds", 0, 0, |w| {
                // ES_Descriptor { ES_ID 0, DecoderConfigDescriptor { AAC, audio,
                // DecoderSpecificInfo 11 90 }, SLConfigDescriptor }.
                let decoder_config = [
                    0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x02, 0x11, 0x90,
                ];
                w.bytes(&[0x03, 0x19, 0, 0, 0]);
                w.bytes(&decoder_config);
                w.bytes(&[0x06, 0x01, 0x02]);
            });
        });
    });
    w.full_box(b"stts", 0, 0, |w| {
        w.u32(1);
        w.u32(samples);
        w.u32(1024);
    });
    w.full_box(b"stsc", 0, 0, |w| {
        w.u32(1);
        w.u32(1);
        w.u32(PER_CHUNK);
        w.u32(1);
    });
    w.full_box(b"stsz", 0, 0, |w| {
        // Every size listed (no default size): the table a real file would have.
        w.u32(0);
        w.u32(samples);
        for _ in 0..samples {
            w.u32(SAMPLE_SIZE);
        }
    });
    w.full_box(b"co64", 0, 0, |w| {
        let chunks = samples / PER_CHUNK;
        w.u32(chunks);
        for c in 0..u64::from(chunks) {
            w.u64(mdat_start + c * u64::from(PER_CHUNK * SAMPLE_SIZE));
        }
    });
}

/// Packages a synthetic MP4 of `samples` samples in fragments of `seconds`; returns the
/// child's peak RSS in KiB and the number of `c` elements of its client manifest.
///
/// The peak is what `/usr/bin/time` reports: a child spawned straight from this process
/// would be charged this process's own resident set (the kernel keeps the larger of the
/// memory it exec'd from and its own).
fn package(samples: u32, seconds: &str) -> (u64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.mp4");
    std::fs::write(&input, synthetic_mp4(samples)).unwrap();
    let out = dir.path().join("out");
    let report = dir.path().join("rss");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(support::ssfmux())
        .args(["-q", "-n", "long", "--fragment-duration", seconds, "-o"])
        .arg(&out)
        .arg(&input)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ssfmux failed on {samples} samples");
    let peak = std::fs::read_to_string(&report)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let ismc = std::fs::read_to_string(out.join("long.ismc")).unwrap();
    (peak, ismc.matches("<c ").count())
}

#[test]
fn a_million_samples_package_in_flat_memory() {
    if !support::require_tool_with("/usr/bin/time", "--version", "flat memory (peak RSS)") {
        return;
    }
    let (peak, fragments) = package(1_000_000, "2");
    eprintln!("ssfmux peak RSS, 1 000 000 samples in {fragments} fragments: {peak} KiB");
    assert!(fragments > 10_000, "every fragment listed");
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB over 16 MiB");

    let (short, _) = package(100_000, "120");
    let (long, _) = package(1_000_000, "120");
    eprintln!(
        "ssfmux peak RSS, 2 min fragments: 100 000 samples {short} KiB, 1 000 000 {long} KiB"
    );
    assert!(
        long.abs_diff(short) < 1024,
        "peak RSS grows with the sample count: {short} KiB for 100 000 samples, {long} KiB for 1 000 000"
    );
}
