//! End to end: the release `authorizer-hs256` behind a loopback Lambda Runtime API.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use testkit::env::{owned, with};
use testkit::events::{http_event, in_every_shape, token_event};
use testkit::function::{Function, assert_sample_events_pass};
use testkit::logs::{assert_logs_are_clean, outcomes};
use testkit::moto::Moto;
use testkit::paths::release_binary;
use testkit::reply::{Reply, outcome};
use testkit::tokens::{Parts, b64, forgeries, hs, now, patched, signed_yet_refused};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore02/$default";
const SECRET: &str = "e2e-secret-that-is-at-least-32-bytes-long";
const ISSUER: &str = "https://issuer.e2e";

fn start(extra: &[(&str, &str)]) -> Function {
    let env = with(
        &owned(&[("JWT_SECRET", SECRET), ("JWT_ISSUER", ISSUER)]),
        extra,
    );
    Function::start(&release_binary("authorizer-hs256"), &env)
}

fn claims(sub: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "groups": groups, "iss": ISSUER, "exp": now() + 600, "iat": now()})
}

fn event(token: &str, method: &str) -> String {
    token_event(API, method, token)
}

#[test]
fn every_sample_event_gets_its_expected_outcome() {
    assert_sample_events_pass("authorizer-hs256");
}

