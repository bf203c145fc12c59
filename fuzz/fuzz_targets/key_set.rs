//! The key-set (JWKS) parser: any bytes as the endpoint's answer, read for every algorithm an
//! issuer may accept.
#![no_main]

use authorizer_jwks::keyset::parse;
use jsonwebtoken::Algorithm::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let accepted = [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA];
    if let Ok(keys) = parse(data, 32, &accepted) {
        assert!(keys.len() <= 32);
    }
});
