use super::*;
use crate::origin::ingest::{IngestEvent, IngestLimits, IngestParser};
use crate::origin::manifest::live_manifest;
use crate::origin::testing::{TestStream, aac_stream};

fn settings() -> LiveSettings {
    LiveSettings {
        dvr_window: Duration::from_secs(0),
        max_points: 2,
        max_streams: 3,
        max_buffered: 1 << 30,
        archive: None,
    }
}

/// The header and fragments of a test stream as the parser gives them.
fn events(s: &TestStream) -> (StreamHeader, Vec<IngestFragment>) {
    let mut p = IngestParser::new(IngestLimits::default());
    let mut bytes = s.header.to_vec();
    for f in &s.fragments {
        bytes.extend_from_slice(f);
    }
    let mut header = None;
    let mut fragments = Vec::new();
    for e in p.push(&bytes).unwrap() {
        match e {
            IngestEvent::Header(h) => header = Some(*h),
            IngestEvent::Fragment(f) => fragments.push(f),
            IngestEvent::EndOfStream => {}
        }
    }
    (header.unwrap(), fragments)
}

fn point() -> Point {
    Point::new(vec!["live".into(), "ch.isml".into()])
}

#[test]
fn a_reconnect_continues_and_replays_are_dropped() {
    let s = settings();
    let (h, f) = events(&aac_stream("audio", 96_000, 5));
    let mut p = point();
    p.header(&s, "a", None, &h).unwrap();
    for x in &f[..3] {
        assert_eq!(p.fragment(&s, "a", x.clone()).unwrap(), Accepted::New);
    }
    // The same header again (a reconnect), then the last two fragments replayed.
    p.header(&s, "a", None, &h).unwrap();
    for x in &f[1..] {
        p.fragment(&s, "a", x.clone()).unwrap();
    }
    assert_eq!(p.duplicates, 2);
    let times: Vec<u64> = p.tracks[0].fragments.iter().map(|x| x.time).collect();
    assert_eq!(times, f.iter().map(|x| x.time).collect::<Vec<_>>());
    // A different header on the same stream is refused, saying why.
    let (other, _) = events(&aac_stream("audio", 128_000, 1));
    let e = p.header(&s, "a", None, &other).unwrap_err();
    assert_eq!(e.status(), 409);
    assert!(e.message().contains("differs"), "{e}");
    // Another event while this one runs is refused too.
    assert_eq!(
        p.header(&s, "b", Some("e2"), &other).unwrap_err().status(),
        409
    );
}

#[test]
fn the_event_ends_with_its_last_stream_and_a_new_header_restarts_it() {
    let s = settings();
    let (h, f) = events(&aac_stream("audio", 96_000, 2));
    let (h2, f2) = events(&aac_stream("audio", 64_000, 2));
    let mut p = point();
    p.header(&s, "a", None, &h).unwrap();
    p.header(&s, "b", None, &h2).unwrap();
    p.fragment(&s, "a", f[0].clone()).unwrap();
    p.fragment(&s, "b", f2[0].clone()).unwrap();
    p.end_of_stream("a").unwrap();
    assert!(!p.ended);
    assert_eq!(
        p.header(&s, "a", None, &h).unwrap_err().status(),
        409,
        "a ended stream waits"
    );
    assert_eq!(p.fragment(&s, "a", f[1].clone()).unwrap_err().status(), 409);
    p.end_of_stream("b").unwrap();
    assert!(p.ended);
    let xml = live_manifest(&p, 2, 0).unwrap();
    assert!(!xml.contains("IsLive"), "{xml}");
    assert!(xml.contains("Duration=\""));
    p.header(&s, "a", None, &h).unwrap();
    assert!(
        !p.ended && p.tracks.len() == 1 && p.tracks[0].fragments.is_empty(),
        "a new event"
    );
}

#[test]
fn redundant_streams_feed_one_track_and_conflicting_ones_are_refused() {
    let s = settings();
    let (h, f) = events(&aac_stream("audio", 96_000, 3));
    let mut p = point();
    p.header(&s, "primary", None, &h).unwrap();
    p.header(&s, "backup", None, &h).unwrap();
    assert_eq!(p.tracks.len(), 1);
    for x in &f {
        p.fragment(&s, "primary", x.clone()).unwrap();
        assert_eq!(
            p.fragment(&s, "backup", x.clone()).unwrap(),
            Accepted::Duplicate
        );
    }
    // Same name and bit rate, other codec data.
    let mut other = h.clone();
    other.tracks[0].codec_private_data = vec![0x12, 0x10];
    other.bytes = bytes::Bytes::from_static(b"other");
    assert_eq!(
        p.header(&s, "third", None, &other).unwrap_err().status(),
        409
    );
    let mut fourth = h.clone();
    fourth.tracks[0].bitrate = 1;
    fourth.bytes = bytes::Bytes::from_static(b"fourth");
    p.header(&s, "fourth", None, &fourth).unwrap();
    assert_eq!(p.tracks.len(), 2);
    assert_eq!(
        p.header(&s, "fifth", None, &fourth).unwrap_err().status(),
        503,
        "three streams at most"
    );
}

