//! Sequence parameter set (H.264 7.3.2.1.1) and the VUI fields a packager needs (E.1.1).

use super::nal::{NAL_SPS, rbsp_of};
use crate::codec::bitstream::BitReader;
use crate::codec::sample_aspect;
use crate::error::{Error, Result};

const WHAT: &str = "SPS";

/// Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices.
const HIGH_PROFILES: [u8; 13] = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

/// aspect_ratio_idc value announcing an explicit sar_width and sar_height.
const EXTENDED_SAR: u8 = 255;

/// The largest frame any level allows, in macroblocks: MaxFS of level 6.2 (Table A-1).
/// Checked instead of the signalled level's own limit, which real streams often exceed.
const MAX_FRAME_MBS: u64 = 139_264;

/// The widest and tallest frame any level allows, in macroblocks: A.3.1 and A.3.2 bound
/// each side by Sqrt(MaxFS × 8), 1055.5 at level 6.2.
const MAX_FRAME_SIDE_MBS: u64 = 1055;

/// The most frames a decoded picture buffer holds at any level (MaxDpbFrames, A.3.1),
/// which bounds max_num_ref_frames, max_dec_frame_buffering and so the reorder depth.
const MAX_DPB_FRAMES: u32 = 16;

/// VUI timing information (E.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VuiTiming {
    /// Time units of one clock tick (a field period for progressive content).
    pub num_units_in_tick: u32,
    /// Time units per second.
    pub time_scale: u32,
    /// Whether the frame rate is constant.
    pub fixed_frame_rate: bool,
}

/// The fields of a sequence parameter set that packaging and slice parsing need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    /// profile_idc.
    pub profile_idc: u8,
    /// The byte after profile_idc: constraint_set0..5 flags and two reserved bits.
    pub constraint_flags: u8,
    /// level_idc.
    pub level_idc: u8,
    /// seq_parameter_set_id (0..=31).
    pub seq_parameter_set_id: u8,
    /// chroma_format_idc (0 = monochrome, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4).
    pub chroma_format_idc: u8,
    /// separate_colour_plane_flag (4:4:4 coded as three monochrome planes).
    pub separate_colour_plane: bool,
    /// Luma bit depth (8..=14).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8..=14).
    pub bit_depth_chroma: u8,
    /// log2_max_frame_num_minus4 + 4.
    pub log2_max_frame_num: u8,
    /// pic_order_cnt_type (0..=2).
    pub pic_order_cnt_type: u8,
    /// log2_max_pic_order_cnt_lsb_minus4 + 4 (POC type 0 only, else 0).
    pub log2_max_pic_order_cnt_lsb: u8,
    /// delta_pic_order_always_zero_flag (POC type 1).
    pub delta_pic_order_always_zero: bool,
    /// offset_for_non_ref_pic (POC type 1).
    pub offset_for_non_ref_pic: i32,
    /// offset_for_top_to_bottom_field (POC type 1).
    pub offset_for_top_to_bottom_field: i32,
    /// offset_for_ref_frame[] (POC type 1; its length is the POC cycle length).
    pub offset_for_ref_frame: Vec<i32>,
    /// max_num_ref_frames.
    pub max_num_ref_frames: u32,
    /// frame_mbs_only_flag: false when the sequence may hold field pictures or MBAFF.
    pub frame_mbs_only: bool,
    /// mb_adaptive_frame_field_flag.
    pub mb_adaptive_frame_field: bool,
    /// Width in pixels after cropping.
    pub width: u32,
    /// Height in pixels after cropping (of a frame, even for field coding).
    pub height: u32,
    /// Sample aspect ratio (horizontal, vertical); (1, 1) when absent or unspecified.
    pub sample_aspect_ratio: (u16, u16),
    /// VUI timing information, when present.
    pub timing: Option<VuiTiming>,
    /// max_num_reorder_frames from the VUI bitstream restriction, when present.
    pub max_num_reorder_frames: Option<u32>,
    /// max_dec_frame_buffering from the VUI bitstream restriction, when present.
    pub max_dec_frame_buffering: Option<u32>,
}

