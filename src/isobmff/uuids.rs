//! Extended types (`uuid` boxes) of Smooth Streaming and PIFF, byte for byte as they are
//! written in files.
//!
//! Box UUIDs are stored in canonical big-endian text order: there is no GUID byte swapping
//! here (only the KID inside the PlayReady WRMHEADER XML is swapped; format.md §3, §8.4),
//! so each is written as the number its text spells, in big-endian bytes.

/// TrackFragmentExtendedHeaderBox, "tfxd": absolute time and duration of a fragment
/// (6d1d9b05-42d5-44e6-80e2-141daff757b2).
pub const TFXD_UUID: [u8; 16] = 0x6d1d_9b05_42d5_44e6_80e2_141d_aff7_57b2_u128.to_be_bytes();

/// TrackFragmentReferenceBox, "tfrf": live look-ahead times of the following fragments
/// (d4807ef2-ca39-4695-8e54-26cb9e46a79f).
pub const TFRF_UUID: [u8; 16] = 0xd480_7ef2_ca39_4695_8e54_26cb_9e46_a79f_u128.to_be_bytes();

/// PIFF SampleEncryptionBox, the per-fragment IVs and subsample maps
/// (a2394f52-5a9b-4f14-a244-6c427c648df4).
pub const PIFF_SENC_UUID: [u8; 16] = 0xa239_4f52_5a9b_4f14_a244_6c42_7c64_8df4_u128.to_be_bytes();

/// PIFF TrackEncryptionBox, the default algorithm, IV size and KID of a track
/// (8974dbce-7be7-4c51-84f9-7148f9882554).
pub const PIFF_TENC_UUID: [u8; 16] = 0x8974_dbce_7be7_4c51_84f9_7148_f988_2554_u128.to_be_bytes();

/// PIFF ProtectionSystemSpecificHeaderBox, the moov-level DRM header
/// (d08a4f18-10f3-4a82-b6c8-32d8aba183d3).
pub const PIFF_PSSH_UUID: [u8; 16] = 0xd08a_4f18_10f3_4a82_b6c8_32d8_aba1_83d3_u128.to_be_bytes();

/// Live Server Manifest box, which carries the `.ism` SMIL at the start of a live push
/// (a5d40b30-e814-11dd-ba2f-0800200c9a66).
pub const LIVE_SERVER_MANIFEST_UUID: [u8; 16] =
    0xa5d4_0b30_e814_11dd_ba2f_0800_200c_9a66_u128.to_be_bytes();
