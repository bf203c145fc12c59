//! The answer to browsers' CORS preflights behind `OPTIONS /pets`: no backend, only headers.
//!
//! A browser sends `OPTIONS` before a cross-origin `POST /pets` (or any request with an
//! `Authorization` header) and only sends the real request if the answer allows it. That answer
//! depends on nothing but configuration and the caller's `Origin`, so it is computed here from
//! settings read once at cold start.
//!
//! The function is wired either as a Lambda proxy integration (REST or HTTP API), which passes the
//! whole request and reads `statusCode` and `headers` back, or as a non-proxy integration, which
//! may pass `{}` or whatever its mapping template makes and maps the answer itself. So the event
//! is read as plain JSON, the `Origin` looked up leniently, and every input gets an answer: a
//! preflight must never turn into a 500.

#![warn(missing_docs)]

use std::collections::BTreeMap;

use authorizer_core::config::{Env, Var, invalid};
use authorizer_core::{InitError, logging};
use serde::Serialize;
use serde_json::Value;
use tracing::debug;

authorizer_core::variables! {
    /// noop-cors's own variables, beside [`logging::VARIABLES`].
    OWN {
        /// comma-separated origins (`https://petstore.example`), or `*` for any; with a list, the
        /// request's `Origin` is echoed if listed and `Access-Control-Allow-Origin` is left out
        /// otherwise, always with `Vary: Origin`
        CORS_ALLOW_ORIGINS = Value("*");

        /// `Access-Control-Allow-Methods`, comma-separated method names
        CORS_ALLOW_METHODS = Value("GET,POST,OPTIONS");

        /// `Access-Control-Allow-Headers`, comma-separated header names
        CORS_ALLOW_HEADERS = Value("Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token");

        /// `Access-Control-Max-Age`, whole seconds from 0 to 86400
        CORS_MAX_AGE = Value("600");
    }
}

/// Every variable the function reads, in the groups the README documents.
pub const VARIABLES: [&[Var]; 2] = [logging::VARIABLES, OWN];

/// Browsers cap the cache of a preflight at a day or less; a larger value is a mistake.
const MAX_MAX_AGE_SECONDS: u64 = 86_400;

/// Which origins a preflight allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowOrigin {
    /// Every origin: `Access-Control-Allow-Origin: *`.
    Any,
    /// Only these origins, each echoed back when it is the caller's.
    Listed(Vec<String>),
}

/// The preflight settings, read once at cold start; the answer to every request follows from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    allow_origin: AllowOrigin,
    allow_methods: String,
    allow_headers: String,
    max_age: u64,
}

/// The answer in the shape of a Lambda proxy integration's response. A non-proxy integration
/// receives the same JSON and maps `headers` to the method response's headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    /// Always 204: a preflight's answer has no body.
    pub status_code: u16,
    /// The CORS headers, by their canonical names (a non-proxy mapping addresses them by name).
    pub headers: BTreeMap<&'static str, String>,
}

impl CorsConfig {
    /// Reads `CORS_ALLOW_ORIGINS`, `CORS_ALLOW_METHODS`, `CORS_ALLOW_HEADERS` and `CORS_MAX_AGE`.
    /// Every value ends up in a response header, so anything that is not a clean header value
    /// (a CR or LF above all) is refused here, naming the variable, rather than sent.
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let origins = env
            .list(&CORS_ALLOW_ORIGINS)?
            .expect("CORS_ALLOW_ORIGINS has a default");
        let allow_origin = if origins == ["*"] {
            AllowOrigin::Any
        } else {
            if let Some(bad) = origins.iter().find(|origin| !is_origin(origin)) {
                let reason = if bad == "*" {
                    "`*` cannot be listed with other origins".to_owned()
                } else {
                    format!("{bad:?} is not an origin like https://example.com (no path)")
                };
                return Err(invalid(&CORS_ALLOW_ORIGINS, reason));
            }
            AllowOrigin::Listed(origins)
        };
        Ok(CorsConfig {
            allow_origin,
            allow_methods: tokens(env, &CORS_ALLOW_METHODS)?,
            allow_headers: tokens(env, &CORS_ALLOW_HEADERS)?,
            max_age: env
                .seconds(&CORS_MAX_AGE, 0..=MAX_MAX_AGE_SECONDS)?
                .expect("CORS_MAX_AGE has a default"),
        })
    }

    /// Answers one event, whatever it is: a REST or HTTP API proxy event, `{}`, `null`, an array…
    /// Pure apart from a debug line, so tests call it directly.
    pub fn respond(&self, event: &Value) -> Preflight {
        let mut headers = BTreeMap::from([
            ("Access-Control-Allow-Methods", self.allow_methods.clone()),
            ("Access-Control-Allow-Headers", self.allow_headers.clone()),
            ("Access-Control-Max-Age", self.max_age.to_string()),
        ]);
        match &self.allow_origin {
            AllowOrigin::Any => {
                headers.insert("Access-Control-Allow-Origin", "*".to_owned());
            }
            AllowOrigin::Listed(origins) => {
                // The answer depends on the caller's origin: caches must keep one per origin.
                headers.insert("Vary", "Origin".to_owned());
                match request_origin(event) {
                    // Echo the caller's spelling, which browsers compare byte for byte; it equals
                    // a validated entry but for case, so it is a clean header value.
                    Some(origin) if origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) => {
                        headers.insert("Access-Control-Allow-Origin", origin.to_owned());
                    }
                    origin => debug!(?origin, "origin not allowed"),
                }
            }
        }
        Preflight {
            status_code: 204,
            headers,
        }
    }
}

