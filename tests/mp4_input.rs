//! The MP4 reader (`ssf::input::mp4`) against `re_mp4` as the packaging CLI used it (same
//! samples, times, sync flags, offsets and sizes, so packaged output stays identical), on
//! the committed clip and on FFmpeg files (B-frames with an edit list, negative
//! composition offsets, fragmented); HE-AAC configurations; flat memory on a synthetic file
//! of a million samples; malformed files refused with the box and offset named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

#[path = "mp4_input/synth.rs"]
mod synth;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use ssf::codec::Codec;
use ssf::input::mp4::{Mp4File, SampleEntry, TrackKind};
use ssf::isobmff::reader;
use synth::Synth;

/// One sample as the CLI hands it to the muxer: decode time from 0, composition offset,
/// duration, sync flag, file offset and size.
type Row = (u64, u64, u64, bool, u64, u64);

/// Per track: the samples, the total bytes and the duration the bit rate is measured from.
type Tracks = BTreeMap<u32, (Vec<Row>, u64, u64)>;

/// What `examples/ssfmux/source.rs` (`scan_mp4`, `Mp4Track::next`) made of `re_mp4`'s
/// tables before this reader: decode times from the first sample's, negative composition
/// offsets as 0, the next sample's decode time for each duration and a guard on the last.
fn cli_reference(path: &Path) -> Tracks {
    let data = std::fs::read(path).unwrap();
    let mp4 = re_mp4::Mp4::read_bytes(&data).unwrap();
    let mut out = BTreeMap::new();
    for (&id, track) in mp4.tracks() {
        let samples = &track.samples;
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            out.insert(id, (Vec::new(), 0, 0));
            continue;
        };
        let base = first.decode_timestamp;
        let mut rows = Vec::new();
        for (i, s) in samples.iter().enumerate() {
            let dts = u64::try_from(s.decode_timestamp - base).unwrap();
            let cts = u64::try_from(s.composition_timestamp - s.decode_timestamp).unwrap_or(0);
            let duration = match samples.get(i + 1) {
                Some(n) => u64::try_from(n.decode_timestamp - s.decode_timestamp).unwrap_or(0),
                None => {
                    let previous = i
                        .checked_sub(1)
                        .and_then(|p| samples.get(p))
                        .and_then(|p| u64::try_from(s.decode_timestamp - p.decode_timestamp).ok())
                        .unwrap_or(0);
                    if s.duration == 0 || (previous > 0 && s.duration > previous * 4) {
                        previous
                    } else {
                        s.duration
                    }
                }
            };
            rows.push((dts, cts, duration, s.is_sync, s.offset, s.size));
        }
        let end = last.decode_timestamp.saturating_add_unsigned(last.duration);
        let duration = u64::try_from(end.saturating_sub(base)).unwrap_or(0);
        let bytes = samples.iter().map(|s| s.size).sum();
        out.insert(id, (rows, bytes, duration));
    }
    out
}

/// Corrects `re_mp4`'s reading of version 1 `trun` offsets: as signed 32-bit numbers,
/// raised by the most negative of the track.
fn read_signed(tracks: &mut Tracks) {
    for (rows, ..) in tracks.values_mut() {
        let signed = |cts: u64| i64::from(cts as u32 as i32);
        let shift = rows.iter().map(|r| signed(r.1)).min().unwrap_or(0).min(0);
        for row in rows.iter_mut() {
            row.1 = (signed(row.1) - shift) as u64;
        }
    }
}

