//! The compatible API: PlayReady options, in-band parameter sets, sparse, VC-1 and WMA
//! streams, caller ranges, option queries, fragment ends and live mode.

use super::*;

#[test]
fn playready_options_encrypt_and_signal_the_stream() {
    let m = Mux::new();
    let kid_guid: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
    let key = [0x42u8; 16];
    let iv = 0x0102_0304_0506_0708u64;
    m.set_playready(&kid_guid, &key, iv);
    let la_url: Vec<u8> = wide("https://license.example/rightsmanager.asmx")
        .iter()
        .flat_map(|u| u.to_ne_bytes())
        .collect();
    assert_eq!(
        m.set(SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL, &la_url),
        S_OK
    );
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_UI_URL, &la_url), S_OK);
    // Queries give back what was set.
    assert_eq!(
        m.query(SSF_MUX_OPTION_PLAYREADY_KEY_ID),
        (S_OK, kid_guid.to_vec())
    );
    assert_eq!(
        m.query(SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL),
        (S_OK, la_url.clone())
    );
    assert_eq!(
        m.query(SSF_MUX_OPTION_PLAYREADY_KEY_SEED),
        (S_FALSE, Vec::new())
    );
    assert_eq!(
        m.query(SSF_MUX_OPTION_TIME_SCALE),
        (S_OK, 10_000_000i64.to_ne_bytes().to_vec())
    );
    assert_eq!(
        m.query(SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE),
        (S_OK, 1u32.to_ne_bytes().to_vec())
    );

    let a = m.add_aac("audio.isma");
    let frame = [0x21u8; 200];
    for i in 0..10u64 {
        assert_eq!(m.input(a, &frame, i * 213_333, 213_333, true), S_OK);
    }
    let (hr, fragment) = m.output(a);
    assert_eq!(hr, S_OK);
    let (hr, header) = m.header(&[a]);
    assert_eq!(hr, S_OK);

    assert_eq!(sample_entry(&header), "enca");
    let moov = top(&header).into_iter().find(|b| b.is(b"moov")).unwrap();
    assert!(
        moov.find_uuid(&PIFF_PSSH_UUID).unwrap().is_some(),
        "PIFF pssh in moov"
    );
    // The first sample's IV is the one set; the payload is not the clear frame.
    let boxes = top(&fragment);
    let traf = boxes[0].find("traf").unwrap().unwrap();
    let senc = traf.find_uuid(&PIFF_SENC_UUID).unwrap().expect("PIFF senc");
    let payload = senc.payload();
    assert_eq!(&payload[8..16], &iv.to_be_bytes(), "first IV");
    let mdat = boxes[1].payload();
    assert_eq!(mdat.len(), 2000);
    assert_ne!(&mdat[..200], &frame[..]);
    let manifest = m.client_manifest();
    assert!(manifest.contains("<ProtectionHeader"), "{manifest}");
}

