//! Reading WRMHEADER XML (4.0.0.0, and the 4.1+ forms) into a [`PlayReadyHeader`], and
//! the well-formedness checks that writing it relies on: quick-xml tokenises, these
//! functions decide what a PlayReady client would accept.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{PlayReadyHeader, WHAT_XML};
use crate::drm::kid::Kid;
use crate::error::{Error, Result};

/// Whether `c` may appear in an XML 1.0 document (the `Char` production). quick-xml does
/// not check this, and a control character would make the header unreadable by clients.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

pub(super) fn check_url(name: &str, url: &str) -> Result<()> {
    // Scheme compared case-insensitively (RFC 3986); something must follow it.
    let rest = ["http://", "https://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .and_then(|_| url.get(scheme.len()..))
    });
    // Whitespace is refused too: players pass the URL on unchanged, and a stray space or
    // newline (easy to pick up from a config file) breaks the license request.
    let chars_ok = url.chars().all(|c| is_xml_char(c) && !c.is_whitespace());
    if rest.is_none_or(str::is_empty) || !chars_ok {
        return Err(Error::config(
            "PlayReady header",
            format!("{name} {url:?} is not an absolute http(s) URL without spaces"),
        ));
    }
    Ok(())
}

/// Resolves an entity or character reference, refusing the undeclared ones (there is no
/// DTD, so only the five predefined entities exist).
fn resolve_ref(r: &BytesRef<'_>) -> std::result::Result<String, String> {
    let name = r.xml10_content();
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c.to_string()),
            _ => Err(format!("bad character reference &{name};")),
        };
    }
    resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("undeclared entity &{name};"))
}

/// Checks the attributes of a start tag (syntax, duplicates, references).
fn check_attributes(start: &BytesStart<'_>) -> std::result::Result<(), String> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        if !value.chars().all(is_xml_char) {
            return Err("attribute value with a character not allowed in XML".into());
        }
    }
    Ok(())
}

/// Checks that `inner` is well-formed XML *content* (what may sit between a start and an
/// end tag): balanced, matching tags, valid attributes and references, no declaration or
/// DOCTYPE, and no way to close the enclosing element early.
pub(super) fn check_fragment(inner: &str) -> std::result::Result<(), String> {
    const WRAP: &str = "CUSTOMATTRIBUTES";
    let doc = format!("<{WRAP}>{inner}</{WRAP}>");
    let mut reader = Reader::from_str(&doc);
    reader.config_mut().check_comments = true;
    let mut depth = 0usize;
    let mut closed = false;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        if closed && !matches!(event, Event::Eof) {
            return Err(format!("content after a closing </{WRAP}>"));
        }
        match event {
            Event::Start(start) => {
                check_attributes(&start)?;
                depth += 1;
            }
            Event::Empty(start) => check_attributes(&start)?,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                closed = depth == 0;
            }
            Event::Text(text) => {
                if !text.xml10_content().chars().all(is_xml_char) {
                    return Err("text with a character not allowed in XML".into());
                }
            }
            Event::CData(cdata) => {
                if !cdata.xml10_content().chars().all(is_xml_char) {
                    return Err("CDATA with a character not allowed in XML".into());
                }
            }
            Event::GeneralRef(r) => {
                resolve_ref(&r)?;
            }
            Event::Decl(_) => return Err("an XML declaration inside content".into()),
            Event::DocType(_) => return Err("a DOCTYPE inside content".into()),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !closed {
        return Err("unclosed element".into());
    }
    Ok(())
}

/// Where a leaf's text or attributes go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// DATA/KID (4.0 text).
    Kid,
    /// DATA/CHECKSUM (4.0 text).
    Checksum,
    /// DATA/PROTECTINFO/KEYLEN (4.0).
    KeyLen,
    /// DATA/PROTECTINFO/ALGID (4.0).
    AlgId,
    /// DATA/LA_URL.
    LaUrl,
    /// DATA/LUI_URL.
    LuiUrl,
    /// DATA/DS_ID.
    DsId,
    /// Anything we do not read (DECRYPTORSETUP, unknown elements).
    Other,
}

/// State of [`PlayReadyHeader::from_xml`].
#[derive(Default)]
pub(super) struct XmlParser {
    /// Local names of the open elements.
    stack: Vec<String>,
    /// Text of the innermost element since its start tag.
    text: String,
    version: Option<String>,
    kid: Option<Kid>,
    checksum: Option<[u8; 8]>,
    la_url: Option<String>,
    lui_url: Option<String>,
    ds_id: Option<String>,
    custom_attributes: Option<String>,
    /// Byte offset just after `<CUSTOMATTRIBUTES>`, while inside it.
    custom_start: Option<usize>,
    root_done: bool,
}

