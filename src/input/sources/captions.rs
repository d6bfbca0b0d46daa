//! TTML / DFXP caption files: one sparse-stream sample per group of captions
//! (overlapping ones always, consecutive ones within `ttml::SAMPLE_SPAN`, 30 s), timed in
//! 100 ns ticks from the programme's start.

use std::path::Path;

use bytes::Bytes;

use super::{Opened, file_size};
use crate::codec::MediaKind;
use crate::codec::ttml::{self, CaptionSample};
use crate::error::{Error, Result};
use crate::input::sample::InputSample;
use crate::input::source::SampleSource;
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};

/// Reads and splits a caption file (caption files are small: read whole).
pub(crate) fn open(path: &Path) -> Result<Opened> {
    let label = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| Error::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let captions = ttml::split_cues(&text).map_err(|e| e.in_input(label.clone()))?;
    let last = captions.samples.last().map_or(0, |s| s.end);
    let bytes = captions
        .samples
        .iter()
        .map(|s| s.document.len() as u64)
        .sum();
    let stream = InputStream {
        label,
        kind: MediaKind::Text,
        role: StreamRole::Captions,
        timescale: u32::try_from(ttml::TICKS_PER_SECOND).unwrap_or(u32::MAX),
        language: captions.language,
        bitrate_basis: BitrateBasis::Known(Totals {
            bytes: file_size(path)?,
            duration: last,
        }),
        size_hint: bytes,
    };
    let source = CaptionSource {
        samples: captions.samples.into_iter(),
    };
    Ok((stream, Box::new(source)))
}

/// The samples of a caption file.
struct CaptionSource {
    /// Samples not yet handed out.
    samples: std::vec::IntoIter<CaptionSample>,
}

impl SampleSource for CaptionSource {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        Ok(self.samples.next().map(|s| InputSample {
            duration: s.end.saturating_sub(s.begin),
            dts: s.begin,
            cts_offset: 0,
            data: Bytes::from(s.document),
            sync: true,
            origin: None,
            pieces: Vec::new(),
            sealed: None,
        }))
    }
}
