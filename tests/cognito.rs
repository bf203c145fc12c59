//! End to end: the release `authorizer-cognito` behind a loopback Lambda Runtime API, its keys
//! served by a loopback key-set endpoint under the test's control.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use testkit::env::{owned, with};
use testkit::events::{in_every_shape, token_event};
use testkit::function::{Function, assert_sample_events_pass, peak_rss_kib};
use testkit::keys::{Key, key_set, key_set_file};
use testkit::keyserver::{Behaviour, KeyServer};
use testkit::logs::{assert_logs_are_clean, key_set_fetches, outcomes};
use testkit::paths::release_binary;
use testkit::reply::{Reply, outcome};
use testkit::tokens::{Parts, b64, forgeries, now, patched, rs256, signed_yet_refused};

const API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore02/$default";
const POOL: &str = "eu-west-1_TestPool1";
const CLIENT: &str = "test-app-client";
const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1";

fn start(keys: &KeyServer, extra: &[(&str, &str)]) -> Function {
    let env = owned(&[
        ("USER_POOL_ID", POOL),
        ("APP_CLIENT_IDS", &format!("other-client, {CLIENT}")),
        ("JWKS_URL", keys.url()),
    ]);
    Function::start(&release_binary("authorizer-cognito"), &with(&env, extra))
}

/// `claims` signed with our key under its own kid, as the pool signs them.
fn sign(claims: &Value) -> String {
    rs256(Key::Ours, "ours-key", claims)
}

fn access(sub: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "cognito:groups": groups, "iss": ISSUER, "client_id": CLIENT, "token_use": "access",
           "username": sub, "scope": "aws.cognito.signin.user.admin", "exp": now() + 600, "iat": now()})
}

fn id(sub: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "cognito:groups": groups, "iss": ISSUER, "aud": CLIENT, "token_use": "id",
           "cognito:username": sub, "email": format!("{sub}@example.com"), "exp": now() + 600, "iat": now()})
}

fn event(token: &str, method: &str) -> String {
    token_event(API, method, token)
}

#[test]
fn every_sample_event_gets_its_expected_outcome() {
    assert_sample_events_pass("authorizer-cognito");
}

#[test]
fn id_and_access_tokens_get_the_pet_store_rules() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut function = start(&keys, &[]);
    for token in [access as fn(&str, &[&str]) -> Value, id] {
        let alice = sign(&token("alice", &["admin"]));
        let bob = sign(&token("bob", &[]));
        function.assert_pet_store_rules(API, &alice, &bob);
        function.assert_pet_store_rules_on_http_apis(HTTP_API, &alice, &bob);
    }
    let Reply::Response(response) = function.invoke(&event(&sign(&id("alice", &["admin"])), "GET"))
    else {
        panic!()
    };
    assert_eq!(response["context"]["email"], "alice@example.com");
    assert_eq!(response["context"]["username"], "alice");
    assert_eq!(keys.fetches(), 1, "one fetch per container");
}

#[test]
fn token_use_narrows_the_accepted_kind() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut only_access = start(&keys, &[("TOKEN_USE", "access")]);
    assert_eq!(
        outcome(&only_access.invoke(&event(&sign(&access("bob", &[])), "GET"))),
        "200 allows GET /pets"
    );
    assert_eq!(
        outcome(&only_access.invoke(&event(&sign(&id("bob", &[])), "GET"))),
        "401"
    );
    let mut only_id = start(&keys, &[("TOKEN_USE", "id")]);
    assert_eq!(
        outcome(&only_id.invoke(&event(&sign(&id("bob", &[])), "GET"))),
        "200 allows GET /pets"
    );
    assert_eq!(
        outcome(&only_id.invoke(&event(&sign(&access("bob", &[])), "GET"))),
        "401"
    );
}

