//! Per-stream state: the open fragment's samples, the fragment boundaries so far, and
//! the conversion of caller timestamps to presentation time.

use bytes::{Bytes, BytesMut};

use super::config::{Fragmentation, StreamConfig};
use super::fragment::Fragment;
use super::handler_kind;
use super::sample::Sample;
use super::timescale::rescale;
use super::{MAX_SAMPLE_SIZE, StreamId};
use crate::codec::Codec;
use crate::drm::subsample::{avc_subsamples, range_subsamples};
use crate::drm::{SampleEncryptor, Subsample};
use crate::error::{Error, Result};
use crate::isobmff::boxes::{
    FragmentHeader, FragmentSample, SencSample, write_fragment_header, write_sample_encryption,
};
use crate::isobmff::writer::BoxWriter;
use crate::manifest::FragmentTime;

/// A sample of the open fragment, in presentation ticks.
#[derive(Debug)]
struct Pending {
    data: Bytes,
    dts: u64,
    cts_offset: u32,
    /// Duration the caller gave, converted; used only when no later sample follows.
    duration_hint: Option<u64>,
    sync: bool,
    /// Caller-chosen encrypted ranges, already checked against the payload.
    protected_ranges: Option<Vec<(u32, u32)>>,
}

/// Encryption state of a protected stream.
#[derive(Debug)]
pub(crate) struct StreamEncryption {
    encryptor: SampleEncryptor,
    cenc: bool,
    /// Scratch for one sample's subsample map.
    map: Vec<Subsample>,
    /// The open fragment's `(clear, encrypted)` entries, all samples back to back.
    entries: Vec<(u16, u32)>,
    /// Per sample of the open fragment: its IV and its slice of `entries`.
    samples: Vec<([u8; 8], std::ops::Range<usize>)>,
    /// The previous fragment's encrypted payload. Once the sink has written and dropped
    /// it, its buffer is reused: fresh memory for every fragment would cost a page fault
    /// per 4 KiB of output.
    spare: Option<Bytes>,
}

