//! The C ABI from C and C++: the committed headers match a fresh cbindgen generation and
//! compile cleanly as C99 and C++11; `cargo cinstall` (cargo-c) installs the libraries,
//! the headers and `ssf.pc` into a prefix, and the C examples build with the system
//! compilers against that installed static and shared library, with nothing but what
//! `pkg-config` says of `ssf`, run, and their output passes the same
//! checks as the Rust integration tests (FFmpeg frame hashes, box structure,
//! manifests); the bad-input program gets an error code and message for every misuse;
//! the examples run under valgrind with no errors and no leaks; two threads hammering one
//! handle of each API get busy answers, natively and under AddressSanitizer, never a
//! corrupted heap; and the compatible API,
//! driven from Rust with the shared VC-1 and WMA Pro media, decodes like the sources.
//! With the `live` feature, `live.c` pushes the sample to two scripted receivers on
//! 127.0.0.1 (`tests/live_server`, shared with `tests/live_push.rs`) whose bodies pass
//! the live checks of `tests/live_push.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#[cfg(feature = "live")]
mod live_server;
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ssf::input::adts::AdtsReader;
use ssf::input::h264::{AccessUnitReader, PtsFromPoc};
use ssf::isobmff::reader::{self, BoxRef, Tfra, Tfxd};
use ssf::isobmff::uuids::TFXD_UUID;

const VIDEO_SOURCES: [&str; 3] = ["sample_360p.h264", "sample_540p.h264", "sample_720p.h264"];
const AUDIO_SOURCE: &str = "sample.aac";
/// Video timescale of the dumps and one frame at 25 fps in it.
const VIDEO_TIMESCALE: u32 = 90_000;
const FRAME_TICKS: u64 = 3_600;
/// The library as a C user gets it: `cargo cinstall` (cargo-c) into a prefix of its own,
/// whose `lib/pkgconfig/ssf.pc` every C example is compiled and linked through.
struct Installed {
    /// The install prefix (`--prefix`).
    prefix: PathBuf,
    /// `<prefix>/lib` (`--libdir`): libssf.a, libssf.so and its links, pkgconfig/.
    lib: PathBuf,
}

impl Installed {
    /// `pkg-config <args> ssf` against the installed `ssf.pc` only; its output's words.
    fn pkg_config(&self, args: &[&str]) -> Vec<String> {
        let out = support::run(
            Command::new("pkg-config")
                .args(args)
                .arg("ssf")
                .env("PKG_CONFIG_PATH", self.lib.join("pkgconfig"))
                .env_remove("PKG_CONFIG_LIBDIR"),
        );
        out.split_whitespace().map(str::to_string).collect()
    }
}

fn have_compilers(test: &str) -> bool {
    support::require_tool_with("cc", "--version", test)
        && support::require_tool_with("c++", "--version", test)
}

