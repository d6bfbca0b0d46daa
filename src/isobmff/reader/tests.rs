//! Tests: byte vectors from format.md §11, hand-built edge cases, a corruption/truncation
//! sweep, and a real FFmpeg `.ismv` when ffmpeg is installed.

use super::*;
use crate::isobmff::uuids::*;

/// Decodes a hex string; the vectors below are written exactly as in format.md.
fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// A plain box.
fn bx(t: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(t);
    v.extend_from_slice(payload);
    v
}

/// A FullBox.
fn full(t: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut p = vec![version];
    p.extend_from_slice(&flags.to_be_bytes()[1..]);
    p.extend_from_slice(body);
    bx(t, &p)
}

/// A uuid FullBox.
fn uuid_full(uuid: &[u8; 16], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut p = uuid.to_vec();
    p.push(version);
    p.extend_from_slice(&flags.to_be_bytes()[1..]);
    p.extend_from_slice(body);
    bx(b"uuid", &p)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn only(data: &[u8]) -> BoxRef<'_> {
    let v: Vec<_> = boxes(data).collect::<Result<_>>().unwrap();
    assert_eq!(v.len(), 1, "{}", dump(data));
    v[0]
}

fn malformed_offset(e: &Error) -> usize {
    match e {
        Error::Malformed { offset, .. } => *offset,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

// ---- format.md §11(9): computed reference boxes ----

const FTYP_HEX: &str = "000000186674797069736d6c000000017069666669736f32";
const TFXD_HEX: &str =
    "0000002c757569646d1d9b0542d544e680e2141daff757b20100000000000000000000000000000001312d00";
const TFRF_HEX: &str = "0000003d75756964d4807ef2ca3946958e5426cb9e46a79f01000000020000000001312d000000000001312d000000000002625a000000000001312d00";
const TFRA_HEX: &str = "0000003e7466726101000000000000010000000000000002000000000000000000000000000004d20101010000000001312d00000000000000ddd5010101";
const MFRO_HEX: &str = "000000106d66726f0000000000000056";
const TENC_HEX: &str = "00000030757569648974dbce7be74c5184f97148f988255400000000000001088ba94ade6eb9449db44fa5beefaf43b0";
const SCHM_HEX: &str = "000000147363686d000000007069666600010001";
const FRMA_HEX: &str = "0000000c66726d6161766331";
const SENC_HEX: &str = "0000003675756964a2394f525a9b4f14a2446c427c648df400000002000000010102030405060708000200050000001400030000000c";

#[test]
fn vector_ftyp() {
    let data = unhex(FTYP_HEX);
    let b = only(&data);
    assert_eq!((b.size(), b.header_len, b.offset), (24, 8, 0));
    let f = Ftyp::parse(&b).unwrap();
    assert_eq!(f.major, *b"isml");
    assert_eq!(f.minor, 1);
    assert_eq!(f.compatible, vec![*b"piff", *b"iso2"]);
}

#[test]
fn vector_tfxd() {
    let data = unhex(TFXD_HEX);
    let b = only(&data);
    assert_eq!(b.box_type, *b"uuid");
    assert_eq!(b.uuid, Some(TFXD_UUID));
    assert_eq!((b.size(), b.header_len), (44, 24));
    let t = Tfxd::parse(&b).unwrap();
    assert_eq!((t.version, t.time, t.duration), (1, 0, 20_000_000));
    assert!(dump(&data).starts_with("tfxd size=44 @0 t=0 d=20000000"));

    // Version 0: 32-bit fields, 36 bytes.
    let v0 = uuid_full(
        &TFXD_UUID,
        0,
        0,
        &cat(&[&7u32.to_be_bytes(), &9u32.to_be_bytes()]),
    );
    assert_eq!(v0.len(), 36);
    let t = Tfxd::parse(&only(&v0)).unwrap();
    assert_eq!((t.version, t.time, t.duration), (0, 7, 9));
}

#[test]
fn vector_tfrf() {
    let data = unhex(TFRF_HEX);
    let b = only(&data);
    assert_eq!(b.size(), 61);
    let t = Tfrf::parse(&b).unwrap();
    assert_eq!(t.version, 1);
    assert_eq!(
        t.entries,
        vec![(20_000_000, 20_000_000), (40_000_000, 20_000_000)]
    );
    // The tfrf parser refuses a tfxd and vice versa: the uuid is checked.
    assert!(Tfxd::parse(&b).is_err());
    assert!(Tfrf::parse(&only(&unhex(TFXD_HEX))).is_err());
}

#[test]
fn vector_mfra_tfra_mfro() {
    let tfra = unhex(TFRA_HEX);
    assert_eq!(tfra.len(), 62);
    let mfra = bx(b"mfra", &cat(&[&tfra, &unhex(MFRO_HEX)]));
    assert_eq!(mfra.len(), 86);

    let m = only(&mfra);
    let t = Tfra::parse(&m.find("tfra").unwrap().unwrap()).unwrap();
    assert_eq!((t.version, t.track_id), (1, 1));
    let expected = [(0, 1234), (20_000_000, 56789)];
    assert_eq!(t.entries.len(), 2);
    for (e, (time, off)) in t.entries.iter().zip(expected) {
        assert_eq!((e.time, e.moof_offset), (time, off));
        assert_eq!((e.traf_number, e.trun_number, e.sample_number), (1, 1, 1));
    }
    let mfro = m.find("mfro").unwrap().unwrap();
    assert_eq!(mfro.offset, 8 + 62);
    assert_eq!(u64::from(Mfro::parse(&mfro).unwrap().size), m.size());
}

#[test]
fn vector_piff_protection_boxes() {
    let tenc = unhex(TENC_HEX);
    let b = only(&tenc);
    assert!(b.is_uuid(&PIFF_TENC_UUID));
    let (version, flags, rest) = b.full_box().unwrap();
    assert_eq!((version, flags), (0, 0));
    let mut c = ByteCursor::new(rest);
    assert_eq!(c.u24().unwrap(), 1); // AES-128-CTR
    assert_eq!(c.u8().unwrap(), 8); // IV size
    assert_eq!(
        c.bytes(16).unwrap(),
        unhex("8ba94ade6eb9449db44fa5beefaf43b0")
    );
    assert_eq!(c.remaining(), 0);

    let senc = unhex(SENC_HEX);
    assert!(only(&senc).is_uuid(&PIFF_SENC_UUID));
    assert!(dump(&senc).starts_with("senc size=54 @0"));
    assert!(dump(&tenc).starts_with("tenc size=48 @0"));

    // sinf(frma, schm, schi(tenc)) walks as a tree.
    let sinf = bx(
        b"sinf",
        &cat(&[&unhex(FRMA_HEX), &unhex(SCHM_HEX), &bx(b"schi", &tenc)]),
    );
    let s = only(&sinf);
    assert_eq!(s.find("frma").unwrap().unwrap().payload(), b"avc1");
    let schm = s.find("schm").unwrap().unwrap();
    assert_eq!(schm.full_box().unwrap().2, &unhex("7069666600010001")[..]);
    let t = s.find("schi/uuid").unwrap().unwrap();
    assert_eq!((t.uuid, t.offset), (Some(PIFF_TENC_UUID), 8 + 12 + 20 + 8));
}

#[test]
fn uuid_constants_match_canonical_text() {
    let canon = |s: &str| unhex(&s.replace('-', ""));
    assert_eq!(
        TFXD_UUID.to_vec(),
        canon("6d1d9b05-42d5-44e6-80e2-141daff757b2")
    );
    assert_eq!(
        TFRF_UUID.to_vec(),
        canon("d4807ef2-ca39-4695-8e54-26cb9e46a79f")
    );
    assert_eq!(
        PIFF_SENC_UUID.to_vec(),
        canon("a2394f52-5a9b-4f14-a244-6c427c648df4")
    );
    assert_eq!(
        PIFF_TENC_UUID.to_vec(),
        canon("8974dbce-7be7-4c51-84f9-7148f9882554")
    );
    assert_eq!(
        PIFF_PSSH_UUID.to_vec(),
        canon("d08a4f18-10f3-4a82-b6c8-32d8aba183d3")
    );
    assert_eq!(
        LIVE_SERVER_MANIFEST_UUID.to_vec(),
        canon("a5d40b30-e814-11dd-ba2f-0800200c9a66")
    );
}

// ---- box headers ----

#[test]
fn size_zero_runs_to_end() {
    let mut data = unhex(FTYP_HEX);
    data.extend_from_slice(&[0, 0, 0, 0, b'm', b'd', b'a', b't', 1, 2, 3]);
    let v: Vec<_> = boxes(&data).collect::<Result<_>>().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[1].offset, v[1].size(), v[1].payload()),
        (24, 11, &[1u8, 2, 3][..])
    );
}

