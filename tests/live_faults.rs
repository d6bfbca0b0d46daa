//! The faults a hung or overloaded origin causes, at bit rates from far below the socket
//! buffers to far above them: a server that stops reading and later resets, one that
//! never reads again, one that never answers the final chunk. Every fragment the server
//! may not have read must be resent (0 missing, timeline continuous, header identical on
//! every POST, end of stream at the end), or, where that cannot happen, the report must
//! say so. Each fault also runs against the primary of a redundant pair, whose backup
//! must get everything with identical fragment times.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "live")]

mod live_server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use live_server::{Behavior, Received, Request, Server, assert_contiguous, check_stream};
use ssf::live::{FinalReport, LiveOptions, LivePublisher};
use ssf::{Options, Sample, StreamConfig};

/// Seconds of media a run pushes as fast as the connection takes it.
const SECONDS: u64 = 20;
/// Seconds of media a run pushes in real time (faults that need time to pass).
const REALTIME_SECONDS: u64 = 6;
/// AAC frame: 1024 samples at 48 kHz.
const FRAME: u64 = 1024;
const RATE: u32 = 48_000;

/// Options for the fault runs: 0.5 s fragments (so even the slowest rate has many).
fn options() -> Options {
    Options::default().fragment_seconds(0.5).unwrap()
}

/// As fast as the connection takes it, short timeouts.
fn live_options() -> LiveOptions {
    LiveOptions::default()
        .connect_timeout(Duration::from_secs(2))
        .send_timeout(Duration::from_millis(800))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .catch_up_speed(None)
        .queue_bounds(Duration::from_secs(3600), 1 << 30)
        .finish_timeout(Duration::from_secs(20))
}

/// What a run left at one receiver.
struct Outcome {
    reports: Vec<FinalReport>,
    received: Vec<Received>,
    posts: Vec<Request>,
    /// Fragments received more than once (resent the server already had).
    duplicated: usize,
    elapsed: Duration,
}

