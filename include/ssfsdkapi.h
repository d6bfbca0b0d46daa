/*
 * ssfsdkapi.h: source-compatible replacement for Microsoft's IIS Smooth Streaming Format
 * SDK header, implemented by ssf. Same functions, structures and values; HRESULT codes.
 * Generated from src/ffi by cbindgen (build.rs); do not edit.
 *
 * Outside Windows the Windows types are defined here (DWORD = uint32_t, WCHAR = UTF-16
 * code unit: char16_t in C++, uint16_t in C, so wide strings are written u"...").
 * SSF_BUFFER bytes belong to the muxer handle and stay valid until the next call on it.
 * SSFMuxGetLastErrorMessage (an extension) gives the message of the last failure.
 * A call on a handle in use by another thread returns E_UNEXPECTED and does nothing
 * (SSFMuxDestroy included: destroy it again once the other call returned).
 */

#ifndef SSFSDKAPI_H
#define SSFSDKAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Windows types for ssfsdkapi.h on other systems. On Windows the SDK's own headers
 * provide them. Sizes and layouts are those of the Windows definitions. */
#if defined(_WIN32)
#include <windows.h>
#include <mmreg.h>
#include <dvdmedia.h>
#else
typedef uint32_t DWORD;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef int32_t INT32;
typedef uint64_t UINT64;
typedef uint32_t ULONG;
typedef int32_t BOOL;
typedef int32_t LONG;
typedef int32_t HRESULT;
typedef int64_t REFERENCE_TIME;
typedef void *LPVOID;
typedef const void *LPCVOID;
/* UTF-16 code units, as on Windows: char16_t in C++ so that u"..." literals fit. */
#if defined(__cplusplus)
typedef char16_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef const WCHAR *LPCWSTR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001u)
#define E_POINTER ((HRESULT)0x80004003u)
#define E_FAIL ((HRESULT)0x80004005u)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFu)
#define E_OUTOFMEMORY ((HRESULT)0x8007000Eu)
#define E_INVALIDARG ((HRESULT)0x80070057u)
#define E_NOT_SUFFICIENT_BUFFER ((HRESULT)0x8007007Au)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)

typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID;

typedef struct tagRECT {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
} RECT;

typedef struct tagBITMAPINFOHEADER {
    DWORD biSize;
    LONG biWidth;
    LONG biHeight;
    WORD biPlanes;
    WORD biBitCount;
    DWORD biCompression;
    DWORD biSizeImage;
    LONG biXPelsPerMeter;
    LONG biYPelsPerMeter;
    DWORD biClrUsed;
    DWORD biClrImportant;
} BITMAPINFOHEADER;

typedef struct tagVIDEOINFOHEADER2 {
    RECT rcSource;
    RECT rcTarget;
    DWORD dwBitRate;
    DWORD dwBitErrorRate;
    REFERENCE_TIME AvgTimePerFrame;
    DWORD dwInterlaceFlags;
    DWORD dwCopyProtectFlags;
    DWORD dwPictAspectRatioX;
    DWORD dwPictAspectRatioY;
    DWORD dwControlFlags;
    DWORD dwReserved2;
    BITMAPINFOHEADER bmiHeader;
} VIDEOINFOHEADER2;

typedef struct tagMPEG2VIDEOINFO {
    VIDEOINFOHEADER2 hdr;
    DWORD dwStartTimeCode;
    DWORD cbSequenceHeader;
    DWORD dwProfile;
    DWORD dwLevel;
    DWORD dwFlags;
    DWORD dwSequenceHeader[1];
} MPEG2VIDEOINFO;

/* WAVEFORMATEX is byte-packed on Windows: 18 bytes, then cbSize extra bytes. */
#pragma pack(push, 1)
typedef struct tWAVEFORMATEX {
    WORD wFormatTag;
    WORD nChannels;
    DWORD nSamplesPerSec;
    DWORD nAvgBytesPerSec;
    WORD nBlockAlign;
    WORD wBitsPerSample;
    WORD cbSize;
} WAVEFORMATEX;
#pragma pack(pop)

