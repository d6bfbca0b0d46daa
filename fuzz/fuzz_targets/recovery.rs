//! Feeds arbitrary bytes to what crash recovery parses besides boxes: the journal
//! (`ssf::vod::journal::parse`, whose records must re-parse to themselves when written
//! back is not promised, so only totality is checked) and the header patcher
//! (`ssf::vod::patch_header`), which must either fail leaving the bytes unchanged or
//! change nothing but the fields it names (the length never changes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ssf::vod::journal::parse(data);
    let mut header = data.to_vec();
    match ssf::vod::patch_header(&mut header, 0x0102_0304_0506_0708, 0x0A0B_0C0D) {
        Ok(()) => assert_eq!(header.len(), data.len()),
        Err(_) => assert_eq!(header, data, "a refused header was changed"),
    }
});
