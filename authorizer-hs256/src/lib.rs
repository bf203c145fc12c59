//! The HS256 authorizer: custom tokens signed with a shared secret.
//!
//! [`Config`] is read once at cold start (the secret from `JWT_SECRET`, or from AWS Secrets
//! Manager through `JWT_SECRET_ARN`, see [`secrets`]); [`Hs256`] is the [`Verifier`] the shared
//! [`Authorizer`] calls for each request. Everything else — events, rules, policies, outcomes —
//! is `authorizer_core`'s.

pub mod secrets;

use std::fmt;

use authorizer_core::config::{self, ConfigError, Lookup, invalid, optional};
use authorizer_core::jwt::{decode_claims, strict_validation};
use authorizer_core::{AuthError, Authorizer, ClaimNames, CommonConfig, Principal, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
pub const MIN_SECRET_BYTES: usize = 32;

/// Custom tokens name their groups `groups` unless `GROUPS_CLAIM` says otherwise.
pub const DEFAULT_GROUPS_CLAIM: &str = "groups";

/// Where the username may be found in a custom token.
const USERNAME_CLAIMS: &[&str] = &["username", "preferred_username"];

/// The shared secret. Its `Debug` never shows it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Accepts a secret only if it is long enough; `var` names where it came from.
    pub fn new(bytes: Vec<u8>, var: &'static str) -> Result<Self, ConfigError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(invalid(
                var,
                format!("the secret must be at least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)"),
            ));
        }
        Ok(Secret(bytes))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where the secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `JWT_SECRET`: the secret itself, for local runs and tests.
    Inline(Secret),
    /// `JWT_SECRET_ARN`: a Secrets Manager secret, read once at cold start.
    SecretsManager { arn: String },
}

