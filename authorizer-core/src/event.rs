//! The first step of a request: reading the token, the method ARN and any client certificate out
//! of an authorizer event, and noting the event's shape, which decides the shape of the answer.
//!
//! API Gateway sends five kinds of events ([`EventShape`]): a REST API's TOKEN event (the
//! `authorizationToken` alone) and REQUEST event (the whole request; we read its `Authorization`
//! header), an HTTP API's events in payload format 1.0 (the REST REQUEST shape with
//! `"version": "1.0"`) and 2.0 (`routeArn`, lower-case `headers`), and a WebSocket API's `$connect`
//! event (the REST REQUEST shape, its ARN naming the route). Whatever the event, the token may be
//! `Bearer <jwt>` or a bare JWT; REQUEST-shaped events may also carry it in the query-string
//! parameter `TOKEN_QUERY_PARAMETER` names, and carry the client certificate of mutual TLS.
//! Anything odd — no type, an unknown version, two different tokens, a token of unreasonable size —
//! is refused here, before any cryptography runs.
//!
//! TOKEN and 2.0 events are the events of every request to their authorizers, so they are read
//! the fast way: one pass over the text that borrows what it keeps and skips the rest
//! ([`Outline`]). REQUEST, 1.0 and WebSocket events, and whatever is odd, are read in full.

use std::borrow::Cow;
use std::fmt;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
};
use aws_lambda_events::http::HeaderMap;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

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
    /// A WebSocket API's authorizer, on its `$connect` route: the REST REQUEST shape, whose
    /// `methodArn` names the route ([`crate::arn::CONNECT_ROUTE`]) instead of a method.
    WebSocket,
}

/// What every authorizer needs from an event: a token to verify and the method being called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerRequest {
    /// The JWT, without any `Bearer ` prefix. Never log it.
    pub token: String,
    /// The method (REST) or route (HTTP and WebSocket APIs) being called, which scopes the answer
    /// to the calling API and stage.
    pub method_arn: MethodArn,
    /// The kind of event it came in.
    pub shape: EventShape,
    /// The client certificate (PEM) of a mutual-TLS request, which API Gateway passes to REQUEST
    /// authorizers (`clientCertPem`); `None` without mutual TLS, and always for a TOKEN event.
    pub client_certificate: Option<String>,
}

/// Every event read in full: a REST API's TOKEN or REQUEST event, or an HTTP API's 1.0 event.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
enum AuthorizerEvent {
    Token(ApiGatewayCustomAuthorizerRequest),
    Request(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
}

/// Who sent an event read in full: a REST or WebSocket API (no `version`) or an HTTP API
/// (`"version": "1.0"`).
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
/// is `TOKEN` and that has no `version`, the full reading gives the same values. The query string
/// is kept unread, as its JSON text, until the settings ask for it.
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
    #[serde(borrow)]
    query_string_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    request_context: Option<ContextV2<'a>>,
}

/// What a 2.0 event's `requestContext` holds for us: the client certificate of mutual TLS.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ContextV2<'a> {
    #[serde(borrow)]
    authentication: Option<AuthenticationV2<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationV2<'a> {
    #[serde(borrow)]
    client_cert: Option<ClientCertV2<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientCertV2<'a> {
    #[serde(borrow)]
    client_cert_pem: Option<Cow<'a, str>>,
}

