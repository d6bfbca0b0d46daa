//! AAC: the MPEG-4 AudioSpecificConfig (ISO 14496-3 §1.6.2.1) and ADTS framing
//! (ISO 14496-3 §1.A.2).
//!
//! Smooth Streaming carries raw AAC access units in `mdat` and the AudioSpecificConfig (ASC)
//! in the `esds` box and in the client manifest's `CodecPrivateData` (format.md §2.3, §6.3).
//! Splitting ADTS streams into raw frames (and the ASC their headers give) is
//! `crate::input::adts`'s.
//!
//! Scope: the General Audio object types 1–4 (Main, LC, SSR, LTP) as the core, with SBR / PS
//! signalled either hierarchically (object type 5 or 29 first) or by the backward-compatible
//! sync extension `0x2b7`. A `channel_config` of 0 (channels given by an in-band
//! `program_config_element`) is refused: Smooth clients rebuild the decoder configuration
//! from the manifest's `Channels`, so such a stream could not be described to them anyway.

use crate::error::{Error, Result};

/// Sampling rates by `samplingFrequencyIndex` (ISO 14496-3 Table 1.18); 13 and 14 are
/// reserved and 15 means "explicit 24-bit rate follows".
pub(crate) const SAMPLING_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// `samplingFrequencyIndex` value that announces an explicit 24-bit rate.
const EXPLICIT_RATE_INDEX: u8 = 15;

/// Object type escape: the real type is 32 + the next 6 bits.
const OBJECT_TYPE_ESCAPE: u8 = 31;

/// Object type of AAC LC.
const AOT_LC: u8 = 2;
/// Object type of SBR (HE-AAC v1).
const AOT_SBR: u8 = 5;
/// Object type of PS (HE-AAC v2).
const AOT_PS: u8 = 29;

/// syncExtensionType announcing a backward-compatible SBR extension after the core config.
const SYNC_EXTENSION_SBR: u32 = 0x2b7;
/// syncExtensionType announcing the PS flag inside that SBR extension.
const SYNC_EXTENSION_PS: u32 = 0x548;

/// What the ASC errors are reported as.
const ASC: &str = "AudioSpecificConfig";

/// Reads big-endian bit fields from a byte slice; every read is bounds-checked.
struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_mul(8).saturating_sub(self.pos)
    }

    /// Reads `n` ≤ 32 bits, or fails with the field name when the data runs out.
    fn read(&mut self, n: usize, field: &str) -> Result<u32> {
        if n > self.remaining() {
            return Err(Error::config(
                ASC,
                format!(
                    "truncated: {field} needs {n} bits at bit {}, {} left",
                    self.pos,
                    self.remaining()
                ),
            ));
        }
        let mut value: u32 = 0;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            value = (value << 1) | u32::from(bit);
            self.pos += 1;
        }
        Ok(value)
    }

    /// Reads a field of at most 8 bits.
    fn read_u8(&mut self, n: usize, field: &str) -> Result<u8> {
        // n ≤ 8 at every call site, so the value always fits.
        Ok(u8::try_from(self.read(n.min(8), field)?).unwrap_or(u8::MAX))
    }
}

/// Appends big-endian bit fields to a byte vector.
#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Number of bits already used in the last byte (0 = start a new byte).
    used: u8,
}

impl BitWriter {
    /// Appends the low `n` bits of `value`, most significant first.
    pub(crate) fn write(&mut self, n: u32, value: u32) {
        for i in (0..n).rev() {
            let bit = ((value >> i) & 1) as u8;
            if self.used == 0 {
                self.bytes.push(0);
            }
            if let Some(last) = self.bytes.last_mut() {
                *last |= bit << (7 - self.used);
            }
            self.used = (self.used + 1) % 8;
        }
    }

