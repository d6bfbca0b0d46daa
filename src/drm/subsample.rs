//! Subsample maps: which bytes of a sample stay clear and which are encrypted (spec §7.2).
//!
//! Both builders write into a caller-owned `Vec` so that a muxer can reuse one buffer for
//! every sample and the encrypt path allocates nothing per sample.

use crate::codec::avc::{NAL_IDR_SLICE, NAL_SLICE, nal_unit_type};
use crate::codec::bitstream::length_prefixed_nals;
use crate::error::{Error, Result};

/// One subsample entry of a PIFF/CENC sample encryption box: `clear` bytes left as they
/// are, then `encrypted` bytes encrypted.
///
/// `clear` is a u16 because that is the width of BytesOfClearData in the box; longer clear
/// runs are written as several `(65535, 0)` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subsample {
    /// BytesOfClearData.
    pub clear: u16,
    /// BytesOfEncryptedData.
    pub encrypted: u32,
}

/// Length of the NAL unit length prefix this module accepts (the only size Smooth uses).
const NAL_LENGTH_SIZE: u8 = 4;
/// NAL units (with their prefix) shorter than this stay clear (Bento4, from DECE CFF).
const MIN_ENCRYPTED_NAL_SIZE: u64 = 112;
/// Bytes Bento4 leaves clear at least at the start of an encrypted NAL unit, so that
/// the slice header stays readable by decoders that parse it before decryption.
const MIN_CLEAR_BYTES: u64 = 96;

/// Pushes `clear` clear bytes followed by `encrypted` encrypted bytes, splitting a clear
/// run that does not fit the u16 field into `(65535, 0)` entries first.
fn push_entry(out: &mut Vec<Subsample>, mut clear: u64, encrypted: u32) {
    let max = u64::from(u16::MAX);
    while clear > max {
        out.push(Subsample {
            clear: u16::MAX,
            encrypted: 0,
        });
        clear -= max;
    }
    // The loop above leaves at most 65535, so the conversion always succeeds.
    let clear = u16::try_from(clear).unwrap_or(u16::MAX);
    out.push(Subsample { clear, encrypted });
}

/// Appends the Bento4-policy subsample map of a 4-byte length-prefixed H.264 sample to
/// `out`, which is cleared first.
///
/// Per NAL unit, with `size` = 4 + the NAL length:
/// - a non-VCL unit (type not 1–5) or one with `size < 112` stays wholly clear;
/// - otherwise `enc = (size − 96)` rounded down to a multiple of 16 is encrypted and the
///   first `size − enc` bytes (prefix, NAL header, slice header) stay clear.
///
/// Clear-only units are merged into the clear count of the next entry; clear runs over
/// 65535 bytes are split into `(65535, 0)` entries; clear bytes after the last encrypted
/// unit become a final `(clear, 0)` entry. The entries add up to `sample.len()` exactly,
/// and there is always at least one entry.
///
/// # Errors
/// [`Error::Malformed`] (what = "NAL unit length") when the sample is empty, a length
/// prefix is cut short, a NAL unit has length 0, or a NAL unit runs past the end of the
/// sample. `out` is left empty in that case.
pub fn avc_subsamples(sample: &[u8], out: &mut Vec<Subsample>) -> Result<()> {
    const WHAT: &str = "NAL unit length";
    out.clear();
    if sample.is_empty() {
        return Err(Error::malformed(WHAT, 0, "empty sample"));
    }
    // Clear bytes not yet written to an entry (merged into the next one).
    let mut pending_clear: u64 = 0;
    // Offset of the current NAL unit's length prefix, for errors.
    let mut pos = 0usize;
    for nal in length_prefixed_nals(sample, NAL_LENGTH_SIZE).named(WHAT) {
        let nal = nal.inspect_err(|_| out.clear())?;
        if nal.is_empty() {
            out.clear();
            return Err(Error::malformed(WHAT, pos, "zero-length NAL unit"));
        }
        let size = u64::from(NAL_LENGTH_SIZE) + nal.len() as u64;
        let vcl = nal_unit_type(nal).is_some_and(|t| (NAL_SLICE..=NAL_IDR_SLICE).contains(&t));
        if vcl && size >= MIN_ENCRYPTED_NAL_SIZE {
            let enc = (size - MIN_CLEAR_BYTES) & !15;
            // size ≤ 2^32 + 3, so enc ≤ 2^32 − 93 always fits in u32.
            let enc32 = u32::try_from(enc).unwrap_or(u32::MAX);
            push_entry(out, pending_clear + (size - enc), enc32);
            pending_clear = 0;
        } else {
            pending_clear += size;
        }
        pos += usize::from(NAL_LENGTH_SIZE) + nal.len();
    }
    if pending_clear > 0 {
        push_entry(out, pending_clear, 0);
    }
    Ok(())
}

