//! MP4 / ISO BMFF input: the tracks of a file (plain or fragmented), their codec
//! configuration, and their samples in decode order with bounded memory.
//!
//! Memory does not grow with the film: the `moov` is walked box by box, and each sample
//! table (`stsz`/`stz2`, `stco`/`co64`, `stsc`, `stts`, `ctts`, `stss`, and each fragment's
//! `trun`) is read a window of 4096 entries at a time as the samples are. Payloads come
//! from 1 MiB read windows as shared `Bytes` slices. Every field read from the file is
//! bounds-checked: a malformed file gives [`crate::Error::Malformed`] with the box and the
//! absolute byte offset, never a panic or an allocation sized by the file's claims.

// File data must never panic the reader or wrap silently; the tests may.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]
// The reader is assembled over the next commits; until then some parts are unused.
#![allow(dead_code)]

mod boxes;
mod entry;
mod movie;
mod tables;
#[cfg(test)]
mod tests;
mod track;
mod window;

pub use track::{SampleEntry, Track, TrackKind};