#define WAVE_FORMAT_RAW_AAC1 0x00FF
#define WAVE_FORMAT_MPEG_HEAAC 0x1610
#define WAVE_FORMAT_WMAUDIO2 0x0161
#define WAVE_FORMAT_WMAUDIO3 0x0162
#endif


/*
 The muxer handle, as in the original header.
 */
typedef void *SSFMUXHANDLE;

/*
 `SSF_STREAM_TYPE`: what a stream carries (values of the original enum).
 */
typedef uint32_t SSF_STREAM_TYPE;

/*
 Stream description for SSFMuxAddStream / SSFMuxAddSparseStream.
 */
typedef struct SSF_STREAM_INFO {
  /*
   One of the SSF_STREAM_* values.
   */
  SSF_STREAM_TYPE streamType;
  /*
   Average bit rate in bits per second.
   */
  INT32 dwBitrate;
  /*
   QualityLevel `Index` in the client manifest.
   */
  INT32 dwBitrateID;
  /*
   Optional hardware profile (accepted; not written).
   */
  DWORD dwHardwareProfile;
  /*
   WAVEFORMATEX (audio), VIDEOINFOHEADER2 or MPEG2VIDEOINFO (video), the sparse
   stream structs (XML, TEXT), or nothing (TTML).
   */
  LPCVOID pTypeSpecificInfo;
  /*
   Size of pTypeSpecificInfo in bytes.
   */
  DWORD cbTypeSpecificInfo;
  /*
   ISO 639-2/T language packed as in `mdhd` (0 for none).
   */
  WORD wLanguage;
  /*
   Mandatory: the file the server manifest points at, e.g. `u"Video.ismv"`.
   */
  LPCWSTR pszSourceFileName;
  /*
   Optional StreamIndex name ("video" / "audio" when NULL).
   */
  LPCWSTR pszTrackName;
} SSF_STREAM_INFO;

/*
 `SSF_SAMPLE_FLAGS`: which optional fields of SSF_SAMPLE are valid.
 */
typedef DWORD SSF_SAMPLE_FLAGS;

/*
 `SSF_FRAME_TYPE`: a bit mask; a video sample with the I bit is a sync sample.
 */
typedef uint32_t SSF_FRAME_TYPE;

/*
 A byte range of a sample.
 */
typedef struct SSF_RANGE {
  /*
   Offset from the start of the sample.
   */
  DWORD dwOffset;
  /*
   Length in bytes.
   */
  DWORD dwLength;
} SSF_RANGE;

/*
 One input sample for SSFMuxProcessInput.
 */
typedef struct SSF_SAMPLE {
  /*
   The sample data (read during the call only).
   */
  LPVOID pSampleData;
  /*
   Its size in bytes.
   */
  DWORD cbSampleData;
  /*
   Which of the optional fields below are valid.
   */
  SSF_SAMPLE_FLAGS flags;
  /*
   Presentation time of the sample, in the TIME_SCALE option's ticks.
   */
  UINT64 qwSampleStartTime;
  /*
   Duration of the sample.
   */
  UINT64 qwSampleDuration;
  /*
   Frame type bits; for video, the I bit marks a sync sample.
   */
  SSF_FRAME_TYPE FrameType;
  /*
   Optional user data (accepted and not stored: the format has no place for it).
   */
  LPVOID pUserData;
  /*
   Size of the user data.
   */
  DWORD cbUserData;
  /*
   Optional ranges to encrypt when PlayReady is on, instead of the codec's choice.
   */
  struct SSF_RANGE *prgProtectedRanges;
  /*
   Number of entries of prgProtectedRanges.
   */
  DWORD cProtectedRanges;
} SSF_SAMPLE;

/*
 Output of the SSFMux* calls: bytes owned by the muxer handle, valid until the next
 call on it.
 */
typedef struct SSF_BUFFER {
  /*
   The data.
   */
  BYTE *pbBuffer;
  /*
   Its size in bytes (0 when there is nothing).
   */
  DWORD cbBuffer;
  /*
   Fragment start time (SSFMuxProcessOutput), presentation ticks.
   */
  UINT64 qwTime;
  /*
   Fragment duration (SSFMuxProcessOutput).
   */
  UINT64 qwDuration;
} SSF_BUFFER;

