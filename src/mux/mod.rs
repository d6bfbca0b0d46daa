//! The sans-IO muxer: samples in; headers, fragments, the index and manifests out.
//!
//! Like the original SDK it does no I/O and owns no threads. A sink (the VOD writer, the
//! live publisher, or a caller's own code) writes what it returns.

mod config;
mod encrypt;
mod fragment;
mod fragment_log;
mod header;
mod manifest;
mod payload;
mod reorder;
mod sample;
mod sample_entry;
mod stream;
mod timescale;

pub use config::{Fragmentation, Options, SMOOTH_TIMESCALE, StreamConfig, StreamId};
pub use encrypt::{SampleSealer, Sealed};
pub use fragment::Fragment;
pub use header::LIVE_END_OF_STREAM;
pub use payload::{Chunk, FileRange};
pub use reorder::{MAX_REORDER_DEPTH, Release, ReorderBuffer};
pub use sample::Sample;
pub(crate) use sample::payload_len;
pub use timescale::rescale;

use bytes::Bytes;

use crate::codec::{Codec, MediaKind, TextFormat};
use crate::error::{Error, Result};
use crate::isobmff::boxes::{HandlerKind, TrackIndex, write_mfra};
use crate::isobmff::writer::BoxWriter;
use encrypt::StreamEncryption;
use stream::StreamState;

/// Largest sample accepted, in bytes.
pub const MAX_SAMPLE_SIZE: usize = 64 << 20;

/// One fragment as the index needs it, in the order fragments were handed out.
#[derive(Debug, Clone, Copy)]
struct OutputRecord {
    stream: u32,
    time: u64,
    size: u64,
}

/// Turns samples into Smooth Streaming byte chunks. See the crate docs for the flow.
#[derive(Debug)]
pub struct Muxer {
    options: Options,
    streams: Vec<StreamState>,
    output: Vec<OutputRecord>,
    /// Whether `output` and the streams' fragment logs hold every fragment (false after
    /// [`Muxer::keep_no_index`]).
    indexed: bool,
}

impl Muxer {
    /// A muxer with no streams.
    pub fn new(options: Options) -> Result<Self> {
        options.validate()?;
        Ok(Self {
            options,
            streams: Vec::new(),
            output: Vec::new(),
            indexed: true,
        })
    }

    /// Stops keeping what the `mfra` index and the manifests need of every fragment
    /// (some 40 bytes per fragment), for a live push, which writes neither: memory then
    /// stays flat however long it runs. Afterwards [`Muxer::index`],
    /// [`Muxer::client_manifest`] and [`Muxer::server_manifest`] fail, and
    /// [`Muxer::fragment_times`] gives only the newest fragments.
    pub fn keep_no_index(&mut self) {
        self.indexed = false;
        self.output = Vec::new();
        for s in &mut self.streams {
            s.fragments.bound();
        }
    }

