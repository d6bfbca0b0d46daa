//! MP4 input: the sample tables come from `re_mp4`; the sample bytes are read on demand
//! in large windows so that memory stays bounded whatever the file size.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use re_mp4::Mp4;

/// Bytes read from the file at a time. Large enough that a read costs far more than the
/// system call, small enough that the few windows alive at once stay a few MiB.
const WINDOW: usize = 1 << 20;

/// Windows kept for lookups. Tracks interleave in chunks that rarely arrive exactly in
/// decode order, so the last few windows usually still hold the next sample of every
/// track.
const MAX_WINDOWS: usize = 3;

/// Evicted windows kept for reuse once the muxer has dropped every slice of them.
const MAX_POOL: usize = 4;

/// Parses an MP4's boxes (not its media data) with `re_mp4`.
///
/// `re_mp4` indexes into its tables without bounds checks and panics on some malformed
/// files; the panic is caught (silently) and reported as an error, since the tool must
/// never crash on bad input.
pub fn read_mp4(path: &Path) -> Result<Mp4, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let reader = BufReader::with_capacity(64 << 10, file);
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let parsed = panic::catch_unwind(AssertUnwindSafe(|| Mp4::read(reader, size)));
    panic::set_hook(previous_hook);
    match parsed {
        Ok(Ok(mp4)) => Ok(mp4),
        Ok(Err(e)) => Err(format!("{}: cannot read MP4: {e}", path.display())),
        Err(_) => Err(format!(
            "{}: cannot read MP4: malformed sample tables",
            path.display()
        )),
    }
}

/// A recently read stretch of the file.
struct Window {
    /// File offset of the first byte.
    start: u64,
    /// The bytes.
    data: Bytes,
}

/// Hands out sample payloads as [`Bytes`] slices of shared read windows: no per-sample
/// allocation or copy, and window buffers are recycled once the muxer has written (and
/// dropped) every sample that points into them.
pub struct SampleReader {
    /// The file, for messages.
    path: PathBuf,
    /// Read with explicit seeks: the windows are the buffering.
    file: File,
    /// File size.
    len: u64,
    /// Most recently used first.
    windows: Vec<Window>,
    /// Evicted windows, reusable once no sample points into them.
    pool: Vec<Bytes>,
}

impl SampleReader {
    /// Opens `path` for sample reads.
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        Ok(Self {
            path: path.to_path_buf(),
            file,
            len,
            windows: Vec::with_capacity(MAX_WINDOWS),
            pool: Vec::new(),
        })
    }

    /// The `size` bytes at `offset`.
    pub fn read(&mut self, offset: u64, size: u64) -> Result<Bytes, String> {
        let end = offset
            .checked_add(size)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                format!(
                    "{}: a sample at byte {offset} ({size} bytes) lies past the end of the file",
                    self.path.display()
                )
            })?;
        if size > ssf::mux::MAX_SAMPLE_SIZE as u64 {
            return Err(format!(
                "{}: a sample at byte {offset} is {size} bytes, over the {} byte limit",
                self.path.display(),
                ssf::mux::MAX_SAMPLE_SIZE
            ));
        }
        let hit = self
            .windows
            .iter()
            .position(|w| w.start <= offset && end <= w.start + w.data.len() as u64);
        let at = match hit {
            Some(at) => at,
            None => {
                self.load(offset, size)?;
                0
            }
        };
        if at != 0 {
            // Keep the list in recency order so that eviction drops the stalest window.
            let w = self.windows.remove(at);
            self.windows.insert(0, w);
        }
        let w = &self.windows[0];
        let from = (offset - w.start) as usize;
        Ok(w.data.slice(from..from + size as usize))
    }

    /// Reads a new window starting at `offset` that holds at least `size` bytes.
    fn load(&mut self, offset: u64, size: u64) -> Result<(), String> {
        let want = (self.len - offset).min(WINDOW.max(size as usize) as u64) as usize;
        let mut buf = self.buffer(want);
        let io = |e: std::io::Error| format!("{}: {e}", self.path.display());
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.file.read_exact(&mut buf).map_err(io)?;
        if self.windows.len() >= MAX_WINDOWS
            && let Some(old) = self.windows.pop()
        {
            self.pool.push(old.data);
            if self.pool.len() > MAX_POOL {
                self.pool.remove(0);
            }
        }
        self.windows.insert(
            0,
            Window {
                start: offset,
                data: buf.freeze(),
            },
        );
        Ok(())
    }

    /// A buffer of `len` bytes: a recycled window no sample points into any more, or a
    /// fresh one. Recycling avoids a page-faulting allocation per MiB read.
    fn buffer(&mut self, len: usize) -> BytesMut {
        let free = self
            .pool
            .iter()
            .position(|b| b.is_unique() && b.len() >= len);
        if let Some(at) = free
            && let Ok(mut buf) = self.pool.swap_remove(at).try_into_mut()
        {
            buf.truncate(len);
            return buf;
        }
        BytesMut::zeroed(len)
    }
}