/// Installs the library with `cargo cinstall` once per test run, shared by every test
/// here (later callers wait for the first). The build goes to `target/capi`, a target
/// directory of its own: it never waits on the lock of the `cargo test` that runs us,
/// and stays there between runs, so only a change to the library is rebuilt. The prefix
/// is `target/capi/prefix-<profile>`, emptied first so nothing from an earlier run can
/// stand in for this one's files. The library is built in the test's own profile and
/// with its features.
///
/// None, after one printed line, when cargo-c or the C tools are missing outside CI; in
/// CI their absence fails the test (`.ci/run` installs them).
fn installed(test: &str) -> Option<&'static Installed> {
    static INSTALLED: OnceLock<Result<Installed, String>> = OnceLock::new();
    if !(have_compilers(test) && support::require_tool_with("pkg-config", "--version", test)) {
        return None;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let have_cargo_c = Command::new(&cargo)
        .args(["cinstall", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_cargo_c {
        if support::in_ci() {
            panic!(
                "{test}: cargo-c is required in CI (.ci/run installs it: \
                 cargo install --locked cargo-c --version 0.10.24)"
            );
        }
        eprintln!(
            "skipped {test}: cargo-c not found (cargo install --locked cargo-c --version 0.10.24)"
        );
        return None;
    }
    let installed = INSTALLED.get_or_init(|| {
        // target/<profile>/deps/c_abi-<hash>: the profile and the target directory.
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("no target/<profile> directory")?;
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let capi = profile_dir
            .parent()
            .ok_or("no target directory")?
            .join("capi");
        let prefix = capi.join(if release {
            "prefix-release"
        } else {
            "prefix-debug"
        });
        if prefix.exists() {
            fs::remove_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
        }
        let lib = prefix.join("lib");
        let features: Vec<&str> = [
            ("live", cfg!(feature = "live")),
            ("tls-rustls", cfg!(feature = "tls-rustls")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let mut cmd = Command::new(&cargo);
        cmd.arg("cinstall")
            .arg(if release { "--release" } else { "--debug" })
            .arg("--prefix")
            .arg(&prefix)
            .arg("--libdir")
            .arg(&lib)
            .arg("--no-default-features")
            .arg(format!("--features={}", features.join(",")))
            .env("CARGO_TARGET_DIR", &capi)
            .current_dir(support::root());
        let start = std::time::Instant::now();
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{cmd:?} failed: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        eprintln!(
            "cargo cinstall into {} took {:.1} s",
            prefix.display(),
            start.elapsed().as_secs_f64()
        );
        Ok(Installed { prefix, lib })
    });
    match installed {
        Ok(installed) => Some(installed),
        Err(e) => panic!("{test}: installing the library: {e}"),
    }
}

fn write_dump(
    path: &Path,
    kind: u32,
    timescale: u32,
    bitrate: u32,
    config: &[u8],
    samples: &[(Vec<u8>, bool, u64, u64, u64)],
) {
    let mut out = Vec::new();
    out.extend_from_slice(b"SSFD");
    for v in [kind, timescale, bitrate, config.len() as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(config);
    for (data, sync, dts, cts, duration) in samples {
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&u32::from(*sync).to_le_bytes());
        for v in [*dts, *cts, *duration] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(data);
    }
    fs::write(path, out).expect("write dump");
}

/// One access unit: `(data, keyframe, dts, cts_offset)`.
type VideoFrame = (Vec<u8>, bool, u64, u64);

/// The access units of a bundled H.264 sample file (4-byte NAL lengths) in decode order,
/// timed from their picture order counts with `frame_ticks` per frame, as
/// `(data, keyframe, dts, cts_offset)`; and its SPS and PPS as a sequence header (each
/// behind a 2-byte big-endian length, as MPEG2VIDEOINFO and the dumps carry them).
fn read_video(source: &str, frame_ticks: u64) -> (Vec<u8>, Vec<VideoFrame>) {
    let file = fs::File::open(support::root().join("sample").join(source)).expect("open sample");
    let mut reader = AccessUnitReader::new(std::io::BufReader::new(file));
    let mut timing = PtsFromPoc::new(frame_ticks, None);
    let mut samples = Vec::new();
    let mut sequence_header = Vec::new();
    let drain = |timing: &mut PtsFromPoc<(Vec<u8>, bool)>, samples: &mut Vec<_>| {
        while let Some(f) = timing.pop().expect("timing") {
            let (data, sync) = f.payload;
            samples.push((data, sync, f.dts, u64::from(f.cts_offset)));
        }
    };
    while let Some(au) = reader.next_access_unit().expect("read access unit") {
        if let (true, Some(sps), Some(pps)) = (sequence_header.is_empty(), &au.sps, &au.pps) {
            for ps in [sps, pps] {
                sequence_header.extend_from_slice(&(ps.len() as u16).to_be_bytes());
                sequence_header.extend_from_slice(ps);
            }
        }
        timing
            .push(au.poc, au.starts_period, (au.data.to_vec(), au.is_idr))
            .expect("timing");
        drain(&mut timing, &mut samples);
    }
    timing.finish().expect("timing");
    drain(&mut timing, &mut samples);
    assert_eq!(samples.len(), 250, "{source}: 10 s at 25 fps");
    (sequence_header, samples)
}

/// One H.264 sample file as the encoder stand-in of the C examples sees it: access units
/// with 4-byte NAL lengths in decode order, timed from their picture order counts.
fn dump_video(source: &str, path: &Path) {
    let (sequence_header, frames) = read_video(source, FRAME_TICKS);
    let samples: Vec<_> = frames
        .into_iter()
        .map(|(data, sync, dts, cts)| (data, sync, dts, cts, FRAME_TICKS))
        .collect();
    let bytes: usize = samples.iter().map(|s| s.0.len()).sum();
    write_dump(
        path,
        1,
        VIDEO_TIMESCALE,
        (bytes * 8 / 10) as u32,
        &sequence_header,
        &samples,
    );
}

/// The bundled AAC sample as raw frames, with its AudioSpecificConfig and sampling rate.
fn read_audio() -> (Vec<u8>, u32, Vec<Vec<u8>>) {
    let file =
        fs::File::open(support::root().join("sample").join(AUDIO_SOURCE)).expect("open sample");
    let (mut asc, mut rate, mut frames) = (Vec::new(), 0, Vec::new());
    for frame in AdtsReader::new(std::io::BufReader::new(file)) {
        let (header, data) = frame.expect("ADTS frame");
        if asc.is_empty() {
            asc = header.audio_specific_config().expect("ASC").to_bytes();
            rate = header.sampling_rate();
        }
        frames.push(data.to_vec());
    }
    (asc, rate, frames)
}

/// The AAC sample as raw frames with their AudioSpecificConfig.
fn dump_audio(path: &Path) {
    let (asc, rate, frames) = read_audio();
    let samples: Vec<_> = frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| (data, true, i as u64 * 1024, 0, 1024))
        .collect();
    let bytes: usize = samples.iter().map(|s| s.0.len()).sum();
    write_dump(path, 2, rate, (bytes * 8 / 10) as u32, &asc, &samples);
}

/// The dumps of the bundled sample (made once per run): three videos, then the audio.
fn dumps() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static DUMPS: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    DUMPS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut paths = Vec::new();
        for source in VIDEO_SOURCES {
            let path = dir.path().join(format!("{source}.dump"));
            dump_video(source, &path);
            paths.push(path);
        }
        let audio = dir.path().join("audio.dump");
        dump_audio(&audio);
        paths.push(audio);
        (dir, paths)
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Link {
    Static,
    Shared,
}

/// Compiles `source` (C99 or C++11 by extension) with warnings as errors against the
/// installed library; returns the executable.
fn build(lib: &Installed, source: &str, link: Link, out_dir: &Path) -> PathBuf {
    build_with(lib, source, link, out_dir, "", &[])
}

/// [`build`] with `flags` added to the compiler's command line; `variant` tells the
/// executable apart from the plain build.
///
/// Everything about the library comes from its `ssf.pc`, as a C user's build gets it:
/// `pkg-config --cflags --libs ssf` for the shared library; for the static one
/// `pkg-config --static --cflags --libs ssf` with `-lssf` asking for the archive by name
/// (`-l:libssf.a`), since the linker prefers the shared library it finds beside it.
/// Shared executables find the library through `LD_LIBRARY_PATH` ([`run_example`]), as
/// with any library installed outside the loader's paths.
fn build_with(
    lib: &Installed,
    source: &str,
    link: Link,
    out_dir: &Path,
    variant: &str,
    flags: &[&str],
) -> PathBuf {
    let cpp = source.ends_with(".cpp");
    let exe = out_dir.join(format!(
        "{}_{}{variant}",
        source.split('.').next().unwrap_or(source),
        if link == Link::Static {
            "static"
        } else {
            "shared"
        }
    ));
    let pkg_config = match link {
        Link::Shared => lib.pkg_config(&["--cflags", "--libs"]),
        Link::Static => lib
            .pkg_config(&["--static", "--cflags", "--libs"])
            .into_iter()
            .map(|flag| {
                if flag == "-lssf" {
                    "-l:libssf.a".to_string()
                } else {
                    flag
                }
            })
            .collect(),
    };
    let mut cmd = Command::new(if cpp { "c++" } else { "cc" });
    cmd.arg(if cpp { "-std=c++11" } else { "-std=c99" })
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .args(flags)
        .arg(support::root().join("c-examples").join(source))
        .args(pkg_config)
        .arg("-o")
        .arg(&exe);
    support::run(&mut cmd);
    exe
}

/// Runs a built example, under valgrind when asked, with the installed library on the
/// loader's path; returns its stdout.
fn run_example(lib: &Installed, exe: &Path, args: &[&Path], valgrind: bool) -> String {
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--show-leak-kinds=definite,indirect,possible",
            "-q",
        ])
        .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args).env("LD_LIBRARY_PATH", &lib.lib);
    support::run(&mut cmd)
}

fn top_boxes(data: &[u8]) -> Vec<BoxRef<'_>> {
    reader::boxes(data)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{}", reader::dump(data)))
}