#[test]
fn largesize() {
    let mut data = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
    data.extend_from_slice(&19u64.to_be_bytes());
    data.extend_from_slice(&[7, 8, 9]);
    data.extend_from_slice(&unhex(FRMA_HEX));
    let v: Vec<_> = boxes(&data).collect::<Result<_>>().unwrap();
    assert_eq!(
        (v[0].header_len, v[0].size(), v[0].payload()),
        (16, 19, &[7u8, 8, 9][..])
    );
    assert_eq!((v[1].type_str().as_str(), v[1].offset), ("frma", 19));

    // A largesize smaller than its own header.
    let mut bad = vec![0, 0, 0, 1, b'm', b'd', b'a', b't'];
    bad.extend_from_slice(&8u64.to_be_bytes());
    let e = boxes(&bad).next().unwrap().unwrap_err();
    assert_eq!(malformed_offset(&e), 0);
}

#[test]
fn header_errors_report_offset() {
    // size 4 < 8 at offset 24
    let mut data = unhex(FTYP_HEX);
    data.extend_from_slice(&[0, 0, 0, 4, b'f', b'r', b'e', b'e']);
    let r: Vec<_> = boxes(&data).collect();
    assert_eq!(r.len(), 2, "iteration stops after the error");
    let e = r[1].as_ref().unwrap_err();
    assert_eq!(malformed_offset(e), 24);
    assert!(e.to_string().contains("smaller than"), "{e}");

    // size past the end
    let mut data = unhex(FTYP_HEX);
    data.extend_from_slice(&[0, 0, 0, 100, b'f', b'r', b'e', b'e', 0]);
    let e = boxes(&data).nth(1).unwrap().unwrap_err();
    assert_eq!(malformed_offset(&e), 24);
    assert!(e.to_string().contains("past the end"), "{e}");

    // truncated header (5 bytes)
    let e = boxes(&[0, 0, 0, 8, b'f']).next().unwrap().unwrap_err();
    assert_eq!(malformed_offset(&e), 4);

    // uuid box too short for its extended type
    let e = boxes(&bx(b"uuid", &[1, 2, 3])).next().unwrap().unwrap_err();
    assert_eq!(malformed_offset(&e), 8);

    // child errors carry absolute offsets
    let moof = bx(
        b"moof",
        &cat(&[&unhex(FRMA_HEX), &[0, 0, 0, 3, b'x', b'x', b'x', b'x']]),
    );
    let mut file = unhex(FTYP_HEX);
    file.extend_from_slice(&moof);
    let e = find(&file, "moof/traf").unwrap_err();
    assert_eq!(malformed_offset(&e), 24 + 8 + 12);
    assert!(
        dump(&file).contains("!! malformed box at byte 44"),
        "{}",
        dump(&file)
    );

    assert_eq!(boxes(&[]).count(), 0);
}

