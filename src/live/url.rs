//! Ingest URLs: `<publishing point>[/Events(<id>)]/Streams(<id>)` (live-ingest.md §1.1).

use ::url::Url;

use crate::error::{Error, Result};

/// Checks a publishing point URL: http(s), a path ending in `.isml`.
pub(crate) fn publishing_point(url: &str) -> Result<Url> {
    let bad = |reason: &str| Error::LiveUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none() {
        return Err(bad("no host"));
    }
    if !parsed.path().trim_end_matches('/').ends_with(".isml") {
        return Err(bad("the path must end in .isml (the publishing point)"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("a URL fragment (#…) cannot be sent"));
    }
    Ok(parsed)
}

/// Checks an `Events()` or `Streams()` identifier: only `[A-Za-z0-9_.-]`, so it needs no
/// escaping and holds no parenthesis or separator.
pub(crate) fn check_id(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::LiveUrl {
            url: id.to_string(),
            reason: format!("{what} identifier must be non-empty and use only A-Z a-z 0-9 _ . -"),
        })
    }
}

/// The stream's ingest URL; any query of the publishing point is kept as it was.
pub(crate) fn stream_url(point: &Url, event: Option<&str>, stream: &str) -> String {
    let mut url = point.clone();
    let mut path = point.path().trim_end_matches('/').to_string();
    if let Some(event) = event {
        path.push_str(&format!("/Events({event})"));
    }
    path.push_str(&format!("/Streams({stream})"));
    url.set_path(&path);
    url.to_string()
}

/// The URL as logs and statistics show it: any password replaced by `***`, so
/// credentials never reach a log line or a callback.
pub(crate) fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // Cannot fail: a URL with a password has a host.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_stream_urls() {
        let p = publishing_point("http://h:8080/live/ch1.isml/?token=a").unwrap();
        assert_eq!(
            stream_url(&p, None, "video_1.ismv"),
            "http://h:8080/live/ch1.isml/Streams(video_1.ismv)?token=a"
        );
        let p = publishing_point("https://h/ch1.isml").unwrap();
        assert_eq!(
            stream_url(&p, Some("e1"), "a"),
            "https://h/ch1.isml/Events(e1)/Streams(a)"
        );
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("http://enc:secret@h/x.isml/Streams(a)"),
            "http://enc:***@h/x.isml/Streams(a)"
        );
        assert_eq!(redact("http://h/x.isml"), "http://h/x.isml");
    }

    #[test]
    fn rejects_bad_urls_and_ids() {
        assert!(publishing_point("ftp://h/x.isml").is_err());
        assert!(publishing_point("http://h/x.ism").is_err());
        assert!(publishing_point("not a url").is_err());
        assert!(check_id("stream", "a(b)").is_err());
        assert!(check_id("stream", "a/b").is_err());
        assert!(check_id("stream", "").is_err());
        assert!(check_id("stream", "video_720p-2.ismv").is_ok());
    }
}