/// Checks a packaged `.ismv`/`.isma`: ftyp, moov, moof/mdat pairs, mfra whose entries
/// point at each moof, contiguous fragment times; returns the number of fragments.
fn check_file(path: &Path) -> usize {
    let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let top = top_boxes(&data);
    let types: Vec<String> = top.iter().map(|b| b.type_str()).collect();
    assert!(types.len() >= 5, "{}: {types:?}", path.display());
    assert_eq!(&types[..2], ["ftyp", "moov"], "{}", path.display());
    assert_eq!(types.last().map(String::as_str), Some("mfra"));
    let middle = &top[2..top.len() - 1];
    assert!(middle.len().is_multiple_of(2));
    let mut expected = Vec::new();
    let mut next_time = None;
    for pair in middle.chunks(2) {
        assert_eq!([pair[0].type_str(), pair[1].type_str()], ["moof", "mdat"]);
        let traf = pair[0].find("traf").unwrap().expect("traf");
        let tfxd = Tfxd::parse(&traf.find_uuid(&TFXD_UUID).unwrap().expect("tfxd")).unwrap();
        if let Some(t) = next_time {
            assert_eq!(tfxd.time, t, "{}: fragments are contiguous", path.display());
        }
        next_time = Some(tfxd.time + tfxd.duration);
        expected.push((tfxd.time, pair[0].offset));
    }
    let mfra = top.last().unwrap();
    let tfra = Tfra::parse(&mfra.find("tfra").unwrap().expect("tfra")).unwrap();
    let entries: Vec<(u64, u64)> = tfra
        .entries
        .iter()
        .map(|e| (e.time, e.moof_offset))
        .collect();
    assert_eq!(
        entries,
        expected,
        "{}: tfra entries point at the moofs",
        path.display()
    );
    expected.len()
}

/// Frame-exact video and bit-exact audio against the sources, and a clean ffprobe read.
fn check_media(videos: &[(PathBuf, &str)], audio: &Path) {
    if !support::require_tool("ffmpeg", "c_abi media check") {
        return;
    }
    for (file, source) in videos {
        support::ffprobe_clean(file);
        let want = support::frame_hashes(&support::root().join("sample").join(source), "v");
        assert_eq!(
            support::frame_hashes(file, "v"),
            want,
            "{}: frames differ from {source}",
            file.display()
        );
    }
    support::ffprobe_clean(audio);
    assert_eq!(
        support::pcm_md5(audio),
        support::pcm_md5(&support::root().join("sample").join(AUDIO_SOURCE)),
        "{}: decoded audio differs",
        audio.display()
    );
}

/// The client manifest's StreamIndex elements as (Type, QualityLevels, fragment count).
fn client_streams(ismc: &Path) -> Vec<(String, usize, usize)> {
    let xml = fs::read_to_string(ismc).expect("read .ismc");
    let mut streams = Vec::new();
    for part in xml.split("<StreamIndex").skip(1) {
        let body = part.split("</StreamIndex>").next().unwrap_or_default();
        let kind = body
            .split("Type=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        streams.push((
            kind,
            body.matches("<QualityLevel").count(),
            body.matches("<c ").count(),
        ));
    }
    streams
}

#[test]
fn committed_headers_match_a_fresh_generation() {
    for name in ["ssf.h", "ssfsdkapi.h"] {
        let fresh = Path::new(env!("OUT_DIR")).join("include").join(name);
        let committed = support::root().join("include").join(name);
        let fresh =
            fs::read_to_string(&fresh).unwrap_or_else(|e| panic!("{}: {e}", fresh.display()));
        let committed = fs::read_to_string(&committed)
            .unwrap_or_else(|e| panic!("{}: {e}", committed.display()));
        assert!(
            fresh == committed,
            "include/{name} is out of date: rebuild with SSF_UPDATE_HEADERS=1 cargo build and commit it"
        );
    }
}

#[test]
fn headers_compile_as_c99_and_cpp11_with_all_warnings() {
    if !have_compilers("headers_compile_as_c99_and_cpp11_with_all_warnings") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // Layouts the original SDK callers rely on, checked by the compiler itself.
    let checks = "typedef char wfx_is_18[sizeof(WAVEFORMATEX) == 18 ? 1 : -1];\n\
        typedef char vih2_is_112[sizeof(VIDEOINFOHEADER2) == 112 ? 1 : -1];\n\
        typedef char mvi_is_136[sizeof(MPEG2VIDEOINFO) == 136 ? 1 : -1];\n\
        typedef char range_is_8[sizeof(SSF_RANGE) == 8 ? 1 : -1];\n\
        typedef char seq_at_132[offsetof(MPEG2VIDEOINFO, dwSequenceHeader) == 132 ? 1 : -1];\n\
        typedef char time_at_40[offsetof(VIDEOINFOHEADER2, AvgTimePerFrame) == 40 ? 1 : -1];\n\
        typedef char bmi_at_72[offsetof(VIDEOINFOHEADER2, bmiHeader) == 72 ? 1 : -1];\n";
    for (header, extra) in [("ssf.h", ""), ("ssfsdkapi.h", checks), ("both", checks)] {
        let includes = if header == "both" {
            "#include \"ssf.h\"\n#include \"ssfsdkapi.h\"\n".to_string()
        } else {
            format!("#include \"{header}\"\n")
        };
        let text =
            format!("{includes}#include <stddef.h>\n{extra}int main(void) {{ return 0; }}\n");
        for (ext, compiler, std) in [("c", "cc", "-std=c99"), ("cpp", "c++", "-std=c++11")] {
            let src = dir.path().join(format!("t.{ext}"));
            fs::write(&src, &text).unwrap();
            support::run(
                Command::new(compiler)
                    .args([
                        std,
                        "-Wall",
                        "-Wextra",
                        "-Werror",
                        "-pedantic",
                        "-fsyntax-only",
                    ])
                    .arg(format!("-I{}", support::root().join("include").display()))
                    .arg(&src),
            );
        }
    }
}

#[test]
fn shared_library_has_a_soname_and_pkg_config_file() {
    const TEST: &str = "shared_library_has_a_soname_and_pkg_config_file";
    let Some(lib) = installed(TEST) else {
        return;
    };
    // What `cargo cinstall` puts in the prefix: both libraries, the shared one under its
    // full version with the SONAME and development links, the committed headers, ssf.pc.
    let link = |name: &str| {
        fs::read_link(lib.lib.join(name)).unwrap_or_else(|e| panic!("lib/{name}: {e}"))
    };
    assert!(lib.lib.join("libssf.a").is_file());
    assert!(lib.lib.join("libssf.so.0.1.0").is_file());
    assert_eq!(link("libssf.so.0"), Path::new("libssf.so.0.1.0"));
    assert_eq!(link("libssf.so"), Path::new("libssf.so.0.1.0"));
    for header in ["ssf.h", "ssfsdkapi.h"] {
        let installed = lib.prefix.join("include/ssf").join(header);
        assert_eq!(
            fs::read(&installed).unwrap_or_else(|e| panic!("{}: {e}", installed.display())),
            fs::read(support::root().join("include").join(header)).unwrap(),
            "the installed {header} is the committed one"
        );
    }
    let pc = fs::read_to_string(lib.lib.join("pkgconfig/ssf.pc")).expect("lib/pkgconfig/ssf.pc");
    assert!(
        pc.contains(&format!("prefix={}", lib.prefix.display())),
        "{pc}"
    );
    assert!(pc.contains("Libs: -L${libdir} -lssf"), "{pc}");
    assert!(pc.contains("Cflags: -I${includedir}/ssf"), "{pc}");
    assert_eq!(
        lib.pkg_config(&["--cflags", "--libs"]),
        [
            format!("-I{}", lib.prefix.join("include/ssf").display()),
            format!("-L{}", lib.lib.display()),
            "-lssf".to_string(),
        ]
    );
    if !support::require_tool_with("readelf", "--version", TEST) {
        return;
    }
    let dynamic = support::run(
        Command::new("readelf")
            .arg("-d")
            .arg(lib.lib.join("libssf.so")),
    );
    assert!(
        dynamic.contains("(SONAME)") && dynamic.contains("[libssf.so.0]"),
        "{dynamic}"
    );
}

