//! Tests against small x264 streams (made once with ffmpeg 5.1, values from ffprobe) and
//! robustness tests that feed random and damaged bytes to every parser.

use std::io::Read;

use bytes::Bytes;

use super::*;
use crate::error::Result;
// The stream reader moved to the input layer; these tests read the reference streams
// with it to reach the parameter sets, slices and POCs parsed here.
use crate::input::h264::{AccessUnit, AccessUnitReader, PtsFromPoc};

const SMALL_BFRAMES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/small_bframes.h264"
));
const CROP_SAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/crop_sar.h264"
));
const BASELINE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/baseline.h264"
));
const HIGH444: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/high444.h264"
));
const INTERLACED: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/interlaced.h264"
));
/// x264 `open-gop=1:keyint=5:min-keyint=5:scenecut=0:bframes=2`, 15 frames of 64×64:
/// an IDR picture, then recovery-point I pictures (pictures 4 and 8 in decode order) and
/// no other IDR picture.
const OPEN_GOP: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/avc/open_gop.h264"
));

/// A reference stream: its bytes, what ffprobe says about it, and the decode indices of
/// its frames in presentation order (the coded_picture_number column of
/// `ffprobe -show_frames`).
struct Reference {
    data: &'static [u8],
    size: (u32, u32),
    sar: (u16, u16),
    frame_duration: (u64, u32),
    profile_idc: u8,
    chroma_format_idc: u8,
    pic_order_cnt_type: u8,
    presentation: &'static [u64],
}

const REFERENCES: [Reference; 5] = [
    Reference {
        // -bf 3 with B-pyramid and an IDR every 12 frames.
        data: SMALL_BFRAMES,
        size: (160, 90),
        sar: (1, 1),
        frame_duration: (2, 50),
        profile_idc: 100,
        chroma_format_idc: 1,
        pic_order_cnt_type: 0,
        presentation: &[
            0, 3, 2, 4, 1, 7, 6, 8, 5, 10, 11, 9, 12, 15, 14, 16, 13, 19, 18, 20, 17, 22, 23, 21,
            24, 27, 26, 28, 25, 31, 30, 32, 29, 34, 35, 33,
        ],
    },
    Reference {
        // 176x100 needs cropping; SAR 4:3; 29.97 fps.
        data: CROP_SAR,
        size: (176, 100),
        sar: (4, 3),
        frame_duration: (2002, 60000),
        profile_idc: 100,
        chroma_format_idc: 1,
        pic_order_cnt_type: 0,
        presentation: &[0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 13, 11, 14],
    },
    Reference {
        data: BASELINE,
        size: (128, 72),
        sar: (1, 1),
        frame_duration: (2, 50),
        profile_idc: 66,
        chroma_format_idc: 1,
        pic_order_cnt_type: 2,
        presentation: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    },
    Reference {
        // High 4:4:4 Predictive with JVT scaling matrices in the SPS.
        data: HIGH444,
        size: (96, 64),
        sar: (1, 1),
        frame_duration: (2, 48),
        profile_idc: 244,
        chroma_format_idc: 3,
        pic_order_cnt_type: 0,
        presentation: &[0, 3, 2, 4, 1, 7, 6, 8, 5, 9],
    },
    Reference {
        // MBAFF, so frame_mbs_only is 0 and the crop unit is 4 rows.
        data: INTERLACED,
        size: (128, 100),
        sar: (1, 1),
        frame_duration: (2, 50),
        profile_idc: 100,
        chroma_format_idc: 1,
        pic_order_cnt_type: 0,
        presentation: &[0, 2, 3, 1, 5, 6, 4, 8, 9, 7, 11, 12, 10, 14, 13],
    },
];

/// Hands out a few bytes per read, so start codes straddle reads.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        buf[..n].copy_from_slice(head);
        self.data = tail;
        Ok(n)
    }
}

fn read_all(source: impl Read) -> Result<Vec<AccessUnit>> {
    let mut reader = AccessUnitReader::new(source);
    let mut out = Vec::new();
    while let Some(au) = reader.next_access_unit()? {
        out.push(au);
    }
    Ok(out)
}

