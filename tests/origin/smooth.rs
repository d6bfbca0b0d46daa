//! What the origin tests read of Smooth documents and files, written here with
//! quick-xml and the box reader so that the server's own resolver is not checked by
//! itself: client manifests (StreamIndexes, levels, fragment times), server manifests
//! (name and bit rate to file and track) and a file's fragment at a `tfra` time.

#![allow(dead_code)]

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use ssf::isobmff::reader::{self, Mfro, Tfra};

/// One StreamIndex of a client manifest.
#[derive(Debug, Clone, Default)]
pub struct StreamIndex {
    pub kind: String,
    pub name: String,
    pub bitrates: Vec<u32>,
    /// Every fragment's start (`t`, or the previous start plus duration).
    pub times: Vec<u64>,
    pub durations: Vec<u64>,
}

/// A client manifest.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub root: Vec<(String, String)>,
    pub streams: Vec<StreamIndex>,
    pub protection: bool,
}

impl Manifest {
    /// A root attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.root
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The StreamIndex of `kind`.
    pub fn stream(&self, kind: &str) -> &StreamIndex {
        self.streams
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} StreamIndex"))
    }
}

fn attrs(e: &BytesStart<'_>) -> Vec<(String, String)> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                a.key.as_ref().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

fn get<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Parses a client manifest.
pub fn manifest(xml: &str) -> Manifest {
    let mut reader = Reader::from_str(xml);
    let mut m = Manifest::default();
    let mut next_time = 0u64;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                match e.name().as_ref() {
                    "SmoothStreamingMedia" => m.root = a,
                    "StreamIndex" => {
                        m.streams.push(StreamIndex {
                            kind: get(&a, "Type").unwrap().to_string(),
                            name: get(&a, "Name").unwrap().to_string(),
                            ..StreamIndex::default()
                        });
                        next_time = 0;
                    }
                    "QualityLevel" => {
                        let s = m.streams.last_mut().unwrap();
                        s.bitrates
                            .push(get(&a, "Bitrate").unwrap().parse().unwrap());
                    }
                    "c" => {
                        let s = m.streams.last_mut().unwrap();
                        let t = get(&a, "t").map_or(next_time, |t| t.parse().unwrap());
                        let d: u64 = get(&a, "d").unwrap().parse().unwrap();
                        s.times.push(t);
                        s.durations.push(d);
                        next_time = t + d;
                    }
                    "Protection" => m.protection = true,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    m
}

/// One media element of a server manifest.
#[derive(Debug, Clone)]
pub struct IsmTrack {
    pub name: String,
    pub bitrate: u32,
    pub src: String,
    pub track_id: u32,
}

/// The media elements of a server manifest, with each StreamIndex name (`trackName`,
/// else `video`/`audio`/`text`).
pub fn ism(xml: &str) -> Vec<IsmTrack> {
    let mut reader = Reader::from_str(xml);
    let mut out: Vec<IsmTrack> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                let default = match e.name().as_ref() {
                    "video" => Some("video"),
                    "audio" => Some("audio"),
                    "textstream" => Some("text"),
                    _ => None,
                };
                if let Some(default) = default {
                    out.push(IsmTrack {
                        name: default.to_string(),
                        bitrate: get(&a, "systemBitrate").unwrap().parse().unwrap(),
                        src: get(&a, "src").unwrap().to_string(),
                        track_id: 1,
                    });
                } else if e.name().as_ref() == "param" {
                    let t = out.last_mut().unwrap();
                    match get(&a, "name").unwrap() {
                        "trackName" => t.name = get(&a, "value").unwrap().to_string(),
                        "trackID" => t.track_id = get(&a, "value").unwrap().parse().unwrap(),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The `moof` + `mdat` of track `track_id` at `time` in `file`, found through its
/// `mfra`.
pub fn fragment_at(file: &[u8], track_id: u32, time: u64) -> Vec<u8> {
    let mfro = reader::boxes(&file[file.len() - 16..])
        .next()
        .unwrap()
        .unwrap();
    let size = Mfro::parse(&mfro).unwrap().size as usize;
    let mfra = reader::boxes(&file[file.len() - size..])
        .next()
        .unwrap()
        .unwrap();
    let offset = mfra
        .find_all("tfra")
        .unwrap()
        .iter()
        .map(|t| Tfra::parse(t).unwrap())
        .filter(|t| t.track_id == track_id)
        .flat_map(|t| t.entries)
        .find(|e| e.time == time)
        .unwrap_or_else(|| panic!("no tfra entry of track {track_id} at {time}"))
        .moof_offset as usize;
    let mut boxes = reader::boxes(&file[offset..]);
    let moof = boxes.next().unwrap().unwrap();
    let mdat = boxes.next().unwrap().unwrap();
    assert!(moof.is(b"moof") && mdat.is(b"mdat"));
    file[offset..offset + (moof.size() + mdat.size()) as usize].to_vec()
}
