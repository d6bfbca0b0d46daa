//! Crash recovery: turns what a killed run left in its partial directory into a valid
//! presentation, and publishes it as `finish` would have.
//!
//! From the journal it knows every stream's manifest description, configured bit rate
//! and file name; from the media it takes what survived. Each stream file is scanned
//! ([`super::scan`]): a torn last `moof`/`mdat` is dropped, every bit rate of a
//! StreamIndex is cut to the fragments all of them have, the header is rewritten in
//! place with the real durations (and the bit rate, for AAC's `esds`), the `mfra` is
//! appended, then the files are named, the manifests written and the directory
//! published. Nothing is re-encrypted or re-muxed: the kept bytes are the run's own.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::journal::{self, Journal, Record};
use super::names::{self, NameFacts};
use super::scan::{self, ScannedFile};
use super::staging::{Leftover, Paths};
use super::write_atomically;
use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::isobmff::boxes::{TrackIndex, write_mfra};
use crate::isobmff::reader;
use crate::isobmff::writer::BoxWriter;
use crate::manifest::{
    FragmentTime, ManifestTrack, MediaAttributes, Presentation, TrackKind, client_manifest,
    server_manifest,
};

/// What [`recover`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The presentation directory.
    pub directory: PathBuf,
    /// False when there was nothing to recover (the directory was complete); nothing was
    /// changed then.
    pub was_interrupted: bool,
    /// Per stream that had a file: what was kept and dropped. Empty when the run had
    /// finished writing and only publishing was left.
    pub streams: Vec<RecoveredStream>,
}

/// What recovery kept of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredStream {
    /// The stream's index in the order the run added it.
    pub index: usize,
    /// Its published file name (empty when nothing of it was kept).
    pub file: String,
    /// Fragments kept.
    pub fragments: usize,
    /// Complete fragments dropped because another bit rate of the StreamIndex lacks them.
    pub dropped_fragments: usize,
    /// Bytes dropped: the torn tail and the dropped fragments.
    pub dropped_bytes: u64,
    /// Duration kept, in presentation ticks.
    pub duration: u64,
    /// Its bit rate in the manifests.
    pub bitrate: u32,
}

/// One stream as the journal and its file describe it.
struct Stream {
    index: usize,
    configured_bitrate: u32,
    given: Option<String>,
    track: ManifestTrack,
    staged: PathBuf,
    scanned: ScannedFile,
    /// Fragments kept after the StreamIndex is cut to its common length.
    keep: usize,
}

/// Recovers the presentation in `dir` (the presentation directory, or its
/// `.DIR.ssf-partial`). Refuses, changing nothing, when a stream file is not this
/// library's or is damaged before its last fragment.
pub fn recover(dir: impl AsRef<Path>) -> Result<Recovered> {
    let paths = Paths::new(dir.as_ref())?;
    let done = |was_interrupted, streams| Recovered {
        directory: paths.target.clone(),
        was_interrupted,
        streams,
    };
    match paths.inspect()? {
        Leftover::None => return Ok(done(false, Vec::new())),
        Leftover::Unpublished => {
            paths.publish()?;
            return Ok(done(true, Vec::new()));
        }
        Leftover::Interrupted => {}
    }
    let records = journal::read(&paths.partial)?;
    let mut journal = Journal::open(&paths.partial)?;
    let (name, timescale, fragment_elements) = records
        .iter()
        .find_map(|r| match r {
            Record::Presentation {
                name,
                timescale,
                fragment_elements,
            } => Some((name.clone(), *timescale, *fragment_elements)),
            _ => None,
        })
        .ok_or_else(|| Error::Unrecoverable {
            path: paths.partial.clone(),
            reason: "the journal does not name the presentation".into(),
        })?;
    let mut streams = streams_of(&records, &paths.partial)?;
    cut_to_common_fragments(&mut streams)?;
    let kept: Vec<&Stream> = streams.iter().filter(|s| s.keep > 0).collect();
    if kept.is_empty() {
        return Err(Error::Unrecoverable {
            path: paths.partial.clone(),
            reason:
                "no stream has a complete fragment: nothing to recover (discard it with --force)"
                    .into(),
        });
    }
    let mut report = Vec::with_capacity(streams.len());
    let mut tracks = Vec::new();
    let bitrates: Vec<u32> = kept.iter().map(|s| bitrate(s, timescale)).collect();
    let facts: Vec<NameFacts<'_>> = kept
        .iter()
        .zip(&bitrates)
        .map(|(s, &bitrate)| NameFacts {
            kind: media_kind(s.track.kind),
            bitrate,
            language: s.track.language.as_deref(),
            track_name: &s.track.name,
            given: s.given.as_deref(),
        })
        .collect();
    let file_names = names::file_names(&name, &facts);
    for ((s, &bitrate), file) in kept.iter().zip(&bitrates).zip(&file_names) {
        finalize(s, bitrate)?;
        std::fs::rename(&s.staged, paths.partial.join(file)).map_err(|source| Error::Io {
            op: "rename",
            path: s.staged.clone(),
            source,
        })?;
        let mut track = s.track.clone();
        track.bitrate = bitrate;
        track.source = file.clone();
        track.fragments = fragments(s)
            .iter()
            .map(|f| FragmentTime {
                time: f.time,
                duration: f.duration,
            })
            .collect();
        if let MediaAttributes::Text(text) = &mut track.attributes
            && text.manifest_output
        {
            text.inline_fragments = inline_payloads(&paths.partial.join(file), s)?;
        }
        tracks.push(track);
        report.push(stream_report(s, file.clone(), bitrate));
    }
    for s in streams.iter().filter(|s| s.keep == 0) {
        remove_staged(&s.staged)?;
        report.push(stream_report(s, String::new(), 0));
    }
    report.sort_by_key(|r| r.index);
    let presentation = Presentation {
        timescale,
        tracks,
        protection: records
            .iter()
            .filter_map(|r| match r {
                Record::Protection(p) => Some(p.clone()),
                _ => None,
            })
            .collect(),
        fragment_elements,
    };
    let client_name = format!("{name}.ismc");
    let server = server_manifest(&presentation, &client_name)?;
    let client = client_manifest(&presentation)?;
    write_atomically(
        &paths.partial.join(format!("{name}.ism")),
        server.as_bytes(),
    )?;
    write_atomically(&paths.partial.join(&client_name), client.as_bytes())?;
    journal.append(&Record::Complete, true)?;
    drop(journal);
    paths.publish()?;
    Ok(done(true, report))
}

