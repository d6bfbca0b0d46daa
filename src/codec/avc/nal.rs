//! NAL unit types and headers (H.264 7.3.1, Table 7-1). Framing (start codes, lengths)
//! is [`crate::codec::bitstream`]'s.

use std::borrow::Cow;

use crate::codec::bitstream::{Escaping, remove_emulation_prevention};
use crate::error::{Error, Result};

/// Coded slice of a non-IDR picture.
pub const NAL_SLICE: u8 = 1;
/// Coded slice data partition A.
pub const NAL_SLICE_DPA: u8 = 2;
/// Coded slice data partition B.
pub const NAL_SLICE_DPB: u8 = 3;
/// Coded slice data partition C.
pub const NAL_SLICE_DPC: u8 = 4;
/// Coded slice of an IDR picture.
pub const NAL_IDR_SLICE: u8 = 5;
/// Supplemental enhancement information.
pub const NAL_SEI: u8 = 6;
/// Sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// Picture parameter set.
pub const NAL_PPS: u8 = 8;
/// Access unit delimiter.
pub const NAL_AUD: u8 = 9;
/// End of sequence.
pub const NAL_END_OF_SEQUENCE: u8 = 10;
/// End of stream.
pub const NAL_END_OF_STREAM: u8 = 11;

/// The nal_unit_type of a NAL unit (its first byte's low 5 bits); `None` when empty.
pub fn nal_unit_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

/// The nal_ref_idc of a NAL unit; `None` when empty.
pub fn nal_ref_idc(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| (b >> 5) & 3)
}

/// The RBSP of an H.264 NAL unit payload (the bytes after its header byte): every
/// emulation prevention `03` removed. Borrows when there is none.
pub fn rbsp(payload: &[u8]) -> Cow<'_, [u8]> {
    remove_emulation_prevention(payload, Escaping::H264)
}

/// The RBSP of a NAL unit of type `expected`: its payload after the header byte, without
/// emulation prevention bytes. Any other type, or an empty unit, is refused as an invalid
/// `what`.
pub(crate) fn rbsp_of<'a>(
    nal: &'a [u8],
    expected: u8,
    what: &'static str,
) -> Result<Cow<'a, [u8]>> {
    match nal_unit_type(nal) {
        Some(t) if t == expected => Ok(rbsp(nal.get(1..).unwrap_or_default())),
        Some(t) => Err(Error::config(
            what,
            format!("NAL unit type {t}, expected {expected}"),
        )),
        None => Err(Error::config(what, "empty NAL unit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_fields() {
        assert_eq!(nal_unit_type(&[0x67]), Some(NAL_SPS));
        assert_eq!(nal_ref_idc(&[0x67]), Some(3));
        assert_eq!(nal_unit_type(&[]), None);
    }

    #[test]
    fn rbsp_drops_emulation_prevention() {
        assert_eq!(&*rbsp(&[0, 0, 3, 1]), &[0, 0, 1]);
        assert!(matches!(rbsp(&[1, 2, 3]), Cow::Borrowed(_)));
    }
}
