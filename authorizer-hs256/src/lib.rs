//! The HS256 authorizer: custom tokens signed with a shared secret.
//!
//! [`config`] declares and reads the settings once at cold start (the secret from `JWT_SECRET`,
//! or from AWS Secrets Manager through `JWT_SECRET_ARN`); [`Hs256`] is the
//! [`Verifier`] the shared [`Authorizer`] calls for each request. Everything else — events, the
//! checks every issuer shares, rules, answers, errors — is `authorizer_core`'s.

#![warn(missing_docs)]

pub mod config;

use std::fmt;

use authorizer_core::config::Env;
use authorizer_core::jwt::{self, Token};
use authorizer_core::{AuthError, Authorizer, InitError, VerifiedClaims, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

pub use crate::config::{Config, Secret, SecretSource};

/// Verifies HS256 tokens against one secret: the signature, and `iss` and `aud` when configured.
pub struct Hs256 {
    key: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for Hs256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hs256").finish_non_exhaustive()
    }
}

impl Hs256 {
    /// Builds the verifier once; the validation it holds is reused for every request.
    pub fn new(secret: &Secret, config: &Config) -> Self {
        let mut validation = config.shared.validation(Algorithm::HS256);
        let mut required = vec!["exp"];
        if let Some(issuer) = &config.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audiences) = &config.audiences {
            validation.set_audience(audiences);
            validation.validate_aud = true;
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        Hs256 {
            key: DecodingKey::from_secret(secret.bytes()),
            validation,
        }
    }
}

impl Verifier for Hs256 {
    async fn verify(&self, token: &Token<'_>) -> Result<VerifiedClaims, AuthError> {
        Ok(jwt::decode(token, &self.key, &self.validation)?)
    }
}

