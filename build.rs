//! Build script: generates the C headers `ssf.h` (native API) and `ssfsdkapi.h` (the
//! Microsoft-compatible API) from `src/ffi` with cbindgen into `OUT_DIR/include`.
//! `tests/c_abi.rs` fails when they differ from the committed `include/` copies; run
//! with `SSF_UPDATE_HEADERS=1` to rewrite those. A generation failure only warns, so the
//! Rust build never breaks on it.
//!
//! Everything else a C library needs (the static and shared libraries, the SONAME
//! `libssf.so.0`, `ssf.pc`, installing the committed headers) is cargo-c's job:
//! `[package.metadata.capi]` in Cargo.toml.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The native header's opening comment, with a usage example.
const NATIVE_INTRO: &str = "/*
 * ssf.h: the native C API of ssf, a Smooth Streaming (PIFF) packager.
 * Generated from src/ffi by cbindgen (build.rs); do not edit.
 *
 * Conventions: every call returns an ssf_status (SSF_STATUS_OK = 0); inputs are
 * borrowed (pointer, length) pairs read during the call; outputs are written only on
 * success, and ssf_output bytes belong to the handle and stay valid until the next call
 * on it; *_free(NULL) is a no-op; a failure's message is in ssf_*_last_error(handle)
 * and ssf_last_error().
 *
 * Threads: a handle may move between threads, but calls on it must not overlap. A call
 * that finds a handle it is given in use by another thread returns SSF_STATUS_BUSY and
 * does nothing (calls that only read a handle, passed const, may overlap each other);
 * *_free on a handle in use frees nothing and says so in ssf_last_error().
 *
 *   ssf_vod_writer *w; ssf_stream_config *c; uint32_t v;
 *   ssf_vod_writer_create(\"out\", \"movie\", NULL, &w);
 *   ssf_stream_config_h264_in_band(4, &c);
 *   ssf_stream_config_set_bitrate(c, 2500000);
 *   ssf_vod_writer_add_stream(w, c, &v);
 *   ssf_stream_config_free(c);
 *   ssf_sample s = {sizeof s, data, len, dts, cts_offset, duration, is_idr, NULL, 0};
 *   if (ssf_vod_writer_push(w, v, &s) != SSF_STATUS_OK)
 *       fprintf(stderr, \"%s\\n\", ssf_vod_writer_last_error(w));
 *   ssf_vod_writer_finish(w);
 *   ssf_vod_writer_free(w);
 */";

const COMPAT_INTRO: &str = "/*
 * ssfsdkapi.h: source-compatible replacement for Microsoft's IIS Smooth Streaming Format
 * SDK header, implemented by ssf. Same functions, structures and values; HRESULT codes.
 * Generated from src/ffi by cbindgen (build.rs); do not edit.
 *
 * Outside Windows the Windows types are defined here (DWORD = uint32_t, WCHAR = UTF-16
 * code unit: char16_t in C++, uint16_t in C, so wide strings are written u\"...\").
 * SSF_BUFFER bytes belong to the muxer handle and stay valid until the next call on it.
 * SSFMuxGetLastErrorMessage (an extension) gives the message of the last failure.
 * A call on a handle in use by another thread returns E_UNEXPECTED and does nothing
 * (SSFMuxDestroy included: destroy it again once the other call returned).
 */";

fn config(
    intro: &str,
    guard: &str,
    after_includes: Option<String>,
    exclude: &[&str],
) -> cbindgen::Config {
    let mut c = cbindgen::Config {
        language: cbindgen::Language::C,
        cpp_compat: true,
        header: Some(intro.to_string()),
        include_guard: Some(guard.to_string()),
        no_includes: true,
        sys_includes: vec!["stdbool.h".into(), "stddef.h".into(), "stdint.h".into()],
        after_includes,
        style: cbindgen::Style::Both,
        documentation_style: cbindgen::DocumentationStyle::C,
        usize_is_size_t: true,
        ..Default::default()
    };
    c.export.exclude = exclude.iter().map(|s| s.to_string()).collect();
    c
}

fn generate(root: &Path, out: &Path, name: &str, sources: &[&str], config: cbindgen::Config) {
    let mut builder = cbindgen::Builder::new().with_config(config);
    for s in sources {
        builder = builder.with_src(root.join(s));
    }
    let text = match builder.generate() {
        Ok(bindings) => {
            let mut buf = Vec::new();
            bindings.write(&mut buf);
            buf
        }
        Err(e) => {
            println!("cargo::warning=cbindgen could not generate {name}: {e}");
            return;
        }
    };
    let generated = out.join(name);
    if let Err(e) = fs::write(&generated, &text) {
        println!("cargo::warning=cannot write {}: {e}", generated.display());
    }
    if env::var("SSF_UPDATE_HEADERS").is_ok_and(|v| v == "1") {
        let committed = root.join("include").join(name);
        if let Err(e) = fs::write(&committed, &text) {
            println!("cargo::warning=cannot update {}: {e}", committed.display());
        }
    }
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/ffi");
    println!("cargo::rerun-if-changed=include/ssfsdkapi_prelude.h");
    println!("cargo::rerun-if-env-changed=SSF_UPDATE_HEADERS");
    let (Some(root), Some(out)) = (env::var_os("CARGO_MANIFEST_DIR"), env::var_os("OUT_DIR"))
    else {
        return;
    };
    let root = PathBuf::from(root);
    let include = PathBuf::from(out).join("include");
    if let Err(e) = fs::create_dir_all(&include) {
        println!("cargo::warning=cannot create {}: {e}", include.display());
        return;
    }

    // cbindgen writes functions (and constants) in the order it reads them, so each list
    // is in the order of the header's declarations: keep it so when adding a file.
    generate(
        &root,
        &include,
        "ssf.h",
        &[
            "src/ffi/status.rs",
            "src/ffi/streams.rs",
            "src/ffi/options.rs",
            "src/ffi/protection.rs",
            "src/ffi/stream_config.rs",
            "src/ffi/muxer.rs",
            "src/ffi/vod_writer.rs",
            "src/ffi/live_state.rs",
            "src/ffi/live_options.rs",
            "src/ffi/live_publisher.rs",
            "src/ffi/input.rs",
        ],
        config(NATIVE_INTRO, "SSF_H", None, &[]),
    );
    let prelude = fs::read_to_string(root.join("include/ssfsdkapi_prelude.h")).unwrap_or_default();
    generate(
        &root,
        &include,
        "ssfsdkapi.h",
        &[
            "src/ffi/compat/types.rs",
            "src/ffi/compat/muxer.rs",
            "src/ffi/compat/streams.rs",
            "src/ffi/compat/samples.rs",
            "src/ffi/compat/output.rs",
            "src/ffi/compat/options.rs",
            "src/ffi/compat/errors.rs",
        ],
        config(
            COMPAT_INTRO,
            "SSFSDKAPI_H",
            Some(prelude),
            &[
                "DWORD", "WORD", "BYTE", "INT32", "UINT64", "ULONG", "BOOL", "HRESULT", "LPVOID",
                "LPCVOID", "WCHAR", "LPCWSTR",
            ],
        ),
    );
}
