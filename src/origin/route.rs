//! The URL grammar the origin serves (IIS's, MS-SSTR §2.2 and live-ingest.md §1.1):
//!
//! - `/` — the list of presentations and publishing points;
//! - `/play/PATH` — a page playing `PATH` (an `.ism` or `.isml`) with dash.js;
//! - `/PATH/FILE.js` (`.css`, `.html`, images, captions…) — a plain file a page needs;
//! - `/PATH/NAME.ism/Manifest` and `/PATH/NAME.isml/Manifest` — the client manifest;
//! - `/PATH/NAME.ism[l]/QualityLevels(BITRATE)/Fragments(STREAM=TIME)` — one fragment
//!   (`QualityLevels(BITRATE,CUSTOM)` is accepted, the custom part ignored);
//! - `/PATH/NAME.isml[/Events(ID)]/Streams(ID)` — live ingest (POST).
//!
//! Keywords match case-insensitively, as on IIS (Windows paths).

use super::http::HttpError;

/// What a request path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// The list page.
    Index,
    /// The player page of the presentation at these segments.
    Play(Vec<String>),
    /// A plain file a page may need (a local dash.js, styles, images), by extension.
    File(Vec<String>),
    /// A client manifest.
    Manifest(Presentation),
    /// One fragment.
    Fragment(FragmentRequest),
    /// Live ingest into a publishing point.
    Ingest {
        /// The `.isml` segments.
        point: Vec<String>,
        /// `Events(ID)`, if given.
        event: Option<String>,
        /// `Streams(ID)`.
        stream: String,
    },
}

/// `…/QualityLevels(BITRATE)/Fragments(STREAM=TIME)`, or `FragmentInfo(STREAM=TIME)`
/// for the fragment's `moof` alone (MS-SSTR's FragmentInfo request; dash.js follows a
/// live edge with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FragmentRequest {
    /// The presentation.
    pub presentation: Presentation,
    /// `QualityLevels(BITRATE)`.
    pub bitrate: u32,
    /// The StreamIndex name in `Fragments(NAME=…)`.
    pub stream: String,
    /// The start time in `Fragments(…=TIME)`.
    pub time: u64,
    /// `FragmentInfo`: the `moof` only.
    pub info: bool,
}

/// An `.ism` (on demand) or `.isml` (live) presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presentation {
    /// Path segments up to and including `NAME.ism` / `NAME.isml`.
    pub segments: Vec<String>,
    /// True for `.isml`.
    pub live: bool,
}

/// Longest identifier accepted in `Streams()` / `Events()`.
const MAX_ID: usize = 128;

/// The route of decoded path `segments`.
pub(crate) fn route(segments: Vec<String>) -> Result<Route, HttpError> {
    if segments.is_empty() {
        return Ok(Route::Index);
    }
    if segments.first().is_some_and(|s| s == "play") {
        return Ok(Route::Play(segments.get(1..).unwrap_or_default().to_vec()));
    }
    let Some(at) = segments.iter().position(|s| presentation_kind(s).is_some()) else {
        if segments
            .last()
            .is_some_and(|s| super::files::content_type(s).is_some())
        {
            return Ok(Route::File(segments));
        }
        return Err(not_found(&segments));
    };
    let live = segments
        .get(at)
        .and_then(|s| presentation_kind(s))
        .unwrap_or(false);
    let (head, tail) = segments.split_at(at + 1);
    let presentation = Presentation {
        segments: head.to_vec(),
        live,
    };
    match tail {
        [m] if m.eq_ignore_ascii_case("Manifest") => Ok(Route::Manifest(presentation)),
        [q, f] if keyword(q, "QualityLevels").is_some() => {
            let bitrate = quality_level(q)?;
            let (stream, time, info) = fragments(f)?;
            Ok(Route::Fragment(FragmentRequest {
                presentation,
                bitrate,
                stream,
                time,
                info,
            }))
        }
        [s] if live && keyword(s, "Streams").is_some() => Ok(Route::Ingest {
            point: presentation.segments,
            event: None,
            stream: identifier(s, "Streams")?,
        }),
        [e, s] if live && keyword(e, "Events").is_some() => Ok(Route::Ingest {
            point: presentation.segments,
            event: Some(identifier(e, "Events")?),
            stream: identifier(s, "Streams")?,
        }),
        _ => Err(not_found(&segments)),
    }
}

fn not_found(segments: &[String]) -> HttpError {
    HttpError::not_found(format!(
        "/{}: nothing here (presentations are served as /PATH/NAME.ism/Manifest and /PATH/NAME.ism/QualityLevels(BITRATE)/Fragments(STREAM=TIME))",
        segments.join("/")
    ))
}

