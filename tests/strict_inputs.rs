//! Inputs that would give a wrong or unplayable presentation make `ssfmux` fail with a
//! message naming the input and the problem, instead of exiting 0: an ADTS stream whose
//! configuration changes midway, an SPS beyond what any H.264 level allows, and open-GOP
//! H.264. Each input is made with ffmpeg in the test; the same generators with valid
//! settings package fine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A temporary directory when ffmpeg is there (see [`support::require_tool`]).
fn workspace(test: &str) -> Option<TempDir> {
    support::require_tool("ffmpeg", test).then(|| tempfile::tempdir().expect("temp dir"))
}

/// Runs ffmpeg quietly with `args` and then the output `path`, panicking on failure.
fn ffmpeg(args: &[&str], path: &Path) {
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(args)
            .arg(path),
    );
}

/// A 1 s ADTS AAC-LC file of a sine at `rate` Hz with `channels` channels.
fn adts(dir: &Path, rate: u32, channels: u32) -> PathBuf {
    let path = dir.join(format!("sine_{rate}_{channels}ch.aac"));
    let source = format!("sine=frequency=440:sample_rate={rate}:duration=1");
    let channels = channels.to_string();
    let args = [
        "-f", "lavfi", "-i", &source, "-ac", &channels, "-c:a", "aac", "-b:a", "64k", "-f", "adts",
    ];
    ffmpeg(&args, &path);
    path
}

/// The files of `parts` one after the other in `dir/name`; the start of each part.
fn concatenate(dir: &Path, name: &str, parts: &[PathBuf]) -> (PathBuf, Vec<usize>) {
    let mut data = Vec::new();
    let mut starts = Vec::new();
    for part in parts {
        starts.push(data.len());
        data.extend(fs::read(part).expect("read part"));
    }
    let path = dir.join(name);
    fs::write(&path, data).expect("write concatenation");
    (path, starts)
}

/// A 160×90, 25 fps raw H.264 stream of `seconds` made by x264 with `params`.
fn h264(dir: &Path, name: &str, seconds: u32, params: &str) -> PathBuf {
    let path = dir.join(name);
    let source = format!("testsrc2=size=160x90:rate=25:duration={seconds}");
    let args = [
        "-f",
        "lavfi",
        "-i",
        &source,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-level",
        "3.0",
        "-x264-params",
        params,
        "-pix_fmt",
        "yuv420p",
        "-f",
        "h264",
    ];
    ffmpeg(&args, &path);
    path
}

/// Runs `ssfmux` on `input` (with `extra` arguments) into a fresh directory of `dir`.
fn ssfmux(dir: &Path, input: &Path, extra: &[&str]) -> Output {
    Command::new(support::ssfmux())
        .args(["-q", "-n", "out", "-o"])
        .arg(dir.join("out"))
        .args(extra)
        .arg(input)
        .output()
        .expect("run ssfmux")
}

/// Runs `ssfmux` on `input`, which must fail with a message naming it; returns stderr.
fn refused(dir: &Path, input: &Path, extra: &[&str]) -> String {
    let out = ssfmux(dir, input, extra);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "ssfmux accepted {}", input.display());
    assert!(
        stderr.contains(&format!("ssfmux: {}: ", input.display())),
        "the message does not name the input: {stderr}"
    );
    stderr
}