/// Runs access units through [`PtsFromPoc`]; returns (dts, pts) per decode index.
fn times(aus: &[AccessUnit], depth: Option<u32>, duration: u64) -> Vec<(u64, u64)> {
    let mut pts = PtsFromPoc::new(duration, depth);
    let mut out = Vec::new();
    let drain = |pts: &mut PtsFromPoc<usize>, out: &mut Vec<(usize, u64, u64)>| {
        while let Some(f) = pts.pop().unwrap() {
            out.push((f.payload, f.dts, f.dts + u64::from(f.cts_offset)));
        }
    };
    for (i, au) in aus.iter().enumerate() {
        pts.push(au.poc, au.starts_period, i).unwrap();
        drain(&mut pts, &mut out);
    }
    pts.finish().unwrap();
    drain(&mut pts, &mut out);
    assert!(out.iter().enumerate().all(|(i, &(d, _, _))| i == d));
    out.into_iter().map(|(_, dts, pts)| (dts, pts)).collect()
}

#[test]
fn parses_reference_streams() {
    for (n, r) in REFERENCES.iter().enumerate() {
        let aus = read_all(r.data).unwrap();
        assert_eq!(aus.len(), r.presentation.len(), "stream {n}");
        let trickled = read_all(Trickle {
            data: r.data,
            step: 7,
        })
        .unwrap();
        assert_eq!(trickled, aus, "stream {n}");

        let first = &aus[0];
        assert!(first.is_idr && first.starts_period && first.sps.is_some());
        let config = AvcDecoderConfig::from_access_unit(&first.data, NalFormat::LengthPrefixed(4))
            .unwrap()
            .unwrap();
        let sps = config.sps_info().unwrap();
        assert_eq!((sps.width, sps.height), r.size, "stream {n}");
        assert_eq!(sps.sample_aspect_ratio, r.sar, "stream {n}");
        assert_eq!(sps.frame_duration(), Some(r.frame_duration), "stream {n}");
        assert_eq!(sps.profile_idc, r.profile_idc, "stream {n}");
        assert_eq!(sps.chroma_format_idc, r.chroma_format_idc, "stream {n}");
        assert_eq!(sps.pic_order_cnt_type, r.pic_order_cnt_type, "stream {n}");
        assert_eq!(config.profile_idc, r.profile_idc);
        assert_eq!(AvcDecoderConfig::parse(&config.to_avcc()).unwrap(), config);

        // The access units hold exactly the stream's NAL units.
        let from_stream: Vec<&[u8]> = split_annexb(r.data).collect();
        let from_aus: Vec<&[u8]> = aus
            .iter()
            .flat_map(|au| length_prefixed_nals(&au.data, 4).map(|n| n.unwrap()))
            .collect();
        assert_eq!(from_aus, from_stream, "stream {n}");
        let mut converted = Vec::new();
        annexb_to_length_prefixed4(r.data, &mut converted).unwrap();
        assert_eq!(
            converted,
            aus.iter()
                .flat_map(|au| au.data.to_vec())
                .collect::<Vec<_>>()
        );

        let duration = r.frame_duration.0;
        for depth in [sps.max_num_reorder_frames, None] {
            let t = times(&aus, depth, duration);
            let mut order: Vec<u64> = (0..t.len() as u64).collect();
            order.sort_by_key(|&i| t[i as usize].1);
            assert_eq!(order, r.presentation, "stream {n}, depth {depth:?}");
            for (i, &(dts, pts)) in t.iter().enumerate() {
                assert_eq!(dts, i as u64 * duration);
                assert!(pts >= dts);
            }
            // Presentation times are the frame slots after a constant delay.
            let delay = t.iter().map(|&(_, pts)| pts).min().unwrap();
            let mut slots: Vec<u64> = t.iter().map(|&(_, pts)| (pts - delay) / duration).collect();
            slots.sort_unstable();
            assert_eq!(slots, (0..t.len() as u64).collect::<Vec<_>>());
        }
    }
}

