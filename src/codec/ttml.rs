//! TTML (DFXP) caption documents cut into sparse-stream samples.
//!
//! A caption file is one document for the whole programme; a Smooth text track wants
//! samples, each a complete TTML document (ISO 14496-30) whose times count from the start
//! of the track. That is the timeline the captions were authored on, so every caption is
//! copied into its sample byte for byte, time expressions included.
//!
//! [`split_cues`] decodes the file (UTF-8, or UTF-16 with a byte-order mark; samples are
//! UTF-8), reads the timing of every `<p>` in the `<body>` (its own `begin`/`end`/`dur`,
//! offset by the `begin` of enclosing elements, which are parallel time containers), and
//! cuts samples:
//!
//! - **Which captions share a sample.** Captions that overlap in time share one, since
//!   samples may not overlap. Consecutive captions are also gathered into one sample while
//!   it spans at most [`SAMPLE_SPAN`]: every sample repeats the document's head and costs
//!   a fragment (about 150 bytes of `moof`, `mdat` and index), which would outweigh a
//!   one-line caption several times over.
//! - **What a sample holds.** Everything before `<body>` (the XML declaration, rewritten
//!   to say UTF-8 if it named another encoding, the `tt` root with its attributes and
//!   namespaces, the head with styling and layout); the body and, below it, only the
//!   elements holding the sample's captions, with their attributes (time offsets, regions,
//!   styles, `xml:lang`); the captions themselves; everything after `</body>`. Elements
//!   holding none of the sample's captions (some tools wrap every caption in a `<div>`)
//!   are left out, and so are the whitespace and comments between kept elements, so the
//!   samples together are about as large as the file.
//! - **Long captions.** A sample lasting more than [`MAX_SAMPLE_DURATION`] is cut into
//!   consecutive samples of at most that length, each carrying the captions showing
//!   during it. As times count from the track start, a caption carried by two adjacent
//!   samples shows exactly as it would in one. Captions longer than
//!   [`MAX_CAPTION_DURATION`] are refused.

mod document;
mod encoding;
mod time;
#[cfg(test)]
mod well_formed;

use document::{Cue, Document};

use crate::error::Result;

/// 100 ns ticks per second: the unit every time here is converted to.
pub const TICKS_PER_SECOND: u64 = 10_000_000;

/// The longest sample, in ticks (about 429.5 s): a fragment's `trun` stores a sample's
/// duration in 32 bits, counted in the presentation's 100 ns ticks.
pub const MAX_SAMPLE_DURATION: u64 = u32::MAX as u64;

/// The longest caption, in ticks (about 119 h): a caption is repeated in a new sample
/// every [`MAX_SAMPLE_DURATION`], and this bounds that to 1 000 samples, far beyond any
/// programme, so a typing slip in an end time cannot make millions of samples.
pub const MAX_CAPTION_DURATION: u64 = 1000 * MAX_SAMPLE_DURATION;

/// How much time one sample gathers consecutive captions from, in ticks (30 s). Long
/// enough that a sample's shared head and fragment cost little per caption, short enough
/// that a player seeking into the track fetches a small document.
pub const SAMPLE_SPAN: u64 = 30 * TICKS_PER_SECOND;

const WHAT: &str = "TTML document";

/// One sample of a caption track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptionSample {
    /// When the sample starts, in 100 ns ticks: when its first caption appears, or when
    /// the sample before it ended for a long caption cut in pieces.
    pub begin: u64,
    /// When it ends, in 100 ns ticks (after `begin`, at most [`MAX_SAMPLE_DURATION`]
    /// later).
    pub end: u64,
    /// The TTML document (UTF-8) holding just the captions showing in this sample.
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

/// Splits a TTML document into samples (see the [module documentation](self)). Fails on
/// text that is neither UTF-8 nor UTF-16 with a byte-order mark, malformed XML, a root
/// that is not `tt`, unparsable time expressions, captions without an end or longer
/// than [`MAX_CAPTION_DURATION`], `timeContainer="seq"` on the body or a div, and
/// documents without captions. Error offsets count bytes of `document`.
pub fn split_cues(document: &[u8]) -> Result<Captions> {
    let decoded = encoding::decode(document)?;
    let parsed = Document::parse(&decoded.text).map_err(|e| decoded.relocate(e))?;
    Ok(Captions {
        language: parsed.language.clone(),
        samples: cut(&parsed),
    })
}

