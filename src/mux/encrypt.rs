//! Sample encryption of a protected stream: the encryptor and, per fragment, the IVs and
//! subsample maps its sample encryption box lists.

use bytes::{Bytes, BytesMut};

use super::stream::Pending;
use crate::drm::subsample::{avc_subsamples, range_subsamples};
use crate::drm::{SampleEncryptor, Subsample};
use crate::error::{Error, Result};
use crate::isobmff::boxes::{SencSample, write_sample_encryption};
use crate::isobmff::writer::BoxWriter;

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

impl StreamEncryption {
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
            let result = encrypt_sample(enc, &mut owned, ranges, nal_aware, with_subsamples);
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
        encrypt_sample(enc, payload, ranges, nal_aware, with_subsamples)
            .map_err(|e| failed(i, e))?;
    }
    let payload = out.freeze();
    enc.spare = Some(payload.clone());
    Ok(Some(payload))
}

/// Encrypts one payload in place and records its IV and subsample entries.
fn encrypt_sample(
    enc: &mut StreamEncryption,
    payload: &mut [u8],
    ranges: Option<&[(u32, u32)]>,
    nal_aware: bool,
    with_subsamples: bool,
) -> Result<()> {
    enc.map.clear();
    match ranges {
        Some(ranges) => range_subsamples(payload.len(), ranges, &mut enc.map),
        None if nal_aware => avc_subsamples(payload, &mut enc.map),
        None => Ok(()),
    }?;
    if with_subsamples && enc.map.is_empty() {
        enc.map.push(Subsample {
            clear: 0,
            encrypted: u32::try_from(payload.len()).unwrap_or(u32::MAX),
        });
    }
    let iv = if enc.map.is_empty() {
        enc.encryptor.encrypt_whole(payload)
    } else {
        enc.encryptor.encrypt_subsamples(payload, &enc.map)?
    };
    let first = enc.entries.len();
    enc.entries
        .extend(enc.map.iter().map(|s| (s.clear, s.encrypted)));
    enc.samples.push((iv, first..enc.entries.len()));
    Ok(())
}
