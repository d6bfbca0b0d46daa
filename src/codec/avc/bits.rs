//! RBSP access: emulation prevention removal and an Exp-Golomb bit reader.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// Returns the RBSP of a NAL unit payload: every `00 00 03` becomes `00 00`.
///
/// Borrows when the payload holds no emulation prevention byte, which is the common case
/// for parameter sets and slice headers.
pub fn remove_emulation_prevention(data: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = find_emulation_byte(data, 0) else {
        return Cow::Borrowed(data);
    };
    let mut out = Vec::with_capacity(data.len());
    let mut copied = 0;
    let mut next = Some(first);
    while let Some(at) = next {
        out.extend_from_slice(data.get(copied..at).unwrap_or_default());
        copied = at + 1;
        // The zeros before a removed 03 cannot start another pattern (7.4.1), so the
        // search restarts just after it.
        next = find_emulation_byte(data, copied);
    }
    out.extend_from_slice(data.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// Index of the next `03` that follows two zero bytes, searching from `from`.
fn find_emulation_byte(data: &[u8], from: usize) -> Option<usize> {
    let mut zeros = 0usize;
    for (i, &b) in data.iter().enumerate().skip(from) {
        if zeros >= 2 && b == 3 {
            return Some(i);
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    None
}

/// Big-endian bit reader over an RBSP, with the Exp-Golomb codes of H.264 7.2.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    /// Names the structure in errors.
    what: &'static str,
}

impl<'a> BitReader<'a> {
    /// Reads `data` from its first bit; `what` names the structure in errors.
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> Self {
        BitReader { data, pos: 0, what }
    }

    fn error(&self, reason: impl Into<String>) -> Error {
        Error::malformed(self.what, self.pos / 8, reason)
    }

    fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// Reads one bit.
    pub(crate) fn bit(&mut self) -> Result<bool> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| self.error("truncated"))?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// Reads `n` bits (at most 32) as an unsigned big-endian number.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u32> {
        if n > 32 {
            return Err(self.error(format!("field of {n} bits")));
        }
        if self.bits_left() < n as usize {
            return Err(self.error("truncated"));
        }
        let mut value = 0u64;
        for _ in 0..n {
            value = (value << 1) | u64::from(self.bit()?);
        }
        // At most 32 bits were gathered, so this never truncates.
        Ok(value as u32)
    }

    /// Reads an 8-bit field.
    pub(crate) fn byte(&mut self) -> Result<u8> {
        // Eight bits always fit.
        Ok(self.bits(8)? as u8)
    }

    /// Skips `n` bits.
    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        if self.bits_left() < n {
            return Err(self.error("truncated"));
        }
        self.pos += n;
        Ok(())
    }

    /// Reads ue(v).
    pub(crate) fn ue(&mut self) -> Result<u32> {
        let mut zeros = 0u32;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return Err(self.error("Exp-Golomb code longer than 32 bits"));
            }
        }
        let suffix = self.bits(zeros)?;
        // 2^zeros - 1 + suffix is at most 2^32 - 2 for zeros <= 31.
        Ok(((1u64 << zeros) - 1 + u64::from(suffix)) as u32)
    }

    /// Reads ue(v) and refuses values above `max`, naming `field` in the error.
    pub(crate) fn ue_max(&mut self, max: u32, field: &str) -> Result<u32> {
        let v = self.ue()?;
        if v > max {
            return Err(self.error(format!("{field} is {v}, above {max}")));
        }
        Ok(v)
    }

    /// Reads se(v).
    pub(crate) fn se(&mut self) -> Result<i32> {
        let k = i64::from(self.ue()?);
        let magnitude = (k + 1) / 2;
        let v = if k % 2 == 1 { magnitude } else { -magnitude };
        // |v| <= 2^31 - 1 because k <= 2^32 - 2.
        Ok(v as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_emulation_prevention() {
        assert!(matches!(
            remove_emulation_prevention(&[1, 2, 0, 0, 1]),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            &*remove_emulation_prevention(&[0, 0, 3, 1, 0, 0, 3, 0, 0, 3]),
            &[0, 0, 1, 0, 0, 0, 0]
        );
        assert_eq!(&*remove_emulation_prevention(&[0, 0, 0, 3]), &[0, 0, 0]);
        assert_eq!(&*remove_emulation_prevention(&[0, 3, 0, 3]), &[0, 3, 0, 3]);
    }

    #[test]
    fn reads_exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3; then se(4) = -2.
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.ue().unwrap(), 0);
        assert_eq!(r.ue().unwrap(), 1);
        assert_eq!(r.ue().unwrap(), 2);
        assert_eq!(r.ue().unwrap(), 3);
        assert_eq!(r.se().unwrap(), -2);
        assert!(r.ue().is_err());
    }

    #[test]
    fn rejects_long_codes() {
        let data = [0u8; 8];
        assert!(BitReader::new(&data, "test").ue().is_err());
        let max = [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe];
        assert_eq!(BitReader::new(&max, "test").ue().unwrap(), u32::MAX - 1);
        assert_eq!(BitReader::new(&max, "test").se().unwrap(), -(i32::MAX));
    }
}
