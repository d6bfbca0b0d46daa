//! `ssfmux serve DIR`: a Smooth Streaming origin and live publishing point for testing
//! and previewing (`ssf::origin`): serves every presentation under DIR as IIS did, takes
//! live pushes (`ssfmux live --to http://ADDR/NAME.isml`), and plays both in a browser
//! page. Runs until Ctrl-C, then ends open pushes and archives running events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ssf::origin::{OriginOptions, serve};

/// `ssfmux serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The directory to serve: every `.ism` below it is a presentation
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Address and port to listen on; anything but loopback exposes ingest too, so
    /// give --ingest-auth then
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Write each live event as an on-demand presentation under this directory (put it
    /// under DIR to play archives from here afterwards)
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,

    /// Where the player page loads dash.js from (a URL, or a path such as
    /// /dash.all.min.js for a copy in DIR) [default: dash.js 4 from its CDN]
    #[arg(long, value_name = "URL")]
    player_js: Option<String>,

    /// Require HTTP Basic credentials on live ingest
    #[arg(long, value_name = "USER:PASSWORD")]
    ingest_auth: Option<String>,

    /// How much of a live event stays seekable, in seconds (0: all of it)
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    dvr_window: u64,
}

/// Serves until Ctrl-C.
pub fn run(args: ServeArgs) -> Result<bool, String> {
    let mut options = OriginOptions::default()
        .listen(args.listen)
        .dvr_window(Duration::from_secs(args.dvr_window));
    if let Some(dir) = &args.archive {
        options = options.archive(dir);
    }
    if let Some(url) = args.player_js {
        options = options.player_js(url);
    }
    if let Some(auth) = &args.ingest_auth {
        let (user, password) = auth
            .split_once(':')
            .ok_or("--ingest-auth takes USER:PASSWORD")?;
        options = options.ingest_credentials(user, password);
    }
    let origin = serve(&args.dir, options).map_err(|e| e.to_string())?;
    let stop = origin.shutdown_handle();
    ctrlc::set_handler(move || stop.shutdown()).map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;
    let url = origin.url();
    println!("Serving {} on {url}/", args.dir.display());
    println!("  play in a browser:  {url}/");
    println!("  on demand:          {url}/PATH/NAME.ism/Manifest");
    println!("  live push:          ssfmux live --to {url}/NAME.isml INPUT…");
    if let Some(dir) = &args.archive {
        println!("  live events archived under {}", dir.display());
    }
    println!("Ctrl-C stops.");
    origin.wait().map_err(|e| e.to_string())?;
    println!("Stopped.");
    Ok(true)
}