    /// The bytes, zero-padded to a whole byte (the ASC ends byte-aligned).
    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads `GetAudioObjectType()`: 5 bits, with escape 31 meaning 32 + 6 more bits.
fn read_object_type(r: &mut BitReader<'_>) -> Result<u8> {
    let aot = r.read_u8(5, "audioObjectType")?;
    if aot == OBJECT_TYPE_ESCAPE {
        Ok(32 + r.read_u8(6, "audioObjectTypeExt")?)
    } else {
        Ok(aot)
    }
}

/// Writes an object type, using the escape for types ≥ 31. Type 31 itself cannot be coded
/// (it is the escape) and comes out as 32; types above 95 lose their high bits. Parsed
/// configs never hold either.
fn write_object_type(w: &mut BitWriter, aot: u8) {
    if aot >= OBJECT_TYPE_ESCAPE {
        w.write(5, u32::from(OBJECT_TYPE_ESCAPE));
        w.write(6, u32::from(aot.saturating_sub(32)));
    } else {
        w.write(5, u32::from(aot));
    }
}

/// Reads a sampling frequency index and, for index 15, the explicit 24-bit rate.
/// Returns (index or None when explicit, rate).
fn read_sampling_frequency(r: &mut BitReader<'_>, field: &str) -> Result<(Option<u8>, u32)> {
    let index = r.read_u8(4, field)?;
    if index == EXPLICIT_RATE_INDEX {
        let rate = r.read(24, field)?;
        if rate == 0 {
            return Err(Error::config(ASC, format!("{field}: explicit rate is 0")));
        }
        return Ok((None, rate));
    }
    let rate = SAMPLING_RATES
        .get(usize::from(index))
        .copied()
        .ok_or_else(|| Error::config(ASC, format!("{field} {index} is reserved")))?;
    Ok((Some(index), rate))
}

/// Writes a sampling frequency as an index, or as index 15 + explicit rate when `index` is
/// None.
fn write_sampling_frequency(w: &mut BitWriter, index: Option<u8>, rate: u32) {
    match index {
        Some(i) => w.write(4, u32::from(i)),
        None => {
            w.write(4, u32::from(EXPLICIT_RATE_INDEX));
            w.write(24, rate);
        }
    }
}

/// The table index of a sampling rate, when it has one.
fn rate_index(rate: u32) -> Option<u8> {
    SAMPLING_RATES
        .iter()
        .position(|&r| r == rate)
        .and_then(|i| u8::try_from(i).ok())
}

/// The SBR (and possibly PS) extension of an HE-AAC AudioSpecificConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SbrExtension {
    /// 5 for SBR (HE-AAC v1) or 29 for SBR + PS (HE-AAC v2).
    pub object_type: u8,
    /// Output sampling rate of the SBR decoder (usually twice the core rate).
    pub sampling_rate: u32,
    /// The extension's `samplingFrequencyIndex`; None when the rate is written explicitly.
    pub frequency_index: Option<u8>,
    /// How the extension is signalled: false = hierarchical (the ASC starts with object type
    /// 5 or 29 and the core type follows), true = backward-compatible sync extension `0x2b7`
    /// after the core config (old decoders ignore it and play the core). Kept so that
    /// [`AudioSpecificConfig::to_bytes`] writes the same form back.
    pub sync_extension: bool,
}

/// A parsed MPEG-4 AudioSpecificConfig (ISO 14496-3 §1.6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// Core object type: 1 Main, 2 LC, 3 SSR, 4 LTP (for HE-AAC, the core, usually 2).
    pub object_type: u8,
    /// Core `samplingFrequencyIndex`; None when the rate is an explicit 24-bit value.
    pub sampling_frequency_index: Option<u8>,
    /// Core sampling rate in Hz.
    pub sampling_rate: u32,
    /// `channelConfiguration` (1–7, 11, 12, 14; 0 is refused, see the module doc).
    pub channel_config: u8,
    /// The explicitly signalled SBR/PS extension, if any. Implicit SBR (a plain LC config
    /// that happens to contain SBR data) cannot be seen here.
    pub extension: Option<SbrExtension>,
    /// True when SBR is signalled (mirrors `extension.is_some()`; [`Self::to_bytes`] writes
    /// from `extension`).
    pub sbr: bool,
    /// True when PS is signalled (mirrors an extension of object type 29).
    pub ps: bool,
    /// Core frame length in samples: 1024, or 960 when `frameLengthFlag` is set.
    pub frame_length: u16,
}

