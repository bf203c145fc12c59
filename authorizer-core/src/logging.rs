//! Log set-up: structured lines, JSON in Lambda, and nothing that could carry a token.
//!
//! Like `lambda_runtime`'s default subscriber, the level comes from `AWS_LAMBDA_LOG_LEVEL`, then
//! `RUST_LOG` (default INFO), and the format is JSON when `AWS_LAMBDA_LOG_FORMAT=JSON` (the
//! template sets it). Two of the runtime's own log sites are switched off whatever the level:
//! at TRACE it prints every raw event (an `Authorization` header included), and it reports each
//! handler error at ERROR, which would turn every refused token into an error-level line. Our
//! own line, with a stable `reason`, says why a request was refused.
//!
//! The filter is a [`Targets`] list (`info`, `warn,authorizer_core=debug`), not an `EnvFilter`:
//! span and field filters are of no use to a function this small, and leaving out the regex
//! engine they need makes every package about 100 KiB smaller (BENCHMARKS.md).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::Env;

crate::variables! {
    /// The variables every function reads for its logs.
    VARIABLES {
        /// the log level set by Lambda's logging controls (`TRACE` … `FATAL`); wins over `RUST_LOG`
        AWS_LAMBDA_LOG_LEVEL = Off;

        /// a level, or a list such as `warn,authorizer_core=debug`; a value that cannot be read means
        /// INFO
        RUST_LOG = Value("info");

        /// `JSON` for one JSON object per line (the template sets it), else plain text
        AWS_LAMBDA_LOG_FORMAT = SetByLambda;
    }
}

/// Targets that are always filtered so, whatever the user asks for.
const ALWAYS: [(&str, LevelFilter); 2] = [
    ("lambda_runtime::layers::api_response", LevelFilter::DEBUG),
    ("lambda_runtime::layers::panic", LevelFilter::OFF),
];

/// Installs the global subscriber; call once, first thing in `main`.
pub fn init(env: &Env) {
    let level = env
        .get(&AWS_LAMBDA_LOG_LEVEL)
        .or_else(|| env.get(&RUST_LOG))
        .unwrap_or_default();
    let json = env
        .get(&AWS_LAMBDA_LOG_FORMAT)
        .is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let registry = tracing_subscriber::registry().with(filter(&level));
    if json {
        registry.with(lines.json()).init();
    } else {
        registry.with(lines).init();
    }
}

/// The filter for a level setting such as `debug` or `info,authorizer_core=trace`.
///
/// Lambda's own levels include `FATAL`, which is `error` here. A setting that cannot be read
/// falls back to INFO rather than stopping the function: logs are not worth an outage.
fn filter(setting: &str) -> Targets {
    let directives: Vec<&str> = setting
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    let parsed = match directives.as_slice() {
        [] => Ok(Targets::new()),
        [level] if level.eq_ignore_ascii_case("fatal") => {
            Ok(Targets::new().with_default(LevelFilter::ERROR))
        }
        _ => directives.join(",").parse::<Targets>(),
    };
    let targets = parsed.unwrap_or_default();
    let default = targets.default_level().unwrap_or(LevelFilter::INFO);
    targets.with_default(default).with_targets(ALWAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn reads_lambda_levels_and_rust_log_directives() {
        assert!(filter("").would_enable("authorizer_core", &Level::INFO));
        assert!(filter(" info, ").would_enable("authorizer_core", &Level::INFO));
        assert!(!filter("").would_enable("authorizer_core", &Level::DEBUG));
        assert!(filter("DEBUG").would_enable("authorizer_core", &Level::DEBUG));
        assert!(!filter("FATAL").would_enable("authorizer_core", &Level::WARN));
        assert!(filter("FATAL").would_enable("authorizer_core", &Level::ERROR));
        let mixed = filter("warn,authorizer_core=trace");
        assert!(mixed.would_enable("authorizer_core::event", &Level::TRACE));
        assert!(!mixed.would_enable("lambda_runtime", &Level::INFO));
        assert!(filter("not a level").would_enable("authorizer_core", &Level::INFO));
    }

    #[test]
    fn keeps_the_runtime_from_logging_events_and_refusals_at_any_level() {
        let trace = filter("trace");
        assert!(!trace.would_enable("lambda_runtime::layers::api_response", &Level::TRACE));
        assert!(trace.would_enable("lambda_runtime::layers::api_response", &Level::DEBUG));
        assert!(!trace.would_enable("lambda_runtime::layers::panic", &Level::ERROR));
        assert!(trace.would_enable("lambda_runtime::layers::api_client", &Level::TRACE));
    }
}
