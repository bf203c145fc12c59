//! The first step of a request: reading the token and the method ARN out of an authorizer event,
//! and noting the event's shape, which decides the shape of the answer.
//!
//! API Gateway sends four kinds of events ([`EventShape`]): a REST API's TOKEN event (the
//! `authorizationToken` alone) and REQUEST event (the whole request; we read its `Authorization`
//! header), and an HTTP API's events in payload format 1.0 (the REST REQUEST shape with
//! `"version": "1.0"`) and 2.0 (`routeArn`, lower-case `headers`). Whatever the event, the token
//! may be `Bearer <jwt>` or a bare JWT. Anything odd — no type, an unknown version, two different
//! Authorization headers, a token of unreasonable size — is refused here, before any cryptography
//! runs.
//!
//! TOKEN and 2.0 events are the events of every request to their authorizers, so they are read
//! the fast way: one pass over the text that borrows what it keeps and skips the rest
//! ([`Outline`]). REQUEST and 1.0 events, and whatever is odd, are read in full.

use std::borrow::Cow;
use std::fmt;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
};
use aws_lambda_events::http::HeaderMap;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::arn::MethodArn;
use crate::error::Rejection;

/// Longer tokens are refused unread. Cognito's are about 1 KiB; 8 KiB leaves room for many claims
/// while keeping a hostile input from costing anything.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The kinds of event API Gateway sends an authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    /// A REST API's TOKEN authorizer: `authorizationToken` and `methodArn`.
    RestToken,
    /// A REST API's REQUEST authorizer: the whole request, `methodArn` among it.
    RestRequest,
    /// An HTTP API's authorizer in payload format 1.0: the REST REQUEST shape, `"version": "1.0"`.
    HttpV1,
    /// An HTTP API's authorizer in payload format 2.0: `routeArn`, `identitySource`, `headers`.
    HttpV2,
}

/// What every authorizer needs from an event: a token to verify and the method being called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerRequest {
    /// The JWT, without any `Bearer ` prefix. Never log it.
    pub token: String,
    /// The method (REST) or route (HTTP API) being called, which scopes the answer to the calling
    /// API and stage.
    pub method_arn: MethodArn,
    /// The kind of event it came in.
    pub shape: EventShape,
}

/// Every event read in full: a REST API's TOKEN or REQUEST event, or an HTTP API's 1.0 event.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
enum AuthorizerEvent {
    Token(ApiGatewayCustomAuthorizerRequest),
    Request(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
}

/// Who sent an event read in full: a REST API (no `version`) or an HTTP API (`"version": "1.0"`).
#[derive(Clone, Copy)]
enum Api {
    Rest,
    HttpV1,
}

/// The payload format version of an event read in full; REST events have none.
#[derive(Deserialize)]
struct Version {
    version: Option<String>,
}

/// The one reading of TOKEN and 2.0 events, without copying or buffering, and what tells every
/// other event apart. For a TOKEN event its fields are exactly those that
/// [`AuthorizerEvent::Token`] reads, with the same types: whenever it reads an object whose `type`
/// is `TOKEN` and that has no `version`, the full reading gives the same values.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outline<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    authorization_token: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    route_arn: Option<Cow<'a, str>>,
    /// Not used (the token is read from `headers`), but it must be an array when present.
    #[serde(rename = "identitySource")]
    _identity_source: Option<Vec<IgnoredAny>>,
    #[serde(borrow)]
    headers: Option<AuthorizationHeaders<'a>>,
}

impl AuthorizerRequest {
    /// Reads any authorizer event from its JSON text.
    pub fn from_json(event: &str) -> Result<Self, Rejection> {
        // Only an object: a derived struct would also read a JSON array, field by field.
        let outline = if event.trim_start().starts_with('{') {
            serde_json::from_str::<Outline>(event).ok()
        } else {
            None
        };
        let Some(outline) = outline else {
            return Self::read_in_full(event);
        };
        match (outline.kind.as_deref(), outline.version.as_deref()) {
            (Some("TOKEN"), None) => Self::read(
                EventShape::RestToken,
                outline.authorization_token.as_deref(),
                outline.method_arn.as_deref(),
            ),
            (Some("REQUEST"), Some("2.0")) => Self::read(
                EventShape::HttpV2,
                outline.headers.unwrap_or_default().only()?,
                outline.route_arn.as_deref(),
            ),
            (_, None) => Self::read_request(event, Api::Rest),
            (_, Some("1.0")) => Self::read_request(event, Api::HttpV1),
            // HTTP APIs send no other version.
            (_, Some(_)) => Err(Rejection::MalformedEvent),
        }
    }

