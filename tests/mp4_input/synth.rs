//! Synthetic MP4 files for the reader's tests: one H.264-described video track whose
//! tables are laid out as asked, samples filled with a byte derived from their number;
//! and an `esds` rewriter that gives an FFmpeg AAC file another AudioSpecificConfig.

use std::io::Cursor;

use ssf::input::mp4::Mp4File;
use ssf::isobmff::reader::{self, BoxRef};
use ssf::isobmff::writer::BoxWriter;

/// A one-track file to build.
#[derive(Debug, Clone)]
pub struct Synth {
    /// Every sample's size.
    pub sizes: Vec<u32>,
    /// Samples per chunk (the last chunk may hold fewer).
    pub per_chunk: u32,
    /// `stz2` with this field size instead of `stsz`.
    pub compact: Option<u8>,
    /// `co64` instead of `stco`.
    pub co64: bool,
    /// An empty chunk after the first, described by a run of 0 samples per chunk and a
    /// run of no chunks (same first_chunk as the next), which change nothing.
    pub empty_runs: bool,
    /// `stts` entries (count, delta).
    pub stts: Vec<(u32, u32)>,
    /// `ctts` entries (count, offset), written as version 1.
    pub ctts: Option<Vec<(u32, i32)>>,
    /// `stss` sample numbers (from 1).
    pub stss: Option<Vec<u32>>,
    /// `mdhd` timescale.
    pub timescale: u32,
    /// `mdhd` duration.
    pub media_duration: u32,
}

/// The byte every payload byte of sample `index` is.
pub fn payload_byte(index: u64) -> u8 {
    (index % 251) as u8
}

impl Synth {
    /// Ten samples of various sizes in chunks of three, with B-frame-like composition
    /// offsets (one negative) and three sync samples.
    pub fn small() -> Self {
        Synth {
            sizes: vec![300, 20, 25, 180, 22, 24, 190, 21, 23, 170],
            per_chunk: 3,
            compact: None,
            co64: false,
            empty_runs: false,
            stts: vec![(9, 512), (1, 256)],
            ctts: Some(vec![(1, 1024), (1, -512), (2, 0), (6, 512)]),
            stss: Some(vec![1, 4, 7]),
            timescale: 12_800,
            media_duration: 9 * 512 + 256,
        }
    }

    /// `n` samples of `size` bytes in chunks of ten: tables of about 13 bytes a sample
    /// (`stsz` 4, `ctts` 8 with an entry a sample, `stco` 0.4, `stss` 0.2 with every 20th).
    pub fn many(n: u32, size: u32) -> Self {
        Synth {
            sizes: vec![size; n as usize],
            per_chunk: 10,
            compact: None,
            co64: false,
            empty_runs: false,
            stts: vec![(n, 512)],
            ctts: Some(
                (0..n)
                    .map(|i| (1, [1024, 0, 512][i as usize % 3]))
                    .collect(),
            ),
            stss: Some((0..n).step_by(20).map(|i| i + 1).collect()),
            timescale: 12_800,
            media_duration: n * 512,
        }
    }

    /// Samples per chunk, in file order (an empty chunk included when asked).
    fn chunks(&self) -> Vec<u32> {
        let n = self.sizes.len() as u32;
        let mut chunks: Vec<u32> = (0..n)
            .step_by(self.per_chunk as usize)
            .map(|first| self.per_chunk.min(n - first))
            .collect();
        if self.empty_runs {
            chunks.insert(1, 0);
        }
        chunks
    }

    /// The file: `ftyp`, `mdat`, then `moov` (as FFmpeg lays files out by default).
    pub fn build(&self) -> Vec<u8> {
        let mut w = BoxWriter::new();
        w.boxed(b"ftyp", |w| {
            w.bytes(b"isom");
            w.u32(0x200);
            w.bytes(b"isomiso2avc1mp41");
        });
        let body = w.len() as u64 + 8;
        let mut offsets = Vec::new();
        w.boxed(b"mdat", |w| {
            let mut sample = 0usize;
            for &count in &self.chunks() {
                offsets.push(w.len() as u64);
                for _ in 0..count {
                    let byte = payload_byte(sample as u64);
                    w.bytes(&vec![byte; self.sizes[sample] as usize]);
                    sample += 1;
                }
            }
        });
        debug_assert!(offsets.first().is_none_or(|&o| o == body));
        w.boxed(b"moov", |w| {
            mvhd(w, 2);
            trak(w, 1, self.timescale, self.media_duration, |w| {
                self.stbl(w, &offsets)
            });
        });
        w.into_vec()
    }

