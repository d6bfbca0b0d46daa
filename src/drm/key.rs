//! Content keys, key seeds, the PlayReady key-seed derivation and the CHECKSUM.
//!
//! Secrets live in [`zeroize::Zeroizing`] buffers so they are wiped on drop, and neither
//! type prints its bytes through `Debug` or error messages: logs and error reports must
//! never leak a key.

use std::fmt;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::kid::Kid;
use crate::error::{Error, Result};

/// Number of key-seed bytes that enter the derivation (format §8.6).
const SEED_LEN: usize = 30;

/// An AES-128 content key; zeroized on drop, never shown by Debug.
#[derive(Clone)]
pub struct ContentKey(Zeroizing<[u8; 16]>);

impl ContentKey {
    /// A key from its 16 raw bytes (the SDK's `PLAYREADY_CONTENT_KEY` option, used as-is).
    pub fn from_bytes(bytes: [u8; 16]) -> ContentKey {
        ContentKey(Zeroizing::new(bytes))
    }

    /// Parses a key written as 32 hex digits (either case) or as the base64 of its
    /// 16 bytes (24 characters, padded). Surrounding whitespace is ignored. Errors never
    /// quote the text, since it may be a real key.
    pub fn parse_hex(s: &str) -> Result<ContentKey> {
        let text = s.trim();
        let mut key = Zeroizing::new([0u8; 16]);
        if text.len() == 32 {
            hex::decode_to_slice(text, key.as_mut_slice()).map_err(|_| {
                Error::InvalidArgument("content key: 32 characters but not all hex digits".into())
            })?;
            return Ok(ContentKey(key));
        }
        if text.len() == 24 {
            // Decoded straight into a zeroized Vec so no unwiped copy of the key is left.
            let decoded = Zeroizing::new(BASE64.decode(text).map_err(|_| {
                Error::InvalidArgument("content key: 24 characters but not valid base64".into())
            })?);
            if decoded.len() != 16 {
                return Err(Error::InvalidArgument(format!(
                    "content key: base64 decodes to {} bytes, need 16",
                    decoded.len()
                )));
            }
            key.copy_from_slice(&decoded);
            return Ok(ContentKey(key));
        }
        Err(Error::InvalidArgument(format!(
            "content key: {} characters; need 32 hex digits or 24 base64 characters",
            text.len()
        )))
    }

    /// Derives the content key from a key seed and a KID with the PlayReady key-seed
    /// algorithm (format §8.6): with `s` = the 30 seed bytes and `k` = the KID in GUID
    /// order, `A = SHA-256(s‖k)`, `B = SHA-256(s‖k‖s)`, `C = SHA-256(s‖k‖s‖k)`, and
    /// `key[i] = A[i]⊕A[i+16]⊕B[i]⊕B[i+16]⊕C[i]⊕C[i+16]`.
    pub fn from_key_seed(seed: &KeySeed, kid: &Kid) -> ContentKey {
        let s = seed.as_bytes();
        let k = kid.to_guid_bytes_le();
        let mut key = Zeroizing::new([0u8; 16]);
        // The three hashes share the prefix s‖k, so one hasher is cloned instead of
        // hashing the same bytes three times.
        let mut base = Sha256::new();
        base.update(s);
        base.update(k);
        let a = base.clone();
        let mut b = base.clone();
        b.update(s);
        let mut c = base;
        c.update(s);
        c.update(k);
        for hasher in [a, b, c] {
            let mut digest = hasher.finalize();
            // Fold the two 16-byte halves of the 32-byte digest into the key.
            let (low, high) = digest.split_at(16);
            for ((byte, l), h) in key.iter_mut().zip(low).zip(high) {
                *byte ^= l ^ h;
            }
            // The digests are key material; wipe them. (The hasher's internal block
            // buffer cannot be wiped without sha2's `zeroize` feature, which is not on.)
            digest.as_mut_slice().zeroize();
        }
        ContentKey(key)
    }

    /// The PlayReady CHECKSUM for `kid` under this key (format §8.5): the first 8 bytes of
    /// AES-128-ECB(key, KID in GUID order). The WRMHEADER carries it base64-encoded.
    /// Using the big-endian KID would give a wrong value that players reject.
    pub fn checksum(&self, kid: &Kid) -> [u8; 8] {
        // The `aes` crate is built with `zeroize`, so the key schedule is wiped on drop.
        let cipher = Aes128::new(&(*self.0).into());
        let mut block = kid.to_guid_bytes_le().into();
        cipher.encrypt_block(&mut block);
        let mut out = [0u8; 8];
        for (o, b) in out.iter_mut().zip(block.iter()) {
            *o = *b;
        }
        out
    }

    /// The 16 raw key bytes, for the sample encryptor.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for ContentKey {
    /// Never shows the key: `ContentKey(<redacted>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(<redacted>)")
    }
}

/// A PlayReady key seed (30 bytes used); zeroized on drop, never shown by Debug.
#[derive(Clone)]
pub struct KeySeed(Zeroizing<Vec<u8>>);

