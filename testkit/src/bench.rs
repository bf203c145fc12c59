//! What the benchmarks (`xtask/benches/`) measure, written once: Alice, an admin, calling the pet
//! store's `POST /pets` with each authorizer's token, in a REST API's TOKEN event and an HTTP API's
//! 2.0 event; the handler as the runtime drives it; and the signature check alone.

use std::hint::black_box;

use crate::events::{http_event, token_event};
use crate::keys::Key;
use crate::tokens::{hs, now, rs256, signed};
use authorizer_core::jwt::PublicKey;
use authorizer_core::{Authorizer, Verifier};
use futures_util::FutureExt as _;
use jsonwebtoken::Algorithm;
use serde_json::json;

/// The HS256 authorizer's `JWT_SECRET`.
pub const SECRET: &str = "benchmark-secret-of-at-least-32-bytes!";
/// The HS256 authorizer's `JWT_ISSUER`.
pub const ISSUER: &str = "https://petstore.example/demo";
/// The Cognito authorizer's user pool.
pub const POOL: &str = "eu-west-1_BenchPool1";
/// The Cognito authorizer's app client.
pub const CLIENT: &str = "bench-app-client";
const API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore01/prod";
const HTTP_API: &str = "arn:aws:execute-api:eu-west-1:123456789012:petstore02/$default";
/// Where the OpenID Connect issuers of [`crate::authorizers::oidc`] live, one path each.
pub const OIDC_BASE: &str = "https://idp.example.com";
/// The OpenID Connect issuers' audience.
pub const OIDC_AUDIENCE: &str = "https://petstore.example/api";

/// Alice's custom token.
pub fn hs256_token() -> String {
    let claims = json!({
        "sub": "alice", "groups": ["admin"], "iss": ISSUER, "username": "alice",
        "email": "alice@example.com", "iat": now(), "exp": now() + 86_400,
    });
    hs(Algorithm::HS256, SECRET, &claims)
}

/// Alice's access token, as Cognito issues it, signed with the pool's key.
pub fn cognito_token() -> String {
    let claims = json!({
        "sub": "a1a1a1a1-0000-4000-8000-000000000001", "cognito:groups": ["admin"],
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "client_id": CLIENT, "token_use": "access", "username": "alice",
        "scope": "aws.cognito.signin.user.admin", "iat": now(), "exp": now() + 86_400,
    });
    rs256(Key::Ours, "ours-key", &claims)
}

/// Alice's access token from the OpenID Connect issuer `{OIDC_BASE}/{issuer}`, signed with `key`.
pub fn oidc_token(issuer: &str, key: Key, kid: &str) -> String {
    let claims = json!({
        "sub": "auth0|a11ce", "groups": ["admin"], "iss": format!("{OIDC_BASE}/{issuer}"),
        "aud": [OIDC_AUDIENCE, "https://idp.example.com/userinfo"], "scope": "openid pets:write",
        "azp": "petstore-web", "iat": now(), "exp": now() + 86_400,
    });
    signed(key, kid, &claims)
}

/// A REST API's TOKEN event carrying `token`.
pub fn event(token: &str) -> String {
    token_event(API, "POST", token)
}

/// An HTTP API's event of payload format 2.0 carrying `token`, with the headers curl sends.
pub fn http_v2_event(token: &str) -> String {
    let headers = json!({
        "authorization": format!("Bearer {token}"), "content-type": "application/json",
        "host": "petstore02.execute-api.eu-west-1.amazonaws.com", "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443", "x-forwarded-proto": "https",
    });
    http_event(HTTP_API, "POST", headers)
}

/// What the runtime does with an event: the handler, then the response's JSON. Nothing here waits
/// (HS256 never does, the others not with their keys cached), so `now_or_never` completes the
/// call without a runtime.
pub fn handle<V: Verifier + Sync>(authorizer: &Authorizer<V>, event: &str) -> Vec<u8> {
    let response = authorizer.authorize(event).now_or_never().unwrap();
    serde_json::to_vec(&response.unwrap()).unwrap()
}

/// The signature of `token` checked alone, with `key`'s public key parsed once, as the
/// authorizers' key sets parse it: what no authorizer can go below.
pub fn signature_check(token: &str, key: Key, algorithm: Algorithm) -> impl Fn() -> bool + '_ {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(key.jwk()).unwrap();
    let public = PublicKey::from_jwk(&jwk, algorithm).unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let verify = move || public.verifies(message.as_bytes(), black_box(signature));
    assert!(verify(), "the signature must verify");
    verify
}
