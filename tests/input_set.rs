//! The input layer as users meet it: which inputs become the bit rates of one StreamIndex
//! and which get their own, per-input options (bit rate, language, name), MP4 `mdhd`
//! languages, and the library API (`ssf::input::InputSet`) packaging without the CLI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ssf::input::{InputSet, InputSpec, OpenOptions};
use support::root;

/// An ADTS file of `frames` AAC-LC frames at 48 kHz with `channels` (channel
/// configuration 1–6; 6 is 5.1), each with an 8-byte dummy payload (the packager does not
/// decode AAC).
fn adts(dir: &Path, name: &str, channels: u8, frames: usize) -> PathBuf {
    let frame_len: usize = 7 + 8;
    let mut data = Vec::new();
    for i in 0..frames {
        data.extend_from_slice(&[
            0xFF,
            0xF1,
            (1 << 6) | (3 << 2) | (channels >> 2),
            ((channels & 3) << 6) | (frame_len >> 11) as u8,
            (frame_len >> 3) as u8,
            (((frame_len & 7) as u8) << 5) | 0x1F,
            0xFC,
        ]);
        data.extend_from_slice(&[i as u8; 8]);
    }
    let path = dir.join(name);
    fs::write(&path, data).unwrap();
    path
}

fn ssfmux(out: &Path, inputs: &[&str]) -> Output {
    Command::new(support::ssfmux())
        .args(["-q", "-n", "m", "-o"])
        .arg(out)
        .args(inputs)
        .output()
        .unwrap()
}

/// `(Name, Language, QualityLevels, Channels of each)` of every audio StreamIndex of a
/// client manifest.
fn audio_stream_indexes(ismc: &Path) -> Vec<(String, Option<String>, usize, Vec<String>)> {
    let xml = fs::read_to_string(ismc).unwrap();
    let attr = |tag: &str, name: &str| {
        let key = format!(" {name}=\"");
        tag.split_once(&key)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_string())
    };
    let mut out = Vec::new();
    for part in xml.split("<StreamIndex").skip(1) {
        let head = part.split('>').next().unwrap();
        if attr(head, "Type").as_deref() != Some("audio") {
            continue;
        }
        let body = part.split("</StreamIndex>").next().unwrap();
        let channels: Vec<String> = body
            .split("<QualityLevel")
            .skip(1)
            .map(|q| attr(q.split('>').next().unwrap(), "Channels").unwrap())
            .collect();
        out.push((
            attr(head, "Name").unwrap(),
            attr(head, "Language"),
            channels.len(),
            channels,
        ));
    }
    out
}

fn sample(file: &str) -> String {
    root().join("sample").join(file).display().to_string()
}

#[test]
fn surround_and_stereo_audio_get_stream_indexes_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let surround = adts(dir.path(), "surround51.aac", 6, 470);
    let stereo = adts(dir.path(), "stereo.aac", 2, 470);
    let stereo_low = adts(dir.path(), "stereo_low.aac", 2, 470);
    let out = dir.path().join("out");
    let run = ssfmux(
        &out,
        &[
            &sample("sample_360p.h264"),
            &surround.display().to_string(),
            &format!("{}@64k", stereo.display()),
            &format!("{}@32k", stereo_low.display()),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let chans = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        audio_stream_indexes(&out.join("m.ismc")),
        [
            ("audio".to_string(), None, 1, chans(&["6"])),
            // Both stereo files are bit rates a player can switch between.
            ("audio_2".to_string(), None, 2, chans(&["2", "2"])),
        ]
    );
}

