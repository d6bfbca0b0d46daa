//! Build script. The C headers are generated here once the C ABI lands (see the C ABI issue);
//! until then it only tells cargo when to rerun.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
