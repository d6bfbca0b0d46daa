//! The busy guard of every handle: a call on a handle in use by another thread is refused
//! (SSF_STATUS_BUSY, E_UNEXPECTED) and changes nothing, and free leaves such a handle
//! alone, with one thread holding the handle and with two hammering it.

use super::*;

/// While `handle` is held the way another thread's call holds it, `call` (which changes
/// the handle) returns SSF_STATUS_BUSY with a message and `free` leaves the handle alone;
/// once the other call is over, `call` works and `free` frees it.
///
/// # Safety
/// `handle` is a live handle of type `C`; `call` and `free` use it as their docs say.
unsafe fn busy_then_free<C: crate::ffi::handle::Castable>(
    handle: *mut C,
    mut call: impl FnMut() -> ssf_status,
    free: unsafe extern "C" fn(*mut C),
) where
    C::Rust: Send,
{
    // SAFETY: per the contract.
    let inside = unsafe { crate::ffi::handle::handle_mut(handle, "the handle") }.unwrap();
    assert_eq!(call(), ssf_status::SSF_STATUS_BUSY);
    assert!(
        thread_message().contains("in use by another thread"),
        "{}",
        thread_message()
    );
    // SAFETY: the handle is live; free must refuse it while it is in use.
    unsafe { free(handle) };
    assert!(
        thread_message().starts_with("not freed: "),
        "{}",
        thread_message()
    );
    drop(inside);
    assert_eq!(call(), ssf_status::SSF_STATUS_OK, "{}", thread_message());
    // SAFETY: the handle is live, no longer in use, and not used after this.
    unsafe { free(handle) };
}

#[test]
fn every_handle_type_answers_busy_while_in_use_and_is_not_freed_under_a_call() {
    use crate::ffi::handle::handle_ref;
    let dir = tempfile::tempdir().unwrap();
    let dir_c = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
    // SAFETY (whole block): every pointer is valid for its call; each handle is freed
    // once for real (busy_then_free frees it after its refused free).
    unsafe {
        let mut options = ptr::null_mut();
        ok(ssf_options_new(&mut options));
        {
            // Calls that only read a handle share it; one that changes it waits its turn.
            let _reader = handle_ref(options, "options").unwrap();
            let mut mux = ptr::null_mut();
            ok(ssf_muxer_new(options, &mut mux));
            ssf_muxer_free(mux);
            assert_eq!(ssf_options_set_manual(options), ssf_status::SSF_STATUS_BUSY);
        }
        busy_then_free(
            options,
            || ssf_options_set_manual(options),
            ssf_options_free,
        );

        let key = [7u8; 16];
        let mut protection = ptr::null_mut();
        ok(ssf_protection_new(
            key.as_ptr(),
            key.as_ptr(),
            &mut protection,
        ));
        busy_then_free(
            protection,
            || ssf_protection_set_first_iv(protection, 1),
            ssf_protection_free,
        );

        let config = aac_config();
        let mut mux = ptr::null_mut();
        ok(ssf_muxer_new(ptr::null(), &mut mux));
        let mut stream = 0;
        {
            // The muxer's own last error is not readable while a call changes it.
            let _inside = crate::ffi::handle::handle_mut(mux, "muxer").unwrap();
            let text = CStr::from_ptr(ssf_muxer_last_error(mux)).to_str().unwrap();
            assert!(text.contains("muxer is in use by another thread"), "{text}");
        }
        busy_then_free(
            mux,
            || ssf_muxer_add_stream(mux, config, &mut stream),
            ssf_muxer_free,
        );

        let mut writer = ptr::null_mut();
        ok(ssf_vod_writer_create(
            dir_c.as_ptr(),
            c"busy".as_ptr(),
            ptr::null(),
            &mut writer,
        ));
        busy_then_free(
            writer,
            || ssf_vod_writer_add_stream(writer, config, &mut stream),
            ssf_vod_writer_free,
        );
        busy_then_free(
            config,
            || ssf_stream_config_set_bitrate(config, 1),
            ssf_stream_config_free,
        );

        #[cfg(feature = "live")]
        {
            use crate::ffi::live_options::*;
            use crate::ffi::live_publisher::*;
            let mut live_options = ptr::null_mut();
            ok(ssf_live_options_new(&mut live_options));
            let mut publisher = ptr::null_mut();
            // Nothing listens on the discard port; no stream is added, so nothing is sent.
            let url = c"http://127.0.0.1:9/live/x.isml".as_ptr();
            ok(ssf_live_publisher_connect(
                &url,
                1,
                ptr::null(),
                live_options,
                &mut publisher,
            ));
            busy_then_free(
                live_options,
                || ssf_live_options_set_probe(live_options, false),
                ssf_live_options_free,
            );
            let mut seconds = 0;
            busy_then_free(
                publisher,
                || ssf_live_publisher_time_anchor(publisher, &mut seconds),
                ssf_live_publisher_free,
            );
        }

        // The compatible handle: E_UNEXPECTED, and SSFMuxDestroy refuses to pull the
        // memory from under the other call.
        let m = Mux::new();
        {
            let _inside = crate::ffi::handle::handle_mut(m.0.cast::<SsfMux>(), "hSSFMux").unwrap();
            assert_eq!(
                m.set(SSF_MUX_OPTION_LIVE_MODE, &1u32.to_ne_bytes()),
                E_UNEXPECTED
            );
            assert!(last_error(m.0).contains("in use by another thread"));
            assert_eq!(SSFMuxDestroy(m.0), E_UNEXPECTED);
            assert!(last_error(ptr::null_mut()).starts_with("not freed: "));
        }
        assert_eq!(m.set(SSF_MUX_OPTION_LIVE_MODE, &1u32.to_ne_bytes()), S_OK);
    }
}

