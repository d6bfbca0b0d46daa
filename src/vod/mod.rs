//! On-demand output: a presentation directory with one file per stream and the two
//! manifests, written so that nothing is ever lost.
//!
//! - **Atomic.** A presentation owns its directory. Everything is written into a hidden
//!   sibling (`.DIR.ssf-partial/`) and published by swapping it with `DIR` in one step
//!   ([`staging`] documents what a reader sees at each step), so a run that fails or is
//!   killed never changes a byte of an existing presentation.
//! - **Journaled.** The partial holds a small journal (each stream's description, bit
//!   rate and file name; no key), so [`recover`] can turn what a killed run left into a
//!   valid presentation.
//! - **Fail fast.** Each fragment is checked against the same fragment of the other bit
//!   rates of its StreamIndex before it is written.
//!
//! Each stream's file gets its header when its first fragment is ready, then fragments
//! appended with vectored writes straight from the muxer's chunks (payloads are never
//! copied). `finish` appends the `mfra`, rewrites the header in place with the final
//! duration (same size), names the files (bit rates may only be known then), writes
//! `.ism` and `.ismc` and publishes.

mod copy;
pub mod journal;
mod names;
mod recover;
mod scan;
pub mod staging;
mod writeback;

#[cfg(feature = "origin")]
pub(crate) use recover::media_kind;
pub use recover::{Recovered, RecoveredStream, patch_header, recover};

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::mux::{Fragment, Muxer, Options, Sample, StreamConfig, StreamId};
use journal::{Journal, Record};
use names::{NameFacts, STAGED_PREFIX};
use staging::Paths;

/// Writes a Smooth Streaming presentation into a directory of its own.
///
/// Dropping a writer without [`VodWriter::finish`] (or a crash) leaves the partial for
/// [`recover`]; [`VodWriter::abort`] discards it.
#[derive(Debug)]
pub struct VodWriter {
    paths: Paths,
    name: String,
    mux: Muxer,
    files: Vec<StreamFile>,
    journal: Journal,
    /// How file-range payloads are copied here (what the kernel accepted last).
    copy_path: copy::CopyPath,
}

#[derive(Debug)]
struct StreamFile {
    /// Where the file grows inside the partial.
    staged: PathBuf,
    file: Option<File>,
    header_len: usize,
    writeback: writeback::Writeback,
}

