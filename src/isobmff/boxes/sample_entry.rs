//! Sample descriptions (`stsd` entries) per codec, format.md §2.3.

use super::protection::{TrackProtection, write_sinf};
use crate::isobmff::writer::BoxWriter;

/// One sample description, with what its box needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleEntry {
    /// `avc1` + `avcC` (+ `pasp` when the pixels are not square).
    Avc {
        /// Coded width in pixels (after cropping).
        width: u16,
        /// Coded height in pixels (after cropping).
        height: u16,
        /// The `avcC` payload (AVCDecoderConfigurationRecord).
        avcc: Vec<u8>,
        /// Pixel aspect ratio (hSpacing, vSpacing) when not 1:1.
        pixel_aspect: Option<(u32, u32)>,
    },
    /// VC-1 Advanced Profile: `vc-1` + `dvc1` (SMPTE RP 2025), the form FFmpeg reads and
    /// the real ISMV of the shared media uses.
    Vc1 {
        /// Coded width in pixels.
        width: u16,
        /// Coded height in pixels.
        height: u16,
        /// The `dvc1` payload (7 bytes of flags, then sequence header + entry point).
        dvc1: Vec<u8>,
    },
    /// WMA: `wma ` + `wfex` (the whole WAVEFORMATEX), the form FFmpeg reads and the real
    /// ISMV of the shared media uses.
    Wma {
        /// Channel count.
        channels: u16,
        /// Sampling rate in Hz.
        sample_rate: u32,
        /// The whole WAVEFORMATEX, `cbSize` and extra bytes included.
        wave_format: Vec<u8>,
    },
    /// TTML captions: `stpp` (XMLSubtitleSampleEntry).
    Ttml {
        /// The TTML namespace(s), space-separated.
        namespace: String,
    },
    /// XML timed metadata: `metx` (XMLMetaDataSampleEntry).
    XmlMetadata {
        /// Content encoding (e.g. "gzip"), empty for none.
        content_encoding: String,
        /// The XML namespace(s).
        namespace: String,
        /// Schema location(s), empty for none.
        schema_location: String,
    },
    /// Text timed metadata: `mett` (TextMetaDataSampleEntry).
    TextMetadata {
        /// Content encoding, empty for none.
        content_encoding: String,
        /// MIME type of the samples.
        mime_format: String,
    },
    /// `mp4a` + `esds` carrying the AudioSpecificConfig.
    Aac {
        /// Channel count.
        channels: u16,
        /// Sampling rate in Hz.
        sample_rate: u32,
        /// The AudioSpecificConfig.
        asc: Vec<u8>,
        /// Average bit rate (b/s) for the DecoderConfigDescriptor.
        avg_bitrate: u32,
        /// Peak bit rate (b/s).
        max_bitrate: u32,
        /// Decoder buffer size in bytes.
        buffer_size: u32,
    },
}

impl SampleEntry {
    /// The four-character code of the entry box.
    pub fn fourcc(&self) -> &'static [u8; 4] {
        match self {
            SampleEntry::Avc { .. } => b"avc1",
            SampleEntry::Aac { .. } => b"mp4a",
            SampleEntry::Vc1 { .. } => b"vc-1",
            SampleEntry::Wma { .. } => b"wma ",
            SampleEntry::Ttml { .. } => b"stpp",
            SampleEntry::XmlMetadata { .. } => b"metx",
            SampleEntry::TextMetadata { .. } => b"mett",
        }
    }

    /// Writes the entry box; a protected track's entry becomes `encv`/`enca` with the
    /// same fields and children plus a `sinf` as its last child.
    pub fn write(&self, w: &mut BoxWriter, protection: Option<&TrackProtection>) {
        let box_type = match (self, protection) {
            (_, None) => self.fourcc(),
            (SampleEntry::Avc { .. } | SampleEntry::Vc1 { .. }, Some(_)) => b"encv",
            (SampleEntry::Aac { .. } | SampleEntry::Wma { .. }, Some(_)) => b"enca",
            // Sparse text is never encrypted (the muxer does not protect it).
            (_, Some(_)) => self.fourcc(),
        };
        let sinf = |w: &mut BoxWriter| {
            if let Some(p) = protection {
                write_sinf(w, self.fourcc(), p);
            }
        };
        match self {
            SampleEntry::Avc {
                width,
                height,
                avcc,
                pixel_aspect,
            } => w.boxed(box_type, |w| {
                write_visual_fields(w, *width, *height);
                w.boxed(b"avcC", |w| w.bytes(avcc));
                if let Some((h, v)) = pixel_aspect {
                    w.boxed(b"pasp", |w| {
                        w.u32(*h);
                        w.u32(*v);
                    });
                }
                sinf(w);
            }),
            SampleEntry::Aac {
                channels,
                sample_rate,
                asc,
                avg_bitrate,
                max_bitrate,
                buffer_size,
            } => w.boxed(box_type, |w| {
                write_audio_fields(w, *channels, 16, *sample_rate);
                w.full_box(b"esds", 0, 0, |w| {
                    write_es_descriptor(w, asc, *avg_bitrate, *max_bitrate, *buffer_size)
                });
                sinf(w);
            }),
            SampleEntry::Vc1 {
                width,
                height,
                dvc1,
            } => w.boxed(box_type, |w| {
                write_visual_fields(w, *width, *height);
                w.boxed(b"dvc1", |w| w.bytes(dvc1));
                sinf(w);
            }),
            SampleEntry::Wma {
                channels,
                sample_rate,
                wave_format,
            } => w.boxed(box_type, |w| {
                write_audio_fields(w, *channels, 16, *sample_rate);
                w.boxed(b"wfex", |w| w.bytes(wave_format));
                sinf(w);
            }),
            SampleEntry::Ttml { namespace } => w.boxed(box_type, |w| {
                w.zeros(6);
                w.u16(1);
                write_c_string(w, namespace);
                write_c_string(w, ""); // schema_location
                write_c_string(w, ""); // auxiliary_mime_types
            }),
            SampleEntry::XmlMetadata {
                content_encoding,
                namespace,
                schema_location,
            } => w.boxed(box_type, |w| {
                w.zeros(6);
                w.u16(1);
                write_c_string(w, content_encoding);
                write_c_string(w, namespace);
                write_c_string(w, schema_location);
            }),
            SampleEntry::TextMetadata {
                content_encoding,
                mime_format,
            } => w.boxed(box_type, |w| {
                w.zeros(6);
                w.u16(1);
                write_c_string(w, content_encoding);
                write_c_string(w, mime_format);
            }),
        }
    }
}

