//! End to end, through the release binaries: the doors besides a header on a REST or HTTP API —
//! a WebSocket API's `$connect`, tokens in the query string (`TOKEN_QUERY_PARAMETER`), and tokens
//! bound to the client certificate of mutual TLS (`CERTIFICATE_BOUND_TOKENS`). They live in the
//! shared core, so the HS256 authorizer stands for all three here; the sample events of
//! `events/<function>/front-doors/` take each authorizer through them.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use testkit::env::{owned, with};
use testkit::events::{
    http_event, request_event, token_event, websocket_event, with_client_certificate,
};
use testkit::function::Function;
use testkit::keys::{ALICE_CERTIFICATE, MALLORY_CERTIFICATE};
use testkit::logs::{assert_logs_are_clean, outcomes};
use testkit::paths::{demo_env, release_binary};
use testkit::reply::outcome;
use testkit::tokens::{forgeries, hs, now, patched};

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore02/$default";
const WEBSOCKET_API: &str = "arn:aws:execute-api:us-east-1:123456789012:petstore03/prod";
const SECRET: &str = "e2e-secret-that-is-at-least-32-bytes-long";
const SERVICE: &str = "authorizer-hs256";

/// Only the chat group may connect to the WebSocket API; anyone may list the pets.
const CHAT_RULES: &str = r#"{"*": ["GET /pets"], "group:chat": ["$connect"]}"#;

fn start(extra: &[(&str, &str)]) -> Function {
    let logs = [("RUST_LOG", "trace"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")];
    let env = with(&with(&owned(&[("JWT_SECRET", SECRET)]), &logs), extra);
    Function::start(&release_binary(SERVICE), &env)
}

fn claims(sub: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "groups": groups, "exp": now() + 600, "iat": now()})
}

fn token(claims: &Value) -> String {
    hs(Algorithm::HS256, SECRET, claims)
}

fn bearer(token: &str) -> Value {
    json!({"Authorization": format!("Bearer {token}")})
}

/// The reasons of the refusals counted in `function`'s logs, in order.
fn refusals(function: &Function) -> Vec<String> {
    outcomes(&function.logs(), SERVICE)
        .into_iter()
        .filter(|(metric, _)| metric == "Unauthorized")
        .map(|(_, reason)| reason)
        .collect()
}

#[test]
fn a_websocket_connect_takes_its_token_from_the_header_or_the_query() {
    let mut function = start(&[
        ("TOKEN_QUERY_PARAMETER", "token"),
        ("ACCESS_RULES", CHAT_RULES),
    ]);
    let alice_claims = claims("alice", &["chat"]);
    let alice = token(&alice_claims);
    let bob = token(&claims("bob", &[]));
    let expired = token(&patched(
        &alice_claims,
        json!({"exp": now() - 3600, "iat": now() - 7200}),
    ));
    let connect = |headers: Value, query: Value| websocket_event(WEBSOCKET_API, headers, query);
    let cases = [
        (
            "header",
            connect(bearer(&alice), json!({})),
            "200 allows $connect, GET /pets",
        ),
        (
            "query",
            connect(json!({}), json!({"token": alice})),
            "200 allows $connect, GET /pets",
        ),
        (
            "both agreeing",
            connect(bearer(&alice), json!({"token": alice, "room": "lobby"})),
            "200 allows $connect, GET /pets",
        ),
        (
            "outside the group",
            connect(json!({}), json!({"token": bob})),
            "403 allows GET /pets",
        ),
        (
            "both differing",
            connect(bearer(&bob), json!({"token": alice})),
            "401",
        ),
        (
            "neither",
            connect(json!({"Sec-WebSocket-Key": "x"}), json!({"room": "lobby"})),
            "401",
        ),
        (
            "another parameter",
            connect(json!({}), json!({"access_token": alice})),
            "401",
        ),
        (
            "expired",
            connect(json!({}), json!({"token": expired})),
            "401",
        ),
    ];
    for (case, event, expected) in &cases {
        assert_eq!(outcome(&function.invoke(event)), *expected, "{case}");
    }
    let mallory_claims = claims("mallory", &["chat"]);
    let forged = forgeries(&token(&mallory_claims), &mallory_claims);
    for (case, forgery) in &forged {
        let event = connect(json!({}), json!({"token": forgery}));
        assert_eq!(outcome(&function.invoke(&event)), "401", "{case}");
    }
    // The answer is the usual policy, scoped to the caller, with the usual context.
    let testkit::reply::Reply::Response(answer) = function.invoke(&cases[1].1) else {
        panic!("no answer")
    };
    assert_eq!(answer["principalId"], "alice");
    assert_eq!(answer["context"]["groups"], "chat");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Resource"][0],
        format!("{WEBSOCKET_API}/$connect")
    );
    let mut all_tokens: Vec<&str> = vec![&alice, &bob, &expired];
    all_tokens.extend(forged.iter().map(|(_, forgery)| forgery.as_str()));
    let logs = function.logs();
    assert_logs_are_clean(&logs, &all_tokens, 4 + forged.len());
    assert_eq!(
        refusals(&function)[..4],
        [
            "ambiguous_token",
            "missing_token",
            "missing_token",
            "expired"
        ]
    );
}

