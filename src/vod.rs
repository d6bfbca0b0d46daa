//! On-demand output: one file per stream plus the two manifests.
//!
//! Each stream's file gets its header when its first fragment is ready, then fragments
//! appended with vectored writes straight from the muxer's chunks (payloads are never
//! copied). `finish` appends the `mfra`, rewrites the header in place with the final
//! duration (same size), and writes `.ism` and `.ismc` atomically. A writer dropped
//! without `finish` leaves every fragment already written intact on disk.

use std::fs::{self, File};
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::mux::{Fragment, Muxer, Options, Sample, StreamConfig, StreamId};

/// Writes a Smooth Streaming presentation into a directory.
#[derive(Debug)]
pub struct VodWriter {
    dir: PathBuf,
    name: String,
    mux: Muxer,
    files: Vec<StreamFile>,
}

#[derive(Debug)]
struct StreamFile {
    path: PathBuf,
    file: Option<File>,
    header_len: usize,
}

impl VodWriter {
    /// A writer for presentation `name` in `dir` (created if missing). Files are named
    /// `NAME.ism`, `NAME.ismc`, and per stream `NAME_BITRATE.ismv` /
    /// `NAME_audio[_LANG]_BITRATE.isma` / `NAME_TRACKNAME.ismt` (sparse text) unless the
    /// stream names its own file.
    pub fn create(dir: impl AsRef<Path>, name: &str, options: Options) -> Result<Self> {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(Error::InvalidArgument(format!(
                "presentation name {name:?} must be a plain file name"
            )));
        }
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|source| Error::Io {
            op: "create directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            name: name.to_string(),
            mux: Muxer::new(options)?,
            files: Vec::new(),
        })
    }

    /// The muxer underneath (for its manifests, fragment times and bit rates).
    pub fn muxer(&self) -> &Muxer {
        &self.mux
    }

    /// Adds a stream and decides its file name.
    pub fn add_stream(&mut self, mut config: StreamConfig) -> Result<StreamId> {
        let file_name = match config.configured_source_file_name() {
            Some(name) => name.to_string(),
            None => self.unique_file_name(&config),
        };
        if file_name.contains(['/', '\\'])
            || self
                .files
                .iter()
                .any(|f| f.path.file_name() == Some(file_name.as_ref()))
        {
            return Err(Error::InvalidArgument(format!(
                "stream file name {file_name:?} is not a unique plain file name"
            )));
        }
        config = config.source_file_name(file_name.clone());
        let id = self.mux.add_stream(config)?;
        self.files.push(StreamFile {
            path: self.dir.join(file_name),
            file: None,
            header_len: 0,
        });
        Ok(id)
    }

    fn unique_file_name(&self, config: &StreamConfig) -> String {
        let bitrate = config.configured_bitrate();
        let stem = match config.codec().kind() {
            MediaKind::Video if bitrate != 0 => format!("{}_{bitrate}", self.name),
            MediaKind::Video => format!("{}_video", self.name),
            MediaKind::Audio => {
                let mut stem = format!("{}_audio", self.name);
                if let Some(lang) = config.configured_language() {
                    stem.push('_');
                    stem.push_str(lang);
                }
                if bitrate != 0 {
                    stem.push_str(&format!("_{bitrate}"));
                }
                stem
            }
            MediaKind::Text => format!("{}_{}", self.name, config.name()),
        };
        let ext = match config.codec().kind() {
            MediaKind::Video => "ismv",
            MediaKind::Audio => "isma",
            MediaKind::Text => "ismt",
        };
        let taken = |name: &str| {
            self.files
                .iter()
                .any(|f| f.path.file_name().is_some_and(|n| n == name))
        };
        let mut name = format!("{stem}.{ext}");
        let mut n = 2;
        while taken(&name) {
            name = format!("{stem}_{n}.{ext}");
            n += 1;
        }
        name
    }

    /// Adds a sample; a fragment it completes is written at once.
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

    fn write_fragment(&mut self, fragment: &Fragment) -> Result<()> {
        let id = fragment.stream;
        let slot = self
            .files
            .get(id.index())
            .ok_or(Error::UnknownStream(id.index()))?;
        if slot.file.is_none() {
            let header = self.mux.header(&[id])?;
            let path = slot.path.clone();
            let mut file = File::create(&path).map_err(|source| Error::Io {
                op: "create",
                path: path.clone(),
                source,
            })?;
            file.write_all(&header).map_err(|source| Error::Io {
                op: "write",
                path,
                source,
            })?;
            let slot = &mut self.files[id.index()];
            slot.file = Some(file);
            slot.header_len = header.len();
        }
        let slot = &mut self.files[id.index()];
        let Some(file) = slot.file.as_mut() else {
            return Err(Error::InvalidState("stream file not open".into()));
        };
        write_all_vectored(file, &fragment.chunks).map_err(|source| Error::Io {
            op: "write",
            path: slot.path.clone(),
            source,
        })
    }

    /// Writes the last fragments, each file's index and final header, then the `.ism`
    /// and `.ismc`. Returns the paths written: the two manifests first, then the stream
    /// files in stream order. Streams that never got a sample have no file and are left
    /// out of the manifests.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        for fragment in self.mux.finish()? {
            self.write_fragment(&fragment)?;
        }
        let mut stream_paths = Vec::new();
        let ids: Vec<StreamId> = self.mux.streams().collect();
        for id in ids {
            let Some(slot) = self.files.get_mut(id.index()) else {
                continue;
            };
            let Some(file) = slot.file.as_mut() else {
                log::warn!("stream {} received no samples; no file written", id.index());
                continue;
            };
            let index = self.mux.index(&[id])?;
            let header = self.mux.header(&[id])?;
            if header.len() != slot.header_len {
                return Err(Error::InvalidState(format!(
                    "stream {}: header size changed from {} to {} bytes",
                    id.index(),
                    slot.header_len,
                    header.len()
                )));
            }
            let path = slot.path.clone();
            let io = |source| Error::Io {
                op: "finish",
                path: path.clone(),
                source,
            };
            file.write_all(&index).map_err(io)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            file.write_all(&header).map_err(io)?;
            file.flush().map_err(io)?;
            stream_paths.push(path);
        }

        let client_name = format!("{}.ismc", self.name);
        let server = self.mux.server_manifest(&client_name)?;
        let client = self.mux.client_manifest()?;
        let server_path = self.dir.join(format!("{}.ism", self.name));
        let client_path = self.dir.join(&client_name);
        write_atomically(&server_path, server.as_bytes())?;
        write_atomically(&client_path, client.as_bytes())?;
        let mut paths = vec![server_path, client_path];
        paths.extend(stream_paths);
        Ok(paths)
    }
}

/// Writes every chunk, retrying on partial writes, with as few system calls as the OS
/// allows.
fn write_all_vectored(file: &mut File, chunks: &[bytes::Bytes]) -> std::io::Result<()> {
    // Bounded batches keep the slice array on the stack-sized side of IOV_MAX.
    for batch in chunks.chunks(512) {
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|c| IoSlice::new(c)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = file.write_vectored(rest)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
    }
    Ok(())
}

/// Writes `data` to a temporary file beside `path`, then renames it over `path`, so a
/// reader never sees a half-written manifest.
fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let io = |op, source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::create(&tmp).map_err(|e| io("create", e))?;
    file.write_all(data).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("sync", e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io("rename", e))
}
