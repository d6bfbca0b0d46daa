//! Tests of both manifest writers.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::*;
use crate::error::Error;

fn fragments(durations: &[u64]) -> Vec<FragmentTime> {
    let mut time = 0;
    durations
        .iter()
        .map(|&duration| {
            let f = FragmentTime { time, duration };
            time += duration;
            f
        })
        .collect()
}

fn video(bitrate: u32, width: u32, height: u32) -> ManifestTrack {
    ManifestTrack {
        kind: TrackKind::Video,
        name: "video".into(),
        name_is_default: true,
        language: None,
        bitrate,
        quality_index: None,
        fourcc: "H264".into(),
        codec_private_data: vec![0, 0, 0, 1, 0x67, 0x4d, 0, 0, 0, 1, 0x68, 0xeb],
        attributes: MediaAttributes::Video(VideoAttributes {
            width,
            height,
            display_width: width,
            display_height: height,
        }),
        source: format!("movie_{}.ismv", bitrate / 1000),
        track_id: 1,
        fragments: fragments(&[20_000_000, 20_000_000, 10_000_000]),
    }
}

fn audio() -> ManifestTrack {
    ManifestTrack {
        kind: TrackKind::Audio,
        name: "audio_eng".into(),
        name_is_default: false,
        language: Some("eng".into()),
        bitrate: 128_000,
        quality_index: None,
        fourcc: "AACL".into(),
        codec_private_data: vec![0x11, 0x90],
        attributes: MediaAttributes::Audio(AudioAttributes {
            sampling_rate: 48000,
            channels: 2,
            bits_per_sample: 16,
            packet_size: 4,
            audio_tag: 255,
        }),
        source: "movie_2000.ismv".into(),
        track_id: 2,
        fragments: fragments(&[20_053_333, 19_946_667, 10_026_667]),
    }
}

fn presentation() -> Presentation {
    Presentation {
        timescale: 10_000_000,
        tracks: vec![
            video(2_000_000, 1280, 720),
            video(1_000_000, 852, 480),
            audio(),
        ],
        protection: Vec::new(),
        fragment_elements: false,
    }
}

const EXPECTED_ISMC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="50026667" TimeScale="10000000">
  <StreamIndex Type="video" Name="video" Chunks="3" QualityLevels="2" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720" Url="QualityLevels({bitrate})/Fragments(video={start time})">
    <QualityLevel Index="0" Bitrate="2000000" FourCC="H264" MaxWidth="1280" MaxHeight="720" CodecPrivateData="00000001674D0000000168EB"/>
    <QualityLevel Index="1" Bitrate="1000000" FourCC="H264" MaxWidth="852" MaxHeight="480" CodecPrivateData="00000001674D0000000168EB"/>
    <c t="0" d="20000000"/>
    <c d="20000000"/>
    <c d="10000000"/>
  </StreamIndex>
  <StreamIndex Type="audio" Name="audio_eng" Language="eng" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio_eng={start time})">
    <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1190"/>
    <c t="0" d="20053333"/>
    <c d="19946667"/>
    <c d="10026667"/>
  </StreamIndex>
</SmoothStreamingMedia>
"#;

const EXPECTED_ISM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="clientManifestRelativePath" content="movie.ismc" />
  </head>
  <body>
    <switch>
      <video src="movie_2000.ismv" systemBitrate="2000000">
        <param name="trackID" value="1" valuetype="data" />
      </video>
      <video src="movie_1000.ismv" systemBitrate="1000000">
        <param name="trackID" value="1" valuetype="data" />
      </video>
      <audio src="movie_2000.ismv" systemBitrate="128000" systemLanguage="eng">
        <param name="trackID" value="2" valuetype="data" />
        <param name="trackName" value="audio_eng" valuetype="data" />
      </audio>
    </switch>
  </body>
</smil>
"#;

#[test]
fn client_manifest_exact_text() {
    assert_eq!(client_manifest(&presentation()).unwrap(), EXPECTED_ISMC);
}

#[test]
fn server_manifest_exact_text() {
    assert_eq!(
        server_manifest(&presentation(), "movie.ismc").unwrap(),
        EXPECTED_ISM
    );
}

