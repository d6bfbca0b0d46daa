//! Slice header (H.264 7.3.3) up to and including dec_ref_pic_marking().

use super::nal::{NAL_IDR_SLICE, NAL_SLICE, nal_ref_idc, nal_unit_type, rbsp};
use super::pps::Pps;
use super::sps::Sps;
use crate::codec::bitstream::BitReader;
use crate::error::{Error, Result};

const WHAT: &str = "slice header";

/// slice_type % 5 values (Table 7-6).
const SLICE_P: u8 = 0;
const SLICE_B: u8 = 1;
const SLICE_I: u8 = 2;
const SLICE_SP: u8 = 3;
const SLICE_SI: u8 = 4;

/// The slice header fields that picture boundaries and picture order count depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SliceHeader {
    /// nal_ref_idc of the NAL unit: 0 for a non-reference picture.
    pub nal_ref_idc: u8,
    /// Whether the NAL unit is an IDR slice (type 5).
    pub is_idr: bool,
    /// first_mb_in_slice.
    pub first_mb_in_slice: u32,
    /// slice_type (0..=9; values 5..=9 promise every slice of the picture has that type).
    pub slice_type: u8,
    /// pic_parameter_set_id.
    pub pic_parameter_set_id: u8,
    /// frame_num.
    pub frame_num: u32,
    /// field_pic_flag.
    pub field_pic: bool,
    /// bottom_field_flag.
    pub bottom_field: bool,
    /// idr_pic_id (IDR slices only, else 0).
    pub idr_pic_id: u32,
    /// pic_order_cnt_lsb (POC type 0).
    pub pic_order_cnt_lsb: u32,
    /// delta_pic_order_cnt_bottom (POC type 0).
    pub delta_pic_order_cnt_bottom: i32,
    /// delta_pic_order_cnt[0..2] (POC type 1).
    pub delta_pic_order_cnt: [i32; 2],
    /// redundant_pic_cnt: above 0 for slices of a redundant picture.
    pub redundant_pic_cnt: u32,
    /// Whether dec_ref_pic_marking() holds memory_management_control_operation 5.
    pub has_mmco5: bool,
}

impl SliceHeader {
    /// Whether the slice is intra coded (I or SI): it references no other picture.
    pub fn is_intra(&self) -> bool {
        matches!(self.slice_type % 5, SLICE_I | SLICE_SI)
    }

    /// Parses the header of a coded slice NAL unit (type 1 or 5, header byte included).
    ///
    /// `sps` and `pps` look parameter sets up by id; an unknown id is an error.
    pub fn parse<'s, 'p>(
        nal: &[u8],
        sps: impl Fn(u8) -> Option<&'s Sps>,
        pps: impl Fn(u8) -> Option<&'p Pps>,
    ) -> Result<SliceHeader> {
        let nal_type = nal_unit_type(nal).ok_or_else(|| Error::malformed(WHAT, 0, "empty"))?;
        if nal_type != NAL_SLICE && nal_type != NAL_IDR_SLICE {
            return Err(Error::malformed(
                WHAT,
                0,
                format!("NAL unit type {nal_type} is not a coded slice"),
            ));
        }
        // Slice data can be large: unescape only what a header can span. A header is
        // far shorter than this, and stopping early only means "truncated".
        let head = nal.get(1..).unwrap_or_default();
        let head = head.get(..head.len().min(HEADER_BYTES)).unwrap_or(head);
        let rbsp = rbsp(head);
        let r = &mut BitReader::new(&rbsp, WHAT);
        let mut h = SliceHeader {
            nal_ref_idc: nal_ref_idc(nal).unwrap_or(0),
            is_idr: nal_type == NAL_IDR_SLICE,
            first_mb_in_slice: r.ue()?,
            slice_type: r.ue_max(9, "slice_type")? as u8,
            pic_parameter_set_id: r.ue_max(255, "pic_parameter_set_id")? as u8,
            ..SliceHeader::default()
        };
        let pps = pps(h.pic_parameter_set_id).ok_or_else(|| {
            Error::malformed(
                WHAT,
                0,
                format!("unknown PPS id {}", h.pic_parameter_set_id),
            )
        })?;
        let sps = sps(pps.seq_parameter_set_id).ok_or_else(|| {
            Error::malformed(
                WHAT,
                0,
                format!("unknown SPS id {}", pps.seq_parameter_set_id),
            )
        })?;
        let kind = h.slice_type % 5;
        if h.is_idr && kind != SLICE_I && kind != SLICE_SI {
            return Err(Error::malformed(WHAT, 0, "IDR slice that is not I or SI"));
        }
        if sps.separate_colour_plane {
            let _colour_plane_id = r.bits(2)?;
        }
        h.frame_num = r.bits(u32::from(sps.log2_max_frame_num))?;
        if !sps.frame_mbs_only {
            h.field_pic = r.bit()?;
            if h.field_pic {
                h.bottom_field = r.bit()?;
            }
        }
        if h.is_idr {
            h.idr_pic_id = r.ue_max(65535, "idr_pic_id")?;
        }
        let bottom_delta = pps.bottom_field_pic_order_in_frame_present && !h.field_pic;
        match sps.pic_order_cnt_type {
            0 => {
                h.pic_order_cnt_lsb = r.bits(u32::from(sps.log2_max_pic_order_cnt_lsb))?;
                if bottom_delta {
                    h.delta_pic_order_cnt_bottom = r.se()?;
                }
            }
            1 if !sps.delta_pic_order_always_zero => {
                h.delta_pic_order_cnt[0] = r.se()?;
                if bottom_delta {
                    h.delta_pic_order_cnt[1] = r.se()?;
                }
            }
            _ => {}
        }
        if pps.redundant_pic_cnt_present {
            h.redundant_pic_cnt = r.ue_max(127, "redundant_pic_cnt")?;
        }
        if kind == SLICE_B {
            let _direct_spatial_mv_pred = r.bit()?;
        }
        let mut num_ref_idx = [
            u32::from(pps.num_ref_idx_l0_default_active),
            u32::from(pps.num_ref_idx_l1_default_active),
        ];
        if matches!(kind, SLICE_P | SLICE_SP | SLICE_B) && r.bit()? {
            num_ref_idx[0] = r.ue_max(31, "num_ref_idx_l0_active_minus1")? + 1;
            if kind == SLICE_B {
                num_ref_idx[1] = r.ue_max(31, "num_ref_idx_l1_active_minus1")? + 1;
            }
        }
        let lists = match kind {
            SLICE_B => 2,
            SLICE_I | SLICE_SI => 0,
            _ => 1,
        };
        for _ in 0..lists {
            skip_ref_pic_list_modification(r)?;
        }
        let weighted = (pps.weighted_pred && matches!(kind, SLICE_P | SLICE_SP))
            || (pps.weighted_bipred_idc == 1 && kind == SLICE_B);
        if weighted {
            skip_pred_weight_table(
                r,
                sps.chroma_array_type(),
                num_ref_idx.get(..lists).unwrap_or_default(),
            )?;
        }
        if h.nal_ref_idc != 0 {
            h.has_mmco5 = read_dec_ref_pic_marking(r, h.is_idr)?;
        }
        Ok(h)
    }
}