impl AuthorizerRequest {
    /// Reads any authorizer event from its JSON text. With `query_parameter`
    /// (`TOKEN_QUERY_PARAMETER`), a REQUEST-shaped event may carry the token in that query-string
    /// parameter too; without it, the query string is never read.
    pub fn from_json(event: &str, query_parameter: Option<&str>) -> Result<Self, Rejection> {
        // Only an object: a derived struct would also read a JSON array, field by field.
        let outline = if event.trim_start().starts_with('{') {
            serde_json::from_str::<Outline>(event).ok()
        } else {
            None
        };
        let Some(outline) = outline else {
            return Self::read_in_full(event, query_parameter);
        };
        match (outline.kind.as_deref(), outline.version.as_deref()) {
            (Some("TOKEN"), None) => Self::read(
                EventShape::RestToken,
                Sources::header(outline.authorization_token.as_deref()),
                outline.method_arn.as_deref(),
                None,
            ),
            (Some("REQUEST"), Some("2.0")) => {
                let query = match (query_parameter, outline.query_string_parameters) {
                    (Some(_), Some(query)) => serde_json::from_str::<Option<Pairs>>(query.get())
                        .map_err(|_| Rejection::MalformedEvent)?
                        .unwrap_or_default(),
                    _ => Pairs::default(),
                };
                let certificate = outline
                    .request_context
                    .and_then(|context| context.authentication?.client_cert?.client_cert_pem);
                Self::read(
                    EventShape::HttpV2,
                    Sources {
                        header: outline.headers.unwrap_or_default().only()?,
                        query: query_parameter
                            .map(|name| query.all(|key| key == name))
                            .unwrap_or_default(),
                    },
                    outline.route_arn.as_deref(),
                    certificate.map(Cow::into_owned),
                )
            }
            (_, None) => Self::read_request(event, Api::Rest, query_parameter),
            (_, Some("1.0")) => Self::read_request(event, Api::HttpV1, query_parameter),
            // HTTP APIs send no other version.
            (_, Some(_)) => Err(Rejection::MalformedEvent),
        }
    }

    /// Reads whatever the outline could not: what is odd is refused as the full reading refuses
    /// it, and what is not is read as the outline would have read it.
    fn read_in_full(event: &str, query_parameter: Option<&str>) -> Result<Self, Rejection> {
        let Version { version } =
            serde_json::from_str(event).map_err(|_| Rejection::MalformedEvent)?;
        let api = match version.as_deref() {
            None => Api::Rest,
            Some("1.0") => Api::HttpV1,
            // A 2.0 event that the outline could not read is malformed.
            Some(_) => return Err(Rejection::MalformedEvent),
        };
        Self::read_request(event, api, query_parameter)
    }

    /// Reads a REST TOKEN or REQUEST event, a WebSocket event, or an HTTP API's 1.0 event, in
    /// full through [`AuthorizerEvent`].
    fn read_request(
        event: &str,
        api: Api,
        query_parameter: Option<&str>,
    ) -> Result<Self, Rejection> {
        let parsed: AuthorizerEvent =
            serde_json::from_str(event).map_err(|_| Rejection::MalformedEvent)?;
        let request = match (&parsed, api) {
            (AuthorizerEvent::Token(token), Api::Rest) => {
                return Self::read(
                    EventShape::RestToken,
                    Sources::header(token.authorization_token.as_deref()),
                    token.method_arn.as_deref(),
                    None,
                );
            }
            (AuthorizerEvent::Request(request), _) => request,
            // HTTP APIs send no TOKEN events.
            (AuthorizerEvent::Token(_), Api::HttpV1) => return Err(Rejection::MalformedEvent),
        };
        let shape = match api {
            Api::Rest => EventShape::RestRequest,
            Api::HttpV1 => EventShape::HttpV1,
        };
        let query = match query_parameter {
            None => Vec::new(),
            Some(name) => [
                &request.query_string_parameters,
                &request.multi_value_query_string_parameters,
            ]
            .into_iter()
            .flat_map(|map| map.all(name).unwrap_or_default())
            .collect(),
        };
        let certificate = request
            .request_context
            .identity
            .as_ref()
            .and_then(|identity| identity.client_cert.as_ref()?.client_cert_pem.clone());
        Self::read(
            shape,
            Sources {
                header: authorization_header(request)?,
                query,
            },
            request.method_arn.as_deref(),
            certificate,
        )
    }

    /// The request, from the event's token sources and method or route ARN. A REST REQUEST event
    /// whose ARN names the connect route is a WebSocket API's; no other event may name it.
    fn read(
        shape: EventShape,
        sources: Sources<'_>,
        method_arn: Option<&str>,
        client_certificate: Option<String>,
    ) -> Result<Self, Rejection> {
        let method_arn = method_arn.ok_or(Rejection::MalformedEvent)?;
        let method_arn = MethodArn::parse(method_arn).map_err(|_| Rejection::MalformedMethodArn)?;
        let shape = match (shape, method_arn.is_connect_route()) {
            (EventShape::RestRequest, true) => EventShape::WebSocket,
            (_, true) => return Err(Rejection::MalformedMethodArn),
            (shape, false) => shape,
        };
        Ok(AuthorizerRequest {
            token: sources.token()?.to_owned(),
            method_arn,
            shape,
            client_certificate,
        })
    }
}

