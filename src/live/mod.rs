//! Live push to a Smooth Streaming publishing point (live-ingest.md).
//!
//! [`LivePublisher`] has the same `add_stream` / `push` / `finish` API as
//! [`crate::VodWriter`]. Each stream goes to each publishing point over its own
//! long-running HTTP/1.1 chunked POST to `…/Name.isml/Streams(<stream id>)`, started by
//! `ftyp`, the Live Server Manifest box and `moov`, then fragments for as long as the
//! encoder pushes. Every connection (stream × publishing point) has its own task, queue,
//! retry state and counters on a runtime the publisher owns, so `push` never waits on
//! the network and one failing server never delays another.
//!
//! ```no_run
//! # fn main() -> ssf::Result<()> {
//! # let (asc, frame) = (vec![0x11, 0x90], vec![0u8]);
//! use ssf::live::{LiveOptions, LivePublisher, TimeOrigin};
//! let mut live = LivePublisher::connect(
//!     ["http://primary/live/ch1.isml", "http://backup/live/ch1.isml"],
//!     ssf::Options::default(),
//!     LiveOptions::default().time_origin(TimeOrigin::WallClock),
//! )?;
//! let a = live.add_stream(ssf::StreamConfig::aac(&asc)?.bitrate(128_000).timescale(48_000))?;
//! live.push(a, ssf::Sample::new(frame, 0).duration(1024))?;
//! for report in live.finish()? {
//!     println!("{}: {:?}", report.stats.url, report.status());
//! }
//! # Ok(()) }
//! ```

mod connection;
mod delivery;
mod failure;
mod http;
mod options;
mod pacing;
mod queue;
mod socket;
mod stats;
#[cfg(feature = "tls-rustls")]
mod tls;
mod url;

pub use options::{EventId, LiveOptions, StateCallback, TimeOrigin};
pub use stats::{ConnectionState, ConnectionStats, FinalReport, StateEvent};

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::codec::MediaKind;
use crate::error::{Error, Result};
use crate::mux::{Fragment, Muxer, Options, Sample, StreamConfig, StreamId};
use connection::Context;
use http::Client;
use queue::{Link, SharedFragment};

/// Pushes a live presentation to one or more publishing points.
///
/// A blocking API for ordinary threads, like [`crate::VodWriter`]: `finish` waits for the
/// servers, so call it outside any async runtime.
pub struct LivePublisher {
    mux: Muxer,
    /// The network runtime; taken out only by `Drop`, to shut it down without blocking.
    runtime: Option<Runtime>,
    context: Arc<Context>,
    /// Publishing point URLs, checked.
    points: Vec<::url::Url>,
    event: Option<String>,
    options: LiveOptions,
    /// Seconds since the Unix epoch added to every sample time (0 for a zero origin).
    anchor_seconds: u64,
    streams: Vec<LiveStream>,
}

