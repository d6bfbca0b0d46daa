//! Samples in, fragments out: SSFMuxProcessInput collects a fragment's samples (checked
//! as they come, timed by presentation time), SSFMuxAdjustDuration sets where it ends,
//! SSFMuxProcessOutput derives their decode times and closes it.

use bytes::Bytes;

use super::errors::S_OK;
use super::muxer::{CompatMux, buffer_out, on_mux};
use super::types::*;
use crate::codec::MediaKind;
use crate::ffi::handle::{Output, bytes};
use crate::ffi::status::Failure;
use crate::ffi::streams::{ranges, stream_id};
use crate::mux::{MAX_SAMPLE_SIZE, Sample};

/// Adds a sample to a stream. Samples come in decode order; `qwSampleStartTime` (flag
/// SSF_SAMPLE_FLAG_START_TIME, required) is the presentation time, as DirectShow gives
/// it. Samples are held until SSFMuxProcessOutput, which derives their decode times
/// (see the Rust `ReorderBuffer`): video with B-frames is then presented a constant
/// one or two frames late (the reorder delay), as in any MP4 without an edit list.
///
/// A sample is checked here against everything that could make its fragment fail later,
/// and refused with E_INVALIDARG and a message naming the stream and sample when its
/// time cannot be placed: before the start of the fragment being built (before its
/// keyframe, or not after the previous fragment), at another sample's time or within half
/// a frame of it, presented before more than 16 samples given before it (no decoder
/// reorders more), before the previous sample (audio, text), after the end set by
/// SSFMuxAdjustDuration, overflowing, or giving a sample a duration or composition offset
/// over 32 bits; or when its payload is refused (empty, too large, bad NAL framing, not
/// a keyframe first). A refused sample changes nothing: the samples before and after it
/// are muxed exactly as if it had never been sent.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pInputBuffer` NULL or a valid SSF_SAMPLE whose pointers
/// follow its docs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxProcessInput(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    pInputBuffer: *mut SSF_SAMPLE,
) -> HRESULT {
    let body = |m: &mut CompatMux| {
        // SAFETY: per the contract.
        let s = unsafe { pInputBuffer.as_ref() }.ok_or_else(|| Failure::null("pInputBuffer"))?;
        let id = stream_id(dwStreamIndex);
        let (mux, timed) = m.stream(id)?;
        let kind = mux.stream_config(id)?.codec().kind();
        if s.flags & SSF_SAMPLE_FLAG_START_TIME == 0 {
            return Err(Failure::invalid(
                "qwSampleStartTime is required (set SSF_SAMPLE_FLAG_START_TIME)",
            ));
        }
        let len = s.cbSampleData as usize;
        if len > MAX_SAMPLE_SIZE {
            return Err(Failure::invalid(format!(
                "cbSampleData {len} is over the {MAX_SAMPLE_SIZE}-byte sample limit"
            )));
        }
        // SAFETY: per the contract; the size is bounded above.
        let data = unsafe { bytes(s.pSampleData.cast::<u8>(), len, "pSampleData") }?;
        // Audio and text samples are all sync samples; video ones are when marked I.
        let sync = kind != MediaKind::Video || s.FrameType & FRAMETYPE_I != 0;
        let mut sample = Sample::new(Bytes::copy_from_slice(data), s.qwSampleStartTime).sync(sync);
        if s.flags & SSF_SAMPLE_FLAG_DURATION != 0 {
            sample = sample.duration(s.qwSampleDuration);
        }
        if s.cProtectedRanges != 0 {
            // SAFETY: per the contract.
            let ranges = unsafe {
                ranges(
                    s.prgProtectedRanges.cast_const(),
                    s.cProtectedRanges as usize,
                    "prgProtectedRanges",
                    |r| (r.dwOffset, r.dwLength),
                )
            }?;
            sample = sample.protected_ranges(ranges);
        }
        timed.push(sample)?;
        Ok(S_OK)
    };
    // SAFETY: per the contract.
    unsafe { on_mux(hSSFMux, body) }
}

/// Closes the stream's current fragment and returns it (moof + mdat) with its time and
/// duration. It ends at the time given by SSFMuxAdjustDuration, if one was given since
/// the last fragment. Returns S_FALSE with an empty buffer when no sample is pending.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live; `pOutputBuffer` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxProcessOutput(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    pOutputBuffer: *mut SSF_BUFFER,
) -> HRESULT {
    let body = |m: &mut CompatMux| {
        let id = stream_id(dwStreamIndex);
        let (mux, timed) = m.stream(id)?;
        let release = timed.drain()?;
        // Every sample was checked against the muxer when it came in, so none of these
        // fails because of one sample (see ReorderBuffer).
        for sample in release.samples {
            mux.push(id, sample)?;
        }
        let fragment = match release.end {
            Some(end) => mux.flush_at(id, end)?,
            None => mux.flush(id)?,
        };
        fragment.map(Output::try_from).transpose()
    };
    // SAFETY: per the contract.
    unsafe { buffer_out(hSSFMux, pOutputBuffer, "pOutputBuffer", body) }
}

/// Sets the end time (stream timescale) of the stream's current fragment, which the next
/// SSFMuxProcessOutput closes: the last sample then lasts until `qwTime`. An end before
/// the fragment's last decode time, or that would make the last sample last more than 32
/// bits of ticks, is refused with E_INVALIDARG and changes nothing.
///
/// Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
/// given in use by another thread returns E_UNEXPECTED and does nothing.
///
/// # Safety
/// `hSSFMux` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SSFMuxAdjustDuration(
    hSSFMux: SSFMUXHANDLE,
    dwStreamIndex: DWORD,
    qwTime: UINT64,
) -> HRESULT {
    // SAFETY: per the contract.
    unsafe {
        on_mux(hSSFMux, |m| {
            let (_, timed) = m.stream(stream_id(dwStreamIndex))?;
            timed.set_end(qwTime)?;
            Ok(S_OK)
        })
    }
}
