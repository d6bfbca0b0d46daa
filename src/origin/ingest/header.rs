//! The header of an ingest POST, interpreted: the Live Server Manifest's tracks as a
//! client manifest describes them, the timescale, the `moov`'s track IDs (which must
//! include every announced one) and protection headers, and the `ftyp` + `moov` an
//! on-demand file of the stream starts with.

use bytes::Bytes;

use super::{DEFAULT_TIMESCALE, IngestError, IngestParser, MAX_TRACKS, StreamHeader};
use crate::isobmff::reader::{self, BoxRef};
use crate::isobmff::uuids::PIFF_PSSH_UUID;
use crate::manifest::ProtectionHeader;
use crate::origin::smil;

impl IngestParser {
    /// What the completed header describes.
    pub(super) fn stream_header(
        &mut self,
        moov: &Bytes,
        at: u64,
    ) -> Result<StreamHeader, IngestError> {
        let bad = |m: String| IngestError::malformed(at, m);
        let text = self.manifest.take().unwrap_or_default();
        let doc = smil::parse(&text).map_err(|e| bad(format!("Live Server Manifest: {e}")))?;
        if doc.tracks.is_empty() || doc.tracks.len() > MAX_TRACKS {
            return Err(bad(format!(
                "the Live Server Manifest lists {} tracks (1 to {MAX_TRACKS} per stream)",
                doc.tracks.len()
            )));
        }
        let mut timescale = None;
        let mut tracks = Vec::with_capacity(doc.tracks.len());
        for t in &doc.tracks {
            let this = match t.param("timescale") {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| bad(format!("timescale {v:?} is not a positive number")))?,
                None => DEFAULT_TIMESCALE,
            };
            if timescale.is_some_and(|ts| ts != this) {
                return Err(bad(
                    "the tracks of one stream have different timescales".into()
                ));
            }
            timescale = Some(this);
            tracks.push(
                t.to_manifest_track()
                    .map_err(|e| bad(format!("Live Server Manifest: {e}")))?,
            );
        }
        let moov_box = reader::boxes(moov)
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| bad("unreadable moov".into()))?;
        let mut moov_ids = Vec::new();
        for tkhd in moov_box
            .find_all("trak/tkhd")
            .map_err(|e| bad(format!("moov: {e}")))?
        {
            let tkhd = reader::Tkhd::parse(&tkhd).map_err(|e| bad(format!("moov: {e}")))?;
            moov_ids.push(tkhd.track_id);
        }
        if let Some(t) = tracks.iter().find(|t| !moov_ids.contains(&t.track_id)) {
            return Err(bad(format!(
                "the Live Server Manifest's track \"{}\" has trackID {}, which the moov does not have",
                t.name, t.track_id
            )));
        }
        let protection = protection_headers(&moov_box).map_err(|e| bad(format!("moov: {e}")))?;
        let mut file_header = Vec::with_capacity(moov.len() + 32);
        file_header.extend_from_slice(self.ftyp.as_deref().unwrap_or_default());
        file_header.extend_from_slice(moov);
        Ok(StreamHeader {
            bytes: Bytes::from(std::mem::take(&mut self.header)),
            tracks,
            timescale: timescale.unwrap_or(DEFAULT_TIMESCALE),
            protection,
            file_header: Bytes::from(file_header),
            moov_tracks: moov_ids.len(),
        })
    }
}

/// The SMIL text of a Live Server Manifest box (after its version and flags).
pub(super) fn manifest_text(data: &[u8], at: u64) -> Result<String, IngestError> {
    let body = data.get(28..).ok_or_else(|| {
        IngestError::malformed(
            at,
            "Live Server Manifest box too short for its version and flags",
        )
    })?;
    smil::decode_text(body)
        .map_err(|e| IngestError::malformed(at, format!("Live Server Manifest: {e}")))
}

/// The `pssh` headers of a `moov`: PIFF's uuid box (system ID, size, data) or the CENC
/// `pssh` (version 0; version 1 adds key IDs before the data).
fn protection_headers(moov: &BoxRef<'_>) -> crate::Result<Vec<ProtectionHeader>> {
    let mut out: Vec<ProtectionHeader> = Vec::new();
    for child in moov.children() {
        let child = child?;
        let (version, _, body) = if child.is_uuid(&PIFF_PSSH_UUID) || child.is(b"pssh") {
            child.full_box()?
        } else {
            continue;
        };
        let mut c = reader::ByteCursor::at(body, 0, "pssh");
        let system_id = c.array::<16>()?;
        if child.is(b"pssh") && version > 0 {
            let kids = c.u32()? as usize;
            c.skip(kids.saturating_mul(16))?;
        }
        let size = c.u32()? as usize;
        let data = c.bytes(size)?.to_vec();
        let header = ProtectionHeader { system_id, data };
        if !out.contains(&header) {
            out.push(header);
        }
    }
    Ok(out)
}
