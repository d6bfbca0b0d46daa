//! The table of predefined sample aspect ratios that H.264 (Table E-1, aspect_ratio_idc
//! 1 to 16) and VC-1 (SMPTE 421M Table 7, ASPECT_RATIO 1 to 13, the same first thirteen)
//! share.

/// Sample aspect ratios (horizontal, vertical) of indices 1 to 16.
const PREDEFINED: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

/// The sample aspect ratio of a predefined index (1 to 16); `None` for 0 (unspecified)
/// and anything above 16 (reserved, or the codec's escape to an explicit ratio).
pub(crate) fn predefined(index: u8) -> Option<(u16, u16)> {
    usize::from(index)
        .checked_sub(1)
        .and_then(|i| PREDEFINED.get(i))
        .copied()
}

#[cfg(test)]
mod tests {
    #[test]
    fn indices_start_at_one() {
        assert_eq!(super::predefined(0), None);
        assert_eq!(super::predefined(1), Some((1, 1)));
        assert_eq!(super::predefined(13), Some((160, 99)));
        assert_eq!(super::predefined(16), Some((2, 1)));
        assert_eq!(super::predefined(17), None);
        assert_eq!(super::predefined(255), None);
    }
}
