//! The live publisher through the native API: misuse returns codes with messages, the
//! state callback reaches C, and free without finish never blocks on the network.

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{aac_config, audio_sample, ok};
use crate::ffi::live_options::*;
use crate::ffi::live_publisher::*;
use crate::ffi::live_state::*;
use crate::ffi::status::ssf_status;
use crate::ffi::stream_config::*;
use crate::ffi::streams::*;

fn error(p: *const ssf_live_publisher) -> String {
    // SAFETY: a live handle or NULL; the message is NUL-terminated.
    unsafe { CStr::from_ptr(ssf_live_publisher_last_error(p)) }
        .to_string_lossy()
        .into_owned()
}

unsafe extern "C" fn count(user_data: *mut c_void, event: *const ssf_live_state_event) {
    // SAFETY: the test passes an AtomicUsize that outlives the publisher, and the
    // event is valid during the call.
    unsafe {
        assert!(!(*event).url.is_null());
        (*user_data.cast::<AtomicUsize>()).fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn live_misuse_returns_codes_and_free_without_finish_is_prompt() {
    // A point that accepts connections but never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/live/x.isml\0",
        listener.local_addr().unwrap().port()
    );
    let events = AtomicUsize::new(0);
    // SAFETY (whole block): every pointer is valid for its call; handles are freed
    // once.
    unsafe {
        ssf_live_options_free(ptr::null_mut());
        ssf_live_publisher_free(ptr::null_mut());
        assert_eq!(
            ssf_live_options_new(ptr::null_mut()),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        let mut o = ptr::null_mut();
        ok(ssf_live_options_new(&mut o));
        assert_eq!(
            ssf_live_options_set_time_origin(o, 7, 0),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            ssf_live_options_set_max_retries(o, i64::MAX),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            ssf_live_options_set_probe(ptr::null_mut(), false),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        ok(ssf_live_options_set_state_callback(
            o,
            Some(count),
            (&raw const events).cast_mut().cast(),
        ));

        let mut p = ptr::null_mut();
        let bad = c"http://h/x.ism".as_ptr();
        assert_eq!(
            ssf_live_publisher_connect(&bad, 1, ptr::null(), o, &mut p),
            ssf_status::SSF_STATUS_INVALID_URL
        );
        assert!(p.is_null());
        assert_eq!(
            ssf_live_publisher_connect(ptr::null(), 0, ptr::null(), o, &mut p),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT,
            "no publishing point"
        );
        assert_eq!(
            ssf_live_publisher_connect(ptr::null(), 2, ptr::null(), o, &mut p),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        let good = url.as_ptr().cast();
        ok(ssf_live_publisher_connect(&good, 1, ptr::null(), o, &mut p));
        ssf_live_options_free(o);

        let c = aac_config();
        let mut stream = 0;
        assert_eq!(
            ssf_live_publisher_add_stream(p, c, ptr::null_mut()),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        ok(ssf_live_publisher_add_stream(p, c, &mut stream));
        ssf_stream_config_free(c);
        let frame = [0x21u8; 64];
        let mut sample = audio_sample(&frame, 0);
        assert_eq!(
            ssf_live_publisher_push(p, 9, &sample),
            ssf_status::SSF_STATUS_UNKNOWN_STREAM
        );
        assert!(!error(p).is_empty());
        sample.struct_size = 3;
        assert_eq!(
            ssf_live_publisher_push(p, stream, &sample),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT
        );
        sample.struct_size = size_of::<ssf_sample>();
        for i in 0..200 {
            sample.dts = i * 1024;
            assert_eq!(
                ssf_live_publisher_push(p, stream, &sample),
                ssf_status::SSF_STATUS_OK,
                "{}",
                error(p)
            );
        }
        ok(ssf_live_publisher_flush(p, stream));
        let (mut stats, mut n) = (ptr::null(), 0);
        ok(ssf_live_publisher_stats(p, &mut stats, &mut n));
        assert_eq!(n, 1);
        let url = CStr::from_ptr((*stats).url).to_str().unwrap();
        assert!(url.ends_with("/x.isml/Streams(audio_1.isma)"), "{url}");
        assert_eq!(
            ssf_live_publisher_push(ptr::null_mut(), 0, &sample),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );

        // The connection task reports its first state (probing) on its own thread.
        let waiting = Instant::now();
        while events.load(Ordering::SeqCst) == 0 && waiting.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        // The server never answers: free cuts the connections at once.
        let start = Instant::now();
        ssf_live_publisher_free(p);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
    assert!(events.load(Ordering::SeqCst) >= 1, "the state callback ran");
}

#[test]
fn live_calls_after_finish_are_invalid_state() {
    // Nothing listens on the discard port: connections fail, finish still reports.
    let url = c"http://127.0.0.1:9/live/x.isml".as_ptr();
    // SAFETY (whole block): as above.
    unsafe {
        let mut o = ptr::null_mut();
        ok(ssf_live_options_new(&mut o));
        ok(ssf_live_options_set_max_retries(o, 0));
        ok(ssf_live_options_set_finish_timeout_ms(o, 500));
        let mut p = ptr::null_mut();
        ok(ssf_live_publisher_connect(&url, 1, ptr::null(), o, &mut p));
        ssf_live_options_free(o);
        let c = aac_config();
        let mut stream = 0;
        ok(ssf_live_publisher_add_stream(p, c, &mut stream));
        ssf_stream_config_free(c);
        let (mut reports, mut n) = (ptr::null(), 0);
        assert_eq!(
            ssf_live_publisher_finish(p, &mut reports, &mut n),
            ssf_status::SSF_STATUS_OK,
            "{}",
            error(p)
        );
        assert_eq!(n, 1);
        assert_eq!((*reports).status, ssf_status::SSF_STATUS_LIVE_FAILED);
        assert_eq!(
            ssf_live_publisher_flush(p, stream),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        assert_eq!(
            ssf_live_publisher_finish(p, &mut reports, &mut n),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        assert!(error(p).contains("finished"));
        ssf_live_publisher_free(p);
    }
}

#[test]
fn a_connection_that_gave_up_reports_failure_and_what_may_be_lost() {
    // Nothing listens: the connection fails for good after one retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = std::ffi::CString::new(format!("http://127.0.0.1:{port}/live/x.isml")).unwrap();
    let frame = [0x21u8; 50];
    // SAFETY (whole block): every pointer is valid for its call; handles are freed once.
    unsafe {
        let mut o = ptr::null_mut();
        ok(ssf_live_options_new(&mut o));
        ok(ssf_live_options_set_probe(o, false));
        ok(ssf_live_options_set_max_retries(o, 1));
        ok(ssf_live_options_set_backoff_ms(o, 10, 20));
        ok(ssf_live_options_set_finish_timeout_ms(o, 3000));
        let mut p = ptr::null_mut();
        let urls = [url.as_ptr()];
        ok(ssf_live_publisher_connect(
            urls.as_ptr(),
            1,
            ptr::null(),
            o,
            &mut p,
        ));
        ssf_live_options_free(o);
        let config = aac_config();
        ok(ssf_stream_config_set_bitrate(config, 96_000));
        ok(ssf_stream_config_set_timescale(config, 48_000));
        let mut stream = 0;
        ok(ssf_live_publisher_add_stream(p, config, &mut stream));
        ssf_stream_config_free(config);
        for n in 0..300u64 {
            ok(ssf_live_publisher_push(
                p,
                stream,
                &audio_sample(&frame, n * 1024),
            ));
        }
        let mut reports = ptr::null();
        let mut count = 0;
        ok(ssf_live_publisher_finish(p, &mut reports, &mut count));
        assert_eq!(count, 1);
        assert_eq!((*reports).status, ssf_status::SSF_STATUS_LIVE_FAILED);
        let mut delivery = ptr::null();
        ok(ssf_live_publisher_delivery(p, &mut delivery, &mut count));
        assert_eq!(count, 1);
        let d = *delivery;
        assert_eq!(d.fragments_acknowledged, 0);
        assert!(d.fragments_possibly_lost > 0, "{d:?}");
        ssf_live_publisher_free(p);
    }
}