impl AudioSpecificConfig {
    /// Parses an AudioSpecificConfig.
    ///
    /// Trailing bits after the config are ignored, except that ≥ 16 of them are checked for
    /// the backward-compatible SBR sync extension. A sync extension with
    /// `sbrPresentFlag = 0` (as FFmpeg writes to say "no SBR") parses to no extension.
    pub fn parse(data: &[u8]) -> Result<Self> {
        let mut r = BitReader::new(data);
        let first_type = read_object_type(&mut r)?;
        let (sampling_frequency_index, sampling_rate) =
            read_sampling_frequency(&mut r, "samplingFrequencyIndex")?;
        let channel_config = r.read_u8(4, "channelConfiguration")?;

        let mut extension = None;
        let object_type = if first_type == AOT_SBR || first_type == AOT_PS {
            // Hierarchical signalling: the first fields describe the core, then comes the
            // extension (output) rate and the core object type.
            let (ext_index, ext_rate) =
                read_sampling_frequency(&mut r, "extensionSamplingFrequencyIndex")?;
            extension = Some(SbrExtension {
                object_type: first_type,
                sampling_rate: ext_rate,
                frequency_index: ext_index,
                sync_extension: false,
            });
            let core = read_object_type(&mut r)?;
            if core == AOT_SBR || core == AOT_PS {
                return Err(Error::config(
                    ASC,
                    format!("core object type {core} inside an SBR/PS config"),
                ));
            }
            core
        } else {
            first_type
        };

        // Only the GA types 1–4 have the plain GASpecificConfig handled below; the scalable,
        // TwinVQ, error-resilient and newer types carry more fields that Smooth clients do
        // not support anyway.
        if !(1..=4).contains(&object_type) {
            return Err(Error::config(
                ASC,
                format!(
                    "audio object type {object_type} is not supported (only 1-4, with SBR/PS 5/29)"
                ),
            ));
        }
        match channel_config {
            0 => {
                return Err(Error::config(
                    ASC,
                    "channelConfiguration 0 (program_config_element) is not supported",
                ));
            }
            1..=7 | 11 | 12 | 14 => {}
            other => {
                return Err(Error::config(
                    ASC,
                    format!("channelConfiguration {other} is reserved"),
                ));
            }
        }

        // GASpecificConfig.
        let frame_length = if r.read(1, "frameLengthFlag")? == 1 {
            960
        } else {
            1024
        };
        if r.read(1, "dependsOnCoreCoder")? == 1 {
            r.read(14, "coreCoderDelay")?;
        }
        if r.read(1, "extensionFlag")? == 1 {
            // For the non-ER types 1–4 only extensionFlag3 follows; it is reserved.
            r.read(1, "extensionFlag3")?;
        }

        if extension.is_none() && r.remaining() >= 16 {
            let mut probe = BitReader {
                data: r.data,
                pos: r.pos,
            };
            if probe.read(11, "syncExtensionType")? == SYNC_EXTENSION_SBR {
                extension = read_sync_extension(&mut probe)?;
            }
        }

        Ok(AudioSpecificConfig {
            object_type,
            sampling_frequency_index,
            sampling_rate,
            channel_config,
            sbr: extension.is_some(),
            ps: extension.is_some_and(|e| e.object_type == AOT_PS),
            extension,
            frame_length,
        })
    }

    /// A plain (no SBR/PS) config from the three fields ADTS headers and MP4 demuxers
    /// carry: object type, sampling-frequency index and channel configuration.
    /// Channel configuration 0 (an in-band program_config_element) is refused.
    pub fn from_indexes(
        object_type: u8,
        sampling_frequency_index: u8,
        channel_config: u8,
    ) -> Result<Self> {
        if !(1..=4).contains(&object_type) {
            return Err(Error::config(
                ASC,
                format!("audio object type {object_type} is not supported"),
            ));
        }
        if channel_config == 0 || channel_config > 7 {
            return Err(Error::config(
                ASC,
                format!(
                    "channel_configuration {channel_config} is not supported (0 needs an in-band \
                     program_config_element)"
                ),
            ));
        }
        let sampling_rate = SAMPLING_RATES
            .get(usize::from(sampling_frequency_index))
            .copied()
            .ok_or_else(|| {
                Error::config(
                    ASC,
                    format!("sampling_frequency_index {sampling_frequency_index} is reserved"),
                )
            })?;
        Ok(AudioSpecificConfig {
            object_type,
            sampling_frequency_index: Some(sampling_frequency_index),
            sampling_rate,
            channel_config,
            extension: None,
            sbr: false,
            ps: false,
            frame_length: 1024,
        })
    }

