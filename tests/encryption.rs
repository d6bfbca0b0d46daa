//! PlayReady-protected output, checked without our cipher code: every encrypted sample of
//! every stream is decrypted with the `openssl enc -aes-128-ctr` command from the IV and
//! subsample map read back with the box reader, and must equal the clear packaging of the
//! same input byte for byte; FFmpeg then decodes the decrypted video like the clear one,
//! and (CENC-compatible mode) FFmpeg's own CENC decryption gives the same frames.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use ssf::drm::PlayReadyHeader;
use ssf::isobmff::reader::{self, BoxRef, Trun};
use ssf::isobmff::uuids::{PIFF_PSSH_UUID, PIFF_SENC_UUID, PIFF_TENC_UUID};

const KID: &str = "8ba94ade-6eb9-449d-b44f-a5beefaf43b0";
const KID_BE: &str = "8ba94ade6eb9449db44fa5beefaf43b0";
const KEY: &str = "dbfd6922c321c4bb486f4a1c44097ed6";
const FIRST_IV: u64 = 0x0102_0304_0506_0708;
const LA_URL: &str = "https://test.playready.microsoft.com/service/rightsmanager.asmx?cfg=(a)&b=1";

/// Packages the bundled sample into `dir` with extra `ssfmux` arguments.
fn package(dir: &Path, extra: &[&str]) -> PathBuf {
    let sample = support::root().join("sample");
    let inputs = [
        "sample_360p.h264",
        "sample_540p.h264",
        "sample_720p.h264",
        "sample.aac",
    ]
    .map(|f| sample.join(f));
    package_inputs(dir, &inputs, extra)
}

/// Packages `inputs` into `dir` with extra `ssfmux` arguments.
fn package_inputs(dir: &Path, inputs: &[PathBuf], extra: &[&str]) -> PathBuf {
    let mut cmd = Command::new(support::ssfmux());
    cmd.args(["-q", "-n", "s", "-o"])
        .arg(dir)
        .args(extra)
        .args(inputs);
    support::run(&mut cmd);
    dir.to_path_buf()
}

fn media_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ismv" || e == "isma"))
        .collect();
    files.sort();
    files
}

/// One sample as stored: its bytes, and (encrypted files) its IV and subsample map.
struct StoredSample {
    data: Vec<u8>,
    iv: Option<[u8; 8]>,
    subsamples: Vec<(u16, u32)>,
}

fn uuid_child<'a>(parent: &BoxRef<'a>, uuid: &[u8; 16]) -> Vec<BoxRef<'a>> {
    parent
        .children()
        .map(|b| b.unwrap())
        .filter(|b| b.uuid.as_ref() == Some(uuid))
        .collect()
}

/// Every sample of a file, in order, with its encryption data when present.
fn samples(file: &[u8]) -> Vec<StoredSample> {
    let top: Vec<BoxRef<'_>> = reader::boxes(file).map(|b| b.unwrap()).collect();
    let mut out = Vec::new();
    for pair in top.windows(2) {
        let (moof, mdat) = (&pair[0], &pair[1]);
        if moof.type_str() != "moof" {
            continue;
        }
        let traf = moof.find("traf").unwrap().unwrap();
        let trun = Trun::parse(&traf.find("trun").unwrap().unwrap()).unwrap();
        let sencs = uuid_child(&traf, &PIFF_SENC_UUID);
        assert!(
            sencs.len() <= 1,
            "exactly one PIFF sample encryption box per traf"
        );
        let cenc_senc = traf.find_all("senc").unwrap();
        if let (Some(piff), Some(cenc)) = (sencs.first(), cenc_senc.first()) {
            check_cenc_boxes(moof, &traf, piff, cenc);
        }
        let mut entries = Vec::new();
        if let Some(senc) = sencs.first() {
            let (version, flags, body) = senc.full_box().unwrap();
            assert_eq!(version, 0);
            assert!(
                flags == 0 || flags == 2,
                "senc flags {flags:#x}: never the override flag"
            );
            let mut c = reader::ByteCursor::new(body);
            let count = c.u32().unwrap() as usize;
            assert_eq!(count, trun.samples.len());
            for _ in 0..count {
                let iv: [u8; 8] = c.bytes(8).unwrap().try_into().unwrap();
                let mut subs = Vec::new();
                if flags & 2 != 0 {
                    for _ in 0..c.u16().unwrap() {
                        subs.push((c.u16().unwrap(), c.u32().unwrap()));
                    }
                }
                entries.push((iv, subs));
            }
            assert_eq!(c.remaining(), 0);
        }
        let mut at = 0;
        let payload = mdat.payload();
        for (i, s) in trun.samples.iter().enumerate() {
            let size = s.size.unwrap() as usize;
            let (iv, subsamples) = match entries.get(i) {
                Some((iv, subs)) => (Some(*iv), subs.clone()),
                None => (None, Vec::new()),
            };
            out.push(StoredSample {
                data: payload[at..at + size].to_vec(),
                iv,
                subsamples,
            });
            at += size;
        }
    }
    out
}