#[test]
fn access_units_tell_intra_pictures_recovery_points_and_offsets() {
    for r in &REFERENCES {
        let aus = read_all(r.data).unwrap();
        for au in &aus {
            assert_eq!(&r.data[au.offset - 3..au.offset], [0, 0, 1]);
            assert!(au.is_intra || !au.is_idr);
            assert_eq!(au.recovery_point, None);
        }
        assert!(aus.windows(2).all(|w| w[0].offset < w[1].offset));
    }
}

/// Reads `source` to its first error; the access units before it and the error.
fn read_to_error(source: impl Read) -> (Vec<AccessUnit>, String) {
    let mut reader = AccessUnitReader::new(source);
    let mut aus = Vec::new();
    loop {
        match reader.next_access_unit() {
            Ok(Some(au)) => aus.push(au),
            Ok(None) => panic!("read to the end without an error"),
            Err(e) => return (aus, e.to_string()),
        }
    }
}

#[test]
fn open_gop_stream_is_refused_at_its_second_gop_start() {
    let (aus, err) = read_to_error(OPEN_GOP);
    let trickled = read_to_error(Trickle {
        data: OPEN_GOP,
        step: 7,
    });
    assert_eq!((&aus, &err), (&trickled.0, &trickled.1));
    assert_eq!(aus.len(), 8);
    let starts: Vec<usize> = (0..aus.len())
        .filter(|&i| aus[i].is_intra && aus[i].recovery_point.is_some())
        .collect();
    assert_eq!(starts, [4]);
    assert!(aus[0].is_idr && aus.iter().skip(1).all(|au| !au.is_idr));
    assert!(
        err.contains(&format!(
            "open GOP: the picture at byte {} (picture 4 in decode order) starts a GOP",
            aus[4].offset
        )) && err.contains("up to picture 8"),
        "{err}"
    );
}

#[test]
fn reference_parameter_details() {
    let crop = AvcDecoderConfig::from_access_unit(CROP_SAR, NalFormat::AnnexB)
        .unwrap()
        .unwrap()
        .sps_info()
        .unwrap();
    assert_eq!(crop.display_size(), (235, 100));
    assert_eq!(crop.max_num_reorder_frames, Some(2));
    let high = AvcDecoderConfig::from_access_unit(HIGH444, NalFormat::AnnexB)
        .unwrap()
        .unwrap();
    let ext = high.high_profile_ext.as_ref().unwrap();
    assert_eq!((ext.chroma_format_idc, ext.bit_depth_luma), (3, 8));
    let interlaced = AvcDecoderConfig::from_access_unit(INTERLACED, NalFormat::AnnexB)
        .unwrap()
        .unwrap()
        .sps_info()
        .unwrap();
    assert!(!interlaced.frame_mbs_only && interlaced.mb_adaptive_frame_field);
}

#[test]
fn avcc_matches_ffmpeg() {
    // The avcC that ffmpeg 5.1 writes for small_bframes.h264 in MP4.
    let ffmpeg = [
        0x01, 0x64, 0x00, 0x0b, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42,
        0x8d, 0xf9, 0x30, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f,
        0x14, 0x29, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8,
        0x00,
    ];
    let config = AvcDecoderConfig::from_access_unit(SMALL_BFRAMES, NalFormat::AnnexB)
        .unwrap()
        .unwrap();
    assert_eq!(config.to_avcc(), ffmpeg);
    let parsed = AvcDecoderConfig::parse(&ffmpeg).unwrap();
    assert_eq!(parsed, config);
    let cpd = config.codec_private_data();
    assert_eq!(cpd[..5], [0, 0, 0, 1, 0x67]);
    assert_eq!(cpd.len(), 4 + 25 + 4 + 6);
    assert_eq!(split_annexb(&cpd).count(), 2);
    // ffmpeg also writes the chroma and bit depth bytes for profile 244.
    let high = AvcDecoderConfig::from_access_unit(HIGH444, NalFormat::AnnexB)
        .unwrap()
        .unwrap();
    let ffmpeg_high = "01f4000affe1001767f4000a919b28c4d808800000030080000018078912cb01000868ebe3c44c000440fff8f800";
    let hex: String = high.to_avcc().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, ffmpeg_high);
    // A 2-byte length field and a missing PPS are refused.
    let mut bad = ffmpeg;
    bad[4] = 0xfe;
    assert!(AvcDecoderConfig::parse(&bad).is_err());
    assert!(AvcDecoderConfig::parse(&ffmpeg[..31]).is_err());
}

