//! Box writer: appends boxes to a `Vec<u8>` and back-patches their sizes.
//!
//! Writing a zero size first and patching it once the body is known keeps every box
//! writer a single pass: there is no separate size computation that could disagree
//! with what is written.

/// An append-only buffer of boxes.
#[derive(Debug, Default)]
pub struct BoxWriter {
    buf: Vec<u8>,
}

impl BoxWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Reuses `buf` (cleared) as the backing storage, so a hot loop can keep one allocation.
    pub fn from_vec(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Self { buf }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Gives up the buffer.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// Writes a box of type `box_type` whose body `body` writes; the size is patched after.
    pub fn boxed(&mut self, box_type: &[u8; 4], body: impl FnOnce(&mut Self)) {
        let start = self.buf.len();
        self.u32(0);
        self.bytes(box_type);
        body(self);
        self.patch_size(start);
    }

    /// Writes a FullBox (version and 24-bit flags after the header).
    pub fn full_box(
        &mut self,
        box_type: &[u8; 4],
        version: u8,
        flags: u32,
        body: impl FnOnce(&mut Self),
    ) {
        self.boxed(box_type, |w| {
            w.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF));
            body(w);
        });
    }

    /// Writes a `uuid` box with extended type `uuid` that is a FullBox inside (the PIFF form).
    pub fn uuid_full_box(
        &mut self,
        uuid: &[u8; 16],
        version: u8,
        flags: u32,
        body: impl FnOnce(&mut Self),
    ) {
        self.boxed(b"uuid", |w| {
            w.bytes(uuid);
            w.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF));
            body(w);
        });
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends the low 24 bits of `v`, big-endian.
    pub fn u24(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes()[1..]);
    }

    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a big-endian u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// Appends `n` zero bytes.
    pub fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// Overwrites the big-endian u32 at `pos` (a position this writer returned earlier).
    pub fn patch_u32(&mut self, pos: usize, v: u32) {
        if let Some(slot) = self.buf.get_mut(pos..pos + 4) {
            slot.copy_from_slice(&v.to_be_bytes());
        }
    }

    fn patch_size(&mut self, start: usize) {
        // Boxes we write are bounded by the 64 MiB sample limit times a fragment's sample
        // count, far below 4 GiB; saturate rather than wrap if that ever changed.
        let size = u32::try_from(self.buf.len() - start).unwrap_or(u32::MAX);
        self.patch_u32(start, size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_sizes_are_patched() {
        let mut w = BoxWriter::new();
        w.boxed(b"moov", |w| {
            w.full_box(b"mvhd", 1, 0x000001, |w| w.u32(7));
        });
        assert_eq!(
            w.as_slice(),
            &[
                0, 0, 0, 24, b'm', b'o', b'o', b'v', 0, 0, 0, 16, b'm', b'v', b'h', b'd', 1, 0, 0,
                1, 0, 0, 0, 7
            ]
        );
    }

    #[test]
    fn uuid_box_layout() {
        let mut w = BoxWriter::new();
        w.uuid_full_box(&[0xAB; 16], 1, 2, |w| w.u8(9));
        let b = w.as_slice();
        assert_eq!(b.len(), 8 + 16 + 4 + 1);
        assert_eq!(&b[4..8], b"uuid");
        assert_eq!(&b[8..24], &[0xAB; 16]);
        assert_eq!(&b[24..28], &[1, 0, 0, 2]);
    }
}