/// Decrypts one sample with the openssl command: the encrypted ranges, concatenated, are
/// one AES-128-CTR stream whose counter block is the IV followed by a zero block counter.
fn openssl_decrypt(sample: &StoredSample) -> Vec<u8> {
    let iv = sample
        .iv
        .expect("every sample of an encrypted track has an IV");
    let mut ranges = Vec::new();
    let mut at = 0usize;
    if sample.subsamples.is_empty() {
        ranges.push(0..sample.data.len());
    } else {
        for &(clear, enc) in &sample.subsamples {
            at += usize::from(clear);
            ranges.push(at..at + enc as usize);
            at += enc as usize;
        }
        assert_eq!(
            at,
            sample.data.len(),
            "subsample map covers the sample exactly"
        );
    }
    let cipher: Vec<u8> = ranges
        .iter()
        .flat_map(|r| sample.data[r.clone()].to_vec())
        .collect();
    let mut child = Command::new("openssl")
        .args(["enc", "-d", "-aes-128-ctr", "-nopad", "-K", KEY, "-iv"])
        .arg(format!("{}0000000000000000", hex::encode(iv)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl");
    child.stdin.take().unwrap().write_all(&cipher).unwrap();
    let plain = child.wait_with_output().unwrap();
    assert!(plain.status.success());
    let mut out = sample.data.clone();
    let mut from = 0;
    for r in ranges {
        let len = r.len();
        out[r].copy_from_slice(&plain.stdout[from..from + len]);
        from += len;
    }
    out
}

/// Converts 4-byte length-prefixed samples to an Annex B elementary stream.
fn annexb(samples: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in samples {
        for nal in ssf::codec::avc::length_prefixed_nals(s, 4) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal.unwrap());
        }
    }
    out
}

#[test]
fn every_sample_decrypts_with_openssl_to_the_clear_sample() {
    if !support::require_tool(
        "openssl",
        "every_sample_decrypts_with_openssl_to_the_clear_sample",
    ) || !support::require_tool(
        "ffmpeg",
        "every_sample_decrypts_with_openssl_to_the_clear_sample",
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let clear = package(&work.path().join("clear"), &[]);
    let iv = format!("{FIRST_IV:016x}");
    let enc = package(
        &work.path().join("enc"),
        &["--kid", KID, "--key", KEY, "--iv", &iv, "--la-url", LA_URL],
    );
    let clear_files = media_files(&clear);
    let enc_files = media_files(&enc);
    assert_eq!(clear_files.len(), 4);
    let names = |v: &[PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&clear_files), names(&enc_files));

    let mut first_ivs = Vec::new();
    for (clear_file, enc_file) in clear_files.iter().zip(&enc_files) {
        let clear_bytes = fs::read(clear_file).unwrap();
        let enc_bytes = fs::read(enc_file).unwrap();
        let clear_samples = samples(&clear_bytes);
        let enc_samples = samples(&enc_bytes);
        assert_eq!(clear_samples.len(), enc_samples.len());
        let video = enc_file.extension().unwrap() == "ismv";
        let mut decrypted = Vec::new();
        for (i, (c, e)) in clear_samples.iter().zip(&enc_samples).enumerate() {
            assert_ne!(
                c.data,
                e.data,
                "{}: sample {i} is stored encrypted",
                enc_file.display()
            );
            assert_eq!(
                video,
                !e.subsamples.is_empty(),
                "video subsamples, audio whole"
            );
            let iv = u64::from_be_bytes(e.iv.unwrap());
            if i == 0 {
                first_ivs.push(iv);
            } else {
                let previous = u64::from_be_bytes(enc_samples[i - 1].iv.unwrap());
                assert_eq!(iv, previous.wrapping_add(1), "IVs go up by one per sample");
            }
            let plain = openssl_decrypt(e);
            assert_eq!(plain, c.data, "{}: sample {i}", enc_file.display());
            decrypted.push(plain);
        }
        if video {
            let es = work.path().join("decrypted.h264");
            fs::write(&es, annexb(&decrypted)).unwrap();
            assert_eq!(
                support::frame_hashes(&es, "v"),
                support::frame_hashes(clear_file, "v"),
                "{}: decrypted video decodes like the clear output",
                enc_file.display()
            );
        }
        check_protected_header(&enc_bytes, video);
    }
    // Each stream has its own IV range: stream n starts at FIRST_IV + (n << 48).
    first_ivs.sort_unstable();
    let expected: Vec<u64> = (0..4u64).map(|n| FIRST_IV.wrapping_add(n << 48)).collect();
    assert_eq!(first_ivs, expected);

    check_manifest(&fs::read_to_string(enc.join("s.ismc")).unwrap());
}