    /// The sample tables, chunk `offsets` being where each chunk starts.
    fn stbl(&self, w: &mut BoxWriter, offsets: &[u64]) {
        stsd(w);
        w.full_box(b"stts", 0, 0, |w| {
            w.u32(self.stts.len() as u32);
            for &(count, delta) in &self.stts {
                w.u32(count);
                w.u32(delta);
            }
        });
        if let Some(ctts) = &self.ctts {
            w.full_box(b"ctts", 1, 0, |w| {
                w.u32(ctts.len() as u32);
                for &(count, offset) in ctts {
                    w.u32(count);
                    w.u32(offset as u32);
                }
            });
        }
        if let Some(stss) = &self.stss {
            w.full_box(b"stss", 0, 0, |w| {
                w.u32(stss.len() as u32);
                stss.iter().for_each(|&n| w.u32(n));
            });
        }
        let runs: Vec<(u32, u32)> = if self.empty_runs {
            vec![(1, self.per_chunk), (2, 0), (3, 99), (3, self.per_chunk)]
        } else {
            vec![(1, self.per_chunk)]
        };
        w.full_box(b"stsc", 0, 0, |w| {
            w.u32(runs.len() as u32);
            for (first, per_chunk) in runs {
                w.u32(first);
                w.u32(per_chunk);
                w.u32(1);
            }
        });
        match self.compact {
            None => w.full_box(b"stsz", 0, 0, |w| {
                w.u32(0);
                w.u32(self.sizes.len() as u32);
                self.sizes.iter().for_each(|&s| w.u32(s));
            }),
            Some(bits) => w.full_box(b"stz2", 0, 0, |w| {
                w.zeros(3);
                w.u8(bits);
                w.u32(self.sizes.len() as u32);
                match bits {
                    4 => self
                        .sizes
                        .chunks(2)
                        .for_each(|p| w.u8((p[0] << 4 | p.get(1).copied().unwrap_or(0)) as u8)),
                    8 => self.sizes.iter().for_each(|&s| w.u8(s as u8)),
                    _ => self.sizes.iter().for_each(|&s| w.u16(s as u16)),
                }
            }),
        }
        if self.co64 {
            w.full_box(b"co64", 0, 0, |w| {
                w.u32(offsets.len() as u32);
                offsets.iter().for_each(|&o| w.u64(o));
            });
        } else {
            w.full_box(b"stco", 0, 0, |w| {
                w.u32(offsets.len() as u32);
                offsets.iter().for_each(|&o| w.u32(o as u32));
            });
        }
    }
}

/// `mvhd` announcing `next_track_id`.
fn mvhd(w: &mut BoxWriter, next_track_id: u32) {
    w.full_box(b"mvhd", 0, 0, |w| {
        w.zeros(8);
        w.u32(1000);
        w.u32(0);
        w.u32(0x0001_0000);
        w.u16(0x0100);
        w.zeros(10 + 36 + 24);
        w.u32(next_track_id);
    });
}

/// A video `trak` with track_ID `id` whose `stbl` body `stbl` writes.
fn trak(
    w: &mut BoxWriter,
    id: u32,
    timescale: u32,
    media_duration: u32,
    stbl: impl FnOnce(&mut BoxWriter),
) {
    w.boxed(b"trak", |w| {
        w.full_box(b"tkhd", 0, 3, |w| {
            w.zeros(8);
            w.u32(id);
            w.zeros(4 + 4 + 8 + 8 + 36);
            w.u32(160 << 16);
            w.u32(120 << 16);
        });
        w.boxed(b"mdia", |w| {
            w.full_box(b"mdhd", 0, 0, |w| {
                w.zeros(8);
                w.u32(timescale);
                w.u32(media_duration);
                w.u16(0x55C4); // und
                w.u16(0);
            });
            w.full_box(b"hdlr", 0, 0, |w| {
                w.u32(0);
                w.bytes(b"vide");
                w.zeros(12);
                w.bytes(b"VideoHandler\0");
            });
            w.boxed(b"minf", |w| w.boxed(b"stbl", stbl));
        });
    });
}

/// An `stsd` with one `avc1` entry (its `avcC` is not a valid configuration: the reader
/// does not look inside).
fn stsd(w: &mut BoxWriter) {
    w.full_box(b"stsd", 0, 0, |w| {
        w.u32(1);
        w.boxed(b"avc1", |w| {
            w.zeros(6);
            w.u16(1); // data_reference_index
            w.zeros(16);
            w.u16(160);
            w.u16(120);
            w.u32(0x0048_0000);
            w.u32(0x0048_0000);
            w.zeros(4);
            w.u16(1);
            w.zeros(32);
            w.u16(0x18);
            w.u16(0xFFFF);
            w.boxed(b"avcC", |w| {
                w.bytes(&[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00])
            });
        });
    });
}

