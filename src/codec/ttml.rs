//! TTML (DFXP) caption documents cut into sparse-stream samples.
//!
//! A caption file is one document for the whole programme; a Smooth text track wants one
//! sample per time range, each a complete TTML document (ISO 14496-30). [`split_cues`]
//! reads the timing of every `<p>` (its own `begin`/`end`/`dur`, offset by the `begin` of
//! enclosing elements, which are parallel time containers by default), merges cues that
//! overlap, and makes one document per group: the original text with every other `<p>`
//! cut out, so styling, regions, layout and `xml:lang` stay exactly as authored. Times in
//! the samples keep their original expressions: 14496-30 times count from the start of
//! the track, which is the timeline the cues were authored on.

mod encoding;
mod time;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};
use time::{TimeBase, parse_time};

/// 100 ns ticks per second: the unit every time here is converted to.
pub const TICKS_PER_SECOND: u64 = 10_000_000;

const WHAT: &str = "TTML document";

/// One sample of a caption track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptionSample {
    /// When the sample's first caption appears, in 100 ns ticks.
    pub begin: u64,
    /// When its last caption disappears, in 100 ns ticks (after `begin`).
    pub end: u64,
    /// The TTML document holding just these captions.
    pub document: Vec<u8>,
}

/// A caption file cut into samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captions {
    /// `xml:lang` of the root `tt` element, if any.
    pub language: Option<String>,
    /// Samples in time order, not overlapping.
    pub samples: Vec<CaptionSample>,
}

/// One `<p>` with its byte range in the document and its resolved times.
struct Cue {
    start: usize,
    end: usize,
    begin: u64,
    finish: u64,
}

/// Timing of an open element: its absolute begin and, if it has one, its absolute end.
#[derive(Clone, Copy)]
struct Scope {
    begin: u64,
    end: Option<u64>,
}

/// Splits a TTML document into one sample per group of overlapping captions. The file
/// may be UTF-8, with or without a byte-order mark, or UTF-16 with one. Fails on bytes in
/// neither encoding, malformed XML, a root that is not `tt`, unparsable time expressions,
/// captions without an end, and documents without captions; error offsets count bytes of
/// `document`.
pub fn split_cues(document: &[u8]) -> Result<Captions> {
    let decoded = encoding::decode(document)?;
    split_text(&decoded.text).map_err(|e| decoded.relocate(e))
}

