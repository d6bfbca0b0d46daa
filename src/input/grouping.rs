//! Which streams become the QualityLevels (bit rates) of one StreamIndex.
//!
//! A player switches between the QualityLevels of a StreamIndex at any fragment, so they
//! must decode alike: the same codec and, for audio, the same sampling rate and channel
//! count, and the same language. Streams that differ get StreamIndexes of their own,
//! named apart: `ssfmux clip.h264 surround51.aac stereo.aac` gives the StreamIndexes
//! `audio` (5.1) and `audio_2` (stereo), not one `audio` with two "bit rates". A name the
//! user gives joins the streams named alike, which must then be switchable too.

use crate::codec::MediaKind;
use crate::error::{Error, Result};

/// What decides whether two streams are switchable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Switchable {
    /// Video, audio or text.
    pub(crate) kind: MediaKind,
    /// The manifest FourCC (H264, WVC1, AACL, AACH, WMAP, TTML, …).
    pub(crate) fourcc: &'static str,
    /// Audio: output sampling rate and channel count.
    pub(crate) audio: Option<(u32, u16)>,
    /// ISO 639-2 language.
    pub(crate) language: Option<String>,
}

impl Switchable {
    /// In words, for messages: "AACL 48000 Hz 2 ch fra".
    fn describe(&self) -> String {
        let mut out = self.fourcc.to_string();
        if let Some((rate, channels)) = self.audio {
            out.push_str(&format!(" {rate} Hz {channels} ch"));
        }
        if let Some(language) = &self.language {
            out.push(' ');
            out.push_str(language);
        }
        out
    }
}

/// One stream to place: how it is named in messages, what makes it switchable, and
/// the StreamIndex name the user gave it, if any.
#[derive(Debug, Clone)]
pub(crate) struct ToPlace {
    /// The input (and track), for messages.
    pub(crate) label: String,
    /// Its switchability.
    pub(crate) key: Switchable,
    /// A StreamIndex name given by the user.
    pub(crate) given: Option<String>,
}

/// The StreamIndex name a stream appears under when nobody names it.
pub(crate) fn default_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Text => "captions",
    }
}

/// A StreamIndex being formed.
struct Group<'a> {
    name: String,
    key: &'a Switchable,
    /// Named by the user (only streams given the same name join it).
    given: bool,
    /// The first stream's label, for messages.
    label: &'a str,
}

