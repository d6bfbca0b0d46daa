//! Streams of the compatible API: an `SSF_STREAM_INFO` (codec from its type-specific
//! info, then the manifest fields) becomes a `StreamConfig`; SSFMuxAddStream and
//! SSFMuxAddSparseStream add it.

use super::errors::S_OK;
use super::muxer::{CompatMux, on_mux};
use super::types::*;
use super::wide::wide;
use crate::codec::media_type::{parse_video_info, parse_wave_format_ex};
use crate::ffi::handle::{bytes, need, write_out};
use crate::ffi::status::{Failure, ssf_status};
use crate::ffi::streams::{stream_id, stream_number};
use crate::isobmff::boxes::unpack_language;
use crate::mux::{ReorderBuffer, StreamConfig, StreamId};

/// Largest type-specific info accepted.
const MAX_TYPE_INFO: usize = 1 << 20;

/// The language of `wLanguage`: None for 0, else its packed ISO 639-2/T code.
fn language(packed: WORD) -> Result<Option<String>, Failure> {
    if packed == 0 {
        return Ok(None);
    }
    unpack_language(packed).map(Some).ok_or_else(|| {
        Failure::invalid(format!(
            "wLanguage 0x{packed:04X} is not a packed ISO 639-2 code"
        ))
    })
}

/// The type-specific info bytes of a stream.
///
/// # Safety
/// `info.pTypeSpecificInfo` points to `cbTypeSpecificInfo` readable bytes.
unsafe fn type_info(info: &SSF_STREAM_INFO) -> Result<&[u8], Failure> {
    let len = info.cbTypeSpecificInfo as usize;
    if len > MAX_TYPE_INFO {
        return Err(Failure::invalid(format!(
            "cbTypeSpecificInfo {len} is absurd (limit {MAX_TYPE_INFO})"
        )));
    }
    // SAFETY: per the contract.
    unsafe {
        bytes(
            info.pTypeSpecificInfo.cast::<u8>(),
            len,
            "pTypeSpecificInfo",
        )
    }
}

/// A `T` given as type-specific info, whose size must be exactly `sizeof(T)`.
///
/// # Safety
/// As [`type_info`], and the bytes hold a valid `T` when the size matches.
unsafe fn type_info_struct<T: Copy>(info: &SSF_STREAM_INFO, name: &str) -> Result<T, Failure> {
    if info.cbTypeSpecificInfo as usize != size_of::<T>() {
        return Err(Failure::invalid(format!(
            "cbTypeSpecificInfo is {}, expected sizeof({name}) = {}",
            info.cbTypeSpecificInfo,
            size_of::<T>()
        )));
    }
    need(info.pTypeSpecificInfo, "pTypeSpecificInfo")?;
    // SAFETY: non-NULL, of T's size; read unaligned because callers may pack it anywhere.
    Ok(unsafe { info.pTypeSpecificInfo.cast::<T>().read_unaligned() })
}

/// What the XML and TEXT streams' type-specific info structs have in common.
trait SparseInfo: Copy {
    /// The struct's C name, for messages.
    const NAME: &'static str;
    /// `pszContentEncoding`.
    fn content_encoding(&self) -> LPCWSTR;
    /// `dwAvgBitrate`, when `fBitrateInformationPresent`.
    fn average_bitrate(&self) -> Option<DWORD>;
}

/// Both structs carry the fields [`SparseInfo`] reads, under the same names.
macro_rules! sparse_info {
    ($($name:ident),*) => {$(
        impl SparseInfo for $name {
            const NAME: &'static str = stringify!($name);
            fn content_encoding(&self) -> LPCWSTR {
                self.pszContentEncoding
            }
            fn average_bitrate(&self) -> Option<DWORD> {
                (self.fBitrateInformationPresent != 0).then_some(self.dwAvgBitrate)
            }
        }
    )*};
}

sparse_info!(SSF_XML_STREAM_SPECIFIC_INFO, SSF_TEXT_STREAM_SPECIFIC_INFO);

/// A sparse stream's type-specific info struct, refused when it asks for a content
/// encoding (only unencoded samples are supported); its average bit rate stands in for a
/// `bitrate` of 0.
///
/// # Safety
/// As [`type_info_struct`], and the struct's strings follow its docs.
unsafe fn sparse_info<T: SparseInfo>(
    info: &SSF_STREAM_INFO,
    bitrate: &mut u32,
) -> Result<T, Failure> {
    // SAFETY: per the contract.
    let value: T = unsafe { type_info_struct(info, T::NAME) }?;
    // SAFETY: per the contract.
    if let Some(e) = unsafe { wide(value.content_encoding(), "pszContentEncoding") }?
        && !e.is_empty()
    {
        return Err(Failure::new(
            ssf_status::SSF_STATUS_UNSUPPORTED,
            format!("content encoding {e:?} is not supported yet"),
        ));
    }
    if *bitrate == 0
        && let Some(average) = value.average_bitrate()
    {
        *bitrate = average;
    }
    Ok(value)
}