#[test]
fn byte_cursor() {
    let data = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xff, 0xff, 0xfe];
    let mut c = ByteCursor::at(&data, 100, "test");
    assert_eq!(c.u8().unwrap(), 1);
    assert_eq!(c.u16().unwrap(), 0x0203);
    assert_eq!(c.u24().unwrap(), 0x040506);
    assert_eq!(c.position(), 6);
    c.skip(3).unwrap();
    assert_eq!(c.i32().unwrap(), -2);
    assert_eq!(c.remaining(), 0);
    let e = c.u32().unwrap_err();
    assert_eq!(malformed_offset(&e), 113);
    assert!(
        e.to_string().starts_with("malformed test at byte 113"),
        "{e}"
    );
    assert_eq!(c.position(), 13, "a failed read does not move");

    let mut c = ByteCursor::new(&data);
    assert_eq!(c.u64().unwrap(), 0x0102030405060708);
    assert!(c.bytes(usize::MAX).is_err());
    assert!(c.skip(6).is_err());
    assert_eq!(c.uint(3).unwrap(), 0x09ffff);
    assert!(c.uint(0).is_err());
    assert_eq!(c.array::<2>().unwrap(), [0xff, 0xfe]);
    assert_eq!(c.rest(), &[] as &[u8]);
}

#[test]
fn find_paths_and_children_at() {
    let avcc = bx(b"avcC", &[1, 0x64, 0, 0x1f]);
    let avc1 = bx(b"avc1", &cat(&[&[0u8; 78], &avcc, &bx(b"btrt", &[0; 12])]));
    let stsd = full(b"stsd", 0, 0, &cat(&[&1u32.to_be_bytes(), &avc1]));
    let hdlr_v = full(
        b"hdlr",
        0,
        0,
        &cat(&[&[0; 4], b"vide", &[0; 12], b"Video\0"]),
    );
    let hdlr_s = full(b"hdlr", 0, 0, &cat(&[&[0; 4], b"soun", &[0; 12], b"Sound"]));
    let trak1 = bx(
        b"trak",
        &bx(b"mdia", &cat(&[&hdlr_v, &bx(b"minf", &bx(b"stbl", &stsd))])),
    );
    let trak2 = bx(b"trak", &bx(b"mdia", &hdlr_s));
    let moov = bx(b"moov", &cat(&[&trak1, &trak2]));
    let m = only(&moov);

    let hdlrs: Vec<_> = m
        .find_all("trak/mdia/hdlr")
        .unwrap()
        .iter()
        .map(|b| Hdlr::parse(b).unwrap())
        .collect();
    assert_eq!(hdlrs[0].handler_type, *b"vide");
    assert_eq!(hdlrs[0].name, "Video");
    assert_eq!(
        (hdlrs[1].handler_type, hdlrs[1].name.as_str()),
        (*b"soun", "Sound")
    );
    assert_eq!(find_all(&moov, "moov/trak").unwrap().len(), 2);
    assert!(m.find("trak/mdia/minf/stbl/stts").unwrap().is_none());
    assert!(find(&moov, "moof").unwrap().is_none());

    let stsd = m.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    let entry = stsd.children_at(8).next().unwrap().unwrap();
    assert_eq!(entry.box_type, *b"avc1");
    let kids: Vec<_> = entry.children_at(78).map(|b| b.unwrap().box_type).collect();
    assert_eq!(kids, vec![*b"avcC", *b"btrt"]);
    assert_eq!(
        entry.children_at(78).next().unwrap().unwrap().offset,
        entry.offset + 8 + 78
    );
    // Too-large skip yields a single error, then ends.
    let mut it = entry.children_at(1000);
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());

    let d = dump(&moov);
    assert!(d.contains("\n              avcC size=12 @180"), "{d}");

    for bad in ["", "trak/", "tra", "trak/mdia/x", "trakk"] {
        assert!(
            matches!(m.find(bad), Err(Error::InvalidArgument(_))),
            "{bad}"
        );
    }
}

