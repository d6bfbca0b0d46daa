//! A tiny HTTP/1.1 client over std::net for the origin tests: one request per
//! connection, raw enough to send what no well-behaved client would (bad paths, huge
//! headers, chunked bodies cut short).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect to the origin");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Sends `head` (request line and headers, without the blank line) and `body`, then
/// reads the whole response (the connection is closed after it).
pub fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Response {
    let mut s = connect(addr);
    let mut request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n").into_bytes();
    request.extend_from_slice(body);
    // The server may answer and close before reading everything: read anyway.
    let _ = s.write_all(&request);
    read_response(&mut s)
}

/// A GET.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    raw(addr, &format!("GET {path} HTTP/1.1"), b"")
}

/// A request with `method` and extra header lines.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[&str]) -> Response {
    let mut head = format!("{method} {path} HTTP/1.1");
    for h in headers {
        head.push_str("\r\n");
        head.push_str(h);
    }
    raw(addr, &head, b"")
}

/// Reads a response: status line, headers, then a body framed by Content-Length,
/// chunked encoding, or the end of the connection.
pub fn read_response(s: &mut TcpStream) -> Response {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => panic!(
                "connection closed before a response head: {:?}",
                String::from_utf8_lossy(&data)
            ),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut rest = data[head_end + 4..].to_vec();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while rest.len() < len {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&buf[..n]),
            }
        }
        rest.truncate(len);
        rest
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let _ = s.read_to_end(&mut rest);
        dechunk(&rest)
    } else {
        let _ = s.read_to_end(&mut rest);
        rest
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// A chunked POST being sent.
pub struct Post {
    stream: TcpStream,
    /// Writing failed (the server answered and closed early).
    pub broken: bool,
}

impl Post {
    /// Starts a chunked POST to `path` with extra header lines.
    pub fn start(addr: SocketAddr, path: &str, headers: &[&str]) -> Post {
        let mut stream = connect(addr);
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nUser-Agent: origin-test\r\n"
        );
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let broken = stream.write_all(head.as_bytes()).is_err();
        Post { stream, broken }
    }

    /// Sends `data` as one chunk.
    pub fn chunk(&mut self, data: &[u8]) {
        if self.broken || data.is_empty() {
            return;
        }
        let mut out = format!("{:x}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        self.broken = self.stream.write_all(&out).is_err();
    }

    /// Sends `data` in chunks of at most `size` bytes.
    pub fn chunks(&mut self, data: &[u8], size: usize) {
        for piece in data.chunks(size.max(1)) {
            self.chunk(piece);
        }
    }

    /// Ends the body and reads the response.
    pub fn finish(mut self) -> Response {
        if !self.broken {
            let _ = self.stream.write_all(b"0\r\n\r\n");
        }
        read_response(&mut self.stream)
    }

    /// Reads the response the server sent before the body ended.
    pub fn response(mut self) -> Response {
        read_response(&mut self.stream)
    }

    /// Drops the connection without ending the body (an encoder that died).
    pub fn abort(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A whole chunked POST of `body` in chunks of `size`.
pub fn post(addr: SocketAddr, path: &str, body: &[u8], size: usize) -> Response {
    let mut p = Post::start(addr, path, &[]);
    p.chunks(body, size);
    p.finish()
}
