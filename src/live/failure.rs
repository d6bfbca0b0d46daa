//! A failed attempt and what to do about it: the response codes of live-ingest.md §5.3.

use super::http::Answer;

/// What to do after a failed attempt (live-ingest.md §5.3).
#[derive(Debug)]
pub(crate) enum Action {
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
pub(crate) struct Failure {
    pub(crate) action: Action,
    pub(crate) status: Option<u16>,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn retry(message: impl Into<String>) -> Self {
        Self {
            action: Action::Retry,
            status: None,
            message: message.into(),
        }
    }
}

/// Classifies a non-2xx answer (or a 2xx that came before our end) by its status;
/// `url` resolves a redirect's Location.
pub(crate) fn answered(url: &str, phase: &str, answer: Answer) -> Failure {
    let status = answer.status;
    let location = answer
        .location
        .as_deref()
        .and_then(|l| url::Url::parse(url).ok()?.join(l).ok())
        .map(|u| u.to_string());
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
        message: format!("{phase}: HTTP {status} ({what}) {}", answer.body)
            .trim_end()
            .to_string(),
    }
}
