//! Open GOP detection.
//!
//! A Smooth fragment starts with a sync sample, and only an IDR picture is one: in an open
//! GOP the pictures that follow its I picture in decode order but precede it in output
//! order reference the previous GOP, so a client that starts or switches bit rate there
//! cannot show them. An encoder in open-GOP mode (x264 `open-gop=1`) codes the first
//! picture as IDR and starts every later GOP with a non-IDR I picture carrying a recovery
//! point SEI; packaged as is, the whole stream would be one fragment.

use super::reader::AccessUnit;
use crate::error::{Error, Result};

/// What the open GOP errors are reported as.
const WHAT: &str = "H.264 stream";

/// Where a GOP starts: (picture number in decode order, byte offset).
type GopStart = (u64, usize);

/// Watches the access units of a stream, in decode order, for open GOPs.
///
/// A recovery-point I picture is a GOP start. The stream is refused when a second GOP
/// start comes, or the stream ends, before any IDR picture has followed the first one;
/// once one has, the encoder is known to start its GOPs with IDR pictures and the
/// recovery points between them are harmless (fragments are cut at the IDR pictures).
/// Waiting for the second GOP start spares a closed-GOP stream with one recovery point
/// in its first GOP.
#[derive(Debug, Default)]
pub(crate) struct OpenGopCheck {
    /// Access units seen so far: the next one's picture number.
    pictures: u64,
    /// The first IDR picture has been seen.
    seen_idr: bool,
    /// Another IDR picture has followed the first one.
    closed: bool,
    /// The first GOP start without an IDR picture.
    open_start: Option<GopStart>,
}

impl OpenGopCheck {
    /// Checks the next access unit.
    pub(crate) fn check(&mut self, au: &AccessUnit) -> Result<()> {
        let picture = self.pictures;
        self.pictures += 1;
        if au.is_idr {
            self.closed |= self.seen_idr;
            self.seen_idr = true;
            self.open_start = None;
            return Ok(());
        }
        let gop_start = au.is_intra && au.recovery_point.is_some();
        if !gop_start || !self.seen_idr || self.closed {
            return Ok(());
        }
        match self.open_start {
            Some(first) => Err(open_gop(first, Some(picture))),
            None => {
                self.open_start = Some((picture, au.offset));
                Ok(())
            }
        }
    }

    /// Checks the end of the stream.
    pub(crate) fn finish(&self) -> Result<()> {
        match self.open_start {
            Some(first) => Err(open_gop(first, None)),
            None => Ok(()),
        }
    }
}

/// The error for an open GOP starting at `first`, found to be open at picture `next` (the
/// next GOP start) or at the end of the stream.
fn open_gop((picture, offset): GopStart, next: Option<u64>) -> Error {
    let until = match next {
        Some(next) => format!("up to picture {next}, the next GOP start"),
        None => "up to the end of the stream".to_string(),
    };
    Error::config(
        WHAT,
        format!(
            "open GOP: the picture at byte {offset} (picture {picture} in decode order) \
             starts a GOP with a non-IDR I picture and a recovery point SEI, and no IDR \
             picture follows the first one {until}; every Smooth fragment must start with an IDR picture (closed GOPs): \
             re-encode with x264 --no-open-gop (ffmpeg -x264-params open-gop=0) or ffmpeg \
             -flags +cgop"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::avc::RecoveryPoint;

    /// Kinds of access unit: 'I' IDR, 'R' I with a recovery point, 'i' I without one,
    /// 'r' P with a recovery point (intra refresh), '.' P.
    fn unit(kind: char, picture: usize) -> AccessUnit {
        let recovery_point = matches!(kind, 'R' | 'r').then_some(RecoveryPoint {
            recovery_frame_cnt: 0,
            exact_match: true,
            broken_link: false,
        });
        AccessUnit {
            data: bytes::Bytes::new(),
            pieces: Vec::new(),
            is_idr: kind == 'I',
            starts_period: kind == 'I',
            poc: 0,
            field_pic: false,
            sps: None,
            pps: None,
            is_intra: matches!(kind, 'I' | 'R' | 'i'),
            recovery_point,
            offset: picture * 1000,
        }
    }

    /// Runs a stream written as one character per picture; the error, if any.
    fn run(stream: &str) -> Option<String> {
        let mut check = OpenGopCheck::default();
        let result = stream
            .chars()
            .enumerate()
            .try_for_each(|(i, kind)| check.check(&unit(kind, i)))
            .and_then(|()| check.finish());
        result.err().map(|e| e.to_string())
    }

    #[test]
    fn open_gop_is_refused_at_the_second_gop_start() {
        let err = run("I....R....R....").unwrap();
        assert!(
            err.starts_with(
                "invalid H.264 stream: open GOP: the picture at byte 5000 (picture 5 in \
                 decode order) starts a GOP with a non-IDR I picture and a recovery point \
                 SEI, and no IDR picture follows the first one up to picture 10, the next GOP \
                 start; every Smooth fragment must start with an IDR picture (closed GOPs): \
                 re-encode with x264 --no-open-gop"
            ),
            "{err}"
        );
        assert!(err.contains("-flags +cgop"), "{err}");
    }

    #[test]
    fn open_gop_is_refused_at_the_end_of_the_stream() {
        let err = run("I....R....").unwrap();
        assert!(
            err.contains("at byte 5000 (picture 5 in decode order)")
                && err.contains("up to the end of the stream"),
            "{err}"
        );
    }

    #[test]
    fn closed_gops_with_recovery_points_between_are_accepted() {
        for stream in [
            "I....I....I....",
            // A recovery point in the first GOP, then IDR pictures.
            "I..R..I..R..R..I..R",
            // Non-IDR I pictures without recovery point, and intra refresh (P pictures
            // with recovery points), start no GOP.
            "I..i..i..i..r..r..",
            // Pictures before the first IDR picture are not the stream's GOPs.
            "R..R..I....I..",
        ] {
            assert_eq!(run(stream), None, "{stream}");
        }
    }
}
