//! Drives the kit's release binaries the way AWS Lambda does, for the end-to-end tests.
//!
//! [`Function::start`] runs a binary with `AWS_LAMBDA_RUNTIME_API` pointing at a loopback Lambda
//! Runtime API served here; [`Function::invoke`] hands it one event and returns what it posted back.
//! [`outcome`] reduces an answer to what API Gateway would do with it, the form the `.expected`
//! files beside the sample events use.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tiny_http::{Header, Method, Response, Server};

/// What a function posted back for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `/response`: the handler's answer.
    Response(Value),
    /// `/error`: a failed invocation, as Lambda reports it to API Gateway.
    Error {
        error_type: String,
        error_message: String,
    },
    /// `/init/error`, or the process ended or stayed silent.
    NoAnswer(String),
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the release binary `name` (each binary is named after its package) once per test
/// process, and returns its path.
pub fn release_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root())
            .args(["build", "--release", "--package", name, "--bin", name])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the release build of {name} failed");
        built.push(name.to_owned());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("release").join(name)
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
    let manifest = std::fs::read_to_string(root().join(package).join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[package.metadata.lambda.env]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| {
            let (key, value) = line.split_once(" = ")?;
            Some((
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

/// A sample event of `events/<function>/`: its name, its JSON, and its expected outcome.
pub struct SampleEvent {
    pub name: String,
    pub json: String,
    pub expected: String,
}

/// Every sample event of a function, sorted by name.
pub fn sample_events(function: &str) -> Vec<SampleEvent> {
    let dir = root().join("events").join(function);
    let mut events: Vec<SampleEvent> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| read_sample(&path))
        .collect();
    events.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!events.is_empty(), "no events in {}", dir.display());
    events
}

/// The sample event `events/<function>/<name>.json`.
pub fn sample_event(function: &str, name: &str) -> SampleEvent {
    read_sample(
        &root()
            .join("events")
            .join(function)
            .join(format!("{name}.json")),
    )
}

fn read_sample(path: &Path) -> SampleEvent {
    let expected = std::fs::read_to_string(path.with_extension("expected"))
        .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
    SampleEvent {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        json: std::fs::read_to_string(path).unwrap(),
        expected: expected.trim().to_owned(),
    }
}

/// Runs every sample event of `function` through its release binary, configured with the demo
/// settings of its `Cargo.toml`, and asserts that each gets the outcome recorded beside it.
pub fn assert_sample_events_pass(function: &str) {
    let mut running = Function::start(&release_binary(function), &demo_env(function));
    let wrong: Vec<String> = sample_events(function)
        .into_iter()
        .filter_map(|event| {
            let actual = outcome(&running.invoke(&event.json));
            (actual != event.expected).then(|| {
                format!(
                    "{}: expected {:?}, got {actual:?}",
                    event.name, event.expected
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}\n{}", running.logs());
}

/// What API Gateway makes of an authorizer's reply: `200 allows GET /pets, POST /pets`,
/// `403 allows GET /pets` (an explicit Deny for the method called), `401`, or `500`; and of a
/// proxy integration's reply (one with a `statusCode`), its status and the origin it allows:
/// `204 origin *`, `204 origin https://petstore.example`, `204 origin none`.
pub fn outcome(reply: &Reply) -> String {
    match reply {
        Reply::Error { error_message, .. } if error_message == "Unauthorized" => "401".into(),
        Reply::Error { .. } | Reply::NoAnswer(_) => "500".into(),
        Reply::Response(response) if response.get("statusCode").is_some() => {
            proxy_outcome(response)
        }
        Reply::Response(response) => {
            let statements = response["policyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let resources = |effect: &str| -> Vec<String> {
                statements
                    .iter()
                    .filter(|s| s["Effect"] == effect)
                    .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
                    .map(|arn| method_and_path(arn.as_str().unwrap_or_default()))
                    .collect()
            };
            let status = if resources("Deny").is_empty() {
                "200"
            } else {
                "403"
            };
            let allowed = resources("Allow");
            if allowed.is_empty() {
                format!("{status} allows nothing")
            } else {
                format!("{status} allows {}", allowed.join(", "))
            }
        }
    }
}

/// `{statusCode} origin {Access-Control-Allow-Origin or none}`, the header's name in any case.
fn proxy_outcome(response: &Value) -> String {
    let origin = response["headers"]
        .as_object()
        .and_then(|headers| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("access-control-allow-origin"))
        })
        .and_then(|(_, value)| value.as_str())
        .unwrap_or("none");
    format!("{} origin {origin}", response["statusCode"])
}

/// `arn:…:api/stage/GET/pets/1` → `GET /pets/1`.
fn method_and_path(arn: &str) -> String {
    let mut parts = arn.splitn(4, '/').skip(2);
    format!(
        "{} /{}",
        parts.next().unwrap_or("?"),
        parts.next().unwrap_or("")
    )
}

/// Checks the logs of an adversarial run: one `refused` line per refused request, and no part of
/// any token (header, payload or signature) anywhere. Run the function with `RUST_LOG=trace` and
/// `AWS_LAMBDA_LOG_FORMAT=JSON` so that this covers everything it can log.
pub fn assert_logs_are_clean(logs: &str, tokens: &[&str], refused: usize) {
    assert_eq!(
        logs.matches("\"message\":\"refused\"").count(),
        refused,
        "refusal lines:\n{logs}"
    );
    for token in tokens {
        for part in token.split('.').filter(|part| part.len() >= 16) {
            assert!(
                !logs.contains(part),
                "part of a token reached the logs: {part}\n{logs}"
            );
        }
    }
}

/// `program` as Lambda starts a function: from the repository's root, in a clean environment
/// holding what Lambda always sets, with the Runtime API at `runtime_api` (`host:port`).
pub fn lambda_command(program: &Path, runtime_api: &str) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(root())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "petstore")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "petstore")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/petstore")
        .env("AWS_REGION", "us-east-1");
    command
}

/// A running function and the loopback Runtime API it talks to.
pub struct Function {
    child: Child,
    events: Sender<(String, String)>,
    replies: Receiver<Reply>,
    stop: Arc<AtomicBool>,
    logs: Arc<Mutex<String>>,
    next_id: u64,
}

impl Function {
    /// Starts `binary` with `env` (plus what Lambda always sets) against a fresh Runtime API.
    pub fn start(binary: &Path, env: &[(String, String)]) -> Function {
        let server = Server::http("127.0.0.1:0").expect("bind loopback");
        let address = server.server_addr().to_ip().unwrap();
        let (events_tx, events_rx) = channel::<(String, String)>();
        let (replies_tx, replies_rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_server = stop.clone();
        thread::spawn(move || serve(server, events_rx, replies_tx, stop_server));

        let mut child = lambda_command(binary, &address.to_string())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let logs = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = logs.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut logs = logs.lock().unwrap();
                    logs.push_str(&line);
                    logs.push('\n');
                }
            });
        }
        Function {
            child,
            events: events_tx,
            replies: replies_rx,
            stop,
            logs,
            next_id: 0,
        }
    }

    /// Hands the function one event and waits (10 s at most) for its reply.
    pub fn invoke(&mut self, event: &str) -> Reply {
        self.next_id += 1;
        self.events
            .send((format!("request-{}", self.next_id), event.to_owned()))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(reply) = self.replies.recv_timeout(Duration::from_millis(50)) {
                return reply;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Reply::NoAnswer(format!("the process ended: {status}"));
            }
        }
        Reply::NoAnswer("no answer within 10 s".into())
    }

    /// The process id, to read its memory use from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still serving.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to end (it should, after a failed init) and returns its exit status.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Asserts that the process stops at init (non-zero exit within `timeout`) and that its logs
    /// name `var`, the variable at fault; returns the logs for further checks.
    pub fn assert_init_fails_naming(&mut self, var: &str, timeout: Duration) -> String {
        let status = self.wait_for_exit(timeout);
        assert!(
            status.is_some_and(|s| !s.success()),
            "{var}: still running or exited 0"
        );
        let logs = self.logs();
        assert!(logs.contains(var), "{var} not named in:\n{logs}");
        logs
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        thread::sleep(Duration::from_millis(100));
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Runtime API: `/next` hands out queued events, `/response` and `/error` collect replies.
fn serve(
    server: Server,
    events: Receiver<(String, String)>,
    replies: Sender<Reply>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        let url = request.url().to_owned();
        if request.method() == &Method::Get && url.ends_with("/runtime/invocation/next") {
            let (id, event) = loop {
                match events.recv_timeout(Duration::from_millis(50)) {
                    Ok(next) => break next,
                    Err(_) if stop.load(Ordering::Relaxed) => return,
                    Err(_) => continue,
                }
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 30_000;
            let header = |name: &str, value: &str| Header::from_bytes(name, value).unwrap();
            let response = Response::from_string(event)
                .with_header(header("Content-Type", "application/json"))
                .with_header(header("Lambda-Runtime-Aws-Request-Id", &id))
                .with_header(header("Lambda-Runtime-Deadline-Ms", &deadline.to_string()))
                .with_header(header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:e2e",
                ))
                .with_header(header(
                    "Lambda-Runtime-Trace-Id",
                    "Root=1-5759e988-bd862e3fe1be46a994272793",
                ));
            let _ = request.respond(response);
            continue;
        }
        let mut body = String::new();
        let _ = request.as_reader().read_to_string(&mut body);
        let reply = if url.ends_with("/response") {
            Reply::Response(serde_json::from_str(&body).unwrap_or(Value::String(body)))
        } else if url.ends_with("/error") && url.contains("/invocation/") {
            let error: Value = serde_json::from_str(&body).unwrap_or_default();
            Reply::Error {
                error_type: error["errorType"].as_str().unwrap_or_default().to_owned(),
                error_message: error["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            }
        } else {
            Reply::NoAnswer(format!("{url}: {body}"))
        };
        let _ = request.respond(Response::empty(202));
        let _ = replies.send(reply);
    }
}
pub mod keyserver;
pub mod moto;