/// Bytes of escaped payload unescaped for a header: more than the longest header (32
/// reference list changes per list, weights for 32 references per list, 66 memory
/// operations) can take in practice, without unescaping megabytes of slice data.
const HEADER_BYTES: usize = 4096;

/// Skips ref_pic_list_modification() for one list (7.3.3.1).
fn skip_ref_pic_list_modification(r: &mut BitReader<'_>) -> Result<()> {
    if !r.bit()? {
        return Ok(());
    }
    loop {
        match r.ue()? {
            0..=2 => {
                let _abs_diff_pic_num_minus1_or_long_term_pic_num = r.ue()?;
            }
            3 => return Ok(()),
            idc => {
                return Err(Error::malformed(
                    WHAT,
                    0,
                    format!("modification_of_pic_nums_idc {idc}"),
                ));
            }
        }
    }
}

/// Skips pred_weight_table() (7.3.3.2); `num_ref_idx` holds one count per list.
fn skip_pred_weight_table(
    r: &mut BitReader<'_>,
    chroma_array_type: u8,
    num_ref_idx: &[u32],
) -> Result<()> {
    let _luma_log2_weight_denom = r.ue()?;
    if chroma_array_type != 0 {
        let _chroma_log2_weight_denom = r.ue()?;
    }
    for &count in num_ref_idx {
        for _ in 0..count {
            if r.bit()? {
                let _luma_weight = r.se()?;
                let _luma_offset = r.se()?;
            }
            if chroma_array_type != 0 && r.bit()? {
                for _ in 0..4 {
                    let _chroma_weight_or_offset = r.se()?;
                }
            }
        }
    }
    Ok(())
}

/// Reads dec_ref_pic_marking() (7.3.3.3); true when it holds operation 5.
fn read_dec_ref_pic_marking(r: &mut BitReader<'_>, idr: bool) -> Result<bool> {
    if idr {
        let _no_output_of_prior_pics = r.bit()?;
        let _long_term_reference = r.bit()?;
        return Ok(false);
    }
    let mut mmco5 = false;
    if r.bit()? {
        loop {
            match r.ue()? {
                0 => break,
                op @ (1 | 3) => {
                    let _difference_of_pic_nums_minus1 = r.ue()?;
                    if op == 3 {
                        let _long_term_frame_idx = r.ue()?;
                    }
                }
                2 => {
                    let _long_term_pic_num = r.ue()?;
                }
                4 => {
                    let _max_long_term_frame_idx_plus1 = r.ue()?;
                }
                5 => mmco5 = true,
                6 => {
                    let _long_term_frame_idx = r.ue()?;
                }
                op => {
                    return Err(Error::malformed(
                        WHAT,
                        0,
                        format!("memory_management_control_operation {op}"),
                    ));
                }
            }
        }
    }
    Ok(mmco5)
}
