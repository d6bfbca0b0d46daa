//! The boxes that signal encryption (format.md §2.4, §2.5, §7.3, §7.4): the protection
//! scheme of a sample entry (`sinf`), the protection system header of the movie, and the
//! per-fragment sample encryption boxes — in the PIFF 1.1 `uuid` form and, when asked,
//! also in the CENC form.

use crate::isobmff::uuids::{PIFF_PSSH_UUID, PIFF_SENC_UUID, PIFF_TENC_UUID};
use crate::isobmff::writer::BoxWriter;

/// IV size of every sample: players hard-code 8 because the tenc is invisible to them.
pub const IV_SIZE: u8 = 8;

/// How a track is protected, as its sample entry states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackProtection {
    /// The key ID in box (big-endian) order.
    pub kid: [u8; 16],
    /// Also write the CENC boxes (scheme `cenc`, `tenc`) beside the PIFF ones.
    pub cenc: bool,
}

/// One encrypted sample as the sample encryption box lists it.
#[derive(Debug, Clone, Copy)]
pub struct SencSample<'a> {
    /// The sample's 8-byte IV.
    pub iv: [u8; 8],
    /// `(clear bytes, encrypted bytes)` entries; empty for whole-sample encryption.
    pub subsamples: &'a [(u16, u32)],
}

/// Writes `sinf` (frma, schm, schi with the track encryption box) for an entry whose
/// original type was `original_format`.
pub fn write_sinf(w: &mut BoxWriter, original_format: &[u8; 4], p: &TrackProtection) {
    w.boxed(b"sinf", |w| {
        w.boxed(b"frma", |w| w.bytes(original_format));
        w.full_box(b"schm", 0, 0, |w| {
            // PIFF 1.3 practice: a dual file names the standard scheme; Smooth clients
            // never read schm, CENC readers need it.
            if p.cenc {
                w.bytes(b"cenc");
                w.u32(0x0001_0000);
            } else {
                w.bytes(b"piff");
                w.u32(0x0001_0001);
            }
        });
        w.boxed(b"schi", |w| {
            if p.cenc {
                w.full_box(b"tenc", 0, 0, |w| {
                    w.u8(0);
                    w.u8(0);
                    w.u8(1); // isProtected
                    w.u8(IV_SIZE);
                    w.bytes(&p.kid);
                });
            }
            w.uuid_full_box(&PIFF_TENC_UUID, 0, 0, |w| {
                w.u24(1); // AlgorithmID: AES-128-CTR
                w.u8(IV_SIZE);
                w.bytes(&p.kid);
            });
        });
    });
}

/// Writes the protection system specific header of `system_id` with `data` (for
/// PlayReady: the whole PlayReady Object) as the PIFF `uuid` box and, with `cenc`, as a
/// `pssh` v0 too.
pub fn write_pssh(w: &mut BoxWriter, system_id: &[u8; 16], data: &[u8], cenc: bool) {
    let body = |w: &mut BoxWriter| {
        w.bytes(system_id);
        w.u32(u32::try_from(data.len()).unwrap_or(u32::MAX));
        w.bytes(data);
    };
    w.uuid_full_box(&PIFF_PSSH_UUID, 0, 0, body);
    if cenc {
        w.full_box(b"pssh", 0, 0, body);
    }
}

