//! Per-stream state: the open fragment's samples, the fragment boundaries so far, and
//! the conversion of caller timestamps to presentation time.

use bytes::Bytes;

use super::config::{Fragmentation, StreamConfig};
use super::encrypt::{SampleSealer, Sealed, StreamEncryption, encrypt_fragment};
use super::fragment::Fragment;
use super::fragment_log::FragmentLog;
use super::handler_kind;
use super::payload::Chunk;
use super::sample::{Sample, payload_len};
use super::timescale::rescale;
use super::{MAX_SAMPLE_SIZE, StreamId};
use crate::codec::Codec;
use crate::drm::subsample::range_subsamples;
use crate::error::{Error, Result};
use crate::isobmff::boxes::{FragmentHeader, FragmentSample, write_fragment_header};
use crate::isobmff::writer::BoxWriter;
use crate::manifest::FragmentTime;

/// A sample of the open fragment, in presentation ticks.
#[derive(Debug)]
pub(super) struct Pending {
    /// The payload as stored (empty when it is left in its file).
    pub(super) data: Bytes,
    /// The payload left in source files (empty when `data` holds it).
    pieces: Vec<Chunk>,
    dts: u64,
    cts_offset: u32,
    /// Duration the caller gave, converted; used only when no later sample follows.
    duration_hint: Option<u64>,
    sync: bool,
    /// Caller-chosen encrypted ranges, already checked against the payload.
    pub(super) protected_ranges: Option<Vec<(u32, u32)>>,
    /// The payload was encrypted ahead: its IV and map.
    pub(super) sealed: Option<Sealed>,
}

impl Pending {
    /// The payload's length in bytes.
    fn len(&self) -> u64 {
        payload_len(&self.data, &self.pieces)
    }
}

/// A sample's times in presentation ticks.
struct Times {
    dts: u64,
    cts_offset: u32,
    duration_hint: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct StreamState {
    pub(crate) id: StreamId,
    pub(crate) config: StreamConfig,
    timescale: u32,
    samples_seen: u64,
    last_input_dts: Option<u64>,
    pending: Vec<Pending>,
    /// Reused between fragments: the trun rows of the open fragment.
    rows: Vec<FragmentSample>,
    /// Presentation time of the stream's first sample (the fragment grid's origin).
    first_dts: Option<u64>,
    /// In automatic mode, the next grid point a sync sample may cut at.
    next_boundary: u64,
    sequence: u32,
    pub(crate) fragments: FragmentLog,
    pub(crate) payload_bytes: u64,
    /// For sparse streams with ManifestOutput: each fragment's payloads, for the `.ismc`.
    pub(crate) inline_fragments: Vec<Vec<u8>>,
    encryption: Option<StreamEncryption>,
}

impl StreamState {
    pub(crate) fn new(
        id: StreamId,
        config: StreamConfig,
        timescale: u32,
        encryption: Option<StreamEncryption>,
    ) -> Self {
        Self {
            id,
            config,
            timescale,
            samples_seen: 0,
            last_input_dts: None,
            pending: Vec::new(),
            rows: Vec::new(),
            first_dts: None,
            next_boundary: 0,
            sequence: 0,
            fragments: FragmentLog::default(),
            payload_bytes: 0,
            inline_fragments: Vec::new(),
            encryption,
        }
    }

    /// End of the last closed fragment, in presentation ticks.
    pub(crate) fn end_time(&self) -> Option<u64> {
        self.fragments.last().map(|f| f.time + f.duration)
    }

    /// Accepts one sample; returns the fragment it closed, if any. Every check comes
    /// before any change, so a refused sample leaves the stream as it was.
    pub(crate) fn push(
        &mut self,
        sample: Sample,
        fragmentation: Fragmentation,
        fragment_duration: u64,
    ) -> Result<Option<Fragment>> {
        let index = self.samples_seen;
        self.check_arrival(&sample, index)?;
        let times = self.presentation_times(&sample, index)?;
        self.check_gap(times.dts, index)?;
        let starts_fragment = self.starts_fragment(&sample, times.dts, fragmentation, index)?;
        let input_dts = sample.dts;
        let sync = sample.sync;
        let protected_ranges = sample.protected_ranges;
        let pieces = sample.pieces;
        let sealed = sample.sealed;
        let data = if let Some(sealed) = &sealed {
            self.check_sealed(
                sealed,
                protected_ranges.is_some() || !pieces.is_empty(),
                index,
            )?;
            sample.data
        } else if pieces.is_empty() {
            self.prepare_payload(sample.data, sync, protected_ranges.as_deref(), index)?
        } else {
            self.check_file_payload(protected_ranges.is_some(), index)?;
            Bytes::new()
        };
        let closed = if starts_fragment && !self.pending.is_empty() {
            Some(self.close(Some(times.dts))?)
        } else {
            None
        };
        if self.pending.is_empty() {
            self.open_fragment(times.dts, fragment_duration);
        }
        self.pending.push(Pending {
            data,
            pieces,
            dts: times.dts,
            cts_offset: times.cts_offset,
            duration_hint: times.duration_hint,
            sync,
            protected_ranges,
            sealed,
        });
        self.samples_seen += 1;
        self.last_input_dts = Some(input_dts);
        Ok(closed)
    }

