//! The VOD writer's file handling: names, finish, crash safety.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use bytes::Bytes;
use ssf::isobmff::reader;
use ssf::{Options, Sample, StreamConfig, VodWriter};

const ASC_48K: [u8; 2] = [0x11, 0x90];
static FRAME: [u8; 8] = [0x21, 0x10, 0x05, 0x00, 0xa0, 0x19, 0x33, 0x87];

fn audio(lang: &str, bitrate: u32) -> StreamConfig {
    StreamConfig::aac(&ASC_48K)
        .unwrap()
        .timescale(48_000)
        .language(lang)
        .bitrate(bitrate)
}

fn push_seconds(vod: &mut VodWriter, id: ssf::StreamId, seconds: u64) {
    for n in 0..seconds * 48_000 / 1024 {
        vod.push(
            id,
            Sample::new(Bytes::from_static(&FRAME), n * 1024).duration(1024),
        )
        .unwrap();
    }
}

fn top_level_types(path: &std::path::Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    reader::boxes(&data)
        .map(|b| b.unwrap().type_str())
        .collect()
}

#[test]
fn finish_writes_manifests_and_indexed_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut vod = VodWriter::create(dir.path(), "show", Options::default()).unwrap();
    let eng = vod.add_stream(audio("eng", 128_000)).unwrap();
    let fra = vod
        .add_stream(audio("fra", 96_000).track_name("audio_fra"))
        .unwrap();
    push_seconds(&mut vod, eng, 7);
    push_seconds(&mut vod, fra, 7);
    let paths = vod.finish().unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "show.ism",
            "show.ismc",
            "show_audio_eng_128000.isma",
            "show_audio_fra_96000.isma"
        ]
    );
    for p in &paths[2..] {
        let types = top_level_types(p);
        assert_eq!(types.first().map(String::as_str), Some("ftyp"));
        assert_eq!(types.last().map(String::as_str), Some("mfra"));
        assert_eq!(types.iter().filter(|t| *t == "moof").count(), 4);
    }
    let ismc = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(ismc.contains("Name=\"audio_fra\""), "{ismc}");
    assert!(ismc.contains("Language=\"eng\""), "{ismc}");
    // No temporary files are left behind.
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn dropping_without_finish_leaves_a_recoverable_partial() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("show");
    {
        let mut vod = VodWriter::create(&target, "crash", Options::default()).unwrap();
        let a = vod.add_stream(audio("eng", 128_000)).unwrap();
        push_seconds(&mut vod, a, 9);
    }
    assert!(!target.exists(), "nothing is published without finish");
    let staged = root
        .path()
        .join(".show.ssf-partial")
        .join(".ssf-stream-0.isma");
    let types = top_level_types(&staged);
    assert_eq!(&types[..2], ["ftyp", "moov"]);
    // 9 s at 2 s per fragment: four fragments closed, the fifth was still open.
    assert_eq!(types.iter().filter(|t| *t == "moof").count(), 4);

    let err = VodWriter::create(&target, "crash", Options::default()).unwrap_err();
    assert!(matches!(err, ssf::Error::Interrupted { .. }), "{err}");

    let recovered = ssf::vod::recover(&target).unwrap();
    assert!(recovered.was_interrupted);
    assert_eq!(recovered.streams.len(), 1);
    assert_eq!(recovered.streams[0].fragments, 4);
    assert_eq!(recovered.streams[0].file, "crash_audio_eng_128000.isma");
    let types = top_level_types(&target.join("crash_audio_eng_128000.isma"));
    assert_eq!(types.last().map(String::as_str), Some("mfra"));
    let ismc = std::fs::read_to_string(target.join("crash.ismc")).unwrap();
    assert_eq!(ismc.matches("<c ").count(), 4, "{ismc}");
    let mut names: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["show"], "no partial left");

    let again = ssf::vod::recover(&target).unwrap();
    assert!(
        !again.was_interrupted,
        "a complete presentation is left alone"
    );
}

