//! The reorder buffer: samples timed by presentation time and handed over in decode
//! order, as DirectShow-style encoders and the original SDK's `SSF_SAMPLE` give them, are
//! held one fragment at a time and released with decode times derived from their
//! presentation times once the caller says the fragment is complete.
//!
//! Every sample is checked as it arrives against everything that could make the fragment
//! fail when it is released and muxed (its payload, as the muxer would check it, and the
//! times the whole fragment gets with it), and refused then if it does not fit. So one bad
//! sample is refused alone: the samples before and after it are muxed as if it had never
//! been given, and releasing a fragment never fails because of one of its samples.

use std::mem;

use super::config::{Fragmentation, StreamConfig, StreamId};
use super::sample::Sample;
use super::stream::StreamState;
use super::timescale::rescale;
use crate::codec::MediaKind;
use crate::error::{Error, Result};

/// The most samples that may come before a sample in decode order and after it in
/// presentation order: an H.264 decoder holds at most 16 frames (VC-1 needs 1). A sample
/// presented before more of its predecessors cannot be placed by any decoder.
pub const MAX_REORDER_DEPTH: usize = 16;

/// Collects the samples of one fragment of one stream, each with its presentation time in
/// the decode time field, and releases them with decode times and composition offsets.
///
/// Decode time `i` of a fragment is the `i`-th smallest presentation time, so decode
/// times only grow and the fragment starts at its earliest presentation time (the
/// keyframe of a closed GOP), which keeps fragment boundaries where the caller put them.
/// Presentation is delayed by a constant `delay` (learnt from the first fragment: the
/// least that keeps every composition offset non-negative, 0 without B-frames), so
/// `cts_offset = pts + delay - dts`. A later fragment that reorders deeper than the first
/// keeps every presentation time exact: the decode times that would come too late are
/// moved earlier (`dts_i = min(i-th smallest pts, min over j >= i of pts_j + delay)`,
/// which is the plain rule whenever the delay suffices).
///
/// Video may be reordered; audio and text must come in presentation order.
#[derive(Debug)]
pub struct ReorderBuffer {
    id: StreamId,
    /// Ticks per second of the caller's times, and of the presentation.
    from: u32,
    to: u32,
    /// Video: samples may be reordered (B-frames). Otherwise times never decrease.
    reorder: bool,
    /// Audio and video: each sample fills its own slot of time, so two samples cannot
    /// start within half a sample of each other. Captions and metadata may overlap.
    slotted: bool,
    /// The open fragment's samples in decode order, presentation time in `dts`.
    pending: Vec<Sample>,
    /// Their presentation times, sorted: the decode times they get.
    sorted: Vec<u64>,
    delay: Option<u64>,
    /// Decode time of the last sample released, in the caller's ticks.
    last_released: Option<u64>,
    /// The end the caller set for the open fragment, in the caller's ticks.
    end: Option<u64>,
    /// Samples accepted so far: the index of the next one, for messages.
    accepted: u64,
    /// A second copy of the stream's state, with its own copy of the codec, that checks
    /// each payload exactly as the muxer will (framing, parameter sets, sizes, protected
    /// ranges, a keyframe first) with placeholder times; reset at each release.
    payload: StreamState,
}

/// One fragment's samples as [`ReorderBuffer::drain`] releases them.
#[derive(Debug)]
pub struct Release {
    /// The samples in decode order, with decode times and composition offsets.
    pub samples: Vec<Sample>,
    /// The end the caller set for the fragment ([`ReorderBuffer::set_end`]), if any:
    /// give it to [`crate::Muxer::flush_at`].
    pub end: Option<u64>,
}

/// The decode times of a fragment: the delay in force and each sample's decode time.
struct Timing {
    delay: u64,
    dts: Vec<u64>,
}

