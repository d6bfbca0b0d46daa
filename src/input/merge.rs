//! Many streams into one decode-order sequence: each stream's first sample is read, the
//! streams are shifted so that they all start presenting at the same instant, and then
//! the stream whose next sample decodes first always goes next.

use super::read_ahead::ReadAhead;
use super::sample::InputSample;
use super::source::SampleSource;
use crate::error::{Error, Result};
use crate::mux::SampleSealer;

/// One stream being merged.
pub(crate) struct Lane {
    /// Where its samples come from.
    pub(crate) source: Box<dyn SampleSource>,
    /// How it is named in messages.
    pub(crate) label: String,
    /// Ticks per second of its sample times.
    pub(crate) timescale: u32,
    /// Captions are timed from the programme's start: they follow the shift, never set it.
    pub(crate) follows: bool,
    /// Added to the source's decode times.
    shift: u64,
    /// The next sample, read ahead so lanes can be compared.
    next: Option<InputSample>,
    /// The sample before `next` was handed out; `next` is read on the following call, so
    /// that reading and the caller's use of a sample happen in the order they always did.
    stale: bool,
    /// Whether the source has ended.
    ended: bool,
}

impl Lane {
    /// A lane over `source`.
    pub(crate) fn new(
        source: Box<dyn SampleSource>,
        label: String,
        timescale: u32,
        follows: bool,
    ) -> Self {
        Lane {
            source,
            label,
            timescale,
            follows,
            shift: 0,
            next: None,
            stale: false,
            ended: false,
        }
    }

    /// The lane with its source read on a thread of its own, ahead of the merge, as one
    /// of `lanes` lanes read so, its samples encrypted there too with `sealer`.
    pub(crate) fn in_background(self, lanes: usize, sealer: Option<SampleSealer>) -> Lane {
        let source = Box::new(ReadAhead::start(self.source, &self.label, lanes, sealer));
        Lane { source, ..self }
    }

    /// Reads the lane's next sample into `next`.
    fn read(&mut self, notes: &mut Vec<String>) -> Result<()> {
        self.stale = false;
        self.next = self.source.next_sample(notes)?;
        self.ended = self.next.is_none();
        Ok(())
    }
}

/// The merge over a set of lanes.
#[derive(Default)]
pub(crate) struct Merge {
    /// The lanes, in stream order (ties go to the earlier lane).
    pub(crate) lanes: Vec<Lane>,
    /// The first samples have been read and the shifts set.
    started: bool,
}

impl Merge {
    /// Whether the merge has begun (no lane may be added or dropped any more).
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// The next sample of all lanes in decode order, with its lane's index and the shift
    /// applied; `None` when every lane has ended.
    pub(crate) fn next(&mut self, notes: &mut Vec<String>) -> Result<Option<(usize, InputSample)>> {
        if !self.started {
            self.start(notes)?;
        }
        for lane in self.lanes.iter_mut().filter(|l| l.stale) {
            lane.read(notes)?;
        }
        let Some(i) = self.earliest() else {
            return Ok(None);
        };
        let Some(lane) = self.lanes.get_mut(i) else {
            return Ok(None);
        };
        let Some(mut sample) = lane.next.take() else {
            return Ok(None);
        };
        lane.stale = true;
        sample.dts = sample
            .dts
            .checked_add(lane.shift)
            .ok_or_else(|| Error::input(lane.label.clone(), "decode time overflows"))?;
        Ok(Some((i, sample)))
    }

    /// Whether every lane has ended.
    pub(crate) fn ended(&self) -> bool {
        self.lanes.iter().all(|l| l.ended)
    }

