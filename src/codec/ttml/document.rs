//! One pass of the XML reader over a caption document: the pieces every sample shares
//! (everything before `<body>` and after `</body>`), the element tree of the body with
//! the byte ranges of each element's tags, and every caption (`<p>` in the body) with its
//! resolved time interval.

use std::borrow::Cow;
use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesDecl, BytesStart, Event};

use super::time::{TimeBase, digits, parse_time};
use super::{MAX_CAPTION_DURATION, MAX_SAMPLE_DURATION, TICKS_PER_SECOND, WHAT};
use crate::error::{Error, Result};

/// A caption document taken apart for cutting samples.
pub(super) struct Document<'a> {
    /// The text every sample is cut from.
    text: &'a str,
    /// Everything before `<body>`: declaration, root start tag, head. The declaration is
    /// rewritten when it names an encoding other than UTF-8, as samples are UTF-8.
    pub(super) head: Cow<'a, [u8]>,
    /// Everything after `</body>`.
    pub(super) tail: &'a [u8],
    /// The body (index 0) and the elements below it that may hold captions, in document
    /// order; a caption's descendants are not listed (a caption is copied whole).
    nodes: Vec<Node>,
    /// Every caption, in document order.
    pub(super) cues: Vec<Cue>,
    /// `xml:lang` of the root `tt` element, if any.
    pub(super) language: Option<String>,
}

/// An element of the body.
struct Node {
    /// The element holding this one; `None` for the body.
    parent: Option<usize>,
    /// Its start tag; for a caption or an empty element, the whole element.
    open: Range<usize>,
    /// Its end tag; empty for a caption or an empty element.
    close: Range<usize>,
}

/// A caption: its node and when it shows, in 100 ns ticks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cue {
    /// The number of its `<p>` among the body's elements, in document order.
    pub(super) node: usize,
    /// When it appears.
    pub(super) begin: u64,
    /// When it disappears (after `begin`).
    pub(super) end: u64,
}

impl<'a> Document<'a> {
    /// Reads `text`. Fails on malformed XML, a root that is not `tt`, unparsable times,
    /// captions without an end or longer than [`MAX_CAPTION_DURATION`], sequential time
    /// containers, and documents without captions.
    pub(super) fn parse(text: &'a str) -> Result<Self> {
        let mut parser = Parser::new(text);
        let mut reader = Reader::from_str(text);
        loop {
            let before = position(reader.buffer_position());
            let event = reader.read_event().map_err(|e| {
                Error::malformed(WHAT, position(reader.error_position()), e.to_string())
            })?;
            let tag = before..position(reader.buffer_position());
            match event {
                Event::Start(start) => parser.open(&start, tag, false)?,
                Event::Empty(start) => parser.open(&start, tag, true)?,
                Event::End(_) => parser.close(tag)?,
                Event::Decl(decl) => parser.declaration(&decl, tag)?,
                Event::DocType(_) if parser.seen_root => {
                    return Err(Error::malformed(
                        WHAT,
                        before,
                        "a DOCTYPE after the root element",
                    ));
                }
                Event::Text(text) if parser.stack.is_empty() && !is_whitespace(&text) => {
                    return Err(outside_root(before));
                }
                Event::CData(_) | Event::GeneralRef(_) if parser.stack.is_empty() => {
                    return Err(outside_root(before));
                }
                Event::Eof => return parser.finish(),
                _ => {}
            }
        }
    }

    /// How many elements of the body are numbered (nodes are `0..node_count()`).
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The start tag of node `id`; for a caption or an empty element, all of it.
    pub(super) fn open_tag(&self, id: usize) -> &'a [u8] {
        self.bytes(self.nodes.get(id).map(|n| n.open.clone()))
    }

    /// The end tag of node `id`; empty for a caption or an empty element.
    pub(super) fn close_tag(&self, id: usize) -> &'a [u8] {
        self.bytes(self.nodes.get(id).map(|n| n.close.clone()))
    }

    /// The element holding node `id`; `None` for the body.
    pub(super) fn parent(&self, id: usize) -> Option<usize> {
        self.nodes.get(id).and_then(|n| n.parent)
    }

    /// The bytes of `range` of the text (none for no range).
    fn bytes(&self, range: Option<Range<usize>>) -> &'a [u8] {
        range
            .and_then(|r| self.text.as_bytes().get(r))
            .unwrap_or_default()
    }
}

/// The reader's byte position (documents are far below 4 GiB on every target).
fn position(at: u64) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX)
}

