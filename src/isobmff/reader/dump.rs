//! A readable tree of a buffer's boxes, for test failure messages and debugging.

use std::fmt::Write as _;

use super::{BoxIter, BoxRef, Mfhd, Tfhd, Tfra, Tfrf, Tfxd, Trun, boxes};
use crate::isobmff::uuids::{
    LIVE_SERVER_MANIFEST_UUID, PIFF_PSSH_UUID, PIFF_SENC_UUID, PIFF_TENC_UUID, TFRF_UUID, TFXD_UUID,
};

/// Deepest nesting printed. Real files stay under 12 levels; the cap keeps a corrupt or
/// hostile buffer from recursing without bound.
const MAX_DEPTH: usize = 32;

/// Prints the box tree of `data`, one box per line, indented by depth:
/// `type size=N @offset` plus a few key fields of fragment boxes. Smooth/PIFF `uuid` boxes
/// are named `tfxd`, `tfrf`, `senc`, `tenc`, `pssh` (others show their UUID in hex).
///
/// It never fails: a structural error is printed as an `!! …` line where it was met and the
/// rest of that level is skipped.
pub fn dump(data: &[u8]) -> String {
    let mut out = String::new();
    dump_level(boxes(data), 0, &mut out);
    out
}

/// Payload bytes before the children of a container type, or `None` for a leaf.
fn children_skip(b: &BoxRef<'_>) -> Option<usize> {
    match &b.box_type {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"dinf" | b"mvex" | b"moof" | b"traf"
        | b"mfra" | b"edts" | b"udta" | b"sinf" | b"schi" => Some(0),
        // FullBox containers: version and flags, then children.
        b"meta" => Some(4),
        // FullBox plus entry_count, then entries.
        b"stsd" | b"dref" => Some(8),
        // VisualSampleEntry fixed fields (ovc1 is opaque and has no children).
        b"avc1" | b"avc3" | b"encv" | b"hvc1" | b"hev1" | b"vc-1" => Some(78),
        // AudioSampleEntry fixed fields (owma is opaque).
        b"mp4a" | b"enca" | b"wma " | b"ec-3" | b"ac-3" => Some(28),
        _ => None,
    }
}

/// The display name: the 4CC, or the Smooth/PIFF short name of a known `uuid` box.
fn display_name(b: &BoxRef<'_>) -> String {
    match b.uuid {
        None => b.type_str(),
        Some(u) => match u {
            TFXD_UUID => "tfxd".into(),
            TFRF_UUID => "tfrf".into(),
            PIFF_SENC_UUID => "senc".into(),
            PIFF_TENC_UUID => "tenc".into(),
            PIFF_PSSH_UUID => "pssh".into(),
            LIVE_SERVER_MANIFEST_UUID => "uuid(live manifest)".into(),
            _ => {
                let hex: String = u.iter().map(|x| format!("{x:02x}")).collect();
                format!("uuid({hex})")
            }
        },
    }
}

/// Key fields of the boxes one usually wants to see in a failing test.
fn details(b: &BoxRef<'_>) -> String {
    let text = match (&b.box_type, b.uuid) {
        (b"mfhd", _) => Mfhd::parse(b).map(|m| format!("seq={}", m.sequence_number)),
        (b"tfhd", _) => {
            Tfhd::parse(b).map(|t| format!("track={} flags={:#08x}", t.track_id, t.flags))
        }
        (b"trun", _) => Trun::parse(b).map(|t| {
            format!(
                "flags={:#08x} samples={} data_offset={:?}",
                t.flags,
                t.samples.len(),
                t.data_offset
            )
        }),
        (b"tfra", _) => {
            Tfra::parse(b).map(|t| format!("track={} entries={}", t.track_id, t.entries.len()))
        }
        (_, Some(TFXD_UUID)) => Tfxd::parse(b).map(|t| format!("t={} d={}", t.time, t.duration)),
        (_, Some(TFRF_UUID)) => Tfrf::parse(b).map(|t| format!("{:?}", t.entries)),
        _ => return String::new(),
    };
    match text {
        Ok(t) => format!(" {t}"),
        Err(e) => format!(" ({e})"),
    }
}

/// Prints one level and recurses into known containers.
fn dump_level(iter: BoxIter<'_>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    for b in iter {
        let b = match b {
            Ok(b) => b,
            Err(e) => {
                let _ = writeln!(out, "{indent}!! {e}");
                return;
            }
        };
        let _ = writeln!(
            out,
            "{indent}{} size={} @{}{}",
            display_name(&b),
            b.size(),
            b.offset,
            details(&b)
        );
        if let Some(skip) = children_skip(&b)
            && depth < MAX_DEPTH
        {
            dump_level(b.children_at(skip), depth + 1, out);
        }
    }
}