/// Writes RBSP bits for hand-built parameter sets (here and in the other modules' tests).
#[derive(Default)]
pub(super) struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    pub(super) fn bit(&mut self, b: bool) -> &mut Self {
        if self.bits.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if b {
            *self.bytes.last_mut().unwrap() |= 0x80 >> (self.bits % 8);
        }
        self.bits += 1;
        self
    }

    pub(super) fn bits(&mut self, v: u32, n: u32) -> &mut Self {
        for i in (0..n).rev() {
            self.bit((v >> i) & 1 == 1);
        }
        self
    }

    pub(super) fn ue(&mut self, v: u32) -> &mut Self {
        let v = u64::from(v) + 1;
        let len = 64 - v.leading_zeros();
        self.bits(0, len - 1).bits(v as u32, len)
    }

    pub(super) fn se(&mut self, v: i32) -> &mut Self {
        self.ue(if v > 0 {
            2 * v as u32 - 1
        } else {
            2 * v.unsigned_abs()
        })
    }

    /// Adds rbsp_trailing_bits and the NAL header byte.
    pub(super) fn nal(&mut self, header: u8) -> Vec<u8> {
        self.bit(true);
        let mut out = vec![header];
        out.extend_from_slice(&self.bytes);
        out
    }
}

/// A baseline SPS with POC type 1: one reference frame per cycle 4 POCs apart, and
/// non-reference frames 2 before the last reference frame (an I B P B P pattern).
fn poc_type1_sps() -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(66, 8).bits(0xc0, 8).bits(30, 8).ue(0);
    w.ue(0).ue(1); // log2_max_frame_num_minus4, pic_order_cnt_type
    w.bit(false).se(-2).se(0).ue(1).se(4);
    w.ue(2).bit(false).ue(9).ue(8); // refs, gaps, 160x144
    w.bit(true).bit(true); // frame_mbs_only, direct_8x8_inference
    w.bit(true).ue(0).ue(0).ue(0).ue(3); // crop 6 rows at the bottom
    w.bit(true); // VUI
    w.bit(true).bits(255, 8).bits(10, 16).bits(11, 16); // Extended_SAR 10:11
    w.bit(false).bit(false).bit(false);
    w.bit(true).bits(1001, 32).bits(48000, 32).bit(true);
    w.bit(false).bit(false).bit(false).bit(false);
    w.nal(0x67)
}

fn slice(frame_num: u32, nal_ref_idc: u8, is_idr: bool) -> SliceHeader {
    SliceHeader {
        nal_ref_idc,
        is_idr,
        frame_num,
        ..SliceHeader::default()
    }
}

#[test]
fn poc_type1() {
    let sps = Sps::parse(&poc_type1_sps()).unwrap();
    assert_eq!(sps.pic_order_cnt_type, 1);
    assert_eq!(sps.offset_for_ref_frame, vec![4]);
    assert_eq!((sps.width, sps.height), (160, 138));
    assert_eq!(sps.sample_aspect_ratio, (10, 11));
    assert_eq!(sps.display_size(), (145, 138));
    assert_eq!(sps.frame_duration(), Some((2002, 48000)));
    assert_eq!(sps.max_num_reorder_frames, None);

    let mut poc = PocComputer::new();
    // I P B P B, then frame_num wraps (max 16) and an mmco5 restarts the count.
    let pics = [
        (0, 3, true, 0),
        (1, 2, false, 4),
        (2, 0, false, 2),
        (2, 2, false, 8),
        (3, 0, false, 6),
    ];
    for (frame_num, ref_idc, idr, expected) in pics {
        let s = slice(frame_num, ref_idc, idr);
        assert_eq!(poc.compute(&sps, &s).unwrap(), expected);
    }
    let mut mmco5 = slice(3, 2, false);
    mmco5.has_mmco5 = true;
    assert_eq!(poc.compute(&sps, &mmco5).unwrap(), 0);
    assert_eq!(poc.compute(&sps, &slice(1, 2, false)).unwrap(), 4);
    assert_eq!(poc.compute(&sps, &slice(2, 0, false)).unwrap(), 2);
}