    /// Reads each lane's first sample and shifts lanes so that all start presenting at
    /// the same instant. With B-frames a video stream's first picture is shown a reorder
    /// delay after it is decoded; audio that started at 0 would play that much early.
    fn start(&mut self, notes: &mut Vec<String>) -> Result<()> {
        self.started = true;
        for lane in &mut self.lanes {
            lane.read(notes)?;
            if lane.next.is_none() {
                notes.push(format!("{}: no samples", lane.label));
            }
        }
        // The latest first presentation time, as (ticks, timescale).
        let lead = |l: &Lane| l.next.as_ref().map_or(0, |n| n.dts + n.cts_offset);
        let Some(latest) = self.lanes.iter().filter(|l| !l.follows).max_by(|a, b| {
            (u128::from(lead(a)) * u128::from(b.timescale))
                .cmp(&(u128::from(lead(b)) * u128::from(a.timescale)))
        }) else {
            return Ok(());
        };
        let (ticks, scale) = (u128::from(lead(latest)), u128::from(latest.timescale));
        if scale == 0 {
            return Ok(());
        }
        for lane in &mut self.lanes {
            let target = (ticks * u128::from(lane.timescale) + scale / 2) / scale;
            let shift = if lane.follows {
                target
            } else {
                target.saturating_sub(u128::from(lead(lane)))
            };
            lane.shift = u64::try_from(shift)
                .map_err(|_| Error::input(lane.label.clone(), "start offset overflows"))?;
        }
        Ok(())
    }

    /// The lane whose pending sample has the earliest decode time (exact comparison of
    /// `dts / timescale` across timescales); ties go to the earlier lane.
    fn earliest(&self) -> Option<usize> {
        let mut best: Option<(usize, u128, u128)> = None;
        for (i, lane) in self.lanes.iter().enumerate() {
            let Some(next) = &lane.next else { continue };
            let t = u128::from(next.dts) + u128::from(lane.shift);
            let scale = u128::from(lane.timescale);
            match best {
                Some((_, bt, bscale)) if bt * scale <= t * bscale => {}
                _ => best = Some((i, t, scale)),
            }
        }
        best.map(|(i, _, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source of `(dts, cts_offset)` samples.
    struct Fixed(std::collections::VecDeque<(u64, u64)>);

    impl SampleSource for Fixed {
        fn next_sample(&mut self, _: &mut Vec<String>) -> Result<Option<InputSample>> {
            Ok(self.0.pop_front().map(|(dts, cts_offset)| InputSample {
                data: bytes::Bytes::from_static(b"x"),
                dts,
                cts_offset,
                duration: 1,
                sync: true,
                origin: None,
                pieces: Vec::new(),
                sealed: None,
            }))
        }
    }

    fn lane(times: &[(u64, u64)], timescale: u32, follows: bool) -> Lane {
        Lane::new(
            Box::new(Fixed(times.iter().copied().collect())),
            format!("lane@{timescale}"),
            timescale,
            follows,
        )
    }

    #[test]
    fn lanes_start_together_and_merge_by_decode_time() {
        // Video at 25 fps (timescale 25) whose first picture is shown 2 frames late;
        // audio at 1000 Hz from 0; captions at 10 Hz from 0.
        let mut merge = Merge {
            lanes: vec![
                lane(&[(0, 2), (1, 0), (2, 0)], 25, false),
                lane(&[(0, 0), (40, 0), (80, 0), (120, 0)], 1000, false),
                lane(&[(0, 0)], 10, true),
            ],
            started: false,
        };
        let mut notes = Vec::new();
        let mut order = Vec::new();
        while let Some((i, s)) = merge.next(&mut notes).unwrap() {
            order.push((i, s.dts));
        }
        // Audio shifted by 80 ms, captions by 0.8 ticks rounded to 1; video and audio tie
        // at 80 ms, and the earlier lane goes first.
        assert_eq!(
            order,
            [
                (0, 0),
                (0, 1),
                (0, 2),
                (1, 80),
                (2, 1),
                (1, 120),
                (1, 160),
                (1, 200)
            ]
        );
        assert!(merge.ended() && notes.is_empty());
    }

    #[test]
    fn an_empty_lane_is_noted() {
        let mut merge = Merge {
            lanes: vec![lane(&[], 1, false), lane(&[(0, 0)], 1, false)],
            started: false,
        };
        let mut notes = Vec::new();
        assert_eq!(merge.next(&mut notes).unwrap().map(|(i, _)| i), Some(1));
        assert_eq!(notes, ["lane@1: no samples"]);
    }
}
