//! One connection's task: probe, then one long chunked POST after another to the same
//! URL, each starting with the stored header, replaying the last fragments sent before a
//! failure, then the queue (live-ingest.md §3, §5).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::LOCATION;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use super::queue::{Link, Next, Queued, SharedFragment};
use super::stats::ConnectionState;
use super::url::redact;
use crate::mux::LIVE_END_OF_STREAM;

/// Settings every connection of a publisher shares.
pub(crate) struct Context {
    pub client: reqwest::Client,
    pub probe: bool,
    pub connect_timeout: Duration,
    pub send_timeout: Duration,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub max_retries: Option<u32>,
    pub replay_depth: usize,
    /// Most bytes kept for replay (the queue's byte bound).
    pub replay_bytes: u64,
    pub catch_up_speed: Option<f64>,
    pub end_of_stream: bool,
    pub finish_timeout: Duration,
    /// Presentation ticks per second, to pace by media time.
    pub timescale: u32,
}

/// Redirects followed in a row before the URL is treated as broken.
const MAX_REDIRECTS: u32 = 5;

/// What to do after a failed attempt (live-ingest.md §5.3).
#[derive(Debug)]
enum Action {
    /// Reconnect after the back-off, replaying the last fragments.
    Retry,
    /// Reconnect without the oldest fragment not known delivered (409: the server
    /// refuses times that do not advance).
    RetryWithoutReplay,
    /// Reconnect at once to another URL (30x).
    Redirect(String),
    /// Give up (415: the server will never take this media).
    Fatal,
}

/// A failed attempt.
#[derive(Debug)]
struct Failure {
    action: Action,
    status: Option<u16>,
    message: String,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Self {
        Self {
            action: Action::Retry,
            status: None,
            message: message.into(),
        }
    }
}

/// Why the body writer stopped early.
enum WriteError {
    /// The HTTP layer dropped the body: the connection failed or the server answered.
    Closed,
    /// A write made no progress within the send timeout.
    Stalled(Duration),
}

/// A fragment handed to the socket, kept until it is known delivered.
struct Sent {
    fragment: Arc<SharedFragment>,
    /// When it was handed over.
    at: std::time::Instant,
}

