//! PlayReady key IDs and their two byte orders.
//!
//! A KID is one 128-bit value with two binary spellings (format §8.4):
//!
//! - the *big-endian* (canonical text) order used in boxes: `tenc`, PIFF `tenc`, the CENC
//!   `pssh` v1 KID list;
//! - the *Windows GUID* in-memory order (Data1, Data2 and Data3 byte-reversed, the last
//!   8 bytes unchanged) used by the WRMHEADER `<KID>`, the CHECKSUM input, the key-seed
//!   derivation and the SDK's `PLAYREADY_KEY_ID` option (a C `GUID` struct).
//!
//! [`Kid`] stores the canonical order only, so the two cannot be mixed up: every
//! conversion to or from the GUID order goes through a named method.

use std::fmt;

use crate::error::{Error, Result};

/// A PlayReady key ID, stored in canonical (big-endian, text) byte order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kid([u8; 16]);

impl Kid {
    /// Parses a KID from text: hyphenated (`8ba94ade-6eb9-449d-b44f-a5beefaf43b0`), with
    /// optional `{braces}`, or as 32 hex digits; upper or lower case. Surrounding
    /// whitespace is ignored because values often come from config files or command lines.
    pub fn parse(s: &str) -> Result<Kid> {
        let text = s.trim();
        // `try_parse` also accepts the `urn:uuid:` form, which is harmless and unambiguous.
        uuid::Uuid::try_parse(text)
            .map(|u| Kid(u.into_bytes()))
            .map_err(|e| {
                Error::InvalidArgument(format!(
                    "PlayReady key ID {text:?} is not a GUID (hyphenated, braced or 32 hex digits): {e}"
                ))
            })
    }

    /// A KID from its 16 bytes in box order (big-endian, as in `tenc` and `pssh`).
    pub fn from_bytes_be(bytes: [u8; 16]) -> Kid {
        Kid(bytes)
    }

    /// A KID from a Windows `GUID` struct as laid out in memory (little-endian Data1,
    /// Data2, Data3): the form of the SDK's `PLAYREADY_KEY_ID` option and of the
    /// WRMHEADER `<KID>` bytes.
    pub fn from_guid_bytes_le(bytes: [u8; 16]) -> Kid {
        Kid(uuid::Uuid::from_bytes_le(bytes).into_bytes())
    }

    /// The 16 bytes in box order (big-endian), for `tenc` and `pssh`.
    pub fn to_bytes_be(&self) -> [u8; 16] {
        self.0
    }

    /// The 16 bytes in Windows GUID order, for the WRMHEADER `<KID>`, the CHECKSUM and
    /// the key-seed derivation.
    pub fn to_guid_bytes_le(&self) -> [u8; 16] {
        uuid::Uuid::from_bytes(self.0).to_bytes_le()
    }
}

impl fmt::Display for Kid {
    /// Canonical lowercase hyphenated form, e.g. `8ba94ade-6eb9-449d-b44f-a5beefaf43b0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&uuid::Uuid::from_bytes(self.0).hyphenated(), f)
    }
}

impl fmt::Debug for Kid {
    /// The same as `Display`: a KID is public, and the text form is what people compare.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BE: [u8; 16] = [
        0x8b, 0xa9, 0x4a, 0xde, 0x6e, 0xb9, 0x44, 0x9d, 0xb4, 0x4f, 0xa5, 0xbe, 0xef, 0xaf, 0x43,
        0xb0,
    ];
    const LE: [u8; 16] = [
        0xde, 0x4a, 0xa9, 0x8b, 0xb9, 0x6e, 0x9d, 0x44, 0xb4, 0x4f, 0xa5, 0xbe, 0xef, 0xaf, 0x43,
        0xb0,
    ];

    #[test]
    fn parse_forms() {
        for s in [
            "8ba94ade-6eb9-449d-b44f-a5beefaf43b0",
            "8BA94ADE-6EB9-449D-B44F-A5BEEFAF43B0",
            "{8ba94ade-6eb9-449d-b44f-a5beefaf43b0}",
            "{8BA94ADE-6eb9-449d-b44f-A5BEEFAF43B0}",
            "8ba94ade6eb9449db44fa5beefaf43b0",
            "8BA94ADE6EB9449DB44FA5BEEFAF43B0",
            "  8ba94ade-6eb9-449d-b44f-a5beefaf43b0\n",
        ] {
            let kid = Kid::parse(s);
            assert!(kid.is_ok(), "{s:?}");
            if let Ok(kid) = kid {
                assert_eq!(kid.to_bytes_be(), BE, "{s:?}");
            }
        }
    }

    #[test]
    fn parse_rejects() {
        for s in [
            "",
            "8ba94ade-6eb9-449d-b44f-a5beefaf43b",
            "8ba94ade-6eb9-449d-b44f-a5beefaf43b00",
            "8ba94ade6eb9449db44fa5beefaf43bg",
            "{8ba94ade-6eb9-449d-b44f-a5beefaf43b0",
            "3kqpi7lunUS0T6W+769DsA==",
        ] {
            assert!(Kid::parse(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn byte_orders() {
        let kid = Kid::from_bytes_be(BE);
        assert_eq!(kid.to_guid_bytes_le(), LE);
        assert_eq!(Kid::from_guid_bytes_le(LE), kid);
        assert_eq!(Kid::from_guid_bytes_le(LE).to_bytes_be(), BE);
        // Vector 1 and 3 KIDs (format §11).
        let kid1 = Kid::parse("339C45B5-FB6D-4BD9-994C-EABD9D41C95B").ok();
        assert_eq!(
            kid1.map(|k| hex::encode(k.to_guid_bytes_le())),
            Some("b5459c336dfbd94b994ceabd9d41c95b".to_owned())
        );
        let kid3 = Kid::parse("ad13f9ea2be698b875f504a8e3ccea64").ok();
        assert_eq!(
            kid3.map(|k| hex::encode(k.to_guid_bytes_le())),
            Some("eaf913ade62bb89875f504a8e3ccea64".to_owned())
        );
    }

    #[test]
    fn display_and_debug() {
        let kid = Kid::from_bytes_be(BE);
        assert_eq!(kid.to_string(), "8ba94ade-6eb9-449d-b44f-a5beefaf43b0");
        assert_eq!(format!("{kid:?}"), "8ba94ade-6eb9-449d-b44f-a5beefaf43b0");
        assert_eq!(Kid::parse(&kid.to_string()).ok(), Some(kid));
    }
}
