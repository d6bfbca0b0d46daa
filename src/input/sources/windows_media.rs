//! VC-1 Advanced Profile elementary streams and WMA in ASF: pre-scanned (frame count,
//! B-frames, last block time), then read again as they are muxed.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::{Opened, file_size, frame_timing, open_file, origin_ending_at, origin_handle};
use crate::codec::MediaKind;
use crate::codec::vc1::FrameType;
use crate::codec::wma::WmaConfig;
use crate::error::{Error, Result};
use crate::input::asf::AsfReader;
use crate::input::frame_rate::FrameRate;
use crate::input::sample::InputSample;
use crate::input::source::SampleSource;
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};
use crate::input::vc1::{Vc1Frame, Vc1FrameReader, pts_order};
use crate::mux::StreamConfig;

/// Pre-scans a VC-1 elementary stream: frame count, configuration, what the whole stream
/// holds (B-frames, slices, repeated headers: the binding byte and `dvc1` flags) and the
/// frame rate from the sequence header, or `fps` when it signals none.
pub(crate) fn open_vc1(
    path: &Path,
    fps: Option<FrameRate>,
    progress: &dyn Fn(u64),
    notes: &mut Vec<String>,
) -> Result<Opened> {
    let label = path.display().to_string();
    let e = |e: Error| e.in_input(label.clone());
    let mut reader = Vc1FrameReader::new(open_file(path)?);
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(frame) = reader.next_frame().map_err(e)? {
        count += 1;
        bytes += frame.data.len() as u64;
        if count.is_multiple_of(256) {
            progress(bytes);
        }
    }
    progress(bytes);
    let config = reader
        .config()
        .ok_or_else(|| Error::input(label.clone(), "no VC-1 frames found"))?;
    let own = config.frame_rate().map(|(num, den)| (u64::from(den), num));
    let (frame_duration, timescale) = frame_timing(
        &label,
        own,
        fps,
        "the sequence header signals no frame rate; give it with --fps",
        notes,
    )?;
    let flags = reader.stream_flags();
    let config = config.clone().with_stream_flags(flags);
    let config = StreamConfig::vc1(&config.codec_private_data()).map_err(e)?;
    let file = open_file(path)?;
    let origin_file = origin_handle(&file);
    let stream = InputStream {
        label: label.clone(),
        kind: MediaKind::Video,
        role: StreamRole::Media(Box::new(config)),
        timescale,
        language: None,
        bitrate_basis: BitrateBasis::Known(Totals {
            bytes: file_size(path)?,
            duration: count.saturating_mul(frame_duration),
        }),
        size_hint: bytes,
    };
    let source = Vc1Source {
        label,
        reader: Vc1FrameReader::new(file),
        gop: VecDeque::new(),
        lookahead: None,
        decoded: 0,
        frame_duration,
        delay: u64::from(!flags.no_bframe),
        origin_file,
    };
    Ok((stream, Box::new(source)))
}

/// Frames of a VC-1 stream, timed one GOP at a time: a closed GOP's presentation order
/// is fixed by its frame types alone (see [`pts_order`]).
struct Vc1Source {
    /// The file, for messages.
    label: String,
    /// The frames.
    reader: Vc1FrameReader<File>,
    /// Timed frames of the current GOP, waiting to be handed out.
    gop: VecDeque<InputSample>,
    /// The first frame of the next GOP, read while looking for the current one's end,
    /// with the stream offset of its end.
    lookahead: Option<(Vc1Frame, u64)>,
    /// Frames timed so far (the decode index of the next GOP's first frame).
    decoded: u64,
    /// Ticks per frame.
    frame_duration: u64,
    /// Frames by which presentation trails decoding: 1 when the stream has B-frames, so
    /// that every composition offset is non-negative.
    delay: u64,
    /// The file again, for sample origins (the frames are its bytes unchanged).
    origin_file: Option<Arc<File>>,
}

impl Vc1Source {
    /// Reads frames up to the next sync frame and times them.
    fn read_gop(&mut self) -> Result<()> {
        let mut frames = Vec::new();
        if let Some(first) = self.lookahead.take() {
            frames.push(first);
        }
        while let Some(frame) = self
            .reader
            .next_frame()
            .map_err(|e| e.in_input(self.label.clone()))?
        {
            let end = self.reader.position();
            if frame.sync && !frames.is_empty() {
                self.lookahead = Some((frame, end));
                break;
            }
            frames.push((frame, end));
        }
        let types: Vec<FrameType> = frames.iter().map(|(f, _)| f.frame_type).collect();
        let d = self.frame_duration;
        for (i, ((frame, end), pts)) in (0u64..).zip(frames.into_iter().zip(pts_order(&types))) {
            let dts = (self.decoded + i) * d;
            let pts = (self.decoded + pts + self.delay) * d;
            let origin = origin_ending_at(self.origin_file.as_ref(), end, frame.data.len());
            self.gop.push_back(InputSample {
                data: frame.data,
                dts,
                cts_offset: pts.saturating_sub(dts),
                duration: d,
                sync: frame.sync,
                origin,
                pieces: Vec::new(),
                sealed: None,
            });
        }
        self.decoded += types.len() as u64;
        Ok(())
    }
}

