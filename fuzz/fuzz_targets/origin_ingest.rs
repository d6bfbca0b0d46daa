//! Feeds arbitrary bytes to the origin's live ingest parser (`ssf::origin::IngestParser`)
//! as an ingest POST body, cut into chunks of a size taken from the first byte so box
//! boundaries fall anywhere, and checks that the chunking never changes the outcome: the
//! same events, or the same refusal (status and message). Small bounds (64 KiB header,
//! 1 MiB fragment) make the 413 paths reachable. Also feeds the text to the SMIL reader
//! the origin uses for `.ism` files and Live Server Manifests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::origin::{IngestEvent, IngestLimits, IngestParser, smil};

const LIMITS: IngestLimits = IngestLimits {
    max_header_bytes: 64 << 10,
    max_fragment_bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let whole = IngestParser::new(LIMITS).push(body);

    let mut parser = IngestParser::new(LIMITS);
    let mut events: Vec<IngestEvent> = Vec::new();
    let mut refused = None;
    for piece in body.chunks(usize::from(split).max(1)) {
        match parser.push(piece) {
            Ok(more) => events.extend(more),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    match (whole, refused) {
        (Ok(all), None) => {
            assert_eq!(all, events, "chunking changed the events");
            // The end of the body is either clean or refused with 400.
            if let Err(e) = parser.finish() {
                assert_eq!(e.status, 400);
            }
        }
        (Err(a), Some(b)) => assert_eq!(a, b, "chunking changed the refusal"),
        (a, b) => panic!("chunking changed the outcome: {a:?} / {b:?}"),
    }
    for e in &events {
        if let IngestEvent::Fragment(f) = e {
            assert!(f.moof_len <= f.data.len());
            assert!(f.data.len() <= LIMITS.max_fragment_bytes);
        }
        if let IngestEvent::Header(h) = e {
            assert!(h.bytes.len() <= LIMITS.max_header_bytes);
            assert!(!h.tracks.is_empty());
        }
    }

    if let Ok(doc) = smil::parse(&String::from_utf8_lossy(body)) {
        for track in &doc.tracks {
            let _ = track.to_manifest_track();
            let _ = track.name();
        }
    }
    let _ = smil::decode_text(body);
});
