//! The `SSFMux*` API of `include/ssfsdkapi.h`, source-compatible with Microsoft's
//! `ssfsdkapi.h`: same function names and parameters, same struct layouts and constant
//! values, HRESULT results. Windows types get portable typedefs in the header (DWORD is
//! `uint32_t`, wide strings are UTF-16 code units as on Windows).
//!
//! Each call maps onto the Rust [`Muxer`] in manual-fragmenting mode: a fragment closes
//! exactly when the caller calls `SSFMuxProcessOutput` (after an optional
//! `SSFMuxAdjustDuration`, which makes it [`Muxer::flush_at`]). Samples carry
//! presentation times and go through [`ReorderBuffer`] one fragment at a time, which
//! checks each as it comes against everything the muxer could later fail on: a bad
//! sample is refused by `SSFMuxProcessInput` alone, and `SSFMuxProcessOutput` never fails
//! because of one.
//! Options are collected until the first stream is added, when the muxer is created
//! with them.
//!
//! Thread safety: like the original, a handle must not be used by two threads at once.
//! Unlike the original, breaking that rule does no harm: a call that finds its handle in
//! use by another thread returns E_UNEXPECTED, does nothing and says why (the busy guard
//! every handle has, `super::handle`). Output buffers (`SSF_BUFFER::pbBuffer`) are owned by the handle and stay valid until
//! the next call on it. Every failure leaves a message for `SSFMuxGetLastErrorMessage`.

use std::ffi::{CString, c_char, c_void};

use bytes::Bytes;
use zeroize::Zeroizing;

use super::handle::{Castable, bytes, free_handle, handle_mut, into_handle, items, write_out};
use super::native::last_error_of;
use super::status::{Failure, boundary, c_message, set_thread_error, ssf_status};
use crate::codec::MediaKind;
use crate::codec::media_type::{parse_video_info, parse_wave_format_ex};
use crate::drm::{ContentKey, KeySeed, Kid, Protection};
use crate::mux::{
    LIVE_END_OF_STREAM, MAX_SAMPLE_SIZE, Muxer, Options, ReorderBuffer, SMOOTH_TIMESCALE, Sample,
    StreamConfig, StreamId,
};

/// Windows `DWORD`.
pub type DWORD = u32;
/// Windows `WORD`.
pub type WORD = u16;
/// Windows `BYTE`.
pub type BYTE = u8;
/// Windows `INT32`.
pub type INT32 = i32;
/// Windows `UINT64`.
pub type UINT64 = u64;
/// Windows `ULONG` (32 bits, as on Windows).
pub type ULONG = u32;
/// Windows `BOOL` (an `int`).
pub type BOOL = i32;
/// Windows `HRESULT`: negative on failure.
pub type HRESULT = i32;
/// Windows `LPVOID`.
pub type LPVOID = *mut c_void;
/// Windows `LPCVOID`.
pub type LPCVOID = *const c_void;
/// One UTF-16 code unit (Windows `WCHAR`; `char16_t` in C++ so `u"..."` literals fit).
pub type WCHAR = u16;
/// A NUL-terminated UTF-16 string.
pub type LPCWSTR = *const WCHAR;

/// `SSF_STREAM_TYPE`: what a stream carries (values of the original enum).
pub type SSF_STREAM_TYPE = u32;
/// Audio; type-specific info is a WAVEFORMATEX.
pub const SSF_STREAM_AUDIO: SSF_STREAM_TYPE = 1;
/// Video; type-specific info is a VIDEOINFOHEADER2 or an MPEG2VIDEOINFO.
pub const SSF_STREAM_VIDEO: SSF_STREAM_TYPE = 2;
/// TTML captions (sparse); no type-specific info.
pub const SSF_STREAM_TTML1: SSF_STREAM_TYPE = 3;
/// XML metadata (sparse); type-specific info is an SSF_XML_STREAM_SPECIFIC_INFO.
pub const SSF_STREAM_XML: SSF_STREAM_TYPE = 4;
/// Text metadata (sparse); type-specific info is an SSF_TEXT_STREAM_SPECIFIC_INFO.
pub const SSF_STREAM_TEXT: SSF_STREAM_TYPE = 5;
/// No stream type (refused).
pub const SSF_STREAM_NONE: SSF_STREAM_TYPE = 6;