impl Sps {
    /// Parses a sequence parameter set NAL unit (header byte included, type 7).
    ///
    /// Emulation prevention bytes are removed first; byte offsets in errors are counted
    /// in the unescaped payload after the header byte.
    pub fn parse(nal: &[u8]) -> Result<Sps> {
        let rbsp = rbsp_of(nal, NAL_SPS, WHAT)?;
        parse_rbsp(&mut BitReader::new(&rbsp, WHAT))
    }

    /// ChromaArrayType (7.4.2.1.1): 0 for monochrome or separately coded planes.
    pub fn chroma_array_type(&self) -> u8 {
        if self.separate_colour_plane {
            0
        } else {
            self.chroma_format_idc
        }
    }

    /// The size at which to display a frame: the width scaled by the sample aspect
    /// ratio (rounded), the height unchanged.
    pub fn display_size(&self) -> (u32, u32) {
        let (sar_w, sar_h) = self.sample_aspect_ratio;
        if sar_w == 0 || sar_h == 0 || sar_w == sar_h {
            return (self.width, self.height);
        }
        let scaled =
            (u64::from(self.width) * u64::from(sar_w) + u64::from(sar_h) / 2) / u64::from(sar_h);
        (u32::try_from(scaled).unwrap_or(u32::MAX), self.height)
    }

    /// Duration of one progressive frame as (ticks, timescale), from the VUI timing
    /// (two clock ticks per frame, E.2.1); `None` without usable timing.
    pub fn frame_duration(&self) -> Option<(u64, u32)> {
        let t = self.timing?;
        if t.num_units_in_tick == 0 || t.time_scale == 0 {
            return None;
        }
        Some((2 * u64::from(t.num_units_in_tick), t.time_scale))
    }
}

fn parse_rbsp(r: &mut BitReader<'_>) -> Result<Sps> {
    let profile_idc = r.byte()?;
    let constraint_flags = r.byte()?;
    let level_idc = r.byte()?;
    let seq_parameter_set_id = ue_u8(r, 31, "seq_parameter_set_id")?;

    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    let mut bit_depth_luma = 8;
    let mut bit_depth_chroma = 8;
    if HIGH_PROFILES.contains(&profile_idc) {
        chroma_format_idc = ue_u8(r, 3, "chroma_format_idc")?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.bit()?;
        }
        bit_depth_luma = 8 + ue_u8(r, 6, "bit_depth_luma_minus8")?;
        bit_depth_chroma = 8 + ue_u8(r, 6, "bit_depth_chroma_minus8")?;
        let _qpprime_y_zero_transform_bypass = r.bit()?;
        if r.bit()? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }

    let log2_max_frame_num = 4 + ue_u8(r, 12, "log2_max_frame_num_minus4")?;
    let pic_order_cnt_type = ue_u8(r, 2, "pic_order_cnt_type")?;
    let mut log2_max_pic_order_cnt_lsb = 0;
    let mut delta_pic_order_always_zero = false;
    let mut offset_for_non_ref_pic = 0;
    let mut offset_for_top_to_bottom_field = 0;
    let mut offset_for_ref_frame = Vec::new();
    match pic_order_cnt_type {
        0 => log2_max_pic_order_cnt_lsb = 4 + ue_u8(r, 12, "log2_max_pic_order_cnt_lsb_minus4")?,
        1 => {
            delta_pic_order_always_zero = r.bit()?;
            offset_for_non_ref_pic = r.se()?;
            offset_for_top_to_bottom_field = r.se()?;
            let cycle = r.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle")?;
            for _ in 0..cycle {
                offset_for_ref_frame.push(r.se()?);
            }
        }
        _ => {}
    }
    let max_num_ref_frames = r.ue_max(MAX_DPB_FRAMES, "max_num_ref_frames")?;
    let _gaps_in_frame_num_value_allowed = r.bit()?;
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.bit()?;
    check_frame_size(width_mbs, height_map_units, frame_mbs_only)?;
    let mb_adaptive_frame_field = !frame_mbs_only && r.bit()?;
    let _direct_8x8_inference = r.bit()?;
    let mut crop = [0u64; 4];
    if r.bit()? {
        for c in &mut crop {
            *c = u64::from(r.ue()?);
        }
    }
    let [left, right, top, bottom] = crop;

    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (sub_width, sub_height) = match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let crop_unit_x = sub_width;
    let crop_unit_y = sub_height * field_factor;
    let coded_width = width_mbs * 16;
    let coded_height = height_map_units * 16 * field_factor;
    let cropped = |coded: u64, unit: u64, a: u64, b: u64, dim: &str| -> Result<u32> {
        coded
            .checked_sub((a + b) * unit)
            .filter(|&v| v > 0)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| {
                Error::config(
                    WHAT,
                    format!("cropping {a}+{b} (units of {unit}) leaves no {dim} of {coded}"),
                )
            })
    };
    let width = cropped(coded_width, crop_unit_x, left, right, "width")?;
    let height = cropped(coded_height, crop_unit_y, top, bottom, "height")?;

    let mut sps = Sps {
        profile_idc,
        constraint_flags,
        level_idc,
        seq_parameter_set_id,
        chroma_format_idc,
        separate_colour_plane,
        bit_depth_luma,
        bit_depth_chroma,
        log2_max_frame_num,
        pic_order_cnt_type,
        log2_max_pic_order_cnt_lsb,
        delta_pic_order_always_zero,
        offset_for_non_ref_pic,
        offset_for_top_to_bottom_field,
        offset_for_ref_frame,
        max_num_ref_frames,
        frame_mbs_only,
        mb_adaptive_frame_field,
        width,
        height,
        sample_aspect_ratio: (1, 1),
        timing: None,
        max_num_reorder_frames: None,
        max_dec_frame_buffering: None,
    };
    if r.bit()? {
        parse_vui(r, &mut sps)?;
    }
    Ok(sps)
}