#[test]
fn trun_all_fields_v0_and_v1() {
    let flags = 0x000F05;
    let mut body = 2u32.to_be_bytes().to_vec();
    body.extend_from_slice(&(-8i32).to_be_bytes()); // data_offset
    body.extend_from_slice(&0x0200_0000u32.to_be_bytes()); // first_sample_flags
    for (d, s, f, o) in [
        (400_000u32, 100u32, 0x0200_0000u32, 800_000u32),
        (400_000, 50, 0x0101_0000, 0xFFFF_FFFF),
    ] {
        for v in [d, s, f, o] {
            body.extend_from_slice(&v.to_be_bytes());
        }
    }
    let v0 = full(b"trun", 0, flags, &body);
    let t = Trun::parse(&only(&v0)).unwrap();
    assert_eq!(
        (t.version, t.flags, t.data_offset, t.first_sample_flags),
        (0, flags, Some(-8), Some(0x0200_0000))
    );
    assert_eq!(t.samples.len(), 2);
    assert_eq!(t.samples[0].composition_offset, Some(800_000));
    assert_eq!(
        t.samples[1].composition_offset,
        Some(0xFFFF_FFFF),
        "v0 is unsigned"
    );
    assert_eq!(t.samples[1].size, Some(50));
    let v1 = full(b"trun", 1, flags, &body);
    assert_eq!(
        Trun::parse(&only(&v1)).unwrap().samples[1].composition_offset,
        Some(-1)
    );

    // sample_flags precedence: own flags > first_sample_flags > default.
    let sizes_only = full(
        b"trun",
        0,
        0x204,
        &cat(&[
            &2u32.to_be_bytes(),
            &7u32.to_be_bytes(),
            &[0, 0, 0, 1, 0, 0, 0, 2],
        ]),
    );
    let t = Trun::parse(&only(&sizes_only)).unwrap();
    assert_eq!(t.sample_flags(0, Some(0x10000)), Some(7));
    assert_eq!(t.sample_flags(1, Some(0x10000)), Some(0x10000));
    assert_eq!(t.sample_flags(2, Some(0x10000)), None);
    assert_eq!(t.samples[1].duration, None);

    // A count that cannot fit is refused before allocating.
    let huge = full(b"trun", 0, 0x300, &u32::MAX.to_be_bytes());
    let e = Trun::parse(&only(&huge)).unwrap_err();
    assert_eq!(malformed_offset(&e), 12);
    let fieldless = full(b"trun", 0, 0, &u32::MAX.to_be_bytes());
    assert!(Trun::parse(&only(&fieldless)).is_err());
    let small = full(b"trun", 0, 0, &3u32.to_be_bytes());
    assert_eq!(
        Trun::parse(&only(&small)).unwrap().samples,
        vec![TrunSample::default(); 3]
    );
    // Unknown version and wrong box type.
    assert!(Trun::parse(&only(&full(b"trun", 2, 0, &[0; 4]))).is_err());
    assert!(Trun::parse(&only(&unhex(FRMA_HEX))).is_err());
}

#[test]
fn tfhd_optional_fields() {
    let mut body = 3u32.to_be_bytes().to_vec();
    body.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    for v in [1u32, 400_000, 99, 0x0101_0000] {
        body.extend_from_slice(&v.to_be_bytes());
    }
    let t = Tfhd::parse(&only(&full(b"tfhd", 0, 0x02003B, &body))).unwrap();
    assert_eq!(t.track_id, 3);
    assert_eq!(t.base_data_offset, Some(0x1122_3344_5566_7788));
    assert_eq!(t.sample_description_index, Some(1));
    assert_eq!(t.default_sample_duration, Some(400_000));
    assert_eq!(t.default_sample_size, Some(99));
    assert_eq!(t.default_sample_flags, Some(0x0101_0000));
    assert_ne!(t.flags & Tfhd::DEFAULT_BASE_IS_MOOF, 0);

    // FFmpeg ISM form: flags 0x20 only, 20 bytes.
    let ff = full(
        b"tfhd",
        0,
        0x20,
        &cat(&[&1u32.to_be_bytes(), &0x0101_0000u32.to_be_bytes()]),
    );
    assert_eq!(ff.len(), 20);
    let t = Tfhd::parse(&only(&ff)).unwrap();
    assert_eq!(
        (t.base_data_offset, t.default_sample_flags),
        (None, Some(0x0101_0000))
    );
    // Flags promise a field the box lacks.
    assert!(
        Tfhd::parse(&only(&full(
            b"tfhd",
            0,
            0x28,
            &cat(&[&1u32.to_be_bytes(), &[0; 4]])
        )))
        .is_err()
    );
}

