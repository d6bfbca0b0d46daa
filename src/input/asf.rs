//! A small, bounds-checked ASF reader for audio-only WMA files: the Header Object (File
//! and Stream Properties) and the Data Object's packets, returning whole media objects.
//!
//! Every length read from the file is checked against the bytes actually present, and
//! memory is bounded: one header (≤ 16 MiB), one packet (≤ 1 MiB) and one media object
//! being reassembled (≤ 16 MiB) at a time.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;

use crate::error::{Error, Result};

/// Largest Header Object accepted (it may hold cover art, but not more than this).
const MAX_HEADER: u64 = 16 << 20;
/// Largest data packet accepted (real files use a few KiB).
const MAX_PACKET: u32 = 1 << 20;
/// Largest media object accepted (a WMA block is at most 64 KiB; spread objects a few).
const MAX_OBJECT: u32 = 16 << 20;

type Guid = [u8; 16];

/// Builds the on-disk form of a GUID written as text: the first three fields are
/// little-endian, the last eight bytes are in order.
const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

const HEADER_OBJECT: Guid = guid(
    0x75B2_2630,
    0x668E,
    0x11CF,
    [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
);
const DATA_OBJECT: Guid = guid(
    0x75B2_2636,
    0x668E,
    0x11CF,
    [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
);
const FILE_PROPERTIES: Guid = guid(
    0x8CAB_DCA1,
    0xA947,
    0x11CF,
    [0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
);
const STREAM_PROPERTIES: Guid = guid(
    0xB7DC_0791,
    0xA9B7,
    0x11CF,
    [0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
);
const AUDIO_MEDIA: Guid = guid(
    0xF869_9E40,
    0x5B4D,
    0x11CF,
    [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B],
);
const AUDIO_SPREAD: Guid = guid(
    0xBFC3_CD50,
    0x618F,
    0x11CF,
    [0x8B, 0xB2, 0x00, 0xAA, 0x00, 0xB4, 0xE2, 0x20],
);

/// The audio stream of an ASF file, from its Header Object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsfAudio {
    /// The raw WAVEFORMATEX (type-specific data of the Stream Properties object).
    pub wave_format: Vec<u8>,
    /// The ASF stream number (1–127).
    pub stream_number: u8,
    /// The fixed data packet size in bytes.
    pub packet_size: u32,
    /// Play duration minus preroll, in 100 ns units; `None` for broadcast files.
    pub duration_100ns: Option<u64>,
    /// Preroll in milliseconds (already subtracted from payload times).
    pub preroll_ms: u64,
}

/// One complete media object of the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsfPayload {
    /// The media object, reassembled from its fragments (and descrambled if the stream
    /// uses audio spread with a span above 1).
    pub data: Bytes,
    /// Presentation time in ms, minus preroll (0 if it was earlier than the preroll).
    pub presentation_time_ms: u64,
    /// The key-frame bit of the payload carrying the object's first byte.
    pub key_frame: bool,
}

/// Audio spread error correction parameters (descrambling, as FFmpeg's asfdec does).
#[derive(Debug, Clone, Copy)]
struct Spread {
    span: usize,
    packet_len: usize,
    chunk_len: usize,
}

/// A media object being reassembled.
struct Partial {
    number: u32,
    time_ms: u64,
    key_frame: bool,
    data: Vec<u8>,
}

/// Reads the audio media objects of an ASF (WMA) file in order.
pub struct AsfReader<R: Read> {
    source: R,
    audio: AsfAudio,
    stream_count: usize,
    spread: Option<Spread>,
    /// Data Object bytes not yet read (`None`: unknown size, read to end of input).
    data_left: Option<u64>,
    /// File offset of the next packet, for error messages.
    offset: u64,
    packet: Vec<u8>,
    partial: Option<Partial>,
    ready: VecDeque<AsfPayload>,
    done: bool,
    truncated: bool,
}

fn io_err(e: std::io::Error) -> Error {
    Error::Io {
        op: "read",
        path: PathBuf::from("<ASF input>"),
        source: e,
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let rest = buf.get_mut(n..).unwrap_or_default();
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(e)),
        }
    }
    Ok(n)
}