impl ReorderBuffer {
    /// An empty collector for stream `id` of a muxer whose presentation timescale is
    /// `timescale`, configured as `config` (its codec state is copied to check payloads).
    pub fn new(id: StreamId, config: &StreamConfig, timescale: u32) -> Self {
        Self {
            id,
            from: config.timescale,
            to: timescale,
            reorder: config.codec().kind() == MediaKind::Video,
            slotted: config.codec().kind() != MediaKind::Text,
            pending: Vec::new(),
            sorted: Vec::new(),
            delay: None,
            last_released: None,
            end: None,
            accepted: 0,
            payload: StreamState::new(id, config.clone(), timescale, None),
        }
    }

    /// Whether no sample is waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The presentation delay in force, once the first fragment was released.
    pub fn delay(&self) -> Option<u64> {
        self.delay
    }

    fn refuse(&self, reason: String) -> Error {
        Error::InvalidSample {
            stream: self.id.0,
            sample: self.accepted,
            reason,
        }
    }

    /// Adds the next sample in decode order; its `dts` field holds its presentation time.
    /// A sample that cannot be placed is refused and changes nothing: one presented
    /// before the start of the fragment being built, at the time of another sample of
    /// the fragment (video), before more than [`MAX_REORDER_DEPTH`] samples given before
    /// it (video) or before the previous sample (audio, text), within half a duration of
    /// another sample (audio, video, when durations are given), after the fragment end
    /// set with [`ReorderBuffer::set_end`], one whose times overflow or would give a
    /// sample a duration or composition offset over 32 bits, and one whose payload the
    /// muxer would refuse.
    pub fn push(&mut self, sample: Sample) -> Result<()> {
        let pts = sample.dts;
        if rescale(pts, self.from, self.to).is_none() {
            return Err(Error::TimestampOverflow {
                stream: self.id.0,
                sample: self.accepted,
                detail: format!("presentation time {pts} does not fit the presentation timescale"),
            });
        }
        self.check_place(pts)?;
        self.check_slot(pts, sample.duration)?;
        let at = self.sorted.partition_point(|&t| t <= pts);
        let mut sorted = self.sorted.clone();
        sorted.insert(at, pts);
        let mut times: Vec<u64> = self.pending.iter().map(|s| s.dts).collect();
        times.push(pts);
        let mut durations: Vec<Option<u64>> = self.pending.iter().map(|s| s.duration).collect();
        durations.push(sample.duration);
        self.check_timing(&times, &sorted, &durations, self.end)
            .map_err(|reason| self.refuse(reason))?;
        self.check_payload(&sample)?;
        self.sorted = sorted;
        self.pending.push(sample);
        self.accepted += 1;
        Ok(())
    }

    /// Refuses a presentation time that no decode order of this fragment can place.
    fn check_place(&self, pts: u64) -> Result<()> {
        let Some(first) = self.pending.first().map(|s| s.dts) else {
            return match self.last_released {
                // Fragments follow each other: a fragment's first sample (its keyframe)
                // comes after every sample already released.
                Some(last) if pts < last || (self.reorder && pts == last) => {
                    Err(self.refuse(format!(
                        "presentation time {pts} is not after the previous fragment's last \
                         decode time {last}: it is before the start of the fragment being built"
                    )))
                }
                _ => Ok(()),
            };
        };
        if !self.reorder {
            let previous = self.pending.last().map_or(first, |s| s.dts);
            return if pts < previous {
                Err(self.refuse(format!(
                    "presentation time {pts} is before the previous sample's {previous}: \
                     audio and text samples come in presentation order"
                )))
            } else {
                Ok(())
            };
        }
        if pts < first {
            return Err(self.refuse(format!(
                "presentation time {pts} is before the keyframe at {first} that starts the \
                 fragment being built (a fragment is a closed GOP: nothing in it is \
                 presented before its keyframe)"
            )));
        }
        if self.sorted.binary_search(&pts).is_ok() {
            return Err(self.refuse(format!(
                "presentation time {pts} is already the time of another sample of this fragment"
            )));
        }
        let later = self.sorted.len() - self.sorted.partition_point(|&t| t <= pts);
        if later > MAX_REORDER_DEPTH {
            return Err(self.refuse(format!(
                "presentation time {pts} comes before {later} samples given before it in this \
                 fragment; no decoder reorders more than {MAX_REORDER_DEPTH}, so the time is \
                 too far from its neighbours'"
            )));
        }
        Ok(())
    }

