//! Feeds arbitrary bytes as a raw H.264 Annex B stream to `AccessUnitReader` (read from a
//! `Cursor` to the end or the first error) and every access unit it returns into
//! `PtsFromPoc` (push, pop after each push, finish, pop), the way `ssfmux` times a raw
//! stream. Errors are fine; panics and hangs are not.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use ssf::input::h264::{AccessUnitReader, PtsFromPoc};

/// Frame duration when the SPS gives no VUI timing (25 fps at 90 kHz).
const DEFAULT_FRAME_DURATION: u64 = 3600;

fuzz_target!(|data: &[u8]| {
    let mut reader = AccessUnitReader::new(Cursor::new(data));
    let mut pts: Option<PtsFromPoc<bool>> = None;
    loop {
        let au = match reader.next_access_unit() {
            Ok(Some(au)) => au,
            Ok(None) | Err(_) => break,
        };
        // Timing and reorder depth come from the SPS active for the first picture.
        let timer = pts.get_or_insert_with(|| {
            let sps = reader.active_sps();
            let duration = sps
                .and_then(|s| s.frame_duration())
                .map_or(DEFAULT_FRAME_DURATION, |(ticks, _)| ticks);
            let depth = sps.and_then(|s| s.max_num_reorder_frames);
            PtsFromPoc::new(duration, depth)
        });
        if timer.push(au.poc, au.starts_period, au.is_idr).is_err() {
            return;
        }
        loop {
            match timer.pop() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = reader.skipped_slices();
    if let Some(timer) = pts.as_mut() {
        if timer.finish().is_err() {
            return;
        }
        while let Ok(Some(_)) = timer.pop() {}
    }
});
