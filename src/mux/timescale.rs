//! Exact conversion of caller timestamps to the presentation timescale.
//!
//! Every time is converted from its absolute value (never by adding converted
//! durations), so rounding never accumulates: after 24 h of 48 kHz AAC frames the
//! converted time is still the exact rational time rounded once.

/// Converts `value` ticks at `from` per second to ticks at `to` per second, rounding to
/// the nearest tick (halves up). None when the result does not fit in 63 bits or `from`
/// is zero.
pub fn rescale(value: u64, from: u32, to: u32) -> Option<u64> {
    if from == 0 {
        return None;
    }
    if from == to {
        return (value <= i64::MAX as u64).then_some(value);
    }
    let from = u128::from(from);
    let scaled = (u128::from(value) * u128::from(to) + from / 2) / from;
    u64::try_from(scaled).ok().filter(|v| *v <= i64::MAX as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_48k_has_no_drift_after_24_hours() {
        let frames_per_day = 24 * 3600 * 48_000 / 1024;
        let mut sum_of_durations = 0u64;
        let mut previous = 0u64;
        for n in 1..=frames_per_day {
            let t = rescale(n * 1024, 48_000, 10_000_000).unwrap();
            sum_of_durations += t - previous;
            previous = t;
        }
        // 24 h exactly: 86 400 s = 864 000 000 000 ticks; the frames cover n*1024 samples.
        let exact = frames_per_day * 1024 * 10_000_000 / 48_000;
        assert_eq!(sum_of_durations, exact);
        assert_eq!(previous, exact);
        // Every duration is 213 333 or 213 334 ticks: never a repeated rounded constant.
        let d1 = rescale(1024, 48_000, 10_000_000).unwrap();
        let d2 = rescale(2048, 48_000, 10_000_000).unwrap() - d1;
        assert_eq!((d1, d2), (213_333, 213_334));
    }

    #[test]
    fn overflow_and_zero_are_refused() {
        assert_eq!(rescale(u64::MAX, 1, 10_000_000), None);
        assert_eq!(rescale(1, 0, 10), None);
        assert_eq!(rescale(90_000, 90_000, 10_000_000), Some(10_000_000));
    }
}