/// Some(false) for `NAME.ism`, Some(true) for `NAME.isml`, None otherwise.
fn presentation_kind(segment: &str) -> Option<bool> {
    let lower = segment.to_ascii_lowercase();
    if lower.len() > 4 && lower.ends_with(".ism") {
        Some(false)
    } else if lower.len() > 5 && lower.ends_with(".isml") {
        Some(true)
    } else {
        None
    }
}

/// The text between `WORD(` and the closing `)` of a segment, when it is `WORD(…)`.
fn keyword<'a>(segment: &'a str, word: &str) -> Option<&'a str> {
    let open = segment.get(..word.len())?;
    if !open.eq_ignore_ascii_case(word) {
        return None;
    }
    segment
        .get(word.len()..)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

/// `QualityLevels(BITRATE[,CUSTOM])`.
fn quality_level(segment: &str) -> Result<u32, HttpError> {
    let inner = keyword(segment, "QualityLevels").unwrap_or_default();
    let number = inner.split(',').next().unwrap_or_default();
    decimal(number)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            HttpError::bad_request(format!(
                "{segment:?}: the bit rate must be a decimal number (QualityLevels(BITRATE))"
            ))
        })
}

/// `Fragments(NAME=TIME)` or `FragmentInfo(NAME=TIME)` (then true).
fn fragments(segment: &str) -> Result<(String, u64, bool), HttpError> {
    let bad = || {
        HttpError::bad_request(format!(
            "{segment:?}: expected Fragments(STREAM=TIME) with a decimal TIME"
        ))
    };
    let (inner, info) = match keyword(segment, "Fragments") {
        Some(inner) => (inner, false),
        None => (keyword(segment, "FragmentInfo").ok_or_else(bad)?, true),
    };
    let (name, time) = inner.rsplit_once('=').ok_or_else(bad)?;
    if name.is_empty() {
        return Err(bad());
    }
    Ok((name.to_string(), decimal(time).ok_or_else(bad)?, info))
}

/// `WORD(ID)` where ID is 1 to 128 URL-safe characters (live-ingest.md §1.1).
fn identifier(segment: &str, word: &str) -> Result<String, HttpError> {
    let id = keyword(segment, word).unwrap_or_default();
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~'));
    if ok {
        Ok(id.to_string())
    } else {
        Err(HttpError::bad_request(format!(
            "{segment:?}: the {word} identifier must be 1 to {MAX_ID} of A-Z a-z 0-9 _ . - ~"
        )))
    }
}

/// A plain decimal number (no sign, no spaces), at most 20 digits.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_iis_grammar_is_parsed() {
        assert_eq!(route(vec![]).unwrap(), Route::Index);
        let p = |s: &str, live| Presentation {
            segments: segs(s),
            live,
        };
        assert_eq!(
            route(segs("a/b.ism/manifest")).unwrap(),
            Route::Manifest(p("a/b.ism", false))
        );
        assert_eq!(
            route(segs(
                "b.ism/QualityLevels(125000,x=1)/Fragments(audio_eng=20000000)"
            ))
            .unwrap(),
            Route::Fragment(FragmentRequest {
                presentation: p("b.ism", false),
                bitrate: 125_000,
                stream: "audio_eng".into(),
                time: 20_000_000,
                info: false,
            })
        );
        let Route::Fragment(info) =
            route(segs("c.isml/QualityLevels(1)/FragmentInfo(video=0)")).unwrap()
        else {
            panic!("a fragment request")
        };
        assert!(info.info && info.presentation.live);
        assert_eq!(
            route(segs("live/c.isml/Events(e1)/Streams(video_1.ismv)")).unwrap(),
            Route::Ingest {
                point: segs("live/c.isml"),
                event: Some("e1".into()),
                stream: "video_1.ismv".into()
            }
        );
        assert_eq!(
            route(segs("play/a/b.ism")).unwrap(),
            Route::Play(segs("a/b.ism"))
        );
        assert_eq!(
            route(segs("js/dash.all.min.js")).unwrap(),
            Route::File(segs("js/dash.all.min.js"))
        );
    }

    #[test]
    fn malformed_requests_are_refused() {
        for bad in [
            "b.ism/QualityLevels(x)/Fragments(video=0)",
            "b.ism/QualityLevels(99999999999)/Fragments(video=0)",
            "b.ism/QualityLevels(1)/Fragments(video=-1)",
            "b.ism/QualityLevels(1)/Fragments(=1)",
            "b.ism/QualityLevels(1)/Fragments(video)",
            "c.isml/Streams()",
            "c.isml/Streams(a b)",
        ] {
            assert_eq!(route(segs(bad)).unwrap_err().status(), 400, "{bad}");
        }
        for missing in [
            "x",
            "b.ism",
            "b.ism/Other",
            "b.ism/Streams(a)",
            ".ism/Manifest",
        ] {
            assert_eq!(route(segs(missing)).unwrap_err().status(), 404, "{missing}");
        }
    }
}