/// The moov signals PIFF 1.1 AES-CTR with the right KID and carries the PlayReady header.
fn check_protected_header(file: &[u8], video: bool) {
    let moov = reader::find(file, "moov").unwrap().unwrap();
    let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    let entry = stsd.children_at(8).next().unwrap().unwrap();
    assert_eq!(entry.type_str(), if video { "encv" } else { "enca" });
    let fields = if video { 78 } else { 28 };
    let sinf = entry
        .children_at(fields)
        .map(|b| b.unwrap())
        .find(|b| b.type_str() == "sinf")
        .expect("sinf in the protected entry");
    let frma = sinf.find("frma").unwrap().unwrap();
    assert_eq!(frma.payload(), if video { b"avc1" } else { b"mp4a" });
    let schm = sinf.find("schm").unwrap().unwrap();
    assert_eq!(hex::encode(schm.payload()), "000000007069666600010001");
    let schi = sinf.find("schi").unwrap().unwrap();
    let tenc = uuid_child(&schi, &PIFF_TENC_UUID);
    assert_eq!(tenc.len(), 1);
    assert_eq!(
        hex::encode(tenc[0].payload()),
        format!("0000000000000108{KID_BE}")
    );
    let pssh = uuid_child(&moov, &PIFF_PSSH_UUID);
    assert_eq!(pssh.len(), 1);
    let body = &pssh[0].payload()[4..];
    assert_eq!(hex::encode(&body[..16]), "9a04f07998404286ab92e65be0885f95");
    let pro = &body[20..];
    let header = PlayReadyHeader::from_pro(pro).unwrap();
    assert_eq!(header.kid.to_string(), KID);
}

/// `<Protection>` is the last child, with the PlayReady SystemID and the PRO whose
/// WRMHEADER 4.0 carries the KID (little-endian base64), checksum and LA_URL.
fn check_manifest(ismc: &str) {
    let start = ismc.find("<Protection>").expect("Protection element");
    assert!(
        ismc[start..]
            .trim_end()
            .ends_with("</Protection>\n</SmoothStreamingMedia>")
    );
    let open = "<ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\">";
    let from = ismc.find(open).unwrap() + open.len();
    let to = from + ismc[from..].find("</ProtectionHeader>").unwrap();
    let pro = base64::engine::general_purpose::STANDARD
        .decode(&ismc[from..to])
        .unwrap();
    let header = PlayReadyHeader::from_pro(&pro).unwrap();
    assert_eq!(header.la_url.as_deref(), Some(LA_URL));
    let xml = header.to_xml();
    assert!(xml.contains("<KID>3kqpi7lunUS0T6W+769DsA==</KID>"), "{xml}");
    assert!(xml.contains("<CHECKSUM>Me48z71nuqY=</CHECKSUM>"), "{xml}");
    assert!(xml.contains("version=\"4.0.0.0\""), "{xml}");
}