#[test]
fn the_window_and_the_byte_bound_keep_memory_bounded() {
    let (h, f) = events(&aac_stream("audio", 96_000, 12));
    // Each fragment is 10 × 1024 / 48 000 s ≈ 0.213 s: a 1 s window keeps about 5.
    let s = LiveSettings {
        dvr_window: Duration::from_secs(1),
        ..settings()
    };
    let mut p = point();
    p.header(&s, "a", None, &h).unwrap();
    for x in &f {
        p.fragment(&s, "a", x.clone()).unwrap();
    }
    let kept = p.tracks[0].fragments.len();
    assert!((5..=6).contains(&kept), "{kept}");
    let held: u64 = p.tracks[0]
        .fragments
        .iter()
        .map(|x| x.data.len() as u64)
        .sum();
    assert_eq!(p.buffered, held);
    let s = LiveSettings {
        max_buffered: 3 * f[0].data.len() as u64,
        ..settings()
    };
    let mut p = point();
    p.header(&s, "a", None, &h).unwrap();
    for x in &f {
        p.fragment(&s, "a", x.clone()).unwrap();
    }
    assert!(p.buffered <= s.max_buffered);
    assert!(p.tracks[0].fragments.len() >= 2);
    // Older than the window: 404 saying so.
    let first = f[0].time;
    let track = p.track("audio", 96_000).unwrap();
    let e = p.fragment_at(track, first, 2).unwrap_err();
    assert!(e.message().contains("left the DVR window"), "{e}");
}

#[test]
fn fragments_are_served_with_what_follows_them() {
    let s = settings();
    let (h, f) = events(&aac_stream("audio", 96_000, 4));
    let mut p = point();
    p.header(&s, "a", None, &h).unwrap();
    for x in &f {
        p.fragment(&s, "a", x.clone()).unwrap();
    }
    let track = p.track("audio", 96_000).unwrap();
    let served = p.fragment_at(track, f[1].time, 2).unwrap();
    assert_eq!(served.stored.data, f[1].data);
    assert_eq!(
        served.next,
        [(f[2].time, f[2].duration), (f[3].time, f[3].duration)]
    );
    assert!(served.complete);
    let edge = p.fragment_at(track, f[3].time, 2).unwrap();
    assert!(
        edge.next.is_empty() && !edge.complete,
        "the live edge may still grow"
    );
    let end = f[3].time + f[3].duration;
    assert!(
        p.fragment_at(track, end, 2)
            .unwrap_err()
            .message()
            .contains("yet")
    );
    assert_eq!(p.track("audio", 1).unwrap_err().status(), 404);
    assert_eq!(p.track("video", 96_000).unwrap_err().status(), 404);
}

#[test]
fn the_live_manifest_lists_what_every_level_has() {
    let s = settings();
    let (h1, f1) = events(&aac_stream("audio", 96_000, 4));
    let (h2, f2) = events(&aac_stream("audio", 64_000, 4));
    let mut p = point();
    assert_eq!(live_manifest(&p, 2, 0).unwrap_err().status(), 404);
    p.header(&s, "a", None, &h1).unwrap();
    p.header(&s, "b", None, &h2).unwrap();
    for x in &f1 {
        p.fragment(&s, "a", x.clone()).unwrap();
    }
    for x in &f2[..2] {
        p.fragment(&s, "b", x.clone()).unwrap();
    }
    let xml = live_manifest(&p, 2, 1_200_000_000).unwrap();
    for attr in [
        "IsLive=\"TRUE\"",
        "Duration=\"0\"",
        "LookAheadFragmentCount=\"2\"",
        "LookaheadCount=\"2\"",
        "DVRWindowLength=\"1200000000\"",
        "QualityLevels=\"2\"",
    ] {
        assert!(xml.contains(attr), "{attr} in {xml}");
    }
    // Both levels have 2, listed up to the edge.
    assert_eq!(xml.matches("<c ").count(), 2, "{xml}");
    assert!(xml.contains("<c t=\"0\""));
    for x in &f2[2..] {
        p.fragment(&s, "b", x.clone()).unwrap();
    }
    let xml = live_manifest(&p, 2, 0).unwrap();
    assert_eq!(xml.matches("<c ").count(), 4, "4 in both: {xml}");
    p.end_of_stream("a").unwrap();
    p.end_of_stream("b").unwrap();
    let xml = live_manifest(&p, 2, 0).unwrap();
    assert_eq!(xml.matches("<c ").count(), 4, "all once ended: {xml}");
    assert!(!xml.contains("IsLive"), "over once ended: {xml}");
}

#[test]
fn only_running_events_hold_a_place() {
    let s = settings();
    let live = Live::new(s.clone());
    let (h, _) = events(&aac_stream("audio", 96_000, 1));
    let seg = |n: &str| vec![n.to_string()];
    let a = live.point(&seg("a.isml"), true).unwrap();
    let b = live.point(&seg("b.isml"), true).unwrap();
    live.has_room(&seg("c.isml")).unwrap();
    lock(&a).unwrap().header(&s, "s", None, &h).unwrap();
    lock(&b).unwrap().header(&s, "s", None, &h).unwrap();
    assert_eq!(live.has_room(&seg("c.isml")).unwrap_err().status(), 503);
    assert_eq!(live.point(&seg("c.isml"), true).unwrap_err().status(), 503);
    live.has_room(&seg("a.isml")).unwrap();
    lock(&a).unwrap().end_of_stream("s").unwrap();
    live.point(&seg("c.isml"), true).unwrap();
    let names: Vec<String> = live.list().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["b.isml", "c.isml"], "the ended event made room");
    assert_eq!(live.point(&seg("a.isml"), false).unwrap_err().status(), 404);
}