#[test]
fn poc_types_0_and_2_with_wrap_and_mmco5() {
    let mut sps = Sps::parse(&poc_type1_sps()).unwrap();
    sps.pic_order_cnt_type = 0;
    sps.log2_max_pic_order_cnt_lsb = 4;
    let mut poc = PocComputer::new();
    let mut s = slice(0, 3, true);
    assert_eq!(poc.compute(&sps, &s).unwrap(), 0);
    s.is_idr = false;
    // The lsb wraps at 16: 12 then 2 is 18; then a non-reference frame at 0 is 16.
    for (lsb, ref_idc, expected) in [(6, 2, 6), (12, 2, 12), (2, 2, 18), (0, 0, 16)] {
        s.pic_order_cnt_lsb = lsb;
        s.nal_ref_idc = ref_idc;
        assert_eq!(poc.compute(&sps, &s).unwrap(), expected);
    }
    s.pic_order_cnt_lsb = 4;
    s.nal_ref_idc = 2;
    s.has_mmco5 = true;
    assert_eq!(poc.compute(&sps, &s).unwrap(), 0);
    s.has_mmco5 = false;
    s.pic_order_cnt_lsb = 2;
    assert_eq!(poc.compute(&sps, &s).unwrap(), 2);

    sps.pic_order_cnt_type = 2;
    let mut poc = PocComputer::new();
    let expected = [
        (0, 3, true, 0),
        (1, 2, false, 2),
        (2, 0, false, 3),
        (2, 2, false, 4),
    ];
    for (frame_num, ref_idc, idr, want) in expected {
        assert_eq!(
            poc.compute(&sps, &slice(frame_num, ref_idc, idr)).unwrap(),
            want
        );
    }
    // frame_num wraps at 16.
    for frame_num in 3..16 {
        poc.compute(&sps, &slice(frame_num, 2, false)).unwrap();
    }
    assert_eq!(poc.compute(&sps, &slice(0, 2, false)).unwrap(), 32);
}

#[test]
fn pts_rejects_deeper_reordering_later() {
    let mut pts = PtsFromPoc::new(10, None);
    // First period: I P B (depth 1). Second: I P B B with the Bs out of order, depth 2.
    for (poc, start) in [(0, true), (4, false), (2, false)] {
        pts.push(poc, start, ()).unwrap();
    }
    pts.push(0, true, ()).unwrap();
    assert_eq!(pts.reorder_depth(), Some(1));
    pts.push(6, false, ()).unwrap();
    pts.push(4, false, ()).unwrap();
    assert!(pts.push(2, false, ()).is_err());
}

#[test]
fn pts_with_given_depth() {
    let mut pts = PtsFromPoc::new(10, Some(1));
    let mut got = Vec::new();
    for (poc, start) in [(0, true), (4, false), (2, false), (0, true), (2, false)] {
        pts.push(poc, start, poc).unwrap();
        while let Some(f) = pts.pop().unwrap() {
            got.push((f.dts, f.cts_offset, f.payload));
        }
    }
    pts.finish().unwrap();
    while let Some(f) = pts.pop().unwrap() {
        got.push((f.dts, f.cts_offset, f.payload));
    }
    assert_eq!(
        got,
        vec![
            (0, 10, 0),
            (10, 20, 4),
            (20, 0, 2),
            (30, 10, 0),
            (40, 10, 2)
        ]
    );
}

use crate::test_rng::XorShift as Rng;

