//! ISO base media file format: a box writer, the boxes of a Smooth Streaming file, and a
//! bounds-checked box reader for tests, tools and recovery.

pub mod boxes;
pub mod reader;
pub mod uuids;
pub mod writer;
