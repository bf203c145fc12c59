//! Both authorizers built in-process, as their `main`s build them, for the benchmarks and the fuzz
//! targets: nothing here needs a network or a runtime.
//!
//! Written against the authorizer crates' current API (`Config::from_env`, `Hs256::new`,
//! `Cognito::new`, `prefetch`, `Authorizer { verifier, rules }`): when that API changes, only this
//! module follows.

use authorizer_cognito::Cognito;
use authorizer_core::Authorizer;
use authorizer_hs256::{Hs256, SecretSource};
use futures_util::FutureExt as _;

use crate::env::lookup;
use crate::keys::{Key, file_url, key_set_file};

/// The HS256 authorizer with `secret` inline (`JWT_SECRET`) and `extra` settings such as
/// `JWT_ISSUER`.
pub fn hs256(secret: &str, extra: &[(&str, &str)]) -> Authorizer<Hs256> {
    let env = lookup(&[&[("JWT_SECRET", secret)], extra].concat());
    let config = authorizer_hs256::Config::from_env(&env).expect("a valid HS256 configuration");
    let SecretSource::Inline(secret) = &config.secret else {
        unreachable!("the secret is inline")
    };
    Authorizer {
        verifier: Hs256::new(secret, &config),
        rules: config.common.rules.clone(),
    }
}

/// The Cognito authorizer for the user pool `pool` and the app client `client`, its key set a
/// file publishing the test key [`Key::Ours`] (kid `ours-key`), fetched once as at cold start: every
/// later request finds its key in the cache.
pub fn cognito(pool: &str, client: &str) -> Authorizer<Cognito> {
    let jwks_url = file_url(&key_set_file(&[Key::Ours]));
    let env = lookup(&[
        ("USER_POOL_ID", pool),
        ("APP_CLIENT_IDS", client),
        ("JWKS_URL", &jwks_url),
    ]);
    let config = authorizer_cognito::Config::from_env(&env).expect("a valid Cognito configuration");
    let verifier = Cognito::new(&config).expect("a Cognito verifier");
    verifier
        .prefetch()
        .now_or_never()
        .expect("reading a file:// key set never waits");
    Authorizer {
        verifier,
        rules: config.common.rules,
    }
}
