//! The muxer's contract: exact timing, fragment boundaries, header stability, and a clear
//! error (never a panic) for each kind of bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use bytes::Bytes;
use ssf::{Error, Muxer, Options, Sample, StreamConfig, StreamId};

/// AAC-LC 48 kHz stereo.
const ASC_48K: [u8; 2] = [0x11, 0x90];
static FRAME: [u8; 8] = [0x21, 0x10, 0x05, 0x00, 0xa0, 0x19, 0x33, 0x87];

fn aac_muxer(options: Options) -> (Muxer, StreamId) {
    let mut mux = Muxer::new(options).unwrap();
    let id = mux
        .add_stream(
            StreamConfig::aac(&ASC_48K)
                .unwrap()
                .bitrate(128_000)
                .timescale(48_000),
        )
        .unwrap();
    (mux, id)
}

fn frame(n: u64) -> Sample {
    Sample::new(Bytes::from_static(&FRAME), n * 1024).duration(1024)
}

#[test]
fn aac_timeline_has_zero_drift_after_24_hours() {
    let (mut mux, a) = aac_muxer(Options::default());
    let frames = 24 * 3600 * 48_000 / 1024; // exactly 4 050 000 frames = 86 400 s
    let mut expected_time = 0;
    let mut fragments = 0u64;
    for n in 0..frames {
        if let Some(f) = mux.push(a, frame(n)).unwrap() {
            assert_eq!(
                f.time, expected_time,
                "fragment {fragments} starts where the last ended"
            );
            expected_time += f.duration;
            fragments += 1;
        }
    }
    for f in mux.finish().unwrap() {
        assert_eq!(f.time, expected_time);
        expected_time += f.duration;
    }
    assert_eq!(
        expected_time, 864_000_000_000,
        "24 h in 100 ns ticks, not a tick of drift"
    );
    // Fragments stay on the 2 s grid: every boundary is within one frame of it.
    let times = mux.fragment_times(a).unwrap();
    for (i, f) in times.iter().enumerate() {
        let grid = i as u64 * 20_000_000;
        assert!(
            f.time >= grid && f.time - grid < 213_334,
            "fragment {i} at {}",
            f.time
        );
    }
}

#[test]
fn fragment_payloads_are_shared_not_copied() {
    let (mut mux, a) = aac_muxer(Options::default().manual());
    let data = Bytes::from(vec![7u8; 100]);
    mux.push(a, Sample::new(data.clone(), 0).duration(1024))
        .unwrap();
    let f = mux.flush(a).unwrap().unwrap();
    assert_eq!(f.chunks.len(), 2);
    assert_eq!(f.chunks[1].memory().unwrap().as_ptr(), data.as_ptr());
}

#[test]
fn header_size_is_stable_from_first_to_final_call() {
    let (mut mux, a) = aac_muxer(Options::default());
    let first = mux.header(&[a]).unwrap();
    for n in 0..1000 {
        mux.push(a, frame(n)).unwrap();
    }
    mux.finish().unwrap();
    let last = mux.header(&[a]).unwrap();
    assert_eq!(first.len(), last.len());
    assert_ne!(first, last, "the final header carries the duration");
}

#[test]
fn manual_fragments_end_where_the_caller_says() {
    let (mut mux, a) = aac_muxer(Options::default().manual());
    for n in 0..10 {
        assert!(
            mux.push(a, Sample::new(Bytes::from_static(&FRAME), n * 1024))
                .unwrap()
                .is_none()
        );
    }
    let f = mux.flush_at(a, 12 * 1024).unwrap().unwrap();
    assert_eq!(f.time, 0);
    assert_eq!(f.duration, 2_560_000, "12 frames of 1024 at 48 kHz");
    assert!(mux.flush(a).unwrap().is_none());
}

#[test]
fn unknown_stream_is_an_error() {
    let (mut mux, a) = aac_muxer(Options::default());
    // A handle from another muxer with more streams does not exist in this one.
    let mut other = Muxer::new(Options::default()).unwrap();
    let mut stranger = a;
    for _ in 0..3 {
        stranger = other
            .add_stream(StreamConfig::aac(&ASC_48K).unwrap())
            .unwrap();
    }
    assert!(matches!(
        mux.push(stranger, frame(0)),
        Err(Error::UnknownStream(2))
    ));
    assert!(matches!(mux.flush(stranger), Err(Error::UnknownStream(2))));
    assert!(matches!(
        mux.header(&[a, stranger]),
        Err(Error::UnknownStream(2))
    ));
    assert!(matches!(
        mux.index(&[stranger]),
        Err(Error::UnknownStream(2))
    ));
}

