//! Start codes (`00 00 01`) and emulation prevention (`00 00 03`), shared by H.264 Annex B
//! (B.1, 7.4.1) and VC-1 (SMPTE 421M Annex E), found with `memchr`'s SIMD `memmem` so
//! that a stream is scanned at memory speed rather than a byte at a time.

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The three bytes that start every NAL unit of an Annex B stream and every VC-1 unit.
const START_CODE: [u8; 3] = [0, 0, 1];

/// The pattern an emulation prevention byte ends.
const EMULATION_PREVENTION: [u8; 3] = [0, 0, 3];

/// Built once: a `Finder` picks its SIMD searcher when it is made, which is worth doing
/// once rather than for every NAL unit and every read of a stream.
static START_CODES: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(&START_CODE));

/// Built once, like [`START_CODES`].
static ESCAPES: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(&EMULATION_PREVENTION));

/// Index of the first `00 00 01` at or after `from`; `None` when there is none (or
/// `from` is past the end).
pub fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let tail = data.get(from..)?;
    START_CODES.find(tail).map(|at| at + from)
}

/// Drops the zero bytes that end a unit cut at the next start code: the first byte of a
/// 4-byte start code, or trailing_zero_8bits / stuffing. Neither a NAL unit nor a VC-1
/// header ends in a zero byte (each ends with a stop bit).
pub fn trim_trailing_zeros(unit: &[u8]) -> &[u8] {
    let end = unit.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    unit.get(..end).unwrap_or_default()
}

/// Which `03` bytes after two zero bytes are emulation prevention bytes. The codecs
/// insert them alike but tell a decoder to remove them under different conditions, which
/// matters only for streams that break the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// H.264 (7.3.1 `nal_unit()`): every one.
    H264,
    /// VC-1 (SMPTE 421M Annex E): only one followed by a byte of 0 to 3, or by nothing.
    Vc1,
}

/// Returns `data` with its emulation prevention bytes removed: `00 00 03` becomes
/// `00 00` where `rule` says the `03` was inserted (an RBSP from a NAL unit payload, a
/// VC-1 header from its escaped bytes).
///
/// Borrows when there is nothing to remove, the common case for parameter sets and
/// headers.
pub fn remove_emulation_prevention(data: &[u8], rule: Escaping) -> Cow<'_, [u8]> {
    let mut removals = emulation_prevention_bytes(data, rule).peekable();
    if removals.peek().is_none() {
        return Cow::Borrowed(data);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut copied = 0;
    for at in removals {
        out.extend_from_slice(data.get(copied..at).unwrap_or_default());
        copied = at + 1;
    }
    out.extend_from_slice(data.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// The indices of the emulation prevention bytes (the `03`s) to remove, in order.
fn emulation_prevention_bytes(data: &[u8], rule: Escaping) -> impl Iterator<Item = usize> {
    // `00 00 03` cannot overlap itself, and the zeros before a removed 03 cannot start
    // another pattern (7.4.1), so the next search starts just after the 03 either way.
    ESCAPES
        .find_iter(data)
        .map(|at| at + 2)
        .filter(move |&three| match rule {
            Escaping::H264 => true,
            Escaping::Vc1 => data.get(three + 1).is_none_or(|&next| next <= 3),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_start_codes() {
        assert_eq!(find_start_code(&[0, 0, 0, 0, 1], 0), Some(2));
        assert_eq!(find_start_code(&[5, 0, 0, 1], 0), Some(1));
        assert_eq!(find_start_code(&[0, 0, 2, 0, 0, 1], 0), Some(3));
        assert_eq!(find_start_code(&[0, 0, 1], 1), None);
        assert_eq!(find_start_code(&[0, 0], usize::MAX), None);
        assert_eq!(find_start_code(&[0, 0, 1], 3), None);
    }

    #[test]
    fn trims_trailing_zeros() {
        assert_eq!(trim_trailing_zeros(&[1, 0, 2, 0, 0]), &[1, 0, 2]);
        assert_eq!(trim_trailing_zeros(&[0, 0]), &[] as &[u8]);
        assert_eq!(trim_trailing_zeros(&[]), &[] as &[u8]);
    }

    #[test]
    fn removes_emulation_prevention() {
        let h264 = |data: &[u8]| remove_emulation_prevention(data, Escaping::H264).into_owned();
        assert!(matches!(
            remove_emulation_prevention(&[1, 2, 0, 0, 1], Escaping::H264),
            Cow::Borrowed(_)
        ));
        assert_eq!(h264(&[0, 0, 3, 1, 0, 0, 3, 0, 0, 3]), [0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(h264(&[0, 0, 0, 3]), [0, 0, 0]);
        assert_eq!(h264(&[0, 3, 0, 3]), [0, 3, 0, 3]);
        assert_eq!(h264(&[0, 0, 3, 0, 3]), [0, 0, 0, 3]);
        assert_eq!(h264(&[0, 0, 3, 3]), [0, 0, 3]);
        assert_eq!(h264(&[0, 0, 3, 9]), [0, 0, 9]);
    }

    #[test]
    fn vc1_removes_only_before_small_bytes() {
        let vc1 = |data: &[u8]| remove_emulation_prevention(data, Escaping::Vc1).into_owned();
        assert_eq!(vc1(&[0, 0, 3, 9]), [0, 0, 3, 9]);
        assert_eq!(vc1(&[0, 0, 3, 2, 0, 0, 3]), [0, 0, 2, 0, 0]);
        assert_eq!(vc1(&[0, 0, 3, 3, 0, 0, 3, 4]), [0, 0, 3, 0, 0, 3, 4]);
    }

    /// The byte-at-a-time rules the crate used before the SIMD search, kept as the
    /// reference the search must agree with.
    fn reference(data: &[u8], rule: Escaping) -> Vec<u8> {
        let mut out = Vec::new();
        let mut zeros = 0usize;
        for (i, &b) in data.iter().enumerate() {
            let next_small = data.get(i + 1).is_none_or(|&n| n <= 3);
            if zeros >= 2 && b == 3 && (rule == Escaping::H264 || next_small) {
                zeros = 0;
                continue;
            }
            out.push(b);
            zeros = if b == 0 { zeros + 1 } else { 0 };
        }
        out
    }

    #[test]
    fn agrees_with_the_byte_at_a_time_rule() {
        let mut rng = crate::test_rng::XorShift(0x0003_0003);
        for _ in 0..20_000 {
            // Mostly 0 and 3 so the patterns are common.
            let data: Vec<u8> = rng
                .bytes_below(24)
                .iter()
                .map(|b| [0, 0, 3, 1, 4][usize::from(b % 5)])
                .collect();
            for rule in [Escaping::H264, Escaping::Vc1] {
                assert_eq!(
                    remove_emulation_prevention(&data, rule).into_owned(),
                    reference(&data, rule),
                    "{data:?} {rule:?}"
                );
            }
        }
    }
}