#[test]
fn vod_c_packages_the_sample_with_static_and_shared_library() {
    let Some(lib) = installed("vod_c_packages_the_sample_with_static_and_shared_library") else {
        return;
    };
    // vod.c reads the bundled sample files themselves through ssf_input.
    let sources: Vec<PathBuf> = VIDEO_SOURCES
        .iter()
        .chain([&AUDIO_SOURCE])
        .map(|f| support::root().join("sample").join(f))
        .collect();
    let args: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    let work = tempfile::tempdir().expect("temp dir");
    for link in [Link::Static, Link::Shared] {
        let exe = build(lib, "vod.c", link, work.path());
        let out = work.path().join(format!("{link:?}"));
        let mut full = vec![out.as_path(), Path::new("sample")];
        full.extend(&args);
        let stdout = run_example(lib, &exe, &full, false);
        assert!(
            stdout.contains("packaged 1220 samples from 4 streams"),
            "{stdout}"
        );

        let mut ismv: Vec<PathBuf> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ismv"))
            .collect();
        ismv.sort();
        assert_eq!(ismv.len(), 3, "{ismv:?}");
        let isma = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "isma"))
            .expect("an .isma");
        for file in &ismv {
            assert_eq!(
                check_file(file),
                5,
                "{}: a fragment per 2 s GOP",
                file.display()
            );
        }
        assert_eq!(check_file(&isma), 6, "audio: 10.03 s in 2 s fragments");
        let streams = client_streams(&out.join("sample.ismc"));
        assert_eq!(
            streams,
            [("video".to_string(), 3, 5), ("audio".to_string(), 1, 6)],
            "client manifest"
        );
        let ism = fs::read_to_string(out.join("sample.ism")).unwrap();
        for file in ismv.iter().chain([&isma]) {
            let name = file.file_name().unwrap().to_string_lossy();
            assert!(
                ism.contains(&format!("src=\"{name}\"")),
                "{name} missing from the .ism"
            );
        }
        if link == Link::Static {
            // Which video file holds which source: the bitrates sort like the sources.
            let mut by_size: Vec<&PathBuf> = ismv.iter().collect();
            by_size.sort_by_key(|p| fs::metadata(p).unwrap().len());
            let videos: Vec<(PathBuf, &str)> =
                by_size.into_iter().cloned().zip(VIDEO_SOURCES).collect();
            check_media(&videos, &isma);
        }
    }
}

#[test]
fn legacy_vod_cpp_runs_unchanged_against_the_compatible_api() {
    let Some(lib) = installed("legacy_vod_cpp_runs_unchanged_against_the_compatible_api") else {
        return;
    };
    let (_, dumps) = dumps();
    let work = tempfile::tempdir().expect("temp dir");
    for link in [Link::Static, Link::Shared] {
        let exe = build(lib, "legacy_vod.cpp", link, work.path());
        let out = work.path().join(format!("{link:?}"));
        fs::create_dir_all(&out).unwrap();
        let stdout = run_example(lib, &exe, &[&out, &dumps[0], &dumps[3]], false);
        assert!(stdout.contains("packaged 720 samples"), "{stdout}");
        let video = out.join("video.ismv");
        let audio = out.join("audio.isma");
        assert_eq!(check_file(&video), 5, "video: a fragment per 2 s GOP");
        // The program cuts audio at the first frame 2 s or more after the fragment start,
        // so the fragments drift by up to a frame each and the last one absorbs the tail.
        assert_eq!(check_file(&audio), 5, "audio: a fragment per 2 s");
        let streams = client_streams(&out.join("legacy.ismc"));
        assert_eq!(
            streams,
            [("video".to_string(), 1, 5), ("audio".to_string(), 1, 5)]
        );
        let ism = fs::read_to_string(out.join("legacy.ism")).unwrap();
        assert!(
            ism.contains("src=\"video.ismv\"") && ism.contains("src=\"audio.isma\""),
            "{ism}"
        );
        assert!(ism.contains("legacy.ismc"), "{ism}");
        if link == Link::Static {
            check_media(&[(video, VIDEO_SOURCES[0])], &audio);
        }
    }
}

/// `ticks` of a `timescale` in 100 ns units, rounded as the muxer rounds.
fn to_100ns(ticks: u64, timescale: u32) -> u64 {
    let ts = u64::from(timescale);
    (ticks * 10_000_000 + ts / 2) / ts
}

/// Runs live.c to each server in `servers` with `dumps` and checks what each received:
/// per stream path, every POST starts ftyp, manifest box, moov (the manifest listing
/// exactly the POST's tracks), then moof/mdat pairs with increasing tfxd times and mfhd
/// numbers; the fragments are contiguous from 0 to the stream's end (every fragment
/// arrived) and the POST closed with the end-of-stream mfra. Returns live.c's stdout.
#[cfg(feature = "live")]
fn push_with_live_c(
    lib: &Installed,
    exe: &Path,
    servers: &[&live_server::Server],
    dumps: &[&Path],
    valgrind: bool,
) -> String {
    let urls: Vec<PathBuf> = servers.iter().map(|s| PathBuf::from(s.url("ch"))).collect();
    let mut args: Vec<&Path> = urls.iter().map(PathBuf::as_path).collect();
    args.push(Path::new("--"));
    args.extend(dumps);
    let stdout = run_example(lib, exe, &args, valgrind);
    // The end of every stream in 100 ns: 250 frames at 25 fps; the AAC frames.
    let (mut audio_frames, mut audio_rate) = (0u64, 1u32);
    for frame in AdtsReader::new(std::io::BufReader::new(
        fs::File::open(support::root().join("sample").join(AUDIO_SOURCE)).expect("open sample"),
    )) {
        audio_rate = frame.expect("ADTS frame").0.sampling_rate();
        audio_frames += 1;
    }
    for server in servers {
        let mut paths: Vec<String> = server
            .requests()
            .into_iter()
            .filter(|r| !r.probe)
            .map(|r| r.path)
            .collect();
        paths.sort();
        paths.dedup();
        assert_eq!(
            paths.len(),
            dumps.len(),
            "one stream path per dump: {paths:?}"
        );
        for path in &paths {
            let posts = server.posts(path);
            let received = live_server::check_stream(&posts);
            live_server::assert_contiguous(&received);
            assert_eq!(received.first().map(|f| f.time), Some(0), "{path}");
            let end = if path.ends_with(".isma)") {
                to_100ns(audio_frames * 1024, audio_rate)
            } else {
                to_100ns(250 * FRAME_TICKS, VIDEO_TIMESCALE)
            };
            let last = received.last().expect("fragments");
            assert_eq!(last.time + last.duration, end, "{path}: fragments missing");
            let final_post = posts.last().expect("a POST");
            assert!(final_post.complete, "{path}: the POST was ended");
            assert!(
                live_server::parse_post(&final_post.body).end_of_stream,
                "{path}: end-of-stream mfra"
            );
        }
    }
    stdout
}