/// A NUL-terminated UTF-8 string, as the text sample entries store theirs.
fn write_c_string(w: &mut BoxWriter, s: &str) {
    w.bytes(s.as_bytes());
    w.u8(0);
}

/// The 78 bytes of VisualSampleEntry fields after the box header.
fn write_visual_fields(w: &mut BoxWriter, width: u16, height: u16) {
    w.zeros(6);
    w.u16(1); // data_reference_index
    w.zeros(16);
    w.u16(width);
    w.u16(height);
    w.u32(0x0048_0000);
    w.u32(0x0048_0000);
    w.u32(0);
    w.u16(1); // frame_count
    w.zeros(32); // compressorname
    w.u16(0x0018);
    w.u16(0xFFFF);
}

/// The 28 bytes of AudioSampleEntry fields after the box header.
fn write_audio_fields(w: &mut BoxWriter, channels: u16, sample_size: u16, sample_rate: u32) {
    w.zeros(6);
    w.u16(1);
    w.zeros(8);
    w.u16(channels);
    w.u16(sample_size);
    w.u16(0);
    w.u16(0);
    // 16.16 fixed point cannot hold rates of 64 kHz and more; the esds carries the real one.
    w.u32(if sample_rate <= 0xFFFF {
        sample_rate << 16
    } else {
        0
    });
}

/// ES_Descriptor with DecoderConfigDescriptor, DecoderSpecificInfo and SLConfigDescriptor.
fn write_es_descriptor(w: &mut BoxWriter, asc: &[u8], avg: u32, max: u32, buffer: u32) {
    let mut dsi = Vec::with_capacity(asc.len() + 5);
    push_descriptor(&mut dsi, 0x05, asc);

    let mut dcd = Vec::with_capacity(13 + dsi.len());
    dcd.push(0x40); // objectTypeIndication: MPEG-4 audio
    dcd.push(0x15); // streamType audio << 2 | reserved 1
    dcd.extend_from_slice(&buffer.min(0x00FF_FFFF).to_be_bytes()[1..]);
    dcd.extend_from_slice(&max.to_be_bytes());
    dcd.extend_from_slice(&avg.to_be_bytes());
    dcd.extend_from_slice(&dsi);

    let mut es = Vec::with_capacity(dcd.len() + 16);
    es.extend_from_slice(&[0, 0, 0]); // ES_ID 0, flags 0
    push_descriptor(&mut es, 0x04, &dcd);
    push_descriptor(&mut es, 0x06, &[0x02]);

    let mut out = Vec::with_capacity(es.len() + 5);
    push_descriptor(&mut out, 0x03, &es);
    w.bytes(&out);
}

/// Appends tag, the expandable length (7 bits a byte, high bit = more) and the body.
fn push_descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    let len = body.len();
    let mut shift = 21;
    let mut started = false;
    while shift > 0 {
        let part = (len >> shift) & 0x7F;
        if part != 0 || started {
            out.push(0x80 | part as u8);
            started = true;
        }
        shift -= 7;
    }
    out.push((len & 0x7F) as u8);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp4a_esds_layout() {
        let entry = SampleEntry::Aac {
            channels: 2,
            sample_rate: 48_000,
            asc: vec![0x11, 0x90],
            avg_bitrate: 128_000,
            max_bitrate: 130_000,
            buffer_size: 768,
        };
        let mut w = BoxWriter::new();
        entry.write(&mut w, None);
        let b = w.as_slice();
        assert_eq!(&b[4..8], b"mp4a");
        assert_eq!(&b[8 + 16..8 + 18], &[0, 2]);
        assert_eq!(&b[8 + 24..8 + 28], &[0xBB, 0x80, 0, 0]);
        let esds = &b[36..];
        assert_eq!(&esds[4..8], b"esds");
        // ES_Descriptor: tag 3, len 25 = 3 + (2+17) + (2+1); DCD len 17 = 13 + (2+2).
        assert_eq!(
            hex::encode(&esds[12..]),
            "03190000000411401500030000\
             01fbd00001f40005021190060102"
        );
    }

    #[test]
    fn long_descriptor_lengths() {
        let mut out = Vec::new();
        push_descriptor(&mut out, 5, &[0; 200]);
        assert_eq!(&out[..3], &[5, 0x81, 0x48]);
        assert_eq!(out.len(), 203);
    }

    #[test]
    fn avc1_layout() {
        let entry = SampleEntry::Avc {
            width: 640,
            height: 360,
            avcc: vec![1, 0x64, 0, 0x1e, 0xff, 0xe0, 0],
            pixel_aspect: None,
        };
        let mut w = BoxWriter::new();
        entry.write(&mut w, None);
        let b = w.as_slice();
        assert_eq!(b.len(), 86 + 8 + 7);
        assert_eq!(&b[32..36], &[2, 128, 1, 104]);
        assert_eq!(&b[90..94], b"avcC");
    }
}