/// Refuses a frame larger than any level allows (A.3.1, A.3.2): more than
/// [`MAX_FRAME_SIDE_MBS`] macroblocks a side or [`MAX_FRAME_MBS`] in all. Nothing can
/// decode such a stream, and its size would go into the manifest as it is.
fn check_frame_size(width_mbs: u64, height_map_units: u64, frame_mbs_only: bool) -> Result<()> {
    let height_mbs = height_map_units * if frame_mbs_only { 1 } else { 2 };
    let side = |field: &str, value: u64, mbs: u64, dimension: &str| {
        Error::config(
            WHAT,
            format!(
                "{field} is {value} (a frame {mbs} macroblocks, {} pixels, {dimension}), above \
                 {MAX_FRAME_SIDE_MBS} macroblocks, the most any H.264 level allows \
                 (Sqrt(8 × MaxFS), MaxFS {MAX_FRAME_MBS} at level 6.2)",
                mbs * 16
            ),
        )
    };
    if width_mbs > MAX_FRAME_SIDE_MBS {
        return Err(side(
            "pic_width_in_mbs_minus1",
            width_mbs - 1,
            width_mbs,
            "wide",
        ));
    }
    if height_mbs > MAX_FRAME_SIDE_MBS {
        return Err(side(
            "pic_height_in_map_units_minus1",
            height_map_units - 1,
            height_mbs,
            "high",
        ));
    }
    let frame_mbs = width_mbs * height_mbs;
    if frame_mbs > MAX_FRAME_MBS {
        return Err(Error::config(
            WHAT,
            format!(
                "pic_width_in_mbs_minus1 {} and pic_height_in_map_units_minus1 {} give a frame of \
                 {width_mbs}×{height_mbs} = {frame_mbs} macroblocks ({}×{} pixels), above \
                 {MAX_FRAME_MBS}, the most any H.264 level allows (MaxFS of level 6.2)",
                width_mbs - 1,
                height_map_units - 1,
                width_mbs * 16,
                height_mbs * 16
            ),
        ));
    }
    Ok(())
}

/// Reads ue(v) bounded by `max` (at most 255).
fn ue_u8(r: &mut BitReader<'_>, max: u8, field: &str) -> Result<u8> {
    // The bound keeps the value within u8.
    Ok(r.ue_max(u32::from(max), field)? as u8)
}

/// Skips one scaling_list() (7.3.2.1.1.1); its values only matter to a decoder.
pub(crate) fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<()> {
    let mut last_scale = 8i32;
    let mut next_scale = 8i32;
    for _ in 0..size {
        if next_scale != 0 {
            let delta = r.se()?;
            if !(-128..=127).contains(&delta) {
                return Err(Error::config(
                    WHAT,
                    format!("delta_scale {delta} outside -128..=127"),
                ));
            }
            next_scale = (last_scale + delta).rem_euclid(256);
        }
        if next_scale != 0 {
            last_scale = next_scale;
        }
    }
    Ok(())
}

