//! Plain files below the served directory that a player page may need — a local copy of
//! dash.js (`OriginOptions::player_js("/dash.all.min.js")` once it is copied there),
//! styles, images, captions — served by extension from a short list. Media files are not
//! on it: they are served fragment by fragment through their manifests, as IIS does,
//! never whole.

use bytes::Bytes;

use super::http::HttpError;
use super::index::{FileKey, read_at};
use super::paths::Root;

/// Largest plain file served.
const MAX_FILE: u64 = 16 << 20;

/// The content type of a file name whose extension is on the list.
pub(crate) fn content_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "map" | "json" => "application/json",
        "css" => "text/css; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "vtt" => "text/vtt; charset=utf-8",
        "ttml" | "dfxp" => "application/ttml+xml",
        _ => return None,
    })
}

/// The file at `segments`, whole (bounded).
pub(crate) fn read(root: &Root, segments: &[String]) -> Result<Bytes, HttpError> {
    let path = root.file(segments)?;
    let shown = root.show(&path);
    let file =
        std::fs::File::open(&path).map_err(|e| HttpError::not_found(format!("{shown}: {e}")))?;
    let key = FileKey::of(&file, &shown)?;
    if key.len() > MAX_FILE {
        return Err(HttpError::too_large(format!(
            "{shown}: {} bytes; plain files are served up to {MAX_FILE}",
            key.len()
        )));
    }
    read_at(&file, 0, key.len())
        .map(Bytes::from)
        .map_err(|e| HttpError::internal(format!("{shown}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_a_page_needs_are_served_whole() {
        assert_eq!(
            content_type("dash.all.min.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(content_type("A.PNG"), Some("image/png"));
        for media in [
            "a.ismv", "a.isma", "a.ismt", "a.ism", "a.ismc", "a.mp4", "noext",
        ] {
            assert_eq!(content_type(media), None, "{media}");
        }
    }
}
