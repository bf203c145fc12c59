//! Event deserialization and token extraction: any bytes as any authorizer event (REST TOKEN or
//! REQUEST, HTTP API 1.0 or 2.0).
#![no_main]

use authorizer_core::event::{AuthorizerRequest, MAX_TOKEN_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(request) = AuthorizerRequest::from_json(text)
    {
        assert!(!request.token.is_empty() && request.token.len() <= MAX_TOKEN_BYTES);
        assert!(!request.token.contains(' '));
    }
});
