//! `mfra`: the on-demand index (one `tfra` v1 per track, then `mfro`), format.md §2.8.

use crate::isobmff::writer::BoxWriter;

/// The fragments of one track as the index lists them.
#[derive(Debug, Clone, Copy)]
pub struct TrackIndex<'a> {
    /// track_ID inside the file.
    pub track_id: u32,
    /// `(fragment time, absolute file offset of its moof)`, in file order.
    pub entries: &'a [(u64, u64)],
}

/// Writes `mfra` with one `tfra` per track and the closing `mfro`.
pub fn write_mfra(w: &mut BoxWriter, tracks: &[TrackIndex<'_>]) {
    let start = w.len();
    w.boxed(b"mfra", |w| {
        for track in tracks {
            w.full_box(b"tfra", 1, 0, |w| {
                w.u32(track.track_id);
                // length_size_of_traf_num/trun_num/sample_num = 0: one byte each.
                w.u32(0);
                w.u32(u32::try_from(track.entries.len()).unwrap_or(u32::MAX));
                for &(time, offset) in track.entries {
                    w.u64(time);
                    w.u64(offset);
                    w.bytes(&[1, 1, 1]);
                }
            });
        }
        // mfro holds the size of the whole mfra, itself included (16 bytes).
        let size = w.len() - start + 16;
        w.full_box(b"mfro", 0, 0, |w| {
            w.u32(u32::try_from(size).unwrap_or(u32::MAX))
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_bytes() {
        let mut w = BoxWriter::new();
        let entries = [(0, 1234), (20_000_000, 56789)];
        write_mfra(
            &mut w,
            &[TrackIndex {
                track_id: 1,
                entries: &entries,
            }],
        );
        let b = w.as_slice();
        assert_eq!(b.len(), 86);
        assert_eq!(
            hex::encode(&b[8..70]),
            "0000003e7466726101000000000000010000000000000002000000000000000000000000000004d20101010000000001312d00000000000000ddd5010101"
        );
        assert_eq!(hex::encode(&b[70..]), "000000106d66726f0000000000000056");
    }
}