/// A bounds-checked little-endian cursor; `base` is the slice's file offset for errors.
struct Cur<'a> {
    d: &'a [u8],
    pos: usize,
    base: u64,
    what: &'static str,
}

impl<'a> Cur<'a> {
    fn new(d: &'a [u8], base: u64, what: &'static str) -> Self {
        Self {
            d,
            pos: 0,
            base,
            what,
        }
    }
    fn err(&self, reason: impl Into<String>) -> Error {
        let at = self.base.saturating_add(self.pos as u64);
        Error::malformed(self.what, usize::try_from(at).unwrap_or(usize::MAX), reason)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.d.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.err(format!(
                "needs {n} bytes, {} left",
                self.d.len().saturating_sub(self.pos)
            ))),
        }
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    fn guid(&mut self) -> Result<Guid> {
        let mut a = [0u8; 16];
        a.copy_from_slice(self.take(16)?);
        Ok(a)
    }
    /// A field whose width is given by a 2-bit "length type": 0 absent, 1 byte,
    /// 2 word, 3 dword.
    fn var(&mut self, length_type: u8) -> Result<u32> {
        match length_type & 3 {
            0 => Ok(0),
            1 => self.u8().map(u32::from),
            2 => self.u16().map(u32::from),
            _ => self.u32(),
        }
    }
    fn left(&self) -> usize {
        self.d.len().saturating_sub(self.pos)
    }
}

