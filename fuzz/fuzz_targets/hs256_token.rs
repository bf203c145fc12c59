//! The HS256 front end, before and after the signature check (see `fuzz/src/lib.rs` for the
//! two modes). Nothing is accepted unless it carries a valid HS256 signature, `exp` and `sub`.
#![no_main]

use authorizer_core::{Principal, Verifier};
use authorizer_fuzz::{FuzzToken, fuzz_token};
use authorizer_hs256::{Config, Hs256, SecretSource};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const SECRET: &str = "fuzzing-secret-of-at-least-32-bytes!";

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

static VERIFIER: LazyLock<Hs256> = LazyLock::new(|| {
    let config =
        Config::from_env(&|name| (name == "JWT_SECRET").then(|| SECRET.to_owned())).unwrap();
    let SecretSource::Inline(secret) = &config.secret else {
        unreachable!()
    };
    Hs256::new(secret, &config)
});

fn verify(token: &str) -> Option<Principal> {
    RUNTIME.block_on(VERIFIER.verify(token)).ok()
}

fuzz_target!(|data: &[u8]| {
    match fuzz_token(
        data,
        &EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    ) {
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
});