impl std::fmt::Debug for LivePublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePublisher")
            .field("points", &self.points)
            .field("streams", &self.streams.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// One stream: its identifier, header and connections.
struct LiveStream {
    name: String,
    /// Ticks per second of the caller's sample times.
    timescale: u32,
    header_sent: bool,
    links: Vec<Arc<Link>>,
    tasks: Vec<JoinHandle<()>>,
}

impl LivePublisher {
    /// A publisher pushing to every URL in `points` (each `http(s)://host/path/Name.isml`).
    /// Nothing is sent until streams are added.
    pub fn connect<I, S>(points: I, options: Options, live: LiveOptions) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let points = points
            .into_iter()
            .map(|p| url::publishing_point(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if points.is_empty() {
            return Err(Error::InvalidArgument(
                "a live publisher needs at least one publishing point URL".into(),
            ));
        }
        let mut mux = Muxer::new(options)?;
        // A push writes no index or manifests: flat memory however long it runs.
        mux.keep_no_index();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| Error::LiveSetup(format!("system clock before 1970: {e}")))?
            .as_secs();
        let event = match &live.event_id {
            EventId::None => None,
            EventId::Fixed(id) => {
                url::check_id("event", id)?;
                Some(id.clone())
            }
            EventId::FromStartTime => Some(now.to_string()),
        };
        let fragment = Duration::from_secs_f64(
            mux.options().fragment_duration as f64 / f64::from(mux.options().timescale),
        );
        let anchor_seconds = match live.time_origin {
            TimeOrigin::Zero => 0,
            TimeOrigin::EpochSeconds(s) => s,
            TimeOrigin::WallClock => {
                // Whole seconds keep the shift exact in every input timescale; rounding
                // down to a fragment multiple lines up encoders started close together.
                let period = fragment.as_secs().max(1);
                now - now % period
            }
        };
        let client = Client::new(
            live.user_agent.clone(),
            live.connect_timeout,
            live.accept_invalid_certs,
        )
        .map_err(Error::LiveSetup)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ssf-live")
            .enable_all()
            .build()
            .map_err(|e| Error::LiveSetup(format!("runtime: {e}")))?;
        let context = Arc::new(Context {
            client,
            probe: live.probe,
            connect_timeout: live.connect_timeout,
            send_timeout: live.send_timeout_for(fragment),
            backoff_initial: live.backoff_initial,
            backoff_max: live.backoff_max_for(fragment),
            max_retries: live.max_retries,
            replay_depth: live.replay_depth,
            replay_bytes: live.queue_bytes,
            catch_up_speed: live.catch_up_speed,
            end_of_stream: live.end_of_stream,
            finish_timeout: live.finish_timeout,
            timescale: mux.options().timescale,
        });
        Ok(Self {
            mux,
            runtime: Some(runtime),
            context,
            points,
            event,
            options: live,
            anchor_seconds,
            streams: Vec::new(),
        })
    }

    /// The muxer underneath (its fragment times and bit rates).
    pub fn muxer(&self) -> &Muxer {
        &self.mux
    }

    /// The seconds since the Unix epoch added to every sample time (0 unless a UTC origin
    /// is set).
    pub fn time_anchor_seconds(&self) -> u64 {
        self.anchor_seconds
    }

    /// Adds a stream and opens its connections (the probe starts at once). Its
    /// identifier in `Streams(<id>)` is the configured source file name, or
    /// `<track name>_<bit rate>.ismv` / `.isma` (the SDK's default naming); it must be
    /// unique and use only `A-Z a-z 0-9 _ . -`.
    pub fn add_stream(&mut self, config: StreamConfig) -> Result<StreamId> {
        let name = match config.configured_source_file_name() {
            Some(name) => name.to_string(),
            None => {
                let ext = match config.codec().kind() {
                    MediaKind::Video => "ismv",
                    MediaKind::Audio => "isma",
                    MediaKind::Text => "ismt",
                };
                match config.configured_bitrate() {
                    0 => format!("{}_{}.{ext}", config.name(), self.streams.len() + 1),
                    rate => format!("{}_{rate}.{ext}", config.name()),
                }
            }
        };
        url::check_id("stream", &name)?;
        if self.streams.iter().any(|s| s.name == name) {
            return Err(Error::LiveUrl {
                url: name,
                reason: "two streams would share this Streams() identifier; set distinct source file names".into(),
            });
        }
        let timescale = config.timescale;
        let id = self.mux.add_stream(config.source_file_name(name.clone()))?;
        let max_duration =
            duration_ticks(self.options.queue_duration, self.mux.options().timescale);
        let mut links = Vec::with_capacity(self.points.len());
        let mut tasks = Vec::with_capacity(self.points.len());
        for (target, point) in self.points.iter().enumerate() {
            let link = Arc::new(Link::new(
                target,
                id,
                url::stream_url(point, self.event.as_deref(), &name),
                max_duration,
                self.options.queue_bytes,
                self.options.on_state.clone(),
            ));
            tasks.push(
                self.runtime()?
                    .spawn(connection::run(link.clone(), self.context.clone())),
            );
            links.push(link);
        }
        self.streams.push(LiveStream {
            name,
            timescale,
            header_sent: false,
            links,
            tasks,
        });
        Ok(id)
    }

    /// Adds a sample; a fragment it completes is queued on every connection of the
    /// stream. Never waits on the network. Fails when the sample is refused by the muxer,
    /// or when every connection of the stream has given up.
    pub fn push(&mut self, stream: StreamId, mut sample: Sample) -> Result<()> {
        let live = self
            .streams
            .get(stream.index())
            .ok_or(Error::UnknownStream(stream.index()))?;
        if live.links.iter().all(|l| l.is_failed()) {
            let reason = live
                .links
                .iter()
                .filter_map(|l| l.last_error())
                .next_back()
                .unwrap_or_default();
            return Err(Error::LiveFailed {
                stream: live.name.clone(),
                reason,
            });
        }
        if self.anchor_seconds != 0 {
            let shift = self
                .anchor_seconds
                .checked_mul(u64::from(live.timescale))
                .and_then(|s| s.checked_add(sample.dts));
            sample.dts = shift.ok_or_else(|| Error::TimestampOverflow {
                stream: stream.index(),
                sample: 0,
                detail: "decode time plus the UTC anchor".into(),
            })?;
        }
        if let Some(fragment) = self.mux.push(stream, sample)? {
            self.dispatch(fragment)?;
        }
        Ok(())
    }

    /// Closes the stream's open fragment now and queues it (caller-chosen boundaries).
    pub fn flush(&mut self, stream: StreamId) -> Result<()> {
        if let Some(fragment) = self.mux.flush(stream)? {
            self.dispatch(fragment)?;
        }
        Ok(())
    }

    /// Queues a fragment on every connection of its stream, building the stream's header
    /// on its first fragment (the header needs the codec configuration and bit rate).
    fn dispatch(&mut self, fragment: Fragment) -> Result<()> {
        let id = fragment.stream;
        let header = match self.streams.get(id.index()) {
            Some(s) if !s.header_sent => Some(self.mux.live_header(&[id])?),
            Some(_) => None,
            None => return Err(Error::UnknownStream(id.index())),
        };
        let Some(live) = self.streams.get_mut(id.index()) else {
            return Err(Error::UnknownStream(id.index()));
        };
        if let Some(header) = header {
            for link in &live.links {
                link.set_header(header.clone());
            }
            live.header_sent = true;
        }
        let (size, time, duration) = (fragment.size(), fragment.time, fragment.duration);
        // The network takes bytes: payloads left in their files are read here.
        let chunks = fragment.into_memory().map_err(|source| Error::Io {
            op: "read a payload from",
            path: "its source file".into(),
            source,
        })?;
        let shared = Arc::new(SharedFragment {
            size,
            time,
            duration,
            chunks,
        });
        if let Some(limit) = self.options.wait_for_room {
            let deadline = std::time::Instant::now() + limit;
            for link in &live.links {
                link.wait_for_room(&shared, deadline);
            }
        }
        for link in &live.links {
            link.push(shared.clone());
        }
        log::debug!(
            "stream {}: fragment at {} queued on {} connection(s)",
            live.name,
            shared.time,
            live.links.len()
        );
        Ok(())
    }

    /// The counters of every connection: for each stream in order, one per publishing
    /// point in order.
    pub fn stats(&self) -> Vec<ConnectionStats> {
        self.streams
            .iter()
            .flat_map(|s| s.links.iter().map(|l| l.stats()))
            .collect()
    }

    /// Closes every stream's last fragment, sends what is queued, then (unless switched
    /// off) the empty `mfra`, ends each chunked body and waits for each server's answer,
    /// at most the finish timeout in all. Returns one report per connection, in the
    /// order of [`LivePublisher::stats`]; a connection that did not finish in time is
    /// reported `Failed` with its undelivered fragments counted in `queued_fragments`.
    /// The publisher's threads are stopped before it returns (at most 1 s more, for a
    /// DNS lookup stuck in the system resolver).
    pub fn finish(mut self) -> Result<Vec<FinalReport>> {
        for fragment in self.mux.finish()? {
            self.dispatch(fragment)?;
        }
        for live in &self.streams {
            for link in &live.links {
                link.finish();
            }
        }
        let deadline = Instant::now() + self.options.finish_timeout;
        let runtime = self
            .runtime
            .take()
            .ok_or_else(|| Error::InvalidState("live runtime already shut down".into()))?;
        let mut reports = Vec::new();
        for live in &mut self.streams {
            for (link, task) in live.links.iter().zip(live.tasks.iter_mut()) {
                let left = deadline.saturating_duration_since(Instant::now());
                let done = runtime.block_on(async { tokio::time::timeout(left, &mut *task).await });
                if done.is_err() {
                    task.abort();
                    link.update(|s| {
                        s.last_error = Some(format!(
                            "not finished within {:?}",
                            self.options.finish_timeout
                        ));
                        // What was not known delivered, and what never left the queue,
                        // may be missing at the server.
                        s.fragments_possibly_lost +=
                            s.fragments_unconfirmed + s.queued_fragments as u64;
                    });
                    link.set_state(ConnectionState::Failed, "finish timed out");
                }
                reports.push(FinalReport {
                    stats: link.stats(),
                });
            }
        }
        // Every connection task has ended (or was aborted above): stop the runtime's
        // threads, including idle blocking-pool threads left by DNS lookups, so none
        // outlives the publisher. Bounded, in case a lookup is still stuck in the system
        // resolver.
        runtime.shutdown_timeout(THREAD_STOP_TIMEOUT);
        Ok(reports)
    }

    fn runtime(&self) -> Result<&Runtime> {
        self.runtime
            .as_ref()
            .ok_or_else(|| Error::InvalidState("live runtime already shut down".into()))
    }
}

impl Drop for LivePublisher {
    /// Without `finish`, connections are cut without an end of stream: a publisher that
    /// is dropped (an encoder failing) must not tell servers the event is over.
    fn drop(&mut self) {
        for live in &self.streams {
            for task in &live.tasks {
                task.abort();
            }
        }
        // Never blocks, so dropping a publisher is safe even inside an async context.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Longest wait in [`LivePublisher::finish`] for the runtime's threads to stop once the
/// connections are done.
const THREAD_STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// A duration in presentation ticks, saturating.
fn duration_ticks(d: Duration, timescale: u32) -> u64 {
    u64::try_from(d.as_nanos().saturating_mul(u128::from(timescale)) / 1_000_000_000)
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publisher_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<LivePublisher>();
    }

    #[test]
    fn rejects_bad_points_and_stream_names() {
        let live = || LiveOptions::default().probe(false);
        assert!(LivePublisher::connect(["http://h/x.ism"], Options::default(), live()).is_err());
        assert!(LivePublisher::connect(Vec::<String>::new(), Options::default(), live()).is_err());
        let mut p =
            LivePublisher::connect(["http://127.0.0.1:9/x.isml"], Options::default(), live())
                .unwrap();
        let config = || StreamConfig::aac(&[0x11, 0x90]).unwrap();
        assert!(p.add_stream(config().source_file_name("a(b)")).is_err());
        p.add_stream(config().source_file_name("a")).unwrap();
        assert!(
            p.add_stream(config().source_file_name("a")).is_err(),
            "duplicate id"
        );
        let d = p.add_stream(config().bitrate(96_000)).unwrap();
        assert!(
            p.stats()[1]
                .url
                .ends_with("/x.isml/Streams(audio_96000.isma)")
        );
        assert_eq!(d.index(), 1);
    }
}