#[test]
fn tfra_length_sizes_and_v0() {
    // v0, lengths 2/3/4 bytes: (1 << 4) | (2 << 2) | 3
    let mut body = 5u32.to_be_bytes().to_vec();
    body.extend_from_slice(&0x1Bu32.to_be_bytes());
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&100u32.to_be_bytes());
    body.extend_from_slice(&200u32.to_be_bytes());
    body.extend_from_slice(&[0, 1, 0, 0, 2, 0, 0, 0, 3]);
    let t = Tfra::parse(&only(&full(b"tfra", 0, 0, &body))).unwrap();
    assert_eq!(t.track_id, 5);
    assert_eq!(
        t.entries,
        vec![TfraEntry {
            time: 100,
            moof_offset: 200,
            traf_number: 1,
            trun_number: 2,
            sample_number: 3
        }]
    );
    // One byte short.
    body.pop();
    let e = Tfra::parse(&only(&full(b"tfra", 0, 0, &body))).unwrap_err();
    assert_eq!(malformed_offset(&e), 20);
}

/// A small, complete Smooth-like file: ftyp, moov, two moof/mdat pairs, mfra.
fn synthetic_file() -> Vec<u8> {
    let mvhd = full(
        b"mvhd",
        1,
        0,
        &cat(&[
            &[0; 16],
            &10_000_000u32.to_be_bytes(),
            &0u64.to_be_bytes(),
            &0x10000u32.to_be_bytes(),
            &0x100u16.to_be_bytes(),
            &[0; 70],
            &2u32.to_be_bytes(),
        ]),
    );
    let tkhd = full(
        b"tkhd",
        0,
        7,
        &cat(&[
            &[0; 8],
            &1u32.to_be_bytes(),
            &[0; 4],
            &0u32.to_be_bytes(),
            &[0; 16],
            &[0; 36],
            &(640u32 << 16).to_be_bytes(),
            &(360u32 << 16).to_be_bytes(),
        ]),
    );
    let mdhd = full(
        b"mdhd",
        0,
        0,
        &cat(&[
            &[0; 8],
            &10_000_000u32.to_be_bytes(),
            &0u32.to_be_bytes(),
            &0x55C4u16.to_be_bytes(),
            &[0; 2],
        ]),
    );
    let hdlr = full(
        b"hdlr",
        0,
        0,
        &cat(&[&[0; 4], b"vide", &[0; 12], b"Video Media Handler\0"]),
    );
    let avc1 = bx(
        b"avc1",
        &cat(&[&[0u8; 78], &bx(b"avcC", &[1, 0x64, 0, 0x1f, 0xff, 0xe0, 0])]),
    );
    let stsd = full(b"stsd", 0, 0, &cat(&[&1u32.to_be_bytes(), &avc1]));
    let stbl = bx(b"stbl", &cat(&[&stsd, &full(b"stts", 0, 0, &[0; 4])]));
    let trak = bx(
        b"trak",
        &cat(&[
            &tkhd,
            &bx(b"mdia", &cat(&[&mdhd, &hdlr, &bx(b"minf", &stbl)])),
        ]),
    );
    let trex = full(
        b"trex",
        0,
        0,
        &cat(&[&1u32.to_be_bytes(), &1u32.to_be_bytes(), &[0; 12]]),
    );
    let moov = bx(b"moov", &cat(&[&mvhd, &trak, &bx(b"mvex", &trex)]));
    let mut file = cat(&[&unhex(FTYP_HEX), &moov]);
    let mut offsets = Vec::new();
    for (i, t) in [0u64, 20_000_000].iter().enumerate() {
        let sample = [0xAAu8; 5];
        let tfhd = full(
            b"tfhd",
            0,
            0x20,
            &cat(&[&1u32.to_be_bytes(), &0x0101_0000u32.to_be_bytes()]),
        );
        let tfxd = uuid_full(
            &TFXD_UUID,
            1,
            0,
            &cat(&[&t.to_be_bytes(), &20_000_000u64.to_be_bytes()]),
        );
        let tfrf = uuid_full(
            &TFRF_UUID,
            1,
            0,
            &cat(&[
                &[1],
                &(t + 20_000_000).to_be_bytes(),
                &20_000_000u64.to_be_bytes(),
            ]),
        );
        let trun_len = 8 + 4 + 4 + 4 + 4 + 8;
        let moof_len = 8 + 16 + 8 + tfhd.len() + trun_len + tfxd.len() + tfrf.len();
        let trun = full(
            b"trun",
            0,
            0x305,
            &cat(&[
                &1u32.to_be_bytes(),
                &((moof_len + 8) as i32).to_be_bytes(),
                &0x0200_0000u32.to_be_bytes(),
                &20_000_000u32.to_be_bytes(),
                &5u32.to_be_bytes(),
            ]),
        );
        let traf = bx(b"traf", &cat(&[&tfhd, &trun, &tfxd, &tfrf]));
        let moof = bx(
            b"moof",
            &cat(&[&full(b"mfhd", 0, 0, &(i as u32 + 1).to_be_bytes()), &traf]),
        );
        assert_eq!(moof.len(), moof_len);
        offsets.push((*t, file.len() as u64));
        file.extend_from_slice(&moof);
        file.extend_from_slice(&bx(b"mdat", &sample));
    }
    let mut tfra_body = cat(&[
        &1u32.to_be_bytes(),
        &0u32.to_be_bytes(),
        &(offsets.len() as u32).to_be_bytes(),
    ]);
    for (t, off) in offsets {
        tfra_body.extend_from_slice(&cat(&[&t.to_be_bytes(), &off.to_be_bytes(), &[1, 1, 1]]));
    }
    let tfra = full(b"tfra", 1, 0, &tfra_body);
    let mfra_len = 8 + tfra.len() + 16;
    let mfro = full(b"mfro", 0, 0, &(mfra_len as u32).to_be_bytes());
    file.extend_from_slice(&bx(b"mfra", &cat(&[&tfra, &mfro])));
    file
}