/// XML's whitespace: space, tab, carriage return, line feed.
fn is_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The error for text before or after the root element at `at`.
fn outside_root(at: usize) -> Error {
    Error::malformed(WHAT, at, "text outside the root element")
}

/// Timing of an open element: its absolute begin and, if it has one, its absolute end.
#[derive(Debug, Clone, Copy, Default)]
struct Scope {
    begin: u64,
    end: Option<u64>,
}

/// What an open element is to the samples.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// The root `tt`.
    Root,
    /// The body or an element below it that may hold captions, with its node's index.
    Tree(usize),
    /// A caption, with its node's index.
    Caption(usize),
    /// Anything else (the head, a caption's content): copied with what holds it.
    Plain,
}

/// An element whose end tag has not been read yet.
struct Open {
    /// Where its start tag begins.
    start: usize,
    scope: Scope,
    role: Role,
}

/// The state of one pass over the document.
struct Parser<'a> {
    text: &'a str,
    base: TimeBase,
    language: Option<String>,
    /// The end of the XML declaration and, if it must change, its UTF-8 replacement.
    declaration: Option<(usize, Option<String>)>,
    seen_root: bool,
    /// Open elements, innermost last.
    stack: Vec<Open>,
    nodes: Vec<Node>,
    cues: Vec<Cue>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            base: TimeBase::default(),
            language: None,
            declaration: None,
            seen_root: false,
            stack: Vec::new(),
            nodes: Vec::new(),
            cues: Vec::new(),
        }
    }

    /// A start tag or an empty element at `tag`.
    fn open(&mut self, start: &BytesStart<'_>, tag: Range<usize>, empty: bool) -> Result<()> {
        let at = tag.start;
        let attributes = Attributes::read(start, at)?;
        let (parent, role) = match self.stack.last() {
            Some(parent) => (
                parent.scope,
                self.role(start, parent.role, &tag, &attributes)?,
            ),
            None => {
                self.root(start, at, &attributes)?;
                (Scope::default(), Role::Root)
            }
        };
        let scope = attributes.scope(parent, self.base, at)?;
        if empty {
            self.end(role, scope, tag.start, tag.end..tag.end)
        } else {
            self.stack.push(Open {
                start: at,
                scope,
                role,
            });
            Ok(())
        }
    }

    /// Checks the root element and takes the document's language and time base from it.
    fn root(&mut self, start: &BytesStart<'_>, at: usize, attributes: &Attributes) -> Result<()> {
        if self.seen_root {
            return Err(Error::malformed(WHAT, at, "a second root element"));
        }
        if start.local_name().as_ref() != "tt" {
            return Err(Error::malformed(WHAT, at, "the root element is not <tt>"));
        }
        self.seen_root = true;
        self.base = attributes.time_base(at)?;
        self.language.clone_from(&attributes.language);
        Ok(())
    }

    /// The role of a new element below one of role `parent`, adding its node if it has
    /// one.
    fn role(
        &mut self,
        start: &BytesStart<'_>,
        parent: Role,
        tag: &Range<usize>,
        attributes: &Attributes,
    ) -> Result<Role> {
        let name = start.local_name();
        let node = |parent| Node {
            parent,
            open: tag.clone(),
            close: tag.end..tag.end,
        };
        Ok(match parent {
            Role::Root if name.as_ref() == "body" => {
                if !self.nodes.is_empty() {
                    return Err(Error::malformed(WHAT, tag.start, "a second <body>"));
                }
                attributes.refuse_sequence(tag.start)?;
                self.nodes.push(node(None));
                Role::Tree(0)
            }
            Role::Tree(id) if name.as_ref() == "p" => {
                self.nodes.push(node(Some(id)));
                Role::Caption(self.nodes.len() - 1)
            }
            Role::Tree(id) => {
                attributes.refuse_sequence(tag.start)?;
                self.nodes.push(node(Some(id)));
                Role::Tree(self.nodes.len() - 1)
            }
            Role::Root | Role::Caption(_) | Role::Plain => Role::Plain,
        })
    }

    /// An end tag at `tag`.
    fn close(&mut self, tag: Range<usize>) -> Result<()> {
        // The reader has matched the end tag to its start tag, so an element is open.
        let Some(open) = self.stack.pop() else {
            return Ok(());
        };
        self.end(open.role, open.scope, open.start, tag)
    }

    /// The end of an element that started at `start` and ends with `close` (empty for an
    /// empty element).
    fn end(&mut self, role: Role, scope: Scope, start: usize, close: Range<usize>) -> Result<()> {
        match role {
            Role::Caption(id) => {
                let cue = cue(id, scope, start)?;
                if let Some(node) = self.nodes.get_mut(id) {
                    node.open = start..close.end;
                    node.close = close.end..close.end;
                }
                self.cues.push(cue);
            }
            Role::Tree(id) => {
                if let Some(node) = self.nodes.get_mut(id) {
                    node.close = close;
                }
            }
            Role::Root | Role::Plain => {}
        }
        Ok(())
    }

    /// The XML declaration at `tag`: first in the document, and kept unless it names an
    /// encoding other than UTF-8.
    fn declaration(&mut self, decl: &BytesDecl<'_>, tag: Range<usize>) -> Result<()> {
        let bad = |reason: String| Error::malformed(WHAT, tag.start, reason);
        if tag.start != 0 {
            return Err(bad(
                "an XML declaration that is not at the start of the document".into(),
            ));
        }
        let version = decl.version().map_err(|e| bad(e.to_string()))?;
        if version.strip_prefix("1.").and_then(digits).is_none() {
            return Err(bad(format!("XML version {version:?}")));
        }
        let standalone = match decl.standalone() {
            None => None,
            Some(Ok(s)) if matches!(s.as_ref(), "yes" | "no") => Some(s),
            Some(_) => return Err(bad("standalone must be yes or no".into())),
        };
        let rewrite = match decl.encoding() {
            None => None,
            Some(Ok(e)) if e.eq_ignore_ascii_case("utf-8") => None,
            Some(Ok(_)) => Some(utf8_declaration(&version, standalone.as_deref())),
            Some(Err(e)) => return Err(bad(e.to_string())),
        };
        self.declaration = Some((tag.end, rewrite));
        Ok(())
    }

    /// The document, once the reader reached its end.
    fn finish(self) -> Result<Document<'a>> {
        if let Some(open) = self.stack.last() {
            return Err(Error::malformed(
                WHAT,
                open.start,
                "an element that is not closed before the end of the document",
            ));
        }
        let Some(body) = self.nodes.first().filter(|_| !self.cues.is_empty()) else {
            return Err(Error::malformed(
                WHAT,
                0,
                "no timed <p> captions in a <body> under the <tt> root",
            ));
        };
        let bytes = self.text.as_bytes();
        let before_body = body.open.start;
        let head = match self.declaration {
            Some((end, Some(declaration))) => {
                let mut head = declaration.into_bytes();
                head.extend_from_slice(bytes.get(end..before_body).unwrap_or_default());
                Cow::Owned(head)
            }
            _ => Cow::Borrowed(bytes.get(..before_body).unwrap_or_default()),
        };
        Ok(Document {
            text: self.text,
            head,
            tail: bytes.get(body.close.end..).unwrap_or_default(),
            nodes: self.nodes,
            cues: self.cues,
            language: self.language,
        })
    }
}