#[test]
fn the_query_string_is_never_read_unless_a_parameter_is_named() {
    let mut function = start(&[("ACCESS_RULES", CHAT_RULES)]);
    let alice = token(&claims("alice", &["chat"]));
    let query = json!({"token": alice});
    for (case, event) in [
        (
            "WebSocket",
            websocket_event(WEBSOCKET_API, json!({}), query.clone()),
        ),
        (
            "REST REQUEST",
            request_event(API, "GET", json!({}), query.clone()),
        ),
        (
            "HTTP API 2.0",
            with_query(&http_event(HTTP_API, "GET", json!({})), &query),
        ),
    ] {
        assert_eq!(outcome(&function.invoke(&event)), "401", "{case}");
    }
    assert_eq!(refusals(&function), ["missing_token"; 3]);
    // The header still works on the WebSocket route.
    let event = websocket_event(WEBSOCKET_API, bearer(&alice), query);
    assert_eq!(
        outcome(&function.invoke(&event)),
        "200 allows $connect, GET /pets"
    );
}

/// `event` (an HTTP API 2.0 event) with this `queryStringParameters`.
fn with_query(event: &str, query: &Value) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    event["queryStringParameters"] = query.clone();
    event.to_string()
}

#[test]
fn rest_and_http_api_requests_may_carry_the_token_in_the_query() {
    let mut function = start(&[("TOKEN_QUERY_PARAMETER", "access_token")]);
    let alice = token(&claims("alice", &["admin"]));
    let bob = token(&claims("bob", &[]));
    for (case, event, expected) in [
        (
            "REST REQUEST",
            request_event(API, "POST", json!({}), json!({"access_token": alice})),
            "200 allows GET /pets, POST /pets",
        ),
        (
            "REST REQUEST, header and query differing",
            request_event(API, "POST", bearer(&bob), json!({"access_token": alice})),
            "401",
        ),
        (
            "HTTP API 2.0",
            with_query(
                &http_event(HTTP_API, "POST", json!({})),
                &json!({"access_token": bob}),
            ),
            "403 not isAuthorized",
        ),
        (
            "HTTP API 2.0, header and query agreeing",
            with_query(
                &http_event(
                    HTTP_API,
                    "GET",
                    json!({"authorization": format!("Bearer {bob}")}),
                ),
                &json!({"access_token": bob}),
            ),
            "200 isAuthorized",
        ),
        (
            "HTTP API 2.0, a repeated parameter (joined with a comma)",
            with_query(
                &http_event(HTTP_API, "GET", json!({})),
                &json!({"access_token": format!("{bob},{alice}")}),
            ),
            "401",
        ),
        // A TOKEN event has no query string: only its `authorizationToken` counts.
        (
            "TOKEN",
            token_event(API, "GET", &bob),
            "200 allows GET /pets",
        ),
    ] {
        assert_eq!(outcome(&function.invoke(&event)), expected, "{case}");
    }
    assert_logs_are_clean(&function.logs(), &[&alice, &bob], 2);
}

/// Alice's token bound to her certificate, in the events of each shape that can carry one.
fn bound_events(bound: &str, certificate: Option<&str>) -> Vec<(&'static str, String)> {
    let events = [
        (
            "REST REQUEST",
            request_event(API, "GET", bearer(bound), json!({})),
        ),
        (
            "HTTP API 2.0",
            http_event(
                HTTP_API,
                "GET",
                json!({"authorization": format!("Bearer {bound}")}),
            ),
        ),
    ];
    events
        .into_iter()
        .map(|(case, event)| match certificate {
            Some(pem) => (case, with_client_certificate(&event, pem)),
            None => (case, event),
        })
        .collect()
}