#[test]
fn synthetic_file_parses() {
    let file = synthetic_file();
    check_smooth_file(&file, 1);
    let mvhd = Mvhd::parse(&find(&file, "moov/mvhd").unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            mvhd.version,
            mvhd.timescale,
            mvhd.rate,
            mvhd.volume,
            mvhd.next_track_id
        ),
        (1, 10_000_000, 0x10000, 0x100, 2)
    );
    let tkhd = Tkhd::parse(&find(&file, "moov/trak/tkhd").unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            tkhd.flags,
            tkhd.track_id,
            tkhd.width >> 16,
            tkhd.height >> 16
        ),
        (7, 1, 640, 360)
    );
    let mdhd = Mdhd::parse(&find(&file, "moov/trak/mdia/mdhd").unwrap().unwrap()).unwrap();
    assert_eq!(
        (mdhd.language, mdhd.language_code().as_str()),
        (0x55C4, "und")
    );
    let tfrf = Tfrf::parse(
        &find_all(&file, "moof/traf/uuid")
            .unwrap()
            .into_iter()
            .find(|b| b.is_uuid(&TFRF_UUID))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(tfrf.entries, vec![(20_000_000, 20_000_000)]);
    let d = dump(&file);
    for needle in [
        "ftyp size=24 @0",
        "    tfxd size=44",
        "    tfrf size=45",
        "  mfro size=16",
        "seq=2",
        "samples=1",
    ] {
        assert!(d.contains(needle), "{needle} missing in\n{d}");
    }
}