/// The samples of a document, in time order.
fn cut(doc: &Document<'_>) -> Vec<CaptionSample> {
    let mut cues = doc.cues.clone();
    cues.sort_by_key(|c| (c.begin, c.node));
    let mut writer = Writer::new(doc);
    let mut samples = Vec::new();
    for batch in batches(&cues) {
        pieces(batch, |begin, end, showing| {
            samples.push(CaptionSample {
                begin,
                end,
                document: writer.write(showing),
            });
        });
    }
    samples
}

/// Cuts cues sorted by begin into the runs that share a sample: a cue joins the run
/// before it when it overlaps it, or when the run then still spans at most
/// [`SAMPLE_SPAN`].
fn batches(cues: &[Cue]) -> Vec<&[Cue]> {
    let mut batches = Vec::new();
    let mut rest = cues;
    while let Some(first) = rest.first() {
        let mut end = first.end;
        // At least `first` itself joins, as it ends after it begins.
        let len = rest
            .iter()
            .take_while(|c| {
                let joins = c.begin < end || c.end.max(end) - first.begin <= SAMPLE_SPAN;
                if joins {
                    end = end.max(c.end);
                }
                joins
            })
            .count();
        let Some((batch, after)) = rest.split_at_checked(len) else {
            break;
        };
        batches.push(batch);
        rest = after;
    }
    batches
}

/// Calls `emit(begin, end, showing)` for consecutive pieces of at most
/// [`MAX_SAMPLE_DURATION`] that cover the time of `batch` (cues sorted by begin), with the
/// cues showing during each; usually one piece with every cue.
fn pieces(batch: &[Cue], mut emit: impl FnMut(u64, u64, &[Cue])) {
    let Some(first) = batch.first() else {
        return;
    };
    let end = batch.iter().map(|c| c.end).max().unwrap_or(first.end);
    let mut waiting = batch.iter().peekable();
    let mut showing: Vec<Cue> = Vec::new();
    let mut from = first.begin;
    // Every piece shows a caption: past the first SAMPLE_SPAN (shorter than a piece) a
    // batch grows only by overlapping cues, so its cues cover it without a gap.
    while from < end {
        let to = end.min(from.saturating_add(MAX_SAMPLE_DURATION));
        while let Some(cue) = waiting.next_if(|c| c.begin < to) {
            showing.push(*cue);
        }
        showing.retain(|c| c.end > from);
        emit(from, to, &showing);
        from = to;
    }
}

/// Writes the sample documents of one parsed document.
struct Writer<'d, 'a> {
    doc: &'d Document<'a>,
    /// The number of the sample being written, from 1.
    sample: usize,
    /// For each node, the number of the last sample that kept it (so nothing is cleared
    /// between samples).
    stamps: Vec<usize>,
    /// The nodes the sample keeps.
    kept: Vec<usize>,
    /// The kept elements whose end tag is not written yet, innermost last.
    open: Vec<usize>,
}

impl<'d, 'a> Writer<'d, 'a> {
    fn new(doc: &'d Document<'a>) -> Self {
        Writer {
            doc,
            sample: 0,
            stamps: vec![0; doc.node_count()],
            kept: Vec::new(),
            open: Vec::new(),
        }
    }

    /// The document of a sample showing `captions`: the head, the captions with the
    /// elements holding them, the tail. Its cost is the sample's size, whatever the size
    /// of the whole body.
    fn write(&mut self, captions: &[Cue]) -> Vec<u8> {
        self.keep(captions);
        let doc = self.doc;
        let size = self
            .kept
            .iter()
            .map(|&id| doc.open_tag(id).len() + doc.close_tag(id).len())
            .sum::<usize>();
        let mut out = Vec::with_capacity(doc.head.len() + size + doc.tail.len());
        out.extend_from_slice(&doc.head);
        self.open.clear();
        for &id in &self.kept {
            // End the kept elements that do not hold this one.
            while let Some(&top) = self.open.last()
                && Some(top) != doc.parent(id)
            {
                out.extend_from_slice(doc.close_tag(top));
                self.open.pop();
            }
            out.extend_from_slice(doc.open_tag(id));
            self.open.push(id);
        }
        while let Some(top) = self.open.pop() {
            out.extend_from_slice(doc.close_tag(top));
        }
        out.extend_from_slice(doc.tail);
        out
    }

