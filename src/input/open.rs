//! Opening one input file: its kind, its streams and their sources.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::frame_rate::FrameRate;
use super::kind::InputKind;
use super::source::SampleSource;
use super::sources::{self, Opened, file_size};
use super::stream::InputStream;
use crate::error::Result;

/// A progress callback: bytes scanned so far.
type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How inputs are opened.
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// Frame rate of raw H.264 without VUI timing or VC-1 without a signalled rate.
    frame_rate: Option<FrameRate>,
    /// Told the bytes scanned while a VC-1 or WMA file is pre-scanned.
    progress: Option<Progress>,
}

impl OpenOptions {
    /// Defaults: no frame rate (streams must signal theirs), no progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame rate of raw video that does not signal one (a stream that does keeps
    /// its own, with a note).
    pub fn frame_rate(mut self, rate: FrameRate) -> Self {
        self.frame_rate = Some(rate);
        self
    }

    /// Calls `progress` with the bytes scanned so far while a file is pre-scanned.
    pub fn progress(mut self, progress: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("frame_rate", &self.frame_rate)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// An opened input file: its streams, each with the source of its samples.
pub struct Input {
    /// The file.
    path: PathBuf,
    /// What it is.
    kind: InputKind,
    /// Its size in bytes (0 for a pipe).
    size: u64,
    /// Its streams.
    streams: Vec<InputStream>,
    /// Their sources, parallel to `streams`.
    sources: Vec<Box<dyn SampleSource>>,
    /// What opening it had to say.
    notes: Vec<String>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

/// Opens the file at `path` with the default [`OpenOptions`].
pub fn open(path: impl AsRef<Path>) -> Result<Input> {
    open_with(path, &OpenOptions::default())
}

/// Opens the file at `path`: probes its kind (extension, else its first bytes), reads
/// what its streams are and readies their sources. Raw H.264 and ADTS are then read
/// once, front to back (they may be pipes); VC-1 and WMA have been pre-scanned; an MP4's
/// `moov` has been read (its H.264 and AAC tracks become streams, others are left out
/// with a note); a TTML file has been read and split into samples.
pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Input> {
    let path = path.as_ref();
    let kind = InputKind::probe(path)?;
    let mut notes = Vec::new();
    let no_progress = |_: u64| {};
    let progress: &dyn Fn(u64) = match &options.progress {
        Some(p) => p.as_ref(),
        None => &no_progress,
    };
    let fps = options.frame_rate;
    let opened = match kind {
        InputKind::H264 => vec![sources::h264::open(path, fps, &mut notes)?],
        InputKind::Aac => vec![sources::adts::open(path)?],
        InputKind::Vc1 => vec![sources::windows_media::open_vc1(
            path, fps, progress, &mut notes,
        )?],
        InputKind::Wma => vec![sources::windows_media::open_wma(path, progress)?],
        InputKind::Ttml => vec![sources::captions::open(path)?],
        InputKind::Mp4 => sources::mp4::open(path, &mut notes)?,
    };
    let mut input = Input::from_streams(path, kind, opened)?;
    input.notes = notes;
    Ok(input)
}

impl Input {
    /// An input made of streams read by other means (a caller's own reader): they join
    /// an [`InputSet`](super::InputSet) like the streams of the files [`open`] reads.
    pub fn from_streams(
        path: impl Into<PathBuf>,
        kind: InputKind,
        streams: Vec<(InputStream, Box<dyn SampleSource>)>,
    ) -> Result<Self> {
        let path = path.into();
        let size = file_size(&path)?;
        let (streams, sources) = streams.into_iter().unzip();
        Ok(Input {
            path,
            kind,
            size,
            streams,
            sources,
            notes: Vec::new(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What kind of file it is.
    pub fn kind(&self) -> InputKind {
        self.kind
    }

    /// Its size in bytes (0 for a pipe).
    pub fn file_size(&self) -> u64 {
        self.size
    }

    /// Its streams, in the file's order.
    pub fn streams(&self) -> &[InputStream] {
        &self.streams
    }

    /// What opening it had to tell that is not an error (e.g. a frame rate given but
    /// not used), once; each note names the input.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The streams with their sources, and the notes, for an [`InputSet`](super::InputSet).
    pub(crate) fn into_parts(self) -> (Vec<Opened>, Vec<String>) {
        (
            self.streams.into_iter().zip(self.sources).collect(),
            self.notes,
        )
    }
}