#[test]
fn playready_key_seed_is_accepted_and_conflicting_keys_are_refused() {
    let seed = *b"XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I";
    let wave = aac_wave();
    let source = wide("a.isma");
    let m = Mux::new();
    assert_eq!(
        m.set(SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &1u32.to_ne_bytes()),
        S_OK
    );
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_KEY_ID, &[7u8; 16]), S_OK);
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_KEY_SEED, &seed), S_OK);
    assert_eq!(
        m.set(SSF_MUX_OPTION_PLAYREADY_KEY_SEED, &seed[..39]),
        E_INVALIDARG
    );
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
    assert_eq!(sample_entry(&m.header(&[a]).1), "enca");

    let both = Mux::new();
    both.set(SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &1u32.to_ne_bytes());
    both.set(SSF_MUX_OPTION_PLAYREADY_KEY_ID, &[7u8; 16]);
    both.set(SSF_MUX_OPTION_PLAYREADY_KEY_SEED, &seed);
    both.set(SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY, &[1u8; 16]);
    let err = both
        .add(&info(SSF_STREAM_AUDIO, &wave, &source))
        .unwrap_err();
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn in_band_h264_gives_its_header_once_the_first_fragment_is_out() {
    let file = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample/sample_360p.h264"
    ))
    .unwrap();
    let mut reader = AccessUnitReader::new(std::io::BufReader::new(file));
    // MPEG2VIDEOINFO: empty sequence header, 4-byte NAL lengths.
    let mut mvi = video_info(b"AVC1", &[0u8; 24]);
    mvi[128..132].copy_from_slice(&4u32.to_le_bytes());
    let source = wide("v.ismv");
    let m = Mux::new();
    let v = m.add(&info(SSF_STREAM_VIDEO, &mvi, &source)).unwrap();
    let (hr, _) = m.header(&[v]);
    assert_eq!(hr, E_FAIL, "no SPS/PPS yet");
    assert!(
        last_error(m.0).contains("not known yet"),
        "{}",
        last_error(m.0)
    );
    // One GOP in decode order; times are a frame count (presentation order is not
    // needed for this check, only that the header appears).
    for i in 0..50u64 {
        let au = reader.next_access_unit().unwrap().unwrap();
        assert_eq!(m.input(v, &au.data, i * 400_000, 400_000, au.is_idr), S_OK);
    }
    let (hr, fragment) = m.output(v);
    assert_eq!(hr, S_OK);
    assert!(!fragment.is_empty());
    let (hr, header) = m.header(&[v]);
    assert_eq!(hr, S_OK);
    assert_eq!(sample_entry(&header), "avc1");
    // Nothing pending: S_FALSE and an empty buffer.
    assert_eq!(m.output(v), (S_FALSE, Vec::new()));
}