/// Writes the sample encryption boxes of one fragment inside its `traf`, after `trun`:
/// the PIFF `uuid` box (flags 2 with subsamples, else 0; never the override flag 1)
/// and, with `cenc`, first `senc`, `saiz` and `saio` with identical content. `moof_start`
/// is the writer position of the enclosing moof, which saio offsets are relative to.
pub fn write_sample_encryption(
    w: &mut BoxWriter,
    moof_start: usize,
    samples: &[SencSample<'_>],
    with_subsamples: bool,
    cenc: bool,
) {
    let flags = if with_subsamples { 0x000002 } else { 0 };
    let count = u32::try_from(samples.len()).unwrap_or(u32::MAX);
    let body = |w: &mut BoxWriter| {
        w.u32(count);
        for s in samples {
            w.bytes(&s.iv);
            if with_subsamples {
                w.u16(u16::try_from(s.subsamples.len()).unwrap_or(u16::MAX));
                for &(clear, encrypted) in s.subsamples {
                    w.u16(clear);
                    w.u32(encrypted);
                }
            }
        }
    };
    if cenc {
        // senc header (8) + version/flags (4) + sample_count (4) precede the first IV.
        let first_iv = w.len() + 16 - moof_start;
        w.full_box(b"senc", 0, flags, body);
        w.full_box(b"saiz", 0, 0, |w| {
            if with_subsamples {
                w.u8(0);
                w.u32(count);
                for s in samples {
                    let size = usize::from(IV_SIZE) + 2 + 6 * s.subsamples.len();
                    w.u8(u8::try_from(size).unwrap_or(u8::MAX));
                }
            } else {
                w.u8(IV_SIZE);
                w.u32(count);
            }
        });
        w.full_box(b"saio", 0, 0, |w| {
            w.u32(1);
            w.u32(u32::try_from(first_iv).unwrap_or(u32::MAX));
        });
    }
    w.uuid_full_box(&PIFF_SENC_UUID, 0, flags, body);
}

#[cfg(test)]
mod tests {
    use super::*;

    const KID: [u8; 16] = [
        0x8b, 0xa9, 0x4a, 0xde, 0x6e, 0xb9, 0x44, 0x9d, 0xb4, 0x4f, 0xa5, 0xbe, 0xef, 0xaf, 0x43,
        0xb0,
    ];

    #[test]
    fn piff_senc_matches_reference_bytes() {
        let subsamples = [(5, 20), (3, 12)];
        let mut w = BoxWriter::new();
        write_sample_encryption(
            &mut w,
            0,
            &[SencSample {
                iv: [1, 2, 3, 4, 5, 6, 7, 8],
                subsamples: &subsamples,
            }],
            true,
            false,
        );
        assert_eq!(
            hex::encode(w.as_slice()),
            "0000003675756964a2394f525a9b4f14a2446c427c648df400000002000000010102030405060708000200050000001400030000000c"
        );
    }

    #[test]
    fn sinf_holds_reference_tenc_schm_frma() {
        let mut w = BoxWriter::new();
        write_sinf(
            &mut w,
            b"avc1",
            &TrackProtection {
                kid: KID,
                cenc: false,
            },
        );
        let hex = hex::encode(w.as_slice());
        assert!(hex.contains("0000000c66726d6161766331"), "frma avc1");
        assert!(
            hex.contains("000000147363686d000000007069666600010001"),
            "schm piff 1.1"
        );
        assert!(
            hex.contains("00000030757569648974dbce7be74c5184f97148f988255400000000000001088ba94ade6eb9449db44fa5beefaf43b0"),
            "PIFF tenc"
        );
    }

    #[test]
    fn cenc_saio_points_at_the_first_iv() {
        let subsamples = [(100, 64)];
        let samples = [
            SencSample {
                iv: [9; 8],
                subsamples: &subsamples,
            },
            SencSample {
                iv: [7; 8],
                subsamples: &subsamples,
            },
        ];
        let mut w = BoxWriter::new();
        w.zeros(40); // stands for the moof's earlier boxes
        write_sample_encryption(&mut w, 0, &samples, true, true);
        let b = w.as_slice();
        let saio_at = b.windows(4).position(|x| x == b"saio").unwrap() - 4;
        let offset = u32::from_be_bytes([
            b[saio_at + 16],
            b[saio_at + 17],
            b[saio_at + 18],
            b[saio_at + 19],
        ]);
        assert_eq!(&b[offset as usize..offset as usize + 8], &[9; 8]);
        let saiz_at = b.windows(4).position(|x| x == b"saiz").unwrap() - 4;
        assert_eq!(&b[saiz_at + 12..saiz_at + 19], &[0, 0, 0, 0, 2, 16, 16]);
    }
}
