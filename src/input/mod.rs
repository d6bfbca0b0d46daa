//! Readers of what users hand us: raw H.264 (Annex B), ADTS AAC, VC-1 elementary streams
//! and WMA in ASF. Codec configuration and sample preparation stay in [`crate::codec`];
//! containers and elementary-stream framing are this layer's.

pub mod adts;
pub mod asf;
pub mod h264;
pub mod vc1;