/// Every stream the journal lists with a header record, scanned. Streams that never
/// wrote a header have no file and no fragment: they are left out, their file removed.
fn streams_of(records: &[Record], partial: &Path) -> Result<Vec<Stream>> {
    let mut out: Vec<Stream> = Vec::new();
    for record in records {
        let Record::Track { index, track } = record else {
            continue;
        };
        let (configured_bitrate, given) = records
            .iter()
            .find_map(|r| match r {
                Record::Stream {
                    index: i,
                    bitrate,
                    file,
                } if i == index => Some((*bitrate, file.clone())),
                _ => None,
            })
            .unwrap_or((0, None));
        let staged = super::staged_stream_file(partial, *index, media_kind(track.kind));
        if !staged.exists() {
            continue;
        }
        let scanned = scan::scan(&staged, track.track_id)?;
        out.push(Stream {
            index: *index,
            configured_bitrate,
            given,
            track: (**track).clone(),
            staged,
            keep: scanned.fragments.len(),
            scanned,
        });
    }
    Ok(out)
}

/// Cuts every bit rate of a StreamIndex to the fragments all of them have, after
/// checking those agree (a fragment is only written once it matched the others).
fn cut_to_common_fragments(streams: &mut [Stream]) -> Result<()> {
    let key = |s: &Stream| (s.track.kind, s.track.name.clone());
    for i in 0..streams.len() {
        let Some(this) = streams.get(i) else { continue };
        if this.track.kind == TrackKind::Text {
            continue;
        }
        let group = key(this);
        let common = streams
            .iter()
            .filter(|s| key(s) == group)
            .map(|s| s.scanned.fragments.len())
            .min()
            .unwrap_or(0);
        let first = streams.iter().find(|s| key(s) == group);
        if let Some(first) = first {
            for other in streams.iter().filter(|s| key(s) == group) {
                let a = first.scanned.fragments.iter().take(common);
                let b = other.scanned.fragments.iter().take(common);
                let differs = a
                    .zip(b)
                    .position(|(x, y)| (x.time, x.duration) != (y.time, y.duration));
                if let Some(n) = differs {
                    return Err(Error::Unrecoverable {
                        path: other.staged.clone(),
                        reason: format!(
                            "fragment {n} of StreamIndex \"{}\" differs from the other bit rates'",
                            other.track.name
                        ),
                    });
                }
            }
        }
        if let Some(this) = streams.get_mut(i) {
            this.keep = common;
        }
    }
    Ok(())
}

