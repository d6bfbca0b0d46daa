//! Supplemental enhancement information (H.264 7.3.2.3): the recovery point message
//! (D.1.8, D.2.8), with which an encoder marks a random access point that is not an IDR
//! picture, such as the I picture that starts an open GOP.

use super::nal::{NAL_SEI, rbsp_of};
use crate::codec::bitstream::BitReader;
use crate::error::{Error, Result};

const WHAT: &str = "SEI";

/// payloadType of the recovery point SEI message.
const PAYLOAD_RECOVERY_POINT: u64 = 6;

/// The byte that ends an RBSP: the stop bit and seven alignment zeros.
const RBSP_TRAILING: u8 = 0x80;

/// A recovery point SEI message (D.2.8): decoding can start at its access unit, and the
/// pictures output from `recovery_frame_cnt` frames on are correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// recovery_frame_cnt: frames (in output order) until the pictures are exact.
    pub recovery_frame_cnt: u32,
    /// exact_match_flag: the pictures are then exactly those decoded from an IDR start.
    pub exact_match: bool,
    /// broken_link_flag: pictures near the recovery point may show artefacts.
    pub broken_link: bool,
}

impl RecoveryPoint {
    /// The recovery point message of an SEI NAL unit (header byte included), or `None`
    /// when it holds none.
    ///
    /// Messages are read in order and the first recovery point is returned as soon as it
    /// is found, so damage after it does not hide it. Errors give byte offsets in the
    /// unescaped payload after the header byte.
    pub fn from_sei(nal: &[u8]) -> Result<Option<RecoveryPoint>> {
        let rbsp = rbsp_of(nal, NAL_SEI, WHAT)?;
        let mut pos = 0;
        while more_messages(rbsp.get(pos..).unwrap_or_default()) {
            let payload_type = read_ff_coded(&rbsp, &mut pos, "payloadType")?;
            let size = read_ff_coded(&rbsp, &mut pos, "payloadSize")?;
            let payload = usize::try_from(size)
                .ok()
                .and_then(|size| rbsp.get(pos..pos.checked_add(size)?))
                .ok_or_else(|| {
                    Error::malformed(
                        WHAT,
                        pos,
                        format!(
                            "payload of {size} bytes, {} left",
                            rbsp.len().saturating_sub(pos)
                        ),
                    )
                })?;
            if payload_type == PAYLOAD_RECOVERY_POINT {
                return parse_recovery_point(payload)
                    .map(Some)
                    .map_err(|e| e.offset_by(pos));
            }
            pos += payload.len();
        }
        Ok(None)
    }
}

/// Whether `rest` holds another sei_message rather than only rbsp_trailing_bits.
fn more_messages(rest: &[u8]) -> bool {
    !rest.is_empty() && rest != [RBSP_TRAILING]
}

/// Reads a payloadType or payloadSize: 0xFF bytes each add 255, the first other byte
/// ends the value (7.3.2.3.1).
fn read_ff_coded(rbsp: &[u8], pos: &mut usize, field: &str) -> Result<u64> {
    let mut value = 0u64;
    loop {
        let byte = *rbsp
            .get(*pos)
            .ok_or_else(|| Error::malformed(WHAT, *pos, format!("truncated {field}")))?;
        *pos += 1;
        // At most one addition per byte of a NAL unit, so the sum cannot overflow.
        value += u64::from(byte);
        if byte != 0xFF {
            return Ok(value);
        }
    }
}

/// Parses recovery_point() (D.1.8).
fn parse_recovery_point(payload: &[u8]) -> Result<RecoveryPoint> {
    let r = &mut BitReader::new(payload, WHAT);
    let recovery_frame_cnt = r.ue()?;
    let exact_match = r.bit()?;
    let broken_link = r.bit()?;
    let _changing_slice_group_idc = r.bits(2)?;
    Ok(RecoveryPoint {
        recovery_frame_cnt,
        exact_match,
        broken_link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SEI NAL unit holding `messages` as (payloadType, payload).
    fn sei(messages: &[(u64, &[u8])]) -> Vec<u8> {
        let mut nal = vec![0x06];
        for &(payload_type, payload) in messages {
            for mut value in [payload_type, payload.len() as u64] {
                while value >= 255 {
                    nal.push(0xFF);
                    value -= 255;
                }
                nal.push(value as u8);
            }
            nal.extend_from_slice(payload);
        }
        nal.push(RBSP_TRAILING);
        nal
    }

    /// recovery_frame_cnt 0, exact_match 1, broken_link 0, changing_slice_group_idc 0,
    /// then the stop bit: 1 1 0 00 1 00.
    const RECOVERY_EXACT: &[u8] = &[0b1100_0100];

    #[test]
    fn finds_the_recovery_point_after_other_messages() {
        // x264 writes its user data (type 5) before the recovery point.
        let user_data = [0x42u8; 300];
        let nal = sei(&[(5, &user_data), (6, RECOVERY_EXACT)]);
        assert_eq!(
            RecoveryPoint::from_sei(&nal).unwrap(),
            Some(RecoveryPoint {
                recovery_frame_cnt: 0,
                exact_match: true,
                broken_link: false,
            })
        );
        // recovery_frame_cnt 3 (00100), broken_link.
        let nal = sei(&[(6, &[0b0010_0010, 0b1000_0000])]);
        let point = RecoveryPoint::from_sei(&nal).unwrap().unwrap();
        assert_eq!((point.recovery_frame_cnt, point.broken_link), (3, true));
    }

    #[test]
    fn other_messages_are_no_recovery_point() {
        assert_eq!(
            RecoveryPoint::from_sei(&sei(&[(5, &[1; 20])])).unwrap(),
            None
        );
        assert_eq!(RecoveryPoint::from_sei(&sei(&[])).unwrap(), None);
        assert_eq!(RecoveryPoint::from_sei(&[0x06]).unwrap(), None);
    }

    #[test]
    fn damage_is_an_error_with_its_offset() {
        let mut nal = sei(&[(5, &[1; 20])]);
        nal.truncate(10);
        let err = RecoveryPoint::from_sei(&nal).unwrap_err().to_string();
        assert_eq!(err, "malformed SEI at byte 2: payload of 20 bytes, 7 left");
        let err = RecoveryPoint::from_sei(&[0x06, 0xFF])
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated payloadType"), "{err}");
        let err = RecoveryPoint::from_sei(&[0x06, 6, 1, 0])
            .unwrap_err()
            .to_string();
        assert!(err.contains("at byte 3: truncated"), "{err}");
        assert!(RecoveryPoint::from_sei(&[0x07, 0x80]).is_err());
        assert!(RecoveryPoint::from_sei(&[]).is_err());
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = crate::test_rng::XorShift(0x5EED_0006);
        for _ in 0..20_000 {
            let mut nal = rng.bytes_below(24);
            if let Some(first) = nal.first_mut() {
                *first = 0x06;
            }
            let _ = RecoveryPoint::from_sei(&nal);
        }
    }
}