/// `SSF_FRAME_TYPE`: a bit mask; a video sample with the I bit is a sync sample.
pub type SSF_FRAME_TYPE = u32;
/// Intra (key) frame.
pub const FRAMETYPE_I: SSF_FRAME_TYPE = 0x01;
/// Predicted frame.
pub const FRAMETYPE_P: SSF_FRAME_TYPE = 0x02;
/// Bidirectional frame.
pub const FRAMETYPE_B: SSF_FRAME_TYPE = 0x04;
/// VC-1 intra-coded B frame (not a random access point).
pub const FRAMETYPE_BI: SSF_FRAME_TYPE = 0x08;
/// Skipped frame.
pub const FRAMETYPE_S: SSF_FRAME_TYPE = 0x10;
/// Unknown frame type.
pub const FRAMETYPE_UNKNOWN: SSF_FRAME_TYPE = 0x00;

/// `SSF_SAMPLE_FLAGS`: which optional fields of SSF_SAMPLE are valid.
pub type SSF_SAMPLE_FLAGS = DWORD;
/// `qwSampleStartTime` is valid (required by this library).
pub const SSF_SAMPLE_FLAG_START_TIME: SSF_SAMPLE_FLAGS = 0x01;
/// `qwSampleDuration` is valid.
pub const SSF_SAMPLE_FLAG_DURATION: SSF_SAMPLE_FLAGS = 0x02;
/// `FrameType` is valid.
pub const SSF_SAMPLE_FLAG_FRAME_TYPE: SSF_SAMPLE_FLAGS = 0x04;

/// `SSF_MUX_OPTION`: the options of SSFMuxSetOption / SSFMuxQueryOption.
pub type SSF_MUX_OPTION = u32;
/// u32, default 0. Non-zero enables live mode, for a caller that POSTs the bytes to a
/// publishing point himself: SSFMuxGetHeader returns the live header (`ftyp`, the Live
/// Server Manifest box listing the streams asked, `moov` with zero durations), available
/// right after SSFMuxAddStream when the stream's configuration and bit rate are given
/// (else once its first fragment is out); SSFMuxGetIndex returns the 8-byte empty `mfra`
/// that ends a live stream. Fragments are the same in both modes.
pub const SSF_MUX_OPTION_LIVE_MODE: SSF_MUX_OPTION = 0;
/// u32, default 1. Live mode: the manifest box (the Live Server Manifest box, which IIS
/// requires) in the header. 0 (a live header without it) is not supported: GetHeader
/// then returns E_NOTIMPL.
pub const SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE: SSF_MUX_OPTION = 1;
/// u32. Non-zero: every `c` of the client manifest lists an `f` element per QualityLevel;
/// 0 (default): only sparse streams with ManifestOutput have them.
pub const SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST: SSF_MUX_OPTION = 2;
/// i64, default 10 000 000. Ticks per second of the sample times of streams added after.
pub const SSF_MUX_OPTION_TIME_SCALE: SSF_MUX_OPTION = 3;
/// u32. Accepted either way: this library always writes per-sample durations in `trun`,
/// which is what a non-zero value asks for and is also correct for fixed-rate input.
pub const SSF_MUX_OPTION_VARIABLE_RATE: SSF_MUX_OPTION = 4;
/// u32. Non-zero encrypts every audio and video stream (PlayReady, AES-128-CTR); needs
/// KEY_ID and either KEY_SEED or CONTENT_KEY.
pub const SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM: SSF_MUX_OPTION = 5;
/// GUID (16 bytes, Windows in-memory order). The key ID.
pub const SSF_MUX_OPTION_PLAYREADY_KEY_ID: SSF_MUX_OPTION = 6;
/// `unsigned char[40]`: the key seed (base64 text of a 30-byte seed, or raw bytes).
pub const SSF_MUX_OPTION_PLAYREADY_KEY_SEED: SSF_MUX_OPTION = 7;
/// GUID-sized (16 bytes): the AES-128 content key, used as is.
pub const SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY: SSF_MUX_OPTION = 8;
/// Wide string: the license acquisition URL (`LA_URL`).
pub const SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL: SSF_MUX_OPTION = 9;
/// Wide string: the license UI URL (`LUI_URL`).
pub const SSF_MUX_OPTION_PLAYREADY_UI_URL: SSF_MUX_OPTION = 10;
/// u64: the first IV; random when not given.
pub const SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR: SSF_MUX_OPTION = 11;

/// The muxer handle, as in the original header.
pub type SSFMUXHANDLE = *mut c_void;