/*
 `SSF_MUX_OPTION`: the options of SSFMuxSetOption / SSFMuxQueryOption.
 */
typedef uint32_t SSF_MUX_OPTION;

/*
 Audio; type-specific info is a WAVEFORMATEX.
 */
#define SSF_STREAM_AUDIO 1

/*
 Video; type-specific info is a VIDEOINFOHEADER2 or an MPEG2VIDEOINFO.
 */
#define SSF_STREAM_VIDEO 2

/*
 TTML captions (sparse); no type-specific info.
 */
#define SSF_STREAM_TTML1 3

/*
 XML metadata (sparse); type-specific info is an SSF_XML_STREAM_SPECIFIC_INFO.
 */
#define SSF_STREAM_XML 4

/*
 Text metadata (sparse); type-specific info is an SSF_TEXT_STREAM_SPECIFIC_INFO.
 */
#define SSF_STREAM_TEXT 5

/*
 No stream type (refused).
 */
#define SSF_STREAM_NONE 6

/*
 Intra (key) frame.
 */
#define FRAMETYPE_I 1

/*
 Predicted frame.
 */
#define FRAMETYPE_P 2

/*
 Bidirectional frame.
 */
#define FRAMETYPE_B 4

/*
 VC-1 intra-coded B frame (not a random access point).
 */
#define FRAMETYPE_BI 8

/*
 Skipped frame.
 */
#define FRAMETYPE_S 16

/*
 Unknown frame type.
 */
#define FRAMETYPE_UNKNOWN 0

/*
 `qwSampleStartTime` is valid (required by this library).
 */
#define SSF_SAMPLE_FLAG_START_TIME 1

/*
 `qwSampleDuration` is valid.
 */
#define SSF_SAMPLE_FLAG_DURATION 2

/*
 `FrameType` is valid.
 */
#define SSF_SAMPLE_FLAG_FRAME_TYPE 4

/*
 u32, default 0. Non-zero enables live mode, for a caller that POSTs the bytes to a
 publishing point himself: SSFMuxGetHeader returns the live header (`ftyp`, the Live
 Server Manifest box listing the streams asked, `moov` with zero durations), available
 right after SSFMuxAddStream when the stream's configuration and bit rate are given
 (else once its first fragment is out); SSFMuxGetIndex returns the 8-byte empty `mfra`
 that ends a live stream. Fragments are the same in both modes.
 */
#define SSF_MUX_OPTION_LIVE_MODE 0

/*
 u32, default 1. Live mode: the manifest box (the Live Server Manifest box, which IIS
 requires) in the header. 0 (a live header without it) is not supported: GetHeader
 then returns E_NOTIMPL.
 */
#define SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE 1

/*
 u32. Non-zero: every `c` of the client manifest lists an `f` element per QualityLevel;
 0 (default): only sparse streams with ManifestOutput have them.
 */
#define SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST 2

/*
 i64, default 10 000 000. Ticks per second of the sample times of streams added after.
 */
#define SSF_MUX_OPTION_TIME_SCALE 3

/*
 u32. Accepted either way: this library always writes per-sample durations in `trun`,
 which is what a non-zero value asks for and is also correct for fixed-rate input.
 */
#define SSF_MUX_OPTION_VARIABLE_RATE 4

/*
 u32. Non-zero encrypts every audio and video stream (PlayReady, AES-128-CTR); needs
 KEY_ID and either KEY_SEED or CONTENT_KEY.
 */
#define SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM 5

/*
 GUID (16 bytes, Windows in-memory order). The key ID.
 */
#define SSF_MUX_OPTION_PLAYREADY_KEY_ID 6

/*
 `unsigned char[40]`: the key seed (base64 text of a 30-byte seed, or raw bytes).
 */
#define SSF_MUX_OPTION_PLAYREADY_KEY_SEED 7

/*
 GUID-sized (16 bytes): the AES-128 content key, used as is.
 */
#define SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY 8

/*
 Wide string: the license acquisition URL (`LA_URL`).
 */
#define SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL 9

/*
 Wide string: the license UI URL (`LUI_URL`).
 */
#define SSF_MUX_OPTION_PLAYREADY_UI_URL 10