    /// The payload is not empty nor too large, and decode times do not go back.
    fn check_arrival(&self, sample: &Sample, index: u64) -> Result<()> {
        let stream = self.id.0;
        let size = usize::try_from(sample.len()).unwrap_or(usize::MAX);
        if size == 0 {
            return Err(Error::EmptySample {
                stream,
                sample: index,
            });
        }
        if size > MAX_SAMPLE_SIZE {
            return Err(Error::SampleTooLarge {
                stream,
                sample: index,
                size,
                limit: MAX_SAMPLE_SIZE,
            });
        }
        match self.last_input_dts {
            Some(previous) if sample.dts < previous => Err(Error::DecreasingTime {
                stream,
                sample: index,
                dts: sample.dts,
                previous,
            }),
            _ => Ok(()),
        }
    }

    /// The caller's times converted exactly to presentation ticks.
    fn presentation_times(&self, sample: &Sample, index: u64) -> Result<Times> {
        let overflow = |detail: &str| Error::TimestampOverflow {
            stream: self.id.0,
            sample: index,
            detail: detail.to_string(),
        };
        let (from, to) = (self.config.timescale, self.timescale);
        let dts = rescale(sample.dts, from, to).ok_or_else(|| overflow("decode time"))?;
        let pts = sample
            .dts
            .checked_add(sample.cts_offset)
            .and_then(|pts| rescale(pts, from, to))
            .ok_or_else(|| overflow("presentation time"))?;
        let cts_offset = u32::try_from(pts.saturating_sub(dts))
            .map_err(|_| overflow("composition offset over 32 bits"))?;
        let duration_hint = match sample.duration {
            Some(d) => Some(
                sample
                    .dts
                    .checked_add(d)
                    .and_then(|end| rescale(end, from, to))
                    .ok_or_else(|| overflow("decode time + duration"))?
                    .saturating_sub(dts),
            ),
            None => None,
        };
        Ok(Times {
            dts,
            cts_offset,
            duration_hint,
        })
    }

