//! The inputs: what the pre-scan learns about each (codec configuration, duration, bit
//! rate), and the sources that then feed samples in decode order.

use std::cell::RefCell;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use re_mp4::{Mp4, StsdBoxContent, TrackKind};
use ssf::StreamConfig;
use ssf::codec::aac::AdtsReader;
use ssf::codec::avc::{AccessUnitReader, NalFormat, PtsFromPoc};

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

/// What the pre-scan found for one output stream.
pub struct Scanned {
    /// How the stream is named in messages: the file, plus the track for MP4.
    pub label: String,
    /// Video (else audio).
    pub video: bool,
    /// What the stream is; bit rate and timescale are set when it is added.
    pub role: Role,
    /// Ticks per second of the sample times the source gives.
    pub timescale: u32,
    /// Media duration in `timescale` ticks.
    pub duration: u64,
    /// Payload bytes the source will deliver (an estimate for raw H.264: start codes
    /// and length prefixes differ), for the progress bar.
    pub bytes: u64,
    /// Bytes the bit rate is measured from: the file size of a raw stream (headers and
    /// start codes included, as its nominal rate counts them), the sample sizes of an
    /// MP4 track.
    pub rate_bytes: u64,
    /// The samples.
    pub source: Source,
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

/// File size, for bit rates of raw streams and the throughput figure.
pub fn file_size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// Raw H.264

/// Pre-scans a raw Annex B stream: counts access units (the library's reader does the
/// parsing) and takes the frame rate from the first SPS, or `--fps` when it has no VUI
/// timing. Returns the stream and a fresh source positioned at its start.
pub fn scan_h264(
    path: &Path,
    fps: Option<Fps>,
    progress: &mut dyn FnMut(u64),
) -> Result<Scanned, String> {
    let e = err(path);
    let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    let mut reader = AccessUnitReader::with_path(open()?, path);
    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut timing = None;
    let mut depth = None;
    while let Some(au) = reader.next_access_unit().map_err(&e)? {
        if au.field_pic {
            // Each field is its own access unit here; PIFF wants field pairs as one
            // sample, which the reader does not assemble.
            return Err(format!(
                "{}: field-coded (interlaced) H.264 is not supported",
                path.display()
            ));
        }
        if count == 0 {
            let sps = reader.active_sps();
            timing = sps.and_then(|s| s.frame_duration());
            depth = sps.and_then(|s| s.max_num_reorder_frames);
        }
        count += 1;
        bytes += au.data.len() as u64;
        if count.is_multiple_of(256) {
            progress(bytes);
        }
    }
    progress(bytes);
    if count == 0 {
        return Err(format!("{}: no H.264 pictures found", path.display()));
    }
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
        duration: count.saturating_mul(frame_duration),
        bytes,
        rate_bytes: file_size(path)?,
        source: Source::H264(Box::new(H264Source {
            path: path.to_path_buf(),
            reader: AccessUnitReader::with_path(open()?, path),
            pts: PtsFromPoc::new(frame_duration, depth),
            frame_duration,
            done: false,
            seen_idr: false,
            skipped: 0,
        })),
    })
}

/// Access units of a raw stream, timed from their picture order counts.
pub struct H264Source {
    /// The file, for messages.
    path: PathBuf,
    /// Access units. A plain `File`: the reader reads 1 MiB chunks itself, so a
    /// `BufReader` would only add a copy.
    reader: AccessUnitReader<File>,
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
            match self.reader.next_access_unit().map_err(&e)? {
                Some(au) => {
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

/// Pre-scans an ADTS stream: its configuration from the first header and its duration
/// from the frame count (1024 samples per frame at the header's rate).
pub fn scan_aac(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Scanned, String> {
    let e = err(path);
    let open = || {
        File::open(path)
            .map(|f| AdtsReader::new(BufReader::with_capacity(64 << 10, f)))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut first = None;
    let mut count = 0u64;
    let mut bytes = 0u64;
    for frame in open()? {
        let (header, payload) = frame.map_err(&e)?;
        first.get_or_insert(header);
        count += 1;
        bytes += payload.len() as u64;
        if count.is_multiple_of(1024) {
            progress(bytes);
        }
    }
    progress(bytes);
    let header = first.ok_or_else(|| format!("{}: no ADTS frames found", path.display()))?;
    let asc = header.audio_specific_config().map_err(&e)?;
    let config = StreamConfig::aac(&asc.to_bytes()).map_err(&e)?;
    let frame = u64::from(asc.frame_length);
    Ok(Scanned {
        label: path.display().to_string(),
        video: false,
        role: Role::Media(Box::new(config)),
        timescale: asc.sampling_rate,
        duration: count * frame,
        bytes,
        rate_bytes: file_size(path)?,
        source: Source::Aac(AacSource {
            path: path.to_path_buf(),
            reader: open()?,
            index: 0,
            frame,
        }),
    })
}

/// Raw AAC frames of an ADTS stream; frame `i` decodes at `i × 1024` (sampling rate
/// timescale), which cannot drift.
pub struct AacSource {
    /// The file, for messages.
    path: PathBuf,
    /// The frames.
    reader: AdtsReader<BufReader<File>>,
    /// Index of the next frame.
    index: u64,
    /// Samples per frame (1024).
    frame: u64,
}

impl AacSource {
    /// The next raw AAC frame.
    fn next(&mut self) -> Result<Option<Next>, String> {
        let Some(frame) = self.reader.next() else {
            return Ok(None);
        };
        let (_, data) = frame.map_err(err(&self.path))?;
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
        let (video, config) = match (track.kind, content) {
            (Some(TrackKind::Video), StsdBoxContent::Avc1(avc1)) => (
                true,
                StreamConfig::h264(&avc1.avcc.raw).map_err(|e| bad(e.to_string()))?,
            ),
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
            duration,
            bytes,
            rate_bytes: bytes,
            source: Source::Mp4(Mp4Track {
                shared: Rc::clone(&shared),
                track: id,
                next: 0,
                base,
                path: path.to_path_buf(),
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
        self.next += 1;
        Ok(Some(Next {
            data,
            dts,
            cts_offset,
            duration,
            sync: s.is_sync,
        }))
    }
}
