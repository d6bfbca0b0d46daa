//! The journal of a presentation being written: what recovery needs to turn the staged
//! media files into a presentation if the writer dies, and nothing secret (no key).
//!
//! A text file of one record per line, appended as the run goes: the presentation's
//! options, then a `stream` line per stream when it is added (its configured bit rate and
//! file name), a `track` line per stream once its header is written (everything the
//! manifests say of it but its bit rate and fragments), and `complete` once every file
//! is final and the manifests are written. Each line is `KIND key=value…`; strings and
//! bytes are hex (so no value holds a space or a newline), absent values are `-`. Unknown
//! keys are skipped, so a newer writer's journal still reads.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::{
    AudioAttributes, ManifestTrack, MediaAttributes, ProtectionHeader, TextAttributes, TrackKind,
    VideoAttributes,
};

/// The journal's file name inside the staging directory.
pub(crate) const JOURNAL_NAME: &str = ".ssf-journal";

/// First line of every journal: format and version.
const MAGIC: &str = "ssf-journal 1";

/// Largest journal read back; real ones are a few KiB.
const MAX_JOURNAL: u64 = 16 << 20;

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// The presentation: its name and the manifest options.
    Presentation {
        /// Presentation name (`NAME.ism`).
        name: String,
        /// Ticks per second of every time.
        timescale: u64,
        /// FORCE_FRAGMENT_ELEMENT: an `f` per QualityLevel in every `c`.
        fragment_elements: bool,
    },
    /// A content protection header of the client manifest (the PlayReady object: the
    /// KID, URLs and checksum, never the key).
    Protection(ProtectionHeader),
    /// A stream was added.
    Stream {
        /// Its index in the order added.
        index: usize,
        /// Its bit rate if the caller gave one (0: measured).
        bitrate: u32,
        /// The file name the caller chose, if any.
        file: Option<String>,
    },
    /// A stream's header was written: how it appears in the manifests (bit rate and
    /// fragments excepted, which recovery takes from the media).
    Track {
        /// Its index in the order added.
        index: usize,
        /// The manifest description.
        track: Box<ManifestTrack>,
    },
    /// Every file is final and the manifests are written: only publishing is left.
    Complete,
}

/// Appends records to a journal file.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Creates the journal in `dir` with its first records, durable before it returns.
    pub(crate) fn create(dir: &Path, records: &[Record]) -> Result<Self> {
        let path = dir.join(JOURNAL_NAME);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| Error::Io {
                op: "create",
                path: path.clone(),
                source,
            })?;
        lock(&file, &path)?;
        let mut journal = Journal { file, path };
        let mut text = format!("{MAGIC}\n");
        for record in records {
            text.push_str(&encode(record));
        }
        journal.write(&text, true)?;
        Ok(journal)
    }

    /// Opens the journal in `dir` to append to it (recovery finishing a run).
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(JOURNAL_NAME);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|source| Error::Io {
                op: "open",
                path: path.clone(),
                source,
            })?;
        lock(&file, &path)?;
        Ok(Journal { file, path })
    }

    /// Appends one record. `durable` waits for the disk (for the records a recovery
    /// depends on after a power cut, not only after a killed process).
    pub(crate) fn append(&mut self, record: &Record, durable: bool) -> Result<()> {
        let line = encode(record);
        self.write(&line, durable)
    }

    fn write(&mut self, text: &str, durable: bool) -> Result<()> {
        let io = |source| Error::Io {
            op: "write",
            path: self.path.clone(),
            source,
        };
        // One write per record: a killed process leaves whole lines or a torn last
        // line, which `parse` ignores.
        self.file.write_all(text.as_bytes()).map_err(io)?;
        if durable {
            self.file.sync_data().map_err(io)?;
        }
        Ok(())
    }
}