/*
 u64: the first IV; random when not given.
 */
#define SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR 11

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/*
 Creates a muxer. Destroy it with SSFMuxDestroy.

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `phSSFMux` is NULL or writable.
 */
HRESULT SSFMuxCreate(SSFMUXHANDLE *phSSFMux);

/*
 Destroys a muxer and every buffer it handed out. NULL returns E_INVALIDARG.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside the handle, nothing is destroyed and E_UNEXPECTED is returned
 (`SSFMuxGetLastErrorMessage(NULL)` says why): destroying it then would pull the memory
 from under that call. Destroy it again once that call returned.

 # Safety
 `hSSFMux` is NULL or a handle from SSFMuxCreate, not used after this call.
 */
HRESULT SSFMuxDestroy(SSFMUXHANDLE hSSFMux);

/*
 Adds an audio or video stream; its index goes to `*pdwStreamIndex`. The first call
 freezes the options.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pStreamInfo` NULL or a valid SSF_STREAM_INFO whose
 pointers follow its docs; `pdwStreamIndex` NULL or writable.
 */
HRESULT SSFMuxAddStream(SSFMUXHANDLE hSSFMux,
                        const struct SSF_STREAM_INFO *pStreamInfo,
                        DWORD *pdwStreamIndex);

/*
 Adds a sparse stream (TTML, XML or TEXT) belonging to `dwParentStreamIndex`; with
 `fOutputToManifest` its samples are also written into the client manifest.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 As SSFMuxAddStream.
 */
HRESULT SSFMuxAddSparseStream(SSFMUXHANDLE hSSFMux,
                              const struct SSF_STREAM_INFO *pStreamInfo,
                              DWORD dwParentStreamIndex,
                              BOOL fOutputToManifest,
                              DWORD *pdwStreamIndex);

/*
 Adds a sample to a stream. Samples come in decode order; `qwSampleStartTime` (flag
 SSF_SAMPLE_FLAG_START_TIME, required) is the presentation time, as DirectShow gives
 it. Samples are held until SSFMuxProcessOutput, which derives their decode times
 (see the Rust `ReorderBuffer`): video with B-frames is then presented a constant
 one or two frames late (the reorder delay), as in any MP4 without an edit list.

 A sample is checked here against everything that could make its fragment fail later,
 and refused with E_INVALIDARG and a message naming the stream and sample when its
 time cannot be placed: before the start of the fragment being built (before its
 keyframe, or not after the previous fragment), at another sample's time or within half
 a frame of it, presented before more than 16 samples given before it (no decoder
 reorders more), before the previous sample (audio, text), after the end set by
 SSFMuxAdjustDuration, overflowing, or giving a sample a duration or composition offset
 over 32 bits; or when its payload is refused (empty, too large, bad NAL framing, not
 a keyframe first). A refused sample changes nothing: the samples before and after it
 are muxed exactly as if it had never been sent.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pInputBuffer` NULL or a valid SSF_SAMPLE whose pointers
 follow its docs.
 */
HRESULT SSFMuxProcessInput(SSFMUXHANDLE hSSFMux,
                           DWORD dwStreamIndex,
                           struct SSF_SAMPLE *pInputBuffer);

/*
 Closes the stream's current fragment and returns it (moof + mdat) with its time and
 duration. It ends at the time given by SSFMuxAdjustDuration, if one was given since
 the last fragment. Returns S_FALSE with an empty buffer when no sample is pending.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pOutputBuffer` NULL or writable.
 */
HRESULT SSFMuxProcessOutput(SSFMUXHANDLE hSSFMux,
                            DWORD dwStreamIndex,
                            struct SSF_BUFFER *pOutputBuffer);

/*
 Sets the end time (stream timescale) of the stream's current fragment, which the next
 SSFMuxProcessOutput closes: the last sample then lasts until `qwTime`. An end before
 the fragment's last decode time, or that would make the last sample last more than 32
 bits of ticks, is refused with E_INVALIDARG and changes nothing.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live.
 */
HRESULT SSFMuxAdjustDuration(SSFMUXHANDLE hSSFMux, DWORD dwStreamIndex, UINT64 qwTime);

