//! `kill -9` during packaging, then `ssfmux recover`: at 20 points spread over a ~200 MB
//! input, what the killed run left becomes a presentation that FFmpeg reads without a
//! word, whose frames decode identically to the source's first frames, and whose
//! manifests list exactly the fragments in the files.
//!
//! The kill points are deterministic: the inputs reach `ssfmux` through pipes the test
//! fills to a set fraction and then holds open, so the run blocks at the same place every
//! time; the test waits until it is blocked on a pipe read with its output stable, then
//! kills it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ssf::isobmff::reader::{self, Tfra, Tfxd, Trun};
use ssf::isobmff::uuids::TFXD_UUID;
use support::{ffprobe_clean, frame_hashes, require_tool, ssfmux};

/// Kill points.
const POINTS: u32 = 20;

/// The inputs: two bit rates of one noisy (so large) clip with aligned 2 s GOPs, and AAC.
struct Inputs {
    files: Vec<PathBuf>,
    video_hashes: BTreeMap<String, Vec<String>>,
    audio_hashes: Vec<String>,
}

fn make_inputs(dir: &Path) -> Inputs {
    let (high, low, audio) = (
        dir.join("high.h264"),
        dir.join("low.h264"),
        dir.join("a.aac"),
    );
    let x264 = |qp: &str| {
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            qp,
            "-g",
            "50",
            "-keyint_min",
            "50",
            "-sc_threshold",
            "0",
            "-bsf:v",
            "h264_mp4toannexb",
            "-f",
            "h264",
        ]
        .map(String::from)
    };
    support::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(["-f", "lavfi", "-t", "24", "-i"])
            .arg("testsrc2=size=640x360:rate=25,noise=alls=30:allf=t")
            .args([
                "-f",
                "lavfi",
                "-t",
                "24",
                "-i",
                "sine=frequency=440:sample_rate=48000",
            ])
            .args(["-filter_complex", "[0:v]split=2[a][b];[b]scale=320:180[c]"])
            .args(["-map", "[a]"])
            .args(x264("10"))
            .arg(&high)
            .args(["-map", "[c]"])
            .args(x264("14"))
            .arg(&low)
            .args(["-map", "1:a", "-c:a", "aac", "-b:a", "128k", "-f", "adts"])
            .arg(&audio),
    );
    let size: u64 = [&high, &low, &audio]
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(
        size > 150 << 20,
        "input is {size} bytes, meant to be ~200 MB"
    );
    let mut video_hashes = BTreeMap::new();
    video_hashes.insert("high".to_string(), frame_hashes(&high, "v"));
    video_hashes.insert("low".to_string(), frame_hashes(&low, "v"));
    Inputs {
        audio_hashes: frame_hashes(&audio, "a"),
        files: vec![high, low, audio],
        video_hashes,
    }
}

/// Fills a pipe with the first `len` bytes of `source`, sets `done`, then holds the pipe
/// open (no EOF) until told to stop, so the reader blocks there.
fn feed(
    pipe: PathBuf,
    source: PathBuf,
    len: u64,
    done: Arc<AtomicBool>,
    stop: mpsc::Receiver<()>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let data = std::fs::read(&source).unwrap();
        let prefix = data.get(..len as usize).unwrap_or(&data);
        let Ok(mut pipe) = File::create(&pipe) else {
            return;
        };
        // The reader is killed at some point: a broken pipe is expected then.
        if pipe.write_all(prefix).is_ok() {
            done.store(true, Ordering::SeqCst);
        }
        let _ = stop.recv();
    })
}

/// The file a process is blocked reading, from the file descriptor of the system call
/// one of its threads sleeps in, while every other thread sleeps too (Linux): inputs are
/// read on threads of their own, the main thread waits for them.
fn blocked_on(child: &Child) -> Option<PathBuf> {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id())).ok()?;
    let mut reading = None;
    for task in tasks.filter_map(Result::ok) {
        let dir = task.path();
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        // The state follows the parenthesised command name.
        let state = stat.rsplit(')').next()?.split_whitespace().next()?;
        if state == "R" {
            return None;
        }
        let wchan = std::fs::read_to_string(dir.join("wchan")).ok()?;
        if !wchan.contains("pipe") {
            continue;
        }
        let syscall = std::fs::read_to_string(dir.join("syscall")).ok()?;
        let fd = syscall.split_whitespace().nth(1)?;
        let fd = u64::from_str_radix(fd.trim_start_matches("0x"), 16).ok()?;
        reading = std::fs::read_link(format!("/proc/{}/fd/{fd}", child.id())).ok();
    }
    reading
}

