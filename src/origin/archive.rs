//! The archive of a live event: an on-demand presentation written through the vod layer,
//! playable by the same origin once the event ends.
//!
//! It is staged exactly as [`crate::VodWriter`] stages a presentation — a hidden partial
//! directory with the journal (presentation, protection, one stream and track record
//! per track) and one file per track that starts with the stream's `ftyp` + `moov` and
//! grows by the fragments as received — and finished by [`crate::vod::recover`], which
//! rewrites the headers with the real durations, appends each `mfra`, names the files,
//! writes both manifests and publishes the directory atomically. The media bytes are
//! the encoder's own; only each `mfhd` sequence number is renumbered 1, 2, 3… per file,
//! as the vod layout requires.
//!
//! What recovery needs, the archive keeps: one track per file (a POST carrying several
//! tracks is not archived), contiguous fragments (a track whose ingest leaves a gap
//! stops being archived there), and every QualityLevel of a StreamIndex starting at the
//! same time (a level that joins late is left out; its earlier fragments are skipped).
//! Every level is cut to the fragments all of them have when the archive is published.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ingest::StreamHeader;
use super::live::Stored;
use crate::error::{Error, Result};
use crate::isobmff::reader;
use crate::manifest::{ManifestTrack, ProtectionHeader, TrackKind};
use crate::vod::journal::{Journal, Record};
use crate::vod::staging::Paths;

/// An event being archived.
#[derive(Debug)]
pub(crate) struct Archive {
    paths: Paths,
    journal: Journal,
    /// Files by live track index.
    files: HashMap<usize, TrackFile>,
    /// First archived time per StreamIndex (kind, name).
    starts: Vec<((TrackKind, String), u64)>,
    protection: Vec<ProtectionHeader>,
    fragments: u64,
}

#[derive(Debug)]
struct TrackFile {
    file: File,
    path: PathBuf,
    group: (TrackKind, String),
    /// Where the next fragment must start.
    next: Option<u64>,
    sequence: u32,
    stopped: bool,
}

impl Archive {
    /// Starts the archive of the point at `segments` (`…/NAME.isml`) under `base`:
    /// `base/…/NAME`, or `NAME-2`, `NAME-3`… when taken.
    pub(crate) fn create(
        base: &Path,
        segments: &[String],
        timescale: u64,
        protection: &[ProtectionHeader],
    ) -> Result<Self> {
        let (last, parents) = segments
            .split_last()
            .ok_or_else(|| Error::InvalidArgument("publishing point without a path".into()))?;
        let name = last
            .get(..last.len().saturating_sub(5))
            .unwrap_or(last)
            .to_string();
        let mut dir = base.to_path_buf();
        dir.extend(parents);
        let taken = |d: &Path| {
            let partial = d
                .file_name()
                .map(|n| d.with_file_name(format!(".{}.ssf-partial", n.to_string_lossy())));
            d.exists() || partial.is_some_and(|p| p.exists())
        };
        let target = (1..1000)
            .map(|n| match n {
                1 => dir.join(&name),
                n => dir.join(format!("{name}-{n}")),
            })
            .find(|d| !taken(d))
            .ok_or_else(|| {
                Error::InvalidState(format!("{}: 999 archives of {name} exist", dir.display()))
            })?;
        let paths = Paths::new(&target)?;
        paths.begin()?;
        let mut records = vec![Record::Presentation {
            name,
            timescale,
            fragment_elements: false,
        }];
        records.extend(protection.iter().cloned().map(Record::Protection));
        let journal = match Journal::create(&paths.partial, &records) {
            Ok(j) => j,
            Err(e) => {
                let _ = paths.discard();
                return Err(e);
            }
        };
        log::info!(
            "archiving /{} into {}",
            segments.join("/"),
            target.display()
        );
        Ok(Archive {
            paths,
            journal,
            files: HashMap::new(),
            starts: Vec::new(),
            protection: protection.to_vec(),
            fragments: 0,
        })
    }