/// The same through `ssf::input::mp4`, checking each payload is the file's bytes.
fn ours(path: &Path) -> Tracks {
    let data = std::fs::read(path).unwrap();
    let mut file = Mp4File::open(Cursor::new(&data[..])).unwrap();
    let mut out = BTreeMap::new();
    for track in file.tracks().to_vec() {
        let mut rows = Vec::new();
        let mut iter = file.iter(track.id).unwrap();
        while let Some(s) = iter.next() {
            let s = s.unwrap();
            let payload = iter.read_sample(&s).unwrap();
            let at = s.offset as usize;
            assert_eq!(&payload[..], &data[at..at + s.size as usize]);
            rows.push((
                s.decode_time,
                s.composition_offset,
                s.duration,
                s.sync,
                s.offset,
                u64::from(s.size),
            ));
        }
        assert_eq!(rows.len() as u64, track.sample_count, "track {}", track.id);
        out.insert(track.id, (rows, track.sample_bytes, track.duration));
    }
    out
}

/// Runs ffmpeg quietly with `args`.
fn ffmpeg(args: &[&str]) {
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(args),
    );
}

/// Makes the FFmpeg inputs in `dir`: H.264 with B-frames (FFmpeg writes an edit list for
/// their delay) and AAC, then remuxes of it; returns (name, path) pairs.
fn ffmpeg_files(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let src = dir.join("bframes.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-g",
        "25",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        src.to_str().unwrap(),
    ]);
    let mut out = vec![("bframes.mp4", src.clone())];
    for (name, flags) in [
        (
            "negative_cts.mp4",
            &["-movflags", "negative_cts_offsets"][..],
        ),
        ("fragmented.mp4", &["-movflags", "frag_keyframe+empty_moov"]),
        (
            "fragmented_moof_base.mp4",
            &["-movflags", "frag_keyframe+empty_moov+default_base_moof"],
        ),
        (
            "fragmented_negative_cts.mp4",
            &["-movflags", "frag_keyframe+empty_moov+negative_cts_offsets"],
        ),
        ("smooth.ismv", &["-f", "ismv"]),
    ] {
        let path = dir.join(name);
        let mut args = vec!["-i", src.to_str().unwrap(), "-c", "copy"];
        args.extend_from_slice(flags);
        args.push(path.to_str().unwrap());
        ffmpeg(&args);
        out.push((name, path));
    }
    out
}

#[test]
fn samples_match_what_the_cli_made_of_re_mp4() {
    let clip = support::root().join("tests/data/mp4/clip.mp4");
    assert_eq!(ours(&clip), cli_reference(&clip), "clip.mp4");

    // The media duration (mdhd) sets the last sample's duration; an implausible one falls
    // back to the previous sample's, in both readers.
    let mut data = std::fs::read(&clip).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long_mdhd.mp4");
    for mdhd in reader::find_all(&data.clone(), "moov/trak/mdia/mdhd").unwrap() {
        let at = mdhd.payload_offset() as usize + 16; // version 0: duration after timescale
        let duration = u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
        data[at..at + 4].copy_from_slice(&(duration + 1_000_000).to_be_bytes());
    }
    std::fs::write(&long, &data).unwrap();
    let (mut ours_long, reference) = (ours(&long), cli_reference(&long));
    // The CLI measured the bit rate over the mdhd duration even when the last sample's
    // duration fell back; the reader's duration is the sum of the sample durations (the
    // mdhd one stays available as `media_duration`).
    let file = Mp4File::open_path(&long).unwrap();
    for (id, (rows, _, duration)) in &mut ours_long {
        assert_eq!(*duration, rows.iter().map(|r| r.2).sum::<u64>());
        *duration = file.track(*id).unwrap().media_duration;
    }
    assert_eq!(ours_long, reference, "clip.mp4 with long mdhd durations");

    if !support::require_tool("ffmpeg", "samples_match_what_the_cli_made_of_re_mp4") {
        return;
    }
    let files = ffmpeg_files(dir.path());
    for (name, path) in &files {
        let mut reference = cli_reference(path);
        if matches!(*name, "fragmented_negative_cts.mp4" | "smooth.ismv") {
            // FFmpeg writes B-frame offsets here as signed (trun version 1) negative
            // numbers, which re_mp4 read as unsigned: the CLI handed the muxer offsets of
            // 2^32 - 400000 ticks. The reader reads them signed and raises every offset by
            // the most negative one, as for a plain file's ctts.
            assert!(
                reference[&1]
                    .0
                    .iter()
                    .any(|r| r.1 > u64::from(u32::MAX / 2))
            );
            read_signed(&mut reference);
        }
        let ours = ours(path);
        assert_eq!(ours, reference, "{name}");
        assert!(ours.values().all(|t| !t.0.is_empty()), "{name}");
    }

    // Version-1 trun offsets are signed; re_mp4 read them as unsigned (4-billion tick
    // offsets). The reader gives the video what it gives it from the plain file: offsets
    // raised by the most negative one. (FFmpeg times the audio of its fragmented output
    // differently: the first sample absorbs the priming delay.)
    let plain = ours(&dir.path().join("negative_cts.mp4"));
    let fragmented = ours(&dir.path().join("fragmented_negative_cts.mp4"));
    let video = |t: &Tracks| -> Vec<(u64, u64, u64, bool, u64)> {
        t[&1].0.iter().map(|r| (r.0, r.1, r.2, r.3, r.5)).collect()
    };
    assert!(plain[&1].0.iter().any(|r| r.1 == 0) && plain[&1].0.iter().any(|r| r.1 > 512));
    assert_eq!(video(&fragmented), video(&plain));
}

