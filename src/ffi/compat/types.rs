//! The C mirrors of the original `ssfsdkapi.h`: Windows types, the SSF_* constants and
//! the structs, with the original's names, values and layouts.

use std::ffi::c_void;

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
