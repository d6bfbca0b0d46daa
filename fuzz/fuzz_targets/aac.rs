//! Feeds arbitrary bytes to the AAC parsers: `AudioSpecificConfig::parse` (whose
//! `to_bytes` output must parse back to an equal config, as its doc promises),
//! `AdtsHeader::parse` (+ `audio_specific_config`), `AdtsFrames` over the buffer and
//! `AdtsReader` over a `Cursor` of it, which must agree frame for frame.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use ssf::codec::aac::AudioSpecificConfig;
use ssf::input::adts::{AdtsFrames, AdtsHeader, AdtsReader};

fuzz_target!(|data: &[u8]| {
    if let Ok(asc) = AudioSpecificConfig::parse(data) {
        let bytes = asc.to_bytes();
        let again = AudioSpecificConfig::parse(&bytes).expect("to_bytes output re-parses");
        assert_eq!(
            again, asc,
            "to_bytes round trip of {data:02x?} gave {bytes:02x?}"
        );
        let _ = (
            asc.samples_per_frame(),
            asc.output_sampling_rate(),
            asc.channels(),
            asc.fourcc(),
        );
    }

    if let Ok(header) = AdtsHeader::parse(data) {
        let _ = header.sampling_rate();
        if let Ok(asc) = header.audio_specific_config() {
            let again = AudioSpecificConfig::parse(&asc.to_bytes()).expect("ADTS ASC re-parses");
            assert_eq!(again, asc);
        }
    }

    let frames: Vec<_> = AdtsFrames::new(data).collect();
    for frame in frames.iter().flatten() {
        assert!(frame.payload.start <= frame.payload.end && frame.payload.end <= data.len());
    }
    let read: Vec<_> = AdtsReader::new(Cursor::new(data)).collect();
    // Both walk the same frames: the same count of good ones, with the same headers and
    // payloads, and an error at the same place.
    assert_eq!(frames.len(), read.len());
    for (frame, read) in frames.iter().zip(&read) {
        match (frame, read) {
            (Ok(frame), Ok((header, payload))) => {
                assert_eq!(&frame.header, header);
                assert_eq!(&data[frame.payload.clone()], &payload[..]);
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("AdtsFrames gave {a:?}, AdtsReader gave {b:?}"),
        }
    }
});