#[test]
fn the_adversarial_set_fails_closed_and_the_function_keeps_serving() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut function = start(
        &keys,
        &[("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")],
    );
    let good = access("mallory", &["admin"]);
    let valid = sign(&good);
    let parts = Parts::of(&valid);
    let public_jwk = Key::Ours.jwk();
    let jwk: Value = serde_json::from_str(public_jwk).unwrap();

    let mut confused = Header::new(Algorithm::HS256);
    confused.kid = Some("ours-key".into());
    let confusion_with =
        |secret: &[u8]| encode(&confused, &good, &EncodingKey::from_secret(secret)).unwrap();
    let mut jku = Header::new(Algorithm::RS256);
    jku.kid = Some("ours-key".into());
    jku.jku = Some("http://127.0.0.1:9/mallory-jwks.json".into());
    let mut no_kid = Header::new(Algorithm::RS256);
    no_kid.kid = None;

    let mut tokens = vec![
        (
            "alg none",
            Parts {
                header: b64(&json!({"alg": "none", "kid": "ours-key"})),
                signature: String::new(),
                ..parts.clone()
            }
            .join(),
        ),
        (
            "HS256 signed with the public key's modulus",
            confusion_with(jwk["n"].as_str().unwrap().as_bytes()),
        ),
        (
            "HS256 signed with the public JWK",
            confusion_with(public_jwk.as_bytes()),
        ),
        (
            "RS512 header",
            Parts {
                header: b64(&json!({"alg": "RS512", "kid": "ours-key"})),
                ..parts.clone()
            }
            .join(),
        ),
        (
            "a stranger's key under our kid",
            rs256(Key::Stranger, "ours-key", &good),
        ),
        (
            "a stranger's key behind jku",
            encode(&jku, &good, &Key::Stranger.encoding_key()).unwrap(),
        ),
        (
            "no kid",
            encode(&no_kid, &good, &Key::Ours.encoding_key()).unwrap(),
        ),
        ("unknown kid", rs256(Key::Ours, "no-such-key", &good)),
        (
            "expired",
            sign(&patched(&good, json!({"exp": now() - 3600}))),
        ),
        (
            "not yet valid",
            sign(&patched(&good, json!({"nbf": now() + 3600}))),
        ),
        ("no exp", sign(&patched(&good, json!({"exp": null})))),
        ("no sub", sign(&patched(&good, json!({"sub": null})))),
        (
            "another pool",
            sign(&patched(
                &good,
                json!({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"}),
            )),
        ),
        (
            "http:// issuer",
            sign(&patched(
                &good,
                json!({"iss": format!("http{}", &ISSUER[5..])}),
            )),
        ),
        ("no issuer", sign(&patched(&good, json!({"iss": null})))),
        (
            "another app client",
            sign(&patched(&good, json!({"client_id": "mallorys-client"}))),
        ),
        (
            "access token without client_id",
            sign(&patched(&good, json!({"client_id": null}))),
        ),
        (
            "token_use refresh",
            sign(&patched(&good, json!({"token_use": "refresh"}))),
        ),
        (
            "no token_use",
            sign(&patched(&good, json!({"token_use": null}))),
        ),
        (
            "ID token without aud",
            sign(&patched(&id("mallory", &["admin"]), json!({"aud": null}))),
        ),
        (
            "ID token for another client",
            sign(&patched(
                &id("mallory", &["admin"]),
                json!({"aud": "mallorys-client"}),
            )),
        ),
    ];
    tokens.extend(forgeries(&valid, &good));
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ours-key".into());
    tokens.extend(signed_yet_refused(
        &header,
        &Key::Ours.encoding_key(),
        &good,
    ));
    function.assert_each_refused(
        tokens
            .iter()
            .flat_map(|(name, token)| in_every_shape(name, token, API, HTTP_API)),
    );
    function.assert_still_serves(&event(&valid, "POST"), "200 allows GET /pets, POST /pets");
    let logs = function.logs();
    let mut all: Vec<&str> = tokens.iter().map(|(_, token)| token.as_str()).collect();
    all.push(&valid);
    assert_logs_are_clean(&logs, &all, 3 * tokens.len());
    for reason in [
        "wrong_algorithm",
        "bad_signature",
        "unknown_kid",
        "missing_kid",
        "wrong_issuer",
        "wrong_client",
        "wrong_token_use",
        "expired",
        "critical_extension",
        "bad_claim",
    ] {
        assert!(logs.contains(reason), "no {reason} in the logs:\n{logs}");
    }
}

#[test]
fn a_rotated_key_costs_exactly_one_refetch() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut function = start(&keys, &[("JWKS_MIN_REFETCH_SECONDS", "1")]);
    assert_eq!(
        outcome(&function.invoke(&event(&sign(&access("bob", &[])), "GET"))),
        "200 allows GET /pets"
    );
    assert_eq!(keys.fetches(), 1);

    keys.set(Behaviour::Serve(key_set(&[Key::Ours, Key::Stranger])));
    std::thread::sleep(Duration::from_millis(1100));
    let rotated = rs256(Key::Stranger, "stranger-key", &access("bob", &[]));
    for _ in 0..5 {
        assert_eq!(
            outcome(&function.invoke(&event(&rotated, "GET"))),
            "200 allows GET /pets"
        );
        assert_eq!(
            outcome(&function.invoke(&event(&sign(&access("bob", &[])), "GET"))),
            "200 allows GET /pets"
        );
    }
    assert_eq!(
        keys.fetches(),
        2,
        "the new kid is fetched once, then served from memory"
    );
}

