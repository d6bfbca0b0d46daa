//! Picture parameter set (H.264 7.3.2.2), as far as slice headers depend on it.

use super::nal::{NAL_PPS, rbsp_of};
use crate::codec::bitstream::BitReader;
use crate::error::{Error, Result};

const WHAT: &str = "PPS";

/// The fields of a picture parameter set that slice header parsing needs.
///
/// The optional tail (transform_8x8_mode_flag onwards) is not read: its length depends
/// on the SPS and no slice header field depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pps {
    /// pic_parameter_set_id (0..=255).
    pub pic_parameter_set_id: u8,
    /// seq_parameter_set_id (0..=31) of the SPS this PPS refers to.
    pub seq_parameter_set_id: u8,
    /// entropy_coding_mode_flag: true for CABAC.
    pub entropy_coding_mode: bool,
    /// bottom_field_pic_order_in_frame_present_flag.
    pub bottom_field_pic_order_in_frame_present: bool,
    /// num_slice_groups_minus1 + 1.
    pub num_slice_groups: u8,
    /// slice_group_map_type (meaningful when there are several slice groups).
    pub slice_group_map_type: u8,
    /// slice_group_change_rate_minus1 + 1 (map types 3 to 5).
    pub slice_group_change_rate: u32,
    /// num_ref_idx_l0_default_active_minus1 + 1.
    pub num_ref_idx_l0_default_active: u8,
    /// num_ref_idx_l1_default_active_minus1 + 1.
    pub num_ref_idx_l1_default_active: u8,
    /// weighted_pred_flag.
    pub weighted_pred: bool,
    /// weighted_bipred_idc (0..=2).
    pub weighted_bipred_idc: u8,
    /// deblocking_filter_control_present_flag.
    pub deblocking_filter_control_present: bool,
    /// redundant_pic_cnt_present_flag.
    pub redundant_pic_cnt_present: bool,
}

impl Pps {
    /// Parses a picture parameter set NAL unit (header byte included, type 8).
    pub fn parse(nal: &[u8]) -> Result<Pps> {
        let rbsp = rbsp_of(nal, NAL_PPS, WHAT)?;
        let r = &mut BitReader::new(&rbsp, WHAT);
        // Bounds below keep every narrowing cast lossless.
        let pic_parameter_set_id = r.ue_max(255, "pic_parameter_set_id")? as u8;
        let seq_parameter_set_id = r.ue_max(31, "seq_parameter_set_id")? as u8;
        let entropy_coding_mode = r.bit()?;
        let bottom_field_pic_order_in_frame_present = r.bit()?;
        let num_slice_groups = r.ue_max(7, "num_slice_groups_minus1")? as u8 + 1;
        let mut slice_group_map_type = 0;
        let mut slice_group_change_rate = 1;
        if num_slice_groups > 1 {
            slice_group_map_type = r.ue_max(6, "slice_group_map_type")? as u8;
            match slice_group_map_type {
                0 => {
                    for _ in 0..num_slice_groups {
                        let _run_length_minus1 = r.ue()?;
                    }
                }
                2 => {
                    for _ in 1..num_slice_groups {
                        let _top_left = r.ue()?;
                        let _bottom_right = r.ue()?;
                    }
                }
                3..=5 => {
                    let _slice_group_change_direction = r.bit()?;
                    slice_group_change_rate =
                        r.ue_max(u32::MAX - 1, "slice_group_change_rate_minus1")? + 1;
                }
                6 => {
                    let map_units = u64::from(r.ue()?) + 1;
                    let bits = u64::from(ceil_log2(u64::from(num_slice_groups)));
                    let total = usize::try_from(map_units * bits)
                        .map_err(|_| Error::config(WHAT, "slice group map too large"))?;
                    r.skip(total)?;
                }
                _ => {}
            }
        }
        let num_ref_idx_l0_default_active =
            r.ue_max(31, "num_ref_idx_l0_default_active_minus1")? as u8 + 1;
        let num_ref_idx_l1_default_active =
            r.ue_max(31, "num_ref_idx_l1_default_active_minus1")? as u8 + 1;
        let weighted_pred = r.bit()?;
        let weighted_bipred_idc = r.bits(2)? as u8;
        if weighted_bipred_idc == 3 {
            return Err(Error::config(WHAT, "weighted_bipred_idc is 3"));
        }
        let _pic_init_qp_minus26 = r.se()?;
        let _pic_init_qs_minus26 = r.se()?;
        let _chroma_qp_index_offset = r.se()?;
        let deblocking_filter_control_present = r.bit()?;
        let _constrained_intra_pred = r.bit()?;
        let redundant_pic_cnt_present = r.bit()?;
        Ok(Pps {
            pic_parameter_set_id,
            seq_parameter_set_id,
            entropy_coding_mode,
            bottom_field_pic_order_in_frame_present,
            num_slice_groups,
            slice_group_map_type,
            slice_group_change_rate,
            num_ref_idx_l0_default_active,
            num_ref_idx_l1_default_active,
            weighted_pred,
            weighted_bipred_idc,
            deblocking_filter_control_present,
            redundant_pic_cnt_present,
        })
    }
}

/// Ceil(Log2(n)), with 0 for n <= 1.
fn ceil_log2(n: u64) -> u32 {
    u64::BITS - n.saturating_sub(1).leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_ceil_log2() {
        let got: Vec<u32> = [0, 1, 2, 3, 4, 5, 8, u64::MAX].map(ceil_log2).to_vec();
        assert_eq!(got, vec![0, 0, 1, 2, 2, 3, 3, 64]);
    }
}
