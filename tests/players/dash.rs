//! dash.js in headless Chromium (`tests/players/dashjs_play.js`, driven by node) as a
//! client of `ssfmux serve`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::Server;
use crate::support::{in_ci, require_tool_with, root};

/// What `tests/players/dashjs_play.js` reports (its JSON line).
pub struct DashReport(pub Value);

impl DashReport {
    fn str(&self, pointer: &str) -> &str {
        self.0
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn number(&self, pointer: &str) -> f64 {
        let n = self.0.pointer(pointer).and_then(Value::as_f64);
        n.unwrap_or_else(|| panic!("no number at {pointer} in {}", self.0))
    }

    fn strings(&self, name: &str) -> Vec<&str> {
        let list = self.0.get(name).and_then(Value::as_array);
        list.into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    /// The captions the page showed, each once.
    pub fn captions(&self) -> Vec<&str> {
        self.strings("captions")
    }
}

/// Chromium, node and the npm packages, or a skip line (a panic under CI).
pub fn browser(test: &str) -> Option<(PathBuf, PathBuf)> {
    if !require_tool_with("node", "--version", test) {
        return None;
    }
    // puppeteer takes a path, not a command name.
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        });
    let modules = root().join("tests/players/node_modules");
    let missing = match (&chromium, modules.join("dashjs").is_dir()) {
        (None, _) => "Chromium (chromium, chromium-browser or google-chrome)",
        (_, false) => "tests/players/node_modules (npm ci --prefix tests/players)",
        _ => return Some((chromium.unwrap(), modules)),
    };
    if in_ci() {
        panic!("{test}: {missing} is required in CI but was not found (.ci/run installs it)");
    }
    eprintln!("skipped {test}: {missing} not found");
    None
}

/// Plays `/play/PATH` of `server` with dash.js in headless Chromium.
pub fn dashjs_play(chromium: &Path, server: &Server, path: &str) -> DashReport {
    let out = Command::new("node")
        .arg(root().join("tests/players/dashjs_play.js"))
        .arg(chromium)
        .arg(format!("{}/play/{path}", server.url))
        .arg("60000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dash.js run on {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dash.js run on {path}: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    DashReport(report)
}

/// dash.js played `path` to the end: no error, the end within half a second of the
/// duration, every answer 200 (a request dash.js itself abandoned when switching
/// levels is not a server failure), fragments of every stream fetched.
pub fn assert_played_to_the_end(report: &DashReport, path: &str, streams: &[&str]) {
    let all = &report.0;
    let log = report.str("/log");
    assert!(
        log.starts_with("ended"),
        "{path}: dash.js did not end: {all}"
    );
    assert!(!log.contains("error"), "{path}: dash.js error: {all}");
    assert!(
        report.0.pointer("/state/error").is_some_and(Value::is_null),
        "{path}: {all}"
    );
    let (t, d) = (
        report.number("/state/currentTime"),
        report.number("/state/duration"),
    );
    assert!((t - d).abs() <= 0.5, "{path}: ended at {t} s of {d} s");
    let requests = all
        .get("requests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let url = |r: &Value| {
        r.get("url")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    assert!(!requests.is_empty(), "{path}: no request seen: {all}");
    for r in &requests {
        let status = r.get("status").and_then(Value::as_u64);
        assert_eq!(status, Some(200), "{path}: {}", url(r));
    }
    for failure in report.strings("failures") {
        assert!(
            failure.starts_with("request failed: ") && failure.ends_with("net::ERR_ABORTED"),
            "{path}: {failure}"
        );
    }
    for stream in streams {
        assert!(
            requests
                .iter()
                .any(|r| url(r).contains(&format!("/Fragments({stream}="))),
            "{path}: no {stream} fragment fetched: {all}"
        );
    }
}
