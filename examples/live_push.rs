//! `live_push`: pushes the bundled sample (360p H.264 + AAC) to one or more Smooth
//! publishing points, looped, in real time or as fast as possible, and prints each
//! connection's statistics (and, with `--fast`, the process RSS every 60 s of media).
//!
//! ```text
//! live_push [--fast] [--loops N] [--no-probe] [--utc] [--kid K --key K | --key-seed S]
//!           [--la-url U] <URL> [<URL>...]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use ssf::input::{InputOptions, InputSample, InputSet};
use ssf::live::{LiveOptions, LivePublisher, TimeOrigin};

#[derive(Parser)]
#[command(about = "Push the bundled sample to Smooth Streaming publishing points")]
struct Cli {
    /// Push as fast as the connections take it instead of in real time.
    #[arg(long)]
    fast: bool,
    /// How many times to loop the 10 s sample.
    #[arg(long, default_value_t = 1)]
    loops: u64,
    /// Skip the empty probe POST (needed for `ffmpeg -listen 1`).
    #[arg(long)]
    no_probe: bool,
    /// Anchor timestamps to UTC (seconds since the Unix epoch).
    #[arg(long)]
    utc: bool,
    /// Key ID (GUID or 32 hex digits): encrypts with PlayReady signalling.
    #[arg(long)]
    kid: Option<String>,
    /// Content key, 32 hex digits.
    #[arg(long, requires = "kid")]
    key: Option<String>,
    /// PlayReady key seed (base64 or hex) to derive the key from the KID.
    #[arg(long, requires = "kid")]
    key_seed: Option<String>,
    /// PlayReady license acquisition URL.
    #[arg(long, requires = "kid")]
    la_url: Option<String>,
    /// Publishing point URLs (http://host/path/Name.isml).
    #[arg(required = true)]
    urls: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("live_push: {e}");
            ExitCode::from(2)
        }
    }
}

/// The encryption asked for, if any (key material is never printed).
fn protection(cli: &Cli) -> Result<Option<ssf::Protection>, String> {
    let Some(kid) = &cli.kid else {
        return Ok(None);
    };
    let kid = ssf::Kid::parse(kid).map_err(|e| format!("--kid: {e}"))?;
    let mut p = match (&cli.key, &cli.key_seed) {
        (Some(key), _) => ssf::Protection::new(
            kid,
            ssf::ContentKey::parse_hex(key).map_err(|e| format!("--key: {e}"))?,
        ),
        (None, Some(seed)) => {
            let seed = ssf::KeySeed::parse(seed).map_err(|e| format!("--key-seed: {e}"))?;
            ssf::Protection::from_key_seed(kid, &seed)
        }
        (None, None) => return Err("--kid needs --key or --key-seed".into()),
    };
    if let Some(url) = &cli.la_url {
        p = p.la_url(url.clone());
    }
    Ok(Some(p))
}

/// One input stream held in memory.
struct Input {
    id: ssf::StreamId,
    timescale: u32,
    /// Duration of one pass, in `timescale` ticks.
    length: u64,
    samples: Vec<InputSample>,
}

/// Reads a bundled sample file whole and adds its stream at `bitrate`.
fn load(publisher: &mut LivePublisher, file: &str, bitrate: u32) -> Result<Input, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample")
        .join(file);
    let mut set = InputSet::new();
    let options = InputOptions {
        bitrate: Some(bitrate),
        ..InputOptions::default()
    };
    let input = ssf::input::open(&path).map_err(|e| e.to_string())?;
    set.add(input, &options).map_err(|e| e.to_string())?;
    let timescale = set
        .streams()
        .next()
        .map(|s| s.timescale)
        .ok_or_else(|| format!("{file}: no stream"))?;
    let id = publisher
        .add_stream(set.config(0, None).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut samples = Vec::new();
    while let Some((_, s)) = set.next_indexed().map_err(|e| e.to_string())? {
        samples.push(s);
    }
    let length = samples
        .iter()
        .map(|s| s.dts + s.duration)
        .max()
        .unwrap_or(0);
    Ok(Input {
        id,
        timescale,
        length,
        samples,
    })
}

/// Resident set size from /proc (Linux), in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(cli: &Cli) -> Result<bool, String> {
    let mut options = ssf::Options::default();
    if let Some(p) = protection(cli)? {
        options = options.protection(p);
    }
    let mut live_options = LiveOptions::default()
        .probe(!cli.no_probe)
        .on_state(|e| eprintln!("[{}] {}: {} {}", e.target, e.url, e.state, e.detail));
    if cli.fast {
        // As fast as possible: no catch-up pacing, and time for the last of the burst.
        live_options = live_options
            .catch_up_speed(None)
            .finish_timeout(Duration::from_secs(120));
    }
    if cli.utc {
        live_options = live_options.time_origin(TimeOrigin::WallClock);
    }
    let mut publisher =
        LivePublisher::connect(&cli.urls, options, live_options).map_err(|e| e.to_string())?;
    let inputs = [
        load(&mut publisher, "sample_360p.h264", 125_000)?,
        load(&mut publisher, "sample.aac", 96_000)?,
    ];
    let start = Instant::now();
    let mut next_report = 60.0;
    for l in 0..cli.loops {
        // Merge both streams in decode-time order, as an encoder would produce them.
        let mut cursor = [0usize; 2];
        loop {
            let pick = (0..2)
                .filter(|&i| cursor[i] < inputs[i].samples.len())
                .min_by_key(|&i| {
                    let s = &inputs[i].samples[cursor[i]];
                    u128::from(s.dts) * 1_000_000 / u128::from(inputs[i].timescale)
                });
            let Some(i) = pick else { break };
            let input = &inputs[i];
            let s = &input.samples[cursor[i]];
            cursor[i] += 1;
            let dts = s.dts + l * input.length;
            let media = dts as f64 / f64::from(input.timescale);
            if !cli.fast {
                let due = start + Duration::from_secs_f64(media);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            } else if i == 0 && media >= next_report {
                next_report += 60.0;
                println!(
                    "media {:>6.0} s, wall {:>6.1} s, RSS {} KiB",
                    media,
                    start.elapsed().as_secs_f64(),
                    rss_kib().unwrap_or(0)
                );
            }
            let sample = ssf::Sample::new(s.data.clone(), dts)
                .cts_offset(s.cts_offset)
                .duration(s.duration)
                .sync(s.sync);
            publisher
                .push(input.id, sample)
                .map_err(|e| e.to_string())?;
        }
    }
    let reports = publisher.finish().map_err(|e| e.to_string())?;
    let mut ok = true;
    for r in &reports {
        let s = &r.stats;
        println!(
            "{}: {} | sent {} replayed {} dropped {} reconnects {} bytes {} | latency mean {:?} max {:?}{}",
            s.url,
            s.state,
            s.fragments_sent,
            s.fragments_replayed,
            s.fragments_dropped,
            s.reconnects,
            s.bytes_sent,
            s.latency_mean(),
            s.latency_max,
            s.last_error
                .as_deref()
                .map(|e| format!(" | last error: {e}"))
                .unwrap_or_default()
        );
        ok &= r.is_success();
    }
    Ok(ok)
}
