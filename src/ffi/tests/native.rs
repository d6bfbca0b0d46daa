//! The native API: the muxer's outputs, status texts, protection, and recovery of an
//! unfinished writer.

use super::*;

#[test]
fn native_muxer_hands_out_header_fragments_index_and_manifests() {
    let asc = [0x11u8, 0x90];
    let mut config = ptr::null_mut();
    let mut mux = ptr::null_mut();
    let mut stream = 0;
    let mut out = empty_output();
    // SAFETY: every pointer below is valid for its call; handles are freed once.
    unsafe {
        ok(ssf_stream_config_aac(asc.as_ptr(), 2, &mut config));
        ok(ssf_stream_config_set_timescale(config, 48_000));
        let mut options = ptr::null_mut();
        ok(ssf_options_new(&mut options));
        ok(ssf_options_set_fragment_elements(options, true));
        ok(ssf_muxer_new(options, &mut mux));
        ssf_options_free(options);
        ok(ssf_muxer_add_stream(mux, config, &mut stream));
        ssf_stream_config_free(config);
        let frame = [0x21u8; 100];
        let mut fragments = 0;
        let mut next_time = 0;
        for i in 0..200u64 {
            let sample = audio_sample(&frame, i * 1024);
            ok(ssf_muxer_push(mux, stream, &sample, &mut out));
            if out.len > 0 {
                fragments += 1;
                assert_eq!(out.time, next_time, "fragments are contiguous");
                assert!(out.duration >= 20_000_000, "at least the 2 s target");
                next_time = out.time + out.duration;
            }
        }
        assert_eq!(
            fragments, 2,
            "automatic 2 s fragments closed by later samples"
        );
        ok(ssf_muxer_flush(mux, stream, &mut out));
        assert!(out.len > 0);
        ok(ssf_muxer_flush(mux, stream, &mut out));
        assert_eq!(out.len, 0, "nothing pending");
        let streams = [stream];
        ok(ssf_muxer_index(mux, streams.as_ptr(), 1, &mut out));
        let index = std::slice::from_raw_parts(out.data, out.len);
        assert_eq!(top(index)[0].type_str(), "mfra");
        ok(ssf_muxer_client_manifest(mux, &mut out));
        let ismc = std::str::from_utf8(std::slice::from_raw_parts(out.data, out.len)).unwrap();
        assert!(ismc.contains("<SmoothStreamingMedia"));
        assert_eq!(ismc.matches("<f i=\"0\"/>").count(), 3, "{ismc}");
        ok(ssf_muxer_server_manifest(mux, c"x.ismc".as_ptr(), &mut out));
        let ism = std::str::from_utf8(std::slice::from_raw_parts(out.data, out.len)).unwrap();
        assert!(ism.contains("x.ismc"));
        assert_eq!(
            ssf_muxer_push(mux, 9, ptr::null(), &mut out),
            ssf_status::SSF_STATUS_NULL_PARAMETER
        );
        assert_eq!(
            CStr::from_ptr(ssf_muxer_last_error(mux)).to_str().unwrap(),
            "sample must not be NULL"
        );
        ssf_muxer_free(mux);
    }
}

#[test]
fn every_status_has_its_own_text() {
    let texts: Vec<&str> = (0..=100)
        .filter_map(ssf_status::from_raw)
        .map(|s| s.text().to_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 17);
    let mut unique = texts.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), texts.len());
    assert_eq!(ssf_status::from_raw(15), Some(ssf_status::SSF_STATUS_BUSY));
    assert!(ssf_status::from_raw(16).is_none());
}

