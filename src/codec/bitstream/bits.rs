//! Most-significant-bit-first reading and writing: the bit fields of H.264 parameter sets,
//! slice headers and SEI, the AAC AudioSpecificConfig and the VC-1 headers.

use crate::error::{Error, Result};

/// Reads big-endian bit fields (and the Exp-Golomb codes of H.264 7.2) from a byte slice.
///
/// Every read is bounds-checked: running past the end, a field wider than 32 bits or an
/// Exp-Golomb code that does not fit 32 bits is an [`Error::Malformed`] naming the
/// structure given to [`BitReader::new`] and the byte where the read started. A failed
/// read may leave the position anywhere in the field, so callers stop at the first error.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    /// Names the structure in errors.
    what: &'static str,
}

impl<'a> BitReader<'a> {
    /// Reads `data` from its first bit; `what` names the structure in errors.
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        BitReader { data, pos: 0, what }
    }

    /// Bits read (or skipped) so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bits not read yet.
    pub fn bits_left(&self) -> usize {
        self.data.len().saturating_mul(8).saturating_sub(self.pos)
    }

    /// Whether the next bit starts a byte.
    pub fn is_byte_aligned(&self) -> bool {
        self.pos.is_multiple_of(8)
    }

    /// Skips to the start of the next byte (nothing when already there), for the
    /// byte-aligned fields that follow bit fields. Fails only past the end.
    pub fn byte_align(&mut self) -> Result<()> {
        let padding = (8 - self.pos % 8) % 8;
        self.skip(padding)
    }

    /// An [`Error::Malformed`] for the structure, at the byte holding the next bit.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::malformed(self.what, self.pos / 8, reason)
    }

    /// The error for a field of `n` bits that the data does not hold.
    fn truncated(&self, n: usize) -> Error {
        self.error(format!(
            "truncated: needs {n} bits at bit {}, {} left",
            self.pos,
            self.bits_left()
        ))
    }

    /// Reads one bit.
    pub fn bit(&mut self) -> Result<bool> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| self.truncated(1))?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// Reads `n` bits (at most 32) as an unsigned big-endian number.
    pub fn bits(&mut self, n: u32) -> Result<u32> {
        if n > 32 {
            return Err(self.error(format!("field of {n} bits")));
        }
        let n = n as usize;
        if self.bits_left() < n {
            return Err(self.truncated(n));
        }
        // Whole runs of a byte at a time rather than bit by bit: parameter sets are
        // small, but slice headers are read for every picture of a stream.
        let mut value = 0u64;
        let mut left = n;
        while left > 0 {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let free = 8 - self.pos % 8;
            let take = free.min(left);
            let run = (u32::from(byte) >> (free - take)) & ((1 << take) - 1);
            value = (value << take) | u64::from(run);
            self.pos += take;
            left -= take;
        }
        // At most 32 bits were gathered, so this never truncates.
        Ok(value as u32)
    }

    /// Reads an 8-bit field.
    pub fn byte(&mut self) -> Result<u8> {
        // Eight bits always fit.
        Ok(self.bits(8)? as u8)
    }

    /// Skips `n` bits.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        if self.bits_left() < n {
            return Err(self.truncated(n));
        }
        self.pos += n;
        Ok(())
    }

    /// Reads ue(v), an unsigned Exp-Golomb code (H.264 9.1).
    pub fn ue(&mut self) -> Result<u32> {
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
    pub fn ue_max(&mut self, max: u32, field: &str) -> Result<u32> {
        let v = self.ue()?;
        if v > max {
            return Err(self.error(format!("{field} is {v}, above {max}")));
        }
        Ok(v)
    }

    /// Reads se(v), a signed Exp-Golomb code (H.264 9.1.1).
    pub fn se(&mut self) -> Result<i32> {
        let k = i64::from(self.ue()?);
        let magnitude = (k + 1) / 2;
        let v = if k % 2 == 1 { magnitude } else { -magnitude };
        // |v| <= 2^31 - 1 because k <= 2^32 - 2.
        Ok(v as i32)
    }
}

