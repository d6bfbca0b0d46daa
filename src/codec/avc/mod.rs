//! H.264 (AVC): NAL unit framing, parameter sets, slice headers, picture order count,
//! decoder configuration records and raw Annex B stream reading.

mod annexb;
mod avcc;
mod bits;
mod gop;
mod nal;
mod poc;
mod pps;
mod pts;
mod reader;
mod sei;
mod slice;
mod sps;

pub use annexb::{AnnexBNals, annexb_to_length_prefixed4, split_annexb};
pub use avcc::{AvcDecoderConfig, AvcHighProfileExt};
pub use bits::remove_emulation_prevention;
pub use nal::{
    LengthPrefixedNals, NAL_AUD, NAL_END_OF_SEQUENCE, NAL_END_OF_STREAM, NAL_IDR_SLICE, NAL_PPS,
    NAL_SEI, NAL_SLICE, NAL_SLICE_DPA, NAL_SLICE_DPB, NAL_SLICE_DPC, NAL_SPS, NalFormat,
    length_prefixed_nals, nal_ref_idc, nal_unit_type, to_length_prefixed4,
};
pub use poc::PocComputer;
pub use pps::Pps;
pub use pts::{PtsFromPoc, TimedFrame};
pub use reader::{AccessUnit, AccessUnitReader};
pub use sei::RecoveryPoint;
pub use slice::SliceHeader;
pub use sps::{Sps, VuiTiming};

#[cfg(test)]
mod tests;
