//! The timed sources of each kind of input: what opening a file tells about its streams,
//! and the [`SampleSource`](super::SampleSource) that then reads their samples.

pub(crate) mod adts;
pub(crate) mod captions;
pub(crate) mod h264;
pub(crate) mod mp4;
pub(crate) mod windows_media;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use super::frame_rate::FrameRate;
use super::sample::FileRange;
use super::source::SampleSource;
use super::stream::InputStream;
use crate::error::{Error, Result};

/// One stream of an input, opened: what it is and where its samples come from.
pub(crate) type Opened = (InputStream, Box<dyn SampleSource>);

/// Opens `path` for reading.
pub(crate) fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io {
        op: "open",
        path: path.to_path_buf(),
        source,
    })
}

/// A file's size (0 for a pipe), for progress and size hints.
pub(crate) fn file_size(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| Error::Io {
            op: "stat",
            path: path.to_path_buf(),
            source,
        })
}

/// A second handle on `file` for sample origins, when it is a regular file (a pipe's
/// bytes cannot be read again at an offset).
pub(crate) fn origin_handle(file: &File) -> Option<Arc<File>> {
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    regular
        .then(|| file.try_clone().ok().map(Arc::new))
        .flatten()
}

/// The origin of a payload of `len` bytes ending at `end` in `file`.
pub(crate) fn origin_ending_at(
    file: Option<&Arc<File>>,
    end: u64,
    len: usize,
) -> Option<FileRange> {
    let len = u64::try_from(len).ok()?;
    Some(FileRange {
        file: Arc::clone(file?),
        offset: end.checked_sub(len)?,
        len,
    })
}

/// The frame timing of raw video as `(ticks per frame, ticks per second)`: its own when
/// it signals one (with a note when `given` differs), else `given`; with neither, an
/// error saying why (`missing`).
pub(crate) fn frame_timing(
    label: &str,
    own: Option<(u64, u32)>,
    given: Option<FrameRate>,
    missing: &str,
    notes: &mut Vec<String>,
) -> Result<(u64, u32)> {
    match (own, given) {
        (Some((ticks, scale)), given) => {
            if let Some(f) = given
                && u128::from(ticks) * u128::from(f.num) != u128::from(f.den) * u128::from(scale)
            {
                notes.push(format!(
                    "{label}: using the stream's own frame rate ({:.3} fps), not --fps",
                    f64::from(scale) / ticks as f64
                ));
            }
            Ok((ticks, scale))
        }
        (None, Some(f)) => Ok((u64::from(f.den), f.num)),
        (None, None) => Err(Error::input(label, missing)),
    }
}
