//! What the token fuzz targets share: turning fuzz input into a token, and the check every token
//! target makes of its verifier's answer.
//!
//! The first byte picks the mode. Even: the rest is a token as a caller would send it, which
//! exercises header and claims decoding before the signature check and must never be accepted.
//! Odd: the rest is split into a header and claims that are then correctly signed, which exercises
//! claims decoding and validation after the signature check.

use std::sync::LazyLock;

use authorizer_core::{Answer, Authorizer, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, crypto};

/// A token built from fuzz input.
pub enum FuzzToken {
    /// Unsigned by us: the verifier must refuse it.
    Raw(String),
    /// Correctly signed with the verifier's key: the claims decide.
    Signed(String),
}

/// Builds the token for `data`, signing with `key` and `algorithm` in the signed mode; `None`
/// when the input is empty or not UTF-8 in the raw mode.
pub fn fuzz_token(data: &[u8], key: &EncodingKey, algorithm: Algorithm) -> Option<FuzzToken> {
    let (mode, rest) = data.split_first()?;
    if mode % 2 == 0 {
        return std::str::from_utf8(rest)
            .ok()
            .map(|t| FuzzToken::Raw(t.to_owned()));
    }
    let split = rest.first().map_or(0, |&b| b as usize % rest.len().max(1));
    let (header, claims) = rest.split_at(split);
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = crypto::sign(message.as_bytes(), key, algorithm).ok()?;
    Some(FuzzToken::Signed(format!("{message}.{signature}")))
}

/// Runs the token for `data` through `authorize` (the principal it accepts, or `None`): a raw
/// token must be refused, and a signed one accepted only with a subject.
pub fn check_token(
    data: &[u8],
    key: &EncodingKey,
    algorithm: Algorithm,
    authorize: impl Fn(&str) -> Option<String>,
) {
    match fuzz_token(data, key, algorithm) {
        Some(FuzzToken::Raw(token)) => {
            assert!(
                authorize(&token).is_none(),
                "an unsigned input was accepted"
            )
        }
        Some(FuzzToken::Signed(token)) => {
            if let Some(principal) = authorize(&token) {
                assert!(!principal.is_empty());
            }
        }
        None => {}
    }
}

/// The principal `authorizer` answers a TOKEN event carrying `token` with, through the whole
/// request path, run to completion on one runtime kept for the whole run.
pub fn authorize<V: Verifier + Sync>(authorizer: &Authorizer<V>, token: &str) -> Option<String> {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        // With I/O and timers: an unknown `kid` makes the key cache fetch.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    let event = serde_json::json!({
        "type": "TOKEN",
        "authorizationToken": token,
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:fuzz/prod/GET/pets",
    });
    match RUNTIME.block_on(authorizer.authorize(&event.to_string())) {
        Ok(Answer::Policy(policy)) => Some(policy.principal_id.unwrap_or_default()),
        Ok(other) => panic!("a TOKEN event answered with {other:?}"),
        Err(_) => None,
    }
}
