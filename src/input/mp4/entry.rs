//! Sample descriptions (`stsd`): the H.264 `avcC` and the AAC AudioSpecificConfig, taken
//! raw from the file so nothing a decoder needs is lost (HE-AAC's SBR/PS signalling lives
//! in bits a re-serialised config would drop).

use super::boxes::{at, malformed};
use super::track::SampleEntry;
use crate::error::Result;
use crate::isobmff::reader::{BoxRef, ByteCursor};

/// Fixed fields of a VisualSampleEntry before its child boxes.
const VISUAL_FIELDS: usize = 78;

/// Fixed fields of an AudioSampleEntry (and of QuickTime's sound description version 0).
const AUDIO_FIELDS: usize = 28;

/// objectTypeIndication values whose DecoderSpecificInfo is an AudioSpecificConfig:
/// MPEG-4 audio, and MPEG-2 AAC Main, LC and SSR.
const AAC_OBJECT_TYPES: [u8; 4] = [0x40, 0x66, 0x67, 0x68];

/// The first sample entry of an `stsd` box.
pub(crate) fn parse_stsd(stsd: &BoxRef<'_>) -> Result<SampleEntry> {
    let Some(entry) = stsd.children_at(8).next().transpose()? else {
        return Err(malformed("stsd", stsd.offset, "no sample entry"));
    };
    match &entry.box_type {
        b"avc1" | b"avc3" => {
            let avcc = child(&entry, VISUAL_FIELDS, b"avcC")?
                .ok_or_else(|| malformed("avc1", entry.offset, "no avcC box"))?;
            Ok(SampleEntry::Avc {
                fourcc: entry.box_type,
                avcc: avcc.payload().to_vec(),
            })
        }
        b"mp4a" => mp4a(&entry),
        _ => Ok(SampleEntry::Other {
            fourcc: entry.box_type,
            object_type: None,
        }),
    }
}

/// The first child of type `t` of a sample entry whose children follow `skip` bytes.
fn child<'a>(entry: &BoxRef<'a>, skip: usize, t: &[u8; 4]) -> Result<Option<BoxRef<'a>>> {
    for b in entry.children_at(skip) {
        let b = b?;
        if b.is(t) {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// An `mp4a` entry: AAC with its AudioSpecificConfig, or another MPEG audio by its
/// objectTypeIndication.
fn mp4a(entry: &BoxRef<'_>) -> Result<SampleEntry> {
    // QuickTime sound descriptions version 1 and 2 (in .mov and some .m4a) add 16 or 36
    // bytes of fields, and may put the esds inside a `wave` box.
    let mut c = ByteCursor::at(entry.payload(), entry.payload_offset(), "mp4a");
    c.skip(8)?;
    let skip = match c.u16()? {
        1 => AUDIO_FIELDS + 16,
        2 => AUDIO_FIELDS + 36,
        _ => AUDIO_FIELDS,
    };
    let esds = match child(entry, skip, b"esds")? {
        Some(esds) => esds,
        None => child(entry, skip, b"wave")?
            .map(|wave| wave.find("esds"))
            .transpose()?
            .flatten()
            .ok_or_else(|| malformed("mp4a", entry.offset, "no esds box"))?,
    };
    let (object_type, config) = decoder_config(&esds)?;
    if !AAC_OBJECT_TYPES.contains(&object_type) {
        return Ok(SampleEntry::Other {
            fourcc: entry.box_type,
            object_type: Some(object_type),
        });
    }
    let asc = config.ok_or_else(|| {
        malformed(
            "esds",
            esds.offset,
            "AAC without a DecoderSpecificInfo (AudioSpecificConfig)",
        )
    })?;
    Ok(SampleEntry::Aac { asc: asc.to_vec() })
}

/// The objectTypeIndication and the DecoderSpecificInfo (if any) of an `esds` box
/// (ISO 14496-1 §7.2.6: ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo).
fn decoder_config<'a>(esds: &BoxRef<'a>) -> Result<(u8, Option<&'a [u8]>)> {
    let mut c = ByteCursor::at(esds.payload(), esds.payload_offset(), "esds");
    c.skip(4)?; // version and flags
    let mut es = descriptor(&mut c, 0x03)?
        .ok_or_else(|| malformed("esds", esds.payload_offset(), "no ES_Descriptor"))?;
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
    let mut dcd = descriptor(&mut es, 0x04)?
        .ok_or_else(|| malformed("esds", esds.payload_offset(), "no DecoderConfigDescriptor"))?;
    let object_type = dcd.u8()?;
    dcd.skip(12)?; // streamType, bufferSizeDB, maxBitrate, avgBitrate
    let dsi = descriptor(&mut dcd, 0x05)?.map(|mut d| d.rest());
    Ok((object_type, dsi))
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
            return Err(malformed("esds", start, "descriptor length over 4 bytes"));
        }
        let body_at = c.offset();
        let body = c.bytes(len).map_err(|_| {
            crate::Error::malformed(
                "esds",
                at(start),
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
