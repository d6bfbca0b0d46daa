//! Unit tests of the MP4 reader's parts on small hand-made boxes: the header walk, the
//! table walks (run-length tables over billions of samples, `stsc` runs, `stss`), the
//! `esds` descriptors, the last-duration rule and the payload windows.

use std::io::Cursor;
use std::path::PathBuf;

use super::boxes::{BoxHeader, Children, Input};
use super::entry::parse_stsd;
use super::payload::PayloadReader;
use super::samples::last_duration;
use super::tables::{Runs, SampleToChunk, SyncSamples};
use super::track::SampleEntry;
use crate::isobmff::writer::BoxWriter;

/// An input over `data`.
fn input(data: Vec<u8>) -> Input<Cursor<Vec<u8>>> {
    Input::new(Cursor::new(data), PathBuf::from("test")).unwrap()
}

/// A file holding one full box `t` with `entries` (u32 fields) after an entry count.
fn table_box(t: &[u8; 4], entries: &[&[u32]]) -> (Input<Cursor<Vec<u8>>>, BoxHeader) {
    let mut w = BoxWriter::new();
    w.full_box(t, 0, 0, |w| {
        w.u32(entries.len() as u32);
        for e in entries {
            e.iter().for_each(|&v| w.u32(v));
        }
    });
    let mut input = input(w.into_vec());
    let b = Children::top(input.len())
        .next(&mut input)
        .unwrap()
        .unwrap();
    (input, b)
}

#[test]
fn headers_cover_largesize_size_zero_and_padding() {
    let mut w = BoxWriter::new();
    w.u32(1); // largesize follows
    w.bytes(b"free");
    w.u64(20);
    w.u32(0xDEAD_BEEF);
    w.u32(0); // runs to the end
    w.bytes(b"mdat");
    w.bytes(&[1, 2, 3]);
    let mut input = input(w.into_vec());
    let mut top = Children::top(input.len());
    let free = top.next(&mut input).unwrap().unwrap();
    assert_eq!(
        (free.box_type, free.header_len, free.size),
        (*b"free", 16, 20)
    );
    let mdat = top.next(&mut input).unwrap().unwrap();
    assert_eq!((mdat.offset, mdat.size, mdat.body_len()), (20, 11, 3));
    assert!(top.next(&mut input).unwrap().is_none());

    // Fewer than 8 bytes after the last box are padding.
    let mut input = self::input(vec![0, 0, 0, 8, b'f', b'r', b'e', b'e', 0, 0, 0, 0]);
    let mut top = Children::top(input.len());
    assert!(top.next(&mut input).unwrap().is_some());
    assert!(top.next(&mut input).unwrap().is_none());

    // A size below the header's is an error naming the box and offset.
    let mut input = self::input(vec![
        0, 0, 0, 8, b'f', b'r', b'e', b'e', 0, 0, 0, 4, b'm', b'o', b'o', b'v',
    ]);
    let mut top = Children::top(input.len());
    top.next(&mut input).unwrap();
    let e = top.next(&mut input).unwrap_err().to_string();
    assert!(
        e.contains("malformed box at byte 8") && e.contains("'moov' size 4"),
        "{e}"
    );
}

#[test]
fn run_summaries_count_entries_not_samples() {
    // Two entries covering 5 billion samples: summed without a loop per sample.
    let (mut input, b) = table_box(b"stts", &[&[0, 7], &[u32::MAX, 1000], &[u32::MAX, 3]]);
    let runs = Runs::parse(&mut input, &b, "stts").unwrap();
    let samples = 5_000_000_000u64;
    let s = runs.summary(&mut input, samples).unwrap();
    let in_second = u64::from(u32::MAX);
    assert_eq!(
        s.sum_but_last,
        in_second * 1000 + (samples - in_second - 1) * 3
    );
    assert_eq!((s.last, s.next_to_last, s.min_signed), (3, 3, 3));

    // The next-to-last sample in the entry before the last one's.
    let (mut input, b) = table_box(b"ctts", &[&[4, 512], &[1, (-256i32) as u32]]);
    let runs = Runs::parse(&mut input, &b, "ctts").unwrap();
    let s = runs.summary(&mut input, 5).unwrap();
    assert_eq!(
        (s.next_to_last, s.last, s.min_signed),
        (512, (-256i32) as u32, -256)
    );

    // Too short a table.
    let (mut input, b) = table_box(b"stts", &[&[3, 512]]);
    let e = Runs::parse(&mut input, &b, "stts")
        .unwrap()
        .summary(&mut input, 4)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("malformed stts at byte 16") && e.contains("before sample 3"),
        "{e}"
    );
}

