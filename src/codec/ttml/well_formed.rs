//! The well-formedness check of caption samples shared by the unit tests and the `ttml`
//! fuzz target (which includes this file by path), so both hold samples to one standard.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Reads `document` to its end with quick-xml, checking that it is UTF-8, that its
/// elements nest, that every tag's attributes are well-formed, and that it has one root
/// and nothing but whitespace, comments and processing instructions outside it.
pub(crate) fn assert_well_formed(document: &[u8]) {
    let text = std::str::from_utf8(document).expect("a sample is UTF-8");
    let mut reader = Reader::from_str(text);
    let (mut depth, mut roots) = (0usize, 0);
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{e}: {text}"));
        let outside = depth == 0;
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(tag) | Event::Empty(tag) => {
                assert!(!(outside && roots > 0), "a second root: {text}");
                for attribute in tag.attributes() {
                    attribute.unwrap_or_else(|e| panic!("{e}: {text}"));
                }
                roots += usize::from(outside);
                depth += usize::from(opens);
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) if outside => assert!(t.trim().is_empty(), "text outside: {text}"),
            Event::CData(_) | Event::GeneralRef(_) if outside => panic!("text outside: {text}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((depth, roots), (0, 1), "{text}");
}
