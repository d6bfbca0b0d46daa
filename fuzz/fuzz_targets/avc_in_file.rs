//! Arbitrary bytes as a raw H.264 Annex B file, read twice by `AccessUnitReader`: from
//! memory, and from the file with every access unit left in it (`leave_in_file(_, 0)`).
//! Both readings must agree: the same access units, errors at the same point, and each
//! unit's pieces (lengths in memory, ranges of the file) must read back as the bytes the
//! memory reading cut. Panics and hangs are not fine either.
#![no_main]

use std::io::{Cursor, Seek, Write};
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ssf::input::h264::AccessUnitReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::tempfile() else {
        return;
    };
    if file.write_all(data).is_err() || file.rewind().is_err() {
        return;
    }
    let Ok(again) = file.try_clone() else {
        return;
    };
    let mut memory = AccessUnitReader::new(Cursor::new(data));
    let mut in_file = AccessUnitReader::new(file);
    in_file.leave_in_file(Arc::new(again), 0);
    loop {
        let (a, b) = (memory.next_access_unit(), in_file.next_access_unit());
        let (a, b) = match (a, b) {
            (Ok(Some(a)), Ok(Some(b))) => (a, b),
            (Ok(None), Ok(None)) | (Err(_), Err(_)) => return,
            (a, b) => panic!("readings differ: {a:?} / {b:?}"),
        };
        assert!(b.data.is_empty() || a.data.is_empty());
        let mut read_back = Vec::new();
        for piece in &b.pieces {
            read_back.extend_from_slice(&piece.to_bytes().expect("a piece reads back"));
        }
        read_back.extend_from_slice(&b.data);
        assert_eq!(read_back, a.data.as_ref(), "the same bytes");
        assert_eq!((a.poc, a.is_idr, a.offset), (b.poc, b.is_idr, b.offset));
    }
});
