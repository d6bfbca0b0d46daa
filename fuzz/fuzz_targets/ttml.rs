//! Feeds arbitrary bytes to the TTML caption splitter: it must return an error or
//! samples that are in time order, non-empty, not overlapping, and each a document that
//! splits again into exactly itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::codec::ttml::split_cues;

fuzz_target!(|data: &[u8]| {
    let Ok(captions) = split_cues(data) else {
        return;
    };
    let mut previous_end = 0;
    for sample in &captions.samples {
        assert!(sample.begin < sample.end);
        assert!(sample.begin >= previous_end);
        previous_end = sample.end;
        let again = split_cues(&sample.document).expect("a sample is a valid document");
        assert_eq!(again.samples.len(), 1);
    }
});
