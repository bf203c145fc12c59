//! Event deserialization and token extraction: any bytes as any authorizer event (REST TOKEN or
//! REQUEST, HTTP API 1.0 or 2.0, WebSocket), read with and without a token query parameter; and
//! any client certificate an event carries, held against a certificate-bound token.
#![no_main]

use authorizer_core::binding::thumbprint;
use authorizer_core::event::{AuthorizerRequest, EventShape, MAX_TOKEN_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for query_parameter in [None, Some("token")] {
        let Ok(request) = AuthorizerRequest::from_json(text, query_parameter) else {
            continue;
        };
        assert!(!request.token.is_empty() && request.token.len() <= MAX_TOKEN_BYTES);
        assert!(!request.token.contains(' '));
        assert_eq!(
            request.method_arn.is_connect_route(),
            request.shape == EventShape::WebSocket
        );
        if request.shape == EventShape::RestToken {
            assert_eq!(request.client_certificate, None);
        }
        if let Some(certificate) = &request.client_certificate {
            let _ = thumbprint(certificate);
        }
    }
});