/// A byte range of a sample.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_RANGE {
    /// Offset from the start of the sample.
    pub dwOffset: DWORD,
    /// Length in bytes.
    pub dwLength: DWORD,
}

/// One input sample for SSFMuxProcessInput.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_SAMPLE {
    /// The sample data (read during the call only).
    pub pSampleData: LPVOID,
    /// Its size in bytes.
    pub cbSampleData: DWORD,
    /// Which of the optional fields below are valid.
    pub flags: SSF_SAMPLE_FLAGS,
    /// Presentation time of the sample, in the TIME_SCALE option's ticks.
    pub qwSampleStartTime: UINT64,
    /// Duration of the sample.
    pub qwSampleDuration: UINT64,
    /// Frame type bits; for video, the I bit marks a sync sample.
    pub FrameType: SSF_FRAME_TYPE,
    /// Optional user data (accepted and not stored: the format has no place for it).
    pub pUserData: LPVOID,
    /// Size of the user data.
    pub cbUserData: DWORD,
    /// Optional ranges to encrypt when PlayReady is on, instead of the codec's choice.
    pub prgProtectedRanges: *mut SSF_RANGE,
    /// Number of entries of prgProtectedRanges.
    pub cProtectedRanges: DWORD,
}

/// Output of the SSFMux* calls: bytes owned by the muxer handle, valid until the next
/// call on it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_BUFFER {
    /// The data.
    pub pbBuffer: *mut BYTE,
    /// Its size in bytes (0 when there is nothing).
    pub cbBuffer: DWORD,
    /// Fragment start time (SSFMuxProcessOutput), presentation ticks.
    pub qwTime: UINT64,
    /// Fragment duration (SSFMuxProcessOutput).
    pub qwDuration: UINT64,
}

/// Stream description for SSFMuxAddStream / SSFMuxAddSparseStream.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_STREAM_INFO {
    /// One of the SSF_STREAM_* values.
    pub streamType: SSF_STREAM_TYPE,
    /// Average bit rate in bits per second.
    pub dwBitrate: INT32,
    /// QualityLevel `Index` in the client manifest.
    pub dwBitrateID: INT32,
    /// Optional hardware profile (accepted; not written).
    pub dwHardwareProfile: DWORD,
    /// WAVEFORMATEX (audio), VIDEOINFOHEADER2 or MPEG2VIDEOINFO (video), the sparse
    /// stream structs (XML, TEXT), or nothing (TTML).
    pub pTypeSpecificInfo: LPCVOID,
    /// Size of pTypeSpecificInfo in bytes.
    pub cbTypeSpecificInfo: DWORD,
    /// ISO 639-2/T language packed as in `mdhd` (0 for none).
    pub wLanguage: WORD,
    /// Mandatory: the file the server manifest points at, e.g. `u"Video.ismv"`.
    pub pszSourceFileName: LPCWSTR,
    /// Optional StreamIndex name ("video" / "audio" when NULL).
    pub pszTrackName: LPCWSTR,
}

/// Type-specific info of an SSF_STREAM_XML stream.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_XML_STREAM_SPECIFIC_INFO {
    /// Optional content encoding (only none is supported).
    pub pszContentEncoding: LPCWSTR,
    /// Namespace of the XML samples.
    pub pszNamespace: LPCWSTR,
    /// Optional schema location.
    pub pszSchemaLocation: LPCWSTR,
    /// Whether the three bit rate fields are set.
    pub fBitrateInformationPresent: BOOL,
    /// Decoding buffer size in bytes.
    pub dwBufferSizeDB: DWORD,
    /// Average bit rate (used when dwBitrate is 0).
    pub dwAvgBitrate: DWORD,
    /// Maximum bit rate.
    pub dwMaxBitrate: DWORD,
}

/// Type-specific info of an SSF_STREAM_TEXT stream.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SSF_TEXT_STREAM_SPECIFIC_INFO {
    /// Optional content encoding (only none is supported).
    pub pszContentEncoding: LPCWSTR,
    /// MIME type of the text samples.
    pub pszMimeFormat: LPCWSTR,
    /// Whether the three bit rate fields are set.
    pub fBitrateInformationPresent: BOOL,
    /// Decoding buffer size in bytes.
    pub dwBufferSizeDB: DWORD,
    /// Average bit rate (used when dwBitrate is 0).
    pub dwAvgBitrate: DWORD,
    /// Maximum bit rate.
    pub dwMaxBitrate: DWORD,
}

