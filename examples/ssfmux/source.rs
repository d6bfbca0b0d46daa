//! The inputs: what opening each tells (codec configuration, timescale), the sources
//! that feed samples in decode order, and the totals a bit rate is measured from.
//!
//! Raw H.264 and ADTS inputs are read once, front to back, so they may be pipes: their
//! bit rate is measured from the bytes read once they end. MP4 tables and caption files
//! give their totals up front; VC-1 and WMA are pre-scanned.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use re_mp4::{Mp4, StsdBoxContent, TrackKind};
use ssf::StreamConfig;
use ssf::codec::avc::{NAL_IDR_SLICE, NalFormat, length_prefixed_nals, nal_unit_type};
use ssf::input::adts::AdtsReader;
use ssf::input::h264::{AccessUnit, AccessUnitReader, PtsFromPoc};

use super::captions::CaptionSource;
use super::mp4file::{SampleReader, read_mp4};
use super::windows_media::{Vc1Source, WmaSource};

/// A frame rate as a fraction (frames per second = `num / den`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fps {
    /// Ticks per second; used as the stream timescale.
    pub num: u32,
    /// Ticks per frame.
    pub den: u32,
}

impl std::str::FromStr for Fps {
    type Err = String;

    /// "25", "30000/1001", or a decimal; 23.976, 29.97 and 59.94 mean the exact NTSC
    /// rates (N×1000/1001), which decimals can only approximate.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a frame rate (e.g. 25, 29.97 or 30000/1001)");
        let (num, den) = match s.split_once('/') {
            Some((n, d)) => (
                n.trim().parse::<u32>().map_err(|_| bad())?,
                d.trim().parse::<u32>().map_err(|_| bad())?,
            ),
            None => {
                let x: f64 = s.trim().parse().map_err(|_| bad())?;
                if !(x.is_finite() && x > 0.0 && x < 1e6) {
                    return Err(bad());
                }
                let ntsc = (x * 1.001).round();
                if x.fract() != 0.0 && (ntsc * 1000.0 / 1001.0 - x).abs() < 0.005 {
                    (ntsc as u32 * 1000, 1001)
                } else {
                    ((x * 1000.0).round() as u32, 1000)
                }
            }
        };
        if num == 0 || den == 0 {
            return Err(bad());
        }
        let g = gcd(num, den);
        Ok(Fps {
            num: num / g,
            den: den / g,
        })
    }
}

/// Greatest common divisor, to reduce frame rate fractions.
fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// One sample ready for the muxer, with its decode time counted from the stream's
/// first sample (the caller adds the alignment shift).
pub struct Next {
    /// The payload (shared, never copied here).
    pub data: Bytes,
    /// Decode time in the stream's timescale, from 0.
    pub dts: u64,
    /// Presentation minus decode time.
    pub cts_offset: u64,
    /// Sample duration.
    pub duration: u64,
    /// Whether the sample is a random access point.
    pub sync: bool,
}

/// One output stream of an input, opened.
pub struct Scanned {
    /// How the stream is named in messages: the file, plus the track for MP4.
    pub label: String,
    /// Video (else audio).
    pub video: bool,
    /// What the stream is; bit rate and timescale are set when it is added.
    pub role: Role,
    /// Ticks per second of the sample times the source gives.
    pub timescale: u32,
    /// Payload bytes the source will deliver (an estimate: the file size for raw
    /// streams), for the progress bar.
    pub bytes: u64,
    /// What the bit rate is measured from, when known before reading: the bytes (the
    /// file size of a raw stream, headers and start codes included, as its nominal rate
    /// counts them; the sample sizes of an MP4 track) and the media duration in
    /// `timescale` ticks. None: the source counts them as it reads ([`Source::totals`]).
    pub totals: Option<Totals>,
    /// The samples.
    pub source: Source,
}

/// Bytes and media duration, the two halves of a measured bit rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Bytes, as the input's nominal bit rate counts them.
    pub bytes: u64,
    /// Duration in the stream's timescale.
    pub duration: u64,
}

impl Scanned {
    /// The totals the bit rate is measured from, once the source is exhausted.
    pub fn totals(&self) -> Totals {
        self.totals.unwrap_or_else(|| self.source.totals())
    }
}

/// What a scanned stream is.
pub enum Role {
    /// Video or audio with its codec configuration.
    Media(Box<StreamConfig>),
    /// TTML captions, a sparse stream of the first video stream (whose id is known only
    /// once it has been added), in the given language.
    Captions(Option<String>),
}