    /// Refuses an audio or video sample that starts within half a sample's duration of
    /// another sample of the fragment (when both durations are given): two frames cannot
    /// be shown in one frame's time, and accepting it would shorten its neighbour to
    /// nearly nothing. Half a duration leaves room for rounded times.
    fn check_slot(&self, pts: u64, duration: Option<u64>) -> Result<()> {
        let Some(duration) = duration.filter(|_| self.slotted) else {
            return Ok(());
        };
        for other in &self.pending {
            let Some(other_duration) = other.duration else {
                continue;
            };
            let gap = pts.abs_diff(other.dts);
            if gap < duration.min(other_duration) / 2 {
                return Err(self.refuse(format!(
                    "presentation time {pts} is {gap} ticks from the sample at {} (durations                      {duration} and {other_duration}): two samples cannot share one                      sample's time",
                    other.dts
                )));
            }
        }
        Ok(())
    }

    /// Decode times for samples with presentation times `times` (in decode order) and
    /// `sorted` (the same, sorted), with the delay in force or, in the first fragment,
    /// the least that fits them.
    fn timing(&self, times: &[u64], sorted: &[u64]) -> std::result::Result<Timing, String> {
        let needed = times
            .iter()
            .zip(sorted)
            .map(|(pts, dts)| dts.saturating_sub(*pts))
            .max()
            .unwrap_or(0);
        let delay = self.delay.unwrap_or(needed);
        let mut dts = vec![0; times.len()];
        let mut earliest_later = u64::MAX;
        for ((&pts, &slot), out) in times.iter().zip(sorted).zip(dts.iter_mut()).rev() {
            let presented = pts.checked_add(delay).ok_or_else(|| {
                format!("presentation time {pts} plus the reorder delay {delay} overflows")
            })?;
            earliest_later = earliest_later.min(presented);
            *out = slot.min(earliest_later);
        }
        Ok(Timing { delay, dts })
    }

    /// Checks, in presentation ticks and as the muxer computes them, what the fragment's
    /// samples would get: decode and presentation times that fit, composition offsets and
    /// durations of 32 bits, and an end (if set) not before the last decode time.
    fn check_timing(
        &self,
        times: &[u64],
        sorted: &[u64],
        durations: &[Option<u64>],
        end: Option<u64>,
    ) -> std::result::Result<(), String> {
        let timing = self.timing(times, sorted)?;
        let scale = |t: u64, what: &str| {
            rescale(t, self.from, self.to)
                .ok_or_else(|| format!("{what} {t} does not fit the presentation timescale"))
        };
        let mut previous: Option<u64> = None;
        for ((&pts, &dts), duration) in times.iter().zip(&timing.dts).zip(durations) {
            let decode = scale(dts, "decode time")?;
            // timing() checked pts + delay, and made every decode time at most that.
            let presented = scale(pts.saturating_add(timing.delay), "presentation time")?;
            let offset = presented.saturating_sub(decode);
            if u32::try_from(offset).is_err() {
                return Err(format!(
                    "presentation time {pts} would get a composition offset of {offset} ticks, over 32 bits"
                ));
            }
            if let Some(d) = duration {
                let until = dts.checked_add(*d).ok_or_else(|| {
                    format!("presentation time {pts} plus duration {d} overflows")
                })?;
                scale(until, "end time")?;
            }
            // Decode times never decrease, so the difference is the duration.
            let gap = previous.map_or(0, |p| decode.saturating_sub(p));
            if u32::try_from(gap).is_err() {
                return Err(format!(
                    "presentation time {pts} would give a sample a duration of {gap} ticks, over 32 bits"
                ));
            }
            previous = Some(decode);
        }
        let (Some(&last_dts), Some(last)) = (timing.dts.last(), previous) else {
            return Ok(());
        };
        let end_of = |until: u64, what: &str| -> std::result::Result<(), String> {
            let until = scale(until, what)?;
            match until.checked_sub(last) {
                Some(d) if u32::try_from(d).is_ok() => Ok(()),
                Some(d) => Err(format!(
                    "the {what} {until} would give the last sample a duration of {d} ticks, over 32 bits"
                )),
                None => Err(format!(
                    "the last decode time {last_dts} would be after the {what}"
                )),
            }
        };
        match (end, durations.last().copied().flatten()) {
            (Some(end), _) => end_of(end, "fragment end set by the caller"),
            (None, Some(d)) => end_of(last_dts.saturating_add(d), "end of the last sample"),
            (None, None) => Ok(()),
        }
    }