fn fragments(s: &Stream) -> &[scan::ScannedFragment] {
    s.scanned
        .fragments
        .get(..s.keep)
        .unwrap_or(&s.scanned.fragments)
}

/// Configured, or measured from the kept payload as the muxer measures it.
fn bitrate(s: &Stream, timescale: u64) -> u32 {
    if s.configured_bitrate != 0 {
        return s.configured_bitrate;
    }
    let kept = fragments(s);
    let duration = duration(s);
    if duration == 0 {
        return 0;
    }
    let payload: u64 = kept.iter().map(|f| f.payload).sum();
    let bits = u128::from(payload) * 8 * u128::from(timescale);
    u32::try_from((bits + u128::from(duration) / 2) / u128::from(duration)).unwrap_or(u32::MAX)
}

/// End of the last kept fragment minus start of the first.
fn duration(s: &Stream) -> u64 {
    let kept = fragments(s);
    match (kept.first(), kept.last()) {
        (Some(first), Some(last)) => (last.time + last.duration).saturating_sub(first.time),
        _ => 0,
    }
}

/// Truncates the file after its last kept fragment, appends the index and rewrites the
/// header with the kept duration and the bit rate.
fn finalize(s: &Stream, bitrate: u32) -> Result<()> {
    let kept = fragments(s);
    let end = kept
        .last()
        .map_or(s.scanned.header.len() as u64, |f| f.offset + f.size);
    let entries: Vec<(u64, u64)> = kept.iter().map(|f| (f.time, f.offset)).collect();
    let mut index = BoxWriter::with_capacity(64 + 19 * entries.len());
    write_mfra(
        &mut index,
        &[TrackIndex {
            track_id: s.track.track_id,
            entries: &entries,
        }],
    );
    let mut header = s.scanned.header.clone();
    patch_header(&mut header, duration(s), bitrate).map_err(|e| Error::Unrecoverable {
        path: s.staged.clone(),
        reason: format!("its header is not one this library wrote: {e}"),
    })?;
    let io = |op, source| Error::Io {
        op,
        path: s.staged.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .open(&s.staged)
        .map_err(|e| io("open", e))?;
    file.set_len(end).map_err(|e| io("truncate", e))?;
    file.seek(SeekFrom::Start(end)).map_err(|e| io("seek", e))?;
    file.write_all(index.as_slice())
        .map_err(|e| io("write", e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| io("seek", e))?;
    file.write_all(&header).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("sync", e))
}

/// Rewrites, in a header (`ftyp` + `moov`) this library wrote, every duration (`mvhd`,
/// `tkhd`, `mdhd`, all version 1) and, for AAC, the `esds` average and maximum bit
/// rates — the only fields that differ between the header written first and the final
/// one. Recovery does this; it is public for tools that repair files by hand. Fails,
/// changing nothing, on a header of another layout.
pub fn patch_header(header: &mut [u8], duration: u64, bitrate: u32) -> Result<()> {
    let mut u64_fields = Vec::new();
    let mut u32_fields = Vec::new();
    {
        let data: &[u8] = header;
        let mvhd = required(reader::find(data, "moov/mvhd")?, "mvhd")?;
        u64_fields.push(v1_field(&mvhd, 24)?);
        for tkhd in reader::find_all(data, "moov/trak/tkhd")? {
            u64_fields.push(v1_field(&tkhd, 28)?);
        }
        for mdhd in reader::find_all(data, "moov/trak/mdia/mdhd")? {
            u64_fields.push(v1_field(&mdhd, 24)?);
        }
        for stsd in reader::find_all(data, "moov/trak/mdia/minf/stbl/stsd")? {
            for entry in stsd.children_at(8) {
                let entry = entry?;
                if !(entry.is(b"mp4a") || entry.is(b"enca")) {
                    continue;
                }
                for child in entry.children_at(28) {
                    let child = child?;
                    if child.is(b"esds") {
                        u32_fields.extend(esds_bitrate_fields(&child)?);
                    }
                }
            }
        }
    }
    let fits = |at: usize, len: usize| at.checked_add(len).is_some_and(|end| end <= header.len());
    if !(u64_fields.iter().all(|&at| fits(at, 8)) && u32_fields.iter().all(|&at| fits(at, 4))) {
        return Err(Error::malformed("header", 0, "a field runs past the end"));
    }
    for at in u64_fields {
        put(header, at, &duration.to_be_bytes())?;
    }
    for at in u32_fields {
        put(header, at, &bitrate.to_be_bytes())?;
    }
    Ok(())
}

fn required<'a>(b: Option<reader::BoxRef<'a>>, what: &str) -> Result<reader::BoxRef<'a>> {
    b.ok_or_else(|| Error::malformed("header", 0, format!("no {what}")))
}

