//! Incremental parser of one live ingest POST body (live-ingest.md §2): `ftyp`, the
//! optional StreamManifestBox, the Live Server Manifest box, `moov`, then `moof`+`mdat`
//! pairs, then optionally the empty `mfra` that ends the stream. Sans-IO: bytes go in as
//! the chunks arrive (box boundaries fall anywhere), events come out.
//!
//! Bounded: every box's declared size is checked against its bound as soon as its
//! 8-byte header is in, before any of it is buffered, so a declared 2 GB fragment is
//! refused at once; the buffer never holds more than one header or one fragment.
//! Validated: a fragment must be one track's `moof` with a `tfxd` (its time and
//! duration) whose `trun` sample sizes add up to its `mdat`.

use bytes::{Bytes, BytesMut};

use crate::isobmff::reader::{self, Mfhd, Tfhd, Tfxd, Trun};
use crate::isobmff::uuids::{LIVE_SERVER_MANIFEST_UUID, TFXD_UUID};
use crate::manifest::{ManifestTrack, ProtectionHeader};

/// The default timescale of Smooth (10⁷ ticks per second).
const DEFAULT_TIMESCALE: u64 = 10_000_000;

/// Most tracks one POST may carry.
const MAX_TRACKS: usize = 16;

/// The bounds of one POST body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    /// Largest header (`ftyp` through `moov`).
    pub max_header_bytes: usize,
    /// Largest fragment (`moof` + `mdat`).
    pub max_fragment_bytes: usize,
}

impl Default for IngestLimits {
    /// 1 MiB of header, 32 MiB per fragment (a 2 s fragment at 100 Mbit/s is 25 MB).
    fn default() -> Self {
        IngestLimits {
            max_header_bytes: 1 << 20,
            max_fragment_bytes: 32 << 20,
        }
    }
}

/// Why a body was refused: the HTTP status to answer (400 malformed, 413 over a bound)
/// and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    /// 400 or 413.
    pub status: u16,
    /// What was wrong, and at which byte of the body.
    pub message: String,
}

impl IngestError {
    fn malformed(at: u64, message: impl std::fmt::Display) -> Self {
        IngestError {
            status: 400,
            message: format!("ingest body byte {at}: {message}"),
        }
    }

    fn too_large(at: u64, message: impl std::fmt::Display) -> Self {
        IngestError {
            status: 413,
            message: format!("ingest body byte {at}: {message}"),
        }
    }
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

/// The header of a stream: its exact bytes (a reconnect must send the same ones) and
/// what they describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// `ftyp` through `moov`, as received.
    pub bytes: Bytes,
    /// The tracks of the Live Server Manifest, as the client manifest describes them.
    pub tracks: Vec<ManifestTrack>,
    /// Ticks per second of every time in the stream.
    pub timescale: u64,
    /// The PlayReady (or other) headers in the `moov`'s PIFF `pssh` boxes.
    pub protection: Vec<ProtectionHeader>,
    /// `ftyp` + `moov` alone: the header of an on-demand file of this stream.
    pub file_header: Bytes,
    /// The `moov`'s track count.
    pub moov_tracks: usize,
}

/// One fragment of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestFragment {
    /// `moof` + `mdat`, as received.
    pub data: Bytes,
    /// Size of the `moof`.
    pub moof_len: usize,
    /// `tfhd` track_ID.
    pub track_id: u32,
    /// `mfhd` sequence number.
    pub sequence: u32,
    /// `tfxd` absolute time.
    pub time: u64,
    /// `tfxd` duration.
    pub duration: u64,
}

/// What the body said, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestEvent {
    /// The header is complete.
    Header(Box<StreamHeader>),
    /// A fragment is complete.
    Fragment(IngestFragment),
    /// The empty `mfra`: the encoder ended the stream.
    EndOfStream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `moov`; `lsm` marks the Live Server Manifest seen.
    Header {
        lsm: bool,
    },
    Fragments,
    Ended,
}

