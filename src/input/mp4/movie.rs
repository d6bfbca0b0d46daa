//! The `moov` box walked header by header: each track's description and where its sample
//! tables are, plus the fragment defaults (`trex`). Only small boxes are read whole.

use std::io::{Read, Seek};

use super::boxes::{BoxHeader, Children, Input, malformed};
use super::entry::parse_stsd;
use super::tables::{ChunkOffsets, Runs, SampleSizes, SampleToChunk, SyncSamples};
use super::track::{SampleEntry, TrackKind};
use crate::error::Result;
use crate::isobmff::reader::{Hdlr, Mdhd, Tkhd, Trex};

/// Tracks accepted in one file. Real files have a handful; the cap keeps a hostile
/// `moov` of millions of tiny `trak` boxes from growing the track list without bound.
pub(crate) const MAX_TRACKS: usize = 1024;

/// Largest header box read whole (`tkhd`, `mdhd`, `trex`, `tfhd`, …: tens of bytes).
pub(crate) const MAX_HEADER_BOX: usize = 4096;

/// Largest `hdlr` read whole (its name is free text).
const MAX_HDLR: usize = 64 << 10;

/// Largest `stsd` read whole (sample entries with their configuration: usually under a
/// kilobyte; parameter sets can make an `avcC` a few).
const MAX_STSD: usize = 1 << 20;

/// A track's sample tables, positioned at their first sample. Cloning gives a fresh
/// walk with empty windows.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// `stsz` / `stz2`.
    pub(crate) sizes: SampleSizes,
    /// `stco` / `co64`.
    pub(crate) chunks: ChunkOffsets,
    /// `stsc`.
    pub(crate) stsc: SampleToChunk,
    /// `stts`.
    pub(crate) stts: Runs,
    /// `ctts`, if present.
    pub(crate) ctts: Option<Runs>,
    /// `stss`, if present (without it every sample is sync).
    pub(crate) stss: Option<SyncSamples>,
}

impl Tables {
    /// Bytes the tables' windows hold.
    pub(crate) fn capacity(&self) -> usize {
        [
            self.sizes.capacity(),
            self.chunks.capacity(),
            self.stsc.capacity(),
            self.stts.capacity(),
            self.ctts.as_ref().map_or(0, Runs::capacity),
            self.stss.as_ref().map_or(0, SyncSamples::capacity),
        ]
        .iter()
        .fold(0, |sum, &c| sum.saturating_add(c))
    }
}

/// A track as the `moov` describes it.
#[derive(Debug, Clone)]
pub(crate) struct MovieTrack {
    /// `tkhd` track_ID.
    pub(crate) id: u32,
    /// From `hdlr`.
    pub(crate) kind: TrackKind,
    /// `mdhd` timescale.
    pub(crate) timescale: u32,
    /// `mdhd` duration, which sets the last sample's duration (see `samples.rs`).
    pub(crate) media_duration: u64,
    /// `mdhd` language.
    pub(crate) language: Option<String>,
    /// First `stsd` entry.
    pub(crate) entry: SampleEntry,
    /// The `stbl` tables.
    pub(crate) tables: Tables,
}

/// What the `moov` says.
#[derive(Debug, Clone)]
pub(crate) struct Movie {
    /// Tracks in file order.
    pub(crate) tracks: Vec<MovieTrack>,
    /// Fragment defaults per track (`mvex/trex`).
    pub(crate) trex: Vec<Trex>,
}

impl Movie {
    /// Parses `moov`.
    pub(crate) fn parse<R: Read + Seek>(input: &mut Input<R>, moov: &BoxHeader) -> Result<Self> {
        let mut tracks: Vec<MovieTrack> = Vec::new();
        let mut trex = Vec::new();
        let mut children = Children::of(moov);
        while let Some(b) = children.next(input)? {
            if b.is(b"trak") {
                if tracks.len() >= MAX_TRACKS {
                    return Err(malformed(
                        "moov",
                        b.offset,
                        format!("more than {MAX_TRACKS} tracks"),
                    ));
                }
                let track = parse_trak(input, &b)?;
                if tracks.iter().any(|t| t.id == track.id) {
                    return Err(malformed(
                        "trak",
                        b.offset,
                        format!("a second track with track_ID {}", track.id),
                    ));
                }
                tracks.push(track);
            } else if b.is(b"mvex") {
                let mut inner = Children::of(&b);
                while let Some(t) = inner.find(input, b"trex")? {
                    if trex.len() >= MAX_TRACKS {
                        return Err(malformed(
                            "mvex",
                            t.offset,
                            format!("more than {MAX_TRACKS} trex boxes"),
                        ));
                    }
                    let data = t.read_whole(input, MAX_HEADER_BOX, "trex")?;
                    trex.push(Trex::parse(&t.as_ref(&data))?);
                }
            }
        }
        Ok(Movie { tracks, trex })
    }
}

