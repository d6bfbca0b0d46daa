//! Feeds arbitrary bytes to the H.264 parameter set parsers: `Sps::parse`, `Pps::parse`
//! and `AvcDecoderConfig::parse` (plus `to_avcc`, `codec_private_data` and `sps_info` on
//! success), and `AvcDecoderConfig::from_access_unit` for every `NalFormat`.
//!
//! The first byte is also tried as a NAL header over the rest, so the SPS and PPS parsers
//! see their own NAL types as often as not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::codec::avc::{AvcDecoderConfig, NalFormat, Pps, Sps};

fuzz_target!(|data: &[u8]| {
    let _ = Sps::parse(data);
    let _ = Pps::parse(data);
    // The same bytes behind the right header byte, so that the type check does not reject
    // almost every input.
    if let Some(rest) = data.get(1..) {
        let mut sps = vec![0x67];
        sps.extend_from_slice(rest);
        let _ = Sps::parse(&sps);
        let mut pps = vec![0x68];
        pps.extend_from_slice(rest);
        let _ = Pps::parse(&pps);
    }

    if let Ok(config) = AvcDecoderConfig::parse(data) {
        let avcc = config.to_avcc();
        let _ = config.codec_private_data();
        let _ = config.sps_info();
        // What to_avcc writes must parse again (it always writes 4-byte lengths).
        let again = AvcDecoderConfig::parse(&avcc).expect("to_avcc output re-parses");
        assert_eq!(again.sps, config.sps);
        assert_eq!(again.pps, config.pps);
    }

    for format in [
        NalFormat::AnnexB,
        NalFormat::LengthPrefixed(1),
        NalFormat::LengthPrefixed(2),
        NalFormat::LengthPrefixed(3),
        NalFormat::LengthPrefixed(4),
    ] {
        if let Ok(Some(config)) = AvcDecoderConfig::from_access_unit(data, format) {
            let _ = config.to_avcc();
            let _ = config.codec_private_data();
            let _ = config.sps_info();
        }
    }
});
