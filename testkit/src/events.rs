//! The events API Gateway hands a function: built for one test, or read from the sample events of
//! `events/<function>/`, each with its expected outcome beside it.

use std::path::Path;

use serde_json::{Value, json};

use crate::moto::SECRET;
use crate::paths::root;

/// The TOKEN authorizer event for a call of `method /pets` on the API stage whose ARN is `api`
/// (`arn:aws:execute-api:<region>:<account>:<api id>/<stage>`), the token sent as a bearer token.
pub fn token_event(api: &str, method: &str, token: &str) -> String {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": format!("{api}/{method}/pets"),
    })
    .to_string()
}

/// The Lambda proxy event of a REST API for `method /pets` with these request `headers` (a JSON
/// object).
pub fn rest_event(method: &str, headers: Value) -> String {
    json!({"resource": "/pets", "path": "/pets", "httpMethod": method, "headers": headers})
        .to_string()
}

/// The HTTP API event of payload format 2.0 for a call of `method /pets` on the HTTP API whose
/// ARN prefix is `api` (`arn:aws:execute-api:<region>:<account>:<api id>/<stage>`, the stage
/// often `$default`), with these request `headers` (a JSON object, lower-case names as API
/// Gateway writes them).
pub fn http_event(api: &str, method: &str, headers: Value) -> String {
    let authorization = headers.get("authorization").cloned().unwrap_or(Value::Null);
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("{api}/{method}/pets"),
        "identitySource": [authorization, format!("{method} /pets")],
        "routeKey": format!("{method} /pets"),
        "rawPath": "/pets",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "petstore02",
            "http": {"method": method, "path": "/pets", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": format!("{method} /pets"),
            "stage": "$default",
            "time": "21/Nov/2026:20:00:00 +0000",
            "timeEpoch": 1_795_291_200_000_u64
        },
        "pathParameters": {},
        "stageVariables": {}
    })
    .to_string()
}

/// The HTTP API event of payload format 1.0 (the REST REQUEST shape with a version) for a call
/// of `method /pets` on the HTTP API whose ARN prefix is `api`, the token sent as a bearer token.
pub fn http_v1_event(api: &str, method: &str, token: &str) -> String {
    let authorization = format!("Bearer {token}");
    json!({
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": format!("{api}/{method}/pets"),
        "identitySource": authorization,
        "authorizationToken": authorization,
        "resource": "/pets",
        "path": "/pets",
        "httpMethod": method,
        "headers": {"authorization": authorization},
        "queryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {"accountId": "123456789012", "apiId": "petstore02", "stage": "$default",
                           "httpMethod": method, "resourcePath": "/pets", "path": "/pets",
                           "identity": {"sourceIp": "203.0.113.7"}, "requestId": "JKJaXmPLvHcESHA="}
    })
    .to_string()
}

/// A REST API's REQUEST event for `method /pets` on `api` (an ARN prefix, as for
/// [`token_event`]) with these `headers` and `query` (JSON objects of strings), each also in its
/// multi-value form, as API Gateway sends them.
pub fn request_event(api: &str, method: &str, headers: Value, query: Value) -> String {
    json!({
        "type": "REQUEST",
        "methodArn": format!("{api}/{method}/pets"),
        "resource": "/pets",
        "path": "/pets",
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_valued(&headers),
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_valued(&query),
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {"accountId": "123456789012", "apiId": "petstore01", "stage": "prod",
                           "httpMethod": method, "resourcePath": "/pets", "path": "/prod/pets",
                           "identity": {"sourceIp": "203.0.113.7"}, "requestId": "JKJaXmPLvHcESHA="}
    })
    .to_string()
}

/// A WebSocket API's `$connect` event on `api` (an ARN prefix, as for [`token_event`]) with these
/// `headers` and `query` (JSON objects of strings), as API Gateway sends it to a REQUEST
/// authorizer.
pub fn websocket_event(api: &str, headers: Value, query: Value) -> String {
    json!({
        "type": "REQUEST",
        "methodArn": format!("{api}/$connect"),
        "headers": headers,
        "multiValueHeaders": multi_valued(&headers),
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_valued(&query),
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "messageDirection": "IN",
            "extendedRequestId": "P4ssAFQdIAMF8Ig=", "requestTime": "07/Dec/2026:04:00:00 +0000",
            "stage": "prod", "connectedAt": 1_796_616_000_000_u64,
            "requestTimeEpoch": 1_796_616_000_000_u64, "identity": {"sourceIp": "203.0.113.7"},
            "requestId": "P4ssAFQdIAMF8Ig=", "domainName": "petstore03.execute-api.us-east-1.amazonaws.com",
            "connectionId": "P4ssAcT0IAMCLuw=", "apiId": "petstore03"
        }
    })
    .to_string()
}

