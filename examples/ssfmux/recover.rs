//! `ssfmux recover DIR`.

use std::path::PathBuf;

use clap::Args;

use crate::human;

/// `ssfmux recover DIR`.
#[derive(Args, Debug)]
pub struct RecoverArgs {
    /// The presentation directory the interrupted run was writing
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `ssfmux recover DIR`: finishes an interrupted run and says what it kept.
pub fn run(args: &RecoverArgs) -> Result<(), String> {
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
