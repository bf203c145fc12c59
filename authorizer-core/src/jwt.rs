//! What every verifier does with `jsonwebtoken`: the same decoding and the same reading of its
//! errors, so that a given flaw in a token is refused for the same reason everywhere. The strict
//! validation verifiers start from is [`crate::Settings::validation`].

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// Verifies the signature and the registered claims `validation` names, and returns the claims.
pub fn decode(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<VerifiedClaims, Rejection> {
    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| VerifiedClaims::new(data.claims))
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