#[test]
fn tracks_report_kind_language_and_configuration() {
    let clip = support::root().join("tests/data/mp4/clip.mp4");
    let file = Mp4File::open_path(&clip).unwrap();
    let tracks = file.tracks();
    assert_eq!(tracks.len(), 2);
    let video = &tracks[0];
    assert_eq!(
        (video.id, video.kind, video.timescale),
        (1, TrackKind::Video, 12800)
    );
    let SampleEntry::Avc { fourcc, avcc } = &video.entry else {
        panic!("video entry {:?}", video.entry);
    };
    assert_eq!(fourcc, b"avc1");
    ssf::StreamConfig::h264(avcc).unwrap();
    let audio = &tracks[1];
    assert_eq!((audio.kind, audio.timescale), (TrackKind::Audio, 48000));
    assert_eq!(
        audio.entry,
        SampleEntry::Aac {
            asc: vec![0x11, 0x90]
        }
    );
    assert_eq!(audio.language, None, "und");
    assert!(!video.fragmented && !audio.fragmented);
}

/// The AAC track's entry and what `StreamConfig::aac` makes of it: (ASC, FourCC, rate).
fn aac_config(path: &Path) -> (Vec<u8>, &'static str, u32) {
    let file = Mp4File::open_path(path).unwrap();
    let track = file
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    let SampleEntry::Aac { asc } = &track.entry else {
        panic!("entry {:?}", track.entry);
    };
    let config = ssf::StreamConfig::aac(asc).unwrap();
    let Codec::Aac(aac) = config.codec() else {
        panic!("codec {:?}", config.codec());
    };
    (
        asc.clone(),
        aac.asc().fourcc(),
        aac.asc().output_sampling_rate(),
    )
}

