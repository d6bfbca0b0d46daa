//! MP4 input until the library's own reader (`ssf::input::mp4`) is merged: the sample
//! tables come from `re_mp4`; the sample bytes are read on demand in large windows so
//! that memory stays bounded whatever the file size. Each H.264 or AAC track becomes a
//! stream of an `ssf::input::Input`, so the library's source model does the rest.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use re_mp4::{Mp4, StsdBoxContent, TrackKind};
use ssf::codec::MediaKind;
use ssf::codec::avc::{NAL_IDR_SLICE, length_prefixed_nals, nal_unit_type};
use ssf::input::{
    BitrateBasis, FileRange, Input, InputKind, InputSample, InputStream, SampleSource, StreamRole,
    Totals,
};
use ssf::{Error, StreamConfig};

/// Bytes read from the file at a time. Large enough that a read costs far more than the
/// system call, small enough that the few windows alive at once stay a few MiB.
const WINDOW: usize = 1 << 20;

/// Windows kept for lookups. Tracks interleave in chunks that rarely arrive exactly in
/// decode order, so the last few windows usually still hold the next sample of every
/// track.
const MAX_WINDOWS: usize = 3;

/// Evicted windows kept for reuse once the muxer has dropped every slice of them.
const MAX_POOL: usize = 4;

/// Parses an MP4's boxes (not its media data) with `re_mp4`.
///
/// `re_mp4` indexes into its tables without bounds checks and panics on some malformed
/// files; the panic is caught (silently) and reported as an error, since the tool must
/// never crash on bad input.
fn read_mp4(path: &Path) -> ssf::Result<Mp4> {
    let file = File::open(path).map_err(|e| input_error(path, e))?;
    let size = file.metadata().map_err(|e| input_error(path, e))?.len();
    let reader = BufReader::with_capacity(64 << 10, file);
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let parsed = panic::catch_unwind(AssertUnwindSafe(|| Mp4::read(reader, size)));
    panic::set_hook(previous_hook);
    match parsed {
        Ok(Ok(mp4)) => Ok(mp4),
        Ok(Err(e)) => Err(input_error(path, format!("cannot read MP4: {e}"))),
        Err(_) => Err(input_error(
            path,
            "cannot read MP4: malformed sample tables",
        )),
    }
}

/// An error about the input at `path`.
fn input_error(path: &Path, reason: impl ToString) -> Error {
    Error::Input {
        input: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A recently read stretch of the file.
struct Window {
    /// File offset of the first byte.
    start: u64,
    /// The bytes.
    data: Bytes,
}

/// Hands out sample payloads as [`Bytes`] slices of shared read windows: no per-sample
/// allocation or copy, and window buffers are recycled once the muxer has written (and
/// dropped) every sample that points into them.
struct SampleReader {
    /// The file, for messages.
    path: PathBuf,
    /// Read with explicit seeks: the windows are the buffering.
    file: File,
    /// File size.
    len: u64,
    /// Most recently used first.
    windows: Vec<Window>,
    /// Evicted windows, reusable once no sample points into them.
    pool: Vec<Bytes>,
}

impl SampleReader {
    /// Opens `path` for sample reads.
    fn open(path: &Path) -> ssf::Result<Self> {
        let file = File::open(path).map_err(|e| input_error(path, e))?;
        let len = file.metadata().map_err(|e| input_error(path, e))?.len();
        Ok(Self {
            path: path.to_path_buf(),
            file,
            len,
            windows: Vec::with_capacity(MAX_WINDOWS),
            pool: Vec::new(),
        })
    }

    /// The `size` bytes at `offset`.
    fn read(&mut self, offset: u64, size: u64) -> ssf::Result<Bytes> {
        let end = offset
            .checked_add(size)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                input_error(
                    &self.path,
                    format!(
                        "a sample at byte {offset} ({size} bytes) lies past the end of the file"
                    ),
                )
            })?;
        if size > ssf::mux::MAX_SAMPLE_SIZE as u64 {
            return Err(input_error(
                &self.path,
                format!(
                    "a sample at byte {offset} is {size} bytes, over the {} byte limit",
                    ssf::mux::MAX_SAMPLE_SIZE
                ),
            ));
        }
        let hit = self
            .windows
            .iter()
            .position(|w| w.start <= offset && end <= w.start + w.data.len() as u64);
        let at = match hit {
            Some(at) => at,
            None => {
                self.load(offset, size)?;
                0
            }
        };
        if at != 0 {
            // Keep the list in recency order so that eviction drops the stalest window.
            let w = self.windows.remove(at);
            self.windows.insert(0, w);
        }
        let w = &self.windows[0];
        let from = (offset - w.start) as usize;
        Ok(w.data.slice(from..from + size as usize))
    }

    /// Reads a new window starting at `offset` that holds at least `size` bytes.
    fn load(&mut self, offset: u64, size: u64) -> ssf::Result<()> {
        let want = (self.len - offset).min(WINDOW.max(size as usize) as u64) as usize;
        let mut buf = self.buffer(want);
        let io = |e: std::io::Error| input_error(&self.path, e);
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.file.read_exact(&mut buf).map_err(io)?;
        if self.windows.len() >= MAX_WINDOWS
            && let Some(old) = self.windows.pop()
        {
            self.pool.push(old.data);
            if self.pool.len() > MAX_POOL {
                self.pool.remove(0);
            }
        }
        self.windows.insert(
            0,
            Window {
                start: offset,
                data: buf.freeze(),
            },
        );
        Ok(())
    }

    /// A buffer of `len` bytes: a recycled window no sample points into any more, or a
    /// fresh one. Recycling avoids a page-faulting allocation per MiB read.
    fn buffer(&mut self, len: usize) -> BytesMut {
        let free = self
            .pool
            .iter()
            .position(|b| b.is_unique() && b.len() >= len);
        if let Some(at) = free
            && let Ok(mut buf) = self.pool.swap_remove(at).try_into_mut()
        {
            buf.truncate(len);
            return buf;
        }
        BytesMut::zeroed(len)
    }
}