/// The task's own state, kept across POSTs.
struct Session {
    link: Arc<Link>,
    ctx: Arc<Context>,
    /// The URL in use (the stream URL, or where a redirect sent us).
    url: String,
    /// The fragments not known delivered, oldest first, to resend after a failure.
    replay: VecDeque<Sent>,
    /// Bytes held in `replay`.
    replay_bytes: u64,
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
        link,
        ctx,
        replay: VecDeque::new(),
        replay_bytes: 0,
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
        self.link.update(|s| {
            s.last_error = Some(f.message.clone());
            if f.status.is_some() {
                s.last_status = f.status;
            }
        });
        match f.action {
            Action::Fatal => {
                self.link.set_state(ConnectionState::Failed, f.message);
                return false;
            }
            Action::Redirect(url) => {
                self.redirects += 1;
                if self.redirects > MAX_REDIRECTS {
                    self.link.set_state(
                        ConnectionState::Failed,
                        format!("more than {MAX_REDIRECTS} redirects in a row"),
                    );
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
                if let Some(old) = self.replay.pop_front() {
                    self.replay_bytes -= old.fragment.size;
                } else if self.in_flight.take().is_some() {
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
            self.link.set_state(
                ConnectionState::Failed,
                format!(
                    "gave up after {} failed attempts: {}",
                    self.failures, f.message
                ),
            );
            return false;
        }
        let delay = self.backoff();
        self.link
            .set_state(ConnectionState::Backoff { delay }, f.message);
        sleep(delay).await;
        true
    }

    fn backoff(&self) -> Duration {
        backoff_delay(
            self.failures,
            self.ctx.backoff_initial,
            self.ctx.backoff_max,
        )
    }

    /// The empty POST that checks the URL before the long one.
    async fn probe(&self) -> Result<u16, Failure> {
        let request = self
            .ctx
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .body(Bytes::new())
            .send();
        let wait = self.ctx.connect_timeout + self.ctx.send_timeout;
        match timeout(wait, request).await {
            Err(_) => Err(Failure::retry(format!("probe: no answer within {wait:?}"))),
            Ok(Err(e)) => Err(Failure::retry(format!("probe: {}", error_chain(&e)))),
            Ok(Ok(response)) if response.status().is_success() => Ok(response.status().as_u16()),
            Ok(Ok(response)) => Err(self.answered("probe", response).await),
        }
    }

    /// One long POST. Ok with the final status once the end of stream went through.
    async fn post(&mut self, header: &Bytes) -> Result<u16, Failure> {
        self.link.set_state(ConnectionState::Connecting, "");
        // Capacity 1: a send completes only once the HTTP layer has taken the previous
        // chunk, so waiting on the channel is waiting on the socket.
        let (tx, rx) = mpsc::channel::<Bytes>(1);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|chunk| (Ok::<Bytes, Infallible>(chunk), rx))
        });
        let request = self
            .ctx
            .client
            .post(&self.url)
            .body(reqwest::Body::wrap_stream(body))
            .send();
        tokio::pin!(request);
        let written = {
            let writer = self.write(tx, header);
            tokio::pin!(writer);
            let mut early_ok = None;
            // The response is polled while the body is written, so an early error or a
            // reset ends the POST at once (live-ingest.md §5.1). A 2xx head before our end
            // is not a failure: `ffmpeg -listen` answers 200 at once and keeps reading.
            loop {
                tokio::select! {
                    // An answer that is ready wins over more writing.
                    biased;
                    response = &mut request, if early_ok.is_none() => match response {
                        // Kept, not dropped: dropping an unread answer makes the HTTP
                        // layer close the connection and with it our body.
                        Ok(r) if r.status().is_success() => early_ok = Some(r),
                        other => break Err(other),
                    },
                    end = &mut writer => break Ok((end, early_ok)),
                }
            }
        };
        match written {
            Err(Ok(response)) => Err(self.answered("early answer", response).await),
            Err(Err(e)) => Err(Failure::retry(error_chain(&e))),
            Ok((Err(WriteError::Stalled(after)), _)) => Err(Failure::retry(format!(
                "stalled: no send progress for {after:?}"
            ))),
            Ok((Err(WriteError::Closed), Some(early))) => Err(Failure {
                action: Action::Retry,
                status: Some(early.status().as_u16()),
                message: format!(
                    "connection closed while sending (after an early {})",
                    early.status().as_u16()
                ),
            }),
            Ok((Err(WriteError::Closed), None)) => {
                // The body was dropped: the answer, if any, says why.
                match timeout(Duration::from_secs(1), request).await {
                    Ok(Ok(response)) => Err(self.answered("early answer", response).await),
                    Ok(Err(e)) => Err(Failure::retry(error_chain(&e))),
                    Err(_) => Err(Failure::retry("connection closed while sending")),
                }
            }
            Ok((Ok(()), Some(early))) => Ok(early.status().as_u16()),
            Ok((Ok(()), None)) => match timeout(self.ctx.finish_timeout, request).await {
                Ok(Ok(response)) if response.status().is_redirection() => {
                    // Not taken here: send it again where the server points.
                    Err(self.answered("final answer", response).await)
                }
                Ok(Ok(response)) => {
                    let status = response.status().as_u16();
                    if !response.status().is_success() {
                        // Reported, not retried: the whole stream was already sent.
                        let failure = self.answered("final answer", response).await;
                        self.link.update(|s| s.last_error = Some(failure.message));
                    }
                    Ok(status)
                }
                Ok(Err(e)) => Err(Failure::retry(format!(
                    "after the end of stream: {}",
                    error_chain(&e)
                ))),
                Err(_) => Err(Failure::retry(format!(
                    "no final answer within {:?}",
                    self.ctx.finish_timeout
                ))),
            },
        }
    }

    /// Classifies a non-2xx answer (or a 2xx that came before our end) by its status.
    async fn answered(&self, phase: &str, response: reqwest::Response) -> Failure {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| reqwest::Url::parse(&self.url).ok()?.join(l).ok())
            .map(|u| u.to_string());
        let body = body_text(response).await;
        let (action, what) = match status {
            300..=399 => match location {
                Some(url) => (Action::Redirect(url), "redirect"),
                None => (Action::Retry, "redirect without Location"),
            },
            409 => (
                Action::RetryWithoutReplay,
                "conflict: stream closed or timestamps not advancing; not replaying",
            ),
            412 => (
                Action::Retry,
                "precondition failed: restarting with the header",
            ),
            415 => (
                Action::Fatal,
                "unsupported media type (configuration error)",
            ),
            401 => (
                Action::Retry,
                "authentication required (configuration error)",
            ),
            403 | 404 => (
                Action::Retry,
                "publishing point refused or not found (configuration error)",
            ),
            200..=299 => (Action::Retry, "server ended the POST before the end"),
            _ => (Action::Retry, "server error"),
        };
        Failure {
            action,
            status: Some(status),
            message: format!("{phase}: HTTP {status} ({what}) {body}")
                .trim_end()
                .to_string(),
        }
    }

    /// Writes the header, the replay, then queued fragments until the end of stream.
    async fn write(&mut self, tx: mpsc::Sender<Bytes>, header: &Bytes) -> Result<(), WriteError> {
        // The first chunk also waits for the connection itself.
        let first_wait = self.ctx.connect_timeout + self.ctx.send_timeout;
        send(&tx, header.clone(), first_wait).await?;
        flush(&tx, first_wait).await?;
        self.link.update(|s| s.bytes_sent += header.len() as u64);
        let backlog =
            self.replay.len() + usize::from(self.in_flight.is_some()) + self.link.queued();
        self.link.set_state(
            ConnectionState::Streaming,
            format!(
                "replaying {}, {} queued",
                self.replay.len(),
                backlog - self.replay.len()
            ),
        );
        let mut pacer = Pacer::new(backlog, self.ctx.catch_up_speed, self.ctx.timescale);
        let replays: Vec<Arc<SharedFragment>> =
            self.replay.iter().map(|s| s.fragment.clone()).collect();
        for fragment in replays {
            self.send_fragment(&tx, &fragment).await?;
            self.link.update(|s| s.fragments_replayed += 1);
            pacer.after(fragment.duration).await;
        }
        loop {
            let item = match self.in_flight.clone() {
                Some(item) => item,
                None => match self.link.next().await {
                    Next::Fragment(item) => {
                        self.in_flight = Some(item.clone());
                        item
                    }
                    Next::End => break,
                },
            };
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
            self.send_fragment(&tx, &item.fragment).await?;
            self.last_end = Some(item.fragment.time.saturating_add(item.fragment.duration));
            let latency = item.pushed.elapsed();
            self.in_flight = None;
            self.failures = 0;
            self.remember(item.fragment.clone());
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
            send(&tx, eos, self.ctx.send_timeout).await?;
            flush(&tx, self.ctx.send_timeout).await?;
            self.link
                .update(|s| s.bytes_sent += LIVE_END_OF_STREAM.len() as u64);
        }
        // Dropping the sender ends the body: the HTTP layer writes the zero-length chunk.
        drop(tx);
        Ok(())
    }

    /// Keeps a sent fragment for replay. TCP buffers hide what the server really read,
    /// so a fragment counts as delivered only once it is older than the send timeout
    /// (a dead connection would have stalled by then) and `replay_depth` newer ones
    /// followed it; the byte bound caps memory after a fast burst.
    fn remember(&mut self, fragment: Arc<SharedFragment>) {
        if self.ctx.replay_depth == 0 {
            return;
        }
        self.replay_bytes += fragment.size;
        self.replay.push_back(Sent {
            fragment,
            at: std::time::Instant::now(),
        });
        while self.replay.len() > self.ctx.replay_depth {
            let Some(front) = self.replay.front() else {
                break;
            };
            if front.at.elapsed() < self.ctx.send_timeout
                && self.replay_bytes <= self.ctx.replay_bytes
            {
                break;
            }
            self.replay_bytes -= front.fragment.size;
            self.replay.pop_front();
        }
    }

    /// Sends every chunk of a fragment and waits until the last one was taken.
    async fn send_fragment(
        &self,
        tx: &mpsc::Sender<Bytes>,
        fragment: &SharedFragment,
    ) -> Result<(), WriteError> {
        for chunk in &fragment.chunks {
            send(tx, chunk.clone(), self.ctx.send_timeout).await?;
        }
        flush(tx, self.ctx.send_timeout).await?;
        self.link.update(|s| s.bytes_sent += fragment.size);
        Ok(())
    }
}