/// Holds the journal exclusively while its run lives, so that another run or a recovery
/// can tell a live run from an interrupted one (the lock dies with the process).
fn lock(file: &File, path: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InvalidState(format!(
            "{}: another run is writing this presentation now",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
            op: "lock",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads the journal in `dir`.
pub(crate) fn read(dir: &Path) -> Result<Vec<Record>> {
    let path = dir.join(JOURNAL_NAME);
    let io = |source| Error::Io {
        op: "read",
        path: path.clone(),
        source,
    };
    let size = std::fs::metadata(&path).map_err(io)?.len();
    if size > MAX_JOURNAL {
        return Err(Error::Unrecoverable {
            path,
            reason: format!("journal of {size} bytes is not one this library wrote"),
        });
    }
    let data = std::fs::read(&path).map_err(io)?;
    parse(&data).map_err(|reason| Error::Unrecoverable { path, reason })
}

/// The records of a journal. A last line without its newline was torn by a kill and is
/// dropped; any other line that does not parse is an error.
pub(crate) fn parse(data: &[u8]) -> std::result::Result<Vec<Record>, String> {
    let text = std::str::from_utf8(data).map_err(|e| {
        format!(
            "journal is not text (byte {} is not UTF-8)",
            e.valid_up_to()
        )
    })?;
    let complete = match text.rfind('\n') {
        Some(end) => text.get(..end).unwrap_or_default(),
        None => "",
    };
    let mut lines = complete.split('\n').enumerate();
    match lines.next() {
        Some((_, MAGIC)) => {}
        _ => return Err(format!("journal does not start with {MAGIC:?}")),
    }
    lines
        .map(|(n, line)| decode(line).map_err(|e| format!("journal line {}: {e}", n + 1)))
        .collect()
}

/// One record as a line.
fn encode(record: &Record) -> String {
    let mut s = String::new();
    match record {
        Record::Presentation {
            name,
            timescale,
            fragment_elements,
        } => {
            let _ = write!(
                s,
                "presentation name={} timescale={timescale} fragment_elements={}",
                hex::encode(name),
                u8::from(*fragment_elements)
            );
        }
        Record::Protection(p) => {
            let _ = write!(
                s,
                "protection system={} data={}",
                hex::encode(p.system_id),
                hex::encode(&p.data)
            );
        }
        Record::Stream {
            index,
            bitrate,
            file,
        } => {
            let _ = write!(
                s,
                "stream index={index} bitrate={bitrate} file={}",
                optional_text(file.as_deref())
            );
        }
        Record::Track { index, track } => encode_track(&mut s, *index, track),
        Record::Complete => s.push_str("complete"),
    }
    s.push('\n');
    s
}

fn encode_track(s: &mut String, index: usize, t: &ManifestTrack) {
    let kind = match t.kind {
        TrackKind::Video => "video",
        TrackKind::Audio => "audio",
        TrackKind::Text => "text",
    };
    let _ = write!(
        s,
        "track index={index} kind={kind} name={} default_name={} language={} quality={} fourcc={} cpd={} track_id={}",
        hex::encode(&t.name),
        u8::from(t.name_is_default),
        optional_text(t.language.as_deref()),
        t.quality_index.map_or("-".to_string(), |q| q.to_string()),
        hex::encode(&t.fourcc),
        hex::encode(&t.codec_private_data),
        t.track_id,
    );
    match &t.attributes {
        MediaAttributes::Video(v) => {
            let _ = write!(
                s,
                " width={} height={} display_width={} display_height={}",
                v.width, v.height, v.display_width, v.display_height
            );
        }
        MediaAttributes::Audio(a) => {
            let _ = write!(
                s,
                " sampling_rate={} channels={} bits_per_sample={} packet_size={} audio_tag={}",
                a.sampling_rate, a.channels, a.bits_per_sample, a.packet_size, a.audio_tag
            );
        }
        MediaAttributes::Text(x) => {
            let _ = write!(
                s,
                " subtype={} parent={} manifest_output={}",
                hex::encode(&x.subtype),
                hex::encode(&x.parent),
                u8::from(x.manifest_output)
            );
        }
    }
}

fn optional_text(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_string(), hex::encode)
}

/// The `key=value` fields of one line.
struct Fields<'a> {
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    fn new(rest: &'a str) -> std::result::Result<Self, String> {
        let fields = rest
            .split(' ')
            .filter(|f| !f.is_empty())
            .map(|f| {
                f.split_once('=')
                    .ok_or_else(|| format!("{f:?} is not key=value"))
            })
            .collect::<std::result::Result<_, _>>()?;
        Ok(Fields { fields })
    }

    fn raw(&self, key: &str) -> std::result::Result<&'a str, String> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("no {key}"))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> std::result::Result<T, String> {
        let raw = self.raw(key)?;
        raw.parse()
            .map_err(|_| format!("{key}={raw:?} is not a number in range"))
    }

    fn flag(&self, key: &str) -> std::result::Result<bool, String> {
        match self.raw(key)? {
            "0" => Ok(false),
            "1" => Ok(true),
            other => Err(format!("{key}={other:?} is not 0 or 1")),
        }
    }

    fn bytes(&self, key: &str) -> std::result::Result<Vec<u8>, String> {
        hex::decode(self.raw(key)?).map_err(|e| format!("{key}: {e}"))
    }

    fn text(&self, key: &str) -> std::result::Result<String, String> {
        String::from_utf8(self.bytes(key)?).map_err(|_| format!("{key} is not UTF-8"))
    }

    fn optional_text(&self, key: &str) -> std::result::Result<Option<String>, String> {
        match self.raw(key)? {
            "-" => Ok(None),
            _ => self.text(key).map(Some),
        }
    }
}

fn decode(line: &str) -> std::result::Result<Record, String> {
    let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
    let f = Fields::new(rest)?;
    Ok(match kind {
        "presentation" => Record::Presentation {
            name: f.text("name")?,
            timescale: f.number("timescale")?,
            fragment_elements: f.flag("fragment_elements")?,
        },
        "protection" => Record::Protection(ProtectionHeader {
            system_id: <[u8; 16]>::try_from(f.bytes("system")?)
                .map_err(|_| "system is not 16 bytes".to_string())?,
            data: f.bytes("data")?,
        }),
        "stream" => Record::Stream {
            index: f.number("index")?,
            bitrate: f.number("bitrate")?,
            file: f.optional_text("file")?,
        },
        "track" => Record::Track {
            index: f.number("index")?,
            track: Box::new(decode_track(&f)?),
        },
        "complete" => Record::Complete,
        other => return Err(format!("unknown record {other:?}")),
    })
}

