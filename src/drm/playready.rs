//! The PlayReady Header Object (PRO) and its WRMHEADER XML (format §8).
//!
//! We write WRMHEADER **4.0.0.0** only, because Silverlight, PlayReady 1.x, dash.js and
//! ExoPlayer's Smooth parsers read the KID as the text of a `<KID>` element, which later
//! versions no longer have (format §6.6, §8.3). The reader also accepts the 4.1+ form
//! (`<KID VALUE=… CHECKSUM=…>` inside PROTECTINFO) so foreign headers can be inspected.
//!
//! The PRO is what every carrier holds (PIFF `uuid` pssh, CENC `pssh`, the `.ismc`
//! `<ProtectionHeader>` as base64): a little-endian length, a record count, and records of
//! (type, length, value), with the WRMHEADER as a type-1 record in UTF-16LE.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quick_xml::Reader;
use quick_xml::escape::{partial_escape, resolve_predefined_entity};
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::key::ContentKey;
use super::kid::Kid;
use crate::codec::bitstream::ByteCursor;
use crate::error::{Error, Result};

/// The PlayReady DRM system ID `9a04f079-9840-4286-ab92-e65be0885f95`, in box byte order
/// (the `SystemID` of `pssh` boxes and of the `.ismc` `<ProtectionHeader>`).
pub const PLAYREADY_SYSTEM_ID: [u8; 16] = [
    0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f, 0x95,
];

/// The largest PRO the PlayReady header specification allows, in bytes (15 KB).
pub const MAX_PRO_LEN: usize = 15 * 1024;

/// The WRMHEADER namespace, written on the root before `version` as in every real sample.
const NAMESPACE: &str = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader";

/// PRO length (4) + record count (2) + one record's type (2) and length (2).
const PRO_HEADER_LEN: usize = 10;

/// Record type of a PlayReady Header (WRMHEADER) record.
const RECORD_WRMHEADER: u16 = 1;

/// What [`Error::Malformed`] names for errors in the binary PRO.
const WHAT_PRO: &str = "PlayReady Object";

/// What [`Error::Malformed`] names for errors in the XML; offsets are byte offsets in the
/// XML text.
const WHAT_XML: &str = "WRMHEADER";

/// The fields of a WRMHEADER 4.0.0.0.
///
/// PROTECTINFO is not a field: for Smooth it is always KEYLEN 16 and ALGID AESCTR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayReadyHeader {
    /// The key ID (written as base64 of its GUID-order bytes).
    pub kid: Kid,
    /// The CHECKSUM bytes ([`ContentKey::checksum`]); strongly recommended, since clients
    /// use it to detect a wrong key.
    pub checksum: Option<[u8; 8]>,
    /// License acquisition URL (`<LA_URL>`), plain text (escaped when written).
    pub la_url: Option<String>,
    /// License UI URL (`<LUI_URL>`), plain text.
    pub lui_url: Option<String>,
    /// Domain service ID (`<DS_ID>`): base64 of a GUID.
    pub ds_id: Option<String>,
    /// Inner XML of `<CUSTOMATTRIBUTES>`, written verbatim. It must be well-formed XML
    /// content; [`PlayReadyHeader::validate`] checks it.
    pub custom_attributes: Option<String>,
}

impl PlayReadyHeader {
    /// A header with only the KID; set the other fields directly.
    pub fn new(kid: Kid) -> Self {
        PlayReadyHeader {
            kid,
            checksum: None,
            la_url: None,
            lui_url: None,
            ds_id: None,
            custom_attributes: None,
        }
    }

    /// A header with the KID and the CHECKSUM computed from `key`, the usual starting point.
    pub fn with_key(kid: Kid, key: &ContentKey) -> Self {
        let mut header = PlayReadyHeader::new(kid);
        header.checksum = Some(key.checksum(&kid));
        header
    }