/// Two tracks whose samples are all in one `moof`. Track 1's `traf` takes its base from
/// the `moof` (default-base-is-moof) and its run names a data offset; track 2's names
/// neither, so its data follows track 1's (ISO 14496-12 §8.8.7.1). Track 1's samples are
/// sizes 10, 20, 30 of byte 1, not sync (the `trex` default); track 2's are sizes 5 and 6
/// of byte 2, the first sync (first_sample_flags). The `moov` lists track 2 first.
pub fn fragmented_two_tracks() -> Vec<u8> {
    let mut w = BoxWriter::new();
    w.boxed(b"ftyp", |w| {
        w.bytes(b"iso6");
        w.u32(0);
        w.bytes(b"iso6");
    });
    w.boxed(b"moov", |w| {
        mvhd(w, 3);
        // Listed out of order: the reader lists tracks by ID.
        for id in [2, 1] {
            trak(w, id, 12_800, 0, |w| {
                stsd(w);
                for t in [b"stts", b"stsc", b"stco"] {
                    w.full_box(t, 0, 0, |w| w.u32(0));
                }
                w.full_box(b"stsz", 0, 0, |w| w.zeros(8));
            });
        }
        w.boxed(b"mvex", |w| {
            for id in [1, 2] {
                w.full_box(b"trex", 0, 0, |w| {
                    w.u32(id);
                    w.u32(1);
                    w.u32(512); // duration
                    w.u32(0); // size
                    w.u32(0x0001_0000); // non-sync
                });
            }
        });
    });
    let moof = |w: &mut BoxWriter, data_offset: u32| {
        w.boxed(b"moof", |w| {
            w.full_box(b"mfhd", 0, 0, |w| w.u32(1));
            w.boxed(b"traf", |w| {
                w.full_box(b"tfhd", 0, 0x02_0000, |w| w.u32(1));
                w.full_box(b"trun", 0, 0x201, |w| {
                    w.u32(3);
                    w.u32(data_offset);
                    [10, 20, 30].iter().for_each(|&s| w.u32(s));
                });
            });
            w.boxed(b"traf", |w| {
                w.full_box(b"tfhd", 0, 0, |w| w.u32(2));
                w.full_box(b"trun", 0, 0x204, |w| {
                    w.u32(2);
                    w.u32(0); // first_sample_flags: sync
                    [5, 6].iter().for_each(|&s| w.u32(s));
                });
            });
        });
    };
    let mut probe = BoxWriter::new();
    moof(&mut probe, 0);
    moof(&mut w, probe.len() as u32 + 8);
    w.boxed(b"mdat", |w| {
        w.bytes(&[1; 60]);
        w.bytes(&[2; 11]);
    });
    w.into_vec()
}

/// Every sample of track 1 as (decode time, composition offset, duration, sync, offset,
/// size), checking each payload.
pub fn rows(data: &[u8]) -> Vec<(u64, u64, u64, bool, u64, u32)> {
    let mut file = Mp4File::open(Cursor::new(data)).unwrap();
    let mut iter = file.iter(1).unwrap();
    let mut out = Vec::new();
    while let Some(s) = iter.next() {
        let s = s.unwrap();
        let bytes = iter.read_sample(&s).unwrap();
        assert!(bytes.iter().all(|&b| b == payload_byte(s.index)));
        out.push((
            s.decode_time,
            s.composition_offset,
            s.duration,
            s.sync,
            s.offset,
            s.size,
        ));
    }
    out
}

/// `file` (with its `moov` after the `mdat`, so chunk offsets stay valid) with the
/// `esds` of its first `mp4a` entry rewritten to carry `asc`, and the sizes of the boxes
/// around it adjusted.
pub fn replace_asc(file: &[u8], asc: &[u8]) -> Vec<u8> {
    let moov = reader::find(file, "moov").unwrap().unwrap();
    let mdat = reader::find(file, "mdat").unwrap().unwrap();
    assert!(mdat.offset < moov.offset, "moov must follow the mdat");
    // The path down to the esds: each container with the fixed bytes before its children.
    let mut path = vec![moov];
    let mut current = moov;
    for (t, skip) in [
        (b"trak", 0),
        (b"mdia", 0),
        (b"minf", 0),
        (b"stbl", 0),
        (b"stsd", 0),
        (b"mp4a", 8),
        (b"esds", 28),
    ] {
        let next: BoxRef<'_> = current
            .children_at(skip)
            .map(Result::unwrap)
            .find(|b| b.is(t) && (t != b"trak" || b.find("mdia/minf/smhd").unwrap().is_some()))
            .unwrap();
        path.push(next);
        current = next;
    }
    let esds = path.pop().unwrap();
    let mut dsi = vec![0x05, asc.len() as u8];
    dsi.extend_from_slice(asc);
    let mut dcd = vec![0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    dcd.extend_from_slice(&dsi);
    let mut es = vec![0, 1, 0, 0x04, dcd.len() as u8];
    es.extend_from_slice(&dcd);
    es.extend_from_slice(&[0x06, 1, 0x02]);
    let mut w = BoxWriter::new();
    w.full_box(b"esds", 0, 0, |w| {
        w.u8(0x03);
        w.u8(es.len() as u8);
        w.bytes(&es);
    });
    let new = w.into_vec();
    let delta = new.len() as i64 - esds.size() as i64;
    let start = esds.offset as usize;
    let mut out = file[..start].to_vec();
    out.extend_from_slice(&new);
    out.extend_from_slice(&file[start + esds.data.len()..]);
    for b in path {
        let at = b.offset as usize;
        let size = u32::from_be_bytes(out[at..at + 4].try_into().unwrap());
        out[at..at + 4].copy_from_slice(&((size as i64 + delta) as u32).to_be_bytes());
    }
    out
}
