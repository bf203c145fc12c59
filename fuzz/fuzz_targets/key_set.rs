//! The key-set (JWKS) parser: any bytes as the endpoint's answer.
#![no_main]

use authorizer_jwks::keyset::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(keys) = parse(data, 32) {
        assert!(keys.len() <= 32);
    }
});