/// Checks the Smooth rules that hold for any well-formed on-demand file: ftyp first, each
/// moof has one traf with tfhd/trun/tfxd and is followed by its mdat, tfxd times are
/// continuous per track, tfra entries point at moofs of their track with the same time,
/// and mfro gives the mfra size.
fn check_smooth_file(file: &[u8], tracks: usize) {
    let ctx = || dump(file);
    let top: Vec<BoxRef<'_>> = boxes(file)
        .collect::<Result<_>>()
        .unwrap_or_else(|e| panic!("{e}\n{}", ctx()));
    assert_eq!(top[0].box_type, *b"ftyp");
    let ftyp = Ftyp::parse(&top[0]).unwrap();
    assert_eq!(ftyp.major, *b"isml");
    assert!(ftyp.compatible.contains(b"piff"), "{}", ctx());

    let moov = find(file, "moov").unwrap().unwrap();
    let traks = moov.find_all("trak").unwrap();
    assert_eq!(traks.len(), tracks, "{}", ctx());
    let trexes = moov.find_all("mvex/trex").unwrap();
    assert_eq!(trexes.len(), tracks);
    for (trak, trex) in traks.iter().zip(&trexes) {
        let tkhd = Tkhd::parse(&trak.find("tkhd").unwrap().unwrap()).unwrap();
        let trex = Trex::parse(trex).unwrap();
        assert_eq!(tkhd.track_id, trex.track_id);
        assert_eq!(trex.default_sample_description_index, 1);
        let mdhd = Mdhd::parse(&trak.find("mdia/mdhd").unwrap().unwrap()).unwrap();
        assert_eq!(mdhd.timescale, 10_000_000, "Smooth time base");
        assert!(trak.find("mdia/minf/stbl/stsd").unwrap().is_some());
    }

    // track_id -> [(moof offset, tfxd)]
    let mut frags: std::collections::BTreeMap<u32, Vec<(u64, Tfxd)>> = Default::default();
    let mut last_seq = 0;
    for (i, b) in top.iter().enumerate() {
        if b.box_type != *b"moof" {
            continue;
        }
        let seq = Mfhd::parse(&b.find("mfhd").unwrap().unwrap())
            .unwrap()
            .sequence_number;
        assert!(seq > last_seq, "mfhd sequence increases");
        last_seq = seq;
        let trafs = b.find_all("traf").unwrap();
        assert_eq!(trafs.len(), 1, "one traf per moof @{}\n{}", b.offset, ctx());
        let traf = trafs[0];
        let tfhd = Tfhd::parse(&traf.find("tfhd").unwrap().expect("tfhd")).unwrap();
        assert_eq!(tfhd.base_data_offset, None, "PIFF forbids base_data_offset");
        let trun = Trun::parse(&traf.find("trun").unwrap().expect("trun")).unwrap();
        let tfxd = Tfxd::parse(&traf.find_uuid(&TFXD_UUID).unwrap().expect("tfxd")).unwrap();
        let mdat = top.get(i + 1).expect("mdat after moof");
        assert_eq!(mdat.box_type, *b"mdat");
        assert_eq!(
            trun.data_offset,
            Some(b.size() as i32 + mdat.header_len as i32)
        );
        let sizes: u64 = trun
            .samples
            .iter()
            .map(|s| u64::from(s.size.expect("per-sample size")))
            .sum();
        assert_eq!(sizes, mdat.payload().len() as u64);
        let durations: u64 = trun
            .samples
            .iter()
            .map(|s| u64::from(s.duration.or(tfhd.default_sample_duration).unwrap()))
            .sum();
        assert_eq!(
            durations, tfxd.duration,
            "trun durations add up to tfxd duration"
        );
        // Every fragment starts with a sync sample (sample_is_non_sync_sample = bit 16).
        let f0 = trun.sample_flags(0, tfhd.default_sample_flags).unwrap_or(0);
        assert_eq!(f0 & 0x0001_0000, 0, "first sample is sync @{}", b.offset);
        frags
            .entry(tfhd.track_id)
            .or_default()
            .push((b.offset, tfxd));
    }
    assert_eq!(frags.len(), tracks);
    for list in frags.values() {
        for w in list.windows(2) {
            // Wrapping: FFmpeg starts AAC at minus the encoder delay, which it writes as a
            // two's-complement u64 (18446744073709338283 = −213333).
            assert_eq!(
                w[1].1.time,
                w[0].1.time.wrapping_add(w[0].1.duration),
                "t[i+1] = t[i] + d[i]"
            );
        }
    }

    let mfra = top.last().unwrap();
    assert_eq!(mfra.box_type, *b"mfra", "{}", ctx());
    let tfras = mfra.find_all("tfra").unwrap();
    assert_eq!(tfras.len(), tracks);
    for tfra in &tfras {
        let tfra = Tfra::parse(tfra).unwrap();
        let list = &frags[&tfra.track_id];
        assert_eq!(tfra.entries.len(), list.len());
        for (e, (moof_offset, tfxd)) in tfra.entries.iter().zip(list) {
            assert_eq!(e.moof_offset, *moof_offset);
            if (tfxd.time as i64) < 0 {
                // FFmpeg quirk: a first AAC fragment starting at minus the encoder delay
                // is indexed at 0. Our writer must not do this (format.md §2.9 rule 4).
                assert_eq!(e.time, 0);
            } else {
                assert_eq!(e.time, tfxd.time);
            }
            // The offset really lands on a moof of this track.
            let at = file.get(e.moof_offset as usize..).unwrap();
            let moof = boxes(at).next().unwrap().unwrap();
            assert_eq!(moof.box_type, *b"moof");
            let tfhd = Tfhd::parse(&moof.find("traf/tfhd").unwrap().unwrap()).unwrap();
            assert_eq!(tfhd.track_id, tfra.track_id);
        }
    }
    let mfro = mfra.find("mfro").unwrap().unwrap();
    assert_eq!(u64::from(Mfro::parse(&mfro).unwrap().size), mfra.size());
    assert_eq!(
        mfro.offset + mfro.size(),
        file.len() as u64,
        "mfro ends the file"
    );
}

// ---- robustness ----

use crate::test_rng::XorShift;

