//! What every verifier does with `jsonwebtoken`: the same reading of a token's header, the same
//! decoding and the same reading of its errors, so that a given flaw in a token is refused for the
//! same reason everywhere. The strict validation verifiers start from is
//! [`crate::Settings::validation`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::claims::VerifiedClaims;
use crate::error::Rejection;

/// A token whose header has been read and is one this kit can process; its signature is not
/// checked yet. The [`crate::Authorizer`] makes one for each request and hands it to its
/// [`crate::Verifier`], so no verifier can forget the header's checks, nor read it twice.
#[derive(Debug)]
pub struct Token<'a> {
    raw: &'a str,
    header: Header,
}

impl<'a> Token<'a> {
    /// Reads `raw`'s header. A header naming critical extensions (`crit`, RFC 7515 §4.1.11) is
    /// refused, since this kit understands none, and so is RFC 7797's `b64`, which is only valid
    /// as such an extension: a recipient that ignored them would verify something other than
    /// what the signer meant.
    pub fn parse(raw: &'a str) -> Result<Self, Rejection> {
        let header = jsonwebtoken::decode_header(raw).map_err(|e| rejection(e.kind()))?;
        if header.crit.is_some() || header.extras.inner().contains_key("b64") {
            return Err(Rejection::CriticalExtension);
        }
        Ok(Token { raw, header })
    }

    /// The header: `alg` and `kid` choose the key; `jku`, `x5u`, `jwk` and `x5c` are never
    /// followed, since keys come from configuration alone.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload's claims as `T`, **unverified**: only to choose among configured issuers
    /// before the signature is checked, or to explain why verified claims were refused.
    pub fn unverified_claims<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        let payload = self
            .raw
            .split('.')
            .nth(1)
            .ok_or(Rejection::MalformedToken)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Rejection::MalformedToken)?;
        serde_json::from_slice(&json).map_err(|_| Rejection::MalformedToken)
    }
}

/// Verifies the signature and the registered claims `validation` names, and returns the claims.
/// Beyond `jsonwebtoken`'s checks, `iss` must be a single string when present (RFC 7519 §4.1.1),
/// whether or not an issuer is configured: `jsonwebtoken` would accept an array holding it.
pub fn decode(
    token: &Token<'_>,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<VerifiedClaims, Rejection> {
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token.raw, key, validation)
        .map_err(|error| match error.kind() {
            // jsonwebtoken reports a required claim of the wrong type (an `exp` that is a string)
            // as missing. It checks claims only once the signature has verified, so the payload
            // can be read to tell the two apart.
            ErrorKind::MissingRequiredClaim(claim) if has_claim(token, claim) => {
                Rejection::BadClaim(static_claim(claim))
            }
            kind => rejection(kind),
        })?
        .claims;
    if claims.get("iss").is_some_and(|iss| !iss.is_string()) {
        return Err(Rejection::BadClaim("iss"));
    }
    Ok(VerifiedClaims::new(claims))
}

fn has_claim(token: &Token<'_>, claim: &str) -> bool {
    token
        .unverified_claims::<Map<String, Value>>()
        .is_ok_and(|claims| claims.get(claim).is_some_and(|value| !value.is_null()))
}

/// The reason behind a `jsonwebtoken` error.
fn rejection(kind: &ErrorKind) -> Rejection {
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
    use jsonwebtoken::{Algorithm, EncodingKey, encode};
    use serde_json::json;

    const SECRET: &[u8] = b"a-unit-test-secret-of-32-bytes!!";

    fn signed(header: Value, claims: Value) -> String {
        let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let message = format!("{}.{}", b64(&header), b64(&claims));
        let key = EncodingKey::from_secret(SECRET);
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256);
        format!("{message}.{}", signature.unwrap())
    }

    fn verify(token: &str) -> Result<VerifiedClaims, Rejection> {
        let validation = Validation::new(Algorithm::HS256);
        decode(
            &Token::parse(token)?,
            &DecodingKey::from_secret(SECRET),
            &validation,
        )
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[test]
    fn a_plain_header_is_read_and_the_token_verifies() {
        let claims = json!({"sub": "alice", "exp": in_an_hour()});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(Token::parse(&token).unwrap().header().alg, Algorithm::HS256);
        assert!(verify(&token).is_ok());
    }

    #[test]
    fn refuses_any_critical_extension_before_the_signature() {
        let claims = json!({"sub": "alice", "exp": in_an_hour()});
        for header in [
            json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
            json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            json!({"alg": "HS256", "crit": []}),
            json!({"alg": "HS256", "b64": false}),
            json!({"alg": "HS256", "b64": true}),
        ] {
            let token = signed(header.clone(), claims.clone());
            assert_eq!(
                Token::parse(&token).unwrap_err(),
                Rejection::CriticalExtension,
                "{header}"
            );
            // Refused before any key is looked at: a token signed by no one is refused the same.
            let unsigned = format!("{}.x", token.rsplit_once('.').unwrap().0);
            assert_eq!(verify(&unsigned).unwrap_err(), Rejection::CriticalExtension);
        }
    }

    #[test]
    fn an_iss_that_is_not_one_string_is_refused_even_unconfigured() {
        for iss in [json!(["https://a.example", "https://b.example"]), json!(7)] {
            let token = signed(
                json!({"alg": "HS256"}),
                json!({"sub": "a", "exp": in_an_hour(), "iss": iss}),
            );
            assert_eq!(verify(&token).unwrap_err(), Rejection::BadClaim("iss"));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["https://a.example"]);
        let token = signed(
            json!({"alg": "HS256"}),
            json!({"sub": "a", "exp": in_an_hour(), "iss": ["https://a.example"]}),
        );
        let key = DecodingKey::from_secret(SECRET);
        assert_eq!(
            decode(&Token::parse(&token).unwrap(), &key, &validation).unwrap_err(),
            Rejection::BadClaim("iss"),
            "an array holding the configured issuer is still refused"
        );
    }

    #[test]
    fn a_required_claim_of_the_wrong_type_is_bad_not_missing() {
        for exp in [json!("tomorrow"), json!(true), json!(-1)] {
            let token = signed(json!({"alg": "HS256"}), json!({"sub": "a", "exp": exp}));
            assert_eq!(verify(&token).unwrap_err(), Rejection::BadClaim("exp"));
        }
        for claims in [json!({"sub": "a"}), json!({"sub": "a", "exp": null})] {
            let token = signed(json!({"alg": "HS256"}), claims);
            assert_eq!(verify(&token).unwrap_err(), Rejection::MissingClaim("exp"));
        }
    }

    #[test]
    fn reads_unverified_claims_only_from_a_json_payload() {
        let token = signed(json!({"alg": "HS256"}), json!({"iss": "https://a.example"}));
        let claims: Map<String, Value> = Token::parse(&token).unwrap().unverified_claims().unwrap();
        assert_eq!(claims["iss"], "https://a.example");
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        for payload in ["", "!!", &URL_SAFE_NO_PAD.encode("not json")] {
            let raw = format!("{header}.{payload}.x");
            let token = Token::parse(&raw).unwrap();
            assert_eq!(
                token.unverified_claims::<Map<String, Value>>().unwrap_err(),
                Rejection::MalformedToken
            );
        }
    }
}
