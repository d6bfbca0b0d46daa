//! Writers for the boxes of a Smooth Streaming (PIFF 1.1) file, one module per group:
//! `ftyp`, the movie header (`moov` with empty sample tables and `mvex`), sample entries,
//! fragments (`moof` with `tfxd`, then the `mdat` header) and the `mfra` index.

mod fragment;
mod ftyp;
mod index;
mod movie;
mod protection;
mod sample_entry;

pub use fragment::{FragmentHeader, FragmentSample, write_fragment_header};
pub use ftyp::write_ftyp;
pub use index::{TrackIndex, write_mfra};
pub use movie::{HandlerKind, MovieTrack, pack_language, unpack_language, write_moov};
pub use protection::{
    IV_SIZE, SencSample, TrackProtection, write_pssh, write_sample_encryption, write_sinf,
};
pub use sample_entry::SampleEntry;

/// Sample flags of a sync video sample or any audio sample: depends on nothing.
pub const SAMPLE_FLAGS_SYNC: u32 = 0x0200_0000;
/// Sample flags of a non-sync video sample: depends on others, not a sync sample.
pub const SAMPLE_FLAGS_NON_SYNC: u32 = 0x0101_0000;