    /// Reads whatever the outline could not: what is odd is refused as the full reading refuses
    /// it, and what is not is read as the outline would have read it.
    fn read_in_full(event: &str) -> Result<Self, Rejection> {
        let Version { version } =
            serde_json::from_str(event).map_err(|_| Rejection::MalformedEvent)?;
        let api = match version.as_deref() {
            None => Api::Rest,
            Some("1.0") => Api::HttpV1,
            // A 2.0 event that the outline could not read is malformed.
            Some(_) => return Err(Rejection::MalformedEvent),
        };
        Self::read_request(event, api)
    }

    /// Reads a REST TOKEN or REQUEST event, or an HTTP API's 1.0 event, in full through
    /// [`AuthorizerEvent`].
    fn read_request(event: &str, api: Api) -> Result<Self, Rejection> {
        let parsed: AuthorizerEvent =
            serde_json::from_str(event).map_err(|_| Rejection::MalformedEvent)?;
        let (shape, authorization, method_arn) = match (&parsed, api) {
            (AuthorizerEvent::Token(token), Api::Rest) => (
                EventShape::RestToken,
                token.authorization_token.as_deref(),
                &token.method_arn,
            ),
            (AuthorizerEvent::Request(request), Api::Rest) => (
                EventShape::RestRequest,
                authorization_header(request)?,
                &request.method_arn,
            ),
            (AuthorizerEvent::Request(request), Api::HttpV1) => (
                EventShape::HttpV1,
                authorization_header(request)?,
                &request.method_arn,
            ),
            // HTTP APIs send no TOKEN events.
            (AuthorizerEvent::Token(_), Api::HttpV1) => return Err(Rejection::MalformedEvent),
        };
        Self::read(shape, authorization, method_arn.as_deref())
    }

    /// The request, from the event's `Authorization` (header or token) and method or route ARN.
    fn read(
        shape: EventShape,
        authorization: Option<&str>,
        method_arn: Option<&str>,
    ) -> Result<Self, Rejection> {
        let method_arn = method_arn.ok_or(Rejection::MalformedEvent)?;
        let method_arn = MethodArn::parse(method_arn).map_err(|_| Rejection::MalformedMethodArn)?;
        let token = bearer_token(authorization.ok_or(Rejection::MissingToken)?)?;
        Ok(AuthorizerRequest {
            token: token.to_owned(),
            method_arn,
            shape,
        })
    }
}

/// The `Authorization` values of a 2.0 event's `headers`, an object of strings whose names API
/// Gateway writes in lower case (read here in any case). Other headers are skipped unread.
#[derive(Default)]
struct AuthorizationHeaders<'a>(Vec<Cow<'a, str>>);

impl AuthorizationHeaders<'_> {
    /// The one value; several different ones make the request ambiguous.
    fn only(&self) -> Result<Option<&str>, Rejection> {
        match self.0.as_slice() {
            [] => Ok(None),
            [first, rest @ ..] if rest.iter().all(|value| value == first) => Ok(Some(first)),
            _ => Err(Rejection::AmbiguousToken),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AuthorizationHeaders<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Headers;
        impl<'de> Visitor<'de> for Headers {
            type Value = AuthorizationHeaders<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of header values")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut values = Vec::new();
                while let Some(Text(name)) = map.next_key()? {
                    let Text(value) = map.next_value()?;
                    if name.eq_ignore_ascii_case("authorization") {
                        values.push(value);
                    }
                }
                Ok(AuthorizationHeaders(values))
            }
        }
        deserializer.deserialize_map(Headers)
    }
}