    /// Checks that the header can be written and read by players: URLs are absolute
    /// `http(s)` URLs, DS_ID is the base64 of 16 bytes, all text is legal XML 1.0, the
    /// custom attributes are well-formed XML content, and the PRO fits in
    /// [`MAX_PRO_LEN`] bytes. Call it once when the protection is configured; the
    /// writers ([`Self::to_xml`], [`Self::to_pro`]) assume it passed.
    pub fn validate(&self) -> Result<()> {
        for (name, url) in [("LA_URL", &self.la_url), ("LUI_URL", &self.lui_url)] {
            if let Some(url) = url {
                check_url(name, url)?;
            }
        }
        if let Some(ds_id) = &self.ds_id {
            let ok = BASE64.decode(ds_id.trim()).is_ok_and(|b| b.len() == 16);
            if !ok {
                return Err(Error::config(
                    "PlayReady header",
                    format!("DS_ID {ds_id:?} is not the base64 of a 16-byte GUID"),
                ));
            }
        }
        if let Some(custom) = &self.custom_attributes {
            check_fragment(custom).map_err(|reason| {
                Error::config(
                    "PlayReady header",
                    format!("CUSTOMATTRIBUTES is not well-formed XML content: {reason}"),
                )
            })?;
        }
        let len = self.pro_len();
        if len > MAX_PRO_LEN {
            return Err(Error::config(
                "PlayReady header",
                format!(
                    "the PlayReady Object would be {len} bytes, over the {MAX_PRO_LEN}-byte limit"
                ),
            ));
        }
        Ok(())
    }

    /// The WRMHEADER 4.0.0.0 XML on one line, elements in the order Microsoft tools emit:
    /// PROTECTINFO (KEYLEN 16, ALGID AESCTR), KID, CHECKSUM, LA_URL, LUI_URL, DS_ID,
    /// CUSTOMATTRIBUTES. Text is escaped; custom attributes are copied verbatim.
    pub fn to_xml(&self) -> String {
        let mut xml = String::with_capacity(512);
        xml.push_str("<WRMHEADER xmlns=\"");
        xml.push_str(NAMESPACE);
        xml.push_str("\" version=\"4.0.0.0\"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN>");
        xml.push_str("<ALGID>AESCTR</ALGID></PROTECTINFO>");
        push_element(&mut xml, "KID", &BASE64.encode(self.kid.to_guid_bytes_le()));
        if let Some(checksum) = &self.checksum {
            push_element(&mut xml, "CHECKSUM", &BASE64.encode(checksum));
        }
        for (name, value) in [
            ("LA_URL", &self.la_url),
            ("LUI_URL", &self.lui_url),
            ("DS_ID", &self.ds_id),
        ] {
            if let Some(value) = value {
                push_element(&mut xml, name, &partial_escape(value.as_str()));
            }
        }
        if let Some(custom) = &self.custom_attributes {
            push_element(&mut xml, "CUSTOMATTRIBUTES", custom);
        }
        xml.push_str("</DATA></WRMHEADER>");
        xml
    }

    /// The PlayReady Object: LE u32 total length, u16 record count 1, u16 record type 1,
    /// u16 record length, then the XML in UTF-16LE without BOM.
    ///
    /// Cannot fail; if [`Self::validate`] was skipped and the XML is over 64 KiB, the
    /// length fields saturate and the PRO is invalid.
    pub fn to_pro(&self) -> Vec<u8> {
        let xml = self.to_xml();
        let xml_len = 2 * xml.encode_utf16().count();
        let total = PRO_HEADER_LEN + xml_len;
        let mut pro = Vec::with_capacity(total);
        pro.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
        pro.extend_from_slice(&1u16.to_le_bytes());
        pro.extend_from_slice(&RECORD_WRMHEADER.to_le_bytes());
        pro.extend_from_slice(&u16::try_from(xml_len).unwrap_or(u16::MAX).to_le_bytes());
        for unit in xml.encode_utf16() {
            pro.extend_from_slice(&unit.to_le_bytes());
        }
        pro
    }

    /// The base64 of [`Self::to_pro`], no line breaks, for the `.ismc` `<ProtectionHeader>`.
    pub fn to_base64_pro(&self) -> String {
        BASE64.encode(self.to_pro())
    }