/// [`split_cues`] on the document decoded to text (without its byte-order mark).
fn split_text(text: &str) -> Result<Captions> {
    let mut reader = Reader::from_str(text);
    let mut scopes: Vec<Scope> = Vec::new();
    let mut base = TimeBase {
        frame_rate: (30, 1),
        tick_rate: 1,
    };
    let mut language = None;
    let mut cues: Vec<Cue> = Vec::new();
    // The open <p>: its start offset, timing, and nesting depth.
    let mut open_p: Option<(usize, Scope, usize)> = None;
    loop {
        let before = position(&reader);
        let event = reader
            .read_event()
            .map_err(|e| Error::malformed(WHAT, before, e.to_string()))?;
        let after = position(&reader);
        let (start, empty) = match event {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::End(_) => {
                scopes.pop();
                if let Some((start, scope, depth)) = open_p
                    && depth == scopes.len()
                {
                    cues.push(cue(start, after, scope)?);
                    open_p = None;
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if scopes.is_empty() {
            if start.local_name().as_ref() != "tt" {
                return Err(Error::malformed(
                    WHAT,
                    before,
                    "the root element is not <tt>",
                ));
            }
            base = time_base(&start, before)?;
            language = attribute(&start, "xml:lang", before)?;
        }
        let parent = scopes.last().copied().unwrap_or(Scope {
            begin: 0,
            end: None,
        });
        let scope = element_scope(&start, parent, base, before)?;
        let is_p = start.local_name().as_ref() == "p" && open_p.is_none();
        if is_p && empty {
            cues.push(cue(before, after, scope)?);
        } else if !empty {
            if is_p {
                open_p = Some((before, scope, scopes.len()));
            }
            scopes.push(scope);
        }
    }
    if cues.is_empty() {
        return Err(Error::malformed(WHAT, 0, "no timed <p> captions"));
    }
    Ok(Captions {
        language,
        samples: group(text.as_bytes(), cues),
    })
}

/// The reader's byte position (documents are far below 4 GiB on every target).
fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// A cue from a `<p>` spanning `start..end`; it must resolve to a non-empty interval.
fn cue(start: usize, end: usize, scope: Scope) -> Result<Cue> {
    match scope.end {
        Some(finish) if finish > scope.begin => Ok(Cue {
            start,
            end,
            begin: scope.begin,
            finish,
        }),
        Some(_) => Err(Error::malformed(
            WHAT,
            start,
            "a caption ends before it begins",
        )),
        None => Err(Error::malformed(
            WHAT,
            start,
            "a caption has no end (no end or dur on it or an enclosing element)",
        )),
    }
}

/// Sorts cues by time, merges overlapping ones and builds each group's document.
fn group(doc: &[u8], mut cues: Vec<Cue>) -> Vec<CaptionSample> {
    cues.sort_by_key(|c| (c.begin, c.start));
    let mut groups: Vec<(u64, u64, Vec<usize>)> = Vec::new();
    for (i, c) in cues.iter().enumerate() {
        match groups.last_mut() {
            Some((_, end, members)) if c.begin < *end => {
                *end = (*end).max(c.finish);
                members.push(i);
            }
            _ => groups.push((c.begin, c.finish, vec![i])),
        }
    }
    // Every <p> in document order; each sample keeps its own and cuts the rest.
    let mut by_position: Vec<(usize, usize, usize)> = cues
        .iter()
        .enumerate()
        .map(|(i, c)| (c.start, c.end, i))
        .collect();
    by_position.sort_unstable();
    groups
        .into_iter()
        .map(|(begin, end, members)| {
            let mut document = Vec::with_capacity(doc.len());
            let mut at = 0;
            for &(start, stop, i) in &by_position {
                if members.contains(&i) {
                    continue;
                }
                document.extend_from_slice(doc.get(at..start).unwrap_or_default());
                at = stop;
            }
            document.extend_from_slice(doc.get(at..).unwrap_or_default());
            CaptionSample {
                begin,
                end,
                document,
            }
        })
        .collect()
}

/// The value of the attribute `name` (qualified, e.g. `xml:lang`), unescaped.
fn attribute(start: &BytesStart<'_>, name: &str, at: usize) -> Result<Option<String>> {
    find_attribute(start, at, |key| key.as_ref() == name)
}

/// The value of the attribute whose local name is `name`, whatever its prefix (TTML
/// parameters are written `ttp:frameRate`, but documents bind the prefix freely).
fn local_attribute(start: &BytesStart<'_>, name: &str, at: usize) -> Result<Option<String>> {
    find_attribute(start, at, |key| key.local_name().as_ref() == name)
}

/// The trimmed, unescaped value of the first attribute whose name `matches`.
fn find_attribute(
    start: &BytesStart<'_>,
    at: usize,
    matches: impl Fn(&quick_xml::name::QName<'_>) -> bool,
) -> Result<Option<String>> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| Error::malformed(WHAT, at, e.to_string()))?;
        if matches(&attr.key) {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| Error::malformed(WHAT, at, e.to_string()))?;
            return Ok(Some(value.trim().to_string()));
        }
    }
    Ok(None)
}

/// `ttp:frameRate`, `ttp:frameRateMultiplier` and `ttp:tickRate` of the root.
fn time_base(root: &BytesStart<'_>, at: usize) -> Result<TimeBase> {
    let bad = |what: &str, v: &str| Error::malformed(WHAT, at, format!("{what} {v:?}"));
    let frames = match local_attribute(root, "frameRate", at)? {
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| bad("ttp:frameRate", &v))?,
        None => 30,
    };
    let (num, den) = match local_attribute(root, "frameRateMultiplier", at)? {
        Some(v) => {
            let mut parts = v.split_whitespace().map(str::parse::<u64>);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(n)), Some(Ok(d)), None) if n > 0 && d > 0 => (n, d),
                _ => return Err(bad("ttp:frameRateMultiplier", &v)),
            }
        }
        None => (1, 1),
    };
    let tick_rate = match local_attribute(root, "tickRate", at)? {
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| bad("ttp:tickRate", &v))?,
        None => 1,
    };
    Ok(TimeBase {
        frame_rate: (frames.saturating_mul(num), den),
        tick_rate,
    })
}

