//! Sample encryption of a protected stream: the encryptor and, per fragment, the IVs and
//! subsample maps its sample encryption box lists.

use bytes::{Bytes, BytesMut};

use super::stream::Pending;
use crate::drm::subsample::{avc_subsamples, range_subsamples};
use crate::drm::{SampleEncryptor, Subsample};
use crate::error::{Error, Result};
use crate::isobmff::boxes::{SencSample, write_sample_encryption};
use crate::isobmff::writer::BoxWriter;

/// What encrypting one sample ahead recorded: its IV and its subsample map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    iv: [u8; 8],
    /// Empty when the sample is encrypted whole.
    map: Vec<Subsample>,
}

/// A protected stream's sample encryption, detached from the muxer so that its samples
/// can be encrypted ahead, on another thread (the one that reads them), while the muxer
/// writes earlier ones. Sample `index` of the stream (0 for its first) gets the IV the
/// muxer would give it; the muxer checks it when the sample arrives
/// ([`crate::Sample::sealed`]). Holds the expanded key, wiped when dropped.
#[derive(Debug, Clone)]
pub struct SampleSealer {
    encryptor: SampleEncryptor,
    /// The IV of the stream's first sample, as a big-endian u64.
    first_iv: u64,
    nal_aware: bool,
}

impl SampleSealer {
    /// Encrypts `payload`, the stream's sample number `index` as the muxer will store it,
    /// in place (H.264: NAL-aware subsamples; otherwise whole).
    ///
    /// # Errors
    /// When an H.264 payload's NAL units cannot be mapped; `payload` is untouched then.
    pub fn seal(&self, index: u64, payload: &mut [u8]) -> Result<Sealed> {
        let mut map = Vec::new();
        subsample_map(payload, None, self.nal_aware, self.nal_aware, &mut map)?;
        let iv = iv_of(self.first_iv, index);
        self.encryptor.encrypt_at(iv, payload, &map)?;
        Ok(Sealed { iv, map })
    }
}

/// The IV of sample `index` of a stream whose first sample has `first_iv`: one more per
/// sample, as the encryptor takes them.
fn iv_of(first_iv: u64, index: u64) -> [u8; 8] {
    first_iv.wrapping_add(index).to_be_bytes()
}

/// Encryption state of a protected stream.
#[derive(Debug)]
pub(crate) struct StreamEncryption {
    encryptor: SampleEncryptor,
    /// The IV of the stream's first sample, as a big-endian u64.
    first_iv: u64,
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
            first_iv,
            cenc,
            map: Vec::new(),
            entries: Vec::new(),
            samples: Vec::new(),
            spare: None,
        }
    }
}

impl StreamEncryption {
    /// A sealer for this stream's samples.
    pub(crate) fn sealer(&self, nal_aware: bool) -> SampleSealer {
        SampleSealer {
            encryptor: self.encryptor.clone(),
            first_iv: self.first_iv,
            nal_aware,
        }
    }

    /// Refuses a sealed sample unless it was sealed as sample `index` of this stream.
    pub(crate) fn check_sealed(&self, sealed: &Sealed, index: u64) -> Result<()> {
        let expected = iv_of(self.first_iv, index);
        if sealed.iv == expected {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "encrypted ahead with IV {:016x}, but as sample {index} it gets {:016x}: samples \
             sealed ahead must all be pushed, in order",
            u64::from_be_bytes(sealed.iv),
            u64::from_be_bytes(expected)
        )))
    }

    /// Checks, when a sample arrives, that its payload can be mapped into subsamples
    /// (H.264 NAL units, or the caller's ranges): the map is made again when the fragment
    /// closes, and a payload it cannot map must be refused now rather than leave the
    /// fragment unclosable.
    pub(crate) fn check(
        &mut self,
        data: &[u8],
        ranges: Option<&[(u32, u32)]>,
        nal_aware: bool,
    ) -> Result<()> {
        self.map.clear();
        match ranges {
            Some(ranges) => range_subsamples(data.len(), ranges, &mut self.map),
            None if nal_aware => avc_subsamples(data, &mut self.map),
            None => Ok(()),
        }
    }

    /// Writes the sample encryption box of the fragment last encrypted.
    pub(crate) fn write_box(&self, w: &mut BoxWriter, moof_start: usize) {
        let samples: Vec<SencSample<'_>> = self
            .samples
            .iter()
            .map(|(iv, range)| SencSample {
                iv: *iv,
                subsamples: self.entries.get(range.clone()).unwrap_or_default(),
            })
            .collect();
        let with_subsamples = !self.entries.is_empty();
        write_sample_encryption(w, moof_start, &samples, with_subsamples, self.cenc);
    }
}

