//! What an origin serves and how: address, archive, player page, ingest credentials,
//! live window and every bound, each with a safe default.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::ingest::IngestLimits;

/// The dash.js build the player page loads by default: dash.js v4 from its public CDN
/// (with `dash.mss.min.js`, its Smooth Streaming module, from beside it).
pub const DEFAULT_PLAYER_JS: &str = "https://cdn.dashjs.org/v4.7.4/dash.all.min.js";

/// Options of [`super::serve`]. Build with [`OriginOptions::default`] and the setters.
#[derive(Clone)]
pub struct OriginOptions {
    pub(crate) listen: SocketAddr,
    pub(crate) archive: Option<PathBuf>,
    pub(crate) player_js: String,
    pub(crate) ingest_credentials: Option<(String, String)>,
    pub(crate) dvr_window: Duration,
    pub(crate) lookahead: u8,
    pub(crate) max_points: usize,
    pub(crate) max_streams_per_point: usize,
    pub(crate) ingest: IngestLimits,
    pub(crate) max_buffered_bytes: u64,
    pub(crate) max_ingest_buffer: u64,
    pub(crate) ingest_idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) cache_entries: usize,
}

impl fmt::Debug for OriginOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginOptions")
            .field("listen", &self.listen)
            .field("archive", &self.archive)
            .field("player_js", &self.player_js)
            .field(
                "ingest_credentials",
                &self
                    .ingest_credentials
                    .as_ref()
                    .map(|(user, _)| (user, "…")),
            )
            .field("dvr_window", &self.dvr_window)
            .field("lookahead", &self.lookahead)
            .field("max_points", &self.max_points)
            .field("max_streams_per_point", &self.max_streams_per_point)
            .field("ingest", &self.ingest)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field("max_ingest_buffer", &self.max_ingest_buffer)
            .field("ingest_idle_timeout", &self.ingest_idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("cache_entries", &self.cache_entries)
            .finish()
    }
}

impl Default for OriginOptions {
    /// Listens on 127.0.0.1:8080 (loopback only), no archive, dash.js from
    /// [`DEFAULT_PLAYER_JS`], ingest open to anyone who can connect, a 120 s DVR window,
    /// 2 look-ahead fragments; at most 16 publishing points of 16 streams, 1 MiB headers,
    /// 32 MiB fragments, 256 MiB buffered per point, 256 MiB of fragments in transit
    /// over all ingest connections, 30 s of ingest silence, 256
    /// connections, 10 s to send request headers, 256 parsed files cached.
    fn default() -> Self {
        OriginOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            archive: None,
            player_js: DEFAULT_PLAYER_JS.to_string(),
            ingest_credentials: None,
            dvr_window: Duration::from_secs(120),
            lookahead: 2,
            max_points: 16,
            max_streams_per_point: 16,
            ingest: IngestLimits::default(),
            max_buffered_bytes: 256 << 20,
            max_ingest_buffer: 256 << 20,
            ingest_idle_timeout: Duration::from_secs(30),
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            cache_entries: 256,
        }
    }
}

impl OriginOptions {
    /// The address to listen on (port 0: any free port; [`super::Origin::local_addr`]
    /// tells which). Anything but a loopback address exposes the origin, ingest
    /// included, to the network: set [`OriginOptions::ingest_credentials`] then.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Writes every live event as an on-demand presentation under `dir`
    /// (`dir/PATH/NAME/NAME.ism` for a point at `/PATH/NAME.isml`; `NAME-2`, `NAME-3`…
    /// when taken), published when every stream has ended or when the origin shuts
    /// down. Put `dir` under the served directory to play archives from the same origin.
    pub fn archive(mut self, dir: impl Into<PathBuf>) -> Self {
        self.archive = Some(dir.into());
        self
    }

    /// Where the player page loads dash.js from. When the URL ends in `dash.all.min.js`
    /// (or `dash.all.debug.js`), the page also loads `dash.mss.min.js` (`.debug.js`) from
    /// beside it: dash.js 4 ships its Smooth Streaming support as a module of its own. A
    /// local copy can be served by the origin itself: put the two files in the served
    /// directory and give `/dash.all.min.js`.
    pub fn player_js(mut self, url: impl Into<String>) -> Self {
        self.player_js = url.into();
        self
    }

    /// Requires HTTP Basic credentials on ingest POSTs (the probe included); serving is
    /// never authenticated.
    pub fn ingest_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.ingest_credentials = Some((user.into(), password.into()));
        self
    }

    /// How much of a live event stays seekable and in memory (default 120 s; 0 keeps
    /// the whole event, bounded only by [`OriginOptions::max_buffered_bytes`]). It is the
    /// live manifest's `DVRWindowLength`.
    pub fn dvr_window(mut self, window: Duration) -> Self {
        self.dvr_window = window;
        self
    }

    /// Look-ahead fragments in each live fragment's `tfrf` (default 2, as IIS).
    pub fn lookahead(mut self, fragments: u8) -> Self {
        self.lookahead = fragments;
        self
    }

    /// Most publishing points at once (default 16); an ended point makes room.
    pub fn max_points(mut self, points: usize) -> Self {
        self.max_points = points;
        self
    }

    /// Most streams (`Streams(ID)`) per publishing point (default 16).
    pub fn max_streams_per_point(mut self, streams: usize) -> Self {
        self.max_streams_per_point = streams;
        self
    }

    /// Largest ingest header (`ftyp` through `moov`, default 1 MiB) and fragment
    /// (`moof` + `mdat`, default 32 MiB); larger ones are refused with 413.
    pub fn ingest_limits(mut self, limits: IngestLimits) -> Self {
        self.ingest = limits;
        self
    }

    /// Most fragment bytes a publishing point keeps (default 256 MiB); past it the
    /// oldest fragments leave the DVR window early.
    pub fn max_buffered_bytes(mut self, bytes: u64) -> Self {
        self.max_buffered_bytes = bytes;
        self
    }

    /// Most bytes all ingest connections together hold for fragments still arriving
    /// (default 256 MiB); a POST that would pass it is answered 503.
    pub fn max_ingest_buffer(mut self, bytes: u64) -> Self {
        self.max_ingest_buffer = bytes;
        self
    }

    /// How long an ingest POST may send nothing before it is answered 408 and closed
    /// (default 30 s).
    pub fn ingest_idle_timeout(mut self, timeout: Duration) -> Self {
        self.ingest_idle_timeout = timeout;
        self
    }

    /// Most connections served at once (default 256); more wait to be accepted.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// How long a client may take to send its request headers (default 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }
}