/// The parsed tables and the sample reader, shared by the tracks of one file.
struct Shared {
    /// The sample tables.
    mp4: Mp4,
    /// Reads sample bytes for every track of the file.
    reader: SampleReader,
}

/// Reads an MP4's sample tables: one stream per H.264 or AAC track. Other tracks are
/// skipped with a note.
pub fn open(path: &Path) -> ssf::Result<Input> {
    let mp4 = read_mp4(path)?;
    let origin_file = File::open(path).ok().map(Arc::new);
    let shared = Arc::new(Mutex::new(Shared {
        reader: SampleReader::open(path)?,
        mp4,
    }));
    let guard = shared
        .lock()
        .map_err(|_| input_error(path, "reader poisoned"))?;
    let mut streams: Vec<(InputStream, Box<dyn SampleSource>)> = Vec::new();
    for (&id, track) in guard.mp4.tracks() {
        let label = format!("{} track {id}", path.display());
        let bad = |reason: String| Error::Input {
            input: label.clone(),
            reason,
        };
        let trak = track.trak(&guard.mp4);
        let content = &trak.mdia.minf.stbl.stsd.contents;
        let mut nal_length = None;
        let mut language = None;
        let (kind, config) = match (track.kind, content) {
            (Some(TrackKind::Video), StsdBoxContent::Avc1(avc1)) => {
                let config = StreamConfig::h264(&avc1.avcc.raw).map_err(|e| bad(e.to_string()))?;
                // lengthSizeMinusOne, the low two bits of the avcC's fifth byte.
                nal_length = avc1.avcc.raw.get(4).map(|b| (b & 3) + 1);
                (MediaKind::Video, config)
            }
            (Some(TrackKind::Audio), StsdBoxContent::Mp4a(mp4a)) => {
                let asc = mp4a_asc(mp4a).map_err(&bad)?;
                let config = StreamConfig::aac(&asc).map_err(|e| bad(e.to_string()))?;
                let code = &trak.mdia.mdhd.language;
                if code.len() == 3 && code != "und" {
                    language = Some(code.clone());
                }
                (MediaKind::Audio, config)
            }
            _ => {
                let codec = track.codec_string(&guard.mp4).unwrap_or_default();
                eprintln!("ssfmux: {label}: skipped (only H.264 and AAC are packaged) {codec}");
                continue;
            }
        };
        let timescale = u32::try_from(track.timescale)
            .ok()
            .filter(|&t| t > 0)
            .ok_or_else(|| bad(format!("unusable timescale {}", track.timescale)))?;
        let (Some(first), Some(last)) = (track.samples.first(), track.samples.last()) else {
            eprintln!("ssfmux: {label}: skipped (no samples)");
            continue;
        };
        let base = first.decode_timestamp;
        let end = last.decode_timestamp.saturating_add_unsigned(last.duration);
        let duration = u64::try_from(end.saturating_sub(base)).unwrap_or(0);
        let bytes = track.samples.iter().map(|s| s.size).sum();
        let stream = InputStream {
            label: label.clone(),
            kind,
            role: StreamRole::Media(Box::new(config)),
            timescale,
            language,
            bitrate_basis: BitrateBasis::Known(Totals { bytes, duration }),
            size_hint: bytes,
        };
        let source = Mp4Track {
            shared: Arc::clone(&shared),
            track: id,
            next: 0,
            base,
            label,
            path: path.to_path_buf(),
            nal_length,
            idrs: 0,
            origin_file: origin_file.clone(),
        };
        streams.push((stream, Box::new(source)));
    }
    drop(guard);
    if streams.is_empty() {
        return Err(input_error(path, "no H.264 or AAC track to package"));
    }
    Input::from_streams(path, InputKind::Mp4, streams)
}

