//! H.264 samples in every framing a caller may use (2- and 4-byte NAL lengths, Annex B;
//! parameter sets given or only in-band) come out with 4-byte lengths that FFmpeg decodes
//! frame-exactly like the source stream. (1-byte lengths cannot carry this stream's
//! slices; the codec's unit tests cover their rewrite.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs::File;
use std::path::Path;

use bytes::{BufMut, Bytes, BytesMut};
use ssf::codec::avc::{NalFormat, length_prefixed_nals};
use ssf::input::h264::{AccessUnitReader, PtsFromPoc};
use ssf::{Options, Sample, StreamConfig, VodWriter};

const SOURCE: &str = "tests/data/avc/small_bframes.h264";

/// One access unit with 4-byte lengths: (data, dts, cts offset, is_idr).
type Frame = (Bytes, u64, u32, bool);

/// Every access unit of the source, plus the frame duration and timescale from its SPS.
fn access_units() -> (Vec<Frame>, u64, u32) {
    let path = support::root().join(SOURCE);
    let mut reader = AccessUnitReader::new(File::open(&path).unwrap());
    let mut units = Vec::new();
    let mut timing = None;
    let mut pts = None;
    let mut out = Vec::new();
    while let Some(au) = reader.next_access_unit().unwrap() {
        if timing.is_none() {
            let sps = reader.active_sps().unwrap();
            timing = sps.frame_duration();
            pts = Some(PtsFromPoc::new(
                timing.unwrap().0,
                sps.max_num_reorder_frames,
            ));
        }
        let pts = pts.as_mut().unwrap();
        pts.push(au.poc, au.starts_period, (au.data.clone(), au.is_idr))
            .unwrap();
        while let Some(f) = pts.pop().unwrap() {
            out.push(f);
        }
        units.push(au);
    }
    let pts = pts.as_mut().unwrap();
    pts.finish().unwrap();
    while let Some(f) = pts.pop().unwrap() {
        out.push(f);
    }
    let (duration, timescale) = timing.unwrap();
    let frames = out
        .into_iter()
        .map(|f| (f.payload.0, f.dts, f.cts_offset, f.payload.1))
        .collect();
    (frames, duration, timescale)
}

/// Re-frames a 4-byte length-prefixed access unit.
fn reframe(data: &[u8], format: NalFormat) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 16);
    for nal in length_prefixed_nals(data, 4) {
        let nal = nal.unwrap();
        match format {
            NalFormat::AnnexB => out.put_slice(&[0, 0, 0, 1]),
            NalFormat::LengthPrefixed(1) => out.put_u8(u8::try_from(nal.len()).unwrap()),
            NalFormat::LengthPrefixed(2) => out.put_u16(u16::try_from(nal.len()).unwrap()),
            NalFormat::LengthPrefixed(_) => out.put_u32(u32::try_from(nal.len()).unwrap()),
        }
        out.put_slice(nal);
    }
    out.freeze()
}

fn package(dir: &Path, format: NalFormat, in_band: bool) -> std::path::PathBuf {
    let (frames, duration, timescale) = access_units();
    let config = if in_band {
        StreamConfig::h264_in_band(format).unwrap()
    } else {
        let first = &frames[0].0;
        let mut sps = None;
        let mut pps = None;
        for nal in length_prefixed_nals(first, 4) {
            let nal = Bytes::copy_from_slice(nal.unwrap());
            match nal[0] & 0x1F {
                7 => sps = Some(nal),
                8 => pps = Some(nal),
                _ => {}
            }
        }
        StreamConfig::h264_parameter_sets(sps.unwrap(), pps.unwrap(), format).unwrap()
    };
    let mut vod = VodWriter::create(dir, "f", Options::default()).unwrap();
    let v = vod
        .add_stream(config.bitrate(100_000).timescale(timescale))
        .unwrap();
    for (data, dts, cts, idr) in frames {
        let sample = Sample::new(reframe(&data, format), dts)
            .cts_offset(u64::from(cts))
            .duration(duration)
            .sync(idr);
        vod.push(v, sample).unwrap();
    }
    vod.finish().unwrap().pop().unwrap()
}

#[test]
fn every_framing_decodes_like_the_source() {
    if !support::require_tool("ffmpeg", "every_framing_decodes_like_the_source") {
        return;
    }
    let expected = support::frame_hashes(&support::root().join(SOURCE), "v");
    assert!(!expected.is_empty());
    for (format, in_band) in [
        (NalFormat::LengthPrefixed(4), true),
        (NalFormat::LengthPrefixed(2), false),
        (NalFormat::AnnexB, false),
        (NalFormat::AnnexB, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ismv = package(dir.path(), format, in_band);
        support::ffprobe_clean(&ismv);
        assert_eq!(
            support::frame_hashes(&ismv, "v"),
            expected,
            "{format:?}, parameter sets {}",
            if in_band { "in-band" } else { "given" }
        );
    }
}

/// A muxer with one H.264 stream whose parameter sets come in-band.
fn in_band_muxer(timescale: u32) -> (ssf::Muxer, ssf::StreamId) {
    let mut mux = ssf::Muxer::new(Options::default()).unwrap();
    let config = StreamConfig::h264_in_band(NalFormat::LengthPrefixed(4)).unwrap();
    let v = mux.add_stream(config.timescale(timescale)).unwrap();
    (mux, v)
}

#[test]
fn a_video_fragment_cannot_start_on_a_non_idr_picture() {
    let (frames, duration, timescale) = access_units();
    let (mut mux, v) = in_band_muxer(timescale);
    let (data, dts, _, idr) = &frames[1];
    assert!(!idr);
    let err = mux
        .push(
            v,
            Sample::new(data.clone(), *dts)
                .duration(duration)
                .sync(false),
        )
        .unwrap_err();
    assert!(
        matches!(err, ssf::Error::NonSyncFragmentStart { .. }),
        "{err}"
    );
    // Without a parameter set yet, the header cannot be built: a clear error.
    assert!(matches!(mux.header(&[v]), Err(ssf::Error::InvalidState(_))));
}

#[test]
fn broken_nal_framing_is_an_invalid_sample() {
    let (frames, duration, timescale) = access_units();
    let (mut mux, v) = in_band_muxer(timescale);
    let (data, dts, _, _) = &frames[0];
    let truncated = data.slice(..data.len() - 1);
    let err = mux
        .push(v, Sample::new(truncated, *dts).duration(duration))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ssf::Error::InvalidSample {
                stream: 0,
                sample: 0,
                ..
            }
        ),
        "{err}"
    );
}