#[cfg(feature = "live")]
#[test]
fn live_c_pushes_the_sample_to_two_points_with_static_and_shared_library() {
    use live_server::{Behavior, Server};
    let Some(lib) =
        installed("live_c_pushes_the_sample_to_two_points_with_static_and_shared_library")
    else {
        return;
    };
    let (_, dumps) = dumps();
    let args: Vec<&Path> = dumps.iter().map(PathBuf::as_path).collect();
    let work = tempfile::tempdir().expect("temp dir");
    for link in [Link::Static, Link::Shared] {
        let exe = build(lib, "live.c", link, work.path());
        let (a, b) = (
            Server::start(|_, _| Behavior::Normal),
            Server::start(|_, _| Behavior::Normal),
        );
        let stdout = push_with_live_c(lib, &exe, &[&a, &b], &args, false);
        assert!(
            stdout.contains(
                "pushed 1220 samples from 4 streams to 2 points: 8 of 8 connections succeeded"
            ),
            "{stdout}"
        );
        assert_eq!(stdout.matches("final: point").count(), 16, "{stdout}");
    }
}

#[test]
fn bad_input_through_the_abi_returns_errors_with_messages() {
    let Some(lib) = installed("bad_input_through_the_abi_returns_errors_with_messages") else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let exe = build(lib, "bad_input.c", Link::Static, work.path());
    // A presentation owns its directory: give the finished writer a new one.
    let stdout = run_example(lib, &exe, &[&work.path().join("finished")], false);
    assert!(stdout.contains("bad-input cases ok"), "{stdout}");
}