impl XmlParser {
    pub(super) fn parse(mut self, xml: &str) -> Result<PlayReadyHeader> {
        let mut reader = Reader::from_str(xml);
        // `<KID ... />` and `<KID ...></KID>` are the same element; expanding empty tags
        // lets one code path handle both.
        reader.config_mut().expand_empty_elements = true;
        reader.config_mut().check_comments = true;
        loop {
            let before = to_usize(reader.buffer_position());
            let event = reader.read_event().map_err(|e| {
                Error::malformed(WHAT_XML, to_usize(reader.error_position()), e.to_string())
            })?;
            let after = to_usize(reader.buffer_position());
            let err = |reason: String| Error::malformed(WHAT_XML, before, reason);
            match event {
                Event::Start(start) => {
                    self.open(&start, after).map_err(err)?;
                }
                // Not produced while `expand_empty_elements` is on, but handled the same
                // way in case that changes: an empty element opens and closes at once.
                Event::Empty(start) => {
                    self.open(&start, after).map_err(err)?;
                    self.close(xml, after).map_err(err)?;
                }
                Event::End(_) => {
                    self.close(xml, before).map_err(err)?;
                }
                Event::Text(text) => {
                    let text = text.xml10_content();
                    if !text.chars().all(is_xml_char) {
                        return Err(err("a character not allowed in XML".into()));
                    }
                    if self.stack.is_empty() && !text.trim().is_empty() {
                        return Err(err("text outside the WRMHEADER element".into()));
                    }
                    self.text.push_str(&text);
                }
                Event::CData(cdata) => {
                    if self.stack.is_empty() {
                        return Err(err("CDATA outside the WRMHEADER element".into()));
                    }
                    self.text.push_str(&cdata.xml10_content());
                }
                Event::GeneralRef(r) => {
                    if self.stack.is_empty() {
                        return Err(err("reference outside the WRMHEADER element".into()));
                    }
                    let resolved = resolve_ref(&r).map_err(err)?;
                    self.text.push_str(&resolved);
                }
                Event::DocType(_) => return Err(err("DOCTYPE is not allowed".into())),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
        }
        if !self.root_done {
            return Err(Error::malformed(
                WHAT_XML,
                xml.len(),
                "no complete WRMHEADER element",
            ));
        }
        let kid = self
            .kid
            .ok_or_else(|| Error::malformed(WHAT_XML, 0, "no KID"))?;
        Ok(PlayReadyHeader {
            kid,
            checksum: self.checksum,
            la_url: self.la_url,
            lui_url: self.lui_url,
            ds_id: self.ds_id,
            custom_attributes: self.custom_attributes,
        })
    }

    /// Opens an element whose content begins at byte `content_start`.
    fn open(
        &mut self,
        start: &BytesStart<'_>,
        content_start: usize,
    ) -> std::result::Result<(), String> {
        if self.root_done {
            return Err("content after the WRMHEADER element".into());
        }
        let name = start.local_name().as_ref().to_owned();
        self.start(&name, start, content_start)?;
        self.stack.push(name);
        self.text.clear();
        Ok(())
    }

    /// Closes the innermost element, whose end tag begins at byte `end_start`.
    fn close(&mut self, xml: &str, end_start: usize) -> std::result::Result<(), String> {
        self.end(xml, end_start)?;
        self.stack.pop();
        self.text.clear();
        self.root_done = self.stack.is_empty();
        Ok(())
    }

    /// The path of open elements below the root, e.g. `["DATA", "PROTECTINFO"]`.
    fn path(&self) -> Vec<&str> {
        self.stack.iter().skip(1).map(String::as_str).collect()
    }

    /// Handles a start tag `name` whose content begins at byte `content_start`.
    fn start(
        &mut self,
        name: &str,
        start: &BytesStart<'_>,
        content_start: usize,
    ) -> std::result::Result<(), String> {
        if self.custom_start.is_some() {
            // Inside CUSTOMATTRIBUTES: the caller's XML, kept verbatim, not interpreted.
            return check_attributes(start);
        }
        if self.stack.is_empty() {
            if name != "WRMHEADER" {
                return Err(format!("root element is <{name}>, not <WRMHEADER>"));
            }
            return self.root_attributes(start);
        }
        check_attributes(start)?;
        let path = self.path();
        match (path.as_slice(), name) {
            (["DATA"], "CUSTOMATTRIBUTES") => {
                if self.custom_attributes.is_some() {
                    return Err("two CUSTOMATTRIBUTES elements".into());
                }
                self.custom_start = Some(content_start);
            }
            // 4.1: PROTECTINFO/KID; 4.2 and 4.3: PROTECTINFO/KIDS/KID.
            (["DATA", "PROTECTINFO"], "KID") | (["DATA", "PROTECTINFO", "KIDS"], "KID") => {
                self.kid_attributes(start)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads the root's `version`; only major version 4 exists.
    fn root_attributes(&mut self, start: &BytesStart<'_>) -> std::result::Result<(), String> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            if attr.key.local_name().as_ref() == "version" {
                let value = attr
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| e.to_string())?;
                self.version = Some(value.into_owned());
            }
        }
        match self.version.as_deref() {
            Some("4.0.0.0" | "4.1.0.0" | "4.2.0.0" | "4.3.0.0") => Ok(()),
            Some(v) => Err(format!("WRMHEADER version {v:?} is not supported")),
            None => Err("WRMHEADER has no version attribute".into()),
        }
    }

    /// Reads a 4.1+ `<KID ALGID=… CHECKSUM=… VALUE=…>`.
    fn kid_attributes(&mut self, start: &BytesStart<'_>) -> std::result::Result<(), String> {
        let mut value = None;
        let mut checksum = None;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            let text = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| e.to_string())?;
            match attr.key.local_name().as_ref() {
                "VALUE" => value = Some(decode_kid(&text)?),
                "CHECKSUM" => checksum = Some(decode_checksum(&text)?),
                "ALGID" => check_algid(&text)?,
                _ => {}
            }
        }
        let kid = value.ok_or("KID element without a VALUE attribute")?;
        self.set_kid(kid)?;
        self.checksum = checksum;
        Ok(())
    }

    fn set_kid(&mut self, kid: Kid) -> std::result::Result<(), String> {
        if self.kid.is_some() {
            return Err("more than one KID (only single-key headers are supported)".into());
        }
        self.kid = Some(kid);
        Ok(())
    }

    /// Handles the end tag that starts at byte `end_start`.
    fn end(&mut self, xml: &str, end_start: usize) -> std::result::Result<(), String> {
        let path = self.path();
        if let Some(content_start) = self.custom_start {
            if path.as_slice() == ["DATA", "CUSTOMATTRIBUTES"] {
                let inner = xml
                    .get(content_start..end_start)
                    .ok_or("CUSTOMATTRIBUTES content out of range")?;
                self.custom_attributes = Some(inner.to_owned());
                self.custom_start = None;
            }
            return Ok(());
        }
        let slot = match path.as_slice() {
            ["DATA", "KID"] => Slot::Kid,
            ["DATA", "CHECKSUM"] => Slot::Checksum,
            ["DATA", "PROTECTINFO", "KEYLEN"] => Slot::KeyLen,
            ["DATA", "PROTECTINFO", "ALGID"] => Slot::AlgId,
            ["DATA", "LA_URL"] => Slot::LaUrl,
            ["DATA", "LUI_URL"] => Slot::LuiUrl,
            ["DATA", "DS_ID"] => Slot::DsId,
            _ => Slot::Other,
        };
        // Values are trimmed: pretty-printed headers put whitespace around them.
        let text = self.text.trim().to_owned();
        match slot {
            Slot::Kid => {
                let kid = decode_kid(&text)?;
                self.set_kid(kid)?;
            }
            Slot::Checksum => {
                if self.checksum.is_some() {
                    return Err("two CHECKSUM values".into());
                }
                self.checksum = Some(decode_checksum(&text)?);
            }
            Slot::KeyLen => {
                if text != "16" {
                    return Err(format!("KEYLEN {text:?} is not supported (only 16)"));
                }
            }
            Slot::AlgId => check_algid(&text)?,
            Slot::LaUrl => set_once(&mut self.la_url, text, "LA_URL")?,
            Slot::LuiUrl => set_once(&mut self.lui_url, text, "LUI_URL")?,
            Slot::DsId => set_once(&mut self.ds_id, text, "DS_ID")?,
            Slot::Other => {}
        }
        Ok(())
    }
}

fn set_once(
    field: &mut Option<String>,
    value: String,
    name: &str,
) -> std::result::Result<(), String> {
    if field.is_some() {
        return Err(format!("two {name} elements"));
    }
    *field = Some(value);
    Ok(())
}

fn decode_kid(text: &str) -> std::result::Result<Kid, String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|_| format!("KID {text:?} is not base64"))?;
    let bytes: [u8; 16] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("KID is {} bytes, not 16", b.len()))?;
    Ok(Kid::from_guid_bytes_le(bytes))
}

fn decode_checksum(text: &str) -> std::result::Result<[u8; 8], String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|_| format!("CHECKSUM {text:?} is not base64"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("CHECKSUM is {} bytes, not 8", b.len()))
}

fn check_algid(text: &str) -> std::result::Result<(), String> {
    if text.trim() == "AESCTR" {
        Ok(())
    } else {
        Err(format!("ALGID {text:?} is not supported (only AESCTR)"))
    }
}

/// quick-xml reports positions as u64; they come from a `&str`, so they fit in usize.
fn to_usize(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}