/// The declaration of a UTF-8 document with the given version and standalone flag.
fn utf8_declaration(version: &str, standalone: Option<&str>) -> String {
    match standalone {
        Some(s) => format!(r#"<?xml version="{version}" encoding="UTF-8" standalone="{s}"?>"#),
        None => format!(r#"<?xml version="{version}" encoding="UTF-8"?>"#),
    }
}

/// The cue of caption node `id` starting at `start`: it must resolve to a non-empty
/// interval no longer than [`MAX_CAPTION_DURATION`].
fn cue(id: usize, scope: Scope, start: usize) -> Result<Cue> {
    let error = |reason: String| Error::malformed(WHAT, start, reason);
    match scope.end {
        Some(end) if end > scope.begin && end - scope.begin <= MAX_CAPTION_DURATION => Ok(Cue {
            node: id,
            begin: scope.begin,
            end,
        }),
        Some(end) if end > scope.begin => Err(error(format!(
            "a caption lasts {} s, over the limit of {} h: a sample lasts at most {} s, so a \
             caption is repeated in a new sample every {} s, at most {} times",
            (end - scope.begin) / TICKS_PER_SECOND,
            MAX_CAPTION_DURATION / TICKS_PER_SECOND / 3600,
            MAX_SAMPLE_DURATION / TICKS_PER_SECOND,
            MAX_SAMPLE_DURATION / TICKS_PER_SECOND,
            MAX_CAPTION_DURATION / MAX_SAMPLE_DURATION,
        ))),
        Some(_) => Err(error("a caption ends before it begins".into())),
        None => Err(error(
            "a caption has no end (no end or dur on it or an enclosing element)".into(),
        )),
    }
}

/// The attributes of one element that matter here, read after checking that all its
/// attributes are well-formed (so samples, which copy tags verbatim, are too).
#[derive(Default)]
struct Attributes {
    begin: Option<String>,
    end: Option<String>,
    dur: Option<String>,
    time_container: Option<String>,
    language: Option<String>,
    frame_rate: Option<String>,
    frame_rate_multiplier: Option<String>,
    tick_rate: Option<String>,
}

impl Attributes {
    /// Reads the attributes of the element at `at`.
    fn read(start: &BytesStart<'_>, at: usize) -> Result<Self> {
        let mut found = Attributes::default();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| Error::malformed(WHAT, at, e.to_string()))?;
            // `begin`, `end`, `dur` and `timeContainer` are in no namespace, so they are
            // matched unprefixed; TTML parameters are written `ttp:frameRate`, but
            // documents bind the prefix freely, so those match by local name.
            let slot = match (attr.key.as_ref(), attr.key.local_name().as_ref()) {
                ("begin", _) => &mut found.begin,
                ("end", _) => &mut found.end,
                ("dur", _) => &mut found.dur,
                ("timeContainer", _) => &mut found.time_container,
                ("xml:lang", _) => &mut found.language,
                (_, "frameRate") => &mut found.frame_rate,
                (_, "frameRateMultiplier") => &mut found.frame_rate_multiplier,
                (_, "tickRate") => &mut found.tick_rate,
                _ => continue,
            };
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| Error::malformed(WHAT, at, e.to_string()))?;
            *slot = Some(value.trim().to_string());
        }
        Ok(found)
    }

    /// `ttp:frameRate`, `ttp:frameRateMultiplier` and `ttp:tickRate` of the root.
    fn time_base(&self, at: usize) -> Result<TimeBase> {
        let bad = |what: &str, v: &str| Error::malformed(WHAT, at, format!("{what} {v:?}"));
        let positive = |what: &str, value: &Option<String>, default: u64| match value {
            Some(v) => digits(v).filter(|&n| n > 0).ok_or_else(|| bad(what, v)),
            None => Ok(default),
        };
        let frames = positive("ttp:frameRate", &self.frame_rate, 30)?;
        let (num, den) = match &self.frame_rate_multiplier {
            Some(v) => {
                let mut parts = v.split_whitespace().map(digits);
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(Some(n)), Some(Some(d)), None) if n > 0 && d > 0 => (n, d),
                    _ => return Err(bad("ttp:frameRateMultiplier", v)),
                }
            }
            None => (1, 1),
        };
        Ok(TimeBase {
            frame_rate: (frames.saturating_mul(num), den),
            tick_rate: positive("ttp:tickRate", &self.tick_rate, 1)?,
        })
    }

    /// The absolute timing of this element inside `parent` (a parallel time container):
    /// its `begin` counts from the parent's begin, `end` likewise, `dur` from its own
    /// begin; an element without an end ends with its parent.
    fn scope(&self, parent: Scope, base: TimeBase, at: usize) -> Result<Scope> {
        let time = |name: &str, value: &Option<String>| -> Result<Option<u64>> {
            match value {
                Some(v) => parse_time(v, base).map(Some).ok_or_else(|| {
                    Error::malformed(WHAT, at, format!("{name}={v:?} is not a TTML time"))
                }),
                None => Ok(None),
            }
        };
        let overflow = || Error::malformed(WHAT, at, "a time overflows");
        let begin = match time("begin", &self.begin)? {
            Some(b) => parent.begin.checked_add(b).ok_or_else(overflow)?,
            None => parent.begin,
        };
        let end = match (time("end", &self.end)?, time("dur", &self.dur)?) {
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

    /// Refuses `timeContainer="seq"` on an element that holds captions: in a sequence
    /// each child begins when the one before it ends, and a sample leaves out the other
    /// samples' captions, which would move its own.
    fn refuse_sequence(&self, at: usize) -> Result<()> {
        if self.time_container.as_deref() == Some("seq") {
            return Err(Error::malformed(
                WHAT,
                at,
                "timeContainer=\"seq\" is not supported on <body> or <div> (a sample leaves \
                 out other samples' captions, which would move its own); use the default \
                 \"par\" with absolute times",
            ));
        }
        Ok(())
    }
}