#[test]
fn alice_may_add_pets_and_bob_may_only_list_them() {
    let mut function = start(&[]);
    let alice = hs(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    let bob = hs(Algorithm::HS256, SECRET, &claims("bob", &[]));
    let Reply::Response(allowed) = function.invoke(&event(&alice, "POST")) else {
        panic!()
    };
    assert_eq!(allowed["principalId"], "alice");
    assert_eq!(allowed["context"]["groups"], "admin");
    assert_eq!(allowed["policyDocument"]["Version"], "2012-10-17");
    assert_eq!(
        outcome(&Reply::Response(allowed)),
        "200 allows GET /pets, POST /pets"
    );
    function.assert_pet_store_rules(API, &alice, &bob);
    function.assert_pet_store_rules_on_http_apis(HTTP_API, &alice, &bob);
}

#[test]
fn claim_conditions_grant_and_context_claims_reach_the_backend() {
    let mut function = start(&[
        (
            "ACCESS_RULES",
            r#"{"*": [], "claim:email_verified=true": ["GET /pets"], "claim:tier=premium": ["GET /pets/*"]}"#,
        ),
        ("CONTEXT_CLAIMS", "tier, roles"),
    ]);
    let token = |extra: Value| {
        let mut claims = claims("carol", &[]);
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        hs(Algorithm::HS256, SECRET, &claims)
    };
    let premium = token(json!({"email_verified": true, "tier": "premium", "roles": ["vet"]}));
    let Reply::Response(answer) = function.invoke(&event(&premium, "GET")) else {
        panic!()
    };
    assert_eq!(
        outcome(&Reply::Response(answer.clone())),
        "200 allows GET /pets, GET /pets/*"
    );
    assert_eq!(answer["context"]["tier"], "premium");
    assert_eq!(answer["context"]["roles"], r#"["vet"]"#);
    let unverified = token(json!({"email_verified": "true"}));
    assert_eq!(
        outcome(&function.invoke(&event(&unverified, "GET"))),
        "403 allows nothing"
    );
    let mut taken = start(&[("CONTEXT_CLAIMS", "sub")]);
    taken.assert_init_fails_naming("CONTEXT_CLAIMS", Duration::from_secs(5));
}

#[test]
fn each_caller_may_change_only_their_own_account() {
    let mut function = start(&[(
        "ACCESS_RULES",
        r#"{"*": ["GET /pets", "PUT /accounts/${sub}"]}"#,
    )]);
    let mut put = |sub: &str, account: &str| {
        let token = hs(Algorithm::HS256, SECRET, &claims(sub, &[]));
        let arn = format!("{API}/PUT/accounts/{account}");
        let event = json!({"type": "TOKEN", "authorizationToken": token, "methodArn": arn});
        outcome(&function.invoke(&event.to_string()))
    };
    assert_eq!(put("bob", "bob"), "200 allows GET /pets, PUT /accounts/bob");
    assert_eq!(
        put("bob", "alice"),
        "403 allows GET /pets, PUT /accounts/bob"
    );
    assert_eq!(
        put("auth0|5f7c", "auth0%7C5f7c"),
        "200 allows GET /pets, PUT /accounts/auth0%7C5f7c, PUT /accounts/auth0%7c5f7c, PUT /accounts/auth0|5f7c"
    );
    // Mallory's subject would widen the grant: the rule is left out for her.
    for sub in ["*", "mallory/../alice", "m?llory"] {
        assert_eq!(put(sub, "alice"), "403 allows GET /pets", "{sub}");
    }
    let logs = function.logs();
    assert!(logs.contains("placeholder_value_refused"), "{logs}");
}

#[test]
fn http_apis_get_a_simple_answer_or_a_cache_safe_policy() {
    let alice = hs(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    let bearer = json!({"authorization": format!("Bearer {alice}")});
    let mut simple = start(&[]);
    let Reply::Response(answer) = simple.invoke(&http_event(HTTP_API, "GET", bearer.clone()))
    else {
        panic!()
    };
    assert_eq!(
        answer,
        json!({"isAuthorized": true, "context": {"sub": "alice", "groups": "admin"}})
    );

    let mut iam = start(&[("HTTP_API_RESPONSE", "iam")]);
    let Reply::Response(answer) = iam.invoke(&http_event(HTTP_API, "GET", bearer)) else {
        panic!()
    };
    assert_eq!(answer["principalId"], "alice");
    assert!(answer.get("usageIdentifierKey").is_none(), "{answer}");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Resource"],
        json!([
            format!("{HTTP_API}/GET/pets"),
            format!("{HTTP_API}/POST/pets")
        ])
    );
    assert_eq!(
        outcome(&iam.invoke(&http_event(
            HTTP_API,
            "POST",
            json!({"authorization": format!("Bearer {}", hs(Algorithm::HS256, SECRET, &claims("bob", &[])))})
        ))),
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
    let valid = hs(Algorithm::HS256, SECRET, &good);
    let parts = Parts::of(&valid);
    let unsigned = |header: Value| {
        Parts {
            header: b64(&header),
            signature: String::new(),
            ..parts.clone()
        }
        .join()
    };

    let mut tokens = vec![
        ("alg none", unsigned(json!({"alg": "none", "typ": "JWT"}))),
        ("alg None", unsigned(json!({"alg": "None"}))),
        (
            "HS512 with the right secret",
            hs(Algorithm::HS512, SECRET, &good),
        ),
        (
            "HS384 with the right secret",
            hs(Algorithm::HS384, SECRET, &good),
        ),
        (
            "RS256 header",
            Parts {
                header: b64(&json!({"alg": "RS256", "typ": "JWT"})),
                ..parts.clone()
            }
            .join(),
        ),
        ("two parts", format!("{}.{}", parts.header, parts.payload)),
        (
            "expired",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"exp": now() - 3600})),
            ),
        ),
        (
            "not yet valid",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"nbf": now() + 3600})),
            ),
        ),
        (
            "no exp",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"exp": null})),
            ),
        ),
        (
            "no sub",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"sub": null})),
            ),
        ),
        (
            "empty sub",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"sub": ""})),
            ),
        ),
        (
            "wrong secret",
            hs(
                Algorithm::HS256,
                "mallorys-secret-also-at-least-32-bytes",
                &good,
            ),
        ),
        (
            "wrong issuer",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"iss": "https://mallory.example"})),
            ),
        ),
        (
            "no issuer",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"iss": null})),
            ),
        ),
        (
            "wrong audience",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"aud": "other-api"})),
            ),
        ),
        (
            "no audience",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"aud": null})),
            ),
        ),
        (
            "groups of the wrong type",
            hs(
                Algorithm::HS256,
                SECRET,
                &patched(&good, json!({"groups": {"admin": true}})),
            ),
        ),
        ("garbage", "%%%.&&&.***".to_owned()),
    ];
    tokens.extend(forgeries(&valid, &good));
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    tokens.extend(signed_yet_refused(
        &Header::new(Algorithm::HS256),
        &key,
        &good,
    ));
    function.assert_each_refused(
        tokens
            .iter()
            .flat_map(|(name, token)| in_every_shape(name, token, API, HTTP_API)),
    );

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
        (
            "HTTP 2.0 without routeArn",
            json!({"version": "2.0", "type": "REQUEST", "headers": {"authorization": valid}}),
        ),
        (
            "HTTP 2.0 with an identitySource that is not an array",
            json!({"version": "2.0", "type": "REQUEST", "routeArn": format!("{HTTP_API}/GET/pets"),
                   "identitySource": valid, "headers": {"authorization": valid}}),
        ),
        (
            "HTTP 2.0 with headers that are not an object",
            json!({"version": "2.0", "type": "REQUEST", "routeArn": format!("{HTTP_API}/GET/pets"),
                   "headers": [["authorization", valid]]}),
        ),
        (
            "HTTP 2.0 with a header that is not a string",
            json!({"version": "2.0", "type": "REQUEST", "routeArn": format!("{HTTP_API}/GET/pets"),
                   "headers": {"authorization": valid, "x-count": 2}}),
        ),
        (
            "HTTP with an unknown version",
            json!({"version": "3.0", "type": "REQUEST", "routeArn": format!("{HTTP_API}/GET/pets"),
                   "headers": {"authorization": valid}}),
        ),
        (
            "HTTP 1.0 without methodArn",
            json!({"version": "1.0", "type": "REQUEST", "headers": {"authorization": valid},
                   "requestContext": {"stage": "$default"}}),
        ),
    ];
    function.assert_each_refused(
        events
            .iter()
            .map(|(name, event)| (*name, event.to_string())),
    );

    function.assert_still_serves(&event(&valid, "POST"), "200 allows GET /pets, POST /pets");
    let mut all: Vec<&str> = tokens.iter().map(|(_, token)| token.as_str()).collect();
    all.push(&valid);
    assert_logs_are_clean(&function.logs(), &all, 3 * tokens.len() + events.len());
    assert!(
        !function.logs().contains(SECRET),
        "the secret reached the logs"
    );
    for reason in ["critical_extension", "bad_claim", "wrong_algorithm"] {
        assert!(
            function.logs().contains(reason),
            "no {reason} in the logs:\n{}",
            function.logs()
        );
    }
}

