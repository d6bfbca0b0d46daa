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
    /// The bytes, read with one positioned read.
    pub fn read(&self) -> io::Result<Bytes> {
        let len = usize::try_from(self.len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "range too large"))?;
        let mut buf = vec![0u8; len];
        read_exact_at(&self.file, &mut buf, self.offset)?;
        Ok(Bytes::from(buf))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
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