    /// An AAC-LC config for `sampling_rate` Hz and `channels` channels (1–6, or 8 for 7.1).
    /// Rates outside the table are written explicitly (index 15).
    pub fn lc(sampling_rate: u32, channels: u16) -> Result<Self> {
        if sampling_rate == 0 || sampling_rate >= 1 << 24 {
            return Err(Error::InvalidArgument(format!(
                "AAC sampling rate {sampling_rate} Hz is out of range"
            )));
        }
        let channel_config = match channels {
            1..=6 => channels as u8,
            8 => 7,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "AAC-LC with {channels} channels has no channelConfiguration (use 1-6 or 8)"
                )));
            }
        };
        Ok(AudioSpecificConfig {
            object_type: AOT_LC,
            sampling_frequency_index: rate_index(sampling_rate),
            sampling_rate,
            channel_config,
            extension: None,
            sbr: false,
            ps: false,
            frame_length: 1024,
        })
    }

    /// Serialises the config. Parsing the result gives `self` back; the bytes equal the
    /// parsed input for canonical configs (reserved flags 0, no `coreCoderDelay`, no
    /// "no SBR" sync extension, no trailing bits).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = BitWriter::default();
        let hierarchical = self.extension.filter(|e| !e.sync_extension);
        match hierarchical {
            Some(ext) => {
                write_object_type(&mut w, ext.object_type);
                write_sampling_frequency(&mut w, self.sampling_frequency_index, self.sampling_rate);
                w.write(4, u32::from(self.channel_config));
                write_sampling_frequency(&mut w, ext.frequency_index, ext.sampling_rate);
                write_object_type(&mut w, self.object_type);
            }
            None => {
                write_object_type(&mut w, self.object_type);
                write_sampling_frequency(&mut w, self.sampling_frequency_index, self.sampling_rate);
                w.write(4, u32::from(self.channel_config));
            }
        }
        // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder = 0, extensionFlag = 0.
        w.write(1, u32::from(self.frame_length == 960));
        w.write(2, 0);
        if let Some(ext) = self.extension.filter(|e| e.sync_extension) {
            w.write(11, SYNC_EXTENSION_SBR);
            write_object_type(&mut w, AOT_SBR);
            w.write(1, 1); // sbrPresentFlag
            write_sampling_frequency(&mut w, ext.frequency_index, ext.sampling_rate);
            if ext.object_type == AOT_PS {
                w.write(11, SYNC_EXTENSION_PS);
                w.write(1, 1); // psPresentFlag
            }
        }
        w.finish()
    }

    /// Decoded samples per frame and channel: the core frame length, doubled by SBR
    /// (2048 for HE-AAC with 1024-sample core frames). This is the sample duration in
    /// [`Self::output_sampling_rate`] units.
    pub fn samples_per_frame(&self) -> u32 {
        let core = u32::from(self.frame_length);
        match self.extension {
            // SBR upsamples by the ratio of the rates (2 in practice, 1 for "downsampled SBR").
            Some(ext) if ext.sampling_rate > self.sampling_rate => core * 2,
            _ => core,
        }
    }

    /// The decoder's output rate: the SBR rate when SBR is signalled, else the core rate.
    pub fn output_sampling_rate(&self) -> u32 {
        self.extension
            .map_or(self.sampling_rate, |e| e.sampling_rate)
    }

    /// Output channel count: from `channel_config` (7 → 8 for 7.1, 11 → 7, 12 and 14 → 8),
    /// and 2 for a mono core with PS, which decodes to stereo.
    pub fn channels(&self) -> u16 {
        let core = match self.channel_config {
            7 | 12 | 14 => 8,
            11 => 7,
            c => u16::from(c),
        };
        if self.ps && core == 1 { 2 } else { core }
    }

    /// The Smooth Streaming FourCC (format.md §6.3): "AACP" with PS (HE-AAC v2), "AACH" with
    /// SBR (HE-AAC v1), else "AACL".
    pub fn fourcc(&self) -> &'static str {
        match self.extension {
            Some(e) if e.object_type == AOT_PS => "AACP",
            Some(_) => "AACH",
            None => "AACL",
        }
    }
}

