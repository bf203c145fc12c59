//! The local tour: every sample event in `events/` through its function, with cargo lambda.
//!
//! Starts `cargo lambda watch` on 127.0.0.1 (a free port), sends each `events/<function>/*.json`
//! with `cargo lambda invoke --data-file`, and prints the expected and the actual outcome of each.
//! The events of a subfolder with an `env` file (`events/<function>/http-api-iam/`) go to a second
//! `cargo lambda watch` whose environment holds those settings (a secret they name is served by a
//! local moto: `usage-plans/`). Exits non-zero if any outcome
//! differs. `scripts/tour` puts the project's cargo-lambda on `PATH` first.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use testkit::events::sample_events;
use testkit::moto::{Moto, with_local_secrets};
use testkit::paths::root;
use testkit::reply::{Reply, outcome};

/// Functions in the order the tour shows them; those without events yet are skipped.
const FUNCTIONS: [&str; 4] = [
    "authorizer-hs256",
    "authorizer-cognito",
    "authorizer-oidc",
    "noop-cors",
];

fn main() -> ExitCode {
    let mut watches: Vec<(Vec<(String, String)>, Watch)> = Vec::new();
    let mut failures = 0;
    for function in FUNCTIONS {
        if !root().join("events").join(function).is_dir() {
            continue;
        }
        println!("\n{function}");
        for event in sample_events(function) {
            let port = match watches.iter().find(|(env, _)| *env == event.env) {
                Some((_, watch)) => watch.port,
                None => {
                    let watch = Watch::start(&event.env);
                    let port = watch.port;
                    watches.push((event.env.clone(), watch));
                    port
                }
            };
            let actual = outcome(&invoke(function, port, &event.name));
            let verdict = if actual == event.expected {
                "ok  "
            } else {
                "FAIL"
            };
            failures += usize::from(actual != event.expected);
            println!(
                "  {verdict} {:<44} expected {:<36} got {actual}",
                event.name, event.expected
            );
        }
    }
    for (_, mut watch) in watches {
        watch.stop();
    }
    if failures == 0 {
        println!("\nevery event got its expected outcome");
        ExitCode::SUCCESS
    } else {
        println!("\n{failures} event(s) did not get their expected outcome");
        ExitCode::FAILURE
    }
}

/// `cargo lambda invoke`: the answer on stdout, or an error whose message is the `×` line.
fn invoke(function: &str, port: u16, event: &str) -> Reply {
    let output = Command::new("cargo")
        .current_dir(root())
        .args([
            "lambda",
            "invoke",
            function,
            "--invoke-address",
            "127.0.0.1",
        ])
        .args(["--invoke-port", &port.to_string(), "--data-file"])
        .arg(format!("events/{function}/{event}.json"))
        .stdin(Stdio::null())
        .output()
        .expect("cargo lambda runs (scripts/tour installs it)");
    if output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        return match serde_json::from_str(&stdout) {
            Ok(json) => Reply::Response(json),
            Err(_) => Reply::NoAnswer(stdout.into_owned()),
        };
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |prefix: &str| {
        stderr
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .map(|s| s.trim().to_owned())
    };
    match (field("Error:"), field("×")) {
        (Some(error_type), Some(error_message)) => Reply::Error {
            error_type,
            error_message,
        },
        _ => Reply::NoAnswer(stderr.into_owned()),
    }
}

/// `cargo lambda watch`, bound to loopback only, stopped with SIGINT like a user's Ctrl-C.
struct Watch {
    child: Child,
    port: u16,
    /// The local Secrets Manager of settings that name a secret, kept as long as the functions.
    _secrets: Option<Moto>,
}

impl Watch {
    /// Starts serving on a free port, with `env` in the functions' environment (a secret it names
    /// served by a moto of its own).
    fn start(env: &[(String, String)]) -> Watch {
        let (env, secrets) = with_local_secrets(env);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let log_name = format!("target/tour-watch-{port}.log");
        let log = std::fs::File::create(root().join(&log_name)).expect("target/ is writable");
        let child = Command::new("cargo")
            .current_dir(root())
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
                // With Cedar, for the samples of `events/<function>/cedar/`.
                "--features",
                "authorizer-hs256/cedar,authorizer-cognito/cedar,authorizer-oidc/cedar",
            ])
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cargo lambda runs (scripts/tour installs it)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not start: see {log_name}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Credentials are named, never shown, even moto's dummy ones.
        let settings: Vec<String> = env
            .iter()
            .map(|(k, v)| match k.as_str() {
                "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN" => {
                    format!("{k}=…")
                }
                _ => format!("{k}={v}"),
            })
            .collect();
        println!(
            "cargo lambda watch is serving on 127.0.0.1:{port} {}(log: {log_name})",
            if settings.is_empty() {
                String::new()
            } else {
                format!("with {} ", settings.join(" "))
            }
        );
        Watch {
            child,
            port,
            _secrets: secrets,
        }
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}
