//! Feeds arbitrary bytes to the TTML caption splitter. It must return an error or samples
//! that are in time order without overlap, each lasting from 1 tick to
//! `MAX_SAMPLE_DURATION`, each a well-formed XML document (read to its end by quick-xml,
//! with the check the unit tests use) no larger than the input allows, and each splitting
//! again into samples that cover its own time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::codec::ttml::{MAX_SAMPLE_DURATION, split_cues};

#[path = "../../src/codec/ttml/well_formed.rs"]
mod well_formed;

use well_formed::assert_well_formed;

/// What a sample may add to the input: an XML declaration rewritten to say UTF-8.
const SLACK: usize = 64;

/// How many samples of an input are split again.
const RESPLIT: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Ok(captions) = split_cues(data) else {
        return;
    };
    // A sample is cut from the input's text; from UTF-16 (2 bytes a unit after a 2-byte
    // mark) that text is UTF-8, up to 3 bytes a unit.
    let text_size = match data {
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => (data.len() - 2) / 2 * 3,
        _ => data.len(),
    };
    let mut previous_end = 0;
    for (n, sample) in captions.samples.iter().enumerate() {
        assert!(sample.begin < sample.end);
        assert!(sample.end - sample.begin <= MAX_SAMPLE_DURATION);
        assert!(sample.begin >= previous_end, "samples overlap");
        previous_end = sample.end;
        assert!(sample.document.len() <= text_size + SLACK);
        assert_well_formed(&sample.document);
        // A piece of a long caption splits again into all the caption's pieces (up to
        // 1 000), so re-splitting every sample would make a run quadratic.
        if n >= RESPLIT {
            continue;
        }
        let again = split_cues(&sample.document).expect("a sample is a valid document");
        let (first, last) = (again.samples.first(), again.samples.last());
        assert!(first.is_some_and(|s| s.begin <= sample.begin));
        assert!(last.is_some_and(|s| s.end >= sample.end));
    }
});
