//! `ssfmux [package] INPUT…`: packages inputs into an on-demand presentation. Samples
//! are pushed merged across inputs by decode time, so all files grow together and memory
//! stays bounded, and the measured bit rates name the files when the writer publishes the
//! presentation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ssf::codec::MediaKind;
use ssf::input::{FrameRate, InputSet, InputSpec, OpenOptions};
use ssf::{Options, StreamId, VodWriter};

use crate::encryption::{EncryptionArgs, protection};
use crate::{human, print_notes};

/// `ssfmux [package] INPUT…`.
#[derive(Args, Debug)]
pub struct PackageArgs {
    /// Output directory, which the presentation owns: it is replaced whole when the run
    /// succeeds and left untouched when it fails [default: out/NAME]
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Discard what an interrupted earlier run into the output directory left, instead
    /// of stopping (see `ssfmux recover`)
    #[arg(long)]
    force: bool,

    /// Presentation name, used for NAME.ism, NAME.ismc and NAME_BITRATE.ismv
    /// [default: the first input's file stem]
    #[arg(short, long)]
    name: Option<String>,

    /// Target fragment duration; fragments close at the first keyframe from there
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    fragment_duration: f64,

    /// Frame rate of raw H.264 whose SPS has no VUI timing, or of VC-1 whose sequence
    /// header signals none (e.g. 25, 29.97, 30000/1001)
    #[arg(long)]
    fps: Option<FrameRate>,

    /// No progress bar
    #[arg(short, long)]
    quiet: bool,

    /// PlayReady encryption.
    #[command(flatten)]
    pub encryption: EncryptionArgs,

    /// Raw Annex B .h264 (one per bit rate, aligned GOPs), ADTS .aac, .mp4 with H.264/AAC
    /// tracks, VC-1 Advanced Profile .vc1 elementary streams, WMA in .wma/.asf, and
    /// .ttml/.dfxp captions (a text stream of the first video stream).
    /// FILE@BITRATE[,lang=LANG][,name=NAME]: BITRATE (e.g. a.h264@1500000, @1500k, @1.5M)
    /// sets the bit rate instead of measuring it (for an .mp4: of its video track); LANG
    /// (ISO 639-2, e.g. fra) the language of its audio or captions; NAME its StreamIndex
    /// name (e.g. fr.aac@128k,lang=fra,name=audio_fr). Inputs a player can switch between
    /// (same codec; for audio also the same sampling rate, channels and language) become
    /// the bit rates of one StreamIndex, the others StreamIndexes of their own. An .mp4's
    /// audio tracks are skipped when an earlier input already gives the same audio.
    #[arg(value_name = "INPUTS")]
    inputs: Vec<InputSpec>,
}

/// A progress bar that appears only once a run has taken a couple of seconds, so short
/// runs print nothing but the summary.
struct Progress {
    /// Hidden until [`Progress::DELAY`] has passed.
    bar: ProgressBar,
    /// When the run started.
    start: Instant,
    /// Whether the bar has been made visible (set from the pre-scan's progress callback
    /// too, hence atomic).
    shown: AtomicBool,
    /// False with `--quiet`.
    enabled: bool,
}

impl Progress {
    /// How long a run goes before the bar appears.
    const DELAY: Duration = Duration::from_secs(2);

