//! Presentation times of a raw stream from its picture order counts.

use std::collections::VecDeque;

use crate::error::{Error, Result};

/// Frames of the first period looked at to learn the reorder depth when the SPS does
/// not give max_num_reorder_frames. Reordering repeats with each mini-GOP, which is far
/// shorter than this.
const PROBE_FRAMES: usize = 128;

/// Frames that may wait for their presentation time before the stream is refused: a
/// conforming stream never makes one frame wait for more than 16 others.
const MAX_HELD: usize = 1024;

/// One frame with its timing, released in decoding order by [`PtsFromPoc`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedFrame<T> {
    /// Decoding time: decode index × frame duration.
    pub dts: u64,
    /// Presentation time minus decoding time.
    pub cts_offset: u32,
    /// The picture order count given with the frame.
    pub poc: i32,
    /// What the caller attached to the frame.
    pub payload: T,
}

/// A frame waiting for its presentation index.
#[derive(Debug)]
struct Held<T> {
    poc: i32,
    presentation: Option<u64>,
    payload: T,
}

/// A frame pushed while the reorder depth is still being learnt.
#[derive(Debug)]
struct Probed<T> {
    poc: i32,
    starts_period: bool,
    payload: T,
}

/// Gives frames of constant duration, pushed in decoding order with their POC, a
/// decoding time and a composition offset.
///
/// Frames are presented in POC order within each period (from an IDR picture or a
/// picture with memory_management_control_operation 5 to the next), one frame duration
/// apart; all presentation times are delayed by the reorder depth so that none is
/// before its decoding time. The order is found the way a decoder's output process
/// does it: a frame is presented once more than `depth` frames wait.
///
/// The depth is the SPS's max_num_reorder_frames when given; otherwise it is learnt
/// from the first period (or its first 128 frames), and a later period that needs more
/// is an error, since the delay of a stream cannot change.
#[derive(Debug)]
pub struct PtsFromPoc<T> {
    frame_duration: u64,
    depth: Option<u32>,
    /// Frames kept while the depth is learnt.
    probe: Vec<Probed<T>>,
    /// Frames not yet released, in decoding order; the first has index `held_base`.
    held: VecDeque<Held<T>>,
    held_base: u64,
    /// (POC, decode index) of frames not yet given a presentation index.
    waiting: Vec<(i32, u64)>,
    next_decode: u64,
    next_presentation: u64,
    /// POC of the last frame given a presentation index in the current period.
    last_presented_poc: Option<i32>,
}

impl<T> PtsFromPoc<T> {
    /// Times frames of `frame_duration` ticks; `reorder_depth` is max_num_reorder_frames
    /// from the SPS when known.
    pub fn new(frame_duration: u64, reorder_depth: Option<u32>) -> Self {
        PtsFromPoc {
            frame_duration,
            depth: reorder_depth,
            probe: Vec::new(),
            held: VecDeque::new(),
            held_base: 0,
            waiting: Vec::new(),
            next_decode: 0,
            next_presentation: 0,
            last_presented_poc: None,
        }
    }

    /// The reorder depth in frames, once known.
    pub fn reorder_depth(&self) -> Option<u32> {
        self.depth
    }

    /// Adds the next frame in decoding order; `starts_period` is true for an IDR picture
    /// or one with memory_management_control_operation 5.
    pub fn push(&mut self, poc: i32, starts_period: bool, payload: T) -> Result<()> {
        let Some(depth) = self.depth else {
            if starts_period && !self.probe.is_empty() {
                self.learn_depth()?;
                return self.push(poc, starts_period, payload);
            }
            self.probe.push(Probed {
                poc,
                starts_period,
                payload,
            });
            if self.probe.len() >= PROBE_FRAMES {
                self.learn_depth()?;
            }
            return Ok(());
        };
        if starts_period {
            self.present_all()?;
            self.last_presented_poc = None;
        }
        let blocked = self.held.front().is_some_and(|h| h.presentation.is_none());
        if blocked && self.held.len() >= MAX_HELD {
            return Err(Error::InvalidArgument(format!(
                "H.264 stream: a frame waits for more than {MAX_HELD} later frames \
                 before its presentation (picture order counts out of range?)"
            )));
        }
        self.held.push_back(Held {
            poc,
            presentation: None,
            payload,
        });
        self.waiting.push((poc, self.next_decode));
        self.next_decode += 1;
        while self.waiting.len() > depth as usize {
            self.present_first()?;
        }
        Ok(())
    }

    /// Ends the stream: every frame pushed becomes ready.
    pub fn finish(&mut self) -> Result<()> {
        if self.depth.is_none() {
            self.learn_depth()?;
        }
        self.present_all()
    }

    /// The next frame in decoding order whose timing is known; call it until `None`
    /// after each [`push`](Self::push) and after [`finish`](Self::finish).
    pub fn pop(&mut self) -> Result<Option<TimedFrame<T>>> {
        let (
            Some(depth),
            Some(Held {
                presentation: Some(presentation),
                ..
            }),
        ) = (self.depth, self.held.front())
        else {
            return Ok(None);
        };
        let decode = self.held_base;
        let overflow = |what: &str| {
            Error::InvalidArgument(format!("H.264 stream: {what} of frame {decode} overflows"))
        };
        let d = self.frame_duration;
        let dts = decode
            .checked_mul(d)
            .ok_or_else(|| overflow("decoding time"))?;
        let cts = presentation
            .checked_add(u64::from(depth))
            .and_then(|p| p.checked_sub(decode))
            .and_then(|frames| frames.checked_mul(d))
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| overflow("composition offset"))?;
        let Some(held) = self.held.pop_front() else {
            return Ok(None);
        };
        self.held_base += 1;
        Ok(Some(TimedFrame {
            dts,
            cts_offset: cts,
            poc: held.poc,
            payload: held.payload,
        }))
    }

    /// Sets the depth from the probed frames and runs them through the output process.
    fn learn_depth(&mut self) -> Result<()> {
        let mut order: Vec<(i32, usize)> = self
            .probe
            .iter()
            .enumerate()
            .map(|(i, f)| (f.poc, i))
            .collect();
        order.sort_unstable();
        let depth = order
            .iter()
            .enumerate()
            .map(|(rank, &(_, decode))| decode.saturating_sub(rank))
            .max()
            .unwrap_or(0);
        self.depth = Some(u32::try_from(depth).unwrap_or(u32::MAX));
        for f in std::mem::take(&mut self.probe) {
            self.push(f.poc, f.starts_period, f.payload)?;
        }
        Ok(())
    }

    fn present_all(&mut self) -> Result<()> {
        while !self.waiting.is_empty() {
            self.present_first()?;
        }
        Ok(())
    }

    /// Gives the waiting frame with the lowest POC the next presentation index.
    fn present_first(&mut self) -> Result<()> {
        let Some((at, &(poc, decode))) =
            self.waiting.iter().enumerate().min_by_key(|&(_, &key)| key)
        else {
            return Ok(());
        };
        self.waiting.swap_remove(at);
        if let Some(last) = self.last_presented_poc
            && poc < last
        {
            return Err(Error::InvalidArgument(format!(
                "H.264 stream: frame {decode} (POC {poc}) comes after POC {last} was \
                 presented; the stream reorders more than the {} frames {}",
                self.depth.unwrap_or(0),
                "of max_num_reorder_frames or of its first period"
            )));
        }
        self.last_presented_poc = Some(poc);
        let slot = decode
            .checked_sub(self.held_base)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.held.get_mut(i));
        if let Some(held) = slot {
            held.presentation = Some(self.next_presentation);
        }
        self.next_presentation += 1;
        Ok(())
    }
}