/// Walks everything reachable, running every parser on every box. Asserts each level ends
/// within the number of 8-byte boxes that could fit (no infinite iteration).
fn walk(iter: BoxIter<'_>, len: usize, depth: usize) {
    let mut n = 0;
    for b in iter {
        n += 1;
        assert!(n <= len / 8 + 1, "iterator did not terminate");
        let Ok(b) = b else { continue };
        assert!(b.header_len <= b.data.len());
        let _ = b.full_box();
        let _ = Ftyp::parse(&b);
        let _ = Mvhd::parse(&b);
        let _ = Tkhd::parse(&b);
        let _ = Mdhd::parse(&b);
        let _ = Hdlr::parse(&b);
        let _ = Trex::parse(&b);
        let _ = Mfhd::parse(&b);
        let _ = Tfhd::parse(&b);
        let _ = Trun::parse(&b);
        let _ = Tfxd::parse(&b);
        let _ = Tfrf::parse(&b);
        let _ = Tfra::parse(&b);
        let _ = Mfro::parse(&b);
        // Also parse the box as if its type were right, which reaches the field readers
        // even when the type bytes are what got corrupted. One alias per box (picked by
        // offset) keeps the sweep fast in debug builds while covering all of them.
        const ALIASES: [&[u8; 4]; 8] = [
            b"mvhd", b"tkhd", b"mdhd", b"trun", b"tfhd", b"tfra", b"ftyp", b"hdlr",
        ];
        let mut alias = b;
        alias.box_type = *ALIASES[(b.offset % 8) as usize];
        let _ = (
            Mvhd::parse(&alias),
            Tkhd::parse(&alias),
            Mdhd::parse(&alias),
        );
        let _ = (
            Trun::parse(&alias),
            Tfhd::parse(&alias),
            Tfra::parse(&alias),
        );
        let _ = (Ftyp::parse(&alias), Hdlr::parse(&alias));
        for u in [TFXD_UUID, TFRF_UUID] {
            let mut alias = b;
            alias.uuid = Some(u);
            let _ = (Tfxd::parse(&alias), Tfrf::parse(&alias));
        }
        if depth < 10 {
            walk(b.children(), b.payload().len(), depth + 1);
            walk(b.children_at(8), b.payload().len(), depth + 1);
        }
    }
}

fn exercise(data: &[u8]) {
    walk(boxes(data), data.len(), 0);
    let _ = dump(data);
    for path in [
        "moov/trak/mdia/minf/stbl/stsd",
        "moof/traf/trun",
        "moof/traf/uuid",
        "mfra/tfra",
        "mfra/mfro",
    ] {
        let _ = find(data, path);
        let _ = find_all(data, path);
    }
}

#[test]
fn random_bytes_and_corruption_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Pure noise, with a bias towards small sizes so some headers parse.
    for _ in 0..2000 {
        let len = rng.below(200);
        let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for i in (0..len).step_by(8) {
            if rng.below(2) == 0
                && let Some(size) = v.get_mut(i..i + 4)
            {
                size.copy_from_slice(&(rng.below(64) as u32).to_be_bytes());
            }
        }
        exercise(&v);
    }

    let file = synthetic_file();
    // Every truncation.
    for end in 0..=file.len() {
        exercise(&file[..end]);
    }
    // Random byte flips, including special size values.
    for _ in 0..600 {
        let mut v = file.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(v.len());
            v[i] = match rng.below(4) {
                0 => 0,
                1 => 1,
                2 => 0xff,
                _ => rng.next() as u8,
            };
        }
        let end = if rng.below(3) == 0 {
            rng.below(v.len())
        } else {
            v.len()
        };
        exercise(&v[..end]);
    }
}

// ---- a real file from FFmpeg ----

/// Removes the temporary directory even when an assertion fails.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ffmpeg_ismv() {
    if std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_err()
    {
        println!("skipped: ffmpeg not on PATH");
        return;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir =
        TempDir(std::env::temp_dir().join(format!("ssf-reader-{}-{nanos}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("x.ismv");
    // The brief's video (GOP 25 at 25 fps, so 1 s fragments) plus AAC, so the file has two
    // tracks and two tfra.
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=25",
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t", "4", "-c:v", "libx264", "-g", "25", "-c:a", "aac", "-f", "ismv",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::read(&path).unwrap();
    check_smooth_file(&file, 2);

    let moov = find(&file, "moov").unwrap().unwrap();
    let kinds: Vec<[u8; 4]> = moov
        .find_all("trak/mdia/hdlr")
        .unwrap()
        .iter()
        .map(|b| Hdlr::parse(b).unwrap().handler_type)
        .collect();
    assert_eq!(kinds, vec![*b"vide", *b"soun"]);
    let tkhd = Tkhd::parse(&moov.find("trak/tkhd").unwrap().unwrap()).unwrap();
    assert_eq!((tkhd.width, tkhd.height), (160 << 16, 90 << 16));
    let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    let avc1 = stsd.children_at(8).next().unwrap().unwrap();
    assert_eq!(avc1.box_type, *b"avc1");
    assert!(
        avc1.children_at(78)
            .any(|b| b.is_ok_and(|b| b.box_type == *b"avcC"))
    );
    // 4 s of video in 1 s fragments.
    let video_frags = find_all(&file, "moof/traf/tfhd")
        .unwrap()
        .iter()
        .filter(|b| Tfhd::parse(b).unwrap().track_id == 1)
        .count();
    assert_eq!(video_frags, 4, "{}", dump(&file));

    // Truncations of real output must not panic either.
    let mut rng = XorShift(42);
    for _ in 0..50 {
        exercise(&file[..rng.below(file.len())]);
    }
}
