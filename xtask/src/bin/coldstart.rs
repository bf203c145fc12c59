//! Times the release binaries, and their Node counterparts, the way Lambda runs them.
//!
//! `cargo run --release -p xtask --bin coldstart -- [--runs N] [--invocations M]
//! [--bin-dir DIR] [--no-node] [--no-cedar] [--only NAME] [--peer PATH]`; `scripts/bench` runs it
//! with the first two (and `--peer` when given a peer's binary), `scripts/bench-profiles` with
//! `--bin-dir` and `--no-cedar`, its functions being built as they ship, without Cedar.
//! `--peer` times the closest Rust alternative to authorizer-oidc, lmammino/oidc-authorizer, built
//! from its own source, side by side with ours on the same loopback key-set fetch. For each function, behind a loopback Runtime API
//! ([`testkit::runtime_api`]):
//! - cold start: the time from spawning the process (one event already queued) to its answer
//!   having been read, over N fresh processes;
//! - warm round trip: the time from handing out an event to having read the answer, over M
//!   invocations of one process (after M/10 unrecorded ones, for Node's JIT);
//! - peak RSS: the process's `VmHWM` (what `/usr/bin/time -v` reports as maximum resident set
//!   size) after the warm invocations.
//!
//! Every answer is checked against the sample event's expected outcome, so a fast wrong answer
//! cannot pass for a fast right one. Prints Markdown: the tables of BENCHMARKS.md.

use std::fmt::Write as _;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::env::{owned, with, without};
use testkit::events::{SampleEvent, sample_event};
use testkit::function::{Function, peak_rss_kib};
use testkit::http::read_message;
use testkit::keyserver::{Behaviour, KeyServer};
use testkit::moto::Moto;
use testkit::paths::{demo_env, release_binary, root};
use testkit::reply::outcome;
use testkit::runtime_api::{RuntimeApi, Timed};

/// How long a function may take to answer before the run is declared failed.
const TIMEOUT: Duration = Duration::from_secs(20);

/// How many of a function's last log lines to show when it fails.
const LOG_TAIL: usize = 100;

/// A function to time: how to start it, and the event it must answer as expected.
struct Subject {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// The sample event it answers, and the outcome it must give.
    event: SampleEvent,
    /// Whether to time warm invocations too (variants that differ only at init do not).
    warm: bool,
}

/// What was measured for one subject.
struct Measured {
    name: String,
    cold: Vec<Duration>,
    warm: Vec<Duration>,
    peak_rss_kib: u64,
}