/// Where samples come from.
pub enum Source {
    /// A raw H.264 file.
    H264(Box<H264Source>),
    /// An ADTS file.
    Aac(AacSource),
    /// One track of an MP4 file.
    Mp4(Mp4Track),
    /// A VC-1 elementary stream.
    Vc1(Box<Vc1Source>),
    /// WMA in an ASF file.
    Wma(Box<WmaSource>),
    /// A TTML caption file.
    Captions(CaptionSource),
}

impl Source {
    /// What a source that counts as it reads has counted so far (all of it, once it has
    /// ended); zero for the others, whose totals are known up front.
    pub fn totals(&self) -> Totals {
        match self {
            Source::H264(s) => Totals {
                bytes: s.read.get(),
                duration: s.pictures.saturating_mul(s.frame_duration),
            },
            Source::Aac(s) => Totals {
                bytes: s.read.get(),
                duration: s.index.saturating_mul(s.frame),
            },
            _ => Totals::default(),
        }
    }

    /// The next sample in decode order; `None` at the end.
    pub fn next(&mut self) -> Result<Option<Next>, String> {
        match self {
            Source::H264(s) => s.next(),
            Source::Aac(s) => s.next(),
            Source::Mp4(s) => s.next(),
            Source::Vc1(s) => s.next(),
            Source::Wma(s) => s.next(),
            Source::Captions(s) => s.next(),
        }
    }
}

