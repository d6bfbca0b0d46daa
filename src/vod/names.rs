//! The file names of a presentation's streams, decided once every bit rate is known (at
//! `finish`, or by recovery from the same facts), so that both always agree.

use crate::codec::MediaKind;
use crate::error::{Error, Result};

/// What names one stream's file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameFacts<'a> {
    /// Video, audio or text: the extension and the stem's shape.
    pub kind: MediaKind,
    /// The final bit rate (0 when none is known).
    pub bitrate: u32,
    /// ISO 639-2 language, if any.
    pub language: Option<&'a str>,
    /// StreamIndex name (text file stems use it).
    pub track_name: &'a str,
    /// The name the caller chose, if any: used as given.
    pub given: Option<&'a str>,
}

/// Prefix of the names files have while a presentation is being written; no final name
/// may start with it, so renaming staged files to final ones can never collide.
pub(crate) const STAGED_PREFIX: &str = ".ssf-";

/// The extension of a stream's file.
pub(crate) fn extension(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Video => "ismv",
        MediaKind::Audio => "isma",
        MediaKind::Text => "ismt",
    }
}

/// Checks a caller-chosen stream file name: a plain name, not a staging name.
pub(crate) fn check_given(name: &str) -> Result<()> {
    if name.is_empty()
        || name.contains(['/', '\\', '\0'])
        || name == "."
        || name == ".."
        || name.starts_with(STAGED_PREFIX)
    {
        return Err(Error::InvalidArgument(format!(
            "stream file name {name:?} is not a plain file name (or starts with the reserved {STAGED_PREFIX:?})"
        )));
    }
    Ok(())
}

/// The file name of every stream, in order: a given name as is; otherwise
/// `NAME_BITRATE.ismv`, `NAME_audio[_LANG][_BITRATE].isma`, `NAME_TRACKNAME.ismt`, with
/// `_2`, `_3`… added where two would be equal or equal a given name.
pub(crate) fn file_names(presentation: &str, streams: &[NameFacts<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(streams.len());
    for (i, facts) in streams.iter().enumerate() {
        if let Some(given) = facts.given {
            names.push(given.to_string());
            continue;
        }
        let stem = stem(presentation, facts);
        let ext = extension(facts.kind);
        let taken = |candidate: &str| {
            names.iter().any(|n| n == candidate)
                || streams
                    .iter()
                    .skip(i + 1)
                    .any(|later| later.given == Some(candidate))
        };
        let mut name = format!("{stem}.{ext}");
        let mut n = 2;
        while taken(&name) {
            name = format!("{stem}_{n}.{ext}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// The part of a generated name before any `_N` and the extension.
fn stem(presentation: &str, facts: &NameFacts<'_>) -> String {
    let bitrate = facts.bitrate;
    match facts.kind {
        MediaKind::Video if bitrate != 0 => format!("{presentation}_{bitrate}"),
        MediaKind::Video => format!("{presentation}_video"),
        MediaKind::Audio => {
            let mut stem = format!("{presentation}_audio");
            if let Some(lang) = facts.language {
                stem.push('_');
                stem.push_str(lang);
            }
            if bitrate != 0 {
                stem.push_str(&format!("_{bitrate}"));
            }
            stem
        }
        MediaKind::Text => format!("{presentation}_{}", facts.track_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: MediaKind, bitrate: u32, given: Option<&str>) -> NameFacts<'_> {
        NameFacts {
            kind,
            bitrate,
            language: None,
            track_name: "captions",
            given,
        }
    }

    #[test]
    fn generated_names_follow_the_pattern_and_never_collide() {
        let names = file_names(
            "show",
            &[
                facts(MediaKind::Video, 800_000, None),
                facts(MediaKind::Video, 800_000, None),
                facts(MediaKind::Audio, 128_000, None),
                facts(MediaKind::Text, 0, None),
                facts(MediaKind::Video, 0, Some("show_1500000.ismv")),
                facts(MediaKind::Video, 1_500_000, None),
            ],
        );
        assert_eq!(
            names,
            [
                "show_800000.ismv",
                "show_800000_2.ismv",
                "show_audio_128000.isma",
                "show_captions.ismt",
                "show_1500000.ismv",
                "show_1500000_2.ismv"
            ]
        );
    }

    #[test]
    fn given_names_must_be_plain_and_not_staging_names() {
        assert!(check_given("a.ismv").is_ok());
        for bad in ["", ".", "..", "a/b.ismv", "a\\b", ".ssf-stream-0.ismv"] {
            assert!(check_given(bad).is_err(), "{bad:?}");
        }
    }
}
