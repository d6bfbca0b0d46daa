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
use std::sync::atomic::{AtomicU64, Ordering};

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

/// A regular file's length (None for a pipe), to check at the end that every byte was
/// read.
pub(crate) fn regular_length(file: &File) -> Option<u64> {
    file.metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// Fails unless the `read` bytes cover the whole `length` of a regular file: a stream
/// that ends early (the file shrank, or a reader stopped) must never pass for a whole one.
pub(crate) fn check_read_to_end(label: &str, read: &AtomicU64, length: Option<u64>) -> Result<()> {
    let read = read.load(Ordering::Relaxed);
    match length {
        Some(length) if read < length => Err(Error::input(
            label.to_string(),
            format!(
                "reading stopped at byte {read} of {length}: the file changed or could not be \
                 read to its end"
            ),
        )),
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_stream_that_ends_before_its_file_does_is_an_error() {
        let read = AtomicU64::new(1_000);
        let err = check_read_to_end("a.h264", &read, Some(4_096)).unwrap_err();
        assert!(
            err.to_string().contains("a.h264") && err.to_string().contains("byte 1000 of 4096"),
            "{err}"
        );
        assert!(check_read_to_end("a.h264", &read, Some(1_000)).is_ok());
        assert!(
            check_read_to_end("pipe", &read, None).is_ok(),
            "a pipe has no length"
        );
    }
}