/// A JSON string, borrowed from the event unless it holds escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> Visitor<'de> for Str {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(Str)
    }
}

/// The one `Authorization` value of a REQUEST event. API Gateway fills both `headers` (last value
/// wins) and `multiValueHeaders`; two different values mean the request is ambiguous.
fn authorization_header(
    request: &ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> Result<Option<&str>, Rejection> {
    fn values(headers: &HeaderMap) -> Result<Vec<&str>, Rejection> {
        headers
            .get_all("authorization")
            .into_iter()
            .map(|value| value.to_str().map_err(|_| Rejection::MalformedToken))
            .collect()
    }
    let mut all = values(&request.multi_value_headers)?;
    all.extend(values(&request.headers)?);
    all.sort_unstable();
    all.dedup();
    match all.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Rejection::AmbiguousToken),
    }
}

/// Strips the `Bearer` scheme (any case) and checks the size and the JWT alphabet.
fn bearer_token(authorization: &str) -> Result<&str, Rejection> {
    if authorization.len() > MAX_TOKEN_BYTES + "Bearer ".len() {
        return Err(Rejection::Oversized {
            max: MAX_TOKEN_BYTES,
        });
    }
    let authorization = authorization.trim();
    let token = match authorization.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        None if authorization.eq_ignore_ascii_case("bearer") => "",
        _ => authorization,
    };
    if token.is_empty() {
        return Err(Rejection::MissingToken);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::Oversized {
            max: MAX_TOKEN_BYTES,
        });
    }
    let jwt_alphabet = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=');
    if !token.bytes().all(jwt_alphabet) {
        return Err(Rejection::MalformedToken);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets";

    fn read(event: serde_json::Value) -> Result<AuthorizerRequest, Rejection> {
        AuthorizerRequest::from_json(&event.to_string())
    }

    fn token_event(token: &str) -> serde_json::Value {
        json!({"type": "TOKEN", "authorizationToken": token, "methodArn": ARN})
    }

    fn request_event(headers: serde_json::Value, multi: serde_json::Value) -> serde_json::Value {
        json!({
            "type": "REQUEST", "methodArn": ARN, "resource": "/pets", "path": "/pets",
            "httpMethod": "GET", "headers": headers, "multiValueHeaders": multi,
            "requestContext": {"accountId": "123456789012", "apiId": "abc123", "stage": "prod",
                               "httpMethod": "GET", "resourcePath": "/pets", "path": "/prod/pets"}
        })
    }

    #[test]
    fn reads_a_token_event_with_or_without_bearer() {
        for text in [
            "a.b.c",
            "Bearer a.b.c",
            "bearer   a.b.c",
            "BEARER a.b.c ",
            " a.b.c",
        ] {
            let request = read(token_event(text)).unwrap();
            assert_eq!(request.token, "a.b.c", "{text:?}");
            assert_eq!(request.shape, EventShape::RestToken);
            assert_eq!(request.method_arn.to_string(), ARN);
        }
    }

    #[test]
    fn reads_the_authorization_header_in_any_case() {
        let event = request_event(json!({"AUTHORIZATION": "Bearer x.y.z"}), json!(null));
        let request = read(event).unwrap();
        assert_eq!(request.token, "x.y.z");
        assert_eq!(request.shape, EventShape::RestRequest);
        let event = request_event(json!({}), json!({"authorization": ["x.y.z"]}));
        assert_eq!(read(event).unwrap().token, "x.y.z");
        let event = request_event(
            json!({"Authorization": "x.y.z"}),
            json!({"Authorization": ["x.y.z"]}),
        );
        assert_eq!(read(event).unwrap().token, "x.y.z");
    }

    #[test]
    fn refuses_two_different_authorization_headers() {
        let event = request_event(json!({}), json!({"Authorization": ["a.b.c", "d.e.f"]}));
        assert_eq!(read(event), Err(Rejection::AmbiguousToken));
        let event = request_event(
            json!({"authorization": "a.b.c"}),
            json!({"Authorization": ["d.e.f"]}),
        );
        assert_eq!(read(event), Err(Rejection::AmbiguousToken));
    }

    #[test]
    fn refuses_missing_and_odd_tokens() {
        assert_eq!(read(token_event("")), Err(Rejection::MissingToken));
        assert_eq!(read(token_event("Bearer ")), Err(Rejection::MissingToken));
        assert_eq!(
            read(json!({"type": "TOKEN", "methodArn": ARN})),
            Err(Rejection::MissingToken)
        );
        assert_eq!(
            read(request_event(json!({}), json!({}))),
            Err(Rejection::MissingToken)
        );
        assert_eq!(
            read(token_event("Basic dXNlcjpwYXNz")),
            Err(Rejection::MalformedToken)
        );
        assert_eq!(
            read(token_event("a.b.c\"}")),
            Err(Rejection::MalformedToken)
        );
    }

    #[test]
    fn refuses_oversized_tokens_unread() {
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            read(token_event(&huge)),
            Err(Rejection::Oversized {
                max: MAX_TOKEN_BYTES
            })
        );
        let at_limit = "a".repeat(MAX_TOKEN_BYTES);
        assert_eq!(
            read(token_event(&format!("Bearer {at_limit}")))
                .unwrap()
                .token,
            at_limit
        );
    }

    #[test]
    fn the_fast_reading_of_token_events_agrees_with_the_full_one() {
        for event in [
            r#"{"type": "TOKEN", "authorizationToken": "Bearer a.b.c", "methodArn": "ARN"}"#,
            r#"{"type": "TOKEN", "authorizationToken": "\u0042earer a.b.c", "methodArn": "ARN"}"#,
            r#"{"methodArn": "ARN", "extra": [1, {"x": null}], "type": "TOKEN", "authorizationToken": "a.b.c"}"#,
            r#"{"type": "TOKEN", "type_": 42, "authorizationToken": "a.b.c", "methodArn": "ARN"}"#,
            r#"{"type": "TOKEN", "authorizationToken": null, "methodArn": "ARN"}"#,
            r#"{"type": "TOKEN", "authorizationToken": "a.b.c", "methodArn": null}"#,
            r#"{"type": "TOKEN", "type": "TOKEN", "authorizationToken": "a.b.c", "methodArn": "ARN"}"#,
            r#"{"type": "TOKEN", "authorizationToken": "a", "authorizationToken": "b", "methodArn": "ARN"}"#,
            r#"{"type": "TOKEN", "authorizationToken": "a.b.c", "methodArn": "ARN"} trailing"#,
            r#"{"type": "token", "authorizationToken": "a.b.c", "methodArn": "ARN"}"#,
            r#"{"type": 0, "authorizationToken": "a.b.c", "methodArn": "ARN"}"#,
            r#"["TOKEN", "a.b.c", "ARN"]"#,
        ] {
            let event = event.replace("ARN", ARN);
            assert_eq!(
                AuthorizerRequest::from_json(&event),
                AuthorizerRequest::read_in_full(&event),
                "{event}"
            );
        }
    }

    proptest::proptest! {
        /// Objects made of the keys and values that matter, in any order, repeated or not.
        #[test]
        fn the_fast_reading_agrees_on_any_mix_of_fields(
            fields in proptest::collection::vec(
                (
                    "(type|version|authorizationToken|methodArn|type_|other)",
                    "(\"TOKEN\"|\"REQUEST\"|\"Bearer a.b.c\"|\"ARN\"|null|0|\\[\\]|\\{\\})",
                ),
                0..6,
            ),
        ) {
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            let event = format!("{{{}}}", body.join(", ")).replace("ARN", ARN);
            proptest::prop_assert_eq!(
                AuthorizerRequest::from_json(&event),
                AuthorizerRequest::read_in_full(&event)
            );
        }
    }

    const ROUTE: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets";

    /// An HTTP API event of payload format 2.0, as API Gateway sends it.
    fn v2_event(headers: serde_json::Value) -> serde_json::Value {
        json!({
            "version": "2.0", "type": "REQUEST", "routeArn": ROUTE,
            "identitySource": ["Bearer a.b.c", "GET /pets"], "routeKey": "GET /pets",
            "rawPath": "/pets", "rawQueryString": "", "cookies": ["session=1"], "headers": headers,
            "requestContext": {"accountId": "123456789012", "apiId": "abcdef123",
                               "http": {"method": "GET", "path": "/pets", "protocol": "HTTP/1.1",
                                        "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
                               "requestId": "id", "routeKey": "GET /pets", "stage": "$default",
                               "time": "21/Nov/2026:19:00:00 +0000", "timeEpoch": 1795287600000_u64},
            "pathParameters": {}, "stageVariables": {}
        })
    }

    #[test]
    fn reads_http_api_events_of_both_payload_formats() {
        for authorization in ["Bearer a.b.c", "a.b.c"] {
            let request = read(v2_event(
                json!({"authorization": authorization, "x-k": "v"}),
            ))
            .unwrap();
            assert_eq!(request.token, "a.b.c");
            assert_eq!(request.shape, EventShape::HttpV2);
            assert_eq!(request.method_arn.to_string(), ROUTE);
        }
        let mut v1 = request_event(json!({"authorization": "Bearer a.b.c"}), json!(null));
        v1["version"] = json!("1.0");
        v1["methodArn"] = json!(ROUTE);
        let request = read(v1).unwrap();
        assert_eq!(request.token, "a.b.c");
        assert_eq!(request.shape, EventShape::HttpV1);
    }

    #[test]
    fn refuses_odd_http_api_events() {
        let with = |field: &str, value: serde_json::Value| {
            let mut event = v2_event(json!({"authorization": "Bearer a.b.c"}));
            event[field] = value;
            event
        };
        let mut no_route = v2_event(json!({"authorization": "Bearer a.b.c"}));
        no_route.as_object_mut().unwrap().remove("routeArn");
        for (event, reason) in [
            (no_route, Rejection::MalformedEvent),
            (
                with("identitySource", json!("Bearer a.b.c")),
                Rejection::MalformedEvent,
            ),
            (
                with("headers", json!(["authorization", "a.b.c"])),
                Rejection::MalformedEvent,
            ),
            (
                with("headers", json!({"authorization": 7})),
                Rejection::MalformedEvent,
            ),
            (with("version", json!("3.0")), Rejection::MalformedEvent),
            (with("version", json!(2)), Rejection::MalformedEvent),
            (
                with(
                    "routeArn",
                    json!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default"),
                ),
                Rejection::MalformedMethodArn,
            ),
            (
                with("headers", json!({"cookie": "session=1"})),
                Rejection::MissingToken,
            ),
            (
                with(
                    "headers",
                    json!({"authorization": "a.b.c", "Authorization": "d.e.f"}),
                ),
                Rejection::AmbiguousToken,
            ),
            (
                with("headers", json!({"authorization": "a.b.c, d.e.f"})),
                Rejection::MalformedToken,
            ),
        ] {
            assert_eq!(read(event.clone()), Err(reason), "{event}");
        }
        let mut token_with_version = token_event("a.b.c");
        token_with_version["version"] = json!("2.0");
        assert_eq!(read(token_with_version), Err(Rejection::MalformedEvent));
        let same_twice = with(
            "headers",
            json!({"authorization": "a.b.c", "Authorization": "a.b.c"}),
        );
        assert_eq!(read(same_twice).unwrap().token, "a.b.c");
    }

    #[test]
    fn refuses_malformed_events() {
        for event in [
            json!(null),
            json!("TOKEN"),
            json!([]),
            json!({}),
            json!({"authorizationToken": "a.b.c", "methodArn": ARN}),
            json!({"type": "COOKIE", "authorizationToken": "a.b.c", "methodArn": ARN}),
            json!({"type": "TOKEN", "authorizationToken": 42, "methodArn": ARN}),
            json!({"type": "TOKEN", "authorizationToken": "a.b.c"}),
        ] {
            assert_eq!(
                read(event.clone()),
                Err(Rejection::MalformedEvent),
                "{event}"
            );
        }
        let bad_arn = json!({"type": "TOKEN", "authorizationToken": "a.b.c", "methodArn": "arn:aws:s3:::bucket"});
        assert_eq!(read(bad_arn), Err(Rejection::MalformedMethodArn));
    }
}
