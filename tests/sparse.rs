//! Sparse text streams (TTML captions, metadata): their own track and file, listed in both
//! manifests with their parent, subtype and (optionally) their samples inline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use bytes::Bytes;
use ssf::isobmff::reader::{self, Hdlr};
use ssf::{Options, Sample, StreamConfig, VodWriter};

const TTML: &str = r#"<?xml version="1.0" encoding="utf-8"?><tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0s" end="2s">Hello</p></div></body></tt>"#;

#[test]
fn ttml_stream_gets_its_own_track_file_and_manifest_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut vod = VodWriter::create(dir.path(), "cc", Options::default()).unwrap();
    let audio = vod
        .add_stream(
            StreamConfig::aac(&[0x11, 0x90])
                .unwrap()
                .timescale(48_000)
                .bitrate(96_000),
        )
        .unwrap();
    let captions = vod
        .add_stream(
            StreamConfig::ttml(audio)
                .unwrap()
                .track_name("captions")
                .language("eng")
                .manifest_output(true)
                .timescale(1000),
        )
        .unwrap();
    for n in 0..(6 * 48_000 / 1024) {
        vod.push(
            audio,
            Sample::new(Bytes::from_static(&[0x21, 0x10, 0x05]), n * 1024).duration(1024),
        )
        .unwrap();
    }
    for (i, start) in [0u64, 3000].into_iter().enumerate() {
        let doc = TTML.replace("Hello", &format!("caption {i}"));
        vod.push(
            captions,
            Sample::new(doc.into_bytes(), start).duration(3000),
        )
        .unwrap();
        vod.flush(captions).unwrap();
    }
    let paths = vod.finish().unwrap();
    let ismt = paths
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "ismt"))
        .expect("a .ismt for the captions");
    assert_eq!(ismt.file_name().unwrap(), "cc_captions.ismt");

    let data = std::fs::read(ismt).unwrap();
    let hdlr = Hdlr::parse(&reader::find(&data, "moov/trak/mdia/hdlr").unwrap().unwrap()).unwrap();
    assert_eq!(&hdlr.handler_type, b"subt");
    let stsd = reader::find(&data, "moov/trak/mdia/minf/stbl/stsd")
        .unwrap()
        .unwrap();
    let entry = stsd.children_at(8).next().unwrap().unwrap();
    assert_eq!(entry.type_str(), "stpp");
    assert!(
        reader::find(&data, "moov/trak/mdia/minf/sthd")
            .unwrap()
            .is_some()
    );
    assert_eq!(reader::find_all(&data, "moof").unwrap().len(), 2);

    let ismc = std::fs::read_to_string(dir.path().join("cc.ismc")).unwrap();
    assert!(
        ismc.contains(r#"<StreamIndex Type="text" Name="captions" Subtype="CAPT" ParentStreamIndex="audio" ManifestOutput="TRUE" Language="eng" Chunks="2" QualityLevels="1""#),
        "{ismc}"
    );
    assert!(ismc.contains(r#"FourCC="TTML""#), "{ismc}");
    use base64::Engine as _;
    let first =
        base64::engine::general_purpose::STANDARD.encode(TTML.replace("Hello", "caption 0"));
    let chunk = format!("<c t=\"0\" d=\"30000000\">\n      <f i=\"0\">{first}</f>\n    </c>");
    assert!(ismc.contains(&chunk), "{ismc}");
    let ism = std::fs::read_to_string(dir.path().join("cc.ism")).unwrap();
    assert!(
        ism.contains(r#"<textstream src="cc_captions.ismt""#),
        "{ism}"
    );
    for param in [
        r#"<param name="trackName" value="captions" valuetype="data" />"#,
        r#"<param name="parentTrackName" value="audio" valuetype="data" />"#,
        r#"<param name="manifestOutput" value="true" valuetype="data" />"#,
        r#"<param name="Subtype" value="CAPT" valuetype="data" />"#,
    ] {
        assert!(ism.contains(param), "{param} missing in {ism}");
    }

    if support::require_tool(
        "ffprobe",
        "ttml_stream_gets_its_own_track_file_and_manifest_entries",
    ) {
        let out = support::run(
            std::process::Command::new("ffprobe")
                .args([
                    "-v",
                    "error",
                    "-show_entries",
                    "stream=codec_type,codec_tag_string",
                    "-of",
                    "csv=p=0",
                ])
                .arg(ismt),
        );
        // FFmpeg 5.1 reads the track and its stpp entry but has no TTML-in-MP4 mapping
        // yet, so it reports a data stream.
        assert!(
            out.trim().ends_with(",stpp"),
            "ffprobe sees the stpp track: {out}"
        );
    }
}

#[test]
fn sparse_streams_need_an_audio_or_video_parent() {
    let mut mux = ssf::Muxer::new(Options::default()).unwrap();
    let a = mux
        .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap())
        .unwrap();
    let t = mux.add_stream(StreamConfig::ttml(a).unwrap()).unwrap();
    assert!(mux.add_stream(StreamConfig::ttml(t).unwrap()).is_err());
    assert!(StreamConfig::xml_metadata(a, "", "").is_err());
    assert!(StreamConfig::text_metadata(a, "text/plain").is_ok());
}