/// A raw handle shared with test threads (the point of the test is sharing it).
struct SharedHandle<T>(*mut T);

impl<T> SharedHandle<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}
// SAFETY: the handles are used through the C functions, whose busy guard is under test.
unsafe impl<T> Send for SharedHandle<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SharedHandle<T> {}

/// Runs `call(thread, i)` on two threads at once until each had `min_accepted` calls go
/// through and some call was refused with BUSY, or 20 s passed; `call` returns whether
/// it was refused. A refused call returns at once, so requiring accepted calls keeps both
/// threads really working on the handle together. Returns the number of refusals.
fn hammer(min_accepted: u64, call: impl Fn(usize, u64) -> bool + Sync) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    let busy = AtomicU64::new(0);
    let start = std::time::Instant::now();
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        for thread in 0..2 {
            let (busy, barrier, call) = (&busy, &barrier, &call);
            scope.spawn(move || {
                barrier.wait();
                let (mut i, mut accepted) = (0, 0);
                while (accepted < min_accepted || busy.load(Ordering::Relaxed) == 0)
                    && start.elapsed() < std::time::Duration::from_secs(20)
                {
                    if call(thread, i) {
                        busy.fetch_add(1, Ordering::Relaxed);
                    } else {
                        accepted += 1;
                    }
                    i += 1;
                }
            });
        }
    });
    busy.into_inner()
}