/*
 Returns the client manifest (`.ismc`, UTF-8 XML).

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pBuffer` NULL or writable.
 */
HRESULT SSFMuxGetClientManifest(SSFMUXHANDLE hSSFMux, struct SSF_BUFFER *pBuffer);

/*
 Returns the server manifest (`.ism`, UTF-8 XML) pointing at the client manifest
 `pszClientManifestRelativePath`.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; the path NULL or NUL-terminated UTF-16; `pBuffer` NULL or
 writable.
 */
HRESULT SSFMuxGetServerManifest(SSFMUXHANDLE hSSFMux,
                                LPCWSTR pszClientManifestRelativePath,
                                struct SSF_BUFFER *pBuffer);

/*
 Returns the header (`ftyp` + `moov`) of a file holding the given streams. Its size
 never changes, so it can be written first and rewritten in place at the end.

 In live mode (SSF_MUX_OPTION_LIVE_MODE), the header of a live POST carrying the given
 streams: `ftyp`, the Live Server Manifest box, `moov` (format.md §4). It needs each
 stream's codec configuration and bit rate, so as in the original SDK it is available
 right after SSFMuxAddStream when the type-specific info carries the configuration
 (SPS and PPS in the MPEG2VIDEOINFO, the AudioSpecificConfig in the WAVEFORMATEX, …)
 and `dwBitrate` is not 0: an encoder sends it before its first sample. Only what
 needs media waits, failing with E_FAIL and a message saying which: parameter sets that
 come in-band (until the first keyframe's fragment is out) and a bit rate of 0, which
 is measured (until the stream's first fragment is out). The first header returned for
 a set of streams is kept: later calls for them return the same bytes, to send again on
 every reconnect.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pdwStreamIndices` points to `dwStreamCount` DWORDs;
 `pBuffer` NULL or writable.
 */
HRESULT SSFMuxGetHeader(SSFMUXHANDLE hSSFMux,
                        const DWORD *pdwStreamIndices,
                        DWORD dwStreamCount,
                        struct SSF_BUFFER *pBuffer);

/*
 Returns the index (`mfra`) of the given streams' fragments so far. In live mode, the
 empty 8-byte `mfra` that ends a live stream, sent last on the POST.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 As SSFMuxGetHeader.
 */
HRESULT SSFMuxGetIndex(SSFMUXHANDLE hSSFMux,
                       const DWORD *pdwStreamIndices,
                       DWORD dwStreamCount,
                       struct SSF_BUFFER *pBuffer);

/*
 Sets an option. Options must be set before the first stream is added.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pvBuffer` points to `cbBuffer` readable bytes.
 */
HRESULT SSFMuxSetOption(SSFMUXHANDLE hSSFMux,
                        SSF_MUX_OPTION option,
                        LPCVOID pvBuffer,
                        ULONG cbBuffer);

/*
 Reads an option. `*pcbBuffer` is the buffer size on input and the value's size on
 output; when `pvBuffer` is NULL or too small, only the size is written and the call
 returns HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER). An option never set (key ID,
 keys, URLs, IV) returns S_FALSE with size 0. Key material is returned only to the
 caller that set it, never logged.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns E_UNEXPECTED and does nothing.

 # Safety
 `hSSFMux` is NULL or live; `pcbBuffer` NULL or writable; `pvBuffer` NULL or valid for
 `*pcbBuffer` bytes.
 */
HRESULT SSFMuxQueryOption(SSFMUXHANDLE hSSFMux,
                          SSF_MUX_OPTION option,
                          LPVOID pvBuffer,
                          ULONG *pcbBuffer);

/*
 Extension (not in the original SDK): the message of the last failed call on
 `hSSFMux`, or of the calling thread's last failure when `hSSFMux` is NULL ("" if
 none). Owned by the library; valid until the next call on the handle (or the next
 failing call on the thread).

 Thread safety: may overlap other calls that only read the handle (none of the
 original's do); while another thread's call is inside it, this returns the busy
 message instead.

 # Safety
 `hSSFMux` is NULL or a live handle.
 */
const char *SSFMuxGetLastErrorMessage(SSFMUXHANDLE hSSFMux);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* SSFSDKAPI_H */
