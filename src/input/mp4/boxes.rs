//! Boxes read straight from the file: headers one at a time, and the few small boxes whose
//! fields matter read whole and handed to the crate's slice-based parsers
//! ([`crate::isobmff::reader`]). Containers such as `moov` are never loaded whole, so a
//! film's sample tables (megabytes for a long one) stay on disk until a window reads them.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::isobmff::reader::{BoxRef, ByteCursor};

/// The longest box header: 32-bit size, type, 64-bit largesize, 16-byte extended type.
const MAX_HEADER: usize = 32;

/// An error offset for [`Error::Malformed`], which counts in `usize`; saturates on 32-bit
/// targets rather than wrapping to a misleading small number.
pub(crate) fn at(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

/// Shorthand for a [`Error::Malformed`] at an absolute file offset.
pub(crate) fn malformed(what: &'static str, offset: u64, reason: impl Into<String>) -> Error {
    Error::malformed(what, at(offset), reason)
}

/// Adds `prefix` (the track, the sample) to the reason of a [`Error::Malformed`].
pub(crate) fn context(e: Error, prefix: impl std::fmt::Display) -> Error {
    match e {
        Error::Malformed {
            what,
            offset,
            reason,
        } => Error::Malformed {
            what,
            offset,
            reason: format!("{prefix}: {reason}"),
        },
        other => other,
    }
}

/// The file being read: every read names its offset and is checked against the length
/// measured at open, so a table pointing past the end is an error before any I/O.
#[derive(Debug)]
pub(crate) struct Input<R> {
    /// The reader. Every read seeks first: the caller may use the same file through
    /// [`super::Mp4File::get_ref`] (e.g. `copy_file_range` with explicit offsets), so a
    /// cached position could be stale.
    inner: R,
    /// Its length in bytes.
    len: u64,
    /// Named in I/O errors.
    name: PathBuf,
}

impl<R: Read + Seek> Input<R> {
    /// Wraps `inner`, measuring its length.
    pub(crate) fn new(mut inner: R, name: PathBuf) -> Result<Self> {
        let len = inner.seek(SeekFrom::End(0)).map_err(|source| Error::Io {
            op: "seek",
            path: name.clone(),
            source,
        })?;
        Ok(Input { inner, len, name })
    }

    /// Fills `buf` from `offset`; `what` names the structure read, for errors.
    pub(crate) fn read_at(
        &mut self,
        offset: u64,
        buf: &mut [u8],
        what: &'static str,
    ) -> Result<()> {
        let fits = offset
            .checked_add(buf.len() as u64)
            .is_some_and(|end| end <= self.len);
        if !fits {
            return Err(malformed(
                what,
                offset,
                format!(
                    "{} bytes run past the end of the file ({} bytes)",
                    buf.len(),
                    self.len
                ),
            ));
        }
        let io = |source| Error::Io {
            op: "read",
            path: self.name.clone(),
            source,
        };
        self.inner.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.inner.read_exact(buf).map_err(io)
    }
}

impl<R> Input<R> {
    /// File length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The reader.
    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Gives the reader back.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

/// A box located by its header; its body stays in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoxHeader {
    /// Four-character type.
    pub(crate) box_type: [u8; 4],
    /// Extended type of a `uuid` box.
    pub(crate) uuid: Option<[u8; 16]>,
    /// Absolute offset of the first header byte.
    pub(crate) offset: u64,
    /// Header bytes (8, 16 with a largesize, +16 for `uuid`).
    pub(crate) header_len: u64,
    /// Whole box size, header included; `offset + size` was checked against the parent.
    pub(crate) size: u64,
}

impl BoxHeader {
    /// Absolute offset of the body.
    pub(crate) fn body(&self) -> u64 {
        self.offset.saturating_add(self.header_len)
    }

    /// Absolute offset just past the box.
    pub(crate) fn end(&self) -> u64 {
        self.offset.saturating_add(self.size)
    }

    /// Body length.
    pub(crate) fn body_len(&self) -> u64 {
        self.size.saturating_sub(self.header_len)
    }

    /// Whether the box has type `t`.
    pub(crate) fn is(&self, t: &[u8; 4]) -> bool {
        &self.box_type == t
    }

    /// The type as text, for messages.
    pub(crate) fn name(&self) -> String {
        String::from_utf8_lossy(&self.box_type).into_owned()
    }

    /// Reads the whole box (header included) if it is at most `max` bytes. Only boxes
    /// with a handful of fields are read this way; `max` keeps a hostile size from
    /// turning into a huge allocation.
    pub(crate) fn read_whole<R: Read + Seek>(
        &self,
        input: &mut Input<R>,
        max: usize,
        what: &'static str,
    ) -> Result<Vec<u8>> {
        let len = usize::try_from(self.size)
            .ok()
            .filter(|&len| len <= max)
            .ok_or_else(|| {
                malformed(
                    what,
                    self.offset,
                    format!(
                        "'{}' is {} bytes, over the {max} bytes this reader accepts for it",
                        self.name(),
                        self.size
                    ),
                )
            })?;
        let mut data = vec![0; len];
        input.read_at(self.offset, &mut data, what)?;
        Ok(data)
    }

    /// A [`BoxRef`] over `data` (this box, as [`Self::read_whole`] returned it) with the
    /// absolute offset, so the typed parsers' errors point into the file.
    pub(crate) fn as_ref<'a>(&self, data: &'a [u8]) -> BoxRef<'a> {
        BoxRef {
            box_type: self.box_type,
            uuid: self.uuid,
            offset: self.offset,
            header_len: usize::try_from(self.header_len).unwrap_or(usize::MAX),
            data,
        }
    }

    /// Reads the first `N` body bytes (a table's version, flags and entry count), which
    /// must exist.
    pub(crate) fn read_fields<R: Read + Seek, const N: usize>(
        &self,
        input: &mut Input<R>,
        what: &'static str,
    ) -> Result<[u8; N]> {
        if self.body_len() < N as u64 {
            return Err(malformed(
                what,
                self.body(),
                format!(
                    "'{}' body is {} bytes, shorter than its {N} bytes of fixed fields",
                    self.name(),
                    self.body_len()
                ),
            ));
        }
        let mut fields = [0; N];
        input.read_at(self.body(), &mut fields, what)?;
        Ok(fields)
    }
}

