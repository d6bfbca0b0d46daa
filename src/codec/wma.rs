//! Windows Media Audio (standard v2, Pro, Lossless): the WAVEFORMATEX that configures a
//! stream, the manifest facts derived from it (FourCC, CodecPrivateData, AudioTag, …) and
//! the exact timing of WMA blocks.
//!
//! One Smooth Streaming sample of a WMA track is one ASF media object: one block of
//! `nBlockAlign` bytes, copied unchanged (checked against a real ISMV in the tests).

use crate::codec::bitstream::ByteCursor;
use crate::error::{Error, Result};

/// `wFormatTag` of WMA standard (Windows Media Audio 7/8/9, "WMA v2").
pub const WAVE_FORMAT_WMAUDIO2: u16 = 0x0161;
/// `wFormatTag` of WMA Pro (Windows Media Audio 9/10 Professional).
pub const WAVE_FORMAT_WMAUDIO3: u16 = 0x0162;
/// `wFormatTag` of WMA Lossless (Windows Media Audio 9 Lossless).
pub const WAVE_FORMAT_WMAUDIO_LOSSLESS: u16 = 0x0163;

/// Size of the fixed part of a WAVEFORMATEX, `cbSize` included.
const WFX_FIXED: usize = 18;

/// A WAVEFORMATEX (little-endian, 18 bytes + cbSize extra bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveFormatEx {
    /// `wFormatTag`: the codec.
    pub format_tag: u16,
    /// `nChannels`.
    pub channels: u16,
    /// `nSamplesPerSec`.
    pub samples_per_sec: u32,
    /// `nAvgBytesPerSec`.
    pub avg_bytes_per_sec: u32,
    /// `nBlockAlign`: for WMA, the size of every coded block (ASF media object).
    pub block_align: u16,
    /// `wBitsPerSample`.
    pub bits_per_sample: u16,
    /// The `cbSize` extra bytes (codec-specific).
    pub extra: Vec<u8>,
}

impl WaveFormatEx {
    /// Parses a WAVEFORMATEX. Bytes after the `cbSize` extra bytes are ignored, because
    /// ASF and sample entries may pad the structure; `cbSize` must fit in `data`.
    pub fn parse(data: &[u8]) -> Result<Self> {
        const WHAT: &str = "WAVEFORMATEX";
        if data.len() < WFX_FIXED {
            return Err(Error::malformed(
                WHAT,
                data.len(),
                format!(
                    "{} bytes is shorter than the {WFX_FIXED}-byte header",
                    data.len()
                ),
            ));
        }
        let mut c = ByteCursor::at(data, 0, WHAT);
        // Fields in struct-expression order, which is the order they are evaluated in.
        let mut wfx = Self {
            format_tag: c.u16_le()?,
            channels: c.u16_le()?,
            samples_per_sec: c.u32_le()?,
            avg_bytes_per_sec: c.u32_le()?,
            block_align: c.u16_le()?,
            bits_per_sample: c.u16_le()?,
            extra: Vec::new(),
        };
        let cb_size = usize::from(c.u16_le()?);
        let extra = c.bytes(cb_size).map_err(|_| {
            Error::malformed(
                WHAT,
                16,
                format!(
                    "cbSize {cb_size} needs {} bytes but only {} are present",
                    WFX_FIXED + cb_size,
                    data.len()
                ),
            )
        })?;
        wfx.extra = extra.to_vec();
        Ok(wfx)
    }

    /// Serialises the structure (18 bytes + extra). The extra bytes are truncated to
    /// 65535 so that `cbSize` stays truthful; WMA extras are 10 or 18 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let extra = self
            .extra
            .get(..usize::from(u16::MAX))
            .unwrap_or(&self.extra);
        let mut out = Vec::with_capacity(WFX_FIXED + extra.len());
        out.extend_from_slice(&self.format_tag.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.samples_per_sec.to_le_bytes());
        out.extend_from_slice(&self.avg_bytes_per_sec.to_le_bytes());
        out.extend_from_slice(&self.block_align.to_le_bytes());
        out.extend_from_slice(&self.bits_per_sample.to_le_bytes());
        // Cannot fail: the slice was cut to u16::MAX above.
        let cb = u16::try_from(extra.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&cb.to_le_bytes());
        out.extend_from_slice(extra);
        out
    }
}

/// WMA standard / Pro / Lossless configuration of one stream.
#[derive(Debug, Clone)]
pub struct WmaConfig {
    wfx: WaveFormatEx,
}