    /// A hidden bar; `enabled` false keeps it hidden.
    fn new(enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>8} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Self {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
            enabled,
        }
    }

    /// Starts a phase ("scanning", "muxing") of `total` bytes.
    fn phase(&self, message: &'static str, total: u64) {
        self.bar.set_message(message);
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    /// Moves the bar, showing it once the run has lasted [`Progress::DELAY`].
    fn set(&self, position: u64) {
        if !self.shown.load(Ordering::Relaxed)
            && self.enabled
            && self.start.elapsed() >= Self::DELAY
        {
            // indicatif draws nothing when stderr is not a terminal.
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown.store(true, Ordering::Relaxed);
        }
        self.bar.set_position(position);
    }

    /// Removes the bar before the summary is printed.
    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// One stream being packaged, as the summary reports it.
struct Stream {
    /// The input (and track) it comes from.
    label: String,
    /// Video, audio or text.
    kind: MediaKind,
    /// The writer's handle.
    id: StreamId,
    /// Bit rate given, or measured once the input has ended (it names the file).
    bitrate: Option<u32>,
    /// Samples pushed.
    samples: u64,
}

/// Packages the inputs; on failure the output directory is left as it was.
pub fn run(mut cli: PackageArgs) -> Result<(), String> {
    let started = Instant::now();
    if cli.inputs.is_empty() {
        cli.inputs = crate::bundled_sample();
        cli.name.get_or_insert_with(|| "sample".into());
    }
    let name = match (&cli.name, cli.inputs.first()) {
        (Some(n), _) => n.clone(),
        (None, Some(first)) => first
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or("cannot derive a presentation name from the first input; give --name")?,
        (None, None) => return Err("no input".into()),
    };
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&name));
    let mut options = Options::default()
        .fragment_seconds(cli.fragment_duration)
        .map_err(|e| e.to_string())?;
    if let Some(protection) = protection(&cli.encryption)? {
        options = options.protection(protection);
    }
    refuse_repeated_inputs(&cli.inputs)?;

    // Open every input: configuration and timing from its first bytes (VC-1 and WMA
    // are pre-scanned whole).
    let progress = Arc::new(Progress::new(!cli.quiet));
    let mut open_options = OpenOptions::new().progress({
        let progress = Arc::clone(&progress);
        move |bytes| progress.set(bytes)
    });
    if let Some(fps) = cli.fps {
        open_options = open_options.frame_rate(fps);
    }
    let mut set = InputSet::new();
    let mut input_bytes = 0;
    for spec in &cli.inputs {
        let mut input =
            ssf::input::open_with(&spec.path, &open_options).map_err(|e| e.to_string())?;
        input_bytes += input.file_size();
        print_notes(input.take_notes());
        set.add(input, &spec.options).map_err(|e| e.to_string())?;
        print_notes(set.take_notes());
    }

    if cli.force && ssf::vod::discard_interrupted(&out).map_err(|e| e.to_string())? {
        eprintln!(
            "ssfmux: {}: discarded the files of an interrupted earlier run (--force)",
            out.display()
        );
    }
    let mut vod = VodWriter::create(&out, &name, options).map_err(|e| e.to_string())?;
    let mut streams = Vec::new();
    match mux_all(&mut vod, &mut set, &mut streams, &progress) {
        Ok(()) => {}
        Err(e) => {
            progress.clear();
            // A failed run leaves nothing behind: the earlier presentation, if any,
            // was never touched.
            if let Err(cleanup) = vod.abort() {
                eprintln!("ssfmux: {cleanup}");
            }
            return Err(e);
        }
    }
    progress.clear();
    warn_long_fragments(&vod, &streams, cli.fragment_duration);

    let mut rows = Vec::new();
    let mut duration = 0u64;
    for s in &streams {
        let fragments = vod
            .muxer()
            .fragment_times(s.id)
            .map_err(|e| e.to_string())?;
        let d: u64 = fragments.iter().map(|f| f.duration).sum();
        duration = duration.max(d);
        rows.push(fragments.len());
    }
    let written = vod.finish().map_err(|e| describe(&e, &streams))?;
    let elapsed = started.elapsed();

    print_summary(
        &out,
        &streams,
        &rows,
        &written,
        duration,
        input_bytes,
        elapsed,
    );
    Ok(())
}