/// Encrypts the open fragment's samples and records each sample's IV and subsample map
/// in `enc` for the sample encryption box. H.264 gets NAL-aware subsamples; audio is
/// encrypted whole; caller ranges replace either. When any sample of the fragment has a
/// map, every sample gets one, as the box's flags apply to all of them.
///
/// When every payload's buffer is owned by the fragment alone, the payloads are
/// encrypted where they are and `None` is returned: no second buffer, no copy. Otherwise
/// (a caller still holds a payload, or it is a slice of a shared read buffer) they are
/// encrypted into one new buffer, returned, and the caller's bytes stay untouched.
pub(crate) fn encrypt_fragment(
    enc: &mut StreamEncryption,
    pending: &mut [Pending],
    nal_aware: bool,
    stream: usize,
    first_index: u64,
) -> Result<Option<Bytes>> {
    let with_subsamples = nal_aware || pending.iter().any(|s| s.protected_ranges.is_some());
    enc.entries.clear();
    enc.samples.clear();
    let failed = |i: usize, e: Error| Error::InvalidSample {
        stream,
        sample: first_index + i as u64,
        reason: e.to_string(),
    };
    if pending.iter().all(|s| s.data.is_unique()) {
        for (i, sample) in pending.iter_mut().enumerate() {
            let mut owned = match std::mem::take(&mut sample.data).try_into_mut() {
                Ok(owned) => owned,
                // Unique a moment ago; should it not be, the copy keeps it correct.
                Err(shared) => BytesMut::from(shared.as_ref()),
            };
            let ranges = sample.protected_ranges.as_deref();
            let sealed = sample.sealed.as_ref();
            let result =
                encrypt_sample(enc, &mut owned, ranges, sealed, nal_aware, with_subsamples);
            sample.data = owned.freeze();
            result.map_err(|e| failed(i, e))?;
        }
        return Ok(None);
    }
    let total: usize = pending.iter().map(|s| s.data.len()).sum();
    let mut out = match enc.spare.take().map(Bytes::try_into_mut) {
        Some(Ok(mut reused)) => {
            reused.clear();
            reused
        }
        _ => BytesMut::new(),
    };
    out.reserve(total);
    for (i, sample) in pending.iter().enumerate() {
        let start = out.len();
        out.extend_from_slice(&sample.data);
        let Some(payload) = out.get_mut(start..) else {
            continue;
        };
        let ranges = sample.protected_ranges.as_deref();
        let sealed = sample.sealed.as_ref();
        encrypt_sample(enc, payload, ranges, sealed, nal_aware, with_subsamples)
            .map_err(|e| failed(i, e))?;
    }
    let payload = out.freeze();
    enc.spare = Some(payload.clone());
    Ok(Some(payload))
}

/// Encrypts one payload in place (unless it was `sealed` ahead: then only its IV is
/// taken) and records its IV and subsample entries.
fn encrypt_sample(
    enc: &mut StreamEncryption,
    payload: &mut [u8],
    ranges: Option<&[(u32, u32)]>,
    sealed: Option<&Sealed>,
    nal_aware: bool,
    with_subsamples: bool,
) -> Result<()> {
    enc.map.clear();
    let iv = match sealed {
        Some(sealed) => {
            enc.map.extend_from_slice(&sealed.map);
            whole_if_none(&mut enc.map, payload.len(), with_subsamples);
            enc.encryptor.skip()
        }
        None => {
            subsample_map(payload, ranges, nal_aware, with_subsamples, &mut enc.map)?;
            if enc.map.is_empty() {
                enc.encryptor.encrypt_whole(payload)
            } else {
                enc.encryptor.encrypt_subsamples(payload, &enc.map)?
            }
        }
    };
    let first = enc.entries.len();
    enc.entries
        .extend(enc.map.iter().map(|s| (s.clear, s.encrypted)));
    enc.samples.push((iv, first..enc.entries.len()));
    Ok(())
}

/// The subsample map of `payload` into `map`: the caller's ranges, else H.264 NAL units
/// when `nal_aware`, else none (encrypted whole) unless the fragment needs a map for
/// every sample (`with_subsamples`): then one encrypted range.
fn subsample_map(
    payload: &[u8],
    ranges: Option<&[(u32, u32)]>,
    nal_aware: bool,
    with_subsamples: bool,
    map: &mut Vec<Subsample>,
) -> Result<()> {
    match ranges {
        Some(ranges) => range_subsamples(payload.len(), ranges, map),
        None if nal_aware => avc_subsamples(payload, map),
        None => Ok(()),
    }?;
    whole_if_none(map, payload.len(), with_subsamples);
    Ok(())
}

/// Gives a payload without a map one encrypted range when the fragment needs a map for
/// every sample (encrypting it whole or as that range gives the same bytes).
fn whole_if_none(map: &mut Vec<Subsample>, len: usize, with_subsamples: bool) {
    if with_subsamples && map.is_empty() {
        map.push(Subsample {
            clear: 0,
            encrypted: u32::try_from(len).unwrap_or(u32::MAX),
        });
    }
}