#[test]
fn parsers_survive_random_and_damaged_input() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let nals: Vec<&[u8]> = REFERENCES
        .iter()
        .flat_map(|r| split_annexb(r.data).take(12))
        .collect();
    let sps = Sps::parse(nals[0]).unwrap();
    let pps = Pps::parse(nals[1]).unwrap();
    let avcc = AvcDecoderConfig::from_access_unit(SMALL_BFRAMES, NalFormat::AnnexB)
        .unwrap()
        .unwrap()
        .to_avcc();
    let mut random_sps = poc_type1_sps();
    for _ in 0..20_000 {
        let base = nals[rng.below(nals.len())];
        let mut data = rng.damage(base);
        if let Some(first) = data.first_mut() {
            // Aim most inputs at the parser under test.
            *first = (*first & 0xe0) | [7, 8, 5, 1][rng.below(4)];
        }
        let _ = Sps::parse(&data);
        let _ = Pps::parse(&data);
        let _ = SliceHeader::parse(&data, |_| Some(&sps), |_| Some(&pps));
        let _ = remove_emulation_prevention(&data);
        let _ = AvcDecoderConfig::parse(&rng.damage(&avcc));
        for size in [1, 2, 3, 4] {
            let _ = length_prefixed_nals(&data, size).count();
            let _ =
                to_length_prefixed4(&Bytes::from(data.clone()), NalFormat::LengthPrefixed(size));
        }
        let _ = to_length_prefixed4(&Bytes::from(data.clone()), NalFormat::AnnexB);
        let _ = AvcDecoderConfig::from_access_unit(&data, NalFormat::AnnexB);
        let _ = split_annexb(&data).count();
        if let Ok(s) = Sps::parse(&data) {
            let _ = (s.display_size(), s.frame_duration());
            let mut poc = PocComputer::new();
            let _ = poc.compute(&s, &slice(rng.next() as u32, 2, false));
        }
        let i = rng.below(random_sps.len());
        random_sps[i] = rng.next() as u8;
        random_sps[0] = 0x67;
        if let Ok(s) = Sps::parse(&random_sps) {
            let mut poc = PocComputer::new();
            for _ in 0..4 {
                let mut h = slice(rng.next() as u32 & 0xffff, rng.below(4) as u8, false);
                h.delta_pic_order_cnt = [rng.next() as i32, rng.next() as i32];
                h.pic_order_cnt_lsb = rng.next() as u32;
                let _ = poc.compute(&s, &h);
            }
        }
    }
}

#[test]
fn stream_reader_survives_damaged_streams() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        let r = &REFERENCES[rng.below(REFERENCES.len())];
        let mut data = r.data[..rng.below(r.data.len() + 1)].to_vec();
        for _ in 0..rng.below(20) {
            let i = rng.below(data.len());
            if let Some(b) = data.get_mut(i) {
                *b = rng.next() as u8;
            }
        }
        let step = 1 + rng.below(5000);
        if let Ok(aus) = read_all(Trickle { data: &data, step }) {
            let mut pts = PtsFromPoc::new(1, if rng.below(2) == 0 { None } else { Some(2) });
            let mut ok = true;
            for au in &aus {
                ok = ok && pts.push(au.poc, au.starts_period, ()).is_ok();
                while let Ok(Some(_)) = pts.pop() {}
            }
            let _ = pts.finish();
            while let Ok(Some(_)) = pts.pop() {}
        }
    }
    let random = Rng(7).bytes(0);
    assert_eq!(read_all(&random[..]).unwrap(), vec![]);
    assert!(read_all(&[1u8, 2, 3][..]).is_err());
}

#[test]
fn pts_survives_random_pocs() {
    let mut rng = Rng(99);
    for _ in 0..200 {
        let depth = if rng.below(2) == 0 {
            None
        } else {
            Some(rng.below(4) as u32)
        };
        let mut pts = PtsFromPoc::new(1 + rng.below(3) as u64, depth);
        for _ in 0..rng.below(300) {
            let poc = rng.below(40) as i32 - 5;
            if pts.push(poc, rng.below(20) == 0, ()).is_err() {
                break;
            }
            while let Ok(Some(f)) = pts.pop() {
                let _ = f.cts_offset;
            }
        }
        let _ = pts.finish();
    }
}