#[test]
fn run_walks_skip_empty_entries() {
    let (mut input, b) = table_box(b"stts", &[&[2, 10], &[0, 99], &[1, 20]]);
    let mut runs = Runs::parse(&mut input, &b, "stts").unwrap();
    let values: Vec<u32> = (0..3).map(|n| runs.next(&mut input, n).unwrap()).collect();
    assert_eq!(values, [10, 10, 20]);
    assert!(runs.next(&mut input, 3).is_err());
}

#[test]
fn chunk_runs_skip_empty_and_zero_length_runs() {
    // Chunk 1: 2 samples; chunks 2-3: none; (a run of no chunks at 4); 4 on: 5 each.
    let (mut input, b) = table_box(b"stsc", &[&[1, 2, 1], &[2, 0, 1], &[4, 9, 1], &[4, 5, 1]]);
    let mut stsc = SampleToChunk::parse(&mut input, &b).unwrap();
    let chunks: Vec<(u64, u32)> = (0..3)
        .map(|_| stsc.next_chunk(&mut input).unwrap())
        .collect();
    assert_eq!(chunks, [(0, 2), (3, 5), (4, 5)]);

    // Runs going backwards.
    let (mut input, b) = table_box(b"stsc", &[&[1, 2, 1], &[5, 1, 1], &[3, 1, 1]]);
    let mut stsc = SampleToChunk::parse(&mut input, &b).unwrap();
    stsc.next_chunk(&mut input).unwrap();
    stsc.next_chunk(&mut input).unwrap();
    stsc.next_chunk(&mut input).unwrap();
    stsc.next_chunk(&mut input).unwrap();
    let e = stsc.next_chunk(&mut input).unwrap_err().to_string();
    assert!(e.contains("first_chunk 3 of entry 2"), "{e}");

    // A last run of empty chunks while samples remain.
    let (mut input, b) = table_box(b"stsc", &[&[1, 1, 1], &[2, 0, 1]]);
    let mut stsc = SampleToChunk::parse(&mut input, &b).unwrap();
    stsc.next_chunk(&mut input).unwrap();
    let e = stsc.next_chunk(&mut input).unwrap_err().to_string();
    assert!(e.contains("0 samples per chunk"), "{e}");
}

#[test]
fn sync_tables_must_increase_from_one() {
    let (mut input, b) = table_box(b"stss", &[&[1], &[3]]);
    let mut stss = SyncSamples::parse(&mut input, &b).unwrap();
    let sync: Vec<bool> = (0..5)
        .map(|n| stss.is_sync(&mut input, n).unwrap())
        .collect();
    assert_eq!(sync, [true, false, true, false, false]);

    let (mut input, b) = table_box(b"stss", &[&[0]]);
    let mut stss = SyncSamples::parse(&mut input, &b).unwrap();
    let e = stss.is_sync(&mut input, 0).unwrap_err().to_string();
    assert!(
        e.contains("malformed stss at byte 16") && e.contains("number 0"),
        "{e}"
    );
}

#[test]
fn the_last_duration_falls_back_when_implausible() {
    assert_eq!(last_duration(Some(1024), 1024), 1024);
    assert_eq!(last_duration(Some(204), 1024), 204);
    assert_eq!(last_duration(Some(4096), 1024), 4096);
    assert_eq!(last_duration(Some(4097), 1024), 1024);
    assert_eq!(last_duration(Some(0), 1024), 1024);
    assert_eq!(last_duration(None, 1024), 1024);
    assert_eq!(
        last_duration(Some(u64::MAX), 0),
        u64::MAX,
        "nothing to compare with"
    );
}

