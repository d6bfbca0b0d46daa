//! The reader cuts access units out of its read buffer: whatever the start codes (3 or
//! 4 bytes, trailing zero bytes) and wherever the reads end, the samples are the stream's
//! NAL units behind 4-byte lengths, as a plain conversion makes them.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::AccessUnitReader;
use crate::codec::bitstream::{annexb_to_length_prefixed4, split_annexb};

const STREAMS: [&[u8]; 3] = [
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/avc/small_bframes.h264"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/avc/baseline.h264"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/avc/interlaced.h264"
    )),
];

/// The stream's NAL units joined again with the start code `separator(i)` before unit i.
fn rejoin(data: &[u8], separator: impl Fn(usize) -> &'static [u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, nal) in split_annexb(data).enumerate() {
        out.extend_from_slice(separator(i));
        out.extend_from_slice(nal);
    }
    out
}

fn variants(data: &[u8]) -> Vec<Vec<u8>> {
    vec![
        data.to_vec(),
        rejoin(data, |_| &[0, 0, 0, 1]),
        rejoin(data, |_| &[0, 0, 1]),
        rejoin(data, |i| match i % 3 {
            0 => &[0, 0, 0, 1],
            1 => &[0, 0, 1],
            _ => &[0, 0, 0, 0, 0, 1],
        }),
    ]
}

#[test]
fn samples_equal_a_plain_conversion_for_any_start_codes_and_read_sizes() {
    for (n, stream) in STREAMS.iter().enumerate() {
        for (v, data) in variants(stream).iter().enumerate() {
            let mut expected = Vec::new();
            annexb_to_length_prefixed4(data, &mut expected).unwrap();
            for chunk in [1, 2, 3, 5, 64, 1000, 4096, 1 << 20] {
                let mut reader = AccessUnitReader::with_chunk(data.as_slice(), chunk);
                // Held to the end, as a muxer holds a fragment's: the read buffers they
                // were cut from stay shared, and must not be read into again.
                let mut aus = Vec::new();
                while let Some(au) = reader.next_access_unit().unwrap() {
                    aus.push(au);
                }
                let got: Vec<u8> = aus.iter().flat_map(|au| au.data.to_vec()).collect();
                let offsets: Vec<usize> = aus.iter().map(|au| au.offset).collect();
                assert_eq!(got, expected, "stream {n} variant {v} chunk {chunk}");
                // Each offset is just after a start code of the stream.
                assert!(offsets.iter().all(|&o| data[o - 3..o] == [0, 0, 1]));
            }
        }
    }
}

#[test]
fn four_byte_start_codes_are_rewritten_in_place() {
    let data = rejoin(STREAMS[0], |_| &[0, 0, 0, 1]);
    let mut reader = AccessUnitReader::with_chunk(data.as_slice(), 1 << 20);
    let first = reader.next_access_unit().unwrap().unwrap();
    let second = reader.next_access_unit().unwrap().unwrap();
    // Cut from one buffer, back to back: the second starts where the first ends.
    assert_eq!(
        first.data.as_ptr_range().end,
        second.data.as_ptr(),
        "both access units are slices of the read buffer"
    );
}

#[test]
fn access_units_left_in_the_file_are_its_nal_units_behind_their_lengths() {
    use crate::mux::Chunk;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    for (n, stream) in STREAMS.iter().enumerate() {
        for (v, data) in variants(stream).iter().enumerate() {
            let mut expected = Vec::new();
            annexb_to_length_prefixed4(data, &mut expected).unwrap();
            let path = dir.path().join(format!("{n}-{v}.h264"));
            std::fs::write(&path, data).unwrap();
            for (chunk, all) in [(3, true), (4096, true), (1 << 20, true), (4096, false)] {
                let file = std::fs::File::open(&path).unwrap();
                let mut reader = AccessUnitReader::with_chunk(file, chunk);
                let again = Arc::new(std::fs::File::open(&path).unwrap());
                reader.leave_in_file(again, if all { 0 } else { super::MIN_IN_FILE });
                let mut got = Vec::new();
                while let Some(au) = reader.next_access_unit().unwrap() {
                    if au.pieces.is_empty() {
                        // Small units are copied out, never pinning the read buffer.
                        assert!(!all && au.data.len() < super::MIN_IN_FILE);
                        got.extend_from_slice(&au.data);
                        continue;
                    }
                    assert!(au.data.is_empty());
                    // A length in memory, then the unit's range of the file, for each.
                    for pair in au.pieces.chunks(2) {
                        assert!(matches!(pair, [Chunk::Memory(_), Chunk::File(_)]));
                    }
                    for piece in &au.pieces {
                        got.extend_from_slice(&piece.to_bytes().unwrap());
                    }
                }
                assert_eq!(got, expected, "stream {n} variant {v} chunk {chunk}");
            }
        }
    }
}
