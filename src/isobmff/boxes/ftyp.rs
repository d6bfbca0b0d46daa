//! `ftyp`: the brands Smooth origins and players expect (format.md §2.1).

use crate::isobmff::writer::BoxWriter;

/// Writes `ftyp` with major brand `isml`, minor version 1, compatible `piff` and `iso2`.
pub fn write_ftyp(w: &mut BoxWriter) {
    w.boxed(b"ftyp", |w| {
        w.bytes(b"isml");
        w.u32(1);
        w.bytes(b"piff");
        w.bytes(b"iso2");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_bytes() {
        let mut w = BoxWriter::new();
        write_ftyp(&mut w);
        assert_eq!(
            hex::encode(w.as_slice()),
            "000000186674797069736d6c000000017069666669736f32"
        );
    }
}
