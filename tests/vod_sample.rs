//! End to end: `ssfmux` packages the bundled sample; FFmpeg decodes every output
//! frame-exactly against the source elementary streams, and the project's box reader
//! checks the exact structure that Smooth servers and clients rely on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::events::Event;
use ssf::isobmff::reader::{self, BoxRef, Mfhd, Mfro, Tfra, Tfxd, Trun};
use ssf::isobmff::uuids::TFXD_UUID;

const VIDEO_SOURCES: [&str; 3] = ["sample_360p.h264", "sample_540p.h264", "sample_720p.h264"];
const AUDIO_SOURCE: &str = "sample.aac";

/// Packages the sample once per test binary run with the no-argument form of the CLI,
/// from a scratch working directory, and returns the presentation directory.
fn packaged() -> &'static Path {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, dir) = DIR.get_or_init(|| {
        let work = tempfile::tempdir().expect("temp dir");
        support::run(Command::new(support::ssfmux()).current_dir(work.path()));
        let dir = work.path().join("out").join("sample");
        assert!(
            dir.is_dir(),
            "ssfmux with no arguments did not write out/sample/"
        );
        (work, dir)
    });
    dir
}

fn outputs(ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(packaged())
        .expect("read output dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn sample_path(name: &str) -> PathBuf {
    support::root().join("sample").join(name)
}

#[test]
fn every_output_file_reads_cleanly_in_ffprobe() {
    if !support::require_tool("ffprobe", "every_output_file_reads_cleanly_in_ffprobe") {
        return;
    }
    let media: Vec<PathBuf> = [outputs("ismv"), outputs("isma")].concat();
    assert_eq!(
        media.len(),
        4,
        "3 video files and 1 audio file expected: {media:?}"
    );
    for file in media {
        support::ffprobe_clean(&file);
    }
}

#[test]
fn video_decodes_frame_exactly_like_the_source() {
    if !support::require_tool("ffmpeg", "video_decodes_frame_exactly_like_the_source") {
        return;
    }
    let files = outputs("ismv");
    assert_eq!(files.len(), 3);
    for source in VIDEO_SOURCES {
        let expected = support::frame_hashes(&sample_path(source), "v");
        assert_eq!(expected.len(), 250, "{source}: 10 s at 25 fps");
        let matching = files
            .iter()
            .filter(|f| support::frame_hashes(f, "v") == expected)
            .count();
        assert_eq!(
            matching, 1,
            "{source}: no packaged .ismv decodes to the same frames"
        );
    }
}

#[test]
fn audio_decodes_to_the_same_pcm_as_the_source() {
    if !support::require_tool("ffmpeg", "audio_decodes_to_the_same_pcm_as_the_source") {
        return;
    }
    let files = outputs("isma");
    assert_eq!(files.len(), 1);
    assert_eq!(
        support::pcm_md5(&files[0]),
        support::pcm_md5(&sample_path(AUDIO_SOURCE))
    );
}

/// What one packaged file holds, read with the project's box reader.
struct FileLayout {
    fragments: Vec<(u64, u64)>,
    codec_private_data: Option<Vec<u8>>,
}

fn be_u16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// Checks the exact structure of one `.ismv`/`.isma`: box order, one traf per moof,
/// trun data offsets, tfxd continuity and durations, mfra offsets; returns its
/// fragments and (for video) the CodecPrivateData its avcC implies.
fn check_file(path: &Path) -> FileLayout {
    let data = fs::read(path).expect("read output");
    let tree = || reader::dump(&data);
    let top: Vec<BoxRef<'_>> = reader::boxes(&data)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), tree()));
    let types: Vec<String> = top.iter().map(|b| b.type_str()).collect();
    assert_eq!(types[0], "ftyp");
    assert_eq!(types[1], "moov");
    assert_eq!(types.last().map(String::as_str), Some("mfra"));
    let middle = &types[2..types.len() - 1];
    assert!(!middle.is_empty() && middle.len().is_multiple_of(2));
    for pair in middle.chunks(2) {
        assert_eq!(pair, ["moof", "mdat"], "{}", path.display());
    }

    let mut fragments = Vec::new();
    let mut moof_offsets = Vec::new();
    for (i, pair) in top[2..top.len() - 1].chunks(2).enumerate() {
        let (moof, mdat) = (&pair[0], &pair[1]);
        moof_offsets.push(moof.offset);
        let mfhd = Mfhd::parse(&moof.find("mfhd").unwrap().unwrap()).unwrap();
        assert_eq!(mfhd.sequence_number as usize, i + 1);
        let trafs = moof.find_all("traf").unwrap();
        assert_eq!(trafs.len(), 1, "one traf per moof");
        let traf = &trafs[0];
        let trun = Trun::parse(&traf.find("trun").unwrap().unwrap()).unwrap();
        assert_eq!(
            trun.data_offset,
            Some((moof.size() + 8) as i32),
            "trun data_offset points at the first mdat byte"
        );
        let sizes: u64 = trun
            .samples
            .iter()
            .map(|s| u64::from(s.size.unwrap()))
            .sum();
        assert_eq!(mdat.payload().len() as u64, sizes);
        let durations: u64 = trun
            .samples
            .iter()
            .map(|s| u64::from(s.duration.unwrap()))
            .sum();
        let tfxd_box = traf
            .find_all("uuid")
            .unwrap()
            .into_iter()
            .find(|b| b.uuid == Some(TFXD_UUID))
            .expect("tfxd in every traf");
        let tfxd = Tfxd::parse(&tfxd_box).unwrap();
        assert_eq!(tfxd.version, 1);
        assert_eq!(
            tfxd.duration, durations,
            "tfxd duration = sum of trun durations"
        );
        if let Some(&(t, d)) = fragments.last() {
            assert_eq!(
                tfxd.time,
                t + d,
                "fragment {i}: time = previous time + duration"
            );
        }
        fragments.push((tfxd.time, tfxd.duration));
    }

    let mfra = top.last().unwrap();
    let tfra = Tfra::parse(&mfra.find("tfra").unwrap().unwrap()).unwrap();
    let entries: Vec<(u64, u64)> = tfra
        .entries
        .iter()
        .map(|e| (e.time, e.moof_offset))
        .collect();
    let expected: Vec<(u64, u64)> = fragments
        .iter()
        .zip(&moof_offsets)
        .map(|(&(t, _), &o)| (t, o))
        .collect();
    assert_eq!(
        entries, expected,
        "every tfra entry points exactly at its moof"
    );
    let mfro = Mfro::parse(&mfra.find("mfro").unwrap().unwrap()).unwrap();
    assert_eq!(u64::from(mfro.size), mfra.size() as u64);

    let moov = &top[1];
    let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    let entry = stsd.children_at(8).next().unwrap().unwrap();
    let codec_private_data = (entry.type_str() == "avc1").then(|| {
        let avcc_box = entry.children_at(78).find_map(|b| {
            let b = b.unwrap();
            (b.type_str() == "avcC").then_some(b)
        });
        let avcc = avcc_box.expect("avcC").payload();
        let mut cpd = Vec::new();
        let mut at = 6;
        let sps_count = usize::from(avcc[5] & 0x1F);
        for _ in 0..sps_count {
            let len = be_u16(avcc, at);
            cpd.extend_from_slice(&[0, 0, 0, 1]);
            cpd.extend_from_slice(&avcc[at + 2..at + 2 + len]);
            at += 2 + len;
        }
        let pps_count = usize::from(avcc[at]);
        at += 1;
        for _ in 0..pps_count {
            let len = be_u16(avcc, at);
            cpd.extend_from_slice(&[0, 0, 0, 1]);
            cpd.extend_from_slice(&avcc[at + 2..at + 2 + len]);
            at += 2 + len;
        }
        cpd
    });
    FileLayout {
        fragments,
        codec_private_data,
    }
}

/// One QualityLevel of the client manifest with its StreamIndex's fragments.
#[derive(Debug)]
struct Level {
    kind: String,
    bitrate: String,
    codec_private_data: String,
    fragments: Vec<(u64, u64)>,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("attribute");
            (
                a.key.as_ref().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .expect("value")
                    .into_owned(),
            )
        })
        .collect()
}