#[test]
fn he_aac_keeps_its_raw_audio_specific_config() {
    if !support::require_tool("ffmpeg", "he_aac_keeps_its_raw_audio_specific_config") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // AAC-LC at 24 kHz: what an HE-AAC stream with implicit SBR signals. It stays AACL
    // with the core configuration (nothing in the config says SBR).
    let lc = dir.path().join("lc24k.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=24000",
        "-t",
        "1",
        "-c:a",
        "aac",
        "-ac",
        "2",
        lc.to_str().unwrap(),
    ]);
    let (asc, fourcc, rate) = aac_config(&lc);
    assert_eq!(&asc[..2], &[0x13, 0x10], "LC, 24 kHz, stereo");
    assert_eq!((fourcc, rate), ("AACL", 24000));

    // Explicit (hierarchical) SBR: object type 5, core 24 kHz, extension 48 kHz, then the
    // LC core: 00101 0110 0010 0011 00010 000 = 0x2B 0x11 0x88 0x00.
    let he = dir.path().join("he_aac.mp4");
    let sbr = [0x2B, 0x11, 0x88, 0x00];
    std::fs::write(&he, synth::replace_asc(&std::fs::read(&lc).unwrap(), &sbr)).unwrap();
    let (asc, fourcc, rate) = aac_config(&he);
    assert_eq!(asc, sbr, "the raw ASC, not a re-serialised one");
    assert_eq!((fourcc, rate), ("AACH", 48000));
    // FFmpeg's own demuxer sees the SBR extension too: it reports the output rate.
    let probe = support::run(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=sample_rate",
                "-of",
                "csv=p=0",
            ])
            .arg(&he),
    );
    assert_eq!(probe.trim(), "48000");

    // HE-AAC v2 (object type 29: SBR + PS) is AACP.
    let ps = [0xEB, 0x09, 0x88, 0x00]; // mono core, as PS needs
    let v2 = dir.path().join("he_aac_v2.mp4");
    std::fs::write(&v2, synth::replace_asc(&std::fs::read(&lc).unwrap(), &ps)).unwrap();
    assert_eq!(aac_config(&v2).1, "AACP");
}

