//! Feeds arbitrary bytes to the NAL framing helpers of `ssf::codec::bitstream`:
//! `to_length_prefixed4` for every `NalFormat` (including the invalid length size 3),
//! `split_annexb`, `length_prefixed_nals` for every length size, `nal_units`,
//! `annexb_to_length_prefixed4` and `remove_emulation_prevention` under both rules, and
//! checks the invariants the muxer relies on.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ssf::codec::bitstream::{
    Escaping, NalFormat, annexb_to_length_prefixed4, length_prefixed_nals, nal_units,
    remove_emulation_prevention, split_annexb, to_length_prefixed4,
};

fuzz_target!(|data: &[u8]| {
    let sample = Bytes::copy_from_slice(data);
    for size in 0..=5u8 {
        let format = NalFormat::LengthPrefixed(size);
        if let Ok(out) = to_length_prefixed4(&sample, format) {
            // Whatever came in, what goes out walks cleanly with 4-byte lengths.
            for nal in length_prefixed_nals(&out, 4) {
                nal.expect("to_length_prefixed4 output has valid 4-byte lengths");
            }
        }
        let walked: Vec<_> = length_prefixed_nals(data, size).collect();
        let either: Vec<_> = nal_units(data, format).collect();
        assert_eq!(walked.len(), either.len());
    }
    if let Ok(out) = to_length_prefixed4(&sample, NalFormat::AnnexB) {
        let nals: Vec<&[u8]> = length_prefixed_nals(&out, 4)
            .collect::<Result<_, _>>()
            .expect("Annex B conversion has valid 4-byte lengths");
        assert_eq!(nals, split_annexb(data).collect::<Vec<_>>());
    }

    for nal in split_annexb(data) {
        assert!(!nal.is_empty(), "split_annexb yields no empty NAL unit");
        let rbsp = remove_emulation_prevention(nal, Escaping::H264);
        assert!(rbsp.len() <= nal.len());
    }
    let mut out = Vec::new();
    let _ = annexb_to_length_prefixed4(data, &mut out);

    let h264 = remove_emulation_prevention(data, Escaping::H264);
    let vc1 = remove_emulation_prevention(data, Escaping::Vc1);
    // VC-1 removes a subset of what H.264 removes.
    assert!(h264.len() <= vc1.len() && vc1.len() <= data.len());
});
