//! What a user says about one input: `FILE[@BITRATE][,lang=LANG][,name=NAME]`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Per-input settings: the bit rate (instead of measuring it), the language and the
/// StreamIndex name of the input's streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputOptions {
    /// Bits per second; `None` measures it from the input. For an MP4 it is its video
    /// track's (the file must have exactly one), the audio being measured.
    pub bitrate: Option<u32>,
    /// ISO 639-2 language of the input's audio and caption streams (an MP4's `mdhd`
    /// language otherwise, or a TTML file's `xml:lang`).
    pub language: Option<String>,
    /// StreamIndex name of the input's stream (the input must have one stream): inputs
    /// given the same name become the bit rates of one StreamIndex.
    pub name: Option<String>,
}

impl InputOptions {
    /// Checks a language code: three ASCII letters (ISO 639-2), kept in lower case.
    pub fn check_language(code: &str) -> Result<String, String> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(code.to_ascii_lowercase())
        } else {
            Err(format!(
                "{code:?} is not an ISO 639-2 language code (three letters, e.g. eng or fra)"
            ))
        }
    }

    /// Checks a StreamIndex name: it goes into fragment URLs and file names, so letters,
    /// digits, `_`, `-` and `.` only.
    pub fn check_name(name: &str) -> Result<(), String> {
        let fits = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
        if !name.is_empty() && name.bytes().all(fits) && !name.starts_with('.') {
            Ok(())
        } else {
            Err(format!(
                "{name:?} is not a stream name (letters, digits, '_', '-' and '.', e.g. audio_fr)"
            ))
        }
    }
}

/// An input as a command line writes it: a path and its [`InputOptions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// The file.
    pub path: PathBuf,
    /// What was said about it after the `@`.
    pub options: InputOptions,
}

impl InputSpec {
    /// A path with no options.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        InputSpec {
            path: path.into(),
            options: InputOptions::default(),
        }
    }
}

impl FromStr for InputSpec {
    type Err = String;

    /// An existing file is a path whatever it contains (`me@host/a.h264`); otherwise
    /// `FILE@OPTIONS` splits at the last '@', OPTIONS being comma-separated: a bit rate
    /// (first), `lang=LANG`, `name=NAME` (e.g. `a.aac@128k,lang=fra,name=audio_fr`).
    fn from_str(s: &str) -> Result<Self, String> {
        if Path::new(s).exists() {
            return Ok(InputSpec::new(s));
        }
        let Some((path, list)) = s.rsplit_once('@') else {
            return Ok(InputSpec::new(s));
        };
        let mut options = InputOptions::default();
        for (i, item) in list.split(',').enumerate() {
            match item.split_once('=') {
                Some(("lang", code)) => {
                    options.language = Some(
                        InputOptions::check_language(code)
                            .map_err(|e| format!("{s}: no such file, and {e}"))?,
                    );
                }
                Some(("name", name)) => {
                    InputOptions::check_name(name)
                        .map_err(|e| format!("{s}: no such file, and {e}"))?;
                    options.name = Some(name.to_string());
                }
                Some(_) => {
                    return Err(format!(
                        "{s}: no such file, and {item:?} is not an option for {path} \
                         (a bit rate, lang=LANG or name=NAME, e.g. {path}@128k,lang=fra,name=audio_fr)"
                    ));
                }
                None if i == 0 => match parse_bitrate(item) {
                    Ok(bitrate) => options.bitrate = Some(bitrate),
                    Err(_) => {
                        return Err(format!(
                            "{s}: no such file, and {item:?} is not a bit rate for {path} (e.g. {path}@1500000, @1500k or @1.5M)"
                        ));
                    }
                },
                None => {
                    return Err(format!(
                        "{s}: no such file, and {item:?} is not an option for {path} (the bit \
                         rate comes first, then lang=LANG or name=NAME)"
                    ));
                }
            }
        }
        Ok(InputSpec {
            path: path.into(),
            options,
        })
    }
}

/// "1500000", "1500k", "1.5M" (case-insensitive, optional "bps") → bits per second.
pub fn parse_bitrate(s: &str) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    let t = lower.strip_suffix("bps").unwrap_or(&lower);
    let (number, scale) = match t.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => match t.strip_suffix('m') {
            Some(n) => (n, 1e6),
            None => (t, 1.0),
        },
    };
    let value = number.parse::<f64>().ok().map(|v| (v * scale).round());
    match value {
        // In range: checked against u32::MAX first.
        Some(v) if v >= 1.0 && v <= f64::from(u32::MAX) => Ok(v as u32),
        _ => Err(format!(
            "{s:?} is not a bit rate (e.g. 1500000, 1500k or 1.5M)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rates_parse_with_suffixes() {
        assert_eq!(parse_bitrate("1500000"), Ok(1_500_000));
        assert_eq!(parse_bitrate("1500k"), Ok(1_500_000));
        assert_eq!(parse_bitrate("1.5M"), Ok(1_500_000));
        assert_eq!(parse_bitrate("128kbps"), Ok(128_000));
        assert!(parse_bitrate("0").is_err());
        assert!(parse_bitrate("5G").is_err());
        assert!(parse_bitrate("9999M").is_err());
    }

    #[test]
    fn inputs_split_at_a_trailing_bit_rate_only() {
        let a: InputSpec = "a.h264@1.5M".parse().unwrap();
        assert_eq!(
            (a.path, a.options.bitrate),
            ("a.h264".into(), Some(1_500_000))
        );
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("me@host.h264");
        std::fs::write(&odd, b"").unwrap();
        let odd = odd.to_string_lossy().into_owned();
        let b: InputSpec = odd.parse().unwrap();
        assert_eq!((b.path, b.options), (odd.into(), InputOptions::default()));
        for (arg, rate) in [
            ("a.h264@1x", "\"1x\""),
            ("a.h264@", "\"\""),
            ("a.h264@-5", "\"-5\""),
        ] {
            let e = arg.parse::<InputSpec>().unwrap_err();
            assert!(
                e.contains("no such file") && e.contains(&format!("{rate} is not a bit rate")),
                "{e}"
            );
        }
    }

    #[test]
    fn language_and_name_options() {
        let a: InputSpec = "fr.aac@128k,lang=FRA,name=audio_fr".parse().unwrap();
        assert_eq!(a.path, PathBuf::from("fr.aac"));
        assert_eq!(
            a.options,
            InputOptions {
                bitrate: Some(128_000),
                language: Some("fra".into()),
                name: Some("audio_fr".into()),
            }
        );
        let b: InputSpec = "en.ttml@lang=eng".parse().unwrap();
        assert_eq!(
            (b.options.bitrate, b.options.language.as_deref()),
            (None, Some("eng"))
        );
        for (arg, words) in [
            ("a.aac@lang=french", "not an ISO 639-2 language code"),
            ("a.aac@name=a b", "not a stream name"),
            ("a.aac@name=", "not a stream name"),
            (
                "a.aac@128k,volume=2",
                "\"volume=2\" is not an option for a.aac",
            ),
            ("a.aac@lang=fra,128k", "the bit rate comes first"),
        ] {
            let e = arg.parse::<InputSpec>().unwrap_err();
            assert!(
                e.contains("no such file") && e.contains(words),
                "{arg}: {e}"
            );
        }
    }
}
