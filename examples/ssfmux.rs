//! `ssfmux`: packages raw H.264 (Annex B) and ADTS AAC files, MP4 files holding
//! H.264/AAC, VC-1 elementary streams, WMA in ASF, and TTML captions into a Smooth
//! Streaming presentation (`.ism`, `.ismc`, one `.ismv` per video bit rate, `.isma` per
//! audio stream, `.ismt` for captions).
//!
//! Run with no arguments to package the bundled sample into `out/sample/`;
//! `ssfmux recover DIR` finishes what a killed run left.
//!
//! Flow: every input is opened (raw H.264 and ADTS are then read once, front to back, so
//! they may be pipes), samples are pushed to the writer merged across inputs by decode
//! time, so all files grow together and memory stays bounded, and the measured bit rates
//! name the files when the writer publishes the presentation.

#[path = "ssfmux/captions.rs"]
mod captions;
#[path = "ssfmux/mp4file.rs"]
mod mp4file;
#[path = "ssfmux/source.rs"]
mod source;
#[path = "ssfmux/windows_media.rs"]
mod windows_media;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ssf::{Options, Sample, StreamId, VodWriter};

use source::{Fps, Role, Scanned};

/// Package H.264/AAC or VC-1/WMA (and TTML captions) into Smooth Streaming (PIFF
/// .ismv/.isma/.ismt, .ism and .ismc).
///
/// With no INPUTS, packages the bundled sample (three H.264 bit rates and one AAC
/// stream) into out/sample/.
#[derive(Parser, Debug)]
#[command(name = "ssfmux", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// What to do (packaging when none is named).
    #[command(subcommand)]
    command: Option<Command>,

    /// Packaging, the default command.
    #[command(flatten)]
    package: PackageArgs,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// Package inputs into a presentation (the default)
    Package(Box<PackageArgs>),
    /// Turn what an interrupted (killed, crashed) run left into a valid presentation:
    /// keeps every complete fragment the bit rates have in common, writes the index and
    /// manifests, and publishes it
    Recover(RecoverArgs),
}

/// `ssfmux recover DIR`.
#[derive(Args, Debug)]
struct RecoverArgs {
    /// The presentation directory the interrupted run was writing
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// `ssfmux [package] INPUT…`.
#[derive(Args, Debug)]
struct PackageArgs {
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
    fps: Option<Fps>,

    /// No progress bar
    #[arg(short, long)]
    quiet: bool,

    /// PlayReady key ID (a GUID, e.g. 8ba94ade-6eb9-449d-b44f-a5beefaf43b0): encrypts every
    /// stream with AES-128-CTR and writes the PlayReady header
    #[arg(
        long,
        value_name = "GUID",
        requires = "key_source",
        help_heading = "Encryption"
    )]
    kid: Option<String>,

    /// Content key: 32 hex digits (or base64 of 16 bytes)
    #[arg(
        long,
        value_name = "HEX",
        group = "key_source",
        requires = "kid",
        help_heading = "Encryption"
    )]
    key: Option<String>,

    /// PlayReady key seed (base64, e.g. the 40-character test seed, or hex); the content
    /// key is derived from it and the KID
    #[arg(
        long,
        value_name = "SEED",
        group = "key_source",
        requires = "kid",
        help_heading = "Encryption"
    )]
    key_seed: Option<String>,

    /// License acquisition URL written into the PlayReady header
    #[arg(
        long,
        value_name = "URL",
        requires = "kid",
        help_heading = "Encryption"
    )]
    la_url: Option<String>,

    /// License UI URL written into the PlayReady header
    #[arg(
        long,
        value_name = "URL",
        requires = "kid",
        help_heading = "Encryption"
    )]
    lui_url: Option<String>,

    /// First IV as 16 hex digits (stream n starts at IV + n<<48) [default: random per
    /// stream]
    #[arg(
        long,
        value_name = "HEX",
        requires = "kid",
        help_heading = "Encryption"
    )]
    iv: Option<String>,

    /// Also write the CENC boxes so CENC readers (e.g. ffmpeg -decryption_key) decrypt the
    /// same files
    #[arg(long, requires = "kid", help_heading = "Encryption")]
    cenc: bool,

    /// Raw Annex B .h264 (one per bit rate, aligned GOPs), ADTS .aac, .mp4 with H.264/AAC
    /// tracks, VC-1 Advanced Profile .vc1 elementary streams, WMA in .wma/.asf, and
    /// .ttml/.dfxp captions (a text stream of the first video stream). FILE@BITRATE (e.g.
    /// a.h264@1500000, @1500k, @1.5M) sets the bit rate instead of measuring it (for an
    /// .mp4: of its video track). The audio tracks of an .mp4 are skipped when an earlier
    /// input already gave audio.
    #[arg(value_name = "INPUTS")]
    inputs: Vec<InputArg>,
}

