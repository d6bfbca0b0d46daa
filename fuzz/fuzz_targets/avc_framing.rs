//! Feeds arbitrary bytes to the H.264 NAL framing helpers: `to_length_prefixed4` for
//! every `NalFormat` (including the invalid length size 3), `split_annexb`,
//! `length_prefixed_nals` for every length size, `annexb_to_length_prefixed4` and
//! `remove_emulation_prevention`, and checks the invariants the muxer relies on.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ssf::codec::avc::{
    NalFormat, annexb_to_length_prefixed4, length_prefixed_nals, remove_emulation_prevention,
    split_annexb, to_length_prefixed4,
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
        let _ = length_prefixed_nals(data, size).count();
    }
    if let Ok(out) = to_length_prefixed4(&sample, NalFormat::AnnexB) {
        let nals: Vec<&[u8]> = length_prefixed_nals(&out, 4)
            .collect::<Result<_, _>>()
            .expect("Annex B conversion has valid 4-byte lengths");
        assert_eq!(nals, split_annexb(data).collect::<Vec<_>>());
    }

    for nal in split_annexb(data) {
        assert!(!nal.is_empty(), "split_annexb yields no empty NAL unit");
        let rbsp = remove_emulation_prevention(nal);
        assert!(rbsp.len() <= nal.len());
    }
    let mut out = Vec::new();
    let _ = annexb_to_length_prefixed4(data, &mut out);

    let rbsp = remove_emulation_prevention(data);
    assert!(rbsp.len() <= data.len());
});
