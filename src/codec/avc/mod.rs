//! H.264 (AVC): NAL unit types, parameter sets, slice headers, picture order count and
//! decoder configuration records. NAL framing (start codes, lengths, emulation
//! prevention) is [`crate::codec::bitstream`]'s, re-exported here where H.264 users look
//! for it; reading raw Annex B streams is `crate::input::h264`'s.

mod avcc;
mod nal;
mod poc;
mod pps;
mod sei;
mod slice;
mod sps;

pub use crate::codec::bitstream::{
    AnnexBNals, LengthPrefixedNals, NalFormat, annexb_to_length_prefixed4, length_prefixed_nals,
    split_annexb, to_length_prefixed4,
};
pub(crate) use avcc::first_parameter_sets;
pub use avcc::{AvcDecoderConfig, AvcHighProfileExt};
pub use nal::{
    NAL_AUD, NAL_END_OF_SEQUENCE, NAL_END_OF_STREAM, NAL_IDR_SLICE, NAL_PPS, NAL_SEI, NAL_SLICE,
    NAL_SLICE_DPA, NAL_SLICE_DPB, NAL_SLICE_DPC, NAL_SPS, nal_ref_idc, nal_unit_type, rbsp,
};
pub use poc::PocComputer;
pub use pps::Pps;
pub use sei::RecoveryPoint;
pub use slice::SliceHeader;
pub use sps::{Sps, VuiTiming};

#[cfg(test)]
mod tests;