/// One input file with the bit rate given for it, if any.
#[derive(Debug, Clone)]
struct InputArg {
    /// The file.
    path: PathBuf,
    /// Bits per second from `FILE@BITRATE`.
    bitrate: Option<u32>,
}

impl std::str::FromStr for InputArg {
    type Err = String;

    /// An existing file is a path whatever it contains (`me@host/a.h264`); otherwise
    /// `FILE@BITRATE` splits at the last '@'.
    fn from_str(s: &str) -> Result<Self, String> {
        if Path::new(s).exists() {
            return Ok(InputArg {
                path: s.into(),
                bitrate: None,
            });
        }
        match s.rsplit_once('@') {
            Some((path, rate)) => match parse_bitrate(rate) {
                Ok(bitrate) => Ok(InputArg {
                    path: path.into(),
                    bitrate: Some(bitrate),
                }),
                Err(_) => Err(format!(
                    "{s}: no such file, and {rate:?} is not a bit rate for {path} (e.g. {path}@1500000, @1500k or @1.5M)"
                )),
            },
            None => Ok(InputArg {
                path: s.into(),
                bitrate: None,
            }),
        }
    }
}

/// "1500000", "1500k", "1.5M" (case-insensitive, optional "bps") → bits per second.
fn parse_bitrate(s: &str) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    let t = lower.strip_suffix("bps").unwrap_or(&lower);
    let (number, scale) = match t.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => match t.strip_suffix('m') {
            Some(n) => (n, 1e6),
            None => (t, 1.0),
        },
    };
    let value = number.parse::<f64>().ok().map(|v| (v * scale).round());
    match value {
        Some(v) if v >= 1.0 && v <= f64::from(u32::MAX) => Ok(v as u32),
        _ => Err(format!(
            "{s:?} is not a bit rate (e.g. 1500000, 1500k or 1.5M)"
        )),
    }
}

/// What kind of file an input is, from its extension or else its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Raw H.264 Annex B elementary stream.
    H264,
    /// AAC in ADTS frames.
    Aac,
    /// ISO BMFF / QuickTime file with H.264 and/or AAC tracks.
    Mp4,
    /// VC-1 Advanced Profile elementary stream.
    Vc1,
    /// ASF file with a WMA stream.
    Wma,
    /// TTML (DFXP) captions.
    Ttml,
}

/// The kind of an input: from its extension, else sniffed from its first bytes.
fn kind_of(path: &Path) -> Result<Kind, String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("h264" | "264" | "avc" | "jsv" | "h26l") => return Ok(Kind::H264),
        Some("aac" | "adts") => return Ok(Kind::Aac),
        Some("mp4" | "m4v" | "m4a" | "mov" | "ismv" | "isma" | "cmfv" | "cmfa") => {
            return Ok(Kind::Mp4);
        }
        Some("vc1" | "vc-1" | "rcv") => return Ok(Kind::Vc1),
        Some("wma" | "asf" | "wmv") => return Ok(Kind::Wma),
        Some("ttml" | "dfxp" | "xml") => return Ok(Kind::Ttml),
        _ => {}
    }
    let mut head = [0u8; 12];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let head = &head[..n];
    if head.get(4..8) == Some(b"ftyp") {
        Ok(Kind::Mp4)
    } else if head.starts_with(&[0, 0, 1, 0x0F]) || ssf::input::vc1::is_rcv(head) {
        Ok(Kind::Vc1)
    } else if head.starts_with(&[0, 0, 1]) || head.starts_with(&[0, 0, 0, 1]) {
        Ok(Kind::H264)
    } else if head.starts_with(&[0x30, 0x26, 0xB2, 0x75]) {
        Ok(Kind::Wma)
    } else if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xF6 == 0xF0 {
        Ok(Kind::Aac)
    } else {
        Err(format!(
            "{}: not a raw H.264 (.h264), ADTS (.aac), MP4 (.mp4), VC-1 (.vc1), ASF (.wma) or \
             TTML (.ttml) file",
            path.display()
        ))
    }
}