impl KeySeed {
    /// A seed from raw bytes: at least 30, of which the first 30 are kept (only those enter
    /// the derivation, format §8.6).
    pub fn from_bytes(bytes: &[u8]) -> Result<KeySeed> {
        match bytes.get(..SEED_LEN) {
            Some(first) => Ok(KeySeed(Zeroizing::new(first.to_vec()))),
            None => Err(Error::InvalidArgument(format!(
                "key seed: {} bytes, need at least {SEED_LEN}",
                bytes.len()
            ))),
        }
    }

    /// Parses a seed from text: base64 (the 40-character form of the Microsoft test seed)
    /// or 60 or more hex digits (an even count). Text made only of hex digits and at least
    /// 60 long is read as hex: base64 of random bytes almost never looks like that, while
    /// hex always does. Surrounding whitespace is ignored; errors never quote the text.
    pub fn parse(s: &str) -> Result<KeySeed> {
        let text = s.trim();
        if text.len() >= 2 * SEED_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes = Zeroizing::new(hex::decode(text).map_err(|_| {
                Error::InvalidArgument("key seed: odd number of hex digits".into())
            })?);
            return KeySeed::from_bytes(&bytes);
        }
        let bytes = Zeroizing::new(BASE64.decode(text).map_err(|_| {
            Error::InvalidArgument("key seed: neither base64 nor at least 60 hex digits".into())
        })?);
        KeySeed::from_bytes(&bytes)
    }

    /// The seed from the SDK's 40-byte `PLAYREADY_KEY_SEED` option (format §1.3 option 7).
    /// If all 40 bytes are base64 characters and decode to at least 30 bytes (the SDK's
    /// own test seed is such text), the decoded bytes are used; otherwise the first 30 raw
    /// bytes, so binary seeds work too.
    pub fn from_sdk_option(raw: &[u8; 40]) -> KeySeed {
        let all_base64 = raw
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if all_base64 && let Ok(decoded) = BASE64.decode(raw) {
            let decoded = Zeroizing::new(decoded);
            if let Some(first) = decoded.get(..SEED_LEN) {
                return KeySeed(Zeroizing::new(first.to_vec()));
            }
        }
        KeySeed(Zeroizing::new(raw.get(..SEED_LEN).unwrap_or(raw).to_vec()))
    }

    /// The 30 seed bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for KeySeed {
    /// Never shows the seed: `KeySeed(<redacted>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySeed(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_SEED_B64: &str = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I";
    const TEST_SEED_HEX: &str = "5d5068bec9b384ff6044867159f16d6b755544fcd5116989b1acc4278e88";

    fn kid(s: &str) -> Kid {
        match Kid::parse(s) {
            Ok(k) => k,
            Err(e) => panic!("test KID {s}: {e}"),
        }
    }

    fn seed() -> KeySeed {
        match KeySeed::parse(TEST_SEED_B64) {
            Ok(s) => s,
            Err(e) => panic!("test seed: {e}"),
        }
    }

    fn b64(bytes: &[u8]) -> String {
        BASE64.encode(bytes)
    }

    #[test]
    fn vector1_seed_to_key_and_checksum() {
        let kid = kid("339C45B5-FB6D-4BD9-994C-EABD9D41C95B");
        let key = ContentKey::from_key_seed(&seed(), &kid);
        assert_eq!(
            hex::encode(key.as_bytes()),
            "a537cdc0ca65841406d525e7bf22d754"
        );
        assert_eq!(b64(key.as_bytes()), "pTfNwMplhBQG1SXnvyLXVA==");
        assert_eq!(b64(&kid.to_guid_bytes_le()), "tUWcM2372UuZTOq9nUHJWw==");
        assert_eq!(b64(&key.checksum(&kid)), "Dnd2+tOluB4=");
    }

    #[test]
    fn vector2_seed_to_key_kid_and_checksum() {
        let kid = kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0");
        let key = ContentKey::from_key_seed(&seed(), &kid);
        assert_eq!(
            hex::encode_upper(key.as_bytes()),
            "DBFD6922C321C4BB486F4A1C44097ED6"
        );
        assert_eq!(b64(&kid.to_guid_bytes_le()), "3kqpi7lunUS0T6W+769DsA==");
        let checksum = b64(&key.checksum(&kid));
        assert_eq!(checksum, "Me48z71nuqY=");
        assert_ne!(checksum, "nW+SROTQ9UQ=");
        // The wrong value really is the big-endian one, so the test above guards the order.
        let wrong = key.checksum(&Kid::from_guid_bytes_le(kid.to_bytes_be()));
        assert_eq!(b64(&wrong), "nW+SROTQ9UQ=");
    }

    #[test]
    fn vector3_checksum() {
        let kid = kid("ad13f9ea2be698b875f504a8e3ccea64");
        let key = ContentKey::parse_hex("be7df8a3667a6a8fd564d0ed81339a95");
        assert!(key.is_ok());
        if let Ok(key) = key {
            assert_eq!(b64(&kid.to_guid_bytes_le()), "6vkTreYruJh19QSo48zqZA==");
            assert_eq!(b64(&key.checksum(&kid)), "jYFNf0yf4is=");
        }
    }

    #[test]
    fn content_key_forms() {
        let want = "dbfd6922c321c4bb486f4a1c44097ed6";
        for s in [
            "DBFD6922C321C4BB486F4A1C44097ED6",
            "dbfd6922c321c4bb486f4a1c44097ed6",
            " 2/1pIsMhxLtIb0ocRAl+1g== ",
        ] {
            let key = ContentKey::parse_hex(s).map(|k| hex::encode(k.as_bytes()));
            assert_eq!(key.ok().as_deref(), Some(want), "{s:?}");
        }
        for s in [
            "",
            "DBFD6922C321C4BB486F4A1C44097ED",
            "DBFD6922C321C4BB486F4A1C44097ED6A",
            "DBFD6922C321C4BB486F4A1C44097EDG",
            "2/1pIsMhxLtIb0ocRAl+1g=!",
            "2/1pIsMhxLtIb0ocRAl+1gAA",
        ] {
            assert!(ContentKey::parse_hex(s).is_err(), "{s:?}");
        }
        let raw = ContentKey::from_bytes([7; 16]);
        assert_eq!(raw.as_bytes(), &[7; 16]);
    }

    #[test]
    fn key_seed_forms() {
        let want = TEST_SEED_HEX;
        let hex_upper = TEST_SEED_HEX.to_uppercase();
        let longer_hex = format!("{TEST_SEED_HEX}0011");
        let longer_b64 = BASE64.encode([0x5a; 33]);
        for (s, expect) in [
            (TEST_SEED_B64, want.to_owned()),
            (TEST_SEED_HEX, want.to_owned()),
            (hex_upper.as_str(), want.to_owned()),
            (longer_hex.as_str(), want.to_owned()),
            (longer_b64.as_str(), hex::encode([0x5a; 30])),
        ] {
            let got = KeySeed::parse(s).map(|k| hex::encode(k.as_bytes()));
            assert_eq!(got.ok(), Some(expect), "{s:?}");
        }
        for s in [
            "",
            "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ4",
            "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I!",
            &TEST_SEED_HEX[..58],
            &TEST_SEED_HEX[..59],
        ] {
            assert!(KeySeed::parse(s).is_err(), "{s:?}");
        }
        assert!(KeySeed::from_bytes(&[1; 29]).is_err());
        let long = KeySeed::from_bytes(&(0..40).collect::<Vec<u8>>());
        assert_eq!(
            long.map(|k| k.as_bytes().to_vec()).ok(),
            Some((0..30).collect::<Vec<u8>>())
        );
    }

    #[test]
    fn key_seed_from_sdk_option() {
        // Branch 1: the 40 bytes are the base64 text of the Microsoft test seed.
        let mut text = [0u8; 40];
        text.copy_from_slice(TEST_SEED_B64.as_bytes());
        let s = KeySeed::from_sdk_option(&text);
        assert_eq!(hex::encode(s.as_bytes()), TEST_SEED_HEX);
        // Branch 2: binary bytes; the first 30 raw bytes are used.
        let mut raw = [0u8; 40];
        for (i, b) in raw.iter_mut().enumerate() {
            *b = i as u8;
        }
        let s = KeySeed::from_sdk_option(&raw);
        assert_eq!(s.as_bytes(), (0..30).collect::<Vec<u8>>().as_slice());
        // Base64 characters with padding decode to fewer than 30 bytes: raw branch.
        let mut padded = [b'A'; 40];
        padded[38] = b'=';
        padded[39] = b'=';
        let s = KeySeed::from_sdk_option(&padded);
        assert_eq!(s.as_bytes(), &[b'A'; 30]);
        // And the derivation from the option matches vector 1.
        let kid = kid("339C45B5-FB6D-4BD9-994C-EABD9D41C95B");
        let key = ContentKey::from_key_seed(&KeySeed::from_sdk_option(&text), &kid);
        assert_eq!(
            hex::encode(key.as_bytes()),
            "a537cdc0ca65841406d525e7bf22d754"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let key = ContentKey::from_bytes([
            0xdb, 0xfd, 0x69, 0x22, 0xc3, 0x21, 0xc4, 0xbb, 0x48, 0x6f, 0x4a, 0x1c, 0x44, 0x09,
            0x7e, 0xd6,
        ]);
        let shown = format!("{key:?} {key:#?}");
        assert!(shown.contains("ContentKey(<redacted>)"));
        let lower = shown.to_lowercase();
        assert!(!lower.contains("dbfd"));
        assert!(!lower.contains("db, fd") && !lower.contains("219"));
        let seed = seed();
        let shown = format!("{seed:?} {seed:#?}").to_lowercase();
        assert_eq!(shown, "keyseed(<redacted>) keyseed(<redacted>)");
        // Errors do not quote the rejected text either.
        let err = ContentKey::parse_hex("DBFD6922C321C4BB486F4A1C44097EDG").err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(!msg.to_lowercase().contains("dbfd"), "{msg}");
        let err =
            KeySeed::parse("5d5068bec9b384ff6044867159f16d6b755544fcd5116989b1acc4278e8").err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(!msg.contains("5d5068"), "{msg}");
    }
}