/// Total size of every file under `dir`.
fn tree_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Waits until `child` sleeps reading a pipe whose prefix is all written, with its
/// output unchanged for a while: it has written everything the prefixes allow.
fn wait_until_blocked(child: &mut Child, partial: &Path, fed: &[(PathBuf, Arc<AtomicBool>)]) {
    let start = Instant::now();
    let mut last = (u64::MAX, 0);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "ssfmux ended before it was killed"
        );
        let size = tree_size(partial);
        let blocked = blocked_on(child).is_some_and(|path| {
            fed.iter()
                .any(|(pipe, done)| *pipe == path && done.load(Ordering::SeqCst))
        });
        if blocked && size == last.0 {
            last.1 += 1;
            if last.1 >= 4 {
                return;
            }
        } else {
            last = (size, 0);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "ssfmux never blocked"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `(time, duration)` of every moof of a file, and the `tfra` times of its index.
fn fragments_in(file: &[u8]) -> (Vec<(u64, u64)>, Vec<u64>) {
    let mut moofs = Vec::new();
    for moof in reader::find_all(file, "moof").unwrap() {
        let traf = moof.find("traf").unwrap().unwrap();
        let tfxd = Tfxd::parse(&traf.find_uuid(&TFXD_UUID).unwrap().unwrap()).unwrap();
        moofs.push((tfxd.time, tfxd.duration));
    }
    let tfra = Tfra::parse(&reader::find(file, "mfra/tfra").unwrap().unwrap()).unwrap();
    (moofs, tfra.entries.iter().map(|e| e.time).collect())
}

/// The `c` elements of each StreamIndex of a client manifest, as `(t, d)`, by Type.
fn manifest_chunks(ismc: &str) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut out = BTreeMap::new();
    for index in ismc.split("<StreamIndex").skip(1) {
        let kind = attribute(index, "Type").unwrap();
        let mut chunks = Vec::new();
        let mut end = 0;
        for c in index.split("<c ").skip(1) {
            let c = format!(" {c}");
            let t = attribute(&c, "t").map_or(end, |t| t.parse().unwrap());
            let d: u64 = attribute(&c, "d").unwrap().parse().unwrap();
            chunks.push((t, d));
            end = t + d;
        }
        out.insert(kind, chunks);
    }
    out
}

fn attribute(text: &str, name: &str) -> Option<String> {
    let head = text.split('>').next()?;
    let start = head.find(&format!(" {name}=\""))? + name.len() + 3;
    let rest = head.get(start..)?;
    Some(rest[..rest.find('"')?].to_string())
}

/// The fragment bytes (first moof to the mfra) of each media file of a recovered
/// presentation, smallest file first (audio, low, high).
type Regions = Vec<Vec<u8>>;

/// Checks a recovered presentation: FFmpeg reads every file without a word, the index
/// and the manifest list exactly the fragments in the file, and the fragments are either
/// decoded and compared with the source frames (`reference` None or `decode`) or shown
/// to be byte for byte the first fragments of a presentation that was (`reference`):
/// the same bytes decode the same. Returns the regions and the video frames kept.
fn check_presentation(
    dir: &Path,
    inputs: &Inputs,
    reference: Option<&Regions>,
    decode: bool,
) -> (Regions, usize) {
    let ismc = std::fs::read_to_string(dir.join("crash.ismc")).unwrap();
    let chunks = manifest_chunks(&ismc);
    let mut media: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.extension().is_some_and(|e| e == "ism" || e == "ismc"))
        .collect();
    media.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    assert_eq!(media.len(), 3, "{media:?}");
    let sources = [
        &inputs.audio_hashes,
        &inputs.video_hashes["low"],
        &inputs.video_hashes["high"],
    ];
    let mut regions = Vec::new();
    let mut frames = 0;
    for (i, (path, source)) in media.iter().zip(sources).enumerate() {
        ffprobe_clean(path);
        let data = std::fs::read(path).unwrap();
        let (moofs, index) = fragments_in(&data);
        assert_eq!(index, moofs.iter().map(|m| m.0).collect::<Vec<_>>());
        let audio = path.extension().is_some_and(|e| e == "isma");
        assert_eq!(audio, i == 0, "{media:?}");
        let kind = if audio { "audio" } else { "video" };
        assert_eq!(
            chunks[kind],
            moofs,
            "{}: manifest and media differ",
            path.display()
        );
        let first = reader::find(&data, "moof").unwrap().unwrap().offset as usize;
        let mfra = reader::find(&data, "mfra").unwrap().unwrap().offset as usize;
        let region = data[first..mfra].to_vec();
        if !audio {
            frames = reader::find_all(&data, "moof/traf/trun")
                .unwrap()
                .iter()
                .map(|t| Trun::parse(t).unwrap().samples.len())
                .sum();
        }
        if let Some(reference) = reference {
            assert!(
                reference[i].starts_with(&region),
                "{}: the kept fragments are not those of a complete run",
                path.display()
            );
        }
        if reference.is_none() || decode {
            let decoded = frame_hashes(path, if audio { "a" } else { "v" });
            assert!(!decoded.is_empty());
            assert_eq!(
                decoded[..],
                source[..decoded.len()],
                "{}: decoded frames differ from the source",
                path.display()
            );
        }
        regions.push(region);
    }
    (regions, frames)
}