/// The wait before attempt `failures + 1`: the first retry at once, then `initial`,
/// doubling, capped at `max` (live-ingest.md §5.4).
fn backoff_delay(failures: u32, initial: Duration, max: Duration) -> Duration {
    if failures <= 1 {
        return Duration::ZERO;
    }
    let doublings = (failures - 2).min(20);
    initial.saturating_mul(1 << doublings).min(max)
}

/// Hands one chunk to the HTTP layer.
async fn send(tx: &mpsc::Sender<Bytes>, chunk: Bytes, wait: Duration) -> Result<(), WriteError> {
    match timeout(wait, tx.send(chunk)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteError::Closed),
        Err(_) => Err(WriteError::Stalled(wait)),
    }
}

/// Waits until the HTTP layer has taken everything handed to it.
async fn flush(tx: &mpsc::Sender<Bytes>, wait: Duration) -> Result<(), WriteError> {
    match timeout(wait, tx.reserve()).await {
        Ok(Ok(_permit)) => Ok(()),
        Ok(Err(_)) => Err(WriteError::Closed),
        Err(_) => Err(WriteError::Stalled(wait)),
    }
}

/// Limits the first `remaining` fragments of a POST (the backlog) to `speed` times real
/// time, so a reconnect does not burst minutes of media at the server.
struct Pacer {
    start: Instant,
    remaining: usize,
    media: Duration,
    speed: Option<f64>,
    timescale: u32,
}

