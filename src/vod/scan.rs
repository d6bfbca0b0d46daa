//! Reads back a stream file a run was writing when it died: its header and every
//! complete fragment, without holding the media in memory (box headers and `moof`s only;
//! `mdat`s are skipped).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::isobmff::reader::{self, BoxRef, Mfhd, Tfhd, Tfxd, Trun};
use crate::isobmff::uuids::TFXD_UUID;

/// Largest `ftyp` + `moov` or `moof` read back; ours are far smaller.
const MAX_BOX: u64 = 64 << 20;

/// One complete fragment of a scanned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScannedFragment {
    /// File offset of its `moof`.
    pub offset: u64,
    /// Size of the `moof` and `mdat` together.
    pub size: u64,
    /// Size of the `moof` alone (the payload follows the mdat header after it).
    pub moof_size: u64,
    /// Its `tfxd` time (presentation timescale).
    pub time: u64,
    /// Its `tfxd` duration.
    pub duration: u64,
    /// Bytes of sample data.
    pub payload: u64,
}

/// What a stream file holds.
#[derive(Debug, Clone)]
pub(crate) struct ScannedFile {
    /// `ftyp` + `moov` as written; empty when the run died before they were complete.
    pub header: Vec<u8>,
    /// The complete fragments, in file order.
    pub fragments: Vec<ScannedFragment>,
    /// File length.
    pub len: u64,
}

/// Scans the file of track `track_id`. A torn last box (the write a kill cut short), a
/// torn header, or an `mfra` after the fragments (a finish cut short) end the scan;
/// anything else that is not this library's layout, or a fragment that does not follow
/// the one before it, is damage a recovery must not paper over: an error.
pub(crate) fn scan(path: &Path, track_id: u32) -> Result<ScannedFile> {
    let mut file = File::open(path).map_err(|source| Error::Io {
        op: "open",
        path: path.to_path_buf(),
        source,
    })?;
    let len = file
        .metadata()
        .map_err(|source| Error::Io {
            op: "inspect",
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let mut r = Reader {
        file: &mut file,
        path: path.to_path_buf(),
        len,
    };
    let Some(header) = r.header()? else {
        return Ok(ScannedFile {
            header: Vec::new(),
            fragments: Vec::new(),
            len,
        });
    };
    let mut fragments: Vec<ScannedFragment> = Vec::new();
    let mut at = header.len() as u64;
    while let Some((kind, size)) = r.box_header(at)? {
        if at.saturating_add(size) > len || kind == *b"mfra" {
            break;
        }
        if kind != *b"moof" {
            return Err(r.damaged(at, format!("'{}' where a moof was expected", text(&kind))));
        }
        let moof = r.read(at, size)?;
        let parsed = parse_moof(&moof, track_id).map_err(|e| r.damaged(at, e.to_string()))?;
        let mdat_at = at + size;
        let Some((mdat, mdat_size)) = r.box_header(mdat_at)? else {
            break;
        };
        if mdat_at.saturating_add(mdat_size) > len {
            break;
        }
        if mdat != *b"mdat" || mdat_size.checked_sub(8) != Some(parsed.payload) {
            return Err(r.damaged(
                mdat_at,
                format!(
                    "'{}' of {mdat_size} bytes does not carry the moof's {} sample bytes",
                    text(&mdat),
                    parsed.payload
                ),
            ));
        }
        if let Some(previous) = fragments.last() {
            let follows = parsed.sequence == previous_sequence(&fragments) + 1
                && previous.time.checked_add(previous.duration) == Some(parsed.time);
            if !follows {
                return Err(r.damaged(
                    at,
                    format!(
                        "fragment {} at {} does not follow the one before it (ends at {})",
                        parsed.sequence,
                        parsed.time,
                        previous.time.saturating_add(previous.duration)
                    ),
                ));
            }
        }
        fragments.push(ScannedFragment {
            offset: at,
            size: size + mdat_size,
            moof_size: size,
            time: parsed.time,
            duration: parsed.duration,
            payload: parsed.payload,
        });
        at = mdat_at + mdat_size;
    }
    Ok(ScannedFile {
        header,
        fragments,
        len,
    })
}

/// Sequence numbers run 1, 2, 3… in a file this library wrote.
fn previous_sequence(fragments: &[ScannedFragment]) -> u32 {
    u32::try_from(fragments.len()).unwrap_or(u32::MAX)
}

fn text(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

/// The box a `find` found, or an error naming what was missing.
fn need<'a>(b: Option<BoxRef<'a>>, what: &str) -> Result<BoxRef<'a>> {
    b.ok_or_else(|| Error::malformed("moof", 0, format!("no {what}")))
}

/// What one `moof` says.
struct Moof {
    sequence: u32,
    time: u64,
    duration: u64,
    payload: u64,
}

fn parse_moof(data: &[u8], track_id: u32) -> Result<Moof> {
    let moof = reader::boxes(data)
        .next()
        .transpose()?
        .ok_or_else(|| Error::malformed("moof", 0, "empty"))?;
    let mfhd = Mfhd::parse(&need(moof.find("mfhd")?, "mfhd")?)?;
    let traf = need(moof.find("traf")?, "traf")?;
    let tfhd = Tfhd::parse(&need(traf.find("tfhd")?, "tfhd")?)?;
    if tfhd.track_id != track_id {
        return Err(Error::malformed(
            "moof",
            0,
            format!(
                "track {} where track {track_id} was expected",
                tfhd.track_id
            ),
        ));
    }
    let tfxd = Tfxd::parse(&need(traf.find_uuid(&TFXD_UUID)?, "tfxd")?)?;
    let trun = Trun::parse(&need(traf.find("trun")?, "trun")?)?;
    let mut payload = 0u64;
    for sample in &trun.samples {
        let size = sample
            .size
            .or(tfhd.default_sample_size)
            .ok_or_else(|| Error::malformed("trun", 0, "sample without a size"))?;
        payload += u64::from(size);
    }
    Ok(Moof {
        sequence: mfhd.sequence_number,
        time: tfxd.time,
        duration: tfxd.duration,
        payload,
    })
}

/// Positioned reads of one file, with errors that name it.
struct Reader<'a> {
    file: &'a mut File,
    path: PathBuf,
    len: u64,
}