/// A progress bar that appears only once a run has taken a couple of seconds, so short
/// runs print nothing but the summary.
struct Progress {
    /// Hidden until [`Progress::DELAY`] has passed.
    bar: ProgressBar,
    /// When the run started.
    start: Instant,
    /// Whether the bar has been made visible.
    shown: bool,
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
            shown: false,
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
    fn set(&mut self, position: u64) {
        if !self.shown && self.enabled && self.start.elapsed() >= Self::DELAY {
            // indicatif draws nothing when stderr is not a terminal.
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(position);
    }

    /// Removes the bar before the summary is printed.
    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// One stream being packaged.
struct Stream {
    /// The input and its source.
    scanned: Scanned,
    /// The writer's handle.
    id: StreamId,
    /// Bit rate given, or measured once the input has ended (it names the file).
    bitrate: Option<u32>,
    /// Added to the source's decode times so that all streams start presenting together.
    shift: u64,
    /// The next sample, read ahead so streams can be merged by decode time.
    next: Option<source::Next>,
    /// Samples pushed.
    samples: u64,
    /// Payload bytes pushed.
    payload: u64,
}

/// Runs the CLI; any error is printed as `ssfmux: <error>` with exit status 1.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors; clap prints them as usual.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let message = e.to_string();
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            eprint!("ssfmux: {message}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Recover(args)) => recover(&args),
        Some(Command::Package(args)) => package(*args),
        None => package(cli.package),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssfmux: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `ssfmux recover DIR`: finishes an interrupted run and says what it kept.
fn recover(args: &RecoverArgs) -> Result<(), String> {
    let recovered = ssf::vod::recover(&args.dir).map_err(|e| e.to_string())?;
    let dir = recovered.directory.display();
    if !recovered.was_interrupted {
        println!("{dir}: nothing to recover (no interrupted run left files there)");
        return Ok(());
    }
    if recovered.streams.is_empty() {
        println!("{dir}: the interrupted run had finished writing; published it");
        return Ok(());
    }
    println!("Recovered {dir}:");
    for s in &recovered.streams {
        let seconds = s.duration as f64 / f64::from(ssf::mux::SMOOTH_TIMESCALE);
        if s.file.is_empty() {
            println!(
                "  stream {}: dropped (no complete fragment common to its bit rates; {} dropped)",
                s.index,
                human(s.dropped_bytes)
            );
        } else {
            println!(
                "  {:<32} {:>5} fragments {:>9.3} s {:>9} bit/s; dropped {} fragments, {}",
                s.file,
                s.fragments,
                seconds,
                s.bitrate,
                s.dropped_fragments,
                human(s.dropped_bytes)
            );
        }
    }
    Ok(())
}

/// Packages the inputs; on failure the output directory is left as it was.
fn package(mut cli: PackageArgs) -> Result<(), String> {
    let started = Instant::now();
    if cli.inputs.is_empty() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample/"));
        cli.inputs = [
            "sample_360p.h264",
            "sample_540p.h264",
            "sample_720p.h264",
            "sample.aac",
        ]
        .iter()
        .map(|f| InputArg {
            path: dir.join(f),
            bitrate: None,
        })
        .collect();
        cli.name.get_or_insert_with(|| "sample".into());
    }
    let name = match &cli.name {
        Some(n) => n.clone(),
        None => cli.inputs[0]
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or("cannot derive a presentation name from the first input; give --name")?,
    };
    let out = cli
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&name));
    let mut options = Options::default()
        .fragment_seconds(cli.fragment_duration)
        .map_err(|e| e.to_string())?;
    if let Some(protection) = protection(&cli)? {
        options = options.protection(protection);
    }
    refuse_repeated_inputs(&cli.inputs)?;

