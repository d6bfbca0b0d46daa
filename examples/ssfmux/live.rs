//! `ssfmux live --to URL [--to URL…] INPUT…`: pushes the inputs `ssfmux` packages to one or
//! more Smooth publishing points (a redundant group), in real time unless `--fast`,
//! looped if asked with timestamps continuing across loops, with a status line per
//! second and a summary. Ctrl-C ends every POST cleanly with the end-of-stream box.
//!
//! Exit status: 0 when every fragment reached at least one publishing point of the group
//! (a point failing alone is reported, not fatal), 1 when a fragment may be missing from
//! every point, 2 on a usage or input error.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use ssf::input::{FrameRate, InputSet, InputSpec, OpenOptions};
use ssf::live::{ConnectionStats, FinalReport, LiveOptions, LivePublisher, TimeOrigin};
use ssf::mux::{SMOOTH_TIMESCALE, rescale};
use ssf::{Options, StreamId};

use crate::encryption::{EncryptionArgs, protection};
use crate::print_notes;

/// `ssfmux live`.
#[derive(Args, Debug)]
pub struct LiveArgs {
    /// A publishing point (http(s)://host/path/NAME.isml); give several for a redundant
    /// group: each gets every stream over its own connections
    #[arg(long = "to", value_name = "URL", required = true)]
    to: Vec<String>,

    /// Skip the empty probe POST (needed for `ffmpeg -listen 1`)
    #[arg(long)]
    no_probe: bool,

    /// Push as fast as the connections take it instead of in real time
    #[arg(long)]
    fast: bool,

    /// How many times to push the inputs (a number, or `forever`); timestamps continue
    /// across loops
    #[arg(long = "loop", value_name = "N|forever", default_value = "1")]
    loops: Loops,

    /// Anchor timestamps to UTC (seconds since the Unix epoch, rounded down to a
    /// fragment), so several encoders produce identical fragment times
    #[arg(long)]
    utc: bool,

    /// Target fragment duration in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    fragment_duration: f64,

    /// Frame rate of raw H.264 or VC-1 that signals none
    #[arg(long)]
    fps: Option<FrameRate>,

    /// How long the end may take: sending what is still queued, the end of stream and
    /// each server's answer [default: 10, or 120 with --fast, whose whole push may still
    /// be queued]
    #[arg(long, value_name = "SECONDS")]
    finish_timeout: Option<f64>,

    /// PlayReady encryption.
    #[command(flatten)]
    encryption: EncryptionArgs,

    /// Inputs, as for packaging (FILE[@BITRATE][,lang=L][,name=N]); none: the bundled
    /// sample (three H.264 bit rates and AAC)
    #[arg(value_name = "INPUTS")]
    inputs: Vec<InputSpec>,
}

/// How many times to push the inputs.
#[derive(Debug, Clone, Copy)]
enum Loops {
    /// This many times.
    Times(u64),
    /// Until Ctrl-C.
    Forever,
}

impl std::str::FromStr for Loops {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "forever" => Ok(Loops::Forever),
            n => match n.parse::<u64>() {
                Ok(0) | Err(_) => Err(format!("{s:?} is not a loop count (1, 2, … or forever)")),
                Ok(n) => Ok(Loops::Times(n)),
            },
        }
    }
}

impl Loops {
    fn includes(self, pass: u64) -> bool {
        match self {
            Loops::Times(n) => pass < n,
            Loops::Forever => true,
        }
    }
}

/// Runs the push; Ok(false) when a fragment may be missing from every point.
pub fn run(mut cli: LiveArgs) -> Result<bool, String> {
    if cli.inputs.is_empty() {
        cli.inputs = crate::bundled_sample();
    }
    let mut options = Options::default()
        .fragment_seconds(cli.fragment_duration)
        .map_err(|e| e.to_string())?;
    if let Some(p) = protection(&cli.encryption)? {
        options = options.protection(p);
    }
    let mut live = LiveOptions::default()
        .probe(!cli.no_probe)
        .on_state(|e| eprintln!("ssfmux: [{}] {}: {} {}", e.target, e.url, e.state, e.detail));
    if cli.fast {
        // As fast as the connections take it: wait for a streaming connection's queue
        // rather than drop from it (a minute at most, then the usual drop and count).
        live = live
            .catch_up_speed(None)
            .wait_for_room(Some(Duration::from_secs(60)));
    }
    let finish = cli
        .finish_timeout
        .unwrap_or(if cli.fast { 120.0 } else { 10.0 });
    if !(finish.is_finite() && finish > 0.0) {
        return Err(format!(
            "--finish-timeout {finish}: not a positive number of seconds"
        ));
    }
    live = live.finish_timeout(Duration::from_secs_f64(finish));
    if cli.utc {
        live = live.time_origin(TimeOrigin::WallClock);
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst))
            .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;
    }

    let mut publisher =
        LivePublisher::connect(&cli.to, options, live).map_err(|e| e.to_string())?;
    let open = |cli: &LiveArgs| -> Result<InputSet, String> {
        let mut open_options = OpenOptions::new();
        if let Some(fps) = cli.fps {
            open_options = open_options.frame_rate(fps);
        }
        let mut set = InputSet::new();
        for spec in &cli.inputs {
            set.open(spec, &open_options).map_err(|e| e.to_string())?;
        }
        print_notes(set.take_notes());
        Ok(set)
    };
    let mut set = open(&cli)?;
    let ids = set
        .add_streams(|config| publisher.add_stream(config))
        .map_err(|e| e.to_string())?;
    let labels: Vec<String> = set.streams().map(|s| s.label.clone()).collect();
    let timescales: Vec<u32> = set.streams().map(|s| s.timescale).collect();

    let start = Instant::now();
    let mut status = Status::new(start);
    // Length of one pass in presentation ticks: the latest end of any stream, so every
    // stream of the next pass starts after every stream of this one.
    let mut pass_length = 0u64;
    let mut pass = 0u64;
    'passes: while cli.loops.includes(pass) {
        if pass > 0 {
            set = open(&cli)?;
            let mut next = ids.iter().copied();
            set.add_streams(|_| {
                next.next()
                    .ok_or_else(|| ssf::Error::InvalidState("a pass has more streams".into()))
            })
            .map_err(|e| e.to_string())?;
        }
        let offset = pass.saturating_mul(pass_length);
        let mut end = 0u64;
        while let Some((id, sample)) = set.next_sample().map_err(|e| e.to_string())? {
            if interrupted.load(Ordering::SeqCst) {
                break 'passes;
            }
            let timescale = timescale_of(&ids, &timescales, id);
            let shift = rescale(offset, SMOOTH_TIMESCALE, timescale)
                .ok_or("the timestamps overflow after this many loops")?;
            let sample_end = sample.dts.saturating_add(sample.duration);
            end = end.max(rescale(sample_end, timescale, SMOOTH_TIMESCALE).unwrap_or(0));
            let mut sample = sample;
            sample.dts = sample.dts.saturating_add(shift);
            let dts = sample.dts;
            let sample = sample.into_sample();
            if !cli.fast {
                let media = Duration::from_secs_f64(dts as f64 / f64::from(timescale.max(1)));
                pace(start + media, &mut status, &publisher, &interrupted);
            }
            status.tick(&publisher);
            publisher.push(id, sample).map_err(|e| {
                let label = labels.get(id.index()).map_or("", String::as_str);
                format!("{label}: {e}")
            })?;
        }
        print_notes(set.take_notes());
        pass_length = pass_length.max(end);
        pass += 1;
    }
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("ssfmux: interrupted: ending every POST with the end of stream");
    }
    let reports = publisher.finish().map_err(|e| e.to_string())?;
    Ok(summarize(&reports, &labels, ids.len(), start.elapsed()))
}