/// Reads the backward-compatible extension after `syncExtensionType` 0x2b7.
/// Returns None when it says "no SBR" or is of a type other than SBR.
fn read_sync_extension(r: &mut BitReader<'_>) -> Result<Option<SbrExtension>> {
    if read_object_type(r)? != AOT_SBR {
        // Other extension types (e.g. ER BSAC) are not ours to interpret.
        return Ok(None);
    }
    if r.read(1, "sbrPresentFlag")? == 0 {
        return Ok(None);
    }
    let (frequency_index, sampling_rate) =
        read_sampling_frequency(r, "extensionSamplingFrequencyIndex")?;
    let mut object_type = AOT_SBR;
    if r.remaining() >= 12
        && r.read(11, "syncExtensionType")? == SYNC_EXTENSION_PS
        && r.read(1, "psPresentFlag")? == 1
    {
        object_type = AOT_PS;
    }
    Ok(Some(SbrExtension {
        object_type,
        sampling_rate,
        frequency_index,
        sync_extension: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_rng::XorShift;

    #[test]
    fn lc_44100_stereo() {
        let asc = AudioSpecificConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!(asc.object_type, 2);
        assert_eq!(asc.sampling_frequency_index, Some(4));
        assert_eq!(asc.sampling_rate, 44100);
        assert_eq!(asc.channel_config, 2);
        assert_eq!(asc.extension, None);
        assert!(!asc.sbr && !asc.ps);
        assert_eq!(asc.frame_length, 1024);
        assert_eq!(asc.samples_per_frame(), 1024);
        assert_eq!(asc.output_sampling_rate(), 44100);
        assert_eq!(asc.channels(), 2);
        assert_eq!(asc.fourcc(), "AACL");
        assert_eq!(asc.to_bytes(), [0x12, 0x10]);
        assert_eq!(AudioSpecificConfig::lc(44100, 2).unwrap(), asc);
    }

    #[test]
    fn lc_48000_stereo() {
        let asc = AudioSpecificConfig::parse(&[0x11, 0x90]).unwrap();
        assert_eq!((asc.sampling_rate, asc.channels()), (48000, 2));
        assert_eq!(asc.to_bytes(), [0x11, 0x90]);
        assert_eq!(
            AudioSpecificConfig::lc(48000, 2).unwrap().to_bytes(),
            [0x11, 0x90]
        );
    }

    #[test]
    fn hierarchical_sbr() {
        let bytes = hex::decode("2B920800").unwrap();
        let asc = AudioSpecificConfig::parse(&bytes).unwrap();
        assert_eq!(asc.object_type, 2);
        assert_eq!(asc.sampling_rate, 22050);
        assert_eq!(asc.channel_config, 2);
        assert_eq!(
            asc.extension,
            Some(SbrExtension {
                object_type: 5,
                sampling_rate: 44100,
                frequency_index: Some(4),
                sync_extension: false,
            })
        );
        assert!(asc.sbr && !asc.ps);
        assert_eq!(asc.samples_per_frame(), 2048);
        assert_eq!(asc.output_sampling_rate(), 44100);
        assert_eq!(asc.fourcc(), "AACH");
        // The written form is 27 bits; the 4-byte vector only adds zero padding.
        assert_eq!(asc.to_bytes(), [0x2B, 0x92, 0x08, 0x00]);
    }

    #[test]
    fn hierarchical_ps_mono_core() {
        // AOT 29, core 24 kHz mono, extension 48 kHz, core AOT 2.
        let mut w = BitWriter::default();
        w.write(5, 29);
        w.write(4, 6);
        w.write(4, 1);
        w.write(4, 3);
        w.write(5, 2);
        w.write(3, 0);
        let bytes = w.finish();
        let asc = AudioSpecificConfig::parse(&bytes).unwrap();
        assert!(asc.sbr && asc.ps);
        assert_eq!(asc.fourcc(), "AACP");
        assert_eq!(asc.channels(), 2);
        assert_eq!(asc.output_sampling_rate(), 48000);
        assert_eq!(asc.to_bytes(), bytes);
    }

    #[test]
    fn sync_extension_sbr_and_ps() {
        // LC 24 kHz mono core, then 0x2b7 SBR 48 kHz, then 0x548 PS.
        let mut w = BitWriter::default();
        w.write(5, 2);
        w.write(4, 6);
        w.write(4, 1);
        w.write(3, 0);
        w.write(11, 0x2b7);
        w.write(5, 5);
        w.write(1, 1);
        w.write(4, 3);
        w.write(11, 0x548);
        w.write(1, 1);
        let bytes = w.finish();
        let asc = AudioSpecificConfig::parse(&bytes).unwrap();
        let ext = asc.extension.unwrap();
        assert!(ext.sync_extension);
        assert_eq!((ext.object_type, ext.sampling_rate), (29, 48000));
        assert_eq!(asc.fourcc(), "AACP");
        assert_eq!(asc.samples_per_frame(), 2048);
        assert_eq!(asc.to_bytes(), bytes);
        assert_eq!(AudioSpecificConfig::parse(&asc.to_bytes()).unwrap(), asc);
    }

    #[test]
    fn ffmpeg_no_sbr_sync_extension() {
        // FFmpeg's encoder appends 0x2b7, AOT 5, sbrPresentFlag = 0.
        let asc = AudioSpecificConfig::parse(&hex::decode("119056E500").unwrap()).unwrap();
        assert_eq!(asc, AudioSpecificConfig::lc(48000, 2).unwrap());
        assert_eq!(asc.to_bytes(), [0x11, 0x90]);
    }

    #[test]
    fn explicit_rate_and_960() {
        let mut asc = AudioSpecificConfig::lc(50000, 1).unwrap();
        assert_eq!(asc.sampling_frequency_index, None);
        asc.frame_length = 960;
        let bytes = asc.to_bytes();
        assert_eq!(bytes.len(), 5); // 5 + 4 + 24 + 4 + 3 bits = 40
        assert_eq!(AudioSpecificConfig::parse(&bytes).unwrap(), asc);
        assert_eq!(asc.samples_per_frame(), 960);
    }

    #[test]
    fn escape_object_type_and_refusals() {
        // AOT 31 escape + 10 → 42 (USAC): parsed, then refused by name.
        let mut w = BitWriter::default();
        write_object_type(&mut w, 42);
        w.write(4, 3);
        w.write(4, 2);
        w.write(8, 0);
        let err = AudioSpecificConfig::parse(&w.finish())
            .unwrap_err()
            .to_string();
        assert!(err.contains("object type 42"), "{err}");
        let err = AudioSpecificConfig::parse(&[0x11, 0x80])
            .unwrap_err()
            .to_string();
        assert!(err.contains("program_config_element"), "{err}");
        let err = AudioSpecificConfig::parse(&[0x12]).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        assert!(AudioSpecificConfig::lc(48000, 7).is_err());
        assert!(AudioSpecificConfig::lc(0, 2).is_err());
        assert_eq!(AudioSpecificConfig::lc(48000, 8).unwrap().channels(), 8);
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(13);
            let data = rng.bytes(len);
            if let Ok(asc) = AudioSpecificConfig::parse(&data) {
                // Whatever parses must survive a round trip through to_bytes.
                assert_eq!(AudioSpecificConfig::parse(&asc.to_bytes()).unwrap(), asc);
                let _ = (asc.samples_per_frame(), asc.channels(), asc.fourcc());
            }
        }
    }

    #[test]
    fn truncations_never_panic() {
        let bytes = hex::decode("2B920800").unwrap();
        for cut in 0..bytes.len() {
            let _ = AudioSpecificConfig::parse(&bytes[..cut]);
        }
    }
}
