//! The Cognito front end, before and after the signature check, against a warm key cache holding
//! the test key `tests/keys/ours` (read from a file: no network). As for `hs256_token`, the first
//! byte picks raw tokens (even) or header and claims correctly signed with the pool's key (odd).
#![no_main]

use authorizer_cognito::{Cognito, Config};
use authorizer_core::{Principal, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, crypto};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().unwrap());

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

static KEY: LazyLock<EncodingKey> =
    LazyLock::new(|| EncodingKey::from_rsa_pem(include_bytes!("../../tests/keys/ours.pem")).unwrap());

fn verify(token: &str) -> Option<Principal> {
    RUNTIME.block_on(VERIFIER.verify(token)).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            if verify(token).is_some() {
                panic!("an unsigned input was accepted");
            }
        }
        return;
    }
    let split = rest.first().map_or(0, |&b| b as usize % (rest.len().max(1)));
    let (header, claims) = rest.split_at(split);
    let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let signature = crypto::sign(message.as_bytes(), &KEY, Algorithm::RS256).unwrap();
    if let Some(principal) = verify(&format!("{message}.{signature}")) {
        assert!(!principal.sub.is_empty());
    }
});
