//! The Cognito front end, before and after the signature check, against a warm key cache holding
//! the test key `tests/keys/ours` (read from a file: no network); the two modes are those of
//! `fuzz/src/lib.rs`, signed with the pool's key.
#![no_main]

use authorizer_cognito::{Cognito, Config};
use authorizer_core::{Principal, Verifier};
use authorizer_fuzz::{FuzzToken, fuzz_token};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

static VERIFIER: LazyLock<Cognito> = LazyLock::new(|| {
    let jwk = include_str!("../../tests/keys/ours.jwk.json");
    let path = std::env::temp_dir().join(format!("fuzz-jwks-{}.json", std::process::id()));
    std::fs::write(&path, format!("{{\"keys\": [{jwk}]}}")).unwrap();
    let url = format!("file://{}", path.display());
    let config = Config::from_env(&|name| match name {
        "USER_POOL_ID" => Some("eu-west-1_Fuzz".to_owned()),
        "APP_CLIENT_IDS" => Some("fuzz-client".to_owned()),
        "JWKS_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let cognito = Cognito::new(&config).unwrap();
    RUNTIME.block_on(cognito.prefetch());
    cognito
});

static KEY: LazyLock<EncodingKey> = LazyLock::new(|| {
    EncodingKey::from_rsa_pem(include_bytes!("../../tests/keys/ours.pem")).unwrap()
});

fn verify(token: &str) -> Option<Principal> {
    RUNTIME.block_on(VERIFIER.verify(token)).ok()
}

fuzz_target!(|data: &[u8]| {
    match fuzz_token(data, &KEY, Algorithm::RS256) {
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
