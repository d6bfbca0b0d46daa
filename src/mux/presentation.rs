//! Samples timed by presentation time and handed over in decode order, as DirectShow-style
//! encoders and the original SDK's `SSF_SAMPLE` give them: decode times are derived one
//! fragment at a time, once the caller says the fragment is complete.

use std::mem;

use super::sample::Sample;
use crate::error::{Error, Result};

/// Collects the samples of one fragment, each with its presentation time in the decode
/// time field, and releases them with decode times and composition offsets.
///
/// Decode time `i` of a fragment is the `i`-th smallest presentation time, so decode
/// times only grow and the fragment starts at its earliest presentation time (the
/// keyframe of a closed GOP), which keeps fragment boundaries where the caller put them.
/// Presentation is delayed by a constant `delay` (learnt from the first fragment: the
/// least that keeps every composition offset non-negative, 0 without B-frames), so
/// `cts_offset = pts + delay - dts`.
#[derive(Debug, Default)]
pub struct PresentationTimed {
    pending: Vec<Sample>,
    delay: Option<u64>,
    /// Samples released so far, for error messages.
    released: u64,
}

impl PresentationTimed {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next sample in decode order; its `dts` field holds its presentation time.
    pub fn push(&mut self, sample: Sample) {
        self.pending.push(sample);
    }

    /// Whether no sample is waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The presentation delay in force, once the first fragment was released.
    pub fn delay(&self) -> Option<u64> {
        self.delay
    }

    /// Releases the waiting samples (one whole fragment) with decode times and
    /// composition offsets. `stream` only names the stream in errors.
    pub fn drain(&mut self, stream: usize) -> Result<Vec<Sample>> {
        let mut decode: Vec<u64> = self.pending.iter().map(|s| s.dts).collect();
        decode.sort_unstable();
        let needed = self
            .pending
            .iter()
            .zip(&decode)
            .map(|(s, dts)| dts.saturating_sub(s.dts))
            .max()
            .unwrap_or(0);
        let delay = *self.delay.get_or_insert(needed);
        if needed > delay {
            return Err(Error::InvalidSample {
                stream,
                sample: self.released,
                reason: format!(
                    "frames are reordered by {needed} ticks, more than the {delay} of the first fragment"
                ),
            });
        }
        let mut samples = mem::take(&mut self.pending);
        for (i, (sample, dts)) in samples.iter_mut().zip(decode).enumerate() {
            let pts = sample.dts;
            let cts_offset = pts.checked_add(delay).map(|p| p - dts).ok_or_else(|| {
                Error::TimestampOverflow {
                    stream,
                    sample: self.released + i as u64,
                    detail: "presentation time plus reorder delay".into(),
                }
            })?;
            sample.dts = dts;
            sample.cts_offset = cts_offset;
        }
        self.released += samples.len() as u64;
        Ok(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(samples: &[Sample]) -> Vec<(u64, u64)> {
        samples.iter().map(|s| (s.dts, s.cts_offset)).collect()
    }

    #[test]
    fn b_frames_get_sorted_decode_times_and_a_constant_delay() {
        // Decode order I0 P4 B2 b1 b3 (B-pyramid), frame duration 10.
        let mut p = PresentationTimed::new();
        for pts in [0, 40, 20, 10, 30] {
            p.push(Sample::new(vec![1], pts));
        }
        let out = p.drain(0).unwrap();
        assert_eq!(p.delay(), Some(20));
        // dts = sorted pts; pts + delay = dts + cts_offset.
        assert_eq!(
            times(&out),
            [(0, 20), (10, 50), (20, 20), (30, 0), (40, 10)]
        );
        assert!(p.is_empty());
        // The next GOP keeps the delay and starts where the previous one's keyframe said.
        for pts in [50, 70, 60] {
            p.push(Sample::new(vec![1], pts));
        }
        assert_eq!(times(&p.drain(0).unwrap()), [(50, 20), (60, 30), (70, 10)]);
    }

    #[test]
    fn in_order_samples_are_unchanged() {
        let mut p = PresentationTimed::new();
        for pts in [0, 10, 20] {
            p.push(Sample::new(vec![1], pts));
        }
        assert_eq!(times(&p.drain(3).unwrap()), [(0, 0), (10, 0), (20, 0)]);
        assert_eq!(p.delay(), Some(0));
    }

    #[test]
    fn deeper_reordering_than_the_first_fragment_is_an_error() {
        let mut p = PresentationTimed::new();
        for pts in [0, 10] {
            p.push(Sample::new(vec![1], pts));
        }
        p.drain(0).unwrap();
        for pts in [20, 40, 30] {
            p.push(Sample::new(vec![1], pts));
        }
        assert!(matches!(p.drain(0), Err(Error::InvalidSample { .. })));
    }

    #[test]
    fn overflowing_presentation_times_are_errors() {
        let mut p = PresentationTimed::new();
        for pts in [0, 20, 10] {
            p.push(Sample::new(vec![1], pts));
        }
        p.drain(0).unwrap();
        for pts in [u64::MAX, u64::MAX - 5] {
            p.push(Sample::new(vec![1], pts));
        }
        assert!(p.drain(0).is_err());
    }
}