fn parse_vui(r: &mut BitReader<'_>, sps: &mut Sps) -> Result<()> {
    if r.bit()? {
        let idc = r.byte()?;
        sps.sample_aspect_ratio = if idc == EXTENDED_SAR {
            // Sixteen-bit fields always fit.
            let w = r.bits(16)? as u16;
            let h = r.bits(16)? as u16;
            if w == 0 || h == 0 { (1, 1) } else { (w, h) }
        } else {
            // Table E-1.
            sample_aspect::predefined(idc).unwrap_or((1, 1))
        };
    }
    if r.bit()? {
        let _overscan_appropriate = r.bit()?;
    }
    if r.bit()? {
        // video_format, video_full_range_flag.
        r.skip(4)?;
        if r.bit()? {
            // colour_primaries, transfer_characteristics, matrix_coefficients.
            r.skip(24)?;
        }
    }
    if r.bit()? {
        let _chroma_sample_loc_type_top = r.ue()?;
        let _chroma_sample_loc_type_bottom = r.ue()?;
    }
    if r.bit()? {
        let num_units_in_tick = r.bits(32)?;
        let time_scale = r.bits(32)?;
        let fixed_frame_rate = r.bit()?;
        sps.timing = Some(VuiTiming {
            num_units_in_tick,
            time_scale,
            fixed_frame_rate,
        });
    }
    let nal_hrd = r.bit()?;
    if nal_hrd {
        skip_hrd_parameters(r)?;
    }
    let vcl_hrd = r.bit()?;
    if vcl_hrd {
        skip_hrd_parameters(r)?;
    }
    if nal_hrd || vcl_hrd {
        let _low_delay_hrd = r.bit()?;
    }
    let _pic_struct_present = r.bit()?;
    if r.bit()? {
        let _motion_vectors_over_pic_boundaries = r.bit()?;
        let _max_bytes_per_pic_denom = r.ue()?;
        let _max_bits_per_mb_denom = r.ue()?;
        let _log2_max_mv_length_horizontal = r.ue()?;
        let _log2_max_mv_length_vertical = r.ue()?;
        let (reorder, buffering) = read_reorder_limits(r)?;
        sps.max_num_reorder_frames = Some(reorder);
        sps.max_dec_frame_buffering = Some(buffering);
    }
    Ok(())
}

/// Reads max_num_reorder_frames and max_dec_frame_buffering (E.2.1), which the reorder
/// depth of presentation times comes from: the buffer holds at most 16 frames, and no more
/// of them can wait for reordering than the buffer holds.
fn read_reorder_limits(r: &mut BitReader<'_>) -> Result<(u32, u32)> {
    let reorder = r.ue_max(MAX_DPB_FRAMES, "max_num_reorder_frames")?;
    let buffering = r.ue_max(MAX_DPB_FRAMES, "max_dec_frame_buffering")?;
    if reorder > buffering {
        return Err(Error::config(
            WHAT,
            format!(
                "max_num_reorder_frames is {reorder}, above max_dec_frame_buffering {buffering}"
            ),
        ));
    }
    Ok((reorder, buffering))
}

