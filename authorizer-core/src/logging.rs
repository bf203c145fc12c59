//! Log set-up: structured lines, JSON in Lambda, and nothing that could carry a token.
//!
//! Like `lambda_runtime`'s default subscriber, the level comes from `AWS_LAMBDA_LOG_LEVEL`, then
//! `RUST_LOG` (default INFO), and the format is JSON when `AWS_LAMBDA_LOG_FORMAT=JSON` (the
//! template sets it). Two of the runtime's own log sites are switched off whatever the level:
//! at TRACE it prints every raw event (an `Authorization` header included), and it reports each
//! handler error at ERROR, which would turn every refused token into an error-level line. Our
//! own line, with a stable `reason`, says why a request was refused.

use lambda_runtime::tracing::subscriber::EnvFilter;
use lambda_runtime::tracing::subscriber::filter::LevelFilter;

/// Directives that always apply, after the user's.
const ALWAYS: [&str; 2] = [
    "lambda_runtime::layers::api_response=debug",
    "lambda_runtime::layers::panic=off",
];

/// Installs the global subscriber; call once, first thing in `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(level);
    for directive in ALWAYS {
        filter = filter.add_directive(directive.parse().expect("valid directive"));
    }
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let subscriber = lambda_runtime::tracing::subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time();
    if json {
        subscriber.json().init();
    } else {
        subscriber.init();
    }
}
