//! ADTS AAC: raw frames, frame `i` at `i × 1024` in the sampling-rate timescale (which
//! cannot drift), read once, front to back, so the file may be a pipe.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::{Opened, file_size, open_file, origin_ending_at, origin_handle};
use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::input::adts::AdtsReader;
use crate::input::sample::InputSample;
use crate::input::source::{Counted, ReadCount, SampleSource};
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};
use crate::mux::StreamConfig;

/// Opens an ADTS stream: its configuration from the first header. The rest is read as
/// it is muxed.
pub(crate) fn open(path: &Path) -> Result<Opened> {
    let label = path.display().to_string();
    let e = |e: Error| e.in_input(label.clone());
    let file = open_file(path)?;
    let origin_file = origin_handle(&file);
    let (file, read) = Counted::new(file);
    let mut reader = AdtsReader::new(BufReader::with_capacity(64 << 10, file));
    let (header, first) = reader
        .next()
        .ok_or_else(|| Error::input(label.clone(), "no ADTS frames found"))?
        .map_err(e)?;
    let first_end = reader.position();
    let asc = header.audio_specific_config().map_err(e)?;
    let config = StreamConfig::aac(&asc.to_bytes()).map_err(e)?;
    let stream = InputStream {
        label: label.clone(),
        kind: MediaKind::Audio,
        role: StreamRole::Media(Box::new(config)),
        timescale: asc.sampling_rate,
        language: None,
        bitrate_basis: BitrateBasis::Counted,
        size_hint: file_size(path)?,
    };
    let source = AdtsSource {
        label,
        reader,
        first: Some((first, first_end)),
        index: 0,
        frame: u64::from(asc.frame_length),
        read,
        origin_file,
    };
    Ok((stream, Box::new(source)))
}

/// Raw AAC frames of an ADTS stream.
struct AdtsSource {
    /// The file, for messages.
    label: String,
    /// The frames.
    reader: AdtsReader<BufReader<Counted<File>>>,
    /// The frame read when the stream was opened, not yet handed out, with the stream
    /// offset of its end.
    first: Option<(Bytes, u64)>,
    /// Index of the next frame.
    index: u64,
    /// Samples per frame (1024).
    frame: u64,
    /// How much of the file was read.
    read: ReadCount,
    /// The file again, for payload origins (regular files only).
    origin_file: Option<Arc<File>>,
}

impl SampleSource for AdtsSource {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        let (data, end) = match self.first.take() {
            Some(first) => first,
            None => match self.reader.next() {
                Some(frame) => (
                    frame.map_err(|e| e.in_input(self.label.clone()))?.1,
                    self.reader.position(),
                ),
                None => {
                    self.read.check_read_to_end(&self.label)?;
                    return Ok(None);
                }
            },
        };
        let dts = self.index * self.frame;
        self.index += 1;
        let origin = origin_ending_at(self.origin_file.as_ref(), end, data.len());
        Ok(Some(InputSample {
            data,
            dts,
            cts_offset: 0,
            duration: self.frame,
            sync: true,
            origin,
            pieces: Vec::new(),
            sealed: None,
        }))
    }

    fn counted(&self) -> Totals {
        Totals {
            bytes: self.read.bytes(),
            duration: self.index.saturating_mul(self.frame),
        }
    }
}
