//! Each handler's time over its signature check's alone, which issue 20 wants at most 1.4×.
//!
//! Criterion times each benchmark seconds apart from the others, and on a shared VM the machine's
//! speed drifts between them by up to half (BENCHMARKS.md), more than the ratio's whole margin.
//! Here a handler and its signature check take turns in blocks of about a millisecond — check,
//! handler, handler, check — for many rounds in one process, so that a drift slower than a round
//! slows both alike. Each round gives one ratio; a Markdown table gives, for each handler, the
//! medians of both times and of the ratios, and the 10th to 90th percentile of the ratios.
//!
//! `cargo bench -p xtask --bench ratios`; `BENCH_RATIO_ROUNDS` sets the rounds (default 400,
//! about two seconds per handler here).

use std::hint::black_box;
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use testkit::authorizers;
use testkit::bench::{
    CLIENT, OIDC_AUDIENCE, OIDC_BASE, POOL, cognito_token, event, handle, http_v2_event,
    oidc_token, signature_check,
};
use testkit::keys::Key;

/// How long a block of calls lasts, about: long enough for `Instant` to time it finely, short
/// enough that the machine's speed holds through a round.
const BLOCK: Duration = Duration::from_millis(1);

fn main() {
    let rounds = match std::env::var("BENCH_RATIO_ROUNDS") {
        Ok(rounds) => rounds
            .parse()
            .expect("BENCH_RATIO_ROUNDS: a number of rounds"),
        Err(_) => 400,
    };
    let cognito = authorizers::cognito(POOL, CLIENT);
    let oidc = authorizers::oidc(OIDC_BASE, OIDC_AUDIENCE);
    let cognito_token = cognito_token();
    let rs256 = oidc_token("rs256", Key::Ours, "ours-key");
    let es256 = oidc_token("es256", Key::Ec, "ours-ec-key");
    let (cognito_event, rs256_event, rs256_v2_event, es256_event) = (
        event(&cognito_token),
        event(&rs256),
        http_v2_event(&rs256),
        event(&es256),
    );
    let cognito_check = signature_check(&cognito_token, Key::Ours, Algorithm::RS256);
    let rsa_check = signature_check(&rs256, Key::Ours, Algorithm::RS256);
    let p256_check = signature_check(&es256, Key::Ec, Algorithm::ES256);

    println!("Each handler beside its signature check alone, in turns ({rounds} rounds):");
    println!();
    println!(
        "| handler | its signature check | handler, median | check, median | ratio, median [p10–p90] |"
    );
    println!("|---|---|---|---|---|");
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a dyn Fn() -> Vec<u8>,
        &'a dyn Fn() -> bool,
    );
    let rows: [Row; 4] = [
        (
            "cognito/handler",
            "RSA-2048",
            &|| handle(&cognito, black_box(&cognito_event)),
            &cognito_check,
        ),
        (
            "oidc_rs256/handler",
            "RSA-2048",
            &|| handle(&oidc, black_box(&rs256_event)),
            &rsa_check,
        ),
        (
            "oidc_rs256/handler_http_v2",
            "RSA-2048",
            &|| handle(&oidc, black_box(&rs256_v2_event)),
            &rsa_check,
        ),
        (
            "oidc_es256/handler",
            "P-256",
            &|| handle(&oidc, black_box(&es256_event)),
            &p256_check,
        ),
    ];
    for (name, algorithm, handler, check) in rows {
        let turns = Turns::measure(rounds, handler, check);
        println!(
            "| `{name}` | {algorithm} | {} | {} | {:.2}× [{:.2}–{:.2}] |",
            micros(turns.handler),
            micros(turns.check),
            turns.ratios[rounds / 2],
            turns.ratios[rounds / 10],
            turns.ratios[rounds - 1 - rounds / 10],
        );
    }
}

/// What the rounds of one handler and its check measured.
struct Turns {
    /// The median time of one handler call.
    handler: Duration,
    /// The median time of one signature check.
    check: Duration,
    /// Each round's ratio of the two, sorted.
    ratios: Vec<f64>,
}

impl Turns {
    /// `rounds` rounds of `handler` and `check` in turns, after half a second of each to warm up.
    fn measure<H, C>(rounds: usize, handler: impl Fn() -> H, check: impl Fn() -> C) -> Self {
        assert!(rounds >= 10, "BENCH_RATIO_ROUNDS: at least 10 rounds");
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(500) {
            black_box(handler());
            black_box(check());
        }
        // As many calls per block as fill one with the check, which is the faster of the two.
        let calls = {
            let started = Instant::now();
            let mut calls = 0;
            while started.elapsed() < BLOCK {
                black_box(check());
                calls += 1;
            }
            calls
        };
        let block = |call: &dyn Fn()| {
            let started = Instant::now();
            for _ in 0..calls {
                call();
            }
            started.elapsed() / calls
        };
        let (mut handlers, mut checks, mut ratios) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            let first = block(&|| drop(black_box(check())));
            let handled =
                block(&|| drop(black_box(handler()))) + block(&|| drop(black_box(handler())));
            let checked = first + block(&|| drop(black_box(check())));
            ratios.push(handled.as_secs_f64() / checked.as_secs_f64());
            handlers.push(handled / 2);
            checks.push(checked / 2);
        }
        handlers.sort();
        checks.sort();
        ratios.sort_by(f64::total_cmp);
        Turns {
            handler: handlers[rounds / 2],
            check: checks[rounds / 2],
            ratios,
        }
    }
}

fn micros(time: Duration) -> String {
    format!("{:.2} µs", time.as_secs_f64() * 1e6)
}
