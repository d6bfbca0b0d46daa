//! Many inputs as one presentation's sources: their streams in the order a presentation
//! lists them, grouped into StreamIndexes, started together, merged in decode order, and
//! their bit rates measured.

use std::fmt;

use super::grouping::{Switchable, ToPlace, default_name, stream_index_names};
use super::kind::InputKind;
use super::merge::{Lane, Merge};
use super::open::{Input, OpenOptions, open_with};
use super::sample::InputSample;
use super::sources::Opened;
use super::spec::{InputOptions, InputSpec};
use super::stream::{BitrateBasis, InputStream, StreamRole};
use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::mux::{SampleSealer, StreamConfig, StreamId};

/// One stream of the set.
#[derive(Debug)]
struct Entry {
    /// What it is (its language as the user's options left it).
    stream: InputStream,
    /// Bit rate the user gave.
    bitrate: Option<u32>,
    /// StreamIndex name the user gave.
    name: Option<String>,
}

/// The streams of many inputs, read together.
///
/// Streams are kept in the order a presentation lists them: video first, then audio, then
/// captions (which name the first video stream as their parent), each kind in the order
/// its inputs were added. Streams a player can switch between become the bit rates of one
/// StreamIndex; the others get StreamIndexes of their own (see
/// [`stream_index_name`](Self::stream_index_name)).
///
/// ```no_run
/// # fn main() -> ssf::Result<()> {
/// use ssf::input::{InputSet, InputSpec, OpenOptions};
/// let mut set = InputSet::new();
/// for arg in ["720p.h264", "360p.h264", "audio.aac@128k,lang=eng"] {
///     let spec: InputSpec = arg.parse().map_err(ssf::Error::InvalidArgument)?;
///     set.open(&spec, &OpenOptions::new())?;
/// }
/// let mut vod = ssf::VodWriter::create("out", "movie", ssf::Options::default())?;
/// set.add_streams(|config| vod.add_stream(config))?;
/// while let Some((id, sample)) = set.next_sample()? {
///     vod.push(id, sample.into_sample())?;
/// }
/// for (id, bitrate) in set.bitrates()? {
///     vod.set_bitrate(id, bitrate)?;
/// }
/// vod.finish()?;
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct InputSet {
    /// The streams, in presentation order.
    entries: Vec<Entry>,
    /// Their StreamIndex names where not the default (parallel to `entries`).
    names: Vec<Option<String>>,
    /// Their sources, as merge lanes (parallel to `entries`).
    merge: Merge,
    /// The ids the streams were added under, once [`Self::add_streams`] ran.
    ids: Vec<StreamId>,
    /// Notes not yet taken.
    notes: Vec<String>,
}

impl fmt::Debug for InputSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputSet")
            .field("entries", &self.entries)
            .field("names", &self.names)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// Where a stream of `kind` goes: after every stream of a kind listed before it.
fn rank(kind: MediaKind) -> u8 {
    match kind {
        MediaKind::Video => 0,
        MediaKind::Audio => 1,
        MediaKind::Text => 2,
    }
}

/// What makes a stream switchable with another.
fn switchable(stream: &InputStream) -> Switchable {
    let (fourcc, audio) = match &stream.role {
        StreamRole::Media(config) => (
            config.codec().fourcc(),
            config
                .codec()
                .audio_format()
                .map(|a| (a.sampling_rate, a.channels)),
        ),
        StreamRole::Captions => ("TTML", None),
    };
    Switchable {
        kind: stream.kind,
        fourcc,
        audio,
        language: stream.language.clone(),
    }
}

