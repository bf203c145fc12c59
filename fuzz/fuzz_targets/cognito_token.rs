//! The Cognito front end, before and after the signature check, against a warm key cache holding
//! the test key `ours` (read from a file: no network); the two modes are those of
//! `fuzz/src/lib.rs`, signed with the pool's key.
#![no_main]

use std::sync::LazyLock;

use authorizer_cognito::Cognito;
use authorizer_core::Authorizer;
use authorizer_fuzz::{authorize, check_token};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use testkit::keys::Key;

static AUTHORIZER: LazyLock<Authorizer<Cognito>> =
    LazyLock::new(|| testkit::authorizers::cognito("eu-west-1_Fuzz", "fuzz-client"));

static KEY: LazyLock<EncodingKey> = LazyLock::new(|| Key::Ours.encoding_key());

fuzz_target!(|data: &[u8]| {
    check_token(data, &KEY, Algorithm::RS256, |token| {
        authorize(&AUTHORIZER, token)
    });
});
