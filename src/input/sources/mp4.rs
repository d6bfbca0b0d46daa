//! MP4 input: each H.264 or AAC track of the file, its samples read through
//! [`Mp4File`](crate::input::mp4::Mp4File) (sample tables in windows, payloads as slices
//! of shared read windows). The tracks of one file share the reader.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::{Opened, origin_handle};
use crate::codec::MediaKind;
use crate::codec::avc::{NAL_IDR_SLICE, length_prefixed_nals, nal_unit_type};
use crate::error::{Error, Result};
use crate::input::mp4::{Mp4File, SampleEntry, Samples, TrackKind};
use crate::input::sample::{FileRange, InputSample};
use crate::input::source::SampleSource;
use crate::input::stream::{BitrateBasis, InputStream, StreamRole, Totals};
use crate::mux::StreamConfig;

/// The reader of one file, shared by its tracks (they interleave in the file).
type Shared = Arc<Mutex<Mp4File<File>>>;

/// Opens an MP4: one stream per H.264 or AAC track, by track_ID; other tracks and empty
/// ones are left out with a note.
pub(crate) fn open(path: &Path, notes: &mut Vec<String>) -> Result<Vec<Opened>> {
    let name = path.display().to_string();
    let file = Mp4File::open_path(path).map_err(|e| e.in_input(name.clone()))?;
    let origin_file = origin_handle(file.get_ref());
    let tracks = file.tracks().to_vec();
    let shared: Shared = Arc::new(Mutex::new(file));
    let mut opened = Vec::new();
    for track in tracks {
        let label = format!("{name} track {}", track.id);
        let in_track = |e: Error| e.in_input(label.clone());
        let (kind, config, nal_length) = match (track.kind, &track.entry) {
            (TrackKind::Video, SampleEntry::Avc { avcc, .. }) => {
                let config = StreamConfig::h264(avcc).map_err(in_track)?;
                // lengthSizeMinusOne, the low two bits of the avcC's fifth byte.
                let nal_length = avcc.get(4).map(|b| (b & 3) + 1);
                (MediaKind::Video, config, nal_length)
            }
            (TrackKind::Audio, SampleEntry::Aac { asc }) => {
                let config = StreamConfig::aac(asc).map_err(in_track)?;
                (MediaKind::Audio, config, None)
            }
            (_, entry) => {
                notes.push(format!(
                    "{label}: skipped (only H.264 and AAC are packaged) {}",
                    entry.describe()
                ));
                continue;
            }
        };
        if track.timescale == 0 {
            return Err(Error::input(label, "unusable timescale 0"));
        }
        if track.sample_count == 0 {
            notes.push(format!("{label}: skipped (no samples)"));
            continue;
        }
        let samples = shared
            .lock()
            .map_err(|_| Error::InvalidState(format!("{label}: the reader failed earlier")))?
            .samples(track.id)?;
        let stream = InputStream {
            label: label.clone(),
            kind,
            role: StreamRole::Media(Box::new(config)),
            timescale: track.timescale,
            language: track.language.clone(),
            bitrate_basis: BitrateBasis::Known(Totals {
                bytes: track.sample_bytes,
                duration: track.duration,
            }),
            size_hint: track.sample_bytes,
        };
        let source = Mp4Track {
            file: Arc::clone(&shared),
            samples,
            track: track.id,
            nal_length,
            idrs: 0,
            label,
            path: path.to_path_buf(),
            origin_file: origin_file.clone(),
            payloads: Payloads::Windows,
        };
        opened.push((stream, Box::new(source) as Box<dyn SampleSource>));
    }
    if opened.is_empty() {
        return Err(Error::input(name, "no H.264 or AAC track to package"));
    }
    Ok(opened)
}

/// One track of an MP4, read sample by sample.
struct Mp4Track {
    /// The file's reader.
    file: Shared,
    /// The track's cursor.
    samples: Samples,
    /// The track_ID.
    track: u32,
    /// For H.264: the NAL length size, to tell IDR pictures from the open-GOP I pictures
    /// an encoder may also list as sync samples.
    nal_length: Option<u8>,
    /// IDR pictures seen so far.
    idrs: u64,
    /// The file and track, for messages.
    label: String,
    /// The file, for messages.
    path: PathBuf,
    /// The file again, for sample origins (MP4 samples are its bytes unchanged).
    origin_file: Option<Arc<File>>,
    /// How payloads are handed out.
    payloads: Payloads,
}

/// How an MP4 track hands out its payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payloads {
    /// Slices of the reader's shared read windows.
    Windows,
    /// Each read into a buffer of its own (one positioned read per sample).
    Owned,
    /// Left in the file: only their origin is handed out.
    InFile,
}

impl SampleSource for Mp4Track {
    fn leave_payloads_in_files(&mut self) -> bool {
        self.hand_out(Payloads::InFile)
    }

