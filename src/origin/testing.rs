//! Live streams made by the crate's own muxer, for the origin's unit tests.

use bytes::Bytes;

use crate::mux::{Muxer, Options, Sample, StreamConfig};

/// One stream as a publisher would push it.
pub(crate) struct TestStream {
    /// `ftyp`, Live Server Manifest box, `moov`.
    pub header: Bytes,
    /// Each `moof` + `mdat`.
    pub fragments: Vec<Bytes>,
    /// Each fragment's (time, duration).
    pub times: Vec<(u64, u64)>,
}

/// An AAC stream at `bitrate` (its StreamIndex named `name`) with `count` fragments of
/// ten 1024-sample frames at 48 kHz; sample bytes differ per fragment.
pub(crate) fn aac_stream(name: &str, bitrate: u32, count: usize) -> TestStream {
    let mut mux = Muxer::new(Options::default()).unwrap();
    let config = StreamConfig::aac(&[0x11, 0x90])
        .unwrap()
        .bitrate(bitrate)
        .timescale(48_000)
        .track_name(name);
    let id = mux.add_stream(config).unwrap();
    let header = mux.live_header(&[id]).unwrap();
    let mut fragments = Vec::new();
    let mut times = Vec::new();
    let mut n = 0u64;
    for f in 0..count {
        for _ in 0..10 {
            let data = vec![u8::try_from(f % 251).unwrap(); 20 + (n % 7) as usize];
            mux.push(id, Sample::new(data, n * 1024).duration(1024).sync(true))
                .unwrap();
            n += 1;
        }
        let fragment = mux.flush(id).unwrap().unwrap();
        times.push((fragment.time, fragment.duration));
        fragments.push(Bytes::from(fragment.to_vec().unwrap()));
    }
    TestStream {
        header,
        fragments,
        times,
    }
}

/// The end-of-stream box.
pub(crate) const EOS: [u8; 8] = crate::mux::LIVE_END_OF_STREAM;
