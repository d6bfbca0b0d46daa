//! What kind of file an input is: from its extension, else from its first bytes.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The kinds of file the input layer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// Raw H.264 Annex B elementary stream (`.h264`).
    H264,
    /// AAC in ADTS frames (`.aac`).
    Aac,
    /// ISO BMFF / QuickTime file with H.264 and/or AAC tracks (`.mp4`).
    Mp4,
    /// VC-1 Advanced Profile elementary stream (`.vc1`).
    Vc1,
    /// ASF file with a WMA stream (`.wma`).
    Wma,
    /// TTML (DFXP) captions (`.ttml`).
    Ttml,
}

/// Bytes read to sniff a file whose extension says nothing.
const HEAD: usize = 12;

impl InputKind {
    /// The kind its extension names, if it names one.
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        Some(match ext.as_str() {
            "h264" | "264" | "avc" | "jsv" | "h26l" => InputKind::H264,
            "aac" | "adts" => InputKind::Aac,
            "mp4" | "m4v" | "m4a" | "mov" | "ismv" | "isma" | "cmfv" | "cmfa" => InputKind::Mp4,
            "vc1" | "vc-1" | "rcv" => InputKind::Vc1,
            "wma" | "asf" | "wmv" => InputKind::Wma,
            "ttml" | "dfxp" | "xml" => InputKind::Ttml,
            _ => return None,
        })
    }

    /// The kind a file's first bytes (up to 12) show, if they show one. TTML is only
    /// recognised by its extension (XML could be anything).
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.get(4..8) == Some(b"ftyp") {
            Some(InputKind::Mp4)
        } else if head.starts_with(&[0, 0, 1, 0x0F]) || super::vc1::is_rcv(head) {
            // RCV (Simple/Main) is taken as VC-1 so the reader can say why it is refused.
            Some(InputKind::Vc1)
        } else if head.starts_with(&[0, 0, 1]) || head.starts_with(&[0, 0, 0, 1]) {
            Some(InputKind::H264)
        } else if head.starts_with(&[0x30, 0x26, 0xB2, 0x75]) {
            Some(InputKind::Wma)
        } else if matches!(head, [0xFF, second, ..] if second & 0xF6 == 0xF0) {
            Some(InputKind::Aac)
        } else {
            None
        }
    }

    /// The kind of the file at `path`: from its extension, else sniffed from its first
    /// bytes (so a file named by its extension is never opened here: it may be a pipe).
    pub fn probe(path: &Path) -> Result<Self> {
        if let Some(kind) = Self::from_extension(path) {
            return Ok(kind);
        }
        let mut head = [0u8; HEAD];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|source| Error::Io {
                op: "read",
                path: path.to_path_buf(),
                source,
            })?;
        Self::sniff(head.get(..n).unwrap_or_default()).ok_or_else(|| {
            Error::input(
                path.display().to_string(),
                "not a raw H.264 (.h264), ADTS (.aac), MP4 (.mp4), VC-1 (.vc1), ASF (.wma) or \
                 TTML (.ttml) file",
            )
        })
    }

    /// What the kind is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::H264 => "raw H.264",
            InputKind::Aac => "ADTS AAC",
            InputKind::Mp4 => "MP4",
            InputKind::Vc1 => "VC-1",
            InputKind::Wma => "WMA (ASF)",
            InputKind::Ttml => "TTML",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_first_bytes_tell_the_kind() {
        let ext = |p: &str| InputKind::from_extension(Path::new(p));
        assert_eq!(ext("a/b.H264"), Some(InputKind::H264));
        assert_eq!(ext("b.m4a"), Some(InputKind::Mp4));
        assert_eq!(ext("b.dfxp"), Some(InputKind::Ttml));
        assert_eq!(ext("b.bin"), None);
        assert_eq!(ext("b"), None);
        let sniff = InputKind::sniff;
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(InputKind::Mp4));
        assert_eq!(sniff(&[0, 0, 1, 0x0F, 0xCB]), Some(InputKind::Vc1));
        assert_eq!(sniff(&[0, 0, 0, 1, 0x67]), Some(InputKind::H264));
        assert_eq!(sniff(&[0x30, 0x26, 0xB2, 0x75, 0x8E]), Some(InputKind::Wma));
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50]), Some(InputKind::Aac));
        assert_eq!(sniff(&[0xFF]), None);
        assert_eq!(sniff(b"<tt"), None);
    }
}