/// Whether the C compiler can build and run a program with AddressSanitizer. Outside CI
/// a toolchain without it skips the test with one line; in CI (gcc ships libasan) its
/// absence fails the test.
fn have_asan(test: &str) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("probe.c");
    let exe = dir.path().join("probe");
    fs::write(&src, "int main(void) { return 0; }\n").expect("write probe");
    let ok = Command::new("cc")
        .args(["-fsanitize=address", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new(&exe)
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    if support::in_ci() {
        panic!("{test}: cc -fsanitize=address is required in CI (gcc ships libasan)");
    }
    eprintln!("skipped {test}: cc cannot build with -fsanitize=address (no libasan)");
    false
}

#[test]
fn two_threads_on_one_handle_get_busy_natively_and_under_asan() {
    const TEST: &str = "two_threads_on_one_handle_get_busy_natively_and_under_asan";
    let Some(lib) = installed(TEST) else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let native = build_with(
        lib,
        "threads.c",
        Link::Shared,
        work.path(),
        "",
        &["-pthread"],
    );
    let stdout = run_example(lib, &native, &[], false);
    assert!(stdout.contains("threads ok"), "{stdout}");
    if !have_asan(TEST) {
        return;
    }
    // Only the C side is instrumented, but ASan replaces malloc and free for the whole
    // process, so a double free or a use after free in the library is caught too.
    let asan = build_with(
        lib,
        "threads.c",
        Link::Static,
        work.path(),
        "_asan",
        &["-pthread", "-fsanitize=address", "-fno-omit-frame-pointer"],
    );
    let out = Command::new(&asan)
        .env("ASAN_OPTIONS", "halt_on_error=1:detect_leaks=1")
        .output()
        .expect("run threads under ASan");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("threads ok"),
        "{}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("AddressSanitizer"), "{stderr}");
}

#[test]
fn examples_and_bad_input_are_clean_under_valgrind() {
    const TEST: &str = "examples_and_bad_input_are_clean_under_valgrind";
    if !support::require_tool_with("valgrind", "--version", TEST) {
        return;
    }
    let Some(lib) = installed(TEST) else {
        return;
    };
    let (_, dumps) = dumps();
    let work = tempfile::tempdir().expect("temp dir");
    let bad = build(lib, "bad_input.c", Link::Shared, work.path());
    let finished = work.path().join("finished");
    assert!(run_example(lib, &bad, &[&finished], true).contains("bad-input cases ok"));
    // One video and the audio keep the run short; every code path is the same.
    let vod = build(lib, "vod.c", Link::Shared, work.path());
    let out = work.path().join("vod");
    let sample = |f: &str| support::root().join("sample").join(f);
    let stdout = run_example(
        lib,
        &vod,
        &[
            &out,
            Path::new("sample"),
            &sample(VIDEO_SOURCES[0]),
            &sample(AUDIO_SOURCE),
        ],
        true,
    );
    assert!(
        stdout.contains("packaged 720 samples from 2 streams"),
        "{stdout}"
    );
    let legacy = build(lib, "legacy_vod.cpp", Link::Static, work.path());
    let out = work.path().join("legacy");
    fs::create_dir_all(&out).unwrap();
    let stdout = run_example(lib, &legacy, &[&out, &dumps[0], &dumps[3]], true);
    assert!(stdout.contains("packaged 720 samples"), "{stdout}");
}

#[cfg(feature = "live")]
#[test]
fn live_c_is_clean_under_valgrind() {
    use live_server::{Behavior, Server};
    const TEST: &str = "live_c_is_clean_under_valgrind";
    if !support::require_tool_with("valgrind", "--version", TEST) {
        return;
    }
    let Some(lib) = installed(TEST) else {
        return;
    };
    let (_, dumps) = dumps();
    let work = tempfile::tempdir().expect("temp dir");
    let exe = build(lib, "live.c", Link::Shared, work.path());
    let server = Server::start(|_, _| Behavior::Normal);
    // One video and the audio keep the run short; every code path is the same.
    let stdout = push_with_live_c(lib, &exe, &[&server], &[&dumps[0], &dumps[3]], true);
    assert!(
        stdout.contains(
            "pushed 720 samples from 2 streams to 1 points: 2 of 2 connections succeeded"
        ),
        "{stdout}"
    );
}

/// One stream for [`package_with_compat`]: its type-specific info and samples
/// `(data, presentation time, duration, keyframe)` in decode order, times in 100 ns.
struct CompatStream {
    kind: u32,
    type_info: Vec<u8>,
    file: &'static str,
    samples: Vec<(Vec<u8>, u64, u64, bool)>,
}

/// What the compatible API handed out for one stream of [`drive_compat`].
#[derive(Debug, PartialEq, Eq)]
struct CompatOutput {
    /// `SSFMuxGetHeader` right after the stream was added.
    header: Vec<u8>,
    /// Each `SSFMuxProcessOutput`, in order.
    fragments: Vec<Vec<u8>>,
    /// `SSFMuxGetIndex` at the end.
    index: Vec<u8>,
    /// `SSFMuxGetHeader` at the end.
    final_header: Vec<u8>,
}

/// A sample slipped into a [`drive_compat`] run that must be refused with E_INVALIDARG:
/// stream, the sample it comes before, presentation time.
type BadSample = (usize, usize, u64);

/// Drives the compatible API from Rust the way legacy_vod.cpp and live SDK encoders do:
/// `options` first; each stream added and its header asked at once; then stream by
/// stream, its samples with AdjustDuration + ProcessOutput at each keyframe 2 s past the
/// fragment start, the last fragment, the index and the header again. The `bad` samples
/// are slipped in where they say, each must be refused; returns what every stream handed
/// out and the refusals' messages.
fn drive_compat(
    streams: &[CompatStream],
    options: &[(u32, Vec<u8>)],
    bad: &[BadSample],
) -> (Vec<CompatOutput>, Vec<String>) {
    use ssf::ffi::compat::*;
    const TWO_SECONDS: u64 = 20_000_000;
    const E_INVALIDARG: i32 = 0x8007_0057_u32 as i32;
    let buffer = || SSF_BUFFER {
        pbBuffer: std::ptr::null_mut(),
        cbBuffer: 0,
        qwTime: 0,
        qwDuration: 0,
    };
    // SAFETY: the slice is the library's output, valid until the next call.
    let bytes = |b: &SSF_BUFFER| {
        if b.cbBuffer == 0 {
            return Vec::new();
        }
        unsafe { std::slice::from_raw_parts(b.pbBuffer, b.cbBuffer as usize) }.to_vec()
    };
    let sample = |data: &[u8], pts: u64, duration: u64, key: bool| SSF_SAMPLE {
        pSampleData: data.as_ptr().cast_mut().cast(),
        cbSampleData: data.len() as u32,
        flags: SSF_SAMPLE_FLAG_START_TIME | SSF_SAMPLE_FLAG_DURATION | SSF_SAMPLE_FLAG_FRAME_TYPE,
        qwSampleStartTime: pts,
        qwSampleDuration: duration,
        FrameType: if key { FRAMETYPE_I } else { FRAMETYPE_P },
        pUserData: std::ptr::null_mut(),
        cbUserData: 0,
        prgProtectedRanges: std::ptr::null_mut(),
        cProtectedRanges: 0,
    };
    let mut mux = std::ptr::null_mut();
    let mut outputs = Vec::new();
    let mut refusals = Vec::new();
    // SAFETY (whole block): every pointer passed is valid for its call, and the handle is
    // destroyed once at the end.
    unsafe {
        let message = |mux| {
            std::ffi::CStr::from_ptr(SSFMuxGetLastErrorMessage(mux))
                .to_string_lossy()
                .into_owned()
        };
        assert_eq!(SSFMuxCreate(&mut mux), 0);
        for (option, value) in options {
            let hr = SSFMuxSetOption(mux, *option, value.as_ptr().cast(), value.len() as u32);
            assert_eq!(hr, 0, "option {option}: {}", message(mux));
        }
        let mut indices = Vec::new();
        for s in streams {
            let name: Vec<u16> = s.file.encode_utf16().chain([0]).collect();
            let info = SSF_STREAM_INFO {
                streamType: s.kind,
                dwBitrate: 500_000,
                dwBitrateID: 0,
                dwHardwareProfile: 0,
                pTypeSpecificInfo: s.type_info.as_ptr().cast(),
                cbTypeSpecificInfo: s.type_info.len() as u32,
                wLanguage: 0,
                pszSourceFileName: name.as_ptr(),
                pszTrackName: std::ptr::null(),
            };
            let mut index = 0;
            let hr = SSFMuxAddStream(mux, &info, &mut index);
            assert_eq!(hr, 0, "{}: {}", s.file, message(mux));
            let mut header = buffer();
            let hr = SSFMuxGetHeader(mux, &index, 1, &mut header);
            assert_eq!(hr, 0, "{}: header at once: {}", s.file, message(mux));
            outputs.push(CompatOutput {
                header: bytes(&header),
                fragments: Vec::new(),
                index: Vec::new(),
                final_header: Vec::new(),
            });
            indices.push(index);
        }
        for (n, (s, &index)) in streams.iter().zip(&indices).enumerate() {
            let out = &mut outputs[n];
            let mut start = None;
            let mut end = 0;
            let mut cut = |at: u64| {
                assert_eq!(SSFMuxAdjustDuration(mux, index, at), 0, "{}", message(mux));
                let mut fragment = buffer();
                assert_eq!(SSFMuxProcessOutput(mux, index, &mut fragment), 0);
                out.fragments.push(bytes(&fragment));
            };
            for (i, (data, pts, duration, key)) in s.samples.iter().enumerate() {
                for &(_, _, bad_pts) in bad.iter().filter(|b| (b.0, b.1) == (n, i)) {
                    let mut refused = sample(data, bad_pts, *duration, false);
                    let hr = SSFMuxProcessInput(mux, index, &mut refused);
                    assert_eq!(hr, E_INVALIDARG, "{}: sample at {bad_pts}", s.file);
                    refusals.push(message(mux));
                }
                if *key && start.is_some_and(|t| pts - t >= TWO_SECONDS) {
                    cut(*pts);
                    start = None;
                }
                start.get_or_insert(*pts);
                let mut input = sample(data, *pts, *duration, *key);
                let hr = SSFMuxProcessInput(mux, index, &mut input);
                assert_eq!(hr, 0, "{}: {}", s.file, message(mux));
                end = end.max(pts + duration);
            }
            cut(end);
            let mut mfra = buffer();
            assert_eq!(SSFMuxGetIndex(mux, &index, 1, &mut mfra), 0);
            out.index = bytes(&mfra);
            let mut header = buffer();
            assert_eq!(SSFMuxGetHeader(mux, &index, 1, &mut header), 0);
            out.final_header = bytes(&header);
        }
        assert_eq!(SSFMuxDestroy(mux), 0);
    }
    (outputs, refusals)
}

/// Packages `streams` on demand through the compatible API ([`drive_compat`]) into one
/// file per stream in `dir`: header, fragments, index, then the final header rewritten
/// in place (same size).
fn package_with_compat(dir: &Path, streams: &[CompatStream]) {
    let (outputs, _) = drive_compat(streams, &[], &[]);
    for (s, out) in streams.iter().zip(outputs) {
        assert_eq!(
            out.final_header.len(),
            out.header.len(),
            "the header keeps its size"
        );
        let mut file = out.final_header;
        for fragment in &out.fragments {
            file.extend_from_slice(fragment);
        }
        file.extend_from_slice(&out.index);
        fs::write(dir.join(s.file), file).unwrap();
    }
}

/// The bundled 360p H.264 and AAC samples as an encoder hands them to the compatible
/// API, times in 100 ns: an MPEG2VIDEOINFO with the SPS and PPS (4-byte NAL lengths) and
/// the access units in decode order with their presentation times; a WAVEFORMATEX with
/// the AudioSpecificConfig and the raw AAC frames.
fn compat_sample() -> [CompatStream; 2] {
    const FRAME: u64 = 400_000;
    let (sequence_header, frames) = read_video(VIDEO_SOURCES[0], FRAME);
    let video = frames
        .into_iter()
        .map(|(data, key, dts, cts)| (data, dts + cts, FRAME, key))
        .collect();
    // MPEG2VIDEOINFO: biCompression 'AVC1' at 88, cbSequenceHeader at 116, dwFlags (the
    // NAL length size) at 128, dwSequenceHeader from 132.
    let mut mvi = vec![0u8; 132];
    mvi[88..92].copy_from_slice(b"AVC1");
    mvi[116..120].copy_from_slice(&(sequence_header.len() as u32).to_le_bytes());
    mvi[128..132].copy_from_slice(&4u32.to_le_bytes());
    mvi.extend_from_slice(&sequence_header);

    let (asc, rate, frames) = read_audio();
    let at = |i: usize| to_100ns(i as u64 * 1024, rate);
    let audio = frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| (data, at(i), at(i + 1) - at(i), true))
        .collect();
    // WAVEFORMATEX: WAVE_FORMAT_RAW_AAC1, 2 channels, the rate, cbSize, then the ASC.
    let mut wave = Vec::new();
    for v in [0x00FFu16, 2] {
        wave.extend_from_slice(&v.to_le_bytes());
    }
    for v in [rate, 16_000] {
        wave.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u16, 16, asc.len() as u16] {
        wave.extend_from_slice(&v.to_le_bytes());
    }
    wave.extend_from_slice(&asc);
    [
        CompatStream {
            kind: ssf::ffi::compat::SSF_STREAM_VIDEO,
            type_info: mvi,
            file: "video.ismv",
            samples: video,
        },
        CompatStream {
            kind: ssf::ffi::compat::SSF_STREAM_AUDIO,
            type_info: wave,
            file: "audio.isma",
            samples: audio,
        },
    ]
}

