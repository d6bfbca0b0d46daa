//! The two HTML pages: `/` lists the on-demand presentations (every `.ism` below the
//! served directory; hidden entries such as partial presentations are skipped, symbolic
//! links are not followed) and the publishing points; `/play/PATH` plays one with
//! dash.js, whose Smooth Streaming support reads the client manifest directly.

use std::fmt::Write as _;
use std::path::Path;

/// How deep and how wide the listing looks, so a huge tree cannot stall a request.
const MAX_DEPTH: usize = 8;
const MAX_ENTRIES: usize = 10_000;

/// Paths (relative, `/`-separated) of every `.ism` below `root`, sorted.
pub(crate) fn presentations(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen = 0usize;
    let mut pending = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = format!("{prefix}{name}");
            if kind.is_dir() && depth < MAX_DEPTH {
                pending.push((entry.path(), format!("{path}/"), depth + 1));
            } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".ism") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The list page.
pub(crate) fn index(presentations: &[String], points: &[(String, bool)]) -> String {
    let mut body = String::from("<h1>Smooth Streaming origin</h1>\n<h2>On demand</h2>\n<ul>\n");
    if presentations.is_empty() {
        body.push_str("<li>none</li>\n");
    }
    for p in presentations {
        item(&mut body, p, "");
    }
    body.push_str("</ul>\n<h2>Live</h2>\n<ul>\n");
    if points.is_empty() {
        body.push_str("<li>none (push to /PATH/NAME.isml/Streams(ID))</li>\n");
    }
    for (p, live) in points {
        item(&mut body, p, if *live { " — live" } else { " — ended" });
    }
    body.push_str("</ul>\n");
    document("Smooth Streaming origin", &body, "")
}

fn item(body: &mut String, path: &str, note: &str) {
    let url = url_path(path);
    let _ = writeln!(
        body,
        "<li><a href=\"/play/{url}\">{}</a>{note} (<a href=\"/{url}/Manifest\">manifest</a>)</li>",
        escape(path)
    );
}

/// The player page of the presentation at `path` (`a/b.ism` or `live/c.isml`).
pub(crate) fn play(path: &str, player_js: &str) -> String {
    let manifest = format!("/{}/Manifest", url_path(path));
    let body = format!(
        "<h1>{title}</h1>\n<div class=\"screen\"><video id=\"player\" controls muted autoplay width=\"960\"></video>\
         <div id=\"captions\"></div></div>\n\
         <p><a href=\"{manifest}\">client manifest</a> · <a href=\"/\">all presentations</a></p>\n\
         <pre id=\"log\"></pre>\n",
        title = escape(path),
        manifest = escape(&manifest),
    );
    let mut scripts = format!("<script src=\"{}\"></script>\n", escape(player_js));
    if let Some(mss) = mss_module(player_js) {
        scripts.push_str(&format!("<script src=\"{}\"></script>\n", escape(&mss)));
    }
    let script = format!(
        "{scripts}<script>\n\
         const log = (m) => {{ document.getElementById('log').textContent += m + '\\n'; }};\n\
         const player = dashjs.MediaPlayer().create();\n\
         player.on(dashjs.MediaPlayer.events.ERROR, (e) => log('error: ' + JSON.stringify(e.error || e)));\n\
         player.on(dashjs.MediaPlayer.events.PLAYBACK_ENDED, () => log('ended'));\n\
         player.initialize(document.getElementById('player'), {manifest_js}, true);\n\
         player.attachTTMLRenderingDiv(document.getElementById('captions'));\n\
         </script>\n",
        manifest_js = js_string(&manifest),
    );
    document(path, &body, &script)
}

/// dash.js 4 ships its Smooth Streaming support as a module of its own beside the
/// player (`dash.mss.min.js` next to `dash.all.min.js`, `dash.mss.debug.js` next to
/// `dash.all.debug.js`); without it the player refuses a Smooth manifest. Another file
/// name is taken to be a build that includes it.
fn mss_module(player_js: &str) -> Option<String> {
    ["min", "debug"].iter().find_map(|build| {
        player_js
            .strip_suffix(&format!("dash.all.{build}.js"))
            .map(|dir| format!("{dir}dash.mss.{build}.js"))
    })
}

fn document(title: &str, body: &str, script: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}video{{max-width:100%;background:#000}}.screen{{position:relative;display:inline-block}}#captions{{position:absolute;inset:0;pointer-events:none}}</style>\n\
         </head>\n<body>\n{body}{script}</body>\n</html>\n",
        escape(title)
    )
}

/// Each segment percent-encoded where a URL path needs it.
fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~()=,".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Text safe inside HTML elements and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JavaScript string literal safe inside a `<script>` element.
fn js_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "/-._~()=,%".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{:04x}", u32::from(c) & 0xFFFF);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show_and_link_what_they_list() {
        let page = index(&["a b/<x>.ism".into()], &[("live/c.isml".into(), true)]);
        assert!(page.contains("href=\"/play/a%20b/%3Cx%3E.ism\""), "{page}");
        assert!(page.contains("a b/&lt;x&gt;.ism"));
        assert!(page.contains("live/c.isml</a> — live"));
        let play = play("a/b.ism", "http://x/dash.js?a=1&b=\"2\"");
        assert!(
            play.contains("src=\"http://x/dash.js?a=1&amp;b=&quot;2&quot;\""),
            "{play}"
        );
        assert!(play.contains("\"/a/b.ism/Manifest\""));
    }

    #[test]
    fn the_listing_skips_hidden_and_partial_directories() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("a/b")).unwrap();
        std::fs::create_dir_all(p.join(".a.ssf-partial")).unwrap();
        std::fs::write(p.join("a/b/x.ism"), "").unwrap();
        std::fs::write(p.join("a/y.ismc"), "").unwrap();
        std::fs::write(p.join(".a.ssf-partial/z.ism"), "").unwrap();
        assert_eq!(presentations(p), ["a/b/x.ism"]);
    }
}