// HRESULT values (the header defines the same names for C callers).
const S_OK: HRESULT = 0;
const S_FALSE: HRESULT = 1;
const E_NOTIMPL: HRESULT = 0x8000_4001_u32 as i32;
const E_POINTER: HRESULT = 0x8000_4003_u32 as i32;
const E_FAIL: HRESULT = 0x8000_4005_u32 as i32;
const E_UNEXPECTED: HRESULT = 0x8000_FFFF_u32 as i32;
const E_OUTOFMEMORY: HRESULT = 0x8007_000E_u32 as i32;
const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as i32;
/// HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER).
const E_NOT_SUFFICIENT_BUFFER: HRESULT = 0x8007_007A_u32 as i32;

/// Longest wide string read (in code units) before a missing terminator is assumed.
const MAX_WIDE_STRING: usize = 1 << 16;
/// Largest type-specific info accepted.
const MAX_TYPE_INFO: usize = 1 << 20;

fn hresult(status: ssf_status) -> HRESULT {
    use ssf_status::*;
    match status {
        SSF_STATUS_OK => S_OK,
        SSF_STATUS_NULL_PARAMETER => E_POINTER,
        SSF_STATUS_INVALID_ARGUMENT
        | SSF_STATUS_INVALID_CONFIG
        | SSF_STATUS_MALFORMED
        | SSF_STATUS_UNKNOWN_STREAM
        | SSF_STATUS_INVALID_SAMPLE
        | SSF_STATUS_INVALID_STRING
        | SSF_STATUS_INVALID_URL => E_INVALIDARG,
        SSF_STATUS_INVALID_STATE
        | SSF_STATUS_IO
        | SSF_STATUS_LIVE_FAILED
        | SSF_STATUS_LIVE_SETUP => E_FAIL,
        SSF_STATUS_UNSUPPORTED => E_NOTIMPL,
        SSF_STATUS_OUTPUT_TOO_LARGE => E_OUTOFMEMORY,
        // The original has no busy code; E_UNEXPECTED is its answer to a call that
        // should not have happened now.
        SSF_STATUS_BUSY | SSF_STATUS_PANIC => E_UNEXPECTED,
    }
}

/// The options of the original API, as set so far.
#[derive(Default)]
struct Settings {
    live: u32,
    manifest_box: u32,
    fragment_elements: u32,
    timescale: u32,
    variable_rate: u32,
    drm: u32,
    kid: Option<[u8; 16]>,
    seed: Option<Zeroizing<[u8; 40]>>,
    content_key: Option<Zeroizing<[u8; 16]>>,
    la_url: Option<Vec<u16>>,
    ui_url: Option<Vec<u16>>,
    iv: Option<u64>,
}

/// The type an SSFMUXHANDLE (a `void *` in C) really points to, for the handle helpers.
pub(crate) struct SsfMux {
    _private: [u8; 0],
}

impl Castable for SsfMux {
    type Rust = CompatMux;
}

/// What an SSFMUXHANDLE points to (inside the busy guard every handle has).
pub(crate) struct CompatMux {
    settings: Settings,
    /// Created with the settings when the first stream is added.
    mux: Option<Muxer>,
    /// Per stream, in the order added: the current fragment's samples, checked as they
    /// come and timed by presentation time until SSFMuxProcessOutput derives their decode
    /// times and hands them to the muxer, and the end SSFMuxAdjustDuration set for it.
    streams: Vec<ReorderBuffer>,
    /// Live mode: each live header handed out, by the streams it was asked for. A live
    /// stream keeps its header (the server compares it on every reconnect), so later
    /// calls return these bytes even when a measured bit rate has moved since.
    live_headers: Vec<(Vec<StreamId>, Vec<u8>)>,
    output: Vec<u8>,
    error: CString,
}

impl CompatMux {
    fn new() -> Self {
        Self {
            settings: Settings {
                manifest_box: 1,
                timescale: SMOOTH_TIMESCALE,
                ..Settings::default()
            },
            mux: None,
            streams: Vec::new(),
            live_headers: Vec::new(),
            output: Vec::new(),
            error: CString::default(),
        }
    }

    fn muxer(&mut self) -> Result<&mut Muxer, Failure> {
        self.mux.as_mut().ok_or_else(|| {
            Failure::new(
                ssf_status::SSF_STATUS_INVALID_STATE,
                "no stream has been added yet (call SSFMuxAddStream first)",
            )
        })
    }

