//! A bounds-checked ISO BMFF (MP4) box reader, for tests, tools and crash recovery.
//!
//! The writer side of the crate never needs to parse boxes, but everything that checks its
//! output does: unit and integration tests, the dump tool, and recovery of a file whose
//! writer died before the `mfra` was written. All of them may be handed truncated or
//! corrupt bytes, so every read here is bounds-checked and reports the absolute byte
//! offset of the problem instead of panicking.
//!
//! ```
//! # use ssf::isobmff::reader;
//! # fn demo(file: &[u8]) -> ssf::Result<()> {
//! for moof in reader::find_all(file, "moof")? {
//!     let traf = moof.find("traf")?;
//!     let tfhd = moof.find("traf/tfhd")?.map(|b| reader::Tfhd::parse(&b)).transpose()?;
//!     # let _ = (traf, tfhd);
//! }
//! println!("{}", reader::dump(file));
//! # Ok(()) }
//! ```

mod boxes;
mod dump;
mod esds;
mod fragment_boxes;
#[cfg(test)]
mod tests;

pub use boxes::{Ftyp, Hdlr, Mdhd, Mvhd, Tkhd, Trex};
pub use dump::dump;
pub use esds::Esds;
pub use fragment_boxes::{Mfhd, Mfro, Tfhd, Tfra, TfraEntry, Tfrf, Tfxd, Trun, TrunSample};

// The box reader's cursor is the crate's one byte cursor; it is re-exported here, where
// box parsing code has always found it.
pub use crate::codec::bitstream::ByteCursor;
use crate::error::{Error, Result};

/// Converts a file offset to the `usize` that [`Error::Malformed`] carries, saturating on
/// 32-bit targets rather than wrapping to a misleading small number.
fn err_offset(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

/// One box in a buffer: where it is and its bytes. Cheap to copy; borrows the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxRef<'a> {
    /// The four-character type, e.g. `*b"moof"`; `*b"uuid"` for extended types.
    pub box_type: [u8; 4],
    /// The extended type of a `uuid` box, `None` for every other type.
    pub uuid: Option<[u8; 16]>,
    /// Absolute offset of the box start in the buffer given to the top-level call.
    pub offset: u64,
    /// Header bytes: 8, plus 8 for a 64-bit largesize, plus 16 for a `uuid` extended type.
    pub header_len: usize,
    /// The whole box, header included.
    pub data: &'a [u8],
}