impl VodWriter {
    /// A writer for presentation `name` (`NAME.ism`, `NAME.ismc`, and per stream
    /// `NAME_BITRATE.ismv` / `NAME_audio[_LANG]_BITRATE.isma` / `NAME_TRACKNAME.ismt`
    /// unless the stream names its own file) in directory `dir`, which it owns: when the
    /// writer finishes, `dir` is replaced whole by the new presentation.
    ///
    /// Fails if `dir` holds anything but presentation files, or if an earlier run into
    /// `dir` was interrupted ([`Error::Interrupted`]: [`recover`] it or
    /// [`discard_interrupted`] it first).
    pub fn create(dir: impl AsRef<Path>, name: &str, options: Options) -> Result<Self> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            return Err(Error::InvalidArgument(format!(
                "presentation name {name:?} must be a plain file name"
            )));
        }
        let mux = Muxer::new(options)?;
        let paths = Paths::new(dir.as_ref())?;
        paths.begin()?;
        let mut records = vec![Record::Presentation {
            name: name.to_string(),
            timescale: u64::from(mux.options().timescale),
            fragment_elements: mux.options().fragment_elements,
        }];
        records.extend(mux.protection_headers().into_iter().map(Record::Protection));
        let journal = match Journal::create(&paths.partial, &records) {
            Ok(journal) => journal,
            Err(e) => {
                // Nothing was written yet: leave no partial behind.
                let _ = paths.discard();
                return Err(e);
            }
        };
        Ok(Self {
            paths,
            name: name.to_string(),
            mux,
            files: Vec::new(),
            journal,
            copy_path: copy::CopyPath::default(),
        })
    }

    /// The muxer underneath (for its manifests, fragment times and bit rates).
    pub fn muxer(&self) -> &Muxer {
        &self.mux
    }

    /// The directory the presentation is published to.
    pub fn directory(&self) -> &Path {
        &self.paths.target
    }

    /// Adds a stream. Its file is named when the writer finishes, from its final bit rate.
    pub fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId> {
        if let Some(given) = config.configured_source_file_name() {
            names::check_given(given)?;
            let taken = self.mux.streams().any(|id| {
                self.mux
                    .stream_config(id)
                    .is_ok_and(|c| c.configured_source_file_name() == Some(given))
            });
            if taken {
                return Err(Error::InvalidArgument(format!(
                    "stream file name {given:?} is not a unique plain file name"
                )));
            }
        }
        self.check_unique_bitrate(&config)?;
        let given = config.configured_source_file_name().map(str::to_string);
        let bitrate = config.configured_bitrate();
        let kind = config.codec().kind();
        let id = self.mux.add_stream(config)?;
        self.journal.append(
            &Record::Stream {
                index: id.index(),
                bitrate,
                file: given,
            },
            false,
        )?;
        self.files.push(StreamFile {
            staged: staged_stream_file(&self.paths.partial, id.index(), kind),
            file: None,
            header_len: 0,
            writeback: writeback::Writeback::default(),
        });
        Ok(id)
    }

    /// Refuses a configured bit rate that another stream of the same StreamIndex has:
    /// the manifests could not tell them apart (often the same input given twice).
    fn check_unique_bitrate(&self, config: &StreamConfig) -> Result<()> {
        let bitrate = config.configured_bitrate();
        if bitrate == 0 {
            return Ok(());
        }
        for id in self.mux.streams() {
            let other = self.mux.stream_config(id)?;
            if other.codec().kind() == config.codec().kind()
                && other.name() == config.name()
                && other.configured_bitrate() == bitrate
            {
                return Err(Error::InvalidArgument(format!(
                    "StreamIndex \"{}\": stream {} already has bit rate {bitrate}; each bit rate of a StreamIndex must differ (is the same input given twice?)",
                    config.name(),
                    id.index()
                )));
            }
        }
        Ok(())
    }

    /// Adds a sample; a fragment it completes is checked and written at once.
    pub fn push(&mut self, stream: StreamId, sample: Sample) -> Result<()> {
        if let Some(fragment) = self.mux.push(stream, sample)? {
            self.write_fragment(&fragment)?;
        }
        Ok(())
    }

    /// Closes and writes the stream's open fragment now (caller-chosen boundaries).
    pub fn flush(&mut self, stream: StreamId) -> Result<()> {
        if let Some(fragment) = self.mux.flush(stream)? {
            self.write_fragment(&fragment)?;
        }
        Ok(())
    }

    /// Whether `stream` takes samples whose payload is left in a source file
    /// ([`Sample::from_file`]): such payloads are copied file to file in the kernel and
    /// never enter this process's memory.
    pub fn takes_file_payloads(&self, stream: StreamId) -> bool {
        self.mux.takes_file_payloads(stream)
    }

    /// Sets a stream's bit rate once it is known (e.g. measured over the whole input);
    /// it names the file and goes into the final header and the manifests.
    pub fn set_bitrate(&mut self, stream: StreamId, bits_per_second: u32) -> Result<()> {
        self.mux.set_bitrate(stream, bits_per_second)
    }

    fn write_fragment(&mut self, fragment: &Fragment) -> Result<()> {
        let id = fragment.stream;
        self.mux.check_aligned(id)?;
        let opened = self
            .files
            .get(id.index())
            .ok_or(Error::UnknownStream(id.index()))?
            .file
            .is_some();
        if !opened {
            self.open_stream_file(id)?;
        }
        let slot = self
            .files
            .get_mut(id.index())
            .ok_or(Error::UnknownStream(id.index()))?;
        let Some(file) = slot.file.as_mut() else {
            return Err(Error::InvalidState("stream file not open".into()));
        };
        copy::write_chunks(file, &fragment.chunks, &mut self.copy_path).map_err(|source| {
            Error::Io {
                op: "write",
                path: slot.staged.clone(),
                source,
            }
        })?;
        slot.writeback.wrote(file, fragment.size());
        Ok(())
    }

    /// Journals how the stream appears in the manifests, then creates its file with the
    /// header: a file on disk always has its journal record.
    fn open_stream_file(&mut self, id: StreamId) -> Result<()> {
        let track = self.mux.manifest_track(id)?;
        self.journal.append(
            &Record::Track {
                index: id.index(),
                track: Box::new(track),
            },
            true,
        )?;
        let header = self.mux.header(&[id])?;
        let slot = self
            .files
            .get_mut(id.index())
            .ok_or(Error::UnknownStream(id.index()))?;
        let io = |op, source| Error::Io {
            op,
            path: slot.staged.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&slot.staged)
            .map_err(|e| io("create", e))?;
        file.write_all(&header).map_err(|e| io("write", e))?;
        slot.file = Some(file);
        slot.header_len = header.len();
        Ok(())
    }

    /// Writes the last fragments, each file's index and final header, names the files,
    /// writes the `.ism` and `.ismc` and publishes the presentation. Returns the paths
    /// published: the two manifests first, then the stream files in stream order.
    /// Streams that never got a sample have no file and are left out of the manifests.
    ///
    /// On failure nothing is published and the partial is discarded: the existing
    /// presentation, if any, is untouched.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        match self.complete() {
            Ok(names) => {
                let Self { paths, journal, .. } = self;
                drop(journal);
                paths.publish()?;
                Ok(names.into_iter().map(|n| paths.target.join(n)).collect())
            }
            Err(e) => {
                let _ = self.paths.discard();
                Err(e)
            }
        }
    }

    /// Discards everything this writer wrote; the existing presentation stays as it was.
    pub fn abort(self) -> Result<()> {
        let Self { paths, journal, .. } = self;
        drop(journal);
        paths.discard()
    }

    /// Everything of `finish` but publishing; returns the published file names.
    fn complete(&mut self) -> Result<Vec<String>> {
        for fragment in self.mux.finish()? {
            self.write_fragment(&fragment)?;
        }
        let written: Vec<StreamId> = self
            .mux
            .streams()
            .filter(|id| self.files.get(id.index()).is_some_and(|f| f.file.is_some()))
            .collect();
        for id in self.mux.streams() {
            if !written.contains(&id) {
                log::warn!("stream {} received no samples; no file written", id.index());
            }
        }
        if written.is_empty() {
            return Err(Error::InvalidState(
                "no stream received a sample: there is no presentation to write".into(),
            ));
        }
        for &id in &written {
            self.finalize_file(id)?;
        }
        let stream_names = self.name_files(&written)?;
        let client_name = format!("{}.ismc", self.name);
        let server_name = format!("{}.ism", self.name);
        let server = self.mux.server_manifest(&client_name)?;
        let client = self.mux.client_manifest()?;
        write_atomically(&self.paths.partial.join(&server_name), server.as_bytes())?;
        write_atomically(&self.paths.partial.join(&client_name), client.as_bytes())?;
        self.journal.append(&Record::Complete, true)?;
        let mut names = vec![server_name, client_name];
        names.extend(stream_names);
        Ok(names)
    }

    /// Appends a stream file's index, rewrites its header with the final durations and
    /// bit rate, and makes it durable.
    fn finalize_file(&mut self, id: StreamId) -> Result<()> {
        let index = self.mux.index(&[id])?;
        let header = self.mux.header(&[id])?;
        let slot = self
            .files
            .get_mut(id.index())
            .ok_or(Error::UnknownStream(id.index()))?;
        if header.len() != slot.header_len {
            return Err(Error::InvalidState(format!(
                "stream {}: header size changed from {} to {} bytes",
                id.index(),
                slot.header_len,
                header.len()
            )));
        }
        let Some(file) = slot.file.as_mut() else {
            return Err(Error::InvalidState("stream file not open".into()));
        };
        let io = |source| Error::Io {
            op: "finish",
            path: slot.staged.clone(),
            source,
        };
        file.write_all(&index).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Decides the final file names from the final bit rates and renames the staged
    /// files to them.
    fn name_files(&mut self, written: &[StreamId]) -> Result<Vec<String>> {
        let mut facts = Vec::with_capacity(written.len());
        let mut bitrates = Vec::with_capacity(written.len());
        for &id in written {
            bitrates.push(self.mux.bitrate(id)?);
        }
        for (&id, &bitrate) in written.iter().zip(&bitrates) {
            let config = self.mux.stream_config(id)?;
            facts.push(NameFacts {
                kind: config.codec().kind(),
                bitrate,
                language: config.configured_language(),
                track_name: config.name(),
                given: config.configured_source_file_name(),
            });
        }
        let names = names::file_names(&self.name, &facts);
        for (&id, name) in written.iter().zip(&names) {
            self.mux.set_source_file_name(id, name.clone())?;
            let slot = self
                .files
                .get_mut(id.index())
                .ok_or(Error::UnknownStream(id.index()))?;
            slot.file = None;
            let to = self.paths.partial.join(name);
            std::fs::rename(&slot.staged, &to).map_err(|source| Error::Io {
                op: "rename",
                path: slot.staged.clone(),
                source,
            })?;
        }
        Ok(names)
    }
}

/// Where a run stages the file of stream `index` (of `kind`) inside its partial
/// directory, which is where [`recover`] looks for it: one place for the writer, recovery
/// and the origin's live archive (which stages already-muxed fragments there and
/// finishes with [`recover`]).
pub(crate) fn staged_stream_file(partial: &Path, index: usize, kind: MediaKind) -> PathBuf {
    partial.join(format!(
        "{STAGED_PREFIX}stream-{index}.{}",
        names::extension(kind)
    ))
}

/// Discards what an interrupted run into `dir` left (its partial), so that a new run can
/// start there; the published presentation, if any, is kept. Returns whether there was
/// anything to discard.
pub fn discard_interrupted(dir: impl AsRef<Path>) -> Result<bool> {
    let paths = Paths::new(dir.as_ref())?;
    let leftover = paths.inspect()?;
    paths.discard()?;
    Ok(leftover != staging::Leftover::None)
}

/// Writes `data` to a temporary file beside `path`, then renames it over `path`, so a
/// reader never sees a half-written manifest.
fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!("{STAGED_PREFIX}{file_name}.tmp"));
    let io = |op, source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::create(&tmp).map_err(|e| io("create", e))?;
    file.write_all(data).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("sync", e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io("rename", e))
}
