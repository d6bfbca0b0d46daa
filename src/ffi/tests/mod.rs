//! The C APIs called the way C callers call them, for what the C examples do not cover:
//! the PlayReady options, in-band H.264 parameter sets, sparse, VC-1 and WMA streams,
//! option queries, and the native muxer's outputs ([`compat`], [`native`]); the live
//! publisher's misuse and callback ([`live`]); and the busy guard of every handle under
//! two threads ([`threads`]). The helpers here are shared by all of them.

mod compat;
#[cfg(feature = "live")]
mod live;
mod native;
mod threads;

use std::ffi::CStr;
use std::ptr;

use super::compat::*;
use super::muxer::*;
use super::options::*;
use super::protection::*;
use super::status::ssf_status;
use super::stream_config::*;
use super::streams::*;
use super::vod_writer::*;
use crate::input::h264::AccessUnitReader;
use crate::isobmff::reader::{self, BoxRef};
use crate::isobmff::uuids::{PIFF_PSSH_UUID, PIFF_SENC_UUID};

const S_OK: HRESULT = 0;
const S_FALSE: HRESULT = 1;
const E_FAIL: HRESULT = 0x8000_4005_u32 as i32;
const E_UNEXPECTED: HRESULT = 0x8000_FFFF_u32 as i32;
const E_NOTIMPL: HRESULT = 0x8000_4001_u32 as i32;
const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as i32;
const E_NOT_SUFFICIENT_BUFFER: HRESULT = 0x8007_007A_u32 as i32;

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain([0]).collect()
}

fn last_error(mux: SSFMUXHANDLE) -> String {
    // SAFETY: a live handle; the message is a NUL-terminated string it owns.
    unsafe { CStr::from_ptr(SSFMuxGetLastErrorMessage(mux)) }
        .to_string_lossy()
        .into_owned()
}

/// Bytes of an SSF_BUFFER, copied out before the next call invalidates them.
fn buffer_bytes(b: &SSF_BUFFER) -> Vec<u8> {
    if b.cbBuffer == 0 {
        return Vec::new();
    }
    // SAFETY: the library hands out cbBuffer valid bytes at pbBuffer.
    unsafe { std::slice::from_raw_parts(b.pbBuffer, b.cbBuffer as usize) }.to_vec()
}

struct Mux(SSFMUXHANDLE);

impl Mux {
    fn new() -> Self {
        let mut h = ptr::null_mut();
        // SAFETY: a valid out pointer.
        assert_eq!(unsafe { SSFMuxCreate(&mut h) }, S_OK);
        Mux(h)
    }

    fn set(&self, option: SSF_MUX_OPTION, value: &[u8]) -> HRESULT {
        // SAFETY: value is readable for its length.
        unsafe { SSFMuxSetOption(self.0, option, value.as_ptr().cast(), value.len() as ULONG) }
    }

    /// Turns PlayReady on with a key ID (GUID bytes), a content key and the first IV.
    fn set_playready(&self, kid: &[u8], key: &[u8], iv: u64) {
        let options: [(SSF_MUX_OPTION, &[u8]); 4] = [
            (SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &1u32.to_ne_bytes()),
            (SSF_MUX_OPTION_PLAYREADY_KEY_ID, kid),
            (SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY, key),
            (
                SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR,
                &iv.to_ne_bytes(),
            ),
        ];
        for (option, value) in options {
            assert_eq!(self.set(option, value), S_OK, "option {option}");
        }
    }

    fn query(&self, option: SSF_MUX_OPTION) -> (HRESULT, Vec<u8>) {
        let mut size: ULONG = 0;
        // SAFETY: NULL buffer asks for the size.
        let hr = unsafe { SSFMuxQueryOption(self.0, option, ptr::null_mut(), &mut size) };
        if hr == S_FALSE {
            return (hr, Vec::new());
        }
        assert_eq!(hr, E_NOT_SUFFICIENT_BUFFER);
        let mut buf = vec![0u8; size as usize];
        // SAFETY: buf holds `size` bytes.
        let hr = unsafe { SSFMuxQueryOption(self.0, option, buf.as_mut_ptr().cast(), &mut size) };
        (hr, buf)
    }

    fn add(&self, info: &SSF_STREAM_INFO) -> Result<DWORD, String> {
        let mut index = 0;
        // SAFETY: info's pointers are valid for the call.
        match unsafe { SSFMuxAddStream(self.0, info, &mut index) } {
            S_OK => Ok(index),
            hr => Err(format!("0x{hr:08X} {}", last_error(self.0))),
        }
    }

    /// Adds a 2-channel 48 kHz AAC stream written to `source`.
    fn add_aac(&self, source: &str) -> DWORD {
        self.add(&info(SSF_STREAM_AUDIO, &aac_wave(), &wide(source)))
            .unwrap()
    }