/// Builds the stream configuration of an SSF_STREAM_INFO: codec from the type-specific
/// info, then the manifest fields.
///
/// # Safety
/// The pointers in `info` follow the SSF_STREAM_INFO docs.
unsafe fn stream_config(
    info: &SSF_STREAM_INFO,
    timescale: u32,
    sparse: Option<(StreamId, bool)>,
) -> Result<StreamConfig, Failure> {
    let mut bitrate = u32::try_from(info.dwBitrate)
        .map_err(|_| Failure::invalid(format!("dwBitrate {} is negative", info.dwBitrate)))?;
    let config = match (info.streamType, sparse) {
        (SSF_STREAM_AUDIO, None) => {
            // SAFETY: per the contract.
            StreamConfig::from_media_type(parse_wave_format_ex(unsafe { type_info(info) }?)?)?
        }
        (SSF_STREAM_VIDEO, None) => {
            // SAFETY: per the contract.
            StreamConfig::from_media_type(parse_video_info(unsafe { type_info(info) }?)?)?
        }
        (SSF_STREAM_TTML1, Some((parent, output))) => {
            StreamConfig::ttml(parent)?.manifest_output(output)
        }
        (SSF_STREAM_XML, Some((parent, output))) => {
            // SAFETY: per the contract.
            let x: SSF_XML_STREAM_SPECIFIC_INFO = unsafe { sparse_info(info, &mut bitrate) }?;
            // SAFETY: the struct's strings follow its docs.
            let namespace = unsafe { wide(x.pszNamespace, "pszNamespace") }?
                .ok_or_else(|| Failure::null("pszNamespace"))?;
            // SAFETY: as above.
            let schema =
                unsafe { wide(x.pszSchemaLocation, "pszSchemaLocation") }?.unwrap_or_default();
            StreamConfig::xml_metadata(parent, namespace, schema)?.manifest_output(output)
        }
        (SSF_STREAM_TEXT, Some((parent, output))) => {
            // SAFETY: per the contract.
            let t: SSF_TEXT_STREAM_SPECIFIC_INFO = unsafe { sparse_info(info, &mut bitrate) }?;
            // SAFETY: the struct's strings follow its docs.
            let mime = unsafe { wide(t.pszMimeFormat, "pszMimeFormat") }?
                .ok_or_else(|| Failure::null("pszMimeFormat"))?;
            StreamConfig::text_metadata(parent, mime)?.manifest_output(output)
        }
        (SSF_STREAM_AUDIO | SSF_STREAM_VIDEO, Some(_)) => {
            return Err(Failure::invalid(
                "audio and video streams are added with SSFMuxAddStream",
            ));
        }
        (SSF_STREAM_TTML1 | SSF_STREAM_XML | SSF_STREAM_TEXT, None) => {
            return Err(Failure::invalid(
                "TTML, XML and TEXT streams are sparse: add them with SSFMuxAddSparseStream",
            ));
        }
        (other, _) => {
            return Err(Failure::invalid(format!(
                "streamType {other} is not a stream type"
            )));
        }
    };
    // SAFETY: per the contract.
    let source = unsafe { wide(info.pszSourceFileName, "pszSourceFileName") }?
        .ok_or_else(|| Failure::null("pszSourceFileName (mandatory)"))?;
    let mut config = config
        .bitrate(bitrate)
        .timescale(timescale)
        .source_file_name(source);
    // SAFETY: per the contract.
    if let Some(name) = unsafe { wide(info.pszTrackName, "pszTrackName") }? {
        config = config.track_name(name);
    }
    if let Some(lang) = language(info.wLanguage)? {
        config = config.language(lang);
    }
    if let Ok(index) = u32::try_from(info.dwBitrateID) {
        config = config.quality_index(index);
    }
    Ok(config)
}

/// Adds a stream described by `info`, sparse when `sparse` names a parent.
///
/// # Safety
/// As [`stream_config`]; `out` is writable when non-NULL.
unsafe fn add_stream(
    m: &mut CompatMux,
    info: *const SSF_STREAM_INFO,
    sparse: Option<(DWORD, BOOL)>,
    out: *mut DWORD,
) -> Result<HRESULT, Failure> {
    need(out, "pdwStreamIndex")?;
    // SAFETY: per the contract.
    let info = unsafe { info.as_ref() }.ok_or_else(|| Failure::null("pStreamInfo"))?;
    let timescale = m.settings.timescale;
    let mux = m.muxer_or_create()?;
    let sparse = sparse.map(|(parent, output)| (stream_id(parent), output != 0));
    // SAFETY: per the contract.
    let config = unsafe { stream_config(info, timescale, sparse) }?;
    let id = mux.add_stream(config)?;
    let index = stream_number(id)?;
    let timed = ReorderBuffer::new(id, mux.stream_config(id)?, mux.options().timescale);
    m.streams.push(timed);
    // SAFETY: checked non-NULL.
    unsafe { write_out(out, index) };
    Ok(S_OK)
}

/// Adds an audio or video stream; its index goes to `*pdwStreamIndex`. The first call
/// freezes the options.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pStreamInfo` NULL or a valid SSF_STREAM_INFO whose
/// pointers follow its docs; `pdwStreamIndex` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxAddStream(
    hSSFMux: SSFMUXHANDLE,
    pStreamInfo: *const SSF_STREAM_INFO,
    pdwStreamIndex: *mut DWORD,
) -> HRESULT {
    // SAFETY: per the contract.
    unsafe {
        on_mux(hSSFMux, |m| {
            add_stream(m, pStreamInfo, None, pdwStreamIndex)
        })
    }
}

/// Adds a sparse stream (TTML, XML or TEXT) belonging to `dwParentStreamIndex`; with
/// `fOutputToManifest` its samples are also written into the client manifest.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// As SSFMuxAddStream.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxAddSparseStream(
    hSSFMux: SSFMUXHANDLE,
    pStreamInfo: *const SSF_STREAM_INFO,
    dwParentStreamIndex: DWORD,
    fOutputToManifest: BOOL,
    pdwStreamIndex: *mut DWORD,
) -> HRESULT {
    let sparse = Some((dwParentStreamIndex, fOutputToManifest));
    // SAFETY: per the contract.
    unsafe {
        on_mux(hSSFMux, |m| {
            add_stream(m, pStreamInfo, sparse, pdwStreamIndex)
        })
    }
}