#[test]
fn options_set_the_language_name_and_bit_rate_of_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let english = adts(dir.path(), "en.aac", 2, 470);
    let french = adts(dir.path(), "fr.aac", 2, 470);
    let out = dir.path().join("out");
    let run = ssfmux(
        &out,
        &[
            &sample("sample_360p.h264"),
            &format!("{}@lang=eng", english.display()),
            &format!("{}@96k,lang=fra,name=audio_fr", french.display()),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        audio_stream_indexes(&out.join("m.ismc")),
        [
            (
                "audio".to_string(),
                Some("eng".to_string()),
                1,
                vec!["2".to_string()]
            ),
            (
                "audio_fr".to_string(),
                Some("fra".to_string()),
                1,
                vec!["2".to_string()]
            ),
        ]
    );
    assert!(out.join("m_audio_fra_96000.isma").exists());

    // Naming two inputs alike that a player cannot switch between is refused.
    let surround = adts(dir.path(), "surround.aac", 6, 470);
    let run = ssfmux(
        &dir.path().join("clash"),
        &[
            &sample("sample_360p.h264"),
            &format!("{}@name=main", english.display()),
            &format!("{}@name=main", surround.display()),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("surround.aac: named \"main\" like")
            && stderr.contains("a player cannot switch between them"),
        "{stderr}"
    );
}

#[test]
fn mp4_languages_come_from_mdhd() {
    if !support::require_tool("ffmpeg", "mp4_languages_come_from_mdhd") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mp4 = dir.path().join("fr.mp4");
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(root().join("tests/data/mp4/clip.mp4"))
            .args(["-c", "copy", "-metadata:s:a:0", "language=fra"])
            .arg(&mp4),
    );
    let out = dir.path().join("out");
    let run = ssfmux(&out, &[&mp4.display().to_string()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let audio = audio_stream_indexes(&out.join("m.ismc"));
    assert_eq!(audio.len(), 1);
    assert_eq!(audio[0].1.as_deref(), Some("fra"), "{audio:?}");
}

#[test]
fn the_library_packages_inputs_without_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let surround = adts(dir.path(), "surround51.aac", 6, 470);
    let mut set = InputSet::new();
    for arg in [
        format!("{}@64k", surround.display()),
        sample("sample.aac"),
        sample("sample_540p.h264"),
        sample("sample_360p.h264"),
    ] {
        let spec: InputSpec = arg.parse().unwrap();
        set.open(&spec, &OpenOptions::new()).unwrap();
    }
    // Presentation order: the videos (in the order given), then the audio.
    let labels: Vec<String> = set
        .streams()
        .map(|s| {
            Path::new(&s.label)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        labels,
        [
            "sample_540p.h264",
            "sample_360p.h264",
            "surround51.aac",
            "sample.aac"
        ]
    );
    let names: Vec<&str> = (0..set.len())
        .map(|i| set.stream_index_name(i).unwrap())
        .collect();
    assert_eq!(names, ["video", "video", "audio", "audio_2"]);
    assert_eq!(set.given_bitrate(2), Some(64_000));

    let out = dir.path().join("lib");
    let mut vod = ssf::VodWriter::create(&out, "m", ssf::Options::default()).unwrap();
    let ids = set.add_streams(|config| vod.add_stream(config)).unwrap();
    assert_eq!(ids.len(), 4);
    let mut counts = [0usize; 4];
    while let Some((id, sample)) = set.next_sample().unwrap() {
        counts[id.index()] += 1;
        // Raw ADTS payloads of a regular file are its bytes unchanged: the origin says
        // where, so a writer may copy them file to file.
        if let Some(origin) = &sample.origin {
            assert_eq!(origin.len, sample.data.len() as u64);
        }
        vod.push(id, sample.into_sample()).unwrap();
    }
    assert_eq!(counts, [250, 250, 470, 470]);
    for (id, bitrate) in set.bitrates().unwrap() {
        assert!(bitrate > 0);
        vod.set_bitrate(id, bitrate).unwrap();
    }
    vod.finish().unwrap();
    let audio = audio_stream_indexes(&out.join("m.ismc"));
    let names: Vec<&str> = audio.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, ["audio", "audio_2"]);
}

#[test]
fn payload_origins_point_at_the_unchanged_file_bytes() {
    use std::os::unix::fs::FileExt;
    // ADTS payloads (470 frames) and MP4 samples (102 video + 188 audio) of regular files.
    for (file, count) in [("sample/sample.aac", 470), ("tests/data/mp4/clip.mp4", 290)] {
        let mut set = InputSet::new();
        set.add(
            ssf::input::open(root().join(file)).unwrap(),
            &Default::default(),
        )
        .unwrap();
        let mut checked = 0;
        while let Some((_, sample)) = set.next_indexed().unwrap() {
            let origin = sample
                .origin
                .expect("a payload of a regular file has an origin");
            let mut bytes = vec![0; usize::try_from(origin.len).unwrap()];
            origin
                .file
                .read_exact_at(&mut bytes, origin.offset)
                .unwrap();
            assert_eq!(bytes, sample.data, "{file}");
            checked += 1;
        }
        assert_eq!(checked, count, "{file}");
    }
}
