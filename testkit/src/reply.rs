//! What a function posts back for an invocation, and what API Gateway makes of it.
//!
//! [`outcome`] reduces a reply to a few words, the form the `.expected` files beside the sample
//! events use: its exact strings are what those files hold.

use serde_json::Value;

/// What a function posted back for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `/response`: the handler's answer.
    Response(Value),
    /// `/error`: a failed invocation, as Lambda reports it to API Gateway.
    Error {
        /// The error's type, as the runtime names it.
        error_type: String,
        /// Its message: `Unauthorized` is what API Gateway turns into a 401.
        error_message: String,
    },
    /// `/init/error`, or the process ended or stayed silent: what happened instead.
    NoAnswer(String),
}

/// What API Gateway makes of an authorizer's reply: `200 allows GET /pets, POST /pets` (and
/// `$connect` for a WebSocket API's route),
/// `403 allows GET /pets` (an explicit Deny for the method called), `401`, or `500`, with
/// `, usage key <value>` when it names an API key; of an HTTP
/// API's simple response, `200 isAuthorized` or `403 not isAuthorized`; and of a proxy
/// integration's reply (one with a `statusCode`), its status and the origin it allows:
/// `204 origin *`, `204 origin https://petstore.example`, `204 origin none`.
pub fn outcome(reply: &Reply) -> String {
    match reply {
        Reply::Error { error_message, .. } if error_message == "Unauthorized" => "401".into(),
        Reply::Error { .. } | Reply::NoAnswer(_) => "500".into(),
        Reply::Response(response) if response.get("statusCode").is_some() => {
            proxy_outcome(response)
        }
        Reply::Response(response) if response.get("isAuthorized").is_some() => {
            match &response["isAuthorized"] {
                Value::Bool(true) => "200 isAuthorized".into(),
                Value::Bool(false) => "403 not isAuthorized".into(),
                // API Gateway answers a malformed response with 500.
                _ => "500".into(),
            }
        }
        Reply::Response(response) => {
            let statements = response["policyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let resources = |effect: &str| -> Vec<String> {
                statements
                    .iter()
                    .filter(|s| s["Effect"] == effect)
                    // IAM takes one resource as a string, or a list of them.
                    .flat_map(|s| match &s["Resource"] {
                        Value::String(one) => vec![Value::String(one.clone())],
                        many => many.as_array().cloned().unwrap_or_default(),
                    })
                    .map(|arn| method_and_path(arn.as_str().unwrap_or_default()))
                    .collect()
            };
            let status = if resources("Deny").is_empty() {
                "200"
            } else {
                "403"
            };
            let allowed = resources("Allow");
            let allows = if allowed.is_empty() {
                format!("{status} allows nothing")
            } else {
                format!("{status} allows {}", allowed.join(", "))
            };
            match response.get("usageIdentifierKey").and_then(Value::as_str) {
                Some(key) => format!("{allows}, usage key {key}"),
                None => allows,
            }
        }
    }
}

/// `{statusCode} origin {Access-Control-Allow-Origin or none}`, the header's name in any case.
fn proxy_outcome(response: &Value) -> String {
    let origin = response["headers"]
        .as_object()
        .and_then(|headers| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("access-control-allow-origin"))
        })
        .and_then(|(_, value)| value.as_str())
        .unwrap_or("none");
    format!("{} origin {origin}", response["statusCode"])
}

/// `arn:…:api/stage/GET/pets/1` → `GET /pets/1`; a WebSocket route's `arn:…:api/stage/$connect`
/// → `$connect`.
fn method_and_path(arn: &str) -> String {
    let mut parts = arn.splitn(4, '/').skip(2);
    match (parts.next(), parts.next()) {
        (Some(route), None) if route.starts_with('$') => route.to_owned(),
        (method, path) => format!("{} /{}", method.unwrap_or("?"), path.unwrap_or("")),
    }
}
