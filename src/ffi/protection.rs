//! The `ssf_protection` handle over [`Protection`]: PlayReady encryption settings, given
//! to `ssf_options_set_protection`.

use std::ffi::c_char;

use super::handle::{Castable, bytes, create, free, modify, update, utf8};
use super::status::{Failure, ssf_status};
use crate::drm::{ContentKey, KeySeed, Kid, Protection};

/// PlayReady encryption settings (Rust `Protection`); holds the content key, which is
/// wiped from memory when the handle is freed. Calls on one handle must not
/// overlap: one that does gets `SSF_STATUS_BUSY`.
pub struct ssf_protection {
    _private: [u8; 0],
}

impl Castable for ssf_protection {
    type Rust = Protection;
}

/// Reads a 16-byte key or key ID.
///
/// # Safety
/// `ptr` is NULL or points to 16 readable bytes.
unsafe fn key16(ptr: *const u8, what: &str) -> Result<[u8; 16], Failure> {
    // SAFETY: per the contract.
    let b = unsafe { bytes(ptr, 16, what) }?;
    <[u8; 16]>::try_from(b).map_err(|_| Failure::invalid(format!("{what}: 16 bytes expected")))
}

/// Sets one of the PlayReady header's URLs with `set`, then checks the header. The URL
/// stays set when the check fails, as the Rust builder leaves it.
///
/// # Safety
/// `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
unsafe fn set_url(
    protection: *mut ssf_protection,
    url: *const c_char,
    set: impl FnOnce(Protection, &str) -> Protection,
) -> ssf_status {
    let body = |p: &mut Protection| {
        // SAFETY: per the contract.
        let url = unsafe { utf8(url, "url") }?;
        *p = set(p.clone(), url);
        Ok(p.validate()?)
    };
    // SAFETY: per the contract.
    unsafe { modify(protection, "protection", body) }
}

/// Creates PlayReady protection from a key ID (16 bytes in UUID text order, big-endian)
/// and a 16-byte AES content key. Free with `ssf_protection_free`.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `kid` and `key` point to 16 readable bytes; `out` is valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_new(
    kid: *const u8,
    key: *const u8,
    out: *mut *mut ssf_protection,
) -> ssf_status {
    let make = || {
        // SAFETY: per the contract.
        let kid = Kid::from_bytes_be(unsafe { key16(kid, "kid") }?);
        // SAFETY: per the contract.
        let mut raw = unsafe { key16(key, "key") }?;
        let key = ContentKey::from_bytes(raw);
        // The array is a copy: wipe it so the key lives only in the ContentKey.
        zeroize::Zeroize::zeroize(&mut raw);
        Ok(Protection::new(kid, key))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
}

/// Creates PlayReady protection whose content key is derived from a key seed (at least
/// 30 bytes) and the key ID (16 bytes, UUID text order).
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `kid` points to 16 readable bytes, `seed` to `seed_len`; `out` is valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_from_key_seed(
    kid: *const u8,
    seed: *const u8,
    seed_len: usize,
    out: *mut *mut ssf_protection,
) -> ssf_status {
    let make = || {
        // SAFETY: per the contract.
        let kid = Kid::from_bytes_be(unsafe { key16(kid, "kid") }?);
        // SAFETY: per the contract.
        let seed = KeySeed::from_bytes(unsafe { bytes(seed, seed_len, "seed") }?)?;
        Ok(Protection::from_key_seed(kid, &seed))
    };
    // SAFETY: per the contract.
    unsafe { create(out, make) }
}

/// Sets the license acquisition URL (`LA_URL` of the PlayReady header).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_la_url(
    protection: *mut ssf_protection,
    url: *const c_char,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { set_url(protection, url, |p, url| p.la_url(url)) }
}

/// Sets the license UI URL (`LUI_URL` of the PlayReady header).
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_lui_url(
    protection: *mut ssf_protection,
    url: *const c_char,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { set_url(protection, url, |p, url| p.lui_url(url)) }
}

/// Sets the first 8-byte IV (stream n starts at `iv + (n << 48)`); random otherwise.
///
/// Thread safety: calls on one handle must not overlap; a call that finds a handle it is
/// given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.
///
/// # Safety
/// `protection` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_set_first_iv(
    protection: *mut ssf_protection,
    iv: u64,
) -> ssf_status {
    // SAFETY: per the contract.
    unsafe { update(protection, "protection", |p| Ok(p.first_iv(iv))) }
}

/// Frees protection settings and wipes the key; NULL is a no-op.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
/// so): free it again once that call returned.
///
/// # Safety
/// `protection` is NULL or a live handle, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ssf_protection_free(protection: *mut ssf_protection) {
    // SAFETY: per the contract.
    unsafe { free(protection, "protection") }
}
