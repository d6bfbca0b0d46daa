//! H.264 (AVC): NAL unit framing, parameter sets, slice headers, picture order count and
//! decoder configuration records. Reading raw Annex B streams is `crate::input::h264`'s.

mod annexb;
mod avcc;
mod bits;
mod nal;
mod poc;
mod pps;
mod sei;
mod slice;
mod sps;

pub use annexb::{AnnexBNals, annexb_to_length_prefixed4, split_annexb};
pub(crate) use annexb::{find_start_code, trim_trailing_zeros};
pub use avcc::{AvcDecoderConfig, AvcHighProfileExt};
pub use bits::remove_emulation_prevention;
pub(crate) use nal::push_length_prefixed4;
pub use nal::{
    LengthPrefixedNals, NAL_AUD, NAL_END_OF_SEQUENCE, NAL_END_OF_STREAM, NAL_IDR_SLICE, NAL_PPS,
    NAL_SEI, NAL_SLICE, NAL_SLICE_DPA, NAL_SLICE_DPB, NAL_SLICE_DPC, NAL_SPS, NalFormat,
    length_prefixed_nals, nal_ref_idc, nal_unit_type, to_length_prefixed4,
};
pub use poc::PocComputer;
pub use pps::Pps;
pub use sei::RecoveryPoint;
pub use slice::SliceHeader;
pub use sps::{Sps, VuiTiming};

#[cfg(test)]
mod tests;