#[test]
fn a_shipped_key_set_serves_without_a_fetch_until_a_key_is_missing() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours, Key::Stranger])));
    let shipped = key_set_file(&[Key::Ours]);
    let shipped = shipped.to_str().unwrap();
    let mut function = start(&keys, &[("JWKS_FILE", shipped)]);
    for method in ["GET", "POST"] {
        function.invoke(&event(&sign(&access("bob", &[])), method));
    }
    assert_eq!(
        outcome(&function.invoke(&event(&sign(&access("alice", &["admin"])), "POST"))),
        "200 allows GET /pets, POST /pets"
    );
    assert_eq!(keys.fetches(), 0, "the shipped keys need no fetch");
    let rotated = rs256(Key::Stranger, "stranger-key", &access("bob", &[]));
    for _ in 0..3 {
        assert_eq!(
            outcome(&function.invoke(&event(&rotated, "GET"))),
            "200 allows GET /pets"
        );
    }
    assert_eq!(keys.fetches(), 1, "a key the file lacks is fetched once");

    let binary = release_binary("authorizer-cognito");
    let useless = key_set_file(&[]);
    for path in ["/no/such/jwks.json", useless.to_str().unwrap()] {
        let env = owned(&[
            ("USER_POOL_ID", POOL),
            ("APP_CLIENT_IDS", CLIENT),
            ("JWKS_URL", keys.url()),
            ("JWKS_FILE", path),
        ]);
        Function::start(&binary, &env)
            .assert_init_fails_naming("JWKS_FILE", Duration::from_secs(5));
    }
}

#[test]
fn a_storm_of_unknown_kids_does_not_become_a_storm_of_fetches() {
    let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut function = start(&keys, &[("JWKS_MIN_REFETCH_SECONDS", "1")]);
    let started = Instant::now();
    for i in 0..200 {
        let forged = rs256(
            Key::Stranger,
            &format!("forged-{i}"),
            &access("mallory", &["admin"]),
        );
        assert_eq!(outcome(&function.invoke(&event(&forged, "POST"))), "401");
    }
    let seconds = started.elapsed().as_secs() as usize;
    assert!(
        keys.fetches() <= 2 + seconds,
        "{} fetches in {seconds} s",
        keys.fetches()
    );
}

#[test]
fn cached_keys_keep_serving_while_the_endpoint_is_down() {
    let mut keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut function = start(&keys, &[("JWKS_MIN_REFETCH_SECONDS", "1")]);
    let bob = sign(&access("bob", &[]));
    assert_eq!(
        outcome(&function.invoke(&event(&bob, "GET"))),
        "200 allows GET /pets"
    );
    keys.shut_down();
    std::thread::sleep(Duration::from_millis(1100));
    // A kid we cannot look up is a 500: the endpoint, not the caller, is at fault.
    assert_eq!(
        outcome(&function.invoke(&event(
            &rs256(Key::Ours, "new-key", &access("bob", &[])),
            "GET"
        ))),
        "500"
    );
    for _ in 0..3 {
        assert_eq!(
            outcome(&function.invoke(&event(&bob, "GET"))),
            "200 allows GET /pets"
        );
    }
}

