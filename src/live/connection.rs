//! One connection's task: probe, then one long chunked POST after another to the same
//! URL, each starting with the stored header, then the fragments the server may not have
//! read ([`super::delivery`]), then the queue (live-ingest.md §3, §5).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};

use super::delivery::Ledger;
use super::failure::{Action, Failure, answered};
use super::http::{Answer, Client, Connection, Target, read_answer};
use super::pacing::{Pacer, backoff_delay};
use super::queue::{Link, Next, Queued, SharedFragment};
use super::stats::ConnectionState;
use super::url::redact;
use crate::mux::LIVE_END_OF_STREAM;

/// Settings every connection of a publisher shares.
pub(crate) struct Context {
    pub client: Client,
    pub probe: bool,
    pub connect_timeout: Duration,
    pub send_timeout: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub max_retries: Option<u32>,
    /// Fragments already known delivered that a reconnect resends too.
    pub replay_depth: usize,
    /// Most bytes kept for replay (the queue's byte bound).
    pub replay_bytes: u64,
    pub catch_up_speed: Option<f64>,
    pub end_of_stream: bool,
    pub finish_timeout: Duration,
    /// Presentation ticks per second, to pace by media time.
    pub timescale: u32,
}

/// How often a POST reads its socket's figures (delivery and stall detection).
const WATCH_PERIOD: Duration = Duration::from_millis(50);

/// Redirects followed in a row before the URL is treated as broken.
const MAX_REDIRECTS: u32 = 5;

/// Why the body writer stopped early.
enum WriteError {
    /// Writing failed: the connection broke.
    Closed(String),
    /// The peer took nothing for the send timeout while bytes waited.
    Stalled(Duration),
}

/// The task's own state, kept across POSTs.
struct Session {
    link: Arc<Link>,
    ctx: Arc<Context>,
    /// The URL in use (the stream URL, or where a redirect sent us).
    url: String,
    /// What the server may not have read, to resend after a failure.
    ledger: Ledger,
    /// A fragment taken from the queue whose sending has not completed: it goes first on
    /// the next POST.
    in_flight: Option<Queued>,
    /// Failed attempts since data last got through.
    failures: u32,
    redirects: u32,
    /// End time of the last new fragment sent, to report forward jumps.
    last_end: Option<u64>,
}

/// Runs one connection until the stream is finished or given up.
pub(crate) async fn run(link: Arc<Link>, ctx: Arc<Context>) {
    let mut session = Session {
        url: link.url.clone(),
        ledger: Ledger::new(ctx.replay_depth, ctx.send_timeout),
        link,
        ctx,
        in_flight: None,
        failures: 0,
        redirects: 0,
        last_end: None,
    };
    session.run().await;
}

impl Session {
    async fn run(&mut self) {
        if self.ctx.probe {
            loop {
                self.link.set_state(ConnectionState::Probing, "");
                match self.probe().await {
                    Ok(status) => {
                        self.link.update(|s| s.last_status = Some(status));
                        log::info!("{}: probe answered {status}", redact(&self.url));
                        self.failures = 0;
                        break;
                    }
                    Err(f) => {
                        if !self.after_failure(f).await {
                            return;
                        }
                    }
                }
            }
        }
        self.link.set_state(ConnectionState::WaitingForHeader, "");
        let Some(header) = self.link.header().await else {
            self.link.set_state(
                ConnectionState::Failed,
                "the stream ended before its first fragment; nothing was sent",
            );
            return;
        };
        let mut first = true;
        loop {
            if !first {
                self.link.update(|s| s.reconnects += 1);
            }
            first = false;
            match self.post(&header).await {
                Ok(status) => {
                    self.link.update(|s| s.last_status = Some(status));
                    self.link
                        .set_state(ConnectionState::Finished { status }, "");
                    return;
                }
                Err(f) => {
                    if !self.after_failure(f).await {
                        return;
                    }
                }
            }
        }
    }

