//! Feeds arbitrary bytes to the ISO BMFF box reader: `reader::boxes` walked depth first
//! (each box's `children()` and `children_at(8)`), every typed parser (`Ftyp`, `Mvhd`,
//! `Tkhd`, `Mdhd`, `Hdlr`, `Trex`, `Mfhd`, `Tfhd`, `Trun`, `Tfxd`, `Tfrf`, `Tfra`, `Mfro`)
//! on every box found, the path searches, and `dump`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::isobmff::reader::{
    self, BoxIter, BoxRef, Ftyp, Hdlr, Mdhd, Mfhd, Mfro, Mvhd, Tfhd, Tfra, Tfrf, Tfxd, Tkhd, Trex,
    Trun,
};
use ssf::isobmff::uuids::{TFRF_UUID, TFXD_UUID};

/// Deepest nesting walked.
const MAX_DEPTH: usize = 32;
/// Boxes visited per input. Trying both child interpretations of every box makes the
/// walk exponential in the nesting depth (a run of zero bytes is a size-0 box in a size-0
/// box in …), so the harness caps it; the reader itself is linear per iterator. Real
/// files have far fewer boxes.
const MAX_VISITS: usize = 1_000;

fuzz_target!(|data: &[u8]| {
    walk(data);

    for path in [
        "moov/trak/mdia/minf/stbl/stsd",
        "moov/mvex/trex",
        "moof/traf/trun",
        "moof/traf/tfhd",
        "mfra/tfra",
        "mfra/mfro",
    ] {
        let _ = reader::find(data, path);
        let _ = reader::find_all(data, path);
    }
    let _ = reader::find(data, "not a path");

    let text = reader::dump(data);
    assert!(data.is_empty() || !text.is_empty(), "dump prints something");
});

/// Visits every box reachable through `children()` and `children_at(8)`, depth first.
///
/// Iterative on purpose: a recursive walk gives every path through the two kinds of
/// child an ASan stack trace of its own, and ASan keeps each distinct allocation stack
/// for the life of the process, so the run's memory grew without bound (to the 2 GB
/// limit in two minutes) although the reader allocates and frees only a little.
fn walk(data: &[u8]) {
    let mut visits = 0;
    let mut stack: Vec<(BoxIter<'_>, usize)> = vec![(reader::boxes(data), 0)];
    while let Some((iter, depth)) = stack.last_mut() {
        let depth = *depth;
        let Some(Ok(b)) = iter.next() else {
            stack.pop();
            continue;
        };
        visits += 1;
        if visits > MAX_VISITS {
            return;
        }
        check_box(&b);
        if depth < MAX_DEPTH {
            // Pushed in reverse so children() is walked first.
            stack.push((b.children_at(8), depth + 1));
            stack.push((b.children(), depth + 1));
        }
    }
}

/// Every accessor and parser on one box; only errors are allowed, never panics.
fn check_box(b: &BoxRef<'_>) {
    assert!(b.header_len <= b.data.len());
    assert_eq!(b.payload().len(), b.data.len() - b.header_len);
    let _ = (b.size(), b.payload_offset(), b.type_str(), b.full_box());
    let _ = b.find_uuid(&TFXD_UUID);
    let _ = b.find("traf/trun");
    let _ = b.find_all("traf");

    // Each parser on the boxes of its type: handing it another type only reaches the
    // type check, and formatting that error 14 times per box made runs 2x slower.
    match &b.box_type {
        b"ftyp" => drop(Ftyp::parse(b)),
        b"mvhd" => drop(Mvhd::parse(b)),
        b"tkhd" => drop(Tkhd::parse(b)),
        b"mdhd" => {
            if let Ok(mdhd) = Mdhd::parse(b) {
                let _ = mdhd.language_code();
            }
        }
        b"hdlr" => drop(Hdlr::parse(b)),
        b"trex" => drop(Trex::parse(b)),
        b"mfhd" => drop(Mfhd::parse(b)),
        b"tfhd" => drop(Tfhd::parse(b)),
        b"trun" => {
            if let Ok(trun) = Trun::parse(b) {
                for i in 0..=trun.samples.len() {
                    let _ = trun.sample_flags(i, Some(0));
                }
            }
        }
        b"tfra" => drop(Tfra::parse(b)),
        b"mfro" => drop(Mfro::parse(b)),
        b"uuid" => {
            let _ = Tfxd::parse(b);
            let _ = Tfrf::parse(b);
        }
        _ => {}
    }
    let _ = b.is_uuid(&TFRF_UUID);
}