    // Open every input: configuration and timing from its first bytes (VC-1 and WMA
    // are pre-scanned whole).
    let mut progress = Progress::new(!cli.quiet);
    let mut input_bytes = 0;
    let mut scanned: Vec<(Scanned, Option<u32>)> = Vec::new();
    for input in &cli.inputs {
        let kind = kind_of(&input.path)?;
        input_bytes += source::file_size(&input.path)?;
        let mut tick = |n: u64| progress.set(n);
        let streams = match kind {
            Kind::H264 => vec![source::open_h264(&input.path, cli.fps)?],
            Kind::Aac => vec![source::open_aac(&input.path)?],
            Kind::Vc1 => vec![windows_media::scan_vc1(&input.path, cli.fps, &mut tick)?],
            Kind::Wma => vec![windows_media::scan_wma(&input.path, &mut tick)?],
            Kind::Ttml => vec![captions::scan_captions(&input.path)?],
            Kind::Mp4 => {
                let have_audio = scanned
                    .iter()
                    .any(|(s, _)| !s.video && matches!(s.role, Role::Media(_)));
                source::scan_mp4(&input.path, !have_audio)?
            }
        };
        let video_tracks = streams.iter().filter(|s| s.video).count();
        if input.bitrate.is_some() && kind == Kind::Mp4 && video_tracks != 1 {
            return Err(format!(
                "{}: @BITRATE needs exactly one video track, the file has {video_tracks}",
                input.path.display()
            ));
        }
        for s in streams {
            // For an .mp4 the given bit rate is its video track's; audio is measured.
            let given = if s.video || kind != Kind::Mp4 {
                input.bitrate
            } else {
                None
            };
            scanned.push((s, given));
        }
    }
    // Video first, captions last: the manifests list streams in the order they are
    // added, and captions name the first video stream as their parent.
    scanned.sort_by_key(|(s, _)| (!s.video, matches!(s.role, Role::Captions(_))));

