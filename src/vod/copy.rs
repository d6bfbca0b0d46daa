//! Writing a fragment's chunks to its file: bytes in memory with vectored writes,
//! payloads left in their source files copied file to file in the kernel
//! (`copy_file_range`, else `sendfile`), and only where the kernel refuses both through
//! a buffer.

use std::fs::File;
use std::io::{self, IoSlice, Write};

use bytes::Bytes;

use crate::mux::{Chunk, FileRange};

/// How the kernel copied the last file range, so later ranges skip what it refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CopyPath {
    /// `copy_file_range` (may share extents on the same filesystem).
    #[default]
    CopyFileRange,
    /// `sendfile` (a kernel copy across filesystems).
    SendFile,
    /// Read into a buffer, then write.
    Buffered,
}

/// Writes every chunk at the file's position, in order. Adjacent payloads that follow
/// each other in one source file (an MP4 chunk's samples) are copied as one range.
pub(crate) fn write_chunks(
    file: &mut File,
    chunks: &[Chunk],
    path: &mut CopyPath,
) -> io::Result<()> {
    let mut memory: Vec<&Bytes> = Vec::new();
    let mut run: Option<FileRange> = None;
    for chunk in chunks {
        match chunk {
            Chunk::Memory(bytes) => {
                if let Some(range) = run.take() {
                    copy_range(file, &range, path)?;
                }
                memory.push(bytes);
            }
            Chunk::File(range) => {
                write_all_vectored(file, &memory)?;
                memory.clear();
                run = match run.take() {
                    Some(mut current)
                        if std::sync::Arc::ptr_eq(&current.file, &range.file)
                            && current.offset.checked_add(current.len) == Some(range.offset) =>
                    {
                        current.len += range.len;
                        Some(current)
                    }
                    Some(current) => {
                        copy_range(file, &current, path)?;
                        Some(range.clone())
                    }
                    None => Some(range.clone()),
                };
            }
        }
    }
    if let Some(range) = run {
        copy_range(file, &range, path)?;
    }
    write_all_vectored(file, &memory)
}

/// Writes every buffer, retrying on partial writes, with as few system calls as the OS
/// allows.
fn write_all_vectored(file: &mut File, chunks: &[&Bytes]) -> io::Result<()> {
    // Bounded batches keep the slice array on the stack-sized side of IOV_MAX.
    for batch in chunks.chunks(512) {
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|c| IoSlice::new(c)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = file.write_vectored(rest)?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
    }
    Ok(())
}

/// Appends `range` of its source file at `out`'s position.
fn copy_range(out: &mut File, range: &FileRange, path: &mut CopyPath) -> io::Result<()> {
    let mut offset = range.offset;
    let mut left = range.len;
    while left > 0 {
        let copied = match *path {
            CopyPath::CopyFileRange => match kernel_copy(out, range, offset, left, false) {
                Ok(n) => n,
                Err(e) if refused(&e) => {
                    *path = CopyPath::SendFile;
                    continue;
                }
                Err(e) => return Err(e),
            },
            CopyPath::SendFile => match kernel_copy(out, range, offset, left, true) {
                Ok(n) => n,
                Err(e) if refused(&e) => {
                    *path = CopyPath::Buffered;
                    continue;
                }
                Err(e) => return Err(e),
            },
            CopyPath::Buffered => buffered_copy(out, range, offset, left)?,
        };
        if copied == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the source file ended before the sample's last byte",
            ));
        }
        offset += copied;
        left -= copied;
    }
    Ok(())
}

/// Whether the kernel refuses this kind of copy here (another method may work).
fn refused(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        matches!(
            e.raw_os_error(),
            Some(libc::EXDEV | libc::ENOSYS | libc::EINVAL | libc::EOPNOTSUPP | libc::EBADF)
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = e;
        true
    }
}

/// One kernel copy of up to `left` bytes from `offset` of the range's file to `out`'s
/// position, by `copy_file_range` or `sendfile`; returns the bytes copied.
#[cfg(target_os = "linux")]
fn kernel_copy(
    out: &File,
    range: &FileRange,
    offset: u64,
    left: u64,
    sendfile: bool,
) -> io::Result<u64> {
    use std::os::fd::AsRawFd;
    // The kernel copies at most 2 GiB - 4 KiB a call; ask for no more than 1 GiB.
    let len = usize::try_from(left.min(1 << 30)).unwrap_or(1 << 30);
    let mut off = libc::off64_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
    let (from, to) = (range.file.as_raw_fd(), out.as_raw_fd());
    // SAFETY: both descriptors are open for the call; `off` is a live local the kernel
    // reads and advances; a NULL output offset means the output file's position.
    let n = unsafe {
        if sendfile {
            libc::sendfile64(to, from, &mut off, len)
        } else {
            libc::copy_file_range(from, &mut off, to, std::ptr::null_mut(), len, 0)
        }
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
fn kernel_copy(_: &File, _: &FileRange, _: u64, _: u64, _: bool) -> io::Result<u64> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Copies through a buffer: up to 1 MiB read at `offset`, then written.
fn buffered_copy(out: &mut File, range: &FileRange, offset: u64, left: u64) -> io::Result<u64> {
    let len = left.min(1 << 20);
    let piece = FileRange {
        file: range.file.clone(),
        offset,
        len,
    };
    let bytes = piece.read()?;
    out.write_all(&bytes)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::Arc;

    #[test]
    fn memory_and_file_chunks_land_in_order_by_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src");
        std::fs::write(
            &source,
            (0..=255u8).cycle().take(10_000).collect::<Vec<_>>(),
        )
        .unwrap();
        let file = Arc::new(File::open(&source).unwrap());
        let chunks = [
            Chunk::Memory(Bytes::from_static(b"head")),
            Chunk::File(FileRange {
                file: file.clone(),
                offset: 100,
                len: 5000,
            }),
            Chunk::Memory(Bytes::from_static(b"mid")),
            Chunk::File(FileRange {
                file,
                offset: 9000,
                len: 1000,
            }),
        ];
        let mut expected = b"head".to_vec();
        let data = std::fs::read(&source).unwrap();
        expected.extend_from_slice(&data[100..5100]);
        expected.extend_from_slice(b"mid");
        expected.extend_from_slice(&data[9000..10_000]);
        for start in [
            CopyPath::CopyFileRange,
            CopyPath::SendFile,
            CopyPath::Buffered,
        ] {
            let out_path = dir.path().join(format!("out-{start:?}"));
            let mut out = File::create(&out_path).unwrap();
            let mut path = start;
            write_chunks(&mut out, &chunks, &mut path).unwrap();
            drop(out);
            let mut written = Vec::new();
            File::open(&out_path)
                .unwrap()
                .read_to_end(&mut written)
                .unwrap();
            assert_eq!(written, expected, "{start:?}");
        }
    }

    #[test]
    fn a_range_past_the_end_of_its_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src");
        std::fs::write(&source, [1u8; 10]).unwrap();
        let range = FileRange {
            file: Arc::new(File::open(&source).unwrap()),
            offset: 5,
            len: 10,
        };
        let mut out = File::create(dir.path().join("out")).unwrap();
        let mut path = CopyPath::default();
        assert!(write_chunks(&mut out, &[Chunk::File(range)], &mut path).is_err());
    }
}