/// The parser of one POST body.
#[derive(Debug)]
pub struct IngestParser {
    limits: IngestLimits,
    buf: BytesMut,
    /// Body offset of `buf[0]`.
    consumed: u64,
    phase: Phase,
    header: Vec<u8>,
    ftyp: Option<Bytes>,
    manifest: Option<String>,
}

/// What one box in the fragment phase gave.
enum Step {
    /// More bytes are needed.
    Wait,
    /// A box was skipped; look at the next.
    Skipped,
    /// An event.
    Event(IngestEvent),
}

/// A box header: type, declared size, header length.
struct Head {
    kind: [u8; 4],
    size: u64,
    uuid: Option<[u8; 16]>,
}

impl IngestParser {
    /// A parser for a new body.
    pub fn new(limits: IngestLimits) -> Self {
        IngestParser {
            limits,
            buf: BytesMut::new(),
            consumed: 0,
            phase: Phase::Header { lsm: false },
            header: Vec::new(),
            ftyp: None,
            manifest: None,
        }
    }

    /// Bytes held for a box not yet complete (at most one header or one fragment).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether the header is complete (fragments may follow).
    pub fn has_header(&self) -> bool {
        !matches!(self.phase, Phase::Header { .. })
    }

    /// Takes the next bytes of the body; returns what they completed.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<IngestEvent>, IngestError> {
        if self.phase == Phase::Ended && !data.is_empty() {
            return Err(IngestError::malformed(
                self.consumed,
                "data after the end-of-stream mfra",
            ));
        }
        self.buf.extend_from_slice(data);
        let mut events = Vec::new();
        while let Some(event) = self.next_event()? {
            events.push(event);
        }
        Ok(events)
    }

    /// The body ended: an error if it ended inside a box.
    pub fn finish(&self) -> Result<(), IngestError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let what = self
            .head(0)
            .ok()
            .flatten()
            .map(|h| format!("'{}' box of {} bytes", text(&h.kind), h.size))
            .unwrap_or_else(|| "box header".into());
        Err(IngestError::malformed(
            self.consumed,
            format!(
                "the body ended inside a {what} ({} bytes of it received)",
                self.buf.len()
            ),
        ))
    }

    /// The next complete event in the buffer, if any.
    fn next_event(&mut self) -> Result<Option<IngestEvent>, IngestError> {
        loop {
            let Some(head) = self.head(0)? else {
                return Ok(None);
            };
            let at = self.consumed;
            match self.phase {
                Phase::Ended => {
                    return Err(IngestError::malformed(
                        at,
                        "data after the end-of-stream mfra",
                    ));
                }
                Phase::Header { lsm } => {
                    if self.ftyp.is_none() && head.kind != *b"ftyp" {
                        return Err(IngestError::malformed(
                            at,
                            format!(
                                "the body must start with ftyp (live-ingest.md §2.1), found '{}'",
                                text(&head.kind)
                            ),
                        ));
                    }
                    let total = (self.header.len() as u64).saturating_add(head.size);
                    if total > self.limits.max_header_bytes as u64 {
                        return Err(IngestError::too_large(
                            at,
                            format!(
                                "the header would reach {total} bytes with this '{}' box; the bound is {}",
                                text(&head.kind),
                                self.limits.max_header_bytes
                            ),
                        ));
                    }
                    let Some(data) = self.take(head.size) else {
                        return Ok(None);
                    };
                    self.header.extend_from_slice(&data);
                    match &head.kind {
                        b"ftyp" if self.ftyp.is_none() => self.ftyp = Some(data),
                        b"uuid" if head.uuid == Some(LIVE_SERVER_MANIFEST_UUID) => {
                            self.manifest = Some(header::manifest_text(&data, at)?);
                            self.phase = Phase::Header { lsm: true };
                        }
                        // The StreamManifestBox and any other extension: kept in the
                        // header bytes, not interpreted.
                        b"uuid" | b"free" | b"skip" => {}
                        b"moov" if lsm => {
                            self.phase = Phase::Fragments;
                            let header = self.stream_header(&data, at)?;
                            return Ok(Some(IngestEvent::Header(Box::new(header))));
                        }
                        b"moov" => {
                            return Err(IngestError::malformed(
                                at,
                                "moov before the Live Server Manifest box (uuid a5d40b30-…)",
                            ));
                        }
                        other => {
                            return Err(IngestError::malformed(
                                at,
                                format!("unexpected '{}' box in the header", text(other)),
                            ));
                        }
                    }
                }
                Phase::Fragments => match self.fragment_event(&head, at)? {
                    Step::Wait => return Ok(None),
                    Step::Skipped => {}
                    Step::Event(event) => return Ok(Some(event)),
                },
            }
        }
    }

    /// A fragment, the end of stream, or a skipped `free` box, once complete.
    fn fragment_event(&mut self, head: &Head, at: u64) -> Result<Step, IngestError> {
        let max = self.limits.max_fragment_bytes as u64;
        match &head.kind {
            b"moof" => {
                if head.size > max {
                    return Err(IngestError::too_large(
                        at,
                        format!(
                            "a moof of {} bytes; the bound of a fragment is {max}",
                            head.size
                        ),
                    ));
                }
                if (self.buf.len() as u64) < head.size {
                    return Ok(Step::Wait);
                }
                let moof_len = head.size;
                let Some(mdat) = self.head(moof_len)? else {
                    return Ok(Step::Wait);
                };
                if mdat.kind != *b"mdat" {
                    return Err(IngestError::malformed(
                        at.saturating_add(moof_len),
                        format!(
                            "'{}' after a moof where its mdat was expected",
                            text(&mdat.kind)
                        ),
                    ));
                }
                let total = moof_len.saturating_add(mdat.size);
                if total > max {
                    return Err(IngestError::too_large(
                        at,
                        format!("a fragment of {total} bytes (moof + mdat); the bound is {max}"),
                    ));
                }
                let Some(data) = self.take(total) else {
                    return Ok(Step::Wait);
                };
                let moof_len = usize::try_from(moof_len).unwrap_or(usize::MAX);
                parse_fragment(data, moof_len, at).map(|f| Step::Event(IngestEvent::Fragment(f)))
            }
            b"mfra" => {
                // The end of stream is an empty mfra; a full index is read and ignored.
                if head.size > max {
                    return Err(IngestError::too_large(
                        at,
                        format!("an mfra of {} bytes", head.size),
                    ));
                }
                if self.take(head.size).is_none() {
                    return Ok(Step::Wait);
                }
                self.phase = Phase::Ended;
                if !self.buf.is_empty() {
                    return Err(IngestError::malformed(
                        self.consumed,
                        "data after the end-of-stream mfra",
                    ));
                }
                Ok(Step::Event(IngestEvent::EndOfStream))
            }
            b"free" | b"skip" => {
                if head.size > max {
                    return Err(IngestError::too_large(
                        at,
                        format!("a free box of {} bytes", head.size),
                    ));
                }
                Ok(match self.take(head.size) {
                    Some(_) => Step::Skipped,
                    None => Step::Wait,
                })
            }
            other => Err(IngestError::malformed(
                at,
                format!(
                    "'{}' where a moof (or the end-of-stream mfra) was expected",
                    text(other)
                ),
            )),
        }
    }

    /// The box header at `offset` in the buffer, or None until enough bytes are in.
    fn head(&self, offset: u64) -> Result<Option<Head>, IngestError> {
        let at = self.consumed.saturating_add(offset);
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let Some(rest) = self.buf.get(start..) else {
            return Ok(None);
        };
        let mut c = reader::ByteCursor::new(rest);
        let (Ok(size32), Ok(kind)) = (c.u32(), c.array::<4>()) else {
            return Ok(None);
        };
        let size = match size32 {
            0 => {
                return Err(IngestError::malformed(
                    at,
                    format!(
                        "'{}' box of size 0 (to the end): a live body never ends",
                        text(&kind)
                    ),
                ));
            }
            1 => match c.u64() {
                Ok(large) => large,
                Err(_) => return Ok(None),
            },
            n => u64::from(n),
        };
        let uuid = if kind == *b"uuid" {
            match c.array::<16>() {
                Ok(u) => Some(u),
                Err(_) => return Ok(None),
            }
        } else {
            None
        };
        if size < c.position() as u64 {
            return Err(IngestError::malformed(
                at,
                format!(
                    "'{}' box of size {size}, smaller than its header",
                    text(&kind)
                ),
            ));
        }
        Ok(Some(Head { kind, size, uuid }))
    }

    /// The first `size` bytes of the buffer, once they are all in.
    fn take(&mut self, size: u64) -> Option<Bytes> {
        let n = usize::try_from(size).ok()?;
        if self.buf.len() < n {
            return None;
        }
        self.consumed = self.consumed.saturating_add(size);
        Some(self.buf.split_to(n).freeze())
    }
}