    if cli.force && ssf::vod::discard_interrupted(&out).map_err(|e| e.to_string())? {
        eprintln!(
            "ssfmux: {}: discarded the files of an interrupted earlier run (--force)",
            out.display()
        );
    }
    let mut vod = VodWriter::create(&out, &name, options).map_err(|e| e.to_string())?;
    let mut streams = Vec::new();
    match mux_all(&mut vod, scanned, &mut streams, &mut progress) {
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
    scanned: Vec<(Scanned, Option<u32>)>,
    streams: &mut Vec<Stream>,
    progress: &mut Progress,
) -> Result<(), String> {
    for (s, given) in scanned {
        let config = match &s.role {
            Role::Media(config) => (**config).clone(),
            Role::Captions(language) => {
                let parent = streams
                    .iter()
                    .find(|p: &&Stream| p.scanned.video)
                    .ok_or_else(|| format!("{}: captions need a video stream", s.label))?;
                let config = ssf::StreamConfig::ttml(parent.id)
                    .map_err(|e| format!("{}: {e}", s.label))?
                    .track_name("captions");
                match language {
                    Some(l) => config.language(l.clone()),
                    None => config,
                }
            }
        };
        let config = config.bitrate(given.unwrap_or(0)).timescale(s.timescale);
        let id = vod
            .add_stream(config)
            .map_err(|e| format!("{}: {e}", s.label))?;
        streams.push(Stream {
            scanned: s,
            id,
            bitrate: given,
            shift: 0,
            next: None,
            samples: 0,
            payload: 0,
        });
    }

    align_starts(streams)?;

    // Mux: always push the stream whose next sample decodes first, so that every file
    // grows at the same pace and the muxer holds about one fragment per stream.
    let total: u64 = streams.iter().map(|s| s.scanned.bytes).sum();
    progress.phase("muxing", total);
    let mut pushed = 0u64;
    let mut count = 0u64;
    while let Some(i) = earliest(streams) {
        let s = &mut streams[i];
        let Some(next) = s.next.take() else { break };
        let dts = next
            .dts
            .checked_add(s.shift)
            .ok_or_else(|| format!("{}: decode time overflows", s.scanned.label))?;
        let len = next.data.len() as u64;
        let sample = Sample::new(next.data, dts)
            .cts_offset(next.cts_offset)
            .duration(next.duration)
            .sync(next.sync);
        let id = s.id;
        let captions = matches!(s.scanned.role, Role::Captions(_));
        vod.push(id, sample).map_err(|e| describe(&e, streams))?;
        if captions {
            // Sparse: each caption sample is its own fragment, so players get it when
            // its time comes rather than at the end of a long fragment.
            vod.flush(id).map_err(|e| describe(&e, streams))?;
        }
        let s = &mut streams[i];
        s.samples += 1;
        s.payload += len;
        s.next = s.scanned.source.next()?;
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
    for s in streams.iter_mut() {
        let rate = match s.bitrate {
            Some(given) => given,
            None => measured_bitrate(&s.scanned)?,
        };
        s.bitrate = Some(rate);
        vod.set_bitrate(s.id, rate)
            .map_err(|e| format!("{}: {e}", s.scanned.label))?;
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
            .map(|s| s.scanned.label.clone())
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
fn refuse_repeated_inputs(inputs: &[InputArg]) -> Result<(), String> {
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
    for s in streams.iter().filter(|s| s.scanned.video) {
        let Ok(fragments) = vod.muxer().fragment_times(s.id) else {
            continue;
        };
        let longest = fragments.iter().map(|f| f.duration).max().unwrap_or(0) as f64 / timescale;
        if longest > 1.5 * target_seconds {
            eprintln!(
                "ssfmux: warning: {}: keyframes are up to {longest:.3} s apart, so fragments last up to {longest:.3} s instead of {target_seconds} s; re-encode with a keyframe (closed GOP) every {target_seconds} s for smooth bit-rate switching",
                s.scanned.label
            );
        }
    }
}

/// The encryption the command line asks for, if any.
fn protection(cli: &PackageArgs) -> Result<Option<ssf::Protection>, String> {
    let Some(kid) = &cli.kid else {
        return Ok(None);
    };
    let kid = ssf::Kid::parse(kid).map_err(|e| format!("--kid: {e}"))?;
    let mut p = match (&cli.key, &cli.key_seed) {
        (Some(key), _) => {
            let key = ssf::ContentKey::parse_hex(key).map_err(|e| format!("--key: {e}"))?;
            ssf::Protection::new(kid, key)
        }
        (None, Some(seed)) => {
            let seed = ssf::KeySeed::parse(seed).map_err(|e| format!("--key-seed: {e}"))?;
            ssf::Protection::from_key_seed(kid, &seed)
        }
        (None, None) => return Err("--kid needs --key or --key-seed".into()),
    };
    if let Some(url) = &cli.la_url {
        p = p.la_url(url.clone());
    }
    if let Some(url) = &cli.lui_url {
        p = p.lui_url(url.clone());
    }
    if let Some(iv) = &cli.iv {
        let iv = u64::from_str_radix(iv.trim_start_matches("0x"), 16)
            .map_err(|e| format!("--iv {iv}: {e} (give 16 hex digits)"))?;
        p = p.first_iv(iv);
    }
    p = p.cenc_compatible(cli.cenc);
    p.validate().map_err(|e| e.to_string())?;
    Ok(Some(p))
}

/// Bits per second from the input's totals: size over media duration.
fn measured_bitrate(s: &Scanned) -> Result<u32, String> {
    let totals = s.totals();
    if totals.duration == 0 {
        return Err(format!(
            "{}: zero duration, cannot measure the bit rate (give FILE@BITRATE)",
            s.label
        ));
    }
    let bits = u128::from(totals.bytes) * 8 * u128::from(s.timescale);
    let rate = (bits + u128::from(totals.duration) / 2) / u128::from(totals.duration);
    Ok(u32::try_from(rate.max(1)).unwrap_or(u32::MAX))
}

/// Reads each stream's first sample and shifts streams so that all start presenting at
/// the same instant. With B-frames a video stream's first picture is shown a reorder
/// delay after it is decoded; audio that started at 0 would play that much early.
fn align_starts(streams: &mut [Stream]) -> Result<(), String> {
    for s in streams.iter_mut() {
        s.next = s.scanned.source.next()?;
        if s.next.is_none() {
            eprintln!("ssfmux: {}: no samples", s.scanned.label);
        }
    }
    // The latest first presentation time, as (ticks, timescale). Captions are timed
    // from the programme's start, so they only follow the shift, never set it.
    let lead = |s: &Stream| s.next.as_ref().map_or(0, |n| n.dts + n.cts_offset);
    let captions = |s: &Stream| matches!(s.scanned.role, Role::Captions(_));
    let Some(latest) = streams.iter().filter(|s| !captions(s)).max_by(|a, b| {
        (u128::from(lead(a)) * u128::from(b.scanned.timescale))
            .cmp(&(u128::from(lead(b)) * u128::from(a.scanned.timescale)))
    }) else {
        return Ok(());
    };
    let (ticks, scale) = (
        u128::from(lead(latest)),
        u128::from(latest.scanned.timescale),
    );
    for s in streams.iter_mut() {
        let target = (ticks * u128::from(s.scanned.timescale) + scale / 2) / scale;
        let shift = if captions(s) {
            target
        } else {
            target.saturating_sub(u128::from(lead(s)))
        };
        s.shift = u64::try_from(shift)
            .map_err(|_| format!("{}: start offset overflows", s.scanned.label))?;
    }
    Ok(())
}

/// The stream whose pending sample has the earliest decode time (exact comparison of
/// `dts / timescale` across timescales); ties go to the earlier stream.
fn earliest(streams: &[Stream]) -> Option<usize> {
    let mut best: Option<(usize, u128, u128)> = None;
    for (i, s) in streams.iter().enumerate() {
        let Some(next) = &s.next else { continue };
        let t = u128::from(next.dts) + u128::from(s.shift);
        let scale = u128::from(s.scanned.timescale);
        match best {
            Some((_, bt, bscale)) if bt * scale <= t * bscale => {}
            _ => best = Some((i, t, scale)),
        }
    }
    best.map(|(i, _, _)| i)
}

/// A byte count for people: 1.5 MiB.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
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
                    match (&s.scanned.role, s.scanned.video) {
                        (Role::Captions(_), _) => "text ",
                        (_, true) => "video",
                        (_, false) => "audio",
                    },
                    s.bitrate.unwrap_or(0),
                    s.samples,
                    s.scanned.label
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rates_parse_with_suffixes() {
        assert_eq!(parse_bitrate("1500000"), Ok(1_500_000));
        assert_eq!(parse_bitrate("1500k"), Ok(1_500_000));
        assert_eq!(parse_bitrate("1.5M"), Ok(1_500_000));
        assert_eq!(parse_bitrate("128kbps"), Ok(128_000));
        assert!(parse_bitrate("0").is_err());
        assert!(parse_bitrate("5G").is_err());
        assert!(parse_bitrate("9999M").is_err());
    }

    #[test]
    fn inputs_split_at_a_trailing_bit_rate_only() {
        let a: InputArg = "a.h264@1.5M".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((a.path, a.bitrate), ("a.h264".into(), Some(1_500_000)));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let odd = dir.path().join("me@host.h264");
        std::fs::write(&odd, b"").unwrap_or_else(|e| panic!("{e}"));
        let odd = odd.to_string_lossy().into_owned();
        let b: InputArg = odd.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((b.path, b.bitrate), (odd.into(), None));
        for (arg, rate) in [
            ("a.h264@1x", "\"1x\""),
            ("a.h264@", "\"\""),
            ("a.h264@-5", "\"-5\""),
        ] {
            let e = arg.parse::<InputArg>().unwrap_err();
            assert!(
                e.contains("no such file") && e.contains(&format!("{rate} is not a bit rate")),
                "{e}"
            );
        }
    }

    #[test]
    fn frame_rates_parse_exactly() {
        let fps = |s: &str| s.parse::<Fps>().map(|f| (f.num, f.den));
        assert_eq!(fps("25"), Ok((25, 1)));
        assert_eq!(fps("29.97"), Ok((30000, 1001)));
        assert_eq!(fps("23.976"), Ok((24000, 1001)));
        assert_eq!(fps("59.94"), Ok((60000, 1001)));
        assert_eq!(fps("12.5"), Ok((25, 2)));
        assert_eq!(fps("30000/1001"), Ok((30000, 1001)));
        assert!(fps("0").is_err());
        assert!(fps("25/0").is_err());
    }
}
