//! MP4 / ISO BMFF input: the tracks of a file (plain or fragmented), their codec
//! configuration, and their samples in decode order with bounded memory.
//!
//! Memory does not grow with the film: the `moov` is walked box by box, and each sample
//! table (`stsz`/`stz2`, `stco`/`co64`, `stsc`, `stts`, `ctts`, `stss`, and each fragment's
//! `trun`) is read a window of 4096 entries at a time as the samples are. Payloads come
//! from 1 MiB read windows as shared [`Bytes`] slices. Every field read from the file is
//! bounds-checked: a malformed file gives [`crate::Error::Malformed`] with the box and the
//! absolute byte offset, never a panic or an allocation sized by the file's claims.
//!
//! ```no_run
//! # fn main() -> ssf::Result<()> {
//! use ssf::input::mp4::{Mp4File, SampleEntry};
//! let mut file = Mp4File::open_path("movie.mp4")?;
//! for track in file.tracks().to_vec() {
//!     let config = match &track.entry {
//!         SampleEntry::Avc { avcc, .. } => ssf::StreamConfig::h264(avcc)?,
//!         SampleEntry::Aac { asc } => ssf::StreamConfig::aac(asc)?,
//!         other => {
//!             eprintln!("track {}: skipped ({})", track.id, other.describe());
//!             continue;
//!         }
//!     };
//!     let mut samples = file.samples(track.id)?;
//!     while let Some(s) = file.next_sample(&mut samples)? {
//!         let data = file.read_sample(&s)?;
//!         let sample = ssf::Sample::new(data, s.decode_time)
//!             .cts_offset(s.composition_offset)
//!             .duration(s.duration)
//!             .sync(s.sync);
//!         # let _ = (&config, sample);
//!     }
//! }
//! # Ok(()) }
//! ```

// File data must never wrap silently here (no panics is the crate's rule, in
// Cargo.toml's [lints]); the tests may.
#![cfg_attr(
    not(test),
    deny(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)
)]

mod boxes;
mod entry;
mod fragments;
mod movie;
mod payload;
mod samples;
mod summary;
mod tables;
#[cfg(test)]
mod tests;
mod track;
mod window;

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::isobmff::reader::Trex;
use boxes::{Children, Input, malformed};
use fragments::Fragments;
use movie::Movie;
use payload::PayloadReader;
use samples::Plan;
use summary::{Tally, tally_fragments};

pub use samples::{SampleInfo, Samples};
pub use track::{SampleEntry, Track, TrackKind};

/// An open MP4 file: its tracks, cursors over their samples, and the payload reader.
#[derive(Debug)]
pub struct Mp4File<R> {
    /// The file.
    input: Input<R>,
    /// The tracks, by track_ID.
    tracks: Vec<Track>,
    /// What a cursor over each track starts from (parallel to `tracks`).
    plans: Vec<Plan>,
    /// Fragment defaults.
    trex: Vec<Trex>,
    /// Payload windows, shared by all tracks (they interleave in the file).
    payload: PayloadReader,
}

impl Mp4File<File> {
    /// Opens the file at `path`; I/O errors name it.
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| Error::Io {
            op: "open",
            path: path.to_path_buf(),
            source,
        })?;
        Self::open_named(file, path)
    }
}

impl<R: Read + Seek> Mp4File<R> {
    /// Reads the structure of the MP4 in `reader` (the boxes, not the media data).
    pub fn open(reader: R) -> Result<Self> {
        Self::open_named(reader, "MP4 input")
    }

