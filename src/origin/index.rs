//! The fragment index of an on-demand file, read from its `mfra` (format.md §2.8), and a
//! bounded cache of parsed files (indexes and server manifests) that notices when a file
//! is replaced.
//!
//! The index is found from the file's end: the last 16 bytes are the `mfro`, whose value
//! is the size of the whole `mfra`. Each `tfra` entry gives a fragment's time and the
//! offset of its `moof`; a fragment ends where the next one of any track starts, or where
//! the `mfra` starts. Two small reads per file, once; a fragment is then one positioned
//! read of exactly its bytes.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::http::HttpError;
use crate::isobmff::reader::{self, Mfro, Tfra};

/// Largest `mfra` read (an hour of 2 s fragments is 35 KiB per track).
const MAX_INDEX: u64 = 64 << 20;

/// Largest fragment read for one request.
pub(crate) const MAX_FRAGMENT: u64 = 256 << 20;

/// What identifies one version of a file: a replaced or rewritten file differs in one
/// of these, so its cached parse is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileKey {
    /// The key of an open file.
    pub(crate) fn of(file: &File, shown: &str) -> Result<Self, HttpError> {
        let meta = file
            .metadata()
            .map_err(|e| HttpError::internal(format!("{shown}: {e}")))?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileKey {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }

    /// The file's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

/// Parsed files by path, at most `capacity` of them; the least recently used goes first.
#[derive(Debug)]
pub(crate) struct Cache<V> {
    entries: Mutex<CacheState<V>>,
    capacity: usize,
}

#[derive(Debug)]
struct CacheState<V> {
    map: HashMap<PathBuf, (FileKey, Arc<V>, u64)>,
    tick: u64,
}

impl<V> Cache<V> {
    /// An empty cache of at most `capacity` entries (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Cache {
            entries: Mutex::new(CacheState {
                map: HashMap::new(),
                tick: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    /// The value for the file at `path` in version `key`, parsed by `load` on a miss.
    pub(crate) fn get(
        &self,
        path: &Path,
        key: FileKey,
        load: impl FnOnce() -> Result<V, HttpError>,
    ) -> Result<Arc<V>, HttpError> {
        if let Ok(mut state) = self.entries.lock() {
            state.tick += 1;
            let tick = state.tick;
            if let Some((k, v, used)) = state.map.get_mut(path)
                && *k == key
            {
                *used = tick;
                return Ok(Arc::clone(v));
            }
        }
        // Parsed without the lock: two requests may both parse a new file, harmlessly.
        let value = Arc::new(load()?);
        if let Ok(mut state) = self.entries.lock() {
            if state.map.len() >= self.capacity && !state.map.contains_key(path) {
                let oldest = state
                    .map
                    .iter()
                    .min_by_key(|(_, (_, _, used))| *used)
                    .map(|(p, _)| p.clone());
                if let Some(oldest) = oldest {
                    state.map.remove(&oldest);
                }
            }
            let tick = state.tick;
            state
                .map
                .insert(path.to_path_buf(), (key, Arc::clone(&value), tick));
        }
        Ok(value)
    }
}

/// Where one fragment is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its `tfra` time (= `tfxd` time = the manifest's `t`).
    pub time: u64,
    /// File offset of its `moof`.
    pub offset: u64,
    /// Where the next fragment (or the `mfra`) starts.
    pub end: u64,
}

/// Every track's fragments in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileIndex {
    tracks: HashMap<u32, Vec<Entry>>,
}

impl FileIndex {
    /// The fragment of track `track_id` starting at `time`.
    pub(crate) fn find(&self, track_id: u32, time: u64) -> Option<Entry> {
        let entries = self.tracks.get(&track_id)?;
        let at = find_time(entries.len(), |i| entries.get(i).map(|e| e.time), time)?;
        entries.get(at).copied()
    }

    /// Whether the file indexes track `track_id`.
    pub(crate) fn has_track(&self, track_id: u32) -> bool {
        self.tracks.contains_key(&track_id)
    }
}

/// The position, among `len` items sorted by time (`time_at`), of the one starting at
/// `time`: exactly, or for times past 2⁵³ within the rounding of a JavaScript number.
/// dash.js computes fragment URLs in doubles, so a wall-clock time in 100 ns units such
/// as 17 964 602 960 106 667 (anchored at the Unix epoch, live-ingest.md §6) is asked
/// for as …668; fragments are milliseconds apart, so the nearest one is meant.
pub(crate) fn find_time(
    len: usize,
    time_at: impl Fn(usize) -> Option<u64>,
    time: u64,
) -> Option<usize> {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if time_at(mid)? < time {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let bits = 64 - time.leading_zeros();
    let tolerance = if bits <= 53 { 0 } else { 1u64 << (bits - 53) };
    [Some(lo), lo.checked_sub(1)]
        .into_iter()
        .flatten()
        .filter_map(|i| time_at(i).map(|t| (t.abs_diff(time), i)))
        .filter(|&(diff, _)| diff <= tolerance)
        .min()
        .map(|(_, i)| i)
}

/// Reads `len` bytes at `offset` in one positioned read.
pub(crate) fn read_at(file: &File, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let mut buf = vec![0u8; len];
    #[cfg(unix)]
    std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, offset)?;
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut buf)?;
    }
    Ok(buf)
}

