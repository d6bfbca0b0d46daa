//! On-demand presentations as IIS serves them: the client manifest the `.ism` names, and
//! each fragment resolved through the `.ism` (StreamIndex name and bit rate → file and
//! track) and that file's `mfra` to exactly one `moof`+`mdat`, read with one positioned
//! read. Every call here does blocking file I/O: the server runs them off its reactor.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::http::HttpError;
use super::index::{Cache, FileIndex, FileKey, read_fragment, read_index};
use super::paths::Root;
use super::smil::{self, SmilDocument, SmilTrack};
use crate::manifest::TrackKind;

/// Largest server or client manifest read.
const MAX_MANIFEST: u64 = 16 << 20;

/// The on-demand side of the origin.
#[derive(Debug)]
pub(crate) struct Vod {
    root: Root,
    manifests: Cache<SmilDocument>,
    indexes: Cache<FileIndex>,
}

/// One fragment, ready to send.
#[derive(Debug)]
pub(crate) struct VodFragment {
    /// The `moof` and `mdat`.
    pub data: Bytes,
    /// Size of the `moof`.
    pub moof_len: usize,
    /// Video, audio or text (the content type).
    pub kind: TrackKind,
}

impl Vod {
    /// Presentations under `root`, with caches of `capacity` parsed files each.
    pub(crate) fn new(root: Root, capacity: usize) -> Self {
        Vod {
            root,
            manifests: Cache::new(capacity),
            indexes: Cache::new(capacity),
        }
    }

    /// The served directory.
    pub(crate) fn root(&self) -> &Root {
        &self.root
    }

    /// The client manifest of the `.ism` at `segments`: the file its
    /// `clientManifestRelativePath` names, else `NAME.ismc` beside it.
    pub(crate) fn manifest(&self, segments: &[String]) -> Result<Bytes, HttpError> {
        let (ism_path, doc) = self.server_manifest(segments)?;
        let dir = parent(&ism_path);
        let client = match &doc.client_manifest {
            Some(relative) => self.root.relative(dir, relative)?,
            None => {
                let stem = ism_path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.root.relative(dir, &format!("{stem}.ismc"))?
            }
        };
        let file = self.open(&client)?;
        let key = FileKey::of(&file, &self.root.show(&client))?;
        self.read_manifest(&file, key, &client).map(Bytes::from)
    }

    /// The fragment of StreamIndex `stream` at `bitrate` starting at `time`.
    pub(crate) fn fragment(
        &self,
        segments: &[String],
        bitrate: u32,
        stream: &str,
        time: u64,
    ) -> Result<VodFragment, HttpError> {
        let (ism_path, doc) = self.server_manifest(segments)?;
        let track = find_track(&doc, bitrate, stream)?;
        let track_id = track.track_id().unwrap_or(1);
        let src = track.src.as_deref().ok_or_else(|| {
            HttpError::internal(format!(
                "{}: the {stream} track at {bitrate} b/s has no src",
                self.root.show(&ism_path)
            ))
        })?;
        let media = self.root.relative(parent(&ism_path), src)?;
        let file = self.open(&media)?;
        let shown = self.root.show(&media);
        let key = FileKey::of(&file, &shown)?;
        let index = self
            .indexes
            .get(&media, key, || read_index(&file, key.len(), &shown))?;
        if !index.has_track(track_id) {
            return Err(HttpError::internal(format!(
                "{shown}: no index of track {track_id}"
            )));
        }
        let entry = index.find(track_id, time).ok_or_else(|| {
            HttpError::not_found(format!(
                "no fragment of {stream} at {bitrate} b/s starts at {time}"
            ))
        })?;
        let (data, moof_len) = read_fragment(&file, entry, &shown)?;
        Ok(VodFragment {
            data: Bytes::from(data),
            moof_len,
            kind: track.kind,
        })
    }

    /// The `.ism` at `segments`, parsed (cached per file version).
    fn server_manifest(
        &self,
        segments: &[String],
    ) -> Result<(PathBuf, Arc<SmilDocument>), HttpError> {
        let path = self.root.file(segments)?;
        let file = self.open(&path)?;
        let key = FileKey::of(&file, &self.root.show(&path))?;
        let doc = self.manifests.get(&path, key, || {
            let data = self.read_manifest(&file, key, &path)?;
            smil::decode_text(&data)
                .and_then(|t| smil::parse(&t))
                .map_err(|e| {
                    HttpError::internal(format!(
                        "{}: not a server manifest: {e}",
                        self.root.show(&path)
                    ))
                })
        })?;
        Ok((path, doc))
    }

    /// A whole manifest file, bounded.
    fn read_manifest(&self, file: &File, key: FileKey, path: &Path) -> Result<Vec<u8>, HttpError> {
        let shown = self.root.show(path);
        if key.len() > MAX_MANIFEST {
            return Err(HttpError::internal(format!(
                "{shown}: {} bytes is over the {MAX_MANIFEST}-byte bound of a manifest",
                key.len()
            )));
        }
        super::index::read_at(file, 0, key.len())
            .map_err(|e| HttpError::internal(format!("{shown}: {e}")))
    }

    /// Opens a file the root resolved; errors name it relative to the root.
    fn open(&self, path: &Path) -> Result<File, HttpError> {
        File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                HttpError::not_found(format!("{}: no such file", self.root.show(path)))
            }
            _ => HttpError::internal(format!("{}: {e}", self.root.show(path))),
        })
    }
}

/// The track named `stream` (its `trackName`, or `video`/`audio`/`text` by default,
/// format.md §5) at `bitrate`.
fn find_track<'a>(
    doc: &'a SmilDocument,
    bitrate: u32,
    stream: &str,
) -> Result<&'a SmilTrack, HttpError> {
    let named: Vec<&SmilTrack> = doc.tracks.iter().filter(|t| t.name() == stream).collect();
    if named.is_empty() {
        return Err(HttpError::not_found(format!(
            "no StreamIndex named {stream:?} in this presentation"
        )));
    }
    named
        .into_iter()
        .find(|t| t.bitrate == bitrate)
        .ok_or_else(|| {
            HttpError::not_found(format!(
                "StreamIndex {stream:?} has no QualityLevel at {bitrate} b/s"
            ))
        })
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
}
