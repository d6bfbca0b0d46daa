//! The HTTP/1.1 client of a live push: one TCP (or TLS) connection per POST, the chunked
//! body written by us, byte for byte, so that every byte's position on the socket is known
//! (counted below TLS) and the kernel's figures for the socket can be read while the POST
//! runs (see [`super::socket`]). Answers are parsed with `httparse`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::socket::SocketFigures;

/// Largest response head read.
const MAX_HEAD: usize = 16 << 10;
/// Body bytes of an answer kept for the log.
const BODY_PREFIX: usize = 256;

/// Where a POST goes, parsed once from its URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    tls: bool,
    host: String,
    port: u16,
    /// The `Host` header.
    authority: String,
    /// Path and query of the request line.
    path: String,
    /// `Authorization: Basic …` from credentials in the URL.
    authorization: Option<String>,
}

impl Target {
    /// Parses an `http`/`https` URL.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        let tls = match parsed.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(format!("scheme {other} is not http or https")),
        };
        let host = parsed.host_str().ok_or("no host")?.to_string();
        let port = parsed
            .port_or_known_default()
            .ok_or("no port for the scheme")?;
        let authority = match parsed.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let mut path = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            path.push('?');
            path.push_str(q);
        }
        let authorization = (!parsed.username().is_empty()).then(|| {
            let user = percent_decode(parsed.username());
            let password = percent_decode(parsed.password().unwrap_or(""));
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}")
        });
        Ok(Self {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            authority,
            path,
            authorization,
        })
    }
}

/// `%XX` escapes of URL credentials, decoded.
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What every connection of a publisher shares: user agent, timeouts, TLS settings.
pub(crate) struct Client {
    pub user_agent: String,
    pub connect_timeout: Duration,
    #[cfg(feature = "tls-rustls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Client {
    /// A client; `accept_invalid_certs` turns certificate checks off (tests only).
    pub(crate) fn new(
        user_agent: String,
        connect_timeout: Duration,
        accept_invalid_certs: bool,
    ) -> Result<Self, String> {
        #[cfg(feature = "tls-rustls")]
        let tls = Some(super::tls::connector(accept_invalid_certs)?);
        #[cfg(not(feature = "tls-rustls"))]
        if accept_invalid_certs {
            log::warn!("danger_accept_invalid_certs has no effect without TLS support");
        }
        Ok(Self {
            user_agent,
            connect_timeout,
            #[cfg(feature = "tls-rustls")]
            tls,
        })
    }

    /// Opens a connection and sends a request head: a chunked POST (`chunked`) or an
    /// empty one.
    pub(crate) async fn open(&self, target: &Target, chunked: bool) -> io::Result<Connection> {
        let tcp = timeout(
            self.connect_timeout,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no connection within {:?}", self.connect_timeout),
            )
        })??;
        tcp.set_nodelay(true)?;
        let keepalive = socket2::TcpKeepalive::new().with_time(Duration::from_secs(15));
        socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
        let written = Arc::new(AtomicU64::new(0));
        #[cfg(target_os = "linux")]
        let figures = {
            use std::os::fd::AsRawFd;
            SocketFigures::new(tcp.as_raw_fd(), Arc::clone(&written))
        };
        #[cfg(not(target_os = "linux"))]
        let figures = SocketFigures::new(Arc::clone(&written));
        let counted = Counted {
            inner: tcp,
            written,
        };
        let stream = self.secure(target, counted).await?;
        let (reader, writer) = tokio::io::split(stream);
        let mut connection = Connection {
            writer,
            reader: Some(reader),
            figures,
        };
        let head = self.request_head(target, chunked);
        connection.writer.write_all(head.as_bytes()).await?;
        connection.writer.flush().await?;
        Ok(connection)
    }

    #[cfg(feature = "tls-rustls")]
    async fn secure(&self, target: &Target, tcp: Counted) -> io::Result<Stream> {
        if !target.tls {
            return Ok(Stream::Plain(tcp));
        }
        let Some(connector) = &self.tls else {
            return Err(io::Error::other("https is not available"));
        };
        let name = rustls::pki_types::ServerName::try_from(target.host.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let stream = timeout(self.connect_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
        Ok(Stream::Tls(Box::new(stream)))
    }

    #[cfg(not(feature = "tls-rustls"))]
    async fn secure(&self, target: &Target, tcp: Counted) -> io::Result<Stream> {
        if target.tls {
            return Err(io::Error::other(
                "https needs the tls-rustls feature, which this build lacks",
            ));
        }
        Ok(Stream::Plain(tcp))
    }

    /// The request line and headers (live-ingest.md §1.3): no `Expect`, no
    /// `Content-Type`, a fresh connection per POST.
    fn request_head(&self, target: &Target, chunked: bool) -> String {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: close\r\n",
            target.path, target.authority, self.user_agent
        );
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        } else {
            head.push_str("Content-Length: 0\r\n");
        }
        if let Some(auth) = &target.authorization {
            head.push_str("Authorization: ");
            head.push_str(auth);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head
    }
}

/// One POST's connection: the body is written chunk by chunk; the answer is read from
/// the other half, concurrently.
pub(crate) struct Connection {
    writer: WriteHalf<Stream>,
    reader: Option<ReadHalf<Stream>>,
    figures: SocketFigures,
}

impl Connection {
    /// The socket's figures.
    pub(crate) fn figures(&self) -> &SocketFigures {
        &self.figures
    }

    /// The reading half, to await the answer on (taken once).
    pub(crate) fn take_reader(&mut self) -> Option<ReadHalf<Stream>> {
        self.reader.take()
    }

