//! The method-ARN parser: whatever it accepts prints back unchanged and has no wildcard in the
//! part that scopes a policy to one API.
#![no_main]

use authorizer_core::MethodArn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(arn) = MethodArn::parse(text) {
        assert_eq!(arn.to_string(), text);
        let scope = arn.sibling("", "");
        assert!(!scope.contains('*') && !scope.contains('?'), "{scope}");
    }
});