#[test]
fn native_protection_encrypts_with_the_given_key_and_iv() {
    let kid = hex::decode("8ba94ade6eb9449db44fa5beefaf43b0").unwrap();
    let key = hex::decode("dbfd6922c321c4bb486f4a1c44097ed6").unwrap();
    let asc = [0x11u8, 0x90];
    let data: Vec<u8> = (0u8..40).collect();
    let ranges = [
        ssf_range {
            offset: 28,
            length: 12,
        },
        ssf_range {
            offset: 5,
            length: 20,
        },
    ];
    let mut out = empty_output();
    // SAFETY: every pointer below is valid for its call; handles are freed once.
    unsafe {
        let mut protection = ptr::null_mut();
        ok(ssf_protection_new(
            kid.as_ptr(),
            key.as_ptr(),
            &mut protection,
        ));
        ok(ssf_protection_set_la_url(
            protection,
            c"https://license.example/".as_ptr(),
        ));
        ok(ssf_protection_set_first_iv(
            protection,
            0x0102_0304_0506_0708,
        ));
        let mut options = ptr::null_mut();
        ok(ssf_options_new(&mut options));
        ok(ssf_options_set_manual(options));
        ok(ssf_options_set_protection(options, protection));
        ssf_protection_free(protection);
        let mut mux = ptr::null_mut();
        ok(ssf_muxer_new(options, &mut mux));
        ssf_options_free(options);
        let mut config = ptr::null_mut();
        ok(ssf_stream_config_aac(asc.as_ptr(), 2, &mut config));
        ok(ssf_stream_config_set_timescale(config, 48_000));
        let mut stream = 0;
        ok(ssf_muxer_add_stream(mux, config, &mut stream));
        ssf_stream_config_free(config);
        let sample = ssf_sample {
            protected_ranges: ranges.as_ptr(),
            protected_range_count: 2,
            ..audio_sample(&data, 0)
        };
        ok(ssf_muxer_push(mux, stream, &sample, &mut out));
        assert_eq!(out.len, 0, "manual fragmenting");
        ok(ssf_muxer_flush(mux, stream, &mut out));
        let fragment = std::slice::from_raw_parts(out.data, out.len).to_vec();
        assert_eq!(
            hex::encode(top(&fragment)[1].payload()),
            "0001020304c409211b8daa3816cda0d06d784672abb27ca3e1191a1b8d44deddd0c01113bfd0f0e8",
            "the same bytes as through the Rust API"
        );
        let streams = [stream];
        ok(ssf_muxer_header(mux, streams.as_ptr(), 1, &mut out));
        assert_eq!(
            sample_entry(std::slice::from_raw_parts(out.data, out.len)),
            "enca"
        );
        ssf_muxer_free(mux);

        let mut seeded = ptr::null_mut();
        assert_eq!(
            ssf_protection_from_key_seed(kid.as_ptr(), key.as_ptr(), key.len(), &mut seeded),
            ssf_status::SSF_STATUS_INVALID_ARGUMENT,
            "a 16-byte seed is too short"
        );
        assert!(seeded.is_null(), "outputs are written only on success");
    }
}

#[test]
fn an_unfinished_writer_is_recovered_or_discarded_through_the_c_api() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("show");
    let dir_c = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let asc = [0x11u8, 0x90];
    let frame = [0x21u8; 100];
    // SAFETY: every pointer below is valid for its call; handles are freed once.
    unsafe {
        let mut config = ptr::null_mut();
        ok(ssf_stream_config_aac(asc.as_ptr(), 2, &mut config));
        ssf_stream_config_set_timescale(config, 48_000);
        let write_unfinished = || {
            let mut writer = ptr::null_mut();
            let status =
                ssf_vod_writer_create(dir_c.as_ptr(), c"show".as_ptr(), ptr::null(), &mut writer);
            if status != ssf_status::SSF_STATUS_OK {
                return status;
            }
            let mut stream = 0;
            ok(ssf_vod_writer_add_stream(writer, config, &mut stream));
            for i in 0..300u64 {
                let sample = audio_sample(&frame, i * 1024);
                ok(ssf_vod_writer_push(writer, stream, &sample));
            }
            ssf_vod_writer_free(writer);
            ssf_status::SSF_STATUS_OK
        };
        ok(write_unfinished());
        assert!(!dir.exists(), "nothing published without finish");
        assert_eq!(write_unfinished(), ssf_status::SSF_STATUS_INVALID_STATE);
        assert!(
            thread_message().contains("interrupted"),
            "{}",
            thread_message()
        );

        let mut recovered = false;
        ok(ssf_vod_recover(dir_c.as_ptr(), &mut recovered));
        assert!(recovered);
        assert!(dir.join("show.ismc").is_file());
        ok(ssf_vod_recover(dir_c.as_ptr(), &mut recovered));
        assert!(!recovered, "a complete presentation is left alone");

        // Interrupted again, then discarded: the recovered presentation stays.
        ok(write_unfinished());
        let mut discarded = false;
        ok(ssf_vod_discard_interrupted(dir_c.as_ptr(), &mut discarded));
        assert!(discarded);
        assert!(dir.join("show.ismc").is_file());
        ok(write_unfinished());

        let mut writer = ptr::null_mut();
        assert_eq!(
            ssf_vod_writer_create(dir_c.as_ptr(), c"show".as_ptr(), ptr::null(), &mut writer),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        ok(ssf_vod_discard_interrupted(dir_c.as_ptr(), ptr::null_mut()));
        ok(ssf_vod_writer_create(
            dir_c.as_ptr(),
            c"show".as_ptr(),
            ptr::null(),
            &mut writer,
        ));
        ok(ssf_vod_writer_abort(writer));
        ssf_vod_writer_free(writer);
        assert!(
            !root.path().join(".show.ssf-partial").exists(),
            "abort leaves nothing"
        );
        ssf_stream_config_free(config);
    }
}