/// Appends the subsample map of caller-given protected ranges to `out`, which is cleared
/// first. This is the SDK's `SSF_SAMPLE.prgProtectedRanges` (an `SSF_RANGE` list of
/// `(offset, length)` pairs), which overrides the automatic H.264 policy.
///
/// The ranges may come in any order; they are taken sorted by offset. Each range gives one
/// entry `(gap before it, length)`; touching ranges give entries with `clear = 0` (they are
/// not merged, so the map mirrors the caller's list). Bytes after the last range become a
/// final `(trailing clear, 0)` entry. Clear runs over 65535 bytes are split into
/// `(65535, 0)` entries.
///
/// Zero-length ranges protect nothing and are skipped (after checking that their offset is
/// at most `sample_len`). An empty list, or one with only zero-length ranges, gives the
/// whole sample clear: `(sample_len, 0)` (split as above when over 65535 bytes); for a
/// zero-length sample that is the single entry `(0, 0)`, so every map has at least one
/// entry. The entries always add up to `sample_len` exactly.
///
/// Allocates only when `ranges` is not already sorted by offset (to sort a copy).
///
/// # Errors
/// [`Error::InvalidArgument`] when a range ends past `sample_len` or two non-empty ranges
/// overlap. `out` is left cleared in that case.
pub fn range_subsamples(
    sample_len: usize,
    ranges: &[(u32, u32)],
    out: &mut Vec<Subsample>,
) -> Result<()> {
    out.clear();
    let sorted_copy;
    let sorted: &[(u32, u32)] = if ranges.is_sorted_by_key(|r| r.0) {
        ranges
    } else {
        let mut copy = ranges.to_vec();
        copy.sort_unstable_by_key(|r| r.0);
        sorted_copy = copy;
        &sorted_copy
    };
    let total = sample_len as u64;
    // End of the previous non-empty range: where the next clear gap starts.
    let mut cursor: u64 = 0;
    for &(offset, length) in sorted {
        let start = u64::from(offset);
        let end = start + u64::from(length);
        if end > total {
            out.clear();
            return Err(Error::InvalidArgument(format!(
                "protected range (offset {offset}, length {length}) ends past the {sample_len}-byte sample"
            )));
        }
        if length == 0 {
            continue;
        }
        if start < cursor {
            out.clear();
            return Err(Error::InvalidArgument(format!(
                "protected range (offset {offset}, length {length}) overlaps the range ending at byte {cursor}"
            )));
        }
        push_entry(out, start - cursor, length);
        cursor = end;
    }
    if cursor < total || out.is_empty() {
        push_entry(out, total - cursor, 0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(map: &[Subsample]) -> u64 {
        map.iter()
            .map(|s| u64::from(s.clear) + u64::from(s.encrypted))
            .sum()
    }

    fn s(clear: u16, encrypted: u32) -> Subsample {
        Subsample { clear, encrypted }
    }

    /// A NAL unit of `nal_len` bytes (header byte `header`) behind its 4-byte length.
    fn nal(out: &mut Vec<u8>, header: u8, nal_len: usize) {
        out.extend_from_slice(&(nal_len as u32).to_be_bytes());
        out.push(header);
        out.extend((1..nal_len).map(|i| i as u8));
    }

    fn avc(sample: &[u8]) -> Vec<Subsample> {
        let mut map = vec![s(1, 1)]; // must be cleared by the call
        avc_subsamples(sample, &mut map).unwrap();
        assert_eq!(sum(&map), sample.len() as u64);
        map
    }

    #[test]
    fn idr_1000_bytes_is_104_clear_896_encrypted() {
        let mut sample = Vec::new();
        nal(&mut sample, 0x65, 996); // size 1000
        assert_eq!(avc(&sample), [s(104, 896)]);
    }

    #[test]
    fn threshold_112() {
        // size 111: clear; size 112: enc = 16, clear = 96.
        let mut sample = Vec::new();
        nal(&mut sample, 0x41, 107);
        assert_eq!(avc(&sample), [s(111, 0)]);
        sample.clear();
        nal(&mut sample, 0x41, 108);
        assert_eq!(avc(&sample), [s(96, 16)]);
        // size 127: enc = 31 & !15 = 16, clear = 111.
        sample.clear();
        nal(&mut sample, 0x41, 123);
        assert_eq!(avc(&sample), [s(111, 16)]);
    }

    #[test]
    fn parameter_sets_and_sei_merge_into_the_slice_entry() {
        let mut sample = Vec::new();
        nal(&mut sample, 0x09, 2); // AUD, size 6
        nal(&mut sample, 0x67, 200); // SPS (large, still clear), size 204
        nal(&mut sample, 0x68, 4); // PPS, size 8
        nal(&mut sample, 0x06, 300); // SEI, size 304
        nal(&mut sample, 0x65, 996); // IDR, size 1000 → (104, 896)
        assert_eq!(avc(&sample), [s(6 + 204 + 8 + 304 + 104, 896)]);
    }

    #[test]
    fn small_slices_and_trailing_clear() {
        let mut sample = Vec::new();
        nal(&mut sample, 0x41, 50); // small slice, size 54: clear
        nal(&mut sample, 0x41, 496); // size 500: enc = 404 & !15 = 400, clear 100
        nal(&mut sample, 0x01, 20); // small non-IDR slice type 1, size 24: clear
        nal(&mut sample, 0x0C, 10); // filler, size 14: clear
        assert_eq!(avc(&sample), [s(54 + 100, 400), s(24 + 14, 0)]);
    }

    #[test]
    fn all_clear_sample_is_one_entry() {
        let mut sample = Vec::new();
        nal(&mut sample, 0x67, 20);
        nal(&mut sample, 0x68, 4);
        assert_eq!(avc(&sample), [s(32, 0)]);
    }

    #[test]
    fn nal_header_type_uses_low_five_bits() {
        // 0x25 = nal_ref_idc 1, type 5 (IDR); 0x78 = type 24 (not VCL).
        let mut sample = Vec::new();
        nal(&mut sample, 0x25, 996);
        nal(&mut sample, 0x78, 996);
        assert_eq!(avc(&sample), [s(104, 896), s(1000, 0)]);
    }

    #[test]
    fn clear_run_over_65535_is_split() {
        // 70 000 bytes of SEI then a 1000-byte slice: clear run 70 000 + 104 = 70 104.
        let mut sample = Vec::new();
        nal(&mut sample, 0x06, 69_996);
        nal(&mut sample, 0x65, 996);
        assert_eq!(avc(&sample), [s(65535, 0), s(4569, 896)]);
        // The same 70 000 clear bytes at the end of a sample.
        let mut sample = Vec::new();
        nal(&mut sample, 0x65, 996);
        nal(&mut sample, 0x06, 69_996);
        assert_eq!(avc(&sample), [s(104, 896), s(65535, 0), s(4465, 0)]);
        // Exactly two full u16 runs: no empty trailing entry.
        let mut sample = Vec::new();
        nal(&mut sample, 0x06, 131_070 - 4);
        assert_eq!(avc(&sample), [s(65535, 0), s(65535, 0)]);
    }

    #[test]
    fn huge_slice_encrypted_part_is_not_limited_to_u16() {
        let mut sample = Vec::new();
        nal(&mut sample, 0x65, 250_000 - 4);
        let enc = (250_000 - 96) & !15;
        assert_eq!(avc(&sample), [s((250_000 - enc) as u16, enc)]);
    }

    #[test]
    fn malformed_framing_is_an_error() {
        let mut out = Vec::new();
        let bad: [&[u8]; 6] = [
            &[],
            &[0, 0, 0],
            &[0, 0, 0, 5, 0x65, 1, 2],
            &[0, 0, 0, 0],
            &[0, 0, 0, 1],
            &[0, 0, 0, 1, 0x65, 0, 0],
        ];
        for sample in bad {
            let err = avc_subsamples(sample, &mut out).unwrap_err();
            assert!(matches!(err, Error::Malformed { .. }), "{sample:?}: {err}");
        }
        // A prefix claiming 4 GiB must not overflow anything.
        assert!(avc_subsamples(&[0xFF, 0xFF, 0xFF, 0xFF, 0x65], &mut out).is_err());
    }

    fn ranges(len: usize, r: &[(u32, u32)]) -> Result<Vec<Subsample>> {
        let mut map = vec![s(7, 7)];
        range_subsamples(len, r, &mut map)?;
        assert_eq!(sum(&map), len as u64);
        Ok(map)
    }

    #[test]
    fn ranges_basic_and_unsorted() {
        let want = [s(5, 20), s(3, 12), s(10, 0)];
        assert_eq!(ranges(50, &[(5, 20), (28, 12)]).unwrap(), want);
        assert_eq!(ranges(50, &[(28, 12), (5, 20)]).unwrap(), want);
        // Range at the very end: no trailing entry.
        assert_eq!(
            ranges(40, &[(28, 12), (5, 20)]).unwrap(),
            [s(5, 20), s(3, 12)]
        );
        // Touching ranges stay separate entries.
        assert_eq!(
            ranges(30, &[(0, 10), (10, 20)]).unwrap(),
            [s(0, 10), s(0, 20)]
        );
    }

    #[test]
    fn ranges_empty_and_zero_length() {
        assert_eq!(ranges(100, &[]).unwrap(), [s(100, 0)]);
        assert_eq!(ranges(0, &[]).unwrap(), [s(0, 0)]);
        assert_eq!(ranges(100, &[(10, 0), (50, 0)]).unwrap(), [s(100, 0)]);
        // A zero-length range inside another one is not an overlap.
        assert_eq!(
            ranges(100, &[(10, 20), (15, 0)]).unwrap(),
            [s(10, 20), s(70, 0)]
        );
        assert_eq!(ranges(70_000, &[]).unwrap(), [s(65535, 0), s(4465, 0)]);
        // A 70 000-byte gap before a range.
        assert_eq!(
            ranges(70_100, &[(70_000, 100)]).unwrap(),
            [s(65535, 0), s(4465, 100)]
        );
    }

    #[test]
    fn ranges_errors() {
        for (len, r) in [
            (50usize, &[(5u32, 20u32), (20, 10)][..]), // overlap
            (50, &[(20, 10), (5, 20)]),                // overlap, unsorted
            (50, &[(5, 5), (5, 5)]),                   // same range twice
            (50, &[(45, 6)]),                          // past the end
            (50, &[(51, 0)]),                          // empty but out of bounds
            (50, &[(u32::MAX, u32::MAX)]),             // no overflow
        ] {
            let mut map = Vec::new();
            let err = range_subsamples(len, r, &mut map).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{r:?}: {err}");
            assert!(map.is_empty());
        }
    }

    use crate::test_rng::XorShift as Rng;

    #[test]
    fn property_maps_cover_the_sample_exactly() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut map = Vec::new();
        for _ in 0..2000 {
            // A random well-formed sample of 1–8 NAL units of mixed types and sizes.
            let mut sample = Vec::new();
            for _ in 0..=rng.below(8) {
                let len = match rng.below(4) {
                    0 => 1 + rng.below(150),
                    1 => 1 + rng.below(3000),
                    2 => 60_000 + rng.below(20_000),
                    _ => 100 + rng.below(30),
                };
                nal(&mut sample, rng.next() as u8 & 0x7F, len);
            }
            avc_subsamples(&sample, &mut map).unwrap();
            assert_eq!(sum(&map), sample.len() as u64);
            assert!(!map.is_empty());
            // Every encrypted run is a multiple of 16 and at least 96 bytes precede it
            // within its NAL; the 4-byte prefix and header byte are never encrypted.
            assert!(map.iter().all(|e| e.encrypted % 16 == 0));
            // (The clear run may be spread over split (65535, 0) entries.)
            let mut run = 0u64;
            for e in &map {
                run += u64::from(e.clear);
                if e.encrypted > 0 {
                    assert!(run >= 96, "{map:?}");
                    run = 0;
                }
            }

            // Random (possibly overlapping or out-of-bounds) ranges: either an error, or
            // a map that covers the sample.
            let len = rng.below(100_000);
            let r: Vec<(u32, u32)> = (0..rng.below(6))
                .map(|_| (rng.below(len + 10) as u32, rng.below(len / 3 + 1) as u32))
                .collect();
            if range_subsamples(len, &r, &mut map).is_ok() {
                assert_eq!(sum(&map), len as u64);
                let enc: u64 = map.iter().map(|e| u64::from(e.encrypted)).sum();
                assert_eq!(enc, r.iter().map(|x| u64::from(x.1)).sum::<u64>());
            }
        }
    }
}
