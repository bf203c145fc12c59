//! The HS256 front end, before and after the signature check (see `fuzz/src/lib.rs` for the
//! two modes). Nothing is accepted unless it carries a valid HS256 signature, `exp` and `sub`.
#![no_main]

use std::sync::LazyLock;

use authorizer_core::Authorizer;
use authorizer_fuzz::{authorize, check_token};
use authorizer_hs256::Hs256;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzzing-secret-of-at-least-32-bytes!";

static AUTHORIZER: LazyLock<Authorizer<Hs256>> =
    LazyLock::new(|| testkit::authorizers::hs256(SECRET, &[]));

static KEY: LazyLock<EncodingKey> = LazyLock::new(|| EncodingKey::from_secret(SECRET.as_bytes()));

fuzz_target!(|data: &[u8]| {
    check_token(data, &KEY, Algorithm::HS256, |token| {
        authorize(&AUTHORIZER, token)
    });
});