impl SampleSource for Vc1Source {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        if self.gop.is_empty() {
            self.read_gop()?;
        }
        Ok(self.gop.pop_front())
    }
}

/// Opens an ASF file and its WMA stream.
fn open_asf(path: &Path, label: &str) -> Result<AsfReader<BufReader<File>>> {
    AsfReader::new(BufReader::with_capacity(64 << 10, open_file(path)?))
        .map_err(|e| e.in_input(label.to_string()))
}

/// Pre-scans an ASF file's audio stream: its WAVEFORMATEX, block count and the time of
/// the last block.
pub(crate) fn open_wma(path: &Path, progress: &dyn Fn(u64)) -> Result<Opened> {
    let label = path.display().to_string();
    let e = |e: Error| e.in_input(label.clone());
    let mut reader = open_asf(path, &label)?;
    let wma = WmaConfig::from_wave_format(&reader.audio().wave_format).map_err(e)?;
    let (mut count, mut bytes, mut last) = (0u64, 0u64, 0u64);
    while let Some(payload) = reader.next_payload().map_err(e)? {
        count += 1;
        bytes += payload.data.len() as u64;
        last = wma.snap_time_ms(payload.presentation_time_ms);
        if count.is_multiple_of(256) {
            progress(bytes);
        }
    }
    progress(bytes);
    if count == 0 {
        return Err(Error::input(label, "no WMA blocks found"));
    }
    let fallback = u64::from(wma.samples_per_block().unwrap_or(wma.samples_per_frame()));
    let config = StreamConfig::wma(&reader.audio().wave_format).map_err(e)?;
    let stream = InputStream {
        label: label.clone(),
        kind: MediaKind::Audio,
        role: StreamRole::Media(Box::new(config)),
        timescale: wma.sampling_rate(),
        language: None,
        bitrate_basis: BitrateBasis::Known(Totals {
            bytes: file_size(path)?,
            duration: last + fallback,
        }),
        size_hint: bytes,
    };
    let source = WmaSource {
        reader: open_asf(path, &label)?,
        label,
        pending: None,
        origin: None,
        index: 0,
        last_duration: fallback,
        wma,
    };
    Ok((stream, Box::new(source)))
}

/// WMA blocks (ASF media objects) as samples, in the sampling-rate timescale.
///
/// WMA v2 blocks hold a fixed number of samples, so block `i` starts at `i ×
/// dwSamplesPerBlock`. A WMA Pro block holds a varying number of frames, so its start
/// comes from the ASF time snapped to the frame grid, and its duration is the distance
/// to the next block's start (the last block repeats the one before, or lasts one block
/// of the nominal size when it is the only one).
struct WmaSource {
    /// The file, for messages.
    label: String,
    /// The blocks.
    reader: AsfReader<BufReader<File>>,
    /// A block read but not handed out (it waits for its successor's time).
    pending: Option<(Bytes, u64)>,
    /// The first block's sample position: times count from there.
    origin: Option<u64>,
    /// Blocks handed out.
    index: u64,
    /// Duration of the block handed out last.
    last_duration: u64,
    /// The stream's format.
    wma: WmaConfig,
}

impl SampleSource for WmaSource {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        let label = &self.label;
        let e = |e: Error| e.in_input(label.clone());
        // Media objects are reassembled from packets: not one stretch of the file.
        let sample = |data, dts, duration| InputSample {
            data,
            dts,
            cts_offset: 0,
            duration,
            sync: true,
            origin: None,
            pieces: Vec::new(),
            sealed: None,
        };
        if let Some(per_block) = self.wma.samples_per_block() {
            let Some(payload) = self.reader.next_payload().map_err(e)? else {
                return Ok(None);
            };
            let per_block = u64::from(per_block);
            let dts = self.index * per_block;
            self.index += 1;
            return Ok(Some(sample(payload.data, dts, per_block)));
        }
        loop {
            let next = self
                .reader
                .next_payload()
                .map_err(e)?
                .map(|p| (p.data, self.wma.snap_time_ms(p.presentation_time_ms)));
            let Some((data, time)) = self.pending.take() else {
                match next {
                    Some((data, time)) => {
                        self.origin.get_or_insert(time);
                        self.pending = Some((data, time));
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            let origin = self.origin.unwrap_or(time);
            let dts = time.saturating_sub(origin);
            let duration = match &next {
                Some((_, t)) if *t > time => t - time,
                Some((_, t)) => {
                    return Err(Error::input(
                        label.clone(),
                        format!(
                            "WMA block {} is timed at sample {t}, not after the previous \
                             block at {time}",
                            self.index + 1
                        ),
                    ));
                }
                // The last block: as long as the one before.
                None => self.last_duration,
            };
            self.last_duration = duration;
            self.pending = next;
            self.index += 1;
            return Ok(Some(sample(data, dts, duration.max(1))));
        }
    }
}
