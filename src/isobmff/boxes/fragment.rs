//! One fragment's header: `moof` (mfhd, traf with tfhd, trun, tfxd) and the `mdat` box
//! header; the sample payloads follow it unchanged (format.md §2.6, §2.7, §9.3).

use super::movie::HandlerKind;
use super::{SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC};
use crate::isobmff::uuids::TFXD_UUID;
use crate::isobmff::writer::BoxWriter;

/// What the `trun` records of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentSample {
    /// Duration in the track timescale.
    pub duration: u32,
    /// Size in bytes.
    pub size: u32,
    /// Random access point.
    pub sync: bool,
    /// Presentation minus decode time, in the track timescale.
    pub cts_offset: u32,
}

/// The fixed facts of one fragment header.
#[derive(Debug, Clone, Copy)]
pub struct FragmentHeader {
    /// mfhd sequence number.
    pub sequence: u32,
    /// track_ID the fragment belongs to.
    pub track_id: u32,
    /// Video or audio: picks the sample-flag layout.
    pub kind: HandlerKind,
    /// tfxd absolute time (decode time of the first sample).
    pub time: u64,
    /// tfxd duration (sum of the sample durations).
    pub duration: u64,
}

/// Writes `moof` and the `mdat` header for `samples`. `extra_traf` writes boxes that go
/// after `trun` inside the `traf` (the sample encryption boxes); it is given the moof's
/// start position, which CENC `saio` offsets are relative to.
pub fn write_fragment_header(
    w: &mut BoxWriter,
    header: &FragmentHeader,
    samples: &[FragmentSample],
    extra_traf: impl FnOnce(&mut BoxWriter, usize),
) {
    let moof_start = w.len();
    let mut data_offset_pos = 0;
    let (default_flags, flags_layout) = sample_flags_layout(header.kind, samples);
    let with_cts = samples.iter().any(|s| s.cts_offset != 0);

    w.boxed(b"moof", |w| {
        w.full_box(b"mfhd", 0, 0, |w| w.u32(header.sequence));
        w.boxed(b"traf", |w| {
            // Only default-sample-flags: Silverlight refuses default sizes, and PIFF
            // forbids base-data-offset, so data offsets are relative to the moof.
            w.full_box(b"tfhd", 0, 0x000020, |w| {
                w.u32(header.track_id);
                w.u32(default_flags);
            });
            let mut trun_flags = 0x000001 | 0x000100 | 0x000200;
            match flags_layout {
                FlagsLayout::Default => {}
                FlagsLayout::FirstSample => trun_flags |= 0x000004,
                FlagsLayout::PerSample => trun_flags |= 0x000400,
            }
            if with_cts {
                trun_flags |= 0x000800;
            }
            w.full_box(b"trun", 0, trun_flags, |w| {
                w.u32(u32::try_from(samples.len()).unwrap_or(u32::MAX));
                data_offset_pos = w.len();
                w.u32(0);
                if flags_layout == FlagsLayout::FirstSample {
                    w.u32(SAMPLE_FLAGS_SYNC);
                }
                for s in samples {
                    w.u32(s.duration);
                    w.u32(s.size);
                    if flags_layout == FlagsLayout::PerSample {
                        w.u32(flags_of(header.kind, s.sync));
                    }
                    if with_cts {
                        w.u32(s.cts_offset);
                    }
                }
            });
            extra_traf(w, moof_start);
            w.uuid_full_box(&TFXD_UUID, 1, 0, |w| {
                w.u64(header.time);
                w.u64(header.duration);
            });
        });
    });

    let moof_size = w.len() - moof_start;
    let payload: u64 = samples.iter().map(|s| u64::from(s.size)).sum();
    let mdat_header = if payload + 8 > u64::from(u32::MAX) {
        w.u32(1);
        w.bytes(b"mdat");
        w.u64(payload + 16);
        16
    } else {
        w.u32((payload + 8) as u32);
        w.bytes(b"mdat");
        8
    };
    let data_offset = u32::try_from(moof_size + mdat_header).unwrap_or(u32::MAX);
    w.patch_u32(data_offset_pos, data_offset);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagsLayout {
    /// Every sample has the tfhd default.
    Default,
    /// The first sample is sync, every other one has the tfhd default.
    FirstSample,
    /// Flags per sample (sync samples inside the fragment).
    PerSample,
}

fn flags_of(kind: HandlerKind, sync: bool) -> u32 {
    // Only video has samples that depend on others.
    if sync || kind != HandlerKind::Video {
        SAMPLE_FLAGS_SYNC
    } else {
        SAMPLE_FLAGS_NON_SYNC
    }
}

fn sample_flags_layout(kind: HandlerKind, samples: &[FragmentSample]) -> (u32, FlagsLayout) {
    if kind != HandlerKind::Video {
        return (SAMPLE_FLAGS_SYNC, FlagsLayout::Default);
    }
    let first_sync = samples.first().is_some_and(|s| s.sync);
    let later_sync = samples.iter().skip(1).any(|s| s.sync);
    let layout = match (first_sync, later_sync) {
        (true, false) => FlagsLayout::FirstSample,
        (false, false) => FlagsLayout::Default,
        _ => FlagsLayout::PerSample,
    };
    (SAMPLE_FLAGS_NON_SYNC, layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: HandlerKind) -> FragmentHeader {
        FragmentHeader {
            sequence: 3,
            track_id: 1,
            kind,
            time: 0,
            duration: 20_000_000,
        }
    }

    #[test]
    fn video_fragment_layout() {
        let samples = [
            FragmentSample {
                duration: 400_000,
                size: 100,
                sync: true,
                cts_offset: 800_000,
            },
            FragmentSample {
                duration: 400_000,
                size: 50,
                sync: false,
                cts_offset: 0,
            },
        ];
        let mut w = BoxWriter::new();
        write_fragment_header(&mut w, &header(HandlerKind::Video), &samples, |_, _| {});
        let b = w.as_slice();
        let moof_size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        assert_eq!(b.len(), moof_size + 8);
        assert_eq!(&b[moof_size + 4..], b"mdat");
        assert_eq!(
            u32::from_be_bytes([
                b[moof_size],
                b[moof_size + 1],
                b[moof_size + 2],
                b[moof_size + 3]
            ]),
            158
        );
        // mfhd(16) traf header(8) tfhd(20) then trun.
        let trun = &b[8 + 16 + 8 + 20..];
        assert_eq!(&trun[4..8], b"trun");
        assert_eq!(&trun[8..12], &[0, 0, 0x0B, 0x05]);
        assert_eq!(&trun[12..16], &[0, 0, 0, 2]);
        assert_eq!(
            u32::from_be_bytes([trun[16], trun[17], trun[18], trun[19]]) as usize,
            moof_size + 8
        );
        assert_eq!(&trun[20..24], &[2, 0, 0, 0]);
        let tfxd = &b[moof_size - 44..moof_size];
        assert_eq!(
            hex::encode(tfxd),
            "0000002c757569646d1d9b0542d544e680e2141daff757b20100000000000000000000000000000001312d00"
        );
    }

    #[test]
    fn audio_fragment_has_no_sample_flags() {
        let samples = [FragmentSample {
            duration: 213_333,
            size: 10,
            sync: true,
            cts_offset: 0,
        }; 3];
        let mut w = BoxWriter::new();
        write_fragment_header(&mut w, &header(HandlerKind::Audio), &samples, |_, _| {});
        let b = w.as_slice();
        let trun = &b[8 + 16 + 8 + 20..];
        assert_eq!(&trun[8..12], &[0, 0, 0x03, 0x01]);
        // tfhd default flags: sync.
        assert_eq!(&b[8 + 16 + 8 + 16..8 + 16 + 8 + 20], &[2, 0, 0, 0]);
    }

    /// Writes random fragments and reads them back with the box reader: every field the
    /// writer was given must come back, whatever flag layout it chose.
    #[test]
    fn random_fragments_read_back_exactly() {
        use crate::isobmff::reader::{self, Mfhd, Tfhd, Tfxd, Trun};
        let mut rng = crate::test_rng::XorShift(0x5EED_F00D_1234_5678);
        for round in 0..500 {
            let kind = if rng.below(2) == 0 {
                HandlerKind::Video
            } else {
                HandlerKind::Audio
            };
            let samples: Vec<FragmentSample> = (0..1 + rng.below(60))
                .map(|i| FragmentSample {
                    duration: rng.next() as u32 >> rng.below(32),
                    size: 1 + rng.below(5000) as u32,
                    sync: i == 0 || rng.below(8) == 0,
                    cts_offset: if kind == HandlerKind::Video && rng.below(2) == 0 {
                        rng.next() as u32 >> 8
                    } else {
                        0
                    },
                })
                .collect();
            let header = FragmentHeader {
                sequence: round,
                track_id: 1 + rng.below(9) as u32,
                kind,
                time: rng.next() >> 1,
                duration: samples.iter().map(|s| u64::from(s.duration)).sum(),
            };
            let mut w = BoxWriter::new();
            write_fragment_header(&mut w, &header, &samples, |_, _| {});
            let bytes = w.as_slice();
            let moof = reader::find(bytes, "moof").unwrap().unwrap();
            let mfhd = Mfhd::parse(&moof.find("mfhd").unwrap().unwrap()).unwrap();
            assert_eq!(mfhd.sequence_number, round);
            let tfhd = Tfhd::parse(&moof.find("traf/tfhd").unwrap().unwrap()).unwrap();
            assert_eq!(tfhd.track_id, header.track_id);
            assert_eq!(tfhd.base_data_offset, None, "PIFF forbids base-data-offset");
            let trun = Trun::parse(&moof.find("traf/trun").unwrap().unwrap()).unwrap();
            assert_eq!(trun.version, 0);
            assert_eq!(trun.data_offset, Some(moof.size() as i32 + 8));
            assert_eq!(trun.samples.len(), samples.len());
            for (i, (got, want)) in trun.samples.iter().zip(&samples).enumerate() {
                assert_eq!(got.duration, Some(want.duration));
                assert_eq!(got.size, Some(want.size));
                assert_eq!(
                    got.composition_offset.unwrap_or(0),
                    i64::from(want.cts_offset)
                );
                let flags = trun.sample_flags(i, tfhd.default_sample_flags).unwrap();
                let sync = flags & 0x0001_0000 == 0;
                assert_eq!(sync, want.sync || kind == HandlerKind::Audio, "sample {i}");
            }
            let tfxd = moof
                .find_all("traf/uuid")
                .unwrap()
                .into_iter()
                .find(|b| b.uuid == Some(TFXD_UUID))
                .unwrap();
            let tfxd = Tfxd::parse(&tfxd).unwrap();
            assert_eq!((tfxd.time, tfxd.duration), (header.time, header.duration));
            let mdat = &bytes[moof.size() as usize..];
            let payload: u32 = samples.iter().map(|s| s.size).sum();
            assert_eq!(
                u32::from_be_bytes([mdat[0], mdat[1], mdat[2], mdat[3]]),
                payload + 8
            );
        }
    }

    #[test]
    fn inner_sync_samples_get_per_sample_flags() {
        let s = |sync| FragmentSample {
            duration: 1,
            size: 1,
            sync,
            cts_offset: 0,
        };
        let (_, layout) = sample_flags_layout(HandlerKind::Video, &[s(true), s(false), s(true)]);
        assert_eq!(layout, FlagsLayout::PerSample);
    }
}