impl<R: Read> AsfReader<R> {
    /// Reads the Header Object and the Data Object header. Fails if the input is not ASF,
    /// has no audio stream, or uses variable-size packets.
    pub fn new(mut source: R) -> Result<Self> {
        let mut head = [0u8; 30];
        let got = read_full(&mut source, &mut head)?;
        let mut c = Cur::new(head.get(..got).unwrap_or_default(), 0, "ASF Header Object");
        if c.guid()? != HEADER_OBJECT {
            return Err(Error::malformed(
                "ASF Header Object",
                0,
                "not an ASF file (wrong GUID)",
            ));
        }
        let size = c.u64()?;
        if !(30..=MAX_HEADER).contains(&size) {
            return Err(Error::malformed(
                "ASF Header Object",
                16,
                format!("size {size} is outside 30..={MAX_HEADER}"),
            ));
        }
        let mut body = vec![0u8; usize::try_from(size - 30).unwrap_or(0)];
        if read_full(&mut source, &mut body)? != body.len() {
            return Err(Error::malformed("ASF Header Object", 30, "truncated"));
        }
        let mut audio: Option<AsfAudio> = None;
        let mut spread = None;
        let mut stream_count = 0usize;
        let mut file_props: Option<(u64, u64, u32, bool)> = None;
        let mut c = Cur::new(&body, 30, "ASF header sub-object");
        while c.left() >= 24 {
            let start = c.pos;
            let id = c.guid()?;
            let osize = c.u64()?;
            let len = usize::try_from(osize)
                .ok()
                .and_then(|s| s.checked_sub(24))
                .ok_or_else(|| c.err(format!("object size {osize} is below 24")))?;
            let payload = c.take(len)?;
            let mut p = Cur::new(payload, 30 + start as u64 + 24, "ASF header sub-object");
            if id == FILE_PROPERTIES {
                p.what = "ASF File Properties";
                p.take(16 + 8 + 8 + 8)?; // file id, file size, creation date, packet count
                let play = p.u64()?;
                p.u64()?; // send duration
                let preroll = p.u64()?;
                let flags = p.u32()?;
                let min = p.u32()?;
                let max = p.u32()?;
                if min != max || min == 0 || min > MAX_PACKET {
                    return Err(p.err(format!(
                        "packet sizes min {min} / max {max}: only fixed sizes of 1..={MAX_PACKET} are supported"
                    )));
                }
                file_props = Some((play, preroll, min, flags & 1 != 0));
            } else if id == STREAM_PROPERTIES {
                p.what = "ASF Stream Properties";
                stream_count += 1;
                let kind = p.guid()?;
                let ecc_kind = p.guid()?;
                p.u64()?; // time offset
                let ts_len = p.u32()?;
                let ecc_len = p.u32()?;
                let flags = p.u16()?;
                p.u32()?; // reserved
                let ts = p.take(usize::try_from(ts_len).unwrap_or(usize::MAX))?;
                let ecc = p.take(usize::try_from(ecc_len).unwrap_or(usize::MAX))?;
                // The first audio stream is the one read; others (e.g. other bit rates
                // of a multi-bit-rate file) are skipped.
                if kind == AUDIO_MEDIA && audio.is_none() {
                    let number = (flags & 0x7f) as u8;
                    if flags & 0x8000 != 0 {
                        return Err(Error::config(
                            "ASF stream",
                            format!("audio stream {number} is encrypted"),
                        ));
                    }
                    if ecc_kind == AUDIO_SPREAD {
                        let mut e = Cur::new(ecc, 0, "ASF audio spread data");
                        let span = usize::from(e.u8()?);
                        let packet_len = usize::from(e.u16()?);
                        let chunk_len = usize::from(e.u16()?);
                        // As FFmpeg: descramble only with a sane layout, else pass through.
                        if span > 1 && chunk_len > 0 && packet_len % chunk_len == 0 {
                            spread = Some(Spread {
                                span,
                                packet_len,
                                chunk_len,
                            });
                        }
                    }
                    audio = Some(AsfAudio {
                        wave_format: ts.to_vec(),
                        stream_number: number,
                        packet_size: 0,
                        duration_100ns: None,
                        preroll_ms: 0,
                    });
                }
            }
        }
        let (play, preroll, packet_size, broadcast) = file_props
            .ok_or_else(|| Error::malformed("ASF header", 30, "no File Properties object"))?;
        let mut audio = audio.ok_or_else(|| Error::config("ASF file", "no audio stream found"))?;
        audio.packet_size = packet_size;
        audio.preroll_ms = preroll;
        // Play duration includes the preroll; broadcast files leave it invalid.
        audio.duration_100ns =
            (!broadcast && play != 0).then(|| play.saturating_sub(preroll.saturating_mul(10_000)));

        let mut dh = [0u8; 50];
        let got = read_full(&mut source, &mut dh)?;
        let mut c = Cur::new(dh.get(..got).unwrap_or_default(), size, "ASF Data Object");
        if c.guid()? != DATA_OBJECT {
            return Err(c.err("the Data Object does not follow the Header Object"));
        }
        let dsize = c.u64()?;
        // A size of 0 (or below the 50-byte header) means "unknown" in live files.
        let data_left = dsize.checked_sub(50).filter(|_| dsize != 0);
        Ok(Self {
            source,
            audio,
            stream_count,
            spread,
            data_left,
            offset: size + 50,
            packet: vec![0u8; usize::try_from(packet_size).unwrap_or(0)],
            partial: None,
            ready: VecDeque::new(),
            done: false,
            truncated: false,
        })
    }

    /// The audio stream's properties.
    pub fn audio(&self) -> &AsfAudio {
        &self.audio
    }

    /// True once the input ended inside the Data Object (a cut file): the partial last
    /// packet and any media object missing fragments were dropped, because a short WMA
    /// block would not decode. Callers may want to warn.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Number of Stream Properties objects in the header (all media types).
    pub fn stream_count(&self) -> usize {
        self.stream_count
    }

