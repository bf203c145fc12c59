//! End to end: the release `authorizer-hs256` behind a loopback Lambda Runtime API.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e_tests::moto::Moto;
use e2e_tests::{
    Function, Reply, assert_logs_are_clean, assert_sample_events_pass, outcome, release_binary,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
const SECRET: &str = "e2e-secret-that-is-at-least-32-bytes-long";
const ISSUER: &str = "https://issuer.e2e";

fn start(extra: &[(&str, &str)]) -> Function {
    let mut env = vec![
        ("JWT_SECRET".to_owned(), SECRET.to_owned()),
        ("JWT_ISSUER".to_owned(), ISSUER.to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Function::start(&release_binary("authorizer-hs256"), &env)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(sub: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "groups": groups, "iss": ISSUER, "exp": now() + 600, "iat": now()})
}

fn token_event(token: &str, method: &str) -> String {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": format!("{API}/{method}/pets")})
        .to_string()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn every_sample_event_gets_its_expected_outcome() {
    assert_sample_events_pass("authorizer-hs256");
}

#[test]
fn alice_may_add_pets_and_bob_may_only_list_them() {
    let mut function = start(&[]);
    let alice = sign(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    let bob = sign(Algorithm::HS256, SECRET, &claims("bob", &[]));
    let Reply::Response(allowed) = function.invoke(&token_event(&alice, "POST")) else {
        panic!()
    };
    assert_eq!(allowed["principalId"], "alice");
    assert_eq!(allowed["context"]["groups"], "admin");
    assert_eq!(allowed["policyDocument"]["Version"], "2012-10-17");
    assert_eq!(
        outcome(&Reply::Response(allowed)),
        "200 allows GET /pets, POST /pets"
    );
    assert_eq!(
        outcome(&function.invoke(&token_event(&bob, "GET"))),
        "200 allows GET /pets"
    );
    assert_eq!(
        outcome(&function.invoke(&token_event(&bob, "POST"))),
        "403 allows GET /pets"
    );
}

#[test]
fn the_adversarial_set_fails_closed_and_the_function_keeps_serving() {
    let mut function = start(&[
        ("JWT_AUDIENCE", "petstore"),
        ("RUST_LOG", "trace"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ]);
    let good = json!({"sub": "mallory", "groups": ["admin"], "iss": ISSUER, "aud": "petstore", "exp": now() + 600});
    let with = |patch: Value| {
        let mut claims = good.clone();
        for (key, value) in patch.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };
    let valid = sign(Algorithm::HS256, SECRET, &good);
    let (header, rest) = valid.split_once('.').unwrap();
    let signature = rest.rsplit_once('.').unwrap().1;
    let none_header = b64(&json!({"alg": "none", "typ": "JWT"}));

    let tokens = [
        ("alg none", format!("{none_header}.{}.", b64(&good))),
        (
            "alg None",
            format!("{}.{}.", b64(&json!({"alg": "None"})), b64(&good)),
        ),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, SECRET, &good),
        ),
        (
            "HS384 with the right secret",
            sign(Algorithm::HS384, SECRET, &good),
        ),
        (
            "RS256 header",
            format!(
                "{}.{}.{signature}",
                b64(&json!({"alg": "RS256", "typ": "JWT"})),
                b64(&good)
            ),
        ),
        (
            "tampered payload",
            format!(
                "{header}.{}.{signature}",
                b64(&with(json!({"sub": "alice"})))
            ),
        ),
        ("stripped signature", format!("{header}.{}.", b64(&good))),
        ("two parts", format!("{header}.{}", b64(&good))),
        (
            "expired",
            sign(
                Algorithm::HS256,
                SECRET,
                &with(json!({"exp": now() - 3600})),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                SECRET,
                &with(json!({"nbf": now() + 3600})),
            ),
        ),
        (
            "no exp",
            sign(Algorithm::HS256, SECRET, &with(json!({"exp": null}))),
        ),
        (
            "no sub",
            sign(Algorithm::HS256, SECRET, &with(json!({"sub": null}))),
        ),
        (
            "empty sub",
            sign(Algorithm::HS256, SECRET, &with(json!({"sub": ""}))),
        ),
        (
            "wrong secret",
            sign(
                Algorithm::HS256,
                "mallorys-secret-also-at-least-32-bytes",
                &good,
            ),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::HS256,
                SECRET,
                &with(json!({"iss": "https://mallory.example"})),
            ),
        ),
        (
            "no issuer",
            sign(Algorithm::HS256, SECRET, &with(json!({"iss": null}))),
        ),
        (
            "wrong audience",
            sign(Algorithm::HS256, SECRET, &with(json!({"aud": "other-api"}))),
        ),
        (
            "no audience",
            sign(Algorithm::HS256, SECRET, &with(json!({"aud": null}))),
        ),
        (
            "groups of the wrong type",
            sign(
                Algorithm::HS256,
                SECRET,
                &with(json!({"groups": {"admin": true}})),
            ),
        ),
        (
            "100 KB token",
            format!("{header}.{}.{signature}", "A".repeat(100 * 1024)),
        ),
        ("garbage", "%%%.&&&.***".to_owned()),
    ];
    for (name, token) in &tokens {
        let reply = function.invoke(&token_event(token, "POST"));
        assert_eq!(outcome(&reply), "401", "{name}: {reply:?}");
    }

    let events = [
        (
            "no methodArn",
            json!({"type": "TOKEN", "authorizationToken": valid}),
        ),
        (
            "bad methodArn",
            json!({"type": "TOKEN", "authorizationToken": valid, "methodArn": "arn:aws:execute-api:us-east-1:*:x/prod/GET/pets"}),
        ),
        (
            "no type",
            json!({"authorizationToken": valid, "methodArn": format!("{API}/GET/pets")}),
        ),
        ("not an object", json!(["TOKEN", valid])),
        ("a string", json!("TOKEN")),
        ("null", json!(null)),
        (
            "REQUEST without requestContext",
            json!({"type": "REQUEST", "methodArn": format!("{API}/GET/pets"), "headers": {"Authorization": valid}}),
        ),
    ];
    for (name, event) in &events {
        let reply = function.invoke(&event.to_string());
        assert_eq!(outcome(&reply), "401", "{name}: {reply:?}");
    }

    assert!(
        function.is_running(),
        "the function died:\n{}",
        function.logs()
    );
    assert_eq!(
        outcome(&function.invoke(&token_event(&valid, "POST"))),
        "200 allows GET /pets, POST /pets"
    );
    let mut all: Vec<&str> = tokens.iter().map(|(_, token)| token.as_str()).collect();
    all.push(&valid);
    assert_logs_are_clean(&function.logs(), &all, tokens.len() + events.len());
    assert!(
        !function.logs().contains(SECRET),
        "the secret reached the logs"
    );
}

#[test]
fn logs_say_why_but_never_carry_the_token_or_the_secret() {
    let mut function = start(&[("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let expired = sign(
        Algorithm::HS256,
        SECRET,
        &json!({"sub": "bob", "iss": ISSUER, "exp": now() - 3600}),
    );
    let forged = sign(
        Algorithm::HS256,
        "mallorys-secret-also-at-least-32-bytes",
        &claims("mallory", &["admin"]),
    );
    let good = sign(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    for token in [&expired, &forged, &good] {
        function.invoke(&token_event(token, "POST"));
    }
    let logs = function.logs();
    for reason in [
        "\"reason\":\"expired\"",
        "\"reason\":\"bad_signature\"",
        "\"decision\":\"allow\"",
    ] {
        assert!(logs.contains(reason), "no {reason} in:\n{logs}");
    }
    for token in [&expired, &forged, &good] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !logs.contains(signature),
            "a token reached the logs:\n{logs}"
        );
    }
    assert!(!logs.contains(SECRET), "the secret reached the logs");
}

#[test]
fn bad_configuration_stops_the_function_at_init_naming_the_variable() {
    let binary = release_binary("authorizer-hs256");
    for (env, var) in [
        (vec![("JWT_SECRET", "short")], "JWT_SECRET"),
        (vec![], "JWT_SECRET_ARN"),
        (
            vec![("JWT_SECRET", SECRET), ("ACCESS_RULES", "{\"admins\": []}")],
            "ACCESS_RULES",
        ),
        (
            vec![("JWT_SECRET", SECRET), ("JWT_LEEWAY_SECONDS", "a minute")],
            "JWT_LEEWAY_SECONDS",
        ),
    ] {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut function = Function::start(&binary, &env);
        let logs = function.assert_init_fails_naming(var, Duration::from_secs(5));
        assert!(
            !logs.contains("short\""),
            "the secret's value reached the logs"
        );
    }
}

#[test]
fn reads_the_secret_from_secrets_manager_at_cold_start() {
    let binary = release_binary("authorizer-hs256");
    let moto = Moto::start();
    let arn = moto.create_secret(SECRET);
    let mut function = Function::start(&binary, &moto.secret_env(&arn));
    let alice = sign(
        Algorithm::HS256,
        SECRET,
        &json!({"sub": "alice", "groups": ["admin"], "exp": now() + 600}),
    );
    assert_eq!(
        outcome(&function.invoke(&token_event(&alice, "POST"))),
        "200 allows GET /pets, POST /pets"
    );

    let missing = arn.replace("petstore/jwt", "petstore/nothing");
    let mut function = Function::start(&binary, &moto.secret_env(&missing));
    function.assert_init_fails_naming("JWT_SECRET_ARN", Duration::from_secs(10));
}

#[test]
fn replay_limits_refuse_old_and_future_tokens() {
    let mut function = start(&[("JWT_MAX_AGE_SECONDS", "3600")]);
    let token = |claims: Value| token_event(&sign(Algorithm::HS256, SECRET, &claims), "GET");
    let base = |iat: Option<u64>| {
        let mut claims = json!({"sub": "bob", "iss": ISSUER, "exp": now() + 86_400});
        if let Some(iat) = iat {
            claims["iat"] = json!(iat);
        }
        claims
    };
    assert_eq!(
        outcome(&function.invoke(&token(base(Some(now() - 60))))),
        "200 allows GET /pets"
    );
    assert_eq!(
        outcome(&function.invoke(&token(base(Some(now() - 7200))))),
        "401",
        "older than the maximum age"
    );
    assert_eq!(
        outcome(&function.invoke(&token(base(None)))),
        "401",
        "no iat with a maximum age"
    );
    assert_eq!(
        outcome(&function.invoke(&token(base(Some(now() + 3600))))),
        "401",
        "issued in the future"
    );
    let logs = function.logs();
    for reason in ["too_old", "missing_claim", "iat_in_future"] {
        assert!(logs.contains(reason), "no {reason} in:\n{logs}");
    }
}
