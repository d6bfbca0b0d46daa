//! NAL unit framing: the one walk over the NAL units of a sample, Annex B (start codes)
//! or length-prefixed (ISO/IEC 14496-15), and the conversion to the 4-byte lengths that
//! PIFF samples carry.

use bytes::Bytes;

use super::start_code::{find_start_code, trim_trailing_zeros};
use crate::error::{Error, Result};

/// How the NAL units of a sample are framed on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalFormat {
    /// Start codes (`00 00 01` or `00 00 00 01`) before each NAL unit (H.264 Annex B).
    AnnexB,
    /// A big-endian length of 1, 2 or 4 bytes before each NAL unit (ISO/IEC 14496-15).
    LengthPrefixed(u8),
}

impl NalFormat {
    /// Length-prefixed framing with `size`-byte lengths, when `size` is one that
    /// ISO/IEC 14496-15 allows (1, 2 or 4); `None` otherwise.
    pub fn length_prefixed(size: u32) -> Option<Self> {
        match size {
            1 | 2 | 4 => u8::try_from(size).ok().map(NalFormat::LengthPrefixed),
            _ => None,
        }
    }
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
        next: find_start_code(data, 0).map(|at| at + 3),
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

/// Iterates over the NAL units of length-prefixed data; see [`length_prefixed_nals`].
#[derive(Debug, Clone)]
pub struct LengthPrefixedNals<'a> {
    data: &'a [u8],
    pos: usize,
    length_size: u8,
    /// Named in errors.
    what: &'static str,
    /// Set after an error so the iterator ends instead of resynchronising on garbage.
    failed: bool,
}

/// Iterates over the NAL units of `data`, each preceded by a `length_size`-byte
/// big-endian length.
///
/// Yields an error (then ends) for a length size other than 1, 2 or 4, a truncated
/// length field, or a NAL unit that runs past the end of `data`. Errors name a
/// "length-prefixed NAL unit" unless [`LengthPrefixedNals::named`] says otherwise, at the
/// offset of the length field in `data`.
pub fn length_prefixed_nals(data: &[u8], length_size: u8) -> LengthPrefixedNals<'_> {
    LengthPrefixedNals {
        data,
        pos: 0,
        length_size,
        what: "length-prefixed NAL unit",
        failed: false,
    }
}

impl<'a> LengthPrefixedNals<'a> {
    /// Names the structure being walked in errors (e.g. the sequence header of a
    /// Windows MPEG2VIDEOINFO, whose parameter sets have 2-byte lengths).
    pub fn named(mut self, what: &'static str) -> Self {
        self.what = what;
        self
    }

    fn next_nal(&mut self) -> Result<&'a [u8]> {
        let error = |reason: String| Error::malformed(self.what, self.pos, reason);
        if !matches!(self.length_size, 1 | 2 | 4) {
            return Err(error(format!(
                "NAL length size {} is not 1, 2 or 4",
                self.length_size
            )));
        }
        let size = usize::from(self.length_size);
        let field = self
            .pos
            .checked_add(size)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| error("truncated length field".into()))?;
        let len = field
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = self.pos + size;
        let nal = start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(|| {
                error(format!(
                    "length {len} runs past the end ({} bytes left)",
                    self.data.len().saturating_sub(start)
                ))
            })?;
        self.pos = start + len;
        Ok(nal)
    }
}

impl<'a> Iterator for LengthPrefixedNals<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let item = self.next_nal();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Iterates over the NAL units of one sample whatever its framing; see [`nal_units`].
#[derive(Debug, Clone)]
pub enum NalUnits<'a> {
    /// Start-code framing.
    AnnexB(AnnexBNals<'a>),
    /// Length-prefixed framing.
    LengthPrefixed(LengthPrefixedNals<'a>),
}

/// The NAL units of `sample` framed as `format`, without start codes or lengths. Annex B
/// framing never fails (see [`split_annexb`]); length-prefixed framing yields an error
/// and ends (see [`length_prefixed_nals`]).
pub fn nal_units(sample: &[u8], format: NalFormat) -> NalUnits<'_> {
    match format {
        NalFormat::AnnexB => NalUnits::AnnexB(split_annexb(sample)),
        NalFormat::LengthPrefixed(size) => {
            NalUnits::LengthPrefixed(length_prefixed_nals(sample, size))
        }
    }
}

impl<'a> Iterator for NalUnits<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            NalUnits::AnnexB(nals) => nals.next().map(Ok),
            NalUnits::LengthPrefixed(nals) => nals.next(),
        }
    }
}

