#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets into fuzz/corpus/<target>/ from the crate's
real test files: tests/data/avc/*.h264, tests/data/aac/*.aac, tests/data/ttml/*.ttml,
sample/*, and a packaged .ismv/.isma directory (default /tmp/fz, made with
`cargo run --release --example ssfmux -- -q -o /tmp/fz -n s`).

Large files are cut to a prefix so libFuzzer's input length limit (the largest seed)
stays small enough for fast runs. Usage: fuzz/seed-corpora.py [PACKAGED_DIR]
"""

import glob
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGED = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fz"
PREFIX = 32 * 1024


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def annexb_nals(data):
    """NAL units of an Annex B buffer, start codes and trailing zeros removed."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    nals = []
    for n, s in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    return nals


def access_units(nals):
    """Groups NAL units into access units: a slice with first_mb_in_slice 0 (its first
    payload bit set) after a slice starts a new one."""
    aus, cur, seen_slice = [], [], False
    for nal in nals:
        t = nal[0] & 0x1F
        new_pic = t in (1, 5) and len(nal) > 1 and nal[1] & 0x80
        if seen_slice and (new_pic or t in (6, 7, 8, 9)):
            aus.append(cur)
            cur, seen_slice = [], False
        cur.append(nal)
        seen_slice |= t in (1, 5)
    if cur:
        aus.append(cur)
    return aus


def annexb(nals):
    return b"".join(b"\x00\x00\x00\x01" + n for n in nals)


def prefixed(nals, size=4):
    return b"".join(len(n).to_bytes(size, "big") + n for n in nals)


def boxes(data, base=0):
    """(type, start, end, header_len) of the boxes in data."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[pos : pos + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            hdr = 16
        elif size == 0:
            size = len(data) - pos
        if typ == b"uuid":
            hdr += 16
        if size < hdr or pos + size > len(data):
            break
        out.append((typ, base + pos, base + pos + size, hdr))
        pos += size
    return out


def find(data, path):
    """Payloads of the boxes at path (list of types; stsd skips 8, avc1 78, mp4a 28)."""
    skip = {b"stsd": 8, b"avc1": 78, b"mp4a": 28}
    found = [(None, 0, len(data), 0)]
    for typ in path:
        nxt = []
        for parent, s, e, h in found:
            start = s + h + skip.get(parent, 0)
            nxt += [b for b in boxes(data[start:e], start) if b[0] == typ]
        found = nxt
    return [data[s + h : e] for _, s, e, h in found]


def adts_frames(data):
    pos, out = 0, []
    while pos + 7 <= len(data):
        length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
        if length < 7 or pos + length > len(data):
            break
        out.append(data[pos : pos + length])
        pos += length
    return out


h264 = sorted(glob.glob(os.path.join(ROOT, "tests/data/avc/*.h264")))
h264 += sorted(glob.glob(os.path.join(ROOT, "sample/*.h264")))
aac = sorted(glob.glob(os.path.join(ROOT, "tests/data/aac/*.aac")))
aac += sorted(glob.glob(os.path.join(ROOT, "sample/*.aac")))
packaged = sorted(glob.glob(os.path.join(PACKAGED, "*.ism[va]")))

# H.264: parameter sets, access units, streams.
first_aus = []
for path in h264:
    data = read(path)
    nals = annexb_nals(data)
    put("avc_stream", data[:PREFIX])
    aus = access_units(nals)
    first_aus.append(aus[0])
    for nal in nals:
        if nal[0] & 0x1F in (7, 8):
            put("avc_parameter_sets", nal)
    for au in aus[:3]:
        put("avc_parameter_sets", annexb(au))
        put("avc_framing", annexb(au)[:4096])
        put("avc_framing", prefixed(au)[:4096])
        put("avc_framing", prefixed(au, 2)[:4096])
for path in packaged:
    data = read(path)
    for avcc in find(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"]):
        put("avc_parameter_sets", avcc)

# AAC: ADTS streams, single headers, AudioSpecificConfigs.
for path in aac:
    data = read(path)
    put("aac", data[:PREFIX])
    for frame in adts_frames(data)[:2]:
        put("aac", frame)
for asc in [
    b"\x11\x90",  # LC 48 kHz stereo
    b"\x12\x10",  # LC 44.1 kHz stereo
    b"\x13\x88",  # LC 22.05 kHz mono
    b"\x2b\x92\x08\x00",  # HE-AAC v1, hierarchical (22.05 / 44.1 kHz)
    b"\xeb\x09\x88\x00",  # HE-AAC v2, hierarchical (24 / 48 kHz mono)
    b"\x13\x10\x56\xe5\x98",  # LC + sync extension SBR
    b"\x13\x10\x56\xe5\x9d\x48\x80",  # LC + sync extension SBR + PS
    b"\x17\x80\x00\xbb\x80",  # LC with an explicit 24-bit rate
]:
    put("aac", asc)

# Boxes: whole-file outlines with the media cut short, and single top-level boxes.
for path in packaged:
    data = read(path)
    top = boxes(data)
    outline = b""
    moofs = 0
    for typ, s, e, h in top:
        if typ == b"moof":
            moofs += 1
            put("box_reader", data[s:e])
        if typ in (b"ftyp", b"moov", b"mfra") or (typ in (b"moof", b"mdat") and moofs <= 1):
            chunk = data[s:e]
            if typ == b"mdat":
                chunk = struct.pack(">I4s", 64, b"mdat") + data[s + 8 : s + 64]
            outline += chunk
        if typ in (b"moov", b"mfra"):
            put("box_reader", data[s:e])
    put("box_reader", outline)


# Muxer scripts (see fuzz_targets/muxer.rs for the layout).
def push(track, data, delta, sync=True, duration=None, cts=None):
    flags = (1 if sync else 0) | (2 if duration is not None else 0) | (8 if cts is not None else 0)
    out = bytes([0x80 if track else 0x00, flags]) + struct.pack(">H", delta)
    if cts is not None:
        out += struct.pack(">H", cts)
    if duration is not None:
        out += struct.pack(">I", duration)
    return out + struct.pack(">H", len(data)) + data


video = access_units(annexb_nals(read(h264[0])))
audio = adts_frames(read(aac[0]))
for mode in (8, 9):  # 90 kHz input; automatic, then manual fragmentation
    script = bytes([mode]) + struct.pack(">H", 20000)  # 2 s fragments
    for i, au in enumerate(video[:8]):
        script += push(1, prefixed(au), 0 if i == 0 else 3600, sync=i == 0, cts=7200)
        a = audio[i % len(audio)]
        script += push(0, a[7:], 0 if i == 0 else 1920, duration=1920)
        if mode == 9 and i == 4:
            script += bytes([0x06, 0x86])  # flush both
    script += bytes([0x08, 0x09, 0x0A, 0x0B, 0x0C])
    put("muxer", script)


# TTML: the test captions as written, behind each byte-order mark, and the shapes the
# splitter treats specially (a div per caption, overlaps, a caption longer than a sample,
# container offsets, frame and tick times).
def utf16(text, big_endian):
    mark = b"\xfe\xff" if big_endian else b"\xff\xfe"
    return mark + text.encode("utf-16-be" if big_endian else "utf-16-le")


TTML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
    ' xmlns:tts="http://www.w3.org/ns/ttml#styling" ttp:frameRate="25" ttp:tickRate="1000"'
    ' xml:lang="en">\n  <head><styling><style xml:id="s" tts:color="white"/></styling>'
    '<layout><region xml:id="r"/></layout></head>\n'
)
ttml_docs = [read(path).decode("utf-8") for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/ttml/*.ttml")))]
ttml_docs.append(
    TTML_HEAD
    + '  <body style="s" region="r">\n'
    + "".join(
        f'    <div xml:lang="fr" begin="{n}m">\n      <p end="2s">Ligne {n}<br/>encore</p>\n    </div>\n'
        for n in range(3)
    )
    + "  </body>\n</tt>\n"
)
ttml_docs.append(
    TTML_HEAD
    + '  <body><div begin="10s" end="40s">\n'
    + '    <p begin="1s" end="3s">One</p>\n    <p begin="2s" dur="2s">Two <span>over</span></p>\n'
    + '    <p begin="100f" end="00:00:08:10">Three</p>\n    <p begin="9000t" end="9500t">Four</p>\n'
    + "  </div></body>\n</tt>\n"
)
ttml_docs.append(
    '<tt><body><p begin="10s" end="1000s">long</p><p begin="500s" end="502s">short</p></body></tt>'
)
for doc in ttml_docs:
    put("ttml", doc.encode("utf-8"))
    put("ttml", b"\xef\xbb\xbf" + doc.encode("utf-8"))
    declared = doc.replace('encoding="utf-8"', 'encoding="UTF-16"', 1)
    put("ttml", utf16(declared, False))
    put("ttml", utf16(declared, True))


# Live ingest bodies (fuzz_targets/origin_ingest.rs: a chunk-size byte, then the body):
# each packaged file's ftyp, a Live Server Manifest box describing its one track (as
# LivePublisher writes it), its moov, a few fragments and the end-of-stream mfra.
LSM_UUID = bytes.fromhex("a5d40b30e81411ddba2f0800200c9a66")


def lsm_box(track_id, audio):
    if audio:
        media = (
            '<audio systemBitrate="96000"><param name="trackID" value="%d"/>'
            '<param name="trackName" value="audio"/><param name="FourCC" value="AACL"/>'
            '<param name="CodecPrivateData" value="1190"/><param name="AudioTag" value="255"/>'
            '<param name="Channels" value="2"/><param name="SamplingRate" value="48000"/></audio>'
        ) % track_id
    else:
        media = (
            '<video systemBitrate="125000"><param name="trackID" value="%d"/>'
            '<param name="FourCC" value="H264"/><param name="CodecPrivateData" value="00000001"/>'
            '<param name="MaxWidth" value="640"/><param name="MaxHeight" value="360"/></video>'
        ) % track_id
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><smil xmlns="http://www.w3.org/2001/SMIL20/Language">'
        "<head/><body><switch>%s</switch></body></smil>" % media
    ).encode("utf-8")
    put("origin_ingest", b"\x00" + xml)
    return struct.pack(">I4s", 28 + len(xml), b"uuid") + LSM_UUID + b"\x00" * 4 + xml


for path in packaged:
    data = read(path)
    top = boxes(data)
    tkhd = find(data, [b"moov", b"trak", b"tkhd"])
    if not tkhd or len(tkhd[0]) < 24:
        continue
    track_id = struct.unpack(">I", tkhd[0][20:24])[0]
    body = b""
    fragments = 0
    for n, (typ, s, e, h) in enumerate(top):
        if typ == b"ftyp":
            body += data[s:e] + lsm_box(track_id, path.endswith(".isma"))
        elif typ == b"moov":
            body += data[s:e]
        elif typ == b"moof" and n + 1 < len(top) and fragments < 3 and len(body) < PREFIX:
            fragments += 1
            body += data[s : top[n + 1][2]]
    body += struct.pack(">I4s", 8, b"mfra")
    for chunk in (1, 7, 255):
        put("origin_ingest", bytes([chunk]) + body)