/// The absolute timing of an element inside `parent` (a parallel time container): its
/// `begin` counts from the parent's begin, `end` likewise, `dur` from its own begin; an
/// element without an end ends with its parent.
fn element_scope(
    start: &BytesStart<'_>,
    parent: Scope,
    base: TimeBase,
    at: usize,
) -> Result<Scope> {
    let time = |name: &str| -> Result<Option<u64>> {
        // `begin`, `end` and `dur` are in no namespace, so they are matched unprefixed.
        match attribute(start, name, at)? {
            Some(v) => parse_time(&v, base).map(Some).ok_or_else(|| {
                Error::malformed(WHAT, at, format!("{name}={v:?} is not a TTML time"))
            }),
            None => Ok(None),
        }
    };
    let overflow = || Error::malformed(WHAT, at, "a time overflows");
    let begin = match time("begin")? {
        Some(b) => parent.begin.checked_add(b).ok_or_else(overflow)?,
        None => parent.begin,
    };
    let end = match (time("end")?, time("dur")?) {
        (Some(e), _) => Some(parent.begin.checked_add(e).ok_or_else(overflow)?),
        (None, Some(d)) => Some(begin.checked_add(d).ok_or_else(overflow)?),
        (None, None) => parent.end,
    };
    // A child cannot outlast its container.
    let end = match (end, parent.end) {
        (Some(e), Some(p)) => Some(e.min(p)),
        (e, _) => e,
    };
    Ok(Scope { begin, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:tickRate="1000" xml:lang="en">
  <head><styling><style xml:id="s1"/></styling></head>
  <body><div>
    <p begin="1s" end="3s">One</p>
    <p begin="2s" dur="2s">Two <span>overlaps</span></p>
    <p begin="6000t" end="00:00:08.000">Three</p>
  </div></body>
</tt>"#;

    #[test]
    fn overlapping_captions_share_a_sample_and_each_sample_is_a_whole_document() {
        let c = split_cues(DOC.as_bytes()).unwrap();
        assert_eq!(c.language.as_deref(), Some("en"));
        let times: Vec<(u64, u64)> = c.samples.iter().map(|s| (s.begin, s.end)).collect();
        assert_eq!(times, [(10_000_000, 40_000_000), (60_000_000, 80_000_000)]);
        let first = std::str::from_utf8(&c.samples[0].document).unwrap();
        assert!(first.contains("One") && first.contains("Two <span>overlaps</span>"));
        assert!(!first.contains("Three"));
        let second = std::str::from_utf8(&c.samples[1].document).unwrap();
        assert!(second.contains("Three") && !second.contains("One"));
        assert!(second.starts_with("<?xml") && second.contains("<style xml:id=\"s1\"/>"));
        // Each sample parses again as a document with exactly its captions.
        for s in &c.samples {
            let again = split_cues(&s.document).unwrap();
            assert_eq!(again.samples.len(), 1);
            assert_eq!(
                (again.samples[0].begin, again.samples[0].end),
                (s.begin, s.end)
            );
        }
    }

    #[test]
    fn container_begin_offsets_and_ends_apply() {
        let doc = r#"<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="10s" end="20s"><p begin="1s">A</p><p begin="5s" end="30s">B</p></div></body></tt>"#;
        let c = split_cues(doc.as_bytes()).unwrap();
        let times: Vec<(u64, u64)> = c.samples.iter().map(|s| (s.begin, s.end)).collect();
        // A: 11 s until the div ends; B: 15 s, clipped to the div's end at 20 s.
        assert_eq!(times, [(110_000_000, 200_000_000)]);
    }

    #[test]
    fn bad_documents_are_refused() {
        for (doc, why) in [
            ("<html/>", "root"),
            ("<tt><body><p>untimed</p></body></tt>", "no end"),
            (
                "<tt><body><p begin=\"2s\" end=\"1s\">x</p></body></tt>",
                "ends before",
            ),
            (
                "<tt><body><p begin=\"soon\" end=\"1s\">x</p></body></tt>",
                "not a TTML time",
            ),
            ("<tt><body></body></tt>", "no timed"),
            ("<tt><body><p begin=\"0s\" end=\"1s\">x</body></tt>", ""),
            ("\u{FFFF}\u{0}", ""),
        ] {
            let e = split_cues(doc.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{doc}: {e}");
        }
        assert!(split_cues(&[0xFF, 0xFE]).is_err());
    }

    #[test]
    fn byte_order_marks_give_the_samples_of_the_plain_file() {
        let utf16 = |text: &str, unit: fn(u16) -> [u8; 2]| -> Vec<u8> {
            let units = text.encode_utf16().flat_map(unit);
            unit(0xFEFF).into_iter().chain(units).collect()
        };
        let utf8_bom = |text: &str| [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
        let plain = split_cues(DOC.as_bytes()).unwrap();
        for file in [
            utf8_bom(DOC),
            utf16(DOC, u16::to_le_bytes),
            utf16(DOC, u16::to_be_bytes),
        ] {
            assert_eq!(split_cues(&file).unwrap(), plain);
        }
        // Error offsets count the file's bytes: the mark, and two per UTF-16 unit.
        let bad = DOC.replace("6000t", "60x0t");
        let offset = |file: &[u8]| match split_cues(file).unwrap_err() {
            Error::Malformed { offset, .. } => offset,
            other => panic!("{other}"),
        };
        let at = offset(bad.as_bytes());
        assert_eq!(offset(&utf8_bom(&bad)), at + 3);
        assert_eq!(offset(&utf16(&bad, u16::to_le_bytes)), 2 + 2 * at);
        assert_eq!(offset(&utf16(&bad, u16::to_be_bytes)), 2 + 2 * at);
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::test_rng::XorShift(7);
        for _ in 0..2000 {
            let _ = split_cues(&rng.damage(DOC.as_bytes()));
        }
    }
}