/// The `Origin` header of a proxy event, its name in any case, from `headers` (REST and HTTP
/// APIs) or else `multiValueHeaders` (REST only); `None` for anything else, never an error.
fn request_origin(event: &Value) -> Option<&str> {
    let origin = |field: &str| {
        event
            .get(field)?
            .as_object()?
            .iter()
            .find_map(|(name, value)| name.eq_ignore_ascii_case("origin").then_some(value))
    };
    origin("headers")
        .and_then(Value::as_str)
        .or_else(|| origin("multiValueHeaders")?.as_array()?.first()?.as_str())
}

/// `scheme://host[:port]`, as browsers send it: no path, no user, no spaces or control characters.
fn is_origin(text: &str) -> bool {
    let Some((scheme, authority)) = text.split_once("://") else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
}

/// A comma-separated list of HTTP tokens (method or header names), joined back with commas.
fn tokens(env: &Env, var: &Var) -> Result<String, InitError> {
    let items = env.list(var)?.expect("the token lists have defaults");
    if let Some(bad) = items.iter().find(|item| !is_token(item)) {
        return Err(invalid(
            var,
            format!("{bad:?} is not a method or header name"),
        ));
    }
    Ok(items.join(","))
}

/// RFC 9110 §5.6.2: what a method or a header name may be made of.
fn is_token(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use authorizer_core::config::WhenUnset;
    use serde_json::json;

    fn config(vars: &[(&'static str, &'static str)]) -> Result<CorsConfig, InitError> {
        CorsConfig::from_env(&Env::new(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }))
    }

    /// The declared default of `var`.
    fn default(var: &Var) -> &'static str {
        let WhenUnset::Value(value) = var.when_unset else {
            panic!("{} has no default value", var.name)
        };
        value
    }

    fn listed() -> CorsConfig {
        config(&[(
            "CORS_ALLOW_ORIGINS",
            "https://petstore.example, http://localhost:3000",
        )])
        .unwrap()
    }

    fn rest_event(headers: Value) -> Value {
        json!({"resource": "/pets", "path": "/pets", "httpMethod": "OPTIONS", "headers": headers})
    }

    fn allowed_origin(preflight: &Preflight) -> Option<&str> {
        preflight
            .headers
            .get("Access-Control-Allow-Origin")
            .map(String::as_str)
    }

    #[test]
    fn answers_with_the_defaults() {
        let preflight = config(&[("CORS_MAX_AGE", " "), ("CORS_ALLOW_ORIGINS", "")])
            .unwrap()
            .respond(&rest_event(json!({"Origin": "https://anywhere.example"})));
        assert_eq!(preflight.status_code, 204);
        assert_eq!(
            preflight.headers,
            BTreeMap::from([
                ("Access-Control-Allow-Origin", "*".to_owned()),
                (
                    "Access-Control-Allow-Methods",
                    default(&CORS_ALLOW_METHODS).to_owned()
                ),
                (
                    "Access-Control-Allow-Headers",
                    default(&CORS_ALLOW_HEADERS).to_owned()
                ),
                ("Access-Control-Max-Age", default(&CORS_MAX_AGE).to_owned()),
            ])
        );
    }

    #[test]
    fn reads_what_is_set() {
        let preflight = config(&[
            ("CORS_ALLOW_METHODS", "GET, OPTIONS"),
            ("CORS_ALLOW_HEADERS", "authorization"),
            ("CORS_MAX_AGE", "0"),
        ])
        .unwrap()
        .respond(&json!({}));
        assert_eq!(
            preflight.headers["Access-Control-Allow-Methods"],
            "GET,OPTIONS"
        );
        assert_eq!(
            preflight.headers["Access-Control-Allow-Headers"],
            "authorization"
        );
        assert_eq!(preflight.headers["Access-Control-Max-Age"], "0");
        let star = config(&[("CORS_ALLOW_ORIGINS", " * ")]).unwrap();
        assert_eq!(star, config(&[]).unwrap());
    }

    #[test]
    fn echoes_a_listed_origin_and_omits_the_header_otherwise() {
        let config = listed();
        let echoed = config.respond(&rest_event(json!({"Origin": "http://localhost:3000"})));
        assert_eq!(allowed_origin(&echoed), Some("http://localhost:3000"));
        assert_eq!(echoed.headers["Vary"], "Origin");
        for event in [
            rest_event(json!({"Origin": "https://evil.example"})),
            rest_event(json!({"Origin": "https://petstore.example.evil.example"})),
            rest_event(json!({})),
            json!({}),
        ] {
            let refused = config.respond(&event);
            assert_eq!(allowed_origin(&refused), None, "{event}");
            assert_eq!(refused.headers["Vary"], "Origin");
            assert_eq!(refused.status_code, 204);
        }
    }

    #[test]
    fn finds_the_origin_in_any_case_and_either_header_map() {
        let config = listed();
        for event in [
            rest_event(json!({"origin": "https://petstore.example"})),
            rest_event(json!({"ORIGIN": "https://petstore.example"})),
            json!({"multiValueHeaders": {"oRiGiN": ["https://petstore.example"]}}),
            json!({"version": "2.0", "headers": {"origin": "https://petstore.example"},
                   "requestContext": {"http": {"method": "OPTIONS", "path": "/pets"}}}),
        ] {
            assert_eq!(
                allowed_origin(&config.respond(&event)),
                Some("https://petstore.example"),
                "{event}"
            );
        }
        let upper = config.respond(&rest_event(json!({"Origin": "https://PetStore.example"})));
        assert_eq!(allowed_origin(&upper), Some("https://PetStore.example"));
    }

    #[test]
    fn answers_any_input_without_failing() {
        let any = config(&[]).unwrap();
        let listed = listed();
        for event in [
            json!(null),
            json!({}),
            json!([1, 2]),
            json!("OPTIONS"),
            json!(42),
            json!(true),
            json!({"headers": null, "multiValueHeaders": "x"}),
            json!({"headers": {"Origin": 7}, "multiValueHeaders": {"Origin": []}}),
            json!({"headers": [], "multiValueHeaders": {"Origin": [null]}}),
        ] {
            assert_eq!(allowed_origin(&any.respond(&event)), Some("*"), "{event}");
            let preflight = listed.respond(&event);
            assert_eq!(preflight.status_code, 204);
            assert_eq!(allowed_origin(&preflight), None, "{event}");
        }
    }

    #[test]
    fn configuration_errors_name_the_variable() {
        for (var, value) in [
            ("CORS_MAX_AGE", "-1"),
            ("CORS_MAX_AGE", "+5"),
            ("CORS_MAX_AGE", "86401"),
            ("CORS_MAX_AGE", "10m"),
            ("CORS_MAX_AGE", "99999999999"),
            ("CORS_ALLOW_ORIGINS", "https://petstore.example/"),
            ("CORS_ALLOW_ORIGINS", "petstore.example"),
            ("CORS_ALLOW_ORIGINS", "null"),
            ("CORS_ALLOW_ORIGINS", "*, https://petstore.example"),
            ("CORS_ALLOW_ORIGINS", "https://a.example\r\nSet-Cookie: x=1"),
            ("CORS_ALLOW_ORIGINS", ","),
            ("CORS_ALLOW_METHODS", "GET\r\nX-Evil: 1"),
            ("CORS_ALLOW_METHODS", "GET POST"),
            ("CORS_ALLOW_HEADERS", "Content Type"),
            ("CORS_ALLOW_HEADERS", "X-Ok,X-Bad\nX-Evil"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert!(error.to_string().starts_with(var), "{value:?}: {error}");
        }
        assert_eq!(
            config(&[("CORS_MAX_AGE", "86400")]).unwrap().max_age,
            86_400
        );
    }
}
