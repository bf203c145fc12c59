//! Verified claims, and the checks on them that every issuer shares.
//!
//! A [`crate::Verifier`] checks what only it can: the signature against its keys, and its issuer's
//! own claims (`iss`, `aud`, Cognito's `token_use`…). What holds for every issuer — a token may not
//! claim to be issued in the future, nor be older than `JWT_MAX_AGE_SECONDS` — is checked here,
//! once, by the [`crate::Authorizer`], on the [`VerifiedClaims`] the verifier returns.

use serde_json::{Map, Value};

use crate::error::Rejection;

/// The claims of a token whose signature a verifier checked. Only [`crate::jwt::decode`] makes
/// one, so holding one means the signature verified and `exp`/`nbf` were within the leeway.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedClaims(Map<String, Value>);

impl VerifiedClaims {
    /// Wraps claims that passed the signature check (or, in unit tests, that stand for such).
    pub(crate) fn new(claims: Map<String, Value>) -> Self {
        VerifiedClaims(claims)
    }

    /// The claim `name`, if the token has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Every claim, for the principal to keep.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The checks common to every issuer, at `now` (seconds since the epoch).
    ///
    /// A token claiming to be issued in the future (beyond the leeway) is refused, and with
    /// `max_age_seconds` (`JWT_MAX_AGE_SECONDS`) a token issued longer ago is refused whatever its
    /// `exp` — then `iat` is required. This bounds how long a stolen token can be replayed when
    /// issuers hand out long-lived tokens.
    pub fn check_issued_at(
        &self,
        now: u64,
        leeway: u64,
        max_age_seconds: Option<u64>,
    ) -> Result<(), Rejection> {
        let iat = match self.get("iat") {
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
}

#[cfg(test)]
pub(crate) fn claims(value: Value) -> VerifiedClaims {
    VerifiedClaims::new(value.as_object().expect("claims are an object").clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value, max_age: Option<u64>) -> Result<(), Rejection> {
        claims(value).check_issued_at(10_000, 30, max_age)
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