    /// Runs the muxer's own payload checks on the sample, committing the codec state they
    /// change (parameter sets, the GOP rules) only when the sample is accepted.
    fn check_payload(&mut self, sample: &Sample) -> Result<()> {
        let mut placeholder = sample.clone();
        // Placeholder times that always fit: only the payload is under test here.
        placeholder.dts = self.pending.len() as u64;
        placeholder.cts_offset = 0;
        placeholder.duration = None;
        let codec_before = self.payload.config.clone();
        match self
            .payload
            .push(placeholder, Fragmentation::Manual, u64::MAX)
        {
            Ok(_) => Ok(()),
            Err(e) => {
                self.payload.config = codec_before;
                Err(self.renumber(e))
            }
        }
    }

    /// The payload check's error with the index this sample has in the stream (the check
    /// counts from the start of the fragment).
    fn renumber(&self, e: Error) -> Error {
        let sample = self.accepted;
        match e {
            Error::EmptySample { stream, .. } => Error::EmptySample { stream, sample },
            Error::NonSyncFragmentStart { stream, .. } => {
                Error::NonSyncFragmentStart { stream, sample }
            }
            Error::SampleTooLarge {
                stream,
                size,
                limit,
                ..
            } => Error::SampleTooLarge {
                stream,
                sample,
                size,
                limit,
            },
            Error::InvalidSample { stream, reason, .. } => Error::InvalidSample {
                stream,
                sample,
                reason,
            },
            other => other,
        }
    }

    /// Sets where the open fragment ends (the caller's ticks): its last sample then lasts
    /// until `end`. Refused, changing nothing, when the end is before the fragment's last
    /// decode time or would give that sample a duration over 32 bits. Samples that come
    /// after it must fit before it.
    pub fn set_end(&mut self, end: u64) -> Result<()> {
        let times: Vec<u64> = self.pending.iter().map(|s| s.dts).collect();
        let durations: Vec<Option<u64>> = self.pending.iter().map(|s| s.duration).collect();
        if rescale(end, self.from, self.to).is_none() {
            return Err(Error::InvalidArgument(format!(
                "stream {}: fragment end {end} does not fit the presentation timescale",
                self.id.0
            )));
        }
        self.check_timing(&times, &self.sorted, &durations, Some(end))
            .map_err(|reason| {
                Error::InvalidArgument(format!(
                    "stream {}: fragment end {end}: {reason}",
                    self.id.0
                ))
            })?;
        self.end = Some(end);
        Ok(())
    }