#[test]
fn compatible_api_refuses_a_bad_sample_alone_and_muxes_the_rest_unchanged() {
    let streams = compat_sample();
    let pts = |stream: usize, i: usize| streams[stream].samples[i].1;
    // In the order the run meets them (stream by stream): the user's cases (100 and
    // u64::MAX mid-fragment, in the first and a later fragment), a frame 100 ticks after
    // another (next to it, or 24 frames later in decode order), a 1000 s jump, a time
    // already taken. Video fragments are 50 frames (2 s GOPs, the first keyframe
    // presented at 400 000), audio ones about 94.
    let bad: Vec<(BadSample, &str)> = vec![
        ((0, 1, pts(0, 0) + 100), "cannot share"),
        ((0, 25, 100), "before the keyframe"),
        ((0, 25, pts(0, 0) + 100), "too far from its neighbours"),
        ((0, 25, u64::MAX), "does not fit"),
        ((0, 30, pts(0, 29) + 10_000_000_000), "over 32 bits"),
        ((0, 125, 100), "before the keyframe"),
        ((0, 125, u64::MAX), "does not fit"),
        ((0, 140, pts(0, 130)), "already the time of another sample"),
        ((1, 40, 100), "presentation order"),
        ((1, 40, u64::MAX), "does not fit"),
        ((1, 140, 100), "presentation order"),
        ((1, 140, u64::MAX), "does not fit"),
        ((1, 141, pts(1, 140) + 100), "cannot share"),
    ];
    let (clean, none) = drive_compat(&streams, &[], &[]);
    assert!(none.is_empty());
    let samples: Vec<BadSample> = bad.iter().map(|b| b.0).collect();
    let (with_bad, refusals) = drive_compat(&streams, &[], &samples);
    assert_eq!(refusals.len(), bad.len());
    for (((stream, _, _), why), message) in bad.iter().zip(&refusals) {
        assert!(
            message.starts_with(&format!("stream {stream}, sample ")) && message.contains(why),
            "{why}: {message}"
        );
    }
    for (n, (a, b)) in clean.iter().zip(&with_bad).enumerate() {
        assert_eq!(a.fragments.len(), b.fragments.len(), "stream {n}");
        assert!(
            a == b,
            "stream {n}: output differs from the run without bad samples"
        );
    }
    assert_eq!(clean[0].fragments.len(), 5);
}

/// Checks what one stream of a compatible-API live run pushed, header + fragments + end
/// of stream, with the box reader: `ftyp`, the Live Server Manifest box listing this
/// stream's track only (its bit rate and `manifest` attributes), `moov` with zero
/// durations, `moof`/`mdat` pairs whose `tfxd` times follow each other from `start` to
/// `end`, then the 8-byte empty `mfra`. Returns the number of fragments.
fn check_live_stream(
    body: &[u8],
    track_id: u32,
    manifest: &[&str],
    (start, end): (u64, u64),
) -> usize {
    use ssf::isobmff::uuids::LIVE_SERVER_MANIFEST_UUID;
    let top = top_boxes(body);
    let types: Vec<String> = top.iter().map(|b| b.type_str()).collect();
    assert_eq!(&types[..3], ["ftyp", "uuid", "moov"], "{types:?}");
    assert!(top[1].is_uuid(&LIVE_SERVER_MANIFEST_UUID));
    let (_, _, xml) = top[1].full_box().expect("manifest box");
    let xml = std::str::from_utf8(xml).expect("manifest is UTF-8");
    assert_eq!(xml.matches("name=\"trackID\"").count(), 1, "{xml}");
    assert!(
        xml.contains(&format!("name=\"trackID\" value=\"{track_id}\"")),
        "{xml}"
    );
    for attribute in manifest {
        assert!(xml.contains(attribute), "{attribute} not in {xml}");
    }
    let mvhd = reader::Mvhd::parse(&top[2].find("mvhd").unwrap().expect("mvhd")).unwrap();
    assert_eq!(mvhd.duration, 0, "a live moov has no duration");
    let last = top.last().expect("boxes");
    assert_eq!((last.type_str(), last.size()), ("mfra".to_string(), 8));
    let pairs = &top[3..top.len() - 1];
    assert!(!pairs.is_empty() && pairs.len().is_multiple_of(2));
    let mut next = start;
    for pair in pairs.chunks(2) {
        assert_eq!([pair[0].type_str(), pair[1].type_str()], ["moof", "mdat"]);
        let traf = pair[0].find("traf").unwrap().expect("traf");
        let tfxd = Tfxd::parse(&traf.find_uuid(&TFXD_UUID).unwrap().expect("tfxd")).unwrap();
        assert_eq!(tfxd.time, next, "fragments follow each other");
        next = tfxd.time + tfxd.duration;
    }
    assert_eq!(next, end, "the fragments cover the stream");
    pairs.len() / 2
}