    /// Like [`Self::open`], naming the input `name` in I/O errors.
    pub fn open_named(reader: R, name: impl Into<PathBuf>) -> Result<Self> {
        let mut input = Input::new(reader, name.into())?;
        let mut top = Children::top(input.len());
        let mut moov = None;
        let mut fragmented = false;
        while let Some(b) = top.next(&mut input)? {
            if b.is(b"moov") && moov.is_none() {
                moov = Some(b);
            }
            fragmented |= b.is(b"moof");
        }
        let moov = moov.ok_or_else(|| {
            malformed(
                "moov",
                0,
                "no moov box: not an MP4 file, or one whose writer did not finish",
            )
        })?;
        let movie = Movie::parse(&mut input, &moov)?;
        let mut tallies = movie
            .tracks
            .iter()
            .map(|t| Tally::tables(&mut input, t))
            .collect::<Result<Vec<_>>>()?;
        let walk_others = if fragmented {
            tally_fragments(&mut input, &movie, &mut tallies)?
        } else {
            false
        };
        let mut tracks = Vec::with_capacity(movie.tracks.len());
        let mut plans = Vec::with_capacity(movie.tracks.len());
        for (t, tally) in movie.tracks.into_iter().zip(tallies) {
            let has_fragments = tally.in_fragments > 0;
            tracks.push(Track {
                id: t.id,
                kind: t.kind,
                timescale: t.timescale,
                language: t.language,
                entry: t.entry,
                sample_count: tally.count(),
                sample_bytes: tally.bytes,
                duration: tally.duration(t.media_duration),
                media_duration: t.media_duration,
                fragmented: has_fragments,
            });
            plans.push(Plan {
                track: t.id,
                tables: t.tables,
                in_tables: tally.in_tables,
                count: tally.count(),
                media_duration: t.media_duration,
                shift: tally.shift(),
                fragments: has_fragments
                    .then(|| Fragments::new(Some(t.id), walk_others, input.len())),
            });
        }
        // Track IDs are unique (the moov parse refuses duplicates).
        tracks.sort_by_key(|t| t.id);
        plans.sort_by_key(|p| p.track);
        Ok(Mp4File {
            input,
            tracks,
            plans,
            trex: movie.trex,
            payload: PayloadReader::default(),
        })
    }

    /// The tracks, in increasing track_ID order (the order the CLI has always packaged
    /// them in, whatever their order in the `moov`).
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The track with `track_ID` `id`.
    pub fn track(&self, id: u32) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// A cursor at the first sample of track `id`. Cursors are independent: several
    /// tracks (or several passes over one) can be read in any interleaving.
    pub fn samples(&self, id: u32) -> Result<Samples> {
        self.plans
            .iter()
            .find(|p| p.track == id)
            .map(|p| Samples::new(p.clone()))
            .ok_or_else(|| Error::InvalidArgument(format!("the MP4 has no track {id}")))
    }

    /// The next sample of `samples`' track, or `None` after its last. After an error the
    /// cursor is at its end.
    pub fn next_sample(&mut self, samples: &mut Samples) -> Result<Option<SampleInfo>> {
        samples.advance(&mut self.input, &self.trex)
    }

    /// A sample's bytes: a slice of a shared read window, no copy.
    pub fn read_sample(&mut self, sample: &SampleInfo) -> Result<Bytes> {
        self.payload
            .read(&mut self.input, sample.offset, sample.size)
    }

    /// An iterator over track `id`'s samples (for one track at a time; interleave
    /// [`Self::samples`] cursors to read several).
    pub fn iter(&mut self, id: u32) -> Result<SampleIter<'_, R>> {
        let samples = self.samples(id)?;
        Ok(SampleIter {
            file: self,
            samples,
            failed: false,
        })
    }
}

impl<R> Mp4File<R> {
    /// Length of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.input.len()
    }

    /// Bytes held by the payload windows and their recycling pool (some may still be
    /// shared with samples the caller holds): bounded by the window size, not the file.
    pub fn buffered_bytes(&self) -> usize {
        self.payload.capacity()
    }

    /// The underlying reader (e.g. the [`File`], to copy sample ranges with explicit
    /// offsets). Reads through this reader seek first, so moving its position is harmless.
    pub fn get_ref(&self) -> &R {
        self.input.get_ref()
    }

    /// Gives the reader back.
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }
}

/// Iterator over one track's samples, from [`Mp4File::iter`]; it stops after the first
/// error.
#[derive(Debug)]
pub struct SampleIter<'a, R> {
    /// The file.
    file: &'a mut Mp4File<R>,
    /// The cursor.
    samples: Samples,
    /// Whether an error was returned.
    failed: bool,
}

impl<R: Read + Seek> SampleIter<'_, R> {
    /// A sample's bytes, as [`Mp4File::read_sample`].
    pub fn read_sample(&mut self, sample: &SampleInfo) -> Result<Bytes> {
        self.file.read_sample(sample)
    }

    /// The cursor, e.g. for [`Samples::buffered_bytes`].
    pub fn cursor(&self) -> &Samples {
        &self.samples
    }
}

impl<R: Read + Seek> Iterator for SampleIter<'_, R> {
    type Item = Result<SampleInfo>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.file.next_sample(&mut self.samples) {
            Ok(s) => s.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
