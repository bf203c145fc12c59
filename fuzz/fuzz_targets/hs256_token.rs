//! The HS256 front end, before and after the signature check. The first byte picks the mode:
//! even, the rest is a token as a caller would send it (header and claims decoding before the
//! signature check); odd, the rest is split into a header and claims that are correctly signed
//! with the configured secret (claims decoding and validation after it). Nothing is accepted
//! unless it carries a valid HS256 signature and a valid `exp` and `sub`.
#![no_main]

use authorizer_core::{Principal, Verifier};
use authorizer_hs256::{Config, Hs256, SecretSource};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, crypto};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const SECRET: &str = "fuzzing-secret-of-at-least-32-bytes!";

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().unwrap());

static VERIFIER: LazyLock<Hs256> = LazyLock::new(|| {
    let config = Config::from_env(&|name| (name == "JWT_SECRET").then(|| SECRET.to_owned())).unwrap();
    let SecretSource::Inline(secret) = &config.secret else { unreachable!() };
    Hs256::new(secret, &config)
});

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
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let signature = crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
    if let Some(principal) = verify(&format!("{message}.{signature}")) {
        assert!(!principal.sub.is_empty());
    }
});