/// Appends `nal` to `out` behind its 4-byte big-endian length.
pub fn push_length_prefixed4(out: &mut Vec<u8>, nal: &[u8]) -> Result<()> {
    let len = u32::try_from(nal.len()).map_err(|_| {
        Error::malformed(
            "NAL unit",
            0,
            format!("{} bytes do not fit a 4-byte length", nal.len()),
        )
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(nal);
    Ok(())
}

/// Appends the NAL units of Annex B `data` to `out`, each behind a 4-byte big-endian
/// length.
pub fn annexb_to_length_prefixed4(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    split_annexb(data).try_for_each(|nal| push_length_prefixed4(out, nal))
}

/// Returns `sample` with every NAL unit preceded by a 4-byte big-endian length.
///
/// A sample that is already 4-byte length-prefixed is checked (the lengths must walk
/// exactly to its end) and returned as a zero-copy clone; other framings are rewritten
/// into a new buffer.
pub fn to_length_prefixed4(sample: &Bytes, format: NalFormat) -> Result<Bytes> {
    match format {
        NalFormat::LengthPrefixed(4) => {
            for nal in length_prefixed_nals(sample, 4) {
                nal?;
            }
            Ok(sample.clone())
        }
        NalFormat::LengthPrefixed(size) => {
            let mut out = Vec::with_capacity(sample.len() + sample.len() / 16 + 16);
            for nal in length_prefixed_nals(sample, size) {
                push_length_prefixed4(&mut out, nal?)?;
            }
            Ok(Bytes::from(out))
        }
        NalFormat::AnnexB => {
            let mut out = Vec::with_capacity(sample.len() + 16);
            annexb_to_length_prefixed4(sample, &mut out)?;
            if out.is_empty() && !sample.is_empty() {
                return Err(Error::malformed(
                    "Annex B sample",
                    0,
                    "no NAL unit after a start code",
                ));
            }
            Ok(Bytes::from(out))
        }
    }
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
    fn walks_length_prefixed() {
        let data = [0, 2, 0x65, 1, 0, 1, 0x06];
        let nals: Vec<_> = length_prefixed_nals(&data, 2)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(nals, vec![&[0x65, 1][..], &[0x06][..]]);
        let errs: Vec<_> = length_prefixed_nals(&data[..6], 2).collect();
        assert_eq!(errs.len(), 2);
        assert!(errs[1].is_err());
        assert!(length_prefixed_nals(&data, 3).next().unwrap().is_err());
        assert!(length_prefixed_nals(&[0, 0, 1], 4).next().unwrap().is_err());
        let err = length_prefixed_nals(&data[..6], 2)
            .named("test")
            .nth(1)
            .unwrap()
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "malformed test at byte 4: length 1 runs past the end (0 bytes left)"
        );
    }

    #[test]
    fn walks_either_framing() {
        let annexb = [0, 0, 1, 0x67, 0, 0, 0, 1, 0x68];
        let prefixed = [0, 1, 0x67, 0, 1, 0x68];
        for (data, format) in [
            (&annexb[..], NalFormat::AnnexB),
            (&prefixed[..], NalFormat::LengthPrefixed(2)),
        ] {
            let nals: Vec<_> = nal_units(data, format).collect::<Result<_>>().unwrap();
            assert_eq!(nals, [&[0x67][..], &[0x68][..]]);
        }
        assert!(nal_units(&prefixed, NalFormat::LengthPrefixed(4)).any(|n| n.is_err()));
        assert_eq!(
            NalFormat::length_prefixed(2),
            Some(NalFormat::LengthPrefixed(2))
        );
        assert_eq!(NalFormat::length_prefixed(3), None);
        assert_eq!(NalFormat::length_prefixed(260), None);
    }

    #[test]
    fn converts_to_length_prefixed4() {
        let four = Bytes::from_static(&[0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 6]);
        let same = to_length_prefixed4(&four, NalFormat::LengthPrefixed(4)).unwrap();
        assert_eq!(same.as_ptr(), four.as_ptr());
        let bad = Bytes::from_static(&[0, 0, 0, 2, 0x65, 1, 0, 0, 0, 2, 6]);
        assert!(to_length_prefixed4(&bad, NalFormat::LengthPrefixed(4)).is_err());
        let one = Bytes::from_static(&[2, 0x65, 1, 1, 6]);
        assert_eq!(
            to_length_prefixed4(&one, NalFormat::LengthPrefixed(1)).unwrap(),
            four
        );
        let annexb = Bytes::from_static(&[0, 0, 0, 1, 0x65, 1, 0, 0, 1, 6, 0]);
        assert_eq!(
            to_length_prefixed4(&annexb, NalFormat::AnnexB).unwrap(),
            four
        );
        assert!(to_length_prefixed4(&Bytes::from_static(&[1, 2, 3]), NalFormat::AnnexB).is_err());
    }
}
