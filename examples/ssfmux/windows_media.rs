//! VC-1 Advanced Profile elementary streams (`.vc1`) and WMA audio in ASF (`.wma`,
//! `.asf`): pre-scan and sources.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ssf::StreamConfig;
use ssf::codec::vc1::FrameType;
use ssf::codec::wma::WmaConfig;
use ssf::input::asf::AsfReader;
use ssf::input::vc1::{Vc1Frame, Vc1FrameReader, pts_order};

use super::source::{Fps, Next, Role, Scanned, Source, Totals, err, file_size};

// ---------------------------------------------------------------------------------------
// VC-1

/// Pre-scans a VC-1 elementary stream: frame count, B-frames, configuration and the
/// frame rate from the sequence header, or `--fps` when it signals none.
pub fn scan_vc1(
    path: &Path,
    fps: Option<Fps>,
    progress: &mut dyn FnMut(u64),
) -> Result<Scanned, String> {
    let e = err(path);
    let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    let mut reader = Vc1FrameReader::new(open()?);
    let (mut count, mut bytes, mut has_b) = (0u64, 0u64, false);
    while let Some(frame) = reader.next_frame().map_err(&e)? {
        has_b |= matches!(frame.frame_type, FrameType::B | FrameType::BI);
        count += 1;
        bytes += frame.data.len() as u64;
        if count.is_multiple_of(256) {
            progress(bytes);
        }
    }
    progress(bytes);
    let config = reader
        .config()
        .ok_or_else(|| format!("{}: no VC-1 frames found", path.display()))?;
    let (timescale, frame_duration) = match (config.frame_rate(), fps) {
        (Some((num, den)), given) => {
            if let Some(f) = given
                && u64::from(num) * u64::from(f.den) != u64::from(den) * u64::from(f.num)
            {
                eprintln!(
                    "ssfmux: {}: using the stream's own frame rate ({:.3} fps), not --fps",
                    path.display(),
                    f64::from(num) / f64::from(den)
                );
            }
            (num, u64::from(den))
        }
        (None, Some(f)) => (f.num, u64::from(f.den)),
        (None, None) => {
            return Err(format!(
                "{}: the sequence header signals no frame rate; give it with --fps",
                path.display()
            ));
        }
    };
    let stream = StreamConfig::vc1(&config.codec_private_data()).map_err(&e)?;
    Ok(Scanned {
        label: path.display().to_string(),
        video: true,
        role: Role::Media(Box::new(stream)),
        timescale,
        bytes,
        totals: Some(Totals {
            bytes: file_size(path)?,
            duration: count.saturating_mul(frame_duration),
        }),
        source: Source::Vc1(Box::new(Vc1Source {
            path: path.to_path_buf(),
            reader: Vc1FrameReader::new(open()?),
            gop: VecDeque::new(),
            lookahead: None,
            decoded: 0,
            frame_duration,
            delay: u64::from(has_b),
        })),
    })
}

/// Frames of a VC-1 stream, timed one GOP at a time: a closed GOP's presentation order
/// is fixed by its frame types alone (see [`pts_order`]).
pub struct Vc1Source {
    /// The file, for messages.
    path: PathBuf,
    /// The frames.
    reader: Vc1FrameReader<File>,
    /// Timed frames of the current GOP, waiting to be handed out.
    gop: VecDeque<Next>,
    /// The first frame of the next GOP, read while looking for the current one's end.
    lookahead: Option<Vc1Frame>,
    /// Frames timed so far (the decode index of the next GOP's first frame).
    decoded: u64,
    /// Ticks per frame.
    frame_duration: u64,
    /// Frames by which presentation trails decoding: 1 when the stream has B-frames, so
    /// that every composition offset is non-negative.
    delay: u64,
}

impl Vc1Source {
    /// The next frame in decode order with its times.
    pub fn next(&mut self) -> Result<Option<Next>, String> {
        if self.gop.is_empty() {
            self.read_gop()?;
        }
        Ok(self.gop.pop_front())
    }

