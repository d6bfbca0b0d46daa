//! The one bounds-checked byte cursor: boxes (big-endian), the Windows structures, ASF
//! and the PlayReady Object (little-endian), decoder configuration records.

use crate::error::{Error, Result};

/// Converts an absolute offset to the `usize` that [`Error::Malformed`] carries,
/// saturating on 32-bit targets rather than wrapping to a misleading small number.
fn err_offset(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

/// Defines `name() -> Result<T>` for each `name -> T`: every fixed-width integer is an
/// array read and one `from_*_bytes`, in the byte order `$from` gives.
macro_rules! int_readers {
    ($order:literal, $from:ident: $($name:ident -> $t:ty),*) => {$(
        #[doc = concat!("Reads a ", $order, " `", stringify!($t), "`.")]
        pub fn $name(&mut self) -> Result<$t> {
            self.array().map(<$t>::$from)
        }
    )*};
}

/// Bounds-checked field reader over a byte slice, big-endian (`u16`, `u32`, …) or
/// little-endian (`u16_le`, `u32_le`, …).
///
/// Every read either returns the value and advances, or returns [`Error::Malformed`] with
/// the absolute offset of the field (the cursor knows where its slice sits in the file)
/// and leaves the position unchanged.
#[derive(Debug, Clone)]
pub struct ByteCursor<'a> {
    data: &'a [u8],
    pos: usize,
    /// Absolute offset of `data[0]`, so errors point into the caller's whole buffer.
    base: u64,
    /// Named in errors ("trun", "box header", …).
    what: &'static str,
}

impl<'a> ByteCursor<'a> {
    /// A cursor at the start of `data`, which is itself at offset 0 of the caller's buffer.
    pub fn new(data: &'a [u8]) -> Self {
        Self::at(data, 0, "field")
    }

    /// A cursor over `data`, which starts at absolute offset `base` in the caller's buffer;
    /// errors name `what`.
    pub fn at(data: &'a [u8], base: u64, what: &'static str) -> Self {
        ByteCursor {
            data,
            pos: 0,
            base,
            what,
        }
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Position relative to the start of the cursor's slice.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Absolute offset of the next byte in the caller's buffer.
    pub fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// An [`Error::Malformed`] naming the cursor's structure at the next byte's absolute
    /// offset, for a value that reads fine but is wrong.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::malformed(self.what, err_offset(self.offset()), reason)
    }

    /// Moves to `pos` bytes from the start of the slice (fixed-offset structures); the
    /// end of the slice is allowed, past it is an error.
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(self.error(format!(
                "truncated: offset {pos} is past the end of the {} bytes",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Reads `n` bytes as a borrowed slice.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(self.error(format!(
                "truncated: needs {n} more bytes, only {} left",
                self.remaining()
            ))),
        }
    }

    /// Reads exactly `N` bytes into an array (four-character codes, UUIDs, KIDs).
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Skips `n` bytes (reserved fields).
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        self.pos = self.data.len();
        rest
    }

    /// Reads an unsigned byte.
    pub fn u8(&mut self) -> Result<u8> {
        self.array().map(|[b]: [u8; 1]| b)
    }

    /// Reads a big-endian 24-bit unsigned integer (FullBox flags).
    pub fn u24(&mut self) -> Result<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    int_readers!("big-endian", from_be_bytes: u16 -> u16, u32 -> u32, u64 -> u64, i32 -> i32);
    int_readers!("little-endian", from_le_bytes: u16_le -> u16, u32_le -> u32, u64_le -> u64);

    /// Reads a big-endian unsigned integer of `len` bytes (1 to 8; tfra's variable-width
    /// traf/trun/sample numbers).
    pub fn uint(&mut self, len: usize) -> Result<u64> {
        if !(1..=8).contains(&len) {
            return Err(self.error(format!("integer width {len} is not 1 to 8 bytes")));
        }
        Ok(self
            .bytes(len)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_byte_orders_with_absolute_offsets() {
        let data = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        let mut c = ByteCursor::at(&data, 100, "test");
        assert_eq!(c.u16().unwrap(), 0x0102);
        assert_eq!(c.u16_le().unwrap(), 0x0403);
        assert_eq!(c.u32_le().unwrap(), 0x0807_0605);
        assert_eq!(c.offset(), 108);
        let err = c.u32().unwrap_err().to_string();
        assert_eq!(
            err,
            "malformed test at byte 108: truncated: needs 4 more bytes, only 1 left"
        );
        assert_eq!(c.position(), 8);
        c.seek(0).unwrap();
        assert_eq!(c.u64_le().unwrap(), 0x0807_0605_0403_0201);
        assert_eq!(c.uint(1).unwrap(), 9);
        assert!(c.uint(9).is_err());
        assert!(c.seek(10).is_err());
        c.seek(9).unwrap();
        assert_eq!(c.rest(), &[] as &[u8]);
        assert_eq!(
            c.error("bad").to_string(),
            "malformed test at byte 109: bad"
        );
    }
}
