//! Where a payload's bytes are: in memory, or a stretch of a source file that a
//! file-to-file writer can move without reading it (`copy_file_range`).

use std::fs::File;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

/// A stretch of a source file: `len` bytes at `offset` of `file`.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The source file, shared by every sample that comes from it. Reads through it use
    /// explicit offsets (`pread`, `copy_file_range`): its position is shared.
    pub file: Arc<File>,
    /// Offset of the first byte in the file.
    pub offset: u64,
    /// Number of bytes.
    pub len: u64,
}

/// Two ranges are equal when they are the same bytes of the same open file.
impl PartialEq for FileRange {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.file, &other.file) && self.offset == other.offset && self.len == other.len
    }
}

impl Eq for FileRange {}

impl FileRange {
    /// The bytes, read with positioned reads into a buffer of their own.
    pub fn read(&self) -> io::Result<Bytes> {
        let len = usize::try_from(self.len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "range too large"))?;
        let mut buf = Vec::with_capacity(len);
        read_exact_at(&self.file, &mut buf, len, self.offset)?;
        Ok(Bytes::from(buf))
    }
}

/// Appends `len` bytes at `offset` of `file` to `buf`, reading straight into its spare
/// capacity: payloads are read whole by the gigabyte, and zeroing each buffer first
/// would cost as much as the read.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    buf.reserve(len);
    let start = buf.len();
    let end = start + len;
    while buf.len() < end {
        let at = offset
            .checked_add((buf.len() - start) as u64)
            .and_then(|at| libc::off_t::try_from(at).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let want = end - buf.len();
        // SAFETY: the pointer is the start of the vector's spare capacity, which has room
        // for `want` bytes (reserved above); the kernel writes at most `want` bytes there,
        // and only the bytes it reports written are then counted as initialised.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                buf.as_mut_ptr().add(buf.len()).cast(),
                want,
                at,
            )
        };
        match usize::try_from(n) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            // SAFETY: the kernel initialised these `n <= want` bytes.
            Ok(n) => unsafe { buf.set_len(buf.len() + n.min(want)) },
            Err(_) => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let start = buf.len();
    buf.resize(start + len, 0);
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf.get_mut(start..).unwrap_or_default())
}

/// One piece of a fragment: bytes in memory, or a stretch of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Bytes in memory (the header, and payloads given as bytes).
    Memory(Bytes),
    /// A payload left where it is in its source file.
    File(FileRange),
}

impl Chunk {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Chunk::Memory(b) => b.len() as u64,
            Chunk::File(r) => r.len,
        }
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, when they are in memory.
    pub fn memory(&self) -> Option<&Bytes> {
        match self {
            Chunk::Memory(b) => Some(b),
            Chunk::File(_) => None,
        }
    }

    /// The bytes, read from the file when they are there.
    pub fn to_bytes(&self) -> io::Result<Bytes> {
        match self {
            Chunk::Memory(b) => Ok(b.clone()),
            Chunk::File(r) => r.read(),
        }
    }
}

impl From<Bytes> for Chunk {
    fn from(bytes: Bytes) -> Self {
        Chunk::Memory(bytes)
    }
}
