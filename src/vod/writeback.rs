//! Starting the disk writes of a stream file early. A presentation is synced before it
//! is published; left alone, all of its bytes wait in the page cache until that sync,
//! and the process then waits for the whole write. Asking the kernel to start writing
//! every few MiB overlaps the disk with the packaging, so the final sync finds little
//! left to do. Durability still rests on that sync alone: this is only a hint.

use std::fs::File;

/// Bytes written between two hints.
const STEP: u64 = 8 << 20;

/// How far a file was written, and from where its writeback was not yet started.
#[derive(Debug, Default)]
pub(crate) struct Writeback {
    written: u64,
    started: u64,
}

impl Writeback {
    /// Records `bytes` more written at the end of `file`; every [`STEP`] bytes, starts
    /// writing them to disk without waiting.
    pub(crate) fn wrote(&mut self, file: &File, bytes: u64) {
        self.written = self.written.saturating_add(bytes);
        let pending = self.written - self.started;
        if pending >= STEP {
            start_writeback(file, self.started, pending);
            self.started = self.written;
        }
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (
        libc::off64_t::try_from(offset),
        libc::off64_t::try_from(len),
    ) else {
        return;
    };
    // SAFETY: the descriptor is open for the call, which touches no memory of ours. A
    // refusal (a filesystem without writeback) changes nothing: the final sync writes.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn writeback_starts_every_step_from_where_the_last_one_ended() {
        let path = std::env::temp_dir().join(format!("ssf-writeback-{}", std::process::id()));
        let file = File::create(&path).unwrap();
        let mut wb = Writeback::default();
        wb.wrote(&file, 3 << 20);
        wb.wrote(&file, 3 << 20);
        assert_eq!(
            (wb.written, wb.started),
            (6 << 20, 0),
            "under a step: nothing yet"
        );
        wb.wrote(&file, 3 << 20);
        assert_eq!((wb.written, wb.started), (9 << 20, 9 << 20));
        wb.wrote(&file, 1 << 20);
        assert_eq!(wb.started, 9 << 20);
        std::fs::remove_file(&path).unwrap();
    }
}
