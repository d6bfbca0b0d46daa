//! VC-1 + WMA (Pro and v2) presentations, checked against their sources with FFmpeg and
//! against the real ISMV in the shared media; TTML captions as a sparse text stream.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ssf::input::vc1::Vc1FrameReader;
use ssf::isobmff::reader::{self, BoxRef, Hdlr};
use ssf::{Error, Options, Sample, StreamConfig, VodWriter};
use support::{
    ffprobe_clean, frame_hashes, pcm_md5, require_tool, run, shared_media, ssfmux, track_samples,
};

/// Runs `ssfmux` on `inputs` into `out` as presentation `name`; returns the written files.
fn package(out: &Path, name: &str, inputs: &[&Path], extra: &[&str]) -> Vec<PathBuf> {
    run(Command::new(ssfmux())
        .args(["-q", "-n", name, "-o"])
        .arg(out)
        .args(extra)
        .args(inputs));
    let mut files: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn with_ext(files: &[PathBuf], ext: &str) -> PathBuf {
    files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == ext))
        .unwrap_or_else(|| panic!("no .{ext} in {files:?}"))
        .clone()
}

/// The value of `name="…"` in the first line of `manifest` that contains `marker`.
fn attr(manifest: &str, marker: &str, name: &str) -> String {
    let line = manifest
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker} in {manifest}"));
    let key = format!(" {name}=\"");
    let start = line
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        + key.len();
    line[start..].split('"').next().unwrap().to_string()
}

/// The first sample entry of the file's (only or `track_id`) track.
fn sample_entry<'a>(file: &'a [u8], track_id: u32) -> BoxRef<'a> {
    for trak in reader::find_all(file, "moov/trak").unwrap() {
        let tkhd = reader::Tkhd::parse(&trak.find("tkhd").unwrap().unwrap()).unwrap();
        if tkhd.track_id == track_id {
            let stsd = trak.find("mdia/minf/stbl/stsd").unwrap().unwrap();
            return stsd.children_at(8).next().unwrap().unwrap();
        }
    }
    panic!("no track {track_id}");
}

/// The child box `kind` of a sample entry whose fixed fields take `fields` bytes.
fn entry_child<'a>(entry: &BoxRef<'a>, fields: usize, kind: &[u8; 4]) -> Option<BoxRef<'a>> {
    entry
        .children_at(fields)
        .map(|b| b.unwrap())
        .find(|b| b.is(kind))
}

fn handler(file: &[u8]) -> [u8; 4] {
    Hdlr::parse(&reader::find(file, "moov/trak/mdia/hdlr").unwrap().unwrap())
        .unwrap()
        .handler_type
}

