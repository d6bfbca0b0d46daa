//! Sample descriptions (`stsd`): the H.264 `avcC` and the AAC AudioSpecificConfig, taken
//! raw from the file so nothing a decoder needs is lost (HE-AAC's SBR/PS signalling lives
//! in bits a re-serialised config would drop).

use super::boxes::malformed;
use super::track::SampleEntry;
use crate::error::Result;
use crate::isobmff::reader::{BoxRef, ByteCursor, Esds};

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
    let Esds {
        object_type,
        decoder_specific_info: config,
        ..
    } = Esds::parse(&esds)?;
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