/// Runs `ssfmux` on `input`, which must succeed; returns the client manifest.
fn packaged(dir: &Path, input: &Path, extra: &[&str]) -> String {
    let out = ssfmux(dir, input, extra);
    assert!(
        out.status.success(),
        "ssfmux refused {}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(dir.join("out").join("out.ismc")).expect("read out.ismc")
}

/// Packages two ADTS files of the (sampling rate, channels) configurations `first` and
/// `second` one after the other, which must fail naming the first frame of the second
/// and `change` ("from … to …").
fn assert_adts_change_refused(test: &str, first: (u32, u32), second: (u32, u32), change: &str) {
    let Some(tmp) = workspace(test) else {
        return;
    };
    let dir = tmp.path();
    let parts = [adts(dir, first.0, first.1), adts(dir, second.0, second.1)];
    let (input, starts) = concatenate(dir, "changing.aac", &parts);
    let err = refused(dir, &input, &[]);
    let expected = format!(
        "the frame at byte {} changes the configuration from {change}; a Smooth audio stream \
         has one configuration",
        starts[1]
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn adts_sampling_rate_change_is_refused() {
    assert_adts_change_refused(
        "adts_sampling_rate_change_is_refused",
        (48000, 2),
        (16000, 2),
        "AAC-LC 48000 Hz stereo (2 ch) to AAC-LC 16000 Hz stereo (2 ch)",
    );
}

#[test]
fn adts_channel_change_is_refused() {
    assert_adts_change_refused(
        "adts_channel_change_is_refused",
        (48000, 2),
        (48000, 6),
        "AAC-LC 48000 Hz stereo (2 ch) to AAC-LC 48000 Hz 5.1 (6 ch)",
    );
}

#[test]
fn adts_parts_of_one_configuration_package() {
    let Some(tmp) = workspace("adts_parts_of_one_configuration_package") else {
        return;
    };
    let dir = tmp.path();
    let part = adts(dir, 48000, 2);
    let (input, _) = concatenate(dir, "twice.aac", &[part.clone(), part]);
    let manifest = packaged(dir, &input, &[]);
    assert!(
        manifest.contains(r#"SamplingRate="48000""#) && manifest.contains(r#"Channels="2""#),
        "{manifest}"
    );
}

/// Packages a short x264 stream whose SPS sets `field` to `value`, which must fail;
/// the message, or `None` when the test is skipped.
fn sps_refusal(test: &str, field: &str, value: u64) -> Option<String> {
    let tmp = workspace(test)?;
    let dir = tmp.path();
    let source = h264(dir, "source.h264", 1, "keyint=25");
    let input = with_sps_field(&source, field, value);
    Some(refused(dir, &input, &[]))
}

#[test]
fn sps_wider_than_any_level_is_refused() {
    // 100 001 macroblocks: the manifest would say MaxWidth="1600016" on a level 3.0 stream.
    let test = "sps_wider_than_any_level_is_refused";
    let Some(err) = sps_refusal(test, "pic_width_in_mbs_minus1", 100_000) else {
        return;
    };
    assert!(
        err.contains("pic_width_in_mbs_minus1 is 100000")
            && err.contains("1600016 pixels")
            && err.contains("above 1055 macroblocks, the most any H.264 level allows"),
        "{err}"
    );
}

#[test]
fn sps_with_too_many_reference_frames_is_refused() {
    let test = "sps_with_too_many_reference_frames_is_refused";
    let Some(err) = sps_refusal(test, "max_num_ref_frames", 1 << 31) else {
        return;
    };
    assert!(
        err.contains("SPS") && err.contains("max_num_ref_frames is 2147483648, above 16"),
        "{err}"
    );
}

#[test]
fn open_gop_is_refused_and_closed_gop_packages() {
    let Some(tmp) = workspace("open_gop_is_refused_and_closed_gop_packages") else {
        return;
    };
    let dir = tmp.path();
    let gop = "keyint=50:min-keyint=50:scenecut=0";
    let open = h264(dir, "open.h264", 10, &format!("open-gop=1:{gop}"));
    let data = fs::read(&open).expect("read open.h264");
    assert_eq!(
        idr_pictures(&data),
        1,
        "x264 made IDR pictures after the first: not an open-GOP input"
    );
    let err = refused(dir, &open, &["--fragment-duration", "2"]);
    for words in [
        "open GOP: the picture at byte ",
        "in decode order) starts a GOP with a non-IDR I picture and a recovery point SEI",
        "every Smooth fragment must start with an IDR picture (closed GOPs)",
        "x264 --no-open-gop",
        "-x264-params open-gop=0",
        "-flags +cgop",
    ] {
        assert!(err.contains(words), "{words:?} missing: {err}");
    }

    // The same stream in MP4: its sync table lists the recovery-point I pictures.
    let open_mp4 = dir.join("open.mp4");
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(&open)
            .args(["-c", "copy"])
            .arg(&open_mp4),
    );
    let err = refused(dir, &open_mp4, &["--fragment-duration", "2"]);
    for words in ["open.mp4", "open GOP", "not an IDR picture", "-flags +cgop"] {
        assert!(err.contains(words), "{words:?} missing: {err}");
    }

    let closed = h264(dir, "closed.h264", 10, &format!("open-gop=0:{gop}"));
    assert_eq!(idr_pictures(&fs::read(&closed).expect("read")), 5);
    let manifest = packaged(dir, &closed, &["--fragment-duration", "2"]);
    assert_eq!(manifest.matches("<c ").count(), 5, "{manifest}");
}

// ---------------------------------------------------------------------------------------
// Annex B and SPS surgery

/// The NAL units of an Annex B stream as (start, end) byte ranges, start codes excluded.
fn nal_units(data: &[u8]) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = data
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == [0, 0, 1])
        .map(|(i, _)| i + 3)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            // A NAL unit ends where the next start code (or its 4-byte form) begins.
            let mut end = starts.get(n + 1).map_or(data.len(), |&next| next - 3);
            while end > start && data[end - 1] == 0 {
                end -= 1;
            }
            (start, end)
        })
        .collect()
}

/// Pictures coded as IDR: IDR slices (type 5) that start at macroblock 0.
fn idr_pictures(data: &[u8]) -> usize {
    nal_units(data)
        .into_iter()
        .filter(|&(start, end)| {
            // first_mb_in_slice = 0 is the single bit 1 after the header byte.
            end > start + 1 && data[start] & 0x1f == 5 && data[start + 1] & 0x80 != 0
        })
        .count()
}

