//! What the compatible API hands out besides fragments: both manifests, the header
//! (on-demand or live) and the index, each in an `SSF_BUFFER` the handle keeps.

use super::muxer::{CompatMux, buffer_out};
use super::types::*;
use super::wide::wide;
use crate::ffi::handle::items;
use crate::ffi::status::{Failure, ssf_status};
use crate::ffi::streams::stream_id;
use crate::mux::{LIVE_END_OF_STREAM, StreamId};

/// Returns the client manifest (`.ismc`, UTF-8 XML).
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pBuffer` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetClientManifest(
    hSSFMux: SSFMUXHANDLE,
    pBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    // SAFETY: per the contract.
    unsafe {
        buffer_out(hSSFMux, pBuffer, "pBuffer", |m| {
            Ok(Some(m.muxer()?.client_manifest()?.into_bytes().into()))
        })
    }
}

/// Returns the server manifest (`.ism`, UTF-8 XML) pointing at the client manifest
/// `pszClientManifestRelativePath`.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; the path NULL or NUL-terminated UTF-16; `pBuffer` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetServerManifest(
    hSSFMux: SSFMUXHANDLE,
    pszClientManifestRelativePath: LPCWSTR,
    pBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    let body = |m: &mut CompatMux| {
        // SAFETY: per the contract.
        let path = unsafe {
            wide(
                pszClientManifestRelativePath,
                "pszClientManifestRelativePath",
            )
        }?
        .ok_or_else(|| Failure::null("pszClientManifestRelativePath"))?;
        Ok(Some(m.muxer()?.server_manifest(&path)?.into_bytes().into()))
    };
    // SAFETY: per the contract.
    unsafe { buffer_out(hSSFMux, pBuffer, "pBuffer", body) }
}

/// The body of the calls that hand out bytes about some streams (header, index): runs
/// `body` with the stream ids of the index array `indices`, which must not be empty.
///
/// # Safety
/// `handle` is NULL or a live handle; `indices` points to `count` DWORDs when
/// `count > 0`; `out` is NULL or writable.
unsafe fn streams_out(
    handle: SSFMUXHANDLE,
    indices: *const DWORD,
    count: DWORD,
    out: *mut SSF_BUFFER,
    body: impl FnOnce(&mut CompatMux, Vec<StreamId>) -> Result<Vec<u8>, Failure>,
) -> HRESULT {
    let run = |m: &mut CompatMux| {
        if count == 0 {
            return Err(Failure::invalid("dwStreamCount must not be 0"));
        }
        // SAFETY: per the contract.
        let indices = unsafe { items(indices, count as usize, "pdwStreamIndices") }?;
        let ids = indices.iter().map(|i| stream_id(*i)).collect();
        Ok(Some(body(m, ids)?.into()))
    };
    // SAFETY: per the contract.
    unsafe { buffer_out(handle, out, "pBuffer", run) }
}

/// Returns the header (`ftyp` + `moov`) of a file holding the given streams. Its size
/// never changes, so it can be written first and rewritten in place at the end.
///
/// In live mode (SSF_MUX_OPTION_LIVE_MODE), the header of a live POST carrying the given
/// streams: `ftyp`, the Live Server Manifest box, `moov` (format.md §4). It needs each
/// stream's codec configuration and bit rate, so as in the original SDK it is available
/// right after SSFMuxAddStream when the type-specific info carries the configuration
/// (SPS and PPS in the MPEG2VIDEOINFO, the AudioSpecificConfig in the WAVEFORMATEX, …)
/// and `dwBitrate` is not 0: an encoder sends it before its first sample. Only what
/// needs media waits, failing with E_FAIL and a message saying which: parameter sets that
/// come in-band (until the first keyframe's fragment is out) and a bit rate of 0, which
/// is measured (until the stream's first fragment is out). The first header returned for
/// a set of streams is kept: later calls for them return the same bytes, to send again on
/// every reconnect.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pdwStreamIndices` points to `dwStreamCount` DWORDs;
/// `pBuffer` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetHeader(
    hSSFMux: SSFMUXHANDLE,
    pdwStreamIndices: *const DWORD,
    dwStreamCount: DWORD,
    pBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    let header = |m: &mut CompatMux, ids: Vec<StreamId>| {
        let header = match (m.settings.live, m.settings.manifest_box) {
            (0, _) => m.muxer()?.header(&ids)?,
            (_, 0) => {
                return Err(Failure::new(
                    ssf_status::SSF_STATUS_UNSUPPORTED,
                    "a live header without the manifest box (ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE = 0) is not supported: IIS requires the Live Server Manifest box",
                ));
            }
            _ => match m.live_headers.iter().find(|(asked, _)| *asked == ids) {
                Some((_, kept)) => kept.clone().into(),
                None => {
                    let header = m.muxer()?.live_header(&ids)?;
                    m.live_headers.push((ids, header.to_vec()));
                    header
                }
            },
        };
        Ok(header.to_vec())
    };
    // SAFETY: per the contract.
    unsafe { streams_out(hSSFMux, pdwStreamIndices, dwStreamCount, pBuffer, header) }
}

/// Returns the index (`mfra`) of the given streams' fragments so far. In live mode, the
/// empty 8-byte `mfra` that ends a live stream, sent last on the POST.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// As SSFMuxGetHeader.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetIndex(
    hSSFMux: SSFMUXHANDLE,
    pdwStreamIndices: *const DWORD,
    dwStreamCount: DWORD,
    pBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    let index = |m: &mut CompatMux, ids: Vec<StreamId>| {
        // In live mode the indices are checked like the on-demand index does.
        let index = m.muxer()?.index(&ids)?;
        Ok(if m.settings.live != 0 {
            LIVE_END_OF_STREAM.to_vec()
        } else {
            index.to_vec()
        })
    };
    // SAFETY: per the contract.
    unsafe { streams_out(hSSFMux, pdwStreamIndices, dwStreamCount, pBuffer, index) }
}