    /// The next complete media object of the audio stream, or `None` at the end of the
    /// Data Object. Payloads of other streams are skipped.
    pub fn next_payload(&mut self) -> Result<Option<AsfPayload>> {
        loop {
            if let Some(p) = self.ready.pop_front() {
                return Ok(Some(p));
            }
            if self.done {
                return Ok(None);
            }
            let size = self.packet.len() as u64;
            if self.data_left.is_some_and(|left| left < size) {
                self.finish()?;
                continue;
            }
            let mut packet = std::mem::take(&mut self.packet);
            let got = read_full(&mut self.source, &mut packet);
            let result = match got {
                Ok(0) if self.data_left.is_none() => {
                    self.packet = packet;
                    self.finish()?;
                    continue;
                }
                Ok(n) if n == packet.len() => self.parse_packet(&packet),
                Ok(_) => {
                    // The input ends inside the Data Object: a cut file. Keep every
                    // complete object already returned and stop (FFmpeg also plays
                    // such files); `truncated()` tells the caller.
                    self.packet = packet;
                    self.truncated = true;
                    self.done = true;
                    self.partial = None;
                    continue;
                }
                Err(e) => Err(e),
            };
            self.packet = packet;
            if result.is_err() {
                // Stop after the first error: later packets cannot be trusted to line up.
                self.done = true;
                self.partial = None;
            }
            result?;
            self.offset = self.offset.saturating_add(size);
            if let Some(left) = self.data_left.as_mut() {
                *left -= size;
            }
        }
    }

    /// Ends reading; an object still missing fragments is an error (never a short sample).
    fn finish(&mut self) -> Result<()> {
        self.done = true;
        match self.partial.take() {
            Some(p) => Err(Error::malformed(
                "ASF media object",
                usize::try_from(self.offset).unwrap_or(usize::MAX),
                format!(
                    "media object {} is incomplete at the end of the data",
                    p.number
                ),
            )),
            None => Ok(()),
        }
    }

    fn parse_packet(&mut self, pkt: &[u8]) -> Result<()> {
        let mut c = Cur::new(pkt, self.offset, "ASF data packet");
        let mut flags = c.u8()?;
        if flags & 0x80 != 0 {
            // Error correction data: low nibble is its length; the length type must be 0.
            if flags & 0x60 != 0 {
                return Err(c.err("error correction length type is not 0"));
            }
            c.take(usize::from(flags & 0x0f))?;
            flags = c.u8()?;
        }
        let length_type = flags;
        let props = c.u8()?;
        let packet_length = c.var(length_type >> 5)?;
        c.var(length_type >> 1)?; // sequence (unused)
        let padding = c.var(length_type >> 3)?;
        c.u32()?; // send time
        c.u16()?; // duration
        // Explicit packet length (shorter packets in fixed-size files are padded).
        let used = if packet_length != 0 {
            pkt.len()
                .min(usize::try_from(packet_length).unwrap_or(usize::MAX))
        } else {
            pkt.len()
        };
        let end = used
            .checked_sub(usize::try_from(padding).unwrap_or(usize::MAX))
            .filter(|&e| e >= c.pos)
            .ok_or_else(|| c.err(format!("padding {padding} exceeds the packet")))?;
        // Payloads may not run into the padding: cut the cursor at `end`.
        let header_len = c.pos;
        let mut c = Cur::new(
            pkt.get(..end).unwrap_or_default(),
            self.offset,
            "ASF payload",
        );
        c.pos = header_len;
        if length_type & 1 != 0 {
            let pf = c.u8()?;
            let count = pf & 0x3f;
            let len_type = pf >> 6;
            if len_type == 0 {
                return Err(c.err("multiple payloads without a payload length type"));
            }
            for _ in 0..count {
                self.payload(&mut c, props, Some(len_type))?;
            }
        } else {
            self.payload(&mut c, props, None)?;
        }
        Ok(())
    }

