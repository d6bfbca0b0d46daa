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
use quick_xml::escape::partial_escape;

use super::key::ContentKey;
use super::kid::Kid;
use crate::codec::bitstream::ByteCursor;
use crate::error::{Error, Result};

mod xml;

use xml::{XmlParser, check_fragment, check_url};

/// The PlayReady DRM system ID `9a04f079-9840-4286-ab92-e65be0885f95`, in box byte order
/// (the `SystemID` of `pssh` boxes and of the `.ismc` `<ProtectionHeader>`).
pub const PLAYREADY_SYSTEM_ID: [u8; 16] =
    0x9a04_f079_9840_4286_ab92_e65b_e088_5f95_u128.to_be_bytes();

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

#[cfg(test)]
mod tests;
