//! TTML captions through the `ssfmux` CLI: caption files with a byte-order mark and a
//! long pretty-printed one become `.ismt` samples that are each a well-formed XML
//! document (by xmllint, a parser we did not write) and together about as large as the
//! caption file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ssf::isobmff::reader::{self, Tkhd};
use support::{require_tool_with, root, ssfmux, track_samples};

/// A temporary directory for `test`, or `None` when xmllint is missing (outside CI,
/// after one printed line; in CI that fails).
fn setup(test: &str) -> Option<tempfile::TempDir> {
    require_tool_with("xmllint", "--version", test).then(|| tempfile::tempdir().unwrap())
}

/// Writes `captions` to `dir/NAME.ttml`, packages it with the bundled 10 s video into
/// `dir/NAME/`, and returns the samples of the `.ismt`'s one track.
fn package(dir: &Path, name: &str, captions: &[u8]) -> Vec<Vec<u8>> {
    let file = dir.join(format!("{name}.ttml"));
    fs::write(&file, captions).unwrap();
    let out = dir.join(name);
    support::run(
        Command::new(ssfmux())
            .args(["-q", "-o"])
            .arg(&out)
            .args(["-n", "cap"])
            .arg(root().join("sample/sample_360p.h264"))
            .arg(&file),
    );
    let ismt = fs::read(ismt_file(&out)).unwrap();
    let tkhd = reader::find(&ismt, "moov/trak/tkhd").unwrap().unwrap();
    track_samples(&ismt, Tkhd::parse(&tkhd).unwrap().track_id)
}

/// The `.ismt` file in `out`.
fn ismt_file(out: &Path) -> PathBuf {
    let ismt = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ismt"));
    ismt.unwrap_or_else(|| panic!("no .ismt in {}", out.display()))
}

/// Checks with one xmllint run that every sample is a well-formed XML document.
fn assert_well_formed(samples: &[Vec<u8>], dir: &Path) {
    assert!(!samples.is_empty());
    let files: Vec<PathBuf> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let file = dir.join(format!("sample{i}.xml"));
            fs::write(&file, s).unwrap();
            file
        })
        .collect();
    let out = Command::new("xmllint")
        .arg("--noout")
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "xmllint: {stderr}"
    );
}

#[test]
fn byte_order_marks_give_the_samples_of_the_plain_file() {
    let Some(dir) = setup("byte_order_marks") else {
        return;
    };
    let dir = dir.path();
    let text = fs::read_to_string(root().join("tests/data/ttml/captions.ttml")).unwrap();
    let plain = package(dir, "plain", text.as_bytes());
    assert_well_formed(&plain, dir);

    let bom = package(dir, "bom", &[&[0xEF, 0xBB, 0xBF], text.as_bytes()].concat());
    assert_eq!(bom, plain);

    // A UTF-16 file says so in its declaration; its UTF-8 samples must say UTF-8.
    let declared = text.replacen("encoding=\"utf-8\"", "encoding=\"UTF-16\"", 1);
    let units = declared.encode_utf16().flat_map(u16::to_le_bytes);
    let utf16 = package(
        dir,
        "utf16",
        &[0xFF, 0xFE].into_iter().chain(units).collect::<Vec<_>>(),
    );
    assert_well_formed(&utf16, dir);
    let as_plain: Vec<Vec<u8>> = utf16
        .iter()
        .map(|s| {
            let s = String::from_utf8_lossy(s);
            s.replacen("encoding=\"UTF-8\"", "encoding=\"utf-8\"", 1)
                .into_bytes()
        })
        .collect();
    assert_eq!(as_plain, plain);
}

/// `count` captions of one line, two seconds apart, pretty-printed as caption tools write
/// them.
fn pretty_captions(count: u32) -> String {
    let mut doc = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" xml:lang=\"en\">\n",
        "  <head>\n    <styling>\n",
        "      <style xml:id=\"s1\" tts:color=\"white\"/>\n",
        "    </styling>\n  </head>\n",
        "  <body style=\"s1\">\n    <div>\n",
    ));
    for n in 0..count {
        let begin = 2 * n;
        doc += &format!(
            "      <p begin=\"{begin}.000s\" end=\"{begin}.500s\">\n        Caption number {n}, pretty-printed.\n      </p>\n"
        );
    }
    doc + "    </div>\n  </body>\n</tt>\n"
}

#[test]
fn many_captions_stay_about_the_size_of_the_file() {
    const TEST: &str = "many_captions";
    let Some(dir) = setup(TEST) else {
        return;
    };
    let dir = dir.path();
    let text = pretty_captions(1500);
    let samples = package(dir, "many", text.as_bytes());
    assert_well_formed(&samples, dir);
    let captions: usize = samples
        .iter()
        .map(|s| String::from_utf8_lossy(s).matches("Caption number").count())
        .sum();
    assert_eq!(captions, 1500);
    let ismt = fs::metadata(ismt_file(&dir.join("many"))).unwrap().len();
    let file = text.len() as u64;
    eprintln!(
        "{TEST}: {file} bytes of captions -> {ismt} bytes of .ismt in {} samples",
        samples.len()
    );
    assert!(
        ismt <= 2 * file,
        "{ismt} bytes of .ismt from {file} bytes of captions"
    );
}