#[test]
fn first_appearance_order_and_timescale_param() {
    let mut p = presentation();
    p.tracks.rotate_right(1); // audio first
    p.timescale = 1000;
    let ismc = client_manifest(&p).unwrap();
    let audio_at = ismc.find(r#"Type="audio""#).unwrap();
    let video_at = ismc.find(r#"Type="video""#).unwrap();
    assert!(audio_at < video_at);
    assert!(ismc.contains(r#"TimeScale="1000""#));
    let ism = server_manifest(&p, "m.ismc").unwrap();
    assert_eq!(
        ism.matches(r#"<param name="timeScale" value="1000" valuetype="data" />"#)
            .count(),
        3
    );
}

#[test]
fn gap_writes_t() {
    let mut p = presentation();
    p.tracks.truncate(1);
    p.tracks[0].fragments[2].time += 5; // gap before the third fragment
    let ismc = client_manifest(&p).unwrap();
    assert!(ismc.contains("<c t=\"0\" d=\"20000000\"/>\n    <c d=\"20000000\"/>\n    <c t=\"40000005\" d=\"10000000\"/>"), "{ismc}");
    assert!(ismc.contains(r#"Duration="50000005""#));
}

#[test]
fn misaligned_fragments_name_the_fragment() {
    let mut p = presentation();
    p.tracks[1].fragments[1].duration += 1;
    match client_manifest(&p) {
        Err(Error::MisalignedFragments {
            stream_index,
            fragment,
            detail,
        }) => {
            assert_eq!(stream_index, "video");
            assert_eq!(fragment, 1);
            assert_eq!(
                detail,
                "bit rate 2000000: t=20000000 d=20000000 vs bit rate 1000000: t=20000000 d=20000001"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut p = presentation();
    p.tracks[1].fragments.pop();
    match server_manifest(&p, "x.ismc") {
        Err(Error::MisalignedFragments {
            fragment, detail, ..
        }) => {
            assert_eq!(fragment, 2);
            assert!(detail.ends_with("bit rate 1000000: missing"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicate_bitrate_and_bad_input_refused() {
    let mut p = presentation();
    p.tracks[1].bitrate = 2_000_000;
    let err = client_manifest(&p).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("\"video\"") && m.contains("2000000")),
        "{err}"
    );
    let mut p = presentation();
    p.tracks[2].attributes = p.tracks[0].attributes.clone();
    assert!(matches!(
        client_manifest(&p),
        Err(Error::InvalidArgument(_))
    ));
    let mut p = presentation();
    p.tracks[0].bitrate = u32::MAX;
    assert!(matches!(
        client_manifest(&p),
        Err(Error::InvalidArgument(_))
    ));
    let p = Presentation {
        timescale: 10_000_000,
        tracks: Vec::new(),
        protection: Vec::new(),
        fragment_elements: false,
    };
    assert!(matches!(
        server_manifest(&p, "x"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn explicit_quality_index() {
    let mut p = presentation();
    p.tracks[0].quality_index = Some(7);
    let ismc = client_manifest(&p).unwrap();
    assert!(ismc.contains(r#"<QualityLevel Index="7" Bitrate="2000000""#));
    assert!(ismc.contains(r#"<QualityLevel Index="1" Bitrate="1000000""#));
}

#[test]
fn names_are_escaped() {
    let mut p = presentation();
    p.tracks[2].name = r#"a&b<"c">"#.into();
    p.tracks[2].source = "x&y.ismv".into();
    let ismc = client_manifest(&p).unwrap();
    assert!(
        ismc.contains(r#"Name="a&amp;b&lt;&quot;c&quot;&gt;""#),
        "{ismc}"
    );
    assert!(ismc.contains(r#"Fragments(a&amp;b&lt;&quot;c&quot;&gt;={start time})"#));
    let ism = server_manifest(&p, "m&n.ismc").unwrap();
    assert!(ism.contains(r#"content="m&amp;n.ismc""#));
    assert!(ism.contains(r#"src="x&amp;y.ismv""#));
    assert!(ism.contains(r#"value="a&amp;b&lt;&quot;c&quot;&gt;""#));

    // The reader gives the original name back.
    let mut reader = Reader::from_str(&ismc);
    let mut names = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().into_inner() == "StreamIndex" => {
                let attr = e.try_get_attribute("Name").unwrap().unwrap();
                names.push(
                    attr.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(names, ["video", r#"a&b<"c">"#]);
}

#[test]
fn output_parses_back() {
    let ismc = client_manifest(&presentation()).unwrap();
    let mut reader = Reader::from_str(&ismc);
    let (mut streams, mut levels, mut chunks) = (0, 0, 0);
    let mut declared_chunks = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().into_inner() == "StreamIndex" => {
                streams += 1;
                let c = e.try_get_attribute("Chunks").unwrap().unwrap();
                declared_chunks += c.value.parse::<usize>().unwrap();
            }
            Event::Empty(e) if e.name().into_inner() == "QualityLevel" => levels += 1,
            Event::Empty(e) if e.name().into_inner() == "c" => chunks += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((streams, levels, chunks), (2, 3, 6));
    assert_eq!(declared_chunks, chunks);

    let ism = server_manifest(&presentation(), "movie.ismc").unwrap();
    let mut reader = Reader::from_str(&ism);
    let (mut media, mut params) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if matches!(e.name().into_inner(), "video" | "audio") => media += 1,
            Event::Empty(e) if e.name().into_inner() == "param" => params += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((media, params), (3, 4));
}

use crate::test_rng::XorShift;

#[test]
fn random_presentations_never_panic() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for _ in 0..2000 {
        let mut p = presentation();
        p.timescale = rng.next() % 3 * 5_000_000;
        for t in &mut p.tracks {
            t.bitrate = (rng.next() % 4) as u32 * 1_000_000;
            if rng.next().is_multiple_of(2) {
                t.name = ["video", "audio", ""][(rng.next() % 3) as usize].into();
            }
            for f in &mut t.fragments {
                f.time = rng.next() >> (rng.next() % 64);
                f.duration = rng.next() >> (rng.next() % 64);
            }
            t.fragments.truncate((rng.next() % 4) as usize);
        }
        let _ = client_manifest(&p);
        let _ = server_manifest(&p, "x.ismc");
    }
}

#[test]
fn protection_is_the_last_child_with_plain_base64() {
    let mut p = presentation();
    p.protection.push(super::ProtectionHeader {
        system_id: [
            0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88,
            0x5f, 0x95,
        ],
        data: vec![0xa6, 0x02, 0, 0, 1, 0, 1, 0],
    });
    let ismc = client_manifest(&p).unwrap();
    let tail = "  <Protection>\n    <ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\">pgIAAAEAAQA=</ProtectionHeader>\n  </Protection>\n</SmoothStreamingMedia>";
    assert!(ismc.trim_end().ends_with(tail), "{ismc}");
    // The server manifest does not carry protection.
    assert!(
        !server_manifest(&p, "m.ismc")
            .unwrap()
            .contains("Protection")
    );
}

#[test]
fn forced_fragment_elements_list_every_quality_level() {
    let mut p = presentation();
    let plain = client_manifest(&p).unwrap();
    assert!(!plain.contains("<f "), "no f elements unless asked");
    p.fragment_elements = true;
    let xml = client_manifest(&p).unwrap();
    let video = xml.split("</StreamIndex>").next().unwrap();
    let audio = xml.split("</StreamIndex>").nth(1).unwrap();
    let video_chunks = video.matches("<c ").count();
    assert!(video_chunks > 0);
    assert_eq!(
        video.matches("<f i=\"0\"/>").count(),
        video_chunks,
        "{video}"
    );
    assert_eq!(video.matches("<f i=\"1\"/>").count(), video_chunks);
    assert_eq!(
        audio.matches("<f i=\"0\"/>").count(),
        audio.matches("<c ").count()
    );
    // A QualityLevel with its own Index is named by it.
    p.tracks[1].quality_index = Some(7);
    let xml = client_manifest(&p).unwrap();
    assert!(xml.contains("<f i=\"7\"/>"), "{xml}");
}
