//! What both authorizers do with `jsonwebtoken`: the same strict validation and the same reading
//! of its errors, so that a given flaw in a token is refused for the same reason everywhere.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::outcome::Rejection;

/// A validation that accepts exactly one algorithm and checks `exp` and `nbf` with one leeway.
///
/// `aud` is not checked unless the caller sets audiences: jsonwebtoken's default refuses every token
/// that carries `aud` when none is configured (the "Invalid audience" of the seeds' workshop).
pub fn strict_validation(algorithm: Algorithm, leeway_seconds: u64) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = leeway_seconds;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation
}

/// Verifies the signature and the registered claims, and returns all the claims.
pub fn decode_claims(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<Map<String, Value>, Rejection> {
    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|error| rejection(error.kind()))
}

/// The reason behind a `jsonwebtoken` error.
pub fn rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => Rejection::WrongAlgorithm,
        ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(static_claim(claim)),
        ErrorKind::InvalidClaimFormat(claim) => Rejection::BadClaim(static_claim(claim)),
        ErrorKind::InvalidSubject => Rejection::BadClaim("sub"),
        _ => Rejection::MalformedToken,
    }
}

/// Rejections name claims with `'static` strings; these are the only ones jsonwebtoken checks.
fn static_claim(claim: &str) -> &'static str {
    ["exp", "nbf", "iat", "sub", "iss", "aud"]
        .into_iter()
        .find(|known| *known == claim)
        .unwrap_or("unknown")
}