/// The HS256 authorizer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub common: CommonConfig,
    pub secret: SecretSource,
    /// `JWT_ISSUER`: when set, `iss` is required and must equal it.
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE` (comma-separated): when set, `aud` is required and must name one of them.
    /// When unset, `aud` is not checked, whatever the token carries.
    pub audiences: Option<Vec<String>>,
}

impl Config {
    /// Reads and checks every variable; nothing is fetched yet.
    pub fn from_env(env: Lookup) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, DEFAULT_GROUPS_CLAIM, USERNAME_CLAIMS)?;
        let secret = match (optional(env, "JWT_SECRET"), optional(env, "JWT_SECRET_ARN")) {
            (Some(secret), None) => {
                SecretSource::Inline(Secret::new(secret.into_bytes(), "JWT_SECRET")?)
            }
            (None, Some(arn)) => SecretSource::SecretsManager {
                arn: arn.trim().to_owned(),
            },
            (None, None) => {
                return Err(ConfigError::Missing {
                    var: "JWT_SECRET_ARN (or JWT_SECRET)",
                });
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "JWT_SECRET",
                    "set either JWT_SECRET or JWT_SECRET_ARN, not both",
                ));
            }
        };
        Ok(Config {
            common,
            secret,
            issuer: optional(env, "JWT_ISSUER").map(|iss| iss.trim().to_owned()),
            audiences: config::list(env, "JWT_AUDIENCE")?,
        })
    }
}

/// Verifies HS256 tokens against one secret.
pub struct Hs256 {
    key: DecodingKey,
    validation: Validation,
    max_age_seconds: Option<u64>,
    claim_names: ClaimNames,
}

impl fmt::Debug for Hs256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hs256").finish_non_exhaustive()
    }
}

impl Hs256 {
    /// Builds the verifier once; the validation it holds is reused for every request.
    pub fn new(secret: &Secret, config: &Config) -> Self {
        let mut validation = strict_validation(Algorithm::HS256, config.common.leeway_seconds);
        let mut required = vec!["exp", "sub"];
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
            key: DecodingKey::from_secret(&secret.0),
            validation,
            max_age_seconds: config.common.max_age_seconds,
            claim_names: config.common.claim_names.clone(),
        }
    }
}

impl Verifier for Hs256 {
    async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = decode_claims(token, &self.key, &self.validation, self.max_age_seconds)?;
        Ok(Principal::from_claims(&claims, &self.claim_names)?)
    }
}

/// Everything cold start does: read the configuration, fetch the secret if it lives in Secrets
/// Manager, and build the authorizer. Any error here must stop the function.
pub async fn authorizer_from_env(env: Lookup<'_>) -> Result<Authorizer<Hs256>, ConfigError> {
    let config = Config::from_env(env)?;
    let secret = match &config.secret {
        SecretSource::Inline(secret) => secret.clone(),
        SecretSource::SecretsManager { arn } => secrets::fetch(arn, env).await?,
    };
    Ok(Authorizer {
        verifier: Hs256::new(&secret, &config),
        rules: config.common.rules.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use authorizer_core::Rejection;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::{Value, json};
    use std::collections::HashMap;

    const SECRET: &str = "unit-test-secret-of-at-least-32-bytes!";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(&|name| vars.get(name).cloned())
    }

    fn verifier(vars: &[(&str, &str)]) -> Hs256 {
        let mut vars = vars.to_vec();
        vars.push(("JWT_SECRET", SECRET));
        let config = config(&vars).unwrap();
        let SecretSource::Inline(secret) = &config.secret else {
            unreachable!()
        };
        Hs256::new(secret, &config)
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn token(alg: Algorithm, secret: &str, claims: Value) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    /// The verifier never waits, so it completes on its first poll.
    fn verify(verifier: &Hs256, token: &str) -> Result<Principal, AuthError> {
        futures_util::FutureExt::now_or_never(verifier.verify(token)).expect("HS256 does not wait")
    }

    fn rejected(result: Result<Principal, AuthError>) -> Rejection {
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
        let principal = verify(&verifier(&[]), &t).unwrap();
        assert_eq!(principal.sub, "alice");
        assert_eq!(principal.groups, ["admin"]);
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
                Rejection::MissingClaim("exp"),
            ),
            ("not-a-jwt".to_owned(), Rejection::MalformedToken),
        ];
        for (t, reason) in cases {
            assert_eq!(rejected(verify(&v, &t)), reason);
        }
    }

    #[test]
    fn refuses_alg_none_in_any_case() {
        let claims = URL_SAFE_NO_PAD.encode(json!({"sub": "a", "exp": now() + 60}).to_string());
        for alg in ["none", "None", "NONE"] {
            let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
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

    #[test]
    fn configuration_errors_name_the_variable() {
        let short = config(&[("JWT_SECRET", "too-short")]).unwrap_err();
        assert!(short.to_string().starts_with("JWT_SECRET "), "{short}");
        assert!(!short.to_string().contains("too-short"));
        let none = config(&[]).unwrap_err();
        assert!(none.to_string().contains("JWT_SECRET_ARN"), "{none}");
        let both = config(&[("JWT_SECRET", SECRET), ("JWT_SECRET_ARN", "arn:x")]).unwrap_err();
        assert!(both.to_string().contains("JWT_SECRET_ARN"), "{both}");
        let audience = config(&[("JWT_SECRET", SECRET), ("JWT_AUDIENCE", ",")]).unwrap_err();
        assert!(
            audience.to_string().starts_with("JWT_AUDIENCE"),
            "{audience}"
        );
    }

    proptest::proptest! {
        /// Changing any one character of a signed token — header, payload or signature — makes
        /// it a token the authorizer refuses.
        #[test]
        fn any_mutation_of_a_signed_token_is_refused(position in 0usize..1000, replacement in "[A-Za-z0-9_.=-]") {
            let original = token(Algorithm::HS256, SECRET, json!({"sub": "bob", "exp": now() + 600, "groups": ["staff"]}));
            let position = position % original.len();
            let replacement = replacement.chars().next().unwrap();
            proptest::prop_assume!(original.as_bytes()[position] as char != replacement);
            let mut mutated = original.into_bytes();
            mutated[position] = replacement as u8;
            let mutated = String::from_utf8(mutated).unwrap();
            proptest::prop_assert!(verify(&verifier(&[]), &mutated).is_err(), "{mutated}");
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
