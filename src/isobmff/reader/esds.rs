//! `esds`: the ES_Descriptor of an MPEG-4 sample entry (ISO 14496-14 §5.6, ISO 14496-1
//! §7.2.6), read down to what the crate needs of its DecoderConfigDescriptor: the MP4
//! reader takes the object type and the AudioSpecificConfig, recovery patches the bit
//! rates in place.

use super::{BoxRef, ByteCursor, err_offset};
use crate::error::{Error, Result};

/// ES_DescrTag.
const ES_DESCRIPTOR: u8 = 0x03;
/// DecoderConfigDescrTag.
const DECODER_CONFIG: u8 = 0x04;
/// DecSpecificInfoTag.
const DECODER_SPECIFIC_INFO: u8 = 0x05;

/// The DecoderConfigDescriptor of an `esds` box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Esds<'a> {
    /// objectTypeIndication (0x40 for MPEG-4 audio, 0x66 to 0x68 for MPEG-2 AAC, …).
    pub object_type: u8,
    /// maxBitrate in bits per second.
    pub max_bitrate: u32,
    /// avgBitrate in bits per second.
    pub avg_bitrate: u32,
    /// Absolute offset of maxBitrate, which avgBitrate follows, for rewriting them in
    /// place.
    pub max_bitrate_offset: u64,
    /// The DecoderSpecificInfo's bytes (for AAC, the AudioSpecificConfig), when present.
    pub decoder_specific_info: Option<&'a [u8]>,
}

impl<'a> Esds<'a> {
    /// Parses an `esds` box: ES_Descriptor > DecoderConfigDescriptor >
    /// DecoderSpecificInfo, each found among its siblings by tag and bounded by its
    /// length.
    pub fn parse(esds: &BoxRef<'a>) -> Result<Self> {
        let missing = |what: &str| {
            Error::malformed(
                "esds",
                err_offset(esds.payload_offset()),
                format!("no {what}"),
            )
        };
        if !esds.is(b"esds") {
            return Err(Error::malformed(
                "esds",
                err_offset(esds.offset),
                format!("expected an 'esds' box, found '{}'", esds.type_str()),
            ));
        }
        let mut c = ByteCursor::at(esds.payload(), esds.payload_offset(), "esds");
        c.skip(4)?; // version and flags
        let mut es = descriptor(&mut c, ES_DESCRIPTOR)?.ok_or_else(|| missing("ES_Descriptor"))?;
        es.skip(2)?; // ES_ID
        let flags = es.u8()?;
        if flags & 0x80 != 0 {
            es.skip(2)?; // dependsOn_ES_ID
        }
        if flags & 0x40 != 0 {
            let len = es.u8()?;
            es.skip(usize::from(len))?; // URL
        }
        if flags & 0x20 != 0 {
            es.skip(2)?; // OCR_ES_Id
        }
        let mut dcd = descriptor(&mut es, DECODER_CONFIG)?
            .ok_or_else(|| missing("DecoderConfigDescriptor"))?;
        let object_type = dcd.u8()?;
        dcd.skip(4)?; // streamType, upStream, reserved, bufferSizeDB
        let max_bitrate_offset = dcd.offset();
        let max_bitrate = dcd.u32()?;
        let avg_bitrate = dcd.u32()?;
        let decoder_specific_info =
            descriptor(&mut dcd, DECODER_SPECIFIC_INFO)?.map(|mut d| d.rest());
        Ok(Esds {
            object_type,
            max_bitrate,
            avg_bitrate,
            max_bitrate_offset,
            decoder_specific_info,
        })
    }
}

/// The body of the first descriptor tagged `tag` among those left in `c`, skipping
/// others; `None` if there is none. Each is a tag byte, an expandable length (7 bits a
/// byte, high bit = more, at most 4 bytes) and the body.
fn descriptor<'a>(c: &mut ByteCursor<'a>, tag: u8) -> Result<Option<ByteCursor<'a>>> {
    while c.remaining() > 0 {
        let start = c.offset();
        let found = c.u8()?;
        let mut len = 0usize;
        let mut done = false;
        for _ in 0..4 {
            let b = c.u8()?;
            len = (len << 7) | usize::from(b & 0x7F);
            if b & 0x80 == 0 {
                done = true;
                break;
            }
        }
        if !done {
            return Err(Error::malformed(
                "esds",
                err_offset(start),
                "descriptor length over 4 bytes",
            ));
        }
        let body_at = c.offset();
        let body = c.bytes(len).map_err(|_| {
            Error::malformed(
                "esds",
                err_offset(start),
                format!(
                    "descriptor {found:#04x} of {len} bytes runs past its parent ({} bytes left)",
                    c.remaining()
                ),
            )
        })?;
        if found == tag {
            return Ok(Some(ByteCursor::at(body, body_at, "esds")));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `esds` box around `es_body` (the ES_Descriptor's body).
    fn esds(es_body: &[u8]) -> Vec<u8> {
        let mut payload = vec![
            0,
            0,
            0,
            0,
            ES_DESCRIPTOR,
            0x80,
            0x80,
            0x80,
            es_body.len() as u8,
        ];
        payload.extend_from_slice(es_body);
        let mut b = ((8 + payload.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"esds");
        b.extend_from_slice(&payload);
        b
    }

    fn dcd(with_dsi: bool) -> Vec<u8> {
        let mut d = vec![
            DECODER_CONFIG,
            if with_dsi { 17 } else { 13 },
            0x40,
            0x15,
            0,
            0,
            0,
        ];
        d.extend_from_slice(&128_000u32.to_be_bytes());
        d.extend_from_slice(&96_000u32.to_be_bytes());
        if with_dsi {
            d.extend_from_slice(&[DECODER_SPECIFIC_INFO, 2, 0x11, 0x90]);
        }
        d
    }

    #[test]
    fn finds_the_decoder_config_and_its_bit_rates() {
        // ES_ID, flags with a URL of 2 bytes, then an unknown descriptor before the DCD.
        let mut body = vec![0, 1, 0x40, 2, b'a', b'b', 0x7F, 1, 0];
        body.extend(dcd(true));
        body.extend_from_slice(&[0x06, 1, 2]); // SLConfigDescriptor
        let file = esds(&body);
        let b = crate::isobmff::reader::boxes(&file)
            .next()
            .unwrap()
            .unwrap();
        let e = Esds::parse(&b).unwrap();
        assert_eq!(e.object_type, 0x40);
        assert_eq!((e.max_bitrate, e.avg_bitrate), (128_000, 96_000));
        let at = e.max_bitrate_offset as usize;
        assert_eq!(file[at..at + 4], 128_000u32.to_be_bytes());
        assert_eq!(e.decoder_specific_info, Some(&[0x11, 0x90][..]));
    }

    #[test]
    fn refuses_what_is_missing_or_cut() {
        let parse = |file: &[u8]| {
            let b = crate::isobmff::reader::boxes(file).next().unwrap().unwrap();
            Esds::parse(&b).map(|e| e.decoder_specific_info.is_some())
        };
        assert_eq!(
            parse(&esds(&[0, 1, 0])).unwrap_err().to_string(),
            "malformed esds at byte 8: no DecoderConfigDescriptor"
        );
        let mut body = vec![0, 1, 0];
        body.extend(dcd(false));
        assert!(!parse(&esds(&body)).unwrap());
        body.truncate(body.len() - 1);
        let err = parse(&esds(&body)).unwrap_err().to_string();
        assert!(err.contains("runs past its parent"), "{err}");
        let mut free = esds(&[0, 1, 0]);
        free[4..8].copy_from_slice(b"free");
        assert!(parse(&free).is_err());
    }
}
