//! The first step of a request: reading the token and the method ARN out of an authorizer event,
//! and noting the event's shape, which decides the shape of the answer.
//!
//! REST APIs send two kinds of events ([`EventShape`]): TOKEN (the `authorizationToken` alone) and
//! REQUEST (the whole request; we read its `Authorization` header). Either way the token may be
//! `Bearer <jwt>` or a bare JWT. Anything odd — no type, two different Authorization headers, a
//! token of unreasonable size — is refused here, before any cryptography runs.

use std::borrow::Cow;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
};
use aws_lambda_events::http::HeaderMap;
use serde::Deserialize;

use crate::arn::MethodArn;
use crate::error::Rejection;

/// Longer tokens are refused unread. Cognito's are about 1 KiB; 8 KiB leaves room for many claims
/// while keeping a hostile input from costing anything.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Every event API Gateway can send a REST authorizer, read in full.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
enum AuthorizerEvent {
    Token(ApiGatewayCustomAuthorizerRequest),
    Request(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
}

/// A TOKEN event, read without copying or buffering: the event of every request to a TOKEN
/// authorizer, so its reading is on every request's path. Its fields are exactly those that
/// [`AuthorizerEvent::Token`] reads, with the same types: whenever it reads an object whose
/// `type` is `TOKEN`, the full reading gives the same values. Anything else is read in full.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    authorization_token: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method_arn: Option<Cow<'a, str>>,
}

/// The kinds of event API Gateway sends an authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    /// A REST API's TOKEN authorizer: `authorizationToken` and `methodArn`.
    RestToken,
    /// A REST API's REQUEST authorizer: the whole request, `methodArn` among it.
    RestRequest,
}

/// What every authorizer needs from an event: a token to verify and the method being called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerRequest {
    /// The JWT, without any `Bearer ` prefix. Never log it.
    pub token: String,
    /// The method being called, which scopes the answer to the calling API and stage.
    pub method_arn: MethodArn,
    /// The kind of event it came in.
    pub shape: EventShape,
}

impl AuthorizerRequest {
    /// Reads a TOKEN or REQUEST event from its JSON text.
    pub fn from_json(event: &str) -> Result<Self, Rejection> {
        // Only an object: a derived struct would also read a JSON array, field by field.
        if event.trim_start().starts_with('{')
            && let Ok(TokenEvent {
                kind: Some(kind),
                authorization_token,
                method_arn,
            }) = serde_json::from_str(event)
            && kind == "TOKEN"
        {
            return Self::read(
                EventShape::RestToken,
                authorization_token.as_deref(),
                method_arn.as_deref(),
            );
        }
        Self::read_in_full(event)
    }

    /// Reads any event through [`AuthorizerEvent`]: REQUEST events, and whatever is odd.
    fn read_in_full(event: &str) -> Result<Self, Rejection> {
        let event: AuthorizerEvent =
            serde_json::from_str(event).map_err(|_| Rejection::MalformedEvent)?;
        match &event {
            AuthorizerEvent::Token(token) => Self::read(
                EventShape::RestToken,
                token.authorization_token.as_deref(),
                token.method_arn.as_deref(),
            ),
            AuthorizerEvent::Request(request) => Self::read(
                EventShape::RestRequest,
                authorization_header(request)?,
                request.method_arn.as_deref(),
            ),
        }
    }

    /// The request, from the event's `Authorization` (header or token) and `methodArn`.
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
                    "(type|authorizationToken|methodArn|type_|other)",
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
