//! HTTP plumbing shared by the handlers: the error type every handler returns (a status
//! and a text body saying what was wrong), the response body, and the headers every
//! response carries (CORS for browser players, `Cache-Control` fit for a CDN).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

/// Content type of client manifests, as IIS and other Smooth origins send it.
pub(crate) const MANIFEST_TYPE: &str = "text/xml";
/// Content type of video and text (TTML in MP4) fragments.
pub(crate) const VIDEO_FRAGMENT_TYPE: &str = "video/mp4";
/// Content type of audio fragments.
pub(crate) const AUDIO_FRAGMENT_TYPE: &str = "audio/mp4";

/// `Cache-Control` of on-demand fragments and of live fragments that will not change:
/// the bytes at a fragment URL are fixed, so a CDN may keep them for a year.
pub(crate) const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of on-demand manifests: short, so a republished presentation shows
/// within seconds.
pub(crate) const CACHE_VOD_MANIFEST: &str = "public, max-age=10";
/// `Cache-Control` of live manifests and of live fragments whose look-ahead may still
/// grow: about half a fragment.
pub(crate) const CACHE_LIVE: &str = "public, max-age=1";
/// `Cache-Control` of plain files (a local dash.js, styles): a minute.
pub(crate) const CACHE_FILE: &str = "public, max-age=60";
/// `Cache-Control` of errors and pages: never cached (a live fragment missing now exists
/// a second later).
pub(crate) const CACHE_NONE: &str = "no-store";

/// A failed request: the status and a text body that says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpError {
    status: StatusCode,
    message: String,
    /// `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl HttpError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            message: message.into(),
            allow: None,
        }
    }

    /// 400: the request (or an ingest body) is malformed.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: ingest needs credentials (answered with a Basic challenge).
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403: the path resolves outside the served directory.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404: no such presentation, bit rate, stream or fragment.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 405 with the methods the resource takes.
    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        HttpError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed here (allowed: {allow})"),
            )
        }
    }

    /// 408: an ingest POST sent nothing for too long.
    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, message)
    }

    /// 409: the request conflicts with the publishing point's state (a changed header, a
    /// stream that already ended, another event).
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 413: a box, header or fragment over its bound.
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 414: a request path over its bound.
    pub(crate) fn uri_too_long(message: impl Into<String>) -> Self {
        Self::new(StatusCode::URI_TOO_LONG, message)
    }

    /// 500: a file under the served directory is not what it should be.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 503: a bound on publishing points or streams is reached.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The status code as a number.
    #[cfg(test)]
    pub(crate) fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// What was wrong.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The response: the message as text, never cached.
    pub(crate) fn response(&self) -> Response<Body> {
        let mut response = text(self.status, format!("{}\n", self.message));
        let headers = response.headers_mut();
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ssf ingest\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

/// A response body of byte chunks sent in order, so a fragment can be its rebuilt `moof`
/// followed by the received `mdat` without copying the media.
#[derive(Debug, Default)]
pub(crate) struct Body {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl Body {
    /// A body of one chunk.
    pub(crate) fn from_bytes(data: impl Into<Bytes>) -> Self {
        Self::from_chunks([data.into()])
    }

    /// A body of chunks sent back to back.
    pub(crate) fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Body { chunks, remaining }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
        }
        Poll::Ready(next.map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A response with `body` of `content_type` and `cache_control`.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
    body: Body,
) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// A plain-text response, never cached.
pub(crate) fn text(status: StatusCode, body: String) -> Response<Body> {
    response(
        status,
        "text/plain; charset=utf-8",
        CACHE_NONE,
        Body::from_bytes(body),
    )
}

/// Adds the headers every response carries: CORS (any origin may read: the content is
/// public media, and browser players fetch it from pages served elsewhere) and
/// `X-Content-Type-Options` (the types are exact, no sniffing).
pub(crate) fn finish_headers(response: &mut Response<Body>) {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Length, Content-Type, Date"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
}

/// The `Server` header: the library and its version, for logs on the player side.
const SERVER_NAME: &str = concat!("ssf-origin/", env!("CARGO_PKG_VERSION"));

/// The answer to a CORS preflight (`OPTIONS`): any origin, the methods the origin
/// serves, and whatever headers the browser asks to send, cached for a day.
pub(crate) fn preflight(requested_headers: Option<&HeaderValue>) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        requested_headers
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("*")),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_NONE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn chunked_bodies_report_their_exact_size_and_send_in_order() {
        let body = Body::from_chunks([
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"c"),
        ]);
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(3));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let all = rt.block_on(body.collect()).unwrap().to_bytes();
        assert_eq!(&all[..], b"abc");
    }

    #[test]
    fn errors_say_what_and_challenge_for_credentials() {
        let e = HttpError::unauthorized("no credentials");
        let r = e.response();
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(r.headers()[header::CACHE_CONTROL], CACHE_NONE);
        let r = HttpError::method_not_allowed("GET, HEAD").response();
        assert_eq!(r.headers()[header::ALLOW], "GET, HEAD");
    }
}