/// The AudioSpecificConfig of an `mp4a` entry. `re_mp4` keeps only the object type,
/// rate index and channel configuration of the esds DecoderSpecificInfo, which is the
/// whole of a plain AAC config; HE-AAC needs fields it drops.
fn mp4a_asc(mp4a: &re_mp4::Mp4aBox) -> Result<Vec<u8>, String> {
    let esds = mp4a.esds.as_ref().ok_or("AAC sample entry without esds")?;
    let dsi = &esds.es_desc.dec_config.dec_specific;
    ssf::codec::aac::AudioSpecificConfig::from_indexes(dsi.profile, dsi.freq_index, dsi.chan_conf)
        .map(|asc| asc.to_bytes())
        .map_err(|e| {
            format!("{e} (from MP4 only plain AAC works: the demuxer drops HE-AAC's full config)")
        })
}

/// One track of an MP4, read sample by sample from its table.
struct Mp4Track {
    /// Tables and reader of the file.
    shared: Arc<Mutex<Shared>>,
    /// The track_ID.
    track: u32,
    /// Index of the next sample.
    next: usize,
    /// Decode time of the first sample: times are given from 0.
    base: i64,
    /// For H.264: the NAL length size, to tell IDR pictures from the open-GOP I
    /// pictures an encoder may also list as sync samples.
    nal_length: Option<u8>,
    /// IDR pictures seen so far.
    idrs: u64,
    /// The file and track, for messages.
    label: String,
    /// The file, for messages.
    path: PathBuf,
    /// The file, for sample origins (MP4 samples are its bytes unchanged).
    origin_file: Option<Arc<File>>,
}

impl SampleSource for Mp4Track {
    fn next_sample(&mut self, _notes: &mut Vec<String>) -> ssf::Result<Option<InputSample>> {
        let bad = |reason: String| Error::Input {
            input: self.label.clone(),
            reason,
        };
        let mut shared = self
            .shared
            .lock()
            .map_err(|_| bad("reader poisoned".into()))?;
        let Shared { mp4, reader } = &mut *shared;
        let Some(samples) = mp4.tracks().get(&self.track).map(|t| &t.samples) else {
            return Ok(None);
        };
        let Some(s) = samples.get(self.next) else {
            return Ok(None);
        };
        let data = reader.read(s.offset, s.size)?;
        let dts = u64::try_from(s.decode_timestamp.saturating_sub(self.base))
            .map_err(|_| bad(format!("sample {}: decode times go backwards", self.next)))?;
        // A negative composition offset cannot be stored in a Smooth trun; re_mp4 has
        // already shifted decode times so that none remains in a consistent file.
        let cts_offset = u64::try_from(s.composition_timestamp - s.decode_timestamp).unwrap_or(0);
        // The last sample's duration comes from the media header and can be garbage;
        // fall back to the previous sample's.
        let duration = match samples.get(self.next + 1) {
            Some(n) => u64::try_from(n.decode_timestamp - s.decode_timestamp).unwrap_or(0),
            None => {
                let previous = self
                    .next
                    .checked_sub(1)
                    .and_then(|i| samples.get(i))
                    .and_then(|p| u64::try_from(s.decode_timestamp - p.decode_timestamp).ok())
                    .unwrap_or(0);
                if s.duration == 0 || (previous > 0 && s.duration > previous * 4) {
                    previous
                } else {
                    s.duration
                }
            }
        };
        let (listed, offset, size) = (s.is_sync, s.offset, s.size);
        drop(shared);
        let sync = self.is_sync(listed, &data)?;
        self.next += 1;
        let origin = self.origin_file.as_ref().map(|file| FileRange {
            file: Arc::clone(file),
            offset,
            len: size,
        });
        Ok(Some(InputSample {
            data,
            dts,
            cts_offset,
            duration,
            sync,
            origin,
        }))
    }
}

impl Mp4Track {
    /// Whether a sample can start a fragment. An MP4's sync table lists an open GOP's
    /// recovery-point I pictures too (x264 `open-gop`), but only an IDR picture lets a
    /// fragment decode on its own: those stay inside their fragment, and a stream whose
    /// only IDR is its first picture is refused.
    fn is_sync(&mut self, listed: bool, data: &Bytes) -> ssf::Result<bool> {
        let Some(length) = self.nal_length else {
            return Ok(listed);
        };
        let idr = length_prefixed_nals(data, length)
            .filter_map(Result::ok)
            .any(|nal| nal_unit_type(nal) == Some(NAL_IDR_SLICE));
        if idr {
            self.idrs += 1;
        } else if listed && self.idrs == 1 {
            // Named as the file, then the track, as every input error starts with the
            // file as given.
            return Err(Error::Input {
                input: self.path.display().to_string(),
                reason: format!(
                    "track {}: open GOP: sample {} is listed as a sync sample but is not an IDR picture, and no IDR picture follows the first; every Smooth fragment must start with an IDR picture (closed GOPs): re-encode with x264 --no-open-gop (ffmpeg -x264-params open-gop=0) or ffmpeg -flags +cgop",
                    self.track, self.next
                ),
            });
        }
        Ok(listed && idr)
    }
}