/// The timescale of stream `id`.
fn timescale_of(ids: &[StreamId], timescales: &[u32], id: StreamId) -> u32 {
    ids.iter()
        .position(|&i| i == id)
        .and_then(|p| timescales.get(p).copied())
        .unwrap_or(SMOOTH_TIMESCALE)
}

/// Waits until `due`, printing the status line meanwhile; returns early on Ctrl-C.
fn pace(due: Instant, status: &mut Status, publisher: &LivePublisher, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(200)));
        status.tick(publisher);
    }
}

/// The one-line-per-second status.
struct Status {
    start: Instant,
    next: Duration,
}

impl Status {
    fn new(start: Instant) -> Self {
        Self {
            start,
            next: Duration::from_secs(1),
        }
    }

    /// Prints the status line once a second: per publishing point, fragments sent,
    /// acknowledged and replayed, queue depth and reconnects, summed over its streams.
    fn tick(&mut self, publisher: &LivePublisher) {
        let elapsed = self.start.elapsed();
        if elapsed < self.next {
            return;
        }
        self.next = elapsed + Duration::from_secs(1);
        let stats = publisher.stats();
        let points = stats.iter().map(|s| s.target).max().map_or(0, |m| m + 1);
        let mut line = format!("{:>7.1} s", elapsed.as_secs_f64());
        for point in 0..points {
            let of: Vec<&ConnectionStats> = stats.iter().filter(|s| s.target == point).collect();
            let sum = |f: fn(&ConnectionStats) -> u64| of.iter().map(|s| f(s)).sum::<u64>();
            line.push_str(&format!(
                " | [{point}] sent {} acked {} replayed {} queued {} reconnects {}",
                sum(|s| s.fragments_sent),
                sum(|s| s.fragments_acknowledged),
                sum(|s| s.fragments_replayed),
                sum(|s| s.queued_fragments as u64),
                sum(|s| s.reconnects),
            ));
        }
        eprintln!("{line}");
    }
}

/// Prints every connection's outcome; true unless a stream may miss a fragment at
/// every publishing point.
fn summarize(reports: &[FinalReport], labels: &[String], streams: usize, took: Duration) -> bool {
    println!("Pushed for {:.1} s:", took.as_secs_f64());
    for r in reports {
        let s = &r.stats;
        println!(
            "  [{}] {}: {} — sent {}, acknowledged {}, replayed {}, dropped {}, possibly lost {}, reconnects {}; push-to-socket latency mean {:.1} ms, max {:.1} ms{}",
            s.target,
            s.url,
            s.state,
            s.fragments_sent,
            s.fragments_acknowledged,
            s.fragments_replayed,
            s.fragments_dropped,
            s.fragments_possibly_lost,
            s.reconnects,
            s.latency_mean().as_secs_f64() * 1e3,
            s.latency_max.as_secs_f64() * 1e3,
            s.last_error
                .as_deref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default()
        );
    }
    let mut complete = true;
    for stream in 0..streams {
        let of: Vec<&FinalReport> = reports
            .iter()
            .filter(|r| r.stats.stream.index() == stream)
            .collect();
        let delivered_somewhere = of.iter().any(|r| r.is_success());
        if !delivered_somewhere {
            complete = false;
            eprintln!(
                "ssfmux: {}: fragments may be missing at every publishing point",
                labels.get(stream).map_or("a stream", String::as_str)
            );
        } else if of.iter().any(|r| !r.is_success()) {
            eprintln!(
                "ssfmux: {}: a publishing point may miss fragments; another has them all",
                labels.get(stream).map_or("a stream", String::as_str)
            );
        }
    }
    complete
}
