//! Raw H.264 (Annex B): access units timed from their picture order counts, read once,
//! front to back, so the file may be a pipe.

use std::fs::File;
use std::path::Path;

use bytes::Bytes;

use super::{Opened, file_size, frame_timing, open_file};
use crate::codec::MediaKind;
use crate::codec::avc::NalFormat;
use crate::error::{Error, Result};
use crate::input::frame_rate::FrameRate;
use crate::input::h264::{AccessUnit, AccessUnitReader, PtsFromPoc};
use crate::input::sample::InputSample;
use crate::input::source::{Counted, ReadCount, SampleSource};
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};
use crate::mux::StreamConfig;

/// Opens a raw Annex B stream: reads its first picture for the SPS's timing (or takes
/// `fps` when it has no VUI timing). The rest is read as it is muxed.
pub(crate) fn open(path: &Path, fps: Option<FrameRate>, notes: &mut Vec<String>) -> Result<Opened> {
    let label = path.display().to_string();
    let e = |e: Error| e.in_input(label.clone());
    let file = open_file(path)?;
    let (file, read) = Counted::new(file);
    // A plain reader: the access unit reader reads 1 MiB chunks itself, so a
    // `BufReader` would only add a copy.
    let mut reader = AccessUnitReader::with_path(file, path);
    let first = reader
        .next_access_unit()
        .map_err(e)?
        .ok_or_else(|| Error::input(label.clone(), "no H.264 pictures found"))?;
    let sps = reader.active_sps();
    let timing = sps.and_then(|s| s.frame_duration());
    let depth = sps.and_then(|s| s.max_num_reorder_frames);
    let (frame_duration, timescale) = frame_timing(
        &label,
        timing,
        fps,
        "the SPS has no VUI timing, so the frame rate is unknown; give it with --fps",
        notes,
    )?;
    let config = StreamConfig::h264_in_band(NalFormat::LengthPrefixed(4)).map_err(e)?;
    let stream = InputStream {
        label: label.clone(),
        kind: MediaKind::Video,
        role: StreamRole::Media(Box::new(config)),
        timescale,
        language: None,
        bitrate_basis: BitrateBasis::Counted,
        size_hint: file_size(path)?,
    };
    let source = H264Source {
        label,
        reader,
        first: Some(first),
        pts: PtsFromPoc::new(frame_duration, depth),
        frame_duration,
        done: false,
        seen_idr: false,
        skipped: 0,
        pictures: 0,
        read,
    };
    Ok((stream, Box::new(source)))
}

/// Access units of a raw stream, timed from their picture order counts.
struct H264Source {
    /// The file, for messages.
    label: String,
    /// Access units.
    reader: AccessUnitReader<Counted<File>>,
    /// The picture read when the stream was opened, not yet timed.
    first: Option<AccessUnit>,
    /// Holds frames until their presentation order is known (B-frames).
    pts: PtsFromPoc<(Bytes, bool)>,
    /// Ticks per frame.
    frame_duration: u64,
    /// The reader is exhausted.
    done: bool,
    /// An IDR picture has been passed on.
    seen_idr: bool,
    /// Pictures dropped before the first IDR.
    skipped: u64,
    /// Pictures read, skipped ones included (the file's duration in frames).
    pictures: u64,
    /// How much of the file was read.
    read: ReadCount,
}

impl SampleSource for H264Source {
    fn next_sample(&mut self, notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        let label = &self.label;
        let e = |e: Error| e.in_input(label.clone());
        loop {
            if let Some(frame) = self.pts.pop().map_err(e)? {
                let (data, sync) = frame.payload;
                return Ok(Some(InputSample {
                    data,
                    dts: frame.dts,
                    cts_offset: u64::from(frame.cts_offset),
                    duration: self.frame_duration,
                    sync,
                    // Annex B start codes became NAL lengths: not the file's bytes.
                    origin: None,
                }));
            }
            if self.done {
                return Ok(None);
            }
            let next = match self.first.take() {
                Some(first) => Some(first),
                None => self.reader.next_access_unit().map_err(e)?,
            };
            let Some(au) = next else {
                self.read.check_read_to_end(label)?;
                self.pts.finish().map_err(e)?;
                self.done = true;
                continue;
            };
            if au.field_pic {
                // Each field is its own access unit here; PIFF wants field pairs as one
                // sample, which the reader does not assemble.
                return Err(Error::input(
                    label.clone(),
                    "field-coded (interlaced) H.264 is not supported",
                ));
            }
            self.pictures += 1;
            // Pictures before the first IDR reference frames the stream does not hold; no
            // decoder can show them and a fragment cannot start there.
            if !self.seen_idr && !au.is_idr {
                self.skipped += 1;
                continue;
            }
            if self.skipped > 0 && !self.seen_idr {
                notes.push(format!(
                    "{label}: skipped {} pictures before the first IDR picture",
                    self.skipped
                ));
            }
            self.seen_idr = true;
            self.pts
                .push(au.poc, au.starts_period, (au.data, au.is_idr))
                .map_err(e)?;
        }
    }

    fn counted(&self) -> Totals {
        Totals {
            bytes: self.read.bytes(),
            duration: self.pictures.saturating_mul(self.frame_duration),
        }
    }
}
