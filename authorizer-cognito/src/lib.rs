//! The Cognito authorizer: Amazon Cognito user-pool tokens, ID and access, verified with RS256
//! against the pool's key set.
//!
//! [`config`] declares and reads the settings once at cold start; `authorizer_jwks` fetches and
//! filters the pool's keys within strict limits and keeps them across invocations; [`Cognito`] is
//! the [`Verifier`] the shared [`Authorizer`] calls. The checks every issuer shares, access
//! rules, answers and errors are `authorizer_core`'s.

#![warn(missing_docs)]

pub mod config;

use authorizer_core::config::Env;
use authorizer_core::jwt::Token;
use authorizer_core::{AuthError, Authorizer, InitError, Rejection, VerifiedClaims, Verifier};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use authorizer_jwks::cache::KeyCache;
use authorizer_jwks::keyset::{FetchLimits, KeySetSource};

pub use crate::config::{Config, TokenUse};

/// Cognito signs with RS256 only.
const RS256: [Algorithm; 1] = [Algorithm::RS256];

/// Verifies Cognito tokens against the pool's cached keys: the signature, the issuer, the kind of
/// token and the app client it was issued to.
#[derive(Debug)]
pub struct Cognito {
    keys: KeyCache,
    validation: Validation,
    app_client_ids: Vec<String>,
    token_use: TokenUse,
}

impl Cognito {
    /// Builds the verifier; the keys are had by [`Cognito::prefetch`].
    pub fn new(config: &Config) -> Result<Self, InitError> {
        let mut validation = config.shared.validation(Algorithm::RS256);
        validation.set_issuer(&config.issuers);
        validation.set_required_spec_claims(&["exp", "iss"]);
        let source =
            KeySetSource::from_url(config.jwks_url.clone(), FetchLimits::default(), &RS256);
        Ok(Cognito {
            keys: KeyCache::new(source, config.cache),
            validation,
            app_client_ids: config.app_client_ids.clone(),
            token_use: config.token_use,
        })
    }

    /// Fills the key cache at cold start: from `JWKS_FILE` when set (a file that cannot be read
    /// or holds no usable key stops the function), else by fetching the key set (a failure is
    /// logged and retried on demand).
    pub async fn prefetch(&self, config: &Config) -> Result<(), InitError> {
        match &config.jwks_file {
            Some(path) => self.keys.preload(path).map_err(|e| InitError::Unavailable {
                var: config::JWKS_FILE.name,
                reason: e.to_string(),
            }),
            None => {
                self.keys.prefetch().await;
                Ok(())
            }
        }
    }

    /// The key cache, for tests and benchmarks that count fetches.
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }

    /// The Cognito-specific claims: the kind of token, and the app client it was issued to.
    fn check_use_and_client(&self, claims: &VerifiedClaims) -> Result<(), Rejection> {
        let claim = |name: &'static str| match claims.get(name) {
            None => Err(Rejection::MissingClaim(name)),
            Some(Value::String(value)) => Ok(value.as_str()),
            Some(_) => Err(Rejection::BadClaim(name)),
        };
        let client = match (claim("token_use")?, self.token_use) {
            ("id", TokenUse::Id | TokenUse::Any) => claim("aud")?,
            ("access", TokenUse::Access | TokenUse::Any) => claim("client_id")?,
            _ => return Err(Rejection::WrongTokenUse),
        };
        if self.app_client_ids.iter().any(|id| id == client) {
            Ok(())
        } else {
            Err(Rejection::WrongClient)
        }
    }
}

impl Verifier for Cognito {
    async fn verify(&self, token: &Token<'_>) -> Result<VerifiedClaims, AuthError> {
        // The header is read before the signature is checked only to pick the key: keys come
        // from the configured key set alone.
        let header = token.header();
        if header.alg != Algorithm::RS256 {
            return Err(Rejection::WrongAlgorithm.into());
        }
        let kid = header.kid.as_deref().ok_or(Rejection::MissingKeyId)?;
        let key = self.keys.key(kid, header.alg).await?;
        let claims = key.decode(token, &self.validation)?;
        self.check_use_and_client(&claims)?;
        Ok(claims)
    }
}

/// Everything cold start does: read the configuration, build the verifier and prefetch the keys.
pub async fn authorizer_from_env(env: &Env<'_>) -> Result<Authorizer<Cognito>, InitError> {
    let config = Config::from_env(env)?;
    let verifier = Cognito::new(&config)?;
    verifier.prefetch(&config).await?;
    Authorizer::new(verifier, config.shared).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::keys::{Key, file_url, key_set_file};

    /// A verifier whose key set is a file holding the test key [`Key::Ours`].
    fn verifier(runtime: &tokio::runtime::Runtime) -> Cognito {
        let url = file_url(&key_set_file(&[Key::Ours]));
        let lookup = testkit::env::lookup(&[
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("APP_CLIENT_IDS", "c1,c2"),
            ("JWKS_URL", &url),
        ]);
        let config = Config::from_env(&Env::new(&lookup)).unwrap();
        let cognito = Cognito::new(&config).unwrap();
        runtime.block_on(cognito.prefetch(&config)).unwrap();
        cognito
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Changing any one character of a signed Cognito token — header, payload or signature —
        /// makes it a token the authorizer refuses.
        #[test]
        fn any_mutation_of_a_signed_token_is_refused(position in 0usize..2000, replacement in "[A-Za-z0-9_.=-]") {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let cognito = verifier(&runtime);
            let claims = serde_json::json!({
                "sub": "bob", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
                "token_use": "access", "client_id": "c1", "exp": testkit::tokens::now() + 600
            });
            let original = testkit::tokens::rs256(Key::Ours, "ours-key", &claims);
            let verify = |token: &str| runtime.block_on(cognito.verify(&Token::parse(token)?));
            proptest::prop_assert!(verify(&original).is_ok());
            let mutated = testkit::tokens::mutate(&original, position, replacement.chars().next().unwrap());
            proptest::prop_assume!(mutated.is_some());
            let mutated = mutated.unwrap();
            proptest::prop_assert!(verify(&mutated).is_err(), "{mutated}");
        }
    }
}
