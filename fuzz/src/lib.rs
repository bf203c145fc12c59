//! What the token fuzz targets share: turning fuzz input into a token, and the check every token
//! target makes of its verifier's answer.
//!
//! The first byte picks the mode. Even: the rest is a token as a caller would send it, which
//! exercises header and claims decoding before the signature check and must never be accepted.
//! Odd: the rest is split into a header and claims that are then correctly signed, which exercises
//! claims decoding and validation after the signature check.

use std::sync::LazyLock;

use authorizer_core::{Principal, Verifier};
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

/// Runs the token for `data` through `verify` (what it accepts, or `None`): a raw token must be
/// refused, and a signed one accepted only with a subject.
pub fn check_token(
    data: &[u8],
    key: &EncodingKey,
    algorithm: Algorithm,
    verify: impl Fn(&str) -> Option<Principal>,
) {
    match fuzz_token(data, key, algorithm) {
        Some(FuzzToken::Raw(token)) => {
            assert!(verify(&token).is_none(), "an unsigned input was accepted")
        }
        Some(FuzzToken::Signed(token)) => {
            if let Some(principal) = verify(&token) {
                assert!(!principal.sub.is_empty());
            }
        }
        None => {}
    }
}

/// `verifier`'s verdict on `token`, run to completion on one runtime kept for the whole run.
pub fn verify(verifier: &impl Verifier, token: &str) -> Option<Principal> {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    });
    RUNTIME.block_on(verifier.verify(token)).ok()
}