    /// Reads frames up to the next sync frame and times them.
    fn read_gop(&mut self) -> Result<(), String> {
        let e = err(&self.path);
        let mut frames = Vec::new();
        if let Some(first) = self.lookahead.take() {
            frames.push(first);
        }
        while let Some(frame) = self.reader.next_frame().map_err(&e)? {
            if frame.sync && !frames.is_empty() {
                self.lookahead = Some(frame);
                break;
            }
            frames.push(frame);
        }
        let types: Vec<FrameType> = frames.iter().map(|f| f.frame_type).collect();
        let d = self.frame_duration;
        for (i, (frame, pts)) in (0u64..).zip(frames.into_iter().zip(pts_order(&types))) {
            let dts = (self.decoded + i) * d;
            let pts = (self.decoded + pts + self.delay) * d;
            self.gop.push_back(Next {
                data: frame.data,
                dts,
                cts_offset: pts.saturating_sub(dts),
                duration: d,
                sync: frame.sync,
            });
        }
        self.decoded += types.len() as u64;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// WMA in ASF

/// Pre-scans an ASF file's audio stream: its WAVEFORMATEX, block count and the time of
/// the last block.
pub fn scan_wma(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Scanned, String> {
    let e = err(path);
    let open = || {
        File::open(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|f| AsfReader::new(BufReader::with_capacity(64 << 10, f)).map_err(&e))
    };
    let mut reader = open()?;
    let wma = WmaConfig::from_wave_format(&reader.audio().wave_format).map_err(&e)?;
    let (mut count, mut bytes, mut last) = (0u64, 0u64, 0u64);
    while let Some(payload) = reader.next_payload().map_err(&e)? {
        count += 1;
        bytes += payload.data.len() as u64;
        last = wma.snap_time_ms(payload.presentation_time_ms);
        if count.is_multiple_of(256) {
            progress(bytes);
        }
    }
    progress(bytes);
    if count == 0 {
        return Err(format!("{}: no WMA blocks found", path.display()));
    }
    let fallback = u64::from(wma.samples_per_block().unwrap_or(wma.samples_per_frame()));
    let config = StreamConfig::wma(&reader.audio().wave_format).map_err(&e)?;
    Ok(Scanned {
        label: path.display().to_string(),
        video: false,
        role: Role::Media(Box::new(config)),
        timescale: wma.sampling_rate(),
        bytes,
        totals: Some(Totals {
            bytes: file_size(path)?,
            duration: last + fallback,
        }),
        source: Source::Wma(Box::new(WmaSource {
            path: path.to_path_buf(),
            reader: open()?,
            pending: None,
            origin: None,
            index: 0,
            last_duration: fallback,
            wma,
        })),
    })
}

/// WMA blocks (ASF media objects) as samples, in the sampling-rate timescale.
///
/// WMA v2 blocks hold a fixed number of samples, so block `i` starts at `i ×
/// dwSamplesPerBlock`. A WMA Pro block holds a varying number of frames, so its start
/// comes from the ASF time snapped to the frame grid, and its duration is the distance
/// to the next block's start (the last block repeats the one before, or lasts one block of the
/// nominal size when it is the only one).
pub struct WmaSource {
    /// The file, for messages.
    path: PathBuf,
    /// The blocks.
    reader: AsfReader<BufReader<File>>,
    /// A block read but not handed out (it waits for its successor's time).
    pending: Option<(bytes::Bytes, u64)>,
    /// The first block's sample position: times count from there.
    origin: Option<u64>,
    /// Blocks handed out.
    index: u64,
    /// Duration of the block handed out last.
    last_duration: u64,
    /// The stream's format.
    wma: WmaConfig,
}

impl WmaSource {
    /// The next block with its times.
    pub fn next(&mut self) -> Result<Option<Next>, String> {
        let e = err(&self.path);
        if let Some(per_block) = self.wma.samples_per_block() {
            let Some(payload) = self.reader.next_payload().map_err(&e)? else {
                return Ok(None);
            };
            let per_block = u64::from(per_block);
            let dts = self.index * per_block;
            self.index += 1;
            return Ok(Some(Next {
                data: payload.data,
                dts,
                cts_offset: 0,
                duration: per_block,
                sync: true,
            }));
        }
        loop {
            let next = self
                .reader
                .next_payload()
                .map_err(&e)?
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
                    return Err(format!(
                        "{}: WMA block {} is timed at sample {t}, not after the previous \
                         block at {time}",
                        self.path.display(),
                        self.index + 1
                    ));
                }
                // The last block: as long as the one before.
                None => self.last_duration,
            };
            self.last_duration = duration;
            self.pending = next;
            self.index += 1;
            return Ok(Some(Next {
                data,
                dts,
                cts_offset: 0,
                duration: duration.max(1),
                sync: true,
            }));
        }
    }
}
