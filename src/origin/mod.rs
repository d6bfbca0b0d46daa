//! A Smooth Streaming origin and live publishing point (feature `origin`, on by
//! default): serves on-demand presentations the way IIS Media Services did, takes live
//! ingest, and archives live events as on-demand presentations.
//!
//! ```no_run
//! # fn main() -> ssf::Result<()> {
//! use ssf::origin::{OriginOptions, serve};
//! let origin = serve("out", OriginOptions::default().archive("out/archive"))?;
//! println!("serving on {}", origin.url()); // http://127.0.0.1:8080
//! origin.wait()?; // until a ShutdownHandle (e.g. from a Ctrl-C handler) stops it
//! # Ok(()) }
//! ```
//!
//! URLs (IIS's grammar; keywords such as `Manifest` or `QualityLevels` match in any case):
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /PATH/NAME.ism/Manifest` | the `.ismc` the `.ism` names (`text/xml`) |
//! | `GET /PATH/NAME.ism/QualityLevels(B)/Fragments(S=T)` | one `moof`+`mdat` (`video/mp4` or `audio/mp4`) |
//! | `POST /PATH/NAME.isml[/Events(E)]/Streams(ID)` | live ingest (empty probe → 200) |
//! | `GET /PATH/NAME.isml/Manifest`, `…/QualityLevels(B)/Fragments(S=T)` | the live presentation |
//! | `GET /`, `GET /play/PATH` | the list of presentations; a dash.js player page |
//! | `GET /PATH/FILE.js` (`.css`, `.html`, images, captions) | a plain file, e.g. a local dash.js |
//!
//! Safe by default: it listens on loopback, serves only regular files below the served
//! directory (no `..`, no hidden entries, no symbolic link out of it), bounds every
//! ingest (header, fragment, streams, points, buffered bytes, silence), answers every
//! malformed request or body with a 4xx whose text says what was wrong, and parses
//! every box and document with bounds checks (no panics on request or file data).

mod archive;
mod files;
mod http;
mod index;
pub mod ingest;
mod live;
mod lookahead;
mod manifest;
mod options;
mod page;
mod paths;
mod route;
mod service;
pub mod smil;
#[cfg(test)]
mod testing;
mod vod;

pub use ingest::{
    IngestError, IngestEvent, IngestFragment, IngestLimits, IngestParser, StreamHeader,
};
pub use options::{DEFAULT_PLAYER_JS, OriginOptions};

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::{Error, Result};
use live::{Live, LiveSettings};
use service::Shared;

/// Largest request head (request line and headers) read; larger ones get 431.
const MAX_REQUEST_HEAD: usize = 32 << 10;

/// How long shutdown waits for open requests (a live POST included) to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves the presentations under `dir` (every `.ism` below it) and takes live ingest,
/// as `options` say, from a runtime of its own; returns once it listens.
///
/// Fails when `dir` is not a directory or the address cannot be bound.
pub fn serve(dir: impl AsRef<Path>, options: OriginOptions) -> Result<Origin> {
    let root = paths::Root::new(dir.as_ref())?;
    let io = |op, source| Error::Io {
        op,
        path: std::path::PathBuf::from(options.listen.to_string()),
        source,
    };
    let listener = std::net::TcpListener::bind(options.listen).map_err(|e| io("bind", e))?;
    listener.set_nonblocking(true).map_err(|e| io("bind", e))?;
    let addr = listener.local_addr().map_err(|e| io("bind", e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ssf-origin")
        .enable_all()
        .build()
        .map_err(|e| Error::InvalidState(format!("cannot start the origin's runtime: {e}")))?;
    let listener = {
        let _entered = runtime.enter();
        TcpListener::from_std(listener).map_err(|e| io("listen", e))?
    };
    let settings = LiveSettings {
        dvr_window: options.dvr_window,
        max_points: options.max_points,
        max_streams: options.max_streams_per_point,
        max_buffered: options.max_buffered_bytes,
        archive: options.archive.clone(),
    };
    let shared = Arc::new(Shared {
        vod: vod::Vod::new(root, options.cache_entries),
        live: Live::new(settings),
        finishing: std::sync::Mutex::new(Vec::new()),
        in_flight: std::sync::atomic::AtomicU64::new(0),
        options,
    });
    let (stop, stopped) = watch::channel(false);
    let task = runtime.spawn(accept(listener, Arc::clone(&shared), stopped));
    log::info!("origin listening on http://{addr}");
    Ok(Origin {
        addr,
        stop,
        runtime: Some(runtime),
        task: Some(task),
        shared,
    })
}

/// A running origin. Dropping it shuts it down as [`Origin::shutdown`] does; both block,
/// so call them outside any async runtime.
#[derive(Debug)]
pub struct Origin {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    runtime: Option<Runtime>,
    task: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

/// Stops an [`Origin`] from another thread (e.g. a Ctrl-C handler); cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    /// Asks the origin to stop; [`Origin::wait`] then returns.
    pub fn shutdown(&self) {
        let _ = self.0.send(true);
    }
}

impl Origin {
    /// The address it listens on (with the port chosen, when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDRESS`, the base of every URL it serves.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle that stops the origin.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.stop.clone())
    }

    /// Serves until a [`ShutdownHandle`] stops it, then shuts down as
    /// [`Origin::shutdown`].
    pub fn wait(mut self) -> Result<()> {
        if let (Some(runtime), Some(task)) = (self.runtime.as_ref(), self.task.take()) {
            let _ = runtime.block_on(task);
        }
        self.stop_now()
    }

    /// Stops accepting, lets open requests finish (up to 5 s), then publishes the
    /// archive of every event still running (what was received is kept, as a killed
    /// run's presentation would be recovered).
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_now()
    }

    fn stop_now(&mut self) -> Result<()> {
        let _ = self.stop.send(true);
        let Some(runtime) = self.runtime.take() else {
            return Ok(());
        };
        if let Some(task) = self.task.take() {
            let _ =
                runtime.block_on(async { tokio::time::timeout(SHUTDOWN_GRACE * 2, task).await });
        }
        let pending: Vec<JoinHandle<()>> = self
            .shared
            .finishing
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        runtime.block_on(async {
            for task in pending {
                let _ = task.await;
            }
        });
        let mut failed = None;
        for archive in self.shared.live.take_archives() {
            let target = archive.target().to_path_buf();
            if let Err(e) = archive.finish() {
                log::error!("{}: archive not published: {e}", target.display());
                failed.get_or_insert(e);
            }
        }
        runtime.shutdown_timeout(SHUTDOWN_GRACE);
        failed.map_or(Ok(()), Err)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking is not allowed here: stop without waiting.
            let _ = self.stop.send(true);
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_background();
            }
            return;
        }
        let _ = self.stop_now();
    }
}

/// Accepts connections (at most `max_connections` at once) until stopped, then lets
/// them finish gracefully.
async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(shared.options.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit,
            _ = stop.changed() => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted.
                log::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let mut stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let header_timeout = shared.options.header_read_timeout;
            let service = service_fn(move |req| service::handle(Arc::clone(&shared), req));
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_header_size(MAX_REQUEST_HEAD);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        log::debug!("connection: {e}");
                    }
                }
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}
