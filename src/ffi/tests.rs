//! The C APIs called the way C callers call them, for what the C examples do not cover:
//! the PlayReady options, in-band H.264 parameter sets, sparse, VC-1 and WMA streams,
//! option queries, and the native muxer's outputs.

use std::ffi::CStr;
use std::ptr;

use super::compat::*;
use super::native::*;
use super::status::ssf_status;
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

#[test]
fn playready_options_encrypt_and_signal_the_stream() {
    let m = Mux::new();
    let kid_guid: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
    let key = [0x42u8; 16];
    assert_eq!(
        m.set(SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &1u32.to_ne_bytes()),
        S_OK
    );
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_KEY_ID, &kid_guid), S_OK);
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY, &key), S_OK);
    let la_url: Vec<u8> = wide("https://license.example/rightsmanager.asmx")
        .iter()
        .flat_map(|u| u.to_ne_bytes())
        .collect();
    assert_eq!(
        m.set(SSF_MUX_OPTION_PLAYREADY_LICENSE_ACQUISITION_URL, &la_url),
        S_OK
    );
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_UI_URL, &la_url), S_OK);
    let iv = 0x0102_0304_0506_0708u64;
    assert_eq!(
        m.set(
            SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR,
            &iv.to_ne_bytes()
        ),
        S_OK
    );
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

    let wave = aac_wave();
    let source = wide("audio.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
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
fn native_muxer_hands_out_header_fragments_index_and_manifests() {
    let asc = [0x11u8, 0x90];
    let mut config = ptr::null_mut();
    let mut mux = ptr::null_mut();
    let mut stream = 0;
    let mut out = ssf_output {
        data: ptr::null(),
        len: 0,
        time: 0,
        duration: 0,
    };
    // SAFETY: every pointer below is valid for its call; handles are freed once.
    unsafe {
        assert_eq!(
            ssf_stream_config_aac(asc.as_ptr(), 2, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_stream_config_set_timescale(config, 48_000),
            ssf_status::SSF_STATUS_OK
        );
        let mut options = ptr::null_mut();
        assert_eq!(ssf_options_new(&mut options), ssf_status::SSF_STATUS_OK);
        assert_eq!(
            ssf_options_set_fragment_elements(options, true),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(ssf_muxer_new(options, &mut mux), ssf_status::SSF_STATUS_OK);
        ssf_options_free(options);
        assert_eq!(
            ssf_muxer_add_stream(mux, config, &mut stream),
            ssf_status::SSF_STATUS_OK
        );
        ssf_stream_config_free(config);
        let frame = [0x21u8; 100];
        let mut fragments = 0;
        let mut next_time = 0;
        for i in 0..200u64 {
            let sample = ssf_sample {
                struct_size: size_of::<ssf_sample>(),
                data: frame.as_ptr(),
                len: frame.len(),
                dts: i * 1024,
                cts_offset: 0,
                duration: 1024,
                sync: true,
                protected_ranges: ptr::null(),
                protected_range_count: 0,
            };
            assert_eq!(
                ssf_muxer_push(mux, stream, &sample, &mut out),
                ssf_status::SSF_STATUS_OK
            );
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
        assert_eq!(
            ssf_muxer_flush(mux, stream, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        assert!(out.len > 0);
        assert_eq!(
            ssf_muxer_flush(mux, stream, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(out.len, 0, "nothing pending");
        let streams = [stream];
        assert_eq!(
            ssf_muxer_index(mux, streams.as_ptr(), 1, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        let index = std::slice::from_raw_parts(out.data, out.len);
        assert_eq!(top(index)[0].type_str(), "mfra");
        assert_eq!(
            ssf_muxer_client_manifest(mux, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        let ismc = std::str::from_utf8(std::slice::from_raw_parts(out.data, out.len)).unwrap();
        assert!(ismc.contains("<SmoothStreamingMedia"));
        assert_eq!(ismc.matches("<f i=\"0\"/>").count(), 3, "{ismc}");
        assert_eq!(
            ssf_muxer_server_manifest(mux, c"x.ismc".as_ptr(), &mut out),
            ssf_status::SSF_STATUS_OK
        );
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
fn caller_ranges_through_ssf_range_encrypt_like_the_rust_api() {
    // The same key, IV and ranges as the Rust API's vector in tests/encryption.rs, given
    // the way a C caller does: GUID in Windows order, key bytes, SSF_RANGE array.
    let kid = crate::drm::Kid::parse("8ba94ade-6eb9-449d-b44f-a5beefaf43b0").unwrap();
    let key = hex::decode("dbfd6922c321c4bb486f4a1c44097ed6").unwrap();
    let m = Mux::new();
    assert_eq!(
        m.set(SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &1u32.to_ne_bytes()),
        S_OK
    );
    assert_eq!(
        m.set(SSF_MUX_OPTION_PLAYREADY_KEY_ID, &kid.to_guid_bytes_le()),
        S_OK
    );
    assert_eq!(m.set(SSF_MUX_OPTION_PLAYREADY_CONTENT_KEY, &key), S_OK);
    let iv = 0x0102_0304_0506_0708u64;
    assert_eq!(
        m.set(
            SSF_MUX_OPTION_PLAYREADY_INITIALIZATION_VECTOR,
            &iv.to_ne_bytes()
        ),
        S_OK
    );
    let scale = 48_000i64;
    assert_eq!(m.set(SSF_MUX_OPTION_TIME_SCALE, &scale.to_ne_bytes()), S_OK);
    let wave = aac_wave();
    let source = wide("a.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();

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
    let mut out = ssf_output {
        data: ptr::null(),
        len: 0,
        time: 0,
        duration: 0,
    };
    // SAFETY: every pointer below is valid for its call; handles are freed once.
    unsafe {
        let mut protection = ptr::null_mut();
        assert_eq!(
            ssf_protection_new(kid.as_ptr(), key.as_ptr(), &mut protection),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_protection_set_la_url(protection, c"https://license.example/".as_ptr()),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_protection_set_first_iv(protection, 0x0102_0304_0506_0708),
            ssf_status::SSF_STATUS_OK
        );
        let mut options = ptr::null_mut();
        assert_eq!(ssf_options_new(&mut options), ssf_status::SSF_STATUS_OK);
        assert_eq!(ssf_options_set_manual(options), ssf_status::SSF_STATUS_OK);
        assert_eq!(
            ssf_options_set_protection(options, protection),
            ssf_status::SSF_STATUS_OK
        );
        ssf_protection_free(protection);
        let mut mux = ptr::null_mut();
        assert_eq!(ssf_muxer_new(options, &mut mux), ssf_status::SSF_STATUS_OK);
        ssf_options_free(options);
        let mut config = ptr::null_mut();
        assert_eq!(
            ssf_stream_config_aac(asc.as_ptr(), 2, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_stream_config_set_timescale(config, 48_000),
            ssf_status::SSF_STATUS_OK
        );
        let mut stream = 0;
        assert_eq!(
            ssf_muxer_add_stream(mux, config, &mut stream),
            ssf_status::SSF_STATUS_OK
        );
        ssf_stream_config_free(config);
        let sample = ssf_sample {
            struct_size: size_of::<ssf_sample>(),
            data: data.as_ptr(),
            len: data.len(),
            dts: 0,
            cts_offset: 0,
            duration: 1024,
            sync: true,
            protected_ranges: ranges.as_ptr(),
            protected_range_count: 2,
        };
        assert_eq!(
            ssf_muxer_push(mux, stream, &sample, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(out.len, 0, "manual fragmenting");
        assert_eq!(
            ssf_muxer_flush(mux, stream, &mut out),
            ssf_status::SSF_STATUS_OK
        );
        let fragment = std::slice::from_raw_parts(out.data, out.len).to_vec();
        assert_eq!(
            hex::encode(top(&fragment)[1].payload()),
            "0001020304c409211b8daa3816cda0d06d784672abb27ca3e1191a1b8d44deddd0c01113bfd0f0e8",
            "the same bytes as through the Rust API"
        );
        let streams = [stream];
        assert_eq!(
            ssf_muxer_header(mux, streams.as_ptr(), 1, &mut out),
            ssf_status::SSF_STATUS_OK
        );
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
    let wave = aac_wave();
    let source = wide("a.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
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
    let wave = aac_wave();
    let source = wide("a.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
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
    let source = wide("audio_eng.isma");
    let a = m.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
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
    let a = bare.add(&info(SSF_STREAM_AUDIO, &wave, &source)).unwrap();
    assert_eq!(bare.header(&[a]).0, E_NOTIMPL);
    assert!(last_error(bare.0).contains("manifest box"));
}

/// The live publisher through the native API: misuse returns codes with messages, the
/// state callback reaches C, and free without finish never blocks on the network.
#[cfg(feature = "live")]
mod live {
    use std::ffi::{CStr, c_void};
    use std::ptr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::super::live::*;
    use super::super::native::*;
    use super::super::status::ssf_status;

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
            assert_eq!(ssf_live_options_new(&mut o), ssf_status::SSF_STATUS_OK);
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
            assert_eq!(
                ssf_live_options_set_state_callback(
                    o,
                    Some(count),
                    (&raw const events).cast_mut().cast()
                ),
                ssf_status::SSF_STATUS_OK
            );

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
            assert_eq!(
                ssf_live_publisher_connect(&good, 1, ptr::null(), o, &mut p),
                ssf_status::SSF_STATUS_OK
            );
            ssf_live_options_free(o);

            let mut c = ptr::null_mut();
            assert_eq!(
                ssf_stream_config_aac([0x11u8, 0x90].as_ptr(), 2, &mut c),
                ssf_status::SSF_STATUS_OK
            );
            let mut stream = 0;
            assert_eq!(
                ssf_live_publisher_add_stream(p, c, ptr::null_mut()),
                ssf_status::SSF_STATUS_NULL_PARAMETER
            );
            assert_eq!(
                ssf_live_publisher_add_stream(p, c, &mut stream),
                ssf_status::SSF_STATUS_OK
            );
            ssf_stream_config_free(c);
            let frame = [0x21u8; 64];
            let mut sample = ssf_sample {
                struct_size: size_of::<ssf_sample>(),
                data: frame.as_ptr(),
                len: frame.len(),
                dts: 0,
                cts_offset: 0,
                duration: 1024,
                sync: true,
                protected_ranges: ptr::null(),
                protected_range_count: 0,
            };
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
            assert_eq!(
                ssf_live_publisher_flush(p, stream),
                ssf_status::SSF_STATUS_OK
            );
            let (mut stats, mut n) = (ptr::null(), 0);
            assert_eq!(
                ssf_live_publisher_stats(p, &mut stats, &mut n),
                ssf_status::SSF_STATUS_OK
            );
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
            assert_eq!(ssf_live_options_new(&mut o), ssf_status::SSF_STATUS_OK);
            assert_eq!(
                ssf_live_options_set_max_retries(o, 0),
                ssf_status::SSF_STATUS_OK
            );
            assert_eq!(
                ssf_live_options_set_finish_timeout_ms(o, 500),
                ssf_status::SSF_STATUS_OK
            );
            let mut p = ptr::null_mut();
            assert_eq!(
                ssf_live_publisher_connect(&url, 1, ptr::null(), o, &mut p),
                ssf_status::SSF_STATUS_OK
            );
            ssf_live_options_free(o);
            let mut c = ptr::null_mut();
            assert_eq!(
                ssf_stream_config_aac([0x11u8, 0x90].as_ptr(), 2, &mut c),
                ssf_status::SSF_STATUS_OK
            );
            let mut stream = 0;
            assert_eq!(
                ssf_live_publisher_add_stream(p, c, &mut stream),
                ssf_status::SSF_STATUS_OK
            );
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
}

/// The calling thread's last error (`ssf_last_error`).
fn thread_message() -> String {
    // SAFETY: a NUL-terminated string owned by the library.
    unsafe { CStr::from_ptr(super::status::ssf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// While `handle` is held the way another thread's call holds it, `call` (which changes
/// the handle) returns SSF_STATUS_BUSY with a message and `free` leaves the handle alone;
/// once the other call is over, `call` works and `free` frees it.
///
/// # Safety
/// `handle` is a live handle of type `C`; `call` and `free` use it as their docs say.
unsafe fn busy_then_free<C: super::handle::Castable>(
    handle: *mut C,
    mut call: impl FnMut() -> ssf_status,
    free: unsafe extern "C" fn(*mut C),
) where
    C::Rust: Send,
{
    // SAFETY: per the contract.
    let inside = unsafe { super::handle::handle_mut(handle, "the handle") }.unwrap();
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
    use super::handle::handle_ref;
    let dir = tempfile::tempdir().unwrap();
    let dir_c = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
    // SAFETY (whole block): every pointer is valid for its call; each handle is freed
    // once for real (busy_then_free frees it after its refused free).
    unsafe {
        let mut options = ptr::null_mut();
        assert_eq!(ssf_options_new(&mut options), ssf_status::SSF_STATUS_OK);
        {
            // Calls that only read a handle share it; one that changes it waits its turn.
            let _reader = handle_ref(options, "options").unwrap();
            let mut mux = ptr::null_mut();
            assert_eq!(ssf_muxer_new(options, &mut mux), ssf_status::SSF_STATUS_OK);
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
        assert_eq!(
            ssf_protection_new(key.as_ptr(), key.as_ptr(), &mut protection),
            ssf_status::SSF_STATUS_OK
        );
        busy_then_free(
            protection,
            || ssf_protection_set_first_iv(protection, 1),
            ssf_protection_free,
        );

        let mut config = ptr::null_mut();
        assert_eq!(
            ssf_stream_config_aac([0x11u8, 0x90].as_ptr(), 2, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        let mut mux = ptr::null_mut();
        assert_eq!(
            ssf_muxer_new(ptr::null(), &mut mux),
            ssf_status::SSF_STATUS_OK
        );
        let mut stream = 0;
        {
            // The muxer's own last error is not readable while a call changes it.
            let _inside = super::handle::handle_mut(mux, "muxer").unwrap();
            let text = CStr::from_ptr(ssf_muxer_last_error(mux)).to_str().unwrap();
            assert!(text.contains("muxer is in use by another thread"), "{text}");
        }
        busy_then_free(
            mux,
            || ssf_muxer_add_stream(mux, config, &mut stream),
            ssf_muxer_free,
        );

        let mut writer = ptr::null_mut();
        assert_eq!(
            ssf_vod_writer_create(dir_c.as_ptr(), c"busy".as_ptr(), ptr::null(), &mut writer),
            ssf_status::SSF_STATUS_OK
        );
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
            use super::live::*;
            let mut live_options = ptr::null_mut();
            assert_eq!(
                ssf_live_options_new(&mut live_options),
                ssf_status::SSF_STATUS_OK
            );
            let mut publisher = ptr::null_mut();
            // Nothing listens on the discard port; no stream is added, so nothing is sent.
            let url = c"http://127.0.0.1:9/live/x.isml".as_ptr();
            assert_eq!(
                ssf_live_publisher_connect(&url, 1, ptr::null(), live_options, &mut publisher),
                ssf_status::SSF_STATUS_OK
            );
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
            let _inside = super::handle::handle_mut(m.0.cast::<SsfMux>(), "hSSFMux").unwrap();
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
        assert_eq!(
            ssf_muxer_new(ptr::null(), &mut mux),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_stream_config_aac([0x11u8, 0x90].as_ptr(), 2, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_stream_config_set_timescale(config, 48_000),
            ssf_status::SSF_STATUS_OK
        );
        // Two StreamIndexes: each thread cuts its own fragments, and the bit rates of one
        // StreamIndex would have to share their boundaries.
        for (s, name) in streams.iter_mut().zip([c"audio_a", c"audio_b"]) {
            assert_eq!(
                ssf_stream_config_set_track_name(config, name.as_ptr()),
                ssf_status::SSF_STATUS_OK
            );
            assert_eq!(
                ssf_muxer_add_stream(mux, config, s),
                ssf_status::SSF_STATUS_OK
            );
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
        let sample = ssf_sample {
            struct_size: size_of::<ssf_sample>(),
            data: frame.as_ptr(),
            len: frame.len(),
            dts: n * 1024,
            cts_offset: 0,
            duration: 1024,
            sync: true,
            protected_ranges: ptr::null(),
            protected_range_count: 0,
        };
        // The fragment and header bytes are not read: they belong to the handle and the
        // other thread's next call replaces them.
        let mut out = ssf_output::EMPTY;
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
        let mut out = ssf_output::EMPTY;
        for s in streams {
            assert_eq!(ssf_muxer_flush(mux, s, &mut out), ssf_status::SSF_STATUS_OK);
        }
        assert_eq!(
            ssf_muxer_client_manifest(mux, &mut out),
            ssf_status::SSF_STATUS_OK
        );
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
        assert_eq!(
            ssf_stream_config_aac(asc.as_ptr(), 2, &mut config),
            ssf_status::SSF_STATUS_OK
        );
        ssf_stream_config_set_timescale(config, 48_000);
        let write_unfinished = || {
            let mut writer = ptr::null_mut();
            let status =
                ssf_vod_writer_create(dir_c.as_ptr(), c"show".as_ptr(), ptr::null(), &mut writer);
            if status != ssf_status::SSF_STATUS_OK {
                return status;
            }
            let mut stream = 0;
            assert_eq!(
                ssf_vod_writer_add_stream(writer, config, &mut stream),
                ssf_status::SSF_STATUS_OK
            );
            for i in 0..300u64 {
                let sample = ssf_sample {
                    struct_size: size_of::<ssf_sample>(),
                    data: frame.as_ptr(),
                    len: frame.len(),
                    dts: i * 1024,
                    cts_offset: 0,
                    duration: 1024,
                    sync: true,
                    protected_ranges: ptr::null(),
                    protected_range_count: 0,
                };
                assert_eq!(
                    ssf_vod_writer_push(writer, stream, &sample),
                    ssf_status::SSF_STATUS_OK
                );
            }
            ssf_vod_writer_free(writer);
            ssf_status::SSF_STATUS_OK
        };
        assert_eq!(write_unfinished(), ssf_status::SSF_STATUS_OK);
        assert!(!dir.exists(), "nothing published without finish");
        assert_eq!(write_unfinished(), ssf_status::SSF_STATUS_INVALID_STATE);
        assert!(
            thread_message().contains("interrupted"),
            "{}",
            thread_message()
        );

        let mut recovered = false;
        assert_eq!(
            ssf_vod_recover(dir_c.as_ptr(), &mut recovered),
            ssf_status::SSF_STATUS_OK
        );
        assert!(recovered);
        assert!(dir.join("show.ismc").is_file());
        assert_eq!(
            ssf_vod_recover(dir_c.as_ptr(), &mut recovered),
            ssf_status::SSF_STATUS_OK
        );
        assert!(!recovered, "a complete presentation is left alone");

        // Interrupted again, then discarded: the recovered presentation stays.
        assert_eq!(write_unfinished(), ssf_status::SSF_STATUS_OK);
        let mut discarded = false;
        assert_eq!(
            ssf_vod_discard_interrupted(dir_c.as_ptr(), &mut discarded),
            ssf_status::SSF_STATUS_OK
        );
        assert!(discarded);
        assert!(dir.join("show.ismc").is_file());
        assert_eq!(write_unfinished(), ssf_status::SSF_STATUS_OK);

        let mut writer = ptr::null_mut();
        assert_eq!(
            ssf_vod_writer_create(dir_c.as_ptr(), c"show".as_ptr(), ptr::null(), &mut writer),
            ssf_status::SSF_STATUS_INVALID_STATE
        );
        assert_eq!(
            ssf_vod_discard_interrupted(dir_c.as_ptr(), ptr::null_mut()),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(
            ssf_vod_writer_create(dir_c.as_ptr(), c"show".as_ptr(), ptr::null(), &mut writer),
            ssf_status::SSF_STATUS_OK
        );
        assert_eq!(ssf_vod_writer_abort(writer), ssf_status::SSF_STATUS_OK);
        ssf_vod_writer_free(writer);
        assert!(
            !root.path().join(".show.ssf-partial").exists(),
            "abort leaves nothing"
        );
        ssf_stream_config_free(config);
    }
}