impl Reader<'_> {
    /// `ftyp` + `moov`, or None when the file ends before both are complete.
    fn header(&mut self) -> Result<Option<Vec<u8>>> {
        let Some((ftyp, ftyp_size)) = self.box_header(0)? else {
            return Ok(None);
        };
        if ftyp != *b"ftyp" {
            return Err(self.damaged(
                0,
                "does not start with ftyp: not a file this library wrote".into(),
            ));
        }
        let Some((moov, moov_size)) = self.box_header(ftyp_size)? else {
            return Ok(None);
        };
        if moov != *b"moov" {
            return Err(self.damaged(
                ftyp_size,
                format!("'{}' where the moov was expected", text(&moov)),
            ));
        }
        let end = ftyp_size.saturating_add(moov_size);
        if end > self.len {
            return Ok(None);
        }
        self.read(0, end).map(Some)
    }

    /// Type and size of the box at `at`; None when the file ends inside its header.
    fn box_header(&mut self, at: u64) -> Result<Option<([u8; 4], u64)>> {
        if self.len.saturating_sub(at) < 8 {
            return Ok(None);
        }
        let head = self.read(at, 8)?;
        let mut c = reader::ByteCursor::new(&head);
        let size32 = c.u32()?;
        let kind: [u8; 4] = c.array()?;
        let size = match size32 {
            1 => {
                if self.len.saturating_sub(at) < 16 {
                    return Ok(None);
                }
                let large = self.read(at + 8, 8)?;
                reader::ByteCursor::new(&large).u64()?
            }
            n => u64::from(n),
        };
        if size < 8 {
            return Err(self.damaged(at, format!("box '{}' has size {size}", text(&kind))));
        }
        if kind != *b"mdat" && size > MAX_BOX {
            return Err(self.damaged(
                at,
                format!("box '{}' of {size} bytes is too large", text(&kind)),
            ));
        }
        Ok(Some((kind, size)))
    }

    fn read(&mut self, at: u64, len: u64) -> Result<Vec<u8>> {
        let io = |source| Error::Io {
            op: "read",
            path: self.path.clone(),
            source,
        };
        let len = usize::try_from(len).map_err(|_| self.damaged(at, "box too large".into()))?;
        let mut buf = vec![0u8; len];
        self.file.seek(SeekFrom::Start(at)).map_err(io)?;
        self.file.read_exact(&mut buf).map_err(io)?;
        Ok(buf)
    }

    fn damaged(&self, at: u64, reason: String) -> Error {
        Error::Unrecoverable {
            path: self.path.clone(),
            reason: format!("damaged before its last fragment, at byte {at}: {reason}"),
        }
    }
}
