//! A deterministic xorshift64 generator for the no-panic tests of every parser, so
//! failures reproduce without a `rand` dependency.

/// xorshift64 state; any non-zero seed.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `len` random bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Random bytes, fewer than `max_len` of them.
    pub(crate) fn bytes_below(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len);
        self.bytes(len)
    }

    /// `base` truncated with a few bytes replaced, or (one time in four) random bytes.
    pub(crate) fn damage(&mut self, base: &[u8]) -> Vec<u8> {
        if self.below(4) == 0 {
            let len = self.below(64);
            return self.bytes(len);
        }
        let mut out = base[..self.below(base.len() + 1)].to_vec();
        for _ in 0..self.below(4) {
            if !out.is_empty() {
                let i = self.below(out.len());
                out[i] = self.next() as u8;
            }
        }
        out
    }
}