/// In CENC-compatible files the standard `senc` has the PIFF box's exact content,
/// `saiz` gives each sample's IV + subsample size, and `saio` points at the first IV.
fn check_cenc_boxes(moof: &BoxRef<'_>, traf: &BoxRef<'_>, piff: &BoxRef<'_>, cenc: &BoxRef<'_>) {
    assert_eq!(
        piff.payload(),
        cenc.payload(),
        "senc and the PIFF uuid senc are identical"
    );
    let (_, flags, body) = cenc.full_box().unwrap();
    let mut c = reader::ByteCursor::new(body);
    let count = c.u32().unwrap();
    let mut sizes = Vec::new();
    for _ in 0..count {
        c.skip(8).unwrap();
        let mut size = 8;
        if flags & 2 != 0 {
            let n = c.u16().unwrap();
            c.skip(6 * usize::from(n)).unwrap();
            size += 2 + 6 * usize::from(n);
        }
        sizes.push(size as u8);
    }
    let saiz = traf.find("saiz").unwrap().expect("saiz beside senc");
    let (_, _, saiz_body) = saiz.full_box().unwrap();
    let default = saiz_body[0];
    assert_eq!(&saiz_body[1..5], &count.to_be_bytes());
    if default == 0 {
        assert_eq!(&saiz_body[5..], &sizes[..]);
    } else {
        assert!(sizes.iter().all(|&s| s == default));
    }
    let saio = traf.find("saio").unwrap().expect("saio beside senc");
    let (_, _, saio_body) = saio.full_box().unwrap();
    assert_eq!(&saio_body[..4], &[0, 0, 0, 1]);
    let offset = u64::from(u32::from_be_bytes(saio_body[4..8].try_into().unwrap()));
    assert_eq!(
        moof.offset + offset,
        cenc.payload_offset() + 8,
        "saio points at the first IV"
    );
}

/// CENC-compatible mode adds the standard boxes with the same content; the samples still
/// decrypt with openssl to the clear ones. (FFmpeg 5.1 cannot check this: it fails to
/// decrypt even its own fragmented CENC output, "saio atom found without saiz".)
#[test]
fn cenc_compatible_files_decrypt_with_openssl_too() {
    if !support::require_tool("openssl", "cenc_compatible_files_decrypt_with_openssl_too") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let clear = package(&work.path().join("clear"), &[]);
    let enc = package(
        &work.path().join("enc"),
        &["--kid", KID, "--key", KEY, "--cenc", "--la-url", LA_URL],
    );
    for (clear_file, enc_file) in media_files(&clear).iter().zip(media_files(&enc)) {
        let enc_bytes = fs::read(&enc_file).unwrap();
        let moov = reader::find(&enc_bytes, "moov").unwrap().unwrap();
        let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
        let entry = stsd.children_at(8).next().unwrap().unwrap();
        let fields = if entry.type_str() == "encv" { 78 } else { 28 };
        let sinf = entry
            .children_at(fields)
            .map(|b| b.unwrap())
            .find(|b| b.type_str() == "sinf")
            .unwrap();
        let scheme = sinf.find("schm").unwrap().unwrap();
        assert_eq!(hex::encode(scheme.payload()), "0000000063656e6300010000");
        let tenc = sinf.find("schi/tenc").unwrap().unwrap();
        assert_eq!(
            hex::encode(tenc.payload()),
            format!("0000000000000108{KID_BE}")
        );
        let pssh = moov.find("pssh").unwrap().unwrap();
        let piff_pssh = uuid_child(&moov, &PIFF_PSSH_UUID);
        assert_eq!(
            pssh.payload(),
            piff_pssh[0].payload(),
            "pssh v0 = PIFF pssh content"
        );
        let clear_samples = samples(&fs::read(clear_file).unwrap());
        let enc_samples = samples(&enc_bytes);
        assert_eq!(clear_samples.len(), enc_samples.len());
        // Every tenth sample: the PIFF test decrypts all of them.
        for (c, e) in clear_samples.iter().zip(&enc_samples).step_by(10) {
            assert_eq!(openssl_decrypt(e), c.data);
        }
    }
}

