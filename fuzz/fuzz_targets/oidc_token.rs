//! The OpenID Connect front end, before and after the signature check (see `fuzz/src/lib.rs` for
//! the two modes), against three issuers whose key sets were read from files at cold start, one
//! of them a multi-tenant template (`{tenantid}`): the unverified `iss` (and `tid`) that choose
//! the issuer, the header's `alg` and `kid`, then the claims. An unknown `kid` makes one refetch,
//! from a loopback port where nothing listens.
#![no_main]

use std::sync::LazyLock;

use authorizer_core::Authorizer;
use authorizer_fuzz::{authorize, check_token};
use authorizer_oidc::Oidc;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use testkit::keys::Key;

static AUTHORIZER: LazyLock<Authorizer<Oidc>> =
    LazyLock::new(|| testkit::authorizers::oidc("http://127.0.0.1:9", "fuzz-api"));

static KEY: LazyLock<EncodingKey> = LazyLock::new(|| Key::Ours.encoding_key());

fuzz_target!(|data: &[u8]| {
    check_token(data, &KEY, Algorithm::RS256, |token| {
        authorize(&AUTHORIZER, token)
    });
});