impl StreamEncryption {
    pub(crate) fn new(key: &[u8; 16], first_iv: u64, cenc: bool) -> Self {
        Self {
            encryptor: SampleEncryptor::new(key, first_iv),
            cenc,
            map: Vec::new(),
            entries: Vec::new(),
            samples: Vec::new(),
            spare: None,
        }
    }
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
    pub(crate) fragments: Vec<FragmentTime>,
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
            fragments: Vec::new(),
            payload_bytes: 0,
            inline_fragments: Vec::new(),
            encryption,
        }
    }

    /// End of the last closed fragment, in presentation ticks.
    pub(crate) fn end_time(&self) -> Option<u64> {
        self.fragments.last().map(|f| f.time + f.duration)
    }

    /// Accepts one sample; returns the fragment it closed, if any.
    pub(crate) fn push(
        &mut self,
        sample: Sample,
        fragmentation: Fragmentation,
        fragment_duration: u64,
    ) -> Result<Option<Fragment>> {
        let index = self.samples_seen;
        let stream = self.id.0;
        let size = sample.data.len();
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
        if let Some(previous) = self.last_input_dts
            && sample.dts < previous
        {
            return Err(Error::DecreasingTime {
                stream,
                sample: index,
                dts: sample.dts,
                previous,
            });
        }
        let overflow = |detail: &str| Error::TimestampOverflow {
            stream,
            sample: index,
            detail: detail.to_string(),
        };
        let from = self.config.timescale;
        let dts =
            rescale(sample.dts, from, self.timescale).ok_or_else(|| overflow("decode time"))?;
        let pts_input = sample
            .dts
            .checked_add(sample.cts_offset)
            .ok_or_else(|| overflow("decode time + composition offset"))?;
        let pts = rescale(pts_input, from, self.timescale)
            .ok_or_else(|| overflow("presentation time"))?;
        let cts_offset =
            u32::try_from(pts - dts).map_err(|_| overflow("composition offset over 32 bits"))?;
        let duration_hint = match sample.duration {
            Some(d) => {
                let end = sample
                    .dts
                    .checked_add(d)
                    .and_then(|end| rescale(end, from, self.timescale))
                    .ok_or_else(|| overflow("decode time + duration"))?;
                Some(end - dts)
            }
            None => None,
        };

        // A sample's duration is the distance to the next decode time and must fit the
        // 32 bits of a trun entry; refusing the sample that opens a wider gap keeps the
        // pending fragment closable.
        if let Some(last) = self.pending.last()
            && dts.saturating_sub(last.dts) > u64::from(u32::MAX)
        {
            return Err(overflow("gap to the previous sample over 32 bits of ticks"));
        }
        let starts_fragment = match self.pending.first() {
            None => true,
            Some(first) => {
                fragmentation == Fragmentation::Automatic
                    && sample.sync
                    && dts >= self.next_boundary
                    && dts > first.dts
            }
        };
        if self.pending.is_empty() && !sample.sync {
            return Err(Error::NonSyncFragmentStart {
                stream,
                sample: index,
            });
        }

        let given_len = sample.data.len();
        let data = self
            .config
            .codec
            .prepare_sample(sample.data, sample.sync)
            .map_err(|e| Error::InvalidSample {
                stream,
                sample: index,
                reason: e.to_string(),
            })?;
        if data.len() > MAX_SAMPLE_SIZE {
            return Err(Error::SampleTooLarge {
                stream,
                sample: index,
                size: data.len(),
                limit: MAX_SAMPLE_SIZE,
            });
        }

        if let Some(ranges) = &sample.protected_ranges {
            let invalid = |reason: String| Error::InvalidSample {
                stream,
                sample: index,
                reason,
            };
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

        if let Some(enc) = self.encryption.as_mut()
            && matches!(self.config.codec, Codec::Avc(_))
            && sample.protected_ranges.is_none()
        {
            // The subsample map is made again when the fragment closes; a payload it
            // cannot map must be refused now, not leave the fragment unclosable.
            enc.map.clear();
            avc_subsamples(&data, &mut enc.map).map_err(|e| Error::InvalidSample {
                stream,
                sample: index,
                reason: e.to_string(),
            })?;
        }

        let closed = if starts_fragment && !self.pending.is_empty() {
            Some(self.close(Some(dts))?)
        } else {
            None
        };
        if self.pending.is_empty() {
            let origin = *self.first_dts.get_or_insert(dts);
            // The first grid point after this fragment's start.
            let steps = (dts - origin) / fragment_duration + 1;
            self.next_boundary = origin.saturating_add(steps.saturating_mul(fragment_duration));
        }
        self.pending.push(Pending {
            data,
            dts,
            cts_offset,
            duration_hint,
            sync: sample.sync,
            protected_ranges: sample.protected_ranges,
        });
        self.samples_seen += 1;
        self.last_input_dts = Some(sample.dts);
        Ok(closed)
    }

    /// Closes the open fragment, if any. `end` (presentation ticks) is where it ends: the
    /// next sample's decode time, or a caller-given end time; without it the last sample's
    /// own duration is used, or the one before it.
    pub(crate) fn close(&mut self, end: Option<u64>) -> Result<Fragment> {
        let stream = self.id.0;
        let first_index = self.samples_seen - self.pending.len() as u64;
        let count = self.pending.len();
        let Some(first) = self.pending.first() else {
            return Err(Error::InvalidState(format!(
                "stream {stream}: no samples to put in a fragment"
            )));
        };
        let time = first.dts;
        self.rows.clear();
        for i in 0..count {
            let sample = &self.pending[i];
            let next_dts = self.pending.get(i + 1).map(|n| n.dts);
            let duration = match (next_dts, end, sample.duration_hint) {
                (Some(next), _, _) => next - sample.dts,
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
                            sample: first_index + i as u64,
                        });
                    }
                },
            };
            let duration = u32::try_from(duration).map_err(|_| Error::TimestampOverflow {
                stream,
                sample: first_index + i as u64,
                detail: "sample duration over 32 bits".into(),
            })?;
            self.rows.push(FragmentSample {
                duration,
                size: sample.data.len() as u32,
                sync: sample.sync,
                cts_offset: sample.cts_offset,
            });
        }
        let duration: u64 = self.rows.iter().map(|r| u64::from(r.duration)).sum();
        let kind = handler_kind(&self.config.codec);
        let nal_aware = matches!(self.config.codec, Codec::Avc(_));
        let encrypted = match self.encryption.as_mut() {
            Some(enc) => Some(encrypt_fragment(
                enc,
                &self.pending,
                nal_aware,
                stream,
                first_index,
            )?),
            None => None,
        };
        self.sequence = self.sequence.wrapping_add(1);
        let mut w = BoxWriter::with_capacity(256 + 16 * count);
        write_fragment_header(
            &mut w,
            &FragmentHeader {
                sequence: self.sequence,
                track_id: self.id.track_id(),
                kind,
                time,
                duration,
            },
            &self.rows,
            |w, moof_start| {
                if let Some(enc) = &self.encryption {
                    let samples: Vec<SencSample<'_>> = enc
                        .samples
                        .iter()
                        .map(|(iv, range)| SencSample {
                            iv: *iv,
                            subsamples: enc.entries.get(range.clone()).unwrap_or_default(),
                        })
                        .collect();
                    let with_subsamples = !enc.entries.is_empty();
                    write_sample_encryption(w, moof_start, &samples, with_subsamples, enc.cenc);
                }
            },
        );
        if self.config.manifest_output {
            let mut inline = Vec::new();
            for sample in &self.pending {
                inline.extend_from_slice(&sample.data);
            }
            self.inline_fragments.push(inline);
        }
        let mut chunks = Vec::with_capacity(count + 1);
        chunks.push(Bytes::from(w.into_vec()));
        for sample in self.pending.drain(..) {
            self.payload_bytes += sample.data.len() as u64;
            if encrypted.is_none() {
                chunks.push(sample.data);
            }
        }
        if let Some(payload) = encrypted {
            chunks.push(payload);
        }
        self.fragments.push(FragmentTime { time, duration });
        Ok(Fragment {
            stream: self.id,
            sequence_number: self.sequence,
            time,
            duration,
            chunks,
        })
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// Encrypts the open fragment's samples into one new buffer (the caller's payloads stay
/// untouched) and records each sample's IV and subsample map in `enc` for the sample
/// encryption box. H.264 gets NAL-aware subsamples; audio is encrypted whole; caller
/// ranges replace either. When any sample of the fragment has a map, every sample gets
/// one, as the box's flags apply to all of them.
fn encrypt_fragment(
    enc: &mut StreamEncryption,
    pending: &[Pending],
    nal_aware: bool,
    stream: usize,
    first_index: u64,
) -> Result<Bytes> {
    let total: usize = pending.iter().map(|s| s.data.len()).sum();
    let with_subsamples = nal_aware || pending.iter().any(|s| s.protected_ranges.is_some());
    let mut out = match enc.spare.take().map(Bytes::try_into_mut) {
        Some(Ok(mut reused)) => {
            reused.clear();
            reused
        }
        _ => BytesMut::new(),
    };
    out.reserve(total);
    enc.entries.clear();
    enc.samples.clear();
    for (i, sample) in pending.iter().enumerate() {
        let failed = |e: Error| Error::InvalidSample {
            stream,
            sample: first_index + i as u64,
            reason: e.to_string(),
        };
        let start = out.len();
        out.extend_from_slice(&sample.data);
        let Some(payload) = out.get_mut(start..) else {
            continue;
        };
        enc.map.clear();
        match &sample.protected_ranges {
            Some(ranges) => range_subsamples(payload.len(), ranges, &mut enc.map),
            None if nal_aware => avc_subsamples(payload, &mut enc.map),
            None => Ok(()),
        }
        .map_err(failed)?;
        if with_subsamples && enc.map.is_empty() {
            enc.map.push(Subsample {
                clear: 0,
                encrypted: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            });
        }
        let iv = if enc.map.is_empty() {
            enc.encryptor.encrypt_whole(payload)
        } else {
            enc.encryptor
                .encrypt_subsamples(payload, &enc.map)
                .map_err(failed)?
        };
        let first = enc.entries.len();
        enc.entries
            .extend(enc.map.iter().map(|s| (s.clear, s.encrypted)));
        enc.samples.push((iv, first..enc.entries.len()));
    }
    let payload = out.freeze();
    enc.spare = Some(payload.clone());
    Ok(payload)
}