    /// Parses one payload at the cursor; `len_type` is `None` for a single payload
    /// (which runs to the end of the packet, padding excluded).
    fn payload(&mut self, c: &mut Cur<'_>, props: u8, len_type: Option<u8>) -> Result<()> {
        let sn = c.u8()?;
        let stream = sn & 0x7f;
        let key_frame = sn & 0x80 != 0;
        let number = c.var(props >> 4)?;
        let offset = c.var(props >> 2)?;
        let rep_len = c.var(props)?;
        let rep = c.take(usize::try_from(rep_len).unwrap_or(usize::MAX))?;
        let data_len = match len_type {
            Some(t) => usize::try_from(c.var(t)?).unwrap_or(usize::MAX),
            None => c.left(),
        };
        let data_at = c.base.saturating_add(c.pos as u64);
        let data = c.take(data_len)?;
        if stream != self.audio.stream_number {
            return Ok(());
        }
        if rep_len == 1 {
            // Compressed payload: "offset" is the presentation time, the one replicated
            // byte its delta, and the data a run of (u8 size, whole object) pairs.
            let delta = u64::from(rep.first().copied().unwrap_or(0));
            let mut time = u64::from(offset);
            let mut s = Cur::new(data, data_at, "ASF compressed payload");
            let mut n = number;
            while s.left() > 0 {
                let size = usize::from(s.u8()?);
                let obj = s.take(size)?;
                self.complete(n, time, key_frame, obj.to_vec(), data_at)?;
                time = time.saturating_add(delta);
                n = n.wrapping_add(1);
            }
            return Ok(());
        }
        if rep_len < 8 {
            return Err(c.err(format!(
                "replicated data of {rep_len} bytes lacks the media object size and time"
            )));
        }
        let mut r = Cur::new(rep, data_at, "ASF replicated data");
        let size = r.u32()?;
        let time = u64::from(r.u32()?);
        if size == 0 || size > MAX_OBJECT {
            return Err(c.err(format!(
                "media object size {size} is outside 1..={MAX_OBJECT}"
            )));
        }
        let size = size as usize;
        let offset = offset as usize;
        if offset == 0 {
            if let Some(p) = self.partial.take() {
                return Err(Error::malformed(
                    "ASF media object",
                    usize::try_from(data_at).unwrap_or(usize::MAX),
                    format!(
                        "media object {} ends before all its fragments arrived",
                        p.number
                    ),
                ));
            }
            self.partial = Some(Partial {
                number,
                time_ms: time,
                key_frame,
                data: Vec::with_capacity(size),
            });
        }
        let bad = |reason: String| {
            Error::malformed(
                "ASF media object",
                usize::try_from(data_at).unwrap_or(usize::MAX),
                reason,
            )
        };
        let p = self.partial.as_mut().ok_or_else(|| {
            bad(format!(
                "fragment at offset {offset} of object {number} without its start"
            ))
        })?;
        // Fragments arrive in order and back to back (ASF requires it); anything else
        // would leave holes in the sample.
        if p.number != number || offset != p.data.len() || offset + data.len() > size {
            return Err(bad(format!(
                "fragment of object {number} at offset {offset} (+{}) does not continue object {} ({} of {size} bytes)",
                data.len(),
                p.number,
                p.data.len()
            )));
        }
        p.data.extend_from_slice(data);
        if p.data.len() == size
            && let Some(p) = self.partial.take()
        {
            self.complete(p.number, p.time_ms, p.key_frame, p.data, data_at)?;
        }
        Ok(())
    }

    fn complete(
        &mut self,
        _number: u32,
        time_ms: u64,
        key_frame: bool,
        mut data: Vec<u8>,
        _at: u64,
    ) -> Result<()> {
        if let Some(s) = self.spread {
            data = descramble(&data, s);
        }
        self.ready.push_back(AsfPayload {
            data: Bytes::from(data),
            presentation_time_ms: time_ms.saturating_sub(self.audio.preroll_ms),
            key_frame,
        });
        Ok(())
    }
}