impl Pacer {
    fn new(remaining: usize, speed: Option<f64>, timescale: u32) -> Self {
        Self {
            start: Instant::now(),
            remaining,
            media: Duration::ZERO,
            speed,
            timescale,
        }
    }

    async fn after(&mut self, ticks: u64) {
        let Some(speed) = self.speed else { return };
        if self.remaining == 0 || self.timescale == 0 {
            return;
        }
        self.remaining -= 1;
        self.media += Duration::from_secs_f64(ticks as f64 / f64::from(self.timescale));
        sleep_until(self.start + self.media.div_f64(speed)).await;
    }
}

/// The start of an answer's body, for the log (servers explain errors there).
async fn body_text(mut response: reqwest::Response) -> String {
    match timeout(Duration::from_millis(300), response.chunk()).await {
        Ok(Ok(Some(chunk))) => {
            let end = chunk.len().min(200);
            String::from_utf8_lossy(chunk.get(..end).unwrap_or_default())
                .trim()
                .to_string()
        }
        _ => String::new(),
    }
}

/// An error with its causes ("error sending request: connection reset …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_once_then_doubles_to_the_cap() {
        let ms = Duration::from_millis;
        let delays: Vec<Duration> = (1..=7)
            .map(|n| backoff_delay(n, ms(250), ms(2000)))
            .collect();
        assert_eq!(
            delays,
            [
                ms(0),
                ms(250),
                ms(500),
                ms(1000),
                ms(2000),
                ms(2000),
                ms(2000)
            ]
        );
        assert_eq!(backoff_delay(u32::MAX, ms(250), ms(2000)), ms(2000));
    }
}
