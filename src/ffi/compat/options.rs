//! The options of the compatible API: collected by SSFMuxSetOption until the first stream
//! is added (when the muxer is made with them), read back by SSFMuxQueryOption.

use zeroize::Zeroizing;

use super::errors::{E_NOT_SUFFICIENT_BUFFER, S_FALSE, S_OK};
use super::muxer::{CompatMux, on_mux};
use super::types::*;
use super::wide::{MAX_WIDE_STRING, utf16_text};
use crate::drm::{ContentKey, KeySeed, Kid, Protection};
use crate::ffi::handle::{bytes, need, write_out};
use crate::ffi::status::{Failure, ssf_status};
use crate::mux::SMOOTH_TIMESCALE;

/// The options of the original API, as set so far.
#[derive(Default)]
pub(super) struct Settings {
    pub(super) live: u32,
    pub(super) manifest_box: u32,
    fragment_elements: u32,
    pub(super) timescale: u32,
    variable_rate: u32,
    drm: u32,
    kid: Option<[u8; 16]>,
    seed: Option<Zeroizing<[u8; 40]>>,
    content_key: Option<Zeroizing<[u8; 16]>>,
    la_url: Option<Vec<u16>>,
    ui_url: Option<Vec<u16>>,
    iv: Option<u64>,
}

impl Settings {
    /// The original's defaults: the manifest box on, 10 000 000 ticks per second.
    pub(super) fn new() -> Self {
        Self {
            manifest_box: 1,
            timescale: SMOOTH_TIMESCALE,
            ..Self::default()
        }
    }

    /// Whether the client manifest lists every fragment.
    pub(super) fn fragment_elements(&self) -> bool {
        self.fragment_elements != 0
    }

    /// The protection the options ask for, None when PlayReady is off.
    pub(super) fn protection(&self) -> Result<Option<Protection>, Failure> {
        let s = self;
        if s.drm == 0 {
            return Ok(None);
        }
        let kid = Kid::from_guid_bytes_le(s.kid.ok_or_else(|| {
            Failure::invalid(
                "PlayReady DRM is enabled but SSF_MUX_OPTION_PLAYREADY_KEY_ID is not set",
            )
        })?);
        let mut p = match (&s.content_key, &s.seed) {
            (Some(key), None) => Protection::new(kid, ContentKey::from_bytes(**key)),
            (None, Some(seed)) => Protection::from_key_seed(kid, &KeySeed::from_sdk_option(seed)),
            (None, None) => {
                return Err(Failure::invalid(
                    "PlayReady DRM is enabled but neither KEY_SEED nor CONTENT_KEY is set",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Failure::invalid(
                    "set either SSF_MUX_OPTION_PLAYREADY_KEY_SEED or _CONTENT_KEY, not both",
                ));
            }
        };
        if let Some(url) = &s.la_url {
            p = p.la_url(utf16_text(url, "license acquisition URL")?);
        }
        if let Some(url) = &s.ui_url {
            p = p.lui_url(utf16_text(url, "UI URL")?);
        }
        if let Some(iv) = s.iv {
            p = p.first_iv(iv);
        }
        p.validate()?;
        Ok(Some(p))
    }

    /// Sets `option` to `value` (SSFMuxSetOption's buffer).
    fn set(&mut self, option: SSF_MUX_OPTION, value: &[u8]) -> Result<(), Failure> {
        let s = self;
        match option {
            SSF_MUX_OPTION_LIVE_MODE => s.live = u32_value(value, option)?,
            SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST => {
                s.fragment_elements = u32_value(value, option)?;
            }
            SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE => {
                s.manifest_box = u32_value(value, option)?;
            }
            SSF_MUX_OPTION_TIME_SCALE => {
                let ticks = i64::from_ne_bytes(exact::<8>(value, option)?);
                s.timescale = u32::try_from(ticks)
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or_else(|| {
                        Failure::invalid(format!("time scale {ticks} must be 1 to 4294967295"))
                    })?;
            }
            SSF_MUX_OPTION_VARIABLE_RATE => s.variable_rate = u32_value(value, option)?,
            SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM => s.drm = u32_value(value, option)?,
            SSF_MUX_OPTION_PLAYREADY_KEY_ID => s.kid = Some(exact::<16>(value, option)?),
            SSF_MUX_OPTION_PLAYREADY_KEY_SEED => {
                s.seed = Some(Zeroizing::new(exact::<40>(value, option)?));
            }
            SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY => {
                s.content_key = Some(Zeroizing::new(exact::<16>(value, option)?));
            }
            SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL => {
                s.la_url = Some(wide_value(value, option)?);
            }
            SSF_MUX_OPTION_PLAYREADY_UI_URL => s.ui_url = Some(wide_value(value, option)?),
            SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR => {
                s.iv = Some(u64::from_ne_bytes(exact::<8>(value, option)?));
            }
            other => return Err(Failure::invalid(format!("unknown option {other}"))),
        }
        Ok(())
    }

    /// The value of `option` as SSFMuxQueryOption returns it; None when never set.
    fn get(&self, option: SSF_MUX_OPTION) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
        let s = self;
        let value = match option {
            SSF_MUX_OPTION_LIVE_MODE => Some(s.live.to_ne_bytes().to_vec()),
            SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST => {
                Some(s.fragment_elements.to_ne_bytes().to_vec())
            }
            SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE => {
                Some(s.manifest_box.to_ne_bytes().to_vec())
            }
            SSF_MUX_OPTION_TIME_SCALE => Some(i64::from(s.timescale).to_ne_bytes().to_vec()),
            SSF_MUX_OPTION_VARIABLE_RATE => Some(s.variable_rate.to_ne_bytes().to_vec()),
            SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM => Some(s.drm.to_ne_bytes().to_vec()),
            SSF_MUX_OPTION_PLAYREADY_KEY_ID => s.kid.map(|k| k.to_vec()),
            SSF_MUX_OPTION_PLAYREADY_KEY_SEED => s.seed.as_ref().map(|k| k.to_vec()),
            SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY => s.content_key.as_ref().map(|k| k.to_vec()),
            SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL => s.la_url.as_deref().map(wide_bytes),
            SSF_MUX_OPTION_PLAYREADY_UI_URL => s.ui_url.as_deref().map(wide_bytes),
            SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR => {
                s.iv.map(|iv| iv.to_ne_bytes().to_vec())
            }
            other => return Err(Failure::invalid(format!("unknown option {other}"))),
        }
        .map(Zeroizing::new);
        Ok(value)
    }
}