    /// Records a failure and waits out the back-off; false when the connection gives up.
    async fn after_failure(&mut self, f: Failure) -> bool {
        // The POST failed: what the peer acknowledged just before may not have reached
        // the server's application.
        self.ledger.failed();
        self.link.update(|s| {
            s.last_error = Some(f.message.clone());
            if f.status.is_some() {
                s.last_status = f.status;
            }
        });
        match f.action {
            Action::Fatal => {
                self.give_up(f.message);
                return false;
            }
            Action::Redirect(url) => {
                self.redirects += 1;
                if self.redirects > MAX_REDIRECTS {
                    self.give_up(format!("more than {MAX_REDIRECTS} redirects in a row"));
                    return false;
                }
                log::info!("{}: redirected to {}", redact(&self.url), redact(&url));
                self.url = url;
                return true;
            }
            Action::RetryWithoutReplay => {
                // The server refuses times it already has: give up the oldest fragment
                // not known delivered and try again, one at a time, so the POST that is
                // accepted starts exactly after what the server holds, with no gap.
                if !self.ledger.drop_oldest() && self.in_flight.take().is_some() {
                    self.link.update(|s| s.fragments_dropped += 1);
                }
            }
            Action::Retry => {}
        }
        self.redirects = 0;
        self.failures = self.failures.saturating_add(1);
        if let Some(max) = self.ctx.max_retries
            && self.failures > max
        {
            self.give_up(format!(
                "gave up after {} failed attempts: {}",
                self.failures, f.message
            ));
            return false;
        }
        let delay = self.backoff();
        self.link
            .set_state(ConnectionState::Backoff { delay }, f.message);
        sleep(delay).await;
        true
    }

    /// Ends the connection for good, counting what the server may not have.
    fn give_up(&mut self, message: String) {
        let lost = self.ledger.unconfirmed() as u64 + u64::from(self.in_flight.is_some());
        self.link.update(|s| {
            s.fragments_possibly_lost += lost + s.queued_fragments as u64;
            s.fragments_unconfirmed = 0;
        });
        self.link.set_state(ConnectionState::Failed, message);
    }

    fn backoff(&self) -> Duration {
        backoff_delay(
            self.failures,
            self.ctx.backoff_initial,
            self.ctx.backoff_max,
        )
    }

    /// The parsed URL in use.
    fn target(&self) -> Result<Target, Failure> {
        Target::parse(&self.url).map_err(|e| Failure {
            action: Action::Fatal,
            status: None,
            message: format!("URL {}: {e}", redact(&self.url)),
        })
    }

    /// The empty POST that checks the URL before the long one.
    async fn probe(&self) -> Result<u16, Failure> {
        let target = self.target()?;
        let wait = self.ctx.connect_timeout + self.ctx.send_timeout;
        let attempt = async {
            let mut connection = self.ctx.client.open(&target, false).await?;
            let mut reader = connection
                .take_reader()
                .ok_or_else(|| std::io::Error::other("no reader"))?;
            read_answer(&mut reader).await
        };
        match timeout(wait, attempt).await {
            Err(_) => Err(Failure::retry(format!("probe: no answer within {wait:?}"))),
            Ok(Err(e)) => Err(Failure::retry(format!("probe: {e}"))),
            Ok(Ok(answer)) if (200..300).contains(&answer.status) => Ok(answer.status),
            Ok(Ok(answer)) => Err(answered(&self.url, "probe", answer)),
        }
    }