    fn input(&self, stream: DWORD, data: &[u8], time: u64, duration: u64, key: bool) -> HRESULT {
        let mut s = SSF_SAMPLE {
            pSampleData: data.as_ptr().cast_mut().cast(),
            cbSampleData: data.len() as DWORD,
            flags: SSF_SAMPLE_FLAG_START_TIME
                | SSF_SAMPLE_FLAG_DURATION
                | SSF_SAMPLE_FLAG_FRAME_TYPE,
            qwSampleStartTime: time,
            qwSampleDuration: duration,
            FrameType: if key { FRAMETYPE_I } else { FRAMETYPE_P },
            pUserData: ptr::null_mut(),
            cbUserData: 0,
            prgProtectedRanges: ptr::null_mut(),
            cProtectedRanges: 0,
        };
        // SAFETY: the sample's data pointer is valid for the call.
        unsafe { SSFMuxProcessInput(self.0, stream, &mut s) }
    }

    fn output(&self, stream: DWORD) -> (HRESULT, Vec<u8>) {
        let mut b = empty_buffer();
        // SAFETY: a valid out pointer.
        let hr = unsafe { SSFMuxProcessOutput(self.0, stream, &mut b) };
        (hr, buffer_bytes(&b))
    }

    fn header(&self, streams: &[DWORD]) -> (HRESULT, Vec<u8>) {
        let mut b = empty_buffer();
        // SAFETY: the index array is valid for its length.
        let hr =
            unsafe { SSFMuxGetHeader(self.0, streams.as_ptr(), streams.len() as DWORD, &mut b) };
        (hr, buffer_bytes(&b))
    }

    fn client_manifest(&self) -> String {
        let mut b = empty_buffer();
        // SAFETY: a valid out pointer.
        assert_eq!(unsafe { SSFMuxGetClientManifest(self.0, &mut b) }, S_OK);
        String::from_utf8(buffer_bytes(&b)).unwrap()
    }
}

impl Drop for Mux {
    fn drop(&mut self) {
        // SAFETY: the handle is live and not used again.
        assert_eq!(unsafe { SSFMuxDestroy(self.0) }, S_OK);
    }
}

/// A sample as an AAC stream at its sampling rate has them: `data` at `dts`, 1024 ticks
/// long, a sync sample, no ranges of its own.
fn audio_sample(data: &[u8], dts: u64) -> ssf_sample {
    ssf_sample {
        struct_size: size_of::<ssf_sample>(),
        data: data.as_ptr(),
        len: data.len(),
        dts,
        cts_offset: 0,
        duration: 1024,
        sync: true,
        protected_ranges: ptr::null(),
        protected_range_count: 0,
    }
}

/// An `ssf_output` with nothing in it, for the library to fill.
fn empty_output() -> ssf_output {
    ssf_output {
        data: ptr::null(),
        len: 0,
        time: 0,
        duration: 0,
    }
}

fn empty_buffer() -> SSF_BUFFER {
    SSF_BUFFER {
        pbBuffer: ptr::null_mut(),
        cbBuffer: 0,
        qwTime: 0,
        qwDuration: 0,
    }
}

fn info(kind: SSF_STREAM_TYPE, type_info: &[u8], source: &[u16]) -> SSF_STREAM_INFO {
    SSF_STREAM_INFO {
        streamType: kind,
        dwBitrate: 128_000,
        dwBitrateID: 0,
        dwHardwareProfile: 0,
        pTypeSpecificInfo: type_info.as_ptr().cast(),
        cbTypeSpecificInfo: type_info.len() as DWORD,
        wLanguage: 0,
        pszSourceFileName: source.as_ptr(),
        pszTrackName: ptr::null(),
    }
}

fn wave_format(tag: u16, channels: u16, rate: u32, block_align: u16, extra: &[u8]) -> Vec<u8> {
    let mut w = Vec::new();
    w.extend_from_slice(&tag.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&16_000u32.to_le_bytes());
    w.extend_from_slice(&block_align.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    w.extend_from_slice(extra);
    w
}

fn aac_wave() -> Vec<u8> {
    wave_format(0x00FF, 2, 48_000, 1, &[0x11, 0x90])
}

/// A VIDEOINFOHEADER2 with `fourcc`, followed by `extra`.
fn video_info(fourcc: &[u8; 4], extra: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 112];
    v[88..92].copy_from_slice(fourcc);
    v.extend_from_slice(extra);
    v
}

fn top(data: &[u8]) -> Vec<BoxRef<'_>> {
    reader::boxes(data).collect::<Result<_, _>>().unwrap()
}

fn sample_entry(header: &[u8]) -> String {
    let moov = top(header).into_iter().find(|b| b.is(b"moov")).unwrap();
    let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    stsd.children_at(8).next().unwrap().unwrap().type_str()
}

/// Asserts a native call succeeded, showing the thread's last error when it did not.
#[track_caller]
fn ok(status: ssf_status) {
    assert_eq!(status, ssf_status::SSF_STATUS_OK, "{}", thread_message());
}

/// A new AAC stream config (2-channel 48 kHz AudioSpecificConfig).
fn aac_config() -> *mut ssf_stream_config {
    let mut config = ptr::null_mut();
    // SAFETY: valid pointers for the call.
    ok(unsafe { ssf_stream_config_aac([0x11u8, 0x90].as_ptr(), 2, &mut config) });
    config
}

/// The calling thread's last error (`ssf_last_error`).
fn thread_message() -> String {
    // SAFETY: a NUL-terminated string owned by the library.
    unsafe { CStr::from_ptr(super::status::ssf_last_error()) }
        .to_string_lossy()
        .into_owned()
}