impl WmaConfig {
    /// Parses and checks a WAVEFORMATEX for WMA. Refuses other codecs, the wrong number
    /// of extra bytes (10 for WMA v2, 18 for Pro and Lossless), zero channels, rate or
    /// block size (a zero block size would make every sample empty).
    pub fn from_wave_format(wfx: &[u8]) -> Result<Self> {
        const WHAT: &str = "WMA WAVEFORMATEX";
        let wfx = WaveFormatEx::parse(wfx)?;
        let need = match wfx.format_tag {
            WAVE_FORMAT_WMAUDIO2 => 10,
            WAVE_FORMAT_WMAUDIO3 | WAVE_FORMAT_WMAUDIO_LOSSLESS => 18,
            0x0160 => {
                return Err(Error::config(
                    WHAT,
                    "wFormatTag 0x0160 (WMA v1) is not supported by Smooth Streaming clients; \
                     re-encode to WMA v2 (0x0161) or WMA Pro (0x0162)",
                ));
            }
            other => {
                return Err(Error::config(
                    WHAT,
                    format!(
                        "wFormatTag 0x{other:04X} is not WMA (expected 0x0161 WMA v2, \
                         0x0162 WMA Pro or 0x0163 WMA Lossless)"
                    ),
                ));
            }
        };
        if wfx.extra.len() != need {
            return Err(Error::config(
                WHAT,
                format!(
                    "wFormatTag 0x{:04X} needs {need} extra bytes (cbSize), found {}",
                    wfx.format_tag,
                    wfx.extra.len()
                ),
            ));
        }
        if wfx.channels == 0 || wfx.samples_per_sec == 0 || wfx.block_align == 0 {
            return Err(Error::config(
                WHAT,
                format!(
                    "channels {}, sample rate {} and block align {} must all be non-zero",
                    wfx.channels, wfx.samples_per_sec, wfx.block_align
                ),
            ));
        }
        Ok(Self { wfx })
    }

    /// The parsed WAVEFORMATEX.
    pub fn wave_format(&self) -> &WaveFormatEx {
        &self.wfx
    }

    /// Manifest FourCC: `WMA2` for WMA v2, `WMAP` for WMA Pro. Lossless also gets `WMAP`:
    /// Smooth defines no FourCC of its own for it, Windows decodes 0x0163 with the same
    /// WMA Pro decoder, and the client builds the real WAVEFORMATEX from `AudioTag` (355).
    pub fn fourcc(&self) -> &'static str {
        match self.wfx.format_tag {
            WAVE_FORMAT_WMAUDIO2 => "WMA2",
            _ => "WMAP",
        }
    }

    /// CodecPrivateData: the WAVEFORMATEX extra bytes only, as Expression Encoder writes
    /// for WMAP (§6.3); the same form is used for WMA2.
    pub fn codec_private_data(&self) -> Vec<u8> {
        self.wfx.extra.clone()
    }

    /// `AudioTag`: wFormatTag (written in decimal in the manifest).
    pub fn audio_tag(&self) -> u16 {
        self.wfx.format_tag
    }

    /// `PacketSize`: nBlockAlign, the size of every WMA block.
    pub fn packet_size(&self) -> u16 {
        self.wfx.block_align
    }

    /// `SamplingRate` in Hz.
    pub fn sampling_rate(&self) -> u32 {
        self.wfx.samples_per_sec
    }

    /// `Channels`.
    pub fn channels(&self) -> u16 {
        self.wfx.channels
    }

    /// `BitsPerSample`.
    pub fn bits_per_sample(&self) -> u16 {
        self.wfx.bits_per_sample
    }

    /// The decoder's `decode_flags` / wEncodeOptions (WMA v2: extra offset 4; Pro and
    /// Lossless: extra offset 14).
    pub fn encode_options(&self) -> u16 {
        let at = if self.wfx.format_tag == WAVE_FORMAT_WMAUDIO2 {
            4
        } else {
            14
        };
        let mut c = ByteCursor::new(&self.wfx.extra);
        c.seek(at).and_then(|()| c.u16_le()).unwrap_or(0)
    }

    /// Samples per coded frame, as FFmpeg's `ff_wma_get_frame_len_bits` derives it:
    /// 512 up to 16 kHz, 1024 up to 22.05 kHz, 2048 up to 48 kHz (and always for v2),
    /// 4096 up to 96 kHz, else 8192; Pro/Lossless then scale by decode_flags bits 1–2
    /// (0x2: ×2, 0x4: ÷2, 0x6: ÷4). Timestamps of blocks fall on multiples of this.
    pub fn samples_per_frame(&self) -> u32 {
        let rate = self.wfx.samples_per_sec;
        let v3 = self.wfx.format_tag != WAVE_FORMAT_WMAUDIO2;
        let mut bits: u32 = if rate <= 16_000 {
            9
        } else if rate <= 22_050 {
            10
        } else if rate <= 48_000 || !v3 {
            11
        } else if rate <= 96_000 {
            12
        } else {
            13
        };
        if v3 {
            match self.encode_options() & 0x6 {
                0x2 => bits += 1,
                0x4 => bits -= 1,
                0x6 => bits -= 2,
                _ => {}
            }
        }
        1 << bits
    }

    /// Samples per block. WMA v2: dwSamplesPerBlock from the extra bytes (the block
    /// carries a fixed superframe). WMA Pro / Lossless: `None`, because a block holds a
    /// *variable* number of frames (frames straddle blocks: the real 44.1 kHz file has
    /// 5 to 9 frames of 2048 samples per 4459-byte block), so block durations must come
    /// from timestamps, snapped with [`WmaConfig::snap_time_ms`].
    pub fn samples_per_block(&self) -> Option<u32> {
        if self.wfx.format_tag == WAVE_FORMAT_WMAUDIO2 {
            ByteCursor::new(&self.wfx.extra)
                .u32_le()
                .ok()
                .filter(|&n| n > 0)
        } else {
            None
        }
    }

    /// Converts an ASF presentation time (whole milliseconds, preroll removed) to an exact
    /// sample position. ASF rounds times to 1 ms (44.1 samples at 44.1 kHz), but encoders
    /// stamp blocks at whole frames: if a frame boundary lies within ±0.5 ms of the time,
    /// that boundary is the true time; otherwise the nearest sample is used.
    pub fn snap_time_ms(&self, ms: u64) -> u64 {
        snap_ms_to_samples(ms, self.wfx.samples_per_sec, self.samples_per_frame())
    }
}