    /// One long POST. Ok with the final status once the end of stream went through.
    async fn post(&mut self, header: &Bytes) -> Result<u16, Failure> {
        self.link.set_state(ConnectionState::Connecting, "");
        let target = self.target()?;
        let mut connection = match self.ctx.client.open(&target, true).await {
            Ok(c) => c,
            Err(e) => return Err(Failure::retry(format!("connect: {e}"))),
        };
        let Some(mut reader) = connection.take_reader() else {
            return Err(Failure::retry("connection without a reading half"));
        };
        let answer = read_answer(&mut reader);
        tokio::pin!(answer);
        let mut early_ok = None;
        let written = {
            let writer = self.write(&mut connection, header);
            tokio::pin!(writer);
            // The answer is read while the body is written, so an early error or a reset
            // ends the POST at once (live-ingest.md §5.1). A 2xx before our end is not a
            // failure: `ffmpeg -listen` answers 200 at once and keeps reading.
            loop {
                tokio::select! {
                    biased;
                    answer = &mut answer, if early_ok.is_none() => match answer {
                        Ok(a) if (200..300).contains(&a.status) => early_ok = Some(a),
                        Ok(a) => break Err(Ok(a)),
                        Err(e) => break Err(Err(e)),
                    },
                    end = &mut writer => break Ok(end),
                }
            }
        };
        match written {
            Err(Ok(answer)) => Err(answered(&self.url, "early answer", answer)),
            Err(Err(e)) => Err(Failure::retry(format!("connection: {e}"))),
            Ok(Err(WriteError::Stalled(after))) => Err(Failure::retry(format!(
                "stalled: the server took nothing for {after:?} while bytes waited"
            ))),
            Ok(Err(WriteError::Closed(why))) => match early_ok {
                Some(early) => Err(Failure {
                    action: Action::Retry,
                    status: Some(early.status),
                    message: format!(
                        "connection closed while sending (after an early {}): {why}",
                        early.status
                    ),
                }),
                // The answer, if any, says why.
                None => match timeout(Duration::from_secs(1), &mut answer).await {
                    Ok(Ok(a)) => Err(answered(&self.url, "early answer", a)),
                    _ => Err(Failure::retry(format!(
                        "connection closed while sending: {why}"
                    ))),
                },
            },
            Ok(Ok(())) => {
                let answer = match early_ok {
                    Some(early) => Ok(early),
                    None => self.final_answer(&connection, &mut answer).await,
                };
                let answer = answer?;
                if !(200..300).contains(&answer.status) {
                    // The server may have stopped reading before our end (an error
                    // answered early and still in flight, or a redirect): what it did
                    // not surely read is sent again, as after any failure.
                    return Err(answered(&self.url, "final answer", answer));
                }
                let delivered = self.ledger.all_delivered();
                self.link.update(|s| {
                    s.fragments_acknowledged += delivered;
                    s.fragments_unconfirmed = 0;
                });
                Ok(answer.status)
            }
        }
    }