    /// Reads a PlayReady Object: checks every length against the buffer, takes the first
    /// type-1 record, decodes its UTF-16LE text and parses it with [`Self::from_xml`].
    /// The Length field must equal the buffer length (a pssh or base64 payload is exact).
    pub fn from_pro(pro: &[u8]) -> Result<Self> {
        let mut c = ByteCursor::at(pro, 0, WHAT_PRO);
        let length = c.u32_le()?;
        if usize::try_from(length).ok() != Some(pro.len()) {
            return Err(Error::malformed(
                WHAT_PRO,
                0,
                format!(
                    "Length field is {length} but the object has {} bytes",
                    pro.len()
                ),
            ));
        }
        let count = c.u16_le()?;
        let mut header_record: Option<(usize, &[u8])> = None;
        for _ in 0..count {
            let offset = c.position();
            let record_type = c.u16_le()?;
            let record_len = usize::from(c.u16_le()?);
            let start = c.position();
            let value = c.bytes(record_len).map_err(|_| {
                Error::malformed(
                    WHAT_PRO,
                    offset,
                    format!("record of {record_len} bytes runs past the end"),
                )
            })?;
            if record_type == RECORD_WRMHEADER && header_record.is_none() {
                header_record = Some((start, value));
            }
        }
        if c.remaining() != 0 {
            return Err(c.error(format!(
                "{} bytes after the last of {count} records",
                c.remaining()
            )));
        }
        let (start, value) = header_record
            .ok_or_else(|| Error::malformed(WHAT_PRO, 6, "no PlayReady Header (type 1) record"))?;
        if value.len() % 2 != 0 {
            return Err(Error::malformed(
                WHAT_PRO,
                start,
                format!("WRMHEADER record has an odd length {}", value.len()),
            ));
        }
        let units: Vec<u16> = value
            .chunks_exact(2)
            .map(|pair| match pair {
                [lo, hi] => u16::from_le_bytes([*lo, *hi]),
                _ => 0,
            })
            .collect();
        let xml = String::from_utf16(&units)
            .map_err(|_| Error::malformed(WHAT_PRO, start, "WRMHEADER is not valid UTF-16LE"))?;
        // The specification forbids a BOM, but tolerating one costs nothing.
        PlayReadyHeader::from_xml(xml.strip_prefix('\u{feff}').unwrap_or(&xml))
    }

    /// Parses WRMHEADER XML, version 4.0.0.0 (KID and CHECKSUM as elements of DATA) or
    /// 4.1.0.0+ (a single `<KID VALUE=… CHECKSUM=…>` inside PROTECTINFO, or inside
    /// PROTECTINFO/KIDS). Refuses algorithms other than AESCTR and headers with several
    /// KIDs, since [`PlayReadyHeader`] can hold only what we would write back.
    pub fn from_xml(xml: &str) -> Result<Self> {
        XmlParser::default().parse(xml)
    }

    /// The PRO size in bytes without building it.
    fn pro_len(&self) -> usize {
        PRO_HEADER_LEN + 2 * self.to_xml().encode_utf16().count()
    }
}

/// Appends `<name>text</name>`, `text` being already escaped.
fn push_element(xml: &mut String, name: &str, text: &str) {
    xml.push('<');
    xml.push_str(name);
    xml.push('>');
    xml.push_str(text);
    xml.push_str("</");
    xml.push_str(name);
    xml.push('>');
}

/// Whether `c` may appear in an XML 1.0 document (the `Char` production). quick-xml does
/// not check this, and a control character would make the header unreadable by clients.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