/// See [`WmaConfig::snap_time_ms`]. `rate` and `frame` of 0 fall back to no snapping.
pub fn snap_ms_to_samples(ms: u64, rate: u32, frame: u32) -> u64 {
    let rate = u128::from(rate);
    // Nearest sample: round(ms * rate / 1000), in u128 so that no input overflows.
    let exact_num = u128::from(ms) * rate; // samples * 1000
    let nearest = (exact_num + 500) / 1000;
    let frame = u128::from(frame);
    if frame == 0 || rate == 0 {
        return u64::try_from(nearest).unwrap_or(u64::MAX);
    }
    let boundary = (nearest + frame / 2) / frame * frame;
    // |boundary/rate - ms/1000| <= 0.5 ms  <=>  |boundary*2000 - ms*rate*2| <= rate
    let lhs = boundary * 2000;
    let rhs = exact_num * 2;
    let within = lhs.abs_diff(rhs) <= rate;
    let chosen = if within { boundary } else { nearest };
    u64::try_from(chosen).unwrap_or(u64::MAX)
}

/// Converts a sample position to 100 ns units, rounding down as the real encoder did
/// (16384 samples at 44.1 kHz → 3715192). Durations are differences of these, so they
/// never drift. Returns `None` on overflow or a zero rate.
pub fn samples_to_100ns(samples: u64, rate: u32) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    u64::try_from(u128::from(samples) * 10_000_000 / u128::from(rate)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WMAP_EXTRA: &str = "1000030000000000000000000000E00042C0";

    fn owma() -> Vec<u8> {
        // §2.2: 6101 0200 80bb0000 c31e0000 f003 1000 0a00 00880000 1f00 00000000
        hex::decode("6101020080bb0000c31e0000f00310000a00008800001f0000000000").unwrap_or_default()
    }

    #[test]
    fn owma_round_trip_and_fields() {
        let bytes = owma();
        assert_eq!(bytes.len(), 28);
        let wfx = WaveFormatEx::parse(&bytes).expect("parse");
        assert_eq!(wfx.format_tag, WAVE_FORMAT_WMAUDIO2);
        assert_eq!(wfx.channels, 2);
        assert_eq!(wfx.samples_per_sec, 48_000);
        assert_eq!(wfx.avg_bytes_per_sec, 0x1ec3);
        assert_eq!(wfx.block_align, 0x03f0);
        assert_eq!(wfx.bits_per_sample, 16);
        assert_eq!(wfx.extra.len(), 10);
        assert_eq!(wfx.to_bytes(), bytes);
        let cfg = WmaConfig::from_wave_format(&bytes).expect("config");
        assert_eq!(cfg.fourcc(), "WMA2");
        assert_eq!(cfg.audio_tag(), 353);
        assert_eq!(cfg.packet_size(), 1008);
        assert_eq!(cfg.samples_per_block(), Some(0x8800));
        assert_eq!(cfg.encode_options(), 0x1f);
        assert_eq!(
            hex::encode_upper(cfg.codec_private_data()),
            "008800001F0000000000"
        );
    }

    #[test]
    fn wmap_ee_extra() {
        let extra = hex::decode(WMAP_EXTRA).unwrap_or_default();
        let wfx = WaveFormatEx {
            format_tag: WAVE_FORMAT_WMAUDIO3,
            channels: 2,
            samples_per_sec: 44_100,
            avg_bytes_per_sec: 0x2ee3,
            block_align: 0x116b,
            bits_per_sample: 16,
            extra,
        };
        let bytes = wfx.to_bytes();
        // The same bytes as the real ISMV's wfex box.
        assert_eq!(
            hex::encode(&bytes),
            "6201020044ac0000e32e00006b11100012001000030000000000000000000000e00042c0"
        );
        assert_eq!(WaveFormatEx::parse(&bytes).ok(), Some(wfx));
        let cfg = WmaConfig::from_wave_format(&bytes).expect("config");
        assert_eq!(cfg.fourcc(), "WMAP");
        assert_eq!(hex::encode_upper(cfg.codec_private_data()), WMAP_EXTRA);
        assert_eq!(cfg.audio_tag(), 354);
        assert_eq!(cfg.encode_options(), 0x00e0);
        assert_eq!(cfg.samples_per_frame(), 2048);
        assert_eq!(cfg.samples_per_block(), None);
        assert_eq!(
            (cfg.channels(), cfg.sampling_rate(), cfg.bits_per_sample()),
            (2, 44_100, 16)
        );
    }

    #[test]
    fn refusals() {
        let mut b = owma();
        b[0] = 0xff; // AAC tag
        assert!(matches!(
            WmaConfig::from_wave_format(&b),
            Err(Error::InvalidConfig { .. })
        ));
        let mut b = owma();
        b[0] = 0x62; // Pro tag with a 10-byte extra
        assert!(WmaConfig::from_wave_format(&b).is_err());
        let b = owma();
        assert!(WaveFormatEx::parse(&b[..27]).is_err());
        for n in 0..b.len() {
            assert!(WaveFormatEx::parse(&b[..n]).is_err());
        }
        let mut b = owma();
        b[12] = 0;
        b[13] = 0;
        assert!(WmaConfig::from_wave_format(&b).is_err());
    }

    #[test]
    fn frame_lengths() {
        let mk = |tag: u16, rate: u32, opts: u16| {
            let mut extra = vec![0u8; if tag == WAVE_FORMAT_WMAUDIO2 { 10 } else { 18 }];
            let at = if tag == WAVE_FORMAT_WMAUDIO2 { 4 } else { 14 };
            extra[at..at + 2].copy_from_slice(&opts.to_le_bytes());
            let w = WaveFormatEx {
                format_tag: tag,
                channels: 2,
                samples_per_sec: rate,
                avg_bytes_per_sec: 1,
                block_align: 1,
                bits_per_sample: 16,
                extra,
            };
            WmaConfig::from_wave_format(&w.to_bytes())
                .map(|c| c.samples_per_frame())
                .ok()
        };
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO3, 48_000, 0xe0), Some(2048));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO3, 96_000, 0), Some(4096));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO3, 44_100, 2), Some(4096));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO3, 44_100, 6), Some(512));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO2, 96_000, 0), Some(2048));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO2, 22_050, 0), Some(1024));
        assert_eq!(mk(WAVE_FORMAT_WMAUDIO_LOSSLESS, 16_000, 0), Some(512));
    }

    #[test]
    fn snapping() {
        // 372 ms at 44.1 kHz is 16405 samples; the frame boundary 16384 is 371.52 ms.
        assert_eq!(snap_ms_to_samples(372, 44_100, 2048), 16384);
        // 3982 ms: no frame boundary within 0.5 ms, nearest sample.
        assert_eq!(snap_ms_to_samples(3982, 44_100, 2048), 175_606);
        assert_eq!(snap_ms_to_samples(u64::MAX, u32::MAX, u32::MAX), u64::MAX);
        assert_eq!(samples_to_100ns(16384, 44_100), Some(3_715_192));
        assert_eq!(samples_to_100ns(1, 0), None);
    }
}