/// The boxes between two offsets (the top level of a file, or a container's body), read
/// one header at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Children {
    /// Offset of the next header.
    next: u64,
    /// End of the range.
    end: u64,
}

impl Children {
    /// The top-level boxes of a file of `len` bytes.
    pub(crate) fn top(len: u64) -> Self {
        Children { next: 0, end: len }
    }

    /// The boxes in `parent`'s body.
    pub(crate) fn of(parent: &BoxHeader) -> Self {
        Self::within(parent.body(), parent.end())
    }

    /// The boxes from `start` to `end` (a container whose body starts with fixed fields).
    pub(crate) fn within(start: u64, end: u64) -> Self {
        Children { next: start, end }
    }

    /// The next box, or `None` at the end of the range. Fewer than 8 bytes left are
    /// padding some writers leave (a 32-bit zero terminating QuickTime `udta`), not a box.
    /// A box that does not fit in the range is an error: the position of the next one is
    /// unknown then, and a truncated file is better refused at open than midway.
    pub(crate) fn next<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
    ) -> Result<Option<BoxHeader>> {
        let left = self.end.saturating_sub(self.next);
        if left < 8 {
            self.next = self.end;
            return Ok(None);
        }
        let start = self.next;
        let mut buf = [0u8; MAX_HEADER];
        let n = usize::try_from(left).map_or(MAX_HEADER, |left| left.min(MAX_HEADER));
        let buf = buf.get_mut(..n).unwrap_or_default();
        input.read_at(start, buf, "box header")?;
        let mut c = ByteCursor::at(buf, start, "box header");
        let size32 = c.u32()?;
        let box_type: [u8; 4] = c.array()?;
        let size = match size32 {
            0 => left,
            1 => c.u64()?,
            n => u64::from(n),
        };
        let uuid = if &box_type == b"uuid" {
            Some(c.array::<16>()?)
        } else {
            None
        };
        let header_len = c.position() as u64;
        let name = String::from_utf8_lossy(&box_type);
        if size < header_len {
            return Err(malformed(
                "box",
                start,
                format!("'{name}' size {size} is smaller than its {header_len}-byte header"),
            ));
        }
        if size > left {
            return Err(malformed(
                "box",
                start,
                format!("'{name}' size {size} runs past the end of its parent ({left} bytes left)"),
            ));
        }
        // size <= left = end - next, so this cannot overflow.
        self.next = start.saturating_add(size);
        Ok(Some(BoxHeader {
            box_type,
            uuid,
            offset: start,
            header_len,
            size,
        }))
    }

    /// The first box of type `t` among the rest, if any.
    pub(crate) fn find<R: Read + Seek>(
        &mut self,
        input: &mut Input<R>,
        t: &[u8; 4],
    ) -> Result<Option<BoxHeader>> {
        while let Some(b) = self.next(input)? {
            if b.is(t) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}
