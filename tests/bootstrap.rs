//! `scripts/bootstrap`, as a user without the right Python meets it: it must stop before
//! installing anything, saying which version it found and which the pinned SAM CLI needs.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use testkit::paths::{root, target_dir};

#[test]
fn an_old_python_stops_bootstrap_naming_both_versions() {
    let dir = target_dir().join("bootstrap-test");
    std::fs::create_dir_all(&dir).unwrap();
    // A Python 3.9 as far as bootstrap can tell: it fails every version check and says 3.9.18.
    let fake = dir.join("python3.9");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$*\" in *platform*) echo 3.9.18 ;; *) exit 1 ;; esac\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(root().join("scripts/bootstrap"))
        .env("PYTHON", &fake)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for said in ["3.9.18", ">= 3.10", "PYTHON="] {
        assert!(stderr.contains(said), "{said:?} not in: {stderr}");
    }
}