fn check_url(name: &str, url: &str) -> Result<()> {
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
fn check_fragment(inner: &str) -> std::result::Result<(), String> {
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
struct XmlParser {
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
    fn parse(mut self, xml: &str) -> Result<PlayReadyHeader> {
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

/// Tests for the PRO and WRMHEADER, with the vectors of format §11.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::key::KeySeed;

    const TEST_SEED_B64: &str = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I";

    /// Vector (3): the WPT WRMHEADER text.
    const WPT_XML: &str = concat!(
        r#"<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0">"#,
        "<DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>",
        "<KID>6vkTreYruJh19QSo48zqZA==</KID><CHECKSUM>jYFNf0yf4is=</CHECKSUM>",
        "<LA_URL>http://playready.directtaps.net/pr/svc/rightsmanager.asmx?PlayRight=1&amp;UseSimpleNonPersistentLicense=1</LA_URL>",
        "</DATA></WRMHEADER>"
    );

    /// Vector (4): the Microsoft documentation WRMHEADER.
    const MS_DOC_XML: &str = concat!(
        r#"<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0">"#,
        "<DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>",
        "<KID>q5HgCTj40kGeNVhTH9Gexw==</KID><CHECKSUM>w+OZVr8vzrQ=</CHECKSUM>",
        "<LA_URL>https://profficialsite.keydelivery.mediaservices.windows.net/PlayReady/</LA_URL>",
        "<CUSTOMATTRIBUTES><IIS_DRM_VERSION>8.0.1705.19</IIS_DRM_VERSION></CUSTOMATTRIBUTES>",
        "</DATA></WRMHEADER>"
    );

    fn kid(s: &str) -> Kid {
        match Kid::parse(s) {
            Ok(k) => k,
            Err(e) => panic!("test KID {s}: {e}"),
        }
    }

    fn ok<T>(r: Result<T>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    /// Builds a one-record PRO around arbitrary XML text, the way §8.1 lays it out.
    fn pro_from_xml(xml: &str) -> Vec<u8> {
        let units: Vec<u16> = xml.encode_utf16().collect();
        let n = 2 * units.len();
        let mut pro = Vec::new();
        pro.extend_from_slice(&((10 + n) as u32).to_le_bytes());
        pro.extend_from_slice(&1u16.to_le_bytes());
        pro.extend_from_slice(&1u16.to_le_bytes());
        pro.extend_from_slice(&(n as u16).to_le_bytes());
        for u in units {
            pro.extend_from_slice(&u.to_le_bytes());
        }
        pro
    }

    fn header_fields(pro: &[u8]) -> (u32, u16, u16, u16) {
        (
            u32::from_le_bytes([pro[0], pro[1], pro[2], pro[3]]),
            u16::from_le_bytes([pro[4], pro[5]]),
            u16::from_le_bytes([pro[6], pro[7]]),
            u16::from_le_bytes([pro[8], pro[9]]),
        )
    }

    fn wpt_header() -> PlayReadyHeader {
        let kid = kid("ad13f9ea2be698b875f504a8e3ccea64");
        let key = ok(ContentKey::parse_hex("be7df8a3667a6a8fd564d0ed81339a95"));
        let mut h = PlayReadyHeader::with_key(kid, &key);
        h.la_url = Some(
            "http://playready.directtaps.net/pr/svc/rightsmanager.asmx?PlayRight=1&UseSimpleNonPersistentLicense=1"
                .into(),
        );
        h
    }

    #[test]
    fn system_id() {
        assert_eq!(
            hex::encode(PLAYREADY_SYSTEM_ID),
            "9a04f07998404286ab92e65be0885f95"
        );
    }

    #[test]
    fn vector3_wpt_header_exact() {
        let h = wpt_header();
        assert_eq!(
            h.checksum.map(|c| BASE64.encode(c)).as_deref(),
            Some("jYFNf0yf4is=")
        );
        ok(h.validate());
        assert_eq!(h.to_xml(), WPT_XML);
        let pro = h.to_pro();
        assert_eq!(header_fields(&pro), (762, 1, 1, 752));
        assert_eq!(pro.len(), 762);
        assert_eq!(ok(PlayReadyHeader::from_pro(&pro)), h);
        assert_eq!(ok(PlayReadyHeader::from_xml(WPT_XML)), h);
    }

    #[test]
    fn vector4_ms_doc_round_trip() {
        let pro = pro_from_xml(MS_DOC_XML);
        assert_eq!(header_fields(&pro), (860, 1, 1, 850));
        assert!(BASE64.encode(&pro).starts_with("XAMAAAEAAQBSAzwA"));
        let h = ok(PlayReadyHeader::from_pro(&pro));
        assert_eq!(
            h.kid.to_guid_bytes_le().to_vec(),
            ok(BASE64
                .decode("q5HgCTj40kGeNVhTH9Gexw==")
                .map_err(|e| Error::InvalidArgument(e.to_string())))
        );
        assert_eq!(
            h.checksum.map(|c| BASE64.encode(c)).as_deref(),
            Some("w+OZVr8vzrQ=")
        );
        assert_eq!(
            h.la_url.as_deref(),
            Some("https://profficialsite.keydelivery.mediaservices.windows.net/PlayReady/")
        );
        assert_eq!(h.lui_url, None);
        assert_eq!(h.ds_id, None);
        assert_eq!(
            h.custom_attributes.as_deref(),
            Some("<IIS_DRM_VERSION>8.0.1705.19</IIS_DRM_VERSION>")
        );
        ok(h.validate());
        // Serialising gives back the very same bytes.
        assert_eq!(h.to_xml(), MS_DOC_XML);
        assert_eq!(h.to_pro(), pro);
        assert!(h.to_base64_pro().starts_with("XAMAAAEAAQBSAzwA"));
    }

    #[test]
    fn vector6_pro_from_vector2() {
        let kid = kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0");
        let seed = ok(KeySeed::parse(TEST_SEED_B64));
        let key = ContentKey::from_key_seed(&seed, &kid);
        let mut h = PlayReadyHeader::with_key(kid, &key);
        h.la_url = Some("https://test.playready.microsoft.com/service/rightsmanager.asmx".into());
        ok(h.validate());
        let xml = h.to_xml();
        assert!(
            xml.contains("<KID>3kqpi7lunUS0T6W+769DsA==</KID><CHECKSUM>Me48z71nuqY=</CHECKSUM>")
        );
        assert!(!xml.contains("nW+SROTQ9UQ="));
        assert_eq!(xml.encode_utf16().count() * 2, 668);
        let pro = h.to_pro();
        assert_eq!(pro.len(), 678);
        assert_eq!(hex::encode(&pro[..10]), "a6020000010001009c02");
        assert_eq!(hex::encode(&pro[10..16]), "3c0057005200");
        assert!(
            h.to_base64_pro()
                .starts_with("pgIAAAEAAQCcAjwAVwBSAE0ASABFAEEARABFAFIA")
        );
        assert_eq!(ok(PlayReadyHeader::from_pro(&pro)), h);
    }

    #[test]
    fn all_fields_round_trip_and_escaping() {
        let mut h = PlayReadyHeader::new(kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0"));
        h.checksum = Some([1, 2, 3, 4, 5, 6, 7, 8]);
        h.la_url = Some("https://lic.example/pr?a=1&b=<2>".into());
        h.lui_url = Some("https://ui.example/é".into());
        h.ds_id = Some("AAECAwQFBgcICQoLDA0ODw==".into());
        h.custom_attributes =
            Some(r#"<A x="1 &amp; 2">t&lt;</A><B/><!-- c --><![CDATA[<raw>]]>"#.into());
        ok(h.validate());
        let xml = h.to_xml();
        assert!(xml.contains("<LA_URL>https://lic.example/pr?a=1&amp;b=&lt;2&gt;</LA_URL>"));
        let order = [
            "<KID>",
            "<CHECKSUM>",
            "<LA_URL>",
            "<LUI_URL>",
            "<DS_ID>",
            "<CUSTOMATTRIBUTES>",
        ];
        let positions: Vec<usize> = order.iter().filter_map(|t| xml.find(t)).collect();
        assert_eq!(positions.len(), order.len());
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert!(xml.find("xmlns=") < xml.find("version="));
        assert!(!xml.contains('\n'));
        assert_eq!(ok(PlayReadyHeader::from_xml(&xml)), h);
        assert_eq!(ok(PlayReadyHeader::from_pro(&h.to_pro())), h);
        // Without optional fields nothing optional is written.
        let bare = PlayReadyHeader::new(h.kid);
        let xml = bare.to_xml();
        for t in ["CHECKSUM", "LA_URL", "LUI_URL", "DS_ID", "CUSTOMATTRIBUTES"] {
            assert!(!xml.contains(t), "{t}");
        }
        assert_eq!(ok(PlayReadyHeader::from_xml(&xml)), bare);
    }

    #[test]
    fn reads_v41_and_v42_forms() {
        let v41 = concat!(
            r#"<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.1.0.0">"#,
            r#"<DATA><PROTECTINFO><KID ALGID="AESCTR" CHECKSUM="Me48z71nuqY=" VALUE="3kqpi7lunUS0T6W+769DsA=="></KID></PROTECTINFO>"#,
            "<LA_URL>https://x.example/</LA_URL><DECRYPTORSETUP>ONDEMAND</DECRYPTORSETUP></DATA></WRMHEADER>"
        );
        let h = ok(PlayReadyHeader::from_xml(v41));
        assert_eq!(h.kid, kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0"));
        assert_eq!(
            h.checksum.map(|c| BASE64.encode(c)).as_deref(),
            Some("Me48z71nuqY=")
        );
        assert_eq!(h.la_url.as_deref(), Some("https://x.example/"));
        // Self-closing KID and the 4.2 KIDS wrapper.
        let v42 = concat!(
            r#"<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.2.0.0">"#,
            r#"<DATA><PROTECTINFO><KIDS><KID VALUE="3kqpi7lunUS0T6W+769DsA==" ALGID="AESCTR"/></KIDS></PROTECTINFO></DATA></WRMHEADER>"#
        );
        let h = ok(PlayReadyHeader::from_xml(v42));
        assert_eq!(h.kid, kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0"));
        assert_eq!(h.checksum, None);
        // Whitespace and a declaration, as in pretty-printed files.
        let pretty = "<?xml version=\"1.0\"?>\n<WRMHEADER version=\"4.0.0.0\">\n <DATA>\n  <KID> 3kqpi7lunUS0T6W+769DsA== </KID>\n </DATA>\n</WRMHEADER>\n";
        assert_eq!(ok(PlayReadyHeader::from_xml(pretty)).kid, h.kid);
    }

    #[test]
    fn xml_refusals() {
        let kid_el = "<KID>3kqpi7lunUS0T6W+769DsA==</KID>";
        let wrap = |version: &str, data: &str| {
            format!(
                r#"<WRMHEADER xmlns="{NAMESPACE}" version="{version}"><DATA>{data}</DATA></WRMHEADER>"#
            )
        };
        let cases = [
            wrap("4.0.0.0", ""),
            wrap("5.0.0.0", kid_el),
            format!("<WRMHEADER><DATA>{kid_el}</DATA></WRMHEADER>"),
            format!("<X version=\"4.0.0.0\"><DATA>{kid_el}</DATA></X>"),
            wrap("4.0.0.0", &format!("{kid_el}{kid_el}")),
            wrap("4.0.0.0", "<KID>3kqpi7lunUS0T6W+769D</KID>"),
            wrap("4.0.0.0", "<KID>not base64!</KID>"),
            wrap(
                "4.0.0.0",
                &format!("{kid_el}<CHECKSUM>Me48z71nuqY</CHECKSUM>"),
            ),
            wrap(
                "4.0.0.0",
                &format!("{kid_el}<CHECKSUM>AAAAAAAAAAAAAA==</CHECKSUM>"),
            ),
            wrap(
                "4.0.0.0",
                &format!("<PROTECTINFO><ALGID>COCKTAIL</ALGID></PROTECTINFO>{kid_el}"),
            ),
            wrap(
                "4.0.0.0",
                &format!("<PROTECTINFO><KEYLEN>7</KEYLEN></PROTECTINFO>{kid_el}"),
            ),
            wrap(
                "4.3.0.0",
                r#"<PROTECTINFO><KIDS><KID ALGID="AESCBC" VALUE="3kqpi7lunUS0T6W+769DsA=="/></KIDS></PROTECTINFO>"#,
            ),
            wrap(
                "4.2.0.0",
                r#"<PROTECTINFO><KIDS><KID VALUE="3kqpi7lunUS0T6W+769DsA=="/><KID VALUE="tUWcM2372UuZTOq9nUHJWw=="/></KIDS></PROTECTINFO>"#,
            ),
            wrap(
                "4.1.0.0",
                r#"<PROTECTINFO><KID ALGID="AESCTR"></KID></PROTECTINFO>"#,
            ),
            wrap("4.0.0.0", &format!("{kid_el}<LA_URL>a &bogus; b</LA_URL>")),
            wrap("4.0.0.0", &format!("{kid_el}<LA_URL>a</LUI_URL>")),
            format!("{}<X/>", wrap("4.0.0.0", kid_el)),
            format!("{}trailing", wrap("4.0.0.0", kid_el)),
            wrap("4.0.0.0", kid_el).replace("</WRMHEADER>", ""),
            String::new(),
        ];
        for xml in &cases {
            assert!(PlayReadyHeader::from_xml(xml).is_err(), "{xml}");
        }
        assert!(PlayReadyHeader::from_xml(&wrap("4.0.0.0", kid_el)).is_ok());
    }

    #[test]
    fn validate_refusals() {
        let base = PlayReadyHeader::new(kid("8ba94ade-6eb9-449d-b44f-a5beefaf43b0"));
        ok(base.validate());
        let bad_urls = [
            "",
            "ftp://x",
            "https://",
            "https://a b",
            "https://a\n",
            "https://a\u{1}",
            "/relative",
        ];
        for url in bad_urls {
            let mut h = base.clone();
            h.la_url = Some(url.into());
            assert!(h.validate().is_err(), "LA_URL {url:?}");
            let mut h = base.clone();
            h.lui_url = Some(url.into());
            assert!(h.validate().is_err(), "LUI_URL {url:?}");
        }
        let mut h = base.clone();
        h.la_url = Some("HTTPS://Example.com/x?a=1&b=2".into());
        ok(h.validate());
        h.la_url = Some("http://a".into());
        ok(h.validate());
        for ds in ["", "abc", "AAECAwQFBgcICQoLDA0O"] {
            let mut h = base.clone();
            h.ds_id = Some(ds.into());
            assert!(h.validate().is_err(), "DS_ID {ds:?}");
        }
        let bad_custom = [
            "<a>",
            "</a>",
            "<a></b>",
            "<a x='1' x='2'></a>",
            "a & b",
            "&nbsp;",
            "</CUSTOMATTRIBUTES><x>",
            "</CUSTOMATTRIBUTES>",
            "<?xml version=\"1.0\"?><a/>",
            "<!DOCTYPE a><a/>",
            "<!-- a -- b -->",
            "bad\u{1}char",
            "<a x=\"\u{2}\"/>",
            "&#0;",
            "<a x=1/>",
        ];
        for custom in bad_custom {
            let mut h = base.clone();
            h.custom_attributes = Some(custom.into());
            assert!(h.validate().is_err(), "CUSTOMATTRIBUTES {custom:?}");
        }
        let good_custom = [
            "",
            "text only",
            "<a/><b x=\"1\">&amp;&#x41;</b>",
            "<?pi x?><c><d/></c>",
        ];
        for custom in good_custom {
            let mut h = base.clone();
            h.custom_attributes = Some(custom.into());
            ok(h.validate());
            assert_eq!(ok(PlayReadyHeader::from_pro(&h.to_pro())), h, "{custom:?}");
        }
        // Size limit: 15 KB for the whole PRO.
        let mut h = base.clone();
        let fixed = base.to_pro().len() + 2 * "<CUSTOMATTRIBUTES></CUSTOMATTRIBUTES>".len();
        h.custom_attributes = Some("x".repeat((MAX_PRO_LEN - fixed) / 2));
        ok(h.validate());
        assert_eq!(h.to_pro().len(), MAX_PRO_LEN);
        h.custom_attributes = Some("x".repeat((MAX_PRO_LEN - fixed) / 2 + 1));
        assert!(h.validate().is_err());
    }

    #[test]
    fn pro_refusals() {
        let good = wpt_header().to_pro();
        assert!(PlayReadyHeader::from_pro(&good).is_ok());
        // Length field different from the buffer.
        let mut longer = good.clone();
        longer.push(0);
        assert!(PlayReadyHeader::from_pro(&longer).is_err());
        assert!(PlayReadyHeader::from_pro(&good[..good.len() - 2]).is_err());
        // Odd record length.
        let mut odd = good.clone();
        odd[8] = odd[8].wrapping_sub(1);
        odd.pop();
        odd[0] = odd[0].wrapping_sub(1);
        assert!(PlayReadyHeader::from_pro(&odd).is_err());
        // No type-1 record.
        let mut other = good.clone();
        other[6] = 3;
        assert!(PlayReadyHeader::from_pro(&other).is_err());
        // Count too high / zero.
        let mut two = good.clone();
        two[4] = 2;
        assert!(PlayReadyHeader::from_pro(&two).is_err());
        let mut zero = good.clone();
        zero[4] = 0;
        assert!(PlayReadyHeader::from_pro(&zero).is_err());
        // Unpaired surrogate.
        let mut bad16 = pro_from_xml("<WRMHEADER/>");
        bad16[10] = 0x00;
        bad16[11] = 0xd8;
        assert!(PlayReadyHeader::from_pro(&bad16).is_err());
        // A leading type-3 record before the header is skipped.
        let xml_pro = good.clone();
        let mut multi = Vec::new();
        multi.extend_from_slice(&((good.len() + 6) as u32).to_le_bytes());
        multi.extend_from_slice(&2u16.to_le_bytes());
        multi.extend_from_slice(&3u16.to_le_bytes());
        multi.extend_from_slice(&2u16.to_le_bytes());
        multi.extend_from_slice(&[0xaa, 0xbb]);
        multi.extend_from_slice(&xml_pro[6..]);
        assert_eq!(ok(PlayReadyHeader::from_pro(&multi)), wpt_header());
        for n in 0..10 {
            assert!(PlayReadyHeader::from_pro(&good[..n]).is_err(), "{n}");
        }
    }

    use crate::test_rng::XorShift;

    #[test]
    fn random_and_truncated_input_never_panics() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let seeds = [
            wpt_header().to_pro(),
            pro_from_xml(MS_DOC_XML),
            pro_from_xml(
                r#"<WRMHEADER version="4.1.0.0"><DATA><PROTECTINFO><KID VALUE="3kqpi7lunUS0T6W+769DsA==" CHECKSUM="Me48z71nuqY="/></PROTECTINFO></DATA></WRMHEADER>"#,
            ),
        ];
        for seed in &seeds {
            for n in 0..=seed.len() {
                let _ = PlayReadyHeader::from_pro(&seed[..n]);
            }
            for _ in 0..3000 {
                let mut buf = seed.clone();
                let flips = 1 + rng.next() % 4;
                for _ in 0..flips {
                    let i = (rng.next() as usize) % buf.len();
                    buf[i] = rng.next() as u8;
                }
                // Keep the length field consistent half the time so the XML parser is reached.
                if rng.next().is_multiple_of(2) {
                    let cut = (rng.next() as usize) % buf.len();
                    buf.truncate(cut.max(10));
                    let len = buf.len() as u32;
                    buf[..4].copy_from_slice(&len.to_le_bytes());
                    let rec = (buf.len() - 10) as u16;
                    buf[8..10].copy_from_slice(&rec.to_le_bytes());
                }
                if let Ok(h) = PlayReadyHeader::from_pro(&buf) {
                    // Whatever parses must write and parse again without panicking.
                    let _ = h.validate();
                    let _ = PlayReadyHeader::from_pro(&h.to_pro());
                }
            }
        }
        for _ in 0..3000 {
            let len = (rng.next() % 64) as usize;
            let buf: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = PlayReadyHeader::from_pro(&buf);
            let text = String::from_utf8_lossy(&buf).into_owned();
            let _ = PlayReadyHeader::from_xml(&text);
        }
        // Mutated XML text directly.
        let bytes = MS_DOC_XML.as_bytes();
        for _ in 0..3000 {
            let mut buf = bytes.to_vec();
            for _ in 0..1 + rng.next() % 3 {
                let i = (rng.next() as usize) % buf.len();
                buf[i] = b"<>/&;=\"' aZ#x"[(rng.next() % 13) as usize];
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Ok(h) = PlayReadyHeader::from_xml(&text) {
                let _ = h.validate();
            }
        }
    }
}