/// Reads the index at the end of `file` (of length `len`, named `shown` in errors).
pub(crate) fn read_index(file: &File, len: u64, shown: &str) -> Result<FileIndex, HttpError> {
    let bad = |why: String| HttpError::internal(format!("{shown}: {why}"));
    let io = |e: std::io::Error| bad(format!("reading the index: {e}"));
    if len < 16 {
        return Err(bad("too short to hold an mfra index".into()));
    }
    let tail = read_at(file, len - 16, 16).map_err(io)?;
    let mfro = reader::boxes(&tail)
        .next()
        .and_then(Result::ok)
        .filter(|b| b.is(b"mfro"))
        .ok_or_else(|| bad("does not end with an mfro box (not an indexed Smooth file)".into()))?;
    let size = u64::from(Mfro::parse(&mfro).map_err(|e| bad(e.to_string()))?.size);
    if size < 16 || size > len || size > MAX_INDEX {
        return Err(bad(format!(
            "mfro gives an mfra of {size} bytes in a file of {len}"
        )));
    }
    let start = len - size;
    let data = read_at(file, start, size).map_err(io)?;
    let mfra = reader::boxes(&data)
        .next()
        .and_then(Result::ok)
        .filter(|b| b.is(b"mfra") && b.size() == size)
        .ok_or_else(|| bad(format!("no mfra of {size} bytes at offset {start}")))?;
    let mut tracks: HashMap<u32, Vec<(u64, u64)>> = HashMap::new();
    let mut offsets = vec![start];
    for child in mfra.children() {
        let child = child.map_err(|e| bad(e.to_string()))?;
        if !child.is(b"tfra") {
            continue;
        }
        let tfra = Tfra::parse(&child).map_err(|e| bad(e.to_string()))?;
        let list = tracks.entry(tfra.track_id).or_default();
        for e in &tfra.entries {
            if e.moof_offset >= start {
                return Err(bad(format!(
                    "tfra of track {} points at {} past the fragments",
                    tfra.track_id, e.moof_offset
                )));
            }
            list.push((e.time, e.moof_offset));
            offsets.push(e.moof_offset);
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    let end_of = |offset: u64| {
        let next = offsets.partition_point(|&o| o <= offset);
        offsets.get(next).copied().unwrap_or(start)
    };
    let tracks = tracks
        .into_iter()
        .map(|(id, mut list)| {
            list.sort_unstable();
            let entries = list
                .into_iter()
                .map(|(time, offset)| Entry {
                    time,
                    offset,
                    end: end_of(offset),
                })
                .collect();
            (id, entries)
        })
        .collect();
    Ok(FileIndex { tracks })
}

/// Reads the fragment at `entry`: one positioned read from its `moof` to the next
/// fragment, checked to be a `moof` and an `mdat` that fill it (a `free` box after them
/// is cut off), so the answer is exactly the pair.
pub(crate) fn read_fragment(
    file: &File,
    entry: Entry,
    shown: &str,
) -> Result<(Vec<u8>, usize), HttpError> {
    let bad = |why: String| {
        HttpError::internal(format!(
            "{shown}: fragment at offset {}: {why}",
            entry.offset
        ))
    };
    let len = entry.end.saturating_sub(entry.offset);
    if len > MAX_FRAGMENT {
        return Err(bad(format!(
            "{len} bytes is over the {MAX_FRAGMENT}-byte bound"
        )));
    }
    let mut data = read_at(file, entry.offset, len).map_err(|e| bad(e.to_string()))?;
    let mut boxes = reader::boxes(&data);
    let moof = boxes.next().and_then(Result::ok).filter(|b| b.is(b"moof"));
    let mdat = boxes.next().and_then(Result::ok).filter(|b| b.is(b"mdat"));
    let (Some(moof), Some(mdat)) = (moof, mdat) else {
        return Err(bad("not a moof followed by an mdat".into()));
    };
    let moof_len = usize::try_from(moof.size()).map_err(|_| bad("too large".into()))?;
    let total = usize::try_from(moof.size().saturating_add(mdat.size()))
        .map_err(|_| bad("too large".into()))?;
    data.truncate(total);
    Ok((data, moof_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isobmff::boxes::{TrackIndex, write_mfra};
    use crate::isobmff::writer::BoxWriter;
    use std::io::Write;

    fn pair(w: &mut Vec<u8>, payload: &[u8]) {
        w.extend_from_slice(&16u32.to_be_bytes());
        w.extend_from_slice(b"moof");
        w.extend_from_slice(&[0; 8]);
        w.extend_from_slice(&(8 + payload.len() as u32).to_be_bytes());
        w.extend_from_slice(b"mdat");
        w.extend_from_slice(payload);
    }

    #[test]
    fn fragments_are_found_by_time_and_read_exactly() {
        let mut data = b"header..".to_vec();
        let a = data.len() as u64;
        pair(&mut data, b"video0");
        let b = data.len() as u64;
        pair(&mut data, b"audio0");
        data.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        let c = data.len() as u64;
        pair(&mut data, b"video1");
        let mut w = BoxWriter::new();
        write_mfra(
            &mut w,
            &[
                TrackIndex {
                    track_id: 1,
                    entries: &[(0, a), (20, c)],
                },
                TrackIndex {
                    track_id: 2,
                    entries: &[(0, b)],
                },
            ],
        );
        data.extend_from_slice(w.as_slice());
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&data).unwrap();
        let file = f.reopen().unwrap();
        let index = read_index(&file, data.len() as u64, "f").unwrap();
        assert!(index.has_track(2) && !index.has_track(3));
        assert_eq!(index.find(1, 10), None);
        let e = index.find(2, 0).unwrap();
        assert_eq!(e.end, c, "the fragment runs to the next one of any track");
        let (got, moof_len) = read_fragment(&file, e, "f").unwrap();
        assert_eq!(moof_len, 16);
        assert_eq!(got.len(), 30, "the free box after the pair is cut off");
        assert!(got.ends_with(b"audio0"));
        let (last, _) = read_fragment(&file, index.find(1, 20).unwrap(), "f").unwrap();
        assert!(last.ends_with(b"video1"));
        let short = tempfile::NamedTempFile::new().unwrap();
        assert_eq!(
            read_index(&short.reopen().unwrap(), 0, "s")
                .unwrap_err()
                .status(),
            500
        );
    }

    #[test]
    fn times_are_found_exactly_or_within_a_javascript_number() {
        let times = [0u64, 20, 40];
        let at = |t| find_time(3, |i| times.get(i).copied(), t);
        assert_eq!(
            (at(0), at(20), at(40), at(21), at(60)),
            (Some(0), Some(1), Some(2), None, None)
        );
        let big = [17_964_602_940_106_667u64, 17_964_602_960_106_667];
        let at = |t| find_time(2, |i| big.get(i).copied(), t);
        // What dash.js asks for: the time as a double, printed.
        let asked = 17_964_602_960_106_667f64 as u64;
        assert_eq!(asked, 17_964_602_960_106_668);
        assert_eq!(at(asked), Some(1));
        assert_eq!(at(17_964_602_960_106_667 + 100), None);
        assert_eq!(find_time(0, |_| None, 5), None);
    }

    #[test]
    fn the_cache_is_bounded_and_notices_new_versions() {
        let cache: Cache<u32> = Cache::new(2);
        let key = |len| FileKey {
            len,
            modified: None,
            inode: 1,
        };
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(*cache.get(&p("a"), key(1), || Ok(1)).unwrap(), 1);
        assert_eq!(*cache.get(&p("a"), key(1), || Ok(9)).unwrap(), 1, "hit");
        assert_eq!(
            *cache.get(&p("a"), key(2), || Ok(2)).unwrap(),
            2,
            "new version"
        );
        cache.get(&p("b"), key(1), || Ok(3)).unwrap();
        cache.get(&p("c"), key(1), || Ok(4)).unwrap();
        assert_eq!(cache.entries.lock().unwrap().map.len(), 2);
    }
}
