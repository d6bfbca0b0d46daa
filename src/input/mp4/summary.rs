//! What opening a file measures of each track before any sample is read: sample count,
//! bytes, duration and composition shift, by the same rules the sample cursor applies
//! (so the duration is the sum of the durations the samples are read with).
//!
//! Tables are summed entry by entry, not sample by sample: one `stts` entry may cover
//! billions of samples. Fragments are walked once for all tracks.

use std::io::{Read, Seek};

use super::boxes::{Input, context, malformed};
use super::fragments::{FragmentSample, Fragments};
use super::movie::{Movie, MovieTrack};
use super::samples::last_duration;
use crate::error::{Error, Result};

/// A track's samples as counted so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Samples in the `stbl`.
    pub(crate) in_tables: u64,
    /// Samples in fragments.
    pub(crate) in_fragments: u64,
    /// Sum of their sizes.
    pub(crate) bytes: u64,
    /// Decode time of the last sample counted.
    last_start: u64,
    /// Its duration as the container gives it (`None` before any sample).
    last_raw: Option<u64>,
    /// The duration of the sample before it.
    previous: u64,
    /// The most negative composition offset (0 if none is negative).
    min_composition: i64,
}

impl Tally {
    /// Counts a track's `stbl` samples.
    pub(crate) fn tables<R: Read + Seek>(input: &mut Input<R>, t: &MovieTrack) -> Result<Self> {
        let context = |e: Error| context(e, format!("track {}", t.id));
        let count = t.tables.sizes.count();
        let bytes = t.tables.sizes.clone().total(input).map_err(context)?;
        let mut tally = Tally {
            in_tables: count,
            bytes,
            ..Tally::default()
        };
        if count == 0 {
            return Ok(tally);
        }
        let stts = t
            .tables
            .stts
            .clone()
            .summary(input, count)
            .map_err(context)?;
        tally.last_start = stts.sum_but_last;
        tally.last_raw = Some(u64::from(stts.last));
        tally.previous = u64::from(stts.next_to_last);
        if let Some(ctts) = &t.tables.ctts {
            let ctts = ctts.clone().summary(input, count).map_err(context)?;
            tally.min_composition = i64::from(ctts.min_signed).min(0);
        }
        Ok(tally)
    }

    /// Counts one fragment sample.
    fn push(&mut self, s: &FragmentSample) -> Result<()> {
        if let Some(raw) = self.last_raw {
            self.last_start = self
                .last_start
                .checked_add(raw)
                .ok_or_else(|| malformed("trun", s.offset, "decode times add up past 2^64"))?;
            self.previous = raw;
        }
        self.last_raw = Some(u64::from(s.duration));
        self.in_fragments = self.in_fragments.saturating_add(1);
        self.bytes = self.bytes.saturating_add(u64::from(s.size));
        self.min_composition = self.min_composition.min(s.composition);
        Ok(())
    }

    /// All samples.
    pub(crate) fn count(&self) -> u64 {
        self.in_tables.saturating_add(self.in_fragments)
    }

    /// Decode time past the last sample, `media_duration` being the track's `mdhd`
    /// duration (see [`last_duration`]).
    pub(crate) fn duration(&self, media_duration: u64) -> u64 {
        let Some(raw) = self.last_raw else {
            return 0;
        };
        let raw = if self.in_fragments > 0 {
            Some(raw)
        } else {
            media_duration.checked_sub(self.last_start)
        };
        self.last_start
            .saturating_add(last_duration(raw, self.previous))
    }

    /// What every composition offset is raised by so that none is negative.
    pub(crate) fn shift(&self) -> i64 {
        self.min_composition.saturating_neg().max(0)
    }
}

/// Counts every fragment sample into its track's tally (`tallies` parallel to
/// `movie.tracks`). Returns whether some `traf` takes its base from the previous one's
/// data, so that one track's walk must go through the others'.
pub(crate) fn tally_fragments<R: Read + Seek>(
    input: &mut Input<R>,
    movie: &Movie,
    tallies: &mut [Tally],
) -> Result<bool> {
    let mut walk = Fragments::new(None, true, input.len());
    // Fragments alternate between few tracks: remember the last one found.
    let mut cached: Option<(u32, usize)> = None;
    while let Some(s) = walk.next(input, &movie.trex)? {
        let index = match cached {
            Some((id, i)) if id == s.track => i,
            _ => {
                let i = movie
                    .tracks
                    .iter()
                    .position(|t| t.id == s.track)
                    .ok_or_else(|| {
                        malformed(
                            "traf",
                            s.offset,
                            format!(
                                "a fragment of track {}, which the moov does not declare",
                                s.track
                            ),
                        )
                    })?;
                cached = Some((s.track, i));
                i
            }
        };
        let tally = tallies
            .get_mut(index)
            .ok_or_else(|| malformed("traf", s.offset, "track list changed"))?;
        let n = tally.count();
        tally
            .push(&s)
            .map_err(|e| context(e, format!("track {}, sample {n}", s.track)))?;
    }
    Ok(walk.implicit_base_seen())
}
