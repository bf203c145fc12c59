//! A function's binary run the way Lambda runs it: a clean environment, the Runtime API of
//! [`crate::runtime_api`] on loopback, its output drained as Lambda's log agent drains it.
//!
//! [`Function::start`] is what the end-to-end suites use: start, [`Function::invoke`], read the
//! logs. The cold-start driver uses [`Function::spawn`] with an event already queued and times
//! each [`Function::reply_within`].

use std::fmt::Display;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::events::{http_event, http_v1_event, sample_events, token_event};
use crate::paths::{demo_env, release_binary, root};
use crate::reply::{Reply, outcome};
use crate::runtime_api::{RuntimeApi, Timed};
use serde_json::json;

/// How long [`Function::invoke`] waits for a reply.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

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

/// A running function and the loopback Runtime API it talks to; dropping it kills the process.
pub struct Function {
    child: Child,
    api: RuntimeApi,
    logs: Arc<Mutex<Vec<u8>>>,
}

impl Function {
    /// Starts `binary` with `env` (plus what Lambda always sets) against a fresh Runtime API.
    pub fn start(binary: &Path, env: &[(String, String)]) -> Function {
        Function::spawn(RuntimeApi::start(), binary, &[], env)
    }

    /// Starts `program args…` with `env` against `api`, which may already hold a queued event
    /// (as a cold start finds it). Stdout and stderr go to pipes that threads drain: writing them
    /// to a file would add a millisecond to the first answer.
    pub fn spawn(
        api: RuntimeApi,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Function {
        let mut child = lambda_command(program, &api.address())
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        let logs = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for mut stream in streams {
            let logs = logs.clone();
            thread::spawn(move || {
                let mut buffer = [0; 8192];
                while let Ok(n @ 1..) = stream.read(&mut buffer) {
                    logs.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
            });
        }
        Function { child, api, logs }
    }

    /// Queues one event for the function to take, and returns its request id.
    pub fn queue(&self, event: &str) -> String {
        self.api.queue(event)
    }

    /// The most events the function had taken and not yet answered at any one time: more than
    /// one only for a function serving several invocations at once.
    pub fn max_in_flight(&self) -> usize {
        self.api.max_in_flight()
    }

    /// The next reply, stamped; when none comes within `timeout`, or the process ends first, a
    /// [`Reply::NoAnswer`] saying which.
    pub fn reply_within(&mut self, timeout: Duration) -> Timed {
        let deadline = Instant::now() + timeout;
        let no_answer = |why: String| Timed {
            reply: Reply::NoAnswer(why),
            request_id: None,
            handed_out: None,
            answered: Instant::now(),
        };
        while Instant::now() < deadline {
            if let Some(timed) = self.api.reply(Duration::from_millis(50)) {
                return timed;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return no_answer(format!("the process ended: {status}"));
            }
        }
        no_answer(format!("no answer within {timeout:?}"))
    }

    /// Hands the function one event and waits (10 s at most) for its reply.
    pub fn invoke(&mut self, event: &str) -> Reply {
        self.queue(event);
        self.reply_within(INVOKE_TIMEOUT).reply
    }

    /// The process id, to read its memory use with [`peak_rss_kib`].
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still serving.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to end (it should, after a failed init) and returns its exit status.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
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

    /// Asserts the pet store's access rules (the authorizers' defaults) for TOKEN events on the
    /// API stage `api`: the `admin`'s token may list and add pets; the `user`'s may list them but
    /// gets a 403 for adding one.
    pub fn assert_pet_store_rules(&mut self, api: &str, admin: &str, user: &str) {
        for (who, token, method, expected) in [
            ("admin", admin, "POST", "200 allows GET /pets, POST /pets"),
            ("admin", admin, "GET", "200 allows GET /pets, POST /pets"),
            ("user", user, "GET", "200 allows GET /pets"),
            ("user", user, "POST", "403 allows GET /pets"),
        ] {
            let reply = self.invoke(&token_event(api, method, token));
            assert_eq!(outcome(&reply), expected, "{who} {method}: {reply:?}");
        }
    }

    /// Asserts that the pet store's rules hold for HTTP API events on the API whose ARN prefix is
    /// `api`: answered simply in payload format 2.0 (the default `HTTP_API_RESPONSE`), with a
    /// policy in 1.0.
    pub fn assert_pet_store_rules_on_http_apis(&mut self, api: &str, admin: &str, user: &str) {
        let v2 = |method, token: &str| {
            http_event(
                api,
                method,
                json!({"authorization": format!("Bearer {token}")}),
            )
        };
        for (who, event, expected) in [
            ("admin 2.0", v2("POST", admin), "200 isAuthorized"),
            ("admin 2.0", v2("GET", admin), "200 isAuthorized"),
            ("user 2.0", v2("GET", user), "200 isAuthorized"),
            ("user 2.0", v2("POST", user), "403 not isAuthorized"),
            (
                "admin 1.0",
                http_v1_event(api, "POST", admin),
                "200 allows GET /pets, POST /pets",
            ),
            (
                "user 1.0",
                http_v1_event(api, "POST", user),
                "403 allows GET /pets",
            ),
        ] {
            let reply = self.invoke(&event);
            assert_eq!(outcome(&reply), expected, "{who}: {reply:?}");
        }
    }

    /// Asserts that each of the named `events` gets a 401 (as API Gateway answers a refused
    /// token), naming the first that does not.
    pub fn assert_each_refused<N: Display>(
        &mut self,
        events: impl IntoIterator<Item = (N, String)>,
    ) {
        for (name, event) in events {
            let reply = self.invoke(&event);
            assert_eq!(outcome(&reply), "401", "{name}: {reply:?}");
        }
    }

    /// Asserts that the process outlived what it was sent so far, and that `event` still gets
    /// `expected`.
    pub fn assert_still_serves(&mut self, event: &str, expected: &str) {
        assert!(self.is_running(), "the function died:\n{}", self.logs());
        assert_eq!(outcome(&self.invoke(event)), expected);
    }

    /// Everything the process wrote to stdout and stderr so far (after a pause for the pipes to
    /// drain).
    pub fn logs(&self) -> String {
        thread::sleep(Duration::from_millis(100));
        String::from_utf8_lossy(&self.logs.lock().unwrap()).into_owned()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmHWM`, in KiB: the most memory the process `pid` ever had resident (what `/usr/bin/time -v`
/// reports as its maximum resident set size).
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// Runs every sample event of `function` through its release binary, configured with the demo
/// settings of its `Cargo.toml` (and those of the event's folder), and asserts that each gets the
/// outcome recorded beside it.
pub fn assert_sample_events_pass(function: &str) {
    let events = sample_events(function);
    let mut settings: Vec<&[(String, String)]> = events.iter().map(|e| e.env.as_slice()).collect();
    settings.dedup();
    for extra in settings {
        let (extra_env, _moto) = crate::moto::with_local_secrets(extra);
        let env = [demo_env(function).as_slice(), &extra_env].concat();
        let mut running = Function::start(&release_binary(function), &env);
        let wrong: Vec<String> = events
            .iter()
            .filter(|event| event.env == extra)
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
}