/// The SDK's SSF_RANGE list: the caller picks the encrypted bytes. Through the muxer this
/// reproduces the format.md §11(5) subsample vector exactly.
#[test]
fn caller_ranges_choose_what_is_encrypted() {
    use bytes::Bytes;
    use ssf::{ContentKey, Kid, Muxer, Options, Protection, Sample, StreamConfig};
    let protection = Protection::new(
        Kid::parse(KID).unwrap(),
        ContentKey::parse_hex(KEY).unwrap(),
    )
    .first_iv(FIRST_IV);
    let mut mux = Muxer::new(Options::default().protection(protection).manual()).unwrap();
    let a = mux
        .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().timescale(48_000))
        .unwrap();
    let data = Bytes::from((0u8..40).collect::<Vec<_>>());
    let sample = Sample::new(data.clone(), 0)
        .duration(1024)
        .protected_ranges(vec![(28, 12), (5, 20)]);
    mux.push(a, sample).unwrap();
    let fragment = mux.flush(a).unwrap().unwrap();
    assert_eq!(
        fragment.chunks.len(),
        2,
        "one encrypted payload buffer per fragment"
    );
    assert_eq!(
        hex::encode(fragment.chunks[1].memory().unwrap()),
        "0001020304c409211b8daa3816cda0d06d784672abb27ca3e1191a1b8d44deddd0c01113bfd0f0e8"
    );
    assert_eq!(
        data[..],
        (0u8..40).collect::<Vec<_>>()[..],
        "the caller's buffer is untouched"
    );
    let moof = reader::find(fragment.header(), "moof").unwrap().unwrap();
    let traf = moof.find("traf").unwrap().unwrap();
    let senc = &uuid_child(&traf, &PIFF_SENC_UUID)[0];
    assert_eq!(
        hex::encode(senc.data),
        "0000003675756964a2394f525a9b4f14a2446c427c648df400000002000000010102030405060708000200050000001400030000000c"
    );

    let overlapping = Sample::new(data.clone(), 1024).protected_ranges(vec![(0, 10), (5, 10)]);
    assert!(matches!(
        mux.push(a, overlapping),
        Err(ssf::Error::InvalidSample { .. })
    ));
    let beyond = Sample::new(data, 1024).protected_ranges(vec![(30, 11)]);
    assert!(matches!(
        mux.push(a, beyond),
        Err(ssf::Error::InvalidSample { .. })
    ));
}

/// Ranges refer to the payload as given, so they cannot be used when the muxer has to
/// rewrite the NAL framing (here 2-byte lengths become 4-byte ones).
#[test]
fn caller_ranges_with_rewritten_framing_are_refused() {
    use bytes::Bytes;
    use ssf::codec::avc::NalFormat;
    use ssf::{ContentKey, Kid, Muxer, Options, Protection, Sample, StreamConfig};
    let protection = Protection::new(
        Kid::parse(KID).unwrap(),
        ContentKey::parse_hex(KEY).unwrap(),
    );
    let mut mux = Muxer::new(Options::default().protection(protection)).unwrap();
    let v = mux
        .add_stream(StreamConfig::h264_in_band(NalFormat::LengthPrefixed(2)).unwrap())
        .unwrap();
    let sample = Sample::new(Bytes::from_static(&[0, 3, 0x65, 0x88, 0x80]), 0)
        .protected_ranges(vec![(3, 2)]);
    let err = mux.push(v, sample).unwrap_err();
    assert!(err.to_string().contains("framing was rewritten"), "{err}");
}