#[test]
fn decreasing_decode_time_is_an_error() {
    let (mut mux, a) = aac_muxer(Options::default());
    mux.push(a, frame(5)).unwrap();
    let err = mux.push(a, frame(4)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::DecreasingTime {
                stream: 0,
                sample: 1,
                dts: 4096,
                previous: 5120
            }
        ),
        "{err}"
    );
}

#[test]
fn fragment_starting_on_a_non_sync_sample_is_an_error() {
    let (mut mux, a) = aac_muxer(Options::default().manual());
    let err = mux.push(a, frame(0).sync(false)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonSyncFragmentStart {
                stream: 0,
                sample: 0
            }
        ),
        "{err}"
    );
    mux.push(a, frame(0)).unwrap();
    mux.flush(a).unwrap();
    let err = mux.push(a, frame(1).sync(false)).unwrap_err();
    assert!(
        matches!(err, Error::NonSyncFragmentStart { sample: 1, .. }),
        "{err}"
    );
}

#[test]
fn empty_and_oversized_samples_are_errors() {
    let (mut mux, a) = aac_muxer(Options::default());
    let err = mux.push(a, Sample::new(Bytes::new(), 0)).unwrap_err();
    assert!(matches!(err, Error::EmptySample { .. }), "{err}");
    let huge = Bytes::from(vec![0u8; (64 << 20) + 1]);
    let err = mux.push(a, Sample::new(huge, 0)).unwrap_err();
    assert!(
        matches!(err, Error::SampleTooLarge { size, .. } if size == (64 << 20) + 1),
        "{err}"
    );
}

#[test]
fn config_that_does_not_parse_is_an_error() {
    assert!(matches!(
        StreamConfig::aac(&[]),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        StreamConfig::aac(&[0xF8, 0, 0]),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        StreamConfig::h264(&[1, 2, 3]),
        Err(Error::InvalidConfig { .. }) | Err(Error::Malformed { .. })
    ));
    assert!(
        StreamConfig::h264_parameter_sets(
            Bytes::from_static(&[0x67, 0xFF]),
            Bytes::from_static(&[0x68, 0xCE]),
            ssf::codec::avc::NalFormat::LengthPrefixed(4)
        )
        .is_err()
    );
}

#[test]
fn overflowing_timestamps_are_errors() {
    let (mut mux, a) = aac_muxer(Options::default());
    let err = mux
        .push(a, Sample::new(Bytes::from_static(&FRAME), u64::MAX / 2))
        .unwrap_err();
    assert!(matches!(err, Error::TimestampOverflow { .. }), "{err}");
    let err = mux
        .push(
            a,
            Sample::new(Bytes::from_static(&FRAME), 0).cts_offset(u64::MAX),
        )
        .unwrap_err();
    assert!(matches!(err, Error::TimestampOverflow { .. }), "{err}");
}