#[test]
fn each_answer_counts_once_in_the_metric_of_its_outcome_in_either_log_format() {
    let alice = hs(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    let bob = hs(Algorithm::HS256, SECRET, &claims("bob", &[]));
    let expired = hs(
        Algorithm::HS256,
        SECRET,
        &patched(&claims("bob", &[]), json!({"exp": now() - 3600})),
    );
    for format in ["JSON", "Text"] {
        let mut function = start(&[("AWS_LAMBDA_LOG_FORMAT", format)]);
        for (token, method) in [(&alice, "POST"), (&bob, "POST"), (&expired, "GET")] {
            function.invoke(&event(token, method));
        }
        function.invoke(&http_event(
            HTTP_API,
            "GET",
            json!({"authorization": "Bearer x.y"}),
        ));
        let logs = function.logs();
        let counted = outcomes(&logs, "authorizer-hs256");
        let expected = [
            ("Allowed", "allowed"),
            ("Denied", "no_grant"),
            ("Unauthorized", "expired"),
            ("Unauthorized", "malformed_token"),
        ];
        let counted: Vec<(&str, &str)> = counted
            .iter()
            .map(|(metric, reason)| (metric.as_str(), reason.as_str()))
            .collect();
        assert_eq!(counted, expected, "{format}:\n{logs}");
        let refused = if format == "JSON" { 2 } else { 0 };
        assert_logs_are_clean(&logs, &[&alice, &bob, &expired], refused);
    }
    let mut renamed = start(&[("POWERTOOLS_SERVICE_NAME", "pets-auth")]);
    renamed.invoke(&event(&alice, "GET"));
    assert_eq!(
        outcomes(&renamed.logs(), "pets-auth"),
        [("Allowed".to_owned(), "allowed".to_owned())]
    );
}

#[test]
fn logs_say_why_but_never_carry_the_token_or_the_secret() {
    let mut function = start(&[("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let expired = hs(
        Algorithm::HS256,
        SECRET,
        &json!({"sub": "bob", "iss": ISSUER, "exp": now() - 3600}),
    );
    let forged = hs(
        Algorithm::HS256,
        "mallorys-secret-also-at-least-32-bytes",
        &claims("mallory", &["admin"]),
    );
    let good = hs(Algorithm::HS256, SECRET, &claims("alice", &["admin"]));
    for token in [&expired, &forged, &good] {
        function.invoke(&event(token, "POST"));
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
        let mut function = Function::start(&binary, &owned(&env));
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
    let arn = moto.create_secret("petstore/jwt", SECRET);
    let mut function = Function::start(&binary, &moto.secret_env("JWT_SECRET_ARN", &arn));
    let alice = hs(
        Algorithm::HS256,
        SECRET,
        &json!({"sub": "alice", "groups": ["admin"], "exp": now() + 600}),
    );
    assert_eq!(
        outcome(&function.invoke(&event(&alice, "POST"))),
        "200 allows GET /pets, POST /pets"
    );

    // A secret that cannot be read stops the function, and counts as a fault, so that the fault
    // alarm sees a function that cannot start.
    let missing = arn.replace("petstore/jwt", "petstore/nothing");
    let mut function = Function::start(&binary, &moto.secret_env("JWT_SECRET_ARN", &missing));
    let logs = function.assert_init_fails_naming("JWT_SECRET_ARN", Duration::from_secs(10));
    assert_eq!(
        outcomes(&logs, "authorizer-hs256"),
        [("Fault".to_owned(), "init_dependency_unavailable".to_owned())],
        "{logs}"
    );
}

#[test]
fn usage_plan_keys_follow_the_callers_tier_and_stay_secret() {
    const STANDARD: &str = "StandardKey0000000000000001";
    const PREMIUM: &str = "PremiumKey00000000000000002";
    let moto = Moto::start();
    let keys = json!({"*": STANDARD, "group:premium": PREMIUM}).to_string();
    let arn = moto.create_secret("petstore/usage-plan-keys", &keys);
    let env = [
        owned(&[
            ("JWT_SECRET", SECRET),
            ("JWT_ISSUER", ISSUER),
            ("RUST_LOG", "trace"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]),
        moto.secret_env("USAGE_PLAN_KEYS_SECRET_ARN", &arn),
    ]
    .concat();
    let mut function = Function::start(&release_binary("authorizer-hs256"), &env);
    let key_of = |reply: Reply| match reply {
        Reply::Response(answer) => answer.get("usageIdentifierKey").cloned(),
        other => panic!("{other:?}"),
    };
    let premium = hs(Algorithm::HS256, SECRET, &claims("carol", &["premium"]));
    let bob = hs(Algorithm::HS256, SECRET, &claims("bob", &[]));
    assert_eq!(
        key_of(function.invoke(&event(&premium, "GET"))),
        Some(json!(PREMIUM))
    );
    assert_eq!(
        key_of(function.invoke(&event(&bob, "GET"))),
        Some(json!(STANDARD))
    );
    let bearer = json!({"authorization": format!("Bearer {premium}")});
    assert_eq!(
        key_of(function.invoke(&http_event(HTTP_API, "GET", bearer))),
        None,
        "HTTP APIs have no usage plans"
    );
    let logs = function.logs();
    assert!(
        !logs.contains(PREMIUM) && !logs.contains(STANDARD),
        "{logs}"
    );

    let wrong = moto.create_secret("petstore/wrong-keys", r#"{"*": "short-key"}"#);
    let env = [
        owned(&[("JWT_SECRET", SECRET)]),
        moto.secret_env("USAGE_PLAN_KEYS_SECRET_ARN", &wrong),
    ]
    .concat();
    let mut function = Function::start(&release_binary("authorizer-hs256"), &env);
    let logs =
        function.assert_init_fails_naming("USAGE_PLAN_KEYS_SECRET_ARN", Duration::from_secs(10));
    assert!(!logs.contains("short-key"), "{logs}");
}

#[test]
fn replay_limits_refuse_old_and_future_tokens() {
    let mut function = start(&[("JWT_MAX_AGE_SECONDS", "3600")]);
    let token = |claims: Value| event(&hs(Algorithm::HS256, SECRET, &claims), "GET");
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