/// Hashes of every file in a directory.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn killed_runs_are_recovered_at_every_point() {
    if !require_tool("ffmpeg", "killed_runs_are_recovered_at_every_point") || !require_tool_mkfifo()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inputs = make_inputs(tmp.path());
    let sizes: Vec<u64> = inputs
        .files
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .collect();
    let mut kept_frames = BTreeMap::new();
    let mut reference = None;
    // The last point first: its presentation is decoded whole, and every other one must
    // hold the first fragments of it, byte for byte (a few are decoded too).
    for point in std::iter::once(POINTS).chain(1..POINTS) {
        let work = tmp.path().join(format!("point{point}"));
        std::fs::create_dir(&work).unwrap();
        let mut pipes = Vec::new();
        let mut feeders = Vec::new();
        for (input, size) in inputs.files.iter().zip(&sizes) {
            let pipe = work.join(input.file_name().unwrap());
            support::run(Command::new("mkfifo").arg(&pipe));
            let (tx, rx) = mpsc::channel();
            let len = size * u64::from(point + 2) / u64::from(POINTS + 2);
            let done = Arc::new(AtomicBool::new(false));
            let feeder = feed(pipe.clone(), input.clone(), len, Arc::clone(&done), rx);
            feeders.push((tx, feeder));
            pipes.push((pipe, done));
        }
        let out = work.join("show");
        let mut child = Command::new(ssfmux())
            .args(["-q", "-n", "crash", "-o"])
            .arg(&out)
            .args(pipes.iter().map(|(p, _)| p))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until_blocked(&mut child, &work.join(".show.ssf-partial"), &pipes);
        child.kill().unwrap();
        child.wait().unwrap();
        for (tx, feeder) in feeders {
            let _ = tx.send(());
            feeder.join().unwrap();
        }
        assert!(
            !out.exists(),
            "point {point}: nothing is published by a killed run"
        );

        let recovered = Command::new(ssfmux())
            .arg("recover")
            .arg(&out)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&recovered.stdout);
        assert!(
            recovered.status.success(),
            "point {point}: recover failed: {}{report}",
            String::from_utf8_lossy(&recovered.stderr)
        );
        assert!(report.contains("Recovered"), "{report}");
        assert!(!work.join(".show.ssf-partial").exists());
        let decode = point == 1 || point == POINTS / 2;
        let (regions, frames) = check_presentation(&out, &inputs, reference.as_ref(), decode);
        reference.get_or_insert(regions);
        kept_frames.insert(point, frames);

        let before = hashes(&out);
        let again = Command::new(ssfmux())
            .arg("recover")
            .arg(&out)
            .output()
            .unwrap();
        assert!(again.status.success());
        assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to recover"));
        assert_eq!(
            hashes(&out),
            before,
            "recovery of a complete presentation changed it"
        );
        std::fs::remove_dir_all(&work).unwrap();
    }
    // Later kill points keep more: whole fragments of the inputs' 2 s GOPs.
    let kept: Vec<usize> = kept_frames.into_values().collect();
    assert!(kept.windows(2).all(|w| w[0] <= w[1]), "{kept:?}");
    assert!(kept.iter().all(|f| f % 50 == 0 && *f > 0), "{kept:?}");
    assert!(*kept.last().unwrap() >= 500, "{kept:?}");
}

/// `mkfifo` makes the pipes (coreutils, on every Linux machine).
fn require_tool_mkfifo() -> bool {
    support::require_tool_with(
        "mkfifo",
        "--version",
        "killed_runs_are_recovered_at_every_point",
    )
}