#[test]
fn misaligned_bitrates_name_the_first_differing_fragment() {
    let mut mux = Muxer::new(Options::default().manual()).unwrap();
    let config = || StreamConfig::aac(&ASC_48K).unwrap().timescale(48_000);
    let hi = mux.add_stream(config().bitrate(128_000)).unwrap();
    let lo = mux.add_stream(config().bitrate(64_000)).unwrap();
    for (stream, cut) in [(hi, 50), (lo, 60)] {
        for n in 0..100 {
            if n == cut {
                mux.flush(stream).unwrap();
            }
            mux.push(stream, frame(n)).unwrap();
        }
        mux.flush(stream).unwrap();
    }
    let err = mux.client_manifest().unwrap_err();
    assert!(
        matches!(err, Error::MisalignedFragments { fragment: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("fragment 0"), "{err}");
}

#[test]
fn one_file_can_hold_any_subset_of_streams() {
    use ssf::isobmff::reader::{self, Tfhd, Tfra};
    let mut mux = Muxer::new(Options::default()).unwrap();
    let config = |bitrate| {
        StreamConfig::aac(&ASC_48K)
            .unwrap()
            .timescale(48_000)
            .bitrate(bitrate)
    };
    let a = mux.add_stream(config(128_000)).unwrap();
    let b = mux.add_stream(config(64_000)).unwrap();
    let c = mux.add_stream(config(32_000)).unwrap();
    // The file holds a and c, in the order the muxer hands their fragments out.
    let mut file = mux.header(&[c, a]).unwrap().to_vec();
    let header_len = file.len();
    for n in 0..500 {
        for s in [a, b, c] {
            if let Some(f) = mux.push(s, frame(n)).unwrap()
                && s != b
            {
                file.extend_from_slice(&f.to_vec().unwrap());
            }
        }
    }
    for f in mux.finish().unwrap() {
        if f.stream != b {
            file.extend_from_slice(&f.to_vec().unwrap());
        }
    }
    let header = mux.header(&[c, a]).unwrap();
    assert_eq!(header.len(), header_len);
    file[..header_len].copy_from_slice(&header);
    file.extend_from_slice(&mux.index(&[c, a]).unwrap());

    let moov = reader::find(&file, "moov").unwrap().unwrap();
    assert_eq!(moov.find_all("trak").unwrap().len(), 2);
    let mfra = reader::find(&file, "mfra").unwrap().unwrap();
    let tfras = mfra.find_all("tfra").unwrap();
    assert_eq!(tfras.len(), 2);
    for tfra in tfras {
        let tfra = Tfra::parse(&tfra).unwrap();
        assert_eq!(tfra.entries.len(), 6, "10.7 s of audio in 2 s fragments");
        for entry in &tfra.entries {
            let at = usize::try_from(entry.moof_offset).unwrap();
            let moof = reader::boxes(&file[at..]).next().unwrap().unwrap();
            assert_eq!(moof.type_str(), "moof");
            let tfhd = Tfhd::parse(&moof.find("traf/tfhd").unwrap().unwrap()).unwrap();
            assert_eq!(tfhd.track_id, tfra.track_id);
        }
    }
}

#[test]
fn a_gap_wider_than_a_trun_duration_is_refused_and_the_stream_goes_on() {
    let (mut mux, a) = aac_muxer(Options::default().manual());
    mux.push(a, frame(0)).unwrap();
    // 48 kHz: 2^32 ticks of 100 ns are 429 s; a sample 500 s later cannot follow.
    let err = mux
        .push(a, Sample::new(Bytes::from_static(&FRAME), 500 * 48_000))
        .unwrap_err();
    assert!(matches!(err, Error::TimestampOverflow { .. }), "{err}");
    assert!(err.to_string().contains("32 bits"), "{err}");
    mux.push(a, frame(1)).unwrap();
    let fragment = mux.flush(a).unwrap().unwrap();
    assert_eq!(fragment.time, 0);
}

#[test]
fn file_payloads_are_taken_only_where_no_byte_needs_reading() {
    use ssf::mux::{Chunk, FileRange};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payloads");
    std::fs::write(&path, FRAME.repeat(4)).unwrap();
    let file = Arc::new(std::fs::File::open(&path).unwrap());
    let range = |n: u64| FileRange {
        file: file.clone(),
        offset: n * FRAME.len() as u64,
        len: FRAME.len() as u64,
    };
    // Raw AAC passes through: the fragment points at the file, and reads back equal to
    // the same samples given in memory.
    let (mut mux, a) = aac_muxer(Options::default().manual());
    assert!(mux.takes_file_payloads(a));
    let (mut memory, m) = aac_muxer(Options::default().manual());
    for n in 0..4 {
        mux.push(a, Sample::from_file(range(n), n * 1024).duration(1024))
            .unwrap();
        memory.push(m, frame(n)).unwrap();
    }
    let from_file = mux.flush(a).unwrap().unwrap();
    assert!(matches!(from_file.chunks[1], Chunk::File(_)));
    let in_memory = memory.flush(m).unwrap().unwrap();
    assert_eq!(from_file.to_vec().unwrap(), in_memory.to_vec().unwrap());
    // H.264 whose parameter sets come in-band needs the bytes: refused, nothing changed.
    let mut mux = Muxer::new(Options::default()).unwrap();
    let v = mux
        .add_stream(
            StreamConfig::h264_in_band(ssf::codec::avc::NalFormat::LengthPrefixed(4)).unwrap(),
        )
        .unwrap();
    assert!(!mux.takes_file_payloads(v));
    let err = mux.push(v, Sample::from_file(range(0), 0)).unwrap_err();
    assert!(
        err.to_string().contains("needs its payloads' bytes"),
        "{err}"
    );
}

#[test]
fn a_muxer_that_keeps_no_index_stays_flat_and_refuses_what_needs_every_fragment() {
    let (mut mux, a) = aac_muxer(Options::default());
    mux.keep_no_index();
    let mut fragments = 0usize;
    // 10 000 fragments of 2 s: the kept log must not grow with them.
    for n in 0..(10_000 * 20_000_000 / 213_333) {
        if mux.push(a, frame(n)).unwrap().is_some() {
            fragments += 1;
        }
    }
    assert!(fragments > 9_000, "{fragments} fragments");
    let kept = mux.fragment_times(a).unwrap();
    assert!(kept.len() < 200, "kept {} fragment times", kept.len());
    let last = kept.last().unwrap();
    assert!(last.time > 9_000 * 20_000_000, "the newest is kept");
    let err = mux.index(&[a]).unwrap_err().to_string();
    assert!(err.contains("keeps no index"), "{err}");
    assert!(mux.client_manifest().is_err());
}