    /// Fails when [`Muxer::keep_no_index`] was called: `what` needs every fragment.
    fn require_index(&self, what: &str) -> Result<()> {
        if self.indexed {
            return Ok(());
        }
        Err(Error::InvalidState(format!(
            "{what} needs every fragment, and this muxer keeps no index (a live push)"
        )))
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Adds a stream; it gets a fixed track_ID ([`StreamId::track_id`]). Streams can be
    /// added at any time: a header only describes the streams it is asked for.
    pub fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId> {
        if config.timescale == 0 {
            return Err(Error::InvalidArgument(
                "stream timescale must not be 0".into(),
            ));
        }
        if self.streams.len() >= u32::MAX as usize - 1 {
            return Err(Error::InvalidArgument("too many streams".into()));
        }
        if let Some(parent) = config.parent {
            let parent_state = self.stream(parent)?;
            if parent_state.config.codec.kind() == MediaKind::Text {
                return Err(Error::InvalidArgument(format!(
                    "stream {}: a sparse stream's parent must be audio or video",
                    parent.0
                )));
            }
        }
        let id = StreamId(self.streams.len());
        let encryption = match &self.options.protection {
            Some(_) if config.codec.kind() == MediaKind::Text => None,
            Some(p) => Some(StreamEncryption::new(
                p.key().as_bytes(),
                p.stream_iv(id.0)?,
                p.is_cenc_compatible(),
            )),
            None => None,
        };
        let mut state = StreamState::new(id, config, self.options.timescale, encryption);
        if !self.indexed {
            state.fragments.bound();
        }
        self.streams.push(state);
        Ok(id)
    }

    /// The streams added so far, in order.
    pub fn streams(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.streams.iter().map(|s| s.id)
    }

    /// A stream's configuration (its codec configuration fills in once the first IDR
    /// arrives for in-band H.264).
    pub fn stream_config(&self, stream: StreamId) -> Result<&StreamConfig> {
        Ok(&self.stream(stream)?.config)
    }

    /// The fragments of a stream so far (time, duration).
    /// After [`Muxer::keep_no_index`], only the newest.
    pub fn fragment_times(&self, stream: StreamId) -> Result<&[crate::manifest::FragmentTime]> {
        Ok(self.stream(stream)?.fragments.kept())
    }

    /// Adds a sample; returns the fragment it closed, if any (automatic fragmenting closes
    /// a fragment when a sync sample reaches the next target boundary).
    pub fn push(&mut self, stream: StreamId, sample: Sample) -> Result<Option<Fragment>> {
        let (fragmentation, target) = (self.options.fragmentation, self.options.fragment_duration);
        let state = self.stream_mut(stream)?;
        let fragment = state.push(sample, fragmentation, target)?;
        Ok(fragment.map(|f| self.record(f)))
    }

    /// Closes the stream's open fragment now. The last sample's duration is its own
    /// (or the previous sample's when it has none). None when no sample is pending.
    pub fn flush(&mut self, stream: StreamId) -> Result<Option<Fragment>> {
        self.close(stream, None)
    }

    /// Closes the stream's open fragment so that it ends at `end_time` (input timescale):
    /// the last sample lasts until then. This is the SDK's AdjustDuration + ProcessOutput.
    pub fn flush_at(&mut self, stream: StreamId, end_time: u64) -> Result<Option<Fragment>> {
        let timescale = self.options.timescale;
        let state = self.stream(stream)?;
        let end = rescale(end_time, state.config.timescale, timescale).ok_or_else(|| {
            Error::TimestampOverflow {
                stream: stream.0,
                sample: 0,
                detail: "fragment end time".into(),
            }
        })?;
        self.close(stream, Some(end))
    }

    fn close(&mut self, stream: StreamId, end: Option<u64>) -> Result<Option<Fragment>> {
        let state = self.stream_mut(stream)?;
        if !state.has_pending() {
            return Ok(None);
        }
        let fragment = state.close(end)?;
        Ok(Some(self.record(fragment)))
    }

    /// Closes every stream's open fragment (end of input), in stream order.
    pub fn finish(&mut self) -> Result<Vec<Fragment>> {
        let mut out = Vec::new();
        for i in 0..self.streams.len() {
            if let Some(f) = self.close(StreamId(i), None)? {
                out.push(f);
            }
        }
        Ok(out)
    }

    fn record(&mut self, fragment: Fragment) -> Fragment {
        if !self.indexed {
            return fragment;
        }
        self.output.push(OutputRecord {
            stream: fragment.stream.0 as u32,
            time: fragment.time,
            size: fragment.size(),
        });
        fragment
    }

    fn stream(&self, stream: StreamId) -> Result<&StreamState> {
        self.streams
            .get(stream.0)
            .ok_or(Error::UnknownStream(stream.0))
    }

    fn stream_mut(&mut self, stream: StreamId) -> Result<&mut StreamState> {
        self.streams
            .get_mut(stream.0)
            .ok_or(Error::UnknownStream(stream.0))
    }

    fn check_subset(&self, streams: &[StreamId]) -> Result<()> {
        if streams.is_empty() {
            return Err(Error::InvalidArgument("no streams given".into()));
        }
        for (i, s) in streams.iter().enumerate() {
            self.stream(*s)?;
            if streams.get(..i).is_some_and(|earlier| earlier.contains(s)) {
                return Err(Error::InvalidArgument(format!(
                    "stream {} listed twice",
                    s.0
                )));
            }
        }
        Ok(())
    }

    /// Presentation duration of some streams so far: the longest of them.
    fn duration_of(&self, streams: &[StreamId]) -> u64 {
        streams
            .iter()
            .filter_map(|s| self.streams.get(s.0))
            .filter_map(|s| Some(s.end_time()? - s.fragments.first()?.time))
            .max()
            .unwrap_or(0)
    }

    /// The measured or configured bit rate of a stream, in bits per second.
    pub fn bitrate(&self, stream: StreamId) -> Result<u32> {
        let state = self.stream(stream)?;
        if state.config.bitrate != 0 {
            return Ok(state.config.bitrate);
        }
        let duration = self.duration_of(&[stream]);
        if duration == 0 {
            return Ok(0);
        }
        let bits = u128::from(state.payload_bytes) * 8 * u128::from(self.options.timescale);
        Ok(
            u32::try_from((bits + u128::from(duration) / 2) / u128::from(duration))
                .unwrap_or(u32::MAX),
        )
    }

    /// `mfra` for a file holding `streams`, whose header came from [`Muxer::header`] with
    /// the same streams and whose fragments were appended in the order the muxer handed
    /// them out.
    pub fn index(&self, streams: &[StreamId]) -> Result<Bytes> {
        self.check_subset(streams)?;
        self.require_index("the mfra index")?;
        let header_size = self.header(streams)?.len() as u64;
        let mut entries: Vec<Vec<(u64, u64)>> = vec![Vec::new(); streams.len()];
        let mut offset = header_size;
        for record in &self.output {
            if let Some(slot) = streams.iter().position(|s| s.0 as u32 == record.stream) {
                if let Some(list) = entries.get_mut(slot) {
                    list.push((record.time, offset));
                }
                offset += record.size;
            }
        }
        let tracks: Vec<TrackIndex<'_>> = streams
            .iter()
            .zip(&entries)
            .map(|(id, entries)| TrackIndex {
                track_id: id.track_id(),
                entries,
            })
            .collect();
        let mut w = BoxWriter::with_capacity(64 + 19 * self.output.len());
        write_mfra(&mut w, &tracks);
        Ok(Bytes::from(w.into_vec()))
    }

    /// Checks that the last fragment `stream` closed has the same start and duration as
    /// the fragment of that number in every other bit rate of its StreamIndex (the
    /// streams of its kind with its name) that has closed it already, so a misaligned
    /// ladder fails at its first differing fragment rather than when the manifests are
    /// written. Sparse streams are never compared: each is its own StreamIndex.
    pub fn check_aligned(&self, stream: StreamId) -> Result<()> {
        let state = self.stream(stream)?;
        let kind = state.config.codec.kind();
        let Some(index) = state.fragments.len().checked_sub(1) else {
            return Ok(());
        };
        let Some(mine) = state.fragments.get(index) else {
            return Ok(());
        };
        if kind == MediaKind::Text {
            return Ok(());
        }
        let peers = self.streams.iter().filter(|other| {
            other.id != stream
                && other.config.codec.kind() == kind
                && other.config.name() == state.config.name()
        });
        for other in peers {
            match other.fragments.get(index) {
                Some(theirs) if theirs != mine => {
                    return Err(Error::MisalignedBitrates {
                        stream_index: state.config.name().to_string(),
                        fragment: index,
                        stream: stream.0,
                        other: other.id.0,
                        detail: format!(
                            "stream {} has it at {} lasting {}, stream {} at {} lasting {}",
                            stream.0,
                            seconds(mine.time, self.options.timescale),
                            seconds(mine.duration, self.options.timescale),
                            other.id.0,
                            seconds(theirs.time, self.options.timescale),
                            seconds(theirs.duration, self.options.timescale),
                        ),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether `stream` takes samples whose payload is left in a source file
    /// ([`Sample::from_file`]): its payloads need no change, no inspection and no
    /// encryption, so the muxer never reads them.
    pub fn takes_file_payloads(&self, stream: StreamId) -> bool {
        self.stream(stream)
            .is_ok_and(StreamState::takes_file_payloads)
    }

    /// A sealer that encrypts `stream`'s samples ahead, as the muxer would (for a caller
    /// that reads samples on one thread and pushes them on another), when the stream is
    /// protected and its payloads are stored as given; `None` otherwise. Every sample
    /// sealed must then be pushed, in order, marked [`Sample::sealed`].
    pub fn sample_sealer(&self, stream: StreamId) -> Result<Option<SampleSealer>> {
        Ok(self.stream(stream)?.sample_sealer())
    }

    /// Sets a stream's bit rate once it is known (e.g. measured by the caller at the end
    /// of its input); it applies to every header, index and manifest made afterwards.
    pub fn set_bitrate(&mut self, stream: StreamId, bits_per_second: u32) -> Result<()> {
        self.stream_mut(stream)?.config.bitrate = bits_per_second;
        Ok(())
    }

    /// Sets the file name the server manifest gives for a stream.
    pub(crate) fn set_source_file_name(&mut self, stream: StreamId, name: String) -> Result<()> {
        self.stream_mut(stream)?.config.source_file_name = Some(name);
        Ok(())
    }
}

/// `ticks` of a `timescale` as seconds with millisecond precision, for messages.
fn seconds(ticks: u64, timescale: u32) -> String {
    format!("{:.3} s", ticks as f64 / f64::from(timescale.max(1)))
}

/// The handler (and so the media header and sample-flag rules) of a stream's track.
pub(crate) fn handler_kind(codec: &Codec) -> HandlerKind {
    match codec {
        Codec::Avc(_) | Codec::Vc1(_) => HandlerKind::Video,
        Codec::Aac(_) | Codec::Wma(_) => HandlerKind::Audio,
        Codec::Text(TextFormat::Ttml) => HandlerKind::Subtitle,
        Codec::Text(_) => HandlerKind::Metadata,
    }
}
