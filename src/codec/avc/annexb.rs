//! Annex B byte streams: start code search and conversion to length-prefixed framing.

use super::nal::push_length_prefixed4;
use crate::error::Result;

/// Index of the first `00 00 01` at or after `from`.
pub(crate) fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = data.get(i.checked_add(2)?) {
        if b > 1 {
            // No start code can begin at i, i + 1 or i + 2 when byte i + 2 is above 1.
            i += 3;
        } else if b == 1 && data.get(i) == Some(&0) && data.get(i + 1) == Some(&0) {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// Drops the zero bytes that end a NAL unit slice: the first byte of a 4-byte start code
/// or trailing_zero_8bits. A NAL unit itself never ends in a zero byte.
pub(crate) fn trim_trailing_zeros(nal: &[u8]) -> &[u8] {
    let end = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    nal.get(..end).unwrap_or_default()
}

/// Iterates over the NAL units of an Annex B buffer; see [`split_annexb`].
#[derive(Debug, Clone)]
pub struct AnnexBNals<'a> {
    data: &'a [u8],
    /// Start of the next NAL unit (just after its start code), or `None` when done.
    next: Option<usize>,
}

/// Iterates over the NAL units of an Annex B buffer, without their start codes.
///
/// Both 3- and 4-byte start codes are accepted; bytes before the first start code are
/// ignored, trailing zero bytes are dropped and empty NAL units are skipped.
pub fn split_annexb(data: &[u8]) -> AnnexBNals<'_> {
    AnnexBNals {
        data,
        next: find_start_code(data, 0).map(|i| i + 3),
    }
}

impl<'a> Iterator for AnnexBNals<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let start = self.next?;
            let (end, next) = match find_start_code(self.data, start) {
                Some(sc) => (sc, Some(sc + 3)),
                None => (self.data.len(), None),
            };
            self.next = next;
            let nal = trim_trailing_zeros(self.data.get(start..end).unwrap_or_default());
            if !nal.is_empty() {
                return Some(nal);
            }
        }
    }
}

/// Appends the NAL units of Annex B `data` to `out`, each behind a 4-byte big-endian
/// length.
pub fn annexb_to_length_prefixed4(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    split_annexb(data).try_for_each(|nal| push_length_prefixed4(out, nal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_start_codes() {
        let data = [
            9, 9, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 0, 0, 1, 0, 0, 1, 0x65, 0, 3, 0, 0,
        ];
        let nals: Vec<_> = split_annexb(&data).collect();
        assert_eq!(nals, vec![&[0x67, 1][..], &[0x68], &[0x65, 0, 3]]);
        assert_eq!(split_annexb(&[0, 0, 1]).count(), 0);
        assert_eq!(split_annexb(&[1, 2, 3]).count(), 0);
        assert_eq!(split_annexb(&[]).count(), 0);
    }

    #[test]
    fn finds_start_codes() {
        assert_eq!(find_start_code(&[0, 0, 0, 0, 1], 0), Some(2));
        assert_eq!(find_start_code(&[5, 0, 0, 1], 0), Some(1));
        assert_eq!(find_start_code(&[0, 0, 2, 0, 0, 1], 0), Some(3));
        assert_eq!(find_start_code(&[0, 0, 1], 1), None);
        assert_eq!(find_start_code(&[0, 0], usize::MAX), None);
    }
}