#[test]
fn key_set_fetches_and_faults_are_counted() {
    let bob = sign(&access("bob", &[]));
    let mut keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
    let mut served = start(&keys, &[]);
    assert_eq!(
        outcome(&served.invoke(&event(&bob, "POST"))),
        "403 allows GET /pets"
    );
    let logs = served.logs();
    assert_eq!(
        key_set_fetches(&logs, "authorizer-cognito"),
        ["KeySetFetches"]
    );
    let denied = [("Denied".to_owned(), "no_grant".to_owned())];
    assert_eq!(outcomes(&logs, "authorizer-cognito"), denied);

    keys.shut_down();
    let mut unreachable = start(&keys, &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    assert_eq!(outcome(&unreachable.invoke(&event(&bob, "GET"))), "500");
    let logs = unreachable.logs();
    assert_eq!(
        key_set_fetches(&logs, "authorizer-cognito"),
        ["KeySetFetchFailures"],
        "the cold start's fetch, and no other within the interval"
    );
    let fault = [("Fault".to_owned(), "keys_unavailable".to_owned())];
    assert_eq!(outcomes(&logs, "authorizer-cognito"), fault);
}

#[test]
fn a_faulty_endpoint_at_cold_start_fails_closed_then_recovers() {
    let faults = [
        ("HTTP 500", Behaviour::Status(500)),
        ("HTTP 404", Behaviour::Status(404)),
        ("garbage", Behaviour::Garbage),
        (
            "slow",
            Behaviour::Slow(Duration::from_secs(8), key_set(&[Key::Ours])),
        ),
        ("50 MB", Behaviour::Huge(50 * 1024 * 1024)),
    ];
    let bob = sign(&access("bob", &[]));
    release_binary("authorizer-cognito");
    for (name, fault) in faults {
        let keys = KeyServer::start(fault);
        let started = Instant::now();
        let mut function = start(&keys, &[("JWKS_MIN_REFETCH_SECONDS", "1")]);
        let reply = function.invoke(&event(&bob, "GET"));
        assert_eq!(outcome(&reply), "500", "{name}: {reply:?}");
        assert!(
            started.elapsed() < Duration::from_secs(9),
            "{name}: took {:?}",
            started.elapsed()
        );
        let rss = peak_rss_kib(function.pid());
        assert!(rss < 32 * 1024, "{name}: peak RSS {rss} KiB");

        keys.set(Behaviour::Serve(key_set(&[Key::Ours])));
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            outcome(&function.invoke(&event(&bob, "GET"))),
            "200 allows GET /pets",
            "{name}: no recovery"
        );
        assert!(function.is_running());
    }
}

#[test]
fn bad_configuration_stops_the_function_at_init_naming_the_variable() {
    let binary = release_binary("authorizer-cognito");
    for (env, var) in [
        (vec![("APP_CLIENT_IDS", CLIENT)], "USER_POOL_ID"),
        (
            vec![("USER_POOL_ID", "not-a-pool"), ("APP_CLIENT_IDS", CLIENT)],
            "USER_POOL_ID",
        ),
        (vec![("USER_POOL_ID", POOL)], "APP_CLIENT_IDS"),
        (
            vec![
                ("USER_POOL_ID", POOL),
                ("APP_CLIENT_IDS", CLIENT),
                ("TOKEN_USE", "refresh"),
            ],
            "TOKEN_USE",
        ),
        (
            vec![
                ("USER_POOL_ID", POOL),
                ("APP_CLIENT_IDS", CLIENT),
                ("JWKS_URL", "ftp://x"),
            ],
            "JWKS_URL",
        ),
        (
            vec![
                ("USER_POOL_ID", POOL),
                ("APP_CLIENT_IDS", CLIENT),
                ("JWKS_URL", "http://keys.example.com/jwks.json"),
            ],
            "JWKS_URL",
        ),
        (
            vec![
                ("USER_POOL_ID", POOL),
                ("APP_CLIENT_IDS", CLIENT),
                ("JWKS_MAX_AGE_SECONDS", "0"),
            ],
            "JWKS_MAX_AGE_SECONDS",
        ),
        (
            vec![
                ("USER_POOL_ID", POOL),
                ("APP_CLIENT_IDS", CLIENT),
                ("ACCESS_RULES", "[]"),
            ],
            "ACCESS_RULES",
        ),
    ] {
        let mut function = Function::start(&binary, &owned(&env));
        function.assert_init_fails_naming(var, Duration::from_secs(5));
    }
}