/// Adds every stream, pushes all samples merged by decode time, and sets the measured
/// bit rates once the inputs have ended.
fn mux_all(
    vod: &mut VodWriter,
    set: &mut InputSet,
    streams: &mut Vec<Stream>,
    progress: &Progress,
) -> Result<(), String> {
    let ids = set
        .add_streams(|config| vod.add_stream(config))
        .map_err(|e| e.to_string())?;
    // Payloads that need no change (MP4 samples of clear streams) stay in their files:
    // the writer copies them file to file in the kernel, they never enter this process.
    // The others (encrypted) come each in a buffer of its own, encrypted in place.
    for (i, &id) in ids.iter().enumerate() {
        if vod.takes_file_payloads(id) {
            set.leave_payloads_in_files(i);
        } else {
            set.own_payloads(i);
        }
    }
    // Each input is read on a thread of its own, so reading overlaps writing; samples of
    // protected streams are encrypted there too.
    set.read_in_background(|i| {
        ids.get(i)
            .and_then(|&id| vod.muxer().sample_sealer(id).ok().flatten())
    })
    .map_err(|e| e.to_string())?;
    for (s, &id) in set.streams().zip(&ids) {
        streams.push(Stream {
            label: s.label.clone(),
            kind: s.kind,
            id,
            bitrate: None,
            samples: 0,
        });
    }

    // Mux: always push the stream whose next sample decodes first, so that every file
    // grows at the same pace and the muxer holds about one fragment per stream.
    let total: u64 = set.streams().map(|s| s.size_hint).sum();
    progress.phase("muxing", total);
    let mut pushed = 0u64;
    let mut count = 0u64;
    loop {
        let next = set.next_indexed();
        print_notes(set.take_notes());
        let Some((i, sample)) = next.map_err(|e| e.to_string())? else {
            break;
        };
        let Some(s) = streams.get_mut(i) else { break };
        // Wherever the payload is (in memory, or left in its file).
        let len = sample.len();
        let id = s.id;
        s.samples += 1;
        let captions = s.kind == MediaKind::Text;
        vod.push(id, sample.into_sample())
            .map_err(|e| describe(&e, streams))?;
        if captions {
            // Sparse: each caption sample is its own fragment, so players get it when
            // its time comes rather than at the end of a long fragment.
            vod.flush(id).map_err(|e| describe(&e, streams))?;
        }
        pushed += len;
        count += 1;
        if count.is_multiple_of(64) {
            progress.set(pushed);
        }
    }

    // Close every fragment now rather than in finish(), so the fragment counts can be
    // read back for the summary before the writer is consumed.
    for s in streams.iter() {
        vod.flush(s.id).map_err(|e| describe(&e, streams))?;
    }
    for (i, s) in streams.iter_mut().enumerate() {
        let rate = set.bitrate(i).map_err(|e| e.to_string())?;
        s.bitrate = Some(rate);
        vod.set_bitrate(s.id, rate)
            .map_err(|e| format!("{}: {e}", s.label))?;
    }
    Ok(())
}

/// A library error in the words of the command line: the input it concerns first, and
/// both inputs when two bit rates disagree.
fn describe(e: &ssf::Error, streams: &[Stream]) -> String {
    let label = |index: usize| {
        streams
            .iter()
            .find(|s| s.id.index() == index)
            .map(|s| s.label.clone())
    };
    let stream = match e {
        ssf::Error::MisalignedBitrates { stream, other, .. } => {
            if let (Some(a), Some(b)) = (label(*stream), label(*other)) {
                return format!("{a} and {b} do not align: {e}");
            }
            None
        }
        ssf::Error::DecreasingTime { stream, .. }
        | ssf::Error::NonSyncFragmentStart { stream, .. }
        | ssf::Error::EmptySample { stream, .. }
        | ssf::Error::SampleTooLarge { stream, .. }
        | ssf::Error::TimestampOverflow { stream, .. }
        | ssf::Error::InvalidSample { stream, .. }
        | ssf::Error::MissingDuration { stream, .. } => Some(*stream),
        _ => None,
    };
    match stream.and_then(label) {
        Some(label) => format!("{label}: {e}"),
        None => e.to_string(),
    }
}

