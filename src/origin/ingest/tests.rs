use super::*;
use crate::origin::testing::{EOS, aac_stream};

fn limits() -> IngestLimits {
    IngestLimits::default()
}

/// The whole body of a push: header, fragments, end of stream.
fn body(count: usize) -> (Vec<u8>, crate::origin::testing::TestStream) {
    let s = aac_stream("audio", 96_000, count);
    let mut body = s.header.to_vec();
    for f in &s.fragments {
        body.extend_from_slice(f);
    }
    body.extend_from_slice(&EOS);
    (body, s)
}

#[test]
fn a_push_parses_the_same_in_any_chunking() {
    let (body, s) = body(3);
    for chunk in [1, 7, 100, body.len()] {
        let mut p = IngestParser::new(limits());
        let mut events = Vec::new();
        for piece in body.chunks(chunk) {
            events.extend(p.push(piece).unwrap());
        }
        p.finish().unwrap();
        assert_eq!(events.len(), 5, "chunks of {chunk}");
        let IngestEvent::Header(h) = &events[0] else {
            panic!("header first")
        };
        assert_eq!(h.bytes, s.header);
        assert_eq!(h.timescale, 10_000_000);
        assert_eq!(h.tracks.len(), 1);
        assert_eq!(
            (h.tracks[0].bitrate, h.tracks[0].fourcc.as_str()),
            (96_000, "AACL")
        );
        assert_eq!(h.moov_tracks, 1);
        assert!(h.file_header.starts_with(&s.header[..24]), "ftyp first");
        for (i, e) in events[1..4].iter().enumerate() {
            let IngestEvent::Fragment(f) = e else {
                panic!("fragment")
            };
            assert_eq!(f.data, s.fragments[i]);
            assert_eq!((f.time, f.duration), s.times[i]);
            assert_eq!(f.sequence as usize, i + 1);
            assert_eq!(f.track_id, h.tracks[0].track_id);
        }
        assert_eq!(events[4], IngestEvent::EndOfStream);
    }
}

#[test]
fn a_body_ending_inside_a_box_is_refused_at_its_end() {
    let (body, _) = body(1);
    let mut p = IngestParser::new(limits());
    p.push(&body[..body.len() - 20]).unwrap();
    let e = p.finish().unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("ended inside"), "{e}");
    // A header alone (an encoder that reconnects before its first fragment) is fine.
    let s = aac_stream("audio", 96_000, 0);
    let mut p = IngestParser::new(limits());
    assert_eq!(p.push(&s.header).unwrap().len(), 1);
    p.finish().unwrap();
}

#[test]
fn declared_sizes_over_the_bounds_are_refused_before_any_buffering() {
    let s = aac_stream("audio", 96_000, 1);
    let mut p = IngestParser::new(limits());
    p.push(&s.header).unwrap();
    // A 2 GB mdat after a real moof.
    let moof_len = u32::from_be_bytes(s.fragments[0][..4].try_into().unwrap()) as usize;
    let mut huge = s.fragments[0][..moof_len].to_vec();
    huge.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    huge.extend_from_slice(b"mdat");
    let e = p.push(&huge).unwrap_err();
    assert_eq!(e.status, 413, "{e}");
    // A 64-bit declared moof.
    let mut p = IngestParser::new(limits());
    p.push(&s.header).unwrap();
    let mut large = vec![0, 0, 0, 1];
    large.extend_from_slice(b"moof");
    large.extend_from_slice(&(1u64 << 40).to_be_bytes());
    assert_eq!(p.push(&large).unwrap_err().status, 413);
    // A header that never ends.
    let mut p = IngestParser::new(IngestLimits {
        max_header_bytes: 64,
        ..limits()
    });
    assert_eq!(p.push(&s.header).unwrap_err().status, 413);
}

#[test]
fn malformed_bodies_say_what_is_wrong() {
    let s = aac_stream("audio", 96_000, 1);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GARBAGE!GARBAGE!".to_vec(), "must start with ftyp"),
        (
            [0, 0, 0, 0].iter().chain(b"ftyp").copied().collect(),
            "size 0",
        ),
        (
            [0, 0, 0, 4].iter().chain(b"ftyp").copied().collect(),
            "smaller than its header",
        ),
        (
            [&s.header[..24], &[0, 0, 0, 8, b'm', b'o', b'o', b'v']].concat(),
            "moov before the Live Server Manifest",
        ),
        (
            [&s.header[..], b"\0\0\0\x10moov\0\0\0\0\0\0\0\0"].concat(),
            "where a moof",
        ),
        (
            [&s.header[..], &EOS, &s.fragments[0][..]].concat(),
            "after the end-of-stream",
        ),
    ];
    for (bytes, expected) in cases {
        let mut p = IngestParser::new(limits());
        let e = p.push(&bytes).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains(expected), "{e} / {expected}");
    }
}

#[test]
fn fragments_must_agree_with_their_mdat_and_carry_a_tfxd() {
    let s = aac_stream("audio", 96_000, 1);
    let mut fragment = s.fragments[0].to_vec();
    // One sample byte more in the mdat than the trun says.
    let moof_len = u32::from_be_bytes(fragment[..4].try_into().unwrap()) as usize;
    let mdat_len = u32::from_be_bytes(fragment[moof_len..moof_len + 4].try_into().unwrap());
    fragment[moof_len..moof_len + 4].copy_from_slice(&(mdat_len + 1).to_be_bytes());
    fragment.push(0);
    let mut p = IngestParser::new(limits());
    p.push(&s.header).unwrap();
    let e = p.push(&fragment).unwrap_err();
    assert!(e.message.contains("sample bytes"), "{e}");
    // The tfxd's uuid damaged: no tfxd.
    let mut fragment = s.fragments[0].to_vec();
    let at = fragment
        .windows(16)
        .position(|w| w == crate::isobmff::uuids::TFXD_UUID)
        .unwrap();
    fragment[at] ^= 0xFF;
    let mut p = IngestParser::new(limits());
    p.push(&s.header).unwrap();
    assert!(p.push(&fragment).unwrap_err().message.contains("no tfxd"));
}

#[test]
fn free_boxes_between_fragments_are_skipped_without_recursion() {
    let s = aac_stream("audio", 96_000, 1);
    let mut body = s.header.to_vec();
    for _ in 0..100_000 {
        body.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
    }
    body.extend_from_slice(&s.fragments[0]);
    let mut p = IngestParser::new(limits());
    assert_eq!(p.push(&body).unwrap().len(), 2);
}
