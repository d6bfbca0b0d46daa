//! Feeds arbitrary bytes to the MP4 reader through a `Cursor`: opens them, lists the
//! tracks, reads every track's samples with their payloads, and two tracks interleaved.
//! Only errors are allowed, never a panic or an allocation sized by the input's claims.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use ssf::input::mp4::Mp4File;

/// Samples read per track. A constant-size table can describe billions of zero-byte
/// samples in a few bytes; reading them all is correct but would time the run out.
const MAX_SAMPLES: u64 = 100_000;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = Mp4File::open(Cursor::new(data)) else {
        return;
    };
    let tracks = file.tracks().to_vec();
    for track in &tracks {
        let _ = (track.entry.describe(), track.entry.fourcc());
        let Ok(mut samples) = file.samples(track.id) else {
            panic!("listed track {} has no cursor", track.id);
        };
        let mut read = 0u64;
        while read < MAX_SAMPLES {
            match file.next_sample(&mut samples) {
                Ok(Some(s)) => {
                    assert_eq!(s.index, read);
                    assert!(s.offset + u64::from(s.size) <= data.len() as u64);
                    if let Ok(bytes) = file.read_sample(&s) {
                        let at = s.offset as usize;
                        assert_eq!(&bytes[..], &data[at..at + s.size as usize]);
                    }
                }
                Ok(None) => {
                    assert_eq!(read, track.sample_count, "track {}", track.id);
                    break;
                }
                Err(_) => break,
            }
            read += 1;
        }
        assert!(samples.buffered_bytes() <= 1 << 20);
    }
    // Two cursors interleaved, as the packager merges tracks in decode order.
    if let [a, b, ..] = &tracks[..]
        && let (Ok(mut x), Ok(mut y)) = (file.samples(a.id), file.samples(b.id))
    {
        for _ in 0..1000 {
            let one = file.next_sample(&mut x);
            let two = file.next_sample(&mut y);
            if !matches!((one, two), (Ok(Some(_)), Ok(Some(_)))) {
                break;
            }
        }
    }
    assert!(file.buffered_bytes() <= 8 << 20);
});