/// Undoes audio spread interleaving, as FFmpeg's asfdec: the object is `span` virtual
/// packets of `packet_len` bytes cut into `chunk_len` chunks, stored column by column.
/// Objects of any other size are returned unchanged.
fn descramble(data: &[u8], s: Spread) -> Vec<u8> {
    if s.span.checked_mul(s.packet_len) != Some(data.len()) {
        return data.to_vec();
    }
    let chunks_per_packet = s.packet_len / s.chunk_len;
    let mut out = Vec::with_capacity(data.len());
    let mut off = 0;
    while off < data.len() {
        let k = off / s.chunk_len;
        let row = k / s.span;
        let col = k % s.span;
        let idx = row + col * chunks_per_packet;
        let from = idx * s.chunk_len;
        match data.get(from..from + s.chunk_len) {
            Some(chunk) => out.extend_from_slice(chunk),
            None => return data.to_vec(),
        }
        off += s.chunk_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::wma::{WmaConfig, samples_to_100ns};

    const MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/media/");

    /// The shared file's bytes, or `None` (with one line printed) when it is missing;
    /// under CI a missing file is a failure.
    fn media(name: &str) -> Option<Vec<u8>> {
        match std::fs::read(format!("{MEDIA}{name}")) {
            Ok(d) => Some(d),
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{name}: {e} (required under CI)"
                );
                println!("skipped: {MEDIA}{name} is not readable ({e})");
                None
            }
        }
    }

    fn read_all(data: &[u8]) -> Result<(AsfAudio, usize, Vec<AsfPayload>)> {
        read_all_t(data).map(|(a, s, p, _)| (a, s, p))
    }

    fn read_all_t(data: &[u8]) -> Result<(AsfAudio, usize, Vec<AsfPayload>, bool)> {
        let mut r = AsfReader::new(data)?;
        let mut out = Vec::new();
        while let Some(p) = r.next_payload()? {
            out.push(p);
        }
        Ok((r.audio().clone(), r.stream_count(), out, r.truncated()))
    }

    #[test]
    fn shared_files_match_ffprobe() {
        // (file, expected (pts ms, size) per media object from `ffprobe -show_packets`,
        //  channels, rate)
        type Case = (&'static str, Vec<(u64, usize)>, u16, u32);
        let cases: [Case; 3] = [
            (
                "wmapro_44k.wma",
                [
                    0, 372, 650, 929, 1207, 1440, 1718, 1997, 2276, 2554, 2879, 3251, 3622, 3982,
                    4345, 4783,
                ]
                .iter()
                .map(|&t| (t, 4459))
                .collect(),
                2,
                44_100,
            ),
            (
                "wmapro_48k.wma",
                // ffprobe also lists (1962, 12818): the file is cut inside that object,
                // which is dropped here (see `truncated`).
                vec![
                    (0, 16384),
                    (425, 16384),
                    (767, 16384),
                    (1108, 16384),
                    (1535, 16384),
                ],
                2,
                48_000,
            ),
            (
                "wmapro_6ch.wma",
                vec![(0, 8192), (1493, 8192), (3072, 8192)],
                6,
                48_000,
            ),
        ];
        for (name, expected, channels, rate) in cases {
            let Some(data) = media(name) else { return };
            let (audio, streams, payloads, truncated) = read_all_t(&data).expect(name);
            assert_eq!(streams, 1, "{name}");
            let got: Vec<(u64, usize)> = payloads
                .iter()
                .map(|p| (p.presentation_time_ms, p.data.len()))
                .collect();
            println!("{name}: {got:?}");
            // The 48 kHz files are cut mid-object (100000 / 30000 bytes).
            assert_eq!(truncated, name != "wmapro_44k.wma", "{name}");
            assert_eq!(got, expected, "{name}");
            let cfg = WmaConfig::from_wave_format(&audio.wave_format).expect(name);
            assert_eq!(
                (cfg.channels(), cfg.sampling_rate(), cfg.fourcc()),
                (channels, rate, "WMAP")
            );
            println!(
                "{name}: {} objects, truncated {truncated}, block_align {}, packet {} B, duration {:?} x100ns, preroll {} ms",
                payloads.len(),
                cfg.packet_size(),
                audio.packet_size,
                audio.duration_100ns,
                audio.preroll_ms
            );
            assert!(audio.duration_100ns.is_some_and(|d| d > 0));
        }
    }

    /// Minimal box walk of the real ISMV: the audio track's samples (bytes, duration).
    fn ismv_audio_samples(d: &[u8]) -> Vec<(Vec<u8>, u64)> {
        fn be32(d: &[u8], at: usize) -> usize {
            d.get(at..at + 4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        }
        let mut out = Vec::new();
        let mut at = 0;
        let mut pending: Option<(usize, Vec<u64>, usize)> = None; // (default size, durations, data offset)
        let mut moof_at = 0;
        while at + 8 <= d.len() {
            let size = be32(d, at);
            let kind = &d[at + 4..at + 8];
            if kind == b"moof" {
                moof_at = at;
                pending = None;
                // moof > mfhd, traf > tfhd, trun
                let traf = at + 8 + be32(d, at + 8);
                let tfhd = traf + 8;
                let track = be32(d, tfhd + 12);
                let default_size = be32(d, tfhd + 16);
                let trun = tfhd + be32(d, tfhd);
                let flags = be32(d, trun + 8) & 0xff_ffff;
                let n = be32(d, trun + 12);
                if track == 1 && flags == 0x101 {
                    let data_offset = be32(d, trun + 16);
                    let durs = (0..n).map(|i| be32(d, trun + 20 + 4 * i) as u64).collect();
                    pending = Some((default_size, durs, data_offset));
                }
            } else if kind == b"mdat"
                && let Some((sz, durs, off)) = pending.take()
            {
                {
                    let mut p = moof_at + off;
                    for dur in durs {
                        out.push((d[p..p + sz].to_vec(), dur));
                        p += sz;
                    }
                }
            }
            if size < 8 {
                break;
            }
            at += size;
        }
        out
    }

    #[test]
    fn ismv_samples_are_asf_media_objects() {
        let (Some(ismv), Some(wma)) = (media("vc1_wmapro.ismv"), media("wmapro_44k.wma")) else {
            return;
        };
        let samples = ismv_audio_samples(&ismv);
        let (audio, _, payloads) = read_all(&wma).expect("asf");
        let cfg = WmaConfig::from_wave_format(&audio.wave_format).expect("wfx");
        // The ISMV's wfex box holds the same WAVEFORMATEX as the ASF stream.
        let wfex =
            hex::decode("6201020044ac0000e32e00006b11100012001000030000000000000000000000e00042c0")
                .unwrap_or_default();
        // Only nAvgBytesPerSec differs: FFmpeg rewrote it when it rewrapped the track.
        let mut asf_wfx = audio.wave_format.clone();
        if let Some(b) = asf_wfx.get_mut(8..12) {
            b.copy_from_slice(&[0xe3, 0x2e, 0, 0]);
        }
        assert_eq!(asf_wfx, wfex);
        assert_eq!(samples.len(), 16);
        assert_eq!(payloads.len(), samples.len());
        for (i, ((bytes, _), p)) in samples.iter().zip(&payloads).enumerate() {
            assert_eq!(bytes.len(), usize::from(cfg.packet_size()), "sample {i}");
            assert_eq!(&bytes[..], &p.data[..], "sample {i} bytes");
        }
        // Timing: snap each ASF time to samples, convert with floor to 100 ns, and take
        // differences. The ASF header cannot time the last block: its play duration is
        // the last presentation time (47830000 here), so the last block is left out.
        let rate = cfg.sampling_rate();
        let starts: Vec<u64> = payloads
            .iter()
            .map(|p| cfg.snap_time_ms(p.presentation_time_ms))
            .collect();
        let t: Vec<u64> = starts
            .iter()
            .map(|&s| samples_to_100ns(s, rate).unwrap_or(0))
            .collect();
        let ours: Vec<u64> = t.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
        let real: Vec<u64> = samples.iter().map(|s| s.1).collect();
        let mut real_start = 0u64;
        let mut exact = 0;
        for (i, r) in real.iter().enumerate() {
            let start_err = t.get(i).map_or(u64::MAX, |&x| x.abs_diff(real_start));
            println!(
                "sample {i}: real {r} ({} samples) ours {:?} (start error {start_err} x100ns)",
                real_start.saturating_add(*r) * u64::from(rate) / 10_000_000
                    - real_start * u64::from(rate) / 10_000_000,
                ours.get(i)
            );
            // ASF keeps only whole ms: every start is within 0.5 ms + 1 sample.
            assert!(start_err <= 5_000 + 227, "sample {i}");
            if ours.get(i) == Some(r) {
                exact += 1;
            }
            real_start += r;
        }
        // The first 12 blocks start on 2048-sample frame boundaries and come out exact.
        assert_eq!(ours[..11], real[..11]);
        println!("{exact} of {} durations exact", real.len());
    }

    #[test]
    fn generated_wmav2() {
        let dir = std::env::temp_dir().join(format!("ssf_wma_{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("v2.wma");
        let status = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=d=1:sample_rate=44100",
                "-c:a",
                "wmav2",
                "-f",
                "asf",
            ])
            .arg(&path)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            println!("skipped: ffmpeg is not available to make a WMA v2 file");
            return;
        }
        let data = std::fs::read(&path).expect("read generated file");
        let _ = std::fs::remove_dir_all(&dir);
        let (audio, streams, payloads) = read_all(&data).expect("asf");
        assert_eq!(streams, 1);
        let cfg = WmaConfig::from_wave_format(&audio.wave_format).expect("wfx");
        assert_eq!(cfg.fourcc(), "WMA2");
        assert_eq!(cfg.audio_tag(), 0x161);
        assert!(!payloads.is_empty());
        for p in &payloads {
            assert_eq!(p.data.len(), usize::from(cfg.packet_size()));
        }
        println!(
            "wmav2: {} objects of {} B, samples/block {:?}, times {:?}",
            payloads.len(),
            cfg.packet_size(),
            cfg.samples_per_block(),
            payloads
                .iter()
                .map(|p| p.presentation_time_ms)
                .take(5)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn garbage_never_panics() {
        let base = media("wmapro_44k.wma").unwrap_or_else(|| {
            // A minimal header keeps the fuzzing meaningful without the shared media.
            let mut h = HEADER_OBJECT.to_vec();
            h.extend_from_slice(&30u64.to_le_bytes());
            h.extend_from_slice(&[0; 6]);
            h
        });
        let mut rng = crate::test_rng::XorShift(0x9E37_79B9_7F4A_7C15);
        let mut rnd = move || rng.next();
        for cut in (0..base.len()).step_by(97) {
            let _ = read_all(&base[..cut]);
        }
        for _ in 0..300 {
            let mut d = base.clone();
            for _ in 0..1 + rnd() % 8 {
                let i = (rnd() as usize) % d.len().max(1);
                if let Some(b) = d.get_mut(i) {
                    *b = rnd() as u8;
                }
            }
            // Hit header fields more often: they steer all lengths.
            let i = (rnd() as usize) % 700;
            if let Some(b) = d.get_mut(i) {
                *b = rnd() as u8;
            }
            let _ = read_all(&d);
        }
        for len in 0..200 {
            let d: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
            assert!(read_all(&d).is_err());
            let _ = crate::codec::wma::WaveFormatEx::parse(&d);
            let _ = WmaConfig::from_wave_format(&d);
        }
    }

    #[test]
    fn descramble_is_a_permutation() {
        let s = Spread {
            span: 3,
            packet_len: 8,
            chunk_len: 2,
        };
        let data: Vec<u8> = (0..24).collect();
        let mut out = descramble(&data, s);
        assert_ne!(out, data);
        out.sort_unstable();
        assert_eq!(out, data);
        assert_eq!(descramble(&data[..10], s), data[..10].to_vec());
    }
}