#[test]
fn header_is_rewritten_in_place_with_the_duration() {
    let dir = tempfile::tempdir().unwrap();
    let mut vod = VodWriter::create(dir.path(), "d", Options::default()).unwrap();
    let a = vod.add_stream(audio("eng", 128_000)).unwrap();
    push_seconds(&mut vod, a, 3);
    let paths = vod.finish().unwrap();
    let data = std::fs::read(&paths[2]).unwrap();
    let mvhd = reader::find(&data, "moov/mvhd").unwrap().unwrap();
    let mvhd = reader::Mvhd::parse(&mvhd).unwrap();
    assert_eq!(mvhd.timescale, 10_000_000);
    // 140 frames of 1024 samples at 48 kHz.
    assert_eq!(mvhd.duration, 29_866_667);
}

#[test]
fn names_that_are_not_plain_file_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(VodWriter::create(dir.path(), "../x", Options::default()).is_err());
    assert!(VodWriter::create(dir.path(), "", Options::default()).is_err());
    let mut vod = VodWriter::create(dir.path(), "ok", Options::default()).unwrap();
    assert!(
        vod.add_stream(audio("eng", 1).source_file_name("a/b.isma"))
            .is_err()
    );
    vod.add_stream(audio("eng", 1).source_file_name("same.isma"))
        .unwrap();
    assert!(
        vod.add_stream(audio("eng", 2).source_file_name("same.isma"))
            .is_err()
    );
}

#[test]
fn recovery_cuts_bit_rates_to_their_common_fragments_and_drops_a_torn_tail() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("ladder");
    let partial = root.path().join(".ladder.ssf-partial");
    {
        let mut vod = VodWriter::create(&target, "ladder", Options::default()).unwrap();
        let high = vod.add_stream(audio("eng", 128_000)).unwrap();
        let low = vod.add_stream(audio("eng", 64_000)).unwrap();
        push_seconds(&mut vod, high, 9);
        push_seconds(&mut vod, low, 5);
    }
    // A write cut short by the kill: half a moof header after the last fragment.
    let staged = partial.join(".ssf-stream-1.isma");
    let mut tail = std::fs::OpenOptions::new()
        .append(true)
        .open(&staged)
        .unwrap();
    std::io::Write::write_all(&mut tail, &[0, 0, 1, 0, b'm', b'o']).unwrap();
    drop(tail);

    let recovered = ssf::vod::recover(&target).unwrap();
    let summary: Vec<_> = recovered
        .streams
        .iter()
        .map(|s| (s.file.as_str(), s.fragments, s.dropped_fragments))
        .collect();
    assert_eq!(
        summary,
        [
            ("ladder_audio_eng_128000.isma", 2, 2),
            ("ladder_audio_eng_64000.isma", 2, 0)
        ]
    );
    assert_eq!(recovered.streams[1].dropped_bytes, 6, "the torn tail");
    assert!(recovered.streams[0].dropped_bytes > 0);
    for s in &recovered.streams {
        let types = top_level_types(&target.join(&s.file));
        assert_eq!(types.iter().filter(|t| *t == "moof").count(), 2);
        assert_eq!(types.last().map(String::as_str), Some("mfra"));
    }
    let ismc = std::fs::read_to_string(target.join("ladder.ismc")).unwrap();
    assert_eq!(ismc.matches("<c ").count(), 2, "{ismc}");
}

#[test]
fn recovery_refuses_files_damaged_before_their_last_fragment() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("bad");
    let partial = root.path().join(".bad.ssf-partial");
    {
        let mut vod = VodWriter::create(&target, "bad", Options::default()).unwrap();
        let a = vod.add_stream(audio("eng", 128_000)).unwrap();
        push_seconds(&mut vod, a, 9);
    }
    let staged = partial.join(".ssf-stream-0.isma");
    let mut data = std::fs::read(&staged).unwrap();
    let moof = reader::find_all(&data, "moof").unwrap()[1].offset as usize;
    data[moof + 4..moof + 8].copy_from_slice(b"junk");
    std::fs::write(&staged, &data).unwrap();
    let err = ssf::vod::recover(&target).unwrap_err().to_string();
    assert!(
        err.contains(".ssf-stream-0.isma") && err.contains("damaged before its last fragment"),
        "{err}"
    );
    assert!(err.contains(&format!("byte {moof}")), "{err}");
    assert!(partial.exists(), "nothing is discarded on a refusal");
    assert!(!target.exists());
}
