//! End to end: the release `noop-cors` behind a loopback Lambda Runtime API.

use std::time::Duration;

use serde_json::{Map, Value, json};
use testkit::env::owned;
use testkit::events::rest_event;
use testkit::function::{Function, assert_sample_events_pass};
use testkit::paths::release_binary;
use testkit::reply::{Reply, outcome};

fn start(env: &[(&str, &str)]) -> Function {
    Function::start(&release_binary("noop-cors"), &owned(env))
}

fn preflight(headers: Value) -> String {
    rest_event("OPTIONS", headers)
}

#[test]
fn every_sample_event_gets_its_expected_outcome() {
    assert_sample_events_pass("noop-cors");
}

#[test]
fn a_preflight_gets_exactly_the_cors_headers() {
    let mut function = start(&[]);
    let reply = function.invoke(&preflight(json!({"Origin": "https://petstore.example"})));
    // The defaults, exactly, and nothing else.
    let headers: Map<String, Value> = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET,POST,OPTIONS"),
        (
            "Access-Control-Allow-Headers",
            "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token",
        ),
        ("Access-Control-Max-Age", "600"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), json!(value)))
    .collect();
    assert_eq!(
        reply,
        Reply::Response(json!({"statusCode": 204, "headers": headers}))
    );
}

#[test]
fn an_allow_list_echoes_listed_origins_only() {
    let mut function = start(&[
        (
            "CORS_ALLOW_ORIGINS",
            "https://petstore.example,http://localhost:3000",
        ),
        ("CORS_MAX_AGE", "60"),
    ]);
    for (event, expected) in [
        (
            preflight(json!({"Origin": "https://petstore.example"})),
            "204 origin https://petstore.example",
        ),
        (
            preflight(json!({"origin": "http://localhost:3000"})),
            "204 origin http://localhost:3000",
        ),
        (
            json!({"multiValueHeaders": {"ORIGIN": ["https://petstore.example"]}}).to_string(),
            "204 origin https://petstore.example",
        ),
        (
            preflight(json!({"Origin": "https://evil.example"})),
            "204 origin none",
        ),
        (preflight(json!({})), "204 origin none"),
        ("{}".to_owned(), "204 origin none"),
    ] {
        let reply = function.invoke(&event);
        assert_eq!(outcome(&reply), expected, "{event}");
        let Reply::Response(response) = reply else {
            unreachable!()
        };
        assert_eq!(response["headers"]["Vary"], "Origin", "{event}");
        assert_eq!(response["headers"]["Access-Control-Max-Age"], "60");
    }
}

#[test]
fn odd_inputs_get_an_answer_and_the_function_keeps_serving() {
    let mut function = start(&[]);
    for event in [
        "null",
        "[]",
        "[1, {\"headers\": {}}]",
        "\"OPTIONS /pets\"",
        "42",
        "true",
        "{\"headers\": \"Origin\", \"multiValueHeaders\": [null]}",
    ] {
        let reply = function.invoke(event);
        assert_eq!(outcome(&reply), "204 origin *", "{event}: {reply:?}");
    }
    function.assert_still_serves(&preflight(json!({})), "204 origin *");
}

#[test]
fn bad_configuration_stops_the_function_at_init_naming_the_variable() {
    for (var, value) in [
        ("CORS_MAX_AGE", "-1"),
        ("CORS_MAX_AGE", "86401"),
        ("CORS_ALLOW_ORIGINS", "https://petstore.example/"),
        ("CORS_ALLOW_METHODS", "GET\r\nSet-Cookie: a=b"),
        ("CORS_ALLOW_HEADERS", "Content Type"),
    ] {
        let mut function = start(&[(var, value)]);
        function.assert_init_fails_naming(var, Duration::from_secs(5));
    }
}