fn exact<const N: usize>(value: &[u8], option: SSF_MUX_OPTION) -> Result<[u8; N], Failure> {
    <[u8; N]>::try_from(value).map_err(|_| {
        Failure::invalid(format!(
            "option {option} takes {N} bytes, cbBuffer is {}",
            value.len()
        ))
    })
}

fn u32_value(value: &[u8], option: SSF_MUX_OPTION) -> Result<u32, Failure> {
    exact::<4>(value, option).map(u32::from_ne_bytes)
}

/// A wide-string option value: UTF-16 units, NUL terminator optional.
fn wide_value(value: &[u8], option: SSF_MUX_OPTION) -> Result<Vec<u16>, Failure> {
    if !value.len().is_multiple_of(2) {
        return Err(Failure::invalid(format!(
            "option {option} is a wide string: cbBuffer {} is odd",
            value.len()
        )));
    }
    let units: Vec<u16> = value
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
        .map(u16::from_ne_bytes)
        .take_while(|u| *u != 0)
        .collect();
    utf16_text(&units, "URL option")?;
    Ok(units)
}

/// Sets an option. Options must be set before the first stream is added.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pvBuffer` points to `cbBuffer` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxSetOption(
    hSSFMux: SSFMUXHANDLE,
    option: SSF_MUX_OPTION,
    pvBuffer: LPCVOID,
    cbBuffer: ULONG,
) -> HRESULT {
    let body = |m: &mut CompatMux| {
        if m.mux.is_some() {
            return Err(Failure::new(
                ssf_status::SSF_STATUS_INVALID_STATE,
                "options must be set before the first stream is added",
            ));
        }
        if cbBuffer as usize > MAX_WIDE_STRING * 2 {
            return Err(Failure::invalid(format!("cbBuffer {cbBuffer} is absurd")));
        }
        need(pvBuffer, "pvBuffer")?;
        // SAFETY: per the contract; the size is bounded above.
        let value = unsafe { bytes(pvBuffer.cast::<u8>(), cbBuffer as usize, "pvBuffer") }?;
        m.settings.set(option, value)?;
        Ok(S_OK)
    };
    // SAFETY: per the contract.
    unsafe { on_mux(hSSFMux, body) }
}

fn wide_bytes(units: &[u16]) -> Vec<u8> {
    units
        .iter()
        .chain(std::iter::once(&0))
        .flat_map(|u| u.to_ne_bytes())
        .collect()
}

/// Reads an option. `*pcbBuffer` is the buffer size on input and the value's size on
/// output; when `pvBuffer` is NULL or too small, only the size is written and the call
/// returns HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER). An option never set (key ID,
/// keys, URLs, IV) returns S_FALSE with size 0. Key material is returned only to the
/// caller that set it, never logged.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pcbBuffer` NULL or writable; `pvBuffer` NULL or valid for
/// `*pcbBuffer` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxQueryOption(
    hSSFMux: SSFMUXHANDLE,
    option: SSF_MUX_OPTION,
    pvBuffer: LPVOID,
    pcbBuffer: *mut ULONG,
) -> HRESULT {
    let body = |m: &mut CompatMux| {
        // SAFETY: per the contract.
        let capacity = *unsafe { pcbBuffer.as_ref() }.ok_or_else(|| Failure::null("pcbBuffer"))?;
        let Some(value) = m.settings.get(option)? else {
            // SAFETY: checked non-NULL above.
            unsafe { write_out(pcbBuffer, 0) };
            return Ok(S_FALSE);
        };
        let size = ULONG::try_from(value.len()).unwrap_or(ULONG::MAX);
        // SAFETY: checked non-NULL above.
        unsafe { write_out(pcbBuffer, size) };
        if pvBuffer.is_null() || capacity < size {
            return Ok(E_NOT_SUFFICIENT_BUFFER);
        }
        // SAFETY: pvBuffer holds at least `capacity >= size` writable bytes (contract).
        unsafe {
            std::ptr::copy_nonoverlapping(value.as_ptr(), pvBuffer.cast::<u8>(), value.len())
        };
        Ok(S_OK)
    };
    // SAFETY: per the contract.
    unsafe { on_mux(hSSFMux, body) }
}