    /// Writes one body chunk: its size line, the bytes, and the closing CRLF, handed to
    /// the socket in one vectored write where possible.
    pub(crate) async fn write_chunk(&mut self, parts: &[Bytes]) -> io::Result<()> {
        let len: usize = parts.iter().map(Bytes::len).sum();
        if len == 0 {
            return Ok(());
        }
        self.writer
            .write_all(format!("{len:X}\r\n").as_bytes())
            .await?;
        for part in parts {
            self.writer.write_all(part).await?;
        }
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await
    }

    /// Ends the chunked body (the zero-length chunk).
    pub(crate) async fn end_body(&mut self) -> io::Result<()> {
        self.writer.write_all(b"0\r\n\r\n").await?;
        self.writer.flush().await
    }
}

/// A server's answer: status, where a redirect points, and the start of the body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// Reads the final answer (skipping `1xx` interim ones) from a connection's reading half.
pub(crate) async fn read_answer(reader: &mut ReadHalf<Stream>) -> io::Result<Answer> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let (answer, head_len) = read_head(reader, &mut buf).await?;
        buf.drain(..head_len);
        if (100..200).contains(&answer.0) {
            continue;
        }
        let body = read_body_prefix(reader, &mut buf, answer.2).await;
        return Ok(Answer {
            status: answer.0,
            location: answer.1,
            body,
        });
    }
}

/// How an answer's body is framed.
#[derive(Debug, Clone, Copy)]
enum BodyLength {
    Known(usize),
    Chunked,
    UntilClose,
}

/// A parsed response head: status, `Location`, body framing, and the head's length.
type Head = ((u16, Option<String>, BodyLength), usize);

/// Reads until a whole response head is in `buf`, and parses it.
async fn read_head(reader: &mut ReadHalf<Stream>, buf: &mut Vec<u8>) -> io::Result<Head> {
    loop {
        if let Some(parsed) = parse_head(buf)? {
            return Ok(parsed);
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "response head over 16 KiB",
            ));
        }
        let mut chunk = [0u8; 2048];
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before an answer",
            ));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

/// Parses a response head at the start of `data`; None while it is incomplete.
fn parse_head(data: &[u8]) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let status = response
        .parse(data)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad answer: {e}")))?;
    let httparse::Status::Complete(len) = status else {
        return Ok(None);
    };
    let code = response.code.unwrap_or(0);
    let mut location = None;
    let mut length = BodyLength::UntilClose;
    for h in response.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        if h.name.eq_ignore_ascii_case("location") {
            location = Some(value);
        } else if h.name.eq_ignore_ascii_case("content-length") {
            if let Ok(n) = value.parse() {
                length = BodyLength::Known(n);
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            length = BodyLength::Chunked;
        }
    }
    if (100..200).contains(&code) || code == 204 || code == 304 {
        length = BodyLength::Known(0);
    }
    Ok(Some(((code, location, length), len)))
}

/// The first bytes of an answer's body, for the log (servers explain errors there);
/// whatever arrives within a short wait.
async fn read_body_prefix(
    reader: &mut ReadHalf<Stream>,
    buf: &mut Vec<u8>,
    length: BodyLength,
) -> String {
    let want = match length {
        BodyLength::Known(n) => n.min(BODY_PREFIX),
        BodyLength::Chunked | BodyLength::UntilClose => BODY_PREFIX,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    while buf.len() < want {
        let mut chunk = [0u8; 512];
        match tokio::time::timeout_at(deadline, reader.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            _ => break,
        }
    }
    let body: &[u8] = match length {
        // Skip the first chunk's size line.
        BodyLength::Chunked => buf
            .windows(2)
            .position(|w| w == b"\r\n")
            .and_then(|at| buf.get(at + 2..))
            .unwrap_or_default(),
        _ => buf.as_slice(),
    };
    let body = body.get(..want.min(body.len())).unwrap_or_default();
    String::from_utf8_lossy(body).trim().to_string()
}

/// A TCP stream that counts the bytes written to it: below TLS, so the count matches
/// the socket's own byte positions.
pub(crate) struct Counted {
    inner: TcpStream,
    written: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection, plain or TLS.
pub(crate) enum Stream {
    Plain(Counted),
    #[cfg(feature = "tls-rustls")]
    Tls(Box<tokio_rustls::client::TlsStream<Counted>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_path_and_basic_credentials() {
        let t = Target::parse("http://us%40r:p%3Ass@127.0.0.1:8080/live/a.isml/Streams(v)?x=1")
            .unwrap();
        assert_eq!((t.host.as_str(), t.port, t.tls), ("127.0.0.1", 8080, false));
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path, "/live/a.isml/Streams(v)?x=1");
        let expected = base64::engine::general_purpose::STANDARD.encode("us@r:p:ss");
        assert_eq!(t.authorization, Some(format!("Basic {expected}")));
        let t = Target::parse("https://[::1]/p.isml").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.tls), ("::1", 443, true));
        assert!(Target::parse("ftp://x/p.isml").is_err());
    }

    #[test]
    fn answers_parse_with_their_framing() {
        let head = b"HTTP/1.1 302 Found\r\nLocation: /b.isml\r\nContent-Length: 3\r\n\r\nabc";
        let ((status, location, length), len) = parse_head(head).unwrap().unwrap();
        assert_eq!((status, location.as_deref()), (302, Some("/b.isml")));
        assert!(matches!(length, BodyLength::Known(3)));
        assert_eq!(len, head.len() - 3);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nConte").unwrap().is_none());
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        let ((status, _, length), _) = parse_head(b"HTTP/1.1 100 Continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(status, 100);
        assert!(matches!(length, BodyLength::Known(0)));
    }
}
