//! The encodings a caption file may come in, decoded to the UTF-8 text every sample is
//! cut from: UTF-8 with or without a byte-order mark, and UTF-16 (either byte order) with
//! one, as XML requires of UTF-16. Windows caption tools write both kinds of mark.

use std::borrow::Cow;

use super::WHAT;
use crate::error::{Error, Result};

/// How the file's bytes became the text, to map positions in the text back to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// UTF-8, after a byte-order mark of `bom` bytes (0 or 3).
    Utf8 { bom: usize },
    /// UTF-16 after its 2-byte byte-order mark.
    Utf16,
}

/// A caption file as UTF-8 text without its byte-order mark.
pub(super) struct Decoded<'a> {
    /// The text, borrowed from the file when it was UTF-8.
    pub(super) text: Cow<'a, str>,
    encoding: Encoding,
}

/// Decodes a caption file. Fails on bytes that are not UTF-8 or UTF-16 with a byte-order
/// mark, naming the offset of the first bad byte.
pub(super) fn decode(file: &[u8]) -> Result<Decoded<'_>> {
    let decoded = match file {
        [0xEF, 0xBB, 0xBF, rest @ ..] => Decoded {
            text: Cow::Borrowed(utf8(rest, 3)?),
            encoding: Encoding::Utf8 { bom: 3 },
        },
        [0xFF, 0xFE, rest @ ..] => Decoded {
            text: Cow::Owned(utf16(rest, u16::from_le_bytes)?),
            encoding: Encoding::Utf16,
        },
        [0xFE, 0xFF, rest @ ..] => Decoded {
            text: Cow::Owned(utf16(rest, u16::from_be_bytes)?),
            encoding: Encoding::Utf16,
        },
        _ if looks_like_utf16(file) => {
            let zero = file.iter().position(|&b| b == 0).unwrap_or(0);
            return Err(Error::malformed(
                WHAT,
                zero,
                "UTF-16 without a byte-order mark (XML requires one: add it, or save as UTF-8)",
            ));
        }
        _ => Decoded {
            text: Cow::Borrowed(utf8(file, 0)?),
            encoding: Encoding::Utf8 { bom: 0 },
        },
    };
    // The XML reader silently skips a byte-order mark at the start of its input, which
    // would shift every position the samples are cut at; a second mark is no XML anyway.
    if decoded.text.starts_with('\u{FEFF}') {
        return Err(Error::malformed(
            WHAT,
            decoded.file_offset(0),
            "a second byte-order mark",
        ));
    }
    Ok(decoded)
}

impl Decoded<'_> {
    /// Moves the offset of an error found in the text to the same place in the file.
    pub(super) fn relocate(&self, error: Error) -> Error {
        error.map_offset(|at| self.file_offset(at))
    }

    /// The byte offset in the file of byte `at` of the text (of the character holding
    /// it, if `at` falls inside one).
    fn file_offset(&self, at: usize) -> usize {
        match self.encoding {
            Encoding::Utf8 { bom } => at.saturating_add(bom),
            Encoding::Utf16 => {
                let end = (0..=at.min(self.text.len()))
                    .rev()
                    .find(|&i| self.text.is_char_boundary(i))
                    .unwrap_or(0);
                let units = self
                    .text
                    .get(..end)
                    .unwrap_or_default()
                    .encode_utf16()
                    .count();
                2 + 2 * units
            }
        }
    }
}

/// `bytes` as UTF-8; `skipped` bytes of the file came before them.
fn utf8(bytes: &[u8], skipped: usize) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::malformed(
            WHAT,
            skipped + e.valid_up_to(),
            "not UTF-8 (caption files are read as UTF-8, or as UTF-16 with a byte-order mark)",
        )
    })
}

/// Whether one of the first two bytes is zero, as in `<` encoded in UTF-16 (a zero byte
/// is never part of an XML document in UTF-8).
fn looks_like_utf16(bytes: &[u8]) -> bool {
    matches!(bytes, [0, b, ..] | [b, 0, ..] if *b != 0)
}

/// `bytes` (after the 2-byte mark) as UTF-16 code units made by `unit`, decoded.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String> {
    let (pairs, odd) = bytes.as_chunks::<2>();
    if !odd.is_empty() {
        return Err(Error::malformed(
            WHAT,
            1 + bytes.len(),
            "UTF-16 text with an odd number of bytes",
        ));
    }
    let mut text = String::with_capacity(bytes.len());
    let mut units = 0;
    for c in char::decode_utf16(pairs.iter().map(|&p| unit(p))) {
        let c = c.map_err(|e| {
            let reason = format!("unpaired UTF-16 surrogate {:#06x}", e.unpaired_surrogate());
            Error::malformed(WHAT, 2 + 2 * units, reason)
        })?;
        units += c.len_utf16();
        text.push(c);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_file(text: &str, big_endian: bool) -> Vec<u8> {
        let mut file = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            file.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        file
    }

    fn offset(e: Error) -> usize {
        match e {
            Error::Malformed { offset, .. } => offset,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn each_encoding_decodes_to_the_same_text_and_maps_offsets_back() {
        let text = "<tt>é€𝄞</tt>";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.as_bytes());
        let files = [
            text.as_bytes().to_vec(),
            bom,
            utf16_file(text, false),
            utf16_file(text, true),
        ];
        // The `<` of `</tt>`: after 4 ASCII characters and é € 𝄞 (2 + 3 + 4 UTF-8 bytes,
        // 1 + 1 + 2 UTF-16 units).
        let at = 4 + 2 + 3 + 4;
        for (file, want) in files.iter().zip([at, at + 3, 2 + 16, 2 + 16]) {
            let d = decode(file).unwrap();
            assert_eq!(d.text, text);
            assert_eq!(offset(d.relocate(Error::malformed(WHAT, at, ""))), want);
        }
    }

    #[test]
    fn bad_encodings_name_the_offset() {
        let mut unpaired = utf16_file("<tt>", false);
        unpaired.extend([0x00, 0xD8, b'<', 0]);
        for (file, at, why) in [
            (&b"<tt>\xFF"[..], 4, "not UTF-8"),
            (b"\xEF\xBB\xBF<tt>\xC3", 7, "not UTF-8"),
            (b"<\0t\0t\0", 1, "without a byte-order mark"),
            (b"\0<\0t", 0, "without a byte-order mark"),
            (b"\xFF\xFE<\0t", 4, "odd number"),
            (&unpaired, 10, "unpaired"),
            (
                b"\xEF\xBB\xBF\xEF\xBB\xBF<tt/>",
                3,
                "second byte-order mark",
            ),
            (b"\xFE\xFF\xFE\xFF", 2, "second byte-order mark"),
        ] {
            let e = decode(file).err().unwrap();
            assert!(e.to_string().contains(why), "{e}");
            assert_eq!(offset(e), at, "{file:?}");
        }
    }
}