    /// The collector of stream `id`'s current fragment.
    fn stream(&mut self, id: StreamId) -> Result<&mut ReorderBuffer, Failure> {
        self.streams
            .get_mut(id.index())
            .ok_or_else(|| Failure::from(crate::error::Error::UnknownStream(id.index())))
    }

    /// The muxer, created from the options on first use.
    fn muxer_or_create(&mut self) -> Result<&mut Muxer, Failure> {
        if self.mux.is_none() {
            let mut options = Options::default()
                .manual()
                .fragment_elements(self.settings.fragment_elements != 0);
            if let Some(p) = self.protection()? {
                options = options.protection(p);
            }
            self.mux = Some(Muxer::new(options)?);
        }
        self.muxer()
    }

    fn protection(&self) -> Result<Option<Protection>, Failure> {
        let s = &self.settings;
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

    fn hand_out(
        &mut self,
        bytes: Vec<u8>,
        time: u64,
        duration: u64,
        out: *mut SSF_BUFFER,
    ) -> Result<(), Failure> {
        let len = DWORD::try_from(bytes.len()).map_err(|_| {
            Failure::new(
                ssf_status::SSF_STATUS_OUTPUT_TOO_LARGE,
                format!("{} bytes do not fit SSF_BUFFER::cbBuffer", bytes.len()),
            )
        })?;
        self.output = bytes;
        let value = SSF_BUFFER {
            pbBuffer: if len == 0 {
                std::ptr::null_mut()
            } else {
                self.output.as_mut_ptr()
            },
            cbBuffer: len,
            qwTime: time,
            qwDuration: duration,
        };
        // SAFETY: callers check `out` for NULL first; the C contract makes it writable.
        unsafe { write_out(out, value) };
        Ok(())
    }
}

fn utf16_text(units: &[u16], what: &str) -> Result<String, Failure> {
    String::from_utf16(units).map_err(|_| {
        Failure::new(
            ssf_status::SSF_STATUS_INVALID_STRING,
            format!("{what} is not valid UTF-16"),
        )
    })
}

/// Reads a NUL-terminated wide string; None for NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated UTF-16 string.
unsafe fn wide(ptr: LPCWSTR, what: &str) -> Result<Option<String>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    let mut len = 0;
    // SAFETY: per the contract, every unit up to the terminator is readable.
    while unsafe { *ptr.add(len) } != 0 {
        len += 1;
        if len > MAX_WIDE_STRING {
            return Err(Failure::invalid(format!(
                "{what} has no terminator within {MAX_WIDE_STRING} characters"
            )));
        }
    }
    // SAFETY: the `len` units before the terminator were just read.
    let units = unsafe { std::slice::from_raw_parts(ptr, len) };
    utf16_text(units, what).map(Some)
}

/// Runs a call on a compat handle inside the panic boundary, returning its HRESULT. The
/// handle is borrowed through the busy guard of every handle (`super::handle`): a call
/// while another thread is inside one on the same handle returns E_UNEXPECTED.
fn on_mux(
    handle: SSFMUXHANDLE,
    body: impl FnOnce(&mut CompatMux) -> Result<HRESULT, Failure>,
) -> HRESULT {
    boundary(E_UNEXPECTED, || {
        if handle.is_null() {
            set_thread_error("hSSFMux must not be NULL");
            return E_INVALIDARG;
        }
        // SAFETY: the caller passes a handle from SSFMuxCreate (documented).
        let mut mux = match unsafe { handle_mut(handle.cast::<SsfMux>(), "hSSFMux") } {
            Ok(m) => m,
            Err(f) => {
                set_thread_error(&f.message);
                return hresult(f.status);
            }
        };
        match body(&mut mux) {
            Ok(hr) => hr,
            Err(f) => {
                set_thread_error(&f.message);
                mux.error = c_message(&f.message);
                hresult(f.status)
            }
        }
    })
}