    fn own_payloads(&mut self) -> bool {
        self.hand_out(Payloads::Owned)
    }

    fn next_sample(&mut self, _notes: &mut Vec<String>) -> Result<Option<InputSample>> {
        let in_track = |e: Error| e.in_input(self.label.clone());
        let (info, windowed) = {
            let mut file = self.file.lock().map_err(|_| {
                Error::InvalidState(format!("{}: the reader failed earlier", self.label))
            })?;
            let Some(info) = file.next_sample(&mut self.samples).map_err(in_track)? else {
                return Ok(None);
            };
            let windowed = match self.payloads {
                Payloads::Windows => Some(file.read_sample(&info).map_err(in_track)?),
                Payloads::Owned | Payloads::InFile => None,
            };
            (info, windowed)
        };
        let origin = self.origin_file.as_ref().map(|file| FileRange {
            file: Arc::clone(file),
            offset: info.offset,
            len: u64::from(info.size),
        });
        let data = match (windowed, &origin) {
            (Some(data), _) => data,
            (None, Some(range)) if self.payloads == Payloads::Owned => {
                range.read().map_err(|source| Error::Io {
                    op: "read",
                    path: self.path.clone(),
                    source,
                })?
            }
            (None, _) => Bytes::new(),
        };
        let idr = match (&origin, self.payloads) {
            (Some(range), Payloads::InFile) => {
                self.idr_in_file(info.sync, range).map_err(in_track)?
            }
            _ => self.idr_in(&data),
        };
        let sync = self.is_sync(info.sync, info.index, idr)?;
        Ok(Some(InputSample {
            data,
            dts: info.decode_time,
            cts_offset: info.composition_offset,
            duration: info.duration,
            sync,
            origin,
            pieces: Vec::new(),
            sealed: None,
        }))
    }
}

impl Mp4Track {
    /// Switches to `payloads` when the file can be read again at an offset (a regular
    /// file); returns whether it did.
    fn hand_out(&mut self, payloads: Payloads) -> bool {
        if self.origin_file.is_some() {
            self.payloads = payloads;
        }
        self.payloads == payloads
    }

    /// For H.264: whether the payload holds an IDR slice; None for other codecs.
    fn idr_in(&self, data: &Bytes) -> Option<bool> {
        let length = self.nal_length?;
        Some(
            length_prefixed_nals(data, length)
                .filter_map(Result::ok)
                .any(|nal| nal_unit_type(nal) == Some(NAL_IDR_SLICE)),
        )
    }

    /// Like [`Self::idr_in`] for a payload left in the file: reads only each NAL unit's
    /// length and header byte, and only for samples listed as sync (the others cannot
    /// start a fragment whatever they hold).
    fn idr_in_file(&self, listed: bool, range: &FileRange) -> Result<Option<bool>> {
        let Some(length) = self.nal_length else {
            return Ok(None);
        };
        if !listed {
            return Ok(Some(false));
        }
        let length = u64::from(length);
        let mut at = 0u64;
        while at.saturating_add(length) < range.len {
            let head = FileRange {
                file: Arc::clone(&range.file),
                offset: range.offset.saturating_add(at),
                len: (length + 1).min(range.len - at),
            }
            .read()
            .map_err(|e| Error::input(self.label.clone(), format!("reading a sample: {e}")))?;
            let (size, header) =
                head.split_at(head.len().min(usize::try_from(length).unwrap_or(4)));
            let size = size.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            if header.first().map(|&h| h & 0x1F) == Some(NAL_IDR_SLICE) {
                return Ok(Some(true));
            }
            at = at.saturating_add(length).saturating_add(size);
        }
        Ok(Some(false))
    }

    /// Whether a sample can start a fragment. An MP4's sync table lists an open GOP's
    /// recovery-point I pictures too (x264 `open-gop`), but only an IDR picture lets a
    /// fragment decode on its own: those stay inside their fragment, and a stream whose
    /// only IDR is its first picture is refused.
    fn is_sync(&mut self, listed: bool, index: u64, idr: Option<bool>) -> Result<bool> {
        let Some(idr) = idr else {
            return Ok(listed);
        };
        if idr {
            self.idrs += 1;
        } else if listed && self.idrs == 1 {
            // Named as the file, then the track: every input error starts with the
            // file as given.
            return Err(Error::input(
                self.path.display().to_string(),
                format!(
                    "track {}: open GOP: sample {index} is listed as a sync sample but is not \
                     an IDR picture, and no IDR picture follows the first; every Smooth \
                     fragment must start with an IDR picture (closed GOPs): re-encode with \
                     x264 --no-open-gop (ffmpeg -x264-params open-gop=0) or ffmpeg -flags +cgop",
                    self.track
                ),
            ));
        }
        Ok(listed && idr)
    }
}
