//! AWS CDK apps in TypeScript, compiled with the TypeScript of `testkit/cdk/` and run with
//! Node.js against its `aws-cdk-lib` (both pinned in its `package-lock.json` and installed by
//! `scripts/bootstrap --tests`): the CloudFormation templates they synthesize, as CDK writes
//! them to its cloud assembly, without the CDK command line.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::paths::{root, target_dir};
use crate::template::run;

/// What an app is compiled with: no type checks of the libraries' declarations (they cost most
/// of the time and are the libraries' business), no `@types` packages.
const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "target": "es2022",
    "module": "commonjs",
    "strict": true,
    "skipLibCheck": true,
    "types": [],
    "rootDir": ".",
    "outDir": "out"
  },
  "files": ["app.ts"]
}
"#;

/// `testkit/cdk/`, whose packages must be installed.
pub fn dir() -> PathBuf {
    let dir = root().join("testkit/cdk");
    for installed in ["node_modules/.bin/tsc", "node_modules/aws-cdk-lib"] {
        assert!(
            dir.join(installed).exists(),
            "testkit/cdk/{installed} is missing: run scripts/bootstrap --tests first"
        );
    }
    dir
}

/// Compiles the TypeScript app `source` (which imports `aws-cdk-lib` and `constructs`, and ends
/// with `app.synth()` of an `App` made without an `outdir`) in `target/testkit-cdk/<name>/`,
/// runs it, and returns the templates of the stacks it synthesized, by stack name.
///
/// The app runs with neither `CDK_DEFAULT_ACCOUNT` nor `CDK_DEFAULT_REGION`, as no `cdk` command
/// sets them. Its folder stays until the next run of the same name, to read after a failure:
/// `app.ts`, `out/app.js` and the cloud assembly `cdk.out/`.
pub fn synth(name: &str, source: &str) -> BTreeMap<String, Value> {
    let kit = dir();
    let work = target_dir().join("testkit-cdk").join(name);
    match fs::remove_dir_all(&work) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("{}: {e}", work.display()),
        _ => {}
    }
    fs::create_dir_all(&work).unwrap();
    // Where both tsc and node look for the app's packages.
    std::os::unix::fs::symlink(kit.join("node_modules"), work.join("node_modules")).unwrap();
    fs::write(work.join("tsconfig.json"), TSCONFIG).unwrap();
    fs::write(work.join("app.ts"), source).unwrap();

    let mut tsc = Command::new(kit.join("node_modules/.bin/tsc"));
    tsc.current_dir(&work).args(["--project", "."]);
    run(tsc);

    let assembly = work.join("cdk.out");
    let mut node = Command::new("node");
    node.current_dir(&work)
        .arg("out/app.js")
        .env("CDK_OUTDIR", &assembly)
        .env_remove("CDK_DEFAULT_ACCOUNT")
        .env_remove("CDK_DEFAULT_REGION");
    run(node);

    let read = |file: &str| -> Value {
        let path = assembly.join(file);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let manifest = read("manifest.json");
    manifest["artifacts"]
        .as_object()
        .expect("the cloud assembly's manifest lists artifacts")
        .iter()
        .filter(|(_, artifact)| artifact["type"] == "aws:cloudformation:stack")
        .map(|(stack, artifact)| {
            let file = artifact["properties"]["templateFile"].as_str().unwrap();
            (stack.clone(), read(file))
        })
        .collect()
}