fn main() {
    let Options {
        runs,
        invocations,
        bin_dir,
        node: with_node,
        cedar: with_cedar,
        only,
        peer,
    } = options();
    let binary = |function: &str| match &bin_dir {
        Some(dir) => dir.join(function),
        None => release_binary(function),
    };

    let hs256 = demo_env("authorizer-hs256");
    let cognito = demo_env("authorizer-cognito");
    let jwks =
        std::fs::read_to_string(root().join("events/authorizer-cognito/demo-keys/jwks.json"))
            .unwrap();
    let moto = Moto::start();
    let secret = hs256
        .iter()
        .find(|(k, _)| k == "JWT_SECRET")
        .unwrap()
        .1
        .clone();
    let arn = moto.create_secret("petstore/jwt", &secret);
    let keys = KeyServer::start(Behaviour::Serve(jwks));

    let rust = |name: &str, function: &str, env: Vec<(String, String)>, event: &str| Subject {
        name: name.to_owned(),
        program: binary(function),
        args: Vec::new(),
        env,
        event: sample_event(function, event),
        warm: true,
    };
    let node = |name: &str, handler: &str, function: &str, event: &str, env: &[_]| Subject {
        name: name.to_owned(),
        program: PathBuf::from("node"),
        args: vec![root().join("bench/bootstrap.js").display().to_string()],
        env: with(env, &[("_HANDLER", handler)]),
        event: sample_event(function, event),
        warm: true,
    };
    let cognito_event = "admin-access-token-post";
    // authorizer-oidc's demo tenant (RS256), its key set shipped (`jwks_file`) or over loopback.
    let oidc = demo_env("authorizer-oidc");
    let tenant_jwks =
        std::fs::read_to_string(root().join("events/authorizer-oidc/demo-keys/tenant.jwks.json"))
            .unwrap();
    let tenant_keys = KeyServer::start(Behaviour::Serve(tenant_jwks));
    let tenant = "https://tenant.example.com/";
    let audience = "https://petstore.example/api";
    let oidc_over_http = owned(&[(
        "OIDC_ISSUERS",
        &serde_json::json!([{"issuer": tenant, "audiences": [audience],
                             "jwks_uri": tenant_keys.url(),
                             "groups_claims": ["https://petstore.example/roles"]}])
        .to_string(),
    )]);
    let oidc_event = "admin-access-token-post";
    let mut subjects = vec![
        rust(
            "authorizer-hs256",
            "authorizer-hs256",
            hs256.clone(),
            "admin-post",
        ),
        Subject {
            warm: false,
            ..rust(
                "authorizer-hs256, secret from JWT_SECRET_ARN (moto)",
                "authorizer-hs256",
                [
                    without(&hs256, "JWT_SECRET"),
                    moto.secret_env("JWT_SECRET_ARN", &arn),
                ]
                .concat(),
                "admin-post",
            )
        },
        rust(
            "authorizer-cognito, key set from file://",
            "authorizer-cognito",
            cognito.clone(),
            cognito_event,
        ),
        Subject {
            warm: false,
            ..rust(
                "authorizer-cognito, key set over loopback HTTP",
                "authorizer-cognito",
                with(&without(&cognito, "JWKS_URL"), &[("JWKS_URL", keys.url())]),
                cognito_event,
            )
        },
        rust(
            "authorizer-oidc, key set from jwks_file",
            "authorizer-oidc",
            oidc.clone(),
            oidc_event,
        ),
        Subject {
            warm: false,
            ..rust(
                "authorizer-oidc, key set over loopback HTTP",
                "authorizer-oidc",
                oidc_over_http,
                oidc_event,
            )
        },
        rust("noop-cors", "noop-cors", Vec::new(), "preflight"),
    ];
    if with_cedar {
        let cedar = rust(
            "authorizer-hs256, the pet store's Cedar policies (policies/petstore/)",
            "authorizer-hs256",
            with(
                &hs256,
                &[
                    ("CEDAR_POLICIES", "file:policies/petstore/policies.cedar"),
                    ("CEDAR_SCHEMA", "file:policies/petstore/schema.cedarschema"),
                ],
            ),
            "cedar/admin-post",
        );
        subjects.insert(1, cedar);
    }
    if let Some(peer) = peer {
        // The peer allows `*` (every method: "? /" in our words), and reads its settings from
        // its own variables; it fetches its key set on the first request.
        let mut event = sample_event("authorizer-oidc", oidc_event);
        event.expected = "200 allows ? /".to_owned();
        subjects.push(Subject {
            name: PEER.to_owned(),
            program: peer,
            args: Vec::new(),
            env: owned(&[
                ("JWKS_URI", tenant_keys.url()),
                ("ACCEPTED_ISSUERS", tenant),
                ("ACCEPTED_AUDIENCES", audience),
                ("ACCEPTED_ALGORITHMS", "RS256"),
            ]),
            event,
            warm: true,
        });
    }
    if with_node && !root().join("bench/node_modules").exists() {
        eprintln!("bench/node_modules is missing (run `npm ci` in bench/): Node is left out");
    } else if with_node {
        subjects.push(node(
            "Node 20 + jsonwebtoken (HS256)",
            "hs256.handler",
            "authorizer-hs256",
            "admin-post",
            &hs256,
        ));
        subjects.push(node(
            "Node 20 + aws-jwt-verify (Cognito)",
            "cognito.handler",
            "authorizer-cognito",
            cognito_event,
            &cognito,
        ));
    }

    subjects.retain(|s| only.as_ref().is_none_or(|only| s.name.starts_with(only)));
    let measured: Vec<Measured> = subjects
        .iter()
        .map(|subject| {
            eprintln!("timing {}…", subject.name);
            measure(subject, runs, invocations)
        })
        .collect();
    let secrets_manager = round_trips(runs, || {
        let body = format!(r#"{{"SecretId": "{arn}"}}"#);
        let host = moto.endpoint().trim_start_matches("http://").to_owned();
        let request = format!(
            "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-amz-json-1.1\r\n\
             x-amz-target: secretsmanager.GetSecretValue\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        (host, request)
    });
    let key_fetch = round_trips(runs, || {
        let host = keys.url().trim_start_matches("http://");
        let (host, path) = host.split_once('/').unwrap();
        let request = format!("GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
        (host.to_owned(), request)
    });
    // The floor under every cold start: spawning a process that does nothing, and reaping it.
    let spawn = (0..runs)
        .map(|_| {
            let start = Instant::now();
            Command::new("true").status().unwrap();
            start.elapsed()
        })
        .collect();
    let extras = Extras {
        secrets_manager,
        key_fetch,
        spawn,
    };
    print!("{}", report(&measured, runs, invocations, &extras));
}

/// What the command line asks for.
struct Options {
    /// `--runs N`: cold starts per function (default 20).
    runs: usize,
    /// `--invocations M`: warm invocations per function (default 2000).
    invocations: usize,
    /// `--bin-dir DIR`: time the binaries in DIR (another build, cargo lambda's `bootstrap`s
    /// renamed) instead of building `target/release`'s.
    bin_dir: Option<PathBuf>,
    /// `--no-node`: leave the Node authorizers out.
    node: bool,
    /// `--no-cedar`: leave out the Cedar policies' cold start, for binaries built without Cedar
    /// (`--bin-dir`; those `target/release` builds have it).
    cedar: bool,
    /// `--only NAME`: time only the functions whose name starts with NAME (for profiling one).
    only: Option<String>,
    /// `--peer PATH`: also time lmammino/oidc-authorizer's binary at PATH.
    peer: Option<PathBuf>,
}

/// The peer's name in the report.
const PEER: &str = "lmammino/oidc-authorizer (peer), key set over loopback HTTP";

fn options() -> Options {
    let mut options = Options {
        runs: 20,
        invocations: 2000,
        bin_dir: None,
        node: true,
        cedar: true,
        only: None,
        peer: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut count = || args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0);
        match flag.as_str() {
            "--runs" => options.runs = count().unwrap_or_else(|| usage()),
            "--invocations" => options.invocations = count().unwrap_or_else(|| usage()),
            "--bin-dir" => options.bin_dir = Some(args.next().unwrap_or_else(|| usage()).into()),
            "--no-node" => options.node = false,
            "--no-cedar" => options.cedar = false,
            "--only" => options.only = Some(args.next().unwrap_or_else(|| usage())),
            "--peer" => options.peer = Some(args.next().unwrap_or_else(|| usage()).into()),
            _ => usage(),
        }
    }
    options
}

fn usage() -> ! {
    eprintln!(
        "usage: coldstart [--runs N] [--invocations M] [--bin-dir DIR] [--no-node] [--no-cedar] \
         [--only NAME] [--peer PATH]"
    );
    std::process::exit(2);
}

/// Cold starts over `runs` processes, then warm round trips over one more.
fn measure(subject: &Subject, runs: usize, invocations: usize) -> Measured {
    let mut cold = Vec::with_capacity(runs);
    for _ in 0..runs {
        let api = RuntimeApi::start();
        api.queue(&subject.event.json);
        let spawned = Instant::now();
        let mut running = spawn(subject, api);
        let answered = answer(subject, &mut running).answered;
        cold.push(answered - spawned);
    }

    let mut warm = Vec::with_capacity(invocations);
    let mut running = spawn(subject, RuntimeApi::start());
    let extra = if subject.warm { invocations / 10 } else { 0 };
    for i in 0..=extra + if subject.warm { invocations } else { 0 } {
        running.queue(&subject.event.json);
        let timed = answer(subject, &mut running);
        if i > extra {
            warm.push(timed.answered - timed.handed_out.unwrap());
        }
    }
    Measured {
        name: subject.name.clone(),
        cold,
        warm,
        peak_rss_kib: peak_rss_kib(running.pid()),
    }
}

/// Starts the subject against `api`, with its logs in JSON as a deployment has them.
fn spawn(subject: &Subject, api: RuntimeApi) -> Function {
    let env = [
        owned(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]),
        subject.env.clone(),
    ]
    .concat();
    Function::spawn(api, &subject.program, &subject.args, &env)
}

/// The next reply, which must be the expected one: anything else ends the benchmark, showing the
/// tail of the function's logs.
fn answer(subject: &Subject, running: &mut Function) -> Timed {
    let timed = running.reply_within(TIMEOUT);
    let got = outcome(&timed.reply);
    if got != subject.event.expected || timed.handed_out.is_none() {
        let logs = running.logs();
        let tail: Vec<&str> = logs.lines().rev().take(LOG_TAIL).collect();
        eprintln!(
            "{}: expected {}, got {got} ({:?})\n{}",
            subject.name,
            subject.event.expected,
            timed.reply,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        std::process::exit(1);
    }
    timed
}

/// The time of `runs` HTTP requests on fresh connections (as at cold start), to the end of the
/// answer's body: servers may take their time closing the connection afterwards. One request
/// first, untimed, for the server's own warm-up.
fn round_trips(runs: usize, request: impl Fn() -> (String, String)) -> Vec<Duration> {
    let once = || {
        let (host, request) = request();
        let start = Instant::now();
        let mut stream = TcpStream::connect(host).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let answer = read_message(&mut BufReader::new(stream)).expect("an HTTP answer");
        assert_eq!(answer.status(), "200", "{}", answer.start);
        start.elapsed()
    };
    once();
    (0..runs).map(|_| once()).collect()
}

/// The median and the 10th and 90th percentiles.
fn spread(samples: &[Duration]) -> (Duration, Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.1), at(0.9))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

/// Times measured beside the functions, to put theirs in context.
struct Extras {
    /// moto's GetSecretValue, on a fresh connection.
    secrets_manager: Vec<Duration>,
    /// The loopback key-set endpoint's answer, on a fresh connection.
    key_fetch: Vec<Duration>,
    /// Spawning and reaping `true`.
    spawn: Vec<Duration>,
}

fn report(measured: &[Measured], runs: usize, invocations: usize, extras: &Extras) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| function | cold start, ms: median (p10–p90) | warm round trip, µs: median (p10–p90) | peak RSS, MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for m in measured {
        let (median, p10, p90) = spread(&m.cold);
        let warm = if m.warm.is_empty() {
            "—".to_owned()
        } else {
            let (median, p10, p90) = spread(&m.warm);
            format!("{} ({}–{})", us(median), us(p10), us(p90))
        };
        let _ = writeln!(
            out,
            "| {} | {} ({}–{}) | {warm} | {:.1} |",
            m.name,
            ms(median),
            ms(p10),
            ms(p90),
            m.peak_rss_kib as f64 / 1024.0
        );
    }
    let _ = writeln!(
        out,
        "\n{runs} cold starts and {invocations} warm invocations per function; spawning and \
         reaping `true` takes {} ms here.\n",
        ms(spread(&extras.spawn).0)
    );
    let find = |name: &str| measured.iter().find(|m| m.name == name);
    let cold = |m: &Measured| spread(&m.cold).0;
    if let (Some(secret), Some(arn)) = (
        find("authorizer-hs256"),
        find("authorizer-hs256, secret from JWT_SECRET_ARN (moto)"),
    ) {
        let (moto, _, _) = spread(&extras.secrets_manager);
        let _ = writeln!(
            out,
            "- `JWT_SECRET_ARN` adds {} ms to authorizer-hs256's cold start (median vs `JWT_SECRET`); \
             moto's GetSecretValue alone takes {} ms on a fresh connection, so the function's own share \
             (HTTP client, signing, the request) is about {} ms.",
            ms(cold(arn).saturating_sub(cold(secret))),
            ms(moto),
            ms(cold(arn).saturating_sub(cold(secret) + moto))
        );
    }
    if let (Some(file), Some(http)) = (
        find("authorizer-cognito, key set from file://"),
        find("authorizer-cognito, key set over loopback HTTP"),
    ) {
        let (fetch, _, _) = spread(&extras.key_fetch);
        let _ = writeln!(
            out,
            "- authorizer-cognito with its key set over loopback HTTP: {} ms; the fetch alone takes {} ms, \
             so without it {} ms (vs {} ms from file://, which builds no HTTP client).",
            ms(cold(http)),
            ms(fetch),
            ms(cold(http).saturating_sub(fetch)),
            ms(cold(file))
        );
    }
    if let (Some(ours), Some(peer)) = (
        find("authorizer-oidc, key set over loopback HTTP"),
        find(PEER),
    ) {
        let _ = writeln!(
            out,
            "- On the same loopback key-set fetch, authorizer-oidc starts in {} ms and \
             lmammino/oidc-authorizer in {} ms (medians).",
            ms(cold(ours)),
            ms(cold(peer))
        );
    }
    let _ = writeln!(
        out,
        "\n| Node ÷ Rust | cold start | warm round trip | peak RSS |\n|---|---|---|---|"
    );
    for (node, rust) in [
        ("Node 20 + jsonwebtoken (HS256)", "authorizer-hs256"),
        (
            "Node 20 + aws-jwt-verify (Cognito)",
            "authorizer-cognito, key set from file://",
        ),
    ] {
        if let (Some(node), Some(rust)) = (find(node), find(rust)) {
            let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
            let _ = writeln!(
                out,
                "| {} vs {} | {:.1}× | {:.1}× | {:.1}× |",
                node.name,
                rust.name,
                ratio(cold(node), cold(rust)),
                ratio(spread(&node.warm).0, spread(&rust.warm).0),
                node.peak_rss_kib as f64 / rust.peak_rss_kib as f64
            );
        }
    }
    out
}