    /// Where the archive is published.
    pub(crate) fn target(&self) -> &Path {
        &self.paths.target
    }

    /// Adds live track `index` (announced by `header`). A failure only leaves the track
    /// out (logged): the live event goes on.
    pub(crate) fn add_track(&mut self, index: usize, track: &ManifestTrack, header: &StreamHeader) {
        if self.files.contains_key(&index) {
            return;
        }
        if header.moov_tracks != 1 {
            log::warn!(
                "{}: track \"{}\" at {} b/s not archived: its POST carries {} tracks, an archive file holds one",
                self.target().display(),
                track.name,
                track.bitrate,
                header.moov_tracks
            );
            return;
        }
        if let Err(e) = self.try_add(index, track, header) {
            log::error!(
                "{}: track \"{}\" not archived: {e}",
                self.target().display(),
                track.name
            );
        }
    }

    fn try_add(
        &mut self,
        index: usize,
        track: &ManifestTrack,
        header: &StreamHeader,
    ) -> Result<()> {
        for p in &header.protection {
            if !self.protection.contains(p) {
                self.journal.append(&Record::Protection(p.clone()), false)?;
                self.protection.push(p.clone());
            }
        }
        let stream = self.files.len();
        self.journal.append(
            &Record::Stream {
                index: stream,
                bitrate: track.bitrate,
                file: None,
            },
            false,
        )?;
        self.journal.append(
            &Record::Track {
                index: stream,
                track: Box::new(track.clone()),
            },
            true,
        )?;
        let path = crate::vod::staged_stream_file(
            &self.paths.partial,
            stream,
            crate::vod::media_kind(track.kind),
        );
        let io = |op, source| Error::Io {
            op,
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io("create", e))?;
        file.write_all(&header.file_header)
            .map_err(|e| io("write", e))?;
        self.files.insert(
            index,
            TrackFile {
                file,
                path,
                group: (track.kind, track.name.clone()),
                next: None,
                sequence: 0,
                stopped: false,
            },
        );
        Ok(())
    }

    /// Appends a fragment of live track `index`, or stops archiving the track (logged)
    /// when it cannot follow the ones before.
    pub(crate) fn append(&mut self, index: usize, fragment: &Stored) {
        let Some(f) = self.files.get_mut(&index) else {
            return;
        };
        if f.stopped {
            return;
        }
        let start = match self.starts.iter().find(|(g, _)| *g == f.group) {
            Some((_, start)) => *start,
            None => {
                self.starts.push((f.group.clone(), fragment.time));
                fragment.time
            }
        };
        let problem = match f.next {
            None if fragment.time < start => return,
            None if fragment.time > start => Some(format!(
                "its first fragment starts at {}, after the other levels' first at {start}",
                fragment.time
            )),
            Some(next) if fragment.time != next => Some(format!(
                "a gap in the ingest: a fragment at {} where {next} was due",
                fragment.time
            )),
            _ => None,
        };
        let written = match problem {
            Some(p) => Err(p),
            None => write_fragment(f, fragment),
        };
        match written {
            Ok(()) => {
                f.next = Some(fragment.end());
                self.fragments += 1;
            }
            Err(why) => {
                f.stopped = true;
                log::warn!(
                    "{}: stream \"{}\" stops being archived: {why}",
                    self.paths.target.display(),
                    f.group.1
                );
            }
        }
    }

    /// Publishes the archive: [`crate::vod::recover`] finishes the staged files into a
    /// presentation. An archive with no fragment is discarded instead.
    pub(crate) fn finish(self) -> Result<PathBuf> {
        let Archive {
            paths,
            journal,
            files,
            fragments,
            ..
        } = self;
        // The journal's lock and the files close first: recovery takes over.
        drop(journal);
        drop(files);
        if fragments == 0 {
            paths.discard()?;
            return Err(Error::InvalidState(format!(
                "{}: no fragment was archived; nothing published",
                paths.target.display()
            )));
        }
        let recovered = crate::vod::recover(&paths.target)?;
        log::info!("archive published: {}", recovered.directory.display());
        Ok(recovered.directory)
    }
}

