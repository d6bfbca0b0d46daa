//! Raw H.264 Annex B streams: access units read incrementally from a file or pipe, the
//! open-GOP check, and presentation times from picture order counts.

mod gop;
mod pts;
mod reader;

pub use pts::{PtsFromPoc, TimedFrame};
pub use reader::{AccessUnit, AccessUnitReader, MIN_IN_FILE};

#[cfg(test)]
mod tests;
