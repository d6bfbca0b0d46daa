//! The bitstream toolkit every parser in the crate reads with, written once:
//!
//! - [`BitReader`] / [`BitWriter`]: MSB-first bit fields and Exp-Golomb codes (H.264
//!   parameter sets, slice headers and SEI, the AAC AudioSpecificConfig, VC-1 headers);
//! - [`ByteCursor`]: bounds-checked big- and little-endian fields whose errors carry the
//!   absolute offset of the problem (boxes, Windows structures, ASF, PlayReady Objects,
//!   decoder configuration records);
//! - [`find_start_code`]: `00 00 01` at memory speed (SIMD `memmem`), with
//!   [`trim_trailing_zeros`] for the zeros a unit cut at a start code keeps;
//! - [`remove_emulation_prevention`]: `00 00 03` → `00 00` under the H.264 or the VC-1
//!   rule;
//! - [`nal_units`] and its two framings ([`split_annexb`], [`length_prefixed_nals`]),
//!   and the conversion to the 4-byte lengths PIFF samples carry.
//!
//! Nothing here knows a codec's syntax; `codec::avc`, `codec::aac` and `codec::vc1` do.

mod bits;
mod cursor;
mod nal;
mod start_code;

pub use bits::{BitReader, BitWriter};
pub use cursor::ByteCursor;
pub use nal::{
    AnnexBNals, LengthPrefixedNals, NalFormat, NalUnits, annexb_to_length_prefixed4,
    length_prefixed_nals, nal_units, push_length_prefixed4, split_annexb, to_length_prefixed4,
};
pub use start_code::{Escaping, find_start_code, remove_emulation_prevention, trim_trailing_zeros};
