//! Frame rates as exact fractions, for raw streams that do not signal their own.

use std::str::FromStr;

/// A frame rate as a fraction: `num / den` frames per second (e.g. 30000/1001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Ticks per second; the stream timescale when the stream gives no timing.
    pub num: u32,
    /// Ticks per frame.
    pub den: u32,
}

impl FrameRate {
    /// `num / den` frames per second, reduced; `None` when either is 0.
    pub fn new(num: u32, den: u32) -> Option<Self> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(FrameRate {
            num: num / g,
            den: den / g,
        })
    }

    /// The rate as a decimal, for messages.
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl FromStr for FrameRate {
    type Err = String;

    /// "25", "30000/1001", or a decimal; 23.976, 29.97 and 59.94 mean the exact NTSC
    /// rates (N×1000/1001), which decimals can only approximate.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a frame rate (e.g. 25, 29.97 or 30000/1001)");
        let (num, den) = match s.split_once('/') {
            Some((n, d)) => (
                n.trim().parse::<u32>().map_err(|_| bad())?,
                d.trim().parse::<u32>().map_err(|_| bad())?,
            ),
            None => {
                let x: f64 = s.trim().parse().map_err(|_| bad())?;
                if !(x.is_finite() && x > 0.0 && x < 1e6) {
                    return Err(bad());
                }
                let ntsc = (x * 1.001).round();
                // In range: x < 1e6, so both products fit a u32.
                if x.fract() != 0.0 && (ntsc * 1000.0 / 1001.0 - x).abs() < 0.005 {
                    (ntsc as u32 * 1000, 1001)
                } else {
                    ((x * 1000.0).round() as u32, 1000)
                }
            }
        };
        FrameRate::new(num, den).ok_or_else(bad)
    }
}

/// Greatest common divisor, to reduce frame rate fractions.
fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_parse_exactly() {
        let fps = |s: &str| s.parse::<FrameRate>().map(|f| (f.num, f.den));
        assert_eq!(fps("25"), Ok((25, 1)));
        assert_eq!(fps("29.97"), Ok((30000, 1001)));
        assert_eq!(fps("23.976"), Ok((24000, 1001)));
        assert_eq!(fps("59.94"), Ok((60000, 1001)));
        assert_eq!(fps("12.5"), Ok((25, 2)));
        assert_eq!(fps("30000/1001"), Ok((30000, 1001)));
        assert!(fps("0").is_err());
        assert!(fps("25/0").is_err());
    }
}