impl<'a> BoxRef<'a> {
    /// The box body after the header.
    pub fn payload(&self) -> &'a [u8] {
        // `get` because the fields are public and could be built inconsistent by hand.
        self.data.get(self.header_len..).unwrap_or(&[])
    }

    /// Total box size in bytes, header included.
    pub fn size(&self) -> u64 {
        self.data.len() as u64
    }

    /// Absolute offset of the payload's first byte.
    pub fn payload_offset(&self) -> u64 {
        self.offset.saturating_add(self.header_len as u64)
    }

    /// The type as text; bytes that are not UTF-8 become U+FFFD, so it is always printable.
    pub fn type_str(&self) -> String {
        String::from_utf8_lossy(&self.box_type).into_owned()
    }

    /// Whether this is a box of type `t` (for `uuid` boxes any extended type matches).
    pub fn is(&self, t: &[u8; 4]) -> bool {
        &self.box_type == t
    }

    /// Whether this is a `uuid` box with extended type `uuid`.
    pub fn is_uuid(&self, uuid: &[u8; 16]) -> bool {
        self.uuid.as_ref() == Some(uuid)
    }

    /// The child boxes of a container box, which start right after the header.
    pub fn children(&self) -> BoxIter<'a> {
        self.children_at(0)
    }

    /// The child boxes that follow `skip` payload bytes of fixed fields: 4 for a FullBox
    /// container such as `meta`, 8 for the entries of `stsd`/`dref`, 78 for the children of a
    /// visual sample entry, 28 for an audio sample entry. If the payload is shorter than
    /// `skip` the iterator yields one error.
    pub fn children_at(&self, skip: usize) -> BoxIter<'a> {
        let payload = self.payload();
        let base = self.payload_offset().saturating_add(skip as u64);
        match payload.get(skip..) {
            Some(rest) => BoxIter::new(rest, base),
            None => BoxIter::failed(Error::malformed(
                "box",
                err_offset(self.payload_offset()),
                format!(
                    "'{}' payload is {} bytes, shorter than the {skip} bytes of fixed fields",
                    self.type_str(),
                    payload.len()
                ),
            )),
        }
    }

    /// Splits a FullBox payload into version, flags and the bytes after them.
    pub fn full_box(&self) -> Result<(u8, u32, &'a [u8])> {
        let mut c = ByteCursor::at(self.payload(), self.payload_offset(), "FullBox header");
        let version = c.u8()?;
        let flags = c.u24()?;
        Ok((version, flags, c.rest()))
    }

    /// The first box at `path` below this box, e.g. `"trak/mdia/minf/stbl/stsd"`, searching
    /// depth-first in file order. Each component is a four-character code; `uuid` boxes are
    /// matched by the literal `uuid` (filter the result on [`BoxRef::uuid`]).
    ///
    /// Only the boxes named in the path are opened as containers. A structural error met on
    /// the way is returned rather than skipped, so a corrupt file does not look like a file
    /// without the box.
    pub fn find(&self, path: &str) -> Result<Option<BoxRef<'a>>> {
        let parts = parse_path(path)?;
        let mut out = Vec::new();
        collect(self.children(), &parts, &mut out, true)?;
        Ok(out.into_iter().next())
    }

    /// Every box at `path` below this box, in file order (e.g. `"traf"` on a moof, or
    /// `"trak/mdia/hdlr"` on a moov with several tracks).
    pub fn find_all(&self, path: &str) -> Result<Vec<BoxRef<'a>>> {
        let parts = parse_path(path)?;
        let mut out = Vec::new();
        collect(self.children(), &parts, &mut out, false)?;
        Ok(out)
    }

    /// The first direct child that is a `uuid` box with extended type `uuid` (tfxd, tfrf,
    /// senc, … inside a traf).
    pub fn find_uuid(&self, uuid: &[u8; 16]) -> Result<Option<BoxRef<'a>>> {
        for child in self.children() {
            let child = child?;
            if child.is_uuid(uuid) {
                return Ok(Some(child));
            }
        }
        Ok(None)
    }
}

/// A box located by its header, as [`read_header`] finds it; its body may be in memory
/// or still in a file (the MP4 input reads headers one at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The four-character type.
    pub(crate) box_type: [u8; 4],
    /// The extended type of a `uuid` box.
    pub(crate) uuid: Option<[u8; 16]>,
    /// Absolute offset of the first header byte.
    pub(crate) offset: u64,
    /// Header bytes: 8, plus 8 for a 64-bit largesize, plus 16 for a `uuid` extended type.
    pub(crate) header_len: u64,
    /// The whole box size, header included, with a size field of 0 resolved.
    pub(crate) size: u64,
}

/// Reads the box header at the cursor, for the box reader and the MP4 input's streamed
/// one alike. `left` is how many bytes the enclosing range holds from the header on,
/// which a size of 0 ("to the end", a last mdat typically) stands for. A size smaller
/// than the header itself is refused; whether the box fits its range is the caller's to
/// say, in its own terms.
pub(crate) fn read_header(c: &mut ByteCursor<'_>, left: u64) -> Result<Header> {
    let offset = c.offset();
    let size32 = c.u32()?;
    let box_type: [u8; 4] = c.array()?;
    let size = match size32 {
        0 => left,
        // Size 1: the real size follows as a 64-bit largesize.
        1 => c.u64()?,
        n => u64::from(n),
    };
    let uuid = if &box_type == b"uuid" {
        Some(c.array::<16>()?)
    } else {
        None
    };
    let header_len = c.position() as u64;
    if size < header_len {
        return Err(Error::malformed(
            "box",
            err_offset(offset),
            format!(
                "'{}' size {size} is smaller than its {header_len}-byte header",
                String::from_utf8_lossy(&box_type)
            ),
        ));
    }
    Ok(Header {
        box_type,
        uuid,
        offset,
        header_len,
        size,
    })
}

/// Iterator over consecutive boxes in a byte range, yielding `Result<BoxRef>`.
///
/// After the first error it stops (yields `None`), because once a size field is wrong the
/// position of the next box is unknown; this also makes every walk terminate.
#[derive(Debug)]
pub struct BoxIter<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    done: bool,
    /// An error to report before anything else (children of a box too short for `skip`).
    pending: Option<Error>,
}