fn decode_track(f: &Fields<'_>) -> std::result::Result<ManifestTrack, String> {
    let (kind, attributes) = match f.raw("kind")? {
        "video" => (
            TrackKind::Video,
            MediaAttributes::Video(VideoAttributes {
                width: f.number("width")?,
                height: f.number("height")?,
                display_width: f.number("display_width")?,
                display_height: f.number("display_height")?,
            }),
        ),
        "audio" => (
            TrackKind::Audio,
            MediaAttributes::Audio(AudioAttributes {
                sampling_rate: f.number("sampling_rate")?,
                channels: f.number("channels")?,
                bits_per_sample: f.number("bits_per_sample")?,
                packet_size: f.number("packet_size")?,
                audio_tag: f.number("audio_tag")?,
            }),
        ),
        "text" => (
            TrackKind::Text,
            MediaAttributes::Text(TextAttributes {
                subtype: f.text("subtype")?,
                parent: f.text("parent")?,
                manifest_output: f.flag("manifest_output")?,
                inline_fragments: Vec::new(),
            }),
        ),
        other => return Err(format!("kind={other:?} is not video, audio or text")),
    };
    Ok(ManifestTrack {
        kind,
        name: f.text("name")?,
        name_is_default: f.flag("default_name")?,
        language: f.optional_text("language")?,
        bitrate: 0,
        quality_index: match f.raw("quality")? {
            "-" => None,
            _ => Some(f.number("quality")?),
        },
        fourcc: f.text("fourcc")?,
        codec_private_data: f.bytes("cpd")?,
        attributes,
        source: String::new(),
        track_id: f.number("track_id")?,
        fragments: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(kind: TrackKind, attributes: MediaAttributes) -> ManifestTrack {
        ManifestTrack {
            kind,
            name: "audio fr ñ".into(),
            name_is_default: false,
            language: Some("fra".into()),
            bitrate: 0,
            quality_index: Some(3),
            fourcc: "AACL".into(),
            codec_private_data: vec![0x11, 0x90],
            attributes,
            source: String::new(),
            track_id: 2,
            fragments: Vec::new(),
        }
    }

    fn all_records() -> Vec<Record> {
        vec![
            Record::Presentation {
                name: "show time".into(),
                timescale: 10_000_000,
                fragment_elements: true,
            },
            Record::Protection(ProtectionHeader {
                system_id: [7; 16],
                data: vec![1, 2, 3],
            }),
            Record::Stream {
                index: 0,
                bitrate: 0,
                file: None,
            },
            Record::Stream {
                index: 1,
                bitrate: 96_000,
                file: Some("a b.isma".into()),
            },
            Record::Track {
                index: 1,
                track: Box::new(track(
                    TrackKind::Audio,
                    MediaAttributes::Audio(AudioAttributes {
                        sampling_rate: 48_000,
                        channels: 2,
                        bits_per_sample: 16,
                        packet_size: 4,
                        audio_tag: 255,
                    }),
                )),
            },
            Record::Track {
                index: 0,
                track: Box::new(track(
                    TrackKind::Video,
                    MediaAttributes::Video(VideoAttributes {
                        width: 640,
                        height: 360,
                        display_width: 640,
                        display_height: 360,
                    }),
                )),
            },
            Record::Track {
                index: 2,
                track: Box::new(track(
                    TrackKind::Text,
                    MediaAttributes::Text(TextAttributes {
                        subtype: "CAPT".into(),
                        parent: "video".into(),
                        manifest_output: true,
                        inline_fragments: Vec::new(),
                    }),
                )),
            },
            Record::Complete,
        ]
    }

    #[test]
    fn records_survive_a_round_trip() {
        let records = all_records();
        let mut text = format!("{MAGIC}\n");
        for r in &records {
            text.push_str(&encode(r));
        }
        assert_eq!(parse(text.as_bytes()), Ok(records));
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_other_damage_refused() {
        let records = all_records();
        let mut text = format!("{MAGIC}\n");
        text.push_str(&encode(&records[0]));
        text.push_str("stream index=1 bitr");
        assert_eq!(parse(text.as_bytes()), Ok(vec![records[0].clone()]));
        assert!(parse(b"not a journal\n").is_err());
        let bad = format!("{MAGIC}\nstream index=x bitrate=0 file=-\n");
        let err = parse(bad.as_bytes()).unwrap_err();
        assert!(err.contains("line 2") && err.contains("index"), "{err}");
        assert!(parse(format!("{MAGIC}\nwhat\n").as_bytes()).is_err());
    }

    #[test]
    fn journals_are_written_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let records = all_records();
        let mut journal = Journal::create(dir.path(), &records[..2]).unwrap();
        for r in &records[2..] {
            journal.append(r, false).unwrap();
        }
        assert_eq!(read(dir.path()).unwrap(), records);
        assert!(
            Journal::create(dir.path(), &[]).is_err(),
            "never overwritten"
        );
    }
}