/// A copy of the stream `source` (beside it) whose every SPS sets `field` to `value`.
fn with_sps_field(source: &Path, field: &str, value: u64) -> PathBuf {
    let data = fs::read(source).expect("read source");
    let mut out = Vec::new();
    let mut copied = 0;
    let mut rewritten = 0;
    for (start, end) in nal_units(&data) {
        if data[start] & 0x1f != 7 {
            continue;
        }
        let original = &data[start..end];
        // The writer must reproduce an unchanged SPS bit for bit.
        assert_eq!(rewrite_sps(original, "", 0), original, "SPS round trip");
        out.extend_from_slice(&data[copied..start]);
        out.extend(rewrite_sps(original, field, value));
        copied = end;
        rewritten += 1;
    }
    out.extend_from_slice(&data[copied..]);
    assert!(rewritten > 0, "no SPS in {}", source.display());
    let path = source.with_file_name(format!("{field}_{value}.h264"));
    fs::write(&path, out).expect("write stream");
    path
}

/// Re-encodes an SPS NAL unit field by field, with `field` set to `value`. Knows what
/// x264 writes: POC type 0 or 2, no scaling matrices; the VUI is copied as it is.
fn rewrite_sps(nal: &[u8], field: &str, value: u64) -> Vec<u8> {
    let rbsp = unescape(&nal[1..]);
    let mut r = Bits::new(&rbsp);
    let mut w = Writer::default();
    let ue = |r: &mut Bits, w: &mut Writer, name: &str| {
        let v = r.ue();
        w.ue(if name == field { value } else { v });
        v
    };
    let profile_idc = r.bits(8);
    w.bits(profile_idc, 8);
    w.bits(r.bits(16), 16); // constraint flags, level_idc
    ue(&mut r, &mut w, "seq_parameter_set_id");
    if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(&profile_idc) {
        if ue(&mut r, &mut w, "chroma_format_idc") == 3 {
            w.bits(r.bits(1), 1);
        }
        ue(&mut r, &mut w, "bit_depth_luma_minus8");
        ue(&mut r, &mut w, "bit_depth_chroma_minus8");
        w.bits(r.bits(1), 1); // qpprime_y_zero_transform_bypass_flag
        assert_eq!(r.bits(1), 0, "scaling matrices are not handled here");
        w.bits(0, 1);
    }
    ue(&mut r, &mut w, "log2_max_frame_num_minus4");
    match ue(&mut r, &mut w, "pic_order_cnt_type") {
        0 => {
            ue(&mut r, &mut w, "log2_max_pic_order_cnt_lsb_minus4");
        }
        2 => {}
        other => panic!("pic_order_cnt_type {other} is not handled here"),
    }
    ue(&mut r, &mut w, "max_num_ref_frames");
    w.bits(r.bits(1), 1); // gaps_in_frame_num_value_allowed_flag
    ue(&mut r, &mut w, "pic_width_in_mbs_minus1");
    ue(&mut r, &mut w, "pic_height_in_map_units_minus1");
    let frame_mbs_only = r.bits(1);
    w.bits(frame_mbs_only, 1);
    if frame_mbs_only == 0 {
        w.bits(r.bits(1), 1); // mb_adaptive_frame_field_flag
    }
    w.bits(r.bits(1), 1); // direct_8x8_inference_flag
    let cropping = r.bits(1);
    w.bits(cropping, 1);
    if cropping == 1 {
        for side in ["left", "right", "top", "bottom"] {
            ue(&mut r, &mut w, &format!("frame_crop_{side}_offset"));
        }
    }
    // The rest (VUI flag and VUI) up to the stop bit, then the stop bit and alignment.
    while r.pos < r.stop_bit() {
        w.bits(r.bits(1), 1);
    }
    w.bits(1, 1);
    let mut out = vec![nal[0]];
    out.extend(escape(&w.finish()));
    out
}

/// An RBSP from a NAL unit payload: `00 00 03` becomes `00 00`.
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// A NAL unit payload from an RBSP: `03` goes after two zeros that a byte ≤ 3 follows.
fn escape(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + 4);
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// Reads bits and Exp-Golomb codes from an RBSP (test input: panics when it runs out).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits { data, pos: 0 }
    }

    fn bits(&mut self, n: u32) -> u64 {
        (0..n).fold(0, |v, _| {
            let bit = (self.data[self.pos / 8] >> (7 - self.pos % 8)) & 1;
            self.pos += 1;
            (v << 1) | u64::from(bit)
        })
    }

    fn ue(&mut self) -> u64 {
        let mut zeros = 0;
        while self.bits(1) == 0 {
            zeros += 1;
        }
        (1 << zeros) - 1 + self.bits(zeros)
    }

    /// Position of the rbsp_stop_one_bit: the last 1 bit of the data.
    fn stop_bit(&self) -> usize {
        let last = self.data.iter().rposition(|&b| b != 0).expect("empty RBSP");
        last * 8 + 7 - self.data[last].trailing_zeros() as usize
    }
}

/// Writes bits and Exp-Golomb codes.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    bits: usize,
}

impl Writer {
    fn bits(&mut self, value: u64, n: u32) {
        for i in (0..n).rev() {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let last = self.bytes.last_mut().expect("a byte was pushed");
            *last |= (((value >> i) & 1) as u8) << (7 - self.bits % 8);
            self.bits += 1;
        }
    }

    fn ue(&mut self, value: u64) {
        let len = 64 - (value + 1).leading_zeros();
        self.bits(0, len - 1);
        self.bits(value + 1, len);
    }

    /// The bytes, the last one zero-padded.
    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}