fn need<T>(ptr: *const T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

/// Unpacks an `mdhd`-style ISO 639-2/T code.
fn language(packed: WORD) -> Result<Option<String>, Failure> {
    if packed == 0 {
        return Ok(None);
    }
    let code: Option<String> = [10u16, 5, 0]
        .iter()
        .map(|shift| {
            let c = ((packed >> shift) & 31) as u8 + 0x60;
            c.is_ascii_lowercase().then_some(char::from(c))
        })
        .collect();
    code.map(Some).ok_or_else(|| {
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

fn no_content_encoding(encoding: Option<String>) -> Result<(), Failure> {
    match encoding {
        Some(e) if !e.is_empty() => Err(Failure::new(
            ssf_status::SSF_STATUS_UNSUPPORTED,
            format!("content encoding {e:?} is not supported yet"),
        )),
        _ => Ok(()),
    }
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
            let x: SSF_XML_STREAM_SPECIFIC_INFO =
                unsafe { type_info_struct(info, "SSF_XML_STREAM_SPECIFIC_INFO") }?;
            // SAFETY: the struct's strings follow its docs.
            no_content_encoding(unsafe { wide(x.pszContentEncoding, "pszContentEncoding") }?)?;
            // SAFETY: as above.
            let namespace = unsafe { wide(x.pszNamespace, "pszNamespace") }?
                .ok_or_else(|| Failure::null("pszNamespace"))?;
            // SAFETY: as above.
            let schema =
                unsafe { wide(x.pszSchemaLocation, "pszSchemaLocation") }?.unwrap_or_default();
            if bitrate == 0 && x.fBitrateInformationPresent != 0 {
                bitrate = x.dwAvgBitrate;
            }
            StreamConfig::xml_metadata(parent, namespace, schema)?.manifest_output(output)
        }
        (SSF_STREAM_TEXT, Some((parent, output))) => {
            // SAFETY: per the contract.
            let t: SSF_TEXT_STREAM_SPECIFIC_INFO =
                unsafe { type_info_struct(info, "SSF_TEXT_STREAM_SPECIFIC_INFO") }?;
            // SAFETY: the struct's strings follow its docs.
            no_content_encoding(unsafe { wide(t.pszContentEncoding, "pszContentEncoding") }?)?;
            // SAFETY: as above.
            let mime = unsafe { wide(t.pszMimeFormat, "pszMimeFormat") }?
                .ok_or_else(|| Failure::null("pszMimeFormat"))?;
            if bitrate == 0 && t.fBitrateInformationPresent != 0 {
                bitrate = t.dwAvgBitrate;
            }
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
    let sparse = sparse.map(|(parent, output)| (StreamId(parent as usize), output != 0));
    // SAFETY: per the contract.
    let config = unsafe { stream_config(info, timescale, sparse) }?;
    let id = mux.add_stream(config)?;
    let index = DWORD::try_from(id.index()).map_err(|_| Failure::invalid("too many streams"))?;
    let timed = ReorderBuffer::new(id, mux.stream_config(id)?, mux.options().timescale);
    m.streams.push(timed);
    // SAFETY: checked non-NULL.
    unsafe { write_out(out, index) };
    Ok(S_OK)
}

/// Creates a muxer. Destroy it with SSFMuxDestroy.
///
/// Thread safety: safe from any thread (it creates a new handle or reads static data).
///
/// # Safety
/// `phSSFMux` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxCreate(phSSFMux: *mut SSFMUXHANDLE) -> HRESULT {
    boundary(E_UNEXPECTED, || {
        if phSSFMux.is_null() {
            set_thread_error("phSSFMux must not be NULL");
            return E_POINTER;
        }
        let handle = into_handle::<SsfMux>(CompatMux::new()).cast::<c_void>();
        // SAFETY: checked non-NULL.
        unsafe { write_out(phSSFMux, handle) };
        S_OK
    })
}

/// Destroys a muxer and every buffer it handed out. NULL returns E_INVALIDARG.
///
/// Thread safety: no call may use the handle after this one. If a call on another thread
/// is still inside the handle, nothing is destroyed and E_UNEXPECTED is returned
/// (`SSFMuxGetLastErrorMessage(NULL)` says why): destroying it then would pull the memory
/// from under that call. Destroy it again once that call returned.
///
/// # Safety
/// `hSSFMux` is NULL or a handle from SSFMuxCreate, not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxDestroy(hSSFMux: SSFMUXHANDLE) -> HRESULT {
    boundary(E_UNEXPECTED, || {
        if hSSFMux.is_null() {
            set_thread_error("hSSFMux must not be NULL");
            return E_INVALIDARG;
        }
        // SAFETY: per the contract, a live handle from SSFMuxCreate.
        hresult(unsafe { free_handle(hSSFMux.cast::<SsfMux>(), "hSSFMux") })
    })
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
    on_mux(hSSFMux, |m| unsafe {
        add_stream(m, pStreamInfo, None, pdwStreamIndex)
    })
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
    on_mux(hSSFMux, |m| {
        // SAFETY: per the contract.
        unsafe {
            add_stream(
                m,
                pStreamInfo,
                Some((dwParentStreamIndex, fOutputToManifest)),
                pdwStreamIndex,
            )
        }
    })
}

/// Adds a sample to a stream. Samples come in decode order; `qwSampleStartTime` (flag
/// SSF_SAMPLE_FLAG_START_TIME, required) is the presentation time, as DirectShow gives
/// it. Samples are held until SSFMuxProcessOutput, which derives their decode times
/// (see the Rust `ReorderBuffer`): video with B-frames is then presented a constant
/// one or two frames late (the reorder delay), as in any MP4 without an edit list.
///
/// A sample is checked here against everything that could make its fragment fail later,
/// and refused with E_INVALIDARG and a message naming the stream and sample when its
/// time cannot be placed: before the start of the fragment being built (before its
/// keyframe, or not after the previous fragment), at another sample's time or within half
/// a frame of it, presented before more than 16 samples given before it (no decoder
/// reorders more), before the previous sample (audio, text), after the end set by
/// SSFMuxAdjustDuration, overflowing, or giving a sample a duration or composition offset
/// over 32 bits; or when its payload is refused (empty, too large, bad NAL framing, not
/// a keyframe first). A refused sample changes nothing: the samples before and after it
/// are muxed exactly as if it had never been sent.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pInputBuffer` NULL or a valid SSF_SAMPLE whose pointers
/// follow its docs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxProcessInput(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    pInputBuffer: *mut SSF_SAMPLE,
) -> HRESULT {
    on_mux(hSSFMux, |m| {
        // SAFETY: per the contract.
        let s = unsafe { pInputBuffer.as_ref() }.ok_or_else(|| Failure::null("pInputBuffer"))?;
        let id = StreamId(dwStreamIndex as usize);
        let kind = m.muxer()?.stream_config(id)?.codec().kind();
        if s.flags & SSF_SAMPLE_FLAG_START_TIME == 0 {
            return Err(Failure::invalid(
                "qwSampleStartTime is required (set SSF_SAMPLE_FLAG_START_TIME)",
            ));
        }
        let len = s.cbSampleData as usize;
        if len > MAX_SAMPLE_SIZE {
            return Err(Failure::invalid(format!(
                "cbSampleData {len} is over the {MAX_SAMPLE_SIZE}-byte sample limit"
            )));
        }
        // SAFETY: per the contract; the size is bounded above.
        let data = unsafe { bytes(s.pSampleData.cast::<u8>(), len, "pSampleData") }?;
        // Audio and text samples are all sync samples; video ones are when marked I.
        let sync = kind != MediaKind::Video || s.FrameType & FRAMETYPE_I != 0;
        let mut sample = Sample::new(Bytes::copy_from_slice(data), s.qwSampleStartTime).sync(sync);
        if s.flags & SSF_SAMPLE_FLAG_DURATION != 0 {
            sample = sample.duration(s.qwSampleDuration);
        }
        if s.cProtectedRanges != 0 {
            // SAFETY: per the contract.
            let ranges = unsafe {
                items(
                    s.prgProtectedRanges.cast_const(),
                    s.cProtectedRanges as usize,
                    "prgProtectedRanges",
                )
            }?;
            sample = sample.protected_ranges(
                ranges
                    .iter()
                    .map(|r| (r.dwOffset, r.dwLength))
                    .collect::<Vec<_>>(),
            );
        }
        m.stream(id)?.push(sample)?;
        Ok(S_OK)
    })
}

/// Closes the stream's current fragment and returns it (moof + mdat) with its time and
/// duration. It ends at the time given by SSFMuxAdjustDuration, if one was given since
/// the last fragment. Returns S_FALSE with an empty buffer when no sample is pending.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pOutputBuffer` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxProcessOutput(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    pOutputBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    on_mux(hSSFMux, |m| {
        need(pOutputBuffer, "pOutputBuffer")?;
        let id = StreamId(dwStreamIndex as usize);
        m.muxer()?;
        let release = m.stream(id)?.drain()?;
        let mux = m.muxer()?;
        // Every sample was checked against the muxer when it came in, so none of these
        // fails because of one sample (see ReorderBuffer).
        for sample in release.samples {
            mux.push(id, sample)?;
        }
        let fragment = match release.end {
            Some(end) => mux.flush_at(id, end)?,
            None => mux.flush(id)?,
        };
        match fragment {
            Some(f) => {
                m.hand_out(f.to_vec(), f.time, f.duration, pOutputBuffer)?;
                Ok(S_OK)
            }
            None => {
                m.hand_out(Vec::new(), 0, 0, pOutputBuffer)?;
                Ok(S_FALSE)
            }
        }
    })
}

