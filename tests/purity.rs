//! The core crate stays pure: nothing in its dependency graph, for any target, is the Workers
//! runtime or a JS binding. Asked of `cargo tree` (offline, no build).

use std::process::Command;

const FORBIDDEN: &[&str] =
    &["worker", "worker-sys", "wasm-bindgen", "js-sys", "web-sys", "wasm-bindgen-futures"];

/// The names of every crate in `package`'s normal dependency graph, for all targets.
fn dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--target", "all", "--prefix", "none"])
        .args(["--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cargo tree: {e}"));
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_core_crate_has_no_platform_dependency() {
    let core = dependencies("interview-core");
    assert!(core.iter().any(|d| d == "serde"), "the graph was read: {core:?}");
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|f| core.iter().any(|d| d == **f)).collect();
    assert!(found.is_empty(), "the core depends on platform crates: {found:?}");
    // The check can fail: the Worker crate does depend on them.
    let root = dependencies("interview-edge");
    assert!(root.iter().any(|d| d == "worker"), "the Worker's graph has worker");
}
