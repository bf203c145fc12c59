//! Event deserialization and token extraction: any bytes as a TOKEN or REQUEST event.
#![no_main]

use authorizer_core::event::{AuthorizerRequest, MAX_TOKEN_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(request) = AuthorizerRequest::from_json(text) {
            assert!(!request.token.is_empty() && request.token.len() <= MAX_TOKEN_BYTES);
            assert!(!request.token.contains(' '));
        }
    }
});
