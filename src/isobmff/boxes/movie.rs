//! `moov` of a fragmented Smooth file: headers, one `trak` per track with empty sample
//! tables, and `mvex`/`trex` (format.md §2.2).
//!
//! Every duration field is 64-bit (version 1 boxes) so that the final duration can be
//! written over the first header in place without changing its size.

use super::protection::TrackProtection;
use super::sample_entry::SampleEntry;
use crate::isobmff::writer::BoxWriter;

/// What a track carries, which picks its handler and media header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerKind {
    /// `vide` with `vmhd`.
    Video,
    /// `soun` with `smhd`.
    Audio,
    /// `subt` with `sthd`: TTML captions and subtitles.
    Subtitle,
    /// `meta` with `nmhd`: XML or text timed metadata.
    Metadata,
}

/// One track of the movie header.
#[derive(Debug, Clone, Copy)]
pub struct MovieTrack<'a> {
    /// track_ID, from 1.
    pub track_id: u32,
    /// Video or audio.
    pub kind: HandlerKind,
    /// ISO 639-2/T language packed as in `mdhd` ('und' = 0x55C4).
    pub language: u16,
    /// Display width in pixels (0 for audio).
    pub width: u32,
    /// Display height in pixels (0 for audio).
    pub height: u32,
    /// Track duration in the movie timescale (0 while unknown).
    pub duration: u64,
    /// The one sample description.
    pub entry: &'a SampleEntry,
    /// How the track is encrypted, if it is.
    pub protection: Option<&'a TrackProtection>,
}

const IDENTITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// Writes the whole `moov`. `extra` writes further children (e.g. a protection header)
/// after the tracks and `mvex`.
pub fn write_moov(
    w: &mut BoxWriter,
    timescale: u32,
    duration: u64,
    tracks: &[MovieTrack<'_>],
    extra: impl FnOnce(&mut BoxWriter),
) {
    w.boxed(b"moov", |w| {
        write_mvhd(w, timescale, duration, tracks);
        for track in tracks {
            write_trak(w, timescale, track);
        }
        w.boxed(b"mvex", |w| {
            for track in tracks {
                w.full_box(b"trex", 0, 0, |w| {
                    w.u32(track.track_id);
                    w.u32(1);
                    w.u32(0);
                    w.u32(0);
                    w.u32(0);
                });
            }
        });
        extra(w);
    });
}

fn write_mvhd(w: &mut BoxWriter, timescale: u32, duration: u64, tracks: &[MovieTrack<'_>]) {
    let next_track_id = tracks.iter().map(|t| t.track_id).max().unwrap_or(0) + 1;
    w.full_box(b"mvhd", 1, 0, |w| {
        // Creation and modification times stay 0 so the same input gives the same bytes.
        w.u64(0);
        w.u64(0);
        w.u32(timescale);
        w.u64(duration);
        w.u32(0x0001_0000);
        w.u16(0x0100);
        w.zeros(10);
        for v in IDENTITY_MATRIX {
            w.u32(v);
        }
        w.zeros(24);
        w.u32(next_track_id);
    });
}

fn write_trak(w: &mut BoxWriter, timescale: u32, track: &MovieTrack<'_>) {
    w.boxed(b"trak", |w| {
        w.full_box(b"tkhd", 1, 0x000007, |w| {
            w.u64(0);
            w.u64(0);
            w.u32(track.track_id);
            w.u32(0);
            w.u64(track.duration);
            w.zeros(8);
            w.u16(0); // layer
            w.u16(0); // alternate group
            w.u16(if track.kind == HandlerKind::Audio {
                0x0100
            } else {
                0
            });
            w.u16(0);
            for v in IDENTITY_MATRIX {
                w.u32(v);
            }
            w.u32(track.width.min(0xFFFF) << 16);
            w.u32(track.height.min(0xFFFF) << 16);
        });
        w.boxed(b"mdia", |w| {
            w.full_box(b"mdhd", 1, 0, |w| {
                w.u64(0);
                w.u64(0);
                w.u32(timescale);
                w.u64(track.duration);
                w.u16(track.language & 0x7FFF);
                w.u16(0);
            });
            let (handler, name): (&[u8; 4], &[u8]) = match track.kind {
                HandlerKind::Video => (b"vide", b"Video Media Handler\0"),
                HandlerKind::Audio => (b"soun", b"Sound Media Handler\0"),
                HandlerKind::Subtitle => (b"subt", b"Subtitle Media Handler\0"),
                HandlerKind::Metadata => (b"meta", b"Metadata Media Handler\0"),
            };
            w.full_box(b"hdlr", 0, 0, |w| {
                w.u32(0);
                w.bytes(handler);
                w.zeros(12);
                w.bytes(name);
            });
            w.boxed(b"minf", |w| {
                match track.kind {
                    HandlerKind::Video => w.full_box(b"vmhd", 0, 1, |w| w.zeros(8)),
                    HandlerKind::Audio => w.full_box(b"smhd", 0, 0, |w| w.zeros(4)),
                    HandlerKind::Subtitle => w.full_box(b"sthd", 0, 0, |_| {}),
                    HandlerKind::Metadata => w.full_box(b"nmhd", 0, 0, |_| {}),
                }
                w.boxed(b"dinf", |w| {
                    w.full_box(b"dref", 0, 0, |w| {
                        w.u32(1);
                        w.full_box(b"url ", 0, 1, |_| {});
                    });
                });
                w.boxed(b"stbl", |w| {
                    w.full_box(b"stsd", 0, 0, |w| {
                        w.u32(1);
                        track.entry.write(w, track.protection);
                    });
                    w.full_box(b"stts", 0, 0, |w| w.u32(0));
                    w.full_box(b"stsc", 0, 0, |w| w.u32(0));
                    w.full_box(b"stsz", 0, 0, |w| {
                        w.u32(0);
                        w.u32(0);
                    });
                    w.full_box(b"stco", 0, 0, |w| w.u32(0));
                });
            });
        });
    });
}

/// Packs an ISO 639-2/T code as `mdhd` stores it; anything that is not three lowercase
/// letters becomes 'und'.
pub fn pack_language(code: &str) -> u16 {
    let b = code.as_bytes();
    if b.len() != 3 || !b.iter().all(u8::is_ascii_lowercase) {
        return 0x55C4;
    }
    b.iter()
        .fold(0u16, |acc, &c| (acc << 5) | u16::from(c - 0x60))
}

/// Unpacks an ISO 639-2/T code as `mdhd` stores it (the inverse of [`pack_language`]);
/// None when the three 5-bit fields are not lowercase letters (0 included). Bit 15, the
/// pad bit, is ignored.
pub fn unpack_language(packed: u16) -> Option<String> {
    [10u16, 5, 0]
        .iter()
        .map(|shift| {
            let c = ((packed >> shift) & 31) as u8 + 0x60;
            c.is_ascii_lowercase().then_some(char::from(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_packing() {
        assert_eq!(pack_language("und"), 0x55C4);
        assert_eq!(pack_language("eng"), 0x15C7);
        assert_eq!(pack_language("EN"), 0x55C4);
    }

    #[test]
    fn language_unpacking_inverts_packing() {
        for a in 'a'..='z' {
            for b in 'a'..='z' {
                for c in 'a'..='z' {
                    let code: String = [a, b, c].into_iter().collect();
                    let packed = pack_language(&code);
                    assert_eq!(unpack_language(packed).as_deref(), Some(code.as_str()));
                    assert_eq!(
                        unpack_language(packed | 0x8000).as_deref(),
                        Some(code.as_str())
                    );
                }
            }
        }
        assert_eq!(unpack_language(0x15C7).as_deref(), Some("eng"));
        // Fields of 0 or 27..31 are not letters.
        assert_eq!(unpack_language(0), None);
        assert_eq!(unpack_language(0x15C0), None);
        assert_eq!(unpack_language(0x7FFF), None);
    }

    #[test]
    fn header_size_does_not_depend_on_duration() {
        let entry = SampleEntry::Aac {
            channels: 2,
            sample_rate: 48_000,
            asc: vec![0x11, 0x90],
            avg_bitrate: 128_000,
            max_bitrate: 128_000,
            buffer_size: 0,
        };
        let track = |duration| MovieTrack {
            track_id: 1,
            kind: HandlerKind::Audio,
            language: 0x55C4,
            width: 0,
            height: 0,
            duration,
            entry: &entry,
            protection: None,
        };
        let mut a = BoxWriter::new();
        write_moov(&mut a, 10_000_000, 0, &[track(0)], |_| {});
        let mut b = BoxWriter::new();
        write_moov(&mut b, 10_000_000, u64::MAX, &[track(u64::MAX)], |_| {});
        assert_eq!(a.len(), b.len());
    }
}