/// Appends big-endian bit fields to a byte vector: the AudioSpecificConfig the crate
/// writes, and the parameter sets tests build.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits written so far.
    len: usize,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one bit.
    pub fn bit(&mut self, bit: bool) -> &mut Self {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit && let Some(last) = self.bytes.last_mut() {
            *last |= 0x80 >> (self.len % 8);
        }
        self.len += 1;
        self
    }

    /// Appends the low `n` bits of `value` (n at most 32), most significant first.
    pub fn bits(&mut self, value: u32, n: u32) -> &mut Self {
        for i in (0..n.min(32)).rev() {
            self.bit((value >> i) & 1 == 1);
        }
        self
    }

    /// Appends ue(v).
    pub fn ue(&mut self, value: u32) -> &mut Self {
        let coded = u64::from(value) + 1;
        let len = 64 - coded.leading_zeros();
        for _ in 1..len {
            self.bit(false);
        }
        for i in (0..len).rev() {
            self.bit((coded >> i) & 1 == 1);
        }
        self
    }

    /// Appends se(v).
    pub fn se(&mut self, value: i32) -> &mut Self {
        let magnitude = value.unsigned_abs();
        self.ue(if value > 0 {
            2 * magnitude - 1
        } else {
            magnitude.saturating_mul(2)
        })
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> usize {
        self.len
    }

    /// The bytes, the last one padded with zero bits.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn reads_fields_across_bytes() {
        let data = [0b1011_0011, 0b1100_0101, 0xff, 0, 0x12, 0x34];
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.bits(3).unwrap(), 0b101);
        assert_eq!(r.bits(7).unwrap(), 0b100_1111);
        assert!(!r.is_byte_aligned());
        r.byte_align().unwrap();
        assert_eq!(r.position(), 16);
        assert_eq!(r.bits(0).unwrap(), 0);
        assert_eq!(r.bits(32).unwrap(), 0xff00_1234);
        assert_eq!(r.bits_left(), 0);
        r.byte_align().unwrap();
        assert!(r.bits(33).is_err());
        let err = r.bit().unwrap_err().to_string();
        assert!(err.contains("at byte 6: truncated"), "{err}");
    }

    #[test]
    fn truncation_names_the_start_of_the_field() {
        let mut r = BitReader::new(&[0xAA, 0xBB], "test");
        r.skip(9).unwrap();
        let err = r.bits(8).unwrap_err().to_string();
        assert_eq!(
            err,
            "malformed test at byte 1: truncated: needs 8 bits at bit 9, 7 left"
        );
        assert!(r.skip(8).is_err());
        r.skip(7).unwrap();
    }

    #[test]
    fn writes_what_it_reads() {
        let mut w = BitWriter::new();
        w.bits(5, 3)
            .ue(0)
            .ue(7)
            .se(-3)
            .se(4)
            .bit(true)
            .bits(0xdead_beef, 32);
        let bits = w.bit_len();
        let data = w.finish();
        assert_eq!(data.len(), bits.div_ceil(8));
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.bits(3).unwrap(), 5);
        assert_eq!(r.ue().unwrap(), 0);
        assert_eq!(r.ue().unwrap(), 7);
        assert_eq!(r.se().unwrap(), -3);
        assert_eq!(r.se().unwrap(), 4);
        assert!(r.bit().unwrap());
        assert_eq!(r.bits(32).unwrap(), 0xdead_beef);
        let mut big = BitWriter::new();
        big.ue(u32::MAX - 1).se(i32::MIN + 1);
        let data = big.finish();
        let mut r = BitReader::new(&data, "test");
        assert_eq!(r.ue().unwrap(), u32::MAX - 1);
        assert_eq!(r.se().unwrap(), i32::MIN + 1);
    }
}