/// Maps a library error to a message that names the file.
pub fn err(path: &Path) -> impl Fn(ssf::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// File size (0 for a pipe), for the progress bar and the throughput figure.
pub fn file_size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// Raw H.264

/// A reader that counts the bytes it hands out, so the bit rate of a stream read once
/// (perhaps from a pipe) is known when it ends.
pub struct Counted<R> {
    /// The reader counted.
    inner: R,
    /// Bytes read so far, shared with the source that reports them.
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Opens `path` for reading through a byte counter.
fn counted(path: &Path) -> Result<(Counted<File>, Rc<Cell<u64>>), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let count = Rc::new(Cell::new(0));
    Ok((
        Counted {
            inner: file,
            count: Rc::clone(&count),
        },
        count,
    ))
}

/// Opens a raw Annex B stream: reads its first picture for the SPS's timing (or takes
/// `--fps` when it has no VUI timing). The rest is read as it is muxed.
pub fn open_h264(path: &Path, fps: Option<Fps>) -> Result<Scanned, String> {
    let e = err(path);
    let (file, read) = counted(path)?;
    // A plain reader: the access unit reader reads 1 MiB chunks itself, so a
    // `BufReader` would only add a copy.
    let mut reader = AccessUnitReader::with_path(file, path);
    let first = reader
        .next_access_unit()
        .map_err(&e)?
        .ok_or_else(|| format!("{}: no H.264 pictures found", path.display()))?;
    let sps = reader.active_sps();
    let timing = sps.and_then(|s| s.frame_duration());
    let depth = sps.and_then(|s| s.max_num_reorder_frames);
    let (frame_duration, timescale) = match (timing, fps) {
        (Some((ticks, scale)), given) => {
            if let Some(f) = given
                && u128::from(ticks) * u128::from(f.num) != u128::from(f.den) * u128::from(scale)
            {
                eprintln!(
                    "ssfmux: {}: using the stream's own frame rate ({:.3} fps), not --fps",
                    path.display(),
                    f64::from(scale) / ticks as f64
                );
            }
            (ticks, scale)
        }
        (None, Some(f)) => (u64::from(f.den), f.num),
        (None, None) => {
            return Err(format!(
                "{}: the SPS has no VUI timing, so the frame rate is unknown; give it with --fps",
                path.display()
            ));
        }
    };
    let config = StreamConfig::h264_in_band(NalFormat::LengthPrefixed(4)).map_err(&e)?;
    Ok(Scanned {
        label: path.display().to_string(),
        video: true,
        role: Role::Media(Box::new(config)),
        timescale,
        bytes: file_size(path)?,
        totals: None,
        source: Source::H264(Box::new(H264Source {
            path: path.to_path_buf(),
            reader,
            first: Some(first),
            pts: PtsFromPoc::new(frame_duration, depth),
            frame_duration,
            done: false,
            seen_idr: false,
            skipped: 0,
            pictures: 0,
            read,
        })),
    })
}

/// Access units of a raw stream, timed from their picture order counts.
pub struct H264Source {
    /// The file, for messages.
    path: PathBuf,
    /// Access units.
    reader: AccessUnitReader<Counted<File>>,
    /// The picture read when the stream was opened, not yet timed.
    first: Option<AccessUnit>,
    /// Holds frames until their presentation order is known (B-frames).
    pts: PtsFromPoc<(Bytes, bool)>,
    /// Ticks per frame.
    frame_duration: u64,
    /// The reader is exhausted.
    done: bool,
    /// An IDR picture has been passed on.
    seen_idr: bool,
    /// Pictures dropped before the first IDR.
    skipped: u64,
    /// Pictures read, skipped ones included (the file's duration in frames).
    pictures: u64,
    /// Bytes of the file read so far.
    read: Rc<Cell<u64>>,
}

impl H264Source {
    /// The next frame in decode order with its times.
    fn next(&mut self) -> Result<Option<Next>, String> {
        let e = err(&self.path);
        loop {
            if let Some(frame) = self.pts.pop().map_err(&e)? {
                let (data, sync) = frame.payload;
                return Ok(Some(Next {
                    data,
                    dts: frame.dts,
                    cts_offset: u64::from(frame.cts_offset),
                    duration: self.frame_duration,
                    sync,
                }));
            }
            if self.done {
                return Ok(None);
            }
            let next = match self.first.take() {
                Some(first) => Some(first),
                None => self.reader.next_access_unit().map_err(&e)?,
            };
            match next {
                Some(au) => {
                    if au.field_pic {
                        // Each field is its own access unit here; PIFF wants field pairs
                        // as one sample, which the reader does not assemble.
                        return Err(format!(
                            "{}: field-coded (interlaced) H.264 is not supported",
                            self.path.display()
                        ));
                    }
                    self.pictures += 1;
                    // Pictures before the first IDR reference frames the stream does not
                    // hold; no decoder can show them and a fragment cannot start there.
                    if !self.seen_idr && !au.is_idr {
                        self.skipped += 1;
                        continue;
                    }
                    if self.skipped > 0 && !self.seen_idr {
                        eprintln!(
                            "ssfmux: {}: skipped {} pictures before the first IDR picture",
                            self.path.display(),
                            self.skipped
                        );
                    }
                    self.seen_idr = true;
                    self.pts
                        .push(au.poc, au.starts_period, (au.data, au.is_idr))
                        .map_err(&e)?;
                }
                None => {
                    self.pts.finish().map_err(&e)?;
                    self.done = true;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// ADTS AAC

/// Opens an ADTS stream: its configuration from the first header. The rest is read as
/// it is muxed.
pub fn open_aac(path: &Path) -> Result<Scanned, String> {
    let e = err(path);
    let (file, read) = counted(path)?;
    let mut reader = AdtsReader::new(BufReader::with_capacity(64 << 10, file));
    let (header, first) = reader
        .next()
        .ok_or_else(|| format!("{}: no ADTS frames found", path.display()))?
        .map_err(&e)?;
    let asc = header.audio_specific_config().map_err(&e)?;
    let config = StreamConfig::aac(&asc.to_bytes()).map_err(&e)?;
    Ok(Scanned {
        label: path.display().to_string(),
        video: false,
        role: Role::Media(Box::new(config)),
        timescale: asc.sampling_rate,
        bytes: file_size(path)?,
        totals: None,
        source: Source::Aac(AacSource {
            path: path.to_path_buf(),
            reader,
            first: Some(first),
            index: 0,
            frame: u64::from(asc.frame_length),
            read,
        }),
    })
}

/// Raw AAC frames of an ADTS stream; frame `i` decodes at `i × 1024` (sampling rate
/// timescale), which cannot drift.
pub struct AacSource {
    /// The file, for messages.
    path: PathBuf,
    /// The frames.
    reader: AdtsReader<BufReader<Counted<File>>>,
    /// The frame read when the stream was opened, not yet handed out.
    first: Option<Bytes>,
    /// Index of the next frame.
    index: u64,
    /// Samples per frame (1024).
    frame: u64,
    /// Bytes of the file read so far.
    read: Rc<Cell<u64>>,
}

impl AacSource {
    /// The next raw AAC frame.
    fn next(&mut self) -> Result<Option<Next>, String> {
        let data = match self.first.take() {
            Some(first) => first,
            None => match self.reader.next() {
                Some(frame) => frame.map_err(err(&self.path))?.1,
                None => return Ok(None),
            },
        };
        let dts = self.index * self.frame;
        self.index += 1;
        Ok(Some(Next {
            data,
            dts,
            cts_offset: 0,
            duration: self.frame,
            sync: true,
        }))
    }
}

// ---------------------------------------------------------------------------------------
// MP4

/// The parsed tables and the sample reader, shared by the tracks of one file.
pub struct Mp4Shared {
    /// The sample tables.
    mp4: Mp4,
    /// Reads sample bytes for every track of the file.
    pub reader: RefCell<SampleReader>,
}

/// Reads an MP4's sample tables and returns one stream per H.264 or AAC track (audio
/// only when `want_audio`). Other tracks are skipped with a note.
pub fn scan_mp4(path: &Path, want_audio: bool) -> Result<Vec<Scanned>, String> {
    let mp4 = read_mp4(path)?;
    let shared = Rc::new(Mp4Shared {
        reader: RefCell::new(SampleReader::open(path)?),
        mp4,
    });
    let mut out = Vec::new();
    for (&id, track) in shared.mp4.tracks() {
        let label = format!("{} track {id}", path.display());
        let bad = |what: String| format!("{label}: {what}");
        let content = &track.trak(&shared.mp4).mdia.minf.stbl.stsd.contents;
        let mut nal_length = None;
        let (video, config) = match (track.kind, content) {
            (Some(TrackKind::Video), StsdBoxContent::Avc1(avc1)) => {
                let config = StreamConfig::h264(&avc1.avcc.raw).map_err(|e| bad(e.to_string()))?;
                // lengthSizeMinusOne, the low two bits of the avcC's fifth byte.
                nal_length = avc1.avcc.raw.get(4).map(|b| (b & 3) + 1);
                (true, config)
            }
            (Some(TrackKind::Audio), StsdBoxContent::Mp4a(mp4a)) if want_audio => {
                let asc = mp4a_asc(mp4a).map_err(&bad)?;
                let mut config = StreamConfig::aac(&asc).map_err(|e| bad(e.to_string()))?;
                let language = &track.trak(&shared.mp4).mdia.mdhd.language;
                if language.len() == 3 && language != "und" {
                    config = config.language(language.clone());
                }
                (false, config)
            }
            (Some(TrackKind::Audio), StsdBoxContent::Mp4a(_)) => {
                eprintln!("ssfmux: {label}: skipped (audio already comes from an earlier input)");
                continue;
            }
            _ => {
                let codec = track.codec_string(&shared.mp4).unwrap_or_default();
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
        out.push(Scanned {
            label,
            video,
            role: Role::Media(Box::new(config)),
            timescale,
            bytes,
            totals: Some(Totals { bytes, duration }),
            source: Source::Mp4(Mp4Track {
                shared: Rc::clone(&shared),
                track: id,
                next: 0,
                base,
                path: path.to_path_buf(),
                nal_length,
                idrs: 0,
            }),
        });
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no H.264 or AAC track to package",
            path.display()
        ));
    }
    Ok(out)
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
pub struct Mp4Track {
    /// Tables and reader of the file.
    shared: Rc<Mp4Shared>,
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
    /// The file, for messages.
    path: PathBuf,
}

impl Mp4Track {
    /// The next sample of the track with its bytes.
    fn next(&mut self) -> Result<Option<Next>, String> {
        let Some(samples) = self
            .shared
            .mp4
            .tracks()
            .get(&self.track)
            .map(|t| &t.samples)
        else {
            return Ok(None);
        };
        let Some(s) = samples.get(self.next) else {
            return Ok(None);
        };
        let data = self.shared.reader.borrow_mut().read(s.offset, s.size)?;
        let dts = u64::try_from(s.decode_timestamp.saturating_sub(self.base)).map_err(|_| {
            format!(
                "{}: track {} sample {}: decode times go backwards",
                self.path.display(),
                self.track,
                self.next
            )
        })?;
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
        let listed = s.is_sync;
        let sync = self.is_sync(listed, &data)?;
        self.next += 1;
        Ok(Some(Next {
            data,
            dts,
            cts_offset,
            duration,
            sync,
        }))
    }

    /// Whether a sample can start a fragment. An MP4's sync table lists an open GOP's
    /// recovery-point I pictures too (x264 `open-gop`), but only an IDR picture lets a
    /// fragment decode on its own: those stay inside their fragment, and a stream whose
    /// only IDR is its first picture is refused.
    fn is_sync(&mut self, listed: bool, data: &Bytes) -> Result<bool, String> {
        let Some(length) = self.nal_length else {
            return Ok(listed);
        };
        let idr = length_prefixed_nals(data, length)
            .filter_map(Result::ok)
            .any(|nal| nal_unit_type(nal) == Some(NAL_IDR_SLICE));
        if idr {
            self.idrs += 1;
        } else if listed && self.idrs == 1 {
            return Err(format!(
                "{}: track {}: open GOP: sample {} is listed as a sync sample but is not an IDR picture, and no IDR picture follows the first; every Smooth fragment must start with an IDR picture (closed GOPs): re-encode with x264 --no-open-gop (ffmpeg -x264-params open-gop=0) or ffmpeg -flags +cgop",
                self.path.display(),
                self.track,
                self.next
            ));
        }
        Ok(listed && idr)
    }
}
