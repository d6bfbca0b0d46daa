//! Interprets arbitrary bytes as a script of operations on a `ssf::Muxer` with one AAC
//! stream (`StreamConfig::aac(&[0x11, 0x90])`) and one in-band H.264 stream
//! (`StreamConfig::h264_in_band(NalFormat::LengthPrefixed(4))`): pushes of samples with
//! script-chosen payload, dts, cts offset, duration and sync flag, `flush`, `flush_at`,
//! `header`, `index`, `client_manifest`, `server_manifest` and `finish`. Every call may
//! fail with an error; none may panic.
//!
//! Script layout: byte 0 chooses automatic or manual fragmentation (bit 0), the muxer
//! timescale (bits 1-2) and the streams' input timescales (bits 3-5); bytes 1-2 are the
//! target fragment duration in thousands of muxer ticks (0 must be refused). Then each
//! operation is one opcode byte (low 4 bits: the operation; bit 7: the stream) and its
//! operands; decode times are deltas from the stream's last accepted one unless a flag
//! asks for an absolute 64-bit value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::codec::avc::NalFormat;
use ssf::{Fragmentation, Muxer, Options, Sample, StreamConfig, StreamId};

/// Muxer timescales to choose from.
const TIMESCALES: [u32; 4] = [10_000_000, 90_000, 1_000, 1];
/// Stream input timescales to choose from.
const INPUT_TIMESCALES: [u32; 8] = [10_000_000, 90_000, 48_000, 44_100, 1_000, 1, 3, u32::MAX];

/// Reads operands from the script; past its end every read gives `None`.
struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from(self.u32()?) << 32 | u64::from(self.u32()?))
    }

    /// Up to `n` bytes (fewer at the end of the script).
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// Per-stream state the script keeps so that most decode times increase.
struct Track {
    id: StreamId,
    last_dts: u64,
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script { data };
    let Some(mode) = s.byte() else { return };
    let fragment_duration = u64::from(s.u16().unwrap_or(0)) * 1000;
    let options = Options {
        timescale: TIMESCALES[usize::from(mode >> 1) % TIMESCALES.len()],
        fragment_duration,
        fragmentation: if mode & 1 == 0 {
            Fragmentation::Automatic
        } else {
            Fragmentation::Manual
        },
        ..Options::default()
    };
    // A zero fragment duration must be refused, not panic later.
    let Ok(mut muxer) = Muxer::new(options) else {
        return;
    };
    let input_timescale = INPUT_TIMESCALES[usize::from(mode >> 3) % INPUT_TIMESCALES.len()];
    let audio = StreamConfig::aac(&[0x11, 0x90])
        .expect("valid ASC")
        .timescale(input_timescale);
    let video = StreamConfig::h264_in_band(NalFormat::LengthPrefixed(4))
        .expect("valid NAL format")
        .timescale(input_timescale);
    let mut tracks = [
        Track {
            id: muxer.add_stream(audio).expect("add audio"),
            last_dts: 0,
        },
        Track {
            id: muxer.add_stream(video).expect("add video"),
            last_dts: 0,
        },
    ];
    let ids = [tracks[0].id, tracks[1].id];

    while let Some(op) = s.byte() {
        let track = usize::from(op >> 7);
        match op & 0x0f {
            // Push a sample: flags, dts, optional cts offset and duration, then payload.
            0..=5 => {
                let Some(flags) = s.byte() else { break };
                let t = &mut tracks[track];
                let dts = if flags & 0x04 != 0 {
                    s.u64().unwrap_or(0)
                } else {
                    t.last_dts.saturating_add(u64::from(s.u16().unwrap_or(0)))
                };
                let mut sample_cts = 0;
                if flags & 0x08 != 0 {
                    sample_cts = if flags & 0x10 != 0 {
                        s.u64().unwrap_or(0)
                    } else {
                        u64::from(s.u16().unwrap_or(0))
                    };
                }
                let duration = if flags & 0x02 != 0 {
                    Some(u64::from(s.u32().unwrap_or(0)))
                } else {
                    None
                };
                let len = usize::from(s.u16().unwrap_or(0));
                let payload = if track == 1 && flags & 0x20 != 0 {
                    // The payload as (1-byte length, NAL unit) pairs, re-framed with the
                    // 4-byte lengths the stream expects, so well-framed samples are easy to
                    // reach.
                    let mut raw = s.bytes(len);
                    let mut out = Vec::with_capacity(len + 16);
                    while let Some((&n, rest)) = raw.split_first() {
                        let (nal, rest) = rest.split_at(usize::from(n).min(rest.len()));
                        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                        out.extend_from_slice(nal);
                        raw = rest;
                    }
                    out
                } else {
                    s.bytes(len).to_vec()
                };
                let mut sample = Sample::new(payload, dts)
                    .cts_offset(sample_cts)
                    .sync(flags & 0x01 != 0);
                if let Some(d) = duration {
                    sample = sample.duration(d);
                }
                if let Ok(fragment) = muxer.push(t.id, sample) {
                    t.last_dts = dts;
                    if let Some(f) = fragment {
                        check_fragment(&f);
                    }
                }
            }
            6 => {
                if let Ok(Some(f)) = muxer.flush(tracks[track].id) {
                    check_fragment(&f);
                }
            }
            7 => {
                let end = if op & 0x10 != 0 {
                    s.u64().unwrap_or(0)
                } else {
                    tracks[track]
                        .last_dts
                        .saturating_add(u64::from(s.u16().unwrap_or(0)))
                };
                if let Ok(Some(f)) = muxer.flush_at(tracks[track].id, end) {
                    check_fragment(&f);
                }
            }
            8 => {
                let _ = muxer.header(&subset(op, &ids));
            }
            9 => {
                let _ = muxer.index(&subset(op, &ids));
            }
            10 => {
                let _ = muxer.client_manifest();
            }
            11 => {
                let _ = muxer.server_manifest("movie.ismc");
            }
            12 => {
                if let Ok(fragments) = muxer.finish() {
                    fragments.iter().for_each(check_fragment);
                }
            }
            _ => {
                let _ = muxer.bitrate(tracks[track].id);
                let _ = muxer.fragment_times(tracks[track].id);
            }
        }
    }

    // End of input: what a writer does at the end.
    if let Ok(fragments) = muxer.finish() {
        fragments.iter().for_each(check_fragment);
    }
    for subset in [&ids[..], &ids[..1], &ids[1..]] {
        let _ = muxer.header(subset);
        let _ = muxer.index(subset);
    }
    let _ = muxer.client_manifest();
    let _ = muxer.server_manifest("movie.ismc");
});

/// Which streams a header or index is asked for: both (in either order), one, or an
/// invalid list (empty, or a stream twice).
fn subset(op: u8, ids: &[StreamId; 2]) -> Vec<StreamId> {
    let [a, v] = *ids;
    match (op >> 4) & 7 {
        0 => vec![a, v],
        1 => vec![v, a],
        2 => vec![a],
        3 => vec![v],
        4 => vec![],
        _ => vec![a, a],
    }
}

/// A fragment the muxer hands out is well-formed: its header walks as boxes.
fn check_fragment(f: &ssf::Fragment) {
    assert!(!f.chunks.is_empty());
    let header = f.header();
    for b in ssf::isobmff::reader::boxes(header) {
        // The header ends inside the mdat (the payloads follow as separate chunks), so
        // only the moof must be whole.
        if let Ok(b) = b {
            if b.is(b"moof") {
                for child in b.children() {
                    child.expect("moof children parse");
                }
            }
        } else {
            break;
        }
    }
}