#[test]
fn a_certificate_bound_token_needs_its_own_certificate() {
    let mut function = start(&[]);
    let alice_claims = claims("alice", &[]);
    let bound_claims = patched(
        &alice_claims,
        json!({"cnf": {"x5t#S256": ALICE_CERTIFICATE.thumbprint}}),
    );
    let bound = token(&bound_claims);
    let jkt = token(&patched(
        &alice_claims,
        json!({"cnf": {"jkt": ALICE_CERTIFICATE.thumbprint}}),
    ));
    let unbound = token(&alice_claims);
    let broken =
        "-----BEGIN CERTIFICATE-----\nMIIBrjCCAVSgAwIBAgIUF8uQ\n-----END CERTIFICATE-----\n";
    let expected_of = |certificate: Option<&str>, token: &str| -> (&'static str, &'static str) {
        match (certificate, token) {
            (_, t) if t == unbound => ("200", ""),
            (_, t) if t == jkt => ("401", "unsupported_cnf"),
            (None, _) => ("401", "missing_certificate"),
            (Some(pem), _) if pem == ALICE_CERTIFICATE.pem => ("200", ""),
            (Some(pem), _) if pem == MALLORY_CERTIFICATE.pem => ("401", "certificate_mismatch"),
            (Some(_), _) => ("401", "malformed_certificate"),
        }
    };
    let mut expected_refusals = Vec::new();
    for certificate in [
        Some(ALICE_CERTIFICATE.pem),
        Some(MALLORY_CERTIFICATE.pem),
        None,
        Some(broken),
    ] {
        for token in [&bound, &jkt, &unbound] {
            let (status, reason) = expected_of(certificate, token);
            for (case, event) in bound_events(token, certificate) {
                let actual = outcome(&function.invoke(&event));
                assert!(actual.starts_with(status), "{case}, {reason:?}: {actual}");
                if !reason.is_empty() {
                    expected_refusals.push(reason);
                }
            }
        }
    }
    // A TOKEN event never carries a certificate.
    assert_eq!(
        outcome(&function.invoke(&token_event(API, "GET", &bound))),
        "401"
    );
    expected_refusals.push("missing_certificate");
    assert_eq!(refusals(&function), expected_refusals);
    assert_logs_are_clean(
        &function.logs(),
        &[&bound, &jkt, &unbound],
        expected_refusals.len(),
    );
}

#[test]
fn required_binding_refuses_bearer_tokens() {
    let mut function = start(&[("CERTIFICATE_BOUND_TOKENS", "required")]);
    let alice_claims = claims("alice", &[]);
    let bound = token(&patched(
        &alice_claims,
        json!({"cnf": {"x5t#S256": ALICE_CERTIFICATE.thumbprint}}),
    ));
    let unbound = token(&alice_claims);
    let allowed = ["200 allows GET /pets", "200 isAuthorized"];
    for ((case, event), expected) in bound_events(&bound, Some(ALICE_CERTIFICATE.pem))
        .into_iter()
        .zip(allowed)
    {
        assert_eq!(outcome(&function.invoke(&event)), expected, "{case}");
    }
    for (case, event) in bound_events(&unbound, Some(ALICE_CERTIFICATE.pem)) {
        assert_eq!(outcome(&function.invoke(&event)), "401", "{case}");
    }
    assert_eq!(
        outcome(&function.invoke(&token_event(API, "GET", &unbound))),
        "401"
    );
    assert_eq!(refusals(&function), ["unbound_token"; 3]);
}

#[test]
fn every_authorizer_refuses_bad_door_settings_at_init() {
    for function in ["authorizer-hs256", "authorizer-cognito", "authorizer-oidc"] {
        for (var, value) in [
            ("TOKEN_QUERY_PARAMETER", "token&admin=1"),
            ("TOKEN_QUERY_PARAMETER", "the token"),
            ("CERTIFICATE_BOUND_TOKENS", "always"),
            ("CERTIFICATE_BOUND_TOKENS", "Required"),
        ] {
            let env = with(&demo_env(function), &[(var, value)]);
            let mut running = Function::start(&release_binary(function), &env);
            running.assert_init_fails_naming(var, Duration::from_secs(10));
        }
    }
}
