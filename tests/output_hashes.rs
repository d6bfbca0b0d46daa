//! The bytes `ssfmux` writes, pinned: a SHA-256 of every output file for fixed inputs
//! (the bundled sample clear and encrypted with a fixed IV, a committed MP4, VC-1 + WMA
//! Pro from the shared media, captions). Refactoring and speed work must not change a
//! byte; a change that means to (a format fix) updates `tests/data/output_hashes.txt` with
//! `SSF_UPDATE_HASHES=1 cargo test --test output_hashes` and says why in its commit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use support::{root, run, shared_media, ssfmux};

const EXPECTED: &str = "tests/data/output_hashes.txt";

/// A fixed key and IV, so encrypted output is the same on every run.
const KEY_ARGS: [&str; 6] = [
    "--kid",
    "8ba94ade-6eb9-449d-b44f-a5beefaf43b0",
    "--key",
    "00112233445566778899aabbccddeeff",
    "--iv",
    "0123456789abcdef",
];

/// One packaging run: a name and the CLI arguments (after `-q -o DIR -n NAME`).
fn cases() -> Vec<(&'static str, Vec<PathBuf>, Vec<&'static str>)> {
    let sample = |f: &str| root().join("sample").join(f);
    let ladder = vec![
        sample("sample_360p.h264"),
        sample("sample_540p.h264"),
        sample("sample_720p.h264"),
        sample("sample.aac"),
    ];
    let mut cases = vec![
        ("sample", ladder.clone(), vec![]),
        (
            "encrypted",
            ladder,
            [KEY_ARGS.as_slice(), &["--la-url", "https://example.com/pr"]].concat(),
        ),
        ("mp4", vec![root().join("tests/data/mp4/clip.mp4")], vec![]),
        // MP4 payloads read each into a buffer of its own and encrypted in place.
        (
            "mp4_encrypted",
            vec![root().join("tests/data/mp4/clip.mp4")],
            KEY_ARGS.to_vec(),
        ),
        (
            "captions",
            vec![
                sample("sample_360p.h264"),
                root().join("tests/data/ttml/captions.ttml"),
            ],
            vec![],
        ),
    ];
    if let Some(media) = shared_media("output_hashes (VC-1 and WMA Pro)") {
        cases.push((
            "windows_media",
            vec![media.join("vc1_ap.vc1"), media.join("wmapro_44k.wma")],
            vec![],
        ));
    }
    cases
}

/// `CASE/FILE sha256` for every file a case wrote.
fn hashes_of(case: &str, dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(format!("{case}/{name}"), hex(&Sha256::digest(&data)));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join(EXPECTED)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn outputs_are_byte_identical_to_the_pinned_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut actual = BTreeMap::new();
    let mut ran = Vec::new();
    for (case, inputs, extra) in cases() {
        let dir = tmp.path().join(case);
        run(Command::new(ssfmux())
            .args(["-q", "-n", case, "-o"])
            .arg(&dir)
            .args(extra)
            .args(&inputs));
        actual.extend(hashes_of(case, &dir));
        ran.push(case);
    }
    if std::env::var_os("SSF_UPDATE_HASHES").is_some() {
        let mut text = String::from(
            "# SHA-256 of every file ssfmux writes for the inputs of tests/output_hashes.rs.\n",
        );
        for (k, v) in &actual {
            text.push_str(&format!("{k} {v}\n"));
        }
        std::fs::write(root().join(EXPECTED), text).unwrap();
        return;
    }
    let expected: BTreeMap<String, String> = read_expected()
        .into_iter()
        .filter(|(k, _)| ran.iter().any(|case| k.starts_with(&format!("{case}/"))))
        .collect();
    assert!(!expected.is_empty(), "{EXPECTED} is missing");
    let differ: Vec<_> = expected
        .keys()
        .chain(actual.keys())
        .filter(|k| expected.get(*k) != actual.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "outputs differ from {EXPECTED}: {differ:?} (a deliberate format change updates it with SSF_UPDATE_HASHES=1)"
    );
}