    /// Waits for the answer to a complete POST, watching that the server still reads.
    async fn final_answer(
        &mut self,
        connection: &Connection,
        answer: &mut std::pin::Pin<&mut impl std::future::Future<Output = std::io::Result<Answer>>>,
    ) -> Result<Answer, Failure> {
        let deadline = Instant::now() + self.ctx.finish_timeout;
        let mut tick = interval(WATCH_PERIOD);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                result = answer.as_mut() => return match result {
                    Ok(a) => Ok(a),
                    Err(e) => Err(Failure::retry(format!("after the end of stream: {e}"))),
                },
                _ = sleep_until(deadline) => return Err(Failure::retry(format!(
                    "no final answer within {:?}", self.ctx.finish_timeout
                ))),
                _ = tick.tick() => {
                    if let Err(WriteError::Stalled(after)) = self.watch(connection) {
                        return Err(Failure::retry(format!(
                            "stalled after the end of stream: the server took nothing for {after:?}"
                        )));
                    }
                }
            }
        }
    }

    /// Writes the header, the fragments the server may not have, then queued fragments
    /// until the end of stream.
    async fn write(
        &mut self,
        connection: &mut Connection,
        header: &Bytes,
    ) -> Result<(), WriteError> {
        let replay = self.ledger.begin_post();
        // The window the peer advertised before any body byte is the room it has: read
        // now, before bytes it does not read can shrink it.
        self.watch(connection)?;
        self.send(connection, std::slice::from_ref(header)).await?;
        self.link.update(|s| s.bytes_sent += header.len() as u64);
        let backlog = replay.len() + usize::from(self.in_flight.is_some()) + self.link.queued();
        self.link.set_state(
            ConnectionState::Streaming,
            format!(
                "replaying {}, {} queued",
                replay.len(),
                backlog - replay.len()
            ),
        );
        let mut pacer = Pacer::new(backlog, self.ctx.catch_up_speed, self.ctx.timescale);
        for fragment in replay {
            self.send_fragment(connection, &fragment).await?;
            self.link.update(|s| s.fragments_replayed += 1);
            pacer.after(fragment.duration).await;
        }
        while let Some(item) = self.next_fragment(connection).await? {
            if let Some(end) = self.last_end
                && item.fragment.time > end
            {
                // Fragments were dropped from the queue: the timeline jumps forward.
                log::warn!(
                    "{}: time gap of {} ticks before the fragment at {}",
                    redact(&self.url),
                    item.fragment.time - end,
                    item.fragment.time
                );
            }
            self.send_fragment(connection, &item.fragment).await?;
            self.last_end = Some(item.fragment.time.saturating_add(item.fragment.duration));
            let latency = item.pushed.elapsed();
            self.in_flight = None;
            self.failures = 0;
            self.link.update(|s| {
                s.fragments_sent += 1;
                s.latency_total += latency;
                s.latency_max = s.latency_max.max(latency);
            });
            pacer.after(item.fragment.duration).await;
        }
        self.link.set_state(ConnectionState::Finishing, "");
        if self.ctx.end_of_stream {
            let eos = Bytes::from_static(&LIVE_END_OF_STREAM);
            self.send(connection, &[eos]).await?;
            self.link
                .update(|s| s.bytes_sent += LIVE_END_OF_STREAM.len() as u64);
        }
        self.guarded(connection, |c| Box::pin(c.end_body())).await
    }

    /// The next fragment to send (the one whose sending failed last time, else the
    /// queue's next), watching the socket while waiting; None at the end of the stream.
    async fn next_fragment(
        &mut self,
        connection: &mut Connection,
    ) -> Result<Option<Queued>, WriteError> {
        if let Some(item) = self.in_flight.clone() {
            return Ok(Some(item));
        }
        let link = Arc::clone(&self.link);
        let next = link.next();
        tokio::pin!(next);
        let mut tick = interval(WATCH_PERIOD);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                next = &mut next => return Ok(match next {
                    Next::Fragment(item) => {
                        self.in_flight = Some(item.clone());
                        Some(item)
                    }
                    Next::End => None,
                }),
                _ = tick.tick() => self.watch(connection)?,
            }
        }
    }

    /// Sends every chunk of a fragment and records where it ends on the socket.
    async fn send_fragment(
        &mut self,
        connection: &mut Connection,
        fragment: &Arc<SharedFragment>,
    ) -> Result<(), WriteError> {
        self.send(connection, &fragment.chunks).await?;
        let end = connection.figures().written();
        self.ledger.sent(Arc::clone(fragment), end);
        let lost = self.ledger.bound(self.ctx.replay_bytes);
        if lost > 0 {
            log::warn!(
                "{}: {lost} fragment(s) not known delivered exceed the replay bound and cannot be resent",
                redact(&self.url)
            );
        }
        self.link.update(|s| {
            s.bytes_sent += fragment.size;
            s.fragments_possibly_lost += lost;
        });
        self.watch(connection)
    }

    /// Writes one body chunk made of `parts`.
    async fn send(
        &mut self,
        connection: &mut Connection,
        parts: &[Bytes],
    ) -> Result<(), WriteError> {
        self.guarded(connection, |c| Box::pin(c.write_chunk(parts)))
            .await?;
        self.watch(connection)
    }

    /// Runs one write on the connection while watching its socket: a peer that takes
    /// nothing for the send timeout while bytes wait ends the POST as stalled.
    async fn guarded<'c>(
        &mut self,
        connection: &'c mut Connection,
        write: impl FnOnce(
            &'c mut Connection,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = std::io::Result<()>> + Send + 'c>,
        >,
    ) -> Result<(), WriteError> {
        let figures = connection.figures().clone();
        let mut future = write(connection);
        let mut tick = interval(WATCH_PERIOD);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                done = &mut future => {
                    return done.map_err(|e| WriteError::Closed(e.to_string()));
                }
                _ = tick.tick() => self.watch_figures(&figures)?,
            }
        }
    }

    /// Reads the socket's figures: records what is now surely delivered and tells a
    /// stall.
    fn watch(&mut self, connection: &Connection) -> Result<(), WriteError> {
        let figures = connection.figures().clone();
        self.watch_figures(&figures)
    }

    fn watch_figures(&mut self, figures: &super::socket::SocketFigures) -> Result<(), WriteError> {
        // A connection no longer established tells nothing more; its failure shows in
        // the write or the answer.
        let Some(progress) = figures.progress() else {
            return Ok(());
        };
        let seen = self.ledger.observe(progress, figures.buffer_bound());
        let unconfirmed = self.ledger.unconfirmed() as u64;
        self.link.update(|s| {
            s.fragments_acknowledged += seen.delivered;
            s.fragments_unconfirmed = unconfirmed;
        });
        if self.ledger.stalled(progress, self.ctx.send_timeout) {
            let after = self.ledger.stalled_for();
            log::warn!(
                "{}: stall: {} bytes unacknowledged, none taken for {after:?}",
                redact(&self.url),
                progress.written.saturating_sub(progress.acked)
            );
            return Err(WriteError::Stalled(after));
        }
        Ok(())
    }
}
