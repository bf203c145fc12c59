//! Measures how many invocations one process of each authorizer answers per second when it serves
//! several at once, as on Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`), beside the
//! same process serving one at a time as on ordinary Lambda.
//!
//! `cargo run --release -p xtask --bin throughput -- [--invocations N]`; `scripts/bench` runs it.
//! Each process answers N/10 unrecorded invocations, then N more queued at once behind a loopback
//! Runtime API ([`testkit::runtime_api`]) that hands events to every poller; every answer is
//! checked against the sample event's expected outcome. The Runtime API runs on the same machine
//! and shares its cores, as Lambda's does not: compare the rows with one another, not with a
//! deployment. Prints a Markdown table: the one of BENCHMARKS.md.

use std::time::{Duration, Instant};

use clap::Parser;
use testkit::env::with;
use testkit::events::sample_event;
use testkit::function::{Function, peak_rss_kib};
use testkit::paths::{demo_env, release_binary};
use testkit::reply::outcome;

/// How long the whole batch may take before the run is declared failed.
const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Parser)]
struct Options {
    /// Invocations timed per function and concurrency.
    #[arg(long, default_value_t = 5000)]
    invocations: usize,
}

/// `AWS_LAMBDA_MAX_CONCURRENCY` for each row: unset (ordinary Lambda), then 1, 2, 4 and 8.
const CONCURRENCY: [Option<&str>; 5] = [None, Some("1"), Some("2"), Some("4"), Some("8")];

fn main() {
    let Options { invocations } = Options::parse();
    let subjects = [
        ("authorizer-hs256", "admin-post"),
        ("authorizer-cognito", "admin-access-token-post"),
        ("authorizer-oidc", "admin-access-token-post"),
        ("noop-cors", "preflight"),
    ];
    println!(
        "| function | AWS_LAMBDA_MAX_CONCURRENCY | invocations/s | × one at a time | \
         most in flight | peak RSS, MiB |"
    );
    println!("|---|---|---|---|---|---|");
    for (function, event) in subjects {
        let event = sample_event(function, event);
        let binary = release_binary(function);
        let mut sequential = None;
        for concurrency in CONCURRENCY {
            eprintln!("timing {function} with {concurrency:?}…");
            let setting: Vec<(&str, &str)> = concurrency
                .iter()
                .map(|n| ("AWS_LAMBDA_MAX_CONCURRENCY", *n))
                .chain([("AWS_LAMBDA_LOG_FORMAT", "JSON")])
                .collect();
            let mut running = Function::start(&binary, &with(&demo_env(function), &setting));
            answer_all(&mut running, &event.json, &event.expected, invocations / 10);
            let started = Instant::now();
            answer_all(&mut running, &event.json, &event.expected, invocations);
            let per_second = invocations as f64 / started.elapsed().as_secs_f64();
            let baseline = *sequential.get_or_insert(per_second);
            println!(
                "| {function} | {} | {per_second:.0} | {:.2} | {} | {:.1} |",
                concurrency.unwrap_or("unset"),
                per_second / baseline,
                running.max_in_flight(),
                peak_rss_kib(running.pid()) as f64 / 1024.0
            );
        }
    }
}

/// Queues `count` copies of `event` at once and waits for every answer, each of which must be
/// `expected`: anything else ends the run.
fn answer_all(running: &mut Function, event: &str, expected: &str, count: usize) {
    for _ in 0..count {
        running.queue(event);
    }
    let deadline = Instant::now() + TIMEOUT;
    for _ in 0..count {
        let timed = running.reply_within(deadline.saturating_duration_since(Instant::now()));
        let got = outcome(&timed.reply);
        if got != expected {
            eprintln!("expected {expected}, got {got}\n{}", running.logs());
            std::process::exit(1);
        }
    }
}