/// Sets the end time (stream timescale) of the stream's current fragment, which the next
/// SSFMuxProcessOutput closes: the last sample then lasts until `qwTime`. An end before
/// the fragment's last decode time, or that would make the last sample last more than 32
/// bits of ticks, is refused with E_INVALIDARG and changes nothing.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxAdjustDuration(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    qwTime: UINT64,
) -> HRESULT {
    on_mux(hSSFMux, |m| {
        let id = StreamId(dwStreamIndex as usize);
        m.muxer()?;
        m.stream(id)?.set_end(qwTime)?;
        Ok(S_OK)
    })
}

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
    on_mux(hSSFMux, |m| {
        need(pBuffer, "pBuffer")?;
        let xml = m.muxer()?.client_manifest()?;
        m.hand_out(xml.into_bytes(), 0, 0, pBuffer)?;
        Ok(S_OK)
    })
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
    on_mux(hSSFMux, |m| {
        need(pBuffer, "pBuffer")?;
        // SAFETY: per the contract.
        let path = unsafe {
            wide(
                pszClientManifestRelativePath,
                "pszClientManifestRelativePath",
            )
        }?
        .ok_or_else(|| Failure::null("pszClientManifestRelativePath"))?;
        let xml = m.muxer()?.server_manifest(&path)?;
        m.hand_out(xml.into_bytes(), 0, 0, pBuffer)?;
        Ok(S_OK)
    })
}