/// Skips hrd_parameters() (E.1.2).
fn skip_hrd_parameters(r: &mut BitReader<'_>) -> Result<()> {
    let cpb_cnt = r.ue_max(31, "cpb_cnt_minus1")? + 1;
    // bit_rate_scale, cpb_size_scale.
    r.skip(8)?;
    for _ in 0..cpb_cnt {
        let _bit_rate_value_minus1 = r.ue()?;
        let _cpb_size_value_minus1 = r.ue()?;
        let _cbr = r.bit()?;
    }
    // Four delay and offset lengths of 5 bits each.
    r.skip(20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::avc::tests::nal;
    use crate::codec::bitstream::BitWriter;

    /// The SPS fields the rules look at; the rest is fixed (no cropping, no timing).
    struct Fields {
        /// 100 (High) writes chroma_format_idc and bit depths, 66 (Baseline) does not.
        profile_idc: u8,
        seq_parameter_set_id: u32,
        chroma_format_idc: u32,
        bit_depth_luma_minus8: u32,
        log2_max_frame_num_minus4: u32,
        pic_order_cnt_type: u32,
        log2_max_pic_order_cnt_lsb_minus4: u32,
        max_num_ref_frames: u32,
        pic_width_in_mbs_minus1: u32,
        pic_height_in_map_units_minus1: u32,
        frame_mbs_only: bool,
        frame_crop_bottom_offset: u32,
        /// VUI (max_num_reorder_frames, max_dec_frame_buffering); None: no VUI.
        reorder: Option<(u32, u32)>,
    }

    impl Default for Fields {
        /// A valid High profile 160×96 SPS.
        fn default() -> Self {
            Fields {
                profile_idc: 100,
                seq_parameter_set_id: 0,
                chroma_format_idc: 1,
                bit_depth_luma_minus8: 0,
                log2_max_frame_num_minus4: 0,
                pic_order_cnt_type: 0,
                log2_max_pic_order_cnt_lsb_minus4: 2,
                max_num_ref_frames: 3,
                pic_width_in_mbs_minus1: 9,
                pic_height_in_map_units_minus1: 5,
                frame_mbs_only: true,
                frame_crop_bottom_offset: 0,
                reorder: Some((2, 3)),
            }
        }
    }

    impl Fields {
        /// The SPS NAL unit.
        fn nal(&self) -> Vec<u8> {
            let mut w = BitWriter::default();
            w.bits(u32::from(self.profile_idc), 8)
                .bits(0, 8)
                .bits(30, 8);
            w.ue(self.seq_parameter_set_id);
            if self.profile_idc == 100 {
                w.ue(self.chroma_format_idc);
                if self.chroma_format_idc == 3 {
                    w.bit(false);
                }
                w.ue(self.bit_depth_luma_minus8).ue(0);
                w.bit(false).bit(false); // qpprime_y_zero_transform_bypass, scaling matrix
            }
            w.ue(self.log2_max_frame_num_minus4)
                .ue(self.pic_order_cnt_type);
            if self.pic_order_cnt_type == 0 {
                w.ue(self.log2_max_pic_order_cnt_lsb_minus4);
            }
            w.ue(self.max_num_ref_frames).bit(false);
            w.ue(self.pic_width_in_mbs_minus1)
                .ue(self.pic_height_in_map_units_minus1);
            w.bit(self.frame_mbs_only);
            if !self.frame_mbs_only {
                w.bit(false); // mb_adaptive_frame_field
            }
            w.bit(true); // direct_8x8_inference
            if self.frame_crop_bottom_offset > 0 {
                w.bit(true)
                    .ue(0)
                    .ue(0)
                    .ue(0)
                    .ue(self.frame_crop_bottom_offset);
            } else {
                w.bit(false);
            }
            match self.reorder {
                None => {
                    w.bit(false);
                }
                Some((reorder, buffering)) => {
                    // Only bitstream_restriction: aspect ratio, overscan, video signal,
                    // chroma location, timing, both HRDs and pic_struct are absent.
                    w.bit(true).bits(0, 8).bit(true);
                    w.bit(true)
                        .ue(2)
                        .ue(1)
                        .ue(16)
                        .ue(16)
                        .ue(reorder)
                        .ue(buffering);
                }
            }
            nal(0x67, w)
        }

        /// The error the SPS is refused with.
        fn error(&self) -> String {
            match Sps::parse(&self.nal()) {
                Ok(sps) => panic!("accepted: {sps:?}"),
                Err(e) => e.to_string(),
            }
        }
    }

    #[test]
    fn valid_fields_parse() {
        let sps = Sps::parse(&Fields::default().nal()).unwrap();
        assert_eq!(
            (sps.width, sps.height, sps.max_num_ref_frames),
            (160, 96, 3)
        );
        assert_eq!(sps.max_num_reorder_frames, Some(2));
        assert_eq!(sps.max_dec_frame_buffering, Some(3));
        // The limits themselves are allowed: 16 reference frames, 8K (512×270 macroblocks)
        // on a level 3.0 stream, and a 1055×132-macroblock strip.
        for (width, height) in [(511, 269), (1054, 131)] {
            let sps = Sps::parse(
                &Fields {
                    max_num_ref_frames: 16,
                    pic_width_in_mbs_minus1: width,
                    pic_height_in_map_units_minus1: height,
                    reorder: Some((16, 16)),
                    ..Fields::default()
                }
                .nal(),
            )
            .unwrap();
            assert_eq!(sps.width, (width + 1) * 16);
        }
    }

    #[test]
    fn max_num_ref_frames_above_16_is_refused() {
        for (refs, text) in [
            (17, "max_num_ref_frames is 17, above 16"),
            (1 << 31, "max_num_ref_frames is 2147483648, above 16"),
        ] {
            let err = Fields {
                max_num_ref_frames: refs,
                ..Fields::default()
            }
            .error();
            assert!(err.contains(text), "{err}");
        }
    }

    #[test]
    fn frame_wider_than_any_level_is_refused() {
        // MaxWidth="1600016" in a manifest.
        let err = Fields {
            pic_width_in_mbs_minus1: 100_000,
            ..Fields::default()
        }
        .error();
        assert_eq!(
            err,
            "invalid SPS: pic_width_in_mbs_minus1 is 100000 (a frame 100001 macroblocks, \
             1600016 pixels, wide), above 1055 macroblocks, the most any H.264 level allows \
             (Sqrt(8 × MaxFS), MaxFS 139264 at level 6.2)"
        );
    }

    #[test]
    fn frame_higher_than_any_level_is_refused() {
        // Field coding doubles the map units: 528 of them are 1056 macroblock rows.
        let err = Fields {
            pic_height_in_map_units_minus1: 527,
            frame_mbs_only: false,
            ..Fields::default()
        }
        .error();
        assert!(
            err.contains("pic_height_in_map_units_minus1 is 527 (a frame 1056 macroblocks, 16896 pixels, high), above 1055 macroblocks"),
            "{err}"
        );
    }

    #[test]
    fn frame_larger_than_max_fs_is_refused() {
        let err = Fields {
            pic_width_in_mbs_minus1: 1000,
            pic_height_in_map_units_minus1: 1000,
            ..Fields::default()
        }
        .error();
        assert!(
            err.contains("1001×1001 = 1002001 macroblocks (16016×16016 pixels), above 139264"),
            "{err}"
        );
    }

    #[test]
    fn reorder_limits_are_checked() {
        for (reorder, text) in [
            ((17, 17), "max_num_reorder_frames is 17, above 16"),
            ((0, 17), "max_dec_frame_buffering is 17, above 16"),
            (
                (4, 3),
                "max_num_reorder_frames is 4, above max_dec_frame_buffering 3",
            ),
        ] {
            let err = Fields {
                reorder: Some(reorder),
                ..Fields::default()
            }
            .error();
            assert!(err.contains(text), "{err}");
        }
    }

    #[test]
    fn other_fields_outside_their_range_are_refused() {
        /// Makes one field of a valid SPS invalid.
        type Change = fn(&mut Fields);
        let cases: [(Change, &str); 7] = [
            (
                |f| f.seq_parameter_set_id = 32,
                "seq_parameter_set_id is 32, above 31",
            ),
            (
                |f| f.chroma_format_idc = 4,
                "chroma_format_idc is 4, above 3",
            ),
            (
                |f| f.bit_depth_luma_minus8 = 7,
                "bit_depth_luma_minus8 is 7, above 6",
            ),
            (
                |f| f.log2_max_frame_num_minus4 = 13,
                "log2_max_frame_num_minus4 is 13, above 12",
            ),
            (
                |f| f.pic_order_cnt_type = 3,
                "pic_order_cnt_type is 3, above 2",
            ),
            (
                |f| f.log2_max_pic_order_cnt_lsb_minus4 = 13,
                "log2_max_pic_order_cnt_lsb_minus4 is 13, above 12",
            ),
            // 96 rows less 48 × 2.
            (
                |f| f.frame_crop_bottom_offset = 48,
                "cropping 0+48 (units of 2) leaves no height of 96",
            ),
        ];
        for (change, text) in cases {
            let mut fields = Fields::default();
            change(&mut fields);
            let err = fields.error();
            assert!(err.contains(text), "{err}");
        }
    }
}