/// VC-1 and WMA are encrypted whole (no subsample map: PIFF protects every byte of their
/// samples) under `encv`/`enca` entries that name the original `vc-1` / `wma ` format.
#[test]
fn vc1_and_wma_samples_are_encrypted_whole() {
    const TEST: &str = "vc1_and_wma_samples_are_encrypted_whole";
    let Some(media) = support::shared_media(TEST) else {
        return;
    };
    if !support::require_tool("openssl", TEST) {
        return;
    }
    let inputs = [media.join("vc1_ap.vc1"), media.join("wmapro_44k.wma")];
    let work = tempfile::tempdir().unwrap();
    let clear = package_inputs(&work.path().join("clear"), &inputs, &[]);
    let enc = package_inputs(
        &work.path().join("enc"),
        &inputs,
        &["--kid", KID, "--key", KEY],
    );
    let (clear_files, enc_files) = (media_files(&clear), media_files(&enc));
    assert_eq!(enc_files.len(), 2);
    for (clear_file, enc_file) in clear_files.iter().zip(&enc_files) {
        let enc_bytes = fs::read(enc_file).unwrap();
        let video = enc_file.extension().unwrap() == "ismv";
        let stsd = reader::find(&enc_bytes, "moov/trak/mdia/minf/stbl/stsd")
            .unwrap()
            .unwrap();
        let entry = stsd.children_at(8).next().unwrap().unwrap();
        let (kind, fields, original) = if video {
            ("encv", 78, b"vc-1")
        } else {
            ("enca", 28, b"wma ")
        };
        assert_eq!(entry.type_str(), kind);
        let sinf = entry
            .children_at(fields)
            .map(|b| b.unwrap())
            .find(|b| b.is(b"sinf"))
            .expect("sinf");
        assert_eq!(sinf.find("frma").unwrap().unwrap().payload(), original);

        let clear_samples = samples(&fs::read(clear_file).unwrap());
        let enc_samples = samples(&enc_bytes);
        assert_eq!(clear_samples.len(), enc_samples.len());
        for (i, (c, e)) in clear_samples.iter().zip(&enc_samples).enumerate() {
            assert!(e.subsamples.is_empty(), "sample {i}: encrypted whole");
            assert_ne!(c.data, e.data);
            assert_eq!(
                openssl_decrypt(e),
                c.data,
                "{}: sample {i}",
                enc_file.display()
            );
        }
    }
}

#[test]
fn an_unmappable_h264_sample_is_refused_at_push_when_encrypting() {
    use ssf::codec::avc::NalFormat;
    use ssf::input::h264::AccessUnitReader;
    use ssf::{ContentKey, Kid, Muxer, Options, Protection, Sample, StreamConfig};
    let file = std::fs::File::open(support::root().join("sample/sample_360p.h264")).unwrap();
    let mut reader = AccessUnitReader::new(file);
    let au = reader.next_access_unit().unwrap().unwrap();
    let protection = Protection::new(
        Kid::parse(KID).unwrap(),
        ContentKey::parse_hex(KEY).unwrap(),
    );
    let mut mux = Muxer::new(Options::default().protection(protection).manual()).unwrap();
    let config = StreamConfig::h264_parameter_sets(
        au.sps.clone().unwrap(),
        au.pps.clone().unwrap(),
        NalFormat::LengthPrefixed(4),
    )
    .unwrap();
    let v = mux.add_stream(config).unwrap();
    // The reader hands out access units with 4-byte NAL lengths.
    let good = au.data.clone();
    let mut bad = good.to_vec();
    bad.extend_from_slice(&[0, 0, 0, 0]); // a zero-length NAL unit
    let err = mux
        .push(v, Sample::new(bad, 0).duration(400_000))
        .unwrap_err();
    assert!(matches!(err, ssf::Error::InvalidSample { .. }), "{err}");
    mux.push(v, Sample::new(good, 0).duration(400_000)).unwrap();
    assert!(mux.flush(v).unwrap().is_some(), "the stream is not stuck");
}