/// Where an event carries its token: the one `Authorization` value (the TOKEN event's
/// `authorizationToken`), and the values of the query-string parameter `TOKEN_QUERY_PARAMETER`
/// names (none when unset).
struct Sources<'a> {
    header: Option<&'a str>,
    query: Vec<&'a str>,
}

impl<'a> Sources<'a> {
    fn header(header: Option<&'a str>) -> Self {
        Sources {
            header,
            query: Vec::new(),
        }
    }

    /// The one token they hold, without its `Bearer` scheme: when the header and the query, or two
    /// query values, hold different tokens, the request is ambiguous.
    fn token(&self) -> Result<&'a str, Rejection> {
        let mut token = None;
        for value in self.header.iter().chain(&self.query) {
            let candidate = bearer_token(value)?;
            match token {
                Some(chosen) if chosen != candidate => return Err(Rejection::AmbiguousToken),
                _ => token = Some(candidate),
            }
        }
        token.ok_or(Rejection::MissingToken)
    }
}

/// The `Authorization` values of a 2.0 event's `headers`, an object of strings whose names API
/// Gateway writes in lower case (read here in any case). Other headers are skipped unkept.
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
        let Pairs(pairs) = Pairs::deserialize_filtered(deserializer, |name| {
            name.eq_ignore_ascii_case("authorization")
        })?;
        Ok(AuthorizationHeaders(
            pairs.into_iter().map(|(_, value)| value).collect(),
        ))
    }
}