/// Writes one fragment with the file's next sequence number in its `mfhd`.
fn write_fragment(f: &mut TrackFile, fragment: &Stored) -> std::result::Result<(), String> {
    let sequence = f
        .sequence
        .checked_add(1)
        .ok_or("sequence numbers exhausted")?;
    let mut data = fragment.data.to_vec();
    let moof = reader::boxes(&data)
        .next()
        .and_then(std::result::Result::ok)
        .ok_or("unreadable moof")?;
    let at = moof
        .find("mfhd")
        .ok()
        .flatten()
        .and_then(|m| usize::try_from(m.payload_offset()).ok())
        .ok_or("no mfhd")?
        .saturating_add(4);
    data.get_mut(at..at.saturating_add(4))
        .ok_or("mfhd too short")?
        .copy_from_slice(&sequence.to_be_bytes());
    f.file
        .write_all(&data)
        .map_err(|e| format!("writing {}: {e}", f.path.display()))?;
    f.sequence = sequence;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::ingest::{IngestEvent, IngestLimits, IngestParser};
    use crate::origin::testing::aac_stream;

    fn parse(stream: &crate::origin::testing::TestStream) -> (StreamHeader, Vec<Stored>) {
        let mut p = IngestParser::new(IngestLimits::default());
        let mut header = None;
        let mut fragments = Vec::new();
        let mut bytes = stream.header.to_vec();
        for f in &stream.fragments {
            bytes.extend_from_slice(f);
        }
        for e in p.push(&bytes).unwrap() {
            match e {
                IngestEvent::Header(h) => header = Some(*h),
                IngestEvent::Fragment(f) => fragments.push(Stored {
                    time: f.time,
                    duration: f.duration,
                    data: f.data,
                    moof_len: f.moof_len,
                }),
                IngestEvent::EndOfStream => {}
            }
        }
        (header.unwrap(), fragments)
    }

    #[test]
    fn an_archived_event_is_a_presentation_the_vod_layer_wrote() {
        let base = tempfile::tempdir().unwrap();
        let segments = vec!["live".to_string(), "ch.isml".to_string()];
        let (header, fragments) = parse(&aac_stream("audio", 96_000, 4));
        let mut a = Archive::create(base.path(), &segments, 10_000_000, &[]).unwrap();
        a.add_track(0, &header.tracks[0], &header);
        for f in &fragments {
            a.append(0, f);
        }
        let dir = a.finish().unwrap();
        assert_eq!(dir, base.path().canonicalize().unwrap().join("live/ch"));
        let ism = std::fs::read_to_string(dir.join("ch.ism")).unwrap();
        assert!(ism.contains("systemBitrate=\"96000\""), "{ism}");
        let ismc = std::fs::read_to_string(dir.join("ch.ismc")).unwrap();
        assert_eq!(ismc.matches("<c ").count(), 4, "{ismc}");
        // A second event of the same point gets a directory of its own.
        let b = Archive::create(base.path(), &segments, 10_000_000, &[]).unwrap();
        assert!(b.target().ends_with("live/ch-2"));
        assert!(b.finish().is_err(), "nothing archived, nothing published");
        assert!(!base.path().join("live/ch-2").exists());
    }

    #[test]
    fn a_gap_stops_the_track_where_it_is() {
        let base = tempfile::tempdir().unwrap();
        let (header, fragments) = parse(&aac_stream("audio", 96_000, 4));
        let mut a = Archive::create(base.path(), &["x.isml".to_string()], 10_000_000, &[]).unwrap();
        a.add_track(0, &header.tracks[0], &header);
        a.append(0, &fragments[0]);
        a.append(0, &fragments[2]);
        a.append(0, &fragments[3]);
        let dir = a.finish().unwrap();
        let ismc = std::fs::read_to_string(dir.join("x.ismc")).unwrap();
        assert_eq!(ismc.matches("<c ").count(), 1, "{ismc}");
    }
}