/// Everything cold start does: read the configuration, fetch the secret if it lives in Secrets
/// Manager, and build the authorizer. Any error here must stop the function.
pub async fn authorizer_from_env(env: &Env<'_>) -> Result<Authorizer<Hs256>, InitError> {
    let config = Config::from_env(env)?;
    let secret = match &config.secret {
        SecretSource::Inline(secret) => secret.clone(),
        SecretSource::SecretsManager(source) => {
            Secret::new(source.fetch().await?.into_bytes(), &config::JWT_SECRET_ARN)?
        }
    };
    Authorizer::new(Hs256::new(&secret, &config), config.shared).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use authorizer_core::Answer;
    use authorizer_core::Rejection;
    use serde_json::{Value, json};
    use testkit::tokens::{b64, now};

    const SECRET: &str = "unit-test-secret-of-at-least-32-bytes!";
    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets";

    /// The whole authorizer, with the secret inline and `vars` on top.
    fn verifier(vars: &[(&'static str, &'static str)]) -> Authorizer<Hs256> {
        let lookup = |name: &str| {
            vars.iter()
                .chain(&[("JWT_SECRET", SECRET)])
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let env = Env::new(&lookup);
        futures_util::FutureExt::now_or_never(authorizer_from_env(&env))
            .expect("an inline secret needs no wait")
            .unwrap()
    }

    /// `claims` signed by `alg` with `secret`.
    fn token(alg: Algorithm, secret: &str, claims: Value) -> String {
        testkit::tokens::hs(alg, secret, &claims)
    }

    /// A TOKEN event for `token` through the whole pipeline; HS256 never waits, so it completes on
    /// its first poll.
    fn verify(authorizer: &Authorizer<Hs256>, token: &str) -> Result<Answer, AuthError> {
        let event = json!({"type": "TOKEN", "authorizationToken": token, "methodArn": ARN});
        futures_util::FutureExt::now_or_never(authorizer.authorize(&event.to_string()))
            .expect("HS256 does not wait")
    }

    fn rejected(result: Result<Answer, AuthError>) -> Rejection {
        match result {
            Err(AuthError::Rejected(rejection)) => rejection,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_good_token_and_reads_its_principal() {
        let t = token(
            Algorithm::HS256,
            SECRET,
            json!({"sub": "alice", "exp": now() + 60, "groups": ["admin"]}),
        );
        let Ok(Answer::Policy(policy)) = verify(&verifier(&[]), &t) else {
            panic!("a REST answer is a policy")
        };
        assert_eq!(policy.principal_id.as_deref(), Some("alice"));
        assert_eq!(policy.context.groups.as_deref(), Some("admin"));
    }

    #[test]
    fn accepts_an_aud_claim_when_no_audience_is_configured() {
        let t = token(
            Algorithm::HS256,
            SECRET,
            json!({"sub": "a", "exp": now() + 60, "aud": "anything"}),
        );
        assert!(verify(&verifier(&[]), &t).is_ok());
    }

    #[test]
    fn refuses_every_flawed_token() {
        let v = verifier(&[]);
        let exp = now() + 600;
        let cases = [
            (
                token(Algorithm::HS384, SECRET, json!({"sub": "a", "exp": exp})),
                Rejection::WrongAlgorithm,
            ),
            (
                token(Algorithm::HS512, SECRET, json!({"sub": "a", "exp": exp})),
                Rejection::WrongAlgorithm,
            ),
            (
                token(
                    Algorithm::HS256,
                    "another-secret-of-at-least-32-bytes!!",
                    json!({"sub": "a", "exp": exp}),
                ),
                Rejection::BadSignature,
            ),
            (
                token(
                    Algorithm::HS256,
                    SECRET,
                    json!({"sub": "a", "exp": now() - 120}),
                ),
                Rejection::Expired,
            ),
            (
                token(
                    Algorithm::HS256,
                    SECRET,
                    json!({"sub": "a", "exp": exp, "nbf": now() + 120}),
                ),
                Rejection::NotYetValid,
            ),
            (
                token(Algorithm::HS256, SECRET, json!({"sub": "a"})),
                Rejection::MissingClaim("exp"),
            ),
            (
                token(Algorithm::HS256, SECRET, json!({"exp": exp})),
                Rejection::MissingClaim("sub"),
            ),
            (
                token(Algorithm::HS256, SECRET, json!({"sub": "", "exp": exp})),
                Rejection::BadClaim("sub"),
            ),
            (
                token(
                    Algorithm::HS256,
                    SECRET,
                    json!({"sub": "a", "exp": "tomorrow"}),
                ),
                Rejection::BadClaim("exp"),
            ),
            ("not-a-jwt".to_owned(), Rejection::MalformedToken),
        ];
        for (t, reason) in cases {
            assert_eq!(rejected(verify(&v, &t)), reason);
        }
    }

    #[test]
    fn refuses_alg_none_in_any_case() {
        let claims = b64(&json!({"sub": "a", "exp": now() + 60}));
        for alg in ["none", "None", "NONE"] {
            let header = b64(&json!({"alg": alg, "typ": "JWT"}));
            for t in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
                assert!(matches!(
                    verify(&verifier(&[]), &t),
                    Err(AuthError::Rejected(_))
                ));
            }
        }
    }

    #[test]
    fn pins_issuer_and_audience_when_configured() {
        let v = verifier(&[
            ("JWT_ISSUER", "https://issuer.example"),
            ("JWT_AUDIENCE", "pets, toys"),
        ]);
        let exp = now() + 60;
        let good = token(
            Algorithm::HS256,
            SECRET,
            json!({"sub": "a", "exp": exp, "iss": "https://issuer.example", "aud": ["x", "toys"]}),
        );
        assert!(verify(&v, &good).is_ok());
        for (claims, reason) in [
            (
                json!({"sub": "a", "exp": exp, "aud": "pets"}),
                Rejection::MissingClaim("iss"),
            ),
            (
                json!({"sub": "a", "exp": exp, "iss": "https://evil.example", "aud": "pets"}),
                Rejection::WrongIssuer,
            ),
            (
                json!({"sub": "a", "exp": exp, "iss": ["https://issuer.example"], "aud": "pets"}),
                Rejection::BadClaim("iss"),
            ),
            (
                json!({"sub": "a", "exp": exp, "iss": "https://issuer.example"}),
                Rejection::MissingClaim("aud"),
            ),
            (
                json!({"sub": "a", "exp": exp, "iss": "https://issuer.example", "aud": "cats"}),
                Rejection::WrongAudience,
            ),
        ] {
            assert_eq!(
                rejected(verify(&v, &token(Algorithm::HS256, SECRET, claims))),
                reason
            );
        }
    }

    proptest::proptest! {
        /// Changing any one character of a signed token — header, payload or signature — makes
        /// it a token the authorizer refuses.
        #[test]
        fn any_mutation_of_a_signed_token_is_refused(position in 0usize..1000, replacement in "[A-Za-z0-9_.=-]") {
            let original = token(Algorithm::HS256, SECRET, json!({"sub": "bob", "exp": now() + 600, "groups": ["staff"]}));
            let mutated = testkit::tokens::mutate(&original, position, replacement.chars().next().unwrap());
            proptest::prop_assume!(mutated.is_some());
            let mutated = mutated.unwrap();
            proptest::prop_assert!(verify(&verifier(&[]), &mutated).is_err(), "{mutated}");
        }
    }
}
