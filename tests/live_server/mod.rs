//! A scripted Smooth ingest receiver on 127.0.0.1 for the live tests: it records every
//! request (probe or chunked POST), answers or fails as its script says, and checks each
//! POST's body with the project's box reader.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ssf::isobmff::reader::{self, Mfhd, Tfxd, Tkhd};
use ssf::isobmff::uuids::{LIVE_SERVER_MANIFEST_UUID, TFXD_UUID};

/// What the server does with one long POST.
#[derive(Debug, Clone, Copy)]
pub enum Behavior {
    /// Reads to the end, answers 200.
    Normal,
    /// Answers this status right after the request headers.
    Answer(u16),
    /// Reads this many body bytes, then closes the connection.
    CloseAfter(usize),
    /// Reads this many body bytes, then answers the status.
    AnswerAfter(usize, u16),
    /// Reads this many body bytes, then stops reading (keeps the socket open).
    StallAfter(usize),
    /// Reads this many body bytes, stops reading for the duration, then resets the
    /// connection: what its kernel acknowledged but it never read is lost (a hung, then
    /// restarted, origin).
    StallThenReset(usize, Duration),
    /// Reads this many body bytes, then never reads again nor closes (until the test
    /// ends).
    StallForever(usize),
    /// Reads the whole body, final chunk included, and never answers.
    NeverAnswer,
    /// Answers 307 pointing at this path on the same server.
    RedirectTo(&'static str),
    /// Answers 409 when a fragment starts before the end of what this path already has
    /// (Unified Origin's rule after a restart).
    RefuseOld,
}

/// One request as received.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub probe: bool,
    pub body: Vec<u8>,
    /// The zero-length chunk arrived.
    pub complete: bool,
    /// When the receiver stopped reading (stall behaviors).
    pub stopped_reading: Option<Instant>,
    pub answered: Option<u16>,
    pub started: Option<Instant>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decides the behavior of the n-th long POST on a path; probes ask with `usize::MAX`
/// (only a redirect applies to them).
type Script = Arc<dyn Fn(&str, usize) -> Behavior + Send + Sync>;

/// The receiver.
pub struct Server {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    /// While false, every request is answered 503 at once (an outage).
    pub open: Arc<AtomicBool>,
    script: Script,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<thread::JoinHandle<()>>,
    posts: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl Server {
    /// A server on a free port; `script(path, n)` decides what happens to the n-th long
    /// POST (from 0) on `path`.
    pub fn start(script: impl Fn(&str, usize) -> Behavior + Send + Sync + 'static) -> Server {
        Self::start_on(0, Arc::new(script), Arc::new(Mutex::new(Vec::new())))
    }

    fn start_on(port: u16, script: Script, requests: Arc<Mutex<Vec<Request>>>) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let mut server = Server {
            port,
            requests,
            stop: Arc::new(AtomicBool::new(false)),
            open: Arc::new(AtomicBool::new(true)),
            script,
            sockets: Arc::new(Mutex::new(Vec::new())),
            accept: None,
            posts: Arc::new(Mutex::new(BTreeMap::new())),
        };
        let (stop, requests, script, sockets, open, posts) = (
            server.stop.clone(),
            server.requests.clone(),
            server.script.clone(),
            server.sockets.clone(),
            server.open.clone(),
            server.posts.clone(),
        );
        server.accept = Some(thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((sock, _)) => {
                        let _ = sock.set_nonblocking(false);
                        if let Ok(clone) = sock.try_clone() {
                            sockets.lock().unwrap().push(clone);
                        }
                        let (requests, script, open, posts, sockets) = (
                            requests.clone(),
                            script.clone(),
                            open.clone(),
                            posts.clone(),
                            sockets.clone(),
                        );
                        thread::spawn(move || handle(sock, requests, script, open, posts, sockets));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
        server
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/live/{name}.isml", self.port)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Long POSTs whose path contains `path_part` (probes left out).
    pub fn posts(&self, path_part: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| !r.probe && r.path.contains(path_part))
            .collect()
    }

    /// Stops accepting and cuts every connection (a crash).
    pub fn kill(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for s in self.sockets.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Starts again on the same port, keeping the records.
    pub fn restart(&mut self) {
        self.kill();
        let fresh = Self::start_on(self.port, self.script.clone(), self.requests.clone());
        let mut old = std::mem::replace(self, fresh);
        old.accept = None;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn handle(
    sock: TcpStream,
    requests: Arc<Mutex<Vec<Request>>>,
    script: Script,
    open: Arc<AtomicBool>,
    posts: Arc<Mutex<BTreeMap<String, usize>>>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
) {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(20)));
    let mut out = match sock.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    };
    let mut r = BufReader::new(sock);
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut req = Request {
        path: path.clone(),
        started: Some(Instant::now()),
        ..Default::default()
    };
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            req.headers
                .push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    req.probe = !chunked;
    // Its place, taken and filled under one lock: connections arrive concurrently.
    let index = {
        let mut all = requests.lock().unwrap();
        all.push(req.clone());
        all.len() - 1
    };
    let save = |req: &Request| requests.lock().unwrap()[index] = req.clone();
    if !open.load(Ordering::SeqCst) {
        req.answered = Some(503);
        save(&req);
        answer(&mut out, 503, "outage");
        drain(r);
        return;
    }
    if req.probe {
        if let Behavior::RedirectTo(to) = script(&path, usize::MAX) {
            req.answered = Some(307);
            save(&req);
            let _ = write!(
                out,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return;
        }
        let len: usize = req
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = r.read_exact(&mut body);
        req.answered = Some(200);
        save(&req);
        answer(&mut out, 200, "");
        return;
    }
    let n = {
        let mut p = posts.lock().unwrap();
        let c = p.entry(path.clone()).or_insert(0);
        *c += 1;
        *c - 1
    };
    let behavior = script(&path, n);
    if let Behavior::RedirectTo(to) = behavior {
        req.answered = Some(307);
        save(&req);
        let _ = write!(
            out,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = out.flush();
        let _ = out.shutdown(Shutdown::Write);
        drain(r);
        return;
    }
    if let Behavior::Answer(status) = behavior {
        req.answered = Some(status);
        save(&req);
        answer(&mut out, status, "scripted");
        drain(r);
        return;
    }
    // The end of what earlier POSTs on this path delivered, for RefuseOld.
    let known_end = if let Behavior::RefuseOld = behavior {
        let all = requests.lock().unwrap().clone();
        all.iter()
            .filter(|q| q.path == path && !q.probe)
            .flat_map(|q| parse_post(&q.body).fragments)
            .map(|f| f.time + f.duration)
            .max()
    } else {
        None
    };
    loop {
        let mut size_line = String::new();
        if r.read_line(&mut size_line).unwrap_or(0) == 0 {
            save(&req);
            return;
        }
        let Ok(size) = usize::from_str_radix(size_line.trim(), 16) else {
            save(&req);
            return;
        };
        let mut data = vec![0; size + 2];
        if r.read_exact(&mut data).is_err() {
            save(&req);
            return;
        }
        data.truncate(size);
        if size == 0 {
            if let Behavior::NeverAnswer = behavior {
                req.complete = true;
                save(&req);
                thread::sleep(Duration::from_secs(60));
                return;
            }
            // Recorded before answering: the client may exit, and the test read the
            // requests, as soon as it has the answer.
            req.complete = true;
            req.answered = Some(200);
            save(&req);
            answer(&mut out, 200, "");
            return;
        }
        req.body.extend_from_slice(&data);
        let len = req.body.len();
        match behavior {
            Behavior::CloseAfter(limit) if len >= limit => {
                req.body.truncate(limit);
                save(&req);
                let _ = out.shutdown(Shutdown::Both);
                return;
            }
            Behavior::AnswerAfter(limit, status) if len >= limit => {
                req.body.truncate(limit);
                req.answered = Some(status);
                save(&req);
                answer(&mut out, status, "scripted");
                drain(r);
                return;
            }
            Behavior::StallThenReset(limit, hold) if len >= limit => {
                req.stopped_reading = Some(Instant::now());
                save(&req);
                thread::sleep(hold);
                reset(r.into_inner(), out, &sockets);
                return;
            }
            Behavior::StallForever(limit) if len >= limit => {
                req.stopped_reading = Some(Instant::now());
                save(&req);
                thread::sleep(Duration::from_secs(60));
                return;
            }
            Behavior::StallAfter(limit) if len >= limit => {
                save(&req);
                // Hold the socket without reading until the client gives up.
                let mut sink = [0u8; 1];
                thread::sleep(Duration::from_secs(3));
                let _ = r.get_mut().read(&mut sink);
                return;
            }
            Behavior::RefuseOld => {
                let parsed = parse_post(&req.body);
                if let (Some(end), Some(first)) = (known_end, parsed.fragments.first())
                    && first.time < end
                {
                    req.answered = Some(409);
                    save(&req);
                    answer(&mut out, 409, "Stream is closed, cannot restart");
                    drain(r);
                    return;
                }
            }
            _ => {}
        }
        save(&req);
    }
}

fn answer(out: &mut TcpStream, status: u16, body: &str) {
    let _ = write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = out.flush();
    let _ = out.shutdown(Shutdown::Write);
}

/// Closes with an RST (SO_LINGER 0, every descriptor of the socket closed): unread data
/// is discarded, as a crashed or restarted server's kernel does.
fn reset(sock: TcpStream, out: TcpStream, sockets: &Mutex<Vec<TcpStream>>) {
    let _ = socket2::SockRef::from(&sock).set_linger(Some(Duration::ZERO));
    let peer = sock.peer_addr().ok();
    sockets
        .lock()
        .unwrap()
        .retain(|s| s.peer_addr().ok() != peer);
    drop(out);
    drop(sock);
}

/// Reads and discards until the client closes, so closing does not reset the answer.
fn drain(mut r: BufReader<TcpStream>) {
    let _ = r.get_mut().set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 65536];
    while matches!(r.read(&mut buf), Ok(n) if n > 0) {}
}

/// One fragment as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub track_id: u32,
    pub sequence: u32,
    pub time: u64,
    pub duration: u64,
}

/// A POST body taken apart.
#[derive(Debug, Default)]
pub struct ParsedPost {
    /// ftyp + manifest box + moov bytes.
    pub header: Vec<u8>,
    /// Top-level box types, in order (complete boxes only).
    pub order: Vec<String>,
    pub manifest: String,
    pub moov_tracks: Vec<u32>,
    pub fragments: Vec<Received>,
    pub end_of_stream: bool,
}

/// Splits the complete top-level boxes of a body and reads each with the box reader.
pub fn parse_post(body: &[u8]) -> ParsedPost {
    let mut p = ParsedPost::default();
    let mut pos = 0usize;
    let mut header_end = 0;
    while pos + 8 <= body.len() {
        let size = u32::from_be_bytes(body[pos..pos + 4].try_into().unwrap()) as usize;
        if size < 8 || pos + size > body.len() {
            break;
        }
        let bytes = &body[pos..pos + size];
        let b = reader::boxes(bytes).next().unwrap().unwrap();
        let kind = b.type_str();
        if b.is(b"uuid") {
            assert!(
                b.is_uuid(&LIVE_SERVER_MANIFEST_UUID),
                "unknown top-level uuid box"
            );
            let (_, _, xml) = b.full_box().unwrap();
            p.manifest = String::from_utf8(xml.to_vec()).expect("manifest is UTF-8");
            p.order.push("lsm".into());
        } else {
            p.order.push(kind.clone());
        }
        match kind.as_str() {
            "moov" => {
                for tkhd in b.find_all("trak/tkhd").unwrap() {
                    p.moov_tracks.push(Tkhd::parse(&tkhd).unwrap().track_id);
                }
                header_end = pos + size;
            }
            "moof" => {
                let seq = Mfhd::parse(&b.find("mfhd").unwrap().unwrap())
                    .unwrap()
                    .sequence_number;
                let trafs = b.find_all("traf").unwrap();
                assert_eq!(trafs.len(), 1, "one track per moof");
                for traf in trafs {
                    let tfhd = reader::Tfhd::parse(&traf.find("tfhd").unwrap().unwrap()).unwrap();
                    let tfxd = traf
                        .find_uuid(&TFXD_UUID)
                        .unwrap()
                        .expect("tfxd in every traf");
                    let tfxd = Tfxd::parse(&tfxd).unwrap();
                    assert_eq!(tfxd.version, 1);
                    assert!(traf.find("tfdt").unwrap().is_none(), "no tfdt");
                    p.fragments.push(Received {
                        track_id: tfhd.track_id,
                        sequence: seq,
                        time: tfxd.time,
                        duration: tfxd.duration,
                    });
                }
            }
            "mfra" => {
                assert_eq!(size, 8, "end of stream is an empty mfra");
                p.end_of_stream = true;
            }
            _ => {}
        }
        pos += size;
    }
    p.header = body[..header_end].to_vec();
    p
}

/// Checks every POST on a path and returns the distinct fragments received, in time
/// order: each POST starts ftyp, manifest box, moov (identical bytes on every POST), the
/// manifest lists exactly the moov's tracks, sequence numbers and times increase within
/// a POST.
pub fn check_stream(posts: &[Request]) -> Vec<Received> {
    assert!(!posts.is_empty(), "no POST received");
    let mut first_header: Option<Vec<u8>> = None;
    let mut all = BTreeMap::new();
    for (i, post) in posts.iter().enumerate() {
        let p = parse_post(&post.body);
        if p.order.is_empty() {
            continue; // cut before the first box
        }
        assert!(
            p.order.len() >= 3 && p.order[..3] == ["ftyp", "lsm", "moov"],
            "POST {i}: starts {:?}",
            p.order
        );
        assert!(
            p.order[3..].iter().enumerate().all(|(k, t)| {
                let expect = if k % 2 == 0 { "moof" } else { "mdat" };
                t == expect || (t == "mfra" && k % 2 == 0 && k + 4 == p.order.len())
            }),
            "POST {i}: body order {:?}",
            p.order
        );
        match &first_header {
            None => first_header = Some(p.header.clone()),
            Some(h) => assert!(
                h == &p.header,
                "POST {i}: header differs from the first POST"
            ),
        }
        let listed: Vec<u32> = p
            .manifest
            .match_indices("name=\"trackID\" value=\"")
            .map(|(at, m)| {
                let rest = &p.manifest[at + m.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(
            listed, p.moov_tracks,
            "POST {i}: manifest lists other tracks than moov"
        );
        for w in p.fragments.windows(2) {
            assert!(
                w[1].sequence > w[0].sequence,
                "POST {i}: mfhd not increasing"
            );
            assert!(w[1].time > w[0].time, "POST {i}: time not increasing");
        }
        for f in p.fragments {
            assert!(
                p.moov_tracks.contains(&f.track_id),
                "fragment of a track not in moov"
            );
            if let Some(old) = all.insert(f.time, f) {
                assert_eq!(old.duration, f.duration, "replayed fragment differs");
            }
        }
    }
    all.into_values().collect()
}

/// Fragments are contiguous: each starts where the previous ended.
pub fn assert_contiguous(fragments: &[Received]) {
    for w in fragments.windows(2) {
        assert_eq!(
            w[0].time + w[0].duration,
            w[1].time,
            "gap or overlap between fragments at {} and {}",
            w[0].time,
            w[1].time
        );
    }
}