#[test]
fn two_threads_on_one_muxer_get_busy_not_a_corrupted_heap() {
    let mut mux = ptr::null_mut();
    let mut config = ptr::null_mut();
    let mut streams = [0u32; 2];
    // SAFETY: valid pointers; handles freed once at the end.
    unsafe {
        ok(ssf_muxer_new(ptr::null(), &mut mux));
        ok(ssf_stream_config_aac(
            [0x11u8, 0x90].as_ptr(),
            2,
            &mut config,
        ));
        ok(ssf_stream_config_set_timescale(config, 48_000));
        // Two StreamIndexes: each thread cuts its own fragments, and the bit rates of one
        // StreamIndex would have to share their boundaries.
        for (s, name) in streams.iter_mut().zip([c"audio_a", c"audio_b"]) {
            ok(ssf_stream_config_set_track_name(config, name.as_ptr()));
            ok(ssf_muxer_add_stream(mux, config, s));
        }
        ssf_stream_config_free(config);
    }
    let shared = SharedHandle(mux);
    let accepted = [
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    ];
    let frame = vec![0x21u8; 4096];
    let busy = hammer(2_000, |thread, _| {
        let mux = shared.get();
        let stream = streams[thread];
        // Each thread feeds its own stream, so every call that gets in succeeds.
        let n = accepted[thread].load(std::sync::atomic::Ordering::Relaxed);
        let sample = audio_sample(&frame, n * 1024);
        // The fragment and header bytes are not read: they belong to the handle and the
        // other thread's next call replaces them.
        let mut out = empty_output();
        // SAFETY: a live handle and valid pointers; only the sharing is under test.
        let status = unsafe {
            if n % 8 == 7 {
                ssf_muxer_header(mux, streams.as_ptr(), 2, &mut out)
            } else {
                ssf_muxer_push(mux, stream, &sample, &mut out)
            }
        };
        match status {
            ssf_status::SSF_STATUS_OK => {
                accepted[thread].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }
            ssf_status::SSF_STATUS_BUSY => true,
            other => panic!("thread {thread}: {other:?}: {}", thread_message()),
        }
    });
    assert!(
        busy >= 1,
        "no call was ever refused: the threads never overlapped"
    );
    // SAFETY: the threads are done; the handle is live and freed once.
    unsafe {
        let mut out = empty_output();
        for s in streams {
            ok(ssf_muxer_flush(mux, s, &mut out));
        }
        ok(ssf_muxer_client_manifest(mux, &mut out));
        ssf_muxer_free(mux);
    }
}

#[test]
fn two_threads_on_one_compatible_handle_get_e_unexpected() {
    let m = Mux::new();
    let wave = aac_wave();
    let source = [wide("a.isma"), wide("b.isma")];
    let streams = [
        m.add(&info(SSF_STREAM_AUDIO, &wave, &source[0])).unwrap(),
        m.add(&info(SSF_STREAM_AUDIO, &wave, &source[1])).unwrap(),
    ];
    let shared = SharedHandle(m.0);
    let frame = vec![0x21u8; 4096];
    let accepted = [
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    ];
    let busy = hammer(2_000, |thread, i| {
        // Times follow the samples that got in: a refused one leaves no gap.
        let n = accepted[thread].load(std::sync::atomic::Ordering::Relaxed);
        let mut sample = SSF_SAMPLE {
            pSampleData: frame.as_ptr().cast_mut().cast(),
            cbSampleData: frame.len() as DWORD,
            flags: SSF_SAMPLE_FLAG_START_TIME | SSF_SAMPLE_FLAG_DURATION,
            qwSampleStartTime: n * 213_333,
            qwSampleDuration: 213_333,
            FrameType: FRAMETYPE_I,
            pUserData: ptr::null_mut(),
            cbUserData: 0,
            prgProtectedRanges: ptr::null_mut(),
            cProtectedRanges: 0,
        };
        let mut out = empty_buffer();
        // SAFETY: a live handle and valid pointers; only the sharing is under test.
        let hr = unsafe {
            if i % 50 == 49 {
                SSFMuxProcessOutput(shared.get(), streams[thread], &mut out)
            } else {
                SSFMuxProcessInput(shared.get(), streams[thread], &mut sample)
            }
        };
        match hr {
            S_OK | S_FALSE => {
                if i % 50 != 49 {
                    accepted[thread].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                false
            }
            E_UNEXPECTED => true,
            other => panic!("thread {thread}: 0x{other:08X} {}", thread_message()),
        }
    });
    assert!(
        busy >= 1,
        "no call was ever refused: the threads never overlapped"
    );
    for s in streams {
        assert_eq!(m.output(s).0 & !1, S_OK);
    }
}