#[test]
fn compatible_api_live_header_comes_before_any_sample_and_the_push_decodes() {
    use ssf::ffi::compat::*;
    const TEST: &str = "compatible_api_live_header_comes_before_any_sample_and_the_push_decodes";
    let streams = compat_sample();
    // What a live SDK encoder sets, then AddStream + GetHeader at once per stream
    // (drive_compat asserts each header call succeeds before any sample).
    let options = [
        (
            SSF_MUX_OPTION_TIME_SCALE,
            10_000_000i64.to_ne_bytes().to_vec(),
        ),
        (SSF_MUX_OPTION_LIVE_MODE, 1u32.to_ne_bytes().to_vec()),
        (
            SSF_MUX_OPTION_ENABLE_STREAM_MANIFEST_BOX_FOR_LIVE_MODE,
            1u32.to_ne_bytes().to_vec(),
        ),
    ];
    let (outputs, _) = drive_compat(&streams, &options, &[]);
    let sps_hex: String = streams[0].type_info[134..]
        .iter()
        .take(4)
        .map(|b| format!("{b:02X}"))
        .collect();
    let work = tempfile::tempdir().expect("temp dir");
    for (n, (s, out)) in streams.iter().zip(&outputs).enumerate() {
        assert_eq!(
            out.final_header, out.header,
            "{}: the header given before any sample is the one the stream keeps",
            s.file
        );
        let mut body = out.header.clone();
        for fragment in &out.fragments {
            body.extend_from_slice(fragment);
        }
        let pushed_media = body.len();
        body.extend_from_slice(&out.index);
        let start = s.samples.iter().map(|x| x.1).min().unwrap_or(0);
        let end = s.samples.iter().map(|x| x.1 + x.2).max().unwrap_or(0);
        let manifest: Vec<String> = if n == 0 {
            vec![
                "<video systemBitrate=\"500000\">".into(),
                "name=\"FourCC\" value=\"H264\"".into(),
                format!("name=\"CodecPrivateData\" value=\"00000001{sps_hex}"),
                "name=\"MaxWidth\" value=\"640\"".into(),
            ]
        } else {
            vec![
                "<audio systemBitrate=\"500000\">".into(),
                "name=\"FourCC\" value=\"AACL\"".into(),
                "name=\"SamplingRate\" value=\"48000\"".into(),
            ]
        };
        let manifest: Vec<&str> = manifest.iter().map(String::as_str).collect();
        let fragments = check_live_stream(&body, n as u32 + 1, &manifest, (start, end));
        assert_eq!(fragments, out.fragments.len());
        fs::write(work.path().join(s.file), &body[..pushed_media]).unwrap();
    }
    if !support::require_tool("ffmpeg", TEST) {
        return;
    }
    // What a receiver stored (header + fragments) decodes to the source's frames.
    let video = work.path().join(streams[0].file);
    assert_eq!(
        support::frame_hashes(&video, "v"),
        support::frame_hashes(&support::root().join("sample").join(VIDEO_SOURCES[0]), "v"),
        "pushed video frames differ from the source"
    );
    assert_eq!(
        support::pcm_md5(&work.path().join(streams[1].file)),
        support::pcm_md5(&support::root().join("sample").join(AUDIO_SOURCE)),
        "pushed audio differs from the source"
    );
}

#[test]
fn compatible_api_packages_vc1_and_wma_pro_frame_exactly() {
    use ssf::codec::wma::{WmaConfig, samples_to_100ns};
    use ssf::input::asf::AsfReader;
    use ssf::input::vc1::{Vc1FrameReader, pts_order};
    const TEST: &str = "compatible_api_packages_vc1_and_wma_pro_frame_exactly";
    let Some(media) = support::shared_media(TEST) else {
        return;
    };
    if !support::require_tool("ffmpeg", TEST) {
        return;
    }
    // VC-1 at 24 fps: VIDEOINFOHEADER2 'WVC1' + sequence header and entry point; DirectShow
    // presentation times in decode order.
    let es = fs::read(media.join("vc1_ap.vc1")).unwrap();
    let mut frames = Vec::new();
    let mut reader = Vc1FrameReader::new(&es[..]);
    while let Some(f) = reader.next_frame().unwrap() {
        frames.push(f);
    }
    let order = pts_order(&frames.iter().map(|f| f.frame_type).collect::<Vec<_>>());
    let time = |i: u64| i * 10_000_000 / 24;
    let video_samples = frames
        .iter()
        .zip(&order)
        .map(|(f, &p)| (f.data.to_vec(), time(p), time(p + 1) - time(p), f.sync))
        .collect();
    let mut vih = vec![0u8; 112];
    vih[88..92].copy_from_slice(b"WVC1");
    vih.extend_from_slice(&es[..26]);

    // WMA Pro: the ASF file's WAVEFORMATEX and its media objects, timed by their ASF
    // times snapped to the codec's frame grid, in 100 ns.
    let wma_path = media.join("wmapro_44k.wma");
    let mut asf =
        AsfReader::new(std::io::BufReader::new(fs::File::open(&wma_path).unwrap())).unwrap();
    let wave = asf.audio().wave_format.clone();
    let wma = WmaConfig::from_wave_format(&wave).unwrap();
    let mut blocks = Vec::new();
    while let Some(p) = asf.next_payload().unwrap() {
        blocks.push((wma.snap_time_ms(p.presentation_time_ms), p.data.to_vec()));
    }
    let origin = blocks[0].0;
    let at = |samples: u64| samples_to_100ns(samples - origin, wma.sampling_rate()).unwrap();
    let audio_samples: Vec<_> = blocks
        .iter()
        .enumerate()
        .map(|(i, (t, data))| {
            let duration = match blocks.get(i + 1) {
                Some((next, _)) => at(*next) - at(*t),
                None => at(*t) - at(blocks[i - 1].0),
            };
            (data.clone(), at(*t), duration, true)
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    package_with_compat(
        dir.path(),
        &[
            CompatStream {
                kind: ssf::ffi::compat::SSF_STREAM_VIDEO,
                type_info: vih,
                file: "video.ismv",
                samples: video_samples,
            },
            CompatStream {
                kind: ssf::ffi::compat::SSF_STREAM_AUDIO,
                type_info: wave,
                file: "audio.isma",
                samples: audio_samples,
            },
        ],
    );
    let (ismv, isma) = (dir.path().join("video.ismv"), dir.path().join("audio.isma"));
    check_file(&ismv);
    check_file(&isma);
    support::ffprobe_clean(&ismv);
    let hashes = support::frame_hashes(&ismv, "v");
    assert_eq!(hashes.len(), 120);
    assert_eq!(
        hashes,
        support::frame_hashes(&media.join("vc1_ap.vc1"), "v")
    );
    assert_eq!(support::pcm_md5(&isma), support::pcm_md5(&wma_path));
}
