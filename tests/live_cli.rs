//! `ssfmux live`: pushes the inputs `ssfmux` packages to publishing points, looped with
//! continuing timestamps, and its exit status tells whether every fragment reached at
//! least one point of the redundant group.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "live")]

mod live_server;
mod support;

use std::process::{Command, Output};

use live_server::{Behavior, Server, assert_contiguous, check_stream};

/// The bundled sample's 360p video and AAC audio.
fn inputs() -> Vec<String> {
    ["sample_360p.h264", "sample.aac"]
        .iter()
        .map(|f| {
            support::root()
                .join("sample")
                .join(f)
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn live(points: &[&Server], extra: &[&str]) -> Output {
    let mut cmd = Command::new(support::ssfmux());
    cmd.args(["live", "--fast", "--finish-timeout", "5"]);
    for p in points {
        cmd.args(["--to", &p.url("cli")]);
    }
    cmd.args(extra).args(inputs());
    cmd.output().unwrap()
}

/// Every stream's fragments at `server`, contiguous from the start (the audio follows
/// the video's first presentation) to past `seconds`.
fn assert_received(server: &Server, seconds: f64) {
    for stream in ["Streams(video_", "Streams(audio_"] {
        let received = check_stream(&server.posts(stream));
        assert_contiguous(&received);
        assert!(
            received.first().is_some_and(|f| f.time < 10_000_000),
            "{stream}: starts late"
        );
        let end = received.last().map_or(0, |f| f.time + f.duration);
        assert!(
            end as f64 >= seconds * 1e7 * 0.99,
            "{stream}: ends at {end}, expected about {seconds} s"
        );
        assert!(
            server.posts(stream).last().unwrap().complete,
            "{stream}: no end of stream"
        );
    }
}

#[test]
fn the_live_cli_pushes_files_looped_with_continuing_times() {
    let server = Server::start(|_, _| Behavior::Normal);
    let out = live(&[&server], &["--loop", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_received(&server, 20.0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("possibly lost 0"), "{stdout}");
}

#[test]
fn one_failing_point_of_a_pair_is_reported_not_fatal() {
    let good = Server::start(|_, _| Behavior::Normal);
    let bad = Server::start(|_, _| Behavior::StallForever(20_000));
    let out = live(&[&good, &bad], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("another has them all"), "{stderr}");
    assert_received(&good, 10.0);
}

#[test]
fn fragments_missing_everywhere_fail_the_run() {
    let a = Server::start(|_, _| Behavior::StallForever(20_000));
    let b = Server::start(|_, _| Behavior::StallForever(20_000));
    let out = live(&[&a, &b], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("missing at every publishing point"),
        "{stderr}"
    );
}
