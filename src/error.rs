//! The one error type of the crate.
//!
//! Every variant says what was wrong and where (stream, sample index, byte offset), so a
//! caller can act on it and a C caller gets a useful last-error message.

use std::path::PathBuf;

/// Everything that can go wrong in `ssf`. Bad input always ends here, never in a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A codec configuration (avcC, SPS/PPS, AudioSpecificConfig, …) does not parse or is
    /// not supported.
    #[error("invalid {what}: {reason}")]
    InvalidConfig {
        /// What was being parsed, e.g. "SPS" or "AudioSpecificConfig".
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Bytes that do not follow their format (bitstream, ADTS frame, box).
    #[error("malformed {what} at byte {offset}: {reason}")]
    Malformed {
        /// What was being read, e.g. "ADTS header" or "box".
        what: &'static str,
        /// Byte offset of the problem from the start of the buffer given.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A stream handle that this muxer never returned.
    #[error("unknown stream {0}")]
    UnknownStream(usize),
    /// A sample whose decode time is before the previous sample's.
    #[error(
        "stream {stream}, sample {sample}: decode time {dts} is before the previous decode time {previous}"
    )]
    DecreasingTime {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
        /// Its decode time (caller's timescale).
        dts: u64,
        /// The previous sample's decode time.
        previous: u64,
    },
    /// A fragment would begin with a sample that is not a sync sample.
    #[error(
        "stream {stream}, sample {sample}: a fragment must start with a sync sample (keyframe)"
    )]
    NonSyncFragmentStart {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
    },
    /// A sample with no bytes.
    #[error("stream {stream}, sample {sample}: empty sample")]
    EmptySample {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
    },
    /// A sample larger than the 64 MiB limit.
    #[error("stream {stream}, sample {sample}: {size} bytes is over the {limit}-byte sample limit")]
    SampleTooLarge {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A timestamp that does not fit once rescaled or added to.
    #[error("stream {stream}, sample {sample}: timestamp overflows ({detail})")]
    TimestampOverflow {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
        /// Which computation overflowed.
        detail: String,
    },
    /// A sample whose content does not match its stream (bad NAL framing, …).
    #[error("stream {stream}, sample {sample}: {reason}")]
    InvalidSample {
        /// Stream index.
        stream: usize,
        /// Index of the offending sample within the stream.
        sample: u64,
        /// What was wrong.
        reason: String,
    },
    /// A sample duration that cannot be known (the last sample of a fragment has none).
    #[error(
        "stream {stream}, sample {sample}: duration unknown (give the sample a duration or the fragment an end time)"
    )]
    MissingDuration {
        /// Stream index.
        stream: usize,
        /// Index of the sample within the stream.
        sample: u64,
    },
    /// The bit rates of one StreamIndex do not share fragment boundaries.
    #[error(
        "StreamIndex \"{stream_index}\": fragment {fragment} differs between bit rates: {detail}"
    )]
    MisalignedFragments {
        /// Name of the StreamIndex.
        stream_index: String,
        /// Index (from 0) of the first fragment that differs.
        fragment: usize,
        /// The two differing values.
        detail: String,
    },
    /// A fragment of one bit rate starts or lasts differently from the same fragment of
    /// another bit rate of its StreamIndex, found as soon as the second of them closes.
    #[error(
        "StreamIndex \"{stream_index}\": fragment {fragment} is not aligned between the bit rates of streams {other} and {stream}: {detail} (each bit rate needs keyframes at the same times: closed GOPs of one length)"
    )]
    MisalignedBitrates {
        /// Name of the StreamIndex.
        stream_index: String,
        /// Index (from 0) of the fragment.
        fragment: usize,
        /// The stream that just closed it.
        stream: usize,
        /// A stream of the same StreamIndex that closed it differently.
        other: usize,
        /// Both starts and durations.
        detail: String,
    },
    /// A presentation directory holds the files of a run that was killed or crashed
    /// before it finished; they can be recovered or discarded, but not overwritten.
    #[error(
        "{target}: a previous run into this directory was interrupted and left its files in {partial}; recover them into a presentation (ssfmux recover) or discard them (--force) before writing it again"
    )]
    Interrupted {
        /// The presentation directory.
        target: PathBuf,
        /// The staging directory the interrupted run left.
        partial: PathBuf,
    },
    /// What an interrupted run left cannot be turned into a presentation.
    #[error("cannot recover {path}: {reason}")]
    Unrecoverable {
        /// The file or directory at fault.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A call that does not fit the current state (e.g. a header before the stream's
    /// parameter sets are known, or a stream added after output started).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// An option or argument outside its range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A file could not be read or written.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("create", "write", "rename", …).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A publishing point URL or stream identifier that a live push cannot use.
    #[error("live publishing point {url}: {reason}")]
    LiveUrl {
        /// The URL (or identifier) as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Every connection of a live stream has failed for good (a fatal answer such as 415,
    /// or the configured retry limit reached), so its samples can no longer be delivered.
    #[error("live stream {stream}: every publishing point failed; last error: {reason}")]
    LiveFailed {
        /// The stream's identifier in the URL (`Streams(<stream>)`).
        stream: String,
        /// The last error seen.
        reason: String,
    },
    /// The live publisher could not start its network runtime or HTTP client.
    #[error("live publisher: {0}")]
    LiveSetup(String),
    /// An input file (or one stream of it) that cannot be packaged as it is: no pictures,
    /// no frame rate, an unsupported track, an option that does not fit it.
    #[error("{input}: {reason}")]
    Input {
        /// The file, or the file and track (`movie.mp4 track 2`).
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// An error found while reading an input, with the input it concerns named.
    #[error("{input}: {source}")]
    InInput {
        /// The file, or the file and track (`movie.mp4 track 2`).
        input: String,
        /// The error, as the reader or parser reported it.
        #[source]
        source: Box<Error>,
    },
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidConfig`].
    pub(crate) fn config(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            what,
            reason: reason.into(),
        }
    }

    /// Moves the offset of a [`Error::Malformed`] by `by` bytes, so that an error found in
    /// a slice (a header, a NAL unit) points into the whole buffer or stream.
    pub(crate) fn offset_by(self, by: usize) -> Self {
        self.map_offset(|offset| offset.saturating_add(by))
    }

    /// Replaces the offset of a [`Error::Malformed`] by `f(offset)`, for errors found in
    /// a transformed copy of the input (e.g. text decoded from UTF-16) that must point
    /// into the original.
    pub(crate) fn map_offset(self, f: impl FnOnce(usize) -> usize) -> Self {
        match self {
            Error::Malformed {
                what,
                offset,
                reason,
            } => Error::Malformed {
                what,
                offset: f(offset),
                reason,
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::Input`].
    pub(crate) fn input(input: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Input {
            input: input.into(),
            reason: reason.into(),
        }
    }

    /// Names the input an error was found in ([`Error::InInput`]).
    pub(crate) fn in_input(self, input: impl Into<String>) -> Self {
        Error::InInput {
            input: input.into(),
            source: Box::new(self),
        }
    }

    /// Shorthand for [`Error::Malformed`].
    pub(crate) fn malformed(what: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            offset,
            reason: reason.into(),
        }
    }
}