impl<'a> BoxIter<'a> {
    /// Boxes in `data`, which starts at absolute offset `base`.
    fn new(data: &'a [u8], base: u64) -> Self {
        BoxIter {
            data,
            pos: 0,
            base,
            done: false,
            pending: None,
        }
    }

    /// An iterator that yields `err` once and then ends.
    fn failed(err: Error) -> Self {
        BoxIter {
            data: &[],
            pos: 0,
            base: 0,
            done: false,
            pending: Some(err),
        }
    }

    /// Parses the box header at `self.pos`; returns the box or the reason it is invalid.
    fn parse_next(&self) -> Result<BoxRef<'a>> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let start = self.base.saturating_add(self.pos as u64);
        let mut c = ByteCursor::at(rest, start, "box header");
        let Header {
            box_type,
            uuid,
            size,
            header_len,
            ..
        } = read_header(&mut c, rest.len() as u64)?;
        // The header was read from `rest`, so its length fits a usize.
        let header_len = usize::try_from(header_len).unwrap_or(usize::MAX);
        let type_text = String::from_utf8_lossy(&box_type);
        let data = usize::try_from(size)
            .ok()
            .and_then(|size| rest.get(..size))
            .ok_or_else(|| {
                Error::malformed(
                    "box",
                    err_offset(start),
                    format!(
                        "'{type_text}' size {size} runs past the end of its range ({} bytes left)",
                        rest.len()
                    ),
                )
            })?;
        Ok(BoxRef {
            box_type,
            uuid,
            offset: start,
            header_len,
            data,
        })
    }
}

impl<'a> Iterator for BoxIter<'a> {
    type Item = Result<BoxRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(err) = self.pending.take() {
            self.done = true;
            return Some(Err(err));
        }
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        match self.parse_next() {
            Ok(b) => {
                // Every valid box is at least 8 bytes, so the position always advances.
                self.pos = self.pos.saturating_add(b.data.len());
                Some(Ok(b))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Iterates over the top-level boxes of `data` (offsets are relative to `data`).
pub fn boxes(data: &[u8]) -> BoxIter<'_> {
    BoxIter::new(data, 0)
}

/// The first box at `path` from the top level of `data`, e.g. `"moov/trak/tkhd"`.
pub fn find<'a>(data: &'a [u8], path: &str) -> Result<Option<BoxRef<'a>>> {
    let parts = parse_path(path)?;
    let mut out = Vec::new();
    collect(boxes(data), &parts, &mut out, true)?;
    Ok(out.into_iter().next())
}

/// Every box at `path` from the top level of `data`, in file order, e.g. `"moof/traf/trun"`.
pub fn find_all<'a>(data: &'a [u8], path: &str) -> Result<Vec<BoxRef<'a>>> {
    let parts = parse_path(path)?;
    let mut out = Vec::new();
    collect(boxes(data), &parts, &mut out, false)?;
    Ok(out)
}

/// Splits a `/`-separated path into four-character codes.
fn parse_path(path: &str) -> Result<Vec<[u8; 4]>> {
    path.split('/')
        .map(|part| {
            <[u8; 4]>::try_from(part.as_bytes()).map_err(|_| {
                Error::InvalidArgument(format!(
                    "box path \"{path}\": component \"{part}\" is not a four-character code"
                ))
            })
        })
        .collect()
}

/// Depth-first search for `parts` among `iter`'s boxes; stops at the first hit if `first`.
/// Recursion depth is bounded by the path length, not by the input.
fn collect<'a>(
    iter: BoxIter<'a>,
    parts: &[[u8; 4]],
    out: &mut Vec<BoxRef<'a>>,
    first: bool,
) -> Result<()> {
    let Some((head, tail)) = parts.split_first() else {
        return Ok(());
    };
    for b in iter {
        let b = b?;
        if &b.box_type != head {
            continue;
        }
        if tail.is_empty() {
            out.push(b);
        } else {
            collect(b.children(), tail, out, first)?;
        }
        if first && !out.is_empty() {
            return Ok(());
        }
    }
    Ok(())
}
