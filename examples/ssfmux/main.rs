//! `ssfmux`: packages raw H.264 (Annex B) and ADTS AAC files, MP4 files holding
//! H.264/AAC, VC-1 elementary streams, WMA in ASF, and TTML captions into a Smooth
//! Streaming presentation (`.ism`, `.ismc`, one `.ismv` per video bit rate, `.isma` per
//! audio stream, `.ismt` for captions), pushes the same inputs live to publishing points,
//! finishes what a killed run left, and serves presentations and live pushes for
//! playback.
//!
//! ```text
//! ssfmux [package] INPUT[@BITRATE]…      package (no inputs: the bundled sample)
//! ssfmux live --to URL [--to URL…] INPUT… push to publishing points
//! ssfmux recover DIR                      finish an interrupted run
//! ssfmux serve DIR [--listen ADDR:PORT]    serve, take live pushes, play in a browser
//! ```
//!
//! The inputs are `ssf::input`'s business (opening, StreamIndex grouping, start
//! alignment, the decode-order merge, measured bit rates); these files parse arguments,
//! show progress and print summaries.

mod encryption;
mod live;
mod package;
mod recover;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use live::LiveArgs;
use package::PackageArgs;
use recover::RecoverArgs;
use serve::ServeArgs;

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
    /// Push inputs to Smooth publishing points, in real time (or as fast as they take
    /// it), looped if asked, with a status line per second
    Live(Box<LiveArgs>),
    /// Turn what an interrupted (killed, crashed) run left into a valid presentation:
    /// keeps every complete fragment the bit rates have in common, writes the index and
    /// manifests, and publishes it
    Recover(RecoverArgs),
    /// Serve the presentations under DIR as an IIS Smooth origin, take live pushes into
    /// publishing points, and play both in a browser page
    Serve(ServeArgs),
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
        Some(Command::Recover(args)) => recover::run(&args).map(|()| true),
        Some(Command::Live(args)) => live::run(*args),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Package(args)) => package::run(*args).map(|()| true),
        None => package::run(cli.package).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        // The run ended, but something may be missing (reported above).
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ssfmux: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The bundled sample: three H.264 bit rates and one AAC stream, used when no input is
/// given.
pub(crate) fn bundled_sample() -> Vec<ssf::input::InputSpec> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample/"));
    [
        "sample_360p.h264",
        "sample_540p.h264",
        "sample_720p.h264",
        "sample.aac",
    ]
    .iter()
    .map(|f| ssf::input::InputSpec::new(dir.join(f)))
    .collect()
}

/// Prints what the inputs had to say, as the CLI's warnings.
pub(crate) fn print_notes(notes: Vec<String>) {
    for note in notes {
        eprintln!("ssfmux: {note}");
    }
}

/// A byte count for people: 1.5 MiB.
pub(crate) fn human(bytes: u64) -> String {
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
        format!("{v:.1} {}", UNITS.get(unit).unwrap_or(&"TiB"))
    }
}