/// Offset of the 64-bit field `at` bytes into a version 1 full box's payload.
fn v1_field(b: &reader::BoxRef<'_>, at: u64) -> Result<usize> {
    let (version, _, _) = b.full_box()?;
    if version != 1 {
        return Err(Error::malformed(
            "header",
            usize::try_from(b.offset).unwrap_or(usize::MAX),
            format!("'{}' is version {version}, not 1", b.type_str()),
        ));
    }
    if (b.payload().len() as u64) < at + 8 {
        return Err(Error::malformed(
            "header",
            usize::try_from(b.offset).unwrap_or(usize::MAX),
            format!("'{}' is too short for its duration", b.type_str()),
        ));
    }
    usize::try_from(b.payload_offset() + at)
        .map_err(|_| Error::malformed("header", 0, "offset out of range"))
}

/// Offsets of maxBitrate and avgBitrate in an `esds`'s DecoderConfigDescriptor.
fn esds_bitrate_fields(esds: &reader::BoxRef<'_>) -> Result<[usize; 2]> {
    let max = usize::try_from(reader::Esds::parse(esds)?.max_bitrate_offset).unwrap_or(usize::MAX);
    Ok([max, max.saturating_add(4)])
}

fn put(header: &mut [u8], at: usize, value: &[u8]) -> Result<()> {
    header
        .get_mut(at..at.saturating_add(value.len()))
        .ok_or_else(|| Error::malformed("header", at, "field past the end"))?
        .copy_from_slice(value);
    Ok(())
}

/// Each kept fragment's sample bytes (the mdat payload), for sparse streams whose
/// samples the client manifest carries inline.
fn inline_payloads(path: &Path, s: &Stream) -> Result<Vec<Vec<u8>>> {
    let io = |source| Error::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    for f in fragments(s) {
        let mut payload = vec![0u8; usize::try_from(f.payload).unwrap_or(0)];
        file.seek(SeekFrom::Start(f.offset + f.moof_size + 8))
            .map_err(io)?;
        file.read_exact(&mut payload).map_err(io)?;
        out.push(payload);
    }
    Ok(out)
}

fn remove_staged(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|source| Error::Io {
        op: "remove",
        path: path.to_path_buf(),
        source,
    })
}

fn stream_report(s: &Stream, file: String, bitrate: u32) -> RecoveredStream {
    let kept_end = fragments(s)
        .last()
        .map_or(s.scanned.header.len() as u64, |f| f.offset + f.size);
    RecoveredStream {
        index: s.index,
        file,
        fragments: s.keep,
        dropped_fragments: s.scanned.fragments.len().saturating_sub(s.keep),
        dropped_bytes: s.scanned.len.saturating_sub(kept_end),
        duration: duration(s),
        bitrate,
    }
}

/// The media kind of a manifest track kind (they name the same three kinds).
pub(crate) fn media_kind(kind: TrackKind) -> MediaKind {
    match kind {
        TrackKind::Video => MediaKind::Video,
        TrackKind::Audio => MediaKind::Audio,
        TrackKind::Text => MediaKind::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::{Muxer, Options, Sample, StreamConfig};

    #[test]
    fn patched_headers_equal_the_muxers_final_ones() {
        let mut mux = Muxer::new(Options::default()).unwrap();
        let a = mux
            .add_stream(StreamConfig::aac(&[0x11, 0x90]).unwrap().timescale(48_000))
            .unwrap();
        mux.push(a, Sample::new(vec![1u8; 100], 0).duration(1024))
            .unwrap();
        mux.flush(a).unwrap();
        let mut early = mux.header(&[a]).unwrap().to_vec();
        for n in 1..200u64 {
            mux.push(a, Sample::new(vec![1u8; 300], n * 1024).duration(1024))
                .unwrap();
        }
        mux.flush(a).unwrap();
        let duration = mux
            .fragment_times(a)
            .unwrap()
            .iter()
            .map(|f| f.duration)
            .sum();
        let bitrate = mux.bitrate(a).unwrap();
        let last = mux.header(&[a]).unwrap();
        assert_ne!(early, last.to_vec());
        patch_header(&mut early, duration, bitrate).unwrap();
        assert_eq!(early, last.to_vec());
    }

    #[test]
    fn headers_of_other_writers_are_refused() {
        assert!(patch_header(&mut [0u8; 16], 1, 1).is_err());
    }
}