#[test]
fn payloads_owned_by_the_muxer_are_encrypted_in_place_with_the_same_bytes() {
    use bytes::Bytes;
    use ssf::{ContentKey, Kid, Muxer, Options, Protection, Sample, StreamConfig};
    let fragment = |shared: bool| {
        let protection = Protection::new(
            Kid::parse(KID).unwrap(),
            ContentKey::parse_hex(KEY).unwrap(),
        )
        .first_iv(FIRST_IV);
        let mut mux = Muxer::new(Options::default().protection(protection).manual()).unwrap();
        let a = mux
            .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().timescale(48_000))
            .unwrap();
        let mut held = Vec::new();
        for n in 0..3u64 {
            let data = Bytes::from(vec![n as u8 + 1; 300]);
            if shared {
                held.push(data.clone());
            }
            mux.push(a, Sample::new(data, n * 1024).duration(1024))
                .unwrap();
        }
        let fragment = mux.flush(a).unwrap().unwrap();
        for (n, data) in held.iter().enumerate() {
            assert!(
                data.iter().all(|&b| b == n as u8 + 1),
                "caller bytes untouched"
            );
        }
        fragment
    };
    let in_place = fragment(false);
    let copied = fragment(true);
    assert_eq!(
        in_place.chunks.len(),
        4,
        "header, then each sample's own buffer"
    );
    assert_eq!(copied.chunks.len(), 2, "header, then one encrypted copy");
    assert_eq!(
        in_place.to_vec().unwrap(),
        copied.to_vec().unwrap(),
        "the same bytes either way"
    );
}

#[test]
fn samples_sealed_ahead_are_stored_as_the_muxer_would_encrypt_them() {
    use ssf::input::InputSet;
    use ssf::{ContentKey, Kid, Muxer, Options, Protection, Sample, StreamConfig};
    let muxer = || {
        let protection = Protection::new(
            Kid::parse(KID).unwrap(),
            ContentKey::parse_hex(KEY).unwrap(),
        )
        .first_iv(FIRST_IV);
        Muxer::new(Options::default().protection(protection)).unwrap()
    };
    let mut set = InputSet::new();
    set.add(
        ssf::input::open(support::root().join("tests/data/mp4/clip.mp4")).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let (mut plain, mut sealing) = (muxer(), muxer());
    let ids = set.add_streams(|c| plain.add_stream(c)).unwrap();
    for i in 0..ids.len() {
        sealing.add_stream(set.config(i, None).unwrap()).unwrap();
    }
    let sealers: Vec<_> = ids
        .iter()
        .map(|&id| {
            sealing
                .sample_sealer(id)
                .unwrap()
                .expect("a protected stream")
        })
        .collect();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut counts = vec![0u64; ids.len()];
    while let Some((id, sample)) = set.next_sample().unwrap() {
        let n = &mut counts[id.index()];
        let mut data = sample.data.to_vec();
        let sealed = sealers[id.index()].seal(*n, &mut data).unwrap();
        *n += 1;
        let ahead = Sample::new(data, sample.dts)
            .cts_offset(sample.cts_offset)
            .duration(sample.duration)
            .sync(sample.sync)
            .sealed(sealed);
        a.extend(plain.push(id, sample.into_sample()).unwrap());
        b.extend(sealing.push(id, ahead).unwrap());
    }
    a.extend(plain.finish().unwrap());
    b.extend(sealing.finish().unwrap());
    assert!(a.len() > 4, "{} fragments", a.len());
    let bytes =
        |f: &[ssf::Fragment]| -> Vec<Vec<u8>> { f.iter().map(|f| f.to_vec().unwrap()).collect() };
    assert_eq!(bytes(&a), bytes(&b), "the same fragments, byte for byte");

    // Sealed as another sample than the one it arrives as: refused, not stored.
    let mut mux = muxer();
    let s = mux
        .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().timescale(48_000))
        .unwrap();
    let sealer = mux.sample_sealer(s).unwrap().unwrap();
    let mut data = vec![7u8; 100];
    let sealed = sealer.seal(1, &mut data).unwrap();
    let err = mux
        .push(s, Sample::new(data, 0).sealed(sealed))
        .unwrap_err();
    assert!(err.to_string().contains("in order"), "{err}");

    // And on a stream that is not protected.
    let mut clear = Muxer::new(Options::default()).unwrap();
    let c = clear
        .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().timescale(48_000))
        .unwrap();
    assert!(clear.sample_sealer(c).unwrap().is_none());
    let mut data = vec![7u8; 100];
    let sealed = sealer.seal(0, &mut data).unwrap();
    let err = clear
        .push(c, Sample::new(data, 0).sealed(sealed))
        .unwrap_err();
    assert!(err.to_string().contains("protected stream"), "{err}");
}
