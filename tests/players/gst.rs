//! GStreamer `mssdemux` as a client of `ssfmux serve`, and ffmpeg's view of the sources
//! it is compared with (per-picture md5, decoded audio).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::run;

/// ffmpeg's per-frame md5 of every picture the first video stream of `input` decodes to,
/// each decoded picture once (no frame-rate conversion).
pub fn source_frames(input: &Path) -> Vec<String> {
    framemd5(
        run(Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
            .arg(input)
            .args([
                "-map",
                "0:v:0",
                "-fps_mode",
                "passthrough",
                "-f",
                "framemd5",
                "-",
            ]))
        .as_bytes(),
    )
}

/// The hashes of a `framemd5` listing, in order.
pub fn framemd5(listing: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(listing)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .filter(|h| !h.is_empty())
        .collect()
}

/// The picture size of the first video stream of `input`.
pub fn picture_size(input: &Path) -> (u32, u32) {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height", "-of", "csv=p=0"])
        .arg(input));
    let (w, h) = out
        .trim()
        .split_once(',')
        .expect("ffprobe gives WIDTH,HEIGHT");
    (w.parse().unwrap(), h.parse().unwrap())
}

/// The first audio stream of `input` decoded by ffmpeg as interleaved 32-bit floats.
pub fn source_pcm(input: &Path) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(input)
        .args(["-map", "0:a:0", "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ffmpeg cannot decode {input:?}");
    out.stdout
}

/// A GStreamer `mssdemux` client of one manifest.
pub struct Gst {
    /// `connection-speed` in kbit/s, which pins the video level; none: mssdemux chooses.
    pub speed: Option<u32>,
    /// Where the decoded audio goes (interleaved 32-bit floats); none: discarded.
    pub audio: Option<PathBuf>,
    /// Play in real time (sinks synchronised to the clock), as a viewer does; otherwise
    /// as fast as it decodes.
    pub real_time: bool,
}

impl Gst {
    /// Starts `gst-launch-1.0` on `manifest`, its video as raw I420 pictures of `size`
    /// on stdout piped into ffmpeg's `framemd5`; returns both. (Not YUV4MPEG: `y4menc`
    /// repeats its stream header when caps are renegotiated mid-stream.)
    pub fn spawn(&self, manifest: &str, size: (u32, u32)) -> (Child, Child) {
        let sync = format!("sync={}", self.real_time);
        let mut args: Vec<String> = vec![
            "-q".into(),
            "souphttpsrc".into(),
            format!("location={manifest}"),
            "!".into(),
            "mssdemux".into(),
            "name=d".into(),
        ];
        if let Some(kbps) = self.speed {
            args.extend([
                format!("connection-speed={kbps}"),
                "bitrate-limit=1.0".into(),
            ]);
        }
        for part in "d.video_00 ! queue ! decodebin ! videoconvert ! video/x-raw,format=I420 \
                     ! fdsink fd=1"
            .split(' ')
        {
            args.push(part.into());
        }
        args.push(sync.clone());
        args.extend(["d.audio_00", "!", "queue", "!"].map(String::from));
        match &self.audio {
            Some(path) => {
                for part in
                    "decodebin ! audioconvert ! audio/x-raw,format=F32LE,layout=interleaved \
                             ! filesink"
                        .split(' ')
                {
                    args.push(part.into());
                }
                args.push(format!("location={}", path.display()));
            }
            None => args.push("fakesink".into()),
        }
        args.push(sync);
        let mut gst = Command::new("gst-launch-1.0")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let ffmpeg = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s"])
            .arg(format!("{}x{}", size.0, size.1))
            .args(["-i", "-", "-f", "framemd5", "-"])
            .stdin(gst.stdout.take().unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (gst, ffmpeg)
    }

    /// Plays `manifest` to its end; the per-frame md5 of the decoded video, pictures of
    /// `size`.
    pub fn play(&self, manifest: &str, size: (u32, u32)) -> Vec<String> {
        let (gst, ffmpeg) = self.spawn(manifest, size);
        let gst = wait_with_limit(gst, Duration::from_secs(120), "gst-launch-1.0");
        let frames = ffmpeg.wait_with_output().unwrap();
        assert_clean(&gst, "gst-launch-1.0", manifest);
        assert_clean(&frames, "ffmpeg reading GStreamer's pictures", manifest);
        framemd5(&frames.stdout)
    }
}

/// Waits for `child` at most `limit`, then kills it (a hung player fails the test).
pub fn wait_with_limit(mut child: Child, limit: Duration, what: &str) -> Output {
    let until = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what} still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A player run that exited 0 and said no error.
pub fn assert_clean(out: &Output, what: &str, manifest: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("ERROR"),
        "{what} on {manifest}: {}\n{stderr}",
        out.status
    );
}

/// Where `got` first differs from `want`, for a readable failure.
pub fn assert_frames(got: &[String], want: &[String], what: &str) {
    let first_difference = got.iter().zip(want).position(|(g, w)| g != w);
    assert!(
        got.len() == want.len() && first_difference.is_none(),
        "{what}: {} pictures decoded, {} in the source; first different picture: {first_difference:?}",
        got.len(),
        want.len()
    );
}

/// The video levels of a client manifest: (bit rate, MaxHeight).
pub fn video_levels(ismc: &str) -> Vec<(u32, u32)> {
    let attr = |line: &str, name: &str| -> Option<u32> {
        let at = line.find(&format!(" {name}=\""))? + name.len() + 3;
        line[at..].split('"').next()?.parse().ok()
    };
    ismc.lines()
        .filter(|l| l.contains("<QualityLevel ") && l.contains("FourCC=\"H264\""))
        .map(|l| (attr(l, "Bitrate").unwrap(), attr(l, "MaxHeight").unwrap()))
        .collect()
}
