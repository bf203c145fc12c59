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
///
/// On top of `exp` and `nbf`, `iat` is checked: a token claiming to be issued in the future
/// (beyond the leeway) is refused, and with `max_age_seconds` (`JWT_MAX_AGE_SECONDS`) a token
/// issued longer ago is refused whatever its `exp` — then `iat` is required. This bounds how long
/// a stolen token can be replayed when issuers hand out long-lived tokens.
pub fn decode_claims(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
    max_age_seconds: Option<u64>,
) -> Result<Map<String, Value>, Rejection> {
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|error| rejection(error.kind()))?;
    let now = jsonwebtoken::get_current_timestamp();
    check_issued_at(&claims, now, validation.leeway, max_age_seconds)?;
    Ok(claims)
}

fn check_issued_at(
    claims: &Map<String, Value>,
    now: u64,
    leeway: u64,
    max_age_seconds: Option<u64>,
) -> Result<(), Rejection> {
    let iat = match claims.get("iat") {
        None if max_age_seconds.is_some() => return Err(Rejection::MissingClaim("iat")),
        None => return Ok(()),
        Some(iat) => iat
            .as_f64()
            .filter(|iat| iat.is_finite() && *iat >= 0.0)
            .ok_or(Rejection::BadClaim("iat"))? as u64,
    };
    if iat > now.saturating_add(leeway) {
        return Err(Rejection::IssuedInFuture);
    }
    match max_age_seconds {
        Some(max_age) if now.saturating_sub(iat) > max_age.saturating_add(leeway) => {
            Err(Rejection::TooOld)
        }
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(claims: Value, max_age: Option<u64>) -> Result<(), Rejection> {
        check_issued_at(claims.as_object().unwrap(), 10_000, 30, max_age)
    }

    #[test]
    fn iat_is_optional_unless_a_maximum_age_is_set() {
        assert_eq!(check(json!({}), None), Ok(()));
        assert_eq!(
            check(json!({}), Some(3600)),
            Err(Rejection::MissingClaim("iat"))
        );
    }

    #[test]
    fn refuses_tokens_issued_in_the_future_beyond_the_leeway() {
        assert_eq!(check(json!({"iat": 10_030}), None), Ok(()));
        assert_eq!(
            check(json!({"iat": 10_031}), None),
            Err(Rejection::IssuedInFuture)
        );
    }

    #[test]
    fn refuses_tokens_older_than_the_maximum_age() {
        assert_eq!(
            check(json!({"iat": 10_000 - 3600 - 30}), Some(3600)),
            Ok(())
        );
        assert_eq!(
            check(json!({"iat": 10_000 - 3600 - 31}), Some(3600)),
            Err(Rejection::TooOld)
        );
        assert_eq!(check(json!({"iat": 1}), None), Ok(()));
    }

    #[test]
    fn refuses_an_iat_that_is_not_a_time() {
        for iat in [json!("yesterday"), json!(-1), json!(null), json!([1])] {
            assert_eq!(
                check(json!({"iat": iat}), None),
                Err(Rejection::BadClaim("iat"))
            );
        }
    }
}