/// Refuses an input file given twice: two bit rates of the same bytes cannot be told
/// apart (they would get the same bit rate) and it is never what was meant.
fn refuse_repeated_inputs(inputs: &[InputSpec]) -> Result<(), String> {
    let mut seen: Vec<(usize, (u64, u64))> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let Ok(meta) = std::fs::metadata(&input.path) else {
            continue;
        };
        let identity = file_identity(&meta);
        if let Some((first, _)) = seen.iter().find(|(_, id)| *id == identity) {
            return Err(format!(
                "{} is given twice (inputs {} and {}): each input must be a different file",
                input.path.display(),
                first + 1,
                i + 1
            ));
        }
        seen.push((i, identity));
    }
    Ok(())
}

/// The device and inode of a file, so one file given under two names is recognised.
#[cfg(unix)]
fn file_identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Files cannot be told apart by identity off Unix; every input counts as distinct.
#[cfg(not(unix))]
fn file_identity(_meta: &std::fs::Metadata) -> (u64, u64) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    (0, NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Warns when keyframes are so far apart that fragments run well past the target: a
/// closed but long GOP gives fragments as long as the GOP, which players switch poorly
/// between.
fn warn_long_fragments(vod: &VodWriter, streams: &[Stream], target_seconds: f64) {
    let timescale = f64::from(vod.muxer().options().timescale);
    for s in streams.iter().filter(|s| s.kind == MediaKind::Video) {
        let Ok(fragments) = vod.muxer().fragment_times(s.id) else {
            continue;
        };
        let longest = fragments.iter().map(|f| f.duration).max().unwrap_or(0) as f64 / timescale;
        if longest > 1.5 * target_seconds {
            eprintln!(
                "ssfmux: warning: {}: keyframes are up to {longest:.3} s apart, so fragments last up to {longest:.3} s instead of {target_seconds} s; re-encode with a keyframe (closed GOP) every {target_seconds} s for smooth bit-rate switching",
                s.label
            );
        }
    }
}

/// Prints the files written with their sizes, each stream's bit rate, fragment and
/// sample counts, the duration and the throughput. `written` holds the two manifests,
/// then one file per stream that got fragments, in stream order.
fn print_summary(
    out: &Path,
    streams: &[Stream],
    fragment_counts: &[usize],
    written: &[PathBuf],
    duration: u64,
    input_bytes: u64,
    elapsed: Duration,
) {
    let with_files = streams
        .iter()
        .zip(fragment_counts)
        .filter(|(_, fragments)| **fragments > 0);
    let details = std::iter::repeat_n(None, 2).chain(with_files.map(Some));
    let mut output_bytes = 0;
    let mut lines = Vec::new();
    for (path, detail) in written.iter().zip(details) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        output_bytes += size;
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let detail = detail
            .map(|(s, fragments)| {
                format!(
                    "  {} {:>9} bit/s {fragments:>5} fragments {:>7} samples  from {}",
                    match s.kind {
                        MediaKind::Text => "text ",
                        MediaKind::Video => "video",
                        MediaKind::Audio => "audio",
                    },
                    s.bitrate.unwrap_or(0),
                    s.samples,
                    s.label
                )
            })
            .unwrap_or_default();
        lines.push(format!("  {file:<32} {:>10}{detail}", human(size)));
    }
    println!(
        "Wrote {} ({:.3} s, {}):",
        out.display(),
        duration as f64 / f64::from(ssf::mux::SMOOTH_TIMESCALE),
        human(output_bytes)
    );
    for line in lines {
        println!("{line}");
    }
    let secs = elapsed.as_secs_f64().max(1e-6);
    println!(
        "Packaged {} of input in {:.2} s ({:.1} MB/s)",
        human(input_bytes),
        secs,
        input_bytes as f64 / 1e6 / secs
    );
}