/// The stream ids of an index array.
///
/// # Safety
/// `indices` points to `count` DWORDs when `count > 0`.
unsafe fn ids(indices: *const DWORD, count: DWORD) -> Result<Vec<StreamId>, Failure> {
    if count == 0 {
        return Err(Failure::invalid("dwStreamCount must not be 0"));
    }
    // SAFETY: per the contract.
    let indices = unsafe { items(indices, count as usize, "pdwStreamIndices") }?;
    Ok(indices.iter().map(|i| StreamId(*i as usize)).collect())
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
    on_mux(hSSFMux, |m| {
        need(pBuffer, "pBuffer")?;
        // SAFETY: per the contract.
        let ids = unsafe { ids(pdwStreamIndices, dwStreamCount) }?;
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
        m.hand_out(header.to_vec(), 0, 0, pBuffer)?;
        Ok(S_OK)
    })
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
    on_mux(hSSFMux, |m| {
        need(pBuffer, "pBuffer")?;
        // SAFETY: per the contract.
        let ids = unsafe { ids(pdwStreamIndices, dwStreamCount) }?;
        let index = if m.settings.live != 0 {
            // Checks the indices like the on-demand index does.
            m.muxer()?.index(&ids)?;
            LIVE_END_OF_STREAM.to_vec()
        } else {
            m.muxer()?.index(&ids)?.to_vec()
        };
        m.hand_out(index, 0, 0, pBuffer)?;
        Ok(S_OK)
    })
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
    on_mux(hSSFMux, |m| {
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
        let s = &mut m.settings;
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
        Ok(S_OK)
    })
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
    on_mux(hSSFMux, |m| {
        // SAFETY: per the contract.
        let capacity = *unsafe { pcbBuffer.as_ref() }.ok_or_else(|| Failure::null("pcbBuffer"))?;
        let s = &m.settings;
        let value: Option<Zeroizing<Vec<u8>>> = match option {
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
        let Some(value) = value else {
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
    })
}

/// Extension (not in the original SDK): the message of the last failed call on
/// `hSSFMux`, or of the calling thread's last failure when `hSSFMux` is NULL ("" if
/// none). Owned by the library; valid until the next call on the handle (or the next
/// failing call on the thread).
///
/// Thread safety: may overlap other calls that only read the handle (none of the
/// original's do); while another thread's call is inside it, this returns the busy
/// message instead.
///
/// # Safety
/// `hSSFMux` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxGetLastErrorMessage(hSSFMux: SSFMUXHANDLE) -> *const c_char {
    if hSSFMux.is_null() {
        return boundary(c"".as_ptr(), super::status::thread_error);
    }
    last_error_of(hSSFMux.cast_const().cast::<SsfMux>(), "hSSFMux", |m| {
        &m.error
    })
}