/// Pushes `seconds` of an audio-shaped stream at `bitrate` to every server (a redundant
/// group), in real time or as fast as possible, and collects what each received.
fn push(
    servers: &[&Server],
    bitrate: u32,
    seconds: u64,
    realtime: bool,
    live: LiveOptions,
) -> Vec<Outcome> {
    let start = Instant::now();
    let urls: Vec<String> = servers.iter().map(|s| s.url("fault")).collect();
    let mut publisher = LivePublisher::connect(urls, options(), live).unwrap();
    let config = StreamConfig::aac(&[0x11, 0x90])
        .unwrap()
        .bitrate(bitrate)
        .timescale(RATE);
    let id = publisher.add_stream(config).unwrap();
    let frame_bytes = (u64::from(bitrate) * FRAME / u64::from(RATE) / 8).max(8) as usize;
    let payload = Bytes::from(vec![0x21u8; frame_bytes]);
    for n in 0..seconds * u64::from(RATE) / FRAME {
        if realtime {
            let due = start + Duration::from_micros(n * FRAME * 1_000_000 / u64::from(RATE));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        publisher
            .push(id, Sample::new(payload.clone(), n * FRAME).duration(FRAME))
            .unwrap();
    }
    let reports = publisher.finish().unwrap();
    servers
        .iter()
        .enumerate()
        .map(|(i, server)| {
            let posts = server.posts("Streams(");
            let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
            for p in &posts {
                for f in live_server::parse_post(&p.body).fragments {
                    *counts.entry(f.time).or_default() += 1;
                }
            }
            Outcome {
                reports: reports
                    .iter()
                    .filter(|r| r.stats.target == i)
                    .cloned()
                    .collect(),
                received: check_stream(&posts),
                duplicated: counts.values().map(|c| c.saturating_sub(1)).sum(),
                posts,
                elapsed: start.elapsed(),
            }
        })
        .collect()
}

/// End of `seconds` of pushed media in 100 ns ticks (whole frames).
fn media_end(seconds: u64) -> u64 {
    let frames = seconds * u64::from(RATE) / FRAME;
    (frames * FRAME * 10_000_000 + u64::from(RATE) / 2) / u64::from(RATE)
}

/// Which behavior the n-th POST on a path meets.
type Script = fn(&str, usize) -> Behavior;

/// Every fragment from 0 to the end, contiguous, the end of stream, a clean report.
fn assert_all_delivered(o: &Outcome, seconds: u64, what: &str) {
    let end = media_end(seconds);
    assert_contiguous(&o.received);
    assert_eq!(o.received.first().map(|f| f.time), Some(0), "{what}");
    let last = o.received.last().unwrap();
    assert_eq!(
        last.time + last.duration,
        end,
        "{what}: fragments missing at the end"
    );
    assert!(
        o.posts.last().is_some_and(|p| p.complete),
        "{what}: no end of stream"
    );
    let stats = &o.reports[0].stats;
    assert!(o.reports[0].is_success(), "{what}: {stats:?}");
    assert_eq!(stats.fragments_possibly_lost, 0, "{what}");
}

/// One line of figures for the closing report.
fn figures(what: &str, seconds: u64, o: &Outcome) {
    let s = &o.reports[0].stats;
    let detect = o
        .posts
        .iter()
        .zip(o.posts.iter().skip(1))
        .find_map(|(a, b)| Some(b.started? - a.stopped_reading?))
        .map_or("-".to_string(), |d| format!("{:.2} s", d.as_secs_f64()));
    eprintln!(
        "FIGURES {what}: expected {} delivered {} duplicated {} reconnects {} replayed {} \
         bytes sent {} stall-to-reconnect {detect} run {:.1} s possibly lost {}",
        seconds * 2,
        o.received.len(),
        o.duplicated,
        s.reconnects,
        s.fragments_replayed,
        s.bytes_sent,
        o.elapsed.as_secs_f64(),
        s.fragments_possibly_lost
    );
}

/// In real time, the receiver stops reading after 1.5 s of media, holds 2.5 s (at low
/// rates the buffers absorb it all and the publisher sees nothing; at high rates they
/// fill and it sees a stall), then resets; the next POST is served normally. What its
/// kernel acknowledged but it never read must be resent.
fn stall_then_reset(bitrate: u32) {
    let after = usize::try_from(u64::from(bitrate) * 3 / 16).unwrap();
    let faulty = Server::start(move |_, n| match n {
        0 => Behavior::StallThenReset(after, Duration::from_millis(2500)),
        _ => Behavior::Normal,
    });
    let outcome = push(&[&faulty], bitrate, REALTIME_SECONDS, true, live_options());
    let what = format!("stall then reset at {} kbit/s", bitrate / 1000);
    figures(&what, REALTIME_SECONDS, &outcome[0]);
    assert!(outcome[0].posts.len() >= 2, "{what}: no reconnect");
    assert_all_delivered(&outcome[0], REALTIME_SECONDS, &what);
}

#[test]
fn stall_then_reset_at_125_kbit_s_loses_nothing() {
    stall_then_reset(125_000);
}

#[test]
fn stall_then_reset_at_1_mbit_s_loses_nothing() {
    stall_then_reset(1_000_000);
}

#[test]
fn stall_then_reset_at_8_mbit_s_loses_nothing() {
    stall_then_reset(8_000_000);
}

#[test]
fn a_server_that_never_reads_again_ends_in_an_honest_failure() {
    let faulty = Server::start(|_, _| Behavior::StallForever(100_000));
    let live = live_options()
        .max_retries(Some(2))
        .finish_timeout(Duration::from_secs(10));
    let start = Instant::now();
    let outcome = push(&[&faulty], 1_000_000, SECONDS, false, live);
    let s = &outcome[0].reports[0].stats;
    figures("never reads again", SECONDS, &outcome[0]);
    assert!(!outcome[0].reports[0].is_success(), "{s:?}");
    assert!(s.fragments_possibly_lost > 0, "{s:?}");
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("stalled"),
        "{s:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(30), "no hang");
}

#[test]
fn a_server_that_never_answers_the_final_chunk_is_reported() {
    let faulty = Server::start(|_, _| Behavior::NeverAnswer);
    let live = live_options()
        .max_retries(Some(1))
        .finish_timeout(Duration::from_secs(6));
    let outcome = push(&[&faulty], 125_000, SECONDS, false, live);
    figures("never answers", SECONDS, &outcome[0]);
    let s = &outcome[0].reports[0].stats;
    assert!(!outcome[0].reports[0].is_success(), "{s:?}");
    let error = s.last_error.as_deref().unwrap_or("");
    assert!(
        error.contains("answer") || error.contains("not finished"),
        "{s:?}"
    );
    // Everything reached the server all the same.
    let last = outcome[0].received.last().unwrap();
    assert_eq!(last.time + last.duration, media_end(SECONDS));
}

#[test]
fn a_redundant_pair_keeps_the_backup_whole_whatever_the_primary_does() {
    let faults: [(&str, Script); 3] = [
        ("stall then reset", |_, n| match n {
            0 => Behavior::StallThenReset(187_500, Duration::from_millis(2500)),
            _ => Behavior::Normal,
        }),
        ("never reads again", |_, _| Behavior::StallForever(100_000)),
        ("500 once", |_, n| match n {
            0 => Behavior::AnswerAfter(50_000, 500),
            _ => Behavior::Normal,
        }),
    ];
    for (what, script) in faults {
        let primary = Server::start(script);
        let backup = Server::start(|_, _| Behavior::Normal);
        let live = live_options()
            .max_retries(Some(2))
            .finish_timeout(Duration::from_secs(10));
        let realtime = what == "stall then reset";
        let seconds = if realtime { REALTIME_SECONDS } else { SECONDS };
        let outcome = push(&[&primary, &backup], 1_000_000, seconds, realtime, live);
        figures(&format!("redundant, primary {what}"), seconds, &outcome[0]);
        assert_all_delivered(
            &outcome[1],
            seconds,
            &format!("backup while the primary had {what}"),
        );
        if what != "never reads again" {
            assert_all_delivered(&outcome[0], seconds, &format!("primary after {what}"));
            let times = |o: &Outcome| o.received.iter().map(|f| f.time).collect::<Vec<_>>();
            assert_eq!(
                times(&outcome[0]),
                times(&outcome[1]),
                "{what}: times differ"
            );
        }
    }
}
