//! Content protection: PIFF 1.1 AES-128-CTR sample encryption (NAL-aware subsamples for
//! H.264, whole samples for audio) signalled with a PlayReady header, optionally with the
//! CENC boxes beside the PIFF ones so that CENC readers decrypt the same files.

pub mod cipher;
pub mod key;
pub mod kid;
pub mod playready;
pub mod subsample;

pub use cipher::SampleEncryptor;
pub use key::{ContentKey, KeySeed};
pub use kid::Kid;
pub use playready::{PLAYREADY_SYSTEM_ID, PlayReadyHeader};
pub use subsample::Subsample;

use crate::error::{Error, Result};

/// How one presentation is protected: one key for every stream, as in the original SDK.
///
/// Each stream gets its own range of 8-byte IVs, so no two samples under the key share a
/// keystream: with a first IV given, stream `n` starts at `first_iv + (n << 48)`
/// (wrapping); without one, every stream starts at a random IV. (The original SDK's single
/// IV reused keystream across bit rates.)
#[derive(Clone)]
pub struct Protection {
    key: ContentKey,
    header: PlayReadyHeader,
    first_iv: Option<u64>,
    cenc: bool,
}

impl Protection {
    /// Protection with a known content key.
    pub fn new(kid: Kid, key: ContentKey) -> Self {
        Self {
            header: PlayReadyHeader::with_key(kid, &key),
            key,
            first_iv: None,
            cenc: false,
        }
    }

    /// Protection whose content key is derived from a PlayReady key seed and the KID.
    pub fn from_key_seed(kid: Kid, seed: &KeySeed) -> Self {
        Self::new(kid, ContentKey::from_key_seed(seed, &kid))
    }

    /// The license acquisition URL (`<LA_URL>`).
    pub fn la_url(mut self, url: impl Into<String>) -> Self {
        self.header.la_url = Some(url.into());
        self
    }

    /// The license UI URL (`<LUI_URL>`).
    pub fn lui_url(mut self, url: impl Into<String>) -> Self {
        self.header.lui_url = Some(url.into());
        self
    }

    /// Inner XML of `<CUSTOMATTRIBUTES>`, written verbatim (it must be well-formed).
    pub fn custom_attributes(mut self, xml: impl Into<String>) -> Self {
        self.header.custom_attributes = Some(xml.into());
        self
    }

    /// The first IV (of stream 0; see the type's docs for the others). Random otherwise.
    pub fn first_iv(mut self, iv: u64) -> Self {
        self.first_iv = Some(iv);
        self
    }

    /// Also writes the CENC boxes (`tenc`, `pssh`, `senc`, `saiz`/`saio`, scheme `cenc`)
    /// beside the PIFF ones (PIFF 1.3 style). Off by default: Smooth clients read only the
    /// PIFF boxes and the manifest.
    pub fn cenc_compatible(mut self, on: bool) -> Self {
        self.cenc = on;
        self
    }

    /// The key ID.
    pub fn kid(&self) -> Kid {
        self.header.kid
    }

    /// The content key.
    pub fn key(&self) -> &ContentKey {
        &self.key
    }

    /// The PlayReady header that goes into the moov and the client manifest.
    pub fn playready_header(&self) -> &PlayReadyHeader {
        &self.header
    }

    /// Whether the CENC boxes are written too.
    pub fn is_cenc_compatible(&self) -> bool {
        self.cenc
    }

    /// Checks the header fields (URLs, custom attributes, size) once, up front.
    pub fn validate(&self) -> Result<()> {
        self.header.validate()
    }

    /// The first IV of stream `index`.
    pub(crate) fn stream_iv(&self, index: usize) -> Result<u64> {
        match self.first_iv {
            Some(iv) => Ok(iv.wrapping_add((index as u64) << 48)),
            None => getrandom::u64()
                .map_err(|e| Error::InvalidState(format!("no random IV available: {e}"))),
        }
    }
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protection")
            .field("kid", &self.header.kid)
            .field("key", &self.key)
            .field("la_url", &self.header.la_url)
            .field("lui_url", &self.header.lui_url)
            .field("first_iv", &self.first_iv)
            .field("cenc", &self.cenc)
            .finish()
    }
}