#[test]
fn sparse_vc1_and_wma_streams_through_the_compatible_api() {
    let m = Mux::new();
    // VC-1 Advanced Profile CodecPrivateData (from a real manifest) after VIDEOINFOHEADER2.
    let cpd =
        hex::decode("250000010FCBF81A70EF8A1A783BE80C908236EE5265400000010E5A67F840").unwrap();
    let vih = video_info(b"WVC1", &cpd);
    let video_src = wide("v.ismv");
    let v = m.add(&info(SSF_STREAM_VIDEO, &vih, &video_src)).unwrap();
    // WMA v2 with its 10 extra bytes.
    let wma = wave_format(
        0x0161,
        2,
        44_100,
        5945,
        &[0, 0x88, 0, 0, 0x1f, 0, 0, 0, 0, 0],
    );
    let audio_src = wide("a.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wma, &audio_src)).unwrap();
    // A TTML caption stream tied to the video, with its samples in the manifest.
    let text_src = wide("t.ismt");
    let mut ttml = info(SSF_STREAM_TTML1, &[], &text_src);
    ttml.pTypeSpecificInfo = ptr::null();
    let mut t = 0;
    // SAFETY: valid pointers for the call.
    let hr = unsafe { SSFMuxAddSparseStream(m.0, &ttml, v, 1, &mut t) };
    assert_eq!(hr, S_OK, "{}", last_error(m.0));
    assert_eq!(sample_entry(&m.header(&[v]).1), "vc-1");
    assert_eq!(sample_entry(&m.header(&[a]).1), "wma ");
    let doc = br#"<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0s" end="1s">Hi</p></div></body></tt>"#;
    assert_eq!(
        m.input(t, doc, 0, 10_000_000, true),
        S_OK,
        "{}",
        last_error(m.0)
    );
    assert_eq!(m.output(t).0, S_OK);
    let manifest = m.client_manifest();
    assert!(manifest.contains("Subtype=\"CAPT\""), "{manifest}");
    assert!(
        manifest.contains("ParentStreamIndex=\"video\""),
        "{manifest}"
    );
}

#[test]
fn caller_ranges_through_ssf_range_encrypt_like_the_rust_api() {
    // The same key, IV and ranges as the Rust API's vector in tests/encryption.rs, given
    // the way a C caller does: GUID in Windows order, key bytes, SSF_RANGE array.
    let kid = crate::drm::Kid::parse("8ba94ade-6eb9-449d-b44f-a5beefaf43b0").unwrap();
    let key = hex::decode("dbfd6922c321c4bb486f4a1c44097ed6").unwrap();
    let m = Mux::new();
    let iv = 0x0102_0304_0506_0708u64;
    m.set_playready(&kid.to_guid_bytes_le(), &key, iv);
    let scale = 48_000i64;
    assert_eq!(m.set(SSF_MUX_OPTION_TIME_SCALE, &scale.to_ne_bytes()), S_OK);
    let a = m.add_aac("a.isma");

    let data: Vec<u8> = (0u8..40).collect();
    let mut ranges = [
        SSF_RANGE {
            dwOffset: 28,
            dwLength: 12,
        },
        SSF_RANGE {
            dwOffset: 5,
            dwLength: 20,
        },
    ];
    let mut sample = SSF_SAMPLE {
        pSampleData: data.as_ptr().cast_mut().cast(),
        cbSampleData: 40,
        flags: SSF_SAMPLE_FLAG_START_TIME | SSF_SAMPLE_FLAG_DURATION,
        qwSampleStartTime: 0,
        qwSampleDuration: 1024,
        FrameType: FRAMETYPE_UNKNOWN,
        pUserData: ptr::null_mut(),
        cbUserData: 0,
        prgProtectedRanges: ranges.as_mut_ptr(),
        cProtectedRanges: 2,
    };
    // SAFETY: every pointer in the sample is valid for the call.
    assert_eq!(unsafe { SSFMuxProcessInput(m.0, a, &mut sample) }, S_OK);
    let (hr, fragment) = m.output(a);
    assert_eq!(hr, S_OK);
    let boxes = top(&fragment);
    assert_eq!(
        hex::encode(boxes[1].payload()),
        "0001020304c409211b8daa3816cda0d06d784672abb27ca3e1191a1b8d44deddd0c01113bfd0f0e8"
    );
    let traf = boxes[0].find("traf").unwrap().unwrap();
    let senc = traf.find_uuid(&PIFF_SENC_UUID).unwrap().unwrap();
    assert_eq!(
        hex::encode(senc.payload()),
        "00000002000000010102030405060708000200050000001400030000000c"
    );
    assert_eq!(
        data,
        (0u8..40).collect::<Vec<_>>(),
        "the caller's buffer is untouched"
    );
}

#[test]
fn forced_fragment_elements_option_reaches_the_client_manifest() {
    let m = Mux::new();
    let one = 1u32.to_ne_bytes();
    assert_eq!(
        m.set(
            SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST,
            &one
        ),
        S_OK
    );
    assert_eq!(
        m.query(SSF_MUX_OPTION_FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST),
        (S_OK, one.to_vec())
    );
    let a = m.add_aac("a.isma");
    for fragment in 0..2u64 {
        for i in 0..5u64 {
            let t = (fragment * 5 + i) * 213_333;
            assert_eq!(m.input(a, &[0x21; 50], t, 213_333, true), S_OK);
        }
        assert_eq!(m.output(a).0, S_OK);
    }
    let manifest = m.client_manifest();
    assert_eq!(manifest.matches("<f i=\"0\"/>").count(), 2, "{manifest}");
}

#[test]
fn a_bad_fragment_end_is_refused_alone() {
    let m = Mux::new();
    let a = m.add_aac("a.isma");
    for i in 0..5u64 {
        assert_eq!(m.input(a, &[0x21; 50], i * 213_333, 213_333, true), S_OK);
    }
    // SAFETY: a live handle.
    let adjust = |end| unsafe { SSFMuxAdjustDuration(m.0, a, end) };
    assert_eq!(adjust(100), E_INVALIDARG);
    assert!(
        last_error(m.0).contains("fragment end 100"),
        "{}",
        last_error(m.0)
    );
    assert_eq!(adjust(1 << 40), E_INVALIDARG);
    assert!(
        last_error(m.0).contains("over 32 bits"),
        "{}",
        last_error(m.0)
    );
    assert_eq!(adjust(5 * 213_333), S_OK);
    let (hr, fragment) = m.output(a);
    assert_eq!(hr, S_OK, "{}", last_error(m.0));
    let moof = top(&fragment).into_iter().find(|b| b.is(b"moof")).unwrap();
    let tfxd = reader::Tfxd::parse(
        &moof
            .find("traf")
            .unwrap()
            .unwrap()
            .find_uuid(&crate::isobmff::uuids::TFXD_UUID)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!((tfxd.time, tfxd.duration), (0, 5 * 213_333));
}

#[test]
fn compat_live_mode_gives_the_live_header_and_end_of_stream_index() {
    use crate::isobmff::uuids::LIVE_SERVER_MANIFEST_UUID;
    let m = Mux::new();
    assert_eq!(m.set(SSF_MUX_OPTION_LIVE_MODE, &1u32.to_ne_bytes()), S_OK);
    assert_eq!(
        m.query(SSF_MUX_OPTION_LIVE_MODE),
        (S_OK, 1u32.to_ne_bytes().to_vec())
    );
    let wave = aac_wave();
    let a = m.add_aac("audio_eng.isma");
    // Configuration and bit rate given: the header is there before any sample.
    let (hr, header) = m.header(&[a]);
    assert_eq!(hr, S_OK, "{}", last_error(m.0));
    // A measured bit rate (dwBitrate 0) waits for the stream's first fragment.
    // The name outlives the call that reads it.
    let measured_name = wide("measured.isma");
    let mut measured = info(SSF_STREAM_AUDIO, &wave, &measured_name);
    measured.dwBitrate = 0;
    let b = m.add(&measured).unwrap();
    assert_eq!(m.header(&[b]).0, E_FAIL, "no fragment output yet");
    assert!(
        last_error(m.0).contains("bit rate is 0"),
        "{}",
        last_error(m.0)
    );
    let frame = [0x21u8; 200];
    for stream in [a, b] {
        for i in 0..10u64 {
            assert_eq!(m.input(stream, &frame, i * 213_333, 213_333, true), S_OK);
        }
        let (hr, fragment) = m.output(stream);
        assert_eq!(hr, S_OK);
        assert!(!fragment.is_empty());
    }
    assert_eq!(m.header(&[a]), (S_OK, header.clone()), "the header is kept");
    let (hr, measured_header) = m.header(&[b]);
    assert_eq!(hr, S_OK, "{}", last_error(m.0));
    // More media moves the measured rate; the header handed out stays the same.
    for i in 10..40u64 {
        assert_eq!(m.input(b, &[0x21; 900], i * 213_333, 213_333, true), S_OK);
    }
    assert_eq!(m.output(b).0, S_OK);
    assert_eq!(m.header(&[b]), (S_OK, measured_header));
    let boxes: Vec<BoxRef<'_>> = reader::boxes(&header).map(|b| b.unwrap()).collect();
    assert_eq!(boxes.len(), 3);
    assert!(boxes[0].is(b"ftyp"));
    assert!(boxes[1].is_uuid(&LIVE_SERVER_MANIFEST_UUID));
    assert!(boxes[2].is(b"moov"));
    let (_, _, xml) = boxes[1].full_box().unwrap();
    let xml = std::str::from_utf8(xml).unwrap();
    assert!(xml.contains("<audio systemBitrate=\"128000\">"), "{xml}");
    assert!(xml.contains("name=\"trackID\" value=\"1\""), "{xml}");
    let mut b = empty_buffer();
    // SAFETY: the index array and the out pointer are valid.
    assert_eq!(unsafe { SSFMuxGetIndex(m.0, &a, 1, &mut b) }, S_OK);
    assert_eq!(buffer_bytes(&b), crate::mux::LIVE_END_OF_STREAM);

    // A live header without the manifest box is refused, not silently changed.
    let bare = Mux::new();
    assert_eq!(
        bare.set(SSF_MUX_OPTION_LIVE_MODE, &1u32.to_ne_bytes()),
        S_OK
    );
    assert_eq!(
        bare.set(
            SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE,
            &0u32.to_ne_bytes()
        ),
        S_OK
    );
    let a = bare.add_aac("audio_eng.isma");
    assert_eq!(bare.header(&[a]).0, E_NOTIMPL);
    assert!(last_error(bare.0).contains("manifest box"));
}