impl InputSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the file `spec` names and adds it with its options.
    pub fn open(&mut self, spec: &InputSpec, options: &OpenOptions) -> Result<()> {
        self.add(open_with(&spec.path, options)?, &spec.options)
    }

    /// Adds the streams of `input` with the user's `options` for it. An MP4's audio
    /// tracks that an earlier input already gives (same codec, rate, channels and
    /// language: a ladder of MP4 files each carrying the same audio) are left out, with
    /// a note.
    pub fn add(&mut self, input: Input, options: &InputOptions) -> Result<()> {
        if self.merge.started() {
            return Err(Error::InvalidState(
                "inputs cannot be added once samples have been read".into(),
            ));
        }
        let label = input.path().display().to_string();
        let kind = input.kind();
        let (streams, notes) = input.into_parts();
        self.notes.extend(notes);
        let mut kept = Vec::with_capacity(streams.len());
        for (mut stream, source) in streams {
            if matches!(
                (&options.language, stream.kind),
                (Some(_), MediaKind::Audio | MediaKind::Text)
            ) {
                stream.language.clone_from(&options.language);
            }
            let repeated = kind == InputKind::Mp4
                && stream.kind == MediaKind::Audio
                && self
                    .entries
                    .iter()
                    .any(|e| switchable(&e.stream) == switchable(&stream));
            if repeated {
                self.notes.push(format!(
                    "{}: skipped (audio already comes from an earlier input)",
                    stream.label
                ));
                continue;
            }
            kept.push((stream, source));
        }
        let (bitrate_at, name_at) = Self::option_targets(&label, &kept, options)?;
        for (i, (stream, source)) in kept.into_iter().enumerate() {
            let at = self
                .entries
                .iter()
                .position(|e| rank(e.stream.kind) > rank(stream.kind))
                .unwrap_or(self.entries.len());
            let lane = Lane::new(
                source,
                stream.label.clone(),
                stream.timescale,
                stream.is_captions(),
            );
            self.merge.lanes.insert(at, lane);
            self.entries.insert(
                at,
                Entry {
                    stream,
                    bitrate: options.bitrate.filter(|_| bitrate_at == Some(i)),
                    name: options.name.clone().filter(|_| name_at == Some(i)),
                },
            );
        }
        self.regroup()
    }

    /// Which of an input's streams its `@BITRATE` and `name=` apply to: the only stream,
    /// or for the bit rate the only video stream (an MP4's audio is measured).
    fn option_targets(
        label: &str,
        streams: &[Opened],
        options: &InputOptions,
    ) -> Result<(Option<usize>, Option<usize>)> {
        let single = (streams.len() == 1).then_some(0);
        let bitrate_at = match (options.bitrate, single) {
            (None, _) => None,
            (Some(_), Some(i)) => Some(i),
            (Some(_), None) => {
                let videos: Vec<usize> = (0..streams.len())
                    .filter(|&i| {
                        streams
                            .get(i)
                            .is_some_and(|(s, _)| s.kind == MediaKind::Video)
                    })
                    .collect();
                match videos.as_slice() {
                    [only] => Some(*only),
                    _ => {
                        return Err(Error::input(
                            label,
                            format!(
                                "@BITRATE needs exactly one video track, the file has {}",
                                videos.len()
                            ),
                        ));
                    }
                }
            }
        };
        let name_at = match (&options.name, single) {
            (None, _) => None,
            (Some(_), Some(i)) => Some(i),
            (Some(_), None) => {
                return Err(Error::input(
                    label,
                    format!(
                        "name= needs an input with one stream, the file has {}",
                        streams.len()
                    ),
                ));
            }
        };
        if options.language.is_some()
            && !streams
                .iter()
                .any(|(s, _)| matches!(s.kind, MediaKind::Audio | MediaKind::Text))
        {
            return Err(Error::input(
                label,
                "lang= applies to audio and captions, and the file has neither",
            ));
        }
        Ok((bitrate_at, name_at))
    }

    /// Recomputes the StreamIndex names after streams were added.
    fn regroup(&mut self) -> Result<()> {
        let places: Vec<ToPlace> = self
            .entries
            .iter()
            .map(|e| ToPlace {
                label: e.stream.label.clone(),
                key: switchable(&e.stream),
                given: e.name.clone(),
            })
            .collect();
        self.names = stream_index_names(&places)?;
        Ok(())
    }

    /// The streams, in the order they are to be added: video, audio, captions.
    pub fn streams(&self) -> impl ExactSizeIterator<Item = &InputStream> {
        self.entries.iter().map(|e| &e.stream)
    }

    /// The number of streams.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no input has given a stream.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The StreamIndex stream `index` appears under: inputs a player can switch between
    /// (same codec; for audio also the same sampling rate, channel count and language)
    /// share one; the others are named apart (`audio`, `audio_2`, `audio_fra`, …) unless
    /// the user named them.
    pub fn stream_index_name(&self, index: usize) -> Option<&str> {
        let entry = self.entries.get(index)?;
        match self.names.get(index) {
            Some(Some(name)) => Some(name),
            _ => Some(default_name(entry.stream.kind)),
        }
    }

    /// The bit rate the user gave stream `index`, if any.
    pub fn given_bitrate(&self, index: usize) -> Option<u32> {
        self.entries.get(index).and_then(|e| e.bitrate)
    }

    /// The configuration to add stream `index` with: codec configuration, timescale,
    /// language, StreamIndex name and the given bit rate (0: measured, set at the end).
    /// Captions need `parent`, the id the first video stream was added under.
    pub fn config(&self, index: usize, parent: Option<StreamId>) -> Result<StreamConfig> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| Error::InvalidArgument(format!("no input stream {index}")))?;
        let mut config = entry.stream.config(parent)?;
        if let Some(Some(name)) = self.names.get(index) {
            config = config.track_name(name.clone());
        }
        Ok(config.bitrate(entry.bitrate.unwrap_or(0)))
    }

    /// Adds every stream through `add` (e.g. `|c| vod.add_stream(c)`), in order, and
    /// returns their ids; captions get the first video stream as their parent.
    pub fn add_streams(
        &mut self,
        mut add: impl FnMut(StreamConfig) -> Result<StreamId>,
    ) -> Result<Vec<StreamId>> {
        if !self.ids.is_empty() {
            return Err(Error::InvalidState("the streams were added already".into()));
        }
        let mut ids = Vec::with_capacity(self.entries.len());
        let mut parent = None;
        for (i, entry) in self.entries.iter().enumerate() {
            let config = self.config(i, parent)?;
            let label = &entry.stream.label;
            let id = add(config).map_err(|e| e.in_input(label.clone()))?;
            if parent.is_none() && entry.stream.kind == MediaKind::Video {
                parent = Some(id);
            }
            ids.push(id);
        }
        self.ids.clone_from(&ids);
        Ok(ids)
    }

    /// The next sample of all streams in decode order, with the index of its stream. The
    /// first call reads every stream's first sample and shifts the streams so that they
    /// all start presenting together (captions, timed from the programme's start, only
    /// follow that shift).
    pub fn next_indexed(&mut self) -> Result<Option<(usize, InputSample)>> {
        self.merge.next(&mut self.notes)
    }

    /// Like [`Self::next_indexed`], with the id the stream was added under by
    /// [`Self::add_streams`].
    pub fn next_sample(&mut self) -> Result<Option<(StreamId, InputSample)>> {
        if self.ids.len() != self.entries.len() {
            return Err(Error::InvalidState(
                "add the streams (InputSet::add_streams) before reading samples".into(),
            ));
        }
        let Some((i, sample)) = self.next_indexed()? else {
            return Ok(None);
        };
        let id = self
            .ids
            .get(i)
            .copied()
            .ok_or_else(|| Error::InvalidState(format!("no id for input stream {i}")))?;
        Ok(Some((id, sample)))
    }

    /// Asks stream `index`'s source to leave its payloads in their file: its samples then
    /// come with an [`InputSample::origin`] and empty `data`, for a writer that copies
    /// them file to file ([`crate::VodWriter::takes_file_payloads`]). Returns whether the
    /// source will (MP4 tracks read from a regular file do).
    pub fn leave_payloads_in_files(&mut self, index: usize) -> bool {
        self.merge
            .lanes
            .get_mut(index)
            .is_some_and(|lane| lane.source.leave_payloads_in_files())
    }

    /// Asks stream `index`'s source to hand out each payload in a buffer of its own, so
    /// a muxer that encrypts it does so in place instead of copying each fragment.
    /// Returns whether the source will (MP4 tracks read from a regular file do; readers
    /// of elementary streams hand out buffers of their own anyway or must share them).
    pub fn own_payloads(&mut self, index: usize) -> bool {
        self.merge
            .lanes
            .get_mut(index)
            .is_some_and(|lane| lane.source.own_payloads())
    }

    /// Reads every stream on a thread of its own, a few samples ahead, so that reading
    /// and scanning the files overlaps muxing and writing (on a machine with more than
    /// one core a file-to-file run then takes about the longer of the two, not their
    /// sum). Call it once, after choosing the payload modes
    /// ([`Self::leave_payloads_in_files`], [`Self::own_payloads`]) and before reading.
    ///
    /// `sealer(index)` may give stream `index` the muxer's
    /// [`SampleSealer`](crate::mux::SampleSealer): its samples are then encrypted on the
    /// reading thread too, and must all be pushed, in order (as [`InputSample::into_sample`]
    /// marks them).
    pub fn read_in_background(
        &mut self,
        mut sealer: impl FnMut(usize) -> Option<SampleSealer>,
    ) -> Result<()> {
        if self.merge.started() {
            return Err(Error::InvalidState(
                "reading in the background must be chosen before samples are read".into(),
            ));
        }
        let lanes = std::mem::take(&mut self.merge.lanes);
        let count = lanes.len();
        self.merge.lanes = lanes
            .into_iter()
            .enumerate()
            .map(|(i, lane)| lane.in_background(count, sealer(i)))
            .collect();
        Ok(())
    }

    /// The bit rate of stream `index`: given, else measured from its totals (size over
    /// media duration). A stream counted as it is read knows it once it has ended.
    pub fn bitrate(&self, index: usize) -> Result<u32> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| Error::InvalidArgument(format!("no input stream {index}")))?;
        if let Some(given) = entry.bitrate {
            return Ok(given);
        }
        let stream = &entry.stream;
        let totals = match stream.bitrate_basis {
            BitrateBasis::Known(totals) => totals,
            BitrateBasis::Counted => {
                let lane = self.merge.lanes.get(index);
                if !self.merge.ended() {
                    return Err(Error::InvalidState(format!(
                        "{}: the bit rate is measured once every input has been read to its end",
                        stream.label
                    )));
                }
                lane.map(|l| l.source.counted()).unwrap_or_default()
            }
        };
        totals.bitrate(stream.timescale).ok_or_else(|| {
            Error::input(
                stream.label.clone(),
                "zero duration, cannot measure the bit rate (give FILE@BITRATE)",
            )
        })
    }

    /// Every stream's id and bit rate (given or measured), once every input has ended.
    pub fn bitrates(&self) -> Result<Vec<(StreamId, u32)>> {
        self.ids
            .iter()
            .enumerate()
            .map(|(i, &id)| Ok((id, self.bitrate(i)?)))
            .collect()
    }

    /// What the inputs had to tell that is not an error (pictures skipped before the
    /// first IDR picture, a stream without samples, a track left out), once; each note
    /// names its input.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }
}
