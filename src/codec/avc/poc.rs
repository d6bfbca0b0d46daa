//! Picture order count (H.264 8.2.1), types 0, 1 and 2.

use super::slice::SliceHeader;
use super::sps::Sps;
use crate::error::{Error, Result};

/// Computes the picture order count of each picture, fed in decoding order.
///
/// The state kept between pictures is that of the previous (reference) picture, reset
/// by IDR pictures and by memory_management_control_operation 5.
#[derive(Debug, Clone, Default)]
pub struct PocComputer {
    /// prevPicOrderCntMsb and prevPicOrderCntLsb for type 0, from the last reference
    /// picture.
    prev_msb: i64,
    prev_lsb: i64,
    /// FrameNumOffset and frame_num of the previous picture, for types 1 and 2.
    prev_frame_num_offset: i64,
    prev_frame_num: i64,
}

impl PocComputer {
    /// A computer that has seen no picture yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the POC of the picture whose first slice header is `slice`: the lower of
    /// its top and bottom field order counts for a frame, the field's count for a field.
    ///
    /// The POC of a picture with memory_management_control_operation 5 is the one after
    /// the reset (8.2.1), so it starts a new run of POCs like an IDR picture does.
    pub fn compute(&mut self, sps: &Sps, slice: &SliceHeader) -> Result<i32> {
        let (top, bottom) = match sps.pic_order_cnt_type {
            0 => self.type0(sps, slice),
            1 => self.type1(sps, slice),
            _ => self.type2(sps, slice),
        };
        let poc = if !slice.field_pic {
            top.min(bottom)
        } else if slice.bottom_field {
            bottom
        } else {
            top
        };
        if slice.has_mmco5 {
            // After mmco5 the picture counts as frame_num 0 with its POCs shifted so
            // the lowest is 0 (8.2.1, 7.4.3).
            self.prev_frame_num_offset = 0;
            self.prev_frame_num = 0;
            if sps.pic_order_cnt_type == 0 && slice.nal_ref_idc != 0 {
                self.prev_msb = 0;
                self.prev_lsb = if slice.field_pic && slice.bottom_field {
                    0
                } else {
                    top.saturating_sub(poc)
                };
            }
            return Ok(0);
        }
        i32::try_from(poc).map_err(|_| {
            Error::malformed(
                "slice header",
                0,
                format!("picture order count {poc} is out of range"),
            )
        })
    }

    fn type0(&mut self, sps: &Sps, slice: &SliceHeader) -> (i64, i64) {
        if slice.is_idr {
            self.prev_msb = 0;
            self.prev_lsb = 0;
        }
        let max_lsb = 1i64 << sps.log2_max_pic_order_cnt_lsb;
        let lsb = i64::from(slice.pic_order_cnt_lsb);
        let msb = if lsb < self.prev_lsb && self.prev_lsb - lsb >= max_lsb / 2 {
            self.prev_msb + max_lsb
        } else if lsb > self.prev_lsb && lsb - self.prev_lsb > max_lsb / 2 {
            self.prev_msb - max_lsb
        } else {
            self.prev_msb
        };
        let top = msb + lsb;
        let bottom = if slice.field_pic {
            top
        } else {
            top + i64::from(slice.delta_pic_order_cnt_bottom)
        };
        if slice.nal_ref_idc != 0 {
            self.prev_msb = msb;
            self.prev_lsb = lsb;
        }
        (top, bottom)
    }

    /// FrameNumOffset (8-6, 8-11), updating the previous-picture state.
    fn frame_num_offset(&mut self, sps: &Sps, slice: &SliceHeader) -> i64 {
        let frame_num = i64::from(slice.frame_num);
        let offset = if slice.is_idr {
            0
        } else if self.prev_frame_num > frame_num {
            self.prev_frame_num_offset + (1i64 << sps.log2_max_frame_num)
        } else {
            self.prev_frame_num_offset
        };
        self.prev_frame_num_offset = offset;
        self.prev_frame_num = frame_num;
        offset
    }

    fn type1(&mut self, sps: &Sps, slice: &SliceHeader) -> (i64, i64) {
        let offset = self.frame_num_offset(sps, slice);
        let cycle = &sps.offset_for_ref_frame;
        let cycle_len = cycle.len() as i64;
        let mut abs_frame_num = if cycle_len != 0 {
            offset + i64::from(slice.frame_num)
        } else {
            0
        };
        if slice.nal_ref_idc == 0 && abs_frame_num > 0 {
            abs_frame_num -= 1;
        }
        let mut expected = 0i64;
        if abs_frame_num > 0 {
            let cycle_cnt = (abs_frame_num - 1) / cycle_len;
            let in_cycle = (abs_frame_num - 1) % cycle_len;
            let per_cycle: i64 = cycle.iter().map(|&o| i64::from(o)).sum();
            let partial: i64 = cycle
                .iter()
                .take(usize::try_from(in_cycle).unwrap_or(0) + 1)
                .map(|&o| i64::from(o))
                .sum();
            expected = cycle_cnt.saturating_mul(per_cycle).saturating_add(partial);
        }
        if slice.nal_ref_idc == 0 {
            expected = expected.saturating_add(i64::from(sps.offset_for_non_ref_pic));
        }
        // Crafted offsets can push these past any sane range; saturating keeps them
        // ordered and the final conversion to i32 reports it.
        let [delta0, delta1] = slice.delta_pic_order_cnt.map(i64::from);
        let to_bottom = i64::from(sps.offset_for_top_to_bottom_field);
        if !slice.field_pic {
            let top = expected.saturating_add(delta0);
            (top, top.saturating_add(to_bottom).saturating_add(delta1))
        } else if slice.bottom_field {
            let bottom = expected.saturating_add(to_bottom).saturating_add(delta0);
            (bottom, bottom)
        } else {
            let top = expected.saturating_add(delta0);
            (top, top)
        }
    }

    fn type2(&mut self, sps: &Sps, slice: &SliceHeader) -> (i64, i64) {
        let offset = self.frame_num_offset(sps, slice);
        let temp = if slice.is_idr {
            0
        } else if slice.nal_ref_idc == 0 {
            2 * (offset + i64::from(slice.frame_num)) - 1
        } else {
            2 * (offset + i64::from(slice.frame_num))
        };
        (temp, temp)
    }
}