#[test]
fn vc1_and_wma_pro_decode_like_their_sources_and_match_the_real_ismv() {
    const TEST: &str = "vc1_and_wma_pro";
    let Some(media) = shared_media(TEST) else {
        return;
    };
    if !require_tool("ffmpeg", TEST) || !require_tool("ffprobe", TEST) {
        return;
    }
    let (vc1, wma) = (media.join("vc1_ap.vc1"), media.join("wmapro_44k.wma"));
    let dir = tempfile::tempdir().unwrap();
    let files = package(dir.path(), "vw", &[&vc1, &wma], &[]);
    let (ismv, isma) = (with_ext(&files, "ismv"), with_ext(&files, "isma"));

    // FFmpeg decodes our files exactly like the sources.
    ffprobe_clean(&ismv);
    ffprobe_clean(&isma);
    let ours = frame_hashes(&ismv, "v");
    assert_eq!(ours.len(), 120);
    assert_eq!(ours, frame_hashes(&vc1, "v"));
    assert_eq!(pcm_md5(&isma), pcm_md5(&wma));

    // Structure where the spec leaves a choice: the real ISMV's entry forms, fields and
    // sample bytes.
    let real = fs::read(media.join("vc1_wmapro.ismv")).unwrap();
    let (v, a) = (fs::read(&ismv).unwrap(), fs::read(&isma).unwrap());
    assert_eq!(&handler(&v), b"vide");
    assert_eq!(&handler(&a), b"soun");
    let (our_v, real_v) = (sample_entry(&v, 1), sample_entry(&real, 2));
    assert_eq!(
        (our_v.type_str(), real_v.type_str()),
        ("vc-1".into(), "vc-1".into())
    );
    assert_eq!(
        our_v.payload()[..78],
        real_v.payload()[..78],
        "VisualSampleEntry fields"
    );
    let dvc1 = entry_child(&our_v, 78, b"dvc1").expect("dvc1 child");
    let es = fs::read(&vc1).unwrap();
    // The binding byte the whole-stream scan gives (progressive, headers repeated, no
    // slices, B-frames) is the one Microsoft's encoder wrote for this stream, and the
    // dvc1 flag byte matches the real file's too.
    let cpd = [&[0x25], &es[..26]].concat();
    assert_eq!(
        &dvc1.payload()[7..],
        &cpd[..],
        "dvc1 carries the binding byte, sequence header and entry point"
    );
    let real_dvc1 = entry_child(&real_v, 78, b"dvc1").expect("real dvc1");
    assert_eq!(dvc1.payload()[2], real_dvc1.payload()[2], "dvc1 flag byte");
    assert_eq!(real_dvc1.payload()[7], 0x25);

    let (our_a, real_a) = (sample_entry(&a, 2), sample_entry(&real, 1));
    assert_eq!(
        (our_a.type_str(), real_a.type_str()),
        ("wma ".into(), "wma ".into())
    );
    assert_eq!(
        our_a.payload()[..28],
        real_a.payload()[..28],
        "AudioSampleEntry fields"
    );
    let wfex = entry_child(&our_a, 28, b"wfex").expect("wfex child");
    // The WAVEFORMATEX is the source's, verbatim; only nAvgBytesPerSec differs, because
    // the ASF rewrap of the shared media states a different nominal rate.
    let real_wfex = entry_child(&real_a, 28, b"wfex").unwrap();
    let mask = |w: &[u8]| [&w[..8], &w[12..]].concat();
    assert_eq!(mask(wfex.payload()), mask(real_wfex.payload()));

    assert_eq!(
        track_samples(&v, 1),
        track_samples(&real, 2),
        "video samples"
    );
    assert_eq!(
        track_samples(&a, 2),
        track_samples(&real, 1),
        "audio samples"
    );

    // The manifest: CodecPrivateData = binding byte + the stream's sequence header +
    // entry point, as in the dvc1; the WMA Pro attributes from its WAVEFORMATEX (extra
    // bytes as CodecPrivateData).
    let ismc = fs::read_to_string(with_ext(&files, "ismc")).unwrap();
    assert_eq!(
        attr(&ismc, "FourCC=\"WVC1\"", "CodecPrivateData"),
        hex::encode_upper(&cpd)
    );
    assert_eq!(attr(&ismc, "FourCC=\"WVC1\"", "MaxWidth"), "240");
    assert_eq!(attr(&ismc, "FourCC=\"WVC1\"", "MaxHeight"), "104");
    let wfx = wfex.payload();
    assert_eq!(
        attr(&ismc, "FourCC=\"WMAP\"", "CodecPrivateData"),
        hex::encode_upper(&wfx[18..])
    );
    for (name, value) in [
        ("AudioTag", "354"),
        ("PacketSize", "4459"),
        ("SamplingRate", "44100"),
        ("Channels", "2"),
        ("BitsPerSample", "16"),
    ] {
        assert_eq!(attr(&ismc, "FourCC=\"WMAP\"", name), value, "{name}");
    }
    let ism = fs::read_to_string(with_ext(&files, "ism")).unwrap();
    assert!(ism.contains("<video ") && ism.contains("<audio "), "{ism}");
}

#[test]
fn vc1_with_wma_v2_from_ffmpeg_decodes_like_its_sources() {
    const TEST: &str = "vc1_with_wma_v2";
    let Some(media) = shared_media(TEST) else {
        return;
    };
    if !require_tool("ffmpeg", TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wma = dir.path().join("tone.wma");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-f", "lavfi", "-i"])
        .args([
            "sine=frequency=440:sample_rate=44100:duration=5",
            "-ac",
            "2",
        ])
        .args(["-c:a", "wmav2", "-b:a", "128k"])
        .arg(&wma));
    let out = dir.path().join("out");
    let vc1 = media.join("vc1_ap.vc1");
    let files = package(&out, "v2", &[&vc1, &wma], &[]);
    let isma = with_ext(&files, "isma");
    ffprobe_clean(&isma);
    assert_eq!(pcm_md5(&isma), pcm_md5(&wma));
    assert_eq!(
        frame_hashes(&with_ext(&files, "ismv"), "v"),
        frame_hashes(&vc1, "v")
    );
    let ismc = fs::read_to_string(with_ext(&files, "ismc")).unwrap();
    assert_eq!(attr(&ismc, "FourCC=\"WMA2\"", "AudioTag"), "353");
    let a = fs::read(&isma).unwrap();
    let wfex = entry_child(&sample_entry(&a, 2), 28, b"wfex").unwrap();
    assert_eq!(
        u16::from_le_bytes([wfex.payload()[0], wfex.payload()[1]]),
        0x0161
    );
    assert_eq!(
        attr(&ismc, "FourCC=\"WMA2\"", "CodecPrivateData"),
        hex::encode_upper(&wfex.payload()[18..])
    );
}