fn client_manifest_levels(xml: &str) -> Vec<Level> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut levels = Vec::new();
    let mut current: Vec<Level> = Vec::new();
    let mut kind = String::new();
    let mut fragments: Vec<(u64, u64)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed .ismc") {
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                match e.name().into_inner() {
                    "StreamIndex" => {
                        kind = a["Type"].clone();
                        fragments.clear();
                    }
                    "QualityLevel" => current.push(Level {
                        kind: kind.clone(),
                        bitrate: a["Bitrate"].clone(),
                        codec_private_data: a["CodecPrivateData"].clone(),
                        fragments: Vec::new(),
                    }),
                    "c" => {
                        let d: u64 = a["d"].parse().unwrap();
                        let t = match a.get("t") {
                            Some(t) => t.parse().unwrap(),
                            None => fragments.last().map_or(0, |&(t, d)| t + d),
                        };
                        fragments.push((t, d));
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().into_inner() == "StreamIndex" => {
                for mut level in current.drain(..) {
                    level.fragments = fragments.clone();
                    levels.push(level);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    levels
}

/// `src` and `systemBitrate` of every media element of the server manifest.
fn server_manifest_sources(xml: &str) -> Vec<(String, String, String)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed .ism") {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().into_inner().to_string();
                if name == "video" || name == "audio" {
                    let a = attrs(&e);
                    out.push((name, a["src"].clone(), a["systemBitrate"].clone()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn structure_index_and_manifests_agree() {
    let dir = packaged();
    let ismc = fs::read_to_string(dir.join("sample.ismc")).expect("sample.ismc");
    let ism = fs::read_to_string(dir.join("sample.ism")).expect("sample.ism");
    let levels = client_manifest_levels(&ismc);
    let sources = server_manifest_sources(&ism);
    assert_eq!(levels.len(), 4);
    assert_eq!(sources.len(), 4);
    for level in &levels {
        let (_, src, _) = sources
            .iter()
            .find(|(kind, _, bitrate)| *kind == level.kind && *bitrate == level.bitrate)
            .unwrap_or_else(|| panic!("no .ism entry for {level:?}"));
        let layout = check_file(&dir.join(src));
        assert_eq!(
            layout.fragments, level.fragments,
            "{src}: the .ismc c list equals the file's fragments"
        );
        if level.kind == "video" {
            let cpd = layout.codec_private_data.expect("avc1 sample entry");
            assert_eq!(level.codec_private_data, hex::encode_upper(cpd));
            assert_eq!(layout.fragments.len(), 5, "2 s fragments over 10 s");
            assert!(layout.fragments.iter().all(|&(_, d)| d == 20_000_000));
        }
    }
}

#[test]
fn mp4_input_packages_frame_exactly() {
    if !support::require_tool("ffmpeg", "mp4_input_packages_frame_exactly") {
        return;
    }
    // An MP4 with correct B-frame timing: our 360p output remuxed with the source AAC
    // (FFmpeg 5.1 cannot time raw B-frame H.264 itself, so it cannot make this from the
    // .h264 directly).
    let work = tempfile::tempdir().unwrap();
    let mp4 = work.path().join("in.mp4");
    let lowest = outputs("ismv").into_iter().next().unwrap();
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
            .arg(&lowest)
            .arg("-i")
            .arg(sample_path(AUDIO_SOURCE))
            .args(["-map", "0:v", "-map", "1:a", "-c", "copy", "-f", "mp4"])
            .arg(&mp4),
    );
    let out = work.path().join("out");
    support::run(
        Command::new(support::ssfmux())
            .args(["-q", "-n", "m", "-o"])
            .arg(&out)
            .arg(&mp4),
    );
    let file = |ext: &str| {
        fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap_or_else(|| panic!("no .{ext} written from the MP4"))
    };
    assert_eq!(
        support::frame_hashes(&file("ismv"), "v"),
        support::frame_hashes(&sample_path(VIDEO_SOURCES[0]), "v")
    );
    assert_eq!(
        support::pcm_md5(&file("isma")),
        support::pcm_md5(&sample_path(AUDIO_SOURCE))
    );
    check_file(&file("ismv"));
    check_file(&file("isma"));
}
