//! The preflight handler: any JSON as its event gets a 204.
#![no_main]

use authorizer_core::Env;
use libfuzzer_sys::fuzz_target;
use noop_cors::CorsConfig;

fuzz_target!(|data: &[u8]| {
    let origins =
        |name: &str| (name == "CORS_ALLOW_ORIGINS").then(|| "https://petstore.example".to_owned());
    let config = CorsConfig::from_env(&Env::new(&origins)).unwrap();
    if let Ok(event) = serde_json::from_slice(data) {
        assert_eq!(config.respond(&event).status_code, 204);
    }
});
