//! End to end: the release functions as Lambda Managed Instances run them, several invocations at
//! once in one process (`AWS_LAMBDA_MAX_CONCURRENCY`), behind a loopback Runtime API that hands
//! events to every poller; and the same functions one invocation at a time without it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::env::{owned, with};
use testkit::events::{sample_events, token_event};
use testkit::function::{Function, peak_rss_kib};
use testkit::keys::{Key, key_set};
use testkit::keyserver::{Behaviour, KeyServer};
use testkit::logs::outcomes;
use testkit::paths::{demo_env, release_binary};
use testkit::reply::outcome;
use testkit::runtime_api::Timed;
use testkit::tokens::{now, rs256};

/// What Lambda Managed Instances set for a function of 1 vCPU (8 per vCPU for Rust).
const CONCURRENCY: (&str, &str) = ("AWS_LAMBDA_MAX_CONCURRENCY", "8");

/// Invocations of each function in the mixed run.
const INVOCATIONS: usize = 2000;

/// Every reply to the events queued under `expected`'s request ids, waited for up to `timeout`,
/// by request id.
fn replies(function: &mut Function, count: usize, timeout: Duration) -> HashMap<String, Timed> {
    let deadline = Instant::now() + timeout;
    let mut replies = HashMap::new();
    while replies.len() < count && Instant::now() < deadline {
        let timed = function.reply_within(deadline.saturating_duration_since(Instant::now()));
        let id = timed
            .request_id
            .clone()
            .unwrap_or_else(|| panic!("a reply to no event: {:?}", timed.reply));
        replies.insert(id, timed);
    }
    replies
}

/// Runs `function`'s sample events (those of its demo settings), over and over up to
/// [`INVOCATIONS`], all queued at once through a process started with `env`, and asserts that
/// each gets its expected outcome; returns the process for further checks.
fn run_mixed(function: &str, env: &[(&str, &str)]) -> Function {
    let events: Vec<_> = sample_events(function)
        .into_iter()
        .filter(|event| event.env.is_empty())
        .collect();
    let env = with(&demo_env(function), env);
    let mut running = Function::start(&release_binary(function), &env);
    let expected: HashMap<String, (&str, &str)> = events
        .iter()
        .cycle()
        .take(INVOCATIONS)
        .map(|event| {
            let id = running.queue(&event.json);
            (id, (event.name.as_str(), event.expected.as_str()))
        })
        .collect();
    let replies = replies(&mut running, INVOCATIONS, Duration::from_secs(60));
    assert_eq!(replies.len(), INVOCATIONS, "{function}: answers missing");
    let wrong: Vec<String> = replies
        .iter()
        .filter_map(|(id, timed)| {
            let (name, expected) = expected[id];
            let actual = outcome(&timed.reply);
            (actual != expected).then(|| format!("{name}: expected {expected:?}, got {actual:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{function}: {wrong:#?}");
    running
}

#[test]
fn thousands_of_mixed_invocations_are_each_answered_right_several_at_once() {
    for function in [
        "authorizer-hs256",
        "authorizer-cognito",
        "authorizer-oidc",
        "noop-cors",
    ] {
        let running = run_mixed(function, &[CONCURRENCY, ("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
        assert!(
            running.max_in_flight() >= 2,
            "{function}: at most {} invocation in flight",
            running.max_in_flight()
        );
        let rss = peak_rss_kib(running.pid());
        assert!(rss < 32 * 1024, "{function}: peak RSS {rss} KiB");
        // Each log and metric line whole, never cut by another one written at the same time.
        let logs = running.logs();
        let broken: Vec<&str> = logs
            .lines()
            .filter(|line| serde_json::from_str::<Value>(line).is_err())
            .collect();
        assert!(broken.is_empty(), "{function}: lines cut: {broken:#?}");
        if function != "noop-cors" {
            let counted = outcomes(&logs, function).len();
            assert_eq!(
                counted, INVOCATIONS,
                "{function}: one metric line an answer"
            );
        }
    }
}

#[test]
fn without_the_variable_invocations_are_served_one_at_a_time() {
    let running = run_mixed("authorizer-hs256", &[]);
    assert_eq!(running.max_in_flight(), 1);
}

#[test]
fn a_slow_refetch_holds_up_only_the_requests_that_need_it() {
    const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1";
    const API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod";
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let env = owned(&[
        ("USER_POOL_ID", "eu-west-1_TestPool1"),
        ("APP_CLIENT_IDS", "test-app-client"),
        ("JWKS_URL", keys.url()),
        ("JWKS_MIN_REFETCH_SECONDS", "1"),
        CONCURRENCY,
    ]);
    let mut function = Function::start(&release_binary("authorizer-cognito"), &env);
    let claims = serde_json::json!({"sub": "bob", "iss": ISSUER, "client_id": "test-app-client",
        "token_use": "access", "exp": now() + 600});
    let cached = token_event(API, "GET", &rs256(Key::Ours, "ours-key", &claims));
    let rotated = token_event(API, "GET", &rs256(Key::Stranger, "stranger-key", &claims));
    assert_eq!(outcome(&function.invoke(&cached)), "200 allows GET /pets");
    assert_eq!(keys.fetches(), 1);

    std::thread::sleep(Duration::from_millis(1100));
    keys.set(Behaviour::Slow(
        Duration::from_secs(2),
        key_set(&[Key::Ours, Key::Stranger]),
    ));
    let waiting: Vec<String> = (0..3).map(|_| function.queue(&rotated)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let served: Vec<String> = (0..100).map(|_| function.queue(&cached)).collect();
    let replies = replies(&mut function, 103, Duration::from_secs(10));
    let answered = |id: &String| &replies[id];
    let refetched = waiting
        .iter()
        .map(answered)
        .map(|t| t.answered)
        .min()
        .unwrap();
    for id in &served {
        let timed = answered(id);
        assert_eq!(outcome(&timed.reply), "200 allows GET /pets");
        assert!(
            timed.answered < refetched,
            "a cached key waited for the refetch"
        );
    }
    for id in &waiting {
        let timed = answered(id);
        assert_eq!(outcome(&timed.reply), "200 allows GET /pets");
        let waited = timed.answered - timed.handed_out.unwrap();
        assert!(waited >= Duration::from_millis(1500), "{waited:?}");
    }
    assert_eq!(keys.fetches(), 2, "the three misses shared one refetch");
}
