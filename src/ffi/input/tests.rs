//! `ssf_input_*` called the way C callers call them.

use std::ffi::{CStr, CString};
use std::ptr;

use super::*;
use crate::ffi::status::ssf_last_error;
use crate::ffi::stream_config::ssf_stream_config_free;

/// A path under the repository as a C string.
fn path(relative: &str) -> CString {
    let full = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    CString::new(full).unwrap()
}

fn last_error(input: *const ssf_input) -> String {
    // SAFETY: a live handle (or NULL); the message is a NUL-terminated string.
    unsafe { CStr::from_ptr(ssf_input_last_error(input)) }
        .to_string_lossy()
        .into_owned()
}

fn thread_error() -> String {
    // SAFETY: the thread's message is a NUL-terminated string.
    unsafe { CStr::from_ptr(ssf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// Opens the 360p sample and the AAC sample at 96 kbit/s in English.
fn sample_input() -> *mut ssf_input {
    let mut input = ptr::null_mut();
    // SAFETY: valid strings and out pointer.
    unsafe {
        assert_eq!(
            ssf_input_open(path("sample/sample.aac@96k,lang=eng").as_ptr(), &mut input),
            ssf_status::SSF_STATUS_OK,
            "{}",
            thread_error()
        );
        assert_eq!(
            ssf_input_add_file(input, path("sample/sample_360p.h264").as_ptr()),
            ssf_status::SSF_STATUS_OK
        );
    }
    input
}

#[test]
fn streams_come_in_presentation_order_and_samples_in_decode_order() {
    let input = sample_input();
    // SAFETY: a live handle and valid out pointers throughout.
    unsafe {
        let mut count = 0;
        assert_eq!(
            ssf_input_stream_count(input, &mut count),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(count, 2);
        let (mut kind, mut timescale) = (ssf_media_kind::SSF_MEDIA_KIND_TEXT, 0);
        // The video, added second, comes first.
        assert_eq!(
            ssf_input_stream_kind(input, 0, &mut kind),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(kind, ssf_media_kind::SSF_MEDIA_KIND_VIDEO);
        assert_eq!(
            ssf_input_stream_kind(input, 1, &mut kind),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(kind, ssf_media_kind::SSF_MEDIA_KIND_AUDIO);
        assert_eq!(
            ssf_input_stream_timescale(input, 1, &mut timescale),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(timescale, 48_000);
        let mut config = ptr::null_mut();
        assert_eq!(
            ssf_input_stream_config(input, 1, 0, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        assert!(!config.is_null());
        ssf_stream_config_free(config);

        // The given bit rate is known at once; the measured one once the input ended.
        let mut bitrate = 0;
        assert_eq!(
            ssf_input_stream_bitrate(input, 1, &mut bitrate),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(bitrate, 96_000);
        assert_eq!(
            ssf_input_stream_bitrate(input, 0, &mut bitrate),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        assert!(
            thread_error().contains("measured once"),
            "{}",
            thread_error()
        );

        let mut counts = [0u32; 2];
        let mut previous = 0f64;
        loop {
            let (mut more, mut stream) = (false, 0usize);
            let mut sample = std::mem::zeroed::<ssf_sample>();
            let st = ssf_input_next_sample(input, &mut more, &mut stream, &mut sample);
            assert_eq!(st, ssf_status::SSF_STATUS_OK, "{}", last_error(input));
            if !more {
                break;
            }
            assert_eq!(sample.struct_size, size_of::<ssf_sample>());
            assert!(sample.len > 0 && !sample.data.is_null());
            let mut ts = 0;
            ssf_input_stream_timescale(input, stream, &mut ts);
            let t = sample.dts as f64 / f64::from(ts);
            assert!(t >= previous, "decode order: {t} after {previous}");
            previous = t;
            counts[stream] += 1;
        }
        assert_eq!(counts, [250, 470]);
        assert_eq!(
            ssf_input_stream_bitrate(input, 0, &mut bitrate),
            ssf_status::SSF_STATUS_OK
        );
        assert!(bitrate > 50_000, "{bitrate}");
        // Files cannot join once samples have been read.
        assert_eq!(
            ssf_input_add_file(input, path("sample/sample_540p.h264").as_ptr()),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        assert!(last_error(input).contains("once samples have been read"));
        ssf_input_free(input);
    }
}

#[test]
fn bad_calls_return_their_status_and_a_message() {
    // SAFETY: every pointer is valid or deliberately NULL, as each call documents.
    unsafe {
        let mut input = ptr::null_mut();
        assert_eq!(
            ssf_input_open(ptr::null(), &mut input),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        assert_eq!(
            ssf_input_open(path("sample/none.h264").as_ptr(), &mut input),
            ssf_status::SSF_STATUS_IO
        );
        assert!(thread_error().contains("none.h264"), "{}", thread_error());
        assert_eq!(
            ssf_input_open(path("sample/none.h264@1x").as_ptr(), &mut input),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT
        );
        assert!(
            thread_error().contains("is not a bit rate"),
            "{}",
            thread_error()
        );
        // Not an input the library reads: refused, naming the file.
        assert_eq!(
            ssf_input_open(path("Cargo.toml").as_ptr(), &mut input),
            ssf_status::SSF_STATUS_UNSUPPORTED
        );
        assert!(thread_error().contains("Cargo.toml: not a raw H.264"));
        assert!(input.is_null());

        let input = sample_input();
        let mut count = 0;
        assert_eq!(
            ssf_input_stream_count(ptr::null(), &mut count),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        assert_eq!(
            ssf_input_stream_count(input, ptr::null_mut()),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        let mut kind = ssf_media_kind::SSF_MEDIA_KIND_TEXT;
        assert_eq!(
            ssf_input_stream_kind(input, 2, &mut kind),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT
        );
        assert!(thread_error().contains("stream 2: the input has 2 streams"));
        let (mut more, mut stream) = (false, 0usize);
        assert_eq!(
            ssf_input_next_sample(input, &mut more, &mut stream, ptr::null_mut()),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        assert!(last_error(input).contains("sample"));
        ssf_input_free(input);
        ssf_input_free(ptr::null_mut());
    }
}