    /// Releases the waiting samples (one whole fragment) with decode times and
    /// composition offsets, and the end set for it. Every sample was checked when it was
    /// pushed, so this fails only on an internal inconsistency.
    pub fn drain(&mut self) -> Result<Release> {
        let end = self.end.take();
        if self.pending.is_empty() {
            return Ok(Release {
                samples: Vec::new(),
                end,
            });
        }
        let times: Vec<u64> = self.pending.iter().map(|s| s.dts).collect();
        let timing = self
            .timing(&times, &self.sorted)
            .map_err(|reason| Error::InvalidState(format!("stream {}: {reason}", self.id.0)))?;
        self.delay = Some(timing.delay);
        let mut samples = mem::take(&mut self.pending);
        for (sample, dts) in samples.iter_mut().zip(&timing.dts) {
            // Exact: timing() checked pts + delay and made each decode time at most that.
            sample.cts_offset = sample.dts.saturating_add(timing.delay).saturating_sub(*dts);
            sample.dts = *dts;
        }
        self.last_released = timing.dts.last().copied();
        self.sorted.clear();
        let config = self.payload.config.clone();
        self.payload = StreamState::new(self.id, config, self.to, None);
        Ok(Release { samples, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::SMOOTH_TIMESCALE;

    fn times(samples: &[Sample]) -> Vec<(u64, u64)> {
        samples.iter().map(|s| (s.dts, s.cts_offset)).collect()
    }

    /// A collector for a video (reordering) or audio stream, times in 100 ns.
    fn collector(video: bool) -> ReorderBuffer {
        let config = if video {
            // In-band parameter sets: the payload check needs no real SPS.
            StreamConfig::h264_in_band(crate::codec::avc::NalFormat::AnnexB).unwrap()
        } else {
            StreamConfig::aac(&[0x11, 0x90]).unwrap()
        };
        ReorderBuffer::new(StreamId(0), &config, SMOOTH_TIMESCALE)
    }

    /// A sample whose payload passes the codec's checks; `key` marks a keyframe.
    fn sample(video: bool, pts: u64, key: bool) -> Sample {
        // H.264 Annex B: an IDR slice NAL unit for a keyframe, a non-IDR one otherwise.
        let data = match (video, key) {
            (false, _) => vec![0x21u8; 8],
            (true, true) => vec![0, 0, 0, 1, 0x65, 0x88, 0x84],
            (true, false) => vec![0, 0, 0, 1, 0x41, 0x9a, 0x02],
        };
        Sample::new(data, pts).sync(key)
    }

    fn push_all(p: &mut ReorderBuffer, pts: &[u64]) {
        for (i, t) in pts.iter().enumerate() {
            p.push(sample(true, *t, i == 0)).unwrap();
        }
    }

    #[test]
    fn b_frames_get_sorted_decode_times_and_a_constant_delay() {
        // Decode order I0 P4 B2 b1 b3 (B-pyramid), frame duration 10.
        let mut p = collector(true);
        push_all(&mut p, &[0, 40, 20, 10, 30]);
        let out = p.drain().unwrap().samples;
        assert_eq!(p.delay(), Some(20));
        // dts = sorted pts; pts + delay = dts + cts_offset.
        assert_eq!(
            times(&out),
            [(0, 20), (10, 50), (20, 20), (30, 0), (40, 10)]
        );
        assert!(p.is_empty());
        // The next GOP keeps the delay and starts where the previous one's keyframe said.
        push_all(&mut p, &[50, 70, 60]);
        assert_eq!(
            times(&p.drain().unwrap().samples),
            [(50, 20), (60, 30), (70, 10)]
        );
    }

    #[test]
    fn in_order_samples_are_unchanged() {
        let mut p = collector(false);
        for pts in [0, 10, 20] {
            p.push(sample(false, pts, true)).unwrap();
        }
        assert_eq!(
            times(&p.drain().unwrap().samples),
            [(0, 0), (10, 0), (20, 0)]
        );
        assert_eq!(p.delay(), Some(0));
    }

    #[test]
    fn deeper_reordering_than_the_first_fragment_keeps_presentation_times() {
        let mut p = collector(true);
        push_all(&mut p, &[0, 10]);
        p.drain().unwrap();
        assert_eq!(p.delay(), Some(0));
        // I20 P40 B30 needs a delay of 10 the stream does not have: B30's decode time is
        // moved back to P40's (both 30 + 0 at the latest), presentation stays exact.
        push_all(&mut p, &[20, 40, 30]);
        let out = p.drain().unwrap().samples;
        assert_eq!(times(&out), [(20, 0), (30, 10), (30, 0)]);
        for (s, pts) in out.iter().zip([20, 40, 30]) {
            assert_eq!(s.dts + s.cts_offset, pts);
        }
    }

    #[test]
    fn a_sample_that_cannot_be_placed_is_refused_and_changes_nothing() {
        let mut p = collector(true);
        let good: Vec<u64> = (0..50).map(|i| i * 400_000).collect();
        push_all(&mut p, &good[..25]);
        for bad in [
            100,                       // early: presented before 24 samples given before it
            u64::MAX,                  // overflows
            good[24] + 50_000_000_000, // a 5000 s gap: duration over 32 bits
            good[10],                  // the time of another sample
        ] {
            let err = p.push(sample(true, bad, false)).unwrap_err();
            assert!(err.to_string().contains("sample 25"), "{err}");
        }
        for &t in &good[25..] {
            p.push(sample(true, t, false)).unwrap();
        }
        let out = p.drain().unwrap().samples;
        assert_eq!(out.len(), 50);
        assert!(
            out.iter()
                .zip(&good)
                .all(|(s, &t)| (s.dts, s.cts_offset) == (t, 0))
        );
        // Next fragment: before its keyframe, or before the previous fragment, is refused.
        p.push(sample(true, 20_000_000, true)).unwrap();
        for bad in [100, 19_999_999] {
            let err = p.push(sample(true, bad, false)).unwrap_err();
            assert!(err.to_string().contains("before"), "{err}");
        }
        // Not a keyframe first, and an empty payload, are the muxer's own refusals.
        let mut q = collector(true);
        assert!(matches!(
            q.push(sample(true, 0, false)),
            Err(Error::NonSyncFragmentStart { sample: 0, .. })
        ));
        assert!(matches!(
            q.push(Sample::new(Vec::new(), 0)),
            Err(Error::EmptySample { sample: 0, .. })
        ));
        q.push(sample(true, 0, true)).unwrap();
    }

    #[test]
    fn audio_must_come_in_order_and_the_end_must_fit() {
        let mut p = collector(false);
        p.push(sample(false, 1_000, true).duration(213_333))
            .unwrap();
        assert!(p.push(sample(false, 999, true)).is_err());
        let err = p
            .push(sample(false, 1_100, true).duration(213_333))
            .unwrap_err();
        assert!(err.to_string().contains("share"), "{err}");
        assert!(p.set_end(999).is_err(), "before the last sample");
        assert!(
            p.set_end(1_000 + (1 << 33)).is_err(),
            "duration over 32 bits"
        );
        p.set_end(1_000 + 213_333).unwrap();
        assert!(
            p.push(sample(false, 2_000_000, true)).is_err(),
            "after the end set for the fragment"
        );
        let release = p.drain().unwrap();
        assert_eq!((release.samples.len(), release.end), (1, Some(214_333)));
        // The next fragment may not start before the previous one's last sample.
        assert!(p.push(sample(false, 999, true)).is_err());
        p.push(sample(false, 1_000, true)).unwrap();
    }

    #[test]
    fn overflowing_presentation_times_are_refused() {
        let mut p = collector(true);
        push_all(&mut p, &[0, 20, 10]);
        p.drain().unwrap();
        assert!(p.push(sample(true, u64::MAX, true)).is_err());
        assert!(
            p.push(sample(true, i64::MAX as u64 - 5, true)).is_err(),
            "plus delay"
        );
        assert!(p.is_empty());
    }
}