    /// Sets `kept` to the caption nodes and every element holding one, in document order.
    fn keep(&mut self, captions: &[Cue]) {
        self.sample += 1;
        self.kept.clear();
        for cue in captions {
            // Up from the caption to the first element already kept (or past the body).
            let mut node = Some(cue.node);
            while let Some(id) = node {
                match self.stamps.get_mut(id) {
                    Some(stamp) if *stamp != self.sample => *stamp = self.sample,
                    _ => break,
                }
                self.kept.push(id);
                node = self.doc.parent(id);
            }
        }
        // Nodes are numbered in document order.
        self.kept.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed::assert_well_formed;
    use super::*;
    use crate::error::Error;

    const S: u64 = TICKS_PER_SECOND;

    /// Splits `doc`, checks every sample is well-formed, and returns the samples as text.
    fn samples(doc: &[u8]) -> Vec<(u64, u64, String)> {
        split_cues(doc)
            .unwrap()
            .samples
            .into_iter()
            .map(|s| {
                assert_well_formed(&s.document);
                (s.begin, s.end, String::from_utf8(s.document).unwrap())
            })
            .collect()
    }

    fn error(doc: &[u8]) -> (usize, String) {
        match split_cues(doc).unwrap_err() {
            e @ Error::Malformed { offset, .. } => (offset, e.to_string()),
            other => panic!("{other}"),
        }
    }

    const DOC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:tickRate="1000" xml:lang="en">
  <head><styling><style xml:id="s1"/></styling></head>
  <body><div>
    <p begin="1s" end="3s">One</p>
    <p begin="2s" dur="2s">Two <span>overlaps</span></p>
    <p begin="60000t" end="00:01:02.000">Three</p>
  </div></body>
</tt>"#;

    #[test]
    fn overlapping_captions_share_a_sample_and_each_sample_is_a_whole_document() {
        let c = split_cues(DOC.as_bytes()).unwrap();
        assert_eq!(c.language.as_deref(), Some("en"));
        let head = r#"<?xml version="1.0" encoding="utf-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:tickRate="1000" xml:lang="en">
  <head><styling><style xml:id="s1"/></styling></head>
  "#;
        let tail = "\n</tt>";
        assert_eq!(
            samples(DOC.as_bytes()),
            [
                (
                    S,
                    4 * S,
                    format!(
                        r#"{head}<body><div><p begin="1s" end="3s">One</p><p begin="2s" dur="2s">Two <span>overlaps</span></p></div></body>{tail}"#
                    )
                ),
                (
                    60 * S,
                    62 * S,
                    format!(
                        r#"{head}<body><div><p begin="60000t" end="00:01:02.000">Three</p></div></body>{tail}"#
                    )
                ),
            ]
        );
        // Each sample splits again into itself.
        for s in &c.samples {
            let again = split_cues(&s.document).unwrap();
            assert_eq!(again.samples, std::slice::from_ref(s));
        }
    }

    #[test]
    fn captions_within_the_sample_span_share_a_sample() {
        let caption = |n: u64| format!(r#"<p begin="{n}s" end="{n}.5s">{n}</p>"#);
        let body: String = [0, 10, 29, 31, 100].map(caption).concat();
        let doc = format!("<tt><body>{body}</body></tt>");
        let times: Vec<(u64, u64)> = samples(doc.as_bytes())
            .into_iter()
            .map(|(b, e, _)| (b, e))
            .collect();
        assert_eq!(
            times,
            [
                (0, 295 * S / 10),
                (31 * S, 315 * S / 10),
                (100 * S, 1005 * S / 10)
            ]
        );
    }

    #[test]
    fn container_begin_offsets_and_ends_apply() {
        let doc = r#"<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="10s" end="20s"><p begin="1s">A</p><p begin="5s" end="30s">B</p></div></body></tt>"#;
        let c = split_cues(doc.as_bytes()).unwrap();
        let times: Vec<(u64, u64)> = c.samples.iter().map(|s| (s.begin, s.end)).collect();
        // A: 11 s until the div ends; B: 15 s, clipped to the div's end at 20 s.
        assert_eq!(times, [(110_000_000, 200_000_000)]);
    }

    /// One caption a minute, each in its own `<div>` as some tools write them, pretty
    /// printed.
    fn wrapped(count: u64) -> String {
        let mut doc = String::from(
            "<?xml version=\"1.0\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\">\n  <head>\n    <layout><region xml:id=\"r\"/></layout>\n  </head>\n  <body region=\"r\">\n",
        );
        for n in 0..count {
            doc += &format!(
                "    <!-- caption {n} -->\n    <div xml:lang=\"fr\" begin=\"{n}m\">\n      <p end=\"2s\" tts:color=\"red\">\n        Ligne {n}<br/>encore\n      </p>\n    </div>\n"
            );
        }
        doc + "  </body>\n</tt>\n"
    }

    #[test]
    fn elements_without_the_samples_captions_and_whitespace_are_left_out() {
        let doc = wrapped(3);
        let got = samples(doc.as_bytes());
        assert_eq!(got.len(), 3);
        let (begin, end, sample) = &got[1];
        assert_eq!((*begin, *end), (60 * S, 62 * S));
        assert_eq!(
            sample,
            "<?xml version=\"1.0\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\">\n  <head>\n    <layout><region xml:id=\"r\"/></layout>\n  </head>\n  <body region=\"r\"><div xml:lang=\"fr\" begin=\"1m\"><p end=\"2s\" tts:color=\"red\">\n        Ligne 1<br/>encore\n      </p></div></body>\n</tt>\n"
        );
    }

    #[test]
    fn samples_together_are_about_the_size_of_the_file() {
        let mut doc = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\" xml:lang=\"en\">\n  <head>\n    <styling>\n      <style xml:id=\"s\"/>\n    </styling>\n  </head>\n  <body style=\"s\">\n    <div>\n",
        );
        for n in 0..1500 {
            doc += &format!(
                "      <p begin=\"{}s\" end=\"{}.5s\">\n        Caption {n}\n      </p>\n",
                2 * n,
                2 * n + 1
            );
        }
        doc += "    </div>\n  </body>\n</tt>\n";
        let c = split_cues(doc.as_bytes()).unwrap();
        let total: usize = c.samples.iter().map(|s| s.document.len()).sum();
        assert!(
            total < doc.len() * 5 / 4,
            "{total} bytes from {}",
            doc.len()
        );
        assert_eq!(c.samples.len(), 100);
        assert!(c.samples.iter().all(|s| s.end - s.begin <= SAMPLE_SPAN));
    }

    /// `text` in UTF-16 after its byte-order mark.
    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mark = if big_endian {
            0xFEFF_u16.to_be_bytes()
        } else {
            0xFEFF_u16.to_le_bytes()
        };
        let units = text.encode_utf16().flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        });
        mark.into_iter().chain(units).collect()
    }

    fn utf8_bom(text: &str) -> Vec<u8> {
        [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()
    }

    #[test]
    fn a_utf8_byte_order_mark_is_not_part_of_the_samples() {
        let plain = samples(DOC.as_bytes());
        assert_eq!(samples(&utf8_bom(DOC)), plain);
        // Offsets count the mark: the bad time is 3 bytes further into the file.
        let bad = DOC.replace("60000t", "600x0t");
        let (at, why) = error(bad.as_bytes());
        assert!(why.contains("not a TTML time"), "{why}");
        assert_eq!(
            error(&utf8_bom(&bad)),
            (at + 3, why.replace(&at.to_string(), &(at + 3).to_string()))
        );
    }

    #[test]
    fn utf16_files_with_a_byte_order_mark_give_utf8_samples_that_say_so() {
        let doc = DOC.replace(
            "encoding=\"utf-8\"",
            "encoding=\"UTF-16\" standalone=\"yes\"",
        );
        let want: Vec<_> = samples(DOC.as_bytes())
            .into_iter()
            .map(|(b, e, d)| {
                let d = d.replace(
                    "encoding=\"utf-8\"",
                    "encoding=\"UTF-8\" standalone=\"yes\"",
                );
                (b, e, d)
            })
            .collect();
        for big_endian in [false, true] {
            assert_eq!(samples(&utf16(&doc, big_endian)), want);
        }
        // Offsets count UTF-16 bytes: the mark, then two per character of this text.
        let bad = doc.replace("60000t", "600x0t");
        let (at, _) = error(bad.as_bytes());
        for big_endian in [false, true] {
            assert_eq!(error(&utf16(&bad, big_endian)).0, 2 + 2 * at);
        }
    }

    #[test]
    fn a_caption_longer_than_a_sample_is_repeated_in_consecutive_samples() {
        let doc = r#"<tt><body><p begin="10s" end="1000s">long</p><p begin="500s" end="502s">short</p></body></tt>"#;
        let got = samples(doc.as_bytes());
        let m = MAX_SAMPLE_DURATION;
        let times: Vec<(u64, u64)> = got.iter().map(|(b, e, _)| (*b, *e)).collect();
        assert_eq!(
            times,
            [
                (10 * S, 10 * S + m),
                (10 * S + m, 10 * S + 2 * m),
                (10 * S + 2 * m, 1000 * S)
            ]
        );
        let long = r#"<p begin="10s" end="1000s">long</p>"#;
        let short = r#"<p begin="500s" end="502s">short</p>"#;
        assert_eq!(got[0].2, format!("<tt><body>{long}</body></tt>"));
        assert_eq!(got[1].2, format!("<tt><body>{long}{short}</body></tt>"));
        assert_eq!(got[2].2, got[0].2);
    }

    #[test]
    fn a_caption_over_the_limit_is_refused() {
        let (_, why) = error(br#"<tt><body><p begin="0s" end="120h">x</p></body></tt>"#);
        assert!(
            why.contains("lasts 432000 s, over the limit of 119 h"),
            "{why}"
        );
        let longest = br#"<tt><body><p begin="0s" end="119h">x</p></body></tt>"#;
        let pieces = (119 * 3600 * S).div_ceil(MAX_SAMPLE_DURATION);
        assert_eq!(samples(longest).len() as u64, pieces);
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
            ("<tt><p begin=\"0s\" end=\"1s\">x</p></tt>", "no timed"),
            ("<tt><body><p begin=\"0s\" end=\"1s\">x</body></tt>", ""),
            (
                "<tt><body><p begin=\"0s\" end=\"1s\">x</p></body>",
                "not closed",
            ),
            (
                "<tt><body><p begin=\"0s\" end=\"1s\">x</p></body></tt><tt/>",
                "second root",
            ),
            (
                "<tt><body><p begin=\"0s\" end=\"1s\">x</p></body></tt>x",
                "outside the root",
            ),
            (
                "<tt><body/><body><p begin=\"0s\" end=\"1s\">x</p></body></tt>",
                "second <body>",
            ),
            (
                "<tt><body><div timeContainer=\"seq\"><p dur=\"1s\">x</p></div></body></tt>",
                "seq",
            ),
            (
                "<tt><body><p begin=\"0s\" end=\"1s\" end=\"2s\">x</p></body></tt>",
                "duplicate",
            ),
            (
                " <?xml version=\"1.0\"?><tt><body><p begin=\"0s\" end=\"1s\">x</p></body></tt>",
                "not at the start",
            ),
            (
                "<?xml version=\"2.0\"?><tt><body><p begin=\"0s\" end=\"1s\">x</p></body></tt>",
                "version",
            ),
            ("\u{FFFF}\u{0}", ""),
        ] {
            let e = split_cues(doc.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{doc}: {e}");
        }
        assert!(split_cues(&[0xFF, 0xFE]).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::test_rng::XorShift(7);
        for doc in [
            DOC.as_bytes().to_vec(),
            utf16(DOC, false),
            wrapped(3).into_bytes(),
        ] {
            for _ in 0..2000 {
                if let Ok(c) = split_cues(&rng.damage(&doc)) {
                    c.samples
                        .iter()
                        .for_each(|s| assert_well_formed(&s.document));
                }
            }
        }
    }
}