/// `found`, or an error naming the box `parent` lacks.
fn required(found: Option<BoxHeader>, parent: &BoxHeader, name: &str) -> Result<BoxHeader> {
    found.ok_or_else(|| {
        malformed(
            "trak",
            parent.offset,
            format!("'{}' has no '{name}' box", parent.name()),
        )
    })
}

/// Collects the first box of each type of interest among a container's children.
fn collect<R: Read + Seek, const N: usize>(
    input: &mut Input<R>,
    parent: &BoxHeader,
    types: [&[u8; 4]; N],
) -> Result<[Option<BoxHeader>; N]> {
    let mut out = [None; N];
    let mut children = Children::of(parent);
    while let Some(b) = children.next(input)? {
        for (slot, t) in out.iter_mut().zip(types) {
            if slot.is_none() && b.is(t) {
                *slot = Some(b);
            }
        }
    }
    Ok(out)
}

/// Parses one `trak`.
fn parse_trak<R: Read + Seek>(input: &mut Input<R>, trak: &BoxHeader) -> Result<MovieTrack> {
    let [tkhd, mdia] = collect(input, trak, [b"tkhd", b"mdia"])?;
    let tkhd = required(tkhd, trak, "tkhd")?;
    let mdia = required(mdia, trak, "mdia")?;
    let data = tkhd.read_whole(input, MAX_HEADER_BOX, "tkhd")?;
    let id = Tkhd::parse(&tkhd.as_ref(&data))?.track_id;

    let [mdhd, hdlr, minf] = collect(input, &mdia, [b"mdhd", b"hdlr", b"minf"])?;
    let mdhd = required(mdhd, &mdia, "mdhd")?;
    let data = mdhd.read_whole(input, MAX_HEADER_BOX, "mdhd")?;
    let mdhd = Mdhd::parse(&mdhd.as_ref(&data))?;
    let hdlr = required(hdlr, &mdia, "hdlr")?;
    let data = hdlr.read_whole(input, MAX_HDLR, "hdlr")?;
    let kind = match &Hdlr::parse(&hdlr.as_ref(&data))?.handler_type {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        other => TrackKind::Other(*other),
    };
    let minf = required(minf, &mdia, "minf")?;
    let [stbl] = collect(input, &minf, [b"stbl"])?;
    let stbl = required(stbl, &minf, "stbl")?;
    let (entry, tables) = parse_stbl(input, &stbl)?;

    let code = mdhd.language_code();
    let language = (code != "und" && code.bytes().all(|b| b.is_ascii_lowercase())).then_some(code);
    Ok(MovieTrack {
        id,
        kind,
        timescale: mdhd.timescale,
        media_duration: mdhd.duration,
        language,
        entry,
        tables,
    })
}

/// Parses an `stbl`: the sample entry and the table headers.
fn parse_stbl<R: Read + Seek>(
    input: &mut Input<R>,
    stbl: &BoxHeader,
) -> Result<(SampleEntry, Tables)> {
    let [stsd, stsz, stz2, stco, co64, stsc, stts, ctts, stss] = collect(
        input,
        stbl,
        [
            b"stsd", b"stsz", b"stz2", b"stco", b"co64", b"stsc", b"stts", b"ctts", b"stss",
        ],
    )?;

    let stsd = required(stsd, stbl, "stsd")?;
    let data = stsd.read_whole(input, MAX_STSD, "stsd")?;
    let entry = parse_stsd(&stsd.as_ref(&data))?;

    let sizes = match stsz.or(stz2) {
        Some(b) => SampleSizes::parse(input, &b)?,
        None => SampleSizes::Constant { size: 0, count: 0 },
    };
    let samples = sizes.count();
    // Without samples the other tables may be absent (a fragmented file's empty moov).
    let needed = |found: Option<BoxHeader>, name: &str| -> Result<Option<BoxHeader>> {
        match found {
            None if samples > 0 => Err(malformed(
                "stbl",
                stbl.offset,
                format!("{samples} samples but no '{name}' box"),
            )),
            other => Ok(other),
        }
    };
    let chunks = match needed(stco.or(co64), "stco")? {
        Some(b) => ChunkOffsets::parse(input, &b)?,
        None => ChunkOffsets::empty(),
    };
    let stsc = match needed(stsc, "stsc")? {
        Some(b) => SampleToChunk::parse(input, &b)?,
        None => SampleToChunk::empty(),
    };
    let stts = match needed(stts, "stts")? {
        Some(b) => Runs::parse(input, &b, "stts")?,
        None => Runs::empty("stts"),
    };
    let ctts = ctts.map(|b| Runs::parse(input, &b, "ctts")).transpose()?;
    let stss = stss.map(|b| SyncSamples::parse(input, &b)).transpose()?;
    Ok((
        entry,
        Tables {
            sizes,
            chunks,
            stsc,
            stts,
            ctts,
            stss,
        },
    ))
}
