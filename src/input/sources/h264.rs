//! Raw H.264 (Annex B): access units timed from their picture order counts, read once,
//! front to back, so the file may be a pipe.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::{Opened, file_size, frame_timing, open_file, origin_handle};
use crate::codec::MediaKind;
use crate::codec::avc::NalFormat;
use crate::error::{Error, Result};
use crate::input::frame_rate::FrameRate;
use crate::input::h264::{AccessUnit, AccessUnitReader, MIN_IN_FILE, PtsFromPoc};
use crate::input::sample::{Chunk, InputSample};
use crate::input::source::{Counted, ReadCount, SampleSource};
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};
use crate::mux::StreamConfig;

/// Opens a raw Annex B stream: reads its first picture for the SPS's timing (or takes
/// `fps` when it has no VUI timing). The rest is read as it is muxed.
pub(crate) fn open(path: &Path, fps: Option<FrameRate>, notes: &mut Vec<String>) -> Result<Opened> {
    let label = path.display().to_string();
    let e = |e: Error| e.in_input(label.clone());
    let file = open_file(path)?;
    let origin_file = origin_handle(&file);
    let (file, read) = Counted::new(file);
    // A plain reader: the access unit reader reads 1 MiB chunks itself, so a
    // `BufReader` would only add a copy.
    let mut reader = AccessUnitReader::with_path(file, path);
    // Pictures before the first IDR picture reference frames the stream does not hold:
    // no decoder can show them and a fragment cannot start there.
    let mut skipped = 0u64;
    let first = loop {
        let au = reader.next_access_unit().map_err(e)?.ok_or_else(|| {
            Error::input(
                label.clone(),
                match skipped {
                    0 => "no H.264 pictures found".to_string(),
                    n => format!("no IDR picture in {n} pictures: a fragment must start at one"),
                },
            )
        })?;
        check_frame(&label, &au)?;
        if au.is_idr {
            break au;
        }
        skipped += 1;
    };
    if skipped > 0 {
        notes.push(format!(
            "{label}: skipped {skipped} pictures before the first IDR picture"
        ));
    }
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
    // The first IDR picture's parameter sets configure the stream up front (as the
    // muxer would take them from it), so its payloads may stay in the file.
    let format = NalFormat::LengthPrefixed(4);
    let (config, origin_file) = match (&first.sps, &first.pps) {
        (Some(sps), Some(pps)) => (
            StreamConfig::h264_parameter_sets(sps.clone(), pps.clone(), format),
            origin_file,
        ),
        _ => (StreamConfig::h264_in_band(format), None),
    };
    let config = config.map_err(e)?;
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
        pictures: skipped,
        read,
        origin_file,
    };
    Ok((stream, Box::new(source)))
}

/// Refuses an access unit the muxer cannot take.
fn check_frame(label: &str, au: &AccessUnit) -> Result<()> {
    if au.field_pic {
        // Each field is its own access unit here; PIFF wants field pairs as one sample,
        // which the reader does not assemble.
        return Err(Error::input(
            label.to_string(),
            "field-coded (interlaced) H.264 is not supported",
        ));
    }
    Ok(())
}

/// Access units of a raw stream, timed from their picture order counts.
struct H264Source {
    /// The file, for messages.
    label: String,
    /// Access units.
    reader: AccessUnitReader<Counted<File>>,
    /// The picture read when the stream was opened, not yet timed.
    first: Option<AccessUnit>,
    /// Holds frames (payload in memory or left in the file, and whether IDR) until their
    /// presentation order is known (B-frames).
    pts: PtsFromPoc<(Bytes, Vec<Chunk>, bool)>,
    /// Ticks per frame.
    frame_duration: u64,
    /// The reader is exhausted.
    done: bool,
    /// Pictures read, skipped ones included (the file's duration in frames).
    pictures: u64,
    /// How much of the file was read.
    read: ReadCount,
    /// The file again, when its payloads may be left in it (a regular file whose stream
    /// is configured up front).
    origin_file: Option<Arc<File>>,
}

impl SampleSource for H264Source {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        let label = &self.label;
        let e = |e: Error| e.in_input(label.clone());
        loop {
            if let Some(frame) = self.pts.pop().map_err(e)? {
                let (data, pieces, sync) = frame.payload;
                return Ok(Some(InputSample {
                    data,
                    dts: frame.dts,
                    cts_offset: u64::from(frame.cts_offset),
                    duration: self.frame_duration,
                    sync,
                    // Annex B start codes became NAL lengths: not the file's bytes.
                    origin: None,
                    pieces,
                    sealed: None,
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
            check_frame(label, &au)?;
            self.pictures += 1;
            self.pts
                .push(au.poc, au.starts_period, (au.data, au.pieces, au.is_idr))
                .map_err(e)?;
        }
    }

    fn leave_payloads_in_files(&mut self) -> bool {
        match &self.origin_file {
            Some(file) => {
                self.reader.leave_in_file(Arc::clone(file), MIN_IN_FILE);
                true
            }
            None => false,
        }
    }

    fn counted(&self) -> Totals {
        Totals {
            bytes: self.read.bytes(),
            duration: self.pictures.saturating_mul(self.frame_duration),
        }
    }
}