/// The StreamIndex name of each stream, in order: `None` where it is the default name
/// of its kind (which the stream configuration already carries, so configurations and
/// output stay as they always were), else the name to set. Streams given one name must
/// be switchable; other streams join the first earlier unnamed group that is, else get
/// the default name, or `NAME_LANG`, or `NAME_2`, `NAME_3`… whichever is free.
pub(crate) fn stream_index_names(streams: &[ToPlace]) -> Result<Vec<Option<String>>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    // Given names first, so that no generated name takes one.
    for s in streams {
        let Some(name) = &s.given else { continue };
        match groups.iter().find(|g| &g.name == name) {
            Some(g) if g.key != &s.key => {
                return Err(Error::input(
                    s.label.clone(),
                    format!(
                        "named {name:?} like {}, but a player cannot switch between them \
                         ({} and {}): give them different names",
                        g.label,
                        s.key.describe(),
                        g.key.describe()
                    ),
                ));
            }
            Some(_) => {}
            None => groups.push(Group {
                name: name.clone(),
                key: &s.key,
                given: true,
                label: &s.label,
            }),
        }
    }
    let mut out = Vec::with_capacity(streams.len());
    for s in streams {
        if let Some(name) = &s.given {
            out.push(Some(name.clone()));
            continue;
        }
        let base = default_name(s.key.kind);
        if let Some(g) = groups.iter().find(|g| !g.given && g.key == &s.key) {
            out.push((g.name != base).then(|| g.name.clone()));
            continue;
        }
        let taken = |name: &str| groups.iter().any(|g| g.name == name);
        let mut name = base.to_string();
        if taken(&name)
            && let Some(language) = &s.key.language
        {
            name = format!("{base}_{language}");
        }
        let mut n = 2;
        while taken(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push((name != base).then(|| name.clone()));
        groups.push(Group {
            name,
            key: &s.key,
            given: false,
            label: &s.label,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(fourcc: &'static str) -> Switchable {
        Switchable {
            kind: MediaKind::Video,
            fourcc,
            audio: None,
            language: None,
        }
    }

    fn audio(rate: u32, channels: u16, language: Option<&str>) -> Switchable {
        Switchable {
            kind: MediaKind::Audio,
            fourcc: "AACL",
            audio: Some((rate, channels)),
            language: language.map(str::to_string),
        }
    }

    fn place(label: &str, key: Switchable, given: Option<&str>) -> ToPlace {
        ToPlace {
            label: label.into(),
            key,
            given: given.map(str::to_string),
        }
    }

    fn names(streams: &[ToPlace]) -> Vec<Option<String>> {
        stream_index_names(streams).unwrap()
    }

    #[test]
    fn a_ladder_stays_one_stream_index_per_kind() {
        let streams = [
            place("360.h264", video("H264"), None),
            place("720.h264", video("H264"), None),
            place("a.aac", audio(48000, 2, None), None),
        ];
        assert_eq!(names(&streams), [None, None, None]);
    }

    #[test]
    fn audio_a_player_cannot_switch_between_gets_its_own_stream_index() {
        let streams = [
            place("clip.h264", video("H264"), None),
            place("surround51.aac", audio(48000, 6, None), None),
            place("stereo.aac", audio(48000, 2, None), None),
            place("stereo_low.aac", audio(48000, 2, None), None),
            place("stereo44.aac", audio(44100, 2, None), None),
            place("vc1.vc1", video("WVC1"), None),
        ];
        let expect = [
            None,
            None,
            Some("audio_2"),
            Some("audio_2"),
            Some("audio_3"),
        ];
        let mut expect: Vec<Option<String>> =
            expect.iter().map(|n| n.map(str::to_string)).collect();
        expect.push(Some("video_2".into()));
        assert_eq!(names(&streams), expect);
    }

    #[test]
    fn languages_name_their_stream_indexes() {
        let streams = [
            place("en.aac", audio(48000, 2, Some("eng")), None),
            place("fr.aac", audio(48000, 2, Some("fra")), None),
            place("fr2.aac", audio(48000, 2, Some("fra")), None),
            place(
                "en.ttml",
                Switchable {
                    kind: MediaKind::Text,
                    fourcc: "TTML",
                    audio: None,
                    language: Some("eng".into()),
                },
                None,
            ),
            place(
                "fr.ttml",
                Switchable {
                    kind: MediaKind::Text,
                    fourcc: "TTML",
                    audio: None,
                    language: Some("fra".into()),
                },
                None,
            ),
        ];
        assert_eq!(
            names(&streams),
            [
                None,
                Some("audio_fra".into()),
                Some("audio_fra".into()),
                None,
                Some("captions_fra".into())
            ]
        );
    }

    #[test]
    fn given_names_group_and_must_be_switchable() {
        let streams = [
            place("a.aac", audio(48000, 2, None), Some("audio_2")),
            place("b.aac", audio(48000, 6, None), None),
            place("c.aac", audio(48000, 2, None), None),
            place("d.aac", audio(48000, 2, None), Some("audio_2")),
        ];
        assert_eq!(
            names(&streams),
            [
                Some("audio_2".into()),
                None,
                Some("audio_3".into()),
                Some("audio_2".into())
            ]
        );
        let clash = [
            place("a.aac", audio(48000, 2, None), Some("main")),
            place("b.aac", audio(48000, 6, None), Some("main")),
        ];
        let e = stream_index_names(&clash).unwrap_err().to_string();
        assert_eq!(
            e,
            "b.aac: named \"main\" like a.aac, but a player cannot switch between them \
             (AACL 48000 Hz 6 ch and AACL 48000 Hz 2 ch): give them different names"
        );
    }
}