#[test]
fn wmv3_in_rcv_is_refused_by_name() {
    let Some(media) = shared_media("wmv3_refused") else {
        return;
    };
    let out = Command::new(ssfmux())
        .args(["-q", "-o"])
        .arg(tempfile::tempdir().unwrap().path())
        .arg(media.join("wmv3_main.rcv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("WMV3") && stderr.contains("Advanced Profile"),
        "{stderr}"
    );
}

#[test]
fn captions_become_a_sparse_text_stream_of_the_video() {
    const TEST: &str = "captions";
    let root = support::root();
    let dir = tempfile::tempdir().unwrap();
    let video = root.join("sample/sample_360p.h264");
    let ttml = root.join("tests/data/ttml/captions.ttml");
    let files = package(dir.path(), "cc", &[&video, &ttml], &[]);
    let ismc = fs::read_to_string(with_ext(&files, "ismc")).unwrap();
    assert!(
        ismc.contains(r#"<StreamIndex Type="text" Name="captions" Subtype="CAPT" ParentStreamIndex="video" ManifestOutput="FALSE" Language="en""#),
        "{ismc}"
    );
    assert_eq!(attr(&ismc, "FourCC=\"TTML\"", "Index"), "0");

    // One fragment per caption sample (the file's four captions, within 30 s, share one),
    // at the sample times shifted by the video's presentation start (its first picture
    // follows a B-frame reorder delay).
    let ismt = fs::read(with_ext(&files, "ismt")).unwrap();
    assert_eq!(&handler(&ismt), b"subt");
    assert_eq!(sample_entry(&ismt, 2).type_str(), "stpp");
    let captions = ssf::codec::ttml::split_cues(&fs::read(&ttml).unwrap()).unwrap();
    assert_eq!(captions.samples.len(), 1);
    let stored = track_samples(&ismt, 2);
    let expected: Vec<Vec<u8>> = captions
        .samples
        .iter()
        .map(|s| s.document.clone())
        .collect();
    assert_eq!(stored, expected);
    let v = fs::read(with_ext(&files, "ismv")).unwrap();
    let first = reader::find(&v, "moof/traf/trun").unwrap().unwrap();
    let cts = reader::Trun::parse(&first).unwrap().samples[0]
        .composition_offset
        .unwrap_or(0);
    let video_start = u64::try_from(cts).unwrap();
    let text_index = &ismc[ismc.find("Type=\"text\"").unwrap()..];
    let times: Vec<u64> = text_index
        .lines()
        .filter(|l| l.trim_start().starts_with("<c "))
        .map(|l| attr(l, "<c", "t").parse().unwrap())
        .collect();
    let want: Vec<u64> = captions
        .samples
        .iter()
        .map(|s| s.begin + video_start)
        .collect();
    assert_eq!(times, want);
    if require_tool("ffprobe", TEST) {
        ffprobe_clean(&with_ext(&files, "ismv"));
    }
}

/// Through the library: a VC-1 sample marked sync must be a keyframe, configurations are
/// checked, and a stream configured in-band takes its CodecPrivateData from the first
/// keyframe.
#[test]
fn vc1_and_wma_configs_and_samples_are_checked() {
    let Some(media) = shared_media("vc1_api") else {
        return;
    };
    let es = fs::read(media.join("vc1_ap.vc1")).unwrap();
    let mut frames = Vec::new();
    let mut r = Vc1FrameReader::new(&es[..]);
    while let Some(f) = r.next_frame().unwrap() {
        frames.push(f);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut vod = VodWriter::create(dir.path(), "api", Options::default()).unwrap();
    let v = vod
        .add_stream(StreamConfig::vc1_in_band().timescale(24).bitrate(200_000))
        .unwrap();
    let key = |i: usize| Sample::new(frames[i].data.clone(), i as u64).duration(1);
    assert!(frames[0].sync);
    vod.push(v, key(0).sync(true)).unwrap();
    let as_sync = vod.push(v, key(1).sync(true));
    assert!(
        matches!(&as_sync, Err(Error::InvalidSample { reason, .. }) if reason.contains("sync sample must be an I-frame")),
        "{as_sync:?}"
    );
    for (i, f) in frames.iter().enumerate().skip(1) {
        vod.push(v, key(i).sync(f.sync)).unwrap();
    }
    vod.finish().unwrap();
    // Configured from the first keyframe, before the stream is seen: the safe binding
    // byte (progressive; headers, slices and B-frames may occur).
    let ismc = fs::read_to_string(dir.path().join("api.ismc")).unwrap();
    assert_eq!(
        attr(&ismc, "WVC1", "CodecPrivateData"),
        hex::encode_upper([&[0x21], &es[..26]].concat())
    );

    // WMV3 / Simple-Main sequence data, WMA v1 and non-WMA tags are refused.
    assert!(StreamConfig::vc1(&[0x0F, 0xF1, 0x80, 0x01]).is_err());
    let mut wfx = hex::decode("6101020044AC0000853E00009D0B10000A00008800000F0000000000").unwrap();
    assert!(StreamConfig::wma(&wfx).is_ok());
    wfx[0] = 0x60;
    let v1 = StreamConfig::wma(&wfx).unwrap_err().to_string();
    assert!(v1.contains("WMA v1"), "{v1}");
    assert!(StreamConfig::wma(&[0xFF, 0x00]).is_err());
}