#[test]
fn fragmented_files_list_their_fragment_samples() {
    if !support::require_tool("ffmpeg", "fragmented_files_list_their_fragment_samples") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = ffmpeg_files(dir.path());
    let plain = ours(&files[0].1);
    for (name, path) in &files[1..] {
        let file = Mp4File::open_path(path).unwrap();
        let fragmented = !name.starts_with("negative");
        assert!(
            file.tracks().iter().all(|t| t.fragmented == fragmented),
            "{name}"
        );
        // Same samples (sync flags, sizes) as the plain file. (Times may differ: FFmpeg
        // gives the first audio sample of fragmented output the priming delay.)
        let same = |t: &Tracks| -> Vec<Vec<(bool, u64)>> {
            t.values()
                .map(|(rows, ..)| rows.iter().map(|r| (r.3, r.5)).collect())
                .collect()
        };
        assert_eq!(same(&ours(path)), same(&plain), "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Memory

/// Counts the bytes allocated and not yet freed by each thread, and the peak, so a test
/// can measure what one call allocates while other tests run on other threads.
struct CountingAllocator;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// Adds `delta` to this thread's live bytes.
fn count(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the most bytes it had allocated at once (on
/// this thread).
fn peak_allocation<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, PEAK.with(Cell::get) - start)
}

/// Opens `data`, reads every sample's timing and (if `payloads`) bytes; returns the
/// sample count and the largest buffers the cursor held.
fn read_everything(data: &[u8], payloads: bool) -> (u64, usize, usize) {
    let mut file = Mp4File::open(Cursor::new(data)).unwrap();
    let mut samples = file.samples(1).unwrap();
    let (mut n, mut tables, mut windows) = (0, 0, 0);
    let mut last_dts = None;
    while let Some(s) = file.next_sample(&mut samples).unwrap() {
        assert!(last_dts < Some(s.decode_time));
        last_dts = Some(s.decode_time);
        if payloads {
            let bytes = file.read_sample(&s).unwrap();
            assert_eq!(bytes[0], synth::payload_byte(s.index));
        }
        n += 1;
        tables = tables.max(samples.buffered_bytes());
        windows = windows.max(file.buffered_bytes());
    }
    (n, tables, windows)
}

#[test]
fn a_million_samples_are_read_in_flat_memory() {
    let short = Synth::many(100_000, 1).build();
    let long = Synth::many(1_000_000, 1).build();
    assert!(long.len() > 10 << 20, "tables of megabytes: {}", long.len());

    let ((n, short_tables, _), short_peak) = peak_allocation(|| read_everything(&short, false));
    assert_eq!(n, 100_000);
    let ((n, long_tables, _), long_peak) = peak_allocation(|| read_everything(&long, false));
    assert_eq!(n, 1_000_000);
    eprintln!(
        "timing only: 100k samples peak {short_peak} B (windows {short_tables} B), \
         1M samples peak {long_peak} B (windows {long_tables} B)"
    );
    // The same windows whatever the length (each table's window is full in both).
    assert_eq!(long_tables, short_tables);
    assert!(long_tables <= 256 << 10, "{long_tables}");
    assert!(
        long_peak <= short_peak + (16 << 10),
        "{long_peak} vs {short_peak}"
    );

    // Payloads of 8 MB come through 1 MiB windows (three kept, evicted ones recycled).
    let long = Synth::many(1_000_000, 8).build();
    let ((n, _, windows), peak) = peak_allocation(|| read_everything(&long, true));
    assert_eq!(n, 1_000_000);
    eprintln!("with payloads: 1M samples peak {peak} B (payload windows {windows} B)");
    assert!(windows <= 4 << 20, "{windows}");
    assert!(peak <= 5 << 20, "{peak}");
}

// ---------------------------------------------------------------------------------------
// Layouts and malformed files

#[test]
fn table_layouts_give_the_same_samples() {
    let reference = Synth::small();
    let expected = synth::rows(&reference.build());
    for (what, variant) in [
        (
            "co64",
            Synth {
                co64: true,
                ..Synth::small()
            },
        ),
        (
            "stz2 16-bit",
            Synth {
                compact: Some(16),
                ..Synth::small()
            },
        ),
        (
            "stsc with empty runs",
            Synth {
                empty_runs: true,
                ..Synth::small()
            },
        ),
    ] {
        assert_eq!(synth::rows(&variant.build()), expected, "{what}");
    }
    // stz2 with 4-bit and 8-bit entries hold small sizes only.
    let tiny = Synth {
        sizes: vec![1, 2, 3, 15, 7, 8, 9],
        ..Synth::small()
    };
    let expected = synth::rows(&tiny.build());
    for bits in [4, 8] {
        let compact = Synth {
            compact: Some(bits),
            ..tiny.clone()
        };
        assert_eq!(synth::rows(&compact.build()), expected, "stz2 {bits}-bit");
    }
}

#[test]
fn a_fragment_without_a_base_follows_the_previous_ones_data() {
    let data = synth::fragmented_two_tracks();
    let mut file = Mp4File::open(Cursor::new(&data[..])).unwrap();
    let mdat = reader::find(&data, "mdat")
        .unwrap()
        .unwrap()
        .payload_offset();
    let tracks = file.tracks().to_vec();
    assert_eq!(
        tracks.iter().map(|t| t.id).collect::<Vec<_>>(),
        [1, 2],
        "by ID"
    );
    assert!(tracks.iter().all(|t| t.fragmented));
    let expected = [
        (1, vec![(0, 10, false), (10, 20, false), (30, 30, false)], 1),
        (2, vec![(60, 5, true), (65, 6, false)], 2),
    ];
    for (id, samples, byte) in expected {
        let track = &tracks[id as usize - 1];
        assert_eq!(track.sample_count, samples.len() as u64);
        assert_eq!(track.duration, 512 * samples.len() as u64);
        let mut iter = file.iter(id).unwrap();
        let mut got = Vec::new();
        while let Some(s) = iter.next() {
            let s = s.unwrap();
            assert!(iter.read_sample(&s).unwrap().iter().all(|&b| b == byte));
            assert_eq!((s.decode_time, s.duration), (512 * s.index, 512));
            got.push((s.offset - mdat, s.size, s.sync));
        }
        assert_eq!(got, samples, "track {id}");
    }
}

/// The error opening `data` or reading all its samples.
fn error_of(data: &[u8]) -> String {
    let result = Mp4File::open(Cursor::new(data)).and_then(|mut file| {
        for track in file.tracks().to_vec() {
            let mut samples = file.samples(track.id)?;
            while let Some(s) = file.next_sample(&mut samples)? {
                file.read_sample(&s)?;
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

/// `good` with the u32 at `field` bytes into the first box at `path` set to `value`:
/// the box's offset and the error reading the result.
fn corrupt(good: &[u8], path: &str, field: usize, value: u32) -> (usize, String) {
    let at = reader::find(good, path).unwrap().unwrap().offset as usize;
    let mut data = good.to_vec();
    data[at + field..at + field + 4].copy_from_slice(&value.to_be_bytes());
    (at, error_of(&data))
}

#[test]
fn malformed_files_name_the_box_and_offset() {
    let good = Synth::small().build();
    let stbl = "moov/trak/mdia/minf/stbl";

    // A sample count of 2^32 - 1 in a box of a few entries (stsz: header, version and
    // flags, sample_size, then sample_count at byte 16).
    let (stsz, e) = corrupt(&good, &format!("{stbl}/stsz"), 16, u32::MAX);
    assert!(
        e.contains(&format!("malformed stsz at byte {stsz}")) && e.contains("4294967295 entries"),
        "{e}"
    );

    // A box whose size runs past the end of the file.
    let (moov, e) = corrupt(&good, "moov", 0, 0x7FFF_0000);
    assert!(
        e.contains(&format!("malformed box at byte {moov}")) && e.contains("'moov' size"),
        "{e}"
    );

    // A chunk offset past the end of the file (the second chunk: samples 3 to 5).
    let (_, e) = corrupt(&good, &format!("{stbl}/stco"), 20, 0xFFFF_FF00);
    assert!(
        e.contains(&format!("malformed sample at byte {}", 0xFFFF_FF00u32))
            && e.contains("track 1, sample 3")
            && e.contains("past the end of the file"),
        "{e}"
    );

    // After an error the cursor is at its end, not at a sample of unknown place.
    let mut data = good.clone();
    let stco = reader::find(&good, &format!("{stbl}/stco"))
        .unwrap()
        .unwrap()
        .offset as usize;
    data[stco + 20..stco + 24].copy_from_slice(&0xFFFF_FF00u32.to_be_bytes());
    let mut file = Mp4File::open(Cursor::new(&data[..])).unwrap();
    let mut samples = file.samples(1).unwrap();
    for _ in 0..3 {
        file.next_sample(&mut samples).unwrap().unwrap();
    }
    assert!(file.next_sample(&mut samples).is_err());
    assert_eq!(file.next_sample(&mut samples).unwrap(), None);
    assert_eq!(samples.remaining(), 0);

    // One sample per chunk: stsc points past the 4 chunks stco has.
    let (stsc, e) = corrupt(&good, &format!("{stbl}/stsc"), 20, 1);
    assert!(
        e.contains(&format!("malformed stsc at byte {}", stsc + 16))
            && e.contains("track 1, sample 4")
            && e.contains("past the 4 chunks"),
        "{e}"
    );

    // stts covering fewer samples than stsz lists.
    let (stts, e) = corrupt(&good, &format!("{stbl}/stts"), 16, 2);
    assert!(
        e.contains(&format!("malformed stts at byte {}", stts + 16)) && e.contains("track 1"),
        "{e}"
    );

    // A sync sample table that is not increasing.
    let (stss, e) = corrupt(&good, &format!("{stbl}/stss"), 20, 1);
    assert!(
        e.contains(&format!("malformed stss at byte {}", stss + 20)) && e.contains("increasing"),
        "{e}"
    );

    // A truncated file (the moov cut short).
    let e = error_of(&good[..good.len() - 5]);
    assert!(
        e.contains("malformed box at byte") && e.contains("runs past"),
        "{e}"
    );

    // No moov at all.
    let moov = reader::find(&good, "moov").unwrap().unwrap().offset as usize;
    let e = error_of(&good[..moov]);
    assert!(e.contains("malformed moov at byte 0"), "{e}");
}
