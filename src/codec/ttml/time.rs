//! TTML time expressions, converted exactly to 100 ns ticks.

use super::TICKS_PER_SECOND;

/// The timing parameters of a document (`ttp:` attributes of the root).
#[derive(Debug, Clone, Copy)]
pub(super) struct TimeBase {
    /// Frames per second as a fraction (frameRate × frameRateMultiplier).
    pub(super) frame_rate: (u64, u64),
    /// Ticks per second for `t` offsets.
    pub(super) tick_rate: u64,
}

impl Default for TimeBase {
    /// TTML's defaults: 30 frames per second, one tick per second.
    fn default() -> Self {
        TimeBase {
            frame_rate: (30, 1),
            tick_rate: 1,
        }
    }
}

/// A TTML time expression in 100 ns ticks: clock time `hh:mm:ss`, `hh:mm:ss.fff` or
/// `hh:mm:ss:ff` (frames), or an offset `N.Nh|m|s|ms|f|t`. `None` if malformed.
pub(super) fn parse_time(text: &str, base: TimeBase) -> Option<u64> {
    let text = text.trim();
    if text.contains(':') {
        return clock_time(text, base);
    }
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, metric) = text.split_at(split);
    match metric {
        "h" => decimal(number, 3600 * TICKS_PER_SECOND),
        "m" => decimal(number, 60 * TICKS_PER_SECOND),
        "s" => decimal(number, TICKS_PER_SECOND),
        "ms" => decimal(number, TICKS_PER_SECOND / 1000),
        "f" => frames_to_ticks(digits(number)?, base),
        "t" => {
            let ticks: u64 = digits(number)?;
            u64::try_from(
                u128::from(ticks) * u128::from(TICKS_PER_SECOND) / u128::from(base.tick_rate),
            )
            .ok()
        }
        _ => None,
    }
}

/// `hh:mm:ss[.fff]` or `hh:mm:ss:ff[.sub]`.
fn clock_time(text: &str, base: TimeBase) -> Option<u64> {
    let parts: Vec<&str> = text.split(':').collect();
    let (hours, minutes, rest) = match parts.as_slice() {
        [h, m, s] | [h, m, s, _] => (*h, *m, *s),
        _ => return None,
    };
    let hours: u64 = digits(hours)?;
    let minutes: u64 = digits(minutes)?;
    if minutes >= 60 {
        return None;
    }
    let seconds = decimal(rest, TICKS_PER_SECOND)?;
    let frames = match parts.get(3) {
        Some(f) => {
            // Sub-frames (`ff.sub`) are below any caption's precision; dropped.
            let whole = f.split('.').next()?;
            frames_to_ticks(digits(whole)?, base)?
        }
        None => 0,
    };
    hours
        .checked_mul(3600 * TICKS_PER_SECOND)?
        .checked_add(minutes * 60 * TICKS_PER_SECOND)?
        .checked_add(seconds)?
        .checked_add(frames)
}

/// A non-empty run of ASCII digits.
pub(super) fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `int[.frac]` times `unit`, exact to the tick (extra fraction digits are truncated).
fn decimal(text: &str, unit: u64) -> Option<u64> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    let whole = digits(int)?.checked_mul(unit)?;
    if frac.is_empty() {
        return (!text.ends_with('.')).then_some(whole);
    }
    let frac_digits = digits(frac).map(|_| frac)?;
    let mut value = 0u128;
    let mut scale = 1u128;
    for b in frac_digits.bytes().take(12) {
        value = value * 10 + u128::from(b - b'0');
        scale *= 10;
    }
    let part = u64::try_from(value * u128::from(unit) / scale).ok()?;
    whole.checked_add(part)
}

/// `frames` at the document's frame rate, in ticks.
fn frames_to_ticks(frames: u64, base: TimeBase) -> Option<u64> {
    let (num, den) = base.frame_rate;
    if num == 0 {
        return None;
    }
    u64::try_from(
        u128::from(frames) * u128::from(TICKS_PER_SECOND) * u128::from(den) / u128::from(num),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: TimeBase = TimeBase {
        frame_rate: (30, 1),
        tick_rate: 10_000_000,
    };

    #[test]
    fn time_expressions_convert_exactly() {
        let t = |s: &str| parse_time(s, BASE);
        assert_eq!(t("00:00:01.5"), Some(15_000_000));
        assert_eq!(t("01:02:03"), Some((3600 + 120 + 3) * TICKS_PER_SECOND));
        assert_eq!(t("00:00:00:15"), Some(5_000_000));
        assert_eq!(t("2.25s"), Some(22_500_000));
        assert_eq!(t("1500ms"), Some(15_000_000));
        assert_eq!(t("0.5h"), Some(1800 * TICKS_PER_SECOND));
        assert_eq!(t("90f"), Some(3 * TICKS_PER_SECOND));
        assert_eq!(t("12345t"), Some(12345));
        for bad in [
            "",
            "s",
            "1",
            "1x",
            "00:60:00",
            "1..2s",
            "-1s",
            "1.s",
            "a:b:c",
            "99999999999999999999h",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