/// `event` (a REQUEST event of any kind) as a mutual-TLS request presenting the certificate
/// `pem`: where API Gateway puts it for payload format 2.0 (`requestContext.authentication`) or
/// for the REST shape (`requestContext.identity`).
pub fn with_client_certificate(event: &str, pem: &str) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    let certificate = json!({
        "clientCertPem": pem, "subjectDN": "CN=client", "issuerDN": "CN=client",
        "serialNumber": "1", "validity": {"notBefore": "Dec 7 04:00:00 2026 GMT",
                                          "notAfter": "Nov 13 04:00:00 2126 GMT"}
    });
    if event["version"] == "2.0" {
        event["requestContext"]["authentication"] = json!({"clientCert": certificate});
    } else {
        event["requestContext"]["identity"]["clientCert"] = certificate;
    }
    event.to_string()
}

/// `{"a": "x"}` → `{"a": ["x"]}`.
fn multi_valued(single: &Value) -> Value {
    single
        .as_object()
        .map(|object| {
            object
                .iter()
                .map(|(name, value)| (name.clone(), json!([value])))
                .collect()
        })
        .unwrap_or(Value::Null)
}

/// `token` calling `POST /pets` in every kind of event, each named after `name` and its kind: a
/// REST TOKEN event on `rest_api`, and HTTP API events of payload formats 2.0 and 1.0 on
/// `http_api` (ARN prefixes, as for [`token_event`] and [`http_event`]).
pub fn in_every_shape(
    name: &str,
    token: &str,
    rest_api: &str,
    http_api: &str,
) -> [(String, String); 3] {
    let bearer = json!({"authorization": format!("Bearer {token}")});
    [
        (
            format!("{name} (REST)"),
            token_event(rest_api, "POST", token),
        ),
        (
            format!("{name} (HTTP 2.0)"),
            http_event(http_api, "POST", bearer),
        ),
        (
            format!("{name} (HTTP 1.0)"),
            http_v1_event(http_api, "POST", token),
        ),
    ]
}

/// A sample event of `events/<function>/`: its name, its JSON, its expected outcome, and the
/// settings it is to be run with.
#[derive(Debug, Clone)]
pub struct SampleEvent {
    /// The file's path below `events/<function>/`, without `.json`.
    pub name: String,
    /// The event, as the function receives it.
    pub json: String,
    /// The `.expected` file's text, trimmed: an [`crate::reply::outcome`].
    pub expected: String,
    /// Settings on top of the function's demo settings: none for the events of
    /// `events/<function>/`; those of the `env` file (`NAME=value` lines) of a subfolder for its
    /// events. A value `secretsmanager:<file>` names a secret holding that file of the folder
    /// (its path is made absolute here), which [`crate::moto::with_local_secrets`] serves.
    pub env: Vec<(String, String)>,
}

/// Every sample event of a function, sorted by name: those of `events/<function>/`, then those of
/// each subfolder that has an `env` file.
pub fn sample_events(function: &str) -> Vec<SampleEvent> {
    let dir = root().join("events").join(function);
    let mut events = events_in(&dir, "", &[]);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let env_file = path.join("env");
        if env_file.is_file() {
            let env: Vec<(String, String)> = std::fs::read_to_string(&env_file)
                .unwrap()
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(name, value)| {
                    let value = match value.trim().split_once(SECRET) {
                        Some(("", file)) => format!("{SECRET}{}", path.join(file).display()),
                        _ => value.trim().to_owned(),
                    };
                    (name.trim().to_owned(), value)
                })
                .collect();
            let folder = path.file_name().unwrap().to_string_lossy().into_owned();
            events.extend(events_in(&path, &format!("{folder}/"), &env));
        }
    }
    assert!(!events.is_empty(), "no events in {}", dir.display());
    events
}

/// The events of one folder, sorted by name, each named with `prefix`.
fn events_in(dir: &Path, prefix: &str, env: &[(String, String)]) -> Vec<SampleEvent> {
    let mut events: Vec<SampleEvent> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let mut event = read_sample(&path);
            event.name.insert_str(0, prefix);
            event.env = env.to_vec();
            event
        })
        .collect();
    events.sort_by(|a, b| a.name.cmp(&b.name));
    events
}

/// The sample event `events/<function>/<name>.json`, with no settings of its own.
pub fn sample_event(function: &str, name: &str) -> SampleEvent {
    read_sample(
        &root()
            .join("events")
            .join(function)
            .join(format!("{name}.json")),
    )
}

fn read_sample(path: &Path) -> SampleEvent {
    let expected = std::fs::read_to_string(path.with_extension("expected"))
        .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
    SampleEvent {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        json: std::fs::read_to_string(path).unwrap(),
        expected: expected.trim().to_owned(),
        env: Vec::new(),
    }
}