/// Checks one `moof`+`mdat` and reads what the origin needs of it.
fn parse_fragment(data: Bytes, moof_len: usize, at: u64) -> Result<IngestFragment, IngestError> {
    let bad = |m: String| IngestError::malformed(at, format!("fragment: {m}"));
    let moof_bytes = data.get(..moof_len).ok_or_else(|| bad("short".into()))?;
    let moof = reader::boxes(moof_bytes)
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| bad("unreadable moof".into()))?;
    let e = |err: crate::Error| bad(err.to_string());
    let mfhd = Mfhd::parse(
        &moof
            .find("mfhd")
            .map_err(e)?
            .ok_or_else(|| bad("no mfhd".into()))?,
    )
    .map_err(e)?;
    let trafs = moof.find_all("traf").map_err(e)?;
    let [traf] = trafs.as_slice() else {
        return Err(bad(format!(
            "{} trafs in one moof; Smooth carries one track per moof",
            trafs.len()
        )));
    };
    let tfhd = Tfhd::parse(
        &traf
            .find("tfhd")
            .map_err(e)?
            .ok_or_else(|| bad("no tfhd".into()))?,
    )
    .map_err(e)?;
    let tfxd = traf
        .find_uuid(&TFXD_UUID)
        .map_err(e)?
        .ok_or_else(|| bad("no tfxd (every live fragment carries its time in one)".into()))?;
    let tfxd = Tfxd::parse(&tfxd).map_err(e)?;
    let mut payload = 0u64;
    for trun in traf.find_all("trun").map_err(e)? {
        for sample in Trun::parse(&trun).map_err(e)?.samples {
            let size = sample
                .size
                .or(tfhd.default_sample_size)
                .ok_or_else(|| bad("a sample without a size".into()))?;
            payload = payload.saturating_add(u64::from(size));
        }
    }
    let mdat_header = mdat_header_len(&data, moof_len);
    let carried = (data.len() as u64).saturating_sub((moof_len + mdat_header) as u64);
    if payload != carried {
        return Err(bad(format!(
            "the moof describes {payload} sample bytes, the mdat carries {carried}"
        )));
    }
    Ok(IngestFragment {
        moof_len,
        track_id: tfhd.track_id,
        sequence: mfhd.sequence_number,
        time: tfxd.time,
        duration: tfxd.duration,
        data,
    })
}

/// 8, or 16 for an `mdat` with a 64-bit size.
fn mdat_header_len(data: &[u8], moof_len: usize) -> usize {
    match data.get(moof_len..moof_len + 4) {
        Some([0, 0, 0, 1]) => 16,
        _ => 8,
    }
}

fn text(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

mod header;
#[cfg(test)]
mod tests;
