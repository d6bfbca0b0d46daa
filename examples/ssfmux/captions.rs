//! TTML / DFXP caption files (`.ttml`, `.dfxp`): one sparse-stream sample per group of
//! captions (overlapping ones always, consecutive ones within `ttml::SAMPLE_SPAN`, 30 s),
//! each its own fragment.

use std::path::Path;

use bytes::Bytes;
use ssf::codec::ttml::{self, CaptionSample};

use super::source::{Next, Role, Scanned, Source, Totals, err, file_size};

/// Reads and splits a caption file (caption files are small: read whole).
pub fn scan_captions(path: &Path) -> Result<Scanned, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let captions = ttml::split_cues(&text).map_err(err(path))?;
    let last = captions.samples.last().map_or(0, |s| s.end);
    let bytes = captions
        .samples
        .iter()
        .map(|s| s.document.len() as u64)
        .sum();
    Ok(Scanned {
        label: path.display().to_string(),
        video: false,
        role: Role::Captions(captions.language),
        timescale: u32::try_from(ttml::TICKS_PER_SECOND).unwrap_or(u32::MAX),
        bytes,
        totals: Some(Totals {
            bytes: file_size(path)?,
            duration: last,
        }),
        source: Source::Captions(CaptionSource {
            samples: captions.samples.into_iter(),
        }),
    })
}

/// The samples of a caption file, timed in 100 ns ticks from the programme's start.
pub struct CaptionSource {
    /// Samples not yet handed out.
    samples: std::vec::IntoIter<CaptionSample>,
}

impl CaptionSource {
    /// The next caption sample.
    pub fn next(&mut self) -> Result<Option<Next>, String> {
        Ok(self.samples.next().map(|s| Next {
            duration: s.end - s.begin,
            dts: s.begin,
            cts_offset: 0,
            data: Bytes::from(s.document),
            sync: true,
        }))
    }
}
