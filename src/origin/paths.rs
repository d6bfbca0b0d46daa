//! Safe path resolution: a request path becomes a file under the served directory, or an
//! error. Nothing outside the directory is ever opened.
//!
//! Two checks, because either alone can be fooled: the request's segments are decoded
//! and refused when one is `..`, `.`, hidden (starts with `.`, which also keeps
//! presentations being written, `.NAME.ssf-partial/`, out of reach), empty, or holds a
//! separator or a NUL once decoded (`%2e%2e`, `%2f`); then the joined path is
//! canonicalized (every symbolic link resolved) and must still start with the
//! canonical served directory, so a link inside the directory that points outside is
//! refused too.

use std::path::{Path, PathBuf};

use super::http::HttpError;

/// The decoded segments of a request path (without the query), checked as above.
pub(crate) fn segments(path: &str) -> Result<Vec<String>, HttpError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    trimmed.split('/').map(segment).collect()
}

/// One decoded, checked segment.
fn segment(raw: &str) -> Result<String, HttpError> {
    let decoded = percent_decode(raw).ok_or_else(|| {
        HttpError::bad_request(format!(
            "path segment {raw:?} is not valid percent-encoded UTF-8"
        ))
    })?;
    if decoded.is_empty() {
        return Err(HttpError::bad_request("empty path segment (\"//\")"));
    }
    if decoded == "." || decoded == ".." {
        return Err(HttpError::bad_request(
            "path traversal: \".\" and \"..\" segments are refused",
        ));
    }
    if decoded.contains(['/', '\\', '\0']) {
        return Err(HttpError::bad_request(format!(
            "path segment {decoded:?} holds a separator or a NUL once decoded"
        )));
    }
    if decoded.starts_with('.') {
        // Hidden entries: partial presentations and journals are never served.
        return Err(HttpError::not_found(format!(
            "{decoded:?}: hidden entries are not served"
        )));
    }
    Ok(decoded)
}

/// `%XX` decoding of one segment; None for a bad escape or bytes that are not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex_digit(*bytes.get(i + 1)?)?;
            let lo = hex_digit(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The served directory, canonical, and the resolution of paths below it.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    dir: PathBuf,
}

impl Root {
    /// The served directory `dir`, which must exist.
    pub(crate) fn new(dir: &Path) -> crate::Result<Self> {
        let dir = std::fs::canonicalize(dir).map_err(|source| crate::Error::Io {
            op: "resolve",
            path: dir.to_path_buf(),
            source,
        })?;
        if !dir.is_dir() {
            return Err(crate::Error::InvalidArgument(format!(
                "{}: not a directory",
                dir.display()
            )));
        }
        Ok(Root { dir })
    }

    /// The canonical served directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// `path` as shown in error messages: relative to the root, so responses never
    /// reveal where the served directory is.
    pub(crate) fn show(&self, path: &Path) -> String {
        match path.strip_prefix(&self.dir) {
            Ok(relative) => format!("/{}", relative.display()),
            Err(_) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// The existing file at `segments` below the root, canonical; 404 when it does not
    /// exist, 403 when it resolves outside the root (a symbolic link that escapes).
    pub(crate) fn file(&self, segments: &[String]) -> Result<PathBuf, HttpError> {
        let mut path = self.dir.clone();
        path.extend(segments);
        self.contain(&path)
    }

    /// `relative` (a path written in a file under the root, e.g. an `.ism`'s `src`),
    /// resolved against the directory `base` of that file: the same checks as a request.
    pub(crate) fn relative(&self, base: &Path, relative: &str) -> Result<PathBuf, HttpError> {
        let parts: Vec<String> = relative
            .split('/')
            .map(segment)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                HttpError::forbidden(format!(
                    "a manifest names {relative:?}, which leaves its directory or is hidden: {}",
                    e.message()
                ))
            })?;
        let mut path = base.to_path_buf();
        path.extend(parts);
        self.contain(&path)
    }

    /// Canonicalizes `path` and checks that it is a file inside the root.
    fn contain(&self, path: &Path) -> Result<PathBuf, HttpError> {
        let shown = self.show(path);
        let canonical = std::fs::canonicalize(path)
            .map_err(|_| HttpError::not_found(format!("{shown}: no such file")))?;
        if !canonical.starts_with(&self.dir) {
            return Err(HttpError::forbidden(format!(
                "{shown} resolves outside the served directory"
            )));
        }
        if !canonical.is_file() {
            return Err(HttpError::not_found(format!("{shown}: not a file")));
        }
        Ok(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_hidden_segments_are_refused() {
        assert_eq!(segments("/a/b%20c/d.ism").unwrap(), ["a", "b c", "d.ism"]);
        assert!(segments("/").unwrap().is_empty());
        for bad in [
            "/../etc",
            "/a/%2e%2e/b",
            "/a/%2E%2e",
            "/./a",
            "/a//b",
            "/a%2fb",
            "/a%5cb",
            "/a%00",
            "/a%zz",
            "/a%c3",
            "/.x.ssf-partial/a",
        ] {
            assert!(segments(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_out_of_the_root_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"x").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("in"), b"y").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link"))
            .unwrap();
        let r = Root::new(root.path()).unwrap();
        assert!(r.file(&["in".into()]).is_ok());
        assert_eq!(r.file(&["link".into()]).unwrap_err().status(), 403);
        assert_eq!(r.file(&["none".into()]).unwrap_err().status(), 404);
        let base = r.dir().to_path_buf();
        assert_eq!(r.relative(&base, "../x").unwrap_err().status(), 403);
    }
}