/// An `stsd` holding one audio sample entry `entry_type` with sound description
/// `version` and `children` written after its fixed fields.
fn stsd(entry_type: &[u8; 4], version: u16, children: impl FnOnce(&mut BoxWriter)) -> Vec<u8> {
    let mut w = BoxWriter::new();
    w.full_box(b"stsd", 0, 0, |w| {
        w.u32(1);
        w.boxed(entry_type, |w| {
            w.zeros(6);
            w.u16(1);
            w.u16(version);
            w.zeros(18);
            w.zeros(match version {
                1 => 16,
                2 => 36,
                _ => 0,
            });
            children(w);
        });
    });
    w.into_vec()
}

/// An `esds` with objectTypeIndication `oti` and DecoderSpecificInfo `dsi`, lengths
/// written in the 4-byte form some muxers use.
fn esds(w: &mut BoxWriter, oti: u8, dsi: &[u8]) {
    let long = |w: &mut BoxWriter, tag: u8, len: usize| {
        w.u8(tag);
        w.bytes(&[0x80, 0x80, 0x80, len as u8]);
    };
    w.full_box(b"esds", 0, 0, |w| {
        long(w, 0x03, 3 + 5 + 13 + 5 + dsi.len() + 3);
        w.bytes(&[0, 1, 0]);
        long(w, 0x04, 13 + 5 + dsi.len());
        w.u8(oti);
        w.u8(0x15);
        w.zeros(11);
        long(w, 0x05, dsi.len());
        w.bytes(dsi);
        w.bytes(&[0x06, 1, 2]);
    });
}

/// The sample entry of an `stsd` box's bytes.
fn entry_of(data: &[u8]) -> crate::Result<SampleEntry> {
    let b = crate::isobmff::reader::boxes(data).next().unwrap().unwrap();
    parse_stsd(&b)
}

#[test]
fn audio_entries_give_the_raw_config_or_the_object_type() {
    let asc = [0x2B, 0x11, 0x88, 0x00];
    let plain = stsd(b"mp4a", 0, |w| esds(w, 0x40, &asc));
    assert_eq!(
        entry_of(&plain).unwrap(),
        SampleEntry::Aac { asc: asc.to_vec() }
    );

    // QuickTime sound description version 1, esds inside `wave`.
    let quicktime = stsd(b"mp4a", 1, |w| {
        w.boxed(b"wave", |w| {
            w.boxed(b"frma", |w| w.bytes(b"mp4a"));
            esds(w, 0x40, &asc);
        })
    });
    assert_eq!(
        entry_of(&quicktime).unwrap(),
        SampleEntry::Aac { asc: asc.to_vec() }
    );

    // MP3 in mp4a.
    let mp3 = stsd(b"mp4a", 0, |w| esds(w, 0x6B, &[]));
    let entry = entry_of(&mp3).unwrap();
    assert_eq!(entry.describe(), "mp4a (object type 0x6b)");

    // Others by FourCC.
    let ac3 = stsd(b"ac-3", 0, |_| {});
    assert_eq!(entry_of(&ac3).unwrap().fourcc(), *b"ac-3");

    // A descriptor longer than its parent.
    let mut bad = plain.clone();
    let at = bad.len() - asc.len() - 3 - 1; // the DecoderSpecificInfo length byte
    bad[at] = 0x7F;
    let e = entry_of(&bad).unwrap_err().to_string();
    assert!(
        e.contains("malformed esds") && e.contains("descriptor 0x05"),
        "{e}"
    );
}

#[test]
fn payload_windows_are_shared_and_bounded() {
    let data: Vec<u8> = (0..3u32 << 20).map(|i| (i % 253) as u8).collect();
    let mut input = input(data.clone());
    let mut reader = PayloadReader::default();
    let a = reader.read(&mut input, 10, 100).unwrap();
    let b = reader.read(&mut input, 110, 100).unwrap();
    assert_eq!(&a[..], &data[10..110]);
    assert_eq!(&b[..], &data[110..210]);
    // Both are slices of one window.
    assert_eq!(b.as_ptr(), a.as_ptr().wrapping_add(100));
    for offset in (0..3u64 << 20).step_by(1 << 19) {
        reader.read(&mut input, offset, 4096).unwrap();
    }
    assert!(reader.capacity() <= 4 << 20, "{}", reader.capacity());

    let e = reader
        .read(&mut input, (3 << 20) - 10, 11)
        .unwrap_err()
        .to_string();
    assert!(e.contains("past the end of the file"), "{e}");
}
