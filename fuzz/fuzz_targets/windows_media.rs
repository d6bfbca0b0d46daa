//! Feeds arbitrary bytes to the Windows Media parsers: the VC-1 CodecPrivateData and
//! sequence-header path (`Vc1Config`, `inspect_sample`, `from_sample`), the VC-1
//! elementary-stream frame reader, WAVEFORMATEX for WMA, and the ASF audio reader. Each
//! must return an error or a value, never panic or loop; a frame reader that succeeds must
//! hand back exactly the bytes it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssf::codec::vc1::{Vc1Config, inspect_sample};
use ssf::codec::wma::WmaConfig;
use ssf::input::asf::AsfReader;
use ssf::input::vc1::Vc1FrameReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = Vc1Config::from_codec_private_data(data) {
        assert_eq!(config.codec_private_data(), data);
        let _ = (config.dvc1(), config.display_size(), config.frame_rate());
        let _ = inspect_sample(data, &config);
    }
    let _ = Vc1Config::from_sample(data);

    let mut reader = Vc1FrameReader::new(data);
    let mut joined = Vec::new();
    let mut complete = false;
    for _ in 0..=data.len() {
        match reader.next_frame() {
            Ok(Some(frame)) => joined.extend_from_slice(&frame.data),
            Ok(None) => {
                complete = true;
                break;
            }
            Err(_) => break,
        }
    }
    if complete {
        assert_eq!(joined, data, "frames concatenate to the stream");
    }

    if let Ok(wma) = WmaConfig::from_wave_format(data) {
        let _ = (
            wma.fourcc(),
            wma.codec_private_data(),
            wma.samples_per_frame(),
            wma.samples_per_block(),
            wma.snap_time_ms(u64::MAX),
        );
    }

    if let Ok(mut asf) = AsfReader::new(data) {
        for _ in 0..=data.len() {
            match asf.next_payload() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
});