/// A JSON object of strings (a 2.0 event's `queryStringParameters`), kept as its name and value
/// pairs in order, borrowed from the event unless they hold escapes.
#[derive(Default)]
struct Pairs<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Pairs<'a> {
    /// The values of the names `wanted` accepts.
    fn all(&self, wanted: impl Fn(&str) -> bool) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(name, _)| wanted(name))
            .map(|(_, value)| value.as_ref())
            .collect()
    }

    /// Reads an object of strings, keeping only the pairs whose name `keep` accepts: the values
    /// of the others are checked to be strings, and skipped.
    fn deserialize_filtered<D: Deserializer<'a>>(
        deserializer: D,
        keep: fn(&str) -> bool,
    ) -> Result<Self, D::Error> {
        struct Object(fn(&str) -> bool);
        impl<'de> Visitor<'de> for Object {
            type Value = Pairs<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut pairs = Vec::new();
                while let Some(Text(name)) = map.next_key()? {
                    let Text(value) = map.next_value()?;
                    if (self.0)(&name) {
                        pairs.push((name, value));
                    }
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Object(keep))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Pairs::deserialize_filtered(deserializer, |_| true)
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

/// Whether `byte` is one a JWT is written with: base64url's alphabet, padding, or the dot between
/// its parts. Branchless, so that [`in_jwt_alphabet`] can check many bytes at once.
fn in_jwt_byte(byte: u8) -> bool {
    let letter = (byte | 0x20).wrapping_sub(b'a') < 26;
    let digit = byte.wrapping_sub(b'0') < 10;
    letter | digit | (byte == b'-') | (byte == b'_') | (byte == b'.') | (byte == b'=')
}

/// Whether every byte of `token` is one a JWT is written with. Every request's token is checked:
/// without an exit at the first odd byte, the compiler checks 16 bytes at a time, in a third of
/// the instructions of a table read byte by byte (BENCHMARKS.md; at `opt-level = 3`, whose
/// vectorizer this needs). Blocks of 64 stop a long hostile token at its first odd block.
fn in_jwt_alphabet(token: &str) -> bool {
    token.as_bytes().chunks(64).all(|block| {
        block
            .iter()
            .fold(true, |all, &byte| all & in_jwt_byte(byte))
    })
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
    if !in_jwt_alphabet(token) {
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
        AuthorizerRequest::from_json(&event.to_string(), None)
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
    fn the_jwt_alphabet_is_base64url_padding_and_dots() {
        for byte in 0..=u8::MAX {
            let expected = byte.is_ascii_alphanumeric() || b"-_.=".contains(&byte);
            assert_eq!(in_jwt_byte(byte), expected, "byte {byte:#04x}");
            // At both ends of the first block of 64 bytes and in the second one.
            for at in [0, 1, 15, 63, 64, 100] {
                let mut token = vec![b'a'; 101];
                token[at] = byte;
                let token = String::from_utf8_lossy(&token);
                assert_eq!(in_jwt_alphabet(&token), expected, "{byte:#04x} at {at}");
            }
        }
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
                AuthorizerRequest::from_json(&event, None),
                AuthorizerRequest::read_in_full(&event, None),
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
                AuthorizerRequest::from_json(&event, None),
                AuthorizerRequest::read_in_full(&event, None)
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

    const CONNECT: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect";

    /// A WebSocket API's `$connect` event, as API Gateway sends it to a REQUEST authorizer.
    fn websocket_event(headers: serde_json::Value, query: serde_json::Value) -> serde_json::Value {
        json!({
            "type": "REQUEST", "methodArn": CONNECT, "headers": headers,
            "multiValueHeaders": {}, "queryStringParameters": query,
            "multiValueQueryStringParameters": {}, "stageVariables": {},
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT",
                               "extendedRequestId": "x", "requestTime": "07/Dec/2026:04:00:00 +0000",
                               "messageDirection": "IN", "stage": "prod", "connectedAt": 1796616000000_u64,
                               "requestTimeEpoch": 1796616000000_u64, "identity": {"sourceIp": "203.0.113.7"},
                               "requestId": "r", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                               "connectionId": "P4ssAbCdIAMCJfA=", "apiId": "abc123"}
        })
    }

    fn read_with_query(event: serde_json::Value) -> Result<AuthorizerRequest, Rejection> {
        AuthorizerRequest::from_json(&event.to_string(), Some("token"))
    }

    #[test]
    fn reads_websocket_connect_events() {
        let request = read(websocket_event(
            json!({"Authorization": "Bearer a.b.c"}),
            json!(null),
        ))
        .unwrap();
        assert_eq!(request.shape, EventShape::WebSocket);
        assert_eq!(request.token, "a.b.c");
        assert_eq!(request.method_arn.to_string(), CONNECT);
        assert_eq!(
            EventShape::WebSocket.answer_shape(crate::answer::HttpApiResponse::Simple),
            crate::answer::AnswerShape::RestPolicy
        );
        // Only a REST-shaped REQUEST event may name the connect route.
        let mut token = token_event("a.b.c");
        token["methodArn"] = json!(CONNECT);
        let mut v1 = websocket_event(json!({"Authorization": "a.b.c"}), json!(null));
        v1["version"] = json!("1.0");
        let mut v2 = v2_event(json!({"authorization": "a.b.c"}));
        v2["routeArn"] = json!(CONNECT);
        for event in [token, v1, v2] {
            assert_eq!(
                read(event.clone()),
                Err(Rejection::MalformedMethodArn),
                "{event}"
            );
        }
    }

    #[test]
    fn reads_the_query_parameter_only_when_it_is_named() {
        let only_query = websocket_event(json!({}), json!({"token": "a.b.c", "other": "d.e.f"}));
        assert_eq!(read(only_query.clone()), Err(Rejection::MissingToken));
        assert_eq!(read_with_query(only_query).unwrap().token, "a.b.c");
        let mut rest = request_event(json!({}), json!(null));
        rest["queryStringParameters"] = json!({"token": "a.b.c"});
        rest["multiValueQueryStringParameters"] = json!({"token": ["a.b.c"]});
        assert_eq!(read(rest.clone()), Err(Rejection::MissingToken));
        assert_eq!(read_with_query(rest.clone()).unwrap().token, "a.b.c");
        let mut v1 = rest;
        v1["version"] = json!("1.0");
        assert_eq!(read(v1.clone()), Err(Rejection::MissingToken));
        let request = read_with_query(v1).unwrap();
        assert_eq!(
            (request.token.as_str(), request.shape),
            ("a.b.c", EventShape::HttpV1)
        );
        let mut v2 = v2_event(json!({}));
        v2["queryStringParameters"] = json!({"token": "a.b.c"});
        assert_eq!(read(v2.clone()), Err(Rejection::MissingToken));
        assert_eq!(read_with_query(v2.clone()).unwrap().token, "a.b.c");
        // Names are case-sensitive in a query string.
        v2["queryStringParameters"] = json!({"Token": "a.b.c"});
        assert_eq!(read_with_query(v2), Err(Rejection::MissingToken));
        // Never read unnamed: a query string that is not even an object does not matter then.
        let mut odd = v2_event(json!({"authorization": "a.b.c"}));
        odd["queryStringParameters"] = json!(["token", "d.e.f"]);
        assert_eq!(read(odd.clone()).unwrap().token, "a.b.c");
        assert_eq!(read_with_query(odd), Err(Rejection::MalformedEvent));
    }

    #[test]
    fn a_header_and_a_query_token_must_agree() {
        let both = |header: &str, query: serde_json::Value| {
            let mut v2 = v2_event(json!({"authorization": header}));
            v2["queryStringParameters"] = query.clone();
            let ws = websocket_event(json!({"Authorization": header}), query);
            [read_with_query(v2), read_with_query(ws)]
        };
        for result in both("Bearer a.b.c", json!({"token": "a.b.c"})) {
            assert_eq!(result.unwrap().token, "a.b.c");
        }
        for result in both("Bearer a.b.c", json!({"token": "d.e.f"})) {
            assert_eq!(result, Err(Rejection::AmbiguousToken));
        }
        // An HTTP API joins a repeated parameter with commas: not a token.
        for result in both("a.b.c", json!({"token": "a.b.c,d.e.f"})) {
            assert_eq!(result, Err(Rejection::MalformedToken));
        }
        let mut rest = request_event(json!({}), json!(null));
        rest["multiValueQueryStringParameters"] = json!({"token": ["a.b.c", "d.e.f"]});
        assert_eq!(read_with_query(rest), Err(Rejection::AmbiguousToken));
        let oversized = "a".repeat(MAX_TOKEN_BYTES + 1);
        for result in both("a.b.c", json!({"token": oversized})) {
            assert_eq!(
                result,
                Err(Rejection::Oversized {
                    max: MAX_TOKEN_BYTES
                })
            );
        }
    }

    #[test]
    fn keeps_the_client_certificate_of_request_events() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let cert = json!({"clientCertPem": pem, "subjectDN": "CN=alice", "issuerDN": "CN=ca",
                          "serialNumber": "1", "validity": {"notBefore": "a", "notAfter": "b"}});
        let mut rest = request_event(json!({"Authorization": "a.b.c"}), json!(null));
        rest["requestContext"]["identity"] = json!({"sourceIp": "203.0.113.7", "clientCert": cert});
        let mut v1 = rest.clone();
        v1["version"] = json!("1.0");
        let mut v2 = v2_event(json!({"authorization": "a.b.c"}));
        v2["requestContext"]["authentication"] = json!({"clientCert": cert});
        for event in [rest, v1, v2.clone()] {
            assert_eq!(
                read(event.clone()).unwrap().client_certificate.as_deref(),
                Some(pem),
                "{event}"
            );
        }
        let plain = [
            token_event("a.b.c"),
            request_event(json!({"Authorization": "a.b.c"}), json!(null)),
            v2_event(json!({"authorization": "a.b.c"})),
        ];
        for event in plain {
            assert_eq!(read(event).unwrap().client_certificate, None);
        }
        // A TOKEN event has no certificate, whatever it holds.
        let mut token = token_event("a.b.c");
        token["requestContext"] = v2["requestContext"].clone();
        assert_eq!(read(token).unwrap().client_certificate, None);
        v2["requestContext"]["authentication"] = json!({"clientCert": {"clientCertPem": 7}});
        assert_eq!(read(v2), Err(Rejection::MalformedEvent));
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