    /// A sample's duration is the distance to the next decode time and must fit the 32
    /// bits of a trun entry; refusing the sample that opens a wider gap keeps the pending
    /// fragment closable.
    fn check_gap(&self, dts: u64, index: u64) -> Result<()> {
        match self.pending.last() {
            Some(last) if dts.saturating_sub(last.dts) > u64::from(u32::MAX) => {
                Err(Error::TimestampOverflow {
                    stream: self.id.0,
                    sample: index,
                    detail: "gap to the previous sample over 32 bits of ticks".into(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether the sample opens a new fragment: the first one does, and in automatic
    /// mode a sync sample at or past the next grid point. A fragment must open on a
    /// sync sample.
    fn starts_fragment(
        &self,
        sample: &Sample,
        dts: u64,
        fragmentation: Fragmentation,
        index: u64,
    ) -> Result<bool> {
        match self.pending.first() {
            None if !sample.sync => Err(Error::NonSyncFragmentStart {
                stream: self.id.0,
                sample: index,
            }),
            None => Ok(true),
            Some(first) => Ok(fragmentation == Fragmentation::Automatic
                && sample.sync
                && dts >= self.next_boundary
                && dts > first.dts),
        }
    }

    /// The payload as it will be stored (the codec may rewrite its framing), checked
    /// against caller ranges and, when encrypting, the subsample map it will get.
    fn prepare_payload(
        &mut self,
        given: Bytes,
        sync: bool,
        ranges: Option<&[(u32, u32)]>,
        index: u64,
    ) -> Result<Bytes> {
        let stream = self.id.0;
        let invalid = |reason: String| Error::InvalidSample {
            stream,
            sample: index,
            reason,
        };
        let given_len = given.len();
        let data = self
            .config
            .codec
            .prepare_sample(given, sync)
            .map_err(|e| invalid(e.to_string()))?;
        if data.len() > MAX_SAMPLE_SIZE {
            return Err(Error::SampleTooLarge {
                stream,
                sample: index,
                size: data.len(),
                limit: MAX_SAMPLE_SIZE,
            });
        }
        if let Some(ranges) = ranges {
            if data.len() != given_len {
                return Err(invalid(
                    "protected ranges need 4-byte NAL lengths or start codes: the payload's \
                     framing was rewritten, so its offsets would no longer match"
                        .into(),
                ));
            }
            let mut check = Vec::new();
            range_subsamples(data.len(), ranges, &mut check).map_err(|e| invalid(e.to_string()))?;
        }
        let nal_aware = matches!(self.config.codec, Codec::Avc(_));
        if let Some(enc) = self.encryption.as_mut() {
            enc.check(&data, ranges, nal_aware)
                .map_err(|e| invalid(e.to_string()))?;
        }
        Ok(data)
    }

    /// Whether this stream's payloads may stay in their files: they must need no change
    /// (no framing rewrite, no inspection, no encryption), so the muxer never needs the
    /// bytes.
    pub(crate) fn takes_file_payloads(&self) -> bool {
        self.encryption.is_none() && self.stores_as_given()
    }

    /// A sealer for this stream's samples, when it is protected and stores payloads as
    /// given (a sealed payload is not prepared again).
    pub(crate) fn sample_sealer(&self) -> Option<SampleSealer> {
        let nal_aware = matches!(self.config.codec, Codec::Avc(_));
        self.encryption
            .as_ref()
            .filter(|_| self.stores_as_given())
            .map(|enc| enc.sealer(nal_aware))
    }

    /// Whether payloads are stored as given: no framing rewrite, nothing kept inline.
    fn stores_as_given(&self) -> bool {
        !self.config.manifest_output && self.config.codec.passes_through()
    }

    /// Refuses a sealed payload this stream cannot take as it is: not protected, stored
    /// otherwise than as given, with caller ranges or left in a file, or sealed as
    /// another sample than `index`.
    fn check_sealed(&self, sealed: &Sealed, other_form: bool, index: u64) -> Result<()> {
        let invalid = |reason: String| Error::InvalidSample {
            stream: self.id.0,
            sample: index,
            reason,
        };
        let enc = self
            .encryption
            .as_ref()
            .filter(|_| self.stores_as_given() && !other_form)
            .ok_or_else(|| {
                invalid(
                    "a sealed payload needs a protected stream that stores payloads as given, \
                     in memory and without protected ranges"
                        .into(),
                )
            })?;
        enc.check_sealed(sealed, index)
            .map_err(|e| invalid(e.to_string()))
    }

    /// Refuses a payload left in a file where this stream needs the bytes.
    fn check_file_payload(&self, ranges: bool, index: u64) -> Result<()> {
        if self.takes_file_payloads() && !ranges {
            return Ok(());
        }
        Err(Error::InvalidSample {
            stream: self.id.0,
            sample: index,
            reason: "this stream needs its payloads' bytes (framing to rewrite or check, \
                     encryption, or inline samples): give them in memory, not as a file range"
                .into(),
        })
    }

    /// Starts a fragment at `dts`: the grid point after which a sync sample closes it.
    fn open_fragment(&mut self, dts: u64, fragment_duration: u64) {
        let origin = *self.first_dts.get_or_insert(dts);
        let steps = (dts.saturating_sub(origin) / fragment_duration.max(1)).saturating_add(1);
        self.next_boundary = origin.saturating_add(steps.saturating_mul(fragment_duration));
    }

    /// Closes the open fragment. `end` (presentation ticks) is where it ends: the next
    /// sample's decode time, or a caller-given end time; without it the last sample's own
    /// duration is used, or the one before it.
    pub(crate) fn close(&mut self, end: Option<u64>) -> Result<Fragment> {
        let Some(time) = self.pending.first().map(|p| p.dts) else {
            return Err(Error::InvalidState(format!(
                "stream {}: no samples to put in a fragment",
                self.id.0
            )));
        };
        self.fill_rows(end)?;
        let duration: u64 = self.rows.iter().map(|r| u64::from(r.duration)).sum();
        let encrypted = self.encrypt_pending()?;
        self.sequence = self.sequence.wrapping_add(1);
        let header = self.fragment_header(time, duration);
        if self.config.manifest_output {
            self.keep_inline_payloads();
        }
        let mut chunks = Vec::with_capacity(self.pending.len() + 1);
        chunks.push(Chunk::Memory(header));
        for sample in self.pending.drain(..) {
            self.payload_bytes += sample.len();
            if encrypted.is_none() {
                if sample.pieces.is_empty() {
                    chunks.push(Chunk::Memory(sample.data));
                } else {
                    chunks.extend(sample.pieces);
                }
            }
        }
        chunks.extend(encrypted.map(Chunk::Memory));
        self.fragments.push(FragmentTime { time, duration });
        Ok(Fragment {
            stream: self.id,
            sequence_number: self.sequence,
            time,
            duration,
            chunks,
        })
    }

    /// Index of the open fragment's first sample in the stream, for messages.
    fn first_pending_index(&self) -> u64 {
        self.samples_seen.saturating_sub(self.pending.len() as u64)
    }

    /// The trun rows of the open fragment: each sample lasts until the next one's decode
    /// time, the last one until `end`, its own duration, or as long as the one before.
    fn fill_rows(&mut self, end: Option<u64>) -> Result<()> {
        let stream = self.id.0;
        let first_index = self.first_pending_index();
        self.rows.clear();
        let next_times = self.pending.iter().skip(1).map(|n| Some(n.dts));
        for (i, (sample, next_dts)) in self
            .pending
            .iter()
            .zip(next_times.chain(std::iter::once(None)))
            .enumerate()
        {
            let index = first_index + i as u64;
            let duration = match (next_dts, end, sample.duration_hint) {
                (Some(next), _, _) => next.saturating_sub(sample.dts),
                (None, Some(end), _) => end.checked_sub(sample.dts).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "stream {stream}: fragment end {end} is before its last sample at {}",
                        sample.dts
                    ))
                })?,
                (None, None, Some(hint)) => hint,
                (None, None, None) => match self.rows.last() {
                    Some(previous) => u64::from(previous.duration),
                    None => {
                        return Err(Error::MissingDuration {
                            stream,
                            sample: index,
                        });
                    }
                },
            };
            let duration = u32::try_from(duration).map_err(|_| Error::TimestampOverflow {
                stream,
                sample: index,
                detail: "sample duration over 32 bits".into(),
            })?;
            self.rows.push(FragmentSample {
                duration,
                size: u32::try_from(sample.len()).unwrap_or(u32::MAX),
                sync: sample.sync,
                cts_offset: sample.cts_offset,
            });
        }
        Ok(())
    }

    /// Encrypts the open fragment's payloads for a protected stream: in place (None:
    /// the pending payloads are now encrypted), or into one new buffer, returned.
    fn encrypt_pending(&mut self) -> Result<Option<Bytes>> {
        let nal_aware = matches!(self.config.codec, Codec::Avc(_));
        let first_index = self.first_pending_index();
        match self.encryption.as_mut() {
            Some(enc) => {
                encrypt_fragment(enc, &mut self.pending, nal_aware, self.id.0, first_index)
            }
            None => Ok(None),
        }
    }

    /// The moof and mdat header of the open fragment.
    fn fragment_header(&self, time: u64, duration: u64) -> Bytes {
        let mut w = BoxWriter::with_capacity(256 + 16 * self.pending.len());
        write_fragment_header(
            &mut w,
            &FragmentHeader {
                sequence: self.sequence,
                track_id: self.id.track_id(),
                kind: handler_kind(&self.config.codec),
                time,
                duration,
            },
            &self.rows,
            |w, moof_start| {
                if let Some(enc) = &self.encryption {
                    enc.write_box(w, moof_start);
                }
            },
        );
        Bytes::from(w.into_vec())
    }

    /// Keeps the fragment's payloads for a sparse stream whose samples the client
    /// manifest carries inline.
    /// Nothing is kept when the muxer keeps no index: no manifest will be written.
    fn keep_inline_payloads(&mut self) {
        if self.fragments.is_bounded() {
            return;
        }
        let mut inline = Vec::new();
        for sample in &self.pending {
            inline.extend_from_slice(&sample.data);
        }
        self.inline_fragments.push(inline);
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}
