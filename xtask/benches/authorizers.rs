//! The authorizers' request path: verification alone, and the whole handler (event JSON in,
//! response JSON out), as `main` builds them, for a REST API's TOKEN event (`handler`) and an
//! HTTP API's event of payload format 2.0 answered simply (`handler_http_v2`).
//!
//! They are built by [`testkit::authorizers`], and their requests by [`testkit::bench`]; Cognito's
//! key set is served from a `file://` URL and fetched once, as at cold start, and the OpenID
//! Connect issuers' key sets are shipped files, so what is measured is the per-request work with a
//! warm key cache.
//!
//! `floor/rsa2048_verify` and `floor/p256_verify` are the signature checks alone (of the same
//! tokens with the same keys, parsed once as the authorizers' key sets parse them, by
//! `authorizer_core::jwt::PublicKey`; before issue 20's last step, `jsonwebtoken::crypto::verify`,
//! which parses the key at each check): what no authorizer can go below, to
//! which the `oidc_rs256` and `oidc_es256` handlers are compared. `floor/p384_verify` (ES384),
//! `floor/ed25519_verify` (EdDSA) and `floor/rsa4096_verify` (RS256 with a 4096-bit key) are the
//! other signatures an issuer may use, checked the same way; scripts/bench sets every floor beside
//! `openssl speed`'s verification on the same machine. Criterion times each benchmark apart, seconds
//! from the others; `benches/ratios.rs` times a handler and its floor in turns, for their ratio.

use std::hint::black_box;

use authorizer_core::jwt::Token;
use authorizer_core::{Authorizer, Env, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use jsonwebtoken::Algorithm;
use testkit::authorizers;
use testkit::bench::{
    CLIENT, ISSUER, OIDC_AUDIENCE, OIDC_BASE, POOL, SECRET, cognito_token, event, handle,
    hs256_token, http_v2_event, oidc_token, signature_check,
};
use testkit::keys::Key;
use tracing_subscriber::util::SubscriberInitExt as _;

/// `floor/<name>`: the signature of `token` checked alone, with `key`'s public key parsed once.
fn bench_floor(c: &mut Criterion, name: &str, token: &str, key: Key, algorithm: Algorithm) {
    let verify = signature_check(token, key, algorithm);
    c.bench_function(&format!("floor/{name}"), |b| b.iter(&verify));
}

/// `<name>/verify`, `<name>/handler` and `<name>/handler_http_v2`.
fn bench_paths<V: Verifier + Sync>(
    c: &mut Criterion,
    name: &str,
    authorizer: &Authorizer<V>,
    token: &str,
) {
    // The header's reading included, as it was before the Authorizer took it over.
    let verify = |token: &str| {
        let token = Token::parse(token)?;
        authorizer.verifier.verify(&token).now_or_never().unwrap()
    };
    assert!(verify(token).is_ok(), "{name}: the token must verify");
    c.bench_function(&format!("{name}/verify"), |b| {
        b.iter(|| verify(black_box(token)))
    });
    let event = event(token);
    c.bench_function(&format!("{name}/handler"), |b| {
        b.iter(|| handle(authorizer, black_box(&event)))
    });
    let http_event = http_v2_event(token);
    c.bench_function(&format!("{name}/handler_http_v2"), |b| {
        b.iter(|| handle(authorizer, black_box(&http_event)))
    });
}

fn bench(c: &mut Criterion) {
    let hs256 = authorizers::hs256(SECRET, &[("JWT_ISSUER", ISSUER)]);
    let token = hs256_token();
    bench_paths(c, "hs256", &hs256, &token);
    let cognito = authorizers::cognito(POOL, CLIENT);
    bench_paths(c, "cognito", &cognito, &cognito_token());
    // Every request above found its key in the cache.
    assert_eq!(cognito.verifier.key_cache().fetch_count(), 1);

    let oidc = authorizers::oidc(OIDC_BASE, OIDC_AUDIENCE);
    let (rs, es) = (
        oidc_token("rs256", Key::Ours, "ours-key"),
        oidc_token("es256", Key::Ec, "ours-ec-key"),
    );
    bench_floor(c, "rsa2048_verify", &rs, Key::Ours, Algorithm::RS256);
    bench_floor(c, "p256_verify", &es, Key::Ec, Algorithm::ES256);
    let floors = [
        ("p384_verify", "es384", Key::Ec384, "ours-ec384-key"),
        ("ed25519_verify", "eddsa", Key::Ed, "ours-ed-key"),
        ("rsa4096_verify", "rs4096", Key::Rsa4096, "ours-rsa4096-key"),
    ];
    for (name, issuer, key, kid) in floors {
        bench_floor(c, name, &oidc_token(issuer, key, kid), key, key.algorithm());
    }
    bench_paths(c, "oidc_rs256", &oidc, &rs);
    bench_paths(c, "oidc_es256", &oidc, &es);
    for issuer in ["rs256", "es256"] {
        let cache = oidc.verifier.key_cache(&format!("{OIDC_BASE}/{issuer}"));
        assert_eq!(
            cache.unwrap().fetch_count(),
            0,
            "shipped keys need no fetch"
        );
    }

    #[cfg(feature = "cedar")]
    bench_cedar(c, &token);

    // What a deployment adds: the JSON log line, formatted but written nowhere. (Metrics are not
    // installed until below, so every benchmark above writes no metric line.)
    let logs = tracing_subscriber::fmt()
        .json()
        .without_time()
        .with_writer(std::io::sink)
        .finish();
    let _logging = logs.set_default();
    let event = event(&token);
    c.bench_function("hs256/handler_logged", |b| {
        b.iter(|| handle(&hs256, black_box(&event)))
    });

    // And its EMF metric line, formatted and handed to a writer that drops it.
    let metrics = authorizer_core::metrics::Metrics::from_env(&Env::new(&|_| None), "bench")
        .expect("the default metrics settings");
    authorizer_core::metrics::install(metrics, |line| {
        black_box(line);
    });
    c.bench_function("hs256/handler_logged_metered", |b| {
        b.iter(|| handle(&hs256, black_box(&event)))
    });
}

/// The HS256 handler with the pet store's Cedar policies in place of its access rules, with 7 and
/// 70 actions in the schema (`hs256_cedar/handler/<actions>`): its policies name no `action` in
/// their conditions, so Cedar evaluates them once per request, whatever the number of actions.
/// Only in a build with Cedar (`--features cedar`), which the other benchmarks leave out to
/// measure the functions as they ship.
#[cfg(feature = "cedar")]
fn bench_cedar(c: &mut Criterion, token: &str) {
    for actions in [7, 70] {
        let (policies, schema) = authorizers::cedar_pet_store(actions);
        let cedar = authorizers::hs256(
            SECRET,
            &[
                ("JWT_ISSUER", ISSUER),
                ("CEDAR_POLICIES", &policies),
                ("CEDAR_SCHEMA", &schema),
            ],
        );
        let event = event(token);
        let answer = String::from_utf8(handle(&cedar, &event)).unwrap();
        assert!(
            answer.contains("/POST/pets"),
            "Alice may add pets: {answer}"
        );
        c.bench_function(&format!("hs256_cedar/handler/{actions}"), |b| {
            b.iter(|| handle(&cedar, black_box(&event)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
