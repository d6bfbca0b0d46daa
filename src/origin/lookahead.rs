//! The `tfrf` look-ahead box an origin adds to the live fragments it serves (format.md
//! §2.6.4, §6.8; live-ingest.md §7: "the server, not the encoder, builds … `tfrf`
//! look-ahead").
//!
//! Players need it: dash.js raises `MSS_NO_TFRF` on a live fragment without one and
//! grows its timeline from the first entry (it never re-reads a live manifest), and
//! GStreamer's `mssdemux` builds its live fragment list from it. So every live fragment
//! is served with a `tfrf` listing the fragments known to follow it, up to the
//! look-ahead count — possibly none yet, which players accept (dash.js returns early on
//! an empty list and learns the next time from the next fragment).
//!
//! The box goes last in the `traf` (the order of the real IIS fragment in dash.js's test
//! data: tfhd, trun, tfxd, tfrf). The `moof` grows by its size, so `trun.data_offset`
//! (relative to the `moof`) grows by the same amount; the `mdat` is sent as received.

use bytes::Bytes;

use crate::isobmff::reader::{self, BoxRef, Tfhd, Trun};
use crate::isobmff::uuids::TFRF_UUID;

/// The fragment (`moof` of `moof_len` bytes, then its `mdat`) with a version 1 `tfrf`
/// listing `next` (time, duration) in its `traf`, as the chunks to send: the `moof`,
/// then the `mdat` as received.
pub(crate) fn with_tfrf(data: &Bytes, moof_len: usize, next: &[(u64, u64)]) -> Vec<Bytes> {
    let mdat = data.slice(moof_len.min(data.len())..);
    vec![moof_with_tfrf(data, moof_len, next), mdat]
}

/// The `moof` alone with the `tfrf` added (a FragmentInfo answer). A fragment this cannot
/// rewrite safely (64-bit box sizes, several `traf`s, a `tfrf` already there) keeps its
/// `moof` as received.
pub(crate) fn moof_with_tfrf(data: &Bytes, moof_len: usize, next: &[(u64, u64)]) -> Bytes {
    match rewrite(data, moof_len, next) {
        Some(moof) => Bytes::from(moof),
        None => data.slice(..moof_len.min(data.len())),
    }
}

/// The rewritten `moof`, or None to send the fragment unchanged.
fn rewrite(data: &[u8], moof_len: usize, next: &[(u64, u64)]) -> Option<Vec<u8>> {
    let count = u8::try_from(next.len()).ok()?;
    let tfrf = tfrf_box(count, next);
    let added = u32::try_from(tfrf.len()).ok()?;
    let moof = reader::boxes(data.get(..moof_len)?).next()?.ok()?;
    if !moof.is(b"moof") || moof.header_len != 8 {
        return None;
    }
    let trafs = moof.find_all("traf").ok()?;
    let [traf] = trafs.as_slice() else {
        return None;
    };
    if traf.header_len != 8 || traf.find_uuid(&TFRF_UUID).ok()?.is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(moof_len + tfrf.len());
    out.extend_from_slice(&grown_size(&moof, added)?);
    out.extend_from_slice(b"moof");
    for child in moof.children() {
        let child = child.ok()?;
        if child.is(b"traf") {
            write_traf(&mut out, &child, &tfrf, added)?;
        } else {
            out.extend_from_slice(child.data);
        }
    }
    Some(out)
}

/// The `traf` with `tfrf` appended and its `trun` data offsets moved past it.
fn write_traf(out: &mut Vec<u8>, traf: &BoxRef<'_>, tfrf: &[u8], added: u32) -> Option<()> {
    out.extend_from_slice(&grown_size(traf, added)?);
    out.extend_from_slice(b"traf");
    let mut base_offset = false;
    for child in traf.children() {
        let child = child.ok()?;
        if child.is(b"tfhd") {
            base_offset = Tfhd::parse(&child).ok()?.base_data_offset.is_some();
        }
        if child.is(b"trun") && !base_offset {
            let trun = Trun::parse(&child).ok()?;
            let mut bytes = child.data.to_vec();
            if let Some(offset) = trun.data_offset {
                // data_offset follows the box header, version/flags and sample_count.
                let moved = offset.checked_add(i32::try_from(added).ok()?)?;
                bytes.get_mut(16..20)?.copy_from_slice(&moved.to_be_bytes());
            }
            out.extend_from_slice(&bytes);
        } else {
            out.extend_from_slice(child.data);
        }
    }
    out.extend_from_slice(tfrf);
    Some(())
}

/// A box's 32-bit size field grown by `added`.
fn grown_size(b: &BoxRef<'_>, added: u32) -> Option<[u8; 4]> {
    u32::try_from(b.size())
        .ok()?
        .checked_add(added)
        .map(u32::to_be_bytes)
}

/// `uuid` tfrf, version 1: a one-byte count, then 64-bit time and duration per entry.
fn tfrf_box(count: u8, next: &[(u64, u64)]) -> Vec<u8> {
    let size = 29 + 16 * next.len();
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_be_bytes());
    b.extend_from_slice(b"uuid");
    b.extend_from_slice(&TFRF_UUID);
    b.extend_from_slice(&[1, 0, 0, 0, count]);
    for (time, duration) in next {
        b.extend_from_slice(&time.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isobmff::reader::Tfrf;
    use crate::origin::testing::aac_stream;

    #[test]
    fn the_look_ahead_is_added_and_the_samples_still_found() {
        let s = aac_stream("audio", 96_000, 1);
        let data = s.fragments[0].clone();
        let moof_len = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
        let next = [(100, 10), (110, 10)];
        let chunks = with_tfrf(&data, moof_len, &next);
        let served: Vec<u8> = chunks.concat();
        assert_eq!(served.len(), data.len() + 29 + 32);
        let moof = reader::boxes(&served).next().unwrap().unwrap();
        let traf = moof.find("traf").unwrap().unwrap();
        let tfrf = Tfrf::parse(&traf.find_uuid(&TFRF_UUID).unwrap().unwrap()).unwrap();
        assert_eq!(tfrf.entries, next);
        let trun = Trun::parse(&traf.find("trun").unwrap().unwrap()).unwrap();
        let first = trun.data_offset.unwrap() as usize;
        let mdat = reader::boxes(&served).nth(1).unwrap().unwrap();
        assert!(mdat.is(b"mdat"));
        assert_eq!(
            first,
            moof.size() as usize + 8,
            "data offset points at the first sample"
        );
        assert_eq!(&served[first..], &data[moof_len + 8..]);
        // With no look-ahead yet, an empty tfrf; a second rewrite is refused.
        let empty: Vec<u8> = with_tfrf(&data, moof_len, &[]).concat();
        assert_eq!(empty.len(), data.len() + 29);
        let again = with_tfrf(&Bytes::from(served.clone()), moof.size() as usize, &next);
        assert_eq!(again.concat(), served);
    }
}
