//! Where things are: the repository, its release binaries, the virtualenv's tools, and the demo
//! settings each package declares for local runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's root (testkit's parent folder), wherever the caller runs from.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ has a parent")
        .to_path_buf()
}

/// The cargo target directory: `CARGO_TARGET_DIR`, or the repository's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Builds the release binary `name` (each binary is named after its package) once per process,
/// and returns its path. Tests run the binaries as shipped: release profile, LTO and all.
pub fn release_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(root())
            .args(["build", "--release", "--package", name, "--bin", name]);
        // The authorizers as deployments with Cedar policies build them (`cedar` is off by default).
        if name.starts_with("authorizer-") {
            build.args(["--features", "cedar"]);
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "the release build of {name} failed");
        built.push(name.to_owned());
    }
    target_dir().join("release").join(name)
}

/// A tool from the project's virtualenv (`scripts/bootstrap` installs them).
pub fn venv_tool(name: &str) -> PathBuf {
    let path = root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/bootstrap first",
        path.display()
    );
    path
}

/// The demo settings a package declares for local runs in `[package.metadata.lambda.env]`.
pub fn demo_env(package: &str) -> Vec<(String, String)> {
    let manifest = std::fs::read_to_string(root().join(package).join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("{package}/Cargo.toml: {e}"));
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[package.metadata.lambda.env]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| {
            let (key, value) = line.split_once(" = ")?;
            // A basic string ("…") or a literal one ('…', for JSON values), without escapes.
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|quote| value.strip_prefix(*quote)?.strip_suffix(*quote))
                .unwrap_or(value);
            Some((key.trim().to_owned(), unquoted.to_owned()))
        })
        .collect()
}
